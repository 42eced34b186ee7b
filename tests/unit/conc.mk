# Host tests of the CPU-ordering protocols (issue 16): mm/request.c under
# real threads (host_smp.c stands in for smp_this_cpu() and the clock).
UNIT_TESTS += test_request
test_request_SRCS = tests/unit/test_request.c tests/unit/host_smp.c lib/timeline.c mm/request.c $(MM_CORE_SRCS)
test_request_CFLAGS := -pthread
$(BUILD)/unit/test_request: tests/unit/hot_fixture.h tests/unit/host_smp.h mm/internal.h
