/*
 * How a boot ends.  Under QEMU the code goes out through isa-debug-exit
 * (port 0xf4), making QEMU exit with status (code << 1) | 1; elsewhere
 * UEFI ResetSystem powers the machine off.  docs/output.md documents the
 * codes for users and CI.
 */
#ifndef NUMABOOT_EXIT_H
#define NUMABOOT_EXIT_H

#include <stdint.h>
#include "boot_info.h"

enum exit_code {
	EXIT_OK		= 0x10,	/* QEMU status 33: all self-checks passed */
	EXIT_CHECK_FAIL	= 0x11,	/* QEMU status 35: a self-check or verification failed */
	EXIT_PANIC	= 0x12,	/* QEMU status 37: exception or fatal error */
	EXIT_BAD_OPTION	= 0x13,	/* QEMU status 39: unknown or malformed option */
};

#define DEBUG_EXIT_PORT	0xf4

/* Boot CPU, once: remember how to power off. */
void exit_init(const struct boot_info *bi);
/* exit=reset: power off through UEFI ResetSystem even under QEMU. */
void exit_use_firmware_reset(int yes);
/* Any CPU, any state: end the boot.  Never returns. */
__attribute__((noreturn)) void arch_exit(enum exit_code code);
/* 1 when CPUID names a hypervisor we know to be QEMU (TCG or KVM). */
int arch_under_qemu(void);

#endif
