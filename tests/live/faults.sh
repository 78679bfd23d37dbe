# The fault scenarios (issue 8): a run can always be stopped, a failed
# write is an error, and the summary adds up exactly. Shared by the host's
# driver (tests/live/live.sh) and the kernel-matrix guests
# (tests/vm/guest.sh). POSIX sh for busybox.
#
# The driver sets TCPDROP, DROPGEN, WORK, defines in_ns, and sources
# lib.sh, expect.sh and truth.sh (for truth_ns_up) before this file. Each
# flood is made in a network namespace of its own that the tracer
# filters on (-N), and to an address of its own (-a), so that drops made
# elsewhere on the machine at the same time never count.

run_fault_scenarios() {
	fault_write_error text -S
	fault_write_error json -j
	fault_write_error count -c
	fault_stalled_reader
	fault_accounting rows -S
	fault_accounting stacks
	fault_accounting json -j
	fault_accounting counts -c
	fault_accounting counts_each_second -c 1
	fault_accounting_closed_pipe
	fault_fd_limit
	fault_ring_sizes
	fault_ring_small_cgroup
}

# In a guest: the host's BTF, another kernel's, is refused.
fault_other_kernel_btf() {
	if [ ! -s /other-kernel.btf ]; then
		skip other_kernel_btf "no other kernel's BTF in this guest"
		return
	fi
	wrong_btf other_kernel_btf /other-kernel.btf "tcpdrop: *"
}

# The ones that need the host (python3, this kernel's BTF at hand).
run_fault_scenarios_host() {
	fault_wrong_btf_patched
	fault_count_map_full
	fault_count_table_full
}

# Sized so that the rings overflow on this machine in every mode but the
# counts, which keeps "lost" in the sums, and so that a TCG guest still
# makes it in a few seconds.
FAULT_FLOOD=${FAULT_FLOOD:-50000}

# summary_sum FILE: traced + lost from the summary line in FILE.
summary_sum() {
	sed -n 's/^tcpdrop: \([0-9]*\) drops traced, \([0-9]*\) lost.*/\1 \2/p' "$1" |
		awk '{ print $1 + $2 }'
}

# wait_attached ERRFILE: with -v, the description of the kernel goes to
# stderr once the program is attached, also when stdout is a pipe that
# nobody reads.
wait_attached() {
	wait_for '^tcpdrop: (BTF |cannot)' "$1"
}

# fault_ns_up NAME: the namespace of one test (truth.sh); sets FILTER to
# the options that keep its drops only.
fault_ns_up() {
	truth_ns_up "$1" || return 1
	FILTER="-N $NS_INODE"
}

# flood ADDR N: N bad-checksum SYNs to ADDR:8090 from 127.0.0.1:40090, in
# the test's namespace. Prints the count dropgen says it made.
flood() {
	in_truth_ns "$DROPGEN" flood4 127.0.0.1 40090 "$1" 8090 "$2" |
		sed -n 's/.* count=\([0-9]*\).*/\1/p'
}

# A full disk is an error, whichever mode writes: exit 1, the summary, and
# one line that names the write and its errno.
fault_write_error() {
	test=write_error_$1
	shift
	full=/dev/full
	# A bare initramfs may have no /dev/full: make one (char 1:7).
	if [ ! -c "$full" ]; then
		full=$WORK/full
		[ -c "$full" ] || mknod "$full" c 1 7 ||
			{ fail "$test" "no /dev/full and mknod failed"; return; }
	fi
	fault_ns_up "$test" || { fail "$test" "no namespace"; return; }
	# shellcheck disable=SC2086
	"$TCPDROP" "$@" $FILTER -a 127.0.0.90 >"$full" 2>"$WORK/$test.err" &
	pid=$!
	# Text and counts fail on the Tracing line; JSON has its first write
	# at the first drop.
	wait_for '^(Tracing TCP drops|tcpdrop: cannot write)' "$WORK/$test.err"
	in_truth_ns "$DROPGEN" syn4 127.0.0.91 40091 127.0.0.90 9 >/dev/null
	wait_for '^tcpdrop: cannot write' "$WORK/$test.err"
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	status=$?
	truth_ns_down
	last=$(tail -n 1 "$WORK/$test.err")
	if [ "$status" -ne 1 ]; then
		fail "$test" "exit status $status, want 1: $(cat "$WORK/$test.err")"
	elif [ "$last" != "tcpdrop: cannot write the output: No space left on device" ]; then
		fail "$test" "last line: $last"
	elif ! grep -q '^tcpdrop: [0-9]* drops traced, ' "$WORK/$test.err"; then
		fail "$test" "no summary: $(cat "$WORK/$test.err")"
	else
		pass "$test"
	fi
}

