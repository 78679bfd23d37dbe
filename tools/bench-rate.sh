#!/bin/sh
# Rate benchmark: the highest rate of drops each tracer follows with none
# lost, and what each drop costs in the kernel, measured in one run against
# a floor (an empty program on the same tracepoint). Prints figures, asserts
# nothing: shared machines are noisy. Needs root, bpftrace, bpftool, jq.
#
# In a network namespace of its own, build/dropgen pace4 sends bad-checksum
# SYNs (each one TCP_CSUM drop) at a stepped rate for a fixed time, from
# BENCH_CPUS threads pinned to distinct CPUs. Each step runs a new tracer,
# filtered to that namespace, whose rows go to a real reader (cat into
# /dev/null through a pipe, as `tcpdrop | ...` would), and reads at exit
# how many drops it traced and lost; a drop neither traced nor counted
# lost is counted lost. A mode stops stepping at its first losing rate
# once the cost rate is behind it, and goes straight to dropgen's fastest
# once dropgen falls over 10% short of a rate with nothing lost. The tracers:
# tcpdrop -S, tcpdrop (stacks), -j, -c, and tools/bench-bpftrace.bt (the
# same tuple decoded from the headers by bpftrace, printed without
# stacks, like -S).
#
# Cost per drop: with kernel.bpf_stats_enabled on (its value restored at
# exit), run_time_ns / run_cnt of the tracer's program on skb:kfree_skb
# over the step at BENCH_COST_RATE; the programs are those the tracer's
# own processes attached to skb:kfree_skb (bpftool perf show), so that
# other tracers on the host do not count, read with bpftool prog show. run_cnt also
# counts the host's other drops (the filters run in the program): the
# table marks a figure with * where they were over 10% of the step's.
# The floor is bpftrace's `tracepoint:skb:kfree_skb { }`: the same
# attachment as the bpftrace script, nothing to build, and its program is
# the least any tracer runs there (return 0), so what it costs is the
# price of running a BPF program on that tracepoint at all, stats clock
# included.
#
# Usage: tools/bench-rate.sh
# Environment: BENCH_RATES (drops/s, 0 = as fast as dropgen can; default
# "25000 50000 100000 200000 300000 400000 600000 0"), BENCH_SECONDS (2),
# BENCH_CPUS (2, at most the CPUs there are), BENCH_COST_RATE (100000),
# BENCH_RETRY (1: a losing step is run once more; 0 lost on any try is
# 0 lost), BENCH_MODES ("-S default -j -c bpftrace").
top=$(cd "$(dirname "$0")/.." && pwd)
TCPDROP=${TCPDROP:-$top/tcpdrop}
DROPGEN=${DROPGEN:-$top/build/dropgen}
BT_SCRIPT=$top/tools/bench-bpftrace.bt
rates=${BENCH_RATES:-"25000 50000 100000 200000 300000 400000 600000 0"}
secs=${BENCH_SECONDS:-2}
cpus=${BENCH_CPUS:-2}
cost_rate=${BENCH_COST_RATE:-100000}
retry=${BENCH_RETRY:-1}
modes=${BENCH_MODES:-"-S default -j -c bpftrace"}
ns=tcpdrop-rate-$$
work=$(mktemp -d)
stats_old=""
tracer=""
consumer=""

die() {
	echo "bench-rate: $*" >&2
	exit 1
}

