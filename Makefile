# numaboot top-level Makefile.
#
#   make            build build/numaboot.efi, build/numaboot.img and the host tools
#   make image      build/numaboot.img: GPT disk image for a USB stick (README)
#   make run        boot it under QEMU+OVMF: NODES, CPUS (per node), MEM (per node, GiB),
#                   PMEM (persistent memory, NODE:GiB[,NODE:GiB...], one NVDIMM each),
#                   VMEM (virtio-mem, NODE:MAXGiB[:INITIALGiB][,...], docs/hotplug.md),
#                   HOTPLUG (requested-size changes through QMP, T@vmemI=SIZE,...; with
#                   OPTS=serve_s=N), ACPI_OVERRIDE (table files for EFI/BOOT/acpi/, docs/acpi.md),
#                   OPTS (kernel options), QEMU_EXTRA (extra QEMU arguments)
#   make test       every test: unit (ASan+UBSan), TSan, short fuzz, tools, QEMU boot tests
#   make tsan       host concurrency tests under ThreadSanitizer (tests/unit/tsan.mk)
#   make fuzz       longer fuzzing runs (FUZZ_SECONDS per target)
#   make bench      benchmarks (modes x topologies, bring-up, Linux comparison)
#   make regress    A/B boot-time check of this tree against BASE=<rev> (docs/regress.md)
#   make hostbench  the range initializer natively on this host vs its store bandwidth
#                   (no QEMU; HOSTBENCH_ARGS for tools/hostbench.py)
#   make deps       install what is missing (Debian/Ubuntu; asks apt-get);
#                   NUMABOOT_NO_DEPS=1 skips it in run/test/bench
#   JUnit XML of make test (cmocka unit tests, pytest) goes to build/junit/
#
# Subsystems add host programs through fragments: tests/unit/*.mk append to
# UNIT_TESTS, tests/fuzz/*.mk to FUZZERS, tools/*.mk to HOST_TOOLS, each
# defining <name>_SRCS.

# Bare `make` builds `all`, whatever the included fragments define first.
.DEFAULT_GOAL := all

BUILD   ?= build
CC      ?= gcc
HOSTCC  ?= gcc
NASM    ?= nasm
PYTHON  ?= /usr/bin/python3
EFIINC  ?= /usr/include/efi
EFILIB  ?= /usr/lib

NODES ?= 2
CPUS  ?= 2
MEM   ?= 2
OPTS  ?=
PMEM  ?=
VMEM  ?=
HOTPLUG ?=
QEMU_EXTRA ?=

KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
	-fno-stack-check -fshort-wchar -mno-red-zone -maccumulate-outgoing-args -fpic \
	-fno-strict-aliasing -mgeneral-regs-only -fno-omit-frame-pointer -Wframe-larger-than=12288 \
	-DGNU_EFI_USE_MS_ABI -Iinclude
# Only boot/ sees the UEFI headers.
BOOT_CFLAGS := -I$(EFIINC) -I$(EFIINC)/x86_64

