/* view.c: every op that returns a view of its input (no copy), each with its backward below it.
 * view/reshape/squeeze/unsqueeze/flatten/unflatten share one node type (VIEW: the gradient is
 * reshaped back), transpose/t share PERMUTE, broadcast_to shares EXPAND, narrow shares SLICE.
 * The string indexing form (l2_index) is in index-string.c. */
#include "../autograd-impl.h"

/* A view of t with the given geometry; when t requires grad, a node of type op is attached and
 * returned through *node (NULL otherwise) for the caller to fill in its parameters. */
static l2_tensor *make_view(const l2_tensor *t, int ndim, const int64_t *shape,
                            const int64_t *stride, int64_t offset, l2__op op, l2__node **node)
{
    l2_tensor *v = l2__alias(t, ndim, shape, stride, offset);
    if (node)
        *node = NULL;
    if (!v)
        return NULL;
    v->is_view = true;
    if (l2__needs_grad(1, &t)) {
        l2__node *n = l2__record(op, v, 1, &t);
        if (!n) {
            l2_tensor_release(v);
            return NULL;
        }
        if (node)
            *node = n;
    }
    return v;
}

/* ---- view / reshape ---------------------------------------------------------------------- */

/* Resolve one -1 in shape against numel into out; false (error set) on mismatch. */
static bool infer_shape(const char *op, const l2_tensor *t, int ndim, const int64_t *shape,
                        int64_t *out)
{
    L2__CHECK(ndim >= 0 && ndim <= L2_MAX_DIMS, false, L2_ERR_ARG,
              "%s: rank %d is outside 0..%d", op, ndim, L2_MAX_DIMS);
    L2__CHECK(ndim == 0 || shape, false, L2_ERR_NULL, "%s: shape is NULL", op);
    int infer = -1;
    int64_t prod = 1, numel = l2__numel(t->ndim, t->shape);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == -1) {
            L2__CHECK(infer < 0, false, L2_ERR_ARG, "%s: only one dimension can be inferred", op);
            infer = i;
            continue;
        }
        L2__CHECK(shape[i] >= 0, false, L2_ERR_ARG, "%s: invalid shape dimension %lld", op,
                  (long long)shape[i]);
        if (__builtin_mul_overflow(prod, shape[i], &prod))
            prod = INT64_MAX;
        out[i] = shape[i];
    }
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    if (infer >= 0) {
        L2__CHECK(prod != 0 && numel % prod == 0, false, L2_ERR_SHAPE,
                  "%s: shape '%s' is invalid for input of size %lld", op,
                  l2__shape_str(s1, ndim, shape), (long long)numel);
        out[infer] = numel / prod;
        prod = numel; /* out[infer] * prod, exactly */
    }
    L2__CHECK(prod == numel, false, L2_ERR_SHAPE, "%s: shape '%s' is invalid for input of size "
              "%lld (input shape %s)", op, l2__shape_str(s1, ndim, shape), (long long)numel,
              l2__shape_str(s2, t->ndim, t->shape));
    return true;
}

/* Strides for viewing t as shape without a copy (torch's computeStride): old dims are grouped
 * into runs that are contiguous with each other; each run must map onto whole new dims. */
static bool view_strides(const l2_tensor *t, int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t numel = l2__numel(t->ndim, t->shape);
    if (numel == 0 || t->ndim == 0) {
        l2__contiguous_strides(ndim, shape, stride);
        return true;
    }
    int view_d = ndim - 1;
    int64_t chunk = 1, base_stride = t->ndim ? t->stride[t->ndim - 1] : 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        int64_t span_d;
        if (l2__mul_ovf(chunk, t->shape[d], &chunk))
            return false;
        bool run_ends = d == 0 || (t->shape[d - 1] != 1 &&
                                   (l2__mul_ovf(chunk, base_stride, &span_d) ||
                                    t->stride[d - 1] != span_d));
        if (!run_ends)
            continue;
        int64_t view_numel = 1;
        while (view_d >= 0 && (view_numel < chunk || shape[view_d] == 1)) {
            if (l2__mul_ovf(view_numel, base_stride, &stride[view_d]) ||
                l2__mul_ovf(view_numel, shape[view_d], &view_numel))
                return false;
            view_d--;
        }
        if (view_numel != chunk)
            return false;
        if (d > 0) {
            chunk = 1;
            base_stride = t->stride[d - 1];
        }
    }
    return view_d < 0;
}

