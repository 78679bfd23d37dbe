/*
 * bpfobjs: list the BPF programs and maps loaded in the kernel whose name
 * starts with a prefix, so that tests can check that tcpdrop leaves none
 * behind when it exits.
 *
 * usage: bpfobjs PREFIX
 *
 * Prints one line per matching object, programs first, then a count:
 *
 *   prog 42 tcpdrop_kfree
 *   map 17 events
 *   progs=1 maps=1
 *
 * An object without a name matches only the empty prefix and is shown as
 * "-". Exit status 0, or 1 with one line on stderr (e.g. EPERM when not
 * root). Needs CAP_SYS_ADMIN: the GET_FD_BY_ID commands are privileged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"

struct obj_kind {
	const char *label;
	int (*next_id)(uint32_t start, uint32_t *next);
	int (*fd_by_id)(uint32_t id);
	int (*read_name)(int fd, char name[BPF_OBJ_NAME_LEN]);
};

static int fail(int err, const char *what, const char *label)
{
	fprintf(stderr, "bpfobjs: %s %s: %s\n", label, what, strerror(-err));
	return err;
}

/* Both info structs start small on old kernels and grow: the zeroed
 * buffer and info_len let the kernel fill what it knows and check that
 * we expect nothing more. The kernel's name is NUL-terminated already;
 * the last byte is forced only so that a bad one cannot run off. */
static int info_name(int fd, void *info, uint32_t size,
		     const char *info_name_field, char name[BPF_OBJ_NAME_LEN])
{
	uint32_t len = size;
	int err;

	memset(info, 0, size);
	err = sys_obj_info(fd, info, &len);
	if (err)
		return err;
	memcpy(name, info_name_field, BPF_OBJ_NAME_LEN);
	name[BPF_OBJ_NAME_LEN - 1] = '\0';
	return 0;
}

static int prog_name(int fd, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info;

	return info_name(fd, &info, sizeof(info), info.name, name);
}

static int map_name(int fd, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_map_info info;

	return info_name(fd, &info, sizeof(info), info.name, name);
}

static const struct obj_kind kinds[] = {
	{ "prog", sys_prog_next_id, sys_prog_fd_by_id, prog_name },
	{ "map", sys_map_next_id, sys_map_fd_by_id, map_name },
};

/* Prints the object if its name matches; an id whose object was freed
 * between GET_NEXT_ID and GET_FD_BY_ID (-ENOENT) is no longer loaded, so
 * it is skipped rather than reported. */
static int show_if_match(const struct obj_kind *kind, uint32_t id,
			 const char *prefix, unsigned int *count)
{
	char name[BPF_OBJ_NAME_LEN];
	int fd, err;

	fd = kind->fd_by_id(id);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fail(fd, "GET_FD_BY_ID", kind->label);
	err = kind->read_name(fd, name);
	close(fd);
	if (err)
		return fail(err, "GET_INFO_BY_FD", kind->label);
	if (strncmp(name, prefix, strlen(prefix)))
		return 0;
	printf("%s %u %s\n", kind->label, id, name[0] ? name : "-");
	(*count)++;
	return 0;
}

/* GET_NEXT_ID returns the smallest id above start, and -ENOENT past the
 * last one. */
static int list_kind(const struct obj_kind *kind, const char *prefix,
		     unsigned int *count)
{
	uint32_t id = 0;
	int err;

	*count = 0;
	for (;;) {
		err = kind->next_id(id, &id);
		if (err == -ENOENT)
			return 0;
		if (err)
			return fail(err, "GET_NEXT_ID", kind->label);
		err = show_if_match(kind, id, prefix, count);
		if (err)
			return err;
	}
}

int main(int argc, char **argv)
{
	unsigned int progs, maps;

	if (argc != 2) {
		fprintf(stderr, "usage: bpfobjs PREFIX\n");
		return 1;
	}
	if (list_kind(&kinds[0], argv[1], &progs) ||
	    list_kind(&kinds[1], argv[1], &maps))
		return 1;
	printf("progs=%u maps=%u\n", progs, maps);
	return fflush(stdout) ? 1 : 0;
}
