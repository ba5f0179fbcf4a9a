// SPDX-License-Identifier: GPL-2.0
/*
 * sluice: per-cgroup ingress accounting and control.
 *
 * Attribution. A NF_INET_LOCAL_IN hook (IPv4 and IPv6, in every network
 * namespace) finds the socket that will receive the packet: skb->sk when
 * early demux set it (established TCP, connected UDP), else
 * nf_sk_lookup_slow_v4/v6 (established, then listening/bound sockets). A
 * request socket (SYN_RECV) counts for its listener; a TIME_WAIT socket, or
 * no socket at all, makes the packet "unattributed", counted per network
 * namespace, and so does an IPv6 fragment after the first that nothing
 * reassembled before the hook (it has no ports: sluice_v6_no_l4()). The
 * socket's cgroup v2 is charged skb->len bytes and gso_segs packets, and so
 * is every configured ancestor. While no entry exists a static key keeps
 * the hook down to a patched-out branch.
 *
 * Entries are global (cgroup IDs are) and keyed by the struct cgroup they
 * hold a reference on, in an RCU hash table. Each entry points (RCU) to its
 * nearest configured ancestor, so the packet path walks up the cgroup tree
 * only until the first entry and then follows those pointers.
 *
 * Rate control is a virtual queue per entry, in one atomic64: vq_time, the
 * time at which the bytes admitted so far would have drained at the
 * entry's rate. A packet of len bytes costs len / rate seconds; its backlog
 * is max(vq_time, now - burst / rate) + cost - now. Past mark_thresh
 * (expressed in time at the current rate) packets are signalled sparsely:
 * an ECN-capable packet is CE-marked, one per twice the mark threshold's
 * time and, up to twice that threshold, only while the backlog rises, and
 * a packet that is not
 * ECN-capable is dropped, one per half of it (mode drop treats every
 * packet so); levels of a chain between their thresholds share one
 * schedule (sluice_cg_signal_chain()). Past
 * drop_thresh every packet is dropped (with the exceptions in
 * sluice_cg_judge()). No real queue exists, so no latency is added, and the
 * admitted rate is exact over time; a new rate keeps the queue's bytes
 * (sluice_cg_rescale()). A packet must conform at every limited
 * entry of its chain; it is first judged at every level and only then
 * charged, so a packet dropped by an ancestor costs its cgroup nothing.
 *
 * Weights. A periodic worker (SLUICE_CG_TICK_MS) marks an entry active when
 * it received a packet in the last SLUICE_CG_ACTIVE_MS, and gives every
 * child of a limited entry the share weight / (sum of active siblings'
 * weights, its own included) of the parent's current rate, capped by its own
 * rate. An idle child's share is thus lent to the busy ones within one
 * active window plus a tick, and an idle child that wakes up finds its share
 * waiting (the parent's own virtual queue holds the total meanwhile).
 *
 * Lifecycle. The same worker notices removed cgroups (CSS_ONLINE cleared by
 * rmdir), drops their entries and multicasts SLUICE_CMD_EVENT_CGROUP_REMOVED.
 *
 * Locking: sluice_cg_lock (a mutex) serialises every change of the table,
 * the list and the entries' configuration, and the worker. The packet path
 * runs under RCU and reads configuration with READ_ONCE; writers publish
 * with WRITE_ONCE / rcu_assign_pointer. Entries are freed after a grace
 * period (call_rcu; the module's exit waits with rcu_barrier()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/nsproxy.h>
#include <linux/hashtable.h>
#include <linux/jump_label.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/inet_ecn.h>
#include <net/inet_sock.h>
#include <net/netfilter/nf_socket.h>
#include <net/request_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <linux/udp.h>
#include <linux/sluice.h>

#include "compat.h"
#include "cost.h"
#include "sched.h"	/* SL_GFP_CONF */
#include "sluice.h"

#define SLUICE_CG_HASH_BITS	10
#define SLUICE_CG_TICK_MS	20	/* share recomputation, rmdir check */
#define SLUICE_CG_ACTIVE_MS	50	/* "receiving": a packet this recently */
#define SLUICE_CG_MAX_RATE	(1ULL << 40)	/* bytes/s, about 8.8 Tbit/s */
#define SLUICE_CG_MIN_BURST	1500	/* one Ethernet MTU */
#define SLUICE_CG_MIN_THRESH	1500
#define SLUICE_CG_GSO_MAX	65536	/* the largest packet the hook sees */
#define SLUICE_CG_DEF_WEIGHT	100
#define SLUICE_CG_SMALL		128	/* bytes: SYNs, ACKs */

/* Defaults, derived from the rate (see Documentation/ingress.md). */
#define SLUICE_CG_BURST_MS	10	/* burst: 10 ms of rate, >= 64 KiB */
#define SLUICE_CG_MARK_MS	5	/* mark: 5 ms of rate, >= 2 x 64 KiB */
#define SLUICE_CG_DROP_MULT	4	/* drop: 4 x the mark threshold */

static unsigned int max_cgroups = 4096;
module_param(max_cgroups, uint, 0644);
MODULE_PARM_DESC(max_cgroups, "most cgroup entries at a time (default 4096)");

/* The counters of an entry or of a namespace's unattributed packets. */
struct sluice_cg_pcpu {
	u64_stats_t bytes;
	u64_stats_t packets;
	u64_stats_t marked;
	u64_stats_t dropped;
	struct u64_stats_sync syncp;
};

struct sluice_cg_sum {
	u64 bytes, packets, marked, dropped;
};

struct sluice_cg {
	/* Read by the packet path. */
	struct hlist_node hnode;		/* sluice_cg_hash */
	struct cgroup *cgrp;			/* key; we hold a reference */
	struct sluice_cg __rcu *parent;		/* nearest configured ancestor */
	struct sluice_cg_pcpu __percpu *stats;
	u64 eff_rate;		/* bytes/s enforced now, 0 = none */
	u64 burst_ns;		/* burst, mark and drop thresholds in time */
	u64 mark_ns;		/* at eff_rate */
	u64 drop_ns;
	u8 mode;		/* enum sluice_cg_mode */
	unsigned long last_rx;	/* jiffies of the last packet */

	/* The virtual queue: written by every packet, its own cache line. */
	atomic64_t vq_time ____cacheline_aligned_in_smp;
	atomic64_t next_mark;	/* ns: no mark before this */
	atomic64_t next_drop;	/* ns: no early drop before this */
	s64 sig_peak;		/* ns: the excursion's highest backlog */

	/* Configuration and worker state: under sluice_cg_lock. */
	struct list_head node ____cacheline_aligned_in_smp; /* by level */
	u64 id;
	u64 rate;		/* configured, 0 = none */
	u32 burst;		/* configured, 0 = derived from the rate */
	u32 mark_thresh;	/* configured, 0 = derived */
	u32 drop_thresh;	/* configured, 0 = derived */
	u32 weight;
	u32 eff_burst, eff_mark, eff_drop;	/* in bytes, for dumps */
	u64 active_weight;	/* sum of the weights of active children */
	bool active;
	bool stale;		/* configuration changed since sluice_cg_set_rate() */
	struct rcu_head rcu;
};

static DEFINE_MUTEX(sluice_cg_lock);
static DEFINE_HASHTABLE(sluice_cg_hash, SLUICE_CG_HASH_BITS);
static LIST_HEAD(sluice_cg_list);	/* every entry, by cgroup level */
static unsigned int sluice_cg_count;
static unsigned int sluice_cg_gen = 1;	/* dump consistency */
/*
 * Entries with a configured ancestor, and whether a parent changed since
 * the last sluice_cg_share(): with neither, the worker's shares pass has
 * nothing to do (every entry's rate is its own, set when configured).
 * Under sluice_cg_lock.
 */
