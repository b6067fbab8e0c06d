# bench/: the benchmarks against PyTorch (issue 5). l2bench is built only with Google Benchmark.
# Targets: bench-report (PROFILE=quick|full), bench-compare BASE=<commit>, bench-smoke.
EXTRA_DIST += bench/torch_bench.py bench/train_twin.py bench/report.py bench/report_plots.py \
	bench/compare_flag.py bench/compare.sh bench/smoke.sh bench/README.md \
	bench/report_targets.py bench/report_confirm.py bench/exceptions.txt bench/torch_ops14.py bench/torch_conv3.py
EXTRA_DIST += bench/torch_loss2.py # loss (issue 14)
EXTRA_DIST += bench/torch_lapack.py # la1 (issue 15)
EXTRA_DIST += bench/torch_lsq.py # lsqnorm (issue 15)
EXTRA_DIST += bench/torch_uniq.py # uniq (issue 14, bench9)
EXTRA_DIST += bench/torch_adv.py # adv (issue 14)
EXTRA_DIST += bench/torch_rnn.py # rnn (issue 15)
EXTRA_DIST += bench/torch_svd.py # svd (issue 15)
EXTRA_DIST += bench/torch_baddbmm.py # baddbmm (issue 15)
EXTRA_DIST += bench/torch_state.py # state (issue 16)
EXTRA_DIST += bench/torch_half.py # half compute (issue 16)

if HAVE_BENCHMARK
noinst_PROGRAMS += bench/l2bench
bench_l2bench_SOURCES = bench/shim.cc bench/shim.h bench/cases.h bench/main.c \
	bench/cases-core.c bench/cases-ops.c bench/cases-nn.c \
	bench/cases-limits.c bench/cases-ops14.c bench/cases-ops14b.c bench/cases-ops14c.c \
	bench/cases-conv3.c
bench_l2bench_SOURCES += bench/cases-loss2.c # loss (issue 14)
bench_l2bench_SOURCES += bench/cases-lapack.c # la1 (issue 15)
bench_l2bench_SOURCES += bench/cases-lsq.c # lsqnorm (issue 15)
bench_l2bench_SOURCES += bench/cases-uniq.c # uniq (issue 14, bench9)
bench_l2bench_SOURCES += bench/cases-adv.c # adv (issue 14)
bench_l2bench_SOURCES += bench/cases-rnn.c # rnn (issue 15)
bench_l2bench_SOURCES += bench/cases-compose.c # compose (issue 15)
bench_l2bench_SOURCES += bench/cases-svd.c # svd (issue 15)
bench_l2bench_SOURCES += bench/cases-baddbmm.c # baddbmm (issue 15)
bench_l2bench_SOURCES += bench/cases-half.c # half compute (issue 16)
bench_l2bench_SOURCES += bench/cases-state.c # state (issue 16)
bench_l2bench_CPPFLAGS = $(AM_CPPFLAGS) $(OPENBLAS_CFLAGS) $(BENCHMARK_CFLAGS)
bench_l2bench_CFLAGS = $(AM_CFLAGS)
bench_l2bench_CXXFLAGS = $(AM_CXXFLAGS) $(L2_CFLAGS)
bench_l2bench_LDADD = libl2/libl2.la $(BENCHMARK_LIBS) $(OPENBLAS_LIBS) -ldl -lm
bench_l2bench_LDFLAGS = $(AM_LDFLAGS) $(OPENMP_CFLAGS)
endif

# bench/torchbench: l2bench's cases timed with libtorch from C++ (configure --with-libtorch).
# It links libtorch, not libl2; the ATen headers cost most of its build (~15 s of CPU per file).
EXTRA_DIST += bench/torch-run.sh bench/torch-smoke.sh
if BUILD_TORCHBENCH
noinst_PROGRAMS += bench/torchbench
bench_torchbench_SOURCES = bench/torch-main.cc bench/torchbench.h bench/torch-cases.h \
	bench/torch-cases-core.cc bench/torch-cases-ops.cc bench/torch-cases-nn.cc \
	bench/torch-cases-ops14.cc
bench_torchbench_CPPFLAGS = $(BENCHMARK_CFLAGS)
bench_torchbench_CXXFLAGS = $(AM_CXXFLAGS) $(L2_CFLAGS) $(TORCH_CXXFLAGS)
bench_torchbench_LDADD = $(TORCH_LIBS) $(BENCHMARK_LIBS) -ldl
TORCHBENCH = bench/torchbench
TORCH_SMOKE = $(SHELL) $(abs_top_srcdir)/bench/torch-smoke.sh
else
TORCH_SMOKE = echo "bench-smoke: no bench/torchbench (libtorch not found), not checked"
endif

BENCH_ENV = L2_BUILDDIR='$(abs_top_builddir)' L2_SRCDIR='$(abs_top_srcdir)' \
	PYTHON_TORCH='$(PYTHON_TORCH)' BENCH_CC='$(CC)' BENCH_CFLAGS='$(L2_CFLAGS) $(CFLAGS)' \
	BENCH_CXX='$(CXX)' BENCH_CXXFLAGS='$(CXXFLAGS)' BENCHMARK_CFLAGS='$(BENCHMARK_CFLAGS)' \
	BENCHMARK_LIBS='$(BENCHMARK_LIBS)' OPENBLAS_CFLAGS='$(OPENBLAS_CFLAGS)' \
	OPENBLAS_LIBS='$(OPENBLAS_LIBS)' OPENMP_CFLAGS='$(OPENMP_CFLAGS)'

.PHONY: bench-report bench-compare bench-smoke bench-torch
if HAVE_BENCHMARK
# The report also times examples/fashion_mnist against its torch twin: built here too, since the
# README's first command runs this target in a fresh tree without `make all`.
bench-report: bench/l2bench $(TORCHBENCH) examples/fashion_mnist
	$(BENCH_ENV) $(PYTHON_TORCH) $(abs_top_srcdir)/bench/report.py --profile '$(PROFILE)'

bench-compare: bench/l2bench
	$(BENCH_ENV) $(SHELL) $(abs_top_srcdir)/bench/compare.sh '$(BASE)' '$(HEAD)'

bench-smoke: bench/l2bench $(TORCHBENCH)
	$(BENCH_ENV) $(SHELL) $(abs_top_srcdir)/bench/smoke.sh
	$(BENCH_ENV) $(TORCH_SMOKE)
endif

# make bench-torch [TORCH_JSON=file]: torchbench over l2bench's cases to Google Benchmark JSON.
TORCH_JSON = $(abs_top_builddir)/bench/out/torchbench.json
if BUILD_TORCHBENCH
bench-torch: bench/l2bench bench/torchbench
	$(BENCH_ENV) $(SHELL) $(abs_top_srcdir)/bench/torch-run.sh '$(TORCH_JSON)'
else
bench-torch:
	@echo "bench/torchbench needs libtorch-dev and libbenchmark-dev (ci/install-deps)"; exit 1
endif

if !HAVE_BENCHMARK
bench-report bench-compare bench-smoke:
	@echo "Google Benchmark not found: install libbenchmark-dev (ci/install-deps)"; exit 1
endif
EXTRA_DIST += bench/torch_compose.py # compose (issue 15)

# The report's second round (bench/report_confirm.py) on made-up rows: which cases it measures
# again and what it confirms (no benchmark is run).
TESTS += tests/bench-report-confirm.sh
EXTRA_DIST += tests/bench-report-confirm.sh
