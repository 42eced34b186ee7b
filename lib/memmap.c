/*
 * Memory map conversion and summary (include/memmap.h).  Pure.
 */
#include <stdint.h>
#include "memmap.h"

static const char *const type_names[BOOT_MEM_NTYPES] = {
	"reserved", "loader_code", "loader_data", "boot_services_code",
	"boot_services_data", "runtime_code", "runtime_data", "conventional",
	"unusable", "acpi_reclaim", "acpi_nvs", "mmio", "mmio_port", "pal_code",
	"persistent", "unaccepted",
};

const char *memmap_type_name(uint32_t type)
{
	return type < BOOT_MEM_NTYPES ? type_names[type] : "other";
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void sort_ranges(struct boot_mem_range *r, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct boot_mem_range key = r[i];
		uint32_t j = i;

		for (; j > 0 && r[j - 1].phys > key.phys; j--)
			r[j] = r[j - 1];
		r[j] = key;
	}
}

uint32_t memmap_convert(const uint8_t *raw, size_t size, size_t desc_size,
			struct boot_mem_range *out, uint32_t cap, int *overflow, uint32_t *bad)
{
	uint32_t n = 0;

	*overflow = 0;
	*bad = 0;
	if (desc_size < EFI_MD_MIN_SIZE)
		return 0;
	for (size_t off = 0; off + desc_size <= size; off += desc_size) {
		const uint8_t *d = raw + off;
		uint64_t pages = load64(d + EFI_MD_PAGES);

		if (!pages)
			continue;
		if (pages > (UINT64_MAX - load64(d + EFI_MD_PHYS)) >> 12) {
			(*bad)++;	/* end beyond 2^64: firmware garbage, never followed */
			continue;
		}
		if (n == cap) {
			*overflow = 1;
			break;
		}
		out[n] = (struct boot_mem_range){
			.phys = load64(d + EFI_MD_PHYS),
			.pages = pages,
			.attr = load64(d + EFI_MD_ATTR),
			.type = (uint32_t)load64(d + EFI_MD_TYPE),
		};
		n++;
	}
	sort_ranges(out, n);
	return n;
}

/* Split m[i] at addr (inside it): m[i] ends there, m[i + 1] starts there. */
static void split_at(struct boot_mem_range *m, uint32_t *n, uint32_t i, uint64_t addr)
{
	for (uint32_t j = *n; j > i + 1; j--)
		m[j] = m[j - 1];
	m[i + 1] = m[i];
	m[i].pages = (addr - m[i].phys) >> 12;
	m[i + 1].phys = addr;
	m[i + 1].pages -= m[i].pages;
	(*n)++;
}

uint64_t memmap_refuse_above(struct boot_mem_range *m, uint32_t *n, uint32_t cap, uint64_t limit,
			     uint64_t first[2])
{
	uint64_t refused = 0;

	first[0] = first[1] = 0;
	for (uint32_t i = 0; i < *n; i++) {
		uint64_t end = m[i].phys + (m[i].pages << 12);

		if (!boot_mem_usable(m[i].type) || end <= limit)
			continue;
		if (m[i].phys < limit && *n < cap) {
			split_at(m, n, i, limit);
			continue;	/* m[i + 1] is the part above */
		}
		if (!refused) {
			first[0] = m[i].phys;
			first[1] = end;
		}
		refused += end - m[i].phys;
		m[i].type = BOOT_MEM_UNUSABLE;
	}
	return refused;
}

static int is_ram(uint32_t type)
{
	return type < BOOT_MEM_NTYPES && type != BOOT_MEM_RESERVED && type != BOOT_MEM_MMIO &&
	       type != BOOT_MEM_MMIO_PORT && type != BOOT_MEM_UNUSABLE;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

void memmap_summarize(const struct boot_mem_range *m, uint32_t n, struct memmap_summary *s)
{
	uint64_t prev_end = 0;

	*s = (struct memmap_summary){ 0 };
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = m[i].type < BOOT_MEM_NTYPES ? m[i].type : BOOT_MEM_NTYPES;
		uint64_t bytes = m[i].pages << 12, end = m[i].phys + bytes;

		s->bytes[t] = add_sat(s->bytes[t], bytes);
		s->entries[t]++;
		if (boot_mem_usable(m[i].type))
			s->usable = add_sat(s->usable, bytes);
		if (is_ram(m[i].type)) {
			s->ram = add_sat(s->ram, bytes);
			if (end > s->ram_top)
				s->ram_top = end;
		}
		if (end > s->top)
			s->top = end;
		if (i && m[i].phys < prev_end)
			s->overlaps++;
		if (end > prev_end)
			prev_end = end;
	}
}
