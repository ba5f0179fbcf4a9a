/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * sluice: connection balancing with bounded loads and per-cgroup ingress
 * control. This header is the generic-netlink protocol between the kernel
 * module and its configurators; it is the protocol's documentation.
 *
 * Family name SLUICE_GENL_NAME ("sluice"), version SLUICE_GENL_VERSION (1).
 * The family is usable in every network namespace; services and backends
 * belong to the namespace of the socket that talks to the family. Cgroup
 * entries are global, as cgroup IDs are. The module autoloads when a client
 * resolves the family (MODULE_ALIAS_GENL_FAMILY).
 *
 * Permissions: every command, the read-only ones included, requires
 * CAP_NET_ADMIN in the user namespace that owns the caller's network
 * namespace (GENL_UNS_ADMIN_PERM). Commands that change cgroup entries
 * additionally require CAP_NET_ADMIN in the initial user namespace, because
 * cgroups are not confined to a namespace.
 *
 * Errors: every refused request returns a negative errno and, where the
 * reason is more than the errno says, an extended-ACK message (and the
 * offending attribute) that the CLI prints. A refused request changes
 * nothing. An attribute a command does not take is refused (-EINVAL), not
 * ignored: a top-level one of another kind ("this request takes no
 * backend"), and a service's options where only its key is expected
 * (SERVICE_DEL, SERVICE_GET, the BACKEND_* commands). The dumps of
 * services and cgroups take no attribute, the backend dump a service's
 * key. A dump reports such an error in its NLMSG_DONE, with the extended
 * ACK.
 *
 * Byte order: every integer attribute is in host byte order, ports
 * included. Addresses are SLUICE_*_A_ADDR binary attributes of exactly 4
 * (AF_INET) or 16 (AF_INET6) bytes in network byte order.
 *
 * ------------------------------------------------------------------------
 * SLUICE_CMD_GET_VERSION (do)
 *   request:  nothing
 *   reply:    SLUICE_A_VERSION      NLA_NUL_STRING  module version, "0.1.0"
 *             SLUICE_A_FEATURES     NLA_NESTED      one SLUICE_A_FEATURE
 *                                                   (NLA_NUL_STRING) per
 *                                                   feature, e.g. "chbl",
 *                                                   "maglev", "ingress"
 *
 * SLUICE_CMD_SERVICE_NEW (do)
 *   request:  SLUICE_A_SERVICE      NLA_NESTED
 *               SLUICE_SVC_A_PROTO       u8   IPPROTO_TCP | IPPROTO_UDP  (required)
 *               SLUICE_SVC_A_FAMILY      u16  AF_INET | AF_INET6         (required)
 *               SLUICE_SVC_A_ADDR        binary 4 | 16 bytes             (required)
 *               SLUICE_SVC_A_PORT        u16  1..65535                   (required)
 *               SLUICE_SVC_A_SCHED       u8   enum sluice_sched, default CHBL
 *               SLUICE_SVC_A_BALANCE     u32  c * 1000, > 1000; default 1250
 *               SLUICE_SVC_A_AFFINITY    u8   enum sluice_affinity, default SRC
 *               SLUICE_SVC_A_SEED        u32  hash seed; default fixed, so
 *                                             every host with the same
 *                                             configuration makes the same
 *                                             choices
 *               SLUICE_SVC_A_TABLE_SIZE  u32  Maglev table size, prime;
 *                                             default 65537
 *               SLUICE_SVC_A_ON_DELETE   u8   enum sluice_on_delete; default
 *                                             FLUSH for UDP, KEEP for TCP
 *   errors:   -EEXIST the service exists; -ENOSPC too many services in this
 *             network namespace; -EINVAL / -ERANGE with a message for a bad
 *             value.
 *
 * SLUICE_CMD_SERVICE_SET (do)
 *   request:  SLUICE_A_SERVICE with the key (PROTO, FAMILY, ADDR, PORT) and
 *             any of the optional attributes above; the others keep their
 *             values. -ENOENT if there is no such service.
 *
 * SLUICE_CMD_SERVICE_DEL (do)
 *   request:  SLUICE_A_SERVICE with the key. Deletes the service and its
 *             backends; their connections follow each backend's ON_DELETE.
 *
 * SLUICE_CMD_SERVICE_GET (do, dump)
 *   do:       SLUICE_A_SERVICE with the key; reply as one dump message.
 *   dump:     no attributes; one message per service of the namespace:
 *             SLUICE_A_SERVICE      NLA_NESTED
 *               key and every option attribute above, and
 *               SLUICE_SVC_A_BACKENDS_NUM  u32
 *               SLUICE_SVC_A_STATS         NLA_NESTED  enum sluice_stats_attr
 *             then one per service deleted with on-delete keep whose
 *             connections still live, with SLUICE_SVC_A_DELETED (flag), its
 *             last options and its STATS. The do form and every other
 *             command ignore such a service (-ENOENT), except the backend
 *             dump, which lists its kept backends; created again, it comes
 *             back with them.
 *   The dump resumes across messages; if services changed while it was
 *   being taken, the messages carry NLM_F_DUMP_INTR and the client should
 *   retry.
 *
 * SLUICE_CMD_BACKEND_NEW / _SET / _DEL (do)
 *   request:  SLUICE_A_SERVICE with the service key, and
 *             SLUICE_A_BACKEND      NLA_NESTED, once or more
 *               SLUICE_BE_A_FAMILY  u16  must equal the service's family (required)
 *               SLUICE_BE_A_ADDR    binary 4 | 16 bytes (required)
 *               SLUICE_BE_A_PORT    u16  1..65535 (required)
 *               SLUICE_BE_A_WEIGHT  u32  0..65535; 0 = drain: no new
 *                                   connections, established ones go on.
 *                                   Default 1 (NEW, and REPLACE even for
 *                                   a backend the service has: a drained
 *                                   one given without it takes
 *                                   connections again), unchanged (SET),
 *                                   ignored (DEL).
 *             Several SLUICE_A_BACKEND (up to 16384; modules with the
 *             feature "backend-lists", older ones take only the last) are
 *             one change: applied to all, with one rebuild of the
 *             service's table, or to none. Their attributes follow one
 *             another at the top level, so a request is not bounded by a
 *             nest's 64 KB.
 *   errors:   -ENOENT unknown service or backend; -EEXIST duplicate;
 *             -EINVAL a backend listed twice; -EAFNOSUPPORT family
 *             differs from the service's; -ENOSPC too many backends in
 *             the service; -E2BIG more than 16384 in one request; -ERANGE
 *             weight out of range. The extended ACK's offset points into
 *             the backend at fault.
 *
 * SLUICE_CMD_BACKEND_REPLACE (do)
 *   request:  as BACKEND_NEW, but with zero or more SLUICE_A_BACKEND. The
 *             backends given become the service's, with the weights given
 *             (default 1): those it lacks are added (one deleted with
 *             on-delete keep whose connections live comes back with them),
 *             those it has take the weight given, and those not given are
 *             deleted as by BACKEND_DEL (none given: all of them). One
 *             change, one rebuild of the table, all or nothing: what a
 *             controller that knows the whole set (as Envoy's EDS does)
 *             sends. Modules with the feature "backend-replace".
 *   errors:   as BACKEND_NEW, less -EEXIST; -ENOSPC if the set is larger
 *             than backends_max and than the service's present set.
 *
 * SLUICE_CMD_BACKEND_GET (dump)
 *   request:  SLUICE_A_SERVICE with the service key (a deleted one whose
 *             connections live too).
 *   reply:    one message per backend: SLUICE_A_SERVICE (key only) and
 *             SLUICE_A_BACKEND with FAMILY, ADDR, PORT, WEIGHT and
 *             SLUICE_BE_A_STATS (NLA_NESTED, enum sluice_stats_attr);
 *             then one per backend deleted with on-delete keep whose
 *             connections still live, with SLUICE_BE_A_DELETED (flag),
 *             its last WEIGHT and its STATS (they count in the service's
 *             live total; the backend takes nothing new).
 *   The dump resumes across messages; if that service's backends
 *   changed while it was being taken (not another service's), the
 *   messages carry NLM_F_DUMP_INTR and the client should retry.
 *
 * SLUICE_CMD_CGROUP_SET (do)
 *   request:  SLUICE_A_CGROUP       NLA_NESTED
 *               SLUICE_CG_A_ID           u64  cgroup v2 ID, i.e. the inode
 *                                             number of its directory
 *                                             (required)
 *               SLUICE_CG_A_RATE         u64  bytes per second; 0 removes
 *                                             the limit
 *               SLUICE_CG_A_BURST        u32  bytes, >= one MTU
 *               SLUICE_CG_A_WEIGHT       u32  1..10000, default 100
 *               SLUICE_CG_A_MODE         u8   enum sluice_cg_mode
 *               SLUICE_CG_A_MARK_THRESH  u32  bytes of virtual queue past
 *                                             which ECT packets are CE-marked
 *               SLUICE_CG_A_DROP_THRESH  u32  bytes of virtual queue past
 *                                             which packets are dropped
 *   Creates the entry if there is none, else changes the given fields.
 *   errors:   -ENOENT no such cgroup; -ENOSPC too many entries; -EINVAL /
 *             -ERANGE with a message; -EPERM without CAP_NET_ADMIN in the
 *             initial user namespace.
 *
 * SLUICE_CMD_CGROUP_DEL (do)
 *   request:  SLUICE_A_CGROUP with SLUICE_CG_A_ID only (a setting is
 *             refused, -EINVAL with a message; so is it in a GET).
 *
 * SLUICE_CMD_CGROUP_GET (do, dump)
 *   request:  SLUICE_A_CGROUP with SLUICE_CG_A_ID (do); nothing (dump).
 *   reply:    SLUICE_A_CGROUP with ID, PATH (NLA_NUL_STRING, the path
 *             relative to the cgroup2 root of the caller's cgroup namespace,
 *             as "/web/a"), PARENT_ID (u64, the
 *             nearest configured ancestor, 0 if none), the control
 *             attributes, and SLUICE_CG_A_STATS (NLA_NESTED,
 *             enum sluice_cg_stats_attr). A dump also ends with a message
 *             that carries SLUICE_A_UNATTRIBUTED (NLA_NESTED,
 *             enum sluice_cg_stats_attr): the packets of the caller's network
 *             namespace that had no local socket.
 *
 * Events (multicast group SLUICE_GENL_MCGRP_EVENTS, "events"):
 *   SLUICE_CMD_EVENT_CGROUP_REMOVED   SLUICE_A_CGROUP with ID and PATH: the
 *                                     cgroup was removed and its entry with it.
 *   SLUICE_CMD_EVENT_BACKEND_FULL     SLUICE_A_SERVICE key + SLUICE_A_BACKEND
 *                                     key: a key's first choice was full.
 *                                     Rate limited.
 * ------------------------------------------------------------------------
 */
#ifndef _UAPI_LINUX_SLUICE_H
#define _UAPI_LINUX_SLUICE_H

#define SLUICE_GENL_NAME		"sluice"
#define SLUICE_GENL_VERSION		1
#define SLUICE_GENL_MCGRP_EVENTS	"events"

enum sluice_cmd {
	SLUICE_CMD_UNSPEC,
	SLUICE_CMD_GET_VERSION,
	SLUICE_CMD_SERVICE_NEW,
	SLUICE_CMD_SERVICE_SET,
	SLUICE_CMD_SERVICE_DEL,
	SLUICE_CMD_SERVICE_GET,
	SLUICE_CMD_BACKEND_NEW,
	SLUICE_CMD_BACKEND_SET,
	SLUICE_CMD_BACKEND_DEL,
	SLUICE_CMD_BACKEND_GET,
	SLUICE_CMD_CGROUP_SET,
	SLUICE_CMD_CGROUP_DEL,
	SLUICE_CMD_CGROUP_GET,
	SLUICE_CMD_EVENT_CGROUP_REMOVED,
	SLUICE_CMD_EVENT_BACKEND_FULL,
	SLUICE_CMD_BACKEND_REPLACE,

	__SLUICE_CMD_MAX
};
#define SLUICE_CMD_MAX (__SLUICE_CMD_MAX - 1)

enum sluice_attr {
	SLUICE_A_UNSPEC,
	SLUICE_A_VERSION,		/* NLA_NUL_STRING */
	SLUICE_A_FEATURES,		/* NLA_NESTED: SLUICE_A_FEATURE... */
	SLUICE_A_FEATURE,		/* NLA_NUL_STRING */
	SLUICE_A_SERVICE,		/* NLA_NESTED: enum sluice_svc_attr */
	SLUICE_A_BACKEND,		/* NLA_NESTED: enum sluice_be_attr */
	SLUICE_A_CGROUP,		/* NLA_NESTED: enum sluice_cg_attr */
	SLUICE_A_UNATTRIBUTED,		/* NLA_NESTED: enum sluice_cg_stats_attr */
	SLUICE_A_PAD,

	__SLUICE_A_MAX
};
#define SLUICE_A_MAX (__SLUICE_A_MAX - 1)

enum sluice_sched {
	SLUICE_SCHED_CHBL,	/* consistent hashing with bounded loads */
	SLUICE_SCHED_MAGLEV,	/* Maglev lookup table, no load bound */
	__SLUICE_SCHED_MAX
};

enum sluice_affinity {
	SLUICE_AFFINITY_SRC,		/* client address */
	SLUICE_AFFINITY_SRC_PORT,	/* client address and port */
	SLUICE_AFFINITY_TUPLE,		/* protocol, both addresses and ports */
	__SLUICE_AFFINITY_MAX
};

enum sluice_on_delete {
	SLUICE_ON_DELETE_FLUSH,	/* delete the backend's conntrack entries */
	SLUICE_ON_DELETE_KEEP,	/* established connections go on */
	__SLUICE_ON_DELETE_MAX
};

enum sluice_svc_attr {
	SLUICE_SVC_A_UNSPEC,
	SLUICE_SVC_A_PROTO,		/* u8 */
	SLUICE_SVC_A_FAMILY,		/* u16 */
	SLUICE_SVC_A_ADDR,		/* binary, 4 or 16 bytes */
	SLUICE_SVC_A_PORT,		/* u16 */
	SLUICE_SVC_A_SCHED,		/* u8, enum sluice_sched */
	SLUICE_SVC_A_BALANCE,		/* u32, c * 1000 */
	SLUICE_SVC_A_AFFINITY,		/* u8, enum sluice_affinity */
	SLUICE_SVC_A_SEED,		/* u32 */
	SLUICE_SVC_A_TABLE_SIZE,	/* u32, prime */
	SLUICE_SVC_A_ON_DELETE,		/* u8, enum sluice_on_delete */
	SLUICE_SVC_A_BACKENDS_NUM,	/* u32, read only */
	SLUICE_SVC_A_STATS,		/* NLA_NESTED, enum sluice_stats_attr */
	SLUICE_SVC_A_PAD,
	SLUICE_SVC_A_DELETED,		/* flag, in dumps only */

	__SLUICE_SVC_A_MAX
};
#define SLUICE_SVC_A_MAX (__SLUICE_SVC_A_MAX - 1)

enum sluice_be_attr {
	SLUICE_BE_A_UNSPEC,
	SLUICE_BE_A_FAMILY,		/* u16 */
	SLUICE_BE_A_ADDR,		/* binary, 4 or 16 bytes */
	SLUICE_BE_A_PORT,		/* u16 */
	SLUICE_BE_A_WEIGHT,		/* u32, 0..65535 */
	SLUICE_BE_A_STATS,		/* NLA_NESTED, enum sluice_stats_attr */
	SLUICE_BE_A_PAD,
	SLUICE_BE_A_DELETED,		/* flag, in dumps only */

	__SLUICE_BE_A_MAX
};
#define SLUICE_BE_A_MAX (__SLUICE_BE_A_MAX - 1)

/* Counters of a service or a backend. */
enum sluice_stats_attr {
	SLUICE_STATS_A_UNSPEC,
	SLUICE_STATS_A_CONNS_LIVE,	/* u32: live connections assigned */
	SLUICE_STATS_A_CONNS_TOTAL,	/* u64: connections assigned in all */
	SLUICE_STATS_A_OVERFLOWS,	/* u64: assignments that left the key's
					 * first choice because it was full */
	SLUICE_STATS_A_NO_BACKEND,	/* u64: packets that found no usable
					 * backend (service only) */
	SLUICE_STATS_A_PAD,

	__SLUICE_STATS_A_MAX
};
#define SLUICE_STATS_A_MAX (__SLUICE_STATS_A_MAX - 1)

enum sluice_cg_mode {
	SLUICE_CG_MODE_ECN,	/* CE-mark ECT packets, then drop */
	SLUICE_CG_MODE_DROP,	/* drop only */
	__SLUICE_CG_MODE_MAX
};

enum sluice_cg_attr {
	SLUICE_CG_A_UNSPEC,
	SLUICE_CG_A_ID,			/* u64 */
	SLUICE_CG_A_PATH,		/* NLA_NUL_STRING, read only */
	SLUICE_CG_A_PARENT_ID,		/* u64, read only */
	SLUICE_CG_A_RATE,		/* u64, bytes per second, 0 = no limit */
	SLUICE_CG_A_BURST,		/* u32, bytes */
	SLUICE_CG_A_WEIGHT,		/* u32, 1..10000 */
	SLUICE_CG_A_MODE,		/* u8, enum sluice_cg_mode */
	SLUICE_CG_A_MARK_THRESH,	/* u32, bytes */
	SLUICE_CG_A_DROP_THRESH,	/* u32, bytes */
	SLUICE_CG_A_STATS,		/* NLA_NESTED, enum sluice_cg_stats_attr */
	SLUICE_CG_A_SHARE_RATE,		/* u64, read only: bytes per second
					 * this entry may use now (its rate, or
					 * its weighted share of its parent's) */
	SLUICE_CG_A_PAD,

	__SLUICE_CG_A_MAX
};
#define SLUICE_CG_A_MAX (__SLUICE_CG_A_MAX - 1)

enum sluice_cg_stats_attr {
	SLUICE_CG_STATS_A_UNSPEC,
	SLUICE_CG_STATS_A_BYTES,	/* u64 */
	SLUICE_CG_STATS_A_PACKETS,	/* u64 */
	SLUICE_CG_STATS_A_MARKED,	/* u64: packets CE-marked */
	SLUICE_CG_STATS_A_DROPPED,	/* u64: packets dropped */
	SLUICE_CG_STATS_A_PAD,

	__SLUICE_CG_STATS_A_MAX
};
#define SLUICE_CG_STATS_A_MAX (__SLUICE_CG_STATS_A_MAX - 1)

#endif /* _UAPI_LINUX_SLUICE_H */
