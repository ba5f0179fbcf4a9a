/*
 * sl-server - the backend of the sluice selftests.
 *
 *   sl-server --id ID [--tcp ADDR:PORT]... [--udp ADDR:PORT]...
 *             [--count-file PATH] [--pid-file PATH] [--reset-on-close]
 *
 * TCP: for every accepted connection it writes the line "ID\n" at once,
 * then echoes back every byte it receives, and closes the connection when
 * the peer closes it. UDP: every datagram received is answered with one
 * datagram "ID\n", sent from the address the datagram was sent to (the
 * destination is taken from IP_PKTINFO / IPV6_PKTINFO), so a wildcard
 * bind answers correctly and conntrack can undo a VIP's NAT.
 *
 * --count-file PATH holds "active=<open TCP connections> total=<accepted
 * TCP connections> udp=<datagrams received>\n", replaced atomically (tmp
 * file + rename) when a count changes, at most every 20 ms, with a last
 * write as soon as the changes stop; it is written once before the pid
 * file appears. --pid-file PATH is written (atomically) only once every
 * socket listens, so its existence means "ready"; it is removed on exit.
 *
 * "[::]:PORT" serves IPv4 too (IPV6_V6ONLY=0) unless an IPv4 address with
 * the same protocol and port is also given. --reset-on-close: every
 * accepted connection has SO_LINGER 0, so that its close (the server's
 * exit included) resets it (RST) instead of ending it (FIN). One thread, epoll, level
 * triggered; RLIMIT_NOFILE raised to its hard limit. SIGTERM / SIGINT:
 * exit 0. Exit 2 on usage errors, 1 on runtime failures.
 */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ID_LEN	64
#define MAX_SOCKS	64
#define COUNT_MIN_GAP_NS (20 * SL_NS_PER_MS)
#define ACCEPT_PAUSE_NS	(100 * SL_NS_PER_MS)
#define RDBUF_SIZE	65536

enum kind { K_LISTEN, K_UDP, K_CONN, K_SIGNAL };

struct ent {
	enum kind kind;
	int fd;
};

struct lsock {
	struct ent e;
	sl_addr addr;
	uint64_t paused_until;	/* 0 = accepting */
};

struct conn {
	struct ent e;
	char *pend;		/* bytes not yet echoed (reading is paused) */
	size_t pend_off, pend_len;
};

static const char *id;
static size_t id_len;
static char id_line[MAX_ID_LEN + 2];
static const char *count_file;
static const char *pid_file;
static int reset_on_close;

static int epfd;
static struct lsock socks[MAX_SOCKS];
static int nsocks;
static struct ent sig_ent;

static uint64_t n_active, n_total, n_udp;
static int count_dirty;
static uint64_t count_written_at;
static int count_warned;

static char rdbuf[RDBUF_SIZE];

static void usage(void)
{
	printf(
"Usage: sl-server --id ID [--tcp ADDR:PORT]... [--udp ADDR:PORT]...\n"
"                 [--count-file PATH] [--pid-file PATH] [--reset-on-close]\n"
"\n"
"Backend for the sluice selftests.\n"
"\n"
"  --id ID            backend identity, 1-64 characters of [A-Za-z0-9._:-]\n"
"  --tcp ADDR:PORT    serve TCP: send \"ID\\n\" on accept, then echo (repeatable)\n"
"  --udp ADDR:PORT    serve UDP: answer every datagram with \"ID\\n\" (repeatable)\n"
"  --count-file PATH  keep \"active=N total=N udp=N\\n\" in PATH (atomic updates)\n"
"  --pid-file PATH    write the pid to PATH once listening; removed on exit\n"
"  --reset-on-close   close TCP connections (exit included) with a reset\n"
"  -h, --help         this help\n"
"\n"
"ADDR is IPv4 (10.0.0.1, 0.0.0.0) or IPv6 in brackets ([fd00::1], [::]).\n"
"[::] also serves IPv4 unless an IPv4 address is given for the same port.\n"
"SIGTERM/SIGINT: exit 0. Exit status 2: usage error, 1: runtime failure.\n");
}

static int valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_ID_LEN)
		return 0;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

