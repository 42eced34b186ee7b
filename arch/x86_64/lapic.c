/*
 * Local APIC access in xAPIC (MMIO page) or x2APIC (MSR) mode, and the
 * IPIs SMP needs.  Intel SDM vol 3 §10.4 (xAPIC), §10.6 (issuing IPIs),
 * §10.12 (x2APIC).  See include/lapic.h for who may call what.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kprintf.h"
#include "lapic.h"
#include "tsc.h"
#include "x86.h"

#define ICR_IDLE_TIMEOUT_US	10000	/* a healthy xAPIC accepts an IPI in ~1 us */

/* Set once by the boot CPU before any AP starts; read-only afterwards. */
static struct {
	volatile uint32_t *mmio;	/* xAPIC register page (identity mapped) */
	bool x2apic;
	bool firmware_x2apic;
} lapic;

static uint32_t lapic_read(uint32_t reg)
{
	if (lapic.x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR_BASE + (reg >> 4));
	return lapic.mmio[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (lapic.x2apic)
		wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
	else
		lapic.mmio[reg / 4] = v;
}

static bool cpu_has_x2apic(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return c & CPUID1_ECX_X2APIC;
}

/* Put this CPU's LAPIC in the chosen mode.  The legal transitions are
 * disabled -> xAPIC -> x2APIC and x2APIC -> disabled (SDM §10.12.5). */
static void lapic_set_mode(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	if (!lapic.x2apic && (base & APIC_BASE_EXTD)) {
		base &= ~(APIC_BASE_EN | APIC_BASE_EXTD);
		wrmsr(MSR_IA32_APIC_BASE, base);
	}
	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		wrmsr(MSR_IA32_APIC_BASE, base);
	}
	if (lapic.x2apic && !(base & APIC_BASE_EXTD))
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
}

/* Software-enable the LAPIC and mask the local sources numaboot never uses
 * (the firmware may have left its timer running). */
static void lapic_setup(void)
{
	lapic_set_mode();
	lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_LVT_LINT0, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_LVT_ERROR, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_TPR, 0);
	lapic_write(LAPIC_REG_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_REG_ESR, 0);		/* back-to-back writes clear it (§10.5.3) */
	lapic_write(LAPIC_REG_ESR, 0);
	lapic_eoi();				/* nothing of the firmware's stays in service */
}

void lapic_init_bsp(uint64_t mmio_base, uint32_t max_apic_id, bool allow_x2apic)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	lapic.firmware_x2apic = (base & APIC_BASE_EN) && (base & APIC_BASE_EXTD);
	lapic.mmio = (volatile uint32_t *)(mmio_base ? mmio_base : (base & APIC_BASE_ADDR_MASK));
	lapic.x2apic = allow_x2apic && cpu_has_x2apic() &&
		       (lapic.firmware_x2apic || max_apic_id > LAPIC_XAPIC_MAX_ID);
	if (lapic.firmware_x2apic && !lapic.x2apic)
		kprintf("lapic: firmware enabled x2APIC but x2apic=off: back to xAPIC mode\n");
	if (max_apic_id > LAPIC_XAPIC_MAX_ID && !lapic.x2apic)
		kprintf("lapic: APIC ids up to %u need x2APIC, which is %s: those CPUs stay off\n",
			max_apic_id, allow_x2apic ? "not supported" : "disabled (x2apic=off)");
	lapic_setup();
}

void lapic_init_cpu(void)
{
	lapic_setup();
}

bool lapic_x2apic_mode(void)
{
	return lapic.x2apic;
}

bool lapic_firmware_x2apic(void)
{
	return lapic.firmware_x2apic;
}

uint32_t lapic_max_addressable_id(void)
{
	return lapic.x2apic ? UINT32_MAX - 1 : LAPIC_XAPIC_MAX_ID;
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_REG_ID);

	return lapic.x2apic ? id : id >> LAPIC_XAPIC_ID_SHIFT;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_REG_EOI, 0);
}

/*
 * Write the ICR.  xAPIC: destination first (ICR_HI), then the low dword,
 * whose write sends the IPI; the pair must not be split by an interrupt
 * handler that sends an IPI of its own, hence interrupts off around it.
 * x2APIC: one WRMSR, which is not serializing (SDM §10.12.3), so a fence
 * first makes our earlier stores (the queued call, the trampoline) visible
 * before the IPI can arrive.
 */
static bool lapic_write_icr(uint32_t apic_id, uint32_t lo)
{
	uint64_t flags = read_rflags(), deadline;
	bool ok = true;

	irq_disable();
	if (lapic.x2apic) {
		__asm__ volatile("mfence; lfence" : : : "memory");
		wrmsr(X2APIC_MSR_ICR, ((uint64_t)apic_id << ICR_X2APIC_DEST_SHIFT) | lo);
	} else {
		lapic_write(LAPIC_REG_ICR_HI, apic_id << ICR_XAPIC_DEST_SHIFT);
		lapic_write(LAPIC_REG_ICR_LO, lo);
		deadline = rdtsc() + tsc_from_ns(ICR_IDLE_TIMEOUT_US * 1000);
		while (lapic_read(LAPIC_REG_ICR_LO) & ICR_DELIVERY_PENDING) {
			if (rdtsc() > deadline) {
				ok = false;
				break;
			}
			cpu_relax();
		}
	}
	if (flags & RFLAGS_IF)
		irq_enable();
	return ok;
}

bool lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	return lapic_write_icr(apic_id, ICR_DM_FIXED | ICR_DEST_PHYSICAL | ICR_LEVEL_ASSERT |
					ICR_TRIGGER_EDGE | ICR_SHORTHAND_NONE | vector);
}

/*
 * INIT: level-triggered assert.  The de-assert that follows is what the
 * MP spec (B.4) asks of 82489DX-era APICs; SDM §10.6.1 says Pentium 4 and
 * later ignore it, and x2APIC does not define it, so it is only sent in
 * xAPIC mode (as Linux does), where it costs one ICR write.
 */
bool lapic_send_init(uint32_t apic_id)
{
	bool ok = lapic_write_icr(apic_id, ICR_DM_INIT | ICR_DEST_PHYSICAL | ICR_LEVEL_ASSERT |
					   ICR_TRIGGER_LEVEL | ICR_SHORTHAND_NONE);

	if (ok && !lapic.x2apic)
		ok = lapic_write_icr(apic_id, ICR_DM_INIT | ICR_DEST_PHYSICAL |
					      ICR_LEVEL_DEASSERT | ICR_TRIGGER_LEVEL |
					      ICR_SHORTHAND_NONE);
	return ok;
}

bool lapic_send_sipi(uint32_t apic_id, uint64_t start_page)
{
	return lapic_write_icr(apic_id, ICR_DM_STARTUP | ICR_DEST_PHYSICAL | ICR_LEVEL_ASSERT |
					ICR_TRIGGER_EDGE | ICR_SHORTHAND_NONE |
					ICR_SIPI_VECTOR(start_page));
}
