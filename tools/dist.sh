#!/bin/sh
# Release files (make dist): DIR/tcpdrop-VERSION-MACHINE for each binary
# given, and DIR/SHA256SUMS in sha256sum's format, so that
# `cd DIR && sha256sum -c SHA256SUMS` checks them.
#
# Usage: sh tools/dist.sh DIR VERSION MACHINE=BINARY...
#   MACHINE is uname -m's name: x86_64, aarch64.
# Each binary is checked before it is copied: an ELF executable for
# MACHINE, static (no program interpreter, no dynamic section), stripped
# (no symbol table), and `--version` prints "tcpdrop VERSION" and
# `--help` succeeds, run directly on this machine's architecture and under
# qemu-user (package qemu-user-static, installed as root) on the other.
set -e
dir=$1
version=$2
shift 2
host=$(uname -m)

die() {
	echo "make dist: $*" >&2
	exit 1
}

# elf_machine MACHINE: readelf -h's name of it.
elf_machine() {
	case $1 in
	x86_64) echo "Advanced Micro Devices X86-64" ;;
	aarch64) echo AArch64 ;;
	*) die "unknown machine $1" ;;
	esac
}

# run_as MACHINE BINARY ARGS...: BINARY run here, or under qemu-user.
run_as() {
	m=$1
	shift
	if [ "$m" = "$host" ]; then
		"$@"
	else
		"qemu-$m-static" "$@"
	fi
}

check() {
	m=$1
	bin=$2
	[ -f "$bin" ] || die "$bin is missing"
	hdr=$(readelf -h "$bin" 2>/dev/null) || die "$bin: not an ELF file"
	echo "$hdr" | grep -q "Machine: *$(elf_machine "$m")\$" ||
		die "$bin: not an $m binary: $(echo "$hdr" | sed -n 's/^ *Machine: *//p')"
	echo "$hdr" | grep -q 'Type: *EXEC' || die "$bin: not a static executable (ELF type is not EXEC)"
	readelf -lW "$bin" | grep -Eq '^ *(INTERP|DYNAMIC) ' && die "$bin: dynamically linked"
	readelf -SW "$bin" | grep -q ' \.symtab ' && die "$bin: not stripped"
	if [ "$m" != "$host" ] && ! command -v "qemu-$m-static" >/dev/null 2>&1; then
		sh tools/deps.sh "qemu-$m-static:qemu-user-static" ||
			die "qemu-$m-static is needed to run the $m binary here"
	fi
	out=$(run_as "$m" "$bin" --version) || die "$bin --version failed"
	[ "$out" = "tcpdrop $version" ] || die "$bin --version says '$out', not 'tcpdrop $version'"
	run_as "$m" "$bin" --help >/dev/null || die "$bin --help failed"
}

[ $# -gt 0 ] || die "no binaries given"
for pair in "$@"; do
	bin=${pair#*=}
	case $bin in
	/*) ;;
	*) bin=./$bin ;;
	esac
	check "${pair%%=*}" "$bin"
done
rm -rf "$dir"
mkdir -p "$dir"
names=
for pair in "$@"; do
	name=tcpdrop-$version-${pair%%=*}
	cp "${pair#*=}" "$dir/$name"
	chmod 0755 "$dir/$name"
	names="$names $name"
done
# shellcheck disable=SC2086
(cd "$dir" && sha256sum $names >SHA256SUMS && sha256sum -c --quiet SHA256SUMS)
for name in $names; do
	printf '%s/%s  %s bytes\n' "$dir" "$name" "$(wc -c <"$dir/$name" | tr -d ' ')"
done
echo "$dir/SHA256SUMS"
