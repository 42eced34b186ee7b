/*
 * ACPI table override from the boot disk (docs/acpi.md, "Table override"),
 * numaboot's form of Linux's "upgrade ACPI tables via initrd": each file
 * boot/ read from the folder beside the image is one table, checked by the
 * code that checks a firmware table (acpi_table_verify(), then the table's
 * parser through acpi_parse_table()), and a used one stands for every
 * firmware table of its signature.
 *
 * Rules, in the order they are checked, per file (files sorted by name):
 * read by boot/ (within the folder's limits); at least a header, a length
 * within the file and a zero checksum; the file holds exactly one table
 * (its length is the header's); no earlier file of the same signature was
 * used (numaboot reads one table of each kind); its parser accepts it.  A
 * signature numaboot does not read is listed as unused.  A refused file
 * changes nothing: the firmware's tables of its signature are used.
 * Pure functions of the bytes; acpi_scan() on the boot CPU, the tests, or
 * tools/numaboot-topo.c (--acpi-override) on a host.
 */
#include "internal.h"
#include "json.h"
#include "kprintf.h"

#define OVERRIDE_JSON_KIND	"acpi_override"

static const char *const status_names[] = {
	[ACPI_OVERRIDE_ADDED] = "added",
	[ACPI_OVERRIDE_REPLACED] = "replaced",
	[ACPI_OVERRIDE_UNUSED] = "unused",
	[ACPI_OVERRIDE_REJECTED] = "rejected",
};

/* Order of the files: by name (strcmp), so that which of two files of one
 * signature wins does not depend on the directory's order. */
static void sort_by_name(const struct boot_acpi_override *ov, uint32_t n, uint32_t *order)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i;

		for (; j > 0 && strcmp(ov->file[order[j - 1]].name, ov->file[i].name) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
}

static bool used(const struct acpi_override_rec *r)
{
	return r->status == ACPI_OVERRIDE_ADDED || r->status == ACPI_OVERRIDE_REPLACED;
}

/* An earlier used record of r's signature, or NULL. */
static const struct acpi_override_rec *first_of_sig(const struct acpi_override_info *o,
						    const struct acpi_override_rec *r)
{
	for (const struct acpi_override_rec *e = o->rec; e < r; e++)
		if (used(e) && !memcmp(e->signature, r->signature, 4))
			return e;
	return NULL;
}

/* Why the loader did not read f, or NULL when it did. */
static const char *loader_refusal(const struct boot_acpi_file *f, char *why, size_t size)
{
	if (f->status == BOOT_ACPI_FILE_READ)
		return NULL;
	if (f->status == BOOT_ACPI_FILE_TOO_LARGE)
		ksnprintf(why, size, "over the folder's limit of %u bytes", BOOT_ACPI_OVERRIDE_MAX_BYTES);
	else
		ksnprintf(why, size, "the loader could not read it");
	return why;
}

/* Check and parse the file f into r (and out); r->why says why not. */
static void apply_one(const struct boot_acpi_file *f, acpi_map_fn map, void *ctx,
		      struct acpi_info *out, struct acpi_override_rec *r)
{
	const struct acpi_override_rec *first;
	struct acpi_sdt_header hdr;
	enum acpi_table_fault fault;
	const uint8_t *t = NULL;
	int rc;

	memcpy(r->file, f->name, sizeof(r->file));
	r->file[sizeof(r->file) - 1] = 0;
	r->length = f->length;
	r->status = ACPI_OVERRIDE_REJECTED;
	memcpy(r->signature, "????", 5);
	if (loader_refusal(f, r->why, sizeof(r->why)))
		return;
	if (f->length > ACPI_MAX_TABLE_LEN) {
		ksnprintf(r->why, sizeof(r->why), "longer than %u bytes", ACPI_MAX_TABLE_LEN);
		return;
	}
	if (f->length && !(t = map(f->phys, f->length, ctx))) {
		ksnprintf(r->why, sizeof(r->why), "not mapped");
		return;
	}
	if (t && f->length >= 4)
		acpi_sig_str((const char *)t, r->signature);
	fault = acpi_table_verify(t, t ? f->length : 0, NULL, sizeof(hdr), &hdr);
	if (fault != ACPI_TABLE_OK) {
		ksnprintf(r->why, sizeof(r->why), "%s", acpi_table_fault_name(fault));
		return;
	}
	if (hdr.length != f->length) {
		ksnprintf(r->why, sizeof(r->why), "the file has %llu bytes, its table %u",
			  (unsigned long long)f->length, hdr.length);
		return;
	}
	first = first_of_sig(&out->override, r);
	if (first) {
		ksnprintf(r->why, sizeof(r->why), "a second %s override (%s is used)", r->signature,
			  first->file);
		return;
	}
	rc = acpi_parse_table(t, f->length, out);
	if (rc < 0)
		ksnprintf(r->why, sizeof(r->why), "refused by the %s parser", r->signature);
	else
		r->status = rc == 0 ? ACPI_OVERRIDE_ADDED : ACPI_OVERRIDE_UNUSED;
}

