// SPDX-License-Identifier: GPL-2.0
/*
 * sluice: virtual services and their backends, per network namespace.
 *
 * A service is keyed by (protocol, family, VIP, port) and lives in the
 * namespace's RCU hash (for the packet path) and list (for configuration
 * and dumps). Every change builds a complete new sl_svc_state -- the
 * scheduler's table and the backend array it indexes -- outside any RCU
 * read side, then publishes it with rcu_assign_pointer(); the old one is
 * freed after a grace period from a work item (tables can be large).
 *
 * Every netlink request is validated in full before anything is
 * allocated, and allocated in full before anything is changed, so that a
 * refused request changes nothing.
 *
 * Locking: sluice_net.lock (a mutex) for every change and for dumps; the
 * packet path only reads RCU-published pointers (nat.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <linux/sluice.h>

#include "sluice.h"
#include "compat.h"
#include "sched.h"
#include "service.h"

struct workqueue_struct *sl_wq;

/* The numbers the error messages quote. */
static_assert(SL_MAGLEV_MIN_SIZE == 251 && SL_MAGLEV_MAX_SIZE == 1048573);

/* Capacity limits; lowering them at run time affects new objects only. */
static unsigned int services_max = SL_SERVICES_MAX;
module_param(services_max, uint, 0644);
MODULE_PARM_DESC(services_max, "services per network namespace (default 1024)");
static unsigned int backends_max = SL_BACKENDS_MAX;
module_param(backends_max, uint, 0644);
MODULE_PARM_DESC(backends_max, "backends per service (default and at most 16384)");

/* The key of a service or a backend, as parsed from a request. */
struct sl_key {
	u16 family;
	u8 proto;
	__be16 port;
	union nf_inet_addr addr;
};

static struct sl_svc_net *sl_sv(struct sluice_net *sn)
{
	return &sn->svc;
}

/*
 * @svc's backends or kept backends changed (or it is new): a dump of them
 * taken across this is interrupted, one of another service's is not.
 * Must hold sn->lock.
 */
static void sl_svc_bes_changed(struct sl_service *svc)
{
	lockdep_assert_held(&svc->sn->lock);
	svc->be_gen = ++svc->sn->svc.gen;
}

static u32 sl_svc_hashfn(u16 family, u8 proto,
			 const union nf_inet_addr *addr, __be16 port)
{
	return jhash2(addr->all, ARRAY_SIZE(addr->all),
		      ((u32)family << 24) ^ ((u32)proto << 16) ^
		      (__force u32)port) & ((1 << SL_SVC_HASH_BITS) - 1);
}

static bool sl_svc_match(const struct sl_service *svc, u16 family, u8 proto,
			 const union nf_inet_addr *addr, __be16 port)
{
	return svc->port == port && svc->proto == proto &&
	       svc->family == family &&
	       nf_inet_addr_cmp(&svc->addr, addr);
}

/* The packet path's lookup. Must hold rcu_read_lock(). */
struct sl_service *sl_svc_lookup_rcu(struct sluice_net *sn, u16 family,
				     u8 proto, const union nf_inet_addr *addr,
				     __be16 port)
{
	struct sl_svc_net *sv = sl_sv(sn);
	struct sl_service *svc;
	u32 h = sl_svc_hashfn(family, proto, addr, port);

	hlist_for_each_entry_rcu(svc, &sv->hash[h], hnode)
		if (sl_svc_match(svc, family, proto, addr, port))
			return svc;
	return NULL;
}

/* The service at @k on @list (services or retired). Must hold sn->lock. */
static struct sl_service *sl_svc_find_on(struct sluice_net *sn,
					 struct list_head *list,
					 const struct sl_key *k)
{
	struct sl_service *svc;

	lockdep_assert_held(&sn->lock);
	list_for_each_entry(svc, list, list)
		if (sl_svc_match(svc, k->family, k->proto, &k->addr, k->port))
			return svc;
	return NULL;
}

static struct sl_service *sl_svc_find(struct sluice_net *sn,
				      const struct sl_key *k)
{
	return sl_svc_find_on(sn, &sl_sv(sn)->services, k);
}

/* The retired service at @k, or NULL. */
static struct sl_service *sl_svc_find_retired(struct sluice_net *sn,
					      const struct sl_key *k)
{
	return sl_svc_find_on(sn, &sl_sv(sn)->retired, k);
}

/*
 * Is a parked object with grace-period cookie @gp and @count connections
 * (its held: live or dormant, conns.c) spent: can no packet still be
 * assigning a connection to it (the grace
 * period has passed), and have all of its connections ended? The grace
 * period is looked at first: poll_state_synchronize_rcu() orders the read
 * of the count after it, so an increment by a packet of before the delete
 * cannot slip in between.
 */
static bool sl_parked_spent(unsigned long gp, const atomic_t *count)
{
	return poll_state_synchronize_rcu(gp) && !atomic_read(count);
}

/*
 * Is a parked object that is being configured again (its key added back)
 * without connections? If its count reads 0, any packet of before its
 * delete is waited for first (only an add that follows the delete within a
 * grace period waits), so that none can still assign one to it. Must hold
 * sn->lock (it may sleep).
 */
static bool sl_parked_idle(unsigned long gp, const atomic_t *count)
{
	if (atomic_read(count))
		return false;
	cond_synchronize_rcu(gp);
	return !atomic_read(count);
}

/*
 * Drop the retired backends of @svc that are spent (sl_parked_spent()).
 * Returns whether some without connections wait for their grace period.
 * Must hold sn->lock.
 */
static bool sl_svc_prune_retired(struct sl_service *svc)
{
	struct sl_backend *be, *tmp;
	bool waiting = false;

	lockdep_assert_held(&svc->sn->lock);
	list_for_each_entry_safe(be, tmp, &svc->retired, list) {
		cond_resched();
		if (!sl_parked_spent(be->gp, &be->held)) {
			waiting |= !atomic_read(&be->held);
			continue;
		}
		list_del(&be->list);
		sl_backend_put(be);
		sl_svc_bes_changed(svc);	/* dumps list the retired ones */
	}
	return waiting;
}

/*
 * Put @be, off its service's backends and out of every published state, on
 * the retired list (KEEP: if it comes back, its connections are its load),
 * with @gp, the grace period (start_poll_synchronize_rcu()) after which no
 * packet that read a state listing it can still be assigning to it: it is
 * dropped once that has passed and it holds no connection (sl_svc_prune_retired(),
 * from sl_retired_gc() at the latest: the caller kicks it, and so does the
 * release of its last connection). Reading its load now would miss such
 * a connection. Must hold sn->lock.
 */
static void sl_be_park(struct sl_service *svc, struct sl_backend *be,
		       unsigned long gp)
{
	lockdep_assert_held(&svc->sn->lock);
	be->gp = gp;
	WRITE_ONCE(be->parked, true);
	list_add(&be->list, &svc->retired);
	sl_svc_bes_changed(svc);	/* dumps list the retired ones */
}

/*
 * Have sl_retired_gc() look at what deletes parked, soon: after a delete,
 * and when the last connection of a parked backend or service ends
 * (conns.c). Any context.
 */
void sl_retired_gc_kick(struct sluice_net *sn)
{
	queue_delayed_work(sl_wq, &sn->svc.retired_gc, SL_RETIRED_GC_DELAY);
}

static void sl_svc_put(struct sl_service *svc)
{
	if (refcount_dec_and_test(&svc->ref))
		kfree_rcu(svc, rcu);
}

/*
 * Take @be out of service: it is off its list already and no published
 * state lists it. With FLUSH its conntrack entries are to go (the caller
 * runs sl_conns_flush() once it has retired all it deletes); with KEEP
 * they go on, and the backend with them. Drops the list's reference.
 * Must hold sn->lock.
 */
