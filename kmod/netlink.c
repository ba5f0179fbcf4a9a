// SPDX-License-Identifier: GPL-2.0
/*
 * sluice: the generic-netlink family. The attribute policies here are the
 * validating half of uapi/linux/sluice.h; the handlers of each object live
 * in the file that owns the object (service.c, ingress.c) and are listed in
 * sluice_genl_ops below.
 *
 * Validation is strict everywhere (the family is new, so every command is
 * at or past resv_start_op): unknown attributes, wrong types and wrong
 * lengths are refused by the core with an extended-ACK message naming the
 * attribute, before any handler runs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <linux/sluice.h>

#include "compat.h"
#include "sluice.h"

const struct nla_policy sluice_svc_policy[SLUICE_SVC_A_MAX + 1] = {
	[SLUICE_SVC_A_PROTO]	  = NLA_POLICY_MAX(NLA_U8, 255),
	[SLUICE_SVC_A_FAMILY]	  = { .type = NLA_U16 },
	[SLUICE_SVC_A_ADDR]	  = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[SLUICE_SVC_A_PORT]	  = NLA_POLICY_MIN(NLA_U16, 1),
	[SLUICE_SVC_A_SCHED]	  = NLA_POLICY_MAX(NLA_U8, __SLUICE_SCHED_MAX - 1),
	[SLUICE_SVC_A_BALANCE]	  = { .type = NLA_U32 },
	[SLUICE_SVC_A_AFFINITY]	  = NLA_POLICY_MAX(NLA_U8, __SLUICE_AFFINITY_MAX - 1),
	[SLUICE_SVC_A_SEED]	  = { .type = NLA_U32 },
	[SLUICE_SVC_A_TABLE_SIZE] = { .type = NLA_U32 },
	[SLUICE_SVC_A_ON_DELETE]  = NLA_POLICY_MAX(NLA_U8, __SLUICE_ON_DELETE_MAX - 1),
	[SLUICE_SVC_A_BACKENDS_NUM] = { .type = NLA_REJECT },
	[SLUICE_SVC_A_STATS]	  = { .type = NLA_REJECT },
	[SLUICE_SVC_A_DELETED]	  = { .type = NLA_REJECT },
};

const struct nla_policy sluice_be_policy[SLUICE_BE_A_MAX + 1] = {
	[SLUICE_BE_A_FAMILY]	= { .type = NLA_U16 },
	[SLUICE_BE_A_ADDR]	= NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[SLUICE_BE_A_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	/* range checked by service.c, which says what the range is */
	[SLUICE_BE_A_WEIGHT]	= { .type = NLA_U32 },
	[SLUICE_BE_A_STATS]	= { .type = NLA_REJECT },
	[SLUICE_BE_A_DELETED]	= { .type = NLA_REJECT },
};

const struct nla_policy sluice_cg_policy[SLUICE_CG_A_MAX + 1] = {
	[SLUICE_CG_A_ID]		= { .type = NLA_U64 },
	[SLUICE_CG_A_PATH]		= { .type = NLA_REJECT },
	[SLUICE_CG_A_PARENT_ID]		= { .type = NLA_REJECT },
	[SLUICE_CG_A_RATE]		= { .type = NLA_U64 },
	[SLUICE_CG_A_BURST]		= { .type = NLA_U32 },
	[SLUICE_CG_A_WEIGHT]		= NLA_POLICY_RANGE(NLA_U32, 1, 10000),
	[SLUICE_CG_A_MODE]		= NLA_POLICY_MAX(NLA_U8, __SLUICE_CG_MODE_MAX - 1),
	[SLUICE_CG_A_MARK_THRESH]	= { .type = NLA_U32 },
	[SLUICE_CG_A_DROP_THRESH]	= { .type = NLA_U32 },
	[SLUICE_CG_A_STATS]		= { .type = NLA_REJECT },
	[SLUICE_CG_A_SHARE_RATE]	= { .type = NLA_REJECT },
};

static const struct nla_policy sluice_policy[SLUICE_A_MAX + 1] = {
	[SLUICE_A_VERSION]	= { .type = NLA_REJECT },
	[SLUICE_A_FEATURES]	= { .type = NLA_REJECT },
	[SLUICE_A_FEATURE]	= { .type = NLA_REJECT },
	[SLUICE_A_SERVICE]	= NLA_POLICY_NESTED(sluice_svc_policy),
	[SLUICE_A_BACKEND]	= NLA_POLICY_NESTED(sluice_be_policy),
	[SLUICE_A_CGROUP]	= NLA_POLICY_NESTED(sluice_cg_policy),
	[SLUICE_A_UNATTRIBUTED]	= { .type = NLA_REJECT },
};