static l2_tensor *view_impl(const char *op, const l2_tensor *t, int ndim, const int64_t *shape,
                            bool copy_ok)
{
    L2__CHECK_T(t, NULL, op);
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS];
    if (!infer_shape(op, t, ndim, shape, sh) || !l2__check_shape(op, ndim, sh, t->dtype, NULL))
        return NULL;
    if (view_strides(t, ndim, sh, st))
        return make_view(t, ndim, sh, st, t->offset, L2__OP_VIEW, NULL);
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK(copy_ok, NULL, L2_ERR_SHAPE,
              "%s: view size %s is not compatible with input tensor's size %s and stride; use "
              "l2_reshape", op, l2__shape_str(s1, ndim, sh), l2__shape_str(s2, t->ndim, t->shape));
    l2__enter();
    l2_tensor *c = l2_clone(t);
    l2_tensor *r = c ? view_impl(op, c, ndim, sh, false) : NULL;
    l2_tensor_release(c);
    l2__leave();
    if (r) /* a copy: nothing else sees its storage, so in-place ops on it are fine (torch) */
        r->is_view = false;
    return r;
}

static l2_tensor *half_view(const l2_tensor *t, int ndim, const int64_t *shape)
{
    return l2__ret(view_impl("view", t, ndim, shape, false));
}

/* issue 16: l2_view accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_view(const l2_tensor *t, int ndim, const int64_t *shape)
{
    l2__half_ok++;
    l2_tensor *r = half_view(t, ndim, shape);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_reshape(const l2_tensor *t, int ndim, const int64_t *shape)
{
    return l2__ret(view_impl("reshape", t, ndim, shape, true));
}

/* issue 16: l2_reshape accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_reshape(const l2_tensor *t, int ndim, const int64_t *shape)
{
    l2__half_ok++;
    l2_tensor *r = half_reshape(t, ndim, shape);
    l2__half_ok--;
    return r;
}

l2_status l2__view_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = l2_reshape(gout, n->in_ndim[0], n->in_shape[0]);
    return gin[0] ? L2_OK : l2_last_status();
}

static l2_tensor *half_squeeze(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "squeeze");
    int64_t sh[L2_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < t->ndim; i++)
        if (t->shape[i] != 1)
            sh[nd++] = t->shape[i];
    return l2__ret(view_impl("squeeze", t, nd, sh, false));
}

/* issue 16: l2_squeeze accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_squeeze(const l2_tensor *t)
{
    l2__half_ok++;
    l2_tensor *r = half_squeeze(t);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_squeeze_dim(const l2_tensor *t, int dim)
{
    L2__CHECK_T(t, NULL, "squeeze_dim");
    int d = l2__wrap_dim("squeeze_dim", dim, t->ndim);
    if (d < 0)
        return NULL;
    int64_t sh[L2_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < t->ndim; i++)
        if (i != d || t->shape[i] != 1)
            sh[nd++] = t->shape[i];
    return l2__ret(view_impl("squeeze_dim", t, nd, sh, false));
}

/* issue 16: l2_squeeze_dim accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_squeeze_dim(const l2_tensor *t, int dim)
{
    l2__half_ok++;
    l2_tensor *r = half_squeeze_dim(t, dim);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_unsqueeze(const l2_tensor *t, int dim)
{
    L2__CHECK_T(t, NULL, "unsqueeze");
    L2__CHECK(t->ndim < L2_MAX_DIMS, NULL, L2_ERR_ARG, "unsqueeze: tensor already has %d dims",
              L2_MAX_DIMS);
    int d = l2__wrap_dim("unsqueeze", dim, t->ndim + 1);
    if (d < 0)
        return NULL;
    int64_t sh[L2_MAX_DIMS];
    for (int i = 0, j = 0; i <= t->ndim; i++)
        sh[i] = i == d ? 1 : t->shape[j++];
    return l2__ret(view_impl("unsqueeze", t, t->ndim + 1, sh, false));
}

/* issue 16: l2_unsqueeze accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_unsqueeze(const l2_tensor *t, int dim)
{
    l2__half_ok++;
    l2_tensor *r = half_unsqueeze(t, dim);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_flatten(const l2_tensor *t, int start_dim, int end_dim)
{
    L2__CHECK_T(t, NULL, "flatten");
    if (t->ndim == 0) {
        int64_t one = 1;
        return l2__ret(view_impl("flatten", t, 1, &one, true));
    }
    int s = l2__wrap_dim("flatten", start_dim, t->ndim);
    int e = s < 0 ? -1 : l2__wrap_dim("flatten", end_dim, t->ndim);
    if (e < 0)
        return NULL;
    L2__CHECK(s <= e, NULL, L2_ERR_ARG, "flatten: start_dim %d cannot come after end_dim %d",
              start_dim, end_dim);
    if (s == e) /* nothing to merge: t itself, as torch (not a view, so not is_view) */
        return l2__ret(l2_tensor_ref((l2_tensor *)t));
    int64_t sh[L2_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (i <= s || i > e)
            sh[nd++] = t->shape[i];
        else if (l2__mul_ovf(sh[nd - 1], t->shape[i], &sh[nd - 1]))
            sh[nd - 1] = INT64_MAX; /* cannot happen for a valid shape; view_impl refuses it */
    }
    return l2__ret(view_impl("flatten", t, nd, sh, true));
}