static void sl_be_retire(struct sluice_net *sn, struct sl_backend *be,
			 bool flush)
{
	lockdep_assert_held(&sn->lock);
	be->flushed = flush;
	sl_backend_put(be);
}

/* Retire every backend on @svc's retired list, as sl_be_retire(). */
static void sl_svc_drop_retired(struct sluice_net *sn, struct sl_service *svc,
				bool flush)
{
	struct sl_backend *be, *tmp;

	lockdep_assert_held(&sn->lock);
	list_for_each_entry_safe(be, tmp, &svc->retired, list) {
		list_del(&be->list);
		sl_be_retire(sn, be, flush);
	}
}

/*
 * Take out of service the backends on @gone, off @svc's list and out of
 * its published state already: with @flush, retired, their connections
 * flushed, once no packet can still be assigning to them (which waits a
 * grace period: returns true); otherwise parked. Must hold sn->lock.
 */
static bool sl_be_dispose(struct sluice_net *sn, struct sl_service *svc,
			  struct list_head *gone, bool flush)
{
	struct sl_backend *be, *tmp;
	unsigned long gp = 0;

	lockdep_assert_held(&sn->lock);
	if (list_empty(gone))
		return false;
	if (flush)
		synchronize_rcu();
	else
		gp = start_poll_synchronize_rcu();
	list_for_each_entry_safe(be, tmp, gone, list) {
		list_del(&be->list);
		if (flush)
			sl_be_retire(sn, be, true);
		else
			sl_be_park(svc, be, gp);
	}
	if (flush)
		sl_conns_flush(sn);
	else
		sl_retired_gc_kick(sn);
	return flush;
}

/* Drop the retired service @svc and its retired backends. */
static void sl_svc_drop(struct sluice_net *sn, struct sl_service *svc)
{
	lockdep_assert_held(&sn->lock);
	list_del(&svc->list);
	sl_sv(sn)->gen++;	/* dumps list the retired ones */
	sl_svc_drop_retired(sn, svc, false);
	sl_svc_put(svc);
}

/*
 * Drop the retired services that are spent (sl_parked_spent()), or @all
 * of them. Returns whether some without connections wait for their grace
 * period. Must hold sn->lock.
 */
static bool sl_svcs_prune_retired(struct sluice_net *sn, bool all)
{
	struct sl_service *svc, *tmp;
	bool waiting = false;

	lockdep_assert_held(&sn->lock);
	list_for_each_entry_safe(svc, tmp, &sl_sv(sn)->retired, list) {
		cond_resched();
		if (!all && !sl_parked_spent(svc->gp, &svc->held)) {
			waiting |= !atomic_read(&svc->held);
			continue;
		}
		sl_svc_drop(sn, svc);
	}
	return waiting;
}

/*
 * The retired service at @k, taken off the retired list with the list's
 * reference, if connections kept at its deletion live; NULL otherwise
 * (one without them is dropped: the service comes back new). One deleted
 * less than a grace period ago is waited for first (cond_synchronize_rcu():
 * only a delete followed at once by an add of the same key waits), so
 * that a connection a packet of before the delete assigns to it is
 * counted. Must hold sn->lock.
 */
static struct sl_service *sl_svc_unretire(struct sluice_net *sn,
					  const struct sl_key *k)
{
	struct sl_service *svc = sl_svc_find_retired(sn, k);

	if (!svc)
		return NULL;
	if (sl_parked_idle(svc->gp, &svc->held)) {
		sl_svc_drop(sn, svc);
		return NULL;
	}
	list_del(&svc->list);
	WRITE_ONCE(svc->parked, false);
	return svc;
}

void sl_backend_put(struct sl_backend *be)
{
	if (refcount_dec_and_test(&be->ref)) {
		sl_svc_put(be->svc);
		kfree_rcu(be, rcu);
	}
}

/* ---- states --------------------------------------------------------- */

static void sl_state_free_work(struct work_struct *work)
{
	struct sl_svc_state *st = container_of(to_rcu_work(work),
					       struct sl_svc_state, rwork);
	u32 i;

	if (st->table)
		sl_table_free(st->table);
	for (i = 0; i < st->n; i++)
		sl_backend_put(st->be[i]);
	kvfree(st);
}

/* Free @st once no packet can see it any more. */
static void sl_state_retire(struct sl_svc_state *st)
{
	if (!st)
		return;
	INIT_RCU_WORK(&st->rwork, sl_state_free_work);
	queue_rcu_work(sl_wq, &st->rwork);
}

/*
 * Build the state for backends @be[0..n) with weights @w (the new weights,
 * which may differ from be[i]->weight for a backend being changed). Takes
 * a reference on every backend. May sleep; ERR_PTR on failure.
 */
static struct sl_svc_state *sl_state_build(const struct sl_svc_opts *o,
					   struct sl_backend **be,
					   const u32 *w, u32 n)
{
	struct sl_sched_params p = {
		.kind = o->sched == SLUICE_SCHED_MAGLEV ? SL_SCHED_MAGLEV :
							  SL_SCHED_CHBL,
		.seed = o->seed,
		.balance_milli = o->balance_milli,
		.maglev_size = o->table_size,
	};
	struct sl_sched_backend *sb = NULL;
	struct sl_svc_state *st;
	struct sl_table *t = NULL;
	u32 i;

	st = kvzalloc(struct_size(st, be, n), SL_GFP_CONF);
	if (!st)
		return ERR_PTR(-ENOMEM);
	if (n) {
		sb = kvcalloc(n, sizeof(*sb), SL_GFP_CONF);
		if (!sb) {
			kvfree(st);
			return ERR_PTR(-ENOMEM);
		}
		for (i = 0; i < n; i++) {
			sb[i].id = be[i]->id;
			sb[i].weight = w[i];
			sb[i].load = &be[i]->load;
		}
		t = sl_table_build(&p, sb, n);
		kvfree(sb);
		if (IS_ERR(t)) {
			kvfree(st);
			return ERR_CAST(t);
		}
	}
	st->table = t;
	st->seed = o->seed;
	st->affinity = o->affinity;
	st->n = n;
	for (i = 0; i < n; i++) {
		refcount_inc(&be[i]->ref);
		st->be[i] = be[i];
	}
	return st;
}

/* ---- backend requests ----------------------------------------------- */

#define SL_WEIGHT_UNSET	U32_MAX
/* sl_backend.next_weight of a backend a request takes out */
#define SL_WEIGHT_GONE	(U32_MAX - 1)
static_assert(SL_WEIGHT_GONE > SL_WEIGHT_MAX);

/* One backend named by a BACKEND_NEW, _SET or _DEL request. */
struct sl_be_req {
	u16 family;
	__be16 port;
	union nf_inet_addr addr;
	u32 weight;		/* SL_WEIGHT_UNSET: the request gave none */
	struct nlattr *nest;	/* its nest in the request, for messages */
	struct sl_backend *be;	/* the backend at this key, once resolved */
	bool fresh;		/* @be was allocated by this request */
	bool retired;		/* @be is taken back from the retired list */
};

/* Order of the keys of a request's backends (sort(), bsearch()). */
static int sl_be_req_cmp(const void *a, const void *b)
{
	const struct sl_be_req *x = a, *y = b;
	int d;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	d = memcmp(&x->addr, &y->addr, sizeof(x->addr));
	if (d)
		return d;
	return memcmp(&x->port, &y->port, sizeof(x->port));
}

