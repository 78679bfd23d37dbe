# The live scenarios, shared by the host's driver (tests/live/live.sh) and
# the kernel-matrix guests (tests/vm/guest.sh). POSIX sh for busybox.
#
# The driver sets TCPDROP, DROPGEN, BPFOBJS, WORK, defines in_ns NAME CMD...
# (a fresh network namespace on the host, the guest itself in a VM), and
# sources lib.sh and expect.sh before this file.

# The scenarios every kernel runs, in order; drivers add their own.
run_core_scenarios() {
	test_syn4
	test_lone_row
	test_syn6
	test_established
	test_bad_checksum
	tcp_drop_case out_of_window oow4 127.0.0.45 40045 127.0.0.46 8045 \
		"$EXPECT_OOW_STATE" 'PSH|ACK' "$EXPECT_OOW"
	tcp_drop_case rst_to_listener rstlisten4 127.0.0.47 40047 127.0.0.46 8047 \
		"$EXPECT_RST_LISTEN_STATE" RST "$EXPECT_RST_LISTEN"
	test_kprobe_tracefs
	family_filter ipv4_only -4
	family_filter ipv6_only -6
	test_signal TERM
	test_duration
	test_closed_pipe
	test_stdout_closed
	test_killed
	test_no_tracepoint
	test_format_too_large
	test_tracefs_places
	test_bad_btf_file
	test_btf_not_regular
	test_program_choice
}

# program_choice: -v names the program on skb:kfree_skb. tp_btf for rows
# without stacks where the kernel has its own BTF and reasons (5.17+);
# the tracepoint program with stacks, without reasons (the caller's
# frames), without the kernel's BTF, or with TCPDROP_NO_TP_BTF. On this
# kind of machine (6.18) the tp_btf program also reads the packet with
# plain loads; older verifiers refuse that, and -v says so.
program_line() {
	"$@" -v -d 1 2>&1 >/dev/null | sed -n 's/^tcpdrop: program //p'
}

test_program_choice() {
	if [ ! -s /sys/kernel/btf/vmlinux ]; then
		want_s="tracepoint/skb/kfree_skb (not tp_btf: no BTF of the kernel's own)"
		want_stacks=$want_s
	elif kernel_at_least 5 17; then
		want_s="tp_btf/kfree_skb (fields read by plain loads, the packet's headers *; records sent in batches of 8 a CPU)"
		want_stacks="tracepoint/skb/kfree_skb (not tp_btf: stacks or packets (-w) are taken)"
	else
		want_s="tracepoint/skb/kfree_skb (not tp_btf: no reasons here: the caller's frames are taken)"
		want_stacks="tracepoint/skb/kfree_skb (not tp_btf: stacks or packets (-w) are taken)"
	fi
	kernel_at_least 6 18 && [ -s /sys/kernel/btf/vmlinux ] &&
		want_s="tp_btf/kfree_skb (fields read by plain loads, the packet's headers too; records sent in batches of 8 a CPU)"
	for case in s stacks forced; do
		case $case in
		s) got=$(program_line "$TCPDROP" -S); want=$want_s ;;
		stacks) got=$(program_line "$TCPDROP"); want=$want_stacks ;;
		forced)
			got=$(TCPDROP_NO_TP_BTF=1 program_line "$TCPDROP" -S)
			want="tracepoint/skb/kfree_skb (not tp_btf: TCPDROP_NO_TP_BTF is set)" ;;
		esac
		# shellcheck disable=SC2254 # want may hold a pattern
		case $got in
		$want) ;;
		*) fail program_choice "$case: '$got', want '$want'"; return ;;
		esac
		# For the kernel table in the README: which program, how.
		[ "$case" = s ] && echo "INFO program_choice $(uname -r): $got"
	done
	pass program_choice
}

run_operator_scenarios() {
	test_filters
	test_reason_filter
	test_state_filter
	test_json
	test_count
	test_count_json
}

# --- (a) IPv4 SYN to a closed port --------------------------------------
# lone_row: one drop's row reaches the output while tcpdrop runs, not only
# at its exit: the tp_btf program's per-CPU batch that holds it is flushed
# on the drain tick. (10 s: a bound on liveness, not on speed.)
test_lone_row() {
	start_tracer lone -S || { fail lone_row "tcpdrop did not start: $(cat "$WORK/lone.err")"; return; }
	in_ns lone "$DROPGEN" syn4 127.0.0.50 40050 127.0.0.51 9 >/dev/null ||
		{ stop_tracer; fail lone_row "dropgen syn4 failed"; return; }
	wait_rows lone 127.0.0.50:40050 127.0.0.51:9
	running=$(rows lone 127.0.0.50:40050 127.0.0.51:9 | wc -l)
	stop_tracer
	expect_clean_exit lone_row lone || return
	if [ "$running" -ne 1 ]; then
		fail lone_row "$running rows while tcpdrop ran, want 1"
		return
	fi
	expect_row lone_row lone 127.0.0.50:40050 127.0.0.51:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	pass lone_row
}

test_syn4() {
	start_tracer syn4 || { fail syn4 "tcpdrop did not start: $(cat "$WORK/syn4.err")"; return; }
	in_ns syn4 "$DROPGEN" syn4 127.0.0.2 40001 127.0.0.3 9 >/dev/null ||
		{ stop_tracer; fail syn4 "dropgen syn4 failed"; return; }
	wait_rows syn4 127.0.0.2:40001 127.0.0.3:9
	stop_tracer
	expect_clean_exit syn4 syn4 || return
	expect_row syn4 syn4 127.0.0.2:40001 127.0.0.3:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	if ! stack_of syn4 127.0.0.2:40001 127.0.0.3:9 | grep -q '^	tcp_v4_rcv+0x'; then
		fail syn4 "stack has no tcp_v4_rcv frame: $(stack_of syn4 127.0.0.2:40001 127.0.0.3:9)"
		return
	fi
	pass syn4
}

# --- (b) the same over IPv6 ---------------------------------------------
test_syn6() {
	start_tracer syn6 || { fail syn6 "tcpdrop did not start: $(cat "$WORK/syn6.err")"; return; }
	in_ns syn6 "$DROPGEN" syn6 ::1 40002 ::1 9 >/dev/null ||
		{ stop_tracer; fail syn6 "dropgen syn6 failed"; return; }
	wait_rows syn6 '[::1]:40002' '[::1]:9'
	stop_tracer
	expect_clean_exit syn6 syn6 || return
	expect_row syn6 syn6 '[::1]:40002' '[::1]:9' - SYN "$EXPECT_NOSOCK6" 1 || return
	if ! stack_of syn6 '[::1]:40002' '[::1]:9' | grep -q '^	tcp_v6_rcv+0x'; then
		fail syn6 "stack has no tcp_v6_rcv frame"
		return
	fi
	pass syn6
}

