/* linalg.c: matrix products: matmul (torch semantics: dot, mv, mm, 1-d promotion, batched with
 * broadcast batch dims), mm, bmm, mv, dot, outer, addmm and linear, each with its backward below
 * it. All of them compute through one internal product (linalg-product.c). No decompositions
 * (inverse, solve, svd...) live here.
 *
 * Dimension letters: B batch, M rows of a, K the contracted dim, N columns of b. */
#include "../autograd-impl.h"
#include "linalg-impl.h"

#include <math.h>

/* ---- matmul ------------------------------------------------------------------------------ */

/* Check that a and b have one supported dtype (float32, float64, int64). */
static bool check_dtypes(const char *op, const l2_tensor *a, const l2_tensor *b)
{
    L2__CHECK(a->dtype == b->dtype, false, L2_ERR_DTYPE,
              "%s: operands must have one dtype: expected scalar type %s but found %s", op,
              l2_dtype_name(a->dtype), l2_dtype_name(b->dtype));
    L2__CHECK(a->dtype != L2_BOOL, false, L2_ERR_DTYPE,
              "%s: dtype bool is not supported (float32, float64 or int64)", op);
    return true;
}

/* t with a size-1 dim inserted at position pos (a view without autograd). */
static l2_tensor *insert_dim(const l2_tensor *t, int pos)
{
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS];
    for (int i = 0, j = 0; i <= t->ndim; i++) {
        if (i == pos) {
            sh[i] = 1;
            st[i] = 1;
            continue;
        }
        sh[i] = t->shape[j];
        st[i] = t->stride[j];
        j++;
    }
    return l2__alias(t, t->ndim + 1, sh, st, t->offset);
}

/* t without its size-1 dim pos (a view without autograd). */
static l2_tensor *drop_dim(const l2_tensor *t, int pos)
{
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS];
    for (int i = 0, j = 0; i < t->ndim; i++) {
        if (i == pos)
            continue;
        sh[j] = t->shape[i];
        st[j] = t->stride[i];
        j++;
    }
    return l2__alias(t, t->ndim - 1, sh, st, t->offset);
}

/* The product of all but the last dim of t (rows of t seen as a matrix). */
static int64_t lead_numel(const l2_tensor *t)
{
    return l2__numel(t->ndim - 1, t->shape);
}

/* t with its last two dims swapped (a view without autograd). */
static l2_tensor *swap_last(const l2_tensor *t)
{
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS];
    int n = t->ndim;
    memcpy(sh, t->shape, sizeof sh);
    memcpy(st, t->stride, sizeof st);
    sh[n - 2] = t->shape[n - 1];
    sh[n - 1] = t->shape[n - 2];
    st[n - 2] = t->stride[n - 1];
    st[n - 1] = t->stride[n - 2];
    return l2__alias(t, n, sh, st, t->offset);
}

/* alpha * (a @ b) with torch.matmul's rules, without autograd: validates (errors name op) and
 * returns a new tensor or NULL. 1-d a becomes (1,K) and 1-d b (K,1); the added dims are dropped
 * from the result; batch dims broadcast. */
