# The act family (issue 14: activations, distance/normalize, losses): sources and tests.
libl2_libl2_la_SOURCES += libl2/ops/activation.c libl2/ops/list-act.h libl2/ops/distance.c
C_TESTS += tests/test-act
tests_test_act_SOURCES = tests/test-act.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_act_LDADD = $(TEST_LDADD) -lm
# speed12 (issue 12): prelu's own kernel and node
libl2_libl2_la_SOURCES += libl2/ops/prelu.c
C_TESTS += tests/test-prelu
tests_test_prelu_SOURCES = tests/test-prelu.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_prelu_LDADD = $(TEST_LDADD) -lm
# create_graph (issue 15): second derivatives of the activations and prelu (libl2/ops/act-cg.c)
libl2_libl2_la_SOURCES += libl2/ops/act-cg.c
C_TESTS += tests/test-cg-act
tests_test_cg_act_SOURCES = tests/test-cg-act.c tests/tap.h tests/gradcheck.h tests/testutil.h
tests_test_cg_act_LDADD = $(TEST_LDADD) -lm
