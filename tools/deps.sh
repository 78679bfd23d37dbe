#!/bin/sh
# Installs the build tools that are missing: clang, llvm, python3 and lz4
# (the BPF objects), musl-tools (the static binary), linux-libc-dev (uapi
# headers), make. Quiet when everything is there; needs root (apt-get)
# otherwise.
#
# Usage: sh tools/deps.sh [--arch ARCH] [COMMAND[:PACKAGE]]...
# A COMMAND that starts with / is a file the package installs (a python
# module has no command).
# --arch arm64 (or x86_64) on a machine of the other architecture: the
# cross build's musl-dev:ARCH (its ARCH-linux-musl-gcc wrapper brings the
# cross gcc) and linux-libc-dev:ARCH (the uapi asm/ headers), after
# dpkg --add-architecture ARCH when dpkg does not know ARCH yet.
set -e
host=$(uname -m)
arch=$host
if [ "$1" = --arch ]; then
	arch=$2
	shift 2
fi
case $arch in
x86_64 | amd64 | x86) arch=x86_64 deb=amd64 multiarch=x86_64-linux-gnu ;;
arm64 | aarch64) arch=aarch64 deb=arm64 multiarch=aarch64-linux-gnu ;;
*)
	echo "tcpdrop build: unknown architecture $arch (x86_64 or arm64)" >&2
	exit 1
	;;
esac
missing=""
add_arch=""
command -v clang >/dev/null 2>&1 || missing="$missing clang"
command -v llvm-objcopy >/dev/null 2>&1 || missing="$missing llvm"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
command -v lz4 >/dev/null 2>&1 || missing="$missing lz4"
command -v make >/dev/null 2>&1 || missing="$missing make"
[ -f /usr/include/linux/bpf.h ] || missing="$missing linux-libc-dev"
if [ "$arch" = "$host" ]; then
	command -v musl-gcc >/dev/null 2>&1 || missing="$missing musl-tools"
else
	command -v "$arch-linux-musl-gcc" >/dev/null 2>&1 || missing="$missing musl-dev:$deb"
	[ -f "/usr/include/$multiarch/asm/types.h" ] || missing="$missing linux-libc-dev:$deb"
	if [ -n "$missing" ] && [ "$(dpkg --print-architecture)" != "$deb" ] &&
		! dpkg --print-foreign-architectures | grep -qx "$deb"; then
		add_arch=$deb
	fi
fi
for extra in "$@"; do
	case "$extra" in
	*:*) cmd=${extra%%:*}; pkg=${extra#*:} ;;
	*) cmd=$extra; pkg=$extra ;;
	esac
	case "$cmd" in
	/*) [ -e "$cmd" ] || missing="$missing $pkg" ;;
	*) command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "tcpdrop build: missing:$missing; install them (apt-get install$missing) or run as root" >&2
	exit 1
fi
echo "tcpdrop build: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if [ -n "$add_arch" ]; then
	echo "tcpdrop build: dpkg --add-architecture $add_arch" >&2
	dpkg --add-architecture "$add_arch"
fi
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
