/*
 * struct page, page flags, zones, sections and the vmemmap layout.
 *
 * One struct page (64 bytes) describes each 4 KiB page frame of every present
 * memory section.  The page array lives at a fixed virtual base (vmemmap), so
 * pfn_to_page() is arithmetic; the kernel maps the array of each present
 * section (exactly 2 MiB: 32768 pages x 64 bytes) with one 2 MiB page backed
 * by memory of the section's own node.  See docs/mm.md for the full layout.
 *
 * Buddy list links are pfns, not pointers, so that a page's bytes do not
 * depend on where the array is mapped and are identical in every run.
 */
#ifndef NUMABOOT_PAGE_H
#define NUMABOOT_PAGE_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT	12		/* same tokens as paging.h: both may be included */
#define PAGE_SIZE	4096ULL

/* Buddy orders 0..MAX_ORDER; the largest block is 2^10 pages = 4 MiB. */
#define MAX_ORDER		10
#define NR_ORDERS		(MAX_ORDER + 1)
#define MAX_ORDER_NR_PAGES	(1ULL << MAX_ORDER)

/* Pageblocks: 2 MiB, each with a 4-bit migratetype. */
#define PAGEBLOCK_ORDER		9
#define PAGEBLOCK_NR_PAGES	(1ULL << PAGEBLOCK_ORDER)
#define PAGEBLOCK_BITS		4

/* Sparse memory model: 128 MiB sections; 2^46 bytes of physical space. */
#define SECTION_SHIFT		27
#define PFN_SECTION_SHIFT	(SECTION_SHIFT - PAGE_SHIFT)
#define PAGES_PER_SECTION	(1ULL << PFN_SECTION_SHIFT)
#define MAX_PHYSMEM_BITS	46
#define MAX_PFN			(1ULL << (MAX_PHYSMEM_BITS - PAGE_SHIFT))
#define NR_MEM_SECTIONS		(1ULL << (MAX_PHYSMEM_BITS - SECTION_SHIFT))

/* vmemmap: 2^34 pages x 64 bytes = 1 TiB of virtual space (Linux's 4-level
 * layout puts it at the same base). */
#define VMEMMAP_BASE		0xffffea0000000000ULL
#define VMEMMAP_SIZE		(MAX_PFN * 64)
#define SECTION_MEMMAP_BYTES	(PAGES_PER_SECTION * 64)	/* one 2 MiB mapping */

/* "No page" in pfn-valued links and return values. */
#define PFN_NONE		UINT64_MAX

/*
 * Zones, placed per node as Linux places them on x86_64.  The buddy
 * allocator's free lists exist for the first MM_NR_ZONES zones only;
 * ZONE_DEVICE pages (persistent memory) are never on a free list.
 */
enum mm_zone {
	ZONE_DMA	= 0,	/* [0, 16 MiB) */
	ZONE_DMA32	= 1,	/* [16 MiB, 4 GiB) */
	ZONE_NORMAL	= 2,	/* [4 GiB, ...) */
	MM_NR_ZONES	= 3,	/* zones with free lists */
	ZONE_DEVICE	= 3,	/* device memory, wherever it lies (not a pfn range) */
	MM_NR_PAGE_ZONES = 4,	/* zone ids a page may carry */
};
#define ZONE_DMA32_START_PFN	((16ULL << 20) >> PAGE_SHIFT)
#define ZONE_NORMAL_START_PFN	((4ULL << 30) >> PAGE_SHIFT)

/* Migratetypes (pageblock granularity); every pageblock starts MOVABLE. */
enum mm_migratetype {
	MIGRATE_UNMOVABLE	= 0,
	MIGRATE_MOVABLE		= 1,
	MIGRATE_RECLAIMABLE	= 2,
};

/*
 * page->flags: low bits are page flags, the top bits hold node and zone
 * (as Linux's page->flags does).
 *
 *   63..54 node id (10 bits)   53..52 zone   51..8 zero   7..0 PG_* bits
 */
#define PG_reserved		(1ULL << 0)	/* not for the buddy allocator */
#define PG_buddy		(1ULL << 1)	/* head of a free buddy block */
#define PG_head			(1ULL << 2)	/* head of a compound device page */
#define PG_vmemmap_self_hosted	(1ULL << 3)	/* device page holding the device's own
						 * memmap (altmap), as Linux's flag of
						 * that name for memmap_on_memory */
