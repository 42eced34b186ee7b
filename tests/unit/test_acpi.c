/*
 * Host tests of the per-table ACPI parsers (acpi/) on tables that iasl
 * compiled from tests/data, and on mutations of them that iasl cannot
 * express (bad checksums, truncation, bad subtable lengths).
 * Usage: test_acpi [build/data]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "acpi.h"
#include "host_console.h"

/* tests/unit/test_acpi_util.c */
void acpi_test_set_root(int argc, char **argv);
uint8_t *acpi_test_load(const char *name, size_t *len);
void acpi_test_fix_checksum(uint8_t *t, size_t len);
void acpi_test_put32(uint8_t *p, uint32_t v);
void acpi_test_put64(uint8_t *p, uint64_t v);
uint8_t *acpi_test_header(const char *sig, uint8_t rev, size_t len);
int acpi_scan_tests(void);

static struct acpi_info info;

static int setup(void **state)
{
	(void)state;
	host_console_reset();
	acpi_info_init(&info);
	return 0;
}

static void expect_cpu(const struct acpi_cpu *c, uint32_t apic, uint32_t uid, bool en, bool oc,
		       bool x2)
{
	assert_int_equal(c->apic_id, apic);
	assert_int_equal(c->uid, uid);
	assert_int_equal(c->enabled, en);
	assert_int_equal(c->online_capable, oc);
	assert_int_equal(c->x2apic, x2);
}

static void test_madt_node2(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node2/apic", &len);

	(void)state;
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_true(info.madt.present);
	assert_int_equal(info.madt.lapic_addr, 0xFEE00000);
	assert_int_equal(info.madt.flags, 1);
	assert_int_equal(info.madt.ncpus, 4);
	for (uint32_t i = 0; i < 4; i++)
		expect_cpu(&info.madt.cpus[i], i, i, true, false, false);
	assert_false(info.madt.truncated);
	free(t);
}

static void test_madt_x2apic_node8(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node8/apic", &len);

	(void)state;
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_int_equal(info.madt.ncpus, 16);
	for (uint32_t i = 0; i < 16; i++)
		expect_cpu(&info.madt.cpus[i], i * 32, i, true, false, true);
	free(t);
}

static void test_madt_override(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("cpumissing/apic", &len);

	(void)state;
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_int_equal(info.madt.lapic_addr, 0xFEE10000);
	assert_int_equal(info.madt.ncpus, 4);
	free(t);
}

/* Duplicate APIC id 1, unusable 0xff placeholders, an online-capable CPU,
 * an x2APIC entry after xAPIC ones. */
static void test_madt_duplicates(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("bad/apic_dup", &len);

	(void)state;
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_int_equal(info.madt.ncpus, 4);
	expect_cpu(&info.madt.cpus[0], 0, 0, true, false, false);
	expect_cpu(&info.madt.cpus[1], 1, 1, true, false, false);
	expect_cpu(&info.madt.cpus[2], 5, 7, false, true, false);
	expect_cpu(&info.madt.cpus[3], 2, 6, true, false, true);
	assert_int_equal(info.madt.nduplicate, 1);
	assert_int_equal(info.madt.nunusable, 3);
	assert_true(host_console_contains("acpi: APIC: duplicate APIC id 1"));
	free(t);
}

/* QEMU -smp maxcpus=512 with x2APIC: 512 entries, three present. */
static void test_madt_512(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("x2apic512/apic", &len);

	(void)state;
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_int_equal(info.madt.ncpus, 3);
	assert_int_equal(info.madt.cpus[0].apic_id, 0);
	assert_int_equal(info.madt.cpus[1].apic_id, 1);
	assert_int_equal(info.madt.cpus[2].apic_id, 256);
	assert_int_equal(info.madt.cpus[2].uid, 256);
	assert_int_equal(info.madt.nunusable, 509);
	free(t);
}

static void test_madt_bad_checksum(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node2/apic", &len);

	(void)state;
	t[50] ^= 0x40;
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), -1);
	assert_false(info.madt.present);
	assert_int_equal(info.madt.ncpus, 0);
	assert_true(host_console_contains("acpi: APIC: bad checksum"));
	free(t);
}

static void test_madt_truncated_buffer(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node2/apic", &len);

	(void)state;
	assert_int_equal(acpi_parse_madt(t, len - 1, &info.madt), -1);
	assert_true(host_console_contains("acpi: APIC: impossible length"));
	assert_int_equal(acpi_parse_madt(t, 20, &info.madt), -1);
	free(t);
}

