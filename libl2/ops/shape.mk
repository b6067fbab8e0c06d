# The shape family (issue 14): split, split_with_sizes, chunk, unbind, tensor_split, meshgrid
# (shape.c), flip, roll, repeat, tile, repeat_interleave, rot90 (shape-pick.c), movedim,
# diagonal, tril, triu, diag (shape-diag.c).
libl2_libl2_la_SOURCES += libl2/ops/shape.c libl2/ops/shape-pick.c libl2/ops/shape-diag.c \
	libl2/ops/list-shape.h
C_TESTS += tests/test-shape
tests_test_shape_SOURCES = tests/test-shape.c tests/tap.h tests/testutil.h
tests_test_shape_LDADD = $(TEST_LDADD)
# speed10 (issue 12): the shape family's fast gradients and copies
C_TESTS += tests/test-speed10
tests_test_speed10_SOURCES = tests/test-speed10.c tests/tap.h tests/testutil.h
tests_test_speed10_LDADD = $(TEST_LDADD)
