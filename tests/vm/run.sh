#!/bin/sh
# The kernel matrix (DESIGN.md, "Tests, in tiers", tier 3): tests/vm/guest.sh
# on Debian's cloud kernels 5.10 (bullseye), 6.1 (bookworm) and 6.12
# (trixie), each booted under qemu (TCG) from a busybox initramfs holding
# ./tcpdrop, build/dropgen, build/bpfobjs and the test scripts.
#
# Usage, as root: sh tests/vm/run.sh [5.10] [6.1] [6.12]   (default: all)
#   TCPDROP_VM_CACHE    kernel packages and apt lists (/var/cache/tcpdrop-vm)
#   TCPDROP_VM_GUEST    a script to run in the guest instead of guest.sh
#   TCPDROP_VM_TIMEOUT  seconds allowed per boot (300)
# Prints the guest's PASS/FAIL/SKIP lines as "PASS vm-6.1 name", one info
# line per kernel and a closing count; exits 1 if anything failed. When the
# machine cannot run it (not root, no qemu, mirror unreachable) it prints
# SKIP lines and exits 0. It writes only under build/vm/ and the cache.

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
CACHE=${TCPDROP_VM_CACHE:-/var/cache/tcpdrop-vm}
TIMEOUT=${TCPDROP_VM_TIMEOUT:-300}
GUEST=${TCPDROP_VM_GUEST:-tests/vm/guest.sh}
OUT=build/vm
RESULTS=$OUT/results
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
QEMU_PID=

# --- result lines ---------------------------------------------------------

# result LINE: one PASS/FAIL/SKIP line, printed and counted.
result() {
	echo "$1"
	echo "$1" >>"$RESULTS"
}

# finish: the closing count; the exit status says whether anything failed.
finish() {
	passed=$(grep -c '^PASS' "$RESULTS")
	failed=$(grep -c '^FAIL' "$RESULTS")
	skipped=$(grep -c '^SKIP' "$RESULTS")
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

# skip_all WHY / fail_all WHY: the whole matrix cannot run.
skip_all() {
	result "SKIP vm: $1"
	finish
}
fail_all() {
	result "FAIL vm: $1"
	finish
}

# --- the Debian mirror ------------------------------------------------------

suite_of() {
	case $1 in
	5.10) echo bullseye ;;
	6.1) echo bookworm ;;
	6.12) echo trixie ;;
	*) return 1 ;;
	esac
}

# mirror_uri: the Debian archive this machine's apt already names, so that
# no mirror is written down here: the first "deb" source whose suite is a
# bare Debian codename (not -security, -updates, ...) with component main.
mirror_uri() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '
			BEGIN { RS = ""; FS = "\n" }
			{
				types = uris = suites = comps = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^#/ || !index($i, ":")) continue
					key = tolower(substr($i, 1, index($i, ":") - 1))
					val = " " substr($i, index($i, ":") + 1) " "
					if (key == "types") types = val
					else if (key == "uris") uris = val
					else if (key == "suites") suites = val
					else if (key == "components") comps = val
					else if (key == "enabled") enabled = tolower(val)
				}
				if (types !~ / deb / || comps !~ / main / || enabled ~ /no/) next
				if (suites !~ / (bullseye|bookworm|trixie|forky|sid|oldstable|stable|testing|unstable) /) next
				split(uris, u, " ")
				print u[1]
				exit
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	[ -r /etc/apt/sources.list ] || return 1
	awk '
		$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) ~ /^(bullseye|bookworm|trixie|forky|sid|oldstable|stable|testing|unstable)$/ &&
			    (" " $0 " ") ~ / main /) { print $i; exit }
		}' /etc/apt/sources.list
}

