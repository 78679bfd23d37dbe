/* The embedded object as the loader sees it: programs, maps, constants,
 * CO-RE relocation against each kernel's record layout, and corrupt copies.
 * Needs no root: nothing here calls bpf(). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "event.h"
#include "fixture.h"
#include "config.h"
#include "object.h"

extern const unsigned char tcpdrop_bpf_object[];
extern const unsigned char tcpdrop_bpf_object_end[];

#define OBJ_LEN ((size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object))
#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

static size_t rodata_size(const struct bpf_object *obj)
{
	const void *data;
	size_t size = 0;
	int idx = elf_find_section(&obj->elf, ".rodata");

	if (idx < 0 || elf_section_data(&obj->elf, idx, &data, &size))
		return 0;
	return size;
}

static void test_open(void)
{
	struct errmsg err = { "" };
	const struct object_map *m;
	struct bpf_object obj;

	CHECK_INT(object_open(&obj, tcpdrop_bpf_object, OBJ_LEN, &err), 0);
	CHECK_INT(obj.nprogs, 5);
	CHECK_STR(obj.progs[0].name, "tcpdrop_kfree_skb");
	CHECK_STR(obj.progs[0].sec_name, "tracepoint/skb/kfree_skb");
	CHECK_INT(obj.progs[0].type, BPF_PROG_TYPE_TRACEPOINT);
	CHECK_INT(obj.progs[0].expected_attach_type, 0);
	/* The same tracepoint as tp_btf: a tracing program attached as a
	 * raw tracepoint, its BTF id given by the loader. */
	CHECK_STR(obj.progs[1].name, "tcpdrop_kfree_skb_btf");
	CHECK_STR(obj.progs[1].sec_name, "tp_btf/kfree_skb");
	CHECK_INT(obj.progs[1].type, BPF_PROG_TYPE_TRACING);
	CHECK_INT(obj.progs[1].expected_attach_type, BPF_TRACE_RAW_TP);
	CHECK_INT(obj.progs[1].attach_btf_id, 0);
	CHECK_INT(object_set_attach_btf_id(&obj, "tcpdrop_kfree_skb_btf", 77),
		  0);
	CHECK_INT(obj.progs[1].attach_btf_id, 77);
	CHECK_INT(object_set_attach_btf_id(&obj, "no_such_prog", 77), -ENOENT);
	/* The feature probe: a tp_btf program of its own section. */
	CHECK_STR(obj.progs[2].name, "tcpdrop_probe_packet");
	CHECK_STR(obj.progs[2].sec_name, "tp_btf/probe_packet");
	CHECK_INT(obj.progs[2].type, BPF_PROG_TYPE_TRACING);
	CHECK_INT(obj.progs[2].expected_attach_type, BPF_TRACE_RAW_TP);
	/* The batches' flush: a raw_tp program run on a CPU, never
	 * attached. */
	CHECK_STR(obj.progs[3].name, "tcpdrop_flush");
	CHECK_STR(obj.progs[3].sec_name, "raw_tp/tcpdrop_flush");
	CHECK_INT(obj.progs[3].type, BPF_PROG_TYPE_RAW_TRACEPOINT);
	CHECK_INT(obj.progs[3].expected_attach_type, 0);
	CHECK_STR(obj.progs[4].name, "tcpdrop_tcp_drop");
	CHECK_STR(obj.progs[4].sec_name, "kprobe/tcp_drop");
	CHECK_INT(obj.progs[4].type, BPF_PROG_TYPE_KPROBE);
	CHECK_STR(obj.license, "GPL");
	CHECK_INT(obj.nmaps, 12);
	/* The BPF ring buffer: its size in bytes is set by the loader. */
	m = object_map(&obj, "tcpdrop_ring");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_RINGBUF &&
	      m->spec.key_size == 0 && m->spec.value_size == 0 &&
	      m->spec.max_entries == 0);
	/* -N NAME's namespaces, keys only. */
	m = object_map(&obj, "tcpdrop_netns_set");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_HASH &&
	      m->spec.key_size == 4 && m->spec.value_size == 4 &&
	      m->spec.max_entries == TCPDROP_NETNS_SET_MAX);
	/* Count mode's keys (1 entry until the loader sizes it), its epoch,
	 * and the drops no key could hold. */
	m = object_map(&obj, "tcpdrop_counts");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_HASH &&
	      m->spec.key_size == sizeof(struct tcpdrop_count_key) &&
	      m->spec.value_size == 8 && m->spec.max_entries == 1 &&
	      m->spec.flags == 0);
	m = object_map(&obj, "tcpdrop_count_epoch");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_ARRAY &&
	      m->spec.key_size == 4 && m->spec.value_size == 4 &&
	      m->spec.max_entries == 1);
	m = object_map(&obj, "tcpdrop_count_full");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_PERCPU_ARRAY &&
	      m->spec.key_size == 4 && m->spec.value_size == 8 &&
	      m->spec.max_entries == 1);
	/* The self-check's records, one a drop. */
	m = object_map(&obj, "tcpdrop_check");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_ARRAY &&
	      m->spec.key_size == 4 &&
	      m->spec.value_size == sizeof(struct tcpdrop_event) &&
	      m->spec.max_entries == TCPDROP_SELFCHECK_DROPS);
	/* The program's phase: self-check, then tracing. */
	m = object_map(&obj, "tcpdrop_phase");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_ARRAY &&
	      m->spec.key_size == 4 &&
	      m->spec.value_size == sizeof(struct tcpdrop_phase) &&
	      m->spec.max_entries == 1);
	m = object_map(&obj, "tcpdrop_events");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY &&
	      m->spec.key_size == 4 && m->spec.value_size == 4 &&
	      m->spec.max_entries == 0);
	/* The record with room for its stack frames and its packet (-w),
	 * one per CPU; the CPU's count of ring bytes since its last wakeup
	 * of the reader, its last clock reading and tick, and its batch. */
	m = object_map(&obj, "tcpdrop_scratch");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_PERCPU_ARRAY &&
	      m->spec.key_size == 4 && m->spec.max_entries == 1 &&
	      m->spec.value_size == sizeof(struct tcpdrop_event) +
				    TCPDROP_STACK_BUF * 8 + TCPDROP_SNAP_BUF +
				    3 * 8 + TCPDROP_BATCH_MAX *
				    sizeof(struct tcpdrop_event));
	/* Each CPU's batch: busy, and how many records it holds. */
	m = object_map(&obj, "tcpdrop_batch_state");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_PERCPU_ARRAY &&
	      m->spec.key_size == 4 && m->spec.max_entries == 1 &&
	      m->spec.value_size == sizeof(struct tcpdrop_batch_state));
	/* The program's own count of records it could not write. */
	m = object_map(&obj, "tcpdrop_lost");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_PERCPU_ARRAY &&
	      m->spec.key_size == 4 && m->spec.value_size == 8 &&
	      m->spec.max_entries == 1);
	/* One value holding the whole .rodata section. */
	m = object_map(&obj, "tcpdrop_rodata");
	CHECK(m && m->spec.type == BPF_MAP_TYPE_ARRAY &&
	      m->spec.max_entries == 1 && m->spec.flags == BPF_F_RDONLY_PROG &&
	      m->spec.value_size == rodata_size(&obj));
	object_close(&obj);
}

