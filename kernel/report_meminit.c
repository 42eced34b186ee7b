/*
 * The memory-init report: bandwidth, warm-up, every mode per node, and a
 * closing table of the modes, as human lines and JSON records (docs/output.md,
 * docs/meminit.md), from the results mm/ returned.  Boot CPU only.
 */
#include <stdint.h>
#include "json.h"
#include "kprintf.h"
#include "meminit.h"
#include "report.h"

/* Milli-GiB per second for bytes in ns. */
static uint64_t mgib_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? (uint64_t)((unsigned __int128)bytes * 1000000000000ULL / ((unsigned __int128)ns << 30)) : 0;
}

/* A bw_result's fields at the current level of a JSON record. */
static void json_bw_fields(struct json *j, const struct bw_result *b)
{
	json_u64(j, "cpus", b->cpus);
	json_u64(j, "bytes", b->bytes);
	for (uint32_t m = 0; m < BW_NMETHODS; m++) {
		json_obj_begin(j, bw_method_names[m]);
		json_u64(j, "ns", b->ns[m]);
		json_fixed(j, "gib_per_s", (int64_t)mgib_per_s(b->bytes, b->ns[m]), 3);
		json_obj_end(j);
	}
	json_str(j, "best", bw_method_names[b->best]);
	json_u64(j, "best_bytes_per_s", b->best_bytes_per_s);
}

static void report_bandwidth(const struct meminit_bw *bw, uint32_t nid)
{
	const struct bw_result *b = &bw->alone[nid];
	struct json j;

	kprintf("bandwidth: node %u, %u cpus, %llu MiB: plain %llu, nontemporal %llu, rep stos %llu MiB/s",
		nid, b->cpus, (unsigned long long)(b->bytes >> 20),
		(unsigned long long)(mgib_per_s(b->bytes, b->ns[BW_PLAIN]) * 1024 / 1000),
		(unsigned long long)(mgib_per_s(b->bytes, b->ns[BW_NONTEMPORAL]) * 1024 / 1000),
		(unsigned long long)(mgib_per_s(b->bytes, b->ns[BW_REP_STOS]) * 1024 / 1000));
	if (bw->conc[nid].best_bytes_per_s)
		kprintf("; best %llu MiB/s with every node at once\n",
			(unsigned long long)(bw->conc[nid].best_bytes_per_s >> 20));
	else
		kprintf("\n");
	/* Top-level fields: the node alone (the serial and hop denominator). */
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "bandwidth");
	json_u64(&j, "node", nid);
	json_bw_fields(&j, b);
	if (bw->conc[nid].best_bytes_per_s) {
		json_obj_begin(&j, "concurrent");
		json_bw_fields(&j, &bw->conc[nid]);
		json_obj_end(&j);
	} else {
		json_null(&j, "concurrent");
	}
	json_emit(&j);
}

static void report_warmup(const struct mm_state *mm, const struct meminit_warmup *w)
{
	uint64_t pages = 0;
	struct json j;

	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		pages += mm->plan[nid].dram.pages;
	kprintf("meminit: warm-up (cold parallel pass, untimed for the modes): %u cpu(s), %llu.%03llu ms\n",
		w->cpus, (unsigned long long)(w->ns / 1000000), (unsigned long long)(w->ns / 1000 % 1000));
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "meminit_warmup");
	json_u64(&j, "cpus", w->cpus);
	json_u64(&j, "pages", pages);
	json_u64(&j, "ns", w->ns);
	json_fixed(&j, "ram_gib_per_s", (int64_t)mgib_per_s(pages << PAGE_SHIFT, w->ns), 3);
	json_arr_begin(&j, "nodes");
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		if (!mm_plan_has_work(&mm->plan[nid]))
			continue;
		json_obj_begin(&j, NULL);
		json_u64(&j, "node", nid);
		json_u64(&j, "cpus", w->node_cpus[nid]);
		json_u64(&j, "pages", mm->plan[nid].dram.pages);
		json_u64(&j, "ns", w->node_ns[nid]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_emit(&j);
}