/* The entry for @be among @r[0..n), sorted by sl_be_req_cmp(), or NULL. */
static struct sl_be_req *sl_be_req_find(struct sl_be_req *r, u32 n,
					const struct sl_backend *be)
{
	struct sl_be_req k = {
		.family = be->svc->family,
		.port = be->port,
		.addr = be->addr,
	};

	return bsearch(&k, r, n, sizeof(*r), sl_be_req_cmp);
}

/* What a change does to the backends named by a request. */
enum sl_be_op {
	SL_BE_ADD,	/* appended, with their weights */
	SL_BE_SET,	/* their weights, where given, replace the current */
	SL_BE_DEL,	/* left out */
	SL_BE_REPLACE,	/* they, with their weights, and no other */
};

/*
 * Build the state of @svc as it will be after a change. With @pending,
 * that of a backend request: the service's backends with their
 * next_weight (sl_be_reqs_resolve()), those it takes out left out, then
 * those of @r[0..n) it adds (fresh or taken back). Without, the backends
 * as they are (the service's options change). Must hold sn->lock. Out of
 * memory (the requester's cgroup's, SL_GFP_CONF), it says so in @extack.
 */
static struct sl_svc_state *sl_svc_state_next(struct sl_service *svc,
					      const struct sl_svc_opts *o,
					      bool pending,
					      const struct sl_be_req *r, u32 n,
					      struct netlink_ext_ack *extack)
{
	u32 cap = svc->nbackends + n + 1;
	struct sl_svc_state *st;
	struct sl_backend **arr, *be;
	u32 *w, k = 0, i, wt;

	lockdep_assert_held(&svc->sn->lock);
	arr = kvmalloc_array(cap, sizeof(*arr), SL_GFP_CONF);
	w = kvmalloc_array(cap, sizeof(*w), SL_GFP_CONF);
	if (!arr || !w) {
		st = ERR_PTR(-ENOMEM);
		goto out;
	}
	list_for_each_entry(be, &svc->backends, list) {
		wt = pending ? be->next_weight : be->weight;
		if (wt == SL_WEIGHT_GONE)
			continue;
		arr[k] = be;
		w[k++] = wt;
	}
	for (i = 0; pending && i < n; i++) {
		if (!r[i].fresh && !r[i].retired)
			continue;
		arr[k] = r[i].be;
		w[k++] = r[i].weight;
	}
	st = sl_state_build(o, arr, w, k);
out:
	kvfree(arr);
	kvfree(w);
	if (st == ERR_PTR(-ENOMEM))
		NL_SET_ERR_MSG(extack,
			       "not enough memory for the service's scheduler table");
	else if (IS_ERR(st))
		/* what the checks before leave: two ids alike (sched.c) */
		NL_SET_ERR_MSG(extack,
			       "two backends hash to one 64-bit identity: this set cannot be balanced");
	return st;
}

/* Publish @st for @svc and retire the old state. Must hold sn->lock. */
static void sl_svc_publish(struct sl_service *svc, struct sl_svc_state *st)
{
	struct sl_svc_state *old;

	old = rcu_replace_pointer(svc->state, st,
				  lockdep_is_held(&svc->sn->lock));
	sl_state_retire(old);
}

/* ---- parsing ---------------------------------------------------------- */

static int sl_parse_addr(struct nlattr *a, u16 family, union nf_inet_addr *addr,
			 struct netlink_ext_ack *extack)
{
	int len = family == AF_INET ? 4 : 16;

	if (nla_len(a) != len) {
		if (family == AF_INET)
			NL_SET_ERR_MSG_ATTR(extack, a, "an IPv4 address is 4 bytes");
		else
			NL_SET_ERR_MSG_ATTR(extack, a, "an IPv6 address is 16 bytes");
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	nla_memcpy(addr, a, len);
	/*
	 * A connection has one peer: an unspecified, broadcast or
	 * multicast address is no VIP (its datagrams go to many, and a
	 * bridge's netfilter warns of the reference we would hold on
	 * them) and no backend.
	 */
	if (family == AF_INET ?
	    addr->ip == 0 || ipv4_is_lbcast(addr->ip) ||
	    ipv4_is_multicast(addr->ip) :
	    ipv6_addr_any(&addr->in6) ||
	    ipv6_addr_is_multicast(&addr->in6)) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "not a unicast address (unspecified, broadcast or multicast)");
		return -EINVAL;
	}
	return 0;
}

static int sl_parse_family(struct nlattr *a, u16 *family,
			   struct netlink_ext_ack *extack)
{
	*family = nla_get_u16(a);
	if (*family != AF_INET && *family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, a, "family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	return 0;
}

/*
 * SLUICE_A_SERVICE of a request's @attrs, parsed into @tb, and its key into
 * @k. With @key_only (requests that name a service but set none of its
 * options), an option is refused rather than ignored.
 */
static int sl_parse_svc_key_attrs(struct nlattr **attrs, struct nlattr **tb,
				  struct sl_key *k, bool key_only,
				  struct netlink_ext_ack *extack)
{
	struct nlattr *nest = attrs[SLUICE_A_SERVICE];
	int err;

	if (NL_REQ_ATTR_CHECK(extack, NULL, attrs, SLUICE_A_SERVICE))
		return -EINVAL;
	err = nla_parse_nested(tb, SLUICE_SVC_A_MAX, nest, sluice_svc_policy,
			       extack);
	if (err)
		return err;
	if (key_only) {
		err = sluice_nl_refuse_settings(tb, SLUICE_SVC_A_SCHED,
						SLUICE_SVC_A_ON_DELETE,
						"only the service's key is expected: its options are set by service requests",
						extack);
		if (err)
			return err;
	}
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, SLUICE_SVC_A_PROTO) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, SLUICE_SVC_A_FAMILY) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, SLUICE_SVC_A_ADDR) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, SLUICE_SVC_A_PORT))
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	k->proto = nla_get_u8(tb[SLUICE_SVC_A_PROTO]);
	if (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SLUICE_SVC_A_PROTO],
				    "protocol must be TCP or UDP");
		return -EINVAL;
	}
	err = sl_parse_family(tb[SLUICE_SVC_A_FAMILY], &k->family, extack);
	if (err)
		return err;
	err = sl_parse_addr(tb[SLUICE_SVC_A_ADDR], k->family, &k->addr, extack);
	if (err)
		return err;
	k->port = htons(nla_get_u16(tb[SLUICE_SVC_A_PORT]));
	return 0;
}

static int sl_parse_svc_key(struct genl_info *info, struct nlattr **tb,
			    struct sl_key *k, bool key_only)
{
	return sl_parse_svc_key_attrs(info->attrs, tb, k, key_only,
				      info->extack);
}

/* The optional attributes of @tb over @o (defaults or current values). */
static int sl_parse_svc_opts(struct nlattr **tb, struct sl_svc_opts *o,
			     struct netlink_ext_ack *extack)
{
	struct sl_sched_params p;
	struct nlattr *a;

	if (tb[SLUICE_SVC_A_SCHED])
		o->sched = nla_get_u8(tb[SLUICE_SVC_A_SCHED]);
	if (tb[SLUICE_SVC_A_AFFINITY])
		o->affinity = nla_get_u8(tb[SLUICE_SVC_A_AFFINITY]);
	if (tb[SLUICE_SVC_A_ON_DELETE])
		o->on_delete = nla_get_u8(tb[SLUICE_SVC_A_ON_DELETE]);
	if (tb[SLUICE_SVC_A_SEED])
		o->seed = nla_get_u32(tb[SLUICE_SVC_A_SEED]);

