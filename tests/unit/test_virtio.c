/*
 * Host tests of the pure PCI and virtio code over byte arrays standing in
 * for configuration space: BAR decoding and the capability walk
 * (pci/config.c), the virtio modern capability search (virtio/pci_caps.c)
 * on a snapshot laid out like QEMU's virtio-mem-pci, and the virtio-mem
 * configuration decode and checks (virtio/mem_check.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_console.h"
#include "virtio_mem.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define BAR4_BASE 0x380000000000ull

static struct pci_func fn;
static struct numa_topology topo;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* A virtio_pci_cap (§4.1.4) at off, linked to next. */
static void put_vcap(uint8_t off, uint8_t next, uint8_t len, uint8_t type, uint8_t bar,
		     uint32_t offset, uint32_t length)
{
	uint8_t *c = fn.cfg + off;

	c[0] = PCI_CAP_ID_VENDOR;
	c[1] = next;
	c[2] = len;
	c[3] = type;
	c[4] = bar;
	put32(c + 8, offset);
	put32(c + 12, length);
}

/* QEMU's virtio-mem-pci: 64-bit prefetchable BAR4, MSI-X cap at 0x98,
 * common / ISR / device / notify / pci-cfg capabilities from 0x84 down. */
static void qemu_like(void)
{
	memset(&fn, 0, sizeof(fn));
	put16(fn.cfg + PCI_VENDOR_ID, VIRTIO_PCI_VENDOR);
	put16(fn.cfg + PCI_DEVICE_ID, VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_MEM);
	put16(fn.cfg + PCI_STATUS, PCI_STATUS_CAP_LIST);
	put16(fn.cfg + PCI_COMMAND, PCI_COMMAND_MEMORY);
	put32(fn.cfg + PCI_BAR0 + 4, 0xfebd1000);		/* BAR1: 32-bit MSI-X table */
	put32(fn.cfg + PCI_BAR0 + 16, 0xc);			/* BAR4: 64-bit prefetchable */
	put32(fn.cfg + PCI_BAR0 + 20, (uint32_t)(BAR4_BASE >> 32));
	fn.cfg[PCI_CAP_PTR] = 0x98;
	fn.cfg[0x98] = 0x11;	/* MSI-X */
	fn.cfg[0x99] = 0x84;
	put_vcap(0x84, 0x70, 20, 5, 0, 0, 0);			/* PCI cfg access */
	put_vcap(0x70, 0x60, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000);
	put32(fn.cfg + 0x70 + 16, 4);
	put_vcap(0x60, 0x50, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 4, 0x2000, 0x1000);
	put_vcap(0x50, 0x40, 16, 3, 4, 0x1000, 0x1000);	/* ISR */
	put_vcap(0x40, 0, 16, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0, 0x1000);
}

static void scan(void)
{
	fn.vendor = pci_cfg16(fn.cfg, PCI_VENDOR_ID);
	fn.device = pci_cfg16(fn.cfg, PCI_DEVICE_ID);
	pci_bars_decode(fn.cfg, sizeof(fn.cfg), "t", fn.bar);
	fn.ncaps = pci_caps_walk(fn.cfg, sizeof(fn.cfg), "t", fn.caps, PCI_MAX_CAPS,
				 &fn.caps_truncated);
}

static int setup(void **state)
{
	(void)state;
	host_console_reset();
	qemu_like();
	return 0;
}

static void test_bars_and_caps(void **state)
{
	(void)state;
	scan();
	assert_true(virtio_pci_is(&fn, VIRTIO_ID_MEM));
	assert_int_equal(fn.bar[1].base, 0xfebd1000);
	assert_false(fn.bar[1].mem64);
	assert_int_equal(fn.bar[4].base, BAR4_BASE);
	assert_true(fn.bar[4].mem64);
	assert_true(fn.bar[4].prefetch);
	assert_int_equal(fn.bar[5].base, 0);	/* the upper half, not a BAR */
	assert_int_equal(fn.ncaps, 6);
	assert_false(fn.caps_truncated);
	assert_int_equal(fn.caps[0].id, 0x11);
	assert_int_equal(fn.caps[0].off, 0x98);
	assert_int_equal(fn.caps[5].off, 0x40);
}

static void test_bar_edge_cases(void **state)
{
	(void)state;
	put32(fn.cfg + PCI_BAR0, 0xc001);			/* I/O BAR0 */
	put32(fn.cfg + PCI_BAR0 + 16, 0);
	put32(fn.cfg + PCI_BAR0 + 20, 0x4);			/* 64-bit in the last slot */
	scan();
	assert_true(fn.bar[0].io);
	assert_int_equal(fn.bar[0].base, 0xc000);
	assert_int_equal(fn.bar[5].base, 0);
	assert_true(host_console_contains("pci: t: 64-bit BAR5 in the last slot, ignored"));
}

