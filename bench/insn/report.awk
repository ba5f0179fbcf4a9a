#!/usr/bin/awk -f
# Guest instructions per unit of work, from slinsn's log and the phases a
# benchmark printed (see slinsn.c):
#
#   awk -f report.awk INSN_LOG PHASES
#
# INSN_LOG: "<marker> <instructions so far>" lines. PHASES: lines
#   insn BENCH NAME ROUND START_MARKER END_MARKER UNITS [BASE]
# (BASE: the NAME of the same BENCH and ROUND to compare with). For each
# BENCH and NAME it prints the median instructions per unit over the
# rounds, and the median of the rounds' paired ratios BASE / NAME (> 1:
# NAME costs less) with their range.
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
FNR == NR { at[$1] = $2; next }
$1 == "insn" {
	if (!($5 in at) || !($6 in at) || $7 <= 0) {
		printf "insn: markers %s/%s of %s %s missing from the log\n", $5, $6, $2, $3
		bad = 1
		next
	}
	key = $2 SUBSEP $3
	per[key, $4] = (at[$6] - at[$5]) / $7
	if (!(key in seen)) { seen[key] = 1; order[++nkeys] = key }
	base[key] = $8
	rounds[key] = rounds[key] " " $4
}
END {
	for (k = 1; k <= nkeys; k++) {
		key = order[k]
		split(key, kn, SUBSEP)
		n = split(rounds[key], rs, " ")
		delete v
		for (i = 1; i <= n; i++) v[i] = per[key, rs[i]]
		med = median(v, n)
		line = sprintf("  %-8s %-8s %9.0f instructions per unit", kn[1], kn[2], med)
		if (base[key] != "") {
			bkey = kn[1] SUBSEP base[key]
			m = 0; lo = ""; hi = ""
			delete q
			for (i = 1; i <= n; i++)
				if ((bkey, rs[i]) in per) {
					r = per[bkey, rs[i]] / per[key, rs[i]]
					q[++m] = r
					if (lo == "" || r < lo) lo = r
					if (hi == "" || r > hi) hi = r
				}
			if (m)
				line = line sprintf("   %s / this: %.3f (%.3f-%.3f, %d rounds)",
						    base[key], median(q, m), lo, hi, m)
		}
		print line
	}
	exit bad
}
