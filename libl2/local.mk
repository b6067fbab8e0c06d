# libl2: the library. Only l2_-prefixed symbols are exported.
lib_LTLIBRARIES += libl2/libl2.la
include_HEADERS += libl2/l2.h
pkgconfig_DATA += libl2/l2.pc

libl2_libl2_la_SOURCES = \
	libl2/l2.h libl2/l2-impl.h libl2/checked.h libl2/autograd-impl.h \
	libl2/error.c libl2/alloc.c libl2/tensor.c libl2/create.c libl2/access.c \
	libl2/broadcast.c libl2/iter.c \
	libl2/random.c libl2/print.c libl2/dlpack.c libl2/autograd.c libl2/autograd-engine.c \
	libl2/threshold.c libl2/threshold-list.h \
	libl2/ops/op-table.h libl2/ops/list-view.h libl2/ops/list-elementwise.h \
	libl2/ops/list-reduce.h libl2/ops/list-linalg.h libl2/ops/list-index.h \
	libl2/ops/list-nn.h libl2/ops/list-conv.h \
	libl2/ops/view.c libl2/ops/index-string.c libl2/ops/copy.c \
	libl2/io/safetensors.c libl2/io/idx.c \
	libl2/nn/optim.c libl2/nn/params.c libl2/nn/layers.c
libl2_libl2_la_CPPFLAGS = $(AM_CPPFLAGS) $(OPENBLAS_CFLAGS) $(ZLIB_CFLAGS)
libl2_libl2_la_LIBADD = $(OPENBLAS_LIBS) $(ZLIB_LIBS) -lm
# vmath (issue 12): vector math kernels, SLEEF optional.
libl2_libl2_la_SOURCES += libl2/vmath.h libl2/vmath.c
libl2_libl2_la_CPPFLAGS += $(SLEEF_CFLAGS)
libl2_libl2_la_LIBADD += $(SLEEF_LIBS)
# fills (issue 12): creation fills and arange kernels.
libl2_libl2_la_SOURCES += libl2/fill.c
# broadcast gradients (issue 12): the row path of l2__sum_to
libl2_libl2_la_SOURCES += libl2/sum-rows.c
libl2_libl2_la_LDFLAGS = $(AM_LDFLAGS) $(OPENMP_CFLAGS) -version-info $(L2_LT_VERSION) \
	-export-symbols-regex '^l2_[a-z]'
EXTRA_DIST += libl2/l2.pc.in

# One fragment per op family: each adds its sources to libl2 and its tests to the suite.
include libl2/ops/elementwise.mk
include libl2/ops/reduce.mk
include libl2/ops/linalg.mk
include libl2/ops/index.mk
include libl2/ops/nn.mk
include libl2/ops/conv.mk
include libl2/ops/conv-compose.mk
include libl2/ops/index2.mk # index2 (issue 14)
include libl2/ops/sort.mk # sort (issue 14)
include libl2/ops/sample.mk # sample (issue 14)
include libl2/ops/scan.mk # scan (issue 14)
include libl2/ops/act.mk # act (issue 14)
# shape ops (issue 14)
include libl2/ops/shape.mk
include libl2/ops/conv2.mk # conv2 (issue 14)
include libl2/ops/index3.mk # index3 (issue 14)
include libl2/ops/conv3.mk # conv3 (issue 14)
include libl2/ops/loss2.mk # loss (issue 14)
include libl2/ops/uniq.mk # uniq (issue 14)
include libl2/ops/adv.mk # adv (issue 14)
include libl2/nn/rnn.mk # rnn (issue 15)
include libl2/ops/lapack-decomp.mk # la2 (issue 15)
include libl2/ops/compose-la.mk # compose (issue 15)
include libl2/ops/lapack.mk # la1 (issue 15)
include libl2/nn/attention.mk # mha (issue 15)
include libl2/ops/lapack-svd.mk # svd (issue 15)
include libl2/ops/lapack-lsq.mk # lsqnorm (issue 15)
include libl2/ops/cg-viewidx.mk # cg-viewidx (issue 15)
include libl2/ops/baddbmm.mk # baddbmm (issue 15)
include libl2/nn/state.mk # state (issue 16)
include libl2/io/data.mk # data (issue 16)
include libl2/nn/sched.mk # sched (issue 16)
include libl2/half.mk # half (issue 16)
include libl2/dist/dist.mk # mpi (issue 17)
