/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sluice: the schedulers' interface. A scheduler table maps a key's hash to
 * one of a service's backends:
 *
 *   SL_SCHED_CHBL    consistent hashing with bounded loads (chbl.c): the
 *                    key's successor on a hash ring, unless that backend
 *                    already holds its share c * (total + 1) * w_i / W of
 *                    the live connections; then the next backend in a
 *                    probe order seeded by the key's hash.
 *   SL_SCHED_MAGLEV  Maglev hashing (maglev.c): a prime-sized lookup table,
 *                    stateless.
 *
 * sched.c, chbl.c and maglev.c are pure algorithm: they are compiled into
 * the module and, unchanged, into the userspace unit tests and benchmark
 * (selftests/unit, bench/algo), where selftests/unit/ucompat.h provides
 * the few kernel facilities below. No printk, no RCU, no locks: the caller
 * builds a table in process context (it may sleep), publishes it with RCU
 * and frees it after a grace period; the table is immutable once built and
 * only the caller's atomic counters change under it.
 *
 * Documentation/scheduler.md explains the algorithms and their guarantees.
 */
#ifndef _SLUICE_SCHED_H
#define _SLUICE_SCHED_H

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include "ucompat.h"
#endif

/*
 * Allocations a configuration request makes (tables, states, services,
 * backends, ingress entries): charged to the requester's memory cgroup,
 * since an unprivileged user owning a network namespace may configure its
 * services; failing with -ENOMEM rather than invoking the OOM killer (a
 * request that does not fit is refused, says so and changes nothing),
 * and without the allocator's warning and stack dump, since the refusal
 * is the report.
 */
#define SL_GFP_CONF	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

enum sl_sched_kind {
	SL_SCHED_CHBL = 0,
	SL_SCHED_MAGLEV = 1,
};

/* Balance factor c, in thousandths: 1 < c <= 100. */
#define SL_BALANCE_MIN_MILLI		1001u
#define SL_BALANCE_MAX_MILLI		100000u
#define SL_BALANCE_DEFAULT_MILLI	1250u

/*
 * Maglev table size M: a prime. 251 is IPVS mh's smallest; 1048573 is the
 * largest prime below 2^20 (2 MiB of u16 entries), which keeps M >= 100 N
 * possible up to N = 10,000 backends, as the Maglev paper advises.
 */
#define SL_MAGLEV_DEFAULT_SIZE		65537u
#define SL_MAGLEV_MIN_SIZE		251u
#define SL_MAGLEV_MAX_SIZE		1048573u

#define SL_WEIGHT_MAX			65535u
/* Backends per table: backend indexes are stored as u16. */
#define SL_BACKENDS_MAX			16384u

/*
 * CHBL ring: about SL_CHBL_POINTS points for a backend of average weight
 * (between 1024/sqrt(2) and 1024*sqrt(2), see chbl.c), never more than
 * SL_CHBL_RING_MAX points in all.
 */
#define SL_CHBL_POINTS			1024u
#define SL_CHBL_RING_MAX		(1u << 22)

struct sl_sched_params {
	u32 kind;		/* enum sl_sched_kind */
	u32 seed;		/* same config and seed => same choices on every host */
	u32 balance_milli;	/* c * 1000 (chbl) */
	u32 maglev_size;	/* prime (maglev) */
};

struct sl_sched_backend {		/* input to the build, one per backend */
	u64 id;			/* stable identity, e.g. sl_hash() of addr+port;
				 * unique within a build */
	u32 weight;		/* 0 = drain: never chosen for new connections */
	atomic_t *load;		/* live connections; owned by the caller, outlives
				 * the table; may be NULL only when weight is 0 */
};

struct sl_table;	/* immutable after build */

/* What a table is made of (stats, tests, benchmark). */
struct sl_table_info {
	u32 kind;
	u32 n;			/* backends given to the build */
	u32 n_active;		/* of which weight > 0 */
	u64 weight_sum;		/* W: sum of the active backends' weights */
	u32 ring_points;	/* chbl: points on the ring */
	u32 ring_buckets;	/* chbl: buckets of the ring's index */
	u32 ring_shift;		/* chbl: points per weight unit = 1024 / 2^shift */
	u32 maglev_size;	/* maglev: M */
	size_t bytes;		/* sl_table_bytes() */
};

/* Details of one pick, for tests and diagnostics (sl_table_pick_info()). */
struct sl_pick_info {
	int first;		/* the key's first choice (sl_table_first()) */
	int chosen;		/* the result */
	u32 probes;		/* backends tried after the first choice */
	int total;		/* the service total this pick counted with */
	int load;		/* the chosen backend's load just after its increment */
	u64 cap;		/* its cap for that total (chbl; 0 for maglev) */
	bool fallback;		/* every backend was at its cap: least loaded taken */
};

bool sl_prime(u32 n);
int sl_params_check(const struct sl_sched_params *p);
const char *sl_params_error(const struct sl_sched_params *p);
u64 sl_hash(const void *data, u32 len, u32 seed);
u64 sl_cap(u32 balance_milli, u32 total, u32 weight, u64 weight_sum);

struct sl_table *sl_table_build(const struct sl_sched_params *p,
				const struct sl_sched_backend *b, u32 n);
void sl_table_free(struct sl_table *t);
size_t sl_table_bytes(const struct sl_table *t);
void sl_table_get_info(const struct sl_table *t, struct sl_table_info *info);

