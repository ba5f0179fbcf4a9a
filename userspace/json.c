// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: a small JSON writer for `-j` output. Commas are placed by
 * tracking, per nesting level, whether a value was written. A document is
 * built in memory and written to stdout whole by js_end(): a command that
 * fails half way (js_discard()) prints none of it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

#define JS_DEPTH 32

static bool js_has_value[JS_DEPTH];
static int js_depth;
static bool js_after_key;
static FILE *js_f;		/* the document so far, NULL between documents */
static char *js_buf;
static size_t js_len;

static FILE *js_out(void)
{
	if (!js_f) {
		js_f = open_memstream(&js_buf, &js_len);
		if (!js_f) {
			sl_err("out of memory");
			exit(EXIT_ERR);
		}
	}
	return js_f;
}

static void js_sep(void)
{
	if (js_after_key) {
		js_after_key = false;
		return;
	}
	if (js_depth > 0 && js_has_value[js_depth - 1])
		fputc(',', js_out());
	if (js_depth > 0)
		js_has_value[js_depth - 1] = true;
}

/*
 * @s as a JSON string: the characters sl_char() calls controls (C0, C1,
 * the invisible ones) as \uXXXX (\u001b, \u200b; past U+FFFF as their
 * UTF-16 surrogate pair, \udb40\udc01 for U+E0001), and each byte that is
 * not part of well-formed UTF-8 as U+FFFD, so that the document is valid
 * UTF-8 whatever the string holds.
 */
static void js_string(const char *s)
{
	FILE *f = js_out();
	enum sl_char kind;
	uint32_t cp;
	size_t n;

	fputc('"', f);
	for (; *s; s += n) {
		n = sl_char(s, &kind, &cp);
		if (kind == SL_CHAR_BAD)
			fputs("\\ufffd", f);
		else if (kind == SL_CHAR_CONTROL && cp > 0xffff)
			/* past the BMP, as the UTF-16 surrogate pair */
			fprintf(f, "\\u%04" PRIx32 "\\u%04" PRIx32,
				0xd800 + ((cp - 0x10000) >> 10),
				0xdc00 + ((cp - 0x10000) & 0x3ff));
		else if (kind == SL_CHAR_CONTROL)
			fprintf(f, "\\u%04" PRIx32, cp);
		else if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else
			fwrite(s, 1, n, f);
	}
	fputc('"', f);
}

void js_key(const char *key)
{
	if (!key)
		return;
	js_sep();
	js_string(key);
	fputc(':', js_out());
	js_after_key = true;
}

static void js_open(char c)
{
	js_sep();
	fputc(c, js_out());
	if (js_depth < JS_DEPTH)
		js_has_value[js_depth] = false;
	js_depth++;
}

static void js_close(char c)
{
	js_depth--;
	fputc(c, js_out());
}

void js_begin_obj(void) { js_open('{'); }
void js_end_obj(void)   { js_close('}'); }
void js_begin_arr(void) { js_open('['); }
void js_end_arr(void)   { js_close(']'); }

void js_str(const char *key, const char *val)
{
	js_key(key);
	js_sep();
	js_string(val);
}

void js_u64(const char *key, uint64_t val)
{
	js_key(key);
	js_sep();
	fprintf(js_out(), "%" PRIu64, val);
}

void js_i64(const char *key, int64_t val)
{
	js_key(key);
	js_sep();
	fprintf(js_out(), "%" PRId64, val);
}

void js_bool(const char *key, bool val)
{
	js_key(key);
	js_sep();
	fputs(val ? "true" : "false", js_out());
}

/* The shortest form that reads back as @val (at most 17 digits); null for
 * what JSON has no number for (NaN, infinities). */
void js_double(const char *key, double val)
{
	char buf[32];
	int prec;

	js_key(key);
	js_sep();
	if (!isfinite(val)) {
		fputs("null", js_out());
		return;
	}
	for (prec = 15;; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, val);
		if (prec == 17 || strtod(buf, NULL) == val)
			break;
	}
	fputs(buf, js_out());
}

void js_discard(void)
{
	if (js_f)
		fclose(js_f);
	free(js_buf);
	js_f = NULL;
	js_buf = NULL;
	js_len = 0;
	js_depth = 0;
	js_after_key = false;
}

void js_end(void)
{
	fputc('\n', js_out());
	if (ferror(js_f) || fflush(js_f)) {
		sl_err("out of memory");
		exit(EXIT_ERR);
	}
	fwrite(js_buf, 1, js_len, stdout);
	js_discard();
}
