# Host concurrency tests under ThreadSanitizer (`make tsan`, run by `make
# test`): the mm core with real threads.  TSan cannot be combined with ASan,
# so these are built apart from UNIT_TESTS, with clang.  Any report fails
# the run (halt_on_error, exit code 66).
TSAN_TESTS :=
TSAN_CC ?= clang
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer -O1 -g
TSAN_OPTIONS_RUN := halt_on_error=1 exitcode=66 second_deadlock_stack=1

TSAN_TESTS += test_mm_stress
test_mm_stress_TSAN_SRCS = tests/unit/test_mm_stress.c tests/unit/host_smp.c lib/timeline.c mm/request.c $(MM_CORE_SRCS)
TSAN_TESTS += test_lazy
test_lazy_TSAN_SRCS = tests/unit/test_lazy.c $(MM_CORE_SRCS)
TSAN_TESTS += test_hot_lazy
test_hot_lazy_TSAN_SRCS = tests/unit/test_hot_lazy.c $(MM_CORE_SRCS)

define tsan_rule
$(BUILD)/tsan/$(1): $$($(1)_TSAN_SRCS) $(HOST_LIB_SRCS) tests/unit/host_console.c tests/unit/hot_fixture.h tests/unit/host_smp.h tests/unit/test_memmap.c $$(wildcard include/*.h mm/*.h)
	@mkdir -p $$(dir $$@)
	$(TSAN_CC) $(filter-out -O1,$(HOST_CFLAGS)) $(TSAN_FLAGS) $$($(1)_TSAN_SRCS) $(HOST_LIB_SRCS) \
		tests/unit/host_console.c -pthread -o $$@ -lcmocka
endef
$(foreach t,$(TSAN_TESTS),$(eval $(call tsan_rule,$(t))))

.PHONY: tsan
tsan: $(addprefix $(BUILD)/tsan/,$(TSAN_TESTS))
	@set -e; for t in $(TSAN_TESTS); do echo "== tsan: $$t"; \
		HOST_CONSOLE_QUIET=1 TSAN_OPTIONS="$(TSAN_OPTIONS_RUN)" $(BUILD)/tsan/$$t; done
