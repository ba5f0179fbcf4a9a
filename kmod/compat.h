/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sluice: differences between the supported kernels (Debian 12's 6.1 and
 * its 6.12 backport). Every version test of the module lives here.
 */
#ifndef _SLUICE_COMPAT_H
#define _SLUICE_COMPAT_H

#include <linux/version.h>

#endif /* _SLUICE_COMPAT_H */
