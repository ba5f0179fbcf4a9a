// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: what the commands' argument parsing shares. Numbers are plain
 * decimal (no 0x, no sign, no space; a leading 0 before a digit is refused:
 * earlier versions read 0100 as octal, 64, and a script written for them
 * must not get 100 in silence; a point is followed by a digit), and named
 * options are each given at most once.
 */
#include <errno.h>
#include <string.h>

#include "sluice.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One more digit of @n; what m cannot hold is marked, not added. */
static void add_digit(struct sl_dec *n, unsigned int digit, bool frac)
{
	if (n->big || n->inexact)
		return;
	if (n->m > (UINT64_MAX - digit) / 10) {
		if (frac)
			n->inexact = true;
		else
			n->big = true;
		return;
	}
	n->m = n->m * 10 + digit;
	n->d += frac;
}

int sl_scan_dec(const char *s, struct sl_dec *n)
{
	const char *p = s;
	unsigned int zeros = 0;	/* zeros after the point, not yet in m */
	bool frac = false;

	memset(n, 0, sizeof(*n));
	if (!is_digit(*p) && !(*p == '.' && is_digit(p[1])))
		return -EINVAL;
	if (p[0] == '0' && is_digit(p[1]))
		return -EILSEQ;
	for (; is_digit(*p) || (*p == '.' && !frac && is_digit(p[1])); p++) {
		if (*p == '.') {
			frac = true;
		} else if (!frac) {
			add_digit(n, (unsigned int)(*p - '0'), false);
		} else if (*p == '0') {
			zeros++;	/* added only if a digit other than 0 follows */
		} else {
			for (; zeros; zeros--)
				add_digit(n, 0, true);
			add_digit(n, (unsigned int)(*p - '0'), true);
		}
	}
	return (int)(p - s);
}

int sl_parse_dec(const char *s, unsigned int decimals, uint64_t max,
		 uint64_t *v)
{
	struct sl_dec n;
	int len = sl_scan_dec(s, &n);

	if (len < 0)
		return len;
	/* a whole number has no point, not even "5.0" */
	if (s[len] || (!decimals && strchr(s, '.')))
		return -EINVAL;
	if (n.d > decimals || n.inexact)
		return -EDOM;
	for (; n.d < decimals && n.m <= max; n.d++)
		n.m *= 10;
	if (n.big || n.m > max)
		return -ERANGE;
	*v = n.m;
	return 0;
}

int sl_opt(const char *cmd, const struct sl_opt *opts, unsigned int *seen,
	   int argc, char **argv, int *i, const char **val)
{
	const char *k = argv[*i];
	int o;

	for (o = 0; opts[o].name; o++)
		if (!strcmp(opts[o].name, k))
			break;
	if (!opts[o].name) {
		sl_usage("%s: unknown option '%s'", cmd, k);
		return -1;
	}
	if (*seen & (1u << o)) {
		sl_usage("%s: '%s' given twice", cmd, k);
		return -1;
	}
	*val = NULL;
	if (!opts[o].flag) {
		if (*i + 1 >= argc) {
			sl_usage("%s: option '%s' needs a value", cmd, k);
			return -1;
		}
		*val = argv[++*i];
	}
	*seen |= 1u << o;
	return o;
}
