# Norms, least squares and cholesky_solve (issue 15, area lsqnorm): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/linalg-lstsq.c libl2/ops/linalg-norm.c \
	libl2/ops/linalg-lsq-cg.c libl2/ops/list-lsq.h
C_TESTS += tests/test-linalg-lstsq
tests_test_linalg_lstsq_SOURCES = tests/test-linalg-lstsq.c tests/tap.h tests/testutil.h \
	tests/gradcheck.h
tests_test_linalg_lstsq_LDADD = $(TEST_LDADD) -lm
C_TESTS += tests/test-linalg-norm
tests_test_linalg_norm_SOURCES = tests/test-linalg-norm.c tests/tap.h tests/testutil.h \
	tests/gradcheck.h
tests_test_linalg_norm_LDADD = $(TEST_LDADD) -lm
C_TESTS += tests/test-cg-lsq
tests_test_cg_lsq_SOURCES = tests/test-cg-lsq.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_cg_lsq_LDADD = $(TEST_LDADD) -lm
