#!/bin/sh
# The kernel matrix (DESIGN.md, "Tests, in tiers", tier 3): tests/vm/guest.sh
# on Debian's cloud kernels, x86_64 and arm64: 5.10 (bullseye), 6.1
# (bookworm), 6.12 (trixie) and the newest of trixie-backports ($NEWEST
# below), each booted under qemu (TCG) from a busybox initramfs holding that
# architecture's tcpdrop, dropgen, bpfobjs, nounshare and the test scripts.
#
# Usage, as root: sh tests/vm/run.sh [GUEST]...   (default: all eight)
#   GUEST is ARCH-VERSION: x86_64-6.1, arm64-5.10, arm64-7.3, ...; a bare
#   VERSION is x86_64's. 5.10, 6.1 and 6.12 come from their Debian release;
#   any other VERSION from trixie-backports (the newest package of it).
#   TCPDROP_VM_CACHE    kernel packages and apt lists (/var/cache/tcpdrop-vm)
#   TCPDROP_VM_GUEST    a script to run in the guest instead of guest.sh
#   TCPDROP_VM_TIMEOUT  seconds allowed per boot (300)
# The binaries: the machine's own architecture's are ./tcpdrop and build/;
# another's are build/ARCH/ (make ARCH=arm64 all tools; make test-vm builds
# what the guests need).
# Prints the guest's PASS/FAIL/SKIP lines as "PASS vm-arm64-6.1 name", one
# info line per guest and a closing count; exits 1 if anything failed. When
# the machine cannot run it (not root, no qemu, mirror unreachable) it prints
# SKIP lines and exits 0. It writes only under build/vm/ and the cache.

# The newest kernel series that trixie-backports served when this was last
# run and passed; the default matrix boots it on both architectures.
NEWEST=7.3

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

# --- guests ---------------------------------------------------------------

# A guest is ARCH-VERSION. guest_arch, guest_version: its two halves.
guest_arch() { echo "${1%%-*}"; }
guest_version() { echo "${1#*-}"; }

# suite_of VERSION: the Debian suite that has this kernel series.
suite_of() {
	case $1 in
	5.10) echo bullseye ;;
	6.1) echo bookworm ;;
	6.12) echo trixie ;;
	*) echo trixie-backports ;;
	esac
}

# deb_arch ARCH: Debian's name of the architecture.
deb_arch() {
	case $1 in
	x86_64) echo amd64 ;;
	arm64) echo arm64 ;;
	esac
}

# host_arch: this machine's architecture, named as guests name it.
host_arch() {
	case $(uname -m) in
	aarch64 | arm64) echo arm64 ;;
	*) uname -m ;;
	esac
}

# bins ARCH: sets BIN_DIR (dropgen, bpfobjs, nounshare) and BIN (tcpdrop)
# for that architecture, where the Makefile puts them.
bins() {
	if [ "$1" = "$(host_arch)" ]; then
		BIN_DIR=build
		BIN=tcpdrop
	else
		BIN_DIR=build/$1
		BIN=build/$1/tcpdrop
	fi
}

# apt_dir SUITE ARCH: the private apt state of that suite and architecture.
# amd64's keeps the name it had before arm64 guests, so its cache serves.
apt_dir() {
	if [ "$2" = x86_64 ]; then
		echo "$CACHE/apt/$1"
	else
		echo "$CACHE/apt/$1-$(deb_arch "$2")"
	fi
}

# --- the Debian mirror ------------------------------------------------------

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

