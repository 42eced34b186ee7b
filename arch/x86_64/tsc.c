/*
 * TSC calibration and the time helpers of include/tsc.h.
 *
 * References: CPUID leaves 15h/16h (SDM vol 2, CPUID; SDM vol 3 §18.7.3),
 * ACPI PM timer (ACPI 6.5 §4.8.3.3: 3.579545 MHz, 24 or 32 bits), HPET
 * (IA-PC HPET 1.0a §2.3: capabilities, configuration, main counter).
 * Boot CPU for tsc_init(); any CPU for the rest.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kprintf.h"
#include "tsc.h"
#include "x86.h"

#define PM_TIMER_HZ		3579545ULL
#define HPET_REG_CAP		0x000	/* bits 63:32 period in fs; bit 13 64-bit counter */
#define HPET_REG_CONFIG		0x010
#define HPET_REG_COUNTER	0x0f0
#define HPET_CFG_ENABLE		(1ULL << 0)
#define HPET_CAP_64BIT		(1ULL << 13)
#define HPET_FS_PER_S		1000000000000000ULL
#define HPET_MAX_PERIOD_FS	100000000ULL	/* the spec's upper bound, 100 ns */

#define CALIBRATE_MS		20	/* one measurement window */
#define CALIBRATE_RUNS		3	/* keep the median */
#define CPUID15_TOLERANCE	100	/* 1 part in 100 */
#define GUESSED_HZ		1000000000ULL
#define CPUID_80000007_EDX_INVARIANT_TSC (1u << 8)

uint64_t tsc_hz;
static uint64_t tsc_mult;		/* ns = ticks * tsc_mult >> 32 */
static uint64_t tsc_inv_mult;		/* ticks = ns * tsc_inv_mult >> 24 */
static uint64_t tsc_base;		/* now_ns() origin */
static const char *tsc_src = "none";

/* A reference counter: read() returns monotonic ticks of hz, masked to bits. */
struct ref_timer {
	const char *name;
	uint64_t hz;
	uint64_t mask;
	uint64_t (*read)(const struct ref_timer *t);
	uint64_t addr;
	bool mmio;
};

static uint64_t pm_read(const struct ref_timer *t)
{
	if (t->mmio)
		return *(volatile uint32_t *)t->addr;
	return inl((uint16_t)t->addr);
}

static uint64_t hpet_read(const struct ref_timer *t)
{
	volatile uint64_t *reg = (volatile uint64_t *)(t->addr + HPET_REG_COUNTER);

	return *reg;
}

static bool pm_timer_setup(const struct acpi_timer_info *ti, struct ref_timer *t)
{
	if (!ti->pm_present || ti->hw_reduced)
		return false;
	*t = (struct ref_timer){ "pmtimer", PM_TIMER_HZ, ti->pm_32bit ? 0xffffffffULL : 0xffffffULL,
				 pm_read, ti->pm_addr, ti->pm_space == ACPI_SPACE_MEMORY };
	return true;
}

/* The HPET counts only once enabled; numaboot owns the machine, so it
 * turns the main counter on if the firmware left it off. */
static bool hpet_setup(const struct acpi_timer_info *ti, struct ref_timer *t)
{
	volatile uint64_t *regs;
	uint64_t cap, period_fs;

	if (!ti->hpet_present || !ti->hpet_base)
		return false;
	regs = (volatile uint64_t *)ti->hpet_base;
	cap = regs[HPET_REG_CAP / 8];
	period_fs = cap >> 32;
	if (period_fs == 0 || period_fs > HPET_MAX_PERIOD_FS) {
		kprintf("tsc: HPET period %llu fs is impossible, HPET not used\n",
			(unsigned long long)period_fs);
		return false;
	}
	if (!(regs[HPET_REG_CONFIG / 8] & HPET_CFG_ENABLE))
		regs[HPET_REG_CONFIG / 8] |= HPET_CFG_ENABLE;
	*t = (struct ref_timer){ "hpet", HPET_FS_PER_S / period_fs,
				 (cap & HPET_CAP_64BIT) ? ~0ULL : 0xffffffffULL, hpet_read,
				 ti->hpet_base, true };
	return true;
}

/* TSC ticks during about CALIBRATE_MS of the reference timer; 0 if the
 * reference does not move. */
static uint64_t measure_once(const struct ref_timer *t)
{
	uint64_t want = t->hz * CALIBRATE_MS / 1000, r0, r1, t0, t1, spins = 0;

	r0 = t->read(t);
	while ((r1 = t->read(t)) == r0)		/* start on an edge */
		if (++spins > 100000000)
			return 0;
	t0 = rdtsc_ordered();
	do {
		r0 = t->read(t);
		if (++spins > 1000000000)
			return 0;
	} while (((r0 - r1) & t->mask) < want);
	t1 = rdtsc_ordered();
	return (t1 - t0) * t->hz / ((r0 - r1) & t->mask);
}

