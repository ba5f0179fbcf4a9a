#!/bin/bash
# `make check`: the unit tests, then every selftest in QEMU on every
# supported kernel, then a single closing line "N passed, N failed".
#
#   T=name           run only this test (or a comma-separated list)
#   EXTRA_TESTS=dir  also run every *.sh in dir, like the project's own
#   KERNELS="..."    the kernels (default: 6.1 6.12 debug)
#
# The guest reports on its second serial port (see selftests/init); after
# the tests its kernel log is checked: a WARNING, BUG, Oops, KASAN, lockdep
# or kmemleak report, or a module that will not unload, fails the run.
set -uo pipefail

. "$(dirname "$0")/kernels.sh"
cd "$SLUICE_TOP"

T=${T:-}
EXTRA_TESTS=${EXTRA_TESTS:-}
# What in a guest's kernel log fails the run.
REPORTS='WARNING:|BUG:|Oops|KASAN:|UBSAN:|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU|general protection fault|Kernel panic|refcount_t:|corruption'
KERNELS=${KERNELS:-6.1 6.12 debug}
pass=0 fail=0 skipped=0

result() { # result ok|not ok|skip NAME [DETAILS]
	case $1 in
	ok) pass=$((pass + 1)); echo "ok $2" ;;
	skip) skipped=$((skipped + 1)); echo "ok $2 # SKIP ${3:-}" ;;
	*) fail=$((fail + 1)); echo "not ok $2${3:+ # $3}" ;;
	esac
}

if [ -n "$EXTRA_TESTS" ]; then
	EXTRA_TESTS=$(cd "$EXTRA_TESTS" && pwd) || { echo "EXTRA_TESTS: no such directory" >&2; exit 2; }
fi

# Userspace: the CLI, the test tools.
if ! make -s cli tools >"$SLUICE_BUILD.userspace.log" 2>&1 || grep -qi warning "$SLUICE_BUILD.userspace.log"; then
	result "not ok" "userspace/build" "CLI or test tools do not build cleanly"
	sed 's/^/#   /' "$SLUICE_BUILD.userspace.log"
	echo "$pass passed, $fail failed"
	exit 1
fi
rm -f "$SLUICE_BUILD.userspace.log"
result ok "userspace/build"

# Unit tests of the scheduler files (userspace, fast).
if [ -z "$T" ] || [[ ",$T," == *,unit,* ]]; then
	if [ -f selftests/unit/Makefile ]; then
		start=$SECONDS
		while IFS= read -r line; do
			case $line in
			"ok unit "*) result ok "unit/${line#ok unit }" ;;
			"not ok unit "*) result "not ok" "unit/${line#not ok unit }" ;;
			*) echo "#   $line" ;;
			esac
		done < <(make -s -C selftests/unit run 2>&1)
		echo "# unit: $((SECONDS - start)) s"
	fi
fi

