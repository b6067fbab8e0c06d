/* cases-ops14b.c: issue 14's later sorting and selection, scan, reduction, sampling, activation
 * and distance ops, forward and forward + backward, float32, full profile only: rows for the
 * generic runner of cases-ops14.c (ops14_add_rows; the inputs: IN_* in cases.h). The torch twins
 * are in bench/torch_ops14.py under "op/variant". */
#include "cases.h"

/* ---- the calls: t[0] the input, t[1..] the other operands ---- */

/* The values of an op that also returns indices (or a second result): the other dropped. */
static l2_tensor *drop2(l2_tensor *y, l2_tensor *other)
{
    l2_tensor_release(other);
    return y;
}

static const int D0[1] = {0}, D1[1] = {1};

static l2_tensor *f_argsort(l2_tensor **t) { return l2_argsort(t[0], 1, false, false); }
static l2_tensor *f_msort(l2_tensor **t) { return l2_msort(t[0]); }
static l2_tensor *f_kthvalue(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_kthvalue(t[0], 512, 1, false, &i);
    return drop2(y, i);
}
static l2_tensor *f_median(l2_tensor **t) { return l2_median(t[0]); }
static l2_tensor *f_median_dim(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_median_dim(t[0], 1, false, &i);
    return drop2(y, i);
}
static l2_tensor *f_mode(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_mode(t[0], 1, false, &i);
    return drop2(y, i);
}
static l2_tensor *f_searchsorted(l2_tensor **t) { return l2_searchsorted(t[0], t[1], false, NULL); }
static l2_tensor *f_bucketize(l2_tensor **t) { return l2_bucketize(t[1], t[0], false); }
static l2_tensor *f_cummin(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_cummin(t[0], 1, &i);
    return drop2(y, i);
}
static l2_tensor *f_amin(l2_tensor **t) { return l2_amin(t[0], 1, D0, false); }
static l2_tensor *f_aminmax(l2_tensor **t)
{
    l2_tensor *mx = NULL, *y = l2_aminmax(t[0], D1, false, &mx);
    return drop2(y, mx);
}
static l2_tensor *f_nanmean(l2_tensor **t) { return l2_nanmean(t[0], 1, D1, false); }
static l2_tensor *f_count_nonzero(l2_tensor **t) { return l2_count_nonzero(t[0], 1, D1); }
static l2_tensor *f_var_mean(l2_tensor **t)
{
    l2_tensor *m = NULL, *y = l2_var_mean(t[0], 1, D1, 1.0, false, &m);
    return drop2(y, m);
}
static l2_tensor *f_std_mean(l2_tensor **t)
{
    l2_tensor *m = NULL, *y = l2_std_mean(t[0], 1, D1, 1.0, false, &m);
    return drop2(y, m);
}
static l2_tensor *f_bernoulli_p(l2_tensor **t) { return l2_bernoulli_p(t[0], 0.5); }
static l2_tensor *f_hardtanh(l2_tensor **t) { return l2_hardtanh(t[0], -1.0, 1.0); }
static l2_tensor *f_relu6(l2_tensor **t) { return l2_relu6(t[0]); }
static l2_tensor *f_hardsigmoid(l2_tensor **t) { return l2_hardsigmoid(t[0]); }
static l2_tensor *f_selu(l2_tensor **t) { return l2_selu(t[0]); }
static l2_tensor *f_celu(l2_tensor **t) { return l2_celu(t[0], 1.0); }
static l2_tensor *f_logsigmoid(l2_tensor **t) { return l2_logsigmoid(t[0]); }
static l2_tensor *f_softsign(l2_tensor **t) { return l2_softsign(t[0]); }
static l2_tensor *f_tanhshrink(l2_tensor **t) { return l2_tanhshrink(t[0]); }
static l2_tensor *f_prelu(l2_tensor **t) { return l2_prelu(t[0], t[1]); }
static l2_tensor *f_glu(l2_tensor **t) { return l2_glu(t[0], 1); }
static l2_tensor *f_gelu_tanh(l2_tensor **t) { return l2_gelu(t[0], true); }
static l2_tensor *f_gelu(l2_tensor **t) { return l2_gelu(t[0], false); }
static l2_tensor *f_cosine_similarity(l2_tensor **t)
{
    return l2_cosine_similarity(t[0], t[1], 1, 1e-8);
}
static l2_tensor *f_pairwise_distance(l2_tensor **t)
{
    return l2_pairwise_distance(t[0], t[1], 2.0, 1e-6, false);
}
static l2_tensor *f_normalize(l2_tensor **t) { return l2_normalize(t[0], 2.0, 1, 1e-12); }

