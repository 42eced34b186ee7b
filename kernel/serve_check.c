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

struct node_account {
	uint64_t dram_usable, dram_free, dram_allocated;
	uint64_t hot_online, hot_altmap, hot_free, hot_allocated, hot_isolated;
	uint64_t workload, service, pinned;
	uint64_t device, device_memmap;	/* persistent memory: never free nor allocated */
};

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

/* The node's counters by kind; false (reported) when they do not add up. */
static bool account(const struct serve_ctx *s, uint32_t nid, struct node_account *a,
		    bool *balanced)
{
	const struct mm_node *n = &s->mm->plan[nid].node;
	bool ok = true;

	*a = (struct node_account){ .dram_usable = n->ram_usable_pages - n->early_reserved_pages,
				    .service = s->meta_pages[nid], .pinned = s->pinned_pages[nid] };
	for (uint32_t h = 0; h < n->nr_hot; h++) {
		const struct mm_hot_region *r = n->hot[h];

		a->hot_online += r->online_pages;
		a->hot_altmap += r->altmap_pages;
		a->hot_free += r->free_pages;
		a->hot_allocated += r->allocated_pages;
		a->hot_isolated += r->isolated_free_pages;
	}
	for (uint32_t d = 0; d < n->nr_dev; d++)
		a->device += n->dev[d].end_pfn - n->dev[d].start_pfn;
	a->device_memmap = n->nr_device_altmap_pages;
	if (a->device != n->nr_device_pages) {
		kprintf("serve: node %u: device ranges hold %llu pages, %llu initialized\n", nid,
			(unsigned long long)a->device, (unsigned long long)n->nr_device_pages);
		ok = false;
	}
	a->dram_free = n->nr_free_pages - a->hot_free;
	a->dram_allocated = n->nr_allocated_pages - a->hot_allocated;
	a->workload = workload_pages(s, nid, balanced);
	if (a->dram_free + a->dram_allocated != a->dram_usable) {
		kprintf("serve: node %u: DRAM free %llu + allocated %llu != usable %llu\n", nid,
			(unsigned long long)a->dram_free, (unsigned long long)a->dram_allocated,
			(unsigned long long)a->dram_usable);
		ok = false;
	}
	if (a->hot_online - a->hot_altmap != a->hot_free + a->hot_allocated || a->hot_isolated) {
		kprintf("serve: node %u: hot-added online %llu - memmap %llu != free %llu + "
			"allocated %llu (isolated %llu)\n", nid, (unsigned long long)a->hot_online,
			(unsigned long long)a->hot_altmap, (unsigned long long)a->hot_free,
			(unsigned long long)a->hot_allocated, (unsigned long long)a->hot_isolated);
		ok = false;
	}
	if (a->workload + a->service + a->pinned != n->nr_allocated_pages) {
		kprintf("serve: node %u: allocated %llu pages, but the workload holds %llu, the "
			"hot-plug service %llu and the pins %llu\n", nid,
			(unsigned long long)n->nr_allocated_pages, (unsigned long long)a->workload,
			(unsigned long long)a->service, (unsigned long long)a->pinned);
		ok = false;
	}
	return ok;
}

static void emit_node(struct json *j, const struct mm_node *n, bool verified,
		      const struct node_account *a)
{
	json_obj_begin(j, NULL);
	json_u64(j, "node", n->nid);
	json_bool(j, "verified", verified);
	/* the span as the splice and offline move it, with the free counts */
	json_hex(j, "span_start", n->span_start_pfn << PAGE_SHIFT);
	json_hex(j, "span_end", n->span_end_pfn << PAGE_SHIFT);
	json_u64(j, "dram_usable", a->dram_usable);
	json_u64(j, "dram_free", a->dram_free);
	json_u64(j, "dram_allocated", a->dram_allocated);
	json_u64(j, "device", a->device);
	json_u64(j, "device_memmap", a->device_memmap);
	json_u64(j, "hot_online", a->hot_online);
	json_u64(j, "hot_memmap", a->hot_altmap);
	json_u64(j, "hot_free", a->hot_free);
	json_u64(j, "hot_allocated", a->hot_allocated);
	json_u64(j, "workload", a->workload);
	json_u64(j, "service", a->service);
	json_u64(j, "pinned", a->pinned);
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
		struct node_account a;
		bool verified = true;

		if (!mm_plan_has_work(p) && !p->node.nr_hot)
			continue;
		verified = memmap_verify(&p->node, &v) == 0;
		if (!account(s, nid, &a, &balanced) || !verified)
			ok = false;
		emit_node(&j, &p->node, verified, &a);
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