/* issue 16: l2_flatten accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_flatten(const l2_tensor *t, int start_dim, int end_dim)
{
    l2__half_ok++;
    l2_tensor *r = half_flatten(t, start_dim, end_dim);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_unflatten(const l2_tensor *t, int dim, int n, const int64_t *sizes)
{
    L2__CHECK_T(t, NULL, "unflatten");
    L2__CHECK(sizes && n >= 1, NULL, L2_ERR_ARG, "unflatten: sizes must be non-empty");
    L2__CHECK(t->ndim - 1 + n <= L2_MAX_DIMS, NULL, L2_ERR_ARG,
              "unflatten: result would have more than %d dims", L2_MAX_DIMS);
    int d = l2__wrap_dim("unflatten", dim, t->ndim);
    if (d < 0)
        return NULL;
    int64_t sh[L2_MAX_DIMS], prod = 1;
    int nd = 0, infer = -1;
    bool ovf = false;
    for (int i = 0; i < t->ndim; i++) {
        if (i != d) {
            sh[nd++] = t->shape[i];
            continue;
        }
        for (int k = 0; k < n; k++) {
            if (sizes[k] == -1) {
                L2__CHECK(infer < 0, NULL, L2_ERR_ARG,
                          "unflatten: only one dimension can be inferred");
                infer = nd;
            } else {
                L2__CHECK(sizes[k] >= 0, NULL, L2_ERR_ARG,
                          "unflatten: invalid shape dimension %lld", (long long)sizes[k]);
                ovf = ovf || l2__mul_ovf(prod, sizes[k], &prod);
            }
            sh[nd++] = sizes[k];
        }
    }
    char s1[L2__SHAPE_STR];
    L2__CHECK(!ovf, NULL, L2_ERR_SHAPE, "unflatten: provided sizes %s don't multiply up to the "
              "size of dim %d (%lld)", l2__shape_str(s1, n, sizes), dim,
              (long long)t->shape[d]);
    if (infer >= 0 && prod != 0)
        sh[infer] = t->shape[d] / prod, prod *= sh[infer];
    L2__CHECK(prod == t->shape[d], NULL, L2_ERR_SHAPE,
              "unflatten: provided sizes %s don't multiply up to the size of dim %d (%lld)",
              l2__shape_str(s1, n, sizes), dim, (long long)t->shape[d]);
    return l2__ret(view_impl("unflatten", t, nd, sh, false));
}

/* issue 16: l2_unflatten accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_unflatten(const l2_tensor *t, int dim, int n, const int64_t *sizes)
{
    l2__half_ok++;
    l2_tensor *r = half_unflatten(t, dim, n, sizes);
    l2__half_ok--;
    return r;
}

/* ---- permute / transpose ----------------------------------------------------------------- */

static l2_tensor *half_permute(const l2_tensor *t, const int *dims)
{
    L2__CHECK_T(t, NULL, "permute");
    L2__CHECK(dims || t->ndim == 0, NULL, L2_ERR_NULL, "permute: dims is NULL");
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS];
    int p[L2_MAX_DIMS];
    bool seen[L2_MAX_DIMS] = {0};
    for (int i = 0; i < t->ndim; i++) {
        p[i] = l2__wrap_dim("permute", dims[i], t->ndim);
        if (p[i] < 0)
            return NULL;
        L2__CHECK(!seen[p[i]], NULL, L2_ERR_ARG, "permute: dim %d appears more than once",
                  dims[i]);
        seen[p[i]] = true;
        sh[i] = t->shape[p[i]];
        st[i] = t->stride[p[i]];
    }
    l2__node *n;
    l2_tensor *v = make_view(t, t->ndim, sh, st, t->offset, L2__OP_PERMUTE, &n);
    if (n) {
        for (int i = 0; i < t->ndim; i++)
            n->i[i] = p[i];
        n->ni = t->ndim;
    }
    return l2__ret(v);
}

