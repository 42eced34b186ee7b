/*
 * The hot-plug service's step logic (docs/hotplug.md "The live system"):
 * what a change of a device's requested size becomes, step by step, and
 * what each answer of the device does to numaboot's view of what is
 * plugged.  Boot CPU only.  Everything outside the memory model (the
 * device, page tables, the clock, the workload CPUs' slots, the event
 * record) is reached through s->ops (serve/internal.h), so this
 * file runs unchanged in the kernel and against the fake device of the
 * host tests and the fuzzer.
 *
 * A device's region [addr, addr + region_size) is a hot-pluggable region of
 * its node (mm/hot_region.c).  What is online is always a prefix,
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
#include "internal.h"
#include "kassert.h"
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
	d->busy_tries = 0;
	return ev;
}

static void stop_serving(struct hot_dev *d, const char *why);

/* End d's step: retire its slot, record and emit its event, back to idle. */
static void end_step(struct serve_ctx *s, struct hot_dev *d, uint32_t status)
{
	struct hot_event *ev = d->ev;
	bool changed;

	if (d->state != HOT_IDLE)
		s->ops->retire(s, d);
	d->state = HOT_IDLE;
	ev->status = ev->status == HOT_OK ? status : ev->status;
	if (!ev->done_tsc)
		ev->done_tsc = now(s);
	if (d->vd->live && !d->stopped)
		s->ops->refresh(d->vd, &changed);
	ev->plugged_size = d->vd->cfg.plugged_size;	/* as last read and accepted */
	s->ops->emit(s, d, ev);
	if (d->vd->cfg_broken && !d->stopped)
		stop_serving(d, "its configuration broke a rule");
	s->unchecked = true;
	d->ev = NULL;
}

/* End the step with a reason; the request it served counts as served, so
 * the device is asked again only when the host changes its request. */
void hot_refuse(struct serve_ctx *s, struct hot_dev *d, uint32_t status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(d->ev->reason, sizeof(d->ev->reason), fmt, ap);
	va_end(ap);
	d->served = d->ev->requested_size;
	d->ev->status = status;
	end_step(s, d, status);
}

/* ---- the next step's range ------------------------------------------------------- */

#define SECTION_BYTES	(PAGES_PER_SECTION << PAGE_SHIFT)

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t hot_plan_plug(uint64_t base, uint64_t online, uint64_t target, uint64_t unit,
		       uint64_t block)
{
	uint64_t start = base + online;
	uint64_t cap_end = (start / SECTION_BYTES + HOT_EVENT_MAX_CHUNKS) * SECTION_BYTES;
	uint64_t bytes = min_u64(target - online, cap_end - start);

	kassert(target > online && unit && block && unit % block == 0);
	bytes = min_u64(bytes, VIRTIO_MEM_MAX_BLOCKS * block);
	return bytes / unit * unit;
}

uint64_t hot_plan_unplug(uint64_t base, uint64_t online, uint64_t keep, uint64_t unit,
			 uint64_t block)
{
	uint64_t end = base + online, top = (end - 1) / SECTION_BYTES, lo = 0, bytes;

	kassert(online > keep && unit && block && unit % block == 0);
	if (top >= HOT_EVENT_MAX_CHUNKS - 1)
		lo = (top - (HOT_EVENT_MAX_CHUNKS - 1)) * SECTION_BYTES;
	bytes = min_u64(online - keep, end - lo);
	bytes = min_u64(bytes, VIRTIO_MEM_MAX_BLOCKS * block);
	return bytes / unit * unit;
}

/* Whether [s, e) and the sections s0..s1 share a section. */
static bool in_sections(uint64_t s, uint64_t e, uint64_t s0, uint64_t s1)
{
	return s < e && pfn_to_section_nr(s) <= s1 && pfn_to_section_nr(e - 1) >= s0;
}

static const char *conflict(char *why, size_t len, const struct mm_node *n, const char *what,
			    uint64_t s, uint64_t e)
{
	ksnprintf(why, len, "shares a 128 MiB section with node %u's %s [0x%llx, 0x%llx)", n->nid,
		  what, (unsigned long long)(s << PAGE_SHIFT), (unsigned long long)(e << PAGE_SHIFT));
	return why;
}

/* Does [sp, ep) share a 128 MiB section with any node's RAM, device or
 * hot region?  That section's vmemmap is theirs: the plug-time mapping of
 * ours would be refused after the device had plugged.  why, or NULL. */
