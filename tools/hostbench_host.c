/*
 * hostbench: host versions of the kernel services that the linked mm code
 * (mm/request.c, mm/memmap_init.c, ...) calls.
 *
 *   smp_this_cpu()  the calling thread's logical CPU: the pass thread's
 *                   index, set by hb_set_this_cpu() when the pinned thread
 *                   starts (0 on the main thread, which runs no chunks)
 *   now_ns()        CLOCK_MONOTONIC (the kernel's is TSC-based, arch/x86_64/tsc.c)
 *   console_write() stderr, for kprintf (lib/printf.c)
 *   kassert_fail()  report and abort, as the host tests do
 *
 * Any thread.  The logical id is thread-local: no run state in statics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "hostbench.h"
#include "kassert.h"
#include "kprintf.h"
#include "smp.h"
#include "tsc.h"

_Static_assert(HB_MAX_CPUS <= SMP_MAX_CPUS, "a pass thread's index must fit a request's ran mask");

static __thread uint32_t hb_this_cpu;

void hb_set_this_cpu(uint32_t id)
{
	kassert(id < SMP_MAX_CPUS);
	hb_this_cpu = id;
}

uint32_t smp_this_cpu(void)
{
	return hb_this_cpu;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void console_write(const char *s, size_t len)
{
	fwrite(s, 1, len, stderr);
}

void kassert_fail(const char *func, const char *cond, const char *file, int line)
{
	fprintf(stderr, "kassert: %s: assertion \"%s\" failed (%s:%d)\n", func, cond, file, line);
	abort();
}
