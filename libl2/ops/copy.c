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
    if (l2__is_grad_dtype(dt) && l2__is_grad_dtype(t->dtype) && l2__needs_grad(1, &t) &&
        !l2__record(node_op, r, 1, &t)) {
        l2_tensor_release(r);
        return NULL;
    }
    return r;
}

static l2_tensor *half_clone(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "clone");
    return l2__ret(clone_impl("clone", t, t->dtype, L2__OP_CLONE, false));
}

/* issue 16: l2_clone accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_clone(const l2_tensor *t)
{
    l2__half_ok++;
    l2_tensor *r = half_clone(t);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_contiguous(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "contiguous");
    if (l2__is_contiguous(t))
        return l2__ret(l2_tensor_ref((l2_tensor *)t));
    return l2__ret(clone_impl("contiguous", t, t->dtype, L2__OP_CLONE, false));
}

/* issue 16: l2_contiguous accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_contiguous(const l2_tensor *t)
{
    l2__half_ok++;
    l2_tensor *r = half_contiguous(t);
    l2__half_ok--;
    return r;
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

static l2_tensor *half_to_dtype(const l2_tensor *t, l2_dtype dt)
{
    L2__CHECK_T(t, NULL, "to_dtype");
    L2__CHECK((unsigned)dt < L2_DTYPE_COUNT, NULL, L2_ERR_ARG, "to_dtype: invalid dtype %d",
              (int)dt);
    if (dt == t->dtype)
        return l2__ret(l2_tensor_ref((l2_tensor *)t));
    return l2__ret(clone_impl("to_dtype", t, dt, L2__OP_TO_DTYPE, true));
}

/* issue 16: l2_to_dtype accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_to_dtype(const l2_tensor *t, l2_dtype dt)
{
    l2__half_ok++;
    l2_tensor *r = half_to_dtype(t, dt);
    l2__half_ok--;
    return r;
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

/* cat along a dim d > 0 (issue 12, area cat) of at most CAT_ROWS_MAX inputs that are all
 * contiguous and of r's dtype, with at least two rows: r seen as (O, W) with O the product of
 * the dims before d; input k (skipped 1-d empties aside) is (O, w_k) and fills columns
 * [w_0 + ... + w_{k-1}, ... + w_k) of each row. Each row of r is written whole, piece after
 * piece (l2__copy_pieces), so r is written in one forward stream, not once per input at r's
 * row stride. Only when every piece has at least L2__CAT_PIECE_MIN elements (empty inputs
 * aside): the iterator copies a one-element column in one strided loop, faster than a move per
 * row. false (nothing written) when the layout is not that. */
#define CAT_ROWS_MAX 64
static bool cat_rows(l2_tensor *r, int n, l2_tensor *const *ts, int d)
{
    const size_t es = l2__esize(r->dtype);
    int64_t rows = 1, inner = 1;
    if (l2__numel(r->ndim, r->shape) == 0)
        return false; /* nothing to copy; other dims may be huge (their products overflow) */
    for (int i = 0; i < d; i++)
        rows *= r->shape[i]; /* r's numel fits and is not 0, so these products do */
    for (int i = d + 1; i < r->ndim; i++)
        inner *= r->shape[i];
    if (d == 0 || rows < 2 || inner == 0 || n > CAT_ROWS_MAX)
        return false;
    const char *src[CAT_ROWS_MAX];
    size_t nb[CAT_ROWS_MAX];
    int m = 0;
    for (int k = 0; k < n; k++) {
        const l2_tensor *x = ts[k];
        if ((x->ndim == 1 && x->shape[0] == 0) || x->shape[d] == 0)
            continue; /* nothing to copy */
        if (x->dtype != r->dtype || !l2__is_contiguous(x) ||
            x->shape[d] * inner < L2__CAT_PIECE_MIN)
            return false;
        src[m] = l2__data(x);
        nb[m++] = (size_t)(x->shape[d] * inner) * es;
    }
    l2__copy_pieces(l2__data(r), rows, m, src, nb, l2__numel(r->ndim, r->shape));
    return true;
}

static l2_tensor *half_cat(int n, l2_tensor *const *ts, int dim)
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
            dt = l2__promote(dt, ts[k]->dtype);
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
    if (cat_rows(r, n, ts, d))
        return l2__ret(record_cat(r, n, ts, d, dt));
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

