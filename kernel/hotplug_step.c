/*
 * The hot-plug service's step logic (docs/hotplug.md "The live system"):
 * what a change of a device's requested size becomes, step by step, and
 * what each answer of the device does to numaboot's view of what is
 * plugged.  Boot CPU only.  Everything outside the memory model (the
 * device, page tables, the clock, the workload CPUs' slots, the event
 * record) is reached through s->ops (kernel/hotplug_internal.h), so this
 * file runs unchanged in the kernel and against the fake device of the
 * host tests and the fuzzer.
 *
 * A device's region [addr, addr + region_size) is a hot-pluggable region of
 * its node (mm/hotplug.c).  What is online is always a prefix,
 * [addr, addr + online_bytes): a plug step adds the next blocks, an unplug
 * step takes the top ones away (as Linux's virtio-mem prefers).  A step:
 *
 *   plug    PLUG request -> map the blocks and their vmemmap -> an init
 *           request of the blocks' sections, published in the device's
 *           slot -> the node's worker CPUs take its chunks between two
 *           allocations, each chunk spliced into the live node under its
 *           lock -> complete: the pages are allocatable.
 *   unplug  isolate the top blocks (nothing more is allocated there) ->
 *           the workload frees what it holds there (bounded wait) ->
 *           offline -> UNPLUG request (refused by the device: the blocks
 *           are initialized again and spliced back).
 */
#include <stdarg.h>
#include "hotplug.h"
#include "hotplug_internal.h"
#include "kprintf.h"

static uint64_t now(const struct serve_ctx *s)
{
	return s->ops->now();
}

/* ---- events ---------------------------------------------------------------------- */

static struct hot_event *new_event(struct serve_ctx *s, struct hot_dev *d, uint32_t op,
				   uint64_t target)
{
	struct hot_event *ev = s->nevents < HOT_MAX_EVENTS ? &s->event[s->nevents] : &d->scratch;

	*ev = (struct hot_event){ .seq = s->nevents++, .dev = d->idx, .node = d->node, .op = op,
				  .requested_size = target, .seen_tsc = now(s) };
	d->ev = ev;
	return ev;
}

static void finish(struct serve_ctx *s, struct hot_dev *d, uint32_t status)
{
	struct hot_event *ev = d->ev;
	bool changed;

	if (d->state != HOT_IDLE)
		s->ops->retire(s, d);
	d->state = HOT_IDLE;
	ev->status = ev->status == HOT_OK ? status : ev->status;
	if (!ev->done_tsc)
		ev->done_tsc = now(s);
	if (d->vd->live && !s->ops->refresh(d->vd, &changed))
		ev->plugged_size = d->vd->cfg.plugged_size;
	s->ops->emit(s, d, ev);
	s->unchecked = true;
	d->ev = NULL;
}

/* End the step with a reason; the request it served counts as served, so
 * the device is asked again only when the host changes its request. */
void hot_vrefuse(struct serve_ctx *s, struct hot_dev *d, uint32_t status, const char *fmt,
		 va_list ap)
{
	kvsnprintf(d->ev->reason, sizeof(d->ev->reason), fmt, ap);
	d->served = d->ev->requested_size;
	d->ev->status = status;
	finish(s, d, status);
}

static KPRINTF_FMT(4, 5) void refuse(struct serve_ctx *s, struct hot_dev *d, uint32_t status,
				     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hot_vrefuse(s, d, status, fmt, ap);
	va_end(ap);
}

/* ---- plug ------------------------------------------------------------------------- */

/* Publish the init request of [sp, ep) to the node's worker CPUs. */
static int post_request(struct serve_ctx *s, struct hot_dev *d, uint64_t sp, uint64_t ep)
{
	struct meminit_request *r = &d->req;
	struct mm_node_plan *plan = &s->mm->plan[d->node];

	r->nchunks = mm_hot_chunks(r->node, d->hot, sp, ep, r->chunks, HOT_EVENT_MAX_CHUNKS);
	if (r->nchunks == 0 || r->nchunks > HOT_EVENT_MAX_CHUNKS)
		return -1;
	r->pages = ep - sp;
	meminit_request_reset(r);
	r->assigned = plan->workers;
	if (s->hot_cpus)	/* hot_cpus=N (a bench aid): the node's first N workers */
		for (uint32_t c = 0, n = 0; c < SMP_MAX_CPUS; c++)
			if (cpumask_test(&r->assigned, c) && ++n > s->hot_cpus)
				cpumask_unset(&r->assigned, c);
	d->range_s = sp;
	d->range_e = ep;
	d->ev->chunks = r->nchunks;
	d->state = HOT_INIT;
	d->deadline_tsc = now(s) + serve_ms_to_tsc(HOT_INIT_TIMEOUT_MS);
	d->ev->posted_tsc = now(s);
	s->ops->publish(s, d, true);
	return 0;
}

