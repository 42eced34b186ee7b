/*
 * Each node's worker CPU set, computed once after SMP bring-up and kept in
 * the node's plan (the shape of Xen's scrub_heap_pages(): a node's own CPUs
 * initialize it, CPUs of memory-less nodes help their nearest node with
 * memory, a CPU-less node is initialized by its init_by node's CPUs).  Modes,
 * the bandwidth measurement and later requests read it.  Boot CPU only.
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

void mm_plan_workers(struct mm_state *mm, const struct numa_topology *numa)
{
	kassert(smp_this_cpu() == 0);
	kassert(mm->nnodes == numa->nnodes);
	for (uint32_t nid = 0; nid < mm->nnodes; nid++) {
		struct mm_node_plan *p = &mm->plan[nid];

		worker_set(numa, p->init_node, &p->workers);
		p->first_worker = 0;
		for (uint32_t c = 0; c < smp_ncpus(); c++) {
			if (cpumask_test(&p->workers, c)) {
				p->first_worker = c;
				break;
			}
		}
	}
	mm->workers_planned = true;
}