static void test_settings(void)
{
	struct errmsg err = { "" };
	struct bpf_object obj;
	struct tcpdrop_config cfg;
	uint32_t cpus = 8;
	const struct object_map *rodata;

	CHECK_INT(object_open(&obj, tcpdrop_bpf_object, OBJ_LEN, &err), 0);
	rodata = object_map(&obj, "tcpdrop_rodata");
	if (!rodata) {
		CHECK(rodata);
		object_close(&obj);
		return;
	}
	/* The settings are the whole .rodata: one struct, filled at once. */
	CHECK_INT(rodata->spec.value_size, sizeof(cfg));
	memset(&cfg, 0, sizeof(cfg));
	CHECK(memcmp(&cfg, rodata->data, sizeof(cfg)) == 0);
	cfg.family = 10;
	cfg.ports[TCPDROP_PORTS_MAX - 1] = 443;
	cfg.netns = 4026531840u;
	CHECK_INT(object_set_rodata(&obj, TCPDROP_CONFIG_NAME, &cfg,
				    sizeof(cfg)), 0);
	CHECK(memcmp(&cfg, rodata->data, sizeof(cfg)) == 0);
	CHECK_INT(object_set_rodata(&obj, TCPDROP_CONFIG_NAME, &cfg,
				    sizeof(cfg) - 4), -EINVAL);
	CHECK_INT(object_set_rodata(&obj, "cfg_nothing", &cfg, 4), -ENOENT);
	CHECK_INT(object_set_max_entries(&obj, "tcpdrop_events", cpus), 0);
	CHECK_INT(object_map(&obj, "tcpdrop_events")->spec.max_entries, 8);
	CHECK_INT(object_set_max_entries(&obj, "nope", cpus), -ENOENT);
	object_close(&obj);
}