# A reader that never reads, a flood that fills its pipe and the rings,
# then SIGINT: the run ends at once, with exit 0, and the summary still
# adds up to the flood.
fault_stalled_reader() {
	test=stalled_reader
	mkfifo "$WORK/stall.fifo" || { fail "$test" "mkfifo failed"; return; }
	# The reader opens the FIFO and sleeps; it never reads.
	sleep 60 <"$WORK/stall.fifo" &
	reader=$!
	fault_ns_up "$test" || { fail "$test" "no namespace"; return; }
	# shellcheck disable=SC2086
	"$TCPDROP" -S -v $FILTER -a 127.0.0.92 >"$WORK/stall.fifo" 2>"$WORK/$test.err" &
	pid=$!
	wait_attached "$WORK/$test.err"
	made=$(flood 127.0.0.92 "$FAULT_FLOOD")
	sleep 0.5
	kill -INT "$pid"
	tries=0
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		kill "$reader"
		truth_ns_down
		fail "$test" "still running 5 s after SIGINT with a stalled reader"
		return
	fi
	wait "$pid"
	status=$?
	truth_ns_down
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
	sum=$(summary_sum "$WORK/$test.err")
	if [ "$status" -ne 0 ]; then
		fail "$test" "exit status $status: $(cat "$WORK/$test.err")"
	elif [ "$sum" != "$made" ]; then
		fail "$test" "traced + lost = $sum, made $made: $(tail -n 1 "$WORK/$test.err")"
	else
		pass "$test"
	fi
}

