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
#include <stdlib.h>
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
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);

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

/*
 * With prof=PATH, also a profile: the instructions executed in every
 * translation block of the kernel (by the block's first address; user
 * space is one bucket, address 0; address 1 is "(other)", see
 * prof_slot()), and at every marker the blocks'
 * counts since the marker before are appended to PATH as
 *     M <marker number>
 *     <address in hex> <instructions>
 * bench/insn/profile.awk names the functions (BENCH_PROFILE=1 make bench).
 * The counters are added to inline, without atomics: the VMs run TCG
 * single-threaded (Documentation/testing.md).
 */
#define PROF_SLOTS (1u << 20)
static struct prof_slot {
	uint64_t pc, n, last;
} *prof, prof_user, prof_other = { .pc = 1 };
static unsigned int prof_used;
static FILE *prof_out;

/* The block's slot; once the table is 3/4 full, new blocks share one
 * (address 1, "(other)"), so that the probing stays short.
 */
static struct prof_slot *prof_slot(uint64_t pc)
{
	uint64_t h = pc * 0x9e3779b97f4a7c15ull;
	unsigned int i = (unsigned int)(h >> 44) & (PROF_SLOTS - 1);

	if (!pc)
		return &prof_user;
	while (prof[i].pc != pc && prof[i].pc)
		i = (i + 1) & (PROF_SLOTS - 1);
	if (!prof[i].pc) {
		if (prof_used >= PROF_SLOTS / 4 * 3)
			return &prof_other;
		prof_used++;
		prof[i].pc = pc;
	}
	return &prof[i];
}

static void prof_put(struct prof_slot *s)
{
	if (s->n == s->last)
		return;
	fprintf(prof_out, "%llx %llu\n", (unsigned long long)s->pc,
		(unsigned long long)(s->n - s->last));
	s->last = s->n;
}

static void prof_dump(void)
{
	unsigned int i;

	fprintf(prof_out, "M %llu\n", (unsigned long long)marks);
	prof_put(&prof_user);
	prof_put(&prof_other);
	for (i = 0; i < PROF_SLOTS; i++)
		if (prof[i].pc)
			prof_put(&prof[i]);
	fflush(prof_out);
}

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
	if (prof)
		prof_dump();
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)n);
	if (prof) {
		uint64_t pc = qemu_plugin_tb_vaddr(tb);

		/* Kernel addresses have the top bit set; user space is one. */
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &prof_slot(pc >> 63 ? pc : 0)->n, n);
	}
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
	if (prof_out)
		fclose(prof_out);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			       int argc, char **argv)
{
	const char *path = NULL, *prof_path = NULL;
	int i;

	(void)info;
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		if (!strncmp(argv[i], "prof=", 5))
			prof_path = argv[i] + 5;
	}
	if (!path) {
		fprintf(stderr, "slinsn: needs out=PATH\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	if (prof_path) {
		prof = calloc(PROF_SLOTS, sizeof(*prof));
		prof_out = fopen(prof_path, "w");
		if (!prof || !prof_out) {
			perror(prof_path);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
