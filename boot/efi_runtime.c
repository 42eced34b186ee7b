/*
 * UEFI runtime services after ExitBootServices.  SetVirtualAddressMap is
 * never called, so runtime services run at their physical addresses, which
 * the kernel's identity map covers (UEFI 2.10 §8.5.1 ResetSystem).
 * Called on any CPU with interrupts disabled, as the very last thing.
 */
#include "internal.h"

void boot_efi_poweroff(uint64_t efi_runtime, uint64_t status)
{
	EFI_RUNTIME_SERVICES *rt = (EFI_RUNTIME_SERVICES *)efi_runtime;

	if (rt && rt->ResetSystem)
		rt->ResetSystem(EfiResetShutdown, status ? EFI_ABORTED : EFI_SUCCESS, 0, NULL);
	for (;;)
		__asm__ volatile("cli; hlt");
}
