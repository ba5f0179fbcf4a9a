#!/bin/sh
# Every command needs CAP_NET_ADMIN in the user namespace that owns the
# caller's network namespace.
# timeout: 60
. /selftests/lib.sh
ensure_module

# An unprivileged user: refused, with a clear message and status 1.
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	sluice version 2>&1); rc=$?
expect_eq "exit status for an unprivileged user" "$rc" 1
echo "$out" | grep -q "Operation not permitted" ||
	fail "unprivileged user: expected 'Operation not permitted', got '$out'"
log "unprivileged: $out"

# Root with every capability but CAP_NET_ADMIN: refused too.
out=$(setpriv --inh-caps=-net_admin --bounding-set=-net_admin sluice version 2>&1) &&
	fail "without CAP_NET_ADMIN: succeeded: $out"
echo "$out" | grep -q "Operation not permitted" || fail "without CAP_NET_ADMIN: got '$out'"

# Root of its own user namespace, in the host's network namespace (owned
# by the initial user namespace): refused.
out=$(unshare --user --map-root-user sluice version 2>&1) &&
	fail "root of a child user namespace was allowed in the initial netns: $out"
echo "$out" | grep -q "Operation not permitted" || fail "child userns: got '$out'"

# ... but in a network namespace that its user namespace owns, it is admin.
out=$(unshare --user --map-root-user --net sluice version 2>&1) ||
	fail "root of a user namespace in its own netns was refused: $out"
log "own user+net namespace: allowed"

# Every command, sent raw by an unprivileged user, is refused for want of
# the capability before anything reads its attributes: requests 1-12 and
# 15 (BACKEND_REPLACE; 13 and 14 are events), dumps 5, 9 and 12.
unpriv() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
for req in 1 2 3 4 5 6 7 8 10 11 12 15 "--dump 5" "--dump 9" "--dump 12"; do
	# shellcheck disable=SC2086
	out=$(unpriv sl-genl $req 2>&1) && fail "unprivileged sl-genl $req succeeded: $out"
	echo "$out" | grep -q "^error 1:" || fail "unprivileged sl-genl $req: got '$out', want EPERM"
done
log "every command refused to an unprivileged user (EPERM)"