static l2_tensor *matmul_impl(const char *op, const l2_tensor *a, const l2_tensor *b,
                              double alpha)
{
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK(a->ndim >= 1 && b->ndim >= 1, NULL, L2_ERR_SHAPE,
              "%s: both arguments need to be at least 1-d, but they are %d-d and %d-d", op,
              a->ndim, b->ndim);
    if (!check_dtypes(op, a, b))
        return NULL;
    int64_t ka = a->shape[a->ndim - 1], kb = b->shape[b->ndim == 1 ? 0 : b->ndim - 2];
    L2__CHECK(ka == kb, NULL, L2_ERR_SHAPE,
              "%s: shapes %s and %s are not compatible (%lld != %lld)", op,
              l2__shape_str(s1, a->ndim, a->shape), l2__shape_str(s2, b->ndim, b->shape),
              (long long)ka, (long long)kb);
    int nba = a->ndim > 2 ? a->ndim - 2 : 0, nbb = b->ndim > 2 ? b->ndim - 2 : 0;
    int nb = nba > nbb ? nba : nbb, ndim = 0;
    int64_t shape[L2_MAX_DIMS];
    for (int i = 0; i < nb; i++) {
        int ia = i - (nb - nba), ib = i - (nb - nbb);
        int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
        L2__CHECK(sa == sb || sa == 1 || sb == 1, NULL, L2_ERR_SHAPE,
                  "%s: batch dims of shapes %s and %s cannot broadcast (%lld vs %lld in batch dim "
                  "%d)", op, l2__shape_str(s1, a->ndim, a->shape),
                  l2__shape_str(s2, b->ndim, b->shape), (long long)sa, (long long)sb, i);
        shape[ndim++] = sa == 1 ? sb : sa;
    }
    if (a->ndim >= 2)
        shape[ndim++] = a->shape[a->ndim - 2];
    if (b->ndim >= 2)
        shape[ndim++] = b->shape[b->ndim - 1];
    l2_tensor *ap = a->ndim == 1 ? insert_dim(a, 0) : NULL;
    l2_tensor *bp = b->ndim == 1 ? insert_dim(b, 1) : NULL;
    l2_tensor *r = NULL;
    if ((a->ndim > 1 || ap) && (b->ndim > 1 || bp))
        r = l2__linalg_product(op, ap ? ap : a, bp ? bp : b, NULL, 0, alpha, ndim, shape);
    l2_tensor_release(ap);
    l2_tensor_release(bp);
    return r;
}

/* Save what the needed gradients read (as torch does): save[i] itself when need[i], else a
 * stand-in with save[i]'s shape and dtype over one private zero (every stride 0), so that the
 * backward code can still read the geometry while an in-place write to the operand, which no
 * needed gradient reads, does not invalidate the graph. Otherwise as l2__record_save. */
l2__node *l2__record_save_needed(l2__op op, l2_tensor *out, int n,
                                 const l2_tensor *const *inputs, int nsave,
                                 const l2_tensor *const *save, const bool *need)
{
    const l2_tensor *sv[L2__MAX_SAVED] = {0};
    l2_tensor *standin[L2__MAX_SAVED] = {0};
    l2__node *node = NULL;
    for (int i = 0; i < nsave; i++) {
        sv[i] = save[i];
        if (need[i])
            continue;
        int64_t st[L2_MAX_DIMS] = {0};
        l2_tensor *z = l2__new("save", 0, NULL, save[i]->dtype, true);
        standin[i] = z ? l2__alias(z, save[i]->ndim, save[i]->shape, st, 0) : NULL;
        l2_tensor_release(z);
        if (!standin[i])
            goto out;
        sv[i] = standin[i];
    }
    node = l2__record_save(op, out, n, inputs, nsave, sv);
    if (node) {
        node->standins_only = true;
        for (int i = 0; i < nsave; i++)
            node->standins_only &= !need[i];
    }
out:
    for (int i = 0; i < nsave; i++)
        l2_tensor_release(standin[i]);
    return node;
}

/* Record a node of type op over a and b when they need grad: dA reads b, dB reads a, so each is
 * saved only when the other requires grad. Releases r and returns NULL on failure. */
static l2_tensor *record2(l2__op op, l2_tensor *r, const l2_tensor *a, const l2_tensor *b)
{
    const l2_tensor *in[2] = {a, b};
    bool need[2] = {b->requires_grad, a->requires_grad};
    if (r && l2__is_float(r->dtype) && l2__needs_grad(2, in) &&
        !l2__record_save_needed(op, r, 2, in, 2, in, need)) {
        l2_tensor_release(r);
        return NULL;
    }
    return r;
}

l2_tensor *l2_matmul(const l2_tensor *a, const l2_tensor *b)
{
    L2__HALF_ROUTE(l2_matmul(H_[0], H_[1]), a, b);
    L2__CHECK_T(a, NULL, "matmul");
    L2__CHECK_T(b, NULL, "matmul");
    return l2__ret(record2(L2__OP_MATMUL, matmul_impl("matmul", a, b, 1), a, b));
}

/* The gradients of C = A @ B (any of matmul's cases), with A = saved[0], B = saved[1]:
 *     dA = dC @ B^T,   dB = A^T @ dC,
 * computed on the promoted (batch..., M, K) @ (batch..., K, N) forms; dims promoted from 1-d
 * operands are dropped again and broadcast batch dims are summed by the engine (l2__sum_to).
 * When b has no batch dims but a has, dB is one product over the folded batch:
 * dB = A2^T @ dC2 with A2 = A as (|B| * M, K) and dC2 = dC as (|B| * M, N). */
