# libFuzzer targets for the kernel's other parsers: options and the
# firmware memory map.
FUZZERS += fuzz_options fuzz_memmap
fuzz_options_SRCS := tests/fuzz/fuzz_options.c kernel/options.c mm/meminit_mode.c
fuzz_memmap_SRCS := tests/fuzz/fuzz_memmap.c lib/memmap.c
