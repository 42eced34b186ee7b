/*
 * The check of the live phase (docs/hotplug.md): with every other CPU
 * parked, every node is verified and its accounting must be exact, kind by
 * kind, and must agree with what the workload and the hot-plug service say
 * they hold.  Boot CPU; after each event (when no step is in flight) and
 * at the beginning and end of the phase.
 */
#include "hotplug.h"
#include "json.h"
#include "kprintf.h"
#include "report.h"

/* Pages the workload holds on nid (its rings), and whether each CPU's own
 * counts balance (allocated - freed = held). */
static uint64_t workload_pages(const struct serve_ctx *s, uint32_t nid, bool *balanced)
{
	uint64_t pages = 0;

	for (uint32_t c = 0; c < s->ncpus; c++) {
		const struct serve_cpu *sc = &s->cpu[c];

		if (sc->allocs - sc->frees != sc->nheld)
			*balanced = false;
		for (uint32_t k = 0; k < sc->nheld; k++) {
			uint32_t i = (sc->head + k) % SERVE_HELD;

			if (sc->held_nid[i] == nid)
				pages += 1ULL << sc->held_order[i];
		}
	}
	return pages;
}

static void report_broken(void *arg, uint64_t pfn, const char *msg)
{
	(void)pfn;
	kprintf("serve: node %u: %s\n", *(const uint32_t *)arg, msg);
}

/* The node's accounting by kind, the kernel's holders included (the
 * workload, the hot-plug service's metadata, the pins): the rule is
 * mm/'s (memmap_account_check()); false (reported) when it breaks. */
static bool account(const struct serve_ctx *s, uint32_t nid, struct memmap_account *a,
		    uint64_t *workload, bool *balanced)
{
	const struct mm_node *n = &s->mm->plan[nid].node;

	*workload = workload_pages(s, nid, balanced);
	memmap_account(n, *workload + s->meta_pages[nid] + s->pinned_pages[nid], a);
	if (memmap_account_check(n, a, NULL, report_broken, &nid) == 0)
		return true;
	kprintf("serve: node %u: allocated %llu pages; the workload holds %llu, the hot-plug "
		"service %llu and the pins %llu\n", nid, (unsigned long long)n->nr_allocated_pages,
		(unsigned long long)*workload, (unsigned long long)s->meta_pages[nid],
		(unsigned long long)s->pinned_pages[nid]);
	return false;
}

static void emit_node(struct json *j, const struct serve_ctx *s, const struct mm_node *n,
		      bool verified, const struct memmap_account *a, uint64_t workload)
{
	json_obj_begin(j, NULL);
	json_u64(j, "node", n->nid);
	json_bool(j, "verified", verified);
	/* the span as the splice and offline move it, with the free counts */
	json_hex(j, "span_start", n->span_start_pfn << PAGE_SHIFT);
	json_hex(j, "span_end", n->span_end_pfn << PAGE_SHIFT);
	json_u64(j, "dram_usable", a->dram.total);
	json_u64(j, "dram_free", a->dram.free);
	json_u64(j, "dram_allocated", a->dram.allocated);
	json_u64(j, "device", a->device_described);
	json_u64(j, "device_memmap", a->device.set_aside);
	json_u64(j, "hot_online", a->hot.total);
	json_u64(j, "hot_memmap", a->hot.set_aside);
	json_u64(j, "hot_free", a->hot.free);
	json_u64(j, "hot_allocated", a->hot.allocated);
	json_u64(j, "workload", workload);
	json_u64(j, "service", s->meta_pages[n->nid]);
	json_u64(j, "pinned", s->pinned_pages[n->nid]);
	json_obj_end(j);
}

bool serve_check(struct serve_ctx *s, const char *when, int64_t seq)
{
	bool ok = true, balanced = true;
	struct json j;

	json_begin(&j, report_json_buf, sizeof(report_json_buf), "serve_check");
	json_str(&j, "when", when);
	if (seq < 0)
		json_null(&j, "after_event");
	else
		json_u64(&j, "after_event", (uint64_t)seq);
	json_arr_begin(&j, "nodes");
	for (uint32_t nid = 0; nid < s->mm->nnodes; nid++) {
		const struct mm_node_plan *p = &s->mm->plan[nid];
		struct memmap_verify_result v;
		struct memmap_account a;
		uint64_t workload;
		bool verified = true;

		if (!mm_plan_has_work(p) && !p->node.nr_hot)
			continue;
		verified = memmap_verify(&p->node, &v) == 0;
		if (!account(s, nid, &a, &workload, &balanced) || !verified)
			ok = false;
		emit_node(&j, s, &p->node, verified, &a, workload);
	}
	json_arr_end(&j);
	if (!balanced) {
		kprintf("serve: a CPU's allocations minus frees differ from what it holds\n");
		ok = false;
	}
	json_bool(&j, "balanced", balanced);
	json_bool(&j, "ok", ok);
	json_emit(&j);
	s->checks++;
	if (!ok) {
		s->checks_failed++;
		kprintf("serve: the check %s (after event %lld) FAILED\n", when, (long long)seq);
	}
	return ok;
}
