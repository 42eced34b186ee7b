/*
 * The hot-plug service's step logic (serve/hotplug_step.c) against a fake
 * virtio-mem device (fake_vmem.h) over the real memory model: each case a
 * device that misbehaves one way, and after every step numaboot's view of
 * what is plugged must equal the device's (or the difference be the range
 * kept offline "in doubt"), with the node verified and accounted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "host_console.h"
#include "fake_vmem.h"

#define REGION	(4 * FK_GiB)

static struct hot_dev *dev0(void)
{
	return &fk.s->dev[0];
}

/* Poll (and let the workers run) until the device is idle with nothing
 * left to serve, checking after every step; false when a check broke. */
static bool run_steps(uint32_t max)
{
	struct hot_dev *d = dev0();

	for (uint32_t i = 0; i < max; i++) {
		hot_step(fk.s, d);
		fk_work(UINT32_MAX);
		fk.now++;
		if (!fk_check()) {
			fprintf(stderr, "step %u: %s\n", i, fk.bad);
			return false;
		}
		if (d->state == HOT_IDLE && (d->served == fk.cfg.requested_size || !d->vd->live))
			return true;
	}
	return true;
}

static int setup(void **state)
{
	(void)state;
	host_console_reset();
	fk_setup(&fk_ops, 0, 128 * FK_MiB, REGION, 16 * FK_GiB);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fk_teardown();
	return 0;
}

/* Item 3 of issue 16: 2 MiB, then 10 GiB.  The second step starts 2 MiB
 * into a section; 8 GiB from there touches 65 sections.  Every step must
 * be one the service can finish once the device has said yes. */
static void test_plug_2m_then_10g(void **state)
{
	(void)state;
	fk_request_size(2 * FK_MiB);
	assert_true(run_steps(100));
	assert_int_equal(dev0()->online_bytes, 2 * FK_MiB);
	fk_request_size(10 * FK_GiB);
	assert_true(run_steps(100));
	assert_int_equal(fk.failed_events, 0);
	assert_false(fk.s->failed);
	assert_int_equal(dev0()->online_bytes, 10 * FK_GiB);
	assert_int_equal(fk_blocks_plugged() * FK_BLOCK, 10 * FK_GiB);
}

/* A BUSY answer to PLUG is not final: retried, then served. */
static void test_plug_busy_then_ack(void **state)
{
	(void)state;
	fk_push(FK_BUSY);
	fk_push(FK_BUSY);
	fk_push(FK_ACK);
	fk_request_size(64 * FK_MiB);
	assert_true(run_steps(2000));
	assert_int_equal(dev0()->online_bytes, 64 * FK_MiB);
	assert_int_equal(fk_blocks_plugged() * FK_BLOCK, 64 * FK_MiB);
	assert_int_equal(fk.last_status, HOT_OK);
}

/* Item 6: the UNPLUG times out after the device did unplug.  Nothing of
 * the range may come back online while the device has it unplugged. */
static void test_unplug_timeout_device_unplugged(void **state)
{
	(void)state;
	fk_request_size(64 * FK_MiB);
	assert_true(run_steps(100));
	fk_push(FK_SILENT_DONE);
	fk_request_size(0);
	assert_true(run_steps(3000));
	assert_int_equal(fk_blocks_plugged(), 0);
	assert_int_equal(dev0()->online_bytes, 0);
}

/* Item 6: the UNPLUG times out and the device did nothing. */
static void test_unplug_timeout_device_kept(void **state)
{
	(void)state;
	fk_request_size(64 * FK_MiB);
	assert_true(run_steps(100));
	fk_push(FK_SILENT);
	fk_request_size(0);
	assert_true(run_steps(3000));
	assert_int_equal(fk_blocks_plugged() * FK_BLOCK, dev0()->online_bytes + fk_doubt(dev0()));
}

/* Item 5: the block size re-read as 0 (a division by zero at the next
 * step on the old code). */
static void test_config_block_size_zero(void **state)
{
	(void)state;
	fk_request_size(4 * FK_MiB);
	assert_true(run_steps(100));
	fk.cfg.block_size = 0;
	fk.cfg.requested_size = 8 * FK_MiB;
	assert_true(run_steps(100));
	assert_int_equal(dev0()->online_bytes, 4 * FK_MiB);
	assert_int_equal(fk_blocks_plugged() * FK_BLOCK, 4 * FK_MiB);
	assert_true(host_console_contains("block size changed from 0x200000 to 0x0"));
	assert_true(dev0()->stopped);
}

/* Item 5: the region re-read 1 GiB higher: nothing may be plugged, mapped
 * or onlined outside the registered region. */