void report_json_cpus(struct json *j, const char *key, const cpumask_t *m)
{
	json_arr_begin(j, key);
	for (uint32_t c = 0; c < SMP_MAX_CPUS; c++)
		if (cpumask_test(m, c))
			json_u64(j, NULL, c);
	json_arr_end(j);
}

/* The node's persistent-memory devices: pages, where their memmap lives. */
static void json_devices(struct json *j, const struct mm_node *n)
{
	json_arr_begin(j, "devices");
	for (uint32_t d = 0; d < n->nr_dev; d++) {
		const struct mm_device *dev = &n->dev[d];

		json_obj_begin(j, NULL);
		json_u64(j, "id", dev->id);
		json_hex(j, "start", dev->start_pfn << PAGE_SHIFT);
		json_u64(j, "pages", dev->end_pfn - dev->start_pfn);
		json_str(j, "memmap", dev->memmap_loc == MM_MEMMAP_DEVICE ? "device" : "dram");
		json_u64(j, "compound_order", dev->compound_order);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* Persistent memory of the node in this mode: pages, time, what was
 * written (compound tails sharing a vmemmap page are not), and that as a
 * fraction of the node's store bandwidth (the DRAM memmap's figure: device
 * memmaps in DRAM are written to the same memory). */
static void json_device_fields(struct json *j, const struct meminit_results *res,
			       const struct meminit_mode_result *r, uint32_t nid)
{
	const struct meminit_node_result *nr = &r->node[nid];
	uint64_t bytes = nr->written[MEMINIT_KIND_DEVICE] * sizeof(struct page);
	uint64_t ns = nr->kind_ns[MEMINIT_KIND_DEVICE];
	int64_t frac = meminit_bw_fraction_milli(&res->bw, nid, r->mode, bytes, ns);

	json_u64(j, "device_pages", nr->pages[MEMINIT_KIND_DEVICE]);
	json_u64(j, "device_ns", ns);
	json_u64(j, "device_memmap_bytes_written", bytes);
	json_u64(j, "device_struct_pages_aliased",
		 nr->pages[MEMINIT_KIND_DEVICE] - nr->written[MEMINIT_KIND_DEVICE]);
	json_u64(j, "device_altmap_pages", nr->v.altmap_pages);
	json_u64(j, "device_compound_heads", nr->v.compound_heads);
	if (frac >= 0 && nr->pages[MEMINIT_KIND_DEVICE])
		json_fixed(j, "device_bw_fraction", frac, 3);
	else
		json_null(j, "device_bw_fraction");
}

static void report_node(const struct mm_state *mm, const struct meminit_results *res,
			const struct meminit_mode_result *r, uint32_t nid)
{
	const struct mm_node_plan *p = &mm->plan[nid];
	const struct meminit_node_result *nr = &r->node[nid];
	uint64_t dram = nr->pages[MEMINIT_KIND_DRAM], memmap_bytes = dram * sizeof(struct page);
	int64_t frac = meminit_bw_fraction_milli(&res->bw, nid, r->mode, memmap_bytes,
						 nr->kind_ns[MEMINIT_KIND_DRAM]);
	uint32_t cpus = nr->cpus_assigned ? nr->cpus_assigned : 1;
	uint64_t dns = nr->kind_ns[MEMINIT_KIND_DRAM];
	struct json j;

	kprintf("meminit:   node %u: %u cpu(s), %llu pages + %llu device, %llu ms, %llu.%03llu GiB/s of RAM, "
		"%lld.%lld%% of store bw, free %llu reserved %llu, %s, checksum %016llx\n",
		nid, cpus, (unsigned long long)dram,
		(unsigned long long)nr->pages[MEMINIT_KIND_DEVICE], (unsigned long long)(dns / 1000000),
		(unsigned long long)(mgib_per_s(dram << PAGE_SHIFT, dns) / 1000),
		(unsigned long long)(mgib_per_s(dram << PAGE_SHIFT, dns) % 1000),
		(long long)(frac < 0 ? 0 : frac / 10), (long long)(frac < 0 ? 0 : frac % 10),
		(unsigned long long)nr->v.free_pages, (unsigned long long)nr->v.reserved_pages,
		nr->verified ? "verified" : "VERIFY FAILED", (unsigned long long)nr->checksum);
	if (nr->pages[MEMINIT_KIND_DEVICE])
		kprintf("meminit:   node %u: persistent memory: %llu MiB in %llu.%03llu ms, %llu struct pages written, %llu shared\n",
			nid, (unsigned long long)(nr->pages[MEMINIT_KIND_DEVICE] >> 8),
			(unsigned long long)(nr->kind_ns[MEMINIT_KIND_DEVICE] / 1000000),
			(unsigned long long)(nr->kind_ns[MEMINIT_KIND_DEVICE] / 1000 % 1000),
			(unsigned long long)nr->written[MEMINIT_KIND_DEVICE],
			(unsigned long long)(nr->pages[MEMINIT_KIND_DEVICE] - nr->written[MEMINIT_KIND_DEVICE]));
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "meminit");
	json_str(&j, "mode", meminit_mode_names[r->mode]);
	json_u64(&j, "node", nid);
	json_u64(&j, "cpus", cpus);
	json_u64(&j, "cpus_ran", cpumask_weight(&nr->cpus_ran));
	report_json_cpus(&j, "cpu_ids", &nr->cpus_ran);
	json_u64(&j, "pages", dram);
	json_u64(&j, "memmap_bytes", memmap_bytes);
	json_device_fields(&j, res, r, nid);
	json_u64(&j, "ns", dns);
	json_u64(&j, "node_ns", nr->ns);
	if (nr->chunk_ns_per_gib)
		json_u64(&j, "chunk_ns_per_gib", nr->chunk_ns_per_gib);
	else
		json_null(&j, "chunk_ns_per_gib");
	json_fixed(&j, "ram_gib_per_s", (int64_t)mgib_per_s(dram << PAGE_SHIFT, dns), 3);
	json_fixed(&j, "memmap_gib_per_s", (int64_t)mgib_per_s(memmap_bytes, dns), 3);
	if (frac >= 0)
		json_fixed(&j, "bw_fraction", frac, 3);
	else
		json_null(&j, "bw_fraction");
	json_str(&j, "bw_basis", meminit_bw_basis_concurrent(&res->bw, nid, r->mode) ? "concurrent" : "alone");
	json_hex(&j, "checksum", nr->checksum);
	json_bool(&j, "verified", nr->verified);
	json_u64(&j, "free_pages", nr->v.free_pages);
	json_u64(&j, "reserved_pages", nr->v.reserved_pages);
	json_u64(&j, "allocated_pages", nr->v.allocated_pages);
	json_u64(&j, "usable_pages", p->node.ram_usable_pages);
	json_u64(&j, "early_reserved_pages", p->node.early_reserved_pages);
	json_devices(&j, &p->node);
	if (r->mode == MEMINIT_LAZY) {
		json_u64(&j, "lazy_allocatable_ns", nr->lazy_allocatable_ns);
		json_u64(&j, "lazy_complete_ns", nr->lazy_complete_ns);
		json_u64(&j, "lazy_heads_written", nr->lazy_heads_written);
		json_u64(&j, "lazy_on_demand", nr->lazy_on_demand);
	}
	json_emit(&j);
}

