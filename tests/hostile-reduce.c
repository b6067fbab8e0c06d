/* hostile-reduce.c: hostile-input entries for reductions, linear algebra and indexing. */
#include "hostile.h"

#include <stddef.h>

/* ---- Reductions ------------------------------------------------------------------------------ */

static void sweep_all(h_unary_fn f)
{
    sweep_unary_kinds(f, K_HUGE);
}

void h_l2_sum(void)
{
    sweep_all(l2_sum);
    CASE("int64 overflowing sum") ANY_T(l2_sum(mk_kind(K_SPECIAL, L2_INT64)));
}

void h_l2_mean(void)
{
    sweep_all(l2_mean);
    CASE("int64") FAIL_T(L2_ERR_DTYPE, l2_mean(MK(L2_INT64, 3)));
}

void h_l2_prod(void)
{
    sweep_all(l2_prod);
}

void h_l2_max(void)
{
    sweep_all(l2_max);
    CASE("empty") FAIL_T(L2_ERR_ARG, l2_max(MK(L2_FLOAT32, 0)));
}

void h_l2_min(void)
{
    sweep_all(l2_min);
    CASE("empty") FAIL_T(L2_ERR_ARG, l2_min(MK(L2_FLOAT32, 0)));
}

void h_l2_argmax(void)
{
    sweep_all(l2_argmax);
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_argmax(MK(L2_BOOL, 3)));
}

void h_l2_argmin(void)
{
    sweep_all(l2_argmin);
    CASE("empty") FAIL_T(L2_ERR_ARG, l2_argmin(MK(L2_FLOAT32, 0)));
}

void h_l2_all(void)
{
    sweep_all(l2_all);
}

void h_l2_any(void)
{
    sweep_all(l2_any);
}

/* A function of (t, dim), swept over hostile dims and tensors. */
typedef l2_tensor *(*h_dim_fn)(const l2_tensor *, int);

