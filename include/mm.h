/*
 * Memory-model core: per-node memmap description, the one range
 * initializer, chunk splicing, the buddy allocator, the verifier and
 * checksum, and memblock (the early physical allocator).
 *
 * Everything here is pure C over plain arrays of [start, end) ranges; it
 * runs in the kernel and in host tests alike.  No function keeps state
 * between calls other than in the structures passed to it.
 * docs/mm.md is the reference for the contracts.  Lock letters:
 * include/locking.h.
 */
#ifndef NUMABOOT_MM_H
#define NUMABOOT_MM_H

#include <stdint.h>
#include "boot_info.h"
#include "page.h"
#include "spinlock.h"

/* A range of page frames [start_pfn, end_pfn). */
struct mm_range {
	uint64_t start_pfn;
	uint64_t end_pfn;
};

/* Where a device range's memmap (its struct pages) lives. */
enum mm_memmap_loc {
	MM_MEMMAP_DRAM,		/* the node's DRAM (default) */
	MM_MEMMAP_DEVICE,	/* the first pages of the device itself (Linux's altmap) */
};

/*
 * A device-memory range of a node (persistent memory): ZONE_DEVICE pages,
 * never on a free list.  Described before any chunk runs; constant after.
 * memmap_node_set_devices() states the rules (alignment, placement).
 */
struct mm_device {
	uint32_t id;			/* (C) device id (numa_pmem.id), written to its pages */
	uint64_t start_pfn, end_pfn;	/* (C) [start, end) */
	unsigned compound_order;	/* (C) 0 (4 KiB pages), 9 (2 MiB) or 18 (1 GiB) */
	enum mm_memmap_loc memmap_loc;	/* (C) */
	uint64_t altmap_pfns;		/* (C) MM_MEMMAP_DEVICE: pages at start_pfn that hold
					 *     the memmap itself (not device-usable),
					 *     memmap_device_altmap_pfns(); 0 for DRAM */
};

#define MM_NO_DEVICE		UINT32_MAX
#define MM_DEVICE_ALIGN_PAGES	PAGEBLOCK_NR_PAGES	/* device ranges: 2 MiB aligned */
/* Struct pages per compound device page that are distinct when the vmemmap
 * is shared: the head's and the first tail's vmemmap 4 KiB pages (Linux's
 * VMEMMAP_RESERVE_NR = 2). */
#define MM_STRUCT_PAGES_PER_VMEMMAP_PAGE (PAGE_SIZE / sizeof(struct page))
#define MM_COMPOUND_DISTINCT_PAGES	(2 * MM_STRUCT_PAGES_PER_VMEMMAP_PAGE)

/* Whether a device's compound pages share their tail vmemmap pages: memmap
 * in DRAM and compound pages (Linux does not share with an altmap either:
 * vmemmap_can_optimize()). */
static inline int mm_device_vmemmap_shared(const struct mm_device *d)
{
	return d->memmap_loc == MM_MEMMAP_DRAM && d->compound_order > 0;
}

#define MM_MAX_HOT_REGIONS	8	/* hot-pluggable regions (virtio-mem devices) per node */

/* State of one plug block of a hot-pluggable region (one byte each). */
enum mm_hot_block_state {
	MM_HOT_OFFLINE = 0,	/* not plugged, or unplugged: struct pages not read */
	MM_HOT_ONLINE,		/* initialized and spliced: its pages are the buddy's */
	MM_HOT_ISOLATED,	/* being taken offline: its free pages are off the lists */
};

/*
 * A hot-pluggable region of a node (docs/mm.md, "Hot-pluggable memory"): a
 * virtio-mem device's region, plugged and unplugged a block at a time while
 * the node allocates.
 * The caller maps the data pages (identity) and, for MM_MEMMAP_DRAM, the
 * vmemmap of every section it onlines a block of, before the block's chunks
 * run; with MM_MEMMAP_DEVICE (Linux's memmap_on_memory) the first
 * MM_HOT_ALTMAP_PAGES of each section hold that section's memmap, so a
 * section is onlined and offlined whole.
 */
