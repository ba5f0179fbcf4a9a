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
# What in a guest's kernel log fails the run: "Call Trace:" is any report
# that dumps a stack, ": 0000 [#1]" the header of any oops (6.1's has no
# "Oops:", "invalid opcode: 0000 [#1]" after "kernel BUG at f.c:1!"),
# lockdep's reports after which it is off, hung tasks, RCU stalls.
REPORTS='WARNING:|BUG:|kernel BUG at|Oops|: [0-9a-f]{4} \[#[0-9]+\]|KASAN:|UBSAN:|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU|non-static key|turning off the locking correctness validator|general protection fault|Kernel panic|refcount_t:|corruption|blocked for more than|detected (expedited )?stalls|self-detected stall|Call Trace:'
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
		mkdir -p "$SLUICE_BUILD"
		make -s -C selftests/unit run >"$SLUICE_BUILD/unit.log" 2>&1
		ust=$?
		uok=0 unok=0 usum=
		while IFS= read -r line; do
			case $line in
			"ok unit "*) uok=$((uok + 1)); result ok "unit/${line#ok unit }" ;;
			"not ok unit "*) unok=$((unok + 1)); result "not ok" "unit/${line#not ok unit }" ;;
			"# unit: "*" passed, "*" failed") usum=$line; echo "#   $line" ;;
			*) echo "#   $line" ;;
			esac
		done <"$SLUICE_BUILD/unit.log"
		# unit/run: the run itself ended as its lines say. A crash, a
		# build error or an exit between cases prints no summary, or one
		# that does not add up, or a status that disagrees with it.
		read -r up uf <<<"$(echo "$usum" | sed -n 's/^# unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')"
		if [ -z "${up:-}" ]; then
			result "not ok" "unit/run" "no '# unit: P passed, F failed' line (make's exit status $ust)"
		elif [ "$up" != "$uok" ] || [ "$uf" != "$unok" ]; then
			result "not ok" "unit/run" "the summary says $up passed, $uf failed; the lines say $uok and $unok"
		elif { [ "$uf" = 0 ] && [ "$ust" != 0 ]; } || { [ "$uf" != 0 ] && [ "$ust" = 0 ]; }; then
			result "not ok" "unit/run" "make's exit status $ust with $uf failed"
		else
			result ok "unit/run"
		fi
		echo "# unit: $((SECONDS - start)) s"
	fi
fi

