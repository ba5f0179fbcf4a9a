/*
 * sl-client - opens connections and reports which backend answered each.
 *
 *   sl-client [-u] [-n N] [--concurrent K] [--src ADDR[,ADDR...]]
 *             [--sport PORT] [--hold SECONDS] [--hold-until-file PATH]
 *             [--ready-file PATH] [--exchange-every MS] [--json]
 *             [--timeout SECONDS] DST:PORT
 *
 * Opens N connections to DST:PORT, at most K at a time. A TCP connection
 * succeeds when the line "ID\n" of sl-server arrives; a UDP "connection"
 * is one datagram from its own socket, answered by one datagram "ID\n";
 * the datagram is sent again every 200 ms until the answer or --timeout
 * (UDP may lose one; the resends use the same socket, so the same flow).
 * Connection i (from 0) binds the source address number i % (number of
 * --src addresses) and, with --sport P, the source port P + i.
 *
 * Once every connection has succeeded or failed it prints one line per
 * connection, in the order they were opened:
 *     <src ip> <src port> <backend id>
 *     <src ip> <src port> ERROR <reason>
 * (or a JSON array with --json), then "connections=N ok=N failed=N" on
 * stderr, then creates --ready-file. With --hold / --hold-until-file the
 * successful TCP connections then stay open until the time has passed or
 * the file exists (checked every 50 ms) or SIGTERM/SIGINT arrives; with
 * --exchange-every, each held connection sends a short message every MS
 * ms and expects it echoed intact within --timeout; the result is printed
 * on stderr as "exchanges=N exchange_failures=M" at exit.
 *
 * Exit status: 0 if every connection got a backend ID and no exchange
 * failed, 1 otherwise, 2 on usage errors. One thread, epoll; RLIMIT_NOFILE
 * raised to its hard limit.
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_N		1000000
#define MAX_SRCS	1024
#define ID_MAX		255
#define EXMSG_MAX	48
#define HOLD_POLL_NS	(50 * SL_NS_PER_MS)

enum state {
	S_NEW,		/* not started yet */
	S_CONNECTING,	/* TCP connect in progress */
	S_WAIT_ID,	/* waiting for the ID line / reply datagram */
	S_OK,		/* got the ID (TCP: socket still open when holding) */
	S_FAIL,
};

struct cconn {
	int fd;
	enum state state;
	uint16_t sport;
	uint64_t deadline;
	uint64_t resend_at;	/* UDP: next resend of the request */
	char src[INET6_ADDRSTRLEN];
	char *id;		/* backend ID, or failure reason */
	char idbuf[ID_MAX + 1];
	size_t idlen;
	/* exchange while holding */
	int ex_wait;		/* an echo is awaited */
	int ex_dead;		/* failed once: no more exchanges */
	uint64_t ex_deadline;
	char ex_msg[EXMSG_MAX];
	size_t ex_len, ex_got;
	char ex_rx[EXMSG_MAX];
};

/* options */
static int udp;
static uint64_t n_conns = 1, concurrent = 1;
static sl_addr srcs[MAX_SRCS];
static int nsrcs;
static int have_sport;
static uint64_t sport;
static int have_hold;
static double hold_s;
static const char *hold_file;
static const char *ready_file;
static uint64_t exchange_ms;
static int json;
static double timeout_s = 5;
static sl_addr dst;

static struct cconn *conns;
static int epfd, sfd;
static uint64_t timeout_ns;
static int keep_open;
static int stop;
static uint64_t n_ok, n_failed;
static uint64_t n_exchanges, n_exchange_failures;
/* no deadline of a connection in progress / awaited echo is before this */
static uint64_t check_at = UINT64_MAX;
static uint64_t n_ex_waiting;

