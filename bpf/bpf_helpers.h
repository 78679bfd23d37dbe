/* The few BPF helpers tcpdrop calls, declared by hand so that the BPF side
 * needs no kernel or libbpf headers. Helper numbers are the kernel's stable
 * ABI (enum bpf_func_id in include/uapi/linux/bpf.h). */
#ifndef TCPDROP_BPF_HELPERS_H
#define TCPDROP_BPF_HELPERS_H

#define SEC(name) __attribute__((section(name), used))

/* The verifier never sees these names: calls compile to `call N`. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key,
				   const void *value,
				   unsigned long long flags) = (void *)2;
static unsigned long long (*bpf_ktime_get_ns)(void) = (void *)5;
/* 5.5+: jiffies_64; the verifier inlines it into one load on 64-bit
 * kernels (kernel/bpf/verifier.c, do_misc_fixups()). */
static unsigned long long (*bpf_jiffies64)(void) = (void *)118;
static unsigned int (*bpf_get_smp_processor_id)(void) = (void *)8;
static unsigned long long (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_get_current_comm)(void *buf, unsigned int size) = (void *)16;
static long (*bpf_perf_event_output)(void *ctx, void *map,
				     unsigned long long flags, void *data,
				     unsigned long long size) = (void *)25;
/* 4.18+: copies the stack into buf; gives the bytes copied or -errno. */
static long (*bpf_get_stack)(void *ctx, void *buf, unsigned int size,
			     unsigned long long flags) = (void *)67;
/* 5.5+. On older kernels the loader rewrites these calls to helper 4,
 * bpf_probe_read, which has the same arguments (see event.h). */
static long (*bpf_probe_read_kernel)(void *dst, unsigned int size,
				     const void *src) = (void *)113;
/* 5.8+ (kernel/bpf/ringbuf.c): copies size bytes into the BPF ring
 * buffer; 0 or -EAGAIN when it is full. */
static long (*bpf_ringbuf_output)(void *ringbuf, void *data,
				  unsigned long long size,
				  unsigned long long flags) = (void *)130;
static unsigned long long (*bpf_ringbuf_query)(void *ringbuf,
					       unsigned long long flags) =
	(void *)134;

/* 5.11+: the current task as a pointer whose BTF type the verifier knows
 * (the kernel's own BTF), so that its fields are plain loads. */
struct task_struct;
static struct task_struct *(*bpf_get_current_task_btf)(void) = (void *)158;

#define BPF_F_CURRENT_CPU 0xffffffffULL
#define BPF_NOEXIST 1ULL
#define BPF_RB_NO_WAKEUP 1ULL
#define BPF_RB_FORCE_WAKEUP 2ULL
#define BPF_RB_RING_SIZE 1ULL
#define BPF_RB_PROD_POS 3ULL
#define EEXIST 17

/* Map definitions live in the "maps" section, one symbol a map; the loader
 * reads them with its own ELF reader. max_entries 0 on a perf event array
 * means "one slot per possible CPU", filled in at load time. */
struct tcpdrop_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int flags;
};

/* CO-RE: __builtin_preserve_field_info kinds (enum bpf_core_relo_kind). */
#define TCPDROP_FIELD_EXISTS 2
#define field_exists(field) __builtin_preserve_field_info(field, TCPDROP_FIELD_EXISTS)

#endif
