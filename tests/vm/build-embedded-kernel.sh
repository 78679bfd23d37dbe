#!/bin/sh
# Builds (or finds cached) the embedded-style 5.10 kernel of the kernel
# matrix: Debian bullseye's linux-source-5.10, `make tinyconfig` plus
# tests/vm/embedded-5.10.config; no BTF, -Os. See tests/vm/embedded.sh.
#
# Usage, as root: sh tests/vm/build-embedded-kernel.sh
#   TCPDROP_VM_CACHE   the cache (/var/cache/tcpdrop-vm)
# Prints the path of bzImage (vmlinux and config lie next to it); exits 1
# with a line on stderr when it cannot.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
CACHE=${TCPDROP_VM_CACHE:-/var/cache/tcpdrop-vm}
. "$top/tests/vm/lib.sh"
. "$top/tests/vm/embedded.sh"

if [ "$(id -u)" != 0 ]; then
	echo "embedded-5.10: not root: it installs build tools and caches in $CACHE" >&2
	exit 1
fi
start=$(now_ms)
if ! embedded_kernel; then
	echo "embedded-5.10: $WHY" >&2
	exit 1
fi
embedded_say "ready in $(secs $(($(now_ms) - start))) s"
echo "$EMBEDDED_DIR/bzImage"
