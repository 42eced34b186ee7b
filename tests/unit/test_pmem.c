/*
 * Host tests of persistent memory: the NFIT parser (acpi/nfit.c) on an
 * iasl-compiled table and on hand-built broken ones, and numa_build()'s
 * persistent-memory sources and checks (numa/pmem.c): NFIT and EFI
 * ranges, SRAT non-volatile and hot-pluggable entries, a node with only
 * persistent memory, every reason a range is skipped.
 * Usage: test_pmem [build/data]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "acpi.h"
#include "host_console.h"
#include "numa.h"

/* tests/unit/test_acpi_util.c */
void acpi_test_set_root(int argc, char **argv);
uint8_t *acpi_test_load(const char *name, size_t *len);
void acpi_test_fix_checksum(uint8_t *t, size_t len);
void acpi_test_put32(uint8_t *p, uint32_t v);
void acpi_test_put64(uint8_t *p, uint64_t v);
uint8_t *acpi_test_header(const char *sig, uint8_t rev, size_t len);

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define SPA_LEN 56

static struct acpi_info info;
static struct acpi_nfit_info nfit;
static struct numa_topology topo;
static char json_buf[NUMA_JSON_BUF_SIZE];

static const uint8_t pmem_guid[16] = { 0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
				       0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb };

static int setup(void **state)
{
	(void)state;
	host_console_reset();
	acpi_info_init(&info);
	return 0;
}

/* A persistent-memory SPA range structure of length len at p. */
static void put_spa(uint8_t *p, uint16_t len, uint16_t index, uint32_t dom, uint64_t base,
		    uint64_t length)
{
	memset(p, 0, len);
	p[2] = (uint8_t)len;
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)index;
	p[6] = 2;	/* proximity domain valid */
	acpi_test_put32(p + 12, dom);
	if (len >= 32)
		memcpy(p + 16, pmem_guid, 16);
	if (len >= 56) {
		acpi_test_put64(p + 32, base);
		acpi_test_put64(p + 40, length);
	}
}

/* An NFIT of n structures, each of the given lengths (56: an SPA range i+1
 * at (i+4) GiB; other lengths: an SPA structure that short), checksum fixed. */
static uint8_t *build_nfit(const uint16_t *lens, size_t n, size_t *len)
{
	size_t total = 40, off = 40;
	uint8_t *t;

	for (size_t i = 0; i < n; i++)
		total += lens[i];
	t = acpi_test_header("NFIT", 1, total);
	for (size_t i = 0; i < n; off += lens[i], i++)
		put_spa(t + off, lens[i], (uint16_t)(i + 1), 0, (i + 4) * GiB, GiB);
	acpi_test_fix_checksum(t, total);
	*len = total;
	return t;
}

static void test_nfit_qemu_like(void **state)
{
	size_t len;
	uint8_t *t = acpi_test_load("pmem/nfit", &len);

	(void)state;
	assert_int_equal(acpi_parse_nfit(t, len, &nfit), 0);
	assert_true(nfit.present);
	assert_false(nfit.truncated);
	assert_int_equal(nfit.nspa, 2);
	assert_int_equal(nfit.nother, 1);	/* the volatile range */
	assert_int_equal(nfit.spa[0].index, 2);
	assert_int_equal(nfit.spa[0].base, 4 * GiB);
	assert_int_equal(nfit.spa[0].length, GiB);
	assert_int_equal(nfit.spa[0].domain, 1);
	assert_true(nfit.spa[0].domain_valid);
	assert_int_equal(nfit.spa[0].flags, 3);
	assert_int_equal(nfit.spa[1].index, 4);
	assert_int_equal(nfit.spa[1].domain, 2);
	/* through the dispatcher; a second NFIT is refused */
	assert_int_equal(acpi_parse_table(t, len, &info), 0);
	assert_int_equal(info.nfit.nspa, 2);
	assert_int_equal(acpi_parse_table(t, len, &info), -1);
	assert_true(host_console_contains("acpi: NFIT: second table of this kind ignored"));
	/* a bad checksum refuses the whole table */
	t[60] ^= 1;
	assert_int_equal(acpi_parse_nfit(t, len, &nfit), -1);
	assert_false(nfit.present);
	assert_int_equal(nfit.nspa, 0);
	assert_true(host_console_contains("acpi: NFIT: bad checksum, ignored"));
	free(t);
}

