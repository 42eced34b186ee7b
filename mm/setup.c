/*
 * From the NUMA table to memory the modes can initialize: memblock over the
 * memory map, the vmemmap backed by each section's own node, and one
 * struct mm_node per node with memory.  Boot CPU only, before any mode runs.
 *
 * Everything allocated here, and the per-CPU areas smp_init() takes through
 * mm_alloc_node() between mm_setup() and mm_setup_finish(), comes from
 * memblock before memblock_freeze(), so it is reserved in every node's "usable" list and shows up in the
 * verifier's accounting as early_reserved_pages.
 */
#include <stdint.h>
#include "kprintf.h"
#include "kstring.h"
#include "internal.h"
#include "meminit.h"
#include "vmemmap.h"

static struct mm_range *take_ranges(struct mm_state *mm, uint32_t n)
{
	struct mm_range *r;

	if (mm->range_used + n > MM_RANGE_POOL)
		return NULL;
	r = &mm->range_pool[mm->range_used];
	mm->range_used += n;
	return r;
}

static int init_memblock(const struct boot_info *bi, const struct numa_topology *numa,
			 struct mm_state *mm)
{
	static struct memblock_node_range ranges[NUMA_MAX_RANGES];

	for (uint32_t i = 0; i < numa->nranges; i++)
		ranges[i] = (struct memblock_node_range){
			.start = numa->ranges[i].start,
			.end = numa->ranges[i].end,
			.nid = numa->ranges[i].node,
		};
	if (memblock_init(&mm->mb, bi->mmap, bi->mmap_count, ranges, numa->nranges,
			  &numa->distance[0][0], NUMA_MAX_NODES, numa->nnodes, mm->mem_regions,
			  MM_MEMBLOCK_REGIONS, mm->res_regions, MM_MEMBLOCK_REGIONS)) {
		kprintf("mm: memblock has no room for the memory map\n");
		return -1;
	}
	return 0;
}

/* memblock memory of the node (else the nearest) for its sections' memmap. */
struct boot_vmemmap_src {
	struct mm_vmemmap_src src;	/* first: the mapper hands it back */
	struct mm_state *mm;
	uint32_t nid;
};

static uint64_t boot_memmap_alloc(struct mm_vmemmap_src *src, uint64_t bytes, uint64_t align)
{
	struct boot_vmemmap_src *b = (struct boot_vmemmap_src *)src;

	return mm_alloc_near(b->mm, b->nid, bytes, align);
}

/* Back section sec's memmap, once, on its owner (docs/mm.md, "Node
 * ownership per pfn"): a section shared by two nodes is mapped when its
 * owner is planned, whichever node asks first.  Page tables from the early
 * heap, which boot/ sized for the DRAM vmemmap. */
static int map_section(struct mm_state *mm, uint32_t nid, uint64_t sec)
{
	struct boot_vmemmap_src b = { .src = { .alloc = boot_memmap_alloc }, .mm = mm, .nid = nid };
	const struct mm_vmemmap_range r = { section_nr_to_pfn(sec), section_nr_to_pfn(sec + 1),
					    MM_VMEMMAP_DISTINCT, 0 };
	int n;

	if (memmap_section_owner(mm->mb.memory.regions, mm->mb.memory.cnt, sec) != nid)
		return 0;
	n = mm_vmemmap_map(mm, &r, &b.src);
	if (n < 0) {
		kprintf("mm: node %u: cannot back the memmap of section %llu\n", nid,
			(unsigned long long)sec);
		return -1;
	}
	mm->sections_mapped += (uint64_t)n;
	return 0;
}

