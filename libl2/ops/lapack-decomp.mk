# LAPACK decompositions (issue 15, area la2): qr; sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/linalg-decomp.c \
	libl2/ops/list-decomp.h
C_TESTS += tests/test-linalg-decomp
tests_test_linalg_decomp_SOURCES = tests/test-linalg-decomp.c tests/tap.h tests/testutil.h \
	tests/gradcheck.h
tests_test_linalg_decomp_LDADD = $(TEST_LDADD) -lm