/* A structure shorter than the SPA layout is rejected by name; the walk
 * goes on; an ACPI 6.4 SPA with its location cookie (64 bytes) is kept. */
static void test_nfit_truncated_spa(void **state)
{
	static const uint16_t lens[] = { 40, SPA_LEN, 64 };
	size_t len;
	uint8_t *t = build_nfit(lens, 3, &len);

	(void)state;
	assert_int_equal(acpi_parse_nfit(t, len, &nfit), 0);
	assert_int_equal(nfit.nrejected, 1);
	assert_int_equal(nfit.nspa, 2);
	assert_int_equal(nfit.spa[0].index, 2);
	assert_int_equal(nfit.spa[0].base, 5 * GiB);
	assert_int_equal(nfit.spa[1].index, 3);
	assert_false(nfit.truncated);
	assert_true(host_console_contains(
		"acpi: NFIT: SPA range structure at offset 40 is truncated (40 bytes, need 56), rejected"));
	free(t);
}

/* Lengths that stop the walk: past the table, below 4; and a table whose
 * header is shorter than the NFIT's fixed part. */
static void test_nfit_bad_lengths(void **state)
{
	static const uint16_t lens[] = { SPA_LEN, SPA_LEN };
	size_t len;
	uint8_t *t = build_nfit(lens, 2, &len);

	(void)state;
	t[40 + SPA_LEN + 2] = 200;	/* second structure runs past the end */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_nfit(t, len, &nfit), 0);
	assert_true(nfit.truncated);
	assert_int_equal(nfit.nspa, 1);
	assert_true(host_console_contains(
		"acpi: NFIT: structure type 0 at offset 96 has bad length 200 (56 bytes left), walk stopped"));
	t[40 + SPA_LEN + 2] = 0;	/* a zero length must not loop */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_nfit(t, len, &nfit), 0);
	assert_true(nfit.truncated);
	assert_int_equal(nfit.nspa, 1);
	acpi_test_put32(t + 4, 38);
	acpi_test_fix_checksum(t, 38);
	assert_int_equal(acpi_parse_nfit(t, len, &nfit), -1);
	assert_true(host_console_contains("acpi: NFIT: impossible length 38"));
	free(t);
}

/* Unknown structure types are skipped by length; past ACPI_MAX_NFIT_SPA
 * ranges the rest is reported once and dropped. */
static void test_nfit_unknown_and_overflow(void **state)
{
	uint16_t lens[ACPI_MAX_NFIT_SPA + 2];
	size_t len;
	uint8_t *t;

	(void)state;
	for (size_t i = 0; i < ACPI_MAX_NFIT_SPA + 2; i++)
		lens[i] = SPA_LEN;
	t = build_nfit(lens, ACPI_MAX_NFIT_SPA + 2, &len);
	t[40] = 0x99;	/* first structure: an unknown type */
	acpi_test_fix_checksum(t, len);
	assert_int_equal(acpi_parse_nfit(t, len, &nfit), 0);
	assert_int_equal(nfit.nspa, ACPI_MAX_NFIT_SPA);
	assert_true(nfit.overflow);
	assert_int_equal(nfit.spa[0].index, 2);
	assert_true(host_console_contains("acpi: NFIT: more than 64 persistent-memory ranges; SPA range 66"));
	free(t);
}

static void load(const char *const *names)
{
	for (; *names; names++) {
		size_t len;
		uint8_t *t = acpi_test_load(*names, &len);

		assert_int_equal(acpi_parse_table(t, len, &info), 0);
		free(t);
	}
}

