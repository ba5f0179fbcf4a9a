// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: rates and sizes in the units tc(8) accepts, and their
 * printing.
 *
 * Rates (tc's get_rate): a decimal number (digits and one ".", no sign,
 * exponent or 0x) with an optional suffix, case-insensitive:
 *   bit (or none), kbit, mbit, gbit, tbit   = 10^3, 10^6, ... bits/s
 *   kibit, mibit, gibit, tibit              = 2^10, 2^20, ... bits/s
 *   bps, kbps, mbps, gbps, tbps             = bytes/s, 10^3, 10^6, ... bytes/s
 *   kibps, mibps, gibps, tibps              = 2^10, 2^20, ... bytes/s
 * Sizes (tc's get_size): bytes, or with b, k/kb, m/mb, g/gb (powers of
 * 1024 bytes), kbit, mbit, gbit (powers of 1024 bits).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice.h"

struct unit {
	const char *name;
	double scale;
};

static const struct unit rate_units[] = {
	{ "", 1. }, { "bit", 1. },
	{ "kibit", 1024. }, { "kbit", 1000. },
	{ "mibit", 1024. * 1024. }, { "mbit", 1000000. },
	{ "gibit", 1024. * 1024. * 1024. }, { "gbit", 1000000000. },
	{ "tibit", 1024. * 1024. * 1024. * 1024. }, { "tbit", 1000000000000. },
	{ "bps", 8. },
	{ "kibps", 8. * 1024. }, { "kbps", 8000. },
	{ "mibps", 8. * 1024. * 1024. }, { "mbps", 8000000. },
	{ "gibps", 8. * 1024. * 1024. * 1024. }, { "gbps", 8000000000. },
	{ "tibps", 8. * 1024. * 1024. * 1024. * 1024. }, { "tbps", 8000000000000. },
	{ NULL, 0 },
};

static const struct unit size_units[] = {
	{ "", 1. }, { "b", 1. },
	{ "k", 1024. }, { "kb", 1024. },
	{ "m", 1024. * 1024. }, { "mb", 1024. * 1024. },
	{ "g", 1024. * 1024. * 1024. }, { "gb", 1024. * 1024. * 1024. },
	{ "kbit", 1024. / 8 }, { "mbit", 1024. * 1024. / 8 },
	{ "gbit", 1024. * 1024. * 1024. / 8 },
	{ NULL, 0 },
};

/* A decimal number ("1.5", not "0x10", "1e3", "+1" or " 1") and a unit. */
static int parse_unit(const char *s, const struct unit *units, double *out)
{
	size_t n = strspn(s, "0123456789.");
	const struct unit *u;
	char num[64], *end;
	double v;

	if (!n || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	errno = 0;
	v = strtod(num, &end);
	if (*end || errno || !isfinite(v))
		return -EINVAL;
	for (u = units; u->name; u++) {
		if (!strcasecmp(u->name, s + n)) {
			*out = v * u->scale;
			return 0;
		}
	}
	return -EINVAL;
}

int sl_parse_rate(const char *s, uint64_t *bytes_per_sec)
{
	double bits;

	if (parse_unit(s, rate_units, &bits))
		return -EINVAL;
	if (bits / 8 > 1.8e19)
		return -ERANGE;
	*bytes_per_sec = (uint64_t)(bits / 8 + 0.5);
	return 0;
}

int sl_parse_size(const char *s, uint64_t *bytes)
{
	double b;

	if (parse_unit(s, size_units, &b))
		return -EINVAL;
	if (b > 1.8e19)
		return -ERANGE;
	*bytes = (uint64_t)(b + 0.5);
	return 0;
}

/* "40Mbit", "1.5Gbit", "800bit": bits per second as tc prints them. */
const char *sl_fmt_rate(char *buf, size_t len, double bits_per_sec)
{
	static const char *const pfx[] = { "", "K", "M", "G", "T" };
	unsigned int i = 0;

	while (bits_per_sec >= 1000. && i < 4) {
		bits_per_sec /= 1000.;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0fbit", bits_per_sec);
	else
		snprintf(buf, len, "%.4g%sbit", bits_per_sec, pfx[i]);
	return buf;
}

/* "64Kb", "1.5Mb", "900b": bytes as tc prints sizes. */
const char *sl_fmt_size(char *buf, size_t len, double bytes)
{
	static const char *const pfx[] = { "", "K", "M", "G", "T" };
	unsigned int i = 0;

	while (bytes >= 1024. && i < 4) {
		bytes /= 1024.;
		i++;
	}
	snprintf(buf, len, i ? "%.4g%sb" : "%.0f%sb", bytes, pfx[i]);
	return buf;
}

/* "12.3k", "4.5M": a count per second or a total. */
const char *sl_fmt_count(char *buf, size_t len, double n)
{
	static const char *const pfx[] = { "", "k", "M", "G", "T" };
	unsigned int i = 0;

	while (n >= 1000. && i < 4) {
		n /= 1000.;
		i++;
	}
	snprintf(buf, len, i ? "%.4g%s" : "%.0f%s", n, pfx[i]);
	return buf;
}
