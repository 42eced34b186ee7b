/* tests/unit/smp_shim.c: the host's stand-ins for smp_this_cpu() & co. */
#ifndef SMP_SHIM_H
#define SMP_SHIM_H

#include <stdint.h>

/* The logical CPU id smp_this_cpu() returns on the calling thread. */
void shim_set_cpu(uint32_t cpu);

#endif
