// SPDX-License-Identifier: GPL-2.0
/*
 * sluice: Maglev hashing.
 *
 * D. E. Eisenbud et al., "Maglev: A Fast and Reliable Software Network
 * Load Balancer", NSDI 2016, section 3.4: every backend has a permutation
 * of the M slots of a lookup table (M prime), permutation[j] =
 * (offset + j * skip) mod M with offset in [0, M) and skip in [1, M)
 * derived from the backend; backends take turns claiming the next slot of
 * their permutation that is still free, until the table is full. A key
 * goes to table[hash mod M]. Each backend gets M/N slots to within one,
 * and removing a backend moves its slots and few others.
 *
 * Here:
 * - offset and skip derive from the backend's id and the seed only, and
 *   backends take their turns in id order, so the table depends on the
 *   set of {id, weight} and the seed, not on the order of b[];
 * - weights: a backend of weight w gets turns in proportion to w (weights
 *   divided by their gcd, as IPVS mh does), interleaved by stride
 *   scheduling: the k-th turn of backend i comes at virtual time
 *   (k + 1/2) / w_i, ties in id order, compared exactly in integers. With
 *   equal weights that is plain round robin, as in the paper; unlike
 *   giving a backend all its turns in a row, it keeps shares
 *   proportional when a weight is large next to M. Weight 0: not in the
 *   table;
 * - the pick is stateless: table[hash mod M], never an overflow; the load
 *   and total counters are incremented only for counting.
 *
 * Build cost is O(M log M) expected (the paper's 1.8 ms for M = 65537),
 * plus O(M log n) for the turn order when weights differ; memory 2 bytes
 * per slot.
 */
#define SL_SCHED_PRIVATE
#include "sched.h"

#define SL_SALT_OFFSET	0xa4093822299f31d0ULL
#define SL_SALT_SKIP	0x082efa98ec4e6c89ULL

/* Turn order: a binary heap of ranks by (2 * turns + 1) / weight, rank. */
struct sl_turns {
	u16 *heap;
	u32 *wt;	/* weight / gcd */
	u32 *cnt;	/* turns taken */
	u32 n;
};

static inline bool sl_turn_before(const struct sl_turns *s, u16 a, u16 b)
{
	u64 ka = (2 * (u64)s->cnt[a] + 1) * s->wt[b];
	u64 kb = (2 * (u64)s->cnt[b] + 1) * s->wt[a];

	return ka < kb || (ka == kb && a < b);
}

static void sl_turns_sift(struct sl_turns *s, u32 root)
{
	u16 v = s->heap[root];

	for (;;) {
		u32 c = 2 * root + 1;

		if (c >= s->n)
			break;
		if (c + 1 < s->n && sl_turn_before(s, s->heap[c + 1], s->heap[c]))
			c++;
		if (!sl_turn_before(s, s->heap[c], v))
			break;
		s->heap[root] = s->heap[c];
		root = c;
	}
	s->heap[root] = v;
}

static inline u32 sl_gcd32(u32 a, u32 b)
{
	while (b) {
		u32 r = a % b;

		a = b;
		b = r;
	}
	return a;
}

int sl_maglev_build(struct sl_table *t, const struct sl_sched_backend *b)
{
	u32 na = t->n_active, m = t->mag.size, r, g = 0, filled, c;
	u64 salt_off, salt_skip;
	struct sl_turns s = {};
	u32 *next = NULL, *skip = NULL;
	bool equal;
	u16 *lookup;
	int err = -ENOMEM;

	lookup = kvmalloc_array(m, sizeof(*lookup), SL_GFP_CONF);
	if (!lookup)
		return -ENOMEM;
	t->mag.lookup = lookup;
	t->bytes += (size_t)m * sizeof(*lookup);
	memset(lookup, 0xff, (size_t)m * sizeof(*lookup));
	if (!na)
		return 0;

	next = kmalloc_array(na, sizeof(*next), SL_GFP_CONF);
	skip = kmalloc_array(na, sizeof(*skip), SL_GFP_CONF);
	s.wt = kmalloc_array(na, sizeof(*s.wt), SL_GFP_CONF);
	s.cnt = kcalloc(na, sizeof(*s.cnt), SL_GFP_CONF);
	s.heap = kmalloc_array(na, sizeof(*s.heap), SL_GFP_CONF);
	if (!next || !skip || !s.wt || !s.cnt || !s.heap)
		goto out;

	salt_off = sl_mix64(((u64)t->seed << 32 | t->seed) ^ SL_SALT_OFFSET);
	salt_skip = sl_mix64(((u64)t->seed << 32 | t->seed) ^ SL_SALT_SKIP);
	for (r = 0; r < na; r++) {
		u64 id = b[t->active[r]].id;

		div_u64_rem(sl_mix64(id ^ salt_off), m, &next[r]);
		div_u64_rem(sl_mix64(id ^ salt_skip), m - 1, &skip[r]);
		skip[r]++;
		g = sl_gcd32(b[t->active[r]].weight, g);
	}
	equal = true;
	for (r = 0; r < na; r++) {
		s.wt[r] = b[t->active[r]].weight / g;
		if (s.wt[r] != 1)
			equal = false;
		s.heap[r] = r;
	}
	s.n = na;
	/* ranks in order with cnt = 0: keys (1 / w) need a real heap */
	if (!equal)
		for (r = na / 2; r-- > 0;)
			sl_turns_sift(&s, r);

	for (filled = 0, r = 0; filled < m; filled++) {
		if (!equal) {
			r = s.heap[0];
			s.cnt[r]++;
			sl_turns_sift(&s, 0);
		}
		/* the next free slot of r's permutation */
		do {
			c = next[r];
			next[r] += skip[r];
			if (next[r] >= m)
				next[r] -= m;
		} while (lookup[c] != SL_MAGLEV_EMPTY);
		lookup[c] = t->active[r];
		if (equal && ++r >= na)
			r = 0;
	}
	err = 0;
out:
	kfree(next);
	kfree(skip);
	kfree(s.wt);
	kfree(s.cnt);
	kfree(s.heap);
	return err;
}