static unsigned int sluice_cg_nlinked;
static bool sluice_cg_relinked;
static DEFINE_STATIC_KEY_FALSE(sluice_ingress_key);

static void sluice_cg_tick(struct work_struct *work);
static DECLARE_DELAYED_WORK(sluice_cg_work, sluice_cg_tick);

/* ---- counters ------------------------------------------------------- */

/*
 * The hook runs in softirq, except after a queue: nf_reinject() runs the
 * hooks past an NFQUEUE verdict in the verdict's sender's context,
 * preemptible. There the counters' CPU
 * and their writer's exclusion need BHs off (as nft_counter does).
 */
static void sluice_cg_count_pkt(struct sluice_cg_pcpu __percpu *stats,
				unsigned int len, unsigned int segs,
				bool marked, bool dropped)
{
	bool task = !in_softirq();
	struct sluice_cg_pcpu *s;

	if (unlikely(task))
		local_bh_disable();
	s = this_cpu_ptr(stats);
	u64_stats_update_begin(&s->syncp);
	if (dropped) {
		u64_stats_add(&s->dropped, segs);
	} else {
		u64_stats_add(&s->bytes, len);
		u64_stats_add(&s->packets, segs);
		if (marked)
			u64_stats_inc(&s->marked);
	}
	u64_stats_update_end(&s->syncp);
	if (unlikely(task))
		local_bh_enable();
}

static void sluice_cg_fold(struct sluice_cg_pcpu __percpu *stats,
			   struct sluice_cg_sum *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct sluice_cg_pcpu *s = per_cpu_ptr(stats, cpu);
		u64 b, p, m, d;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			b = u64_stats_read(&s->bytes);
			p = u64_stats_read(&s->packets);
			m = u64_stats_read(&s->marked);
			d = u64_stats_read(&s->dropped);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		sum->bytes += b;
		sum->packets += p;
		sum->marked += m;
		sum->dropped += d;
	}
}

static struct sluice_cg_pcpu __percpu *sluice_cg_stats_alloc(void)
{
	struct sluice_cg_pcpu __percpu *stats;
	int cpu;

	stats = alloc_percpu_gfp(struct sluice_cg_pcpu, SL_GFP_CONF);
	if (!stats)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

/* ---- the packet path ------------------------------------------------ */

static struct sluice_cg *sluice_cg_lookup_rcu(const struct cgroup *cgrp)
{
	struct sluice_cg *e;

