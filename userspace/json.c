// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: a small streaming JSON writer for `-j` output. Commas are
 * placed by tracking, per nesting level, whether a value was written.
 */
#include <inttypes.h>
#include <stdio.h>

#include "sluice.h"

#define JS_DEPTH 32

static bool js_has_value[JS_DEPTH];
static int js_depth;
static bool js_after_key;

static void js_sep(void)
{
	if (js_after_key) {
		js_after_key = false;
		return;
	}
	if (js_depth > 0 && js_has_value[js_depth - 1])
		putchar(',');
	if (js_depth > 0)
		js_has_value[js_depth - 1] = true;
}

static void js_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void js_key(const char *key)
{
	if (!key)
		return;
	js_sep();
	js_string(key);
	putchar(':');
	js_after_key = true;
}

static void js_open(char c)
{
	js_sep();
	putchar(c);
	if (js_depth < JS_DEPTH)
		js_has_value[js_depth] = false;
	js_depth++;
}

static void js_close(char c)
{
	js_depth--;
	putchar(c);
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
	printf("%" PRIu64, val);
}

void js_i64(const char *key, int64_t val)
{
	js_key(key);
	js_sep();
	printf("%" PRId64, val);
}

void js_bool(const char *key, bool val)
{
	js_key(key);
	js_sep();
	fputs(val ? "true" : "false", stdout);
}

void js_double(const char *key, double val)
{
	js_key(key);
	js_sep();
	printf("%.6g", val);
}

void js_end(void)
{
	putchar('\n');
	js_depth = 0;
	js_after_key = false;
}