# apt_in SUITE apt-get|apt-cache ARGS...: apt with a private setup under
# $CACHE/apt/SUITE (sources, lists, status, cache), so the host's apt
# state is neither read for packages nor changed. Downloads land in our own
# root-owned directories, which apt's unprivileged _apt user cannot write.
apt_in() {
	ad=$CACHE/apt/$1
	tool=$2
	shift 2
	"$tool" -q -o Dir::Etc::SourceList="$ad/sources.list" \
		-o Dir::Etc::SourceParts="$ad/sources.list.d" \
		-o Dir::Etc::Preferences="$ad/preferences" \
		-o Dir::Etc::PreferencesParts="$ad/preferences.d" \
		-o Dir::State="$ad/state" -o Dir::State::Lists="$ad/state/lists" \
		-o Dir::State::status="$ad/state/status" \
		-o Dir::Cache="$ad/cache" -o Dir::Cache::archives="$ad/cache/archives" \
		-o Acquire::Languages=none -o APT::Sandbox::User=root "$@"
}

# unreachable LOG: whether apt's failure in LOG is the network's (no DNS,
# no route, a proxy's gateway error) rather than the mirror's answer.
unreachable() {
	grep -Eq 'Could not resolve|Temporary failure resolving|Could not connect|Connection timed out|Connection failed|Network is unreachable|No route to host|Unable to connect|Connection refused|Could not wait for server fd|50[234] ' "$1"
}

# first_error LOG: apt's first error, for a one-line reason (its last one
# is often the generic "Some index files failed to download").
first_error() {
	sed -n 's/^E: *//p' "$1" | head -n 1 | tr -s ' ' | cut -c 1-200
}

# update_lists SUITE: fetches the suite's package lists when they are
# missing, a day old, or from another mirror. Returns 0 when usable lists
# exist (old ones serve while the network is down), 1 when the mirror
# refused, 2 when it cannot be reached; WHY says why.
update_lists() {
	ad=$CACHE/apt/$1
	mkdir -p "$ad/sources.list.d" "$ad/preferences.d" "$ad/state/lists/partial" \
		"$ad/cache/archives/partial" || { WHY="cannot create $ad"; return 1; }
	[ -f "$ad/state/status" ] || : >"$ad/state/status"
	echo "deb [signed-by=$KEYRING] $MIRROR $1 main" >"$ad/sources.list"
	have_lists=
	[ "$(cat "$ad/stamp" 2>/dev/null)" = "$MIRROR" ] && have_lists=1
	if [ -n "$have_lists" ] && [ -n "$(find "$ad/stamp" -mmin -1440)" ]; then
		return 0
	fi
	if apt_in "$1" apt-get --error-on=any update >"$ad/update.log" 2>&1; then
		echo "$MIRROR" >"$ad/stamp"
		return 0
	fi
	WHY="apt-get update ($1): $(first_error "$ad/update.log")"
	unreachable "$ad/update.log" || return 1
	if [ -n "$have_lists" ]; then
		echo "vm: $WHY; using the lists from $(date -r "$ad/stamp" +%F)"
		return 0
	fi
	return 2
}

# fetch_kernel K: sets DEB to the cached kernel package for K, downloading
# the image that linux-image-cloud-amd64 of K's suite depends on. On
# failure it prints the FAIL (mirror refused, package missing) or SKIP
# (network) line and returns 1.
fetch_kernel() {
	suite=$(suite_of "$1")
	update_lists "$suite"
	case $? in
	1)
		result "FAIL vm-$1 download: $WHY"
		return 1
		;;
	2)
		# Offline: a kernel of this series downloaded before still serves
		# (usually there is one; else the last in name order).
		DEB=
		for f in "$CACHE"/debs/linux-image-"$1".*-cloud-amd64_*.deb; do
			[ -s "$f" ] && DEB=$f
		done
		if [ -n "$DEB" ]; then
			echo "vm-$1: $WHY; using the cached $(basename "$DEB")"
			return 0
		fi
		result "SKIP vm-$1 download: mirror unreachable: $WHY"
		return 1
		;;
	esac
	PKG=$(apt_in "$suite" apt-cache show --no-all-versions linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -n 1)
	if [ -z "$PKG" ]; then
		result "FAIL vm-$1 download: linux-image-cloud-amd64 in $suite names no linux-image package"
		return 1
	fi
	file=$(apt_in "$suite" apt-cache show --no-all-versions "$PKG" 2>/dev/null |
		sed -n 's|^Filename: .*/||p' | head -n 1)
	if [ -z "$file" ]; then
		result "FAIL vm-$1 download: $PKG is not in the lists of $suite"
		return 1
	fi
	DEB=$CACHE/debs/$file
	[ -s "$DEB" ] && return 0
	download "$1" "$suite" "$PKG"
}

