#!/bin/sh
# A connection that comes back is load again. A backend that resets an
# established connection (here: its server exits with SO_LINGER 0) leaves
# the conntrack entry in CLOSE, which is not load. A new SYN from the same
# client port within the entry's CLOSE timeout (10 s by default, 60 s here:
# the debug kernel took more than 10 s to start the server again and
# connect) goes through on the old entry
# (conntrack ignores it, keeping the entry and its DNAT) and the backend's
# answer takes the entry back to SYN_RECV and ESTABLISHED: a live
# connection on the same backend, which the live count, and so the bound,
# must see (Documentation/services.md). The same when the backend was
# deleted (with keep) and added again while the connection was in CLOSE:
# it comes back on the backend as it is now, which must count it. That
# the entry come back is the old one is seen by its id and by its packet
# count (conntrack's accounting), which goes on from the one it had in
# CLOSE.
# timeout: 150
. /selftests/lib.sh
ensure_module
topo_setup 1
backend_start 1 --reset-on-close
h sluice service add tcp $VIP4:80 || fail "service add"
h sluice backend add tcp $VIP4:80 "$(be4 1)" || fail "backend add"
live() { svc_jq tcp $VIP4 '.stats.live'; }
live_is() { [ "$(live)" = "$1" ]; }
PORT=34000
entries() { h conntrack -L -p tcp --sport $PORT -o id 2>/dev/null; }
# Entries count their packets (accounting is set when they are made).
h sysctl -qw net.netfilter.nf_conntrack_acct=1
h sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_close=60
# ct_entry STATE: "ID PACKETS" of the port's entry in STATE, PACKETS its
# original direction's.
ct_entry() {
	entries | awk -v s="$1" '$4 == s { p = ""; id = "";
		for (i = 5; i <= NF; i++) {
			if (p == "" && $i ~ /^packets=/) p = substr($i, 9)
			if ($i ~ /^id=/) id = substr($i, 4)
		}
		print id, p }'
}
# closed_saved: the port's entry is in CLOSE; its id and packets saved.
closed_saved() {
	read -r ID0 P0 <<-EOF
	$(ct_entry CLOSE)
	EOF
	[ -n "$ID0" ] && [ -n "$P0" ] || fail "no id and packet count of the entry in CLOSE (conntrack -o id, accounting): $(entries)"
	log "in CLOSE: id $ID0, $P0 packets from the client"
}
# came_back: the port's ESTABLISHED entry is the one saved in CLOSE. Not
# by its id alone: a hash of the entry's address and tuple, which a new
# entry of the same tuple in the freed one's memory would have too; a new
# entry's packets count from 0, the old one's from P0.
came_back() {
	local id p
	read -r id p <<-EOF
	$(ct_entry ESTABLISHED)
	EOF
	expect_eq "the id of the port's ESTABLISHED entry (the one in CLOSE, come back)" "$id" "$ID0"
	[ -n "$p" ] && [ "$p" -gt "$P0" ] ||
		fail "the port's ESTABLISHED entry counts $p packets from the client, not more than the $P0 in CLOSE: a new entry"
}

# held N: a connection from client port $PORT, held until release.N.
held() {
	c sl-client -n 1 --sport $PORT --timeout 5 --hold-until-file "$SL_TMP/release.$1" \
		--ready-file "$SL_TMP/ready.$1" $VIP4:80 >"$SL_TMP/held.$1" 2>"$SL_TMP/held.$1.err" &
	HELD=$!
	cleanup_add "kill $HELD 2>/dev/null"
	wait_for 20 test -e "$SL_TMP/ready.$1" || fail "connection $1 did not complete: $(cat "$SL_TMP/held.$1.err")"
	grep -q ' b1$' "$SL_TMP/held.$1" || fail "connection $1 got no answer: $(cat "$SL_TMP/held.$1" "$SL_TMP/held.$1.err")"
}

held 1
wait_for 10 live_is 1 || fail "the first connection is not counted: live $(live)"
# The server exits: the backend resets the connection.
kill -TERM "$(cat "$SL_TMP/b1.pid")"
closed() { entries | grep -q CLOSE; }
wait_for 10 closed || fail "the reset connection's entry is not in CLOSE: $(entries)"
closed_saved
touch "$SL_TMP/release.1"
wait $HELD
wait_for 10 live_is 0 || fail "a reset connection stays live: $(live)"
log "after the reset: $(entries | tr '\n' ' ')"

backend_start 1 --reset-on-close
held 2
log "the same port again: $(entries | tr '\n' ' ')"
expect_eq "conntrack entries of the port (the old one, come back)" "$(entries | grep -c ESTABLISHED)" 1
came_back
wait_for 10 live_is 1 || fail "the connection that came back is not counted: live $(live), b1's own count $(backend_active 1)"
expect_eq "b1's own count of live connections" "$(backend_active 1)" 1
touch "$SL_TMP/release.2"
wait $HELD || fail "the held connection failed: $(cat "$SL_TMP/held.2.err")"
wait_for 10 live_is 0 || fail "live stays at $(live) after the connection closed"

# Reset, then the backend deleted (TCP: keep) and added again before the
# connection comes back.
PORT=34001
backend_start 1 --reset-on-close
held 3
wait_for 10 live_is 1 || fail "connection 3 is not counted: live $(live)"
kill -TERM "$(cat "$SL_TMP/b1.pid")"
wait_for 10 closed || fail "the reset connection's entry is not in CLOSE: $(entries)"
closed_saved
touch "$SL_TMP/release.3"
wait $HELD
wait_for 10 live_is 0 || fail "a reset connection stays live: $(live)"
h sluice backend del tcp $VIP4:80 "$(be4 1)" || fail "backend del"
# A deleted backend without connections is dropped about 0.1 s after its
# delete (SL_RETIRED_GC_DELAY): this one holds one in CLOSE, and must not be.
sleep 1
h sluice backend add tcp $VIP4:80 "$(be4 1)" || fail "backend add again"
backend_start 1 --reset-on-close
held 4
expect_eq "conntrack entries of the port (the old one, come back)" "$(entries | grep -c ESTABLISHED)" 1
came_back
wait_for 10 live_is 1 || fail "the connection that came back is not counted by the service: live $(live)"
expect_eq "the live count of b1, added again" "$(svc_be_live tcp $VIP4 10.1.1.2)" 1
expect_eq "b1's own count of live connections" "$(backend_active 1)" 1
touch "$SL_TMP/release.4"
wait $HELD || fail "the held connection failed: $(cat "$SL_TMP/held.4.err")"
wait_for 10 live_is 0 || fail "live stays at $(live) after the connection closed"
