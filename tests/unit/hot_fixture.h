/*
 * Fixture of the hot-pluggable memory tests (test_hotplug.c,
 * test_hotplug_offline.c): one node with optional DRAM and up to two hot
 * regions, over a host vmemmap covering [0, HT_TOP) (mmap MAP_NORESERVE, as
 * the other mm tests do; the kernel maps sections as they are onlined).
 */
#ifndef HOT_FIXTURE_H
#define HOT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "host_console.h"
#include "mm.h"

#define GiB		(1ULL << 30)
#define MiB		(1ULL << 20)
#define PFN(bytes)	((bytes) >> PAGE_SHIFT)
#define HT_TOP		(8 * GiB)
#define HT_MAX_CHUNKS	64
#define HT_REGIONS	2
#define BLK		PAGEBLOCK_NR_PAGES	/* 2 MiB plug blocks */

struct ht {
	struct mm_node node;
	struct mm_range present[1], usable[1];
	uint8_t *bits;
	struct mm_range chunks[HT_MAX_CHUNKS];
	struct memmap_chunk_result *res;
	struct mm_hot_region reg[HT_REGIONS];
	uint8_t *state[HT_REGIONS], *hbits[HT_REGIONS];
	uint64_t dram_s, dram_e;	/* pfns */
};

static inline void ht_vmemmap(void)
{
	memmap_host_vmemmap = mmap(NULL, PFN(HT_TOP) * sizeof(struct page), PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(memmap_host_vmemmap != MAP_FAILED);
}

/* Init and splice the node's DRAM chunks (none for a node without DRAM). */
static inline void ht_init_dram(struct ht *t)
{
	uint32_t n = memmap_chunks(&t->node, NULL, 0, t->chunks, HT_MAX_CHUNKS);

	assert_true(n <= HT_MAX_CHUNKS);
	for (uint32_t c = 0; c < n; c++) {
		assert_int_equal(memmap_init_range(&t->node, t->chunks[c].start_pfn,
						   t->chunks[c].end_pfn, &t->res[0]), 0);
		memmap_splice_chunk(&t->node, &t->res[0]);
	}
}

/* A node with DRAM [dram_s, dram_e) bytes (empty: no DRAM), all usable but
 * its first page, its chunks spliced; its span [dram_s, span_e) (span_e >
 * dram_e: a span with a hole above the RAM, as a device above it makes). */
static inline struct ht *ht_create_span(uint64_t dram_s, uint64_t dram_e, uint64_t span_e)
{
	struct ht *t = calloc(1, sizeof(*t));
	uint64_t ram = PFN(dram_e - dram_s);
	uint32_t n = ram ? 1 : 0;

	assert_non_null(t);
	ht_vmemmap();
	t->res = calloc(HT_MAX_CHUNKS, sizeof(*t->res));
	assert_non_null(t->res);
	t->dram_s = PFN(dram_s);
	t->dram_e = PFN(dram_e);
	t->present[0] = (struct mm_range){ t->dram_s, t->dram_e };
	t->usable[0] = (struct mm_range){ t->dram_s + 1, t->dram_e };
	t->bits = calloc(1, memmap_pageblock_bytes(t->dram_s, PFN(span_e)) + 1);
	assert_non_null(t->bits);
	assert_int_equal(memmap_node_init(&t->node, 1, t->dram_s, PFN(span_e), t->present, n,
					  t->usable, n, ram, ram ? 1 : 0, t->bits), 0);
	ht_init_dram(t);
	return t;
}

static inline struct ht *ht_create(uint64_t dram_s, uint64_t dram_e)
{
	return ht_create_span(dram_s, dram_e, dram_e);
}

static inline void ht_destroy(struct ht *t)
{
	for (int i = 0; i < HT_REGIONS; i++) {
		free(t->state[i]);
		free(t->hbits[i]);
	}
	munmap(memmap_host_vmemmap, PFN(HT_TOP) * sizeof(struct page));
	memmap_host_vmemmap = NULL;
	free(t->bits);
	free(t->res);
	free(t);
}

/* Describe region i [s, e) (bytes) and give it to the node. */
static inline struct mm_hot_region *ht_region(struct ht *t, int i, uint64_t s, uint64_t e,
				       uint64_t block, enum mm_memmap_loc loc)
{
	uint64_t sp = PFN(s), ep = PFN(e);

	t->state[i] = malloc(mm_hot_state_bytes(sp, ep, block));
	t->hbits[i] = malloc(mm_hot_pageblock_bytes(sp, ep));
	assert_non_null(t->state[i]);
	assert_non_null(t->hbits[i]);
	memset(t->hbits[i], 0xee, mm_hot_pageblock_bytes(sp, ep));	/* garbage until onlined */
	assert_int_equal(mm_hot_region_init(&t->reg[i], 20 + (uint32_t)i, sp, ep, block, loc,
					    t->state[i], t->hbits[i]), 0);
	assert_int_equal(memmap_node_add_hot(&t->node, &t->reg[i]), 0);
	return &t->reg[i];
}

/* Online [s, e) (pfns) of region h: its chunks, each spliced as done. */
static inline void ht_online(struct ht *t, uint32_t h, uint64_t s, uint64_t e)
{
	uint32_t n = memmap_chunks(&t->node, &(struct mm_range){ s, e }, 1, t->chunks, HT_MAX_CHUNKS);

	assert_true(n > 0 && n <= HT_MAX_CHUNKS);
	for (uint32_t c = 0; c < n; c++)
		assert_int_equal(memmap_init_range(&t->node, t->chunks[c].start_pfn,
						   t->chunks[c].end_pfn, &t->res[c]), 0);
	for (uint32_t c = 0; c < n; c++) {
		assert_int_equal(t->res[c].hot, h);
		memmap_splice_chunk(&t->node, &t->res[c]);
	}
}

static inline int ht_verify(struct ht *t, struct memmap_verify_result *vr)
{
	struct memmap_verify_result local;

	return memmap_verify(&t->node, vr ? vr : &local);
}

/* Deterministic pseudo-random sequence (xorshift64). */
static inline uint64_t ht_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif
