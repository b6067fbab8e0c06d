# The nn family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
libl2_libl2_la_SOURCES += libl2/ops/nn-impl.h libl2/ops/nn-softmax.c libl2/ops/nn-loss.c \
	libl2/ops/nn-norm.c
# create_graph (issue 15): the differentiable backwards
libl2_libl2_la_SOURCES += libl2/ops/nn-cg.c libl2/ops/nn-norm-cg.c
C_TESTS += tests/test-nn tests/test-nn-grad
tests_test_nn_SOURCES = tests/test-nn.c tests/tap.h tests/gradcheck.h
tests_test_nn_LDADD = $(TEST_LDADD)
tests_test_nn_grad_SOURCES = tests/test-nn-grad.c tests/tap.h tests/gradcheck.h
tests_test_nn_grad_LDADD = $(TEST_LDADD)
# create_graph (issue 15)
C_TESTS += tests/test-cg-nn
tests_test_cg_nn_SOURCES = tests/test-cg-nn.c tests/tap.h tests/gradcheck.h
tests_test_cg_nn_LDADD = $(TEST_LDADD)