#define ROW(op, var, shape, in, grad, f) {#op, var, shape, in, grad, f, NULL}

static const ops14_row rows[] = {
    /* sorting and selection, scans */
    ROW(argsort, "dim1", "1024x1024", IN_RANDN, 0, f_argsort),
    ROW(msort, "dim0", "1024x1024", IN_RANDN, 1, f_msort),
    ROW(kthvalue, "k512dim1", "1024x1024", IN_RANDN, 1, f_kthvalue),
    ROW(median, "all", "1024x1024", IN_RANDN, 1, f_median),
    ROW(median, "dim1", "1024x1024", IN_RANDN, 1, f_median_dim),
    ROW(mode, "dim1", "1024x1024", IN_RANDN, 1, f_mode),
    ROW(searchsorted, "rows", "1024x1024-1024x1024", IN_SORT0, 0, f_searchsorted),
    ROW(bucketize, "b1024", "1024-1024x1024", IN_SORT0, 0, f_bucketize),
    ROW(cummin, "dim1", "1024x1024", IN_RANDN, 1, f_cummin),
    /* reductions */
    ROW(amin, "dim0", "1024x1024", IN_RANDN, 1, f_amin),
    ROW(aminmax, "dim1", "1024x1024", IN_RANDN, 0, f_aminmax), /* torch 1.13: no gradient */
    ROW(nanmean, "dim1", "1024x1024", IN_RANDN, 1, f_nanmean),
    ROW(count_nonzero, "half", "1024x1024", IN_RELU, 0, f_count_nonzero),
    ROW(var_mean, "dim1", "1024x1024", IN_RANDN, 1, f_var_mean),
    ROW(std_mean, "dim1", "1024x1024", IN_RANDN, 1, f_std_mean),
    /* sampling (bernoulli(p tensor), multinomial and normal(tensor, tensor): cases-nn.c) */
    ROW(bernoulli_p, "p0.5", "1024x1024", IN_RAND, 0, f_bernoulli_p),
    /* activations (gelu exact on [0.5, 1.5), forward only: cases-nn.c) */
    ROW(hardtanh, "m1p1", "1024x1024", IN_RANDN, 1, f_hardtanh),
    ROW(relu6, "contig", "1024x1024", IN_RANDN, 1, f_relu6),
    ROW(hardsigmoid, "contig", "1024x1024", IN_RANDN, 1, f_hardsigmoid),
    ROW(selu, "contig", "1024x1024", IN_RANDN, 1, f_selu),
    ROW(celu, "a1", "1024x1024", IN_RANDN, 1, f_celu),
    ROW(logsigmoid, "contig", "1024x1024", IN_RANDN, 1, f_logsigmoid),
    ROW(softsign, "contig", "1024x1024", IN_RANDN, 1, f_softsign),
    ROW(tanhshrink, "contig", "1024x1024", IN_RANDN, 1, f_tanhshrink),
    ROW(prelu, "c16", "64x16x32x32-16", IN_RANDN, 3, f_prelu),
    ROW(glu, "dim1", "1024x1024", IN_RANDN, 1, f_glu),
    ROW(gelu, "tanh", "1024x1024", IN_RANDN, 1, f_gelu_tanh),
    ROW(gelu, "exact", "1024x1024", IN_RANDN, 1, f_gelu),
    /* distances */
    ROW(cosine_similarity, "dim1", "1024x1024-1024x1024", IN_RANDN, 3, f_cosine_similarity),
    ROW(pairwise_distance, "p2", "1024x1024-1024x1024", IN_RANDN, 3, f_pairwise_distance),
    ROW(normalize, "p2dim1", "1024x1024", IN_RANDN, 1, f_normalize),
};

void bench_cases_ops14b(void) { ops14_add_rows(rows, (int)(sizeof rows / sizeof rows[0])); }
