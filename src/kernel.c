#include "kernel.h"
#include "textfind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fileio.h"
#include "sys.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

static int effective_caps(uint64_t *caps)
{
	char *status = NULL;
	const char *line;
	size_t len;
	int ret = read_file_max("/proc/self/status", FILEIO_MAX_SMALL,
				&status, &len);

	if (ret)
		return ret;
	line = text_find(status, strlen(status), "\nCapEff:");
	ret = line ? 0 : -ENOENT;
	if (line)
		*caps = strtoull(line + 8, NULL, 16);
	free(status);
	return ret;
}

int kernel_check_privileges(struct errmsg *msg)
{
	uint64_t caps = 0, need = 1ull << CAP_SYS_ADMIN_BIT;

	if (effective_caps(&caps))
		return geteuid() == 0 ? 0 :
		       errmsg_set(msg, -EPERM, "must run as root");
	/* CAP_SYS_ADMIN alone does it all; CAP_BPF and CAP_PERFMON (5.8+)
	 * cover bpf() and perf_event_open(). */
	if ((caps & need) ||
	    (caps & (1ull << CAP_BPF_BIT) && caps & (1ull << CAP_PERFMON_BIT)))
		return 0;
	/* Root whose capabilities were taken away: sudo will not help. */
	if (geteuid() == 0)
		return errmsg_set(msg, -EPERM, "missing capabilities: needs "
				  "CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON");
	return errmsg_set(msg, -EPERM, "must run as root (needs CAP_SYS_ADMIN, "
			  "or CAP_BPF and CAP_PERFMON); try: sudo tcpdrop");
}

static int open_tracefs(struct kernel_facts *k, struct errmsg *msg)
{
	int ret = tracefs_open(&k->tracefs, msg);

	if (ret)
		return ret;
	k->tracefs_open = true;
	return 0;
}

static int read_format(struct kernel_facts *k, struct errmsg *msg)
{
	int ret = tracefs_event_format(&k->tracefs, "skb", "kfree_skb",
				       &k->kfree_skb);

	if (ret == -ENOENT)
		return errmsg_set(msg, ret, "the kernel has no skb:kfree_skb "
				  "tracepoint (%s/events/skb/kfree_skb); it "
				  "needs CONFIG_TRACEPOINTS", k->tracefs.root);
	if (ret == -EFBIG)
		return errmsg_set(msg, ret, "%s/events/skb/kfree_skb/format: "
				  "larger than %zu MiB; not a format file",
				  k->tracefs.root, FILEIO_MAX_SMALL >> 20);
	if (ret)
		return errmsg_set(msg, ret, "cannot read the skb:kfree_skb "
				  "format file: %s", strerror(-ret));
	k->have_format = true;
	k->has_reason = tp_format_field(&k->kfree_skb, "reason") != NULL;
	k->has_rx_sk = tp_format_field(&k->kfree_skb, "rx_sk") != NULL;
	if (!tp_format_field(&k->kfree_skb, "skbaddr") ||
	    !tp_format_field(&k->kfree_skb, "location") ||
	    !tp_format_field(&k->kfree_skb, "protocol"))
		return errmsg_set(msg, -EINVAL, "skb:kfree_skb has an unknown "
				  "record layout (no skbaddr, location or "
				  "protocol field)");
	return 0;
}

/* Where a kernel's BTF may be, the running release filling in %s: sysfs
 * (CONFIG_DEBUG_INFO_BTF), then the vmlinux files that distributions and
 * kernel builds leave behind. */
static const char *const btf_candidates[] = {
	KERNEL_BTF_PATH,
	"/boot/vmlinux-%s",
	"/lib/modules/%s/vmlinux",
	"/lib/modules/%s/build/vmlinux",
	"/usr/lib/modules/%s/vmlinux",
	"/usr/lib/debug/boot/vmlinux-%s",
	"/usr/lib/debug/lib/modules/%s/vmlinux",
};

const char kernel_btf_places[] = KERNEL_BTF_PATH ", /boot/vmlinux-R, "
	"/lib/modules/R/{,build/}vmlinux, /usr/lib/modules/R/vmlinux, "
	"/usr/lib/debug/{boot/vmlinux-R,lib/modules/R/vmlinux}";

/* An empty file is what a hidden BTF (a bind mount of /dev/null) looks
 * like: the same as none. Only a regular file can hold BTF. */
static bool nonempty_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* `pattern` with its "%s" (if any) replaced by `release`. Not snprintf:
 * a format string from a table is what -Wformat rightly distrusts. */
static void expand_release(char *buf, size_t size, const char *pattern,
			   const char *release)
{
	const char *mark = text_find(pattern, strlen(pattern), "%s");

	if (!mark)
		snprintf(buf, size, "%s", pattern);
	else
		snprintf(buf, size, "%.*s%s%s", (int)(mark - pattern), pattern,
			 release, mark + 2);
}

static void search_btf(struct kernel_facts *k)
{
	struct utsname u;
	size_t i;

	if (uname(&u))
		return;
	for (i = 0; i < sizeof(btf_candidates) / sizeof(btf_candidates[0]); i++) {
		expand_release(k->btf_path, sizeof(k->btf_path),
			       btf_candidates[i], u.release);
		if (nonempty_file(k->btf_path) &&
		    btf_load_file(&k->btf, k->btf_path) == 0)
			return;
	}
	k->btf_path[0] = '\0';
}

