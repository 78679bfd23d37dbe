#!/bin/sh
# Live tests: real drops, made by build/dropgen in network namespaces of
# their own, traced by ./tcpdrop on the running kernel. Every check asserts
# exact addresses, ports, state, flags and reason. Needs root; prints SKIP
# lines saying why otherwise.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
TCPDROP=${TCPDROP:-$top/tcpdrop}
DROPGEN=${DROPGEN:-$top/build/dropgen}
BPFOBJS=${BPFOBJS:-$top/build/bpfobjs}
WORK=$(mktemp -d)
NS_PREFIX="tcpdrop-test-$$"
. "$top/tests/live/lib.sh"

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
for need in "$TCPDROP" "$DROPGEN" "$BPFOBJS"; do
	if [ ! -x "$need" ]; then
		fail live "$need is missing (make tcpdrop tools)"
		exit 0
	fi
done
if [ ! -r /sys/kernel/btf/vmlinux ]; then
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

mounts_before=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)

# --- (a) IPv4 SYN to a closed port --------------------------------------
test_syn4() {
	start_tracer syn4 || { fail syn4 "tcpdrop did not start: $(cat "$WORK/syn4.err")"; return; }
	in_ns syn4 "$DROPGEN" syn4 127.0.0.2 40001 127.0.0.3 9 >/dev/null ||
		{ stop_tracer; fail syn4 "dropgen syn4 failed"; return; }
	wait_rows syn4 127.0.0.2:40001 127.0.0.3:9
	stop_tracer
	expect_clean_exit syn4 syn4 || return
	expect_row syn4 syn4 127.0.0.2:40001 127.0.0.3:9 - SYN NO_SOCKET 1 || return
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
	expect_row syn6 syn6 '[::1]:40002' '[::1]:9' - SYN NO_SOCKET 1 || return
	if ! stack_of syn6 '[::1]:40002' '[::1]:9' | grep -q '^	tcp_v6_rcv+0x'; then
		fail syn6 "stack has no tcp_v6_rcv frame"
		return
	fi
	pass syn6
}

# --- (c) a drop on an established connection ------------------------------
test_established() {
	start_tracer est -S || { fail established "tcpdrop did not start: $(cat "$WORK/est.err")"; return; }
	in_ns est "$DROPGEN" md5 127.0.0.4 40003 127.0.0.5 8003 >"$WORK/est.gen" ||
		{ stop_tracer; fail established "dropgen md5 failed"; return; }
	wait_rows est 127.0.0.4:40003 127.0.0.5:8003
	stop_tracer
	expect_clean_exit established est || return
	expect_row established est 127.0.0.4:40003 127.0.0.5:8003 \
		ESTABLISHED 'PSH|ACK' TCP_MD5NOTFOUND || return
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
	expect_row bad_checksum csum 127.0.0.6:40004 127.0.0.7:8004 - SYN TCP_CSUM 1 || return
	pass bad_checksum
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
	else
		shown='[::1]:40006 [::1]:9' hidden='127.0.0.8:40005 127.0.0.9:9'
	fi
	# shellcheck disable=SC2086
	wait_rows "$test" $shown
	stop_tracer
	expect_clean_exit "$test" "$test" || return
	# shellcheck disable=SC2086
	expect_row "$test" "$test" $shown - SYN NO_SOCKET 1 || return
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

# --- refusals: not root ----------------------------------------------------
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

# --- refusals: what the kernel lacks, simulated in a private mount namespace
# expect_refusal TEST WANT_STDERR SETUP: runs tcpdrop after SETUP (sh code)
# inside `unshare -m`; wants exit 1 and exactly that one stderr line.
expect_refusal() {
	test=$1 want=$2 setup=$3
	if ! command -v unshare >/dev/null 2>&1; then
		skip "$test" "unshare (util-linux) is not installed"
		return
	fi
	unshare -m sh -c "$setup && exec '$TCPDROP' -S" \
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

test_no_btf() {
	expect_refusal no_btf \
		"tcpdrop: no kernel BTF at /sys/kernel/btf/vmlinux: the kernel was built without CONFIG_DEBUG_INFO_BTF" \
		"mount --bind /dev/null /sys/kernel/btf/vmlinux"
}

test_no_tracepoint() {
	expect_refusal no_tracepoint \
		"tcpdrop: the kernel has no skb:kfree_skb tracepoint (/sys/kernel/tracing/events/skb/kfree_skb); it needs CONFIG_TRACEPOINTS" \
		"mount --make-rprivate / && mount -t tracefs nodev /sys/kernel/tracing && mount -t tmpfs none /sys/kernel/tracing/events/skb"
}

# --- (f) nothing of ours stays in the kernel -------------------------------
test_nothing_left() {
	tries=0
	# Programs and maps are freed asynchronously after their last fd.
	while [ "$tries" -lt 50 ]; do
		left=$("$BPFOBJS" tcpdrop_ | tail -n 1)
		[ "$left" = "progs=0 maps=0" ] && break
		tries=$((tries + 1))
		sleep 0.1
	done
	if [ "$left" != "progs=0 maps=0" ]; then
		fail nothing_left "still loaded: $("$BPFOBJS" tcpdrop_)"
		return
	fi
	mounts_after=$(awk '{ print $5, $9 }' /proc/self/mountinfo | sort)
	if [ "$mounts_before" != "$mounts_after" ]; then
		fail nothing_left "the mount table changed"
		return
	fi
	pass nothing_left
}

test_syn4
test_syn6
test_established
test_bad_checksum
family_filter ipv4_only -4
family_filter ipv6_only -6
test_signal TERM
test_signal HUP
test_duration
test_closed_pipe
test_not_root
test_no_btf
test_no_tracepoint
test_nothing_left
