/*
 * The live phase (serve_s=N, docs/hotplug.md): every CPU allocates and
 * frees on every node while the boot CPU serves virtio-mem changes
 * (serve/hotplug.c).  Each CPU, between two workload operations, helps
 * any hot-plug request in flight whose assigned set holds it: the same
 * worker and chunks as boot memory, picked up by the node's own CPUs with
 * nobody stopped.  The only stops are the checks after each event and at
 * the end (serve_pause): they are verification, outside every figure.
 */
#include "atomic.h"
#include "hotplug.h"
#include "json.h"
#include "kassert.h"
#include "kprintf.h"
#include "report.h"
#include "tsc.h"
#include "x86.h"

/* Help every hot-plug request in flight that this CPU is assigned to.  The
 * users count keeps the boot CPU from reusing a request we still hold. */
static void help_requests(struct serve_ctx *s, uint32_t cpu)
{
	for (uint32_t i = 0; i < VIRTIO_MEM_MAX; i++) {
		struct hot_slot *sl = &s->slot[i];
		struct meminit_request *r;

		if (!__atomic_load_n(&sl->req, __ATOMIC_RELAXED))
			continue;
		__atomic_fetch_add(&sl->users, 1, __ATOMIC_ACQ_REL);
		r = __atomic_load_n(&sl->req, __ATOMIC_ACQUIRE);
		if (r && cpumask_test(&r->assigned, cpu) &&
		    __atomic_load_n(&r->next_chunk, __ATOMIC_RELAXED) < r->nchunks)
			meminit_request_work(r);
		__atomic_fetch_sub(&sl->users, 1, __ATOMIC_RELEASE);
	}
}

/* Charge one operation's latency to every event in flight, or to the
 * CPU's no-event maximum.  The slot's users count is held across the load
 * of the event and the update, as help_requests() holds it for the
 * request: the boot CPU clears the slot (seq_cst store) and then waits for
 * users to drain (acquire, pairing with the release decrement here), so
 * once slot_clear() returns no CPU updates the event any more, and its
 * max_stall_tsc and hist are final when the boot CPU records them. */
static void record_stall(struct serve_ctx *s, struct serve_cpu *c, uint64_t d)
{
	unsigned b = d ? 63 - (unsigned)__builtin_clzll(d) : 0;
	bool any = false;

	if (b >= SERVE_HIST)
		b = SERVE_HIST - 1;
	for (uint32_t i = 0; i < VIRTIO_MEM_MAX; i++) {
		struct hot_slot *sl = &s->slot[i];
		struct hot_event *ev;

		if (!__atomic_load_n(&sl->ev, __ATOMIC_RELAXED))
			continue;
		/* seq_cst: the increment before the load of ev, against the boot
		 * CPU's store of NULL before its load of users (store-load). */
		__atomic_fetch_add(&sl->users, 1, __ATOMIC_SEQ_CST);
		ev = __atomic_load_n(&sl->ev, __ATOMIC_SEQ_CST);
		if (ev) {
			atomic_max_u64(&ev->max_stall_tsc, d);
			__atomic_fetch_add(&ev->hist[b], 1, __ATOMIC_RELAXED);
			any = true;
		}
		__atomic_fetch_sub(&sl->users, 1, __ATOMIC_RELEASE);
	}
	if (any)
		return;
	c->hist[b]++;
	if (d > c->max_stall_tsc)
		c->max_stall_tsc = d;
}

static bool pfn_is_hot(const struct mm_node *n, uint64_t pfn)
{
	return mm_hot_find(n, pfn) != MM_NO_HOT;	/* regions are append-only */
}

/* Free the oldest block of the CPU's ring; returns how long the free itself
 * took (TSC ticks). */
static uint64_t free_oldest(struct serve_ctx *s, struct serve_cpu *c)
{
	uint32_t h = c->head;
	uint64_t t0 = rdtsc(), d;

	buddy_free_pages(&s->mm->plan[c->held_nid[h]].node, c->held_pfn[h], c->held_order[h]);
	d = rdtsc() - t0;
	c->head = (h + 1) % SERVE_HELD;
	c->nheld--;
	c->frees++;
	return d;
}

/* One workload operation: free the oldest block when the ring is full,
 * else allocate a block of order i % 4 on node (i + cpu) % nnodes and
 * write its first word (the memory is really there). */
