// SPDX-License-Identifier: GPL-2.0
/*
 * sluice unit tests: property tests against a model, and concurrency.
 *
 * prop_chbl / prop_maglev: thousands of random sequences of assign,
 * release, backend add, delete (connections kept or flushed) and weight
 * change (drain and undrain included). The model is the obvious one:
 * backends with weights and loads, live connections with their backend.
 * The table is rebuilt from the model, in a shuffled order, after every
 * change, as the module does. Checked after every step:
 *   - no assignment puts a backend above its cap ceil(c * t * w / W)
 *     (chbl), and none ever needs the fallback (sequential runs never do);
 *   - drained and deleted backends get nothing new;
 *   - chbl: a key goes to its first choice exactly when that backend has
 *     room, so it returns to its previous backend whenever it has room;
 *     overflow is set exactly otherwise; maglev: the first choice, always;
 *   - chbl rebuilds move a key's first choice only to or from a backend
 *     that changed (unless the ring's scale changed, which is counted);
 *   - the counters equal the model's.
 * Every sequence has its own seed; a failure prints it, and
 * SL_PROP_SEED=<seed> SL_TEST=prop_chbl reruns just that one.
 *
 * concurrency_chbl / concurrency_maglev: threads assign and release
 * against one table with shared counters; every admission is checked
 * against its cap (recomputed here in 128-bit arithmetic), the largest
 * load/cap ratio is reported, and an assign-only phase must end with every
 * backend within the cap of the final total.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define M_SLOTS		48
#define M_KEYS		24
#define M_CONNS		4096
#define M_STEPS		200

struct m_be {
	u64 id;
	u32 weight;
	bool live;		/* configured (else deleted: may still hold conns) */
	int load;		/* model */
	atomic_t counter;	/* what the table increments */
};

struct m_conn {
	u32 slot;
};

struct model {
	u32 kind, milli, msize, seed, wmax;
	struct m_be be[M_SLOTS];
	u32 nslots;
	struct m_conn conn[M_CONNS];
	u32 nconn;
	int total;
	atomic_t counter;
	int prev[M_KEYS];	/* slot of the key's last assignment, or -1 */
	u64 keys[M_KEYS];

	struct sl_table *t;
	u32 map[M_SLOTS];	/* b[] index -> slot */
	struct sl_sched_backend b[M_SLOTS];
	u32 nb;
	bool changed[M_SLOTS];	/* since the last build */
	u64 scale_changes, rebuilds, overflows, assigns;
};

static u64 total_rebuilds, total_rescales, total_assigns, total_overflows;

static u64 m_wsum(const struct model *m)
{
	u64 w = 0;
	u32 i;

	for (i = 0; i < m->nslots; i++)
		if (m->be[i].live)
			w += m->be[i].weight;
	return w;
}

static int m_slot_of(const struct model *m, int idx)
{
	return idx < 0 ? -1 : (int)m->map[idx];
}

static void m_rebuild(struct model *m, struct t_rng *r, u64 seed, u32 step)
{
	struct sl_table *old = m->t;
	struct sl_table_info io, in;
	u32 order[M_SLOTS], i, n = 0, k;

	for (i = 0; i < m->nslots; i++)
		if (m->be[i].live)
			order[n++] = i;
	t_shuffle_u32(r, order, n);
	for (i = 0; i < n; i++) {
		m->b[i].id = m->be[order[i]].id;
		m->b[i].weight = m->be[order[i]].weight;
		m->b[i].load = &m->be[order[i]].counter;
	}
	/* the old table's map is needed below: keep it until then */
	{
		u32 oldmap[M_SLOTS];

		memcpy(oldmap, m->map, sizeof(oldmap));
		memcpy(m->map, order, sizeof(order));
		m->nb = n;
		m->t = t_build(m->kind, m->seed, m->milli, m->msize, m->b, n);
		if (!CHECK(!IS_ERR(m->t), "seed %llu step %u: build %ld",
			   (unsigned long long)seed, step, PTR_ERR(m->t))) {
			m->t = NULL;
			sl_table_free(old);
			return;
		}
		m->rebuilds++;
		if (old && m->kind == SL_SCHED_CHBL) {
			sl_table_get_info(old, &io);
			sl_table_get_info(m->t, &in);
			if (io.ring_shift != in.ring_shift || !io.n_active || !in.n_active) {
				m->scale_changes++;
			} else {
				for (k = 0; k < M_KEYS + 64; k++) {
					u64 h = k < M_KEYS ? m->keys[k] : t_next(r);
					int a = sl_table_first(old, h), b = sl_table_first(m->t, h);
					int sa = a < 0 ? -1 : (int)oldmap[a];
					int sb = m_slot_of(m, b);

					if (sa != sb)
						CHECK(m->changed[sa] || m->changed[sb],
						      "seed %llu step %u: key %#llx moved from slot %d to %d, neither changed",
						      (unsigned long long)seed, step,
						      (unsigned long long)h, sa, sb);
				}
			}
		}
	}
	sl_table_free(old);
	memset(m->changed, 0, sizeof(m->changed));
}

