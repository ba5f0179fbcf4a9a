// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: `sluice top`, a live view of per-cgroup ingress rates, like
 * top(1) for network ingress: every interval it reads the entries' counters
 * and shows, per entry, the bits/s and packets/s received, the packets
 * CE-marked and dropped per second, and the rate the entry is held to now.
 * The entries are shown as their tree, the busiest first among siblings.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice.h"

static const char top_usage[] =
	"Usage: sluice top [-d SECONDS] [-n COUNT] [-b] [-j]\n"
	"Live per-cgroup ingress rates, refreshed every interval, as the tree of\n"
	"entries with the busiest first among siblings: received bits/s and\n"
	"packets/s, CE marks/s, drops/s, and the rate each is held to now.\n"
	"  -d SECONDS  interval: 0.05 to 3600, at most three decimals (default 1)\n"
	"  -n COUNT    stop after COUNT refreshes (default: run until interrupted)\n"
	"  -b          batch mode: append each refresh instead of redrawing\n"
	"  -j          one JSON object per refresh and line\n";

struct rate {
	double bps, pps, mps, dps;
};

/* The rates of the entries of the list being shown, index for index. */
static struct rate *rates;
static const struct sl_cg_list *shown;

static const struct rate *rate_of(const struct sl_cg *g)
{
	return &rates[g - shown->v];
}

