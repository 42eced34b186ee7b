/*
 * Lock-free running minimum and maximum of a 64-bit value shared between
 * CPUs (e.g. the earliest start and latest end TSC of a group of workers).
 * Relaxed: callers order the result through their own completion protocol.
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
