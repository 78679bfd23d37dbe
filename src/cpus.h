/* CPU lists as sysfs prints them ("0-3,5,7-8"). The perf event array has a
 * slot per possible CPU; rings are opened on the online ones. */
#ifndef TCPDROP_CPUS_H
#define TCPDROP_CPUS_H

#include <stdbool.h>

#define CPUS_MAX 4096

/* Sets mask[i] for every CPU in `list`; returns the highest CPU + 1, or
 * -EINVAL for a malformed list or a CPU >= max. */
int cpu_list_parse(const char *list, bool *mask, int max);

/* Reads /sys/devices/system/cpu/{possible,online}. Same returns. */
int cpus_possible(bool *mask, int max);
int cpus_online(bool *mask, int max);

#endif