static void sweep_dim(const char *name, h_dim_fn f)
{
    (void)name;
    CASE("NULL") FAIL_T(L2_ERR_NULL, f(NULL, 0));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("(2,3) dim %d", h_bad_dims[i])
        FAIL_T(L2_ERR_DIM, f(MK(L2_FLOAT32, 2, 3), h_bad_dims[i]));
    CASE("0-d dim 1") FAIL_T(L2_ERR_DIM, f(mk_kind(K_0D, L2_FLOAT32), 1));
    CASE("0-d dim -2") FAIL_T(L2_ERR_DIM, f(mk_kind(K_0D, L2_FLOAT32), -2));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_HUGE; k++)
            CASE("%s %s dim -1", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(f(mk_kind(k, h_dtypes[d]), -1));
    CASE("empty dim 0") ANY_T(f(mk_kind(K_EMPTY, L2_FLOAT64), 0));
    CASE("rank 8 dim -8") ANY_T(f(MK(L2_FLOAT32, 1, 2, 1, 2, 1, 2, 1, 2), -8));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(f(mk_leaf(L2_FLOAT64), 1));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

#define DIMFN(n, expr)                                                                             \
    static l2_tensor *d_##n(const l2_tensor *t, int dim)                                           \
    {                                                                                              \
        return expr;                                                                               \
    }                                                                                              \
    void h_##n(void)                                                                               \
    {                                                                                              \
        sweep_dim(#n, d_##n);                                                                      \
    }

DIMFN(l2_prod_dim, l2_prod_dim(t, dim, false))
DIMFN(l2_argmax_dim, l2_argmax_dim(t, dim, true))
DIMFN(l2_argmin_dim, l2_argmin_dim(t, dim, false))
DIMFN(l2_cumsum, l2_cumsum(t, dim))
DIMFN(l2_all_dim, l2_all_dim(t, dim, true))
DIMFN(l2_any_dim, l2_any_dim(t, dim, false))
DIMFN(l2_softmax, l2_softmax(t, dim))
DIMFN(l2_log_softmax, l2_log_softmax(t, dim))

static l2_tensor *maxd(const l2_tensor *t, int dim)
{
    l2_tensor *idx = (l2_tensor *)1;
    l2_tensor *r = l2_max_dim(t, dim, false, &idx);
    if (!r && idx)
        h_bad(__LINE__, "max_dim failed but left *indices non-NULL");
    return r;
}

static l2_tensor *mind(const l2_tensor *t, int dim)
{
    l2_tensor *idx = (l2_tensor *)1;
    l2_tensor *r = l2_min_dim(t, dim, true, &idx);
    if (!r && idx)
        h_bad(__LINE__, "min_dim failed but left *indices non-NULL");
    return r;
}

void h_l2_max_dim(void)
{
    sweep_dim("max_dim", maxd);
    CASE("NULL indices") ANY_T(l2_max_dim(MK(L2_FLOAT32, 2, 3), 1, true, NULL));
    CASE("empty dim") FAIL_T(L2_ERR_ARG, l2_max_dim(MK(L2_FLOAT32, 2, 0), 1, true, NULL));
}

void h_l2_min_dim(void)
{
    sweep_dim("min_dim", mind);
    CASE("empty dim") FAIL_T(L2_ERR_ARG, l2_min_dim(MK(L2_FLOAT32, 2, 0), 1, true, NULL));
}

/* A function of (t, ndims, dims), swept over hostile dim lists (h_dims_fn: hostile.h). */
void sweep_dims(h_dims_fn f)
{
    static const int dup[2] = {1, -1}, nine[9] = {0, 1, 0, 1, 0, 1, 0, 1, 0};
    CASE("NULL") FAIL_T(L2_ERR_NULL, f(NULL, 0, NULL));
    CASE("ndims 1, dims NULL") FAIL_T(L2_ERR_NULL, f(MK(L2_FLOAT32, 2, 3), 1, NULL));
    CASE("ndims -1") FAIL_T(H_ANY, f(MK(L2_FLOAT32, 2, 3), -1, dup));
    CASE("ndims INT_MIN") FAIL_T(H_ANY, f(MK(L2_FLOAT32, 2, 3), INT_MIN, dup));
    CASE("ndims 9") FAIL_T(H_ANY, f(MK(L2_FLOAT32, 2, 3), 9, nine));
    CASE("ndims INT_MAX") FAIL_T(H_ANY, f(MK(L2_FLOAT32, 2, 3), INT_MAX, nine));
    CASE("dims {1, -1}") FAIL_T(L2_ERR_ARG, f(MK(L2_FLOAT32, 2, 3), 2, dup));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
        FAIL_T(L2_ERR_DIM, f(MK(L2_FLOAT32, 2, 3), 1, &h_bad_dims[i]));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_HUGE; k++)
            CASE("%s %s all dims", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(f(mk_kind(k, h_dtypes[d]), 0, NULL));
    CASE("0-d dims {0}") ANY_T(f(mk_kind(K_0D, L2_FLOAT64), 1, dup));
    CASE("empty dims {0}") ANY_T(f(mk_kind(K_EMPTY, L2_FLOAT64), 1, (const int[]){0}));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(f(mk_leaf(L2_FLOAT64), 1, (const int[]){1}));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

#define DIMSFN(n, expr)                                                                            \
    static l2_tensor *ds_##n(const l2_tensor *t, int ndims, const int *dims)                       \
    {                                                                                              \
        return expr;                                                                               \
    }                                                                                              \
    void h_##n(void)                                                                               \
    {                                                                                              \
        sweep_dims(ds_##n);                                                                        \
    }

DIMSFN(l2_sum_dims, l2_sum_dims(t, ndims, dims, false))
DIMSFN(l2_mean_dims, l2_mean_dims(t, ndims, dims, true))
DIMSFN(l2_logsumexp, l2_logsumexp(t, ndims, dims, false))

static double h_corr = 1, h_p = 2;

static l2_tensor *var_c(const l2_tensor *t, int ndims, const int *dims)
{
    return l2_var(t, ndims, dims, h_corr, false);
}

static l2_tensor *std_c(const l2_tensor *t, int ndims, const int *dims)
{
    return l2_std(t, ndims, dims, h_corr, true);
}

static l2_tensor *norm_p(const l2_tensor *t, int ndims, const int *dims)
{
    return l2_norm(t, h_p, ndims, dims, false);
}

static void sweep_corr(h_dims_fn f)
{
    sweep_dims(f);
    for (int i = 0; i < h_nscalars; i++) {
        h_corr = h_scalars[i];
        CASE("correction %g", h_corr) ANY_T(f(MK(L2_FLOAT64, 2, 3), 0, NULL));
        CASE("correction %g, 1 element", h_corr) ANY_T(f(MK(L2_FLOAT32, 1), 0, NULL));
    }
    h_corr = 1;
}

void h_l2_var(void)
{
    sweep_corr(var_c);
}

void h_l2_std(void)
{
    sweep_corr(std_c);
}

void h_l2_norm(void)
{
    sweep_dims(norm_p);
    static const double ps[] = {0, -1, NAN, -INFINITY, INFINITY, 1e-300, 1e300, 0.5};
    for (int i = 0; i < (int)(sizeof ps / sizeof ps[0]); i++) {
        h_p = ps[i];
        if (ps[i] > 0)
            CASE("p %g", h_p) ANY_T(norm_p(mk_kind(K_SPECIAL, L2_FLOAT64), 0, NULL));
        else
            CASE("p %g", h_p) FAIL_T(L2_ERR_ARG, norm_p(MK(L2_FLOAT64, 3), 0, NULL));
    }
    h_p = 2;
}

/* ---- Linear algebra -------------------------------------------------------------------------- */

static void sweep_product(h_binary_fn f, int ra, int rb)
{
    static const int64_t s3[3] = {2, 3, 3};
    const int64_t *sa = s3 + 3 - ra, *sb = s3 + 3 - rb;
    CASE("NULL, t") FAIL_T(L2_ERR_NULL, f(NULL, mk(L2_FLOAT32, rb, sb)));
    CASE("t, NULL") FAIL_T(L2_ERR_NULL, f(mk(L2_FLOAT32, ra, sa), NULL));
    for (int a = 0; a < L2_DTYPE_COUNT; a++)
        for (int b = 0; b < L2_DTYPE_COUNT; b++)
            CASE("%s, %s", l2_dtype_name(h_dtypes[a]), l2_dtype_name(h_dtypes[b]))
    ANY_T(f(mk(h_dtypes[a], ra, sa), mk(h_dtypes[b], rb, sb)));
    CASE("0-d, 0-d") FAIL_T(H_ANY, f(mk_kind(K_0D, L2_FLOAT32), mk_kind(K_0D, L2_FLOAT32)));
    CASE("rank 8, rank 8")
    ANY_T(f(MK(L2_FLOAT32, 1, 1, 1, 1, 1, 1, 2, 3), MK(L2_FLOAT32, 1, 1, 1, 1, 1, 1, 3, 2)));
    if (f != l2_outer) /* outer has no K */
        CASE("K mismatch")
        FAIL_T(L2_ERR_SHAPE, f(mk(L2_FLOAT32, ra, sa), mk(L2_FLOAT32, 1, (const int64_t[]){7})));
    for (int k = 0; k < K_COUNT; k++)
        CASE("float64 %s, float64 %s", h_kind_name[k], h_kind_name[k])
    ANY_T(f(mk_kind(k, L2_FLOAT64), mk_kind(k, L2_FLOAT64)));
    CASE("int64 INT64_MIN by -1")
    {
        l2_tensor *a = l2_full(L2_SHAPE(1, 1), -9.3e18, L2_INT64);
        l2_tensor *b = l2_full(L2_SHAPE(1, 1), -1, L2_INT64);
        ANY_T(f(ra == 1   ? l2_reshape(a, L2_SHAPE(1))
                : ra == 3 ? l2_unsqueeze(a, 0)
                          : a,
                rb == 1   ? l2_reshape(b, L2_SHAPE(1))
                : rb == 3 ? l2_unsqueeze(b, 0)
                          : b));
    }
    CASE("huge K (stride 0), zero M")
    {
        l2_tensor *a = l2_expand(MK(L2_FLOAT32, 1, 1), L2_SHAPE(0, (int64_t)1 << 40));
        l2_tensor *b = l2_expand(MK(L2_FLOAT32, 1, 1), L2_SHAPE((int64_t)1 << 40, 2));
        ANY_T(f(a, b));
    }
    CASE("huge M, N (stride 0)")
    {
        l2_tensor *a = l2_expand(MK(L2_FLOAT32, 1, 1), L2_SHAPE((int64_t)1 << 32, 1));
        l2_tensor *b = l2_expand(MK(L2_FLOAT32, 1, 1), L2_SHAPE(1, (int64_t)1 << 32));
        ANY_T(f(a, b));
    }
    CASE("requires grad, then backward")
    {
        l2_tensor *a = l2_clone(mk(L2_FLOAT32, ra, sa));
        l2_set_requires_grad(a, true);
        l2_tensor *r = ANY_T(f(a, l2_t(mk(L2_FLOAT32, rb, sb))));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

void h_l2_matmul(void)
{
    sweep_product(l2_matmul, 2, 2);
    CASE("batch dims that do not broadcast")
    FAIL_T(L2_ERR_SHAPE, l2_matmul(MK(L2_FLOAT32, 2, 2, 3), MK(L2_FLOAT32, 3, 3, 2)));
}

void h_l2_mm(void)
{
    sweep_product(l2_mm, 2, 2);
    CASE("int64 INT64_MIN by -1 (1x1)")
    {
        l2_tensor *a = l2_from_data((const int64_t[]){INT64_MIN}, L2_SHAPE(1, 1), L2_INT64);
        ANY_T(l2_mm(a, l2_full(L2_SHAPE(1, 1), -1, L2_INT64)));
    }
}

void h_l2_bmm(void)
{
    sweep_product(l2_bmm, 3, 3);
}

void h_l2_mv(void)
{
    sweep_product(l2_mv, 2, 1);
}

void h_l2_dot(void)
{
    sweep_product(l2_dot, 1, 1);
}

void h_l2_outer(void)
{
    sweep_product(l2_outer, 1, 1);
    CASE("bool, bool") FAIL_T(H_ANY, l2_outer(MK(L2_BOOL, 2), MK(L2_BOOL, 2)));
}

static double h_beta = 1, h_alpha = 1;

static l2_tensor *addmm_ab(const l2_tensor *a, const l2_tensor *b)
{
    l2_tensor *c = l2_zeros(L2_SHAPE(1), a ? l2_dtype_of(a) : L2_FLOAT32);
    return l2_addmm(c, a, b, h_beta, h_alpha);
}

void h_l2_addmm(void)
{
    sweep_product(addmm_ab, 2, 2);
    CASE("NULL c")
    FAIL_T(L2_ERR_NULL, l2_addmm(NULL, MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2), 1, 1));
    for (int i = 0; i < h_nscalars; i++) {
        h_beta = h_scalars[i];
        CASE("beta %g", h_beta) ANY_T(addmm_ab(MK(L2_FLOAT64, 2, 2), MK(L2_FLOAT64, 2, 2)));
        CASE("int64 beta %g", h_beta) ANY_T(addmm_ab(MK(L2_INT64, 2, 2), MK(L2_INT64, 2, 2)));
        h_beta = 1;
        h_alpha = h_scalars[i];
        CASE("alpha %g", h_alpha) ANY_T(addmm_ab(MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2)));
        h_alpha = 1;
    }
    CASE("beta NaN")
    FAIL_T(L2_ERR_ARG,
           l2_addmm(MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2), NAN, 1));
    CASE("c that does not broadcast")
    FAIL_T(L2_ERR_SHAPE,
           l2_addmm(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2), 1, 1));
}

static l2_tensor *linear_nob(const l2_tensor *x, const l2_tensor *w)
{
    return l2_linear(x, w, NULL);
}

void h_l2_linear(void)
{
    sweep_product(linear_nob, 2, 2);
    CASE("bias of the wrong shape")
    FAIL_T(L2_ERR_SHAPE, l2_linear(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 4, 3), MK(L2_FLOAT32, 5)));
    CASE("bias of another dtype")
    FAIL_T(L2_ERR_DTYPE, l2_linear(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 4, 3), MK(L2_FLOAT64, 4)));
    CASE("0-d x") FAIL_T(H_ANY, l2_linear(mk_kind(K_0D, L2_FLOAT32), MK(L2_FLOAT32, 4, 3), NULL));
    CASE("huge expanded batch")
    ANY_T(l2_linear(l2_expand(MK(L2_FLOAT32, 1, 3), L2_SHAPE(H_BIGSZ, 3)), MK(L2_FLOAT32, 4, 3),
                    NULL));
}

