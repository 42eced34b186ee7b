/*
 * Ending the boot: isa-debug-exit under QEMU, else UEFI ResetSystem, else
 * halt forever with interrupts off.  The port write happens only when CPUID
 * says we run under QEMU, so real hardware never sees a write to 0xf4.
 */
#include <stdint.h>
#include "exit.h"
#include "kstring.h"
#include "x86.h"

#define CPUID_HYPERVISOR_BIT	(1u << 31)	/* leaf 1 ECX */
#define CPUID_HV_LEAF		0x40000000

static uint64_t efi_runtime;
static int skip_debug_exit;

void exit_init(const struct boot_info *bi)
{
	efi_runtime = bi->efi_runtime;
}

void exit_use_firmware_reset(int yes)
{
	skip_debug_exit = yes;
}

int arch_under_qemu(void)
{
	uint32_t a, b, c, d;
	char sig[13];

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID_HYPERVISOR_BIT))
		return 0;
	cpuid(CPUID_HV_LEAF, 0, &a, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	return !strcmp(sig, "TCGTCGTCGTCG") || !memcmp(sig, "KVMKVMKVM", 9);
}

void arch_exit(enum exit_code code)
{
	irq_disable();
	if (!skip_debug_exit && arch_under_qemu())
		outl(DEBUG_EXIT_PORT, code);
	/* No isa-debug-exit device (or not QEMU): power off through firmware. */
	boot_efi_poweroff(efi_runtime, code != EXIT_OK);
}