static const char *const pmem_machine[] = { "pmem/apic", "pmem/srat", "pmem/nfit", NULL };

#define R(start, end, mtype) { .phys = (start), .pages = ((end) - (start)) / 4096, .type = (mtype) }

static void expect_pmem(uint32_t i, uint64_t start, uint64_t end, uint32_t node, uint32_t source,
			uint32_t spa_index)
{
	assert_true(i < topo.npmem);
	assert_int_equal(topo.pmem[i].id, i);
	assert_int_equal(topo.pmem[i].start, start);
	assert_int_equal(topo.pmem[i].end, end);
	assert_int_equal(topo.pmem[i].node, node);
	assert_int_equal(topo.pmem[i].source, source);
	assert_int_equal(topo.pmem[i].spa_index, spa_index);
}

/* QEMU's layout without a memory map (the host tool): non-volatile and
 * hot-pluggable SRAT ranges are not RAM; domain 2 has only persistent
 * memory and still is a node, CPU-less, initialized by node 0. */
static void test_numa_qemu_layout(void **state)
{
	(void)state;
	load(pmem_machine);
	numa_build(&info, NULL, 0, &topo);
	assert_int_equal(topo.source, NUMA_SRC_SRAT);
	assert_int_equal(topo.nnodes, 3);
	assert_int_equal(topo.nodes[1].bytes, GiB);
	assert_int_equal(topo.nodes[2].bytes, 0);
	assert_int_equal(topo.npmem, 2);
	assert_int_equal(topo.npmem_skipped, 0);
	expect_pmem(0, 4 * GiB, 5 * GiB, 1, NUMA_PMEM_NFIT, 2);
	expect_pmem(1, 5 * GiB, 5 * GiB + 512 * MiB, 2, NUMA_PMEM_NFIT, 4);
	assert_int_equal(topo.pmem[1].pxm, 2);
	assert_int_equal(topo.pmem[1].flags, 3);
	assert_int_equal(topo.nodes[1].pmem_bytes, GiB);
	assert_int_equal(topo.nodes[1].npmem, 1);
	assert_false(topo.nodes[1].cpuless || topo.nodes[1].memless);
	assert_true(topo.nodes[2].cpuless);
	assert_false(topo.nodes[2].memless);
	assert_int_equal(topo.nodes[2].init_by, 0);
	assert_int_equal(topo.nodes[2].pmem_bytes, 512 * MiB);
	assert_true(host_console_contains(
		"numa: node 2 has only persistent memory but no CPUs; initialized by node 0"));
	host_console_reset();
	numa_print(&topo);
	assert_true(host_console_contains("node 2 pmem: 512 MB in 1 range\n"));
	assert_true(host_console_contains("node 1 pmem range: [0x100000000, 0x140000000) nfit\n"));
	assert_true(host_console_contains("persistent memory: 2 ranges kept, 0 skipped\n"));
	host_console_reset();
	numa_emit_json(&topo, json_buf, sizeof(json_buf));
	assert_true(host_console_contains("\"init_by\":0,\"pmem_bytes\":536870912,\"pmem\":[1]}"));
	assert_true(host_console_contains(
		"\"pmem\":[{\"id\":0,\"node\":1,\"pxm\":1,\"source\":\"nfit\",\"start\":\"0x100000000\","
		"\"end\":\"0x140000000\",\"bytes\":1073741824,\"spa_index\":2,\"flags\":\"0x3\"},"));
	assert_true(host_console_contains("\"pmem_skipped\":0}\n"));
}

/* EfiPersistentMemory descriptors: the one the NFIT describes is the same
 * device (NFIT wins); adjacent ones are merged; one in the hot-pluggable
 * window alone gets the window's domain; one half over an NFIT range is
 * skipped. */