static void test_config_addr_moves(void **state)
{
	(void)state;
	fk_request_size(4 * FK_MiB);
	assert_true(run_steps(100));
	fk.cfg.addr += FK_GiB;
	fk.cfg.requested_size = 16 * FK_GiB;
	assert_true(run_steps(100));
	assert_int_equal(dev0()->online_bytes, 4 * FK_MiB);
	assert_true(host_console_contains("address changed"));
	assert_true(dev0()->stopped);
}

/* BUSY for ever: retried HOT_BUSY_RETRIES times with a growing wait, then
 * given up by name; nothing plugged anywhere. */
static void test_plug_busy_forever(void **state)
{
	(void)state;
	for (int i = 0; i < 40; i++)
		fk_push(FK_BUSY);
	fk_request_size(64 * FK_MiB);
	assert_true(run_steps(5000));
	assert_int_equal(fk.requests, HOT_BUSY_RETRIES + 1);
	assert_int_equal(fk.last_status, HOT_NACK);
	assert_non_null(strstr(fk.last_reason, "busy to PLUG 9 times: given up"));
	assert_int_equal(dev0()->online_bytes, 0);
	assert_int_equal(fk_blocks_plugged(), 0);
}

/* A PLUG that times out after the device plugged: STATE says so after the
 * restart, and the blocks are onlined. */
static void test_plug_timeout_device_plugged(void **state)
{
	(void)state;
	fk_push(FK_SILENT_DONE);
	fk_request_size(64 * FK_MiB);
	assert_true(run_steps(100));
	assert_int_equal(dev0()->online_bytes, 64 * FK_MiB);
	assert_int_equal(fk_blocks_plugged() * FK_BLOCK, 64 * FK_MiB);
	assert_true(fk.vd.live);
}

/* An UNPLUG that times out and a device that cannot be started again:
 * the range stays offline, in doubt, said so; the device is not served. */
static void test_unplug_timeout_no_restart(void **state)
{
	(void)state;
	fk_request_size(64 * FK_MiB);
	assert_true(run_steps(100));
	fk_push(FK_SILENT_DONE);
	fk.restart_fails = true;
	fk_request_size(32 * FK_MiB);
	assert_true(run_steps(3000));
	assert_int_equal(dev0()->online_bytes, 32 * FK_MiB);
	assert_int_equal(dev0()->doubt_bytes, 32 * FK_MiB);
	assert_true(dev0()->stopped);
	assert_int_equal(fk.last_status, HOT_DOUBT);
	assert_non_null(strstr(fk.last_reason, "kept offline, in doubt"));
	assert_true(host_console_contains("no longer served"));
	fk_request_size(0);	/* not served any more */
	assert_true(run_steps(10));
	assert_int_equal(dev0()->online_bytes, 32 * FK_MiB);
}

/* The steps' ranges: at most 64 sections and 65535 blocks each (items 3
 * and 4: a plug of 8 GiB 2 MiB into a section; an unplug of 130 GiB). */
static void test_plan_caps(void **state)
{
	const uint64_t sec = 128 * FK_MiB;
	uint64_t b;

	(void)state;
	b = hot_plan_plug(REGION, 2 * FK_MiB, 10 * FK_GiB, FK_BLOCK, FK_BLOCK);
	assert_int_equal(b, 8 * FK_GiB - 2 * FK_MiB);
	assert_true((REGION + 2 * FK_MiB + b - 1) / sec - (REGION + 2 * FK_MiB) / sec < 64);
	b = hot_plan_plug(REGION, 0, 10 * FK_GiB, sec, FK_BLOCK);
	assert_int_equal(b, 8 * FK_GiB);
	b = hot_plan_unplug(REGION, 130 * FK_GiB, 0, FK_BLOCK, FK_BLOCK);
	assert_int_equal(b, 8 * FK_GiB);
	b = hot_plan_unplug(REGION, 130 * FK_GiB + 2 * FK_MiB, 0, FK_BLOCK, FK_BLOCK);
	assert_int_equal(b, 8 * FK_GiB - 126 * FK_MiB);	/* 63 whole sections and 2 MiB */
	b = hot_plan_unplug(0, 1ULL << 47, 0, 4 * FK_GiB, 4 * FK_GiB);	/* 4 GiB blocks */
	assert_int_equal(b, 8 * FK_GiB);
	assert_int_equal(hot_plan_plug(REGION, 0, FK_MiB, FK_BLOCK, FK_BLOCK), 0);
	/* a request larger than a step is served by several: 2 MiB, then 10 GiB */
	fk_request_size(10 * FK_GiB + 2 * FK_MiB);
	assert_true(run_steps(100));
	assert_int_equal(fk.events, 2);
	assert_int_equal(dev0()->online_bytes, 10 * FK_GiB + 2 * FK_MiB);
}

/* Registration: a region sharing a section with another node's RAM (or
 * device memory, or a region) is refused by name, before any PLUG. */
