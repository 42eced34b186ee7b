/*
 * UEFI runtime services after ExitBootServices.  SetVirtualAddressMap is
 * never called, so runtime services run at their physical addresses, which
 * the kernel's identity map covers (UEFI 2.10 §8.2 SetVariable, §8.5.1
 * ResetSystem).  Boot CPU, interrupts disabled, other CPUs idle, at the very
 * end of a boot: runtime services are not reentrant.
 */
#include "internal.h"

#define VAR_NAME_MAX	64

/* {4e554d41-424f-4f54-8d1e-4f5a2b3c1107}: "NUMABOOT" in the first fields. */
static EFI_GUID numaboot_vendor_guid = {
	0x4e554d41, 0x424f, 0x4f54, { 0x8d, 0x1e, 0x4f, 0x5a, 0x2b, 0x3c, 0x11, 0x07 }
};

int boot_efi_set_variable(uint64_t efi_runtime, const char *name, const void *data, uint64_t len)
{
	EFI_RUNTIME_SERVICES *rt = (EFI_RUNTIME_SERVICES *)efi_runtime;
	CHAR16 wname[VAR_NAME_MAX];
	UINTN i = 0;

	if (!rt || !rt->SetVariable)
		return -1;
	for (; name[i] && i < VAR_NAME_MAX - 1; i++)
		wname[i] = (CHAR16)name[i];
	wname[i] = 0;
	return rt->SetVariable(wname, &numaboot_vendor_guid,
			       EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
			       EFI_VARIABLE_RUNTIME_ACCESS, len, (void *)data) == EFI_SUCCESS ? 0 : -1;
}

void boot_efi_poweroff(uint64_t efi_runtime, uint64_t status)
{
	EFI_RUNTIME_SERVICES *rt = (EFI_RUNTIME_SERVICES *)efi_runtime;

	if (rt && rt->ResetSystem)
		rt->ResetSystem(EfiResetShutdown, status ? EFI_ABORTED : EFI_SUCCESS, 0, NULL);
	for (;;)
		__asm__ volatile("cli; hlt");
}