tests=${T:-all}
[ -n "$T" ] && [[ ",$T," == *,unit,* ]] && tests=${T//unit/}

# Kernels whose VM runs beside the others' VMs rather than after them:
# the debug kernel, whose rate tests assert no lower bound. TCG runs
# single-threaded, so each VM keeps one host core busy, and on a 2-core
# machine the debug VM takes one core while 6.1's and then 6.12's take
# the other, without disturbing their rate tests (Documentation/testing.md).
# BESIDE= runs every VM in turn.
BESIDE=${BESIDE-debug}
declare -A kstart kver vmpid

# prepare_kernel K: the module's (and the kernel's) build and the
# initramfs; prints the build's result, fails if there is nothing to boot.
prepare_kernel() {
	local k=$1 rc
	kstart[$k]=$SECONDS
	vm_prepare "$k" "$EXTRA_TESTS"
	rc=$?
	kver[$k]=${KVER:-?}
	if [ $rc -eq 2 ]; then
		result "not ok" "$k/build" "the module does not build without warnings"
		sed 's/^/#   /' "$VMDIR/build.log" | grep -iE 'warning|error' | head -40
		return 1
	elif [ $rc -ne 0 ]; then
		result "not ok" "$k/build" "cannot prepare the VM"
		return 1
	fi
	result ok "$k/build"
}

# boot_kernel K: boots the VM just prepared; the time limit is the sum of
# the tests' own limits.
boot_kernel() {
	local k=$1 limit=0 f t
	for f in selftests/tests/*.sh ${EXTRA_TESTS:+$EXTRA_TESTS/*.sh}; do
		[ -e "$f" ] || continue
		t=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "$f" | head -n1)
		limit=$((limit + ${t:-300}))
	done
	limit=$((limit + 180))
	: >"$SLUICE_BUILD/$k/results.log"
	VM_TIMEOUT=$limit vm_boot "$k" "sltest.tests=$tests" \
		-serial file:"$SLUICE_BUILD/$k/console.log" \
		-serial file:"$SLUICE_BUILD/$k/results.log" </dev/null >"$SLUICE_BUILD/$k/qemu.log" 2>&1
}

# collect_kernel K: the results of K's finished VM.
collect_kernel() {
	local k=$1 con=$SLUICE_BUILD/$1/console.log res=$SLUICE_BUILD/$1/results.log
	tr -d '\r' <"$res" >"$res.txt"

	local name status secs line
	while IFS= read -r line; do
		case $line in
		"R "*)
			read -r _ name status secs <<<"$line"
			case $status in
			0) result ok "$k/$name" ;;
			4) result skip "$k/$name" "$(grep "^T $name SKIP" "$res.txt" | head -1 | cut -d" " -f3- | sed "s/^SKIP: //")" ;;
			137|124) result "not ok" "$k/$name" "timed out after $secs s"
			   grep "^T $name " "$res.txt" | cut -d' ' -f3- | tail -40 | sed 's/^/#   /' ;;
			*) result "not ok" "$k/$name" "exit status $status"
			   grep "^T $name " "$res.txt" | cut -d' ' -f3- | tail -60 | sed 's/^/#   /' ;;
			esac
			;;
		"U "*)
			read -r _ status line <<<"$line"
			if [ "$status" = 0 ]; then
				result ok "$k/unload"
			else
				result "not ok" "$k/unload" "the module would not unload: $line"
			fi
			;;
		esac
	done <"$res.txt"

	if ! grep -q '^E$' "$res.txt"; then
		local running
		running=$(tr -d '\r' <"$con" | sed -n 's/^# running \([^ ]*\) .*/\1/p' | tail -n1)
		result "not ok" "$k/vm" "the VM did not finish (crash or time limit)${running:+ during $running}; first report and console tail:"
		tr -d '\r' <"$con" | grep -m1 -E -A8 "$REPORTS" | sed 's/^/#   /'
		echo "#   ..."
		tail -40 "$con" | sed 's/^/#   /'
	fi

	local bad
	bad=$(sed -n 's/^K //p' "$res.txt" | grep -E "$REPORTS|kmemleak: [0-9]+ new suspected")
	if [ -n "$bad" ]; then
		result "not ok" "$k/kernel-log" "the kernel log has reports:"
		sed -n 's/^K //p' "$res.txt" | grep -E -A25 "$REPORTS" | head -120 | sed 's/^/#   /'
	elif grep -q '^E$' "$res.txt"; then
		result ok "$k/kernel-log"
	fi
	if grep -q '^L ' "$res.txt"; then
		if grep -q '^L unreferenced object' "$res.txt"; then
			result "not ok" "$k/kmemleak" "kmemleak reports leaks:"
			sed -n 's/^L //p' "$res.txt" | head -80 | sed 's/^/#   /'
		else
			result ok "$k/kmemleak"
		fi
	elif [ "$k" = debug ] && grep -q '^E$' "$res.txt"; then
		result ok "$k/kmemleak"
	fi
	echo "# $k (${kver[$k]}): $((SECONDS - ${kstart[$k]})) s"
}

beside= inturn=
for k in $KERNELS; do
	if [[ " $BESIDE " == *" $k "* ]] && [ "$(wc -w <<<"$KERNELS")" -gt 1 ]; then
		beside="$beside $k"
	else
		inturn="$inturn $k"
	fi
done
for k in $beside; do
	prepare_kernel "$k" || continue
	boot_kernel "$k" &
	vmpid[$k]=$!
done
for k in $inturn; do
	prepare_kernel "$k" || continue
	boot_kernel "$k"
	collect_kernel "$k"
done
for k in $beside; do
	[ -n "${vmpid[$k]:-}" ] || continue
	wait "${vmpid[$k]}"
	collect_kernel "$k"
done

if [ "$skipped" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