static void usage(void)
{
	printf(
"Usage: sl-client [-u] [-n N] [--concurrent K] [--src ADDR[,ADDR...]]\n"
"                 [--sport PORT] [--hold SECONDS] [--hold-until-file PATH]\n"
"                 [--ready-file PATH] [--exchange-every MS] [--json]\n"
"                 [--timeout SECONDS] DST:PORT\n"
"\n"
"Opens N connections to DST:PORT and reports which backend (sl-server --id)\n"
"answered each.\n"
"\n"
"  -u, --udp               UDP: one datagram per connection, from its own socket\n"
"  -n, --count N           number of connections (default 1)\n"
"  --concurrent K          at most K connections in progress at once (default 1)\n"
"  --src ADDR[,ADDR...]    source addresses, connection i uses number i %% count\n"
"  --sport PORT            source port of connection i is PORT+i (SO_REUSEADDR)\n"
"  --hold SECONDS          keep the TCP connections open SECONDS after the report\n"
"  --hold-until-file PATH  ... or until PATH exists (checked every 50 ms)\n"
"  --ready-file PATH       create PATH once the report is written\n"
"  --exchange-every MS     while holding, send a message every MS ms on each\n"
"                          connection and check its echo (needs a hold option)\n"
"  --json                  JSON report instead of lines\n"
"  --timeout SECONDS       limit for connecting, and for each reply (default 5)\n"
"  -h, --help              this help\n"
"\n"
"Report (stdout), one line per connection in the order they were opened:\n"
"  <src ip> <src port> <backend id>\n"
"  <src ip> <src port> ERROR <reason>\n"
"stderr: \"connections=N ok=N failed=N\" after the report, and with\n"
"--exchange-every \"exchanges=N exchange_failures=N\" at exit.\n"
"Exit status: 0 all connections answered (and all exchanges intact),\n"
"1 otherwise, 2 usage error.\n");
}

static void ep_ctl(int op, int fd, uint32_t events, uint64_t idx)
{
	struct epoll_event ev = { .events = events, .data.u64 = idx };

	if (epoll_ctl(epfd, op, fd, &ev))
		sl_die("epoll_ctl: %s", strerror(errno));
}

static void ep_del(int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void conn_fail(struct cconn *c, const char *what, int err)
{
	if (err)
		snprintf(c->idbuf, sizeof(c->idbuf), "%s:%s", what,
			 sl_errname(err));
	else
		snprintf(c->idbuf, sizeof(c->idbuf), "%s", what);
	c->id = c->idbuf;
	c->state = S_FAIL;
	if (c->fd >= 0) {
		ep_del(c->fd);
		close(c->fd);
		c->fd = -1;
	}
	n_failed++;
}

static int valid_id(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

static void conn_ok(struct cconn *c)
{
	c->idbuf[c->idlen] = '\0';
	c->id = c->idbuf;
	c->state = S_OK;
	n_ok++;
	/* held connections are watched again from the start of the hold */
	ep_del(c->fd);
	if (udp || !keep_open) {
		close(c->fd);
		c->fd = -1;
	}
}

static void set_deadline(struct cconn *c, uint64_t deadline)
{
	c->deadline = deadline;
	if (deadline < check_at)
		check_at = deadline;
}

#define UDP_RESEND_NS	(200 * 1000 * 1000ULL)

/* Send connection @c's UDP request; the next resend is due in 200 ms. */
static int udp_send(struct cconn *c, uint64_t now)
{
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "sl-client %llu\n",
			 (unsigned long long)(c - conns));

	c->resend_at = now + UDP_RESEND_NS;
	if (c->resend_at < check_at)
		check_at = c->resend_at;
	return send(c->fd, msg, (size_t)n, MSG_DONTWAIT) == n ? 0 : -1;
}

/* Source address and port connection i asks for (or 0.0.0.0 / :: and 0). */
static void conn_init(uint64_t i, sl_addr *local)
{
	struct cconn *c = &conns[i];

	if (nsrcs)
		*local = srcs[i % (uint64_t)nsrcs];
	else
		sl_any(sl_family(&dst), 0, local);
	if (have_sport)
		sl_set_port(local, (uint16_t)(sport + i));
	sl_fmt_ip(local, c->src, sizeof(c->src));
	c->sport = sl_port(local);
}

static void record_local(struct cconn *c)
{
	sl_addr a;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(c->fd, (struct sockaddr *)&ss, &len))
		return;
	sl_from_sockaddr(&a, (struct sockaddr *)&ss, len);
	sl_fmt_ip(&a, c->src, sizeof(c->src));
	c->sport = sl_port(&a);
}

