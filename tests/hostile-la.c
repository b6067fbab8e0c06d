/* hostile-la.c: the hostile-input entries of the la area (issue 15, libl2/ops/einsum.c,
 * linalg-solve.c, linalg-cholesky.c, linalg-decomp.c): einsum, tensordot, tensordot_n,
 * linalg_cross, and the LAPACK solvers and decompositions. */
#include "hostile.h"

/* A scalar of dt expanded to shape: a huge view that owns almost nothing. */
static l2_tensor *huge(l2_dtype dt, int ndim, const int64_t *shape)
{
    return l2_expand(l2_full(0, NULL, 1, dt), ndim, shape);
}
#define HUGE_T(dt, ...) huge((dt), L2_SHAPE(__VA_ARGS__))

#define B31 ((int64_t)1 << 31)
#define B30 ((int64_t)1 << 30)
#define B57 ((int64_t)1 << 57)
#define B59 ((int64_t)1 << 59)

/* ---- einsum ------------------------------------------------------------------------------- */

static l2_tensor *es1(const char *eq, l2_tensor *a)
{
    return l2_einsum(eq, 1, (l2_tensor *const[]){a});
}

static l2_tensor *es2(const char *eq, l2_tensor *a, l2_tensor *b)
{
    return l2_einsum(eq, 2, (l2_tensor *const[]){a, b});
}

