/*
 * Serving virtio-mem while the kernel runs (docs/hotplug.md).  Boot CPU
 * only; the workload CPUs see a device's step only through its hot_slot.
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
 *
 * The boot CPU never waits for a step: it polls every device each
 * millisecond and runs its share of the workload in between.
 */
#include <stdarg.h>
#include "hotplug.h"
#include "hotplug_internal.h"
#include "json.h"
#include "kprintf.h"
#include "kstring.h"
#include "paging.h"
#include "report.h"
#include "tsc.h"
#include "x86.h"

static const char *const op_names[] = { "plug", "unplug" };
static const char *const status_names[] = { "ok", "refused", "nack", "failed" };

/* ---- events ---------------------------------------------------------------------- */

static struct hot_event *new_event(struct serve_ctx *s, struct hot_dev *d, uint32_t op,
				   uint64_t target)
{
	struct hot_event *ev = s->nevents < HOT_MAX_EVENTS ? &s->event[s->nevents] : &d->scratch;

	*ev = (struct hot_event){ .seq = s->nevents++, .dev = d->idx, .node = d->node, .op = op,
				  .requested_size = target, .seen_tsc = rdtsc() };
	d->ev = ev;
	return ev;
}

static void emit_event(const struct serve_ctx *s, const struct hot_dev *d, const struct hot_event *ev)
{
	uint64_t stall = tsc_to_ns(ev->max_stall_tsc);
	uint64_t ready = ev->done_tsc > ev->seen_tsc ? tsc_to_ns(ev->done_tsc - ev->seen_tsc) : 0;
	struct json j;

	kprintf("hotplug: #%u %s %llu MiB at 0x%llx on node %u (%s): %s%s%s; ", ev->seq,
		op_names[ev->op], (unsigned long long)(ev->bytes >> 20),
		(unsigned long long)ev->addr, ev->node, d->vd->loc, status_names[ev->status],
		ev->reason[0] ? ": " : "", ev->reason);
	if (ev->op == HOT_PLUG || ev->init_ns)	/* an unplug refused by the device inits again */
		kprintf("init %llu us on %u CPUs, allocatable after %llu us",
			(unsigned long long)(ev->init_ns / 1000), cpumask_weight(&ev->cpus),
			(unsigned long long)(ready / 1000));
	else
		kprintf("done after %llu us", (unsigned long long)(ready / 1000));
	kprintf(", longest allocation %llu us\n", (unsigned long long)(stall / 1000));
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "hotplug_event");
	json_u64(&j, "seq", ev->seq);
	json_u64(&j, "device", ev->dev);
	json_str(&j, "pci", d->vd->loc);
	json_u64(&j, "node", ev->node);
	json_str(&j, "op", op_names[ev->op]);
	json_bool(&j, "at_boot", ev->at_boot);
	if (ev->at_boot)
		json_null(&j, "t_ms");	/* before serve_begin */
	else
		json_u64(&j, "t_ms", tsc_to_ns(ev->seen_tsc - s->start_tsc) / 1000000);
	json_arr_begin(&j, "boot_init_pending");
	for (uint32_t i = 0; i < ev->nboot_pending; i++)
		json_u64(&j, NULL, ev->boot_pending[i]);
	json_arr_end(&j);
	json_u64(&j, "requested_size", ev->requested_size);
	json_hex(&j, "addr", ev->addr);
	json_u64(&j, "bytes", ev->bytes);
	json_str(&j, "status", status_names[ev->status]);
	if (ev->reason[0])
		json_str(&j, "reason", ev->reason);
	else
		json_null(&j, "reason");
	report_json_cpus(&j, "cpus", &ev->cpus);
	json_u64(&j, "chunks", ev->chunks);
	json_u64(&j, "init_ns", ev->init_ns);
	json_u64(&j, "allocatable_ns", ready);
	/* where that went: plug request and mappings, then waiting for the
	 * first worker, then init and splice */
	json_u64(&j, "prepare_ns", ev->posted_tsc > ev->seen_tsc ?
		 tsc_to_ns(ev->posted_tsc - ev->seen_tsc) : 0);
	json_u64(&j, "pickup_ns", ev->first_start_tsc > ev->posted_tsc && ev->posted_tsc ?
		 tsc_to_ns(ev->first_start_tsc - ev->posted_tsc) : 0);
	json_u64(&j, "max_stall_ns", stall);
	json_u64(&j, "ops", serve_hist_count(ev->hist));
	json_u64(&j, "op_p50_ns", serve_hist_pct_ns(ev->hist, 50));
	json_u64(&j, "op_p99_ns", serve_hist_pct_ns(ev->hist, 99));
	json_u64(&j, "plugged_size", ev->plugged_size);
	json_u64(&j, "online_bytes", d->online_bytes);
	json_emit(&j);
}

