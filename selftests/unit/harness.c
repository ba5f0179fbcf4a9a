// SPDX-License-Identifier: GPL-2.0
/* sluice unit tests: the runner (see harness.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness.h"

long ucompat_alloc_fail;
atomic_long ucompat_allocs;

#define T_DIAG_MAX 24

static char t_diag[T_DIAG_MAX][512];
static unsigned int t_ndiag, t_nfail_checks;

void t_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (t_nfail_checks++ >= T_DIAG_MAX || t_ndiag >= T_DIAG_MAX)
		return;
	len = snprintf(t_diag[t_ndiag], sizeof(t_diag[0]), "%s:%d: failed: %s:",
		       file, line, cond);
	if (len >= (int)sizeof(t_diag[0]))
		len = sizeof(t_diag[0]) - 1;
	va_start(ap, fmt);
	vsnprintf(t_diag[t_ndiag] + len, sizeof(t_diag[0]) - len, fmt, ap);
	va_end(ap);
	t_ndiag++;
}

void t_note(const char *fmt, ...)
{
	va_list ap;

	if (t_ndiag >= T_DIAG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(t_diag[t_ndiag], sizeof(t_diag[0]), fmt, ap);
	va_end(ap);
	t_ndiag++;
}

bool t_failed(void)
{
	return t_nfail_checks > 0;
}

long t_env(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

u64 t_seed(void)
{
	return (u64)t_env("SL_SEED", 20240601);
}

struct t_set *t_set_new(u32 n, u32 weight, u64 id_base)
{
	struct t_set *s = calloc(1, sizeof(*s));
	u32 i;

	if (!s)
		abort();
	s->n = n;
	for (i = 0; i < n; i++) {
		s->b[i].id = sl_hash(&(u64){ id_base + i }, 8, 0);
		s->b[i].weight = weight;
		s->b[i].load = &s->load[i];
	}
	return s;
}

void t_set_free(struct t_set *s)
{
	free(s);
}

void t_shuffle_u32(struct t_rng *r, u32 *a, u32 n)
{
	u32 i, j, tmp;

	for (i = n; i > 1; i--) {
		j = t_below(r, i);
		tmp = a[i - 1];
		a[i - 1] = a[j];
		a[j] = tmp;
	}
}

struct sl_table *t_build(u32 kind, u32 seed, u32 milli, u32 msize,
			 const struct sl_sched_backend *b, u32 n)
{
	struct sl_sched_params p = {
		.kind = kind, .seed = seed, .balance_milli = milli,
		.maglev_size = msize,
	};

	return sl_table_build(&p, b, n);
}

static bool t_selected(const char *name)
{
	const char *sel = getenv("SL_TEST"), *p;
	size_t len = strlen(name);

	if (!sel || !*sel)
		return true;
	for (p = sel; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

int main(void)
{
	const struct { const struct sl_test *t; unsigned int n; } groups[] = {
		{ sched_tests, sched_ntests },
		{ chbl_tests, chbl_ntests },
		{ maglev_tests, maglev_ntests },
		{ prop_tests, prop_ntests },
		{ cost_tests, cost_ntests },
	};
	unsigned int g, i, d, pass = 0, fail = 0;
	bool verbose = t_env("SL_VERBOSE", 0);

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (i = 0; i < groups[g].n; i++) {
			const struct sl_test *t = &groups[g].t[i];
			struct timespec a, b;
			long live = atomic_load(&ucompat_allocs);

			if (!t_selected(t->name))
				continue;
			t_ndiag = t_nfail_checks = 0;
			ucompat_alloc_fail = 0;
			clock_gettime(CLOCK_MONOTONIC, &a);
			t->fn();
			clock_gettime(CLOCK_MONOTONIC, &b);
			if (atomic_load(&ucompat_allocs) != live)
				t_fail(__FILE__, __LINE__, "no leak", " %ld allocations not freed",
				       atomic_load(&ucompat_allocs) - live);
			printf("%s unit %s\n", t_failed() ? "not ok" : "ok", t->name);
			if (t_failed() || verbose)
				for (d = 0; d < t_ndiag; d++)
					printf("    %s\n", t_diag[d]);
			if (t_failed() && t_nfail_checks > T_DIAG_MAX)
				printf("    ... %u more failed checks\n",
				       t_nfail_checks - T_DIAG_MAX);
			if (verbose)
				printf("    # %.3f s\n", (b.tv_sec - a.tv_sec) +
				       (b.tv_nsec - a.tv_nsec) / 1e9);
			if (t_failed())
				fail++;
			else
				pass++;
		}
	}
	printf("# unit: %u passed, %u failed\n", pass, fail);
	return fail ? 1 : 0;
}