tests=${T:-all}
[ -n "$T" ] && [[ ",$T," == *,unit,* ]] && tests=${T//unit/}

# Kernels whose VM runs beside the others' VMs rather than after them:
# the debug kernel, whose rate tests assert no lower bound. TCG runs
# single-threaded, so each VM keeps one host core busy, and on a 2-core
# machine the debug VM takes one core while 6.1's and then 6.12's take
# the other; it is paused while they run their rate tests ("alone", see
# dispatch; Documentation/testing.md). Once those are done, a second VM of each such kernel takes the freed
# core: the VMs of one kernel draw their tests from one queue (the guest
# asks for the next on its third serial port), so together they finish
# the suite in about half the time. BESIDE= runs every kernel in one VM,
# in turn.
BESIDE=${BESIDE-debug}
declare -A kstart ksteal kver kvmlinuz kinitrd vmpid vm2pid

# steal_ticks: the host's CPU time taken by its hypervisor so far (the
# steal column of /proc/stat, in clock ticks). The kernels' closing lines
# give its share of their time: rate tests measure what TCP achieves, and
# a guest whose host is stolen from achieves less.
steal_ticks() { awk '$1 == "cpu" { print $9 + 0 }' /proc/stat; }
# steal_share TICKS SECONDS: TICKS of steal over SECONDS, as a percentage
# of all the CPUs' time (those /proc/stat sums, whatever our affinity).
steal_share() {
	awk -v t="$1" -v s="$2" -v hz="$(getconf CLK_TCK)" '
		/^cpu[0-9]/ { n++ }
		END { printf "%.1f", (s > 0 && n > 0 ? 100 * t / hz / s / n : 0) }' /proc/stat
}

# prepare_kernel K: the module's (and the kernel's) build, the initramfs
# and the queue of tests; prints the build's result, fails if there is
# nothing to boot.
prepare_kernel() {
	local k=$1 rc
	kstart[$k]=$SECONDS
	ksteal[$k]=$(steal_ticks)
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
	kvmlinuz[$k]=$VMLINUZ
	kinitrd[$k]=$INITRD
	rm -f "$SLUICE_BUILD/$k"/{console,results,qemu}*.log*
	test_list >"$SLUICE_BUILD/$k/queue"
	cp "$SLUICE_BUILD/$k/queue" "$SLUICE_BUILD/$k/queue.all"
	result ok "$k/build"
}

# test_list: "LIMIT NAME [alone]" of each test to run, the longest limit
# first, so that the VMs sharing a queue end close together; "alone" for a
# test with the header line "# alone" (see dispatch).
test_list() {
	local f t a name
	for f in selftests/tests/*.sh ${EXTRA_TESTS:+"$EXTRA_TESTS"/*.sh}; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .sh)
		[ "${f#selftests/tests/}" = "$f" ] && name=extra/$name
		if [ "$tests" != all ] && [[ ",$tests," != *",$name,"* ]] &&
			[[ ",$tests," != *",${name#extra/},"* ]]; then
			continue
		fi
		t=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "$f" | head -n1)
		a=; grep -q '^# alone$' "$f" && a=alone
		echo "${t:-300} $name${a:+ $a}"
	done | sort -s -k1,1nr
}

# queue_pop QUEUE: prints the next test's line ("LIMIT NAME [alone]") and
# takes it off the queue (an empty line when it is empty). The VMs'
# dispatchers share it.
queue_pop() {
	local lk name
	exec {lk}>"$1.lock"
	flock "$lk"
	name=$(head -n1 "$1")
	sed -i 1d "$1"
	exec {lk}>&-
	printf '%s\n' "$name"
}

# beside_vms CMD: QEMU monitor command CMD ("stop" or "cont") to every
# running VM beside the in-turn ones (their monitors are FIFOs: opened
# read-write, a write never blocks, even if that VM is gone).
beside_vms() {
	local m
	for m in "$SLUICE_BUILD"/*/monitor*.pipe.in; do
		[ -p "$m" ] && printf '%s\n' "$1" 1<>"$m"
	done
}

# dispatch PIPE QUEUE OWNER [SCALE]: answers each request of a VM (a line
# on PIPE.out) with the next test of QUEUE (a line on PIPE.in), or the
# request "again" with the same test as before (the guest got a garbled
# line: selftests/init), until it is killed or process OWNER (the one
# that boots the VM) is gone. With
# SCALE (an in-turn VM's dispatcher; the guest's factor of time limits), a
# test marked "alone" runs with the VMs beside paused: rate tests measure
# what TCP achieves, and under TCG a guest that shares its host core has
# its round trips stretched by the other VM (Documentation/testing.md,
# "Rate tests run alone"). A paused guest's clock stands still (QEMU
# stops the virtual clock), so its own tests' timings and limits see
# nothing. They go on at the next request, when the dispatcher ends, or
# once the test's limit and a minute have passed (a guest that hangs in
# it does not hold them until its VM's own limit).
dispatch() {
	local r w req rc next= lim name flag until=
	exec {r}<>"$1.out" {w}<>"$1.in"
	while :; do
		IFS= read -r -t 10 -u "$r" req
		rc=$?
		if [ -n "$until" ] && { [ $rc -eq 0 ] || [ $SECONDS -ge "$until" ]; }; then
			beside_vms cont
			until=
		fi
		if [ $rc -eq 0 ]; then
			[ "$req" = again ] || next=$(queue_pop "$2")
			lim= name= flag=
			read -r lim name flag <<<"$next"
			if [ -n "${4:-}" ] && [ "$flag" = alone ]; then
				beside_vms stop
				until=$((SECONDS + lim * $4 + 60))
			fi
			printf '%s\n' "$name" >&"$w"
		elif [ $rc -le 128 ] || ! kill -0 "$3" 2>/dev/null; then
			[ -n "$until" ] && beside_vms cont
			return
		fi
	done
}

# time_scale K: the factor of kernel K's test limits (see boot_vm).
time_scale() { if [ "$1" = debug ]; then echo 2; else echo 1; fi; }

# vm_sfx K I: the suffix of the file names of kernel K's VM number I.
vm_sfx() { if [ "$2" -gt 1 ]; then echo ".$2"; fi; }

# boot_vm K I: boots kernel K's VM number I on K's queue; the time limit
# is the sum of the queued tests' own limits. Those limits are set for the
# Debian kernels; the debug kernel (KASAN, lockdep, kmemleak under TCG)
# runs everything two to four times slower, and on a busy machine some
# tests came within 10% of their limits there: its limits are doubled.
#
# A VM beside the in-turn ones gets a monitor (a FIFO pair, drained) by
# which their dispatchers pause it during their "alone" tests; the first
# one's limit grows by the most those can take (alone_limits; the second
# boots once the in-turn VMs are done).
boot_vm() {
	local k=$1 d=$SLUICE_BUILD/$1 sfx limit dpid mpid rc scale pause mon=()
	sfx=$(vm_sfx "$1" "$2")
	scale=$(time_scale "$k")
	limit=$(awk -v s=$scale '{ n += $1 } END { print n * s + 180 }' "$d/queue.all")
	pause=$scale
	rm -f "$d"/{queue,monitor}"$sfx".pipe.{in,out}
	mkfifo "$d/queue$sfx.pipe.in" "$d/queue$sfx.pipe.out"
	if [[ " $beside " == *" $k "* ]]; then
		pause=
		# Only the first: the second boots once nothing can pause it.
		[ "$2" = 1 ] && limit=$((limit + alone_limits))
		mkfifo "$d/monitor$sfx.pipe.in" "$d/monitor$sfx.pipe.out"
		cat <>"$d/monitor$sfx.pipe.out" >"$d/monitor$sfx.log" &
		mpid=$!
		mon=(-chardev pipe,id=mon,path="$d/monitor$sfx.pipe" -mon chardev=mon,mode=readline)
	fi
	dispatch "$d/queue$sfx.pipe" "$d/queue" "$BASHPID" $pause &
	dpid=$!
	: >"$d/results$sfx.log"
	VMLINUZ=${kvmlinuz[$k]} INITRD=${kinitrd[$k]} VM_TIMEOUT=$limit \
		vm_boot "$k" "sltest.queue=1 sltest.tscale=$scale" \
		-serial file:"$d/console$sfx.log" \
		-serial file:"$d/results$sfx.log" \
		-chardev pipe,id=queue,path="$d/queue$sfx.pipe" -serial chardev:queue \
		"${mon[@]}" </dev/null >"$d/qemu$sfx.log" 2>&1
	rc=$?
	kill "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	# An in-turn VM that died in an "alone" test: the others go on.
	[ -n "$pause" ] && beside_vms cont
	if [ -n "${mpid:-}" ]; then
		kill "$mpid" 2>/dev/null
		wait "$mpid" 2>/dev/null
	fi
	rm -f "$d"/{queue,monitor}"$sfx".pipe.{in,out}
	return $rc
}

# collect_vm K I: the results of kernel K's finished VM number I: its
# tests' (as K/NAME), and its own checks (as K/unload, K/kernel-log,
# K/kmemleak, K/lockdep, K/vm; K.2/... for the second VM).
collect_vm() {
	local k=$1 sfx tag con res
	sfx=$(vm_sfx "$1" "$2")
	tag=$k$sfx
	con=$SLUICE_BUILD/$k/console$sfx.log res=$SLUICE_BUILD/$k/results$sfx.log
	tr -d '\r' <"$res" >"$res.txt"

	local name status secs line
	while IFS= read -r line; do
		case $line in
		"R "*)
			read -r _ name status secs <<<"$line"
			case $status in
			0) result ok "$k/$name" ;;
			4) result skip "$k/$name" "$(grep "^T $name SKIP" "$res.txt" | head -1 | cut -d" " -f3- | sed "s/^SKIP: //")" ;;
			124) result "not ok" "$k/$name" "timed out: TERM at its limit, ended (its cleanup ran) after $secs s"
			   grep "^T $name " "$res.txt" | cut -d' ' -f3- | tail -40 | sed 's/^/#   /' ;;
			137) result "not ok" "$k/$name" "timed out: still running after TERM, killed after $secs s"
			   grep "^T $name " "$res.txt" | cut -d' ' -f3- | tail -40 | sed 's/^/#   /' ;;
			*) result "not ok" "$k/$name" "exit status $status"
			   grep "^T $name " "$res.txt" | cut -d' ' -f3- | tail -60 | sed 's/^/#   /' ;;
			esac
			;;
		"U "*)
			read -r _ status line <<<"$line"
			if [ "$status" = 0 ]; then
				result ok "$tag/unload"
			else
				result "not ok" "$tag/unload" "the module would not unload: $line"
			fi
			;;
		esac
	done <"$res.txt"

	if ! grep -q '^E$' "$res.txt"; then
		local running
		running=$(tr -d '\r' <"$con" | sed -n 's/^# running \([^ ]*\) .*/\1/p' | tail -n1)
		result "not ok" "$tag/vm" "the VM did not finish (crash or time limit)${running:+ during $running}; first report and console tail:"
		tr -d '\r' <"$con" | grep -m1 -E -A8 "$REPORTS" | sed 's/^/#   /'
		echo "#   ..."
		tail -40 "$con" | sed 's/^/#   /'
	fi

	local bad
	bad=$(sed -n 's/^K //p' "$res.txt" | grep -E "$REPORTS|kmemleak: [0-9]+ new suspected")
	if [ -n "$bad" ]; then
		result "not ok" "$tag/kernel-log" "the kernel log has reports:"
		sed -n 's/^K //p' "$res.txt" | grep -E -A25 "$REPORTS" | head -120 | sed 's/^/#   /'
	elif grep -q '^E$' "$res.txt"; then
		result ok "$tag/kernel-log"
	fi
	# kmemleak and lockdep must say they ran (C lines: selftests/init),
	# on the debug kernel always.
	local c
	for c in kmemleak lockdep; do
		line=$(grep -m1 "^C $c " "$res.txt")
		if [ "$c" = kmemleak ] && grep -q '^L unreferenced object' "$res.txt"; then
			result "not ok" "$tag/kmemleak" "kmemleak reports leaks:"
			sed -n 's/^L //p' "$res.txt" | head -80 | sed 's/^/#   /'
		elif [ -n "$line" ]; then
			read -r _ _ status line <<<"$line"
			if [ "$status" = 0 ]; then
				result ok "$tag/$c"
			elif [ $c = kmemleak ]; then
				result "not ok" "$tag/$c" "kmemleak did not scan: $line"
			else
				result "not ok" "$tag/$c" "lockdep is off: $line"
			fi
		elif [ "$k" = debug ] && grep -q '^E$' "$res.txt"; then
			result "not ok" "$tag/$c" "the guest did not run it (no /sys/kernel/debug/kmemleak, no /proc/lockdep_stats?)"
		fi
	done
}

