/*
 * Time from the TSC (arch/x86_64/tsc.c).
 *
 * tsc_init() calibrates the TSC once, on the boot CPU, before SMP bring-up
 * (smp_init() calls it): CPUID leaf 15h when it names the crystal and, if a
 * reference timer exists, agrees with it within 1%; else a measurement
 * against the ACPI PM timer (3.579545 MHz) or the HPET; CPUID leaf 16h's
 * nominal base frequency is the last resort.  Afterwards every function
 * here may be called from any CPU, with interrupts on or off.
 *
 * The TSCs of different CPUs are assumed to run in step (invariant TSC,
 * CPUID 80000007h:EDX[8], reported); compare timestamps taken on different
 * CPUs only as far as that holds.
 */
#ifndef NUMABOOT_TSC_H
#define NUMABOOT_TSC_H

#include <stdbool.h>
#include <stdint.h>
#include "acpi.h"

#define DELAY_US_MAX	10000000ULL	/* delay_us() caps its argument at 10 s */

/* Frequency in Hz; 0 before tsc_init(). */
extern uint64_t tsc_hz;

/* Boot CPU, once. */
void tsc_init(const struct acpi_timer_info *timers);

/* "cpuid15", "pmtimer", "hpet", "cpuid16", or "none" (tsc_hz is then a
 * guessed 1 GHz and every time is only roughly right). */
const char *tsc_source(void);
/* CPUID says the TSC runs at a constant rate in all power states. */
bool tsc_invariant(void);

/* ticks -> nanoseconds (a 128-bit product inside: exact to 1 ns in 2^32
 * for any tick count whose result fits in 64 bits, i.e. 584 years). */
uint64_t tsc_to_ns(uint64_t ticks);
/* nanoseconds -> ticks (rounded up). */
uint64_t tsc_from_ns(uint64_t ns);
/* Nanoseconds since tsc_init(). */
uint64_t now_ns(void);
/* Busy-wait at least us microseconds (at most DELAY_US_MAX). */
void delay_us(uint64_t us);

#endif
