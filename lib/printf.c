/*
 * Freestanding vsnprintf and kprintf.
 *
 * kvsnprintf() is pure and reentrant: any CPU may call it.  kprintf()
 * formats into a stack buffer, then hands the whole line to console_write(),
 * which serializes output between CPUs.  Lines longer than KPRINTF_BUF are
 * truncated, never split.
 */
#include <stdint.h>
#include <stdbool.h>
#include "kprintf.h"

#define KPRINTF_BUF 512

struct out {
	char *buf;
	size_t size;
	size_t len;	/* characters that would have been written */
};

struct spec {
	bool left, zero, plus, space, alt;
	int width, prec;
	int length;	/* 0 int, 1 long, 2 long long, -1 short, -2 char */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while ((sp->prec < 0 || n < sp->prec) && s[n])
		n++;
	if (!sp->left)
		pad(o, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - n);
}

static void put_num(struct out *o, const struct spec *sp, unsigned long long v,
		    bool neg, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, ndig, total;
	char sign = neg ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
	const char *prefix = (sp->alt && base == 16 && v) ? (upper ? "0X" : "0x") : "";
	int plen = prefix[0] ? 2 : 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (sp->prec == 0 && n == 1 && tmp[0] == '0')
		n = 0;
	ndig = sp->prec > n ? sp->prec : n;
	total = ndig + (sign ? 1 : 0) + plen;
	if (!sp->left && !(sp->zero && sp->prec < 0))
		pad(o, ' ', sp->width - total);
	if (sign)
		put(o, sign);
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	if (!sp->left && sp->zero && sp->prec < 0)
		pad(o, '0', sp->width - total);
	pad(o, '0', ndig - n);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - total);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-') sp->left = true;
		else if (*f == '0') sp->zero = true;
		else if (*f == '+') sp->plus = true;
		else if (*f == ' ') sp->space = true;
		else if (*f == '#') sp->alt = true;
		else break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->prec = sp->prec * 10 + (*f++ - '0');
	}
	for (;; f++) {
		if (*f == 'l') sp->length = sp->length >= 1 ? 2 : 1;
		else if (*f == 'h') sp->length = sp->length <= -1 ? -2 : -1;
		else if (*f == 'z' || *f == 't' || *f == 'j') sp->length = 2;
		else break;
	}
	return f;
}

static unsigned long long arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 2: return va_arg(*ap, unsigned long long);
	case 1: return va_arg(*ap, unsigned long);
	case -1: return (unsigned short)va_arg(*ap, unsigned int);
	case -2: return (unsigned char)va_arg(*ap, unsigned int);
	default: return va_arg(*ap, unsigned int);
	}
}

static long long arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 2: return va_arg(*ap, long long);
	case 1: return va_arg(*ap, long);
	case -1: return (short)va_arg(*ap, int);
	case -2: return (signed char)va_arg(*ap, int);
	default: return va_arg(*ap, int);
	}
}

static void convert(struct out *o, struct spec *sp, char c, va_list *ap)
{
	long long s;

	switch (c) {
	case 'd': case 'i':
		s = arg_signed(sp, ap);
		put_num(o, sp, s < 0 ? -(unsigned long long)s : (unsigned long long)s,
			s < 0, 10, false);
		break;
	case 'u': put_num(o, sp, arg_unsigned(sp, ap), false, 10, false); break;
	case 'x': put_num(o, sp, arg_unsigned(sp, ap), false, 16, false); break;
	case 'X': put_num(o, sp, arg_unsigned(sp, ap), false, 16, true); break;
	case 'o': put_num(o, sp, arg_unsigned(sp, ap), false, 8, false); break;
	case 'p':
		sp->alt = true;
		put_num(o, sp, (uintptr_t)va_arg(*ap, void *), false, 16, false);
		break;
	case 'c': {
		char str[2] = { (char)va_arg(*ap, int), 0 };
		sp->prec = -1;
		put_str(o, sp, str);
		break;
	}
	case 's': put_str(o, sp, va_arg(*ap, const char *)); break;
	case '%': put(o, '%'); break;
	default: put(o, '%'); put(o, c); break;
	}
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	struct spec sp;
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &aq);
		if (!*fmt)
			break;
		convert(&o, &sp, *fmt++, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int kvprintf_to(void (*write)(const char *s, size_t len), const char *fmt, va_list ap)
{
	char buf[KPRINTF_BUF];
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);

	write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf_to(console_write, fmt, ap);
	va_end(ap);
	return n;
}