struct mm_hot_region {
	uint32_t id;			/* (C) the device's index (report, page->private: none) */
	uint64_t start_pfn, end_pfn;	/* (C) the region; multiples of block_pages */
	uint64_t block_pages;		/* (C) plug unit: a power of 2 >= PAGEBLOCK_NR_PAGES */
	enum mm_memmap_loc memmap_loc;	/* (C) */
	uint8_t *state;			/* (L) enum mm_hot_block_state, one per block */
	uint8_t *pageblock_mt;		/* (C) pointer; 4 bits per pageblock, like a node's */
	uint64_t online_pages;		/* (L) pages of ONLINE and ISOLATED blocks (altmap too) */
	uint64_t altmap_pages;		/* (L) of those, holding the memmap (never free) */
	uint64_t free_pages;		/* (L) of those, on the node's free lists */
	uint64_t allocated_pages;	/* (L) of those, handed out by the buddy allocator */
	uint64_t isolated_free_pages;	/* (L) of those, free in ISOLATED blocks (off the lists) */
	uint8_t *lazy;			/* (C) pointer: one enum mm_lazy_state per block
					 * (mm_hot_region_set_lazy()), NULL: never lazy.
					 * Each (A): LAZY by the HEADS part of the chunk
					 * onlining it (the block OFFLINE: nobody else reads
					 * it), then as a node's units (struct mm_lazy) */
	uint64_t lazy_pending;		/* (A) blocks LAZY or BUSY */
	uint64_t lazy_on_demand;	/* (A) blocks completed by an allocation or an
					 * isolation (relaxed: a figure) */
};
/* memmap_on_memory: pages at the start of each section holding its memmap. */
#define MM_HOT_ALTMAP_PAGES	(SECTION_MEMMAP_BYTES / PAGE_SIZE)

/* One buddy free list: pfn-linked through struct page next_pfn/prev_pfn. */
struct mm_free_list {
	uint64_t head;		/* first block's pfn, PFN_NONE when empty */
	uint64_t tail;		/* last block's pfn, PFN_NONE when empty */
	uint64_t nr_free;	/* blocks on the list */
};

/*
 * A NUMA node as the memory model sees it.  The caller fills the (C) fields
 * with memmap_node_init() before any chunk runs; they never change after
 * (boot CPU, node quiescent).  (L) fields are written only under lock, by
 * memmap_splice_chunk() and the buddy allocator; a reader without the lock
 * may see a stale value but never a half-published chunk, because a chunk's
 * lists and counts are added in one critical section.  docs/mm.md,
 * "Locking rules".
 */
struct mm_node {
	uint32_t nid;				/* (C) < MM_MAX_NODES */
	uint64_t start_pfn, end_pfn;		/* (C) span: hull of its RAM and devices; may hold
						 *     other nodes' pages (see owned) */
	const struct mm_range *present;		/* (C) RAM ranges, sorted; a section is present
						 *     when it intersects one of them */
	uint32_t nr_present;
	const struct mm_range *usable;		/* (C) pages the buddy allocator gets at init:
						 *     sorted, disjoint, inside present sections */
	uint32_t nr_usable;
	uint64_t ram_usable_pages;		/* (C) usable RAM per the memory map */
	uint64_t early_reserved_pages;		/* (C) of those, held by memblock */
	uint8_t *pageblock_mt;			/* (C) 4 bits per 2 MiB pageblock of the
						 *     section-rounded span, memmap_pageblock_bytes() */
	const struct mm_range *owned;		/* (C) the DRAM pfns this node initializes,
						 *     verifies and merges (memmap_node_set_owned():
						 *     sorted, disjoint, not adjacent, inside the span
						 *     and its present sections); NULL: every pfn of
						 *     the span in a present section.  docs/mm.md,
						 *     "Node ownership per pfn" */
	uint32_t nr_owned;
	const struct mm_device *dev;		/* (C) device ranges, memmap_node_set_devices() */
	uint32_t nr_dev;

	struct spinlock lock;
	struct mm_free_list free_area[MM_NR_ZONES][NR_ORDERS];	/* (L) */
	uint64_t nr_free_pages;			/* (L) pages in all free blocks (DRAM) */
	uint64_t nr_allocated_pages;		/* (L) pages handed out by buddy_alloc_pages() */
	uint32_t nr_chunks_spliced;		/* (L) chunks of any kind spliced */
	uint32_t nr_device_chunks_spliced;	/* (L) of those, device chunks */
	uint64_t nr_device_pages;		/* (L) device pfns initialized and spliced
						 *     (altmap pages included) */
	uint64_t nr_device_altmap_pages;	/* (L) of those, pages holding the memmap */

	/* Hot-pluggable memory (mm/hot_region.c).  nr_free_pages and
	 * nr_allocated_pages above count DRAM and hot pages together; each
	 * region keeps its own share, so DRAM = node - sum of regions. */
	struct mm_hot_region *hot[MM_MAX_HOT_REGIONS];	/* (L) added by memmap_node_add_hot();
							 * append-only, so the initializer
							 * reads entries < nr_hot unlocked */
	uint32_t nr_hot;			/* (L) release store after the entry */
	uint64_t span_start_pfn, span_end_pfn;	/* (L) the node's span: [start_pfn, end_pfn)
						 *     and every online hot block; changes
						 *     with the free counts, in one critical
						 *     section (splice, offline) */
	uint32_t nr_hot_chunks_spliced;		/* (L) of nr_chunks_spliced, hot chunks */

	struct mm_lazy *lazy;			/* (C) pointer: lazy struct pages (mm/lazy.c,
						 *     docs/mm.md "Lazy struct pages"); NULL:
						 *     the node is never lazy */
};