# finish_kernel K: a test of K's queue that no VM reported on fails (its
# VM stopped before it, or died in it), then the time K took.
finish_kernel() {
	local k=$1 d=$SLUICE_BUILD/$1 name
	while read -r _ name _; do
		awk -v n="$name" '$1 == "R" && $2 == n { f = 1 } END { exit !f }' \
			"$d"/results*.log.txt 2>/dev/null ||
			result "not ok" "$k/$name" "not run: its VM stopped before it or in it"
	done <"$d/queue.all"
	echo "# $k (${kver[$k]}): $((SECONDS - ${kstart[$k]})) s, the host's CPU stolen $(steal_share \
		"$(( $(steal_ticks) - ${ksteal[$k]} ))" "$((SECONDS - ${kstart[$k]}))")% of the time"
}

beside= inturn=
for k in $KERNELS; do
	if [[ " $BESIDE " == *" $k "* ]]; then
		beside="$beside $k"
	else
		inturn="$inturn $k"
	fi
done
# The longest the in-turn kernels can keep the beside VMs paused: their
# alone tests' limits (scaled as theirs are), and a minute each.
alone_limits=$(test_list | awk -v s="$(for k in $inturn; do time_scale "$k"; done |
	awk '{ n += $1 } END { print n + 0 }')" '$3 == "alone" { t += $1 + 60 } END { print t * s }')
for k in $beside; do
	prepare_kernel "$k" || continue
	boot_vm "$k" 1 &
	vmpid[$k]=$!
done
for k in $inturn; do
	prepare_kernel "$k" || continue
	boot_vm "$k" 1
	collect_vm "$k" 1
	finish_kernel "$k"
done
# The in-turn VMs are done (or there were none): a second VM for each
# kernel beside them that still has tests worth its boot and its closing
# checks (a debug VM's take a minute): two or more, of 300 s of limits.
for k in $beside; do
	[ -n "${vmpid[$k]:-}" ] || continue
	awk '{ n++; t += $1 } END { exit !(n >= 2 && t >= 300) }' "$SLUICE_BUILD/$k/queue" || continue
	boot_vm "$k" 2 &
	vm2pid[$k]=$!
done
for k in $beside; do
	[ -n "${vmpid[$k]:-}" ] || continue
	wait "${vmpid[$k]}"
	collect_vm "$k" 1
	if [ -n "${vm2pid[$k]:-}" ]; then
		wait "${vm2pid[$k]}"
		collect_vm "$k" 2
	fi
	finish_kernel "$k"
done

if [ "$skipped" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
