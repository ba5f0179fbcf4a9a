// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: services, backends and `sluice show`.
 *
 *   sluice service add|set PROTO VIP:PORT [OPTIONS]
 *   sluice service del PROTO VIP:PORT
 *   sluice service show [PROTO VIP:PORT]
 *   sluice backend add|set PROTO VIP:PORT ADDR:PORT [weight W]...
 *   sluice backend del PROTO VIP:PORT ADDR:PORT...
 *   sluice backend replace PROTO VIP:PORT [ADDR:PORT [weight W]]...
 *   sluice backend show PROTO VIP:PORT
 *   sluice show
 *
 * PROTO is tcp or udp; IPv6 addresses go in brackets ([fd00::1]:80).
 * Values are checked by the kernel, whose message is printed on refusal;
 * the CLI refuses only what it cannot encode exactly (and a backend set
 * without a weight, which would change nothing), before the kernel is asked
 * anything. Numbers are decimal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sluice.h"

struct sl_stats {
	uint64_t live, total, overflows, no_backend;
	bool has_no_backend;
};

struct sl_svc_info {
	uint8_t proto;
	struct sl_addr vip;
	uint8_t sched, affinity, on_delete;
	uint32_t balance, seed, table_size, nbackends;
	bool deleted;		/* deleted with keep, its connections live */
	struct sl_stats stats;
};

struct sl_be_info {
	struct sl_addr addr;
	uint32_t weight;
	bool deleted;		/* deleted with keep, its connections live */
	struct sl_stats stats;
};

static const char *const sched_names[] = { "chbl", "maglev" };
static const char *const affinity_names[] = { "src", "src-port", "tuple" };
static const char *const on_delete_names[] = { "flush", "keep" };
/* How the text output marks what was deleted with keep and still serves. */
static const char deleted_mark[] = " (deleted, its connections kept)";

static const char *name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n ? names[v] : "unknown";
}

