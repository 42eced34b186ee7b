/*
 * Host tests of the MCFG parser (acpi/mcfg.c) on iasl-compiled tables
 * (tests/data/pmem/mcfg, tests/data/bad/mcfg_allocs) and hand-broken ones:
 * what is kept, every refusal by name, trailing bytes, overflow, the
 * dispatcher.  Usage: test_mcfg [build/data]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "acpi.h"
#include "host_console.h"

/* tests/unit/test_acpi_util.c */
void acpi_test_set_root(int argc, char **argv);
uint8_t *acpi_test_load(const char *name, size_t *len);
void acpi_test_fix_checksum(uint8_t *t, size_t len);
void acpi_test_put64(uint8_t *p, uint64_t v);
uint8_t *acpi_test_header(const char *sig, uint8_t rev, size_t len);

static struct acpi_info info;
static struct acpi_mcfg_info mcfg;

static int setup(void **state)
{
	(void)state;
	host_console_reset();
	acpi_info_init(&info);
	return 0;
}

static void test_mcfg_qemu_like(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("pmem/mcfg", &len);

	(void)state;
	assert_int_equal(acpi_parse_mcfg(t, len, &mcfg), 0);
	assert_true(mcfg.present);
	assert_false(mcfg.truncated);
	assert_int_equal(mcfg.nseg, 2);
	assert_int_equal(mcfg.nrejected, 0);
	assert_int_equal(mcfg.seg[0].base, 0xB0000000);
	assert_int_equal(mcfg.seg[0].segment, 0);
	assert_int_equal(mcfg.seg[0].bus_start, 0);
	assert_int_equal(mcfg.seg[0].bus_end, 0xFF);
	assert_int_equal(mcfg.seg[1].base, 0xE0000000);
	assert_int_equal(mcfg.seg[1].segment, 1);
	assert_int_equal(mcfg.seg[1].bus_start, 0x40);
	assert_int_equal(mcfg.seg[1].bus_end, 0x7F);
	assert_int_equal(acpi_parse_table(t, len, &info), 0);
	assert_int_equal(info.mcfg.nseg, 2);
	assert_int_equal(acpi_parse_table(t, len, &info), -1);
	assert_true(host_console_contains("acpi: MCFG: second table of this kind ignored"));
	t[44] ^= 1;	/* checksum now wrong */
	assert_int_equal(acpi_parse_mcfg(t, len, &mcfg), -1);
	assert_false(mcfg.present);
	assert_int_equal(mcfg.nseg, 0);
	free(t);
}

static void test_mcfg_bad_allocs(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("bad/mcfg_allocs", &len);

	(void)state;
	assert_int_equal(acpi_parse_mcfg(t, len, &mcfg), 0);
	assert_int_equal(mcfg.nseg, 1);
	assert_int_equal(mcfg.nrejected, 4);
	assert_int_equal(mcfg.seg[0].segment, 4);
	assert_int_equal(mcfg.seg[0].base, 0xC0000000);
	assert_true(host_console_contains("segment 0, buses 16-15, base 0xb0000000): "
					  "bus range reversed, rejected"));
	assert_true(host_console_contains("base not 1 MiB aligned, rejected"));
	assert_true(host_console_contains("base is 0, rejected"));
	assert_true(host_console_contains("window wraps the address space, rejected"));
	free(t);
}

/* A table of n allocations plus extra trailing bytes, checksum fixed. */
static uint8_t *build_mcfg(size_t n, size_t extra, size_t *len)
{
	uint8_t *t;

	*len = 44 + 16 * n + extra;
	t = acpi_test_header("MCFG", 1, *len);
	for (size_t i = 0; i < n; i++) {
		acpi_test_put64(t + 44 + 16 * i, 0x100000000ull + (i << 28));
		t[44 + 16 * i + 8] = (uint8_t)i;
		t[44 + 16 * i + 11] = 0xFF;
	}
	acpi_test_fix_checksum(t, *len);
	return t;
}

static void test_mcfg_trailing_and_overflow(void **state)
{
	size_t len;
	uint8_t *t = build_mcfg(2, 7, &len);

	(void)state;
	assert_int_equal(acpi_parse_mcfg(t, len, &mcfg), 0);
	assert_int_equal(mcfg.nseg, 2);
	assert_true(mcfg.truncated);
	assert_true(host_console_contains("acpi: MCFG: 7 trailing bytes at offset 76 ignored"));
	free(t);
	t = build_mcfg(ACPI_MAX_MCFG + 3, 0, &len);
	assert_int_equal(acpi_parse_mcfg(t, len, &mcfg), 0);
	assert_int_equal(mcfg.nseg, ACPI_MAX_MCFG);
	assert_true(mcfg.overflow);
	assert_true(host_console_contains("more than 16 allocations; segment 16 and later not used"));
	/* a buffer shorter than the header's length is refused */
	assert_int_equal(acpi_parse_mcfg(t, 50, &mcfg), -1);
	assert_false(mcfg.present);
	free(t);
	t = build_mcfg(0, 0, &len);
	assert_int_equal(acpi_parse_mcfg(t, len, &mcfg), 0);
	assert_true(mcfg.present);
	assert_int_equal(mcfg.nseg, 0);
	free(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mcfg_qemu_like, setup),
		cmocka_unit_test_setup(test_mcfg_bad_allocs, setup),
		cmocka_unit_test_setup(test_mcfg_trailing_and_overflow, setup),
	};

	acpi_test_set_root(argc, argv);
	return cmocka_run_group_tests_name("mcfg", tests, NULL, NULL);
}