static void conn_start(uint64_t i, uint64_t now)
{
	struct cconn *c = &conns[i];
	sl_addr local;
	int one = 1, fd;

	c->fd = -1;
	conn_init(i, &local);

	fd = socket(sl_family(&dst),
		    (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_fail(c, "socket", errno);
		return;
	}
	c->fd = fd;
	if (have_sport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	else if (!udp)
		/* pick the port at connect time: more source ports usable */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
	if ((nsrcs || have_sport) && bind(fd, &local.u.sa, local.len)) {
		conn_fail(c, "bind", errno);
		return;
	}
	if (connect(fd, &dst.u.sa, dst.len)) {
		if (errno != EINPROGRESS) {
			conn_fail(c, "connect", errno);
			return;
		}
		record_local(c);
		c->state = S_CONNECTING;
		set_deadline(c, now + timeout_ns);
		ep_ctl(EPOLL_CTL_ADD, fd, EPOLLOUT, i);
		return;
	}
	record_local(c);
	if (udp && udp_send(c, now)) {
		conn_fail(c, "send", errno);
		return;
	}
	c->state = S_WAIT_ID;
	set_deadline(c, now + timeout_ns);
	ep_ctl(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, i);
}

static void conn_connected(struct cconn *c, uint64_t now)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		conn_fail(c, "connect", err);
		return;
	}
	c->state = S_WAIT_ID;
	set_deadline(c, now + timeout_ns);
	ep_ctl(EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLRDHUP,
	       (uint64_t)(c - conns));
}

static void conn_read_id(struct cconn *c)
{
	if (udp) {
		char buf[ID_MAX + 2];
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				conn_fail(c, "recv", errno);
			return;
		}
		if (n > 0 && buf[n - 1] == '\n')
			n--;
		if (n > ID_MAX || !valid_id(buf, (size_t)n)) {
			conn_fail(c, "bad-id", 0);
			return;
		}
		memcpy(c->idbuf, buf, (size_t)n);
		c->idlen = (size_t)n;
		conn_ok(c);
		return;
	}

	/*
	 * TCP: read at most up to the end of the line, so that bytes after
	 * it (there should be none) stay in the socket.
	 */
	for (;;) {
		char peek[ID_MAX + 1];
		size_t room = ID_MAX + 1 - c->idlen;
		ssize_t n = recv(c->fd, peek, room, MSG_PEEK | MSG_DONTWAIT);
		char *nl;
		size_t take;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_fail(c, "recv", errno);
			return;
		}
		if (n == 0) {
			conn_fail(c, "closed", 0);
			return;
		}
		nl = memchr(peek, '\n', (size_t)n);
		take = nl ? (size_t)(nl - peek) + 1 : (size_t)n;
		n = recv(c->fd, c->idbuf + c->idlen, take, MSG_DONTWAIT);
		if (n != (ssize_t)take) {
			conn_fail(c, "recv", n < 0 ? errno : EIO);
			return;
		}
		c->idlen += take;
		if (nl) {
			c->idlen--;	/* drop the newline */
			if (!valid_id(c->idbuf, c->idlen)) {
				conn_fail(c, "bad-id", 0);
				return;
			}
			conn_ok(c);
			return;
		}
		if (c->idlen > ID_MAX) {
			conn_fail(c, "bad-id", 0);
			return;
		}
	}
}

/* --------------------------------------------------------------- exchange */

static void ex_fail(struct cconn *c)
{
	n_exchange_failures++;
	if (c->ex_wait)
		n_ex_waiting--;
	else
		n_exchanges++;	/* found broken between exchanges: one lost */
	c->ex_wait = 0;
	c->ex_dead = 1;
	if (c->fd >= 0) {
		ep_del(c->fd);
		close(c->fd);
		c->fd = -1;
	}
}

static void ex_send(struct cconn *c, uint64_t round, uint64_t now)
{
	ssize_t w;

	c->ex_len = (size_t)snprintf(c->ex_msg, sizeof(c->ex_msg),
				     "x %llu %llu\n",
				     (unsigned long long)(c - conns),
				     (unsigned long long)round);
	c->ex_got = 0;
	n_exchanges++;
	w = send(c->fd, c->ex_msg, c->ex_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w != (ssize_t)c->ex_len) {
		ex_fail(c);
		return;
	}
	c->ex_wait = 1;
	n_ex_waiting++;
	c->ex_deadline = now + timeout_ns;
	if (c->ex_deadline < check_at)
		check_at = c->ex_deadline;
}

static void ex_event(struct cconn *c)
{
	for (;;) {
		size_t room = c->ex_wait ? c->ex_len - c->ex_got : 1;
		char junk[1];
		char *to = c->ex_wait ? c->ex_rx + c->ex_got : junk;
		ssize_t n = recv(c->fd, to, room, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				ex_fail(c);
			return;
		}
		if (n == 0 || !c->ex_wait) {
			/* closed by the peer, or bytes nobody asked for */
			ex_fail(c);
			return;
		}
		c->ex_got += (size_t)n;
		if (c->ex_got == c->ex_len) {
			c->ex_wait = 0;
			n_ex_waiting--;
			if (memcmp(c->ex_rx, c->ex_msg, c->ex_len)) {
				ex_fail(c);
				return;
			}
		}
	}
}