	hash_for_each_possible_rcu(sluice_cg_hash, e, hnode, (unsigned long)cgrp)
		if (e->cgrp == cgrp)
			return e;
	return NULL;
}

enum { SLUICE_CG_PASS, SLUICE_CG_MARK, SLUICE_CG_DROP };
/*
 * Between the thresholds: the entry asks for a sparse mark or drop; or it
 * would mark, but its backlog is not at a new high (HOLD: it asks for
 * none, and counts one that another level asks for). The order matters:
 * sluice_cg_signal_chain() looks for MARK and above.
 */
enum {
	SLUICE_CG_BAND_NONE, SLUICE_CG_BAND_HOLD, SLUICE_CG_BAND_MARK,
	SLUICE_CG_BAND_DROP
};
/*
 * The levels of a packet's chain that are between their thresholds, as the
 * judging walk finds them; their signals are shared (see
 * sluice_cg_signal_chain()). Levels past the first SLUICE_CG_BAND_MAX in
 * band (deeper than any real hierarchy of limits) keep their own schedule.
 */
#define SLUICE_CG_BAND_MAX	8
struct sluice_cg_band {
	struct sluice_cg *e[SLUICE_CG_BAND_MAX];
	u8 band[SLUICE_CG_BAND_MAX];
	unsigned int n;
};

/* The virtual queue's floor: credit for at most one burst. */
static s64 sluice_cg_vq_start(struct sluice_cg *e, u64 now)
{
	s64 t = atomic64_read(&e->vq_time);
	s64 floor = (s64)(now - READ_ONCE(e->burst_ns));

	return t < floor ? floor : t;
}

/*
 * Between the thresholds a packet is marked (ECN-capable) or dropped (not),
 * but sparsely: one per @gap (@when is the entry's next_mark or next_drop;
 * marks also only at a new high of the backlog up to twice the threshold,
 * see sluice_cg_judge()). A
 * sender reacts once per round trip whatever the number of signals, and its
 * reaction (a 30% cut for Cubic) takes a while to drain the virtual queue;
 * several flows of a cgroup should not all back off at once; and a burst
 * of drops (the hook sees GSO packets, each many segments) is recovered
 * from only by a timeout. Marks are spaced by twice the mark threshold's
 * time, drops by half of it (a flow without ECN must be stopped before the
 * drop threshold, where every packet goes).
 */
static bool sluice_cg_signal(atomic64_t *when, u64 now, s64 gap)
{
	s64 next = atomic64_read(when);

	if ((s64)now < next) {
		/*
		 * Further than one gap away, the schedule was set at a lower
		 * rate (a share that grew), whose gap was longer: it is
		 * brought to the current one, never made due early (another
		 * CPU, whose @now is later than ours, may have just set it).
		 */
		if (next - (s64)now > gap)
			atomic64_cmpxchg(when, next, now + gap);
		return false;
	}
	return atomic64_cmpxchg(when, next, now + gap) == next;
}

static s64 sluice_cg_mark_gap(const struct sluice_cg *e)
{
	return max_t(s64, 2 * (s64)READ_ONCE(e->mark_ns), NSEC_PER_MSEC);
}

static s64 sluice_cg_drop_gap(const struct sluice_cg *e)
{
	return max_t(s64, (s64)READ_ONCE(e->mark_ns) / 2, NSEC_PER_MSEC);
}

/* The signal @band asks of @e alone, if due. */
static int sluice_cg_signal_own(struct sluice_cg *e, u64 now, int band)
{
	if (band == SLUICE_CG_BAND_HOLD)
		return SLUICE_CG_PASS;
	if (band == SLUICE_CG_BAND_MARK)
		return sluice_cg_signal(&e->next_mark, now, sluice_cg_mark_gap(e)) ?
		       SLUICE_CG_MARK : SLUICE_CG_PASS;
	return sluice_cg_signal(&e->next_drop, now, sluice_cg_drop_gap(e)) ?
	       SLUICE_CG_DROP : SLUICE_CG_PASS;
}

/* A signal was given: no other before @t (racing CPUs: either value). */
static void sluice_cg_rearm(atomic64_t *when, s64 t)
{
	if (atomic64_read(when) < t)
		atomic64_set(when, t);
}

/*
 * What the entry says of a packet of @len bytes at @now (nothing charged).
 * @ecn_sock: the receiving socket is a TCP connection that negotiated ECN;
 * its packets that are not ECN-capable (retransmissions, window probes,
 * which RFC 3168 sends as Not-ECT) are spared until the drop threshold:
 * dropping them would turn the CE marks' gentle signal into timeouts.
 */
static int sluice_cg_judge(struct sluice_cg *e, u64 now, unsigned int len,
			   bool ect, bool ecn_sock, int *band)
{
	u64 rate = READ_ONCE(e->eff_rate);
	s64 backlog, cost, peak, mark = (s64)READ_ONCE(e->mark_ns);

	*band = SLUICE_CG_BAND_NONE;
	if (!rate)
		return SLUICE_CG_PASS;
	cost = (s64)div64_u64((u64)len * NSEC_PER_SEC, rate);
	backlog = sluice_cg_vq_start(e, now) + cost - (s64)now;
	if (backlog <= mark) {
		/*
		 * Half way down, the excursion is over: the next one is
		 * marked from its start. Half way, not at the threshold:
		 * each packet's cost moves the backlog up and down across it
		 * many times within one excursion; and the queue before this
		 * packet, not with it, which a 64 KiB packet would keep above
		 * half of the smallest threshold (128 KiB) until it is empty.
		 */
		if (backlog - cost <= mark / 2 && READ_ONCE(e->sig_peak))
			WRITE_ONCE(e->sig_peak, 0);
		return SLUICE_CG_PASS;
	}
	/*
	 * Small packets (SYNs, ACKs) cost little and losing them costs a
	 * connection a second or more: as in HBM, they go up to twice the
	 * drop threshold.
	 */
	if (len <= SLUICE_CG_SMALL)
		return backlog > 2 * (s64)READ_ONCE(e->drop_ns) ?
		       SLUICE_CG_DROP : SLUICE_CG_PASS;
	if (backlog > (s64)READ_ONCE(e->drop_ns)) {
		/*
		 * A TCP connection that negotiated ECN answers marks; in slow
		 * start it overshoots by up to a window before the first mark
		 * reaches its sender. Its ECN-capable packets are marked, not
		 * dropped, up to twice the drop threshold.
		 */
		if (ect && ecn_sock && READ_ONCE(e->mode) == SLUICE_CG_MODE_ECN &&
		    backlog <= 2 * (s64)READ_ONCE(e->drop_ns))
			return SLUICE_CG_MARK;
		return SLUICE_CG_DROP;
	}
	if (READ_ONCE(e->mode) == SLUICE_CG_MODE_ECN) {
		if (ect) {
			/*
			 * A mark is asked for only at a new high of the
			 * excursion. A sender that answered the last one
			 * drains the virtual queue, but not at once: it reacts
			 * a round trip later, and its 30% cut drains the queue
			 * at a third of the rate or less. Marked again
			 * meanwhile, it would cut again for the same
			 * excursion, and two or three cuts in a row empty the
			 * queue past its floor, where the rate is lost
			 * (cwnd 28 -> 19 -> 13 within 40 ms; 37.4-39.2 of 40
			 * Mbit/s against 39.0-39.7: Documentation/ingress.md).
			 * A sender that did not answer, or not enough, keeps
			 * the backlog rising. Not at a new high, the level
			 * still counts a mark other levels ask for (HOLD), so
			 * that it is not due for the same flows right after.
			 * Past twice the threshold marks keep their schedule
			 * alone: there the backlog is debt left by a slow
			 * start's overshoot, admitted above the rate, which
			 * flat is not paid back (measured: first seconds of
			 * 44.4 Mbit/s at a 40 Mbit/s limit). Drops keep their
			 * schedule: a sender answers the losses of one window
			 * with one cut, and one without ECN must be stopped
			 * before the drop threshold.
			 */
			peak = READ_ONCE(e->sig_peak);
			if (backlog > peak) {
				WRITE_ONCE(e->sig_peak, backlog);
			} else if (backlog <= 2 * mark) {
				*band = SLUICE_CG_BAND_HOLD;
				return SLUICE_CG_PASS;
			}
			*band = SLUICE_CG_BAND_MARK;
			return SLUICE_CG_PASS;
		}
		if (ecn_sock)
			return SLUICE_CG_PASS;
	}
	*band = SLUICE_CG_BAND_DROP;
	return SLUICE_CG_PASS;
}

/*
 * The levels in @b each ask for a sparse signal (or, HOLD, only count
 * one). One signal serves them all: it is given when one of them asks and
 * is due, and every one of them counts it as its own. Independent schedules would add up -- a child whose share is
 * its limited parent's whole rate (its siblings idle) sees both queues fill
 * alike, and its flows would get twice the marks either level means to
 * give, and back off below the rate. A drop counts as a mark too; a mark
 * does not stand for a drop a mode-drop level asks for, so due drops are
 * looked for first.
 */
static int sluice_cg_signal_chain(const struct sluice_cg_band *b, u64 now)
{
	int v = SLUICE_CG_PASS, want;
	unsigned int i;

	for (want = SLUICE_CG_BAND_DROP; !v && want >= SLUICE_CG_BAND_MARK; want--)
		for (i = 0; i < b->n && !v; i++)
			if (b->band[i] == want)
				v = sluice_cg_signal_own(b->e[i], now, want);
	if (!v)
		return v;
	for (i = 0; i < b->n; i++) {
		struct sluice_cg *e = b->e[i];

		if (b->band[i] == SLUICE_CG_BAND_MARK ||
		    b->band[i] == SLUICE_CG_BAND_HOLD)
			sluice_cg_rearm(&e->next_mark, now + sluice_cg_mark_gap(e));
		else if (v == SLUICE_CG_DROP)
			sluice_cg_rearm(&e->next_drop, now + sluice_cg_drop_gap(e));
	}
	return v;
}

/* Admit @len bytes into the entry's virtual queue. */
static void sluice_cg_charge(struct sluice_cg *e, u64 now, unsigned int len)
{
	u64 rate = READ_ONCE(e->eff_rate);
	s64 floor, t, old;

	if (!rate)
		return;
	floor = (s64)(now - READ_ONCE(e->burst_ns));
	t = atomic64_read(&e->vq_time);
	while (t < floor) {
		old = atomic64_cmpxchg(&e->vq_time, t, floor);
		if (old == t)
			break;
		t = old;
	}
	atomic64_add(sl_cost_ns(len, rate, get_random_u32), &e->vq_time);
}

static bool sluice_skb_ect(const struct sk_buff *skb, bool v6)
{
	u8 ds = v6 ? ipv6_get_dsfield(ipv6_hdr(skb)) : ip_hdr(skb)->tos;

	return INET_ECN_is_capable(ds);
}

/* Set CE; false if the header could not be made writable. */
static bool sluice_skb_set_ce(struct sk_buff *skb, bool v6)
{
	unsigned int hl = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);

	if (skb_ensure_writable(skb, skb_network_offset(skb) + hl))
		return false;
	if (v6)
		IP6_ECN_set_ce(skb, ipv6_hdr(skb));
	else
		IP_ECN_set_ce(ip_hdr(skb));
	return true;
}

/* Judge and charge the packet at @first and every configured ancestor. */
static unsigned int sluice_cg_packet(struct sluice_cg *first,
				     struct sk_buff *skb, bool v6, bool ecn_sock)
{
	unsigned int len = skb->len;
	unsigned int segs = skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1;
	unsigned long j = jiffies;
	int verdict = SLUICE_CG_PASS, v, band;
	bool limited = false, ect = false;
	struct sluice_cg_band b;
	struct sluice_cg *e;
	u64 now = 0;

