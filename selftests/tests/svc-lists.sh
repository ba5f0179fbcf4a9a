#!/bin/sh
# Backends in lists: `sluice backend add|set|del` with several backends is
# one request, applied whole or not at all. Connections reach every
# backend of a list; a list with one bad entry (a backend that exists, or
# does not, one listed twice, one of the other family, a weight out of
# range, one past the capacity) is refused with the kernel's message naming
# that backend, and leaves `sluice show -j` exactly as it was. 6,000
# backends go in one request, and out in another; 16,385 are refused.
# replace sets the whole list in one request. From a user namespace, a
# list past what net.core.wmem_max lets the CLI send is refused, by the
# CLI, with a message that says so.
#
#   client ---- host (sluice) ---- b1, b2, b3
#
# timeout: 300
. /selftests/lib.sh
ensure_module

topo_start 3
VIP=$VIP4:80
P=/sys/module/sluice/parameters
weights() { svc_jq tcp $VIP4 '[.backends[] | "\(.address)=\(.weight)"] | sort | join(",")'; }

h sluice service add tcp $VIP affinity tuple || fail "service add"
h sluice backend add tcp $VIP "$(be4 1)" weight 2 "$(be4 2)" "$(be4 3)" weight 3 ||
	fail "backend add of a list"
expect_eq "backends added by one list" "$(weights)" "10.1.1.2=2,10.1.2.2=1,10.1.3.2=3"
c sl-client -n 60 --concurrent 10 --timeout 10 $VIP >"$SL_TMP/conns" 2>"$SL_TMP/conns.err" ||
	fail "connections: $(cat "$SL_TMP/conns.err")"
for i in 1 2 3; do
	grep -q " b$i\$" "$SL_TMP/conns" || fail "no connection reached b$i: $(sort "$SL_TMP/conns" | uniq -c)"
done
log "one list of 3 backends: connections reach each ($(awk '{print $3}' "$SL_TMP/conns" | sort | uniq -c | tr '\n' ' '))"

# Counters settle (the connections' release) before the snapshot.
idle() { [ "$(svc_jq tcp $VIP4 .stats.live)" = 0 ]; }
wait_for 10 idle || fail "connections still live: $(svc_jq tcp $VIP4 .stats.live)"
SNAP=$(h sluice show -j)
# refused REGEX CMD...: refused with the message, nothing changed.
refused() {
	expect_fail "$@"
	[ "$(h sluice show -j)" = "$SNAP" ] || fail "'$*' changed the configuration: $(h sluice show -j)"
}
refused "backend 10.1.2.2:8080: the backend exists" \
	h sluice backend add tcp $VIP 10.1.9.2:8080 "$(be4 2)" 10.1.9.3:8080
refused "backend 10.1.9.2:8080: the backend is listed twice" \
	h sluice backend add tcp $VIP 10.1.9.2:8080 10.1.9.3:8080 10.1.9.2:8080
refused "backend \[fd00:b:1::2\]:8080: the backend's family differs from the service's" \
	h sluice backend add tcp $VIP 10.1.9.2:8080 "$(be6 1)"
refused "backend 10.1.9.3:8080: weight must be within 0..65535" \
	h sluice backend add tcp $VIP 10.1.9.2:8080 10.1.9.3:8080 weight 65536
refused "backend 10.1.9.2:8080: no such backend" \
	h sluice backend del tcp $VIP "$(be4 1)" 10.1.9.2:8080
refused "backend 10.1.9.2:8080: no such backend" \
	h sluice backend set tcp $VIP "$(be4 1)" weight 5 10.1.9.2:8080 weight 5
refused "no such service" h sluice backend add tcp 10.96.0.99:80 10.1.9.2:8080 10.1.9.3:8080
echo 4 >$P/backends_max
cleanup_add "echo 16384 >$P/backends_max"
refused "too many backends in this service" \
	h sluice backend add tcp $VIP 10.1.9.2:8080 10.1.9.3:8080
echo 16384 >$P/backends_max
log "lists with one bad entry refused, nothing changed"

# set and del take lists too.
h sluice backend set tcp $VIP "$(be4 1)" weight 1 "$(be4 3)" weight 0 || fail "backend set of a list"
expect_eq "weights set by one list" "$(weights)" "10.1.1.2=1,10.1.2.2=1,10.1.3.2=0"
c sl-client -n 30 --concurrent 10 --timeout 10 $VIP >"$SL_TMP/conns2" 2>"$SL_TMP/conns.err" ||
	fail "connections: $(cat "$SL_TMP/conns.err")"