# apt_in SUITE ARCH apt-get|apt-cache ARGS...: apt with a private setup
# under apt_dir SUITE ARCH (sources, lists, status, cache) for that one
# architecture, so the host's apt state (and its dpkg architectures) is
# neither read for packages nor changed. Downloads land in our own
# root-owned directories, which apt's unprivileged _apt user cannot write.
apt_in() {
	ad=$(apt_dir "$1" "$2")
	da=$(deb_arch "$2")
	tool=$3
	shift 3
	"$tool" -q -o Dir::Etc::SourceList="$ad/sources.list" \
		-o Dir::Etc::SourceParts="$ad/sources.list.d" \
		-o Dir::Etc::Preferences="$ad/preferences" \
		-o Dir::Etc::PreferencesParts="$ad/preferences.d" \
		-o Dir::State="$ad/state" -o Dir::State::Lists="$ad/state/lists" \
		-o Dir::State::status="$ad/state/status" \
		-o Dir::Cache="$ad/cache" -o Dir::Cache::archives="$ad/cache/archives" \
		-o APT::Architecture="$da" -o APT::Architectures="$da" \
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

# update_lists SUITE ARCH: fetches the suite's package lists when they are
# missing, a day old, or from another mirror. Returns 0 when usable lists
# exist (old ones serve while the network is down), 1 when the mirror
# refused, 2 when it cannot be reached; WHY says why.
update_lists() {
	ad=$(apt_dir "$1" "$2")
	mkdir -p "$ad/sources.list.d" "$ad/preferences.d" "$ad/state/lists/partial" \
		"$ad/cache/archives/partial" || { WHY="cannot create $ad"; return 1; }
	[ -f "$ad/state/status" ] || : >"$ad/state/status"
	echo "deb [signed-by=$KEYRING] $MIRROR $1 main" >"$ad/sources.list"
	have_lists=
	[ "$(cat "$ad/stamp" 2>/dev/null)" = "$MIRROR" ] && have_lists=1
	if [ -n "$have_lists" ] && [ -n "$(find "$ad/stamp" -mmin -1440)" ]; then
		return 0
	fi
	if apt_in "$1" "$2" apt-get --error-on=any update >"$ad/update.log" 2>&1; then
		echo "$MIRROR" >"$ad/stamp"
		return 0
	fi
	WHY="apt-get update ($1, $(deb_arch "$2")): $(first_error "$ad/update.log")"
	unreachable "$ad/update.log" || return 1
	if [ -n "$have_lists" ]; then
		echo "vm: $WHY; using the lists from $(date -r "$ad/stamp" +%F)"
		return 0
	fi
	return 2
}

# pkg_field SUITE ARCH PACKAGE FIELD: one field of the package's newest
# version in the lists.
pkg_field() {
	apt_in "$1" "$2" apt-cache show --no-all-versions "$3" 2>/dev/null |
		sed -n "s/^$4: *//p" | head -n 1
}

# kernel_package SUITE ARCH VERSION: the name of the cloud kernel image
# package of that series: the one the flavour's meta package
# (linux-image-cloud-amd64, -arm64) depends on when it is of VERSION, else
# the newest linux-image-VERSION.*-cloud-ARCH in the lists (trixie-backports
# keeps several series).
kernel_package() {
	flavour=cloud-$(deb_arch "$2")
	pkg=$(pkg_field "$1" "$2" "linux-image-$flavour" Depends |
		tr ',' '\n' | sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' | head -n 1)
	case $pkg in
	linux-image-"$3".*)
		echo "$pkg"
		return 0
		;;
	esac
	apt_in "$1" "$2" apt-cache pkgnames "linux-image-$3." 2>/dev/null |
		grep -E "^linux-image-$(echo "$3" | sed 's/\./\\./g')\.[0-9][^ ]*-$flavour\$" |
		sort -V | tail -n 1
}

# fetch_kernel GUEST: sets DEBS to the cached packages that hold the
# guest's kernel image and its config, downloading what is missing: the
# image package itself, or where Debian split it (7.x), the linux-binary-
# (vmlinuz) and linux-base- (config) packages it depends on. On failure it
# prints the FAIL (mirror refused, package missing) or SKIP (network) line
# and returns 1. $CACHE/debs/GUEST.list remembers what served last, for
# when the mirror cannot be reached.
fetch_kernel() {
	arch=$(guest_arch "$1")
	version=$(guest_version "$1")
	suite=$(suite_of "$version")
	manifest=$CACHE/debs/$1.list
	update_lists "$suite" "$arch"
	case $? in
	1)
		result "FAIL vm-$1 download: $WHY"
		return 1
		;;
	2)
		# Offline: the packages that served this guest before still do.
		DEBS=$(cat "$manifest" 2>/dev/null)
		for f in $DEBS; do
			[ -s "$f" ] || DEBS=
		done
		if [ -n "$DEBS" ]; then
			echo "vm-$1: $WHY; using the cached$(for f in $DEBS; do printf ' %s' "$(basename "$f")"; done)"
			return 0
		fi
		result "SKIP vm-$1 download: mirror unreachable: $WHY"
		return 1
		;;
	esac
	PKG=$(kernel_package "$suite" "$arch" "$version")
	if [ -z "$PKG" ]; then
		newest=$(pkg_field "$suite" "$arch" "linux-image-cloud-$(deb_arch "$arch")" Version)
		result "FAIL vm-$1 download: no linux-image-$version.*-cloud-$(deb_arch "$arch") in $suite${newest:+ (its newest cloud kernel is $newest)}"
		return 1
	fi
	if pkg_field "$suite" "$arch" "$PKG" Depends | grep -q "linux-binary-"; then
		pkgs="linux-binary-${PKG#linux-image-} linux-base-${PKG#linux-image-}"
	else
		pkgs=$PKG
	fi
	DEBS=
	for p in $pkgs; do
		file=$(pkg_field "$suite" "$arch" "$p" Filename)
		if [ -z "$file" ]; then
			result "FAIL vm-$1 download: $p is not in the lists of $suite ($(deb_arch "$arch"))"
			return 1
		fi
		deb=$CACHE/debs/${file##*/}
		if [ ! -s "$deb" ]; then
			download "$1" "$suite" "$arch" "$p" "$deb" || return 1
		fi
		DEBS="$DEBS $deb"
	done
	DEBS=${DEBS# }
	echo "$DEBS" >"$manifest"
}

# download GUEST SUITE ARCH PKG DEST: apt-get download into a scratch
# directory, then to DEST, so a cut download is never used. A failure is
# the guest's FAIL or SKIP line, or with GUEST empty only WHY.
download() {
	dd=$CACHE/debs/partial.$$
	rm -rf "$dd"
	mkdir -p "$dd"
	if (cd "$dd" && apt_in "$2" "$3" apt-get download "$4") >"$dd.log" 2>&1 &&
		set -- "$1" "$2" "$3" "$4" "$5" "$dd"/*.deb && [ -s "$6" ]; then
		mv "$6" "$5"
		rm -rf "$dd" "$dd.log"
		return 0
	fi
	WHY="apt-get download $4: $(first_error "$dd.log")"
	if [ -z "$1" ]; then
		:
	elif unreachable "$dd.log"; then
		result "SKIP vm-$1 download: mirror unreachable: $WHY"
	else
		result "FAIL vm-$1 download: $WHY"
	fi
	rm -rf "$dd" "$dd.log"
	return 1
}

# extract_kernel GUEST: build/vm/GUEST/vmlinuz and config from $DEBS, once
# per set of packages. The image is boot/vmlinuz-* in the old packages,
# usr/lib/modules/*/vmlinuz in the split ones (and so is the config).
extract_kernel() {
	kd=$OUT/$1
	mkdir -p "$kd"
	[ -s "$kd/vmlinuz" ] && [ "$(cat "$kd/deb" 2>/dev/null)" = "$DEBS" ] && return 0
	rm -rf "$kd/pkg" "$kd/vmlinuz" "$kd/config" "$kd/deb"
	for deb in $DEBS; do
		if ! dpkg-deb -x "$deb" "$kd/pkg"; then
			result "FAIL vm-$1 download: dpkg-deb -x $deb failed"
			rm -rf "$kd/pkg"
			return 1
		fi
	done
	for f in "$kd"/pkg/boot/vmlinuz-* "$kd"/pkg/usr/lib/modules/*/vmlinuz; do
		[ -f "$f" ] && cp "$f" "$kd/vmlinuz"
	done
	if [ ! -s "$kd/vmlinuz" ]; then
		result "FAIL vm-$1 download: no boot/vmlinuz-* or usr/lib/modules/*/vmlinuz in $DEBS"
		rm -rf "$kd/pkg"
		return 1
	fi
	for f in "$kd"/pkg/boot/config-* "$kd"/pkg/usr/lib/modules/*/config; do
		[ -f "$f" ] && cp "$f" "$kd/config"
	done
	rm -rf "$kd/pkg"
	echo "$DEBS" >"$kd/deb"
}

# config_check GUEST: what the guest needs built into its kernel, from the
# config shipped with it. The initramfs has no modules, so each must be =y;
# a missing one is the reason the guest cannot run, said before booting.
config_check() {
	config=$OUT/$1/config
	if [ ! -s "$config" ]; then
		echo "vm-$1: no kernel config in the package; booting without checking it"
		return 0
	fi
	need="CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP"
	case $(guest_arch "$1") in
	x86_64) need="$need CONFIG_SERIAL_8250_CONSOLE" ;;
	arm64) need="$need CONFIG_SERIAL_AMBA_PL011_CONSOLE CONFIG_ARM_PSCI_FW" ;;
	esac
	missing=
	for c in $need; do
		v=$(sed -n "s/^$c=//p" "$config")
		[ "$v" = y ] || missing="$missing $c=${v:-unset}"
	done
	[ -z "$missing" ] && return 0
	result "FAIL vm-$1 boot: the kernel does not build in what a guest without modules needs:$missing"
	return 1
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
	cpio_node dev/ttyAMA0 $((0020620)) 204 64 900009
	cpio_node TRAILER!!! 0 0 0 0
}

# Another architecture's busybox and jq come from Debian's packages of
# that architecture, unpacked with dpkg-deb -x (never installed over the
# host's), from this release.
FOREIGN_SUITE=bookworm

# foreign_tree ARCH PACKAGE...: unpacks these packages of ARCH (cached in
# $CACHE/debs) into build/vm/pkgs-ARCH; sets TREE. Returns 1 with WHY.
foreign_tree() {
	arch=$1
	shift
	TREE=$OUT/pkgs-$arch
	update_lists "$FOREIGN_SUITE" "$arch" || return 1
	for p in "$@"; do
		file=$(pkg_field "$FOREIGN_SUITE" "$arch" "$p" Filename)
		[ -n "$file" ] || { WHY="$p is not in the $(deb_arch "$arch") lists of $FOREIGN_SUITE"; return 1; }
		deb=$CACHE/debs/${file##*/}
		if [ ! -s "$deb" ]; then
			download "" "$FOREIGN_SUITE" "$arch" "$p" "$deb" || return 1
		fi
		dpkg-deb -x "$deb" "$TREE" || { WHY="dpkg-deb -x $deb failed"; return 1; }
	done
}

# add_jq ROOT ARCH: jq with the shared libraries it loads (and their
# loader), so the guests parse the JSON output with the same tool as the
# host: the host's own for its architecture, else Debian's jq of ARCH.
# Busybox has no JSON parser; without jq the JSON tests skip.
add_jq() {
	mkdir -p "$1/usr/local/bin" || return 1
	if [ "$2" = "$(host_arch)" ]; then
		jq=$(command -v jq) || return 0
		cp "$jq" "$1/usr/local/bin/jq" || return 1
		for lib in $(ldd "$jq" | awk '/=>/ { print $3 } /^[[:space:]]*\// { print $1 }'); do
			mkdir -p "$1$(dirname "$lib")" && cp -L "$lib" "$1$lib" || return 1
		done
		return 0
	fi
	if ! foreign_tree "$2" jq libjq1 libonig5 libc6 libgcc-s1; then
		echo "vm: no jq for $2 guests ($WHY): their JSON tests skip"
		return 0
	fi
	cp "$TREE/usr/bin/jq" "$1/usr/local/bin/jq" || return 1
	# The loader, then each library named by a DT_NEEDED, found in the
	# unpacked packages' library directories, until none is new.
	interp=$(readelf -lW "$TREE/usr/bin/jq" | sed -n 's/.*interpreter: \(.*\)]$/\1/p')
	mkdir -p "$1$(dirname "$interp")" && cp -L "$TREE$interp" "$1$interp" || return 1
	todo=$TREE/usr/bin/jq
	while [ -n "$todo" ]; do
		next=
		for elf in $todo; do
			for lib in $(readelf -dW "$elf" | sed -n 's/.*Shared library: \[\(.*\)\]$/\1/p'); do
				found=
				for dir in "$TREE"/lib "$TREE"/usr/lib "$TREE"/lib/*-linux-gnu "$TREE"/usr/lib/*-linux-gnu; do
					[ -f "$dir/$lib" ] || continue
					found=${dir#"$TREE"/}/$lib
					break
				done
				[ -n "$found" ] || { echo "vm: jq for $2 needs $lib, not in its packages" >&2; return 1; }
				[ -f "$1/$found" ] && continue
				mkdir -p "$1/$(dirname "$found")" && cp -L "$TREE/$found" "$1/$found" || return 1
				next="$next $TREE/$found"
			done
		done
		todo=$next
	done
}

# add_busybox ROOT ARCH: busybox-static's busybox (the host's own for its
# architecture) and a link per applet. A dynamic busybox (package busybox)
# would not run in the initramfs.
add_busybox() {
	if [ "$2" = "$(host_arch)" ]; then
		cp /bin/busybox "$1/bin/busybox" || return 1
	else
		foreign_tree "$2" busybox-static || return 1
		cp "$TREE/bin/busybox" "$1/bin/busybox" || { WHY="no bin/busybox in busybox-static"; return 1; }
	fi
	# The applet list is the host's busybox-static's: the same release.
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$1/bin/$applet"
	done
}

# build_initramfs ARCH: build/vm/initramfs-ARCH.cpio.gz, the same for every
# kernel of that architecture (the guest's name reaches /init on the
# kernel command line). Returns 1 with WHY.
build_initramfs() {
	root=$OUT/root-$1
	rm -rf "$root" "$OUT/pkgs-$1"
	bins "$1"
	for f in "$BIN" "$BIN_DIR/dropgen" "$BIN_DIR/bpfobjs" "$BIN_DIR/nounshare"; do
		[ -x "$f" ] || { WHY="$f is missing (make test-vm builds it)"; return 1; }
	done
	WHY="cannot build the initramfs in $root"
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" \
		"$root/etc" "$root/root" "$root/usr" "$root/tests" || return 1
	add_busybox "$root" "$1" || return 1
	WHY="cannot build the initramfs in $root"
	# One directory of applets, wherever a script looks for them.
	ln -s bin "$root/sbin"
	ln -s ../bin "$root/usr/bin"
	ln -s ../bin "$root/usr/sbin"
	# User and group names, for id, ls and su.
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	cp "$BIN" "$root/tcpdrop" &&
		cp "$BIN_DIR/dropgen" "$root/dropgen" &&
		cp "$BIN_DIR/bpfobjs" "$root/bpfobjs" &&
		cp "$BIN_DIR/nounshare" "$root/nounshare" &&
		cp -R tests/live "$root/tests/live" &&
		cp -R tests/vm "$root/tests/vm" &&
		cp "$GUEST" "$root/tests/vm/guest.sh" &&
		cp tests/vm/init "$root/init" &&
		add_jq "$root" "$1" || return 1
	# Another kernel's BTF, for the test that tcpdrop refuses it.
	if [ -r /sys/kernel/btf/vmlinux ]; then
		cp /sys/kernel/btf/vmlinux "$root/other-kernel.btf" || return 1
	fi
	chmod 755 "$root/init"
	img=$OUT/initramfs-$1.cpio
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$img" &&
		dev_nodes >>"$img" &&
		gzip -n -f "$img"
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

# boot GUEST: runs the guest, waits for qemu to end, and sets BOOTED (ms
# from qemu's start to the guest's first line, empty if none), ELAPSED (ms)
# and QEMU_STATUS (124: the timeout stopped it). arm64 guests run on qemu's
# virt board with a Cortex-A57 (-cpu max is about 4x slower under TCG: it
# emulates pointer authentication) and its PL011 serial console.
boot() {
	log=$OUT/$1/console.log
	case $(guest_arch "$1") in
	x86_64) set -- "$1" qemu-system-x86_64 ttyS0 ;;
	arm64) set -- "$1" qemu-system-aarch64 ttyAMA0 -M virt -cpu cortex-a57 ;;
	esac
	guest=$1
	qemu=$2
	console=$3
	shift 3
	# Emptied first: the wait below must not find the last run's marker
	# before qemu's output replaces it.
	: >"$log"
	start=$(now_ms)
	# No -enable-kvm: KVM does not work on these machines; TCG does.
	timeout -k 10 "$TIMEOUT" "$qemu" "$@" -accel tcg -nographic -no-reboot \
		-smp 2 -m 1024 -nic none \
		-kernel "$OUT/$guest/vmlinuz" -initrd "$OUT/initramfs-$(guest_arch "$guest").cpio.gz" \
		-append "console=$console panic=-1 tcpdrop.kernel=$guest" \
		</dev/null >"$log" 2>&1 &
	QEMU_PID=$!
	BOOTED=
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		if [ -z "$BOOTED" ] && grep -qs '^TCPDROP-VM-START' "$log"; then
			BOOTED=$(($(now_ms) - start))
		fi
		sleep 0.1
	done
	wait "$QEMU_PID"
	QEMU_STATUS=$?
	QEMU_PID=
	ELAPSED=$(($(now_ms) - start))
	if [ -z "$BOOTED" ] && grep -qs '^TCPDROP-VM-START' "$log"; then
		BOOTED=$ELAPSED
	fi
}

# boot_guest GUEST: boot, and once more when the kernel panicked before
# the guest's first line: under TCG a kernel's own early boot fails now and
# then (seen once in about 40 boots of 7.3: an int3 of its text patching
# in an initcall), before any of ours runs. The first console log is kept
# beside the second.
boot_guest() {
	boot "$1"
	if [ -z "$BOOTED" ] && grep -qs 'Kernel panic' "$OUT/$1/console.log"; then
		echo "vm-$1: $(grep -m 1 'Kernel panic' "$OUT/$1/console.log" | tr -d '\r' | sed 's/^\[[^]]*\] *//' | cut -c 1-80) before the guest's first line; booting once more (first log: $OUT/$1/console-panic.log)"
		mv "$OUT/$1/console.log" "$OUT/$1/console-panic.log"
		boot "$1"
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

# report GUEST PKG: the guest's result lines, prefixed vm-K, from the console
# log (\r stripped); a FAIL when the guest did not finish.
report() {
	clean=$OUT/$1/console.txt
	tr -d '\r' <"$OUT/$1/console.log" >"$clean"
	release=$(sed -n 's/^TCPDROP-VM-START [^ ]* //p' "$clean" | head -n 1)
	if [ -n "$BOOTED" ]; then
		echo "vm-$1: kernel ${release:-$2}, fetched in $(secs "$FETCHED") s, booted in $(secs "$BOOTED") s, tests took $(secs $((ELAPSED - BOOTED))) s"
	else
		echo "vm-$1: kernel $2, fetched in $(secs "$FETCHED") s, no guest line after $(secs "$ELAPSED") s"
	fi
	if grep -q '^TCPDROP-VM-END' "$clean"; then
		# The copy after the results marker: printed with the console quiet.
		sed -n '/^TCPDROP-VM-RESULTS$/,/^TCPDROP-VM-END/p' "$clean" >"$OUT/$1/results.txt"
		guest_lines "$1" <"$OUT/$1/results.txt"
		check_guest_pcapng "$1" "$OUT/$1/results.txt"
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

# check_guest_pcapng GUEST RESULTS: the pcapng file the guest wrote with
# -w and printed with its expectations (pcapng_for_host in
# tests/live/pcapng.sh), read by the host's tshark: the guest has none.
check_guest_pcapng() {
	grep -q '^TCPDROP-PCAPNG-DATA ' "$2" || return 0
	dir=$OUT/$1/pcapng
	mkdir -p "$dir" || return
	sed -n 's/^TCPDROP-PCAPNG-DATA //p' "$2" | base64 -d >"$dir/guest.pcapng"
	sed -n 's/^TCPDROP-PCAPNG-EXPECT //p' "$2" >"$dir/expect"
	WORK=$dir sh -c '. tests/live/lib.sh && . tests/live/pcapng.sh &&
		pcapng_check pcapng_tshark "$0" "$1" && pass pcapng_tshark' \
		"$dir/guest.pcapng" "$dir/expect" | guest_lines "$1"
}

# guest_lines GUEST: the PASS/FAIL/SKIP lines on stdin, as results for
# vm-GUEST.
guest_lines() {
	grep -E '^(PASS|FAIL|SKIP) ' | sed "s/^\([A-Z]*\) /\1 vm-$1 /" |
		while IFS= read -r line; do
			result "$line"
		done
}

# run_guest GUEST: download, extract, check, boot and report one guest,
# after building its architecture's initramfs if no guest did yet.
run_guest() {
	arch=$(guest_arch "$1")
	case " $INITRAMFS_FAILED " in
	*" $arch "*)
		result "FAIL vm-$1 initramfs: $(cat "$OUT/initramfs-$arch.why")"
		return
		;;
	esac
	case " $INITRAMFS_BUILT " in
	*" $arch "*) ;;
	*)
		if ! build_initramfs "$arch"; then
			INITRAMFS_FAILED="$INITRAMFS_FAILED $arch"
			echo "$WHY" >"$OUT/initramfs-$arch.why"
			result "FAIL vm-$1 initramfs: $WHY"
			return
		fi
		INITRAMFS_BUILT="$INITRAMFS_BUILT $arch"
		;;
	esac
	t0=$(now_ms)
	if [ "$(guest_version "$1")" = embedded ]; then
		embedded_guest_kernel "$1" || return
		FETCHED=$(($(now_ms) - t0))
		boot_guest "$1"
		report "$1" "embedded-5.10"
		return
	fi
	fetch_kernel "$1" || return
	extract_kernel "$1" || return
	FETCHED=$(($(now_ms) - t0))
	config_check "$1" || return
	pkg=$(basename "${DEBS%% *}")
	boot_guest "$1"
	report "$1" "${pkg%%_*}"
}

