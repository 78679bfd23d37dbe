/* One thin wrapper per bpf() command and perf_event_open(). Each zeroes its
 * union bpf_attr, sets only the fields the command reads, and returns a file
 * descriptor or 0 on success, -errno on failure. No printing here. */
#ifndef TCPDROP_SYS_H
#define TCPDROP_SYS_H

#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sys_map_spec {
	const char *name;        /* up to BPF_OBJ_NAME_LEN - 1 chars kept */
	uint32_t type, key_size, value_size, max_entries, flags;
};

int sys_map_create(const struct sys_map_spec *spec);
int sys_map_update(int map_fd, const void *key, const void *value,
		   uint64_t flags);
int sys_map_lookup(int map_fd, const void *key, void *value);
int sys_map_delete(int map_fd, const void *key);
/* BPF_MAP_GET_NEXT_KEY: the key after `key` (NULL: the first) into
 * `next_key`. 0, -ENOENT after the last key, or -errno. A hash map's
 * order restarts from the first key when `key` is no longer in it. */
int sys_map_next_key(int map_fd, const void *key, void *next_key);
/* The sum of a per-CPU map's __u64 value at `key`: the kernel copies one
 * value per possible CPU (`nvalues` of them, bpf_percpu_array_copy()).
 * 0, -ENOMEM or the lookup's -errno. */
int sys_map_sum_percpu(int map_fd, const void *key, int nvalues,
		       uint64_t *sum);
int sys_map_freeze(int map_fd);

struct sys_prog_load {
	uint32_t type;                 /* BPF_PROG_TYPE_TRACEPOINT, ... */
	const char *name;
	const struct bpf_insn *insns;
	size_t insn_cnt;
	const char *license;
	uint32_t kern_version;         /* needed by kprobe programs before 5.0 */
	/* BPF_PROG_TYPE_TRACING (tp_btf): BPF_TRACE_RAW_TP, and the kernel
	 * BTF id of the tracepoint's btf_trace_<name> typedef; else 0. */
	uint32_t expected_attach_type;
	uint32_t attach_btf_id;
	char *log_buf;                 /* NULL: no log requested */
	size_t log_size;
	uint32_t log_level;
};

/* BPF_PROG_LOAD: the program's fd or -errno. An -EAGAIN (the verifier
 * saw a signal pending) is tried again, five times in all. */
int sys_prog_load(const struct sys_prog_load *load);

/* BPF_RAW_TRACEPOINT_OPEN of a tp_btf program (5.5+: the tracepoint is
 * the one its attach_btf_id names, so no name is given): the attachment's
 * fd, which detaches when closed, or -errno. */
int sys_raw_tracepoint_open(int prog_fd);

/* BPF_PROG_TEST_RUN of a raw_tp program on CPU `cpu` (BPF_F_TEST_RUN_ON_CPU,
 * 5.10+), with no context: in an IPI on that CPU, or at once where the
 * caller is on it (net/bpf/test_run.c,
 * bpf_prog_test_run_raw_tp()). 0, or -errno: -ENXIO for a CPU that is
 * not online, -EINVAL where the kernel cannot. */
int sys_prog_run_on_cpu(int prog_fd, uint32_t cpu);

/* Calls op(arg) until it returns anything but -EAGAIN, `attempts` times
 * at most; gives its last return. */
int sys_retry_eagain(int (*op)(void *arg), void *arg, int attempts);

/* Enumeration and introspection of loaded objects, for the tests' leak
 * check: BPF_{PROG,MAP}_GET_NEXT_ID, *_GET_FD_BY_ID, OBJ_GET_INFO_BY_FD. */
int sys_prog_next_id(uint32_t start, uint32_t *next);
int sys_map_next_id(uint32_t start, uint32_t *next);
int sys_prog_fd_by_id(uint32_t id);
int sys_map_fd_by_id(uint32_t id);
int sys_obj_info(int fd, void *info, uint32_t *info_len);

int sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu,
			int group_fd, unsigned long flags);

#endif
