// SPDX-License-Identifier: GPL-2.0
/*
 * sluice: consistent hashing with bounded loads (CHBL).
 *
 * V. Mirrokni, M. Thorup, M. Zadimoghaddam, "Consistent Hashing with
 * Bounded Loads", SODA 2018 (arXiv:1608.01350): a key goes to its
 * successor on a consistent-hashing ring unless that backend is full; a
 * backend is full when it holds its share of c times the average load.
 *
 * THE GUARANTEE. Let t be the service's live connection count including
 * the new one, W the sum of the weights of the backends with weight > 0,
 * c = balance_milli / 1000 > 1. A connection is assigned to backend i only
 * if, counting it, load_i <= cap_i = ceil(c * t * w_i / W). Backends of
 * weight 0 (draining) never receive one. The key's first choice (its ring
 * successor) is taken whenever it has room, so a key keeps its backend as
 * long as that backend is not overloaded. The caps add up to at least
 * c * t > t - 1 >= the connections the active backends hold, so in a
 * sequential run some backend always has room. Under concurrency every
 * backend can read full for an instant (the claims of picks in flight are
 * in the loads); then the total is read again and, if it grew, the
 * backends are probed once more with the larger total's caps; only if all
 * are still full does the connection go to the backend least loaded for
 * its weight, as Envoy does (sl_pick_info.fallback). In the unit tests'
 * stress runs that happens once in millions of picks, with c = 1.001.
 *
 * WHY IT HOLDS ON MANY CPUS AT ONCE. A pick first counts itself in the
 * service total (t = atomic_inc_return(total)) and computes caps from that
 * t. It then claims a slot on a candidate with l = atomic_inc_return(load)
 * and keeps it only if l <= cap; otherwise it gives it back (atomic_dec)
 * and moves on. The read-modify-write is the whole admission test: the
 * value it returns counts every connection admitted to that backend and
 * not yet released, plus any concurrent claim not yet given back, so it is
 * never below the backend's real load. Two CPUs cannot both take the last
 * free slot: the second increment returns cap + 1 and is undone. (A
 * check-then-increment, load < cap then inc, would let both in; the plain
 * read before a probe's increment only skips backends already full.) And
 * t is never below the connections it must account for: every connection
 * in any load was counted in the total before it was claimed. The only
 * slack: a release that completes during the few nanoseconds of a pick
 * lowers a total that pick already read, as if the release had come just
 * after the assignment. A claim being given back may make a concurrent
 * pick see a backend as full one slot early: that costs affinity, never
 * the bound.
 *
 * THE RING. Every backend of weight > 0 gets points on a 32-bit ring at
 * positions derived from its id and the seed only (point j of backend x is
 * the top half of splitmix64(mix(x.id ^ salt(seed)) + (j + 1) * golden)),
 * never from its index: removing a backend moves exactly the keys of its
 * arcs, adding one moves only keys onto it. Ties are broken by id.
 *
 * WEIGHTS TO POINTS. Backend i gets p_i = max(1, round(w_i * 1024 / 2^s))
 * points. s is chosen so that a backend of average weight w^ = W / n gets
 * between 1024/sqrt(2) and 1024*sqrt(2) points: s = floor(log2(w^ * sqrt2)),
 * computed exactly as floor(floor(log2(2 W^2 / n^2)) / 2); then raised
 * while the ring would exceed SL_CHBL_RING_MAX (4M) points. Consequences:
 * - the ring has about 1,024 points per backend whatever the weights' scale
 *   (weights 1, 100 or 65535 alike) up to 2,896..4,096 backends; a
 *   backend's share of first choices deviates from its weight's share by
 *   about 1/sqrt(p_i): 4.4% for the weight-1 backend of a 1:2:3 set, where
 *   100 points gave 14% (Documentation/scheduler.md has the trade-off);
 * - shares follow weights to within rounding for every backend of at least
 *   a quarter of the average weight; a much lighter one (weight 1 next to
 *   65535) keeps one point, more than its weight's share of first
 *   choices, and its cap holds it to its weight;
 * - s depends on the set only through W / n, where that crosses a
 *   threshold 2^k / sqrt(2) (integer weights that are all equal never sit
 *   on one), and through the 4M cap: with equal weights, adding or
 *   removing backends never rescales the ring below 2,896 backends.
 *   Otherwise every backend's point count halves or doubles and a large
 *   share of keys (up to about half) moves once. sl_table_info.ring_shift
 *   shows s, so that such a rebuild can be told apart.
 *
 * O(1) LOOKUP. The points are one sorted array of (position << 32 |
 * owner), owner an index into b[], with an index of nbkt = 2^b >= npoints
 * buckets over the ring: bkt[k] is the first point at or after the start
 * of bucket k. A key's successor is found from its top b bits: the point
 * bkt[k] names or one of the next (fewer than one point per bucket on
 * average), one step taken without a branch. No binary search: at
 * N = 1,000 a first choice costs 1.7 times the instructions of Maglev's
 * table[hash % M]. Memory: 8 bytes per point, 4 per bucket, about 13 KB
 * per backend. Build: a two-level radix sort (see sl_chbl_place()) that
 * stays in cache, O(npoints + nbkt + n log n), with a scratch array of 8
 * bytes per point for the duration of the build.
 *
 * PROBE ORDER. When the first choice is full, the other active backends
 * are tried in an order seeded by the key's hash, as Envoy does (it cites
 * Chen, Coleman, Shrivastava, "Revisiting Consistent Hashing with Bounded
 * Loads", AAAI 2021): the keys that overflow one backend spread over all
 * the others instead of all falling on its ring successor, which would
 * fill up and push its own keys further (the cascade of the plain
 * next-on-the-ring walk). Envoy shuffles a host array with a PRNG seeded
 * by the hash, O(n) time and memory per overflow; here the order is double
 * hashing over the active backends sorted by id: x = mix(hash ^ salt),
 * start a uniform among the positions other than the first choice's (so
 * the second choice is uniform over the others), step d from a table of 64
 * strides coprime to n chosen from the seed at build time. Positions
 * a + k*d mod n visit every active backend exactly once in n steps:
 * deterministic per key and seed, O(1) state, no allocation on the packet
 * path. A candidate whose load already reads full is passed over with a
 * plain read, without an atomic increment.
 */
