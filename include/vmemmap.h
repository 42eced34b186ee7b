/*
 * The one vmemmap mapper (mm/vmemmap.c): backs the struct pages of a pfn
 * range, for every kind of memory — boot DRAM (mm/setup.c), persistent
 * memory (mm/setup_device.c) and hot-added blocks (serve/hotplug_setup.c)
 * — from the source its caller gives: memblock at boot, the buddy
 * allocator's boot memory for hot-add, or the range's own pages (altmap).
 * Boot CPU only; other CPUs may run meanwhile as long as they do not use
 * the new struct pages before the caller publishes them (include/paging.h).
 */
#ifndef NUMABOOT_VMEMMAP_H
#define NUMABOOT_VMEMMAP_H

#include <stdint.h>
#include "paging.h"

struct mm_state;

/* How a range's struct pages are backed. */
enum mm_vmemmap_layout {
	/* Every struct page its own, from src: one 2 MiB page per whole
	 * section (skipped when the section is mapped already), the 4 KiB
	 * pages it needs for a part of one. */
	MM_VMEMMAP_DISTINCT,
	/* Compound pages of 2^compound_order pfns, from src: two distinct
	 * 4 KiB pages each (head's and first tail's); every further vmemmap
	 * page of the compound page maps the second again (Linux's device-dax
	 * vmemmap deduplication, vmemmap_populate_compound_pages(), 5.19). */
	MM_VMEMMAP_COMPOUND,
	/* The range's own first pages back the whole range's memmap, in
	 * order, 2 MiB pages where aligned (a device's altmap). */
	MM_VMEMMAP_ALTMAP,
	/* Each whole section's first 2 MiB backs its own memmap (hot-added
	 * memory with hot_memmap=memory); a mapped section is skipped. */
	MM_VMEMMAP_SECTION_ALTMAP,
};

/*
 * Where the memory comes from.  alloc: bytes (a multiple of 4 KiB)
 * aligned to align, an identity-mapped physical address or 0; not zeroed
 * (the initializer writes every struct page it publishes).  The caller
 * embeds this struct first in its own and casts back in its callbacks.
 */
struct mm_vmemmap_src {
	uint64_t (*alloc)(struct mm_vmemmap_src *src, uint64_t bytes, uint64_t align);
	struct paging_table_src *tables;	/* page-table pages; NULL: the early heap */
	uint64_t memmap_bytes;			/* out: what alloc gave, added up */
	uint64_t altmap_bytes;			/* out: memmap on the range's own pages */
};

struct mm_vmemmap_range {
	uint64_t start_pfn, end_pfn;		/* [start_pfn, end_pfn) */
	enum mm_vmemmap_layout layout;
	unsigned compound_order;		/* MM_VMEMMAP_COMPOUND only */
};

/* Back the memmap of r from src.  Returns the number of whole sections it
 * mapped with one 2 MiB page each (recorded in mm: mm_section_mapped()),
 * or -1 when memory or page tables ran out or a mapping conflicts (the
 * caller reports).  A shared section's memmap is backed on its owner node
 * (docs/mm.md, "Node ownership per pfn"): the caller asks for the sections
 * it owns, with its node's source. */
int mm_vmemmap_map(struct mm_state *mm, const struct mm_vmemmap_range *r,
		   struct mm_vmemmap_src *src);

/* Whether section sec's memmap is mapped with one 2 MiB page. */
int mm_section_mapped(const struct mm_state *mm, uint64_t sec);

#endif
