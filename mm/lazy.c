/*
 * Lazy struct pages (meminit=lazy, hot_lazy; docs/mm.md, "Lazy struct pages").
 *
 * A lazy node's boot DRAM is initialized in two parts of the one range
 * initializer (memmap_init_range_part()): the HEADS part writes the head
 * struct page of every free block, so the chunk splices exactly as a full
 * one and every free page is allocatable at once; the TAILS part writes
 * every other struct page later.  The TAILS part goes unit by unit (a
 * MAX_ORDER block of pfns: no buddy block crosses one, so an allocation,
 * a split, a free and a merge each stay inside one unit), and each unit is
 * completed exactly once by whoever needs it first:
 *
 *   - an allocation that takes a block of a unit not yet COMPLETE
 *     (mm_lazy_complete_pfn(), called by the buddy allocator under the
 *     node lock, before the block leaves its list), or
 *   - one of the node's worker CPUs draining the node in the background
 *     (mm_lazy_complete_range() on each chunk of the same request, worker
 *     and chunks as every other mode), without the node lock.
 *
 * Each claims a unit by one CAS LAZY -> BUSY, writes its tails, fences the
 * non-temporal stores and stores COMPLETE (release); anyone else who needs
 * the unit waits for COMPLETE (acquire).  The tails' writer touches no
 * head, no list and no counter, so it needs no lock, and an allocator
 * waiting under the node lock for a BUSY unit cannot deadlock with it.
 * Until its unit is COMPLETE nothing but the lists' link words of its heads
 * changes (no block of it is allocated, so none is split, freed or merged).
 */
#include "mm.h"
#include "internal.h"
#include "kassert.h"
#include "kprintf.h"
#include "x86.h"

uint64_t memmap_lazy_bytes(uint64_t start_pfn, uint64_t end_pfn)
{
	uint64_t first = start_pfn & ~(PAGES_PER_SECTION - 1);
	uint64_t last = (end_pfn + PAGES_PER_SECTION - 1) & ~(PAGES_PER_SECTION - 1);

	return (last - first) / MM_LAZY_UNIT_PAGES;
}

void memmap_lazy_disarm(struct mm_node *node)
{
	kassert(node->lazy);
	mm_lazy_clear(node->lazy);
}

void memmap_node_set_lazy(struct mm_node *node, struct mm_lazy *lz, uint8_t *states)
{
	*lz = (struct mm_lazy){ .state = states,
				.nunits = memmap_lazy_bytes(node->start_pfn, node->end_pfn) };
	node->lazy = lz;
	memmap_lazy_disarm(node);
}

int memmap_lazy_arm(struct mm_node *node)
{
	struct mm_lazy *lz = node->lazy;
	uint64_t n = 0;

	if (!lz) {
		kprintf("memmap: node %u: no lazy unit states: cannot initialize lazily\n", node->nid);
		return -1;
	}
	memmap_lazy_disarm(node);
	for (uint32_t i = 0; i < mm_owned_count(node); i++) {
		struct mm_range r = mm_owned_range(node, i);

		for (uint64_t pfn = r.start_pfn; pfn < r.end_pfn;) {
			uint64_t u = mm_lazy_unit(node, pfn);
			uint64_t next = mm_min(r.end_pfn, (pfn | (MM_LAZY_UNIT_PAGES - 1)) + 1);

			if (!node->owned && !memmap_section_present(node, pfn_to_section_nr(pfn))) {
				/* the span without an owned list: a whole section of nothing */
				pfn = mm_min(r.end_pfn, section_nr_to_pfn(pfn_to_section_nr(pfn) + 1));
				continue;
			}
			if (lz->state[u] == MM_LAZY_COMPLETE) {
				lz->state[u] = MM_LAZY_LAZY;
				n++;
			}
			pfn = next;
		}
	}
	lz->pending = n;
	return 0;
}

int memmap_lazy_done(const struct mm_node *node)
{
	return !node->lazy || __atomic_load_n(&node->lazy->pending, __ATOMIC_ACQUIRE) == 0;
}

uint64_t memmap_lazy_pending(const struct mm_node *node)
{
	return node->lazy ? __atomic_load_n(&node->lazy->pending, __ATOMIC_RELAXED) : 0;
}

/* Write the tails of every piece of unit u the node owns (two owned ranges
 * may share a unit: another node's pfns between them).  The claimer only. */
static uint64_t complete_unit(const struct mm_node *node, uint64_t u)
{
	uint64_t us = mm_pageblock_origin(node) + u * MM_LAZY_UNIT_PAGES;
	uint64_t ue = us + MM_LAZY_UNIT_PAGES, written = 0;

	for (uint32_t i = 0; i < mm_owned_count(node); i++) {
		struct mm_range r = mm_owned_range(node, i);
		uint64_t s = mm_max(r.start_pfn, us), e = mm_min(r.end_pfn, ue);

		if (r.start_pfn >= ue)
			break;
		if (s < e && (node->owned || memmap_section_present(node, pfn_to_section_nr(s))))
			written += mm_init_tails(node, s, e);
	}
	return written;
}

