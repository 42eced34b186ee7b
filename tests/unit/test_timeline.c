/* lib/timeline.c: marks, per-CPU spans, the "timeline" record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "host_console.h"
#include "json.h"
#include "timeline.h"

static char buf[64 * 1024];
static struct timeline tl;

static struct boot_info boot_with_tsc(void)
{
	struct boot_info bi;

	memset(&bi, 0, sizeof(bi));
	bi.magic = BOOT_INFO_MAGIC;
	bi.version = BOOT_INFO_VERSION;
	bi.efi_main_tsc = 5000000;		/* 5 s at 1 MHz */
	bi.exit_bs_start_tsc = 5100000;
	return bi;
}

static void test_phases_end_where_the_next_starts(void **state)
{
	struct boot_info bi = boot_with_tsc();

	(void)state;
	timeline_init(&tl, &bi, 5200000);
	timeline_mark_at(&tl, "acpi", NULL, 5300000);
	timeline_mark_at(&tl, "meminit", "parallel", 5400000);
	timeline_emit(&tl, 5500000, 1000000, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"kind\":\"timeline\""));
	assert_non_null(strstr(buf, "{\"phase\":\"firmware\",\"start_us\":0,\"end_us\":5000000}"));
	assert_non_null(strstr(buf, "{\"phase\":\"uefi_loader\",\"start_us\":5000000,\"end_us\":5100000}"));
	assert_non_null(strstr(buf, "{\"phase\":\"exit_boot_services\",\"start_us\":5100000,\"end_us\":5200000}"));
	assert_non_null(strstr(buf, "{\"phase\":\"kernel_main\",\"start_us\":5200000,\"end_us\":5300000}"));
	assert_non_null(strstr(buf, "{\"phase\":\"meminit\",\"sub\":\"parallel\",\"start_us\":5400000,"
			       "\"end_us\":5500000}"));
	assert_non_null(strstr(buf, "\"spans\":[]"));
}

static void test_spans_and_overflow(void **state)
{
	(void)state;
	timeline_init(&tl, NULL, 100);		/* no boot_info: kernel_main only */
	for (uint32_t i = 0; i < TIMELINE_MAX_SPANS + 3; i++)
		timeline_span_cpu(&tl, "meminit", "serial", i % 4, 1000, 3000);
	timeline_emit(&tl, 4000, 1000000, buf, sizeof(buf));
	assert_null(strstr(buf, "firmware"));
	assert_non_null(strstr(buf, "{\"phase\":\"meminit\",\"sub\":\"serial\",\"cpu\":3,\"start_us\":1000,"
			       "\"end_us\":3000}"));
	assert_non_null(strstr(buf, "\"spans_dropped\":3"));
}

static void test_marks_beyond_capacity_and_null_are_ignored(void **state)
{
	(void)state;
	timeline_init(&tl, NULL, 0);
	for (uint32_t i = 0; i < TIMELINE_MAX_MARKS + 10; i++)
		timeline_mark_at(&tl, "x", NULL, i);
	assert_int_equal(tl.nmarks, TIMELINE_MAX_MARKS);
	timeline_mark_at(NULL, "x", NULL, 1);
	timeline_span_cpu(NULL, "x", NULL, 0, 1, 2);
	timeline_emit(NULL, 0, 1, buf, sizeof(buf));
}

static void test_bad_boot_info_is_not_trusted(void **state)
{
	struct boot_info bi = boot_with_tsc();

	(void)state;
	bi.version = BOOT_INFO_VERSION + 1;
	timeline_init(&tl, &bi, 7);
	assert_int_equal(tl.nmarks, 1);
	assert_string_equal(tl.marks[0].phase, "kernel_main");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phases_end_where_the_next_starts),
		cmocka_unit_test(test_spans_and_overflow),
		cmocka_unit_test(test_marks_beyond_capacity_and_null_are_ignored),
		cmocka_unit_test(test_bad_boot_info_is_not_trusted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
