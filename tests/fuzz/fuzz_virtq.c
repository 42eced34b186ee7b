/* libFuzzer: a device writing whatever it likes into the used ring of a
 * split virtqueue (virtio/virtqueue.c's pure steps).  The input picks the
 * device's queue size, the starting ring indices (so 16-bit wraps are
 * reached), and per request the used index and entry the device leaves.
 * Checked: the size picked is a power of two within VIRTQ_SIZE (or 0);
 * a reaped request never claims more bytes than the response buffer, moves
 * last_used by exactly one and never past what was made available; a
 * refusal leaves last_used alone. */
#include <stdlib.h>
#include <string.h>
#include "virtio.h"
#include "../../virtio/internal.h"

#include "fuzz_quiet.inc"

/* virtio/virtqueue.c's virtq_request() waits on the clock; never called here. */
uint64_t now_ns(void)
{
	return 0;
}

static uint16_t take16(const uint8_t **d, size_t *n)
{
	uint16_t v = 0;

	if (*n >= 2) {
		v = (uint16_t)((*d)[0] | (*d)[1] << 8);
		*d += 2;
		*n -= 2;
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_mem mem;
	struct virtq q;
	uint16_t qsize = virtq_pick_size(take16(&data, &size)), start = take16(&data, &size);

	if (qsize && ((qsize & (qsize - 1)) || qsize > VIRTQ_SIZE || qsize < 2))
		__builtin_trap();
	if (!qsize)
		return 0;
	virtq_ring_init(&q, 0, qsize, &mem);
	q.next_avail = q.last_used = start;
	while (size >= 10) {
		struct virtq_used *u = virtq_used_of(&q);
		uint16_t head = virtq_post(&q, 0x1000, 24, 0x2000, 10), before = q.last_used;
		uint16_t idx = take16(&data, &size), slot = take16(&data, &size) % qsize;
		uint32_t id = take16(&data, &size), len = take16(&data, &size);
		uint32_t written = UINT32_MAX;
		const char *why = NULL;
		int r;

		take16(&data, &size);
		u->idx = idx;
		u->ring[slot] = (struct virtq_used_elem){ .id = id, .len = len };
		r = virtq_reap(&q, head, 10, &written, &why);
		if (r == 0 && (written > 10 || q.last_used != (uint16_t)(before + 1) ||
			       (uint16_t)(q.next_avail - q.last_used) > qsize))
			__builtin_trap();
		if (r != 0 && q.last_used != before)
			__builtin_trap();
		if (r < 0 && !why)
			__builtin_trap();
		if (r < 0)
			break;
		if (r == 1)	/* not returned: the device must not be left behind */
			q.last_used = q.next_avail;
	}
	return 0;
}
