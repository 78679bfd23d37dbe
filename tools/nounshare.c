/*
 * nounshare: run a command where unshare(2) is refused, as a container's
 * seccomp profile refuses it, so that tests can reach tcpdrop's fallback
 * for hosts where it cannot have a mount namespace of its own.
 *
 * usage: nounshare CMD [ARG...]
 *
 * Installs a seccomp filter (SECCOMP_RET_ERRNO | EPERM for unshare, every
 * other system call allowed) with no_new_privs set, then executes CMD.
 * Exit status 127 with one line on stderr when that fails.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "nounshare: unknown architecture"
#endif

/* A system call of another architecture (x32, compat) is killed rather
 * than matched against this one's numbers. */
static int install_filter(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: nounshare CMD [ARG...]\n");
		return 127;
	}
	ret = install_filter();
	if (ret) {
		fprintf(stderr, "nounshare: seccomp: %s\n", strerror(-ret));
		return 127;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "nounshare: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