static l2_status matmul_grads(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const l2_tensor *a = n->saved[0], *b = n->saved[1];
    bool a1 = a->ndim == 1, b1 = b->ndim == 1;
    l2_tensor *ap = NULL, *bp = NULL, *g = NULL, *t = NULL, *u = NULL, *r = NULL;
    l2_status st = L2_ERR_NOMEM;
    ap = a1 ? insert_dim(a, 0) : l2_tensor_ref((l2_tensor *)a);
    bp = b1 ? insert_dim(b, 1) : l2_tensor_ref((l2_tensor *)b);
    if (!ap || !bp)
        goto out;
    /* The gradient in the promoted shape (batch..., M, N). */
    g = l2_tensor_ref((l2_tensor *)gout);
    if (a1 && !(t = insert_dim(g, b1 ? g->ndim : g->ndim - 1)))
        goto out;
    if (t) {
        l2_tensor_release(g);
        g = t;
        t = NULL;
    }
    if (b1 && !(t = insert_dim(g, g->ndim)))
        goto out;
    if (t) {
        l2_tensor_release(g);
        g = t;
        t = NULL;
    }
    if (n->next[0].fn || n->next[0].leaf) { /* dA = dC @ B^T: (batch..., M, K) */
        if (!(t = swap_last(bp)) || !(r = matmul_impl("matmul_backward", g, t, 1)))
            goto out;
        l2_tensor_release(t);
        t = NULL;
        if (a1) { /* drop the promoted M dim */
            if (!(t = drop_dim(r, r->ndim - 2)))
                goto out;
            l2_tensor_release(r);
            r = t;
            t = NULL;
        }
        gin[0] = r;
        r = NULL;
    }
    if (n->next[1].fn || n->next[1].leaf) { /* dB = A^T @ dC: (batch..., K, N) */
        if (bp->ndim == 2 && ap->ndim > 2) {
            int64_t K = ap->shape[ap->ndim - 1], N = bp->shape[1];
            int64_t rows = lead_numel(g);
            if (!(t = l2_reshape(ap, L2_SHAPE(rows, K))) ||
                !(u = l2_reshape(g, L2_SHAPE(rows, N))))
                goto out;
            l2_tensor_release(ap);
            l2_tensor_release(g);
            ap = t;
            g = u;
            t = u = NULL;
        }
        if (!(t = swap_last(ap)) || !(r = matmul_impl("matmul_backward", t, g, 1)))
            goto out;
        l2_tensor_release(t);
        t = NULL;
        if (b1) { /* drop the promoted N dim */
            if (!(t = drop_dim(r, r->ndim - 1)))
                goto out;
            l2_tensor_release(r);
            r = t;
            t = NULL;
        }
        gin[1] = r;
        r = NULL;
    }
    st = L2_OK;
out:
    if (st != L2_OK && l2_last_status() != L2_OK)
        st = l2_last_status();
    l2_tensor_release(ap);
    l2_tensor_release(bp);
    l2_tensor_release(g);
    l2_tensor_release(t);
    l2_tensor_release(u);
    l2_tensor_release(r);
    return st;
}

l2_status l2__matmul_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads(n, gout, gin);
}

/* ---- mm, bmm, mv, dot: matmul restricted to one case ------------------------------------ */

/* The two operands of a product: both non-NULL, of ranks ra and rb (L2_ERR_SHAPE, saying what
 * the op expected). bname names the second operand in the NULL message. */
static bool ranks(const char *op, const l2_tensor *a, const l2_tensor *b, const char *bname,
                  int ra, int rb, const char *what)
{
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_T(a, false, op);
    L2__CHECK_TN(b, false, op, bname);
    L2__CHECK(a->ndim == ra && b->ndim == rb, false, L2_ERR_SHAPE, "%s: %s, got shapes %s and %s",
              op, what, l2__shape_str(s1, a->ndim, a->shape), l2__shape_str(s2, b->ndim, b->shape));
    return true;
}

