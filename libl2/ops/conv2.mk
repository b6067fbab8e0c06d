# conv2 (issue 14): transposed convolution and the extended pools: sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/conv-transpose.c libl2/ops/list-conv2.h libl2/ops/pool2.c \
	libl2/ops/pool-arg.c
C_TESTS += tests/test-conv2
tests_test_conv2_SOURCES = tests/test-conv2.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_conv2_LDADD = $(TEST_LDADD) -lm
