/*
 * Local APIC in xAPIC (MMIO) or x2APIC (MSR) mode (arch/x86_64/lapic.c),
 * Intel SDM vol 3 §10.4 (xAPIC), §10.12 (x2APIC), §10.6 (ICR).
 *
 * The boot CPU picks the mode once (lapic_init_bsp); every AP then
 * switches its own LAPIC to the same mode (lapic_init_cpu).  The mode is
 * fixed from then on: every other function may be called on any CPU whose
 * LAPIC has been set up, with interrupts on or off, but not from an NMI.
 */
#ifndef NUMABOOT_LAPIC_H
#define NUMABOOT_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* IA32_APIC_BASE MSR bits (SDM vol 3 §10.4.4, §10.12.1). */
#define APIC_BASE_BSP		(1ULL << 8)
#define APIC_BASE_EXTD		(1ULL << 10)	/* x2APIC mode */
#define APIC_BASE_EN		(1ULL << 11)	/* APIC globally enabled */
#define APIC_BASE_ADDR_MASK	0x000ffffffffff000ULL

#define CPUID1_ECX_X2APIC	(1u << 21)

/* Register offsets in the xAPIC MMIO page (SDM vol 3 Table 10-1).  The
 * x2APIC MSR of a register is X2APIC_MSR_BASE + (offset >> 4) (Table 10-6). */
#define LAPIC_REG_ID		0x020
#define LAPIC_REG_VERSION	0x030
#define LAPIC_REG_TPR		0x080
#define LAPIC_REG_EOI		0x0b0
#define LAPIC_REG_SVR		0x0f0
#define LAPIC_REG_ESR		0x280
#define LAPIC_REG_ICR_LO	0x300
#define LAPIC_REG_ICR_HI	0x310	/* xAPIC only: destination in bits 24-31 */
#define LAPIC_REG_LVT_TIMER	0x320
#define LAPIC_REG_LVT_LINT0	0x350
#define LAPIC_REG_LVT_LINT1	0x360
#define LAPIC_REG_LVT_ERROR	0x370
#define X2APIC_MSR_BASE		0x800
#define X2APIC_MSR_ICR		0x830	/* one 64-bit MSR: destination in bits 32-63 */

#define LAPIC_XAPIC_ID_SHIFT	24
#define LAPIC_XAPIC_MAX_ID	254	/* 255 is the xAPIC broadcast id */

#define LAPIC_SVR_ENABLE	(1u << 8)
#define LAPIC_LVT_MASKED	(1u << 16)

/* Interrupt Command Register, low dword (SDM vol 3 §10.6.1, Figure 10-12). */
#define ICR_DM_FIXED		(0u << 8)
#define ICR_DM_NMI		(4u << 8)
#define ICR_DM_INIT		(5u << 8)
#define ICR_DM_STARTUP		(6u << 8)
#define ICR_DEST_PHYSICAL	(0u << 11)
#define ICR_DELIVERY_PENDING	(1u << 12)	/* xAPIC only; x2APIC has no such bit */
#define ICR_LEVEL_ASSERT	(1u << 14)
#define ICR_LEVEL_DEASSERT	(0u << 14)
#define ICR_TRIGGER_EDGE	(0u << 15)
#define ICR_TRIGGER_LEVEL	(1u << 15)
#define ICR_SHORTHAND_NONE	(0u << 18)
#define ICR_XAPIC_DEST_SHIFT	24		/* in ICR_HI */
#define ICR_X2APIC_DEST_SHIFT	32		/* in the 64-bit ICR MSR */
#define ICR_SIPI_VECTOR(page)	((uint32_t)((page) >> 12) & 0xff)	/* start at page */

/* Vectors numaboot's LAPICs use. */
#define VEC_SMP_CALL		0xf0
#define VEC_SPURIOUS		0xff

/*
 * Boot CPU, once, before any AP is started: choose the mode and set up this
 * CPU's LAPIC.  x2APIC is used when the CPU supports it, allow_x2apic is
 * true, and either the firmware already enabled it or max_apic_id exceeds
 * LAPIC_XAPIC_MAX_ID.  If the firmware left x2APIC on but allow_x2apic is
 * false, the LAPIC is taken back to xAPIC mode (SDM §10.12.5: disabled,
 * then xAPIC).  mmio_base is the MADT's LAPIC address (0: from the MSR).
 */
void lapic_init_bsp(uint64_t mmio_base, uint32_t max_apic_id, bool allow_x2apic);
/* Each AP, on itself, with interrupts off: same mode as the boot CPU. */
void lapic_init_cpu(void);

bool lapic_x2apic_mode(void);
/* Whether the firmware had x2APIC enabled on the boot CPU (for reports). */
bool lapic_firmware_x2apic(void);
/* The highest APIC id this mode can address. */
uint32_t lapic_max_addressable_id(void);

/* This CPU's APIC id, read from its LAPIC. */
uint32_t lapic_id(void);
/* End of interrupt for the vector being serviced. */
void lapic_eoi(void);

/* Send one IPI; returns when the LAPIC accepted it (xAPIC: delivery status
 * idle, bounded by a timeout).  false means the LAPIC stayed busy. */
bool lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* INIT (assert, and de-assert where the mode has it) and STARTUP IPIs for
 * AP bring-up (SDM vol 3 §8.4.4.1). */
bool lapic_send_init(uint32_t apic_id);
bool lapic_send_sipi(uint32_t apic_id, uint64_t start_page);

#endif
