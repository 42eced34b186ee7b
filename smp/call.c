/*
 * Cross-calls: run fn(arg) on a set of CPUs (include/smp.h has the API
 * and who may call it).  Shaped after Linux kernel/smp.c and Xen
 * common/smp.c, with a fixed pool of call handles instead of allocation.
 *
 * Protocol
 *   caller:  take a handle from the pool, fill fn/arg/targets, set
 *            remaining = targets, refs = targets + 1 (the waiter's);
 *            for each remote target: lock its queue, append the handle,
 *            unlock (RELEASE, pairs with the target's lock ACQUIRE in
 *            smp_call_drain: the filled handle and whatever the caller
 *            wrote before is visible to fn), and send VEC_SMP_CALL if the
 *            queue was empty before (a non-empty queue already has an IPI
 *            on its way, and the drain loop empties the queue).  Then run
 *            fn locally if this CPU is a target.
 *   target:  IPI handler: EOI first (so an IPI sent during the drain is
 *            latched in IRR and taken after iret, never lost), then pop
 *            and run calls until the queue is empty.  After fn: set its
 *            done bit, decrement remaining (RELEASE, pairs with the ACQUIRE
 *            load in smp_call_poll/wait: fn's stores are visible to the
 *            waiter once it reads 0), then drop its reference.
 *   waiter:  spin on remaining (ACQUIRE) until 0 or the timeout, then drop
 *            its reference.  The last reference returns the handle to the
 *            pool, so a target that finishes after a timeout never touches
 *            a recycled handle.
 * A handle is in each queue at most once and at most SMP_MAX_CALLS
 * handles exist, so a queue of SMP_QUEUE_LEN >= SMP_MAX_CALLS never fills.
 */
#include <stdint.h>
#include "kassert.h"
#include "kprintf.h"
#include "lapic.h"
#include "tsc.h"
#include "x86.h"
#include "internal.h"

struct smp_call {
	smp_call_fn fn;		/* (C) while the handle is in use */
	void *arg;		/* (C) */
	uint32_t remaining;	/* (A) targets that have not finished fn */
	uint32_t refs;		/* (A) unfinished targets + the waiter */
	uint32_t starter;	/* (C) logical id of the caller */
	bool in_use;		/* (P) pool_lock */
	cpumask_t targets;	/* (C) */
	cpumask_t done;		/* (A) bit set by each target after fn */
} __attribute__((aligned(64)));

static struct smp_call pool[SMP_MAX_CALLS];
static struct spinlock pool_lock;

static struct smp_call *pool_get(void)
{
	uint64_t flags = spin_lock_irqsave(&pool_lock);
	struct smp_call *h = NULL;

	for (uint32_t i = 0; i < SMP_MAX_CALLS && !h; i++)
		if (!pool[i].in_use) {
			h = &pool[i];
			h->in_use = true;
		}
	spin_unlock_irqrestore(&pool_lock, flags);
	return h;
}

static void call_put(struct smp_call *h)
{
	uint64_t flags;

	/* ACQ_REL: the last one out sees every other target's done bit and
	 * remaining decrement before the handle is reused. */
	if (__atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL))
		return;
	flags = spin_lock_irqsave(&pool_lock);
	h->in_use = false;
	spin_unlock_irqrestore(&pool_lock, flags);
}

/* Run h's function here, then acknowledge: the done bit (release; pairs
 * with call_done_on()'s acquire: the late-CPU report), remaining (release;
 * pairs with smp_call_poll()'s acquire: fn's stores are visible to the
 * waiter once it reads 0), then drop this target's reference. */
static void call_run(struct smp_call *h, struct percpu *self)
{
	h->fn(h->arg);
	self->calls_run++;
	cpumask_set_release(&h->done, self->cpu);
	__atomic_sub_fetch(&h->remaining, 1, __ATOMIC_RELEASE);
	call_put(h);
}

/* The owning CPU, interrupts off: run everything queued for it. */
void smp_call_drain(struct percpu *self)
{
	struct smp_call_queue *q = &self->queue;

	for (;;) {
		struct smp_call *h = NULL;

		spin_lock(&q->lock);
		if (q->head != q->tail)
			h = q->ring[q->head++ % SMP_QUEUE_LEN];
		spin_unlock(&q->lock);
		if (!h)
			return;
		call_run(h, self);
	}
}

static void smp_call_ipi(struct trap_frame *tf)
{
	(void)tf;
	lapic_eoi();
	smp_call_drain(this_cpu());
}

/* A spurious interrupt needs no EOI (SDM vol 3 §10.9); just ignore it. */
static void lapic_spurious(struct trap_frame *tf)
{
	(void)tf;
}

