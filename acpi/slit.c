/*
 * SLIT parser (ACPI 6.5 §5.2.17): relative distances between localities
 * (proximity domains).  A matrix that does not fit its table, is larger
 * than ACPI_MAX_DOMAINS, or breaks the spec's rules (10 on the diagonal,
 * more than 10 elsewhere) is distrusted: reported and left not present, so
 * numa/numa.c falls back to 10 local / 20 remote.
 */
#include <stdarg.h>
#include "internal.h"
#include "kprintf.h"

#define SLIT_MATRIX_OFFSET	44	/* header, Number of System Localities (8) */
#define SLIT_LOCAL		10

/* Record why the SLIT is not used (the topology JSON repeats it) and say so. */
static KPRINTF_FMT(2, 3) void slit_distrust(struct acpi_slit_info *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	kprintf("acpi: SLIT: %s; SLIT distrusted\n", out->reason);
}

static bool slit_matrix_ok(const uint8_t *m, uint64_t n, struct acpi_slit_info *out)
{
	for (uint64_t i = 0; i < n; i++) {
		for (uint64_t j = 0; j < n; j++) {
			uint8_t d = m[i * n + j];

			if (i == j && d != SLIT_LOCAL) {
				slit_distrust(out, "distance %u->%u is %u, not 10",
					      (unsigned)i, (unsigned)j, d);
				return false;
			}
			if (i != j && d <= SLIT_LOCAL) {
				slit_distrust(out, "distance %u->%u is %u, not above 10",
					      (unsigned)i, (unsigned)j, d);
				return false;
			}
		}
	}
	return true;
}

int acpi_parse_slit(const void *table, size_t len, struct acpi_slit_info *out)
{
	struct acpi_sdt_header hdr;
	const uint8_t *t = table;
	uint64_t n;

	memset(out, 0, sizeof(*out));
	out->found = true;
	if (acpi_table_check(table, len, "SLIT", SLIT_MATRIX_OFFSET, &hdr) < 0) {
		ksnprintf(out->reason, sizeof(out->reason), "SLIT header or checksum bad");
		return -1;
	}
	n = acpi_rd64(t + 36);
	if (n == 0 || n > ACPI_MAX_DOMAINS) {
		slit_distrust(out, "%llu localities (limit %u)", (unsigned long long)n,
			      ACPI_MAX_DOMAINS);
		return -1;
	}
	if (SLIT_MATRIX_OFFSET + n * n > hdr.length) {
		slit_distrust(out, "%llu localities need %llu bytes, table has %u",
			      (unsigned long long)n, (unsigned long long)(SLIT_MATRIX_OFFSET + n * n),
			      hdr.length);
		return -1;
	}
	if (!slit_matrix_ok(t + SLIT_MATRIX_OFFSET, n, out))
		return -1;
	for (uint64_t i = 0; i < n; i++)
		memcpy(out->dist[i], t + SLIT_MATRIX_OFFSET + i * n, n);
	out->n = (uint32_t)n;
	out->present = true;
	return 0;
}
