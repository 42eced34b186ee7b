/*
 * Host tests of acpi_scan(): RSDP -> XSDT / RSDT walk over a fake physical
 * memory holding the iasl-compiled tables of tests/data/node2, and the
 * table override from the boot disk (acpi/override.c) over the same walk.
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
uint8_t *acpi_test_header(const char *sig, uint8_t rev, size_t len);
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
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, NULL, &info), 0);
	assert_int_equal(info.rsdp_revision, 2);
	assert_false(info.used_rsdt);
	expect_node2();
}

static void test_scan_bad_xsdt_uses_rsdt(void **state)
{
	(void)state;
	mem[XSDT_AT + 40] ^= 1;
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, NULL, &info), 0);
	assert_true(info.used_rsdt);
	assert_true(host_console_contains("acpi: XSDT: bad checksum"));
	expect_node2();
}

static void test_scan_bad_ext_checksum_uses_rsdt(void **state)
{
	(void)state;
	mem[RSDP_AT + 32] ^= 1;
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, NULL, &info), 0);
	assert_true(info.used_rsdt);
	expect_node2();
}

static void test_scan_acpi1_rsdp(void **state)
{
	(void)state;
	mem[RSDP_AT + 15] = 0;
	acpi_test_put64(mem + RSDP_AT + 24, 0xdeadbeef000);	/* must not be followed */
	rsdp_checksums();
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, NULL, &info), 0);
	assert_int_equal(info.rsdp_revision, 0);
	assert_true(info.used_rsdt);
	expect_node2();
}

static void test_scan_bad_rsdp(void **state)
{
	(void)state;
	mem[RSDP_AT + 3] ^= 1;
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, NULL, &info), -1);
	assert_false(info.madt.present);
	assert_int_equal(acpi_scan(MEM_SIZE - 4, fake_map, NULL, NULL, &info), -1);
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
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, NULL, &info), 0);
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
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, NULL, &info), 0);
	assert_true(info.used_rsdt);
	expect_node2();
}

/* Override files live in the fake memory from OV_AT(0), one slot each. */
#define OV_AT(i)	(0x40000u + (i) * 0x4000u)
#define OV_SLOT		0x4000u
#define SRAT_AT		TABLE_AT(1)	/* node2's SRAT, the firmware's */

static struct boot_acpi_override ov;
static char json_buf[ACPI_OVERRIDE_JSON_BUF_SIZE];

/* One file of the folder: name, bytes (len of them, at most OV_SLOT). */
static struct boot_acpi_file *ov_add(const char *name, const uint8_t *t, size_t len)
{
	struct boot_acpi_file *f = &ov.file[ov.nfiles];

	assert_true(len <= OV_SLOT);
	memcpy(mem + OV_AT(ov.nfiles), t, len);
	*f = (struct boot_acpi_file){ .phys = OV_AT(ov.nfiles), .length = len,
				      .status = BOOT_ACPI_FILE_READ };
	snprintf(f->name, sizeof(f->name), "%s", name);
	ov.dir_found = 1;
	ov.nfiles++;
	return f;
}

/* A compiled table of tests/data as an override file. */
static struct boot_acpi_file *ov_add_data(const char *file, const char *data)
{
	size_t len;
	uint8_t *t = acpi_test_load(data, &len);
	struct boot_acpi_file *f = ov_add(file, t, len);

	free(t);
	return f;
}

static int ov_setup(void **state)
{
	memset(&ov, 0, sizeof(ov));
	return setup(state);
}

static size_t data_len(const char *data)
{
	size_t len;

	free(acpi_test_load(data, &len));
	return len;
}

static void scan(void)
{
	host_console_reset();
	assert_int_equal(acpi_scan(RSDP_AT, fake_map, NULL, &ov, &info), 0);
}

/* The firmware's (node2's) SRAT is the one parsed. */
static void expect_firmware_srat(void)
{
	assert_true(info.srat.present);
	assert_int_equal(info.srat.nmem, 3);
}

/* node4's SRAT: 5 memory ranges, the last one domain 3's. */
static void expect_node4_srat(void)
{
	assert_true(info.srat.present);
	assert_int_equal(info.srat.nmem, 5);
	assert_int_equal(info.srat.mem[4].domain, 3);
	assert_int_equal(info.srat.mem[4].base, 0x200000000ull);
}

/* A fixed SRAT replaces the firmware's: parsed instead of it, reported on
 * the console (signature, file, length) and in the JSON record. */