/* What this build of the module can do, reported by GET_VERSION. */
static const char *const sluice_features[] = {
	"genl-v1",
	"chbl",
	"maglev",
	"ingress",
	"backend-lists",
	"backend-replace",
};

/* Start a reply (or an event, with @info NULL) carrying @cmd. */
void *sluice_genl_put(struct sk_buff *skb, const struct genl_info *info,
		      u8 cmd, int flags)
{
	if (info)
		return genlmsg_put(skb, info->snd_portid, info->snd_seq,
				   &sluice_genl_family, flags, cmd);
	return genlmsg_put(skb, 0, 0, &sluice_genl_family, flags, cmd);
}

/*
 * The header of one message of a dump of @cmd, marked interrupted if the
 * objects changed since the dump began (cb->seq against cb->prev_seq), or
 * NULL when @skb is full.
 */
void *sluice_genl_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
			   u8 cmd)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, &sluice_genl_family,
				NLM_F_MULTI, cmd);

	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

static int sluice_nl_get_version(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	size_t i;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = sluice_genl_put(msg, info, SLUICE_CMD_GET_VERSION, 0);
	if (!hdr)
		goto nla_put_failure;

	if (nla_put_string(msg, SLUICE_A_VERSION, SLUICE_VERSION))
		goto nla_put_failure;

	nest = nla_nest_start(msg, SLUICE_A_FEATURES);
	if (!nest)
		goto nla_put_failure;
	for (i = 0; i < ARRAY_SIZE(sluice_features); i++)
		if (nla_put_string(msg, SLUICE_A_FEATURE, sluice_features[i]))
			goto nla_put_failure;
	nla_nest_end(msg, nest);

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/*
 * The top-level attributes each command takes. A request carrying another
 * one is refused, not half done: a backend sent with SERVICE_NEW, or a
 * service with CGROUP_SET, would otherwise be ignored without a word.
 */
static const unsigned long sluice_cmd_takes[SLUICE_CMD_MAX + 1] = {
	[SLUICE_CMD_SERVICE_NEW]	= BIT(SLUICE_A_SERVICE),
	[SLUICE_CMD_SERVICE_SET]	= BIT(SLUICE_A_SERVICE),
	[SLUICE_CMD_SERVICE_DEL]	= BIT(SLUICE_A_SERVICE),
	[SLUICE_CMD_SERVICE_GET]	= BIT(SLUICE_A_SERVICE),
	[SLUICE_CMD_BACKEND_NEW]	= BIT(SLUICE_A_SERVICE) | BIT(SLUICE_A_BACKEND),
	[SLUICE_CMD_BACKEND_SET]	= BIT(SLUICE_A_SERVICE) | BIT(SLUICE_A_BACKEND),
	[SLUICE_CMD_BACKEND_DEL]	= BIT(SLUICE_A_SERVICE) | BIT(SLUICE_A_BACKEND),
	[SLUICE_CMD_BACKEND_REPLACE]	= BIT(SLUICE_A_SERVICE) | BIT(SLUICE_A_BACKEND),
	[SLUICE_CMD_BACKEND_GET]	= BIT(SLUICE_A_SERVICE),
	[SLUICE_CMD_CGROUP_SET]		= BIT(SLUICE_A_CGROUP),
	[SLUICE_CMD_CGROUP_DEL]		= BIT(SLUICE_A_CGROUP),
	[SLUICE_CMD_CGROUP_GET]		= BIT(SLUICE_A_CGROUP),
};

/*
 * @attrs, of a request for @cmd, are all of a kind @cmd takes (if
 * @any_taken; none if not).
 */
static int sluice_nl_takes(u8 cmd, struct nlattr **attrs,
			   struct netlink_ext_ack *extack, bool any_taken)
{
	unsigned long takes = any_taken && cmd <= SLUICE_CMD_MAX ?
			      sluice_cmd_takes[cmd] : 0;
	int i;

	for (i = 1; attrs && i <= SLUICE_A_MAX; i++) {
		if (!attrs[i] || (takes & BIT(i)))
			continue;
		if (i == SLUICE_A_SERVICE)
			NL_SET_ERR_MSG_ATTR(extack, attrs[i],
					    "this request takes no service");
		else if (i == SLUICE_A_BACKEND)
			NL_SET_ERR_MSG_ATTR(extack, attrs[i],
					    "this request takes no backend");
		else if (i == SLUICE_A_CGROUP)
			NL_SET_ERR_MSG_ATTR(extack, attrs[i],
					    "this request takes no cgroup");
		else
			NL_SET_ERR_MSG_ATTR(extack, attrs[i],
					    "this request takes no such attribute");
		return -EINVAL;
	}
	return 0;
}

static int sluice_nl_pre_doit(const struct sl_genl_doit_ops *ops,
			      struct sk_buff *skb, struct genl_info *info)
{
	return sluice_nl_takes(info->genlhdr->cmd, info->attrs, info->extack,
			       true);
}

/*
 * The same for a dump, called by its dumpit: at every call, as 6.1 gives
 * a dump's start no extended ACK; the error then ends the dump, in its
 * NLMSG_DONE with the message. Dumps list everything but the backend
 * dump, which lists one service's: none takes anything else.
 */
int sluice_nl_dump_takes(struct netlink_callback *cb)
{
	const struct genlmsghdr *g = nlmsg_data(cb->nlh);

	return sluice_nl_takes(g->cmd, sl_dump_attrs(cb), cb->extack,
			       g->cmd == SLUICE_CMD_BACKEND_GET);
}

/*
 * Every command needs CAP_NET_ADMIN in the user namespace that owns the
 * caller's network namespace (GENL_UNS_ADMIN_PERM), reads included: the
 * tables describe the host's traffic.
 */
static const struct genl_ops sluice_genl_ops[] = {
	{
		.cmd	= SLUICE_CMD_GET_VERSION,
		.doit	= sluice_nl_get_version,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_SERVICE_NEW,
		.doit	= sl_nl_svc_new,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_SERVICE_SET,
		.doit	= sl_nl_svc_set,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_SERVICE_DEL,
		.doit	= sl_nl_svc_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_SERVICE_GET,
		.doit	= sl_nl_svc_get,
		.dumpit	= sl_nl_svc_dump,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_BACKEND_NEW,
		.doit	= sl_nl_be_new,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_BACKEND_SET,
		.doit	= sl_nl_be_set,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_BACKEND_DEL,
		.doit	= sl_nl_be_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_BACKEND_REPLACE,
		.doit	= sl_nl_be_replace,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_BACKEND_GET,
		.dumpit	= sl_nl_be_dump,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	/*
	 * Cgroup entries are global: changing them also needs CAP_NET_ADMIN
	 * in the initial user namespace, checked by the handlers (ingress.c).
	 */
	{
		.cmd	= SLUICE_CMD_CGROUP_SET,
		.doit	= sluice_nl_cgroup_set,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_CGROUP_DEL,
		.doit	= sluice_nl_cgroup_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= SLUICE_CMD_CGROUP_GET,
		.doit	= sluice_nl_cgroup_get,
		.dumpit	= sluice_nl_cgroup_dump,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group sluice_genl_mcgrps[] = {
	/* Service events go to the service's namespace, cgroup events
	 * (which name host cgroups) to the initial one only (ingress.c). */
	{ .name = SLUICE_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct genl_family sluice_genl_family __ro_after_init = {
	.name		= SLUICE_GENL_NAME,
	.version	= SLUICE_GENL_VERSION,
	.maxattr	= SLUICE_A_MAX,
	.policy		= sluice_policy,
	.pre_doit	= sluice_nl_pre_doit,
	.netnsok	= true,
	.parallel_ops	= false,
	.module		= THIS_MODULE,
	.ops		= sluice_genl_ops,
	.n_ops		= ARRAY_SIZE(sluice_genl_ops),
	.resv_start_op	= SLUICE_CMD_UNSPEC + 1,
	.mcgrps		= sluice_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(sluice_genl_mcgrps),
};

/*
 * Whether events may be sent: the family is registered. It is cleared, and
 * a grace period waited for, before the family goes, so that a sender that
 * saw it set under RCU (a hook, the cgroup worker) has sent its event by
 * then. (A try_module_get() instead made rmmod fail with "in use"
 * whenever a sender held the module at that instant.)
 */
bool sl_genl_live;

/*
 * A request that names an object without setting it (a delete, a get)
 * refuses the object's settings, attributes @first..@last of its parsed
 * nest @tb, rather than ignore them: -EINVAL with @msg (a string literal:
 * the extended ACK keeps the pointer) on the first one.
 */
int sluice_nl_refuse_settings(struct nlattr **tb, int first, int last,
			      const char *msg, struct netlink_ext_ack *extack)
{
	int i;

	for (i = first; i <= last; i++) {
		if (tb[i]) {
			/* NL_SET_ERR_MSG_ATTR() takes only a literal. */
			if (extack)
				extack->_msg = msg;
			NL_SET_BAD_ATTR(extack, tb[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int __init sluice_genl_init(void)
{
	int err = genl_register_family(&sluice_genl_family);

	if (!err)
		WRITE_ONCE(sl_genl_live, true);
	return err;
}

void sluice_genl_exit(void)
{
	WRITE_ONCE(sl_genl_live, false);
	synchronize_rcu();
	genl_unregister_family(&sluice_genl_family);
}
