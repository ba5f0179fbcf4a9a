#!/bin/sh
# Ingress accounting per cgroup: a transfer of known size into a
# container's socket is charged to the container's cgroup and to its
# configured parent, within the size of the headers, and not to a sibling;
# TCP and UDP, IPv4 and IPv6. Packets that no local socket receives are
# counted as unattributed in their own network namespace.
#
#   world ---- ct1 (cgroup web/a)        entries: web, web/a, web/b
#         \--- ct2 (cgroup web/b)
# timeout: 150
. /selftests/lib.sh
ensure_module
world_setup
container_new 1 web/a
container_new 2 web/b
for c in web web/a web/b; do
	sluice cgroup set "$CG_TOP/$c" || fail "cgroup set $c"
done

# cg_get PATH FIELD: a counter of the entry of $CG_TOP/PATH.
cg_get() { cg_stat "$CG_TOP/$1" "$2"; }

# The tree: web with its two children, parent IDs right.
show=$(sluice cgroup show) || fail "cgroup show"
log "$(echo "$show" | head -6)"
web_id=$(cg_get web id)
[ "$(cg_get web/a parent_id)" = "$web_id" ] || fail "web/a's parent is not web: $(sluice cgroup show -j)"
[ "$(cg_get web parent_id)" = 0 ] || fail "web has a parent"
[ "$(stat -c %i "$CG_TOP/web")" = "$web_id" ] || fail "ID is not the directory's inode"

snap() { # snap NAME: bytes and packets of web, web/a, web/b
	for c in web web/a web/b; do
		echo "$(cg_get $c bytes) $(cg_get $c packets)"
	done >"$SL_TMP/$1"
}
val() { sed -n "$2p" "$SL_TMP/$1" | cut -d' ' -f"$3"; }

# quiet: the counters of web did not move for 0.5 s.
quiet() {
	local a b
	a=$(cg_get web bytes)
	sleep 0.5
	b=$(cg_get web bytes)
	[ "$a" = "$b" ]
}

port=5000
for proto in tcp udp; do
	for dst in 10.200.1.2 "[fd00:200:1::2]"; do
		port=$((port + 1))
		u=; [ $proto = udp ] && u=-u
		rm -f "$SL_TMP/r.pid"
		in_ct 1 sl-bulk recv $u --listen "[::]:$port" --pid-file "$SL_TMP/r.pid" \
			>"$SL_TMP/r.out" 2>&1 &
		rpid=$!
		wait_for 10 test -s "$SL_TMP/r.pid" || fail "receiver did not start: $(cat "$SL_TMP/r.out")"
		snap before
		if [ $proto = tcp ]; then
			in_ns "$NS_W" sl-bulk send --to "$dst:$port" --duration 1 >"$SL_TMP/s.out" 2>&1 ||
				fail "sender: $(cat "$SL_TMP/s.out")"
		else
			in_ns "$NS_W" sl-bulk send -u --to "$dst:$port" --duration 1 --rate 20mbit \
				>"$SL_TMP/s.out" 2>&1 || fail "sender: $(cat "$SL_TMP/s.out")"
		fi
		wait_for 10 quiet || fail "traffic did not stop"
		kill -TERM "$(cat "$SL_TMP/r.pid")"
		wait $rpid
		payload=$(sed -n 's/^summary bytes=\([0-9]*\).*/\1/p' "$SL_TMP/r.out")
		[ -n "$payload" ] && [ "$payload" -gt 100000 ] || fail "$proto $dst: too little received: $(cat "$SL_TMP/r.out")"
		snap after
		web_b=$(( $(val after 1 1) - $(val before 1 1) ))
		a_b=$(( $(val after 2 1) - $(val before 2 1) ))
		a_p=$(( $(val after 2 2) - $(val before 2 2) ))
		b_b=$(( $(val after 3 1) - $(val before 3 1) ))
		log "$proto $dst: payload $payload, charged web/a $a_b bytes $a_p packets, web $web_b, web/b $b_b"
		[ "$a_b" -ge "$payload" ] || fail "$proto $dst: web/a charged $a_b bytes < payload $payload"
		[ "$((a_b - payload))" -le $((a_p * 100)) ] ||
			fail "$proto $dst: web/a charged $a_b bytes, more than payload $payload + 100 per packet ($a_p)"
		expect_eq "$proto $dst: parent web charged like web/a" "$web_b" "$a_b"
		expect_eq "$proto $dst: sibling web/b charged" "$b_b" 0
	done
done

# No socket: unattributed, in the receiving namespace only.
u0=$(in_ct 1 sluice cgroup show -j | jq .unattributed.packets)
w0=$(sluice cgroup show -j | jq .unattributed.packets)
a0=$(cg_get web/a packets)
# Every datagram the sender got out counts (a slow guest sends fewer than
# the rate asks, and each ICMP port unreachable costs the connected sender
# one send: its "errors").
out=$(in_ns "$NS_W" sl-bulk send -u --to 10.200.1.2:9 --duration 1 --rate 1mbit 2>&1)
sent=$(echo "$out" | sed -n 's/^total .*datagrams=\([0-9]*\).*/\1/p')
[ "${sent:-0}" -ge 10 ] || fail "the sender to a closed port sent ${sent:-nothing}: $out"
counted() {
	u1=$(in_ct 1 sluice cgroup show -j | jq .unattributed.packets)
	[ "$((u1 - u0))" -ge "$sent" ]
}
wait_for 10 counted || fail "datagrams to a closed port not counted as unattributed ($sent sent, $u0 -> $u1)"
w1=$(sluice cgroup show -j | jq .unattributed.packets)
log "$sent datagrams to a closed port; unattributed in ct1: $u0 -> $u1, in the initial namespace: $w0 -> $w1"
# (A counter of every namespace, or of the initial one, would have grown
# by the $sent datagrams there too.)
[ "$((w1 - w0))" -lt "$sent" ] ||
	fail "the datagrams to ct1's closed port were counted in the initial namespace too: $w0 -> $w1"
[ "$(cg_get web/a packets)" = "$a0" ] || fail "datagrams to a closed port were charged to web/a"

# Deleting an entry: the child's parent becomes the next configured ancestor.
sluice cgroup del "$CG_TOP/web" || fail "cgroup del"
[ "$(cg_get web/a parent_id)" = 0 ] || fail "web/a still has a parent after web was deleted"
[ -z "$(cg_get web id)" ] || fail "web still listed"