static void write_count_file(uint64_t now)
{
	char buf[128];
	int n;

	count_dirty = 0;
	count_written_at = now;
	if (!count_file)
		return;
	n = snprintf(buf, sizeof(buf), "active=%llu total=%llu udp=%llu\n",
		     (unsigned long long)n_active,
		     (unsigned long long)n_total,
		     (unsigned long long)n_udp);
	if (sl_write_file_atomic(count_file, buf, (size_t)n) && !count_warned) {
		sl_warn("cannot write %s: %s", count_file, strerror(errno));
		count_warned = 1;
	}
}

static void counts_changed(void)
{
	count_dirty = 1;
}

static void ep_ctl(int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(epfd, op, fd, &ev))
		sl_die("epoll_ctl: %s", strerror(errno));
}

/* --------------------------------------------------------------- TCP conn */

static void conn_close(struct conn *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->e.fd, NULL);
	close(c->e.fd);
	free(c->pend);
	free(c);
	n_active--;
	counts_changed();
}

/* Send data; what does not fit is kept and reading pauses. 0 or -1. */
static int conn_send(struct conn *c, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = send(c->e.fd, data + off, len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		off += (size_t)w;
	}
	if (off < len) {
		c->pend = malloc(len - off);
		if (!c->pend)
			return -1;
		memcpy(c->pend, data + off, len - off);
		c->pend_off = 0;
		c->pend_len = len - off;
		ep_ctl(EPOLL_CTL_MOD, c->e.fd, EPOLLOUT, c);
	}
	return 0;
}

static void conn_flush(struct conn *c)
{
	while (c->pend_off < c->pend_len) {
		ssize_t w = send(c->e.fd, c->pend + c->pend_off,
				 c->pend_len - c->pend_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_close(c);
			return;
		}
		c->pend_off += (size_t)w;
	}
	free(c->pend);
	c->pend = NULL;
	c->pend_off = c->pend_len = 0;
	ep_ctl(EPOLL_CTL_MOD, c->e.fd, EPOLLIN | EPOLLRDHUP, c);
}

static void conn_event(struct conn *c, uint32_t events)
{
	int i;

	if (c->pend) {
		if (events & (EPOLLERR | EPOLLHUP)) {
			conn_close(c);
			return;
		}
		conn_flush(c);
		return;
	}
	/* Bounded number of reads per wakeup, so that no peer starves others. */
	for (i = 0; i < 4; i++) {
		ssize_t n = recv(c->e.fd, rdbuf, sizeof(rdbuf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_close(c);
			return;
		}
		if (n == 0) {
			conn_close(c);
			return;
		}
		if (conn_send(c, rdbuf, (size_t)n)) {
			conn_close(c);
			return;
		}
		if (c->pend)
			return;
	}
}

/* ----------------------------------------------------------------- accept */

static void listen_event(struct lsock *l, uint64_t now)
{
	int i;

	for (i = 0; i < 64; i++) {
		struct conn *c;
		int fd = accept4(l->e.fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				sl_warn("accept: %s; pausing for 100 ms",
					strerror(errno));
				l->paused_until = now + ACCEPT_PAUSE_NS;
				ep_ctl(EPOLL_CTL_MOD, l->e.fd, 0, l);
				return;
			}
			/* ECONNABORTED, EPROTO, EINTR, ...: try the next one */
			continue;
		}
		if (reset_on_close) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
				sl_die("SO_LINGER: %s", strerror(errno));
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->e.kind = K_CONN;
		c->e.fd = fd;
		ep_ctl(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, c);
		n_active++;
		n_total++;
		counts_changed();
		if (conn_send(c, id_line, id_len + 1))
			conn_close(c);
	}
}

/* -------------------------------------------------------------------- UDP */

