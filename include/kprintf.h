/*
 * Freestanding formatted output (lib/printf.c).
 *
 * kprintf() may be called from any CPU at any time after console_init();
 * lines from different CPUs never interleave within one call.  The host
 * builds of the parsers link lib/printf.c too and supply console_write().
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%, flags '-' '0' ' ' '+',
 * field width and precision (also '*'), length modifiers hh h l ll z t j.
 */
#ifndef NUMABOOT_KPRINTF_H
#define NUMABOOT_KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

#define KPRINTF_FMT(a, b) __attribute__((format(printf, a, b)))

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) KPRINTF_FMT(3, 4);
int kprintf(const char *fmt, ...) KPRINTF_FMT(1, 2);
/* Format one line and hand it to write() in one call (kprintf uses
 * console_write; the panic path a lock-breaking writer). */
int kvprintf_to(void (*write)(const char *s, size_t len), const char *fmt, va_list ap);

/* Provided by the console (kernel) or the test harness (host). */
void console_write(const char *s, size_t len);

#endif
