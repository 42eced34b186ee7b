/*
 * Host tests of the split virtqueue (virtio/virtqueue.c) against a fake
 * device.  The common and notify structures are plain byte arrays (the
 * driver's register accesses are ordinary loads and stores here), and the
 * device runs between the driver's polls: now_ns() below, which the
 * driver's wait calls each round, advances a fake clock by 1 ms and lets
 * the fake device serve what was notified.  Buffers are host pointers, as
 * on the identity-mapped kernel an address is the DMA address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host_console.h"
#include "virtio_mem.h"
#include "../../virtio/internal.h"

#define NOTIFY_OFF	3
#define NOTIFY_MULT	4
#define NO_NOTIFY	0xffff

enum fake_mode { ANSWER, SILENT, BAD_ID, BAD_LEN, TWO_ENTRIES };

static struct {
	uint8_t common[64];
	uint8_t notify[64];
	struct virtio_pci_transport tp;
	struct virtq_mem mem;
	struct virtq q;
	enum fake_mode mode;
	uint16_t last_avail;	/* device side */
	uint32_t served;
	uint64_t clock_ns;
} f;

static uint16_t *notify_reg(void)
{
	return (uint16_t *)(f.notify + NOTIFY_OFF * NOTIFY_MULT);
}

/* The device: serve every available chain since the last notify.  The
 * request is a 4-byte little-endian number; the response is it + 1. */
static void fake_device_serve(void)
{
	struct virtq_desc *d = virtq_desc_of(&f.q);
	struct virtq_avail *a = virtq_avail_of(&f.q);
	struct virtq_used *u = virtq_used_of(&f.q);

	if (*notify_reg() == NO_NOTIFY || f.mode == SILENT)
		return;
	assert_int_equal(*notify_reg(), f.q.index);
	*notify_reg() = NO_NOTIFY;
	while (f.last_avail != a->idx) {
		uint16_t head = a->ring[f.last_avail % f.q.size];
		uint32_t v;

		assert_true(head < f.q.size && (d[head].flags & VIRTQ_DESC_F_NEXT));
		assert_int_equal(d[head].len, 4);
		assert_int_equal(d[d[head].next].flags, VIRTQ_DESC_F_WRITE);
		memcpy(&v, (void *)(uintptr_t)d[head].addr, 4);
		v++;
		memcpy((void *)(uintptr_t)d[d[head].next].addr, &v, 4);
		u->ring[u->idx % f.q.size] = (struct virtq_used_elem){
			.id = f.mode == BAD_ID ? (uint32_t)(head + 1) % f.q.size : head,
			.len = f.mode == BAD_LEN ? d[d[head].next].len + 1 : 4 };
		u->idx += f.mode == TWO_ENTRIES ? 2 : 1;
		f.last_avail++;
		f.served++;
	}
}

