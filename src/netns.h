/* Network namespaces named the way an operator knows them: the name
 * `ip netns add` gave one (a bind mount in /run/netns), else the container
 * and the Kubernetes pod of a process living in it (its cgroup path). The
 * record carries only the namespace's inode; this turns that into names,
 * lazily, with a bounded cache.
 *
 * What /proc and the cgroup files hold is outside input (any process can
 * pick its cgroup names): the parsers below take bytes and a length,
 * accept only the exact shapes they know, and never guess. */
#ifndef TCPDROP_NETNS_H
#define TCPDROP_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

#define NETNS_DIR "/run/netns"
#define NETNS_PROC_DIR "/proc"
#define NETNS_NAME_MAX 256         /* a file name, NUL included */
#define NETNS_CONTAINER_ID_LEN 64  /* hex digits */
#define NETNS_POD_UID_LEN 36       /* 8-4-4-4-12 */
#define NETNS_LABEL_MAX (NETNS_NAME_MAX + 8)

/* Bounds of the resolver: the cache's entries, how often an inode that
 * found no name is tried again, how long a found name is kept before it
 * is checked again (an inode can be reused once its namespace is gone),
 * and how many cgroup files one lookup reads at most. */
#define NETNS_CACHE_SIZE 256
#define NETNS_RETRY_MS 5000
#define NETNS_REFRESH_MS 60000
#define NETNS_CGROUP_READS_MAX 16

/* What is known of one namespace; each field "" when unknown. */
struct netns_info {
	char name[NETNS_NAME_MAX];                  /* /run/netns/NAME */
	char container_id[NETNS_CONTAINER_ID_LEN + 1];
	char pod_uid[NETNS_POD_UID_LEN + 1];
};

/* One cgroup path ("/kubepods.slice/.../cri-containerd-<id>.scope"):
 * the container ID and pod UID it names, "" for either that it does not.
 * Container IDs: a component that is 64 hex digits (docker's and
 * kubelet's cgroupfs layouts), or "docker-", "cri-containerd-", "crio-",
 * "libpod-" followed by 64 hex digits and ".scope" (systemd layouts); the
 * innermost wins. Pod UIDs only below a component starting "kubepods":
 * "pod<uid>" (cgroupfs) or "...-pod<uid with _ for ->.slice" (systemd),
 * written back with '-'. Lowercase hex only, as the runtimes write it. */
void netns_parse_cgroup_path(const char *path, size_t len,
			     char id[NETNS_CONTAINER_ID_LEN + 1],
			     char pod[NETNS_POD_UID_LEN + 1]);

/* A /proc/PID/cgroup file ("0::/path" for cgroup v2, "N:ctrl:/path" lines
 * for v1): the first container ID and the first pod UID any line's path
 * names. true when either was found. */
bool netns_parse_cgroup_file(const char *text, size_t len,
			     struct netns_info *out);

/* The text of the NETNS column: the name, else "ctr:" and the first 12
 * hex digits of the container ID, else "pod:" and the pod UID, else "-".
 * Pure; `info` NULL gives "-". */
void netns_label(const struct netns_info *info, char *buf, size_t size);

struct netns_resolver;

/* A resolver over `proc_dir` and `netns_dir` (NETNS_PROC_DIR and
 * NETNS_DIR; tests pass directories of their own). 0 or -ENOMEM. */
int netns_resolver_new(struct netns_resolver **out, const char *proc_dir,
		       const char *netns_dir);
void netns_resolver_free(struct netns_resolver *r);

/* What is known of namespace `inode` at `now_ms` (CLOCK_MONOTONIC
 * milliseconds), from the cache or found now: /run/netns first, then the
 * processes in /proc whose ns/net is that inode (the first whose cgroup
 * names a container; at most NETNS_CGROUP_READS_MAX cgroup files). An
 * inode that found nothing is tried again NETNS_RETRY_MS later at the
 * earliest. Never NULL; valid until the next call. */
const struct netns_info *netns_lookup(struct netns_resolver *r,
				      uint32_t inode, int64_t now_ms);

/* How many lookups went to /run/netns and /proc (not the cache): for
 * tests of the cache's bounds. */
uint64_t netns_resolver_scans(const struct netns_resolver *r);

/* -N NAME or -N CONTAINER-ID-PREFIX, at start: the inode of /run/netns/
 * NAME, else, for 12 to 64 lowercase hex digits, of the network namespace
 * of the processes whose cgroup names a container with that ID prefix.
 * 0, or -ENOENT (nothing by that name now), -EEXIST (a prefix of more than
 * one container's ID), with `msg` saying which; other -errno. */
int netns_find(const char *proc_dir, const char *netns_dir, const char *ref,
	       uint32_t *inode, struct errmsg *msg);

/* Whether `ref` has the shape of a container ID prefix (12 to 64
 * lowercase hex digits). */
bool netns_is_container_prefix(const char *ref);

#endif