static uint64_t total_dram_pages(const struct mm_state *mm, uint32_t *nodes)
{
	uint64_t pages = 0;

	*nodes = 0;
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		if (mm_plan_has_work(&mm->plan[nid])) {
			pages += mm->plan[nid].dram.pages;
			(*nodes)++;
		}
	}
	return pages;
}

static void print_deferred(const struct meminit_deferred_stats *d)
{
	kprintf("meminit:   deferred: first allocation after %llu us, %llu allocations during init\n",
		(unsigned long long)(d->first_alloc_ns / 1000), (unsigned long long)d->allocs);
	for (uint32_t i = 0; i < d->ndev_waits; i++)
		kprintf("meminit:   deferred: node %u device %u ready at %llu us, the boot CPU waited %llu us for it\n",
			d->dev_wait[i].nid, d->dev_wait[i].dev,
			(unsigned long long)(d->dev_wait[i].ready_ns / 1000),
			(unsigned long long)(d->dev_wait[i].waited_ns / 1000));
}

static void print_latency(const char *what, const struct meminit_latency *l)
{
	kprintf("meminit:   lazy: %s: %u allocations, p50 %llu ns, p99 %llu ns, max %llu ns\n", what,
		l->n, (unsigned long long)l->p50, (unsigned long long)l->p99,
		(unsigned long long)l->max);
}

