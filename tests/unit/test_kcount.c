/* kcount.c over real BPF maps of the same shape as the program's (root;
 * skipped, and said, where bpf() is refused): this test plays the
 * program's part, adding to keys, and checks what each read hands on, the
 * epochs, and the deletion of keys no program can touch any more. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "kcount.h"
#include "sys.h"

struct fixture {
	struct kcount_maps maps;
	struct kcount *k;
	uint64_t got[8];           /* handed on, by key.port */
	uint64_t unkept;
	int calls;
};

static void on_count(void *ctx, const struct tcpdrop_count_key *key,
		     uint64_t n)
{
	struct fixture *f = ctx;

	if (key->port < 8)
		f->got[key->port] += n;
	f->calls++;
}

static void on_unkept(void *ctx, uint64_t n)
{
	struct fixture *f = ctx;

	f->unkept += n;
}

static int make_map(uint32_t type, uint32_t key_size, uint32_t max)
{
	struct sys_map_spec spec = {
		"tcpdrop_test", type, key_size, sizeof(uint64_t), max, 0,
	};

	return sys_map_create(&spec);
}

static int open_fixture(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->maps.counts = make_map(BPF_MAP_TYPE_HASH,
				  sizeof(struct tcpdrop_count_key), 64);
	f->maps.epoch = -1;
	f->maps.full = make_map(BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(uint32_t), 1);
	if (f->maps.counts >= 0) {
		struct sys_map_spec spec = {
			"tcpdrop_test", BPF_MAP_TYPE_ARRAY, sizeof(uint32_t),
			sizeof(uint32_t), 1, 0,
		};
		f->maps.epoch = sys_map_create(&spec);
	}
	f->maps.nvalues = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (f->maps.counts < 0 || f->maps.epoch < 0 || f->maps.full < 0)
		return -1;
	return kcount_new(&f->k, &f->maps);
}

static void close_fixture(struct fixture *f)
{
	kcount_free(f->k);
	if (f->maps.counts >= 0)
		close(f->maps.counts);
	if (f->maps.epoch >= 0)
		close(f->maps.epoch);
	if (f->maps.full >= 0)
		close(f->maps.full);
}

/* What the program does: adds n under (port, current epoch). */
static void program_adds(struct fixture *f, uint16_t port, uint64_t n)
{
	struct tcpdrop_count_key key;
	uint32_t zero = 0, epoch = 0;
	uint64_t count = 0;

	sys_map_lookup(f->maps.epoch, &zero, &epoch);
	memset(&key, 0, sizeof(key));
	key.port = port;
	key.family = 2;
	key.reason = 2;
	key.epoch = epoch;
	sys_map_lookup(f->maps.counts, &key, &count);
	count += n;
	sys_map_update(f->maps.counts, &key, &count, BPF_ANY);
}

static int keys_in_map(const struct fixture *f)
{
	struct tcpdrop_count_key key, next;
	const void *from = NULL;
	int n = 0;

	while (sys_map_next_key(f->maps.counts, from, &next) == 0) {
		key = next;
		from = &key;
		n++;
	}
	return n;
}

static uint32_t epoch_in_map(const struct fixture *f)
{
	uint32_t zero = 0, epoch = 99;

	sys_map_lookup(f->maps.epoch, &zero, &epoch);
	return epoch;
}

#define SKIP_WITHOUT_BPF(fn, f)                                             \
	if (open_fixture(f)) {                                               \
		close_fixture(f);                                            \
		SKIP(fn, "bpf() map creation refused here (needs root)");    \
		return;                                                      \
	}

/* Each read hands on the growth since the last one, exactly. */
static void test_differences(void)
{
	struct fixture f;
	struct kcount_sink sink = { on_count, on_unkept, &f };

	SKIP_WITHOUT_BPF(test_differences, &f);
	program_adds(&f, 1, 5);
	program_adds(&f, 2, 7);
	CHECK_INT(kcount_read(f.k, 1000, &sink), 0);
	CHECK_INT(f.got[1], 5);
	CHECK_INT(f.got[2], 7);
	program_adds(&f, 1, 3);
	CHECK_INT(kcount_read(f.k, 1100, &sink), 0);
	CHECK_INT(f.got[1], 8);
	CHECK_INT(f.got[2], 7);
	/* Nothing grew: nothing handed on. */
	f.calls = 0;
	CHECK_INT(kcount_read(f.k, 1200, &sink), 0);
	CHECK_INT(f.calls, 0);
	close_fixture(&f);
}