# embedded_guest_kernel GUEST: the embedded-style 5.10 kernel (Debian's
# linux-source-5.10, tinyconfig plus tests/vm/embedded-5.10.config: -Os,
# no BTF, kprobes), built by tests/vm/build-embedded-kernel.sh, which
# rebuilds it only when the fragment or the source changes.
embedded_guest_kernel() {
	mkdir -p "$OUT/$1" || return 1
	image=$(TCPDROP_VM_CACHE=$CACHE sh tests/vm/build-embedded-kernel.sh 2>"$OUT/$1/build.log")
	if [ -z "$image" ] || [ ! -s "$image" ]; then
		result "FAIL vm-$1 kernel: $(tail -n 1 "$OUT/$1/build.log")"
		return 1
	fi
	cp "$image" "$OUT/$1/vmlinuz"
}

# qemu_of ARCH: the system emulator and its Debian package.
qemu_of() {
	case $1 in
	x86_64) echo qemu-system-x86_64:qemu-system-x86 ;;
	arm64) echo qemu-system-aarch64:qemu-system-arm ;;
	esac
}

# --- main -------------------------------------------------------------------

# Ctrl-C or a CI cancel must not leave qemu running: timeout(1) puts it in
# its own process group, out of reach of the terminal's signal.
trap '[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null; exit 130' INT TERM HUP

