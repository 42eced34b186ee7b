# ACPI parsers and the NUMA node table: host unit tests on tables that iasl
# compiles from tests/data/<machine>/<sig>.dsl into build/data/<machine>/<sig>.aml.

ACPI_DSL := $(wildcard tests/data/*/*.dsl)
ACPI_AML := $(patsubst tests/data/%.dsl,$(BUILD)/data/%.aml,$(ACPI_DSL))
ACPI_SRCS := $(wildcard acpi/*.c)
NUMA_SRCS := $(wildcard numa/*.c)

$(BUILD)/data/%.aml: tests/data/%.dsl
	@mkdir -p $(dir $@)
	@iasl -p $(basename $@) $< >$(basename $@).log 2>&1 || { cat $(basename $@).log; exit 1; }

.PHONY: acpi-tables
acpi-tables: $(ACPI_AML)

UNIT_TESTS += test_acpi test_numa test_pmem test_mcfg
test_acpi_SRCS := tests/unit/test_acpi.c tests/unit/test_acpi_scan.c tests/unit/test_acpi_util.c \
	$(ACPI_SRCS)
test_numa_SRCS := tests/unit/test_numa.c tests/unit/test_acpi_util.c $(ACPI_SRCS) $(NUMA_SRCS)
test_pmem_SRCS := tests/unit/test_pmem.c tests/unit/test_acpi_util.c $(ACPI_SRCS) $(NUMA_SRCS)
test_mcfg_SRCS := tests/unit/test_mcfg.c tests/unit/test_acpi_util.c $(ACPI_SRCS)

# The tests read the compiled tables (path: argv[1], else build/data).
$(BUILD)/unit/test_acpi $(BUILD)/unit/test_numa $(BUILD)/unit/test_pmem $(BUILD)/unit/test_mcfg: $(ACPI_AML) acpi/internal.h numa/internal.h