	a = tb[SLUICE_SVC_A_BALANCE];
	if (a) {
		o->balance_milli = nla_get_u32(a);
		if (o->balance_milli < SL_BALANCE_MIN_MILLI) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "balance factor must be greater than 1");
			return -ERANGE;
		}
		if (o->balance_milli > SL_BALANCE_MAX_MILLI) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "balance factor is at most 100");
			return -ERANGE;
		}
	}
	a = tb[SLUICE_SVC_A_TABLE_SIZE];
	if (a) {
		o->table_size = nla_get_u32(a);
		if (o->table_size < SL_MAGLEV_MIN_SIZE ||
		    o->table_size > SL_MAGLEV_MAX_SIZE) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "table size must be within 251..1048573");
			return -ERANGE;
		}
		if (!sl_prime(o->table_size)) {
			NL_SET_ERR_MSG_ATTR(extack, a, "table size must be prime");
			return -EINVAL;
		}
	}

	p.kind = o->sched == SLUICE_SCHED_MAGLEV ? SL_SCHED_MAGLEV : SL_SCHED_CHBL;
	p.seed = o->seed;
	p.balance_milli = o->balance_milli;
	p.maglev_size = o->table_size;
	if (sl_params_check(&p)) {
		NL_SET_ERR_MSG(extack, "the scheduler refuses these parameters");
		return -EINVAL;
	}
	return 0;
}

/* The SLUICE_A_BACKEND nest @nest into @r. */
static int sl_parse_be_nest(struct nlattr *nest, struct sl_be_req *r,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SLUICE_BE_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, SLUICE_BE_A_MAX, nest, sluice_be_policy,
			       extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, SLUICE_BE_A_FAMILY) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, SLUICE_BE_A_ADDR) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, SLUICE_BE_A_PORT))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->nest = nest;
	err = sl_parse_family(tb[SLUICE_BE_A_FAMILY], &r->family, extack);
	if (err)
		return err;
	err = sl_parse_addr(tb[SLUICE_BE_A_ADDR], r->family, &r->addr, extack);
	if (err)
		return err;
	r->port = htons(nla_get_u16(tb[SLUICE_BE_A_PORT]));
	r->weight = SL_WEIGHT_UNSET;
	if (tb[SLUICE_BE_A_WEIGHT]) {
		r->weight = nla_get_u32(tb[SLUICE_BE_A_WEIGHT]);
		if (r->weight > SL_WEIGHT_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, tb[SLUICE_BE_A_WEIGHT],
					    "weight must be within 0..65535");
			return -ERANGE;
		}
	}
	return 0;
}

/*
 * The backends of @info -- its SLUICE_A_BACKEND attributes, one or more,
 * or none if @none_ok (the policy checked each; info->attrs holds only
 * the last) -- parsed
 * into a new array sorted by key (kvfree() it), their number in @np. A
 * key listed twice is refused.
 */
static struct sl_be_req *sl_parse_bes(struct genl_info *info, bool none_ok,
				      u32 *np)
{
	struct netlink_ext_ack *extack = info->extack;
	void *head = genlmsg_data(info->genlhdr);
	int len = genlmsg_len(info->genlhdr);
	struct sl_be_req *r;
	struct nlattr *a;
	u32 n = 0, i = 0;
	int rem, err = 0;

	if (!none_ok && GENL_REQ_ATTR_CHECK(info, SLUICE_A_BACKEND))
		return ERR_PTR(-EINVAL);
	nla_for_each_attr(a, head, len, rem) {
		if (nla_type(a) != SLUICE_A_BACKEND)
			continue;
		if (++n > SL_BACKENDS_MAX) {
			NL_SET_ERR_MSG(extack,
				       "more backends in one request than a service can have (16384)");
			return ERR_PTR(-E2BIG);
		}
	}
	r = kvcalloc(n, sizeof(*r), SL_GFP_CONF);
	if (!r) {
		NL_SET_ERR_MSG(extack, "not enough memory for the request");
		return ERR_PTR(-ENOMEM);
	}
	nla_for_each_attr(a, head, len, rem) {
		if (nla_type(a) != SLUICE_A_BACKEND)
			continue;
		err = sl_parse_be_nest(a, &r[i++], extack);
		if (err)
			goto fail;
	}
	sort(r, n, sizeof(*r), sl_be_req_cmp, NULL);
	for (i = 1; i < n; i++) {
		if (!sl_be_req_cmp(&r[i - 1], &r[i])) {
			NL_SET_ERR_MSG_ATTR(extack, r[i].nest,
					    "the backend is listed twice");
			err = -EINVAL;
			goto fail;
		}
	}
	*np = n;
	return r;
fail:
	kvfree(r);
	return ERR_PTR(err);
}

/* ---- services --------------------------------------------------------- */

int sl_nl_svc_new(struct sk_buff *skb, struct genl_info *info)
{
	struct sluice_net *sn = sluice_pernet(genl_info_net(info));
	struct sl_svc_net *sv = sl_sv(sn);
	struct nlattr *tb[SLUICE_SVC_A_MAX + 1];
	struct sl_service *svc;
	struct sl_svc_opts o;
	struct sl_key k;
	bool reused;
	int err, fi;

	err = sl_parse_svc_key(info, tb, &k, false);
	if (err)
		return err;
	o.sched = SLUICE_SCHED_CHBL;
	o.affinity = SLUICE_AFFINITY_SRC;
	o.on_delete = k.proto == IPPROTO_UDP ? SLUICE_ON_DELETE_FLUSH :
					       SLUICE_ON_DELETE_KEEP;
	o.balance_milli = SL_BALANCE_DEFAULT_MILLI;
	o.seed = SL_SEED_DEFAULT;
	o.table_size = SL_MAGLEV_DEFAULT_SIZE;
	err = sl_parse_svc_opts(tb, &o, info->extack);
	if (err)
		return err;

	mutex_lock(&sn->lock);
	if (sl_svc_find(sn, &k)) {
		NL_SET_ERR_MSG(info->extack, "the service exists");
		err = -EEXIST;
		goto out;
	}
	if (sv->nservices >= READ_ONCE(services_max)) {
		NL_SET_ERR_MSG(info->extack,
			       "too many services in this network namespace (see the module parameter services_max)");
		err = -ENOSPC;
		goto out;
	}
	/*
	 * Deleted with KEEP and still holding connections: the same service
	 * comes back, its live total with it, and its backends when they are
	 * added again.
	 */
	sl_svcs_prune_retired(sn, false);
	svc = sl_svc_unretire(sn, &k);
	reused = svc;
	if (!svc) {
		svc = kzalloc(sizeof(*svc), SL_GFP_CONF);
		if (!svc) {
			err = -ENOMEM;
			goto out;
		}
		svc->sn = sn;
		refcount_set(&svc->ref, 1);
		svc->family = k.family;
		svc->proto = k.proto;
		svc->port = k.port;
		svc->addr = k.addr;
		INIT_LIST_HEAD(&svc->backends);
		INIT_LIST_HEAD(&svc->retired);
	}
	fi = sl_family_idx(k.family);
	if (!sv->hooked[fi]) {
		err = sl_nat_register(sn, k.family);
		if (err) {
			NL_SET_ERR_MSG(info->extack,
				       "cannot register the NAT hooks of this family");
			if (reused) {
				WRITE_ONCE(svc->parked, true);
				list_add(&svc->list, &sv->retired);
				sv->gen++;
			} else {
				sl_svc_put(svc);
			}
			goto out;
		}
		sv->hooked[fi] = true;
		sv->ever_hooked = true;
	}
	/* Only now: a refused request leaves a reused service as it was. */
	svc->opts = o;
	sv->nfamily[fi]++;
	sv->nservices++;
	list_add_tail(&svc->list, &sv->services);
	hlist_add_head_rcu(&svc->hnode,
			   &sv->hash[sl_svc_hashfn(k.family, k.proto, &k.addr, k.port)]);
	sl_svc_bes_changed(svc);	/* a service of that key is new */
	err = 0;
out:
	mutex_unlock(&sn->lock);
	return err;
}

