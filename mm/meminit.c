/*
 * The memory-init modes: who runs which chunk of which node.
 *
 * Every mode runs the same worker, meminit_worker(), which takes chunks of
 * the nodes assigned to its CPU from a per-node atomic counter, runs the one
 * range initializer (memmap_init_range) on each, and splices finished chunks
 * onto the node's free lists strictly in chunk order (splice_ready).  Modes
 * differ only in the assignment of nodes to CPUs and in when the CPUs start:
 *
 *   serial    the boot CPU, every node, no cross-call
 *   hop       node after node, each by the first CPU of its worker set
 *   node      the first CPU of every node's worker set, all nodes at once
 *   parallel  every CPU of every worker set, all at once
 *   deferred  the boot CPU does the first deferred_sync_mb of each node,
 *             then the worker sets (less the boot CPU) do the rest while
 *             the boot CPU allocates; the boot CPU then helps
 *
 * A node's worker set is its own online CPUs plus those of memory-less nodes
 * that help it; a CPU-less node uses the set of its init_by node.
 *
 * Boot CPU only (meminit_run); workers run in cross-call context.
 */
#include <stdint.h>
#include "atomic.h"
#include "bandwidth.h"
#include "json.h"
#include "kprintf.h"
#include "kstring.h"
#include "meminit.h"
#include "report.h"
#include "smp.h"
#include "spinlock.h"
#include "tsc.h"
#include "x86.h"

#define NODE_WORDS	(NUMA_MAX_NODES / 64)
#define DEFERRED_ALLOCS	256	/* blocks the boot CPU allocates per node during deferred init */

/* Per-node progress of one run.  Counters are written by workers (A). */
struct node_run {
	uint32_t next_chunk;		/* (A) next chunk to take */
	uint32_t next_splice;		/* under splice_lock */
	struct spinlock splice_lock;
	uint8_t *done;			/* (A) per chunk: 1 once initialized */
	uint64_t start_tsc;		/* (A) min over workers */
	uint64_t end_tsc;		/* (A) max over workers */
	uint32_t workers;		/* CPUs assigned in this run */
} __attribute__((aligned(64)));

struct run {
	struct mm_state *mm;
	uint64_t assign[SMP_MAX_CPUS][NODE_WORDS];	/* CPU -> nodes it works on */
	struct node_run node[NUMA_MAX_NODES];
	uint32_t failures;				/* (A) chunks the initializer refused */
};

static struct run run;

/* Splice every finished chunk that is next in chunk order.  Any CPU.  The
 * acquire load of done[] pairs with the release store in run_chunk(). */
static void splice_ready(struct mm_node_plan *p, struct node_run *nr)
{
	spin_lock(&nr->splice_lock);
	while (nr->next_splice < p->nchunks &&
	       __atomic_load_n(&nr->done[nr->next_splice], __ATOMIC_ACQUIRE)) {
		memmap_splice_chunk(&p->node, &p->results[nr->next_splice]);
		nr->next_splice++;
	}
	spin_unlock(&nr->splice_lock);
}

static void run_chunk(struct mm_node_plan *p, struct node_run *nr, uint32_t c)
{
	if (memmap_init_range(&p->node, p->chunks[c].start_pfn, p->chunks[c].end_pfn,
			      &p->results[c]))
		__atomic_fetch_add(&run.failures, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&nr->done[c], 1, __ATOMIC_RELEASE);
	splice_ready(p, nr);
}

/* Take chunks of one node until none is left. */
static void work_node(uint32_t nid)
{
	struct mm_node_plan *p = &run.mm->plan[nid];
	struct node_run *nr = &run.node[nid];
	uint32_t c;

	atomic_min_u64(&nr->start_tsc, rdtsc());
	while ((c = __atomic_fetch_add(&nr->next_chunk, 1, __ATOMIC_RELAXED)) < p->nchunks)
		run_chunk(p, nr, c);
	atomic_max_u64(&nr->end_tsc, rdtsc());
}

/* The one worker: every node assigned to this CPU.  Cross-call context or
 * the boot CPU directly. */
static void meminit_worker(void *arg)
{
	uint32_t cpu = smp_this_cpu();

	(void)arg;
	for (uint32_t nid = 0; nid < run.mm->nnodes; nid++)
		if (run.assign[cpu][nid / 64] & (1ULL << (nid % 64)))
			work_node(nid);
}