cleanup() {
	[ -n "$tracer" ] && kill -KILL "$tracer" 2>/dev/null
	[ -n "$consumer" ] && kill -KILL "$consumer" 2>/dev/null
	[ -n "$stats_old" ] && sysctl -qw kernel.bpf_stats_enabled="$stats_old"
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "needs root"
for tool in bpftrace bpftool jq; do
	command -v "$tool" >/dev/null || die "needs $tool (sh tools/deps.sh bpftrace bpftool jq)"
done
[ "$cpus" -le "$(nproc)" ] || cpus=$(nproc)
{ ip netns add "$ns" && ip -n "$ns" link set lo up; } || die "cannot make namespace $ns"
ino=$(ip netns exec "$ns" stat -L -c %i /proc/self/ns/net) || die "no namespace inode"
stats_old=$(sysctl -n kernel.bpf_stats_enabled) || die "no kernel.bpf_stats_enabled"

# pace RATE: dropgen's result line for RATE drops/s (0: its maximum) over
# BENCH_SECONDS, in the namespace.
pace() {
	ip netns exec "$ns" "$DROPGEN" pace4 127.0.0.2 40001 127.0.0.3 80 \
		"$1" "$secs" "$cpus"
}

# field NAME LINE: the value of NAME= on a key=value line.
field() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# wait_ready PATTERN FILE...: until a file has PATTERN, or the tracer died.
wait_ready() {
	pattern=$1
	shift
	i=0
	while ! grep -qs "$pattern" "$@"; do
		kill -0 "$tracer" 2>/dev/null || return 1
		i=$((i + 1))
		[ "$i" -lt 600 ] || return 1 # 30 s
		sleep 0.05
	done
}

# start_tcpdrop ARGS...: tcpdrop ARGS -N (the namespace), its rows read by
# cat; its first line is kept to see "Tracing" (-j says it on stderr).
start_tcpdrop() {
	rm -f "$work/fifo" "$work/first" "$work/err"
	mkfifo "$work/fifo"
	{
		IFS= read -r line
		printf '%s\n' "$line" >"$work/first"
		exec cat >/dev/null
	} <"$work/fifo" &
	consumer=$!
	"$TCPDROP" "$@" -N "$ino" >"$work/fifo" 2>"$work/err" &
	tracer=$!
	wait_ready '^Tracing' "$work/first" "$work/err"
}

# start_bpftrace SCRIPT [ARGS]: bpftrace in a mount namespace of its own
# with tracefs mounted where it looks (nothing stays mounted on the host);
# its rows counted and dropped by awk, with its "Lost N events" lines.
# Ready once its program is attached: with stdout a pipe, bpftrace holds
# its "Attaching" line in its buffer (full buffering, kept: tcpdrop's
# output to a pipe is buffered too).
start_bpftrace() {
	rm -f "$work/fifo" "$work/err" "$work/count"
	mkfifo "$work/fifo"
	awk -v count="$work/count" '
		/^Attaching/ || NF == 0 { next }
		/^Lost [0-9]+ events/ { lost += $2; next }
		{ n++ }
		END { printf "%d drops traced, %d lost\n", n, lost > count }' \
		<"$work/fifo" &
	consumer=$!
	# shellcheck disable=SC2016
	unshare -m sh -c 'mount -t tracefs tracefs /sys/kernel/tracing &&
		exec bpftrace "$@"' sh "$@" >"$work/fifo" 2>"$work/err" &
	tracer=$!
	wait_attached
}

# stop_tracer: SIGINT, then SIGKILL after 10 s; the tracer's summary line
# ("N drops traced, M lost", tcpdrop's or our count of bpftrace's).
stop_tracer() {
	kill -INT "$tracer" 2>/dev/null
	i=0
	while kill -0 "$tracer" 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$tracer" 2>/dev/null
	wait "$tracer" 2>/dev/null
	wait "$consumer" 2>/dev/null
	tracer=""
	consumer=""
	cat "$work/count" "$work/err" 2>/dev/null |
		sed -n 's/^\(tcpdrop: \)\{0,1\}\([0-9]* drops traced, [0-9]* lost\).*/\2/p' | tail -n 1
}

# tree PID: PID and its descendants (tcpdrop traces from a child).
# shellcheck disable=SC2086,SC2046,SC2116 # the lists split on purpose
tree() {
	todo=$1
	while [ -n "$todo" ]; do
		set -- $todo
		p=$1
		shift
		echo "$p"
		todo=$(echo "$@" $(cat /proc/"$p"/task/*/children 2>/dev/null))
	done
}

# attached_progs: the ids of the BPF programs that the tracer's processes
# attached to skb:kfree_skb (bpftool perf show: perf event attachments by
# pid), as a JSON array; [] before they are attached.
attached_progs() {
	bpftool perf show -j 2>/dev/null | jq -c --argjson pids \
		"$(tree "$tracer" | jq -s -c .)" '
		[ .[] | select(.tracepoint == "kfree_skb") |
		  select(.pid as $p | $pids | index($p)) | .prog_id ] | unique'
}

# wait_attached: until the tracer has a program on skb:kfree_skb.
wait_attached() {
	i=0
	while [ "$(attached_progs)" = "[]" ]; do
		kill -0 "$tracer" 2>/dev/null || return 1
		i=$((i + 1))
		[ "$i" -lt 300 ] || return 1 # 30 s
		sleep 0.1
	done
}

# prog_stats KIND: "run_time_ns run_cnt" summed over the tracer's
# programs on skb:kfree_skb (tcpdrop: tcpdrop_kfree_skb, named
# tcpdrop_kfree_s in 15 characters; bpftrace: its tracepoint program).
prog_stats() {
	bpftool prog show -j 2>/dev/null | jq -r --argjson ids "$prog_list" \
		--arg kind "$1" '
		[ .[] | select(.id as $i | $ids | index($i)) |
		  select(if $kind == "tcpdrop"
			 then (.name | startswith("tcpdrop_kfree"))
			 else .type == "tracepoint" end) ] |
		"\(map(.run_time_ns // 0) | add // 0) \(map(.run_cnt // 0) | add // 0)"'
}

# start MODE: the tracer of a mode (-S, default, -j, -c, bpftrace, empty).
start_mode() {
	case $1 in
	default) start_tcpdrop ;;
	bpftrace) start_bpftrace "$BT_SCRIPT" "$ino" ;;
	empty) start_bpftrace -e 'tracepoint:skb:kfree_skb { }' ;;
	*) start_tcpdrop "$1" ;;
	esac
}

mode_kind() {
	case $1 in
	bpftrace | empty) echo bpftrace ;;
	*) echo tcpdrop ;;
	esac
}

# step MODE RATE: one tracer, one paced run. Sets sent (each packet sent
# is one drop: TCP_CSUM, or CPU_BACKLOG when the loopback backlog was
# full, which the tracers see as well), achieved, kept_up, traced, lost,
# cost_ns ("" when unknown) and busy (run_cnt over the drops made, %).
step() {
	sent="" traced="" lost="" cost_ns="" busy=""
	if ! start_mode "$1"; then
		echo "  $1: tracer did not start: $(head -n 3 "$work/err")" >&2
		stop_tracer >/dev/null
		return 1
	fi
	prog_list=$(attached_progs)
	sysctl -qw kernel.bpf_stats_enabled=1
	before=$(prog_stats "$(mode_kind "$1")")
	line=$(pace "$2") || line=""
	after=$(prog_stats "$(mode_kind "$1")")
	# The last packets sent are still queued on loopback (its backlog,
	# up to netdev_max_backlog a CPU) when dropgen returns: their drops
	# come a few milliseconds later, and a stop before them would count
	# them lost. A tracer whose detach takes an RCU grace period (the
	# perf tracepoint attachment) hid this; one that detaches at once
	# (tp_btf) does not.
	sleep 0.5
	summary=$(stop_tracer)
	sent=$(field count "$line")
	achieved=$(field rate "$line")
	kept_up=$(field kept_up "$line")
	[ -n "$sent" ] || { echo "  $1: dropgen failed" >&2; return 1; }
	traced=$(echo "$summary" | sed -n 's/^\([0-9]*\) drops traced.*/\1/p')
	lost=$(echo "$summary" | sed -n 's/.* \([0-9]*\) lost$/\1/p')
	# A drop the tracer neither showed nor counted lost is lost too.
	if [ -n "$traced" ] && [ "$((traced + ${lost:-0}))" -lt "$sent" ]; then
		lost=$((sent - traced))
	fi
	# shellcheck disable=SC2086 # two numbers each
	set -- $before $after
	if [ $# = 4 ] && [ "$4" -gt "$2" ]; then
		cost_ns=$((($3 - $1) / ($4 - $2)))
		busy=$(((($4 - $2) * 100) / (sent > 0 ? sent : 1)))
	fi
	return 0
}

# ladder MODE: the rates in turn, until one loses (the cost rate is always
# run: its step gives the cost); a losing step is retried BENCH_RETRY
# times. Once dropgen falls over 10% short of a rate with none lost (the
# tracer's own cost slows the sender), only the cost rate and its fastest
# remain.
# Prints one line a step; appends the mode's row to the table: the
# highest rate reached with none lost ("max" when dropgen could not go
# faster), the first losing one, the cost.
ladder() {
	mode=$1 best="-" best_rate=0 first="-" cost="-" star="" saturated=""
	for rate in $rates; do
		if [ -n "$saturated" ] && [ "$rate" != 0 ] &&
			{ [ "$rate" != "$cost_rate" ] || [ "$cost" != "-" ]; }; then
			continue
		fi
		try=0
		while :; do
			step "$mode" "$rate" || break
			[ "${lost:-1}" = 0 ] || [ "$try" -ge "$retry" ] && break
			try=$((try + 1))
			echo "  $mode at $rate/s: lost $lost of $sent, once more"
		done
		[ -n "$sent" ] || break
		printf '  %-9s asked %7s/s  made %8s (%6s/s, kept up: %s)  traced %8s  lost %8s  %5s ns/drop (runs %s%% of made)\n' \
			"$mode" "$rate" "$sent" "$achieved" "$kept_up" \
			"${traced:-?}" "${lost:-?}" "${cost_ns:-?}" "${busy:-?}"
		if [ "$rate" = "$cost_rate" ] && [ -n "$cost_ns" ]; then
			cost=$cost_ns
			[ "${busy:-0}" -gt 110 ] && star="*"
		fi
		# Short: over 10% below the rate asked (a step a few packets
		# short only met a busy moment of a shared machine).
		short=""
		[ "$rate" = 0 ] || [ "$((achieved * 10))" -lt "$((rate * 9))" ] &&
			short=1
		if [ "${lost:-1}" = 0 ]; then
			[ -z "$short" ] || saturated=1
			if [ "$achieved" -gt "$best_rate" ]; then
				best_rate=$achieved
				best=$achieved
				[ -z "$short" ] || best="max $achieved"
			fi
		elif [ "$first" = "-" ]; then
			first="$achieved ($lost/$sent)"
		fi
		if [ "$first" != "-" ] && { [ "$cost" != "-" ] || [ "$rate" = 0 ]; }; then
			break
		fi
	done
	echo "$mode|$best|$first|$cost$star" >>"$work/table"
}

label() {
	case $1 in
	bpftrace) echo "bpftrace script" ;;
	empty) echo "empty program" ;;
	default) echo "tcpdrop (stacks)" ;;
	*) echo "tcpdrop $1" ;;
	esac
}

