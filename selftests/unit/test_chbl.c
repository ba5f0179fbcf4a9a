// SPDX-License-Identifier: GPL-2.0
/*
 * sluice unit tests: consistent hashing with bounded loads (kmod/chbl.c).
 * White-box where it helps: the ring's layout is checked directly.
 */
#define SL_SCHED_PRIVATE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness.h"

static u32 expect_points(u32 w, u32 shift)
{
	u32 p = (w * SL_CHBL_POINTS + ((1u << shift) >> 1)) >> shift;

	return p ? p : 1;
}

#define POS(t, i)	((u32)((t)->ring.pts[i] >> 32))
#define OWN(t, i)	((u16)(t)->ring.pts[i])

/* The successor of @hash by binary search over the sorted points. */
static int successor(const struct sl_table *t, u64 hash)
{
	u32 h = hash >> 32, lo = 0, hi = t->ring.npoints;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (POS(t, mid) < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return OWN(t, lo == t->ring.npoints ? 0 : lo);
}

/* Check every invariant of a ring built from @b. */
static void check_ring(const struct sl_table *t, const struct sl_sched_backend *b,
		       u32 n, struct t_rng *r, const char *what)
{
	u32 np = t->ring.npoints, nb = t->ring.nbkt, bits = 64 - t->ring.bshift;
	u32 i, k, s, *cnt = calloc(n, sizeof(u32));
	u64 sum = 0;

	CHECK(nb >= np && nb / 2 < (np > 1 ? np : 1), "%s: %u buckets for %u points",
	      what, nb, np);
	CHECK((1u << bits) == nb, "%s", what);
	CHECK(OWN(t, np) == OWN(t, 0) && POS(t, np) == 0xffffffffu, "%s: wrap", what);
	for (i = 1; i < np; i++) {
		u32 a = POS(t, i - 1), c = POS(t, i);

		if (!CHECK(a < c || (a == c && b[OWN(t, i - 1)].id <= b[OWN(t, i)].id),
			   "%s: point %u", what, i))
			break;
	}
	for (i = 0; i < np; i++) {
		CHECK(OWN(t, i) < n && b[OWN(t, i)].weight, "%s", what);
		cnt[OWN(t, i)]++;
	}
	for (i = 0; i < n; i++) {
		u32 want = b[i].weight ? expect_points(b[i].weight, t->ring.shift) : 0;

		sum += want;
		CHECK(cnt[i] == want, "%s: backend %u weight %u has %u points, want %u",
		      what, i, b[i].weight, cnt[i], want);
	}
	CHECK(sum == np, "%s", what);
	/* each bucket: its first point, found here by binary search */
	for (k = 0, s = 0; k < nb; k++) {
		u32 lo = s, hi = np;

		while (lo < hi) {
			u32 mid = lo + (hi - lo) / 2;

			if (POS(t, mid) >> (32 - bits) < k)
				lo = mid + 1;
			else
				hi = mid;
		}
		s = lo;
		if (!CHECK(t->ring.bkt[k] == s, "%s: bucket %u: %u, want first point %u",
			   what, k, t->ring.bkt[k], s))
			break;
	}
	CHECK(t->ring.bkt[nb] == np, "%s", what);
	/* lookups: random keys, the points themselves and their neighbours */
	for (i = 0; i < 200000; i++) {
		u64 h = t_next(r);

		if (!CHECK(sl_chbl_find(t, h) == (u32)successor(t, h), "%s: key %#llx",
			   what, (unsigned long long)h))
			break;
	}
	for (i = 0; i < np; i++) {
		u64 p = (u64)POS(t, i) << 32;
		u64 keys[4] = { p, p | 0xffffffffULL, p - 1, p + (1ULL << 32) };

		for (k = 0; k < 4; k++)
			if (!CHECK(sl_chbl_find(t, keys[k]) == (u32)successor(t, keys[k]),
				   "%s: key %#llx", what, (unsigned long long)keys[k]))
				i = np;
	}
	CHECK(sl_chbl_find(t, 0) == (u32)successor(t, 0), "%s", what);
	CHECK(sl_chbl_find(t, ~0ULL) == (u32)successor(t, ~0ULL), "%s", what);
	free(cnt);
}

static void ring_structure(void)
{
	static const u32 sizes[] = { 1, 2, 3, 10, 97, 1000 };
	struct t_rng r = { t_seed() + 10 };
	unsigned int i, j;
	char what[64];

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct t_set *s = t_set_new(sizes[i], 1, 31 * i);
		struct sl_table *t;

		for (j = 0; j < 3; j++) {
			u32 k;

			for (k = 0; k < s->n; k++)
				s->b[k].weight = j == 0 ? 1 : j == 1 ? 1 + t_below(&r, 20) :
					(t_below(&r, 4) ? t_below(&r, 65536) : 0);
			t = t_build(SL_SCHED_CHBL, j, 1250, 0, s->b, s->n);
			snprintf(what, sizeof(what), "n=%u weights#%u", s->n, j);
			if (!CHECK(!IS_ERR(t), "%s", what))
				continue;
			if (t->n_active)
				check_ring(t, s->b, s->n, &r, what);
			sl_table_free(t);
		}
		t_set_free(s);
	}
}

