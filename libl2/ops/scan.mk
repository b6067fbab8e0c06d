# Reductions and scans (issue 14, area scan): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/reduce3.c libl2/ops/scan.c libl2/ops/scan-cg.c \
	libl2/ops/search.c libl2/ops/list-scan.h
C_TESTS += tests/test-scan
tests_test_scan_SOURCES = tests/test-scan.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_scan_LDADD = $(TEST_LDADD)
C_TESTS += tests/test-cg-misc
tests_test_cg_misc_SOURCES = tests/test-cg-misc.c tests/tap.h tests/gradcheck.h
tests_test_cg_misc_LDADD = $(TEST_LDADD)
