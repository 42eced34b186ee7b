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
 * The argument must outlive every CPU that may run fn on it, including one
 * that misses the deadline and finishes late or never (-SMP_ESTUCK): give
 * it state that lives for the boot (a static, the run or plan structs, a
 * device struct), never the caller's stack; smp_call_start() kassert()s
 * that it is not on the calling CPU's stack.
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
#include "numa.h"

/*
 * Logical CPUs smp/ can start: every processor entry the ACPI parsers keep
 * (ACPI_MAX_CPUS), so no listed CPU is left out for want of a slot.  APIC
 * ids are any 32-bit value (x2APIC); they index nothing, they are looked
 * up.  A cpumask_t is SMP_MAX_CPUS / 8 = 512 bytes: pass it by pointer.
 */
#define SMP_MAX_CPUS	4096
#define SMP_MAX_CALLS	64	/* cross-calls in flight, system-wide */
#define SMP_FENCE_ACK_MS 30000	/* how long a timed-out call waits for its late CPUs */

_Static_assert(SMP_MAX_CPUS == NUMA_MAX_CPUS && NUMA_MAX_CPUS == ACPI_MAX_CPUS,
	       "every CPU the tables keep can be started");
_Static_assert(SMP_MAX_CPUS % 64 == 0, "cpumask_t is whole 64-bit words");

/* Errors, returned negated. */
#define SMP_EINVAL	1	/* bad cpu/node/mask, or called with interrupts off */
#define SMP_ENOMEM	2	/* no free call handle (SMP_MAX_CALLS in flight) */
#define SMP_ETIMEDOUT	3	/* a target missed the deadline (reported, fenced), then
				 * finished: the call's argument is free again */
#define SMP_EFENCED	4	/* a target is fenced (missed an earlier deadline) */
#define SMP_ESTUCK	5	/* a late target did not finish within SMP_FENCE_ACK_MS
				 * either: the argument may still be in use */

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

/* dst |= src */
static inline void cpumask_or(cpumask_t *dst, const cpumask_t *src)
{
	for (unsigned i = 0; i < SMP_MAX_CPUS / 64; i++)
		dst->bits[i] |= src->bits[i];
}

/* Set cpu in a mask other CPUs set bits of at the same time (relaxed: the
 * caller's own protocol orders it, e.g. mm/request.c's done[] release). */
static inline void cpumask_set_atomic(cpumask_t *m, uint32_t cpu)
{
	__atomic_fetch_or(&m->bits[cpu / 64], 1ULL << (cpu % 64), __ATOMIC_RELAXED);
}

/* Set cpu in a mask that other CPUs read without a lock, with release: what
 * this CPU wrote before is visible to a reader that sees the bit through
 * cpumask_load_acquire() or cpumask_test_acquire() (the pair). */
static inline void cpumask_set_release(cpumask_t *m, uint32_t cpu)
{
	__atomic_fetch_or(&m->bits[cpu / 64], 1ULL << (cpu % 64), __ATOMIC_RELEASE);
}

/* Whether cpu is set in such a mask (acquire; pairs with
 * cpumask_set_release()). */
static inline bool cpumask_test_acquire(const cpumask_t *m, uint32_t cpu)
{
	return cpu < SMP_MAX_CPUS &&
	       (__atomic_load_n(&m->bits[cpu / 64], __ATOMIC_ACQUIRE) >> (cpu % 64)) & 1;
}

/* A snapshot of such a mask, word by word (each load an acquire; pairs
 * with cpumask_set_release()): bits set meanwhile may or may not show. */
