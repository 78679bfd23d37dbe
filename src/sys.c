#include "sys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Every wrapper zeroes the whole union: the kernel rejects non-zero bytes
 * past the last field a command knows, so stale stack bytes would turn into
 * -E2BIG or -EINVAL on one kernel and not another. */
static int bpf_cmd(int cmd, union bpf_attr *attr)
{
	long ret = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

	return ret < 0 ? -errno : (int)ret;
}

static uint64_t ptr_to_u64(const void *ptr)
{
	return (uint64_t)(unsigned long)ptr;
}

static void copy_obj_name(char dst[BPF_OBJ_NAME_LEN], const char *name)
{
	if (name)
		strncpy(dst, name, BPF_OBJ_NAME_LEN - 1);
}

int sys_map_create(const struct sys_map_spec *spec)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = spec->type;
	attr.key_size = spec->key_size;
	attr.value_size = spec->value_size;
	attr.max_entries = spec->max_entries;
	attr.map_flags = spec->flags;
	copy_obj_name(attr.map_name, spec->name);
	return bpf_cmd(BPF_MAP_CREATE, &attr);
}

static int map_elem_cmd(int cmd, int map_fd, const void *key, void *value,
			uint64_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)map_fd;
	attr.key = ptr_to_u64(key);
	attr.value = ptr_to_u64(value);
	attr.flags = flags;
	return bpf_cmd(cmd, &attr);
}

int sys_map_update(int map_fd, const void *key, const void *value,
		   uint64_t flags)
{
	return map_elem_cmd(BPF_MAP_UPDATE_ELEM, map_fd, key, (void *)value,
			    flags);
}

int sys_map_lookup(int map_fd, const void *key, void *value)
{
	return map_elem_cmd(BPF_MAP_LOOKUP_ELEM, map_fd, key, value, 0);
}

int sys_map_delete(int map_fd, const void *key)
{
	return map_elem_cmd(BPF_MAP_DELETE_ELEM, map_fd, key, NULL, 0);
}

int sys_map_next_key(int map_fd, const void *key, void *next_key)
{
	/* attr.next_key shares its place with attr.value. */
	return map_elem_cmd(BPF_MAP_GET_NEXT_KEY, map_fd, key, next_key, 0);
}

int sys_map_sum_percpu(int map_fd, const void *key, int nvalues,
		       uint64_t *sum)
{
	uint64_t *values = calloc((size_t)nvalues, sizeof(*values));
	int i, ret;

	if (!values)
		return -ENOMEM;
	ret = sys_map_lookup(map_fd, key, values);
	if (ret == 0) {
		*sum = 0;
		for (i = 0; i < nvalues; i++)
			*sum += values[i];
	}
	free(values);
	return ret;
}

int sys_map_freeze(int map_fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)map_fd;
	return bpf_cmd(BPF_MAP_FREEZE, &attr);
}

int sys_retry_eagain(int (*op)(void *arg), void *arg, int attempts)
{
	int ret = -EAGAIN;

	while (attempts-- > 0 && ret == -EAGAIN)
		ret = op(arg);
	return ret;
}

static int prog_load_once(void *attr)
{
	return bpf_cmd(BPF_PROG_LOAD, attr);
}

/* The verifier gives up with EAGAIN when a signal is pending, and
 * SIGSTOP/SIGCONT, which no one can block, is enough (kernel/bpf/
 * verifier.c: do_check()). libbpf tries five times; so do we. */
#define PROG_LOAD_ATTEMPTS 5

static int prog_load_retrying(union bpf_attr *attr)
{
	return sys_retry_eagain(prog_load_once, attr, PROG_LOAD_ATTEMPTS);
}

int sys_prog_load(const struct sys_prog_load *load)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = load->type;
	attr.insns = ptr_to_u64(load->insns);
	attr.insn_cnt = (uint32_t)load->insn_cnt;
	attr.license = ptr_to_u64(load->license);
	attr.kern_version = load->kern_version;
	attr.expected_attach_type = load->expected_attach_type;
	attr.attach_btf_id = load->attach_btf_id;
	copy_obj_name(attr.prog_name, load->name);
	if (load->log_buf && load->log_size) {
		load->log_buf[0] = '\0';
		attr.log_buf = ptr_to_u64(load->log_buf);
		attr.log_size = (uint32_t)load->log_size;
		attr.log_level = load->log_level;
	}
	return prog_load_retrying(&attr);
}

int sys_raw_tracepoint_open(int prog_fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.prog_fd = (uint32_t)prog_fd;
	return bpf_cmd(BPF_RAW_TRACEPOINT_OPEN, &attr);
}

int sys_prog_run_on_cpu(int prog_fd, uint32_t cpu)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)prog_fd;
	attr.test.flags = BPF_F_TEST_RUN_ON_CPU;
	attr.test.cpu = cpu;
	return bpf_cmd(BPF_PROG_TEST_RUN, &attr);
}

static int next_id_cmd(int cmd, uint32_t start, uint32_t *next)
{
	union bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.start_id = start;
	err = bpf_cmd(cmd, &attr);
	if (err == 0)
		*next = attr.next_id;
	return err;
}

int sys_prog_next_id(uint32_t start, uint32_t *next)
{
	return next_id_cmd(BPF_PROG_GET_NEXT_ID, start, next);
}

int sys_map_next_id(uint32_t start, uint32_t *next)
{
	return next_id_cmd(BPF_MAP_GET_NEXT_ID, start, next);
}

static int fd_by_id_cmd(int cmd, uint32_t id)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id; /* shares its place with map_id */
	return bpf_cmd(cmd, &attr);
}

int sys_prog_fd_by_id(uint32_t id)
{
	return fd_by_id_cmd(BPF_PROG_GET_FD_BY_ID, id);
}

int sys_map_fd_by_id(uint32_t id)
{
	return fd_by_id_cmd(BPF_MAP_GET_FD_BY_ID, id);
}

int sys_obj_info(int fd, void *info, uint32_t *info_len)
{
	union bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = *info_len;
	attr.info.info = ptr_to_u64(info);
	err = bpf_cmd(BPF_OBJ_GET_INFO_BY_FD, &attr);
	if (err == 0)
		*info_len = attr.info.info_len;
	return err;
}

int sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu,
			int group_fd, unsigned long flags)
{
	long ret = syscall(__NR_perf_event_open, attr, pid, cpu, group_fd,
			   flags);

	return ret < 0 ? -errno : (int)ret;
}