echo "kernel $(uname -r), $(nproc) CPUs; dropgen pace4 from $cpus CPUs, ${secs} s a step; cost at $cost_rate/s"
gen_max=$(field rate "$(pace 0)")
echo "  generator alone (no tracer): $gen_max drops/s"
: >"$work/table"
for mode in $modes; do
	ladder "$mode"
done
floor="-"
if step empty "$cost_rate" && [ -n "$cost_ns" ]; then
	floor=$cost_ns
	echo "empty|-|-|$cost_ns" >>"$work/table"
fi

echo
printf '%-20s %-18s %-30s %-12s %s\n' mode "highest 0 lost/s" \
	"first losing/s (lost/made)" "ns/drop" "x empty"
while IFS='|' read -r mode best first cost; do
	ratio=$(awk -v c="${cost%\*}" -v f="$floor" 'BEGIN {
		if (c + 0 > 0 && f + 0 > 0) printf "%.1fx", c / f; else print "-" }')
	printf '%-20s %-18s %-30s %-12s %s\n' "$(label "$mode")" "$best" \
		"$first" "$cost" "$ratio"
done <"$work/table"
awk -F'|' '$1 == "-S" { s = $4 } $1 == "bpftrace" { b = $4 } END {
	sub(/\*/, "", s); sub(/\*/, "", b)
	if (s + 0 > 0 && b + 0 > 0)
		printf "tcpdrop -S costs 1/%.0f of the bpftrace script in the kernel\n", b / s }' "$work/table"
echo "generator's maximum: $gen_max drops/s from $cpus CPUs with no tracer"
echo "(ns/drop: run_time_ns / run_cnt at $cost_rate/s; * other drops on the host were over 10% of run_cnt)"
