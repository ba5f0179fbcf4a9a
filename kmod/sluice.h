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

#define SLUICE_VERSION "0.1.0"

/*
 * Per network namespace state. Mutated only under @lock (the namespace's
 * configuration lock); the packet path reads RCU-published pointers.
 */
struct sluice_net {
	struct net *net;
	struct mutex lock;
};

extern unsigned int sluice_net_id;

static inline struct sluice_net *sluice_pernet(const struct net *net)
{
	return net_generic(net, sluice_net_id);
}

/* netlink.c */
extern struct genl_family sluice_genl_family;
int sluice_genl_init(void);
void sluice_genl_exit(void);
void *sluice_genl_put(struct sk_buff *skb, const struct genl_info *info,
		      u8 cmd, int flags);

#endif /* _SLUICE_H */
