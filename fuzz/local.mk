# libFuzzer targets (make fuzz, when configure found a clang that links -fsanitize=fuzzer).
# The library's C sources are compiled again by $(FUZZ_CC) with coverage feedback, ASan and UBSan
# into fuzz/libl2-fuzz.a (a separate set of objects; OpenMP off), which each target links.
#   make fuzz                        build fuzz/fuzz-ops, -safetensors, -idx, -dlpack
#   make fuzz-run FUZZ_SECONDS=60    run each over its seed corpus for that long; fails on a finding
#   make fuzz-long                   the same for FUZZ_LONG_SECONDS (default 30 minutes) per target
#   FUZZ_SEED=N                      libFuzzer's -seed (0, the default: a new random seed each run)
# New inputs go to fuzz/work/<target>/ in the build tree, findings to fuzz/findings/<target>-*.
# libFuzzer's last status line "#N ... cov: E ft: F corp: C/..." as "E edges, F features, C inputs".
FUZZ_COV_SED = s/.*cov: \([0-9]*\).*ft: \([0-9]*\).*corp: \([0-9]*\).*/\1 edges, \2 features,\
	\3 inputs/p
FUZZ_TARGETS = fuzz-ops fuzz-safetensors fuzz-idx fuzz-dlpack
FUZZ_SECONDS = 60
FUZZ_LONG_SECONDS = 1800
FUZZ_SEED = 0
FUZZ_FLAGS = -timeout=20 -rss_limit_mb=2048 -seed=$(FUZZ_SEED)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_COMPILE = $(FUZZ_CC) -std=c11 -D_GNU_SOURCE -DHAVE_CONFIG_H -g -O1 $(FUZZ_SAN) \
	-Wno-unknown-pragmas -I$(top_srcdir)/libl2 -I$(top_builddir) $(OPENBLAS_CFLAGS) $(ZLIB_CFLAGS)
FUZZ_LIBS = $(OPENBLAS_LIBS) $(ZLIB_LIBS) -lm
FUZZ_LINK = $(FUZZ_COMPILE) -fsanitize=fuzzer $(top_srcdir)/$@.c fuzz/libl2-fuzz.a $(FUZZ_LIBS) \
	-o $@

EXTRA_DIST += fuzz/fuzz-ops.c fuzz/fuzz-safetensors.c fuzz/fuzz-idx.c fuzz/fuzz-dlpack.c \
	fuzz/memfile.h fuzz/make-seeds.py \
	fuzz/corpus
.PHONY: fuzz fuzz-run fuzz-long

if HAVE_FUZZ
FUZZ_DEPS = $(top_srcdir)/fuzz/memfile.h fuzz/libl2-fuzz.a
fuzz: fuzz/fuzz-ops fuzz/fuzz-safetensors fuzz/fuzz-idx fuzz/fuzz-dlpack

fuzz/libl2-fuzz.a: $(libl2_libl2_la_SOURCES) config.h
	@rm -rf fuzz/obj && $(MKDIR_P) fuzz/obj && \
	for f in $(libl2_libl2_la_SOURCES); do \
	    case $$f in *.c) ;; *) continue ;; esac; \
	    o=fuzz/obj/`echo $$f | tr / _ | sed 's/\.c$$/.o/'`; \
	    echo "  FUZZCC   $$f"; \
	    $(FUZZ_COMPILE) -fsanitize=fuzzer-no-link -c $(top_srcdir)/$$f -o $$o || exit 1; \
	done && rm -f $@ && $(AR) rcs $@ fuzz/obj/*.o

fuzz/fuzz-ops: $(top_srcdir)/fuzz/fuzz-ops.c $(FUZZ_DEPS)
	$(AM_V_GEN)$(FUZZ_LINK)
fuzz/fuzz-safetensors: $(top_srcdir)/fuzz/fuzz-safetensors.c $(FUZZ_DEPS)
	$(AM_V_GEN)$(FUZZ_LINK)
fuzz/fuzz-idx: $(top_srcdir)/fuzz/fuzz-idx.c $(FUZZ_DEPS)
	$(AM_V_GEN)$(FUZZ_LINK)
fuzz/fuzz-dlpack: $(top_srcdir)/fuzz/fuzz-dlpack.c $(FUZZ_DEPS)
	$(AM_V_GEN)$(FUZZ_LINK)

# Run every target for $(FUZZ_SECONDS) each (all of them, even after a failure), print the
# executions and coverage of each, and fail if any found a crash, a leak or a sanitizer report.
fuzz-run: fuzz
	@fail=0; \
	for t in $(FUZZ_TARGETS); do \
	    $(MKDIR_P) fuzz/work/$$t fuzz/findings; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:$${ASAN_OPTIONS:-}" \
	    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:$${UBSAN_OPTIONS:-}" \
	    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
	    ./fuzz/$$t $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	        -print_final_stats=1 -artifact_prefix=fuzz/findings/$$t- \
	        fuzz/work/$$t $(top_srcdir)/fuzz/corpus/$$t >fuzz/$$t.log 2>&1; \
	    rc=$$?; \
	    execs=`sed -n 's/^stat::number_of_executed_units: *//p' fuzz/$$t.log | tail -n 1`; \
	    cov=`grep -E '^#[0-9]+' fuzz/$$t.log | tail -n 1 | sed -n "$(FUZZ_COV_SED)"`; \
	    if [ $$rc -eq 0 ]; then \
	        echo "fuzz: $$t passed: $${execs:-?} executions, coverage $${cov:-?}"; \
	    else \
	        fail=1; \
	        echo "fuzz: $$t FAILED (exit $$rc) after $${execs:-?} executions; log fuzz/$$t.log:"; \
	        grep -E -A40 '^==[0-9]+==|runtime error|^SUMMARY' fuzz/$$t.log | head -n 80; \
	        ls fuzz/findings/$$t-* 2>/dev/null; \
	    fi; \
	done; exit $$fail

fuzz-long:
	$(MAKE) $(AM_MAKEFLAGS) fuzz-run FUZZ_SECONDS=$(FUZZ_LONG_SECONDS)
else
fuzz fuzz-run fuzz-long:
	@echo "make $@: configure found no clang that links -fsanitize=fuzzer (install clang-14" \
	    "and libclang-rt-14-dev: ci/install-deps)"; exit 1
endif

clean-local: clean-fuzz
clean-fuzz:
	-rm -rf fuzz/obj fuzz/work fuzz/findings fuzz/*.log fuzz/libl2-fuzz.a \
	    fuzz/fuzz-ops fuzz/fuzz-safetensors fuzz/fuzz-idx fuzz/fuzz-dlpack