static void m_release(struct model *m, u32 c)
{
	struct m_be *be = &m->be[m->conn[c].slot];

	be->load--;
	atomic_dec(&be->counter);
	m->total--;
	atomic_dec(&m->counter);
	m->conn[c] = m->conn[--m->nconn];
}

static void m_assign(struct model *m, struct t_rng *r, u64 seed, u32 step)
{
	u32 k = t_below(r, M_KEYS) < M_KEYS / 2 ? t_below(r, 4) : t_below(r, M_KEYS);
	u64 h = m->keys[k], wsum = m_wsum(m);
	struct sl_pick_info pi;
	int x, slot, f, fslot, t;
	bool ov, room = false;
	struct m_be *be;

	if (m->nconn == M_CONNS)
		return;
	t = m->total + 1;
	f = sl_table_first(m->t, h);
	fslot = m_slot_of(m, f);
	if (fslot >= 0)
		room = (u64)m->be[fslot].load + 1 <=
		       t_cap_ref(m->milli, t, m->be[fslot].weight, wsum);
	x = sl_table_pick_info(m->t, h, &m->counter, &ov, &pi);
	if (!wsum) {
		CHECK(x == -1 && f == -1 && atomic_read(&m->counter) == m->total,
		      "seed %llu step %u: nothing active, got %d", (unsigned long long)seed,
		      step, x);
		return;
	}
	if (!CHECK(x >= 0 && (u32)x < m->nb, "seed %llu step %u: pick %d",
		   (unsigned long long)seed, step, x))
		return;
	slot = m->map[x];
	be = &m->be[slot];
	CHECK(be->live && be->weight, "seed %llu step %u: chose slot %d live %d weight %u",
	      (unsigned long long)seed, step, slot, be->live, be->weight);
	CHECK(pi.chosen == x && pi.first == f && pi.total == t,
	      "seed %llu step %u", (unsigned long long)seed, step);
	if (m->kind == SL_SCHED_CHBL) {
		u64 cap = t_cap_ref(m->milli, t, be->weight, wsum);

		CHECK((u64)be->load + 1 <= cap && !pi.fallback,
		      "seed %llu step %u: slot %d load %d > cap %llu (fallback %d)",
		      (unsigned long long)seed, step, slot, be->load + 1,
		      (unsigned long long)cap, pi.fallback);
		CHECK(pi.cap == cap && pi.load == be->load + 1,
		      "seed %llu step %u: info cap %llu load %d", (unsigned long long)seed,
		      step, (unsigned long long)pi.cap, pi.load);
		CHECK((x == f) == room && ov == !room,
		      "seed %llu step %u: first %d (room %d), chose %d, overflow %d",
		      (unsigned long long)seed, step, f, room, x, ov);
		if (m->prev[k] >= 0 && m->prev[k] == fslot && room)
			CHECK(slot == m->prev[k], "seed %llu step %u: key left its backend",
			      (unsigned long long)seed, step);
	} else {
		CHECK(x == f && !ov, "seed %llu step %u: maglev chose %d, first %d",
		      (unsigned long long)seed, step, x, f);
	}
	m->overflows += ov;
	m->assigns++;
	m->prev[k] = slot;
	be->load++;
	m->total++;
	m->conn[m->nconn++].slot = slot;
}

