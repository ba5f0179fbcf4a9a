// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: rates and sizes in the units tc(8) accepts, and their
 * printing.
 *
 * Rates (tc's get_rate): a decimal number (digits and one "." followed by a
 * digit, no sign, exponent, 0x or leading 0: sl_scan_dec) with an optional
 * suffix, case-insensitive:
 *   bit (or none), kbit, mbit, gbit, tbit   = 10^3, 10^6, ... bits/s
 *   kibit, mibit, gibit, tibit              = 2^10, 2^20, ... bits/s
 *   bps, kbps, mbps, gbps, tbps             = bytes/s, 10^3, 10^6, ... bytes/s
 *   kibps, mibps, gibps, tibps              = 2^10, 2^20, ... bytes/s
 * Sizes (tc's get_size): bytes, or with b, k/kb, m/mb, g/gb (powers of
 * 1024 bytes), kbit, mbit, gbit (powers of 1024 bits).
 * sluice takes whole bytes (per second): 1.5k is 1536 bytes, 12bit (1.5
 * bytes/s) is refused rather than rounded.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "sluice.h"

typedef unsigned __int128 u128;

struct unit {
	const char *name;
	uint64_t scale;		/* rates: bits/s; sizes: bytes */
};

#define KI 1024ULL
#define K 1000ULL

static const struct unit rate_units[] = {
	{ "", 1 }, { "bit", 1 },
	{ "kibit", KI }, { "kbit", K },
	{ "mibit", KI * KI }, { "mbit", K * K },
	{ "gibit", KI * KI * KI }, { "gbit", K * K * K },
	{ "tibit", KI * KI * KI * KI }, { "tbit", K * K * K * K },
	{ "bps", 8 },
	{ "kibps", 8 * KI }, { "kbps", 8 * K },
	{ "mibps", 8 * KI * KI }, { "mbps", 8 * K * K },
	{ "gibps", 8 * KI * KI * KI }, { "gbps", 8 * K * K * K },
	{ "tibps", 8 * KI * KI * KI * KI }, { "tbps", 8 * K * K * K * K },
	{ NULL, 0 },
};

static const struct unit size_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", KI }, { "kb", KI },
	{ "m", KI * KI }, { "mb", KI * KI },
	{ "g", KI * KI * KI }, { "gb", KI * KI * KI },
	{ "kbit", KI / 8 }, { "mbit", KI * KI / 8 }, { "gbit", KI * KI * KI / 8 },
	{ NULL, 0 },
};

/*
 * @s as a decimal number (sl_scan_dec: "1.5", not "0x10", "1e3", "+1",
 * " 1" or "010") and one of @units, in 1/@div of its unit's scale:
 * exactly *num / *den. -EINVAL, -EILSEQ (a leading 0), -ERANGE (past
 * 2^64 before the unit).
 */
static int parse_unit(const char *s, const struct unit *units, unsigned int div,
		      u128 *num, u128 *den)
{
	const struct unit *u;
	struct sl_dec n;
	int len = sl_scan_dec(s, &n);
	unsigned int i;

	if (len < 0)
		return len;
	for (u = units; u->name && strcasecmp(u->name, s + len); u++)
		;
	if (!u->name)
		return -EINVAL;
	if (n.big)
		return -ERANGE;
	/* more digits than any rate or size means (19, or 30 decimals) */
	if (n.inexact || n.d > 30)
		return -EINVAL;
	*num = (u128)n.m * u->scale;
	*den = div;
	for (i = 0; i < n.d; i++)
		*den *= 10;
	return 0;
}

/*
 * num / den as whole bytes into *v: 0, -ERANGE past 2^64, or -EDOM if
 * it has a fraction of a byte, *v then its whole part and @exact the
 * amount as a decimal ("1.5": den is 10^n times 1 or 8, so its decimals
 * end).
 */
static int whole_bytes(u128 num, u128 den, uint64_t *v, char *exact, size_t len)
{
	u128 q = num / den, r = num % den;
	int n;

	if (q > UINT64_MAX)
		return -ERANGE;
	*v = (uint64_t)q;
	if (!r)
		return 0;
	n = snprintf(exact, len, "%" PRIu64 ".", *v);
	for (; r && n > 0 && (size_t)n + 1 < len; n++) {
		r *= 10;
		exact[n] = (char)('0' + (int)(r / den));
		r %= den;
	}
	if (n > 0 && (size_t)n < len)
		exact[n] = '\0';
	return -EDOM;
}

int sl_parse_rate(const char *s, uint64_t *bytes_per_sec, char *exact, size_t len)
{
	u128 num, den;
	int err = parse_unit(s, rate_units, 8, &num, &den);

	return err ? err : whole_bytes(num, den, bytes_per_sec, exact, len);
}

int sl_parse_size(const char *s, uint64_t *bytes, char *exact, size_t len)
{
	u128 num, den;
	int err = parse_unit(s, size_units, 1, &num, &den);

	return err ? err : whole_bytes(num, den, bytes, exact, len);
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
