/* hostile-lsq.c: the hostile-input entries of the lsqnorm area (issue 15,
 * libl2/ops/linalg-lstsq.c, linalg-norm.c): cholesky_solve, linalg_vector_norm,
 * linalg_matrix_norm and linalg_norm. */
#include "hostile.h"

/* A scalar of dt expanded to shape: a huge view that owns almost nothing. */
static l2_tensor *huge(l2_dtype dt, int ndim, const int64_t *shape)
{
    return l2_expand(l2_full(0, NULL, 1, dt), ndim, shape);
}
#define HUGE_T(dt, ...) huge((dt), L2_SHAPE(__VA_ARGS__))

#define B30 ((int64_t)1 << 30)
#define B31 ((int64_t)1 << 31)
#define B57 ((int64_t)1 << 57)

/* ---- cholesky_solve ------------------------------------------------------------------------ */

void h_l2_cholesky_solve(void)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, l2_cholesky_solve(NULL, l2_eye(2, 2, L2_FLOAT64), false));
        FAIL_T(L2_ERR_NULL, l2_cholesky_solve(MK(L2_FLOAT64, 2, 1), NULL, true));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        l2_dtype dt = h_dtypes[d];
        bool fl = dt == L2_FLOAT32 || dt == L2_FLOAT64;
        CASE("%s B and L", l2_dtype_name(dt))
        {
            if (fl)
                OK_T(l2_cholesky_solve(MK(dt, 2, 3), l2_eye(2, 2, dt), false));
            else
                FAIL_T(L2_ERR_DTYPE, l2_cholesky_solve(MK(dt, 2, 3), MK(dt, 2, 2), false));
        }
        CASE("%s B, float64 L", l2_dtype_name(dt))
        {
            if (dt == L2_FLOAT64)
                OK_T(l2_cholesky_solve(MK(dt, 2, 3), l2_eye(2, 2, L2_FLOAT64), true));
            else
                FAIL_T(L2_ERR_DTYPE, l2_cholesky_solve(MK(dt, 2, 3), l2_eye(2, 2, L2_FLOAT64),
                                                       true));
        }
        for (int k = 0; k < K_COUNT; k++) {
            CASE("%s %s L", l2_dtype_name(dt), h_kind_name[k])
            ANY_T(l2_cholesky_solve(MK(dt, 2, 1), mk_kind(k, dt), false));
            CASE("%s %s B", l2_dtype_name(dt), h_kind_name[k])
            ANY_T(l2_cholesky_solve(mk_kind(k, dt), l2_eye(2, 2, dt), false));
            CASE("%s %s B and L", l2_dtype_name(dt), h_kind_name[k])
            ANY_T(l2_cholesky_solve(mk_kind(k, dt), mk_kind(k, dt), true));
        }
    }
    CASE("0-d B") FAIL_T(L2_ERR_DIM, l2_cholesky_solve(l2_scalar(1, L2_FLOAT64),
                                                       l2_eye(2, 2, L2_FLOAT64), false));
    CASE("1-d B") FAIL_T(L2_ERR_DIM, l2_cholesky_solve(MK(L2_FLOAT64, 2),
                                                       l2_eye(2, 2, L2_FLOAT64), false));
    CASE("1-d L") FAIL_T(L2_ERR_DIM, l2_cholesky_solve(MK(L2_FLOAT64, 2, 1), MK(L2_FLOAT64, 2),
                                                       false));
    CASE("non-square L")
    FAIL_T(L2_ERR_SHAPE, l2_cholesky_solve(MK(L2_FLOAT64, 2, 1), MK(L2_FLOAT64, 2, 3), false));
    CASE("B's n differs")
    FAIL_T(L2_ERR_SHAPE, l2_cholesky_solve(MK(L2_FLOAT64, 3, 1), l2_eye(2, 2, L2_FLOAT64),
                                           false));
    CASE("batch dims do not broadcast")
    FAIL_T(L2_ERR_SHAPE,
           l2_cholesky_solve(MK(L2_FLOAT64, 4, 2, 1),
                             l2_expand(l2_eye(2, 2, L2_FLOAT64), L2_SHAPE(3, 2, 2)), false));
    CASE("batch dims broadcast")
    OK_T(l2_cholesky_solve(MK(L2_FLOAT64, 4, 2, 1),
                           l2_expand(l2_eye(2, 2, L2_FLOAT64), L2_SHAPE(3, 1, 2, 2)), true));
    CASE("zero factor") ANY_T(l2_cholesky_solve(MK(L2_FLOAT64, 2, 1),
                                                l2_zeros(L2_SHAPE(2, 2), L2_FLOAT64), false));
    CASE("NaN factor") ANY_T(l2_cholesky_solve(MK(L2_FLOAT32, 2, 1),
                                               l2_full(L2_SHAPE(2, 2), NAN, L2_FLOAT32), false));
    CASE("0x0") ANY_T(l2_cholesky_solve(MK(L2_FLOAT64, 0, 2), MK(L2_FLOAT64, 0, 0), false));
    CASE("k = 0") ANY_T(l2_cholesky_solve(MK(L2_FLOAT64, 2, 0), l2_eye(2, 2, L2_FLOAT64), false));
    CASE("empty batch")
    ANY_T(l2_cholesky_solve(MK(L2_FLOAT64, 0, 2, 1), l2_eye(2, 2, L2_FLOAT64), false));
    CASE("L of order 2^30, float32")
    FAIL_T(H_BIG, l2_cholesky_solve(HUGE_T(L2_FLOAT32, B30, 1), HUGE_T(L2_FLOAT32, B30, B30),
                                    false));
    CASE("B with 2^31 columns")
    FAIL_T(H_BIG, l2_cholesky_solve(HUGE_T(L2_FLOAT64, 2, B31), l2_eye(2, 2, L2_FLOAT64), false));
    CASE("batch of 2^57")
    FAIL_T(H_BIG, l2_cholesky_solve(MK(L2_FLOAT64, 2, 1), HUGE_T(L2_FLOAT64, B57, 2, 2), false));
    CASE("B batch of 2^57")
    FAIL_T(H_BIG, l2_cholesky_solve(HUGE_T(L2_FLOAT64, B57, 2, 1), l2_eye(2, 2, L2_FLOAT64),
                                    false));
    CASE("leaves, then backward")
    {
        l2_tensor *B = mk_leaf(L2_FLOAT64);
        l2_tensor *L = l2_eye(2, 2, L2_FLOAT64);
        l2_set_requires_grad(L, true);
        l2_tensor *r = ANY_T(l2_cholesky_solve(B, L, false));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

/* ---- norms --------------------------------------------------------------------------------- */

static const double h_ords[] = {2, 1, 0, INFINITY, -INFINITY, -1, 0.5, 3};

void h_l2_linalg_vector_norm(void)
{
    static const int dup[2] = {1, -1}, nine[9] = {0, 1, 0, 1, 0, 1, 0, 1, 0};
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_linalg_vector_norm(NULL, 2, NULL, 0, false));
    CASE("dims NULL with ndims 1: every dim")
    ANY_T(l2_linalg_vector_norm(MK(L2_FLOAT32, 2, 3), 2, NULL, 1, false));
    CASE("ndims -1") FAIL_T(H_ANY, l2_linalg_vector_norm(MK(L2_FLOAT32, 2, 3), 2, dup, -1, 0));
    CASE("ndims INT_MIN")
    FAIL_T(H_ANY, l2_linalg_vector_norm(MK(L2_FLOAT32, 2, 3), 2, dup, INT_MIN, false));
    CASE("ndims 9") FAIL_T(H_ANY, l2_linalg_vector_norm(MK(L2_FLOAT32, 2, 3), 2, nine, 9, 0));
    CASE("ndims INT_MAX")
    FAIL_T(H_ANY, l2_linalg_vector_norm(MK(L2_FLOAT32, 2, 3), 2, nine, INT_MAX, false));
    CASE("dims {1, -1}")
    FAIL_T(L2_ERR_DIM, l2_linalg_vector_norm(MK(L2_FLOAT32, 2, 3), 2, dup, 2, false));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_linalg_vector_norm(MK(L2_FLOAT32, 2, 3), 2, &h_bad_dims[i], 1, 0));
    CASE("NaN ord") FAIL_T(L2_ERR_ARG, l2_linalg_vector_norm(MK(L2_FLOAT32, 2), NAN, NULL, 0, 0));
    for (int o = 0; o < (int)(sizeof h_ords / sizeof h_ords[0]); o++)
        for (int d = 0; d < L2_DTYPE_COUNT; d++)
            for (int k = 0; k < K_HUGE; k++) { /* a 2^62-element reduction never ends */
                l2_dtype dt = h_dtypes[d];
                CASE("ord %g %s %s", h_ords[o], l2_dtype_name(dt), h_kind_name[k])
                {
                    if (dt == L2_FLOAT32 || dt == L2_FLOAT64)
                        ANY_T(l2_linalg_vector_norm(mk_kind(k, dt), h_ords[o], NULL, 0, false));
                    else
                        FAIL_T(L2_ERR_DTYPE, l2_linalg_vector_norm(mk_kind(k, dt), h_ords[o],
                                                                   NULL, 0, false));
                }
            }
    CASE("inf of an empty tensor")
    FAIL_T(L2_ERR_ARG, l2_linalg_vector_norm(MK(L2_FLOAT32, 0, 3), INFINITY, NULL, 0, false));
    CASE("-1 over an empty dim")
    FAIL_T(L2_ERR_ARG, l2_linalg_vector_norm(MK(L2_FLOAT32, 3, 0), -1, (const int[]){1}, 1, 0));
    CASE("0-d over dim -1")
    OK_T(l2_linalg_vector_norm(l2_scalar(2, L2_FLOAT64), -INFINITY, (const int[]){-1}, 1, 1));
    for (int o = 0; o < (int)(sizeof h_ords / sizeof h_ords[0]); o++)
        CASE("ord %g: leaf, then backward", h_ords[o])
        {
            l2_tensor *r = ANY_T(l2_linalg_vector_norm(mk_leaf(L2_FLOAT64), h_ords[o],
                                                       (const int[]){-1}, 1, false));
            if (r && l2_requires_grad(r))
                ANY_S(l2_backward(l2_sum(r), NULL, false));
        }
}

