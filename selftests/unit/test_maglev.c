// SPDX-License-Identifier: GPL-2.0
/* sluice unit tests: Maglev hashing (kmod/maglev.c). */
#define SL_SCHED_PRIVATE
#include <stdlib.h>
#include <string.h>
#include "harness.h"

static void count_slots(const struct sl_table *t, u32 n, u32 *cnt)
{
	u32 i;

	memset(cnt, 0, n * sizeof(u32));
	for (i = 0; i < t->mag.size; i++)
		if (CHECK(t->mag.lookup[i] < n, "slot %u: %u", i, t->mag.lookup[i]))
			cnt[t->mag.lookup[i]]++;
}

/* Full table, equal weights: every backend gets floor or ceil(M / N) slots. */
static void maglev_table(void)
{
	static const u32 n[] = { 1, 2, 7, 100, 1000 };
	static const u32 m[] = { 251, 4093, 65537 };
	u32 *cnt = malloc(1000 * sizeof(u32)), i, j, k, lo, hi;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		struct t_set *s = t_set_new(n[i], 1, 11 * i);

		for (j = 0; j < sizeof(m) / sizeof(m[0]); j++) {
			struct sl_table *t = t_build(SL_SCHED_MAGLEV, i, 0, m[j], s->b, n[i]);
			struct sl_table_info info;

			if (!CHECK(!IS_ERR(t)))
				continue;
			sl_table_get_info(t, &info);
			CHECK(info.maglev_size == m[j]);
			CHECK(info.bytes >= m[j] * sizeof(u16));
			count_slots(t, n[i], cnt);
			lo = m[j] / n[i];
			hi = lo + (m[j] % n[i] != 0);
			for (k = 0; k < n[i]; k++)
				CHECK(cnt[k] >= lo && cnt[k] <= hi, "n=%u m=%u: backend %u has %u",
				      n[i], m[j], k, cnt[k]);
			sl_table_free(t);
		}
		t_set_free(s);
	}
	free(cnt);
}

/*
 * Weights: slots in proportion, to within a slot or so; weights with a
 * common divisor give the same table; 65535 next to 1 still gives the
 * light one its share (one slot in 65537).
 */
static void maglev_weights(void)
{
	struct t_set *s = t_set_new(4, 1, 20), *s2 = t_set_new(4, 1, 20);
	struct t_set *big = t_set_new(1000, 1, 21);
	struct sl_table *t, *t2;
	u32 cnt[1000], k, m = 65537;
	u64 wsum = 0;
	double want, worst = 0;

	for (k = 0; k < 4; k++) {
		s->b[k].weight = k + 1;
		s2->b[k].weight = 100 * (k + 1);
	}
	t = t_build(SL_SCHED_MAGLEV, 0, 0, m, s->b, 4);
	t2 = t_build(SL_SCHED_MAGLEV, 0, 0, m, s2->b, 4);
	count_slots(t, 4, cnt);
	for (k = 0; k < 4; k++) {
		want = (double)m * (k + 1) / 10;
		CHECK(cnt[k] > want - 1.5 && cnt[k] < want + 1.5, "weight %u: %u slots, want %.1f",
		      k + 1, cnt[k], want);
	}
	CHECK(!memcmp(t->mag.lookup, t2->mag.lookup, m * sizeof(u16)), "gcd not divided out");
	sl_table_free(t);
	sl_table_free(t2);

	s->b[0].weight = 65535;
	s->b[1].weight = 1;
	t = t_build(SL_SCHED_MAGLEV, 0, 0, m, s->b, 2);
	count_slots(t, 2, cnt);
	CHECK(cnt[1] == 1 && cnt[0] == m - 1, "65535:1 gives %u:%u", cnt[0], cnt[1]);
	sl_table_free(t);

	/* many backends, mixed weights */
	for (k = 0; k < 1000; k++) {
		big->b[k].weight = 1 + (k * 37) % 50;
		wsum += big->b[k].weight;
	}
	m = 1048573;
	t = t_build(SL_SCHED_MAGLEV, 0, 0, m, big->b, 1000);
	count_slots(t, 1000, cnt);
	for (k = 0; k < 1000; k++) {
		want = (double)m * big->b[k].weight / wsum;
		worst = cnt[k] - want > worst ? cnt[k] - want :
			want - cnt[k] > worst ? want - cnt[k] : worst;
	}
	CHECK(worst < 2, "a backend is %.1f slots off its share", worst);
	t_note("1000 mixed weights, M=%u: worst %.2f slots off", m, worst);
	sl_table_free(t);
	t_set_free(s);
	t_set_free(s2);
	t_set_free(big);
}

/* Stateless picks: table[hash % M], never an overflow, still counted. */
static void maglev_pick(void)
{
	struct t_set *s = t_set_new(30, 2, 30);
	struct t_rng r = { t_seed() + 30 };
	struct sl_pick_info pi;
	struct sl_table *t;
	atomic_t total = ATOMIC_INIT(0);
	u32 i, sum = 0;
	int x, c[30];
	bool ov;

	for (i = 0; i < 30; i += 4)
		s->b[i].weight = 0;
	t = t_build(SL_SCHED_MAGLEV, 0, 0, 4093, s->b, 30);
	for (i = 0; i < 200000; i++) {
		u64 h = t_next(&r) % 16;	/* few keys: no bound, no overflow */

		h = sl_hash(&h, 8, 0);
		ov = true;
		x = i & 1 ? sl_table_pick(t, h, &total, &ov) :
			sl_table_pick_info(t, h, &total, &ov, &pi);
		if (!CHECK(x == sl_table_first(t, h) && !ov && s->b[x].weight, "pick %u", i))
			break;
		CHECK(x == t->mag.lookup[h % 4093]);
		if (!(i & 1))
			CHECK(pi.first == x && pi.chosen == x && !pi.fallback && !pi.probes &&
			      pi.total == (int)i + 1);
		CHECK(sl_table_order(t, h, c, 30) == 1 && c[0] == x);
	}
	for (i = 0; i < 30; i++)
		sum += atomic_read(&s->load[i]);
	CHECK(sum == 200000 && atomic_read(&total) == 200000);
	sl_table_free(t);
	t_set_free(s);
}

