/* Namespace names: the cgroup parsers on the layouts of docker,
 * containerd, CRI-O, podman and the kubelet (systemd and cgroupfs
 * drivers) and on near misses; the resolver over a fake /proc and
 * /run/netns of regular files (stat() gives their inodes); the cache's
 * retry bound; -N's lookup. No root. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "netns.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0"
#define UID_ "1b2c3d4e_5f60_4172_8394_a5b6c7d8e9f0"

static void path(const char *p, const char *want_id, const char *want_pod)
{
	char id[NETNS_CONTAINER_ID_LEN + 1], pod[NETNS_POD_UID_LEN + 1];

	netns_parse_cgroup_path(p, strlen(p), id, pod);
	if (strcmp(id, want_id) || strcmp(pod, want_pod))
		CHECK_FAIL_("%s: id '%s' pod '%s', want '%s' '%s'", p, id, pod,
			    want_id, want_pod);
}

static void test_cgroup_paths(void)
{
	path("/system.slice/docker-" ID ".scope", ID, "");
	path("/docker/" ID, ID, "");
	path("/machine.slice/libpod-" ID ".scope", ID, "");
	path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	     UID_ ".slice/cri-containerd-" ID ".scope", ID, UID);
	path("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID ".scope",
	     ID, UID);
	path("/kubepods/besteffort/pod" UID "/" ID, ID, UID);
	path("/kubepods/pod" UID "/" ID, ID, UID);
	/* The pod's own cgroup (a sandbox without a container yet). */
	path("/kubepods/burstable/pod" UID, "", UID);
	/* Near misses: never a guess. */
	path("/", "", "");
	path("", "", "");
	path("/user.slice/user-0.slice/session-1.scope", "", "");
	path("/system.slice/docker-" ID ".scop", "", "");
	path("/system.slice/docker-" ID "0.scope", "", "");
	path("/system.slice/crio-conmon-" ID ".scope", "", "");
	path("/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	     "", "");
	path("/docker/" ID "/", ID, "");
	path("/pod" UID "/x", "", "");                /* not under kubepods */
	path("/kubepods/pod1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f", "", "");
	path("/kubepods.slice/kubepods-pod" UID ".slice", "", "");  /* '-' */
	/* The innermost container wins. */
	path("/docker/" ID "/docker/" ID2, ID2, "");
}

static void test_cgroup_files(void)
{
	const char v2[] = "0::/system.slice/docker-" ID ".scope\n";
	const char v1[] = "12:pids:/docker/" ID "\n"
			  "11:cpu,cpuacct:/docker/" ID "\n"
			  "1:name=systemd:/docker/" ID "\n";
	const char none[] = "0::/init.scope\n";
	const char odd[] = "garbage\n::\n0:x\n:::\n0::/kubepods/pod" UID "/"
			   ID;
	struct netns_info info;

	memset(&info, 0, sizeof(info));
	CHECK(netns_parse_cgroup_file(v2, sizeof(v2) - 1, &info));
	CHECK_STR(info.container_id, ID);
	memset(&info, 0, sizeof(info));
	CHECK(netns_parse_cgroup_file(v1, sizeof(v1) - 1, &info));
	CHECK_STR(info.container_id, ID);
	memset(&info, 0, sizeof(info));
	CHECK(!netns_parse_cgroup_file(none, sizeof(none) - 1, &info));
	CHECK_STR(info.container_id, "");
	memset(&info, 0, sizeof(info));
	CHECK(netns_parse_cgroup_file(odd, sizeof(odd) - 1, &info));
	CHECK_STR(info.container_id, ID);
	CHECK_STR(info.pod_uid, UID);
	/* A path may hold ':' after the second one. */
	memset(&info, 0, sizeof(info));
	CHECK(netns_parse_cgroup_file("0::/a:b/docker/" ID, 15 + 64, &info));
	CHECK_STR(info.container_id, ID);
}

static void test_label(void)
{
	struct netns_info info;
	char buf[NETNS_LABEL_MAX];

	memset(&info, 0, sizeof(info));
	netns_label(NULL, buf, sizeof(buf));
	CHECK_STR(buf, "-");
	netns_label(&info, buf, sizeof(buf));
	CHECK_STR(buf, "-");
	strcpy(info.pod_uid, UID);
	netns_label(&info, buf, sizeof(buf));
	CHECK_STR(buf, "pod:" UID);
	strcpy(info.container_id, ID);
	netns_label(&info, buf, sizeof(buf));
	CHECK_STR(buf, "ctr:0123456789ab");
	strcpy(info.name, "web");
	netns_label(&info, buf, sizeof(buf));
	CHECK_STR(buf, "web");
}

/* A fake root: netns/NAME files, proc/PID/ns/net links to "namespace"
 * files (stat follows them to their inode), proc/PID/cgroup. */
static char root[] = "/tmp/tcpdrop-test-netns-XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (text)
		CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void dir(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	mkdir(p, 0755);
}

static void process(const char *pid, const char *ns, const char *cgroup)
{
	char p[512], target[512];

	snprintf(p, sizeof(p), "proc/%s", pid);
	dir(p);
	snprintf(p, sizeof(p), "proc/%s/ns", pid);
	dir(p);
	snprintf(p, sizeof(p), "%s/proc/%s/ns/net", root, pid);
	snprintf(target, sizeof(target), "%s/ns-%s", root, ns);
	CHECK_INT(symlink(target, p), 0);
	snprintf(p, sizeof(p), "proc/%s/cgroup", pid);
	put(p, cgroup);
}

static uint32_t inode(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	CHECK_INT(stat(p, &st), 0);
	return (uint32_t)st.st_ino;
}

