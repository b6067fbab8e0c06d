# The elementwise family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
libl2_libl2_la_SOURCES += libl2/ops/elementwise-impl.h libl2/ops/elementwise.c libl2/ops/unary.c
C_TESTS += tests/test-elementwise
tests_test_elementwise_SOURCES = tests/test-elementwise.c tests/tap.h tests/gradcheck.h
tests_test_elementwise_LDADD = $(TEST_LDADD)