static int index_of(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

#define NAMES(a) a, sizeof(a) / sizeof((a)[0])

/* ---- parsing ---------------------------------------------------------- */

static int parse_proto(const char *s, uint8_t *proto)
{
	if (!strcmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else
		return sl_usage("unknown protocol '%s' (tcp or udp)", s);
	return 0;
}

/*
 * @s as a decimal u32 (sl_parse_dec); the usage error printed if not,
 * naming @range, the values the kernel takes (it checks them).
 */
static int parse_u32(const char *what, const char *range, const char *s, uint32_t *v)
{
	uint64_t x;
	int err = sl_parse_dec(s, 0, UINT32_MAX, &x);

	if (err == -ERANGE)
		return sl_usage("invalid %s '%s' (out of range: %s)", what, s, range);
	if (err)
		return sl_usage("invalid %s '%s' (a decimal number in %s, no leading 0)",
				what, s, range);
	*v = (uint32_t)x;
	return 0;
}

/* "1.2.3.4:80" or "[fd00::1]:80". */
static int parse_addr_port(const char *s, struct sl_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 16], *host, *port;
	uint64_t p;

	if (strlen(s) >= sizeof(buf))
		return sl_usage("invalid address '%s'", s);
	strcpy(buf, s);
	memset(a, 0, sizeof(*a));
	if (buf[0] == '[') {
		host = buf + 1;
		port = strchr(host, ']');
		if (!port || port[1] != ':')
			return sl_usage("invalid address '%s' (expected [IPv6]:PORT)", s);
		*port = '\0';
		port += 2;
		a->family = AF_INET6;
		if (inet_pton(AF_INET6, host, a->addr) != 1)
			return sl_usage("invalid IPv6 address '%s'", host);
	} else {
		host = buf;
		port = strrchr(buf, ':');
		if (!port)
			return sl_usage("invalid address '%s' (expected ADDR:PORT)", s);
		*port++ = '\0';
		a->family = AF_INET;
		if (inet_pton(AF_INET, host, a->addr) != 1)
			return sl_usage("invalid IPv4 address '%s' (IPv6 goes in brackets)", host);
	}
	if (sl_parse_dec(port, 0, 65535, &p) || !p)
		return sl_usage("invalid port '%s' (1 to 65535, decimal, no leading 0)", port);
	a->port = (uint16_t)p;
	return 0;
}

/* The address alone; "?" for one of no family known. */
static const char *fmt_ip(const struct sl_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *sl_fmt_addr(const struct sl_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	fmt_ip(a, ip, sizeof(ip));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "%s:%u", ip, a->port);
	return buf;
}

static int alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* ---- requests --------------------------------------------------------- */

static int put_svc_key(struct nl_msg *msg, uint8_t proto, const struct sl_addr *vip)
{
	return nla_put_u8(msg, SLUICE_SVC_A_PROTO, proto) ||
	       nla_put_u16(msg, SLUICE_SVC_A_FAMILY, vip->family) ||
	       nla_put(msg, SLUICE_SVC_A_ADDR, alen(vip->family), vip->addr) ||
	       nla_put_u16(msg, SLUICE_SVC_A_PORT, vip->port);
}

static int put_be_key(struct nl_msg *msg, const struct sl_addr *be)
{
	return nla_put_u16(msg, SLUICE_BE_A_FAMILY, be->family) ||
	       nla_put(msg, SLUICE_BE_A_ADDR, alen(be->family), be->addr) ||
	       nla_put_u16(msg, SLUICE_BE_A_PORT, be->port);
}

/* Send @msg, wait for the ack, close @nl; EXIT_OK or EXIT_ERR (the
 * kernel's message printed). */
static int talk(struct sl_nl *nl, struct nl_msg *msg)
{
	int err = sl_nl_talk(nl, msg, NULL, NULL);

	sl_nl_close(nl);
	return err ? EXIT_ERR : EXIT_OK;
}

/* Open @nl and start a request for @cmd, with room for @size bytes (0:
 * the default); NULL (message printed) if not. */
static struct nl_msg *new_msg_sized(struct sl_nl *nl, uint8_t cmd, size_t size)
{
	struct nl_msg *msg;

	if (sl_nl_open(nl))
		return NULL;
	msg = sl_nl_msg_sized(nl, cmd, 0, size);
	if (!msg) {
		sl_nl_close(nl);
		sl_err("out of memory");
	}
	return msg;
}

static struct nl_msg *new_msg(struct sl_nl *nl, uint8_t cmd)
{
	return new_msg_sized(nl, cmd, 0);
}

/* ---- service add|set|del ---------------------------------------------- */

static const char svc_usage[] =
	"Usage: sluice service add PROTO VIP:PORT [OPTIONS]\n"
	"       sluice service set PROTO VIP:PORT [OPTIONS]\n"
	"       sluice service del PROTO VIP:PORT\n"
	"       sluice service show [PROTO VIP:PORT]\n"
	"\n"
	"PROTO is tcp or udp; an IPv6 VIP goes in brackets: [fd00::10]:80.\n"
	"Options (set changes only those given):\n"
	"  sched chbl|maglev           scheduler (default chbl)\n"
	"  balance C                   balance factor c > 1 (default 1.25): no\n"
	"                              backend takes a new connection past\n"
	"                              ceil(c * (total + 1) * w / W)\n"
	"  affinity src|src-port|tuple what selects the backend (default src)\n"
	"  seed N                      hash seed (default fixed: hosts agree)\n"
	"  table-size N                Maglev table size, prime (default 65537)\n"
	"  on-delete flush|keep        a deleted backend's connections: flush\n"
	"                              (default for udp) or keep (default for tcp)\n";

/* PROTO VIP:PORT at argv[0..1]. */
static int parse_svc_key(int argc, char **argv, uint8_t *proto, struct sl_addr *vip)
{
	if (argc < 2)
		return sl_usage("service: expected PROTO VIP:PORT");
	if (parse_proto(argv[0], proto))
		return EXIT_USAGE;
	if (parse_addr_port(argv[1], vip))
		return EXIT_USAGE;
	return 0;
}

/* A service's options, all read before the kernel is asked. */
enum { SO_SCHED, SO_BALANCE, SO_AFFINITY, SO_SEED, SO_TABLE_SIZE, SO_ON_DELETE };

static const struct sl_opt svc_opt_names[] = {
	[SO_SCHED]	= { "sched", false },
	[SO_BALANCE]	= { "balance", false },
	[SO_AFFINITY]	= { "affinity", false },
	[SO_SEED]	= { "seed", false },
	[SO_TABLE_SIZE]	= { "table-size", false },
	[SO_ON_DELETE]	= { "on-delete", false },
	{ NULL, false },
};

struct svc_opts {
	unsigned int given;	/* a bit per SO_* */
	uint8_t sched, affinity, on_delete;
	uint32_t balance, seed, table_size;
};

/* One of @names (value @v), or the usage error printed. */
static int parse_name(const char *const *names, size_t n, const char *val,
		      const char *what, const char *choices, uint8_t *v)
{
	int i = index_of(names, n, val);

	if (i < 0)
		return sl_usage("unknown %s '%s' (%s)", what, val, choices);
	*v = (uint8_t)i;
	return 0;
}

/* balance C: c > 1 with at most three decimals, sent as c * 1000. */
static int parse_balance(const char *val, uint32_t *v)
{
	uint64_t x;
	int err = sl_parse_dec(val, 3, UINT32_MAX, &x);

	if (err == -EDOM)
		return sl_usage("invalid balance factor '%s' (at most three decimals)", val);
	if (err == -ERANGE)
		return sl_usage("invalid balance factor '%s' (out of range: more than 1, "
				"at most 100)", val);
	if (err)
		return sl_usage("invalid balance factor '%s' (a decimal such as 1.25, no leading 0)", val);
	*v = (uint32_t)x;
	return 0;
}

static int parse_svc_opts(const char *cmd, int argc, char **argv,
			  struct svc_opts *o)
{
	const char *val;
	int i;

	for (i = 0; i < argc; i++) {
		switch (sl_opt(cmd, svc_opt_names, &o->given, argc, argv, &i, &val)) {
		case SO_SCHED:
			if (parse_name(NAMES(sched_names), val, "scheduler",
				       "chbl or maglev", &o->sched))
				return EXIT_USAGE;
			break;
		case SO_BALANCE:
			if (parse_balance(val, &o->balance))
				return EXIT_USAGE;
			break;
		case SO_AFFINITY:
			if (parse_name(NAMES(affinity_names), val, "affinity",
				       "src, src-port or tuple", &o->affinity))
				return EXIT_USAGE;
			break;
		case SO_SEED:
			if (parse_u32("seed", "0..4294967295", val, &o->seed))
				return EXIT_USAGE;
			break;
		case SO_TABLE_SIZE:
			if (parse_u32("table size", "251..1048573", val, &o->table_size))
				return EXIT_USAGE;
			break;
		case SO_ON_DELETE:
			if (parse_name(NAMES(on_delete_names), val, "on-delete",
				       "flush or keep", &o->on_delete))
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int put_svc_opts(struct nl_msg *msg, const struct svc_opts *o)
{
	unsigned int g = o->given;

	return (SL_GIVEN(g, SO_SCHED) && nla_put_u8(msg, SLUICE_SVC_A_SCHED, o->sched)) ||
	       (SL_GIVEN(g, SO_BALANCE) && nla_put_u32(msg, SLUICE_SVC_A_BALANCE, o->balance)) ||
	       (SL_GIVEN(g, SO_AFFINITY) && nla_put_u8(msg, SLUICE_SVC_A_AFFINITY, o->affinity)) ||
	       (SL_GIVEN(g, SO_SEED) && nla_put_u32(msg, SLUICE_SVC_A_SEED, o->seed)) ||
	       (SL_GIVEN(g, SO_TABLE_SIZE) &&
		nla_put_u32(msg, SLUICE_SVC_A_TABLE_SIZE, o->table_size)) ||
	       (SL_GIVEN(g, SO_ON_DELETE) && nla_put_u8(msg, SLUICE_SVC_A_ON_DELETE, o->on_delete));
}

static int svc_change(const char *name, int argc, char **argv, uint8_t cmd,
		      bool opts)
{
	struct svc_opts o = { 0 };
	struct sl_addr vip;
	struct nlattr *nest;
	struct nl_msg *msg;
	struct sl_nl nl;
	uint8_t proto;
	int err;

	if (sl_want_help(argc, argv, svc_usage))
		return EXIT_OK;
	err = parse_svc_key(argc, argv, &proto, &vip);
	if (err)
		return err;
	if (!opts && argc > 2)
		return sl_usage("%s: unexpected argument '%s'", name, argv[2]);
	err = parse_svc_opts(name, argc - 2, argv + 2, &o);
	if (err)
		return err;
	msg = new_msg(&nl, cmd);
	if (!msg)
		return EXIT_ERR;
	nest = nla_nest_start(msg, SLUICE_A_SERVICE);
	if (!nest || put_svc_key(msg, proto, &vip) || put_svc_opts(msg, &o)) {
		sl_err("message too long");
		nlmsg_free(msg);
		sl_nl_close(&nl);
		return EXIT_ERR;
	}
	nla_nest_end(msg, nest);
	return talk(&nl, msg);
}

static int cmd_svc_add(int argc, char **argv)
{
	return svc_change("service add", argc, argv, SLUICE_CMD_SERVICE_NEW, true);
}

static int cmd_svc_set(int argc, char **argv)
{
	return svc_change("service set", argc, argv, SLUICE_CMD_SERVICE_SET, true);
}

static int cmd_svc_del(int argc, char **argv)
{
	return svc_change("service del", argc, argv, SLUICE_CMD_SERVICE_DEL, false);
}

/* ---- replies ---------------------------------------------------------- */

static const struct nla_policy stats_policy[SLUICE_STATS_A_MAX + 1] = {
	[SLUICE_STATS_A_CONNS_LIVE]	= { .type = NLA_U32 },
	[SLUICE_STATS_A_CONNS_TOTAL]	= { .type = NLA_U64 },
	[SLUICE_STATS_A_OVERFLOWS]	= { .type = NLA_U64 },
	[SLUICE_STATS_A_NO_BACKEND]	= { .type = NLA_U64 },
};

const struct nla_policy sl_svc_policy[SLUICE_SVC_A_MAX + 1] = {
	[SLUICE_SVC_A_PROTO]		= { .type = NLA_U8 },
	[SLUICE_SVC_A_FAMILY]		= { .type = NLA_U16 },
	[SLUICE_SVC_A_ADDR]		= { .minlen = 4, .maxlen = 16 },
	[SLUICE_SVC_A_PORT]		= { .type = NLA_U16 },
	[SLUICE_SVC_A_SCHED]		= { .type = NLA_U8 },
	[SLUICE_SVC_A_BALANCE]		= { .type = NLA_U32 },
	[SLUICE_SVC_A_AFFINITY]		= { .type = NLA_U8 },
	[SLUICE_SVC_A_SEED]		= { .type = NLA_U32 },
	[SLUICE_SVC_A_TABLE_SIZE]	= { .type = NLA_U32 },
	[SLUICE_SVC_A_ON_DELETE]	= { .type = NLA_U8 },
	[SLUICE_SVC_A_BACKENDS_NUM]	= { .type = NLA_U32 },
	[SLUICE_SVC_A_STATS]		= { .type = NLA_NESTED },
	[SLUICE_SVC_A_DELETED]		= { .type = NLA_FLAG },
};

const struct nla_policy sl_be_policy[SLUICE_BE_A_MAX + 1] = {
	[SLUICE_BE_A_FAMILY]	= { .type = NLA_U16 },
	[SLUICE_BE_A_ADDR]	= { .minlen = 4, .maxlen = 16 },
	[SLUICE_BE_A_PORT]	= { .type = NLA_U16 },
	[SLUICE_BE_A_WEIGHT]	= { .type = NLA_U32 },
	[SLUICE_BE_A_STATS]	= { .type = NLA_NESTED },
	[SLUICE_BE_A_DELETED]	= { .type = NLA_FLAG },
};

static int parse_stats(struct nlattr *a, struct sl_stats *s)
{
	struct nlattr *tb[SLUICE_STATS_A_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (!a)
		return 0;
	if (sl_nl_parse_nested(tb, SLUICE_STATS_A_MAX, a, stats_policy))
		return -EINVAL;
	if (tb[SLUICE_STATS_A_CONNS_LIVE])
		s->live = nla_get_u32(tb[SLUICE_STATS_A_CONNS_LIVE]);
	if (tb[SLUICE_STATS_A_CONNS_TOTAL])
		s->total = nla_get_u64(tb[SLUICE_STATS_A_CONNS_TOTAL]);
	if (tb[SLUICE_STATS_A_OVERFLOWS])
		s->overflows = nla_get_u64(tb[SLUICE_STATS_A_OVERFLOWS]);
	if (tb[SLUICE_STATS_A_NO_BACKEND]) {
		s->no_backend = nla_get_u64(tb[SLUICE_STATS_A_NO_BACKEND]);
		s->has_no_backend = true;
	}
	return 0;
}

int sl_addr_get(struct nlattr *fam, struct nlattr *addr, struct nlattr *port,
		struct sl_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!fam || !addr || !port)
		return sl_nl_malformed("an address without its family, address or port");
	a->family = nla_get_u16(fam);
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    nla_len(addr) != alen(a->family))
		return sl_nl_malformed("an address of an unknown family or size");
	memcpy(a->addr, nla_data(addr), nla_len(addr));
	a->port = nla_get_u16(port);
	return 0;
}

/* The services or the backends the replies to a request hold, one each. */
struct reply_list {
	void *v;		/* the entries, @size bytes each */
	size_t n, cap, size;
	int attr;		/* the nest an entry comes in */
	int (*read)(struct nlattr *nest, void *entry);
	int err;		/* a reply that could not be read, or -ENOMEM */
};

static int read_svc(struct nlattr *nest, void *entry)
{
	struct nlattr *st[SLUICE_SVC_A_MAX + 1];
	struct sl_svc_info *s = entry;

	memset(s, 0, sizeof(*s));
	if (sl_nl_parse_nested(st, SLUICE_SVC_A_MAX, nest, sl_svc_policy) ||
	    sl_addr_get(st[SLUICE_SVC_A_FAMILY], st[SLUICE_SVC_A_ADDR],
			st[SLUICE_SVC_A_PORT], &s->vip))
		return -EINVAL;
	if (st[SLUICE_SVC_A_PROTO])
		s->proto = nla_get_u8(st[SLUICE_SVC_A_PROTO]);
	if (st[SLUICE_SVC_A_SCHED])
		s->sched = nla_get_u8(st[SLUICE_SVC_A_SCHED]);
	if (st[SLUICE_SVC_A_AFFINITY])
		s->affinity = nla_get_u8(st[SLUICE_SVC_A_AFFINITY]);
	if (st[SLUICE_SVC_A_ON_DELETE])
		s->on_delete = nla_get_u8(st[SLUICE_SVC_A_ON_DELETE]);
	if (st[SLUICE_SVC_A_BALANCE])
		s->balance = nla_get_u32(st[SLUICE_SVC_A_BALANCE]);
	if (st[SLUICE_SVC_A_SEED])
		s->seed = nla_get_u32(st[SLUICE_SVC_A_SEED]);
	if (st[SLUICE_SVC_A_TABLE_SIZE])
		s->table_size = nla_get_u32(st[SLUICE_SVC_A_TABLE_SIZE]);
	if (st[SLUICE_SVC_A_BACKENDS_NUM])
		s->nbackends = nla_get_u32(st[SLUICE_SVC_A_BACKENDS_NUM]);
	s->deleted = st[SLUICE_SVC_A_DELETED] != NULL;
	return parse_stats(st[SLUICE_SVC_A_STATS], &s->stats);
}

static int read_be(struct nlattr *nest, void *entry)
{
	struct nlattr *bt[SLUICE_BE_A_MAX + 1];
	struct sl_be_info *b = entry;

	memset(b, 0, sizeof(*b));
	if (sl_nl_parse_nested(bt, SLUICE_BE_A_MAX, nest, sl_be_policy) ||
	    sl_addr_get(bt[SLUICE_BE_A_FAMILY], bt[SLUICE_BE_A_ADDR],
			bt[SLUICE_BE_A_PORT], &b->addr))
		return -EINVAL;
	if (bt[SLUICE_BE_A_WEIGHT])
		b->weight = nla_get_u32(bt[SLUICE_BE_A_WEIGHT]);
	b->deleted = bt[SLUICE_BE_A_DELETED] != NULL;
	return parse_stats(bt[SLUICE_BE_A_STATS], &b->stats);
}

#define SVC_LIST { .size = sizeof(struct sl_svc_info), .attr = SLUICE_A_SERVICE, .read = read_svc }
#define BE_LIST  { .size = sizeof(struct sl_be_info), .attr = SLUICE_A_BACKEND, .read = read_be }

static int list_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[SLUICE_A_MAX + 1];
	struct reply_list *l = arg;
	void *v;

	if (l->err)
		return NL_SKIP;
	l->err = sl_nl_parse(msg, tb);
	if (!l->err && !tb[l->attr])
		l->err = sl_nl_malformed("a reply without its service or backend");
	if (l->err)
		return NL_SKIP;
	v = sl_grow(l->v, &l->cap, l->n, l->size);
	if (!v) {
		l->err = -ENOMEM;
		return NL_SKIP;
	}
	l->v = v;
	l->err = l->read(tb[l->attr], (char *)v + l->n * l->size);
	if (l->err)
		return NL_SKIP;
	l->n++;
	return NL_OK;
}

/* Dumps are retried while they are interrupted by changes. */
#define DUMP_TRIES 10

/*
 * Into @l, what @cmd (with @flags) answers for the service @proto/@key (or
 * for all, @key NULL); -errno, printed.
 */
static int get_list(struct sl_nl *nl, uint8_t cmd, int flags, uint8_t proto,
		    const struct sl_addr *key, struct reply_list *l)
{
	int tries, err = -EAGAIN;

	for (tries = 0; tries < DUMP_TRIES && err == -EAGAIN; tries++) {
		struct nl_msg *msg = sl_nl_msg(nl, cmd, flags);
		struct nlattr *nest;

		l->n = 0;
		l->err = 0;
		if (!msg) {
			sl_err("out of memory");
			return -ENOMEM;
		}
		if (key) {
			nest = nla_nest_start(msg, SLUICE_A_SERVICE);
			if (!nest || put_svc_key(msg, proto, key)) {
				nlmsg_free(msg);
				sl_err("message too long");
				return -EMSGSIZE;
			}
			nla_nest_end(msg, nest);
		}
		err = sl_nl_talk(nl, msg, list_cb, l);
		if (!err)
			err = l->err;
	}
	if (err == -EAGAIN)
		sl_err("the %s kept changing while being read",
		       l->attr == SLUICE_A_SERVICE ? "services" : "backends");
	return err;
}

/* Services: all (@key NULL) or the one of @proto/@key. */
static int get_services(struct sl_nl *nl, uint8_t proto, const struct sl_addr *key,
			struct reply_list *l)
{
	return get_list(nl, SLUICE_CMD_SERVICE_GET, key ? 0 : NLM_F_DUMP, proto, key, l);
}

static int get_backends(struct sl_nl *nl, const struct sl_svc_info *s,
			struct reply_list *l)
{
	return get_list(nl, SLUICE_CMD_BACKEND_GET, NLM_F_DUMP, s->proto, &s->vip, l);
}

/* ---- output ----------------------------------------------------------- */

const char *sl_proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "?";
}

/* The balance factor, c * 1000, as the decimal it is given as: 1250 is
 * "1.25", 1001 "1.001", 2000 "2". */
static const char *fmt_balance(char *buf, size_t len, uint32_t milli)
{
	int n = snprintf(buf, len, "%" PRIu32 ".%03" PRIu32, milli / 1000, milli % 1000);

	while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && (size_t)n < len && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

static void js_stats(const struct sl_stats *s)
{
	js_key("stats");
	js_begin_obj();
	js_u64("live", s->live);
	js_u64("assigned", s->total);
	js_u64("overflows", s->overflows);
	if (s->has_no_backend)
		js_u64("no_backend", s->no_backend);
	js_end_obj();
}

static void js_backend(const struct sl_be_info *b)
{
	char ip[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 16];

	js_begin_obj();
	js_str("backend", sl_fmt_addr(&b->addr, buf, sizeof(buf)));
	js_str("address", fmt_ip(&b->addr, ip, sizeof(ip)));
	js_u64("port", b->addr.port);
	js_u64("weight", b->weight);
	js_stats(&b->stats);
	js_end_obj();
}

/*
 * "backends": the configured ones; "deleted_backends": those deleted with
 * keep whose connections still live (their live counts are part of the
 * service's).
 */
static void js_backends(const struct reply_list *bl)
{
	static const char *const keys[] = { "backends", "deleted_backends" };
	const struct sl_be_info *b = bl->v;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		js_key(keys[k]);
		js_begin_arr();
		for (i = 0; i < bl->n; i++)
			if (b[i].deleted == (k == 1))
				js_backend(&b[i]);
		js_end_arr();
	}
}

/* One service as a JSON object; with its backends if @bl is given. */
static void js_service(const struct sl_svc_info *s, const struct reply_list *bl)
{
	char ip[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 16];

	js_begin_obj();
	js_str("proto", sl_proto_name(s->proto));
	js_str("family", s->vip.family == AF_INET ? "ipv4" : "ipv6");
	js_str("service", sl_fmt_addr(&s->vip, buf, sizeof(buf)));
	js_str("vip", fmt_ip(&s->vip, ip, sizeof(ip)));
	js_u64("port", s->vip.port);
	js_str("sched", name_of(NAMES(sched_names), s->sched));
	js_double("balance", s->balance / 1000.0);
	js_str("affinity", name_of(NAMES(affinity_names), s->affinity));
	js_u64("seed", s->seed);
	js_u64("table_size", s->table_size);
	js_str("on_delete", name_of(NAMES(on_delete_names), s->on_delete));
	js_u64("backends_num", s->nbackends);
	js_stats(&s->stats);
	if (bl)
		js_backends(bl);
	js_end_obj();
}

static void print_backend(const struct sl_be_info *b)
{
	char buf[INET6_ADDRSTRLEN + 16];

	printf("  %s %-24s weight %-5u live %" PRIu64 " assigned %" PRIu64
	       " overflows %" PRIu64 "%s\n", b->deleted ? "--" : "->",
	       sl_fmt_addr(&b->addr, buf, sizeof(buf)), b->weight, b->stats.live,
	       b->stats.total, b->stats.overflows,
	       b->deleted ? deleted_mark : b->weight ? "" : " (draining)");
}
static void print_backends(const struct reply_list *bl)
{
	const struct sl_be_info *b = bl->v;
	size_t i;

	for (i = 0; i < bl->n; i++)
		print_backend(&b[i]);
}


static void print_service(const struct sl_svc_info *s)
{
	char buf[INET6_ADDRSTRLEN + 16], c[16];

	printf("%s %s sched %s balance %s affinity %s on-delete %s seed %" PRIu32,
	       sl_proto_name(s->proto), sl_fmt_addr(&s->vip, buf, sizeof(buf)),
	       name_of(NAMES(sched_names), s->sched),
	       fmt_balance(c, sizeof(c), s->balance),
	       name_of(NAMES(affinity_names), s->affinity),
	       name_of(NAMES(on_delete_names), s->on_delete), s->seed);
	if (s->sched == SLUICE_SCHED_MAGLEV)
		printf(" table-size %" PRIu32, s->table_size);
	printf("%s\n  backends %u live %" PRIu64 " assigned %" PRIu64
	       " overflows %" PRIu64 " no-backend %" PRIu64 "\n",
	       s->deleted ? deleted_mark : "",
	       s->nbackends, s->stats.live, s->stats.total, s->stats.overflows,
	       s->stats.no_backend);
}

/*
 * Show services (all, or the one of @key) with their backends if
 * @with_backends; in a listing of all, then those deleted with keep whose
 * connections live ("deleted_services" in JSON).
 */
static int show(uint8_t proto, const struct sl_addr *key, bool with_backends)
{
	static const char *const keys[] = { "services", "deleted_services" };
	struct reply_list sl = SVC_LIST, bl = BE_LIST;
	const struct sl_svc_info *svc;
	struct sl_nl nl;
	int ret = EXIT_ERR;
	size_t i, k;
	bool gone;
	int err;

	if (sl_nl_open(&nl))
		return EXIT_ERR;
	if (get_services(&nl, proto, key, &sl))
		goto out;
	svc = sl.v;
	if (sl_opts.json)
		js_begin_obj();
	for (k = 0; k < (key ? 1 : 2); k++) {
		if (sl_opts.json) {
			js_key(keys[k]);
			js_begin_arr();
		}
		for (i = 0; i < sl.n; i++) {
			if (svc[i].deleted != (k == 1))
				continue;
			if (with_backends) {
				/* A service listed a moment ago may be gone
				 * since: deleted, or deleted with keep and its
				 * last connection ended. In a listing of all it
				 * is left out; one asked for by name is not
				 * there to show.
				 */
				nl.quiet = !key || svc[i].deleted ? -ENOENT : 0;
				err = get_backends(&nl, &svc[i], &bl);
				gone = err == -ENOENT && nl.quiet;
				nl.quiet = 0;
				if (gone)
					continue;
				if (err) {
					if (sl_opts.json)
						js_discard();
					goto out;
				}
			}
			if (sl_opts.json) {
				js_service(&svc[i], with_backends ? &bl : NULL);
			} else {
				print_service(&svc[i]);
				if (with_backends)
					print_backends(&bl);
			}
		}
		if (sl_opts.json)
			js_end_arr();
	}
	if (sl_opts.json) {
		js_end_obj();
		js_end();
	}
	ret = EXIT_OK;
out:
	free(sl.v);
	free(bl.v);
	sl_nl_close(&nl);
	return ret;
}

static int cmd_svc_show(int argc, char **argv)
{
	struct sl_addr vip;
	uint8_t proto;
	int err;

	if (sl_want_help(argc, argv, svc_usage))
		return EXIT_OK;
	if (!argc)
		return show(0, NULL, false);
	err = parse_svc_key(argc, argv, &proto, &vip);
	if (err)
		return err;
	if (argc > 2)
		return sl_usage("service show: unexpected argument '%s'", argv[2]);
	return show(proto, &vip, true);
}

static const struct sl_cmd svc_cmds[] = {
	{ "add", cmd_svc_add, "PROTO VIP:PORT [OPTIONS]", "add a service (see 'sluice service help')" },
	{ "set", cmd_svc_set, "PROTO VIP:PORT [OPTIONS]", "change a service's options" },
	{ "del", cmd_svc_del, "PROTO VIP:PORT", "delete a service and its backends" },
	{ "show", cmd_svc_show, "[PROTO VIP:PORT]", "list the services, or one with its backends" },
	{ NULL, NULL, NULL, NULL },
};

int cmd_service(int argc, char **argv)
{
	if (argc >= 1 && (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
			  !strcmp(argv[0], "--help"))) {
		fputs(svc_usage, stdout);
		return EXIT_OK;
	}
	return sl_dispatch(svc_cmds, "sluice service", argc, argv);
}

/* ---- backends --------------------------------------------------------- */

static const char be_usage[] =
	"Usage: sluice backend add PROTO VIP:PORT ADDR:PORT [weight W] [ADDR:PORT [weight W]]...\n"
	"       sluice backend set PROTO VIP:PORT ADDR:PORT weight W [ADDR:PORT weight W]...\n"
	"       sluice backend del PROTO VIP:PORT ADDR:PORT [ADDR:PORT]...\n"
	"       sluice backend replace PROTO VIP:PORT [ADDR:PORT [weight W]]...\n"
	"       sluice backend show PROTO VIP:PORT\n"
	"\n"
	"The backend's family is the service's. weight is 0..65535 (default 1);\n"
	"0 drains the backend: no new connections, established ones go on.\n"
	"A deleted backend's connections are flushed or kept as the service's\n"
	"on-delete says.\n"
	"\n"
	"Several backends in one command are one request: all of them are\n"
	"changed, with one rebuild of the service's table, or none is.\n"
	"replace makes the backends given the service's only ones, in one\n"
	"request, with the weights given (default 1, also for a backend the\n"
	"service has): the others are deleted; with none, all of them.\n";

/* One backend of a backend add|set|del|replace command. */
struct be_arg {
	struct sl_addr addr;
	uint32_t weight;
	unsigned int given;	/* sl_opt's bits: weight (bit 0) given */
};

static const struct sl_opt be_opt_names[] = {
	{ "weight", false },
	{ NULL, false },
};

/*
 * The backends after PROTO VIP:PORT, into a new array @*bp (free() it):
 * with a weight each if @weight (set), which they may have if @weight_ok;
 * none only if @none_ok.
 */
static int parse_be_args(const char *name, int argc, char **argv,
			 bool weight_ok, bool weight, bool none_ok,
			 struct be_arg **bp, size_t *np)
{
	char buf[INET6_ADDRSTRLEN + 16];
	const char *val;
	struct be_arg *b;
	size_t n = 0;
	int i;

	if (argc < (none_ok ? 2 : 3))
		return sl_usage("%s: expected PROTO VIP:PORT ADDR:PORT", name);
	b = calloc(argc > 2 ? argc - 2 : 1, sizeof(*b));
	if (!b) {
		sl_err("out of memory");
		return EXIT_ERR;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "weight")) {
			if (parse_addr_port(argv[i], &b[n].addr))
				goto fail;
			n++;
		} else if (!weight_ok || !n) {
			sl_usage("%s: unexpected argument '%s'", name, argv[i]);
			goto fail;
		} else if (sl_opt(name, be_opt_names, &b[n - 1].given, argc, argv,
				  &i, &val) < 0 ||
			   parse_u32("weight", "0..65535", val, &b[n - 1].weight)) {
			goto fail;
		}
	}
	for (i = 0; weight && (size_t)i < n; i++) {
		if (!b[i].given) {
			sl_usage("%s: %s needs 'weight W' (set changes only weights)", name,
				 sl_fmt_addr(&b[i].addr, buf, sizeof(buf)));
			goto fail;
		}
	}
	*bp = b;
	*np = n;
	return 0;
