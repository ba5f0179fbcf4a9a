/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sluice: virtual services, their backends and the connections sluice
 * assigned to them. Shared by service.c (configuration), nat.c (the packet
 * path) and conns.c (live-connection accounting).
 *
 * Object lifetimes:
 *
 *   sl_service   in the namespace's list and hash while configured (one
 *                reference), then, deleted with KEEP, on its retired list
 *                (the same reference) while connections kept at its
 *                deletion live, and at least a grace period, for a packet
 *                that found it just before to assign its connection; each
 *                of its backends holds one more. Freed
 *                with kfree_rcu once the last reference goes, because the
 *                packet path finds it in the RCU hash without a reference.
 *   sl_backend   in its service's list while configured (one reference);
 *                every published sl_svc_state that lists it holds one, and
 *                so does every tracked connection (sl_conn). A deleted
 *                backend deleted with KEEP goes on its service's retired
 *                list (the same reference) until the last of its
 *                connections is released and a grace period has passed
 *                (start_poll_synchronize_rcu()): a packet that read the
 *                state from before its deletion may still assign one.
 *   sl_svc_state the immutable snapshot the packet path uses: the
 *                scheduler table and the backends it indexes. Replaced as a
 *                whole (rcu_assign_pointer) on every change, the old one
 *                freed after a grace period, in process context.
 *
 * Locking: configuration under sluice_net.lock (a mutex); tracked
 * connections under sl_svc_net.conns_lock (a mutex, taken after
 * sluice_net.lock when both are needed); the packet path under RCU only.
 */
#ifndef _SLUICE_SERVICE_H
#define _SLUICE_SERVICE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/netlink.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <linux/sluice.h>

struct sluice_net;
struct sl_table;
struct nf_conn;

/* Capacity limits (documented in Documentation/services.md). */
#define SL_SERVICES_MAX		1024	/* services per network namespace */
#define SL_SVC_HASH_BITS	8
/* Seed used when the user gives none: fixed, so that hosts agree. */
#define SL_SEED_DEFAULT		0x51c3e5edu
/* How often tracked connections are checked for their end. */
#define SL_CONNS_GC_MS		50
/* Live this many passes (200 ms), a connection is old (conns.c). */
#define SL_CONNS_YOUNG_PASSES	4
/* The old ones are looked at every this many passes (500 ms). */
#define SL_CONNS_OLD_EVERY	10
/* How soon after a delete its parked objects are looked at (sl_retired_gc) */
#define SL_RETIRED_GC_DELAY	(HZ / 10)

struct sl_service;

struct sl_backend {
	struct list_head list;		/* sl_service.backends; under lock */
	struct sl_service *svc;		/* holds a reference */
	refcount_t ref;
	union nf_inet_addr addr;
	__be16 port;
	u32 weight;			/* WRITE_ONCE under lock */
	u32 next_weight;		/* during a backend request, under
					 * lock: its weight after it, or
					 * SL_WEIGHT_GONE (service.c) */
	u64 id;				/* stable identity for the scheduler */
	bool flushed;			/* deleted with FLUSH: conns.c kills
					 * its entries; set under lock, read
					 * under conns_lock */

	atomic_t load;			/* live connections */
	atomic_t held;			/* tracked connections, live or
					 * dormant (conns.c): while any, a
					 * parked backend stays */
	atomic64_t conns;		/* assigned in total */
	atomic64_t overflows;		/* first choice of a key, was full */
	unsigned long gp;		/* retired: start_poll_synchronize_rcu()
					 * when it was */
	bool parked;			/* on the retired list; WRITE_ONCE
					 * under lock, read by conns.c */
	struct rcu_head rcu;
};

/* What the packet path reads; immutable once published. */
struct sl_svc_state {
	struct sl_table *table;		/* NULL when no backend */
	u32 seed;			/* the service's, for the key hash */
	u8 affinity;			/* enum sluice_affinity */
	u32 n;
	struct rcu_work rwork;		/* freeing, after a grace period */
	struct sl_backend *be[];	/* each holds a reference */
};

