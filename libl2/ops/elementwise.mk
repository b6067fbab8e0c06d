# The elementwise family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
libl2_libl2_la_SOURCES += libl2/ops/elementwise-impl.h libl2/ops/elementwise.c libl2/ops/unary.c \
	libl2/ops/elementwise-cg.c libl2/ops/unary-cg.c libl2/ops/cg-scratch.h \
	libl2/ops/where.c
C_TESTS += tests/test-elementwise tests/test-elementwise-grad
tests_test_elementwise_SOURCES = tests/test-elementwise.c tests/elementwise-util.h tests/tap.h \
	tests/gradcheck.h
tests_test_elementwise_grad_SOURCES = tests/test-elementwise-grad.c tests/elementwise-util.h \
	tests/tap.h tests/gradcheck.h
tests_test_elementwise_LDADD = $(TEST_LDADD)
tests_test_elementwise_grad_LDADD = $(TEST_LDADD)
# area: layout (the elementwise output layout rule and the tiled mixed-layout loop)
C_TESTS += tests/test-layout
tests_test_layout_SOURCES = tests/test-layout.c tests/tap.h
tests_test_layout_LDADD = $(TEST_LDADD)
# create_graph (issue 15, area cg-binred): second derivatives of the binary ops and where.c's
C_TESTS += tests/test-cg-binary
tests_test_cg_binary_SOURCES = tests/test-cg-binary.c tests/tap.h tests/gradcheck.h \
	tests/testutil.h
tests_test_cg_binary_LDADD = $(TEST_LDADD)
# create_graph (issue 15): second derivatives of the unary ops (libl2/ops/unary-cg.c)
C_TESTS += tests/test-cg-unary
tests_test_cg_unary_SOURCES = tests/test-cg-unary.c tests/tap.h tests/gradcheck.h tests/testutil.h
tests_test_cg_unary_LDADD = $(TEST_LDADD) -lm
