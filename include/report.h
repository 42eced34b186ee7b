/*
 * Boot reports: a human summary and one JSON line per result
 * (docs/output.md).  Boot CPU only.
 */
#ifndef NUMABOOT_REPORT_H
#define NUMABOOT_REPORT_H

#include "boot_info.h"
#include "meminit.h"
#include "options.h"

/* The boot CPU's JSON line buffer, report_json_buf, is lib/json.c's
 * (include/json.h). */

void report_boot(const struct boot_info *bi, const struct options *o);
/* save=efivar (kernel/report_save.c): collect records from here on ... */
void report_save_init(const struct options *o);
/* ... and store them in a UEFI variable; 0, or -1 if the firmware refused. */
int report_save_commit(const struct boot_info *bi);
void report_memmap(const struct boot_info *bi);
/* A set of CPUs as a JSON array of logical ids (kernel/report_meminit.c). */
struct json;
void report_json_cpus(struct json *j, const char *key, const cpumask_t *m);
/* The memory-init results (kernel/report_meminit.c). */
void report_meminit(const struct mm_state *mm, const struct meminit_results *res);

#endif
