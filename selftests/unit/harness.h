/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sluice unit tests: a minimal runner. Every test case prints one line,
 * "ok unit <name>" or "not ok unit <name>" followed by its diagnostics
 * indented; the exit status is non-zero when any case failed.
 *
 *   SL_TEST=name[,name...]  run only these cases (exact names)
 *   SL_SEED=n               base seed of the randomized cases (default fixed)
 *   SL_PROP_SEED=n          property tests: run only the sequence with seed n
 *   SL_PROP_SEQS=n          property tests: number of sequences
 */
#ifndef _SL_HARNESS_H
#define _SL_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include "sched.h"

struct sl_test {
	const char *name;
	void (*fn)(void);
};

#define SL_TESTS(list) \
	const struct sl_test list[]
#define SL_T(fn) { #fn, fn }

extern const struct sl_test sched_tests[], chbl_tests[], maglev_tests[],
	prop_tests[], cost_tests[];
extern const unsigned int sched_ntests, chbl_ntests, maglev_ntests,
	prop_ntests, cost_ntests;

/* Failing checks add diagnostics; the case fails if any was added. */
void t_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void t_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool t_failed(void);
u64 t_seed(void);
long t_env(const char *name, long def);

#define CHECK(cond, ...) \
	((cond) ? true : (t_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__), false))

/* Deterministic PRNG (splitmix64). */
struct t_rng {
	u64 s;
};

static inline u64 t_next(struct t_rng *r)
{
	u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static inline u32 t_below(struct t_rng *r, u32 n)
{
	return (u32)(((t_next(r) >> 32) * n) >> 32);
}

static inline double t_unit(struct t_rng *r)
{
	return (double)(t_next(r) >> 11) / 9007199254740992.0;
}

/* A set of backends for a build. */
struct t_set {
	u32 n;
	struct sl_sched_backend b[SL_BACKENDS_MAX + 1];
	atomic_t load[SL_BACKENDS_MAX + 1];
};

struct t_set *t_set_new(u32 n, u32 weight, u64 id_base);
void t_set_free(struct t_set *s);
void t_shuffle_u32(struct t_rng *r, u32 *a, u32 n);

struct sl_table *t_build(u32 kind, u32 seed, u32 milli, u32 msize,
			 const struct sl_sched_backend *b, u32 n);

/* Reference cap with 128-bit arithmetic. */
static inline u64 t_cap_ref(u32 milli, u64 total, u32 w, u64 wsum)
{
	unsigned __int128 num, den;

	if (!wsum || !w)
		return 0;
	num = (unsigned __int128)milli * w * total;
	den = (unsigned __int128)1000 * wsum;
	return (u64)((num + den - 1) / den);
}

#endif
