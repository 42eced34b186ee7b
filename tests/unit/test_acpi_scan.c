/*
 * Host tests of acpi_scan(): RSDP -> XSDT / RSDT walk over a fake physical
 * memory holding the iasl-compiled tables of tests/data/node2.
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
uint8_t *acpi_test_load(const char *name, size_t *len);
void acpi_test_fix_checksum(uint8_t *t, size_t len);
void acpi_test_put32(uint8_t *p, uint32_t v);
void acpi_test_put64(uint8_t *p, uint64_t v);
int acpi_scan_tests(void);

#define MEM_SIZE	(1u << 20)
#define RSDP_AT		0xE0000u
#define XSDT_AT		0x1000u
#define RSDT_AT		0x2000u
#define TABLE_AT(i)	(0x10000u + (i) * 0x2000u)

static const char *const sigs[] = { "apic", "srat", "slit", "facp", "hpet" };
#define NTABLES 5

static uint8_t *mem;
static struct acpi_info info;

static const void *fake_map(uint64_t phys, size_t len, void *ctx)
{
	(void)ctx;
	if (phys > MEM_SIZE || len > MEM_SIZE - phys)
		return NULL;
	return mem + phys;
}

static void rsdp_checksums(void)
{
	uint8_t *r = mem + RSDP_AT, sum = 0;

	r[8] = 0;
	for (int i = 0; i < 20; i++)
		sum = (uint8_t)(sum + r[i]);
	r[8] = (uint8_t)(0x100 - sum);
	r[32] = 0;
	sum = 0;
	for (int i = 0; i < 36; i++)
		sum = (uint8_t)(sum + r[i]);
	r[32] = (uint8_t)(0x100 - sum);
}

/* node2's tables, an XSDT and an RSDT listing them, a revision 2 RSDP. */
static int setup(void **state)
{
	uint8_t *x = NULL, *r = NULL;

	(void)state;
	host_console_reset();
	mem = calloc(1, MEM_SIZE);
	for (int i = 0; i < NTABLES; i++) {
		char name[32];
		size_t len;
		uint8_t *t;

		snprintf(name, sizeof(name), "node2/%s", sigs[i]);
		t = acpi_test_load(name, &len);
		memcpy(mem + TABLE_AT(i), t, len);
		free(t);
	}
	x = mem + XSDT_AT;
	memcpy(x, "XSDT", 4);
	acpi_test_put32(x + 4, 36 + 8 * NTABLES);
	x[8] = 1;
	r = mem + RSDT_AT;
	memcpy(r, "RSDT", 4);
	acpi_test_put32(r + 4, 36 + 4 * NTABLES);
	r[8] = 1;
	for (int i = 0; i < NTABLES; i++) {
		acpi_test_put64(x + 36 + 8 * i, TABLE_AT(i));
		acpi_test_put32(r + 36 + 4 * i, TABLE_AT(i));
	}
	acpi_test_fix_checksum(x, 36 + 8 * NTABLES);
	acpi_test_fix_checksum(r, 36 + 4 * NTABLES);
	memcpy(mem + RSDP_AT, "RSD PTR ", 8);
	memcpy(mem + RSDP_AT + 9, "NUMABT", 6);
	mem[RSDP_AT + 15] = 2;
	acpi_test_put32(mem + RSDP_AT + 16, RSDT_AT);
	acpi_test_put32(mem + RSDP_AT + 20, 36);
	acpi_test_put64(mem + RSDP_AT + 24, XSDT_AT);
	rsdp_checksums();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	return 0;
}

static void expect_node2(void)
{
	assert_true(info.madt.present);
	assert_int_equal(info.madt.ncpus, 4);
	assert_int_equal(info.madt.cpus[3].apic_id, 3);
	assert_true(info.srat.present);
	assert_int_equal(info.srat.nmem, 3);
	assert_true(info.slit.present);
	assert_int_equal(info.slit.dist[0][1], 21);
	assert_true(info.timer.pm_present);
	assert_int_equal(info.timer.pm_addr, 0x608);
	assert_int_equal(info.timer.hpet_base, 0xFED00000);
}

static void test_scan_xsdt(void **state)
{
	(void)state;
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, &info), 0);
	assert_int_equal(info.rsdp_revision, 2);
	assert_false(info.used_rsdt);
	expect_node2();
}

static void test_scan_bad_xsdt_uses_rsdt(void **state)
{
	(void)state;
	mem[XSDT_AT + 40] ^= 1;
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, &info), 0);
	assert_true(info.used_rsdt);
	assert_true(host_console_contains("acpi: XSDT: bad checksum"));
	expect_node2();
}

static void test_scan_bad_ext_checksum_uses_rsdt(void **state)
{
	(void)state;
	mem[RSDP_AT + 32] ^= 1;
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, &info), 0);
	assert_true(info.used_rsdt);
	expect_node2();
}

static void test_scan_acpi1_rsdp(void **state)
{
	(void)state;
	mem[RSDP_AT + 15] = 0;
	acpi_test_put64(mem + RSDP_AT + 24, 0xdeadbeef000);	/* must not be followed */
	rsdp_checksums();
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, &info), 0);
	assert_int_equal(info.rsdp_revision, 0);
	assert_true(info.used_rsdt);
	expect_node2();
}

static void test_scan_bad_rsdp(void **state)
{
	(void)state;
	mem[RSDP_AT + 3] ^= 1;
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, &info), -1);
	assert_false(info.madt.present);
	assert_int_equal(acpi_scan(MEM_SIZE - 4, fake_map, NULL, &info), -1);
	assert_true(host_console_contains("not mapped"));
}

/* One table corrupt, one entry unmapped, one with an impossible length:
 * each reported and skipped, the rest parsed. */
static void test_scan_bad_tables(void **state)
{
	uint8_t *x = mem + XSDT_AT;

	(void)state;
	mem[TABLE_AT(1) + 60] ^= 1;				/* SRAT checksum */
	acpi_test_put64(x + 36 + 8 * 2, 0x7ffff000000ull);	/* SLIT unmapped */
	acpi_test_put32(mem + TABLE_AT(4) + 4, 0xffffffffu);	/* HPET length */
	acpi_test_fix_checksum(x, 36 + 8 * NTABLES);
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, &info), 0);
	assert_false(info.used_rsdt);
	assert_true(info.madt.present);
	assert_false(info.srat.present);
	assert_false(info.slit.present);
	assert_false(info.timer.hpet_present);
	assert_true(info.timer.pm_present);
	assert_true(host_console_contains("acpi: SRAT: bad checksum"));
	assert_true(host_console_contains("not mapped"));
	assert_true(host_console_contains("impossible length 4294967295"));
}

/* An XSDT whose length is not a whole number of entries and overruns
 * memory is refused; the RSDT is used. */
static void test_scan_xsdt_length(void **state)
{
	(void)state;
	acpi_test_put32(mem + XSDT_AT + 4, MEM_SIZE);
	acpi_test_fix_checksum(mem + XSDT_AT, 36 + 8 * NTABLES);
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, &info), 0);
	assert_true(info.used_rsdt);
	expect_node2();
}

int acpi_scan_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan_xsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_bad_xsdt_uses_rsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_bad_ext_checksum_uses_rsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_acpi1_rsdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_bad_rsdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_bad_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_xsdt_length, setup, teardown),
	};

	return cmocka_run_group_tests_name("acpi scan", tests, NULL, NULL);
}
