# The singular value decomposition and pseudo-inverse (issue 15, area svd): svd, svdvals, pinv;
# sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/linalg-svd.c libl2/ops/list-svd.h \
	libl2/ops/linalg-svd-cg.c
C_TESTS += tests/test-linalg-svd
tests_test_linalg_svd_SOURCES = tests/test-linalg-svd.c tests/tap.h tests/testutil.h \
	tests/gradcheck.h
tests_test_linalg_svd_LDADD = $(TEST_LDADD) -lm
