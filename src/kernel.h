/* What the running kernel offers, read once at start: tracefs and the
 * skb:kfree_skb record layout and reason names (its format file), the
 * kernel's BTF, and which BPF helper reads kernel memory. Nothing about the
 * record layout or the reason numbering is compiled in. */
#ifndef TCPDROP_KERNEL_H
#define TCPDROP_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "errmsg.h"
#include "tpformat.h"
#include "tracefs.h"

#define KERNEL_BTF_PATH "/sys/kernel/btf/vmlinux"
#define KERNEL_PATH_MAX 256

struct kernel_facts {
	struct tracefs tracefs;
	bool tracefs_open;
	struct tp_format kfree_skb;       /* parsed format file */
	bool have_format;
	struct btf *btf;                  /* kernel BTF, NULL if none found */
	char btf_path[KERNEL_PATH_MAX];   /* where it came from */
	bool has_reason;                  /* 5.17+ */
	bool has_rx_sk;                   /* 6.11+ */
	uint32_t reason_min_drop;         /* NOT_SPECIFIED's value */
	bool has_probe_read_kernel;       /* helper 113, 5.5+ */
	/* helper 158, 5.11+, and the BTF is the kernel's own (sysfs), which
	 * the helper's result is typed with */
	bool has_task_btf;
};

/* Fails with a message when we lack the privileges to load and attach BPF
 * programs (root, or CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN for tracefs). */
int kernel_check_privileges(struct errmsg *msg);

/* Whether the kernel makes a BPF ring buffer (BPF_MAP_TYPE_RINGBUF, 5.8+,
 * and backported by some vendors): found by making the smallest one, one
 * page, and closing it at once (before 5.8 the type is unknown,
 * -EINVAL). A bpf() call, so asked only where a ring is wanted. */
bool kernel_has_ringbuf(void);

/* Reads what the kernel offers. The BTF comes from `btf_path` when given
 * (failing to read it is an error), else from the first place that has it
 * (/sys/kernel/btf/vmlinux, then where distributions keep a vmlinux); none
 * at all is not an error: k->btf stays NULL (degraded mode). */
int kernel_facts_read(struct kernel_facts *k, const char *btf_path,
		      struct errmsg *msg);

/* The places searched for BTF, "," separated, for messages. */
extern const char kernel_btf_places[];
void kernel_facts_free(struct kernel_facts *k);

/* The kernel's name for a reason ("NO_SOCKET"), else "REASON_<n>", or
 * "SUBSYS_<s>_<n>" for a subsystem reason (high 16 bits, 6.4+) that the
 * format file does not list. */
const char *kernel_reason_name(const struct kernel_facts *k, uint32_t reason,
			       char *buf, size_t size);

#endif
