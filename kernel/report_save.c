/*
 * save=efivar: keep the verdict-carrying JSON records of a boot and store
 * them, at the very end, in the non-volatile UEFI variable NumabootResult
 * (vendor GUID 4e554d41-424f-4f54-8d1e-4f5a2b3c1107).  A real machine with
 * no serial cable then still yields machine-readable results: after the
 * next boot into Linux, /sys/firmware/efi/efivars/NumabootResult-4e55...
 * holds them (4 bytes of attributes, then the lines).  Boot CPU only.
 */
#include <stddef.h>
#include <stdint.h>
#include "exit.h"
#include "json.h"
#include "kprintf.h"
#include "kstring.h"
#include "report.h"
#include "x86.h"

/* Well under the smallest common firmware limit on one variable (OVMF's
 * PcdMaxVariableSize is 8 KiB including header and name). */
#define SAVE_MAX	7168
#define SAVE_RESULT_ROOM 256	/* kept free for the final "result" record */
#define SAVE_VAR_NAME	"NumabootResult"

static const char *const saved_kinds[] = {
	"memmap", "meminit_warmup", "meminit_summary", "smp_stress", "result", NULL,
};

static struct {
	char buf[SAVE_MAX];
	size_t len;
	uint32_t dropped;	/* records that did not fit */
	int enabled;
} save;

static int saved_kind(const char *kind)
{
	for (int i = 0; saved_kinds[i]; i++)
		if (!strcmp(kind, saved_kinds[i]))
			return 1;
	return 0;
}

static void save_sink(const struct json *j)
{
	size_t room = SAVE_MAX - save.len;

	if (!saved_kind(j->kind))
		return;
	if (strcmp(j->kind, "result"))
		room = room > SAVE_RESULT_ROOM ? room - SAVE_RESULT_ROOM : 0;
	if (j->len > room) {
		save.dropped++;
		return;
	}
	memcpy(save.buf + save.len, j->buf, j->len);
	save.len += j->len;
}

void report_save_init(const struct options *o)
{
	save.enabled = o->save_efivar;
	if (save.enabled)
		json_set_sink(save_sink);
}

int report_save_commit(const struct boot_info *bi)
{
	int rc;

	if (!save.enabled)
		return 0;
	irq_disable();	/* runtime services are entered with our IDT live */
	rc = boot_efi_set_variable(bi->efi_runtime, SAVE_VAR_NAME, save.buf, save.len);
	kprintf("numaboot: %s %zu bytes of results (%u records left out) in UEFI variable "
		SAVE_VAR_NAME "-4e554d41-424f-4f54-8d1e-4f5a2b3c1107\n",
		rc ? "FAILED to store" : "stored", save.len, save.dropped);
	return rc;
}
