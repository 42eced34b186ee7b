/*
 * Framebuffer text console, for machines without a serial cable.
 * 8x16 glyphs (font8x16.c) on the GOP linear framebuffer, 32 bits per
 * pixel.  When the cursor reaches the bottom it wraps to the top and
 * clears the line ahead instead of scrolling: scrolling copies the whole
 * framebuffer per line, which is slow on real uncached framebuffers and
 * very slow under emulation.  Called only under the console lock.
 */
#include <stdint.h>
#include "console.h"

#define GLYPH_W		8
#define GLYPH_H		16
#define FIRST_GLYPH	0x20
#define LAST_GLYPH	0x7e
#define TAB_STOP	8

extern const uint8_t font8x16[LAST_GLYPH - FIRST_GLYPH + 1][GLYPH_H];

static struct {
	volatile uint32_t *base;
	uint32_t pitch;		/* pixels per scanline */
	uint32_t cols, rows;
	uint32_t x, y;
	uint32_t fg, bg;
} fb;

static uint32_t mask_shift(uint32_t mask)
{
	uint32_t s = 0;

	while (mask && !(mask & 1)) {
		mask >>= 1;
		s++;
	}
	return s;
}

static uint32_t pack(const struct boot_framebuffer *f, uint8_t r, uint8_t g, uint8_t b)
{
	switch (f->format) {
	case BOOT_FB_RGBX:
		return r | (g << 8) | ((uint32_t)b << 16);
	case BOOT_FB_BGRX:
		return b | (g << 8) | ((uint32_t)r << 16);
	default:
		return ((uint32_t)r << mask_shift(f->red_mask) & f->red_mask) |
		       ((uint32_t)g << mask_shift(f->green_mask) & f->green_mask) |
		       ((uint32_t)b << mask_shift(f->blue_mask) & f->blue_mask);
	}
}

static void clear_row(uint32_t row)
{
	for (uint32_t py = row * GLYPH_H; py < (row + 1) * GLYPH_H; py++)
		for (uint32_t px = 0; px < fb.cols * GLYPH_W; px++)
			fb.base[py * fb.pitch + px] = fb.bg;
}

int fbcon_init(const struct boot_framebuffer *f)
{
	if (!f->base || f->width < GLYPH_W || f->height < GLYPH_H || f->pixels_per_line < f->width ||
	    (uint64_t)f->pixels_per_line * f->height * 4 > f->size)
		return -1;
	fb.base = (volatile uint32_t *)f->base;
	fb.pitch = f->pixels_per_line;
	fb.cols = f->width / GLYPH_W;
	fb.rows = f->height / GLYPH_H;
	fb.fg = pack(f, 0xe0, 0xe0, 0xe0);
	fb.bg = pack(f, 0x10, 0x10, 0x30);
	for (uint32_t r = 0; r < fb.rows; r++)
		clear_row(r);
	return 0;
}

static void draw(uint32_t col, uint32_t row, char c)
{
	const uint8_t *g;

	if ((unsigned char)c < FIRST_GLYPH || (unsigned char)c > LAST_GLYPH)
		c = '?';
	g = font8x16[c - FIRST_GLYPH];
	for (uint32_t dy = 0; dy < GLYPH_H; dy++) {
		volatile uint32_t *p = fb.base + (row * GLYPH_H + dy) * fb.pitch + col * GLYPH_W;

		for (uint32_t dx = 0; dx < GLYPH_W; dx++)
			p[dx] = (g[dy] & (0x80 >> dx)) ? fb.fg : fb.bg;
	}
}

static void newline(void)
{
	fb.x = 0;
	fb.y = (fb.y + 1) % fb.rows;
	clear_row(fb.y);
}

void fbcon_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\n') {
			newline();
		} else if (c == '\r') {
			fb.x = 0;
		} else if (c == '\t') {
			fb.x = (fb.x + TAB_STOP) & ~(TAB_STOP - 1);
			if (fb.x >= fb.cols)
				newline();
		} else {
			draw(fb.x, fb.y, c);
			if (++fb.x >= fb.cols)
				newline();
		}
	}
}
