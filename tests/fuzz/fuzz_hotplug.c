/* libFuzzer: the hot-plug service's step logic (serve/hotplug_step.c, the
 * kernel's own code) against the fake virtio-mem device of
 * tests/unit/fake_vmem.h, over the real memory model and init requests.
 * The input is a program: the host's requested sizes, the device's answers
 * (ACK, NACK, BUSY, ERROR, silence before or after doing the request),
 * configuration changes (block size, address, region size, node, usable
 * size, a request that is not whole blocks), restarts and mappings that
 * fail, the workload's allocations and frees, time passing, and the node's
 * workers taking only some chunks; plugs whole or lazily (hot_lazy:
 * heads, then the rest).  After every step of the service
 * fk_check() must hold: nothing mapped or onlined outside the registered
 * region; the online prefix block by block; the device's plugged blocks
 * equal to it, or within the range kept offline in doubt; memmap_verify()
 * and the node's accounting exact.  A broken rule traps with its name. */
#include <stdio.h>
#include "fake_vmem.h"

#include "fuzz_quiet.inc"

#define FUZZ_MAX_OPS	128	/* operations per input */

static uint8_t take(const uint8_t **d, size_t *n)
{
	uint8_t v = 0;

	if (*n) {
		v = **d;
		(*d)++;
		(*n)--;
	}
	return v;
}

/* Change one field of the device's configuration (item 5 of issue 16). */
static void change_config(uint8_t what, uint8_t v)
{
	struct virtio_mem_config *c = &fk.cfg;

	switch (what % 7) {
	case 0: c->block_size = v & 1 ? 0 : FK_BLOCK << (v % 3); break;
	case 1: c->addr += (uint64_t)(v % 4) * FK_GiB; break;
	case 2: c->region_size = (uint64_t)(v % 8 + 1) * 128 * FK_MiB; break;
	case 3: c->node_id = v; break;
	case 4: c->usable_region_size = (uint64_t)v * FK_BLOCK; break;
	case 5: c->requested_size = (uint64_t)v * FK_MiB; break;	/* maybe half blocks */
	case 6: c->plugged_size = (uint64_t)v * FK_BLOCK; break;	/* a device that lies */
	}
}

/* One pass of the service, as hotplug_poll() makes it; false once the
 * service failed, which ends the kernel's live phase (check_failed).  The
 * only failure the fake can cause is the node's CPUs not finishing a plug
 * within HOT_INIT_TIMEOUT_MS (the input starving fk_work()): a device,
 * whatever it answers, must never fail the service. */
static bool step(void)
{
	hot_step(fk.s, &fk.s->dev[0]);
	fk.now++;
	if (fk.s->failed) {
		if (!strstr(fk.last_reason, "did not finish")) {
			fprintf(stderr, "fuzz_hotplug: the service failed: %s\n", fk.last_reason);
			__builtin_trap();
		}
		return false;
	}
	if (!fk_check()) {
		fprintf(stderr, "fuzz_hotplug: %s\n", fk.bad);
		__builtin_trap();
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t blocks = (uint64_t)(take(&data, &size) % 4 + 1) * 4;	/* 8-32 MiB */
	uint8_t where = take(&data, &size);
	uint64_t reg = 4 * FK_GiB + (uint64_t)(where % 4) * 64 * FK_MiB;
	bool live = true;

	fk_setup(&fk_ops, 0, 4 * FK_MiB, reg, blocks * FK_BLOCK);
	if (where & 4)	/* hot_lazy: heads first, the rest as a second run */
		fk_set_lazy();
	for (uint32_t ops = 0; live && size && ops < FUZZ_MAX_OPS; ops++) {
		uint8_t op = take(&data, &size), v = take(&data, &size);

		switch (op % 12) {
		case 0:
		case 1: fk_request_size((uint64_t)(v % (blocks + 8)) * FK_BLOCK); break;
		case 2: fk_push(v % FK_NANSWERS); break;
		case 3: if (v < 32) change_config(v, take(&data, &size)); break;
		case 4: fk.restart_fails = v & 1; break;
		case 5: fk.map_fails = v % 8 == 0; break;
		case 6: fk_alloc(v % 4); break;
		case 7: fk_free_all(); break;
		case 8: fk.now += (uint64_t)v * 16; break;
		case 9: fk_work(v % 4); break;
		default: fk_work(UINT32_MAX); break;
		}
		live = step();
	}
	for (uint32_t i = 0; live && i < 16 && fk.s->dev[0].state != HOT_IDLE; i++) {
		fk_work(UINT32_MAX);	/* let what is in flight end */
		fk.now += 64;
		live = step();
	}
	fk_free_all();
	fk_teardown();
	return 0;
}
