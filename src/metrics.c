#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"

/* Open addressing at most half full. */
#define SLOTS (2 * METRICS_MAX_KEYS)

struct slot {
	struct metrics_key key;
	uint64_t count;
	bool used;
};

struct metrics {
	unsigned labels;
	struct slot *slots;
	size_t nkeys;
	uint64_t other;      /* drops whose key did not fit */
	uint64_t total;
};

int metrics_new(struct metrics **out, unsigned labels)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m)
		m->slots = calloc(SLOTS, sizeof(*m->slots));
	if (!m || !m->slots) {
		free(m);
		return -ENOMEM;
	}
	m->labels = labels;
	*out = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

void metrics_key_of(const struct metrics *m, const struct tcpdrop_event *ev,
		    struct metrics_key *k)
{
	memset(k, 0, sizeof(*k));
	k->reason = ev->reason;
	if (ev->reason == TCPDROP_NO_REASON)
		k->location = ev->location;
	k->family = ev->family;
	k->state = ev->state;
	if (m->labels & METRICS_LABEL_PORT)
		k->port = ev->dport;
	if (m->labels & METRICS_LABEL_NETNS)
		k->netns = ev->netns;
}

/* FNV-1a over the key's bytes (padding included: keys are zeroed). */
static size_t hash(const struct metrics_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return (size_t)(h % SLOTS);
}

void metrics_add(struct metrics *m, const struct metrics_key *k, uint64_t n)
{
	size_t i = hash(k);

	m->total += n;
	while (m->slots[i].used) {
		if (memcmp(&m->slots[i].key, k, sizeof(*k)) == 0) {
			m->slots[i].count += n;
			return;
		}
		i = (i + 1) % SLOTS;
	}
	if (m->nkeys == METRICS_MAX_KEYS) {
		m->other += n;
		return;
	}
	m->slots[i].used = true;
	m->slots[i].key = *k;
	m->slots[i].count = n;
	m->nkeys++;
}

void metrics_add_other(struct metrics *m, uint64_t n)
{
	m->total += n;
	m->other += n;
}

uint64_t metrics_total(const struct metrics *m)
{
	return m->total;
}

/* A label value as the format wants it: backslash, quote and newline
 * escaped; bytes that are not UTF-8 as U+FFFD (names come from outside:
 * a /run/netns file can be called anything). */
static void put_value(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, len = strlen(s);

	while (i < len) {
		if (p[i] == '\\' || p[i] == '"') {
			buf_printf(b, "\\%c", p[i]);
			i++;
		} else if (p[i] == '\n') {
			buf_append(b, "\\n", 2);
			i++;
		} else if (p[i] >= 0x80) {
			n = utf8_sequence_length(p + i, len - i);
			if (n)
				buf_append(b, s + i, n);
			else
				buf_append(b, "\xef\xbf\xbd", 3);
			i += n ? n : 1;
		} else {
			buf_append(b, s + i, 1);
			i++;
		}
	}
}

static void put_label(struct buf *b, const char *name, const char *value,
		      bool first)
{
	buf_printf(b, "%s%s=\"", first ? "" : ",", name);
	put_value(b, value);
	buf_append(b, "\"", 1);
}

static const char *family_value(uint16_t family)
{
	if (family == AF_INET)
		return "ipv4";
	if (family == AF_INET6)
		return "ipv6";
	return "none";
}

/* The state as --state names it: NONE for no socket. */
static const char *state_value(uint8_t state, char *buf, size_t size)
{
	const char *s = tcp_state_name(state, buf, size);

	return strcmp(s, "-") == 0 ? "NONE" : s;
}

