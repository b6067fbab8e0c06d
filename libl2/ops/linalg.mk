# The linalg family: sources (libl2_libl2_la_SOURCES += ...) and tests (C_TESTS += ...).
libl2_libl2_la_SOURCES += libl2/ops/linalg.c libl2/ops/linalg-product.c libl2/ops/linalg-impl.h
# create_graph (issue 15): the differentiable backwards
libl2_libl2_la_SOURCES += libl2/ops/linalg-cg.c
# gemm (issue 12): the own float32 product
libl2_libl2_la_SOURCES += libl2/ops/gemm.h libl2/ops/gemm.c
C_TESTS += tests/test-linalg
tests_test_linalg_SOURCES = tests/test-linalg.c tests/tap.h tests/gradcheck.h \
	tests/linalg-layouts.h
tests_test_linalg_LDADD = $(TEST_LDADD)
C_TESTS += tests/test-linalg-grad
tests_test_linalg_grad_SOURCES = tests/test-linalg-grad.c tests/tap.h tests/gradcheck.h \
	tests/linalg-layouts.h
tests_test_linalg_grad_LDADD = $(TEST_LDADD)
# gemm (issue 12)
C_TESTS += tests/test-gemm
tests_test_gemm_SOURCES = tests/test-gemm.c tests/tap.h tests/testutil.h
tests_test_gemm_LDADD = $(TEST_LDADD)
# create_graph (issue 15)
C_TESTS += tests/test-cg-linalg
tests_test_cg_linalg_SOURCES = tests/test-cg-linalg.c tests/tap.h tests/gradcheck.h
tests_test_cg_linalg_LDADD = $(TEST_LDADD)
