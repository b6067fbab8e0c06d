# The reduce family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
libl2_libl2_la_SOURCES += libl2/ops/reduce-impl.h libl2/ops/reduce-plan.c libl2/ops/reduce-kern.c \
	libl2/ops/reduce-vec.c libl2/ops/reduce.c libl2/ops/reduce-stats.c
C_TESTS += tests/test-reduce
tests_test_reduce_SOURCES = tests/test-reduce.c tests/tap.h tests/gradcheck.h
tests_test_reduce_LDADD = $(TEST_LDADD)
