/* The embedded BPF object turned into what the kernel loads: map specs with
 * their initial data, programs as instruction arrays, and the relocations
 * that join them. The steps run in this order, each once:
 *
 *   object_open()           parse the ELF, copy programs, find maps
 *   object_set_rodata() ..  fill in the constants the program reads
 *   object_core_relocate()  rewrite field offsets for the running kernel
 *   object_create_maps()    BPF_MAP_CREATE, .rodata filled and frozen
 *   object_load()           map references patched, BPF_PROG_LOAD
 *   object_close()          every fd closed, every buffer freed
 *
 * Only bpf() is called here; the program is not attached anywhere. */
#ifndef TCPDROP_OBJECT_H
#define TCPDROP_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "core.h"
#include "elf.h"
#include "errmsg.h"
#include "sys.h"

#define OBJECT_MAPS_MAX 16
#define OBJECT_PROGS_MAX 5
#define OBJECT_NAME_MAX 64

struct object_map {
	char name[OBJECT_NAME_MAX];
	struct sys_map_spec spec;
	int sec_idx;          /* "maps" or ".rodata" */
	uint64_t sec_off;     /* where its definition starts in that section */
	uint8_t *data;        /* initial value (.rodata), owned */
	int fd;
};

struct object_prog {
	char name[OBJECT_NAME_MAX];
	char sec_name[OBJECT_NAME_MAX * 2];
	uint32_t type;        /* BPF_PROG_TYPE_*, from the section name */
	uint32_t expected_attach_type; /* BPF_TRACE_RAW_TP for tp_btf/ */
	uint32_t attach_btf_id;  /* tp_btf/: set by object_set_attach_btf_id */
	int sec_idx;
	struct bpf_insn *insns; /* owned copy, patched in place */
	size_t insn_cnt;
	int fd;
	bool skip;            /* not loaded (object_set_autoload) */
};

struct bpf_object {
	struct elf_file elf;
	uint8_t *image;              /* the ELF decoded from an LZ4 frame, or
				      * NULL when elf points at the caller's */
	struct btf *btf;             /* the object's own .BTF */
	const void *btf_ext;
	size_t btf_ext_len;
	char license[64];
	struct object_map maps[OBJECT_MAPS_MAX];
	int nmaps;
	int rodata;                  /* index in maps[], -1 if none */
	struct object_prog progs[OBJECT_PROGS_MAX];
	int nprogs;
	char *verifier_log;          /* of a refused program; the caller may
				      * take it (and then free it) */
	size_t verifier_log_len;
};

/* Every function here that takes `msg` returns 0 or -errno and, on every
 * failure, fills `msg` with what failed (test_object.c checks that). */

/* Parses the ELF object in `buf` (which must outlive `obj`) into programs,
 * map specs and its own BTF; closes whatever it made on failure. `buf`
 * may also be an LZ4 frame of the object (src/lz4.h: how the build embeds
 * it), which is decoded into obj->image first. */
int object_open(struct bpf_object *obj, const void *buf, size_t len,
		struct errmsg *msg);

/* Sets the .rodata variable `name` (its size must be `size`). */
int object_set_rodata(struct bpf_object *obj, const char *name,
		      const void *value, size_t size);

/* Overrides the max_entries of map `name`. */
int object_set_max_entries(struct bpf_object *obj, const char *name,
			   uint32_t max_entries);

/* Applies every CO-RE relocation of .BTF.ext against `target`. */
int object_core_relocate(struct bpf_object *obj,
			 const struct core_target *target,
			 struct errmsg *msg);

/* Replaces every call to helper `from` with a call to helper `to`, for
 * kernels that only have an older helper with the same arguments. */
void object_replace_helper(struct bpf_object *obj, int32_t from, int32_t to);

/* Creates every map not created yet: after a failure, the caller may
 * change the spec of the map that failed (object_map()) and call it
 * again, which goes on from that map. */
int object_create_maps(struct bpf_object *obj, struct errmsg *msg);

/* Whether object_load() loads program `name` (all do by default): a hook
 * this kernel does not need costs no verifier time. 0 or -ENOENT. */
int object_set_autoload(struct bpf_object *obj, const char *name,
			bool load);

/* The kernel BTF id a tp_btf program attaches to (its btf_trace_<name>
 * typedef), passed at its load. 0 or -ENOENT. */
int object_set_attach_btf_id(struct bpf_object *obj, const char *name,
			     uint32_t btf_id);
/* A feature probe: loads program `name` (no map may be created yet if it
 * uses none) and unloads it at once. 0 when the verifier took it, else
 * -errno; no verifier log is kept. */
int object_probe_program(struct bpf_object *obj, const char *name);
/* Loads one program that object_load() skipped, after it: 0, or -errno
 * with `msg` (a verifier refusal leaves its log in obj->verifier_log). */
int object_load_program(struct bpf_object *obj, const char *name,
			struct errmsg *msg);

/* Patches map references and loads every program not skipped. On a
 * verifier refusal, obj->verifier_log holds the verifier's log. */
int object_load(struct bpf_object *obj, struct errmsg *msg);

/* The map called `name`, or NULL. */
struct object_map *object_map(struct bpf_object *obj, const char *name);

int object_map_fd(struct bpf_object *obj, const char *name);
int object_prog_fd(const struct bpf_object *obj, const char *name);

void object_close(struct bpf_object *obj);

#endif