/* The CPUs that initialize node nid: see the file comment. */
static void worker_set(const struct numa_topology *numa, uint32_t nid, cpumask_t *out)
{
	uint32_t g = run.mm->plan[nid].init_node;

	cpumask_clear(out);
	for (uint32_t c = 0; c < smp_ncpus(); c++) {
		uint32_t cn = smp_cpu_node(c);

		if (cn >= numa->nnodes)
			continue;
		if (cn == g || (numa->nodes[cn].memless && numa->nodes[cn].helps == g))
			cpumask_set(out, c);
	}
	if (!cpumask_weight(out))
		cpumask_set(out, 0);	/* nobody left (APs failed): the boot CPU */
}

static uint32_t first_cpu(const cpumask_t *m)
{
	for (uint32_t c = 0; c < smp_ncpus(); c++)
		if (cpumask_test(m, c))
			return c;
	return 0;
}

static void assign(uint32_t cpu, uint32_t nid)
{
	run.assign[cpu][nid / 64] |= 1ULL << (nid % 64);
	run.node[nid].workers++;
}

static void reset_run(struct mm_state *mm)
{
	memset(run.assign, 0, sizeof(run.assign));
	run.failures = 0;
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct node_run *nr = &run.node[nid];

		*nr = (struct node_run){ .done = mm->plan[nid].done, .start_tsc = UINT64_MAX };
		if (mm->plan[nid].has_memory)
			memset(nr->done, 0, mm->plan[nid].nchunks);
	}
	run.mm = mm;
}

/* Start fn on mask (may include this CPU, which then runs it first) and wait. */
static int call_and_wait(const cpumask_t *mask)
{
	int err = smp_call(mask, meminit_worker, NULL);

	if (err)
		kprintf("meminit: cross-call failed (%d)\n", err);
	return err;
}

/* ---- the modes ------------------------------------------------------------ */

static int mode_serial(const struct numa_topology *numa)
{
	(void)numa;
	for (uint32_t nid = 0; nid < run.mm->nnodes; nid++)
		if (run.mm->plan[nid].has_memory)
			assign(smp_this_cpu(), nid);
	meminit_worker(NULL);
	return 0;
}

static int mode_hop(const struct numa_topology *numa)
{
	for (uint32_t nid = 0; nid < run.mm->nnodes; nid++) {
		cpumask_t w;
		uint32_t cpu;
		int err;

		if (!run.mm->plan[nid].has_memory)
			continue;
		worker_set(numa, nid, &w);
		cpu = first_cpu(&w);
		assign(cpu, nid);
		err = smp_call_cpu(cpu, meminit_worker, NULL);
		run.assign[cpu][nid / 64] = 0;
		if (err) {
			kprintf("meminit: hop to cpu %u for node %u failed (%d)\n", cpu, nid, err);
			return err;
		}
	}
	return 0;
}

enum pick { PICK_FIRST, PICK_ALL, PICK_ALL_BUT_ME };

/* Assign every node with memory to CPUs of its worker set (the first, all,
 * or all but this CPU) and collect those CPUs in mask. */
static void assign_worker_sets(const struct numa_topology *numa, enum pick pick, cpumask_t *mask)
{
	uint32_t me = smp_this_cpu();
	cpumask_t w;

	cpumask_clear(mask);
	for (uint32_t nid = 0; nid < run.mm->nnodes; nid++) {
		if (!run.mm->plan[nid].has_memory)
			continue;
		worker_set(numa, nid, &w);
		for (uint32_t c = 0; c < smp_ncpus(); c++) {
			if (!cpumask_test(&w, c) || (pick == PICK_FIRST && c != first_cpu(&w)) ||
			    (pick == PICK_ALL_BUT_ME && c == me))
				continue;
			assign(c, nid);
			cpumask_set(mask, c);
		}
	}
}

/* node: first CPU of each worker set; parallel: all of them. */
static int mode_spread(const struct numa_topology *numa, int all_cpus)
{
	cpumask_t mask;

	assign_worker_sets(numa, all_cpus ? PICK_ALL : PICK_FIRST, &mask);
	return call_and_wait(&mask);
}

struct deferred_alloc {
	uint64_t pfn;
	uint32_t nid;
	uint32_t order;
};