/* The labels of one key, "reason=\"...\",...". */
static void labels_of(const struct metrics *m, const struct metrics_key *k,
		      const struct metrics_namer *names, struct buf *b)
{
	char name[256], state[16];
	const char *reason = NULL;

	if (k->reason != TCPDROP_NO_REASON && names && names->reason)
		reason = names->reason(names->ctx, k->reason, name,
				       sizeof(name));
	if (k->reason == TCPDROP_NO_REASON) {
		if (names && names->location && k->location)
			names->location(names->ctx, k->location, name,
					sizeof(name));
		else
			snprintf(name, sizeof(name), "0x%llx",
				 (unsigned long long)k->location);
		reason = name;
	} else if (!reason) {
		snprintf(name, sizeof(name), "REASON_%u", k->reason);
		reason = name;
	}
	put_label(b, "reason", reason, true);
	put_label(b, "family", family_value(k->family), false);
	put_label(b, "state", state_value(k->state, state, sizeof(state)),
		  false);
	if (m->labels & METRICS_LABEL_PORT) {
		snprintf(name, sizeof(name), "%u", k->port);
		put_label(b, "port", name, false);
	}
	if (m->labels & METRICS_LABEL_NETNS) {
		name[0] = '\0';
		if (names && names->netns)
			names->netns(names->ctx, k->netns, name, sizeof(name));
		/* No name known: the inode, never a guess. */
		if (!name[0] || strcmp(name, "-") == 0)
			snprintf(name, sizeof(name), "%u", k->netns);
		put_label(b, "netns", name, false);
	}
}

static void other_labels(const struct metrics *m, struct buf *b)
{
	put_label(b, "reason", "other", true);
	put_label(b, "family", "other", false);
	put_label(b, "state", "other", false);
	if (m->labels & METRICS_LABEL_PORT)
		put_label(b, "port", "other", false);
	if (m->labels & METRICS_LABEL_NETNS)
		put_label(b, "netns", "other", false);
}

struct series {
	char *labels;
	uint64_t count;
};

static int by_labels(const void *a, const void *b)
{
	return strcmp(((const struct series *)a)->labels,
		      ((const struct series *)b)->labels);
}

static void free_series(struct series *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i].labels);
	free(s);
}

/* The series of tcpdrop_drops_total, named, sorted and merged. */
static int drop_series(struct metrics *m, const struct metrics_namer *names,
		       struct series **out, size_t *count)
{
	struct series *s = calloc(m->nkeys + 1, sizeof(*s));
	struct buf b = { 0 };
	size_t i, n = 0, j;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < SLOTS; i++) {
		if (!m->slots[i].used)
			continue;
		buf_reset(&b);
		labels_of(m, &m->slots[i].key, names, &b);
		if (b.failed || !(s[n].labels = strdup(b.data)))
			goto nomem;
		s[n++].count = m->slots[i].count;
	}
	if (m->other) {
		buf_reset(&b);
		other_labels(m, &b);
		if (b.failed || !(s[n].labels = strdup(b.data)))
			goto nomem;
		s[n++].count = m->other;
	}
	buf_free(&b);
	qsort(s, n, sizeof(*s), by_labels);
	for (i = 0, j = 0; i < n; i++) {
		if (j && strcmp(s[j - 1].labels, s[i].labels) == 0) {
			s[j - 1].count += s[i].count;
			free(s[i].labels);
			continue;
		}
		s[j++] = s[i];
	}
	*out = s;
	*count = j;
	return 0;
nomem:
	buf_free(&b);
	free_series(s, n);
	return -ENOMEM;
}

static void help(struct buf *b, const char *name, const char *type,
		 const char *text)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void self_metrics(const struct metrics_self *self, struct buf *b)
{
	int i;

	help(b, "tcpdrop_lost_events_total", "counter",
	     "Drops the kernel made that tcpdrop saw but could not record "
	     "(its ring was full); not in tcpdrop_drops_total.");
	buf_printf(b, "tcpdrop_lost_events_total %llu\n",
		   (unsigned long long)self->lost);
	help(b, "tcpdrop_build_info", "gauge",
	     "Always 1: the version of tcpdrop and the kernel release it "
	     "runs on.");
	buf_append(b, "tcpdrop_build_info{", 19);
	put_label(b, "version", self->version ? self->version : "", true);
	put_label(b, "kernel", self->kernel ? self->kernel : "", false);
	buf_append(b, "} 1\n", 4);
	if (self->http) {
		help(b, "tcpdrop_http_requests_total", "counter",
		     "HTTP requests the metrics server answered, by status "
		     "code.");
		for (i = 0; i < self->http_ncodes; i++)
			buf_printf(b, "tcpdrop_http_requests_total{code=\"%d\"} "
				   "%llu\n", self->http_codes[i],
				   (unsigned long long)self->http_responses[i]);
		help(b, "tcpdrop_http_connections_refused_total", "counter",
		     "Connections closed at once: all the server's "
		     "connection slots were taken.");
		buf_printf(b, "tcpdrop_http_connections_refused_total %llu\n",
			   (unsigned long long)self->http_refused);
	}
	if (self->file) {
		help(b, "tcpdrop_metrics_file_errors_total", "counter",
		     "Times the --metrics-file page could not be written.");
		buf_printf(b, "tcpdrop_metrics_file_errors_total %llu\n",
			   (unsigned long long)self->file_errors);
	}
}

