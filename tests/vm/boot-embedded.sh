#!/bin/sh
# Boots the embedded-style 5.10 kernel (tests/vm/build-embedded-kernel.sh)
# under qemu (TCG) from a small busybox initramfs whose /init is
# tests/vm/embedded-init, and checks what tcpdrop needs of it: two CPUs,
# tcp_drop in /proc/kallsyms, no /sys/kernel/btf/vmlinux, the perf kprobe
# PMU, tracefs with skb:kfree_skb, a kprobe event on tcp_drop, and that
# the guest ends qemu by itself.
#
# Usage, as root: sh tests/vm/boot-embedded.sh
#   TCPDROP_VM_CACHE    the cache (/var/cache/tcpdrop-vm)
#   TCPDROP_VM_TIMEOUT  seconds allowed for the boot (300)
# Prints "PASS vm-embedded-5.10 name" lines like run.sh, the boot time and a
# closing count; the guest's FACT blocks are kept in
# build/vm/embedded-5.10/guest-facts.txt (tests/vm/embedded-5.10.facts is
# written from them). Exits 1 if anything failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
CACHE=${TCPDROP_VM_CACHE:-/var/cache/tcpdrop-vm}
TIMEOUT=${TCPDROP_VM_TIMEOUT:-300}
OUT=build/vm/embedded-5.10
NAME=vm-embedded-5.10
QEMU_PID=
. "$top/tests/vm/lib.sh"
. "$top/tests/vm/embedded.sh"

PASSED=0
FAILED=0
result() {
	echo "$1 $NAME $2"
	case $1 in
	PASS) PASSED=$((PASSED + 1)) ;;
	*) FAILED=$((FAILED + 1)) ;;
	esac
}
finish() {
	echo "$PASSED passed, $FAILED failed, 0 skipped"
	[ "$FAILED" -eq 0 ]
	exit
}

# cpio_node NAME MODE MAJOR MINOR INODE: one newc entry for a device node,
# written by hand so that building needs no mknod (as run.sh does).
cpio_node() {
	namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$5" "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0
	printf '%s\0' "$1"
	pad=$(((4 - (110 + namesize) % 4) % 4))
	while [ "$pad" -gt 0 ]; do
		printf '\0'
		pad=$((pad - 1))
	done
}

# initramfs: busybox, its applets and embedded-init, plus the device nodes
# the kernel needs before /init runs.
initramfs() {
	root=$OUT/root
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" || return 1
	cp /bin/busybox "$root/bin/busybox" || return 1
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
	done
	ln -s bin "$root/sbin"
	cp tests/vm/embedded-init "$root/init" && chmod 755 "$root/init" || return 1
	# The offsets the guest checks on live packets (check offsets_live).
	cp tests/vm/embedded-5.10.facts "$root/facts" || return 1
	{
		(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) &&
			cpio_node dev/console $((0020600)) 5 1 900001 &&
			cpio_node dev/null $((0020666)) 1 3 900002 &&
			cpio_node dev/ttyS0 $((0020620)) 4 64 900003 &&
			cpio_node TRAILER!!! 0 0 0 0
	} | gzip -n >"$OUT/initramfs.cpio.gz"
}

trap '[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null; exit 130' INT TERM HUP

if [ "$(id -u)" != 0 ]; then
	echo "SKIP $NAME: not root"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
mkdir -p "$OUT" || exit 1
sh tools/deps.sh cpio qemu-system-x86_64:qemu-system-x86 busybox:busybox-static >/dev/null ||
	{ echo "SKIP $NAME: cannot install cpio, qemu-system-x86 or busybox-static"; exit 0; }
if ! embedded_kernel; then
	result FAIL "build: $WHY"
	finish
fi
initramfs || { result FAIL "initramfs: cannot build it in $OUT"; finish; }

log=$OUT/console.log
# Emptied here, not by qemu's redirection: that happens in the background
# job, maybe after the loop below has read the last run's log.
: >"$log"
start=$(now_ms)
# No -enable-kvm: KVM does not work on these machines; TCG does.
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -M q35 -nographic -no-reboot \
	-smp 2 -m 512 -nic none \
	-kernel "$EMBEDDED_DIR/bzImage" -initrd "$OUT/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1" </dev/null >"$log" 2>&1 &
QEMU_PID=$!
BOOTED=
while kill -0 "$QEMU_PID" 2>/dev/null; do
	if [ -z "$BOOTED" ] && grep -q '^EMBEDDED-START' "$log"; then
		BOOTED=$(($(now_ms) - start))
	fi
	sleep 0.1
done
wait "$QEMU_PID"
status=$?
QEMU_PID=
elapsed=$(($(now_ms) - start))
clean=$OUT/console.txt
tr -d '\r' <"$log" >"$clean"
[ -z "$BOOTED" ] && grep -q '^EMBEDDED-START' "$clean" && BOOTED=$elapsed

release=$(sed -n 's/^EMBEDDED-START //p' "$clean" | head -n 1)
if [ -n "$BOOTED" ]; then
	echo "$NAME: kernel $release ($(cat "$EMBEDDED_DIR/version")), first guest line after $(secs "$BOOTED") s, qemu ended after $(secs "$elapsed") s"
else
	echo "$NAME: no guest line after $(secs "$elapsed") s"
fi
sed -n '/^EMBEDDED-START/,/^EMBEDDED-END/p' "$clean" | grep -E '^(PASS|FAIL) ' |
	while read -r word name rest; do
		echo "$word $NAME $name${rest:+ $rest}"
	done >"$OUT/results"
cat "$OUT/results"
PASSED=$((PASSED + $(grep -c '^PASS' "$OUT/results")))
FAILED=$((FAILED + $(grep -c '^FAIL' "$OUT/results")))
sed -n '/^FACT-BEGIN/,/^FACT-END/p' "$clean" >"$OUT/guest-facts.txt"

if ! grep -q '^EMBEDDED-END' "$clean"; then
	result FAIL "boot: no end marker (qemu status $status), console log kept at $log"
	tail -n 30 "$clean" | sed 's/^/    | /'
elif [ "$status" -ne 0 ]; then
	result FAIL "power-off: qemu did not end by itself (status $status)"
else
	result PASS power-off
fi
finish
