// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: `sluice version`, the CLI's and the module's versions and
 * the module's feature list.
 */
#include <errno.h>
#include <string.h>

#include "sluice.h"

struct version_reply {
	char version[64];
	char features[512];
	int err;	/* a reply that could not be read (printed) */
};

static int version_cb(struct nl_msg *msg, void *arg)
{
	struct version_reply *r = arg;
	struct nlattr *tb[SLUICE_A_MAX + 1], *f;
	int rem;

	if (r->err)
		return NL_SKIP;
	r->err = sl_nl_parse(msg, tb);
	if (r->err)
		return NL_SKIP;
	if (tb[SLUICE_A_VERSION])
		snprintf(r->version, sizeof(r->version), "%s",
			 nla_get_string(tb[SLUICE_A_VERSION]));
	if (tb[SLUICE_A_FEATURES]) {
		nla_for_each_nested(f, tb[SLUICE_A_FEATURES], rem) {
			size_t len = strlen(r->features);

			if (nla_type(f) != SLUICE_A_FEATURE)
				continue;
			if (!memchr(nla_data(f), '\0', nla_len(f))) {
				r->err = sl_nl_malformed("a feature name without its NUL");
				return NL_SKIP;
			}
			snprintf(r->features + len, sizeof(r->features) - len,
				 "%s%s", len ? " " : "", nla_get_string(f));
		}
	}
	return NL_OK;
}

/* The module's version and features, through @nl; -errno (printed). */
static int get_version(struct sl_nl *nl, struct version_reply *r)
{
	struct nl_msg *msg = sl_nl_msg(nl, SLUICE_CMD_GET_VERSION, 0);
	int err;

	if (!msg) {
		sl_err("out of memory");
		return -ENOMEM;
	}
	memset(r, 0, sizeof(*r));
	err = sl_nl_talk(nl, msg, version_cb, r);
	return err ? err : r->err;
}

int sl_nl_has_feature(struct sl_nl *nl, const char *name)
{
	struct version_reply r;
	char *save = NULL, *tok;
	int err = get_version(nl, &r);

	if (err)
		return err;
	for (tok = strtok_r(r.features, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, name))
			return 1;
	return 0;
}

int cmd_version(int argc, char **argv)
{
	struct version_reply r;
	struct sl_nl nl;
	int err;

	if (sl_want_help(argc, argv,
			 "Usage: sluice version\n"
			 "Print the CLI's version, the loaded module's version and its features.\n"))
		return EXIT_OK;
	if (argc)
		return sl_usage("version: unexpected argument '%s'", argv[0]);
	if (sl_nl_open(&nl))
		return EXIT_ERR;
	err = get_version(&nl, &r);
	sl_nl_close(&nl);
	if (err)
		return EXIT_ERR;

	if (sl_opts.json) {
		char *save = NULL, *tok;

		js_begin_obj();
		js_str("cli", SLUICE_CLI_VERSION);
		js_str("module", r.version);
		js_key("features");
		js_begin_arr();
		for (tok = strtok_r(r.features, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save))
			js_str(NULL, tok);
		js_end_arr();
		js_end_obj();
		js_end();
	} else {
		printf("cli %s\nmodule %s\nfeatures %s\n", SLUICE_CLI_VERSION,
		       r.version, r.features);
	}
	return EXIT_OK;
}