/* ----------------------------------------------------------------- report */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void report(void)
{
	uint64_t i;

	if (json)
		printf("[\n");
	for (i = 0; i < n_conns; i++) {
		struct cconn *c = &conns[i];
		int ok = c->state == S_OK;

		if (!json) {
			printf("%s %u %s%s\n", c->src, c->sport,
			       ok ? "" : "ERROR ", c->id);
			continue;
		}
		printf("{\"src\":\"%s\",\"sport\":%u,\"%s\":", c->src,
		       c->sport, ok ? "backend" : "error");
		json_str(c->id);
		printf("},\n");
	}
	if (json)
		printf("{\"summary\":true,\"connections\":%llu,\"ok\":%llu,\"failed\":%llu}\n]\n",
		       (unsigned long long)n_conns, (unsigned long long)n_ok,
		       (unsigned long long)n_failed);
	if (fflush(stdout))
		sl_die("writing the report: %s", strerror(errno));
	fprintf(stderr, "connections=%llu ok=%llu failed=%llu\n",
		(unsigned long long)n_conns, (unsigned long long)n_ok,
		(unsigned long long)n_failed);
}

/* ------------------------------------------------------------------- main */

static void parse_srcs(const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	if (!copy)
		sl_die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (nsrcs == MAX_SRCS)
			sl_usage_error("too many --src addresses (max %d)",
				       MAX_SRCS);
		if (sl_parse_ip(tok, &srcs[nsrcs]))
			sl_usage_error("invalid --src address '%s'", tok);
		nsrcs++;
	}
	if (!nsrcs)
		sl_usage_error("--src needs at least one address");
	free(copy);
}

static void drain_signals(void)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		stop = 1;
}

/*
 * Fail the connections in progress whose deadline has passed; resend the
 * UDP requests still unanswered.
 */
static uint64_t expire_conns(uint64_t from, uint64_t to, uint64_t now)
{
	uint64_t i, expired = 0;

	if (now < check_at)
		return 0;
	check_at = UINT64_MAX;
	for (i = from; i < to; i++) {
		struct cconn *c = &conns[i];

		if (c->state != S_CONNECTING && c->state != S_WAIT_ID)
			continue;
		if (now >= c->deadline) {
			conn_fail(c, c->state == S_CONNECTING ?
				  "connect-timeout" : "reply-timeout", 0);
			expired++;
			continue;
		}
		if (udp && c->state == S_WAIT_ID && now >= c->resend_at &&
		    udp_send(c, now) && errno != EAGAIN) {
			conn_fail(c, "send", errno);
			expired++;
			continue;
		}
		if (c->deadline < check_at)
			check_at = c->deadline;
		if (udp && c->state == S_WAIT_ID && c->resend_at < check_at)
			check_at = c->resend_at;
	}
	return expired;
}

