# The conv family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
libl2_libl2_la_SOURCES += libl2/ops/conv2d.c libl2/ops/conv-common.c libl2/ops/conv-small.c \
	libl2/ops/pool.c \
	libl2/ops/pad.c \
	libl2/ops/conv-impl.h libl2/ops/conv-cg.c
C_TESTS += tests/test-conv
tests_test_conv_SOURCES = tests/test-conv.c tests/tap.h tests/gradcheck.h
tests_test_conv_LDADD = $(TEST_LDADD)
# conv (issue 12): the batched driver's sample blocks, threads and backward slots.
C_TESTS += tests/test-conv-blocks
tests_test_conv_blocks_SOURCES = tests/test-conv-blocks.c tests/tap.h
tests_test_conv_blocks_LDADD = $(TEST_LDADD) -lm
# create_graph (issue 15): second derivatives of the conv, conv2 and conv3 ops (conv-cg.c).
C_TESTS += tests/test-cg-conv
tests_test_cg_conv_SOURCES = tests/test-cg-conv.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_cg_conv_LDADD = $(TEST_LDADD) -lm