/* Header length cut in the middle of the second CPU entry: the first CPU
 * is kept, the walk stops with a message. */
static void test_madt_truncated_subtable(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node2/apic", &len);

	(void)state;
	acpi_test_put32(t + 4, 44 + 8 + 3);
	acpi_test_fix_checksum(t, 44 + 8 + 3);
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_int_equal(info.madt.ncpus, 1);
	assert_true(info.madt.truncated);
	assert_true(host_console_contains("acpi: APIC: subtable type 0 at offset 52 has bad length 8"));
	free(t);
}

static void test_madt_zero_and_overlong_subtable(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node2/apic", &len);

	(void)state;
	t[44 + 8 + 1] = 0;	/* second entry: length 0 */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_int_equal(info.madt.ncpus, 1);
	assert_true(info.madt.truncated);
	assert_true(host_console_contains("has bad length 0, walk stopped"));
	t[44 + 8 + 1] = 200;	/* past the end */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_int_equal(info.madt.ncpus, 1);
	assert_true(host_console_contains("has bad length 200"));
	t[44 + 8 + 1] = 4;	/* shorter than a local APIC entry: skipped, walk goes on */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_true(host_console_contains("subtable type 0 too short (4 bytes)"));
	free(t);
}

/* More x2APIC entries than ACPI_MAX_CPUS: the first 4096 kept, reported. */
static void test_madt_overflow(void **state)
{
	uint32_t n = ACPI_MAX_CPUS + 10;
	size_t len = 44 + (size_t)n * 16;
	uint8_t *t = acpi_test_header("APIC", 5, len);

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = t + 44 + (size_t)i * 16;

		e[0] = 9;
		e[1] = 16;
		acpi_test_put32(e + 4, i);
		acpi_test_put32(e + 8, 1);
		acpi_test_put32(e + 12, i);
	}
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_madt(t, len, &info.madt), 0);
	assert_int_equal(info.madt.ncpus, ACPI_MAX_CPUS);
	assert_true(info.madt.overflow);
	assert_int_equal(info.madt.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
	assert_true(host_console_contains("acpi: APIC: more than 4096 processors"));
	free(t);
}

static void test_srat_node2(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node2/srat", &len);

	(void)state;
	assert_int_equal(acpi_parse_srat(t, len, &info.srat), 0);
	assert_int_equal(info.srat.ncpus, 4);
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(info.srat.cpus[i].apic_id, i);
		assert_int_equal(info.srat.cpus[i].domain, i / 2);
		assert_false(info.srat.cpus[i].x2apic);
	}
	assert_int_equal(info.srat.nmem, 3);
	assert_int_equal(info.srat.mem[0].base, 0);
	assert_int_equal(info.srat.mem[0].length, 0xA0000);
	assert_int_equal(info.srat.mem[1].base, 0x100000);
	assert_int_equal(info.srat.mem[1].length, 0x80000000 - 0x100000);
	assert_int_equal(info.srat.mem[2].base, 0x100000000);
	assert_int_equal(info.srat.mem[2].length, 0x80000000);
	assert_int_equal(info.srat.mem[2].domain, 1);
	free(t);
}

static void test_srat_x2apic_node8(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node8/srat", &len);

	(void)state;
	assert_int_equal(acpi_parse_srat(t, len, &info.srat), 0);
	assert_int_equal(info.srat.ncpus, 16);
	assert_int_equal(info.srat.cpus[15].apic_id, 15 * 32);
	assert_int_equal(info.srat.cpus[15].domain, 7);
	assert_true(info.srat.cpus[15].x2apic);
	assert_int_equal(info.srat.nmem, 9);
	assert_int_equal(info.srat.mem[8].base, 4ull * (1 << 30) + 6ull * 2 * (1 << 30));
	assert_int_equal(info.srat.mem[8].domain, 7);
	free(t);
}

/* Revision 1: only the low 8 bits of the domain; revision 3: all 32. */
static void test_srat_domain_width(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("bad/srat_rev1", &len);

	(void)state;
	assert_int_equal(acpi_parse_srat(t, len, &info.srat), 0);
	assert_int_equal(info.srat.revision, 1);
	assert_int_equal(info.srat.cpus[0].domain, 0);
	assert_int_equal(info.srat.cpus[1].domain, 1);
	free(t);
	t = acpi_test_load("bad/srat_rev3", &len);
	assert_int_equal(acpi_parse_srat(t, len, &info.srat), 0);
	assert_int_equal(info.srat.cpus[0].domain, 0x100);
	assert_int_equal(info.srat.cpus[1].domain, 0x201);
	assert_int_equal(info.srat.mem[1].domain, 0x201);
	free(t);
}