fail:
	free(b);
	return EXIT_USAGE;
}

static int put_be(struct nl_msg *msg, int type, const struct be_arg *b)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest || put_be_key(msg, &b->addr) ||
	    (b->given && nla_put_u32(msg, SLUICE_BE_A_WEIGHT, b->weight)))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static int be_change(const char *name, int argc, char **argv, uint8_t cmd,
		     bool weight_ok)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct sl_nl_part *parts = NULL;
	struct be_arg *b = NULL;
	struct nlattr *nest;
	struct nl_msg *msg;
	struct sl_addr vip;
	struct sl_nl nl;
	uint8_t proto;
	size_t n = 0, i;
	int err;

	if (sl_want_help(argc, argv, be_usage))
		return EXIT_OK;
	err = parse_svc_key(argc, argv, &proto, &vip);
	if (err)
		return err;
	err = parse_be_args(name, argc, argv, weight_ok,
			    cmd == SLUICE_CMD_BACKEND_SET,
			    cmd == SLUICE_CMD_BACKEND_REPLACE, &b, &n);
	if (err)
		return err;
	/* a backend takes at most 48 bytes: its nest, family, address,
	 * port and weight */
	msg = new_msg_sized(&nl, cmd, 4096 + n * 64);
	if (!msg) {
		free(b);
		return EXIT_ERR;
	}
	nest = nla_nest_start(msg, SLUICE_A_SERVICE);
	if (!nest || put_svc_key(msg, proto, &vip))
		goto too_long;
	nla_nest_end(msg, nest);
	if (cmd == SLUICE_CMD_BACKEND_REPLACE || n > 1) {
		/* A module without lists would take only the last one. */
		const char *feature = cmd == SLUICE_CMD_BACKEND_REPLACE ?
				      "backend-replace" : "backend-lists";

		err = sl_nl_has_feature(&nl, feature);
		if (err <= 0) {
			if (!err)
				sl_err("the loaded sluice module is older than this "
				       "command (it lacks the feature %s)", feature);
			goto fail;
		}
	}
	if (n > 1) {
		/* An error the kernel pins on one of them names it. */
		parts = calloc(n, sizeof(*parts));
		if (!parts) {
			sl_err("out of memory");
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		if (parts)
			parts[i].start = nlmsg_hdr(msg)->nlmsg_len;
		if (put_be(msg, SLUICE_A_BACKEND, &b[i]))
			goto too_long;
		if (!parts)
			continue;
		parts[i].end = nlmsg_hdr(msg)->nlmsg_len;
		snprintf(parts[i].name, sizeof(parts[i].name), "backend %s",
			 sl_fmt_addr(&b[i].addr, buf, sizeof(buf)));
	}
	nl.parts = parts;
	nl.nparts = parts ? n : 0;
	err = talk(&nl, msg);
	free(parts);
	free(b);
	return err;

too_long:
	sl_err("message too long");
fail:
	nlmsg_free(msg);
	sl_nl_close(&nl);
	free(parts);
	free(b);
	return EXIT_ERR;
}