void h_l2_debug_linalg_reference(void)
{
    CASE("on, then a product, then off")
    {
        l2_debug_linalg_reference(true);
        OK_T(l2_matmul(mk_kind(K_NONCONTIG, L2_FLOAT32), l2_t(MK(L2_FLOAT32, 2, 3))));
        ANY_T(l2_mm(mk_kind(K_OVERLAP, L2_FLOAT64), l2_t(mk_kind(K_EXPANDED, L2_FLOAT64))));
        l2_debug_linalg_reference(false);
    }
}

/* gemm (issue 12): the gemm mode setter, then products in own mode. */
void h_l2_debug_gemm(void)
{
    static const int bad[] = {-1, 3, INT_MIN, INT_MAX};
    for (int i = 0; i < 4; i++)
        CASE("mode %d", bad[i]) EXPECT(l2_debug_gemm(bad[i]) == -1 && l2_last_error()[0],
                                      "accepted");
    CASE("own, then products of hostile operands, then auto")
    {
        EXPECT(l2_debug_gemm(L2_GEMM_OWN) >= 0, "refused");
        OK_T(l2_matmul(mk_kind(K_NONCONTIG, L2_FLOAT32), l2_t(MK(L2_FLOAT32, 2, 3))));
        ANY_T(l2_mm(mk_kind(K_OVERLAP, L2_FLOAT32), l2_t(mk_kind(K_EXPANDED, L2_FLOAT32))));
        ANY_T(l2_mm(mk_kind(K_SPECIAL, L2_FLOAT32), l2_t(mk_kind(K_SPECIAL, L2_FLOAT32))));
        EXPECT(l2_debug_gemm(L2_GEMM_AUTO) == L2_GEMM_OWN, "mode lost");
    }
}

