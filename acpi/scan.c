/*
 * RSDP -> XSDT (or RSDT) walk (ACPI 6.5 §5.2.5, §5.2.7, §5.2.8): find the
 * tables numaboot uses and hand each to acpi_parse_table().  All physical
 * memory is reached through the caller's map(), so the same code runs on
 * the kernel's identity map and on the tests' fake memory.  Override
 * tables from the boot disk (acpi/override.c) are parsed first; a firmware
 * table whose signature a used override has is skipped unread.
 * Boot CPU only, before SMP bring-up.
 */
#include "internal.h"
#include "kprintf.h"

#define ACPI_MAX_ROOT_ENTRIES	1024	/* more XSDT/RSDT entries are not read */

/* Map and check the RSDP into *r (xsdt_addr cleared when its extended part
 * is bad); -1 when there is no valid RSDP at phys. */
static int rsdp_read(uint64_t phys, acpi_map_fn map, void *ctx, struct acpi_rsdp *r)
{
	const uint8_t *p = map(phys, ACPI_RSDP_V1_LEN, ctx);

	memset(r, 0, sizeof(*r));
	if (!p) {
		kprintf("acpi: RSDP at 0x%llx not mapped\n", (unsigned long long)phys);
		return -1;
	}
	if (memcmp(p, "RSD PTR ", 8) != 0 || acpi_checksum(p, ACPI_RSDP_V1_LEN) != 0) {
		kprintf("acpi: RSDP at 0x%llx: bad signature or checksum\n", (unsigned long long)phys);
		return -1;
	}
	memcpy(r, p, ACPI_RSDP_V1_LEN);
	if (r->revision < 2)
		return 0;
	p = map(phys, sizeof(*r), ctx);
	if (!p) {
		r->revision = 0;	/* use the part we could read: the RSDT */
		return 0;
	}
	memcpy(r, p, sizeof(*r));
	if (r->length < sizeof(*r) || r->length > 4096 || !(p = map(phys, r->length, ctx)) ||
	    acpi_checksum(p, r->length) != 0) {
		kprintf("acpi: RSDP: bad length %u or extended checksum; XSDT not used\n", r->length);
		r->xsdt_addr = 0;
	}
	return 0;
}

/* Map a whole table: header first for its length, then all of it, checked. */
static const uint8_t *table_map(uint64_t phys, acpi_map_fn map, void *ctx, const char *sig,
				size_t *len)
{
	const struct acpi_sdt_header *h = map(phys, sizeof(*h), ctx);
	struct acpi_sdt_header hdr;
	const uint8_t *t;
	uint32_t n;

	if (!h) {
		kprintf("acpi: table at 0x%llx not mapped, ignored\n", (unsigned long long)phys);
		return NULL;
	}
	memcpy(&n, &h->length, sizeof(n));
	if (n < sizeof(hdr) || n > ACPI_MAX_TABLE_LEN) {
		kprintf("acpi: table at 0x%llx: impossible length %u, ignored\n",
			(unsigned long long)phys, n);
		return NULL;
	}
	t = map(phys, n, ctx);
	if (!t || acpi_table_check(t, n, sig, sizeof(hdr), &hdr) < 0)
		return NULL;
	*len = n;
	return t;
}

/* Parse every table the root table lists; entry_size 8 (XSDT) or 4 (RSDT). */
static void root_walk(const uint8_t *root, size_t len, size_t entry_size, acpi_map_fn map,
		      void *ctx, struct acpi_info *out)
{
	size_t n = (len - sizeof(struct acpi_sdt_header)) / entry_size;

	if ((len - sizeof(struct acpi_sdt_header)) % entry_size)
		kprintf("acpi: %s: length %zu is not a whole number of entries\n",
			entry_size == 8 ? "XSDT" : "RSDT", len);
	if (n > ACPI_MAX_ROOT_ENTRIES) {
		kprintf("acpi: root table lists %zu tables, reading %u\n", n, ACPI_MAX_ROOT_ENTRIES);
		n = ACPI_MAX_ROOT_ENTRIES;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = root + sizeof(struct acpi_sdt_header) + i * entry_size;
		uint64_t phys = entry_size == 8 ? acpi_rd64(e) : acpi_rd32(e);
		const uint8_t *t;
		size_t tlen;

		if (phys == 0)
			continue;
		t = map(phys, 4, ctx);
		if (t && acpi_override_claims(out, (const char *)t, phys))
			continue;
		t = table_map(phys, map, ctx, NULL, &tlen);
		if (t)
			acpi_parse_table(t, tlen, out);
	}
}

/* The firmware's tables: RSDP, then the XSDT or the RSDT. */
static int scan_firmware(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, struct acpi_info *out)
{
	struct acpi_rsdp r;
	const uint8_t *root = NULL;
	size_t len = 0;

	if (rsdp_read(rsdp_phys, map, ctx, &r) < 0)
		return -1;
	out->rsdp_revision = r.revision;
	if (r.revision >= 2 && r.xsdt_addr) {
		root = table_map(r.xsdt_addr, map, ctx, "XSDT", &len);
		if (root) {
			root_walk(root, len, 8, map, ctx, out);
			return 0;
		}
		kprintf("acpi: XSDT unusable, falling back to the RSDT\n");
	}
	if (r.rsdt_addr)
		root = table_map(r.rsdt_addr, map, ctx, "RSDT", &len);
	if (!root) {
		kprintf("acpi: no usable XSDT or RSDT\n");
		return -1;
	}
	out->used_rsdt = true;
	root_walk(root, len, 4, map, ctx, out);
	return 0;
}

int acpi_scan(uint64_t rsdp_phys, acpi_map_fn map, void *ctx, const struct boot_acpi_override *ov,
	      struct acpi_info *out)
{
	int rc;

	acpi_info_init(out);
	acpi_override_apply(ov, map, ctx, out);
	rc = scan_firmware(rsdp_phys, map, ctx, out);
	acpi_override_report(&out->override);
	return rc;
}