void smp_call_init(void)
{
	idt_set_handler(VEC_SMP_CALL, smp_call_ipi);
	idt_set_handler(VEC_SPURIOUS, lapic_spurious);
}

static void enqueue(struct percpu *target, struct smp_call *h)
{
	struct smp_call_queue *q = &target->queue;
	uint64_t flags = spin_lock_irqsave(&q->lock);
	bool was_empty = q->head == q->tail;

	q->ring[q->tail++ % SMP_QUEUE_LEN] = h;
	spin_unlock_irqrestore(&q->lock, flags);
	if (was_empty && !lapic_send_ipi(target->apic_id, VEC_SMP_CALL))
		kprintf("smp: IPI to cpu %u (apic id %u) not accepted by the LAPIC\n",
			target->cpu, target->apic_id);
}

static bool mask_valid(const cpumask_t *mask)
{
	uint32_t n = cpumask_weight(mask), online = 0;

	for (uint32_t c = 0; c < smp.ncpus; c++)
		online += cpumask_test(mask, c);
	return n && n == online;
}

/* smp.fenced is read without a lock (acquire; pairs with the release in
 * fence_late()). */
static bool mask_has_fenced(const cpumask_t *mask)
{
	for (uint32_t w = 0; w < SMP_MAX_CPUS / 64; w++)
		if (mask->bits[w] & __atomic_load_n(&smp.fenced.bits[w], __ATOMIC_ACQUIRE))
			return true;
	return false;
}

/* Clear the fenced CPUs from m. */
static void mask_drop_fenced(cpumask_t *m)
{
	for (uint32_t w = 0; w < SMP_MAX_CPUS / 64; w++)
		m->bits[w] &= ~__atomic_load_n(&smp.fenced.bits[w], __ATOMIC_ACQUIRE);
}

/* Whether p lies on the calling CPU's stack.  An argument there dies when
 * the caller returns, while a CPU that missed the deadline may still run on
 * it (-SMP_ESTUCK): cross-call memory must outlive every CPU that may run
 * it (include/smp.h), so such an argument is a bug wherever it happens. */
static bool on_this_stack(const struct percpu *self, const void *p)
{
	uint64_t a = (uint64_t)p;

	return a >= self->stack_base && a < self->stack_top;
}

struct smp_call *smp_call_start(const cpumask_t *mask, smp_call_fn fn, void *arg, int *err)
{
	struct percpu *self;
	struct smp_call *h;
	uint64_t flags;

	kassert(!__atomic_load_n(&smp.percpu_ready, __ATOMIC_RELAXED) ||
		!on_this_stack(this_cpu(), arg));
	if (!__atomic_load_n(&smp.ready, __ATOMIC_ACQUIRE) || !fn || !mask_valid(mask) ||
	    !(read_rflags() & RFLAGS_IF)) {
		*err = -SMP_EINVAL;
		return NULL;
	}
	if (mask_has_fenced(mask)) {
		*err = -SMP_EFENCED;
		return NULL;
	}
	h = pool_get();
	if (!h) {
		*err = -SMP_ENOMEM;
		return NULL;
	}
	self = this_cpu();
	/* The handle is this CPU's alone until enqueue() publishes it: the
	 * queue unlock (release) pairs with the target's lock (acquire) in
	 * smp_call_drain(); the local run follows in program order. */
	h->fn = fn;
	h->arg = arg;
	h->starter = self->cpu;
	h->targets = *mask;
	cpumask_clear(&h->done);
	__atomic_store_n(&h->remaining, cpumask_weight(mask), __ATOMIC_RELAXED);
	__atomic_store_n(&h->refs, cpumask_weight(mask) + 1, __ATOMIC_RELAXED);
	for (uint32_t c = 0; c < smp.ncpus; c++)
		if (c != self->cpu && cpumask_test(mask, c))
			enqueue(smp.cpus[c], h);
	if (cpumask_test(mask, self->cpu)) {
		flags = read_rflags();
		irq_disable();
		call_run(h, self);
		if (flags & RFLAGS_IF)
			irq_enable();
	}
	*err = 0;
	return h;
}

struct smp_call *smp_call_start_cpu(uint32_t cpu, smp_call_fn fn, void *arg, int *err)
{
	cpumask_t m;

	cpumask_clear(&m);
	if (cpu < SMP_MAX_CPUS)
		cpumask_set(&m, cpu);
	return smp_call_start(&m, fn, arg, err);
}

struct smp_call *smp_call_start_node(uint32_t node, smp_call_fn fn, void *arg, int *err)
{
	cpumask_t m;

	smp_node_cpumask(node, &m);
	mask_drop_fenced(&m);
	return smp_call_start(&m, fn, arg, err);
}

bool smp_call_poll(const struct smp_call *h)
{
	return __atomic_load_n(&h->remaining, __ATOMIC_ACQUIRE) == 0;
}

