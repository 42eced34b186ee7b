/*
 * mm/ private helpers shared by the initializer, the buddy allocator and the
 * checksum.  The verifier deliberately does not use the zone and block
 * helpers here: it derives the expected state on its own (mm/verify.c).
 */
#ifndef NUMABOOT_MM_INTERNAL_H
#define NUMABOOT_MM_INTERNAL_H

#include <stdbool.h>
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

/* Largest naturally aligned block at pfn that fits below end, of order at
 * most cap: a free run's blocks, one after the other. */
static inline unsigned mm_fit_order(uint64_t pfn, uint64_t end, unsigned cap)
{
	unsigned order = pfn ? (unsigned)__builtin_ctzll(pfn) : cap;

	if (order > cap)
		order = cap;
	while (pfn + (1ULL << order) > end)
		order--;
	return order;
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

/* What a chunk is, for the one chunk validator (chunk_kind() in
 * mm/memmap_init.c): none (refused), boot DRAM, a device's, a hot region's. */
enum mm_chunk_kind { MM_CHUNK_NONE, MM_CHUNK_DRAM, MM_CHUNK_DEVICE, MM_CHUNK_HOT };

/* ---- device ranges (mm/memmap_device.c) ----------------------------------- */

/* Index in node->dev[] of the device holding pfn, or MM_NO_DEVICE.
 * mm/lookup.c. */
uint32_t mm_device_at(const struct mm_node *node, uint64_t pfn);

/* First device pfn at or after pfn (UINT64_MAX when none).  mm/lookup.c. */
uint64_t mm_next_device_start(const struct mm_node *node, uint64_t pfn);

/* Write the device pages [s, e) of device di (the initializer's third kind
 * of run, beside free and reserved runs) and count them in res. */
void mm_init_device_run(const struct mm_node *node, uint32_t di, struct memmap_chunk_result *res,
			uint64_t s, uint64_t e);

/* ---- buddy lists (mm/buddy.c), shared with the hot splice and isolation ----- */

/* Node lock held for all of these.  h: the region index of pfn, MM_NO_HOT for
 * a DRAM pfn (inside [start_pfn, end_pfn)). */
void mm_list_add_head(struct mm_node *node, unsigned zone, unsigned order, uint64_t pfn);
void mm_list_del(struct mm_node *node, unsigned zone, unsigned order, uint64_t pfn);
/* Write pfn as a free head of (zone, order) and put it at its list's head. */
void mm_make_free_block(struct mm_node *node, unsigned zone, unsigned order, uint64_t pfn);
/* Block [pfn, +2^order), pages plain and off every list: merge it with free
 * buddies (DRAM with DRAM inside the span; hot with ONLINE blocks of the same
 * region only) and put the result at the head of its list.  No counter moves. */
void mm_merge_free_block(struct mm_node *node, uint32_t h, uint64_t pfn, unsigned zone,
			 unsigned order);
/* The same for a block of ISOLATED plug blocks: merged only with PG_isolated
 * buddies of the same plug block, left off the lists. */
void mm_merge_isolated_block(struct mm_node *node, uint32_t h, uint64_t pfn, unsigned zone,
			     unsigned order);

/* ---- hot-pluggable regions (mm/hot_region.c, mm/hot_offline.c) ------------- */

/* State of the plug block holding pfn (a pfn of r).  Relaxed atomic: the
 * states are (L), but the initializer checks them without the lock. */
static inline unsigned mm_hot_state(const struct mm_hot_region *r, uint64_t pfn)
{
	return __atomic_load_n(&r->state[(pfn - r->start_pfn) / r->block_pages], __ATOMIC_RELAXED);
}

static inline void mm_hot_set_state(struct mm_hot_region *r, uint64_t s, uint64_t e,
				    unsigned state)
{
	for (uint64_t b = (s - r->start_pfn) / r->block_pages;
	     b < (e - r->start_pfn) / r->block_pages; b++)
		__atomic_store_n(&r->state[b], (uint8_t)state, __ATOMIC_RELAXED);
}

/* Whether every plug block of [s, e) (inside r) is in state. */
static inline int mm_hot_all(const struct mm_hot_region *r, uint64_t s, uint64_t e,
			     unsigned state)
{
	for (uint64_t pfn = s; pfn < e; pfn += r->block_pages)
		if (mm_hot_state(r, pfn) != state)
			return 0;
	return 1;
}

/* Altmap pages of [s, e) of r: MM_HOT_ALTMAP_PAGES at each section start
 * with the memmap on the region itself, none otherwise. */
static inline uint64_t mm_hot_altmap_in(const struct mm_hot_region *r, uint64_t s, uint64_t e)
{
	uint64_t n = 0;

	if (r->memmap_loc != MM_MEMMAP_DEVICE)
		return 0;
	for (uint64_t sec = s & ~(PAGES_PER_SECTION - 1); sec < e; sec += PAGES_PER_SECTION)
		if (mm_max(sec, s) < mm_min(sec + MM_HOT_ALTMAP_PAGES, e))
			n += mm_min(sec + MM_HOT_ALTMAP_PAGES, e) - mm_max(sec, s);
	return n;
}

/* memmap_splice_chunk() of a hot chunk, node lock held: its blocks ONLINE
 * (they must be OFFLINE), the region's online, altmap and free counts, the
 * node span.  The lists and node counters are the splice's. */
void mm_hot_online(struct mm_node *node, const struct memmap_chunk_result *res);
/* memmap_node_reset(): every region's blocks OFFLINE, its counters 0. */
void mm_hot_reset(struct mm_node *node);
/* Span = [start_pfn, end_pfn) and every ONLINE or ISOLATED block.  Lock held. */
void mm_hot_span_recompute(struct mm_node *node);

/* ---- lazy struct pages (mm/lazy.c, mm/memmap_init.c) ------------------------ */

/* Write every struct page of [s, e) but the heads of its free blocks (the
 * TAILS part of the initializer): [s, e) is a DRAM chunk of the node
 * (chunk_kind()) inside one lazy unit.  Returns the pages written. */
uint64_t mm_init_tails(const struct mm_node *node, uint64_t s, uint64_t e);

/* Unit index of pfn in node->lazy->state, and whether the unit is COMPLETE
 * (acquire: its pages are then visible).  Any CPU. */
static inline uint64_t mm_lazy_unit(const struct mm_node *node, uint64_t pfn)
{
	return (pfn - mm_pageblock_origin(node)) / MM_LAZY_UNIT_PAGES;
}

static inline int mm_lazy_unit_complete(const struct mm_node *node, uint64_t u)
{
	return __atomic_load_n(&node->lazy->state[u], __ATOMIC_ACQUIRE) == MM_LAZY_COMPLETE;
}

/* Make the unit holding pfn (a boot DRAM pfn of the node) COMPLETE: claim
 * and complete it, or wait for the CPU that claimed it.  Returns 1 when
 * this call completed it.  Any CPU; the allocator calls it under the node
 * lock before it takes a block of a unit that is not COMPLETE (the tails'
 * writer never takes the lock, so waiting under it cannot deadlock). */
int mm_lazy_complete_pfn(const struct mm_node *node, uint64_t pfn);

/* Make every unit [s, e) touches COMPLETE (the TAILS part of a chunk, run
 * by a background worker): claim each LAZY one and complete it, wait for
 * each BUSY one.  Returns the struct pages this call wrote.  Any CPU, no
 * lock. */
uint64_t mm_lazy_complete_range(const struct mm_node *node, uint64_t s, uint64_t e);

/* The same for hot region h: every block of [s, e) (clipped to the region;
 * blocks ONLINE or ISOLATED) COMPLETE.  on_demand: counted as an
 * allocation's.  Any CPU; the allocator and isolation call it under or
 * before the node lock. */
uint64_t mm_lazy_complete_hot(const struct mm_node *node, uint32_t h, uint64_t s, uint64_t e,
			      bool on_demand);

/* Every state COMPLETE, the counters 0 (node or region quiescent). */
static inline void mm_lazy_clear(struct mm_lazy *lz)
{
	for (uint64_t u = 0; u < lz->nunits; u++)
		__atomic_store_n(&lz->state[u], (uint8_t)MM_LAZY_COMPLETE, __ATOMIC_RELAXED);
	__atomic_store_n(&lz->pending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lz->on_demand, 0, __ATOMIC_RELAXED);
}

static inline void mm_hot_lazy_clear(struct mm_hot_region *r)
{
	for (uint64_t b = 0; b < (r->end_pfn - r->start_pfn) / r->block_pages; b++)
		__atomic_store_n(&r->lazy[b], (uint8_t)MM_LAZY_COMPLETE, __ATOMIC_RELAXED);
	__atomic_store_n(&r->lazy_pending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->lazy_on_demand, 0, __ATOMIC_RELAXED);
}

/* The one initializer (mm/memmap_init.c): check [s, e) as a chunk of part
 * (chunk_kind(); *hot = its region, or MM_NO_HOT) and write it, FULL or
 * HEADS (a hot chunk's HEADS arms its blocks); TAILS is only checked here
 * (mm/lazy.c completes it).  memmap_init_range() and
 * memmap_init_range_part() are its callers. */
int mm_init_range_part(const struct mm_node *node, uint64_t s, uint64_t e, enum mm_init_part part,
		       struct memmap_chunk_result *res, uint32_t *hot);

/* Write every struct page of hot plug block [s, e) of region h but the
 * heads of its free blocks: the memmap's own pages (memmap on the region)
 * and the free blocks' tails; all_tails: every page is a tail of a block
 * begun below s (MM_LAZY_LAZY_TAIL).  Returns the pages written. */
uint64_t mm_init_hot_tails(const struct mm_node *node, uint32_t h, uint64_t s, uint64_t e,
			   bool all_tails);

/* ---- kernel setup (mm/setup.c) --------------------------------------------- */

struct mm_state;
/* memblock memory on nid, else the nearest node (counted as early allocation);
 * mm/alloc.c. */
uint64_t mm_alloc_near(struct mm_state *mm, uint32_t nid, uint64_t size, uint64_t align);

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

/* Why [s, e) of hot region h of node cannot go from state want (whole
 * blocks inside the region, whole sections with the memmap on it, every
 * block in want), or NULL.  mm/hot_region.c. */
const char *mm_hot_range_problem(const struct mm_node *node, uint32_t h, uint64_t s, uint64_t e,
				 unsigned want);

/* Whether the node owns DRAM pfn pfn (docs/mm.md, "Node ownership per pfn"):
 * in one of its owned ranges (without an owned list: in its span and a
 * present section).  Reads only (C) fields: any CPU, no lock.
 * mm/lookup.c, like the owned-range helpers below. */
int mm_pfn_owned(const struct mm_node *node, uint64_t pfn);

/* The node's owned ranges: count, range i (without an owned list, the span,
 * whose pfns in present sections it owns), and the range holding pfn into
 * *r (0 when the node does not own pfn). */
uint32_t mm_owned_count(const struct mm_node *node);
struct mm_range mm_owned_range(const struct mm_node *node, uint32_t i);
int mm_owned_range_at(const struct mm_node *node, uint64_t pfn, struct mm_range *r);

/* Whether [s, e) (a buddy block: inside one section) lies in one owned range
 * of the node, so that its struct pages are the node's to read and write.
 * Same rules as mm_pfn_owned(). */
int mm_block_owned(const struct mm_node *node, uint64_t s, uint64_t e);

/* Whether pfn is one of the node's boot pfns (initialized at boot): an owned
 * DRAM pfn or a pfn of one of its devices.  Another node's pfn inside the
 * span (interleaved nodes, a shared section) is not, nor is a hole no node
 * owns, nor a hot-pluggable region's pfn: a region shares no section with
 * the node's RAM and no pfn with its devices (memmap_node_add_hot()), though
 * it may sit in a hole of [start_pfn, end_pfn) (QEMU puts a virtio-mem
 * region below a node's NVDIMM when it was created first).  Lock-free: reads
 * only (C) fields. */
static inline int mm_pfn_initialized_at_boot(const struct mm_node *node, uint64_t pfn)
{
	return mm_pfn_owned(node, pfn) || mm_device_at(node, pfn) != MM_NO_DEVICE;
}

#endif
