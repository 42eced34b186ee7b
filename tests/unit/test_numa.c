/*
 * Host tests of the NUMA node table (numa/numa.c) built from iasl-compiled
 * tables (tests/data) and hand-written memory maps: memory map ∩ SRAT,
 * memory-less and CPU-less nodes, fallbacks, CPUs and memory outside the
 * SRAT, distances, the human table and the "topology" JSON line.
 * Usage: test_numa [build/data]
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
#include "numa.h"

/* tests/unit/test_acpi_util.c */
void acpi_test_set_root(int argc, char **argv);
uint8_t *acpi_test_load(const char *name, size_t *len);
void acpi_test_fix_checksum(uint8_t *t, size_t len);

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static struct acpi_info info;
static struct numa_topology topo;
static char json_buf[NUMA_JSON_BUF_SIZE];

static int setup(void **state)
{
	(void)state;
	host_console_reset();
	acpi_info_init(&info);
	return 0;
}

/* Parse tests/data/<machine>/<sig> for each sig ("apic srat slit"). */
static void load(const char *machine, const char *const *sigs)
{
	for (; *sigs; sigs++) {
		char name[64];
		size_t len;
		uint8_t *t;

		snprintf(name, sizeof(name), "%s/%s", machine, *sigs);
		t = acpi_test_load(name, &len);
		assert_int_equal(acpi_parse_table(t, len, &info), 0);
		free(t);
	}
}

static const char *const all3[] = { "apic", "srat", "slit", NULL };

#define R(start, end, mtype) { .phys = (start), .pages = ((end) - (start)) / 4096, .type = (mtype) }

/* q35-like: EBDA hole, an ACPI NVS hole, loader data, the PCI hole below
 * 4 GiB, two adjacent usable entries of different types. */
static const struct boot_mem_range q35_map[] = {
	R(0x0, 0x9F000, BOOT_MEM_CONVENTIONAL),
	R(0x9F000, 0xA0000, BOOT_MEM_RESERVED),
	R(0x100000, 0x800000, BOOT_MEM_CONVENTIONAL),
	R(0x800000, 0x808000, BOOT_MEM_ACPI_NVS),
	R(0x808000, 0x1000000, BOOT_MEM_BOOT_SERVICES_DATA),
	R(0x1000000, 0x7E000000, BOOT_MEM_CONVENTIONAL),
	R(0x7E000000, 0x7F000000, BOOT_MEM_LOADER_DATA),
	R(0x7F000000, 0x80000000, BOOT_MEM_RESERVED),
	R(0xE0000000, 0xF0000000, BOOT_MEM_MMIO),
	R(0x100000000, 0x180000000, BOOT_MEM_CONVENTIONAL),
};
#define NQ35 (sizeof(q35_map) / sizeof(q35_map[0]))

static void expect_range(const struct numa_node *nd, uint32_t k, uint64_t start, uint64_t end)
{
	const struct numa_range *r = &topo.ranges[nd->range_first + k];

	assert_true(k < nd->nranges);
	assert_int_equal(r->start, start);
	assert_int_equal(r->end, end);
	assert_int_equal(r->node, nd->id);
}

static void test_node2_memory_map(void **state)
{
	const struct numa_node *n0 = &topo.nodes[0], *n1 = &topo.nodes[1];

	(void)state;
	load("node2", all3);
	numa_build(&info, q35_map, NQ35, &topo);
	assert_int_equal(topo.source, NUMA_SRC_SRAT);
	assert_int_equal(topo.nnodes, 2);
	assert_int_equal(n0->nranges, 3);
	expect_range(n0, 0, 0, 0x9F000);
	expect_range(n0, 1, 0x100000, 0x800000);
	expect_range(n0, 2, 0x808000, 0x7E000000);
	assert_int_equal(n0->bytes, 0x9F000 + 0x700000 + (0x7E000000 - 0x808000));
	assert_int_equal(n1->nranges, 1);
	expect_range(n1, 0, 4 * GiB, 6 * GiB);
	assert_int_equal(n1->bytes, 2 * GiB);
	assert_int_equal(topo.ncpus, 4);
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(topo.cpus[i].apic_id, i);
		assert_int_equal(topo.cpus[i].node, i / 2);
		assert_true(topo.cpus[i].enabled);
		assert_true(topo.cpus[i].in_srat);
	}
	assert_int_equal(n0->ncpus, 2);
	assert_int_equal(topo.distance[0][1], 21);
	assert_int_equal(topo.distance[1][1], 10);
	assert_false(n0->memless || n0->cpuless || n1->memless || n1->cpuless);
	assert_int_equal(n0->helps, NUMA_NO_NODE);
	assert_int_equal(topo.bytes_outside_srat, 0);
}

