/*
 * hostbench: the kernel's chunk worker, range initializer, splice, buddy
 * lists and verifier (mm/request.c, mm/memmap_init.c, mm/buddy.c,
 * mm/verify.c mm/checksum.c) run natively on the host, against the host's store bandwidth
 * measured with the kernel's own store loops (bw_store.h).  docs/bench.md
 * ("Native host benchmark").
 *
 *   hostbench_node.c  a synthetic node shaped like a real memory map, its
 *                     memmap (mmap'd, 2 MiB pages where offered) and its
 *                     DRAM init request (struct meminit_request)
 *   hostbench_run.c   pinned threads: one init pass (each thread runs
 *                     meminit_request_work()), the lazy heads or tails
 *                     pass of the same request, or one store-bandwidth pass
 *   hostbench_host.c  the kernel services the mm code calls (console_write,
 *                     kassert_fail); smp_this_cpu() and now_ns() come from
 *                     tests/unit/host_smp.c, shared with the unit tests
 *   hostbench.c       options, memory check, the sequence, JSON records
 *
 * Single-threaded except inside hb_init_pass()/hb_bw_pass(); all state is
 * in the structures passed around (no run state in statics).
 */
#ifndef NUMABOOT_HOSTBENCH_H
#define NUMABOOT_HOSTBENCH_H

#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"
#include "bw_store.h"
#include "meminit.h"
#include "mm.h"

#define HB_MAX_MAP	4096	/* memory map entries of the synthetic machine */
#define HB_MAX_REGIONS	4096	/* memblock storage, each type */
#define HB_MAX_CPUS	1024

/* A synthetic node 0 of ram_gib GiB of RAM, as the kernel would see it:
 * memory map -> memblock (with the memmap backing and the chunk tables
 * allocated from the node) -> present and usable pfn ranges. */
struct hb_layout {
	uint64_t ram_gib;			/* as asked */
	struct boot_mem_range map[HB_MAX_MAP];
	uint32_t map_count;
	struct memblock mb;
	struct memblock_region mem[HB_MAX_REGIONS], res[HB_MAX_REGIONS];
	struct mm_range *present, *usable;	/* malloc'd */
	uint32_t nr_present, nr_usable;
	uint64_t start_pfn, end_pfn;		/* node span */
	uint64_t ram_bytes;			/* usable RAM in the memory map */
	uint64_t sections;			/* present sections: 2 MiB of memmap each */
	uint64_t pages;				/* pfns with a struct page */
	uint32_t nchunks;
};

/* The node ready to initialize, its memmap and its DRAM init request
 * (chunks, results and done[] malloc'd; node = &node, as mm/setup.c
 * builds a node's dram request). */
struct hb_node {
	const struct hb_layout *lay;
	struct mm_node node;
	struct meminit_request req;
	uint8_t *pageblock_mt;
	uint64_t pageblock_bytes;
	struct mm_lazy lz;			/* lazy passes: the node's unit states */
	uint8_t *lazy_states;			/* memmap_lazy_bytes() of the span */
	void *map;				/* the mmap, for munmap */
	size_t map_bytes;
};

/* Threads of one pass: cpus[i] runs thread i (shared when fewer CPUs). */
struct hb_cpus {
	int cpu[HB_MAX_CPUS];
	uint32_t n;
};

/* Numbered as include/bw_store.h numbers its loops (bw_store()). */
enum hb_store { HB_PLAIN = BW_STORE_PLAIN, HB_NONTEMPORAL = BW_STORE_NONTEMPORAL,
		HB_REP_STOS = BW_STORE_REP_STOS, HB_NSTORES };
extern const char *const hb_store_names[HB_NSTORES];

/* hostbench_node.c */
int hb_layout_build(struct hb_layout *l, uint64_t ram_gib);
void hb_layout_free(struct hb_layout *l);
int hb_node_map(struct hb_node *n, const struct hb_layout *l);
void hb_node_unmap(struct hb_node *n);
int hb_node_reset(struct hb_node *n);
uint64_t hb_memmap_bytes(const struct hb_layout *l);

/* hostbench_run.c: each returns the pass time in ns (first thread's start
 * to last thread's end, CLOCK_MONOTONIC), 0 on failure (reported). */
uint64_t hb_init_pass(struct hb_node *n, const struct hb_cpus *cpus, uint32_t threads);
uint64_t hb_bw_pass(struct hb_node *n, const struct hb_cpus *cpus, uint32_t threads,
		    enum hb_store method);
/* meminit=lazy's two parts as the kernel runs them (mm/meminit.c, mode_lazy):
 * MM_INIT_HEADS resets the node, gives it its unit states, arms them and
 * runs the request's chunks as heads (every free page then allocatable;
 * *written = struct pages written); MM_INIT_TAILS then runs the same
 * request again as tails, completing every unit (the node then verifies as
 * after a full pass).  The next hb_node_reset() leaves the node not lazy. */
uint64_t hb_lazy_pass(struct hb_node *n, const struct hb_cpus *cpus, uint32_t threads,
		      enum mm_init_part part, uint64_t *written);

#endif
