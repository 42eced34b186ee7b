/*
 * Host stand-ins for what mm/request.c and the cross-call users take from
 * smp/, arch/ and kernel/ (tests/unit/smp_shim.h): a CPU id per thread,
 * now_ns() from the monotonic clock, the timeline as a no-op.  rdtsc()
 * and cpu_relax() are the real instructions (include/x86.h) on the x86-64
 * host.  Used by the pthread tests (test_request, the TSan stress test).
 */
#include <stdint.h>
#include <time.h>
#include "smp_shim.h"
#include "smp.h"
#include "timeline.h"
#include "tsc.h"

static _Thread_local uint32_t shim_cpu;

void shim_set_cpu(uint32_t cpu)
{
	shim_cpu = cpu;
}

uint32_t smp_this_cpu(void)
{
	return shim_cpu;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void timeline_span_cpu(struct timeline *tl, const char *phase, const char *sub, uint32_t cpu,
		       uint64_t start_tsc, uint64_t end_tsc)
{
	(void)tl;
	(void)phase;
	(void)sub;
	(void)cpu;
	(void)start_tsc;
	(void)end_tsc;
}