int sl_nl_svc_set(struct sk_buff *skb, struct genl_info *info)
{
	struct sluice_net *sn = sluice_pernet(genl_info_net(info));
	struct nlattr *tb[SLUICE_SVC_A_MAX + 1];
	struct sl_svc_state *st;
	struct sl_service *svc;
	struct sl_svc_opts o;
	struct sl_key k;
	int err;

	err = sl_parse_svc_key(info, tb, &k, false);
	if (err)
		return err;

	mutex_lock(&sn->lock);
	svc = sl_svc_find(sn, &k);
	if (!svc) {
		NL_SET_ERR_MSG(info->extack, "no such service");
		err = -ENOENT;
		goto out;
	}
	o = svc->opts;
	err = sl_parse_svc_opts(tb, &o, info->extack);
	if (err)
		goto out;
	st = sl_svc_state_next(svc, &o, false, NULL, 0, info->extack);
	if (IS_ERR(st)) {
		err = PTR_ERR(st);
		goto out;
	}
	svc->opts = o;
	sl_svc_publish(svc, st);
	sn->svc.gen++;
out:
	mutex_unlock(&sn->lock);
	return err;
}

/*
 * Delete @svc, its backends and its hooks if it was the last. With KEEP
 * (and at the namespace's exit, which releases every connection anyway),
 * the service goes on the retired list, its backends on its own, as
 * sl_be_park() puts them; with FLUSH it goes, its connections with it.
 */
static void sl_svc_delete(struct sluice_net *sn, struct sl_service *svc,
			  bool exiting)
{
	struct sl_svc_net *sv = sl_sv(sn);
	LIST_HEAD(gone);
	bool flush;
	int fi;

	lockdep_assert_held(&sn->lock);
	hlist_del_rcu(&svc->hnode);
	list_del(&svc->list);
	sv->nservices--;
	sv->gen++;
	fi = sl_family_idx(svc->family);
	sv->nfamily[fi]--;
	sl_svc_publish(svc, NULL);

	flush = !exiting && svc->opts.on_delete == SLUICE_ON_DELETE_FLUSH;
	sl_svc_prune_retired(svc);
	list_splice_init(&svc->backends, &gone);
	svc->nbackends = 0;
	/* Flushed, those deleted before and kept till now go too. */
	if (flush)
		list_splice_tail_init(&svc->retired, &gone);
	/*
	 * A packet that found the service before it was unhashed may still
	 * be tracking its connection: let it finish before the hooks of a
	 * family without services can go (flushing waited already).
	 */
	if (!sl_be_dispose(sn, svc, &gone, flush) && !exiting &&
	    !sv->nfamily[fi])
		synchronize_rcu();
	if (flush) {
		sl_svc_put(svc);
	} else {
		svc->gp = start_poll_synchronize_rcu();
		WRITE_ONCE(svc->parked, true);
		list_add(&svc->list, &sv->retired);
	}
	if (exiting)
		return;
	if (!flush)
		sl_retired_gc_kick(sn);
	sl_hooks_put_unused(sn);
}

/*
 * Might translated TCP entries of family @fi still need the hooks? Only
 * until nat_until (service.h); the second test keeps a nat_until left far
 * behind by the jiffies counter's wrap from reading as ahead.
 */
static bool sl_nat_may_need(struct sluice_net *sn, int fi)
{
	unsigned long until = READ_ONCE(sn->svc.nat_until[fi]), now = jiffies;

	return time_before(now, until) &&
	       until - now <= sl_tcp_tw_timeout(sn->net);
}

/*
 * Unregister the hooks of family @fi if it is idle and, given @until, no
 * connection was released since nat_until[fi] read @until. Returns whether
 * the family is unhooked. Must hold sn->lock.
 */
static bool sl_hooks_put_idle(struct sluice_net *sn, int fi,
			      const unsigned long *until)
{
	struct sl_svc_net *sv = sl_sv(sn);

	lockdep_assert_held(&sn->lock);
	if (!sv->hooked[fi])
		return true;
	if (sv->nfamily[fi] || atomic_read(&sv->tracked[fi]))
		return false;
	/* A release moves nat_until before it drops tracked (conns.c). */
	smp_rmb();
	if (until && READ_ONCE(sv->nat_until[fi]) != *until)
		return false;
	sl_nat_unregister(sn, fi ? AF_INET6 : AF_INET);
	sv->hooked[fi] = false;
	return true;
}

/*
 * Unregister the hooks of the families that have neither services nor
 * tracked connections any more, except those whose translated entries
 * may still need them: returned as a mask (bit fi), for sl_hooks_gc() to
 * look for such entries without the lock. Must hold sn->lock.
 */
static unsigned int sl_hooks_put_unneeded(struct sluice_net *sn)
{
	struct sl_svc_net *sv = sl_sv(sn);
	unsigned int waiting = 0;
	int fi;

	lockdep_assert_held(&sn->lock);
	for (fi = 0; fi < 2; fi++) {
		if (!sv->hooked[fi] || sv->nfamily[fi] ||
		    atomic_read(&sv->tracked[fi]))
			continue;
		/* As in sl_hooks_put_idle(): nat_until after tracked. */
		smp_rmb();
		if (sl_nat_may_need(sn, fi))
			waiting |= 1u << fi;
		else
			sl_hooks_put_idle(sn, fi, NULL);
	}
	return waiting;
}

/* See sl_hooks_put_unneeded(); the worker looks at the rest. */
void sl_hooks_put_unused(struct sluice_net *sn)
{
	if (sl_hooks_put_unneeded(sn))
		mod_delayed_work(sl_wq, &sl_sv(sn)->hooks_gc, 0);
}

/*
 * The last tracked connection of a family was released (conns.c), or a
 * family's translated entries are being waited for: the hooks of a family
 * without such entries go; the others are looked at again in a second.
 * The walk of conntrack's table (sl_nat_entries_left()) runs without
 * sn->lock, so that configuring the namespace never waits for it.
 */
static void sl_hooks_gc(struct work_struct *work)
{
	struct sl_svc_net *sv = container_of(to_delayed_work(work),
					     struct sl_svc_net, hooks_gc);
	struct sluice_net *sn = container_of(sv, struct sluice_net, svc);
	unsigned int waiting, gone = 0;
	unsigned long until[2];
	int fi;

	mutex_lock(&sn->lock);
	sl_svcs_prune_retired(sn, false);
	waiting = sl_hooks_put_unneeded(sn);
	for (fi = 0; fi < 2; fi++)
		until[fi] = READ_ONCE(sv->nat_until[fi]);
	mutex_unlock(&sn->lock);
	for (fi = 0; fi < 2; fi++)
		if ((waiting & (1u << fi)) &&
		    !sl_nat_entries_left(sn->net, fi ? AF_INET6 : AF_INET))
			gone |= 1u << fi;
	if (gone) {
		/*
		 * Rechecked: a service or a connection may have come, and a
		 * connection that came and went during the walk may have
		 * left its TIME_WAIT entry in a bucket the walk had passed
		 * (its release moved nat_until): looked at again then.
		 */
		mutex_lock(&sn->lock);
		for (fi = 0; fi < 2; fi++)
			if ((gone & (1u << fi)) &&
			    !sl_hooks_put_idle(sn, fi, &until[fi]))
				gone &= ~(1u << fi);
		mutex_unlock(&sn->lock);
	}
	if (waiting & ~gone)
		queue_delayed_work(sl_wq, &sv->hooks_gc, HZ);
}

/*
 * Drop what deletes parked once it is spent (sl_parked_spent()): the
 * retired backends of every service, the retired services. Looked at
 * again while some without connections wait for their grace period;
 * for those with connections, the release of the last one kicks it.
 */
