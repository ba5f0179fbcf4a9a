// SPDX-License-Identifier: GPL-2.0
/*
 * sluice: live-connection accounting. Load, for the bounded-load
 * scheduler, is the number of live connections sluice assigned to a
 * backend. The NAT hook (nat.c) takes the load and hands the connection
 * here: a small sl_conn holding a reference on the conntrack entry and on
 * the backend, pushed lock-free on the namespace's conns_new list.
 *
 * A per-namespace delayed work (every SL_CONNS_GC_MS while anything is
 * tracked) moves new entries to its own list and releases -- load and
 * service total decremented, references dropped -- every connection that
 * has ended (below). Most connections are short: the young ones are looked
 * at every pass (50 ms). One live for SL_CONNS_YOUNG_PASSES (200 ms), or
 * dormant, moves to the old list, looked at every SL_CONNS_OLD_EVERY-th
 * pass (500 ms): a host with a million long-lived connections would
 * otherwise read every one of their entries 20 times a second. Its end
 * is noticed within 500 ms, and meanwhile counts as load (see
 * Documentation/services.md). A connection has ended when:
 *   - its conntrack entry is dying or expired;
 *   - it was never confirmed and nothing but us holds it (the packet that
 *     created it was dropped, or lost a clash): it never will be;
 *   - TCP only: it left the live states. Live are SYN_SENT, SYN_SENT2,
 *     SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT and LAST_ACK; TIME_WAIT
 *     and CLOSE are not load, since no data flows any more.
 * An entry in CLOSE is the exception: it can come back. After a reset
 * from the backend, conntrack lets a new SYN of the same tuple through as
 * "ignored", keeping the entry and its DNAT, and resynchronises it to
 * SYN_RECV when the backend answers (nf_conntrack_proto_tcp.c). So a
 * connection in CLOSE gives its load back but stays tracked, dormant,
 * until its entry goes (10 s at most by default); back in a live state it
 * takes its load again. Without that a client reusing its port after a
 * refused connection would have a live connection that counts nowhere.
 * For the same reason a backend or service deleted with KEEP stays parked
 * while it holds a connection, dormant ones included (sl_backend.held),
 * not only while it has load: one that comes back then counts on the
 * very backend its entry is translated to, added again or not.
 * The conntrack event notifier is not used: ctnetlink owns its only slot.
 *
 * Flushing a deleted backend kills its conntrack entries at once and
 * releases them; one whose first packet has not reached confirmation yet
 * is killed by the worker once it is confirmed. The namespace's exit
 * releases everything: held conntrack references would otherwise keep
 * conntrack's own exit waiting.
 *
 * Locking: sl_svc_net.conns_lock (a mutex) guards the worker's list; it
 * nests inside sluice_net.lock. The packet path only does llist_add().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <net/netfilter/nf_conntrack.h>

#include "sluice.h"
#include "service.h"

static struct kmem_cache *sl_conn_cache __read_mostly;

struct sl_conn *sl_conn_alloc(void)
{
	return kmem_cache_alloc(sl_conn_cache, GFP_ATOMIC);
}

void sl_conn_free(struct sl_conn *c)
{
	kmem_cache_free(sl_conn_cache, c);
}

/*
 * Track @ct, just assigned to @be whose load (and its service's total) the
 * scheduler took. Packet path: any context, under RCU.
 */
void sl_conns_track(struct sluice_net *sn, struct sl_conn *c,
		    struct nf_conn *ct, struct sl_backend *be)
{
	nf_conntrack_get(&ct->ct_general);
	refcount_inc(&be->ref);
	atomic_inc(&sn->svc.tracked[sl_family_idx(be->svc->family)]);
	atomic_inc(&be->held);
	atomic_inc(&be->svc->held);
	c->ct = ct;
	c->be = be;
	c->dormant = false;
	c->passes = 0;
	if (llist_add(&c->lnode, &sn->svc.conns_new))
		queue_delayed_work(sl_wq, &sn->svc.conns_gc,
				   msecs_to_jiffies(SL_CONNS_GC_MS));
}

/*
 * Give back one connection's load of @be and of its service, as the
 * scheduler took it (sl_table_pick()). Any context.
 */
void sl_load_put(struct sl_backend *be)
{
	atomic_dec(&be->load);
	atomic_dec(&be->svc->total);
}

