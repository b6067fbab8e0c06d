# The index2 family (issue 14 indexing ops): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/index2.c libl2/ops/list-index2.h
C_TESTS += tests/test-index2
tests_test_index2_SOURCES = tests/test-index2.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_index2_LDADD = $(TEST_LDADD)
