#!/bin/sh
# The size budget of issue 11: the binary stays within BUDGET bytes
# (200 KiB = 204800) for every architecture. Prints one line with the size
# against the budget; above it, says so and exits 1 (the Makefile then
# removes the binary, so the next make builds and checks it again).
# Usage: tools/size-check.sh BINARY BUDGET
bin=$1
budget=$2
size=$(wc -c <"$bin") || exit 1
if [ "$size" -le "$budget" ]; then
	awk -v b="$bin" -v s="$size" -v m="$budget" 'BEGIN {
		printf "%s: %d bytes, %.1f%% of the %d-byte budget (%d left)\n",
			b, s, 100 * s / m, m, m - s }'
	exit 0
fi
echo "$bin: $size bytes, over the $budget-byte budget by $((size - budget)) (README \"Size\"; make SIZE_BUDGET= skips this check)" >&2
exit 1
