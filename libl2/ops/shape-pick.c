/* shape-pick.c: shape ops that rearrange whole slices along dims (issue 14): flip, roll, repeat,
 * tile, repeat_interleave (int and tensor repeats), rot90. Each is composed of index_select
 * along one dim at a time with an index computed here, so results are new tensors of any dtype
 * and gradients flow through index_select's node (index_add of dy). Not views. repeat and
 * tile (speed10, issue 12) copy an expanded view instead, their gradient a sum over it. */
#include "../autograd-impl.h"
#include "../checked.h"

#include <string.h>

/* Index j of the new dim from the old size s and the op's parameter a. */
typedef int64_t (*pick_fn)(int64_t j, int64_t s, int64_t a);

static int64_t pick_flip(int64_t j, int64_t s, int64_t a)
{
    (void)a;
    return s - 1 - j;
}

static int64_t pick_roll(int64_t j, int64_t s, int64_t a) /* a: the shift mod s, in [0, s) */
{
    return j >= a ? j - a : j - a + s;
}

static int64_t pick_repeat(int64_t j, int64_t s, int64_t a)
{
    (void)a;
    return j % s;
}

static int64_t pick_interleave(int64_t j, int64_t s, int64_t a)
{
    (void)s;
    return j / a;
}

/* x.index_select(d, [f(0), ..., f(len - 1)]): a new tensor (call between l2__enter and
 * l2__leave). */
static l2_tensor *pick(const char *op, const l2_tensor *x, int d, int64_t len, pick_fn f,
                       int64_t a)
{
    l2_tensor *ix = l2__new(op, 1, &len, L2_INT64, false);
    if (!ix)
        return NULL;
    int64_t *p = (int64_t *)l2__data(ix);
    int64_t s = x->ndim ? x->shape[d] : 1;
    for (int64_t j = 0; j < len; j++)
        p[j] = f(j, s, a);
    l2_tensor *r = l2_index_select(x, d, ix);
    l2_tensor_release(ix);
    return r;
}

/* Replace *x (a reference the caller holds) by r; false when r is NULL. */
static bool step(l2_tensor **x, l2_tensor *r)
{
    l2_tensor_release(*x);
    *x = r;
    return r != NULL;
}

/* Wrap n dims of t into w; each may appear once. L2_ERR_DIM otherwise (error set). */
static bool wrap_dims(const char *op, const l2_tensor *t, int n, const int *dims, int *w)
{
    bool seen[L2_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        w[i] = l2__wrap_dim(op, dims[i], t->ndim);
        if (w[i] < 0)
            return false;
        L2__CHECK(!seen[w[i]], false, L2_ERR_DIM, "%s: dim %d appears multiple times in the list "
                  "of dims", op, w[i]);
        seen[w[i]] = true;
    }
    return true;
}

/* ---- flip -------------------------------------------------------------------------------- */

static l2_tensor *flip_impl(const char *op, const l2_tensor *t, int n, const int *w)
{
    l2_tensor *x = l2_tensor_ref((l2_tensor *)t);
    for (int i = 0; i < n && x; i++)
        if (t->ndim > 0)
            step(&x, pick(op, x, w[i], x->shape[w[i]], pick_flip, 0));
    if (x && x == t)
        step(&x, l2_clone(t));
    return x;
}

l2_tensor *l2_flip(const l2_tensor *t, int ndims, const int *dims)
{
    const char *op = "flip";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(ndims >= 0 && ndims <= L2_MAX_DIMS, NULL, L2_ERR_ARG, "%s: %d dims", op, ndims);
    L2__CHECK(dims != NULL || ndims == 0, NULL, L2_ERR_NULL, "%s: argument 'dims' is NULL", op);
    int w[L2_MAX_DIMS];
    if (!wrap_dims(op, t, ndims, dims, w))
        return NULL;
    l2__enter();
    l2_tensor *r = flip_impl(op, t, ndims, w);
    l2__leave();
    return l2__ret(r);
}

/* ---- roll -------------------------------------------------------------------------------- */

/* out[j] = x[(j - shift) mod s] along d. */
static l2_tensor *roll1(const char *op, const l2_tensor *x, int d, int64_t shift)
{
    int64_t s = x->shape[d];
    int64_t a = s ? shift % s : 0;
    if (a < 0)
        a += s;
    if (a == 0 || l2__fault("roll_pick")) /* mutation test: a shift of 0 for every roll */
        return a == 0 ? l2_clone(x) : pick(op, x, d, s, pick_roll, 0);
    /* speed10 (issue 12): the last a slices, then the first s - a: two runs per row copied by
     * cat, whose gradient goes back through the two narrows (one buffer, region_add) */
    l2_tensor *p[2] = {l2_narrow(x, d, s - a, a), l2_narrow(x, d, 0, s - a)};
    l2_tensor *r = p[0] && p[1] ? l2_cat(2, p, d) : NULL;
    l2_tensor_release(p[0]);
    l2_tensor_release(p[1]);
    return r;
}

