/*
 * common.c - helpers shared by the sluice selftest tools; see common.h.
 */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

const char *sl_prog = "sl-tool";

static void vmsg(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", sl_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", sl_prog);
	exit(SL_EXIT_USAGE);
}

void sl_bad_option(int c, char **argv, const char *ctx)
{
	const char *arg = argv[optind - 1];

	/*
	 * A long option is the argument itself; a short one is named by
	 * optopt, since it may sit in a cluster ("-un").
	 */
	if (strncmp(arg, "--", 2) && optopt) {
		if (c == ':')
			sl_usage_error("option '-%c' needs an argument", optopt);
		sl_usage_error("unknown option '-%c'%s", optopt, ctx);
	}
	if (c == ':')
		sl_usage_error("option '%s' needs an argument", arg);
	sl_usage_error("unknown option '%s'%s", arg, ctx);
}

void sl_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(SL_EXIT_FAIL);
}

void sl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

static int parse_ip_only(const char *s, size_t n, sl_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, &a->u.sin.sin_addr) == 1) {
		a->u.sin.sin_family = AF_INET;
		a->len = sizeof(a->u.sin);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &a->u.sin6.sin6_addr) == 1) {
		a->u.sin6.sin6_family = AF_INET6;
		a->len = sizeof(a->u.sin6);
		return 0;
	}
	return -1;
}

int sl_parse_ip(const char *s, sl_addr *a)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		if (parse_ip_only(s + 1, n - 2, a) || sl_family(a) != AF_INET6)
			return -1;
		return 0;
	}
	return parse_ip_only(s, n, a);
}

int sl_parse_hostport(const char *s, sl_addr *a)
{
	const char *colon;
	uint64_t port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		if (parse_ip_only(s + 1, (size_t)(close - s - 1), a) ||
		    sl_family(a) != AF_INET6)
			return -1;
		colon = close + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -1;	/* bare IPv6 needs brackets */
		if (parse_ip_only(s, (size_t)(colon - s), a) ||
		    sl_family(a) != AF_INET)
			return -1;
	}
	if (sl_parse_u64(colon + 1, 0, 65535, &port))
		return -1;
	sl_set_port(a, (uint16_t)port);
	return 0;
}

void sl_any(int family, uint16_t port, sl_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET6) {
		a->u.sin6.sin6_family = AF_INET6;
		a->u.sin6.sin6_addr = in6addr_any;
		a->len = sizeof(a->u.sin6);
	} else {
		a->u.sin.sin_family = AF_INET;
		a->u.sin.sin_addr.s_addr = htonl(INADDR_ANY);
		a->len = sizeof(a->u.sin);
	}
	sl_set_port(a, port);
}

int sl_family(const sl_addr *a)
{
	return a->u.sa.sa_family;
}

uint16_t sl_port(const sl_addr *a)
{
	if (sl_family(a) == AF_INET6)
		return ntohs(a->u.sin6.sin6_port);
	return ntohs(a->u.sin.sin_port);
}

void sl_set_port(sl_addr *a, uint16_t port)
{
	if (sl_family(a) == AF_INET6)
		a->u.sin6.sin6_port = htons(port);
	else
		a->u.sin.sin_port = htons(port);
}

int sl_is_any(const sl_addr *a)
{
	if (sl_family(a) == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->u.sin6.sin6_addr);
	return a->u.sin.sin_addr.s_addr == htonl(INADDR_ANY);
}

void sl_from_sockaddr(sl_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (len > sizeof(a->u.ss))
		len = sizeof(a->u.ss);
	memcpy(&a->u.ss, sa, len);
	a->len = len;
}

void sl_fmt_ip(const sl_addr *a, char *buf, size_t n)
{
	if (sl_family(a) == AF_INET6) {
		const struct in6_addr *in6 = &a->u.sin6.sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(in6))
			inet_ntop(AF_INET, &in6->s6_addr[12], buf, n);
		else
			inet_ntop(AF_INET6, in6, buf, n);
	} else if (sl_family(a) == AF_INET) {
		inet_ntop(AF_INET, &a->u.sin.sin_addr, buf, n);
	} else {
		snprintf(buf, n, "?");
	}
}

void sl_fmt_hostport(const sl_addr *a, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	sl_fmt_ip(a, ip, sizeof(ip));
	if (strchr(ip, ':'))
		snprintf(buf, n, "[%s]:%u", ip, sl_port(a));
	else
		snprintf(buf, n, "%s:%u", ip, sl_port(a));
}

int sl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int sl_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s[0] || !((s[0] >= '0' && s[0] <= '9') || s[0] == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 1e7)
		return -1;
	*out = v;
	return 0;
}

uint64_t sl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SL_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

int sl_ms_until(uint64_t deadline_ns, uint64_t now_ns)
{
	uint64_t ms;

	if (deadline_ns <= now_ns)
		return 0;
	ms = (deadline_ns - now_ns + SL_NS_PER_MS - 1) / SL_NS_PER_MS;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

void sl_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		sl_warn("cannot raise RLIMIT_NOFILE: %s", strerror(errno));
}

int sl_write_file_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path)) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

const char *sl_errname(int err)
{
	static char buf[16];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

int sl_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}
