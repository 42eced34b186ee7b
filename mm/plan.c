/*
 * Each node's worker CPU set, computed once after SMP bring-up and kept in
 * the node's plan (the shape of Xen's scrub_heap_pages(): a node's own CPUs
 * initialize it, CPUs of memory-less nodes help their nearest node with
 * memory, a CPU-less node is initialized by its init_by node's CPUs).  Modes,
 * the bandwidth measurement and later requests read it.  A CPU that missed
 * a cross-call deadline (fenced by smp/) is taken out of every set before
 * the next phase (mm_plan_drop_fenced()).  Boot CPU only.
 */
#include <stdint.h>
#include "kassert.h"
#include "kprintf.h"
#include "meminit.h"
#include "smp.h"

static void worker_set(const struct numa_topology *numa, uint32_t g, cpumask_t *out)
{
	cpumask_clear(out);
	for (uint32_t c = 0; c < smp_ncpus(); c++) {
		uint32_t cn = smp_cpu_node(c);

		if (cn >= numa->nnodes)
			continue;	/* a CPU whose node is unknown helps nobody */
		if (cn == g || (numa->nodes[cn].memless && numa->nodes[cn].helps == g))
			cpumask_set(out, c);
	}
	if (!cpumask_weight(out))
		cpumask_set(out, 0);	/* nobody left (APs failed): the boot CPU */
}

static void set_first_worker(struct mm_node_plan *p)
{
	p->first_worker = 0;
	for (uint32_t c = 0; c < smp_ncpus(); c++) {
		if (cpumask_test(&p->workers, c)) {
			p->first_worker = c;
			break;
		}
	}
}

void mm_plan_workers(struct mm_state *mm, const struct numa_topology *numa)
{
	kassert(smp_this_cpu() == 0);
	kassert(mm->nnodes == numa->nnodes);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct mm_node_plan *p = &mm->plan[nid];

		worker_set(numa, p->init_node, &p->workers);
		set_first_worker(p);
	}
	mm->fenced_seen = 0;
	mm->workers_planned = true;
	mm_plan_drop_fenced(mm);
}

void mm_plan_drop_fenced(struct mm_state *mm)
{
	uint32_t n = smp_nfenced();
	cpumask_t fenced;

	kassert(smp_this_cpu() == 0 && mm->workers_planned);
	if (n == mm->fenced_seen)
		return;
	smp_fenced_cpumask(&fenced);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct mm_node_plan *p = &mm->plan[nid];

		for (uint32_t w = 0; w < SMP_MAX_CPUS / 64; w++)
			p->workers.bits[w] &= ~fenced.bits[w];
		if (!cpumask_weight(&p->workers))
			cpumask_set(&p->workers, 0);	/* the boot CPU is never fenced */
		set_first_worker(p);
	}
	kprintf("meminit: %u fenced CPUs are out of every worker set from now on\n", n);
	mm->fenced_seen = n;
}
