/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sluice CLI: what the command files share. Each object (service, backend,
 * cgroup, ...) has a file with its own command table; main.c dispatches.
 */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <linux/sluice.h>

#define SLUICE_CLI_VERSION "0.1.0"

/* Exit statuses. */
enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

/* Options that apply to every command. */
struct sl_opts {
	bool json;	/* -j: JSON output */
};
extern struct sl_opts sl_opts;

/* A command: `sluice <name> ...` or `sluice <object> <name> ...`. */
struct sl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;	/* synopsis of the arguments */
	const char *help;	/* one line */
};

/*
 * Run the command of @table named by argv[0]. Handles `help`, `--help` and
 * `-h` at this level: prints the table. @prefix is printed in usage lines
 * ("sluice service").
 */
int sl_dispatch(const struct sl_cmd *table, const char *prefix,
		int argc, char **argv);
void sl_print_table(FILE *f, const struct sl_cmd *table, const char *prefix);
/* True if argv holds -h/--help/help at position 0 (prints @usage). */
bool sl_want_help(int argc, char **argv, const char *usage);

/* Messages: "sluice: <text>" on stderr. sl_usage() returns EXIT_USAGE. */
void sl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int sl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sl_flush(void);

/* ---- arguments (args.c) ---- */
/* A decimal number: m / 10^d, exactly unless a flag says otherwise. */
struct sl_dec {
	uint64_t m;
	unsigned int d;		/* digits after the point, its trailing 0s dropped */
	bool big;		/* the part before the point is past UINT64_MAX */
	bool inexact;		/* digits after the point past what m holds
				 * (19 digits in all) were dropped */
};
/*
 * The decimal number @s starts with, into @n: digits, with at most one '.'
 * that a digit follows ("2.25", ".5", "0.5", "2"; not "2."), no sign, space
 * or 0x, and no 0 before a digit ("0100", "00.5"). Returns its length (the
 * caller checks what follows), or -EINVAL (no number), -EILSEQ (a leading 0).
 */
int sl_scan_dec(const char *s, struct sl_dec *n);
/*
 * @s as such a number and nothing else, with at most @decimals digits
 * after the point once trailing 0s are dropped ("1.2500" has two), scaled
 * by 10^@decimals ("1.25" with 3 is 1250), into *v. 0, or -EINVAL (not
 * such a number), -EILSEQ (a leading 0), -EDOM (more decimals), -ERANGE
 * (above @max, which must be below UINT64_MAX / 10).
 */
int sl_parse_dec(const char *s, unsigned int decimals, uint64_t max,
		 uint64_t *v);

/* An option by name: "NAME VALUE", or a flag "NAME". */
struct sl_opt {
	const char *name;
	bool flag;
};
/*
 * The option at argv[*i] among @opts (ended by a NULL name, at most 32):
 * returns its index, sets *val to its value (NULL for a flag) and moves *i
 * to its last word; records it in @seen (a bit per option). -1, the usage
 * error printed with @cmd ("service add: ..."), if it is unknown, lacks its
 * value or is in @seen already.
 */
int sl_opt(const char *cmd, const struct sl_opt *opts, unsigned int *seen,
	   int argc, char **argv, int *i, const char **val);
/* Whether option @o (its index) is in @seen. */
#define SL_GIVEN(seen, o) (((seen) & (1u << (o))) != 0)

/* ---- netlink (nl.c) ---- */
/* A named part of a request: bytes [start, end) of the message. */
struct sl_nl_part {
	uint32_t start, end;
	char name[64];
};

struct sl_nl {
	struct nl_sock *sk;
	int family;
	int quiet;	/* a -errno the caller handles: sl_nl_talk() does
			 * not print it (0: print every error) */
	/* Optional: an error the kernel pins on an attribute within one of
	 * these parts is printed as "<name>: <message>". */
	const struct sl_nl_part *parts;
	size_t nparts;
};

/* Connect and resolve the family (loading the module if needed). Prints
 * the reason and returns -errno on failure. */
int sl_nl_open(struct sl_nl *nl);
void sl_nl_close(struct sl_nl *nl);
/* A request for @cmd, with NLM_F_REQUEST|NLM_F_ACK|@flags. */
struct nl_msg *sl_nl_msg(struct sl_nl *nl, uint8_t cmd, int flags);
/* The same with room for @size bytes (0: libnl's default, a page). */
struct nl_msg *sl_nl_msg_sized(struct sl_nl *nl, uint8_t cmd, int flags,
			       size_t size);
/*
 * Send @msg (consumed) and receive until the ack or the end of the dump,
 * calling @cb for every data message. On an error from the kernel prints
 * "sluice: <extended ack message or strerror>" and returns -errno.
 */
int sl_nl_talk(struct sl_nl *nl, struct nl_msg *msg,
	       int (*cb)(struct nl_msg *msg, void *arg), void *arg);
/*
 * The array @v (*@cap entries of @size bytes) with room for an entry at
 * @n: @v itself, or reallocated (*@cap updated); NULL, @v unchanged and
 * "out of memory" printed, if it cannot grow. For the lists replies fill.
 */
void *sl_grow(void *v, size_t *cap, size_t n, size_t size);
/* 1 if the module lists feature @name in its version reply, 0 if not,
 * -errno (printed) if it could not be asked (version.c). */
int sl_nl_has_feature(struct sl_nl *nl, const char *name);
/*
 * The attributes of a reply, parsed into @tb (SLUICE_A_MAX + 1 entries), and
 * those of one of its nests (@max + 1 entries), checked against @policy
 * (a short attribute, a string without its NUL are refused). 0, or -errno
 * with "malformed reply" printed, as sl_nl_malformed() prints it for what a
 * policy cannot check (a missing attribute, an unknown address family).
 */
