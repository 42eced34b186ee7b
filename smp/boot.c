/*
 * AP bring-up: the trampoline, the wake sequence, the check-in wait, and
 * the AP's C entry.  Boot CPU (smp_bringup) with interrupts off; each AP
 * runs smp_ap_entry on itself.
 *
 * Wake sequence (Intel SDM vol 3 §8.4.4.1; MP spec 1.4 §B.4), kick all,
 * then wait:
 *   1. INIT IPI to every AP (plus the INIT de-assert in xAPIC mode).
 *   2. The MP spec's 10 ms wait after INIT, only on CPUs that need it:
 *      not on Intel family >= 6, AMD/Hygon family >= 0Fh, or any CPU that
 *      says it runs under a hypervisor (Linux's smp_quirk_init_udelay()
 *      makes the same choice).  The delay used is reported.
 *   3. STARTUP IPI (vector = trampoline page >> 12) to every AP.
 *   4. 200 us, then a second STARTUP to every AP that has not checked in
 *      yet (the spec sends two; a CPU already past wait-for-SIPI ignores it).
 *   5. Wait until each AP checks in or ap_timeout_ms passed since step 4.
 * Check-in is a compare-and-swap WAITING -> ONLINE by the AP against the
 * boot CPU's WAITING -> FAILED at the timeout, so an AP that wakes up too
 * late finds itself FAILED and halts for good (cli; hlt) without touching
 * anything shared.
 */
#include <stdint.h>
#include "kprintf.h"
#include "kstring.h"
#include "lapic.h"
#include "paging.h"
#include "tsc.h"
#include "x86.h"
#include "internal.h"

#define INIT_DELAY_LEGACY_US	10000	/* MP spec B.4: 10 ms after INIT */
#define SIPI_GAP_US		200	/* SDM §8.4.4.1: 200 us between the STARTUPs */
#define CPUID1_ECX_HYPERVISOR	(1u << 31)
#define EFER_NX_UNUSED		0	/* numaboot's page tables set no NX bits */

static struct smp_slot slots[SMP_MAX_CPUS];

/* AP side, never returns.  Entered from the trampoline on the CPU's own
 * kernel stack, interrupts off, under the kernel's page tables. */
__attribute__((noreturn)) void smp_ap_entry(struct percpu *pc);

/* An AP the boot CPU gave up on: off for good, interrupts masked. */
static __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" : : : "memory");
}

/* Idle: drain the call queue, then sleep until the next IPI.  "sti; hlt"
 * is atomic with respect to interrupts (the STI shadow), so an IPI that
 * arrives after the drain wakes the hlt instead of being missed. */
static __attribute__((noreturn)) void smp_idle(struct percpu *self)
{
	for (;;) {
		irq_disable();
		smp_call_drain(self);
		__asm__ volatile("sti; hlt" : : : "memory");
	}
}

void smp_ap_entry(struct percpu *pc)
{
	uint32_t expect = CPU_WAITING;

	desc_init_cpu(&pc->desc, pc->ist_top);
	smp_percpu_install(pc);
	lapic_init_cpu();
	pc->apic_id = lapic_id();
	pc->node = smp.topo->node_of_apic(smp.topo, pc->apic_id);
	pc->checkin_tsc = rdtsc();
	/* Release: the fields above are visible to the boot CPU once it sees
	 * ONLINE (pairs with the acquire load in wait_for_aps()). */
	if (!__atomic_compare_exchange_n(&pc->state, &expect, CPU_ONLINE, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED))
		halt_forever();	/* too late: the boot CPU gave up on us */
	smp_idle(pc);
}

static uint32_t cpu_family(uint32_t eax)
{
	uint32_t family = (eax >> 8) & 0xf;

	return family == 0xf ? family + ((eax >> 20) & 0xff) : family;
}

/* 0 on modern CPUs and under hypervisors, else the legacy 10 ms. */
static uint32_t init_delay_us(void)
{
	uint32_t a, b, c, d, vendor[3], family;

	cpuid(0, 0, &a, &vendor[0], &vendor[2], &vendor[1]);
	cpuid(1, 0, &a, &b, &c, &d);
	family = cpu_family(a);
	if (c & CPUID1_ECX_HYPERVISOR)
		return 0;
	if (!memcmp(vendor, "GenuineIntel", 12) && family >= 6)
		return 0;
	if ((!memcmp(vendor, "AuthenticAMD", 12) || !memcmp(vendor, "HygonGenuine", 12)) &&
	    family >= 0xf)
		return 0;
	return INIT_DELAY_LEGACY_US;
}

/* Copy the blob to the low page and fill its parameter block.  Returns -1
 * when the blob does not carry the layout this file was compiled for. */