void h_l2_debug_linalg_copies(void)
{
    CASE("after a product of an overlapping operand")
    {
        int64_t before = l2_debug_linalg_copies();
        ANY_T(l2_mm(mk_kind(K_OVERLAP, L2_FLOAT32), l2_t(mk_kind(K_EXPANDED, L2_FLOAT32))));
        EXPECT(l2_debug_linalg_copies() >= before, "copies went down");
    }
}

/* ---- Indexing -------------------------------------------------------------------------------- */

static l2_tensor *idx(int n, const int64_t *v)
{
    return l2_from_data(v, 1, (const int64_t[]){n}, L2_INT64);
}

static const int64_t bad_idx[] = {-1, 2, INT64_MAX, INT64_MIN, (int64_t)1 << 32};

void h_l2_index_select(void)
{
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_index_select(NULL, 0, idx(1, bad_idx + 3)));
    CASE("NULL index") FAIL_T(L2_ERR_NULL, l2_index_select(MK(L2_FLOAT32, 2), 0, NULL));
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_idx[i])
    FAIL_T(L2_ERR_INDEX, l2_index_select(MK(L2_FLOAT32, 2, 2), 1, idx(1, bad_idx + i)));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_index_select(MK(L2_FLOAT32, 2, 2), h_bad_dims[i], MK(L2_INT64, 1)));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("index dtype %s", l2_dtype_name(h_dtypes[d]))
        ANY_T(l2_index_select(MK(L2_FLOAT32, 2, 2), 0, MK(h_dtypes[d], 2)));
        CASE("%s empty, empty index", l2_dtype_name(h_dtypes[d]))
        ANY_T(l2_index_select(mk_kind(K_EMPTY, h_dtypes[d]), 1, MK(L2_INT64, 0)));
    }
    CASE("2-d index")
    FAIL_T(L2_ERR_SHAPE, l2_index_select(MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 1, 1)));
    CASE("index into an empty dim")
    FAIL_T(L2_ERR_INDEX, l2_index_select(MK(L2_FLOAT32, 0), 0, MK(L2_INT64, 1)));
    CASE("0-d t, 0-d index")
    ANY_T(l2_index_select(mk_kind(K_0D, L2_FLOAT32), 0, l2_scalar(0, L2_INT64)));
    CASE("huge t") ANY_T(l2_index_select(mk_kind(K_HUGE, L2_FLOAT32), 0, MK(L2_INT64, 2)));
    CASE("expanded index") ANY_T(l2_index_select(MK(L2_FLOAT32, 2), 0, mk_kind(K_HUGE, L2_INT64)));
}

