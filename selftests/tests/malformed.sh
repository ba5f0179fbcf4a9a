#!/bin/sh
# Malformed requests get a clear error, and the kernel stays quiet (the
# runner checks its log after the tests).
# timeout: 60
. /selftests/lib.sh
ensure_module

# Numbers from uapi/linux/sluice.h. The family validates every request
# against one strict policy, so GET_VERSION serves to send bad attributes.
CMD_GET_VERSION=1
A_SERVICE=4 A_BACKEND=5 A_MAX_PLUS=200
SVC_A_PROTO=1 SVC_A_PORT=4 SVC_A_DELETED=14 BE_A_DELETED=7

out=$(sl-genl $CMD_GET_VERSION) || fail "a well-formed request failed: $out"

# An unknown command.
out=$(sl-genl 200) && fail "unknown command 200 accepted: $out"
echo "$out" | grep -qE "error (95|22)" || fail "unknown command: $out"
log "unknown command: $out"

# An attribute of the wrong type: SERVICE must be nested, PORT a u16.
out=$(sl-genl $CMD_GET_VERSION $A_SERVICE:u32:7) && fail "u32 for a nest accepted: $out"
echo "$out" | grep -q "error 22" || fail "u32 for a nest: $out"
log "wrong type: $out"
out=$(sl-genl $CMD_GET_VERSION $A_SERVICE:nest $SVC_A_PORT:u8:80 end) &&
	fail "u8 for a u16 accepted: $out"
echo "$out" | grep -q "error 22" || fail "u8 for a u16: $out"
echo "$out" | grep -qi "attribute" || fail "no extended ack message for a wrong length: $out"
log "wrong length: $out"

# An attribute the family does not know.
out=$(sl-genl $CMD_GET_VERSION $A_MAX_PLUS:u32:1) && fail "unknown attribute accepted: $out"
echo "$out" | grep -qE "error (22|34)" || fail "unknown attribute: $out"
log "unknown attribute: $out"
out=$(sl-genl $CMD_GET_VERSION $A_SERVICE:nest 99:u8:1 end) && fail "unknown nested attribute accepted: $out"
echo "$out" | grep -qE "error (22|34)" || fail "unknown nested attribute: $out"

# A read-only attribute in a request, garbage bytes as a nest.
out=$(sl-genl $CMD_GET_VERSION 1:str:x) && fail "read-only VERSION accepted in a request: $out"
# The dump-only "deleted" marks of services and backends.
for a in "$A_SERVICE:nest $SVC_A_DELETED:flag end" "$A_BACKEND:nest $BE_A_DELETED:flag end"; do
	# shellcheck disable=SC2086
	out=$(sl-genl $CMD_GET_VERSION $a) && fail "dump-only DELETED accepted in a request ($a): $out"
	echo "$out" | grep -q "error 22" || fail "dump-only DELETED ($a): $out"
	echo "$out" | grep -qi "attribute" || fail "no extended ack message for DELETED ($a): $out"
done
log "dump-only DELETED refused: $out"
out=$(sl-genl $CMD_GET_VERSION $A_SERVICE:bin:ffffffffffffffff) && fail "garbage nest accepted: $out"
echo "$out" | grep -q "error" || fail "garbage nest: $out"

# Several backends in one request (BACKEND_NEW): every SLUICE_A_BACKEND is
# checked against the policy, and one bad one refuses them all.
CMD_BACKEND_NEW=6
SVC_KEY="$A_SERVICE:nest 1:u8:6 2:u16:2 3:bin:0a60000a $SVC_A_PORT:u16:80 end"
BE1="$A_BACKEND:nest 1:u16:2 2:bin:0a010102 3:u16:8080 end"
BE2="$A_BACKEND:nest 1:u16:2 2:bin:0a010103 3:u16:8080 end"
netns_new lists
m() { in_ns "$NS" "$@"; }
m sluice service add tcp 10.96.0.10:80 || fail "service add"
nbe() { m sluice show -j | jq '.services[0].backends_num'; }
# shellcheck disable=SC2086
out=$(m sl-genl $CMD_BACKEND_NEW $SVC_KEY $A_BACKEND:nest 1:u16:2 2:bin:0a010103 3:u8:80 end $BE1) &&
	fail "a u8 port in the first of two backends accepted: $out"