/*
 * A lazy unit's state.  Units of a node that is not lazy are COMPLETE.  A
 * LAZY unit has the heads of its free blocks written (enough for the buddy
 * allocator to hand any of them out) and nothing else; whoever first needs
 * it complete (an allocation taking a block of it, under the node lock, or
 * a background worker of the node, without it) claims it LAZY -> BUSY,
 * writes every other struct page of the node in it, and stores COMPLETE;
 * anyone else who needs it waits for COMPLETE.
 */
enum mm_lazy_state {
	MM_LAZY_COMPLETE = 0,
	MM_LAZY_LAZY = 1,
	MM_LAZY_BUSY = 2,
	MM_LAZY_LAZY_TAIL = 3,	/* a hot plug block smaller than MAX_ORDER whose first page
				 * is a tail of a free block begun in the block below
				 * (that is all it is: tails) */
};
#define MM_LAZY_UNIT_PAGES	MAX_ORDER_NR_PAGES	/* a buddy block never crosses one */

/* A node's lazy bookkeeping, in caller storage (memmap_node_set_lazy()). */
struct mm_lazy {
	uint8_t *state;		/* (C) pointer; one enum mm_lazy_state per MAX_ORDER unit of
				 * the section-rounded span (origin mm_pageblock_origin()),
				 * each (A): set by the boot CPU with the node quiescent
				 * (arm, disarm), then LAZY -> BUSY by one CAS (the
				 * completer), BUSY -> COMPLETE by its release store */
	uint64_t nunits;	/* (C) */
	uint64_t pending;	/* (A) units LAZY or BUSY: set at arm, decremented (release)
				 * after each unit's COMPLETE store */
	uint64_t on_demand;	/* (A) units completed by an allocation (relaxed: a figure) */
};

/* What memmap_init_range_part() writes of a chunk. */
enum mm_init_part {
	MM_INIT_FULL,	/* every struct page in its final state (memmap_init_range()) */
	MM_INIT_HEADS,	/* lazy: the free blocks' heads (lists, counts) and the pageblock
			 * bits; every other page is left as it was */
	MM_INIT_TAILS,	/* lazy: the rest of the chunk, unit by unit, each unit claimed
			 * (skipped when COMPLETE, waited for when BUSY); no lists */
};

/*
 * What one chunk of the range initializer produced: its own free lists, in
 * pfn order, to be appended to the node's lists by memmap_splice_chunk(),
 * and its counts.
 * (W) every field: written only by the CPU that runs memmap_init_range() on
 * the chunk; read by whichever CPU publishes it, after the chunk's done
 * flag (release by the writer, acquire by the reader; mm/request.c).
 */
struct memmap_chunk_result {
	uint64_t start_pfn, end_pfn;
	struct mm_free_list lists[MM_NR_ZONES][NR_ORDERS];
	uint64_t tail_prev[MM_NR_ZONES][NR_ORDERS];	/* internal: prev of the unwritten tail */
	uint64_t pages_initialized;	/* pfns covered: end_pfn - start_pfn */
	uint64_t free_pages;		/* DRAM pages put in free blocks */
	uint64_t reserved_pages;	/* DRAM pfns in the reserved state */
	uint32_t dev;			/* device chunk: index in node->dev[]; else MM_NO_DEVICE */
	uint64_t device_pages;		/* device pfns (altmap pages included) */
	uint64_t altmap_pages;		/* of those, pages holding the device's memmap */
	uint64_t pages_written;		/* struct pages written */
	uint64_t pages_aliased;		/* struct pages not written: their vmemmap page maps
					 * a written one (shared compound tails);
					 * written + aliased = pages_initialized */
	uint32_t hot;			/* hot chunk: index in node->hot[]; else MM_NO_HOT */
	uint64_t hot_altmap_pages;	/* hot chunk: pages holding the memmap (reserved) */
	uint32_t at_head;		/* how memmap_splice_chunk() links its lists: 1 (hot
					 * chunk) in front of the node's, merged with free
					 * neighbours; 0 (boot DRAM, device) appended */
};
#define MM_NO_HOT		UINT32_MAX

/* ---- node description and layout (mm/memmap_init.c) ---------------------- */

/* Fill node's constant fields and empty free lists.  Ranges are borrowed, not
 * copied, and must outlive the node.  Returns 0, or -1 when the description is
 * inconsistent (unsorted/overlapping ranges, usable outside a present section
 * or outside the span, nid too large). */
int memmap_node_init(struct mm_node *node, uint32_t nid, uint64_t start_pfn, uint64_t end_pfn,
		     const struct mm_range *present, uint32_t nr_present,
		     const struct mm_range *usable, uint32_t nr_usable,
		     uint64_t ram_usable_pages, uint64_t early_reserved_pages,
		     uint8_t *pageblock_mt);

