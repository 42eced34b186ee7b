/*
 * Host tests of memblock (mm/memblock.c): node preference, fallback by
 * distance, alignment, never handing out unusable or reserved memory,
 * exhaustion, and the page-granular ranges it exports to the memmap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host_console.h"
#include "mm.h"

#define MiB	(1ULL << 20)
#define KiB	(1ULL << 10)

struct mb_fixture {
	struct boot_mem_range map[16];
	uint32_t map_count;
	struct memblock_node_range nodes[4];
	struct memblock_region mem[32], res[256];
	struct memblock mb;
};

static void map_add(struct mb_fixture *f, uint64_t start, uint64_t end, uint32_t type)
{
	f->map[f->map_count++] = (struct boot_mem_range){
		.phys = start, .pages = (end - start) / PAGE_SIZE, .type = type,
	};
}

/* Three nodes of 64 MiB at 0, 64, 128 MiB; usable from page 0 on (so the
 * "never return 0" rule matters), a reserved hole in node 1, an unusable
 * entry overlapping usable memory in node 2. */
static void fixture_init(struct mb_fixture *f, const uint8_t *dist)
{
	memset(f, 0, sizeof(*f));
	map_add(f, 0, 64 * MiB, BOOT_MEM_CONVENTIONAL);
	map_add(f, 64 * MiB, 80 * MiB, BOOT_MEM_BOOT_SERVICES_CODE);
	map_add(f, 80 * MiB, 81 * MiB, BOOT_MEM_RUNTIME_DATA);
	map_add(f, 81 * MiB, 128 * MiB, BOOT_MEM_CONVENTIONAL);
	map_add(f, 128 * MiB, 192 * MiB, BOOT_MEM_CONVENTIONAL);
	map_add(f, 150 * MiB, 151 * MiB, BOOT_MEM_ACPI_NVS);	/* overlaps usable */
	for (uint32_t i = 0; i < 3; i++)
		f->nodes[i] = (struct memblock_node_range){ i * 64 * MiB, (i + 1) * 64 * MiB, i, 0 };
	assert_int_equal(memblock_init(&f->mb, f->map, f->map_count, f->nodes, 3, dist, 3, 3, f->mem,
				       32, f->res, 256), 0);
}

static const uint8_t dist_default[9] = { 10, 20, 30, 20, 10, 20, 30, 20, 10 };

static int inside_node(uint64_t addr, uint64_t size, uint32_t nid)
{
	return addr >= nid * 64 * MiB && addr + size <= (nid + 1) * 64 * MiB;
}

static void test_node_preference(void **state)
{
	struct mb_fixture f;

	(void)state;
	fixture_init(&f, dist_default);
	for (uint32_t nid = 0; nid < 3; nid++) {
		uint64_t a = memblock_alloc(&f.mb, nid, 12345, 64);

		assert_int_not_equal(a, 0);
		assert_true(inside_node(a, 12345, nid));
		assert_int_equal(a % 64, 0);
	}
	assert_int_equal(memblock_node_usable_pages(&f.mb, 1), (63 * MiB) / PAGE_SIZE);
	assert_int_equal(memblock_node_usable_pages(&f.mb, 2), (63 * MiB) / PAGE_SIZE);
}

/* Fill node 2 completely, then allocations for node 2 go to node 1 (distance
 * 20 < 30), and when node 1 is full too, to node 0. */
static void test_fallback_by_distance(void **state)
{
	struct mb_fixture f;
	uint64_t a;

	(void)state;
	fixture_init(&f, dist_default);
	while (memblock_alloc_exact_nid(&f.mb, 2, MiB, PAGE_SIZE))
		;
	while (memblock_alloc_exact_nid(&f.mb, 2, PAGE_SIZE, PAGE_SIZE))
		;
	assert_int_equal(memblock_node_reserved_pages(&f.mb, 2),
			 memblock_node_usable_pages(&f.mb, 2));
	a = memblock_alloc(&f.mb, 2, MiB, MiB);
	assert_true(inside_node(a, MiB, 1));
	while (memblock_alloc_exact_nid(&f.mb, 1, PAGE_SIZE, PAGE_SIZE))
		;
	a = memblock_alloc(&f.mb, 2, MiB, MiB);
	assert_true(inside_node(a, MiB, 0));
}

/* Ties go to the lowest node id: from node 1, nodes 0 and 2 are both at 20. */
static void test_fallback_tie_lowest_id(void **state)
{
	static const uint8_t dist[9] = { 10, 20, 20, 20, 10, 20, 20, 20, 10 };
	struct mb_fixture f;

	(void)state;
	fixture_init(&f, dist);
	while (memblock_alloc_exact_nid(&f.mb, 1, PAGE_SIZE, PAGE_SIZE))
		;
	assert_true(inside_node(memblock_alloc(&f.mb, 1, 8192, 0), 8192, 0));
}

