/*
 * Host stand-in for the kernel console: console_write() appends to a
 * capture buffer (so tests can assert on messages) and echoes to stderr
 * unless HOST_CONSOLE_QUIET is set in the environment.
 */
#ifndef HOST_CONSOLE_H
#define HOST_CONSOLE_H

#include <stddef.h>

const char *host_console_captured(void);
void host_console_reset(void);
/* 1 when the captured output contains needle */
int host_console_contains(const char *needle);
/* how many times needle occurs in the captured output (not overlapping) */
unsigned host_console_count(const char *needle);

#endif
