/* The metrics page: exact text for a few drops, merged series, the
 * "other" series once the table is full (the sum stays exact), label
 * escaping, and the atomic file. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "metrics.h"

static const char *reason(void *ctx, uint32_t r, char *buf, size_t size)
{
	snprintf(buf, size, r == 2 ? "NO_SOCKET" : "R%u", r);
	return buf;
}

static void location(void *ctx, uint64_t addr, char *buf, size_t size)
{
	/* Two addresses in one function. */
	snprintf(buf, size, "%s", addr < 0x2000 ? "tcp_v4_rcv" : "tcp_drop");
}

static void netns(void *ctx, uint32_t inode, char *buf, size_t size)
{
	if (inode == 1)
		snprintf(buf, size, "we\"b\\\n\xff");
	else if (inode == 2)
		snprintf(buf, size, "-");
}

static const struct metrics_namer names = { reason, location, netns, NULL };

static void add(struct metrics *m, uint32_t r, uint64_t loc, uint16_t fam,
		uint8_t state, uint16_t port, uint32_t ns, uint64_t n)
{
	struct tcpdrop_event ev;
	struct metrics_key k;

	memset(&ev, 0, sizeof(ev));
	ev.reason = r;
	ev.location = loc;
	ev.family = fam;
	ev.state = state;
	ev.dport = port;
	ev.netns = ns;
	metrics_key_of(m, &ev, &k);
	metrics_add(m, &k, n);
}

static int starts(const char *s, const char *want)
{
	return strncmp(s, want, strlen(want));
}

static const char *series(struct buf *b)
{
	const char *p = strstr(b->data, "# TYPE tcpdrop_drops_total counter\n");

	return p ? p + strlen("# TYPE tcpdrop_drops_total counter\n") : "";
}

static void test_page(void)
{
	struct metrics_self self = { .lost = 7, .version = "1.2", .kernel = "6.18" };
	struct metrics *m;
	struct buf b = { 0 };

	CHECK_INT(metrics_new(&m, 0), 0);
	add(m, 2, 0x1, AF_INET, TCPDROP_NO_STATE, 9, 5, 2);
	add(m, 2, 0x2, AF_INET, TCPDROP_NO_STATE, 10, 6, 1);
	add(m, 2, 0, AF_INET6, 1, 0, 0, 1);
	add(m, TCPDROP_NO_REASON, 0x1000, AF_INET, 10, 0, 0, 1);
	add(m, TCPDROP_NO_REASON, 0x1004, AF_INET, 10, 0, 0, 1);
	add(m, TCPDROP_NO_REASON, 0x3000, 0, TCPDROP_NO_STATE, 0, 0, 1);
	CHECK_INT(metrics_total(m), 7);
	CHECK_INT(metrics_render(m, &names, &self, &b), 0);
	CHECK(strncmp(b.data, "# HELP tcpdrop_drops_total ", 27) == 0);
	CHECK_STR(strstr(series(&b), "# HELP") ? "" : "x", "");
	if (starts(series(&b),
		    "tcpdrop_drops_total{reason=\"NO_SOCKET\",family=\"ipv4\",state=\"NONE\"} 3\n"
		    "tcpdrop_drops_total{reason=\"NO_SOCKET\",family=\"ipv6\",state=\"ESTABLISHED\"} 1\n"
		    "tcpdrop_drops_total{reason=\"tcp_drop\",family=\"none\",state=\"NONE\"} 1\n"
		    "tcpdrop_drops_total{reason=\"tcp_v4_rcv\",family=\"ipv4\",state=\"LISTEN\"} 2\n"
		    "# HELP tcpdrop_lost_events_total "))
		CHECK_FAIL_("page:\n%s", b.data);
	CHECK(strstr(b.data, "\ntcpdrop_lost_events_total 7\n") != NULL);
	CHECK(strstr(b.data, "\ntcpdrop_build_info{version=\"1.2\",kernel=\"6.18\"} 1\n") != NULL);
	CHECK(strstr(b.data, "tcpdrop_http_requests_total") == NULL);
	CHECK(strstr(b.data, "# TYPE tcpdrop_build_info gauge\n") != NULL);
	buf_free(&b);
	metrics_free(m);
}

static void test_labels(void)
{
	static const int codes[] = { 200, 404 };
	static const uint64_t counts[] = { 3, 1 };
	struct metrics_self self = {
		.http = true, .http_codes = codes, .http_responses = counts,
		.http_ncodes = 2, .http_refused = 4,
	};
	struct metrics *m;
	struct buf b = { 0 };

	CHECK_INT(metrics_new(&m, METRICS_LABEL_PORT | METRICS_LABEL_NETNS), 0);
	add(m, 2, 0, AF_INET, TCPDROP_NO_STATE, 9, 1, 1);
	add(m, 2, 0, AF_INET, TCPDROP_NO_STATE, 9, 2, 1);
	CHECK_INT(metrics_render(m, &names, &self, &b), 0);
	if (starts(series(&b),
		    "tcpdrop_drops_total{reason=\"NO_SOCKET\",family=\"ipv4\",state=\"NONE\",port=\"9\",netns=\"2\"} 1\n"
		    "tcpdrop_drops_total{reason=\"NO_SOCKET\",family=\"ipv4\",state=\"NONE\",port=\"9\",netns=\"we\\\"b\\\\\\n\xef\xbf\xbd\"} 1\n"))
		CHECK_FAIL_("page:\n%s", b.data);
	CHECK(strstr(b.data, "\ntcpdrop_http_requests_total{code=\"404\"} 1\n") != NULL);
	CHECK(strstr(b.data, "\ntcpdrop_http_connections_refused_total 4\n") != NULL);
	buf_free(&b);
	metrics_free(m);
}

