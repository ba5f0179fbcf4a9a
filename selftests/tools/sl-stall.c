/*
 * sl-stall - measures how long the guest stood still: the time that passed
 * while nothing in it ran.
 *
 *   sl-stall [--duration SECONDS] [--tick-ms MS] [--over-ms MS]
 *
 * Under TCG the guest's clock is the host's, so when the host does not run
 * the VM (another process has its core, or the host's own hypervisor
 * steals it) the guest's time goes on and nothing in it moves. A rate
 * test's sender is in the guest: such time is lost to its flow whatever
 * the limiter does. This sleeps --tick-ms (default 1) at a time as a
 * SCHED_FIFO thread (when allowed), so that within the guest little but
 * interrupts and softirqs can delay its wake-ups, and counts every wake-up
 * more than --over-ms (default 10) late as a stall of that lateness: the
 * host's gaps, and the guest's own longest non-preemptible stretches. After
 * --duration seconds (default 10) or on SIGTERM/SIGINT it prints
 *     stall ms=<total> longest_ms=<n> count=<n> seconds=<s measured>
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage error. One thread.
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: sl-stall [--duration SECONDS] [--tick-ms MS] [--over-ms MS]\n"
"Counts the time the guest stood still: wake-ups of a sleeping SCHED_FIFO\n"
"thread more than --over-ms late. Prints at the end (after --duration,\n"
"default 10, or SIGTERM/SIGINT):\n"
"  stall ms=<total> longest_ms=<n> count=<n> seconds=<measured>\n"
"  --tick-ms MS   how long each sleep is (default 1)\n"
"  --over-ms MS   a wake-up this late or less is not a stall (default 10)\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "tick-ms", required_argument, NULL, 't' },
		{ "over-ms", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	double duration = 10, tick_ms = 1, over_ms = 10;
	uint64_t start, end, tick, over, stalled = 0, longest = 0, count = 0;
	uint64_t now = 0, due;
	struct sched_param sp = { .sched_priority = 50 };
	struct sigaction sa;
	int c;

	sl_prog = "sl-stall";
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		double *v = c == 'd' ? &duration : c == 't' ? &tick_ms : &over_ms;
		const char *name = c == 'd' ? "--duration" :
				   c == 't' ? "--tick-ms" : "--over-ms";

		switch (c) {
		case 'd':
		case 't':
		case 'o':
			if (sl_parse_seconds(optarg, v))
				sl_usage_error("invalid %s '%s' (a number >= 0)",
					       name, optarg);
			break;
		case 'h':
			usage(stdout);
			return SL_EXIT_OK;
		default:
			sl_bad_option(c, argv, "");
		}
	}
	if (optind < argc)
		sl_usage_error("unexpected argument '%s'", argv[optind]);
	if (duration <= 0 || tick_ms < 0.001)
		sl_usage_error("--duration must be > 0 and --tick-ms at least 0.001");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Best effort: without them the counts include the guest's own delays. */
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		sl_warn("SCHED_FIFO: %s (stalls include the guest's own scheduling)",
			strerror(errno));
	mlockall(MCL_CURRENT | MCL_FUTURE);

	tick = (uint64_t)(tick_ms * 1e6);
	over = (uint64_t)(over_ms * 1e6);
	start = now = sl_now_ns();
	end = start + (uint64_t)(duration * (double)SL_NS_PER_SEC);
	due = start + tick;
	while (!stop) {
		struct timespec ts = {
			.tv_sec = due / SL_NS_PER_SEC,
			.tv_nsec = due % SL_NS_PER_SEC,
		};
		int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

		if (err && err != EINTR)
			sl_die("clock_nanosleep: %s", strerror(err));
		now = sl_now_ns();
		if (now > due + over) {
			stalled += now - due;
			longest = now - due > longest ? now - due : longest;
			count++;
		}
		if (now >= end)
			break;
		due = now + tick;
	}
	printf("stall ms=%.1f longest_ms=%.1f count=%llu seconds=%.3f\n",
	       stalled / 1e6, longest / 1e6, (unsigned long long)count,
	       (now - start) / 1e9);
	return 0;
}