static void start_plug(struct serve_ctx *s, struct hot_dev *d, uint64_t target)
{
	const struct virtio_mem_config *c = &d->vd->cfg;
	uint64_t cap = HOT_EVENT_MAX_CHUNKS * (PAGES_PER_SECTION << PAGE_SHIFT);
	uint64_t bytes = (target - d->online_bytes) / d->unit * d->unit, addr;
	uint16_t resp;

	if (bytes > cap)
		bytes = cap / d->unit * d->unit;
	d->ev->addr = addr = c->addr + d->online_bytes;
	d->ev->bytes = bytes;
	if (!bytes)
		return refuse(s, d, HOT_REFUSED, "%llu bytes more is not a multiple of the plug "
			      "unit (%llu bytes)", (unsigned long long)(target - d->online_bytes),
			      (unsigned long long)d->unit);
	if (s->ops->plug(d->vd, addr, bytes / c->block_size, &resp))
		return refuse(s, d, HOT_FAILED, "the PLUG request failed (device reset)");
	if (resp != VIRTIO_MEM_RESP_ACK)
		return refuse(s, d, HOT_NACK, "the device answered %s to PLUG",
			      virtio_mem_resp_name(resp));
	if (s->ops->map(s, d, addr, bytes) ||
	    post_request(s, d, addr >> PAGE_SHIFT, (addr + bytes) >> PAGE_SHIFT)) {
		s->failed = true;
		return refuse(s, d, HOT_FAILED, "no memory or page tables to map %llu bytes at 0x%llx",
			      (unsigned long long)bytes, (unsigned long long)addr);
	}
}

/* debug_hot_pin=N (a test aid): hold N pages of what was just plugged until
 * the end of the phase, so that an unplug of it finds them allocated. */
static void pin_pages(struct serve_ctx *s, struct hot_dev *d)
{
	struct mm_node *n = d->req.node;

	for (uint32_t i = 0; i < s->pin && s->npinned < SERVE_MAX_PINNED; i++) {
		uint64_t pfn = buddy_alloc_pages(n, 0);

		if (pfn == PFN_NONE)
			return;
		if (pfn < d->range_s || pfn >= d->range_e) {	/* not the new memory */
			buddy_free_pages(n, pfn, 0);
			return;
		}
		s->pinned_pfn[s->npinned] = pfn;
		s->pinned_nid[s->npinned++] = d->node;
		s->pinned_pages[d->node]++;
	}
}

void hot_step_init(struct serve_ctx *s, struct hot_dev *d)
{
	struct meminit_request *r = &d->req;
	struct hot_event *ev = d->ev;

	if (!meminit_request_complete(r)) {
		if (now(s) > d->deadline_tsc) {
			kprintf("hotplug: %s: %u of %u chunks published after %u ms\n", d->vd->loc,
				r->next_splice, r->nchunks, HOT_INIT_TIMEOUT_MS);
			s->failed = true;
			refuse(s, d, HOT_FAILED, "the node's CPUs did not finish %llu of its chunks "
			       "in time", (unsigned long long)(r->nchunks - r->next_splice));
		}
		return;
	}
	ev->done_tsc = r->complete_tsc;
	ev->first_start_tsc = r->start_tsc;
	ev->init_ns = r->end_tsc > r->start_tsc ? tsc_to_ns(r->end_tsc - r->start_tsc) : 0;
	ev->cpus = r->ran;
	if (r->failures) {
		s->failed = true;
		return refuse(s, d, HOT_FAILED, "%u chunks refused by the initializer",
			      r->failures);
	}
	if (ev->op == HOT_PLUG) {
		d->online_bytes += ev->bytes;
		pin_pages(s, d);
	}
	/* else: an unplug the device refused, onlined again: online_bytes stays */
	if (d->online_bytes == ev->requested_size)
		d->served = ev->requested_size;
	finish(s, d, ev->status);
}

/* ---- unplug ----------------------------------------------------------------------- */

