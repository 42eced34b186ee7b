# Host unit tests of per-pfn node ownership (mm/memmap_owner.c and the
# owned lists the initializer, buddy allocator and verifier follow).
UNIT_TESTS += test_owner
test_owner_SRCS := tests/unit/test_owner.c $(MM_CORE_SRCS) mm/memmap_owner.c
test_owner_CFLAGS := -pthread
$(BUILD)/unit/test_owner: mm/internal.h
