/*
 * tests/unit/host_smp.c: the host's stand-ins for the kernel's smp_this_cpu()
 * (include/smp.h) and now_ns() (include/tsc.h), shared by the pthread unit
 * tests, the TSan tests and numaboot-hostbench (tools/hostbench.mk).
 */
#ifndef HOST_SMP_H
#define HOST_SMP_H

#include <stdint.h>

/* The logical CPU id smp_this_cpu() returns on the calling thread from now
 * on (0 until set); cpu < SMP_MAX_CPUS.  Any thread. */
void host_smp_set_cpu(uint32_t cpu);

#endif
