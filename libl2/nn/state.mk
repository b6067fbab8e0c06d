# Model state, optimizer state and checkpoints (issue 16, area state): sources and tests.
libl2_libl2_la_SOURCES += libl2/nn/state-impl.h libl2/nn/optim-state.c libl2/nn/checkpoint.c
C_TESTS += tests/test-checkpoint
tests_test_checkpoint_SOURCES = tests/test-checkpoint.c tests/tap.h tests/testutil.h
tests_test_checkpoint_LDADD = $(TEST_LDADD) -lm
