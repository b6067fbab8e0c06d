# baddbmm and addbmm (issue 15, area baddbmm): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/baddbmm.c libl2/ops/list-baddbmm.h
C_TESTS += tests/test-baddbmm
tests_test_baddbmm_SOURCES = tests/test-baddbmm.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_baddbmm_LDADD = $(TEST_LDADD) -lm