l2_tensor *l2_mm(const l2_tensor *a, const l2_tensor *b)
{
    L2__HALF_ROUTE(l2_mm(H_[0], H_[1]), a, b);
    const char *op = "mm";
    if (!ranks(op, a, b, "b", 2, 2, "both arguments must be 2-d matrices"))
        return NULL;
    return l2__ret(record2(L2__OP_MM, matmul_impl(op, a, b, 1), a, b));
}

/* As matmul. */
l2_status l2__mm_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads(n, gout, gin);
}

l2_tensor *l2_bmm(const l2_tensor *a, const l2_tensor *b)
{
    L2__HALF_ROUTE(l2_bmm(H_[0], H_[1]), a, b);
    const char *op = "bmm";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    if (!ranks(op, a, b, "b", 3, 3, "both arguments must be 3-d"))
        return NULL;
    L2__CHECK(a->shape[0] == b->shape[0], NULL, L2_ERR_SHAPE,
              "%s: shapes %s and %s are not compatible (batch %lld != %lld)", op,
              l2__shape_str(s1, a->ndim, a->shape), l2__shape_str(s2, b->ndim, b->shape),
              (long long)a->shape[0], (long long)b->shape[0]);
    return l2__ret(record2(L2__OP_BMM, matmul_impl(op, a, b, 1), a, b));
}

/* As matmul. */
l2_status l2__bmm_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads(n, gout, gin);
}

l2_tensor *l2_mv(const l2_tensor *a, const l2_tensor *v)
{
    L2__HALF_ROUTE(l2_mv(H_[0], H_[1]), a, v);
    const char *op = "mv";
    if (!ranks(op, a, v, "v", 2, 1, "expected a 2-d matrix and a 1-d vector"))
        return NULL;
    return l2__ret(record2(L2__OP_MV, matmul_impl(op, a, v, 1), a, v));
}

/* As matmul: da = g outer v, dv = a^T g. */
l2_status l2__mv_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads(n, gout, gin);
}

l2_tensor *l2_dot(const l2_tensor *a, const l2_tensor *b)
{
    L2__HALF_ROUTE(l2_dot(H_[0], H_[1]), a, b);
    const char *op = "dot";
    if (!ranks(op, a, b, "b", 1, 1, "1-d tensors expected"))
        return NULL;
    return l2__ret(record2(L2__OP_DOT, matmul_impl(op, a, b, 1), a, b));
}

/* As matmul: da = g * b, db = g * a (g is 0-d). */
l2_status l2__dot_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return matmul_grads(n, gout, gin);
}

/* ---- outer ------------------------------------------------------------------------------- */


l2_tensor *l2_outer(const l2_tensor *a, const l2_tensor *b)
{
    L2__HALF_ROUTE(l2_outer(H_[0], H_[1]), a, b);
    const char *op = "outer";
    if (!ranks(op, a, b, "b", 1, 1, "1-d tensors expected"))
        return NULL;
    l2_dtype dt = l2__result_type(a, b);
    L2__CHECK(dt != L2_BOOL, NULL, L2_ERR_DTYPE,
              "%s: dtype bool is not supported (float32, float64 or int64)", op);
    l2_tensor *ac = l2__convert(op, a, dt, false), *bc = l2__convert(op, b, dt, false);
    l2_tensor *ap = ac ? insert_dim(ac, 1) : NULL; /* (M, 1) */
    l2_tensor *bp = bc ? insert_dim(bc, 0) : NULL; /* (1, N) */
    l2_tensor *r = NULL;
    if (ap && bp)
        r = l2__linalg_product(op, ap, bp, NULL, 0, 1, 2,
                               (const int64_t[]){a->shape[0], b->shape[0]});
    l2_tensor_release(ac);
    l2_tensor_release(bc);
    l2_tensor_release(ap);
    l2_tensor_release(bp);
    return l2__ret(record2(L2__OP_OUTER, r, a, b));
}

/* da = g @ b, db = g^T @ a (b and a converted to g's dtype). */
l2_status l2__outer_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "outer_backward";
    l2_tensor *a = l2__convert(op, n->saved[0], gout->dtype, false);
    l2_tensor *b = l2__convert(op, n->saved[1], gout->dtype, false);
    l2_tensor *gt = swap_last(gout);
    l2_status st = L2_OK;
    if (!a || !b || !gt)
        st = L2_ERR_NOMEM;
    if (st == L2_OK && (n->next[0].fn || n->next[0].leaf) &&
        !(gin[0] = matmul_impl(op, gout, b, 1)))
        st = l2_last_status();
    if (st == L2_OK && (n->next[1].fn || n->next[1].leaf) &&
        !(gin[1] = matmul_impl(op, gt, a, 1)))
        st = l2_last_status();
    l2_tensor_release(a);
    l2_tensor_release(b);
    l2_tensor_release(gt);
    return st;
}

