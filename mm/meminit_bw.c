/*
 * The store bandwidth each node's memory init is compared with: measured on
 * the node's own memmap, through the vmemmap mapping (the very memory and
 * mapping the initializer writes), by the node's worker set; once each node
 * alone (what serial and hop face) and, with more than one node, every node
 * at once (what node, parallel and deferred face: under emulation the nodes'
 * CPUs share the host's cores and memory).  Boot CPU only, after
 * mm_plan_workers() and before any mode runs: it scribbles over memmap
 * memory that holds nothing yet.
 */
#include <stdint.h>
#include "kassert.h"
#include "kprintf.h"
#include "kstring.h"
#include "meminit.h"

/*
 * Longest run of consecutive present DRAM sections (contiguous virtual
 * addresses) of node nid's memmap, at most bytes_max.  Only sections whose
 * memmap the node owns (docs/mm.md, "Node ownership per pfn"): a section
 * shared with another node is backed by its owner's memory, and measured by
 * the owner alone, so that no two nodes' workers store to one memmap page
 * in the concurrent run and no node measures another node's memory.
 */
static uint64_t bw_area(const struct mm_state *mm, uint32_t nid, uint64_t bytes_max,
			uint64_t *bytes)
{
	uint64_t best_start = 0, best_len = 0, run_start = 0, run_len = 0, prev = UINT64_MAX;
	const struct meminit_request *r = &mm->plan[nid].dram;

	for (uint32_t c = 0; c < r->nchunks; c++) {
		uint64_t sec = pfn_to_section_nr(r->chunks[c].start_pfn);

		if (sec == prev ||
		    memmap_section_owner(mm->mb.memory.regions, mm->mb.memory.cnt, sec) != nid)
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

/*
 * A CPU in the worker sets of two nodes (a CPU-less node shares its init_by
 * node's CPUs) counts for the first only in the concurrent run; a node left
 * without CPUs there has no concurrent figure.
 */
void meminit_measure_bandwidth(struct mm_state *mm, uint64_t bw_mb, struct meminit_bw *out)
{
	struct bw_job *jobs = out->jobs;
	uint32_t nodes[NUMA_MAX_NODES], njobs = 0;
	cpumask_t taken;

	kassert(smp_this_cpu() == 0 && mm->workers_planned);
	memset(out, 0, sizeof(*out));
	if (!bw_mb)
		return;
	cpumask_clear(&taken);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct bw_job *job = &jobs[njobs];

		if (!mm->plan[nid].dram.nchunks)
			continue;
		if (smp_nstuck())
			return;		/* a late CPU may still store: measure nothing more */
		mm_plan_drop_fenced(mm);
		*job = (struct bw_job){ 0 };
		job->base = bw_area(mm, nid, bw_mb << 20, &job->bytes);
		if (!job->bytes) {
			kprintf("bandwidth: node %u: no memmap section of its own to measure\n", nid);
			continue;
		}
		job->cpus = mm->plan[nid].workers;
		if (bw_measure(job, 1, &out->pass)) {
			kprintf("bandwidth: node %u: measurement failed\n", nid);
			continue;
		}
		out->alone[nid] = job->out;
		for (uint32_t c = 0; c < smp_ncpus(); c++) {
			if (cpumask_test(&taken, c))
				cpumask_unset(&job->cpus, c);
			else if (cpumask_test(&job->cpus, c))
				cpumask_set(&taken, c);
		}
		if (cpumask_weight(&job->cpus))
			nodes[njobs++] = nid;
	}
	if (njobs > 1 && !bw_measure(jobs, njobs, &out->pass))
		for (uint32_t i = 0; i < njobs; i++)
			out->conc[nodes[i]] = jobs[i].out;
}

bool meminit_bw_basis_concurrent(const struct meminit_bw *bw, uint32_t nid, uint32_t mode)
{
	return mode != MEMINIT_SERIAL && mode != MEMINIT_HOP && bw->conc[nid].best_bytes_per_s;
}

int64_t meminit_bw_fraction_milli(const struct meminit_bw *bw, uint32_t nid, uint32_t mode,
				  uint64_t memmap_bytes, uint64_t ns)
{
	const struct bw_result *b = meminit_bw_basis_concurrent(bw, nid, mode) ? &bw->conc[nid]
									       : &bw->alone[nid];
	unsigned __int128 rate;

	if (!b->best_bytes_per_s || !ns)
		return -1;
	rate = (unsigned __int128)memmap_bytes * 1000000000ULL / ns;
	return (int64_t)(rate * 1000 / b->best_bytes_per_s);
}
