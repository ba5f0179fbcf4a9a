/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sluice: the few kernel facilities the scheduler files (kmod/sched.c,
 * chbl.c, maglev.c) use, implemented in userspace so that the unit tests
 * and the algorithm benchmark compile those very files unchanged.
 *
 * Exactly what kmod/sched.h promises to use, nothing more: fixed-width
 * types, kmalloc/kvmalloc and friends (with fault injection, see
 * ucompat_alloc_fail), atomic_t on C11 atomics with the kernel's ordering
 * (value-returning RMW fully ordered, atomic_inc/dec/read relaxed),
 * ERR_PTR/IS_ERR/PTR_ERR, READ_ONCE, likely/unlikely, min_t/max_t,
 * div64_u64/div_u64_rem/div64_u64_rem, mul_u64_u32_shr, NSEC_PER_SEC and
 * check_*_overflow (cost.h).
 */
#ifndef _SLUICE_UCOMPAT_H
#define _SLUICE_UCOMPAT_H

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;

#define GFP_KERNEL 0u
#define GFP_KERNEL_ACCOUNT 0u
#define __GFP_RETRY_MAYFAIL 0u
#define __GFP_NOWARN 0u

#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define max_t(type, a, b) ((type)(a) > (type)(b) ? (type)(a) : (type)(b))

#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)
#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)

static inline u64 div64_u64(u64 a, u64 b)
{
	return a / b;
}

static inline u64 div_u64_rem(u64 a, u32 b, u32 *rem)
{
	*rem = (u32)(a % b);
	return a / b;
}

static inline u64 div64_u64_rem(u64 a, u64 b, u64 *rem)
{
	*rem = a % b;
	return a / b;
}

/* (a * b) >> shift, without overflow in between. */
static inline u64 mul_u64_u32_shr(u64 a, u32 b, unsigned int shift)
{
	return (u64)(((unsigned __int128)a * b) >> shift);
}

#define NSEC_PER_SEC	1000000000ULL

/*
 * Allocation with fault injection: when ucompat_alloc_fail is n > 0, the
 * n-th allocation from now fails (and the counter stops at 0). Counts every
 * k*alloc/kv*alloc call; ucompat_allocs counts live blocks (leak check).
 */
extern long ucompat_alloc_fail;
extern atomic_long ucompat_allocs;

static inline bool ucompat_should_fail(void)
{
	if (ucompat_alloc_fail > 0 && --ucompat_alloc_fail == 0)
		return true;
	return false;
}

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	void *p;

	(void)gfp;
	if (ucompat_should_fail())
		return NULL;
	p = malloc(size ? size : 1);
	if (p)
		atomic_fetch_add(&ucompat_allocs, 1);
	return p;
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	void *p = kmalloc(size, gfp);

	if (p)
		memset(p, 0, size);
	return p;
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc(bytes, gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return kzalloc(bytes, gfp);
}

static inline void kfree(const void *p)
{
	if (p)
		atomic_fetch_sub(&ucompat_allocs, 1);
	free((void *)p);
}

#define kvmalloc(size, gfp)		kmalloc(size, gfp)
#define kvzalloc(size, gfp)		kzalloc(size, gfp)
#define kvmalloc_array(n, size, gfp)	kmalloc_array(n, size, gfp)
#define kvcalloc(n, size, gfp)		kcalloc(n, size, gfp)
#define kvfree(p)			kfree(p)

/* atomic_t: the kernel's orderings. */
typedef struct {
	atomic_int counter;
} atomic_t;

#define ATOMIC_INIT(i) { (i) }

static inline int atomic_read(const atomic_t *v)
{
	return atomic_load_explicit(&((atomic_t *)v)->counter, memory_order_relaxed);
}

static inline void atomic_set(atomic_t *v, int i)
{
	atomic_store_explicit(&v->counter, i, memory_order_relaxed);
}

static inline void atomic_inc(atomic_t *v)
{
	atomic_fetch_add_explicit(&v->counter, 1, memory_order_relaxed);
}

static inline void atomic_dec(atomic_t *v)
{
	atomic_fetch_sub_explicit(&v->counter, 1, memory_order_relaxed);
}

static inline int atomic_inc_return(atomic_t *v)
{
	return atomic_fetch_add(&v->counter, 1) + 1;
}

static inline int atomic_dec_return(atomic_t *v)
{
	return atomic_fetch_sub(&v->counter, 1) - 1;
}

static inline int atomic_add_return(int i, atomic_t *v)
{
	return atomic_fetch_add(&v->counter, i) + i;
}

/* ERR_PTR and friends. */
#define MAX_ERRNO 4095

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return (unsigned long)ptr >= (unsigned long)-MAX_ERRNO;
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

#endif /* _SLUICE_UCOMPAT_H */
