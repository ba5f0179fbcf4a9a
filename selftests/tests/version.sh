#!/bin/sh
# `sluice version`, a version reply that cannot be read refused, help
# everywhere (the top level's lists every backend command), exit statuses,
# a missing command named, output that cannot be written.
# timeout: 60
. /selftests/lib.sh
ensure_module

out=$(sluice version) || fail "sluice version failed"
echo "$out" | grep -qE '^cli [0-9]+\.[0-9]+\.[0-9]+$' || fail "no CLI version in: $out"
echo "$out" | grep -qE '^module [0-9]+\.[0-9]+\.[0-9]+$' || fail "no module version in: $out"
mver=$(cat /sys/module/sluice/version)
echo "$out" | grep -q "^module $mver\$" || fail "module version differs from modinfo's $mver: $out"
echo "$out" | grep -q '^features .*genl-v1' || fail "no feature list in: $out"

js=$(sluice -j version) || fail "sluice -j version failed"
[ "$(echo "$js" | jq -r .module)" = "$mver" ] || fail "JSON module version wrong: $js"
echo "$js" | jq -e '.features | index("genl-v1")' >/dev/null || fail "JSON features wrong: $js"
# -j may also follow the command
[ "$(sluice version -j | jq -r .cli)" = "$(echo "$js" | jq -r .cli)" ] || fail "'version -j' differs"

# A reply that cannot be read is an error (status 1, "malformed reply"),
# not a version with a part missing (before the fix: status 0).
# sl-mangle.so damages the module's reply as a broken module would send it:
# its version or its first feature name without the NUL.
MANGLE=/usr/lib/sluice/sl-mangle.so
# mangled MODE CMD...: CMD's output, with replies damaged as MODE says
mangled() {
	local m=$1
	shift
	rm -f "$SL_TMP/mangled"
	LD_PRELOAD=$MANGLE SL_MANGLE=$m SL_MANGLE_LOG="$SL_TMP/mangled" "$@"
}
for m in version-nul feature-nul; do
	for j in "" -j; do
		# shellcheck disable=SC2086
		out=$(mangled $m sluice $j version 2>"$SL_TMP/err") &&
			fail "sluice $j version with a damaged reply ($m) succeeded: $out"
		[ -s "$SL_TMP/mangled" ] || fail "$m: sl-mangle.so changed nothing"
		grep -q "malformed reply from the kernel" "$SL_TMP/err" ||
			fail "sluice $j version, $m: said '$(cat "$SL_TMP/err")'"
		[ -z "$j" ] || [ -z "$out" ] || fail "sluice -j version, $m: printed '$out'"
	done
done
# The feature list asked for before a backend list is sent: the same.
out=$(mangled feature-nul sluice backend replace tcp 10.96.0.10:80 2>&1) &&
	fail "backend replace with a damaged feature list succeeded: $out"
echo "$out" | grep -q "malformed reply from the kernel" || fail "backend replace, feature-nul: said '$out'"
log "damaged version replies refused: $out"

sluice --help | grep -q 'Usage: sluice' || fail "sluice --help"
sluice version --help | grep -q 'Usage: sluice version' || fail "sluice version --help"
sluice help >/dev/null || fail "sluice help"
sluice help | grep -q 'sluice backend add|set|del|replace|show' || fail "sluice help: $(sluice help)"

# Output that cannot be written is an error, not a success.
for cmd in "sluice help" "sluice -j version" "sluice version"; do
	out=$(sh -c "$cmd >/dev/full" 2>&1) && fail "'$cmd >/dev/full' succeeded"
	echo "$out" | grep -q "cannot write the output: No space left on device" ||
		fail "'$cmd >/dev/full' said '$out'"
done
log "output to a full disk: $out"

sluice bogus >/dev/null 2>&1; rc=$?
expect_eq "exit status of an unknown command" "$rc" 2
expect_fail "unknown command 'bogus'" sluice bogus
sluice --bogus >/dev/null 2>&1; rc=$?
expect_eq "exit status of an unknown option" "$rc" 2
sluice version extra >/dev/null 2>&1; rc=$?
expect_eq "exit status of an extra argument" "$rc" 2
# Without a command: "missing command", then the usage, status 2; also
# after the options (before the fix, -j or -n NS printed the usage alone).
for a in "" -j "-n $SL_ID-none" "-j -n $SL_ID-none -j"; do
	# shellcheck disable=SC2086
	out=$(sluice $a 2>&1); rc=$?
	expect_eq "exit status of 'sluice $a'" "$rc" 2
	expect_eq "the first line of 'sluice $a'" "$(echo "$out" | head -n 1)" "sluice: missing command"
	echo "$out" | grep -q '^Usage: sluice \[-j\] \[-n NETNS\] COMMAND' || fail "'sluice $a' gave no usage: $out"
done