static size_t count_calls(const struct bpf_object *obj, int32_t helper)
{
	size_t i, n = 0;

	for (i = 0; i < obj->progs[0].insn_cnt; i++)
		if (obj->progs[0].insns[i].code == (BPF_JMP | BPF_CALL) &&
		    obj->progs[0].insns[i].imm == helper)
			n++;
	return n;
}

static void test_replace_helper(void)
{
	struct errmsg err = { "" };
	struct bpf_object obj;
	size_t n;

	CHECK_INT(object_open(&obj, tcpdrop_bpf_object, OBJ_LEN, &err), 0);
	n = count_calls(&obj, TCPDROP_HELPER_PROBE_READ_KERNEL);
	CHECK(n > 0);
	CHECK_INT(count_calls(&obj, TCPDROP_HELPER_PROBE_READ), 0);
	object_replace_helper(&obj, TCPDROP_HELPER_PROBE_READ_KERNEL,
			      TCPDROP_HELPER_PROBE_READ);
	CHECK_INT(count_calls(&obj, TCPDROP_HELPER_PROBE_READ), n);
	CHECK_INT(count_calls(&obj, TCPDROP_HELPER_PROBE_READ_KERNEL), 0);
	object_close(&obj);
}

/* What a relocated tracepoint-record access became. */
struct ctx_access {
	const struct bpf_object *obj;
	const char *access;       /* "0:3" = 4th member */
	uint32_t kind;
	int found;
	struct bpf_insn insn;     /* as patched */
};

static int find_ctx_access(void *arg, const char *sec,
			   const struct bpf_core_relo *relo)
{
	struct ctx_access *want = arg;
	const struct btf_type *t = btf_type_by_id(want->obj->btf, relo->type_id);

	/* The main program's accesses; the self-check's are the same. */
	if (strcmp(sec, want->obj->progs[0].sec_name) != 0 || !t ||
	    strcmp(btf_str(want->obj->btf, t->name_off),
		   "trace_event_raw_kfree_skb") != 0 ||
	    strcmp(btf_str(want->obj->btf, relo->access_str_off),
		   want->access) != 0 || relo->kind != want->kind)
		return 0;
	want->found++;
	want->insn = want->obj->progs[0].insns[relo->insn_off / 8];
	return 0;
}

static struct bpf_insn ctx_insn(const struct bpf_object *obj,
				const char *access, uint32_t kind)
{
	struct ctx_access want = { obj, access, kind, 0, { 0 } };

	btf_ext_for_each_core_relo(obj->btf, obj->btf_ext, obj->btf_ext_len,
				   find_ctx_access, &want);
	CHECK(want.found > 0);
	return want.insn;
}

/* Relocates against kernel BTF plus a record layout, and checks the
 * instructions that read the record: the protocol load's offset, and the
 * existence tests of reason and rx_sk. Local member order in
 * bpf/tcpdrop.bpf.c: skbaddr, location, rx_sk, protocol, reason. */
static void check_layout(const struct btf *kbtf, const char *fixture,
			 int16_t protocol_off, int has_rx_sk, int has_reason)
{
	struct errmsg err = { "" };
	struct tp_format fmt;
	struct bpf_object obj;
	struct core_target target = { kbtf, "trace_event_raw_kfree_skb", &fmt };

	if (parse_fixture(&fmt, fixture))
		return;
	CHECK_INT(object_open(&obj, tcpdrop_bpf_object, OBJ_LEN, &err), 0);
	CHECK_INT(object_core_relocate(&obj, &target, &err), 0);
	if (err.text[0])
		printf("     %s: %s\n", fixture, err.text);
	CHECK_INT(ctx_insn(&obj, "0:3", BPF_CORE_FIELD_BYTE_OFFSET).off,
		  protocol_off);
	CHECK_INT(ctx_insn(&obj, "0:2", BPF_CORE_FIELD_EXISTS).imm, has_rx_sk);
	CHECK_INT(ctx_insn(&obj, "0:4", BPF_CORE_FIELD_EXISTS).imm, has_reason);
	object_close(&obj);
	tp_format_free(&fmt);
}

static void test_core_layouts(void)
{
	struct btf *kbtf = NULL;

	if (btf_load_file(&kbtf, KERNEL_BTF)) {
		SKIP(test_core_layouts, KERNEL_BTF " is not readable here");
		return;
	}
	check_layout(kbtf, "kfree_skb-5.10.format", 24, 0, 0);
	check_layout(kbtf, "kfree_skb-6.1.format", 24, 0, 1);
	check_layout(kbtf, "kfree_skb-6.12.format", 32, 1, 1);
	check_layout(kbtf, "kfree_skb-6.18.format", 32, 1, 1);
	btf_free(kbtf);
}

