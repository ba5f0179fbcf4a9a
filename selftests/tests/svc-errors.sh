#!/bin/sh
# Bad requests: a duplicate service or backend, an unknown service or
# backend, a backend whose family differs from the service's, an address that
# is not unicast (unspecified, broadcast, multicast), c <= 1, a
# weight or table size out of range, a table size that is not prime, and
# the capacity limits (services per namespace, backends per service,
# lowered through the module parameters). Each is refused with the
# kernel's extended-ACK message, printed by the CLI (unless it is not a
# string with its NUL), and leaves `sluice show -j` exactly as it was.
# What the CLI cannot send (a number that is not decimal, more than three
# decimals (1.2500 has two), a point without a digit after it, an unknown
# or repeated option, a backend set without its weight) is a usage error,
# said once;
# a leading 0 is refused; `show` prints the balance factor as given;
# `show` leaves out a service deleted while it runs; and -n NETNS works in
# the namespace it names, or says why it cannot.
#
# timeout: 200
. /selftests/lib.sh
ensure_module

netns_new host; NS_H=$NS
P=/sys/module/sluice/parameters

h sluice service add tcp $VIP4:80 || fail "service add"
h sluice backend add tcp $VIP4:80 10.1.1.2:8080 weight 2 || fail "backend add"
h sluice service add udp "[$VIP6]:53" sched maglev table-size 251 || fail "service add v6"
h sluice backend add udp "[$VIP6]:53" "[fd00:b:1::2]:53" || fail "backend add v6"
SNAP=$(h sluice show -j)
log "configuration: $SNAP"

# refused REGEX CMD...: refused with the message, nothing changed.
refused() {
	expect_fail "$@"
	[ "$(h sluice show -j)" = "$SNAP" ] || fail "'$*' changed the configuration: $(h sluice show -j)"
}

refused "service exists" h sluice service add tcp $VIP4:80
refused "service exists" h sluice service add tcp $VIP4:80 balance 2
refused "backend exists" h sluice backend add tcp $VIP4:80 10.1.1.2:8080
refused "no such service" h sluice backend add tcp 10.96.0.99:80 10.1.1.2:8080
refused "no such service" h sluice backend add udp $VIP4:80 10.1.1.2:8080
refused "no such service" h sluice service set tcp 10.96.0.99:80 balance 2
refused "no such service" h sluice service del tcp $VIP4:81
refused "no such backend" h sluice backend del tcp $VIP4:80 10.1.1.3:8080
refused "no such backend" h sluice backend set tcp $VIP4:80 10.1.1.2:8081 weight 3
refused "family differs" h sluice backend add tcp $VIP4:80 "[fd00:b:1::2]:8080"
refused "family differs" h sluice backend add udp "[$VIP6]:53" 10.1.1.2:53
refused "not a unicast address" h sluice service add tcp 0.0.0.0:80
refused "not a unicast address" h sluice service add udp 255.255.255.255:53
refused "not a unicast address" h sluice service add udp 239.1.1.1:53
refused "not a unicast address" h sluice service add udp "[ff02::1]:53"
refused "not a unicast address" h sluice service add tcp "[::]:80"
refused "not a unicast address" h sluice backend add tcp $VIP4:80 224.0.0.1:8080
refused "not a unicast address" h sluice backend add tcp $VIP4:80 0.0.0.0:8080
refused "balance factor must be greater than 1" h sluice service add tcp 10.96.0.11:80 balance 1
refused "balance factor must be greater than 1" h sluice service add tcp 10.96.0.11:80 balance 0.5
refused "balance factor must be greater than 1" h sluice service set tcp $VIP4:80 balance 1.0
refused "balance factor must be greater than 1" h sluice service set tcp $VIP4:80 affinity tuple balance 1
refused "balance factor is at most 100" h sluice service add tcp 10.96.0.11:80 balance 101
refused "weight must be within 0..65535" h sluice backend add tcp $VIP4:80 10.1.1.3:8080 weight 65536
refused "weight must be within 0..65535" h sluice backend set tcp $VIP4:80 10.1.1.2:8080 weight 70000
refused "table size must be within 251..1048573" h sluice service add tcp 10.96.0.11:80 sched maglev table-size 241
refused "table size must be within 251..1048573" h sluice service add tcp 10.96.0.11:80 table-size 1048583
refused "table size must be prime" h sluice service add tcp 10.96.0.11:80 sched maglev table-size 65536
refused "table size must be prime" h sluice service set udp "[$VIP6]:53" table-size 1000
refused "table size must be prime" h sluice service set udp "[$VIP6]:53" sched chbl table-size 4095
log "every bad value refused"

