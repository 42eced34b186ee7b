/* The names of enum meminit_mode (include/meminit_mode.h). */
#include <stddef.h>
#include "meminit_mode.h"

const char *const meminit_mode_names[MEMINIT_NMODES + 1] = {
	"serial", "hop", "node", "parallel", "deferred", "lazy", "all", NULL,
};