/*
 * Equal weights, whatever their value: SL_CHBL_POINTS / sqrt(2) ..
 * SL_CHBL_POINTS * sqrt(2) points per backend, and the same scale for
 * every number of backends whose ring fits SL_CHBL_RING_MAX (no rescale
 * on add/remove): up to 2,000 backends here.
 */
static void ring_scale(void)
{
	static const u32 w[] = { 1, 2, 3, 5, 7, 100, 1000, 40000, 65535 };
	static const u32 n[] = { 1, 2, 10, 1000, 2000 };
	struct t_set *s = t_set_new(2000, 1, 5);
	struct sl_table_info info;
	unsigned int i, j, k;
	u32 points, shift = 0;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		for (j = 0; j < sizeof(n) / sizeof(n[0]); j++) {
			struct sl_table *t;

			for (k = 0; k < n[j]; k++)
				s->b[k].weight = w[i];
			t = t_build(SL_SCHED_CHBL, 0, 1250, 0, s->b, n[j]);
			sl_table_get_info(t, &info);
			points = info.ring_points / n[j];
			CHECK(info.ring_points == points * n[j]);
			CHECK(points * 1414 >= SL_CHBL_POINTS * 1000 &&
			      points * 1000 <= SL_CHBL_POINTS * 1415, "w=%u: %u points", w[i], points);
			if (j == 0)
				shift = info.ring_shift;
			CHECK(info.ring_shift == shift, "w=%u n=%u: shift %u, was %u",
			      w[i], n[j], info.ring_shift, shift);
			sl_table_free(t);
		}
		t_note("weight %u: %u points per backend", w[i], points);
	}
	t_set_free(s);
}

/* First choices follow weights. */
static void ring_weights(void)
{
	struct t_set *s = t_set_new(400, 1, 9);
	struct t_rng r = { t_seed() + 11 };
	struct sl_table *t;
	u32 i, heavy = 0, keys = 400000;
	double share;

	for (i = 0; i < 400; i++)
		s->b[i].weight = i & 1 ? 4 : 1;	/* 200 of 4, 200 of 1 */
	t = t_build(SL_SCHED_CHBL, 0, 1250, 0, s->b, 400);
	for (i = 0; i < keys; i++)
		heavy += sl_table_first(t, t_next(&r)) & 1;
	share = (double)heavy / keys;
	CHECK(share > 0.78 && share < 0.82, "weight-4 half takes %.3f, want 0.8", share);
	t_note("weight-4 half takes %.4f of first choices (ideal 0.8)", share);
	sl_table_free(t);
	t_set_free(s);
}

/*
 * A small set, weights 1:2:3, over 200 seeds and backend sets: each
 * backend's share of first choices deviates from its weight's share by
 * about 1/sqrt(points) (4.4% for the weight-1 backend's 512 points).
 * More than 10% off happens for about 1.4% of sets; allow 5%. A ring that
 * ignored weights, or gave too few points, would be off in most sets.
 */