	if (!segs)
		segs = 1;
	b.n = 0;
	for (e = first; e; e = rcu_dereference(e->parent)) {
		if (READ_ONCE(e->last_rx) != j)
			WRITE_ONCE(e->last_rx, j);
		if (!READ_ONCE(e->eff_rate))
			continue;
		if (!limited) {
			limited = true;
			now = ktime_get_ns();
			ect = sluice_skb_ect(skb, v6);
		}
		v = sluice_cg_judge(e, now, len, ect, ecn_sock, &band);
		if (band != SLUICE_CG_BAND_NONE && b.n < SLUICE_CG_BAND_MAX) {
			b.e[b.n] = e;
			b.band[b.n++] = band;
		} else if (band != SLUICE_CG_BAND_NONE) {
			v = sluice_cg_signal_own(e, now, band);
		}
		if (v > verdict)
			verdict = v;
		if (verdict == SLUICE_CG_DROP)
			break;
	}
	if (verdict != SLUICE_CG_DROP && b.n) {
		v = sluice_cg_signal_chain(&b, now);
		if (v > verdict)
			verdict = v;
	}
	if (verdict == SLUICE_CG_MARK && !sluice_skb_set_ce(skb, v6))
		verdict = SLUICE_CG_DROP;

	for (e = first; e; e = rcu_dereference(e->parent)) {
		if (limited && verdict != SLUICE_CG_DROP)
			sluice_cg_charge(e, now, len);
		sluice_cg_count_pkt(e->stats, len, segs,
				    verdict == SLUICE_CG_MARK,
				    verdict == SLUICE_CG_DROP);
	}
	return verdict == SLUICE_CG_DROP ? NF_DROP : NF_ACCEPT;
}

/* A TCP connection that negotiated ECN. */
static bool sluice_sk_ecn(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP && sk_fullsock(sk) &&
	       sk->sk_state == TCP_ESTABLISHED &&
	       (READ_ONCE(tcp_sk(sk)->ecn_flags) & TCP_ECN_OK);
}

/*
 * An IPv6 packet that has no transport header to look a socket up by: a
 * fragment after the first, or a header chain that does not parse. IPv6
 * reassembles after LOCAL_IN (in ip6_input_finish()), so where nothing
 * else did first (conntrack's nf_defrag_ipv6, loaded per namespace), each
 * fragment comes here alone. For one after the first, ipv6_find_hdr()
 * returns the fragment header's next header but leaves the offset at 0:
 * nf_sk_lookup_slow_v6() would take the IPv6 header's first bytes for
 * ports (the destination port is the low 16 bits of the flow label) and
 * find whatever socket is bound there. IPv4 needs no such check: it is
 * reassembled before LOCAL_IN (ip_local_deliver()).
 */
static bool sluice_v6_no_l4(const struct sk_buff *skb)
{
	unsigned short fragoff;
	unsigned int off = 0;

	/* No extension header (most packets): no fragment header either. */
	if (!ipv6_ext_hdr(ipv6_hdr(skb)->nexthdr))
		return false;
	if (ipv6_find_hdr(skb, &off, -1, &fragoff, NULL) < 0)
		return true;
	return fragoff != 0;
}

static unsigned int sluice_ingress_slow(struct sk_buff *skb,
					const struct nf_hook_state *state,
					bool v6)
{
	struct sock *sk = skb->sk, *owner;
	struct sluice_cg *e = NULL;
	unsigned int ret = NF_ACCEPT;
	struct cgroup *cgrp;
	bool put = false;

	/* Without a transport header the packet is nobody's (unattributed). */
	if (!sk && !(v6 && sluice_v6_no_l4(skb))) {
		sk = v6 ? nf_sk_lookup_slow_v6(state->net, skb, state->in) :
			  nf_sk_lookup_slow_v4(state->net, skb, state->in);
		put = sk;
	}
	owner = sk;
	if (sk && !sk_fullsock(sk))
		owner = sk->sk_state == TCP_NEW_SYN_RECV ?
			inet_reqsk(sk)->rsk_listener : NULL;
	/*
	 * A UDP tunnel's socket (VXLAN, Geneve, FOU, WireGuard, ESP in UDP)
	 * hands what it receives back to the stack decapsulated, and the
	 * inner packet comes through here again, to its own receiver. The
	 * outer packet is nobody's: charged to the tunnel socket's cgroup
	 * (whoever brought the device up), the same bytes would count twice.
	 */
	if (owner && owner->sk_protocol == IPPROTO_UDP &&
	    owner->sk_type == SOCK_DGRAM && READ_ONCE(udp_sk(owner)->encap_rcv))
		owner = NULL;
	if (!owner) {
		struct sluice_net *sn = sluice_pernet(state->net);

		sluice_cg_count_pkt(sn->ingress_unattr, skb->len,
				    skb_is_gso(skb) ?
				    max_t(u16, skb_shinfo(skb)->gso_segs, 1) : 1,
				    false, false);
		goto out;
	}

	for (cgrp = sock_cgroup_ptr(&owner->sk_cgrp_data); cgrp;
	     cgrp = cgroup_parent(cgrp)) {
		e = sluice_cg_lookup_rcu(cgrp);
		if (e)
			break;
	}
	if (e)
		ret = sluice_cg_packet(e, skb, v6, sluice_sk_ecn(owner));
out:
	if (put)
		sock_gen_put(sk);
	return ret;
}

/*
 * Self-timing, for `make bench`: with the parameter hook_timing set (at run
 * time, in /sys/module/sluice/parameters), the time spent in the hook's
 * slow path and the packets it saw add up per CPU, and hook_ns and
 * hook_packets read the sums. The benchmark divides hook_ns by the CPU
 * time the whole receive took: the share of the CPU that ingress control
 * costs, measured in one run, whatever the emulator's speed at the time.
 * Off (the default) it costs one static branch.
 */
static DEFINE_STATIC_KEY_FALSE(sluice_timing_key);

struct sluice_timing {
	u64 ns;
	u64 packets;
};
static DEFINE_PER_CPU(struct sluice_timing, sluice_timing);

static int sluice_timing_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int err = kstrtobool(val, &on);

	if (err)
		return err;
	if (on)
		static_branch_enable(&sluice_timing_key);
	else
		static_branch_disable(&sluice_timing_key);
	return 0;
}

static int sluice_timing_get(char *buf, const struct kernel_param *kp)
{
	size_t off = (size_t)kp->arg;
	u64 sum = 0;
	int cpu;

	if (off == SIZE_MAX)
		return sysfs_emit(buf, "%d\n",
				  static_key_enabled(&sluice_timing_key));
	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*(u64 *)((char *)per_cpu_ptr(&sluice_timing,
							      cpu) + off));
	return sysfs_emit(buf, "%llu\n", sum);
}

static const struct kernel_param_ops sluice_timing_ops = {
	.set = sluice_timing_set,
	.get = sluice_timing_get,
};

static const struct kernel_param_ops sluice_timing_ro_ops = {
	.get = sluice_timing_get,
};

module_param_cb(hook_timing, &sluice_timing_ops, (void *)SIZE_MAX, 0644);
MODULE_PARM_DESC(hook_timing, "time the ingress hook (for benchmarks; default 0)");
module_param_cb(hook_ns, &sluice_timing_ro_ops,
		(void *)offsetof(struct sluice_timing, ns), 0444);
MODULE_PARM_DESC(hook_ns, "ns spent in the ingress hook while hook_timing was set");
module_param_cb(hook_packets, &sluice_timing_ro_ops,
		(void *)offsetof(struct sluice_timing, packets), 0444);
MODULE_PARM_DESC(hook_packets, "packets timed while hook_timing was set");

static unsigned int sluice_ingress(struct sk_buff *skb,
				   const struct nf_hook_state *state, bool v6)
{
	unsigned int ret;
	u64 t0;

	if (!static_branch_unlikely(&sluice_ingress_key))
		return NF_ACCEPT;
	if (!static_branch_unlikely(&sluice_timing_key))
		return sluice_ingress_slow(skb, state, v6);
	t0 = local_clock();
	ret = sluice_ingress_slow(skb, state, v6);
	this_cpu_add(sluice_timing.ns, local_clock() - t0);
	this_cpu_inc(sluice_timing.packets);
	return ret;
}

