/*
 * Private to acpi/: the ACPI table layouts (ACPI 6.5 §5.2) and the checks
 * every parser shares.  Nothing here may appear in include/.
 *
 * Tables are read byte-wise: firmware tables are not aligned, so every
 * field is copied out with acpi_rd*() or memcpy into a packed struct after
 * its bounds were checked against the table length.
 */
#ifndef NUMABOOT_ACPI_INTERNAL_H
#define NUMABOOT_ACPI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acpi.h"
#include "kstring.h"

/* §5.2.6 System Description Table Header, common to every table but the RSDP. */
struct acpi_sdt_header {
	char signature[4];
	uint32_t length;	/* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;	/* all bytes of the table sum to 0 mod 256 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "ACPI 6.5 §5.2.6 header");

/* §5.2.5.3 Root System Description Pointer. */
struct acpi_rsdp {
	char signature[8];	/* "RSD PTR " */
	uint8_t checksum;	/* first 20 bytes sum to 0 */
	char oem_id[6];
	uint8_t revision;	/* 0: ACPI 1.0, only the first 20 bytes exist; 2: ACPI 2.0+ */
	uint32_t rsdt_addr;
	uint32_t length;	/* revision >= 2: whole structure */
	uint64_t xsdt_addr;
	uint8_t ext_checksum;	/* all `length` bytes sum to 0 */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "ACPI 6.5 §5.2.5.3 RSDP");
#define ACPI_RSDP_V1_LEN 20

/* §5.2.3.2 Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "ACPI 6.5 §5.2.3.2 GAS");

/* Every MADT / SRAT subtable starts with type and length (§5.2.12, §5.2.16). */
struct acpi_subtable_header {
	uint8_t type;
	uint8_t length;
} __attribute__((packed));

static inline uint16_t acpi_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t acpi_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t acpi_rd64(const uint8_t *p)
{
	return (uint64_t)acpi_rd32(p) | (uint64_t)acpi_rd32(p + 4) << 32;
}

/* Sum of n bytes mod 256: 0 for a valid ACPI checksum. */
uint8_t acpi_checksum(const void *p, size_t n);

/* Why acpi_table_verify() refused a table. */
enum acpi_table_fault {
	ACPI_TABLE_OK = 0,
	ACPI_TABLE_SHORT,	/* fewer bytes than a header */
	ACPI_TABLE_SIGNATURE,	/* not the expected signature */
	ACPI_TABLE_LENGTH,	/* header length below the minimum, past the bytes, or too long */
	ACPI_TABLE_CHECKSUM,	/* the bytes do not sum to 0 */
};

/* The fault as the message names it ("bad checksum"). */
const char *acpi_table_fault_name(enum acpi_table_fault f);

/* The first four bytes as a printable signature ('?' for others). */
void acpi_sig_str(const char *sig4, char out[5]);

/* acpi_table_check() saying why: the same checks and messages. */
enum acpi_table_fault acpi_table_verify(const void *table, size_t len, const char *expect_sig,
					size_t min_len, struct acpi_sdt_header *hdr);

/*
 * Common table check: at least a header, the header's length within len and
 * at least min_len, and a zero checksum.  On success *hdr holds the header
 * and 0 is returned; otherwise "acpi: <sig>: why" is printed and -1 returned.
 * expect_sig may be NULL.
 */
int acpi_table_check(const void *table, size_t len, const char *expect_sig, size_t min_len,
		     struct acpi_sdt_header *hdr);

/*
 * Length of the subtable at off in [off, end) of table, or 0 when the walk
 * must stop: fewer than 2 bytes left, a length below 2 (a zero length would
 * loop forever) or past end.  A stop before end is reported as
 * "acpi: <sig>: ..." and sets *truncated.
 */
size_t acpi_subtable_len(const uint8_t *table, size_t off, size_t end, const char *sig,
			 bool *truncated);

#endif
