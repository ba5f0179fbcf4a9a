// SPDX-License-Identifier: GPL-2.0
/*
 * sluice: what the two schedulers share: parameters, the key hash, the cap
 * formula, the build front end (validation, ordering the backends by id)
 * and the lookup entry points, which dispatch on the table's kind.
 *
 * Pure algorithm, compiled into the module and into the userspace tests
 * (see sched.h). The pick path is lock-free: it reads the immutable table
 * and changes only the caller's atomic counters.
 */
#define SL_SCHED_PRIVATE
#include "sched.h"

/* Trial division by 6k +- 1: at most 21,845 divisions for a u32. */
bool sl_prime(u32 n)
{
	u32 d;

	if (n < 4)
		return n >= 2;
	if (!(n % 2) || !(n % 3))
		return false;
	for (d = 5; (u64)d * d <= n; d += 6)
		if (!(n % d) || !(n % (d + 2)))
			return false;
	return true;
}

/*
 * Which field of @p is wrong, as a message for the user (extended ACK), or
 * NULL. Only the fields of the chosen kind are checked: balance_milli for
 * chbl, maglev_size for maglev; the seed takes any value.
 */
const char *sl_params_error(const struct sl_sched_params *p)
{
	if (!p)
		return "no scheduler parameters";
	switch (p->kind) {
	case SL_SCHED_CHBL:
		if (p->balance_milli < SL_BALANCE_MIN_MILLI ||
		    p->balance_milli > SL_BALANCE_MAX_MILLI)
			return "balance factor must be above 1 and at most 100 (balance_milli 1001..100000)";
		return NULL;
	case SL_SCHED_MAGLEV:
		if (p->maglev_size < SL_MAGLEV_MIN_SIZE ||
		    p->maglev_size > SL_MAGLEV_MAX_SIZE)
			return "maglev table size must be between 251 and 1048573";
		if (!sl_prime(p->maglev_size))
			return "maglev table size must be a prime";
		return NULL;
	default:
		return "unknown scheduler";
	}
}

int sl_params_check(const struct sl_sched_params *p)
{
	return sl_params_error(p) ? -EINVAL : 0;
}

/*
 * The key hash: 8 bytes at a time through a multiply-rotate round, the
 * tail in 4- and 1-byte steps, then a full-avalanche finalizer. Bytes are
 * read little-endian whatever the CPU, so every host of every architecture
 * computes the same value for the same bytes and seed.
 */
#define SL_K1 0x9e3779b185ebca87ULL
#define SL_K2 0xc2b2ae3d27d4eb4fULL
#define SL_K3 0x165667b19e3779f9ULL

static inline u64 sl_rotl64(u64 x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline u64 sl_le64(const u8 *p)
{
	return (u64)p[0] | (u64)p[1] << 8 | (u64)p[2] << 16 |
	       (u64)p[3] << 24 | (u64)p[4] << 32 | (u64)p[5] << 40 |
	       (u64)p[6] << 48 | (u64)p[7] << 56;
}

static inline u32 sl_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

u64 sl_hash(const void *data, u32 len, u32 seed)
{
	const u8 *p = data;
	u64 h = ((u64)seed << 32 | seed) ^ SL_K3 ^ ((u64)len * SL_K1);

	while (len >= 8) {
		h ^= sl_rotl64(sl_le64(p) * SL_K2, 31) * SL_K1;
		h = sl_rotl64(h, 27) * SL_K1 + SL_K3;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		h ^= (u64)sl_le32(p) * SL_K1;
		h = sl_rotl64(h, 23) * SL_K2 + SL_K3;
		p += 4;
		len -= 4;
	}
	while (len--) {
		h ^= (u64)*p++ * SL_K3;
		h = sl_rotl64(h, 11) * SL_K1;
	}
	return sl_mix64(h);
}

/*
 * The cap of a backend of weight @weight when the service counts @total
 * live connections (the new one included): ceil(c * total * w / W), with
 * c = balance_milli / 1000, in exact integer arithmetic:
 * ceil(balance_milli * w * total / (1000 * W)). The numerator is at most
 * 100000 * 65535 * 2^31 < 1.41e19 < 2^64 (total is an atomic_t, so at most
 * 2^31; larger values are clamped there); the denominator at most
 * 1000 * 65535 * 16384 < 2^40. 0 when W or w is 0.
 */
u64 sl_cap(u32 balance_milli, u32 total, u32 weight, u64 weight_sum)
{
	u64 num, den, q;

	if (!weight_sum || !weight)
		return 0;
	if (total > (1u << 31))
		total = 1u << 31;
	num = (u64)balance_milli * weight * total;
	den = 1000 * weight_sum;
	q = div64_u64(num, den);
	return q + (q * den != num);
}

/* sl_fits() for loads below 1 or above 2^23 (sched.h). */
bool sl_fits_slow(u32 l1, u64 mwt, u64 den)
{
	u64 p;

	if ((s32)(l1 + 1) <= 0)
		return true;
	if (check_mul_overflow((u64)l1, den, &p))
		return false;
	return p < mwt;
}

/* Heap sort of backend indexes by id: no recursion, no extra memory. */
static void sl_sift(u16 *a, u32 root, u32 n, const struct sl_sched_backend *b)
{
	u16 v = a[root];
	u64 key = b[v].id;

	for (;;) {
		u32 c = 2 * root + 1;

		if (c >= n)
			break;
		if (c + 1 < n && b[a[c + 1]].id > b[a[c]].id)
			c++;
		if (b[a[c]].id <= key)
			break;
		a[root] = a[c];
		root = c;
	}
	a[root] = v;
}

static void sl_sort_by_id(u16 *a, u32 n, const struct sl_sched_backend *b)
{
	u32 i, end;
	u16 tmp;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;)
		sl_sift(a, i, n, b);
	for (end = n - 1; end > 0; end--) {
		tmp = a[0];
		a[0] = a[end];
		a[end] = tmp;
		sl_sift(a, 0, end, b);
	}
}

