/*
 * The memory-init modes (mm/meminit.c): which CPU runs which chunk.  Kept
 * apart from include/meminit.h so that the option parser, a pure host-tested
 * file, can name them without the memory model's headers.
 */
#ifndef NUMABOOT_MEMINIT_MODE_H
#define NUMABOOT_MEMINIT_MODE_H

enum meminit_mode {
	MEMINIT_SERIAL,		/* the boot CPU initializes every node */
	MEMINIT_HOP,		/* one node at a time, by a CPU of that node */
	MEMINIT_NODE,		/* one CPU per node, all nodes at once */
	MEMINIT_PARALLEL,	/* every CPU of each node, via cross-calls (default) */
	MEMINIT_DEFERRED,	/* a first part synchronously, the rest while allocating */
	MEMINIT_LAZY,		/* free blocks' heads only, then the rest in the background
				 * and on demand (lazy struct pages) */
	MEMINIT_ALL,		/* every mode in turn on the same memory */
	MEMINIT_NMODES
};

#define MEMINIT_MAX_ROUNDS	32	/* meminit_rounds: runs of each mode in one boot */
#define DEBUG_SLOW_PCT_MAX	400	/* debug_slow_pct: at most a 5x slowdown */

/* Indexed by enum meminit_mode; NULL-terminated, so it is also the option's
 * word list (mm/meminit_mode.c). */
extern const char *const meminit_mode_names[MEMINIT_NMODES + 1];

#endif