/* Empty the node's free lists and zero its (L) counters, keeping every (C)
 * field: the node as it is before its first chunk is published.  Hot
 * regions stay attached, every block of them OFFLINE again, their counters
 * 0, the span back to [start_pfn, end_pfn).  The node must be quiescent (no
 * request in flight, no allocation). */
void memmap_node_reset(struct mm_node *node);

/* Bytes of the pageblock migratetype bitmap for a node span. */
uint64_t memmap_pageblock_bytes(uint64_t start_pfn, uint64_t end_pfn);

/* Whether memory section sec has a page array (intersects node->present). */
int memmap_section_present(const struct mm_node *node, uint64_t sec);

/*
 * The one chunker: ranges cut at section boundaries, in order (chunk =
 * splice order); writes up to max entries and returns the total (call with
 * max 0 to size the array).  ranges NULL: the node's boot DRAM, i.e. its
 * owned ranges (without an owned list, its span) with the pieces in
 * sections without RAM of the node dropped; a DRAM chunk may end where the
 * node's ownership ends, at any page.  Otherwise every piece of the nr
 * ranges is kept: a device's range, or a range [s, e) of a hot region
 * (block aligned, every block OFFLINE; the hot request's constructor checks
 * that).  The request constructors (include/meminit_request.h) call it; a 1 GiB
 * compound device page spans 8 chunks, each writing the struct pages of its
 * own pfns.  Pure: any CPU, (C) fields only.
 */
uint32_t memmap_chunks(const struct mm_node *node, const struct mm_range *ranges, uint32_t nr,
		       struct mm_range *out, uint32_t max);

/* ---- node ownership per pfn (mm/memmap_owner.c, memmap_node_set_owned) ---- */

#define MM_NO_NODE		UINT32_MAX
struct memblock_region;

/*
 * The node whose memory backs the memmap of section sec: the node of the
 * section's lowest RAM pfn (Linux's rule: sparse memory_present() records
 * the first range's node), or MM_NO_NODE for a section with no RAM.  mem:
 * memblock memory of every node (sorted by base, disjoint, page aligned).
 */
uint32_t memmap_section_owner(const struct memblock_region *mem, uint32_t nr_mem, uint64_t sec);

/*
 * Node nid's owned pfns, computed once at setup from every node's RAM
 * (docs/mm.md, "Node ownership per pfn"): its own RAM, and each hole (a pfn
 * in no node's RAM) of a section that holds RAM of nid, when nid is the
 * first node of that section, in the order of the nodes' lowest RAM pfn in
 * it (the section owner first), whose span holds the hole.  mem as for
 * memmap_section_owner(); span[k] is node k's span for k < nr_nodes (empty
 * for a node without memory; nid's must hold its RAM).  Sorted, disjoint,
 * adjacent pieces merged.  Writes up to max; returns the total count.  Pure
 * function: any CPU, no lock.  With no other node's RAM or span around, the
 * result is nid's span cut to its present sections (a node's pfns without an
 * owned list).
 */
uint32_t memmap_owned_ranges(uint32_t nid, const struct memblock_region *mem, uint32_t nr_mem,
			     const struct mm_range *span, uint32_t nr_nodes, struct mm_range *out,
			     uint32_t max);

/*
 * Give the node its owned list (after memmap_node_init(), before any chunk
 * runs; borrowed, must outlive the node; memmap_node_init() forgets it).
 * Rules, each failure reported: sorted, disjoint, not adjacent, non-empty
 * ranges inside the span whose every section is present, and every usable
 * range inside one of them.  Returns 0, or -1 with the list unchanged.
 */
int memmap_node_set_owned(struct mm_node *node, const struct mm_range *owned, uint32_t n);

/*
 * Give the node its device ranges (after memmap_node_init(), before any chunk
 * runs; dev is borrowed and must outlive the node; n == 0 removes them).
 * Rules, each failure reported by kprintf naming the device: start < end,
 * both 2 MiB aligned (MM_DEVICE_ALIGN_PAGES) and aligned to the compound page
 * size; compound_order 0, 9 or 18; sorted and disjoint; inside the node's
 * span; no memory section shared with a present (RAM) range, so DRAM chunks
 * never hold device pages; memmap_loc DRAM with altmap_pfns 0, or DEVICE with
 * altmap_pfns == memmap_device_altmap_pfns() and data pages left after it.
 * Returns 0, or -1 with the node's devices unchanged.
 */
int memmap_node_set_devices(struct mm_node *node, const struct mm_device *dev, uint32_t n);

/*
 * Pages at the start of a device of [start_pfn, end_pfn) that hold its own
 * memmap when it lives on the device (altmap): the struct pages of the whole
 * range, 64 bytes per page, rounded up to 2 MiB and to the compound page size
 * so that data pages start aligned.  May be >= the device size (then the
 * memmap cannot live on it).
 */
