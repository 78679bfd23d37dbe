/* What tcpdrop tells the user on stderr about the kernel it runs on: the
 * verifier's log of a refused program, the -v description of what was
 * found, the notice of degraded mode. */
#ifndef TCPDROP_DIAG_H
#define TCPDROP_DIAG_H

#include <stdbool.h>

#include "tracer.h"

/* The tail of the log (VLOG_TAIL_LINES), or all of it with `all`. */
void diag_verifier_log(const struct tracer *t, bool all);

/* -v: record layout, reason table, BTF source, helper, rings. */
void diag_kernel_facts(const struct tracer *t);

/* Once, when the self-check could not run (no network namespace could be
 * made) and the BTF came from a file: rows are not proven against it. */
void diag_unchecked_btf(const struct tracer *t);

/* Once, when no BTF was found: what is missing and how to supply it. */
void diag_degraded(const struct tracer_discovery *d);

#endif