static void sl_retired_gc(struct work_struct *work)
{
	struct sl_svc_net *sv = container_of(to_delayed_work(work),
					     struct sl_svc_net, retired_gc);
	struct sluice_net *sn = container_of(sv, struct sluice_net, svc);
	struct sl_service *svc;
	bool waiting;

	mutex_lock(&sn->lock);
	waiting = sl_svcs_prune_retired(sn, false);
	list_for_each_entry(svc, &sv->services, list)
		waiting |= sl_svc_prune_retired(svc);
	if (waiting)
		sl_retired_gc_kick(sn);
	mutex_unlock(&sn->lock);
}

int sl_nl_svc_del(struct sk_buff *skb, struct genl_info *info)
{
	struct sluice_net *sn = sluice_pernet(genl_info_net(info));
	struct nlattr *tb[SLUICE_SVC_A_MAX + 1];
	struct sl_service *svc;
	struct sl_key k;
	int err;

	err = sl_parse_svc_key(info, tb, &k, true);
	if (err)
		return err;

	mutex_lock(&sn->lock);
	svc = sl_svc_find(sn, &k);
	if (!svc) {
		NL_SET_ERR_MSG(info->extack, "no such service");
		err = -ENOENT;
	} else {
		sl_svcs_prune_retired(sn, false);
		sl_svc_delete(sn, svc, false);
	}
	mutex_unlock(&sn->lock);
	return err;
}

/* ---- backends --------------------------------------------------------- */

/*
 * The backend @be will be after request @op, which names it in @q (NULL if
 * it does not): its weight, or SL_WEIGHT_GONE.
 */
static u32 sl_be_next_weight(const struct sl_backend *be,
			     const struct sl_be_req *q, enum sl_be_op op)
{
	if (!q)
		return op == SL_BE_REPLACE ? SL_WEIGHT_GONE : be->weight;
	if (op == SL_BE_DEL)
		return SL_WEIGHT_GONE;
	if (q->weight != SL_WEIGHT_UNSET)
		return q->weight;
	return op == SL_BE_REPLACE ? 1 : be->weight;
}

/*
 * The service of a backend request, found under sn->lock, with @r[i].be
 * set to its backend at each key (NULL if none) and each of its backends'
 * next_weight to what the request makes of it (valid until the lock is
 * released). Every backend of the request must be of the service's family,
 * and for @op new (SL_BE_ADD), existing (SL_BE_SET, SL_BE_DEL) or either
 * (SL_BE_REPLACE).
 */
static int sl_be_reqs_resolve(struct sluice_net *sn, struct genl_info *info,
			      const struct sl_key *sk, struct sl_be_req *r,
			      u32 n, enum sl_be_op op, struct sl_service **svcp)
{
	struct netlink_ext_ack *extack = info->extack;
	struct sl_service *svc;
	struct sl_backend *be;
	struct sl_be_req *q;
	u32 i;

	lockdep_assert_held(&sn->lock);
	svc = sl_svc_find(sn, sk);
	if (!svc) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[SLUICE_A_SERVICE],
				    "no such service");
		return -ENOENT;
	}
	for (i = 0; i < n; i++) {
		if (r[i].family != svc->family) {
			NL_SET_ERR_MSG_ATTR(extack, r[i].nest,
					    "the backend's family differs from the service's");
			return -EAFNOSUPPORT;
		}
		r[i].be = NULL;
	}
	list_for_each_entry(be, &svc->backends, list) {
		q = sl_be_req_find(r, n, be);
		if (q)
			q->be = be;
		be->next_weight = sl_be_next_weight(be, q, op);
	}
	for (i = 0; i < n && op != SL_BE_REPLACE; i++) {
		if (op == SL_BE_ADD && r[i].be) {
			NL_SET_ERR_MSG_ATTR(extack, r[i].nest, "the backend exists");
			return -EEXIST;
		}
		if (op != SL_BE_ADD && !r[i].be) {
			NL_SET_ERR_MSG_ATTR(extack, r[i].nest, "no such backend");
			return -ENOENT;
		}
	}
	*svcp = svc;
	return 0;
}

/* A new backend of @svc as @r asks. */
static struct sl_backend *sl_be_alloc(struct sl_service *svc,
				      const struct sl_be_req *r)
{
	struct {
		union nf_inet_addr addr;
		__be16 port;
	} __packed id;
	struct sl_backend *be;

	be = kzalloc(sizeof(*be), SL_GFP_CONF);
	if (!be)
		return NULL;
	refcount_set(&be->ref, 1);
	be->svc = svc;
	be->addr = r->addr;
	be->port = r->port;
	be->weight = r->weight;
	memset(&id, 0, sizeof(id));
	id.addr = r->addr;
	id.port = r->port;
	be->id = sl_hash(&id, sizeof(id), 0);
	/* the backend's reference on its service */
	refcount_inc(&svc->ref);
	return be;
}

/* Free the backends sl_be_reqs_take() allocated for @r[0..n). */
static void sl_be_reqs_untake(struct sl_be_req *r, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (r[i].fresh)
			sl_backend_put(r[i].be);
}

/*
 * For SL_BE_ADD and SL_BE_REPLACE: a backend for every entry of @r the
 * service lacks, each with its weight (default 1). One deleted with KEEP
 * whose connections live is taken back, the same backend, its load with
 * it; it stays on the retired list until the request commits. One without
 * live connections is dropped, and the backend comes back new, once no
 * packet of before its delete can be assigning to it (a delete followed at
 * once by an add of the same backend waits for that: cond_synchronize_rcu()).
 * The others are allocated (.fresh). Must hold sn->lock; on failure,
 * nothing visible changed.
 */
static int sl_be_reqs_take(struct sl_service *svc, struct sl_be_req *r,
			   u32 n, enum sl_be_op op,
			   struct netlink_ext_ack *extack)
{
	u32 limit = min_t(unsigned int, READ_ONCE(backends_max),
			  SL_BACKENDS_MAX);
	struct sl_backend *be, *tmp;
	struct sl_be_req *q;
	u32 i;

	lockdep_assert_held(&svc->sn->lock);
	/* (a replace that does not grow the service passes a lowered limit) */
	if ((op == SL_BE_ADD ? svc->nbackends + n : n) >
	    max(op == SL_BE_ADD ? 0 : svc->nbackends, limit)) {
		NL_SET_ERR_MSG(extack,
			       "too many backends in this service (see the module parameter backends_max)");
		return -ENOSPC;
	}
	list_for_each_entry_safe(be, tmp, &svc->retired, list) {
		q = sl_be_req_find(r, n, be);
		if (!q || q->be)
			continue;
		if (sl_parked_idle(be->gp, &be->held)) {
			/* nothing kept: it comes back new */
			list_del(&be->list);
			sl_backend_put(be);
			sl_svc_bes_changed(svc);
			continue;
		}
		q->be = be;
		q->retired = true;
	}
	for (i = 0; i < n; i++) {
		if (r[i].weight == SL_WEIGHT_UNSET)
			r[i].weight = 1;
		if (r[i].be)
			continue;
		r[i].be = sl_be_alloc(svc, &r[i]);
		if (!r[i].be) {
			NL_SET_ERR_MSG(extack, "not enough memory for the backends");
			sl_be_reqs_untake(r, i);
			return -ENOMEM;
		}
		r[i].fresh = true;
	}
	return 0;
}

/*
 * A backend request, @op applied to the backends it names, in one state
 * change. BACKEND_NEW (SL_BE_ADD): they join the service. BACKEND_SET
 * (SL_BE_SET): they take the weights given. BACKEND_DEL (SL_BE_DEL): they
 * go, as the service's on-delete says. BACKEND_REPLACE (SL_BE_REPLACE):
 * they become its backends, with their weights (default 1), the others go
 * as BACKEND_DEL's do. All or nothing.
 */
