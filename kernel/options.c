/*
 * Option parsing.  Pure (no hardware access); host unit tests link it.
 * One table describes every option: its name, kind, where it lives in
 * struct options, its range or its allowed words.
 */
#include <stddef.h>
#include <stdint.h>
#include "kprintf.h"
#include "kstring.h"
#include "options.h"
#include "serve_limits.h"
#include "smp.h"

enum opt_kind { OPT_WORD, OPT_U64, OPT_BOOL };

struct opt_desc {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	const char *const *words;	/* OPT_WORD: NULL-terminated */
	uint64_t min, max;		/* OPT_U64 */
};

static const char *const fault_words[] = { "none", "pf", "ud", "gp", "de", NULL };
static const char *const fault_cpu_words[] = { "bsp", "ap", NULL };
static const char *const exit_words[] = { "auto", "reset", "halt", NULL };
static const char *const pmem_memmap_words[] = { "dram", "device", NULL };
static const char *const pmem_compound_words[] = { "4k", "2m", "1g", NULL };
static const char *const hot_memmap_words[] = { "dram", "memory", NULL };
static const char *const hot_lazy_words[] = { "auto", "on", "off", NULL };
/* debug_repeat_mode: "all", then enum meminit_mode order (serial = 1 ...) */
static const char *const repeat_mode_words[] = { "all", "serial", "hop", "node", "parallel", "deferred", "lazy", NULL };
_Static_assert(sizeof(repeat_mode_words) / sizeof(repeat_mode_words[0]) == MEMINIT_ALL + 2,
	       "debug_repeat_mode: a word per mode, \"all\" and the NULL");

#define OFF(f) offsetof(struct options, f)
static const struct opt_desc opt_table[] = {
	{ "meminit", OPT_WORD, OFF(meminit), meminit_mode_names, 0, 0 },
	{ "fault", OPT_WORD, OFF(fault), fault_words, 0, 0 },
	{ "fault_cpu", OPT_WORD, OFF(fault_cpu), fault_cpu_words, 0, 0 },
	{ "ap_timeout_ms", OPT_U64, OFF(ap_timeout_ms), NULL, 1, 60000 },
	{ "call_timeout_ms", OPT_U64, OFF(call_timeout_ms), NULL, 1, 600000 },
	{ "smp_stress", OPT_U64, OFF(smp_stress), NULL, 0, 1000000 },
	{ "max_cpus", OPT_U64, OFF(max_cpus), NULL, 0, 65536 },
	{ "deferred_sync_mb", OPT_U64, OFF(deferred_sync_mb), NULL, 0, 1ULL << 30 },
	{ "bw_mb", OPT_U64, OFF(bw_mb), NULL, 0, 1ULL << 20 },
	{ "ignore_apic", OPT_U64, OFF(ignore_apic), NULL, 0, ~0ULL },
	{ "json", OPT_BOOL, OFF(json), NULL, 0, 0 },
	{ "warmup", OPT_BOOL, OFF(warmup), NULL, 0, 0 },
	{ "save_efivar", OPT_BOOL, OFF(save_efivar), NULL, 0, 0 },
	{ "x2apic", OPT_BOOL, OFF(x2apic), NULL, 0, 0 },
	{ "exit", OPT_WORD, OFF(exit_how), exit_words, 0, 0 },
	{ "exit_delay_s", OPT_U64, OFF(exit_delay_s), NULL, 0, 3600 },
	{ "pmem_memmap", OPT_WORD, OFF(pmem_memmap), pmem_memmap_words, 0, 0 },
	{ "pmem_compound", OPT_WORD, OFF(pmem_compound), pmem_compound_words, 0, 0 },
	{ "debug_init_repeat", OPT_U64, OFF(debug_init_repeat), NULL, 1, 64 },
	{ "debug_repeat_mode", OPT_WORD, OFF(debug_repeat_mode), repeat_mode_words, 0, 0 },
	{ "meminit_rounds", OPT_U64, OFF(meminit_rounds), NULL, 1, MEMINIT_MAX_ROUNDS },
	{ "debug_slow_pct", OPT_U64, OFF(debug_slow_pct), NULL, 0, DEBUG_SLOW_PCT_MAX },
	{ "lava", OPT_BOOL, OFF(lava), NULL, 0, 0 },
	{ "serve_s", OPT_U64, OFF(serve_s), NULL, 0, 3600 },
	{ "hot_memmap", OPT_WORD, OFF(hot_memmap), hot_memmap_words, 0, 0 },
	{ "hot_lazy", OPT_WORD, OFF(hot_lazy), hot_lazy_words, 0, 0 },
	{ "hot_cpus", OPT_U64, OFF(hot_cpus), NULL, 0, 4096 },
	{ "debug_hot_pin", OPT_U64, OFF(debug_hot_pin), NULL, 0, SERVE_MAX_PINNED },
	{ "debug_stuck_cpu", OPT_U64, OFF(debug_stuck_cpu), NULL, 0, SMP_MAX_CPUS - 1 },
};
#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