static void ring_weights_small(void)
{
	struct t_set *s = t_set_new(3, 1, 21);
	struct t_rng r = { t_seed() + 14 };
	u32 set, i, k, cnt[3], off = 0, keys = 200000;
	double dev, worst = 0;

	for (set = 0; set < 200; set++) {
		struct sl_table *t;

		for (i = 0; i < 3; i++) {
			s->b[i].id = t_next(&r);
			s->b[i].weight = i + 1;
		}
		t = t_build(SL_SCHED_CHBL, (u32)t_next(&r), 1250, 0, s->b, 3);
		memset(cnt, 0, sizeof(cnt));
		for (k = 0; k < keys; k++)
			cnt[sl_table_first(t, t_next(&r))]++;
		for (i = 0, dev = 0; i < 3; i++)
			dev = fmax(dev, fabs(cnt[i] * 6.0 / keys / (i + 1) - 1));
		off += dev > 0.10;
		worst = fmax(worst, dev);
		sl_table_free(t);
	}
	CHECK(off <= 10, "%u of 200 sets have a backend more than 10%% off", off);
	t_note("1:2:3, 200 sets: %u more than 10%% off, worst %.3f", off, worst);
	t_set_free(s);
}

/*
 * Weight 65535 next to weight 1, with 2 and with 10,000 backends: the
 * ring stays bounded, the light backend is held to its cap.
 */
static void weight_extreme(void)
{
	struct t_set *s = t_set_new(10001, 1, 3);
	struct t_rng r = { t_seed() + 12 };
	struct sl_table_info info;
	struct sl_pick_info pi;
	struct sl_table *t;
	atomic_t total = ATOMIC_INIT(0);
	u32 i, j;
	bool ov;

	s->b[0].weight = 65535;
	t = t_build(SL_SCHED_CHBL, 0, 1250, 0, s->b, 2);
	sl_table_get_info(t, &info);
	CHECK(info.ring_points <= 2 * SL_CHBL_POINTS + 1, "%u points", info.ring_points);
	check_ring(t, s->b, 2, &r, "65535:1");
	for (i = 0; i < 100000; i++) {
		sl_table_pick_info(t, t_next(&r), &total, &ov, &pi);
		if (!CHECK((u64)pi.load <= pi.cap && !pi.fallback, "pick %u", i))
			break;
	}
	/* cap of the light one: ceil(1.25 * 100000 / 65536) = 2 */
	CHECK(atomic_read(&s->load[1]) <= 2, "light backend has %d",
	      atomic_read(&s->load[1]));
	CHECK(atomic_read(&s->load[1]) + atomic_read(&s->load[0]) == 100000);
	sl_table_free(t);

	/* 10,000 light and one heavy; then 10,000 heavy and one light */
	for (j = 0; j < 2; j++) {
		for (i = 0; i < 10001; i++)
			s->b[i].weight = (i == 0) == (j == 0) ? 65535 : 1;
		t = t_build(SL_SCHED_CHBL, 0, 1250, 0, s->b, 10001);
		if (!CHECK(!IS_ERR(t)))
			continue;
		sl_table_get_info(t, &info);
		CHECK(info.ring_points <= SL_CHBL_RING_MAX);
		t_note("%s: %u points, %zu bytes", j ? "10000 x 65535 + 1" :
		       "65535 + 10000 x 1", info.ring_points, info.bytes);
		check_ring(t, s->b, 10001, &r, j ? "10000 heavy" : "10000 light");
		sl_table_free(t);
	}
	t_set_free(s);
}

