# Recurrent layers (issue 15, area rnn): cells, the sequence function and the layer struct.
libl2_libl2_la_SOURCES += libl2/nn/rnn.c
C_TESTS += tests/test-rnn
tests_test_rnn_SOURCES = tests/test-rnn.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_rnn_LDADD = $(TEST_LDADD) -lm
# the fixture's directory when L2_SRCDIR is not set (valgrind runs the program directly)
tests_test_rnn_CPPFLAGS = $(AM_CPPFLAGS) -DL2_TOP_SRCDIR='"$(abs_top_srcdir)"'
EXTRA_DIST += tests/rnn_state_dict.py tests/data/rnn-lstm.safetensors