void options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));	/* padding too: options compare with memcmp */
	o->meminit = MEMINIT_PARALLEL;
	o->fault = FAULT_NONE;
	o->fault_cpu = FAULT_ON_BSP;
	o->ap_timeout_ms = 200;
	o->call_timeout_ms = 10000;
	o->deferred_sync_mb = 256;
	o->bw_mb = 64;
	o->ignore_apic = ~0ULL;
	o->json = true;
	o->warmup = true;
	o->x2apic = true;
	o->exit_how = EXIT_HOW_AUTO;
	o->exit_delay_s = 30;
	o->debug_init_repeat = 1;
	o->meminit_rounds = 1;
}

static int word_index(const char *const *words, const char *v, size_t n)
{
	for (int i = 0; words[i]; i++)
		if (strlen(words[i]) == n && !strncmp(words[i], v, n))
			return i;
	return -1;
}

static int set_value(struct options *o, const struct opt_desc *d, const char *v, size_t n)
{
	char *field = (char *)o + d->offset;
	unsigned long long u;
	int i;

	switch (d->kind) {
	case OPT_WORD:
		i = word_index(d->words, v, n);
		if (i < 0)
			return -1;
		*(uint32_t *)field = (uint32_t)i;
		return 0;
	case OPT_U64:
		if (kstrtou64(v, n, &u, 1) || u < d->min || u > d->max)
			return -1;
		*(uint64_t *)field = u;
		return 0;
	case OPT_BOOL:
		if ((n == 1 && v[0] == '1') || (n == 2 && !strncmp(v, "on", 2)))
			*(bool *)field = true;
		else if ((n == 1 && v[0] == '0') || (n == 3 && !strncmp(v, "off", 3)))
			*(bool *)field = false;
		else
			return -1;
		return 0;
	}
	return -1;
}

static void report_bad_value(const struct opt_desc *d, const char *v, size_t n)
{
	kprintf("options: bad value '%.*s' for %s; expected ", (int)n, v, d->name);
	if (d->kind == OPT_WORD) {
		for (int i = 0; d->words[i]; i++)
			kprintf("%s%s", i ? "|" : "", d->words[i]);
	} else if (d->kind == OPT_U64) {
		kprintf("a number in [%llu, %llu]", (unsigned long long)d->min,
			(unsigned long long)d->max);
	} else {
		kprintf("on|off|1|0");
	}
	kprintf("\n");
}

static int parse_word(struct options *o, const char *w, size_t n)
{
	const char *eq = NULL;
	size_t klen;

	for (size_t i = 0; i < n; i++)
		if (w[i] == '=') {
			eq = w + i;
			break;
		}
	if (!eq || eq == w) {
		kprintf("options: malformed word '%.*s'; expected name=value\n", (int)n, w);
		return 1;
	}
	klen = (size_t)(eq - w);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt_desc *d = &opt_table[i];

		if (strlen(d->name) != klen || strncmp(d->name, w, klen))
			continue;
		if (set_value(o, d, eq + 1, n - klen - 1)) {
			report_bad_value(d, eq + 1, n - klen - 1);
			return 1;
		}
		return 0;
	}
	kprintf("options: unknown option '%.*s'\n", (int)klen, w);
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int options_parse(struct options *o, const char *text, size_t len)
{
	int errors = 0;
	size_t i = 0;

	while (i < len && text[i]) {
		size_t start;

		if (is_space(text[i])) {
			i++;
			continue;
		}
		if (text[i] == '#') {
			while (i < len && text[i] && text[i] != '\n')
				i++;
			continue;
		}
		start = i;
		while (i < len && text[i] && !is_space(text[i]))
			i++;
		errors += parse_word(o, text + start, i - start);
	}
	return errors;
}

void options_format(const struct options *o, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < NOPTS && len < size; i++) {
		const struct opt_desc *d = &opt_table[i];
		const char *field = (const char *)o + d->offset;
		const char *sep = i ? " " : "";

		if (d->kind == OPT_WORD)
			len += (size_t)ksnprintf(buf + len, size - len, "%s%s=%s", sep, d->name,
						 d->words[*(const uint32_t *)field]);
		else if (d->kind == OPT_U64)
			len += (size_t)ksnprintf(buf + len, size - len, "%s%s=%llu", sep, d->name,
						 (unsigned long long)*(const uint64_t *)field);
		else
			len += (size_t)ksnprintf(buf + len, size - len, "%s%s=%s", sep, d->name,
						 *(const bool *)field ? "on" : "off");
	}
}
