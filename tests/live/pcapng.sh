# The pcapng scenarios (-w): known drops written to a file, read back by
# real readers (tshark, tcpdump) with exact addresses, ports, flags,
# lengths and the reason in each packet's comment; -s, -w -, a file cut
# short, a kill -9 during the run, and the paths that cannot be written.
# POSIX sh. The guests of the kernel matrix have no tshark: they make the
# file and print it with its expectations (pcapng_for_host), and the
# host's tests/vm/run.sh checks it with pcapng_check.
#
# The driver sets TCPDROP, DROPGEN, WORK, NS_PREFIX, sources lib.sh and
# expect.sh, and calls run_pcapng_scenarios (or, in a guest,
# pcapng_for_host FILE).

PCAPNG_FIELDS="-e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e tcp.dstport -e tcp.flags -e frame.len -e frame.cap_len -e frame.comment"

# pcapng_fields FILE: one line a packet, its fields joined by '|' (FILE
# - is stdin, read as it comes: -l prints each line at once); tshark's
# stderr in $WORK/tshark.err, its status as the function's.
pcapng_fields() {
	# shellcheck disable=SC2086
	tshark -l -r "$1" -T fields -E separator='|' -E occurrence=f $PCAPNG_FIELDS 2>"$WORK/tshark.err"
}

# The ifindex of lo in the comments: 1, or with a discovered layout (no
# BTF) 0 where discovery did not find it, as in the rows.
PCAPNG_IFINDEX=1

# pcapng_comment REASON STATE NETNS COMM: the comment's pattern. REASON is
# an EXPECT_* value: a reason name, or before 5.17 the location pattern
# (the comment then says reason=-).
pcapng_comment() {
	case $1 in
	*+0x*) echo "reason=- location=$1 state=$2 netns=$3 ifindex=$PCAPNG_IFINDEX cpu=* pid=* comm=$4" ;;
	*) echo "reason=$1 location=*+0x* state=$2 netns=$3 ifindex=$PCAPNG_IFINDEX cpu=* pid=* comm=$4" ;;
	esac
}

# pcapng_expect_syns NETNS SNAPLEN: the expectations of pcapng_make_syns's
# two drops, as "COUNT PATTERN" lines: a SYN of connect() is 60 bytes
# over IPv4 and 80 over IPv6 (MSS, SACK, timestamps, window scale), all
# of it in the linear part. SNAPLEN is 256 or 40: then IPv4 keeps the
# whole TCP header but its options, IPv6 no TCP header at all.
pcapng_expect_syns() {
	if [ "$2" -ge 80 ]; then
		tcp4="40001|9|0x0002|60|60" tcp6="40002|9|0x0002|80|80"
	else
		tcp4="40001|9|0x0002|60|40" tcp6="|||80|40"
	fi
	echo "1 127.0.0.2||127.0.0.3||$tcp4|$(pcapng_comment "$EXPECT_NOSOCK4" - "$1" dropgen)"
	echo "1 |::1||::1|$tcp6|$(pcapng_comment "$EXPECT_NOSOCK6" - "$1" dropgen)"
}

# pcapng_make_syns NS: the two SYNs to a closed port, from namespace NS.
pcapng_make_syns() {
	in_ns_keep "$1" "$DROPGEN" syn4 127.0.0.2 40001 127.0.0.3 9 >/dev/null &&
		in_ns_keep "$1" "$DROPGEN" syn6 ::1 40002 ::1 9 >/dev/null
}

# pcapng_check TEST FILE EXPECT_FILE: tshark reads FILE whole (status 0),
# and each "COUNT PATTERN" line of EXPECT_FILE matches exactly COUNT
# packets, and every packet one pattern. FILE - : the lines are already
# in $WORK/TEST.fields. Prints FAIL lines and returns 1, or returns 0
# silently.
pcapng_check() {
	if [ "$2" != - ] && ! pcapng_fields "$2" >"$WORK/$1.fields"; then
		fail "$1" "tshark -r failed: $(head -n 2 "$WORK/tshark.err")"
		return 1
	fi
	total=0
	while read -r count pattern; do
		n=0
		while IFS= read -r line; do
			# shellcheck disable=SC2254
			case "$line" in $pattern) n=$((n + 1)) ;; esac
		done <"$WORK/$1.fields"
		if [ "$n" -ne "$count" ]; then
			fail "$1" "$n packets match '$pattern', want $count; tshark: $(tr '\n' '/' <"$WORK/$1.fields")"
			return 1
		fi
		total=$((total + count))
	done <"$3"
	got=$(wc -l <"$WORK/$1.fields")
	if [ "$got" -ne "$total" ]; then
		fail "$1" "$got packets, want $total: $(tr '\n' '/' <"$WORK/$1.fields")"
		return 1
	fi
	return 0
}