uint64_t memmap_device_altmap_pfns(uint64_t start_pfn, uint64_t end_pfn, unsigned compound_order);

/*
 * Overwrite with byte every struct page of [s, e) (one chunk: inside one
 * device, or DRAM) that has storage of its own, so that an init that skips
 * a page is caught by the verifier.  Tails of a compound device page whose
 * vmemmap page is shared are views of its first tail page: they are skipped
 * (writing them would rewrite the same 4 KiB many times).  Node quiescent.
 */
void memmap_poison_range(const struct mm_node *node, uint64_t s, uint64_t e, int byte);

/* Migratetype of the pageblock holding pfn (node's bitmap). */
unsigned memmap_pageblock_migratetype(const struct mm_node *node, uint64_t pfn);

/* ---- the range initializer (mm/memmap_init.c) ----------------------------- */

/*
 * Write every struct page in [start_pfn, end_pfn) exactly once in its final
 * state, set the range's pageblocks MOVABLE, and collect the free blocks into
 * res.  Any CPU, any number of chunks of the same node at once: touches only
 * the pages and pageblock bits of its range and *res.  The one chunk
 * validator (chunk_kind(), mm/memmap_init.c) says what the range is, inside
 * one section: a DRAM chunk (inside one owned range of the node, each end
 * MAX_ORDER-aligned or an end of the owned range, so it never writes a
 * struct page of another node), a device chunk (inside one device, ends
 * 2 MiB aligned) or a hot chunk (not a boot pfn; inside one region, block
 * aligned, every block OFFLINE; memmap on the region: the whole section);
 * memmap_chunks() cuts such ranges.
 * Device pfns get the ZONE_DEVICE state;
 * struct pages whose vmemmap page is shared are not written (pages_aliased).
 * Returns 0, or -1 (no page written, res reset to an empty chunk that
 * splices as nothing) when the range is invalid.
 */
int memmap_init_range(const struct mm_node *node, uint64_t start_pfn, uint64_t end_pfn,
		      struct memmap_chunk_result *res);

/*
 * The same initializer in parts (mm/lazy.c), for lazy struct pages (docs/mm.md, "Lazy
 * struct pages"): MM_INIT_HEADS then MM_INIT_TAILS of a DRAM chunk of a
 * lazy node (memmap_lazy_arm()), or of a hot chunk of a lazy region
 * (mm_hot_region_set_lazy()), leave exactly the state MM_INIT_FULL leaves.
 * HEADS fills res as FULL does (its lists splice the same; its
 * pages_written counts only the heads) and writes no other struct page;
 * a hot chunk's HEADS also makes its blocks LAZY (they are OFFLINE until
 * its splice).  TAILS completes every unit (DRAM) or block (hot, which
 * must be ONLINE by then) the chunk touches (a unit's pages of the node
 * outside the chunk too), fills no lists, and its result is not spliced.
 * Device chunks take only MM_INIT_FULL (-1 otherwise).
 */
int memmap_init_range_part(const struct mm_node *node, uint64_t start_pfn, uint64_t end_pfn,
			   enum mm_init_part part, struct memmap_chunk_result *res);

/* ---- lazy struct pages (mm/lazy.c) ----------------------------------------- */

/* Bytes of unit states for a node of span [start_pfn, end_pfn). */
uint64_t memmap_lazy_bytes(uint64_t start_pfn, uint64_t end_pfn);

/* Give the node its lazy bookkeeping: lz and states (memmap_lazy_bytes() of
 * the node's span, any content), every unit COMPLETE.  Boot CPU, node
 * quiescent. */
void memmap_node_set_lazy(struct mm_node *node, struct mm_lazy *lz, uint8_t *states);

/* Make every unit holding a pfn the node owns LAZY, lazy_pending their
 * count, before the node's MM_INIT_HEADS chunks run.  Returns -1 (reported)
 * when the node has no unit states.  Boot CPU, node quiescent (no chunk
 * running, no allocator). */
int memmap_lazy_arm(struct mm_node *node);

/* Every unit COMPLETE (memmap_node_reset() does this too).  Boot CPU, node
 * quiescent. */
void memmap_lazy_disarm(struct mm_node *node);

/* Whether every unit of the node is COMPLETE (acquire: pairs with the
 * release decrement of lazy_pending; the units' pages are then visible). */
int memmap_lazy_done(const struct mm_node *node);

/* Units of the node still LAZY or BUSY (relaxed: a figure). */
uint64_t memmap_lazy_pending(const struct mm_node *node);

