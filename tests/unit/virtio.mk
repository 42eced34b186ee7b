# PCI configuration-space decoding and the virtio / virtio-mem checks: the
# pure halves of pci/ and virtio/, over byte arrays (docs/hotplug.md).
UNIT_TESTS += test_virtio
test_virtio_SRCS := tests/unit/test_virtio.c pci/config.c virtio/pci_caps.c virtio/mem_check.c
