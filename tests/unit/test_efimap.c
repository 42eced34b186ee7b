/* lib/memmap.c: firmware descriptors of any size to sorted ranges; summaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "memmap.h"

#define MAXD 16

struct raw_map {
	uint8_t buf[MAXD * 64];
	size_t size;
	size_t desc_size;
};

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void add(struct raw_map *m, uint32_t type, uint64_t phys, uint64_t pages)
{
	uint8_t *d = m->buf + m->size;

	memset(d, 0xa5, m->desc_size);	/* firmware-specific trailing fields */
	put64(d + EFI_MD_TYPE, type);	/* type is 32 bits, then 4 bytes padding */
	put64(d + EFI_MD_PHYS, phys);
	put64(d + 16, 0);		/* virtual start */
	put64(d + EFI_MD_PAGES, pages);
	put64(d + EFI_MD_ATTR, 0xf);
	m->size += m->desc_size;
}

static void build(struct raw_map *m, size_t desc_size)
{
	m->size = 0;
	m->desc_size = desc_size;
	add(m, BOOT_MEM_CONVENTIONAL, 0x100000000ULL, 0x80000);	/* 2 GiB above 4 GiB */
	add(m, BOOT_MEM_BOOT_SERVICES_DATA, 0x100000, 0x100);
	add(m, BOOT_MEM_RESERVED, 0x0, 0);				/* empty: dropped */
	add(m, BOOT_MEM_CONVENTIONAL, 0x0, 0x9f);
	add(m, BOOT_MEM_MMIO, 0xfec00000, 1);
	add(m, BOOT_MEM_ACPI_RECLAIM, 0x200000, 0x10);
	add(m, 0x70000000, 0x300000, 1);				/* OEM type */
}

static void test_convert_honours_descriptor_size(void **state)
{
	static const size_t sizes[] = { 40, 48, 56, 80 };

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct raw_map m;
		struct boot_mem_range out[MAXD];
		int overflow;
	uint32_t bad;
		uint32_t n;

		build(&m, sizes[k]);
		n = memmap_convert(m.buf, m.size, m.desc_size, out, MAXD, &overflow, &bad);
		assert_int_equal(n, 6);
		assert_int_equal(overflow, 0);
		for (uint32_t i = 1; i < n; i++)
			assert_true(out[i - 1].phys < out[i].phys);
		assert_int_equal(out[0].phys, 0);
		assert_int_equal(out[0].pages, 0x9f);
		assert_int_equal(out[0].type, BOOT_MEM_CONVENTIONAL);
		assert_int_equal(out[0].attr, 0xf);
		assert_int_equal(out[5].phys, 0x100000000ULL);
		assert_int_equal(out[4].type, BOOT_MEM_MMIO);
		assert_int_equal(out[3].type, 0x70000000);
	}
}

static void test_convert_bad_sizes_and_overflow(void **state)
{
	struct raw_map m;
	struct boot_mem_range out[MAXD];
	int overflow;
	uint32_t bad;

	(void)state;
	build(&m, 48);
	assert_int_equal(memmap_convert(m.buf, m.size, 24, out, MAXD, &overflow, &bad), 0);
	/* A trailing partial descriptor is ignored, not read past. */
	assert_int_equal(memmap_convert(m.buf, m.size - 1, 48, out, MAXD, &overflow, &bad), 5);
	assert_int_equal(memmap_convert(m.buf, m.size, 48, out, 3, &overflow, &bad), 3);
	assert_int_equal(overflow, 1);
	/* A descriptor whose end wraps past 2^64 is dropped and counted. */
	build(&m, 48);
	add(&m, BOOT_MEM_CONVENTIONAL, 0xfffffffffffff000ULL, 2);
	assert_int_equal(memmap_convert(m.buf, m.size, 48, out, MAXD, &overflow, &bad), 6);
	assert_int_equal(bad, 1);
}

static void test_summary(void **state)
{
	struct raw_map m;
	struct boot_mem_range out[MAXD];
	struct memmap_summary s;
	int overflow;
	uint32_t bad;
	uint32_t n;

	(void)state;
	build(&m, 48);
	n = memmap_convert(m.buf, m.size, m.desc_size, out, MAXD, &overflow, &bad);
	memmap_summarize(out, n, &s);
	assert_int_equal(s.usable, (0x80000ULL + 0x100 + 0x9f) << 12);
	assert_int_equal(s.ram, (0x80000ULL + 0x100 + 0x9f + 0x10) << 12);
	assert_int_equal(s.ram_top, 0x180000000ULL);
	assert_int_equal(s.top, 0x180000000ULL);
	assert_int_equal(s.entries[BOOT_MEM_NTYPES], 1);	/* the OEM type */
	assert_int_equal(s.bytes[BOOT_MEM_MMIO], 4096);
	assert_int_equal(s.overlaps, 0);
	out[2].phys = out[1].phys + 4096;			/* overlap the previous range */
	memmap_summarize(out, n, &s);
	assert_int_equal(s.overlaps, 1);
	assert_string_equal(memmap_type_name(BOOT_MEM_ACPI_NVS), "acpi_nvs");
	assert_string_equal(memmap_type_name(99), "other");
}

