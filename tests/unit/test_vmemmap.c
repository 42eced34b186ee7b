/*
 * Host tests of the one vmemmap mapper (mm/vmemmap.c) against a fake
 * paging that records every mapping: which virtual page of the vmemmap
 * maps which physical page, at which size, and how often the source was
 * asked for memory.  The layouts of include/vmemmap.h as the three callers
 * use them: boot DRAM sections (once each), a device's distinct pages, its
 * shared compound vmemmap and its altmap, hot-added sections (DRAM and
 * memmap on the memory), and the page-table source handed back typed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host_console.h"
#include "meminit.h"
#include "vmemmap.h"

#define MiB		(1ULL << 20)
#define PFN(bytes)	((bytes) >> PAGE_SHIFT)
#define MAX_MAPS	8192
#define FAKE_VMEMMAP	0x100000000000ULL	/* host: arithmetic only, never touched */

struct fake_map {
	uint64_t va, pa, size;
};

static struct {
	struct fake_map map[MAX_MAPS];
	uint32_t n;
	int refuse;			/* every new mapping refused (page tables ran out) */
	uint32_t tables;		/* page-table pages asked of a src */
} fk;

static int record(uint64_t va, uint64_t pa, uint64_t size, const struct paging_table_src *src)
{
	if (fk.refuse)
		return -1;
	for (uint32_t i = 0; i < fk.n; i++)
		if (fk.map[i].va == va)
			return fk.map[i].pa == pa && fk.map[i].size == size ? 0 : -1;
	assert_true(fk.n < MAX_MAPS);
	if (src && !src->alloc_page(src))	/* one table page per new mapping, say */
		return -1;
	fk.map[fk.n++] = (struct fake_map){ va, pa, size };
	return 0;
}

int paging_map_2m_from(uint64_t va, uint64_t pa, const struct paging_table_src *src)
{
	assert_int_equal(va & (SIZE_2M - 1), 0);
	assert_int_equal(pa & (SIZE_2M - 1), 0);
	return record(va, pa, SIZE_2M, src);
}

int paging_map_4k_from(uint64_t va, uint64_t pa, const struct paging_table_src *src)
{
	assert_int_equal(va & (PAGE_SIZE - 1), 0);
	assert_int_equal(pa & (PAGE_SIZE - 1), 0);
	return record(va, pa, PAGE_SIZE, src);
}

/* The pa the fake page tables give va, or 0. */
static uint64_t lookup(uint64_t va)
{
	for (uint32_t i = 0; i < fk.n; i++)
		if (va >= fk.map[i].va && va < fk.map[i].va + fk.map[i].size)
			return fk.map[i].pa + (va - fk.map[i].va);
	return 0;
}

static uint64_t va_of(uint64_t pfn)
{
	return (uint64_t)(uintptr_t)pfn_to_page(pfn);
}

/* A bump allocator standing in for memblock / the buddy allocator. */
struct test_src {
	struct mm_vmemmap_src src;	/* first: the mapper hands it back */
	uint64_t next, limit;
	uint32_t allocs;
	uint64_t last_bytes, last_align;
};

static uint64_t test_alloc(struct mm_vmemmap_src *src, uint64_t bytes, uint64_t align)
{
	struct test_src *t = (struct test_src *)src;
	uint64_t pa = (t->next + align - 1) & ~(align - 1);

	if (pa + bytes > t->limit)
		return 0;
	t->next = pa + bytes;
	t->allocs++;
	t->last_bytes = bytes;
	t->last_align = align;
	return pa;
}

struct test_tables {
	struct paging_table_src tables;	/* first: paging hands it back */
	uint32_t *count;
};

static uint64_t test_table_page(const struct paging_table_src *src)
{
	const struct test_tables *t = (const struct test_tables *)src;

	(*t->count)++;
	return 0x1000;
}

static struct mm_state *mm;

static int setup(void **state)
{
	(void)state;
	memmap_host_vmemmap = (struct page *)FAKE_VMEMMAP;
	mm = calloc(1, sizeof(*mm));
	memset(&fk, 0, sizeof(fk));
	return mm ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(mm);
	return 0;
}

