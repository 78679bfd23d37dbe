#include "netns.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

/* A cgroup file is a few lines; a bound for a hostile one. */
#define CGROUP_FILE_MAX (64 * 1024)

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return false;
	return true;
}

/* A 64-hex-digit ID, alone or between one of the runtimes' prefixes and
 * ".scope". */
static bool component_container(const char *c, size_t len, char *id)
{
	static const char *const prefixes[] = {
		"docker-", "cri-containerd-", "crio-", "libpod-",
	};
	const size_t idlen = NETNS_CONTAINER_ID_LEN;
	size_t i, plen;

	if (len == idlen && all_hex(c, len)) {
		memcpy(id, c, idlen);
		id[idlen] = '\0';
		return true;
	}
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		plen = strlen(prefixes[i]);
		if (len != plen + idlen + 6 || memcmp(c, prefixes[i], plen) ||
		    memcmp(c + plen + idlen, ".scope", 6) ||
		    !all_hex(c + plen, idlen))
			continue;
		memcpy(id, c + plen, idlen);
		id[idlen] = '\0';
		return true;
	}
	return false;
}

/* 8-4-4-4-12 lowercase hex digits, `sep` between the groups. */
static bool uid_shape(const char *s, size_t len, char sep)
{
	size_t i;

	if (len != NETNS_POD_UID_LEN)
		return false;
	for (i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !is_hex(s[i]))
			return false;
	}
	return true;
}

static void copy_uid(const char *s, char *pod)
{
	size_t i;

	for (i = 0; i < NETNS_POD_UID_LEN; i++)
		pod[i] = s[i] == '_' ? '-' : s[i];
	pod[NETNS_POD_UID_LEN] = '\0';
}

/* "pod<uid>" (cgroupfs), or "kubepods[-class]-pod<uid_>.slice"
 * (systemd). */
static bool component_pod(const char *c, size_t len, char *pod)
{
	const size_t ulen = NETNS_POD_UID_LEN;

	if (len == 3 + ulen && memcmp(c, "pod", 3) == 0 &&
	    uid_shape(c + 3, ulen, '-')) {
		copy_uid(c + 3, pod);
		return true;
	}
	if (len >= 8 + 4 + ulen + 6 && memcmp(c, "kubepods", 8) == 0 &&
	    memcmp(c + len - 6, ".slice", 6) == 0 &&
	    memcmp(c + len - 6 - ulen - 4, "-pod", 4) == 0 &&
	    uid_shape(c + len - 6 - ulen, ulen, '_')) {
		copy_uid(c + len - 6 - ulen, pod);
		return true;
	}
	return false;
}

void netns_parse_cgroup_path(const char *path, size_t len,
			     char id[NETNS_CONTAINER_ID_LEN + 1],
			     char pod[NETNS_POD_UID_LEN + 1])
{
	bool kube = false;
	size_t i = 0, n;

	id[0] = pod[0] = '\0';
	while (i < len) {
		if (path[i] == '/') {
			i++;
			continue;
		}
		for (n = 0; i + n < len && path[i + n] != '/'; n++)
			;
		component_container(path + i, n, id);
		if (kube && !pod[0])
			component_pod(path + i, n, pod);
		if (n >= 8 && memcmp(path + i, "kubepods", 8) == 0) {
			kube = true;
			/* systemd names the pod's own slice "kubepods-...". */
			if (!pod[0])
				component_pod(path + i, n, pod);
		}
		i += n;
	}
}

bool netns_parse_cgroup_file(const char *text, size_t len,
			     struct netns_info *out)
{
	char id[NETNS_CONTAINER_ID_LEN + 1], pod[NETNS_POD_UID_LEN + 1];
	size_t i = 0, end, colons, path;

