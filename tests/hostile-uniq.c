/* hostile-uniq.c: the hostile-input entries of the uniq family (issue 14, libl2/ops/scatter.c,
 * unique.c): scatter, scatter_value, scatter_reduce, unique, unique_consecutive. */
#include "hostile.h"

static l2_tensor *ix11(int64_t v)
{
    return l2_from_data(&v, L2_SHAPE(1, 1), L2_INT64);
}

static const int64_t bad[] = {2, INT64_MAX, INT64_MIN, (int64_t)1 << 32, -1};

/* The scatter forms: 0 src, 1 value, 2..6 scatter_reduce with each reduction (include_self
 * alternating). */
static l2_tensor *sc(int form, const l2_tensor *t, int dim, const l2_tensor *index,
                     const l2_tensor *src)
{
    if (form == 0)
        return l2_scatter(t, dim, index, src);
    if (form == 1)
        return l2_scatter_value(t, dim, index, 1.5);
    return l2_scatter_reduce(t, dim, index, src, (l2_scatter_mode)(form - 2), form % 2);
}

static void sweep_scatter(int form)
{
    bool reduce = form >= 2;
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, sc(form, NULL, 0, MK(L2_INT64, 1), MK(L2_FLOAT32, 1)));
        FAIL_T(L2_ERR_NULL, sc(form, MK(L2_FLOAT32, 2), 0, NULL, MK(L2_FLOAT32, 1)));
        if (form != 1)
            FAIL_T(L2_ERR_NULL, sc(form, MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 1), NULL));
    }
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad[i])
    FAIL_T(L2_ERR_INDEX, sc(form, MK(L2_FLOAT32, 2, 2), 1, ix11(bad[i]), MK(L2_FLOAT32, 2, 1)));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, sc(form, MK(L2_FLOAT32, 2, 2), h_bad_dims[i], MK(L2_INT64, 1, 1),
                          MK(L2_FLOAT32, 1, 1)));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("%s t and src", l2_dtype_name(h_dtypes[d]))
        ANY_T(sc(form, MK(h_dtypes[d], 2), 0, MK(L2_INT64, 2), MK(h_dtypes[d], 2)));
        CASE("index dtype %s", l2_dtype_name(h_dtypes[d]))
        ANY_T(sc(form, MK(L2_FLOAT32, 2), 0, MK(h_dtypes[d], 2), MK(L2_FLOAT32, 2)));
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s t", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
        ANY_T(sc(form, mk_kind(k, h_dtypes[d]), 0, MK(L2_INT64, 1), MK(h_dtypes[d], 1)));
    }
    if (form != 1) {
        CASE("src dtype differs")
        FAIL_T(L2_ERR_DTYPE, sc(form, MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 2),
                                MK(L2_FLOAT64, 2)));
        CASE("index larger than src")
        FAIL_T(L2_ERR_SHAPE, sc(form, MK(L2_FLOAT32, 4), 0, MK(L2_INT64, 3), MK(L2_FLOAT32, 2)));
    }
    CASE("index larger than t off dim")
    FAIL_T(L2_ERR_SHAPE, sc(form, MK(L2_FLOAT32, 2, 2), 0, MK(L2_INT64, 1, 3),
                            MK(L2_FLOAT32, 3, 3)));
    CASE("rank differs")
    FAIL_T(L2_ERR_SHAPE, sc(form, MK(L2_FLOAT32, 2, 2), 0, MK(L2_INT64, 2), MK(L2_FLOAT32, 2)));
    CASE("expanded huge t") ANY_T(sc(form, mk_kind(K_HUGE, L2_FLOAT32), 0, MK(L2_INT64, 1),
                                     MK(L2_FLOAT32, 1)));
    CASE("leaf t") ANY_T(sc(form, mk_leaf(L2_FLOAT32), 0, MK(L2_INT64, 1), mk_leaf(L2_FLOAT32)));
    if (reduce)
        CASE("bool") FAIL_T(L2_ERR_DTYPE, sc(form, MK(L2_BOOL, 2), 0, MK(L2_INT64, 2),
                                             MK(L2_BOOL, 2)));
}