/* issue 16: l2_cat accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_cat(int n, l2_tensor *const *ts, int dim)
{
    l2__half_ok++;
    l2_tensor *r = half_cat(n, ts, dim);
    l2__half_ok--;
    return r;
}

/* Attach cat's node to r when the inputs need grad; returns r, or NULL (r released). */
static l2_tensor *record_cat(l2_tensor *r, int n, l2_tensor *const *ts, int d, l2_dtype dt)
{
    if (l2__is_grad_dtype(dt) && l2__needs_grad(n, (const l2_tensor *const *)ts)) {
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

static l2_tensor *half_stack(int n, l2_tensor *const *ts, int dim)
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

/* issue 16: l2_stack accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_stack(int n, l2_tensor *const *ts, int dim)
{
    l2__half_ok++;
    l2_tensor *r = half_stack(n, ts, dim);
    l2__half_ok--;
    return r;
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

static l2_status half_copy_(l2_tensor *dst, const l2_tensor *src)
{
    const char *op = "copy_";
    L2__CHECK_T(dst, l2_last_status(), op);
    L2__CHECK_T(src, l2_last_status(), op);
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
                ((l2__is_grad_dtype(dst->dtype) && l2__is_grad_dtype(src->dtype) &&
                  src->requires_grad) ||
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

/* issue 16: l2_copy_ accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_status l2_copy_(l2_tensor *dst, const l2_tensor *src)
{
    l2__half_ok++;
    l2_status r = half_copy_(dst, src);
    l2__half_ok--;
    return r;
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

/* ---- transposed copies (issue 12, area rr) ------------------------------------------------- */

/* A copy whose two innermost iteration dims are swapped between destination and source (the
 * destination's rows run along the source's columns: contiguous of a transpose, copy_ of a
 * transpose into a contiguous tensor), of 4-byte elements, goes in the iterator's
 * L2__TILE x L2__TILE blocks (the same units, threads and threshold L2__TILE_MIN as
 * l2__iter_run's tiles), each as 8 x 8 blocks transposed in AVX2 registers: 8 vector loads along
 * the source's contiguous dim, 8 vector stores along the destination's; a block's rows and
 * columns beyond a multiple of 8 are copied one by one. Elements are moved, never converted. */
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"))) static void t8_tile(const l2__iter *it, int64_t u, int64_t rb,
                                                    int64_t cb)
{
    const int nd = it->ndim;
    const int64_t R = it->shape[nd - 2], C = it->shape[nd - 1];
    int64_t ct = u % cb, rt = u / cb % rb, outer = u / cb / rb;
    char *d0 = it->data[0];
    const char *s0 = it->data[1];
    for (int d = nd - 3; d >= 0; d--) {
        int64_t i = outer % it->shape[d];
        outer /= it->shape[d];
        d0 += i * it->stride[0][d];
        s0 += i * it->stride[1][d];
    }
    /* dst (r, c) at d0 + r ds + 4 c; src (r, c) at s0 + 4 r + c ss */
    const int64_t ds = it->stride[0][nd - 2], ss = it->stride[1][nd - 1];
    const int64_t r0 = rt * L2__TILE, c0 = ct * L2__TILE;
    const int64_t nr = R - r0 < L2__TILE ? R - r0 : L2__TILE;
    const int64_t nc = C - c0 < L2__TILE ? C - c0 : L2__TILE;
    const int64_t re = r0 + nr - nr % 8, ce = c0 + nc - nc % 8;
#define T8_DST(r, c) (d0 + (r) * ds + (c) * 4)
#define T8_SRC(r, c) (s0 + (r) * 4 + (c) * ss)
    for (int64_t r = r0; r < re; r += 8) {
        for (int64_t c = c0; c < ce; c += 8) {
            __m256 v0 = _mm256_loadu_ps((const float *)T8_SRC(r, c));
            __m256 v1 = _mm256_loadu_ps((const float *)T8_SRC(r, c + 1));
            __m256 v2 = _mm256_loadu_ps((const float *)T8_SRC(r, c + 2));
            __m256 v3 = _mm256_loadu_ps((const float *)T8_SRC(r, c + 3));
            __m256 v4 = _mm256_loadu_ps((const float *)T8_SRC(r, c + 4));
            __m256 v5 = _mm256_loadu_ps((const float *)T8_SRC(r, c + 5));
            __m256 v6 = _mm256_loadu_ps((const float *)T8_SRC(r, c + 6));
            __m256 v7 = _mm256_loadu_ps((const float *)T8_SRC(r, c + 7));
            /* vk holds column c + k, rows r..r+7: transpose to rows */
            __m256 t0 = _mm256_unpacklo_ps(v0, v1), t1 = _mm256_unpackhi_ps(v0, v1);
            __m256 t2 = _mm256_unpacklo_ps(v2, v3), t3 = _mm256_unpackhi_ps(v2, v3);
            __m256 t4 = _mm256_unpacklo_ps(v4, v5), t5 = _mm256_unpackhi_ps(v4, v5);
            __m256 t6 = _mm256_unpacklo_ps(v6, v7), t7 = _mm256_unpackhi_ps(v6, v7);
            __m256 q0 = _mm256_shuffle_ps(t0, t2, 0x44), q1 = _mm256_shuffle_ps(t0, t2, 0xee);
            __m256 q2 = _mm256_shuffle_ps(t1, t3, 0x44), q3 = _mm256_shuffle_ps(t1, t3, 0xee);
            __m256 q4 = _mm256_shuffle_ps(t4, t6, 0x44), q5 = _mm256_shuffle_ps(t4, t6, 0xee);
            __m256 q6 = _mm256_shuffle_ps(t5, t7, 0x44), q7 = _mm256_shuffle_ps(t5, t7, 0xee);
            _mm256_storeu_ps((float *)T8_DST(r, c), _mm256_permute2f128_ps(q0, q4, 0x20));
            _mm256_storeu_ps((float *)T8_DST(r + 1, c), _mm256_permute2f128_ps(q1, q5, 0x20));
            _mm256_storeu_ps((float *)T8_DST(r + 2, c), _mm256_permute2f128_ps(q2, q6, 0x20));
            _mm256_storeu_ps((float *)T8_DST(r + 3, c), _mm256_permute2f128_ps(q3, q7, 0x20));
            _mm256_storeu_ps((float *)T8_DST(r + 4, c), _mm256_permute2f128_ps(q0, q4, 0x31));
            _mm256_storeu_ps((float *)T8_DST(r + 5, c), _mm256_permute2f128_ps(q1, q5, 0x31));
            _mm256_storeu_ps((float *)T8_DST(r + 6, c), _mm256_permute2f128_ps(q2, q6, 0x31));
            _mm256_storeu_ps((float *)T8_DST(r + 7, c), _mm256_permute2f128_ps(q3, q7, 0x31));
        }
    }
    /* the columns past ce (all rows), then the rows past re (the columns before ce); mutation
     * test: the columns past ce are left out */
    const int64_t cs = l2__fault("copyt_edge") ? c0 + nc : ce;
    for (int64_t r = r0; r < r0 + nr; r++)
        for (int64_t c = cs; c < c0 + nc; c++)
            memcpy(T8_DST(r, c), T8_SRC(r, c), 4);
    for (int64_t r = re; r < r0 + nr; r++)
        for (int64_t c = c0; c < ce; c++)
            memcpy(T8_DST(r, c), T8_SRC(r, c), 4);
#undef T8_DST
#undef T8_SRC
}

bool l2__copy_transposed(const l2__iter *it, size_t esize)
{
    const int nd = it->ndim;
    if (esize != 4 || it->nops != 2 || nd < 2 || it->numel < L2__TILE_MIN ||
        it->stride[0][nd - 1] != 4 || it->stride[1][nd - 2] != 4 || it->stride[1][nd - 1] == 0 ||
        it->shape[nd - 2] < 8 || it->shape[nd - 1] < 8 || !__builtin_cpu_supports("avx2"))
        return false;
    const int64_t rb = (it->shape[nd - 2] + L2__TILE - 1) / L2__TILE;
    const int64_t cb = (it->shape[nd - 1] + L2__TILE - 1) / L2__TILE;
    const int64_t units = it->numel / it->shape[nd - 2] / it->shape[nd - 1] * rb * cb;
    int nt = l2__threads_grain(it->numel, it->grain);
    if (nt > units)
        nt = (int)units;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int t = 0; t < nt; t++) {
        int64_t b = l2__part(units, t, nt), e = l2__part(units, t + 1, nt);
        for (int64_t u = b; u < e; u++)
            t8_tile(it, u, rb, cb);
    }
    return true;
}
#else
bool l2__copy_transposed(const l2__iter *it, size_t esize)
{
    (void)it, (void)esize;
    return false;
}
#endif