/* The step is over: the slot is free again once no CPU holds its request. */
static void slot_clear(struct serve_ctx *s, struct hot_dev *d)
{
	struct hot_slot *sl = &s->slot[d->idx];
	uint64_t limit = rdtsc() + serve_ms_to_tsc(SERVE_PAUSE_MS);

	/* Sequentially consistent: the store must be visible before users is
	 * read (a store-load pair x86 would otherwise reorder), as the CPU's
	 * locked increment of users is before its load of req. */
	__atomic_store_n(&sl->req, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sl->ev, NULL, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sl->users, __ATOMIC_ACQUIRE) && rdtsc() < limit)
		cpu_relax();
	if (__atomic_load_n(&sl->users, __ATOMIC_ACQUIRE)) {
		kprintf("hotplug: %s: a CPU still holds the finished request\n", d->vd->loc);
		s->failed = true;
	}
}

static void finish(struct serve_ctx *s, struct hot_dev *d, uint32_t status)
{
	struct hot_event *ev = d->ev;
	bool changed;

	if (d->state != HOT_IDLE)
		slot_clear(s, d);
	d->state = HOT_IDLE;
	ev->status = ev->status == HOT_OK ? status : ev->status;
	if (!ev->done_tsc)
		ev->done_tsc = rdtsc();
	if (d->vd->live && !virtio_mem_refresh(d->vd, &changed))
		ev->plugged_size = d->vd->cfg.plugged_size;
	emit_event(s, d, ev);
	s->unchecked = true;
	d->ev = NULL;
}

/* End the step with a reason; the request it served counts as served, so
 * the device is asked again only when the host changes its request. */
