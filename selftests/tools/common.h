/*
 * common.h - helpers shared by the sluice selftest tools (sl-server,
 * sl-client, sl-bulk): address parsing and formatting, number parsing,
 * error reporting with the tools' exit-code convention (2 = usage error,
 * 1 = runtime failure), monotonic time, atomic file writes.
 *
 * Everything here is plain C that links statically against glibc without
 * NSS: addresses are parsed with inet_pton only, never resolved.
 */
#ifndef SL_COMMON_H
#define SL_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define SL_EXIT_OK	0
#define SL_EXIT_FAIL	1
#define SL_EXIT_USAGE	2

/* An IPv4 or IPv6 socket address. */
typedef struct {
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len;
} sl_addr;

/* Longest text sl_fmt_ip / sl_fmt_hostport can produce, with the NUL. */
#define SL_ADDRSTRLEN (INET6_ADDRSTRLEN + 8)

/* Program name used as prefix of every message; set it first in main(). */
extern const char *sl_prog;

/* "prog: msg" + "Try 'prog --help'." on stderr, exit 2. */
void sl_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/*
 * getopt_long (optstring starting with ':') returned @c, ':' or '?':
 * "option '--x' needs an argument" or "unknown option '--x'" followed by
 * @ctx (e.g. " for send", or ""), as sl_usage_error(); a short option is
 * named alone ('-x'), even in a cluster.
 */
void sl_bad_option(int c, char **argv, const char *ctx)
	__attribute__((noreturn));
/* "prog: msg" on stderr, exit 1. */
void sl_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* "prog: msg" on stderr. */
void sl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * "ADDR:PORT" with ADDR an IPv4 address or a bracketed IPv6 address
 * ("[fd00::1]:80", "[::]:80"). Port 0..65535. Returns 0 or -1.
 */
int sl_parse_hostport(const char *s, sl_addr *a);
/* An address without port: IPv4, IPv6, or bracketed IPv6. Returns 0 or -1. */
int sl_parse_ip(const char *s, sl_addr *a);
/* Wildcard address (0.0.0.0 or ::) of the family, with a port. */
void sl_any(int family, uint16_t port, sl_addr *a);

int sl_family(const sl_addr *a);
uint16_t sl_port(const sl_addr *a);
void sl_set_port(sl_addr *a, uint16_t port);
int sl_is_any(const sl_addr *a);
/* Fill from a sockaddr returned by the kernel (getsockname, recvmsg). */
void sl_from_sockaddr(sl_addr *a, const struct sockaddr *sa, socklen_t len);

/* Address only: "10.0.0.1", "fd00::1"; a v4-mapped IPv6 prints as IPv4. */
void sl_fmt_ip(const sl_addr *a, char *buf, size_t n);
/* "10.0.0.1:80", "[fd00::1]:80". */
void sl_fmt_hostport(const sl_addr *a, char *buf, size_t n);

/* Decimal unsigned integer in [min, max]. Returns 0 or -1. */
int sl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Non-negative decimal number of seconds ("5", "0.25"). Returns 0 or -1. */
int sl_parse_seconds(const char *s, double *out);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sl_now_ns(void);
#define SL_NS_PER_MS	1000000ULL
#define SL_NS_PER_SEC	1000000000ULL
/* Milliseconds (rounded up, clamped to int) until a deadline, for poll. */
int sl_ms_until(uint64_t deadline_ns, uint64_t now_ns);

/* Raise RLIMIT_NOFILE's soft limit to its hard limit. */
void sl_raise_nofile(void);

/* Write PATH atomically: PATH.tmp.<pid>, then rename. Returns 0 or -1. */
int sl_write_file_atomic(const char *path, const char *data, size_t len);

/* "ECONNREFUSED" for ECONNREFUSED; "E<number>" if unknown. */
const char *sl_errname(int err);

int sl_set_nonblock(int fd);

#endif
