# libFuzzer targets for the kernel's other parsers: options and the
# firmware memory map.
FUZZERS += fuzz_options fuzz_memmap
fuzz_options_SRCS := tests/fuzz/fuzz_options.c kernel/options.c mm/meminit_mode.c
fuzz_memmap_SRCS := tests/fuzz/fuzz_memmap.c lib/memmap.c
# PCI config space snapshots: BARs, capability list, virtio capabilities.
FUZZERS += fuzz_pcicfg
fuzz_pcicfg_SRCS := tests/fuzz/fuzz_pcicfg.c pci/config.c virtio/pci_caps.c
# The split virtqueue's used ring as a device may leave it.
FUZZERS += fuzz_virtq
fuzz_virtq_SRCS := tests/fuzz/fuzz_virtq.c virtio/virtqueue.c
# The hot-plug service's step logic against a fake virtio-mem device whose
# answers and configuration come from the input (tests/unit/fake_vmem.h).
FUZZERS += fuzz_hotplug
fuzz_hotplug_SRCS := tests/fuzz/fuzz_hotplug.c serve/hotplug_step.c virtio/mem_check.c \
	mm/request.c $(MM_CORE_SRCS)
$(BUILD)/fuzz/fuzz_hotplug: tests/unit/fake_vmem.h serve/internal.h mm/internal.h
