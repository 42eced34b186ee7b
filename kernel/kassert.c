/*
 * kassert_fail(): a broken precondition ends the boot, on any CPU, with a
 * message naming the function and the panic exit code (docs/output.md).
 */
#include <stdint.h>
#include "exit.h"
#include "json.h"
#include "kassert.h"
#include "kprintf.h"
#include "smp.h"

void kassert_fail(const char *func, const char *cond, const char *file, int line)
{
	char buf[512];
	struct json j;

	kprintf("kassert: %s: assertion \"%s\" failed (%s:%d) on cpu %u\n", func, cond, file,
		line, smp_this_cpu());
	json_begin(&j, buf, sizeof(buf), "panic");
	json_str(&j, "reason", "kassert");
	json_str(&j, "function", func);
	json_str(&j, "condition", cond);
	json_u64(&j, "cpu", smp_this_cpu());
	json_emit(&j);
	arch_exit(EXIT_PANIC);
}
