/*
 * smp_stress=N: N rounds of cross-calls of every shape (one CPU, a set,
 * a node, all; waiting and not), each execution counted atomically per
 * CPU; the counts must come out exactly as planned.  debug_stuck_cpu=N: a
 * call that CPU N never finishes.  Boot CPU, after smp_init(), interrupts
 * on.
 */
#include <stdint.h>
#include "json.h"
#include "kprintf.h"
#include "tsc.h"
#include "x86.h"
#include "internal.h"

#define STRESS_BATCH	(SMP_MAX_CALLS / 2)	/* no-wait calls in flight at once */
#define STUCK_SPIN_MS	(20 * SMP_FENCE_ACK_MS)	/* debug_stuck_cpu: far past the ack wait */

struct stress {
	uint64_t counted[SMP_MAX_CPUS];		/* (A) by the CPU that ran the call */
	uint64_t expected[SMP_MAX_CPUS];	/* boot CPU only */
	uint64_t calls, errors;
	uint64_t rng;
	struct smp_call *inflight[STRESS_BATCH];
	uint32_t ninflight;
};

static struct stress stress_state;	/* the run's: outlives every late call */

static void stress_fn(void *arg)
{
	struct stress *s = arg;

	__atomic_fetch_add(&s->counted[smp_this_cpu()], 1, __ATOMIC_RELAXED);
}

static void expect_mask(struct stress *s, const cpumask_t *m)
{
	for (uint32_t c = 0; c < smp_ncpus(); c++)
		s->expected[c] += cpumask_test(m, c);
	s->calls++;
}

static void wait_inflight(struct stress *s)
{
	for (uint32_t i = 0; i < s->ninflight; i++)
		if (smp_call_wait(s->inflight[i], 0))
			s->errors++;
	s->ninflight = 0;
}

/* One call on mask, waiting now or later; an empty mask is skipped. */
static void stress_call(struct stress *s, const cpumask_t *m, bool wait)
{
	struct smp_call *h;
	int err;

	if (!cpumask_weight(m))
		return;
	expect_mask(s, m);
	if (wait) {
		if (smp_call(m, stress_fn, s))
			s->errors++;
		return;
	}
	if (s->ninflight == STRESS_BATCH)
		wait_inflight(s);
	h = smp_call_start(m, stress_fn, s, &err);
	if (h)
		s->inflight[s->ninflight++] = h;
	else
		s->errors++;
}

static uint64_t next_rand(struct stress *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static void stress_round(struct stress *s, uint64_t round)
{
	uint32_t n = smp_ncpus();
	cpumask_t m;

	for (int wait = 1; wait >= 0; wait--) {
		for (uint32_t c = 0; c < n; c++) {		/* single CPUs */
			cpumask_clear(&m);
			cpumask_set(&m, c);
			stress_call(s, &m, wait);
		}
		cpumask_clear(&m);				/* alternate halves */
		for (uint32_t c = 0; c < n; c++)
			if ((c + round) % 2 == 0)
				cpumask_set(&m, c);
		stress_call(s, &m, wait);
		cpumask_clear(&m);				/* a random set */
		for (uint32_t c = 0; c < n; c++)
			if (next_rand(s) & 1)
				cpumask_set(&m, c);
		stress_call(s, &m, wait);
		for (uint32_t node = 0; node < smp.topo->nnodes; node++) {	/* nodes */
			smp_node_cpumask(node, &m);
			stress_call(s, &m, wait);
		}
		smp_online_cpumask(&m);				/* everyone */
		stress_call(s, &m, wait);
	}
	wait_inflight(s);
}

int smp_stress_run(uint64_t rounds)
{
	struct stress *s = &stress_state;
	uint64_t expected = 0, counted = 0, t0 = now_ns(), ns;
	bool ok = true;
	char buf[512];
	struct json j;

	s->rng = 0x9e3779b97f4a7c15ULL;
	for (uint64_t r = 0; r < rounds; r++)
		stress_round(s, r);
	ns = now_ns() - t0;
	for (uint32_t c = 0; c < smp_ncpus(); c++) {
		uint64_t got = __atomic_load_n(&s->counted[c], __ATOMIC_RELAXED);

		expected += s->expected[c];
		counted += got;
		if (got != s->expected[c]) {
			kprintf("smp: stress: cpu %u ran %llu calls, expected %llu\n", c,
				(unsigned long long)got, (unsigned long long)s->expected[c]);
			ok = false;
		}
	}
	ok = ok && !s->errors;
	kprintf("smp: stress: %llu rounds, %llu calls, %llu executions of %llu expected, "
		"%llu errors, %llu us: %s\n", (unsigned long long)rounds,
		(unsigned long long)s->calls, (unsigned long long)counted,
		(unsigned long long)expected, (unsigned long long)s->errors,
		(unsigned long long)(ns / 1000), ok ? "ok" : "FAILED");
	json_begin(&j, buf, sizeof(buf), "smp_stress");
	json_u64(&j, "rounds", rounds);
	json_u64(&j, "calls", s->calls);
	json_u64(&j, "expected", expected);
	json_u64(&j, "counted", counted);
	json_u64(&j, "errors", s->errors);
	json_u64(&j, "ns", ns);
	json_bool(&j, "ok", ok);
	json_emit(&j);
	return ok ? 0 : -1;
}

/* The stuck CPU's call: spin with interrupts off far longer than anyone
 * waits for it (bounded all the same), then count itself out. */
static void stuck_fn(void *arg)
{
	uint64_t *finished = arg, end = rdtsc() + tsc_from_ns(STUCK_SPIN_MS * 1000000ULL);

	while (rdtsc() < end)
		cpu_relax();
	__atomic_fetch_add(finished, 1, __ATOMIC_RELAXED);
}

static uint64_t stuck_finished;	/* (A) the call's argument: a static, never a stack */

int smp_stuck_run(uint32_t cpu)
{
	int err;

	if (cpu == 0 || cpu >= smp_ncpus()) {
		kprintf("smp: debug_stuck_cpu=%u is not an online AP: ignored\n", cpu);
		return 0;
	}
	kprintf("smp: debug_stuck_cpu: cpu %u gets a call it will not finish\n", cpu);
	err = smp_call_cpu(cpu, stuck_fn, &stuck_finished);
	kprintf("smp: debug_stuck_cpu: the call returned %d\n", err);
	return err;
}
