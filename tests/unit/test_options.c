/* kernel/options.c: defaults, parsing, comments, precedence, rejection by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "host_console.h"
#include "options.h"

static int parse(struct options *o, const char *s)
{
	host_console_reset();
	return options_parse(o, s, strlen(s));
}

static void test_defaults(void **state)
{
	struct options o;

	(void)state;
	options_defaults(&o);
	assert_int_equal(o.meminit, MEMINIT_PARALLEL);
	assert_int_equal(o.fault, FAULT_NONE);
	assert_true(o.json);
	assert_int_equal(parse(&o, ""), 0);
	assert_int_equal(parse(&o, "  \n\t # only a comment\n"), 0);
	assert_int_equal(o.meminit, MEMINIT_PARALLEL);
}

static void test_values_and_later_words_win(void **state)
{
	struct options o;

	(void)state;
	options_defaults(&o);
	assert_int_equal(parse(&o, "meminit=serial # cfg file\nmeminit=all ap_timeout_ms=0x20 "
				   "bw_mb=2K json=off fault=ud fault_cpu=ap"), 0);
	assert_int_equal(o.meminit, MEMINIT_ALL);
	assert_int_equal(o.ap_timeout_ms, 32);
	assert_int_equal(o.bw_mb, 2048);
	assert_false(o.json);
	assert_int_equal(o.fault, FAULT_UD);
	assert_int_equal(o.fault_cpu, FAULT_ON_AP);
	assert_int_equal(o.serve_s, 0);
	assert_int_equal(parse(&o, "serve_s=12 hot_memmap=memory"), 0);
	assert_int_equal(o.serve_s, 12);
	assert_int_equal(o.hot_memmap, HOT_MEMMAP_MEMORY);
	assert_int_equal(parse(&o, "serve_s=3601 hot_memmap=device"), 2);
	assert_true(host_console_contains("dram|memory"));
	assert_int_equal(o.serve_s, 12);
	assert_int_equal(o.hot_lazy, HOT_LAZY_AUTO);	/* the default: follows meminit */
	assert_int_equal(parse(&o, "meminit=lazy hot_lazy=off"), 0);
	assert_int_equal(o.meminit, MEMINIT_LAZY);
	assert_int_equal(o.hot_lazy, HOT_LAZY_OFF);
	assert_int_equal(parse(&o, "hot_lazy=yes"), 1);
	assert_true(host_console_contains("auto|on|off"));
}

static void test_rejects_by_name(void **state)
{
	struct options o;

	(void)state;
	options_defaults(&o);
	assert_int_equal(parse(&o, "bogus=1"), 1);
	assert_true(host_console_contains("unknown option 'bogus'"));
	assert_int_equal(parse(&o, "meminit=fast"), 1);
	assert_true(host_console_contains("bad value 'fast' for meminit"));
	assert_true(host_console_contains("serial|hop|node|parallel|deferred|lazy|all"));
	assert_int_equal(parse(&o, "ap_timeout_ms=0 call_timeout_ms=12x noequals =5"), 4);
	assert_true(host_console_contains("ap_timeout_ms"));
	assert_true(host_console_contains("malformed word 'noequals'"));
	assert_true(host_console_contains("malformed word '=5'"));
	assert_int_equal(parse(&o, "max_cpus=99999999999999999999999"), 1);
	/* A rejected word leaves the earlier value alone. */
	assert_int_equal(o.meminit, MEMINIT_PARALLEL);
	assert_int_equal(o.ap_timeout_ms, 200);
}

static void test_format_round_trips(void **state)
{
	struct options a, b;
	char buf[1024];

	(void)state;
	options_defaults(&a);
	assert_int_equal(parse(&a, "meminit=hop smp_stress=7 x2apic=off exit=halt"), 0);
	options_format(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, "meminit=hop"));
	options_defaults(&b);
	assert_int_equal(parse(&b, buf), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

/* debug_repeat_mode's words follow enum meminit_mode after "all" (kernel/main.c
 * takes meminit_mode_names[value - 1]). */
static void test_repeat_mode_words_follow_the_modes(void **state)
{
	struct options o;
	char word[64];

	(void)state;
	options_defaults(&o);
	assert_int_equal(o.debug_repeat_mode, 0);
	for (int m = 0; m < MEMINIT_ALL; m++) {
		snprintf(word, sizeof(word), "debug_repeat_mode=%s", meminit_mode_names[m]);
		assert_int_equal(parse(&o, word), 0);
		assert_int_equal(o.debug_repeat_mode, m + 1);
	}
	assert_int_equal(parse(&o, "debug_repeat_mode=all"), 0);
	assert_int_equal(o.debug_repeat_mode, 0);
	assert_int_equal(parse(&o, "debug_repeat_mode=warmup"), 1);
}

/* meminit_rounds: 1 by default (one run per mode, as before it existed),
 * 1..MEMINIT_MAX_ROUNDS; debug_slow_pct: 0 (off) .. DEBUG_SLOW_PCT_MAX. */
static void test_rounds_and_slow_pct(void **state)
{
	struct options o;

	(void)state;
	options_defaults(&o);
	assert_int_equal(o.meminit_rounds, 1);
	assert_int_equal(o.debug_slow_pct, 0);
	assert_int_equal(parse(&o, "meminit_rounds=7 debug_slow_pct=30"), 0);
	assert_int_equal(o.meminit_rounds, 7);
	assert_int_equal(o.debug_slow_pct, 30);
	assert_int_equal(parse(&o, "meminit_rounds=0"), 1);
	assert_true(host_console_contains("bad value '0' for meminit_rounds"));
	assert_int_equal(parse(&o, "meminit_rounds=33 debug_slow_pct=401"), 2);
	assert_int_equal(parse(&o, "meminit_rounds=32 debug_slow_pct=400"), 0);
	assert_int_equal(o.meminit_rounds, MEMINIT_MAX_ROUNDS);
	assert_int_equal(o.debug_slow_pct, DEBUG_SLOW_PCT_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_and_later_words_win),
		cmocka_unit_test(test_rejects_by_name),
		cmocka_unit_test(test_format_round_trips),
		cmocka_unit_test(test_repeat_mode_words_follow_the_modes),
		cmocka_unit_test(test_rounds_and_slow_pct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