/* Present ranges, span, vmemmap and chunk plan of one node. */
static int plan_node(struct mm_state *mm, const struct numa_topology *numa, uint32_t nid)
{
	struct mm_node_plan *p = &mm->plan[nid];
	uint32_t np = memblock_node_memory_ranges(&mm->mb, nid, NULL, 0);
	struct mm_range *present;
	uint64_t start, end;

	p->init_node = numa->nodes[nid].cpuless && numa->nodes[nid].init_by != NUMA_NO_NODE ?
		       numa->nodes[nid].init_by : nid;
	if (!np)
		return 0;
	present = take_ranges(mm, np);
	if (!present) {
		kprintf("mm: node %u: too many memory ranges\n", nid);
		return -1;
	}
	np = memblock_node_memory_ranges(&mm->mb, nid, present, np);	/* merged: maybe fewer */
	start = present[0].start_pfn;
	end = present[np - 1].end_pfn;
	p->has_memory = 1;
	p->node.present = present;
	p->node.nr_present = np;
	p->node.start_pfn = start;
	p->node.end_pfn = end;
	for (uint64_t sec = pfn_to_section_nr(start); sec <= pfn_to_section_nr(end - 1); sec++) {
		if (!memmap_section_present(&p->node, sec))
			continue;
		if (map_section(mm, nid, sec))
			return -1;
		p->sections++;
	}
	return 0;
}

/* Every node's owned list, from all nodes' RAM and their final spans (after
 * mm_setup_devices() grew them): what its chunks, merges and verifier
 * cover.  The spans stay in the range pool beside the lists. */
static int plan_owned(struct mm_state *mm)
{
	struct mm_range *span = take_ranges(mm, mm->nnodes);

	if (!span) {
		kprintf("mm: no room for the node spans\n");
		return -1;
	}
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		const struct mm_node_plan *p = &mm->plan[nid];

		span[nid] = p->has_memory ? (struct mm_range){ p->node.start_pfn, p->node.end_pfn } :
					    (struct mm_range){ 0, 0 };
	}
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct mm_node *node = &mm->plan[nid].node;
		struct mm_range *owned;
		uint32_t n;

		if (!mm->plan[nid].has_memory)
			continue;
		n = memmap_owned_ranges(nid, mm->mb.memory.regions, mm->mb.memory.cnt, span,
					mm->nnodes, NULL, 0);
		owned = take_ranges(mm, n);
		if (!owned) {
			kprintf("mm: node %u: too many owned ranges\n", nid);
			return -1;
		}
		memmap_owned_ranges(nid, mm->mb.memory.regions, mm->mb.memory.cnt, span, mm->nnodes,
				    owned, n);
		node->owned = owned;
		node->nr_owned = n;
	}
	return 0;
}

/* Tables for n chunks: memblock memory of the node, so before the freeze. */
static int alloc_request_tables(struct mm_state *mm, uint32_t nid, uint32_t n,
				struct meminit_tables *t)
{
	uint64_t pa_chunks = mm_alloc_near(mm, nid, n * sizeof(struct mm_range), 64);
	uint64_t pa_results = mm_alloc_near(mm, nid, n * sizeof(struct memmap_chunk_result), 64);
	uint64_t pa_done = mm_alloc_near(mm, nid, n, 64);

	if (!pa_chunks || !pa_results || !pa_done)
		return -1;
	*t = (struct meminit_tables){ .chunks = (struct mm_range *)pa_chunks,
				      .results = (struct memmap_chunk_result *)pa_results,
				      .done = (uint8_t *)pa_done, .max = n };
	return 0;
}

/* The DRAM request (its tables), the pageblock bits and the lazy unit
 * states. */
static int alloc_node_tables(struct mm_state *mm, uint32_t nid)
{
	struct mm_node_plan *p = &mm->plan[nid];
	uint64_t pa_bits = mm_alloc_near(mm, nid, memmap_pageblock_bytes(p->node.start_pfn,
								      p->node.end_pfn), 64);
	uint64_t pa_lazy = mm_alloc_near(mm, nid, memmap_lazy_bytes(p->node.start_pfn,
								    p->node.end_pfn), 64);
	struct meminit_tables t;

	p->lazy_states = (uint8_t *)pa_lazy;
	if (!pa_bits || !pa_lazy ||
	    alloc_request_tables(mm, nid, memmap_chunks(&p->node, NULL, 0, NULL, 0), &t) ||
	    meminit_request_dram(&p->dram, &p->node, &t)) {
		kprintf("mm: node %u: no memory for its chunk tables\n", nid);
		return -1;
	}
	p->node.pageblock_mt = (uint8_t *)pa_bits;
	return 0;
}