static struct test_src make_src(uint64_t base, uint64_t bytes)
{
	return (struct test_src){ .src = { .alloc = test_alloc }, .next = base,
				  .limit = base + bytes };
}

/* Boot DRAM: a whole section is one 2 MiB page from the source, mapped
 * once; asked again (a shared section's second node, a later plug), the
 * mapper neither allocates nor maps. */
static void test_whole_section_once(void **state)
{
	struct test_src s = make_src(64 * MiB, 64 * MiB);
	const struct mm_vmemmap_range r = { section_nr_to_pfn(3), section_nr_to_pfn(4),
					    MM_VMEMMAP_DISTINCT, 0 };

	(void)state;
	assert_false(mm_section_mapped(mm, 3));
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), 1);
	assert_true(mm_section_mapped(mm, 3));
	assert_false(mm_section_mapped(mm, 2));
	assert_false(mm_section_mapped(mm, 4));
	assert_int_equal(s.allocs, 1);
	assert_int_equal(s.last_bytes, SECTION_MEMMAP_BYTES);
	assert_int_equal(s.last_align, SECTION_MEMMAP_BYTES);
	assert_int_equal(fk.n, 1);
	assert_int_equal(fk.map[0].va, section_memmap_vaddr(3));
	assert_int_equal(fk.map[0].size, SIZE_2M);
	assert_int_equal(s.src.memmap_bytes, SECTION_MEMMAP_BYTES);
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), 0);
	assert_int_equal(s.allocs, 1);
	assert_int_equal(fk.n, 1);
}

/* A device's distinct struct pages: whole sections as 2 MiB pages, the
 * part of a section as exactly the 4 KiB pages it needs, every struct page
 * of the range backed by its own memory. */
static void test_distinct_part_sections(void **state)
{
	uint64_t s0 = section_nr_to_pfn(8) + PFN(64 * MiB), e0 = section_nr_to_pfn(10);
	struct test_src s = make_src(256 * MiB, 64 * MiB);
	const struct mm_vmemmap_range r = { s0, e0, MM_VMEMMAP_DISTINCT, 0 };

	(void)state;
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), 1);	/* section 9 whole */
	assert_false(mm_section_mapped(mm, 8));
	assert_true(mm_section_mapped(mm, 9));
	assert_int_equal(s.allocs, 2);
	assert_int_equal(s.src.memmap_bytes, (e0 - s0) * sizeof(struct page));
	assert_int_equal(fk.n, (64 * MiB / PAGE_SIZE) * sizeof(struct page) / PAGE_SIZE + 1);
	for (uint64_t pfn = s0; pfn < e0; pfn += 4096 / sizeof(struct page) * 7) {
		uint64_t pa = lookup(va_of(pfn));

		assert_true(pa >= 256 * MiB && pa < 320 * MiB);
		for (uint64_t q = s0; q < pfn; q += 4096 / sizeof(struct page) * 7)
			assert_int_not_equal(lookup(va_of(q)), pa);	/* nothing aliased */
	}
	assert_int_equal(lookup(va_of(s0 - 64)), 0);		/* before the range: a hole */
}

/* 2 MiB compound pages: two distinct 4 KiB pages each, every further
 * vmemmap page of the compound page maps the second again. */
static void test_compound_shared(void **state)
{
	const unsigned order = 9;
	uint64_t n = 1ULL << order, per = n * sizeof(struct page) / PAGE_SIZE;
	uint64_t s0 = section_nr_to_pfn(16), e0 = s0 + 100 * n;	/* > one batch of 64 */
	struct test_src s = make_src(512 * MiB, 4 * MiB);
	const struct mm_vmemmap_range r = { s0, e0, MM_VMEMMAP_COMPOUND, order };

	(void)state;
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), 0);
	assert_int_equal(s.src.memmap_bytes, 100 * 2 * PAGE_SIZE);
	assert_int_equal(s.allocs, 2);
	assert_int_equal(fk.n, 100 * per);
	for (uint64_t h = s0; h < e0; h += n) {
		uint64_t head = lookup(va_of(h)), tail = lookup(va_of(h) + PAGE_SIZE);

		assert_int_not_equal(head, 0);
		assert_int_not_equal(tail, head);
		for (uint64_t j = 2; j < per; j++)
			assert_int_equal(lookup(va_of(h) + j * PAGE_SIZE), tail);
		if (h > s0)
			assert_int_not_equal(head, lookup(va_of(h - n)));
	}
	assert_false(mm_section_mapped(mm, 16));
}