/* A record field of another size than the program's is refused, and the
 * one line that says so names it. */
static void test_core_refusal_message(void)
{
	struct errmsg err = { "" };
	struct tp_format fmt;
	struct bpf_object obj;
	struct core_target target = { NULL, "trace_event_raw_kfree_skb", &fmt };
	int i;

	if (parse_fixture(&fmt, "kfree_skb-6.12.format"))
		return;
	for (i = 0; i < fmt.nfields; i++)
		if (strcmp(fmt.fields[i].name, "protocol") == 0)
			fmt.fields[i].size = 4;
	CHECK_INT(object_open(&obj, tcpdrop_bpf_object, OBJ_LEN, &err), 0);
	CHECK_INT(object_core_relocate(&obj, &target, &err), -EINVAL);
	CHECK_STR(err.text, "CO-RE: trace_event_raw_kfree_skb.protocol is 4 "
		  "bytes in the kernel, the program reads 2");
	object_close(&obj);
	tp_format_free(&fmt);
}

/* Points each reference into .rodata of the program at `off` bytes into
 * the section (imm is added to its symbol's value); returns how many. */
static int aim_rodata_refs(struct bpf_object *obj, uint32_t off)
{
	int rodata = elf_find_section(&obj->elf, ".rodata"), idx, n = 0;
	struct object_prog *prog = &obj->progs[0];
	size_t count, i;
	Elf64_Shdr sh;
	Elf64_Rel rel;
	Elf64_Sym sym;
	const char *name;

	for (idx = 1; idx < obj->elf.shnum; idx++) {
		if (elf_section(&obj->elf, idx, &sh) || sh.sh_type != SHT_REL ||
		    sh.sh_info != (uint32_t)prog->sec_idx ||
		    elf_rel_count(&obj->elf, idx, &count))
			continue;
		for (i = 0; i < count; i++) {
			if (elf_rel(&obj->elf, idx, i, &rel) ||
			    elf_symbol(&obj->elf, ELF64_R_SYM(rel.r_info), &sym,
				       &name) ||
			    sym.st_shndx != rodata)
				continue;
			prog->insns[rel.r_offset / 8].imm =
				(int32_t)(off - sym.st_value);
			n++;
		}
	}
	return n;
}

/* A reference into .rodata past its end is refused before anything is
 * loaded. The maps get stand-in fds (/dev/null): the references are
 * patched without bpf(), and the refusal comes first. */
static void test_rodata_offset_bound(void)
{
	struct errmsg err = { "" };
	struct bpf_object obj;
	char want[128];
	uint32_t size;
	int m;

	CHECK_INT(object_open(&obj, tcpdrop_bpf_object, OBJ_LEN, &err), 0);
	for (m = 0; m < obj.nmaps; m++)
		obj.maps[m].fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	size = object_map(&obj, "tcpdrop_rodata")->spec.value_size;
	CHECK(aim_rodata_refs(&obj, size) > 0);
	CHECK_INT(object_load(&obj, &err), -EINVAL);
	snprintf(want, sizeof(want), "relocation of tcpdrop_kfree_skb to "
		 ".rodata offset %u, past its %u bytes", size, size);
	CHECK_STR(err.text, want);
	CHECK_INT(obj.progs[0].fd, -1);
	object_close(&obj);
}

/* Every truncation of the object is refused cleanly (ASan watches). */
static void test_truncated(void)
{
	struct errmsg err;
	struct bpf_object obj;
	size_t len;
	int accepted = 0;

	for (len = 0; len < OBJ_LEN; len++) {
		unsigned char *copy = malloc(len ? len : 1);

		memcpy(copy, tcpdrop_bpf_object, len);
		memset(&err, 0, sizeof(err));
		if (object_open(&obj, copy, len, &err) == 0) {
			accepted++;
			object_close(&obj);
		} else {
			CHECK(err.text[0] != '\0');
		}
		free(copy);
	}
	/* The section headers are at the end: no prefix can be whole. */
	CHECK_INT(accepted, 0);
}

/* Opens and relocates `copy`; a failure must say what failed. Returns
 * whether both steps passed. */
