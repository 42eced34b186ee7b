/*
 * Freestanding memory and string primitives.  GCC may emit calls to
 * memcpy/memset/memmove/memcmp itself, so these exist with their ISO names.
 */
#include <stdint.h>
#include "kstring.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	void *ret = dst;

	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

/*
 * rep stosq for the 8-byte words, rep stosb for the tail.  On hardware with
 * fast strings (ERMS) that is what rep stosb alone costs; under TCG, which
 * emulates a string instruction one element at a time, it takes eight
 * times fewer steps (the memmap poison before each meminit round, 16 MiB
 * per GiB of RAM: 28 ms with rep stosb, measured in docs/meminit.md).
 */
void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	uint64_t v = (uint8_t)c * 0x0101010101010101ULL;
	size_t words = n >> 3, tail = n & 7;

	__asm__ volatile("rep stosq" : "+D"(dst), "+c"(words) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(tail) : "a"(v) : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return (char *)s;
	return c ? NULL : (char *)s;
}