static int copy_trampoline(uint64_t page, uint32_t nslots)
{
	size_t len = (size_t)(trampoline_blob_end - trampoline_blob);
	struct trampoline_params *p = (struct trampoline_params *)(page + TRAMPOLINE_PARAMS_OFFSET);

	if (len > PAGE_SIZE || len < TRAMPOLINE_PARAMS_OFFSET + sizeof(*p))
		return -1;
	memcpy((void *)page, trampoline_blob, len);
	if (p->magic != TRAMPOLINE_MAGIC || p->size != sizeof(*p) ||
	    p->slot_size != sizeof(struct smp_slot))
		return -1;
	p->gdt_base += (uint32_t)page;
	p->pm32_offset += (uint32_t)page;
	p->lm64_offset += (uint32_t)page;
	p->cr3 = (uint32_t)paging_root();
	p->efer_set = EFER_NX_UNUSED;
	p->entry = (uint64_t)smp_ap_entry;
	p->slots = (uint64_t)slots;
	p->nslots = nslots;
	return 0;
}

static bool ap_kicked(const struct smp_bringup *b, uint32_t s)
{
	return b->pcs[s]->madt_apic_id != b->ignore_apic;
}

/* Steps 1-4 of the wake sequence above. */
static void kick_aps(struct smp_bringup *b)
{
	b->t_first_init = rdtsc();
	for (uint32_t s = 1; s < b->nslots; s++)
		if (ap_kicked(b, s) && !lapic_send_init(b->pcs[s]->madt_apic_id))
			kprintf("smp: INIT to apic id %u not accepted\n", b->pcs[s]->madt_apic_id);
	delay_us(b->init_delay_us);
	for (uint32_t s = 1; s < b->nslots; s++)
		if (ap_kicked(b, s))
			lapic_send_sipi(b->pcs[s]->madt_apic_id, b->trampoline);
	delay_us(SIPI_GAP_US);
	for (uint32_t s = 1; s < b->nslots; s++)
		if (ap_kicked(b, s) &&
		    __atomic_load_n(&b->pcs[s]->state, __ATOMIC_RELAXED) == CPU_WAITING)
			lapic_send_sipi(b->pcs[s]->madt_apic_id, b->trampoline);
	b->t_kicked = rdtsc();
}

/*
 * When did this AP come online, counted from the first INIT?  Its own TSC
 * at check-in, when that reads as plausible (TSCs in step, as they are on
 * invariant-TSC machines and under QEMU), else when the boot CPU saw it.
 */
static uint64_t online_ns(const struct smp_bringup *b, const struct percpu *pc, uint64_t seen)
{
	uint64_t t = pc->checkin_tsc;

	if (t <= b->t_first_init || t > seen)
		t = seen;
	return tsc_to_ns(t - b->t_first_init);
}

/* Step 5: returns when every AP is ONLINE or FAILED. */
static void wait_for_aps(struct smp_bringup *b)
{
	uint64_t deadline = b->t_kicked + tsc_from_ns(b->ap_timeout_ms * 1000000ULL), now;
	uint32_t waiting;

	do {
		now = rdtsc();
		waiting = 0;
		for (uint32_t s = 1; s < b->nslots; s++) {
			struct percpu *pc = b->pcs[s];
			uint32_t state = __atomic_load_n(&pc->state, __ATOMIC_ACQUIRE), expect = CPU_WAITING;

			if (state == CPU_WAITING && now >= deadline) {
				if (__atomic_compare_exchange_n(&pc->state, &expect, CPU_FAILED, false,
								__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
					continue;
				state = expect;	/* it checked in just now */
			}
			if (state == CPU_WAITING)
				waiting++;
			else if (state == CPU_ONLINE && !b->online_ns[s])
				b->online_ns[s] = online_ns(b, pc, now);
		}
		cpu_relax();
	} while (waiting);
	b->t_done = rdtsc();
}

int smp_bringup(struct smp_bringup *b)
{
	for (uint32_t s = 1; s < b->nslots; s++) {
		struct percpu *pc = b->pcs[s];

		slots[s - 1] = (struct smp_slot){ .apic_id = pc->madt_apic_id,
						  .stack_top = pc->stack_top, .arg = (uint64_t)pc };
		/* Relaxed: the AP reads it (its check-in CAS) only after the
		 * INIT/SIPI sent below, ordered after this store by the ICR write
		 * (lapic_write_icr(): a fenced WRMSR, or an uncached store). */
		__atomic_store_n(&pc->state, CPU_WAITING, __ATOMIC_RELAXED);
	}
	if (b->nslots < 2)
		return 0;
	if (copy_trampoline(b->trampoline, b->nslots - 1)) {
		kprintf("smp: the trampoline blob's parameter block does not match "
			"smp/internal.h; no APs started\n");
		return -1;
	}
	b->init_delay_us = init_delay_us();
	kick_aps(b);
	wait_for_aps(b);
	return 0;
}
