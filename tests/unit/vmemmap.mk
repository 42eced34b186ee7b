# The one vmemmap mapper (mm/vmemmap.c) against a fake paging that records
# every mapping.
UNIT_TESTS += test_vmemmap
test_vmemmap_SRCS = tests/unit/test_vmemmap.c mm/vmemmap.c $(MM_CORE_SRCS)
$(BUILD)/unit/test_vmemmap: mm/internal.h
