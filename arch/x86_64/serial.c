/*
 * COM1 16550 UART, polled, 115200 8N1.  Presence is probed with the
 * scratch register and the line status (an absent port reads 0xff from a
 * floating bus), so a machine without the port costs nothing; each
 * character waits at most SERIAL_TX_SPINS polls for the transmitter, so a
 * wedged or absent UART can never hang the kernel.
 */
#include <stdint.h>
#include "console.h"
#include "x86.h"

#define COM1		0x3f8
#define UART_THR	0	/* transmit holding (DLAB=0) */
#define UART_DLL	0	/* divisor low (DLAB=1) */
#define UART_IER	1
#define UART_DLM	1	/* divisor high (DLAB=1) */
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_SCR	7
#define LCR_8N1		0x03
#define LCR_DLAB	0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_THRE	0x20
#define LSR_ABSENT	0xff	/* no UART: nothing drives the bus */
#define DIVISOR_115200	1
#define SERIAL_TX_SPINS	100000

static int present;

void serial_init(void)
{
	outb(COM1 + UART_SCR, 0x5a);
	if (inb(COM1 + UART_SCR) != 0x5a || inb(COM1 + UART_LSR) == LSR_ABSENT)
		return;
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, DIVISOR_115200);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	present = 1;
}

int serial_present(void)
{
	return present;
}

static void serial_putc(char c)
{
	for (int i = 0; i < SERIAL_TX_SPINS; i++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t len)
{
	if (!present)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
