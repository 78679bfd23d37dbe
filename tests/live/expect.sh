# What the running kernel can show, by version: the same scenarios pass on
# every kernel of the matrix with these expectations. Sourced by the host's
# and the guests' drivers; sets EXPECT_* variables (case patterns).

# kernel_at_least MAJOR MINOR
kernel_at_least() {
	release=$(uname -r)
	major=${release%%.*}
	rest=${release#*.}
	minor=${rest%%[!0-9]*}
	[ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

# reason_or_location NAME FUNCTION: the REASON column on this kernel. Before
# 5.17 the tracepoint has no reason; tcpdrop shows the drop location.
reason_or_location() {
	if kernel_at_least 5 17; then
		echo "$1"
	else
		echo "$2+0x*"
	fi
}

EXPECT_NOSOCK4=$(reason_or_location NO_SOCKET tcp_v4_rcv)
EXPECT_NOSOCK6=$(reason_or_location NO_SOCKET tcp_v6_rcv)
EXPECT_MD5=$(reason_or_location TCP_MD5NOTFOUND tcp_v4_rcv)
EXPECT_CSUM=$(reason_or_location TCP_CSUM tcp_v4_rcv)
# The receiving socket reaches the tracepoint as rx_sk from 6.11 on; before,
# a packet dropped on its way into a socket has no skb->sk yet.
if kernel_at_least 6 11; then
	EXPECT_MD5_STATE=ESTABLISHED
else
	EXPECT_MD5_STATE=-
fi

# Drops that tcp_drop() frees: from 4.7 to 5.17 with __kfree_skb(), which
# skb:kfree_skb never sees; tcpdrop's kprobe sees them where the kernel
# kept tcp_drop as a function (the REASON column is then its caller), and
# from 5.18 they come with a reason through the tracepoint. Where the
# function was inlined (Debian's 5.10), they are not seen at all: empty.
if kernel_at_least 5 18; then
	EXPECT_OOW=TCP_INVALID_SEQUENCE
	EXPECT_RST_LISTEN=TCP_RESET
	EXPECT_OOW_HOOK=kfree_skb
elif grep -qw tcp_drop /proc/kallsyms 2>/dev/null; then
	EXPECT_OOW='tcp_validate_incoming+0x*'
	EXPECT_RST_LISTEN='tcp_rcv_state_process+0x*'
	EXPECT_OOW_HOOK=tcp_drop
else
	EXPECT_OOW=
	EXPECT_RST_LISTEN=
	EXPECT_OOW_HOOK=
fi
# The kprobe has the socket itself; the tracepoint has it as rx_sk from
# 6.11 on.
if [ "$EXPECT_OOW_HOOK" = tcp_drop ] || kernel_at_least 6 11; then
	EXPECT_OOW_STATE=ESTABLISHED
	EXPECT_RST_LISTEN_STATE=LISTEN
else
	EXPECT_OOW_STATE=-
	EXPECT_RST_LISTEN_STATE=-
fi
