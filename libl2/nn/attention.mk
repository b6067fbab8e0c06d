# Multi-head attention (issue 15, area mha): sources and tests.
libl2_libl2_la_SOURCES += libl2/nn/attention.c
C_TESTS += tests/test-attention
tests_test_attention_SOURCES = tests/test-attention.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_attention_LDADD = $(TEST_LDADD) -lm
# a torch nn.MultiheadAttention state_dict loads into the layer (needs torch: SKIP otherwise)
TESTS += tests/mha-state.sh
EXTRA_DIST += tests/mha-state.sh oracle/mha_state.py