struct deferred_stats {
	uint64_t first_alloc_ns;	/* mode start to the boot CPU's first allocation */
	uint64_t allocs;		/* blocks allocated while the rest initialized */
	uint64_t failed_allocs;
};

static struct deferred_alloc deferred_allocs[NUMA_MAX_NODES * DEFERRED_ALLOCS / 16];

/* The boot CPU's first deferred_sync_mb of every node, spliced. */
static void deferred_sync_part(const struct options *o)
{
	uint32_t sync = (uint32_t)((o->deferred_sync_mb + (PAGES_PER_SECTION * PAGE_SIZE >> 20) - 1) /
				   (PAGES_PER_SECTION * PAGE_SIZE >> 20));

	for (uint32_t nid = 0; nid < run.mm->nnodes; nid++) {
		struct mm_node_plan *p = &run.mm->plan[nid];
		struct node_run *nr = &run.node[nid];
		uint32_t k = sync < p->nchunks ? (sync ? sync : 1) : p->nchunks;

		if (!p->has_memory)
			continue;
		atomic_min_u64(&nr->start_tsc, rdtsc());
		for (uint32_t c = 0; c < k; c++)
			run_chunk(p, nr, c);
		nr->next_chunk = k;
		atomic_max_u64(&nr->end_tsc, rdtsc());
	}
}

/* What the boot CPU does while the nodes' CPUs initialize: allocate. */
static uint32_t deferred_allocate(struct deferred_stats *st)
{
	uint32_t n = 0, per_node = DEFERRED_ALLOCS;

	for (uint32_t nid = 0; nid < run.mm->nnodes; nid++) {
		if (!run.mm->plan[nid].has_memory)
			continue;
		for (uint32_t i = 0; i < per_node && n < sizeof(deferred_allocs) / sizeof(deferred_allocs[0]); i++) {
			uint32_t order = i % 4;
			uint64_t pfn = buddy_alloc_pages(&run.mm->plan[nid].node, order);

			if (!st->allocs && !st->failed_allocs)
				st->first_alloc_ns = now_ns();
			if (pfn == PFN_NONE) {
				st->failed_allocs++;
				continue;
			}
			deferred_allocs[n++] = (struct deferred_alloc){ pfn, nid, order };
			st->allocs++;
		}
	}
	return n;
}

static int mode_deferred(const struct numa_topology *numa, const struct options *o,
			 struct deferred_stats *st)
{
	uint32_t me = smp_this_cpu(), nallocs;
	uint64_t t0 = now_ns();
	struct smp_call *h = NULL;
	cpumask_t mask, w;
	int err = 0;

	deferred_sync_part(o);
	assign_worker_sets(numa, PICK_ALL_BUT_ME, &mask);
	if (cpumask_weight(&mask))
		h = smp_call_start(&mask, meminit_worker, NULL, &err);
	nallocs = deferred_allocate(st);
	st->first_alloc_ns -= t0;
	/* Then help: every node this CPU belongs to, or all when alone. */
	for (uint32_t nid = 0; nid < run.mm->nnodes; nid++) {
		worker_set(numa, nid, &w);
		if (run.mm->plan[nid].has_memory && (cpumask_test(&w, me) || !h))
			work_node(nid);
	}
	if (h)
		err = smp_call_wait(h, 0);
	for (uint32_t i = 0; i < nallocs; i++)
		buddy_free_pages(&run.mm->plan[deferred_allocs[i].nid].node, deferred_allocs[i].pfn,
				 deferred_allocs[i].order);
	return err;
}

/* ---- driver: reset, run, verify, report ------------------------------------ */

struct node_result {
	uint64_t ns;
	uint32_t cpus;
	uint64_t checksum;
	int verified;
	struct memmap_verify_result v;
};

struct mode_result {
	uint32_t mode;
	uint64_t ns;
	int ok;
	struct deferred_stats deferred;
	struct node_result node[NUMA_MAX_NODES];
};

static struct mode_result results[MEMINIT_NMODES];

/* Forget the previous mode: empty free lists and counters; with poison,
 * scribble over every struct page so a mode that skipped a page is caught. */