static void connect_phase(void)
{
	struct epoll_event evs[256];
	uint64_t next = 0, first_open = 0, inflight = 0, done = 0, i;

	for (;;) {
		uint64_t now = sl_now_ns(), x;
		int n, k;

		while (!stop && next < n_conns && inflight < concurrent) {
			conn_start(next, now);
			if (conns[next].state == S_FAIL)
				done++;
			else
				inflight++;
			next++;
		}
		if (stop) {
			/* interrupted: whatever is left is a failure */
			for (i = first_open; i < n_conns; i++) {
				struct cconn *c = &conns[i];
				sl_addr local;

				if (c->state == S_NEW)
					conn_init(i, &local);
				if (c->state != S_OK && c->state != S_FAIL)
					conn_fail(c, "interrupted", 0);
			}
			return;
		}
		if (done == n_conns)
			return;
		while (first_open < next &&
		       (conns[first_open].state == S_OK ||
			conns[first_open].state == S_FAIL))
			first_open++;

		n = epoll_wait(epfd, evs, 256,
			       check_at == UINT64_MAX ? -1 :
			       sl_ms_until(check_at, now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sl_die("epoll_wait: %s", strerror(errno));
		}
		now = sl_now_ns();
		for (k = 0; k < n; k++) {
			struct cconn *c;

			if (evs[k].data.u64 == UINT64_MAX) {
				drain_signals();
				continue;
			}
			c = &conns[evs[k].data.u64];
			if (c->state == S_CONNECTING)
				conn_connected(c, now);
			else if (c->state == S_WAIT_ID)
				conn_read_id(c);
			else
				continue;
			if (c->state == S_OK || c->state == S_FAIL) {
				inflight--;
				done++;
			}
		}
		x = expire_conns(first_open, next, sl_now_ns());
		inflight -= x;
		done += x;
	}
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Fail the exchanges whose echo is late. */
static void expire_exchanges(uint64_t now)
{
	uint64_t i;

	if (now < check_at)
		return;
	check_at = UINT64_MAX;
	for (i = 0; i < n_conns && n_ex_waiting; i++) {
		struct cconn *c = &conns[i];

		if (!c->ex_wait)
			continue;
		if (now >= c->ex_deadline)
			ex_fail(c);
		else if (c->ex_deadline < check_at)
			check_at = c->ex_deadline;
	}
}

static void hold_phase(void)
{
	struct epoll_event evs[256];
	uint64_t start = sl_now_ns(), end = UINT64_MAX;
	uint64_t next_check = start, next_round = UINT64_MAX, round = 0, i;
	int holding = 1;

	if (have_hold)
		end = start + (uint64_t)(hold_s * (double)SL_NS_PER_SEC);
	check_at = UINT64_MAX;
	if (exchange_ms) {
		next_round = start + exchange_ms * SL_NS_PER_MS;
		/* watch for echoes, and for peers closing held connections */
		for (i = 0; i < n_conns; i++)
			if (conns[i].fd >= 0)
				ep_ctl(EPOLL_CTL_ADD, conns[i].fd,
				       EPOLLIN | EPOLLRDHUP, i);
	}

	for (;;) {
		uint64_t now = sl_now_ns(), wake = UINT64_MAX;
		int n, k;

		if (holding) {
			if (stop || now >= end ||
			    (hold_file && now >= next_check &&
			     file_exists(hold_file)))
				holding = 0;
			else if (hold_file && now >= next_check)
				next_check = now + HOLD_POLL_NS;
		}
		if (holding && exchange_ms && now >= next_round) {
			round++;
			for (i = 0; i < n_conns; i++) {
				struct cconn *c = &conns[i];

				if (c->state == S_OK && c->fd >= 0 &&
				    !c->ex_dead && !c->ex_wait)
					ex_send(c, round, now);
			}
			next_round += exchange_ms * SL_NS_PER_MS;
			if (next_round <= now)
				next_round = now + exchange_ms * SL_NS_PER_MS;
		}
		expire_exchanges(now);
		/* after the hold: only wait for the echoes still on their way */
		if (!holding && !n_ex_waiting)
			return;

		if (n_ex_waiting)
			wake = check_at;
		if (holding) {
			if (end < wake)
				wake = end;
			if (hold_file && next_check < wake)
				wake = next_check;
			if (next_round < wake)
				wake = next_round;
		}
		n = epoll_wait(epfd, evs, 256,
			       wake == UINT64_MAX ? -1 : sl_ms_until(wake, now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sl_die("epoll_wait: %s", strerror(errno));
		}
		for (k = 0; k < n; k++) {
			struct cconn *c;

			if (evs[k].data.u64 == UINT64_MAX) {
				drain_signals();
				continue;
			}
			c = &conns[evs[k].data.u64];
			if (c->fd >= 0)
				ex_event(c);
		}
	}
}

int main(int argc, char **argv)
{
	enum { O_CONC = 256, O_SRC, O_SPORT, O_HOLD, O_HOLDFILE, O_READY,
	       O_EXCH, O_JSON, O_TIMEOUT };
	static const struct option opts[] = {
		{ "udp", no_argument, NULL, 'u' },
		{ "count", required_argument, NULL, 'n' },
		{ "concurrent", required_argument, NULL, O_CONC },
		{ "src", required_argument, NULL, O_SRC },
		{ "sport", required_argument, NULL, O_SPORT },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "hold-until-file", required_argument, NULL, O_HOLDFILE },
		{ "ready-file", required_argument, NULL, O_READY },
		{ "exchange-every", required_argument, NULL, O_EXCH },
		{ "json", no_argument, NULL, O_JSON },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct epoll_event ev;
	sigset_t sigs;
	int opt, i, have_conc = 0, status;

	sl_prog = "sl-client";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hun:", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			udp = 1;
			break;
		case 'n':
			if (sl_parse_u64(optarg, 1, MAX_N, &n_conns))
				sl_usage_error("invalid -n '%s' (1-%d)", optarg,
					       MAX_N);
			break;
		case O_CONC:
			if (sl_parse_u64(optarg, 1, MAX_N, &concurrent))
				sl_usage_error("invalid --concurrent '%s' (1-%d)",
					       optarg, MAX_N);
			have_conc = 1;
			break;
		case O_SRC:
			parse_srcs(optarg);
			break;
		case O_SPORT:
			if (sl_parse_u64(optarg, 1, 65535, &sport))
				sl_usage_error("invalid --sport '%s' (1-65535)",
					       optarg);
			have_sport = 1;
			break;
		case O_HOLD:
			if (sl_parse_seconds(optarg, &hold_s))
				sl_usage_error("invalid --hold '%s' (seconds)",
					       optarg);
			have_hold = 1;
			break;
		case O_HOLDFILE:
			hold_file = optarg;
			break;
		case O_READY:
			ready_file = optarg;
			break;
		case O_EXCH:
			if (sl_parse_u64(optarg, 1, 3600000, &exchange_ms))
				sl_usage_error("invalid --exchange-every '%s' (1-3600000 ms)",
					       optarg);
			break;
		case O_JSON:
			json = 1;
			break;
		case O_TIMEOUT:
			if (sl_parse_seconds(optarg, &timeout_s) ||
			    timeout_s < 0.001)
				sl_usage_error("invalid --timeout '%s' (seconds, at least 0.001)",
					       optarg);
			break;
		case 'h':
			usage();
			return SL_EXIT_OK;
		default:
			sl_bad_option(opt, argv, "");
		}
	}
	if (optind >= argc)
		sl_usage_error("missing DST:PORT");
	if (optind + 1 < argc)
		sl_usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (sl_parse_hostport(argv[optind], &dst) || sl_port(&dst) == 0)
		sl_usage_error("invalid destination '%s' (expected IPV4:PORT or [IPV6]:PORT)",
			       argv[optind]);
	for (i = 0; i < nsrcs; i++)
		if (sl_family(&srcs[i]) != sl_family(&dst))
			sl_usage_error("--src addresses must be of the destination's family (IPv%d)",
				       sl_family(&dst) == AF_INET ? 4 : 6);
	if (have_sport && sport + n_conns - 1 > 65535)
		sl_usage_error("--sport %llu with -n %llu goes past port 65535",
			       (unsigned long long)sport,
			       (unsigned long long)n_conns);
	if (exchange_ms && !have_hold && !hold_file)
		sl_usage_error("--exchange-every needs --hold or --hold-until-file");
	if (exchange_ms && udp)
		sl_usage_error("--exchange-every is for TCP only");
	if (!have_conc)
		concurrent = 1;
	if (concurrent > n_conns)
		concurrent = n_conns;
	keep_open = !udp && (have_hold || hold_file);
	timeout_ns = (uint64_t)(timeout_s * (double)SL_NS_PER_SEC);

	sl_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	conns = calloc(n_conns, sizeof(*conns));
	if (!conns)
		sl_die("out of memory for %llu connections",
		       (unsigned long long)n_conns);
	for (i = 0; (uint64_t)i < n_conns; i++)
		conns[i].fd = -1;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL))
		sl_die("sigprocmask: %s", strerror(errno));
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		sl_die("signalfd: %s", strerror(errno));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		sl_die("epoll_create1: %s", strerror(errno));
	ev.events = EPOLLIN;
	ev.data.u64 = UINT64_MAX;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev))
		sl_die("epoll_ctl: %s", strerror(errno));

	connect_phase();
	report();
	if (ready_file) {
		char buf[128];
		int n = snprintf(buf, sizeof(buf),
				 "connections=%llu ok=%llu failed=%llu\n",
				 (unsigned long long)n_conns,
				 (unsigned long long)n_ok,
				 (unsigned long long)n_failed);

		if (sl_write_file_atomic(ready_file, buf, (size_t)n))
			sl_die("cannot write %s: %s", ready_file,
			       strerror(errno));
	}
	if ((have_hold || hold_file) && !stop)
		hold_phase();
	for (i = 0; (uint64_t)i < n_conns; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	status = n_failed ? SL_EXIT_FAIL : SL_EXIT_OK;
	if (exchange_ms) {
		fprintf(stderr, "exchanges=%llu exchange_failures=%llu\n",
			(unsigned long long)n_exchanges,
			(unsigned long long)n_exchange_failures);
		if (n_exchange_failures)
			status = SL_EXIT_FAIL;
	}
	return status;
}
