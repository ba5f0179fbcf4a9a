/*
 * sl-bulk - throughput sender and receiver for the sluice selftests.
 *
 *   sl-bulk recv [-u] --listen ADDR:PORT [--interval-ms MS]
 *                [--duration SECONDS] [--json] [--pid-file PATH]
 *   sl-bulk send [-u] --to ADDR:PORT [--flows K] [--duration SECONDS]
 *                [--rate BITS_PER_SEC] [--ecn] [--size BYTES] [--src ADDR]
 *
 * recv accepts any number of TCP connections (or receives UDP datagrams),
 * discards the data, and from the first byte on prints every interval
 *     t=<s since first byte> bytes=<this interval> bps=<this interval> total=<bytes>
 * and, after --duration seconds from the first byte or on SIGTERM/SIGINT,
 *     summary bytes=<total> seconds=<s> bps=<average>
 * Bytes are payload bytes (TCP stream bytes, UDP datagram payloads).
 * stdout is line buffered: tests read it live. --pid-file is written once
 * the socket listens.
 *
 * send opens K TCP flows and writes as fast as it can for --duration
 * seconds, then prints per flow and in total what TCP_INFO says:
 *     flow=<i> bytes=<payload acked> segs_out=<n> retrans=<tcpi_total_retrans>
 *          srtt_us=<n> min_rtt_us=<n> ssthresh=<n> cwnd=<n> ce_acked=<n>
 * (the round trip, smoothed and lowest, the congestion window and its
 * threshold at the end, and the segments the receiver echoed CE for)
 *     total bytes=<n> segs_out=<n> retrans=<n>
 * With -u it sends datagrams of --size bytes from K sockets (round robin),
 * paced at --rate bits/s of payload in total (default: as fast as it can):
 *     flow=<i> bytes=<n> datagrams=<n>
 *     total bytes=<n> datagrams=<n> errors=<n>
 * --ecn marks UDP datagrams ECT(0) (IP_TOS / IPV6_TCLASS); for TCP it only
 * checks that net.ipv4.tcp_ecn is 1 in this network namespace (ECN is
 * negotiated per namespace) and fails otherwise.
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage error. One thread.
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <linux/tcp.h>		/* struct tcp_info with tcpi_segs_out */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF_SIZE	(256 * 1024)
#define UDP_BATCH	64
#define UDP_SLOT	2048
#define MAX_FLOWS	10000
#define CONNECT_TIMEOUT_NS (5 * SL_NS_PER_SEC)

static int json;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: sl-bulk recv [-u] --listen ADDR:PORT [--interval-ms MS]\n"
"                    [--duration SECONDS] [--json] [--pid-file PATH]\n"
"       sl-bulk send [-u] --to ADDR:PORT [--flows K] [--duration SECONDS]\n"
"                    [--rate BITS_PER_SEC] [--ecn] [--size BYTES] [--src ADDR]\n"
"\n"
"recv: receive and discard TCP (any number of connections) or UDP (-u).\n"
"  --listen ADDR:PORT   address to listen on ([::] also takes IPv4)\n"
"  --interval-ms MS     report period (default 1000)\n"
"  --duration SECONDS   stop SECONDS after the first byte (default: at SIGTERM)\n"
"  --json               JSON objects, one per line, instead of text lines\n"
"  --pid-file PATH      write the pid to PATH once listening\n"
"  Prints from the first byte on, every interval:\n"
"    t=<s, 3 decimals> bytes=<this interval> bps=<this interval> total=<bytes>\n"
"  and at the end:  summary bytes=<total> seconds=<s> bps=<average>\n"
"\n"
"send: TCP flows as fast as possible, or UDP datagrams (-u).\n"
"  --to ADDR:PORT       destination\n"
"  --flows K            parallel flows / sockets (default 1)\n"
"  --duration SECONDS   how long to send (default 5)\n"
"  --rate RATE          UDP only: payload bits/s in total, e.g. 20000000, 20mbit,\n"
"                       1.5g (k/m/g = 10^3/10^6/10^9; default: unpaced)\n"
"  --ecn                UDP: send ECT(0); TCP: require net.ipv4.tcp_ecn=1\n"
"  --size BYTES         UDP datagram payload (default 1200); TCP write size\n"
"                       (default 131072)\n"
"  --src ADDR           source address\n"
"  Prints (TCP):  flow=<i> bytes=<acked> segs_out=<n> retrans=<n> srtt_us=<n>\n"
"                   min_rtt_us=<n> ssthresh=<n> cwnd=<n> ce_acked=<n>\n"
"                 total bytes=<n> segs_out=<n> retrans=<n>\n"
"         (UDP):  flow=<i> bytes=<n> datagrams=<n>\n"
"                 total bytes=<n> datagrams=<n> errors=<n>\n"
"\n"
"ADDR is IPv4 or IPv6 in brackets when a port follows ([fd00::1]:5001).\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static void ep_add(int epfd, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		sl_die("epoll_ctl: %s", strerror(errno));
}

