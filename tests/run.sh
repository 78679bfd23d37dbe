#!/bin/sh
# Runs the unit test binaries given as arguments, then the live tests, and
# adds up their PASS / FAIL / SKIP lines into one closing line.
# Usage: sh tests/run.sh build/unit/test_* (from the top directory)
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
log=$(mktemp)
one=$(mktemp)
trap 'rm -f "$log" "$one"' EXIT

for bin in "$@"; do
	echo "== $bin"
	"$bin" >"$one" 2>&1
	status=$?
	cat "$one"
	cat "$one" >>"$log"
	# A crash (ASan, a signal) after its last PASS line must still count.
	if [ "$status" -ne 0 ] && ! grep -q "^FAIL" "$one"; then
		echo "FAIL $bin: exited with status $status" | tee -a "$log"
	fi
done

echo "== fuzz corpus replay"
make -s fuzz-replay >"$one" 2>&1
cat "$one"
cat "$one" >>"$log"

echo "== man page"
sh tests/man.sh >"$one" 2>&1
cat "$one"
cat "$one" >>"$log"

echo "== command line"
sh tests/cli.sh >"$one" 2>&1
cat "$one"
cat "$one" >>"$log"

echo "== live tests"
sh tests/live/live.sh >"$one" 2>&1
cat "$one"
cat "$one" >>"$log"

# The same kernel through the paths older kernels take: the tracepoint
# program where tp_btf would serve (before 5.5, or without the kernel's
# own BTF), the perf rings where the BPF ring buffer would (before 5.8).
echo "== live tests, older kernels' paths (tracepoint program, perf rings)"
COMPAT_ONLY=1 TEST_SUFFIX=@compat TCPDROP_NO_TP_BTF=1 TCPDROP_PERF_RING=1 \
	sh tests/live/live.sh >"$one" 2>&1
cat "$one"
cat "$one" >>"$log"

passed=$(grep -c '^PASS' "$log")
failed=$(grep -c '^FAIL' "$log")
skipped=$(grep -c '^SKIP' "$log")
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