static unsigned int sluice_ingress_hook4(void *priv, struct sk_buff *skb,
					 const struct nf_hook_state *state)
{
	return sluice_ingress(skb, state, false);
}

static unsigned int sluice_ingress_hook6(void *priv, struct sk_buff *skb,
					 const struct nf_hook_state *state)
{
	return sluice_ingress(skb, state, true);
}

/*
 * After the filter chains (a packet the firewall drops is not the cgroup's)
 * and the security table, and before IPVS and SNAT at LOCAL_IN (98..100).
 * Not at a firewall's own priority: firewalld's chains are at filter + 10,
 * and of two hooks at one priority the one registered last runs first, so
 * loading the module after the firewall started would put sluice before it.
 */
#define SLUICE_INGRESS_PRI	(NF_IP_PRI_SECURITY + 1)

static const struct nf_hook_ops sluice_ingress_ops[] = {
	{
		.hook		= sluice_ingress_hook4,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= SLUICE_INGRESS_PRI,
	},
	{
		.hook		= sluice_ingress_hook6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= SLUICE_INGRESS_PRI,
	},
};

/* ---- entries: configuration (process context, sluice_cg_lock) ------- */

static struct sluice_cg *sluice_cg_lookup_locked(const struct cgroup *cgrp)
{
	struct sluice_cg *e;

	lockdep_assert_held(&sluice_cg_lock);
	hash_for_each_possible(sluice_cg_hash, e, hnode, (unsigned long)cgrp)
		if (e->cgrp == cgrp)
			return e;
	return NULL;
}

static struct sluice_cg *sluice_cg_parent_locked(struct sluice_cg *e)
{
	return rcu_dereference_protected(e->parent,
					 lockdep_is_held(&sluice_cg_lock));
}

/* Point every entry at its nearest configured ancestor. */
static void sluice_cg_relink(void)
{
	struct sluice_cg *e, *p;
	struct cgroup *c;

	lockdep_assert_held(&sluice_cg_lock);
	sluice_cg_nlinked = 0;
	list_for_each_entry(e, &sluice_cg_list, node) {
		p = NULL;
		for (c = cgroup_parent(e->cgrp); c && !p; c = cgroup_parent(c))
			p = sluice_cg_lookup_locked(c);
		if (sluice_cg_parent_locked(e) != p) {
			rcu_assign_pointer(e->parent, p);
			sluice_cg_relinked = true;
		}
		if (p)
			sluice_cg_nlinked++;
	}
}

static u64 sluice_ms_of_rate(u64 rate, unsigned int ms)
{
	return div_u64(rate * ms, MSEC_PER_SEC);
}

static u32 sluice_cg_def_burst(u64 rate)
{
	return max_t(u64, SLUICE_CG_GSO_MAX,
		     min_t(u64, U32_MAX, sluice_ms_of_rate(rate, SLUICE_CG_BURST_MS)));
}

static u32 sluice_cg_def_mark(u64 rate)
{
	return max_t(u64, 2 * SLUICE_CG_GSO_MAX,
		     min_t(u64, U32_MAX / SLUICE_CG_DROP_MULT,
			   sluice_ms_of_rate(rate, SLUICE_CG_MARK_MS)));
}

static u32 sluice_cg_def_drop(u32 mark)
{
	return min_t(u64, (u64)mark * SLUICE_CG_DROP_MULT, U32_MAX);
}

/*
 * The mark threshold at @rate of an entry configured with @mark and @drop
 * (0: derived): a derived one follows the rate, but not above a drop
 * threshold given explicitly, which is kept as given.
 */
static u32 sluice_cg_mark_at(u32 mark, u32 drop, u64 rate)
{
	if (mark)
		return mark;
	mark = sluice_cg_def_mark(rate);
	return drop && drop < mark ? drop : mark;
}

/* Bytes at @rate, as nanoseconds. */
static u64 sluice_bytes_ns(u64 bytes, u64 rate)
{
	return div64_u64(bytes * NSEC_PER_SEC, rate);
}

/*
 * The rate changes from @old to @rate (neither 0; the thresholds already
 * follow @rate): the virtual queue keeps its bytes, which now drain at
 * @rate. Left in time, a backlog built at a low rate would stand for many
 * times its bytes at a higher one -- a limit raised from 1 to 1,000
 * Mbit/s, or a share that grew because a sibling went idle, would drop
 * every packet for as long as the old queue took to drain (seconds at a
 * low rate). Going down, the queue is held to twice the drop threshold,
 * the most it admits (sluice_cg_judge()). Credit (vq_time before now) is
 * left alone: the next charge caps it at the new burst. A packet racing
 * with this may be charged at the old rate.
 */
static void sluice_cg_rescale(struct sluice_cg *e, u64 old, u64 rate)
{
	u64 now = ktime_get_ns(), cap = 2 * READ_ONCE(e->drop_ns), lim, b;
	s64 t = atomic64_read(&e->vq_time), seen;

	lockdep_assert_held(&sluice_cg_lock);
	/*
	 * The backlog, in old time, that the cap stands for. cap * rate is
	 * at most 2 * U32_MAX bytes in ns (drop_ns is drop_thresh bytes at
	 * @rate), so neither division's quotient can overflow.
	 */
	lim = mul_u64_u64_div_u64(cap, rate, old);
	for (;;) {
		if (t <= (s64)now)
			return;
		b = (u64)t - now >= lim ? cap :
		    mul_u64_u64_div_u64((u64)t - now, old, rate);
		seen = atomic64_cmpxchg(&e->vq_time, t, (s64)(now + b));
		if (seen == t)
			return;
		t = seen;
	}
}

/* Enforce @rate (0: none) on @e from now on; thresholds follow it. */
static void sluice_cg_set_rate(struct sluice_cg *e, u64 rate)
{
	u32 burst, mark, drop;

	lockdep_assert_held(&sluice_cg_lock);
	/*
	 * The worker calls this for every entry every tick: with nothing
	 * changed, nothing to do (three 64-bit divisions per entry, 50 times
	 * a second, were a measurable part of what 1,000 entries cost: see
	 * Documentation/benchmarks.md).
	 */
	if (!e->stale && rate == READ_ONCE(e->eff_rate))
		return;
	e->stale = false;
	burst = e->burst ?: sluice_cg_def_burst(rate);
	mark = sluice_cg_mark_at(e->mark_thresh, e->drop_thresh, rate);
	drop = e->drop_thresh ?: sluice_cg_def_drop(mark);
	e->eff_burst = burst;
	e->eff_mark = mark;
	e->eff_drop = drop;
	if (rate) {
		WRITE_ONCE(e->burst_ns, sluice_bytes_ns(burst, rate));
		WRITE_ONCE(e->mark_ns, sluice_bytes_ns(mark, rate));
		WRITE_ONCE(e->drop_ns, sluice_bytes_ns(drop, rate));
		/* The excursion's high was in time at the old rate. */
		WRITE_ONCE(e->sig_peak, 0);
	}
	if (READ_ONCE(e->eff_rate) != rate) {
		/* A new limit starts with one burst of credit, no debt. */
		if (!READ_ONCE(e->eff_rate))
			atomic64_set(&e->vq_time, 0);
		else if (rate)
			sluice_cg_rescale(e, READ_ONCE(e->eff_rate), rate);
		WRITE_ONCE(e->eff_rate, rate);
	}
}

