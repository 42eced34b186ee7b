# PCI configuration-space decoding and the virtio / virtio-mem checks: the
# pure halves of pci/ and virtio/, over byte arrays (docs/hotplug.md).
UNIT_TESTS += test_virtio
test_virtio_SRCS := tests/unit/test_virtio.c pci/config.c virtio/pci_caps.c virtio/mem_check.c
# The split virtqueue against a fake device (registers and rings in host
# memory, the device run from the test's now_ns()).
UNIT_TESTS += test_virtqueue
test_virtqueue_SRCS := tests/unit/test_virtqueue.c virtio/virtqueue.c
# The hot-plug service's step logic against a fake virtio-mem device, over
# the real memory model and init requests (tests/unit/fake_vmem.h).
UNIT_TESTS += test_hotplug_service
test_hotplug_service_SRCS := tests/unit/test_hotplug_service.c serve/hotplug_step.c \
	virtio/mem_check.c mm/request.c $(MM_CORE_SRCS)
test_hotplug_service_CFLAGS := -pthread
$(BUILD)/unit/test_hotplug_service: tests/unit/fake_vmem.h serve/internal.h mm/internal.h
# virtio/mem.c, the kernel side, over a fake transport (the register-level
# functions of include/virtio.h are the test's): the configuration re-read
# while the service polls.
UNIT_TESTS += test_virtio_mem
test_virtio_mem_SRCS := tests/unit/test_virtio_mem.c virtio/mem.c virtio/mem_check.c \
	virtio/pci_caps.c pci/config.c