/* One request per device of the node (mm_setup_devices() gave the node its
 * devices, so their chunks are known), with its tables. */
static int alloc_device_requests(struct mm_state *mm, uint32_t nid)
{
	struct mm_node_plan *p = &mm->plan[nid];
	uint32_t n = mm->devs.count[nid];
	uint64_t pa = mm_alloc_near(mm, nid, n * sizeof(struct meminit_request), 64);

	if (!pa) {
		kprintf("mm: node %u: no memory for its device requests\n", nid);
		return -1;
	}
	p->dev_req = (struct meminit_request *)pa;
	for (uint32_t d = 0; d < n; d++) {
		const struct mm_device *dev = &p->node.dev[d];
		struct meminit_tables t;
		uint32_t nc = memmap_chunks(&p->node, &(struct mm_range){ dev->start_pfn,
									  dev->end_pfn }, 1, NULL, 0);

		if (alloc_request_tables(mm, nid, nc, &t) ||
		    meminit_request_device(&p->dev_req[d], &p->node, d, &t)) {
			kprintf("mm: node %u: no memory for the chunk tables of device %u\n", nid,
				mm->devs.dev[mm->devs.first[nid] + d].id);
			return -1;
		}
	}
	p->ndev_req = n;
	return 0;
}

static int describe_node(struct mm_state *mm, uint32_t nid)
{
	struct mm_node_plan *p = &mm->plan[nid];
	/* Free pieces: at most one per memory range plus one per reservation. */
	uint32_t cap = mm->mb.memory.cnt + mm->mb.reserved.cnt + 1, nu;
	struct mm_range *usable = take_ranges(mm, cap);
	const struct mm_node *n = &p->node;
	const struct mm_range *owned = n->owned;	/* memmap_node_init() forgets it */
	uint32_t nr_owned = n->nr_owned;

	if (!usable) {
		kprintf("mm: node %u: too many usable ranges\n", nid);
		return -1;
	}
	nu = memblock_node_free_ranges(&mm->mb, nid, usable, cap);
	mm->range_used -= cap - nu;	/* give back what the node did not need */
	if (memmap_node_init(&p->node, nid, n->start_pfn, n->end_pfn, n->present, n->nr_present,
			     usable, nu, memblock_node_usable_pages(&mm->mb, nid),
			     memblock_node_reserved_pages(&mm->mb, nid), n->pageblock_mt) ||
	    memmap_node_set_owned(&p->node, owned, nr_owned)) {
		kprintf("mm: node %u: inconsistent node description\n", nid);
		return -1;
	}
	memmap_node_set_lazy(&p->node, &p->lazy, p->lazy_states);
	return 0;
}

int mm_setup(const struct boot_info *bi, const struct numa_topology *numa,
	     const struct mm_device_config *dcfg, struct mm_state *mm)
{
	mm->nnodes = numa->nnodes;
	if (init_memblock(bi, numa, mm))
		return -1;
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		if (plan_node(mm, numa, nid))
			return -1;
	if (mm_setup_devices(mm, numa, dcfg) || plan_owned(mm))
		return -1;
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		if (mm->plan[nid].has_memory && alloc_node_tables(mm, nid))
			return -1;
		if (mm->devs.count[nid] && alloc_device_requests(mm, nid))
			return -1;
	}
	return 0;
}

int mm_setup_finish(struct mm_state *mm)
{
	memblock_freeze(&mm->mb);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		if (mm->plan[nid].has_memory && describe_node(mm, nid))
			return -1;
	if (mm_describe_devices(mm))
		return -1;
	kprintf("mm: %llu memmap sections mapped (%llu MiB of struct page), %llu KiB of early allocations\n",
		(unsigned long long)mm->sections_mapped,
		(unsigned long long)(mm->sections_mapped * SECTION_MEMMAP_BYTES >> 20),
		(unsigned long long)(mm->early_alloc_bytes >> 10));
	return 0;
}
