/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sluice: declarations shared by the module's files. Each file owns one
 * concern (see Documentation/design.md); this header is the list of what
 * they offer one another.
 */
#ifndef _SLUICE_H
#define _SLUICE_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "service.h"

#define SLUICE_VERSION "0.1.0"

/*
 * Per network namespace state. Mutated only under @lock (the namespace's
 * configuration lock); the packet path reads RCU-published pointers.
 */
struct sluice_net {
	struct net *net;
	struct mutex lock;
	struct sl_svc_net svc;		/* services, backends: service.h */
	/* ingress.c: packets with no local socket, per CPU */
	struct sluice_cg_pcpu __percpu *ingress_unattr;
};

extern unsigned int sluice_net_id;

static inline struct sluice_net *sluice_pernet(const struct net *net)
{
	return net_generic(net, sluice_net_id);
}

/* netlink.c */
extern struct genl_family sluice_genl_family;
extern bool sl_genl_live;
int sluice_genl_init(void);
void sluice_genl_exit(void);
int sluice_nl_dump_takes(struct netlink_callback *cb);
int sluice_nl_refuse_settings(struct nlattr **tb, int first, int last,
			      const char *msg, struct netlink_ext_ack *extack);
void *sluice_genl_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
			   u8 cmd);
void *sluice_genl_put(struct sk_buff *skb, const struct genl_info *info,
		      u8 cmd, int flags);

/* ingress.c: per-cgroup ingress accounting and control */
struct sluice_cg_pcpu;
extern const struct nla_policy sluice_cg_policy[];
int sluice_ingress_init(void);
void sluice_ingress_exit(void);
int sluice_ingress_net_init(struct sluice_net *sn);
void sluice_ingress_net_pre_exit(struct sluice_net *sn);
void sluice_ingress_net_exit(struct sluice_net *sn);
int sluice_nl_cgroup_set(struct sk_buff *skb, struct genl_info *info);
int sluice_nl_cgroup_del(struct sk_buff *skb, struct genl_info *info);
int sluice_nl_cgroup_get(struct sk_buff *skb, struct genl_info *info);
int sluice_nl_cgroup_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* _SLUICE_H */
