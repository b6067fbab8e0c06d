# The conv family's composed members (conv1d, the 1-d pools, pixel shuffles; issue 14).
libl2_libl2_la_SOURCES += libl2/ops/conv-compose.c
# interpolation (issue 14)
libl2_libl2_la_SOURCES += libl2/ops/interp.c libl2/ops/list-interp.h libl2/ops/unfold.c
C_TESTS += tests/test-conv-compose
tests_test_conv_compose_SOURCES = tests/test-conv-compose.c tests/tap.h tests/testutil.h
tests_test_conv_compose_LDADD = $(TEST_LDADD)
