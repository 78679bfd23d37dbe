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
