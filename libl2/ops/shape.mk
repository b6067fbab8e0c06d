# The shape family (issue 14): split, split_with_sizes, chunk, unbind.
libl2_libl2_la_SOURCES += libl2/ops/shape.c
C_TESTS += tests/test-shape
tests_test_shape_SOURCES = tests/test-shape.c tests/tap.h tests/testutil.h
tests_test_shape_LDADD = $(TEST_LDADD)