void h_l2_gather(void)
{
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_gather(NULL, 0, MK(L2_INT64, 1)));
    CASE("NULL index") FAIL_T(L2_ERR_NULL, l2_gather(MK(L2_FLOAT32, 2), 0, NULL));
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_idx[i])
    FAIL_T(L2_ERR_INDEX, l2_gather(MK(L2_FLOAT32, 2), 0, idx(1, bad_idx + i)));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_gather(MK(L2_FLOAT32, 2, 2), h_bad_dims[i], MK(L2_INT64, 1, 1)));
    CASE("rank mismatch") FAIL_T(H_ANY, l2_gather(MK(L2_FLOAT32, 2, 2), 0, MK(L2_INT64, 1)));
    CASE("index larger")
    FAIL_T(L2_ERR_SHAPE, l2_gather(MK(L2_FLOAT32, 2, 2), 0, l2_zeros(L2_SHAPE(1, 5), L2_INT64)));
    CASE("float index") FAIL_T(L2_ERR_DTYPE, l2_gather(MK(L2_FLOAT32, 2), 0, MK(L2_FLOAT32, 1)));
    for (int k = 0; k < K_COUNT; k++)
        CASE("%s t, zero index", h_kind_name[k])
    ANY_T(l2_gather(mk_kind(k, L2_FLOAT64), 0, l2_zeros_like(mk_kind(k, L2_INT64))));
}

