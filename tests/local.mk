# C tests (TAP), one program per area, each its own process under Automake's TAP driver.
TEST_LDADD = libl2/libl2.la
C_TESTS += \
	tests/test-tensor \
	tests/test-view \
	tests/test-io \
	tests/test-optim \
	tests/test-train-loop \
	tests/test-autograd \
	tests/test-oom \
	tests/test-inplace \
	tests/test-overflow

check_PROGRAMS += $(C_TESTS)
TESTS += $(C_TESTS)
EXTRA_DIST += tests/tap.h tests/gradcheck.h tests/testutil.h

tests_test_tensor_SOURCES = tests/test-tensor.c tests/tap.h
tests_test_tensor_LDADD = $(TEST_LDADD)
tests_test_view_SOURCES = tests/test-view.c tests/tap.h
tests_test_view_LDADD = $(TEST_LDADD)
tests_test_io_SOURCES = tests/test-io.c tests/tap.h
tests_test_io_LDADD = $(TEST_LDADD) $(ZLIB_LIBS)
tests_test_optim_SOURCES = tests/test-optim.c tests/tap.h
tests_test_optim_LDADD = $(TEST_LDADD) -lm
tests_test_train_loop_SOURCES = tests/test-train-loop.c tests/tap.h tests/testutil.h
tests_test_train_loop_LDADD = $(TEST_LDADD)
tests_test_autograd_SOURCES = tests/test-autograd.c tests/tap.h tests/testutil.h
tests_test_autograd_LDADD = $(TEST_LDADD)
tests_test_oom_SOURCES = tests/test-oom.c tests/tap.h
tests_test_oom_LDADD = $(TEST_LDADD)
tests_test_inplace_SOURCES = tests/test-inplace.c tests/tap.h tests/testutil.h
tests_test_inplace_LDADD = $(TEST_LDADD)
C_TESTS += tests/test-layers
tests_test_layers_SOURCES = tests/test-layers.c tests/tap.h tests/gradcheck.h tests/testutil.h
tests_test_layers_LDADD = $(TEST_LDADD) -lm

# Ownership: scopes, live-tensor count, memory statistics, leak report, released-tensor use.
C_TESTS += tests/test-ownership
tests_test_ownership_SOURCES = tests/test-ownership.c tests/tap.h
tests_test_ownership_LDADD = $(TEST_LDADD) -lpthread
tests_test_overflow_SOURCES = tests/test-overflow.c tests/tap.h
tests_test_overflow_LDADD = $(TEST_LDADD)

# The hostile-input suite (issue 9): every public function of l2.h with hostile arguments, each
# call in a forked child. Under valgrind it runs a reduced sweep (see tests/test-hostile.c).
C_TESTS += tests/test-hostile
HOSTILE_SOURCES = tests/hostile.h tests/hostile-list.h tests/hostile-util.c \
	tests/hostile-ops.c tests/hostile-reduce.c tests/hostile-core.c tests/hostile-view.c \
	tests/hostile-autograd.c tests/hostile-nn.c tests/hostile-io.c tests/hostile-layers.c \
	tests/hostile-sample.c
HOSTILE_SOURCES += tests/hostile-sort.c # sort (issue 14)
HOSTILE_SOURCES += tests/hostile-scan.c # scan (issue 14)
HOSTILE_SOURCES += tests/hostile-act.c # act (issue 14)
HOSTILE_SOURCES += tests/hostile-loss2.c # loss (issue 14)
HOSTILE_SOURCES += tests/hostile-adv.c # adv (issue 14)
HOSTILE_SOURCES += tests/hostile-shape.c # shape (issue 14)
HOSTILE_SOURCES += tests/hostile-conv2.c # conv2 (issue 14)
HOSTILE_SOURCES += tests/hostile-conv3.c # conv3 (issue 14)
HOSTILE_SOURCES += tests/hostile-index3.c # index3 (issue 14)
HOSTILE_SOURCES += tests/hostile-uniq.c # uniq (issue 14)
HOSTILE_SOURCES += tests/hostile-la.c # la (issue 15)
HOSTILE_SOURCES += tests/hostile-seq.c # seq (issue 15)
HOSTILE_SOURCES += tests/hostile-lsq.c # lsqnorm (issue 15)
HOSTILE_SOURCES += tests/hostile-data.c # data (issue 16)
HOSTILE_SOURCES += tests/hostile-tconv3.c # conv3d (issue 15, session 15)
HOSTILE_SOURCES += tests/hostile-sched.c # sched (issue 16)
tests_test_hostile_SOURCES = tests/test-hostile.c tests/tap.h $(HOSTILE_SOURCES)
tests_test_hostile_LDADD = $(TEST_LDADD) -lm
tests_test_hostile_CPPFLAGS = $(AM_CPPFLAGS) -DL2_TOP_SRCDIR='"$(abs_top_srcdir)"'

