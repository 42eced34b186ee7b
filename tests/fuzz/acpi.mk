# libFuzzer targets for the ACPI parsers and the NUMA node table.  Seeds are
# the iasl-compiled tables of tests/data (ACPI_AML, tests/unit/acpi.mk),
# copied or packed by tests/fuzz/mkseeds.py into build/seeds/<fuzzer>/.
ACPI_FUZZERS := fuzz_madt fuzz_srat fuzz_slit fuzz_fadt fuzz_nfit fuzz_mcfg fuzz_scan fuzz_numa
FUZZERS += $(ACPI_FUZZERS)
fuzz_madt_SRCS := tests/fuzz/fuzz_madt.c $(ACPI_SRCS)
fuzz_srat_SRCS := tests/fuzz/fuzz_srat.c $(ACPI_SRCS)
fuzz_slit_SRCS := tests/fuzz/fuzz_slit.c $(ACPI_SRCS)
fuzz_fadt_SRCS := tests/fuzz/fuzz_fadt.c $(ACPI_SRCS)
fuzz_nfit_SRCS := tests/fuzz/fuzz_nfit.c $(ACPI_SRCS)
fuzz_mcfg_SRCS := tests/fuzz/fuzz_mcfg.c $(ACPI_SRCS)
fuzz_scan_SRCS := tests/fuzz/fuzz_scan.c $(ACPI_SRCS)
fuzz_numa_SRCS := tests/fuzz/fuzz_numa.c $(ACPI_SRCS) $(NUMA_SRCS)

$(BUILD)/seeds/.stamp: $(ACPI_AML) tests/fuzz/mkseeds.py
	$(PYTHON) tests/fuzz/mkseeds.py $(BUILD)/data $(BUILD)/seeds
	@touch $@

$(addprefix $(BUILD)/fuzz/,$(ACPI_FUZZERS)): $(BUILD)/seeds/.stamp acpi/internal.h numa/internal.h