/*
 * The one splice (mm/splice.c), for every kind of chunk: link a chunk's lists into the
 * node's free lists and add its counts to the node's counters (free pages,
 * device pages and chunks, hot chunks, chunks spliced) and, for a hot chunk,
 * its blocks ONLINE, its region's counts and the node span, all in one
 * critical section of the node lock: a reader holding the lock sees a chunk
 * either entirely or not at all.  res->at_head (set by memmap_init_range()
 * from the chunk's kind) says how: boot DRAM and device chunks are appended
 * (splice a node's chunks in chunk order, any CPU, to get the deterministic
 * list order; DRAM and device chunks may be spliced in any interleaving); a
 * hot chunk goes in front (an allocation takes the new memory first) and
 * each of its blocks whose buddy lies outside it is merged as a free would
 * merge it.  Other CPUs may allocate from the node meanwhile.
 */
void memmap_splice_chunk(struct mm_node *node, struct memmap_chunk_result *res);

/* ---- hot-pluggable memory (mm/hot_region.c) ---------------------------------- */

/* Bytes of state (one per block) and of pageblock bits a region needs. */
uint64_t mm_hot_state_bytes(uint64_t start_pfn, uint64_t end_pfn, uint64_t block_pages);
uint64_t mm_hot_pageblock_bytes(uint64_t start_pfn, uint64_t end_pfn);

/* Describe a region (every block OFFLINE) in caller storage of the sizes
 * above.  Rules, each failure reported naming id: block_pages a power of 2
 * >= PAGEBLOCK_NR_PAGES; start, end multiples of it, start < end <= MAX_PFN;
 * MM_MEMMAP_DEVICE needs start and end section aligned and block_pages <=
 * PAGES_PER_SECTION.  Returns 0 or -1. */
int mm_hot_region_init(struct mm_hot_region *r, uint32_t id, uint64_t start_pfn,
		       uint64_t end_pfn, uint64_t block_pages, enum mm_memmap_loc loc,
		       uint8_t *state, uint8_t *pageblock_mt);

/* Let region r be onlined lazily (MM_INIT_HEADS, then MM_INIT_TAILS, of
 * its chunks): states, mm_hot_state_bytes() of them, every block COMPLETE.
 * Before the region is added to its node. */
void mm_hot_region_set_lazy(struct mm_hot_region *r, uint8_t *states);

/* Give node a region (under the node lock; any time, the node may be
 * allocating).  Refused (-1, reported) when the node has MM_MAX_HOT_REGIONS,
 * a block of it is not OFFLINE, it shares a section with the node's RAM, or
 * it overlaps a device or another region of the node.  It may lie in a hole
 * of the node's [start_pfn, end_pfn) (docs/mm.md "Regions and block
 * states").  Other nodes are not looked at: serve/hotplug_setup.c refuses
 * a region sharing a section with any node's memory. */
int memmap_node_add_hot(struct mm_node *node, struct mm_hot_region *r);

/* Index of the region of node holding pfn, or MM_NO_HOT.  Any CPU, no lock:
 * regions are append-only (mm/lookup.c). */
uint32_t mm_hot_find(const struct mm_node *node, uint64_t pfn);

/*
 * Taking [s, e) of region h offline (block aligned, every block ONLINE;
 * MM_MEMMAP_DEVICE: section aligned), as Linux's offline_pages() without
 * migration: mm_hot_isolate() marks the blocks ISOLATED and takes their
 * free pages off the lists (splitting blocks that straddle the edges), so
 * nothing is allocated from them again, and pages freed into them later
 * stay off the lists too.  mm_hot_busy_pages() is what is still allocated.
 * mm_hot_offline() (busy must be 0) marks every struct page offline
 * (PG_reserved | PG_offline), the blocks OFFLINE, and moves the counts
 * and span; mm_hot_unisolate() gives an isolated range back (its free
 * pages back on the lists, merged).  Each takes the node lock; any CPU.
 * isolate and offline return 0, or -1 with why (a sentence) filled.
 */
int mm_hot_isolate(struct mm_node *node, uint32_t h, uint64_t s, uint64_t e, char *why,
		   uint32_t why_size);
uint64_t mm_hot_busy_pages(struct mm_node *node, uint32_t h, uint64_t s, uint64_t e);
int mm_hot_offline(struct mm_node *node, uint32_t h, uint64_t s, uint64_t e, char *why,
		   uint32_t why_size);
void mm_hot_unisolate(struct mm_node *node, uint32_t h, uint64_t s, uint64_t e);

/* ---- buddy allocator (mm/buddy.c) ------------------------------------------ */

/* Allocate 2^order pages from node, zones Normal, then DMA32, then DMA.
 * Returns the first pfn, or PFN_NONE when no block is large enough.  Any CPU;
 * takes the node lock. */
uint64_t buddy_alloc_pages(struct mm_node *node, unsigned order);

/* Like buddy_alloc_pages() but from the node's boot memory only, never a
 * hot-added block: for kernel metadata (hot-plug bookkeeping, memmap and
 * page tables of hot-added memory), which would otherwise pin hot-added
 * memory and make it impossible to unplug (Linux keeps such allocations out
 * of ZONE_MOVABLE).  Walks past the hot blocks at the lists' heads. */