/* 10,000 backends: builds, every backend reachable, bound holds. */
static void backends_10000(void)
{
	struct t_set *s = t_set_new(10000, 1, 1);
	struct t_rng r = { t_seed() + 13 };
	struct sl_table_info info;
	struct sl_pick_info pi;
	struct sl_table *t;
	atomic_t total = ATOMIC_INIT(0);
	u32 *seen = calloc(10000, sizeof(u32)), i, unseen = 0;
	int max = 0;
	bool ov;

	t = t_build(SL_SCHED_CHBL, 0, 1100, 0, s->b, 10000);
	sl_table_get_info(t, &info);
	/* 10,000 x 1,024 points exceed the 4M cap: the ring halves twice */
	CHECK(info.ring_points == 10000 * (SL_CHBL_POINTS >> 2), "%u points",
	      info.ring_points);
	CHECK(info.bytes < 40u << 20, "%zu bytes", info.bytes);
	t_note("10000 backends: %u points, %u buckets, %zu bytes", info.ring_points,
	       info.ring_buckets, info.bytes);
	for (i = 0; i < 2000000; i++)
		seen[sl_table_first(t, t_next(&r))]++;
	for (i = 0; i < 10000; i++)
		unseen += !seen[i];
	CHECK(!unseen, "%u backends never a first choice", unseen);
	for (i = 0; i < 1000000; i++) {
		sl_table_pick_info(t, t_next(&r), &total, &ov, &pi);
		if (!CHECK((u64)pi.load <= pi.cap && !pi.fallback, "pick %u", i))
			break;
	}
	for (i = 0; i < 10000; i++)
		max = atomic_read(&s->load[i]) > max ? atomic_read(&s->load[i]) : max;
	CHECK(max <= 110, "max load %d, average 100, c = 1.1", max);
	sl_table_free(t);
	free(seen);
	t_set_free(s);
}

/* The pick's division-free test agrees with sl_cap(). */
static void fits_vs_cap(void)
{
	struct t_rng r = { t_seed() + 14 };
	u32 i, milli, w, total;
	u64 wsum, cap, mwt, den;
	s64 load;

	for (i = 0; i < 2000000; i++) {
		milli = t_next(&r) & 1 ? SL_BALANCE_MAX_MILLI : SL_BALANCE_MIN_MILLI +
			t_below(&r, 99000);
		w = t_next(&r) & 1 ? SL_WEIGHT_MAX : 1 + t_below(&r, 65535);
		wsum = w + (t_next(&r) & 1 ? 65535ULL * t_below(&r, 16384) : t_below(&r, 100));
		total = t_next(&r) & 1 ? 0x7fffffff - t_below(&r, 10) : 1 + t_below(&r, 100000);
		cap = sl_cap(milli, total, w, wsum);
		switch (t_below(&r, 4)) {
		case 0:
			load = cap;
			break;
		case 1:
			load = cap + 1;
			break;
		case 2:
			load = t_below(&r, 0x7fffffff);
			break;
		default:
			load = 0x7fffffff - t_below(&r, 3);
		}
		if (load > 0x7fffffff)	/* loads are an atomic_t */
			load = 0x7fffffff;
		mwt = (u64)milli * w * total;
		den = 1000 * wsum;
		if (!CHECK(sl_fits((u32)load - 1, mwt, den) == ((u64)load <= cap),
			   "load %lld milli %u w %u W %llu total %u cap %llu",
			   (long long)load, milli, w, (unsigned long long)wsum, total,
			   (unsigned long long)cap))
			break;
	}
	/* loads of 0 and below (broken counts) fit; 1 does not fit a cap of 0 */
	CHECK(sl_fits((u32)0 - 1, 0, 1000) && sl_fits((u32)-5 - 1, 0, 1000));
	CHECK(sl_fits((u32)0x80000000 - 1, 0, 1000));	/* INT_MIN */
	CHECK(!sl_fits(0, 0, 1000));
	/* above 2^23: the slow path, overflow included */
	CHECK(!sl_fits(0x7ffffffe, 1ULL << 63, 1ULL << 40));
	CHECK(sl_fits(1u << 23, (u64)(1u << 23) * 1000 + 1, 1000));
	CHECK(!sl_fits(1u << 23, (u64)(1u << 23) * 1000, 1000));
}

/*
 * Sequential picks: the first choice whenever it has room, never above a
 * cap, overflow set exactly when the first choice was full, one backend
 * and the total counted per pick.
 */