# download K SUITE PKG: apt-get download into a scratch directory, then
# under its pool name into the cache, so a cut download is never used.
download() {
	dd=$CACHE/debs/partial.$$
	rm -rf "$dd"
	mkdir -p "$dd"
	if (cd "$dd" && apt_in "$2" apt-get download "$3") >"$dd.log" 2>&1 &&
		set -- "$1" "$2" "$3" "$dd"/*.deb && [ -s "$4" ]; then
		mv "$4" "$DEB"
		rm -rf "$dd" "$dd.log"
		return 0
	fi
	WHY="apt-get download $3: $(first_error "$dd.log")"
	if unreachable "$dd.log"; then
		result "SKIP vm-$1 download: mirror unreachable: $WHY"
	else
		result "FAIL vm-$1 download: $WHY"
	fi
	rm -rf "$dd" "$dd.log"
	return 1
}

# extract_kernel K: build/vm/K/vmlinuz (and its config) from $DEB, once
# per package.
extract_kernel() {
	kd=$OUT/$1
	mkdir -p "$kd"
	[ -s "$kd/vmlinuz" ] && [ "$(cat "$kd/deb" 2>/dev/null)" = "$DEB" ] && return 0
	rm -rf "$kd/pkg" "$kd/vmlinuz" "$kd/deb"
	if ! dpkg-deb -x "$DEB" "$kd/pkg"; then
		result "FAIL vm-$1 download: dpkg-deb -x $DEB failed"
		rm -rf "$kd/pkg"
		return 1
	fi
	set -- "$1" "$kd"/pkg/boot/vmlinuz-*
	if [ ! -f "$2" ]; then
		result "FAIL vm-$1 download: no boot/vmlinuz-* in $DEB"
		rm -rf "$kd/pkg"
		return 1
	fi
	cp "$2" "$kd/vmlinuz"
	cp "$kd"/pkg/boot/config-* "$kd/config" 2>/dev/null
	rm -rf "$kd/pkg"
	echo "$DEB" >"$kd/deb"
}

# --- the initramfs ----------------------------------------------------------

# cpio_node NAME MODE MAJOR MINOR INODE: one newc entry for a device node,
# written by hand so that building needs no mknod (and no CAP_MKNOD).
cpio_node() {
	namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$5" "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0
	printf '%s\0' "$1"
	# header (110 bytes) and name are padded to a multiple of 4
	pad=$(((4 - (110 + namesize) % 4) % 4))
	while [ "$pad" -gt 0 ]; do
		printf '\0'
		pad=$((pad - 1))
	done
}

# dev_nodes: a second cpio archive with the few device nodes the guest
# needs before anything runs (the kernel opens /dev/console for /init).
# The kernel unpacks concatenated archives one after the other.
dev_nodes() {
	cpio_node dev/console $((0020600)) 5 1 900001
	cpio_node dev/null $((0020666)) 1 3 900002
	cpio_node dev/zero $((0020666)) 1 5 900003
	cpio_node dev/random $((0020666)) 1 8 900004
	cpio_node dev/urandom $((0020666)) 1 9 900005
	cpio_node dev/kmsg $((0020644)) 1 11 900006
	cpio_node dev/tty $((0020666)) 5 0 900007
	cpio_node dev/ttyS0 $((0020620)) 4 64 900008
	cpio_node TRAILER!!! 0 0 0 0
}

# build_initramfs: build/vm/initramfs.cpio.gz, the same for every kernel
# (the kernel version reaches /init on the kernel command line).
# add_jq ROOT: the host's jq with the shared libraries it loads (and their
# loader), so the guests parse the JSON output with the same tool as the
# host. Busybox has no JSON parser; without jq the JSON tests skip.
add_jq() {
	jq=$(command -v jq) || return 0
	mkdir -p "$1/usr/local/bin" || return 1
	cp "$jq" "$1/usr/local/bin/jq" || return 1
	for lib in $(ldd "$jq" | awk '/=>/ { print $3 } /^[[:space:]]*\// { print $1 }'); do
		mkdir -p "$1$(dirname "$lib")" && cp -L "$lib" "$1$lib" || return 1
	done
}

build_initramfs() {
	root=$OUT/root
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" \
		"$root/etc" "$root/root" "$root/usr" "$root/tests" || return 1
	cp /bin/busybox "$root/bin/busybox" || return 1
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
	done
	# One directory of applets, wherever a script looks for them.
	ln -s bin "$root/sbin"
	ln -s ../bin "$root/usr/bin"
	ln -s ../bin "$root/usr/sbin"
	# User and group names, for id, ls and su.
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	cp tcpdrop "$root/tcpdrop" &&
		cp build/dropgen "$root/dropgen" &&
		cp build/bpfobjs "$root/bpfobjs" &&
		cp build/nounshare "$root/nounshare" &&
		cp -R tests/live "$root/tests/live" &&
		cp -R tests/vm "$root/tests/vm" &&
		cp "$GUEST" "$root/tests/vm/guest.sh" &&
		cp tests/vm/init "$root/init" &&
		add_jq "$root" || return 1
	# Another kernel's BTF, for the test that tcpdrop refuses it.
	if [ -r /sys/kernel/btf/vmlinux ]; then
		cp /sys/kernel/btf/vmlinux "$root/other-kernel.btf" || return 1
	fi
	chmod 755 "$root/init"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$OUT/initramfs.cpio" &&
		dev_nodes >>"$OUT/initramfs.cpio" &&
		gzip -n -f "$OUT/initramfs.cpio"
}

# --- booting ----------------------------------------------------------------

# now_ms: wall-clock milliseconds (GNU date).
now_ms() {
	ns=$(date +%s%N)
	case $ns in
	*N) echo $((${ns%N} * 1000)) ;;
	*) echo $((ns / 1000000)) ;;
	esac
}

# secs MS: milliseconds as seconds with one decimal.
secs() {
	echo "$1" | awk '{ printf "%.1f", $1 / 1000 }'
}

# boot K: runs the guest, waits for qemu to end, and sets BOOTED (ms from
# qemu's start to the guest's first line, empty if none), ELAPSED (ms) and
# QEMU_STATUS (124: the timeout stopped it).
boot() {
	log=$OUT/$1/console.log
	start=$(now_ms)
	# No -enable-kvm: KVM does not work on these machines; TCG does.
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -nographic -no-reboot \
		-smp 2 -m 1024 -nic none \
		-kernel "$OUT/$1/vmlinuz" -initrd "$OUT/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 tcpdrop.kernel=$1" \
		</dev/null >"$log" 2>&1 &
	QEMU_PID=$!
	BOOTED=
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		if [ -z "$BOOTED" ] && grep -q '^TCPDROP-VM-START' "$log"; then
			BOOTED=$(($(now_ms) - start))
		fi
		sleep 0.1
	done
	wait "$QEMU_PID"
	QEMU_STATUS=$?
	QEMU_PID=
	ELAPSED=$(($(now_ms) - start))
	if [ -z "$BOOTED" ] && grep -q '^TCPDROP-VM-START' "$log"; then
		BOOTED=$ELAPSED
	fi
}

# boot_failure K: why the guest never printed its end marker.
boot_failure() {
	if [ "$QEMU_STATUS" -eq 124 ] || [ "$QEMU_STATUS" -eq 137 ]; then
		echo "timed out after $TIMEOUT s"
	elif grep -q 'Kernel panic' "$2"; then
		grep -m 1 'Kernel panic' "$2" | sed 's/^\[[^]]*\] *//' | cut -c 1-160
	elif [ -z "$BOOTED" ]; then
		echo "qemu ended with status $QEMU_STATUS before the guest's first line"
	else
		echo "the guest stopped without its end marker (qemu status $QEMU_STATUS)"
	fi
}

