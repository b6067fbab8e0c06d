# The data loader and the progress reporter (issue 16, area data): sources and their test.
libl2_libl2_la_SOURCES += libl2/io/loader.c libl2/io/progress.c
C_TESTS += tests/test-loader
tests_test_loader_SOURCES = tests/test-loader.c tests/tap.h
tests_test_loader_LDADD = $(TEST_LDADD) -lm
# libl2's batches against torch's DataLoader (needs torch, as train-oracle.sh).
check_PROGRAMS += tests/loader-dump
tests_loader_dump_SOURCES = tests/loader-dump.c
tests_loader_dump_LDADD = $(TEST_LDADD)
TESTS += tests/loader-torch.sh
EXTRA_DIST += tests/loader-torch.sh tests/loader_torch.py
