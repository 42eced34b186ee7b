/*
 * Node-local boot allocations for other subsystems: memblock memory on a
 * node, else on the nearest node with room, between mm_setup() and
 * mm_setup_finish() (the freeze).  What is allocated here is reserved, so
 * it is never on a free list, and the verifier counts it as
 * early_reserved_pages of the node it landed on.  Boot CPU only.
 */
#include <stdint.h>
#include "meminit.h"
#include "smp.h"
#include "internal.h"

/* The node whose memblock memory holds pa (NUMA_NO_NODE: none). */
static uint32_t memblock_nid_of(const struct memblock *mb, uint64_t pa)
{
	for (uint32_t i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *r = &mb->memory.regions[i];

		if (pa >= r->base && pa < r->end)
			return r->nid;
	}
	return NUMA_NO_NODE;
}

uint64_t mm_alloc_node(struct mm_state *mm, uint32_t nid, uint64_t size, uint64_t align,
		       uint32_t *got_nid)
{
	uint64_t pa = memblock_alloc_exact_nid(&mm->mb, nid, size, align);

	if (!pa)
		pa = memblock_alloc(&mm->mb, nid, size, align);
	if (pa)
		mm->early_alloc_bytes += size;
	if (got_nid)
		*got_nid = pa ? memblock_nid_of(&mm->mb, pa) : NUMA_NO_NODE;
	return pa;
}

static uint64_t smp_mem_alloc(void *ctx, uint32_t node, uint64_t size, uint64_t align,
			      uint32_t *got_node)
{
	return mm_alloc_node(ctx, node, size, align, got_node);
}

struct smp_mem mm_smp_mem(struct mm_state *mm)
{
	return (struct smp_mem){ .alloc = smp_mem_alloc, .ctx = mm };
}

/* Node-local memory for a node's own structures, else the nearest node's
 * (mm/setup.c and mm/setup_device.c; here so that neither calls the other
 * back). */
uint64_t mm_alloc_near(struct mm_state *mm, uint32_t nid, uint64_t size, uint64_t align)
{
	return mm_alloc_node(mm, nid, size, align, NULL);
}
