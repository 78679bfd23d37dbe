/* TCP state names (include/net/tcp_states.h). The numbering is kernel ABI:
 * ss, /proc/net/tcp and sock_diag all expose it. */
#ifndef TCPDROP_TCPSTATE_H
#define TCPDROP_TCPSTATE_H

#include <stdint.h>

/* "ESTABLISHED" for 1, ...; NULL for 0 (no socket) and unknown numbers. */
const char *tcp_state_lookup(uint8_t state);

/* The number of a state name (case-insensitive); "NONE" is 0 (drops
 * without a socket). -1 for an unknown name. */
int tcp_state_parse(const char *name);

#endif
