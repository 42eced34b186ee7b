/*
 * Checks shared by every ACPI table parser (ACPI 6.5 §5.2.6) and the
 * dispatch by signature.  Pure functions; any CPU, any phase.
 */
#include "internal.h"
#include "kprintf.h"

uint8_t acpi_checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum;
}

void acpi_sig_str(const char *sig4, char out[5])
{
	for (int i = 0; i < 4; i++)
		out[i] = (sig4[i] >= 0x20 && sig4[i] < 0x7f) ? sig4[i] : '?';
	out[4] = 0;
}

const char *acpi_table_fault_name(enum acpi_table_fault f)
{
	static const char *const names[] = {
		[ACPI_TABLE_OK] = "ok",
		[ACPI_TABLE_SHORT] = "shorter than its header",
		[ACPI_TABLE_SIGNATURE] = "wrong signature",
		[ACPI_TABLE_LENGTH] = "impossible length",
		[ACPI_TABLE_CHECKSUM] = "bad checksum",
	};

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

enum acpi_table_fault acpi_table_verify(const void *table, size_t len, const char *expect_sig,
					size_t min_len, struct acpi_sdt_header *hdr)
{
	char sig[5] = "????";

	if (!table || len < sizeof(*hdr)) {
		kprintf("acpi: %s: table of %zu bytes is shorter than its header, ignored\n",
			expect_sig ? expect_sig : "table", len);
		return ACPI_TABLE_SHORT;
	}
	memcpy(hdr, table, sizeof(*hdr));
	acpi_sig_str(hdr->signature, sig);
	if (expect_sig && memcmp(hdr->signature, expect_sig, 4) != 0) {
		kprintf("acpi: %s: signature is not %s, ignored\n", sig, expect_sig);
		return ACPI_TABLE_SIGNATURE;
	}
	if (hdr->length < sizeof(*hdr) || hdr->length < min_len || hdr->length > len ||
	    hdr->length > ACPI_MAX_TABLE_LEN) {
		kprintf("acpi: %s: impossible length %u (have %zu bytes, need >= %zu), ignored\n",
			sig, hdr->length, len, min_len > sizeof(*hdr) ? min_len : sizeof(*hdr));
		return ACPI_TABLE_LENGTH;
	}
	if (acpi_checksum(table, hdr->length) != 0) {
		kprintf("acpi: %s: bad checksum, ignored\n", sig);
		return ACPI_TABLE_CHECKSUM;
	}
	return ACPI_TABLE_OK;
}

int acpi_table_check(const void *table, size_t len, const char *expect_sig, size_t min_len,
		     struct acpi_sdt_header *hdr)
{
	return acpi_table_verify(table, len, expect_sig, min_len, hdr) == ACPI_TABLE_OK ? 0 : -1;
}

size_t acpi_subtable_len(const uint8_t *table, size_t off, size_t end, const char *sig,
			 bool *truncated)
{
	size_t sublen;

	if (off >= end)
		return 0;
	if (end - off < sizeof(struct acpi_subtable_header)) {
		kprintf("acpi: %s: %zu trailing bytes at offset %zu, walk stopped\n", sig,
			end - off, off);
		*truncated = true;
		return 0;
	}
	sublen = table[off + 1];
	if (sublen < sizeof(struct acpi_subtable_header) || sublen > end - off) {
		kprintf("acpi: %s: subtable type %u at offset %zu has bad length %zu, walk stopped\n",
			sig, table[off], off, sublen);
		*truncated = true;
		return 0;
	}
	return sublen;
}

void acpi_info_init(struct acpi_info *out)
{
	memset(out, 0, sizeof(*out));
}

static int refuse_duplicate(bool present, const char *sig)
{
	if (present)
		kprintf("acpi: %s: second table of this kind ignored\n", sig);
	return present;
}

int acpi_parse_table(const void *table, size_t len, struct acpi_info *out)
{
	const char *s = table;

	if (!table || len < 4)
		return -1;
	if (!memcmp(s, "APIC", 4))
		return refuse_duplicate(out->madt.present, "APIC") ? -1 :
		       acpi_parse_madt(table, len, &out->madt);
	if (!memcmp(s, "SRAT", 4))
		return refuse_duplicate(out->srat.present, "SRAT") ? -1 :
		       acpi_parse_srat(table, len, &out->srat);
	if (!memcmp(s, "SLIT", 4))
		return refuse_duplicate(out->slit.present, "SLIT") ? -1 :
		       acpi_parse_slit(table, len, &out->slit);
	if (!memcmp(s, "FACP", 4))
		return refuse_duplicate(out->timer.fadt_present, "FACP") ? -1 :
		       acpi_parse_fadt(table, len, &out->timer);
	if (!memcmp(s, "HPET", 4))
		return refuse_duplicate(out->timer.hpet_present, "HPET") ? -1 :
		       acpi_parse_hpet(table, len, &out->timer);
	if (!memcmp(s, "NFIT", 4))
		return refuse_duplicate(out->nfit.present, "NFIT") ? -1 :
		       acpi_parse_nfit(table, len, &out->nfit);
	if (!memcmp(s, "MCFG", 4))
		return refuse_duplicate(out->mcfg.present, "MCFG") ? -1 :
		       acpi_parse_mcfg(table, len, &out->mcfg);
	return 1;
}