/* ---- addmm ------------------------------------------------------------------------------- */

/* For int64 operands torch takes only integral scalars. */
static bool check_int_scalar(const char *op, l2_dtype dt, const char *name, double v)
{
    L2__CHECK(dt != L2_INT64 || (v == floor(v) && fabs(v) < 9.2e18), false, L2_ERR_ARG,
              "%s: for integral input tensors, argument %s must not be a floating point number "
              "(got %g)", op, name, v);
    return true;
}

l2_tensor *l2_addmm(const l2_tensor *c, const l2_tensor *a, const l2_tensor *b, double beta,
                    double alpha)
{
    L2__HALF_ROUTE(l2_addmm(H_[0], H_[1], H_[2], beta, alpha), c, a, b);
    const char *op = "addmm";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_T(c, NULL, op);
    if (!ranks(op, a, b, "b", 2, 2, "a and b must be 2-d matrices"))
        return NULL;
    if (!check_dtypes(op, a, b) || !check_dtypes(op, c, a))
        return NULL;
    L2__CHECK(a->shape[1] == b->shape[0], NULL, L2_ERR_SHAPE,
              "%s: shapes %s and %s are not compatible (%lld != %lld)", op,
              l2__shape_str(s1, a->ndim, a->shape), l2__shape_str(s2, b->ndim, b->shape),
              (long long)a->shape[1], (long long)b->shape[0]);
    int64_t shape[2] = {a->shape[0], b->shape[1]};
    L2__CHECK(l2__linalg_broadcasts_to(c, 2, shape), NULL, L2_ERR_SHAPE,
              "%s: c of shape %s cannot broadcast to the product's shape %s", op,
              l2__shape_str(s1, c->ndim, c->shape), l2__shape_str(s2, 2, shape));
    L2__CHECK(isfinite(beta) && isfinite(alpha), NULL, L2_ERR_ARG,
              "%s: beta and alpha must be finite (got %g and %g)", op, beta, alpha);
    if (!check_int_scalar(op, a->dtype, "beta", beta) ||
        !check_int_scalar(op, a->dtype, "alpha", alpha))
        return NULL;
    l2_tensor *r = l2__linalg_product(op, a, b, c, beta, alpha, 2, shape);
    return l2__ret(l2__record_scaled_product(L2__OP_ADDMM, r, c, a, b, beta, alpha));
}

l2_tensor *l2__record_scaled_product(int opk, l2_tensor *r, const l2_tensor *c,
                                     const l2_tensor *a, const l2_tensor *b, double beta,
                                     double alpha)
{
    const l2_tensor *in[3] = {c, a, b};
    if (r && l2__is_float(r->dtype) && l2__needs_grad(3, in)) {
        bool need[2] = {b->requires_grad, a->requires_grad}; /* da reads b, db reads a */
        l2__node *node = l2__record_save_needed(opk, r, 3, in, 2, in + 1, need);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
        node->f[0] = beta;
        node->f[1] = alpha;
    }
    return r;
}

/* dc = beta * g (summed to c's shape by the engine), da = alpha * g @ b^T,
 * db = alpha * a^T @ g. */
l2_status l2__addmm_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "addmm_backward";
    double beta = n->f[0], alpha = n->f[1];
    const l2_tensor *a = n->saved[0], *b = n->saved[1];
    if (n->next[0].fn || n->next[0].leaf) {
        if (!(gin[0] = l2__new(op, gout->ndim, gout->shape, gout->dtype, false)))
            return L2_ERR_NOMEM;
        l2__copy_kernel(gin[0], gout);
        l2__linalg_scale(gin[0], beta);
    }
    if (n->next[1].fn || n->next[1].leaf) {
        l2_tensor *bt = swap_last(b);
        gin[1] = bt ? matmul_impl(op, gout, bt, alpha) : NULL;
        l2_tensor_release(bt);
        if (!gin[1])
            return l2_last_status();
    }
    if (n->next[2].fn || n->next[2].leaf) {
        l2_tensor *at = swap_last(a);
        gin[2] = at ? matmul_impl(op, at, gout, alpha) : NULL;
        l2_tensor_release(at);
        if (!gin[2])
            return l2_last_status();
    }
    return L2_OK;
}

