/* hostile-sort.c: hostile-input entries for sorting, selection and scans (issue 14,
 * libl2/ops/sort.c): every dtype and hostile tensor kind, bad dims, bad k, NULLs, and *indices
 * left NULL after a failure. */
#include "hostile.h"

#include <stddef.h>

static const int64_t bad_k[] = {-1, 4, INT64_MAX, INT64_MIN};

/* A call of (t, dim) with an indices out-argument: it must be NULL after a failure. */
#define IDXFN(name, call)                                                                          \
    static l2_tensor *name(const l2_tensor *t, int dim)                                            \
    {                                                                                              \
        l2_tensor *ix = (l2_tensor *)1;                                                            \
        l2_tensor *r = call;                                                                       \
        if (!r && ix)                                                                              \
            h_bad(__LINE__, #name " failed but left *indices non-NULL");                          \
        return r;                                                                                  \
    }

IDXFN(i_sort, l2_sort(t, dim, true, false, &ix))
IDXFN(i_topk, l2_topk(t, 1, dim, true, true, &ix))
IDXFN(i_kth, l2_kthvalue(t, 1, dim, false, &ix))
IDXFN(i_median, l2_median_dim(t, dim, true, &ix))
IDXFN(i_mode, l2_mode(t, dim, false, &ix))

static l2_tensor *i_argsort(const l2_tensor *t, int dim) { return l2_argsort(t, dim, false, true); }

/* NULL, bad dims, every dtype and kind (not the 2^62-element one: its rows hold 2^31 elements
 * each), a backward through the result. */
static void sweep_sel(l2_tensor *(*f)(const l2_tensor *, int))
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, f(NULL, 0));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("(2,3) dim %d", h_bad_dims[i]) FAIL_T(L2_ERR_DIM, f(MK(L2_FLOAT32, 2, 3), h_bad_dims[i]));
    CASE("0-d dim 1") FAIL_T(L2_ERR_DIM, f(mk_kind(K_0D, L2_FLOAT32), 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_HUGE; k++)
            for (int dim = -1; dim <= 0; dim++)
                CASE("%s %s dim %d", l2_dtype_name(h_dtypes[d]), h_kind_name[k], dim)
    ANY_T(f(mk_kind(k, h_dtypes[d]), dim));
    CASE("rank 8 dim -8") ANY_T(f(MK(L2_FLOAT32, 1, 2, 1, 2, 1, 2, 1, 2), -8));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(f(mk_leaf(L2_FLOAT64), 1));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

void h_l2_sort(void)
{
    sweep_sel(i_sort);
    CASE("NULL indices") OK_T(l2_sort(MK(L2_FLOAT32, 2, 3), 1, false, true, NULL));
    CASE("huge") FAIL_T(H_BIG, l2_sort(mk_kind(K_HUGE, L2_FLOAT32), 0, false, false, NULL));
}

void h_l2_argsort(void)
{
    sweep_sel(i_argsort);
    CASE("huge") FAIL_T(H_BIG, l2_argsort(mk_kind(K_HUGE, L2_INT64), -1, true, false));
}

void h_l2_msort(void)
{
    sweep_unary_kinds(l2_msort, K_HUGE);
}

void h_l2_topk(void)
{
    sweep_sel(i_topk);
    for (int i = 0; i < 4; i++)
        CASE("k %lld", (long long)bad_k[i])
    FAIL_T(L2_ERR_INDEX, l2_topk(MK(L2_FLOAT32, 2, 3), bad_k[i], 1, true, true, NULL));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_topk(MK(L2_BOOL, 3), 1, 0, true, true, NULL));
    CASE("k 0") OK_T(l2_topk(MK(L2_FLOAT32, 2, 3), 0, 1, false, false, NULL));
}

void h_l2_kthvalue(void)
{
    sweep_sel(i_kth);
    for (int i = 0; i < 4; i++)
        CASE("k %lld", (long long)bad_k[i])
    FAIL_T(L2_ERR_INDEX, l2_kthvalue(MK(L2_FLOAT32, 2, 3), bad_k[i], 1, true, NULL));
    CASE("k 0") FAIL_T(L2_ERR_INDEX, l2_kthvalue(MK(L2_FLOAT32, 2, 3), 0, 1, true, NULL));
    CASE("empty dim") FAIL_T(L2_ERR_ARG, l2_kthvalue(MK(L2_FLOAT32, 2, 0), 1, 1, true, NULL));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_kthvalue(MK(L2_BOOL, 3), 1, 0, true, NULL));
}

void h_l2_median(void)
{
    sweep_unary_kinds(l2_median, K_HUGE);
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_median(MK(L2_BOOL, 3)));
}

void h_l2_median_dim(void)
{
    sweep_sel(i_median);
    CASE("empty dim") FAIL_T(L2_ERR_ARG, l2_median_dim(MK(L2_FLOAT32, 2, 0), 1, true, NULL));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_median_dim(MK(L2_BOOL, 3), 0, false, NULL));
}

void h_l2_mode(void)
{
    sweep_sel(i_mode);
    CASE("empty dim") FAIL_T(L2_ERR_ARG, l2_mode(MK(L2_FLOAT32, 2, 0), 1, true, NULL));
}