/* Disabled processor and memory entries are skipped; flags kept. */
static void test_srat_disabled_and_flags(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("cpumissing/srat", &len);

	(void)state;
	assert_int_equal(acpi_parse_srat(t, len, &info.srat), 0);
	assert_int_equal(info.srat.ncpus, 3);
	assert_int_equal(info.srat.nmem, 3);
	assert_true(info.srat.mem[2].hotplug);
	assert_false(info.srat.mem[1].hotplug);
	assert_int_equal(info.srat.mem[2].base, 8ull << 30);
	free(t);
}

static void test_srat_truncated_and_bad(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node2/srat", &len);

	(void)state;
	/* cut inside the first memory entry (after 4 CPU entries) */
	acpi_test_put32(t + 4, 48 + 4 * 16 + 20);
	acpi_test_fix_checksum(t, 48 + 4 * 16 + 20);
	assert_int_equal(acpi_parse_srat(t, len, &info.srat), 0);
	assert_int_equal(info.srat.ncpus, 4);
	assert_int_equal(info.srat.nmem, 0);
	assert_true(info.srat.truncated);
	free(t);
	t = acpi_test_load("node2/srat", &len);
	t[60] ^= 1;
	assert_int_equal(acpi_parse_srat(t, len, &info.srat), -1);
	assert_false(info.srat.present);
	assert_true(host_console_contains("acpi: SRAT: bad checksum"));
	free(t);
}

static void test_srat_mem_overflow(void **state)
{
	uint32_t n = ACPI_MAX_MEM_RANGES + 1;
	size_t len = 48 + (size_t)n * 40;
	uint8_t *t = acpi_test_header("SRAT", 3, len);

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *e = t + 48 + (size_t)i * 40;

		e[0] = 1;
		e[1] = 40;
		acpi_test_put64(e + 8, (uint64_t)i << 30);
		acpi_test_put64(e + 16, 1 << 30);
		acpi_test_put32(e + 28, 1);
	}
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_srat(t, len, &info.srat), 0);
	assert_int_equal(info.srat.nmem, ACPI_MAX_MEM_RANGES);
	assert_true(info.srat.mem_overflow);
	assert_true(host_console_contains("acpi: SRAT: more than 512 memory ranges"));
	free(t);
}

static void test_slit_node4(void **state)
{
	static const uint8_t want[4][4] = {
		{ 10, 16, 22, 22 }, { 16, 10, 16, 22 }, { 22, 16, 10, 16 }, { 22, 22, 16, 10 } };
	size_t len;
	uint8_t *t = acpi_test_load("node4/slit", &len);

	(void)state;
	assert_int_equal(acpi_parse_slit(t, len, &info.slit), 0);
	assert_int_equal(info.slit.n, 4);
	for (int i = 0; i < 4; i++)
		assert_memory_equal(info.slit.dist[i], want[i], 4);
	free(t);
}

static void test_slit_distrusted(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("bad/slit_diag", &len);

	(void)state;
	assert_int_equal(acpi_parse_slit(t, len, &info.slit), -1);
	assert_false(info.slit.present);
	assert_true(host_console_contains("distance 1->1 is 12, not 10"));
	free(t);
	t = acpi_test_load("bad/slit_offdiag", &len);
	assert_int_equal(acpi_parse_slit(t, len, &info.slit), -1);
	assert_true(host_console_contains("distance 0->1 is 10, not above 10"));
	free(t);
}

/* Locality counts that do not fit the table length. */
static void test_slit_bad_count(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node2/slit", &len);

	(void)state;
	acpi_test_put64(t + 36, 3);
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_slit(t, len, &info.slit), -1);
	assert_true(host_console_contains("3 localities need 53 bytes, table has 48"));
	acpi_test_put64(t + 36, (1ull << 32) + 1);	/* n * n wraps 32 bits */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_slit(t, len, &info.slit), -1);
	acpi_test_put64(t + 36, 0);
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_slit(t, len, &info.slit), -1);
	free(t);
}