#define PG_offline		(1ULL << 4)	/* hot-pluggable page taken offline
						 * (with PG_reserved), as Linux's
						 * PageOffline */
#define PG_isolated		(1ULL << 5)	/* head of a free block in an ISOLATED
						 * hot block: off the free lists, order
						 * in page->order (mm_hot_isolate()) */
#define PG_FLAGS_MASK		0xffULL
#define PAGE_NODE_SHIFT		54
#define PAGE_NODE_BITS		10
#define PAGE_ZONE_SHIFT		52
#define PAGE_ZONE_BITS		2
#define MM_MAX_NODES		(1U << PAGE_NODE_BITS)

/*
 * The page descriptor.  Lock letters (include/locking.h): (I) the range
 * initializer, (L) node lock, (O) whoever holds the allocated page.  Device (ZONE_DEVICE)
 * pages are (I) throughout: private holds the device id, and a compound
 * tail's compound_head the pfn of its head (docs/mm.md, "Device pages").
 */
struct page {
	uint64_t flags;		/* (L) PG_* | zone | node */
	int32_t refcount;	/* (O) 1 reserved/allocated head, 0 free or tail */
	int32_t mapcount;	/* (O) -1: not mapped */
	uint64_t next_pfn;	/* (L) buddy list, heads only; PFN_NONE otherwise */
	uint64_t prev_pfn;	/* (L) buddy list, heads only; PFN_NONE otherwise */
	uint32_t order;		/* (L) buddy order, heads only; 0 otherwise */
	uint32_t _unused;	/* zero */
	uint64_t private;	/* (O) owner's; 0 at init */
	uint64_t mapping;	/* (O) owner's; 0 at init */
	union {
		uint64_t index;		/* (O) owner's; 0 at init */
		uint64_t compound_head;	/* (I) device compound tail: its head's pfn */
	};
};
_Static_assert(sizeof(struct page) == 64, "struct page must be 64 bytes");
_Static_assert(offsetof(struct page, next_pfn) == 16, "link fields at 16..31");
_Static_assert(offsetof(struct page, prev_pfn) == 24, "link fields at 16..31");
_Static_assert(offsetof(struct page, compound_head) == 56, "compound_head aliases index");
_Static_assert(MM_NR_PAGE_ZONES <= (1 << PAGE_ZONE_BITS), "zone ids fit the 2-bit zone field");
_Static_assert(SECTION_MEMMAP_BYTES == (2ULL << 20), "a section's memmap is one 2 MiB page");
_Static_assert(PFN_SECTION_SHIFT >= MAX_ORDER, "a max-order block never crosses a section");

/* In host builds the tests point the array at an mmap(MAP_NORESERVE) area. */
#ifdef NUMABOOT_HOST
extern struct page *memmap_host_vmemmap;
#define vmemmap memmap_host_vmemmap
#else
#define vmemmap ((struct page *)VMEMMAP_BASE)
#endif

static inline struct page *pfn_to_page(uint64_t pfn)
{
	return vmemmap + pfn;
}

static inline uint64_t page_to_pfn(const struct page *p)
{
	return (uint64_t)(p - vmemmap);
}

static inline uint64_t pfn_to_section_nr(uint64_t pfn)
{
	return pfn >> PFN_SECTION_SHIFT;
}

static inline uint64_t section_nr_to_pfn(uint64_t sec)
{
	return sec << PFN_SECTION_SHIFT;
}

/* Virtual address of the 2 MiB memmap page of section sec (the kernel maps it). */
static inline uint64_t section_memmap_vaddr(uint64_t sec)
{
	return (uint64_t)(uintptr_t)pfn_to_page(section_nr_to_pfn(sec));
}

static inline uint64_t page_flags_make(uint64_t pg, unsigned zone, unsigned nid)
{
	return pg | ((uint64_t)zone << PAGE_ZONE_SHIFT) | ((uint64_t)nid << PAGE_NODE_SHIFT);
}

static inline unsigned page_zone_id(const struct page *p)
{
	return (unsigned)(p->flags >> PAGE_ZONE_SHIFT) & ((1U << PAGE_ZONE_BITS) - 1);
}

static inline unsigned page_nid(const struct page *p)
{
	return (unsigned)(p->flags >> PAGE_NODE_SHIFT) & ((1U << PAGE_NODE_BITS) - 1);
}

#endif