/*
 * Recompute every entry's enforced rate: its own rate, capped by its
 * weighted share of a limited parent's. The list is sorted by level, so
 * parents come before their children.
 */
static void sluice_cg_share(void)
{
	unsigned long now = jiffies, win = msecs_to_jiffies(SLUICE_CG_ACTIVE_MS);
	struct sluice_cg *e, *p;

	lockdep_assert_held(&sluice_cg_lock);
	sluice_cg_relinked = false;
	list_for_each_entry(e, &sluice_cg_list, node) {
		e->active = time_before(now, READ_ONCE(e->last_rx) + win);
		e->active_weight = 0;
	}
	list_for_each_entry(e, &sluice_cg_list, node) {
		p = sluice_cg_parent_locked(e);
		if (p && e->active)
			p->active_weight += e->weight;
	}
	list_for_each_entry(e, &sluice_cg_list, node) {
		u64 rate = e->rate, prate, share, sum;

		p = sluice_cg_parent_locked(e);
		prate = p ? READ_ONCE(p->eff_rate) : 0;
		if (prate) {
			sum = p->active_weight + (e->active ? 0 : e->weight);
			/* never 0: a rate of 0 means "no limit" */
			share = max_t(u64, div64_u64(prate * e->weight, sum), 1);
			if (!rate || share < rate)
				rate = share;
		}
		sluice_cg_set_rate(e, rate);
	}
}

static void sluice_cg_free_rcu(struct rcu_head *head)
{
	struct sluice_cg *e = container_of(head, struct sluice_cg, rcu);

	free_percpu(e->stats);
	cgroup_put(e->cgrp);
	kfree(e);
}

/* Take @e out of the table; freed after a grace period. */
static void sluice_cg_unlink(struct sluice_cg *e)
{
	lockdep_assert_held(&sluice_cg_lock);
	hash_del_rcu(&e->hnode);
	list_del(&e->node);
	sluice_cg_count--;
	sluice_cg_gen++;
	static_branch_dec(&sluice_ingress_key);
}

/* Unlink, re-point the others past it, free. */
static void sluice_cg_remove(struct sluice_cg *e)
{
	lockdep_assert_held(&sluice_cg_lock);
	sluice_cg_unlink(e);
	sluice_cg_relink();
	call_rcu(&e->rcu, sluice_cg_free_rcu);
}

/* ---- netlink -------------------------------------------------------- */

static int sluice_cg_put_stats(struct sk_buff *skb, int attr,
			       struct sluice_cg_pcpu __percpu *stats)
{
	struct sluice_cg_sum sum;
	struct nlattr *nest;

	sluice_cg_fold(stats, &sum);
	nest = nla_nest_start(skb, attr);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, SLUICE_CG_STATS_A_BYTES, sum.bytes,
			      SLUICE_CG_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, SLUICE_CG_STATS_A_PACKETS, sum.packets,
			      SLUICE_CG_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, SLUICE_CG_STATS_A_MARKED, sum.marked,
			      SLUICE_CG_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, SLUICE_CG_STATS_A_DROPPED, sum.dropped,
			      SLUICE_CG_STATS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Entries are global, their paths the host's. A reader in a cgroup
 * namespace (a container) sees only the entries in it, named from its
 * root, as its own cgroupfs names them; an entry's parent outside it is
 * shown as none.
 */
static struct cgroup_namespace *sluice_cg_ns(void)
{
	return current->nsproxy->cgroup_ns;
}

static bool sluice_cg_visible(const struct sluice_cg *e,
			      const struct cgroup_namespace *ns)
{
	return !ns || cgroup_is_descendant(e->cgrp, ns->root_cset->dfl_cgrp);
}

/*
 * SLUICE_A_CGROUP with ID and PATH, and with @full everything else; @ns:
 * the reader's cgroup namespace (NULL: the host's, for events).
 */
static int sluice_cg_fill(struct sk_buff *skb, struct sluice_cg *e, bool full,
			  char *buf, struct cgroup_namespace *ns)
{
	struct sluice_cg *p = full ? sluice_cg_parent_locked(e) : NULL;
	struct nlattr *nest;
	int len;

	if (p && !sluice_cg_visible(p, ns))
		p = NULL;
	nest = nla_nest_start(skb, SLUICE_A_CGROUP);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, SLUICE_CG_A_ID, e->id, SLUICE_CG_A_PAD))
		goto cancel;
	len = ns ? cgroup_path_ns(e->cgrp, buf, PATH_MAX, ns) :
		   cgroup_path(e->cgrp, buf, PATH_MAX);
	if (len > 0 && len < PATH_MAX && nla_put_string(skb, SLUICE_CG_A_PATH, buf))
		goto cancel;
	if (!full)
		goto done;
	if (nla_put_u64_64bit(skb, SLUICE_CG_A_PARENT_ID, p ? p->id : 0,
			      SLUICE_CG_A_PAD) ||
	    nla_put_u64_64bit(skb, SLUICE_CG_A_RATE, e->rate, SLUICE_CG_A_PAD) ||
	    nla_put_u32(skb, SLUICE_CG_A_BURST, e->eff_burst) ||
	    nla_put_u32(skb, SLUICE_CG_A_WEIGHT, e->weight) ||
	    nla_put_u8(skb, SLUICE_CG_A_MODE, e->mode) ||
	    nla_put_u32(skb, SLUICE_CG_A_MARK_THRESH, e->eff_mark) ||
	    nla_put_u32(skb, SLUICE_CG_A_DROP_THRESH, e->eff_drop) ||
	    nla_put_u64_64bit(skb, SLUICE_CG_A_SHARE_RATE, READ_ONCE(e->eff_rate),
			      SLUICE_CG_A_PAD) ||
	    sluice_cg_put_stats(skb, SLUICE_CG_A_STATS, e->stats))
		goto cancel;
done:
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * What one entry's message may need: its attributes (well under
 * NLMSG_GOODSIZE) and a path of up to PATH_MAX. A cgroup path can pass
 * NLMSG_GOODSIZE (a page less the skb's overhead): 16 levels of 250-byte
 * names are 4,000 bytes. (A message of NLMSG_GOODSIZE has that room too,
 * but only because its skb's head is rounded up to the 8 KiB slab.)
 */
#define SLUICE_CG_MSG_SIZE	(NLMSG_GOODSIZE + PATH_MAX)

static void sluice_cg_event_removed(struct sluice_cg *e)
{
	struct sk_buff *msg;
	char *buf;
	void *hdr;

	lockdep_assert_held(&sluice_cg_lock);
	/*
	 * The module is going away: its family may be gone already. Checked
	 * again under RCU when sending (see sl_genl_live); a try_module_get()
	 * here made rmmod fail with "in use" if it came while an event was
	 * being sent.
	 */
	if (!READ_ONCE(sl_genl_live))
		return;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	msg = genlmsg_new(SLUICE_CG_MSG_SIZE, GFP_KERNEL);
	if (!buf || !msg)
		goto fail;
	hdr = sluice_genl_put(msg, NULL, SLUICE_CMD_EVENT_CGROUP_REMOVED, 0);
	if (!hdr || sluice_cg_fill(msg, e, false, buf, NULL))
		goto fail;
	genlmsg_end(msg, hdr);
	kfree(buf);
	/*
	 * To the host's listeners only: the event names a host path, and a
	 * listener in another network namespace needs CAP_NET_ADMIN only in
	 * the user namespace that owns it (GENL_MCAST_CAP_NET_ADMIN), which a
	 * container's root has. -ESRCH: nobody listens.
	 */
	rcu_read_lock();
	if (READ_ONCE(sl_genl_live))
		genlmsg_multicast_netns(&sluice_genl_family, &init_net, msg,
					0, 0, GFP_ATOMIC);
	else
		nlmsg_free(msg);
	rcu_read_unlock();
	return;
fail:
	pr_warn_ratelimited("cannot send the removal event of cgroup %llu\n", e->id);
	nlmsg_free(msg);
	kfree(buf);
}

/*
 * Parsed SLUICE_A_CGROUP. With @key_only (requests that name an entry but
 * set nothing), a setting is refused rather than ignored.
 */
static int sluice_cg_parse(struct genl_info *info, struct nlattr **tb,
			   bool key_only)
{
	struct nlattr *nest = info->attrs[SLUICE_A_CGROUP];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SLUICE_A_CGROUP))
		return -EINVAL;
	err = nla_parse_nested(tb, SLUICE_CG_A_MAX, nest, sluice_cg_policy,
			       info->extack);
	if (err)
		return err;
	if (key_only) {
		err = sluice_nl_refuse_settings(tb, SLUICE_CG_A_RATE,
						SLUICE_CG_A_DROP_THRESH,
						"only the cgroup's id is expected: its settings are set by CGROUP_SET",
						info->extack);
		if (err)
			return err;
	}
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, SLUICE_CG_A_ID))
		return -EINVAL;
	return 0;
}

