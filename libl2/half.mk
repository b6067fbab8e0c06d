# bfloat16 and float16 dtypes (issue 16, area half): the conversions and their test.
libl2_libl2_la_SOURCES += libl2/half.h libl2/half-route.c
C_TESTS += tests/test-half
tests_test_half_SOURCES = tests/test-half.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_half_LDADD = $(TEST_LDADD) -lm
# the torch comparison (conversions, safetensors, printing)
TESTS += tests/half-oracle.sh
EXTRA_DIST += tests/half-oracle.sh oracle/half_oracle.py