void h_l2_einsum(void)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, es1(NULL, MK(L2_FLOAT32, 2)));
        FAIL_T(L2_ERR_NULL, l2_einsum("i", 1, NULL));
        FAIL_T(L2_ERR_NULL, es1("i", NULL));
        FAIL_T(L2_ERR_NULL, es2("i,i", MK(L2_FLOAT32, 2), NULL));
    }
    const int ns[] = {0, -1, INT_MIN};
    for (int i = 0; i < 3; i++)
        CASE("n %d", ns[i])
    FAIL_T(L2_ERR_ARG, l2_einsum("i", ns[i], (l2_tensor *const[]){MK(L2_FLOAT32, 2)}));
    CASE("n 2 with 1 term") FAIL_T(L2_ERR_ARG, es2("i", MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2)));
    CASE("n 1 with 2 terms") FAIL_T(L2_ERR_ARG, es1("i,i", MK(L2_FLOAT32, 2)));
    const char *bad_arg[] = {"i1",  "i.",     "i..",  "...i...", "i->j", "i->ii",
                             "i-j", "i->...->i", "é", "i\n", "i,->i", "i->...."};
    for (int i = 0; i < (int)(sizeof bad_arg / sizeof bad_arg[0]); i++)
        CASE("equation \"%s\"", bad_arg[i])
    FAIL_T(H_ANY, es1(bad_arg[i], MK(L2_FLOAT32, 2)));
    CASE("invalid character") FAIL_T(L2_ERR_ARG, es1("i1", MK(L2_FLOAT32, 2)));
    CASE("two ellipses") FAIL_T(L2_ERR_ARG, es1("......", MK(L2_FLOAT32, 2)));
    CASE("output letter not in input") FAIL_T(L2_ERR_ARG, es1("i->j", MK(L2_FLOAT32, 2)));
    CASE("output letter repeated") FAIL_T(L2_ERR_ARG, es1("i->ii", MK(L2_FLOAT32, 2)));
    CASE("empty equation") FAIL_T(H_ANY, es1("", MK(L2_FLOAT32, 2)));
    CASE("empty equation, 0-d") ANY_T(es1("", l2_scalar(2, L2_FLOAT32)));
    CASE("too many letters") FAIL_T(L2_ERR_SHAPE, es1("ij", MK(L2_FLOAT32, 2)));
    CASE("too few letters") FAIL_T(L2_ERR_SHAPE, es1("i", MK(L2_FLOAT32, 2, 2)));
    CASE("too many letters with ...") FAIL_T(L2_ERR_SHAPE, es1("...ij", MK(L2_FLOAT32, 2)));
    CASE("sizes do not broadcast")
    FAIL_T(L2_ERR_SHAPE, es2("i,i", MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 3)));
    CASE("ellipsis sizes do not broadcast")
    FAIL_T(L2_ERR_SHAPE, es2("...i,...i", MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 3, 2)));
    CASE("diagonal of unequal sizes") FAIL_T(L2_ERR_SHAPE, es1("ii", MK(L2_FLOAT32, 2, 3)));
    CASE("9 letters on 8 dims")
    FAIL_T(L2_ERR_SHAPE, es1("abcdefghi", HUGE_T(L2_FLOAT32, 1, 1, 1, 1, 1, 1, 1, 1)));
    CASE("9 letters over two operands")
    FAIL_T(L2_ERR_ARG, es2("abcde,fghij", MK(L2_FLOAT32, 1, 1, 1, 1, 1),
                           MK(L2_FLOAT32, 1, 1, 1, 1, 1)));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, es1("i", MK(L2_BOOL, 2)));
    CASE("contracted dtypes differ")
    FAIL_T(L2_ERR_DTYPE, es2("i,i->", MK(L2_FLOAT32, 2), MK(L2_FLOAT64, 2)));
    CASE("outer dtypes differ") ANY_T(es2("i,j->ij", MK(L2_FLOAT32, 2), MK(L2_INT64, 2)));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("%s transpose", l2_dtype_name(h_dtypes[d]))
        ANY_T(es1("ij->ji", MK(h_dtypes[d], 2, 3)));
        CASE("%s matmul", l2_dtype_name(h_dtypes[d]))
        ANY_T(es2("ij,jk", MK(h_dtypes[d], 2, 3), MK(h_dtypes[d], 3, 2)));
        for (int k = 0; k < K_COUNT; k++) {
            CASE("%s %s ...", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(es1("...", mk_kind(k, h_dtypes[d])));
            if (k != K_HUGE) /* sums 2^59 elements: a timeout, not an error */
                CASE("%s %s ...j->j", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(es1("...j->j", mk_kind(k, h_dtypes[d])));
            CASE("%s %s ij,kj", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(es2("ij,kj", mk_kind(k, h_dtypes[d]), mk_kind(k, h_dtypes[d])));
        }
    }
    CASE("huge outer product")
    FAIL_T(H_BIG, es2("i,j->ij", HUGE_T(L2_FLOAT32, B31), HUGE_T(L2_FLOAT32, B31)));
    CASE("leaf operands") OK_T(es2("ij,ij->i", mk_leaf(L2_FLOAT32), mk_leaf(L2_FLOAT32)));
    CASE("same operand twice, diagonal")
    {
        l2_tensor *a = MK(L2_FLOAT64, 3, 3);
        OK_T(es2("ii,ii->i", a, a));
    }
    CASE("spaces") OK_T(es1(" i j -> j i ", MK(L2_FLOAT32, 2, 3)));
}

/* ---- tensordot ----------------------------------------------------------------------------- */

void h_l2_tensordot(void)
{
    const int d0[] = {0}, d1[] = {1};
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, l2_tensordot(NULL, MK(L2_FLOAT32, 2), 1, d0, 1, d0));
        FAIL_T(L2_ERR_NULL, l2_tensordot(MK(L2_FLOAT32, 2), NULL, 1, d0, 1, d0));
        FAIL_T(L2_ERR_NULL, l2_tensordot(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2), 1, NULL, 1, d0));
        FAIL_T(L2_ERR_NULL, l2_tensordot(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2), 1, d0, 1, NULL));
    }
    CASE("NULL lists of length 0")
    OK_T(l2_tensordot(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 3), 0, NULL, 0, NULL));
    CASE("lengths differ")
    FAIL_T(L2_ERR_SHAPE, l2_tensordot(MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2), 1, d0, 2,
                                      (const int[]){0, 1}));
    /* lists as long as the lengths claim (up to the 16 pairs the library reads; longer ones are
     * refused before any is read): a caller's too-short list is the caller's overflow */
    static const int dz[2 * L2_MAX_DIMS] = {0};
    const int nbad[] = {-1, INT_MIN, 9, 2 * L2_MAX_DIMS, 2 * L2_MAX_DIMS + 1, INT_MAX};
    for (int i = 0; i < 6; i++)
        CASE("lengths %d", nbad[i])
    FAIL_T(H_ANY, l2_tensordot(MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2), nbad[i], dz,
                               nbad[i], dz));
    for (int i = 0; i < h_nbad_dims; i++) {
        CASE("a dim %d", h_bad_dims[i])
        FAIL_T(L2_ERR_DIM, l2_tensordot(MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2), 1,
                                        &h_bad_dims[i], 1, d0));
        CASE("b dim %d", h_bad_dims[i])
        FAIL_T(L2_ERR_DIM, l2_tensordot(MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2), 1, d0, 1,
                                        &h_bad_dims[i]));
    }
    CASE("repeated dim (with wrap)")
    FAIL_T(L2_ERR_DIM, l2_tensordot(MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2, 2), 2,
                                    (const int[]){1, -1}, 2, (const int[]){0, 1}));
    CASE("sizes differ")
    FAIL_T(L2_ERR_SHAPE, l2_tensordot(MK(L2_FLOAT32, 2, 4), MK(L2_FLOAT32, 3, 2), 1, d1, 1, d0));
    CASE("size 1 against 3") OK_T(l2_tensordot(MK(L2_FLOAT32, 2, 1), MK(L2_FLOAT32, 3, 2), 1, d1,
                                               1, d0));
    CASE("more than 8 result dims")
    FAIL_T(L2_ERR_ARG, l2_tensordot(MK(L2_FLOAT32, 1, 1, 1, 1, 1), MK(L2_FLOAT32, 1, 1, 1, 1, 1),
                                    0, NULL, 0, NULL));
    CASE("0-d operands") ANY_T(l2_tensordot(l2_scalar(2, L2_FLOAT32), l2_scalar(3, L2_FLOAT32),
                                            0, NULL, 0, NULL));
    CASE("0-d with a dim") FAIL_T(L2_ERR_DIM, l2_tensordot(l2_scalar(2, L2_FLOAT32),
                                                           MK(L2_FLOAT32, 2), 1, d0, 1, d0));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_tensordot(MK(L2_BOOL, 2), MK(L2_BOOL, 2), 1, d0, 1, d0));
    CASE("dtypes differ")
    FAIL_T(L2_ERR_DTYPE, l2_tensordot(MK(L2_FLOAT32, 2), MK(L2_FLOAT64, 2), 1, d0, 1, d0));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++) {
            CASE("%s %s, dims 1/1", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(l2_tensordot(mk_kind(k, h_dtypes[d]), mk_kind(k, h_dtypes[d]), 1, d1, 1, d1));
            CASE("%s %s, outer", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            ANY_T(l2_tensordot(mk_kind(k, h_dtypes[d]), MK(h_dtypes[d], 2), 0, NULL, 0, NULL));
        }
    CASE("huge outer product")
    FAIL_T(H_BIG, l2_tensordot(HUGE_T(L2_FLOAT32, B31), HUGE_T(L2_FLOAT32, B31), 0, NULL, 0,
                               NULL));
    CASE("leaves") OK_T(l2_tensordot(mk_leaf(L2_FLOAT32), mk_leaf(L2_FLOAT32), 1, d1, 1, d1));
}

void h_l2_tensordot_n(void)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, l2_tensordot_n(NULL, MK(L2_FLOAT32, 2), 1));
        FAIL_T(L2_ERR_NULL, l2_tensordot_n(MK(L2_FLOAT32, 2), NULL, 1));
    }
    const int64_t neg[] = {-1, INT64_MIN, INT32_MIN};
    for (int i = 0; i < 3; i++)
        CASE("n %lld", (long long)neg[i])
    FAIL_T(L2_ERR_ARG, l2_tensordot_n(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2), neg[i]));
    const int64_t big[] = {2, 3, 9, INT32_MAX, (int64_t)INT32_MAX + 1, INT64_MAX};
    for (int i = 0; i < 6; i++)
        CASE("n %lld", (long long)big[i])
    FAIL_T(L2_ERR_DIM, l2_tensordot_n(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2), big[i]));
    CASE("n larger than b's rank")
    FAIL_T(L2_ERR_DIM, l2_tensordot_n(MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 2), 2));
    CASE("sizes differ") FAIL_T(L2_ERR_SHAPE, l2_tensordot_n(MK(L2_FLOAT32, 2, 3),
                                                             MK(L2_FLOAT32, 2, 3), 1));
    CASE("n 0 on 0-d") ANY_T(l2_tensordot_n(l2_scalar(2, L2_FLOAT32), l2_scalar(2, L2_FLOAT32),
                                            0));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_tensordot_n(MK(L2_BOOL, 2), MK(L2_BOOL, 2), 1));
    CASE("dtypes differ")
    FAIL_T(L2_ERR_DTYPE, l2_tensordot_n(MK(L2_INT64, 2), MK(L2_FLOAT32, 2), 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            for (int n = 0; n < 3; n++)
                CASE("%s %s, n %d", l2_dtype_name(h_dtypes[d]), h_kind_name[k], n)
    ANY_T(l2_tensordot_n(mk_kind(k, h_dtypes[d]), l2_transpose(mk_kind(k, h_dtypes[d]), 0, -1),
                         n));
    CASE("huge, n 0") FAIL_T(H_BIG, l2_tensordot_n(HUGE_T(L2_FLOAT32, B31),
                                                   HUGE_T(L2_FLOAT32, B31), 0));
}

/* ---- cross --------------------------------------------------------------------------------- */

void h_l2_linalg_cross(void)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, l2_linalg_cross(NULL, MK(L2_FLOAT32, 3), -1));
        FAIL_T(L2_ERR_NULL, l2_linalg_cross(MK(L2_FLOAT32, 3), NULL, -1));
    }
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_linalg_cross(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3),
                                       h_bad_dims[i]));
    CASE("ranks differ") FAIL_T(L2_ERR_SHAPE, l2_linalg_cross(MK(L2_FLOAT32, 2, 3),
                                                              MK(L2_FLOAT32, 3), -1));
    CASE("0-d") FAIL_T(L2_ERR_DIM, l2_linalg_cross(l2_scalar(1, L2_FLOAT32),
                                                   l2_scalar(1, L2_FLOAT32), 0));
    CASE("size 2 at dim") FAIL_T(L2_ERR_SHAPE, l2_linalg_cross(MK(L2_FLOAT32, 3, 2),
                                                               MK(L2_FLOAT32, 3, 2), -1));
    CASE("b size 1 at dim") FAIL_T(L2_ERR_SHAPE, l2_linalg_cross(MK(L2_FLOAT32, 3),
                                                                 MK(L2_FLOAT32, 1), 0));
    CASE("other dims do not broadcast")
    FAIL_T(L2_ERR_SHAPE, l2_linalg_cross(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 4, 3), -1));
    CASE("other dims broadcast") OK_T(l2_linalg_cross(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 1, 3),
                                                      -1));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_linalg_cross(MK(L2_BOOL, 3), MK(L2_BOOL, 3), 0));
    CASE("dtypes differ")
    FAIL_T(L2_ERR_DTYPE, l2_linalg_cross(MK(L2_FLOAT32, 3), MK(L2_INT64, 3), 0));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            for (int dim = -2; dim < 2; dim++)
                CASE("%s %s, dim %d", l2_dtype_name(h_dtypes[d]), h_kind_name[k], dim)
    ANY_T(l2_linalg_cross(mk_kind(k, h_dtypes[d]), mk_kind(k, h_dtypes[d]), dim));
    CASE("huge") FAIL_T(H_BIG, l2_linalg_cross(HUGE_T(L2_FLOAT32, B59, 3),
                                               HUGE_T(L2_FLOAT32, B59, 3), -1));
    CASE("leaves") ANY_T(l2_linalg_cross(mk_leaf(L2_FLOAT32), mk_leaf(L2_FLOAT32), -1));
}