/*
 * Disruption: the share of slots that change backend when one of N leaves
 * or joins. Maglev moves the leaver's slots and, by the cascade of its
 * greedy fill, some more: about 1/N at N = 10 but 1.6/N at N = 100 and
 * 7/N at N = 1,000 with M = 65537 (the paper's trade-off of disruption
 * for balance; chbl meets 1.2/N, see test_chbl.c). The 1.2/N target is
 * asserted where Maglev meets it; elsewhere the bounds guard the known
 * values against regressions.
 */
static void maglev_disruption(void)
{
	static const u32 sizes[] = { 10, 100, 1000 };
	static const double bound[] = { 1.2, 2.0, 8.0 };
	enum { TRIES = 8 };
	u32 m = 65537, z, j, i, k, changed, extra, got;
	u16 *before = malloc(m * sizeof(u16));
	double sum_rm, sum_add, sum_extra;

	for (z = 0; z < 3; z++) {
		u32 n = sizes[z];
		struct t_set *s = t_set_new(n + 1, 1, 500 * z), *rm = t_set_new(n, 1, 0);
		struct sl_table *t0, *t1;

		t0 = t_build(SL_SCHED_MAGLEV, 1, 0, m, s->b, n);
		memcpy(before, t0->mag.lookup, m * sizeof(u16));
		sum_rm = sum_add = sum_extra = 0;
		for (j = 0; j < TRIES; j++) {
			u32 victim = (j * 7919) % n, c = 0;

			for (k = 0; k < n; k++)
				if (k != victim)
					rm->b[c++] = s->b[k];
			t1 = t_build(SL_SCHED_MAGLEV, 1, 0, m, rm->b, n - 1);
			changed = extra = 0;
			for (i = 0; i < m; i++) {
				bool ch = rm->b[t1->mag.lookup[i]].id != s->b[before[i]].id;

				changed += ch;
				extra += ch && before[i] != victim;
			}
			sum_rm += (double)changed / m;
			sum_extra += (double)extra / m;
			sl_table_free(t1);

			s->b[n].id = sl_hash(&(u64){ 0xadd0000 + j }, 8, z);
			t1 = t_build(SL_SCHED_MAGLEV, 1, 0, m, s->b, n + 1);
			changed = got = 0;
			for (i = 0; i < m; i++) {
				changed += t1->mag.lookup[i] != before[i];
				got += t1->mag.lookup[i] == n;
			}
			/* the newcomer gets its share, M / (N + 1) to within one */
			CHECK(got >= m / (n + 1) && got <= m / (n + 1) + 1, "n=%u: new backend got %u",
			      n, got);
			sum_add += (double)changed / m;
			sl_table_free(t1);
		}
		t_note("n=%u: remove moves %.3f/N (of which between survivors %.3f/N), add %.3f/N",
		       n, sum_rm / TRIES * n, sum_extra / TRIES * n, sum_add / TRIES * n);
		CHECK(sum_rm / TRIES * n <= bound[z], "n=%u: removal moves %.3f/N", n,
		      sum_rm / TRIES * n);
		CHECK(sum_add / TRIES * n <= bound[z], "n=%u: addition moves %.3f/N", n,
		      sum_add / TRIES * n);
		sl_table_free(t0);
		t_set_free(s);
		t_set_free(rm);
	}
	free(before);
}

/* Smallest and largest tables, more backends than slots. */
static void maglev_sizes(void)
{
	struct t_set *s = t_set_new(10000, 1, 40);
	struct sl_table *t;
	u32 *cnt = malloc(10000 * sizeof(u32)), k, used = 0;

	t = t_build(SL_SCHED_MAGLEV, 0, 0, SL_MAGLEV_MIN_SIZE, s->b, 1000);
	count_slots(t, 1000, cnt);
	for (k = 0; k < 1000; k++)
		used += cnt[k] == 1;
	CHECK(used == SL_MAGLEV_MIN_SIZE, "%u of 1000 backends in 251 slots", used);
	sl_table_free(t);
	t = t_build(SL_SCHED_MAGLEV, 0, 0, SL_MAGLEV_MAX_SIZE, s->b, 10000);
	count_slots(t, 10000, cnt);
	for (k = 0; k < 10000; k++)
		CHECK(cnt[k] == 104 || cnt[k] == 105, "backend %u: %u slots", k, cnt[k]);
	CHECK(sl_table_bytes(t) >= SL_MAGLEV_MAX_SIZE * 2);
	sl_table_free(t);
	free(cnt);
	t_set_free(s);
}

SL_TESTS(maglev_tests) = {
	SL_T(maglev_table),
	SL_T(maglev_weights),
	SL_T(maglev_pick),
	SL_T(maglev_disruption),
	SL_T(maglev_sizes),
};
const unsigned int maglev_ntests = sizeof(maglev_tests) / sizeof(maglev_tests[0]);