static void reset_nodes(struct mm_state *mm, int poison)
{
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct mm_node_plan *p = &mm->plan[nid];
		struct mm_node *n = &p->node;

		if (!p->has_memory)
			continue;
		memmap_node_init(n, nid, n->start_pfn, n->end_pfn, n->present, n->nr_present,
				 n->usable, n->nr_usable, n->ram_usable_pages,
				 n->early_reserved_pages, n->pageblock_mt);
		if (!poison)
			continue;
		for (uint32_t c = 0; c < p->nchunks; c++)
			memset(pfn_to_page(p->chunks[c].start_pfn), 0xa5,
			       (p->chunks[c].end_pfn - p->chunks[c].start_pfn) * sizeof(struct page));
	}
}

static void *identity(uint64_t phys)
{
	return (void *)phys;
}

/* Verify every node, checksum it, and check an alloc/free round trip
 * leaves the checksum unchanged. */
static int check_nodes(struct mm_state *mm, struct mode_result *r)
{
	int ok = 1;

	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct mm_node_plan *p = &mm->plan[nid];
		struct node_result *nr = &r->node[nid];

		if (!p->has_memory)
			continue;
		nr->verified = memmap_verify(&p->node, &nr->v) == 0;
		nr->checksum = memmap_checksum(&p->node);
		if (buddy_self_test(&p->node, identity) || memmap_checksum(&p->node) != nr->checksum) {
			kprintf("meminit: node %u: allocator self-test failed\n", nid);
			nr->verified = 0;
		}
		ok &= nr->verified;
	}
	return ok;
}

static int run_mode(struct mm_state *mm, const struct numa_topology *numa,
		    const struct options *o, uint32_t mode, int poison, struct mode_result *r)
{
	uint64_t t0;
	int err;

	reset_nodes(mm, poison);
	reset_run(mm);
	r->mode = mode;
	t0 = now_ns();
	switch (mode) {
	case MEMINIT_SERIAL: err = mode_serial(numa); break;
	case MEMINIT_HOP: err = mode_hop(numa); break;
	case MEMINIT_NODE: err = mode_spread(numa, 0); break;
	case MEMINIT_PARALLEL: err = mode_spread(numa, 1); break;
	default: err = mode_deferred(numa, o, &r->deferred); break;
	}
	r->ns = now_ns() - t0;
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct node_run *nr = &run.node[nid];

		r->node[nid].cpus = nr->workers ? nr->workers : 1;
		r->node[nid].ns = nr->end_tsc > nr->start_tsc ? tsc_to_ns(nr->end_tsc - nr->start_tsc) : 0;
		if (mm->plan[nid].has_memory && nr->next_splice != mm->plan[nid].nchunks) {
			kprintf("meminit: node %u: %u of %u chunks spliced\n", nid, nr->next_splice,
				mm->plan[nid].nchunks);
			err = err ? err : -1;
		}
	}
	if (run.failures) {
		kprintf("meminit: %u chunks refused by the initializer\n", run.failures);
		err = err ? err : -1;
	}
	r->ok = check_nodes(mm, r) && !err;
	return r->ok ? 0 : -1;
}

/* ---- bandwidth and report --------------------------------------------------- */

static struct bw_result bw[NUMA_MAX_NODES];		/* each node alone */
static struct bw_result bw_conc[NUMA_MAX_NODES];	/* every node at once */

/* Whether a mode's fraction is taken against the all-nodes-at-once figure. */
static int bw_basis_concurrent(uint32_t nid, uint32_t mode)
{
	return mode != MEMINIT_SERIAL && mode != MEMINIT_HOP && bw_conc[nid].best_bytes_per_s;
}

/* Milli-GiB per second for bytes in ns. */
static uint64_t mgib_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? (uint64_t)((unsigned __int128)bytes * 1000000000000ULL / ((unsigned __int128)ns << 30)) : 0;
}

/*
 * Where to measure a node's store bandwidth: its own memmap, through the
 * vmemmap mapping, i.e. the very memory and mapping the initializer writes.
 * Longest run of consecutive present sections (contiguous virtual
 * addresses), at most bytes_max.  Safe because nothing lives there yet:
 * the warm-up and every mode rewrite all of it.
 */
