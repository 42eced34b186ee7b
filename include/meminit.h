/*
 * Boot-time memory initialization (mm/setup.c, mm/meminit.c,
 * mm/bandwidth.c): from the NUMA table to per-node memmaps and buddy free
 * lists, in one of the modes of include/options.h, verified and timed.
 * Boot CPU only; other CPUs take part through cross-calls.
 */
#ifndef NUMABOOT_MEMINIT_H
#define NUMABOOT_MEMINIT_H

#include <stdint.h>
#include "boot_info.h"
#include "mm.h"
#include "numa.h"
#include "options.h"

#define MM_RANGE_POOL		8192	/* pfn ranges for all nodes' present/usable lists */
#define MM_MEMBLOCK_REGIONS	4096

/* One node's memory as meminit drives it. */
struct mm_node_plan {
	struct mm_node node;
	int has_memory;
	uint32_t nchunks;
	struct mm_range *chunks;		/* memmap_node_chunks(), chunk order */
	struct memmap_chunk_result *results;	/* one per chunk */
	uint8_t *done;				/* one flag per chunk, for a run */
	uint64_t sections;			/* present sections (memmap pages of 2 MiB) */
	uint64_t memmap_bytes;			/* struct page bytes written per init */
	uint64_t pages;				/* pfns initialized (span's present sections) */
	uint32_t init_node;			/* whose CPUs initialize it (itself unless CPU-less) */
};

struct mm_state {
	struct memblock mb;
	struct memblock_region mem_regions[MM_MEMBLOCK_REGIONS];
	struct memblock_region res_regions[MM_MEMBLOCK_REGIONS];
	struct mm_range range_pool[MM_RANGE_POOL];
	uint32_t range_used;
	uint32_t nnodes;
	struct mm_node_plan plan[NUMA_MAX_NODES];
	uint64_t sections_mapped;		/* vmemmap 2 MiB pages mapped */
	uint64_t early_alloc_bytes;		/* memblock allocations for the memmap & plans */
};

/* Build memblock, map the vmemmap with node-local memory, describe every
 * node.  Returns 0, or -1 (reported) when memory for the memmap is short. */
int mm_setup(const struct boot_info *bi, const struct numa_topology *numa, struct mm_state *mm);

/* Run the mode(s) selected by o->meminit, verify and report.  Returns 0 when
 * every mode verified and all checksums agree, else -1. */
int meminit_run(struct mm_state *mm, const struct numa_topology *numa, const struct options *o);

#endif