/* Whether target c finished fn (acquire; pairs with call_run()'s release). */
static bool call_done_on(const struct smp_call *h, uint32_t c)
{
	return cpumask_test_acquire(&h->done, c);
}

/* At the deadline: name each late target and fence it (late gets them). */
static void fence_late(const struct smp_call *h, uint64_t timeout_ms, cpumask_t *late)
{
	cpumask_clear(late);
	for (uint32_t c = 0; c < smp.ncpus; c++) {
		if (!cpumask_test(&h->targets, c) || call_done_on(h, c))
			continue;
		cpumask_set(late, c);
		/* release; pairs with the acquire loads of smp.fenced in
		 * mask_has_fenced(), mask_drop_fenced(), smp_fenced_cpumask() */
		cpumask_set_release(&smp.fenced, c);
		kprintf("smp: cpu %u (apic id %u) did not finish call %p(%p) from cpu %u "
			"within %llu ms; fenced\n", c, smp.cpus[c]->apic_id, (void *)h->fn, h->arg,
			h->starter, (unsigned long long)timeout_ms);
	}
}

/*
 * Past the deadline: fence the late targets, then wait up to
 * SMP_FENCE_ACK_MS for them to finish fn (their acknowledgement), so
 * the caller gets its argument back only when no CPU runs on it.
 * Consumes the handle.
 */
static int call_late(struct smp_call *h, uint64_t timeout_ms)
{
	uint64_t t0 = rdtsc(), ack_deadline = t0 + tsc_from_ns(SMP_FENCE_ACK_MS * 1000000ULL);
	cpumask_t late;
	bool acked;

	fence_late(h, timeout_ms, &late);
	while (!smp_call_poll(h) && rdtsc() < ack_deadline)
		cpu_relax();
	acked = smp_call_poll(h);
	for (uint32_t c = 0; c < smp.ncpus; c++) {
		if (!cpumask_test(&late, c))
			continue;
		if (call_done_on(h, c)) {
			kprintf("smp: cpu %u acknowledged (finished the late call) %llu us after the "
				"deadline; it stays fenced\n", c,
				(unsigned long long)(tsc_to_ns(rdtsc() - t0) / 1000));
			continue;
		}
		/* release; pairs with cpumask_load_acquire() in smp_nstuck() and
		 * smp_report_fence() */
		cpumask_set_release(&smp.stuck, c);
		kprintf("smp: cpu %u (apic id %u) is still in call %p(%p) %u ms after the deadline: "
			"its argument may still be in use\n", c, smp.cpus[c]->apic_id, (void *)h->fn,
			h->arg, SMP_FENCE_ACK_MS);
	}
	call_put(h);
	return acked ? -SMP_ETIMEDOUT : -SMP_ESTUCK;
}

int smp_call_wait(struct smp_call *h, uint64_t timeout_ms)
{
	uint64_t deadline;

	if (!timeout_ms)
		timeout_ms = smp.call_timeout_ms;
	deadline = rdtsc() + tsc_from_ns(timeout_ms * 1000000ULL);
	while (!smp_call_poll(h)) {
		if (rdtsc() > deadline)
			return call_late(h, timeout_ms);
		cpu_relax();
	}
	call_put(h);
	return 0;
}

uint64_t smp_call_timeout_ms(void)
{
	return smp.call_timeout_ms;
}

void smp_fenced_cpumask(cpumask_t *out)
{
	cpumask_load_acquire(&smp.fenced, out);
}

uint32_t smp_nfenced(void)
{
	cpumask_t m;

	cpumask_load_acquire(&smp.fenced, &m);
	return cpumask_weight(&m);
}

uint32_t smp_nstuck(void)
{
	cpumask_t m;

	cpumask_load_acquire(&smp.stuck, &m);
	return cpumask_weight(&m);
}

int smp_call(const cpumask_t *mask, smp_call_fn fn, void *arg)
{
	int err;
	struct smp_call *h = smp_call_start(mask, fn, arg, &err);

	return h ? smp_call_wait(h, 0) : err;
}

int smp_call_cpu(uint32_t cpu, smp_call_fn fn, void *arg)
{
	int err;
	struct smp_call *h = smp_call_start_cpu(cpu, fn, arg, &err);

	return h ? smp_call_wait(h, 0) : err;
}

int smp_call_node(uint32_t node, smp_call_fn fn, void *arg)
{
	int err;
	struct smp_call *h = smp_call_start_node(node, fn, arg, &err);

	return h ? smp_call_wait(h, 0) : err;
}

int smp_call_all(smp_call_fn fn, void *arg)
{
	cpumask_t m;

	smp_online_cpumask(&m);
	mask_drop_fenced(&m);
	return smp_call(&m, fn, arg);
}
