#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host_console.h"
#include "kassert.h"
#include "kprintf.h"

static char captured[1 << 20];
static size_t captured_len;

void console_write(const char *s, size_t len)
{
	static int quiet = -1;

	if (quiet < 0)
		quiet = getenv("HOST_CONSOLE_QUIET") != NULL;
	if (!quiet)
		fwrite(s, 1, len, stderr);
	if (captured_len + len >= sizeof(captured))
		captured_len = 0;	/* a test that logs 1 MiB cares about the tail */
	memcpy(captured + captured_len, s, len);
	captured_len += len;
	captured[captured_len] = 0;
}

const char *host_console_captured(void)
{
	return captured;
}

void host_console_reset(void)
{
	captured_len = 0;
	captured[0] = 0;
}

int host_console_contains(const char *needle)
{
	return strstr(captured, needle) != NULL;
}

unsigned host_console_count(const char *needle)
{
	size_t len = strlen(needle);
	unsigned n = 0;

	if (!len)
		return 0;
	for (const char *p = strstr(captured, needle); p; p = strstr(p + len, needle))
		n++;
	return n;
}

/* kassert() in host builds: say which precondition broke, then abort so
 * the test (or fuzzer) fails right there. */
void kassert_fail(const char *func, const char *cond, const char *file, int line)
{
	fprintf(stderr, "kassert: %s: assertion \"%s\" failed (%s:%d)\n", func, cond, file, line);
	abort();
}