const char *hot_region_conflict(const struct mm_state *mm, uint64_t sp, uint64_t ep, char *why,
				size_t len)
{
	uint64_t s0 = pfn_to_section_nr(sp), s1 = pfn_to_section_nr(ep - 1);

	kassert(sp < ep);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		const struct mm_node *n = &mm->plan[nid].node;

		for (uint32_t i = 0; i < n->nr_present; i++)
			if (in_sections(n->present[i].start_pfn, n->present[i].end_pfn, s0, s1))
				return conflict(why, len, n, "RAM", n->present[i].start_pfn,
						n->present[i].end_pfn);
		for (uint32_t i = 0; i < n->nr_dev; i++)
			if (in_sections(n->dev[i].start_pfn, n->dev[i].end_pfn, s0, s1))
				return conflict(why, len, n, "device memory", n->dev[i].start_pfn,
						n->dev[i].end_pfn);
		for (uint32_t i = 0; i < n->nr_hot; i++)
			if (in_sections(n->hot[i]->start_pfn, n->hot[i]->end_pfn, s0, s1))
				return conflict(why, len, n, "hot-pluggable region",
						n->hot[i]->start_pfn, n->hot[i]->end_pfn);
	}
	return NULL;
}

/* ---- plug ------------------------------------------------------------------------- */

static uint64_t dev_base(const struct hot_dev *d)
{
	return d->region.start_pfn << PAGE_SHIFT;
}

static uint64_t dev_block(const struct hot_dev *d)
{
	return d->region.block_pages << PAGE_SHIFT;
}

static struct mm_node *dev_node(const struct serve_ctx *s, const struct hot_dev *d)
{
	return &s->mm->plan[d->node].node;
}

/* d's init request for [sp, ep) (mm/ builds it, for the node's workers):
 * -1 when its chunks are none or too many. */
static int plan_request(struct serve_ctx *s, struct hot_dev *d, uint64_t sp, uint64_t ep)
{
	struct mm_node_plan *plan = &s->mm->plan[d->node];

	if (meminit_request_hot(&d->req, &plan->node, d->hot, sp, ep, &d->tables, &plan->workers,
				s->hot_cpus))
		return -1;
	d->range_s = sp;
	d->range_e = ep;
	return 0;
}

/* Publish d's planned init request to the node's worker CPUs: whole, or
 * (hot_lazy) its heads part first, hot_step_init_polled() then publishing
 * the rest. */
static void publish_request(struct serve_ctx *s, struct hot_dev *d)
{
	d->ev->chunks = d->req.nchunks;
	d->ev->lazy = s->lazy;
	d->req.part = s->lazy ? MM_INIT_HEADS : MM_INIT_FULL;
	d->state = HOT_INIT;
	d->ev->posted_tsc = now(s);
	hot_step_budget(d, HOT_INIT_TIMEOUT_MS);
	s->ops->publish(s, d, true);
}

/* hot_lazy: the heads part is complete (the blocks are allocatable): the
 * same request again, as the tails part, once no CPU holds the finished
 * one (retire waits for that: a reset under a worker would hand it the
 * new run's chunks half-reset).  Its budget starts now. */
static void publish_tails(struct serve_ctx *s, struct hot_dev *d)
{
	cpumask_t workers = d->req.assigned;

	s->ops->retire(s, d);
	meminit_request_reset(&d->req);
	d->req.assigned = workers;
	d->req.part = MM_INIT_TAILS;
	d->deadline_tsc = now(s) + serve_ms_to_tsc(d->budget_ms);
	s->ops->publish(s, d, true);
}

void hot_step_budget(struct hot_dev *d, uint64_t budget_ms)
{
	d->budget_ms = budget_ms;
	d->deadline_tsc = d->ev->posted_tsc + serve_ms_to_tsc(budget_ms);
}

static void note(struct hot_dev *d, const char *fmt, ...) KPRINTF_FMT(2, 3);
static void note(struct hot_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(d->ev->reason, sizeof(d->ev->reason), fmt, ap);
	va_end(ap);
}

/* Stop serving d: what is online stays online and accounted, the device is
 * asked nothing more. */
static void stop_serving(struct hot_dev *d, const char *why)
{
	d->stopped = true;
	kprintf("hotplug: %s: no longer served (%s); %llu MiB stay online, %llu MiB kept offline "
		"in doubt\n", d->vd->loc, why, (unsigned long long)(d->online_bytes >> 20),
		(unsigned long long)(d->doubt_bytes >> 20));
}

static void after_silence(struct serve_ctx *s, struct hot_dev *d);
static void busy(struct serve_ctx *s, struct hot_dev *d);