static void pick_first_when_room(void)
{
	struct t_set *s = t_set_new(10, 1, 40);
	struct t_rng r = { t_seed() + 15 };
	struct sl_table *t;
	atomic_t total = ATOMIC_INIT(0);
	struct sl_pick_info pi;
	u32 i, k, ovf = 0;
	int f, x, before[10], tot;
	bool ov, room;

	for (i = 0; i < 10; i++)
		s->b[i].weight = 1 + i % 3;
	t = t_build(SL_SCHED_CHBL, 0, 1100, 0, s->b, 10);
	for (i = 0; i < 200000; i++) {
		u64 h = t_next(&r) % 64;	/* few keys: they repeat, overflow */

		h = sl_hash(&h, 8, 0);
		if (t_below(&r, 3) == 0 && atomic_read(&total) > 0) {
			/* release one from a random loaded backend */
			k = t_below(&r, 10);
			while (!atomic_read(&s->load[k]))
				k = (k + 1) % 10;
			atomic_dec(&s->load[k]);
			atomic_dec(&total);
			continue;
		}
		for (k = 0; k < 10; k++)
			before[k] = atomic_read(&s->load[k]);
		tot = atomic_read(&total) + 1;
		f = sl_table_first(t, h);
		room = (u64)before[f] + 1 <= t_cap_ref(1100, tot, s->b[f].weight, t->wsum);
		x = sl_table_pick_info(t, h, &total, &ov, &pi);
		ovf += ov;
		if (!CHECK(room == (x == f) && ov == !room && pi.first == f && pi.chosen == x,
			   "pick %u: first %d room %d chose %d ov %d", i, f, room, x, ov))
			break;
		CHECK(!pi.fallback && pi.total == tot);
		CHECK((u64)before[x] + 1 <= t_cap_ref(1100, tot, s->b[x].weight, t->wsum),
		      "pick %u: backend %d load %d above cap", i, x, before[x] + 1);
		for (k = 0; k < 10; k++)
			CHECK(atomic_read(&s->load[k]) == before[k] + ((int)k == x));
		CHECK(atomic_read(&total) == tot);
		if (t_failed())
			break;
	}
	CHECK(ovf > 1000, "only %u overflows: the test did not test", ovf);
	t_note("%u overflows", ovf);
	sl_table_free(t);
	t_set_free(s);
}

/*
 * The probe order: deterministic per key, the first choice then every
 * other active backend exactly once, no drained one; keys with the same
 * first choice spread their second choices over all the others.
 */
static void probe_order(void)
{
	static const u32 sizes[] = { 1, 2, 3, 4, 7, 10, 64, 97, 100, 1000 };
	struct t_rng r = { t_seed() + 16 };
	int *o1 = malloc(1003 * sizeof(int)), *o2 = malloc(1003 * sizeof(int));
	u32 *seen = malloc(1003 * sizeof(u32)), *second = malloc(1003 * sizeof(u32));
	unsigned int z, i, k, n, na, cnt, keys;
	double chi, e;

	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		struct t_set *s = t_set_new(sizes[z] + 3, 1, 7 * z);
		struct sl_table *t;

		n = sizes[z] + 3;
		s->b[1].weight = s->b[n - 1].weight = s->b[n / 2].weight = 0;
		na = n - 3;
		t = t_build(SL_SCHED_CHBL, z, 1250, 0, s->b, n);
		memset(second, 0, 1003 * sizeof(u32));
		keys = 0;
		for (i = 0; i < 20000; i++) {
			u64 h = t_next(&r);

			cnt = sl_table_order(t, h, o1, 1003);
			if (!CHECK(cnt == na, "n=%u: %u in order, want %u", na, cnt, na))
				break;
			CHECK(o1[0] == sl_table_first(t, h));
			CHECK(sl_table_order(t, h, o2, 1003) == cnt &&
			      !memcmp(o1, o2, cnt * sizeof(int)), "not deterministic");
			memset(seen, 0, 1003 * sizeof(u32));
			for (k = 0; k < cnt; k++) {
				CHECK(o1[k] >= 0 && (u32)o1[k] < n && s->b[o1[k]].weight,
				      "n=%u: drained or bad %d", na, o1[k]);
				if (o1[k] >= 0 && (u32)o1[k] < n)
					seen[o1[k]]++;
			}
			for (k = 0; k < n; k++)
				CHECK(seen[k] == (s->b[k].weight ? 1u : 0u), "n=%u: backend %u seen %u times",
				      na, k, seen[k]);
			/* a shorter buffer gets a prefix */
			if (na > 2)
				CHECK(sl_table_order(t, h, o2, 2) == 2 && o2[0] == o1[0] &&
				      o2[1] == o1[1]);
			if (na > 1 && o1[0] == sl_table_first(t, 0)) {
				second[o1[1]]++;
				keys++;
			}
			if (t_failed())
				break;
		}
		/* overflow of one backend spreads over the n - 1 others */
		if (na >= 3 && na <= 100 && keys > 100) {
			e = (double)keys / (na - 1);
			chi = 0;
			for (k = 0; k < n; k++)
				if (s->b[k].weight && (int)k != sl_table_first(t, 0))
					chi += (second[k] - e) * (second[k] - e) / e;
			CHECK(chi < (na - 2) + 6 * __builtin_sqrt(2.0 * (na - 2)) + 10,
			      "n=%u: second choices skewed, chi2 %.1f over %u keys", na, chi,
			      keys);
		}
		sl_table_free(t);
		t_set_free(s);
		if (t_failed())
			break;
	}
	free(o1);
	free(o2);
	free(seen);
	free(second);
}

