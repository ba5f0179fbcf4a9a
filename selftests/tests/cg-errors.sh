#!/bin/sh
# Bad input is refused with its message and changes nothing: a path that
# is not a cgroup2 directory, a nonexistent path, rate 0 or unparsable
# units, a rate below 8bit or not of whole bytes per second, a size not of
# whole bytes, a burst smaller than one MTU, a weight out of range, thresholds
# out of order, a setting sent with a delete or a get, too many entries (the
# max_cgroups module parameter), and an unprivileged user namespace; `sluice cgroup show -j` stays the same.
# What the CLI refuses itself (an empty path, a number that is not
# decimal or has a leading 0, an option given twice or without its value,
# also top's) is a usage error, said once.
# timeout: 120
. /selftests/lib.sh
ensure_module
world_setup
a=$(cg_new a)
b=$(cg_new b)
sluice cgroup set "$a" rate 10mbit weight 200 || fail "cgroup set a"
# (jq is gojq, whose objects' keys are always sorted: it has no -S)
conf() { sluice cgroup show -j | jq -c '[.cgroups[] | del(.bytes, .packets, .marked, .dropped)]'; }
before=$(conf)
# what the checks below compare with: a's entry, with its rate
echo "$before" | jq -e 'length == 1 and .[0].rate == 10000000' >/dev/null ||
	fail "the entries before the refused requests: '$before'"
same() { [ "$(conf)" = "$before" ] || fail "after '$*': the entries changed: $(conf)"; }

refused() { # refused REGEX ARGS...: sluice ARGS fails, says REGEX, changes nothing
	expect_fail "$@"
	shift
	same "$@"
}
refused "not a cgroup2 directory" sluice cgroup set /tmp rate 1mbit
refused "not a cgroup2 directory" sluice cgroup set "$a/cgroup.procs" rate 1mbit
refused "No such file or directory" sluice cgroup set "$CG_TOP/nope" rate 1mbit
refused "rate must be more than 0" sluice cgroup set "$a" rate 0
refused "rate must be more than 0" sluice cgroup set "$b" rate 0mbit
refused "cannot parse rate '10mbits'" sluice cgroup set "$a" rate 10mbits
refused "cannot parse rate 'fast'" sluice cgroup set "$a" rate fast
refused "burst must be at least one MTU" sluice cgroup set "$a" burst 1000
refused "burst must be at least one MTU" sluice cgroup set "$b" rate 1mbit burst 1k
refused "cannot parse burst" sluice cgroup set "$a" burst 10xb
refused "weight must be an integer from 1 to 10000" sluice cgroup set "$a" weight 0
refused "weight must be an integer from 1 to 10000" sluice cgroup set "$a" weight 10001
refused "weight must be an integer from 1 to 10000" sluice cgroup set "$b" weight -5
refused "weight must be an integer from 1 to 10000" sluice cgroup set "$a" weight 5.0
refused "drop threshold must not be below the mark threshold" sluice cgroup set "$a" mark 200k drop 100k
refused "mode is 'ecn' or 'drop'" sluice cgroup set "$a" mode red
refused "unknown option 'speed'" sluice cgroup set "$a" speed 1mbit
refused "has no entry" sluice cgroup del "$b"

usage() { # usage REGEX ARGS...: a usage error, said once, nothing changed
	expect_usage "$@"
	shift
	same "$@"
}
usage "cgroup set: empty cgroup path" sluice cgroup set "" rate 1mbit
usage "cgroup del: empty cgroup path" sluice cgroup del ""
usage "cgroup show: empty cgroup path" sluice cgroup show ""
usage "'rate' given twice" sluice cgroup set "$a" rate 20mbit rate 30mbit
usage "'weight' given twice" sluice cgroup set "$a" weight 300 weight 400
usage "option 'burst' needs a value" sluice cgroup set "$a" burst
usage "weight must be an integer from 1 to 10000 \(no leading 0\), not ' \+5'" sluice cgroup set "$a" weight " +5"
usage "weight must be an integer from 1 to 10000 \(no leading 0\), not '0x10'" sluice cgroup set "$a" weight 0x10
usage "weight must be an integer from 1 to 10000 \(no leading 0\), not '010'" sluice cgroup set "$a" weight 010
usage "cannot parse rate '0x10mbit'" sluice cgroup set "$a" rate 0x10mbit
usage "cannot parse rate '1e1mbit'" sluice cgroup set "$a" rate 1e1mbit
usage "cannot parse burst ' 64k'" sluice cgroup set "$a" burst " 64k"
# A leading 0, a point without a digit after it; a rate below 8bit or not
# of whole bytes per second, a size not of whole bytes (sluice holds them
# so); a rate or size too large: OPTION|VALUE|what is said.
while IFS='|' read -r opt val re; do
	usage "$re" sluice cgroup set "$a" "$opt" "$val" </dev/null