KDIRS  := boot arch/x86_64 acpi numa mm smp lib kernel serve pci virtio
KSRCS  := $(foreach d,$(KDIRS),$(wildcard $(d)/*.c))
KASRCS := $(foreach d,$(KDIRS),$(wildcard $(d)/*.S))
KOBJS  := $(patsubst %.c,$(BUILD)/k/%.o,$(KSRCS)) $(patsubst %.S,$(BUILD)/k/%.o,$(KASRCS))
NASM_SRCS := $(wildcard arch/x86_64/*.asm)
NASM_BINS := $(patsubst %.asm,$(BUILD)/%.bin,$(NASM_SRCS))

# Host-side code shared by tools and tests: pure parsers and helpers.
HOST_LIB_SRCS := lib/printf.c lib/json.c lib/strtou.c
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Itests/unit -DNUMABOOT_HOST
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

UNIT_TESTS :=
FUZZERS :=
HOST_TOOLS :=
-include $(wildcard tests/unit/*.mk) $(wildcard tests/fuzz/*.mk) $(wildcard tools/*.mk)

.PHONY: all kernel image tools unit unit-junit fuzz fuzz-short test run bench hostbench deps clean boot-test
all: kernel tools image

kernel: $(BUILD)/numaboot.efi

$(BUILD)/k/boot/%.o: boot/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(KCFLAGS) $(BOOT_CFLAGS) -MMD -c $< -o $@

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(KCFLAGS) -MMD -c $< -o $@

$(BUILD)/k/%.o: %.S $(NASM_BINS)
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(KCFLAGS) -I$(BUILD)/arch/x86_64 -MMD -c $< -o $@

$(BUILD)/%.bin: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<

$(BUILD)/numaboot.so: $(KOBJS) linker.ld
	ld -nostdlib -znocombreloc -T linker.ld -shared -Bsymbolic -L$(EFILIB) \
		$(EFILIB)/crt0-efi-x86_64.o $(KOBJS) -o $@ -lgnuefi $(shell $(CC) -print-libgcc-file-name)
	@if nm -u $@ | grep -q .; then echo "undefined symbols:"; nm -u $@; rm -f $@; exit 1; fi

$(BUILD)/numaboot.efi: $(BUILD)/numaboot.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@
	@echo "built $@"

# The USB stick image (tools/mkimage.sh: sfdisk, mkfs.fat, mtools; no root).
image: $(BUILD)/numaboot.img

$(BUILD)/numaboot.img: $(BUILD)/numaboot.efi tools/numaboot.cfg tools/mkimage.sh
	tools/mkimage.sh $@ $(BUILD)/numaboot.efi tools/numaboot.cfg

# ---- host programs ------------------------------------------------------
$(BUILD)/unit/%: ; @true
define unit_rule
$(BUILD)/unit/$(1): $$($(1)_SRCS) $(HOST_LIB_SRCS) tests/unit/host_console.c $$(wildcard include/*.h mm/*.h)
	@mkdir -p $$(dir $$@)
	$(HOSTCC) $(HOST_CFLAGS) $(SAN_FLAGS) $$($(1)_SRCS) $(HOST_LIB_SRCS) tests/unit/host_console.c \
		$$($(1)_CFLAGS) -o $$@ -lcmocka
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

define fuzz_rule
$(BUILD)/fuzz/$(1): $$($(1)_SRCS) $(HOST_LIB_SRCS) tests/unit/host_console.c $$(wildcard include/*.h mm/*.h)
	@mkdir -p $$(dir $$@)
	clang $(filter-out -Werror,$(HOST_CFLAGS)) -DNUMABOOT_FUZZ -fsanitize=fuzzer,address,undefined \
		$$($(1)_SRCS) $(HOST_LIB_SRCS) tests/unit/host_console.c -o $$@
endef
$(foreach t,$(FUZZERS),$(eval $(call fuzz_rule,$(t))))

define tool_rule
$(BUILD)/$(1): $$($(1)_SRCS) $(HOST_LIB_SRCS) $$(wildcard include/*.h mm/*.h)
	@mkdir -p $$(dir $$@)
	$(HOSTCC) $(HOST_CFLAGS) -O2 $$($(1)_SRCS) $(HOST_LIB_SRCS) $$($(1)_CFLAGS) -o $$@
endef
$(foreach t,$(HOST_TOOLS),$(eval $(call tool_rule,$(t))))

tools: $(addprefix $(BUILD)/,$(HOST_TOOLS))

unit: $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))
	@set -e; for t in $(UNIT_TESTS); do echo "== unit: $$t"; $(BUILD)/unit/$$t; done

FUZZ_SHORT_RUNS ?= 20000
FUZZ_SECONDS ?= 300
fuzz-short: $(addprefix $(BUILD)/fuzz/,$(FUZZERS))
	@set -e; for f in $(FUZZERS); do echo "== fuzz (short): $$f"; mkdir -p $(BUILD)/corpus/$$f; \
		HOST_CONSOLE_QUIET=1 $(BUILD)/fuzz/$$f -runs=$(FUZZ_SHORT_RUNS) -seed=1 $(BUILD)/corpus/$$f $$(cat tests/fuzz/$$f.seeds 2>/dev/null) \
		2>&1 | tail -n 2; done

fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZERS))
	@set -e; for f in $(FUZZERS); do echo "== fuzz: $$f ($(FUZZ_SECONDS) s)"; mkdir -p $(BUILD)/corpus/$$f; \
		HOST_CONSOLE_QUIET=1 $(BUILD)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) $(BUILD)/corpus/$$f $$(cat tests/fuzz/$$f.seeds 2>/dev/null); done

deps:
	@if [ "$(NUMABOOT_NO_DEPS)" = 1 ]; then echo "deps: skipped (NUMABOOT_NO_DEPS=1)"; \
	else tools/install-deps.sh; fi

run: deps kernel
	$(PYTHON) tools/qemu_run.py --nodes $(NODES) --cpus $(CPUS) --mem $(MEM) \
		$(if $(PMEM),--pmem $(PMEM)) $(if $(VMEM),--vmem $(VMEM)) \
		$(if $(HOTPLUG),--hotplug "$(HOTPLUG)") $(foreach f,$(ACPI_OVERRIDE),--acpi-override $(f)) \
		--opts "$(OPTS)" -- $(QEMU_EXTRA)

boot-test: kernel tools
	$(PYTHON) -m pytest -q tests/boot

# The unit tests as `make unit` runs them, each writing JUnit XML (cmocka).
JUNIT_DIR := $(BUILD)/junit
unit-junit: $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))
	@mkdir -p $(JUNIT_DIR); set -e; for t in $(UNIT_TESTS); do x=$(JUNIT_DIR)/unit-$$t.xml; rm -f $$x; \
		if ! CMOCKA_MESSAGE_OUTPUT=xml CMOCKA_XML_FILE=$$x $(BUILD)/unit/$$t > $(JUNIT_DIR)/unit-$$t.log 2>&1; \
		then cat $(JUNIT_DIR)/unit-$$t.log $$x; echo "== unit: $$t FAILED"; exit 1; fi; \
		echo "== unit: $$t: $$(grep -o 'tests="[0-9]*" failures="[0-9]*"' $$x | head -n 1)"; done

test: deps
	$(MAKE) all
	$(MAKE) unit-junit
	$(MAKE) tsan
	$(MAKE) fuzz-short
	$(PYTHON) -m pytest -q -ra --junitxml=$(JUNIT_DIR)/pytest.xml tests

bench: deps kernel
	$(PYTHON) tools/bench.py $(BENCH_ARGS)

# A/B boot-time check (docs/regress.md): BASE (default: the merge base with
# main) built into build/ab/, booted alternately with this tree's kernel.
.PHONY: regress
regress: deps kernel image
	$(PYTHON) tools/regress.py --ab $(if $(BASE),--base $(BASE)) --report $(BUILD)/regress-ab/regress.md \
		--junit $(JUNIT_DIR)/regress.xml $(REGRESS_ARGS)

hostbench: deps $(BUILD)/numaboot-hostbench
	$(PYTHON) tools/hostbench.py $(HOSTBENCH_ARGS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