/* A device's altmap: its own first pages back its memmap in order, 2 MiB
 * pages where both sides are aligned; nothing from the source. */
static void test_altmap_in_order(void **state)
{
	uint64_t s0 = section_nr_to_pfn(20), e0 = section_nr_to_pfn(21) + 1000;
	struct test_src s = make_src(0, 0);
	const struct mm_vmemmap_range r = { s0, e0, MM_VMEMMAP_ALTMAP, 0 };
	uint32_t big = 0;

	(void)state;
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), 0);
	assert_int_equal(s.allocs, 0);
	assert_int_equal(s.src.altmap_bytes, (e0 - s0) * sizeof(struct page));
	for (uint64_t pfn = s0; pfn < e0; pfn += 64)
		assert_int_equal(lookup(va_of(pfn)),
				 (s0 << PAGE_SHIFT) + (pfn - s0) * sizeof(struct page));
	for (uint32_t i = 0; i < fk.n; i++)
		big += fk.map[i].size == SIZE_2M;
	assert_true(big > 0);
}

/* Hot-added memory with the memmap on it: each section's own first 2 MiB,
 * once; page-table pages from the caller's typed source. */
static void test_section_altmap_tables(void **state)
{
	uint32_t ntables = 0;
	struct test_tables t = { .tables = { .alloc_page = test_table_page }, .count = &ntables };
	struct test_src s = make_src(0, 0);
	const struct mm_vmemmap_range r = { section_nr_to_pfn(40), section_nr_to_pfn(43),
					    MM_VMEMMAP_SECTION_ALTMAP, 0 };

	(void)state;
	s.src.tables = &t.tables;
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), 3);
	assert_int_equal(ntables, 3);
	for (uint64_t sec = 40; sec < 43; sec++) {
		assert_true(mm_section_mapped(mm, sec));
		assert_int_equal(lookup(section_memmap_vaddr(sec)),
				 section_nr_to_pfn(sec) << PAGE_SHIFT);
	}
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), 0);	/* the next plug */
	assert_int_equal(ntables, 3);
	assert_int_equal(s.allocs, 0);
}

/* Refusals: an empty or out-of-range range, a partial section with the
 * memmap on the memory, a source or page tables that ran out (the section
 * stays unrecorded, so a later call tries again). */
static void test_refusals(void **state)
{
	struct test_src s = make_src(0, SIZE_2M - PAGE_SIZE);
	struct mm_vmemmap_range r = { section_nr_to_pfn(50), section_nr_to_pfn(50),
				      MM_VMEMMAP_DISTINCT, 0 };

	(void)state;
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), -1);
	r = (struct mm_vmemmap_range){ MAX_PFN - 1, MAX_PFN + 1, MM_VMEMMAP_DISTINCT, 0 };
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), -1);
	r = (struct mm_vmemmap_range){ section_nr_to_pfn(50), section_nr_to_pfn(50) + 4096,
				       MM_VMEMMAP_SECTION_ALTMAP, 0 };
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), -1);
	r = (struct mm_vmemmap_range){ section_nr_to_pfn(50), section_nr_to_pfn(51),
				       MM_VMEMMAP_DISTINCT, 0 };
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), -1);	/* source too small */
	assert_false(mm_section_mapped(mm, 50));
	s = make_src(0, 64 * MiB);
	fk.refuse = 1;
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), -1);	/* page tables refused */
	assert_false(mm_section_mapped(mm, 50));
	fk.refuse = 0;
	assert_int_equal(mm_vmemmap_map(mm, &r, &s.src), 1);
	assert_true(mm_section_mapped(mm, 50));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_section_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_distinct_part_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compound_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_altmap_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_section_altmap_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
