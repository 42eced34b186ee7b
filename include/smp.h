/*
 * SMP: AP bring-up and cross-calls (smp/).  docs/smp.md has the design.
 *
 * After smp_init() the online CPUs have dense logical ids 0..smp_ncpus()-1
 * (0 = the boot CPU, then APs in MADT order); every one idles in `hlt`
 * with interrupts on until a cross-call arrives.
 *
 * Cross-calls: fn(arg) runs on each CPU of a set.  Remote CPUs run it in
 * their IPI handler, interrupts off, on their own stack; the calling CPU,
 * if in the set, runs it too, directly, with interrupts off, before the
 * start function returns.  fn must not start or wait for cross-calls
 * itself, must not sleep (there is nothing to sleep on) and should not
 * take locks that a caller may hold while waiting.
 *
 * Who may call the cross-call functions: any online CPU, outside a
 * cross-call function, with interrupts ON (a CPU that waits with
 * interrupts off could deadlock against a CPU waiting for it; the
 * functions return SMP_EINVAL instead).  smp_init() returns with
 * interrupts on on the boot CPU for this reason.
 *
 * Memory ordering: everything the caller wrote before starting a call is
 * visible to fn on every target; everything fn wrote is visible to the
 * caller once smp_call_wait() returned 0 or smp_call_poll() returned true.
 */
#ifndef NUMABOOT_SMP_H
#define NUMABOOT_SMP_H

#include <stdbool.h>
#include <stdint.h>
#include "boot_info.h"
#include "options.h"
#include "topology.h"

#define SMP_MAX_CPUS	1024	/* logical CPUs; more are listed, not started */
#define SMP_MAX_CALLS	64	/* cross-calls in flight, system-wide */

/* Errors, returned negated. */
#define SMP_EINVAL	1	/* bad cpu/node/mask, or called with interrupts off */
#define SMP_ENOMEM	2	/* no free call handle (SMP_MAX_CALLS in flight) */
#define SMP_ETIMEDOUT	3	/* a target did not finish in time (reported) */

/* A set of logical CPU ids.  Plain bits; the helpers below are all there is. */
typedef struct {
	uint64_t bits[SMP_MAX_CPUS / 64];
} cpumask_t;

static inline void cpumask_clear(cpumask_t *m)
{
	for (unsigned i = 0; i < SMP_MAX_CPUS / 64; i++)
		m->bits[i] = 0;
}

static inline void cpumask_set(cpumask_t *m, uint32_t cpu)
{
	m->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline void cpumask_unset(cpumask_t *m, uint32_t cpu)
{
	m->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
}

static inline bool cpumask_test(const cpumask_t *m, uint32_t cpu)
{
	return cpu < SMP_MAX_CPUS && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

static inline uint32_t cpumask_weight(const cpumask_t *m)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < SMP_MAX_CPUS / 64; i++)
		for (uint64_t w = m->bits[i]; w; w &= w - 1)	/* no libgcc popcount */
			n++;
	return n;
}

typedef void (*smp_call_fn)(void *arg);
struct smp_call;	/* a handle; opaque */

/* The highest APIC id of an enabled CPU the topology lists (how wide the
 * LAPIC mode must address: lapic_init_bsp()). */
uint32_t smp_max_enabled_apic_id(const struct numa_topology *t);

/*
 * Boot CPU, once, after topology_init(), tsc_init() and lapic_init_bsp(),
 * interrupts off: start every enabled AP the MADT lists (up to max_cpus)
 * and report them (human lines and the "smp" JSON record).  APs that do not
 * answer are reported and left out: that is not an error.  Returns 0, or
 * -1 when the boot CPU's own per-CPU area cannot be had (no SMP at all).
 * Returns with interrupts enabled on the boot CPU.
 */
int smp_init(const struct boot_info *bi, const struct options *o, const struct machine *m);

/* The cross-call stress test (smp_stress=N rounds; docs/smp.md): 0 when
 * every count came out exact.  Boot CPU, after smp_init(). */
int smp_stress_run(uint64_t rounds);

/* Online CPUs (1 before smp_init). */
uint32_t smp_ncpus(void);
/* This CPU's logical id / node (0 / node of the boot CPU before smp_init). */
uint32_t smp_this_cpu(void);
uint32_t smp_this_node(void);
/* Facts about an online CPU; UINT32_MAX for an id that is not online. */
uint32_t smp_cpu_apic_id(uint32_t cpu);
uint32_t smp_cpu_node(uint32_t cpu);
/* The online CPUs of a node (empty for a CPU-less or unknown node), and
 * all online CPUs.  Iterate with a plain loop:
 *	for (uint32_t c = 0; c < smp_ncpus(); c++) if (cpumask_test(&m, c)) ...  */
void smp_node_cpumask(uint32_t node, cpumask_t *out);
uint32_t smp_node_ncpus(uint32_t node);
void smp_online_cpumask(cpumask_t *out);

/*
 * Start fn(arg) on every CPU of mask (at least one, all online) and return
 * a handle without waiting for remote CPUs (the local one, if in mask, has
 * already run fn).  *err gets 0 or a negated SMP_E* code; NULL on error.
 * The handle must be passed to smp_call_wait() exactly once.
 */
struct smp_call *smp_call_start(const cpumask_t *mask, smp_call_fn fn, void *arg, int *err);
struct smp_call *smp_call_start_cpu(uint32_t cpu, smp_call_fn fn, void *arg, int *err);
struct smp_call *smp_call_start_node(uint32_t node, smp_call_fn fn, void *arg, int *err);

/* true once every target has finished fn (acquire: its writes are visible).
 * Does not consume the handle.  Any CPU. */
bool smp_call_poll(const struct smp_call *h);
/*
 * Wait until every target finished, at most timeout_ms (0 = the
 * call_timeout_ms option).  Consumes the handle.  Returns 0, or
 * -SMP_ETIMEDOUT after reporting each late CPU and the function address;
 * the late CPUs may still run fn later, and the handle is then recycled by
 * the last of them.  Any CPU (usually the starter), interrupts on.
 */
int smp_call_wait(struct smp_call *h, uint64_t timeout_ms);

/* Start and wait (call_timeout_ms): 0 or a negated SMP_E* code. */
int smp_call(const cpumask_t *mask, smp_call_fn fn, void *arg);
int smp_call_cpu(uint32_t cpu, smp_call_fn fn, void *arg);
int smp_call_node(uint32_t node, smp_call_fn fn, void *arg);
int smp_call_all(smp_call_fn fn, void *arg);

#endif