done <<'EOF'
rate|0100mbit|cannot parse rate '0100mbit' \(no leading 0 before a digit\)
rate|00.5mbit|cannot parse rate '00\.5mbit' \(no leading 0 before a digit\)
burst|0100k|cannot parse burst '0100k' \(no leading 0 before a digit\)
mark|00001500|cannot parse mark threshold '00001500' \(no leading 0 before a digit\)
drop|0200k|cannot parse drop threshold '0200k' \(no leading 0 before a digit\)
rate|2.mbit|cannot parse rate '2\.mbit'
rate|1bit|rate 1bit is below 8bit \(1 byte/s\), sluice's smallest rate
rate|12bit|rate 12bit is 1\.5 bytes/s: rates are whole bytes per second
rate|1.1kbit|rate 1\.1kbit is 137\.5 bytes/s: rates are whole bytes per second
burst|1499.5|burst 1499\.5 is 1499\.5 bytes: sizes are whole bytes
mark|0.1k|mark threshold 0\.1k is 102\.4 bytes: sizes are whole bytes
rate|200000000tbit|rate 200000000tbit is too large: at most 1tibps \(2\^40 bytes/s
rate|2tibps|rate 2tibps is too large: at most 1tibps \(2\^40 bytes/s
burst|4g|burst 4g is too large: at most 4294967295 bytes
EOF
usage "top: option '-d' needs a value" sluice top -d
usage "top: '-d' given twice" sluice top -n 1 -d 1 -d 2
usage "top: -d takes seconds" sluice top -n 1 -d 0x1
usage "top: -d takes seconds" sluice top -n 1 -d 1.
usage "top: -d takes seconds" sluice top -n 1 -d 0.1001
sluice top -b -n 1 -d 0.1000 >/dev/null || fail "top -d 0.1000 (three decimals and a 0)"
usage "top: -n takes a positive count" sluice top -n +1
usage "monitor: '-t' given twice" sluice monitor -t -t

# The kernel checks too: a weight of 0 sent directly.
CMD_CGROUP_SET=10 A_CGROUP=6 CG_A_ID=1 CG_A_WEIGHT=6
out=$(sl-genl $CMD_CGROUP_SET $A_CGROUP:nest $CG_A_ID:u64:$(stat -c %i "$a") $CG_A_WEIGHT:u32:0 end) &&
	fail "weight 0 accepted by the kernel: $out"
# refused by the policy's range (ERANGE), not for anything else
echo "$out" | grep -q "^error 34: .*: integer out of range$" ||
	fail "kernel, weight 0: got '$out', want error 34 and 'integer out of range'"
log "kernel, weight 0: $out"
same "raw weight 0"
# A request that names an entry without setting it (DEL, GET) refuses a
# setting rather than ignore it: the DEL leaves the entry.
CMD_CGROUP_DEL=11 CMD_CGROUP_GET=12 CG_A_RATE=4
for cmd in $CMD_CGROUP_DEL $CMD_CGROUP_GET; do
	out=$(sl-genl $cmd $A_CGROUP:nest $CG_A_ID:u64:$(stat -c %i "$a") $CG_A_RATE:u64:1000 end) &&
		fail "command $cmd with a rate accepted: $out"
	echo "$out" | grep -q "only the cgroup's id is expected" ||
		fail "command $cmd with a rate: $out"
	same "command $cmd with a rate"
done

# Too many entries: the limit is the module parameter max_cgroups.
old=$(cat /sys/module/sluice/parameters/max_cgroups)
cleanup_add "echo $old >/sys/module/sluice/parameters/max_cgroups"
n=$(sluice cgroup show -j | jq '.cgroups | length')
echo "$n" >/sys/module/sluice/parameters/max_cgroups
refused "too many cgroup entries" sluice cgroup set "$b" rate 1mbit
echo "$old" >/sys/module/sluice/parameters/max_cgroups
# ... and changing an existing entry is not a new one.
echo "$n" >/sys/module/sluice/parameters/max_cgroups
sluice cgroup set "$a" rate 10mbit weight 200 || fail "changing an existing entry at the limit"
same "changing to the same values"
echo "$old" >/sys/module/sluice/parameters/max_cgroups

# Who may configure: cgroups are global.
refused "needs CAP_NET_ADMIN in the initial user namespace" \
	unshare --user --map-root-user --net sluice cgroup set "$b" rate 1mbit
refused "needs CAP_NET_ADMIN in the initial user namespace" \
	unshare --user --map-root-user --net sluice cgroup del "$a"
refused "Operation not permitted" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all sluice cgroup set "$b" rate 1mbit
# Reading is allowed to the admin of a network namespace: it shows the
# entries (the table is global) and its own namespace's unattributed counts.
out=$(unshare --user --map-root-user --net sluice cgroup show -j) || fail "show in a user namespace: $out"
echo "$out" | jq -e '.cgroups | length >= 1' >/dev/null || fail "show in a user namespace: $out"

# Good input still works.
sluice cgroup set "$b" rate 1.5mbit burst 3000 mark 10k drop 20k mode drop weight 10000 || fail "good set"
[ "$(sluice cgroup show -j | jq -c --arg p "${b#/sys/fs/cgroup}" '.cgroups[] | select(.path == $p) | [.rate, .burst, .mark_thresh, .drop_thresh, .mode, .weight]')" = '[1500000,3000,10240,20480,"drop",10000]' ] ||
	fail "b's values: $(sluice cgroup show -j)"
# A drop threshold given alone, below the mark threshold the rate implies
# (5 ms of 1 Gbit/s: 625,000 bytes), is kept as given, and the derived mark
# threshold comes down to it (and goes back up with a larger drop).
c=$(cg_new c)
sluice cgroup set "$c" rate 1gbit drop 300k || fail "rate 1gbit drop 300k"
expect_eq "c's mark and drop thresholds" "$(cg_stat "$c" mark_thresh drop_thresh)" "307200 307200"
sluice cgroup set "$c" drop 1m || fail "drop 1m"
expect_eq "c's thresholds after drop 1m" "$(cg_stat "$c" mark_thresh drop_thresh)" "625000 1048576"
sluice cgroup del "$c" || fail "cgroup del c"
# A number may start with its point, as tc reads it, or with a 0 before
# it; a point is followed by a digit (2.mbit is refused above).
for r in .5mbit 0.5mbit 0.50mbit; do
	sluice cgroup set "$b" rate 1mbit && sluice cgroup set "$b" rate $r || fail "rate $r"
	expect_eq "b's rate after rate $r" "$(cg_stat "$b" rate)" 500000
done
# The smallest rate, and fractions that make whole bytes (tc's k of a
# size is 1024 bytes).
sluice cgroup set "$b" rate 8bit burst 1.75k mark 1.5k drop 2.25k || fail "rate 8bit burst 1.75k mark 1.5k drop 2.25k"
expect_eq "b's rate, burst, mark and drop" "$(cg_stat "$b" rate burst mark_thresh drop_thresh)" "8 1792 1536 2304"
sluice cgroup set "$b" rate 1.5kbps || fail "rate 1.5kbps"
expect_eq "b's rate after rate 1.5kbps" "$(cg_stat "$b" rate)" 12000
sluice cgroup set "$b" rate none || fail "rate none"
[ "$(sluice cgroup show -j | jq --arg p "${b#/sys/fs/cgroup}" '.cgroups[] | select(.path == $p) | .rate')" = 0 ] || fail "rate none"
