#!/bin/sh
# The live scenarios inside a kernel-matrix guest: a busybox initramfs with
# only /proc, /sys and /tmp mounted, booted by tests/vm/run.sh. The guest is
# the test host: one network namespace, disposable, nothing else running.
# Prints PASS / FAIL / SKIP lines like the host's tests.
top=/tests
TCPDROP=${TCPDROP:-/tcpdrop}
DROPGEN=${DROPGEN:-/dropgen}
BPFOBJS=${BPFOBJS:-/bpfobjs}
NOUNSHARE=${NOUNSHARE:-/nounshare}
WORK=/tmp/work
mkdir -p "$WORK"
. "$top/live/lib.sh"
. "$top/live/expect.sh"
. "$top/live/scenarios.sh"
. "$top/live/truth.sh"
. "$top/live/faults.sh"
. "$top/live/fleet.sh"
. "$top/live/pcapng.sh"

# The whole guest is one fresh namespace already.
in_ns() {
	shift
	"$@"
}

# tcpdrop must find tracefs unmounted and leave it so.
tracefs_mounted() {
	grep -q ' tracefs ' /proc/mounts
}

test_tracefs_untouched() {
	if tracefs_mounted; then
		fail tracefs_untouched "tracefs is mounted after tcpdrop ran"
	else
		pass tracefs_untouched
	fi
}

# Without unshare, hide the BTF for the whole guest for the no-BTF tests.
no_btf_tests() {
	cp /sys/kernel/btf/vmlinux "$WORK/vmlinux.btf"
	if ! have_unshare; then
		mount -o bind /dev/null /sys/kernel/btf/vmlinux &&
			BTF_HIDDEN=1
	fi
	test_no_btf
	test_no_discovery
	test_discovery_fails
	test_btf_file btf_raw_file "$WORK/vmlinux.btf"
	if [ -n "$BTF_HIDDEN" ]; then
		umount /sys/kernel/btf/vmlinux
		BTF_HIDDEN=
	fi
}

echo "guest: kernel $(uname -r), $(nproc 2>/dev/null || echo '?') CPUs"
if tracefs_mounted; then
	fail guest "tracefs is mounted before the tests: the initramfs must not"
fi
MOUNTS_BEFORE=$(mount_table)
OBJECTS_BEFORE=$("$BPFOBJS" tcpdrop_ | tail -n 1)
if grep -qw tcp_drop /proc/kallsyms; then
	echo "guest: this kernel has a tcp_drop symbol"
fi
# The record layout as found, for the README's table.
echo "guest: $("$TCPDROP" -v -S -d 1 2>&1 >/dev/null | grep 'skb:kfree_skb id')"
if [ -s /sys/kernel/btf/vmlinux ]; then
	run_core_scenarios
	no_btf_tests
else
	# An embedded-style kernel: every scenario runs on the layout that
	# discovery finds; there is no BTF to hide.
	echo "guest: this kernel has no BTF: the scenarios run on the discovered layout"
	BTF_HIDDEN=1
	run_core_scenarios
	test_no_btf
	test_no_discovery
	test_discovery_fails
fi
run_operator_scenarios
run_truth_scenarios
run_fault_scenarios
fault_other_kernel_btf
# The guest is one namespace: the fleet tests use it whole, unfiltered.
FLEET_NO_NETNS=1 run_fleet_scenarios
# -w's file, checked by the host's tshark (tests/vm/run.sh); and -w
# without a layout (BTF hidden, no discovery) is refused.
pcapng_for_host /guest.pcapng
test_pcapng_no_btf
test_tracefs_untouched
test_nothing_left
