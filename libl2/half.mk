# bfloat16 and float16 dtypes (issue 16, area half): the conversions and their test.
libl2_libl2_la_SOURCES += libl2/half.h libl2/half-route.c libl2/half-convert.c
C_TESTS += tests/test-half
tests_test_half_SOURCES = tests/test-half.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_half_LDADD = $(TEST_LDADD) -lm
# the torch comparison (conversions, safetensors, printing)
TESTS += tests/half-oracle.sh
EXTRA_DIST += tests/half-oracle.sh oracle/half_oracle.py
# half compute (the half route): every routed op against float32 rounded once, gradients too
C_TESTS += tests/test-half-compute
tests_test_half_compute_SOURCES = tests/test-half-compute.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_half_compute_LDADD = $(TEST_LDADD) -lm