int sl_table_first(const struct sl_table *t, u64 hash);
int sl_table_pick(const struct sl_table *t, u64 hash, atomic_t *total,
		  bool *overflow);
int sl_table_pick_info(const struct sl_table *t, u64 hash, atomic_t *total,
		       bool *overflow, struct sl_pick_info *info);
u32 sl_table_order(const struct sl_table *t, u64 hash, int *out, u32 max);

/*
 * Below: the table's layout, shared by sched.c, chbl.c and maglev.c only
 * (they define SL_SCHED_PRIVATE). Everyone else uses the functions above.
 */
#ifdef SL_SCHED_PRIVATE

#define SL_CHBL_STRIDES_BITS	6
#define SL_CHBL_STRIDES		(1u << SL_CHBL_STRIDES_BITS)
#define SL_MAGLEV_EMPTY		0xffffu

/* Per backend, indexed like the b[] given to the build. */
struct sl_tbe {
	atomic_t *load;
	u64 mw;			/* balance_milli * weight */
};

/* The same, for the overflow path only. */
struct sl_tbe_cold {
	u32 weight;
	u32 rank;		/* position in active[] (weight > 0 only) */
};

enum sl_table_mode {
	SL_MODE_EMPTY = 0,	/* no backend of weight > 0 */
	SL_MODE_CHBL,
	SL_MODE_MAGLEV,
};

struct sl_table {
	/* read by every pick */
	u32 mode;		/* enum sl_table_mode */
	u32 n_active;
	u64 den;		/* 1000 * W: cap_i = ceil(mw_i * total / den) */
	struct sl_tbe *be;
	union {
		struct {
			u32 *bkt;	/* [nbkt + 1]: index of the first point
					 * at or after the bucket's start */
			u64 *pts;	/* [npoints + 1]: the ring's points in
					 * order, position << 32 | owner (index
					 * into b[]); pts[npoints] = U32_MAX << 32
					 * | owner of pts[0], for the wrap */
			u32 bshift;	/* 64 - log2(nbkt) */
			u32 npoints;
			u32 nbkt;
			u32 shift;	/* points per weight unit = 1024 / 2^shift */
			u64 salt;	/* probe order */
			u32 strides[SL_CHBL_STRIDES];
		} ring;
		struct {
			u16 *lookup;	/* [size] */
			u32 size;
		} mag;
	};
	/* overflow path, stats */
	struct sl_tbe_cold *cold; /* [n], in the same allocation as be */
	u16 *active;		/* [n_active]: indexes into b[] of weight > 0, by id */
	u32 kind;
	u32 n;
	u32 seed;
	u32 balance_milli;
	u64 wsum;
	size_t bytes;
};

/* The finalizer of SplitMix64: a bijection with full avalanche. */
static inline u64 sl_mix64(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/*
 * Does a backend whose load is @l1 + 1 after its increment fit under
 * ceil(mwt / den), mwt = balance_milli * w_i * total, den = 1000 * W?
 * load <= ceil(x / d)  <=>  load - 1 < x / d  <=>  (load - 1) * d < x,
 * exact in integers. den < 2^40, so the product fits in u64 while
 * load - 1 < 2^23; beyond, sl_fits_slow() decides (a load of 0 or below,
 * which only a caller's broken counts could produce, fits).
 */
bool sl_fits_slow(u32 l1, u64 mwt, u64 den);

static __always_inline bool sl_fits(u32 l1, u64 mwt, u64 den)
{
	if (likely(l1 < (1u << 23)))
		return (u64)l1 * den < mwt;
	return sl_fits_slow(l1, mwt, den);
}

/* chbl.c */
int sl_chbl_build(struct sl_table *t, const struct sl_sched_backend *b);
int sl_chbl_overflow(const struct sl_table *t, u64 hash, atomic_t *total,
		     int first, bool *overflow, struct sl_pick_info *info);
u32 sl_chbl_order(const struct sl_table *t, u64 hash, int *out, u32 max);

/*
 * The key's successor on the ring, O(1). The bucket of the key's top bits
 * gives the first point at or after the bucket's start; the successor is
 * that point or one of the next few (there are fewer points than buckets).
 * A point p is before the key exactly when p < (key's top half << 32),
 * whatever its owner bits; the sentinel pts[npoints] never is, and wraps
 * to the first point's owner. The first step is taken without a branch
 * (whether it is needed is a coin toss a CPU cannot predict); a further
 * one is needed for fewer than one key in ten.
 */
static __always_inline u32 sl_chbl_find(const struct sl_table *t, u64 hash)
{
	const u64 *p = &t->ring.pts[t->ring.bkt[hash >> t->ring.bshift]];
	u64 h = hash & 0xffffffff00000000ULL;

	p += *p < h;
	while (unlikely(*p < h))
		p++;
	return (u16)*p;
}

/* maglev.c */
int sl_maglev_build(struct sl_table *t, const struct sl_sched_backend *b);

static __always_inline u32 sl_maglev_find(const struct sl_table *t, u64 hash)
{
	u32 rem;

	div_u64_rem(hash, t->mag.size, &rem);
	return t->mag.lookup[rem];
}

#endif /* SL_SCHED_PRIVATE */

#endif /* _SLUICE_SCHED_H */