static void test_override_replace(void **state)
{
	char want[320];
	size_t len = data_len("node4/srat");

	(void)state;
	ov_add_data("srat.aml", "node4/srat");
	scan();
	expect_node4_srat();
	assert_true(info.madt.present && info.slit.present);	/* the rest as before */
	assert_int_equal(info.override.nfiles, 1);
	assert_int_equal(info.override.rec[0].status, ACPI_OVERRIDE_REPLACED);
	assert_int_equal(info.override.rec[0].nfirmware, 1);
	assert_string_equal(info.override.rec[0].signature, "SRAT");
	snprintf(want, sizeof(want), "acpi: override srat.aml: SRAT, %zu bytes, replaces the "
		 "firmware's SRAT\n", len);
	assert_true(host_console_contains(want));
	snprintf(want, sizeof(want), "acpi: firmware SRAT at 0x%x not read: overridden by srat.aml",
		 SRAT_AT);
	assert_true(host_console_contains(want));
	assert_false(host_console_contains("second table of this kind"));
	host_console_reset();
	acpi_override_emit_json(&info.override, json_buf, sizeof(json_buf));
	snprintf(want, sizeof(want), "{\"schema\":\"numaboot/1\",\"kind\":\"acpi_override\","
		 "\"max_files\":16,\"max_bytes\":1048576,\"files\":1,\"beyond_limit\":0,"
		 "\"tables\":[{\"file\":\"srat.aml\",\"signature\":\"SRAT\",\"length\":%zu,"
		 "\"status\":\"replaced\",\"firmware_tables\":1}]}\n", len);
	assert_true(host_console_contains(want));
}

/* A table the firmware does not have is added; one numaboot does not read
 * is checked and listed as unused. */
static void test_override_add_and_unused(void **state)
{
	uint8_t *dsdt = acpi_test_header("DSDT", 2, 64);

	(void)state;
	acpi_test_fix_checksum(dsdt, 64);
	ov_add("dsdt.aml", dsdt, 64);
	ov_add_data("nfit.aml", "pmem/nfit");
	free(dsdt);
	scan();
	assert_true(info.nfit.present);
	assert_int_equal(info.nfit.nspa, 2);
	expect_firmware_srat();
	assert_int_equal(info.override.rec[0].status, ACPI_OVERRIDE_UNUSED);
	assert_int_equal(info.override.rec[1].status, ACPI_OVERRIDE_ADDED);
	assert_int_equal(info.override.rec[1].nfirmware, 0);
	assert_true(host_console_contains("acpi: override dsdt.aml: DSDT, 64 bytes, unused "
					  "(numaboot reads no DSDT table)\n"));
	assert_true(host_console_contains("acpi: override nfit.aml: NFIT, "));
	assert_true(host_console_contains(" bytes, added (the firmware has no NFIT)\n"));
	host_console_reset();
	acpi_override_emit_json(&info.override, json_buf, sizeof(json_buf));
	assert_true(host_console_contains("\"status\":\"unused\",\"firmware_tables\":0}"));
	assert_true(host_console_contains("\"status\":\"added\",\"firmware_tables\":0}]}"));
}

/* A bad checksum is refused by the check every firmware table passes
 * (same message), reported by file; the firmware's SRAT is used. */
static void test_override_bad_checksum(void **state)
{
	struct boot_acpi_file *f;

	(void)state;
	f = ov_add_data("srat.aml", "node4/srat");
	mem[f->phys + 60] ^= 0x10;
	scan();
	expect_firmware_srat();
	assert_int_equal(info.override.rec[0].status, ACPI_OVERRIDE_REJECTED);
	assert_string_equal(info.override.rec[0].why, "bad checksum");
	assert_int_equal(info.override.rec[0].nfirmware, 1);
	assert_true(host_console_contains("acpi: SRAT: bad checksum, ignored\n"));
	assert_true(host_console_contains("bytes, REJECTED (bad checksum); the firmware's SRAT is used\n"));
	assert_false(host_console_contains("not read: overridden"));
	host_console_reset();
	acpi_override_emit_json(&info.override, json_buf, sizeof(json_buf));
	assert_true(host_console_contains("\"status\":\"rejected\",\"firmware_tables\":1,"
					  "\"why\":\"bad checksum\"}"));
}

/* A file shorter than its table, longer than it, empty, too large for the
 * folder's limit, and files past the count limit: each refused by name,
 * the firmware's SRAT used. */