static bool sluice_cg_may_change(struct sk_buff *skb, struct genl_info *info)
{
	if (netlink_capable(skb, CAP_NET_ADMIN))
		return true;
	NL_SET_ERR_MSG(info->extack,
		       "configuring cgroups needs CAP_NET_ADMIN in the initial user namespace");
	return false;
}

/* The cgroup named by SLUICE_CG_A_ID, with a reference, or an ERR_PTR. */
static struct cgroup *sluice_cg_get_cgroup(struct genl_info *info,
					   struct nlattr **tb)
{
	struct cgroup *cgrp = cgroup_get_from_id(nla_get_u64(tb[SLUICE_CG_A_ID]));

	if (IS_ERR_OR_NULL(cgrp)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[SLUICE_CG_A_ID],
				    "no such cgroup v2 directory");
		return ERR_PTR(-ENOENT);
	}
	if (sluice_cgroup_removed(cgrp)) {
		cgroup_put(cgrp);
		NL_SET_ERR_MSG_ATTR(info->extack, tb[SLUICE_CG_A_ID],
				    "the cgroup is being removed");
		return ERR_PTR(-ENOENT);
	}
	return cgrp;
}

int sluice_nl_cgroup_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[SLUICE_CG_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	u32 burst, mark, drop, weight, m, d;
	struct sluice_cg *e, *new = NULL;
	struct cgroup *cgrp;
	u64 rate;
	u8 mode;
	int err;

	if (!sluice_cg_may_change(skb, info))
		return -EPERM;
	err = sluice_cg_parse(info, tb, false);
	if (err)
		return err;

	if (tb[SLUICE_CG_A_RATE] &&
	    nla_get_u64(tb[SLUICE_CG_A_RATE]) > SLUICE_CG_MAX_RATE) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SLUICE_CG_A_RATE],
				    "rate too large (at most 2^40 bytes per second)");
		return -ERANGE;
	}
	if (tb[SLUICE_CG_A_BURST] &&
	    nla_get_u32(tb[SLUICE_CG_A_BURST]) < SLUICE_CG_MIN_BURST) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SLUICE_CG_A_BURST],
				    "burst must be at least one MTU (1500 bytes)");
		return -EINVAL;
	}
	if (tb[SLUICE_CG_A_MARK_THRESH] &&
	    nla_get_u32(tb[SLUICE_CG_A_MARK_THRESH]) < SLUICE_CG_MIN_THRESH) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SLUICE_CG_A_MARK_THRESH],
				    "mark threshold must be at least 1500 bytes");
		return -EINVAL;
	}
	if (tb[SLUICE_CG_A_DROP_THRESH] &&
	    nla_get_u32(tb[SLUICE_CG_A_DROP_THRESH]) < SLUICE_CG_MIN_THRESH) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SLUICE_CG_A_DROP_THRESH],
				    "drop threshold must be at least 1500 bytes");
		return -EINVAL;
	}

	cgrp = sluice_cg_get_cgroup(info, tb);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);

	/*
	 * Allocate before the lock: a refused request changes nothing. The
	 * entry is charged to the requester's memory cgroup (SL_GFP_CONF).
	 */
	new = kzalloc(sizeof(*new), SL_GFP_CONF);
	if (new)
		new->stats = sluice_cg_stats_alloc();
	if (!new || !new->stats) {
		err = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&sluice_cg_lock);
	e = sluice_cg_lookup_locked(cgrp);
	if (!e && sluice_cg_count >= READ_ONCE(max_cgroups)) {
		NL_SET_ERR_MSG(extack,
			       "too many cgroup entries (see the module parameter max_cgroups)");
		err = -ENOSPC;
		goto out_unlock;
	}

	/* The new configuration, checked as a whole. */
	rate = tb[SLUICE_CG_A_RATE] ? nla_get_u64(tb[SLUICE_CG_A_RATE]) :
	       (e ? e->rate : 0);
	burst = tb[SLUICE_CG_A_BURST] ? nla_get_u32(tb[SLUICE_CG_A_BURST]) :
		(e ? e->burst : 0);
	mark = tb[SLUICE_CG_A_MARK_THRESH] ?
	       nla_get_u32(tb[SLUICE_CG_A_MARK_THRESH]) : (e ? e->mark_thresh : 0);
	drop = tb[SLUICE_CG_A_DROP_THRESH] ?
	       nla_get_u32(tb[SLUICE_CG_A_DROP_THRESH]) : (e ? e->drop_thresh : 0);
	weight = tb[SLUICE_CG_A_WEIGHT] ? nla_get_u32(tb[SLUICE_CG_A_WEIGHT]) :
		 (e ? e->weight : SLUICE_CG_DEF_WEIGHT);
	mode = tb[SLUICE_CG_A_MODE] ? nla_get_u8(tb[SLUICE_CG_A_MODE]) :
	       (e ? e->mode : SLUICE_CG_MODE_ECN);
	m = sluice_cg_mark_at(mark, drop, rate);
	d = drop ?: sluice_cg_def_drop(m);
	if (d < m) {
		NL_SET_ERR_MSG_ATTR(extack,
				    tb[SLUICE_CG_A_DROP_THRESH] ?: tb[SLUICE_CG_A_MARK_THRESH],
				    "the drop threshold must not be below the mark threshold");
		err = -EINVAL;
		goto out_unlock;
	}

	if (!e) {
		struct sluice_cg *pos;

		e = new;
		new = NULL;
		e->cgrp = cgrp;
		cgrp = NULL;	/* the entry's reference now */
		e->id = cgroup_id(e->cgrp);
		e->last_rx = jiffies - msecs_to_jiffies(SLUICE_CG_ACTIVE_MS) - 1;
		/* Keep the list sorted by level: parents first. */
		list_for_each_entry(pos, &sluice_cg_list, node)
			if (pos->cgrp->level > e->cgrp->level)
				break;
		list_add_tail(&e->node, &pos->node);
		hash_add_rcu(sluice_cg_hash, &e->hnode, (unsigned long)e->cgrp);
		sluice_cg_count++;
		static_branch_inc(&sluice_ingress_key);
		sluice_cg_relink();
		if (sluice_cg_count == 1)
			mod_delayed_work(system_wq, &sluice_cg_work,
					 msecs_to_jiffies(SLUICE_CG_TICK_MS));
	}
	e->rate = rate;
	e->burst = burst;
	e->mark_thresh = mark;
	e->drop_thresh = drop;
	e->weight = weight;
	e->stale = true;
	WRITE_ONCE(e->mode, mode);
	sluice_cg_gen++;
	sluice_cg_share();
	err = 0;

