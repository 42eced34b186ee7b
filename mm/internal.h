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

/* A device page's full state (compound heads, single pages). */
static inline void mm_write_device_page(uint64_t pfn, uint64_t flags, int32_t refcount,
					uint32_t order, uint64_t private, uint64_t index)
{
	*pfn_to_page(pfn) = (struct page){
		.flags = flags, .refcount = refcount, .mapcount = -1,
		.next_pfn = PFN_NONE, .prev_pfn = PFN_NONE, .order = order,
		.private = private, .index = index,
	};
}

/*
 * Write count identical pages starting at pfn: no links, order 0, mapping 0,
 * the given private and index words (0 for DRAM pages; device id and compound
 * head for device pages).  The kernel uses non-temporal stores in the same
 * 64-byte loop the bandwidth measurement times (mm/bandwidth.c), since a
 * memmap is far larger than any cache and is not read back soon;
 * mm_fill_fence() must follow before the pages are published.  Host builds
 * use plain stores, which the sanitizers see; the host benchmark
 * (tools/hostbench) defines NUMABOOT_HOST_KERNEL_STORES to time the
 * kernel's loop instead.
 */
static inline void mm_fill_pages(uint64_t pfn, uint64_t count, uint64_t flags, int32_t refcount,
				 uint64_t private, uint64_t index)
{
#if defined(NUMABOOT_HOST) && !defined(NUMABOOT_HOST_KERNEL_STORES)
	for (uint64_t i = 0; i < count; i++)
		*pfn_to_page(pfn + i) = (struct page){
			.flags = flags, .refcount = refcount, .mapcount = -1,
			.next_pfn = PFN_NONE, .prev_pfn = PFN_NONE,
			.private = private, .index = index,
		};
#else
	uint64_t p = (uint64_t)(uintptr_t)pfn_to_page(pfn), end = p + count * sizeof(struct page);
	uint64_t rc_mc = (uint32_t)refcount | ((uint64_t)(uint32_t)-1 << 32);

	_Static_assert(offsetof(struct page, refcount) == 8 && offsetof(struct page, mapcount) == 12,
		       "mm_fill_pages writes refcount and mapcount as one word");
	_Static_assert(offsetof(struct page, order) == 32 && offsetof(struct page, private) == 40 &&
		       offsetof(struct page, index) == 56, "mm_fill_pages layout");
	if (!count)
		return;
	__asm__ volatile("1:\n\t"
			 "movnti %2, 0(%0)\n\tmovnti %3, 8(%0)\n\t"
			 "movnti %4, 16(%0)\n\tmovnti %4, 24(%0)\n\t"
			 "movnti %5, 32(%0)\n\tmovnti %6, 40(%0)\n\t"
			 "movnti %5, 48(%0)\n\tmovnti %7, 56(%0)\n\t"
			 "addq $64, %0\n\tcmpq %1, %0\n\tjb 1b"
			 : "+r"(p)
			 : "r"(end), "r"(flags), "r"(rc_mc), "r"((uint64_t)PFN_NONE), "r"(0ULL),
			   "r"(private), "r"(index)
			 : "memory", "cc");
#endif
}

/* Order the non-temporal stores of mm_fill_pages before what follows. */
static inline void mm_fill_fence(void)
{
#if !defined(NUMABOOT_HOST) || defined(NUMABOOT_HOST_KERNEL_STORES)
	__asm__ volatile("sfence" : : : "memory");
#endif
}

/* ---- device ranges (mm/memmap_device.c) ----------------------------------- */

/* Index in node->dev[] of the device holding pfn, or MM_NO_DEVICE. */
uint32_t mm_device_at(const struct mm_node *node, uint64_t pfn);

/* First device pfn at or after pfn (UINT64_MAX when none). */
uint64_t mm_next_device_start(const struct mm_node *node, uint64_t pfn);

/* Whether [s, e) is a valid device chunk (inside one device and section,
 * ends 2 MiB aligned). */
int mm_device_chunk_valid(const struct mm_node *node, uint64_t s, uint64_t e);

/* Write the device pages [s, e) of device di (the initializer's third kind
 * of run, beside free and reserved runs) and count them in res. */
void mm_init_device_run(const struct mm_node *node, uint32_t di, struct memmap_chunk_result *res,
			uint64_t s, uint64_t e);

/* ---- kernel setup (mm/setup.c) --------------------------------------------- */

struct mm_state;
/* memblock memory on nid, else the nearest node (counted as early allocation). */
uint64_t mm_alloc_near(struct mm_state *mm, uint32_t nid, uint64_t size, uint64_t align);
/* Whether DRAM section sec's memmap is mapped (with one 2 MiB page). */
int mm_section_mapped(uint64_t sec);

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