int sl_nl_parse(struct nl_msg *msg, struct nlattr **tb);
int sl_nl_parse_nested(struct nlattr **tb, int max, struct nlattr *nest,
		       const struct nla_policy *policy);
int sl_nl_malformed(const char *what);

/* ---- JSON output (json.c) ---- */
void js_begin_obj(void);
void js_end_obj(void);
void js_begin_arr(void);
void js_end_arr(void);
void js_key(const char *key);
void js_str(const char *key, const char *val);
void js_u64(const char *key, uint64_t val);
void js_i64(const char *key, int64_t val);
void js_bool(const char *key, bool val);
void js_double(const char *key, double val);
void js_end(void);	/* closes the document with a newline, prints it */
void js_discard(void);	/* drops the document begun: nothing is printed */

/* ---- strings from elsewhere on output (text.c) ---- */
enum sl_char {
	SL_CHAR_PRINT,		/* printable UTF-8 */
	SL_CHAR_CONTROL,	/* C0, DEL, C1, or invisible: a format character
				 * (U+200B, U+202E), variation selector, Hangul
				 * filler, line separator (text.c) */
	SL_CHAR_BAD,		/* a byte that is not part of well-formed UTF-8 */
};
/* The character at @s (not at its NUL): its length in bytes (1 for a bad
 * byte), its kind and its code point (for a bad byte, the byte). */
size_t sl_char(const char *s, enum sl_char *kind, uint32_t *cp);
/* @s on @f for a terminal: control characters, bad bytes and backslashes
 * as C escapes (\x1b, \xff, \\). Returns the characters written. */
size_t sl_put_text(FILE *f, const char *s);

/* ---- rates and sizes in tc's units (units.c) ---- */
/*
 * A rate ("40mbit") in bytes/s, a size ("64k") in bytes: 0, or -EINVAL,
 * -EILSEQ (a leading 0), -ERANGE (past 2^64), -EDOM (not a whole number of
 * bytes: the whole part set, and the exact amount written to @exact, "1.5").
 */
int sl_parse_rate(const char *s, uint64_t *bytes_per_sec, char *exact, size_t len);
int sl_parse_size(const char *s, uint64_t *bytes, char *exact, size_t len);
const char *sl_fmt_rate(char *buf, size_t len, double bits_per_sec);
const char *sl_fmt_size(char *buf, size_t len, double bytes);
const char *sl_fmt_count(char *buf, size_t len, double n);

/* ---- services and backends (service.c), also read by monitor.c ---- */
struct sl_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
};
/* What a reply's SLUICE_A_SERVICE and SLUICE_A_BACKEND nests may hold. */
extern const struct nla_policy sl_svc_policy[SLUICE_SVC_A_MAX + 1];
extern const struct nla_policy sl_be_policy[SLUICE_BE_A_MAX + 1];
/* An address of a reply from its FAMILY, ADDR and PORT attributes (of a
 * nest parsed with the policy above); -EINVAL, "malformed reply" printed,
 * if one is missing or the family is unknown or the address not its size. */
int sl_addr_get(struct nlattr *fam, struct nlattr *addr, struct nlattr *port,
		struct sl_addr *a);
/* "10.0.0.1:80", "[fd00::1]:80". */
const char *sl_fmt_addr(const struct sl_addr *a, char *buf, size_t len);
const char *sl_proto_name(uint8_t proto);	/* "tcp", "udp", "?" */

/* ---- cgroup entries (cgroup.c), also read by top.c and monitor.c ---- */
struct sl_cg_stats {
	uint64_t bytes, packets, marked, dropped;
};
struct sl_cg {
	uint64_t id, parent_id;
	uint64_t rate, share;		/* bytes/s */
	uint32_t burst, weight, mark_thresh, drop_thresh;
	uint8_t mode;
	struct sl_cg_stats st;
	int depth;			/* set by sl_cg_order() */
	char *path;			/* malloc()ed, whole; "?" if the
					 * kernel sent none */
};
struct sl_cg_list {
	struct sl_cg *v;
	size_t n, cap;
	size_t *by_id;			/* v's indices sorted by ID */
	struct sl_cg_stats unattr;	/* this netns' unattributed packets */
	bool have_unattr;		/* the module sent them */
};
/* Fills @c (free() c->path) from a SLUICE_A_CGROUP nest; -errno, printed. */
int sl_cg_parse(struct nlattr *nest, struct sl_cg *c);
/* Every entry, into @l (emptied first); -errno, printed. */
int sl_cg_dump(struct sl_nl *nl, struct sl_cg_list *l);
void sl_cg_list_free(struct sl_cg_list *l);
/* The entry of @l with ID @id, or NULL: O(log n). */
struct sl_cg *sl_cg_find(const struct sl_cg_list *l, uint64_t id);
/*
 * The entries as a tree, depth first, siblings sorted by @cmp: fills @out
 * (l->n indices) and each entry's depth; returns how many were placed, or
 * -ENOMEM (printed). O(n log n).
 */
ssize_t sl_cg_order(struct sl_cg_list *l,
		    int (*cmp)(const struct sl_cg *, const struct sl_cg *),
		    size_t *out);

/* ---- commands ---- */
int cmd_version(int argc, char **argv);
int cmd_service(int argc, char **argv);	/* service.c */
int cmd_backend(int argc, char **argv);	/* service.c */
int cmd_show(int argc, char **argv);	/* service.c */
int cmd_cgroup(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif /* SLUICE_CLI_H */
