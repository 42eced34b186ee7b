/*
 * Per-CPU areas and their stacks.  Boot CPU only, during bring-up, before
 * the CPU an area is for runs (paging_map_4k's rule: no TLB shootdown).
 *
 * Each CPU's stacks live in a fixed virtual region, one 32 KiB window per
 * bring-up slot, mapped with 4 KiB pages from the early heap:
 *
 *   window + 0      guard (never mapped)
 *   window + 4K     IST1 stack, 8 KiB (double fault, NMI, #MC)
 *   window + 12K    guard (never mapped)
 *   window + 16K    kernel stack, 16 KiB, top at window + 32K
 *
 * so overflowing either stack faults on a guard page instead of silently
 * running into the neighbour; the IST stack still works for the #DF that
 * a kernel stack overflow turns into.  The area itself (struct percpu) is
 * one early-heap page, reached through the identity map.
 */
#include <stdint.h>
#include "kprintf.h"
#include "paging.h"
#include "trap.h"
#include "x86.h"
#include "internal.h"

#define PERCPU_STACK_VA_BASE	0xffffc00000000000ULL	/* PML4 slot 384, nothing else there */
#define PERCPU_WINDOW		(32 * 1024ULL)
#define PERCPU_IST_OFFSET	(4 * 1024ULL)
#define PERCPU_STACK_OFFSET	(16 * 1024ULL)

_Static_assert(PERCPU_IST_OFFSET + PERCPU_IST_SIZE + PAGE_SIZE == PERCPU_STACK_OFFSET,
	       "a guard page between the IST and kernel stacks");
_Static_assert(PERCPU_STACK_OFFSET + PERCPU_STACK_SIZE == PERCPU_WINDOW,
	       "the kernel stack ends at the window's end");

/* Back [va, va + size) with fresh pages; -1 when the early heap ran out. */
static int map_fresh(uint64_t va, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		uint64_t pa = early_alloc_page();

		if (!pa || paging_map_4k(va + off, pa))
			return -1;
	}
	return 0;
}

struct percpu *smp_percpu_alloc(uint32_t slot)
{
	uint64_t window = PERCPU_STACK_VA_BASE + slot * PERCPU_WINDOW;
	struct percpu *pc = (struct percpu *)early_alloc_page();

	if (!pc || map_fresh(window + PERCPU_IST_OFFSET, PERCPU_IST_SIZE) ||
	    map_fresh(window + PERCPU_STACK_OFFSET, PERCPU_STACK_SIZE))
		return NULL;
	pc->self = pc;
	pc->slot = slot;
	pc->cpu = slot;
	pc->ist_top = window + PERCPU_IST_OFFSET + PERCPU_IST_SIZE;
	pc->stack_top = window + PERCPU_STACK_OFFSET + PERCPU_STACK_SIZE;
	return pc;
}

/* For exception dumps: the logical id, or -1 before this CPU has an area.
 * GS base is 0 until smp_percpu_install() (reset value on APs; desc_init_cpu
 * reloads GS, which clears it on the boot CPU too). */
static int percpu_trap_cpu_id(void)
{
	if (!rdmsr(MSR_GS_BASE))
		return -1;
	return (int)this_cpu()->cpu;
}

/* After desc_init_cpu(): reloading the GS selector clears the base. */
void smp_percpu_install(struct percpu *pc)
{
	wrmsr(MSR_GS_BASE, (uint64_t)pc);
	trap_cpu_id_hook = percpu_trap_cpu_id;
}