void acpi_override_apply(const struct boot_acpi_override *ov, acpi_map_fn map, void *ctx,
			 struct acpi_info *out)
{
	struct acpi_override_info *o = &out->override;
	uint32_t order[ACPI_OVERRIDE_MAX];
	uint32_t n;

	if (!ov || !ov->dir_found)
		return;
	n = ov->nfiles < ACPI_OVERRIDE_MAX ? ov->nfiles : ACPI_OVERRIDE_MAX;
	o->dir_found = true;
	o->nbeyond = ov->nbeyond + (ov->nfiles - n);
	sort_by_name(ov, n, order);
	for (uint32_t i = 0; i < n; i++)
		apply_one(&ov->file[order[i]], map, ctx, out, &o->rec[o->nfiles++]);
}

bool acpi_override_claims(struct acpi_info *out, const char *sig, uint64_t phys)
{
	struct acpi_override_info *o = &out->override;
	const struct acpi_override_rec *by = NULL;

	for (uint32_t i = 0; i < o->nfiles; i++) {
		struct acpi_override_rec *r = &o->rec[i];

		if (memcmp(r->signature, sig, 4) != 0)
			continue;
		r->nfirmware++;
		if (used(r)) {
			r->status = ACPI_OVERRIDE_REPLACED;
			by = r;
		}
	}
	if (by && phys)
		kprintf("acpi: firmware %s at 0x%llx not read: overridden by %s\n", by->signature,
			(unsigned long long)phys, by->file);
	else if (by)	/* a host tool's table file: no address */
		kprintf("acpi: firmware %s not read: overridden by %s\n", by->signature, by->file);
	return by != NULL;
}

void acpi_override_report(const struct acpi_override_info *o)
{
	for (uint32_t i = 0; i < o->nfiles; i++) {
		const struct acpi_override_rec *r = &o->rec[i];

		kprintf("acpi: override %s: %s, %llu bytes, ", r->file, r->signature,
			(unsigned long long)r->length);
		if (r->status == ACPI_OVERRIDE_REPLACED)
			kprintf("replaces the firmware's %s\n", r->signature);
		else if (r->status == ACPI_OVERRIDE_ADDED)
			kprintf("added (the firmware has no %s)\n", r->signature);
		else if (r->status == ACPI_OVERRIDE_UNUSED)
			kprintf("unused (numaboot reads no %s table)\n", r->signature);
		else if (r->nfirmware)
			kprintf("REJECTED (%s); the firmware's %s is used\n", r->why, r->signature);
		else
			kprintf("REJECTED (%s); the firmware has no %s\n", r->why, r->signature);
	}
	if (o->nbeyond)
		kprintf("acpi: override: %u more files past the limit of %u files not read\n", o->nbeyond,
			BOOT_ACPI_OVERRIDE_MAX_FILES);
	if (o->dir_found && !o->nfiles && !o->nbeyond)
		kprintf("acpi: override folder is empty\n");
}

void acpi_override_emit_json(const struct acpi_override_info *o, char *buf, size_t size)
{
	struct json j;

	if (!o->dir_found)
		return;
	json_begin(&j, buf, size, OVERRIDE_JSON_KIND);
	json_u64(&j, "max_files", BOOT_ACPI_OVERRIDE_MAX_FILES);
	json_u64(&j, "max_bytes", BOOT_ACPI_OVERRIDE_MAX_BYTES);
	json_u64(&j, "files", o->nfiles + o->nbeyond);
	json_u64(&j, "beyond_limit", o->nbeyond);
	json_arr_begin(&j, "tables");
	for (uint32_t i = 0; i < o->nfiles; i++) {
		const struct acpi_override_rec *r = &o->rec[i];

		json_obj_begin(&j, NULL);
		json_str(&j, "file", r->file);
		json_str(&j, "signature", r->signature);
		json_u64(&j, "length", r->length);
		json_str(&j, "status", status_names[r->status]);
		json_u64(&j, "firmware_tables", r->nfirmware);
		if (r->status == ACPI_OVERRIDE_REJECTED)
			json_str(&j, "why", r->why);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_emit(&j);
}
