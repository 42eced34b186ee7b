/*
 * kassert(cond): a precondition or invariant that must hold.  When it does
 * not, kassert_fail() names the function, the condition and the CPU, emits a
 * "panic" JSON record (reason "kassert") and ends the boot with EXIT_PANIC
 * (kernel/kassert.c); host builds abort (tests/unit/host_console.c).
 * Cheap enough to stay on in every build: use it at API entry, not in the
 * per-page loops.
 */
#ifndef NUMABOOT_KASSERT_H
#define NUMABOOT_KASSERT_H

__attribute__((noreturn)) void kassert_fail(const char *func, const char *cond,
					    const char *file, int line);

#define kassert(cond)								\
	do {									\
		if (!(cond))							\
			kassert_fail(__func__, #cond, __FILE__, __LINE__);	\
	} while (0)

#endif