/* ---- LAPACK: the checks every matrix function shares ----------------------------------------
 * f(A) for one-matrix functions; form selects which. */

static l2_tensor *mf(int form, const l2_tensor *A)
{
    l2_tensor *o = NULL;
    l2_tensor *r;
    switch (form) {
    case 0: return l2_linalg_inv(A);
    case 1: return l2_linalg_det(A);
    case 2:
        r = l2_linalg_slogdet(A, &o);
        if (r && !o)
            h_bad(__LINE__, "slogdet succeeded without logabsdet");
        if (!r && o)
            h_bad(__LINE__, "slogdet failed but set logabsdet");
        l2_tensor_release(o);
        return r;
    case 3: return l2_linalg_cholesky(A, false);
    case 4: return l2_linalg_cholesky(A, true);
    case 5:
        r = l2_linalg_qr(A, NULL, &o);
        if (!r && o)
            h_bad(__LINE__, "qr failed but set R");
        l2_tensor_release(o);
        return r;
    case 6:
        r = l2_linalg_eigh(A, NULL, &o);
        if (!r && o)
            h_bad(__LINE__, "eigh failed but set eigenvectors");
        l2_tensor_release(o);
        return r;
    case 7: return l2_linalg_eigvalsh(A, "U");
    case 8:
    case 9: { /* svd, full_matrices true / false */
        l2_tensor *v = NULL;
        r = l2_linalg_svd(A, form == 8, &o, &v);
        if (r && (!o || !v))
            h_bad(__LINE__, "svd succeeded without S or Vh");
        if (!r && (o || v))
            h_bad(__LINE__, "svd failed but set S or Vh");
        l2_tensor_release(o);
        l2_tensor_release(v);
        return r;
    }
    case 10: return l2_linalg_svdvals(A);
    case 11: return l2_linalg_pinv(A, NAN, NAN, false);
    default: return l2_linalg_pinv(A, NAN, NAN, true);
    }
}

