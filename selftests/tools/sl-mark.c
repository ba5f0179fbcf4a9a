/*
 * sl-mark - executes the benchmark marker instruction once and prints its
 * number.
 *
 *   sl-mark
 *
 * Under `make bench` the QEMU plugin bench/insn/slinsn.c logs the guest's
 * instruction count at every marker; this prints the marker's number (1,
 * 2, ... in the order of the calls, kept in /tmp/.sl-mark), by which the
 * benchmark names the points it measures between. Without the plugin the
 * marker is a NOP. Markers must not run concurrently.
 */
#define _GNU_SOURCE
#include "common.h"

#include <stdio.h>
#include <stdlib.h>

#define COUNTER "/tmp/.sl-mark"

int main(void)
{
	unsigned long long n = 0;
	FILE *f = fopen(COUNTER, "r");

	if (f) {
		if (fscanf(f, "%llu", &n) != 1)
			n = 0;
		fclose(f);
	}
	/* nopl 0x534c5543(%rax): the marker slinsn looks for. */
	__asm__ volatile(".byte 0x0f, 0x1f, 0x80, 0x43, 0x55, 0x4c, 0x53" ::: "memory");
	n++;
	f = fopen(COUNTER, "w");
	if (!f || fprintf(f, "%llu\n", n) < 0 || fclose(f)) {
		perror(COUNTER);
		return 1;
	}
	printf("%llu\n", n);
	return 0;
}