grep -q " b3\$" "$SL_TMP/conns2" && fail "a new connection reached b3, drained by the list"
h sluice backend del tcp $VIP "$(be4 1)" "$(be4 3)" || fail "backend del of a list"
expect_eq "backends left" "$(weights)" "10.1.2.2=1"

# 6,000 backends (not running: the configuration only) in one request
# each way, a request past the default socket buffer; more than 16,384 in
# one request are refused whole.
wait_for 10 idle || fail "connections still live: $(svc_jq tcp $VIP4 .stats.live)"
LIST=$(awk 'BEGIN { for (i = 0; i < 6000; i++) printf "10.2.%d.%d:80 ", i / 200, i % 200 + 1 }')
# shellcheck disable=SC2086
h sluice backend add tcp $VIP $LIST || fail "backend add of 6,000"
expect_eq "backends after adding 6,000" "$(svc_jq tcp $VIP4 .backends_num)" 6001
expect_eq "backends listed" "$(svc_jq tcp $VIP4 '.backends | length')" 6001
# A dump of one service's backends is interrupted (and retried) by
# changes to that service only: another's churn leaves it whole (it was
# interrupted by any change in the namespace, and the CLI gave up after
# 10 tries: "the backends kept changing while being read").
h sluice service add tcp 10.96.0.11:80 || fail "service add (churn)"
(
	end=$(($(date +%s) + 12))
	while [ "$(date +%s)" -lt $end ]; do
		h sluice backend add tcp 10.96.0.11:80 10.5.0.1:80 >/dev/null 2>&1
		h sluice backend del tcp 10.96.0.11:80 10.5.0.1:80 >/dev/null 2>&1
	done
) &
churn=$!
cleanup_add "kill $churn 2>/dev/null"
n=0 end=$(($(date +%s) + 10))
while [ "$(date +%s)" -lt $end ]; do
	out=$(h sluice -j service show tcp $VIP 2>&1 >/dev/null) ||
		fail "service show of 6,001 backends while another service churned (read $n times): $out"
	n=$((n + 1))
done
wait $churn
h sluice service del tcp 10.96.0.11:80 || fail "service del (churn)"
log "6,001 backends read $n times while another service's backends churned"
SNAP=$(h sluice show -j)
# shellcheck disable=SC2086
out=$(h sluice backend add tcp $VIP 10.3.0.1:80 $LIST 2>&1) &&
	fail "a list of 6,001 with 6,000 existing backends was accepted"
echo "$out" | grep -q "backend 10.2.0.1:80: the backend exists" ||
	fail "a list of 6,001 with 6,000 existing backends: '$out'"
[ "$(h sluice show -j)" = "$SNAP" ] || fail "a refused list of 6,001 changed the configuration"
BIG=$(awk 'BEGIN { for (i = 0; i < 16385; i++) printf "10.4.%d.%d:80 ", i / 200, i % 200 + 1 }')
# shellcheck disable=SC2086
out=$(h sluice backend add tcp $VIP $BIG 2>&1) && fail "a list of 16,385 was accepted"
echo "$out" | grep -q "more backends in one request than a service can have (16384)" ||
	fail "a list of 16,385: '$out'"
[ "$(h sluice show -j)" = "$SNAP" ] || fail "a refused list of 16,385 changed the configuration"
# shellcheck disable=SC2086
h sluice backend del tcp $VIP $LIST || fail "backend del of 6,000"
expect_eq "backends after deleting 6,000" "$(weights)" "10.1.2.2=1"
log "6,000 backends added in one request and deleted in another; 16,385 refused"

# replace: the backends given become the service's, with their weights
# (default 1), in one request; the others go as a del's would (TCP: their
# connections kept), and come back with them; given none, all go.
h sluice backend replace tcp $VIP "$(be4 1)" "$(be4 2)" weight 2 "$(be4 3)" ||
	fail "backend replace with b1-b3"
expect_eq "backends after replace" "$(weights)" "10.1.1.2=1,10.1.2.2=2,10.1.3.2=1"
held_open 12 $VIP
# held I: the held connections on bI, from the client's own record
held() { grep -c " b$1\$" "$SL_TMP/held"; }
log "held: b1 $(held 1), b2 $(held 2), b3 $(held 3)"
# b2's cap, ceil(1.25 * 12 * 2 / 4) = 8, leaves some to b1 or b3
[ $(($(held 1) + $(held 3))) -gt 0 ] || fail "no held connection on b1 or b3"
h sluice backend replace tcp $VIP "$(be4 2)" || fail "backend replace with b2 alone"
expect_eq "backends after replace with b2" "$(weights)" "10.1.2.2=1"
expect_eq "live count of b2, kept" "$(svc_be_live tcp $VIP4 10.1.2.2)" "$(held 2)"
# (a backend whose connections all ended is not listed as deleted)
for i in 1 3; do
	live=$(svc_be_live_deleted tcp $VIP4 10.1.$i.2)
	expect_eq "live count of b$i, replaced away" "${live:-0}" "$(held $i)"