/* issue 16: l2_permute accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_permute(const l2_tensor *t, const int *dims)
{
    l2__half_ok++;
    l2_tensor *r = half_permute(t, dims);
    l2__half_ok--;
    return r;
}

l2_status l2__permute_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int inv[L2_MAX_DIMS];
    for (int i = 0; i < n->ni; i++)
        inv[n->i[i]] = i;
    gin[0] = l2_permute(gout, inv);
    return gin[0] ? L2_OK : l2_last_status();
}

static l2_tensor *half_transpose(const l2_tensor *t, int dim0, int dim1)
{
    L2__CHECK_T(t, NULL, "transpose");
    int a = l2__wrap_dim("transpose", dim0, t->ndim);
    int b = a < 0 ? -1 : l2__wrap_dim("transpose", dim1, t->ndim);
    if (b < 0)
        return NULL;
    int p[L2_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++)
        p[i] = i;
    if (t->ndim > 0) {
        p[a] = b;
        p[b] = a;
    }
    return l2_permute(t, p);
}

/* issue 16: l2_transpose accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_transpose(const l2_tensor *t, int dim0, int dim1)
{
    l2__half_ok++;
    l2_tensor *r = half_transpose(t, dim0, dim1);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_t(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "t");
    L2__CHECK(t->ndim <= 2, NULL, L2_ERR_DIM, "t: expects a tensor with <= 2 dimensions, but "
              "self is %dD", t->ndim);
    return t->ndim < 2 ? l2_transpose(t, 0, 0) : l2_transpose(t, 0, 1);
}

/* issue 16: l2_t accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_t(const l2_tensor *t)
{
    l2__half_ok++;
    l2_tensor *r = half_t(t);
    l2__half_ok--;
    return r;
}

/* ---- expand ------------------------------------------------------------------------------ */

static l2_tensor *expand_impl(const char *op, const l2_tensor *t, int ndim, const int64_t *shape,
                              bool allow_minus1)
{
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(ndim >= t->ndim && ndim <= L2_MAX_DIMS, NULL, L2_ERR_SHAPE,
              "%s: the number of sizes provided (%d) must be greater or equal to the number of "
              "dimensions in the tensor (%d)", op, ndim, t->ndim);
    L2__CHECK(ndim == 0 || shape, NULL, L2_ERR_NULL, "%s: shape is NULL", op);
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS];
    int lead = ndim - t->ndim;
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    for (int i = 0; i < ndim; i++) {
        int j = i - lead;
        int64_t want = shape[i];
        if (want == -1 && allow_minus1) {
            L2__CHECK(j >= 0, NULL, L2_ERR_SHAPE, "%s: -1 is not allowed in a leading, "
                      "non-existing dimension %d", op, i);
            want = t->shape[j];
        }
        L2__CHECK(want >= 0, NULL, L2_ERR_ARG, "%s: invalid size %lld", op, (long long)want);
        if (j < 0) {
            sh[i] = want;
            st[i] = 0;
        } else if (t->shape[j] == want) {
            sh[i] = want;
            st[i] = t->stride[j];
        } else {
            L2__CHECK(t->shape[j] == 1, NULL, L2_ERR_SHAPE,
                      "%s: the expanded size of the tensor (%lld) must match the existing size "
                      "(%lld) at non-singleton dimension %d: shapes %s and %s", op,
                      (long long)want, (long long)t->shape[j], i,
                      l2__shape_str(s1, t->ndim, t->shape), l2__shape_str(s2, ndim, shape));
            sh[i] = want;
            st[i] = 0;
        }
    }
    if (!l2__check_shape(op, ndim, sh, t->dtype, NULL))
        return NULL;
    return make_view(t, ndim, sh, st, t->offset, L2__OP_EXPAND, NULL);
}

static l2_tensor *half_expand(const l2_tensor *t, int ndim, const int64_t *shape)
{
    return l2__ret(expand_impl("expand", t, ndim, shape, true));
}

/* issue 16: l2_expand accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_expand(const l2_tensor *t, int ndim, const int64_t *shape)
{
    l2__half_ok++;
    l2_tensor *r = half_expand(t, ndim, shape);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_broadcast_to(const l2_tensor *t, int ndim, const int64_t *shape)
{
    return l2__ret(expand_impl("broadcast_to", t, ndim, shape, false));
}

/* issue 16: l2_broadcast_to accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_broadcast_to(const l2_tensor *t, int ndim, const int64_t *shape)
{
    l2__half_ok++;
    l2_tensor *r = half_broadcast_to(t, ndim, shape);
    l2__half_ok--;
    return r;
}

/* The engine sums the gradient back to the input's shape. */
l2_status l2__expand_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = l2_tensor_ref((l2_tensor *)gout);
    return L2_OK;
}