static int cmp_busy(const struct sl_cg *a, const struct sl_cg *b)
{
	double ra = rate_of(a)->bps, rb = rate_of(b)->bps;

	if (ra != rb)
		return ra < rb ? 1 : -1;
	return strcmp(a->path, b->path);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Rates between the previous sample @prev and @cur, @dt seconds apart. An
 * entry that is new, or whose counters went back (deleted and created
 * again in between), has none this time.
 */
static int compute(const struct sl_cg_list *prev, const struct sl_cg_list *cur,
		   double dt)
{
	size_t i;

	free(rates);
	shown = cur;
	rates = calloc(cur->n + 1, sizeof(*rates));
	if (!rates) {
		sl_err("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < cur->n; i++) {
		const struct sl_cg_stats *c = &cur->v[i].st, *p;
		const struct sl_cg *was = sl_cg_find(prev, cur->v[i].id);
		struct rate *r = &rates[i];

		if (!was || dt <= 0)
			continue;
		p = &was->st;
		if (c->bytes < p->bytes || c->packets < p->packets ||
		    c->marked < p->marked || c->dropped < p->dropped)
			continue;
		r->bps = (c->bytes - p->bytes) * 8. / dt;
		r->pps = (c->packets - p->packets) / dt;
		r->mps = (c->marked - p->marked) / dt;
		r->dps = (c->dropped - p->dropped) / dt;
	}
	return 0;
}

static int show(struct sl_cg_list *l, double t, double dt, bool batch)
{
	size_t *order = calloc(l->n + 1, sizeof(*order)), i;
	char a[32], b[32], c[32], d[32], e[32];
	ssize_t n;

	if (!order) {
		sl_err("out of memory");
		return -ENOMEM;
	}
	n = sl_cg_order(l, cmp_busy, order);
	if (n < 0) {
		free(order);
		return (int)n;
	}
	if (sl_opts.json) {
		js_begin_obj();
		js_double("t", t);
		js_double("interval", dt);
		js_key("cgroups");
		js_begin_arr();
		for (i = 0; i < (size_t)n; i++) {
			const struct sl_cg *g = &l->v[order[i]];
			const struct rate *r = rate_of(g);

			js_begin_obj();
			js_str("path", g->path);
			js_u64("depth", g->depth);
			js_double("bps", r->bps);
			js_double("pps", r->pps);
			js_double("marks", r->mps);
			js_double("drops", r->dps);
			js_u64("share", g->share * 8);
			js_end_obj();
		}
		js_end_arr();
		js_end_obj();
		js_end();
		sl_flush();
		free(order);
		return 0;
	}
	if (!batch)
		fputs("\033[H\033[2J", stdout);
	printf("sluice top - ingress per cgroup, every %.3g s, %zu entries\n\n", dt, l->n);
	printf("%-40s %12s %10s %9s %9s %12s\n", "CGROUP", "BITS/S", "PKTS/S",
	       "MARKS/S", "DROPS/S", "HELD TO");
	for (i = 0; i < (size_t)n; i++) {
		const struct sl_cg *g = &l->v[order[i]];
		const struct rate *r = rate_of(g);
		size_t w = 2 * (size_t)g->depth;

		printf("%*s", (int)w, "");
		w += sl_put_text(stdout, g->path);
		printf("%*s %12s %10s %9s %9s %12s\n", w < 40 ? (int)(40 - w) : 0, "",
		       sl_fmt_rate(a, sizeof(a), r->bps),
		       sl_fmt_count(b, sizeof(b), r->pps),
		       sl_fmt_count(c, sizeof(c), r->mps),
		       sl_fmt_count(d, sizeof(d), r->dps),
		       g->share ? sl_fmt_rate(e, sizeof(e), g->share * 8.) : "-");
	}
	if (batch)
		putchar('\n');
	sl_flush();
	free(order);
	return 0;
}

enum { TO_DELAY, TO_COUNT, TO_BATCH };

static const struct sl_opt top_opts[] = {
	[TO_DELAY]	= { "-d", false },
	[TO_COUNT]	= { "-n", false },
	[TO_BATCH]	= { "-b", true },
	{ NULL, false },
};

int cmd_top(int argc, char **argv)
{
	struct sl_cg_list prev = { 0 }, cur = { 0 };
	double interval = 1, t0, tprev;
	unsigned int seen = 0;
	uint64_t count = 0, ms, i;
	bool batch = false;
	const char *val;
	struct sl_nl nl;
	int a, err = 0;

	if (sl_want_help(argc, argv, top_usage))
		return EXIT_OK;
	for (a = 0; a < argc; a++) {
		switch (sl_opt("top", top_opts, &seen, argc, argv, &a, &val)) {
		case TO_DELAY:
			if (sl_parse_dec(val, 3, 3600000, &ms) || ms < 50)
				return sl_usage("top: -d takes seconds, 0.05 to 3600 "
						"(at most three decimals, no leading 0), not '%s'", val);
			interval = ms / 1000.;
			break;
		case TO_COUNT:
			if (sl_parse_dec(val, 0, UINT32_MAX, &count) || count < 1)
				return sl_usage("top: -n takes a positive count (no leading 0), not '%s'", val);
			break;
		case TO_BATCH:
			batch = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (!isatty(STDOUT_FILENO))
		batch = true;
	if (sl_nl_open(&nl))
		return EXIT_ERR;
	if (sl_cg_dump(&nl, &prev)) {
		sl_nl_close(&nl);
		return EXIT_ERR;
	}
	t0 = tprev = now_s();
	for (i = 0; !count || i < count; i++) {
		double t, wait = tprev + interval - now_s();
		struct sl_cg_list tmp;

		if (wait > 0) {
			struct timespec ts = { (time_t)wait,
					       (long)((wait - (time_t)wait) * 1e9) };

			nanosleep(&ts, NULL);
		}
		err = sl_cg_dump(&nl, &cur);
		if (err)
			break;
		t = now_s();
		err = compute(&prev, &cur, t - tprev);
		if (!err)
			err = show(&cur, t - t0, t - tprev, batch);
		if (!err && ferror(stdout))
			err = -EIO;	/* main() says why */
		if (err)
			break;
		tmp = prev;
		prev = cur;
		cur = tmp;
		tprev = t;
	}
	sl_cg_list_free(&prev);
	sl_cg_list_free(&cur);
	free(rates);
	sl_nl_close(&nl);
	return err ? EXIT_ERR : EXIT_OK;
}
