# SPDX-License-Identifier: GPL-2.0
# Helpers for sluice's selftests, sourced by every test script in the VM
# (tests/*.sh and the scripts of EXTRA_TESTS). kselftest conventions: exit 0
# pass, 1 fail, 4 skip; messages on stdout/stderr go to the report.
#
# Topology made by topo_setup N (every name is unique to the test run):
#
#   client ($NS_C)            host ($NS_H)                backend i ($NS_B<i>)
#   10.0.1.1  fd00:1::1 ---- 10.0.1.2  fd00:1::2
#   (+ 10.0.2.x, fd00:2::x                10.1.i.1  fd00:b:i::1 ---- 10.1.i.2  fd00:b:i::2
#    with topo_client_addrs)
#
# The host forwards between them; the VIPs ($VIP4 10.96.0.10, $VIP6
# fd00:96::10) are routed on the host through a dummy device so that its
# own clients can reach them, and the client routes everything via the host.

set -u

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

# Busybox prefers its own applets over PATH; these are the real tools.
ip()       { /usr/sbin/ip "$@"; }
tc()       { /usr/sbin/tc "$@"; }
ss()       { /usr/sbin/ss "$@"; }
nstat()    { /usr/sbin/nstat "$@"; }
setpriv()  { /usr/bin/setpriv "$@"; }
unshare()  { /usr/bin/unshare "$@"; }
nsenter()  { /usr/bin/nsenter "$@"; }
modprobe() { /sbin/modprobe "$@"; }
rmmod()    { /sbin/rmmod "$@"; }
lsmod()    { /sbin/lsmod "$@"; }

VIP4=10.96.0.10
VIP6=fd00:96::10

# A prefix unique to this test process, for namespaces and files.
SL_ID=sl$$
SL_TMP=/tmp/$SL_ID
mkdir -p "$SL_TMP"

log()  { echo "# $*"; }
fail() { echo "FAIL: $*"; exit $KSFT_FAIL; }
skip() { echo "SKIP: $*"; exit $KSFT_SKIP; }

# ---- cleanup, registered once ------------------------------------------
_SL_CLEANUP=
# cleanup_add CMD...: run CMD at exit (last added, first run).
cleanup_add() { _SL_CLEANUP="$*; $_SL_CLEANUP"; }
_sl_cleanup() {
	local rc=$?
	trap - EXIT
	eval "$_SL_CLEANUP" >/dev/null 2>&1
	rm -rf "$SL_TMP"
	exit $rc
}
trap _sl_cleanup EXIT
trap 'exit 130' INT TERM

# ---- waiting: poll, never a fixed sleep ---------------------------------
# wait_for SECONDS CMD...: true once CMD succeeds, false after SECONDS.
wait_for() {
	local limit=$1 end
	shift
	end=$(( $(cut -d. -f1 /proc/uptime) + limit ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ] && return 1
		sleep 0.1
	done
	return 0
}

# ---- assertions ---------------------------------------------------------
# expect_fail REGEX CMD...: CMD must fail and say something matching REGEX.
expect_fail() {
	local re=$1 out rc
	shift
	out=$("$@" 2>&1) && fail "'$*' succeeded; expected an error matching '$re'"
	rc=$?
	echo "$out" | grep -qE -- "$re" ||
		fail "'$*' failed (status $rc) with '$out'; expected a message matching '$re'"
	log "refused as expected: $* -> $out"
}

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

# ---- namespaces ---------------------------------------------------------
# netns_new NAME: creates the namespace $SL_ID-NAME (lo up), removed at
# exit, and sets NS to its name.
netns_new() {
	NS=$SL_ID-$1
	ip netns add "$NS" || fail "cannot create netns $NS"
	cleanup_add "netns_del $NS"
	ip -n "$NS" link set lo up
}
netns_del() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	ip netns del "$1" 2>/dev/null
}
# in_ns NS CMD...: run CMD in NS.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

