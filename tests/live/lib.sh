# Shared by the live tests: result lines, the tracer's life cycle, and row
# matching. POSIX sh, so that the kernel-matrix guests (busybox) can use it.
# Expects TCPDROP, DROPGEN and WORK to be set by the caller.

# TEST_SUFFIX names a second pass of the same tests (tests/run.sh).
pass() { echo "PASS $1${TEST_SUFFIX}"; }
fail() { echo "FAIL $1${TEST_SUFFIX}: $2"; }
skip() { echo "SKIP $1${TEST_SUFFIX}: $2"; }

# start_tracer NAME [ARGS...]: runs tcpdrop in the background with its
# output in $WORK/NAME.out and .err, and returns once it printed its
# Tracing line (it is then attached and its rings are ready). The line is
# on stdout, or on stderr with -j. A tracer that does not get there within
# 30 s is killed.
start_tracer() {
	name=$1
	shift
	"$TCPDROP" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	TRACER_PID=$!
	tries=0
	while ! grep -q '^Tracing TCP drops' "$WORK/$name.out" "$WORK/$name.err" 2>/dev/null; do
		if ! kill -0 "$TRACER_PID" 2>/dev/null; then
			wait "$TRACER_PID"
			TRACER_STATUS=$?
			return 1
		fi
		tries=$((tries + 1))
		if [ "$tries" -gt 300 ]; then
			kill -KILL "$TRACER_PID"
			wait "$TRACER_PID"
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# stop_tracer [SIGNAL]: ends it (SIGINT by default); sets TRACER_STATUS.
stop_tracer() {
	kill -"${1:-INT}" "$TRACER_PID" 2>/dev/null
	# The shell's own "Killed" notice would land in the middle of the
	# result lines.
	wait "$TRACER_PID" 2>/dev/null
	TRACER_STATUS=$?
}

# rows NAME SADDR DADDR: the rows whose SADDR:SPORT and DADDR:DPORT columns
# are these. Fields are counted from the right: COMM may hold spaces.
rows() {
	awk -v s="$2" -v d="$3" 'NF >= 5 && $(NF-4) == s && $(NF-3) == d' "$WORK/$1.out"
}

# wait_rows NAME SADDR DADDR: waits up to 10 s for a first such row.
wait_rows() {
	tries=0
	while [ -z "$(rows "$@")" ] && [ "$tries" -lt 100 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
}

# wait_for PATTERN FILE: waits up to 10 s for a line matching PATTERN (an
# extended regular expression).
wait_for() {
	tries=0
	while ! grep -Eqs "$1" "$2" && [ "$tries" -lt 100 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
}

# field ROW N: the Nth field from the right (0 = last).
field() {
	echo "$1" | awk -v n="$2" '{ print $(NF - n) }'
}

# stack_of NAME SADDR DADDR: the stack lines under the first such row.
stack_of() {
	awk -v s="$2" -v d="$3" '
		found && /^\t/ { print; next }
		found { exit }
		NF >= 5 && $(NF-4) == s && $(NF-3) == d { found = 1 }' "$WORK/$1.out"
}

# expect_row TEST NAME SADDR DADDR STATE FLAGS REASON [COUNT]: the rows for
# this tuple, all with these values (case patterns: a kernel without reasons
# shows a location such as tcp_v4_rcv+0x*); exactly COUNT rows if given.
expect_row() {
	test=$1 name=$2 saddr=$3 daddr=$4 state=$5 flags=$6 reason=$7 count=$8
	got=$(rows "$name" "$saddr" "$daddr")
	if [ -z "$got" ]; then
		fail "$test" "no row for $saddr -> $daddr in $WORK/$name.out; its stderr: $(grep -v '^tcpdrop: [0-9]* drops traced' "$WORK/$name.err" | tail -n 2)"
		return 1
	fi
	n=$(echo "$got" | wc -l)
	if [ -n "$count" ] && [ "$n" -ne "$count" ]; then
		fail "$test" "$n rows for $saddr -> $daddr, want $count"
		return 1
	fi
	tails=$(echo "$got" | awk '{ print $(NF-2), $(NF-1), $NF }')
	# shellcheck disable=SC2254
	echo "$tails" | while read -r got_state got_flags got_reason; do
		case "$got_state" in $state) ;; *) echo "$got_state $got_flags $got_reason"; continue ;; esac
		case "$got_flags" in $flags) ;; *) echo "$got_state $got_flags $got_reason"; continue ;; esac
		case "$got_reason" in $reason) ;; *) echo "$got_state $got_flags $got_reason" ;; esac
	done >"$WORK/$name.bad"
	if [ -s "$WORK/$name.bad" ]; then
		fail "$test" "want STATE FLAGS REASON '$state $flags $reason', got: $(head -n 1 "$WORK/$name.bad")"
		return 1
	fi
	return 0
}

# expect_clean_exit TEST NAME: status 0 and the closing summary on stderr.
expect_clean_exit() {
	if [ "$TRACER_STATUS" -ne 0 ]; then
		fail "$1" "tcpdrop exited with $TRACER_STATUS: $(cat "$WORK/$2.err")"
		return 1
	fi
	if ! grep -Eq '^tcpdrop: [0-9]+ drops traced, [0-9]+ lost(, [0-9]+ of them in no key \(the kernel.s count map was full\))?(, [0-9]+ without a stack)?$' "$WORK/$2.err"; then
		fail "$1" "no summary line on stderr: $(cat "$WORK/$2.err")"
		return 1
	fi
	return 0
}
