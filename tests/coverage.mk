# Coverage (make coverage, in a build configured with --enable-coverage): run make check, then
# gcovr over libl2/ only, printing line and branch coverage per file and in total, failing below
# the gates. Branches that gcov marks unreachable or as exception paths are left out (C has no
# exceptions; the option only matters for the few C++ lines elsewhere); no code is excluded.
COVERAGE_LINE_MIN = 95
COVERAGE_BRANCH_MIN = 85
# gcovr matches --filter against real paths, so the source folder is resolved first ($$src).
# Only the shared library's objects (the .libs folders: what the tests run) are read; libtool's
# static copies of the same sources never run and would be merged in as a second, unrun copy.
GCOVR_FLAGS = --root "$$src" --object-directory $(abs_top_builddir) --filter "$$src/libl2/" \
	--exclude-unreachable-branches --exclude-throw-branches \
	`find $(abs_top_builddir)/libl2 -type d -name .libs`

.PHONY: coverage coverage-report
if COVERAGE
coverage:
	@find $(top_builddir) -name '*.gcda' -delete
	@rc=0; $(MAKE) $(AM_MAKEFLAGS) check || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) coverage-report || rc=1; exit $$rc

# The report over whatever .gcda files the last runs left (make check, or single tests).
coverage-report:
	@src=`cd $(top_srcdir) && pwd`; \
	$(GCOVR) $(GCOVR_FLAGS) --branches --sort-percentage >coverage-branches.txt; \
	cat coverage-branches.txt; \
	$(GCOVR) $(GCOVR_FLAGS) --sort-percentage --print-summary \
	    --fail-under-line $(COVERAGE_LINE_MIN) --fail-under-branch $(COVERAGE_BRANCH_MIN) \
	    >coverage-lines.txt; rc=$$?; \
	cat coverage-lines.txt; \
	echo "coverage gates: lines >= $(COVERAGE_LINE_MIN)%, branches >= $(COVERAGE_BRANCH_MIN)%:" \
	    "$$([ $$rc -eq 0 ] && echo met || echo NOT met)"; \
	exit $$rc
else
coverage coverage-report:
	@echo "make coverage: configure with --enable-coverage first"; exit 1
endif
CLEANFILES += coverage-branches.txt coverage-lines.txt

# Tests written to reach code the other tests leave uncovered (error paths, dtypes, layouts).
C_TESTS += tests/test-coverage-nn
tests_test_coverage_nn_SOURCES = tests/test-coverage-nn.c tests/tap.h
tests_test_coverage_nn_LDADD = $(TEST_LDADD)
CLEANFILES += test-coverage-nn.safetensors
C_TESTS += tests/test-coverage-io
tests_test_coverage_io_SOURCES = tests/test-coverage-io.c tests/tap.h
tests_test_coverage_io_LDADD = $(TEST_LDADD)
CLEANFILES += test-coverage-io.safetensors test-coverage-io.idx
C_TESTS += tests/test-coverage-layouts
tests_test_coverage_layouts_SOURCES = tests/test-coverage-layouts.c tests/tap.h
tests_test_coverage_layouts_LDADD = $(TEST_LDADD)
C_TESTS += tests/test-coverage-oom
tests_test_coverage_oom_SOURCES = tests/test-coverage-oom.c tests/tap.h
tests_test_coverage_oom_LDADD = $(TEST_LDADD)
C_TESTS += tests/test-coverage-args
tests_test_coverage_args_SOURCES = tests/test-coverage-args.c tests/tap.h
tests_test_coverage_args_LDADD = $(TEST_LDADD)
