/* JSON lines: one object per drop, on one line. The schema is documented
 * in README.md and man/tcpdrop.8. Strings are escaped per RFC 8259 (quote,
 * backslash, control characters as \u00XX; bytes >= 0x80 that are not
 * valid UTF-8 as \u00XX of the byte, so the line is always valid JSON). */
#ifndef TCPDROP_JSON_H
#define TCPDROP_JSON_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "drop.h"

/* `"..."` with escaping; `len` bytes, stopping early at a NUL. */
void json_write_string(FILE *out, const char *s, size_t len);

/* "ipv4", "ipv6", or NULL (no packet headers: family 0, or a family this
 * build does not know), for the "family" fields of every JSON object. */
const char *json_family_name(uint16_t family);

/* One drop object and a newline. Returns 0, or -EPIPE / -EIO when the
 * stream failed. Fields, in order:
 *   "type":"drop", "time", "pid", "tid", "comm", "family" ("ipv4",
 *   "ipv6", or null without packet headers), "saddr", "sport", "daddr",
 *   "dport" (null without headers), "state" (name or null), "state_code",
 *   "flags" ("SYN|ACK", "" for none, null without headers), "flags_code",
 *   "reason" (name or null), "reason_code" (number or null), "location",
 *   "location_addr" ("0x..." string: 64-bit addresses do not fit a JSON
 *   number exactly), "hook" ("kfree_skb": the tracepoint, "tcp_drop": the
 *   kprobe), "netns", "ifindex", "len", "cpu", "stack" (array of
 *   strings, [] when stacks are off); with -n (d->ns set) then
 *   "netns_name", "container_id", "pod_uid" (strings, null when unknown). */
int json_write_drop(FILE *out, const struct drop_view *d);

#endif
