/*
 * mm/ private helpers shared by the initializer, the buddy allocator and the
 * checksum.  The verifier deliberately does not use the zone and block
 * helpers here: it derives the expected state on its own (mm/verify.c).
 */
#ifndef NUMABOOT_MM_INTERNAL_H
#define NUMABOOT_MM_INTERNAL_H

#include <stdint.h>
#include "mm.h"

/* Zone of a pfn and the first pfn past that zone. */
static inline unsigned mm_zone_of(uint64_t pfn)
{
	if (pfn < ZONE_DMA32_START_PFN)
		return ZONE_DMA;
	if (pfn < ZONE_NORMAL_START_PFN)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

static inline uint64_t mm_zone_end(uint64_t pfn)
{
	if (pfn < ZONE_DMA32_START_PFN)
		return ZONE_DMA32_START_PFN;
	if (pfn < ZONE_NORMAL_START_PFN)
		return ZONE_NORMAL_START_PFN;
	return UINT64_MAX;
}

static inline uint64_t mm_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t mm_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* First pfn of the section-rounded span: origin of the pageblock bitmap. */
static inline uint64_t mm_pageblock_origin(const struct mm_node *node)
{
	return node->start_pfn & ~(PAGES_PER_SECTION - 1);
}

/* Page states written by the initializer and restored by the allocator. */
static inline void mm_write_page(uint64_t pfn, uint64_t flags, int32_t refcount,
				 uint64_t next, uint64_t prev, uint32_t order)
{
	*pfn_to_page(pfn) = (struct page){
		.flags = flags, .refcount = refcount, .mapcount = -1,
		.next_pfn = next, .prev_pfn = prev, .order = order,
	};
}

/* 64-bit mixing (splitmix64 finalizer) for the checksum. */
static inline uint64_t mm_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Order-dependent accumulation of one word into a running hash. */
static inline uint64_t mm_hash_word(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

#endif