/* Usable memory in no SRAT range goes to the nearest range's domain. */
static void test_memory_outside_srat(void **state)
{
	static const struct boot_mem_range map[] = {
		R(0x100000, 0x7F000000, BOOT_MEM_CONVENTIONAL),
		R(0x80000000, 0x90000000, BOOT_MEM_CONVENTIONAL),	/* after node 0's 2 GiB */
		R(0x170000000, 0x190000000, BOOT_MEM_CONVENTIONAL),	/* straddles node 1's end */
	};

	(void)state;
	load("node2", all3);
	numa_build(&info, map, 3, &topo);
	assert_int_equal(topo.nnodes, 2);
	assert_int_equal(topo.nodes[0].nranges, 2);
	expect_range(&topo.nodes[0], 1, 0x80000000, 0x90000000);
	assert_int_equal(topo.nodes[1].nranges, 1);
	expect_range(&topo.nodes[1], 0, 0x170000000, 0x190000000);
	assert_int_equal(topo.bytes_outside_srat, 0x10000000 + 0x10000000);
	assert_true(host_console_contains(
		"numa: usable [0x80000000, 0x90000000) is in no SRAT range; given to domain 0"));
	assert_true(host_console_contains("[0x180000000, 0x190000000) is in no SRAT range; given to domain 1"));
}

static void test_memless_and_cpuless(void **state)
{
	(void)state;
	load("memless", all3);
	numa_build(&info, NULL, 0, &topo);
	assert_int_equal(topo.nnodes, 3);
	assert_true(topo.nodes[1].memless);
	assert_int_equal(topo.nodes[1].ncpus, 2);
	assert_int_equal(topo.nodes[1].bytes, 0);
	assert_int_equal(topo.nodes[1].helps, 2);	/* 17 < 21 */
	assert_true(topo.nodes[2].cpuless);
	assert_int_equal(topo.nodes[2].init_by, 1);
	assert_false(topo.nodes[0].memless || topo.nodes[0].cpuless);
	assert_int_equal(topo.distance[1][2], 17);
	assert_true(host_console_contains("numa: node 1 has CPUs but no memory; its CPUs help node 2"));
	assert_true(host_console_contains("numa: node 2 has memory but no CPUs; initialized by node 1"));
}

static void test_memless_json_and_print(void **state)
{
	static const char want[] =
		"{\"schema\":\"numaboot/1\",\"kind\":\"topology\",\"source\":\"srat\",\"slit\":true,"
		"\"distances_from\":\"slit\",\"cpus_not_in_srat\":0,\"bytes_outside_srat\":0,\"nodes\":["
		"{\"id\":0,\"pxm\":0,\"cpus\":[0,1],\"online_capable_cpus\":[],"
		"\"ranges\":[[\"0x0\",\"0x80000000\"]],\"bytes\":2147483648,\"memless\":false,"
		"\"cpuless\":false,\"helps\":null,\"init_by\":null,\"pmem_bytes\":0,\"pmem\":[]},"
		"{\"id\":1,\"pxm\":1,\"cpus\":[2,3],\"online_capable_cpus\":[],\"ranges\":[],"
		"\"bytes\":0,\"memless\":true,\"cpuless\":false,\"helps\":2,\"init_by\":null,"
		"\"pmem_bytes\":0,\"pmem\":[]},"
		"{\"id\":2,\"pxm\":2,\"cpus\":[],\"online_capable_cpus\":[],"
		"\"ranges\":[[\"0x100000000\",\"0x180000000\"]],\"bytes\":2147483648,"
		"\"memless\":false,\"cpuless\":true,\"helps\":null,\"init_by\":1,\"pmem_bytes\":0,"
		"\"pmem\":[]}],\"distances\":[[10,21,21],[21,10,17],[21,17,10]],\"pmem\":[],"
		"\"pmem_skipped\":0}\n";

	(void)state;
	load("memless", all3);
	numa_build(&info, NULL, 0, &topo);
	host_console_reset();
	numa_emit_json(&topo, json_buf, sizeof(json_buf));
	assert_string_equal(host_console_captured(), want);
	host_console_reset();
	numa_print(&topo);
	assert_true(host_console_contains("available: 3 nodes (0-2)\n"));
	assert_true(host_console_contains("node 1 cpus: 2 3\n"));
	assert_true(host_console_contains("node 0 size: 2048 MB\n"));
	assert_true(host_console_contains("node 1 size: 0 MB\n"));
	assert_true(host_console_contains("node 1: memory-less (pxm 1); its CPUs help node 2"));
	assert_true(host_console_contains("node 2: CPU-less (pxm 2); initialized by node 1"));
	assert_true(host_console_contains("  1:   21  10  17\n"));
	assert_true(host_console_contains("source: srat\n"));
}