void h_l2_scatter_add(void)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, l2_scatter_add(NULL, 0, MK(L2_INT64, 1), MK(L2_FLOAT32, 1)));
        FAIL_T(L2_ERR_NULL, l2_scatter_add(MK(L2_FLOAT32, 2), 0, NULL, MK(L2_FLOAT32, 1)));
        FAIL_T(L2_ERR_NULL, l2_scatter_add(MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 1), NULL));
    }
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_idx[i])
    FAIL_T(L2_ERR_INDEX,
           l2_scatter_add(MK(L2_FLOAT32, 2), 0, idx(1, bad_idx + i), MK(L2_FLOAT32, 1)));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_scatter_add(MK(L2_FLOAT32, 2, 2), h_bad_dims[i], MK(L2_INT64, 1, 1),
                                      MK(L2_FLOAT32, 1, 1)));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        CASE("%s t and src", l2_dtype_name(h_dtypes[d]))
    ANY_T(l2_scatter_add(MK(h_dtypes[d], 2), 0, MK(L2_INT64, 2), MK(h_dtypes[d], 2)));
    CASE("src dtype differs")
    FAIL_T(H_ANY, l2_scatter_add(MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 2), MK(L2_FLOAT64, 2)));
    CASE("index larger than src")
    FAIL_T(L2_ERR_SHAPE, l2_scatter_add(MK(L2_FLOAT32, 4), 0, MK(L2_INT64, 3), MK(L2_FLOAT32, 2)));
    CASE("expanded t and src, 0-d")
    {
        ANY_T(l2_scatter_add(mk_kind(K_EXPANDED, L2_FLOAT32), 1, l2_zeros(L2_SHAPE(2, 3), L2_INT64),
                             mk_kind(K_OVERLAP, L2_FLOAT32)));
        ANY_T(l2_scatter_add(mk_kind(K_0D, L2_FLOAT32), 0, l2_scalar(0, L2_INT64),
                             mk_kind(K_0D, L2_FLOAT32)));
    }
}

