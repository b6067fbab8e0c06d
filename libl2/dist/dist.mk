# libl2-dist (issue 17): data-parallel training on MPI, a library of its own so that the core
# libl2 never includes mpi.h nor links libmpi (tests/dist.sh checks libl2 with nm). Built,
# installed and tested only when configure found MPI (--with-mpi).
EXTRA_DIST += libl2/dist/l2-dist.pc.in libl2/dist/l2_dist.h libl2/dist/dist.c \
	libl2/dist/sampler.c tests/dist.sh tests/dist_sampler_torch.py \
	libl2/dist/dist-internal.h libl2/dist/ddp.c tests/dist-overlap.c
if HAVE_MPI
lib_LTLIBRARIES += libl2/dist/libl2-dist.la
include_HEADERS += libl2/dist/l2_dist.h
pkgconfig_DATA += libl2/dist/l2-dist.pc
libl2_dist_libl2_dist_la_SOURCES = libl2/dist/l2_dist.h libl2/dist/dist.c libl2/dist/sampler.c \
	libl2/dist/dist-internal.h libl2/dist/ddp.c
libl2_dist_libl2_dist_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libl2/dist $(MPI_CFLAGS)
libl2_dist_libl2_dist_la_LIBADD = libl2/libl2.la $(MPI_LIBS) -lm
libl2_dist_libl2_dist_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(L2_LT_VERSION) \
	-export-symbols-regex '^l2_dist_'
# The tests: the MPI programs run by tests/dist.sh under mpirun (see there).
check_PROGRAMS += tests/dist-train tests/dist-args tests/dist-overlap
tests_dist_overlap_SOURCES = tests/dist-overlap.c tests/tap.h tests/dist-mlp.h
tests_dist_overlap_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libl2/dist $(MPI_CFLAGS)
tests_dist_overlap_LDADD = libl2/dist/libl2-dist.la libl2/libl2.la $(MPI_LIBS) -lm
tests_dist_train_SOURCES = tests/dist-train.c tests/tap.h tests/dist-mlp.h
tests_dist_train_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libl2/dist $(MPI_CFLAGS)
tests_dist_train_LDADD = libl2/dist/libl2-dist.la libl2/libl2.la $(MPI_LIBS) -lm
tests_dist_args_SOURCES = tests/dist-args.c tests/tap.h
tests_dist_args_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libl2/dist
tests_dist_args_LDADD = libl2/dist/libl2-dist.la libl2/libl2.la
endif
TESTS += tests/dist.sh
AM_TESTS_ENVIRONMENT += HAVE_MPI='$(HAVE_MPI)'; export HAVE_MPI; MPIRUN='$(MPIRUN)'; export MPIRUN;
# make bench-dist (not in CI): all-reduce bandwidth, bucketing, fashion_mnist at 1 and 2 ranks.
EXTRA_DIST += bench/dist-bench.c bench/dist-bench.sh
if HAVE_MPI
noinst_PROGRAMS += bench/dist-bench
bench_dist_bench_SOURCES = bench/dist-bench.c
bench_dist_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libl2/dist $(MPI_CFLAGS)
bench_dist_bench_LDADD = libl2/dist/libl2-dist.la libl2/libl2.la $(MPI_LIBS)
bench-dist: bench/dist-bench examples/fashion_mnist
	MPIRUN='$(MPIRUN)' $(SHELL) $(srcdir)/bench/dist-bench.sh $(builddir)
else
bench-dist:
	@echo "bench-dist: configure found no MPI (--with-mpi)"; exit 1
endif
.PHONY: bench-dist