#define SL_SCHED_PRIVATE
#include "sched.h"

#define SL_SALT_POINTS	0x243f6a8885a308d3ULL
#define SL_SALT_PROBE	0x13198a2e03707344ULL
#define SL_GOLDEN	0x9e3779b97f4a7c15ULL

static inline u32 sl_log2_u64(u64 x)
{
	return 63 - __builtin_clzll(x);
}

static inline u32 sl_gcd(u32 a, u32 b)
{
	while (b) {
		u32 r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/* Points of a backend of weight @w at scale @shift. */
static inline u32 sl_points(u32 w, u32 shift)
{
	u32 p = (w * SL_CHBL_POINTS + ((1u << shift) >> 1)) >> shift;

	return p ? p : 1;
}

static inline u64 sl_point_key(u64 id, u64 salt)
{
	return sl_mix64(id ^ salt);
}

static inline u32 sl_point(u64 key, u32 j)
{
	return (u32)(sl_mix64(key + (u64)(j + 1) * SL_GOLDEN) >> 32);
}

static void sl_chbl_strides(struct sl_table *t)
{
	u32 na = t->n_active, k, s, rem;

	for (k = 0; k < SL_CHBL_STRIDES; k++) {
		if (na <= 2) {
			t->ring.strides[k] = 1;
			continue;
		}
		div_u64_rem(sl_mix64(t->ring.salt + k), na - 1, &rem);
		s = rem + 1;
		while (sl_gcd(s, na) != 1)
			s = s % (na - 1) + 1;	/* 1 is coprime: ends */
		t->ring.strides[k] = s;
	}
}

/*
 * Place the ring's points in order: a two-level radix sort that stays in
 * cache whatever the ring's size. The points, (position << 32 | rank), are
 * generated once, in rank order, into pts[]; level 1 deals them into a
 * scratch array by coarse range (2^cbits ranges of about 1024 buckets);
 * level 2 deals each coarse range back into pts[] by bucket, which sets
 * bkt[], and sorts each bucket (~1 point) by insertion. Equal positions
 * end up in rank (id) order.
 */
static int sl_chbl_place(struct sl_table *t, const struct sl_sched_backend *b,
			 u64 salt)
{
	u32 na = t->n_active, np = t->ring.npoints, bbits = 64 - t->ring.bshift;
	u32 cbits = bbits > 18 ? 8 : bbits > 10 ? bbits - 10 : 0;
	u32 nc = 1u << cbits, fbits = bbits - cbits, fmask = (1u << fbits) - 1;
	u32 r, j, k, f, i, p, s, e, c;
	const u16 *act = t->active;
	u64 *pts = t->ring.pts, *tmp, key, v;
	u32 *bkt = t->ring.bkt, *cc;

	cc = kcalloc(nc + 1, sizeof(*cc), SL_GFP_CONF);
	tmp = kvmalloc_array(np, sizeof(*tmp), SL_GFP_CONF);
	if (!cc || !tmp) {
		kfree(cc);
		kvfree(tmp);
		return -ENOMEM;
	}
	for (r = 0, i = 0; r < na; r++) {
		key = sl_point_key(b[act[r]].id, salt);
		p = sl_points(b[act[r]].weight, t->ring.shift);
		for (j = 0; j < p; j++, i++) {
			c = sl_point(key, j);
			pts[i] = (u64)c << 32 | r;	/* rank in id order, for now */
			cc[((u64)c << cbits) >> 32]++;
		}
	}
	for (k = 0, s = 0; k < nc; k++) {
		s += cc[k];
		cc[k] = s;	/* end of range k; the deal moves it to its start */
	}
	cc[nc] = s;
	for (i = 0; i < np; i++) {
		v = pts[i];
		tmp[--cc[((v >> 32) << cbits) >> 32]] = v;
	}

	for (k = 0; k < nc; k++) {
		u32 *fb = &bkt[k << fbits];

		s = cc[k];
		e = cc[k + 1];
		for (i = s; i < e; i++)
			fb[(tmp[i] >> (64 - bbits)) & fmask]++;
		for (f = 0, c = s; f <= fmask; f++) {
			c += fb[f];
			fb[f] = c;
		}
		for (i = s; i < e; i++) {
			v = tmp[i];
			pts[--fb[(v >> (64 - bbits)) & fmask]] = v;
		}
		/* fb[f] is now the first point of bucket f; sort within buckets */
		for (i = s + 1; i < e; i++) {
			v = pts[i];
			if (pts[i - 1] <= v)
				continue;
			j = i;
			do {
				pts[j] = pts[j - 1];
				j--;
			} while (j > s && pts[j - 1] > v);
			pts[j] = v;
		}
	}
	bkt[1u << bbits] = np;
	kvfree(tmp);
	kfree(cc);
	return 0;
}

int sl_chbl_build(struct sl_table *t, const struct sl_sched_backend *b)
{
	const u16 *act = t->active;
	u32 na = t->n_active, r, i, bbits, nb, shift;
	u64 salt, sum, *pts;
	u16 rank0;
	int err;

	salt = sl_mix64(((u64)t->seed << 32 | t->seed) ^ SL_SALT_POINTS);
	t->ring.salt = sl_mix64(((u64)t->seed << 32 | t->seed) ^ SL_SALT_PROBE);
	if (!na)
		return 0;

	/* scale: the average backend gets 1024/sqrt2 .. 1024*sqrt2 points */
	shift = sl_log2_u64(div64_u64(2 * t->wsum * t->wsum, (u64)na * na)) / 2;
	for (;;) {
		sum = 0;
		for (r = 0; r < na; r++)
			sum += sl_points(b[act[r]].weight, shift);
		if (sum <= SL_CHBL_RING_MAX)
			break;
		shift++;	/* ends: at most 16384 points at 1 each */
	}
	t->ring.shift = shift;
	t->ring.npoints = sum;
	bbits = sum > 1 ? sl_log2_u64(sum - 1) + 1 : 1;
	nb = 1u << bbits;
	t->ring.nbkt = nb;
	t->ring.bshift = 64 - bbits;

	t->ring.bkt = kvcalloc(nb + 1, sizeof(*t->ring.bkt), SL_GFP_CONF);
	t->ring.pts = kvmalloc_array(sum + 1, sizeof(*pts), SL_GFP_CONF);
	if (!t->ring.bkt || !t->ring.pts)
		return -ENOMEM;
	t->bytes += (nb + 1) * sizeof(*t->ring.bkt) + (sum + 1) * sizeof(*pts);
	pts = t->ring.pts;

	err = sl_chbl_place(t, b, salt);
	if (err)
		return err;

	/* ranks become indexes into b[]; the sentinel wraps to the first */
	rank0 = (u16)pts[0];
	for (i = 0; i < sum; i++)
		pts[i] = (pts[i] & 0xffffffff00000000ULL) | act[(u16)pts[i]];
	pts[sum] = 0xffffffff00000000ULL | act[rank0];

	sl_chbl_strides(t);
	return 0;
}

/*
 * Where the probe order of @hash starts, and its step, over active[]: the
 * start is uniform over the positions other than the first choice's
 * (@skip), so that the second choice is uniform over the other backends.
 * Needs n_active >= 2.
 */
static inline void sl_probe_start(const struct sl_table *t, u64 hash, u32 skip,
				  u32 *pos, u32 *step)
{
	u64 x = sl_mix64(hash ^ t->ring.salt);

	*pos = (u32)(((x & 0xffffffffULL) * (t->n_active - 1)) >> 32);
	if (*pos >= skip)
		(*pos)++;
	*step = t->ring.strides[x >> (64 - SL_CHBL_STRIDES_BITS)];
}

u32 sl_chbl_order(const struct sl_table *t, u64 hash, int *out, u32 max)
{
	u32 na = t->n_active, pos, step, k, cnt = 0, f = sl_chbl_find(t, hash);

	out[cnt++] = f;
	if (na < 2)
		return cnt;
	sl_probe_start(t, hash, t->cold[f].rank, &pos, &step);
	for (k = 0; k < na && cnt < max; k++) {
		if (pos != t->cold[f].rank)
			out[cnt++] = t->active[pos];
		pos += step;
		if (pos >= na)
			pos -= na;
	}
	return cnt;
}

/* Is @la / @wa below @lb / @wb? Loads below 0 count as 0. */
static inline bool sl_lighter(int la, u32 wa, int lb, u32 wb)
{
	u64 a = la > 0 ? la : 0, c = lb > 0 ? lb : 0;

	return a * wb < c * wa;	/* < 2^31 * 2^16 */
}

/*
 * The first choice @first was full: try the others in the key's probe
 * order, with the caps of the service total as it is now (it counts this
 * connection: the pick counted it before trying @first). If every one
 * reads full, that can only be because other CPUs are assigning at the
 * same time (their claims are in the loads, their connections in the
 * total): read the total again and, if it grew, probe once more with the
 * caps of the larger total. Only then take the least loaded for its
 * weight.
 */
int sl_chbl_overflow(const struct sl_table *t, u64 hash, atomic_t *total,
		     int first, bool *overflow, struct sl_pick_info *info)
{
	u32 na = t->n_active, pos, step, k, probes = 0, round;
	int best, best_load, load, i, now, tot = atomic_read(total);
	bool fallback = false;
	const struct sl_tbe *be;
	u64 mwt;

	for (round = 0; round < 2; round++) {
		best = first;
		best_load = atomic_read(t->be[first].load);
		if (na < 2)
			break;
		sl_probe_start(t, hash, t->cold[first].rank, &pos, &step);
		for (k = 0; k < na; k++) {
			i = t->active[pos];
			pos += step;
			if (pos >= na)
				pos -= na;
			if (i == first)
				continue;
			probes++;
			be = &t->be[i];
			mwt = be->mw * (u32)tot;
			load = atomic_read(be->load);
			if (sl_fits((u32)load, mwt, t->den)) {
				load = atomic_inc_return(be->load);
				if (sl_fits((u32)load - 1, mwt, t->den))
					goto done;
				atomic_dec(be->load);
				load--;
			}
			if (sl_lighter(load, t->cold[i].weight, best_load,
				       t->cold[best].weight)) {
				best = i;
				best_load = load;
			}
		}
		now = atomic_read(total);
		if (now <= tot)
			break;
		tot = now;
	}
	/* every backend at its cap: the least loaded for its weight */
	fallback = true;
	i = best;
	be = &t->be[i];
	load = atomic_inc_return(be->load);
done:
	*overflow = i != first;
	if (info) {
		info->first = first;
		info->chosen = i;
		info->probes = probes;
		info->total = tot;
		info->load = load;
		info->cap = sl_cap(t->balance_milli, tot, t->cold[i].weight, t->wsum);
		info->fallback = fallback;
	}
	return i;
}