static int open_and_relocate(const unsigned char *copy,
			     const struct core_target *target, size_t flipped)
{
	struct errmsg err;
	struct bpf_object obj;
	int ret;

	errmsg_init(&err);
	ret = object_open(&obj, copy, OBJ_LEN, &err);
	if (ret == 0) {
		ret = object_core_relocate(&obj, target, &err);
		object_close(&obj);
	}
	if (ret && !errmsg_is_set(&err))
		CHECK_FAIL_("byte %zu flipped: error %d with no message",
			    flipped, ret);
	return ret == 0;
}

/* Each byte of the object flipped in turn: whatever object_open() and
 * object_core_relocate() refuse, they say why. */
static void test_corrupt_bytes_have_messages(void)
{
	unsigned char *copy = malloc(OBJ_LEN);
	struct tp_format fmt;
	struct core_target target = { NULL, "trace_event_raw_kfree_skb", &fmt };
	size_t i, refused = 0;

	if (!copy || parse_fixture(&fmt, "kfree_skb-6.18.format")) {
		free(copy);
		return;
	}
	memcpy(copy, tcpdrop_bpf_object, OBJ_LEN);
	for (i = 0; i < OBJ_LEN && !check_failed_in_test; i++) {
		copy[i] ^= 0xff;
		refused += !open_and_relocate(copy, &target, i);
		copy[i] ^= 0xff;
	}
	CHECK(refused > 0);
	tp_format_free(&fmt);
	free(copy);
}

/* Where, among the program's instructions, `base + off` is read or
 * written as a 4-byte word: 'L' a load, 'S' a store, 0 neither. */
static char word_access(const struct bpf_insn *insn, int base, int off)
{
	uint8_t mode = BPF_MEM | BPF_W;

	if (insn->off != off)
		return 0;
	if (insn->code == (BPF_LDX | mode) && insn->src_reg == base)
		return 'L';
	if ((insn->code == (BPF_STX | mode) || insn->code == (BPF_ST | mode)) &&
	    insn->dst_reg == base)
		return 'S';
	return 0;
}

/* Checks, in program `name`, that the batch's `len` is read again after
 * `busy` is set and written before `busy` is cleared, for the register
 * that holds the batch state (the one whose `busy` is stored twice).
 * clang orders volatile accesses only among themselves: a `len` read
 * before, or written after, the `busy` window lets the other program
 * (the flush in an IPI, or the tp_btf program in a softirq) change the
 * batch between them: rows sent twice, or a record never sent. */
static void check_busy_window(const struct bpf_object *obj, const char *name)
{
	const int busy = offsetof(struct tcpdrop_batch_state, busy);
	const int len = offsetof(struct tcpdrop_batch_state, len);
	const struct object_prog *prog = NULL;
	int i, reg, windows = 0;

	for (i = 0; i < obj->nprogs; i++)
		if (strcmp(obj->progs[i].name, name) == 0)
			prog = &obj->progs[i];
	CHECK(prog != NULL);
	if (!prog)
		return;
	for (reg = 0; reg < 10; reg++) {
		long first = -1, last = -1, read_in = 0, written_out = 0;
		size_t k;

		for (k = 0; k < prog->insn_cnt; k++)
			if (word_access(&prog->insns[k], reg, busy) == 'S') {
				if (first < 0)
					first = (long)k;
				last = (long)k;
			}
		if (first < 0 || first == last)
			continue;
		for (k = 0; k < prog->insn_cnt; k++) {
			char a = word_access(&prog->insns[k], reg, len);

			if (a == 'L' && (long)k > first && (long)k < last)
				read_in++;
			if (a == 'S' && ((long)k < first || (long)k > last))
				written_out++;
		}
		CHECK_INT(read_in > 0, 1);
		CHECK_INT(written_out, 0);
		windows++;
	}
	CHECK_INT(windows, 1);
}

static void test_batch_busy_window(void)
{
	struct errmsg err = { "" };
	struct bpf_object obj;

	CHECK_INT(object_open(&obj, tcpdrop_bpf_object, OBJ_LEN, &err), 0);
	check_busy_window(&obj, "tcpdrop_kfree_skb_btf");
	check_busy_window(&obj, "tcpdrop_flush");
	object_close(&obj);
}

int main(void)
{
	RUN(test_open);
	RUN(test_settings);
	RUN(test_replace_helper);
	RUN(test_core_layouts);
	RUN(test_core_refusal_message);
	RUN(test_rodata_offset_bound);
	RUN(test_truncated);
	RUN(test_corrupt_bytes_have_messages);
	RUN(test_batch_busy_window);
	return check_exit_code();
}