static void test_no_srat(void **state)
{
	static const char *const apic[] = { "apic", NULL };

	(void)state;
	load("node2", apic);
	numa_build(&info, q35_map, NQ35, &topo);
	assert_int_equal(topo.source, NUMA_SRC_NONE);
	assert_string_equal(topo.reason, "no SRAT");
	assert_int_equal(topo.nnodes, 1);
	assert_int_equal(topo.nodes[0].nranges, 4);
	expect_range(&topo.nodes[0], 3, 4 * GiB, 6 * GiB);
	assert_int_equal(topo.nodes[0].ncpus, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(topo.cpus[i].node, 0);
	assert_int_equal(topo.distance[0][0], 10);
	assert_true(host_console_contains("numa: no SRAT; one node with all memory and CPUs"));
	host_console_reset();
	numa_emit_json(&topo, json_buf, sizeof(json_buf));
	assert_true(host_console_contains("\"source\":\"none\",\"reason\":\"no SRAT\""));
}

static void expect_fallback(const char *srat, const char *reason)
{
	static const char *const apic[] = { "apic", NULL };
	char name[64];
	size_t len;
	uint8_t *t;

	acpi_info_init(&info);
	load("node2", apic);
	snprintf(name, sizeof(name), "bad/%s", srat);
	t = acpi_test_load(name, &len);
	assert_int_equal(acpi_parse_table(t, len, &info), 0);
	free(t);
	numa_build(&info, q35_map, NQ35, &topo);
	assert_int_equal(topo.source, NUMA_SRC_FALLBACK);
	assert_string_equal(topo.reason, reason);
	assert_int_equal(topo.nnodes, 1);
	assert_int_equal(topo.nodes[0].ncpus, 4);
	assert_int_equal(topo.nodes[0].bytes, 0x9F000 + 0x700000 + (0x7E000000 - 0x808000) + 2 * GiB);
	assert_true(host_console_contains(reason));
}

static void test_untrusted_srat(void **state)
{
	(void)state;
	expect_fallback("srat_overlap", "SRAT ranges of domains 0 and 1 overlap at 0x40000000");
	expect_fallback("srat_nomem", "SRAT has no enabled memory range");
	expect_fallback("srat_domains", "SRAT names more than 256 proximity domains");
}

/* Duplicate and overlapping ranges of one domain are merged, not refused. */
static void test_srat_duplicates_merged(void **state)
{
	static const char *const srat[] = { "apic", NULL };
	size_t len;
	uint8_t *t;

	(void)state;
	load("node2", srat);
	t = acpi_test_load("bad/srat_dup", &len);
	assert_int_equal(acpi_parse_table(t, len, &info), 0);
	free(t);
	numa_build(&info, NULL, 0, &topo);
	assert_int_equal(topo.source, NUMA_SRC_SRAT);
	assert_int_equal(topo.nnodes, 2);
	assert_int_equal(topo.nodes[0].nranges, 1);
	expect_range(&topo.nodes[0], 0, 0, 2 * GiB);
	expect_range(&topo.nodes[1], 0, 4 * GiB, 5 * GiB);
	assert_true(host_console_contains("of domain 0 twice; merged"));
	/* CPUs 2 and 3 are not in this SRAT: node 0 */
	assert_int_equal(topo.cpus[2].node, 0);
	assert_int_equal(topo.cpus[1].node, 1);
}

/* CPU 3 missing from the SRAT, a disabled CPU and range, a hot-pluggable
 * range; no SLIT. */
static void test_cpu_missing_from_srat(void **state)
{
	static const char *const two[] = { "apic", "srat", NULL };
	static const struct boot_mem_range map[] = {
		R(0x1000, 0x80000000, BOOT_MEM_CONVENTIONAL),
		R(4 * GiB, 6 * GiB, BOOT_MEM_CONVENTIONAL),
		R(8 * GiB, 9 * GiB, BOOT_MEM_CONVENTIONAL),	/* hot-pluggable, present */
	};

	(void)state;
	load("cpumissing", two);
	numa_build(&info, NULL, 0, &topo);
	assert_int_equal(topo.nnodes, 2);
	assert_int_equal(topo.cpus[3].apic_id, 3);
	assert_int_equal(topo.cpus[3].node, 0);
	assert_false(topo.cpus[3].in_srat);
	assert_int_equal(topo.cpus[2].node, 1);
	assert_int_equal(topo.ncpus_not_in_srat, 1);
	assert_int_equal(topo.nodes[0].ncpus, 3);
	assert_int_equal(topo.nodes[1].nranges, 1);	/* no hot-plug range without a map */
	assert_int_equal(topo.nodes[1].bytes, 2 * GiB);
	assert_false(topo.slit_used);
	assert_int_equal(topo.distance[0][1], 20);
	assert_int_equal(topo.distance[1][0], 20);
	assert_true(host_console_contains("numa: CPU with APIC id 3 is not in the SRAT; placed on node 0"));
	numa_build(&info, map, 3, &topo);
	assert_int_equal(topo.nodes[1].nranges, 2);
	expect_range(&topo.nodes[1], 1, 8 * GiB, 9 * GiB);
	expect_range(&topo.nodes[0], 0, 0x1000, 2 * GiB);
}

/* A SLIT with fewer localities than the SRAT has domains: 10/20 there. */
static void test_slit_too_small(void **state)
{
	static const char *const two[] = { "apic", "srat", NULL };
	size_t len;
	uint8_t *t;

	(void)state;
	load("node2", two);
	t = acpi_test_load("node1/slit", &len);
	assert_int_equal(acpi_parse_table(t, len, &info), 0);
	free(t);
	numa_build(&info, NULL, 0, &topo);
	assert_int_equal(topo.distance[0][1], 20);
	assert_int_equal(topo.distance[0][0], 10);
	assert_true(host_console_contains("SLIT has 1 localities, domain 1 is past them"));
	/* The JSON must not claim SLIT distances it did not use (issue 11). */
	assert_false(topo.slit_used);
	assert_true(topo.slit_partial);
	numa_emit_json(&topo, json_buf, sizeof(json_buf));
	assert_non_null(strstr(json_buf, "\"slit\":false,\"distances_from\":\"slit+default\","
				     "\"distances_reason\":\"SLIT has 1 localities, domain 1 is past them\""));
}

/* A SLIT that breaks the spec's rules: 10/20 everywhere, and the JSON says why. */
static void test_slit_distrusted_json(void **state)
{
	static const char *const two[] = { "apic", "srat", NULL };
	size_t len;
	uint8_t *t;

	(void)state;
	load("node2", two);
	t = acpi_test_load("node2/slit", &len);
	t[44 + 1] = 5;		/* distance 0->1 below local */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_table(t, len, &info), -1);
	free(t);
	numa_build(&info, NULL, 0, &topo);
	assert_int_equal(topo.distance[0][1], 20);
	assert_false(topo.slit_used);
	assert_false(topo.slit_partial);
	numa_emit_json(&topo, json_buf, sizeof(json_buf));
	assert_non_null(strstr(json_buf, "\"slit\":false,\"distances_from\":\"default\","
				     "\"distances_reason\":\"distance 0->1 is 5, not above 10\""));
	acpi_info_init(&info);	/* no SLIT at all */
	load("node2", two);
	numa_build(&info, NULL, 0, &topo);
	numa_emit_json(&topo, json_buf, sizeof(json_buf));
	assert_non_null(strstr(json_buf, "\"distances_from\":\"default\",\"distances_reason\":\"no SLIT\""));
}

