// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: what the commands' argument parsing shares. Numbers are plain
 * decimal (no 0x, no sign, no space; a leading 0 before a digit is refused:
 * earlier versions read 0100 as octal, 64, and a script written for them
 * must not get 100 in silence), and named options are each given at most
 * once.
 */
#include <errno.h>
#include <string.h>

#include "sluice.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int sl_parse_dec(const char *s, unsigned int decimals, uint64_t max,
		 uint64_t *v)
{
	unsigned int d = 0;
	bool frac = false, big = false;
	uint64_t x = 0;

	if (!is_digit(*s) && !(*s == '.' && decimals && is_digit(s[1])))
		return -EINVAL;
	if (s[0] == '0' && is_digit(s[1]))
		return -EILSEQ;
	for (; *s; s++) {
		if (*s == '.' && !frac && decimals) {
			frac = true;
			continue;
		}
		if (!is_digit(*s))
			return -EINVAL;
		if (frac && ++d > decimals)
			continue;	/* refused below, once the syntax is known good */
		if (x > max)
			big = true;	/* and stop growing: x * 10 could wrap */
		else
			x = x * 10 + (uint64_t)(*s - '0');
	}
	if (d > decimals)
		return -EDOM;
	for (; d < decimals && x <= max; d++)
		x *= 10;
	if (big || x > max)
		return -ERANGE;
	*v = x;
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
