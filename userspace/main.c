// SPDX-License-Identifier: GPL-2.0
/*
 * sluice CLI: entry point, global options and the top-level command table.
 *
 * Exit status: 0 success, 1 error (the kernel's message is printed), 2 usage
 * error.
 */
#define _GNU_SOURCE	/* setns() */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice.h"

struct sl_opts sl_opts;

void sl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("sluice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sl_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("sluice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'sluice --help'.\n", stderr);
	return EXIT_USAGE;
}

bool sl_want_help(int argc, char **argv, const char *usage)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    (i == 0 && !strcmp(argv[i], "help"))) {
			fputs(usage, stdout);
			return true;
		}
	}
	return false;
}

void sl_print_table(FILE *f, const struct sl_cmd *table, const char *prefix)
{
	const struct sl_cmd *c;

	for (c = table; c->name; c++)
		fprintf(f, "  %s %s %s\n      %s\n", prefix, c->name, c->args,
			c->help);
}

int sl_dispatch(const struct sl_cmd *table, const char *prefix,
		int argc, char **argv)
{
	/* "sluice service" -> "service: ", "sluice" -> "" */
	const char *obj = strncmp(prefix, "sluice", 6) ? prefix : prefix + 6;
	const char *sep = *obj ? ": " : "";
	const struct sl_cmd *c;

	obj += strspn(obj, " ");
	if (argc < 1)
		return sl_usage("%s%smissing command", obj, sep);
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "--help")) {
		printf("Usage:\n");
		sl_print_table(stdout, table, prefix);
		return EXIT_OK;
	}
	for (c = table; c->name; c++)
		if (!strcmp(c->name, argv[0]))
			return c->run(argc - 1, argv + 1);
	return sl_usage("%s%sunknown command '%s'", obj, sep, argv[0]);
}

static int cmd_help(int argc, char **argv);

static const struct sl_cmd sl_top[] = {
	{ "version", cmd_version, "", "print the CLI's and the module's versions and the module's features" },
	{ "service", cmd_service, "add|set|del|show ...", "virtual services (VIP:port, TCP or UDP) and their options" },
	{ "backend", cmd_backend, "add|set|del|replace|show ...", "a service's backends and their weights" },
	{ "show", cmd_show, "", "every service with its backends and counters" },
	{ "cgroup", cmd_cgroup, "set|del|show ...", "per-cgroup ingress accounting and limits" },
	{ "monitor", cmd_monitor, "[-t] [-j]", "print the module's events as they happen" },
	{ "top", cmd_top, "[-d SECONDS] [-n COUNT] [-b]", "live per-cgroup ingress rates" },
	{ "help", cmd_help, "", "print this help" },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sluice [-j] [-n NETNS] COMMAND [ARGS]\n"
		"\n"
		"Configure sluice: bounded-load connection balancing and per-cgroup\n"
		"ingress control. Every command takes --help.\n"
		"\n"
		"Options:\n"
		"  -j, --json     JSON output\n"
		"  -n, --netns NETNS\n"
		"                 in network namespace NETNS: a name under /run/netns\n"
		"                 (as ip netns names them) or a path with a /\n"
		"  -h, --help     this help\n"
		"  -V, --version  the CLI's version\n"
		"\n"
		"Commands:\n");
	sl_print_table(f, sl_top, "sluice");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_OK;
}

/* -j may also stand among a command's arguments ("sluice show -j"): take
 * it out of argv[from..]; returns the new argc. */
static int strip_json_flag(int argc, char **argv, int from)
{
	int i, n = from;

	for (i = from; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			sl_opts.json = true;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

/*
 * -n NETNS: the network namespace the command works in, entered before
 * anything is asked of the kernel. Like `ip -n`, a name is one of
 * /run/netns (where `ip netns add` mounts them); a path with a '/' is
 * taken as it is (/proc/PID/ns/net).
 */
static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, n;

	if (strchr(name, '/'))
		n = snprintf(path, sizeof(path), "%s", name);
	else if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return sl_usage("invalid network namespace name '%s'", name);
	else
		n = snprintf(path, sizeof(path), "/run/netns/%s", name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return sl_usage("network namespace name too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sl_err("network namespace '%s': %s", name, strerror(errno));
		return EXIT_ERR;
	}
	if (setns(fd, CLONE_NEWNET)) {
		sl_err("cannot enter network namespace '%s': %s", name,
		       errno == EINVAL ? "not a network namespace" : strerror(errno));
		close(fd);
		return EXIT_ERR;
	}
	close(fd);
	return EXIT_OK;
}

static int run(int argc, char **argv)
{
	const char *netns = NULL, *v;
	int i, err;

	/* The options before the command; a value (-n's) is never one. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			sl_opts.json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("sluice %s\n", SLUICE_CLI_VERSION);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--netns") ||
			   !strncmp(argv[i], "--netns=", 8)) {
			bool eq = argv[i][1] == '-' && argv[i][7] == '=';

			v = eq ? argv[i] + 8 : i + 1 < argc ? argv[i + 1] : NULL;
			/* "-n -j show": -j is an option, not a namespace */
			if (!v || v[0] == '-')
				return sl_usage("option '%s' needs a network namespace",
						eq ? "--netns" : argv[i]);
			if (!eq)
				i++;
			if (netns)
				return sl_usage("'-n' given twice");
			netns = v;
		} else {
			return sl_usage("unknown option '%s'", argv[i]);
		}
	}
	argc = strip_json_flag(argc, argv, i);
	if (i == argc) {
		sl_err("missing command");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (netns && (err = enter_netns(netns)))
		return err;
	return sl_dispatch(sl_top, "sluice", argc - i, argv + i);
}

/* Why writing the output first failed, for main(). */
static int sl_out_errno;

/* fflush(stdout), for output that must go now (top, monitor). */
void sl_flush(void)
{
	if (fflush(stdout) && !sl_out_errno)
		sl_out_errno = errno;
}

int main(int argc, char **argv)
{
	int ret = run(argc, argv);
	bool bad = ferror(stdout);

	/* Output that could not be written (a full disk) is an error, not
	 * a success with the output lost. */
	errno = 0;
	if (fclose(stdout))
		bad = true;
	if (!errno)
		errno = sl_out_errno;
	if (bad) {
		sl_err("cannot write the output%s%s", errno ? ": " : "",
		       errno ? strerror(errno) : "");
		if (ret == EXIT_OK)
			ret = EXIT_ERR;
	}
	return ret;
}
