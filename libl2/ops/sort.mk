# The sorting family (issue 14: sorting, selection and scans): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/sort.c libl2/ops/sort-impl.h libl2/ops/list-sort.h \
	libl2/ops/sort-cg.c
C_TESTS += tests/test-sort
tests_test_sort_SOURCES = tests/test-sort.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_sort_LDADD = $(TEST_LDADD)
