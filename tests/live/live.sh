#!/bin/sh
# Live tests on this machine's kernel: real drops, made by build/dropgen in
# network namespaces of their own, traced by ./tcpdrop. Every check asserts
# exact addresses, ports, state, flags and reason (tests/live/scenarios.sh).
# Needs root; prints SKIP lines saying why otherwise.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
TCPDROP=${TCPDROP:-$top/tcpdrop}
DROPGEN=${DROPGEN:-$top/build/dropgen}
BPFOBJS=${BPFOBJS:-$top/build/bpfobjs}
NOUNSHARE=${NOUNSHARE:-$top/build/nounshare}
WORK=$(mktemp -d)
NS_PREFIX="tcpdrop-test-$$"
. "$top/tests/live/lib.sh"
. "$top/tests/live/expect.sh"
. "$top/tests/live/scenarios.sh"
. "$top/tests/live/truth.sh"
. "$top/tests/live/faults.sh"
. "$top/tests/live/fleet.sh"
. "$top/tests/live/pcapng.sh"

cleanup() {
	[ -n "$TRACER_PID" ] && kill "$TRACER_PID" 2>/dev/null
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		case "$ns" in "$NS_PREFIX"-*) ip netns del "$ns" ;; esac
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	skip live "not root: the live tests load BPF programs (run make test as root)"
	exit 0
fi
for need in "$TCPDROP" "$DROPGEN" "$BPFOBJS" "$NOUNSHARE"; do
	if [ ! -x "$need" ]; then
		fail live "$need is missing (make tcpdrop tools)"
		exit 0
	fi
done
if [ ! -s /sys/kernel/btf/vmlinux ]; then
	skip live "this kernel has no BTF (/sys/kernel/btf/vmlinux)"
	exit 0
fi
if ! ip netns add "$NS_PREFIX-probe" 2>/dev/null; then
	skip live "cannot create network namespaces here (ip netns add)"
	exit 0
fi
ip netns del "$NS_PREFIX-probe"

# in_ns NAME CMD...: runs CMD in a fresh namespace NAME with lo up.
in_ns() {
	ns="$NS_PREFIX-$1"
	shift
	ip netns add "$ns" && ip -n "$ns" link set lo up &&
		ip netns exec "$ns" "$@"
	status=$?
	ip netns del "$ns"
	return $status
}

# The kernel's own BTF, copied before it is hidden, raw and inside an ELF.
make_btf_files() {
	cp /sys/kernel/btf/vmlinux "$WORK/vmlinux.btf"
	if command -v objcopy >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 &&
	   echo 'int x;' | cc -x c -c - -o "$WORK/empty.o" 2>/dev/null; then
		objcopy --add-section .BTF="$WORK/vmlinux.btf" \
			"$WORK/empty.o" "$WORK/vmlinux.elf"
	fi
}

# -N: a drop in the namespace asked for shows, one in another does not.
test_netns_filter() {
	ip netns add "$NS_PREFIX-netns-a" && ip -n "$NS_PREFIX-netns-a" link set lo up
	ip netns add "$NS_PREFIX-netns-b" && ip -n "$NS_PREFIX-netns-b" link set lo up
	inode=$(stat -L -c %i "/run/netns/$NS_PREFIX-netns-a")
	if start_tracer netns -S -N "$inode"; then
		ip netns exec "$NS_PREFIX-netns-a" "$DROPGEN" syn4 127.0.0.36 40038 127.0.0.37 9 >/dev/null
		ip netns exec "$NS_PREFIX-netns-b" "$DROPGEN" syn4 127.0.0.36 40039 127.0.0.37 9 >/dev/null
		wait_rows netns 127.0.0.36:40038 127.0.0.37:9
		stop_tracer
	fi
	ip netns del "$NS_PREFIX-netns-a"
	ip netns del "$NS_PREFIX-netns-b"
	expect_clean_exit filter_netns netns || return
	if [ -z "$(rows netns 127.0.0.36:40038 127.0.0.37:9)" ]; then
		fail filter_netns "no row from namespace $inode"
	elif [ -n "$(rows netns 127.0.0.36:40039 127.0.0.37:9)" ]; then
		fail filter_netns "a row from another namespace passed"
	else
		pass filter_netns
	fi
}

MOUNTS_BEFORE=$(mount_table)
OBJECTS_BEFORE=$("$BPFOBJS" tcpdrop_ | tail -n 1)

# TRUTH_ONLY=1: only the truth scenarios (tests/live/truth.sh).
if [ -n "$TRUTH_ONLY" ]; then
	run_truth_scenarios
	exit 0
fi
# FLEET_ONLY=1: only the fleet scenarios (tests/live/fleet.sh).
if [ -n "$FLEET_ONLY" ]; then
	run_fleet_scenarios
	exit 0
fi
# PCAPNG_ONLY=1: only the pcapng scenarios (tests/live/pcapng.sh).
if [ -n "$PCAPNG_ONLY" ]; then
	run_pcapng_scenarios
	exit 0
fi
# COMPAT_ONLY=1: the paths of older kernels on this one (tests/run.sh sets
# TCPDROP_NO_TP_BTF and TCPDROP_PERF_RING): the tracepoint program for
# rows without stacks (5.5+ kernels with their own BTF take tp_btf), and
# the perf rings (5.8+ take the BPF ring buffer). The decoding, filters,
# truth and accounting tests once more, each name with TEST_SUFFIX.
if [ -n "$COMPAT_ONLY" ]; then
	test_syn4
	test_syn6
	test_established
	test_bad_checksum
	family_filter ipv4_only -4
	family_filter ipv6_only -6
	run_operator_scenarios
	test_netns_filter
	run_truth_scenarios
	fault_stalled_reader
	fault_accounting rows -S
	fault_accounting stacks
	fault_accounting json -j
	fault_accounting_closed_pipe
	exit 0
fi
# FAULTS_ONLY=1: only the fault scenarios (tests/live/faults.sh).
if [ -n "$FAULTS_ONLY" ]; then
	run_fault_scenarios
	run_fault_scenarios_host
	exit 0
fi

make_btf_files

run_core_scenarios
test_signal HUP
test_not_root
test_caps_without_root
test_caps_enough
test_no_btf
test_no_discovery
test_discovery_fails
test_btf_file btf_raw_file "$WORK/vmlinux.btf"
if [ -s "$WORK/vmlinux.elf" ]; then
	test_btf_file btf_elf_file "$WORK/vmlinux.elf"
else
	skip btf_elf_file "no cc and objcopy to wrap the BTF in an ELF file"
fi
run_operator_scenarios
test_netns_filter
run_truth_scenarios
run_fault_scenarios
run_fault_scenarios_host
run_fleet_scenarios
run_pcapng_scenarios
test_nothing_left