static void sweep_matrix(int form)
{
    bool square = form < 5 || form == 6 || form == 7 || form == 12; /* qr, svd: any M x N */
    CASE("NULL A") FAIL_T(L2_ERR_NULL, mf(form, NULL));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        l2_dtype dt = h_dtypes[d];
        bool fl = dt == L2_FLOAT32 || dt == L2_FLOAT64;
        CASE("%s 2x2", l2_dtype_name(dt))
        {
            if (fl)
                ANY_T(mf(form, MK(dt, 2, 2)));
            else
                FAIL_T(L2_ERR_DTYPE, mf(form, MK(dt, 2, 2)));
        }
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(dt), h_kind_name[k])
        ANY_T(mf(form, mk_kind(k, dt)));
    }
    CASE("0-d") FAIL_T(H_ANY, mf(form, l2_scalar(2, L2_FLOAT64)));
    /* pinv: torch's one check (dtype and dims) is L2_ERR_DTYPE */
    CASE("1-d") FAIL_T(form >= 11 ? L2_ERR_DTYPE : L2_ERR_DIM, mf(form, MK(L2_FLOAT64, 4)));
    if (square) {
        CASE("2x3") FAIL_T(L2_ERR_SHAPE, mf(form, MK(L2_FLOAT64, 2, 3)));
        CASE("batched 3x2") FAIL_T(L2_ERR_SHAPE, mf(form, MK(L2_FLOAT64, 2, 3, 2)));
    } else {
        CASE("2x3") OK_T(mf(form, MK(L2_FLOAT64, 2, 3)));
        CASE("3x2") OK_T(mf(form, MK(L2_FLOAT64, 3, 2)));
    }
    CASE("0x0") ANY_T(mf(form, MK(L2_FLOAT64, 0, 0)));
    CASE("empty batch") ANY_T(mf(form, MK(L2_FLOAT64, 0, 3, 3)));
    /* An order above INT_MAX needs 2^64 bytes: expand refuses it, so only qr's M x 1 reaches
     * the int check; 2^30 x 2^30 and 2^57 batches fail on the size of the copies. */
    CASE("order 2^30, float32") FAIL_T(H_BIG, mf(form, HUGE_T(L2_FLOAT32, B30, B30)));
    CASE("batch of 2^57") FAIL_T(H_BIG, mf(form, HUGE_T(L2_FLOAT64, B57, 2, 2)));
    if (!square)
        CASE("2^31 x 1") FAIL_T(H_BIG, mf(form, HUGE_T(L2_FLOAT64, B31, 1)));
    CASE("NaN matrix") ANY_T(mf(form, l2_full(L2_SHAPE(3, 3), NAN, L2_FLOAT64)));
    CASE("inf matrix") ANY_T(mf(form, l2_full(L2_SHAPE(3, 3), INFINITY, L2_FLOAT32)));
    CASE("zero matrix") ANY_T(mf(form, l2_zeros(L2_SHAPE(2, 3, 3), L2_FLOAT64)));
    CASE("expanded batch") ANY_T(mf(form, l2_expand(l2_eye(3, 3, L2_FLOAT64), L2_SHAPE(4, 3, 3))));
    CASE("stride-0 matrix") ANY_T(mf(form, HUGE_T(L2_FLOAT64, 3, 3)));
    CASE("noncontiguous")
    ANY_T(mf(form, l2_transpose(l2_eye(3, 3, L2_FLOAT32), 0, 1)));
    CASE("leaf")
    {
        l2_tensor *l = l2_eye(3, 3, L2_FLOAT64);
        l2_set_requires_grad(l, true);
        ANY_T(mf(form, l));
    }
}

