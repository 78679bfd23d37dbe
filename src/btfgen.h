/* A synthetic BTF from a discovered layout (layout.h): struct sk_buff,
 * sock_common, sock, ns_common, net, net_device and the typedef
 * possible_net_t, with only the members that were found, at the offsets
 * found, with the names and sizes bpf/tcpdrop.bpf.c's local structs use.
 * The CO-RE relocation (core.c) then treats it as the kernel's BTF: a
 * member that was not found is absent, so field_exists() is false for it
 * and its accesses are poisoned (and unreachable). */
#ifndef TCPDROP_BTFGEN_H
#define TCPDROP_BTFGEN_H

#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "layout.h"

/* Writes raw BTF into `buf` (of `size` bytes): its length, or -EINVAL for
 * a layout whose offsets are negative (other than LAYOUT_UNKNOWN) or over
 * 64 KiB, or -ENOSPC. */
int btfgen_write(const struct layout *l, uint8_t *buf, size_t size);

/* The same, loaded: 0 or -errno. */
int btfgen_load(const struct layout *l, struct btf **out);

#endif