/* ---- slice / narrow / select ------------------------------------------------------------- */

/* t's offset moved by k steps along dim d. Within the extent for a non-empty result; an empty
 * result (k == size, or an empty t with unbounded strides) that would overflow keeps t's offset,
 * which it never reads. */
static int64_t view_offset(const l2_tensor *t, int64_t k, int d)
{
    int64_t off;
    if (l2__mul_ovf(k, t->stride[d], &off) || l2__add_ovf(off, t->offset, &off))
        return t->offset;
    return off;
}

l2_tensor *l2__slice_impl(const char *op, const l2_tensor *t, int dim, int64_t start,
                          int64_t stop, int64_t step)
{
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(t->ndim > 0, NULL, L2_ERR_DIM, "%s: cannot slice a 0-d tensor", op);
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0)
        return NULL;
    L2__CHECK(step >= 1, NULL, L2_ERR_ARG, "%s: slice step must be positive (got %lld)", op,
              (long long)step);
    int64_t size = t->shape[d];
    if (start < 0)
        start = start < -size ? 0 : start + size;
    if (stop < 0)
        stop = stop < -size ? 0 : stop + size;
    if (start > size)
        start = size;
    if (stop > size)
        stop = size;
    if (stop < start)
        stop = start;
    /* ceil((stop - start) / step) without forming stop - start + step - 1, which overflows. */
    int64_t len = (stop - start) / step + ((stop - start) % step != 0);
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS];
    memcpy(sh, t->shape, sizeof sh);
    memcpy(st, t->stride, sizeof st);
    sh[d] = len;
    /* With at most one element the step never moves; otherwise step < size and the product
     * stays within the tensor's extent. */
    if (len <= 1 || l2__mul_ovf(t->stride[d], step, &st[d]))
        st[d] = t->stride[d];
    l2__node *n;
    l2_tensor *v = make_view(t, t->ndim, sh, st, view_offset(t, start, d), L2__OP_SLICE, &n);
    if (n) {
        n->i[0] = d;
        n->i[1] = start;
        n->i[2] = stop;
        n->i[3] = step;
    }
    return v;
}

static l2_tensor *half_slice(const l2_tensor *t, int dim, int64_t start, int64_t stop, int64_t step)
{
    return l2__ret(l2__slice_impl("slice", t, dim, start, stop, step));
}

/* issue 16: l2_slice accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_slice(const l2_tensor *t, int dim, int64_t start, int64_t stop, int64_t step)
{
    l2__half_ok++;
    l2_tensor *r = half_slice(t, dim, start, stop, step);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_narrow(const l2_tensor *t, int dim, int64_t start, int64_t length)
{
    L2__CHECK_T(t, NULL, "narrow");
    L2__CHECK(t->ndim > 0, NULL, L2_ERR_DIM, "narrow: cannot narrow a 0-d tensor");
    int d = l2__wrap_dim("narrow", dim, t->ndim);
    if (d < 0)
        return NULL;
    int64_t size = t->shape[d];
    L2__CHECK(start >= -size && start <= size, NULL, L2_ERR_INDEX,
              "narrow: start %lld is out of range for dim %d of size %lld", (long long)start, dim,
              (long long)size);
    if (start < 0)
        start += size;
    L2__CHECK(length >= 0 && start <= size - length, NULL, L2_ERR_INDEX,
              "narrow: start (%lld) + length (%lld) exceeds dimension size (%lld)",
              (long long)start, (long long)length, (long long)size);
    return l2__ret(l2__slice_impl("narrow", t, d, start, start + length, 1));
}

/* issue 16: l2_narrow accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_narrow(const l2_tensor *t, int dim, int64_t start, int64_t length)
{
    l2__half_ok++;
    l2_tensor *r = half_narrow(t, dim, start, length);
    l2__half_ok--;
    return r;
}

/* Backward of slice and select: scatter the gradient into zeros of the input's shape. */
static l2_tensor *zeros_with(l2__node *n, l2_tensor *(*part)(l2_tensor *, l2__node *),
                             const l2_tensor *gout)
{
    l2_tensor *z = l2__new("backward", n->in_ndim[0], n->in_shape[0], gout->dtype, true);
    if (!z)
        return NULL;
    l2_tensor *p = part(z, n);
    if (!p) {
        l2_tensor_release(z);
        return NULL;
    }
    l2__copy_kernel(p, gout);
    l2_tensor_release(p);
    return z;
}

static l2_tensor *slice_part(l2_tensor *z, l2__node *n)
{
    return l2__slice_impl("slice_backward", z, (int)n->i[0], n->i[1], n->i[2], n->i[3]);
}