static int sl_be_change(struct genl_info *info, enum sl_be_op op)
{
	struct sluice_net *sn = sluice_pernet(genl_info_net(info));
	struct nlattr *stb[SLUICE_SVC_A_MAX + 1];
	struct sl_backend *be, *tmp;
	struct sl_svc_state *st;
	struct sl_service *svc;
	struct sl_svc_opts o;
	struct sl_be_req *r;
	struct sl_key sk;
	LIST_HEAD(gone);
	u32 n, i;
	int err;

	err = sl_parse_svc_key(info, stb, &sk, true);
	if (err)
		return err;
	r = sl_parse_bes(info, op == SL_BE_REPLACE, &n);
	if (IS_ERR(r))
		return PTR_ERR(r);

	mutex_lock(&sn->lock);
	err = sl_be_reqs_resolve(sn, info, &sk, r, n, op, &svc);
	if (err)
		goto out;
	sl_svc_prune_retired(svc);
	if (op == SL_BE_SET) {
		for (i = 0; i < n && r[i].weight == SL_WEIGHT_UNSET; i++)
			;
		if (i == n)
			goto out;	/* nothing to change */
	}
	if (op == SL_BE_ADD || op == SL_BE_REPLACE) {
		err = sl_be_reqs_take(svc, r, n, op, info->extack);
		if (err)
			goto out;
	}
	o = svc->opts;
	st = sl_svc_state_next(svc, &o, true, r, n, info->extack);
	if (IS_ERR(st)) {
		sl_be_reqs_untake(r, n);
		err = PTR_ERR(st);
		goto out;
	}
	/* Nothing fails from here. */
	list_for_each_entry_safe(be, tmp, &svc->backends, list) {
		if (be->next_weight == SL_WEIGHT_GONE)
			list_move_tail(&be->list, &gone);
		else
			WRITE_ONCE(be->weight, be->next_weight);
	}
	for (i = 0; i < n; i++) {
		if (!r[i].fresh && !r[i].retired)
			continue;
		WRITE_ONCE(r[i].be->weight, r[i].weight);
		if (r[i].retired) {
			list_del(&r[i].be->list);
			WRITE_ONCE(r[i].be->parked, false);
		}
		list_add_tail(&r[i].be->list, &svc->backends);
	}
	svc->nbackends = st->n;
	sl_svc_publish(svc, st);
	sl_svc_bes_changed(svc);
	sl_be_dispose(sn, svc, &gone,
		      svc->opts.on_delete == SLUICE_ON_DELETE_FLUSH);
out:
	mutex_unlock(&sn->lock);
	kvfree(r);
	return err;
}

int sl_nl_be_new(struct sk_buff *skb, struct genl_info *info)
{
	return sl_be_change(info, SL_BE_ADD);
}

int sl_nl_be_set(struct sk_buff *skb, struct genl_info *info)
{
	return sl_be_change(info, SL_BE_SET);
}

int sl_nl_be_del(struct sk_buff *skb, struct genl_info *info)
{
	return sl_be_change(info, SL_BE_DEL);
}

int sl_nl_be_replace(struct sk_buff *skb, struct genl_info *info)
{
	return sl_be_change(info, SL_BE_REPLACE);
}

/* ---- replies and dumps ------------------------------------------------ */

static int sl_put_stats(struct sk_buff *msg, int type, u32 live, u64 conns,
			u64 overflows, const atomic64_t *no_backend)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, SLUICE_STATS_A_CONNS_LIVE, live) ||
	    nla_put_u64_64bit(msg, SLUICE_STATS_A_CONNS_TOTAL, conns,
			      SLUICE_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, SLUICE_STATS_A_OVERFLOWS, overflows,
			      SLUICE_STATS_A_PAD) ||
	    (no_backend &&
	     nla_put_u64_64bit(msg, SLUICE_STATS_A_NO_BACKEND,
			       atomic64_read(no_backend), SLUICE_STATS_A_PAD))) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* The key attributes of a service (in its nest). Any context. */
int sl_put_svc_key(struct sk_buff *msg, const struct sl_service *svc)
{
	return nla_put_u8(msg, SLUICE_SVC_A_PROTO, svc->proto) ||
	       nla_put_u16(msg, SLUICE_SVC_A_FAMILY, svc->family) ||
	       nla_put(msg, SLUICE_SVC_A_ADDR, svc->family == AF_INET ? 4 : 16,
		       &svc->addr) ||
	       nla_put_u16(msg, SLUICE_SVC_A_PORT, ntohs(svc->port)) ?
	       -EMSGSIZE : 0;
}

/* SLUICE_A_SERVICE with everything. Must hold sn->lock. */
static int sl_put_svc(struct sk_buff *msg, const struct sl_service *svc,
		      bool deleted)
{
	struct nlattr *nest = nla_nest_start(msg, SLUICE_A_SERVICE);

	lockdep_assert_held(&svc->sn->lock);
	if (!nest)
		return -EMSGSIZE;
	if (sl_put_svc_key(msg, svc) ||
	    nla_put_u8(msg, SLUICE_SVC_A_SCHED, svc->opts.sched) ||
	    nla_put_u32(msg, SLUICE_SVC_A_BALANCE, svc->opts.balance_milli) ||
	    nla_put_u8(msg, SLUICE_SVC_A_AFFINITY, svc->opts.affinity) ||
	    nla_put_u32(msg, SLUICE_SVC_A_SEED, svc->opts.seed) ||
	    nla_put_u32(msg, SLUICE_SVC_A_TABLE_SIZE, svc->opts.table_size) ||
	    nla_put_u8(msg, SLUICE_SVC_A_ON_DELETE, svc->opts.on_delete) ||
	    nla_put_u32(msg, SLUICE_SVC_A_BACKENDS_NUM, svc->nbackends) ||
	    (deleted && nla_put_flag(msg, SLUICE_SVC_A_DELETED)) ||
	    sl_put_stats(msg, SLUICE_SVC_A_STATS, atomic_read(&svc->total),
			 atomic64_read(&svc->conns),
			 atomic64_read(&svc->overflows), &svc->no_backend)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

int sl_nl_svc_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sluice_net *sn = sluice_pernet(genl_info_net(info));
	struct nlattr *tb[SLUICE_SVC_A_MAX + 1];
	struct sl_service *svc;
	struct sk_buff *msg;
	struct sl_key k;
	void *hdr;
	int err;

	err = sl_parse_svc_key(info, tb, &k, true);
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&sn->lock);
	svc = sl_svc_find(sn, &k);
	if (!svc) {
		NL_SET_ERR_MSG(info->extack, "no such service");
		err = -ENOENT;
		goto err_unlock;
	}
	hdr = sluice_genl_put(msg, info, SLUICE_CMD_SERVICE_GET, 0);
	if (!hdr || sl_put_svc(msg, svc, false)) {
		err = -EMSGSIZE;
		goto err_unlock;
	}
	mutex_unlock(&sn->lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&sn->lock);
	nlmsg_free(msg);
	return err;
}

