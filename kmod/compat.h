/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sluice: differences between the supported kernels (Debian 12's 6.1 and
 * its 6.12 backport). Every version test of the module lives here.
 */
#ifndef _SLUICE_COMPAT_H
#define _SLUICE_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

/* The attributes of a dump's request: 6.2 moved them into a genl_info. */
static inline struct nlattr **sl_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
	return genl_dumpit_info(cb)->attrs;
#else
	return genl_info_dump(cb)->attrs;
#endif
}

/* What a family's pre_doit is given: 6.2 split the ops into do and dump. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define sl_genl_doit_ops genl_ops
#else
#define sl_genl_doit_ops genl_split_ops
#endif

/*
 * Whether a cgroup was removed (rmdir): cgroup_destroy_locked() clears
 * CSS_ONLINE on its self css in both kernels (css_is_dying() changed
 * meaning between them and does not cover the self css in 6.12).
 */
#include <linux/cgroup.h>
static inline bool sluice_cgroup_removed(struct cgroup *cgrp)
{
	return !(READ_ONCE(cgrp->self.flags) & CSS_ONLINE);
}

#endif /* _SLUICE_COMPAT_H */
