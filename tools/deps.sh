#!/bin/sh
# Installs the build tools that are missing: clang and llvm (the BPF
# object), musl-tools (the static binary), linux-libc-dev (uapi headers),
# make. Quiet when everything is there; needs root (apt-get) otherwise.
set -e
missing=""
command -v clang >/dev/null 2>&1 || missing="$missing clang"
command -v llvm-strip >/dev/null 2>&1 || missing="$missing llvm"
command -v musl-gcc >/dev/null 2>&1 || missing="$missing musl-tools"
command -v make >/dev/null 2>&1 || missing="$missing make"
[ -f /usr/include/linux/bpf.h ] || missing="$missing linux-libc-dev"
for extra in "$@"; do
	case "$extra" in
	*:*) cmd=${extra%%:*}; pkg=${extra#*:} ;;
	*) cmd=$extra; pkg=$extra ;;
	esac
	command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "tcpdrop build: missing:$missing; install them (apt-get install$missing) or run as root" >&2
	exit 1
fi
echo "tcpdrop build: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