/* ------------------------------------------------------------------ recv */

struct recv_state {
	uint64_t first;		/* ns of the first byte, 0 = none yet */
	uint64_t last_report;	/* ns of the previous line (or first) */
	uint64_t total, interval_bytes;
};

static void print_interval(struct recv_state *st, uint64_t now)
{
	double t = (double)(now - st->first) / 1e9;
	double dt = (double)(now - st->last_report) / 1e9;
	unsigned long long bps = dt > 0 ?
		(unsigned long long)((double)st->interval_bytes * 8 / dt) : 0;

	if (json)
		printf("{\"t\":%.3f,\"bytes\":%llu,\"bps\":%llu,\"total\":%llu}\n",
		       t, (unsigned long long)st->interval_bytes, bps,
		       (unsigned long long)st->total);
	else
		printf("t=%.3f bytes=%llu bps=%llu total=%llu\n", t,
		       (unsigned long long)st->interval_bytes, bps,
		       (unsigned long long)st->total);
	fflush(stdout);
	st->interval_bytes = 0;
	st->last_report = now;
}

static void print_summary(struct recv_state *st, uint64_t now)
{
	double secs = st->first ? (double)(now - st->first) / 1e9 : 0;
	unsigned long long bps = secs > 0 ?
		(unsigned long long)((double)st->total * 8 / secs) : 0;

	if (json)
		printf("{\"summary\":true,\"bytes\":%llu,\"seconds\":%.3f,\"bps\":%llu}\n",
		       (unsigned long long)st->total, secs, bps);
	else
		printf("summary bytes=%llu seconds=%.3f bps=%llu\n",
		       (unsigned long long)st->total, secs, bps);
	fflush(stdout);
}