/* The options of a service, as configured. */
struct sl_svc_opts {
	u8 sched;			/* enum sluice_sched */
	u8 affinity;			/* enum sluice_affinity */
	u8 on_delete;			/* enum sluice_on_delete */
	u32 balance_milli;
	u32 seed;
	u32 table_size;
};

struct sl_service {
	struct hlist_node hnode;	/* sl_svc_net.hash; RCU */
	struct list_head list;		/* sl_svc_net.services, or .retired
					 * once deleted; under lock */
	struct sluice_net *sn;
	refcount_t ref;

	/* key */
	u16 family;			/* AF_INET, AF_INET6 */
	u8 proto;			/* IPPROTO_TCP, IPPROTO_UDP */
	__be16 port;
	union nf_inet_addr addr;

	struct sl_svc_opts opts;	/* under lock; the packet path reads
					 * its copy in state */

	struct list_head backends;	/* under lock */
	u32 nbackends;
	/*
	 * Backends deleted with KEEP, each holding the list's reference,
	 * so that one added again while its connections live is the same
	 * backend, its load included: its kept connections count towards
	 * its cap. Those that hold no connection (held, dormant ones
	 * included) a grace period after their deletion are dropped by
	 * sl_retired_gc() soon after, or at the service's next backend
	 * request. Under lock.
	 */
	struct list_head retired;
	struct sl_svc_state __rcu *state;
	u32 be_gen;			/* sl_svc_net.gen at the last change
					 * of either list; under lock */

	/* counters */
	atomic_t total;			/* live connections, all backends */
	atomic_t held;			/* tracked, live or dormant: while
					 * any, a parked service stays */
	atomic64_t conns;
	atomic64_t overflows;
	atomic64_t no_backend;
	unsigned long full_event_at;	/* jiffies of the last BACKEND_FULL */
	unsigned long gp;		/* retired: start_poll_synchronize_rcu()
					 * when it was */
	bool parked;			/* on the retired list; WRITE_ONCE
					 * under lock, read by conns.c */
	struct rcu_head rcu;
};

/* A connection sluice assigned: a reference on its conntrack entry and
 * on its backend, released when the entry dies or stops being live.
 */
struct sl_conn {
	union {
		struct llist_node lnode;	/* sl_svc_net.conns_new */
		struct list_head list;		/* sl_svc_net.conns */
	};
	struct nf_conn *ct;
	struct sl_backend *be;
	bool dormant;	/* in CLOSE: its load given back, it may come back */
	u8 passes;	/* worker passes seen live while young */
};

/* Per network namespace part of services, embedded in struct sluice_net. */
struct sl_svc_net {
	struct hlist_head hash[1 << SL_SVC_HASH_BITS];	/* RCU */
	struct list_head services;	/* under lock, in creation order */
	/*
	 * Services deleted with KEEP, each holding the list's reference,
	 * with their backends on their own retired lists: one created again
	 * while its connections live is the same service, its live total
	 * and its backends' loads included. Those whose total is 0 a grace
	 * period after their deletion are dropped by sl_retired_gc() soon
	 * after, at the next service add or delete, or when the last
	 * tracked connection of a family goes. Under lock.
	 */
	struct list_head retired;
	u32 nservices;
	u32 nfamily[2];			/* services per family: [0] v4, [1] v6 */
	/*
	 * The NAT hooks of a family stay registered while the family has
	 * services or tracked connections: a connection kept after its
	 * service is gone still needs the NAT core's hooks. So do the
	 * TIME_WAIT entries of connections that ended: a late FIN or ACK
	 * must still be translated. They stay while translated TCP entries
	 * remain in the namespace (sl_nat_entries_left()), but not past
	 * nat_until (jiffies: the last release of a TCP connection whose
	 * entry lives on, plus the namespace's TIME_WAIT timeout): a
	 * TIME_WAIT entry whose timer a late packet re-armed after that
	 * release may outlive it, and its packets then go untranslated.
	 */
	bool hooked[2];			/* under lock */
	bool ever_hooked;		/* under lock; read at exit */
	atomic_t tracked[2];		/* tracked connections per family */
	unsigned long nat_until[2];	/* written by the conns worker */
	struct delayed_work hooks_gc;	/* unregisters hooks no longer used */
	struct delayed_work retired_gc;	/* drops what deletes parked */
	u32 gen;			/* bumped on every change, for dumps */