/* ---- solve --------------------------------------------------------------------------------- */

void h_l2_linalg_solve(void)
{
    CASE("NULLs")
    {
        FAIL_T(L2_ERR_NULL, l2_linalg_solve(NULL, MK(L2_FLOAT64, 2)));
        FAIL_T(L2_ERR_NULL, l2_linalg_solve(l2_eye(2, 2, L2_FLOAT64), NULL));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        l2_dtype dt = h_dtypes[d];
        bool fl = dt == L2_FLOAT32 || dt == L2_FLOAT64;
        CASE("%s A and B", l2_dtype_name(dt))
        {
            if (fl)
                OK_T(l2_linalg_solve(l2_eye(2, 2, dt), MK(dt, 2)));
            else
                FAIL_T(L2_ERR_DTYPE, l2_linalg_solve(MK(dt, 2, 2), MK(dt, 2)));
        }
        CASE("float64 A, %s B", l2_dtype_name(dt))
        {
            if (dt == L2_FLOAT64)
                OK_T(l2_linalg_solve(l2_eye(2, 2, L2_FLOAT64), MK(dt, 2, 3)));
            else
                FAIL_T(L2_ERR_DTYPE, l2_linalg_solve(l2_eye(2, 2, L2_FLOAT64), MK(dt, 2, 3)));
        }
        for (int k = 0; k < K_COUNT; k++) {
            CASE("%s %s A", l2_dtype_name(dt), h_kind_name[k])
            ANY_T(l2_linalg_solve(mk_kind(k, dt), MK(dt, 2)));
            CASE("%s %s B", l2_dtype_name(dt), h_kind_name[k])
            ANY_T(l2_linalg_solve(l2_eye(2, 2, dt), mk_kind(k, dt)));
            CASE("%s %s A and B", l2_dtype_name(dt), h_kind_name[k])
            ANY_T(l2_linalg_solve(mk_kind(k, dt), mk_kind(k, dt)));
        }
    }
    CASE("1-d A") FAIL_T(L2_ERR_DIM, l2_linalg_solve(MK(L2_FLOAT64, 2), MK(L2_FLOAT64, 2)));
    CASE("0-d A") FAIL_T(H_ANY, l2_linalg_solve(l2_scalar(1, L2_FLOAT64), MK(L2_FLOAT64, 1)));
    CASE("non-square A")
    FAIL_T(L2_ERR_SHAPE, l2_linalg_solve(MK(L2_FLOAT64, 2, 3), MK(L2_FLOAT64, 2)));
    CASE("0-d B") FAIL_T(L2_ERR_SHAPE, l2_linalg_solve(l2_eye(2, 2, L2_FLOAT64),
                                                       l2_scalar(1, L2_FLOAT64)));
    CASE("B's n differs (vector)")
    FAIL_T(L2_ERR_SHAPE, l2_linalg_solve(l2_eye(2, 2, L2_FLOAT64), MK(L2_FLOAT64, 3)));
    CASE("B's n differs (matrix)")
    FAIL_T(L2_ERR_SHAPE, l2_linalg_solve(l2_eye(2, 2, L2_FLOAT64), MK(L2_FLOAT64, 3, 2)));
    CASE("batch dims do not broadcast")
    FAIL_T(L2_ERR_SHAPE, l2_linalg_solve(l2_expand(l2_eye(2, 2, L2_FLOAT64), L2_SHAPE(3, 2, 2)),
                                         MK(L2_FLOAT64, 4, 2, 1)));
    CASE("batch dims broadcast")
    OK_T(l2_linalg_solve(l2_expand(l2_eye(2, 2, L2_FLOAT64), L2_SHAPE(3, 1, 2, 2)),
                         MK(L2_FLOAT64, 4, 2, 1)));
    CASE("B shaped A.shape[:-1]")
    OK_T(l2_linalg_solve(l2_expand(l2_eye(2, 2, L2_FLOAT64), L2_SHAPE(3, 2, 2)),
                         MK(L2_FLOAT64, 3, 2)));
    CASE("singular") FAIL_T(L2_ERR_ARG, l2_linalg_solve(l2_zeros(L2_SHAPE(2, 2), L2_FLOAT64),
                                                        MK(L2_FLOAT64, 2)));
    CASE("singular second of a batch")
    {
        l2_tensor *A = l2_expand(l2_eye(2, 2, L2_FLOAT64), L2_SHAPE(3, 2, 2));
        A = l2_contiguous(A);
        l2_tensor *z = l2_zeros(L2_SHAPE(2, 2), L2_FLOAT64);
        l2_tensor *A1 = l2_select(A, 0, 1);
        l2_copy_(A1, z);
        FAIL_T(L2_ERR_ARG, l2_linalg_solve(A, MK(L2_FLOAT64, 3, 2, 1)));
    }
    CASE("NaN A") ANY_T(l2_linalg_solve(l2_full(L2_SHAPE(2, 2), NAN, L2_FLOAT64),
                                        MK(L2_FLOAT64, 2)));
    CASE("empty") ANY_T(l2_linalg_solve(MK(L2_FLOAT64, 0, 0), MK(L2_FLOAT64, 0)));
    CASE("empty batch") ANY_T(l2_linalg_solve(MK(L2_FLOAT64, 0, 2, 2), MK(L2_FLOAT64, 0, 2)));
    CASE("k = 0") ANY_T(l2_linalg_solve(l2_eye(2, 2, L2_FLOAT64), MK(L2_FLOAT64, 2, 0)));
    /* A's copy (4 EiB) is refused before B's (4 GiB) is made */
    CASE("order 2^30 with B (2^30,)")
    FAIL_T(H_BIG, l2_linalg_solve(HUGE_T(L2_FLOAT32, B30, B30), HUGE_T(L2_FLOAT32, B30)));
    CASE("B with 2^31 columns")
    FAIL_T(H_BIG, l2_linalg_solve(l2_eye(2, 2, L2_FLOAT64), HUGE_T(L2_FLOAT64, 2, B31)));
    CASE("batch of 2^57")
    FAIL_T(H_BIG, l2_linalg_solve(HUGE_T(L2_FLOAT64, B57, 2, 2), MK(L2_FLOAT64, 2)));
    CASE("B batch of 2^57")
    FAIL_T(H_BIG, l2_linalg_solve(l2_eye(2, 2, L2_FLOAT64), HUGE_T(L2_FLOAT64, B57, 2, 1)));
    CASE("leaves")
    {
        l2_tensor *A = l2_eye(2, 2, L2_FLOAT64), *B = MK(L2_FLOAT64, 2);
        l2_set_requires_grad(A, true);
        l2_set_requires_grad(B, true);
        OK_T(l2_linalg_solve(A, B));
    }
}