static void udp_event(struct lsock *l)
{
	int i;

	for (i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		char rcbuf[256], scbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct iovec iov = { .iov_base = rdbuf, .iov_len = sizeof(rdbuf) };
		struct msghdr m = {
			.msg_name = &peer, .msg_namelen = sizeof(peer),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = rcbuf, .msg_controllen = sizeof(rcbuf),
		};
		struct in_pktinfo *pi4 = NULL;
		struct in6_pktinfo *pi6 = NULL;
		struct cmsghdr *cm;
		ssize_t n;

		n = recvmsg(l->e.fd, &m, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN, or a queued ICMP error: nothing to answer */
			return;
		}
		n_udp++;
		counts_changed();

		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			if (cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_PKTINFO)
				pi4 = (struct in_pktinfo *)CMSG_DATA(cm);
			else if (cm->cmsg_level == IPPROTO_IPV6 &&
				 cm->cmsg_type == IPV6_PKTINFO)
				pi6 = (struct in6_pktinfo *)CMSG_DATA(cm);
		}

		/* Answer from the address the datagram was sent to. */
		iov.iov_base = id_line;
		iov.iov_len = id_len + 1;
		m.msg_flags = 0;
		m.msg_control = NULL;
		m.msg_controllen = 0;
		memset(scbuf, 0, sizeof(scbuf));
		if (sl_family(&l->addr) == AF_INET && pi4) {
			struct in_pktinfo out = { 0 };
			in_addr_t dst = ntohl(pi4->ipi_addr.s_addr);

			if (IN_MULTICAST(dst) || dst == INADDR_BROADCAST)
				out.ipi_spec_dst = pi4->ipi_spec_dst;
			else
				out.ipi_spec_dst = pi4->ipi_addr;
			m.msg_control = scbuf;
			m.msg_controllen = CMSG_SPACE(sizeof(out));
			cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(out));
			memcpy(CMSG_DATA(cm), &out, sizeof(out));
		} else if (sl_family(&l->addr) == AF_INET6 && pi6 &&
			   !IN6_IS_ADDR_MULTICAST(&pi6->ipi6_addr)) {
			struct in6_pktinfo out = { 0 };

			out.ipi6_addr = pi6->ipi6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&pi6->ipi6_addr))
				out.ipi6_ifindex = pi6->ipi6_ifindex;
			m.msg_control = scbuf;
			m.msg_controllen = CMSG_SPACE(sizeof(out));
			cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = IPPROTO_IPV6;
			cm->cmsg_type = IPV6_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(out));
			memcpy(CMSG_DATA(cm), &out, sizeof(out));
		}
		/* Best effort, like any UDP server: a full queue drops it. */
		sendmsg(l->e.fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
}

/* ------------------------------------------------------------------ setup */

static int same_port_v4_given(int type, uint16_t port, const sl_addr *addrs,
			      const int *types, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (types[i] == type && sl_family(&addrs[i]) == AF_INET &&
		    sl_port(&addrs[i]) == port)
			return 1;
	return 0;
}

