# The fleet scenarios: --metrics and --metrics-file checked by promtool and
# scraped by a real Prometheus server, the server's limits against real
# TCP clients (slow, garbage, too many), and namespaces named by ip netns,
# by a docker-style cgroup and by a kubepods-style one. POSIX sh; what a
# guest lacks (python3, curl, promtool, ip netns, cgroup2) is skipped with
# the reason. Drops are made in namespaces of our own and the tracer is
# filtered on them (-N), so that other runs on the machine do not count.
#
# The driver sets TCPDROP, DROPGEN, WORK, NS_PREFIX (may be empty in a
# guest), sources lib.sh, and calls run_fleet_scenarios.

have() { command -v "$1" >/dev/null 2>&1; }

# free_port: a TCP port nobody listens on on 127.0.0.1 now.
free_port() {
	if have python3; then
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
	else
		echo $((20000 + $$ % 20000))
	fi
}

# http_get URL_PATH PORT: the whole answer (status line, headers, body)
# of GET on 127.0.0.1:PORT, with curl, python3 or busybox nc.
http_get() {
	if have curl; then
		curl -s -i --max-time 5 "http://127.0.0.1:$2$1"
	elif have python3; then
		python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5)
s.sendall(b"GET " + sys.argv[1].encode() + b" HTTP/1.0\r\n\r\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode("utf-8", "replace"))
EOF
	elif have nc; then
		printf 'GET %s HTTP/1.0\r\n\r\n' "$1" | nc 127.0.0.1 "$2"
	else
		return 1
	fi
}

# body: stdin's HTTP answer without its head.
body() { tr -d '\r' | sed '1,/^$/d'; }

# drops_value FILE: the sum of the tcpdrop_drops_total samples in a page.
drops_value() {
	awk '/^tcpdrop_drops_total[{ ]/ { n += $NF } END { print n + 0 }' "$1"
}

# Namespaces of our own, filtered on with -N, where ip netns works; a
# guest that is one namespace already (FLEET_NO_NETNS=1) uses itself, and
# the tracer sees everything in it.
# fleet_ns NAME: a fresh namespace NAME (lo up). The driver's in_ns removes
# its namespace at once; these live for a test.
fleet_ns() {
	[ -n "$FLEET_NO_NETNS" ] && return 0
	ip netns add "$1" && ip -n "$1" link set lo up
}
fleet_ns_del() {
	[ -n "$FLEET_NO_NETNS" ] || ip netns del "$1"
}
# fleet_exec NAME CMD...: CMD in namespace NAME.
fleet_exec() {
	if [ -n "$FLEET_NO_NETNS" ]; then
		shift
		"$@"
	else
		ip netns exec "$@"
	fi
}
# named_ns_add NAME, named_ns_exec NAME CMD..., named_ns_del NAME: a
# namespace under /run/netns/NAME, as `ip netns add` makes one; in a
# busybox guest (no ip netns) the way it does it: unshare, then the new
# namespace's file bind-mounted there.
named_ns_add() {
	if [ -z "$FLEET_NO_NETNS" ]; then
		fleet_ns "$1"
		return
	fi
	mkdir -p /run/netns && : >"/run/netns/$1" &&
		unshare -n sh -c "ip link set lo up && mount --bind /proc/self/ns/net /run/netns/$1"
}
named_ns_exec() {
	n=$1
	shift
	if [ -z "$FLEET_NO_NETNS" ]; then
		ip netns exec "$n" "$@"
	else
		nsenter --net="/run/netns/$n" "$@"
	fi
}
named_ns_del() {
	if [ -z "$FLEET_NO_NETNS" ]; then
		ip netns del "$1"
	else
		umount "/run/netns/$1" && rm -f "/run/netns/$1"
	fi
}
# fleet_filter NAME: the -N option for namespace NAME (words); in a guest,
# the port every drop here is made to (the server's own traffic is not).
fleet_filter() {
	if [ -n "$FLEET_NO_NETNS" ]; then
		echo "--dport 9"
	else
		echo "-N $1"
	fi
}