static KPRINTF_FMT(4, 5) void refuse(struct serve_ctx *s, struct hot_dev *d, uint32_t status,
				     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(d->ev->reason, sizeof(d->ev->reason), fmt, ap);
	va_end(ap);
	d->served = d->ev->requested_size;
	d->ev->status = status;
	finish(s, d, status);
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
	d->deadline_tsc = rdtsc() + serve_ms_to_tsc(HOT_INIT_TIMEOUT_MS);
	d->ev->posted_tsc = rdtsc();
	__atomic_store_n(&s->slot[d->idx].ev, d->ev, __ATOMIC_RELEASE);
	__atomic_store_n(&s->slot[d->idx].req, r, __ATOMIC_RELEASE);
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
	if (virtio_mem_plug(d->vd, addr, (uint16_t)(bytes / c->block_size), &resp))
		return refuse(s, d, HOT_FAILED, "the PLUG request failed (device reset)");
	if (resp != VIRTIO_MEM_RESP_ACK)
		return refuse(s, d, HOT_NACK, "the device answered %s to PLUG",
			      virtio_mem_resp_name(resp));
	if (hotplug_map(s, d, addr, bytes) ||
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

void hotplug_unpin(struct serve_ctx *s)
{
	for (uint32_t i = 0; i < s->npinned; i++) {
		buddy_free_pages(&s->mm->plan[s->pinned_nid[i]].node, s->pinned_pfn[i], 0);
		s->pinned_pages[s->pinned_nid[i]]--;
	}
	s->npinned = 0;
}

static void poll_init(struct serve_ctx *s, struct hot_dev *d)
{
	struct meminit_request *r = &d->req;
	struct hot_event *ev = d->ev;

	if (!meminit_request_complete(r)) {
		if (rdtsc() > d->deadline_tsc) {
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
	d->deadline_tsc = rdtsc() + serve_ms_to_tsc(HOT_DRAIN_MS);
	__atomic_store_n(&s->slot[d->idx].ev, d->ev, __ATOMIC_RELEASE);
}

static void poll_drain(struct serve_ctx *s, struct hot_dev *d)
{
	uint64_t busy = mm_hot_busy_pages(d->req.node, d->hot, d->range_s, d->range_e);
	char why[sizeof(d->ev->reason)];
	uint16_t resp;

	if (busy && rdtsc() < d->deadline_tsc)
		return;
	if (busy || mm_hot_offline(d->req.node, d->hot, d->range_s, d->range_e, why, sizeof(why))) {
		mm_hot_unisolate(d->req.node, d->hot, d->range_s, d->range_e);
		if (busy)
			return refuse(s, d, HOT_REFUSED, "%llu pages still allocated after %llu ms "
				      "(numaboot does not migrate)", (unsigned long long)busy,
				      (unsigned long long)HOT_DRAIN_MS);
		return refuse(s, d, HOT_REFUSED, "%s", why);
	}
	if (virtio_mem_unplug(d->vd, d->ev->addr, (uint16_t)(d->ev->bytes / d->vd->cfg.block_size),
			      &resp) == 0 && resp == VIRTIO_MEM_RESP_ACK) {
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
	slot_clear(s, d);
	if (post_request(s, d, d->range_s, d->range_e)) {
		s->failed = true;
		finish(s, d, HOT_FAILED);
	}
}

/* ---- the service's pass ------------------------------------------------------------ */

static void poll_idle(struct serve_ctx *s, struct hot_dev *d)
{
	const struct virtio_mem_config *c = &d->vd->cfg;
	bool changed;
	uint64_t target;

	if (!d->vd->live || virtio_mem_refresh(d->vd, &changed))
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

void hotplug_poll(struct serve_ctx *s)
{
	for (uint32_t i = 0; i < s->ndev && !s->failed; i++) {
		struct hot_dev *d = &s->dev[i];

		switch (d->state) {
		case HOT_IDLE: poll_idle(s, d); break;
		case HOT_INIT: poll_init(s, d); break;
		case HOT_DRAIN: poll_drain(s, d); break;
		}
	}
	/* The check runs with no step in flight, so no event's figures hold a pause. */
	if (s->unchecked && !hotplug_busy(s)) {
		bool ok = serve_pause(s);

		ok = ok && serve_check(s, "event", (int64_t)s->nevents - 1);
		serve_resume(s);
		if (!ok)
			s->failed = true;
		s->unchecked = false;
	}
}

/* ---- during boot-time deferred init ----------------------------------------------- */

/* The nodes whose boot DRAM init is still in flight, into the event. */
static void note_boot_pending(const struct serve_ctx *s, struct hot_event *ev)
{
	for (uint32_t nid = 0; nid < s->mm->nnodes; nid++)
		if (ev->nboot_pending < 8 && !meminit_request_complete(&s->mm->plan[nid].dram))
			ev->boot_pending[ev->nboot_pending++] = nid;
}

/*
 * The plug's budget when it queues behind the node's boot-DRAM cross-call:
 * every CPU it goes to runs that call first, and that call may take up to
 * call_timeout_ms (its own deadline, smp_call_wait() in mode_deferred()),
 * so the plug gets that much more than a plug in the live phase.  A fixed
 * deadline would fence the CPUs of a node whose boot DRAM takes longer
 * than it to initialize.  docs/hotplug.md.
 */
static uint64_t boot_plug_budget_ms(void)
{
	return smp_call_timeout_ms() + HOT_INIT_TIMEOUT_MS;
}

void hotplug_during_boot_init(void *ctx)
{
	struct serve_ctx *s = ctx;
	struct smp_call *h[VIRTIO_MEM_MAX] = { 0 };
	uint64_t budget_ms = boot_plug_budget_ms();
	int err;

	hotplug_register(s);
	s->start_tsc = rdtsc();
	for (uint32_t i = 0; i < s->ndev; i++) {
		struct hot_dev *d = &s->dev[i];

		poll_idle(s, d);
		if (d->state != HOT_INIT)
			continue;
		d->ev->at_boot = true;
		d->deadline_tsc = d->ev->posted_tsc + serve_ms_to_tsc(budget_ms);
		d->boot_req = &d->req;
		d->boot_job = (struct meminit_job){ &d->boot_req, 1 };
		h[i] = smp_call_start(&d->req.assigned, meminit_worker, &d->boot_job, &err);
		if (!h[i])
			kprintf("hotplug: %s: its plug could not start on node %u's CPUs (%d)\n",
				d->vd->loc, d->node, err);
	}
	for (uint32_t i = 0; i < s->ndev; i++) {
		struct hot_dev *d = &s->dev[i];

		while (d->state == HOT_INIT && h[i] && !s->failed) {
			/* Note the nodes still initializing at the moment it was seen
			 * complete, then let poll_init() finish it (it would also
			 * finish one that completed after this load). */
			bool done = meminit_request_complete(&d->req);

			if (done)
				note_boot_pending(s, d->ev);
			if (done || rdtsc() > d->deadline_tsc)
				poll_init(s, d);
			else
				cpu_relax();
		}
		/* the same budget: the call may still be queued behind the DRAM call */
		if (h[i] && smp_call_wait(h[i], budget_ms))
			s->failed = true;
		if (d->state == HOT_INIT) {	/* its CPUs never ran it */
			s->failed = true;
			refuse(s, d, HOT_FAILED, "the plug's cross-call failed");
		}
	}
}