static uint64_t bw_area(const struct mm_node_plan *p, uint64_t bytes_max, uint64_t *bytes)
{
	uint64_t best_start = 0, best_len = 0, run_start = 0, run_len = 0, prev = UINT64_MAX;

	for (uint32_t c = 0; c < p->nchunks; c++) {
		uint64_t sec = pfn_to_section_nr(p->chunks[c].start_pfn);

		if (sec == prev)
			continue;
		if (sec != prev + 1) {
			run_start = sec;
			run_len = 0;
		}
		run_len++;
		prev = sec;
		if (run_len > best_len) {
			best_len = run_len;
			best_start = run_start;
		}
	}
	*bytes = best_len * SECTION_MEMMAP_BYTES < bytes_max ? best_len * SECTION_MEMMAP_BYTES : bytes_max;
	return section_memmap_vaddr(best_start);
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

static void report_bandwidth(uint32_t nid, const struct options *o)
{
	const struct bw_result *b = &bw[nid];
	struct json j;

	kprintf("bandwidth: node %u, %u cpus, %llu MiB: plain %llu, nontemporal %llu, rep stos %llu MiB/s",
		nid, b->cpus, (unsigned long long)(b->bytes >> 20),
		(unsigned long long)(mgib_per_s(b->bytes, b->ns[BW_PLAIN]) * 1024 / 1000),
		(unsigned long long)(mgib_per_s(b->bytes, b->ns[BW_NONTEMPORAL]) * 1024 / 1000),
		(unsigned long long)(mgib_per_s(b->bytes, b->ns[BW_REP_STOS]) * 1024 / 1000));
	if (bw_conc[nid].best_bytes_per_s)
		kprintf("; best %llu MiB/s with every node at once\n",
			(unsigned long long)(bw_conc[nid].best_bytes_per_s >> 20));
	else
		kprintf("\n");
	if (!o->json)
		return;
	/* Top-level fields: the node alone (the serial and hop denominator). */
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "bandwidth");
	json_u64(&j, "node", nid);
	json_bw_fields(&j, b);
	if (bw_conc[nid].best_bytes_per_s) {
		json_obj_begin(&j, "concurrent");
		json_bw_fields(&j, &bw_conc[nid]);
		json_obj_end(&j);
	} else {
		json_null(&j, "concurrent");
	}
	json_emit(&j);
}

/*
 * Each node alone with its worker set (what serial and hop face), then, with
 * more than one node, every node at once (what node, parallel and deferred
 * face: under emulation the nodes' CPUs share the host's cores and memory).
 * A CPU in the worker sets of two nodes (a CPU-less node shares its init_by
 * node's CPUs) counts for the first only in the concurrent run; a node left
 * without CPUs there has no concurrent figure.
 */
static void measure_bandwidth(struct mm_state *mm, const struct numa_topology *numa,
			      const struct options *o)
{
	static struct bw_job jobs[NUMA_MAX_NODES];
	uint32_t nodes[NUMA_MAX_NODES], njobs = 0;
	cpumask_t taken;

	if (!o->bw_mb)
		return;
	cpumask_clear(&taken);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct bw_job *job = &jobs[njobs];

		if (!mm->plan[nid].has_memory)
			continue;
		job->base = bw_area(&mm->plan[nid], o->bw_mb << 20, &job->bytes);
		worker_set(numa, nid, &job->cpus);
		if (bw_measure(job, 1)) {
			kprintf("bandwidth: node %u: measurement failed\n", nid);
			continue;
		}
		bw[nid] = job->out;
		for (uint32_t c = 0; c < smp_ncpus(); c++) {
			if (cpumask_test(&taken, c))
				cpumask_unset(&job->cpus, c);
			else if (cpumask_test(&job->cpus, c))
				cpumask_set(&taken, c);
		}
		if (cpumask_weight(&job->cpus))
			nodes[njobs++] = nid;
	}
	if (njobs > 1 && !bw_measure(jobs, njobs))
		for (uint32_t i = 0; i < njobs; i++)
			bw_conc[nodes[i]] = jobs[i].out;
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		if (bw[nid].best_bytes_per_s)
			report_bandwidth(nid, o);
}

/* Fraction (x1000) of the node's best store bandwidth that init reached:
 * against the every-node-at-once figure for modes that run nodes at once. */
static int64_t bw_fraction_milli(uint32_t nid, uint32_t mode, uint64_t memmap_bytes, uint64_t ns)
{
	const struct bw_result *b = bw_basis_concurrent(nid, mode) ? &bw_conc[nid] : &bw[nid];
	unsigned __int128 rate;

	if (!b->best_bytes_per_s || !ns)
		return -1;
	rate = (unsigned __int128)memmap_bytes * 1000000000ULL / ns;
	return (int64_t)(rate * 1000 / b->best_bytes_per_s);
}

