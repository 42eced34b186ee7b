/*
 * Number parsing for options.  Pure; linked into host tests as well.
 */
#include <stdint.h>
#include "kstring.h"

static int digit_value(char c, unsigned base)
{
	unsigned v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return v < base ? (int)v : -1;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	default: return -1;
	}
}

int kstrtou64(const char *s, size_t len, unsigned long long *out, int allow_suffix)
{
	unsigned base = 10, shift = 0;
	unsigned long long v = 0;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (allow_suffix && len > i + 1 && suffix_shift(s[len - 1]) >= 0) {
		shift = (unsigned)suffix_shift(s[len - 1]);
		len--;
	}
	if (i >= len)
		return -1;
	for (; i < len; i++) {
		int d = digit_value(s[i], base);

		if (d < 0 || v > (UINT64_MAX - (unsigned)d) / base)
			return -1;
		v = v * base + (unsigned)d;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}