static void send_plug(struct serve_ctx *s, struct hot_dev *d)
{
	uint16_t resp;

	if (s->ops->plug(d->vd, d->ev->addr, d->ev->bytes / dev_block(d), &resp)) {
		if (!d->vd->live)
			return after_silence(s, d);
		return hot_refuse(s, d, HOT_REFUSED, "the PLUG request was refused before it was sent");
	}
	if (resp == VIRTIO_MEM_RESP_BUSY)
		return busy(s, d);
	if (resp != VIRTIO_MEM_RESP_ACK)
		return hot_refuse(s, d, HOT_NACK, "the device answered %s to PLUG",
			      virtio_mem_resp_name(resp));
	publish_request(s, d);	/* nothing left that can refuse it */
}

/* Everything that could refuse the step after the device has plugged (its
 * chunks, its mappings) is done before it is asked. */
static void start_plug(struct serve_ctx *s, struct hot_dev *d, uint64_t target)
{
	uint64_t addr = dev_base(d) + d->online_bytes;
	uint64_t bytes = hot_plan_plug(dev_base(d), d->online_bytes, target, d->unit, dev_block(d));

	d->ev->addr = addr;
	d->ev->bytes = bytes;
	if (!bytes)
		return hot_refuse(s, d, HOT_REFUSED, "%llu bytes more is not a multiple of the plug "
			      "unit (%llu bytes)", (unsigned long long)(target - d->online_bytes),
			      (unsigned long long)d->unit);
	if (plan_request(s, d, addr >> PAGE_SHIFT, (addr + bytes) >> PAGE_SHIFT))
		return hot_refuse(s, d, HOT_REFUSED, "%llu bytes at 0x%llx are no range of at most %u "
			      "sections of offline blocks: PLUG not sent", (unsigned long long)bytes,
			      (unsigned long long)addr, HOT_EVENT_MAX_CHUNKS);
	if (s->ops->map(s, d, addr, bytes))
		return hot_refuse(s, d, HOT_REFUSED, "no memory or page tables to map %llu bytes at "
			      "0x%llx: PLUG not sent", (unsigned long long)bytes,
			      (unsigned long long)addr);
	send_plug(s, d);
}

/* debug_hot_pin=N (a test aid): hold N pages of what was just plugged until
 * the end of the phase, so that an unplug of it finds them allocated. */
static void pin_pages(struct serve_ctx *s, struct hot_dev *d)
{
	struct mm_node *n = dev_node(s, d);

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
	hot_step_init_polled(s, d, meminit_request_poll(&d->req, now(s), d->deadline_tsc,
							 d->budget_ms));
}

void hot_step_init_polled(struct serve_ctx *s, struct hot_dev *d, enum meminit_poll st)
{
	const struct meminit_request *r = &d->req;
	struct hot_event *ev = d->ev;

	if (st == MEMINIT_POLL_PENDING)
		return;
	if (st == MEMINIT_POLL_TIMED_OUT) {	/* reported by the poll */
		s->failed = true;
		return hot_refuse(s, d, HOT_FAILED, "the node's CPUs did not finish %llu of its chunks "
			      "in time", (unsigned long long)(r->nchunks -
				      __atomic_load_n(&r->next_splice, __ATOMIC_RELAXED)));
	}
	if (r->failures) {
		s->failed = true;
		return hot_refuse(s, d, HOT_FAILED, "%u chunks refused by the initializer",
			      r->failures);
	}
	if (r->part == MM_INIT_TAILS) {	/* the rest of a lazy plug: complete now */
		ev->complete_tsc = r->complete_tsc;
		ev->tails_ns = r->end_tsc > r->start_tsc ? tsc_to_ns(r->end_tsc - r->start_tsc) : 0;
		cpumask_or(&ev->cpus, &r->ran);
	} else {
		ev->done_tsc = r->complete_tsc;
		ev->complete_tsc = r->complete_tsc;
		ev->first_start_tsc = r->start_tsc;
		ev->init_ns = r->end_tsc > r->start_tsc ? tsc_to_ns(r->end_tsc - r->start_tsc) : 0;
		ev->cpus = r->ran;
		if (r->part == MM_INIT_HEADS)
			return publish_tails(s, d);
	}
	if (ev->op == HOT_PLUG) {
		d->online_bytes += ev->bytes;
		pin_pages(s, d);
	}
	/* else: an unplug the device refused, onlined again: online_bytes stays */
	if (d->online_bytes == ev->requested_size)
		d->served = ev->requested_size;
	end_step(s, d, ev->status);
}

/* ---- unplug ----------------------------------------------------------------------- */