void h_l2_linalg_inv(void)
{
    sweep_matrix(0);
    CASE("singular") FAIL_T(L2_ERR_ARG, l2_linalg_inv(l2_zeros(L2_SHAPE(3, 3), L2_FLOAT32)));
    CASE("identity") OK_T(l2_linalg_inv(l2_eye(3, 3, L2_FLOAT64)));
}

void h_l2_linalg_det(void)
{
    sweep_matrix(1);
    CASE("singular") OK_T(l2_linalg_det(l2_zeros(L2_SHAPE(3, 3), L2_FLOAT64)));
    CASE("0x0") OK_T(l2_linalg_det(MK(L2_FLOAT32, 0, 0)));
}

void h_l2_linalg_slogdet(void)
{
    sweep_matrix(2);
    CASE("NULL logabsdet") OK_T(l2_linalg_slogdet(l2_eye(2, 2, L2_FLOAT64), NULL));
    CASE("NULL A, logabsdet cleared")
    {
        l2_tensor *o = (l2_tensor *)&o;
        FAIL_T(L2_ERR_NULL, l2_linalg_slogdet(NULL, &o));
        EXPECT(!o, "logabsdet not NULL after a failure");
    }
    CASE("int64, logabsdet cleared")
    {
        l2_tensor *o = (l2_tensor *)&o;
        FAIL_T(L2_ERR_DTYPE, l2_linalg_slogdet(MK(L2_INT64, 2, 2), &o));
        EXPECT(!o, "logabsdet not NULL after a failure");
    }
    CASE("singular")
    {
        l2_tensor *o = NULL;
        OK_T(l2_linalg_slogdet(l2_zeros(L2_SHAPE(2, 2), L2_FLOAT64), &o));
        l2_tensor_release(o);
    }
}

static void sweep_cholesky(bool upper)
{
    CASE("not positive-definite, upper %d", upper)
    FAIL_T(L2_ERR_ARG, l2_linalg_cholesky(l2_neg(l2_eye(3, 3, L2_FLOAT64)), upper));
    CASE("zero matrix, upper %d", upper)
    FAIL_T(L2_ERR_ARG, l2_linalg_cholesky(l2_zeros(L2_SHAPE(2, 2), L2_FLOAT32), upper));
    CASE("identity, upper %d", upper) OK_T(l2_linalg_cholesky(l2_eye(3, 3, L2_FLOAT32), upper));
}

void h_l2_linalg_cholesky(void)
{
    sweep_matrix(3);
    sweep_matrix(4);
    sweep_cholesky(false);
    sweep_cholesky(true);
}

void h_l2_linalg_qr(void)
{
    sweep_matrix(5);
    const char *modes[] = {"reduced", "complete", "r", NULL};
    for (int m = 0; m < 4; m++)
        for (int d = 0; d < L2_DTYPE_COUNT; d++)
            for (int k = 0; k < K_COUNT; k++)
                CASE("mode %s, %s %s", modes[m] ? modes[m] : "NULL",
                     l2_dtype_name(h_dtypes[d]), h_kind_name[k])
                {
                    l2_tensor *R = NULL;
                    if (ANY_T(l2_linalg_qr(mk_kind(k, h_dtypes[d]), modes[m], &R)))
                        EXPECT(R, "R not set on success");
                    else
                        EXPECT(!R, "R set on failure");
                    l2_tensor_release(R);
                }
    const char *bad[] = {"", "Reduced", "full", "reduced ", "rr"};
    for (int i = 0; i < 5; i++)
        CASE("mode \"%s\"", bad[i])
        {
            l2_tensor *R = (l2_tensor *)&R;
            FAIL_T(L2_ERR_ARG, l2_linalg_qr(MK(L2_FLOAT64, 2, 2), bad[i], &R));
            EXPECT(!R, "R not NULL after a failure");
        }
    CASE("NULL R") OK_T(l2_linalg_qr(MK(L2_FLOAT64, 3, 2), "complete", NULL));
    CASE("NULL A, R cleared")
    {
        l2_tensor *R = (l2_tensor *)&R;
        FAIL_T(L2_ERR_NULL, l2_linalg_qr(NULL, NULL, &R));
        EXPECT(!R, "R not NULL after a failure");
    }
}