l2_tensor *l2_roll(const l2_tensor *t, int nshifts, const int64_t *shifts, int ndims,
                   const int *dims)
{
    const char *op = "roll";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(nshifts > 0, NULL, L2_ERR_ARG, "%s: `shifts` required", op);
    L2__CHECK(shifts != NULL, NULL, L2_ERR_NULL, "%s: argument 'shifts' is NULL", op);
    L2__CHECK(ndims >= 0, NULL, L2_ERR_ARG, "%s: %d dims", op, ndims);
    L2__CHECK(dims != NULL || ndims == 0, NULL, L2_ERR_NULL, "%s: argument 'dims' is NULL", op);
    L2__CHECK(ndims == nshifts || (ndims == 0 && nshifts == 1), NULL, L2_ERR_ARG,
              "%s: shifts and dimensions must align. shifts: %d, dims:%d", op, nshifts, ndims);
    int64_t numel = l2__numel(t->ndim, t->shape);
    for (int i = 0; i < ndims && numel; i++) { /* torch reads an empty tensor's dims never */
        L2__CHECK(t->ndim > 0, NULL, L2_ERR_DIM, "%s: Dimension specified as %d but tensor has "
                  "no dimensions", op, dims[i]);
        if (l2__wrap_dim(op, dims[i], t->ndim) < 0)
            return NULL;
    }
    l2__enter();
    l2_tensor *r = NULL;
    if (ndims == 0) { /* the flattened tensor, rolled, in t's shape */
        l2_tensor *f = l2_reshape(t, 1, &numel);
        l2_tensor *g = f ? roll1(op, f, 0, shifts[0]) : NULL;
        r = g ? l2_reshape(g, t->ndim, t->shape) : NULL;
        l2_tensor_release(g);
        l2_tensor_release(f);
    } else if (numel == 0) { /* torch: an empty tensor is cloned before its dims are read */
        r = l2_clone(t);
    } else {
        r = l2_tensor_ref((l2_tensor *)t);
        for (int i = 0; i < ndims && r; i++)
            step(&r, roll1(op, r, l2__wrap_dim(op, dims[i], t->ndim), shifts[i]));
    }
    l2__leave();
    return l2__ret(r);
}

/* ---- repeat, tile ------------------------------------------------------------------------ */

/* speed10 (issue 12): x (shape[0..n), a reference the caller holds) repeated as one copy of an
 * expanded view: each dim i with reps r != 1 and size s != 1 becomes the pair (1, s) expanded
 * to (r, s) (a dim of size 1 is expanded to r, a dim with r == 1 stays), copied contiguous (the
 * copy kernel's contiguous runs) and viewed as the result's shape len[0..n). Its gradient is
 * expand's: a sum over the r dims of dy, not index_select's scatter. false, x untouched, when
 * the pairs need more than L2_MAX_DIMS dims (the caller takes the index path). */
static bool repeat_expand(l2_tensor **x, int n, const int64_t *shape, const int64_t *reps,
                          const int64_t *len)
{
    int64_t vs[2 * L2_MAX_DIMS], es[2 * L2_MAX_DIMS];
    int m = 0;
    bool swap = l2__fault("repeat_pairs"); /* mutation test: each pair as (s, r), not (r, s) */
    for (int i = 0; i < n; i++) {
        if (reps[i] != 1 && shape[i] != 1) {
            vs[m] = swap ? shape[i] : 1;
            es[m++] = swap ? shape[i] : reps[i];
            vs[m] = swap ? 1 : shape[i];
            es[m++] = swap ? reps[i] : shape[i];
        } else {
            vs[m] = shape[i];
            es[m++] = len[i];
        }
    }
    if (m > L2_MAX_DIMS)
        return false;
    l2_tensor *v = l2_reshape(*x, m, vs);
    l2_tensor *e = v ? l2_expand(v, m, es) : NULL;
    l2_tensor *c = e ? l2_clone(e) : NULL; /* contiguous (clone's contract), always a copy */
    step(x, c ? l2_reshape(c, n, len) : NULL);
    l2_tensor_release(c);
    l2_tensor_release(e);
    l2_tensor_release(v);
    return true;
}