static u32 m_weight(struct model *m, struct t_rng *r)
{
	if (!t_below(r, 8))
		return 0;
	return 1 + t_below(r, m->wmax);
}

/* One random sequence; false when it failed. */
static bool m_run(u32 kind, u64 seed)
{
	static const u32 millis[] = { 1001, 1100, 1250, 1500, 2000, 100000 };
	static const u32 wmaxes[] = { 1, 3, 10, 100, 65535 };
	static const u32 sizes[] = { 251, 1021, 4093 };
	struct t_rng r = { seed };
	struct model *m = calloc(1, sizeof(*m));
	u32 step, i, op, n0;
	bool ok;

	m->kind = kind;
	m->seed = (u32)t_next(&r);
	m->milli = t_below(&r, 2) ? millis[t_below(&r, 6)] : 1001 + t_below(&r, 3000);
	m->msize = sizes[t_below(&r, 3)];
	m->wmax = wmaxes[t_below(&r, 5)];
	for (i = 0; i < M_KEYS; i++) {
		m->keys[i] = t_next(&r);
		m->prev[i] = -1;
	}
	n0 = 1 + t_below(&r, 12);
	for (i = 0; i < n0; i++) {
		m->be[i].id = sl_hash(&(u64){ seed * 64 + i }, 8, 0);
		m->be[i].weight = m_weight(m, &r);
		m->be[i].live = true;
	}
	m->nslots = n0;
	m_rebuild(m, &r, seed, 0);

	for (step = 1; step <= M_STEPS && !t_failed(); step++) {
		op = t_below(&r, 100);
		if (op < 55) {
			m_assign(m, &r, seed, step);
		} else if (op < 77) {
			if (m->nconn)
				m_release(m, t_below(&r, m->nconn));
		} else if (op < 84) {
			if (m->nslots < M_SLOTS) {
				i = m->nslots++;
				m->be[i].id = sl_hash(&(u64){ seed * 64 + i }, 8, 0);
				m->be[i].weight = m_weight(m, &r);
				m->be[i].live = true;
				m->changed[i] = true;
				m_rebuild(m, &r, seed, step);
			}
		} else if (op < 90) {
			i = t_below(&r, m->nslots);
			if (m->be[i].live) {
				m->be[i].live = false;
				m->changed[i] = true;
				if (t_below(&r, 2)) {	/* flush its connections */
					u32 c;

					for (c = m->nconn; c-- > 0;)
						if (m->conn[c].slot == i)
							m_release(m, c);
				}
				m_rebuild(m, &r, seed, step);
			}
		} else {
			i = t_below(&r, m->nslots);
			if (m->be[i].live) {
				m->be[i].weight = m_weight(m, &r);
				m->changed[i] = true;
				m_rebuild(m, &r, seed, step);
			}
		}
		/* the counters are the model's */
		CHECK(atomic_read(&m->counter) == m->total, "seed %llu step %u: total %d, model %d",
		      (unsigned long long)seed, step, atomic_read(&m->counter), m->total);
		for (i = 0; i < m->nslots; i++)
			CHECK(atomic_read(&m->be[i].counter) == m->be[i].load,
			      "seed %llu step %u: slot %u load %d, model %d",
			      (unsigned long long)seed, step, i,
			      atomic_read(&m->be[i].counter), m->be[i].load);
	}
	total_rebuilds += m->rebuilds;
	total_rescales += m->scale_changes;
	total_assigns += m->assigns;
	total_overflows += m->overflows;
	ok = !t_failed();
	if (!ok)
		t_note("rerun: SL_PROP_SEED=%llu SL_TEST=%s", (unsigned long long)seed,
		       kind == SL_SCHED_CHBL ? "prop_chbl" : "prop_maglev");
	sl_table_free(m->t);
	free(m);
	return ok;
}