# The kernel's message is printed only if it is a whole string: one
# without its NUL (sl-mangle.so takes it off, as a broken kernel might
# send it) would be read past its end (before the fix: "the service
# existsx" and whatever bytes follow). The error's own text stands in.
for c in "service add tcp $VIP4:80|File exists" "backend show tcp 10.96.0.99:80|No such file or directory"; do
	rm -f "$SL_TMP/mangled"
	# shellcheck disable=SC2086
	out=$(env LD_PRELOAD=/usr/lib/sluice/sl-mangle.so SL_MANGLE=extack-nul \
		SL_MANGLE_LOG="$SL_TMP/mangled" sluice -n "$NS_H" ${c%|*} 2>&1) &&
		fail "'${c%|*}' with a damaged extended ACK succeeded: $out"
	[ -s "$SL_TMP/mangled" ] || fail "'${c%|*}': sl-mangle.so changed nothing"
	expect_eq "'${c%|*}' with a damaged extended ACK" "$out" "sluice: ${c#*|}"
done

# What the CLI refuses itself: status 2, the message once, nothing changed.
bad() {
	expect_usage "$@"
	[ "$(h sluice show -j)" = "$SNAP" ] || fail "'$*' changed the configuration: $(h sluice show -j)"
}
bad "invalid port ' 80'" h sluice service add tcp "10.96.0.11: 80"
bad "invalid port '\+80'" h sluice service add tcp 10.96.0.11:+80
bad "invalid port '0x50'" h sluice service add tcp 10.96.0.11:0x50
bad "invalid port '80x'" h sluice service add tcp 10.96.0.11:80x
# whole numbers take no point (one shared reader took "80.0" as 80)
bad "invalid port '80.0'" h sluice service add tcp 10.96.0.11:80.0
bad "invalid weight '\.0'" h sluice backend set tcp $VIP4:80 10.1.1.2:8080 weight .0
bad "invalid weight '5\.0'" h sluice backend set tcp $VIP4:80 10.1.1.2:8080 weight 5.0
bad "invalid seed '7\.000'" h sluice service set tcp $VIP4:80 seed 7.000
bad "invalid port '65536'" h sluice backend add tcp $VIP4:80 10.1.1.3:65536
bad "invalid weight ' \+5'" h sluice backend add tcp $VIP4:80 10.1.1.3:8080 weight " +5"
bad "invalid weight '0x10'" h sluice backend set tcp $VIP4:80 10.1.1.2:8080 weight 0x10
bad "invalid table size '-7'" h sluice service set udp "[$VIP6]:53" table-size -7
bad "invalid seed '0x10'" h sluice service set tcp $VIP4:80 seed 0x10
bad "invalid balance factor '0x2'" h sluice service set tcp $VIP4:80 balance 0x2
bad "invalid balance factor '2e0'" h sluice service set tcp $VIP4:80 balance 2e0
bad "invalid balance factor '1.0004' \(at most three decimals\)" h sluice service set tcp $VIP4:80 balance 1.0004
bad "invalid balance factor '1\.'" h sluice service set tcp $VIP4:80 balance 1.
# past what the CLI can send: the range said, not "a decimal such as 1.25"
bad "invalid balance factor '99999999' \(out of range: more than 1, at most 100\)" \
	h sluice service set tcp $VIP4:80 balance 99999999
bad "invalid weight '99999999999' \(out of range: 0\.\.65535\)" \
	h sluice backend set tcp $VIP4:80 10.1.1.2:8080 weight 99999999999
bad "invalid table size '4294967296' \(out of range: 251\.\.1048573\)" \
	h sluice service set udp "[$VIP6]:53" table-size 4294967296
