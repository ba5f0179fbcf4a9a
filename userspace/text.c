// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: strings that came from elsewhere (a cgroup's path may hold
 * any byte but '/' and NUL) on output. sl_char() reads them a character at
 * a time, as UTF-8; the JSON writer (json.c) and sl_put_text(), for
 * terminals, escape what it finds unfit.
 */
#include "sluice.h"

/*
 * Characters that are printable but change how a terminal lays out what
 * is around them: the bidirectional controls (U+202E shows "/web/a<RLO>
 * gpj.exe" as "/web/aexe.jpg") and the line and paragraph separators.
 * They are shown escaped, as controls are.
 */
static bool sl_char_reorders(uint32_t c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x2028 || c == 0x2029;
}

size_t sl_char(const char *str, enum sl_char *kind, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c = s[0], min;
	size_t n, i;

	*kind = SL_CHAR_BAD;
	*cp = c;
	if (c < 0x80) {
		n = 1;
		min = 0;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 1;
	}
	/* a NUL is no continuation byte: nothing is read past the end */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 1;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 1;
	*cp = c;
	*kind = c < 0x20 || (c >= 0x7f && c < 0xa0) || sl_char_reorders(c) ?
		SL_CHAR_CONTROL : SL_CHAR_PRINT;
	return n;
}

size_t sl_put_text(FILE *f, const char *s)
{
	size_t cols = 0, n, i;
	enum sl_char kind;
	uint32_t cp;

	for (; *s; s += n) {
		n = sl_char(s, &kind, &cp);
		if (kind == SL_CHAR_PRINT && cp == '\\') {
			fputs("\\\\", f);
			cols += 2;
		} else if (kind == SL_CHAR_PRINT) {
			fwrite(s, 1, n, f);
			cols++;
		} else {
			for (i = 0; i < n; i++)
				fprintf(f, "\\x%02x", (unsigned char)s[i]);
			cols += 4 * n;
		}
	}
	return cols;
}