/* The epoch moves at most once a KCOUNT_EPOCH_MS; a key two epochs old
 * is read one last time, then deleted; its drops are never lost nor
 * handed on twice. */
static void test_epochs(void)
{
	struct fixture f;
	struct kcount_sink sink = { on_count, on_unkept, &f };

	SKIP_WITHOUT_BPF(test_epochs, &f);
	program_adds(&f, 1, 4);                     /* epoch 0 */
	CHECK_INT(kcount_read(f.k, 5000, &sink), 0);
	CHECK_INT(epoch_in_map(&f), 0);
	CHECK_INT(kcount_read(f.k, 5000 + KCOUNT_EPOCH_MS - 1, &sink), 0);
	CHECK_INT(epoch_in_map(&f), 0);
	CHECK_INT(kcount_read(f.k, 5000 + KCOUNT_EPOCH_MS, &sink), 0);
	CHECK_INT(epoch_in_map(&f), 1);
	/* A late run of the program that read epoch 0 still counts. */
	{
		struct tcpdrop_count_key key;
		uint64_t count = 6;

		memset(&key, 0, sizeof(key));
		key.port = 1;
		key.family = 2;
		key.reason = 2;
		sys_map_update(f.maps.counts, &key, &count, BPF_ANY);
	}
	program_adds(&f, 1, 10);                    /* epoch 1: a new key */
	CHECK_INT(keys_in_map(&f), 2);
	CHECK_INT(kcount_read(f.k, 5000 + 2 * KCOUNT_EPOCH_MS, &sink), 0);
	CHECK_INT(epoch_in_map(&f), 2);
	CHECK_INT(f.got[1], 16);
	/* Epoch 0's key is gone, epoch 1's stays. */
	CHECK_INT(keys_in_map(&f), 1);
	CHECK_INT(kcount_read(f.k, 5000 + 3 * KCOUNT_EPOCH_MS, &sink), 0);
	CHECK_INT(keys_in_map(&f), 0);
	CHECK_INT(f.got[1], 16);
	close_fixture(&f);
}

/* The drops no key could hold: their growth, per-CPU values summed. */
static void test_unkept(void)
{
	struct fixture f;
	struct kcount_sink sink = { on_count, on_unkept, &f };
	uint64_t *values;
	uint32_t zero = 0;

	SKIP_WITHOUT_BPF(test_unkept, &f);
	values = calloc((size_t)f.maps.nvalues, sizeof(*values));
	CHECK(values != NULL);
	if (!values) {
		close_fixture(&f);
		return;
	}
	values[0] = 3;
	values[f.maps.nvalues - 1] += 4;
	sys_map_update(f.maps.full, &zero, values, BPF_ANY);
	CHECK_INT(kcount_read(f.k, 1, &sink), 0);
	CHECK_INT(f.unkept, 7);
	values[0] = 10;
	sys_map_update(f.maps.full, &zero, values, BPF_ANY);
	CHECK_INT(kcount_read(f.k, 2, &sink), 0);
	CHECK_INT(f.unkept, 14);
	free(values);
	close_fixture(&f);
}

/* A map that went away: the error, and nothing handed on twice after. */
static void test_read_error(void)
{
	struct fixture f;
	struct kcount_sink sink = { on_count, on_unkept, &f };
	int full;

	SKIP_WITHOUT_BPF(test_read_error, &f);
	program_adds(&f, 3, 2);
	full = f.maps.full;
	close(full);
	f.k = (kcount_free(f.k), NULL);
	f.maps.full = 1000000;                      /* not an fd */
	CHECK_INT(kcount_new(&f.k, &f.maps), 0);
	CHECK_INT(kcount_read(f.k, 1, &sink), -EBADF);
	CHECK_INT(f.got[3], 2);
	CHECK_INT(kcount_read(f.k, 2, &sink), -EBADF);
	CHECK_INT(f.got[3], 2);
	f.maps.full = -1;
	close_fixture(&f);
}

int main(void)
{
	RUN(test_differences);
	RUN(test_epochs);
	RUN(test_unkept);
	RUN(test_read_error);
	return check_exit_code();
}