bad "invalid seed '4294967296' \(out of range: 0\.\.4294967295\)" h sluice service set tcp $VIP4:80 seed 4294967296
bad "invalid balance factor '1\.5\.'" h sluice service set tcp $VIP4:80 balance 1.5.
bad "service add: unknown option 'bogus'" h sluice service add tcp 10.96.0.11:80 bogus x
bad "service set: unknown option 'bogus'" h sluice service set tcp $VIP4:80 balance 2 bogus x
bad "service add: option 'seed' needs a value" h sluice service add tcp 10.96.0.11:80 seed
bad "service add: 'balance' given twice" h sluice service add tcp 10.96.0.11:80 balance 2 balance 3
bad "service set: 'sched' given twice" h sluice service set tcp $VIP4:80 sched maglev sched chbl
bad "backend set: 'weight' given twice" h sluice backend set tcp $VIP4:80 10.1.1.2:8080 weight 1 weight 2
bad "backend set: 10.1.1.2:8080 needs 'weight W'" h sluice backend set tcp $VIP4:80 10.1.1.2:8080
bad "backend set: 10.1.1.3:8080 needs 'weight W'" \
	h sluice backend set tcp $VIP4:80 10.1.1.2:8080 weight 3 10.1.1.3:8080
log "every bad argument refused before the kernel was asked"

# -n NETNS (what h uses, see in_ns): the namespace ip netns exec enters,
# by name or path; errors named, nothing changed.
expect_eq "sluice -n NS show -j" "$(sluice -n "$NS_H" show -j)" "$(ip netns exec "$NS_H" sluice show -j)"
expect_eq "sluice --netns=PATH show -j" "$(sluice --netns="/run/netns/$NS_H" show -j)" "$SNAP"
bad "'-n' given twice" sluice -n "$NS_H" -n "$NS_H" service add tcp 10.96.0.11:80
bad "option '-n' needs a network namespace" sluice -n
# -j after -n is the JSON flag, not -n's value (before the fix it was
# taken out first, and "show" became the namespace)
bad "option '-n' needs a network namespace" sluice -n -j show
bad "option '--netns' needs a network namespace" sluice --netns -j show
bad "option '--netns' needs a network namespace" sluice --netns=-j show
expect_eq "sluice -j -n NS show" "$(sluice -j -n "$NS_H" show)" "$SNAP"
expect_eq "sluice -n NS -j show" "$(sluice -n "$NS_H" -j show)" "$SNAP"
bad "invalid network namespace name '..'" sluice -n .. service add tcp 10.96.0.11:80
refused "network namespace '$SL_ID-none': No such file or directory" \
	sluice -n "$SL_ID-none" service add tcp 10.96.0.11:80
refused "cannot enter network namespace '/proc/self/ns/pid': not a network namespace" \
	sluice -n /proc/self/ns/pid service add tcp 10.96.0.11:80
log "-n NETNS"

# A leading 0 is refused (earlier versions read 0100 as octal: a script
# written for them must not get 100 in silence); 0 and 0.5 are numbers.
S=10.96.0.21
bad "invalid port '0100'.*no leading 0" h sluice service add tcp $S:0100
bad "invalid table size '065537'.*no leading 0" h sluice service add tcp $S:100 sched maglev table-size 065537
bad "invalid seed '0100'" h sluice service add tcp $S:100 seed 0100
bad "invalid balance factor '01.5'" h sluice service add tcp $S:100 balance 01.5
bad "invalid weight '010'" h sluice backend add tcp $VIP4:80 10.1.1.3:8080 weight 010
bad "invalid port '08080'" h sluice backend add tcp $VIP4:80 10.1.1.3:08080
h sluice service add tcp $S:100 sched maglev table-size 65537 seed 0 balance 1.5 ||
	fail "service add with seed 0"
expect_eq "port, table size, seed, balance" \
	"$(h sluice -j service show tcp $S:100 | jq -c '.services[0] | [.port, .table_size, .seed, .balance]')" \
	'[100,65537,0,1.5]'
h sluice backend add tcp $S:100 10.1.1.2:8080 weight 0 || fail "backend add with weight 0"
expect_eq "backend port and weight" "$(h sluice -j backend show tcp $S:100 | jq -c '.backends[0] | [.port, .weight]')" '[8080,0]'
for c in 1.001 1.125 2 1.2500 1.50000000; do
	h sluice service set tcp $S:100 balance $c || fail "balance $c"
	# zeros after the last decimal do not count
	c=$(echo $c | sed 's/\(\.[0-9]*[1-9]\)0*$/\1/')
	h sluice service show tcp $S:100 | grep -q "^tcp $S:100 sched maglev balance $c affinity" ||
		fail "balance $c shown as: $(h sluice service show tcp $S:100)"
	expect_eq "balance $c in JSON" "$(h sluice -j service show tcp $S:100 | jq '.services[0].balance')" $c