void sl_table_free(struct sl_table *t)
{
	if (IS_ERR_OR_NULL(t))
		return;
	if (t->kind == SL_SCHED_MAGLEV) {
		kvfree(t->mag.lookup);
	} else {
		kvfree(t->ring.bkt);
		kvfree(t->ring.pts);
	}
	kvfree(t->active);
	kvfree(t->be);
	kfree(t);
}

/*
 * Build a table for the @n backends @b (see sched.h). Everything derives
 * from the params and the set of {id, weight}: backends are ordered by id
 * here, so the order of b[] only decides which index a result refers to.
 * -EINVAL: bad params, n > SL_BACKENDS_MAX, a weight above SL_WEIGHT_MAX,
 * an active backend without a load counter, or two backends with one id.
 */
struct sl_table *sl_table_build(const struct sl_sched_params *p,
				const struct sl_sched_backend *b, u32 n)
{
	struct sl_table *t;
	u32 i, na = 0;
	u64 wsum = 0;
	int err;

	if (sl_params_check(p) || n > SL_BACKENDS_MAX || (n && !b))
		return ERR_PTR(-EINVAL);
	for (i = 0; i < n; i++) {
		if (b[i].weight > SL_WEIGHT_MAX ||
		    (b[i].weight && !b[i].load))
			return ERR_PTR(-EINVAL);
		if (b[i].weight) {
			na++;
			wsum += b[i].weight;
		}
	}

	t = kzalloc(sizeof(*t), SL_GFP_CONF);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->kind = p->kind;
	t->n = n;
	t->n_active = na;
	t->seed = p->seed;
	t->balance_milli = p->balance_milli;
	t->wsum = wsum;
	t->den = 1000 * wsum;
	t->bytes = sizeof(*t);

	err = -ENOMEM;
	t->be = kvmalloc_array(n ? n : 1, sizeof(*t->be) + sizeof(*t->cold),
			       SL_GFP_CONF);
	t->active = kvmalloc_array(n ? n : 1, sizeof(*t->active), SL_GFP_CONF);
	if (!t->be || !t->active)
		goto fail;
	t->cold = (struct sl_tbe_cold *)(t->be + (n ? n : 1));
	t->bytes += (n ? n : 1) * (sizeof(*t->be) + sizeof(*t->cold) +
				   sizeof(*t->active));

	for (i = 0; i < n; i++) {
		t->be[i].load = b[i].load;
		t->be[i].mw = (u64)p->balance_milli * b[i].weight;
		t->cold[i].weight = b[i].weight;
		t->cold[i].rank = 0;
		t->active[i] = i;
	}
	sl_sort_by_id(t->active, n, b);
	err = -EINVAL;
	for (i = 1; i < n; i++)
		if (b[t->active[i]].id == b[t->active[i - 1]].id)
			goto fail;
	/* keep the active ones, still in id order */
	for (i = 0, na = 0; i < n; i++) {
		if (b[t->active[i]].weight) {
			t->cold[t->active[i]].rank = na;
			t->active[na++] = t->active[i];
		}
	}
	t->n_active = na;

	if (t->kind == SL_SCHED_MAGLEV) {
		t->mag.size = p->maglev_size;
		err = sl_maglev_build(t, b);
	} else {
		err = sl_chbl_build(t, b);
	}
	if (err)
		goto fail;
	if (na)
		t->mode = t->kind == SL_SCHED_MAGLEV ? SL_MODE_MAGLEV : SL_MODE_CHBL;
	return t;

fail:
	sl_table_free(t);
	return ERR_PTR(err);
}

