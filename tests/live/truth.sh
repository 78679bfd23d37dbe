# The truth scenarios (issue 7): every row is a TCP packet that the kernel
# really dropped, with its own tuple and its own stack, and nothing else is
# a row. Shared by the host's driver (tests/live/live.sh) and the
# kernel-matrix guests (tests/vm/guest.sh). POSIX sh for busybox.
#
# The driver sets TCPDROP, DROPGEN, WORK (and NS_PREFIX on the host) and
# sources lib.sh, expect.sh and scenarios.sh before this file. Each test
# traces one network namespace of its own (-N), so that drops made
# elsewhere on the machine at the same time never count; each test that
# wants no row also makes one known drop in that namespace, which must be
# the one and only row.
#
# Cases that need a second namespace (ip netns), veth, VXLAN or nft skip
# with the reason where the machine lacks them (the busybox guests do).

run_truth_scenarios() {
	truth_ip_options
	truth_exthdr6 dstopts6 dstopts6 40091
	truth_exthdr6 hbh6 hbh6 40092
	truth_udp
	truth_hbh_late
	truth_fragments
	truth_burst_text
	truth_burst_json
	truth_seconds
	truth_times_json
	truth_times_us
	truth_comm_text
	truth_comm_json
	truth_veth_quiet
	truth_netfilter
	truth_netfilter6_dstopts
	truth_sender_socket
	truth_vxlan
}

TRUTH_BURST=30

# --- namespaces ------------------------------------------------------------

have_ip_netns() {
	ip netns list >/dev/null 2>&1
}

# truth_ns_up NAME: a namespace of its own for one test, with lo up. Sets
# TNS (its name), NS_INODE (for -N) and NSX (the prefix that runs a command
# in it). Without ip netns (busybox), the guest's own namespace serves:
# the guest runs nothing else.
truth_ns_up() {
	if have_ip_netns; then
		TNS="$NS_PREFIX-$1"
		ip netns add "$TNS" && ip -n "$TNS" link set lo up || return 1
		NS_INODE=$(stat -L -c %i "/run/netns/$TNS")
		NSX="ip netns exec $TNS"
	else
		TNS=
		NS_INODE=$(stat -L -c %i /proc/self/ns/net)
		NSX=
	fi
}

truth_ns_down() {
	[ -n "$TNS" ] && ip netns del "$TNS"
	TNS=
}

# in_truth_ns CMD...: runs CMD in the test's namespace.
in_truth_ns() {
	$NSX "$@"
}

# truth_sysctl NAME VALUE: sets a per-namespace sysctl in the test's
# namespace; in a guest's only namespace the old value is kept in
# TRUTH_RESTORE to be put back by truth_ns_down_restore.
truth_sysctl() {
	path=/proc/sys/$(echo "$1" | tr . /)
	if [ -z "$TNS" ]; then
		TRUTH_RESTORE="$TRUTH_RESTORE $path=$(cat "$path")"
		echo "$2" >"$path"
	else
		in_truth_ns sh -c "echo $2 >$path"
	fi
}

truth_ns_down_restore() {
	for kv in $TRUTH_RESTORE; do
		echo "${kv#*=}" >"${kv%%=*}"
	done
	TRUTH_RESTORE=
	truth_ns_down
}

# all_rows NAME: the text rows of a run (-S: no stack lines).
all_rows() {
	awk 'NF >= 5 && !/^\t/ && $1 != "TIME" && !/^Tracing/' "$WORK/$1.out"
}

# expect_only_row TEST NAME SADDR DADDR: that tuple's row is the one and
# only row of the run; the FAIL line shows the others (up to three).
expect_only_row() {
	n=$(all_rows "$2" | wc -l)
	if [ "$n" -ne 1 ]; then
		others=$(all_rows "$2" | awk -v s="$3" -v d="$4" '
			!($(NF-4) == s && $(NF-3) == d) { $1 = $1; print }' |
			head -n 3 | awk '{ printf "%s%s", sep, $0; sep = " | " }')
		fail "$1" "want only the row for $3 -> $4, got $n rows; the others: $others"
		return 1
	fi
	return 0
}

# truth_trace TEST NAME GEN ARGS...: tcpdrop ARGS on the test's namespace,
# GEN (sh code) run in it, then the tracer stopped. GEN's stdout goes to
# $WORK/NAME.gen. Returns 1 (with the FAIL line) when something failed.
truth_trace() {
	test=$1 name=$2 gen=$3
	shift 3
	start_tracer "$name" -N "$NS_INODE" "$@" ||
		{ fail "$test" "tcpdrop did not start: $(cat "$WORK/$name.err")"; return 1; }
	if ! in_truth_ns sh -c "$gen" >"$WORK/$name.gen" 2>"$WORK/$name.generr"; then
		stop_tracer
		fail "$test" "drop generator failed: $(cat "$WORK/$name.generr")"
		return 1
	fi
	# The control drop comes last: once its row is there, so is every row
	# before it (one namespace, made in order; the reader is per CPU, so
	# allow a moment).
	sleep 0.5
	stop_tracer
	expect_clean_exit "$test" "$name"
}

