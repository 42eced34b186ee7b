/*
 * Helpers shared by the ACPI and NUMA unit tests: load a table that iasl
 * compiled (build/data/<machine>/<sig>.aml, or under the directory given as
 * argv[1]), fix a checksum after a mutation, build synthetic tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "acpi.h"

static char data_root[4096] = "build/data";

/* argv[1], else <BUILD>/data next to <BUILD>/unit/<test>, else build/data. */
void acpi_test_set_root(int argc, char **argv)
{
	char *slash;

	if (argc > 1) {
		snprintf(data_root, sizeof(data_root), "%s", argv[1]);
		return;
	}
	snprintf(data_root, sizeof(data_root), "%s", argv[0]);
	slash = strrchr(data_root, '/');
	if (slash) {
		*slash = 0;	/* <BUILD>/unit */
		slash = strrchr(data_root, '/');
	}
	if (slash)
		snprintf(slash, sizeof(data_root) - (size_t)(slash - data_root), "/data");
	else
		snprintf(data_root, sizeof(data_root), "build/data");
}

uint8_t *acpi_test_load(const char *name, size_t *len)
{
	char path[4096 + 64];
	uint8_t *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s.aml", data_root, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s (run make acpi-tables from the repo root)\n", path);
		abort();
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void acpi_test_fix_checksum(uint8_t *t, size_t len)
{
	uint8_t sum = 0;

	t[9] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	t[9] = (uint8_t)(0x100 - sum);
}

void acpi_test_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void acpi_test_put64(uint8_t *p, uint64_t v)
{
	acpi_test_put32(p, (uint32_t)v);
	acpi_test_put32(p + 4, (uint32_t)(v >> 32));
}

uint8_t *acpi_test_header(const char *sig, uint8_t rev, size_t len)
{
	uint8_t *t = calloc(1, len);

	memcpy(t, sig, 4);
	acpi_test_put32(t + 4, (uint32_t)len);
	t[8] = rev;
	memcpy(t + 10, "NUMABT", 6);
	return t;
}
