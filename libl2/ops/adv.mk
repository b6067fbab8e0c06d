# The adv family (issue 14 advanced indexing: index_tensors, index_put): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/index-adv.c libl2/ops/index-put.c libl2/ops/adv-impl.h
C_TESTS += tests/test-adv
tests_test_adv_SOURCES = tests/test-adv.c tests/tap.h tests/testutil.h tests/gradcheck.h \
	tests/adv-util.h
tests_test_adv_LDADD = $(TEST_LDADD)
C_TESTS += tests/test-adv-put
tests_test_adv_put_SOURCES = tests/test-adv-put.c tests/tap.h tests/testutil.h \
	tests/gradcheck.h tests/adv-util.h
tests_test_adv_put_LDADD = $(TEST_LDADD)