usage() {
	echo "usage: sh tests/vm/run.sh [ARCH-VERSION]...   (ARCH: x86_64 or arm64; e.g. x86_64-6.1 arm64-$NEWEST x86_64-embedded; a bare VERSION is x86_64's)" >&2
	exit 2
}
guests=
[ $# -gt 0 ] || set -- x86_64-5.10 x86_64-6.1 x86_64-6.12 "x86_64-$NEWEST" \
	x86_64-embedded arm64-5.10 arm64-6.1 arm64-6.12 "arm64-$NEWEST"
for k in "$@"; do
	case $k in
	[0-9]*) k=x86_64-$k ;;
	esac
	case $k in
	x86_64-* | arm64-*) ;;
	*) usage ;;
	esac
	guest_version "$k" | grep -Eqx '[0-9]+\.[0-9]+|embedded' || usage
	[ "$k" != arm64-embedded ] || usage
	guests="$guests $k"
done
arches=
for k in $guests; do
	case " $arches " in
	*" $(guest_arch "$k") "*) ;;
	*) arches="$arches $(guest_arch "$k")" ;;
	esac
done

# Checked before anything is written: build/ may well be root's.
if [ "$(id -u)" != 0 ]; then
	echo "SKIP vm: not root: it installs qemu and cpio and caches kernels in $CACHE"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
