# Recurrent layers (issue 15, area rnn): cells, the sequence function and the layer struct.
libl2_libl2_la_SOURCES += libl2/nn/rnn.c
C_TESTS += tests/test-rnn
tests_test_rnn_SOURCES = tests/test-rnn.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_rnn_LDADD = $(TEST_LDADD) -lm
EXTRA_DIST += tests/rnn_state_dict.py tests/data/rnn-lstm.safetensors