/* A full first choice sends the key to the first backend with room in its order. */
static void overflow_follows_order(void)
{
	struct t_set *s = t_set_new(10, 1, 50);
	struct t_rng r = { t_seed() + 17 };
	struct sl_pick_info pi;
	struct sl_table *t;
	atomic_t total;
	int o[10], x;
	u32 i, k, full;
	bool ov;

	t = t_build(SL_SCHED_CHBL, 0, 1250, 0, s->b, 10);
	/* total 99 -> t = 100, cap = ceil(1.25 * 100 / 10) = 13 */
	for (i = 0; i < 2000; i++) {
		u64 h = t_next(&r);

		sl_table_order(t, h, o, 10);
		full = 1 + t_below(&r, 9);	/* the first `full` in order are full */
		for (k = 0; k < 10; k++)
			atomic_set(&s->load[o[k]], k < full ? 13 : 12 - t_below(&r, 5));
		atomic_set(&total, 99);
		x = sl_table_pick_info(t, h, &total, &ov, &pi);
		if (!CHECK(x == o[full] && ov && !pi.fallback && pi.probes == full,
			   "key %u: %u full, chose %d (order %d), probes %u", i, full,
			   x, o[full], pi.probes))
			break;
		CHECK(atomic_read(&s->load[x]) <= 13);
		for (k = 0; k < full; k++)
			CHECK(atomic_read(&s->load[o[k]]) == 13, "claim not given back");
	}
	sl_table_free(t);
	t_set_free(s);
}

/*
 * Everyone at the cap (only possible transiently): the least loaded for
 * its weight, first in probe order among equals; flagged as a fallback.
 */
static void fallback_least_loaded(void)
{
	struct t_set *s = t_set_new(6, 1, 60);
	struct t_rng r = { t_seed() + 18 };
	struct sl_pick_info pi;
	struct sl_table *t;
	atomic_t total;
	int o[6], x, want, wl;
	u32 i, k;
	bool ov;

	for (k = 0; k < 6; k++)
		s->b[k].weight = k + 1;	/* W = 21 */
	t = t_build(SL_SCHED_CHBL, 0, 1250, 0, s->b, 6);
	for (i = 0; i < 2000; i++) {
		u64 h = t_next(&r);

		/* caps at t = 1000 are ceil(1250 * w / 21) = 60, 120, ...; overfill all */
		for (k = 0; k < 6; k++)
			atomic_set(&s->load[k], sl_cap(1250, 1000, k + 1, 21) +
				   t_below(&r, 3) * (k + 1));
		atomic_set(&total, 999);
		sl_table_order(t, h, o, 6);
		want = o[0];
		wl = atomic_read(&s->load[o[0]]);
		for (k = 1; k < 6; k++) {
			int l = atomic_read(&s->load[o[k]]);

			if ((u64)l * s->b[want].weight < (u64)wl * s->b[o[k]].weight) {
				want = o[k];
				wl = l;
			}
		}
		x = sl_table_pick_info(t, h, &total, &ov, &pi);
		if (!CHECK(x == want && pi.fallback && ov == (x != o[0]) && pi.probes == 5,
			   "key %u: chose %d want %d", i, x, want))
			break;
		CHECK(atomic_read(&s->load[x]) == wl + 1);
	}
	sl_table_free(t);
	t_set_free(s);
}