static void start_unplug(struct serve_ctx *s, struct hot_dev *d, uint64_t target)
{
	uint64_t keep = (target + d->unit - 1) / d->unit * d->unit, addr = d->vd->cfg.addr;
	char why[sizeof(d->ev->reason)];

	d->ev->addr = addr + keep;
	d->ev->bytes = d->online_bytes > keep ? d->online_bytes - keep : 0;
	if (!d->ev->bytes)
		return refuse(s, d, HOT_REFUSED, "%llu bytes less is not a multiple of the plug "
			      "unit (%llu bytes)", (unsigned long long)(d->online_bytes - target),
			      (unsigned long long)d->unit);
	d->range_s = (addr + keep) >> PAGE_SHIFT;
	d->range_e = (addr + d->online_bytes) >> PAGE_SHIFT;
	if (mm_hot_isolate(d->req.node, d->hot, d->range_s, d->range_e, why, sizeof(why)))
		return refuse(s, d, HOT_REFUSED, "%s", why);
	d->state = HOT_DRAIN;
	d->deadline_tsc = now(s) + serve_ms_to_tsc(HOT_DRAIN_MS);
	s->ops->publish(s, d, false);
}

void hot_step_drain(struct serve_ctx *s, struct hot_dev *d)
{
	uint64_t busy = mm_hot_busy_pages(d->req.node, d->hot, d->range_s, d->range_e);
	char why[sizeof(d->ev->reason)];
	uint16_t resp;

	if (busy && now(s) < d->deadline_tsc)
		return;
	if (busy || mm_hot_offline(d->req.node, d->hot, d->range_s, d->range_e, why, sizeof(why))) {
		mm_hot_unisolate(d->req.node, d->hot, d->range_s, d->range_e);
		if (busy)
			return refuse(s, d, HOT_REFUSED, "%llu pages still allocated after %llu ms "
				      "(numaboot does not migrate)", (unsigned long long)busy,
				      (unsigned long long)HOT_DRAIN_MS);
		return refuse(s, d, HOT_REFUSED, "%s", why);
	}
	if (s->ops->unplug(d->vd, d->ev->addr, d->ev->bytes / d->vd->cfg.block_size, &resp) == 0 &&
	    resp == VIRTIO_MEM_RESP_ACK) {
		/* online_bytes is now the request rounded up to the unit: as near
		 * as it gets, so the request is served */
		d->online_bytes -= d->ev->bytes;
		d->served = d->ev->requested_size;
		return finish(s, d, HOT_OK);
	}
	/* The device kept the blocks: they are ours again, initialized anew. */
	ksnprintf(d->ev->reason, sizeof(d->ev->reason), "the device answered %s to UNPLUG: "
		  "blocks onlined again", d->vd->live ? virtio_mem_resp_name(resp) : "nothing");
	d->ev->status = d->vd->live ? HOT_NACK : HOT_FAILED;
	d->served = d->ev->requested_size;
	s->ops->retire(s, d);
	if (post_request(s, d, d->range_s, d->range_e)) {
		s->failed = true;
		finish(s, d, HOT_FAILED);
	}
}

/* ---- the service's pass ------------------------------------------------------------ */

void hot_step_idle(struct serve_ctx *s, struct hot_dev *d)
{
	const struct virtio_mem_config *c = &d->vd->cfg;
	bool changed;
	uint64_t target;

	if (!d->vd->live || s->ops->refresh(d->vd, &changed))
		return;
	target = c->requested_size;
	if (target == d->served)
		return;
	if (target == d->online_bytes) {	/* back where it was: nothing to do */
		d->served = target;
		return;
	}
	new_event(s, d, target > d->online_bytes ? HOT_PLUG : HOT_UNPLUG, target);
	if (target > c->usable_region_size || target > c->region_size)
		return refuse(s, d, HOT_REFUSED, "requested %llu bytes, above the usable region "
			      "(%llu bytes)", (unsigned long long)target,
			      (unsigned long long)c->usable_region_size);
	if (target > d->online_bytes)
		start_plug(s, d, target);
	else
		start_unplug(s, d, target);
}

bool hotplug_busy(const struct serve_ctx *s)
{
	for (uint32_t i = 0; i < s->ndev; i++)
		if (s->dev[i].state != HOT_IDLE)
			return true;
	return false;
}

void hot_step(struct serve_ctx *s, struct hot_dev *d)
{
	switch (d->state) {
	case HOT_IDLE: hot_step_idle(s, d); break;
	case HOT_INIT: hot_step_init(s, d); break;
	case HOT_DRAIN: hot_step_drain(s, d); break;
	}
}
