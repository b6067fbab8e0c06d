# conv3 (issue 14): 3-d convolution, the 3-d pools, adaptive max pooling and max unpooling.
libl2_libl2_la_SOURCES += libl2/ops/conv3d.c libl2/ops/pool3.c libl2/ops/unpool.c \
	libl2/ops/conv-transpose3d.c \
	libl2/ops/list-conv3.h
C_TESTS += tests/test-conv3
tests_test_conv3_SOURCES = tests/test-conv3.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_conv3_LDADD = $(TEST_LDADD) -lm
C_TESTS += tests/test-tconv3
tests_test_tconv3_SOURCES = tests/test-tconv3.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_tconv3_LDADD = $(TEST_LDADD) -lm