/* One message of a service dump. Must hold sn->lock. */
static int sl_dump_svc(struct sk_buff *skb, struct netlink_callback *cb,
		       const struct sl_service *svc, bool deleted)
{
	void *hdr;

	lockdep_assert_held(&svc->sn->lock);
	hdr = sluice_genl_dump_put(skb, cb, SLUICE_CMD_SERVICE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (sl_put_svc(skb, svc, deleted)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * cb->args[0]: entries of the services list, then of the retired list,
 * already passed (sent, or skipped for a zero total). Every change to
 * either list bumps gen, which marks a dump taken across it interrupted.
 */
int sl_nl_svc_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct sluice_net *sn = sluice_pernet(sock_net(skb->sk));
	struct sl_service *svc;
	long idx = 0, start = cb->args[0];
	int err;

	err = sluice_nl_dump_takes(cb);
	if (err)
		return err;
	mutex_lock(&sn->lock);
	cb->seq = sn->svc.gen;
	/* The services, then those deleted whose kept connections live. */
	list_for_each_entry(svc, &sn->svc.services, list) {
		if (idx++ < start)
			continue;
		if (sl_dump_svc(skb, cb, svc, false))
			goto full;
		cb->args[0] = idx;
	}
	list_for_each_entry(svc, &sn->svc.retired, list) {
		if (idx++ < start)
			continue;
		if (atomic_read(&svc->total) && sl_dump_svc(skb, cb, svc, true))
			goto full;
		cb->args[0] = idx;
	}
full:
	mutex_unlock(&sn->lock);
	return skb->len;
}

/* The key attributes of a backend (in its nest). Any context. */
int sl_put_be_key(struct sk_buff *msg, const struct sl_service *svc,
		  const struct sl_backend *be)
{
	return nla_put_u16(msg, SLUICE_BE_A_FAMILY, svc->family) ||
	       nla_put(msg, SLUICE_BE_A_ADDR, svc->family == AF_INET ? 4 : 16,
		       &be->addr) ||
	       nla_put_u16(msg, SLUICE_BE_A_PORT, ntohs(be->port)) ?
	       -EMSGSIZE : 0;
}

/* SLUICE_A_BACKEND with everything. Must hold sn->lock. */
static int sl_put_be(struct sk_buff *msg, const struct sl_service *svc,
		     const struct sl_backend *be, bool deleted)
{
	struct nlattr *nest;

	lockdep_assert_held(&svc->sn->lock);
	nest = nla_nest_start(msg, SLUICE_A_BACKEND);
	if (!nest)
		return -EMSGSIZE;
	if (sl_put_be_key(msg, svc, be) ||
	    nla_put_u32(msg, SLUICE_BE_A_WEIGHT, be->weight) ||
	    (deleted && nla_put_flag(msg, SLUICE_BE_A_DELETED)) ||
	    sl_put_stats(msg, SLUICE_BE_A_STATS, atomic_read(&be->load),
			 atomic64_read(&be->conns),
			 atomic64_read(&be->overflows), NULL)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* One message of a backend dump. Must hold sn->lock. */
static int sl_dump_be(struct sk_buff *skb, struct netlink_callback *cb,
		      const struct sl_service *svc, const struct sl_backend *be,
		      bool deleted)
{
	struct nlattr *nest;
	void *hdr;

	lockdep_assert_held(&svc->sn->lock);
	hdr = sluice_genl_dump_put(skb, cb, SLUICE_CMD_BACKEND_GET);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, SLUICE_A_SERVICE);
	if (!nest || sl_put_svc_key(skb, svc))
		goto cancel;
	nla_nest_end(skb, nest);
	if (sl_put_be(skb, svc, be, deleted))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * cb->args[0]: entries of the service's backends list, then of its retired
 * list, already passed (sent, or skipped for a zero load).
 */
int sl_nl_be_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct sluice_net *sn = sluice_pernet(sock_net(skb->sk));
	struct nlattr **attrs = sl_dump_attrs(cb);
	struct nlattr *tb[SLUICE_SVC_A_MAX + 1];
	struct sl_service *svc;
	struct sl_backend *be;
	long idx = 0, start = cb->args[0];
	struct sl_key k;
	int err;

	err = sluice_nl_dump_takes(cb);
	if (err)
		return err;
	if (!attrs || !attrs[SLUICE_A_SERVICE]) {
		NL_SET_ERR_MSG(cb->extack, "the service is required");
		return -EINVAL;
	}
	err = sl_parse_svc_key_attrs(attrs, tb, &k, true, cb->extack);
	if (err)
		return err;

	mutex_lock(&sn->lock);
	/* A service deleted with its connections kept shows them too. */
	svc = sl_svc_find(sn, &k);
	if (!svc) {
		svc = sl_svc_find_retired(sn, &k);
		if (svc && !atomic_read(&svc->total))
			svc = NULL;	/* they ended: it waits to be pruned */
	}
	if (!svc) {
		mutex_unlock(&sn->lock);
		NL_SET_ERR_MSG(cb->extack, "no such service");
		return -ENOENT;
	}
	/* Only this service's changes interrupt the dump (not the others'). */
	cb->seq = svc->be_gen;
	/*
	 * The configured backends, then the deleted ones still kept (those
	 * whose connections have all ended wait to be pruned: not shown).
	 */
	list_for_each_entry(be, &svc->backends, list) {
		if (idx++ < start)
			continue;
		if (sl_dump_be(skb, cb, svc, be, false))
			goto full;
		cb->args[0] = idx;
	}
	list_for_each_entry(be, &svc->retired, list) {
		if (idx++ < start)
			continue;
		if (atomic_read(&be->load) && sl_dump_be(skb, cb, svc, be, true))
			goto full;
		cb->args[0] = idx;
	}
full:
	mutex_unlock(&sn->lock);
	return skb->len;
}

/* ---- namespaces and module -------------------------------------------- */

int sl_svc_net_init(struct sluice_net *sn)
{
	struct sl_svc_net *sv = sl_sv(sn);
	int i;

	for (i = 0; i < ARRAY_SIZE(sv->hash); i++)
		INIT_HLIST_HEAD(&sv->hash[i]);
	INIT_LIST_HEAD(&sv->services);
	INIT_LIST_HEAD(&sv->retired);
	INIT_DELAYED_WORK(&sv->hooks_gc, sl_hooks_gc);
	INIT_DELAYED_WORK(&sv->retired_gc, sl_retired_gc);
	sv->nat_until[0] = jiffies;
	sv->nat_until[1] = jiffies;
	sl_conns_net_init(sn);
	return 0;
}

/* The namespace is going: every service, its hooks, every tracked
 * connection (which hold conntrack entries that must go before conntrack's
 * own namespace exit).
 */
void sl_svc_net_exit(struct sluice_net *sn)
{
	struct sl_svc_net *sv = sl_sv(sn);
	struct sl_service *svc, *tmp;
	int fi;

	mutex_lock(&sn->lock);
	list_for_each_entry_safe(svc, tmp, &sv->services, list)
		sl_svc_delete(sn, svc, true);
	sl_svcs_prune_retired(sn, true);
	for (fi = 0; fi < 2; fi++) {
		if (sv->hooked[fi])
			sl_nat_unregister(sn, fi ? AF_INET6 : AF_INET);
		sv->hooked[fi] = false;
	}
	mutex_unlock(&sn->lock);
	/* No hook runs any more once a grace period has passed (in there). */
	sl_conns_net_exit(sn);
	cancel_delayed_work_sync(&sv->hooks_gc);
	cancel_delayed_work_sync(&sv->retired_gc);
}

int __init sl_svc_module_init(void)
{
	int err;

	sl_wq = alloc_workqueue("sluice", WQ_UNBOUND, 0);
	if (!sl_wq)
		return -ENOMEM;
	err = sl_conns_module_init();
	if (err) {
		destroy_workqueue(sl_wq);
		return err;
	}
	return 0;
}

/* After every namespace is gone and rcu_barrier(): the state-freeing work
 * items were queued by RCU callbacks; destroying the queue drains them.
 */
void sl_svc_module_exit(void)
{
	destroy_workqueue(sl_wq);
	sl_conns_module_exit();
}
