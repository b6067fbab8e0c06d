# Training: gradient clipping and learning-rate schedulers (issue 16, area sched).
libl2_libl2_la_SOURCES += libl2/nn/clip.c libl2/nn/sched.c libl2/nn/sched-state.c \
	libl2/nn/sched-impl.h libl2/nn/optim-impl.h
C_TESTS += tests/test-sched
tests_test_sched_SOURCES = tests/test-sched.c tests/tap.h tests/testutil.h
tests_test_sched_LDADD = $(TEST_LDADD) -lm
# every lr of every scheduler and the clipped grads against torch 1.13 (SKIP without torch)
TESTS += tests/sched-oracle.sh
EXTRA_DIST += tests/sched-oracle.sh oracle/sched_oracle.py