void serve_step(struct serve_ctx *s, uint32_t cpu, uint64_t i)
{
	struct serve_cpu *c = &s->cpu[cpu];
	uint32_t nid = (uint32_t)((i + cpu) % s->mm->nnodes), order = (uint32_t)(i % 4);
	struct mm_node *n;
	uint64_t t0, pfn;

	help_requests(s, cpu);
	c->ops++;
	if (c->nheld == SERVE_HELD) {
		record_stall(s, c, free_oldest(s, c));
		return;
	}
	n = &s->mm->plan[nid].node;
	t0 = rdtsc();
	pfn = buddy_alloc_pages(n, order);
	record_stall(s, c, rdtsc() - t0);
	if (pfn == PFN_NONE) {
		c->failed++;
		return;
	}
	*(volatile uint64_t *)(pfn << PAGE_SHIFT) = pfn;
	{
		uint32_t slot = (c->head + c->nheld) % SERVE_HELD;

		c->held_pfn[slot] = pfn;
		c->held_nid[slot] = nid;
		c->held_order[slot] = (uint8_t)order;
	}
	c->nheld++;
	c->allocs++;
	c->hot_allocs += pfn_is_hot(n, pfn);
}

/* Free everything this CPU holds (the end of the phase). */
static void serve_release(struct serve_ctx *s, uint32_t cpu)
{
	struct serve_cpu *c = &s->cpu[cpu];

	while (c->nheld)
		free_oldest(s, c);
}

/* A workload CPU parks while the boot CPU checks; bounded, so a boot CPU
 * that died does not leave it spinning for ever. */
static void wait_out_pause(struct serve_ctx *s, struct serve_cpu *c)
{
	uint64_t limit = rdtsc() + serve_ms_to_tsc(6 * SERVE_PAUSE_MS);

	__atomic_fetch_add(&s->parked, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&s->pause, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (rdtsc() > limit) {
			c->pause_timeouts++;
			break;
		}
		cpu_relax();
	}
	__atomic_fetch_sub(&s->parked, 1, __ATOMIC_ACQ_REL);
}

/* The cross-call every CPU but the boot CPU runs for the phase. */
static void serve_worker(void *arg)
{
	struct serve_ctx *s = arg;
	uint32_t cpu = smp_this_cpu();
	struct serve_cpu *c = &s->cpu[cpu];

	for (uint64_t i = 0;; i++) {
		if (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) || rdtsc() > s->end_tsc + serve_ms_to_tsc(
			    HOT_INIT_TIMEOUT_MS + 2 * SERVE_PAUSE_MS))
			break;
		if (__atomic_load_n(&s->pause, __ATOMIC_ACQUIRE)) {
			wait_out_pause(s, c);
			continue;
		}
		serve_step(s, cpu, i);
	}
	serve_release(s, cpu);
}

bool serve_pause(struct serve_ctx *s)
{
	uint64_t limit = rdtsc() + serve_ms_to_tsc(SERVE_PAUSE_MS);

	/* The previous pause's CPUs must have left wait_out_pause() first. */
	while (__atomic_load_n(&s->parked, __ATOMIC_ACQUIRE) && rdtsc() < limit)
		cpu_relax();
	__atomic_store_n(&s->pause, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&s->parked, __ATOMIC_ACQUIRE) < s->ncpus - 1) {
		if (rdtsc() > limit) {
			kprintf("serve: only %u of %u CPUs parked for the check after %u ms\n",
				__atomic_load_n(&s->parked, __ATOMIC_ACQUIRE), s->ncpus - 1,
				SERVE_PAUSE_MS);
			return false;
		}
		cpu_relax();
	}
	return true;
}

void serve_resume(struct serve_ctx *s)
{
	__atomic_store_n(&s->pause, 0, __ATOMIC_RELEASE);
}

static void emit_begin(const struct serve_ctx *s, uint64_t serve_s)
{
	struct json j;

	kprintf("serve: %llu s live: %u CPUs allocating on %u nodes, %u virtio-mem device(s) "
		"served\n", (unsigned long long)serve_s, s->ncpus, s->mm->nnodes, s->ndev);
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "serve_begin");
	json_u64(&j, "serve_s", serve_s);
	json_u64(&j, "cpus", s->ncpus);
	json_arr_begin(&j, "devices");
	for (uint32_t i = 0; i < s->ndev; i++) {
		const struct hot_dev *d = &s->dev[i];
		const struct virtio_mem_config *c = &d->vd->cfg;

		json_obj_begin(&j, NULL);
		json_u64(&j, "index", d->idx);
		json_str(&j, "pci", d->vd->loc);
		json_u64(&j, "node", d->node);
		json_u64(&j, "region_start", c->addr);
		json_u64(&j, "region_size", c->region_size);
		json_u64(&j, "block_size", c->block_size);
		json_u64(&j, "unit", d->unit);
		json_u64(&j, "requested_size", c->requested_size);
		json_u64(&j, "plugged_size", c->plugged_size);
		json_str(&j, "memmap", d->region.memmap_loc == MM_MEMMAP_DEVICE ? "memory" : "dram");
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_emit(&j);
}