static void test_alignment(void **state)
{
	struct mb_fixture f;

	(void)state;
	fixture_init(&f, NULL);
	for (unsigned shift = 3; shift <= 24; shift++) {
		uint64_t a = memblock_alloc(&f.mb, shift % 3, 1000 + shift, 1ULL << shift);

		assert_int_not_equal(a, 0);
		assert_int_equal(a & ((1ULL << shift) - 1), 0);
	}
	assert_int_equal(memblock_alloc(&f.mb, 0, 4096, 3000), 0);	/* not a power of 2 */
	assert_int_equal(memblock_alloc(&f.mb, 0, 0, 8), 0);
	assert_int_equal(memblock_alloc(&f.mb, 0, 4096, 0) % PAGE_SIZE, 0);
}

/* Whether [a, a + size) lies entirely in usable map entries and in no
 * unusable one, checked against the raw memory map. */
static int usable_per_map(const struct mb_fixture *f, uint64_t a, uint64_t size)
{
	for (uint64_t p = a & ~(PAGE_SIZE - 1); p < a + size; p += PAGE_SIZE) {
		int ok = 0;

		for (uint32_t i = 0; i < f->map_count; i++) {
			const struct boot_mem_range *e = &f->map[i];
			int in = p >= e->phys && p < e->phys + e->pages * PAGE_SIZE;

			if (in && !boot_mem_usable(e->type))
				return 0;
			ok |= in;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

static void test_never_overlaps(void **state)
{
	struct mb_fixture f;
	uint64_t base[200], size[200], seed = 88172645463325252ULL;
	int n = 0;

	(void)state;
	fixture_init(&f, dist_default);
	assert_int_equal(memblock_reserve(&f.mb, 100 * MiB + 123, 5 * MiB), 0);
	assert_int_equal(memblock_reserve(&f.mb, 63 * MiB, 2 * MiB), 0);
	base[n] = 100 * MiB + 123, size[n++] = 5 * MiB;
	base[n] = 63 * MiB, size[n++] = 2 * MiB;
	while (n < 200) {
		uint64_t sz, al, a;

		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		sz = 1 + seed % (3 * MiB);
		al = 1ULL << (3 + (seed >> 40) % 20);
		a = memblock_alloc(&f.mb, (uint32_t)(seed >> 50) % 3, sz, al);
		if (!a)
			break;
		assert_int_equal(a % al, 0);
		assert_true(usable_per_map(&f, a, sz));
		for (int i = 0; i < n; i++)
			assert_true(a + sz <= base[i] || a >= base[i] + size[i]);
		base[n] = a, size[n++] = sz;
	}
	assert_true(n > 60);
	for (uint32_t i = 0; i + 1 < f.mb.reserved.cnt; i++)	/* sorted, merged */
		assert_true(f.mb.reserved.regions[i].end < f.mb.reserved.regions[i + 1].base);
}

static void test_exhaustion_and_freeze(void **state)
{
	struct mb_fixture f;
	uint64_t total = 0, a;

	(void)state;
	fixture_init(&f, dist_default);
	assert_int_equal(memblock_alloc(&f.mb, 0, 200 * MiB, 0), 0);	/* larger than any node */
	while ((a = memblock_alloc(&f.mb, 0, 64 * KiB, 0)) != 0)
		total += 64 * KiB;
	while ((a = memblock_alloc(&f.mb, 0, PAGE_SIZE, 0)) != 0)	/* below the last 64 KiB */
		total += PAGE_SIZE;
	assert_int_equal(f.mb.reserved.regions[0].base, PAGE_SIZE);	/* page 0 never given */
	assert_true(total > 180 * MiB);
	fixture_init(&f, dist_default);
	memblock_freeze(&f.mb);
	assert_int_equal(memblock_alloc(&f.mb, 0, PAGE_SIZE, 0), 0);
}

static void test_exported_ranges(void **state)
{
	struct mb_fixture f;
	struct mm_range r[16];
	uint64_t sum = 0;
	uint32_t n;

	(void)state;
	fixture_init(&f, dist_default);
	n = memblock_node_memory_ranges(&f.mb, 2, r, 16);	/* ACPI NVS hole cut out */
	assert_int_equal(n, 2);
	assert_int_equal(r[0].end_pfn, (150 * MiB) >> PAGE_SHIFT);
	assert_int_equal(r[1].start_pfn, (151 * MiB) >> PAGE_SHIFT);
	n = memblock_node_memory_ranges(&f.mb, 1, r, 16);	/* BS code + conventional merged */
	assert_int_equal(n, 2);
	assert_int_equal(r[0].start_pfn, (64 * MiB) >> PAGE_SHIFT);
	assert_int_equal(r[0].end_pfn, (80 * MiB) >> PAGE_SHIFT);
	assert_int_equal(memblock_reserve(&f.mb, 130 * MiB + 100, 10), 0);	/* sub-page */
	assert_int_equal(memblock_reserve(&f.mb, 130 * MiB + 200, 10), 0);	/* same page */
	assert_int_equal(memblock_reserve(&f.mb, 140 * MiB - 1, 2), 0);	/* two pages */
	assert_int_equal(memblock_reserve(&f.mb, 150 * MiB, MiB), 0);	/* unusable only */
	assert_int_equal(memblock_node_reserved_pages(&f.mb, 2), 3);
	n = memblock_node_free_ranges(&f.mb, 2, r, 16);
	assert_int_equal(n, 4);
	assert_int_equal(r[0].end_pfn, (130 * MiB) >> PAGE_SHIFT);
	assert_int_equal(r[1].start_pfn, ((130 * MiB) >> PAGE_SHIFT) + 1);
	for (uint32_t i = 0; i < n; i++) {
		sum += r[i].end_pfn - r[i].start_pfn;
		assert_true(i == 0 || r[i].start_pfn > r[i - 1].end_pfn);
	}
	assert_int_equal(sum, memblock_node_usable_pages(&f.mb, 2) - 3);
	assert_int_equal(memblock_node_free_ranges(&f.mb, 2, r, 1), 4);	/* sizing call */
}

static void test_no_numa_and_storage_limits(void **state)
{
	struct boot_mem_range map[2] = {
		{ .phys = 1 * MiB, .pages = 256, .type = BOOT_MEM_CONVENTIONAL },
		{ .phys = 4 * MiB, .pages = 256, .type = BOOT_MEM_CONVENTIONAL },
	};
	struct memblock_region mem[1], res[1];
	struct memblock mb;

	(void)state;
	assert_int_equal(memblock_init(&mb, map, 2, NULL, 0, NULL, 0, 0, mem, 1, res, 1), -1);
	assert_int_equal(memblock_init(&mb, map, 1, NULL, 0, NULL, 0, 0, mem, 1, res, 1), 0);
	assert_int_equal(memblock_node_usable_pages(&mb, 0), 256);
	assert_int_not_equal(memblock_alloc(&mb, 0, PAGE_SIZE, 0), 0);
	assert_int_equal(memblock_alloc(&mb, 0, 3 * PAGE_SIZE, 2 * MiB), 0);	/* no fit */
	assert_int_equal(memblock_reserve(&mb, 1 * MiB, 16), -1);	/* storage full */
}

/* 6000 adjacent usable descriptors (more than the 4096 regions memblock
 * has room for, MM_MEMBLOCK_REGIONS) merge into one region; 6000 separate
 * ones are refused with a message naming the storage size. */
static void test_many_map_entries(void **state)
{
	enum { N = 6000, CAP = 4096 };
	struct boot_mem_range *map = calloc(N, sizeof(*map));
	struct memblock_region *mem = calloc(CAP, sizeof(*mem)), *res = calloc(CAP, sizeof(*res));
	struct memblock mb;

	(void)state;
	for (uint32_t i = 0; i < N; i++)
		map[i] = (struct boot_mem_range){ .phys = 1 * MiB + (uint64_t)i * PAGE_SIZE, .pages = 1,
			.type = i % 2 ? BOOT_MEM_CONVENTIONAL : BOOT_MEM_BOOT_SERVICES_CODE };
	assert_int_equal(memblock_init(&mb, map, N, NULL, 0, NULL, 0, 0, mem, CAP, res, CAP), 0);
	assert_int_equal(mb.memory.cnt, 1);
	assert_int_equal(memblock_node_usable_pages(&mb, 0), N);
	for (uint32_t i = 0; i < N; i++)
		map[i].phys = 1 * MiB + (uint64_t)i * 2 * PAGE_SIZE;	/* a hole after each */
	host_console_reset();
	assert_int_equal(memblock_init(&mb, map, N, NULL, 0, NULL, 0, 0, mem, CAP, res, CAP), -1);
	assert_true(host_console_contains("region storage (4096) too small"));
	free(map);
	free(mem);
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_map_entries),
		cmocka_unit_test(test_node_preference),
		cmocka_unit_test(test_fallback_by_distance),
		cmocka_unit_test(test_fallback_tie_lowest_id),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_never_overlaps),
		cmocka_unit_test(test_exhaustion_and_freeze),
		cmocka_unit_test(test_exported_ranges),
		cmocka_unit_test(test_no_numa_and_storage_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
