// SPDX-License-Identifier: GPL-2.0
/* Comparison schedulers for the algorithm benchmark (see peers.h). */
#include <stdlib.h>
#include <string.h>
#include "peers.h"

static u64 mix(u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static const u64 *sort_ids;

static int by_id(const void *a, const void *b)
{
	u64 x = sort_ids[*(const u32 *)a], y = sort_ids[*(const u32 *)b];

	return x < y ? -1 : x > y;
}

/* Active backends (weight > 0) in id order. */
static u32 *in_id_order(const u64 *ids, const u32 *w, u32 n, u32 *na)
{
	u32 *o = malloc((n ? n : 1) * sizeof(u32)), i, k = 0;

	for (i = 0; i < n; i++)
		if (w[i])
			o[k++] = i;
	sort_ids = ids;
	qsort(o, k, sizeof(u32), by_id);
	*na = k;
	return o;
}

static u32 gcd(u32 a, u32 b)
{
	while (b) {
		u32 r = a % b;

		a = b;
		b = r;
	}
	return a;
}

struct peer *peer_mh_build(const u64 *ids, const u32 *w, u32 n, u32 size)
{
	struct peer *p = calloc(1, sizeof(*p));
	u32 na, r, g = 0, filled = 0, *next, *skip, *o, turn, c;

	o = in_id_order(ids, w, n, &na);
	p->table = malloc(size * sizeof(u16));
	memset(p->table, 0xff, size * sizeof(u16));
	if (!na) {
		free(o);
		return p;
	}
	p->size = size;
	next = malloc(na * sizeof(u32));
	skip = malloc(na * sizeof(u32));
	for (r = 0; r < na; r++) {
		next[r] = mix(ids[o[r]] ^ 0x1234567) % size;
		skip[r] = mix(ids[o[r]] ^ 0x7654321) % (size - 1) + 1;
		g = gcd(w[o[r]], g);
	}
	while (filled < size) {
		for (r = 0; r < na && filled < size; r++) {
			for (turn = 0; turn < w[o[r]] / g && filled < size; turn++) {
				do {
					c = next[r];
					next[r] = (next[r] + skip[r]) % size;
				} while (p->table[c] != 0xffff);
				p->table[c] = o[r];
				filled++;
			}
		}
	}
	free(next);
	free(skip);
	free(o);
	return p;
}

struct peer *peer_sh_build(const u64 *ids, const u32 *w, u32 n)
{
	struct peer *p = calloc(1, sizeof(*p));
	u32 na, r = 0, k, given = 0, *o;

	o = in_id_order(ids, w, n, &na);
	p->sh = true;
	p->table = malloc(256 * sizeof(u16));
	if (na) {
		p->size = 256;
		for (k = 0; k < 256; k++) {
			p->table[k] = o[r];
			if (++given >= w[o[r]]) {
				given = 0;
				r = (r + 1) % na;
			}
		}
	}
	free(o);
	return p;
}

void peer_free(struct peer *p)
{
	if (p) {
		free(p->table);
		free(p);
	}
}
