# shellcheck shell=sh disable=SC2154 # top and CACHE are the caller's
# The embedded-style 5.10 kernel of the kernel matrix: functions to source
# (after tests/vm/lib.sh), used by tests/vm/build-embedded-kernel.sh and
# tests/vm/boot-embedded.sh, and meant for the matrix runner too.
#
# embedded_kernel builds Debian bullseye's linux-source-5.10 as
# `make tinyconfig` + tests/vm/embedded-5.10.config and sets EMBEDDED_DIR
# to a cache directory holding bzImage, vmlinux (with symbols) and config.
# That directory is named after a hash of the fragment, the source
# package's version and the compiler's, so the kernel is rebuilt only when
# one of them changes.
#
# The caller sets CACHE and top (the checkout). Cache layout:
#   $CACHE/debs/linux-source-5.10_VERSION_all.deb   the source package
#   $CACHE/embedded-5.10/src-VERSION/              its unpacked tree
#   $CACHE/embedded-5.10/build/                    the object tree (O=)
#   $CACHE/embedded-5.10-HASH/                     bzImage vmlinux config
# The object tree is reused across fragments, so a changed fragment
# rebuilds only what it changes.

EMBEDDED_SUITE=bullseye
EMBEDDED_PKG=linux-source-5.10
EMBEDDED_FRAGMENT=tests/vm/embedded-5.10.config
EMBEDDED_DEBS="gcc make flex bison bc libelf-dev xz-utils"

# embedded_say MSG: progress, on stderr (stdout is the image's path).
embedded_say() {
	echo "embedded-5.10: $*" >&2
}

# embedded_tools: the compiler and the tools a kernel build runs.
embedded_tools() {
	missing=
	for p in $EMBEDDED_DEBS; do
		[ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	embedded_say "installing$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; } ||
		{ WHY="apt-get install$missing failed"; return 1; }
}

# embedded_source: sets SRC_DEB and SRC_VERSION, downloading the source
# package of bullseye's lists when it is not cached. Offline, the newest
# cached package serves. WHY says why it failed.
embedded_source() {
	MIRROR=${MIRROR:-$(mirror_uri)}
	mkdir -p "$CACHE/debs" || { WHY="cannot create $CACHE/debs"; return 1; }
	lists=0
	if [ -n "$MIRROR" ]; then
		update_lists "$EMBEDDED_SUITE"
		lists=$?
	else
		WHY="no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
		lists=2
	fi
	if [ "$lists" -ne 0 ]; then
		SRC_DEB=
		for f in "$CACHE/debs/${EMBEDDED_PKG}"_*_all.deb; do
			[ -s "$f" ] && SRC_DEB=$f
		done
		[ -n "$SRC_DEB" ] || return 1
		embedded_say "$WHY; using the cached $(basename "$SRC_DEB")"
		SRC_VERSION=$(dpkg-deb -f "$SRC_DEB" Version)
		return 0
	fi
	file=$(apt_in "$EMBEDDED_SUITE" apt-cache show --no-all-versions "$EMBEDDED_PKG" 2>/dev/null |
		sed -n 's|^Filename: .*/||p' | head -n 1)
	[ -n "$file" ] || { WHY="$EMBEDDED_PKG is not in the lists of $EMBEDDED_SUITE"; return 1; }
	SRC_DEB=$CACHE/debs/$file
	if [ ! -s "$SRC_DEB" ]; then
		embedded_say "downloading $file"
		dd=$CACHE/debs/partial.$$
		rm -rf "$dd"
		mkdir -p "$dd"
		if ! (cd "$dd" && apt_in "$EMBEDDED_SUITE" apt-get download "$EMBEDDED_PKG") >"$dd.log" 2>&1 ||
			! set -- "$dd"/*.deb || [ ! -s "$1" ]; then
			WHY="apt-get download $EMBEDDED_PKG: $(first_error "$dd.log")"
			rm -rf "$dd" "$dd.log"
			return 1
		fi
		mv "$1" "$SRC_DEB"
		rm -rf "$dd" "$dd.log"
	fi
	SRC_VERSION=$(dpkg-deb -f "$SRC_DEB" Version)
}

# embedded_unpack: SRC_TREE, the source tree of SRC_VERSION, unpacked once
# (a tree of another version is removed: it is 1 GB).
embedded_unpack() {
	base=$CACHE/embedded-5.10
	SRC_TREE=$base/src-$SRC_VERSION
	[ -f "$SRC_TREE/.unpacked" ] && return 0
	mkdir -p "$base" || { WHY="cannot create $base"; return 1; }
	for old in "$base"/src-*; do
		[ -d "$old" ] && rm -rf "$old"
	done
	embedded_say "unpacking $(basename "$SRC_DEB")"
	tmp=$base/unpack.$$
	rm -rf "$tmp"
	if ! mkdir -p "$tmp" || ! dpkg-deb -x "$SRC_DEB" "$tmp"; then
		WHY="dpkg-deb -x $SRC_DEB failed"
		rm -rf "$tmp"
		return 1
	fi
	set -- "$tmp"/usr/src/linux-source-*.tar.*
	[ -f "$1" ] || { WHY="no usr/src/linux-source-*.tar.* in $SRC_DEB"; rm -rf "$tmp"; return 1; }
	if ! tar -C "$tmp" -xf "$1"; then
		WHY="cannot unpack $1"
		rm -rf "$tmp"
		return 1
	fi
	rm -f "$1"
	set -- "$tmp"/linux-source-*/Makefile
	[ -f "$1" ] || { WHY="no linux-source-*/Makefile in $SRC_DEB"; rm -rf "$tmp"; return 1; }
	mv "$(dirname "$1")" "$SRC_TREE" && rm -rf "$tmp" && : >"$SRC_TREE/.unpacked"
}

# embedded_hash: what the built image depends on, as a short hash.
embedded_hash() {
	{
		cat "$top/$EMBEDDED_FRAGMENT"
		echo "$EMBEDDED_PKG $SRC_VERSION"
		gcc -dumpfullversion 2>/dev/null || gcc -dumpversion
	} | sha256sum | cut -c 1-16
}

# embedded_check_config CONFIG: every option the fragment sets must be in
# the final config with that value; Kconfig drops one silently when a
# dependency is not met.
embedded_check_config() {
	bad=$(sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)/\1/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set/\1=n/p' "$top/$EMBEDDED_FRAGMENT" |
		while IFS='=' read -r opt want; do
			have=$(sed -n -e "s/^$opt=//p" -e "s/^# $opt is not set/n/p" "$1" | head -n 1)
			[ -z "$have" ] && have=n
			[ "$have" = "$want" ] || printf ' %s=%s (wanted %s)' "$opt" "$have" "$want"
		done)
	[ -z "$bad" ] && return 0
	WHY="the fragment's options did not all hold:$bad"
	return 1
}

