# Host unit tests of pure kernel/ and lib/ code.
UNIT_TESTS += test_options test_lib
test_options_SRCS := tests/unit/test_options.c kernel/options.c mm/meminit_mode.c
test_lib_SRCS := tests/unit/test_lib.c
UNIT_TESTS += test_efimap
test_efimap_SRCS := tests/unit/test_efimap.c lib/memmap.c
UNIT_TESTS += test_timeline
test_timeline_SRCS := tests/unit/test_timeline.c lib/timeline.c