uint64_t now_ns(void)
{
	f.clock_ns += 1000000;
	fake_device_serve();
	return f.clock_ns;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* A device offering one queue of 128 descriptors at notify offset 3. */
static int setup(void **state)
{
	(void)state;
	memset(&f, 0, sizeof(f));
	put16(f.common + COMMON_NUM_QUEUES, 1);
	put16(f.common + COMMON_Q_SIZE, 128);
	put16(f.common + COMMON_Q_NOTIFY_OFF, NOTIFY_OFF);
	*notify_reg() = NO_NOTIFY;
	f.tp.common = (struct virtio_pci_region){ .present = true, .length = sizeof(f.common),
						  .addr = (uint64_t)(uintptr_t)f.common };
	f.tp.notify = (struct virtio_pci_region){ .present = true, .length = sizeof(f.notify),
						  .addr = (uint64_t)(uintptr_t)f.notify };
	f.tp.notify_off_multiplier = NOTIFY_MULT;
	return 0;
}

static void must_setup(void)
{
	const char *why = NULL;

	assert_int_equal(virtq_setup(&f.tp, 0, &f.q, &f.mem, &why), 0);
}

/* One request: send n, expect n + 1 back (0 on success, else -1, *why). */
static int roundtrip(uint32_t n, const char **why)
{
	uint32_t req = n, resp = 0, written = 0;
	int r = virtq_request(&f.q, &req, 4, &resp, 4, &written, 5, why);

	if (r == 0) {
		assert_int_equal(written, 4);
		assert_int_equal(resp, n + 1);
	}
	return r;
}

static void test_setup_programs_the_queue(void **state)
{
	(void)state;
	must_setup();
	assert_int_equal(f.q.size, VIRTQ_SIZE);
	assert_int_equal(get16(f.common + COMMON_Q_SIZE), VIRTQ_SIZE);
	assert_int_equal(get16(f.common + COMMON_Q_ENABLE), 1);
	assert_true(get64(f.common + COMMON_Q_DESC) == (uint64_t)(uintptr_t)f.mem.page[0]);
	assert_true(get64(f.common + COMMON_Q_DRIVER) == (uint64_t)(uintptr_t)f.mem.page[1]);
	assert_true(get64(f.common + COMMON_Q_DEVICE) == (uint64_t)(uintptr_t)f.mem.page[2]);
	assert_true(f.q.notify_addr == (uint64_t)(uintptr_t)notify_reg());
	assert_int_equal(virtq_avail_of(&f.q)->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(f.q.failed);
}

static void test_setup_refusals(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(virtq_setup(&f.tp, 1, &f.q, &f.mem, &why), -1);	/* num_queues 1 */
	assert_non_null(strstr(why, "num_queues"));
	put16(f.common + COMMON_Q_SIZE, 1);
	assert_int_equal(virtq_setup(&f.tp, 0, &f.q, &f.mem, &why), -1);
	assert_non_null(strstr(why, "queue_size"));
	put16(f.common + COMMON_Q_SIZE, 128);
	put16(f.common + COMMON_Q_NOTIFY_OFF, 16);	/* 16 * 4 + 2 > 64 */
	assert_int_equal(virtq_setup(&f.tp, 0, &f.q, &f.mem, &why), -1);
	assert_non_null(strstr(why, "notify"));
	put16(f.common + COMMON_Q_NOTIFY_OFF, NOTIFY_OFF);
	put16(f.common + COMMON_Q_ENABLE, 1);
	assert_int_equal(virtq_setup(&f.tp, 0, &f.q, &f.mem, &why), -1);
	assert_non_null(strstr(why, "already enabled"));
	assert_true(f.q.failed);
	assert_int_equal(virtq_request(&f.q, &why, 4, &why, 4, &(uint32_t){ 0 }, 5, &why), -1);
}

static void test_pick_size(void **state)
{
	(void)state;
	assert_int_equal(virtq_pick_size(0), 0);
	assert_int_equal(virtq_pick_size(1), 0);
	assert_int_equal(virtq_pick_size(2), 2);
	assert_int_equal(virtq_pick_size(7), 4);
	assert_int_equal(virtq_pick_size(256), VIRTQ_SIZE);
	assert_int_equal(virtq_pick_size(32768), VIRTQ_SIZE);
}

/* Many requests: heads rotate over the four chains, each answered. */
static void test_roundtrips(void **state)
{
	const char *why = NULL;

	(void)state;
	must_setup();
	for (uint32_t i = 0; i < 20; i++) {
		assert_int_equal(roundtrip(1000 + i, &why), 0);
		assert_int_equal(virtq_desc_of(&f.q)[(i % 4) * 2].addr != 0, 1);
	}
	assert_int_equal(f.served, 20);
	assert_int_equal(f.q.next_avail, 20);
	assert_int_equal(f.q.last_used, 20);
	assert_int_equal(virtq_avail_of(&f.q)->idx, 20);
}

/* The free-running 16-bit indices wrap from 65535 to 0 mid-run. */
static void test_index_wrap(void **state)
{
	const char *why = NULL;

	(void)state;
	must_setup();
	f.q.next_avail = f.q.last_used = f.last_avail = 65531;
	virtq_avail_of(&f.q)->idx = virtq_used_of(&f.q)->idx = 65531;
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(roundtrip(i, &why), 0);
	assert_int_equal(f.q.next_avail, 5);
	assert_int_equal(f.q.last_used, 5);
	assert_int_equal(virtq_used_of(&f.q)->idx, 5);
}

static void expect_bad(enum fake_mode mode, const char *what)
{
	const char *why = NULL;

	must_setup();
	assert_int_equal(roundtrip(1, &why), 0);
	f.mode = mode;
	assert_int_equal(roundtrip(2, &why), -1);
	assert_non_null(strstr(why, what));
	assert_true(f.q.failed);
	f.mode = ANSWER;	/* a failed queue sends nothing more */
	assert_int_equal(roundtrip(3, &why), -1);
	assert_non_null(strstr(why, "failed earlier"));
	assert_int_equal(f.served, 2);
}

static void test_bad_id(void **state)
{
	(void)state;
	expect_bad(BAD_ID, "not the request's head");
}

static void test_bad_len(void **state)
{
	(void)state;
	expect_bad(BAD_LEN, "more bytes written");
}

static void test_too_many_used(void **state)
{
	(void)state;
	expect_bad(TWO_ENTRIES, "past the buffers made available");
}

/* A silent device: the request gives up after its 5 ms, not before. */
static void test_timeout(void **state)
{
	const char *why = NULL;
	uint64_t t0;

	(void)state;
	must_setup();
	f.mode = SILENT;
	t0 = f.clock_ns;
	assert_int_equal(roundtrip(7, &why), -1);
	assert_non_null(strstr(why, "timeout"));
	assert_true(f.clock_ns - t0 > 5 * 1000000ull);
	assert_true(f.clock_ns - t0 < 10 * 1000000ull);
	assert_true(f.q.failed);
	assert_int_equal(*notify_reg(), 0);	/* notified, never served */
}

/* virtio-mem requests as QEMU reads them (§5.15.6): type at 0, addr at
 * 8, nb_blocks at 16; the response's state at 8. */
static void test_vmem_layout(void **state)
{
	struct virtio_mem_req r = { .type = VIRTIO_MEM_REQ_STATE, .addr = 0x140000000ull,
				    .nb_blocks = 3 };
	uint8_t raw[sizeof(r)];

	(void)state;
	memcpy(raw, &r, sizeof(r));
	assert_int_equal(get16(raw), 3);
	assert_true(get64(raw + 8) == 0x140000000ull);
	assert_int_equal(get16(raw + 16), 3);
	assert_int_equal(sizeof(struct virtio_mem_resp), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_setup_programs_the_queue, setup),
		cmocka_unit_test_setup(test_setup_refusals, setup),
		cmocka_unit_test_setup(test_pick_size, setup),
		cmocka_unit_test_setup(test_roundtrips, setup),
		cmocka_unit_test_setup(test_index_wrap, setup),
		cmocka_unit_test_setup(test_bad_id, setup),
		cmocka_unit_test_setup(test_bad_len, setup),
		cmocka_unit_test_setup(test_too_many_used, setup),
		cmocka_unit_test_setup(test_timeout, setup),
		cmocka_unit_test_setup(test_vmem_layout, setup),
	};

	return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
