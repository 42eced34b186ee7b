/*
 * The "boot" and "memmap" reports.  Boot CPU only, after console_init.
 */
#include <stdint.h>
#include "console.h"
#include "json.h"
#include "kprintf.h"
#include "paging.h"
#include "report.h"

char report_json_buf[REPORT_JSON_MAX];

/* Types that are RAM (as opposed to MMIO or holes), for ram_bytes/ram_top. */
static int is_ram(uint32_t type)
{
	return type != BOOT_MEM_RESERVED && type != BOOT_MEM_MMIO && type != BOOT_MEM_MMIO_PORT &&
	       type != BOOT_MEM_UNUSABLE && type < BOOT_MEM_NTYPES;
}

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

void report_boot(const struct boot_info *bi, const struct options *o)
{
	char opts[512];
	struct json j;

	options_format(o, opts, sizeof(opts));
	kprintf("numaboot: firmware \"%s\" rev 0x%x, ACPI %s RSDP at 0x%llx\n", bi->vendor,
		bi->firmware_revision, bi->acpi_revision == 2 ? "2.0+" : "1.0",
		(unsigned long long)bi->rsdp);
	if (bi->fb.format != BOOT_FB_NONE)
		kprintf("numaboot: framebuffer %ux%u at 0x%llx\n", bi->fb.width, bi->fb.height,
			(unsigned long long)bi->fb.base);
	kprintf("numaboot: console %s; options: %s\n", console_outputs(), opts);
	if (!o->json)
		return;
	json_begin(&j, report_json_buf, sizeof(report_json_buf), "boot");
	json_str(&j, "firmware", bi->vendor);
	json_hex(&j, "firmware_revision", bi->firmware_revision);
	json_u64(&j, "acpi_revision", bi->acpi_revision);
	json_hex(&j, "rsdp", bi->rsdp);
	json_str(&j, "console", console_outputs());
	json_bool(&j, "framebuffer", bi->fb.format != BOOT_FB_NONE);
	json_hex(&j, "image_base", bi->image_base);
	json_hex(&j, "trampoline", bi->trampoline_page);
	json_str(&j, "cmdline", bi->cmdline);
	json_str(&j, "options", opts);
	json_emit(&j);
}

struct type_total {
	uint64_t bytes;
	uint32_t entries;
};

void report_memmap(const struct boot_info *bi)
{
	struct type_total totals[BOOT_MEM_NTYPES + 1] = { 0 };
	uint64_t usable = 0, top = 0, ram = 0, ram_top = 0;
	struct paging_stats ps;
	struct json j;

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mem_range *r = &bi->mmap[i];
		uint32_t t = r->type < BOOT_MEM_NTYPES ? r->type : BOOT_MEM_NTYPES;
		uint64_t bytes = r->pages * PAGE_SIZE;

		totals[t].bytes += bytes;
		totals[t].entries++;
		if (boot_mem_usable(r->type))
			usable += bytes;
		if (r->phys + bytes > top)
			top = r->phys + bytes;
		if (is_ram(r->type)) {
			ram += bytes;
			if (r->phys + bytes > ram_top)
				ram_top = r->phys + bytes;
		}
	}
	paging_get_stats(&ps);
	kprintf("memmap: %u entries (descriptor size %u, version %u), ExitBootServices took %u attempt(s)\n",
		bi->mmap_count, bi->mmap_desc_size, bi->mmap_desc_version, bi->exit_attempts);
	for (uint32_t t = 0; t <= BOOT_MEM_NTYPES; t++)
		if (totals[t].entries)
			kprintf("memmap:   %-20s %5u entries %12llu KiB\n",
				t < BOOT_MEM_NTYPES ? type_names[t] : "other", totals[t].entries,
				(unsigned long long)(totals[t].bytes >> 10));
	kprintf("memmap: RAM %llu MiB up to 0x%llx, usable %llu MiB; identity map to 0x%llx with %s pages\n",
		(unsigned long long)(ram >> 20), (unsigned long long)ram_top,
		(unsigned long long)(usable >> 20), (unsigned long long)ps.identity_top,
		ps.page_size == SIZE_1G ? "1 GiB" : "2 MiB");

	json_begin(&j, report_json_buf, sizeof(report_json_buf), "memmap");
	json_u64(&j, "entries", bi->mmap_count);
	json_u64(&j, "desc_size", bi->mmap_desc_size);
	json_u64(&j, "desc_version", bi->mmap_desc_version);
	json_u64(&j, "exit_attempts", bi->exit_attempts);
	json_obj_begin(&j, "bytes");
	for (uint32_t t = 0; t <= BOOT_MEM_NTYPES; t++)
		if (totals[t].entries)
			json_u64(&j, t < BOOT_MEM_NTYPES ? type_names[t] : "other", totals[t].bytes);
	json_obj_end(&j);
	json_u64(&j, "usable_bytes", usable);
	json_u64(&j, "ram_bytes", ram);
	json_hex(&j, "ram_top", ram_top);
	json_hex(&j, "top", top);
	json_hex(&j, "identity_top", ps.identity_top);
	json_u64(&j, "identity_page_size", ps.page_size);
	json_emit(&j);
}
