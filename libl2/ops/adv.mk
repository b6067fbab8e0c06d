# The adv family (issue 14 advanced indexing: index_tensors): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/index-adv.c
C_TESTS += tests/test-adv
tests_test_adv_SOURCES = tests/test-adv.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_adv_LDADD = $(TEST_LDADD)
