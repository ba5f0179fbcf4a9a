/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Comparison schedulers for the algorithm benchmark, written here from
 * their descriptions (nothing taken from IPVS's source):
 *
 *   mh: Maglev hashing as IPVS `mh` configures it: a table of 4093 slots
 *       (IPVS's default), each backend's permutation from its id, weights
 *       divided by their gcd and taken as that many consecutive turns per
 *       round; key -> table[hash % M].
 *   sh: a source-hash table of 256 buckets as IPVS `sh` fills it: buckets
 *       dealt to the backends in order, each backend taking `weight`
 *       consecutive buckets per round; key -> bucket from the hash's top
 *       8 bits. Not consistent: a change reshuffles the deal.
 */
#ifndef _SL_BENCH_PEERS_H
#define _SL_BENCH_PEERS_H

#include "sched.h"

struct peer {
	u32 size;
	u16 *table;	/* slot -> index into the build's arrays */
	bool sh;
};

/* ids[] and w[] are in the build's order; backends are dealt in id order. */
struct peer *peer_mh_build(const u64 *ids, const u32 *w, u32 n, u32 size);
struct peer *peer_sh_build(const u64 *ids, const u32 *w, u32 n);
void peer_free(struct peer *p);

static inline int peer_first(const struct peer *p, u64 hash)
{
	if (!p->size)
		return -1;
	return p->sh ? p->table[hash >> 56] : p->table[hash % p->size];
}

#endif
