/* copy.c: ops that copy data: contiguous, clone, dtype conversion, cat, stack and the in-place
 * broadcasting copy_, each with its backward below it. The copying itself is l2__copy_kernel
 * (the strided iterator). */
#include "../autograd-impl.h"

#include <stdio.h>

/* A copy of t in dtype dt: laid out like t with keep_layout (torch's preserve_format; dtype
 * conversion), else contiguous (contiguous, and clone, whose contract in l2.h says so). */
static l2_tensor *clone_impl(const char *op, const l2_tensor *t, l2_dtype dt, l2__op node_op,
                             bool keep_layout)
{
    l2_tensor *r = keep_layout
                       ? l2__new_like(op, t->ndim, t->shape, dt, L2_DTYPE_COUNT, 1, &t)
                       : l2__new(op, t->ndim, t->shape, dt, false);
    if (!r)
        return NULL;
    l2__copy_kernel(r, t);
    if (l2__is_float(dt) && l2__is_float(t->dtype) && l2__needs_grad(1, &t) &&
        !l2__record(node_op, r, 1, &t)) {
        l2_tensor_release(r);
        return NULL;
    }
    return r;
}

l2_tensor *l2_clone(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "clone");
    return l2__ret(clone_impl("clone", t, t->dtype, L2__OP_CLONE, false));
}

l2_tensor *l2_contiguous(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "contiguous");
    if (l2__is_contiguous(t))
        return l2__ret(l2_tensor_ref((l2_tensor *)t));
    return l2__ret(clone_impl("contiguous", t, t->dtype, L2__OP_CLONE, false));
}

/* dx = dy */
l2_status l2__clone_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (l2__fault("grad_sign")) { /* mutation test: the oracle must notice a flipped gradient */
        gin[0] = l2__new("clone_backward", gout->ndim, gout->shape, gout->dtype, false);
        if (!gin[0])
            return l2_last_status();
        l2__copy_kernel(gin[0], gout);
        int64_t m = l2__numel(gout->ndim, gout->shape);
        L2__DISPATCH_FLOAT(gout->dtype, {
            T *p = (T *)l2__data(gin[0]);
            for (int64_t k = 0; k < m; k++)
                p[k] = -p[k];
        });
        return L2_OK;
    }
    gin[0] = l2_tensor_ref((l2_tensor *)gout);
    return L2_OK;
}

l2_tensor *l2_to_dtype(const l2_tensor *t, l2_dtype dt)
{
    L2__CHECK_T(t, NULL, "to_dtype");
    L2__CHECK((unsigned)dt < L2_DTYPE_COUNT, NULL, L2_ERR_ARG, "to_dtype: invalid dtype %d",
              (int)dt);
    if (dt == t->dtype)
        return l2__ret(l2_tensor_ref((l2_tensor *)t));
    return l2__ret(clone_impl("to_dtype", t, dt, L2__OP_TO_DTYPE, true));
}

/* dx = dy, cast back to x's dtype by the engine. */
l2_status l2__to_dtype_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = l2_tensor_ref((l2_tensor *)gout);
    return L2_OK;
}

/* ---- cat / stack ------------------------------------------------------------------------- */

static l2_tensor *cat_tree(int n, l2_tensor *const *ts, int dim);
static l2_tensor *record_cat(l2_tensor *r, int n, l2_tensor *const *ts, int d, l2_dtype dt);