	while (i < len) {
		for (end = i; end < len && text[end] != '\n'; end++)
			;
		/* "hierarchy:controllers:path"; the path may hold ':'. */
		for (colons = 0, path = i; path < end && colons < 2; path++)
			if (text[path] == ':')
				colons++;
		if (colons == 2) {
			netns_parse_cgroup_path(text + path, end - path, id, pod);
			if (id[0] && !out->container_id[0])
				memcpy(out->container_id, id, sizeof(id));
			if (pod[0] && !out->pod_uid[0])
				memcpy(out->pod_uid, pod, sizeof(pod));
		}
		i = end + 1;
	}
	return out->container_id[0] || out->pod_uid[0];
}

void netns_label(const struct netns_info *info, char *buf, size_t size)
{
	if (info && info->name[0])
		snprintf(buf, size, "%s", info->name);
	else if (info && info->container_id[0])
		snprintf(buf, size, "ctr:%.12s", info->container_id);
	else if (info && info->pod_uid[0])
		snprintf(buf, size, "pod:%s", info->pod_uid);
	else
		snprintf(buf, size, "-");
}

bool netns_is_container_prefix(const char *ref)
{
	size_t len = strlen(ref);

	return len >= 12 && len <= NETNS_CONTAINER_ID_LEN && all_hex(ref, len);
}

struct netns_entry {
	uint32_t inode;         /* 0: free */
	bool found;
	int64_t checked_ms;
	uint64_t used;          /* for eviction: least recently used goes */
	struct netns_info info;
};

struct netns_resolver {
	char proc_dir[256];
	char netns_dir[256];
	uint64_t clock, scans;
	struct netns_entry entries[NETNS_CACHE_SIZE];
	struct netns_info none;
};

int netns_resolver_new(struct netns_resolver **out, const char *proc_dir,
		       const char *netns_dir)
{
	struct netns_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	snprintf(r->proc_dir, sizeof(r->proc_dir), "%s", proc_dir);
	snprintf(r->netns_dir, sizeof(r->netns_dir), "%s", netns_dir);
	*out = r;
	return 0;
}

void netns_resolver_free(struct netns_resolver *r)
{
	free(r);
}

uint64_t netns_resolver_scans(const struct netns_resolver *r)
{
	return r->scans;
}

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The inode of `dir`/`name`, following links (a bind mount of nsfs, or
 * /proc/PID/ns/net); 0 when it cannot be read. */
static uint64_t inode_of(const char *dir, const char *name, const char *tail)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, tail);
	if (stat(path, &st))
		return 0;
	return (uint64_t)st.st_ino;
}