out_unlock:
	mutex_unlock(&sluice_cg_lock);
out_free:
	if (new) {
		free_percpu(new->stats);
		kfree(new);
	}
	if (cgrp)
		cgroup_put(cgrp);
	return err;
}

int sluice_nl_cgroup_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[SLUICE_CG_A_MAX + 1];
	struct sluice_cg *e;
	struct cgroup *cgrp;
	int err;

	if (!sluice_cg_may_change(skb, info))
		return -EPERM;
	err = sluice_cg_parse(info, tb, true);
	if (err)
		return err;
	cgrp = sluice_cg_get_cgroup(info, tb);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);

	mutex_lock(&sluice_cg_lock);
	e = sluice_cg_lookup_locked(cgrp);
	if (e) {
		sluice_cg_remove(e);
		sluice_cg_share();
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[SLUICE_CG_A_ID],
				    "the cgroup has no entry");
		err = -ENOENT;
	}
	mutex_unlock(&sluice_cg_lock);
	cgroup_put(cgrp);
	return err;
}

int sluice_nl_cgroup_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[SLUICE_CG_A_MAX + 1];
	struct sk_buff *msg = NULL;
	struct sluice_cg *e;
	struct cgroup *cgrp;
	char *buf = NULL;
	void *hdr;
	int err;

	err = sluice_cg_parse(info, tb, true);
	if (err)
		return err;
	cgrp = sluice_cg_get_cgroup(info, tb);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	msg = genlmsg_new(SLUICE_CG_MSG_SIZE, GFP_KERNEL);
	if (!buf || !msg) {
		err = -ENOMEM;
		goto out;
	}

	mutex_lock(&sluice_cg_lock);
	e = sluice_cg_lookup_locked(cgrp);
	if (!e || !sluice_cg_visible(e, sluice_cg_ns())) {
		mutex_unlock(&sluice_cg_lock);
		NL_SET_ERR_MSG_ATTR(info->extack, tb[SLUICE_CG_A_ID],
				    "the cgroup has no entry");
		err = -ENOENT;
		goto out;
	}
	hdr = sluice_genl_put(msg, info, SLUICE_CMD_CGROUP_GET, 0);
	err = hdr ? sluice_cg_fill(msg, e, true, buf, sluice_cg_ns()) : -EMSGSIZE;
	mutex_unlock(&sluice_cg_lock);
	if (err)
		goto out;
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
	msg = NULL;
out:
	nlmsg_free(msg);
	kfree(buf);
	cgroup_put(cgrp);
	return err;
}

/*
 * Dump: cb->args[0] = entries sent, cb->args[1] = the closing
 * unattributed message sent.
 */
int sluice_nl_cgroup_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct sluice_net *sn = sluice_pernet(sock_net(skb->sk));
	struct cgroup_namespace *ns = sluice_cg_ns();
	long idx = 0, start = cb->args[0];
	struct sluice_cg *e;
	char *buf;
	void *hdr;
	int err = 0;

	if (cb->args[1])
		return 0;
	err = sluice_nl_dump_takes(cb);
	if (err)
		return err;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	mutex_lock(&sluice_cg_lock);
	cb->seq = sluice_cg_gen;
	list_for_each_entry(e, &sluice_cg_list, node) {
		if (idx++ < start)
			continue;
		if (!sluice_cg_visible(e, ns)) {
			cb->args[0] = idx;
			continue;
		}
		hdr = sluice_genl_dump_put(skb, cb, SLUICE_CMD_CGROUP_GET);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		if (sluice_cg_fill(skb, e, true, buf, ns)) {
			genlmsg_cancel(skb, hdr);
			err = -EMSGSIZE;
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&sluice_cg_lock);
	kfree(buf);
	if (err) {
		/*
		 * An entry that fits no message on its own is an error (an
		 * empty message here, whatever entries were skipped as not
		 * visible before it).
		 */
		return skb->len ? skb->len : -EMSGSIZE;
	}

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &sluice_genl_family, NLM_F_MULTI, SLUICE_CMD_CGROUP_GET);
	if (!hdr)
		return skb->len;
	if (sluice_cg_put_stats(skb, SLUICE_A_UNATTRIBUTED, sn->ingress_unattr)) {
		genlmsg_cancel(skb, hdr);
		return skb->len;
	}
	genlmsg_end(skb, hdr);
	cb->args[1] = 1;
	return skb->len;
}

/* ---- the worker: removed cgroups, shares ---------------------------- */

static void sluice_cg_tick(struct work_struct *work)
{
	struct sluice_cg *e, *tmp;

	mutex_lock(&sluice_cg_lock);
	list_for_each_entry_safe(e, tmp, &sluice_cg_list, node) {
		if (!sluice_cgroup_removed(e->cgrp))
			continue;
		sluice_cg_event_removed(e);
		sluice_cg_remove(e);
	}
	/*
	 * Shares move with the children's traffic; entries without a
	 * configured ancestor (all of them, often) have none.
	 */
	if (sluice_cg_nlinked || sluice_cg_relinked)
		sluice_cg_share();
	if (sluice_cg_count)
		schedule_delayed_work(&sluice_cg_work,
				      msecs_to_jiffies(SLUICE_CG_TICK_MS));
	mutex_unlock(&sluice_cg_lock);
}

/* ---- per namespace, module ------------------------------------------ */

int sluice_ingress_net_init(struct sluice_net *sn)
{
	int err;

	sn->ingress_unattr = sluice_cg_stats_alloc();
	if (!sn->ingress_unattr)
		return -ENOMEM;
	err = nf_register_net_hooks(sn->net, sluice_ingress_ops,
				    ARRAY_SIZE(sluice_ingress_ops));
	if (err) {
		free_percpu(sn->ingress_unattr);
		sn->ingress_unattr = NULL;
	}
	return err;
}

/* The core waits for a grace period between pre_exit and exit. */
void sluice_ingress_net_pre_exit(struct sluice_net *sn)
{
	nf_unregister_net_hooks(sn->net, sluice_ingress_ops,
				ARRAY_SIZE(sluice_ingress_ops));
}

void sluice_ingress_net_exit(struct sluice_net *sn)
{
	free_percpu(sn->ingress_unattr);
	sn->ingress_unattr = NULL;
}

int __init sluice_ingress_init(void)
{
	return 0;
}

/* After the hooks are gone in every namespace: drop every entry. */
void sluice_ingress_exit(void)
{
	struct sluice_cg *e, *tmp;

	cancel_delayed_work_sync(&sluice_cg_work);
	mutex_lock(&sluice_cg_lock);
	list_for_each_entry_safe(e, tmp, &sluice_cg_list, node) {
		sluice_cg_unlink(e);
		call_rcu(&e->rcu, sluice_cg_free_rcu);
	}
	mutex_unlock(&sluice_cg_lock);
	/* The caller's rcu_barrier() waits for the frees. */
}