# fault_accounting NAME ARGS...: a flood, then SIGINT; traced + lost in
# the summary is exactly what dropgen made. Counts are kept in the kernel:
# none is lost, and the tables' drops (summed over every interval's
# table) are exactly what was made.
fault_accounting() {
	test=accounting_$1
	shift
	fault_ns_up "$test" || { fail "$test" "no namespace"; return; }
	# shellcheck disable=SC2086
	start_tracer "$test" "$@" $FILTER -a 127.0.0.93 ||
		{ truth_ns_down; fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"; return; }
	made=$(flood 127.0.0.93 "$FAULT_FLOOD")
	stop_tracer
	truth_ns_down
	expect_clean_exit "$test" "$test" || return
	sum=$(summary_sum "$WORK/$test.err")
	if [ -z "$made" ] || [ "$sum" != "$made" ]; then
		fail "$test" "traced + lost = $sum, made ${made:-?}: $(tail -n 1 "$WORK/$test.err")"
		return
	fi
	[ "$1" = -c ] || { pass "$test"; return; }
	table=$(sed -n 's/^[0-9:]\{8\}  \([0-9]*\) drops, \([0-9]*\) lost$/\1 \2/p' "$WORK/$test.out" |
		awk '{ drops += $1; lost += $2 } END { print drops + 0, lost + 0 }')
	if [ "$table" != "$made 0" ]; then
		fail "$test" "count tables: $(grep ' drops, ' "$WORK/$test.out" | tr '\n' ' '), made $made"
	elif ! grep -q "^tcpdrop: $made drops traced, 0 lost\$" "$WORK/$test.err"; then
		fail "$test" "summary: $(tail -n 1 "$WORK/$test.err"), made $made, want none lost"
	else
		pass "$test"
	fi
}

# Bad-checksum SYNs from 127.0.0.1:40095 to 127.0.0.95, one to each port
# from 1 to N, from python3's raw socket (host only): N keys for the
# kernel's count map. Prints N once all were sent.
spread_ports() {
	in_truth_ns python3 -c '
import socket, struct, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for port in range(1, n + 1):
    tcp = struct.pack("!HHIIBBHHH", 40095, port, 1, 0, 5 << 4, 0x02, 512,
                      0xdead, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0,
                     socket.inet_aton("127.0.0.1"),
                     socket.inet_aton("127.0.0.95"))
    s.sendto(ip + tcp, ("127.0.0.95", 0))
print(n)' "$1"
}

# More keys than the kernel's count map holds (8192): the drops past it
# are counted in no key, said in the table and the summary, and every
# drop is still in the total.
fault_count_map_full() {
	test=count_map_full
	fault_ns_up "$test" || { fail "$test" "no namespace"; return; }
	# shellcheck disable=SC2086
	start_tracer "$test" -c $FILTER -a 127.0.0.95 ||
		{ truth_ns_down; fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"; return; }
	made=$(spread_ports 9000)
	sleep 0.5
	stop_tracer
	truth_ns_down
	expect_clean_exit "$test" "$test" || return
	line=$(grep ' drops, ' "$WORK/$test.out")
	rows=$(awk '/^COUNT/ { t++ } t == 1 && /^[0-9]/ { s += $1 } END { print s + 0 }' "$WORK/$test.out")
	unkept=$(echo "$line" | sed -n 's/.* lost, \([0-9]*\) in no row (the kernel.s count map was full)$/\1/p')
	if [ "$made" != 9000 ] || ! echo "$line" | grep -q "^[0-9:]\{8\}  9000 drops, 0 lost, "; then
		fail "$test" "made ${made:-?}; table: $line"
	elif [ -z "$unkept" ] || [ "$unkept" -lt 808 ] || [ $((rows + unkept)) != 9000 ]; then
		fail "$test" "rows $rows + in no row ${unkept:-?} != 9000: $line"
	elif ! grep -q "^tcpdrop: 9000 drops traced, 0 lost, $unkept of them in no key (the kernel's count map was full)\$" "$WORK/$test.err"; then
		fail "$test" "summary: $(tail -n 1 "$WORK/$test.err")"
	else
		pass "$test"
	fi
}

# paced_keys N RATE: bad-checksum SYNs from 127.0.0.1:40096 to N distinct
# local ends (127.0.1.1 to .3, ports 1 to 25000), RATE a second: slow
# enough that the kernel's map (8192 keys, old ones deleted after two
# seconds) keeps every key. Prints N once all were sent.
paced_keys() {
	in_truth_ns python3 -c '
import socket, struct, sys, time
n, rate = int(sys.argv[1]), int(sys.argv[2])
src = socket.inet_aton("127.0.0.1")
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)

def bad_checksum(dst, tcp):
    # The right one (RFC 793 pseudo-header) with its last bit flipped: a
    # fixed value would be right for about one segment in 65536.
    data = src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return (~total & 0xffff) ^ 1

start = time.monotonic()
for i in range(n):
    dst = socket.inet_aton("127.0.1.%d" % (1 + i // 25000))
    head = struct.pack("!HHIIBBH", 40096, 1 + i % 25000, 1, 0, 5 << 4,
                       0x02, 512)
    csum = bad_checksum(dst, head + b"\0\0\0\0")
    tcp = head + struct.pack("!HH", csum, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0, src,
                     dst)
    s.sendto(ip + tcp, (socket.inet_ntoa(dst), 0))
    if i % 500 == 499:
        time.sleep(max(0, start + (i + 1) / rate - time.monotonic()))
print(n)' "$1" "$2"
}

# More local ends in one table than user space keeps (65536): the drops
# of the keys past it are the table's last row, "other", so that its rows
# still add up to the total (about 25 s: the kernel's map turns over
# 8192 keys in two seconds).
fault_count_table_full() {
	test=count_table_full
	fault_ns_up "$test" || { fail "$test" "no namespace"; return; }
	# shellcheck disable=SC2086
	start_tracer "$test" -c $FILTER -a 127.0.1.0/24 ||
		{ truth_ns_down; fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"; return; }
	made=$(paced_keys 70000 3000)
	sleep 0.5
	stop_tracer
	truth_ns_down
	expect_clean_exit "$test" "$test" || return
	line=$(grep ' drops, ' "$WORK/$test.out")
	local_rows=$(awk '/^COUNT/ { t++ } t == 2 && /^[0-9]/ { n++; s += $1 } END { print n + 0, s + 0 }' "$WORK/$test.out")
	other=$(awk '/^COUNT/ { t++ } t == 2 && $2 == "other" && $3 == "other" { print $1 }' "$WORK/$test.out")
	if [ "$made" != 70000 ] || ! echo "$line" | grep -q "^[0-9:]\{8\}  70000 drops, 0 lost\$"; then
		fail "$test" "made ${made:-?}; table: $line"
	elif [ "$local_rows" != "65537 70000" ] || [ "$other" != 4464 ]; then
		fail "$test" "local rows (count, sum) $local_rows, other ${other:-none}; want 65537 70000, other 4464"
	else
		pass "$test"
	fi
}

# The reader reads three lines and goes, long after the flood: what was
# still in the rings is drained and counted before the summary.
fault_accounting_closed_pipe() {
	test=accounting_closed_pipe
	fault_ns_up "$test" || { fail "$test" "no namespace"; return; }
	# shellcheck disable=SC2086
	( "$TCPDROP" -S -v $FILTER -a 127.0.0.94 2>"$WORK/$test.err"; echo $? >"$WORK/$test.status" ) |
		( sleep 3; head -n 3 >/dev/null ) &
	pipeline=$!
	wait_attached "$WORK/$test.err"
	made=$(flood 127.0.0.94 2000)
	wait "$pipeline"
	truth_ns_down
	sum=$(summary_sum "$WORK/$test.err")
	if [ "$(cat "$WORK/$test.status" 2>/dev/null)" != 0 ]; then
		fail "$test" "exit status $(cat "$WORK/$test.status" 2>/dev/null): $(cat "$WORK/$test.err")"
	elif [ "$sum" != "$made" ]; then
		fail "$test" "traced + lost = $sum, made $made: $(tail -n 1 "$WORK/$test.err")"
	else
		pass "$test"
	fi
}

# The rings' size: --ring-pages's, else the mode's (ringsize.h: 20 ms at
# the mode's rate, 256 pages with 4 KiB pages for both rows and stacks),
# and none at all when counting in the kernel. Where the kernel has the
# BPF ring buffer (5.8+) it is one ring with the pages of every online CPU,
# rounded up to a power of two; TCPDROP_PERF_RING=1 takes the perf rings
# of older kernels, one per CPU.
ring_bytes_want() {
	pow=$page
	while [ "$pow" -lt "$(($1 * page * cpus))" ] && [ "$pow" -lt $((64 << 20)) ]; do
		pow=$((pow * 2))
	done
	echo "a BPF ring buffer of $((pow / 1024)) KiB"
}

fault_ring_sizes() {
	test=ring_sizes
	page=$(getconf PAGESIZE 2>/dev/null || echo 4096)
	cpus=$(grep -c '^processor' /proc/cpuinfo)
	grep -qs . /sys/devices/system/cpu/online &&
		cpus=$(awk -F, '{ n = 0; for (i = 1; i <= NF; i++) { split($i, r, "-");
			n += (r[2] == "" ? 1 : r[2] - r[1] + 1) } print n }' \
			/sys/devices/system/cpu/online)
	for case in "4 perf -S --ring-pages 4" "256 perf -S" "256 perf" "0 perf -c" \
		"4 ringbuf -S --ring-pages 4" "256 ringbuf -S" "256 ringbuf" "0 ringbuf -c"; do
		set -- $case
		pages=$1 kind=$2
		shift 2
		# 64 KiB pages: the mode's default is 16 pages, not 256.
		[ "$page" != 4096 ] && [ "$pages" = 256 ] && pages=16
		# Before 5.8 there is no ring buffer: perf rings either way.
		kernel_at_least 5 8 || kind=perf
		if [ "$kind" = perf ]; then
			TCPDROP_PERF_RING=1 "$TCPDROP" "$@" -v -d 1 >/dev/null 2>"$WORK/$test.err"
			want="$cpus perf rings of $((pages * page / 1024)) KiB"
		else
			"$TCPDROP" "$@" -v -d 1 >/dev/null 2>"$WORK/$test.err"
			want=$(ring_bytes_want "$pages")
		fi
		[ "$pages" = 0 ] && want="counts in the kernel (no ring)"
		if ! grep -q "helper [a-z_]*, $want\$" "$WORK/$test.err"; then
			fail "$test" "tcpdrop $* ($kind): want '$want': $(grep 'helper' "$WORK/$test.err")"
			return
		fi
	done
	pass "$test"
}

# A memory cgroup of its own (v1 or v2, under this shell's) whose limit
# cannot hold the ring asked for: the ring buffer is halved until the
# cgroup takes it (tracer.c create_maps()), and the run goes on.
memory_cgroup_dir() {
	v1=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
	if [ -n "$v1" ] && [ -w "/sys/fs/cgroup/memory$v1" ]; then
		echo "/sys/fs/cgroup/memory$v1 memory.limit_in_bytes"
		return
	fi
	v2=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	if [ -n "$v2" ] && grep -qw memory "/sys/fs/cgroup$v2/cgroup.subtree_control" 2>/dev/null; then
		echo "/sys/fs/cgroup$v2 memory.max"
	fi
}

fault_ring_small_cgroup() {
	test=ring_small_cgroup
	set -- $(memory_cgroup_dir)
	if [ $# != 2 ] || ! kernel_at_least 5 11; then
		skip "$test" "no memory cgroup of our own to limit here (or a kernel before 5.11, which charges BPF memory to ulimit -l)"
		return
	fi
	cg="$1/tcpdrop-test-$$" limit_file=$2
	if ! mkdir "$cg" 2>/dev/null || ! echo 24M >"$cg/$limit_file"; then
		rmdir "$cg" 2>/dev/null
		skip "$test" "cannot make a memory cgroup under $1"
		return
	fi
	# 4096 pages a CPU: a 32 MiB ring or more, which 24 MiB cannot hold.
	sh -c "echo \$\$ >'$cg/cgroup.procs' && exec '$TCPDROP' -S --ring-pages 4096 -v -d 1" \
		>/dev/null 2>"$WORK/$test.err"
	status=$?
	sleep 0.2
	rmdir "$cg" 2>/dev/null
	kib=$(sed -n 's/.*a BPF ring buffer of \([0-9]*\) KiB$/\1/p' "$WORK/$test.err")
	if [ "$status" != 0 ]; then
		fail "$test" "exit $status: $(tail -n 2 "$WORK/$test.err")"
	elif [ -z "$kib" ] || [ "$kib" -ge 32768 ] || [ $((kib & (kib - 1))) != 0 ]; then
		fail "$test" "ring '$kib' KiB: want a power of two under 32768: $(grep helper "$WORK/$test.err")"
	else
		pass "$test"
	fi
}

# Every limit on open files from 3 to 16 stops a different step of the
# start-up: each one exits 1 with one line that names the step and the
# real error, never "the verifier refused".
fault_fd_limit() {
	test=fd_limit
	if ! command -v prlimit >/dev/null 2>&1; then
		skip "$test" "no prlimit (util-linux) here"
		return
	fi
	n=3
	while [ "$n" -le 16 ]; do
		prlimit --nofile="$n" "$TCPDROP" -S -d 1 >/dev/null 2>"$WORK/$test.err"
		status=$?
		if [ "$status" -eq 0 ]; then
			break
		fi
		if [ "$status" -ne 1 ] || [ "$(wc -l <"$WORK/$test.err")" -ne 1 ] ||
		   grep -q verifier "$WORK/$test.err" ||
		   ! grep -Eq '(No file descriptors available|Too many open files)\)?$' "$WORK/$test.err"; then
			fail "$test" "with $n fds: exit $status: $(cat "$WORK/$test.err")"
			return
		fi
		n=$((n + 1))
	done
	pass "$test"
}

# wrong_btf TEST FILE WANT: --btf FILE (BTF that loads but is another
# kernel's) is refused before tracing: exit 1 and the line WANT (a case
# pattern), nothing on stdout.
wrong_btf() {
	test=$1 file=$2 want=$3
	"$TCPDROP" -S -d 1 --btf "$file" >"$WORK/$test.out" 2>"$WORK/$test.err"
	status=$?
	got=$(cat "$WORK/$test.err")
	# shellcheck disable=SC2254
	case "$got" in $want) matched=1 ;; *) matched= ;; esac
	if [ "$status" -ne 1 ]; then
		fail "$test" "exit status $status, want 1: $got"
	elif [ -z "$matched" ]; then
		fail "$test" "stderr: $got"
	elif [ -s "$WORK/$test.out" ]; then
		fail "$test" "wrote to stdout: $(head -n 1 "$WORK/$test.out")"
	else
		pass "$test"
	fi
}

# This kernel's BTF with one offset moved, as another kernel's would
# have it (tests/live/btf_patch.py): the self-check reads the known drop
# wrong, and says which field.
fault_wrong_btf_patched() {
	if ! command -v python3 >/dev/null 2>&1; then
		skip wrong_btf_head "no python3 to make a wrong BTF"
		return
	fi
	for patch in "head sk_buff head 8" "inum ns_common inum 4" \
	    "state sock_common skc_state 1" "len sk_buff len 4" \
	    "sknet sock_common skc_net 8"; do
		set -- $patch
		python3 "$top/tests/live/btf_patch.py" /sys/kernel/btf/vmlinux \
			"$WORK/$1.btf" "$2" "$3" "$4" ||
			{ fail wrong_btf_head "btf_patch.py $patch failed"; return; }
	done
	wrong_btf wrong_btf_head "$WORK/head.btf" \
		"tcpdrop: the BTF from $WORK/head.btf does not describe the running kernel: a known drop (SYN 127.0.0.1:* -> 127.0.0.1:*) left no record (give this kernel's BTF with --btf FILE)"
	wrong_btf wrong_btf_netns "$WORK/inum.btf" \
		"tcpdrop: the BTF from $WORK/inum.btf does not describe the running kernel: a known drop in network namespace * was read in namespace * (give this kernel's BTF with --btf FILE)"
	wrong_btf wrong_btf_len "$WORK/len.btf" \
		"tcpdrop: the BTF from $WORK/len.btf does not describe the running kernel: a known drop of 24 bytes was read as * bytes long (give this kernel's BTF with --btf FILE)"
	if kernel_at_least 6 11; then
		wrong_btf wrong_btf_sknet "$WORK/sknet.btf" \
			"tcpdrop: the BTF from $WORK/sknet.btf does not describe the running kernel: a known drop on a listening socket was read in network namespace *, not * (give this kernel's BTF with --btf FILE)"
		wrong_btf wrong_btf_state "$WORK/state.btf" \
			"tcpdrop: the BTF from $WORK/state.btf does not describe the running kernel: a known drop on a listening socket was read in TCP state *, not 10 (give this kernel's BTF with --btf FILE)"
	fi
	unchecked_btf_notice
}

# Where no network namespace can be made, the self-check cannot run: with
# a BTF file, one line says the rows are not proven against it.
unchecked_btf_notice() {
	test=unchecked_btf_notice
	"$NOUNSHARE" "$TCPDROP" -S -d 1 --btf "$WORK/len.btf" \
		>/dev/null 2>"$WORK/$test.err"
	status=$?
	want="tcpdrop: the self-check could not run (unshare(CLONE_NEWNET): Operation not permitted): rows are not proven against the BTF from $WORK/len.btf"
	if [ "$status" -ne 0 ]; then
		fail "$test" "exit $status: $(cat "$WORK/$test.err")"
	elif [ "$(head -n 1 "$WORK/$test.err")" != "$want" ]; then
		fail "$test" "stderr: $(cat "$WORK/$test.err")"
	else
		pass "$test"
	fi
}