# --- IPv4 header with options ----------------------------------------------
# 16 bytes of Record Route: the TCP header starts 36 bytes into the packet.
truth_ip_options() {
	truth_ns_up ipopts || { fail ip_options "cannot make a namespace"; return; }
	truth_trace ip_options ipopts \
		"'$DROPGEN' opts4 127.0.0.90 40090 127.0.0.91 9" -S
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	expect_row ip_options ipopts 127.0.0.90:40090 127.0.0.91:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	expect_only_row ip_options ipopts 127.0.0.90:40090 127.0.0.91:9 || return
	pass ip_options
}

# --- IPv6 extension headers before TCP -------------------------------------
# truth_exthdr6 TEST MODE SPORT
truth_exthdr6() {
	test=$1 mode=$2 sport=$3
	truth_ns_up "$test" || { fail "$test" "cannot make a namespace"; return; }
	truth_trace "$test" "$test" "'$DROPGEN' $mode ::1 $sport ::1 9" -S
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	expect_row "$test" "$test" "[::1]:$sport" '[::1]:9' - SYN "$EXPECT_NOSOCK6" 1 || return
	expect_only_row "$test" "$test" "[::1]:$sport" '[::1]:9' || return
	pass "$test"
}

# --- a Hop-by-Hop header after another is dropped unread: no row -----------
truth_hbh_late() {
	test=hbh_late_not_tcp
	truth_ns_up hbhlate || { fail "$test" "cannot make a namespace"; return; }
	truth_trace "$test" hbhlate \
		"'$DROPGEN' hbhlate6 ::1 40061 ::1 9 &&
		 '$DROPGEN' syn4 127.0.0.61 40062 127.0.0.62 9" -S
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	expect_row "$test" hbhlate 127.0.0.61:40062 127.0.0.62:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	expect_only_row "$test" hbhlate 127.0.0.61:40062 127.0.0.62:9 || return
	pass "$test"
}

# --- UDP is never a row ------------------------------------------------------
truth_udp() {
	truth_ns_up udp || { fail udp_not_tcp "cannot make a namespace"; return; }
	truth_trace udp_not_tcp udp \
		"'$DROPGEN' udp4 127.0.0.92 40093 127.0.0.93 9 &&
		 '$DROPGEN' udp6 ::1 40094 ::1 9 &&
		 '$DROPGEN' syn4 127.0.0.94 40095 127.0.0.95 9" -S
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	if [ "$(grep -c 'count=1' "$WORK/udp.gen")" -ne 3 ]; then
		fail udp_not_tcp "the kernel did not drop all three: $(cat "$WORK/udp.gen")"
		return
	fi
	expect_row udp_not_tcp udp 127.0.0.94:40095 127.0.0.95:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	expect_only_row udp_not_tcp udp 127.0.0.94:40095 127.0.0.95:9 || return
	pass udp_not_tcp
}

# --- a non-first fragment has no TCP header ----------------------------------
# Both fragments carry what looks like a SYN header from 40096 (40097) to 9
# where a TCP header would be; reassembly times out after 1 s and frees
# them. The fragment queue has let go of skb->dev by then, so the drop
# cannot be told to belong to the namespace: this test traces every
# namespace (no -N) and looks for rows by address instead: 127.0.0.96 and
# 2001:db8::96 (on lo) are used by no other test.
truth_fragments() {
	truth_ns_up frag || { fail fragments_not_tcp "cannot make a namespace"; return; }
	truth_sysctl net.ipv4.ipfrag_time 1
	truth_sysctl net.ipv6.ip6frag_time 1
	in_truth_ns ip addr add 2001:db8::96/128 dev lo &&
		in_truth_ns ip addr add 2001:db8::97/128 dev lo ||
		{ truth_ns_down_restore; fail fragments_not_tcp "cannot add 2001:db8::96 to lo"; return; }
	start_tracer frag -S ||
		{ truth_ns_down_restore; fail fragments_not_tcp "tcpdrop did not start: $(cat "$WORK/frag.err")"; return; }
	in_truth_ns sh -c "'$DROPGEN' frag4 127.0.0.96 40096 127.0.0.97 9 &&
		 '$DROPGEN' -n frag6 2001:db8::96 40097 2001:db8::97 9 &&
		 '$DROPGEN' syn4 127.0.0.98 40098 127.0.0.99 9" >"$WORK/frag.gen" 2>&1
	gen=$?
	wait_rows frag 127.0.0.98:40098 127.0.0.99:9
	stop_tracer
	truth_ns_down_restore
	[ "$gen" -eq 0 ] || { fail fragments_not_tcp "dropgen: $(cat "$WORK/frag.gen")"; return; }
	expect_clean_exit fragments_not_tcp frag || return
	if [ "$(grep -c 'expected=FRAG_REASM_TIMEOUT count=1 ' "$WORK/frag.gen")" -ne 2 ]; then
		fail fragments_not_tcp "the kernel did not drop both fragments: $(cat "$WORK/frag.gen")"
		return
	fi
	expect_row fragments_not_tcp frag 127.0.0.98:40098 127.0.0.99:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	bogus=$(all_rows frag | awk '$(NF-4) ~ /^(127\.0\.0\.96|\[2001:db8::96\]):/')
	if [ -n "$bogus" ]; then
		fail fragments_not_tcp "a fragment is a row: $(echo "$bogus" | head -n 1)"
		return
	fi
	pass fragments_not_tcp
}

