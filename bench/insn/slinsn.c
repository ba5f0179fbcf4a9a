// SPDX-License-Identifier: GPL-2.0
/*
 * slinsn - a QEMU TCG plugin for `make bench`: counts the instructions the
 * guest executes, on every vCPU, and at every "marker" the guest executes
 * appends a line "<marker number> <instructions so far>" to the file given
 * as out=PATH. The marker is a NOP no program emits by itself,
 *     nopl 0x534c5543(%rax)        0f 1f 80 43 55 4c 53
 * executed by the guest's sl-mark (selftests/tools), which prints the
 * marker's number; a benchmark prints those numbers around what it
 * measures, and bench/insn/report.awk turns them into instructions per
 * unit of work. Unlike time under emulation, which drifts by 15-40% from
 * one run to the next, an instruction count is nearly the same from run
 * to run, so small differences in cost show.
 *
 * Debian 12's QEMU (7.2) supports plugins but ships no qemu-plugin.h: the
 * few declarations of its plugin API (version 1) used here are below.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu, void *udata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *udata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *udata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *udata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *udata);

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;

#define MAX_VCPUS 64
static const unsigned char marker[] = { 0x0f, 0x1f, 0x80, 0x43, 0x55, 0x4c, 0x53 };

/* One counter per vCPU, each only ever written by its vCPU's thread. */
static struct {
	volatile uint64_t n;
	char pad[56];
} count[MAX_VCPUS];
static FILE *out;
static uint64_t marks;

static void tb_exec(unsigned int vcpu, void *udata)
{
	count[vcpu % MAX_VCPUS].n += (uintptr_t)udata;
}

static void marker_exec(unsigned int vcpu, void *udata)
{
	uint64_t total = 0;
	unsigned int i;

	(void)vcpu;
	(void)udata;
	for (i = 0; i < MAX_VCPUS; i++)
		total += count[i].n;
	/* Markers come from one guest process at a time: no two at once. */
	fprintf(out, "%llu %llu\n", (unsigned long long)++marks,
		(unsigned long long)total);
	fflush(out);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)n);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (qemu_plugin_insn_size(insn) == sizeof(marker) &&
		    !memcmp(qemu_plugin_insn_data(insn), marker, sizeof(marker)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker_exec,
							       QEMU_PLUGIN_CB_NO_REGS,
							       NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	fclose(out);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			       int argc, char **argv)
{
	const char *path = NULL;
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
	if (!path) {
		fprintf(stderr, "slinsn: needs out=PATH\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
