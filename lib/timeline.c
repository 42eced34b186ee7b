/*
 * The boot timeline (include/timeline.h): marks and per-CPU spans kept in a
 * struct timeline that kernel_main owns, and their "timeline" JSON record.
 * Pure: no hardware access (the TSC values come from the callers), so host
 * unit tests link it.
 */
#include <stddef.h>
#include <stdint.h>
#include "json.h"
#include "kstring.h"
#include "timeline.h"

void timeline_init(struct timeline *tl, const struct boot_info *bi, uint64_t now_tsc)
{
	if (!tl)
		return;
	memset(tl, 0, sizeof(*tl));
	if (bi && bi->magic == BOOT_INFO_MAGIC && bi->version == BOOT_INFO_VERSION &&
	    bi->efi_main_tsc) {
		tl->efi_main_tsc = bi->efi_main_tsc;
		timeline_mark_at(tl, "uefi_loader", NULL, bi->efi_main_tsc);
		if (bi->exit_bs_start_tsc)
			timeline_mark_at(tl, "exit_boot_services", NULL, bi->exit_bs_start_tsc);
	}
	timeline_mark_at(tl, "kernel_main", NULL, now_tsc);
}

void timeline_mark_at(struct timeline *tl, const char *phase, const char *sub, uint64_t tsc)
{
	if (!tl || tl->nmarks >= TIMELINE_MAX_MARKS)
		return;
	tl->marks[tl->nmarks++] = (struct timeline_mark){ phase, sub, tsc };
}

void timeline_span_cpu(struct timeline *tl, const char *phase, const char *sub, uint32_t cpu,
		       uint64_t start_tsc, uint64_t end_tsc)
{
	uint32_t slot;

	if (!tl)
		return;
	slot = __atomic_fetch_add(&tl->nspans, 1, __ATOMIC_RELAXED);
	if (slot < TIMELINE_MAX_SPANS)
		tl->spans[slot] = (struct timeline_span){ phase, sub, cpu, start_tsc, end_tsc };
}

static uint64_t tsc_us(uint64_t tsc, uint64_t hz)
{
	return hz ? (uint64_t)((unsigned __int128)tsc * 1000000u / hz) : 0;
}

static void phase_name(struct json *j, const char *phase, const char *sub)
{
	json_str(j, "phase", phase);
	if (sub)
		json_str(j, "sub", sub);
}

void timeline_emit(const struct timeline *tl, uint64_t end_tsc, uint64_t tsc_hz, char *buf, size_t size)
{
	uint32_t nspans;
	struct json j;

	if (!tl)
		return;
	nspans = __atomic_load_n(&tl->nspans, __ATOMIC_ACQUIRE);
	json_begin(&j, buf, size, "timeline");
	json_str(&j, "clock", "boot CPU TSC, microseconds since TSC 0");
	json_u64(&j, "tsc_hz", tsc_hz);
	json_arr_begin(&j, "phases");
	if (tl->efi_main_tsc) {		/* reset to efi_main: firmware (TSC 0 at reset) */
		json_obj_begin(&j, NULL);
		phase_name(&j, "firmware", NULL);
		json_u64(&j, "start_us", 0);
		json_u64(&j, "end_us", tsc_us(tl->efi_main_tsc, tsc_hz));
		json_obj_end(&j);
	}
	for (uint32_t i = 0; i < tl->nmarks; i++) {
		uint64_t end = i + 1 < tl->nmarks ? tl->marks[i + 1].tsc : end_tsc;

		json_obj_begin(&j, NULL);
		phase_name(&j, tl->marks[i].phase, tl->marks[i].sub);
		json_u64(&j, "start_us", tsc_us(tl->marks[i].tsc, tsc_hz));
		json_u64(&j, "end_us", tsc_us(end, tsc_hz));
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr_begin(&j, "spans");
	for (uint32_t i = 0; i < nspans && i < TIMELINE_MAX_SPANS; i++) {
		const struct timeline_span *s = &tl->spans[i];

		json_obj_begin(&j, NULL);
		phase_name(&j, s->phase, s->sub);
		json_u64(&j, "cpu", s->cpu);
		json_u64(&j, "start_us", tsc_us(s->start_tsc, tsc_hz));
		json_u64(&j, "end_us", tsc_us(s->end_tsc, tsc_hz));
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_u64(&j, "spans_dropped", nspans > TIMELINE_MAX_SPANS ? nspans - TIMELINE_MAX_SPANS : 0);
	json_emit(&j);
}