static int do_recv(int argc, char **argv)
{
	enum { O_LISTEN = 256, O_INTERVAL, O_DURATION, O_JSON, O_PIDFILE };
	static const struct option opts[] = {
		{ "udp", no_argument, NULL, 'u' },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "interval-ms", required_argument, NULL, O_INTERVAL },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "json", no_argument, NULL, O_JSON },
		{ "pid-file", required_argument, NULL, O_PIDFILE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char rbuf[RBUF_SIZE];
	static char ubufs[UDP_BATCH][UDP_SLOT];
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iovs[UDP_BATCH];
	struct epoll_event evs[256];
	struct recv_state st = { 0 };
	const char *pid_file = NULL;
	uint64_t interval_ms = 1000, interval_ns, end = UINT64_MAX;
	uint64_t next_report = UINT64_MAX;
	double duration = 0;
	int have_listen = 0, have_duration = 0, udp = 0, opt, i;
	int one = 1, fd, epfd, sfd, stop = 0;
	sl_addr addr;
	char name[SL_ADDRSTRLEN];
	sigset_t sigs;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hu", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			udp = 1;
			break;
		case O_LISTEN:
			if (sl_parse_hostport(optarg, &addr))
				sl_usage_error("invalid --listen '%s' (expected IPV4:PORT or [IPV6]:PORT)",
					       optarg);
			have_listen = 1;
			break;
		case O_INTERVAL:
			if (sl_parse_u64(optarg, 1, 3600000, &interval_ms))
				sl_usage_error("invalid --interval-ms '%s' (1-3600000)",
					       optarg);
			break;
		case O_DURATION:
			if (sl_parse_seconds(optarg, &duration) ||
			    duration <= 0)
				sl_usage_error("invalid --duration '%s' (seconds > 0)",
					       optarg);
			have_duration = 1;
			break;
		case O_JSON:
			json = 1;
			break;
		case O_PIDFILE:
			pid_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return SL_EXIT_OK;
		default:
			sl_bad_option(opt, argv, " for recv");
		}
	}
	if (optind < argc)
		sl_usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_listen)
		sl_usage_error("recv needs --listen ADDR:PORT");
	interval_ns = interval_ms * SL_NS_PER_MS;

	sl_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
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
	ep_add(epfd, sfd, EPOLLIN, UINT64_MAX);

	sl_fmt_hostport(&addr, name, sizeof(name));
	fd = socket(sl_family(&addr),
		    (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0)
		sl_die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sl_family(&addr) == AF_INET6 && sl_is_any(&addr)) {
		int zero = 0;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
	if (udp) {
		int sz = 8 << 20;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (bind(fd, &addr.u.sa, addr.len))
		sl_die("bind %s: %s", name, strerror(errno));
	if (!udp && listen(fd, 65535))
		sl_die("listen %s: %s", name, strerror(errno));
	ep_add(epfd, fd, EPOLLIN, (uint64_t)fd);
	if (pid_file) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

		if (sl_write_file_atomic(pid_file, buf, (size_t)n))
			sl_die("cannot write %s: %s", pid_file,
			       strerror(errno));
	}

	for (i = 0; i < UDP_BATCH; i++) {
		iovs[i].iov_base = ubufs[i];
		iovs[i].iov_len = UDP_SLOT;
	}

	while (!stop) {
		uint64_t now = sl_now_ns(), wake = next_report, got = 0;
		int n, k;

		if (end < wake)
			wake = end;
		n = epoll_wait(epfd, evs, 256,
			       wake == UINT64_MAX ? -1 : sl_ms_until(wake, now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sl_die("epoll_wait: %s", strerror(errno));
		}
		for (k = 0; k < n; k++) {
			int efd = (int)evs[k].data.u64;
			int r;

			if (evs[k].data.u64 == UINT64_MAX) {
				stop = 1;
				continue;
			}
			if (efd == fd && udp) {
				for (r = 0; r < 16; r++) {
					int m, j;

					memset(msgs, 0, sizeof(msgs));
					for (j = 0; j < UDP_BATCH; j++) {
						msgs[j].msg_hdr.msg_iov = &iovs[j];
						msgs[j].msg_hdr.msg_iovlen = 1;
					}
					m = recvmmsg(fd, msgs, UDP_BATCH,
						     MSG_DONTWAIT | MSG_TRUNC,
						     NULL);
					if (m <= 0)
						break;
					for (j = 0; j < m; j++)
						got += msgs[j].msg_len;
				}
			} else if (efd == fd) {
				for (r = 0; r < 64; r++) {
					int c = accept4(fd, NULL, NULL,
							SOCK_NONBLOCK |
							SOCK_CLOEXEC);

					if (c < 0)
						break;
					ep_add(epfd, c, EPOLLIN | EPOLLRDHUP,
					       (uint64_t)c);
				}
			} else {
				for (r = 0; r < 8; r++) {
					ssize_t b = recv(efd, rbuf, sizeof(rbuf),
							 MSG_DONTWAIT);

					if (b > 0) {
						got += (uint64_t)b;
						continue;
					}
					if (b < 0 && (errno == EAGAIN ||
						      errno == EINTR))
						break;
					epoll_ctl(epfd, EPOLL_CTL_DEL, efd,
						  NULL);
					close(efd);
					break;
				}
			}
		}
		now = sl_now_ns();
		if (got) {
			if (!st.first) {
				st.first = st.last_report = now;
				next_report = now + interval_ns;
				if (have_duration)
					end = now + (uint64_t)(duration *
							       (double)SL_NS_PER_SEC);
			}
			st.total += got;
			st.interval_bytes += got;
		}
		if (now >= end)
			break;
		while (now >= next_report) {
			print_interval(&st, now);
			next_report += interval_ns;
		}
	}

	{
		uint64_t now = sl_now_ns();

		if (have_duration && now > end && st.first)
			now = end;	/* late wakeup: do not stretch it */
		if (st.first && now > st.last_report + SL_NS_PER_MS)
			print_interval(&st, now);
		print_summary(&st, now);
	}
	return SL_EXIT_OK;
}

/* ------------------------------------------------------------------ send */

static volatile sig_atomic_t send_stop;

static void on_signal(int sig)
{
	(void)sig;
	send_stop = 1;
}

/* "20000000", "20mbit", "1.5G", "800k": bits per second. */
static int parse_rate(const char *s, double *out)
{
	char *end;
	double v;

	if (!s[0] || !((s[0] >= '0' && s[0] <= '9') || s[0] == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || !(v > 0))
		return -1;
	switch (*end) {
	case 'k': case 'K': v *= 1e3; end++; break;
	case 'm': case 'M': v *= 1e6; end++; break;
	case 'g': case 'G': v *= 1e9; end++; break;
	default: break;
	}
	if (!strcmp(end, "bit"))
		end += 3;
	if (*end || v < 1 || v > 1e12)
		return -1;
	*out = v;
	return 0;
}

static void check_tcp_ecn(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_ecn", "r");
	int v = -1;

	if (!f)
		sl_die("--ecn: cannot read /proc/sys/net/ipv4/tcp_ecn: %s",
		       strerror(errno));
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	if (v != 1)
		sl_die("--ecn: net.ipv4.tcp_ecn is %d in this network namespace, "
		       "so TCP would not ask for ECN; run "
		       "'sysctl -w net.ipv4.tcp_ecn=1' in it first", v);
}

static int open_flow(int type, const sl_addr *to, const sl_addr *src,
		     int nonblock)
{
	char name[SL_ADDRSTRLEN];
	int one = 1;
	int fd = socket(sl_family(to), type | SOCK_CLOEXEC |
			(nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		sl_die("socket: %s", strerror(errno));
	if (src) {
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
		if (bind(fd, &src->u.sa, src->len)) {
			sl_fmt_ip(src, name, sizeof(name));
			sl_die("bind %s: %s", name, strerror(errno));
		}
	}
	return fd;
}

static int send_tcp(const sl_addr *to, const sl_addr *src, uint64_t flows,
		    double duration, uint64_t size, int ecn)
{
	struct epoll_event evs[256];
	char name[SL_ADDRSTRLEN];
	int *fds, *alive, epfd, failed = 0;
	char *buf;
	uint64_t i, connected = 0, start, end, deadline;
	unsigned long long t_bytes = 0, t_segs = 0, t_retrans = 0;

	if (ecn)
		check_tcp_ecn();
	sl_fmt_hostport(to, name, sizeof(name));
	fds = calloc(flows, sizeof(*fds));
	alive = calloc(flows, sizeof(*alive));
	buf = calloc(1, size);
	if (!fds || !alive || !buf)
		sl_die("out of memory");
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		sl_die("epoll_create1: %s", strerror(errno));

	for (i = 0; i < flows; i++) {
		fds[i] = open_flow(SOCK_STREAM, to, src, 1);
		if (connect(fds[i], &to->u.sa, to->len) && errno != EINPROGRESS)
			sl_die("flow %llu: connect %s: %s",
			       (unsigned long long)i, name, strerror(errno));
		ep_add(epfd, fds[i], EPOLLOUT, i);
	}
	/* wait until every flow is connected */
	deadline = sl_now_ns() + CONNECT_TIMEOUT_NS;
	while (connected < flows) {
		uint64_t now = sl_now_ns();
		int n, k;

		if (now >= deadline)
			sl_die("connect %s: timeout (%llu of %llu flows connected)",
			       name, (unsigned long long)connected,
			       (unsigned long long)flows);
		if (send_stop)
			sl_die("interrupted while connecting");
		n = epoll_wait(epfd, evs, 256, sl_ms_until(deadline, now));
		if (n < 0 && errno != EINTR)
			sl_die("epoll_wait: %s", strerror(errno));
		for (k = 0; k < n; k++) {
			uint64_t f = evs[k].data.u64;
			int err = 0;
			socklen_t len = sizeof(err);
			struct epoll_event ev = { .events = 0, .data.u64 = f };

			if (alive[f])
				continue;
			getsockopt(fds[f], SOL_SOCKET, SO_ERROR, &err, &len);
			if (err)
				sl_die("flow %llu: connect %s: %s",
				       (unsigned long long)f, name,
				       strerror(err));
			alive[f] = 1;
			connected++;
			/* quiet until the sending starts */
			epoll_ctl(epfd, EPOLL_CTL_MOD, fds[f], &ev);
		}
	}
	for (i = 0; i < flows; i++) {
		struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = i };

		if (ecn) {
			struct tcp_info ti;
			socklen_t len = sizeof(ti);

			memset(&ti, 0, sizeof(ti));
			if (!getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti,
					&len) && !(ti.tcpi_options & TCPI_OPT_ECN))
				sl_warn("flow %llu: ECN not negotiated (the receiver's namespace has net.ipv4.tcp_ecn=0?)",
					(unsigned long long)i);
		}
		epoll_ctl(epfd, EPOLL_CTL_MOD, fds[i], &ev);
	}

	start = sl_now_ns();
	end = start + (uint64_t)(duration * (double)SL_NS_PER_SEC);
	while (!send_stop) {
		uint64_t now = sl_now_ns();
		int n, k;

		if (now >= end)
			break;
		n = epoll_wait(epfd, evs, 256, sl_ms_until(end, now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sl_die("epoll_wait: %s", strerror(errno));
		}
		for (k = 0; k < n; k++) {
			uint64_t f = evs[k].data.u64;
			int r;

			for (r = 0; r < 16 && alive[f]; r++) {
				ssize_t w = send(fds[f], buf, size,
						 MSG_DONTWAIT | MSG_NOSIGNAL);

				if (w >= 0)
					continue;
				if (errno == EAGAIN || errno == EINTR)
					break;
				if (errno == EPIPE || errno == ECONNRESET) {
					/* the receiver is done: not an error */
					sl_warn("flow %llu: closed by the receiver after %.3f s",
						(unsigned long long)f,
						(double)(sl_now_ns() - start) / 1e9);
				} else {
					sl_warn("flow %llu: send: %s",
						(unsigned long long)f,
						strerror(errno));
					failed = 1;
				}
				alive[f] = 0;
				epoll_ctl(epfd, EPOLL_CTL_DEL, fds[f], NULL);
			}
		}
	}

	for (i = 0; i < flows; i++) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		unsigned long long acked;

		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti, &len))
			sl_die("flow %llu: TCP_INFO: %s",
			       (unsigned long long)i, strerror(errno));
		/* tcpi_bytes_acked counts the SYN too */
		acked = ti.tcpi_bytes_acked ? ti.tcpi_bytes_acked - 1 : 0;
		printf("flow=%llu bytes=%llu segs_out=%u retrans=%u srtt_us=%u min_rtt_us=%u ssthresh=%u cwnd=%u ce_acked=%u\n",
		       (unsigned long long)i, acked, ti.tcpi_segs_out,
		       ti.tcpi_total_retrans, ti.tcpi_rtt, ti.tcpi_min_rtt,
		       ti.tcpi_snd_ssthresh, ti.tcpi_snd_cwnd,
		       ti.tcpi_delivered_ce);
		t_bytes += acked;
		t_segs += ti.tcpi_segs_out;
		t_retrans += ti.tcpi_total_retrans;
	}
	printf("total bytes=%llu segs_out=%llu retrans=%llu\n", t_bytes,
	       t_segs, t_retrans);
	fflush(stdout);
	/*
	 * Abortive close (RST): the data still queued is dropped, so that the
	 * traffic stops at the end of --duration rather than when the queues
	 * have drained.
	 */
	for (i = 0; i < flows; i++) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fds[i]);
	}
	close(epfd);
	free(fds);
	free(alive);
	free(buf);
	return failed ? SL_EXIT_FAIL : SL_EXIT_OK;
}