static void test_cap_list_loop_and_range(void **state)
{
	(void)state;
	fn.cfg[0x41] = 0x98;	/* common -> MSI-X: a loop */
	scan();
	assert_true(fn.caps_truncated);
	assert_int_equal(fn.ncaps, PCI_MAX_CAPS);
	assert_true(host_console_contains("more than 48 capabilities (a loop?), list cut"));
	fn.cfg[0x41] = 0x20;	/* into the standard header */
	scan();
	assert_true(fn.caps_truncated);
	assert_int_equal(fn.ncaps, 6);
	assert_true(host_console_contains("capability pointer 0x20 outside config space"));
	put16(fn.cfg + PCI_STATUS, 0);	/* no list at all */
	scan();
	assert_int_equal(fn.ncaps, 0);
	assert_false(fn.caps_truncated);
}

static void test_virtio_caps_found(void **state)
{
	struct virtio_pci_transport t;
	char why[96];

	(void)state;
	scan();
	assert_int_equal(virtio_pci_find_caps(&fn, &t, why, sizeof(why)), 0);
	assert_int_equal(t.common.bar, 4);
	assert_int_equal(t.common.addr, BAR4_BASE);
	assert_int_equal(t.common.length, 0x1000);
	assert_int_equal(t.device.addr, BAR4_BASE + 0x2000);
	assert_int_equal(t.notify.addr, BAR4_BASE + 0x3000);
	assert_int_equal(t.notify_off_multiplier, 4);
}

static void test_virtio_caps_refused(void **state)
{
	struct virtio_pci_transport t;
	char why[96];

	(void)state;
	fn.cfg[0x70 + 2] = 16;	/* notify cap too short for its multiplier */
	scan();
	assert_int_equal(virtio_pci_find_caps(&fn, &t, why, sizeof(why)), -1);
	assert_string_equal(why, "no usable virtio notification capability (modern transport)");
	qemu_like();
	fn.cfg[0x60 + 4] = 6;	/* device cfg in BAR 6: reserved */
	scan();
	assert_int_equal(virtio_pci_find_caps(&fn, &t, why, sizeof(why)), -1);
	assert_string_equal(why, "no usable virtio device configuration capability (modern transport)");
	qemu_like();
	put16(fn.cfg + PCI_COMMAND, 0);	/* memory decoding off */
	scan();
	assert_int_equal(virtio_pci_find_caps(&fn, &t, why, sizeof(why)), -1);
	assert_string_equal(why, "memory decoding off in the command register "
			    "(the firmware did not enable it)");
	qemu_like();
	put32(fn.cfg + 0x40 + 12, 40);	/* common cfg shorter than §4.1.4.3's */
	scan();
	assert_int_equal(virtio_pci_find_caps(&fn, &t, why, sizeof(why)), -1);
	assert_false(t.common.present);
	qemu_like();
	/* BAR4 just below 2^64: its base + offset + length wraps */
	put32(fn.cfg + 0x60 + 8, 0xfffff000);
	put32(fn.cfg + PCI_BAR0 + 20, 0xffffffff);
	put32(fn.cfg + PCI_BAR0 + 16, 0xfffff00c);
	scan();
	assert_int_equal(virtio_pci_find_caps(&fn, &t, why, sizeof(why)), -1);
	assert_false(t.device.present);	/* BAR base + offset + length wraps 2^64 */
}

/* Two nodes (PXM 0 and 1) from an SRAT; RAM [0, 2 GiB). */
static const struct boot_mem_range ram[] = {
	{ .phys = 0, .pages = (2 * GiB) >> 12, .type = BOOT_MEM_CONVENTIONAL },
	{ .phys = 0xb0000000, .pages = (256 * MiB) >> 12, .type = BOOT_MEM_MMIO },
};

static struct virtio_mem_config good_config(void)
{
	topo.source = NUMA_SRC_SRAT;
	topo.nnodes = 2;
	topo.nodes[0].pxm = 0;
	topo.nodes[1].pxm = 1;
	return (struct virtio_mem_config){
		.block_size = 2 * MiB, .node_id = 1, .addr = 4 * GiB, .region_size = 2 * GiB,
		.usable_region_size = GiB + 256 * MiB, .requested_size = GiB,
	};
}