static void start_unplug(struct serve_ctx *s, struct hot_dev *d, uint64_t target)
{
	uint64_t keep = (target + d->unit - 1) / d->unit * d->unit, addr = dev_base(d);
	char why[sizeof(d->ev->reason)];

	d->ev->bytes = d->online_bytes > keep ?
		hot_plan_unplug(addr, d->online_bytes, keep, d->unit, dev_block(d)) : 0;
	d->ev->addr = addr + d->online_bytes - d->ev->bytes;
	if (!d->ev->bytes)
		return hot_refuse(s, d, HOT_REFUSED, "%llu bytes less is not a multiple of the plug "
			      "unit (%llu bytes)", (unsigned long long)(d->online_bytes - target),
			      (unsigned long long)d->unit);
	d->range_s = d->ev->addr >> PAGE_SHIFT;
	d->range_e = (addr + d->online_bytes) >> PAGE_SHIFT;
	if (mm_hot_isolate(dev_node(s, d), d->hot, d->range_s, d->range_e, why, sizeof(why)))
		return hot_refuse(s, d, HOT_REFUSED, "%s", why);
	d->state = HOT_DRAIN;
	d->deadline_tsc = now(s) + serve_ms_to_tsc(HOT_DRAIN_MS);
	s->ops->publish(s, d, false);
}

/* The step's blocks (offline) are unplugged: the request is served once
 * online_bytes is the request rounded up to the unit (as near as it gets). */
static void unplugged(struct serve_ctx *s, struct hot_dev *d, uint32_t status)
{
	uint64_t keep = (d->ev->requested_size + d->unit - 1) / d->unit * d->unit;

	d->online_bytes -= d->ev->bytes;
	if (d->online_bytes <= keep)
		d->served = d->ev->requested_size;
	end_step(s, d, status);
}

/* The device kept the step's blocks (offline): they are ours again,
 * initialized anew; the request counts as served. */
static void unplug_kept(struct serve_ctx *s, struct hot_dev *d, uint32_t status)
{
	d->ev->status = status;
	d->served = d->ev->requested_size;
	s->ops->retire(s, d);
	if (plan_request(s, d, d->range_s, d->range_e)) {
		s->failed = true;
		return end_step(s, d, HOT_FAILED);
	}
	publish_request(s, d);
}

static void send_unplug(struct serve_ctx *s, struct hot_dev *d)
{
	uint16_t resp;

	if (s->ops->unplug(d->vd, d->ev->addr, d->ev->bytes / dev_block(d), &resp)) {
		if (!d->vd->live)
			return after_silence(s, d);
		note(d, "the UNPLUG request was refused before it was sent: blocks onlined again");
		return unplug_kept(s, d, HOT_REFUSED);
	}
	if (resp == VIRTIO_MEM_RESP_BUSY)
		return busy(s, d);
	if (resp == VIRTIO_MEM_RESP_ACK)
		return unplugged(s, d, HOT_OK);
	note(d, "the device answered %s to UNPLUG: blocks onlined again",
	     virtio_mem_resp_name(resp));
	unplug_kept(s, d, HOT_NACK);
}

void hot_step_drain(struct serve_ctx *s, struct hot_dev *d)
{
	uint64_t busy_pages = mm_hot_busy_pages(dev_node(s, d), d->hot, d->range_s, d->range_e);
	char why[sizeof(d->ev->reason)];

	if (busy_pages && now(s) < d->deadline_tsc)
		return;
	if (busy_pages ||
	    mm_hot_offline(dev_node(s, d), d->hot, d->range_s, d->range_e, why, sizeof(why))) {
		mm_hot_unisolate(dev_node(s, d), d->hot, d->range_s, d->range_e);
		if (busy_pages)
			return hot_refuse(s, d, HOT_REFUSED, "%llu pages still allocated after %llu ms "
				      "(numaboot does not migrate)", (unsigned long long)busy_pages,
				      (unsigned long long)HOT_DRAIN_MS);
		return hot_refuse(s, d, HOT_REFUSED, "%s", why);
	}
	send_unplug(s, d);
}

/* ---- a device that is busy or silent ------------------------------------------------ */

/* BUSY (§5.15.6: the device cannot process the request now) is retried
 * after HOT_BUSY_FIRST_MS, doubling up to HOT_BUSY_MAX_MS, HOT_BUSY_RETRIES
 * times; then the step gives up (a plug: nothing plugged; an unplug: the
 * blocks onlined again). */
_Static_assert(HOT_BUSY_RETRIES < 32, "the backoff shift stays in range");