/* Past METRICS_MAX_KEYS distinct keys: the rest under "other", and the
 * series still add up to every drop. */
static void test_overflow(void)
{
	struct metrics_self self = { 0 };
	struct metrics *m;
	struct buf b = { 0 };
	uint64_t sum = 0;
	const char *p;
	uint32_t i;

	CHECK_INT(metrics_new(&m, METRICS_LABEL_PORT), 0);
	for (i = 0; i < METRICS_MAX_KEYS + 100; i++)
		add(m, 2, 0, AF_INET, TCPDROP_NO_STATE, (uint16_t)(i + 1), 0, 2);
	CHECK_INT(metrics_total(m), 2 * (METRICS_MAX_KEYS + 100));
	CHECK_INT(metrics_render(m, &names, &self, &b), 0);
	CHECK(strstr(b.data, "tcpdrop_drops_total{reason=\"other\",family=\"other\",state=\"other\",port=\"other\"} 200\n") != NULL);
	for (p = b.data; (p = strstr(p, "\ntcpdrop_drops_total{")); p++)
		sum += strtoull(strchr(p, '}') + 2, NULL, 10);
	CHECK_INT(sum, metrics_total(m));
	buf_free(&b);
	metrics_free(m);
}

static void test_file(void)
{
	char dir[] = "/tmp/tcpdrop-test-metrics-XXXXXX", path[256], tmp[256];
	char got[64] = "";
	struct errmsg msg;
	struct stat st;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/tcpdrop.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s/.tcpdrop.prom.%d.tmp", dir, (int)getpid());
	CHECK_INT(metrics_write_file(path, "a 1\n", 4, &msg), 0);
	CHECK_INT(metrics_write_file(path, "b 2\n", 4, &msg), 0);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		CHECK(fgets(got, sizeof(got), f) != NULL);
		fclose(f);
	}
	CHECK_STR(got, "b 2\n");
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0644);
	CHECK(access(tmp, F_OK) != 0);
	unlink(path);
	rmdir(dir);
	/* A directory that is not there: an error naming the file. */
	CHECK_INT(metrics_write_file("/nonexistent-dir/x.prom", "a", 1, &msg),
		  -ENOENT);
	CHECK_STR(msg.text, "cannot write /nonexistent-dir/x.prom: No such file "
		  "or directory (making its temporary file beside it)");
}

/* What is at the path may be replaced only when it is a regular file: a
 * symbolic link stays a link to an untouched file, a FIFO stays a FIFO,
 * and nothing is left beside them. */
static void test_file_odd_paths(void)
{
	char dir[] = "/tmp/tcpdrop-test-metrics-XXXXXX", path[256], target[256];
	char sub[256], tmp[256], longname[512];
	struct errmsg msg;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(target, sizeof(target), "%s/real.prom", dir);
	snprintf(path, sizeof(path), "%s/link.prom", dir);
	CHECK_INT(symlink(target, path), 0);
	CHECK_INT(metrics_check_file(path, &msg), -EEXIST);
	CHECK_STR(msg.text + strlen("cannot write ") + strlen(dir), "/link.prom: it is a symbolic link, "
		  "which the page would replace; give a regular file or a new "
		  "name");
	CHECK_INT(metrics_write_file(path, "a 1\n", 4, &msg), -EEXIST);
	CHECK_INT(lstat(path, &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK(access(target, F_OK) != 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fifo.prom", dir);
	CHECK_INT(mkfifo(path, 0600), 0);
	CHECK_INT(metrics_write_file(path, "a 1\n", 4, &msg), -EEXIST);
	CHECK(strstr(msg.text, "it is a FIFO") != NULL);
	CHECK_INT(lstat(path, &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	unlink(path);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CHECK_INT(mkdir(sub, 0700), 0);
	CHECK_INT(metrics_check_file(sub, &msg), -EEXIST);
	CHECK(strstr(msg.text, "it is a directory") != NULL);
	snprintf(longname, sizeof(longname), "%s/", sub);
	CHECK_INT(metrics_check_file(longname, &msg), -EEXIST);
	rmdir(sub);
	/* A name the file system can hold, but not with ".PID.tmp" around
	 * it. */
	memset(longname, 0, sizeof(longname));
	snprintf(longname, sizeof(longname), "%s/", dir);
	memset(longname + strlen(longname), 'a', 252);
	CHECK_INT(metrics_check_file(longname, &msg), -ENAMETOOLONG);
	/* A good path: checked by making the temporary file, then removed. */
	snprintf(path, sizeof(path), "%s/ok.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s/.ok.prom.%d.tmp", dir, (int)getpid());
	CHECK_INT(metrics_check_file(path, &msg), 0);
	CHECK(access(tmp, F_OK) != 0);
	CHECK(access(path, F_OK) != 0);
	CHECK_INT(rmdir(dir), 0);
}

int main(void)
{
	RUN(test_page);
	RUN(test_labels);
	RUN(test_overflow);
	RUN(test_file);
	RUN(test_file_odd_paths);
	return check_exit_code();
}
