/*
 * Shared state touched by several CPUs uses one vocabulary: the C11
 * __atomic builtins with an explicit order at every access (plain accesses
 * only under the lock that owns the field, or to state not yet published),
 * and every release names its acquire pair in a comment.  ThreadSanitizer
 * understands them (tests/unit/tsan.mk).  This header holds the helpers
 * used in more than one place; cpumask ones are in include/smp.h.
 *
 * Lock-free running minimum and maximum of a 64-bit value shared between
 * CPUs (e.g. the earliest start and latest end TSC of a group of workers).
 * Relaxed: callers order the result through their own protocol (a request's
 * done[] release, mm/request.c; the cross-call's completion, mm/bandwidth.c).
 */
#ifndef NUMABOOT_ATOMIC_H
#define NUMABOOT_ATOMIC_H

#include <stdint.h>

static inline void atomic_min_u64(uint64_t *p, uint64_t v)
{
	uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v < old && !__atomic_compare_exchange_n(p, &old, v, 0, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

static inline void atomic_max_u64(uint64_t *p, uint64_t v)
{
	uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v > old && !__atomic_compare_exchange_n(p, &old, v, 0, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

#endif
