/*
 * Serving virtio-mem while the kernel runs (docs/hotplug.md): the kernel's
 * side of the service.  The step logic is serve/hotplug_step.c; here are
 * the operations it uses in the kernel (hotplug_kernel_ops: the device's
 * requests, page tables, rdtsc, the slots the workload CPUs read), the
 * event record, the pass over the devices and the plug during boot-time
 * init.  Boot CPU only; the workload CPUs see a device's step only through
 * its hot_slot.
 *
 * In the live phase the boot CPU does not block on a step: it polls every
 * device each millisecond and runs its share of the workload in between.
 * It does spin, bounded, in two places: slot_clear() until no CPU holds a
 * finished step's slot (SERVE_PAUSE_MS), and hotplug_during_boot_init()
 * until a boot-time plug's request completes or its budget is over
 * (meminit_request_poll()).
 */
#include <stdarg.h>
#include "hotplug.h"
#include "internal.h"
#include "json.h"
#include "kprintf.h"
#include "kstring.h"
#include "paging.h"
#include "report.h"
#include "tsc.h"
#include "x86.h"

static const char *const op_names[] = { "plug", "unplug" };
static const char *const status_names[] = { "ok", "refused", "nack", "failed", "in_doubt" };

/* ---- the kernel's operations ------------------------------------------------------ */

static void emit_event(const struct serve_ctx *s, const struct hot_dev *d,
		       const struct hot_event *ev)
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
	json_bool(&j, "lazy", ev->lazy);
	/* plug: every struct page complete (lazy: the tails part too) */
	json_u64(&j, "complete_ns", ev->complete_tsc > ev->seen_tsc ?
		 tsc_to_ns(ev->complete_tsc - ev->seen_tsc) : 0);
	json_u64(&j, "tails_ns", ev->tails_ns);
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
	json_u64(&j, "in_doubt_bytes", d->doubt_bytes);
	json_emit(&j);
}

/* The step is over: the slot is free again once no CPU holds its request
 * or is charging its event. */
static void slot_clear(struct serve_ctx *s, struct hot_dev *d)
{
	struct hot_slot *sl = &s->slot[d->idx];
	uint64_t limit = rdtsc() + serve_ms_to_tsc(SERVE_PAUSE_MS);

	/* Sequentially consistent: the store must be visible before users is
	 * read (a store-load pair x86 would otherwise reorder), as the CPU's
	 * locked increment of users is before its load of req or ev
	 * (serve/workload.c help_requests(), record_stall()).  Once users is 0
	 * no CPU charges the event any more: its figures are final. */
	__atomic_store_n(&sl->req, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sl->ev, NULL, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sl->users, __ATOMIC_ACQUIRE) && rdtsc() < limit)
		cpu_relax();
	if (__atomic_load_n(&sl->users, __ATOMIC_ACQUIRE)) {
		kprintf("hotplug: %s: a CPU still holds the finished request\n", d->vd->loc);
		s->failed = true;
	}
}

static void publish(struct serve_ctx *s, struct hot_dev *d, bool req)
{
	/* Release: the event (and the request's chunks, page tables and
	 * vmemmap) before the pointers; pairs with the acquire loads in
	 * serve/workload.c help_requests() and record_stall(). */
	__atomic_store_n(&s->slot[d->idx].ev, d->ev, __ATOMIC_RELEASE);
	if (req)
		__atomic_store_n(&s->slot[d->idx].req, &d->req, __ATOMIC_RELEASE);
}

static uint64_t now_tsc(void)
{
	return rdtsc();
}

const struct hot_ops hotplug_kernel_ops = {
	.now = now_tsc, .plug = virtio_mem_plug, .unplug = virtio_mem_unplug,
	.state = virtio_mem_state, .refresh = virtio_mem_refresh, .restart = virtio_mem_restart,
	.map = hotplug_map, .publish = publish, .retire = slot_clear, .emit = emit_event,
};

void hotplug_unpin(struct serve_ctx *s)
{
	for (uint32_t i = 0; i < s->npinned; i++) {
		buddy_free_pages(&s->mm->plan[s->pinned_nid[i]].node, s->pinned_pfn[i], 0);
		s->pinned_pages[s->pinned_nid[i]]--;
	}
	s->npinned = 0;
}

/* ---- the service's pass ------------------------------------------------------------ */

void hotplug_poll(struct serve_ctx *s)
{
	for (uint32_t i = 0; i < s->ndev && !s->failed; i++)
		hot_step(s, &s->dev[i]);
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

	hotplug_register(s, &hotplug_kernel_ops);
	s->start_tsc = rdtsc();
	for (uint32_t i = 0; i < s->ndev; i++) {
		struct hot_dev *d = &s->dev[i];

		hot_step_idle(s, d);
		if (d->state != HOT_INIT)
			continue;
		d->ev->at_boot = true;
		/* a plug during boot-time init is one cross-call: never lazy */
		d->req.part = MM_INIT_FULL;
		d->ev->lazy = false;
		hot_step_budget(d, budget_ms);
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
			/* The one wait: a timeout names the plug's real budget. */
			enum meminit_poll st = meminit_request_poll(&d->req, rdtsc(),
								    d->deadline_tsc, d->budget_ms);

			if (st == MEMINIT_POLL_PENDING) {
				cpu_relax();
				continue;
			}
			if (st == MEMINIT_POLL_DONE)	/* the nodes still initializing as it was seen complete */
				note_boot_pending(s, d->ev);
			hot_step_init_polled(s, d, st);
		}
		/* the same budget: the call may still be queued behind the DRAM call */
		if (h[i] && smp_call_wait(h[i], budget_ms))
			s->failed = true;
		if (d->state == HOT_INIT) {	/* its CPUs never ran it */
			s->failed = true;
			hot_refuse(s, d, HOT_FAILED, "the plug's cross-call failed");
		}
	}
}
