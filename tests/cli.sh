#!/bin/sh
# The binary itself, without root: usage errors (exit 2, one line and a
# hint), --help, --version, and the build's promises (static, stripped).
top=$(cd "$(dirname "$0")/.." && pwd)
TCPDROP=${TCPDROP:-$top/tcpdrop}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
. "$top/tests/live/lib.sh"

# usage_error NAME WANT_FIRST_LINE ARGS...
usage_error() {
	name=$1 want=$2
	shift 2
	"$TCPDROP" "$@" >"$WORK/out" 2>"$WORK/err"
	status=$?
	if [ "$status" -ne 2 ]; then
		fail "usage_$name" "exit status $status, want 2"
	elif [ -s "$WORK/out" ]; then
		fail "usage_$name" "wrote to stdout: $(cat "$WORK/out")"
	elif [ "$(sed -n 1p "$WORK/err")" != "$want" ]; then
		fail "usage_$name" "stderr: $(cat "$WORK/err")"
	elif [ "$(sed -n 2p "$WORK/err")" != "Try 'tcpdrop --help' for more information." ] ||
	     [ "$(wc -l <"$WORK/err")" -ne 2 ]; then
		fail "usage_$name" "want one line and the hint, got: $(cat "$WORK/err")"
	else
		pass "usage_$name"
	fi
}

