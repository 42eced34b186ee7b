/*
 * Per-CPU areas and their stacks.  Boot CPU only, during bring-up, before
 * the CPU an area is for runs (paging_map_4k's rule: no TLB shootdown).
 *
 * Each CPU gets one block of PERCPU_BLOCK bytes from struct smp_mem
 * (memblock, after it exists: mm/), asked for on the CPU's own node, so
 * its area, cross-call queue and stacks are node-local; a node without
 * memory gets the nearest node's.  Nothing here is sized by the early
 * heap: only the page tables of the stack windows come from it, one page
 * per 64 CPUs.
 *
 *   block + 0       struct percpu (one page)
 *   block + 4K      IST1 stack, 8 KiB
 *   block + 12K     kernel stack, 16 KiB
 *
 * The stacks are used through a fixed virtual window per bring-up slot,
 * mapped with 4 KiB pages:
 *
 *   window + 0      guard (never mapped)
 *   window + 4K     IST1 stack, 8 KiB (double fault, NMI, #MC)
 *   window + 12K    guard (never mapped)
 *   window + 16K    kernel stack, 16 KiB, top at window + 32K
 *
 * so overflowing either stack faults on a guard page instead of silently
 * running into the neighbour; the IST stack still works for the #DF that
 * a kernel stack overflow turns into.  The area itself is reached through
 * the identity map.
 */
#include <stdint.h>
#include "kprintf.h"
#include "kstring.h"
#include "paging.h"
#include "trap.h"
#include "x86.h"
#include "internal.h"

#define PERCPU_STACK_VA_BASE	0xffffc00000000000ULL	/* PML4 slot 384, nothing else there */
#define PERCPU_WINDOW		(32 * 1024ULL)
#define PERCPU_IST_OFFSET	(4 * 1024ULL)
#define PERCPU_STACK_OFFSET	(16 * 1024ULL)
#define PERCPU_BLOCK		(PAGE_SIZE + PERCPU_IST_SIZE + PERCPU_STACK_SIZE)
#define PML4_SLOT_BYTES		(1ULL << 39)

_Static_assert(PERCPU_IST_OFFSET + PERCPU_IST_SIZE + PAGE_SIZE == PERCPU_STACK_OFFSET,
	       "a guard page between the IST and kernel stacks");
_Static_assert(PERCPU_STACK_OFFSET + PERCPU_STACK_SIZE == PERCPU_WINDOW,
	       "the kernel stack ends at the window's end");
_Static_assert((uint64_t)SMP_MAX_CPUS * PERCPU_WINDOW <= PML4_SLOT_BYTES,
	       "every CPU's stack window fits in the one PML4 slot");
_Static_assert(PERCPU_IST_SIZE % PAGE_SIZE == 0 && PERCPU_STACK_SIZE % PAGE_SIZE == 0,
	       "stacks are whole pages");

/* Map [va, va + size) to [pa, pa + size) with 4 KiB pages. */
static int map_range(uint64_t va, uint64_t pa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		if (paging_map_4k(va + off, pa + off))
			return -1;
	return 0;
}

uint64_t smp_percpu_bytes(void)
{
	return PERCPU_BLOCK;
}

struct percpu *smp_percpu_alloc(uint32_t slot, uint32_t node, const struct smp_mem *mem)
{
	uint64_t window = PERCPU_STACK_VA_BASE + slot * PERCPU_WINDOW, block;
	uint32_t got = NUMA_NO_NODE;
	struct percpu *pc;

	if (slot >= SMP_MAX_CPUS || !mem || !mem->alloc)
		return NULL;
	block = mem->alloc(mem->ctx, node, PERCPU_BLOCK, PAGE_SIZE, &got);
	if (!block)
		return NULL;
	if (map_range(window + PERCPU_IST_OFFSET, block + PAGE_SIZE, PERCPU_IST_SIZE) ||
	    map_range(window + PERCPU_STACK_OFFSET, block + PAGE_SIZE + PERCPU_IST_SIZE,
		      PERCPU_STACK_SIZE)) {
		kprintf("smp: no page-table memory for the stacks of slot %u\n", slot);
		return NULL;	/* the block stays reserved: a few KiB, reported */
	}
	pc = (struct percpu *)block;
	memset(pc, 0, sizeof(*pc));
	pc->self = pc;
	pc->slot = slot;
	pc->cpu = slot;
	pc->node = node;
	pc->mem_node = got;
	pc->ist_top = window + PERCPU_IST_OFFSET + PERCPU_IST_SIZE;
	pc->stack_top = window + PERCPU_STACK_OFFSET + PERCPU_STACK_SIZE;
	pc->stack_base = pc->stack_top - PERCPU_STACK_SIZE;
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