uint64_t buddy_alloc_pages_boot(struct mm_node *node, unsigned order);

/* Like buddy_alloc_pages() but from one zone only. */
uint64_t buddy_alloc_pages_zone(struct mm_node *node, unsigned zone, unsigned order);

/* Free a block returned by buddy_alloc_pages*() with the same order, merging
 * with free buddies.  Any CPU; takes the node lock. */
void buddy_free_pages(struct mm_node *node, uint64_t pfn, unsigned order);

/* Allocate at orders 0..MAX_ORDER (several blocks each), fill each with a
 * pattern through phys_to_virt (NULL: do not touch the memory), free them all,
 * and check that free counts return to what they were.  Returns 0 or -1
 * (reported via kprintf). */
int buddy_self_test(struct mm_node *node, void *(*phys_to_virt)(uint64_t phys));

/* ---- verifier (mm/verify.c), checksum (mm/checksum.c), accounting (mm/account.c) ---- */

struct memmap_verify_result {
	uint64_t errors;
	uint64_t pages_checked;		/* DRAM pfns of present sections in the span */
	uint64_t reserved_pages;	/* DRAM pfns in the reserved state */
	uint64_t free_pages;		/* pages in PG_buddy blocks (page walk) */
	uint64_t allocated_pages;	/* usable pages in no free block */
	uint64_t free_blocks;
	uint64_t device_pages;		/* device pfns checked (altmap included) */
	uint64_t altmap_pages;		/* of those, holding the device's memmap */
	uint64_t compound_heads;	/* compound device pages */
	uint64_t aliased_pages;		/* struct pages read through a shared vmemmap page */
	uint64_t hot_pages;		/* pfns of online hot blocks checked (altmap too) */
	uint64_t hot_altmap_pages;	/* of those, holding their memmap */
	uint64_t hot_free_pages;	/* of those, in free blocks */
	uint64_t hot_allocated_pages;	/* of those, allocated */
};

/* Check every struct page of the node (DRAM, device and online hot blocks)
 * against the state derived from its usable ranges, zone boundaries, device
 * and region descriptions, and every free list (no device page on one, hot
 * pages only of ONLINE blocks; an ISOLATED block is an error).  Reports the first few errors
 * via kprintf ("verify: node N pfn 0x...: ...").  Returns 0 when everything
 * holds, -1 otherwise.  Caller holds no lock; the node must be quiescent (no
 * concurrent allocation) and every chunk of it, DRAM and device, spliced. */
int memmap_verify(const struct mm_node *node, struct memmap_verify_result *res);

/* Pages of one kind of memory by state, as counters or a page walk give them. */
struct memmap_pages {
	uint64_t total;		/* DRAM: usable (counters) or walked; device: initialized;
				 * hot: online */
	uint64_t set_aside;	/* never the buddy's: DRAM reserved (walk only), device
				 * and hot pages holding their memmap */
	uint64_t free, allocated;
	uint64_t isolated_free;	/* hot: free pages of ISOLATED blocks (off the lists) */
};

/* What a node's counters and descriptions say, kind by kind
 * (memmap_account(); docs/mm.md, "Verifier"). */
struct memmap_account {
	uint64_t usable_ranges;		/* pages in node->usable */
	uint64_t listed_free;		/* pages on the free lists (DRAM and hot) */
	uint64_t device_described;	/* pages of the device ranges */
	uint64_t device_memmap_described; /* of those, altmap pages */
	uint64_t held;			/* pages the kernel's users hold, or
					 * MEMMAP_HELD_UNKNOWN */
	struct memmap_pages dram;	/* total: ram_usable - early_reserved; free and
					 * allocated: the node's counters minus the regions' */
	struct memmap_pages device;	/* nr_device_pages, nr_device_altmap_pages */
	struct memmap_pages hot;	/* the regions' counters summed */
	uint32_t nr_regions;
	struct memmap_pages region[MM_MAX_HOT_REGIONS];	/* each region's, node->hot order */
};
#define MEMMAP_HELD_UNKNOWN	UINT64_MAX

/* What the verifier's page walk counted, to hold against the counters. */
struct memmap_walk {
	struct memmap_pages dram, device, hot;
	struct memmap_pages region[MM_MAX_HOT_REGIONS];
};

/* Fill *a from the node's counters and descriptions; held: pages the
 * caller's users hold (MEMMAP_HELD_UNKNOWN: not checked).  Node quiescent. */
void memmap_account(const struct mm_node *node, uint64_t held, struct memmap_account *a);

/* Receives one broken rule: pfn (0: the node as a whole) and the message. */
typedef void memmap_account_report_fn(void *arg, uint64_t pfn, const char *msg);