static void busy(struct serve_ctx *s, struct hot_dev *d)
{
	uint64_t ms = (uint64_t)HOT_BUSY_FIRST_MS << d->busy_tries;

	if (d->busy_tries >= HOT_BUSY_RETRIES) {
		if (d->ev->op == HOT_PLUG)
			return hot_refuse(s, d, HOT_NACK, "the device answered busy to PLUG %u times: "
				      "given up", d->busy_tries + 1);
		note(d, "the device answered busy to UNPLUG %u times: given up, blocks onlined "
		     "again", d->busy_tries + 1);
		return unplug_kept(s, d, HOT_NACK);
	}
	d->busy_tries++;
	d->state = HOT_BUSY;
	d->deadline_tsc = now(s) + serve_ms_to_tsc(ms < HOT_BUSY_MAX_MS ? ms : HOT_BUSY_MAX_MS);
}

void hot_step_busy(struct serve_ctx *s, struct hot_dev *d)
{
	if (now(s) < d->deadline_tsc)
		return;
	if (d->ev->op == HOT_PLUG)
		send_plug(s, d);
	else
		send_unplug(s, d);
}

/* The step's range stays offline: numaboot does not know whether the
 * device has it plugged.  The device is served no more. */
static void in_doubt(struct serve_ctx *s, struct hot_dev *d, const char *why)
{
	if (d->ev->op == HOT_UNPLUG)
		d->online_bytes -= d->ev->bytes;	/* offline already */
	d->doubt_bytes = d->ev->bytes;
	d->served = d->ev->requested_size;
	note(d, "no answer to %s, %s: [0x%llx, 0x%llx) kept offline, in doubt",
	     d->ev->op == HOT_PLUG ? "PLUG" : "UNPLUG", why, (unsigned long long)d->ev->addr,
	     (unsigned long long)(d->ev->addr + d->ev->bytes));
	stop_serving(d, "a request left unanswered");
	end_step(s, d, HOT_DOUBT);
}

/*
 * The request was not answered (timeout, or a broken used entry): the
 * transport reset the device, and a reset does not undo a plug or unplug,
 * so the step may have happened.  Start the device again (no UNPLUG_ALL)
 * and ask it (STATE over the step's range, §5.15.6.4): all plugged or all
 * unplugged decides; anything else (no restart, no ACK, MIXED) leaves the
 * range in doubt.
 */
static void after_silence(struct serve_ctx *s, struct hot_dev *d)
{
	const char *op = d->ev->op == HOT_PLUG ? "PLUG" : "UNPLUG";
	uint16_t resp = VIRTIO_MEM_RESP_ERROR, range_state = VIRTIO_MEM_STATE_MIXED;
	bool plugged;

	if (s->ops->restart(d->vd))
		return in_doubt(s, d, "the device could not be started again");
	if (s->ops->state(d->vd, d->ev->addr, d->ev->bytes / dev_block(d), &resp, &range_state) ||
	    resp != VIRTIO_MEM_RESP_ACK || range_state == VIRTIO_MEM_STATE_MIXED)
		return in_doubt(s, d, resp == VIRTIO_MEM_RESP_ACK ? "STATE: mixed" :
				d->vd->live ? "STATE refused" : "STATE unanswered");
	plugged = range_state == VIRTIO_MEM_STATE_PLUGGED;
	note(d, "no answer to %s; after a restart STATE said %s", op,
	     plugged ? "plugged" : "unplugged");
	d->ev->status = HOT_FAILED;
	if (d->ev->op == HOT_PLUG && plugged)
		return publish_request(s, d);
	if (d->ev->op == HOT_PLUG) {
		d->served = d->ev->requested_size;
		return end_step(s, d, HOT_FAILED);
	}
	if (plugged)
		return unplug_kept(s, d, HOT_FAILED);
	unplugged(s, d, HOT_FAILED);
}

/* ---- the service's pass ------------------------------------------------------------ */

void hot_step_idle(struct serve_ctx *s, struct hot_dev *d)
{
	const struct virtio_mem_config *c = &d->vd->cfg;
	bool changed;
	uint64_t target;

	if (d->stopped || !d->vd->live)
		return;
	if (s->ops->refresh(d->vd, &changed)) {
		if (d->vd->cfg_broken)
			stop_serving(d, "its configuration broke a rule");
		return;
	}
	target = c->requested_size;
	if (target == d->served)
		return;
	if (target == d->online_bytes) {	/* back where it was: nothing to do */
		d->served = target;
		return;
	}
	new_event(s, d, target > d->online_bytes ? HOT_PLUG : HOT_UNPLUG, target);
	if (target > c->usable_region_size || target > c->region_size)
		return hot_refuse(s, d, HOT_REFUSED, "requested %llu bytes, above the usable region "
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
	case HOT_BUSY: hot_step_busy(s, d); break;
	}
}
