# Host unit tests of mm/: range initializer, device pages, hot-pluggable memory,
# buddy allocator, memblock.
MM_CORE_SRCS := mm/lookup.c mm/memmap_init.c mm/splice.c mm/lazy.c mm/memmap_device.c mm/hot_region.c mm/hot_offline.c \
	mm/buddy.c mm/verify.c mm/checksum.c mm/account.c mm/memblock.c

UNIT_TESTS += test_memmap test_buddy test_memblock test_device
test_memmap_SRCS := tests/unit/test_memmap.c $(MM_CORE_SRCS)
test_memmap_CFLAGS := -pthread
test_buddy_SRCS := tests/unit/test_buddy.c $(MM_CORE_SRCS)
test_buddy_CFLAGS := -pthread
test_memblock_SRCS := tests/unit/test_memblock.c $(MM_CORE_SRCS)
test_device_SRCS := tests/unit/test_device.c $(MM_CORE_SRCS)
test_device_CFLAGS := -pthread

# test_buddy.c includes the fake machine from test_memmap.c.
$(BUILD)/unit/test_buddy: tests/unit/test_memmap.c mm/internal.h
$(BUILD)/unit/test_memmap $(BUILD)/unit/test_memblock $(BUILD)/unit/test_device: mm/internal.h

UNIT_TESTS += test_hotplug
test_hotplug_SRCS := tests/unit/test_hotplug.c $(MM_CORE_SRCS)
test_hotplug_CFLAGS := -pthread
$(BUILD)/unit/test_hotplug: tests/unit/hot_fixture.h mm/internal.h
UNIT_TESTS += test_hotplug_offline
test_hotplug_offline_SRCS := tests/unit/test_hotplug_offline.c $(MM_CORE_SRCS)
test_hotplug_offline_CFLAGS := -pthread
$(BUILD)/unit/test_hotplug_offline: tests/unit/hot_fixture.h mm/internal.h

# Lazy struct pages (mm/lazy.c): parts of the initializer, on-demand
# completion, drain threads racing allocators (also under TSan: tsan.mk).
UNIT_TESTS += test_lazy
test_lazy_SRCS := tests/unit/test_lazy.c $(MM_CORE_SRCS)
test_lazy_CFLAGS := -pthread
$(BUILD)/unit/test_lazy: tests/unit/test_memmap.c mm/internal.h
UNIT_TESTS += test_hot_lazy
test_hot_lazy_SRCS := tests/unit/test_hot_lazy.c $(MM_CORE_SRCS)
test_hot_lazy_CFLAGS := -pthread
$(BUILD)/unit/test_hot_lazy: tests/unit/hot_fixture.h mm/internal.h
