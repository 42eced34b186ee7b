/*
 * Freestanding string and memory helpers (lib/string.c).  In host builds
 * the C library provides the same functions and lib/string.c is not linked.
 */
#ifndef NUMABOOT_KSTRING_H
#define NUMABOOT_KSTRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Parse a decimal or 0x-prefixed unsigned number, with an optional K/M/G suffix when
 * allow_suffix.  Returns 0 on success, -1 when s is not entirely a number. */
int kstrtou64(const char *s, size_t len, unsigned long long *out, int allow_suffix);

#endif
