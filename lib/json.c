/*
 * Builder for one-line JSON records (see include/json.h).  Pure: linked
 * into host tools and tests as well as the kernel.
 */
#include "json.h"
#include "kprintf.h"

char report_json_buf[REPORT_JSON_MAX];

static void raw(struct json *j, const char *s, size_t n)
{
	if (j->overflow || j->len + n + 3 > j->size) {	/* room for "}\n\0" */
		j->overflow = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		j->buf[j->len++] = s[i];
}

static void raws(struct json *j, const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	raw(j, s, n);
}

static void quoted(struct json *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	raw(j, "\"", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			raw(j, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			raw(j, esc, 6);
		} else {
			raw(j, (const char *)&c, 1);
		}
	}
	raw(j, "\"", 1);
}

static void key(struct json *j, const char *k)
{
	if (j->need_comma)
		raw(j, ",", 1);
	j->need_comma = true;
	if (k) {
		quoted(j, k);
		raw(j, ":", 1);
	}
}

void json_begin(struct json *j, char *buf, size_t size, const char *kind)
{
	*j = (struct json){ .buf = buf, .size = size, .kind = kind };
	raw(j, "{", 1);
	json_str(j, "schema", JSON_SCHEMA);
	json_str(j, "kind", kind);
}

void json_u64(struct json *j, const char *k, uint64_t v)
{
	char num[24];

	key(j, k);
	raw(j, num, (size_t)ksnprintf(num, sizeof(num), "%llu", (unsigned long long)v));
}

void json_i64(struct json *j, const char *k, int64_t v)
{
	char num[24];

	key(j, k);
	raw(j, num, (size_t)ksnprintf(num, sizeof(num), "%lld", (long long)v));
}

void json_fixed(struct json *j, const char *k, int64_t v, unsigned decimals)
{
	uint64_t scale = 1, mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char num[48];

	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	key(j, k);
	if (!decimals) {
		raw(j, num, (size_t)ksnprintf(num, sizeof(num), "%lld", (long long)v));
		return;
	}
	raw(j, num, (size_t)ksnprintf(num, sizeof(num), "%s%llu.%0*llu", v < 0 ? "-" : "",
				     (unsigned long long)(mag / scale), (int)decimals,
				     (unsigned long long)(mag % scale)));
}

void json_str(struct json *j, const char *k, const char *s)
{
	key(j, k);
	quoted(j, s);
}

void json_bool(struct json *j, const char *k, bool v)
{
	key(j, k);
	raws(j, v ? "true" : "false");
}

void json_null(struct json *j, const char *k)
{
	key(j, k);
	raws(j, "null");
}

void json_hex(struct json *j, const char *k, uint64_t v)
{
	char num[24];

	ksnprintf(num, sizeof(num), "0x%llx", (unsigned long long)v);
	json_str(j, k, num);
}

void json_obj_begin(struct json *j, const char *k)
{
	key(j, k);
	raw(j, "{", 1);
	j->need_comma = false;
}

void json_obj_end(struct json *j)
{
	raw(j, "}", 1);
	j->need_comma = true;
}

void json_arr_begin(struct json *j, const char *k)
{
	key(j, k);
	raw(j, "[", 1);
	j->need_comma = false;
}

void json_arr_end(struct json *j)
{
	raw(j, "]", 1);
	j->need_comma = true;
}

const char *json_end(struct json *j)
{
	if (j->overflow) {
		const char *kind = j->kind;

		j->len = 0;
		j->overflow = false;
		j->need_comma = false;
		raw(j, "{", 1);
		json_str(j, "schema", JSON_SCHEMA);
		json_str(j, "kind", "error");
		json_str(j, "error", "json overflow");
		json_str(j, "of", kind);
	}
	j->buf[j->len++] = '}';
	j->buf[j->len++] = '\n';
	j->buf[j->len] = 0;
	return j->buf;
}

/* (B) set once by the boot CPU before any other CPU emits. */
static void (*json_sink)(const struct json *j);

static bool json_console = true;	/* (B) likewise */

void json_set_sink(void (*sink)(const struct json *j))
{
	json_sink = sink;
}

void json_set_console(bool on)
{
	json_console = on;
}

void json_emit(struct json *j)
{
	json_end(j);
	if (json_console)
		console_write(j->buf, j->len);
	if (json_sink)
		json_sink(j);
}