l2_tensor *l2_cat(int n, l2_tensor *const *ts, int dim)
{
    const char *op = "cat";
    L2__CHECK(ts, NULL, L2_ERR_NULL, "%s: tensors is NULL", op);
    L2__CHECK(n >= 1, NULL, L2_ERR_ARG, "%s: expected a non-empty list of tensors", op);
    const l2_tensor *ref = NULL;
    l2_dtype dt = L2_BOOL;
    bool first = true;
    for (int k = 0; k < n; k++) {
        L2__CHECK(ts[k], NULL, L2_ERR_NULL, "%s: tensor %d is NULL", op, k);
        if (!first) { /* promote pairwise by category and width, as torch.cat */
            l2_dtype a = dt, b = ts[k]->dtype;
            dt = (a == L2_FLOAT64 || b == L2_FLOAT64)   ? L2_FLOAT64
                 : (a == L2_FLOAT32 || b == L2_FLOAT32) ? L2_FLOAT32
                 : (a == L2_INT64 || b == L2_INT64)     ? L2_INT64
                                                        : L2_BOOL;
        } else {
            dt = ts[k]->dtype;
        }
        first = false;
        if (ts[k]->ndim == 1 && ts[k]->shape[0] == 0)
            continue; /* legacy torch rule: 1-d empty tensors are skipped */
        L2__CHECK(ts[k]->ndim > 0, NULL, L2_ERR_DIM, "%s: zero-dimensional tensor (at position "
                  "%d) cannot be concatenated", op, k);
        if (!ref)
            ref = ts[k];
    }
    /* When every input is empty 1-d, the result is too, still connected to them (torch). */
    int d = ref ? l2__wrap_dim(op, dim, ref->ndim) : 0;
    if (d < 0)
        return NULL;
    if (!ref) {
        int64_t zero = 0;
        l2_tensor *r = l2__new(op, 1, &zero, dt, false);
        return l2__ret(r ? record_cat(r, n, ts, d, dt) : NULL);
    }
    int64_t sh[L2_MAX_DIMS];
    memcpy(sh, ref->shape, sizeof sh);
    sh[d] = 0;
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    for (int k = 0; k < n; k++) {
        const l2_tensor *x = ts[k];
        if (x->ndim == 1 && x->shape[0] == 0)
            continue;
        L2__CHECK(x->ndim == ref->ndim, NULL, L2_ERR_SHAPE, "%s: tensors must have same number "
                  "of dimensions: got %d and %d", op, ref->ndim, x->ndim);
        for (int i = 0; i < x->ndim; i++)
            L2__CHECK(i == d || x->shape[i] == ref->shape[i], NULL, L2_ERR_SHAPE,
                      "%s: sizes of tensors must match except in dimension %d: shapes %s and %s "
                      "(tensor %d)", op, d, l2__shape_str(s1, ref->ndim, ref->shape),
                      l2__shape_str(s2, x->ndim, x->shape), k);
        L2__CHECK(!__builtin_add_overflow(sh[d], x->shape[d], &sh[d]), NULL, L2_ERR_OVERFLOW,
                  "%s: result size overflows", op);
    }
    l2_tensor *r = l2__new(op, ref->ndim, sh, dt, false);
    if (!r)
        return NULL;
    int64_t pos = 0;
    for (int k = 0; k < n; k++) {
        const l2_tensor *x = ts[k];
        if (x->ndim == 1 && x->shape[0] == 0)
            continue;
        int64_t part_shape[L2_MAX_DIMS];
        memcpy(part_shape, r->shape, sizeof part_shape);
        part_shape[d] = x->shape[d];
        l2_tensor *part = l2__alias(r, r->ndim, part_shape, r->stride, pos * r->stride[d]);
        if (!part) {
            l2_tensor_release(r);
            return NULL;
        }
        l2__copy_kernel(part, x);
        l2_tensor_release(part);
        pos += x->shape[d];
    }
    return l2__ret(record_cat(r, n, ts, d, dt));
}

/* Attach cat's node to r when the inputs need grad; returns r, or NULL (r released). */
static l2_tensor *record_cat(l2_tensor *r, int n, l2_tensor *const *ts, int d, l2_dtype dt)
{
    if (l2__is_float(dt) && l2__needs_grad(n, (const l2_tensor *const *)ts)) {
        if (n > L2__MAX_INPUTS) {
            /* A node has at most L2__MAX_INPUTS inputs: build the graph as a tree of cats of
             * groups (same values; the data above is discarded). */
            l2_tensor_release(r);
            return cat_tree(n, ts, d);
        }
        l2__node *node = l2__record(L2__OP_CAT, r, n, (const l2_tensor *const *)ts);
        if (!node) {
            l2_tensor_release(r);
            return NULL;
        }
        node->i[0] = d;
        node->ni = 1;
    }
    return r;
}