static const char *const h_mords[] = {NULL, "fro", "1", "-1", "inf", "-inf", "nuc", "2", "-2",
                                      "3",  "",    "x", "1e",  "nan"};

void h_l2_linalg_matrix_norm(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_linalg_matrix_norm(NULL, "fro", NULL, false));
    for (int o = 0; o < (int)(sizeof h_mords / sizeof h_mords[0]); o++) {
        const char *on = h_mords[o] ? h_mords[o] : "NULL";
        CASE("ord %s, 2x3", on) ANY_T(l2_linalg_matrix_norm(MK(L2_FLOAT64, 2, 3), h_mords[o],
                                                            NULL, false));
        CASE("ord %s, 1-d", on)
        FAIL_T(L2_ERR_DIM, l2_linalg_matrix_norm(MK(L2_FLOAT64, 3), h_mords[o], NULL, false));
        for (int d = 0; d < L2_DTYPE_COUNT; d++)
            for (int k = 0; k < K_HUGE; k++)
                CASE("ord %s %s %s", on, l2_dtype_name(h_dtypes[d]), h_kind_name[k])
        ANY_T(l2_linalg_matrix_norm(mk_kind(k, h_dtypes[d]), h_mords[o], NULL, true));
    }
    CASE("ord 3") FAIL_T(L2_ERR_ARG, l2_linalg_matrix_norm(MK(L2_FLOAT64, 2, 2), "3", NULL, 0));
    CASE("ord nuc") ANY_T(l2_linalg_matrix_norm(MK(L2_FLOAT64, 2, 2), "nuc", NULL, false));
    CASE("equal dims")
    FAIL_T(L2_ERR_ARG, l2_linalg_matrix_norm(MK(L2_FLOAT64, 2, 2), "fro", (const int[]){1, -1},
                                             false));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dims {0, %d}", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_linalg_matrix_norm(MK(L2_FLOAT64, 2, 2), "1",
                                             (const int[]){0, h_bad_dims[i]}, false));
    CASE("1 of a (3, 0) matrix")
    FAIL_T(L2_ERR_ARG, l2_linalg_matrix_norm(MK(L2_FLOAT64, 3, 0), "1", NULL, false));
    /* Left out: the huge kind (2^62 elements expanded from one): the reduction runs over every
     * element (as torch's would) past the case's time limit. */
    CASE("leaf, then backward")
    {
        l2_tensor *r = ANY_T(l2_linalg_matrix_norm(mk_leaf(L2_FLOAT64), "-inf", NULL, false));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

void h_l2_linalg_norm(void)
{
    static const int d3[3] = {0, 1, 2};
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_linalg_norm(NULL, NULL, NULL, 0, false));
    for (int o = 0; o < (int)(sizeof h_mords / sizeof h_mords[0]); o++) {
        const char *on = h_mords[o] ? h_mords[o] : "NULL";
        for (int d = 0; d < L2_DTYPE_COUNT; d++)
            for (int k = 0; k < K_HUGE; k++)
                CASE("ord %s %s %s", on, l2_dtype_name(h_dtypes[d]), h_kind_name[k])
        ANY_T(l2_linalg_norm(mk_kind(k, h_dtypes[d]), h_mords[o], NULL, 0, false));
        CASE("ord %s, one dim", on)
        ANY_T(l2_linalg_norm(MK(L2_FLOAT32, 2, 3), h_mords[o], (const int[]){1}, 1, false));
        CASE("ord %s, two dims", on)
        ANY_T(l2_linalg_norm(MK(L2_FLOAT32, 2, 3), h_mords[o], (const int[]){1, 0}, 2, true));
    }
    CASE("3 dims") FAIL_T(L2_ERR_ARG, l2_linalg_norm(MK(L2_FLOAT32, 2, 2, 2), NULL, d3, 3, 0));
    CASE("ndims -1") FAIL_T(L2_ERR_ARG, l2_linalg_norm(MK(L2_FLOAT32, 2, 2), NULL, d3, -1, 0));
    CASE("ndims INT_MAX")
    FAIL_T(L2_ERR_ARG, l2_linalg_norm(MK(L2_FLOAT32, 2, 2), NULL, d3, INT_MAX, false));
    CASE("ord with a 3-D input, no dims")
    FAIL_T(L2_ERR_ARG, l2_linalg_norm(MK(L2_FLOAT32, 2, 2, 2), "2", NULL, 0, false));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_linalg_norm(MK(L2_FLOAT32, 2, 3), NULL, &h_bad_dims[i], 1, false));
    CASE("leaf, then backward")
    {
        l2_tensor *r = ANY_T(l2_linalg_norm(mk_leaf(L2_FLOAT64), "0.5", (const int[]){0}, 1, 0));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

/* ---- lstsq --------------------------------------------------------------------------------- */

void h_l2_linalg_lstsq(void)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, l2_linalg_lstsq(NULL, MK(L2_FLOAT64, 3, 1), NAN, NULL, NULL));
        FAIL_T(L2_ERR_NULL, l2_linalg_lstsq(MK(L2_FLOAT64, 3, 2), NULL, NAN, NULL, NULL));
    }
    CASE("rank out set to NULL on failure")
    {
        l2_tensor *rk = MK(L2_FLOAT32, 1);
        FAIL_T(L2_ERR_NULL, l2_linalg_lstsq(NULL, NULL, NAN, NULL, &rk));
        if (rk)
            h_bad(__LINE__, "lstsq failed but left *rank set");
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        l2_dtype dt = h_dtypes[d];
        bool fl = dt == L2_FLOAT32 || dt == L2_FLOAT64;
        CASE("%s A and B", l2_dtype_name(dt))
        {
            if (fl)
                OK_T(l2_linalg_lstsq(MK(dt, 3, 2), MK(dt, 3, 2), NAN, NULL, NULL));
            else
                FAIL_T(L2_ERR_DTYPE, l2_linalg_lstsq(MK(dt, 3, 2), MK(dt, 3, 2), NAN, NULL, 0));
        }
        for (int k = 0; k < K_COUNT; k++) {
            CASE("%s %s A", l2_dtype_name(dt), h_kind_name[k])
            ANY_T(l2_linalg_lstsq(mk_kind(k, dt), MK(dt, 2, 1), NAN, NULL, NULL));
            CASE("%s %s B", l2_dtype_name(dt), h_kind_name[k])
            ANY_T(l2_linalg_lstsq(MK(dt, 2, 3), mk_kind(k, dt), NAN, NULL, NULL));
            CASE("%s %s A and B", l2_dtype_name(dt), h_kind_name[k])
            ANY_T(l2_linalg_lstsq(mk_kind(k, dt), mk_kind(k, dt), 0.5, "gelsy", NULL));
        }
    }
    CASE("1-d A") FAIL_T(L2_ERR_DIM, l2_linalg_lstsq(MK(L2_FLOAT64, 3), MK(L2_FLOAT64, 3), NAN,
                                                     NULL, NULL));
    CASE("0-d B") FAIL_T(L2_ERR_SHAPE, l2_linalg_lstsq(MK(L2_FLOAT64, 3, 2),
                                                       l2_scalar(1, L2_FLOAT64), NAN, NULL, 0));
    CASE("B of a higher rank")
    FAIL_T(L2_ERR_ARG, l2_linalg_lstsq(MK(L2_FLOAT64, 3, 2), MK(L2_FLOAT64, 1, 1, 3, 2), NAN,
                                       NULL, NULL));
    CASE("B's m differs")
    FAIL_T(L2_ERR_SHAPE, l2_linalg_lstsq(MK(L2_FLOAT64, 3, 2), MK(L2_FLOAT64, 4, 2), NAN, 0, 0));
    CASE("batch dims do not broadcast")
    FAIL_T(L2_ERR_SHAPE, l2_linalg_lstsq(MK(L2_FLOAT64, 2, 3, 2), MK(L2_FLOAT64, 3, 3, 1), NAN,
                                         NULL, NULL));
    const char *drivers[] = {"gels", "gelsd", "gelss", "", "GELSY", "gelsy "};
    for (int i = 0; i < 6; i++)
        CASE("driver \"%s\"", drivers[i])
    FAIL_T(L2_ERR_ARG, l2_linalg_lstsq(MK(L2_FLOAT64, 3, 2), MK(L2_FLOAT64, 3, 1), NAN,
                                       drivers[i], NULL));
    const double rconds[] = {-1, 0, 1, 1e300, INFINITY, -INFINITY};
    for (int i = 0; i < 6; i++)
        CASE("rcond %g", rconds[i])
    ANY_T(l2_linalg_lstsq(MK(L2_FLOAT64, 3, 2), MK(L2_FLOAT64, 3, 1), rconds[i], NULL, NULL));
    CASE("m = 0") ANY_T(l2_linalg_lstsq(MK(L2_FLOAT64, 0, 2), MK(L2_FLOAT64, 0, 1), NAN, 0, 0));
    CASE("n = 0") ANY_T(l2_linalg_lstsq(MK(L2_FLOAT64, 2, 0), MK(L2_FLOAT64, 2, 1), NAN, 0, 0));
    CASE("empty batch")
    ANY_T(l2_linalg_lstsq(MK(L2_FLOAT64, 0, 3, 2), MK(L2_FLOAT64, 0, 3, 1), NAN, NULL, NULL));
    CASE("NaN A") ANY_T(l2_linalg_lstsq(l2_full(L2_SHAPE(3, 2), NAN, L2_FLOAT64),
                                        MK(L2_FLOAT64, 3, 1), NAN, NULL, NULL));
    CASE("2^31 columns of B")
    FAIL_T(H_BIG, l2_linalg_lstsq(MK(L2_FLOAT64, 2, 2), HUGE_T(L2_FLOAT64, 2, B31), NAN, 0, 0));
    CASE("batch of 2^57")
    FAIL_T(H_BIG, l2_linalg_lstsq(HUGE_T(L2_FLOAT64, B57, 2, 2), MK(L2_FLOAT64, 2, 1), NAN, 0,
                                  0));
    CASE("leaves, then backward")
    {
        l2_tensor *A = MK(L2_FLOAT64, 3, 2), *B = mk_leaf(L2_FLOAT64);
        l2_set_requires_grad(A, true);
        l2_tensor *r = ANY_T(l2_linalg_lstsq(l2_transpose(A, 0, 1), B, NAN, NULL, NULL));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
    CASE("rank-deficient, backward")
    {
        l2_tensor *A = l2_ones(L2_SHAPE(3, 2), L2_FLOAT64);
        l2_set_requires_grad(A, true);
        l2_tensor *r = ANY_T(l2_linalg_lstsq(A, MK(L2_FLOAT64, 3, 1), NAN, NULL, NULL));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}