static void test_vmem_decode_and_good(void **state)
{
	struct virtio_mem_config c = good_config(), d;
	uint8_t raw[VIRTIO_MEM_CONFIG_LEN] = { 0 };
	uint32_t node;

	(void)state;
	put64(raw, c.block_size);
	put16(raw + 8, c.node_id);
	put64(raw + 16, c.addr);
	put64(raw + 24, c.region_size);
	put64(raw + 32, c.usable_region_size);
	put64(raw + 40, 6 * MiB);
	put64(raw + 48, c.requested_size);
	virtio_mem_config_decode(raw, &d);
	c.plugged_size = 6 * MiB;
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(virtio_mem_check(&d, "t", &topo, ram, 2, &node), 0);
	assert_int_equal(node, 1);
}

static void test_vmem_problems(void **state)
{
	struct virtio_mem_config c = good_config();
	uint32_t node;

	(void)state;
	c.node_id = 7;
	assert_int_equal(virtio_mem_check(&c, "t", &topo, ram, 2, &node), VMEM_NODE_UNKNOWN);
	assert_int_equal(node, NUMA_NO_NODE);
	assert_true(host_console_contains("virtio-mem t: node id 7 is no proximity domain"));
	topo.source = NUMA_SRC_NONE;	/* no SRAT: no node is known */
	c.node_id = 0;
	assert_int_equal(virtio_mem_check(&c, "t", &topo, ram, 2, &node), VMEM_NODE_UNKNOWN);
	c = good_config();
	c.addr = GiB;
	assert_int_equal(virtio_mem_check(&c, "t", &topo, ram, 2, &node), VMEM_OVERLAPS_RAM);
	c.addr = 0x70000000;	/* over RAM's end and the MMIO entry: RAM still counts */
	assert_int_equal(virtio_mem_check(&c, "t", &topo, ram, 2, &node), VMEM_OVERLAPS_RAM);
	c = good_config();
	c.block_size = 3 * MiB;
	assert_int_equal(virtio_mem_check(&c, "t", &topo, ram, 2, &node), VMEM_BLOCK_SIZE);
	c.block_size = MiB;
	assert_int_equal(virtio_mem_check(&c, "t", &topo, ram, 2, &node), VMEM_BLOCK_SIZE);
	assert_true(host_console_contains("not a power-of-2 multiple of 2 MiB"));
	c = good_config();
	c.block_size = 128 * MiB;
	c.addr = 4 * GiB + 64 * MiB;
	assert_int_equal(virtio_mem_check(&c, "t", &topo, ram, 2, &node), VMEM_REGION_ALIGN);
	c = good_config();
	c.requested_size = 2 * GiB;
	assert_int_equal(virtio_mem_check(&c, "t", &topo, ram, 2, &node), VMEM_REQUEST_ABOVE);
	assert_true(host_console_contains("requested 2048 MiB / plugged 0 MiB above the usable region"));
	assert_string_equal(virtio_mem_problem_name(VMEM_REQUEST_ABOVE), "request_above_region");
	assert_string_equal(virtio_mem_problem_name(VMEM_NODE_UNKNOWN), "node_unknown");
	assert_string_equal(virtio_mem_problem_name(3), "unknown");
}

/* Which ranges a request may name (§5.15.6.1), and the response names. */
static void test_vmem_range_check(void **state)
{
	struct virtio_mem_config c = { .block_size = 2 * MiB, .addr = 4 * GiB,
				       .region_size = 2 * GiB, .usable_region_size = 1280 * MiB };

	(void)state;
	assert_null(virtio_mem_range_check(&c, 4 * GiB, 1));
	assert_null(virtio_mem_range_check(&c, 4 * GiB + 1278 * MiB, 1));	/* last block */
	assert_null(virtio_mem_range_check(&c, 4 * GiB, 640));			/* all of it */
	assert_non_null(strstr(virtio_mem_range_check(&c, 4 * GiB, 0), "nb_blocks 0"));
	assert_non_null(strstr(virtio_mem_range_check(&c, 4 * GiB + MiB, 1), "boundary"));
	assert_non_null(strstr(virtio_mem_range_check(&c, 4 * GiB, 641), "usable region"));
	assert_non_null(virtio_mem_range_check(&c, 4 * GiB + 1280 * MiB, 1));	/* past it */
	assert_non_null(virtio_mem_range_check(&c, 4 * GiB - 2 * MiB, 1));	/* below it */
	assert_non_null(virtio_mem_range_check(&c, 4 * GiB + 1278 * MiB, 0xffff));
	/* Issue 16 item 4: 65537 blocks must not go out as 1 (nb_blocks is le16). */
	c.region_size = c.usable_region_size = 256 * GiB;
	assert_non_null(strstr(virtio_mem_range_check(&c, 4 * GiB, 0x10001), "65535 blocks"));
	assert_non_null(virtio_mem_range_check(&c, 4 * GiB, 0x10000));
	assert_null(virtio_mem_range_check(&c, 4 * GiB, 0xffff));
	c.block_size = 0;
	assert_non_null(virtio_mem_range_check(&c, 4 * GiB, 1));
	assert_string_equal(virtio_mem_resp_name(VIRTIO_MEM_RESP_ACK), "ack");
	assert_string_equal(virtio_mem_resp_name(VIRTIO_MEM_RESP_NACK), "nack");
	assert_string_equal(virtio_mem_resp_name(VIRTIO_MEM_RESP_BUSY), "busy");
	assert_string_equal(virtio_mem_resp_name(VIRTIO_MEM_RESP_ERROR), "error");
	assert_string_equal(virtio_mem_resp_name(4), "unknown");
}

