# Helpers shared by the kernel-matrix scripts that build or fetch kernels
# from the Debian mirror (tests/vm/build-embedded-kernel.sh,
# tests/vm/boot-embedded.sh). The same as run.sh's own, which cannot be
# sourced (it runs the matrix when read); run.sh may source this later.
#
# The caller sets CACHE (a root-owned directory) and, before update_lists,
# MIRROR (from mirror_uri). KEYRING defaults to Debian's archive keyring.
KEYRING=${KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

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