l2_status l2__slice_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = zeros_with(n, slice_part, gout);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_tensor *l2__select_impl(const char *op, const l2_tensor *t, int dim, int64_t index)
{
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(t->ndim > 0, NULL, L2_ERR_DIM, "%s: cannot select from a 0-d tensor", op);
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0)
        return NULL;
    int64_t size = t->shape[d];
    L2__CHECK(index >= -size && index < size, NULL, L2_ERR_INDEX,
              "%s: index %lld out of range for tensor of size %lld at dimension %d", op,
              (long long)index, (long long)size, dim);
    if (index < 0)
        index += size;
    int64_t sh[L2_MAX_DIMS], st[L2_MAX_DIMS];
    for (int i = 0, j = 0; i < t->ndim; i++) {
        if (i == d)
            continue;
        sh[j] = t->shape[i];
        st[j++] = t->stride[i];
    }
    l2__node *n;
    l2_tensor *v = make_view(t, t->ndim - 1, sh, st, view_offset(t, index, d),
                             L2__OP_SELECT, &n);
    if (n) {
        n->i[0] = d;
        n->i[1] = index;
    }
    return v;
}

static l2_tensor *half_select(const l2_tensor *t, int dim, int64_t index)
{
    return l2__ret(l2__select_impl("select", t, dim, index));
}

/* issue 16: l2_select accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_select(const l2_tensor *t, int dim, int64_t index)
{
    l2__half_ok++;
    l2_tensor *r = half_select(t, dim, index);
    l2__half_ok--;
    return r;
}

static l2_tensor *select_part(l2_tensor *z, l2__node *n)
{
    return l2__select_impl("select_backward", z, (int)n->i[0], n->i[1]);
}

l2_status l2__select_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = zeros_with(n, select_part, gout);
    return gin[0] ? L2_OK : l2_last_status();
}

/* speed10 (issue 12): where a view node's output gradient lands in its input's gradient z. */
l2_status l2__grad_region(const l2__node *n, l2_tensor *z, l2_tensor **v)
{
    *v = NULL;
    if (n->op == L2__OP_SLICE)
        *v = slice_part(z, (l2__node *)n);
    else if (n->op == L2__OP_SELECT)
        *v = select_part(z, (l2__node *)n);
    else if (n->op == L2__OP_DIAGONAL)
        *v = l2__diagonal_part(n, z);
    else
        return L2_OK;
    return *v ? L2_OK : l2_last_status();
}

/* ---- as_strided -------------------------------------------------------------------------- */

/* The span of storage elements [lo, hi] a geometry touches; false if it has no elements. */
static bool span(int ndim, const int64_t *shape, const int64_t *stride, int64_t offset,
                 int64_t *lo, int64_t *hi)
{
    *lo = *hi = offset;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0)
            return false;
    }
    /* Geometries reaching here were validated by l2__check_geometry: no overflow. */
    return !l2__extent_ovf(ndim, shape, stride, offset, lo, hi);
}

typedef struct {
    int64_t in_stride[L2_MAX_DIMS];
    int64_t in_offset;
    int64_t stride[L2_MAX_DIMS];
    int64_t offset;
    int ndim;
    int64_t shape[L2_MAX_DIMS];
} as_strided_geom;

static l2_tensor *half_as_strided(const l2_tensor *t, int ndim, const int64_t *shape,
                         const int64_t *strides, int64_t offset)
{
    const char *op = "as_strided";
    L2__CHECK_T(t, NULL, op);
    /* Within the storage: for external memory (from_blob, DLPack) the extent it was given
     * with, as torch's from_blob storage. */
    int64_t cap = (int64_t)(t->storage->nbytes / l2__esize(t->dtype));
    if (!l2__check_geometry(op, ndim, shape, strides, offset, t->dtype, cap, NULL))
        return NULL;
    as_strided_geom *g = NULL;
    if (l2__needs_grad(1, &t)) {
        g = l2__malloc(sizeof *g, op);
        if (!g)
            return NULL;
        memcpy(g->in_stride, t->stride, sizeof g->in_stride);
        g->in_offset = t->offset;
        memcpy(g->stride, strides, sizeof(int64_t) * (size_t)ndim);
        memcpy(g->shape, shape, sizeof(int64_t) * (size_t)ndim);
        g->offset = offset;
        g->ndim = ndim;
    }
    l2__node *n;
    l2_tensor *v = make_view(t, ndim, shape, strides, offset, L2__OP_AS_STRIDED, &n);
    if (n)
        n->extra = g;
    else
        l2__free(g);
    return l2__ret(v);
}

