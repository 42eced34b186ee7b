/*
 * Kernel page tables (arch/x86_64/paging.c): an identity map of all RAM
 * and MMIO the memory map and framebuffer describe, plus 2 MiB and 4 KiB
 * mappings added later (the vmemmap, per-CPU areas).  Page-table pages come from the early heap
 * boot/ reserved below 4 GiB, so the PML4 is reachable from the AP
 * trampoline's 32-bit CR3 load.
 */
#ifndef NUMABOOT_PAGING_H
#define NUMABOOT_PAGING_H

#include <stdint.h>
#include "boot_info.h"
#include "page.h"	/* PAGE_SIZE, PAGE_SHIFT */

#define SIZE_2M		(1ULL << 21)
#define SIZE_1G		(1ULL << 30)

/* Boot CPU, once, before anything allocates: build and switch to the
 * identity map. */
void paging_init(const struct boot_info *bi);
/* Any CPU: a zeroed page from the early heap, or 0 when it is exhausted. */
uint64_t early_alloc_page(void);
/* Map [va, va + 2 MiB) to pa (both 2 MiB aligned).  Boot CPU only, during
 * setup, before other CPUs use the new range (no TLB shootdown).  Returns 0, or -1 when page-table memory ran out or va is already mapped
 * differently. */
int paging_map_2m(uint64_t va, uint64_t pa);
/* Map [va, va + 4 KiB) to pa (both 4 KiB aligned) with a 4 KiB page,
 * leaving its neighbours as they are (unmapped guard pages stay holes).
 * Same rules and return values as paging_map_2m(); a va inside a large
 * page is refused. */
int paging_map_4k(uint64_t va, uint64_t pa);
/*
 * Where page-table pages for a mapping come from when the early heap (sized
 * for the identity map and the DRAM vmemmap) is not the place: e.g. memblock
 * for the device memmaps.  alloc_page returns an identity-mapped page's
 * physical address or 0; paging zeroes it.  It is given the source itself:
 * a caller that needs more state embeds the struct first in its own and
 * casts back (no untyped context).
 */
struct paging_table_src {
	uint64_t (*alloc_page)(const struct paging_table_src *src);
};
/* paging_map_2m() / paging_map_4k() taking new page-table pages from src
 * (NULL: the early heap).  Same rules and return values. */
int paging_map_2m_from(uint64_t va, uint64_t pa, const struct paging_table_src *src);
int paging_map_4k_from(uint64_t va, uint64_t pa, const struct paging_table_src *src);
/* Identity-map the MMIO range [pa, pa + len) with uncached 2 MiB pages
 * where the identity map does not already cover it.  Boot CPU only, before
 * other CPUs use the range.  0, or -1 (bad range, page-table memory ran
 * out, or a conflicting mapping). */
int paging_map_mmio(uint64_t pa, uint64_t len);
/* Identity-map the RAM range [pa, pa + len) (2 MiB aligned) write-back,
 * with 2 MiB pages where the identity map does not already cover it, new
 * page-table pages from src (NULL: the early heap).  For memory that
 * arrives after boot (hot-plugged blocks).  Boot CPU only; other CPUs may
 * run meanwhile as long as they do not use the range before the caller
 * publishes it (x86 caches no not-present entries, so adding a mapping
 * needs no shootdown).  0, or -1 (bad range, no page-table memory, or a
 * conflicting mapping). */
int paging_map_ram(uint64_t pa, uint64_t len, const struct paging_table_src *src);
/* Physical address of the PML4 (for the AP trampoline). */
uint64_t paging_root(void);

struct paging_stats {
	uint64_t identity_top;		/* [0, top) identity mapped */
	uint32_t page_size;		/* 1 GiB or 2 MiB, as used for the identity map */
	uint64_t heap_used, heap_size;	/* early heap bytes */
};
void paging_get_stats(struct paging_stats *st);

#endif
