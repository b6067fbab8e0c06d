# oracle/: the PyTorch oracle (differential tests of every op against torch 1.13), its make check
# entries and the deep profile. See oracle/README.md.
TESTS += tests/oracle.sh tests/oracle-mutation.sh tests/graph-oracle.sh tests/gradcheck.sh \
	tests/torch-saves.sh
EXTRA_DIST += tests/oracle.sh tests/oracle-mutation.sh tests/graph-oracle.sh tests/gradcheck.sh \
	tests/torch-saves.sh oracle/torch_saves.py \
	oracle/gradcheck.py oracle/mags.py \
	oracle/graph_oracle.py oracle/graph_ir.py oracle/graph_gen.py oracle/graph_run.py \
	oracle/graph_known.py oracle/README.md oracle/run.py oracle/registry.py oracle/gen.py \
	oracle/reg_elementwise.py oracle/reg_reduce.py oracle/reg_nn.py oracle/onecase.py \
	oracle/reg_conv_compose.py oracle/reg_index2.py oracle/reg_sort.py oracle/reg_sample.py \
	oracle/reg_index3.py \
	oracle/sizes_speed8.py oracle/sizes_speed11.py oracle/sizes_plans.py oracle/sizes_shapes.py \
	oracle/sizes_speed12.py oracle/sizes_speed15.py oracle/sizes_speed16.py oracle/sizes_speed17.py \
	oracle/sizes_speed18.py oracle/sizes_speed19.py oracle/sizes_speed20.py oracle/sizes_speed21.py \
	oracle/l2lib.py oracle/compare.py oracle/known.py oracle/mutation.sh oracle/corpus \
	oracle/coverage.py oracle/coverage-ci.txt oracle/supervise.py oracle/sizes.py oracle/errkind.py

# The deep profile: >= 100,000 cases, random seed printed (ORACLE_SEED=N to replay a run;
# ORACLE_MINUTES=N for a time budget of N minutes, spread over the ops;
# ORACLE_ARGS for more run.py options, e.g. ORACLE_ARGS="--ops add,sum --cases 5000").
oracle-deep: all
	L2_BUILDDIR='$(abs_top_builddir)' L2_SRCDIR='$(abs_top_srcdir)' \
	  $(PYTHON_TORCH) $(abs_top_srcdir)/oracle/run.py --profile deep \
	  $${ORACLE_SEED:+--seed $$ORACLE_SEED} $${ORACLE_MINUTES:+--minutes $$ORACLE_MINUTES} \
	  --json oracle-deep.json $(ORACLE_ARGS)
.PHONY: oracle-deep
CLEANFILES += oracle-deep.json

# The CI profile's coverage table, committed as oracle/coverage-ci.txt: make check fails when a
# cell filled there is empty (oracle/coverage.py). Regenerate it when the cases change on purpose.
oracle-coverage: all
	L2_BUILDDIR='$(abs_top_builddir)' L2_SRCDIR='$(abs_top_srcdir)' \
	  $(PYTHON_TORCH) $(abs_top_srcdir)/oracle/run.py --profile ci \
	  --coverage-out $(abs_top_srcdir)/oracle/coverage-ci.txt
.PHONY: oracle-coverage

# The graph oracle's deep profile: 20,000 random graphs per dtype, random seed printed
# (GRAPH_SEED=N to replay a run).
graph-oracle-deep: all
	L2_BUILDDIR='$(abs_top_builddir)' L2_SRCDIR='$(abs_top_srcdir)' \
	  $(PYTHON_TORCH) $(abs_top_srcdir)/oracle/graph_oracle.py --profile deep \
	  $${GRAPH_SEED:+--seed $$GRAPH_SEED}
.PHONY: graph-oracle-deep
EXTRA_DIST += oracle/reg_scan.py # scan (issue 14)
EXTRA_DIST += oracle/reg_act.py oracle/reg_shape.py oracle/reg_conv2.py oracle/reg_conv3.py # act, shape, conv2
EXTRA_DIST += oracle/reg_loss2.py # loss (issue 14)
EXTRA_DIST += oracle/reg_uniq.py oracle/reg_adv.py # uniq, adv (issue 14)
EXTRA_DIST += oracle/reg_rnn.py # rnn (issue 15)
EXTRA_DIST += oracle/reg_decomp.py oracle/matgen.py # la2 (issue 15)
EXTRA_DIST += oracle/reg_einsum.py # compose (issue 15)
EXTRA_DIST += oracle/reg_lapack.py # la1 (issue 15)
EXTRA_DIST += oracle/reg_mha.py # mha (issue 15)
# Second derivatives (issue 15, create_graph): tests/gradgrad.sh in make check (the CI profile);
# make oracle-gradgrad runs the deep profile (more cases and directions per op).
TESTS += tests/gradgrad.sh
EXTRA_DIST += tests/gradgrad.sh oracle/gradgrad.py oracle/gradgrad_graph.py oracle/gradgrad_ops.txt
oracle-gradgrad: all
	L2_BUILDDIR='$(abs_top_builddir)' L2_SRCDIR='$(abs_top_srcdir)' \
	  $(PYTHON_TORCH) $(abs_top_srcdir)/oracle/gradgrad.py --profile deep $(GRADGRAD_ARGS)
.PHONY: oracle-gradgrad
EXTRA_DIST += oracle/reg_svd.py # svd (issue 15)
EXTRA_DIST += oracle/reg_norm.py # lsqnorm (issue 15)
EXTRA_DIST += oracle/reg_baddbmm.py # baddbmm (issue 15)
EXTRA_DIST += oracle/la_signs.py # the sign rule of reg_svd.py and reg_decomp.py (issue 15)
EXTRA_DIST += oracle/reg_half.py # bfloat16 / float16 entries (issue 16, horacle)