static void test_fadt_pm_timer(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node1/facp", &len);

	(void)state;
	assert_int_equal(acpi_parse_fadt(t, len, &info.timer), 0);
	assert_true(info.timer.fadt_present);
	assert_true(info.timer.pm_present);
	assert_int_equal(info.timer.pm_space, ACPI_SPACE_IO);
	assert_int_equal(info.timer.pm_addr, 0x608);
	assert_true(info.timer.pm_32bit);
	free(t);
	t = acpi_test_load("bad/facp_legacy", &len);	/* no X_PM_TMR_BLK, 24-bit */
	assert_int_equal(acpi_parse_fadt(t, len, &info.timer), 0);
	assert_true(info.timer.pm_present);
	assert_int_equal(info.timer.pm_addr, 0x408);
	assert_false(info.timer.pm_32bit);
	/* an ACPI 1.0-sized FADT (116 bytes) still gives PM_TMR_BLK */
	acpi_test_put32(t + 4, 116);
	acpi_test_fix_checksum(t, 116);
	assert_int_equal(acpi_parse_fadt(t, 116, &info.timer), 0);
	assert_int_equal(info.timer.pm_addr, 0x408);
	free(t);
}

static void test_fadt_x_preferred_and_hw_reduced(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node1/facp", &len);

	(void)state;
	acpi_test_put32(t + 76, 0xB008);	/* PM_TMR_BLK differs from X_PM_TMR_BLK */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_fadt(t, len, &info.timer), 0);
	assert_int_equal(info.timer.pm_addr, 0x608);
	acpi_test_put32(t + 112, 1u << 20);	/* HW_REDUCED_ACPI */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_fadt(t, len, &info.timer), 0);
	assert_true(info.timer.hw_reduced);
	assert_false(info.timer.pm_present);
	assert_int_equal(acpi_parse_fadt(t, 100, &info.timer), -1);
	free(t);
}

static void test_hpet(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node1/hpet", &len);

	(void)state;
	assert_int_equal(acpi_parse_hpet(t, len, &info.timer), 0);
	assert_true(info.timer.hpet_present);
	assert_int_equal(info.timer.hpet_base, 0xFED00000);
	t[40] = ACPI_SPACE_IO;
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_hpet(t, len, &info.timer), -1);
	assert_false(info.timer.hpet_present);
	free(t);
}

static void test_parse_table_dispatch(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("node2/srat", &len);

	(void)state;
	assert_int_equal(acpi_parse_table(t, len, &info), 0);
	assert_true(info.srat.present);
	assert_int_equal(acpi_parse_table(t, len, &info), -1);	/* second SRAT */
	assert_true(host_console_contains("acpi: SRAT: second table of this kind ignored"));
	memcpy(t, "BERT", 4);
	assert_int_equal(acpi_parse_table(t, len, &info), 1);
	free(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_madt_node2, setup),
		cmocka_unit_test_setup(test_madt_x2apic_node8, setup),
		cmocka_unit_test_setup(test_madt_override, setup),
		cmocka_unit_test_setup(test_madt_duplicates, setup),
		cmocka_unit_test_setup(test_madt_512, setup),
		cmocka_unit_test_setup(test_madt_bad_checksum, setup),
		cmocka_unit_test_setup(test_madt_truncated_buffer, setup),
		cmocka_unit_test_setup(test_madt_truncated_subtable, setup),
		cmocka_unit_test_setup(test_madt_zero_and_overlong_subtable, setup),
		cmocka_unit_test_setup(test_madt_overflow, setup),
		cmocka_unit_test_setup(test_srat_node2, setup),
		cmocka_unit_test_setup(test_srat_x2apic_node8, setup),
		cmocka_unit_test_setup(test_srat_domain_width, setup),
		cmocka_unit_test_setup(test_srat_disabled_and_flags, setup),
		cmocka_unit_test_setup(test_srat_truncated_and_bad, setup),
		cmocka_unit_test_setup(test_srat_mem_overflow, setup),
		cmocka_unit_test_setup(test_slit_node4, setup),
		cmocka_unit_test_setup(test_slit_distrusted, setup),
		cmocka_unit_test_setup(test_slit_bad_count, setup),
		cmocka_unit_test_setup(test_fadt_pm_timer, setup),
		cmocka_unit_test_setup(test_fadt_x_preferred_and_hw_reduced, setup),
		cmocka_unit_test_setup(test_hpet, setup),
		cmocka_unit_test_setup(test_parse_table_dispatch, setup),
	};
	int failed;

	acpi_test_set_root(argc, argv);
	failed = cmocka_run_group_tests_name("acpi tables", tests, NULL, NULL);
	return failed | acpi_scan_tests();
}
