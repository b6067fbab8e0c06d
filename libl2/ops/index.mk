# The index family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
libl2_libl2_la_SOURCES += libl2/ops/index.c
C_TESTS += tests/test-index
tests_test_index_SOURCES = tests/test-index.c tests/tap.h tests/gradcheck.h
tests_test_index_LDADD = $(TEST_LDADD)