static void prop_run(u32 kind, long def_seqs)
{
	long only = t_env("SL_PROP_SEED", -1), seqs = t_env("SL_PROP_SEQS", def_seqs), i;
	u64 base = t_seed() * 1000003 + kind * 7777777;

	total_rebuilds = total_rescales = total_assigns = total_overflows = 0;
	if (only >= 0) {
		m_run(kind, (u64)only);
		t_note("sequence with seed %ld: %llu assignments, %llu rebuilds", only,
		       (unsigned long long)total_assigns, (unsigned long long)total_rebuilds);
		return;
	}
	for (i = 0; i < seqs; i++)
		if (!m_run(kind, base + i))
			break;
	t_note("%ld of %ld sequences of %u steps run (seeds %llu..), %s", i < seqs ? i + 1 : seqs,
	       seqs, M_STEPS, (unsigned long long)base,
	       i < seqs ? "stopped at the first failure" : "all passed");
	t_note("%llu assignments (%llu overflows), %llu rebuilds (%llu with a new ring scale or from/to empty)",
	       (unsigned long long)total_assigns, (unsigned long long)total_overflows,
	       (unsigned long long)total_rebuilds, (unsigned long long)total_rescales);
}

static void prop_chbl(void)
{
	prop_run(SL_SCHED_CHBL, 4000);
}

static void prop_maglev(void)
{
	prop_run(SL_SCHED_MAGLEV, 1000);
}

/* ---- concurrency ---- */

#define C_THREADS	4
#define C_HOLD		64

struct c_shared {
	struct sl_table *t;
	struct t_set *s;
	atomic_t total;
	u32 kind, milli, n, ops;
	u64 wsum;
	bool assign_only;
	pthread_barrier_t start;
};

struct c_thread {
	struct c_shared *sh;
	pthread_t tid;
	u64 seed;
	u32 held[C_HOLD * 64];
	u32 nheld;
	u64 violations, fallbacks, overflows, picks;
	double max_ratio, max_fallback;
	char why[160];
};

static void *c_worker(void *arg)
{
	struct c_thread *th = arg;
	struct c_shared *sh = th->sh;
	struct t_rng r = { th->seed };
	struct sl_pick_info pi;
	u32 i, k;
	bool ov;
	int x;

	pthread_barrier_wait(&sh->start);
	for (i = 0; i < sh->ops; i++) {
		bool assign = sh->assign_only ||
			th->nheld == 0 || (th->nheld < C_HOLD && t_below(&r, 2));

		if (sh->assign_only && th->nheld == C_HOLD * 64)
			break;
		if (!assign) {
			if (!th->nheld)
				break;
			k = t_below(&r, th->nheld);
			atomic_dec(&sh->s->load[th->held[k]]);
			atomic_dec(&sh->total);
			th->held[k] = th->held[--th->nheld];
			continue;
		}
		/* few keys: the first choices overflow all the time */
		k = t_below(&r, 8);
		x = sl_table_pick_info(sh->t, sl_hash(&k, 4, 0), &sh->total, &ov, &pi);
		if (x < 0 || (u32)x >= sh->n) {
			th->violations++;
			snprintf(th->why, sizeof(th->why), "pick returned %d", x);
			break;
		}
		th->picks++;
		th->overflows += ov;
		if (sh->kind == SL_SCHED_CHBL) {
			u64 cap = t_cap_ref(sh->milli, pi.total, sh->s->b[x].weight, sh->wsum);

			if (pi.fallback) {
				th->fallbacks++;
				if (cap && (double)pi.load / cap > th->max_fallback)
					th->max_fallback = (double)pi.load / cap;
			} else if (pi.load < 1 || (u64)pi.load > cap) {
				th->violations++;
				snprintf(th->why, sizeof(th->why),
					 "backend %d admitted at load %d, cap %llu (total %d)", x,
					 pi.load, (unsigned long long)cap, pi.total);
			} else if ((double)pi.load / cap > th->max_ratio) {
				th->max_ratio = (double)pi.load / cap;
			}
		}
		th->held[th->nheld++] = x;
	}
	return NULL;
}

