// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: strings that came from elsewhere (a cgroup's path may hold
 * any byte but '/' and NUL) on output. sl_char() reads them a character at
 * a time, as UTF-8; the JSON writer (json.c) and sl_put_text(), for
 * terminals, escape what it finds unfit.
 */
#include "sluice.h"

/*
 * Characters a terminal shows as nothing, or that change how it lays out
 * what is around them, so that a name holding them looks like another:
 * "/web" + U+200B (zero width space) looks like "/web", and U+202E (right
 * to left override) shows "/web/a<RLO>gpj.exe" as "/web/aexe.jpg". They
 * are shown escaped, as controls are: Unicode's format characters
 * (category Cf, Unicode 15: the bidirectional controls, zero width
 * characters, the soft hyphen, tags ...), the variation selectors, the
 * combining grapheme joiner, the Hangul fillers and the line and paragraph
 * separators.
 */
static const struct { uint32_t first, last; } invisible[] = {
	{ 0x00ad, 0x00ad },	/* soft hyphen (Cf) */
	{ 0x034f, 0x034f },	/* combining grapheme joiner */
	{ 0x0600, 0x0605 },	/* Arabic number signs (Cf) */
	{ 0x061c, 0x061c },	/* Arabic letter mark (Cf) */
	{ 0x06dd, 0x06dd },	/* Arabic end of ayah (Cf) */
	{ 0x070f, 0x070f },	/* Syriac abbreviation mark (Cf) */
	{ 0x0890, 0x0891 },	/* Arabic pound and piastre marks above (Cf) */
	{ 0x08e2, 0x08e2 },	/* Arabic disputed end of ayah (Cf) */
	{ 0x115f, 0x1160 },	/* Hangul choseong and jungseong fillers */
	{ 0x180b, 0x180f },	/* Mongolian free variation selectors, vowel separator (Cf) */
	{ 0x200b, 0x200f },	/* zero width space, joiners, LRM, RLM (Cf) */
	{ 0x2028, 0x202e },	/* line and paragraph separators, bidi embeddings (Cf) */
	{ 0x2060, 0x2064 },	/* word joiner, invisible operators (Cf) */
	{ 0x2066, 0x206f },	/* bidi isolates, deprecated format characters (Cf) */
	{ 0x3164, 0x3164 },	/* Hangul filler */
	{ 0xfe00, 0xfe0f },	/* variation selectors */
	{ 0xfeff, 0xfeff },	/* zero width no-break space, BOM (Cf) */
	{ 0xffa0, 0xffa0 },	/* halfwidth Hangul filler */
	{ 0xfff9, 0xfffb },	/* interlinear annotation (Cf) */
	{ 0x110bd, 0x110bd },	/* Kaithi number sign (Cf) */
	{ 0x110cd, 0x110cd },	/* Kaithi number sign above (Cf) */
	{ 0x13430, 0x1343f },	/* Egyptian hieroglyph format controls (Cf) */
	{ 0x1bca0, 0x1bca3 },	/* shorthand format controls (Cf) */
	{ 0x1d173, 0x1d17a },	/* musical symbol format controls (Cf) */
	{ 0xe0001, 0xe0001 },	/* language tag (Cf) */
	{ 0xe0020, 0xe007f },	/* tags (Cf) */
	{ 0xe0100, 0xe01ef },	/* variation selectors supplement */
};

static bool sl_char_invisible(uint32_t c)
{
	size_t lo = 0, hi = sizeof(invisible) / sizeof(invisible[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c < invisible[mid].first)
			hi = mid;
		else if (c > invisible[mid].last)
			lo = mid + 1;
		else
			return true;
	}
	return false;
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
	*kind = c < 0x20 || (c >= 0x7f && c < 0xa0) || sl_char_invisible(c) ?
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
