#include "tcpstate.h"

#include <stddef.h>
#include <strings.h>

static const char *const names[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV",
	[4] = "FIN_WAIT1", [5] = "FIN_WAIT2", [6] = "TIME_WAIT",
	[7] = "CLOSE", [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
	[10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
	[13] = "BOUND_INACTIVE",
};

#define NSTATES (int)(sizeof(names) / sizeof(names[0]))

const char *tcp_state_lookup(uint8_t state)
{
	return state < NSTATES ? names[state] : NULL;
}

int tcp_state_parse(const char *name)
{
	int i;

	if (strcasecmp(name, "NONE") == 0)
		return 0;
	for (i = 1; i < NSTATES; i++)
		if (strcasecmp(name, names[i]) == 0)
			return i;
	return -1;
}
