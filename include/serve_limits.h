/* Limits of the live phase that options.c checks (include/hotplug.h). */
#ifndef NUMABOOT_SERVE_LIMITS_H
#define NUMABOOT_SERVE_LIMITS_H

#define SERVE_MAX_PINNED	64	/* debug_hot_pin: pages pinned in all */

#endif