# Large tensors at 1, 2 and 3 threads against a plain C reference (OpenMP and tiled paths).
C_TESTS += tests/test-threads
tests_test_threads_SOURCES = tests/test-threads.c tests/tap.h
tests_test_threads_LDADD = $(TEST_LDADD) -lm
# The internal threshold query, and an outer-dim reduction on both sides of its thresholds.
C_TESTS += tests/test-threshold
tests_test_threshold_SOURCES = tests/test-threshold.c tests/tap.h
tests_test_threshold_LDADD = $(TEST_LDADD)

# vmath (issue 12): vector math kernels against the generic loops; random fills.
C_TESTS += tests/test-vmath
tests_test_vmath_SOURCES = tests/test-vmath.c tests/tap.h
tests_test_vmath_LDADD = $(TEST_LDADD) -lm
C_TESTS += tests/test-random
tests_test_random_SOURCES = tests/test-random.c tests/tap.h
tests_test_random_LDADD = $(TEST_LDADD) -lm
# Memory (issue 12): the caching allocator, its thresholds from 1-3 OpenMP threads, flat memory
# over a training loop, gradient adoption without aliasing.
C_TESTS += tests/test-alloc
tests_test_alloc_SOURCES = tests/test-alloc.c tests/tap.h tests/testutil.h
tests_test_alloc_CFLAGS = $(AM_CFLAGS) $(OPENMP_CFLAGS)
tests_test_alloc_LDADD = $(TEST_LDADD) $(OPENMP_CFLAGS) -lm
# fills (issue 12): creation fills, arange and the contiguous dtype cast.
C_TESTS += tests/test-fills
tests_test_fills_SOURCES = tests/test-fills.c tests/tap.h
tests_test_fills_LDADD = $(TEST_LDADD) -lm
# Broadcast gradients (issue 12): l2__sum_to's row path on both sides of sumto_rows_min.
C_TESTS += tests/test-sumto
tests_test_sumto_SOURCES = tests/test-sumto.c tests/tap.h tests/testutil.h
tests_test_sumto_LDADD = $(TEST_LDADD) -lm
# random, reductions, copies (issue 12, area rr): transposed and broadcast copies.
C_TESTS += tests/test-copies
tests_test_copies_SOURCES = tests/test-copies.c tests/tap.h tests/gradcheck.h tests/testutil.h
tests_test_copies_LDADD = $(TEST_LDADD) -lm

# Higher-order gradients (issue 15): create_graph.
C_TESTS += tests/test-create-graph
tests_test_create_graph_SOURCES = tests/test-create-graph.c tests/tap.h tests/gradcheck.h \
	tests/testutil.h
tests_test_create_graph_LDADD = $(TEST_LDADD) -lm
HOSTILE_SOURCES += tests/hostile-state.c # state (issue 16)
# the grad-ready hook (issue 17: data-parallel overlap with backward)
C_TESTS += tests/test-grad-hook
tests_test_grad_hook_SOURCES = tests/test-grad-hook.c tests/tap.h tests/testutil.h tests/gradcheck.h
tests_test_grad_hook_LDADD = $(TEST_LDADD) -lm