echo "$out" | grep -q "error 22" || fail "a u8 port in the first of two backends: $out"
# (the first: a handler that read only the last one would take BE1)
# shellcheck disable=SC2086
out=$(m sl-genl $CMD_BACKEND_NEW $SVC_KEY $A_BACKEND:nest 1:u16:2 3:u16:80 end $BE1) &&
	fail "the first of two backends without an address accepted: $out"
echo "$out" | grep -q "error 22" || fail "the first of two backends without an address: $out"
# shellcheck disable=SC2086
out=$(m sl-genl $CMD_BACKEND_NEW $SVC_KEY $BE1 $BE2 $BE1) && fail "a backend given twice accepted: $out"
echo "$out" | grep -q "error 22.*listed twice" || fail "a backend given twice: $out"
expect_eq "backends after the malformed requests" "$(nbe)" 0
# shellcheck disable=SC2086
out=$(m sl-genl $CMD_BACKEND_NEW $SVC_KEY $BE1 $BE2) || fail "two backends refused: $out"
expect_eq "backends after a request with two" "$(nbe)" 2
m sluice service del tcp 10.96.0.10:80 || fail "service del"
log "several backends in one request: malformed ones refused whole, a good one taken whole"

# An attribute a command does not take is refused, not ignored, and
# nothing changes: a backend with SERVICE_NEW, a service's option with a
# backend request (BACKEND_DEL with on-delete flush would otherwise delete
# with the service's keep), a service with a cgroup request, in a request
# and in a dump's.
CMD_SERVICE_NEW=2 CMD_SERVICE_GET=5 CMD_BACKEND_DEL=8 CMD_BACKEND_GET=9
CMD_CGROUP_GET=12 A_CGROUP=6 SVC_A_ON_DELETE=10 ON_DELETE_FLUSH=1
SVC2_KEY="$A_SERVICE:nest 1:u8:6 2:u16:2 3:bin:0a60000b $SVC_A_PORT:u16:80 end"
m sluice service add tcp 10.96.0.10:80 on-delete keep || fail "service add"
# shellcheck disable=SC2086
m sl-genl $CMD_BACKEND_NEW $SVC_KEY $BE1 >/dev/null || fail "backend add"
before=$(m sluice show -j)
# takes ERRNO MESSAGE CMD ATTR...: the request is refused with both.
takes() {
	local want=$1 msg=$2
	shift 2
	out=$(m sl-genl "$@") && fail "sl-genl $* accepted: $out"
	echo "$out" | grep -q "^error $want: .*: $msg\$" || fail "sl-genl $*: got '$out', want error $want and '$msg'"
	log "sl-genl $*: $out"
}
# shellcheck disable=SC2086
takes 22 "this request takes no backend" $CMD_SERVICE_NEW $SVC2_KEY $BE2
# shellcheck disable=SC2086
takes 22 "only the service's key is expected: its options are set by service requests" \
	$CMD_BACKEND_DEL $A_SERVICE:nest 1:u8:6 2:u16:2 3:bin:0a60000a $SVC_A_PORT:u16:80 \
	$SVC_A_ON_DELETE:u8:$ON_DELETE_FLUSH end $BE1
# shellcheck disable=SC2086
takes 22 "this request takes no service" $CMD_CGROUP_GET $SVC_KEY $A_CGROUP:nest 1:u64:1 end
# shellcheck disable=SC2086
takes 22 "this request takes no backend" --dump $CMD_SERVICE_GET $BE1
# (the dumps of services and cgroups list them all: they take no key)
# shellcheck disable=SC2086
takes 22 "this request takes no service" --dump $CMD_SERVICE_GET $SVC_KEY
# shellcheck disable=SC2086
takes 22 "this request takes no cgroup" --dump $CMD_CGROUP_GET $A_CGROUP:nest 1:u64:1 end
# shellcheck disable=SC2086
takes 22 "only the service's key is expected: its options are set by service requests" \
	--dump $CMD_BACKEND_GET $A_SERVICE:nest 1:u8:6 2:u16:2 3:bin:0a60000a $SVC_A_PORT:u16:80 \
	$SVC_A_ON_DELETE:u8:$ON_DELETE_FLUSH end
expect_eq "sluice show -j after the refused requests" "$(m sluice show -j)" "$before"
m sluice service del tcp 10.96.0.10:80 || fail "service del"

# The module still answers.
sluice version >/dev/null || fail "the module stopped answering"