usage_error unknown_long "tcpdrop: unknown option '--bogus'" --bogus
usage_error unknown_short "tcpdrop: unknown option '-x'" -x
usage_error missing_value "tcpdrop: option '-d' needs a value" -d
usage_error missing_value_long "tcpdrop: option '--duration' needs a value" -S --duration
usage_error bad_duration "tcpdrop: invalid duration 'abc': want whole seconds, 1 to 2147483" -d abc
usage_error zero_duration "tcpdrop: invalid duration '0': want whole seconds, 1 to 2147483" --duration 0
usage_error long_duration "tcpdrop: invalid duration '2147484': want whole seconds, 1 to 2147483" -d 2147484
usage_error valueless_long "tcpdrop: option '--json' takes no value" --json=1
usage_error valueless_long_stack "tcpdrop: option '--no-stack' takes no value" --no-stack=yes
usage_error unknown_long_value "tcpdrop: unknown option '--bogus=1'" --bogus=1
usage_error empty_btf "tcpdrop: option '--btf' needs a file name" --btf=
usage_error twice_netns "tcpdrop: option -N/--netns given more than once" -N 1 -N 2
usage_error twice_duration "tcpdrop: option -d/--duration given more than once" -d 1 --duration=2
usage_error twice_btf "tcpdrop: option --btf given more than once" --btf a --btf b
usage_error twice_timestamp "tcpdrop: option -t/--timestamp given more than once" -t us -t iso
usage_error twice_count "tcpdrop: option -c/--count given more than once" -c 1 -c
usage_error timestamp_with_json "tcpdrop: -t/--timestamp styles text rows; it has no effect with -j" -t us -j
usage_error timestamp_with_counts "tcpdrop: -t/--timestamp styles text rows; it has no effect with -c" -c -t iso
usage_error wide_with_json "tcpdrop: --wide widens text rows; it has no effect with -j" --wide -j
usage_error wide_with_pcap_stdout "tcpdrop: --wide widens text rows; it has no effect with -w -" --wide -w -
usage_error write_no_file "tcpdrop: option '-w' needs a value" -w
usage_error write_empty "tcpdrop: option '-w/--write' needs a file name, or - for stdout" --write=
usage_error write_twice "tcpdrop: option -w/--write given more than once" -w a -w b
usage_error snaplen_alone "tcpdrop: -s/--snaplen is the snap length of -w; give -w FILE too" -s 100
usage_error snaplen_too_big "tcpdrop: invalid snap length '2049': want bytes, 1 to 2048 (0 for 2048)" -w x -s 2049
usage_error snaplen_negative "tcpdrop: invalid snap length '-1': want bytes, 1 to 2048 (0 for 2048)" -w x -s -1
usage_error snaplen_not_number "tcpdrop: invalid snap length '1k': want bytes, 1 to 2048 (0 for 2048)" -w x --snaplen 1k
usage_error snaplen_twice "tcpdrop: option -s/--snaplen given more than once" -w x -s 1 -s 2
usage_error pcap_stdout_json "tcpdrop: -w - writes the packets to stdout; -j would write there too (give -w FILE)" -w - -j
usage_error pcap_stdout_count "tcpdrop: -w - writes the packets to stdout; -c would write there too (give -w FILE)" -c -w -
# -w FILE where FILE is already stdout (usage_error's $WORK/out, also
# through /dev/stdout) or stderr ($WORK/err): rows or messages would land
# in the middle of the packets. Refused before anything is opened.
usage_error pcap_is_stdout "tcpdrop: -w /dev/stdout is stdout, where the rows go: give -w - for the packets alone (or -q)" -w /dev/stdout
usage_error pcap_is_stdout_file "tcpdrop: -w $WORK/out is stdout, where the rows go: give -w - for the packets alone (or -q)" -j -w "$WORK/out"
usage_error pcap_is_stderr "tcpdrop: -w $WORK/err is stderr, where tcpdrop's messages go" -q -w "$WORK/err"
usage_error ipv4_with_ipv6_addr "tcpdrop: -4 and an IPv6 address (-a) never match" -4 -a ::1
usage_error ipv6_with_ipv4_addr "tcpdrop: -6 and an IPv4 address (-a) never match" -a 10.0.0.0/8 -6
usage_error both_families "tcpdrop: -4 and -6 exclude each other" -4 -6
usage_error extra_argument "tcpdrop: unexpected argument 'eth0'" eth0
usage_error bad_port "tcpdrop: invalid port '70000': want 1 to 65535" -p 70000
usage_error bad_port_list "tcpdrop: invalid port list '80,'" --dport 80,
usage_error bad_cidr "tcpdrop: invalid address '1.2.3.4/40': want an IPv4 or IPv6 address, with an optional /PREFIX (0-32 or 0-128)" -a 1.2.3.4/40
usage_error bad_netns "tcpdrop: invalid network namespace 'a/b': want its inode number, an ip netns name, or a container ID prefix" -N a/b
# -N NAME that names nothing yet: said, and the run goes on (it traces the
# namespace once one of that name appears: tests/live/fleet.sh); without
# root it ends at the privilege check after that line.
not_yet() {
	name=$1 want=$2
	shift 2
	"$TCPDROP" -S -d 1 "$@" >/dev/null 2>"$WORK/err"
	status=$?
	if [ "$(sed -n 1p "$WORK/err")" != "$want" ]; then
		fail "not_yet_$name" "stderr: $(cat "$WORK/err")"
	elif [ "$status" -ne 0 ] && { [ "$(id -u)" = 0 ] || [ "$status" -ne 1 ]; }; then
		fail "not_yet_$name" "exit status $status: $(cat "$WORK/err")"
	else
		pass "not_yet_$name"
	fi
}
not_yet netns_name "tcpdrop: -N tcpdrop-no-such-ns: no network namespace of that name in /run/netns yet; its drops are traced once it appears" -N tcpdrop-no-such-ns
not_yet container "tcpdrop: -N 0123456789abcdef: no network namespace of that name in /run/netns, and no running container whose ID starts so, yet; its drops are traced once it appears" -N 0123456789abcdef
usage_error bad_metrics_addr "tcpdrop: invalid metrics address 'localhost:9100': want :PORT (127.0.0.1), IPV4:PORT or [IPV6]:PORT" --metrics localhost:9100
usage_error bad_metrics_port "tcpdrop: invalid metrics address ':0': want :PORT (127.0.0.1), IPV4:PORT or [IPV6]:PORT" --metrics :0
usage_error bad_metrics_v6 "tcpdrop: invalid metrics address '::1:9100': want :PORT (127.0.0.1), IPV4:PORT or [IPV6]:PORT" --metrics ::1:9100
usage_error metrics_multicast "tcpdrop: invalid metrics address '224.0.0.1:9100': a multicast, broadcast or IPv4-mapped address, where no client can connect" --metrics 224.0.0.1:9100
usage_error metrics_v4mapped "tcpdrop: invalid metrics address '[::ffff:127.0.0.1]:9100': a multicast, broadcast or IPv4-mapped address, where no client can connect" --metrics '[::ffff:127.0.0.1]:9100'
usage_error twice_metrics "tcpdrop: option --metrics given more than once" --metrics :9100 --metrics :9101
usage_error quiet_alone "tcpdrop: -q without -w, --metrics or --metrics-file would show nothing" -q
usage_error quiet_json "tcpdrop: -q and -j exclude each other" -q -j --metrics :9100
usage_error interval_alone "tcpdrop: --metrics-interval is the interval of --metrics-file" --metrics :9100 --metrics-interval 5
for pages in 0 3 8192 -4 4k ""; do
	usage_error "ring_pages_${pages:-empty}" "tcpdrop: invalid ring size '$pages': want pages per CPU, a power of two from 1 to 4096" --ring-pages "$pages"