/* cat of n > L2__MAX_INPUTS tensors with autograd: cat groups of L2__MAX_INPUTS, then cat the
 * groups' results (recursively). */
static l2_tensor *cat_tree(int n, l2_tensor *const *ts, int dim)
{
    l2_tensor *parts[L2__MAX_INPUTS] = {0};
    int per = (n + L2__MAX_INPUTS - 1) / L2__MAX_INPUTS, np = 0;
    l2_tensor *r = NULL;
    l2__enter();
    for (int k = 0; k < n; k += per, np++) {
        parts[np] = l2_cat(n - k < per ? n - k : per, ts + k, dim);
        if (!parts[np])
            goto out;
    }
    r = l2_cat(np, parts, dim);
out:
    for (int k = 0; k < L2__MAX_INPUTS; k++)
        l2_tensor_release(parts[k]);
    l2__leave();
    return r;
}

/* dx_k = dy[..., start_k : start_k + size_k, ...] along the cat dim. A skipped 1-d empty input
 * still gets its (empty) gradient, as in torch: it is connected, not unused. */
l2_status l2__cat_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int d = (int)n->i[0];
    int64_t pos = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        if (n->in_ndim[k] == 1 && n->in_shape[k][0] == 0) {
            int64_t zero = 0;
            if ((n->next[k].fn || n->next[k].leaf) &&
                !(gin[k] = l2__new("cat_backward", 1, &zero, gout->dtype, false)))
                return l2_last_status();
            continue;
        }
        int64_t len = n->in_shape[k][d];
        if (n->next[k].fn || n->next[k].leaf) {
            gin[k] = l2_narrow(gout, d, pos, len);
            if (!gin[k])
                return l2_last_status();
        }
        pos += len;
    }
    return L2_OK;
}

l2_tensor *l2_stack(int n, l2_tensor *const *ts, int dim)
{
    const char *op = "stack";
    L2__CHECK(ts, NULL, L2_ERR_NULL, "%s: tensors is NULL", op);
    L2__CHECK(n >= 1, NULL, L2_ERR_ARG, "%s: expected a non-empty list of tensors", op);
    L2__CHECK(n <= 64, NULL, L2_ERR_UNSUPPORTED, "%s: at most 64 tensors", op);
    for (int k = 0; k < n; k++) {
        L2__CHECK(ts[k], NULL, L2_ERR_NULL, "%s: tensor %d is NULL", op, k);
        char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
        bool same = ts[k]->ndim == ts[0]->ndim;
        for (int i = 0; same && i < ts[0]->ndim; i++)
            same = ts[k]->shape[i] == ts[0]->shape[i];
        L2__CHECK(same, NULL, L2_ERR_SHAPE, "%s: expects each tensor to be equal size, but got "
                  "%s at entry 0 and %s at entry %d", op,
                  l2__shape_str(s1, ts[0]->ndim, ts[0]->shape),
                  l2__shape_str(s2, ts[k]->ndim, ts[k]->shape), k);
    }
    int d = l2__wrap_dim(op, dim, ts[0]->ndim + 1);
    if (d < 0)
        return NULL;
    l2_tensor *u[64] = {0};
    l2_tensor *r = NULL;
    l2__enter();
    int k;
    for (k = 0; k < n; k++)
        if (!(u[k] = l2_unsqueeze(ts[k], d)))
            break;
    if (k == n)
        r = l2_cat(n, u, d);
    for (k = 0; k < n; k++)
        l2_tensor_release(u[k]);
    l2__leave();
    return l2__ret(r);
}

/* ---- copy_ ------------------------------------------------------------------------------- */

/* True when the element ranges of a and b in one storage intersect. */
static bool may_overlap(const l2_tensor *a, const l2_tensor *b)
{
    if (a->storage != b->storage)
        return false;
    int64_t alo, ahi, blo, bhi;
    /* An extent that overflows cannot occur for a validated view; treat it as overlapping. */
    if (l2__extent_ovf(a->ndim, a->shape, a->stride, a->offset, &alo, &ahi) ||
        l2__extent_ovf(b->ndim, b->shape, b->stride, b->offset, &blo, &bhi))
        return true;
    return alo <= bhi && blo <= ahi;
}