/*
 * The one claim protocol, for a node's units and a region's plug blocks
 * alike.  claim_or_wait(): the state it claimed (LAZY or LAZY_TAIL: the
 * caller now writes the tails), or COMPLETE once the unit is complete
 * (it was, or another CPU claimed it and this one waited: its claimer
 * writes without a lock).  release(): after the tails (and their
 * sfence), COMPLETE and one less pending, with release: pairs with the
 * acquire loads of the state (a waiter, the allocator's check) and of
 * pending (memmap_lazy_done()).
 */
static uint8_t claim_or_wait(uint8_t *state)
{
	uint8_t st = __atomic_load_n(state, __ATOMIC_ACQUIRE);

	while (st != MM_LAZY_COMPLETE) {
		if (st == MM_LAZY_BUSY) {
			cpu_relax();
			st = __atomic_load_n(state, __ATOMIC_ACQUIRE);
		} else if (__atomic_compare_exchange_n(state, &st, (uint8_t)MM_LAZY_BUSY, 0,
						       __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
			return st;
		}	/* else st holds the state the CAS found */
	}
	return MM_LAZY_COMPLETE;
}

static void release(uint8_t *state, uint64_t *pending)
{
	__atomic_store_n(state, (uint8_t)MM_LAZY_COMPLETE, __ATOMIC_RELEASE);
	__atomic_fetch_sub(pending, 1, __ATOMIC_RELEASE);
}

/* Claim and complete unit u, or wait until whoever claimed it is done.
 * *written grows by the pages this call wrote; returns 1 when it
 * completed the unit. */
static int complete_or_wait(const struct mm_node *node, uint64_t u, uint64_t *written)
{
	struct mm_lazy *lz = node->lazy;

	if (claim_or_wait(&lz->state[u]) == MM_LAZY_COMPLETE)
		return 0;
	*written += complete_unit(node, u);
	release(&lz->state[u], &lz->pending);
	return 1;
}

int mm_lazy_complete_pfn(const struct mm_node *node, uint64_t pfn)
{
	uint64_t u = mm_lazy_unit(node, pfn), written = 0;

	kassert(node->lazy && u < node->lazy->nunits);
	if (!complete_or_wait(node, u, &written))
		return 0;
	__atomic_fetch_add(&node->lazy->on_demand, 1, __ATOMIC_RELAXED);
	return 1;
}

/* The parts of the one initializer: FULL and HEADS are the initializer's
 * (mm/memmap_init.c); TAILS is checked there as a chunk and completed here,
 * unit by unit or plug block by plug block. */
int memmap_init_range_part(const struct mm_node *node, uint64_t start_pfn, uint64_t end_pfn,
			   enum mm_init_part part, struct memmap_chunk_result *res)
{
	uint32_t hot;

	if (mm_init_range_part(node, start_pfn, end_pfn, part, res, &hot))
		return -1;
	if (part == MM_INIT_TAILS)
		res->pages_written = hot != MM_NO_HOT ?
			mm_lazy_complete_hot(node, hot, start_pfn, end_pfn, false) :
			mm_lazy_complete_range(node, start_pfn, end_pfn);
	return 0;
}

uint64_t mm_lazy_complete_range(const struct mm_node *node, uint64_t s, uint64_t e)
{
	uint64_t written = 0;

	kassert(node->lazy && s < e);
	for (uint64_t u = mm_lazy_unit(node, s); u <= mm_lazy_unit(node, e - 1); u++)
		complete_or_wait(node, u, &written);
	return written;
}

/* ---- hot-added memory: one state per plug block of a region -------------------- */

uint64_t mm_lazy_complete_hot(const struct mm_node *node, uint32_t h, uint64_t s, uint64_t e,
			      bool on_demand)
{
	struct mm_hot_region *r = node->hot[h];
	uint64_t written = 0;

	if (!r->lazy)
		return 0;
	s = mm_max(s, r->start_pfn);
	e = mm_min(e, r->end_pfn);
	for (uint64_t pfn = s & ~(r->block_pages - 1); pfn < e; pfn += r->block_pages) {
		uint8_t *state = &r->lazy[(pfn - r->start_pfn) / r->block_pages];
		uint8_t claimed = claim_or_wait(state);

		if (claimed == MM_LAZY_COMPLETE)
			continue;
		written += mm_init_hot_tails(node, h, pfn, pfn + r->block_pages,
					     claimed == MM_LAZY_LAZY_TAIL);
		release(state, &r->lazy_pending);
		if (on_demand)
			__atomic_fetch_add(&r->lazy_on_demand, 1, __ATOMIC_RELAXED);
	}
	return written;
}
