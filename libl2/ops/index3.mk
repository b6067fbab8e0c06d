# The index3 family (issue 14 indexing ops): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/index3.c libl2/ops/index4.c \
	libl2/ops/list-index3.h
C_TESTS += tests/test-index3
tests_test_index3_SOURCES = tests/test-index3.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_index3_LDADD = $(TEST_LDADD)