static void print_lazy(const struct mm_state *mm, const struct meminit_mode_result *r)
{
	const struct meminit_lazy_stats *l = &r->lazy;

	kprintf("meminit:   lazy: every page allocatable after %llu us (%llu struct pages written), "
		"every struct page complete after %llu us, %llu units completed by allocations\n",
		(unsigned long long)(l->allocatable_ns / 1000), (unsigned long long)l->heads_written,
		(unsigned long long)(l->complete_ns / 1000), (unsigned long long)l->on_demand);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		if (mm_plan_has_work(&mm->plan[nid]) && mm->plan[nid].dram.nchunks)
			kprintf("meminit:   lazy: node %u allocatable at %llu us, complete at %llu us\n", nid,
				(unsigned long long)(r->node[nid].lazy_allocatable_ns / 1000),
				(unsigned long long)(r->node[nid].lazy_complete_ns / 1000));
	print_latency("while units were lazy", &l->during);
	print_latency("after", &l->after);
}

static void json_latency(struct json *j, const char *name, const struct meminit_latency *l)
{
	json_obj_begin(j, name);
	json_u64(j, "n", l->n);
	json_u64(j, "p50_ns", l->p50);
	json_u64(j, "p99_ns", l->p99);
	json_u64(j, "max_ns", l->max);
	json_obj_end(j);
}

static void json_lazy(struct json *j, const struct meminit_lazy_stats *l)
{
	json_u64(j, "allocatable_ns", l->allocatable_ns);
	json_u64(j, "complete_ns", l->complete_ns);
	json_u64(j, "boot_cpu_ns", l->boot_cpu_ns);
	json_u64(j, "heads_written", l->heads_written);
	json_u64(j, "on_demand", l->on_demand);
	json_u64(j, "allocs_while_lazy", l->allocs_while_lazy);
	json_latency(j, "alloc_while_lazy", &l->during);
	json_latency(j, "alloc_after", &l->after);
}

/* meminit_rounds: every round's time; the mode's figures are the fastest's. */
static void print_rounds(const struct meminit_mode_result *r)
{
	kprintf("meminit:   %u rounds, the fastest (%u) reported; ms:", r->rounds, r->best_round + 1);
	for (uint32_t k = 0; k < r->rounds; k++)
		kprintf(" %llu.%03llu", (unsigned long long)(r->ns_rounds[k] / 1000000),
			(unsigned long long)(r->ns_rounds[k] / 1000 % 1000));
	kprintf("\n");
}