/* issue 16: l2_as_strided accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_as_strided(const l2_tensor *t, int ndim, const int64_t *shape, const int64_t *strides, int64_t offset)
{
    l2__half_ok++;
    l2_tensor *r = half_as_strided(t, ndim, shape, strides, offset);
    l2__half_ok--;
    return r;
}

/* Divide each storage element of buf by the number of the input's elements that address it
 * (torch's as_strided_backward): an input whose elements overlap shares the gradient of one
 * storage element among them, so their sum is that element's gradient. iv is a view of buf with
 * the input's geometry; cnt is a zeroed float64 buffer as long as buf. */
static void divide_by_overlap(const l2_tensor *iv, l2_tensor *buf, l2_tensor *cnt)
{
    int64_t total = l2__numel(iv->ndim, iv->shape);
    int64_t idx[L2_MAX_DIMS] = {0};
    double *c = (double *)cnt->storage->data + cnt->offset;
    double *b = (double *)buf->storage->data + buf->offset;
    bool overlap = false;
    for (int64_t k = 0; k < total; k++) {
        int64_t pos = iv->offset - buf->offset;
        for (int d = 0; d < iv->ndim; d++)
            pos += idx[d] * iv->stride[d];
        c[pos] += 1.0;
        overlap |= c[pos] > 1.0;
        for (int d = iv->ndim - 1; d >= 0; d--) {
            if (++idx[d] < iv->shape[d])
                break;
            idx[d] = 0;
        }
    }
    if (!overlap)
        return;
    int64_t len = buf->shape[0];
    for (int64_t i = 0; i < len; i++) {
        if (c[i] > 1.0)
            b[i] /= c[i];
    }
}

/* The gradient lands in a zero buffer over the storage span of the input; the output's geometry
 * accumulates into it (overlapping outputs add up), each storage element is divided by the
 * number of input elements that share it, and the input's geometry reads it back. */
l2_status l2__as_strided_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const as_strided_geom *g = n->extra;
    int64_t lo1, hi1, lo2, hi2;
    bool in_any = span(n->in_ndim[0], n->in_shape[0], g->in_stride, g->in_offset, &lo1, &hi1);
    bool out_any = span(g->ndim, g->shape, g->stride, g->offset, &lo2, &hi2);
    if (!in_any) {
        gin[0] = l2__new("backward", n->in_ndim[0], n->in_shape[0], gout->dtype, true);
        return gin[0] ? L2_OK : l2_last_status();
    }
    int64_t lo = lo1, hi = hi1;
    if (out_any) {
        lo = lo2 < lo ? lo2 : lo;
        hi = hi2 > hi ? hi2 : hi;
    }
    int64_t len = hi - lo + 1;
    l2_tensor *buf = l2__new("backward", 1, &len, L2_FLOAT64, true);
    if (!buf)
        return l2_last_status();
    l2_tensor *ov = l2__alias(buf, g->ndim, g->shape, g->stride, g->offset - lo);
    l2_tensor *iv = l2__alias(buf, n->in_ndim[0], n->in_shape[0], g->in_stride,
                              g->in_offset - lo);
    if (ov && iv && out_any) {
        /* Sequential accumulation: outputs may overlap. */
        int64_t total = l2__numel(g->ndim, g->shape);
        int64_t idx[L2_MAX_DIMS] = {0};
        for (int64_t k = 0; k < total; k++) {
            double v = l2__get_flat(gout, k);
            *(double *)l2__elem_ptr(ov, idx) += v;
            for (int d = g->ndim - 1; d >= 0; d--) {
                if (++idx[d] < g->shape[d])
                    break;
                idx[d] = 0;
            }
        }
    }
    l2_tensor *cnt = ov && iv ? l2__new("backward", 1, &len, L2_FLOAT64, true) : NULL;
    if (cnt) {
        divide_by_overlap(iv, buf, cnt);
        gin[0] = l2__new("backward", n->in_ndim[0], n->in_shape[0], gout->dtype, false);
        if (gin[0])
            l2__copy_kernel(gin[0], iv);
    }
    l2_tensor_release(cnt);
    l2_tensor_release(ov);
    l2_tensor_release(iv);
    l2_tensor_release(buf);
    return gin[0] ? L2_OK : l2_last_status();
}

static l2_tensor *half_detach(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "detach");
    return l2__ret(l2__alias(t, t->ndim, t->shape, t->stride, t->offset));
}

/* issue 16: l2_detach accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_detach(const l2_tensor *t)
{
    l2__half_ok++;
    l2_tensor *r = half_detach(t);
    l2__half_ok--;
    return r;
}

/* create_graph (issue 15): view's backward is a recorded reshape, expand's the engine's
 * recorded sum to the input's shape: both already differentiable. */
