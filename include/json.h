/*
 * One-line JSON records: {"schema":"numaboot/1","kind":"...",...}\n
 *
 * The caller owns the buffer, so any CPU may build a record; json_emit()
 * writes the finished line to the console in one console_write() call
 * (unless json_set_console(false)) and hands it to the sink, if any.
 * A record that overflows its buffer is emitted as a valid
 * {"schema":...,"kind":"error","error":"json overflow","of":"<kind>"} line
 * instead of a truncated one, so consumers never see broken JSON.
 * Keys are trusted literals; string values are escaped.
 */
#ifndef NUMABOOT_JSON_H
#define NUMABOOT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_SCHEMA "numaboot/1"

struct json {
	char *buf;
	size_t size;
	size_t len;
	bool overflow;
	bool need_comma;
	const char *kind;
};

/* The boot CPU's scratch line buffer for its records (kernel reports, the
 * live service's events and checks).  Owner: the boot CPU only, one record
 * at a time (json_begin .. json_emit); other CPUs and other subsystems
 * (virtio-mem) use buffers of their own. */
#define REPORT_JSON_MAX	(64 * 1024)
extern char report_json_buf[REPORT_JSON_MAX];

void json_begin(struct json *j, char *buf, size_t size, const char *kind);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
/* Fixed-point: v / 10^decimals, e.g. json_fixed(j, "ratio", 1234, 3) -> 1.234 */
void json_fixed(struct json *j, const char *key, int64_t v, unsigned decimals);
void json_str(struct json *j, const char *key, const char *s);
void json_bool(struct json *j, const char *key, bool v);
void json_hex(struct json *j, const char *key, uint64_t v);	/* as a "0x..." string */
void json_null(struct json *j, const char *key);
/* Nested containers; key is NULL for an element inside an array. */
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
/* Finish the record; returns the line (NUL-terminated, with '\n'). */
const char *json_end(struct json *j);
/* json_end() and console_write() the line (and hand it to the sink). */
void json_emit(struct json *j);
/* Boot CPU, once: also pass every emitted line to sink (NULL: none). */
void json_set_sink(void (*sink)(const struct json *j));
/* Boot CPU, once (the json option): whether emitted lines go to the
 * console.  The sink sees every line either way, so what save_efivar
 * stores does not depend on it.  Default on. */
void json_set_console(bool on);

#endif