# --- (c) a drop on an established connection ------------------------------
# Data to a peer that expects a TCP-MD5 signature: dropped on its way into
# the ESTABLISHED socket, once and then once per retransmit.
test_established() {
	start_tracer est -S || { fail established "tcpdrop did not start: $(cat "$WORK/est.err")"; return; }
	in_ns est "$DROPGEN" md5 127.0.0.4 40003 127.0.0.5 8003 >"$WORK/est.gen" ||
		{ stop_tracer; fail established "dropgen md5 failed"; return; }
	wait_rows est 127.0.0.4:40003 127.0.0.5:8003
	stop_tracer
	expect_clean_exit established est || return
	count=$(sed -n 's/.* count=\([0-9]*\).*/\1/p' "$WORK/est.gen")
	expect_row established est 127.0.0.4:40003 127.0.0.5:8003 \
		"$EXPECT_MD5_STATE" 'PSH|ACK' "$EXPECT_MD5" "$count" || return
	pass established
}

# --- (d) another kind: a segment with a bad TCP checksum ------------------
test_bad_checksum() {
	start_tracer csum -S || { fail bad_checksum "tcpdrop did not start: $(cat "$WORK/csum.err")"; return; }
	in_ns csum "$DROPGEN" csum4 127.0.0.6 40004 127.0.0.7 8004 >/dev/null ||
		{ stop_tracer; fail bad_checksum "dropgen csum4 failed"; return; }
	wait_rows csum 127.0.0.6:40004 127.0.0.7:8004
	stop_tracer
	expect_clean_exit bad_checksum csum || return
	expect_row bad_checksum csum 127.0.0.6:40004 127.0.0.7:8004 - SYN "$EXPECT_CSUM" 1 || return
	pass bad_checksum
}

