/*
 * Ticket spinlock (FIFO, so no CPU starves during a boot-time storm).
 * Any CPU, any context but NMI.  The _irqsave variants disable interrupts
 * on the local CPU for the critical section; in host builds (tests) they
 * are the plain variants.
 *
 * Ordering: spin_lock() is an acquire (pairs with the release in
 * spin_unlock() of the previous holder), so the critical sections of
 * successive holders are totally ordered.
 */
#ifndef NUMABOOT_SPINLOCK_H
#define NUMABOOT_SPINLOCK_H

#include <stdint.h>

struct spinlock {
	uint32_t next;		/* (A) ticket dispenser */
	uint32_t owner;		/* (A) ticket now served */
};

#define SPINLOCK_INIT { 0, 0 }

#ifdef NUMABOOT_HOST
#include <sched.h>
#endif

/* One turn of a spin loop.  Host builds (tests with more threads than
 * cores) also give the core away: a ticket lock whose next owner is
 * preempted otherwise stalls every waiter for a scheduler tick. */
static inline void spin_pause(void)
{
#if defined(__x86_64__)
	__asm__ volatile("pause" : : : "memory");
#endif
#ifdef NUMABOOT_HOST
	sched_yield();
#endif
}

static inline void spin_lock(struct spinlock *l)
{
	uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		spin_pause();
}

static inline int spin_trylock(struct spinlock *l)
{
	uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint32_t expect = owner;

	return __atomic_compare_exchange_n(&l->next, &expect, owner + 1, 0, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/* Release; pairs with the acquire load of owner in the next holder's
 * spin_lock() (or the CAS in spin_trylock()).  Only the holder writes
 * owner, so its relaxed load here reads its own ticket's value. */
static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner, __atomic_load_n(&l->owner, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}

#ifdef NUMABOOT_HOST
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	spin_lock(l);
	return 0;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	(void)flags;
	spin_unlock(l);
}
#else
#include "x86.h"

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = read_rflags();

	irq_disable();
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_unlock(l);
	if (flags & RFLAGS_IF)
		irq_enable();
}
#endif

#endif