static void sweep_uplo(int eig)
{
    const char *bad[] = {"", "LU", "X", "L ", "UL"};
    for (int i = 0; i < 5; i++)
        CASE("uplo \"%s\"", bad[i])
        {
            l2_tensor *V = (l2_tensor *)&V;
            if (eig) {
                FAIL_T(L2_ERR_ARG, l2_linalg_eigh(l2_eye(2, 2, L2_FLOAT64), bad[i], &V));
                EXPECT(!V, "eigenvectors not NULL after a failure");
            } else {
                FAIL_T(L2_ERR_ARG, l2_linalg_eigvalsh(l2_eye(2, 2, L2_FLOAT64), bad[i]));
            }
        }
    /* "l" and "u" are accepted as torch does (l2.h names only "L" and "U"). */
    const char *ok[] = {"L", "U", NULL, "l", "u"};
    for (int u = 0; u < 5; u++)
        for (int d = 0; d < L2_DTYPE_COUNT; d++)
            for (int k = 0; k < K_COUNT; k++)
                CASE("uplo %s, %s %s", ok[u] ? ok[u] : "NULL", l2_dtype_name(h_dtypes[d]),
                     h_kind_name[k])
                {
                    if (eig) {
                        l2_tensor *V = NULL;
                        if (ANY_T(l2_linalg_eigh(mk_kind(k, h_dtypes[d]), ok[u], &V)))
                            EXPECT(V, "eigenvectors not set on success");
                        else
                            EXPECT(!V, "eigenvectors set on failure");
                        l2_tensor_release(V);
                    } else {
                        ANY_T(l2_linalg_eigvalsh(mk_kind(k, h_dtypes[d]), ok[u]));
                    }
                }
    CASE("NaN in the unread triangle")
    {
        l2_tensor *A = l2_contiguous(l2_eye(3, 3, L2_FLOAT64));
        l2_tensor *nan = l2_full(L2_SHAPE(1), NAN, L2_FLOAT64);
        l2_copy_(l2_narrow(l2_select(A, 0, 0), 0, 2, 1), nan);
        if (eig)
            OK_T(l2_linalg_eigh(A, "L", NULL));
        else
            OK_T(l2_linalg_eigvalsh(A, "L"));
    }
}

void h_l2_linalg_eigh(void)
{
    sweep_matrix(6);
    sweep_uplo(1);
    CASE("NULL A, eigenvectors cleared")
    {
        l2_tensor *V = (l2_tensor *)&V;
        FAIL_T(L2_ERR_NULL, l2_linalg_eigh(NULL, NULL, &V));
        EXPECT(!V, "eigenvectors not NULL after a failure");
    }
}

void h_l2_linalg_eigvalsh(void)
{
    sweep_matrix(7);
    sweep_uplo(0);
}

/* ---- SVD, svdvals, pinv (linalg-svd.c) ------------------------------------------------------ */

void h_l2_linalg_svd(void)
{
    sweep_matrix(8);
    sweep_matrix(9);
    CASE("NULL S and Vh") OK_T(l2_linalg_svd(MK(L2_FLOAT64, 3, 2), true, NULL, NULL));
    CASE("NULL A, S and Vh cleared")
    {
        l2_tensor *S = (l2_tensor *)&S, *V = (l2_tensor *)&V;
        FAIL_T(L2_ERR_NULL, l2_linalg_svd(NULL, false, &S, &V));
        EXPECT(!S && !V, "S or Vh not NULL after a failure");
    }
    CASE("NaN in batch element 1")
    {
        l2_tensor *A = l2_contiguous(l2_expand(l2_eye(3, 3, L2_FLOAT32), L2_SHAPE(2, 3, 3)));
        l2_tensor *nan = l2_full(L2_SHAPE(1), NAN, L2_FLOAT32);
        l2_copy_(l2_narrow(l2_select(l2_select(A, 0, 1), 0, 2), 0, 1, 1), nan);
        FAIL_T(L2_ERR_ARG, l2_linalg_svd(A, false, NULL, NULL));
    }
}

void h_l2_linalg_svdvals(void) { sweep_matrix(10); }

void h_l2_linalg_pinv(void)
{
    sweep_matrix(11);
    sweep_matrix(12);
    const double tols[] = {NAN, 0, -1, 1e300, INFINITY, -INFINITY};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            CASE("atol %g rtol %g", tols[i], tols[j])
    ANY_T(l2_linalg_pinv(MK(L2_FLOAT64, 2, 3, 2), tols[i], tols[j], i % 2));
}

/* ---- baddbmm, addbmm (issue 15, area baddbmm) ---------------------------------------------- */

/* op 0: baddbmm, 1: addbmm; input of shape (B,M,N) resp. (M,N) unless given. */
static l2_tensor *bm(int op, l2_tensor *c, l2_tensor *a, l2_tensor *b, double beta, double alpha)
{
    return op ? l2_addbmm(c, a, b, beta, alpha) : l2_baddbmm(c, a, b, beta, alpha);
}

