# The linalg family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
libl2_libl2_la_SOURCES += libl2/ops/linalg.c
C_TESTS += tests/test-linalg
tests_test_linalg_SOURCES = tests/test-linalg.c tests/tap.h tests/gradcheck.h
tests_test_linalg_LDADD = $(TEST_LDADD)
