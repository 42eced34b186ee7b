/*
 * Ending the boot from the loader, when it cannot start the kernel (no
 * memory for the stack or early heap, a config file over its limit,
 * ExitBootServices refused): the same exit codes as the kernel
 * (include/exit.h), so a run never falls back into the firmware's shell or
 * boot menu and waits there forever.  Under QEMU the code leaves through
 * isa-debug-exit; otherwise (or when QEMU has no such device) the message
 * stays on screen for EFI_EXIT_DELAY_S and UEFI ResetSystem powers off.
 */
#include "internal.h"
#include "exit.h"
#include "json.h"
#include "x86.h"

#define EFI_EXIT_DELAY_S	30	/* the kernel's exit_delay_s default */
#define US_PER_S		1000000

static const char *status_name(enum exit_code code)
{
	return code == EXIT_BAD_OPTION ? "bad_option" : code == EXIT_CHECK_FAIL ? "check_failed" :
	       code == EXIT_OK ? "ok" : "panic";
}

/* The machine-readable line: {"kind":"loader_error","error":...}. */
static void efi_report(EFI_SYSTEM_TABLE *st, enum exit_code code, const char *why)
{
	char buf[512];
	struct json j;

	json_begin(&j, buf, sizeof(buf), "loader_error");
	json_str(&j, "error", why);
	json_str(&j, "status", status_name(code));
	json_u64(&j, "exit_code", code);
	efi_puts(st, json_end(&j));
}

void efi_fail(EFI_SYSTEM_TABLE *st, enum exit_code code, const char *why, int boot_services)
{
	/* After a failed ExitBootServices only GetMemoryMap and
	 * ExitBootServices may be called (UEFI 2.10 §7.4): no console, no
	 * Stall; runtime services still work. */
	if (boot_services) {
		efi_puts(st, "numaboot: ");
		efi_puts(st, why);
		efi_puts(st, "\n");
		efi_report(st, code, why);
	}
	if (arch_under_qemu())
		outl(DEBUG_EXIT_PORT, code);
	if (boot_services) {
		efi_puts(st, "numaboot: the kernel did not start; powering off in 30 s\n");
		st->BootServices->Stall(EFI_EXIT_DELAY_S * (UINTN)US_PER_S);
	}
	boot_efi_poweroff((uint64_t)st->RuntimeServices, 1);
}
