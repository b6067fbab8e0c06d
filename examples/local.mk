# Examples: the README quick start (run by make check), the Fashion-MNIST trainer, and the libl2
# side of the training oracle.
noinst_PROGRAMS += examples/fashion_mnist examples/train_check examples/quickstart
examples_fashion_mnist_SOURCES = examples/fashion_mnist.c examples/fashion_model.h \
	examples/fashion_resume.h
examples_fashion_mnist_LDADD = libl2/libl2.la
examples_train_check_SOURCES = examples/train_check.c
examples_train_check_LDADD = libl2/libl2.la
examples_quickstart_SOURCES = examples/quickstart.c
examples_quickstart_LDADD = libl2/libl2.la

TESTS += tests/examples.sh tests/train-oracle.sh
EXTRA_DIST += tests/examples.sh tests/train-oracle.sh oracle/train_oracle.py oracle/tap.py

# Train both models on Fashion-MNIST (2 epochs each) and save their weights.
# The '+' marks the lines as make's own kind (as recursive makes): GNU make's output
# synchronisation (-O, --output-sync, with -j) then leaves their output alone instead of holding
# it until the line ends, so the progress and each epoch's summary show as training goes. (It
# also makes `make -n fashion-mnist` run them.)
fashion-mnist: examples/fashion_mnist
	+$(builddir)/examples/fashion_mnist --model mlp --epochs 2 --out $(builddir)/mlp.safetensors
	+$(builddir)/examples/fashion_mnist --model cnn --epochs 2 --out $(builddir)/cnn.safetensors
.PHONY: fashion-mnist

# The checkpoint oracle (issue 16, area state): libl2 side and its test.
noinst_PROGRAMS += examples/train_resume
examples_train_resume_SOURCES = examples/train_resume.c
examples_train_resume_LDADD = libl2/libl2.la
TESTS += tests/train-resume.sh
EXTRA_DIST += tests/train-resume.sh oracle/train_resume.py
noinst_PROGRAMS += examples/evaluate
examples_evaluate_SOURCES = examples/evaluate.c examples/fashion_model.h
examples_evaluate_LDADD = libl2/libl2.la

# fashion_mnist --resume (issue 16): a stopped and resumed run ends bitwise as the straight run.
TESTS += tests/fashion-resume.sh
EXTRA_DIST += tests/fashion-resume.sh
# fashion_mnist --distributed (issue 17, area mpi): libl2-dist when configure found MPI.
examples_fashion_mnist_SOURCES += examples/fashion_dist.c examples/fashion_dist.h
if HAVE_MPI
examples_fashion_mnist_LDADD += libl2/dist/libl2-dist.la
endif