# --- metrics: promtool, the page equals the summary -------------------------
fleet_metrics_page() {
	ns="${NS_PREFIX}-metrics"
	port=$(free_port)
	fleet_ns "$ns" || { fail fleet_metrics "ip netns add failed"; return; }
	start_tracer metrics -S -q $(fleet_filter "$ns") --metrics "127.0.0.1:$port" ||
		{ fleet_ns_del "$ns"; fail fleet_metrics "tcpdrop did not start: $(cat "$WORK/metrics.err")"; return; }
	for i in 1 2 3 4 5; do
		fleet_exec "$ns" "$DROPGEN" syn4 127.0.0.60 "4006$i" 127.0.0.61 9 >/dev/null
	done
	sleep 0.3
	http_get /metrics "$port" >"$WORK/metrics.http"
	body <"$WORK/metrics.http" >"$WORK/metrics.page"
	http_get / "$port" >"$WORK/index.http"
	stop_tracer
	fleet_ns_del "$ns"
	expect_clean_exit fleet_metrics metrics || return
	traced=$(sed -n 's/^tcpdrop: \([0-9]*\) drops traced.*/\1/p' "$WORK/metrics.err")
	if ! grep -q '^HTTP/1.1 200 OK' "$WORK/metrics.http"; then
		fail fleet_metrics "no 200: $(head -n 1 "$WORK/metrics.http")"
	elif ! grep -q '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$WORK/metrics.http"; then
		fail fleet_metrics "content type: $(grep -i '^content-type' "$WORK/metrics.http")"
	elif [ "$(drops_value "$WORK/metrics.page")" != 5 ] || [ "$traced" != 5 ]; then
		fail fleet_metrics "page says $(drops_value "$WORK/metrics.page"), summary $traced, want 5"
	# Kernels without reasons (before 5.17) name the dropping function.
	elif ! grep -Eq '^tcpdrop_drops_total\{reason="(NO_SOCKET|tcp_v4_rcv)",family="ipv4",state="NONE"\} 5$' "$WORK/metrics.page"; then
		fail fleet_metrics "series: $(grep '^tcpdrop_drops_total' "$WORK/metrics.page")"
	elif ! grep -q "^tcpdrop_build_info{version=\"[^\"]*\",kernel=\"$(uname -r)\"} 1$" "$WORK/metrics.page"; then
		fail fleet_metrics "build info: $(grep '^tcpdrop_build_info' "$WORK/metrics.page")"
	elif ! grep -q '<a href="/metrics">' "$WORK/index.http"; then
		fail fleet_metrics "index page: $(head -c 200 "$WORK/index.http")"
	else
		pass fleet_metrics
	fi
	if ! have promtool; then
		skip fleet_promtool "no promtool (apt-get install prometheus)"
	elif ! promtool check metrics <"$WORK/metrics.page" >"$WORK/promtool.out" 2>&1; then
		fail fleet_promtool "$(head -n 3 "$WORK/promtool.out")"
	else
		pass fleet_promtool
	fi
}