static void sweep_bmm_add(int op)
{
    l2_dtype f = L2_FLOAT32;
    CASE("NULL input") FAIL_T(L2_ERR_NULL, bm(op, NULL, MK(f, 2, 3, 4), MK(f, 2, 4, 5), 1, 1));
    CASE("NULL batch1") FAIL_T(L2_ERR_NULL, bm(op, MK(f, 5), NULL, MK(f, 2, 4, 5), 1, 1));
    CASE("NULL batch2") FAIL_T(L2_ERR_NULL, bm(op, MK(f, 5), MK(f, 2, 3, 4), NULL, 1, 1));
    CASE("all NULL") FAIL_T(L2_ERR_NULL, bm(op, NULL, NULL, NULL, 1, 1));
    for (int i = 0; i < L2_DTYPE_COUNT; i++)
        for (int j = 0; j < L2_DTYPE_COUNT; j++)
            for (int k = 0; k < L2_DTYPE_COUNT; k++)
                CASE("%s, %s, %s", l2_dtype_name(h_dtypes[i]), l2_dtype_name(h_dtypes[j]),
                     l2_dtype_name(h_dtypes[k]))
    ANY_T(bm(op, MK(h_dtypes[i], 5), MK(h_dtypes[j], 2, 3, 4), MK(h_dtypes[k], 2, 4, 5), 1, 1));
    CASE("2-d batch1") FAIL_T(L2_ERR_SHAPE, bm(op, MK(f, 5), MK(f, 3, 4), MK(f, 2, 4, 5), 1, 1));
    CASE("4-d batch2")
    FAIL_T(L2_ERR_SHAPE, bm(op, MK(f, 5), MK(f, 2, 3, 4), MK(f, 1, 2, 4, 5), 1, 1));
    CASE("0-d batches")
    FAIL_T(L2_ERR_SHAPE, bm(op, MK(f, 5), mk_kind(K_0D, f), mk_kind(K_0D, f), 1, 1));
    CASE("K mismatch") FAIL_T(L2_ERR_SHAPE, bm(op, MK(f, 5), MK(f, 2, 3, 4), MK(f, 2, 3, 5), 1, 1));
    CASE("batch mismatch")
    FAIL_T(L2_ERR_SHAPE, bm(op, MK(f, 5), MK(f, 2, 3, 4), MK(f, 1, 4, 5), 1, 1));
    CASE("input does not broadcast")
    FAIL_T(L2_ERR_SHAPE, bm(op, MK(f, 4), MK(f, 2, 3, 4), MK(f, 2, 4, 5), 1, 1));
    CASE("4-d input")
    FAIL_T(L2_ERR_SHAPE, bm(op, MK(f, 1, 1, 1, 5), MK(f, 2, 3, 4), MK(f, 2, 4, 5), 1, 1));
    for (int k = 0; k < K_COUNT; k++)
        CASE("float64 %s everywhere", h_kind_name[k])
    ANY_T(bm(op, mk_kind(k, L2_FLOAT64), mk_kind(k, L2_FLOAT64), mk_kind(k, L2_FLOAT64), 1, 1));
    for (int i = 0; i < h_nscalars; i++) {
        double s = h_scalars[i];
        CASE("float32 beta %g", s) ANY_T(bm(op, MK(f, 5), MK(f, 2, 3, 4), MK(f, 2, 4, 5), s, 1));
        CASE("float64 alpha %g", s)
        ANY_T(bm(op, MK(L2_FLOAT64, 5), MK(L2_FLOAT64, 2, 3, 4), MK(L2_FLOAT64, 2, 4, 5), 1, s));
        CASE("int64 beta %g alpha %g", s, s)
        ANY_T(bm(op, MK(L2_INT64, 5), MK(L2_INT64, 2, 3, 4), MK(L2_INT64, 2, 4, 5), s, s));
    }
    CASE("beta NaN") FAIL_T(L2_ERR_ARG, bm(op, MK(f, 5), MK(f, 2, 3, 4), MK(f, 2, 4, 5), NAN, 1));
    CASE("alpha 1e300 in float32")
    FAIL_T(L2_ERR_ARG, bm(op, MK(f, 5), MK(f, 2, 3, 4), MK(f, 2, 4, 5), 1, 1e300));
    CASE("huge K (stride 0), zero M")
    ANY_T(bm(op, MK(f, 1), HUGE_T(f, 2, 0, B31), HUGE_T(f, 2, B31, 3), 1, 0));
    CASE("huge B, M, N (stride 0): the result's size overflows")
    FAIL_T(H_ANY, bm(op, MK(f, 1), HUGE_T(f, B31, B31, 1), HUGE_T(f, B31, 1, B31), 1, 1));
    CASE("huge B, K (stride 0): addbmm's B*K overflows")
    ANY_T(bm(op, MK(f, 1), HUGE_T(f, B59, 0, B59), HUGE_T(f, B59, B59, 0), 1, 1));
    CASE("requires grad, then backward")
    {
        l2_tensor *a = l2_clone(MK(f, 2, 3, 4)), *c = l2_clone(MK(f, 5));
        l2_set_requires_grad(a, true);
        l2_set_requires_grad(c, true);
        l2_tensor *r = ANY_T(bm(op, c, a, l2_transpose(MK(f, 2, 5, 4), 1, 2), 0.5, 2));
        if (r && l2_requires_grad(r))
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

void h_l2_baddbmm(void) { sweep_bmm_add(0); }

void h_l2_addbmm(void) { sweep_bmm_add(1); }