l2_status l2__view_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__view_backward(n, gout, gin);
}

l2_status l2__expand_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__expand_backward(n, gout, gin);
}

/* create_graph (issue 15): as_strided's backward with recorded ops: the storage positions
 * (relative to the span's start lo) of the output's and the input's elements, row-major, as
 * int64 tensors; buf = zeros(span).index_add(0, out positions, dy.flatten()) (overlapping
 * outputs add up), divided by the overlap counts of the input's geometry (a constant), then
 * read back with index_select at the input's positions. */
static l2_tensor *positions(int ndim, const int64_t *shape, const int64_t *stride, int64_t off)
{
    int64_t m = l2__numel(ndim, shape), idx[L2_MAX_DIMS] = {0};
    l2_tensor *p = l2__new("as_strided_backward", 1, &m, L2_INT64, false);
    if (!p)
        return NULL;
    int64_t *o = (int64_t *)l2__data(p);
    for (int64_t k = 0; k < m; k++) {
        int64_t pos = off;
        for (int d = 0; d < ndim; d++)
            pos += idx[d] * stride[d];
        o[k] = pos;
        for (int d = ndim - 1; d >= 0; d--) {
            if (++idx[d] < shape[d])
                break;
            idx[d] = 0;
        }
    }
    return p;
}

l2_status l2__as_strided_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const as_strided_geom *g = n->extra;
    int64_t lo1, hi1, lo2, hi2;
    bool in_any = span(n->in_ndim[0], n->in_shape[0], g->in_stride, g->in_offset, &lo1, &hi1);
    bool out_any = span(g->ndim, g->shape, g->stride, g->offset, &lo2, &hi2);
    if (!in_any || !out_any) { /* nothing lands: zeros, recorded on dy as torch's */
        l2_tensor *z = l2_zeros(n->in_ndim[0], n->in_shape[0], gout->dtype), *s = NULL;
        if (z && l2_requires_grad(gout) && (s = l2_sum(gout))) {
            l2_tensor *zs = l2_mul_scalar(s, 0.0); /* no element reads it when in_any is false */
            l2_tensor *r = zs ? l2_add(z, zs) : NULL;
            l2_tensor_release(zs);
            l2_tensor_release(z);
            z = r;
        } else if (z && l2_requires_grad(gout)) {
            l2_tensor_release(z);
            z = NULL;
        }
        l2_tensor_release(s);
        gin[0] = z;
        return gin[0] ? L2_OK : l2_last_status();
    }
    int64_t lo = lo1 < lo2 ? lo1 : lo2, hi = hi1 > hi2 ? hi1 : hi2, len = hi - lo + 1;
    int64_t m = l2__numel(g->ndim, g->shape);
    l2_tensor *po = positions(g->ndim, g->shape, g->stride, g->offset - lo);
    l2_tensor *pi = po ? positions(n->in_ndim[0], n->in_shape[0], g->in_stride,
                                   g->in_offset - lo) : NULL;
    l2_tensor *cnt = pi ? l2__new("as_strided_backward", 1, &len, L2_FLOAT64, true) : NULL;
    l2_tensor *z = cnt ? l2_zeros(1, &len, gout->dtype) : NULL;
    l2_tensor *fg = z ? l2_reshape(gout, 1, &m) : NULL;
    l2_tensor *buf = fg ? l2_index_add(z, 0, po, fg, 1.0) : NULL, *sel = NULL;
    if (buf) {
        /* cnt: 1 / (the input elements sharing each storage element), 1 where none */
        double *c = (double *)l2__data(cnt);
        const int64_t *p = (const int64_t *)l2__data(pi);
        int64_t mi = l2__numel(pi->ndim, pi->shape);
        for (int64_t k = 0; k < mi; k++)
            c[p[k]] += 1.0;
        for (int64_t k = 0; k < len; k++)
            c[k] = c[k] > 1.0 ? 1.0 / c[k] : 1.0;
        l2_tensor *w = l2_to_dtype(cnt, gout->dtype), *d = w ? l2_mul(buf, w) : NULL;
        sel = d ? l2_index_select(d, 0, pi) : NULL;
        l2_tensor_release(d);
        l2_tensor_release(w);
    }
    gin[0] = sel ? l2_reshape(sel, n->in_ndim[0], n->in_shape[0]) : NULL;
    l2_tensor *all[] = {po, pi, cnt, z, fg, buf, sel};
    for (int k = 0; k < 7; k++)
        l2_tensor_release(all[k]);
    return gin[0] ? L2_OK : l2_last_status();
}