static void build_root(void)
{
	CHECK(mkdtemp(root) != NULL);
	dir("proc");
	dir("netns");
	put("ns-a", NULL);
	put("ns-b", NULL);
	put("ns-c", NULL);
	put("ns-d", NULL);
	/* ns-a is named; ns-b holds a container (and a process without);
	 * ns-c a process in no container; ns-d a pod's sandbox. */
	CHECK_INT(link(strcat(strcpy((char[512]){0}, root), "/ns-a"),
		       strcat(strcpy((char[512]){0}, root), "/netns/web")), 0);
	process("10", "b", "0::/user.slice\n");
	process("11", "b", "0::/system.slice/docker-" ID ".scope\n");
	process("12", "c", "0::/init.scope\n");
	process("13", "d", "0::/kubepods/besteffort/pod" UID "\n");
	process("14", "a", "0::/docker/" ID2 "\n");
}

static void test_resolver(void)
{
	char proc[512], netns[512];
	struct netns_resolver *r;
	const struct netns_info *info;
	uint64_t scans;

	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(netns, sizeof(netns), "%s/netns", root);
	CHECK_INT(netns_resolver_new(&r, proc, netns), 0);
	info = netns_lookup(r, inode("ns-a"), 0);
	CHECK_STR(info->name, "web");
	CHECK_STR(info->container_id, ID2);
	info = netns_lookup(r, inode("ns-b"), 0);
	CHECK_STR(info->name, "");
	CHECK_STR(info->container_id, ID);
	info = netns_lookup(r, inode("ns-d"), 0);
	CHECK_STR(info->container_id, "");
	CHECK_STR(info->pod_uid, UID);
	info = netns_lookup(r, inode("ns-c"), 0);
	CHECK_STR(info->name, "");
	CHECK_STR(info->container_id, "");
	CHECK_STR(info->pod_uid, "");
	info = netns_lookup(r, 0, 0);
	CHECK_STR(info->name, "");
	/* Cached: known ones until NETNS_REFRESH_MS, unknown ones until
	 * NETNS_RETRY_MS. */
	scans = netns_resolver_scans(r);
	netns_lookup(r, inode("ns-b"), NETNS_RETRY_MS);
	netns_lookup(r, inode("ns-c"), NETNS_RETRY_MS - 1);
	CHECK_INT(netns_resolver_scans(r), scans);
	netns_lookup(r, inode("ns-c"), NETNS_RETRY_MS);
	CHECK_INT(netns_resolver_scans(r), scans + 1);
	netns_lookup(r, inode("ns-b"), NETNS_REFRESH_MS);
	CHECK_INT(netns_resolver_scans(r), scans + 2);
	netns_resolver_free(r);
}

/* More inodes than the cache holds: it stays bounded and still answers. */
static void test_cache_bound(void)
{
	char proc[512], netns[512];
	struct netns_resolver *r;
	uint32_t i;

	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(netns, sizeof(netns), "%s/netns", root);
	CHECK_INT(netns_resolver_new(&r, proc, netns), 0);
	for (i = 1; i <= 3 * NETNS_CACHE_SIZE; i++)
		netns_lookup(r, 0x70000000 + i, 0);
	CHECK_INT(netns_resolver_scans(r), 3 * NETNS_CACHE_SIZE);
	CHECK_STR(netns_lookup(r, inode("ns-a"), 0)->name, "web");
	netns_resolver_free(r);
}

static void test_find(void)
{
	char proc[512], netns[512];
	struct errmsg msg;
	uint32_t ino = 0;

	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(netns, sizeof(netns), "%s/netns", root);
	CHECK_INT(netns_find(proc, netns, "web", &ino, &msg), 0);
	CHECK_INT(ino, inode("ns-a"));
	CHECK_INT(netns_find(proc, netns, "0123456789ab", &ino, &msg), 0);
	CHECK_INT(ino, inode("ns-b"));
	CHECK_INT(netns_find(proc, netns, ID2, &ino, &msg), 0);
	CHECK_INT(ino, inode("ns-a"));
	CHECK_INT(netns_find(proc, netns, "nosuch", &ino, &msg), -ENOENT);
	CHECK_INT(netns_find(proc, netns, "0123456789ac", &ino, &msg),
		  -ENOENT);
	/* Too short to be a prefix: a name only. */
	CHECK_INT(netns_find(proc, netns, "0123456789a", &ino, &msg), -ENOENT);
	CHECK_INT(netns_find(proc, netns, "..", &ino, &msg), -ENOENT);
}

static void test_find_ambiguous(void)
{
	char proc[512], netns[512];
	struct errmsg msg;
	uint32_t ino = 0;

	/* A second container whose ID shares a 12-digit prefix. */
	put("ns-e", NULL);
	process("15", "e", "0::/docker/0123456789ab" "ffffffffffffffffffff"
		"ffffffffffffffffffffffffffffffff\n");
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(netns, sizeof(netns), "%s/netns", root);
	CHECK_INT(netns_find(proc, netns, "0123456789ab", &ino, &msg),
		  -EEXIST);
	CHECK(strstr(msg.text, "more than one container") != NULL);
	CHECK_INT(netns_find(proc, netns, "0123456789abc", &ino, &msg), 0);
	CHECK_INT(ino, inode("ns-b"));
}

int main(void)
{
	char cmd[600];

	RUN(test_cgroup_paths);
	RUN(test_cgroup_files);
	RUN(test_label);
	build_root();
	RUN(test_resolver);
	RUN(test_cache_bound);
	RUN(test_find);
	RUN(test_find_ambiguous);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		return 1;
	return check_exit_code();
}