static void test_node8_x2apic(void **state)
{
	(void)state;
	load("node8", all3);
	numa_build(&info, NULL, 0, &topo);
	assert_int_equal(topo.nnodes, 8);
	for (uint32_t k = 0; k < 8; k++) {
		assert_int_equal(topo.nodes[k].pxm, k);
		assert_int_equal(topo.nodes[k].ncpus, 2);
		assert_int_equal(numa_node_of_apic(&topo, (2 * k + 1) * 32), k);
	}
	assert_int_equal(topo.nodes[7].bytes, 2 * GiB);
	expect_range(&topo.nodes[7], 0, 4 * GiB + 12 * GiB, 4 * GiB + 14 * GiB);
	assert_int_equal(topo.distance[0][7], 22);
	assert_int_equal(topo.distance[3][4], 16);
	assert_int_equal(numa_node_of_apic(&topo, 5), NUMA_NO_NODE);
}

/* node4 on a map with only 6 GiB: nodes 2 and 3 keep their CPUs, lose
 * their memory and help the nearest node with memory. */
static void test_node4_short_map(void **state)
{
	(void)state;
	load("node4", all3);
	numa_build(&info, q35_map, NQ35, &topo);
	assert_int_equal(topo.nnodes, 4);
	for (uint32_t k = 0; k < 4; k++) {
		assert_int_equal(topo.cpus[2 * k].apic_id, 4 * k);
		assert_int_equal(topo.cpus[2 * k + 1].apic_id, 4 * k + 2);
		assert_int_equal(topo.cpus[2 * k + 1].node, k);
	}
	assert_int_equal(topo.nodes[1].bytes, 2 * GiB);
	assert_true(topo.nodes[2].memless);
	assert_int_equal(topo.nodes[2].helps, 1);	/* 16 < 22 */
	assert_true(topo.nodes[3].memless);
	assert_int_equal(topo.nodes[3].helps, 0);	/* 22 == 22: lowest id */
	assert_int_equal(topo.distance[2][3], 16);
}

