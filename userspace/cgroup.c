// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: `sluice cgroup set|del|show`, per-cgroup ingress entries.
 *
 * A cgroup is named by its directory under the cgroup2 mount
 * (/sys/fs/cgroup/web); the CLI checks that it is a directory on a cgroup2
 * file system and sends its ID (the directory's inode number, which is the
 * kernel's cgroup ID). The reading half (sl_cg_dump, sl_cg_order) also
 * serves `sluice top`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "sluice.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *const mode_names[] = { "ecn", "drop" };

/* The cgroup ID of @path for command @cmd: EXIT_OK, or EXIT_ERR or
 * EXIT_USAGE with the error printed. */
static int cg_resolve(const char *cmd, const char *path, uint64_t *id)
{
	struct statfs sfs;
	struct stat st;

	if (!*path)
		return sl_usage("%s: empty cgroup path", cmd);
	if (stat(path, &st)) {
		sl_err("%s: %s", path, strerror(errno));
		return EXIT_ERR;
	}
	if (!S_ISDIR(st.st_mode) || statfs(path, &sfs) ||
	    sfs.f_type != CGROUP2_SUPER_MAGIC) {
		sl_err("%s: not a cgroup2 directory (cgroups are directories "
		       "under the cgroup2 mount, e.g. /sys/fs/cgroup/web)", path);
		return EXIT_ERR;
	}
	*id = st.st_ino;
	return EXIT_OK;
}

/* ---- reading entries: shared with top.c ------------------------------ */

static const struct nla_policy stats_policy[SLUICE_CG_STATS_A_MAX + 1] = {
	[SLUICE_CG_STATS_A_BYTES]	= { .type = NLA_U64 },
	[SLUICE_CG_STATS_A_PACKETS]	= { .type = NLA_U64 },
	[SLUICE_CG_STATS_A_MARKED]	= { .type = NLA_U64 },
	[SLUICE_CG_STATS_A_DROPPED]	= { .type = NLA_U64 },
};

static const struct nla_policy cg_policy[SLUICE_CG_A_MAX + 1] = {
	[SLUICE_CG_A_ID]		= { .type = NLA_U64 },
	[SLUICE_CG_A_PATH]		= { .type = NLA_STRING },
	[SLUICE_CG_A_PARENT_ID]		= { .type = NLA_U64 },
	[SLUICE_CG_A_RATE]		= { .type = NLA_U64 },
	[SLUICE_CG_A_BURST]		= { .type = NLA_U32 },
	[SLUICE_CG_A_WEIGHT]		= { .type = NLA_U32 },
	[SLUICE_CG_A_MODE]		= { .type = NLA_U8 },
	[SLUICE_CG_A_MARK_THRESH]	= { .type = NLA_U32 },
	[SLUICE_CG_A_DROP_THRESH]	= { .type = NLA_U32 },
	[SLUICE_CG_A_STATS]		= { .type = NLA_NESTED },
	[SLUICE_CG_A_SHARE_RATE]	= { .type = NLA_U64 },
};

static int parse_stats(struct nlattr *nest, struct sl_cg_stats *s)
{
	struct nlattr *tb[SLUICE_CG_STATS_A_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (sl_nl_parse_nested(tb, SLUICE_CG_STATS_A_MAX, nest, stats_policy))
		return -EINVAL;
	if (tb[SLUICE_CG_STATS_A_BYTES])
		s->bytes = nla_get_u64(tb[SLUICE_CG_STATS_A_BYTES]);
	if (tb[SLUICE_CG_STATS_A_PACKETS])
		s->packets = nla_get_u64(tb[SLUICE_CG_STATS_A_PACKETS]);
	if (tb[SLUICE_CG_STATS_A_MARKED])
		s->marked = nla_get_u64(tb[SLUICE_CG_STATS_A_MARKED]);
	if (tb[SLUICE_CG_STATS_A_DROPPED])
		s->dropped = nla_get_u64(tb[SLUICE_CG_STATS_A_DROPPED]);
	return 0;
}

/* Fills @c from a SLUICE_A_CGROUP nest; also used by monitor.c. */
int sl_cg_parse(struct nlattr *nest, struct sl_cg *c)
{
	struct nlattr *tb[SLUICE_CG_A_MAX + 1];

	memset(c, 0, sizeof(*c));
	if (sl_nl_parse_nested(tb, SLUICE_CG_A_MAX, nest, cg_policy))
		return -EINVAL;
	if (!tb[SLUICE_CG_A_ID])
		return sl_nl_malformed("a cgroup entry without its ID");
	if (tb[SLUICE_CG_A_STATS] && parse_stats(tb[SLUICE_CG_A_STATS], &c->st))
		return -EINVAL;
	c->id = nla_get_u64(tb[SLUICE_CG_A_ID]);
	if (tb[SLUICE_CG_A_PARENT_ID])
		c->parent_id = nla_get_u64(tb[SLUICE_CG_A_PARENT_ID]);
	if (tb[SLUICE_CG_A_RATE])
		c->rate = nla_get_u64(tb[SLUICE_CG_A_RATE]);
	if (tb[SLUICE_CG_A_SHARE_RATE])
		c->share = nla_get_u64(tb[SLUICE_CG_A_SHARE_RATE]);
	if (tb[SLUICE_CG_A_BURST])
		c->burst = nla_get_u32(tb[SLUICE_CG_A_BURST]);
	if (tb[SLUICE_CG_A_WEIGHT])
		c->weight = nla_get_u32(tb[SLUICE_CG_A_WEIGHT]);
	if (tb[SLUICE_CG_A_MODE])
		c->mode = nla_get_u8(tb[SLUICE_CG_A_MODE]);
	if (tb[SLUICE_CG_A_MARK_THRESH])
		c->mark_thresh = nla_get_u32(tb[SLUICE_CG_A_MARK_THRESH]);
	if (tb[SLUICE_CG_A_DROP_THRESH])
		c->drop_thresh = nla_get_u32(tb[SLUICE_CG_A_DROP_THRESH]);
	/* the kernel leaves out a path longer than PATH_MAX */
	c->path = strdup(tb[SLUICE_CG_A_PATH] ? nla_get_string(tb[SLUICE_CG_A_PATH]) : "?");
	if (!c->path) {
		sl_err("out of memory");
		return -ENOMEM;
	}
	return 0;
}

struct dump_state {
	struct sl_cg_list *l;
	int err;
};

static int dump_cb(struct nl_msg *msg, void *arg)
{
	struct dump_state *ds = arg;
	struct sl_cg_list *l = ds->l;
	struct nlattr *tb[SLUICE_A_MAX + 1];
	struct sl_cg *v;

	if (ds->err)
		return NL_SKIP;
	ds->err = sl_nl_parse(msg, tb);
	if (!ds->err && tb[SLUICE_A_UNATTRIBUTED]) {
		ds->err = parse_stats(tb[SLUICE_A_UNATTRIBUTED], &l->unattr);
		l->have_unattr = true;
	}
	if (ds->err || !tb[SLUICE_A_CGROUP])
		return NL_SKIP;
	v = sl_grow(l->v, &l->cap, l->n, sizeof(*v));
	if (!v) {
		ds->err = -ENOMEM;
		return NL_SKIP;
	}
	l->v = v;
	ds->err = sl_cg_parse(tb[SLUICE_A_CGROUP], &l->v[l->n]);
	if (ds->err)
		return NL_SKIP;
	l->n++;
	return NL_OK;
}

void sl_cg_list_free(struct sl_cg_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	free(l->by_id);
	memset(l, 0, sizeof(*l));
}

static const struct sl_cg_list *sort_list;

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = sort_list->v[*(const size_t *)a].id;
	uint64_t y = sort_list->v[*(const size_t *)b].id;

	return x < y ? -1 : x > y;
}

/* l->by_id: the entries' indices sorted by ID, for sl_cg_find(). */
static int index_ids(struct sl_cg_list *l)
{
	size_t i;

	l->by_id = malloc((l->n + 1) * sizeof(*l->by_id));
	if (!l->by_id) {
		sl_err("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < l->n; i++)
		l->by_id[i] = i;
	sort_list = l;
	qsort(l->by_id, l->n, sizeof(*l->by_id), cmp_id);
	return 0;
}

int sl_cg_dump(struct sl_nl *nl, struct sl_cg_list *l)
{
	int tries, err = -EAGAIN;

	for (tries = 0; tries < 10 && err == -EAGAIN; tries++) {
		struct dump_state ds = { .l = l };
		struct nl_msg *msg;

		sl_cg_list_free(l);
		msg = sl_nl_msg(nl, SLUICE_CMD_CGROUP_GET, NLM_F_DUMP);
		if (!msg) {
			sl_err("out of memory");
			return -ENOMEM;
		}
		err = sl_nl_talk(nl, msg, dump_cb, &ds);
		if (!err)
			err = ds.err;
	}
	if (err == -EAGAIN)
		sl_err("the cgroup entries kept changing during the dump");
	return err ? err : index_ids(l);
}

struct sl_cg *sl_cg_find(const struct sl_cg_list *l, uint64_t id)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct sl_cg *c = &l->v[l->by_id[mid]];

		if (c->id == id)
			return c;
		if (c->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int (*order_cmp)(const struct sl_cg *, const struct sl_cg *);
static const size_t *order_par;

/* By parent, then by order_cmp among siblings. */
static int cmp_sibling(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (order_par[x] != order_par[y])
		return order_par[x] < order_par[y] ? -1 : 1;
	return order_cmp(&sort_list->v[x], &sort_list->v[y]);
}

ssize_t sl_cg_order(struct sl_cg_list *l,
		    int (*cmp)(const struct sl_cg *, const struct sl_cg *),
		    size_t *out)
{
	size_t n = l->n, i, k, sp = 0, placed = 0;
	/* par[i]: the index of i's parent, n for a root; kids: the indices
	 * sorted by parent, kids[first[p]..first[p + 1]) those of p */
	size_t *par = malloc((n + 1) * sizeof(*par));
	size_t *first = calloc(n + 2, sizeof(*first));
	size_t *kids = malloc((n + 1) * sizeof(*kids));
	size_t *stack = malloc((n + 1) * sizeof(*stack));
	ssize_t ret = -ENOMEM;

	if (!par || !first || !kids || !stack) {
		sl_err("out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct sl_cg *p = l->v[i].parent_id ?
				  sl_cg_find(l, l->v[i].parent_id) : NULL;

		par[i] = p ? (size_t)(p - l->v) : n;
		first[par[i] + 1]++;
		kids[i] = i;
	}
	for (i = 1; i <= n + 1; i++)
		first[i] += first[i - 1];
	order_cmp = cmp;
	order_par = par;
	sort_list = l;
	qsort(kids, n, sizeof(*kids), cmp_sibling);

	/* Depth first from the roots, without recursion (a chain of
	 * thousands is no deeper for it): each entry's children are pushed
	 * last first, so that they come out in order. An entry whose
	 * parents loop is never reached. */
	for (k = first[n + 1]; k-- > first[n];) {
		l->v[kids[k]].depth = 0;
		stack[sp++] = kids[k];
	}
	while (sp) {
		i = stack[--sp];
		out[placed++] = i;
		for (k = first[i + 1]; k-- > first[i];) {
			l->v[kids[k]].depth = l->v[i].depth + 1;
			stack[sp++] = kids[k];
		}
	}
	ret = (ssize_t)placed;
out:
	free(par);
	free(first);
	free(kids);
	free(stack);
	return ret;
}

static int cmp_path(const struct sl_cg *a, const struct sl_cg *b)
{
	return strcmp(a->path, b->path);
}

/* ---- set / del ------------------------------------------------------- */

static const char set_usage[] =
	"Usage: sluice cgroup set PATH [rate RATE|none] [burst SIZE] [weight W]\n"
	"                          [mode ecn|drop] [mark SIZE] [drop SIZE]\n"
	"Create or change the ingress entry of the cgroup at PATH (a directory\n"
	"under the cgroup2 mount). Every packet its sockets receive is counted;\n"
	"with a rate, or under a limited parent, it is also held to a rate.\n"
	"  rate RATE    limit, in tc's units (40mbit, 1gbit, 5MBps), whole bytes/s,\n"
	"               at least 8bit; 'none' removes it\n"
	"  burst SIZE   credit after idleness, >= 1500 bytes (default: 10 ms of\n"
	"               rate, at least 64Kb)\n"
	"  weight W     1..10000, share of a limited parent among its receiving\n"
	"               children (default 100)\n"
	"  mode ecn     CE-mark ECN-capable packets past the mark threshold, drop\n"
	"               them past the drop threshold; drop other packets past the\n"
	"               mark threshold (default)\n"
	"  mode drop    drop every packet past the mark threshold\n"
	"  mark SIZE    mark threshold (default: 5 ms of rate, at least 128Kb,\n"
	"               at most a drop SIZE given)\n"
	"  drop SIZE    drop threshold (default: 4 x the mark threshold)\n"
	"Sizes in tc's units: 64k, 1500b, 1m (k = 1024 bytes), whole bytes.\n";

enum { CO_RATE, CO_BURST, CO_WEIGHT, CO_MODE, CO_MARK, CO_DROP };

static const struct sl_opt set_opt_names[] = {
	[CO_RATE]	= { "rate", false },
	[CO_BURST]	= { "burst", false },
	[CO_WEIGHT]	= { "weight", false },
	[CO_MODE]	= { "mode", false },
	[CO_MARK]	= { "mark", false },
	[CO_DROP]	= { "drop", false },
	{ NULL, false },
};

struct cg_set_opts {
	unsigned int given;	/* a bit per CO_* */
	uint64_t rate;
	uint32_t burst, weight, mark, drop;
	uint8_t mode;
};

/* What a number that sl_parse_rate() or sl_parse_size() refused lacks. */
static const char *why_not(int err, const char *units)
{
	return err == -EILSEQ ? "no leading 0 before a digit" : units;
}

/* The largest rate the module takes: 2^40 bytes/s (kmod/ingress.c). */
#define CG_MAX_RATE (1ULL << 40)

/* rate RATE|none; the usage error printed if bad. */
static int parse_rate(const char *val, uint64_t *out)
{
	char exact[64];
	int err;

	*out = 0;
	if (!strcmp(val, "none"))
		return 0;
	err = sl_parse_rate(val, out, exact, sizeof(exact));
	if (err == -ERANGE || ((!err || err == -EDOM) && *out > CG_MAX_RATE))
		return sl_usage("cgroup set: rate %s is too large: at most 1tibps "
				"(2^40 bytes/s, about 8.8tbit)", val);
	if (err == -EDOM && !*out)
		return sl_usage("cgroup set: rate %s is below 8bit (1 byte/s), "
				"sluice's smallest rate", val);
	if (err == -EDOM)
		return sl_usage("cgroup set: rate %s is %s bytes/s: rates are whole "
				"bytes per second", val, exact);
	if (err)
		return sl_usage("cgroup set: cannot parse rate '%s' (%s)", val,
				why_not(err, "tc's units: 40mbit, 1gbit, 5MBps"));
	if (!*out)
		return sl_usage("cgroup set: rate must be more than 0 "
				"('rate none' removes the limit)");
	return 0;
}

static int parse_u32_size(const char *what, const char *val, uint32_t *out)
{
	char exact[64];
	uint64_t v;
	int err = sl_parse_size(val, &v, exact, sizeof(exact));

	if (err == -ERANGE || ((!err || err == -EDOM) && v > UINT32_MAX))
		return sl_usage("cgroup set: %s %s is too large: at most 4294967295 "
				"bytes (4g less 1)", what, val);
	if (err == -EDOM)
		return sl_usage("cgroup set: %s %s is %s bytes: sizes are whole bytes",
				what, val, exact);
	if (err)
		return sl_usage("cgroup set: cannot parse %s '%s' (%s)", what, val,
				why_not(err, "a size such as 64k, 1500b, 1m"));
	*out = (uint32_t)v;
	return 0;
}

/* Parses the options after PATH; prints and returns EXIT_USAGE if bad. */
static int parse_set_opts(int argc, char **argv, struct cg_set_opts *o)
{
	const char *val;
	uint64_t w;
	int i;

	for (i = 0; i < argc; i++) {
		switch (sl_opt("cgroup set", set_opt_names, &o->given, argc, argv, &i, &val)) {
		case CO_RATE:
			if (parse_rate(val, &o->rate))
				return EXIT_USAGE;
			break;
		case CO_BURST:
			if (parse_u32_size("burst", val, &o->burst))
				return EXIT_USAGE;
			break;
		case CO_MARK:
			if (parse_u32_size("mark threshold", val, &o->mark))
				return EXIT_USAGE;
			break;
		case CO_DROP:
			if (parse_u32_size("drop threshold", val, &o->drop))
				return EXIT_USAGE;
			break;
		case CO_WEIGHT:
			if (sl_parse_dec(val, 0, 10000, &w) || w < 1)
				return sl_usage("cgroup set: weight must be an integer "
						"from 1 to 10000 (no leading 0), not '%s'", val);
			o->weight = (uint32_t)w;
			break;
		case CO_MODE:
			if (!strcmp(val, "ecn"))
				o->mode = SLUICE_CG_MODE_ECN;
			else if (!strcmp(val, "drop"))
				o->mode = SLUICE_CG_MODE_DROP;
			else
				return sl_usage("cgroup set: mode is 'ecn' or 'drop', not '%s'", val);
			break;
		default:
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int cmd_cg_set(int argc, char **argv)
{
	struct cg_set_opts o = { 0 };
	struct nl_msg *msg;
	struct nlattr *nest;
	struct sl_nl nl;
	uint64_t id;
	int err;

	if (sl_want_help(argc, argv, set_usage))
		return EXIT_OK;
	if (argc < 1)
		return sl_usage("cgroup set: missing PATH");
	/* Everything is checked before the kernel is asked. */
	err = parse_set_opts(argc - 1, argv + 1, &o);
	if (err)
		return err;
	err = cg_resolve("cgroup set", argv[0], &id);
	if (err)
		return err;

	if (sl_nl_open(&nl))
		return EXIT_ERR;
	msg = sl_nl_msg(&nl, SLUICE_CMD_CGROUP_SET, 0);
	if (!msg || !(nest = nla_nest_start(msg, SLUICE_A_CGROUP)) ||
	    nla_put_u64(msg, SLUICE_CG_A_ID, id) < 0 ||
	    (SL_GIVEN(o.given, CO_RATE) && nla_put_u64(msg, SLUICE_CG_A_RATE, o.rate) < 0) ||
	    (SL_GIVEN(o.given, CO_BURST) && nla_put_u32(msg, SLUICE_CG_A_BURST, o.burst) < 0) ||
	    (SL_GIVEN(o.given, CO_WEIGHT) && nla_put_u32(msg, SLUICE_CG_A_WEIGHT, o.weight) < 0) ||
	    (SL_GIVEN(o.given, CO_MODE) && nla_put_u8(msg, SLUICE_CG_A_MODE, o.mode) < 0) ||
	    (SL_GIVEN(o.given, CO_MARK) && nla_put_u32(msg, SLUICE_CG_A_MARK_THRESH, o.mark) < 0) ||
	    (SL_GIVEN(o.given, CO_DROP) && nla_put_u32(msg, SLUICE_CG_A_DROP_THRESH, o.drop) < 0)) {
		nlmsg_free(msg);
		sl_nl_close(&nl);
		sl_err("out of memory");
		return EXIT_ERR;
	}
	nla_nest_end(msg, nest);
	err = sl_nl_talk(&nl, msg, NULL, NULL);
	sl_nl_close(&nl);
	return err ? EXIT_ERR : EXIT_OK;
}

static int cmd_cg_del(int argc, char **argv)
{
	struct sl_nl nl;
	struct nl_msg *msg;
	struct nlattr *nest;
	uint64_t id;
	int err;

	if (sl_want_help(argc, argv,
			 "Usage: sluice cgroup del PATH\n"
			 "Remove the ingress entry of the cgroup at PATH.\n"))
		return EXIT_OK;
	if (argc != 1)
		return sl_usage("cgroup del: expected exactly one PATH");
	err = cg_resolve("cgroup del", argv[0], &id);
	if (err)
		return err;
	if (sl_nl_open(&nl))
		return EXIT_ERR;
	msg = sl_nl_msg(&nl, SLUICE_CMD_CGROUP_DEL, 0);
	if (!msg || !(nest = nla_nest_start(msg, SLUICE_A_CGROUP)) ||
	    nla_put_u64(msg, SLUICE_CG_A_ID, id) < 0) {
		nlmsg_free(msg);
		sl_nl_close(&nl);
		sl_err("out of memory");
		return EXIT_ERR;
	}
	nla_nest_end(msg, nest);
	err = sl_nl_talk(&nl, msg, NULL, NULL);
	sl_nl_close(&nl);
	return err ? EXIT_ERR : EXIT_OK;
}

/* ---- show ------------------------------------------------------------ */

static void show_json_one(const struct sl_cg *c)
{
	js_begin_obj();
	js_str("path", c->path);
	js_u64("id", c->id);
	js_u64("parent_id", c->parent_id);
	js_u64("rate", c->rate * 8);
	js_u64("share", c->share * 8);
	js_u64("burst", c->burst);
	js_u64("weight", c->weight);
	js_str("mode", c->mode < 2 ? mode_names[c->mode] : "?");
	js_u64("mark_thresh", c->mark_thresh);
	js_u64("drop_thresh", c->drop_thresh);
	js_u64("bytes", c->st.bytes);
	js_u64("packets", c->st.packets);
	js_u64("marked", c->st.marked);
	js_u64("dropped", c->st.dropped);
	js_end_obj();
}

static void show_text_one(const struct sl_cg *c)
{
	char r[32], s[32], b[32], m[32], d[32], by[32];

	printf("%*s", 2 * c->depth, "");
	sl_put_text(stdout, c->path);
	printf("  rate %s  share %s  weight %u  mode %s  burst %s  mark %s  drop %s\n",
	       c->rate ? sl_fmt_rate(r, sizeof(r), c->rate * 8.) : "none",
	       c->share ? sl_fmt_rate(s, sizeof(s), c->share * 8.) : "none",
	       c->weight, c->mode < 2 ? mode_names[c->mode] : "?",
	       sl_fmt_size(b, sizeof(b), c->burst),
	       sl_fmt_size(m, sizeof(m), c->mark_thresh),
	       sl_fmt_size(d, sizeof(d), c->drop_thresh));
	printf("%*s  rx %s %" PRIu64 " packets  marked %" PRIu64 "  dropped %" PRIu64 "\n",
	       2 * c->depth, "", sl_fmt_size(by, sizeof(by), c->st.bytes),
	       c->st.packets, c->st.marked, c->st.dropped);
}

static int cmd_cg_show(int argc, char **argv)
{
	struct sl_cg_list l = { 0 };
	const struct sl_cg *top = NULL;
	size_t *order = NULL, from = 0, to, i;
	uint64_t top_id = 0;
	struct sl_nl nl;
	ssize_t n;
	int err;

	if (sl_want_help(argc, argv,
			 "Usage: sluice cgroup show [PATH] [-j]\n"
			 "Show the cgroup entries (or PATH's and its descendants') as a\n"
			 "tree: configuration, the rate each is held to now (share),\n"
			 "and counters: received bytes and packets, packets CE-marked\n"
			 "and dropped. Also the packets of this network namespace that\n"
			 "no local socket received.\n"))
		return EXIT_OK;
	if (argc > 1)
		return sl_usage("cgroup show: unexpected argument '%s'", argv[1]);
	if (argc == 1) {
		err = cg_resolve("cgroup show", argv[0], &top_id);
		if (err)
			return err;
	}
	if (sl_nl_open(&nl))
		return EXIT_ERR;
	err = sl_cg_dump(&nl, &l);
	sl_nl_close(&nl);
	if (err)
		goto fail;
	if (top_id && !(top = sl_cg_find(&l, top_id))) {
		sl_err("%s: the cgroup has no entry", argv[0]);
		goto fail;
	}
	order = calloc(l.n + 1, sizeof(*order));
	if (!order) {
		sl_err("out of memory");
		goto fail;
	}
	n = sl_cg_order(&l, cmp_path, order);
	if (n < 0)
		goto fail;
	/* PATH's subtree: its place in the tree and the deeper ones after */
	to = (size_t)n;
	if (top) {
		while (from < to && &l.v[order[from]] != top)
			from++;
		for (i = from + 1; i < to; i++)
			if (l.v[order[i]].depth <= top->depth)
				to = i;
	}

	if (sl_opts.json) {
		js_begin_obj();
		js_key("cgroups");
		js_begin_arr();
		for (i = from; i < to; i++)
			show_json_one(&l.v[order[i]]);
		js_end_arr();
		/* only if measured: zeros would say none was received */
		if (!top && l.have_unattr) {
			js_key("unattributed");
			js_begin_obj();
			js_u64("bytes", l.unattr.bytes);
			js_u64("packets", l.unattr.packets);
			js_end_obj();
		}
		js_end_obj();
		js_end();
	} else {
		for (i = from; i < to; i++)
			show_text_one(&l.v[order[i]]);
		if (!top && l.have_unattr) {
			char by[32];

			printf("unattributed (this network namespace): rx %s %" PRIu64 " packets\n",
			       sl_fmt_size(by, sizeof(by), l.unattr.bytes), l.unattr.packets);
		}
	}
	free(order);
	sl_cg_list_free(&l);
	return EXIT_OK;
fail:
	free(order);
	sl_cg_list_free(&l);
	return EXIT_ERR;
}

static const struct sl_cmd cg_cmds[] = {
	{ "set", cmd_cg_set, "PATH [rate RATE|none] [burst SIZE] [weight W] [mode ecn|drop] [mark SIZE] [drop SIZE]",
	  "create or change a cgroup's ingress entry" },
	{ "del", cmd_cg_del, "PATH", "remove a cgroup's ingress entry" },
	{ "show", cmd_cg_show, "[PATH] [-j]", "show the entries as a tree, with counters" },
	{ NULL, NULL, NULL, NULL },
};

int cmd_cgroup(int argc, char **argv)
{
	return sl_dispatch(cg_cmds, "sluice cgroup", argc, argv);
}
