/*
 * Memory setup (mm/setup.c, mm/setup_device.c, mm/alloc.c, mm/vmemmap.c,
 * mm/plan.c): from the NUMA table to per-node memmaps and init requests,
 * and each node's worker CPU set.  struct mm_state is everything memory
 * init keeps for the boot; kernel_main owns it.  Boot CPU only.
 *
 * Lock letters: include/locking.h.
 */
#ifndef NUMABOOT_MM_SETUP_H
#define NUMABOOT_MM_SETUP_H

#include <stdbool.h>
#include <stdint.h>
#include "boot_info.h"
#include "meminit_request.h"
#include "mm.h"
#include "numa.h"
#include "smp.h"

#define MM_RANGE_POOL		8192	/* pfn ranges for all nodes' present/usable lists */
#define MM_MEMBLOCK_REGIONS	4096

/* One node's memory as meminit drives it. */
struct mm_node_plan {
	struct mm_node node;
	int has_memory;				/* (C) DRAM or device memory to initialize */
	struct meminit_request dram;		/* (C) its boot DRAM (nchunks 0: none) */
	struct meminit_request *dev_req;	/* (C) one per node.dev[] entry */
	uint32_t ndev_req;			/* (C) */
	uint64_t sections;			/* (C) present DRAM sections (memmap pages of 2 MiB) */
	uint32_t init_node;			/* (C) whose CPUs initialize it (itself unless CPU-less) */
	cpumask_t workers;			/* (C) its worker CPU set, mm_plan_workers() */
	uint32_t first_worker;			/* (C) lowest CPU of workers */
	struct mm_lazy lazy;			/* node.lazy for meminit=lazy (include/mm.h) */
	uint8_t *lazy_states;			/* (C) its unit states, memmap_lazy_bytes() */
};

/* How persistent memory gets its memmap (options pmem_memmap, pmem_compound). */
struct mm_device_config {
	enum mm_memmap_loc memmap_loc;	/* DRAM of the device's node, or the device (altmap) */
	unsigned compound_order;	/* 0 (4 KiB), 9 (2 MiB) or 18 (1 GiB) */
};

/* Every node's device ranges (mm/setup_device.c); node nid's are
 * dev[first[nid] .. first[nid] + count[nid]), sorted. */
struct mm_devices {
	struct mm_device dev[NUMA_MAX_PMEM];
	uint32_t ndev;
	uint32_t first[NUMA_MAX_NODES], count[NUMA_MAX_NODES];
	uint8_t *pageblock_mt[NUMA_MAX_NODES];	/* device-only nodes' bitmaps */
	uint64_t memmap_dram_bytes;	/* DRAM backing device memmaps (distinct pages only) */
	uint64_t memmap_device_bytes;	/* device pages backing their own memmap (altmap) */
	uint64_t table_bytes;		/* page-table pages of the device vmemmap */
};

/* Whether the node has anything to initialize: DRAM or a device. */
static inline bool mm_plan_has_work(const struct mm_node_plan *p)
{
	return p->dram.nchunks || p->ndev_req;
}

struct mm_state {
	struct memblock mb;
	struct memblock_region mem_regions[MM_MEMBLOCK_REGIONS];
	struct memblock_region res_regions[MM_MEMBLOCK_REGIONS];
	struct mm_range range_pool[MM_RANGE_POOL];
	uint32_t range_used;
	uint32_t nnodes;
	struct mm_node_plan plan[NUMA_MAX_NODES];
	uint64_t sections_mapped;		/* boot DRAM vmemmap 2 MiB pages mapped */
	/* (B) sections whose memmap is one 2 MiB page, mapped: boot DRAM, whole
	 * device sections, hot-added sections (mm/vmemmap.c) */
	uint8_t vmemmap_sections[NR_MEM_SECTIONS / 8];
	uint64_t early_alloc_bytes;		/* memblock allocations for the memmap & plans */
	bool workers_planned;			/* (B) mm_plan_workers() ran */
	struct mm_devices devs;			/* (C) persistent memory per node */
	uint32_t fenced_seen;			/* (B) smp_nfenced() the plans last dropped */
	struct meminit_run run;			/* (B) meminit_run()'s, for the boot */
};

/* ---- setup and plan (boot CPU) --------------------------------------------- */

/* Build memblock, map the vmemmap with node-local memory (device memmaps as
 * dcfg says) and allocate every node's requests; memblock stays open for
 * mm_alloc_node() (per-CPU areas) until mm_setup_finish().  Returns 0, or
 * -1 (reported) when memory for the memmap is short.  Boot CPU, once,
 * before smp_init(). */
int mm_setup(const struct boot_info *bi, const struct numa_topology *numa,
	     const struct mm_device_config *dcfg, struct mm_state *mm);

/* mm/setup_device.c, called by mm_setup(): each node's device ranges from
 * numa->pmem (bad ones reported and skipped), node spans grown to cover
 * them, device memmaps mapped; before memblock_freeze(). */
int mm_setup_devices(struct mm_state *mm, const struct numa_topology *numa,
		     const struct mm_device_config *dcfg);
/* After each node's memmap_node_init(): give it its devices (device-only
 * nodes get their node description here). */
int mm_describe_devices(struct mm_state *mm);

/* size bytes of memblock memory on nid, else on the nearest node with
 * room; *got_nid (if not NULL) = the node used.  0 when nothing fits or
 * after mm_setup_finish().  Boot CPU, between the two (mm/alloc.c). */
uint64_t mm_alloc_node(struct mm_state *mm, uint32_t nid, uint64_t size, uint64_t align,
		       uint32_t *got_nid);
/* The same, as smp_init()'s per-CPU memory source. */
struct smp_mem mm_smp_mem(struct mm_state *mm);

/* Freeze memblock and describe every node's usable memory (everything
 * allocated until now stays reserved).  Returns 0 or -1 (reported).  Boot
 * CPU, once, after smp_init() and before mm_plan_workers(). */
int mm_setup_finish(struct mm_state *mm);

/* After SMP bring-up: each node's worker set (its own online CPUs plus
 * those of memory-less nodes that help it; a CPU-less node takes its
 * init_by node's set; the boot CPU when nobody is left).  Boot CPU, once. */
void mm_plan_workers(struct mm_state *mm, const struct numa_topology *numa);

/* Take every CPU smp/ has fenced (it missed a cross-call deadline) out of
 * every worker set; a set left empty gets the boot CPU, which is never
 * fenced.  Cheap when nothing changed.  Boot CPU, before each phase that
 * computes CPU sets from the plans. */
void mm_plan_drop_fenced(struct mm_state *mm);

#endif
