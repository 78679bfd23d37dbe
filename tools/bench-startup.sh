#!/bin/sh
# Start-up benchmark: time from exec to the "Tracing" line (attached, rings
# ready), peak RSS without and with stacks, binary size (against the 200
# KiB budget). Prints figures and ratios against baselines measured in the
# same run, asserts nothing: shared machines are noisy. Needs root.
# Usage: tools/bench-startup.sh [RUNS]
top=$(cd "$(dirname "$0")/.." && pwd)
TCPDROP=${TCPDROP:-$top/tcpdrop}
runs=${1:-11}
btf=/sys/kernel/btf/vmlinux

now_us() { echo $(($(date +%s%N) / 1000)); }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Time until the first line of stdout: tcpdrop prints it once attached.
startup_us() {
	start=$(now_us)
	"$TCPDROP" -S -d 1 2>/dev/null | {
		read -r _
		echo $(($(now_us) - start))
		cat >/dev/null
	}
}

# The least any BTF-based tool does: read the kernel's BTF once.
btf_read_us() {
	start=$(now_us)
	cat "$btf" >/dev/null
	echo $(($(now_us) - start))
}

# The same clock, same shell, for a process that does nothing.
exec_us() {
	start=$(now_us)
	"$TCPDROP" --version >/dev/null
	echo $(($(now_us) - start))
}

# Peak RSS (VmHWM) of a 2-second run with options "$@", and what the
# process holds a second in: anonymous memory (heap), file pages (the
# binary's own) and shared memory (the perf rings, kernel memory mapped in,
# counted as their pages are touched).
# The BPF ring buffer is a bpf-map mapping (its 2 MiB of data mapped
# twice, all of it at mmap() time) and perf rings perf_event ones: both
# count as file pages in the status file, so the rings are taken out of
# them, from smaps.
peak_rss_kb() {
	"$TCPDROP" "$@" -d 2 >/dev/null 2>&1 &
	pid=$!
	sleep 1
	rings=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { ring = /bpf-map|perf_event/ }
		     /^Rss:/ && ring { kb += $2 } END { print kb + 0 }' \
		"/proc/$pid/smaps")
	awk -v rings="$rings" '/^VmHWM:/ { h = $2 } /^RssAnon:/ { a = $2 }
	     /^RssFile:/ { f = $2 } /^RssShmem:/ { s = $2 }
	     END { print h, a, f - rings, s + rings, h - rings }' "/proc/$pid/status"
	wait "$pid"
}

if [ "$(id -u)" != 0 ]; then
	echo "bench-startup: needs root" >&2
	exit 1
fi
i=0
: >/tmp/tcpdrop-bench.$$
while [ "$i" -lt "$runs" ]; do
	echo "$(startup_us) $(btf_read_us) $(exec_us)" >>/tmp/tcpdrop-bench.$$
	i=$((i + 1))
done
t_start=$(awk '{ print $1 }' /tmp/tcpdrop-bench.$$ | median)
t_btf=$(awk '{ print $2 }' /tmp/tcpdrop-bench.$$ | median)
t_exec=$(awk '{ print $3 }' /tmp/tcpdrop-bench.$$ | median)
rm -f /tmp/tcpdrop-bench.$$
set -- $(peak_rss_kb -S)
rss=$1 rss_own=$5 rss_parts="heap $2 KiB, binary $3 KiB, rings $4 KiB"
set -- $(peak_rss_kb)
rss_stacks=$1 rss_stacks_own=$5 rss_stacks_parts="heap $2 KiB, binary $3 KiB, rings $4 KiB"
btf_kb=$(($(wc -c <"$btf") / 1024))
size=$(wc -c <"$TCPDROP")

echo "kernel:              $(uname -r)"
echo "binary size:         $size bytes"
awk -v s="$size" -v m="${SIZE_BUDGET:-204800}" 'BEGIN {
	printf "  ratio:             %.2fx the %d-byte budget (200 KiB)\n", s / m, m }'
echo "start to Tracing:    $t_start us (median of $runs)"
echo "  baseline exec:     $t_exec us (tcpdrop --version)"
echo "  baseline BTF read: $t_btf us (cat $btf)"
awk -v a="$t_start" -v b="$t_btf" -v c="$t_exec" 'BEGIN {
	printf "  ratio:             %.1fx BTF read, %.1fx exec\n", a / b, a / c }'
echo "peak RSS (-S):       $rss KiB; $rss_own KiB without the rings' mapping"
echo "  a second in:       $rss_parts"
awk -v a="$rss_own" -v b="$btf_kb" 'BEGIN {
	printf "  ratio:             %.2fx the kernel BTF (%d KiB), without the rings\n", a / b, b }'
echo "peak RSS (stacks):   $rss_stacks KiB (with the kernel's symbols); $rss_stacks_own KiB without the rings' mapping"
echo "  a second in:       $rss_stacks_parts"
