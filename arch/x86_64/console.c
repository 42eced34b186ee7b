/*
 * Console multiplexer: every line goes to serial and the framebuffer.
 * The ticket lock keeps whole console_write() calls together across CPUs.
 * A panicking CPU waits a bounded time for the lock and then writes anyway:
 * a register dump matters more than tidy output.
 */
#include <stdint.h>
#include "console.h"
#include "kprintf.h"
#include "spinlock.h"
#include "x86.h"

#define PANIC_LOCK_SPINS	10000000

static struct spinlock console_lock;
static int have_fb;

void console_init(const struct boot_info *bi)
{
	serial_init();
	have_fb = bi->fb.format != BOOT_FB_NONE && fbcon_init(&bi->fb) == 0;
}

const char *console_outputs(void)
{
	if (serial_present())
		return have_fb ? "serial+fb" : "serial";
	return have_fb ? "fb" : "none";
}

static void emit(const char *s, size_t len)
{
	serial_write(s, len);
	if (have_fb)
		fbcon_write(s, len);
}

void console_write(const char *s, size_t len)
{
	uint64_t flags = spin_lock_irqsave(&console_lock);

	emit(s, len);
	spin_unlock_irqrestore(&console_lock, flags);
}

void console_panic_write(const char *s, size_t len)
{
	int locked = 0;

	for (int i = 0; i < PANIC_LOCK_SPINS && !locked; i++)
		locked = spin_trylock(&console_lock);
	emit(s, len);
	if (locked)
		spin_unlock(&console_lock);
}
