/*
 * The verifier's private interface between mm/verify.c (DRAM, devices,
 * lists, checksum) and mm/verify_hot.c (hot-pluggable regions).  Like the
 * verifier itself it uses nothing of mm/internal.h: the expected state is
 * derived here, apart from the code that writes it.
 */
#ifndef NUMABOOT_MM_VERIFY_H
#define NUMABOOT_MM_VERIFY_H

#include <stdint.h>
#include "kprintf.h"
#include "mm.h"

struct vctx {
	const struct mm_node *node;
	struct memmap_verify_result *res;
	uint64_t heads[MM_NR_ZONES][NR_ORDERS];	/* free heads found by the page walk */
	uint64_t hot_free_counted;		/* sum of the regions' free_pages counters */
	uint64_t hot_allocated_counted;		/* sum of their allocated_pages counters */
};

/* Report an error at pfn (the first few are printed). */
KPRINTF_FMT(3, 4) void verr(struct vctx *v, uint64_t pfn, const char *fmt, ...);
unsigned verify_expected_zone(uint64_t pfn);
/* flags low bits pg, zone and node bits, refcount (< 0: any, owner fields
 * free), mapcount -1, links and order only on free heads. */
void verify_check_fields(struct vctx *v, uint64_t pfn, const struct page *p, uint64_t pg,
			 int32_t refcount);
/* Checksum of [s, e) of present or online pages: page words and pageblock bits
 * into *pages, the free heads met into *blocks. */
void verify_checksum_pages(const struct mm_node *node, uint64_t s, uint64_t e, uint64_t *pages,
			   uint64_t *blocks);

/* ---- mm/verify_hot.c ---- */
/* The region holding pfn, or NULL (a lookup of the verifier's own). */
const struct mm_hot_region *verify_hot_region(const struct mm_node *node, uint64_t pfn);
/* Whether pfn lies in an ONLINE block of one of the node's regions. */
int verify_hot_online(const struct mm_node *node, uint64_t pfn);
unsigned verify_hot_pageblock_mt(const struct mm_hot_region *r, uint64_t pfn);
/* Every ONLINE run of every region: pages, counts against the counters. */
void verify_hot_walk(struct vctx *v);
/* Hash of the online hot pages, or 0 when no block is online (nodes without
 * online hot memory keep their checksum). */
uint64_t verify_hot_checksum(const struct mm_node *node);

static inline uint64_t verify_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t verify_hash_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

#endif
