/*
 * The console: COM1 serial and, when GOP gave one, a framebuffer text
 * console.  console_write() (include/kprintf.h) takes a lock so lines from
 * different CPUs do not interleave; it may be called from any CPU, with
 * interrupts on or off, but not from an NMI.  A panic path uses
 * console_panic_write(), which breaks the lock if its holder is stuck.
 */
#ifndef NUMABOOT_CONSOLE_H
#define NUMABOOT_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

void console_init(const struct boot_info *bi);
void console_panic_write(const char *s, size_t len);
/* "serial", "fb", "serial+fb" */
const char *console_outputs(void);

/* arch/x86_64/serial.c */
void serial_init(void);
int serial_present(void);
void serial_write(const char *s, size_t len);

/* arch/x86_64/fbcon.c: returns 0 when the framebuffer is usable */
int fbcon_init(const struct boot_framebuffer *fb);
void fbcon_write(const char *s, size_t len);

#endif