# in_ns_keep NS CMD...: CMD in the existing namespace NS (the driver's
# in_ns makes a fresh one; a guest is one namespace: NS empty).
in_ns_keep() {
	if [ -z "$1" ]; then
		shift
		"$@"
	else
		ip netns exec "$@"
	fi
}

# netns_inode NS: the inode of namespace NS (empty: our own).
netns_inode() {
	if [ -z "$1" ]; then
		readlink /proc/self/ns/net | sed 's/[^0-9]//g'
	else
		ip netns exec "$1" readlink /proc/self/ns/net | sed 's/[^0-9]//g'
	fi
}

pcapng_ns_new() {
	ip netns add "$1" && ip -n "$1" link set lo up
}

# --- the file of a live run: IPv4 and IPv6, a socket's drop, a bad checksum;
# rows still on stdout; tcpdump reads it; cut short, it still reads ------
test_pcapng_file() {
	test=pcapng_file ns=$NS_PREFIX-pcap-file
	pcapng_ns_new "$ns" || { fail "$test" "ip netns add failed"; return; }
	inode=$(netns_inode "$ns")
	f=$WORK/$test.pcapng
	if ! start_tracer "$test" -S -N "$inode" -w "$f"; then
		ip netns del "$ns"
		fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"
		return
	fi
	pcapng_make_syns "$ns" &&
		in_ns_keep "$ns" "$DROPGEN" md5 127.0.0.4 40003 127.0.0.5 8003 >"$WORK/$test.gen" &&
		in_ns_keep "$ns" "$DROPGEN" csum4 127.0.0.6 40004 127.0.0.7 8004 >/dev/null ||
		{ stop_tracer; ip netns del "$ns"; fail "$test" "dropgen failed"; return; }
	wait_rows "$test" 127.0.0.6:40004 127.0.0.7:8004
	stop_tracer
	ip netns del "$ns"
	expect_clean_exit "$test" "$test" || return
	# Rows still go to stdout with -w FILE.
	expect_row "$test" "$test" 127.0.0.2:40001 127.0.0.3:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	md5=$(sed -n 's/.* count=\([0-9]*\).*/\1/p' "$WORK/$test.gen")
	{
		pcapng_expect_syns "$inode" 256
		# 12 bytes of data on an ESTABLISHED connection: the headers
		# (IPv4 20, TCP 32 with timestamps) are linear, the data is in
		# a page fragment (tcp_sendmsg), which is not copied: 52 of 64.
		echo "$md5 127.0.0.4||127.0.0.5||40003|8003|0x0018|64|52|$(pcapng_comment "$EXPECT_MD5" "$EXPECT_MD5_STATE" "$inode" '*')"
		# dropgen's raw SYN: 20 + 20 bytes, written whole.
		echo "1 127.0.0.6||127.0.0.7||40004|8004|0x0002|40|40|$(pcapng_comment "$EXPECT_CSUM" - "$inode" dropgen)"
	} >"$WORK/$test.expect"
	pcapng_check "$test" "$f" "$WORK/$test.expect" || return
	if ! tcpdump -nn -r "$f" >"$WORK/$test.tcpdump" 2>"$WORK/$test.tcpdump.err"; then
		fail "$test" "tcpdump -r failed: $(cat "$WORK/$test.tcpdump.err")"
		return
	fi
	if ! grep -q ' IP 127\.0\.0\.2\.40001 > 127\.0\.0\.3\.9: Flags \[S\], seq ' "$WORK/$test.tcpdump" ||
	   ! grep -q ' IP6 ::1\.40002 > ::1\.9: Flags \[S\], seq ' "$WORK/$test.tcpdump" ||
	   ! grep -q 'link-type RAW (Raw IP), snapshot length 256' "$WORK/$test.tcpdump.err"; then
		fail "$test" "tcpdump: $(cat "$WORK/$test.tcpdump.err" "$WORK/$test.tcpdump" | head -n 4)"
		return
	fi
	pass "$test"
	pcapng_cut_short "$f" "$((md5 + 3))"
}