done
c sl-client -n 12 --concurrent 6 --timeout 10 $VIP >"$SL_TMP/conns3" 2>"$SL_TMP/conns.err" ||
	fail "connections: $(cat "$SL_TMP/conns.err")"
expect_eq "new connections not to b2" "$(grep -vc " b2\$" "$SL_TMP/conns3")" 0
held_only() { [ "$(svc_jq tcp $VIP4 .stats.live)" = 12 ]; }
wait_for 10 held_only || fail "live connections besides the 12 held: $(svc_jq tcp $VIP4 .stats.live)"
SNAP=$(h sluice show -j)
refused "backend \[fd00:b:1::2\]:8080: the backend's family differs from the service's" \
	h sluice backend replace tcp $VIP "$(be4 1)" "$(be6 1)"
echo 2 >$P/backends_max
refused "too many backends in this service" \
	h sluice backend replace tcp $VIP "$(be4 1)" "$(be4 2)" "$(be4 3)"
echo 16384 >$P/backends_max
h sluice backend replace tcp $VIP "$(be4 1)" "$(be4 2)" "$(be4 3)" || fail "backend replace with b1-b3 again"
expect_eq "backends after replace with b1-b3 again" "$(weights)" "10.1.1.2=1,10.1.2.2=1,10.1.3.2=1"
for i in 1 2 3; do
	expect_eq "live count of b$i, back" "$(svc_be_live tcp $VIP4 10.1.$i.2)" "$(held $i)"
done
expect_eq "deleted backends once all are back" "$(svc_jq tcp $VIP4 '.deleted_backends | length')" 0
# A replace that does not grow the service passes a lowered limit.
echo 2 >$P/backends_max
h sluice backend replace tcp $VIP "$(be4 1)" weight 3 "$(be4 2)" "$(be4 3)" ||
	fail "a replace of 3 with 3 refused under backends_max 2"
expect_eq "weights after replace under the lowered limit" "$(weights)" "10.1.1.2=3,10.1.2.2=1,10.1.3.2=1"
echo 16384 >$P/backends_max
held_close
# Given none, all go.
wait_for 10 idle || fail "connections still live: $(svc_jq tcp $VIP4 .stats.live)"
h sluice backend replace tcp $VIP || fail "backend replace with none"
expect_eq "backends after replace with none" "$(svc_jq tcp $VIP4 .backends_num)" 0
log "replace: set the backends in one request; those replaced away kept their connections, and got them back"

# From a user namespace, the CLI's send buffer stops at net.core.wmem_max
# (SO_SNDBUFFORCE needs CAP_NET_ADMIN in the initial one): a list longer
# than that is refused by the CLI, which says why, before sending anything.
# 600 backends take 17 KB; wmem_max 5000 gives a 10,000-byte buffer.
wmem=$(sysctl -n net.core.wmem_max)
cleanup_add sysctl -qw net.core.wmem_max="$wmem"
awk 'BEGIN { for (i = 0; i < 600; i++) printf "10.9.%d.%d:80\n", i / 200, i % 200 + 1 }' >"$SL_TMP/list"
cat >"$SL_TMP/userns.sh" <<EOF
sluice service add tcp 10.0.0.1:80 || exit 9
sluice backend add tcp 10.0.0.1:80 \$(cat $SL_TMP/list)
echo "rc=\$? backends=\$(sluice show -j | jq '.services[0].backends_num')"
EOF
sysctl -qw net.core.wmem_max=5000 || fail "cannot set net.core.wmem_max"
out=$(unshare --user --map-root-user --net sh "$SL_TMP/userns.sh" 2>&1)
sysctl -qw net.core.wmem_max="$wmem"
echo "$out" | grep -q "sluice: the request takes [0-9]* bytes, more than this socket may send (9968; raise net.core.wmem_max, or split it)" ||
	fail "600 backends from a user namespace, wmem_max 5000: no message on the send buffer: $out"
echo "$out" | grep -q "^rc=1 backends=0$" || fail "600 backends, refused: not status 1 with none added: $out"
out=$(unshare --user --map-root-user --net sh "$SL_TMP/userns.sh" 2>&1)
echo "$out" | grep -q "^rc=0 backends=600$" || fail "600 backends from a user namespace, wmem_max $wmem: $out"
log "user namespace: a list past net.core.wmem_max refused by the CLI, taken once it is raised"
exit 0