#define TiB (1ULL << 40)

/* Usable RAM at or above 64 TiB (MAX_PHYSMEM_BITS 46) is refused: split at
 * the limit, the part above retyped unusable and reported. */
static void test_refuse_above_phys_limit(void **state)
{
	struct boot_mem_range m[8] = {
		{ .phys = 0, .pages = 0x100, .type = BOOT_MEM_CONVENTIONAL },
		{ .phys = 60 * TiB, .pages = (10 * TiB) >> 12, .type = BOOT_MEM_CONVENTIONAL },
		{ .phys = 72 * TiB, .pages = 1, .type = BOOT_MEM_MMIO },
		{ .phys = 80 * TiB, .pages = TiB >> 12, .type = BOOT_MEM_BOOT_SERVICES_DATA },
	};
	uint64_t first[2];
	uint32_t n = 4;

	(void)state;
	assert_int_equal(memmap_refuse_above(m, &n, 8, 64 * TiB, first), 7 * TiB);
	assert_int_equal(n, 5);
	assert_int_equal(first[0], 64 * TiB);
	assert_int_equal(first[1], 70 * TiB);
	assert_int_equal(m[1].phys + (m[1].pages << 12), 64 * TiB);
	assert_int_equal(m[1].type, BOOT_MEM_CONVENTIONAL);
	assert_int_equal(m[2].phys, 64 * TiB);
	assert_int_equal(m[2].type, BOOT_MEM_UNUSABLE);
	assert_int_equal(m[3].type, BOOT_MEM_MMIO);		/* not RAM: left alone */
	assert_int_equal(m[4].type, BOOT_MEM_UNUSABLE);
	/* No room to split: the crossing range is refused whole. */
	m[0] = (struct boot_mem_range){ .phys = 63 * TiB, .pages = (2 * TiB) >> 12,
					 .type = BOOT_MEM_CONVENTIONAL };
	n = 1;
	assert_int_equal(memmap_refuse_above(m, &n, 1, 64 * TiB, first), 2 * TiB);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].type, BOOT_MEM_UNUSABLE);
	/* Below the limit nothing changes. */
	m[0] = (struct boot_mem_range){ .phys = 0, .pages = 16, .type = BOOT_MEM_CONVENTIONAL };
	assert_int_equal(memmap_refuse_above(m, &n, 1, 64 * TiB, first), 0);
	assert_int_equal(m[0].type, BOOT_MEM_CONVENTIONAL);
}

/* A firmware map of far more than 4096 descriptors: no fixed count limits
 * the conversion; the buffers are sized from the map (boot/efi_mmap.c). */
static void test_convert_many_descriptors(void **state)
{
	enum { N = 20000, DS = 48 };
	uint8_t *raw = calloc(N, DS);
	struct boot_mem_range *out = calloc(N, sizeof(*out));
	struct memmap_summary s;
	int overflow;
	uint32_t bad, n;

	(void)state;
	assert_non_null(raw);
	assert_non_null(out);
	for (uint32_t i = 0; i < N; i++) {	/* descending, alternating types */
		uint8_t *d = raw + (size_t)i * DS;

		put64(d + EFI_MD_TYPE, i % 2 ? BOOT_MEM_CONVENTIONAL : BOOT_MEM_BOOT_SERVICES_DATA);
		put64(d + EFI_MD_PHYS, (uint64_t)(N - 1 - i) << 12);
		put64(d + EFI_MD_PAGES, 1);
	}
	n = memmap_convert(raw, (size_t)N * DS, DS, out, N, &overflow, &bad);
	assert_int_equal(n, N);
	assert_int_equal(overflow, 0);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(out[i].phys, (uint64_t)i << 12);
	memmap_summarize(out, n, &s);
	assert_int_equal(s.usable, (uint64_t)N << 12);
	assert_int_equal(s.overlaps, 0);
	free(raw);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuse_above_phys_limit),
		cmocka_unit_test(test_convert_many_descriptors),
		cmocka_unit_test(test_convert_honours_descriptor_size),
		cmocka_unit_test(test_convert_bad_sizes_and_overflow),
		cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
