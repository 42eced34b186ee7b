/*
 * Host tests of virtio/mem.c, the kernel side of virtio-mem, over a fake
 * transport: the functions of include/virtio.h that reach registers
 * (virtio/pci_transport.c, virtio/virtqueue.c) are replaced here, so the
 * driver's own logic runs as the kernel's does.  The clock is the test's:
 * one poll of the hot-plug service per millisecond, as serve/ polls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_console.h"
#include "tsc.h"
#include "virtio_mem.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static struct fake_transport {
	uint8_t raw[VIRTIO_MEM_CONFIG_LEN];	/* the device's configuration */
	uint32_t unstable_reads;		/* reads left whose generation moves */
	uint32_t reads;
	uint64_t now_ms;
} ft;

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* §5.15.4 layout: block_size, node_id, addr, region, usable, plugged, requested. */
static void fake_config(uint64_t plugged, uint64_t requested)
{
	memset(ft.raw, 0, sizeof(ft.raw));
	put64(ft.raw, 2 * MiB);
	put64(ft.raw + 16, 4 * GiB);
	put64(ft.raw + 24, 1 * GiB);
	put64(ft.raw + 32, 1 * GiB);
	put64(ft.raw + 40, plugged);
	put64(ft.raw + 48, requested);
}

/* ---- the transport, faked ------------------------------------------------ */

uint64_t now_ns(void)
{
	return ft.now_ms * 1000000;
}

int virtio_pci_read_config(const struct virtio_pci_transport *t, void *buf, uint32_t len)
{
	(void)t;
	ft.reads++;
	if (ft.unstable_reads) {	/* config_generation moved on every try */
		ft.unstable_reads--;
		return -1;
	}
	assert_int_equal(len, sizeof(ft.raw));
	memcpy(buf, ft.raw, len);
	return 0;
}

int virtio_pci_map(const struct virtio_pci_transport *t)
{
	(void)t;
	return 0;
}

uint8_t virtio_pci_status(const struct virtio_pci_transport *t)
{
	(void)t;
	return VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
}

int virtio_pci_reset(const struct virtio_pci_transport *t, const char *name, uint64_t timeout_ms)
{
	(void)t, (void)name, (void)timeout_ms;
	return 0;
}

int virtio_pci_negotiate(const struct virtio_pci_transport *t, const char *name, uint64_t wanted,
			 struct virtio_pci_handshake *h)
{
	(void)t, (void)name;
	*h = (struct virtio_pci_handshake){ .offered = wanted, .accepted = wanted };
	return 0;
}

int virtio_pci_driver_ok(const struct virtio_pci_transport *t, const char *name)
{
	(void)t, (void)name;
	return 0;
}

int virtq_setup(const struct virtio_pci_transport *t, uint16_t index, struct virtq *q,
		struct virtq_mem *mem, const char **why)
{
	(void)t, (void)index, (void)q, (void)mem, (void)why;
	fail_msg("no queue in these tests");
	return -1;
}

int virtq_request(struct virtq *q, const void *req, uint32_t req_len, void *resp, uint32_t resp_len,
		  uint32_t *written, uint64_t timeout_ms, const char **why)
{
	(void)q, (void)req, (void)req_len, (void)resp, (void)resp_len, (void)written;
	(void)timeout_ms, (void)why;
	fail_msg("no request in these tests");
	return -1;
}

/* ---- tests ------------------------------------------------------------- */

static struct virtio_mem_dev dev;

/* A live device as virtio_mem_start() leaves it: configuration probed and
 * accepted, nothing plugged or requested. */
static int setup(void **state)
{
	(void)state;
	memset(&ft, 0, sizeof(ft));
	memset(&dev, 0, sizeof(dev));
	fake_config(0, 0);
	strcpy(dev.loc, "0000:00:03.0");
	virtio_mem_config_decode(ft.raw, &dev.cfg);
	dev.probed = dev.cfg;
	dev.cfg_read = dev.live = true;
	host_console_reset();
	return 0;
}

/* One poll a millisecond: what the service does while serving. */
static int poll_once(bool *changed)
{
	int ret = virtio_mem_refresh(&dev, changed);

	ft.now_ms++;
	return ret;
}

/* A configuration that stays unstable for 50 polls is reported once when
 * it becomes unstable and once when it is stable again, with how long it
 * lasted, not once a poll; the re-read that is stable is taken. */
static void test_unstable_config_is_reported_twice_not_per_poll(void **state)
{
	bool changed;

	(void)state;
	ft.unstable_reads = 50;
	fake_config(0, 256 * MiB);
	for (int i = 0; i < 50; i++)
		assert_int_equal(poll_once(&changed), -1);
	assert_int_equal(host_console_count("never stable on re-read"), 1);
	assert_int_equal(host_console_count("stable again"), 0);
	assert_int_equal(poll_once(&changed), 0);
	assert_true(changed);
	assert_int_equal(dev.cfg.requested_size, 256 * MiB);
	assert_false(dev.cfg_broken);
	for (int i = 0; i < 10; i++)
		assert_int_equal(poll_once(&changed), 0);
	assert_int_equal(ft.reads, 61);
	assert_int_equal(host_console_count("never stable on re-read"), 1);
	assert_int_equal(host_console_count("stable again"), 1);
	assert_true(host_console_contains("virtio-mem 0000:00:03.0: configuration stable again after "
					  "50 unstable re-reads (50 ms)\n"));
}

/* Each unstable spell is reported on its own; a single unstable re-read is
 * a spell of one. */
static void test_each_unstable_spell_is_reported(void **state)
{
	bool changed;

	(void)state;
	ft.unstable_reads = 1;
	assert_int_equal(poll_once(&changed), -1);
	assert_int_equal(poll_once(&changed), 0);
	assert_false(changed);
	ft.unstable_reads = 3;
	for (int i = 0; i < 4; i++)
		poll_once(&changed);
	assert_int_equal(host_console_count("never stable on re-read"), 2);
	assert_true(host_console_contains("stable again after 1 unstable re-reads (1 ms)"));
	assert_true(host_console_contains("stable again after 3 unstable re-reads (3 ms)"));
}

/* A stable configuration says nothing. */
static void test_stable_config_is_quiet(void **state)
{
	bool changed;

	(void)state;
	for (int i = 0; i < 100; i++)
		assert_int_equal(poll_once(&changed), 0);
	assert_string_equal(host_console_captured(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unstable_config_is_reported_twice_not_per_poll, setup),
		cmocka_unit_test_setup(test_each_unstable_spell_is_reported, setup),
		cmocka_unit_test_setup(test_stable_config_is_quiet, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
