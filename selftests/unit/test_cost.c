// SPDX-License-Identifier: GPL-2.0
/*
 * sluice unit tests: what a packet costs a rate-limited cgroup
 * (kmod/cost.h). Over many packets the charge is bytes / rate exactly,
 * at the highest rates too, where a whole nanosecond is a large part of
 * a packet's cost; a random number is drawn only where it matters.
 */
#include <math.h>
#include "harness.h"
#include "cost.h"

static struct t_rng cost_rng;
static u64 cost_draws;
static u32 cost_fixed;

static u32 rnd_uniform(void)
{
	cost_draws++;
	return (u32)(t_next(&cost_rng) >> 32);
}

static u32 rnd_fixed(void)
{
	cost_draws++;
	return cost_fixed;
}

/*
 * The charge of many packets is their bytes / rate: each packet's
 * rounding is a coin with variance at most 1/4, so the sum of n is within
 * 6 standard deviations, 3 * sqrt(n) ns, whatever the seed (SL_SEED); a
 * cost of 65,536 ns or more is rounded down, less than 1/65,536 of it.
 */
static void cost_mean(void)
{
	static const struct { u64 rate, bytes; } c[] = {
		{ 1ULL << 40, 1000 },	/* the highest rate: 0.91 ns */
		{ 1ULL << 40, 64 },	/* 0.06 ns */
		{ 12500000000ULL, 1499 },	/* 100 Gbit/s: 119.92 ns */
		{ 50000000000ULL, 64 },	/* 400 Gbit/s: 1.28 ns */
		{ 125000000ULL, 65000 },	/* 1 Gbit/s, a GRO packet */
		{ 3, 1 },		/* 333,333,333.3 ns: not dithered */
	};
	const u64 n = 1000000;
	unsigned int i;

	cost_rng.s = t_seed();
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		double want = (double)c[i].bytes * 1e9 / (double)c[i].rate * n;
		u64 sum = 0, k;

		for (k = 0; k < n; k++)
			sum += sl_cost_ns(c[i].bytes, c[i].rate, rnd_uniform);
		CHECK(fabs((double)sum - want) <=
		      3 * sqrt((double)n) + want / SL_COST_DITHER_BELOW,
		      "rate %llu bytes %llu: %llu packets cost %llu ns, want %.0f",
		      (unsigned long long)c[i].rate, (unsigned long long)c[i].bytes,
		      (unsigned long long)n, (unsigned long long)sum, want);
	}
}

/*
 * A cost that is a whole number of nanoseconds, or of 65,536 or more, is
 * the quotient, with no random number drawn.
 */
static void cost_no_draw(void)
{
	static const struct { u64 rate, bytes, want; } c[] = {
		{ 1000000000ULL, 1500, 1500 },
		{ 12500000000ULL, 1500, 120 },
		{ 5000000ULL, 1500, 300000 },		/* 40 Mbit/s */
		{ 3, 1, 333333333 },
		{ 1ULL << 40, 1ULL << 31, 1953125 },	/* 2^-9 s: exact */
		{ 15258789ULL, 1000, 65536 },		/* 65,536.0002 ns */
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		u64 got;

		cost_draws = 0;
		got = sl_cost_ns(c[i].bytes, c[i].rate, rnd_uniform);
		CHECK(got == c[i].want && cost_draws == 0,
		      "rate %llu bytes %llu: %llu ns (want %llu), %llu draws",
		      (unsigned long long)c[i].rate, (unsigned long long)c[i].bytes,
		      (unsigned long long)got, (unsigned long long)c[i].want,
		      (unsigned long long)cost_draws);
	}
}

/* The draw's extremes: 0 always rounds up, the largest never does. */
static void cost_extremes(void)
{
	u64 rates[] = { 1ULL << 40, 12500000000ULL, 50000000000ULL, 7 };
	unsigned int i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		u64 q = 1000 * NSEC_PER_SEC / rates[i];
		bool dithered = q < SL_COST_DITHER_BELOW &&
				1000 * NSEC_PER_SEC % rates[i];

		cost_fixed = 0;
		CHECK(sl_cost_ns(1000, rates[i], rnd_fixed) == q + dithered,
		      "rate %llu, draw 0", (unsigned long long)rates[i]);
		cost_fixed = UINT32_MAX;
		CHECK(sl_cost_ns(1000, rates[i], rnd_fixed) == q,
		      "rate %llu, the largest draw", (unsigned long long)rates[i]);
	}
}

SL_TESTS(cost_tests) = {
	SL_T(cost_mean),
	SL_T(cost_no_draw),
	SL_T(cost_extremes),
};
const unsigned int cost_ntests = sizeof(cost_tests) / sizeof(cost_tests[0]);