/* Drained backends get nothing: not first, not by overflow, not by fallback. */
static void drained_never_chosen(void)
{
	struct t_set *s = t_set_new(20, 1, 70);
	struct t_rng r = { t_seed() + 19 };
	struct sl_table *t;
	atomic_t total = ATOMIC_INIT(0);
	u32 i;
	int x;
	bool ov;

	for (i = 0; i < 20; i += 3)
		s->b[i].weight = 0;
	t = t_build(SL_SCHED_CHBL, 0, 1001, 0, s->b, 20);
	for (i = 0; i < 300000; i++) {
		u64 h = t_next(&r) % 5;	/* 5 keys: constant overflow */

		if (i % 1000 == 999) {	/* now and then, everyone is full */
			u32 k;

			for (k = 0; k < 20; k++)
				atomic_add_return(1000, &s->load[k]);
		}
		x = sl_table_pick(t, sl_hash(&h, 8, 0), &total, &ov);
		if (!CHECK(x >= 0 && s->b[x].weight, "pick %u chose %d", i, x))
			break;
	}
	for (i = 0; i < 20; i += 3)
		CHECK(atomic_read(&s->load[i]) == (int)(1000 * (300000 / 1000)),
		      "drained backend %u got %d", i, atomic_read(&s->load[i]));
	sl_table_free(t);
	t_set_free(s);
}

/*
 * Removing one of N backends moves exactly the keys that were on it;
 * adding one moves keys only onto it; about 1/N of them.
 */
static void disruption(void)
{
	static const u32 sizes[] = { 10, 100, 1000 };
	enum { KEYS = 400000, TRIES = 8 };
	struct t_rng r = { t_seed() + 20 };
	u64 *keys = malloc(KEYS * sizeof(u64));
	int *before = malloc(KEYS * sizeof(int));
	unsigned int z, i, j, moved, wrong;
	double sum_rm, sum_add, max_rm, max_add, f;

	for (i = 0; i < KEYS; i++)
		keys[i] = t_next(&r);
	for (z = 0; z < 3; z++) {
		u32 n = sizes[z];
		struct t_set *s = t_set_new(n + 1, 1, 1000 * z);
		struct sl_table *t0, *t1;
		struct t_set *rm = t_set_new(n, 1, 0);

		t0 = t_build(SL_SCHED_CHBL, 1, 1250, 0, s->b, n);
		for (i = 0; i < KEYS; i++)
			before[i] = sl_table_first(t0, keys[i]);
		sum_rm = sum_add = max_rm = max_add = 0;
		for (j = 0; j < TRIES; j++) {
			u32 victim = (j * 7919) % n, k, m = 0;

			for (k = 0; k < n; k++)
				if (k != victim)
					rm->b[m++] = s->b[k];
			t1 = t_build(SL_SCHED_CHBL, 1, 1250, 0, rm->b, n - 1);
			moved = wrong = 0;
			for (i = 0; i < KEYS; i++) {
				int a = before[i], b = sl_table_first(t1, keys[i]);
				bool changed = rm->b[b].id != s->b[a].id;

				moved += changed;
				wrong += changed != ((u32)a == victim);
			}
			CHECK(!wrong, "n=%u remove %u: %u keys moved needlessly", n, victim, wrong);
			f = (double)moved / KEYS;
			sum_rm += f;
			max_rm = f > max_rm ? f : max_rm;
			sl_table_free(t1);

			/* add a fresh backend */
			s->b[n].id = sl_hash(&(u64){ 0xadd0000 + j }, 8, z);
			t1 = t_build(SL_SCHED_CHBL, 1, 1250, 0, s->b, n + 1);
			moved = wrong = 0;
			for (i = 0; i < KEYS; i++) {
				int b = sl_table_first(t1, keys[i]);

				moved += b != before[i];
				wrong += b != before[i] && (u32)b != n;
			}
			CHECK(!wrong, "n=%u add: %u keys moved to old backends", n, wrong);
			f = (double)moved / KEYS;
			sum_add += f;
			max_add = f > max_add ? f : max_add;
			sl_table_free(t1);
		}
		CHECK(sum_rm / TRIES <= 1.2 / n, "n=%u: removal moves %.5f, 1/N = %.5f", n,
		      sum_rm / TRIES, 1.0 / n);
		CHECK(sum_add / TRIES <= 1.2 / n, "n=%u: addition moves %.5f, 1/N = %.5f", n,
		      sum_add / TRIES, 1.0 / n);
		t_note("n=%u: remove %.3f/N (max %.3f/N), add %.3f/N (max %.3f/N)", n,
		       sum_rm / TRIES * n, max_rm * n, sum_add / TRIES * n, max_add * n);
		sl_table_free(t0);
		t_set_free(s);
		t_set_free(rm);
	}
	free(keys);
	free(before);
}

