/* tensordot.c: torch.tensordot and torch.linalg.cross composed of libl2's differentiable ops
 * (sum_dims, permute, reshape, mm; roll, mul, sub), so their gradients come from autograd. Every
 * argument is checked, in torch 1.13's order, before any op runs. */
#include "../autograd-impl.h"
#include "../l2-impl.h"

#include <inttypes.h>

/* Contract a's dims da[i] with b's dims db[i] (n pairs, already wrapped and checked): a dim of
 * size 1 on one side is summed from the other side first (torch's broadcast rule); the rest
 * becomes one (M,K) @ (K,N) product. */
static l2_tensor *td_compute(const l2_tensor *a, const l2_tensor *b, int n, const int *da,
                             const int *db)
{
    int sa[L2_MAX_DIMS], sb[L2_MAX_DIMS], nsa = 0, nsb = 0;
    bool ca[L2_MAX_DIMS] = {false}, cb[L2_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        ca[da[i]] = cb[db[i]] = true;
        if (b->shape[db[i]] == 1)
            sa[nsa++] = da[i];
        else if (a->shape[da[i]] == 1)
            sb[nsb++] = db[i];
    }
    l2_tensor *as = nsa ? l2_sum_dims(a, nsa, sa, true) : l2_tensor_ref((l2_tensor *)a);
    l2_tensor *bs = !as ? NULL : nsb ? l2_sum_dims(b, nsb, sb, true)
                                     : l2_tensor_ref((l2_tensor *)b);
    /* a: free dims then the contracted ones in the order given; b: contracted then free */
    int pa[L2_MAX_DIMS], pb[L2_MAX_DIMS], ka = 0, kb = 0, ro = 0;
    int64_t M = 1, N = 1, K = 1, osh[2 * L2_MAX_DIMS];
    for (int d = 0; d < a->ndim; d++)
        if (!ca[d])
            pa[ka++] = d, M *= a->shape[d], osh[ro++] = a->shape[d];
    for (int i = 0; i < n; i++)
        pa[ka++] = da[i], pb[kb++] = db[i];
    for (int d = 0; d < b->ndim; d++)
        if (!cb[d])
            pb[kb++] = d, N *= b->shape[d], osh[ro++] = b->shape[d];
    /* after the sums, a contracted pair has equal sizes or sizes 1 and 1 */
    for (int i = 0; as && bs && i < n; i++)
        K *= as->shape[da[i]];
    int64_t s2a[2] = {M, K}, s2b[2] = {K, N};
    l2_tensor *ap = bs ? l2_permute(as, pa) : NULL;
    l2_tensor *a2 = ap ? l2_reshape(ap, 2, s2a) : NULL;
    l2_tensor *bp = a2 ? l2_permute(bs, pb) : NULL;
    l2_tensor *b2 = bp ? l2_reshape(bp, 2, s2b) : NULL;
    l2_tensor *c = b2 ? l2_mm(a2, b2) : NULL;
    l2_tensor *r = c ? l2_reshape(c, ro, osh) : NULL;
    l2_tensor *tmp[] = {as, bs, ap, a2, bp, b2, c};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
    return r;
}

/* The checks common to both forms: dims wrapped, sizes compared pair by pair (torch's loop),
 * then repeats, the result's rank and the dtypes. */
static int td_check(const char *op, const l2_tensor *a, const l2_tensor *b, int n,
                    const int *ra, const int *rb, int *da, int *db)
{
    for (int i = 0; i < n; i++) {
        L2__CHECK(a->ndim > 0 && b->ndim > 0, -1, L2_ERR_DIM, "%s: Dimension specified as %d but "
                  "tensor has no dimensions", op, a->ndim > 0 ? rb[i] : ra[i]);
        da[i] = l2__wrap_dim(op, ra[i], a->ndim);
        if (da[i] < 0)
            return -1;
        db[i] = l2__wrap_dim(op, rb[i], b->ndim);
        if (db[i] < 0)
            return -1;
        int64_t s1 = a->shape[da[i]], s2 = b->shape[db[i]];
        L2__CHECK(s1 == s2 || s1 == 1 || s2 == 1, -1, L2_ERR_SHAPE,
                  "%s: contracted dimensions need to match, but first has size %" PRId64
                  " in dim %d and second has size %" PRId64 " in dim %d", op, s1, ra[i], s2,
                  rb[i]);
    }
    bool seen_a[L2_MAX_DIMS] = {false}, seen_b[L2_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        L2__CHECK(!seen_a[da[i]], -1, L2_ERR_DIM, "%s: dim %d appears multiple times in the "
                  "list of dims", op, da[i]);
        seen_a[da[i]] = true;
    }
    for (int i = 0; i < n; i++) {
        L2__CHECK(!seen_b[db[i]], -1, L2_ERR_DIM, "%s: dim %d appears multiple times in the "
                  "list of dims", op, db[i]);
        seen_b[db[i]] = true;
    }
    int rank = a->ndim + b->ndim - 2 * n;
    L2__CHECK(rank <= L2_MAX_DIMS, -1, L2_ERR_ARG,
              "%s: the result would have %d dims, more than L2_MAX_DIMS (%d)", op, rank,
              L2_MAX_DIMS);
    L2__CHECK(a->dtype != L2_BOOL && b->dtype != L2_BOOL, -1, L2_ERR_DTYPE,
              "%s: not implemented for bool", op);
    L2__CHECK(a->dtype == b->dtype, -1, L2_ERR_DTYPE,
              "%s: expected scalar type %s but found %s", op, l2_dtype_name(a->dtype),
              l2_dtype_name(b->dtype));
    return 0;
}

