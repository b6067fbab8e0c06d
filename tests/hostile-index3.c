/* hostile-index3.c: the hostile-input entries of the index3 family (issue 14,
 * libl2/ops/index3.c, index4.c): index_fill, index_copy, index_add, masked_select, nonzero,
 * masked_scatter. */
#include "hostile.h"

static l2_tensor *ix1(int64_t v)
{
    return l2_from_data(&v, L2_SHAPE(1), L2_INT64);
}

static const int64_t bad3[] = {2, INT64_MAX, INT64_MIN, (int64_t)1 << 32, -3};

void h_l2_index_fill(void)
{
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_index_fill(NULL, 0, MK(L2_INT64, 1), 1));
    CASE("NULL index") FAIL_T(L2_ERR_NULL, l2_index_fill(MK(L2_FLOAT32, 2), 0, NULL, 1));
    for (int i = 0; i < 5; i++) /* -1 and -2 are valid for size 2 */
        CASE("index %lld", (long long)bad3[i])
    FAIL_T(L2_ERR_INDEX, l2_index_fill(MK(L2_FLOAT32, 2, 2), 1, ix1(bad3[i]), 1));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_index_fill(MK(L2_FLOAT32, 2, 2), h_bad_dims[i], MK(L2_INT64, 1), 0));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("index dtype %s", l2_dtype_name(h_dtypes[d]))
        ANY_T(l2_index_fill(MK(L2_FLOAT32, 2, 2), 0, MK(h_dtypes[d], 2), 1));
        for (int s = 0; s < h_nscalars; s++)
            CASE("%s t, value %g", l2_dtype_name(h_dtypes[d]), h_scalars[s])
        ANY_T(l2_index_fill(MK(h_dtypes[d], 2, 2), 1, MK(L2_INT64, 2), h_scalars[s]));
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s t", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
        ANY_T(l2_index_fill(mk_kind(k, h_dtypes[d]), 0, l2_scalar(0, L2_INT64), 3));
    }
    CASE("2-d index")
    FAIL_T(L2_ERR_SHAPE, l2_index_fill(MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 1, 1), 1));
    CASE("empty t, any index") ANY_T(l2_index_fill(MK(L2_FLOAT32, 0), 0, ix1(INT64_MAX), 1));
    CASE("expanded huge index")
    ANY_T(l2_index_fill(MK(L2_FLOAT32, 2), 0, mk_kind(K_HUGE, L2_INT64), 1));
}

/* The index_copy (add false) and index_add sweeps. */
static l2_tensor *cp_or_add(bool add, const l2_tensor *t, int dim, const l2_tensor *index,
                            const l2_tensor *src, double alpha)
{
    return add ? l2_index_add(t, dim, index, src, alpha) : l2_index_copy(t, dim, index, src);
}

static void sweep_copy_add(bool add)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, cp_or_add(add, NULL, 0, MK(L2_INT64, 1), MK(L2_FLOAT32, 1), 1));
        FAIL_T(L2_ERR_NULL, cp_or_add(add, MK(L2_FLOAT32, 2), 0, NULL, MK(L2_FLOAT32, 1), 1));
        FAIL_T(L2_ERR_NULL, cp_or_add(add, MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 1), NULL, 1));
    }
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad3[i])
    FAIL_T(L2_ERR_INDEX, cp_or_add(add, MK(L2_FLOAT32, 2, 2), 1, ix1(bad3[i]),
                                   MK(L2_FLOAT32, 2, 1), 1));
    CASE("index -1") FAIL_T(L2_ERR_INDEX, cp_or_add(add, MK(L2_FLOAT32, 2), 0, ix1(-1),
                                                    MK(L2_FLOAT32, 1), 1));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, cp_or_add(add, MK(L2_FLOAT32, 2, 2), h_bad_dims[i], MK(L2_INT64, 1),
                                 MK(L2_FLOAT32, 1, 2), 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("%s t and source", l2_dtype_name(h_dtypes[d]))
        ANY_T(cp_or_add(add, MK(h_dtypes[d], 2), 0, MK(L2_INT64, 2), MK(h_dtypes[d], 2), 2));
        CASE("index dtype %s", l2_dtype_name(h_dtypes[d]))
        ANY_T(cp_or_add(add, MK(L2_FLOAT32, 2), 0, MK(h_dtypes[d], 2), MK(L2_FLOAT32, 2), 1));
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s source", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
        ANY_T(cp_or_add(add, MK(h_dtypes[d], 2, 3), 0, MK(L2_INT64, 2), mk_kind(k, h_dtypes[d]),
                        1));
        for (int s = 0; add && s < h_nscalars; s++)
            CASE("%s alpha %g", l2_dtype_name(h_dtypes[d]), h_scalars[s])
        ANY_T(l2_index_add(MK(h_dtypes[d], 2), 0, MK(L2_INT64, 1), MK(h_dtypes[d], 1),
                           h_scalars[s]));
    }
    CASE("source dtype differs")
    FAIL_T(L2_ERR_DTYPE, cp_or_add(add, MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 2),
                                   MK(L2_FLOAT64, 2), 1));
    CASE("source rows differ")
    FAIL_T(L2_ERR_SHAPE, cp_or_add(add, MK(L2_FLOAT32, 4), 0, MK(L2_INT64, 3),
                                   MK(L2_FLOAT32, 2), 1));
    CASE("2-d index")
    FAIL_T(L2_ERR_SHAPE, cp_or_add(add, MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 1, 1),
                                   MK(L2_FLOAT32, 1), 1));
    CASE("huge t") ANY_T(cp_or_add(add, mk_kind(K_HUGE, L2_FLOAT32), 0, MK(L2_INT64, 0),
                                   MK(L2_FLOAT32, 0, 1), 1));
    CASE("0-d t, source and index")
    ANY_T(cp_or_add(add, mk_kind(K_0D, L2_FLOAT32), 0, l2_scalar(0, L2_INT64),
                    mk_kind(K_0D, L2_FLOAT32), 1));
}