static void report_node(const struct mm_state *mm, const struct mode_result *r, uint32_t nid,
			const struct options *o)
{
	const struct mm_node_plan *p = &mm->plan[nid];
	const struct node_result *nr = &r->node[nid];
	int64_t frac = bw_fraction_milli(nid, r->mode, p->memmap_bytes, nr->ns);
	struct json j;

	kprintf("meminit:   node %u: %u cpu(s), %llu pages, %llu ms, %llu.%03llu GiB/s of RAM, "
		"%lld.%lld%% of store bw, free %llu reserved %llu, %s, checksum %016llx\n",
		nid, nr->cpus, (unsigned long long)p->pages, (unsigned long long)(nr->ns / 1000000),
		(unsigned long long)(mgib_per_s(p->pages << PAGE_SHIFT, nr->ns) / 1000),
		(unsigned long long)(mgib_per_s(p->pages << PAGE_SHIFT, nr->ns) % 1000),
		(long long)(frac < 0 ? 0 : frac / 10), (long long)(frac < 0 ? 0 : frac % 10),
		(unsigned long long)nr->v.free_pages, (unsigned long long)nr->v.reserved_pages,
		nr->verified ? "verified" : "VERIFY FAILED", (unsigned long long)nr->checksum);
	if (!o->json)
		return;
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "meminit");
	json_str(&j, "mode", meminit_mode_names[r->mode]);
	json_u64(&j, "node", nid);
	json_u64(&j, "cpus", nr->cpus);
	json_u64(&j, "pages", p->pages);
	json_u64(&j, "memmap_bytes", p->memmap_bytes);
	json_u64(&j, "ns", nr->ns);
	json_fixed(&j, "ram_gib_per_s", (int64_t)mgib_per_s(p->pages << PAGE_SHIFT, nr->ns), 3);
	json_fixed(&j, "memmap_gib_per_s", (int64_t)mgib_per_s(p->memmap_bytes, nr->ns), 3);
	if (frac >= 0)
		json_fixed(&j, "bw_fraction", frac, 3);
	else
		json_null(&j, "bw_fraction");
	json_str(&j, "bw_basis", bw_basis_concurrent(nid, r->mode) ? "concurrent" : "alone");
	json_hex(&j, "checksum", nr->checksum);
	json_bool(&j, "verified", nr->verified);
	json_u64(&j, "free_pages", nr->v.free_pages);
	json_u64(&j, "reserved_pages", nr->v.reserved_pages);
	json_u64(&j, "allocated_pages", nr->v.allocated_pages);
	json_u64(&j, "usable_pages", p->node.ram_usable_pages);
	json_u64(&j, "early_reserved_pages", p->node.early_reserved_pages);
	json_emit(&j);
}

static void report_mode(const struct mm_state *mm, const struct mode_result *r,
			const struct mode_result *serial, int sums_equal, const struct options *o)
{
	uint64_t pages = 0;
	uint32_t nodes = 0;
	struct json j;

	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		if (mm->plan[nid].has_memory) {
			pages += mm->plan[nid].pages;
			nodes++;
		}
	}
	kprintf("meminit: mode %s: %u node(s), %llu MiB, %llu.%03llu ms, %llu.%03llu GiB/s; %s\n",
		meminit_mode_names[r->mode], nodes, (unsigned long long)(pages >> 8),
		(unsigned long long)(r->ns / 1000000), (unsigned long long)(r->ns / 1000 % 1000),
		(unsigned long long)(mgib_per_s(pages << PAGE_SHIFT, r->ns) / 1000),
		(unsigned long long)(mgib_per_s(pages << PAGE_SHIFT, r->ns) % 1000),
		r->ok ? "verified" : "FAILED");
	if (r->mode == MEMINIT_DEFERRED)
		kprintf("meminit:   deferred: first allocation after %llu us, %llu allocations during init\n",
			(unsigned long long)(r->deferred.first_alloc_ns / 1000),
			(unsigned long long)r->deferred.allocs);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		if (mm->plan[nid].has_memory)
			report_node(mm, r, nid, o);
	if (!o->json)
		return;
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "meminit_summary");
	json_str(&j, "mode", meminit_mode_names[r->mode]);
	json_u64(&j, "nodes", nodes);
	json_u64(&j, "pages", pages);
	json_u64(&j, "ns", r->ns);
	json_fixed(&j, "ram_gib_per_s", (int64_t)mgib_per_s(pages << PAGE_SHIFT, r->ns), 3);
	if (serial && r->ns)
		json_fixed(&j, "speedup_vs_serial", (int64_t)(serial->ns * 1000 / r->ns), 3);
	else
		json_null(&j, "speedup_vs_serial");
	json_bool(&j, "verified", r->ok);
	json_bool(&j, "checksums_equal", sums_equal);
	if (r->mode == MEMINIT_DEFERRED) {
		json_u64(&j, "first_alloc_ns", r->deferred.first_alloc_ns);
		json_u64(&j, "allocs_during_init", r->deferred.allocs);
	}
	json_emit(&j);
}

