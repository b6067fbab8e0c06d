# The loss family (issue 14, area loss: threshold and the remaining losses): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/loss2.c libl2/ops/loss2-act.c libl2/ops/list-loss2.h \
	libl2/ops/loss2-cg.c
C_TESTS += tests/test-loss2
tests_test_loss2_SOURCES = tests/test-loss2.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_loss2_LDADD = $(TEST_LDADD) -lm
# create_graph (issue 15, area cg-loss): the differentiable backwards and their test
C_TESTS += tests/test-cg-loss
tests_test_cg_loss_SOURCES = tests/test-cg-loss.c tests/tap.h tests/gradcheck.h tests/testutil.h
tests_test_cg_loss_LDADD = $(TEST_LDADD) -lm