static void test_region_conflict(void **state)
{
	char why[160];
	uint64_t sec = 128 * FK_MiB;

	(void)state;
	/* node 0: RAM [0, 128 MiB); the fake's region [4 GiB, 20 GiB) */
	assert_null(hot_region_conflict(fk.mm, (sec) >> PAGE_SHIFT, (2 * sec) >> PAGE_SHIFT, why,
					sizeof(why)));
	assert_non_null(hot_region_conflict(fk.mm, (sec - 64 * FK_MiB) >> PAGE_SHIFT,
					    (2 * sec) >> PAGE_SHIFT, why, sizeof(why)));
	assert_non_null(strstr(why, "node 0's RAM"));
	assert_null(hot_region_conflict(fk.mm, (REGION - sec) >> PAGE_SHIFT,
					(REGION) >> PAGE_SHIFT, why, sizeof(why)));
	assert_non_null(hot_region_conflict(fk.mm, (REGION + 16 * FK_GiB - 64 * FK_MiB) >> PAGE_SHIFT,
					    (REGION + 17 * FK_GiB) >> PAGE_SHIFT, why, sizeof(why)));
	assert_non_null(strstr(why, "hot-pluggable region"));
}

/* A plug whose chunks the node's CPUs do not finish fails the step once its
 * budget is over, with the one timeout message: node, kind, chunks
 * published, and the step's real budget, here a boot-time plug's (longer
 * than HOT_INIT_TIMEOUT_MS, as hotplug_during_boot_init() gives it). */
static void test_init_timeout_names_budget(void **state)
{
	struct hot_dev *d = dev0();
	uint64_t budget_ms = HOT_INIT_TIMEOUT_MS + 12345;

	(void)state;
	fk_request_size(256 * FK_MiB);	/* two sections: two chunks */
	hot_step(fk.s, d);
	assert_int_equal(d->state, HOT_INIT);
	fk_work(1);			/* one chunk published, the other never run */
	hot_step_budget(d, budget_ms);	/* as hotplug_during_boot_init() does */
	fk.now = d->deadline_tsc;
	hot_step(fk.s, d);
	assert_int_equal(d->state, HOT_INIT);	/* not over yet */
	assert_false(fk.s->failed);
	fk.now++;
	hot_step(fk.s, d);
	assert_true(fk.s->failed);
	assert_int_equal(fk.last_status, HOT_FAILED);
	assert_true(host_console_contains("node 0 hotplug request: 1 of 2 chunks published after "
					  "72345 ms"));
	fk_work(UINT32_MAX);	/* the slot is cleared: nothing runs it any more */
}

/* hot_lazy: the plug's heads part makes its blocks allocatable; an
 * allocation then completes the block it takes, the step publishes the
 * rest as a second run of the same request, and only once that is done is
 * the step over (every struct page verified).  Unplug completes nothing
 * twice and leaves no lazy block behind. */
static void test_lazy_plug_allocatable_then_complete(void **state)
{
	struct hot_dev *d = dev0();
	const struct mm_hot_region *r = &d->region;
	uint32_t i;

	(void)state;
	fk_set_lazy();
	fk_request_size(64 * FK_MiB);
	for (i = 0; i < 100; i++) {
		hot_step(fk.s, d);
		if (d->req.part == MM_INIT_TAILS)
			break;
		fk_work(UINT32_MAX);
		fk.now++;
	}
	assert_int_equal(d->req.part, MM_INIT_TAILS);	/* heads done, the rest published */
	assert_int_equal(d->state, HOT_INIT);
	assert_int_equal(r->online_pages, (64 * FK_MiB) >> PAGE_SHIFT);
	assert_true(r->lazy_pending > 0);
	fk_alloc(3);
	assert_int_equal(fk.held_pages, 8);
	/* the plug blocks of the MAX_ORDER block it was split from */
	assert_int_equal(r->lazy_on_demand, (MAX_ORDER_NR_PAGES << PAGE_SHIFT) / FK_BLOCK);
	assert_true(run_steps(100));
	assert_int_equal(d->state, HOT_IDLE);
	assert_int_equal(r->lazy_pending, 0);
	assert_true(d->ev == NULL && fk.last_status == HOT_OK);
	assert_int_equal(dev0()->online_bytes, 64 * FK_MiB);
	fk_free_all();
	fk_request_size(0);
	assert_true(run_steps(3000));
	assert_int_equal(dev0()->online_bytes, 0);
	assert_int_equal(fk_blocks_plugged(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plug_2m_then_10g, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plug_busy_then_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unplug_timeout_device_unplugged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unplug_timeout_device_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_block_size_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_addr_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plug_busy_forever, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plug_timeout_device_plugged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unplug_timeout_no_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_timeout_names_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_plug_allocatable_then_complete, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