# report K PKG: the guest's result lines, prefixed vm-K, from the console
# log (\r stripped); a FAIL when the guest did not finish.
report() {
	clean=$OUT/$1/console.txt
	tr -d '\r' <"$OUT/$1/console.log" >"$clean"
	release=$(sed -n 's/^TCPDROP-VM-START [^ ]* //p' "$clean" | head -n 1)
	if [ -n "$BOOTED" ]; then
		echo "vm-$1: kernel ${release:-$2}, booted in $(secs "$BOOTED") s, tests took $(secs $((ELAPSED - BOOTED))) s"
	else
		echo "vm-$1: kernel $2, no guest line after $(secs "$ELAPSED") s"
	fi
	if grep -q '^TCPDROP-VM-END' "$clean"; then
		# The copy after the results marker: printed with the console quiet.
		sed -n '/^TCPDROP-VM-RESULTS$/,/^TCPDROP-VM-END/p' "$clean" | guest_lines "$1"
		status=$(sed -n 's/^TCPDROP-VM-END status=//p' "$clean" | head -n 1)
		if [ "$status" != 0 ] && ! grep -q "^FAIL vm-$1 " "$RESULTS"; then
			result "FAIL vm-$1 guest: guest.sh exited with status $status"
		elif ! grep -q "^[A-Z]* vm-$1 " "$RESULTS"; then
			result "FAIL vm-$1 guest: no PASS, FAIL or SKIP line from the guest"
		fi
	else
		# What the guest printed live before it stopped still counts.
		sed -n '/^TCPDROP-VM-START/,$p' "$clean" | guest_lines "$1"
		result "FAIL vm-$1 boot: $(boot_failure "$1" "$clean"), console log kept at $OUT/$1/console.log"
		tail -n 30 "$clean" | sed 's/^/    | /'
	fi
	rm -f "$clean"
}

