# The live scenarios, shared by the host's driver (tests/live/live.sh) and
# the kernel-matrix guests (tests/vm/guest.sh). POSIX sh for busybox.
#
# The driver sets TCPDROP, DROPGEN, BPFOBJS, WORK, defines in_ns NAME CMD...
# (a fresh network namespace on the host, the guest itself in a VM), and
# sources lib.sh and expect.sh before this file.

# --- (a) IPv4 SYN to a closed port --------------------------------------
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

# in_private_mounts SETUP CMD...: runs CMD after SETUP (sh code) in a
# mount namespace of its own, so what SETUP mounts goes away with it.
in_private_mounts() {
	setup=$1
	shift
	unshare -m sh -c "mount --make-rprivate / && $setup && exec \"\$@\"" sh "$@"
}

have_unshare() {
	command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null
}

# expect_refusal TEST WANT_STDERR SETUP ARGS...: tcpdrop ARGS after SETUP
# wants exit 1 and exactly that one stderr line.
expect_refusal() {
	test=$1 want=$2 setup=$3
	shift 3
	if ! have_unshare; then
		skip "$test" "no unshare -m here"
		return
	fi
	in_private_mounts "$setup" "$TCPDROP" -S "$@" \
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

HIDE_BTF="mount --bind /dev/null /sys/kernel/btf/vmlinux"

test_bad_btf_file() {
	echo "not BTF" >"$WORK/not.btf"
	expect_refusal bad_btf_file \
		"tcpdrop: $WORK/not.btf holds no valid BTF (want a raw BTF file or an ELF file with a .BTF section)" \
		true --btf "$WORK/not.btf"
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

# Without BTF the packet is not read: no tuple, state or flags, and drops
# of every IP protocol. The row is found by its COMM instead.
test_no_btf() {
	if [ -z "$BTF_HIDDEN" ] && ! have_unshare; then
		skip no_btf "no unshare -m here"
		return
	fi
	start_tracer_hidden_btf nobtf -S ||
		{ fail no_btf "tcpdrop did not start: $(cat "$WORK/nobtf.err")"; return; }
	in_ns nobtf "$DROPGEN" syn4 127.0.0.10 40007 127.0.0.11 9 >/dev/null ||
		{ stop_tracer; fail no_btf "dropgen syn4 failed"; return; }
	tries=0
	while ! grep -q ' dropgen ' "$WORK/nobtf.out" && [ "$tries" -lt 100 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	stop_tracer
	expect_clean_exit no_btf nobtf || return
	if ! grep -q '^tcpdrop: no kernel BTF (looked in /sys/kernel/btf/vmlinux, ' "$WORK/nobtf.err"; then
		fail no_btf "no notice on stderr: $(cat "$WORK/nobtf.err")"
		return
	fi
	row=$(awk '$3 == "dropgen"' "$WORK/nobtf.out")
	if [ "$(echo "$row" | wc -l)" -ne 1 ] || [ -z "$row" ]; then
		fail no_btf "want one dropgen row, got: $row"
		return
	fi
	set -- $row
	shift 3
	want="- - - - $EXPECT_NOSOCK4"
	# shellcheck disable=SC2254
	case "$*" in $want) ;; *)
		fail no_btf "want '- - - - $EXPECT_NOSOCK4', got: $*"
		return ;;
	esac
	pass no_btf
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
# Needs MOUNTS_BEFORE, taken by the driver before the first run.
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
	if [ "$MOUNTS_BEFORE" != "$(mount_table)" ]; then
		fail nothing_left "the mount table changed"
		return
	fi
	pass nothing_left
}

mount_table() {
	awk '{ print $5, $9 }' /proc/self/mountinfo | sort
}