static int send_udp(const sl_addr *to, const sl_addr *src, uint64_t flows,
		    double duration, double rate, uint64_t size, int ecn)
{
	char name[SL_ADDRSTRLEN];
	unsigned long long *f_bytes, *f_dgrams, t_bytes = 0, t_dgrams = 0;
	unsigned long long errors = 0;
	uint64_t i, flow = 0, start, end, next, gap_ns = 0;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	int *fds, tos = 2;	/* ECT(0) */
	char *buf;

	sl_fmt_hostport(to, name, sizeof(name));
	fds = calloc(flows, sizeof(*fds));
	f_bytes = calloc(flows, sizeof(*f_bytes));
	f_dgrams = calloc(flows, sizeof(*f_dgrams));
	buf = calloc(1, size);
	if (!fds || !f_bytes || !f_dgrams || !buf)
		sl_die("out of memory");
	for (i = 0; i < flows; i++) {
		fds[i] = open_flow(SOCK_DGRAM, to, src, 0);
		/* blocking sends, but wake up now and then to see the time */
		setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (ecn) {
			int r = sl_family(to) == AF_INET6 ?
				setsockopt(fds[i], IPPROTO_IPV6, IPV6_TCLASS,
					   &tos, sizeof(tos)) :
				setsockopt(fds[i], IPPROTO_IP, IP_TOS, &tos,
					   sizeof(tos));
			if (r)
				sl_die("--ecn: cannot set ECT(0): %s",
				       strerror(errno));
		}
		if (connect(fds[i], &to->u.sa, to->len))
			sl_die("connect %s: %s", name, strerror(errno));
	}
	if (rate > 0) {
		gap_ns = (uint64_t)((double)size * 8 * 1e9 / rate);
		if (!gap_ns)
			gap_ns = 1;
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	}

	start = next = sl_now_ns();
	end = start + (uint64_t)(duration * (double)SL_NS_PER_SEC);
	while (!send_stop) {
		uint64_t now = sl_now_ns();
		int burst = 0;

		if (now >= end)
			break;
		if (gap_ns) {
			/* do not make up for more than 20 ms of lateness */
			if (next + 20 * SL_NS_PER_MS < now)
				next = now - 20 * SL_NS_PER_MS;
			if (next > now) {
				uint64_t until = next < end ? next : end;
				struct timespec ts = {
					.tv_sec = (time_t)(until / SL_NS_PER_SEC),
					.tv_nsec = (long)(until % SL_NS_PER_SEC),
				};

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						&ts, NULL);
				continue;
			}
		}
		/* send what is due (unpaced: a batch), then look at the time */
		while (burst < 256 && (!gap_ns || next <= now)) {
			ssize_t w = send(fds[flow], buf, size, MSG_NOSIGNAL);

			if (w >= 0) {
				f_bytes[flow] += (unsigned long long)w;
				f_dgrams[flow]++;
			} else if (errno == EAGAIN || errno == EINTR) {
				break;	/* queue full for 100 ms, or signal */
			} else {
				/* ENOBUFS, ECONNREFUSED (ICMP), EPERM: go on */
				errors++;
			}
			if (gap_ns)
				next += gap_ns;
			flow = (flow + 1) % flows;
			burst++;
		}
	}

	for (i = 0; i < flows; i++) {
		printf("flow=%llu bytes=%llu datagrams=%llu\n",
		       (unsigned long long)i, f_bytes[i], f_dgrams[i]);
		t_bytes += f_bytes[i];
		t_dgrams += f_dgrams[i];
		close(fds[i]);
	}
	printf("total bytes=%llu datagrams=%llu errors=%llu\n", t_bytes,
	       t_dgrams, errors);
	fflush(stdout);
	free(fds);
	free(f_bytes);
	free(f_dgrams);
	free(buf);
	return SL_EXIT_OK;
}