mkdir -p "$OUT" || exit 1
: >"$RESULTS"
[ -f "$GUEST" ] || fail_all "the guest script $GUEST is missing"
need="cpio busybox:busybox-static tshark"
for a in $arches; do
	need="$need $(qemu_of "$a")"
done
# shellcheck disable=SC2086
sh tools/deps.sh $need ||
	skip_all "cannot install what it needs: $(echo "$need" | sed 's/[^ ]*://g') (tools/deps.sh failed)"
# A dynamic busybox (package busybox) would not run in the initramfs.
[ "$(dpkg-query -W -f '${db:Status-Status}' busybox-static 2>/dev/null)" = installed ] ||
	skip_all "/bin/busybox is not from busybox-static (apt-get install busybox-static)"
for a in $arches; do
	q=$(qemu_of "$a")
	"${q%%:*}" -version >/dev/null 2>&1 || skip_all "${q%%:*} cannot run here"
done
MIRROR=$(mirror_uri)
[ -n "$MIRROR" ] || skip_all "no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
mkdir -p "$CACHE/debs" || skip_all "cannot create $CACHE"
INITRAMFS_BUILT=
INITRAMFS_FAILED=
rm -f "$OUT"/initramfs-*.why

matrix_start=$(now_ms)
for k in $guests; do
	run_guest "$k"
done
echo "vm: the matrix took $(secs $(($(now_ms) - matrix_start))) s"
finish
