/*
 * hostbench: host versions of the kernel services that the linked mm code
 * (mm/request.c, mm/memmap_init.c, ...) calls, besides smp_this_cpu() and
 * now_ns() (tests/unit/host_smp.c, shared with the pthread unit tests; a
 * pass thread sets its index with host_smp_set_cpu() when it starts, the
 * main thread runs no chunks and stays 0).
 *
 *   console_write() stderr, for kprintf (lib/printf.c)
 *   kassert_fail()  report and abort, as the host tests do
 *
 * Any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include "hostbench.h"
#include "kassert.h"
#include "kprintf.h"
#include "smp.h"

_Static_assert(HB_MAX_CPUS <= SMP_MAX_CPUS, "a pass thread's index must fit a request's ran mask");

void console_write(const char *s, size_t len)
{
	fwrite(s, 1, len, stderr);
}

void kassert_fail(const char *func, const char *cond, const char *file, int line)
{
	fprintf(stderr, "kassert: %s: assertion \"%s\" failed (%s:%d)\n", func, cond, file, line);
	abort();
}
