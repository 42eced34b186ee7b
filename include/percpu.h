/*
 * Per-CPU area (smp/percpu.c): one per started CPU, in memory of that
 * CPU's own node (memblock, through struct smp_mem), reached through the
 * GS base, which points at the area itself (gs:0 holds `self`).
 *
 * Lock letters (include/locking.h): (C) constant once the CPU is online,
 * (O) written only by the owning CPU, (A) atomic, (Q) under queue.lock.
 */
#ifndef NUMABOOT_PERCPU_H
#define NUMABOOT_PERCPU_H

#include <stdint.h>
#include "spinlock.h"
#include "trap.h"

#define PERCPU_STACK_SIZE	(16 * 1024)	/* AP kernel stack, guard page below */
#define PERCPU_IST_SIZE		(8 * 1024)	/* emergency stack, guard page below */
#define SMP_QUEUE_LEN		64		/* >= SMP_MAX_CALLS: never full (smp/call.c) */

struct smp_call;

/* A CPU's cross-call inbox: a ring of calls, producers any CPU, consumer
 * the owner (see smp/call.c for the protocol). */
struct smp_call_queue {
	struct spinlock lock;
	uint32_t head, tail;			/* (Q) free-running; tail - head = queued */
	struct smp_call *ring[SMP_QUEUE_LEN];	/* (Q) */
} __attribute__((aligned(64)));

struct percpu {
	struct percpu *self;		/* (C) gs:0 */
	uint32_t cpu;			/* (C) logical id: boot CPU 0, then APs in MADT order */
	uint32_t apic_id;		/* (C) read by the CPU itself from its own LAPIC */
	uint32_t node;			/* (C) NUMA node of that APIC id */
	uint32_t state;			/* (A) enum smp_cpu_state (smp/internal.h) */
	uint32_t madt_apic_id;		/* (C) what the MADT said, to compare */
	uint32_t slot;			/* (C) index in the bring-up table */
	uint32_t mem_node;		/* (C) node of the memory holding the area and stacks */
	uint64_t stack_top;		/* (C) the stack this CPU runs on is */
	uint64_t stack_base;		/* (C) [stack_base, stack_top): its own kernel stack
					 * (an AP), the one boot/ gave (the boot CPU) */
	uint64_t ist_top;		/* (C) IST1 stack top */
	uint64_t checkin_tsc;		/* (O) when the CPU checked in (its own TSC) */
	uint64_t calls_run;		/* (O) cross-call functions executed here */
	struct smp_call_queue queue;	/* own cache lines: written by callers */
	struct cpu_desc desc;		/* (O) GDT and TSS */
} __attribute__((aligned(64)));

_Static_assert(_Alignof(struct percpu) == 64, "per-CPU areas are cache-line aligned");
_Static_assert(sizeof(struct percpu) % 64 == 0, "no two CPUs share a line");
_Static_assert(sizeof(struct percpu) <= 4096, "the area is the first page of its block");

/* This CPU's area.  Valid on a CPU once smp/ set its GS base (the boot CPU
 * in smp_init(), an AP in its C entry); not before. */
static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

#endif