/* A dormant connection came back (see the top): it is load again. */
static void sl_load_get(struct sl_backend *be)
{
	atomic_inc(&be->load);
	atomic_inc(&be->svc->total);
}

/* Give back the load of @c, unless dormant, and drop its references. */
static void sl_conn_release(struct sl_conn *c)
{
	struct sl_backend *be = c->be;
	struct sl_svc_net *sv = &be->svc->sn->svc;
	int fi = sl_family_idx(be->svc->family);
	struct nf_conn *ct = c->ct;

	if (!c->dormant)
		sl_load_put(be);
	/*
	 * What keeps a parked backend or service is its connections, dormant
	 * ones included: one that comes back must find the object it counts
	 * on still there (and the same one if its key was added again).
	 */
	if ((atomic_dec_and_test(&be->held) && READ_ONCE(be->parked)) |
	    (atomic_dec_and_test(&be->svc->held) && READ_ONCE(be->svc->parked)))
		sl_retired_gc_kick(be->svc->sn);
	/* A TCP entry that outlives its connection (TIME_WAIT, CLOSE) still
	 * needs translating, for as long as the namespace keeps such entries
	 * (written before tracked drops, for sl_hooks_put_idle()).
	 */
	if (nf_ct_protonum(ct) == IPPROTO_TCP && nf_ct_is_confirmed(ct) &&
	    !nf_ct_is_dying(ct))
		WRITE_ONCE(sv->nat_until[fi],
			   jiffies + sl_tcp_tw_timeout(nf_ct_net(ct)));
	/* The last one of its family: maybe the hooks can go. */
	if (atomic_dec_and_test(&sv->tracked[fi]))
		mod_delayed_work(sl_wq, &sv->hooks_gc, 0);
	nf_ct_put(c->ct);
	sl_backend_put(be);
	sl_conn_free(c);
}

/* Move what the packet path added to the worker's list. */
static void sl_conns_collect(struct sl_svc_net *sv)
{
	struct llist_node *first = llist_del_all(&sv->conns_new);
	struct sl_conn *c, *tmp;

	lockdep_assert_held(&sv->conns_lock);
	llist_for_each_entry_safe(c, tmp, first, lnode)
		list_add_tail(&c->list, &sv->conns);
}

enum { SL_CONN_ENDED, SL_CONN_LIVE, SL_CONN_CLOSED };

/* Where @ct stands: live (load), ended, or in TCP's CLOSE (see the top). */
static int sl_conn_state(const struct nf_conn *ct)
{
	unsigned int use = refcount_read(&ct->ct_general.use);

	/* The confirmed bit is set before the creating packet lets go of
	 * its reference: read the count first.
	 */
	smp_rmb();
	if (!nf_ct_is_confirmed(ct))
		return use > 1 ? SL_CONN_LIVE : SL_CONN_ENDED;
	if (nf_ct_is_dying(ct) || nf_ct_is_expired(ct))
		return SL_CONN_ENDED;
	if (nf_ct_protonum(ct) != IPPROTO_TCP)
		return SL_CONN_LIVE;
	switch (READ_ONCE(ct->proto.tcp.state)) {
	case TCP_CONNTRACK_SYN_SENT:
	case TCP_CONNTRACK_SYN_SENT2:
	case TCP_CONNTRACK_SYN_RECV:
	case TCP_CONNTRACK_ESTABLISHED:
	case TCP_CONNTRACK_FIN_WAIT:
	case TCP_CONNTRACK_CLOSE_WAIT:
	case TCP_CONNTRACK_LAST_ACK:
		return SL_CONN_LIVE;
	case TCP_CONNTRACK_CLOSE:
		return SL_CONN_CLOSED;
	default:
		return SL_CONN_ENDED;
	}
}

/*
 * Kill @c's conntrack entry if its backend was flushed and the entry is in
 * the table. An entry not yet confirmed is left alone: setting its dying
 * bit could race with its confirmation, which would put a dying entry in
 * the table that nothing ever deletes. Its first packet is between our
 * hook and confirmation; the next pass finds it confirmed (and kills it)
 * or dead (and releases it).
 */
static void sl_conn_flush_one(struct sl_conn *c)
{
	if (c->be->flushed && nf_ct_is_confirmed(c->ct))
		nf_ct_kill(c->ct);
}

/*
 * One pass over the connections of @list: kill those of flushed backends,
 * release those that ended; with @old_list, move to it the young ones
 * (@list is the young list) that have been live long enough or are
 * dormant.
 */
