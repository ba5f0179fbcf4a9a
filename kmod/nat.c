// SPDX-License-Identifier: GPL-2.0
/*
 * sluice: the packet path. A NAT "chain" (as nftables' nat chains are)
 * registered with the NAT core at PRE_ROUTING and LOCAL_OUT, priority
 * NF_IP_PRI_NAT_DST, only in the namespaces that have services of the
 * family, or connections kept after their service went, or the TIME_WAIT
 * entries such connections left (service.h, sl_svc_net.hooked). The
 * NAT core calls it for a connection's first packet, before the
 * destination manipulation is set up; if the destination is a service,
 * it picks a backend with the service's scheduler and sets up DNAT to it
 * with nf_nat_setup_info(). Conntrack then translates every later packet,
 * the replies, ICMP errors and fragments; established connections never
 * move.
 *
 * Lock-free: runs under the RCU read side the netfilter core holds, reads
 * the service's published state, and the scheduler takes the load with
 * atomics only. A connection assigned here is handed to conns.c, which
 * releases its load when it ends.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/slab.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_nat.h>
#include <linux/sluice.h>

#include "sluice.h"
#include "compat.h"
#include "sched.h"
#include "service.h"

/* The key a service's affinity hashes: client address, and more. */
static u64 sl_key_hash(const struct sl_service *svc,
		       const struct sl_svc_state *st,
		       const struct nf_conntrack_tuple *t)
{
	u8 buf[2 * sizeof(union nf_inet_addr) + 2 * sizeof(__be16) + 1];
	u32 alen = svc->family == AF_INET ? 4 : 16;
	u32 len = alen;
	u8 aff = st->affinity;

	memcpy(buf, &t->src.u3, alen);
	if (aff != SLUICE_AFFINITY_SRC) {
		memcpy(buf + len, &t->src.u.all, 2);
		len += 2;
	}
	if (aff == SLUICE_AFFINITY_TUPLE) {
		memcpy(buf + len, &t->dst.u3, alen);
		len += alen;
		memcpy(buf + len, &t->dst.u.all, 2);
		len += 2;
		buf[len++] = t->dst.protonum;
	}
	return sl_hash(buf, len, st->seed);
}

/*
 * SLUICE_CMD_EVENT_BACKEND_FULL: @be, the first choice of a key of @svc,
 * was full. At most one a second per service, and only when someone
 * listens. Packet path (under RCU): atomic allocation, failures ignored.
 */
static void sl_event_full(struct net *net, struct sl_service *svc,
			  const struct sl_backend *be)
{
	unsigned long last = READ_ONCE(svc->full_event_at), now = jiffies;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (last && time_before(now, last + HZ))
		return;
	if (cmpxchg(&svc->full_event_at, last, now) != last)
		return;
	/* While the module unloads the family may be going. */
	if (!READ_ONCE(sl_genl_live) ||
	    !genl_has_listeners(&sluice_genl_family, net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = sluice_genl_put(msg, NULL, SLUICE_CMD_EVENT_BACKEND_FULL, 0);
	if (!hdr)
		goto fail;
	nest = nla_nest_start(msg, SLUICE_A_SERVICE);
	if (!nest || sl_put_svc_key(msg, svc))
		goto fail;
	nla_nest_end(msg, nest);
	nest = nla_nest_start(msg, SLUICE_A_BACKEND);
	if (!nest || sl_put_be_key(msg, svc, be))
		goto fail;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&sluice_genl_family, net, msg, 0, 0, GFP_ATOMIC);
	return;
fail:
	nlmsg_free(msg);
}

static unsigned int sl_nat_hook(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct sluice_net *sn = sluice_pernet(state->net);
	const struct nf_conntrack_tuple *t;
	struct nf_nat_range2 range = {};
	enum ip_conntrack_info ctinfo;
	struct sl_svc_state *st;
	struct sl_service *svc;
	struct sl_backend *be;
	struct sl_conn *c;
	struct nf_conn *ct;
	bool overflow = false;
	unsigned int ret;
	u64 hash;
	int i;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW)
		return NF_ACCEPT;
	t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	if (t->dst.protonum != IPPROTO_TCP && t->dst.protonum != IPPROTO_UDP)
		return NF_ACCEPT;
	svc = sl_svc_lookup_rcu(sn, state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6,
				t->dst.protonum, &t->dst.u3, t->dst.u.all);
	if (!svc)
		return NF_ACCEPT;
	/*
	 * A flow that began before this namespace had our hooks, and was
	 * never answered, still sends "new" packets, but its entry is
	 * confirmed: NAT can no longer be set up on it (nf_nat_setup_info()
	 * leaves confirmed entries alone). Balanced anyway, every packet
	 * would count one more connection and none would be translated. The
	 * entry goes instead; the flow's next packet (a resent datagram or
	 * SYN) makes a new one, which is balanced.
	 */
	if (unlikely(nf_ct_is_confirmed(ct))) {
		nf_ct_kill(ct);
		return NF_DROP;
	}

	st = rcu_dereference(svc->state);
	if (!st || !st->table)
		goto no_backend;
	/* Allocation failure is counted as "no backend" and survived: the
	 * packet is dropped and the client's retransmission tries again.
	 */
	c = sl_conn_alloc();
	if (!c)
		goto no_backend;
	hash = sl_key_hash(svc, st, t);
	i = sl_table_pick(st->table, hash, &svc->total, &overflow);
	if (i < 0 || i >= st->n) {
		sl_conn_free(c);
		goto no_backend;
	}
	be = st->be[i];
	if (overflow) {
		int first = sl_table_first(st->table, hash);

		atomic64_inc(&svc->overflows);
		if (first >= 0 && first < st->n) {
			atomic64_inc(&st->be[first]->overflows);
			sl_event_full(state->net, svc, st->be[first]);
		}
	}

	range.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	range.min_addr = be->addr;
	range.max_addr = be->addr;
	range.min_proto.all = be->port;
	range.max_proto.all = be->port;
	ret = nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
	if (ret != NF_ACCEPT) {
		/* Give back the load the scheduler took. */
		sl_load_put(be);
		sl_conn_free(c);
		return ret;
	}
	atomic64_inc(&be->conns);
	atomic64_inc(&svc->conns);
	sl_conns_track(sn, c, ct, be);
	return NF_ACCEPT;

no_backend:
	atomic64_inc(&svc->no_backend);
	return NF_DROP;
}

