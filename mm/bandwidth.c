/*
 * Store bandwidth of a node's CPUs into the node's memory.  Every worker
 * takes a page-aligned slice, meets the others at a barrier, then writes it;
 * the elapsed time runs from the earliest start to the latest end (TSC), so
 * the figure is what all the CPUs achieve together, as in parallel init.
 * The store loops are in bw_store.h (the host benchmark times the same ones).
 */
#include <stdint.h>
#include "atomic.h"
#include "bandwidth.h"
#include "bw_store.h"
#include "page.h"
#include "kprintf.h"
#include "numa.h"
#include "tsc.h"
#include "x86.h"

#define BARRIER_SPIN_NS	(2ULL * 1000 * 1000 * 1000)

const char *const bw_method_names[BW_NMETHODS] = { "plain", "nontemporal", "rep_stos" };

/* The job whose CPU set holds this CPU (jobs never share a CPU). */
static uint32_t job_of_this_cpu(const struct bw_pass *c)
{
	uint32_t me = smp_this_cpu(), j = 0;

	while (j + 1 < c->njobs && !cpumask_test(&c->jobs[j].cpus, me))
		j++;
	return j;
}

/* Cross-call function: one worker's slice of its job. */
static void bw_worker(void *arg)
{
	struct bw_pass *c = arg;
	uint32_t j = job_of_this_cpu(c);
	const struct bw_job *job = &c->jobs[j];
	uint32_t i = __atomic_fetch_add(&c->ticket[j], 1, __ATOMIC_RELAXED);
	uint64_t slice = (job->bytes / cpumask_weight(&job->cpus)) & ~(PAGE_SIZE - 1);
	uint64_t p = job->base + i * slice, deadline, t;

	__atomic_fetch_add(&c->arrived, 1, __ATOMIC_ACQ_REL);
	deadline = rdtsc() + tsc_from_ns(BARRIER_SPIN_NS);
	while (__atomic_load_n(&c->arrived, __ATOMIC_ACQUIRE) < c->nworkers && rdtsc() < deadline)
		cpu_relax();
	t = rdtsc();
	atomic_min_u64(&c->start[j], t);
	bw_store(c->method, p, p + slice);
	atomic_max_u64(&c->end[j], rdtsc());
}

static int run_pass(struct bw_job *jobs, uint32_t njobs, const cpumask_t *all, uint32_t method,
		    struct bw_pass *c)
{
	*c = (struct bw_pass){ .jobs = jobs, .njobs = njobs, .method = method,
			       .nworkers = cpumask_weight(all) };
	for (uint32_t j = 0; j < njobs; j++)
		c->start[j] = UINT64_MAX;
	return smp_call(all, bw_worker, c);
}

int bw_measure(struct bw_job *jobs, uint32_t njobs, struct bw_pass *pass)
{
	cpumask_t all;

	if (!njobs || njobs > NUMA_MAX_NODES)
		return -1;
	cpumask_clear(&all);
	for (uint32_t j = 0; j < njobs; j++) {
		uint32_t n = cpumask_weight(&jobs[j].cpus);
		uint64_t slice = (jobs[j].bytes / (n ? n : 1)) & ~(PAGE_SIZE - 1);

		jobs[j].out = (struct bw_result){ .bytes = slice * n, .cpus = n };
		if (!n || !slice)
			return -1;
		for (uint32_t c = 0; c < smp_ncpus(); c++) {
			if (!cpumask_test(&jobs[j].cpus, c))
				continue;
			if (cpumask_test(&all, c))
				return -1;	/* jobs must not share CPUs */
			cpumask_set(&all, c);
		}
	}
	/* Untimed first pass: under emulation the host backs guest memory on
	 * first touch, which real memory never costs; on hardware it warms the
	 * TLBs as a memmap that was just mapped would be. */
	if (run_pass(jobs, njobs, &all, BW_REP_STOS, pass))
		return -1;
	for (uint32_t m = 0; m < BW_NMETHODS; m++) {
		if (run_pass(jobs, njobs, &all, m, pass))
			return -1;
		for (uint32_t j = 0; j < njobs; j++) {
			struct bw_result *out = &jobs[j].out;
			uint64_t bps;

			out->ns[m] = tsc_to_ns(pass->end[j] - pass->start[j]);
			bps = out->ns[m] ? (uint64_t)((unsigned __int128)out->bytes * 1000000000ULL /
						      out->ns[m]) : 0;
			if (bps > out->best_bytes_per_s) {
				out->best_bytes_per_s = bps;
				out->best = m;
			}
		}
	}
	return 0;
}