static void test_numa_efi_ranges(void **state)
{
	static const struct boot_mem_range map[] = {
		R(0, GiB, BOOT_MEM_CONVENTIONAL),
		R(GiB, 2 * GiB, BOOT_MEM_CONVENTIONAL),
		R(4 * GiB, 5 * GiB, BOOT_MEM_PERSISTENT),
		R(5 * GiB + 256 * MiB, 5 * GiB + 768 * MiB, BOOT_MEM_PERSISTENT),
		R(6 * GiB, 6 * GiB + 256 * MiB, BOOT_MEM_PERSISTENT),
		R(6 * GiB + 256 * MiB, 7 * GiB, BOOT_MEM_PERSISTENT),
	};

	(void)state;
	load(pmem_machine);
	numa_build(&info, map, 6, &topo);
	assert_int_equal(topo.npmem, 3);
	expect_pmem(0, 4 * GiB, 5 * GiB, 1, NUMA_PMEM_NFIT, 2);
	expect_pmem(1, 5 * GiB, 5 * GiB + 512 * MiB, 2, NUMA_PMEM_NFIT, 4);
	expect_pmem(2, 6 * GiB, 7 * GiB, 2, NUMA_PMEM_EFI, 0);
	assert_int_equal(topo.pmem[2].pxm, 2);
	assert_int_equal(topo.npmem_skipped, 1);
	assert_true(host_console_contains("numa: EFI persistent memory [0x150000000, 0x170000000) "
					  "overlaps NFIT SPA range 4: skipped"));
	assert_int_equal(topo.nodes[2].pmem_bytes, 512 * MiB + GiB);
	assert_int_equal(topo.nodes[2].npmem, 2);
}

/* Every reason to skip a range, each reported by name; the boot goes on
 * with the one good range (no valid domain: the SRAT's non-volatile entry
 * names it). */
static void test_numa_bad_ranges(void **state)
{
	static const char *const tables[] = { "pmem/apic", "pmem/srat", "bad/nfit_ranges", NULL };
	static const struct boot_mem_range map[] = { R(0, 2 * GiB, BOOT_MEM_CONVENTIONAL) };
	static const char *const want[] = {
		"numa: NFIT SPA range 1 [0x20000000, 0x60000000) overlaps RAM: skipped",
		"numa: NFIT SPA range 2 [0x180000000, 0x1c0000000) names unknown proximity domain 9: skipped",
		"numa: NFIT SPA range 3 [0x180000000, 0x180000000) has zero length: skipped",
		"numa: NFIT SPA range 4 [0x400000000000, 0x400040000000) lies beyond the 46-bit physical "
		"address limit: skipped",
		"numa: NFIT SPA range 6 [0x120000000, 0x160000000) overlaps NFIT SPA range 5: skipped",
		"numa: NFIT SPA range 7 [0x140000800, 0x140100800) is not 4 KiB aligned: skipped",
	};

	(void)state;
	load(tables);
	numa_build(&info, map, 1, &topo);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(host_console_contains(want[i]));
	assert_int_equal(topo.npmem_skipped, 6);
	assert_int_equal(topo.npmem, 1);
	expect_pmem(0, 4 * GiB, 5 * GiB, 1, NUMA_PMEM_NFIT, 5);
	assert_int_equal(topo.pmem[0].pxm, 1);
	assert_int_equal(topo.nnodes, 2);	/* domain 2: only a window and skipped ranges */
	assert_true(host_console_contains("numa: proximity domain 2 has no usable memory, "
					  "persistent memory or CPUs; no node"));
	host_console_reset();
	numa_emit_json(&topo, json_buf, sizeof(json_buf));
	assert_true(host_console_contains("\"pmem_skipped\":6}\n"));
}

/* Without an SRAT all persistent memory is node 0's; the firmware's
 * domain is kept as pxm.  A node with CPUs and persistent memory but no
 * DRAM is memory-less as before. */