/* The one accounting rule: DRAM free + allocated = usable (reserved pages
 * lie outside usable); device pages = described, altmap = described; each
 * hot region online = altmap + free + allocated + isolated free, isolated
 * free = 0; allocated = held when held is known; and, with a page walk w
 * (NULL: counters only), every count of the walk = its counter and the free
 * lists hold nr_free_pages.  Each broken rule goes to report.  Returns how
 * many broke. */
unsigned memmap_account_check(const struct mm_node *node, const struct memmap_account *a,
			      const struct memmap_walk *w, memmap_account_report_fn *report,
			      void *arg);

/* 64-bit hash of the node's memmap (links excluded), pageblock bits and free
 * block set, online hot pages included; identical across init modes and
 * runs, and across the order hot memory was onlined in.  docs/mm.md defines it.
 * Node must be quiescent. */
uint64_t memmap_checksum(const struct mm_node *node);

/* ---- memblock (mm/memblock.c) ----------------------------------------------- */

/* A node's physical memory as the NUMA table gives it (bytes, [start, end)). */
struct memblock_node_range {
	uint64_t start;
	uint64_t end;
	uint32_t nid;
	uint32_t reserved;
};

struct memblock_region {
	uint64_t base;		/* bytes, [base, end) */
	uint64_t end;
	uint32_t nid;		/* memory: owning node; reserved: unused (0) */
	uint32_t reserved;
};

struct memblock_type {
	struct memblock_region *regions;	/* caller's storage, sorted by base, disjoint */
	uint32_t cnt;
	uint32_t max;
};

struct memblock {
	struct memblock_type memory;	/* usable RAM, page-aligned, tagged with its node */
	struct memblock_type reserved;	/* reservations, merged; may cover non-usable memory */
	const uint8_t *distance;	/* distance[from * distance_stride + to]; NULL: 10/20 */
	uint32_t distance_stride;	/* >= nr_nodes (NUMA_MAX_NODES for struct numa's matrix) */
	uint32_t nr_nodes;
	uint32_t frozen;		/* set by memblock_freeze(): no more allocations */
	uint64_t unassigned_bytes;	/* usable RAM in no node range (ignored) */
};

/*
 * Build memblock from the memory map and node ranges.  memory = every
 * boot_mem_usable() entry, trimmed to whole pages, minus every non-usable
 * entry that overlaps it (firmware maps are not trusted), cut by node range.
 * With nr_node_ranges == 0 all memory is node 0.  Returns 0, or -1 when the
 * storage is too small.  Single CPU, before any allocation.
 */
int memblock_init(struct memblock *mb, const struct boot_mem_range *map, uint32_t map_count,
		  const struct memblock_node_range *nodes, uint32_t nr_node_ranges,
		  const uint8_t *distance, uint32_t distance_stride, uint32_t nr_nodes,
		  struct memblock_region *memory_storage, uint32_t memory_max,
		  struct memblock_region *reserved_storage, uint32_t reserved_max);

/* Reserve [base, base + size) (any memory).  Returns 0, or -1 when storage is full. */
int memblock_reserve(struct memblock *mb, uint64_t base, uint64_t size);

/* Allocate size bytes aligned to align (a power of two; 0 means PAGE_SIZE)
 * from usable memory of nid, else of the nearest node by distance (ties:
 * lowest id), highest address first.  Never returns address 0; returns 0
 * when nothing fits or memblock is frozen.  Single CPU (no lock). */
uint64_t memblock_alloc(struct memblock *mb, uint32_t nid, uint64_t size, uint64_t align);

/* Same, but only on nid itself (no fallback). */
uint64_t memblock_alloc_exact_nid(struct memblock *mb, uint32_t nid, uint64_t size,
				  uint64_t align);

/* Forbid further allocations: call before handing node ranges to the memmap. */
void memblock_freeze(struct memblock *mb);

/* Node nid's usable pages minus reserved pages (a page partly reserved is
 * reserved), as sorted, disjoint, non-adjacent pfn ranges: the node's "usable"
 * list for memmap_node_init().  Writes up to max; returns the total count. */
uint32_t memblock_node_free_ranges(const struct memblock *mb, uint32_t nid,
				   struct mm_range *out, uint32_t max);

/* Node nid's usable RAM as pfn ranges (reservations ignored): the node's
 * "present" list.  Writes up to max; returns the total count. */
uint32_t memblock_node_memory_ranges(const struct memblock *mb, uint32_t nid,
				     struct mm_range *out, uint32_t max);

/* Usable pages of nid, and how many of them are reserved. */
uint64_t memblock_node_usable_pages(const struct memblock *mb, uint32_t nid);
uint64_t memblock_node_reserved_pages(const struct memblock *mb, uint32_t nid);

/* Distance from node a to node b (10 for a == b without a matrix). */
unsigned memblock_distance(const struct memblock *mb, uint32_t a, uint32_t b);

#endif
