# numaboot-hostbench: the kernel's chunk worker (mm/request.c), range initializer,
# splice, buddy lists and verifier timed natively against the host's store
# bandwidth (make hostbench).  tools/hostbench_host.c: the kernel's console and
# kassert; tests/unit/host_smp.c (shared with the pthread unit tests): the
# per-thread CPU id and the clock.
# NUMABOOT_HOST_KERNEL_STORES: the kernel's movnti fill loop, not the host
# tests' plain one; -mgeneral-regs-only: the mm code compiled as the kernel's.
HOST_TOOLS += numaboot-hostbench
numaboot-hostbench_SRCS := tools/hostbench.c tools/hostbench_node.c tools/hostbench_run.c \
	tools/hostbench_host.c tests/unit/host_smp.c mm/request.c lib/timeline.c mm/lookup.c mm/memmap_init.c mm/splice.c mm/lazy.c mm/memmap_device.c mm/hot_region.c \
	mm/hot_offline.c mm/buddy.c mm/verify.c mm/checksum.c mm/account.c mm/memblock.c
numaboot-hostbench_CFLAGS := -DNUMABOOT_HOST_KERNEL_STORES -mgeneral-regs-only -pthread
$(BUILD)/numaboot-hostbench: tools/hostbench.h tests/unit/host_smp.h mm/internal.h