static int cmd_be_add(int argc, char **argv)
{
	return be_change("backend add", argc, argv, SLUICE_CMD_BACKEND_NEW, true);
}

static int cmd_be_set(int argc, char **argv)
{
	return be_change("backend set", argc, argv, SLUICE_CMD_BACKEND_SET, true);
}

static int cmd_be_del(int argc, char **argv)
{
	return be_change("backend del", argc, argv, SLUICE_CMD_BACKEND_DEL, false);
}

static int cmd_be_replace(int argc, char **argv)
{
	return be_change("backend replace", argc, argv, SLUICE_CMD_BACKEND_REPLACE, true);
}

static int cmd_be_show(int argc, char **argv)
{
	struct sl_svc_info s = { 0 };
	struct reply_list bl = BE_LIST;
	struct sl_nl nl;
	int err;

	if (sl_want_help(argc, argv, be_usage))
		return EXIT_OK;
	err = parse_svc_key(argc, argv, &s.proto, &s.vip);
	if (err)
		return err;
	if (argc > 2)
		return sl_usage("backend show: unexpected argument '%s'", argv[2]);
	if (sl_nl_open(&nl))
		return EXIT_ERR;
	err = get_backends(&nl, &s, &bl);
	sl_nl_close(&nl);
	if (err) {
		free(bl.v);
		return EXIT_ERR;
	}
	if (sl_opts.json) {
		js_begin_obj();
		js_backends(&bl);
		js_end_obj();
		js_end();
	} else {
		print_backends(&bl);
	}
	free(bl.v);
	return EXIT_OK;
}