static uint64_t measure(const struct ref_timer *t)
{
	uint64_t v[CALIBRATE_RUNS], x;

	for (int i = 0; i < CALIBRATE_RUNS; i++) {
		v[i] = measure_once(t);
		for (int k = i; k > 0 && v[k - 1] > v[k]; k--) {
			x = v[k];
			v[k] = v[k - 1];
			v[k - 1] = x;
		}
	}
	return v[CALIBRATE_RUNS / 2];
}

static uint32_t cpuid_max(uint32_t leaf)
{
	uint32_t a, b, c, d;

	cpuid(leaf, 0, &a, &b, &c, &d);
	return a;
}

/* CPUID 15h: TSC = crystal * EBX / EAX; only with a named crystal. */
static uint64_t cpuid15_hz(void)
{
	uint32_t a, b, c, d;

	if (cpuid_max(0) < 0x15)
		return 0;
	cpuid(0x15, 0, &a, &b, &c, &d);
	if (!a || !b || !c)
		return 0;
	return (uint64_t)c * b / a;
}

/* CPUID 16h: nominal base frequency in MHz, a label, not a measurement. */
static uint64_t cpuid16_hz(void)
{
	uint32_t a, b, c, d;

	if (cpuid_max(0) < 0x16)
		return 0;
	cpuid(0x16, 0, &a, &b, &c, &d);
	return (uint64_t)(a & 0xffff) * 1000000;
}

static bool close_enough(uint64_t a, uint64_t b)
{
	uint64_t diff = a > b ? a - b : b - a;

	return diff * CPUID15_TOLERANCE <= b;
}

void tsc_init(const struct acpi_timer_info *ti)
{
	struct ref_timer ref;
	bool have_ref = pm_timer_setup(ti, &ref) || hpet_setup(ti, &ref);
	uint64_t measured = have_ref ? measure(&ref) : 0, c15 = cpuid15_hz();

	if (c15 && (!measured || close_enough(c15, measured))) {
		tsc_hz = c15;
		tsc_src = "cpuid15";
	} else if (measured) {
		if (c15)
			kprintf("tsc: CPUID 15h says %llu Hz, %s measures %llu Hz: not trusted\n",
				(unsigned long long)c15, ref.name, (unsigned long long)measured);
		tsc_hz = measured;
		tsc_src = ref.name;
	} else if (cpuid16_hz()) {
		tsc_hz = cpuid16_hz();
		tsc_src = "cpuid16";
	} else {
		tsc_hz = GUESSED_HZ;
		tsc_src = "none";
		kprintf("tsc: no timer to calibrate against; guessing 1 GHz\n");
	}
	tsc_mult = (1000000000ULL << 32) / tsc_hz;
	tsc_inv_mult = ((tsc_hz << 24) + 999999999) / 1000000000ULL;
	tsc_base = rdtsc();
	kprintf("tsc: %llu.%03llu MHz from %s%s\n", (unsigned long long)(tsc_hz / 1000000),
		(unsigned long long)(tsc_hz / 1000 % 1000), tsc_src,
		tsc_invariant() ? ", invariant" : "");
}

const char *tsc_source(void)
{
	return tsc_src;
}

bool tsc_invariant(void)
{
	uint32_t a, b, c, d;

	if (cpuid_max(0x80000000) < 0x80000007)
		return false;
	cpuid(0x80000007, 0, &a, &b, &c, &d);
	return d & CPUID_80000007_EDX_INVARIANT_TSC;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * tsc_mult) >> 32);
}

/* Before tsc_init() (the LAPIC's ICR timeout may need it) a guessed
 * 1 GHz, i.e. 1 tick per ns. */
uint64_t tsc_from_ns(uint64_t ns)
{
	if (!tsc_inv_mult)
		return ns;
	return (uint64_t)(((unsigned __int128)ns * tsc_inv_mult) >> 24) + 1;
}

uint64_t now_ns(void)
{
	return tsc_hz ? tsc_to_ns(rdtsc() - tsc_base) : 0;
}

void delay_us(uint64_t us)
{
	uint64_t start = rdtsc(), ticks;

	if (us > DELAY_US_MAX)
		us = DELAY_US_MAX;
	ticks = tsc_from_ns(us * 1000);
	while (rdtsc() - start < ticks)
		cpu_relax();
}