# --- a burst of identical drops: every row has its own stack -------------------
# stack_flags NAME SADDR DADDR: one line per such row: 1 when the stack
# under it has a tcp_v4_rcv+0x frame, else 0 (none, or [stack unavailable]).
stack_flags() {
	awk -v s="$2" -v d="$3" '
		function flush() { if (inrow) print ok; inrow = 0 }
		/^\t/ { if (inrow && $1 ~ /^tcp_v4_rcv\+0x/) ok = 1; next }
		{ flush() }
		NF >= 5 && $(NF-4) == s && $(NF-3) == d { inrow = 1; ok = 0 }
		END { flush() }' "$WORK/$1.out"
}

truth_burst_text() {
	truth_ns_up burst || { fail burst_stacks "cannot make a namespace"; return; }
	truth_trace burst_stacks burst \
		"'$DROPGEN' burst4 127.0.0.100 40100 127.0.0.101 9 $TRUTH_BURST"
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	if ! grep -q "count=$TRUTH_BURST sports=same" "$WORK/burst.gen"; then
		fail burst_stacks "dropgen: $(cat "$WORK/burst.gen")"
		return
	fi
	expect_row burst_stacks burst 127.0.0.100:40100 127.0.0.101:9 - SYN "$EXPECT_NOSOCK4" "$TRUTH_BURST" || return
	with=$(stack_flags burst 127.0.0.100:40100 127.0.0.101:9 | grep -c '^1$')
	if [ "$with" -ne "$TRUTH_BURST" ]; then
		fail burst_stacks "$with of $TRUTH_BURST rows have a stack with tcp_v4_rcv"
		return
	fi
	pass burst_stacks
}

