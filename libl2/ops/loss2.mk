# The loss family (issue 14, area loss: threshold and the remaining losses): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/loss2.c libl2/ops/loss2-act.c libl2/ops/list-loss2.h
C_TESTS += tests/test-loss2
tests_test_loss2_SOURCES = tests/test-loss2.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_loss2_LDADD = $(TEST_LDADD) -lm
