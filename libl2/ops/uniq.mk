# The uniq family (issue 14: scatter, scatter_reduce, unique, unique_consecutive): sources, tests.
libl2_libl2_la_SOURCES += libl2/ops/scatter.c libl2/ops/unique.c libl2/ops/index-impl.h libl2/ops/list-uniq.h
C_TESTS += tests/test-uniq
tests_test_uniq_SOURCES = tests/test-uniq.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_uniq_LDADD = $(TEST_LDADD)