void h_l2_embedding(void)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, l2_embedding(NULL, MK(L2_INT64, 1)));
        FAIL_T(L2_ERR_NULL, l2_embedding(MK(L2_FLOAT32, 2, 2), NULL));
    }
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_idx[i])
    FAIL_T(L2_ERR_INDEX, l2_embedding(MK(L2_FLOAT32, 2, 3), idx(1, bad_idx + i)));
    CASE("1-d weight") FAIL_T(L2_ERR_SHAPE, l2_embedding(MK(L2_FLOAT32, 3), MK(L2_INT64, 1)));
    CASE("float indices")
    FAIL_T(L2_ERR_DTYPE, l2_embedding(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 1)));
    CASE("rank 8 indices")
    FAIL_T(H_ANY, l2_embedding(MK(L2_FLOAT32, 2, 3),
                               l2_zeros(L2_SHAPE(1, 1, 1, 1, 1, 1, 1, 1), L2_INT64)));
    for (int k = 0; k < K_COUNT; k++)
        CASE("%s zero indices", h_kind_name[k])
    ANY_T(l2_embedding(MK(L2_FLOAT32, 2, 3), l2_zeros_like(mk_kind(k, L2_INT64))));
    CASE("empty weight") FAIL_T(L2_ERR_INDEX, l2_embedding(MK(L2_FLOAT32, 0, 3), MK(L2_INT64, 1)));
}

void h_l2_one_hot(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_one_hot(NULL, 3));
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_idx[i])
    FAIL_T(L2_ERR_INDEX, l2_one_hot(idx(1, bad_idx + i), 2));
    CASE("num_classes -1, empty") FAIL_T(L2_ERR_ARG, l2_one_hot(MK(L2_INT64, 0), -1));
    CASE("num_classes -2") FAIL_T(H_ANY, l2_one_hot(MK(L2_INT64, 2), -2));
    CASE("num_classes INT64_MIN") FAIL_T(H_ANY, l2_one_hot(MK(L2_INT64, 2), INT64_MIN));
    CASE("num_classes INT64_MAX") FAIL_T(H_BIG, l2_one_hot(MK(L2_INT64, 2), INT64_MAX));
    CASE("num_classes 2^62, 4 indices") FAIL_T(H_BIG, l2_one_hot(MK(L2_INT64, 4), H_BIGSZ));
    CASE("num_classes -1, index INT64_MAX - 0")
    FAIL_T(H_BIG, l2_one_hot(idx(1, bad_idx + 2), -1));
    CASE("float indices") FAIL_T(L2_ERR_DTYPE, l2_one_hot(MK(L2_FLOAT32, 2), 3));
    CASE("rank 8 indices")
    FAIL_T(H_ANY, l2_one_hot(l2_zeros(L2_SHAPE(1, 1, 1, 1, 1, 1, 1, 1), L2_INT64), 2));
    CASE("huge expanded indices") ANY_T(l2_one_hot(mk_kind(K_HUGE, L2_INT64), 2));
}