static void open_socket(struct lsock *l, int type, int v6only)
{
	char name[SL_ADDRSTRLEN];
	const char *proto = type == SOCK_STREAM ? "tcp" : "udp";
	int fam = sl_family(&l->addr), one = 1, fd;

	sl_fmt_hostport(&l->addr, name, sizeof(name));
	fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		sl_die("%s %s: socket: %s", proto, name, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6 && sl_is_any(&l->addr) &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))
		sl_die("%s %s: IPV6_V6ONLY: %s", proto, name, strerror(errno));
	if (type == SOCK_DGRAM) {
		/* room for bursts of thousands of clients' datagrams */
		int sz = 8 << 20;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (fam == AF_INET) {
			if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
				       sizeof(one)))
				sl_die("%s %s: IP_PKTINFO: %s", proto, name,
				       strerror(errno));
		} else if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				      sizeof(one))) {
			sl_die("%s %s: IPV6_RECVPKTINFO: %s", proto, name,
			       strerror(errno));
		}
	}
	if (bind(fd, &l->addr.u.sa, l->addr.len)) {
		int err = errno;

		sl_die("%s %s: bind: %s%s", proto, name, strerror(err),
		       err == EADDRNOTAVAIL ?
		       " (address not configured here, or IPv6 DAD not done: "
		       "add it with nodad)" : "");
	}
	if (type == SOCK_STREAM && listen(fd, 65535))
		sl_die("%s %s: listen: %s", proto, name, strerror(errno));
	l->e.kind = type == SOCK_STREAM ? K_LISTEN : K_UDP;
	l->e.fd = fd;
	ep_ctl(EPOLL_CTL_ADD, fd, EPOLLIN, l);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "tcp", required_argument, NULL, 't' },
		{ "udp", required_argument, NULL, 'u' },
		{ "count-file", required_argument, NULL, 'c' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "reset-on-close", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	sl_addr addrs[MAX_SOCKS];
	int types[MAX_SOCKS];
	struct epoll_event evs[256];
	sigset_t sigs;
	int opt, i, sfd, stop = 0;

	sl_prog = "sl-server";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (!valid_id(optarg))
				sl_usage_error("invalid --id '%s' (1-%d characters of [A-Za-z0-9._:-])",
					       optarg, MAX_ID_LEN);
			id = optarg;
			break;
		case 't':
		case 'u':
			if (nsocks == MAX_SOCKS)
				sl_usage_error("too many --tcp/--udp (max %d)",
					       MAX_SOCKS);
			if (sl_parse_hostport(optarg, &addrs[nsocks]))
				sl_usage_error("invalid address '%s' for --%s (expected IPV4:PORT or [IPV6]:PORT)",
					       optarg, opt == 't' ? "tcp" : "udp");
			types[nsocks++] = opt == 't' ? SOCK_STREAM : SOCK_DGRAM;
			break;
		case 'c':
			count_file = optarg;
			break;
		case 'p':
			pid_file = optarg;
			break;
		case 'r':
			reset_on_close = 1;
			break;
		case 'h':
			usage();
			return SL_EXIT_OK;
		default:
			sl_bad_option(opt, argv, "");
		}
	}
	if (optind < argc)
		sl_usage_error("unexpected argument '%s'", argv[optind]);
	if (!id)
		sl_usage_error("--id is required");
	if (!nsocks)
		sl_usage_error("give at least one --tcp or --udp address");
	id_len = strlen(id);
	memcpy(id_line, id, id_len);
	id_line[id_len] = '\n';

	sl_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
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
	sig_ent.kind = K_SIGNAL;
	sig_ent.fd = sfd;
	ep_ctl(EPOLL_CTL_ADD, sfd, EPOLLIN, &sig_ent);

	for (i = 0; i < nsocks; i++) {
		int v6only = 1;

		if (sl_family(&addrs[i]) == AF_INET6 && sl_is_any(&addrs[i]))
			v6only = same_port_v4_given(types[i],
						    sl_port(&addrs[i]),
						    addrs, types, nsocks);
		socks[i].addr = addrs[i];
		open_socket(&socks[i], types[i], v6only);
	}

	write_count_file(sl_now_ns());
	if (count_file && count_warned)
		return SL_EXIT_FAIL;
	if (pid_file) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

		if (sl_write_file_atomic(pid_file, buf, (size_t)n))
			sl_die("cannot write %s: %s", pid_file,
			       strerror(errno));
	}

	while (!stop) {
		uint64_t now = sl_now_ns(), next = UINT64_MAX;
		int timeout = -1, n;

		if (count_dirty)
			next = count_written_at + COUNT_MIN_GAP_NS;
		for (i = 0; i < nsocks; i++)
			if (socks[i].paused_until &&
			    socks[i].paused_until < next)
				next = socks[i].paused_until;
		if (next != UINT64_MAX)
			timeout = sl_ms_until(next, now);

		n = epoll_wait(epfd, evs, 256, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sl_die("epoll_wait: %s", strerror(errno));
		}
		now = sl_now_ns();
		for (i = 0; i < n; i++) {
			struct ent *e = evs[i].data.ptr;

			switch (e->kind) {
			case K_LISTEN:
				listen_event((struct lsock *)e, now);
				break;
			case K_UDP:
				udp_event((struct lsock *)e);
				break;
			case K_CONN:
				conn_event((struct conn *)e, evs[i].events);
				break;
			case K_SIGNAL:
				stop = 1;
				break;
			}
		}

		now = sl_now_ns();
		for (i = 0; i < nsocks; i++) {
			if (socks[i].paused_until &&
			    now >= socks[i].paused_until) {
				socks[i].paused_until = 0;
				ep_ctl(EPOLL_CTL_MOD, socks[i].e.fd, EPOLLIN,
				       &socks[i]);
			}
		}
		if (count_dirty && now >= count_written_at + COUNT_MIN_GAP_NS)
			write_count_file(now);
	}

	if (count_dirty)
		write_count_file(sl_now_ns());
	if (pid_file)
		unlink(pid_file);
	return SL_EXIT_OK;
}