void h_l2_index_copy(void)
{
    sweep_copy_add(false);
}

void h_l2_index_add(void)
{
    sweep_copy_add(true);
}

/* ---- masked_select, nonzero, masked_scatter (index4.c) ---- */

void h_l2_masked_select(void)
{
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_masked_select(NULL, MK(L2_BOOL, 1)));
    CASE("NULL mask") FAIL_T(L2_ERR_NULL, l2_masked_select(MK(L2_FLOAT32, 2), NULL));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("mask dtype %s", l2_dtype_name(h_dtypes[d]))
        ANY_T(l2_masked_select(MK(L2_FLOAT32, 2, 2), MK(h_dtypes[d], 2)));
        for (int k = 0; k < K_COUNT; k++) {
            CASE("%s %s t, all-true mask", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(l2_masked_select(mk_kind(k, h_dtypes[d]), l2_scalar(1, L2_BOOL)));
            CASE("%s mask", h_kind_name[k])
            ANY_T(l2_masked_select(MK(h_dtypes[d], 3), mk_kind(k, L2_BOOL)));
        }
    }
    CASE("no broadcast")
    FAIL_T(L2_ERR_SHAPE, l2_masked_select(MK(L2_FLOAT32, 2, 3), MK(L2_BOOL, 4)));
}

void h_l2_nonzero(void)
{
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_nonzero(NULL));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s t", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_nonzero(mk_kind(k, h_dtypes[d])));
}

void h_l2_masked_scatter(void)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, l2_masked_scatter(NULL, MK(L2_BOOL, 1), MK(L2_FLOAT32, 1)));
        FAIL_T(L2_ERR_NULL, l2_masked_scatter(MK(L2_FLOAT32, 1), NULL, MK(L2_FLOAT32, 1)));
        FAIL_T(L2_ERR_NULL, l2_masked_scatter(MK(L2_FLOAT32, 1), MK(L2_BOOL, 1), NULL));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("mask dtype %s", l2_dtype_name(h_dtypes[d]))
        ANY_T(l2_masked_scatter(MK(L2_FLOAT32, 2), MK(h_dtypes[d], 2), MK(L2_FLOAT32, 2)));
        for (int k = 0; k < K_COUNT; k++) {
            CASE("%s %s source", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(l2_masked_scatter(MK(h_dtypes[d], 2, 3), l2_scalar(1, L2_BOOL),
                                    mk_kind(k, h_dtypes[d])));
            CASE("%s %s t", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(l2_masked_scatter(mk_kind(k, h_dtypes[d]), MK(L2_BOOL, 3),
                                    MK(h_dtypes[d], 8)));
        }
    }
    CASE("source dtype differs")
    FAIL_T(L2_ERR_DTYPE, l2_masked_scatter(MK(L2_FLOAT32, 2), MK(L2_BOOL, 2), MK(L2_INT64, 2)));
    CASE("source too small")
    FAIL_T(L2_ERR_SHAPE, l2_masked_scatter(MK(L2_FLOAT32, 4), l2_scalar(1, L2_BOOL),
                                           MK(L2_FLOAT32, 3)));
    CASE("no broadcast")
    FAIL_T(L2_ERR_SHAPE, l2_masked_scatter(MK(L2_FLOAT32, 2, 3), MK(L2_BOOL, 4),
                                           MK(L2_FLOAT32, 8)));
}
