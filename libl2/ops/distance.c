/* distance.c: cosine_similarity, pairwise_distance and normalize (issue 14, area act), composed
 * of public ops as torch 1.13 composes them, between l2__enter and l2__leave (intermediates stay
 * out of the caller's scope); their gradients are those of the ops composed. Every argument is
 * checked first, so that an inner call can only fail on out-of-memory. */
#include "../autograd-impl.h" /* l2__enter, l2__leave */

#include <math.h>

static void release_all(l2_tensor **t, int n)
{
    for (int i = 0; i < n; i++)
        l2_tensor_release(t[i]);
}

/* norm(t, dim, keepdim) with its value clamped below at eps as torch 1.13 does it: a no-grad
 * clamp_min_ of the norm's own saved result, so that its gradient is x / max(norm, eps), not
 * x / norm. Built as c' + (n - n') * (n / c)' with c = max(n, eps) and ' meaning detached:
 * value c, gradient dn * n / c. */
static l2_tensor *norm_floor(const l2_tensor *t, int dim, double eps)
{
    l2_tensor *n = l2_norm(t, 2, t->ndim ? 1 : 0, &dim, true);
    l2_tensor *nd = n ? l2_detach(n) : NULL;
    l2_tensor *c = nd ? l2_clamp(nd, eps, INFINITY) : NULL;
    l2_tensor *q = c ? l2_div(nd, c) : NULL; /* no gradient: both detached */
    l2_tensor *z = q ? l2_sub(n, nd) : NULL;
    l2_tensor *zq = z ? l2_mul(z, q) : NULL;
    l2_tensor *r = zq ? l2_add(c, zq) : NULL;
    l2_tensor *tmp[] = {n, nd, c, q, z, zq};
    release_all(tmp, 6);
    return r;
}

/* sum over dim of (x1 / max(|x1|, eps)) (x2 / max(|x2|, eps)), x1 and x2 broadcast first, the
 * norms along dim (torch 1.13's formula and gradient). */
l2_tensor *l2_cosine_similarity(const l2_tensor *x1, const l2_tensor *x2, int dim, double eps)
{
    const char *op = "cosine_similarity";
    L2__CHECK_T(x1, NULL, op);
    L2__CHECK_T(x2, NULL, op);
    L2__CHECK(l2__is_float(x1->dtype) && l2__is_float(x2->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected float inputs, got %s and %s", op, l2_dtype_name(x1->dtype),
              l2_dtype_name(x2->dtype));
    L2__CHECK(!isnan(eps), NULL, L2_ERR_ARG, "%s: eps must not be NaN", op);
    int64_t shape[L2_MAX_DIMS];
    int nd = l2__broadcast_shapes(op, x1->ndim, x1->shape, x2->ndim, x2->shape, shape);
    if (nd < 0)
        return NULL;
    int d = l2__wrap_dim(op, dim, nd > 0 ? nd : 1);
    if (d < 0)
        return NULL;
    l2__enter();
    l2_tensor *a = l2_broadcast_to(x1, nd, shape);
    l2_tensor *b = a ? l2_broadcast_to(x2, nd, shape) : NULL;
    l2_tensor *na = b ? norm_floor(a, d, eps) : NULL;
    l2_tensor *nb = na ? norm_floor(b, d, eps) : NULL;
    l2_tensor *ua = nb ? l2_div(a, na) : NULL;
    l2_tensor *ub = ua ? l2_div(b, nb) : NULL;
    l2_tensor *pr = ub ? l2_mul(ua, ub) : NULL;
    l2_tensor *r = pr ? l2_sum_dims(pr, nd ? 1 : 0, &d, false) : NULL;
    l2_tensor *tmp[] = {a, b, na, nb, ua, ub, pr};
    release_all(tmp, 7);
    l2__leave();
    return l2__ret(r);
}

/* p-norm of x1 - x2 + eps over the last dim of the broadcast shape (torch 1.13's formula). */
l2_tensor *l2_pairwise_distance(const l2_tensor *x1, const l2_tensor *x2, double p, double eps,
                                bool keepdim)
{
    const char *op = "pairwise_distance";
    L2__CHECK_T(x1, NULL, op);
    L2__CHECK_T(x2, NULL, op);
    L2__CHECK(l2__is_float(x1->dtype) && l2__is_float(x2->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected float inputs, got %s and %s", op, l2_dtype_name(x1->dtype),
              l2_dtype_name(x2->dtype));
    L2__CHECK(p > 0 && !isnan(eps), NULL, L2_ERR_ARG,
              "%s: p must be positive (got %g) and eps not NaN", op, p);
    int64_t shape[L2_MAX_DIMS];
    int nd = l2__broadcast_shapes(op, x1->ndim, x1->shape, x2->ndim, x2->shape, shape);
    if (nd < 0)
        return NULL;
    int d = nd - 1; /* 0-d inputs: the norm of their one element */
    l2__enter();
    l2_tensor *df = l2_sub(x1, x2);
    l2_tensor *de = df ? l2_add_scalar(df, eps) : NULL;
    /* an empty last dim: every norm is 0 (l2_norm refuses the inf norm there, torch not) */
    if (nd && shape[d] == 0)
        p = 2;
    l2_tensor *r = de ? l2_norm(de, p, nd ? 1 : 0, &d, keepdim) : NULL;
    l2_tensor *tmp[] = {df, de};
    release_all(tmp, 2);
    l2__leave();
    return l2__ret(r);
}

/* t / max(norm_p(t, dim), eps), the norm kept as a size-1 dim and broadcast. */
l2_tensor *l2_normalize(const l2_tensor *t, double p, int dim, double eps)
{
    const char *op = "normalize";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE, "%s: expected a float input, got %s",
              op, l2_dtype_name(t->dtype));
    L2__CHECK(p > 0 && !isnan(eps), NULL, L2_ERR_ARG,
              "%s: p must be positive (got %g) and eps not NaN", op, p);
    int d = l2__wrap_dim(op, dim, t->ndim > 0 ? t->ndim : 1);
    if (d < 0)
        return NULL;
    if (t->ndim && t->shape[d] == 0)
        p = 2; /* an empty dim: an empty result whatever p (l2_norm refuses the inf norm) */
    l2__enter();
    l2_tensor *n = l2_norm(t, p, t->ndim ? 1 : 0, &d, true);
    l2_tensor *c = n ? l2_clamp(n, eps, INFINITY) : NULL;
    l2_tensor *r = c ? l2_div(t, c) : NULL;
    l2_tensor *tmp[] = {n, c};
    release_all(tmp, 2);
    l2__leave();
    return l2__ret(r);
}