module_loaded() { grep -q '^sluice ' /proc/modules; }
ensure_module() { module_loaded || modprobe sluice || fail "cannot load sluice"; }

# ---- the standard topology ----------------------------------------------
# topo_setup N: client, host and N backends (see the diagram above).
topo_setup() {
	local n=$1 i
	netns_new client; NS_C=$NS
	netns_new host; NS_H=$NS
	in_ns "$NS_H" sysctl -qw net.ipv4.ip_forward=1
	in_ns "$NS_H" sysctl -qw net.ipv6.conf.all.forwarding=1

	ip link add c0 netns "$NS_C" type veth peer name hc0 netns "$NS_H"
	ip -n "$NS_C" link set c0 up
	ip -n "$NS_H" link set hc0 up
	ip -n "$NS_C" addr add 10.0.1.1/24 dev c0
	ip -n "$NS_C" addr add fd00:1::1/64 dev c0 nodad
	ip -n "$NS_H" addr add 10.0.1.2/24 dev hc0
	ip -n "$NS_H" addr add fd00:1::2/64 dev hc0 nodad
	ip -n "$NS_C" route add default via 10.0.1.2
	ip -n "$NS_C" -6 route add default via fd00:1::2

	ip -n "$NS_H" link add vip0 type dummy
	ip -n "$NS_H" link set vip0 up
	ip -n "$NS_H" route add 10.96.0.0/16 dev vip0
	ip -n "$NS_H" -6 route add fd00:96::/64 dev vip0

	NS_B=
	for i in $(seq 1 "$n"); do
		topo_add_backend "$i"
	done
}

# topo_add_backend I: backend namespace I, its link and routes.
topo_add_backend() {
	local i=$1 ns
	netns_new "b$i"; ns=$NS
	eval "NS_B$i=$ns"
	NS_B="$NS_B $ns"
	ip link add b0 netns "$ns" type veth peer name hb$i netns "$NS_H"
	ip -n "$ns" link set b0 up
	ip -n "$NS_H" link set hb$i up
	ip -n "$ns" addr add 10.1.$i.2/24 dev b0
	ip -n "$ns" addr add fd00:b:$i::2/64 dev b0 nodad
	ip -n "$NS_H" addr add 10.1.$i.1/24 dev hb$i
	ip -n "$NS_H" addr add fd00:b:$i::1/64 dev hb$i nodad
	ip -n "$ns" route add default via 10.1.$i.1
	ip -n "$ns" -6 route add default via fd00:b:$i::1
}

# topo_client_addrs K: K more client addresses, 10.0.2.1..K and
# fd00:2::1..K, so that one client process can act as K clients.
topo_client_addrs() {
	local k=$1 i
	for i in $(seq 1 "$k"); do
		ip -n "$NS_C" addr add 10.0.2.$i/32 dev c0
		ip -n "$NS_C" addr add fd00:2::$i/128 dev c0 nodad
	done
	ip -n "$NS_H" route add 10.0.2.0/24 via 10.0.1.1
	ip -n "$NS_H" -6 route add fd00:2::/64 via fd00:1::1
}

# backend_start I [sl-server options]: a server with ID bI in backend I,
# TCP and UDP on port 8080 (both families); waits until it listens.
backend_start() {
	local i=$1 ns
	shift
	eval "ns=\$NS_B$i"
	in_ns "$ns" sl-server --id "b$i" --tcp '[::]:8080' --udp '[::]:8080' \
		--count-file "$SL_TMP/b$i.count" --pid-file "$SL_TMP/b$i.pid" "$@" \
		>"$SL_TMP/b$i.log" 2>&1 &
	cleanup_add "kill $! 2>/dev/null"
	wait_for 10 test -s "$SL_TMP/b$i.pid" || fail "backend $i did not start: $(cat "$SL_TMP/b$i.log")"
}

# backend_active I: live TCP connections of backend I, from its own count.
backend_active() {
	sed -n 's/.*active=\([0-9]*\).*/\1/p' "$SL_TMP/b$1.count" 2>/dev/null
}