truth_burst_json() {
	if ! have_jq; then
		skip burst_stacks_json "jq is not installed here"
		return
	fi
	truth_ns_up burstj || { fail burst_stacks_json "cannot make a namespace"; return; }
	truth_trace burst_stacks_json burstj \
		"'$DROPGEN' burst4 127.0.0.102 40102 127.0.0.103 9 $TRUTH_BURST" -j
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	got=$(jq -s -r '[.[] | select(.type == "drop")] |
		[length,
		 (map(select(.saddr == "127.0.0.102" and .sport == 40102 and
			.daddr == "127.0.0.103" and .dport == 9 and .flags == "SYN")) | length),
		 (map(select(.stack | length > 0)) | length),
		 (map(select(.stack | map(select(startswith("tcp_v4_rcv+0x"))) | length == 1)) | length)]
		| @tsv' "$WORK/burstj.out")
	want=$(printf '%s\t%s\t%s\t%s' "$TRUTH_BURST" "$TRUTH_BURST" "$TRUTH_BURST" "$TRUTH_BURST")
	if [ "$got" != "$want" ]; then
		fail burst_stacks_json "rows, of them the tuple, with a stack, with tcp_v4_rcv: $got, want $want"
		return
	fi
	pass burst_stacks_json
}

# --- the TIME column's second -----------------------------------------------
# A row never shows a second that began before its drop was made, nor one
# after the tracer stopped. tcpdrop -S may give a drop the time of an
# earlier drop of the same kernel tick (config tick_time); at a SYN every
# half millisecond, each second boundary has drops on both sides of it in
# one tick, and a reuse across it would show the second before.
TRUTH_SECONDS=3000

truth_seconds() {
	truth_ns_up seconds || { fail time_seconds "cannot make a namespace"; return; }
	truth_trace time_seconds seconds \
		"'$DROPGEN' seconds4 127.0.0.112 40200 127.0.0.113 9 $TRUTH_SECONDS" -S
	status=$?
	end=$(date +%H:%M:%S)
	truth_ns_down
	[ "$status" -eq 0 ] || return
	first=$(awk 'NR == 1 { print $2 }' "$WORK/seconds.gen")
	if [ -z "$first" ] || [ "$first" \> "$end" ]; then
		skip time_seconds "the run crossed midnight (from '$first' to $end)"
		return
	fi
	all_rows seconds >"$WORK/seconds.rows"
	# rows, rows of no SYN sent, rows twice, rows out of their window
	got=$(awk -v end="$end" '
		FNR == NR { if ($1 ~ /^[0-9]+$/) sent[$1] = $2; next }
		{
			rows++
			n = split($4, a, ":"); sport = a[n]
			if (!(sport in sent)) { unknown++; next }
			if (seen[sport]++) { twice++; next }
			if ($1 < sent[sport] || $1 > end) {
				outside++
				if (example == "")
					example = " (sport " sport " at " $1 ", sent at " sent[sport] ")"
			}
		}
		END { printf "%d %d %d %d%s", rows, unknown, twice, outside, example }
	' "$WORK/seconds.gen" "$WORK/seconds.rows")
	if [ "$got" != "$TRUTH_SECONDS 0 0 0" ]; then
		fail time_seconds "rows, of no SYN sent, twice, out of their second: $got; want $TRUTH_SECONDS 0 0 0"
		return
	fi
	pass time_seconds
}

# JSON times are to the nanosecond, each drop's own: -j never takes the
# tick's time that text rows may (with -S, the tp_btf program's mode).
truth_times_json() {
	if ! have_jq; then
		skip time_json_ns "jq is not installed here"
		return
	fi
	truth_ns_up timesj || { fail time_json_ns "cannot make a namespace"; return; }
	truth_trace time_json_ns timesj \
		"'$DROPGEN' burst4 127.0.0.114 40114 127.0.0.115 9 $TRUTH_BURST" -j -S
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	got=$(jq -s -r '[.[] | select(.type == "drop")] |
		[length, (map(.time) | unique | length)] | @tsv' "$WORK/timesj.out")
	want=$(printf '%s\t%s' "$TRUTH_BURST" "$TRUTH_BURST")
	if [ "$got" != "$want" ]; then
		fail time_json_ns "rows, distinct times: $got, want $want"
		return
	fi
	pass time_json_ns
}

# Text rows to the microsecond (-t us) take each drop's own time too.
truth_times_us() {
	truth_ns_up timesus || { fail time_us_own "cannot make a namespace"; return; }
	truth_trace time_us_own timesus \
		"'$DROPGEN' burst4 127.0.0.116 40116 127.0.0.117 9 $TRUTH_BURST" -S -t us
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	got=$(all_rows timesus | awk 'length($1) == 15 && $1 ~ /^[0-9:]+\.[0-9]+$/ { print $1 }' |
		sort -u | wc -l)
	if [ "$(all_rows timesus | wc -l)/$got" != "$TRUTH_BURST/$TRUTH_BURST" ]; then
		fail time_us_own "rows/distinct HH:MM:SS.us times: $(all_rows timesus | wc -l)/$got, want $TRUTH_BURST/$TRUTH_BURST"
		return
	fi
	pass time_us_own
}

# --- a COMM with an escape sequence --------------------------------------------
ESC=$(printf '\033')

truth_comm_text() {
	truth_ns_up comm || { fail comm_escaped "cannot make a namespace"; return; }
	truth_trace comm_escaped comm \
		"'$DROPGEN' comm4 127.0.0.104 40104 127.0.0.105 9" -S
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	expect_row comm_escaped comm 127.0.0.104:40104 127.0.0.105:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	if grep -q "$ESC" "$WORK/comm.out"; then
		fail comm_escaped "a raw ESC byte reached the output"
		return
	fi
	comm=$(rows comm 127.0.0.104:40104 127.0.0.105:9 | awk '{ print $3 }')
	if [ "$comm" != 'evil\x1b[31mX' ]; then
		fail comm_escaped "COMM is '$comm', want 'evil\\x1b[31mX'"
		return
	fi
	# The task on the CPU is dropgen's: on loopback the drop happens in
	# the softirq its own send runs.
	want_pid=$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' "$WORK/comm.gen")
	pid=$(rows comm 127.0.0.104:40104 127.0.0.105:9 | awk '{ print $2 }')
	if [ -z "$want_pid" ] || [ "$pid" != "$want_pid" ]; then
		fail comm_escaped "PID is '$pid', dropgen's is '$want_pid'"
		return
	fi
	pass comm_escaped
}

# JSON escapes it its own way (\u001b); decoded, it is the name as set.
truth_comm_json() {
	if ! have_jq; then
		skip comm_json "jq is not installed here"
		return
	fi
	truth_ns_up commj || { fail comm_json "cannot make a namespace"; return; }
	truth_trace comm_json commj \
		"'$DROPGEN' comm4 127.0.0.106 40106 127.0.0.107 9" -j
	status=$?
	truth_ns_down
	[ "$status" -eq 0 ] || return
	if grep -q "$ESC" "$WORK/commj.out"; then
		fail comm_json "a raw ESC byte reached the output"
		return
	fi
	got=$(jq -r 'select(.type == "drop" and .saddr == "127.0.0.106") | .comm' "$WORK/commj.out")
	if [ "$got" != "evil${ESC}[31mX" ]; then
		fail comm_json "comm decodes to '$(echo "$got" | od -c | head -n 2 | tr -s ' ')'"
		return
	fi
	# dropgen has one thread: its PID is its TID.
	want_pid=$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' "$WORK/commj.gen")
	ids=$(jq -r 'select(.type == "drop" and .saddr == "127.0.0.106") | "\(.pid) \(.tid)"' "$WORK/commj.out")
	if [ -z "$want_pid" ] || [ "$ids" != "$want_pid $want_pid" ]; then
		fail comm_json "pid and tid are '$ids', dropgen's pid is '$want_pid'"
		return
	fi
	pass comm_json
}

# --- IPv6 coming up on a veth pair: neighbour discovery and MLD ------------------
truth_veth_quiet() {
	truth_ns_up vethq || { fail veth_ipv6_quiet "cannot make a namespace"; return; }
	# busybox's ip may take "type veth" and make nothing: look for it.
	if ! in_truth_ns ip link add tdq0 type veth peer name tdq1 2>"$WORK/vethq.ip" ||
	   ! in_truth_ns ip link show tdq1 >/dev/null 2>>"$WORK/vethq.ip"; then
		truth_ns_down
		skip veth_ipv6_quiet "cannot create a veth pair here: $(cat "$WORK/vethq.ip")"
		return
	fi
	truth_trace veth_ipv6_quiet vethq \
		"ip link set tdq0 up && ip link set tdq1 up && sleep 2 &&
		 '$DROPGEN' syn4 127.0.0.108 40108 127.0.0.109 9" -S
	status=$?
	in_truth_ns ip link del tdq0 2>/dev/null
	truth_ns_down
	[ "$status" -eq 0 ] || return
	expect_row veth_ipv6_quiet vethq 127.0.0.108:40108 127.0.0.109:9 - SYN "$EXPECT_NOSOCK4" 1 || return
	expect_only_row veth_ipv6_quiet vethq 127.0.0.108:40108 127.0.0.109:9 || return
	pass veth_ipv6_quiet
}

# --- two namespaces joined by veth -------------------------------------------------
# veth_pair TEST: namespaces $NS_PREFIX-TEST-a (192.0.2.1, 2001:db8::1 on
# tda) and -b (192.0.2.2, 2001:db8::2 on tdb), the neighbours resolved.
# Sets TNS to b (traced: NS_INODE, NSX), TNSA to a, and B_IFINDEX. On
# failure prints SKIP (the machine cannot) and returns 1.
veth_pair() {
	test=$1
	if ! have_ip_netns; then
		skip "$test" "no ip netns here (busybox ip): needs two network namespaces"
		return 1
	fi
	TNSA="$NS_PREFIX-$test-a"
	truth_ns_up "$test-b" || { fail "$test" "cannot make a namespace"; return 1; }
	ip netns add "$TNSA" && ip -n "$TNSA" link set lo up ||
		{ truth_ns_down; fail "$test" "cannot make a namespace"; return 1; }
	if ! ip link add tda netns "$TNSA" type veth peer name tdb netns "$TNS" 2>"$WORK/$test.ip"; then
		veth_pair_down
		skip "$test" "cannot create a veth pair here: $(cat "$WORK/$test.ip")"
		return 1
	fi
	ip -n "$TNSA" addr add 192.0.2.1/24 dev tda &&
		ip -n "$TNS" addr add 192.0.2.2/24 dev tdb &&
		ip -n "$TNSA" addr add 2001:db8::1/64 dev tda nodad &&
		ip -n "$TNS" addr add 2001:db8::2/64 dev tdb nodad &&
		ip -n "$TNSA" link set tda up && ip -n "$TNS" link set tdb up ||
		{ veth_pair_down; fail "$test" "cannot set up the veth pair"; return 1; }
	B_IFINDEX=$(ip netns exec "$TNS" cat /sys/class/net/tdb/ifindex)
	# A SYN sent before its neighbour is known waits in the neighbour
	# queue (and the first answers can be late while the links come up):
	# the neighbours are written down instead, and the links waited for.
	static_neighbours tda tdb 192.0.2.1 192.0.2.2 2001:db8::1 2001:db8::2 &&
		wait_link_up "$TNSA" tda && wait_link_up "$TNS" tdb ||
		{ veth_pair_down; fail "$test" "the veth pair did not come up"; return 1; }
	return 0
}

# static_neighbours DEV_A DEV_B ADDR_A ADDR_B [ADDR6_A ADDR6_B]: each side
# knows the other's link-layer address, for each address given.
static_neighbours() {
	mac_a=$(ip netns exec "$TNSA" cat "/sys/class/net/$1/address")
	mac_b=$(ip netns exec "$TNS" cat "/sys/class/net/$2/address")
	ip -n "$TNSA" neigh replace "$4" lladdr "$mac_b" dev "$1" nud permanent &&
		ip -n "$TNS" neigh replace "$3" lladdr "$mac_a" dev "$2" nud permanent || return 1
	[ -z "$5" ] && return 0
	ip -n "$TNSA" neigh replace "$6" lladdr "$mac_b" dev "$1" nud permanent &&
		ip -n "$TNS" neigh replace "$5" lladdr "$mac_a" dev "$2" nud permanent
}

# wait_link_up NS DEV: up to 5 s for the device to be operational (VXLAN
# says unknown).
wait_link_up() {
	tries=0
	while ! ip netns exec "$1" cat "/sys/class/net/$2/operstate" | grep -Eqx "up|unknown"; do
		tries=$((tries + 1))
		[ "$tries" -gt 50 ] && return 1
		sleep 0.1
	done
}

veth_pair_down() {
	ip netns del "$TNSA" 2>/dev/null
	truth_ns_down
}

have_nft() {
	command -v nft >/dev/null 2>&1
}

# nft_drop_port PORT: in b, a rule that counts and drops TCP to PORT on its
# way in, for both families.
nft_drop_port() {
	in_truth_ns nft add table inet tcpdrop_test &&
		in_truth_ns nft add chain inet tcpdrop_test input \
			'{ type filter hook input priority 0; }' &&
		in_truth_ns nft add rule inet tcpdrop_test input \
			tcp dport "$1" counter drop
}

# nft_dropped: how many packets the rule dropped.
nft_dropped() {
	in_truth_ns nft list chain inet tcpdrop_test input |
		sed -n 's/.* counter packets \([0-9]*\) .*/\1/p'
}

# json_row_check TEST NAME SADDR SPORT DADDR DPORT REASON IFINDEX: exactly
# one drop line in the run, with these values.
json_row_check() {
	got=$(jq -r 'select(.type == "drop") |
		[.family, .saddr, .sport, .daddr, .dport, (.state // "-"),
		 .flags, (.reason // .location), .ifindex] | @tsv' "$WORK/$2.out")
	case $3 in *:*) fam=ipv6 ;; *) fam=ipv4 ;; esac
	want=$(printf '%s\t%s\t%s\t%s\t%s\t-\tSYN\t%s\t%s' "$fam" "$3" "$4" "$5" "$6" "$7" "$8")
	# shellcheck disable=SC2254
	case "$got" in $want) return 0 ;; esac
	fail "$1" "want exactly: $want; got: $(echo "$got" | tr '\n' '|')"
	return 1
}

truth_netfilter() {
	if ! have_nft; then
		skip netfilter_veth "nft (package nftables) is not installed here"
		return
	fi
	if ! have_jq; then
		skip netfilter_veth "jq is not installed here"
		return
	fi
	veth_pair netfilter_veth || return
	if ! nft_drop_port 8110 2>"$WORK/nfv.nft"; then
		veth_pair_down
		skip netfilter_veth "nft cannot add a rule here: $(head -n 1 "$WORK/nfv.nft")"
		return
	fi
	start_tracer nfv -j -N "$NS_INODE" ||
		{ veth_pair_down; fail netfilter_veth "tcpdrop did not start: $(cat "$WORK/nfv.err")"; return; }
	ip netns exec "$TNSA" "$DROPGEN" -n nf4 192.0.2.1 40110 192.0.2.2 8110 \
		>"$WORK/nfv.gen" 2>&1
	gen=$?
	sleep 0.5
	stop_tracer
	dropped=$(nft_dropped)
	ifindex=$B_IFINDEX
	veth_pair_down
	[ "$gen" -eq 0 ] || { fail netfilter_veth "dropgen: $(cat "$WORK/nfv.gen")"; return; }
	expect_clean_exit netfilter_veth nfv || return
	if [ "$dropped" != 1 ]; then
		fail netfilter_veth "the rule dropped '$dropped' packets, want 1"
		return
	fi
	json_row_check netfilter_veth nfv 192.0.2.1 40110 192.0.2.2 8110 \
		"$(reason_or_location NETFILTER_DROP nf_hook_slow)" "$ifindex" || return
	pass netfilter_veth
}

# The rule drops the SYN at the input hook, before IPv6 parsed the
# Destination Options header: the reader must walk it to find TCP.
truth_netfilter6_dstopts() {
	if ! have_nft; then
		skip netfilter6_dstopts "nft (package nftables) is not installed here"
		return
	fi
	if ! have_jq; then
		skip netfilter6_dstopts "jq is not installed here"
		return
	fi
	veth_pair netfilter6_dstopts || return
	if ! nft_drop_port 8111 2>"$WORK/nfd.nft"; then
		veth_pair_down
		skip netfilter6_dstopts "nft cannot add a rule here: $(head -n 1 "$WORK/nfd.nft")"
		return
	fi
	start_tracer nfd -j -N "$NS_INODE" ||
		{ veth_pair_down; fail netfilter6_dstopts "tcpdrop did not start: $(cat "$WORK/nfd.err")"; return; }
	ip netns exec "$TNSA" "$DROPGEN" -n nfdst6 2001:db8::1 40111 2001:db8::2 8111 \
		>"$WORK/nfd.gen" 2>&1
	gen=$?
	sleep 0.5
	stop_tracer
	dropped=$(nft_dropped)
	ifindex=$B_IFINDEX
	veth_pair_down
	[ "$gen" -eq 0 ] || { fail netfilter6_dstopts "dropgen: $(cat "$WORK/nfd.gen")"; return; }
	expect_clean_exit netfilter6_dstopts nfd || return
	if [ "$dropped" != 1 ]; then
		fail netfilter6_dstopts "the rule dropped '$dropped' packets, want 1"
		return
	fi
	json_row_check netfilter6_dstopts nfd 2001:db8::1 40111 2001:db8::2 8111 \
		"$(reason_or_location NETFILTER_DROP nf_hook_slow)" "$ifindex" || return
	pass netfilter6_dstopts
}

# --- the sender's socket, in its namespace and across veth ------------------------
# Two SYNs of connect()ing sockets in a (dropgen nf4), each dropped by a
# rule: one at b's netdev ingress hook on tdb, before ip_rcv_core()
# orphans it, so that skb->sk is still a's socket in SYN_SENT, on the
# packet's own source port but in another namespace: no state, netns b;
# the other at a's output hook, before the packet has a device: its own
# socket gives the state SYN_SENT and the namespace (ifindex 0). Both
# namespaces traced at once, each with -N.

# sender_row_check TEST NAME SPORT DPORT STATE IFINDEX NETNS: exactly one
# drop line in the run: 192.0.2.1:SPORT -> 192.0.2.2:DPORT, SYN, dropped by
# netfilter, with this state ("-": none), ifindex and netns.
sender_row_check() {
	got=$(jq -r 'select(.type == "drop") |
		[.family, .saddr, .sport, .daddr, .dport, (.state // "-"),
		 .flags, (.reason // .location), .ifindex, .netns] | @tsv' "$WORK/$2.out")
	want=$(printf 'ipv4\t192.0.2.1\t%s\t192.0.2.2\t%s\t%s\tSYN\t%s\t%s\t%s' "$3" "$4" "$5" \
		"$(reason_or_location NETFILTER_DROP nf_hook_slow)" "$6" "$7")
	# shellcheck disable=SC2254
	case "$got" in $want) return 0 ;; esac
	fail "$1" "$2: want exactly: $want; got: $(echo "$got" | tr '\n' '|')"
	return 1
}

# sender_rules: b drops TCP to 8113 at tdb's ingress, a TCP to 8114 on
# its way out.
sender_rules() {
	in_truth_ns nft add table netdev tcpdrop_test &&
		in_truth_ns nft add chain netdev tcpdrop_test ingress \
			'{ type filter hook ingress device tdb priority 0; }' &&
		in_truth_ns nft add rule netdev tcpdrop_test ingress \
			tcp dport 8113 counter drop &&
		ip netns exec "$TNSA" nft add table inet tcpdrop_test &&
		ip netns exec "$TNSA" nft add chain inet tcpdrop_test output \
			'{ type filter hook output priority 0; }' &&
		ip netns exec "$TNSA" nft add rule inet tcpdrop_test output \
			tcp dport 8114 counter drop
}

truth_sender_socket() {
	test=sender_socket_veth
	if ! have_nft || ! have_jq; then
		skip $test "needs nft (package nftables) and jq"
		return
	fi
	veth_pair $test || return
	if ! sender_rules 2>"$WORK/sks.nft"; then
		veth_pair_down
		skip $test "nft cannot add the rules here: $(head -n 1 "$WORK/sks.nft")"
		return
	fi
	a_inode=$(stat -L -c %i "/run/netns/$TNSA")
	start_tracer sksa -j -S -N "$a_inode" ||
		{ veth_pair_down; fail $test "tcpdrop did not start: $(cat "$WORK/sksa.err")"; return; }
	a_pid=$TRACER_PID
	if ! start_tracer sksb -j -S -N "$NS_INODE"; then
		TRACER_PID=$a_pid
		stop_tracer
		veth_pair_down
		fail $test "tcpdrop did not start: $(cat "$WORK/sksb.err")"
		return
	fi
	ip netns exec "$TNSA" "$DROPGEN" -n nf4 192.0.2.1 40113 192.0.2.2 8113 \
		>"$WORK/sks.gen" 2>&1 &&
		ip netns exec "$TNSA" "$DROPGEN" -n nf4 192.0.2.1 40114 192.0.2.2 8114 \
			>>"$WORK/sks.gen" 2>&1
	gen=$?
	sleep 0.5
	stop_tracer
	b_status=$TRACER_STATUS
	TRACER_PID=$a_pid
	stop_tracer
	a_status=$TRACER_STATUS
	b_dropped=$(in_truth_ns nft list chain netdev tcpdrop_test ingress |
		sed -n 's/.* counter packets \([0-9]*\) .*/\1/p')
	a_dropped=$(ip netns exec "$TNSA" nft list chain inet tcpdrop_test output |
		sed -n 's/.* counter packets \([0-9]*\) .*/\1/p')
	ifindex=$B_IFINDEX
	b_inode=$NS_INODE
	veth_pair_down
	[ "$gen" -eq 0 ] || { fail $test "dropgen: $(cat "$WORK/sks.gen")"; return; }
	TRACER_STATUS=$a_status
	expect_clean_exit $test sksa || return
	TRACER_STATUS=$b_status
	expect_clean_exit $test sksb || return
	if [ "$b_dropped/$a_dropped" != 1/1 ]; then
		fail $test "the rules dropped '$b_dropped' (ingress of b) and '$a_dropped' (output of a) packets, want 1 and 1"
		return
	fi
	sender_row_check $test sksb 40113 8113 - "$ifindex" "$b_inode" || return
	sender_row_check $test sksa 40114 8114 SYN_SENT 0 "$a_inode" || return
	pass $test
}

# --- TCP inside a tunnel ---------------------------------------------------------
# VXLAN (UDP 4789) over the veth pair, 198.51.100.1 in a to 198.51.100.2
# in b: b decapsulates the SYN and drops it (NO_SOCKET). That is the one
# row, with the inner tuple and the VXLAN device of b; the outer UDP
# packet was delivered, not dropped.
truth_vxlan() {
	if ! have_jq; then
		skip tunnel_vxlan "jq is not installed here"
		return
	fi
	veth_pair tunnel_vxlan || return
	if ! ip -n "$TNSA" link add tdx type vxlan id 42 local 192.0.2.1 remote 192.0.2.2 \
			dstport 4789 dev tda 2>"$WORK/vx.ip" ||
	   ! ip -n "$TNS" link add tdx type vxlan id 42 local 192.0.2.2 remote 192.0.2.1 \
			dstport 4789 dev tdb 2>>"$WORK/vx.ip"; then
		veth_pair_down
		skip tunnel_vxlan "cannot create a VXLAN device here: $(head -n 1 "$WORK/vx.ip")"
		return
	fi
	ip -n "$TNSA" addr add 198.51.100.1/24 dev tdx &&
		ip -n "$TNS" addr add 198.51.100.2/24 dev tdx &&
		ip -n "$TNSA" link set tdx up && ip -n "$TNS" link set tdx up ||
		{ veth_pair_down; fail tunnel_vxlan "cannot set up VXLAN"; return; }
	static_neighbours tdx tdx 198.51.100.1 198.51.100.2 &&
		wait_link_up "$TNSA" tdx && wait_link_up "$TNS" tdx ||
		{ veth_pair_down; fail tunnel_vxlan "VXLAN did not come up"; return; }
	ifindex=$(ip netns exec "$TNS" cat /sys/class/net/tdx/ifindex)
	start_tracer vx -j -N "$NS_INODE" ||
		{ veth_pair_down; fail tunnel_vxlan "tcpdrop did not start: $(cat "$WORK/vx.err")"; return; }
	ip netns exec "$TNSA" "$DROPGEN" -n syn4 198.51.100.1 40112 198.51.100.2 9 \
		>"$WORK/vx.gen" 2>&1
	gen=$?
	sleep 0.5
	stop_tracer
	veth_pair_down
	[ "$gen" -eq 0 ] || { fail tunnel_vxlan "dropgen: $(cat "$WORK/vx.gen")"; return; }
	expect_clean_exit tunnel_vxlan vx || return
	json_row_check tunnel_vxlan vx 198.51.100.1 40112 198.51.100.2 9 \
		"$EXPECT_NOSOCK4" "$ifindex" || return
	pass tunnel_vxlan
}
