/*
 * Node lookups: which section of a node has a page array, which pfns the
 * node owns (docs/mm.md, "Node ownership per pfn"), which hot region or
 * device holds a pfn.  Read-only over a node's description: the (C) fields,
 * and the append-only region set (an acquire load of nr_hot).  Every other
 * mm/ file asks here; this file asks nobody, so the initializer, the buddy
 * allocator, the hot regions and the device runs share these answers
 * without calling one another.  Any CPU, no lock.
 */
#include "mm.h"
#include "internal.h"

int memmap_section_present(const struct mm_node *node, uint64_t sec)
{
	uint64_t s = section_nr_to_pfn(sec), e = s + PAGES_PER_SECTION;

	for (uint32_t i = 0; i < node->nr_present; i++)
		if (node->present[i].start_pfn < e && node->present[i].end_pfn > s)
			return 1;
	return 0;
}

/* Owned range i of the node; without an owned list, the span (its pfns in
 * present sections). */
struct mm_range mm_owned_range(const struct mm_node *node, uint32_t i)
{
	return node->owned ? node->owned[i] : (struct mm_range){ node->start_pfn, node->end_pfn };
}

uint32_t mm_owned_count(const struct mm_node *node)
{
	return node->owned ? node->nr_owned : node->start_pfn < node->end_pfn;
}

/* The owned range holding pfn into *r; 0 when the node does not own pfn. */
int mm_owned_range_at(const struct mm_node *node, uint64_t pfn, struct mm_range *r)
{
	uint32_t lo = 0, hi = mm_owned_count(node);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		*r = mm_owned_range(node, mid);
		if (r->end_pfn <= pfn)
			lo = mid + 1;
		else if (r->start_pfn > pfn)
			hi = mid;
		else	/* an owned list lies in present sections; the span needs the check */
			return node->owned || memmap_section_present(node, pfn_to_section_nr(pfn));
	}
	return 0;
}

int mm_pfn_owned(const struct mm_node *node, uint64_t pfn)
{
	struct mm_range r;

	return mm_owned_range_at(node, pfn, &r);
}

int mm_block_owned(const struct mm_node *node, uint64_t s, uint64_t e)
{
	struct mm_range r;

	return s < e && mm_owned_range_at(node, s, &r) && e <= r.end_pfn &&
	       pfn_to_section_nr(s) == pfn_to_section_nr(e - 1);
}

uint32_t mm_hot_find(const struct mm_node *node, uint64_t pfn)
{
	uint32_t n = __atomic_load_n(&node->nr_hot, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < n; i++)
		if (pfn >= node->hot[i]->start_pfn && pfn < node->hot[i]->end_pfn)
			return i;
	return MM_NO_HOT;
}

uint32_t mm_device_at(const struct mm_node *node, uint64_t pfn)
{
	for (uint32_t d = 0; d < node->nr_dev; d++)
		if (pfn >= node->dev[d].start_pfn && pfn < node->dev[d].end_pfn)
			return d;
	return MM_NO_DEVICE;
}

uint64_t mm_next_device_start(const struct mm_node *node, uint64_t pfn)
{
	for (uint32_t d = 0; d < node->nr_dev; d++)
		if (node->dev[d].start_pfn >= pfn)
			return node->dev[d].start_pfn;
	return UINT64_MAX;
}