/* /run/netns/NAME whose inode is `inode`. */
static bool find_name(const char *netns_dir, uint32_t inode, char *name)
{
	struct dirent *de;
	DIR *d = opendir(netns_dir);
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= NETNS_NAME_MAX)
			continue;
		if (inode_of(netns_dir, de->d_name, "") == inode) {
			snprintf(name, NETNS_NAME_MAX, "%s", de->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static bool read_cgroup(const char *proc_dir, const char *pid,
			struct netns_info *info)
{
	char path[512], *text;
	size_t len;
	bool found;

	snprintf(path, sizeof(path), "%s/%s/cgroup", proc_dir, pid);
	if (read_file_max(path, CGROUP_FILE_MAX, &text, &len))
		return false;
	found = netns_parse_cgroup_file(text, len, info);
	free(text);
	return found;
}

/* The container of the first process in namespace `inode` that has one. */
static void find_container(const char *proc_dir, uint32_t inode,
			   struct netns_info *info)
{
	struct dirent *de;
	DIR *d = opendir(proc_dir);
	int reads = 0;

	if (!d)
		return;
	while (reads < NETNS_CGROUP_READS_MAX && (de = readdir(d))) {
		if (!numeric(de->d_name) ||
		    inode_of(proc_dir, de->d_name, "/ns/net") != inode)
			continue;
		reads++;
		if (read_cgroup(proc_dir, de->d_name, info) &&
		    info->container_id[0])
			break;
	}
	closedir(d);
}

static void resolve(struct netns_resolver *r, struct netns_entry *e)
{
	memset(&e->info, 0, sizeof(e->info));
	r->scans++;
	find_name(r->netns_dir, e->inode, e->info.name);
	find_container(r->proc_dir, e->inode, &e->info);
	e->found = e->info.name[0] || e->info.container_id[0] ||
		   e->info.pod_uid[0];
}

static struct netns_entry *slot_for(struct netns_resolver *r, uint32_t inode)
{
	struct netns_entry *e, *oldest = &r->entries[0];
	size_t i;

	for (i = 0; i < NETNS_CACHE_SIZE; i++) {
		e = &r->entries[i];
		if (e->inode == inode)
			return e;
		if (!e->inode || (oldest->inode && e->used < oldest->used))
			oldest = e;
	}
	memset(oldest, 0, sizeof(*oldest));
	return oldest;
}

const struct netns_info *netns_lookup(struct netns_resolver *r,
				      uint32_t inode, int64_t now_ms)
{
	struct netns_entry *e;
	bool fresh;

	if (!inode)
		return &r->none;
	e = slot_for(r, inode);
	e->used = ++r->clock;
	fresh = e->inode == inode &&
		now_ms - e->checked_ms < (e->found ? NETNS_REFRESH_MS :
						     NETNS_RETRY_MS);
	if (!fresh) {
		e->inode = inode;
		e->checked_ms = now_ms;
		resolve(r, e);
	}
	return &e->info;
}

/* Every container whose ID starts with `prefix`: the inode of the first
 * one's namespace, and whether another container matched too. */
static int find_by_container(const char *proc_dir, const char *prefix,
			     uint32_t *inode, char *id, struct errmsg *msg)
{
	struct netns_info info;
	struct dirent *de;
	DIR *d = opendir(proc_dir);
	int ret = -ENOENT;
	uint64_t ino;

	if (!d)
		return errmsg_set(msg, -errno, "cannot read %s: %s", proc_dir,
				  strerror(errno));
	while ((de = readdir(d))) {
		if (!numeric(de->d_name))
			continue;
		memset(&info, 0, sizeof(info));
		if (!read_cgroup(proc_dir, de->d_name, &info) ||
		    strncmp(info.container_id, prefix, strlen(prefix)))
			continue;
		ino = inode_of(proc_dir, de->d_name, "/ns/net");
		if (!ino || ino > UINT32_MAX)
			continue;
		if (ret == 0 && strcmp(info.container_id, id)) {
			ret = errmsg_set(msg, -EEXIST, "-N %s: the ID of more "
					 "than one container starts so (%.12s, "
					 "%.12s): give more of it", prefix, id,
					 info.container_id);
			break;
		}
		if (ret == -ENOENT) {
			memcpy(id, info.container_id, sizeof(info.container_id));
			*inode = (uint32_t)ino;
			ret = 0;
		}
	}
	closedir(d);
	return ret;
}

int netns_find(const char *proc_dir, const char *netns_dir, const char *ref,
	       uint32_t *inode, struct errmsg *msg)
{
	char id[NETNS_CONTAINER_ID_LEN + 1] = "";
	uint64_t ino = 0;
	int ret;

	if (!strchr(ref, '/') && strcmp(ref, ".") && strcmp(ref, ".."))
		ino = inode_of(netns_dir, ref, "");
	if (ino && ino <= UINT32_MAX) {
		*inode = (uint32_t)ino;
		return 0;
	}
	if (!netns_is_container_prefix(ref))
		return errmsg_set(msg, -ENOENT, "-N %s: no network namespace "
				  "of that name in %s yet; its drops are traced "
				  "once it appears", ref, NETNS_DIR);
	ret = find_by_container(proc_dir, ref, inode, id, msg);
	if (ret == -ENOENT)
		return errmsg_set(msg, -ENOENT, "-N %s: no network namespace "
				  "of that name in %s, and no running "
				  "container whose ID starts so, yet; its drops "
				  "are traced once it appears", ref, NETNS_DIR);
	return ret;
}