/* Checksums of every node equal to those of the first mode run. */
static int same_checksums(const struct mm_state *mm, const struct mode_result *a,
			  const struct mode_result *b)
{
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		if (mm->plan[nid].has_memory && a->node[nid].checksum != b->node[nid].checksum)
			return 0;
	return 1;
}

/*
 * An untimed parallel pass of the initializer over all memory before the
 * first timed mode.  Every mode is then timed on memory the CPUs have
 * written before, as the bandwidth figure is: under emulation the first
 * write to each guest page costs tens of microseconds (TCG, measured in
 * docs/bench.md), and the first-run code path is translated; on hardware
 * it is one extra pass.  Its own time is reported: it is the cold figure.
 */
static void warm_up(struct mm_state *mm, const struct numa_topology *numa,
		    const struct options *o)
{
	uint64_t pages = 0, t0 = now_ns(), ns;
	struct json j;
	cpumask_t mask;

	reset_nodes(mm, 0);
	reset_run(mm);
	assign_worker_sets(numa, PICK_ALL, &mask);
	call_and_wait(&mask);
	ns = now_ns() - t0;
	for (uint32_t nid = 0; nid < mm->nnodes; nid++)
		pages += mm->plan[nid].has_memory ? mm->plan[nid].pages : 0;
	kprintf("meminit: warm-up (cold parallel pass, untimed for the modes): %u cpu(s), %llu.%03llu ms\n",
		cpumask_weight(&mask), (unsigned long long)(ns / 1000000),
		(unsigned long long)(ns / 1000 % 1000));
	if (!o->json)
		return;
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "meminit_warmup");
	json_u64(&j, "cpus", cpumask_weight(&mask));
	json_u64(&j, "pages", pages);
	json_u64(&j, "ns", ns);
	json_fixed(&j, "ram_gib_per_s", (int64_t)mgib_per_s(pages << PAGE_SHIFT, ns), 3);
	json_arr_begin(&j, "nodes");
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		const struct node_run *nr = &run.node[nid];

		if (!mm->plan[nid].has_memory)
			continue;
		json_obj_begin(&j, NULL);
		json_u64(&j, "node", nid);
		json_u64(&j, "cpus", nr->workers);
		json_u64(&j, "pages", mm->plan[nid].pages);
		json_u64(&j, "ns", nr->end_tsc > nr->start_tsc ? tsc_to_ns(nr->end_tsc - nr->start_tsc) : 0);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_emit(&j);
}

int meminit_run(struct mm_state *mm, const struct numa_topology *numa, const struct options *o)
{
	uint32_t first = o->meminit == MEMINIT_ALL ? MEMINIT_SERIAL : o->meminit;
	uint32_t last = o->meminit == MEMINIT_ALL ? MEMINIT_DEFERRED : o->meminit;
	const struct mode_result *serial = NULL;
	int ok = 1;

	reset_run(mm);
	measure_bandwidth(mm, numa, o);
	if (o->warmup)
		warm_up(mm, numa, o);
	for (uint32_t mode = first; mode <= last; mode++) {
		struct mode_result *r = &results[mode];
		int equal;

		run_mode(mm, numa, o, mode, o->meminit == MEMINIT_ALL, r);
		equal = same_checksums(mm, &results[first], r);
		if (mode == MEMINIT_SERIAL)
			serial = r;
		report_mode(mm, r, serial, equal, o);
		if (!equal)
			kprintf("meminit: mode %s: checksums differ from mode %s\n",
				meminit_mode_names[mode], meminit_mode_names[first]);
		ok &= r->ok && equal;
	}
	return ok ? 0 : -1;
}