static void sl_conns_scan_list(struct list_head *list,
			       struct list_head *old_list)
{
	struct sl_conn *c, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(c, tmp, list, list) {
		sl_conn_flush_one(c);
		switch (sl_conn_state(c->ct)) {
		case SL_CONN_LIVE:
			if (c->dormant) {
				sl_load_get(c->be);
				c->dormant = false;
			}
			if (old_list && ++c->passes >= SL_CONNS_YOUNG_PASSES)
				list_move_tail(&c->list, old_list);
			break;
		case SL_CONN_CLOSED:
			if (!c->dormant) {
				sl_load_put(c->be);
				c->dormant = true;
			}
			if (old_list)
				list_move_tail(&c->list, old_list);
			break;
		default:
			list_del(&c->list);
			sl_conn_release(c);
		}
		if (!(++n & 1023))
			cond_resched();
	}
}

/*
 * One pass of the worker: over the young connections, and with @all or
 * at every SL_CONNS_OLD_EVERY-th pass over the old ones too (first, so
 * that those just moved are not looked at twice). Returns whether any
 * are left.
 */
static bool sl_conns_scan(struct sl_svc_net *sv, bool all)
{
	lockdep_assert_held(&sv->conns_lock);
	sl_conns_collect(sv);
	if (all || !(++sv->passes % SL_CONNS_OLD_EVERY))
		sl_conns_scan_list(&sv->conns_old, NULL);
	sl_conns_scan_list(&sv->conns, &sv->conns_old);
	return !list_empty(&sv->conns) || !list_empty(&sv->conns_old);
}

static void sl_conns_gc(struct work_struct *work)
{
	struct sl_svc_net *sv = container_of(to_delayed_work(work),
					     struct sl_svc_net, conns_gc);
	bool busy;

	mutex_lock(&sv->conns_lock);
	busy = sl_conns_scan(sv, false);
	mutex_unlock(&sv->conns_lock);
	if (busy)
		queue_delayed_work(sl_wq, &sv->conns_gc,
				   msecs_to_jiffies(SL_CONNS_GC_MS));
}

/*
 * Kill the conntrack entries of the backends just deleted with FLUSH
 * (sl_backend.flushed) and release them, in one pass however many
 * backends went. Must hold sn->lock, and a grace period must have passed
 * since those backends were last published, so that no packet is still
 * assigning to them.
 */
void sl_conns_flush(struct sluice_net *sn)
{
	struct sl_svc_net *sv = &sn->svc;

	lockdep_assert_held(&sn->lock);
	mutex_lock(&sv->conns_lock);
	sl_conns_scan(sv, true);
	mutex_unlock(&sv->conns_lock);
}

void sl_conns_net_init(struct sluice_net *sn)
{
	struct sl_svc_net *sv = &sn->svc;

	mutex_init(&sv->conns_lock);
	init_llist_head(&sv->conns_new);
	INIT_LIST_HEAD(&sv->conns);
	INIT_LIST_HEAD(&sv->conns_old);
	INIT_DELAYED_WORK(&sv->conns_gc, sl_conns_gc);
}

/*
 * Release every tracked connection. The hooks are unregistered already;
 * after a grace period no packet can add any more. A namespace that never
 * had them (most, on a host of containers) has nothing to wait for: a
 * grace period per namespace would slow every batch of namespace exits.
 */
void sl_conns_net_exit(struct sluice_net *sn)
{
	struct sl_svc_net *sv = &sn->svc;
	struct sl_conn *c, *tmp;
	unsigned int n = 0;

	if (sv->ever_hooked)
		synchronize_rcu();
	cancel_delayed_work_sync(&sv->conns_gc);
	mutex_lock(&sv->conns_lock);
	sl_conns_collect(sv);
	list_splice_init(&sv->conns_old, &sv->conns);
	list_for_each_entry_safe(c, tmp, &sv->conns, list) {
		list_del(&c->list);
		sl_conn_release(c);
		if (!(++n & 1023))
			cond_resched();
	}
	mutex_unlock(&sv->conns_lock);
	mutex_destroy(&sv->conns_lock);
}

int __init sl_conns_module_init(void)
{
	sl_conn_cache = KMEM_CACHE(sl_conn, 0);
	return sl_conn_cache ? 0 : -ENOMEM;
}

void sl_conns_module_exit(void)
{
	kmem_cache_destroy(sl_conn_cache);
}