static int do_send(int argc, char **argv)
{
	enum { O_TO = 256, O_FLOWS, O_DURATION, O_RATE, O_ECN, O_SIZE, O_SRC };
	static const struct option opts[] = {
		{ "udp", no_argument, NULL, 'u' },
		{ "to", required_argument, NULL, O_TO },
		{ "flows", required_argument, NULL, O_FLOWS },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "rate", required_argument, NULL, O_RATE },
		{ "ecn", no_argument, NULL, O_ECN },
		{ "size", required_argument, NULL, O_SIZE },
		{ "src", required_argument, NULL, O_SRC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa;
	sl_addr to, src;
	uint64_t flows = 1, size = 0;
	double duration = 5, rate = 0;
	int have_to = 0, have_src = 0, udp = 0, ecn = 0, opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hu", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			udp = 1;
			break;
		case O_TO:
			if (sl_parse_hostport(optarg, &to) || !sl_port(&to))
				sl_usage_error("invalid --to '%s' (expected IPV4:PORT or [IPV6]:PORT)",
					       optarg);
			have_to = 1;
			break;
		case O_FLOWS:
			if (sl_parse_u64(optarg, 1, MAX_FLOWS, &flows))
				sl_usage_error("invalid --flows '%s' (1-%d)",
					       optarg, MAX_FLOWS);
			break;
		case O_DURATION:
			if (sl_parse_seconds(optarg, &duration) ||
			    duration <= 0)
				sl_usage_error("invalid --duration '%s' (seconds > 0)",
					       optarg);
			break;
		case O_RATE:
			if (parse_rate(optarg, &rate))
				sl_usage_error("invalid --rate '%s' (bits/s, e.g. 20000000 or 20mbit)",
					       optarg);
			break;
		case O_ECN:
			ecn = 1;
			break;
		case O_SIZE:
			if (sl_parse_u64(optarg, 1, 1 << 24, &size))
				sl_usage_error("invalid --size '%s'", optarg);
			break;
		case O_SRC:
			if (sl_parse_ip(optarg, &src))
				sl_usage_error("invalid --src '%s'", optarg);
			have_src = 1;
			break;
		case 'h':
			usage(stdout);
			return SL_EXIT_OK;
		default:
			sl_bad_option(opt, argv, " for send");
		}
	}
	if (optind < argc)
		sl_usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_to)
		sl_usage_error("send needs --to ADDR:PORT");
	if (have_src && sl_family(&src) != sl_family(&to))
		sl_usage_error("--src and --to must be of the same family");
	if (rate > 0 && !udp)
		sl_usage_error("--rate is for UDP (-u) only");
	if (udp) {
		uint64_t max = sl_family(&to) == AF_INET6 ? 65527 : 65507;

		if (!size)
			size = 1200;
		if (size > max)
			sl_usage_error("--size %llu is more than a UDP datagram holds (%llu)",
				       (unsigned long long)size,
				       (unsigned long long)max);
	} else if (!size) {
		size = 131072;
	}

	sl_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);	/* no SA_RESTART: waits end early */
	sigaction(SIGINT, &sa, NULL);

	if (udp)
		return send_udp(&to, have_src ? &src : NULL, flows, duration,
				rate, size, ecn);
	return send_tcp(&to, have_src ? &src : NULL, flows, duration, size,
			ecn);
}

int main(int argc, char **argv)
{
	sl_prog = "sl-bulk";
	if (argc < 2)
		sl_usage_error("missing mode: recv or send");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return SL_EXIT_OK;
	}
	if (!strcmp(argv[1], "recv")) {
		sl_prog = "sl-bulk recv";
		return do_recv(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "send")) {
		sl_prog = "sl-bulk send";
		return do_send(argc - 1, argv + 1);
	}
	sl_usage_error("unknown mode '%s' (recv or send)", argv[1]);
}