static void json_deferred(struct json *j, const struct meminit_deferred_stats *d)
{
	json_u64(j, "first_alloc_ns", d->first_alloc_ns);
	json_u64(j, "allocs_during_init", d->allocs);
	json_arr_begin(j, "device_waits");
	for (uint32_t i = 0; i < d->ndev_waits; i++) {
		json_obj_begin(j, NULL);
		json_u64(j, "node", d->dev_wait[i].nid);
		json_u64(j, "dev", d->dev_wait[i].dev);
		json_u64(j, "ready_ns", d->dev_wait[i].ready_ns);
		json_u64(j, "waited_ns", d->dev_wait[i].waited_ns);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void report_mode(const struct mm_state *mm, const struct meminit_results *res,
			const struct meminit_mode_result *r)
{
	const struct meminit_mode_result *serial = &res->mode[MEMINIT_SERIAL];
	uint32_t nodes;
	uint64_t pages = total_dram_pages(mm, &nodes);
	struct json j;

	kprintf("meminit: mode %s: %u node(s), %llu MiB, %llu.%03llu ms, %llu.%03llu GiB/s; %s\n",
		meminit_mode_names[r->mode], nodes, (unsigned long long)(pages >> 8),
		(unsigned long long)(r->ns / 1000000), (unsigned long long)(r->ns / 1000 % 1000),
		(unsigned long long)(mgib_per_s(pages << PAGE_SHIFT, r->ns) / 1000),
		(unsigned long long)(mgib_per_s(pages << PAGE_SHIFT, r->ns) % 1000),
		r->ok ? "verified" : "FAILED");
	if (r->rounds > 1)
		print_rounds(r);
	if (r->mode == MEMINIT_DEFERRED)
		print_deferred(&r->deferred);
	if (r->mode == MEMINIT_LAZY && r->ok)
		print_lazy(mm, r);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		if (mm_plan_has_work(&mm->plan[nid]))
			report_node(mm, res, r, nid);
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "meminit_summary");
	json_str(&j, "mode", meminit_mode_names[r->mode]);
	json_u64(&j, "nodes", nodes);
	json_u64(&j, "pages", pages);
	json_u64(&j, "ns", r->ns);
	json_fixed(&j, "ram_gib_per_s", (int64_t)mgib_per_s(pages << PAGE_SHIFT, r->ns), 3);
	if (serial->ran && r->ns)
		json_fixed(&j, "speedup_vs_serial", (int64_t)(serial->ns * 1000 / r->ns), 3);
	else
		json_null(&j, "speedup_vs_serial");
	json_bool(&j, "verified", r->ok);
	json_bool(&j, "checksums_equal", r->sums_equal);
	if (r->rounds > 1) {	/* meminit_rounds: ns is the fastest of these */
		json_u64(&j, "rounds", r->rounds);
		json_u64(&j, "best_round", r->best_round);
		json_arr_begin(&j, "ns_rounds");
		for (uint32_t k = 0; k < r->rounds; k++)
			json_u64(&j, NULL, r->ns_rounds[k]);
		json_arr_end(&j);
	}
	if (r->mode == MEMINIT_DEFERRED)
		json_deferred(&j, &r->deferred);
	if (r->mode == MEMINIT_LAZY)
		json_lazy(&j, &r->lazy);
	json_emit(&j);
}

/* The closing table: one line per mode, the figures a reader looks for. */
static void report_table(const struct mm_state *mm, const struct meminit_results *res)
{
	const struct meminit_mode_result *serial = &res->mode[MEMINIT_SERIAL];

	kprintf("\nmeminit summary        time ms   vs serial   store bw   result\n");
	for (uint32_t m = res->first; m <= res->last; m++) {
		const struct meminit_mode_result *r = &res->mode[m];
		int64_t worst = -1;

		if (!r->ran) {
			kprintf("  %-18s not run\n", meminit_mode_names[m]);
			continue;
		}
		for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
			int64_t f = meminit_bw_fraction_milli(&res->bw, nid, m,
							      r->node[nid].pages[MEMINIT_KIND_DRAM] *
							      sizeof(struct page), r->node[nid].kind_ns[MEMINIT_KIND_DRAM]);

			if (f >= 0 && (worst < 0 || f < worst))
				worst = f;
		}
		kprintf("  %-18s %8llu.%03llu", meminit_mode_names[m],
			(unsigned long long)(r->ns / 1000000), (unsigned long long)(r->ns / 1000 % 1000));
		if (serial->ran && r->ns)
			kprintf("   %5llu.%02llux", (unsigned long long)(serial->ns / r->ns),
				(unsigned long long)(serial->ns * 100 / r->ns % 100));
		else
			kprintf("          - ");
		if (worst >= 0)
			kprintf("   %5lld.%lld%%", (long long)(worst / 10), (long long)(worst % 10));
		else
			kprintf("          - ");
		kprintf("   %s\n", r->ok && r->sums_equal ? "verified" : "FAILED");
	}
	kprintf("  (store bw: the slowest node's share of its measured store bandwidth)\n");
}

void report_meminit(const struct mm_state *mm, const struct meminit_results *res)
{
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		if (res->bw.alone[nid].best_bytes_per_s)
			report_bandwidth(&res->bw, nid);
	if (res->warmup.ran)
		report_warmup(mm, &res->warmup);
	for (uint32_t m = res->first; m <= res->last; m++)
		if (res->mode[m].ran)
			report_mode(mm, res, &res->mode[m]);
	report_table(mm, res);
}