l2_tensor *l2_tensordot(const l2_tensor *a, const l2_tensor *b, int ndims_a, const int *dims_a,
                        int ndims_b, const int *dims_b)
{
    const char *op = "tensordot";
    L2__CHECK_T(a, NULL, op);
    L2__CHECK_T(b, NULL, op);
    L2__CHECK(ndims_a >= 0 && ndims_b >= 0, NULL, L2_ERR_ARG, "%s: negative dim list lengths "
              "(%d, %d)", op, ndims_a, ndims_b);
    L2__CHECK((dims_a || !ndims_a) && (dims_b || !ndims_b), NULL, L2_ERR_NULL,
              "%s: a dim list is NULL", op);
    L2__CHECK(ndims_a == ndims_b, NULL, L2_ERR_SHAPE,
              "%s: both dimension lists should have same length (%d and %d)", op, ndims_a,
              ndims_b);
    /* more pairs than dims must repeat a dim (or be out of range): refused below */
    L2__CHECK(ndims_a <= 2 * L2_MAX_DIMS, NULL, L2_ERR_DIM, "%s: %d contracted dims", op,
              ndims_a);
    int da[2 * L2_MAX_DIMS], db[2 * L2_MAX_DIMS];
    if (td_check(op, a, b, ndims_a, dims_a, dims_b, da, db) < 0)
        return NULL;
    l2__enter();
    l2_tensor *r = td_compute(a, b, ndims_a, da, db);
    l2__leave();
    return l2__ret(r);
}

l2_tensor *l2_tensordot_n(const l2_tensor *a, const l2_tensor *b, int64_t dims)
{
    const char *op = "tensordot";
    L2__CHECK_T(a, NULL, op);
    L2__CHECK_T(b, NULL, op);
    L2__CHECK(dims >= 0, NULL, L2_ERR_ARG, "%s: tensordot expects dims >= 0, but got dims=%" PRId64,
              op, dims);
    /* torch: a's last dims (-dims .. -1) against b's first (0 .. dims-1); a dims larger than a
     * rank is out of range at its first pair */
    L2__CHECK(dims <= a->ndim, NULL, L2_ERR_DIM, "%s: Dimension out of range (expected to be in "
              "range of [%d, %d], but got %" PRId64 ")", op, -(a->ndim > 0 ? a->ndim : 1),
              (a->ndim > 0 ? a->ndim : 1) - 1, -dims);
    int n = (int)dims, ra[L2_MAX_DIMS], rb[L2_MAX_DIMS], da[L2_MAX_DIMS], db[L2_MAX_DIMS];
    for (int i = 0; i < n; i++)
        ra[i] = -n + i, rb[i] = i;
    if (td_check(op, a, b, n, ra, rb, da, db) < 0)
        return NULL;
    l2__enter();
    l2_tensor *r = td_compute(a, b, n, da, db);
    l2__leave();
    return l2__ret(r);
}

/* ---- linalg.cross --------------------------------------------------------------------------- */

/* c = roll(a, -1) roll(b, -2) - roll(a, -2) roll(b, -1) along dim: c_i = a_{i+1} b_{i+2} -
 * a_{i+2} b_{i+1} (indices mod 3), torch's formula per element; broadcast by l2_mul. */
l2_tensor *l2_linalg_cross(const l2_tensor *a, const l2_tensor *b, int dim)
{
    const char *op = "linalg.cross";
    L2__CHECK_T(a, NULL, op);
    L2__CHECK_T(b, NULL, op);
    L2__CHECK(a->ndim == b->ndim, NULL, L2_ERR_SHAPE, "%s: inputs must have the same number of "
              "dimensions (%d and %d)", op, a->ndim, b->ndim);
    L2__CHECK(a->ndim > 0, NULL, L2_ERR_DIM, "%s: Dimension specified as %d but tensor has no "
              "dimensions", op, dim);
    int d = l2__wrap_dim(op, dim, a->ndim);
    if (d < 0)
        return NULL;
    L2__CHECK(a->shape[d] == 3 && b->shape[d] == 3, NULL, L2_ERR_SHAPE,
              "%s: inputs dimension %d must have length 3. Got %" PRId64 " and %" PRId64, op, dim,
              a->shape[d], b->shape[d]);
    int64_t shape[L2_MAX_DIMS];
    if (l2__broadcast_shapes(op, a->ndim, a->shape, b->ndim, b->shape, shape) < 0)
        return NULL;
    L2__CHECK(a->dtype != L2_BOOL && b->dtype != L2_BOOL, NULL, L2_ERR_DTYPE,
              "%s: \"cross\" not implemented for bool", op);
    L2__CHECK(a->dtype == b->dtype, NULL, L2_ERR_DTYPE, "%s: expected scalar type %s but found %s",
              op, l2_dtype_name(a->dtype), l2_dtype_name(b->dtype));
    int64_t m1 = -1, m2 = -2;
    l2__enter();
    l2_tensor *a1 = l2_roll(a, 1, &m1, 1, &d);
    l2_tensor *a2 = a1 ? l2_roll(a, 1, &m2, 1, &d) : NULL;
    l2_tensor *b1 = a2 ? l2_roll(b, 1, &m1, 1, &d) : NULL;
    l2_tensor *b2 = b1 ? l2_roll(b, 1, &m2, 1, &d) : NULL;
    l2_tensor *p = b2 ? l2_mul(a1, b2) : NULL;
    l2_tensor *q = p ? l2_mul(a2, b1) : NULL;
    l2_tensor *r = q ? l2_sub(p, q) : NULL;
    l2_tensor *tmp[] = {a1, a2, b1, b2, p, q};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
    l2__leave();
    return l2__ret(r);
}