# --- a real Prometheus scraping us every second -----------------------------
fleet_prometheus() {
	if ! have prometheus || ! have curl || ! have jq; then
		skip fleet_prometheus "needs prometheus, curl and jq"
		return
	fi
	ns="${NS_PREFIX}-prom"
	port=$(free_port)
	pport=$(free_port)
	[ "$pport" = "$port" ] && pport=$((port + 1))
	drops=7
	mkdir -p "$WORK/prom/data"
	cat >"$WORK/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: tcpdrop
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
	fleet_ns "$ns" || { fail fleet_prometheus "ip netns add failed"; return; }
	start_tracer prom -S -q $(fleet_filter "$ns") --metrics "127.0.0.1:$port" ||
		{ fleet_ns_del "$ns"; fail fleet_prometheus "tcpdrop did not start: $(cat "$WORK/prom.err")"; return; }
	prometheus --config.file="$WORK/prom/prometheus.yml" \
		--storage.tsdb.path="$WORK/prom/data" \
		--web.listen-address="127.0.0.1:$pport" >"$WORK/prom/log" 2>&1 &
	prom_pid=$!
	i=0
	while [ "$i" -lt "$drops" ]; do
		i=$((i + 1))
		fleet_exec "$ns" "$DROPGEN" syn4 127.0.0.62 "$((40600 + i))" 127.0.0.63 9 >/dev/null
	done
	# Bounded: 60 s for Prometheus to start, scrape and answer.
	value= tries=0
	while [ "$tries" -lt 120 ]; do
		value=$(curl -s --max-time 2 -G "http://127.0.0.1:$pport/api/v1/query" \
			--data-urlencode 'query=tcpdrop_drops_total{reason="NO_SOCKET"}' |
			jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
		[ "$value" = "$drops" ] && break
		tries=$((tries + 1))
		sleep 0.5
	done
	curl -s --max-time 2 -G "http://127.0.0.1:$pport/api/v1/query" \
		--data-urlencode 'query=tcpdrop_drops_total{reason="NO_SOCKET"}' >"$WORK/prom/answer" 2>&1
	up=$(curl -s --max-time 2 -G "http://127.0.0.1:$pport/api/v1/query" \
		--data-urlencode 'query=up{job="tcpdrop"}' | jq -r '.data.result[0].value[1] // empty')
	kill "$prom_pid" 2>/dev/null
	wait "$prom_pid" 2>/dev/null
	stop_tracer
	fleet_ns_del "$ns"
	expect_clean_exit fleet_prometheus prom || return
	if [ "$value" != "$drops" ]; then
		fail fleet_prometheus "Prometheus says '$value' (up=$up), want $drops: $(cat "$WORK/prom/answer") $(tail -n 3 "$WORK/prom/log")"
	else
		echo "fleet: Prometheus answered $(cat "$WORK/prom/answer")"
		pass fleet_prometheus
	fi
}

# --- --metrics-file: rewritten every interval, atomically -------------------
fleet_metrics_file() {
	ns="${NS_PREFIX}-mfile"
	mkdir -p "$WORK/textfile"
	fleet_ns "$ns" || { fail fleet_metrics_file "ip netns add failed"; return; }
	start_tracer mfile -S -q $(fleet_filter "$ns") --metrics-file "$WORK/textfile/tcpdrop.prom" \
		--metrics-interval 1 ||
		{ fleet_ns_del "$ns"; fail fleet_metrics_file "tcpdrop did not start: $(cat "$WORK/mfile.err")"; return; }
	first=$(drops_value "$WORK/textfile/tcpdrop.prom")
	fleet_exec "$ns" "$DROPGEN" syn4 127.0.0.64 40640 127.0.0.65 9 >/dev/null
	fleet_exec "$ns" "$DROPGEN" syn4 127.0.0.64 40641 127.0.0.65 9 >/dev/null
	tries=0
	while [ "$(drops_value "$WORK/textfile/tcpdrop.prom")" != 2 ] && [ "$tries" -lt 50 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
	during=$(drops_value "$WORK/textfile/tcpdrop.prom")
	stop_tracer
	fleet_ns_del "$ns"
	expect_clean_exit fleet_metrics_file mfile || return
	leftovers=$(ls -A "$WORK/textfile" | grep -v '^tcpdrop.prom$')
	if [ "$first" != 0 ] || [ "$during" != 2 ]; then
		fail fleet_metrics_file "file said $first at start and $during after 2 drops"
	elif [ -n "$leftovers" ]; then
		fail fleet_metrics_file "left in the directory: $leftovers"
	elif have promtool && ! promtool check metrics <"$WORK/textfile/tcpdrop.prom" >"$WORK/mfile.promtool" 2>&1; then
		fail fleet_metrics_file "promtool: $(head -n 2 "$WORK/mfile.promtool")"
	else
		pass fleet_metrics_file
	fi
}

# --- --metrics-file where it cannot or must not write: exit 1, one line,
# before anything is loaded (no Tracing line), and what was there intact.
# The device is a null device of our own: a regression replaces it, never
# the host's /dev/null (which an early version did).
fleet_metrics_file_paths() {
	d="$WORK/mpaths"
	mkdir -p "$d/dir" "$d/real"
	ln -s "$d/real/t.prom" "$d/link.prom"
	mkfifo "$d/fifo.prom"
	mknod "$d/null" c 1 3 2>/dev/null
	for case in "missing|$d/missing/t.prom|cannot write $d/missing/t.prom: No such file or directory (making its temporary file beside it)" \
		"dir|$d/dir|cannot write $d/dir: it is a directory, which the page would replace; give a regular file or a new name" \
		"slash|$d/dir/|cannot write $d/dir/: it is a directory, which the page would replace; give a regular file or a new name" \
		"link|$d/link.prom|cannot write $d/link.prom: it is a symbolic link, which the page would replace; give a regular file or a new name" \
		"fifo|$d/fifo.prom|cannot write $d/fifo.prom: it is a FIFO, which the page would replace; give a regular file or a new name" \
		"device|$d/null|cannot write $d/null: it is a device, which the page would replace; give a regular file or a new name"; do
		name=${case%%|*} rest=${case#*|}
		path=${rest%%|*} want="tcpdrop: ${rest#*|}"
		if [ "$name" = device ] && [ ! -c "$d/null" ]; then
			skip "fleet_metrics_file_$name" "mknod refused here"
			continue
		fi
		"$TCPDROP" -S -q --dport 9 -a 127.0.0.250 --metrics-file "$path" -d 1 \
			>"$d/out" 2>"$d/err"
		status=$?
		if [ "$status" -ne 1 ] || [ "$(cat "$d/err")" != "$want" ]; then
			fail "fleet_metrics_file_$name" "exit $status: $(cat "$d/err")"
		else
			pass "fleet_metrics_file_$name"
		fi
	done
	if [ ! -L "$d/link.prom" ] || [ -e "$d/real/t.prom" ] || [ ! -p "$d/fifo.prom" ] ||
	   { [ -e "$d/null" ] && [ ! -c "$d/null" ]; }; then
		fail fleet_metrics_file_intact "$(ls -la "$d" "$d/real" | tr '\n' ' ')"
	elif [ -n "$(ls -A "$d/dir")$(ls -A "$d/real")" ]; then
		fail fleet_metrics_file_intact "left: $(ls -A "$d/dir") $(ls -A "$d/real")"
	else
		pass fleet_metrics_file_intact
	fi
	rm -rf "$d"
}

# --- node_exporter's textfile collector reads the file ----------------------
# The real consumer of --metrics-file (Debian's prometheus-node-exporter):
# it must parse the page without error and serve the drops made.
fleet_node_exporter() {
	if ! have prometheus-node-exporter || ! have curl; then
		skip fleet_node_exporter "needs prometheus-node-exporter and curl"
		return
	fi
	ns="${NS_PREFIX}-nodeexp"
	dir="$WORK/nodeexp"
	mkdir -p "$dir"
	port=$(free_port)
	fleet_ns "$ns" || { fail fleet_node_exporter "ip netns add failed"; return; }
	start_tracer nodeexp -S -q $(fleet_filter "$ns") --metrics-file "$dir/tcpdrop.prom" \
		--metrics-interval 1 ||
		{ fleet_ns_del "$ns"; fail fleet_node_exporter "tcpdrop did not start: $(cat "$WORK/nodeexp.err")"; return; }
	prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$dir" >"$WORK/nodeexp.log" 2>&1 &
	nodeexp_pid=$!
	for i in 1 2 3 4; do
		fleet_exec "$ns" "$DROPGEN" syn4 127.0.0.97 "4097$i" 127.0.0.98 9 >/dev/null
	done
	# Bounded: 10 s for the next rewrite and node_exporter to serve it.
	tries=0
	while [ "$tries" -lt 100 ]; do
		curl -s --max-time 2 "http://127.0.0.1:$port/metrics" >"$WORK/nodeexp.page"
		grep -q '^tcpdrop_drops_total{.*} 4$' "$WORK/nodeexp.page" && break
		tries=$((tries + 1))
		sleep 0.1
	done
	kill "$nodeexp_pid" 2>/dev/null
	wait "$nodeexp_pid" 2>/dev/null
	stop_tracer
	fleet_ns_del "$ns"
	expect_clean_exit fleet_node_exporter nodeexp || return
	series=$(grep '^tcpdrop_drops_total' "$WORK/nodeexp.page")
	echo "fleet: node_exporter serves $series"
	if ! grep -q '^node_textfile_scrape_error 0$' "$WORK/nodeexp.page"; then
		fail fleet_node_exporter "textfile error: $(grep '^node_textfile_scrape_error' "$WORK/nodeexp.page") $(tail -n 3 "$WORK/nodeexp.log")"
	elif ! echo "$series" | grep -Eqx 'tcpdrop_drops_total\{family="ipv4",reason="(NO_SOCKET|tcp_v4_rcv)",state="NONE"\} 4'; then
		fail fleet_node_exporter "series: $series $(tail -n 3 "$WORK/nodeexp.log")"
	else
		pass fleet_node_exporter
	fi
}

# --- bad addresses (exit 2), a taken port (exit 1): one line each -----------
fleet_bad_listen() {
	"$TCPDROP" --metrics 'localhost:9100' >"$WORK/badaddr.out" 2>"$WORK/badaddr.err"
	status=$?
	if [ "$status" -ne 2 ] || [ "$(head -n 1 "$WORK/badaddr.err")" != "tcpdrop: invalid metrics address 'localhost:9100': want :PORT (127.0.0.1), IPV4:PORT or [IPV6]:PORT" ]; then
		fail fleet_bad_address "exit $status: $(cat "$WORK/badaddr.err")"
	else
		pass fleet_bad_address
	fi
	port=$(free_port)
	# The port taken by another tcpdrop.
	ns="${NS_PREFIX}-taken"
	fleet_ns "$ns"
	start_tracer taken -S -q $(fleet_filter "$ns") --metrics "127.0.0.1:$port" ||
		{ fleet_ns_del "$ns"; fail fleet_port_in_use "first tcpdrop did not start"; return; }
	"$TCPDROP" -S -q --metrics "127.0.0.1:$port" -d 1 >"$WORK/taken2.out" 2>"$WORK/taken2.err"
	status=$?
	stop_tracer
	fleet_ns_del "$ns"
	if [ "$status" -ne 1 ] || [ "$(wc -l <"$WORK/taken2.err")" -ne 1 ] ||
	   [ "$(cat "$WORK/taken2.err")" != "tcpdrop: --metrics 127.0.0.1:$port: Address in use (another program listens there)" ]; then
		fail fleet_port_in_use "exit $status: $(cat "$WORK/taken2.err")"
	else
		pass fleet_port_in_use
	fi
}

# --- [::1]:PORT binds IPv6 loopback only --------------------------------------
fleet_ipv6_bind() {
	if ! have curl || ! grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
		skip fleet_ipv6_bind "needs curl and ::1"
		return
	fi
	port=$(free_port)
	start_tracer v6 -S -q --dport 9 -a 127.0.0.250 --metrics "[::1]:$port" ||
		{ fail fleet_ipv6_bind "tcpdrop did not start: $(cat "$WORK/v6.err")"; return; }
	curl -s -g --max-time 5 "http://[::1]:$port/metrics" >"$WORK/v6.page"
	curl -s --max-time 2 "http://127.0.0.1:$port/metrics" >"$WORK/v4.page"
	v4=$?
	stop_tracer
	expect_clean_exit fleet_ipv6_bind v6 || return
	if ! grep -q '^tcpdrop_build_info' "$WORK/v6.page"; then
		fail fleet_ipv6_bind "no page on [::1]:$port"
	elif [ "$v4" -ne 7 ]; then
		fail fleet_ipv6_bind "127.0.0.1:$port answered too (curl exit $v4)"
	else
		pass fleet_ipv6_bind
	fi
}

# --- the server's limits against real clients -------------------------------
# Nine clients that send half a request and wait: the ninth is refused at
# once (503); a drop made meanwhile is still a row at once; the slow ones
# get 408 and are dropped after the timeout (5 s); garbage gets 400, a
# POST 405, an unknown path 404, an oversized head 431.
fleet_slow_clients() {
	if ! have python3; then
		skip fleet_slow_clients "no python3 for the raw TCP clients"
		return
	fi
	ns="${NS_PREFIX}-slow"
	port=$(free_port)
	fleet_ns "$ns" || { fail fleet_slow_clients "ip netns add failed"; return; }
	start_tracer slow -S $(fleet_filter "$ns") --metrics "127.0.0.1:$port" ||
		{ fleet_ns_del "$ns"; fail fleet_slow_clients "tcpdrop did not start: $(cat "$WORK/slow.err")"; return; }
	python3 - "$port" "$ns" "$DROPGEN" >"$WORK/slow.py.out" 2>&1 <<'EOF'
import socket, subprocess, sys, time
port, ns, dropgen = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=10)

def answer(s):
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        out += b
    return out.decode("latin-1")

def one(req):
    s = conn()
    s.sendall(req)
    a = answer(s)
    s.close()
    return a.split("\r\n", 1)[0]

slow = []
for i in range(8):
    s = conn()
    s.sendall(b"GET /metr")
    slow.append(s)
time.sleep(0.3)
ninth = one(b"GET /metrics HTTP/1.1\r\n\r\n")
print("ninth:", ninth)
start = time.time()
subprocess.run(["ip", "netns", "exec", ns, dropgen, "syn4", "127.0.0.66",
                "40660", "127.0.0.67", "9"], stdout=subprocess.DEVNULL)
firsts = [answer(s).split("\r\n", 1)[0] for s in slow]
print("slow:", sorted(set(firsts)), "after %.1f s" % (time.time() - start))
print("garbage:", one(b"\x16\x03\x01\x00\xff\xff\r\n\r\n"))
print("post:", one(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
print("path:", one(b"GET /etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"))
print("big:", one(b"GET / HTTP/1.1\r\n" + b"X-A: " + b"a" * 9000 + b"\r\n\r\n"))
print("after:", one(b"GET /metrics HTTP/1.0\r\n\r\n"))
EOF
	sleep 0.2
	stop_tracer
	fleet_ns_del "$ns"
	expect_clean_exit fleet_slow_clients slow || return
	out=$(cat "$WORK/slow.py.out")
	row=$(rows slow 127.0.0.66:40660 127.0.0.67:9)
	for want in "ninth: HTTP/1.1 503 Service Unavailable" \
		"slow: ['HTTP/1.1 408 Request Timeout']" \
		"garbage: HTTP/1.1 400 Bad Request" \
		"post: HTTP/1.1 405 Method Not Allowed" \
		"path: HTTP/1.1 404 Not Found" \
		"big: HTTP/1.1 431 Request Header Fields Too Large" \
		"after: HTTP/1.1 200 OK"; do
		if ! echo "$out" | grep -qF "$want"; then
			fail fleet_slow_clients "want '$want', got: $(echo "$out" | tr '\n' ' ')"
			return
		fi
	done
	secs=$(echo "$out" | sed -n 's/^slow: .* after \([0-9]*\)\..*/\1/p')
	if [ -z "$row" ]; then
		fail fleet_slow_clients "the drop made while clients stalled has no row"
	elif [ "$secs" -lt 3 ] || [ "$secs" -gt 7 ]; then
		fail fleet_slow_clients "slow clients dropped after $secs s, want about 5"
	else
		pass fleet_slow_clients
	fi
}

# --- what real and odd clients send -----------------------------------------
# A TLS ClientHello (no line end in it) is answered 400 at once, not after
# the 5 s timeout; a client that closes without a byte gets nothing, one
# that half-closes after part of a request a 400. Methods are
# case-sensitive: "get" is 501, an RFC 9110 method other than GET/HEAD
# 405. HTTP/1.1 needs its Host; empty lines before the request are
# skipped; the absolute-form (curl through a proxy) is served. curl's HEAD,
# HTTP/1.0 and keep-alive requests get their page and a close.
fleet_http_clients() {
	if ! have python3 || ! have curl; then
		skip fleet_http_clients "needs python3 and curl"
		return
	fi
	port=$(free_port)
	start_tracer http -S -q --dport 9 -a 127.0.0.250 --metrics "127.0.0.1:$port" ||
		{ fail fleet_http_clients "tcpdrop did not start: $(cat "$WORK/http.err")"; return; }
	python3 - "$port" >"$WORK/http.py.out" 2>&1 <<'EOF'
import socket, sys, time
port = int(sys.argv[1])

def ask(data, shut=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    start = time.time()
    if data:
        s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        out += b
    s.close()
    line = out.split(b"\r\n", 1)[0].decode("latin-1")
    return line or "(nothing)", time.time() - start

hello = bytes.fromhex("16030100c4010000c00303") + bytes(32) + \
    bytes.fromhex("000002130101000095") + bytes(149)
line, secs = ask(hello)
print("tls:", line, "fast" if secs < 3 else "after %.1f s" % secs)
print("empty:", ask(b"", shut=True)[0])
print("half:", ask(b"GET /metr", shut=True)[0])
print("lower:", ask(b"get /metrics HTTP/1.1\r\nHost: x\r\n\r\n")[0])
print("brew:", ask(b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n")[0])
print("delete:", ask(b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n")[0])
print("nohost:", ask(b"GET /metrics HTTP/1.1\r\n\r\n")[0])
print("twohosts:", ask(b"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")[0])
print("http10:", ask(b"GET /metrics HTTP/1.0\r\n\r\n")[0])
print("crlf:", ask(b"\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")[0])
print("http2:", ask(b"GET /metrics HTTP/2.0\r\n\r\n")[0])
EOF
	curl -s -I --max-time 5 "http://127.0.0.1:$port/metrics" >"$WORK/http.head"
	curl -s -i -0 --max-time 5 "http://127.0.0.1:$port/metrics" >"$WORK/http.10"
	curl -s -i --max-time 5 -H 'Connection: keep-alive' \
		"http://127.0.0.1:$port/metrics" "http://127.0.0.1:$port/" >"$WORK/http.keep"
	curl -s -i --max-time 5 -x "http://127.0.0.1:$port" "http://tcpdrop.invalid/metrics" >"$WORK/http.proxy"
	stop_tracer
	expect_clean_exit fleet_http_clients http || return
	out=$(cat "$WORK/http.py.out")
	for want in "tls: HTTP/1.1 400 Bad Request fast" "empty: (nothing)" \
		"half: HTTP/1.1 400 Bad Request" "lower: HTTP/1.1 501 Not Implemented" \
		"brew: HTTP/1.1 501 Not Implemented" "delete: HTTP/1.1 405 Method Not Allowed" \
		"nohost: HTTP/1.1 400 Bad Request" "twohosts: HTTP/1.1 400 Bad Request" \
		"http10: HTTP/1.1 200 OK" "crlf: HTTP/1.1 200 OK" \
		"http2: HTTP/1.1 505 HTTP Version Not Supported"; do
		if ! echo "$out" | grep -qxF "$want"; then
			fail fleet_http_clients "want '$want', got: $(echo "$out" | tr '\n' ' ')"
			return
		fi
	done
	if ! grep -q '^HTTP/1.1 200 OK' "$WORK/http.head" || grep -q '^tcpdrop_' "$WORK/http.head"; then
		fail fleet_http_clients "HEAD: $(cat "$WORK/http.head")"
	elif ! grep -q '^tcpdrop_build_info' "$WORK/http.10"; then
		fail fleet_http_clients "HTTP/1.0: $(head -n 3 "$WORK/http.10")"
	elif [ "$(grep -c '^HTTP/1.1 200 OK' "$WORK/http.keep")" -ne 2 ] ||
	     [ "$(grep -c '^Connection: close' "$WORK/http.keep")" -ne 2 ]; then
		fail fleet_http_clients "keep-alive: $(grep '^HTTP\|^Connection' "$WORK/http.keep" | tr '\n' ' ')"
	elif ! grep -q '^tcpdrop_build_info' "$WORK/http.proxy"; then
		fail fleet_http_clients "absolute-form: $(head -n 1 "$WORK/http.proxy")"
	else
		pass fleet_http_clients
	fi
}

# --- the DaemonSet's privileges are enough, and BPF and PERFMON needed -------
# tcpdrop as the manifest runs it: its args (the node's address made
# 127.0.0.1, our namespace added with -N), uid 0 with only the
# capabilities it adds, tracefs mounted in a mount namespace of our own.
# The drops made must be on the page, named after their namespace.
fleet_daemonset_caps() {
	yaml="$(dirname "$TCPDROP")/doc/tcpdrop-daemonset.yaml"
	if ! have setpriv || ! have unshare || ! have curl || [ ! -f "$yaml" ] ||
	   ! python3 -c 'import yaml' 2>/dev/null || [ -n "$FLEET_NO_NETNS" ]; then
		skip fleet_daemonset_caps "needs setpriv, unshare, curl, python3-yaml, ip netns and doc/"
		return
	fi
	if have yamllint && ! yamllint -s "$yaml" >"$WORK/yamllint.out" 2>&1; then
		fail fleet_daemonset_yaml "$(head -n 3 "$WORK/yamllint.out")"
	elif have yamllint; then
		pass fleet_daemonset_yaml
	fi
	python3 - "$yaml" >"$WORK/ds.txt" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
c = docs[0]["spec"]["template"]["spec"]["containers"][0]
print(",".join("+" + x.lower() for x in c["securityContext"]["capabilities"]["add"]))
print(" ".join(c["args"]))
EOF
	caps=$(sed -n 1p "$WORK/ds.txt")
	port=$(free_port)
	args=$(sed -n 2p "$WORK/ds.txt" | sed "s/\$(NODE_IP):9742/127.0.0.1:$port/")
	# Capabilities this host cannot give at all (outside its bounding set)
	# are left out, and said.
	given= absent=
	for cap in $(echo "$caps" | tr ',' ' '); do
		eff=$(setpriv --bounding-set=-all,"$cap" --inh-caps=-all \
			awk '/^CapEff/ { print $2 }' /proc/self/status)
		if [ -n "$eff" ] && [ "$eff" != 0000000000000000 ]; then
			given="$given,$cap"
		else
			absent="$absent ${cap#+}"
		fi
	done
	given=${given#,}
	[ -n "$absent" ] && echo "fleet: not in this host's bounding set, left out:$absent"
	ns="${NS_PREFIX}-caps"
	fleet_ns "$ns" || { fail fleet_daemonset_caps "ip netns add failed"; return; }
	# shellcheck disable=SC2086
	unshare -m --propagation private sh -c 'mount -t tracefs nodev /sys/kernel/tracing && exec "$@"' sh \
		setpriv --bounding-set=-all,"$given" --inh-caps=-all "$TCPDROP" $args -N "$ns" \
		>"$WORK/ds.out" 2>"$WORK/ds.err" &
	TRACER_PID=$!
	wait_for '^Tracing TCP drops' "$WORK/ds.err"
	for i in 1 2 3; do
		fleet_exec "$ns" "$DROPGEN" syn4 127.0.0.92 "4092$i" 127.0.0.93 9 >/dev/null
	done
	sleep 0.3
	curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$WORK/ds.page"
	stop_tracer
	# Without PERFMON (BPF alone), the start must fail at once.
	unshare -m --propagation private sh -c 'mount -t tracefs nodev /sys/kernel/tracing && exec "$@"' sh \
		setpriv --bounding-set=-all,+bpf --inh-caps=-all "$TCPDROP" -S -N "$ns" -d 1 \
		>/dev/null 2>"$WORK/ds-bpf.err"
	bpf_only=$?
	fleet_ns_del "$ns"
	echo "fleet: with $given: $(grep '^tcpdrop_drops_total' "$WORK/ds.page")"
	if [ "$TRACER_STATUS" -ne 0 ]; then
		fail fleet_daemonset_caps "exit $TRACER_STATUS with $given: $(cat "$WORK/ds.err")"
	elif ! grep -qx "tcpdrop_drops_total{reason=\"NO_SOCKET\",family=\"ipv4\",state=\"NONE\",netns=\"$ns\"} 3" "$WORK/ds.page"; then
		fail fleet_daemonset_caps "page: $(grep '^tcpdrop_drops_total' "$WORK/ds.page") $(cat "$WORK/ds.err")"
	elif [ "$bpf_only" -ne 1 ] || [ "$(cat "$WORK/ds-bpf.err")" != "tcpdrop: missing capabilities: needs CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON" ]; then
		fail fleet_daemonset_caps "with BPF alone: exit $bpf_only: $(cat "$WORK/ds-bpf.err")"
	else
		pass fleet_daemonset_caps
	fi
}

# --- an exporter under nohup outlives SIGHUP; SIGINT still ends it -------------
# The HUP is pending from kill() on: had it been taken, the loop would
# have ended at its next wait, before the second scrape is answered.
fleet_nohup() {
	if ! have curl; then
		skip fleet_nohup "needs curl"
		return
	fi
	port=$(free_port)
	sh -c 'trap "" HUP; exec "$@"' sh "$TCPDROP" -S -q --dport 9 -a 127.0.0.250 \
		--metrics "127.0.0.1:$port" >"$WORK/nohup.out" 2>"$WORK/nohup.err" &
	TRACER_PID=$!
	wait_for '^Tracing TCP drops' "$WORK/nohup.err"
	kill -HUP "$TRACER_PID"
	curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >/dev/null
	curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$WORK/nohup.page"
	alive=0
	kill -0 "$TRACER_PID" 2>/dev/null && alive=1
	stop_tracer
	if [ "$alive" -ne 1 ] || ! grep -q '^tcpdrop_build_info' "$WORK/nohup.page"; then
		fail fleet_nohup "ended by SIGHUP under nohup: $(cat "$WORK/nohup.err")"
	elif [ "$TRACER_STATUS" -ne 0 ]; then
		fail fleet_nohup "SIGINT after: exit $TRACER_STATUS: $(cat "$WORK/nohup.err")"
	else
		pass fleet_nohup
	fi
}

# --- names: ip netns ---------------------------------------------------------
fleet_netns_name() {
	ns="${NS_PREFIX}-named"
	named_ns_add "$ns" || { fail fleet_netns_name "cannot make namespace $ns"; return; }
	start_tracer named -S -n -N "$ns" ||
		{ named_ns_del "$ns"; fail fleet_netns_name "tcpdrop did not start: $(cat "$WORK/named.err")"; return; }
	named_ns_exec "$ns" "$DROPGEN" syn4 127.0.0.68 40680 127.0.0.69 9 >/dev/null
	wait_for '127.0.0.68:40680' "$WORK/named.out"
	stop_tracer
	start_tracer namedj -S -n -j -N "$ns" ||
		{ named_ns_del "$ns"; fail fleet_netns_name "tcpdrop -j did not start"; return; }
	named_ns_exec "$ns" "$DROPGEN" syn4 127.0.0.68 40681 127.0.0.69 9 >/dev/null
	wait_for '40681' "$WORK/namedj.out"
	stop_tracer
	named_ns_del "$ns"
	expect_clean_exit fleet_netns_name namedj || return
	row=$(grep '127.0.0.68:40680' "$WORK/named.out")
	json=$(grep '"sport":40681' "$WORK/namedj.out")
	echo "fleet: $(grep '^TIME' "$WORK/named.out")"
	echo "fleet: $row"
	echo "fleet: $json"
	if [ "$(echo "$row" | awk '{ print $NF }')" != "$ns" ]; then
		fail fleet_netns_name "NETNS column: $row"
	elif ! grep -q 'NETNS$' "$WORK/named.out"; then
		fail fleet_netns_name "no NETNS header"
	elif ! echo "$json" | grep -q "\"netns_name\":\"$ns\",\"container_id\":null,\"pod_uid\":null"; then
		fail fleet_netns_name "JSON: $json"
	else
		pass fleet_netns_name
	fi
}

# --- -N NAME before the namespace exists, and when it is made again ----------
# tcpdrop -N NAME starts while no namespace has that name: it says so and
# runs; once `ip netns add NAME` has made it, its drops are rows (within
# the 2 s between lookups), another namespace's are not; deleted and made
# again (a new inode), the new one's are rows too.
# later_syns NS SPORT: SYNs from 127.0.0.70:SPORT to a closed port in NS,
# one every 0.5 s for up to 10 s, until the row shows in later.out (the
# name is looked up every 2 s).
later_syns() {
	tries=0
	while ! grep -q "127.0.0.70:$2" "$WORK/later.out" && [ "$tries" -lt 20 ]; do
		named_ns_exec "$1" "$DROPGEN" syn4 127.0.0.70 "$2" 127.0.0.71 9 >/dev/null
		tries=$((tries + 1))
		sleep 0.5
	done
}

fleet_netns_later() {
	test=fleet_netns_later ns="${NS_PREFIX}-later" other="${NS_PREFIX}-other"
	start_tracer later -S -N "$ns" ||
		{ fail "$test" "tcpdrop did not start: $(cat "$WORK/later.err")"; return; }
	named_ns_add "$ns" && named_ns_add "$other" ||
		{ stop_tracer; fail "$test" "cannot make the namespaces"; return; }
	# The other namespace's drop first: nothing may show it.
	named_ns_exec "$other" "$DROPGEN" syn4 127.0.0.72 40720 127.0.0.73 9 >/dev/null
	later_syns "$ns" 40700
	first=$(stat -L -c %i "/run/netns/$ns")
	# Made again: a new namespace under the name while the old one still
	# lives, so its inode is another (a freed number goes to the next
	# namespace made), as a restarted container's is.
	named_ns_add "$ns-new"
	named_ns_del "$ns"
	: >"/run/netns/$ns" && mount --bind "/run/netns/$ns-new" "/run/netns/$ns"
	second=$(stat -L -c %i "/run/netns/$ns")
	later_syns "$ns" 40701
	stop_tracer
	named_ns_del "$ns"
	named_ns_del "$ns-new"
	named_ns_del "$other"
	expect_clean_exit "$test" later || return
	if [ "$(sed -n 1p "$WORK/later.err")" != "tcpdrop: -N $ns: no network namespace of that name in /run/netns yet; its drops are traced once it appears" ]; then
		fail "$test" "first line: $(sed -n 1p "$WORK/later.err")"
	elif ! grep -q '127.0.0.70:40700 *127.0.0.71:9 .*SYN ' "$WORK/later.out"; then
		fail "$test" "no row from the namespace made after the start (inode $first): $(cat "$WORK/later.err" "$WORK/later.out" | tr '\n' ' ')"
	elif [ "$first" = "$second" ]; then
		fail "$test" "the namespace made again kept inode $first: nothing tested"
	elif ! grep -q '127.0.0.70:40701 *127.0.0.71:9 .*SYN ' "$WORK/later.out"; then
		fail "$test" "no row from the namespace made again (inode $second, was $first)"
	elif grep -q '127.0.0.72' "$WORK/later.out"; then
		fail "$test" "a row from another namespace: $(grep '127.0.0.72' "$WORK/later.out")"
	else
		pass "$test"
	fi
}

# --- names: a container's cgroup ---------------------------------------------
# A sleep in a network namespace of its own, moved into a cgroup named as
# docker's systemd driver names one below a kubelet's cgroupfs pod: its
# drops show that container and pod. -N takes the container ID prefix, or
# the whole ID with the runtime's scheme, as Kubernetes writes it.
fleet_container() {
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -z "$cg2" ] || ! have unshare || ! have nsenter; then
		skip fleet_container "needs a cgroup2 mount, unshare and nsenter"
		return
	fi
	id=$(echo "tcpdrop-test-$$" | sha256sum | cut -c1-64)
	uid="1b2c3d4e-5f60-4172-8394-$(printf '%012x' "$$")"
	base="$cg2/tcpdrop-test-$$"
	dir="$base/kubepods/besteffort/pod$uid/docker-$id.scope"
	if ! mkdir -p "$dir"; then
		skip fleet_container "cannot create cgroups under $cg2"
		return
	fi
	unshare --net sleep 60 &
	sleeper=$!
	sleep 0.2
	echo "$sleeper" >"$dir/cgroup.procs"
	nsenter --net="/proc/$sleeper/ns/net" ip link set lo up
	short=$(echo "$id" | cut -c1-12)
	if start_tracer ctr -S -n -j -N "$short"; then
		nsenter --net="/proc/$sleeper/ns/net" "$DROPGEN" syn4 127.0.0.70 40700 127.0.0.71 9 >/dev/null
		wait_for '40700' "$WORK/ctr.out"
		stop_tracer
		started=1
	fi
	# The second run takes the ID as Kubernetes shows it (containerID).
	if start_tracer ctrt -S -n -N "containerd://$id"; then
		nsenter --net="/proc/$sleeper/ns/net" "$DROPGEN" syn4 127.0.0.70 40701 127.0.0.71 9 >/dev/null
		wait_for '40701' "$WORK/ctrt.out"
		stop_tracer
	fi
	kill "$sleeper"
	wait "$sleeper" 2>/dev/null
	rmdir "$dir" "$base/kubepods/besteffort/pod$uid" "$base/kubepods/besteffort" \
		"$base/kubepods" "$base"
	[ -n "$started" ] || { fail fleet_container "tcpdrop -N $short did not start: $(cat "$WORK/ctr.err")"; return; }
	json=$(grep '"sport":40700' "$WORK/ctr.out")
	row=$(grep '127.0.0.70:40701' "$WORK/ctrt.out")
	echo "fleet: $row"
	echo "fleet: $json"
	if ! echo "$json" | grep -q "\"netns_name\":null,\"container_id\":\"$id\",\"pod_uid\":\"$uid\""; then
		fail fleet_container "JSON: $json"
	elif [ "$(echo "$row" | awk '{ print $NF }')" != "ctr:$short" ]; then
		fail fleet_container "row: $row"
	else
		pass fleet_container
	fi
}

run_fleet_scenarios() {
	fleet_metrics_page
	fleet_metrics_file
	fleet_metrics_file_paths
	fleet_node_exporter
	fleet_bad_listen
	fleet_ipv6_bind
	fleet_slow_clients
	fleet_http_clients
	fleet_nohup
	fleet_daemonset_caps
	fleet_prometheus
	if [ -n "$FLEET_NO_NETNS" ] && { ! have unshare || ! have nsenter; }; then
		skip fleet_netns_name "needs ip netns, or unshare and nsenter"
		skip fleet_netns_later "needs ip netns, or unshare and nsenter"
	else
		fleet_netns_name
		fleet_netns_later
	fi
	fleet_container
}