/* True when a and b (same shape) are the same elements of one storage in the same order. */
static bool same_elements(const l2_tensor *a, const l2_tensor *b)
{
    if (a->storage != b->storage || a->offset != b->offset || a->dtype != b->dtype ||
        a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i] || (a->shape[i] > 1 && a->stride[i] != b->stride[i]))
            return false;
    return true;
}

l2_status l2_copy_(l2_tensor *dst, const l2_tensor *src)
{
    const char *op = "copy_";
    L2__CHECK_T(dst, L2_ERR_NULL, op);
    L2__CHECK_T(src, L2_ERR_NULL, op);
    for (int i = 0; i < dst->ndim && dst != src; i++) /* a self-copy writes nothing new */
        L2__CHECK_ST(dst->stride[i] != 0 || dst->shape[i] <= 1, L2_ERR_ARG,
                  "%s: unsupported operation: the destination has an expanded (stride-0) dim %d; "
                  "clone it first", op, i);
    if (!l2__check_inplace(op, dst))
        return l2_last_status();
    L2__CHECK_ST(!(dst->is_view && src->requires_grad && l2_is_grad_enabled()),
                 L2_ERR_UNSUPPORTED, "%s: copying a tensor that requires grad into a view is not "
                 "supported (its base would not see the gradient); build the result with l2_cat "
                 "or l2_stack", op);
    /* s: src broadcast to dst's shape; a temporary, so it is made without history. */
    bool prev = l2_set_grad_enabled(false);
    l2__enter();
    l2_tensor *s = l2_expand(src, dst->ndim, dst->shape);
    l2__leave();
    l2_set_grad_enabled(prev);
    if (!s) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", l2_last_error());
        return l2__fail(l2_last_status(), "%s: %s", op, msg);
    }
    /* With grad mode on, dst's old value is overwritten: its history is replaced by this node
     * (src's gradient). Under no_grad nothing is recorded and a leaf stays a leaf. */
    bool grad = l2_is_grad_enabled() && src != dst &&
                ((l2__is_float(dst->dtype) && l2__is_float(src->dtype) && src->requires_grad) ||
                 dst->requires_grad);
    bool same = same_elements(dst, s);
    if (same && !grad) {
        /* copy_(x, x), or a source with dst's exact elements: nothing to write or record, but
         * it is a write all the same (torch bumps the version too). */
        l2_tensor_release(s);
        l2__bump_version(dst);
        return L2_OK;
    }
    /* Everything that can fail happens before the first write: the temporary for an
     * overlapping source, then the graph node. */
    l2_tensor *tmp = NULL;
    if (!same && l2__numel(dst->ndim, dst->shape) > 0 && may_overlap(dst, s)) {
        tmp = l2__new(op, s->ndim, s->shape, s->dtype, false);
        if (!tmp) {
            l2_tensor_release(s);
            return l2_last_status();
        }
        l2__copy_kernel(tmp, s);
    }
    /* The node's edges: src (its gradient) and dst's old history (a zero gradient, which torch's
     * CopyBackwards also keeps, so the saved tensors along it are still checked). */
    const l2_tensor *in[2] = {src, dst};
    if (grad && !l2__record(L2__OP_COPY_, dst, 2, in)) {
        l2_tensor_release(tmp);
        l2_tensor_release(s);
        return l2_last_status();
    }
    if (same) { /* the elements are already there; only the history changed */
        l2_tensor_release(s);
        l2__bump_version(dst);
        return L2_OK;
    }
    l2__copy_kernel(dst, tmp ? tmp : s);
    l2_tensor_release(tmp);
    l2_tensor_release(s);
    l2__bump_version(dst);
    return L2_OK;
}

/* dsrc = dy (summed to src's shape and cast by the engine); d(dst's old value) = 0. */
l2_status l2__copy__backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = l2_tensor_ref((l2_tensor *)gout);
    if (n->next[1].fn || n->next[1].leaf) {
        gin[1] = l2__new("copy__backward", gout->ndim, gout->shape, gout->dtype, true);
        if (!gin[1])
            return l2_last_status();
    }
    return L2_OK;
}