int metrics_render(struct metrics *m, const struct metrics_namer *names,
		   const struct metrics_self *self, struct buf *out)
{
	struct series *s;
	size_t i, n;
	int ret = drop_series(m, names, &s, &n);

	if (ret)
		return ret;
	help(out, "tcpdrop_drops_total", "counter",
	     "TCP packets the kernel dropped, as traced (after tcpdrop's "
	     "filters), by the kernel's drop reason (the dropping function "
	     "on kernels without reasons).");
	for (i = 0; i < n; i++)
		buf_printf(out, "tcpdrop_drops_total{%s} %llu\n", s[i].labels,
			   (unsigned long long)s[i].count);
	free_series(s, n);
	self_metrics(self, out);
	return out->failed ? -ENOMEM : 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ".NAME.PID.tmp" beside `path`, into tmp: node_exporter reads only
 * *.prom, and the PID keeps two runs given one path from writing into one
 * temporary file (a page mixed of both). 0 or -ENAMETOOLONG. */
static int temp_name(const char *path, char *tmp, size_t size)
{
	const char *slash = strrchr(path, '/');
	int ret;

	if (slash)
		ret = snprintf(tmp, size, "%.*s/.%s.%d.tmp",
			       (int)(slash - path), path, slash + 1,
			       (int)getpid());
	else
		ret = snprintf(tmp, size, ".%s.%d.tmp", path, (int)getpid());
	return ret < 0 || (size_t)ret >= size ? -ENAMETOOLONG : 0;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISFIFO(mode))
		return "a FIFO";
	return "a socket";
}

/* What is at `path` now may be replaced: nothing, or a regular file.
 * rename() would put the page in place of a symbolic link (not through
 * it), a device node (/dev/null, once) or a FIFO. */
static int check_target(const char *path, struct errmsg *msg)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		return errmsg_set(msg, -errno, "cannot write %s: %s", path,
				  strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return errmsg_set(msg, -EEXIST, "cannot write %s: it is %s, "
				  "which the page would replace; give a "
				  "regular file or a new name", path,
				  file_kind(st.st_mode));
	return 0;
}

/* The temporary file beside `path`, opened for writing (its name into
 * tmp), once `path` is known to be one the page may replace. The fd, or
 * -errno with `msg`. */
static int open_temp(const char *path, char *tmp, size_t size,
		     struct errmsg *msg)
{
	int fd, ret = temp_name(path, tmp, size);

	if (ret)
		return errmsg_set(msg, ret, "cannot write %s: %s", path,
				  strerror(-ret));
	ret = check_target(path, msg);
	if (ret)
		return ret;
	/* O_NOFOLLOW: a link planted under the temporary name is not
	 * written through. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return errmsg_set(msg, -errno, "cannot write %s: %s (making "
				  "its temporary file beside it)", path,
				  strerror(errno));
	return fd;
}

int metrics_check_file(const char *path, struct errmsg *msg)
{
	char tmp[4096];
	int fd = open_temp(path, tmp, sizeof(tmp), msg);

	if (fd < 0)
		return fd;
	close(fd);
	unlink(tmp);
	return 0;
}

int metrics_write_file(const char *path, const char *data, size_t len,
		       struct errmsg *msg)
{
	char tmp[4096];
	int fd = open_temp(path, tmp, sizeof(tmp), msg), ret;

	if (fd < 0)
		return fd;
	ret = write_all(fd, data, len);
	/* The mode asked for, whatever the umask: the collector must read it. */
	if (ret == 0 && fchmod(fd, 0644))
		ret = -errno;
	if (close(fd) && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return errmsg_set(msg, ret, "cannot write %s: %s", path,
				  strerror(-ret));
	}
	return 0;
}