static void c_run(u32 kind, u32 n, u32 milli, u32 ops)
{
	struct c_shared sh = { .kind = kind, .milli = milli, .n = n, .ops = ops };
	struct c_thread th[C_THREADS];
	u64 violations = 0, fallbacks = 0, overflows = 0, picks = 0;
	double max_ratio = 0, max_fallback = 0;
	u32 i, phase, k;
	int sum;

	sh.s = t_set_new(n, 1, 4242);
	for (i = 0; i < n; i++) {
		sh.s->b[i].weight = 1 + i % 3;
		sh.wsum += sh.s->b[i].weight;
	}
	sh.t = t_build(kind, 0, sh.milli, 251, sh.s->b, n);
	for (phase = 0; phase < 2; phase++) {
		sh.assign_only = phase == 1;
		pthread_barrier_init(&sh.start, NULL, C_THREADS);
		for (i = 0; i < C_THREADS; i++) {
			memset(&th[i], 0, sizeof(th[i]));
			th[i].sh = &sh;
			th[i].seed = t_seed() * 31 + i + 100 * phase;
			pthread_create(&th[i].tid, NULL, c_worker, &th[i]);
		}
		for (i = 0; i < C_THREADS; i++) {
			pthread_join(th[i].tid, NULL);
			violations += th[i].violations;
			fallbacks += th[i].fallbacks;
			overflows += th[i].overflows;
			picks += th[i].picks;
			max_ratio = th[i].max_ratio > max_ratio ? th[i].max_ratio : max_ratio;
			max_fallback = th[i].max_fallback > max_fallback ? th[i].max_fallback :
				max_fallback;
			CHECK(!th[i].violations, "thread %u: %s", i, th[i].why);
		}
		pthread_barrier_destroy(&sh.start);
		sum = 0;
		for (k = 0; k < n; k++)
			sum += atomic_read(&sh.s->load[k]);
		CHECK(sum == atomic_read(&sh.total), "loads add up to %d, total %d", sum,
		      atomic_read(&sh.total));
		if (phase == 1 && kind == SL_SCHED_CHBL) {
			/* no releases: every backend within the cap of the final total */
			for (k = 0; k < n; k++) {
				u64 cap = t_cap_ref(sh.milli, atomic_read(&sh.total),
						    sh.s->b[k].weight, sh.wsum);

				CHECK((u64)atomic_read(&sh.s->load[k]) <= cap,
				      "assign-only: backend %u holds %d, cap %llu", k,
				      atomic_read(&sh.s->load[k]), (unsigned long long)cap);
			}
		}
		/* release what the threads hold */
		for (i = 0; i < C_THREADS; i++)
			for (k = 0; k < th[i].nheld; k++) {
				atomic_dec(&sh.s->load[th[i].held[k]]);
				atomic_dec(&sh.total);
			}
		CHECK(atomic_read(&sh.total) == 0);
		for (k = 0; k < n; k++)
			CHECK(atomic_read(&sh.s->load[k]) == 0);
	}
	CHECK(!violations);
	if (kind == SL_SCHED_CHBL) {
		CHECK(overflows > picks / 20, "only %llu overflows in %llu picks",
		      (unsigned long long)overflows, (unsigned long long)picks);
		CHECK(max_ratio <= 1.0);
	}
	t_note("%u backends, c = %u/1000: %u threads, %llu picks, %llu overflows; max load/cap %.3f; %llu fallbacks (every backend seen full), worst load/cap there %.3f",
	       n, milli, C_THREADS, (unsigned long long)picks, (unsigned long long)overflows,
	       max_ratio, (unsigned long long)fallbacks, max_fallback);
	sl_table_free(sh.t);
	t_set_free(sh.s);
}

static void concurrency_chbl(void)
{
	c_run(SL_SCHED_CHBL, 8, 1100, 400000);
	/* nearly every backend at its cap all the time: admissions race */
	c_run(SL_SCHED_CHBL, 3, 1001, 1000000);
}

static void concurrency_maglev(void)
{
	c_run(SL_SCHED_MAGLEV, 8, 1100, 400000);
}

SL_TESTS(prop_tests) = {
	SL_T(prop_chbl),
	SL_T(prop_maglev),
	SL_T(concurrency_chbl),
	SL_T(concurrency_maglev),
};
const unsigned int prop_ntests = sizeof(prop_tests) / sizeof(prop_tests[0]);
