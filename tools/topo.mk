# numaboot-topo: the topology numaboot would use, from a host's ACPI tables.
HOST_TOOLS += numaboot-topo
numaboot-topo_SRCS := tools/numaboot-topo.c $(wildcard acpi/*.c) $(wildcard numa/*.c)
$(BUILD)/numaboot-topo: acpi/internal.h numa/internal.h