static void emit_end(const struct serve_ctx *s, int err)
{
	uint64_t ops = 0, allocs = 0, frees = 0, failed = 0, hot = 0, stall = 0;
	uint64_t hist[SERVE_HIST] = { 0 };
	uint32_t timeouts = 0;
	struct json j;

	for (uint32_t c = 0; c < s->ncpus; c++) {
		for (unsigned b = 0; b < SERVE_HIST; b++)
			hist[b] += s->cpu[c].hist[b];
		ops += s->cpu[c].ops;
		allocs += s->cpu[c].allocs;
		frees += s->cpu[c].frees;
		failed += s->cpu[c].failed;
		hot += s->cpu[c].hot_allocs;
		timeouts += s->cpu[c].pause_timeouts;
		if (s->cpu[c].max_stall_tsc > stall)
			stall = s->cpu[c].max_stall_tsc;
	}
	kprintf("serve: %u events, %llu operations (%llu allocations, %llu on hot-added memory, "
		"%llu failed, %llu frees), longest with no event %llu us, %u checks (%u failed): %s\n",
		s->nevents, (unsigned long long)ops, (unsigned long long)allocs,
		(unsigned long long)hot, (unsigned long long)failed, (unsigned long long)frees,
		(unsigned long long)(tsc_to_ns(stall) / 1000), s->checks, s->checks_failed,
		err ? "FAILED" : "ok");
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "serve_end");
	json_u64(&j, "events", s->nevents);
	json_u64(&j, "ops", ops);
	json_u64(&j, "allocs", allocs);
	json_u64(&j, "frees", frees);
	json_u64(&j, "failed_allocs", failed);
	json_u64(&j, "hot_allocs", hot);
	json_bool(&j, "balanced", allocs == frees);
	json_u64(&j, "max_stall_idle_ns", tsc_to_ns(stall));
	/* the operations with no step in flight: how many, and the upper bound
	 * of the log2 bucket of their median and 99th percentile */
	json_u64(&j, "idle_ops", serve_hist_count(hist));
	json_u64(&j, "idle_op_p50_ns", serve_hist_pct_ns(hist, 50));
	json_u64(&j, "idle_op_p99_ns", serve_hist_pct_ns(hist, 99));
	json_u64(&j, "checks", s->checks);
	json_u64(&j, "checks_failed", s->checks_failed);
	json_u64(&j, "pause_timeouts", timeouts);
	json_bool(&j, "ok", !err);
	json_emit(&j);
}

/* The check after an event, once no step is in flight (so that no event's
 * figures hold a pause): every other CPU parked, then serve_check(). */
static void check_after_event(struct serve_ctx *s)
{
	bool ok;

	if (!s->unchecked || hotplug_busy(s))
		return;
	ok = serve_pause(s);
	ok = ok && serve_check(s, "event", (int64_t)s->nevents - 1);
	serve_resume(s);
	if (!ok)
		s->failed = true;
	s->unchecked = false;
}

/* The boot CPU's loop: serve the devices every millisecond, run the
 * workload in between, until the end; then wait for an event in flight. */
static void boot_loop(struct serve_ctx *s)
{
	uint64_t next_poll = 0, i = 0;

	while (!s->failed) {
		uint64_t now = rdtsc();

		if (now > s->end_tsc && !hotplug_busy(s))
			break;
		if (now > s->end_tsc + serve_ms_to_tsc(HOT_INIT_TIMEOUT_MS)) {
			kprintf("serve: an event still in flight %u ms after the end\n",
				HOT_INIT_TIMEOUT_MS);
			s->failed = true;
			break;
		}
		if (now >= next_poll) {
			hotplug_poll(s);
			check_after_event(s);
			next_poll = rdtsc() + serve_ms_to_tsc(1);
		}
		serve_step(s, 0, i++);
	}
}

int serve_run(struct serve_ctx *s, uint64_t serve_s)
{
	struct smp_call *h = NULL;
	cpumask_t others;
	int err = 0;

	kassert(smp_this_cpu() == 0 && s->cpu && s->ncpus == smp_ncpus());
	smp_online_cpumask(&others);
	cpumask_unset(&others, 0);
	s->start_tsc = rdtsc();
	s->end_tsc = s->start_tsc + serve_ms_to_tsc(serve_s * 1000);
	emit_begin(s, serve_s);
	if (!serve_check(s, "begin", (int64_t)s->nevents - 1))
		s->failed = true;
	s->unchecked = false;	/* events served during boot-time init: checked now */
	if (cpumask_weight(&others))
		h = smp_call_start(&others, serve_worker, s, &err);
	if (!h && cpumask_weight(&others)) {
		kprintf("serve: the workload could not start on the other CPUs (%d)\n", err);
		s->failed = true;
	}
	boot_loop(s);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	serve_release(s, 0);
	hotplug_unpin(s);
	if (h && smp_call_wait(h, HOT_INIT_TIMEOUT_MS + 8 * SERVE_PAUSE_MS))
		s->failed = true;
	__atomic_store_n(&s->pause, 0, __ATOMIC_RELEASE);
	s->parked = 0;
	if (!serve_check(s, "end", (int64_t)s->nevents - 1))
		s->failed = true;
	err = s->failed ? -1 : 0;
	emit_end(s, err);
	return err;
}