# --- drops that tcp_drop() frees (4.7 to 5.17) -----------------------------
# tcp_drop_case TEST MODE SRC SPORT DST DPORT STATE FLAGS REASON: one drop
# of dropgen MODE; its row with these values (on 4.7 to 5.17, seen by the
# kprobe, REASON is the caller of tcp_drop), or no row at all where REASON
# is empty (a kernel that inlined tcp_drop: its drops are not seen, as
# the README says).
tcp_drop_case() {
	test=$1 mode=$2 src=$3 sport=$4 dst=$5 dport=$6 state=$7 flags=$8
	reason=$9
	start_tracer "$test" -S -a "$dst" ||
		{ fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"; return; }
	in_ns "$test" "$DROPGEN" "$mode" "$src" "$sport" "$dst" "$dport" >/dev/null ||
		{ stop_tracer; fail "$test" "dropgen $mode failed"; return; }
	[ -n "$reason" ] && wait_rows "$test" "$src:$sport" "$dst:$dport"
	sleep 0.3
	stop_tracer
	expect_clean_exit "$test" "$test" || return
	if [ -z "$reason" ]; then
		if [ -n "$(rows "$test" "$src:$sport" "$dst:$dport")" ]; then
			fail "$test" "a row where tcp_drop is inlined: $(rows "$test" "$src:$sport" "$dst:$dport")"
		else
			pass "$test"
		fi
		return
	fi
	expect_row "$test" "$test" "$src:$sport" "$dst:$dport" "$state" \
		"$flags" "$reason" 1 && pass "$test"
}

# --- the kprobe through tracefs's kprobe_events ---------------------------
# Where the kernel has tcp_drop and kprobe_events (the embedded-style
# guest), the fallback without the perf kprobe PMU: its event exists
# while the run does and is gone after it; after a kill -9 it stays, and
# the next run removes it.

# kprobe_events_of PID: how many lines of kprobe_events are that run's
# group's; "?" when kprobe_events could not be read (tried three times).
kprobe_events_of() {
	for try in 1 2 3; do
		if unshare -m sh -c "mount --make-rprivate / &&
			mount -t tracefs nodev /sys/kernel/tracing &&
			cat /sys/kernel/tracing/kprobe_events" >"$WORK/kprobe_events" 2>&1; then
			grep -c "tcpdrop_$1/" "$WORK/kprobe_events"
			return
		fi
		sleep 0.2
	done
	echo "?"
}

test_kprobe_tracefs() {
	test=kprobe_tracefs
	if ! grep -qw tcp_drop /proc/kallsyms || kernel_at_least 5 17; then
		skip "$test" "no tcp_drop function to probe on this kernel"
		return
	fi
	if ! have_unshare; then
		skip "$test" "no unshare -m here"
		return
	fi
	# Seen by tcpdrop: skip the perf kprobe PMU (src/tracer.c).
	export TCPDROP_KPROBE_VIA_TRACEFS=1
	start_tracer "$test" -S -v ||
		{ unset TCPDROP_KPROBE_VIA_TRACEFS
		  fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"; return; }
	pid=$TRACER_PID
	during=$(kprobe_events_of "$pid")
	stop_tracer
	after=$(kprobe_events_of "$pid")
	if ! grep -q '^tcpdrop: kprobe on tcp_drop() attached (tracefs kprobe_events)' "$WORK/$test.err"; then
		unset TCPDROP_KPROBE_VIA_TRACEFS
		fail "$test" "not attached through kprobe_events: $(grep kprobe "$WORK/$test.err")"
		return
	elif [ "$during" != 1 ] || [ "$after" != 0 ]; then
		unset TCPDROP_KPROBE_VIA_TRACEFS
		fail "$test" "events of the run: $during while it ran, $after after, want 1 and 0"
		return
	fi
	start_tracer "$test-killed" -S ||
		{ unset TCPDROP_KPROBE_VIA_TRACEFS; fail "$test" "tcpdrop did not start again"; return; }
	pid=$TRACER_PID
	stop_tracer KILL
	left=$(kprobe_events_of "$pid")
	"$TCPDROP" -S -d 1 >/dev/null 2>&1
	unset TCPDROP_KPROBE_VIA_TRACEFS
	cleaned=$(kprobe_events_of "$pid")
	if [ "$left" != 1 ] || [ "$cleaned" != 0 ]; then
		fail "$test" "after kill -9: $left events, after the next run $cleaned, want 1 and 0: $(cat "$WORK/$test-killed.err" "$WORK/kprobe_events")"
	else
		pass "$test"
	fi
}

# --- (e) -4 hides IPv6 drops, -6 hides IPv4 drops -------------------------
# family_filter TEST OPTION: one drop of each family; only OPTION's shows.
family_filter() {
	test=$1 opt=$2
	start_tracer "$test" -S "$opt" || { fail "$test" "tcpdrop did not start"; return; }
	in_ns "$test" sh -c "'$DROPGEN' syn4 127.0.0.8 40005 127.0.0.9 9 &&
		'$DROPGEN' syn6 ::1 40006 ::1 9" >/dev/null ||
		{ stop_tracer; fail "$test" "dropgen failed"; return; }
	if [ "$opt" = -4 ]; then
		shown='127.0.0.8:40005 127.0.0.9:9' hidden='[::1]:40006 [::1]:9'
		reason=$EXPECT_NOSOCK4
	else
		shown='[::1]:40006 [::1]:9' hidden='127.0.0.8:40005 127.0.0.9:9'
		reason=$EXPECT_NOSOCK6
	fi
	# shellcheck disable=SC2086
	wait_rows "$test" $shown
	stop_tracer
	expect_clean_exit "$test" "$test" || return
	# shellcheck disable=SC2086
	expect_row "$test" "$test" $shown - SYN "$reason" 1 || return
	# shellcheck disable=SC2086
	if [ -n "$(rows "$test" $hidden)" ]; then
		fail "$test" "$opt still shows $hidden"
		return
	fi
	pass "$test"
}

# --- ends of a run: signals, duration, a closed pipe -----------------------
test_signal() {
	sig=$1
	start_tracer "sig$sig" -S || { fail "signal_$sig" "tcpdrop did not start"; return; }
	stop_tracer "$sig"
	expect_clean_exit "signal_$sig" "sig$sig" && pass "signal_$sig"
}

test_duration() {
	"$TCPDROP" -S -d 1 >"$WORK/dur.out" 2>"$WORK/dur.err" &
	pid=$!
	tries=0
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 300 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail duration "-d 1 still running after 30 s"
		return
	fi
	wait "$pid"
	TRACER_STATUS=$?
	expect_clean_exit duration dur && pass duration
}

test_closed_pipe() {
	# head exits after two lines: tcpdrop must notice and exit 0 by itself.
	( "$TCPDROP" -S 2>"$WORK/pipe.err"; echo $? >"$WORK/pipe.status" ) |
		head -n 2 >"$WORK/pipe.out" &
	pid=$!
	tries=0
	while [ ! -s "$WORK/pipe.status" ] && [ "$tries" -lt 300 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	if [ ! -s "$WORK/pipe.status" ]; then
		pkill -INT -f "^$TCPDROP -S\$"
		fail closed_pipe "tcpdrop still running 30 s after head exited"
		return
	fi
	wait "$pid"
	TRACER_STATUS=$(cat "$WORK/pipe.status")
	expect_clean_exit closed_pipe pipe || return
	if [ "$(head -n 1 "$WORK/pipe.out")" != "Tracing TCP drops. Hit Ctrl-C to end." ]; then
		fail closed_pipe "first line was: $(head -n 1 "$WORK/pipe.out")"
		return
	fi
	pass closed_pipe
}

# SIGKILL gives no chance to clean up: the kernel must do it all (the fds
# close with the process; tracefs was mounted in our own namespace). The
# check itself is test_nothing_left, at the end.
test_killed() {
	start_tracer killed -S || { fail killed "tcpdrop did not start"; return; }
	stop_tracer KILL
	if [ "$TRACER_STATUS" -ne 137 ]; then
		fail killed "exit status $TRACER_STATUS, want 137 (SIGKILL)"
	else
		pass killed
	fi
}

# Started with stdout already closed: runs and ends like any other run.
test_stdout_closed() {
	"$TCPDROP" -S -d 1 >&- 2>"$WORK/closed.err"
	TRACER_STATUS=$?
	expect_clean_exit stdout_closed closed && pass stdout_closed
}

# --- refusals --------------------------------------------------------------
test_not_root() {
	if ! command -v setpriv >/dev/null 2>&1; then
		skip not_root "setpriv (util-linux) is not installed"
		return
	fi
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$TCPDROP" -S >"$WORK/nr.out" 2>"$WORK/nr.err"
	status=$?
	if [ "$status" -ne 1 ]; then
		fail not_root "exit status $status, want 1"
		return
	fi
	if [ "$(cat "$WORK/nr.err")" != "tcpdrop: must run as root (needs CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON); try: sudo tcpdrop" ]; then
		fail not_root "stderr: $(cat "$WORK/nr.err")"
		return
	fi
	pass not_root
}

# Not root, but with CAP_BPF and CAP_PERFMON: the tracefs that is mounted
# cannot be read, and the line says so (not "not mounted").
test_caps_without_root() {
	test=caps_without_root
	if ! command -v setpriv >/dev/null 2>&1 || ! have_unshare; then
		skip "$test" "no setpriv (util-linux) or no unshare -m here"
		return
	fi
	in_private_mounts "mount -t tracefs nodev /sys/kernel/tracing" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon \
		"$TCPDROP" -S -d 1 >"$WORK/$test.out" 2>"$WORK/$test.err"
	status=$?
	if [ "$status" -ne 1 ]; then
		fail "$test" "exit status $status, want 1: $(cat "$WORK/$test.err")"
	elif [ "$(cat "$WORK/$test.err")" != "tcpdrop: tracefs at /sys/kernel/tracing cannot be read (Permission denied): run as root" ]; then
		fail "$test" "stderr: $(cat "$WORK/$test.err")"
	else
		pass "$test"
	fi
}

# Not root, with the capabilities the README lists for that: it runs. And
# root with CAP_SYS_ADMIN and CAP_PERFMON taken away is told which are
# missing, not to be root.
test_caps_enough() {
	test=caps_enough
	if ! command -v setpriv >/dev/null 2>&1; then
		skip "$test" "no setpriv (util-linux) here"
		return
	fi
	caps=+bpf,+perfmon,+sys_admin,+dac_override,+net_admin,+net_raw
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=$caps \
		--ambient-caps=$caps "$TCPDROP" -S -v -d 1 \
		>/dev/null 2>"$WORK/$test.err"
	status=$?
	if [ "$status" -ne 0 ]; then
		fail "$test" "exit $status: $(cat "$WORK/$test.err")"
		return
	elif ! grep -q '^tcpdrop: self-check: .* read back exactly' "$WORK/$test.err"; then
		fail "$test" "the self-check did not run: $(grep self-check "$WORK/$test.err")"
		return
	fi
	setpriv --inh-caps=-perfmon,-sys_admin --bounding-set=-perfmon,-sys_admin \
		"$TCPDROP" -S -d 1 >/dev/null 2>"$WORK/$test.err"
	status=$?
	if [ "$status" -ne 1 ] || [ "$(cat "$WORK/$test.err")" != "tcpdrop: missing capabilities: needs CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON" ]; then
		fail "$test" "root without them: exit $status: $(cat "$WORK/$test.err")"
	else
		pass "$test"
	fi
}

# sh code that unmounts, inside a private mount namespace, every tracefs
# and debugfs the host has (deepest first; tracefs stacked on one place is
# listed once per mount), so that each case starts from no tracing mount
# at all, whatever the host has mounted, and builds its own world.
# A failure exits 99, which no case expects of tcpdrop.
NO_TRACING_MOUNTS='for m in $(awk '"'"'$3 == "tracefs" || $3 == "debugfs" { print $2 }'"'"' /proc/mounts | sort -r); do umount -l "$m" || exit 99; done; if grep -Eq " (tracefs|debugfs) " /proc/mounts; then echo "still mounted: $(grep -E " (tracefs|debugfs) " /proc/mounts)" >&2; exit 99; fi'

# in_private_mounts SETUP CMD...: runs CMD after SETUP (sh code) in a
# mount namespace of its own, with no tracefs or debugfs mounted before
# SETUP, so what SETUP mounts goes away with it.
in_private_mounts() {
	setup=$1
	shift
	unshare -m sh -c "mount --make-rprivate / && { $NO_TRACING_MOUNTS; } && $setup && exec \"\$@\"" sh "$@"
}

have_unshare() {
	command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null
}

# A refusal comes at once; one that blocks (a FIFO's open()) is killed
# after 10 s, and fails its test with timeout's status.
REFUSAL_TIMEOUT=
if command -v timeout >/dev/null 2>&1; then
	REFUSAL_TIMEOUT="timeout 10"
fi

# expect_refusal TEST WANT_STDERR SETUP ARGS...: tcpdrop ARGS after SETUP
# wants exit 1 and exactly that one stderr line.
expect_refusal() {
	test=$1 want=$2 setup=$3
	shift 3
	if ! have_unshare; then
		skip "$test" "no unshare -m here"
		return
	fi
	# shellcheck disable=SC2086
	in_private_mounts "$setup" $REFUSAL_TIMEOUT "$TCPDROP" -S "$@" \
		>"$WORK/$test.out" 2>"$WORK/$test.err"
	status=$?
	if [ "$status" -ne 1 ]; then
		fail "$test" "exit status $status, want 1: $(cat "$WORK/$test.err")"
	elif [ "$(cat "$WORK/$test.err")" != "$want" ]; then
		fail "$test" "stderr: $(cat "$WORK/$test.err")"
	elif [ -s "$WORK/$test.out" ]; then
		fail "$test" "wrote to stdout: $(cat "$WORK/$test.out")"
	else
		pass "$test"
	fi
}

test_no_tracepoint() {
	expect_refusal no_tracepoint \
		"tcpdrop: the kernel has no skb:kfree_skb tracepoint (/sys/kernel/tracing/events/skb/kfree_skb); it needs CONFIG_TRACEPOINTS" \
		"mount -t tracefs nodev /sys/kernel/tracing && mount -t tmpfs none /sys/kernel/tracing/events/skb"
}

# A too large format file (a bind mount over the real one) is refused at
# once, by its size.
test_format_too_large() {
	dd if=/dev/zero of="$WORK/big.format" bs=1024 count=2048 2>/dev/null
	expect_refusal format_too_large \
		"tcpdrop: /sys/kernel/tracing/events/skb/kfree_skb/format: larger than 1 MiB; not a format file" \
		"mount -t tracefs nodev /sys/kernel/tracing && mount --bind '$WORK/big.format' /sys/kernel/tracing/events/skb/kfree_skb/format"
}

# tracefs_case TEST SETUP ROOT MOUNT COUNT: in a world whose only tracing
# mounts are SETUP's, tcpdrop -v runs, says it used tracefs at ROOT, and
# leaves COUNT lines matching MOUNT (a grep -E pattern) in that world's
# /proc/mounts: what it found stays, what it mounted itself goes.
tracefs_case() {
	test=$1 setup=$2 root=$3 mount=$4 count=$5
	if ! have_unshare; then
		skip "$test" "no unshare -m here"
		return
	fi
	in_private_mounts "$setup" sh -c \
		"'$TCPDROP' -S -v -d 1 >/dev/null 2>'$WORK/$test.err';
		 echo \$? >'$WORK/$test.status'; grep -Ec '$mount' /proc/mounts" \
		>"$WORK/$test.count"
	if [ "$(cat "$WORK/$test.status")" != 0 ]; then
		fail "$test" "exit $(cat "$WORK/$test.status"): $(cat "$WORK/$test.err")"
	elif ! grep -q "(tracefs $root)" "$WORK/$test.err"; then
		fail "$test" "did not use $root: $(head -n 1 "$WORK/$test.err")"
	elif [ "$(cat "$WORK/$test.count")" != "$count" ]; then
		fail "$test" "$(cat "$WORK/$test.count") mounts match '$mount' afterwards, want $count"
	else
		pass "$test"
	fi
}

# Every place tcpdrop may find tracefs, each in a world of its own, so
# that what the host has mounted changes nothing.
test_tracefs_places() {
	mkdir -p "$WORK/tfs" "$WORK/dbg"
	# Nothing mounted: its own mount, gone with its own namespace.
	tracefs_case tracefs_none true /sys/kernel/tracing ' tracefs ' 0
	tracefs_case tracefs_standard \
		"mount -t tracefs nodev /sys/kernel/tracing" \
		/sys/kernel/tracing ' /sys/kernel/tracing tracefs ' 1
	tracefs_case tracefs_elsewhere "mount -t tracefs nodev '$WORK/tfs'" \
		"$WORK/tfs" " $WORK/tfs tracefs " 1
	# Only debugfs (kernels before 4.1, some hosts): its tracing/.
	tracefs_case tracefs_in_debugfs "mount -t debugfs nodev '$WORK/dbg'" \
		"$WORK/dbg/tracing" " $WORK/dbg debugfs " 1
	# Looking into it automounts tracefs at tracing/, in our namespace.
	tracefs_case tracefs_no_automount_left "mount -t debugfs nodev '$WORK/dbg'" \
		"$WORK/dbg/tracing" " $WORK/dbg/tracing tracefs " 0
	tracefs_fallback_cases
}

# --- where unshare() is refused (nounshare: a seccomp filter) -------------
# Each run mounts tracefs in a directory of its own and removes it; runs
# started together never collide; a run killed at any point of its
# start-up leaves at most its own directory, which the next run removes.
OWN_TRACEFS="tcpdrop-tracefs\\."

# own_tracefs_left: the fallback's mounts and directories still there.
own_tracefs_left() {
	{ grep -E "/$OWN_TRACEFS[0-9]+ " /proc/mounts
	  ls -d /run/tcpdrop-tracefs.* /tmp/tcpdrop-tracefs.* \
		/dev/shm/tcpdrop-tracefs.* /dev/tcpdrop-tracefs.* 2>/dev/null; } |
		tr '\n' ' '
}

# in_unshareless_world CMD...: CMD in a world with no tracing mounts where
# unshare() is refused to every process.
in_unshareless_world() {
	in_private_mounts true "$NOUNSHARE" "$@"
}

tracefs_fallback_cases() {
	if ! have_unshare || [ ! -x "$NOUNSHARE" ]; then
		skip tracefs_own_dir "no unshare -m or no $NOUNSHARE here"
		return
	fi
	# A kernel without CONFIG_SECCOMP_FILTER cannot refuse unshare().
	if ! "$NOUNSHARE" true 2>/dev/null; then
		skip tracefs_own_dir "no seccomp filters in this kernel: $("$NOUNSHARE" true 2>&1)"
		return
	fi
	tracefs_own_dir
	tracefs_own_dir_race
	tracefs_killed_at_start
	tracefs_own_automount
	tracefs_stale_symlink
}

# Anyone can make /dev/shm/tcpdrop-tracefs.<a dead PID> (or one in /tmp)
# a symlink to another mount: the stale clean-up neither follows it nor
# unmounts anything that is not tracefs.
tracefs_stale_symlink() {
	test=tracefs_stale_symlink
	# busybox's setpriv has no --reuid.
	if ! setpriv --reuid=65534 true 2>/dev/null; then
		skip "$test" "no setpriv --reuid (util-linux) here"
		return
	fi
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	in_private_mounts "mkdir -p /dev/shm && mount -t tmpfs none /dev/shm &&
		chmod 1777 /dev/shm &&
		mkdir /dev/shm/victim && mount -t tmpfs victimfs /dev/shm/victim &&
		echo precious >/dev/shm/victim/data &&
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			ln -s /dev/shm/victim /dev/shm/tcpdrop-tracefs.$dead" \
		"$NOUNSHARE" sh -c "'$TCPDROP' -S -d 1 >/dev/null 2>'$WORK/$test.err';
			echo \$? >'$WORK/$test.status';
			grep -c ' /dev/shm/victim tmpfs ' /proc/mounts; cat /dev/shm/victim/data" \
		>"$WORK/$test.out"
	if [ "$(cat "$WORK/$test.status")" != 0 ]; then
		fail "$test" "exit $(cat "$WORK/$test.status"): $(cat "$WORK/$test.err")"
	elif [ "$(cat "$WORK/$test.out")" != "$(printf '1\nprecious')" ]; then
		fail "$test" "the mount behind the symlink is gone: $(cat "$WORK/$test.out")"
	else
		pass "$test"
	fi
}

tracefs_own_dir() {
	test=tracefs_own_dir
	in_unshareless_world "$TCPDROP" -S -v -d 1 >/dev/null 2>"$WORK/$test.err"
	status=$?
	left=$(own_tracefs_left)
	if [ "$status" -ne 0 ]; then
		fail "$test" "exit $status: $(cat "$WORK/$test.err")"
	elif ! grep -Eq "\(tracefs /[a-z/]+/$OWN_TRACEFS[0-9]+\)" "$WORK/$test.err"; then
		fail "$test" "did not use a directory of its own: $(head -n 1 "$WORK/$test.err")"
	elif [ -n "$left" ]; then
		fail "$test" "left behind: $left"
	else
		pass "$test"
	fi
}

# Ten runs started at once, each needing the fallback: all trace.
tracefs_own_dir_race() {
	test=tracefs_own_dir_race
	in_unshareless_world sh -c '
		i=0 pids=
		while [ $i -lt 10 ]; do
			"$0" -S -d 1 >/dev/null 2>"$1.$i" &
			pids="$pids $!"
			i=$((i + 1))
		done
		bad=0
		for p in $pids; do wait "$p" || bad=$((bad + 1)); done
		exit $bad' "$TCPDROP" "$WORK/$test.err"
	bad=$?
	left=$(own_tracefs_left)
	if [ "$bad" -ne 0 ]; then
		fail "$test" "$bad of 10 failed: $(cat "$WORK/$test.err".* | grep -v '^tcpdrop: [0-9]* drops' | head -n 1)"
	elif [ -n "$left" ]; then
		fail "$test" "left behind: $left"
	else
		pass "$test"
	fi
}

# SIGKILL at 20 points of the start-up, then one whole run: nothing of
# theirs is left, as the README says.
tracefs_killed_at_start() {
	test=tracefs_killed_at_start
	in_unshareless_world sh -c '
		i=0
		while [ $i -lt 20 ]; do
			"$0" -S -d 1 >/dev/null 2>&1 &
			p=$!
			j=0
			while [ $j -lt $i ]; do j=$((j + 1)); done
			kill -KILL $p
			wait $p 2>/dev/null
			i=$((i + 1))
		done
		"$0" -S -d 1 >/dev/null 2>"$1"' "$TCPDROP" "$WORK/$test.err"
	status=$?
	left=$(own_tracefs_left)
	if [ "$status" -ne 0 ]; then
		fail "$test" "the run after the kills: exit $status: $(cat "$WORK/$test.err")"
	elif [ -n "$left" ]; then
		fail "$test" "left behind: $left"
	else
		pass "$test"
	fi
}

# Only debugfs, no namespace of our own: the tracefs automount that the
# look into tracing/ causes is undone.
tracefs_own_automount() {
	test=tracefs_own_automount
	mkdir -p "$WORK/dbg2"
	in_private_mounts "mount -t debugfs nodev '$WORK/dbg2'" "$NOUNSHARE" sh -c \
		"'$TCPDROP' -S -v -d 1 >/dev/null 2>'$WORK/$test.err';
		 echo \$? >'$WORK/$test.status'; grep -c ' $WORK/dbg2/tracing tracefs ' /proc/mounts" \
		>"$WORK/$test.count"
	if [ "$(cat "$WORK/$test.status")" != 0 ]; then
		fail "$test" "exit $(cat "$WORK/$test.status"): $(cat "$WORK/$test.err")"
	elif ! grep -q "(tracefs $WORK/dbg2/tracing)" "$WORK/$test.err"; then
		fail "$test" "did not use $WORK/dbg2/tracing: $(head -n 1 "$WORK/$test.err")"
	elif [ "$(cat "$WORK/$test.count")" != 0 ]; then
		fail "$test" "the automounted tracefs stayed"
	else
		pass "$test"
	fi
}

HIDE_BTF="mount --bind /dev/null /sys/kernel/btf/vmlinux"

test_bad_btf_file() {
	echo "not BTF" >"$WORK/not.btf"
	expect_refusal bad_btf_file \
		"tcpdrop: $WORK/not.btf holds no valid BTF (want a raw BTF file or an ELF file with a .BTF section)" \
		true --btf "$WORK/not.btf"
}

# --btf takes regular files only, and refuses the others at once: a FIFO
# must not block the open(), a device must not be read.
test_btf_not_regular() {
	rm -f "$WORK/btf.fifo"
	mkfifo "$WORK/btf.fifo"
	mkdir -p "$WORK/btf.dir"
	expect_refusal btf_dev_zero \
		"tcpdrop: /dev/zero is not a regular file (want a raw BTF file or an ELF file with a .BTF section)" \
		true --btf /dev/zero
	expect_refusal btf_fifo \
		"tcpdrop: $WORK/btf.fifo is not a regular file (want a raw BTF file or an ELF file with a .BTF section)" \
		true --btf "$WORK/btf.fifo"
	expect_refusal btf_directory \
		"tcpdrop: cannot read BTF from $WORK/btf.dir: Is a directory" \
		true --btf "$WORK/btf.dir"
}

# --- no BTF: degraded rows; --btf FILE: full rows again -------------------
# start_tracer_hidden_btf NAME ARGS...: start_tracer with the kernel's BTF
# hidden by an empty file, as on a kernel built without it.
start_tracer_hidden_btf() {
	name=$1
	shift
	# A disposable guest may have hidden it for everyone already.
	if [ -n "$BTF_HIDDEN" ]; then
		start_tracer "$name" "$@"
		return
	fi
	saved=$TCPDROP
	cat >"$WORK/hidden-btf.sh" <<-EOF
		#!/bin/sh
		exec unshare -m sh -c 'mount --make-rprivate / && $HIDE_BTF && exec "\$0" "\$@"' "$saved" "\$@"
	EOF
	chmod +x "$WORK/hidden-btf.sh"
	TCPDROP=$WORK/hidden-btf.sh
	start_tracer "$name" "$@"
	status=$?
	TCPDROP=$saved
	return $status
}

# Without BTF, discovery (src/discover.c) finds the layout from known drops
# of its own: the rows must be those made with the kernel's BTF. Both run
# at once over the same drops, the reference with --btf (a copy of the
# kernel's BTF), and each row is compared field by field (JSON without
# time), but ifindex, which discovery may not know: 0 or the same.
DISC_CASES="syn4 127.0.0.120 40120 127.0.0.121 9
syn6 ::1 40121 ::1 9
md5 127.0.0.122 40122 127.0.0.123 8122
csum4 127.0.0.124 40124 127.0.0.125 8124"

test_no_btf() {
	if [ -z "$BTF_HIDDEN" ] && ! have_unshare; then
		skip no_btf "no unshare -m here"
		return
	fi
	ref_pid=
	if [ -s "$WORK/vmlinux.btf" ]; then
		"$TCPDROP" -j -S --btf "$WORK/vmlinux.btf" >"$WORK/nobtf-ref.out" \
			2>"$WORK/nobtf-ref.err" &
		ref_pid=$!
		wait_for '^Tracing TCP drops' "$WORK/nobtf-ref.err"
	fi
	start_tracer_hidden_btf nobtf -j -S -v ||
		{ [ -n "$ref_pid" ] && kill -INT "$ref_pid"; wait
		  fail no_btf "tcpdrop did not start: $(cat "$WORK/nobtf.err")"; return; }
	echo "$DISC_CASES" | while read -r mode src sport dst dport; do
		in_ns nobtf "$DROPGEN" "$mode" "$src" "$sport" "$dst" "$dport" \
			>/dev/null 2>&1
	done
	sleep 0.5
	stop_tracer
	if [ -n "$ref_pid" ]; then
		kill -INT "$ref_pid"
		wait "$ref_pid"
	fi
	expect_clean_exit no_btf nobtf || return
	if grep -q 'no kernel BTF' "$WORK/nobtf.err"; then
		fail no_btf "ran degraded: $(grep 'no kernel BTF' "$WORK/nobtf.err")"
		return
	fi
	if ! grep -q '^tcpdrop: discovery: [0-9]* known drops, .* ms: sk_buff.head [0-9]' "$WORK/nobtf.err"; then
		fail no_btf "-v did not show the discovered layout: $(cat "$WORK/nobtf.err")"
		return
	fi
	if grep -q '"comm":"tcpdisc' "$WORK/nobtf.out"; then
		fail no_btf "discovery's own drops were rows"
		return
	fi
	echo "$DISC_CASES" | {
		bad=
		while read -r mode src sport dst dport; do
			sel="select(.sport == $sport and .dport == $dport)"
			got=$(jq -c "$sel | del(.time)" "$WORK/nobtf.out" | sort)
			if [ -z "$got" ]; then
				bad="$bad; $mode: no row"
				continue
			fi
			if ! echo "$got" | jq -e 'select(.saddr != null and .flags != null and .len > 0)' >/dev/null; then
				bad="$bad; $mode: degraded row $got"
				continue
			fi
			[ -n "$ref_pid" ] || continue
			want=$(jq -c "$sel | del(.time)" "$WORK/nobtf-ref.out" | sort)
			# ifindex: the reference's, or 0 where discovery has none.
			got_cmp=$(echo "$got" | jq -c 'del(.ifindex)')
			want_cmp=$(echo "$want" | jq -c 'del(.ifindex)')
			if [ "$got_cmp" != "$want_cmp" ]; then
				bad="$bad; $mode: want $want_cmp, got $got_cmp"
				continue
			fi
			if echo "$got" | jq -e 'select(.ifindex != 0)' >/dev/null &&
			   [ "$(echo "$got" | jq -c .ifindex)" != "$(echo "$want" | jq -c .ifindex)" ]; then
				bad="$bad; $mode: ifindex differs"
			fi
		done
		if [ -n "$bad" ]; then
			fail no_btf "${bad#; }"
		else
			pass no_btf
		fi
	}
}

# --no-discovery: the old degraded mode. Without the packet no tuple,
# state or flags, and drops of every IP protocol; the row is found by its
# COMM instead.
test_no_discovery() {
	if [ -z "$BTF_HIDDEN" ] && ! have_unshare; then
		skip no_discovery "no unshare -m here"
		return
	fi
	start_tracer_hidden_btf nodisc -S --no-discovery ||
		{ fail no_discovery "tcpdrop did not start: $(cat "$WORK/nodisc.err")"; return; }
	in_ns nodisc "$DROPGEN" syn4 127.0.0.10 40007 127.0.0.11 9 >/dev/null ||
		{ stop_tracer; fail no_discovery "dropgen syn4 failed"; return; }
	wait_for ' dropgen ' "$WORK/nodisc.out"
	stop_tracer
	expect_clean_exit no_discovery nodisc || return
	if ! grep -q '^tcpdrop: no kernel BTF (looked in /sys/kernel/btf/vmlinux, [^)]*): without it' "$WORK/nodisc.err"; then
		fail no_discovery "no notice on stderr: $(cat "$WORK/nodisc.err")"
		return
	fi
	row=$(awk '$3 == "dropgen"' "$WORK/nodisc.out")
	if [ "$(echo "$row" | wc -l)" -ne 1 ] || [ -z "$row" ]; then
		fail no_discovery "want one dropgen row, got: $row"
		return
	fi
	set -- $row
	shift 3
	want="- - - - $EXPECT_NOSOCK4"
	# shellcheck disable=SC2254
	case "$*" in $want) ;; *)
		fail no_discovery "want '- - - - $EXPECT_NOSOCK4', got: $*"
		return ;;
	esac
	pass no_discovery
}

# Discovery made to fail (it looks for another packet than it sent): the
# degraded mode, and one line saying why.
test_discovery_fails() {
	if [ -z "$BTF_HIDDEN" ] && ! have_unshare; then
		skip discovery_fails "no unshare -m here"
		return
	fi
	export TCPDROP_TEST_DISCOVERY_FAIL=1
	start_tracer_hidden_btf discfail -S
	status=$?
	unset TCPDROP_TEST_DISCOVERY_FAIL
	[ "$status" -eq 0 ] ||
		{ fail discovery_fails "tcpdrop did not start: $(cat "$WORK/discfail.err")"; return; }
	stop_tracer
	expect_clean_exit discovery_fails discfail || return
	lines=$(grep -c '^tcpdrop: no kernel BTF (looked in [^)]*) and discovery failed: no place in struct sk_buff holds head and network_header of the known packet: without it' "$WORK/discfail.err")
	if [ "$lines" != 1 ] || [ "$(wc -l <"$WORK/discfail.err")" -ne 2 ]; then
		fail discovery_fails "want the one fallback line and the summary: $(cat "$WORK/discfail.err")"
		return
	fi
	pass discovery_fails
}

test_btf_file() {
	test=$1 file=$2
	if [ -z "$BTF_HIDDEN" ] && ! have_unshare; then
		skip "$test" "no unshare -m here"
		return
	fi
	start_tracer_hidden_btf "$test" -S --btf "$file" ||
		{ fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"; return; }
	in_ns "$test" "$DROPGEN" syn4 127.0.0.12 40008 127.0.0.13 9 >/dev/null ||
		{ stop_tracer; fail "$test" "dropgen syn4 failed"; return; }
	wait_rows "$test" 127.0.0.12:40008 127.0.0.13:9
	stop_tracer
	expect_clean_exit "$test" "$test" || return
	if grep -q 'no kernel BTF' "$WORK/$test.err"; then
		fail "$test" "ran degraded: $(cat "$WORK/$test.err")"
		return
	fi
	expect_row "$test" "$test" 127.0.0.12:40008 127.0.0.13:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	pass "$test"
}

# --- (f) nothing of ours stays in the kernel -------------------------------
# Needs MOUNTS_BEFORE and OBJECTS_BEFORE, taken by the driver before the
# first run (a tcpdrop that the host runs for itself is not ours).
test_nothing_left() {
	tries=0
	# Programs and maps are freed asynchronously after their last fd.
	while [ "$tries" -lt 50 ]; do
		left=$("$BPFOBJS" tcpdrop_ | tail -n 1)
		[ "$left" = "${OBJECTS_BEFORE:-progs=0 maps=0}" ] && break
		tries=$((tries + 1))
		sleep 0.1
	done
	if [ "$left" != "${OBJECTS_BEFORE:-progs=0 maps=0}" ]; then
		fail nothing_left "still loaded: $left, before the tests: ${OBJECTS_BEFORE:-progs=0 maps=0}: $("$BPFOBJS" tcpdrop_)"
		return
	fi
	if [ "$MOUNTS_BEFORE" != "$(mount_table)" ]; then
		fail nothing_left "the mount table changed"
		return
	fi
	pass nothing_left
}

# Only what tcpdrop could leave: tracefs and debugfs mounts anywhere, and
# any mount whose path names tcpdrop (its fallback directories, the
# tests' namespaces): other programs on the host may mount and unmount
# their own things (an `ip netns add`) while the tests run.
mount_table() {
	# mountinfo: the mount point is field 5, the type follows the "-"
	# that ends the optional fields.
	awk '{ for (i = 7; i < NF && $i != "-"; i++) ; type = $(i + 1) }
		type == "tracefs" || type == "debugfs" || $5 ~ /tcpdrop/ {
			print $5, type }' /proc/self/mountinfo | sort
}

# --- filters, each shown to keep what it selects and hide the rest -------
# filter_case TEST "OPTIONS" SHOWN_SRC SHOWN_DST HIDDEN_SRC HIDDEN_DST CMD
# runs tcpdrop -S OPTIONS, then CMD (sh code making both drops) in a
# namespace; the first tuple must have a row, the second none.
filter_case() {
	test=$1 options=$2 shown_src=$3 shown_dst=$4 hidden_src=$5 hidden_dst=$6
	cmd=$7
	# shellcheck disable=SC2086
	start_tracer "$test" -S $options ||
		{ fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"; return; }
	in_ns "$test" sh -c "$cmd" >/dev/null 2>"$WORK/$test.gen" ||
		{ stop_tracer; fail "$test" "drop generator failed: $(cat "$WORK/$test.gen")"; return; }
	wait_rows "$test" "$shown_src" "$shown_dst"
	stop_tracer
	expect_clean_exit "$test" "$test" || return
	if [ -z "$(rows "$test" "$shown_src" "$shown_dst")" ]; then
		fail "$test" "no row for $shown_src -> $shown_dst"
	elif [ -n "$(rows "$test" "$hidden_src" "$hidden_dst")" ]; then
		fail "$test" "row for $hidden_src -> $hidden_dst passed the filter"
	else
		pass "$test"
	fi
}

# Two SYNs to closed ports: syn_pair SRC1 SPORT1 DST1 DPORT1 SRC2 ...
syn_pair() {
	echo "'$DROPGEN' syn4 $1 $2 $3 $4 && '$DROPGEN' syn4 $5 $6 $7 $8"
}

test_filters() {
	filter_case filter_port "-p 9" 127.0.0.20:40020 127.0.0.21:9 \
		127.0.0.20:40021 127.0.0.21:19 \
		"$(syn_pair 127.0.0.20 40020 127.0.0.21 9 127.0.0.20 40021 127.0.0.21 19)"
	# -p matches either end: here the source port.
	filter_case filter_port_either "-p 40022,7" 127.0.0.20:40022 127.0.0.21:19 \
		127.0.0.20:40023 127.0.0.21:19 \
		"$(syn_pair 127.0.0.20 40022 127.0.0.21 19 127.0.0.20 40023 127.0.0.21 19)"
	filter_case filter_sport "--sport 40024" 127.0.0.20:40024 127.0.0.21:9 \
		127.0.0.20:40025 127.0.0.21:40024 \
		"$(syn_pair 127.0.0.20 40024 127.0.0.21 9 127.0.0.20 40025 127.0.0.21 40024)"
	filter_case filter_dport "--dport 29" 127.0.0.20:40026 127.0.0.21:29 \
		127.0.0.20:29 127.0.0.21:39 \
		"$(syn_pair 127.0.0.20 40026 127.0.0.21 29 127.0.0.20 29 127.0.0.21 39)"
	filter_case filter_addr "-a 127.0.0.22" 127.0.0.22:40027 127.0.0.23:9 \
		127.0.0.24:40027 127.0.0.25:9 \
		"$(syn_pair 127.0.0.22 40027 127.0.0.23 9 127.0.0.24 40027 127.0.0.25 9)"
	# A network, matched by the destination.
	filter_case filter_cidr "-a 127.0.1.0/24" 127.0.0.26:40028 127.0.1.77:9 \
		127.0.0.26:40029 127.0.2.77:9 \
		"$(syn_pair 127.0.0.26 40028 127.0.1.77 9 127.0.0.26 40029 127.0.2.77 9)"
	filter_case filter_addr6 "-a ::1/128" '[::1]:40030' '[::1]:9' \
		127.0.0.27:40030 127.0.0.28:9 \
		"'$DROPGEN' syn6 ::1 40030 ::1 9 && '$DROPGEN' syn4 127.0.0.27 40030 127.0.0.28 9"
}

test_reason_filter() {
	if ! kernel_at_least 5 17; then
		expect_usage_error reason_filter_no_reasons \
			"tcpdrop: -r/--reason: this kernel's skb:kfree_skb has no drop reasons (they came with Linux 5.17)" \
			-r NO_SOCKET
		return
	fi
	filter_case filter_reason "-r tcp_csum" 127.0.0.30:40031 127.0.0.31:8031 \
		127.0.0.30:40032 127.0.0.31:9 \
		"'$DROPGEN' csum4 127.0.0.30 40031 127.0.0.31 8031 && '$DROPGEN' syn4 127.0.0.30 40032 127.0.0.31 9"
	expect_usage_error reason_unknown \
		"tcpdrop: unknown drop reason 'NO_SUCH_REASON'; this kernel knows: *" \
		-r NO_SUCH_REASON
}

test_state_filter() {
	if ! kernel_at_least 6 11; then
		skip filter_state "drops on their way into a socket have no state before 6.11"
		return
	fi
	filter_case filter_state "--state established" 127.0.0.32:40033 127.0.0.33:8033 \
		127.0.0.32:40034 127.0.0.33:9 \
		"'$DROPGEN' md5 127.0.0.32 40033 127.0.0.33 8033 && '$DROPGEN' syn4 127.0.0.32 40034 127.0.0.33 9"
	filter_case filter_state_none "--state NONE" 127.0.0.32:40036 127.0.0.33:9 \
		127.0.0.32:40035 127.0.0.33:8035 \
		"'$DROPGEN' md5 127.0.0.32 40035 127.0.0.33 8035 && '$DROPGEN' syn4 127.0.0.32 40036 127.0.0.33 9"
}

# expect_usage_error TEST WANT_FIRST_LINE ARGS...: exit 2, the message
# (a case pattern) and the hint, nothing on stdout.
expect_usage_error() {
	test=$1 want=$2
	shift 2
	"$TCPDROP" -S "$@" >"$WORK/$test.out" 2>"$WORK/$test.err"
	status=$?
	first=$(sed -n 1p "$WORK/$test.err")
	# shellcheck disable=SC2254
	case "$first" in $want) matched=1 ;; *) matched= ;; esac
	if [ "$status" -ne 2 ]; then
		fail "$test" "exit status $status, want 2: $(cat "$WORK/$test.err")"
	elif [ -z "$matched" ]; then
		fail "$test" "stderr: $first"
	elif [ "$(wc -l <"$WORK/$test.err")" -ne 2 ] || [ -s "$WORK/$test.out" ]; then
		fail "$test" "want the message and the hint only, got: $(cat "$WORK/$test.err")"
	else
		pass "$test"
	fi
}

# --- JSON lines --------------------------------------------------------------
# json_field FILE JQ_FILTER: runs jq on the lines of FILE.
have_jq() {
	command -v jq >/dev/null 2>&1
}

test_json() {
	if ! have_jq; then
		skip json "jq is not installed here"
		return
	fi
	# Its own namespace (-N; a guest's only one): no drop made elsewhere
	# on the host at the same time can be one of its rows.
	truth_ns_up json || { fail json "cannot make a namespace"; return; }
	start_tracer json -j -N "$NS_INODE" ||
		{ truth_ns_down; fail json "tcpdrop did not start: $(cat "$WORK/json.err")"; return; }
	in_truth_ns "$DROPGEN" syn4 127.0.0.34 40037 127.0.0.35 9 >/dev/null ||
		{ stop_tracer; truth_ns_down; fail json "dropgen failed"; return; }
	wait_for '"saddr":"127.0.0.34"' "$WORK/json.out"
	stop_tracer
	truth_ns_down
	expect_clean_exit json json || return
	if grep -q Tracing "$WORK/json.out"; then
		fail json "the Tracing line went to stdout"
		return
	fi
	if ! jq -e . "$WORK/json.out" >/dev/null 2>"$WORK/json.jq"; then
		fail json "not JSON lines: $(cat "$WORK/json.jq")"
		return
	fi
	got=$(jq -r 'select(.saddr == "127.0.0.34") |
		[.type, .family, .saddr, .sport, .daddr, .dport, (.state // "null"),
		 .state_code, .flags, .flags_code, .comm] | @tsv' "$WORK/json.out")
	want=$(printf 'drop\tipv4\t127.0.0.34\t40037\t127.0.0.35\t9\tnull\t0\tSYN\t2\tdropgen')
	if [ "$got" != "$want" ]; then
		fail json "fields: $got"
		return
	fi
	reason=$(jq -r 'select(.saddr == "127.0.0.34") | .reason // "null"' "$WORK/json.out")
	location=$(jq -r 'select(.saddr == "127.0.0.34") | .location' "$WORK/json.out")
	if kernel_at_least 5 17; then want_reason=NO_SOCKET; else want_reason=null; fi
	if [ "$reason" != "$want_reason" ]; then
		fail json "reason $reason, want $want_reason"
		return
	fi
	case "$location" in tcp_v4_rcv+0x*) ;; *)
		fail json "location $location"
		return ;;
	esac
	time=$(jq -r 'select(.saddr == "127.0.0.34") | .time' "$WORK/json.out")
	if ! echo "$time" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$'; then
		fail json "time $time is not RFC 3339 with nanoseconds"
		return
	fi
	if ! jq -e 'select(.saddr == "127.0.0.34") | .stack | map(select(startswith("tcp_v4_rcv+0x"))) | length == 1' \
		"$WORK/json.out" >/dev/null; then
		fail json "stack without tcp_v4_rcv: $(jq -c 'select(.saddr == "127.0.0.34") | .stack' "$WORK/json.out")"
		return
	fi
	pass json
}

# --- counts --------------------------------------------------------------
# Three SYNs to one closed port and two bad checksums, counted once at exit.
COUNT_DROPS="'$DROPGEN' syn4 127.0.0.40 40040 127.0.0.41 9 &&
	'$DROPGEN' syn4 127.0.0.40 40041 127.0.0.41 9 &&
	'$DROPGEN' syn4 127.0.0.40 40042 127.0.0.41 9 &&
	'$DROPGEN' csum4 127.0.0.40 40043 127.0.0.42 8043 &&
	'$DROPGEN' csum4 127.0.0.40 40044 127.0.0.42 8043"

test_count() {
	start_tracer count -c -a 127.0.0.40 ||
		{ fail count "tcpdrop did not start: $(cat "$WORK/count.err")"; return; }
	in_ns count sh -c "$COUNT_DROPS" >/dev/null ||
		{ stop_tracer; fail count "dropgen failed"; return; }
	sleep 0.5
	stop_tracer
	expect_clean_exit count count || return
	if ! grep -Eq '^[0-9:]{8}  5 drops, 0 lost$' "$WORK/count.out"; then
		fail count "want a total of 5 drops: $(cat "$WORK/count.out")"
		return
	fi
	local_rows=$(awk '/LOCAL ADDRESS:PORT/ { on = 1; next } on && NF == 3' "$WORK/count.out")
	want=$(printf '3 %s 127.0.0.41:9\n2 %s 127.0.0.42:8043' \
		"$(count_reason NO_SOCKET)" "$(count_reason TCP_CSUM)")
	if [ "$(echo "$local_rows" | awk '{ print $1, $2, $3 }')" != "$want" ]; then
		fail count "by local address: $local_rows"
		return
	fi
	pass count
}

# The REASON column of the count tables: "-" before reasons existed.
count_reason() {
	if kernel_at_least 5 17; then echo "$1"; else echo -; fi
}

test_count_json() {
	if ! have_jq; then
		skip count_json "jq is not installed here"
		return
	fi
	start_tracer countj -c -j -a 127.0.0.40 ||
		{ fail count_json "tcpdrop did not start: $(cat "$WORK/countj.err")"; return; }
	in_ns countj sh -c "$COUNT_DROPS" >/dev/null ||
		{ stop_tracer; fail count_json "dropgen failed"; return; }
	sleep 0.5
	stop_tracer
	expect_clean_exit count_json countj || return
	got=$(jq -r '[.type, .total, .lost, (.interval // "null"),
		(.by_local | map("\(.count) \(.family) \(.addr) \(.port)") | join(","))] | @tsv' \
		"$WORK/countj.out")
	want=$(printf 'counts\t5\t0\tnull\t3 ipv4 127.0.0.41 9,2 ipv4 127.0.0.42 8043')
	if [ "$got" != "$want" ]; then
		fail count_json "got: $got"
		return
	fi
	pass count_json
}
