/* libFuzzer: options_parse() on arbitrary text; a parse that reports no
 * error must survive options_format() -> options_parse() unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct options a, b;
	char text[1024];

	options_defaults(&a);
	if (options_parse(&a, (const char *)data, size))
		return 0;
	options_format(&a, text, sizeof(text));
	options_defaults(&b);
	if (options_parse(&b, text, strlen(text)) || memcmp(&a, &b, sizeof(a)))
		abort();
	return 0;
}