void h_l2_scatter(void)
{
    sweep_scatter(0);
}

void h_l2_scatter_value(void)
{
    sweep_scatter(1);
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int s = 0; s < h_nscalars; s++)
            CASE("%s t, value %g", l2_dtype_name(h_dtypes[d]), h_scalars[s])
    ANY_T(l2_scatter_value(MK(h_dtypes[d], 2, 2), 1, MK(L2_INT64, 2, 1), h_scalars[s]));
}

void h_l2_scatter_reduce(void)
{
    for (int f = 2; f < 7; f++)
        sweep_scatter(f);
    const int modes[] = {-1, 5, 1000, INT32_MIN};
    for (int i = 0; i < 4; i++)
        CASE("reduce %d", modes[i])
    FAIL_T(L2_ERR_ARG, l2_scatter_reduce(MK(L2_FLOAT32, 2), 0, MK(L2_INT64, 1), MK(L2_FLOAT32, 1),
                                         (l2_scatter_mode)modes[i], true));
}

/* The unique forms: 0 unique, 1 unique_dim, 2 unique_consecutive, 3 unique_consecutive_dim. */
static l2_tensor *uq(int form, const l2_tensor *t, int dim, l2_tensor **inv, l2_tensor **cnt)
{
    switch (form) {
    case 0: return l2_unique(t, dim & 1, inv, cnt);
    case 1: return l2_unique_dim(t, dim, true, inv, cnt);
    case 2: return l2_unique_consecutive(t, inv, cnt);
    default: return l2_unique_consecutive_dim(t, dim, inv, cnt);
    }
}

static void sweep_unique(int form)
{
    bool dim = form & 1;
    l2_tensor *inv = NULL, *cnt = NULL;
    CASE("NULL t") FAIL_T(L2_ERR_NULL, uq(form, NULL, 0, &inv, &cnt));
    CASE("outputs cleared on failure")
    {
        inv = cnt = (l2_tensor *)&inv;
        FAIL_T(L2_ERR_NULL, uq(form, NULL, 0, &inv, &cnt));
        EXPECT(!inv && !cnt, "inverse and counts not NULL after a failure");
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++) {
            CASE("%s %s t", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                l2_tensor *r = ANY_T(uq(form, mk_kind(k, h_dtypes[d]), 0, &inv, &cnt));
                if (r) {
                    l2_tensor_release(inv);
                    l2_tensor_release(cnt);
                }
            }
            CASE("%s %s t, no outputs", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(uq(form, mk_kind(k, h_dtypes[d]), -1, NULL, NULL));
        }
    if (dim) {
        for (int i = 0; i < h_nbad_dims; i++)
            CASE("dim %d", h_bad_dims[i])
        FAIL_T(L2_ERR_DIM, uq(form, MK(L2_FLOAT32, 2, 2), h_bad_dims[i], NULL, NULL));
        CASE("0-d t") FAIL_T(L2_ERR_DIM, uq(form, l2_scalar(1, L2_FLOAT32), 0, NULL, NULL));
        CASE("empty, other dim") FAIL_T(L2_ERR_SHAPE, uq(form, MK(L2_FLOAT32, 0, 2), 1, NULL,
                                                         NULL));
        CASE("two empty dims") FAIL_T(L2_ERR_SHAPE, uq(form, MK(L2_FLOAT32, 0, 0), 0, NULL,
                                                       NULL));
    }
}

void h_l2_unique(void)
{
    sweep_unique(0);
}

void h_l2_unique_dim(void)
{
    sweep_unique(1);
}

void h_l2_unique_consecutive(void)
{
    sweep_unique(2);
}

void h_l2_unique_consecutive_dim(void)
{
    sweep_unique(3);
}
