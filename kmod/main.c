// SPDX-License-Identifier: GPL-2.0
/*
 * sluice: module init and exit, and the per-network-namespace state.
 *
 * Init brings the parts up in dependency order and unwinds in reverse on
 * failure; exit is its mirror image. The generic-netlink family comes last
 * so that no request can arrive before the state it acts on exists.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/net_namespace.h>

#include <linux/sluice.h>
#include "sluice.h"

unsigned int sluice_net_id __read_mostly;

static int __net_init sluice_net_init(struct net *net)
{
	struct sluice_net *sn = sluice_pernet(net);
	int err;

	sn->net = net;
	mutex_init(&sn->lock);
	err = sl_svc_net_init(sn);
	if (err)
		goto err_svc;
	err = sluice_ingress_net_init(sn);
	if (err)
		goto err_ingress;
	return 0;

err_ingress:
	sl_svc_net_exit(sn);
err_svc:
	mutex_destroy(&sn->lock);
	return err;
}

static void __net_exit sluice_net_exit(struct net *net)
{
	struct sluice_net *sn = sluice_pernet(net);

	sluice_ingress_net_exit(sn);
	sl_svc_net_exit(sn);
	mutex_destroy(&sn->lock);
}

/* Hooks go first; the core waits for a grace period before ->exit. */
static void __net_exit sluice_net_pre_exit(struct net *net)
{
	sluice_ingress_net_pre_exit(sluice_pernet(net));
}

static struct pernet_operations sluice_net_ops = {
	.init = sluice_net_init,
	.pre_exit = sluice_net_pre_exit,
	.exit = sluice_net_exit,
	.id   = &sluice_net_id,
	.size = sizeof(struct sluice_net),
};

static int __init sluice_init(void)
{
	int err;

	err = sl_svc_module_init();
	if (err)
		goto err_svc;

	err = sluice_ingress_init();
	if (err)
		goto err_ingress;

	err = register_pernet_subsys(&sluice_net_ops);
	if (err)
		goto err_pernet;

	err = sluice_genl_init();
	if (err)
		goto err_genl;

	pr_info("version %s loaded\n", SLUICE_VERSION);
	return 0;

err_genl:
	unregister_pernet_subsys(&sluice_net_ops);
err_pernet:
	sluice_ingress_exit();
err_ingress:
	rcu_barrier();
	sl_svc_module_exit();
err_svc:
	return err;
}

static void __exit sluice_exit(void)
{
	sluice_genl_exit();
	unregister_pernet_subsys(&sluice_net_ops);
	sluice_ingress_exit();
	rcu_barrier();
	sl_svc_module_exit();
	pr_info("unloaded\n");
}

module_init(sluice_init);
module_exit(sluice_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("sluice: bounded-load connection balancing and per-cgroup ingress control");
MODULE_AUTHOR("The sluice developers");
MODULE_VERSION(SLUICE_VERSION);
MODULE_ALIAS_GENL_FAMILY(SLUICE_GENL_NAME);
