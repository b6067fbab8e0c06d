# The sample family (issue 14 sampling ops and more norms): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/sample.c libl2/ops/list-sample.h libl2/ops/nn-norm2.c
C_TESTS += tests/test-sample
tests_test_sample_SOURCES = tests/test-sample.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_sample_LDADD = $(TEST_LDADD)
C_TESTS += tests/test-norm2
tests_test_norm2_SOURCES = tests/test-norm2.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_norm2_LDADD = $(TEST_LDADD)
