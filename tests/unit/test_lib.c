/* lib/printf.c, lib/json.c, lib/strtou.c against their contracts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "json.h"
#include "kprintf.h"
#include "kstring.h"

static void check(const char *expect, const char *fmt, ...)
{
	char mine[256], libc[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(mine, sizeof(mine), fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(libc, sizeof(libc), fmt, ap);
	va_end(ap);
	assert_string_equal(mine, expect);
	assert_string_equal(mine, libc);
	assert_int_equal(n, (int)strlen(expect));
}

static void test_printf_matches_libc(void **state)
{
	(void)state;
	check("42 -7 ff FF 17", "%d %i %x %X %o", 42, -7, 255, 255, 15);
	check("[  abc] [abc  ] [ab]", "[%5s] [%-5s] [%.2s]", "abc", "abc", "abcdef");
	check("0042 -042   +5 0x1f", "%04d %04d %+4d %#x", 42, -42, 5, 31);
	check("18446744073709551615 -9223372036854775808", "%llu %lld", 18446744073709551615ULL,
	      (long long)INT64_MIN);
	check("000000000000abcd|7  |", "%016llx|%-3zu|", 0xabcdULL, (size_t)7);
	check("x 100% c", "x %d%% %c", 100, 'c');
	check("  ff", "%*x", 4, 255);
}

static void test_printf_truncates_safely(void **state)
{
	char buf[5];

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%s", "abcdefgh"), 8);
	assert_string_equal(buf, "abcd");
	assert_int_equal(ksnprintf(NULL, 0, "%d", 12345), 5);
}

static void test_json_records(void **state)
{
	char buf[256];
	struct json j;

	(void)state;
	json_begin(&j, buf, sizeof(buf), "t");
	json_u64(&j, "n", 18446744073709551615ULL);
	json_i64(&j, "i", -3);
	json_fixed(&j, "f", 12345, 3);
	json_fixed(&j, "g", -5, 2);
	json_str(&j, "s", "a\"b\\c\n");
	json_arr_begin(&j, "a");
	json_u64(&j, NULL, 1);
	json_obj_begin(&j, NULL);
	json_bool(&j, "b", true);
	json_obj_end(&j);
	json_arr_end(&j);
	json_hex(&j, "h", 0xabc);
	json_null(&j, "z");
	assert_string_equal(json_end(&j),
			    "{\"schema\":\"numaboot/1\",\"kind\":\"t\",\"n\":18446744073709551615,"
			    "\"i\":-3,\"f\":12.345,\"g\":-0.05,\"s\":\"a\\\"b\\\\c\\u000a\","
			    "\"a\":[1,{\"b\":true}],\"h\":\"0xabc\",\"z\":null}\n");
}

static void test_json_overflow_is_still_json(void **state)
{
	char buf[120];
	struct json j;

	(void)state;
	json_begin(&j, buf, sizeof(buf), "big");
	for (int i = 0; i < 50; i++)
		json_u64(&j, "key", 123456789);
	assert_string_equal(json_end(&j), "{\"schema\":\"numaboot/1\",\"kind\":\"error\","
					  "\"error\":\"json overflow\",\"of\":\"big\"}\n");
}

static char sunk[256];

static void sink(const struct json *j)
{
	snprintf(sunk, sizeof(sunk), "%s|%.*s", j->kind, (int)j->len, j->buf);
}

static void test_json_sink_sees_every_emitted_line(void **state)
{
	char buf[128];
	struct json j;

	(void)state;
	json_set_sink(sink);
	json_begin(&j, buf, sizeof(buf), "k");
	json_u64(&j, "v", 7);
	json_emit(&j);
	json_set_sink(NULL);
	assert_string_equal(sunk, "k|{\"schema\":\"numaboot/1\",\"kind\":\"k\",\"v\":7}\n");
	sunk[0] = 0;
	json_begin(&j, buf, sizeof(buf), "k");
	json_emit(&j);
	assert_string_equal(sunk, "");
}

static void test_strtou(void **state)
{
	unsigned long long v;

	(void)state;
	assert_int_equal(kstrtou64("123", 3, &v, 0), 0);
	assert_int_equal(v, 123);
	assert_int_equal(kstrtou64("0x1F", 4, &v, 0), 0);
	assert_int_equal(v, 31);
	assert_int_equal(kstrtou64("4G", 2, &v, 1), 0);
	assert_int_equal(v, 4ULL << 30);
	assert_int_equal(kstrtou64("4G", 2, &v, 0), -1);
	assert_int_equal(kstrtou64("", 0, &v, 0), -1);
	assert_int_equal(kstrtou64("0x", 2, &v, 0), -1);
	assert_int_equal(kstrtou64("18446744073709551616", 20, &v, 0), -1);
	assert_int_equal(kstrtou64("17179869184G", 12, &v, 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printf_matches_libc),
		cmocka_unit_test(test_printf_truncates_safely),
		cmocka_unit_test(test_json_records),
		cmocka_unit_test(test_json_overflow_is_still_json),
		cmocka_unit_test(test_json_sink_sees_every_emitted_line),
		cmocka_unit_test(test_strtou),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