static l2_tensor *repeat_impl(const char *op, const l2_tensor *t, int n, const int64_t *reps)
{
    L2__CHECK(n >= t->ndim, NULL, L2_ERR_ARG, "%s: Number of dimensions of repeat dims can not "
              "be smaller than number of dimensions of tensor", op);
    L2__CHECK(n <= L2_MAX_DIMS, NULL, L2_ERR_ARG, "%s: %d repeat dims (at most %d)", op, n,
              L2_MAX_DIMS);
    int64_t shape[L2_MAX_DIMS], len[L2_MAX_DIMS];
    int lead = n - t->ndim;
    for (int i = 0; i < n; i++) {
        shape[i] = i < lead ? 1 : t->shape[i - lead];
        L2__CHECK(!l2__mul_ovf(shape[i], reps[i], &len[i]), NULL, L2_ERR_OVERFLOW,
                  "%s: the size of dim %d (%lld x %lld) overflows int64", op, i,
                  (long long)shape[i], (long long)reps[i]);
        /* torch checks the product: a negative repeat of an empty dim gives 0 */
        L2__CHECK(len[i] >= 0, NULL, L2_ERR_ARG, "%s: Trying to create tensor with negative "
                  "dimension %lld", op, (long long)len[i]);
    }
    l2__enter();
    l2_tensor *x = l2_reshape(t, n, shape);
    if (x && !repeat_expand(&x, n, shape, reps, len)) {
        bool copied = false; /* the index path: more dims than a view holds */
        /* mutation test: the index path forgets the first repeated dim's repeats */
        bool skip = l2__fault("repeat_index");
        for (int i = 0; i < n && x; i++) {
            if (reps[i] == 1 || (skip && i == 0))
                continue;
            step(&x, pick(op, x, i, len[i], pick_repeat, 0));
            copied = true;
        }
        if (x && !copied)
            step(&x, l2_clone(x));
    }
    bool zero_rep = false;
    for (int i = 0; i < n; i++)
        zero_rep |= reps[i] == 0;
    if (x && zero_rep && x->requires_grad) {
        /* torch's repeat_backward returns zeros without history when a repeat is 0 (so a
         * create_graph gradient through it does not depend on the upstream gradient): the
         * (empty) result is overwritten by constant zeros, whose node gives its old value a
         * gradient of new zeros. */
        l2_tensor *z = l2_zeros(x->ndim, x->shape, x->dtype);
        if (!z || !step(&x, l2_clone(x)) || l2_copy_(x, z) != L2_OK)
            step(&x, NULL);
        l2_tensor_release(z);
    }
    l2__leave();
    return l2__ret(x);
}

l2_tensor *l2_repeat(const l2_tensor *t, int n, const int64_t *repeats)
{
    L2__CHECK_T(t, NULL, "repeat");
    L2__CHECK(repeats != NULL || n <= 0, NULL, L2_ERR_NULL,
              "repeat: argument 'repeats' is NULL");
    return repeat_impl("repeat", t, n, repeats);
}

l2_tensor *l2_tile(const l2_tensor *t, int n, const int64_t *reps)
{
    L2__CHECK_T(t, NULL, "tile");
    L2__CHECK(n >= 0 && n <= L2_MAX_DIMS, NULL, L2_ERR_ARG, "tile: %d reps (at most %d)", n,
              L2_MAX_DIMS);
    L2__CHECK(reps != NULL || n == 0, NULL, L2_ERR_NULL, "tile: argument 'reps' is NULL");
    int64_t r[L2_MAX_DIMS];
    int m = n < t->ndim ? t->ndim : n;
    for (int i = 0; i < m; i++) /* reps prepended with 1s up to t's rank */
        r[i] = i < m - n ? 1 : reps[i - (m - n)];
    return repeat_impl("tile", t, m, r);
}

/* ---- repeat_interleave ------------------------------------------------------------------- */

/* input (t, or t flattened when dim is NULL) and its wrapped dim; NULL on error. */
static l2_tensor *ri_input(const char *op, const l2_tensor *t, const int *dim, int *d)
{
    if (!dim) {
        int64_t numel = l2__numel(t->ndim, t->shape);
        *d = 0;
        return l2_reshape(t, 1, &numel);
    }
    L2__CHECK(t->ndim > 0, NULL, L2_ERR_DIM, "%s: Dimension specified as %d but tensor has no "
              "dimensions", op, *dim);
    *d = l2__wrap_dim(op, *dim, t->ndim);
    return *d < 0 ? NULL : l2_tensor_ref((l2_tensor *)t);
}

l2_tensor *l2_repeat_interleave(const l2_tensor *t, int64_t repeats, const int *dim)
{
    const char *op = "repeat_interleave";
    L2__CHECK_T(t, NULL, op);
    l2__enter();
    int d;
    l2_tensor *x = ri_input(op, t, dim, &d);
    int64_t len = 0;
    if (x && repeats < 0 && x->shape[d] > 0) { /* torch: a count per slice, checked */
        l2__fail(L2_ERR_ARG, "%s: repeats can not be negative", op);
        step(&x, NULL);
    } else if (x && repeats < 0) {
        repeats = 0;
    }
    if (x && l2__mul_ovf(x->shape[d], repeats, &len)) {
        l2__fail(L2_ERR_OVERFLOW, "%s: %lld x %lld elements overflow int64", op,
                 (long long)x->shape[d], (long long)repeats);
        step(&x, NULL);
    }
    if (x)
        step(&x, pick(op, x, d, len, pick_interleave, repeats ? repeats : 1));
    l2__leave();
    return l2__ret(x);
}