static void test_override_lengths_and_limits(void **state)
{
	size_t len = data_len("node4/srat");
	char want[320];

	(void)state;
	ov_add_data("a_short.aml", "node4/srat")->length = len - 8;
	ov_add_data("b_long.aml", "node4/srat")->length = len + 16;
	ov_add("c_empty.aml", (const uint8_t *)"", 0);
	*ov_add("d_huge.aml", (const uint8_t *)"", 0) = (struct boot_acpi_file){
		.length = 2u << 20, .status = BOOT_ACPI_FILE_TOO_LARGE, .name = "d_huge.aml" };
	*ov_add("e_lost.aml", (const uint8_t *)"", 0) = (struct boot_acpi_file){
		.length = 100, .status = BOOT_ACPI_FILE_UNREADABLE, .name = "e_lost.aml" };
	ov.nbeyond = 3;
	scan();
	expect_firmware_srat();
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(info.override.rec[i].status, ACPI_OVERRIDE_REJECTED);
	snprintf(want, sizeof(want), "acpi: SRAT: impossible length %zu (have %zu bytes", len, len - 8);
	assert_true(host_console_contains(want));
	snprintf(want, sizeof(want), "acpi: override a_short.aml: SRAT, %zu bytes, REJECTED "
		 "(impossible length); the firmware's SRAT is used\n", len - 8);
	assert_true(host_console_contains(want));
	snprintf(want, sizeof(want), "acpi: override b_long.aml: SRAT, %zu bytes, REJECTED (the file "
		 "has %zu bytes, its table %zu)", len + 16, len + 16, len);
	assert_true(host_console_contains(want));
	assert_true(host_console_contains("acpi: override c_empty.aml: ????, 0 bytes, REJECTED "
					  "(shorter than its header); the firmware has no ????\n"));
	assert_true(host_console_contains("acpi: override d_huge.aml: ????, 2097152 bytes, REJECTED "
					  "(over the folder's limit of 1048576 bytes)"));
	assert_true(host_console_contains("acpi: override e_lost.aml: ????, 100 bytes, REJECTED "
					  "(the loader could not read it)"));
	assert_true(host_console_contains("acpi: override: 3 more files past the limit of 16 files "
					  "not read\n"));
	assert_int_equal(info.override.nbeyond, 3);
}

/* Two files of one signature: the first by name that passes is used, the
 * directory's order does not matter; a refused first file claims nothing. */
static void test_override_duplicates(void **state)
{
	struct boot_acpi_file *bad;

	(void)state;
	ov_add_data("b_srat.aml", "node2/srat");
	ov_add_data("a_srat.aml", "node4/srat");
	scan();
	expect_node4_srat();
	assert_string_equal(info.override.rec[0].file, "a_srat.aml");
	assert_int_equal(info.override.rec[0].status, ACPI_OVERRIDE_REPLACED);
	assert_int_equal(info.override.rec[1].status, ACPI_OVERRIDE_REJECTED);
	assert_true(host_console_contains("acpi: override b_srat.aml: SRAT, "));
	assert_true(host_console_contains("bytes, REJECTED (a second SRAT override (a_srat.aml is "
					  "used)); the firmware's SRAT is used\n"));
	/* the first by name is broken: the second is used */
	memset(&ov, 0, sizeof(ov));
	bad = ov_add_data("a_srat.aml", "node2/srat");
	mem[bad->phys + 40] ^= 1;
	ov_add_data("b_srat.aml", "node4/srat");
	scan();
	expect_node4_srat();
	assert_int_equal(info.override.rec[0].status, ACPI_OVERRIDE_REJECTED);
	assert_int_equal(info.override.rec[1].status, ACPI_OVERRIDE_REPLACED);
}

/* A table that passes the common checks but not its parser (an SRAT
 * shorter than its fixed part) is refused by the SRAT parser. */
static void test_override_parser_refuses(void **state)
{
	uint8_t *t = acpi_test_header("SRAT", 3, 40);

	(void)state;
	acpi_test_fix_checksum(t, 40);
	ov_add("srat.aml", t, 40);
	free(t);
	scan();
	expect_firmware_srat();
	assert_true(host_console_contains("acpi: SRAT: impossible length 40 (have 40 bytes, need >= 48)"));
	assert_true(host_console_contains("acpi: override srat.aml: SRAT, 40 bytes, REJECTED (refused "
					  "by the SRAT parser); the firmware's SRAT is used\n"));
}

/* No folder: nothing reported, no JSON record; an empty one says so. */
static void test_override_none(void **state)
{
	(void)state;
	scan();
	expect_firmware_srat();
	assert_false(host_console_contains("override"));
	acpi_override_emit_json(&info.override, json_buf, sizeof(json_buf));
	assert_false(host_console_contains("acpi_override"));
	ov.dir_found = 1;
	scan();
	assert_true(host_console_contains("acpi: override folder is empty\n"));
	host_console_reset();
	acpi_override_emit_json(&info.override, json_buf, sizeof(json_buf));
	assert_true(host_console_contains("\"files\":0,\"beyond_limit\":0,\"tables\":[]}"));
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
		cmocka_unit_test_setup_teardown(test_override_replace, ov_setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_add_and_unused, ov_setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_bad_checksum, ov_setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_lengths_and_limits, ov_setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_duplicates, ov_setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_parser_refuses, ov_setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_none, ov_setup, teardown),
	};

	return cmocka_run_group_tests_name("acpi scan", tests, NULL, NULL);
}