/* --btf takes a regular file only: a FIFO would block the open() in
 * btf_load_file(), a device would be read to the size bound. (A FIFO put
 * in its place between this stat() and that open() is the user's own.) */
static int check_btf_file(const char *path, struct errmsg *msg)
{
	struct stat st;
	int err;

	if (stat(path, &st)) {
		err = errno;
		return errmsg_set(msg, -err, "cannot read BTF from %s: %s", path,
				  strerror(err));
	}
	if (S_ISDIR(st.st_mode))
		return errmsg_set(msg, -EISDIR, "cannot read BTF from %s: %s",
				  path, strerror(EISDIR));
	if (!S_ISREG(st.st_mode))
		return errmsg_set(msg, -EINVAL, "%s is not a regular file (want "
				  "a raw BTF file or an ELF file with a .BTF "
				  "section)", path);
	return 0;
}

static int read_btf(struct kernel_facts *k, const char *path,
		    struct errmsg *msg)
{
	int ret;

	if (!path) {
		search_btf(k);
		return 0;
	}
	ret = check_btf_file(path, msg);
	if (ret)
		return ret;
	ret = btf_load_file(&k->btf, path);
	if (ret == -ENOENT && nonempty_file(path))
		return errmsg_set(msg, ret, "%s has no .BTF section", path);
	if (ret == -ESTALE)
		return errmsg_set(msg, ret, "%s changed while it was read "
				  "(truncated?)", path);
	if (ret == -EFBIG)
		return errmsg_set(msg, ret, "%s: larger than %zu MiB; not a BTF "
				  "file", path, FILEIO_MAX_BTF >> 20);
	if (ret == -EINVAL)
		return errmsg_set(msg, ret, "%s holds no valid BTF (want a raw "
				  "BTF file or an ELF file with a .BTF section)",
				  path);
	if (ret)
		return errmsg_set(msg, ret, "cannot read BTF from %s: %s", path,
				  strerror(-ret));
	snprintf(k->btf_path, sizeof(k->btf_path), "%s", path);
	return 0;
}

/* SKB_NOT_DROPPED_YET and SKB_CONSUMED are numbered below NOT_SPECIFIED
 * in every kernel with reasons. The format file's table is what the
 * tracepoint itself prints; BTF is the fallback. */
static uint32_t find_reason_min_drop(const struct kernel_facts *k)
{
	uint64_t value;
	int64_t btf_value;

	if (tp_format_symbol_value(&k->kfree_skb, "NOT_SPECIFIED", &value) == 0)
		return (uint32_t)value;
	if (k->btf && btf_enum_value(k->btf, "skb_drop_reason",
				     "SKB_DROP_REASON_NOT_SPECIFIED",
				     &btf_value) == 0)
		return (uint32_t)btf_value;
	return 0;
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	char *dot;
	long maj, min;

	if (uname(&u))
		return false;
	maj = strtol(u.release, &dot, 10);
	if (*dot != '.')
		return false;
	min = strtol(dot + 1, NULL, 10);
	return maj > major || (maj == major && min >= minor);
}

static bool find_probe_read_kernel(const struct kernel_facts *k)
{
	int64_t id;

	if (k->btf)
		return btf_enum_value(k->btf, "bpf_func_id",
				      "BPF_FUNC_probe_read_kernel", &id) == 0;
	return kernel_at_least(5, 5);
}

bool kernel_has_ringbuf(void)
{
	struct sys_map_spec spec = {
		.name = "tcpdrop_probe",
		.type = BPF_MAP_TYPE_RINGBUF,
		.max_entries = (uint32_t)sysconf(_SC_PAGESIZE),
	};
	int fd = sys_map_create(&spec);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool find_task_btf(const struct kernel_facts *k)
{
	int64_t id;

	return k->btf && strcmp(k->btf_path, KERNEL_BTF_PATH) == 0 &&
	       btf_enum_value(k->btf, "bpf_func_id",
			      "BPF_FUNC_get_current_task_btf", &id) == 0;
}

int kernel_facts_read(struct kernel_facts *k, const char *btf_path,
		      struct errmsg *msg)
{
	int ret;

	memset(k, 0, sizeof(*k));
	ret = open_tracefs(k, msg);
	if (ret == 0)
		ret = read_format(k, msg);
	/* The attachment needs only the tracepoint id, already read: a mount
	 * of our own is gone before the program even loads. */
	if (k->tracefs_open) {
		tracefs_close(&k->tracefs);
		k->tracefs_open = false;
	}
	if (ret == 0)
		ret = read_btf(k, btf_path, msg);
	if (ret) {
		kernel_facts_free(k);
		return ret;
	}
	k->reason_min_drop = find_reason_min_drop(k);
	k->has_probe_read_kernel = find_probe_read_kernel(k);
	k->has_task_btf = find_task_btf(k);
	return 0;
}

void kernel_facts_free(struct kernel_facts *k)
{
	if (k->have_format)
		tp_format_free(&k->kfree_skb);
	btf_free(k->btf);
	if (k->tracefs_open)
		tracefs_close(&k->tracefs);
	memset(k, 0, sizeof(*k));
}

const char *kernel_reason_name(const struct kernel_facts *k, uint32_t reason,
			       char *buf, size_t size)
{
	const char *name = tp_format_symbol_name(&k->kfree_skb, reason);

	if (name)
		return name;
	if (reason >> 16)
		snprintf(buf, size, "SUBSYS_%u_%u", reason >> 16,
			 reason & 0xffff);
	else
		snprintf(buf, size, "REASON_%u", reason);
	return buf;
}
