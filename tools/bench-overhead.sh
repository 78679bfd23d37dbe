#!/bin/sh
# Per-drop overhead benchmark: the time the kernel takes to drop N packets
# (bad-checksum SYNs sent by build/dropgen flood4 over loopback) with no
# tracer, then under tcpdrop in several modes. Prints ns per drop and the
# ratio to the untraced baseline, measured in the same run; asserts
# nothing (shared machines are noisy). Needs root.
# Usage: tools/bench-overhead.sh [N]
top=$(cd "$(dirname "$0")/.." && pwd)
TCPDROP=${TCPDROP:-$top/tcpdrop}
DROPGEN=${DROPGEN:-$top/build/dropgen}
n=${1:-200000}
ns=tcpdrop-bench-$$
work=$(mktemp -d)
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$work"' EXIT

if [ "$(id -u)" != 0 ]; then
	echo "bench-overhead: needs root" >&2
	exit 1
fi
ip netns add "$ns" && ip -n "$ns" link set lo up || exit 1

# flood: nanoseconds the N drops took.
flood() {
	ip netns exec "$ns" "$DROPGEN" flood4 127.0.0.2 40001 127.0.0.3 80 "$n" |
		sed -n 's/.* ns=\([0-9]*\).*/\1/p'
}

# traced LABEL ARGS...: the flood under tcpdrop ARGS (output discarded).
traced() {
	label=$1
	shift
	"$TCPDROP" "$@" >"$work/out" 2>"$work/err" &
	pid=$!
	while ! grep -q '^Tracing' "$work/out" "$work/err" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { echo "$label: tcpdrop failed: $(cat "$work/err")"; return; }
		sleep 0.05
	done
	took=$(flood)
	sleep 0.2
	kill -INT "$pid"
	wait "$pid"
	summary=$(sed -n 's/^tcpdrop: \(.* lost\)\(, .*\)\{0,1\}$/\1/p' "$work/err")
	report "$label" "$took" "$summary"
}

report() {
	awk -v label="$1" -v t="$2" -v base="$base" -v n="$n" -v s="$3" 'BEGIN {
		printf "%-34s %7.0f ns/drop  %5.2fx  %s\n", label, t / n,
			t / base, s }'
}

flood >/dev/null # warm up caches and the namespace
base=$(flood)
echo "kernel $(uname -r), $n drops per run"
report "no tracer (baseline)" "$base" ""
traced "tcpdrop -S (every row printed)" -S
traced "tcpdrop (rows and stacks)"
traced "tcpdrop -c (counts)" -c
traced "tcpdrop -S -p 9 (filtered in kernel)" -S -p 9
traced "tcpdrop -S -r NO_SOCKET (filtered)" -S -r NO_SOCKET
