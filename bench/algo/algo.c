// SPDX-License-Identifier: GPL-2.0
/*
 * sluice algorithm benchmark: quality and cost of the schedulers, in
 * userspace, on the very files the module compiles (kmod/sched.c, chbl.c,
 * maglev.c), next to IPVS-style peers (peers.c).
 *
 *   algo all OUTDIR     balance, disruption, time per choice, build time,
 *                       memory: Markdown tables on stdout, plot data in
 *                       OUTDIR
 *   algo ir KIND N MODE K
 *                       K choices for valgrind --tool=callgrind (run.sh
 *                       counts the instructions inside the function):
 *                       KIND chbl|maglev, MODE first|pick|pickfast|hash12|hash36
 *
 * Every run is seeded (SL_SEED, default fixed) and prints the seed.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sched.h"
#include "peers.h"

long ucompat_alloc_fail;
atomic_long ucompat_allocs;

/* ---- randomness ---- */

static u64 rng_s;

static u64 rnd(void)
{
	u64 z = (rng_s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u32 below(u32 n)
{
	return (u32)(((rnd() >> 32) * n) >> 32);
}

/* Zipf(s) over K clients: inverse CDF by binary search. */
#define ZIPF_K		1000000
#define ZIPF_S		1.1
static double *zipf_cdf;

static void zipf_init(void)
{
	double sum = 0;
	u32 k;

	zipf_cdf = malloc(ZIPF_K * sizeof(double));
	for (k = 0; k < ZIPF_K; k++) {
		sum += pow(k + 1, -ZIPF_S);
		zipf_cdf[k] = sum;
	}
	for (k = 0; k < ZIPF_K; k++)
		zipf_cdf[k] /= sum;
}

static u32 zipf(void)
{
	double u = (rnd() >> 11) * (1.0 / 9007199254740992.0);
	u32 lo = 0, hi = ZIPF_K - 1;

	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

enum { DIST_UNIFORM, DIST_ZIPF };

/* A key: a fresh client each time (uniform), or a Zipf-popular client. */
static u64 key(int dist)
{
	u32 c;

	if (dist == DIST_UNIFORM)
		return rnd();
	c = zipf();
	return sl_hash(&c, sizeof(c), 0x51c3e5ed);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- schedulers under test ---- */

enum { S_CHBL, S_MAGLEV, S_MH, S_SH };

struct bsched {
	const char *name;
	int type;
	u32 milli, size;
	struct sl_table *t;
	struct peer *p;
};

static struct bsched scheds[] = {
	{ .name = "chbl c=1.1", .type = S_CHBL, .milli = 1100, .size = 0 },
	{ .name = "chbl c=1.25", .type = S_CHBL, .milli = 1250, .size = 0 },
	{ .name = "chbl c=1.5", .type = S_CHBL, .milli = 1500, .size = 0 },
	{ .name = "chbl c=2", .type = S_CHBL, .milli = 2000, .size = 0 },
	{ .name = "maglev 65537", .type = S_MAGLEV, .milli = 0, .size = 65537 },
	{ .name = "mh 4093", .type = S_MH, .milli = 0, .size = 4093 },
	{ .name = "sh 256", .type = S_SH, .milli = 0, .size = 256 },
};
#define NSCHED (sizeof(scheds) / sizeof(scheds[0]))

#define NMAX 10001
static u64 ids[NMAX];
static u32 wts[NMAX];
static atomic_t loads[NMAX];
static atomic_t total;

static void backends(u32 n, u64 base)
{
	u32 i;

	for (i = 0; i < n; i++) {
		u64 x = base + i;

		ids[i] = sl_hash(&x, sizeof(x), 0);
		wts[i] = 1;
	}
}

static void bs_build(struct bsched *s, u32 n)
{
	struct sl_sched_backend *b = calloc(n ? n : 1, sizeof(*b));
	struct sl_sched_params p = {
		.kind = s->type == S_MAGLEV ? SL_SCHED_MAGLEV : SL_SCHED_CHBL,
		.seed = 0x51c3e5ed,
		.balance_milli = s->milli ? s->milli : SL_BALANCE_DEFAULT_MILLI,
		.maglev_size = s->size ? s->size : SL_MAGLEV_DEFAULT_SIZE,
	};
	u32 i;

	s->t = NULL;
	s->p = NULL;
	if (s->type == S_MH) {
		s->p = peer_mh_build(ids, wts, n, s->size);
	} else if (s->type == S_SH) {
		s->p = peer_sh_build(ids, wts, n);
	} else {
		for (i = 0; i < n; i++) {
			b[i].id = ids[i];
			b[i].weight = wts[i];
			b[i].load = &loads[i];
		}
		s->t = sl_table_build(&p, b, n);
		if (IS_ERR(s->t)) {
			fprintf(stderr, "build %s n=%u: %ld\n", s->name, n, PTR_ERR(s->t));
			exit(1);
		}
	}
	free(b);
}

static void bs_free(struct bsched *s)
{
	sl_table_free(s->t);
	peer_free(s->p);
	s->t = NULL;
	s->p = NULL;
}

static int bs_first(const struct bsched *s, u64 h)
{
	return s->t ? sl_table_first(s->t, h) : peer_first(s->p, h);
}

static int bs_pick(const struct bsched *s, u64 h)
{
	bool ov;
	int x;

	if (s->t)
		return sl_table_pick(s->t, h, &total, &ov);
	x = peer_first(s->p, h);
	atomic_inc(&loads[x]);
	atomic_inc(&total);
	return x;
}

static void release(int x)
{
	atomic_dec(&loads[x]);
	atomic_dec(&total);
}

static void reset_loads(u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		atomic_set(&loads[i], 0);
	atomic_set(&total, 0);
}

/* ---- balance ---- */

struct sim {
	double max_ratio;	/* worst max load / average over the churn */
	double affinity;	/* churn assignments on the key's first choice */
};

/*
 * Fill a service to C = per * n live connections, then churn 4C times:
 * release a random live connection, assign a new one. The max load can
 * only rise at an assignment: the worst ratio is taken there.
 */
static void simulate(struct bsched *s, u32 n, u32 per, int dist, struct sim *r,
		     double *final)
{
	u32 c = n * per, i, j, on_first = 0, steps = 4 * c;
	int *conn = malloc(c * sizeof(int)), x;
	double avg = (double)c / n, ratio;
	u64 k;

	backends(n, 5000);
	reset_loads(n);
	bs_build(s, n);
	for (i = 0; i < c; i++)
		conn[i] = bs_pick(s, key(dist));
	r->max_ratio = 0;
	for (i = 0; i < steps; i++) {
		j = below(c);
		release(conn[j]);
		k = key(dist);
		x = bs_pick(s, k);
		conn[j] = x;
		on_first += x == bs_first(s, k);
		ratio = atomic_read(&loads[x]) / avg;
		if (ratio > r->max_ratio)
			r->max_ratio = ratio;
	}
	r->affinity = (double)on_first / steps;
	if (final)
		for (i = 0; i < n; i++)
			final[i] = atomic_read(&loads[i]) / avg;
	for (i = 0; i < c; i++)
		release(conn[i]);
	bs_free(s);
	free(conn);
}

static int cmp_desc(const void *a, const void *b)
{
	return -cmp_double(a, b);
}

static void balance(const char *outdir)
{
	static const u32 ns[] = { 10, 100, 1000 }, pers[] = { 10, 100 };
	static const char *const dn[] = { "uniform", "zipf(1.1)" };
	double aff[2][3][2][4];
	double *fin[NSCHED];
	unsigned int d, z, q, s;
	struct sim r;
	char path[512];
	FILE *f;

	printf("## Balance: worst max load / average\n\n");
	printf("Each cell: a service filled to C = per x N connections, then 4C times "
	       "one random connection closes and a new one opens; the largest load/average "
	       "seen at any assignment. Keys: uniform = a new client each time; "
	       "zipf(1.1) = clients drawn from Zipf(1.1) over %d clients, "
	       "all connections of a client hash alike (source affinity). "
	       "chbl's bound is ceil(c * C / N) / (C / N).\n\n", ZIPF_K);
	printf("| keys | N | per | ");
	for (s = 0; s < NSCHED; s++)
		printf("%s | ", scheds[s].name);
	printf("\n|---|---|---|");
	for (s = 0; s < NSCHED; s++)
		printf("---|");
	printf("\n");
	for (s = 0; s < NSCHED; s++)
		fin[s] = calloc(1000, sizeof(double));
	for (d = 0; d < 2; d++) {
		for (z = 0; z < 3; z++) {
			for (q = 0; q < 2; q++) {
				printf("| %s | %u | %ux | ", dn[d], ns[z], pers[q]);
				for (s = 0; s < NSCHED; s++) {
					bool plot = ns[z] == 100 && pers[q] == 100;

					simulate(&scheds[s], ns[z], pers[q], d, &r,
						 plot ? fin[s] : NULL);
					if (s < 4)
						aff[d][z][q][s] = r.affinity;
					printf("%.2f | ", r.max_ratio);
					fflush(stdout);
				}
				printf("\n");
				if (ns[z] == 100 && pers[q] == 100) {
					snprintf(path, sizeof(path), "%s/load-%s.dat", outdir,
						 d ? "zipf" : "uniform");
					f = fopen(path, "w");
					if (!f) {
						perror(path);
						exit(1);
					}
					fprintf(f, "rank");
					for (s = 0; s < NSCHED; s++) {
						qsort(fin[s], 100, sizeof(double), cmp_desc);
						fprintf(f, " \"%s\"", scheds[s].name);
					}
					fprintf(f, "\n");
					for (u32 i = 0; i < 100; i++) {
						fprintf(f, "%u", i + 1);
						for (s = 0; s < NSCHED; s++)
							fprintf(f, " %.4f", fin[s][i]);
						fprintf(f, "\n");
					}
					fclose(f);
				}
			}
		}
	}
	printf("\n## Affinity: share of new connections on the key's first choice (chbl)\n\n");
	printf("The price of the bound: a key whose first choice is full goes elsewhere. "
	       "Maglev, mh and sh always answer the first choice (100%%), whatever the load.\n\n");
	printf("| keys | N | per | chbl c=1.1 | chbl c=1.25 | chbl c=1.5 | chbl c=2 |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (d = 0; d < 2; d++)
		for (z = 0; z < 3; z++)
			for (q = 0; q < 2; q++)
				printf("| %s | %u | %ux | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n",
				       dn[d], ns[z], pers[q], 100 * aff[d][z][q][0],
				       100 * aff[d][z][q][1], 100 * aff[d][z][q][2],
				       100 * aff[d][z][q][3]);
	printf("\n");
	for (s = 0; s < NSCHED; s++)
		free(fin[s]);
}

/* ---- disruption ---- */

#define DKEYS	1000000
#define DTRIES	8

static void disruption(void)
{
	static const u32 ns[] = { 10, 100, 1000 };
	static const int which[] = { 1, 4, 5, 6 };	/* chbl, maglev, mh, sh */
	u64 *k = malloc(DKEYS * sizeof(u64)), *before = malloc(DKEYS * sizeof(u64));
	unsigned int z, w, j, i;

	printf("## Disruption: keys whose backend changes when 1 of N leaves or joins\n\n");
	printf("First choices of %d random keys, before and after; in units of 1/N "
	       "(the ideal is 1.00; the target <= 1.20). Mean over %d different "
	       "backends removed (added), worst in brackets. chbl's first choice does "
	       "not depend on c.\n\n", DKEYS, DTRIES);
	printf("| N | chbl remove | chbl add | maglev 65537 remove | maglev 65537 add | "
	       "mh 4093 remove | mh 4093 add | sh 256 remove | sh 256 add |\n");
	printf("|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < DKEYS; i++)
		k[i] = rnd();
	for (z = 0; z < 3; z++) {
		u32 n = ns[z];

		printf("| %u | ", n);
		for (w = 0; w < 4; w++) {
			struct bsched *s = &scheds[which[w]];
			double rm = 0, rmax = 0, ad = 0, amax = 0, f;

			backends(n, 7000);
			bs_build(s, n);
			for (i = 0; i < DKEYS; i++)
				before[i] = ids[bs_first(s, k[i])];
			bs_free(s);
			for (j = 0; j < DTRIES; j++) {
				u32 victim = (j * 7919) % n, moved = 0;
				u64 saved = ids[victim];

				/* remove: the last backend takes the victim's place */
				ids[victim] = ids[n - 1];
				bs_build(s, n - 1);
				for (i = 0; i < DKEYS; i++)
					moved += ids[bs_first(s, k[i])] != before[i];
				bs_free(s);
				ids[victim] = saved;
				f = (double)moved / DKEYS * n;
				rm += f;
				rmax = f > rmax ? f : rmax;

				/* add a new backend */
				ids[n] = sl_hash(&(u64){ 0xadd00000ULL + j }, 8, 1);
				wts[n] = 1;
				bs_build(s, n + 1);
				moved = 0;
				for (i = 0; i < DKEYS; i++)
					moved += ids[bs_first(s, k[i])] != before[i];
				bs_free(s);
				f = (double)moved / DKEYS * n;
				ad += f;
				amax = f > amax ? f : amax;
			}
			printf("%.2f (%.2f) | %.2f (%.2f) | ", rm / DTRIES, rmax, ad / DTRIES, amax);
			fflush(stdout);
		}
		printf("\n");
	}
	printf("\n");
	free(k);
	free(before);
}

/* ---- cost ---- */

#define CKEYS	(1 << 20)
#define CREPS	11

/* Steady state for picks: 10 N live connections, each pick then closes the oldest. */
struct live {
	int *conn;
	u32 n, head;
};

static void live_fill(struct live *l, const struct bsched *s, u32 n)
{
	struct sl_pick_info pi;
	u32 i;
	bool ov;

	l->n = 10 * n;
	l->head = 0;
	l->conn = malloc(l->n * sizeof(int));
	for (i = 0; i < l->n; i++)	/* not sl_table_pick(): callgrind counts that */
		l->conn[i] = s->t ? sl_table_pick_info(s->t, rnd(), &total, &ov, &pi) :
			bs_pick(s, rnd());
}

static void live_free(struct live *l)
{
	u32 i;

	for (i = 0; i < l->n; i++)
		release(l->conn[i]);
	free(l->conn);
}

static inline void live_step(struct live *l, int x)
{
	release(l->conn[l->head]);
	l->conn[l->head] = x;
	if (++l->head == l->n)
		l->head = 0;
}

static void cost(void)
{
	static const u32 ns[] = { 10, 100, 1000, 10000 };
	u64 *k = malloc(CKEYS * sizeof(u64));
	double tf[CREPS], tp[CREPS], t0;
	unsigned int z, w, rep, i;
	volatile long sink = 0;
	struct live l;

	for (i = 0; i < CKEYS; i++)
		k[i] = rnd();
	printf("## Time per choice (ns, median of %d runs of %d random keys)\n\n",
	       CREPS, CKEYS);
	printf("first = sl_table_first(), the lookup alone. pick = sl_table_pick() plus "
	       "closing a connection (two atomic decrements and a ring buffer step), at "
	       "steady state: 10 N live connections, c = 1.25, each pick closes the oldest. "
	       "Absolute times drift on a shared VM: compare within a row.\n\n");
	printf("| N | chbl first | chbl pick+close | maglev first | maglev pick+close | "
	       "mh 4093 first |\n");
	printf("|---|---|---|---|---|---|\n");
	for (z = 0; z < 4; z++) {
		u32 n = ns[z];
		double res[3][2];

		backends(n, 1000);
		for (w = 0; w < 3; w++) {
			struct bsched *s = &scheds[w == 0 ? 1 : w == 1 ? 4 : 5];

			reset_loads(n);
			bs_build(s, n);
			live_fill(&l, s, n);
			for (rep = 0; rep < CREPS; rep++) {
				t0 = now();
				for (i = 0; i < CKEYS; i++)
					sink += bs_first(s, k[i]);
				tf[rep] = (now() - t0) * 1e9 / CKEYS;
				t0 = now();
				for (i = 0; i < CKEYS; i++)
					live_step(&l, bs_pick(s, k[i]));
				tp[rep] = (now() - t0) * 1e9 / CKEYS;
			}
			live_free(&l);
			bs_free(s);
			res[w][0] = median(tf, CREPS);
			res[w][1] = median(tp, CREPS);
		}
		printf("| %u | %.1f | %.1f | %.1f | %.1f | %.1f |\n", n, res[0][0], res[0][1],
		       res[1][0], res[1][1], res[2][0]);
		fflush(stdout);
	}
	printf("\n");
	free(k);
	(void)sink;
}

static void build_and_memory(void)
{
	static const u32 ns[] = { 10, 100, 1000, 10000 };
	double t[21], tc[21];
	unsigned int z, w, rep;

	printf("## Table build and memory\n\n");
	printf("Build: median (min) of 21 builds of N backends of weight 1, ms. "
	       "\"warm\": the allocator keeps freed memory (as a kernel's page "
	       "allocator hands out pages without faults); \"cold\": every build "
	       "faults its pages in. Memory: sl_table_bytes().\n\n");
	printf("| N | chbl build warm | chbl build cold | maglev 65537 build warm | "
	       "chbl bytes | maglev 65537 bytes |\n");
	printf("|---|---|---|---|---|---|\n");
	for (z = 0; z < 4; z++) {
		u32 n = ns[z];
		double res[2][3];
		size_t bytes[2];

		backends(n, 3000);
		for (w = 0; w < 2; w++) {
			struct bsched *s = &scheds[w == 0 ? 1 : 4];

			/* cold: memory goes back to the kernel after each free */
			mallopt(M_MMAP_THRESHOLD, 128 * 1024);
			mallopt(M_TRIM_THRESHOLD, 128 * 1024);
			for (rep = 0; rep < 21; rep++) {
				double t0 = now();

				bs_build(s, n);
				tc[rep] = (now() - t0) * 1e3;
				bytes[w] = sl_table_bytes(s->t);
				bs_free(s);
				malloc_trim(0);
			}
			mallopt(M_MMAP_THRESHOLD, 256 << 20);
			mallopt(M_TRIM_THRESHOLD, 512 << 20);
			for (rep = 0; rep < 21; rep++) {
				double t0 = now();

				bs_build(s, n);
				t[rep] = (now() - t0) * 1e3;
				bs_free(s);
			}
			res[w][0] = median(t, 21);
			res[w][1] = t[0];
			res[w][2] = median(tc, 21);
		}
		printf("| %u | %.3f (%.3f) | %.3f | %.3f (%.3f) | %zu | %zu |\n", n,
		       res[0][0], res[0][1], res[0][2], res[1][0], res[1][1], bytes[0],
		       bytes[1]);
		fflush(stdout);
	}
	printf("\n");
}

/* ---- K choices for callgrind ---- */

static int ir(const char *kind, u32 n, const char *mode, u32 k)
{
	struct bsched *s = &scheds[strcmp(kind, "maglev") ? 1 : 4];
	u64 h = 0;
	long sink = 0;
	struct live l;
	u8 buf[36];
	u32 i;

	if (!strncmp(mode, "hash", 4)) {
		u32 len = atoi(mode + 4);

		for (i = 0; i < k; i++) {
			*(u64 *)buf = rnd();
			sink += sl_hash(buf, len, 1);
		}
		return sink == 42;
	}
	backends(n, 1000);
	bs_build(s, n);
	if (!strcmp(mode, "first")) {
		for (i = 0; i < k; i++)
			sink += sl_table_first(s->t, rnd());
	} else if (!strcmp(mode, "pickfast")) {
		/* nothing else open: every first choice has room */
		for (i = 0; i < k; i++) {
			bool ov;

			release(sl_table_pick(s->t, rnd(), &total, &ov));
		}
	} else {
		live_fill(&l, s, n);
		for (i = 0; i < k; i++) {
			bool ov;

			h = rnd();
			live_step(&l, sl_table_pick(s->t, h, &total, &ov));
		}
		live_free(&l);
	}
	bs_free(s);
	return sink == 42;
}

int main(int argc, char **argv)
{
	const char *seed = getenv("SL_SEED");

	rng_s = seed ? strtoull(seed, NULL, 0) : 20240601;
	if (argc == 6 && !strcmp(argv[1], "ir"))
		return ir(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]));
	if (argc != 3 || strcmp(argv[1], "all")) {
		fprintf(stderr, "usage: algo all OUTDIR | algo ir chbl|maglev N first|pick|pickfast|hash12|hash36 K\n");
		return 2;
	}
	printf("Seed %llu (SL_SEED).\n\n", (unsigned long long)rng_s);
	zipf_init();
	balance(argv[2]);
	disruption();
	cost();
	build_and_memory();
	free(zipf_cdf);
	return 0;
}