size_t sl_table_bytes(const struct sl_table *t)
{
	return IS_ERR_OR_NULL(t) ? 0 : t->bytes;
}

void sl_table_get_info(const struct sl_table *t, struct sl_table_info *info)
{
	memset(info, 0, sizeof(*info));
	if (IS_ERR_OR_NULL(t))
		return;
	info->kind = t->kind;
	info->n = t->n;
	info->n_active = t->n_active;
	info->weight_sum = t->wsum;
	if (t->kind == SL_SCHED_MAGLEV) {
		info->maglev_size = t->mag.size;
	} else {
		info->ring_points = t->ring.npoints;
		info->ring_buckets = t->ring.nbkt;
		info->ring_shift = t->ring.shift;
	}
	info->bytes = t->bytes;
}

/*
 * The key's first choice, ignoring load: an index into the b[] given to
 * the build, or -1 when no backend has weight > 0 (or @t is NULL).
 */
int sl_table_first(const struct sl_table *t, u64 hash)
{
	if (unlikely(!t))
		return -1;
	switch (t->mode) {
	case SL_MODE_CHBL:
		return sl_chbl_find(t, hash);
	case SL_MODE_MAGLEV:
		return sl_maglev_find(t, hash);
	default:
		return -1;
	}
}

static __always_inline int sl_pick(const struct sl_table *t, u64 hash,
				   atomic_t *total, bool *overflow,
				   struct sl_pick_info *info)
{
	const struct sl_tbe *be;
	int tot, load;
	u32 f;

	*overflow = false;
	if (unlikely(!t || t->mode != SL_MODE_CHBL)) {
		if (t && t->mode == SL_MODE_MAGLEV) {
			/* stateless: the counters only count */
			f = sl_maglev_find(t, hash);
			if (!info) {
				atomic_inc(total);
				atomic_inc(t->be[f].load);
				return f;
			}
			memset(info, 0, sizeof(*info));
			info->total = atomic_inc_return(total);
			info->load = atomic_inc_return(t->be[f].load);
			info->first = info->chosen = f;
			return f;
		}
		if (info) {
			memset(info, 0, sizeof(*info));
			info->first = info->chosen = -1;
		}
		return -1;
	}

	/*
	 * CHBL. Count the connection in the total first, then claim a slot
	 * on a backend with one atomic increment and keep it only if the
	 * value it returned is within the cap for that total (see chbl.c).
	 */
	tot = atomic_inc_return(total);
	f = sl_chbl_find(t, hash);
	be = &t->be[f];
	load = atomic_inc_return(be->load);
	/*
	 * A total below 1 means the caller's counters went wrong: the caps
	 * are then meaningless (the product wraps, as unsigned arithmetic
	 * does), but the result is still a backend of weight > 0.
	 */
	if (likely(sl_fits((u32)load - 1, be->mw * (u32)tot, t->den))) {
		if (info) {
			memset(info, 0, sizeof(*info));
			info->first = info->chosen = f;
			info->total = tot;
			info->load = load;
			info->cap = sl_cap(t->balance_milli, tot, t->cold[f].weight,
					   t->wsum);
		}
		return f;
	}
	atomic_dec(be->load);
	return sl_chbl_overflow(t, hash, total, f, overflow, info);
}

/*
 * Pick a backend for a new connection and count it (sched.h): increments
 * *total and the chosen backend's load; the caller releases both with
 * atomic_dec(). -1, nothing counted, when no backend has weight > 0.
 */
int sl_table_pick(const struct sl_table *t, u64 hash, atomic_t *total,
		  bool *overflow)
{
	return sl_pick(t, hash, total, overflow, NULL);
}

/* sl_table_pick(), also telling how the choice was made. */
int sl_table_pick_info(const struct sl_table *t, u64 hash, atomic_t *total,
		       bool *overflow, struct sl_pick_info *info)
{
	return sl_pick(t, hash, total, overflow, info);
}

/*
 * The order in which a pick considers the backends for @hash: the first
 * choice, then (chbl) every other active backend once, in the key's probe
 * order. Writes at most @max indexes into b[] to @out; returns how many it
 * wrote. Maglev has no probe order: just the first choice.
 */
u32 sl_table_order(const struct sl_table *t, u64 hash, int *out, u32 max)
{
	if (!t || t->mode == SL_MODE_EMPTY || !max)
		return 0;
	if (t->mode == SL_MODE_MAGLEV) {
		out[0] = sl_maglev_find(t, hash);
		return 1;
	}
	return sl_chbl_order(t, hash, out, max);
}
