/*
 * save_efivar=on: keep the records a verdict needs (tools/regress.py reads
 * the per-node "meminit" records, the "meminit_summary" and the "result")
 * and store them, at the very end, in non-volatile UEFI variables with
 * vendor GUID 4e554d41-424f-4f54-8d1e-4f5a2b3c1107: NumabootResult, then
 * NumabootResult1 ... NumabootResult7 when one variable is not enough.  A
 * real machine with no serial cable then still yields machine-readable
 * results: after the next boot into Linux, tools/efivar_read.py reads them
 * back from /sys/firmware/efi/efivars and reassembles the parts.
 *
 * Each variable holds whole JSON lines and starts with a "saved" record
 * (part, parts, a per-boot stamp, records left out), so a reader can tell
 * the parts of one boot from leftovers of another; parts beyond this boot's
 * last are deleted.  Boot CPU only.
 */
#include <stddef.h>
#include <stdint.h>
#include "exit.h"
#include "json.h"
#include "kprintf.h"
#include "kstring.h"
#include "report.h"
#include "x86.h"

/* One variable stays well under the smallest common firmware limit
 * (OVMF's PcdMaxVariableSize is 8 KiB with the 2 MiB flash layout,
 * including header and name); eight of them cap what a boot may take of a
 * machine's variable store at 56 KiB. */
#define SAVE_PART_MAX		7168
#define SAVE_PARTS_MAX		8
#define SAVE_HEADER_ROOM	192	/* the "saved" record at the top of each part */
#define SAVE_BODY_MAX		(SAVE_PART_MAX - SAVE_HEADER_ROOM)
#define SAVE_RESULT_ROOM	256	/* kept free in the last part for the "result" */
#define SAVE_VAR_NAME		"NumabootResult"
#define SAVE_NAME_MAX		32

static const char *const saved_kinds[] = {
	"boot", "memmap", "topology", "smp", "smp_stress", "meminit_warmup", "meminit",
	"meminit_summary", "result", NULL,
};

/* (B) written by the boot CPU only: the JSON sink runs in json_emit(). */
static struct {
	char body[SAVE_PARTS_MAX][SAVE_BODY_MAX];
	size_t len[SAVE_PARTS_MAX];
	uint32_t cur;		/* part being filled */
	uint32_t dropped;	/* records that did not fit */
	char out[SAVE_PART_MAX];
	int enabled;
} save;

_Static_assert(SAVE_RESULT_ROOM < SAVE_BODY_MAX, "result room fits a part");

static int saved_kind(const char *kind)
{
	for (int i = 0; saved_kinds[i]; i++)
		if (!strcmp(kind, saved_kinds[i]))
			return 1;
	return 0;
}

/* Room for a record of this kind in part p. */
static size_t part_room(uint32_t p, const char *kind)
{
	size_t room = SAVE_BODY_MAX - save.len[p];

	if (p == SAVE_PARTS_MAX - 1 && strcmp(kind, "result"))
		room = room > SAVE_RESULT_ROOM ? room - SAVE_RESULT_ROOM : 0;
	return room;
}

static void save_sink(const struct json *j)
{
	if (!saved_kind(j->kind))
		return;
	if (j->len > part_room(save.cur, j->kind) && save.cur + 1 < SAVE_PARTS_MAX)
		save.cur++;
	if (j->len > part_room(save.cur, j->kind)) {
		save.dropped++;
		return;
	}
	memcpy(save.body[save.cur] + save.len[save.cur], j->buf, j->len);
	save.len[save.cur] += j->len;
}

void report_save_init(const struct options *o)
{
	save.enabled = o->save_efivar;
	if (save.enabled)
		json_set_sink(save_sink);
}

static void part_name(uint32_t p, char *name)
{
	if (p)
		ksnprintf(name, SAVE_NAME_MAX, SAVE_VAR_NAME "%u", p);
	else
		ksnprintf(name, SAVE_NAME_MAX, SAVE_VAR_NAME);
}

/* Header record + body of part p in save.out; returns its length. */
static size_t part_build(uint32_t p, uint32_t parts, uint64_t stamp)
{
	struct json j;
	size_t n;

	json_begin(&j, save.out, SAVE_HEADER_ROOM, "saved");
	json_u64(&j, "part", p);
	json_u64(&j, "parts", parts);
	json_hex(&j, "boot", stamp);
	json_u64(&j, "dropped", save.dropped);
	json_end(&j);
	n = j.len;
	memcpy(save.out + n, save.body[p], save.len[p]);
	return n + save.len[p];
}

int report_save_commit(const struct boot_info *bi)
{
	uint32_t parts = save.cur + 1, stored = 0;
	uint64_t stamp = rdtsc(), bytes = 0;
	char name[SAVE_NAME_MAX];

	if (!save.enabled)
		return 0;
	irq_disable();	/* runtime services are entered with our IDT live */
	for (uint32_t p = 0; p < parts; p++) {
		size_t len = part_build(p, parts, stamp);

		part_name(p, name);
		if (boot_efi_set_variable(bi->efi_runtime, name, save.out, len))
			break;
		stored++;
		bytes += len;
	}
	/* Leftovers of an earlier, longer boot (absent ones: EFI_NOT_FOUND). */
	for (uint32_t p = parts; p < SAVE_PARTS_MAX; p++) {
		part_name(p, name);
		boot_efi_set_variable(bi->efi_runtime, name, NULL, 0);
	}
	kprintf("numaboot: %s %llu bytes of results in %u of %u UEFI variable(s) "
		SAVE_VAR_NAME "[1-7]-4e554d41-424f-4f54-8d1e-4f5a2b3c1107 (%u records left out)\n",
		stored == parts ? "stored" : "FAILED to store all", (unsigned long long)bytes,
		stored, parts, save.dropped);
	return stored == parts ? 0 : -1;
}
