# create_graph (issue 15, area cg-viewidx): the differentiable backwards of the view, shape and
# indexing ops (unfold and fold's are in unfold.c), and their second-derivative test.
libl2_libl2_la_SOURCES += libl2/ops/view-cg.c libl2/ops/index-cg.c
C_TESTS += tests/test-cg-viewidx
tests_test_cg_viewidx_SOURCES = tests/test-cg-viewidx.c tests/tap.h tests/testutil.h \
	tests/gradcheck.h
tests_test_cg_viewidx_LDADD = $(TEST_LDADD) -lm
