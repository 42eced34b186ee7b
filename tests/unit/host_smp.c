/*
 * Host stand-ins for what mm/request.c and the other cross-call users take
 * from smp/ and arch/ (tests/unit/host_smp.h):
 *
 *   smp_this_cpu()  the calling thread's logical CPU, set by
 *                   host_smp_set_cpu() (0 on a thread that never set it)
 *   now_ns()        CLOCK_MONOTONIC (the kernel's is TSC-based,
 *                   arch/x86_64/tsc.c)
 *
 * rdtsc() and cpu_relax() are the real instructions (include/x86.h) on the
 * x86-64 host.  Linked by the pthread tests (test_request, the TSan stress
 * test) and by numaboot-hostbench.  Any thread: the id is thread-local, no
 * shared state.
 */
#include <stdint.h>
#include <time.h>
#include "host_smp.h"
#include "kassert.h"
#include "smp.h"
#include "tsc.h"

static _Thread_local uint32_t host_smp_cpu;

void host_smp_set_cpu(uint32_t cpu)
{
	kassert(cpu < SMP_MAX_CPUS);
	host_smp_cpu = cpu;
}

uint32_t smp_this_cpu(void)
{
	return host_smp_cpu;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