/* ---- linear ------------------------------------------------------------------------------ */

l2_tensor *l2_linear(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b)
{
    L2__HALF_ROUTE(l2_linear(H_[0], H_[1], H_[2]), x, w, b);
    const char *op = "linear";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_T(x, NULL, op);
    L2__CHECK_T(w, NULL, op);
    L2__CHECK(x->ndim >= 1, NULL, L2_ERR_SHAPE, "%s: x must be at least 1-d, got shape %s", op,
              l2__shape_str(s1, x->ndim, x->shape));
    L2__CHECK(w->ndim == 2, NULL, L2_ERR_SHAPE, "%s: w must be 2-d (out, in), got shape %s", op,
              l2__shape_str(s1, w->ndim, w->shape));
    if (!check_dtypes(op, x, w) || (b && !check_dtypes(op, b, x)))
        return NULL;
    int64_t in = x->shape[x->ndim - 1];
    L2__CHECK(in == w->shape[1], NULL, L2_ERR_SHAPE,
              "%s: shapes %s and %s are not compatible (%lld != %lld)", op,
              l2__shape_str(s1, x->ndim, x->shape), l2__shape_str(s2, w->ndim, w->shape),
              (long long)in, (long long)w->shape[1]);
    int64_t shape[L2_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = w->shape[0];
    L2__CHECK(!b || l2__linalg_broadcasts_to(b, x->ndim, shape), NULL, L2_ERR_SHAPE,
              "%s: b of shape %s cannot broadcast to the output's shape %s", op,
              l2__shape_str(s1, b->ndim, b->shape), l2__shape_str(s2, x->ndim, shape));
    l2_tensor *xp = x->ndim == 1 ? insert_dim(x, 0) : NULL; /* (1, in) */
    l2_tensor *wt = swap_last(w);                             /* (in, out) */
    l2_tensor *r = NULL;
    if ((x->ndim > 1 || xp) && wt)
        r = l2__linalg_product(op, xp ? xp : x, wt, b, 1, 1, x->ndim, shape);
    l2_tensor_release(xp);
    l2_tensor_release(wt);
    const l2_tensor *ins[3] = {x, w, b};
    bool need[2] = {w->requires_grad, x->requires_grad}; /* dx reads w, dw reads x */
    if (r && l2__is_float(r->dtype) && l2__needs_grad(3, ins) &&
        !l2__record_save_needed(L2__OP_LINEAR, r, 3, ins, 2, ins, need)) {
        l2_tensor_release(r);
        return NULL;
    }
    return l2__ret(r);
}

/* y = x @ w^T + b:  dx = g @ w,  dw = g2^T @ x2 with g2 = g as (-1, out) and x2 = x as (-1, in),
 * db = g (summed to b's shape by the engine). */
l2_status l2__linear_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "linear_backward";
    const l2_tensor *x = n->saved[0], *w = n->saved[1];
    if (n->next[0].fn || n->next[0].leaf) {
        if (!(gin[0] = matmul_impl(op, gout, w, 1)))
            return l2_last_status();
    }
    if (n->next[1].fn || n->next[1].leaf) {
        int64_t rows = lead_numel(x);
        l2_tensor *g2 = l2_reshape(gout, L2_SHAPE(rows, w->shape[0]));
        l2_tensor *x2 = l2_reshape(x, L2_SHAPE(rows, w->shape[1]));
        l2_tensor *g2t = g2 ? swap_last(g2) : NULL;
        gin[1] = g2t && x2 ? matmul_impl(op, g2t, x2, 1) : NULL;
        l2_tensor_release(g2);
        l2_tensor_release(x2);
        l2_tensor_release(g2t);
        if (!gin[1])
            return l2_last_status();
    }
    if (n->next[2].fn || n->next[2].leaf)
        gin[2] = l2_tensor_ref((l2_tensor *)gout);
    return L2_OK;
}
