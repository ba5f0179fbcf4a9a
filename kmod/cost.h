/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sluice: what a packet costs a rate-limited cgroup, in time. Compiled
 * into the module (ingress.c) and, unchanged, into the unit tests
 * (selftests/unit/test_cost.c).
 */
#ifndef _SLUICE_COST_H
#define _SLUICE_COST_H

#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/time64.h>
#include <linux/types.h>
#else
#include "ucompat.h"
#endif

/*
 * Below this many nanoseconds a cost's fraction of a nanosecond is
 * rounded at random (below); above, rounding it down costs less than
 * 1/65536 of the rate, and no random number is drawn.
 */
#define SL_COST_DITHER_BELOW	65536

/*
 * @bytes at @rate bytes per second, in nanoseconds (@bytes < 2^32). Whole
 * nanoseconds are what the virtual queue counts, so the quotient's
 * fraction is rounded up with its own probability: @rnd() returns a
 * uniform u32, and the cost is one more than the quotient with
 * probability remainder / rate. Over many packets the charge is then the
 * exact bytes / rate; rounded down, as it was, a 1,000-byte packet at
 * 2^40 bytes/s cost nothing and passed any limit, and 1,500-byte packets
 * at 100 Gbit/s passed 0.8% over it.
 */
static __always_inline u64 sl_cost_ns(u64 bytes, u64 rate, u32 (*rnd)(void))
{
	u64 rem, q = div64_u64_rem(bytes * NSEC_PER_SEC, rate, &rem);

	if (unlikely(q < SL_COST_DITHER_BELOW) && rem &&
	    mul_u64_u32_shr(rate, rnd(), 32) < rem)
		q++;
	return q;
}

#endif /* _SLUICE_COST_H */