static void test_numa_no_srat(void **state)
{
	static const char *const tables[] = { "pmem/apic", "pmem/nfit", NULL };
	static const struct boot_mem_range map[] = { R(0, 2 * GiB, BOOT_MEM_CONVENTIONAL) };

	(void)state;
	load(tables);
	numa_build(&info, map, 1, &topo);
	assert_int_equal(topo.source, NUMA_SRC_NONE);
	assert_int_equal(topo.npmem, 2);
	expect_pmem(1, 5 * GiB, 5 * GiB + 512 * MiB, 0, NUMA_PMEM_NFIT, 4);
	assert_int_equal(topo.pmem[1].pxm, 2);
	assert_int_equal(topo.nodes[0].pmem_bytes, GiB + 512 * MiB);
	numa_build(&info, NULL, 0, &topo);
	assert_true(topo.nodes[0].memless);	/* no SRAT, no map: no DRAM known */
	assert_int_equal(topo.nodes[0].npmem, 2);
}

/* Seconds the wrapped-NFIT child may run: numa_build() of a handful of
 * ranges takes microseconds; an endless loop is what this bounds. */
#define WRAP_CHILD_TIMEOUT_S 10

/* In the child: build the topology, check what the wrapped range gives. */
static int wrapped_nfit_child(void)
{
	static const struct boot_mem_range map[] = {
		R(0, 2 * GiB, BOOT_MEM_CONVENTIONAL),
		R(4 * GiB, 12 * GiB, BOOT_MEM_PERSISTENT),
	};

	alarm(WRAP_CHILD_TIMEOUT_S);
	numa_build(&info, map, 2, &topo);
	if (topo.npmem != 1 || topo.pmem[0].start != 4 * GiB || topo.pmem[0].end != 8 * GiB)
		return 2;
	if (topo.npmem_skipped != 2)
		return 3;
	if (!host_console_contains("numa: NFIT SPA range 2 [0x200000000, 0xffffffffffffffff) lies "
				   "beyond the 46-bit physical address limit: skipped") ||
	    !host_console_contains("numa: EFI persistent memory [0x100000000, 0x300000000) overlaps "
				   "NFIT SPA range 1: skipped"))
		return 4;
	return 0;
}

/* Issue 16 item 2: an SPA range whose base + length wraps past 2^64 next to
 * an EFI persistent-memory range: the coverage walk once followed the wrap
 * backwards and never ended.  Run in a child under alarm() so that a hang
 * fails the test (SIGALRM) instead of the suite. */
static void test_numa_wrapped_spa(void **state)
{
	int status = 0;
	pid_t pid;

	(void)state;
	load((const char *const[]){ "pmem/apic", "pmem/srat", NULL });
	info.nfit.present = true;
	info.nfit.nspa = 2;
	info.nfit.spa[0] = (struct acpi_nfit_spa){ .base = 4 * GiB, .length = 4 * GiB, .domain = 1,
						   .domain_valid = true, .index = 1 };
	info.nfit.spa[1] = (struct acpi_nfit_spa){ .base = 8 * GiB, .length = 0 - 4 * GiB,
						   .domain = 1, .domain_valid = true, .index = 2 };
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(wrapped_nfit_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("numa_build() killed by signal %d (SIGALRM %d: it ran over %d s)",
			 WTERMSIG(status), SIGALRM, WRAP_CHILD_TIMEOUT_S);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nfit_qemu_like, setup),
		cmocka_unit_test_setup(test_nfit_truncated_spa, setup),
		cmocka_unit_test_setup(test_nfit_bad_lengths, setup),
		cmocka_unit_test_setup(test_nfit_unknown_and_overflow, setup),
		cmocka_unit_test_setup(test_numa_qemu_layout, setup),
		cmocka_unit_test_setup(test_numa_efi_ranges, setup),
		cmocka_unit_test_setup(test_numa_bad_ranges, setup),
		cmocka_unit_test_setup(test_numa_no_srat, setup),
		cmocka_unit_test_setup(test_numa_wrapped_spa, setup),
	};

	acpi_test_set_root(argc, argv);
	return cmocka_run_group_tests_name("pmem", tests, NULL, NULL);
}
