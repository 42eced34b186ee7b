/* serve/hotplug*.c: the service's own interface.  The step logic
 * (serve/hotplug_step.c) reaches the device, the page tables, the clock
 * and the workload CPUs only through struct hot_ops, so that the same code
 * runs in the kernel (hotplug_kernel_ops, serve/hotplug.c) and against a
 * fake device on the host (tests/unit/test_hotplug_service.c,
 * tests/fuzz/fuzz_hotplug.c). */
#ifndef NUMABOOT_KERNEL_HOTPLUG_INTERNAL_H
#define NUMABOOT_KERNEL_HOTPLUG_INTERNAL_H

#include <stdarg.h>
#include "hotplug.h"
#include "kprintf.h"

struct hot_ops {
	/* The clock, in TSC ticks (serve_ms_to_tsc() converts). */
	uint64_t (*now)(void);
	/* The device's §5.15.6 requests and configuration re-read, with the
	 * contracts of include/virtio_mem.h. */
	int (*plug)(struct virtio_mem_dev *vd, uint64_t addr, uint64_t nb_blocks, uint16_t *resp);
	int (*unplug)(struct virtio_mem_dev *vd, uint64_t addr, uint64_t nb_blocks,
		      uint16_t *resp);
	int (*state)(struct virtio_mem_dev *vd, uint64_t addr, uint64_t nb_blocks, uint16_t *resp,
		     uint16_t *state);
	int (*refresh)(struct virtio_mem_dev *vd, bool *changed);
	/* After a transport failure: live again, nothing unplugged. */
	int (*restart)(struct virtio_mem_dev *vd);
	/* Identity-map [addr, addr + bytes) of d's region and the vmemmap of
	 * its sections.  0, or -1 when memory or page tables ran out. */
	int (*map)(struct serve_ctx *s, struct hot_dev *d, uint64_t addr, uint64_t bytes);
	/* Release-publish d's event (and, when req, its init request) in its
	 * slot for the workload CPUs; retire: clear the slot and wait until no
	 * CPU holds it (bounded; s->failed when one still does). */
	void (*publish)(struct serve_ctx *s, struct hot_dev *d, bool req);
	void (*retire)(struct serve_ctx *s, struct hot_dev *d);
	/* The event's console line and hotplug_event record. */
	void (*emit)(const struct serve_ctx *s, const struct hot_dev *d,
		     const struct hot_event *ev);
};


/* serve/hotplug_setup.c: the kernel's hot_ops.map (page tables and DRAM
 * memmap pages from boot memory, counted in meta_pages). */
int hotplug_map(struct serve_ctx *s, struct hot_dev *d, uint64_t addr, uint64_t bytes);

/* serve/hotplug_step.c: one pass of the step logic for one device, by its
 * state (boot CPU); hot_step_idle() looks for a change of the requested
 * size and starts a step, hot_step_init() advances a plug's init request,
 * hot_step_drain() an unplug's drain. */
void hot_step(struct serve_ctx *s, struct hot_dev *d);
void hot_step_idle(struct serve_ctx *s, struct hot_dev *d);
void hot_step_init(struct serve_ctx *s, struct hot_dev *d);
/* hot_step_init() with the request already polled (meminit_request_poll(),
 * which printed the timeout message if it timed out): nothing while
 * PENDING, the step failed when TIMED_OUT, finished when DONE. */
void hot_step_init_polled(struct serve_ctx *s, struct hot_dev *d, enum meminit_poll st);
/* A plug's budget: deadline_tsc = the event's posted_tsc + budget_ms, and
 * the timeout message names budget_ms.  HOT_INIT_TIMEOUT_MS in the live
 * phase; longer for a plug during boot-time init (serve/hotplug.c). */
void hot_step_budget(struct hot_dev *d, uint64_t budget_ms);
void hot_step_drain(struct serve_ctx *s, struct hot_dev *d);
void hot_step_busy(struct serve_ctx *s, struct hot_dev *d);

/* Pure.  The bytes of the next plug step of a region at base (bytes) with
 * online bytes online toward target (> online), or of the next unplug step
 * down to keep (< online): a multiple of unit (itself of block), touching
 * at most HOT_EVENT_MAX_CHUNKS sections, at most VIRTIO_MEM_MAX_BLOCKS
 * blocks; 0 when no whole unit fits.  An unplug step takes the top. */
uint64_t hot_plan_plug(uint64_t base, uint64_t online, uint64_t target, uint64_t unit,
		       uint64_t block);
uint64_t hot_plan_unplug(uint64_t base, uint64_t online, uint64_t keep, uint64_t unit,
			 uint64_t block);
/* Pure.  Registration: does the region [sp, ep) share a section with any
 * node's RAM, device memory or hot region (whose vmemmap the plug-time
 * mapping could not replace)?  why (written), or NULL. */
const char *hot_region_conflict(const struct mm_state *mm, uint64_t sp, uint64_t ep, char *why,
				size_t len);
/* End d's step with status and a reason (the event record says why). */
KPRINTF_FMT(4, 5) void hot_refuse(struct serve_ctx *s, struct hot_dev *d, uint32_t status,
				  const char *fmt, ...);

#endif
