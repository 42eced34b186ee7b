/*
 * LAVA test signals (include/lava.h, docs/lava.md).  Printed with kprintf
 * on the console lines LAVA reads (serial), each on a line of its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include "kprintf.h"
#include "kstring.h"
#include "lava.h"

static void signal_fixed(const char *id, bool pass, uint64_t milli, const char *units)
{
	kprintf("\n<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=%s RESULT=%s MEASUREMENT=%llu.%03llu UNITS=%s>\n",
		id, pass ? "pass" : "fail", (unsigned long long)(milli / 1000),
		(unsigned long long)(milli % 1000), units);
}

static void lava_node(const struct meminit_results *res, const struct meminit_mode_result *r,
		      uint32_t nid)
{
	const struct meminit_node_result *nr = &r->node[nid];
	uint64_t memmap_bytes = nr->pages[MEMINIT_KIND_DRAM] * sizeof(struct page);
	int64_t frac = meminit_bw_fraction_milli(&res->bw, nid, r->mode, memmap_bytes, nr->ns);
	char id[64];

	ksnprintf(id, sizeof(id), "meminit_%s_node%u", meminit_mode_names[r->mode], nid);
	signal_fixed(id, nr->verified, nr->ns / 1000, "ms");
	if (frac < 0)
		return;
	ksnprintf(id, sizeof(id), "meminit_%s_node%u_bw", meminit_mode_names[r->mode], nid);
	signal_fixed(id, nr->verified, (uint64_t)frac, "fraction");
}

void lava_report_meminit(const struct options *o, const struct mm_state *mm,
			 const struct meminit_results *res)
{
	const struct meminit_mode_result *serial = &res->mode[MEMINIT_SERIAL];
	char id[64];

	if (!o->lava)
		return;
	for (uint32_t m = res->first; m <= res->last; m++) {
		const struct meminit_mode_result *r = &res->mode[m];
		bool pass = r->ok && r->sums_equal;

		for (uint32_t nid = 0; nid < mm->nnodes; nid++)
			if (mm->plan[nid].has_memory)
				lava_node(res, r, nid);
		ksnprintf(id, sizeof(id), "meminit_%s", meminit_mode_names[m]);
		signal_fixed(id, pass, r->ns / 1000, "ms");
		if (!serial->ran || !r->ns)
			continue;
		ksnprintf(id, sizeof(id), "meminit_%s_speedup", meminit_mode_names[m]);
		signal_fixed(id, pass, serial->ns * 1000 / r->ns, "x");
	}
}

void lava_verdict(const struct options *o, const char *status)
{
	if (!o->lava)
		return;
	kprintf("\n<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=numaboot_verdict RESULT=%s>\n",
		strcmp(status, "ok") ? "fail" : "pass");
}