static const struct sl_cmd be_cmds[] = {
	{ "add", cmd_be_add, "PROTO VIP:PORT ADDR:PORT [weight W]...", "add backends to a service" },
	{ "set", cmd_be_set, "PROTO VIP:PORT ADDR:PORT weight W...", "change backends' weights (0 drains)" },
	{ "del", cmd_be_del, "PROTO VIP:PORT ADDR:PORT...", "delete backends" },
	{ "replace", cmd_be_replace, "PROTO VIP:PORT [ADDR:PORT [weight W]]...", "make these the service's backends, in one request" },
	{ "show", cmd_be_show, "PROTO VIP:PORT", "list a service's backends and their counters" },
	{ NULL, NULL, NULL, NULL },
};

int cmd_backend(int argc, char **argv)
{
	if (argc >= 1 && (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
			  !strcmp(argv[0], "--help"))) {
		fputs(be_usage, stdout);
		return EXIT_OK;
	}
	return sl_dispatch(be_cmds, "sluice backend", argc, argv);
}

/* `sluice show`: every service of the namespace with its backends. */
int cmd_show(int argc, char **argv)
{
	if (sl_want_help(argc, argv,
			 "Usage: sluice show\n"
			 "Every service of this network namespace with its options, its\n"
			 "backends and their counters (-j for JSON).\n"))
		return EXIT_OK;
	if (argc)
		return sl_usage("show: unexpected argument '%s'", argv[0]);
	return show(0, NULL, true);
}
