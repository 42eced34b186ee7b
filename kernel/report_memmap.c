/*
 * The "boot" and "memmap" reports.  Boot CPU only, after console_init.
 */
#include <stdint.h>
#include "console.h"
#include "json.h"
#include "kprintf.h"
#include "memmap.h"
#include "page.h"
#include "paging.h"
#include "report.h"

void report_boot(const struct boot_info *bi, const struct options *o)
{
	char opts[768];
	struct json j;

	options_format(o, opts, sizeof(opts));
	kprintf("numaboot: firmware \"%s\" rev 0x%x, ACPI %s RSDP at 0x%llx\n", bi->vendor,
		bi->firmware_revision, bi->acpi_revision == 2 ? "2.0+" : "1.0",
		(unsigned long long)bi->rsdp);
	if (bi->fb.format != BOOT_FB_NONE)
		kprintf("numaboot: framebuffer %ux%u at 0x%llx\n", bi->fb.width, bi->fb.height,
			(unsigned long long)bi->fb.base);
	kprintf("numaboot: console %s; options: %s\n", console_outputs(), opts);
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

void report_memmap(const struct boot_info *bi)
{
	struct memmap_summary s;
	struct paging_stats ps;
	struct json j;

	memmap_summarize(bi->mmap, bi->mmap_count, &s);
	paging_get_stats(&ps);
	kprintf("memmap: %u entries (descriptor size %u, version %u), ExitBootServices took %u attempt(s)\n",
		bi->mmap_count, bi->mmap_desc_size, bi->mmap_desc_version, bi->exit_attempts);
	if (bi->mmap_overflow)
		kprintf("memmap: WARNING: firmware map had more entries than room; tail dropped\n");
	if (bi->mmap_bad)
		kprintf("memmap: WARNING: %u descriptors end beyond 2^64; ignored\n", bi->mmap_bad);
	if (s.overlaps)
		kprintf("memmap: WARNING: %u entries overlap their predecessor\n", s.overlaps);
	if (bi->phys_refused_bytes)
		kprintf("memmap: WARNING: RAM [0x%llx, 0x%llx) lies above the %llu TiB physical address "
			"limit (MAX_PHYSMEM_BITS %u); %llu bytes there are not used\n",
			(unsigned long long)bi->phys_refused_first[0],
			(unsigned long long)bi->phys_refused_first[1],
			(1ULL << MAX_PHYSMEM_BITS) >> 40, MAX_PHYSMEM_BITS,
			(unsigned long long)bi->phys_refused_bytes);
	for (uint32_t t = 0; t <= BOOT_MEM_NTYPES; t++)
		if (s.entries[t])
			kprintf("memmap:   %-20s %5u entries %12llu KiB\n", memmap_type_name(t),
				s.entries[t], (unsigned long long)(s.bytes[t] >> 10));
	kprintf("memmap: RAM %llu MiB up to 0x%llx, usable %llu MiB; identity map to 0x%llx with %s pages\n",
		(unsigned long long)(s.ram >> 20), (unsigned long long)s.ram_top,
		(unsigned long long)(s.usable >> 20), (unsigned long long)ps.identity_top,
		ps.page_size == SIZE_1G ? "1 GiB" : "2 MiB");

	json_begin(&j, report_json_buf, sizeof(report_json_buf), "memmap");
	json_u64(&j, "entries", bi->mmap_count);
	json_u64(&j, "desc_size", bi->mmap_desc_size);
	json_u64(&j, "desc_version", bi->mmap_desc_version);
	json_u64(&j, "exit_attempts", bi->exit_attempts);
	json_u64(&j, "overflow", bi->mmap_overflow);
	json_u64(&j, "overlaps", s.overlaps);
	json_u64(&j, "bad", bi->mmap_bad);
	json_u64(&j, "above_phys_limit_bytes", bi->phys_refused_bytes);
	json_obj_begin(&j, "bytes");
	for (uint32_t t = 0; t <= BOOT_MEM_NTYPES; t++)
		if (s.entries[t])
			json_u64(&j, memmap_type_name(t), s.bytes[t]);
	json_obj_end(&j);
	json_u64(&j, "usable_bytes", s.usable);
	json_u64(&j, "ram_bytes", s.ram);
	json_hex(&j, "ram_top", s.ram_top);
	json_hex(&j, "top", s.top);
	json_hex(&j, "identity_top", ps.identity_top);
	json_u64(&j, "identity_page_size", ps.page_size);
	json_emit(&j);
}
