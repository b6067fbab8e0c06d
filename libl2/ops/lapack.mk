# The LAPACK solvers (issue 15, area la1): solve, inv, det, slogdet, cholesky; sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/linalg-solve.c libl2/ops/linalg-cholesky.c libl2/ops/lapack.h libl2/ops/list-lapack.h \
	libl2/ops/linalg-la-cg.c
C_TESTS += tests/test-linalg-solve
tests_test_linalg_solve_SOURCES = tests/test-linalg-solve.c tests/tap.h tests/testutil.h \
	tests/gradcheck.h
tests_test_linalg_solve_LDADD = $(TEST_LDADD) -lm
# create_graph (issue 15): second derivatives of the solvers (linalg-la-cg.c).
C_TESTS += tests/test-cg-lapack
tests_test_cg_lapack_SOURCES = tests/test-cg-lapack.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_cg_lapack_LDADD = $(TEST_LDADD) -lm