# embedded_build: configures and builds in the shared object tree, then
# copies the results into EMBEDDED_DIR (written last, as a whole).
embedded_build() {
	obj=$CACHE/embedded-5.10/build
	mkdir -p "$obj" || { WHY="cannot create $obj"; return 1; }
	# The object tree belongs to one source tree: start over on another.
	if [ "$(cat "$obj/.source" 2>/dev/null)" != "$SRC_TREE" ]; then
		rm -rf "$obj"
		mkdir -p "$obj"
		echo "$SRC_TREE" >"$obj/.source"
	fi
	log=$CACHE/embedded-5.10/build.log
	embedded_say "building in $obj (log: $log)"
	jobs=$(nproc 2>/dev/null || echo 2)
	# The configuration: written fresh each time from tinyconfig and the
	# fragment, so that nothing of an earlier fragment survives.
	{
		make -C "$SRC_TREE" O="$obj" ARCH=x86_64 tinyconfig &&
			"$SRC_TREE/scripts/kconfig/merge_config.sh" -m -O "$obj" \
				"$obj/.config" "$top/$EMBEDDED_FRAGMENT" &&
			make -C "$SRC_TREE" O="$obj" ARCH=x86_64 olddefconfig
	} >"$log" 2>&1 || { WHY="configuring failed, see $log"; return 1; }
	embedded_check_config "$obj/.config" || return 1
	# uname -v the same on every build of one source (not "#2 ... today").
	KBUILD_BUILD_VERSION=1 KBUILD_BUILD_USER=tcpdrop KBUILD_BUILD_HOST=vm \
		KBUILD_BUILD_TIMESTAMP=$(date -u -r "$SRC_TREE/Makefile" '+%F %T UTC') \
		make -C "$SRC_TREE" O="$obj" ARCH=x86_64 -j"$jobs" bzImage >>"$log" 2>&1 ||
		{ WHY="make bzImage failed: $(grep -m 1 -E 'error|Error' "$log" | cut -c 1-200), see $log"; return 1; }
	tmp=$EMBEDDED_DIR.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp" &&
		cp "$obj/arch/x86/boot/bzImage" "$tmp/bzImage" &&
		cp "$obj/vmlinux" "$tmp/vmlinux" &&
		cp "$obj/System.map" "$tmp/System.map" &&
		cp "$obj/.config" "$tmp/config" &&
		echo "$EMBEDDED_PKG $SRC_VERSION" >"$tmp/version" || { WHY="cannot write $tmp"; rm -rf "$tmp"; return 1; }
	rm -rf "$EMBEDDED_DIR"
	mv "$tmp" "$EMBEDDED_DIR" || { WHY="cannot write $EMBEDDED_DIR"; return 1; }
	# Kernels of earlier fragments or sources: 25 MB each, never used again.
	for old in "$CACHE"/embedded-5.10-*; do
		[ "$old" = "$EMBEDDED_DIR" ] || rm -rf "$old"
	done
}

# embedded_kernel: EMBEDDED_DIR with a built kernel, cached or new.
# Returns 1 with WHY on failure.
embedded_kernel() {
	embedded_source || return 1
	EMBEDDED_DIR=$CACHE/embedded-5.10-$(embedded_hash)
	[ -s "$EMBEDDED_DIR/bzImage" ] && return 0
	embedded_tools || return 1
	embedded_unpack || return 1
	embedded_build
}