/* A memory map entry whose size wraps around is ignored. */
static void test_bad_memory_map_entry(void **state)
{
	static const struct boot_mem_range map[] = {
		{ .phys = 0xFFFFFFFFFFFF0000ull, .pages = 0x100, .type = BOOT_MEM_CONVENTIONAL },
		R(0x100000, 0x200000, BOOT_MEM_CONVENTIONAL),
	};

	(void)state;
	load("node1", all3);
	numa_build(&info, map, 2, &topo);
	assert_int_equal(topo.nnodes, 1);
	assert_int_equal(topo.nodes[0].nranges, 1);
	expect_range(&topo.nodes[0], 0, 0x100000, 0x200000);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_node2_memory_map, setup),
		cmocka_unit_test_setup(test_memory_outside_srat, setup),
		cmocka_unit_test_setup(test_memless_and_cpuless, setup),
		cmocka_unit_test_setup(test_memless_json_and_print, setup),
		cmocka_unit_test_setup(test_no_srat, setup),
		cmocka_unit_test_setup(test_untrusted_srat, setup),
		cmocka_unit_test_setup(test_srat_duplicates_merged, setup),
		cmocka_unit_test_setup(test_cpu_missing_from_srat, setup),
		cmocka_unit_test_setup(test_slit_too_small, setup),
		cmocka_unit_test_setup(test_slit_distrusted_json, setup),
		cmocka_unit_test_setup(test_node8_x2apic, setup),
		cmocka_unit_test_setup(test_node4_short_map, setup),
		cmocka_unit_test_setup(test_bad_memory_map_entry, setup),
	};

	acpi_test_set_root(argc, argv);
	return cmocka_run_group_tests_name("numa", tests, NULL, NULL);
}
