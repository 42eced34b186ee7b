/*
 * The verifier's and the checksum's own readers of a node's description
 * (mm/verify.c, mm/checksum.c): which pfns of a node have struct pages it
 * may read, its hot regions' block states and pageblock bits.  Written
 * apart from mm/internal.h and mm/lookup.c on purpose (docs/mm.md,
 * "Verifier"): a bug in the initializer's helpers is not mirrored here.
 * Read-only; the node quiescent.
 */
#ifndef NUMABOOT_MM_VERIFY_H
#define NUMABOOT_MM_VERIFY_H

#include <stdint.h>
#include "mm.h"

#define SECTION_PAGES		(1ULL << 15)	/* 128 MiB */
#define PAGEBLOCK_PAGES		512ULL		/* 2 MiB */

/* Whether the section of pfn has struct pages for the node (holds its RAM). */
static inline int section_has_ram(const struct mm_node *node, uint64_t pfn)
{
	uint64_t sec_start = pfn & ~(SECTION_PAGES - 1), sec_end = sec_start + SECTION_PAGES;

	for (uint32_t i = 0; i < node->nr_present; i++)
		if (node->present[i].start_pfn < sec_end && node->present[i].end_pfn > sec_start)
			return 1;
	return 0;
}

/* Owned range i: the node's owned list, or without one its span. */
static inline uint32_t owned_count(const struct mm_node *node)
{
	return node->owned ? node->nr_owned : node->start_pfn < node->end_pfn;
}

static inline struct mm_range owned_range(const struct mm_node *node, uint32_t i)
{
	return node->owned ? node->owned[i] : (struct mm_range){ node->start_pfn, node->end_pfn };
}

/* Whether the node owns DRAM pfn pfn: the only DRAM struct pages it may read. */
static inline int has_page(const struct mm_node *node, uint64_t pfn)
{
	uint32_t lo = 0, hi = owned_count(node);

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		struct mm_range r = owned_range(node, mid);

		if (r.end_pfn <= pfn)
			lo = mid + 1;
		else if (r.start_pfn > pfn)
			hi = mid;
		else
			return section_has_ram(node, pfn);
	}
	return 0;
}

/* End of the piece of owned range r that starts at s: the section's end or
 * the range's. */
static inline uint64_t piece_end(struct mm_range r, uint64_t s)
{
	uint64_t e = (s | (SECTION_PAGES - 1)) + 1;

	return e < r.end_pfn ? e : r.end_pfn;
}

/* The region holding pfn, or NULL. */
static inline const struct mm_hot_region *hot_region(const struct mm_node *node, uint64_t pfn)
{
	for (uint32_t i = 0; i < node->nr_hot; i++)
		if (pfn >= node->hot[i]->start_pfn && pfn < node->hot[i]->end_pfn)
			return node->hot[i];
	return NULL;
}

static inline unsigned block_state(const struct mm_hot_region *r, uint64_t pfn)
{
	return r->state[(pfn - r->start_pfn) / r->block_pages];
}

/* Whether pfn lies in an ONLINE block of one of the node's regions. */
static inline int hot_online(const struct mm_node *node, uint64_t pfn)
{
	const struct mm_hot_region *r = hot_region(node, pfn);

	return r && block_state(r, pfn) == MM_HOT_ONLINE;
}

/* End of the run of blocks in the same state as the one at b. */
static inline uint64_t block_run_end(const struct mm_hot_region *r, uint64_t b)
{
	unsigned st = block_state(r, b);
	uint64_t e = b + r->block_pages;

	while (e < r->end_pfn && block_state(r, e) == st)
		e += r->block_pages;
	return e;
}

/* Migratetype of pfn's pageblock: in its region's bitmap or the node's. */
static inline unsigned pageblock_mt(const struct mm_node *node, uint64_t pfn)
{
	const struct mm_hot_region *r = hot_region(node, pfn);
	const uint8_t *bits = r ? r->pageblock_mt : node->pageblock_mt;
	uint64_t base = r ? r->start_pfn : node->start_pfn & ~(SECTION_PAGES - 1);
	uint64_t idx = (pfn - base) / PAGEBLOCK_PAGES;

	return (bits[idx / 2] >> ((idx & 1) * 4)) & 0xf;
}

#endif