# guest_lines K: the PASS/FAIL/SKIP lines on stdin, as results for vm-K.
guest_lines() {
	grep -E '^(PASS|FAIL|SKIP) ' | sed "s/^\([A-Z]*\) /\1 vm-$1 /" |
		while IFS= read -r line; do
			result "$line"
		done
}

# run_kernel K: download, extract, boot and report one kernel.
run_kernel() {
	fetch_kernel "$1" || return
	extract_kernel "$1" || return
	pkg=$(basename "$DEB")
	boot "$1"
	report "$1" "${pkg%%_*}"
}

# --- main -------------------------------------------------------------------

# Ctrl-C or a CI cancel must not leave qemu running: timeout(1) puts it in
# its own process group, out of reach of the terminal's signal.
trap '[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null; exit 130' INT TERM HUP

kernels=${*:-5.10 6.1 6.12}
for k in $kernels; do
	if ! suite_of "$k" >/dev/null; then
		echo "usage: sh tests/vm/run.sh [5.10] [6.1] [6.12]" >&2
		exit 2
	fi
done

# Checked before anything is written: build/ may well be root's.
if [ "$(id -u)" != 0 ]; then
	echo "SKIP vm: not root: it installs qemu and cpio and caches kernels in $CACHE"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
mkdir -p "$OUT" || exit 1
: >"$RESULTS"
for f in tcpdrop build/dropgen build/bpfobjs build/nounshare; do
	[ -x "$f" ] || fail_all "$f is missing (make test-vm builds it)"
done
[ -f "$GUEST" ] || fail_all "the guest script $GUEST is missing"
sh tools/deps.sh cpio qemu-system-x86_64:qemu-system-x86 busybox:busybox-static ||
	skip_all "cannot install cpio, qemu-system-x86 or busybox-static (tools/deps.sh failed)"
# A dynamic busybox (package busybox) would not run in the initramfs.
[ "$(dpkg-query -W -f '${db:Status-Status}' busybox-static 2>/dev/null)" = installed ] ||
	skip_all "/bin/busybox is not from busybox-static (apt-get install busybox-static)"
qemu-system-x86_64 -version >/dev/null 2>&1 || skip_all "qemu-system-x86_64 cannot run here"
MIRROR=$(mirror_uri)
[ -n "$MIRROR" ] || skip_all "no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
mkdir -p "$CACHE/debs" || skip_all "cannot create $CACHE"
build_initramfs || fail_all "cannot build the initramfs in $OUT"

for k in $kernels; do
	run_kernel "$k"
done
finish
