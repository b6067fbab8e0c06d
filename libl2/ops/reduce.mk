# The reduce family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
libl2_libl2_la_SOURCES += libl2/ops/reduce-impl.h libl2/ops/reduce-plan.c libl2/ops/reduce-kern.c \
	libl2/ops/reduce-vec.c libl2/ops/reduce.c libl2/ops/reduce-stats.c libl2/ops/reduce-cg.c \
	libl2/ops/reduce-ext.c
# speed (issue 12, area speed11): amax / amin over outer dims
libl2_libl2_la_SOURCES += libl2/ops/reduce-extcols.c libl2/ops/reduce-nan.c
C_TESTS += tests/test-reduce tests/test-reduce-grad
tests_test_reduce_SOURCES = tests/test-reduce.c tests/tap.h tests/gradcheck.h
tests_test_reduce_LDADD = $(TEST_LDADD)
tests_test_reduce_grad_SOURCES = tests/test-reduce-grad.c tests/tap.h tests/gradcheck.h \
	tests/testutil.h
tests_test_reduce_grad_LDADD = $(TEST_LDADD)
# random, reductions, copies (issue 12): max / min rows
C_TESTS += tests/test-maxrow
tests_test_maxrow_SOURCES = tests/test-maxrow.c tests/tap.h tests/gradcheck.h tests/testutil.h
tests_test_maxrow_LDADD = $(TEST_LDADD)
# speed (issue 12, area speed11): amax / amin over outer dims
C_TESTS += tests/test-extcols
tests_test_extcols_SOURCES = tests/test-extcols.c tests/tap.h tests/gradcheck.h tests/testutil.h
tests_test_extcols_LDADD = $(TEST_LDADD)
# create_graph (issue 15, area cg-binred): second derivatives of reductions, scans, selections
C_TESTS += tests/test-cg-reduce
tests_test_cg_reduce_SOURCES = tests/test-cg-reduce.c tests/tap.h tests/gradcheck.h \
	tests/testutil.h
tests_test_cg_reduce_LDADD = $(TEST_LDADD)