/* ---- index2 (issue 14): take, take_along_dim ---- */

void h_l2_take(void)
{
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_take(NULL, MK(L2_INT64, 1)));
    CASE("NULL index") FAIL_T(L2_ERR_NULL, l2_take(MK(L2_FLOAT32, 2), NULL));
    for (int i = 1; i < 5; i++) /* -1 is a valid index for take */
        CASE("index %lld", (long long)bad_idx[i])
    FAIL_T(L2_ERR_INDEX, l2_take(MK(L2_FLOAT32, 2), idx(1, bad_idx + i)));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("index dtype %s", l2_dtype_name(h_dtypes[d]))
        ANY_T(l2_take(MK(L2_FLOAT32, 2, 2), MK(h_dtypes[d], 2)));
        CASE("%s empty, empty index", l2_dtype_name(h_dtypes[d]))
        ANY_T(l2_take(mk_kind(K_EMPTY, h_dtypes[d]), MK(L2_INT64, 0)));
    }
    CASE("index into an empty t") FAIL_T(L2_ERR_INDEX, l2_take(MK(L2_FLOAT32, 0), MK(L2_INT64, 1)));
    CASE("0-d t, 0-d index") ANY_T(l2_take(mk_kind(K_0D, L2_FLOAT32), l2_scalar(0, L2_INT64)));
    CASE("huge t") ANY_T(l2_take(mk_kind(K_HUGE, L2_FLOAT32), MK(L2_INT64, 2)));
    CASE("expanded index") ANY_T(l2_take(MK(L2_FLOAT32, 2), mk_kind(K_HUGE, L2_INT64)));
}

void h_l2_take_along_dim(void)
{
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_take_along_dim(NULL, MK(L2_INT64, 1), 0));
    CASE("NULL index") FAIL_T(L2_ERR_NULL, l2_take_along_dim(MK(L2_FLOAT32, 2), NULL, 0));
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_idx[i])
    FAIL_T(L2_ERR_INDEX, l2_take_along_dim(MK(L2_FLOAT32, 2), idx(1, bad_idx + i), 0));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_take_along_dim(MK(L2_FLOAT32, 2, 2), MK(L2_INT64, 1, 1), h_bad_dims[i]));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("index dtype %s", l2_dtype_name(h_dtypes[d]))
        ANY_T(l2_take_along_dim(MK(L2_FLOAT32, 2, 2), MK(h_dtypes[d], 2, 2), 1));
    }
    CASE("rank mismatch")
    FAIL_T(L2_ERR_SHAPE, l2_take_along_dim(MK(L2_FLOAT32, 2, 2), MK(L2_INT64, 1), 0));
    CASE("no broadcast")
    FAIL_T(L2_ERR_SHAPE, l2_take_along_dim(MK(L2_FLOAT32, 2, 2), MK(L2_INT64, 1, 3), 0));
    CASE("0-d t") FAIL_T(L2_ERR_DIM, l2_take_along_dim(mk_kind(K_0D, L2_FLOAT32),
                                                       l2_scalar(0, L2_INT64), 0));
    CASE("huge t") ANY_T(l2_take_along_dim(mk_kind(K_HUGE, L2_FLOAT32), MK(L2_INT64, 1), 0));
}