done
h sluice service del tcp $S:100 || fail "service del"
log "leading zeros refused, balance shown as given"

# `sluice show` lists the services, then asks for each one's backends: a
# service deleted in between is gone, and left out, not an error (before:
# "no such service", exit 1, and nothing printed). Another namespace: 60
# services, and after them (services are dumped in the order they were
# added) one that is deleted and added again meanwhile, so that it is
# often deleted while the others' backends are asked for. (Not one
# service with thousands of backends: a dump that long is interrupted by
# every change in the namespace, and the CLI gives up after 10 tries.)
# For 15 s, `show` and `-j show` in turn must succeed, say nothing on
# stderr, and -j print a valid document.
netns_new churn
NS_R=$NS
for i in $(seq 1 60); do
	in_ns $NS_R sluice service add tcp 10.96.2.$i:80 || fail "service $i"
done
in_ns $NS_R sluice service add tcp 10.96.1.31:80 || fail "the churned service"
(while :; do
	in_ns $NS_R sluice service del tcp 10.96.1.31:80
	in_ns $NS_R sluice service add tcp 10.96.1.31:80
done) >/dev/null 2>&1 &
CHURN=$!
cleanup_add "kill $CHURN 2>/dev/null"
n=0 fewer=0 until=$(($(cut -d. -f1 /proc/uptime) + 15))
while [ "$(cut -d. -f1 /proc/uptime)" -lt $until ]; do
	n=$((n + 1))
	j=
	[ $((n % 2)) = 0 ] && j=-j
	out=$(in_ns $NS_R sluice $j show 2>"$SL_TMP/show.err") ||
		fail "run $n of '$j show' failed ($(cat "$SL_TMP/show.err"))$([ -n "$out" ] && echo ', printing part of the output')"
	[ ! -s "$SL_TMP/show.err" ] || fail "run $n of '$j show' said: $(cat "$SL_TMP/show.err")"
	if [ -n "$j" ]; then
		k=$(echo "$out" | jq -e '.services | length') || fail "run $n: not JSON: $out"
	else
		k=$(echo "$out" | grep -c '^tcp ')
	fi
	[ "$k" -lt 61 ] && fewer=$((fewer + 1))
done
kill $CHURN
wait $CHURN 2>/dev/null
log "$n runs of show and -j show, all whole; $fewer without the churned service"

# The other views agree with `sluice show -j`.
expect_eq "service show" "$(h sluice service show -j tcp $VIP4:80 | jq -c '.services[0]')" \
	"$(echo "$SNAP" | jq -c '.services[0]')"
expect_eq "backend show" "$(h sluice backend show -j udp "[$VIP6]:53" | jq -r '.backends[0].backend')" "[fd00:b:1::2]:53"
h sluice show | grep -q '^udp \[fd00:96::10\]:53 sched maglev' || fail "sluice show: $(h sluice show)"
refused "no such service" h sluice service show tcp $VIP4:81
refused "no such service" h sluice backend show tcp $VIP4:81

# Capacity: 4 services per namespace, 2 backends per service.
old_s=$(cat $P/services_max) old_b=$(cat $P/backends_max)
cleanup_add "echo $old_s >$P/services_max; echo $old_b >$P/backends_max"
echo 4 >$P/services_max
echo 2 >$P/backends_max
h sluice service add tcp 10.96.0.12:80 || fail "third service"
h sluice service add tcp 10.96.0.13:80 || fail "fourth service"
h sluice backend add tcp $VIP4:80 10.1.1.3:8080 || fail "second backend"
SNAP=$(h sluice show -j)
refused "too many services in this network namespace" h sluice service add tcp 10.96.0.14:80
refused "too many backends in this service" h sluice backend add tcp $VIP4:80 10.1.1.4:8080
# The limits are per namespace: another one still has room.
netns_new other
in_ns "$NS" sluice service add tcp 10.96.0.14:80 || fail "a service in another namespace"
log "capacity limits enforced"
exit 0