/* Changing one backend's weight moves keys only to or from it. */
static void reweight_moves_only_it(void)
{
	struct t_set *s = t_set_new(50, 10, 90);
	struct t_rng r = { t_seed() + 21 };
	struct sl_table_info i0, i1;
	struct sl_table *t0, *t1;
	u32 i, j, x, wrong, moved;

	t0 = t_build(SL_SCHED_CHBL, 3, 1250, 0, s->b, 50);
	sl_table_get_info(t0, &i0);
	for (j = 0; j < 20; j++) {
		x = t_below(&r, 50);
		s->b[x].weight = j & 1 ? 13 : 8;	/* mean stays near 10: same scale */
		t1 = t_build(SL_SCHED_CHBL, 3, 1250, 0, s->b, 50);
		sl_table_get_info(t1, &i1);
		CHECK(i1.ring_shift == i0.ring_shift);
		wrong = moved = 0;
		for (i = 0; i < 100000; i++) {
			u64 h = t_next(&r);
			u32 a = sl_table_first(t0, h), b = sl_table_first(t1, h);

			moved += a != b;
			wrong += a != b && a != x && b != x;
		}
		CHECK(!wrong && moved, "reweight %u: %u of %u moves not involving it",
		      x, wrong, moved);
		s->b[x].weight = 10;
		sl_table_free(t1);
	}
	sl_table_free(t0);
	t_set_free(s);
}

/* A caller whose counts went wrong (total <= 0) still gets a defined pick. */
static void odd_totals(void)
{
	struct t_set *s = t_set_new(4, 1, 80);
	struct sl_table *t;
	atomic_t total;
	u32 i;
	int x;
	bool ov;

	t = t_build(SL_SCHED_CHBL, 0, 1250, 0, s->b, 4);
	for (i = 0; i < 1000; i++) {
		atomic_set(&total, -(int)i);
		atomic_set(&s->load[i % 4], -3);
		x = sl_table_pick(t, sl_hash(&i, 4, 0), &total, &ov);
		CHECK(x >= 0 && x < 4);
		CHECK(atomic_read(&total) == 1 - (int)i);
		atomic_set(&s->load[0], 0);
		atomic_set(&s->load[1], 0);
		atomic_set(&s->load[2], 0);
		atomic_set(&s->load[3], 0);
	}
	/* a total near INT_MAX: caps do not overflow */
	atomic_set(&total, 0x7ffffffe);
	atomic_set(&s->load[0], 0x7ffffff0);
	atomic_set(&s->load[1], 0x7ffffff0);
	atomic_set(&s->load[2], 0x7ffffff0);
	atomic_set(&s->load[3], 0x7ffffff0);
	x = sl_table_pick(t, 1, &total, &ov);
	CHECK(x >= 0 && x < 4);
	sl_table_free(t);
	t_set_free(s);
}

SL_TESTS(chbl_tests) = {
	SL_T(ring_structure),
	SL_T(ring_scale),
	SL_T(ring_weights),
	SL_T(ring_weights_small),
	SL_T(weight_extreme),
	SL_T(backends_10000),
	SL_T(fits_vs_cap),
	SL_T(pick_first_when_room),
	SL_T(probe_order),
	SL_T(overflow_follows_order),
	SL_T(fallback_least_loaded),
	SL_T(drained_never_chosen),
	SL_T(disruption),
	SL_T(reweight_moves_only_it),
	SL_T(odd_totals),
};
const unsigned int chbl_ntests = sizeof(chbl_tests) / sizeof(chbl_tests[0]);