done
usage_error ring_pages_twice "tcpdrop: option --ring-pages given more than once" --ring-pages 8 --ring-pages 16
usage_error bad_labels "tcpdrop: invalid metrics label list 'pod': want port, netns or both" --metrics :9100 --metrics-labels pod
usage_error labels_alone "tcpdrop: --metrics-labels without --metrics or --metrics-file" --metrics-labels port
usage_error labels_twice "tcpdrop: invalid metrics label list 'port,port': 'port' is named twice" --metrics :9100 --metrics-labels port,port
usage_error labels_twice_apart "tcpdrop: invalid metrics label list 'netns,port,netns': 'netns' is named twice" --metrics-file /tmp/x.prom --metrics-labels netns,port,netns
usage_error labels_empty_item "tcpdrop: invalid metrics label list 'port,,netns': want port, netns or both" --metrics :9100 --metrics-labels port,,netns
usage_error labels_case "tcpdrop: invalid metrics label list 'Port': want port, netns or both" --metrics :9100 --metrics-labels Port
# -N: digits are an inode number (1 to 2^32 - 1), never looked up as a
# name; digits past that are refused unless they can be a container ID
# prefix (12 or more).
usage_error netns_zero "tcpdrop: invalid network namespace '0': an inode number is 1 to 4294967295" -N 0
usage_error netns_too_big "tcpdrop: invalid network namespace '4294967296': an inode number is 1 to 4294967295" -N 4294967296
usage_error netns_eleven_digits "tcpdrop: invalid network namespace '99999999999': an inode number is 1 to 4294967295" -N 99999999999
not_yet netns_digits_letters "tcpdrop: -N 12abc: no network namespace of that name in /run/netns yet; its drops are traced once it appears" -N 12abc
not_yet netns_digit_prefix "tcpdrop: -N 123456789012: no network namespace of that name in /run/netns, and no running container whose ID starts so, yet; its drops are traced once it appears" -N 123456789012
usage_error netns_empty "tcpdrop: invalid network namespace '': want its inode number, an ip netns name, or a container ID prefix" -N ''
usage_error bad_state "tcpdrop: unknown TCP state 'UP': want ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING, NEW_SYN_RECV, BOUND_INACTIVE or NONE" --state UP
usage_error bad_timestamp "tcpdrop: invalid timestamp style 'ms': want hms, us or iso" -t ms
usage_error bad_count "tcpdrop: invalid count interval '0': want whole seconds, 1 to 2147483" --count=0

# refusal NAME WANT_STDERR CMD...: CMD (sh code running $TCPDROP) must exit
# 1 with exactly that one stderr line and nothing on stdout.
refusal() {
	name=$1 want=$2
	shift 2
	sh -c "$1" sh >"$WORK/out" 2>"$WORK/err"
	status=$?
	if [ "$status" -ne 1 ]; then
		fail "$name" "exit status $status, want 1: $(cat "$WORK/err")"
	elif [ -s "$WORK/out" ]; then
		fail "$name" "wrote to stdout: $(cat "$WORK/out")"
	elif [ "$(cat "$WORK/err")" != "$want" ]; then
		fail "$name" "stderr: $(cat "$WORK/err")"
	else
		pass "$name"
	fi
}

# With no fd left, the signalfd is what fails first, and says why in
# musl's words for EMFILE. No root needed: signals are set up before the
# privileges are checked.
refusal signals_no_fds \
	"tcpdrop: cannot set up signals: signalfd: No file descriptors available" \
	"ulimit -n 3 && exec '$TCPDROP' -S"

if "$TCPDROP" --help >"$WORK/out" 2>&1 && grep -q '^Usage: tcpdrop' "$WORK/out" &&
   grep -q '^Examples:' "$WORK/out"; then
	pass help
else
	fail help "$(head -n 3 "$WORK/out")"
fi

version=$(cat "$top/VERSION")
if [ "$("$TCPDROP" -V 2>&1)" = "tcpdrop $version" ]; then
	pass version
else
	fail version "$("$TCPDROP" -V 2>&1)"
fi

# The binary carries no program interpreter and no symbol table.
if command -v readelf >/dev/null 2>&1; then
	if readelf -l "$TCPDROP" | grep -q INTERP; then
		fail static "has a program interpreter"
	elif readelf -S "$TCPDROP" | grep -q '\.symtab'; then
		fail static "not stripped"
	elif readelf -d "$TCPDROP" 2>/dev/null | grep -q NEEDED; then
		fail static "needs shared libraries"
	else
		pass static
	fi
else
	skip static "readelf is not installed"
fi

# make install puts the binary and the man page under DESTDIR/PREFIX.
if make -s -C "$top" install DESTDIR="$WORK/root" PREFIX=/usr >"$WORK/install.log" 2>&1 &&
   [ -x "$WORK/root/usr/sbin/tcpdrop" ] &&
   cmp -s "$TCPDROP" "$WORK/root/usr/sbin/tcpdrop" &&
   cmp -s "$top/man/tcpdrop.8" "$WORK/root/usr/share/man/man8/tcpdrop.8"; then
	pass install
else
	fail install "$(cat "$WORK/install.log")"
fi
