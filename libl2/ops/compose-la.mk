# Composed linear algebra (issue 15, area compose): einsum, tensordot, norms, cross.
libl2_libl2_la_SOURCES += libl2/ops/einsum.c libl2/ops/tensordot.c
C_TESTS += tests/test-einsum
tests_test_einsum_SOURCES = tests/test-einsum.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_einsum_LDADD = $(TEST_LDADD) -lm
