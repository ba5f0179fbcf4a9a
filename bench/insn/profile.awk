#!/usr/bin/awk -f
# Where the instructions of a benchmark go, by kernel function, from
# slinsn's profile (BENCH_PROFILE=1 make bench; see slinsn.c):
#
#   awk -v a=NAME -v b=NAME -f profile.awk SYMBOLS PROFILE PHASES
#
# SYMBOLS: "<address> <type> <name> [<module>]" lines sorted by address
# (the t/T lines of /proc/kallsyms, addresses as 16 hex digits).
# PROFILE: slinsn's prof= file. PHASES: the benchmark's "insn BENCH NAME
# ROUND START END UNITS ..." lines. Prints every NAME's instructions per
# unit by module, then the functions whose cost per unit differs between
# NAMEs a and b by more than min (-v min=N; default a thousandth of a's
# total per unit).
# Addresses are compared as strings of the same length (mawk has no
# 64-bit integers).
function lookup(pc,    lo, hi, mid) {
	while (length(pc) < 16) pc = "0" pc
	if (pc "" < sa[1] "") return "(unknown)"
	lo = 1; hi = ns
	while (lo < hi) {
		mid = int((lo + hi + 1) / 2)
		if (sa[mid] "" <= pc "") lo = mid; else hi = mid - 1
	}
	return sn[lo]
}
FILENAME == ARGV[1] {
	sa[++ns] = $1
	sn[ns] = $3 (NF > 3 ? " " $4 : "")
	next
}
FILENAME == ARGV[2] {
	if ($1 == "M") { m = $2; next }
	# Counts at marker m are those since marker m - 1.
	fn = $1 == "0" ? "(user)" : $1 == "1" ? "(other)" : lookup($1)
	cnt[m, fn] += $2
	fns[fn] = 1
	next
}
$1 == "insn" {
	cfg = $3
	if (!(cfg in units)) order[++ncfg] = cfg
	units[cfg] += $7
	for (k = $5 + 1; k <= $6; k++) span[cfg] = span[cfg] " " k
}
END {
	for (c = 1; c <= ncfg; c++) {
		cfg = order[c]
		n = split(span[cfg], ks, " ")
		for (i = 1; i <= n; i++)
			for (fn in fns)
				if ((ks[i], fn) in cnt)
					per[cfg, fn] += cnt[ks[i], fn] / units[cfg]
	}
	for (fn in fns) {
		mod = fn ~ / \[/ ? fn : "[kernel]"
		sub(/^.* \[/, "[", mod)
		if (fn ~ /^\(/) mod = fn
		mods[mod] = 1
		for (c = 1; c <= ncfg; c++) {
			bymod[order[c], mod] += per[order[c], fn]
			tot[order[c]] += per[order[c], fn]
		}
	}
	printf "instructions per unit by module:\n%-24s", ""
	for (c = 1; c <= ncfg; c++) printf " %10s", order[c]
	printf "\n"
	for (mod in mods) {
		for (c = 1; c <= ncfg; c++)
			if (bymod[order[c], mod] >= 0.5) break
		if (c > ncfg) continue
		printf "%-24s", mod
		for (c = 1; c <= ncfg; c++) printf " %10.0f", bymod[order[c], mod]
		printf "\n"
	}
	printf "%-24s", "total"
	for (c = 1; c <= ncfg; c++) printf " %10.0f", tot[order[c]]
	printf "\n\nfunctions whose cost per unit differs most, %s - %s:\n", a, b
	nd = 0
	if (min == "") min = tot[a] / 1000
	for (fn in fns) {
		d = per[a, fn] - per[b, fn]
		if (d > min || d < -min) { dn[++nd] = fn; dv[nd] = d }
	}
	for (i = 2; i <= nd; i++)
		for (j = i; j > 1 && dv[j - 1] < dv[j]; j--) {
			t = dv[j]; dv[j] = dv[j - 1]; dv[j - 1] = t
			t = dn[j]; dn[j] = dn[j - 1]; dn[j - 1] = t
		}
	printf "%9s %9s %9s  %s\n", "diff", a, b, "function"
	for (i = 1; i <= nd; i++)
		printf "%9.1f %9.1f %9.1f  %s\n", dv[i], per[a, dn[i]], per[b, dn[i]], dn[i]
}
