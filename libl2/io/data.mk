# The data loader and the progress reporter (issue 16, area data): sources and their test.
libl2_libl2_la_SOURCES += libl2/io/loader.c libl2/io/progress.c
C_TESTS += tests/test-loader
tests_test_loader_SOURCES = tests/test-loader.c tests/tap.h
tests_test_loader_LDADD = $(TEST_LDADD) -lm
