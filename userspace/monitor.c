// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: `sluice monitor`, the module's events as they happen, one
 * line each (or one JSON object per line with -j), from the family's
 * "events" multicast group. Runs until interrupted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netlink/genl/ctrl.h>

#include "sluice.h"

static bool stamp;	/* -t: prefix events with the monotonic time */

/* "[12345.678] " (text) or a "t" member (JSON): CLOCK_MONOTONIC seconds. */
static void put_stamp(void)
{
	struct timespec ts;
	double t;

	if (!stamp)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t = ts.tv_sec + ts.tv_nsec / 1e9;
	if (sl_opts.json)
		js_double("t", t);
	else
		printf("[%.3f] ", t);
}

static void ev_backend_full(struct nlattr **tb)
{
	struct nlattr *svc[SLUICE_SVC_A_MAX + 1], *be[SLUICE_BE_A_MAX + 1];
	struct sl_addr vip, addr;
	char s[80], b[80];
	const char *proto;

	if (!tb[SLUICE_A_SERVICE] || !tb[SLUICE_A_BACKEND]) {
		sl_nl_malformed("an event without its service or backend");
		return;
	}
	if (sl_nl_parse_nested(svc, SLUICE_SVC_A_MAX, tb[SLUICE_A_SERVICE], sl_svc_policy) ||
	    sl_nl_parse_nested(be, SLUICE_BE_A_MAX, tb[SLUICE_A_BACKEND], sl_be_policy) ||
	    sl_addr_get(svc[SLUICE_SVC_A_FAMILY], svc[SLUICE_SVC_A_ADDR],
			svc[SLUICE_SVC_A_PORT], &vip) ||
	    sl_addr_get(be[SLUICE_BE_A_FAMILY], be[SLUICE_BE_A_ADDR],
			be[SLUICE_BE_A_PORT], &addr))
		return;
	proto = sl_proto_name(svc[SLUICE_SVC_A_PROTO] ?
			      nla_get_u8(svc[SLUICE_SVC_A_PROTO]) : 0);
	sl_fmt_addr(&vip, s, sizeof(s));
	sl_fmt_addr(&addr, b, sizeof(b));
	if (sl_opts.json) {
		js_begin_obj();
		put_stamp();
		js_str("event", "backend-full");
		js_str("proto", proto);
		js_str("service", s);
		js_str("backend", b);
		js_end_obj();
		js_end();
	} else {
		put_stamp();
		printf("backend-full %s %s backend %s\n", proto, s, b);
	}
}

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[SLUICE_A_MAX + 1];
	struct sl_cg c;

	(void)arg;
	if (sl_nl_parse(msg, tb) < 0)
		return NL_SKIP;
	switch (g->cmd) {
	case SLUICE_CMD_EVENT_CGROUP_REMOVED:
		if (!tb[SLUICE_A_CGROUP] || sl_cg_parse(tb[SLUICE_A_CGROUP], &c))
			break;
		if (sl_opts.json) {
			js_begin_obj();
			put_stamp();
			js_str("event", "cgroup-removed");
			js_str("path", c.path);
			js_u64("id", c.id);
			js_end_obj();
			js_end();
		} else {
			put_stamp();
			fputs("cgroup-removed ", stdout);
			sl_put_text(stdout, c.path);
			printf(" id %llu\n", (unsigned long long)c.id);
		}
		free(c.path);
		break;
	case SLUICE_CMD_EVENT_BACKEND_FULL:
		ev_backend_full(tb);
		break;
	default:
		if (!sl_opts.json)
			printf("event %u\n", g->cmd);
		break;
	}
	sl_flush();
	return NL_OK;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static const struct sl_opt monitor_opts[] = {
	{ "-t", true },
	{ NULL, false },
};

int cmd_monitor(int argc, char **argv)
{
	unsigned int seen = 0;
	const char *val;
	struct sl_nl nl;
	struct nl_cb *cb;
	int grp, err, i;

	if (sl_want_help(argc, argv,
			 "Usage: sluice monitor [-t] [-j]\n"
			 "Print the module's events as they happen, one per line, until\n"
			 "interrupted; with -t, each with the time (CLOCK_MONOTONIC\n"
			 "seconds, as /proc/uptime) at which it arrived:\n"
			 "  cgroup-removed PATH id ID        a configured cgroup was removed\n"
			 "                                   (rmdir), and its entry with it\n"
			 "  backend-full PROTO VIP BACKEND   a key's first choice was full\n"))
		return EXIT_OK;
	for (i = 0; i < argc; i++) {
		if (sl_opt("monitor", monitor_opts, &seen, argc, argv, &i, &val) < 0)
			return EXIT_USAGE;
		stamp = true;	/* -t, the only one */
	}
	if (sl_nl_open(&nl))
		return EXIT_ERR;
	grp = genl_ctrl_resolve_grp(nl.sk, SLUICE_GENL_NAME, SLUICE_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		sl_err("cannot find the events group: %s", nl_geterror(grp));
		sl_nl_close(&nl);
		return EXIT_ERR;
	}
	err = nl_socket_add_membership(nl.sk, grp);
	if (err < 0) {
		sl_err("cannot join the events group: %s", nl_geterror(err));
		sl_nl_close(&nl);
		return EXIT_ERR;
	}
	nl_socket_disable_seq_check(nl.sk);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		sl_err("out of memory");
		sl_nl_close(&nl);
		return EXIT_ERR;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, event_cb, NULL);
	/* Events are not replies: they carry no sequence number of ours. */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Joined: said on stderr with -j, whose stdout is JSON only. */
	if (sl_opts.json)
		fprintf(stderr, "listening for events\n");
	else
		printf("listening for events\n");
	sl_flush();
	while (!ferror(stdout)) {	/* main() says why it stopped */
		err = nl_recvmsgs(nl.sk, cb);
		if (err == -NLE_NOMEM) {
			sl_err("events were lost (the socket's buffer overflowed)");
			continue;
		}
		if (err < 0 && err != -NLE_INTR && err != -NLE_AGAIN) {
			sl_err("cannot read events: %s", nl_geterror(err));
			break;
		}
	}
	nl_cb_put(cb);
	sl_nl_close(&nl);
	return EXIT_ERR;
}