/* The index of repeat_interleave with counts rp[0..m) (m == 1: one count for all s slices)
 * into *ix; false (error set) on a bad count. */
static bool ri_index(const char *op, const int64_t *rp, int64_t m, int64_t s, l2_tensor **ix)
{
    L2__CHECK(m == 1 || m == s, false, L2_ERR_SHAPE, "%s: repeats must have the same size as "
              "input along dim (%lld and %lld)", op, (long long)m, (long long)s);
    int64_t total = 0;
    bool ovf = false;
    for (int64_t i = 0; i < m; i++) {
        L2__CHECK(rp[i] >= 0 || (m == 1 && s == 0), false, L2_ERR_ARG, /* torch expands first */
                  "%s: repeats can not be negative", op);
        ovf |= l2__add_ovf(total, rp[i], &total);
    }
    if (m == 1)
        ovf = l2__mul_ovf(rp[0] > 0 ? rp[0] : 0, s, &total);
    L2__CHECK(!ovf, false, L2_ERR_OVERFLOW, "%s: the repeats' sum overflows int64", op);
    *ix = l2__new(op, 1, &total, L2_INT64, false);
    if (!*ix)
        return false;
    int64_t *p = (int64_t *)l2__data(*ix), k = 0;
    for (int64_t i = 0; i < s; i++)
        for (int64_t j = 0; j < rp[m == 1 ? 0 : i]; j++)
            p[k++] = i;
    return true;
}

l2_tensor *l2_repeat_interleave_tensor(const l2_tensor *t, const l2_tensor *repeats,
                                       const int *dim)
{
    const char *op = "repeat_interleave";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK_TN(repeats, NULL, op, "repeats");
    L2__CHECK(repeats->dtype == L2_INT64, NULL, L2_ERR_DTYPE, "%s: repeats has to be Long or "
              "Int tensor (got %s)", op, l2_dtype_name(repeats->dtype));
    L2__CHECK(repeats->ndim <= 1, NULL, L2_ERR_DIM, "%s: repeats must be 0-dim or 1-dim tensor",
              op);
    l2__enter();
    int d;
    l2_tensor *x = ri_input(op, t, dim, &d);
    l2_tensor *rc = x ? l2__convert(op, repeats, L2_INT64, true) : NULL;
    l2_tensor *ix = NULL;
    if (rc && ri_index(op, (const int64_t *)l2__data(rc), l2__numel(rc->ndim, rc->shape),
                       x->shape[d], &ix))
        step(&x, l2_index_select(x, d, ix));
    else
        step(&x, NULL);
    l2_tensor_release(ix);
    l2_tensor_release(rc);
    l2__leave();
    return l2__ret(x);
}

/* ---- rot90 ------------------------------------------------------------------------------- */

l2_tensor *l2_rot90(const l2_tensor *t, int64_t k, const int *dims)
{
    const char *op = "rot90";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(dims != NULL, NULL, L2_ERR_NULL, "%s: argument 'dims' is NULL", op);
    int n = t->ndim;
    L2__CHECK(n >= 2, NULL, L2_ERR_DIM, "%s: expected total dims >= 2, but got total dims = %d",
              op, n);
    L2__CHECK(dims[0] != dims[1] && (int64_t)dims[0] - dims[1] != n &&
                  (int64_t)dims[1] - dims[0] != n, NULL,
              L2_ERR_ARG, "%s: expected rotation dims to be different, but got dim0 = %d and "
              "dim1 = %d", op, dims[0], dims[1]);
    for (int i = 0; i < 2; i++)
        L2__CHECK(dims[i] < n && dims[i] >= -n, NULL, L2_ERR_DIM, "%s: Rotation dim%d out of "
                  "range, dim%d = %d", op, i, i, dims[i]);
    int w[2] = {dims[0] < 0 ? dims[0] + n : dims[0], dims[1] < 0 ? dims[1] + n : dims[1]};
    k = (4 + k % 4) % 4;
    l2__enter();
    l2_tensor *r;
    if (k == 0) {
        r = l2_clone(t);
    } else if (k == 2) {
        r = flip_impl(op, t, 2, w);
    } else { /* 1: flip dims[1], 3: flip dims[0]; then swap the two */
        l2_tensor *f = flip_impl(op, t, 1, k == 1 ? &w[1] : &w[0]);
        r = f ? l2_transpose(f, w[0], w[1]) : NULL;
        l2_tensor_release(f);
    }
    l2__leave();
    return l2__ret(r);
}