static inline void cpumask_load_acquire(const cpumask_t *m, cpumask_t *out)
{
	for (unsigned i = 0; i < SMP_MAX_CPUS / 64; i++)
		out->bits[i] = __atomic_load_n(&m->bits[i], __ATOMIC_ACQUIRE);
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

/* What smp_init() takes from the options (kernel_main fills it). */
struct smp_config {
	uint64_t max_cpus;		/* start at most this many CPUs; 0: every one */
	uint64_t ap_timeout_ms;		/* how long an AP has to check in */
	uint64_t call_timeout_ms;	/* a cross-call's deadline (smp_call_timeout_ms()) */
	uint64_t ignore_apic;		/* test hook: never kick this APIC id */
};

/*
 * The CPUs to start and where they live, from the topology its caller owns
 * (smp/ knows no NUMA parser): cpus[] as the MADT lists them, and
 * node_of_apic(t, apic_id), the node of a CPU by its APIC id or
 * NUMA_NO_NODE, asked for each CPU as it checks in (the id its LAPIC
 * reports).  Read by smp/ for the whole boot: the caller keeps it alive.
 * A caller that needs more state embeds the struct first in its own.
 */
struct smp_topology {
	const struct numa_cpu *cpus;
	uint32_t ncpus;
	uint32_t nnodes;
	uint32_t madt_unusable;		/* MADT entries the parser could not use (report) */
	uint32_t (*node_of_apic)(const struct smp_topology *t, uint32_t apic_id);
};

/* The highest APIC id of an enabled CPU the topology lists (how wide the
 * LAPIC mode must address: lapic_init_bsp()). */
uint32_t smp_max_enabled_apic_id(const struct smp_topology *t);

/*
 * Where per-CPU areas and stacks come from: alloc(ctx, node, size, align)
 * returns the physical (= identity-mapped) address of size bytes, on node
 * when it has room, else on the nearest node with room, and sets *got_node
 * to the node it used; 0 when nothing fits.  mm/ provides it (memblock,
 * before the freeze); kernel_main wires the two together, so smp/ knows no
 * allocator.  Called by the boot CPU only, inside smp_init().
 */
struct smp_mem {
	uint64_t (*alloc)(void *ctx, uint32_t node, uint64_t size, uint64_t align,
			  uint32_t *got_node);
	void *ctx;
};

/*
 * Boot CPU, once, after topology_init(), tsc_init(), lapic_init_bsp() and
 * memblock (mem), interrupts off: give every enabled AP topo lists (up
 * to cfg->max_cpus) a per-CPU area on its own node, start them all and report
 * them (human lines and the "smp" JSON record).  APs that do not answer
 * are reported and left out: that is not an error.  Returns 0, or -1 when
 * the boot CPU's own per-CPU area cannot be had (no SMP at all).  Returns
 * with interrupts enabled on the boot CPU.
 */
int smp_init(const struct boot_info *bi, const struct smp_config *cfg,
	     const struct smp_topology *topo, const struct smp_mem *mem);

/* The cross-call stress test (smp_stress=N rounds; docs/smp.md): 0 when
 * every count came out exact.  Boot CPU, after smp_init(). */
int smp_stress_run(uint64_t rounds);

/* debug_stuck_cpu=N: give logical CPU cpu a call it does not finish (it
 * spins with interrupts off for 20 x SMP_FENCE_ACK_MS), to show that a
 * stuck CPU ends the boot.  Returns the call's result (-SMP_ESTUCK), or 0
 * when cpu is not an online AP (reported).  Boot CPU, after smp_init(). */
int smp_stuck_run(uint32_t cpu);

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
 * call_timeout_ms option).  Consumes the handle.  Returns 0; or, past the
 * deadline, reports each late CPU and the function address, fences the
 * late CPUs and waits up to SMP_FENCE_ACK_MS more for them to finish fn:
 * -SMP_ETIMEDOUT when they did (arg is free again), -SMP_ESTUCK when not
 * (they may still run fn on arg; the handle is then recycled by the last
 * of them).  Any CPU (usually the starter), interrupts on.
 */
int smp_call_wait(struct smp_call *h, uint64_t timeout_ms);

/*
 * Fencing (docs/smp.md): a CPU that missed a cross-call deadline is fenced
 * for the rest of the boot: smp_call_start() refuses it (-SMP_EFENCED),
 * smp_call_all() and smp_call_start_node() leave it out, and callers that
 * keep their own CPU sets must drop it (mm_plan_drop_fenced()).  The
 * waiter that saw the deadline pass keeps waiting up to SMP_FENCE_ACK_MS
 * for the late CPUs to finish (acknowledge) before it returns, so the
 * call's argument is never reused while a late CPU still runs on it;
 * -SMP_ESTUCK says they did not, and the caller must end the boot: a
 * subsystem returns the error (or -1) at once, running no further phase,
 * and kernel_main checks smp_nstuck() after each phase that makes
 * cross-calls and ends the boot with the smp_fence record, a message and
 * EXIT_CHECK_FAIL (docs/smp.md, "Fencing").
 */
/* The fenced CPUs; how many; how many never acknowledged.  Any CPU. */
void smp_fenced_cpumask(cpumask_t *out);
uint32_t smp_nfenced(void);
uint32_t smp_nstuck(void);
/* The "smp_fence" JSON record (nothing when no CPU is fenced).  Boot CPU. */
void smp_report_fence(void);

/* The call_timeout_ms option: the deadline smp_call*() give a call (a
 * caller whose call queues behind another derives its own from it). */
uint64_t smp_call_timeout_ms(void);

/* Start and wait (call_timeout_ms): 0 or a negated SMP_E* code. */
int smp_call(const cpumask_t *mask, smp_call_fn fn, void *arg);
int smp_call_cpu(uint32_t cpu, smp_call_fn fn, void *arg);
int smp_call_node(uint32_t node, smp_call_fn fn, void *arg);
int smp_call_all(smp_call_fn fn, void *arg);

#endif