# pcapng_cut_short FILE N: FILE of N packets, cut 7 bytes into its last
# block: tshark says so, and reads the N - 1 whole ones.
pcapng_cut_short() {
	test=pcapng_cut_short
	size=$(wc -c <"$1")
	head -c "$((size - 7))" "$1" >"$WORK/$test.pcapng"
	pcapng_fields "$WORK/$test.pcapng" >"$WORK/$test.fields"
	status=$?
	got=$(wc -l <"$WORK/$test.fields")
	if [ "$got" -ne "$(($2 - 1))" ]; then
		fail "$test" "tshark read $got packets of a file cut in packet $2, want $(($2 - 1)) (status $status: $(cat "$WORK/tshark.err"))"
	elif ! grep -q 'cut short in the middle of a packet' "$WORK/tshark.err"; then
		fail "$test" "tshark did not report the cut: status $status, $(cat "$WORK/tshark.err")"
	elif ! tcpdump -nn -r "$WORK/$test.pcapng" 2>/dev/null | grep -q ' IP6 ::1\.40002 > ::1\.9: '; then
		fail "$test" "tcpdump -r does not read the whole blocks of the cut file"
	else
		pass "$test"
	fi
}

# --- -s 40 cuts each packet to 40 bytes, frame.len stays true; -q: nothing
# on stdout ---------------------------------------------------------------
test_pcapng_snaplen() {
	test=pcapng_snaplen ns=$NS_PREFIX-pcap-snap
	pcapng_ns_new "$ns" || { fail "$test" "ip netns add failed"; return; }
	inode=$(netns_inode "$ns")
	f=$WORK/$test.pcapng
	if ! start_tracer "$test" -q -s 40 -N "$inode" -w "$f"; then
		ip netns del "$ns"
		fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"
		return
	fi
	pcapng_make_syns "$ns" || { stop_tracer; ip netns del "$ns"; fail "$test" "dropgen failed"; return; }
	tries=0
	while [ "$(pcapng_fields "$f" 2>/dev/null | wc -l)" -lt 2 ] && [ "$tries" -lt 100 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	stop_tracer
	ip netns del "$ns"
	expect_clean_exit "$test" "$test" || return
	if [ -s "$WORK/$test.out" ]; then
		fail "$test" "-q wrote to stdout: $(head -n 2 "$WORK/$test.out")"
		return
	fi
	pcapng_expect_syns "$inode" 40 >"$WORK/$test.expect"
	pcapng_check "$test" "$f" "$WORK/$test.expect" && pass "$test"
}

# pcapng_read_live TEST NS INODE READER: with tshark (READER, for the
# message) reading the live stream into $WORK/TEST.fields as $reader, makes
# the two SYNs in NS, waits for both, stops the tracer and checks the
# packets read, exactly.
pcapng_read_live() {
	pcapng_make_syns "$2"
	tries=0
	while [ "$(wc -l <"$WORK/$1.fields")" -lt 2 ] && [ "$tries" -lt 100 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	stop_tracer
	wait "$reader"
	reader_status=$?
	ip netns del "$2"
	expect_clean_exit "$1" "$1" || return
	if [ "$reader_status" -ne 0 ]; then
		fail "$1" "$4 exited with $reader_status: $(cat "$WORK/tshark.err")"
		return
	fi
	pcapng_expect_syns "$3" 256 >"$WORK/$1.expect"
	pcapng_check "$1" - "$WORK/$1.expect" && pass "$1"
}

# --- -w - into tshark -r -, through a pipe --------------------------------
test_pcapng_stdout() {
	test=pcapng_stdout ns=$NS_PREFIX-pcap-out
	pcapng_ns_new "$ns" || { fail "$test" "ip netns add failed"; return; }
	inode=$(netns_inode "$ns")
	rm -f "$WORK/$test.pipe"
	mkfifo "$WORK/$test.pipe"
	pcapng_fields - <"$WORK/$test.pipe" >"$WORK/$test.fields" &
	reader=$!
	"$TCPDROP" -S -N "$inode" -w - >"$WORK/$test.pipe" 2>"$WORK/$test.err" &
	TRACER_PID=$!
	wait_for '^Tracing TCP drops' "$WORK/$test.err"
	pcapng_read_live "$test" "$ns" "$inode" "tshark -r -"
}

# --- kill -9 during the run: the file reads, with every packet written ----
test_pcapng_killed() {
	test=pcapng_killed ns=$NS_PREFIX-pcap-kill
	pcapng_ns_new "$ns" || { fail "$test" "ip netns add failed"; return; }
	inode=$(netns_inode "$ns")
	f=$WORK/$test.pcapng
	if ! start_tracer "$test" -S -N "$inode" -w "$f"; then
		ip netns del "$ns"
		fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"
		return
	fi
	pcapng_make_syns "$ns"
	# Rows and packets are flushed in the same pass of the loop.
	wait_rows "$test" '[::1]:40002' '[::1]:9'
	tries=0
	while [ "$(pcapng_fields "$f" 2>/dev/null | wc -l)" -lt 2 ] && [ "$tries" -lt 100 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	stop_tracer KILL
	ip netns del "$ns"
	pcapng_expect_syns "$inode" 256 >"$WORK/$test.expect"
	pcapng_check "$test" "$f" "$WORK/$test.expect" && pass "$test"
}

# signals_blocked PID: whether PID has blocked SIGINT (bit 2 of SigBlk),
# i.e. reads its stop signals through its signalfd from now on.
signals_blocked() {
	blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
	[ -n "$blk" ] && [ $((0x$blk & 2)) -ne 0 ]
}

# pcapng_fifo_started TEST FIFO ARGS...: tcpdrop -w FIFO ARGS in the
# background (TRACER_PID), once it has blocked its signals: it is then
# waiting for the FIFO's reader, or past that. 1 if it never got there.
pcapng_fifo_started() {
	test=$1 fifo=$2
	shift 2
	rm -f "$fifo"
	mkfifo "$fifo" || return 1
	"$TCPDROP" -w "$fifo" "$@" >"$WORK/$test.out" 2>"$WORK/$test.err" &
	TRACER_PID=$!
	tries=0
	until signals_blocked "$TRACER_PID"; do
		tries=$((tries + 1))
		kill -0 "$TRACER_PID" 2>/dev/null && [ "$tries" -lt 100 ] || return 1
		sleep 0.1
	done
}

# stop_within_10s: SIGTERM to TRACER_PID, then up to 10 s for it to end
# (TRACER_STATUS); SIGKILL and 1 if it did not.
stop_within_10s() {
	kill -TERM "$TRACER_PID"
	tries=0
	while kill -0 "$TRACER_PID" 2>/dev/null && [ "$tries" -lt 100 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	if kill -0 "$TRACER_PID" 2>/dev/null; then
		kill -KILL "$TRACER_PID"
		wait "$TRACER_PID" 2>/dev/null
		return 1
	fi
	wait "$TRACER_PID"
	TRACER_STATUS=$?
}

# --- -w FIFO: the file waits for its reader, as tcpdump's does, and a stop
# signal still ends that wait (open() of a FIFO blocks, and the signals are
# blocked for the signalfd: once, only SIGKILL ended it). Quietly, status 0.
test_pcapng_fifo_stop() {
	test=pcapng_fifo_stop
	if ! pcapng_fifo_started "$test" "$WORK/$test.fifo" -q -S -p 9; then
		fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"
		kill -KILL "$TRACER_PID" 2>/dev/null
		return
	fi
	if ! stop_within_10s; then
		fail "$test" "SIGTERM did not end tcpdrop waiting for the FIFO's reader"
	elif [ "$TRACER_STATUS" -ne 0 ] || [ -s "$WORK/$test.err" ] || [ -s "$WORK/$test.out" ]; then
		fail "$test" "status $TRACER_STATUS, want 0 and no output: $(cat "$WORK/$test.err" "$WORK/$test.out")"
	else
		pass "$test"
	fi
}

# --- -w FIFO with its reader coming later: tshark reads the two SYNs -------
test_pcapng_fifo_reader() {
	test=pcapng_fifo_reader ns=$NS_PREFIX-pcap-fifo
	pcapng_ns_new "$ns" || { fail "$test" "ip netns add failed"; return; }
	inode=$(netns_inode "$ns")
	if ! pcapng_fifo_started "$test" "$WORK/$test.fifo" -q -S -N "$inode"; then
		ip netns del "$ns"
		kill -KILL "$TRACER_PID" 2>/dev/null
		fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"
		return
	fi
	pcapng_fields "$WORK/$test.fifo" >"$WORK/$test.fields" &
	reader=$!
	wait_for '^Tracing TCP drops' "$WORK/$test.err"
	pcapng_read_live "$test" "$ns" "$inode" "tshark -r FIFO"
}

# --- a run refused at start (an unknown reason: exit 2, found once the
# kernel's reasons are read) leaves an existing -w file as it was: it is
# truncated only once the program runs, as tcpdump's bad filter leaves it
test_pcapng_refused_keeps_file() {
	test=pcapng_refused_keeps_file
	f=$WORK/$test.pcapng
	echo "an earlier capture" >"$f"
	"$TCPDROP" -S -r NO_SUCH_REASON -w "$f" >"$WORK/$test.out" 2>"$WORK/$test.err"
	status=$?
	if [ "$status" -ne 2 ]; then
		fail "$test" "exit status $status, want 2: $(cat "$WORK/$test.err")"
	elif [ "$(cat "$f")" != "an earlier capture" ]; then
		fail "$test" "the file was changed: $(head -c 64 "$f" | od -c | head -n 2)"
	else
		pass "$test"
	fi
}

# --- paths that cannot be written: one line, exit 1 -----------------------
pcapng_runtime_error() {
	test=$1 want=$2
	shift 2
	"$TCPDROP" "$@" >"$WORK/$test.out" 2>"$WORK/$test.err"
	status=$?
	if [ "$status" -ne 1 ]; then
		fail "$test" "exit status $status, want 1: $(cat "$WORK/$test.err")"
	elif [ "$(cat "$WORK/$test.err")" != "$want" ]; then
		fail "$test" "stderr: $(cat "$WORK/$test.err"), want: $want"
	elif [ -s "$WORK/$test.out" ]; then
		fail "$test" "wrote to stdout: $(head -n 2 "$WORK/$test.out")"
	else
		pass "$test"
	fi
}

# --- without BTF and without discovery there is no packet: exit 2 --------
test_pcapng_no_btf() {
	test=pcapng_no_btf
	if [ -z "$BTF_HIDDEN" ] && ! have_unshare; then
		skip "$test" "no unshare -m here"
		return
	fi
	if start_tracer_hidden_btf "$test" -S --no-discovery -w "$WORK/$test.pcapng"; then
		stop_tracer
		fail "$test" "tcpdrop started without BTF and with -w"
		return
	fi
	if [ "$TRACER_STATUS" -ne 2 ]; then
		fail "$test" "exit status $TRACER_STATUS, want 2: $(cat "$WORK/$test.err")"
	elif ! grep -q '^tcpdrop: -w needs the packets, which need the kernel.s BTF or a discovered layout: no BTF was found, and discovery was not run (give --btf FILE)$' "$WORK/$test.err"; then
		fail "$test" "stderr: $(cat "$WORK/$test.err")"
	else
		pass "$test"
	fi
}

run_pcapng_scenarios() {
	if ! command -v tshark >/dev/null 2>&1 || ! command -v tcpdump >/dev/null 2>&1; then
		fail pcapng "tshark and tcpdump are needed (sh tools/deps.sh tshark tcpdump)"
		return
	fi
	test_pcapng_file
	test_pcapng_snaplen
	test_pcapng_stdout
	test_pcapng_killed
	test_pcapng_fifo_stop
	test_pcapng_fifo_reader
	test_pcapng_refused_keeps_file
	pcapng_runtime_error pcapng_bad_path \
		"tcpdrop: cannot open $WORK/no-such-dir/x.pcapng: No such file or directory" \
		-w "$WORK/no-such-dir/x.pcapng"
	pcapng_runtime_error pcapng_full_disk \
		"tcpdrop: cannot write /dev/full: No space left on device" -w /dev/full
	test_pcapng_no_btf
}

# pcapng_for_host OUT: in a guest without tshark, the two SYNs written by
# -w, printed into OUT for the host (tests/vm/run.sh, which checks them
# with pcapng_check): "TCPDROP-PCAPNG-EXPECT COUNT PATTERN" lines, then
# the file as "TCPDROP-PCAPNG-DATA BASE64" lines. A FAIL line here when
# the run itself failed.
pcapng_for_host() {
	test=pcapng_guest
	f=$WORK/$test.pcapng
	[ -s /sys/kernel/btf/vmlinux ] || PCAPNG_IFINDEX='[01]'
	if ! start_tracer "$test" -S -p 9 -w "$f"; then
		fail "$test" "tcpdrop did not start: $(cat "$WORK/$test.err")"
		return
	fi
	pcapng_make_syns "" || { stop_tracer; fail "$test" "dropgen failed"; return; }
	wait_rows "$test" '[::1]:40002' '[::1]:9'
	stop_tracer
	expect_clean_exit "$test" "$test" || return
	pcapng_expect_syns "$(netns_inode "")" 256 | sed 's/^/TCPDROP-PCAPNG-EXPECT /' >"$1"
	base64 "$f" | sed 's/^/TCPDROP-PCAPNG-DATA /' >>"$1"
	pass "$test"
}