/* Issue 16 item 5: a re-read configuration is checked against the probed
 * one; a change is named and d->cfg keeps the last good values. */
static void test_vmem_config_recheck(void **state)
{
	struct virtio_mem_config p = { .block_size = 2 * MiB, .addr = 4 * GiB, .node_id = 1,
				       .region_size = 2 * GiB, .usable_region_size = 1280 * MiB };
	struct virtio_mem_config c = p;
	struct virtio_mem_dev d = { .loc = "0000:00:03.0", .cfg = p, .probed = p };
	char why[160];
	bool changed;

	(void)state;
	c.requested_size = 64 * MiB;
	assert_null(virtio_mem_config_recheck(&p, &c, why, sizeof(why)));
	assert_int_equal(virtio_mem_config_update(&d, &c, &changed), 0);
	assert_true(changed && d.cfg.requested_size == 64 * MiB);
	c.block_size = 0;
	assert_non_null(strstr(virtio_mem_config_recheck(&p, &c, why, sizeof(why)),
			       "block size changed from 0x200000 to 0x0"));
	c = p;
	c.addr += GiB;
	assert_non_null(strstr(virtio_mem_config_recheck(&p, &c, why, sizeof(why)), "address"));
	c = p;
	c.region_size = 4 * GiB;
	assert_non_null(strstr(virtio_mem_config_recheck(&p, &c, why, sizeof(why)), "region size"));
	c = p;
	c.node_id = 0;
	assert_non_null(strstr(virtio_mem_config_recheck(&p, &c, why, sizeof(why)), "node id"));
	c = p;
	c.requested_size = MiB;			/* not whole blocks */
	assert_non_null(virtio_mem_config_recheck(&p, &c, why, sizeof(why)));
	c.requested_size = 1282 * MiB;		/* above the usable region */
	assert_non_null(virtio_mem_config_recheck(&p, &c, why, sizeof(why)));
	c.requested_size = 0;
	c.plugged_size = 3 * GiB;
	assert_non_null(virtio_mem_config_recheck(&p, &c, why, sizeof(why)));
	c.plugged_size = 0;
	c.usable_region_size = 3 * GiB;
	assert_non_null(virtio_mem_config_recheck(&p, &c, why, sizeof(why)));
	c = p;
	c.block_size = 0;
	assert_int_equal(virtio_mem_config_update(&d, &c, &changed), -1);
	assert_true(d.cfg_broken && !changed);
	assert_int_equal(d.cfg.block_size, 2 * MiB);
	assert_int_equal(d.cfg.requested_size, 64 * MiB);
	assert_true(host_console_contains("virtio-mem 0000:00:03.0: configuration re-read: block "
					  "size changed from 0x200000 to 0x0: device no longer served"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bars_and_caps, setup),
		cmocka_unit_test_setup(test_bar_edge_cases, setup),
		cmocka_unit_test_setup(test_cap_list_loop_and_range, setup),
		cmocka_unit_test_setup(test_virtio_caps_found, setup),
		cmocka_unit_test_setup(test_virtio_caps_refused, setup),
		cmocka_unit_test_setup(test_vmem_decode_and_good, setup),
		cmocka_unit_test_setup(test_vmem_problems, setup),
		cmocka_unit_test_setup(test_vmem_range_check, setup),
		cmocka_unit_test_setup(test_vmem_config_recheck, setup),
	};

	return cmocka_run_group_tests_name("virtio", tests, NULL, NULL);
}