static const struct nf_hook_ops sl_nat_ops4[] = {
	{
		.hook		= sl_nat_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_NAT_DST,
	},
	{
		.hook		= sl_nat_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_NAT_DST,
	},
};

static const struct nf_hook_ops sl_nat_ops6[] = {
	{
		.hook		= sl_nat_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP6_PRI_NAT_DST,
	},
	{
		.hook		= sl_nat_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_NAT_DST,
	},
};

/*
 * The namespace gets its first service of @family: conntrack for the
 * family, and the two hooks. Must hold sn->lock.
 */
int sl_nat_register(struct sluice_net *sn, u16 family)
{
	u8 pf = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	const struct nf_hook_ops *ops = pf == NFPROTO_IPV4 ? sl_nat_ops4 :
							     sl_nat_ops6;
	struct net *net = sn->net;
	int err, i;

	lockdep_assert_held(&sn->lock);
	err = nf_ct_netns_get(net, pf);
	if (err)
		return err;
	for (i = 0; i < 2; i++) {
		err = pf == NFPROTO_IPV4 ?
		      nf_nat_ipv4_register_fn(net, &ops[i]) :
		      nf_nat_ipv6_register_fn(net, &ops[i]);
		if (err)
			goto unwind;
	}
	return 0;

unwind:
	while (--i >= 0) {
		if (pf == NFPROTO_IPV4)
			nf_nat_ipv4_unregister_fn(net, &ops[i]);
		else
			nf_nat_ipv6_unregister_fn(net, &ops[i]);
	}
	nf_ct_netns_put(net, pf);
	return err;
}

/* The namespace lost its last service of @family. Must hold sn->lock. */
void sl_nat_unregister(struct sluice_net *sn, u16 family)
{
	u8 pf = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	const struct nf_hook_ops *ops = pf == NFPROTO_IPV4 ? sl_nat_ops4 :
							     sl_nat_ops6;
	struct net *net = sn->net;
	int i;

	lockdep_assert_held(&sn->lock);
	for (i = 1; i >= 0; i--) {
		if (pf == NFPROTO_IPV4)
			nf_nat_ipv4_unregister_fn(net, &ops[i]);
		else
			nf_nat_ipv6_unregister_fn(net, &ops[i]);
	}
	nf_ct_netns_put(net, pf);
}

/*
 * Does the namespace still hold a translated TCP conntrack entry of
 * @family, alive? Such an entry (TIME_WAIT, mostly) still needs the NAT
 * core's hooks for its late packets. A walk of conntrack's table, a
 * bucket at a time under its lock (as ctnetlink's dump does: a resize of
 * the table takes every bucket lock, so that under one the table and its
 * size agree), stopping at the first entry found. Any translated entry
 * counts, sluice's or not: one that is not only keeps the hooks until
 * nat_until (service.h).
 */
bool sl_nat_entries_left(struct net *net, u16 family)
{
	u8 pf = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	struct nf_conntrack_tuple_hash *h;
	struct hlist_nulls_node *n;
	spinlock_t *lockp;
	struct nf_conn *ct;
	bool found = false;
	unsigned int i;

	for (i = 0; !found; i++) {
		lockp = &nf_conntrack_locks[i % CONNTRACK_LOCKS];
		local_bh_disable();
		nf_conntrack_lock(lockp);
		if (i >= nf_conntrack_htable_size) {
			spin_unlock(lockp);
			local_bh_enable();
			break;
		}
		hlist_nulls_for_each_entry(h, n, &nf_conntrack_hash[i], hnnode) {
			if (NF_CT_DIRECTION(h) != IP_CT_DIR_ORIGINAL)
				continue;
			ct = nf_ct_tuplehash_to_ctrack(h);
			if (!net_eq(nf_ct_net(ct), net) ||
			    nf_ct_l3num(ct) != pf ||
			    nf_ct_protonum(ct) != IPPROTO_TCP ||
			    !(READ_ONCE(ct->status) & IPS_DST_NAT) ||
			    nf_ct_is_dying(ct) || nf_ct_is_expired(ct))
				continue;
			found = true;
			break;
		}
		spin_unlock(lockp);
		local_bh_enable();
		if (!(i & 255))
			cond_resched();
	}
	return found;
}
