/*
 * The one vmemmap mapper (include/vmemmap.h): every kind of memory gets its
 * struct pages mapped here, from the source its caller gives.  Boot CPU
 * only.  Which whole sections are mapped is recorded in struct mm_state
 * (vmemmap_sections, (B)), so that a section is backed once: a shared
 * section by its owner node (mm/setup.c asks memmap_section_owner()), a
 * hot region's section by its first plug (later plugs find it mapped:
 * nothing unmaps a vmemmap).
 */
#include <stdint.h>
#include "meminit.h"
#include "vmemmap.h"
#include "internal.h"

#define COMPOUND_BATCH	64	/* compound pages per source allocation */

static uint64_t vaddr(uint64_t pfn)
{
	return (uint64_t)(uintptr_t)pfn_to_page(pfn);
}

int mm_section_mapped(const struct mm_state *mm, uint64_t sec)
{
	return sec < NR_MEM_SECTIONS && (mm->vmemmap_sections[sec / 8] & (1u << (sec % 8)));
}

static void mark_section(struct mm_state *mm, uint64_t sec)
{
	mm->vmemmap_sections[sec / 8] |= (uint8_t)(1u << (sec % 8));
}

static int map_4k_run(uint64_t va, uint64_t pa, uint64_t bytes, struct mm_vmemmap_src *src)
{
	for (uint64_t off = 0; off < bytes; off += PAGE_SIZE)
		if (paging_map_4k_from(va + off, pa + off, src->tables))
			return -1;
	return 0;
}

/* [s, e) inside one section: a whole one as one 2 MiB page (once), a part
 * as 4 KiB pages.  1 when it mapped a whole section, else 0, or -1. */
static int map_distinct(struct mm_state *mm, uint64_t s, uint64_t e, struct mm_vmemmap_src *src)
{
	uint64_t sec = pfn_to_section_nr(s), bytes = (e - s) * sizeof(struct page), pa;
	int whole = bytes == SECTION_MEMMAP_BYTES;

	if (whole && mm_section_mapped(mm, sec))
		return 0;
	pa = src->alloc(src, bytes, whole ? SECTION_MEMMAP_BYTES : PAGE_SIZE);
	if (!pa)
		return -1;
	src->memmap_bytes += bytes;
	if (!whole)
		return map_4k_run(vaddr(s), pa, bytes, src);
	if (paging_map_2m_from(vaddr(s), pa, src->tables))
		return -1;
	mark_section(mm, sec);
	return 1;
}

/* A whole section's first 2 MiB backs its memmap. */
static int map_section_altmap(struct mm_state *mm, uint64_t s, uint64_t e,
			      struct mm_vmemmap_src *src)
{
	uint64_t sec = pfn_to_section_nr(s);

	if ((e - s) != PAGES_PER_SECTION)
		return -1;
	if (mm_section_mapped(mm, sec))
		return 0;
	if (paging_map_2m_from(vaddr(s), s << PAGE_SHIFT, src->tables))
		return -1;
	src->altmap_bytes += SECTION_MEMMAP_BYTES;
	mark_section(mm, sec);
	return 1;
}

/* The range's own first pages back its memmap, in order. */
static int map_altmap(uint64_t s, uint64_t e, struct mm_vmemmap_src *src)
{
	uint64_t va = vaddr(s), end = vaddr(e), pa = s << PAGE_SHIFT;

	src->altmap_bytes += end - va;
	while (va < end) {
		int big = !(va & (SIZE_2M - 1)) && !(pa & (SIZE_2M - 1)) && va + SIZE_2M <= end;
		uint64_t step = big ? SIZE_2M : PAGE_SIZE;

		if (big ? paging_map_2m_from(va, pa, src->tables) :
			  paging_map_4k_from(va, pa, src->tables))
			return -1;
		va += step;
		pa += step;
	}
	return 0;
}

/* Two distinct vmemmap pages per compound page, the rest of its vmemmap
 * maps the second (first-tail) page again. */
static int map_compound(uint64_t s, uint64_t e, unsigned order, struct mm_vmemmap_src *src)
{
	uint64_t n = 1ULL << order, per = n * sizeof(struct page) / PAGE_SIZE;

	for (uint64_t h = s; h < e;) {
		uint64_t k = (e - h) / n, pa;

		k = k < COMPOUND_BATCH ? k : COMPOUND_BATCH;
		if (!k)
			return -1;	/* not whole compound pages */
		pa = src->alloc(src, k * 2 * PAGE_SIZE, PAGE_SIZE);
		if (!pa)
			return -1;
		src->memmap_bytes += k * 2 * PAGE_SIZE;
		for (uint64_t i = 0; i < k; i++, h += n)
			for (uint64_t j = 0; j < per; j++)
				if (paging_map_4k_from(vaddr(h) + j * PAGE_SIZE,
						       pa + (2 * i + (j ? 1 : 0)) * PAGE_SIZE,
						       src->tables))
					return -1;
	}
	return 0;
}

int mm_vmemmap_map(struct mm_state *mm, const struct mm_vmemmap_range *r,
		   struct mm_vmemmap_src *src)
{
	int mapped = 0;

	if (r->start_pfn >= r->end_pfn || r->end_pfn > MAX_PFN)
		return -1;
	if (r->layout == MM_VMEMMAP_ALTMAP)
		return map_altmap(r->start_pfn, r->end_pfn, src);
	if (r->layout == MM_VMEMMAP_COMPOUND)
		return map_compound(r->start_pfn, r->end_pfn, r->compound_order, src);
	for (uint64_t s = r->start_pfn; s < r->end_pfn;) {
		uint64_t e = mm_min(section_nr_to_pfn(pfn_to_section_nr(s) + 1), r->end_pfn);
		int n = r->layout == MM_VMEMMAP_DISTINCT ? map_distinct(mm, s, e, src) :
			map_section_altmap(mm, s, e, src);

		if (n < 0)
			return -1;
		mapped += n;
		s = e;
	}
	return mapped;
}