	struct mutex conns_lock;
	struct llist_head conns_new;	/* added by the packet path */
	struct list_head conns;		/* young; under conns_lock */
	struct list_head conns_old;	/* old and dormant; under conns_lock */
	u32 passes;			/* of the worker; under conns_lock */
	struct delayed_work conns_gc;
};

/* service.c */
int sl_svc_module_init(void);
void sl_svc_module_exit(void);
int sl_svc_net_init(struct sluice_net *sn);
void sl_svc_net_exit(struct sluice_net *sn);
struct sl_service *sl_svc_lookup_rcu(struct sluice_net *sn, u16 family,
				     u8 proto, const union nf_inet_addr *addr,
				     __be16 port);
void sl_backend_put(struct sl_backend *be);
int sl_put_svc_key(struct sk_buff *msg, const struct sl_service *svc);
int sl_put_be_key(struct sk_buff *msg, const struct sl_service *svc,
		  const struct sl_backend *be);
int sl_nl_svc_new(struct sk_buff *skb, struct genl_info *info);
int sl_nl_svc_set(struct sk_buff *skb, struct genl_info *info);
int sl_nl_svc_del(struct sk_buff *skb, struct genl_info *info);
int sl_nl_svc_get(struct sk_buff *skb, struct genl_info *info);
int sl_nl_svc_dump(struct sk_buff *skb, struct netlink_callback *cb);
int sl_nl_be_new(struct sk_buff *skb, struct genl_info *info);
int sl_nl_be_set(struct sk_buff *skb, struct genl_info *info);
int sl_nl_be_del(struct sk_buff *skb, struct genl_info *info);
int sl_nl_be_replace(struct sk_buff *skb, struct genl_info *info);
int sl_nl_be_dump(struct sk_buff *skb, struct netlink_callback *cb);

void sl_hooks_put_unused(struct sluice_net *sn);
void sl_retired_gc_kick(struct sluice_net *sn);
static inline int sl_family_idx(u16 family)
{
	return family == AF_INET6;
}

/* The namespace's conntrack TIME_WAIT timeout, in jiffies. */
static inline unsigned long sl_tcp_tw_timeout(struct net *net)
{
	return READ_ONCE(nf_tcp_pernet(net)->timeouts[TCP_CONNTRACK_TIME_WAIT]);
}

/* nat.c */
int sl_nat_register(struct sluice_net *sn, u16 family);
void sl_nat_unregister(struct sluice_net *sn, u16 family);
bool sl_nat_entries_left(struct net *net, u16 family);

/* conns.c */
int sl_conns_module_init(void);
void sl_conns_module_exit(void);
void sl_conns_net_init(struct sluice_net *sn);
void sl_conns_net_exit(struct sluice_net *sn);
struct sl_conn *sl_conn_alloc(void);
void sl_conn_free(struct sl_conn *c);
void sl_load_put(struct sl_backend *be);
void sl_conns_track(struct sluice_net *sn, struct sl_conn *c,
		    struct nf_conn *ct, struct sl_backend *be);
void sl_conns_flush(struct sluice_net *sn);

extern struct workqueue_struct *sl_wq;
extern const struct nla_policy sluice_svc_policy[SLUICE_SVC_A_MAX + 1];
extern const struct nla_policy sluice_be_policy[SLUICE_BE_A_MAX + 1];

#endif /* _SLUICE_SERVICE_H */
