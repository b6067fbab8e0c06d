/* tensor.c: storages and tensors (reference counting, properties), shape validation, scopes,
 * and the creation functions that do not need random numbers. Views are in ops/view.c, copies
 * in ops/copy.c, random creation in random.c. */
#include "autograd-impl.h"

#include <math.h>
#include <stdint.h>

/* ---- dtypes ---- */

const char *l2_dtype_name(l2_dtype dt)
{
    static const char *const names[] = {"float32", "float64", "int64", "bool"};
    return (unsigned)dt < L2_DTYPE_COUNT ? names[dt] : "invalid";
}

size_t l2_dtype_size(l2_dtype dt) { return (unsigned)dt < L2_DTYPE_COUNT ? l2__esize(dt) : 0; }

void l2__store(void *p, l2_dtype dt, double v)
{
    switch (dt) {
    case L2_FLOAT32: *(float *)p = (float)v; break;
    case L2_FLOAT64: *(double *)p = v; break;
    case L2_INT64:
        /* Out-of-range and NaN conversions are undefined in C; saturate them instead. */
        *(int64_t *)p = isnan(v) ? 0
                        : v >= 9.2233720368547758e18 ? INT64_MAX
                        : v < -9.2233720368547758e18 ? INT64_MIN
                                                      : (int64_t)v;
        break;
    case L2_BOOL: *(bool *)p = v != 0; break;
    default: break;
    }
}

double l2__load(const void *p, l2_dtype dt)
{
    switch (dt) {
    case L2_FLOAT32: return *(const float *)p;
    case L2_FLOAT64: return *(const double *)p;
    case L2_INT64: return (double)*(const int64_t *)p;
    case L2_BOOL: return *(const bool *)p;
    default: return 0;
    }
}

/* ---- shapes ---- */

int64_t l2__numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

void l2__contiguous_strides(int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = s;
        /* Only an empty tensor can overflow here (sizes were validated); its strides are moot. */
        if (__builtin_mul_overflow(s, shape[i] > 1 ? shape[i] : 1, &s))
            s = INT64_MAX;
    }
}

bool l2__is_contiguous(const l2_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] == 0)
            return true;
        if (t->shape[i] != 1 && t->stride[i] != s)
            return false;
        s *= t->shape[i];
    }
    return true;
}

bool l2__check_shape(const char *op, int ndim, const int64_t *shape, l2_dtype dt, int64_t *numel)
{
    L2__CHECK(ndim >= 0 && ndim <= L2_MAX_DIMS, false, L2_ERR_ARG,
              "%s: rank %d is outside 0..%d", op, ndim, L2_MAX_DIMS);
    L2__CHECK(ndim == 0 || shape != NULL, false, L2_ERR_NULL, "%s: shape is NULL for rank %d",
              op, ndim);
    L2__CHECK((unsigned)dt < L2_DTYPE_COUNT, false, L2_ERR_ARG, "%s: invalid dtype %d", op,
              (int)dt);
    int64_t n = 1;
    bool overflow = false;
    for (int i = 0; i < ndim; i++) {
        L2__CHECK(shape[i] >= 0, false, L2_ERR_ARG, "%s: negative size %lld in dim %d", op,
                  (long long)shape[i], i);
        if (!overflow && __builtin_mul_overflow(n, shape[i], &n))
            overflow = true;
    }
    if (n == 0)
        overflow = false; /* a zero-size dim makes the tensor empty whatever the others are */
    int64_t bytes;
    if (overflow || __builtin_mul_overflow(n, (int64_t)l2__esize(dt), &bytes) ||
        (uint64_t)bytes > (uint64_t)PTRDIFF_MAX) {
        char s[L2__SHAPE_STR];
        return l2__fail(L2_ERR_OVERFLOW, "%s: shape %s of %s has too many elements", op,
                        l2__shape_str(s, ndim, shape), l2_dtype_name(dt)),
               false;
    }
    if (numel)
        *numel = n;
    return true;
}

/* ---- storage and tensor lifecycle ---- */

static l2__storage *storage_new(const char *op, size_t nbytes, bool zero)
{
    l2__storage *s = l2__malloc(sizeof *s, op);
    if (!s)
        return NULL;
    s->data = zero ? l2__calloc(nbytes, op) : l2__malloc(nbytes, op);
    if (!s->data) {
        l2__free(s);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    atomic_init(&s->version, 0);
    s->nbytes = nbytes;
    s->owns_data = true;
    s->release = NULL;
    s->ctx = NULL;
    return s;
}

static void storage_release(l2__storage *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    if (s->owns_data)
        l2__free(s->data);
    else if (s->release)
        s->release(s->ctx);
    l2__free(s);
}

static l2_tensor *tensor_struct(const char *op, l2__storage *s, l2_dtype dt, int ndim,
                                const int64_t *shape, const int64_t *stride, int64_t offset)
{
    l2_tensor *t = l2__malloc(sizeof *t, op);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    atomic_init(&t->refs, 1);
    t->storage = s;
    t->dtype = dt;
    t->ndim = ndim;
    t->offset = offset;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->stride[i] = stride[i];
    }
    return t;
}

l2_tensor *l2__new(const char *op, int ndim, const int64_t *shape, l2_dtype dt, bool zero)
{
    int64_t n;
    if (!l2__check_shape(op, ndim, shape, dt, &n))
        return NULL;
    l2__storage *s = storage_new(op, (size_t)n * l2__esize(dt), zero);
    if (!s)
        return NULL;
    int64_t stride[L2_MAX_DIMS];
    l2__contiguous_strides(ndim, shape, stride);
    l2_tensor *t = tensor_struct(op, s, dt, ndim, shape, stride, 0);
    if (!t)
        storage_release(s);
    return t;
}

l2_tensor *l2__alias(const l2_tensor *t, int ndim, const int64_t *shape, const int64_t *stride,
                     int64_t offset)
{
    l2_tensor *v = tensor_struct("view", t->storage, t->dtype, ndim, shape, stride, offset);
    if (v)
        atomic_fetch_add(&t->storage->refs, 1);
    return v;
}

l2_tensor *l2_tensor_ref(l2_tensor *t)
{
    if (t)
        atomic_fetch_add(&t->refs, 1);
    return t;
}

void l2_tensor_release(l2_tensor *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    if (t->grad_fn) {
        if (t->grad_fn->out_weak == t)
            t->grad_fn->out_weak = NULL;
        l2__node_release(t->grad_fn);
    }
    l2_tensor_release(t->grad);
    storage_release(t->storage);
    l2__free(t);
}

/* ---- properties ---- */

#define L2__GETTER_CHECK(t, ret)                                                             \
    L2__CHECK((t) != NULL, ret, L2_ERR_NULL, "%s: tensor is NULL", __func__)

int l2_ndim(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, 0);
    return t->ndim;
}
const int64_t *l2_shape(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, NULL);
    return t->shape;
}
const int64_t *l2_strides(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, NULL);
    return t->stride;
}
int64_t l2_offset(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, 0);
    return t->offset;
}
int64_t l2_size(const l2_tensor *t, int dim)
{
    L2__GETTER_CHECK(t, -1);
    L2__CHECK(t->ndim > 0, -1, L2_ERR_DIM, "size: tensor of rank 0 has no dims");
    int d = l2__wrap_dim("size", dim, t->ndim);
    return d < 0 ? -1 : t->shape[d];
}
int64_t l2_numel(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, 0);
    return l2__numel(t->ndim, t->shape);
}
l2_dtype l2_dtype_of(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, L2_FLOAT32);
    return t->dtype;
}
void *l2_data_ptr(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, NULL);
    return l2__data(t);
}
bool l2_is_contiguous(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, false);
    return l2__is_contiguous(t);
}
bool l2_shares_storage(const l2_tensor *a, const l2_tensor *b)
{
    L2__GETTER_CHECK(a, false);
    L2__GETTER_CHECK(b, false);
    return a->storage == b->storage;
}

/* ---- scopes ---- */

#define L2__MAX_SCOPES 64

typedef struct {
    l2_tensor **items;
    int64_t n, cap;
} scope_list;

static _Thread_local scope_list scopes[L2__MAX_SCOPES];
static _Thread_local int scope_depth = 0;
static _Thread_local int suspend_depth = 0;

void l2__enter(void) { suspend_depth++; }
void l2__leave(void) { suspend_depth--; }

l2_status l2_scope_begin(void)
{
    L2__CHECK_ST(scope_depth < L2__MAX_SCOPES, L2_ERR_ARG,
              "scope_begin: more than %d nested scopes", L2__MAX_SCOPES);
    scope_list *s = &scopes[scope_depth++];
    s->n = 0;
    return L2_OK;
}

l2_status l2_scope_end(void)
{
    L2__CHECK_ST(scope_depth > 0, L2_ERR_ARG, "scope_end: no scope is open");
    scope_list *s = &scopes[--scope_depth];
    for (int64_t i = s->n - 1; i >= 0; i--)
        l2_tensor_release(s->items[i]);
    s->n = 0;
    if (scope_depth == 0) {
        for (int i = 0; i < L2__MAX_SCOPES && scopes[i].items; i++) {
            l2__free(scopes[i].items);
            scopes[i].items = NULL;
            scopes[i].cap = 0;
        }
    }
    return L2_OK;
}

/* Add t to scope s; on out-of-memory release t and return NULL. */
static l2_tensor *scope_add(scope_list *s, l2_tensor *t)
{
    if (s->n == s->cap) {
        int64_t cap = s->cap ? 2 * s->cap : 64;
        l2_tensor **items = l2__realloc(s->items, (size_t)cap * sizeof *items, "scope");
        if (!items) {
            l2_tensor_release(t);
            return NULL;
        }
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n++] = t;
    return t;
}

l2_tensor *l2__ret(l2_tensor *t)
{
    if (!t || suspend_depth > 0 || scope_depth == 0)
        return t;
    return scope_add(&scopes[scope_depth - 1], t);
}

l2_tensor *l2_keep(l2_tensor *t)
{
    if (!t)
        return NULL;
    l2_tensor_ref(t);
    if (scope_depth >= 2)
        return scope_add(&scopes[scope_depth - 2], t);
    return t;
}

/* ---- creation ---- */

static void fill_value(l2_tensor *t, double value)
{
    int64_t n = l2__numel(t->ndim, t->shape);
    L2__DISPATCH(t->dtype, {
        T v;
        l2__store(&v, t->dtype, value);
        T *p = (T *)l2__data(t);
        for (int64_t i = 0; i < n; i++)
            p[i] = v;
    });
}

l2_tensor *l2_empty(int ndim, const int64_t *shape, l2_dtype dt)
{
    return l2__ret(l2__new("empty", ndim, shape, dt, false));
}

l2_tensor *l2_zeros(int ndim, const int64_t *shape, l2_dtype dt)
{
    return l2__ret(l2__new("zeros", ndim, shape, dt, true));
}

l2_tensor *l2_full(int ndim, const int64_t *shape, double value, l2_dtype dt)
{
    l2_tensor *t = l2__new("full", ndim, shape, dt, false);
    if (t)
        fill_value(t, value);
    return l2__ret(t);
}

l2_tensor *l2_ones(int ndim, const int64_t *shape, l2_dtype dt)
{
    return l2_full(ndim, shape, 1.0, dt);
}

l2_tensor *l2_scalar(double value, l2_dtype dt) { return l2_full(0, NULL, value, dt); }

l2_tensor *l2_empty_like(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "empty_like");
    return l2_empty(t->ndim, t->shape, t->dtype);
}
l2_tensor *l2_zeros_like(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "zeros_like");
    return l2_zeros(t->ndim, t->shape, t->dtype);
}
l2_tensor *l2_ones_like(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "ones_like");
    return l2_ones(t->ndim, t->shape, t->dtype);
}
l2_tensor *l2_full_like(const l2_tensor *t, double value)
{
    L2__CHECK_T(t, NULL, "full_like");
    return l2_full(t->ndim, t->shape, value, t->dtype);
}

l2_tensor *l2_arange(double start, double end, double step, l2_dtype dt)
{
    L2__CHECK(dt != L2_BOOL && (unsigned)dt < L2_DTYPE_COUNT, NULL, L2_ERR_DTYPE,
              "arange: dtype %s is not supported", l2_dtype_name(dt));
    L2__CHECK(isfinite(start) && isfinite(end) && isfinite(step), NULL, L2_ERR_ARG,
              "arange: start, end and step must be finite");
    L2__CHECK(step != 0, NULL, L2_ERR_ARG, "arange: step must be nonzero");
    L2__CHECK((step > 0 && end >= start) || (step < 0 && end <= start), NULL, L2_ERR_ARG,
              "arange: upper bound and larger bound inconsistent with step sign "
              "(start %g, end %g, step %g)", start, end, step);
    double len = ceil((end - start) / step);
    L2__CHECK(len < 9.2e18, NULL, L2_ERR_OVERFLOW, "arange: %g elements is too many", len);
    int64_t n = (int64_t)len;
    l2_tensor *t = l2__new("arange", 1, &n, dt, false);
    if (!t)
        return NULL;
    for (int64_t i = 0; i < n; i++)
        l2__store(l2__data(t) + i * (int64_t)l2__esize(dt), dt, start + (double)i * step);
    return l2__ret(t);
}

l2_tensor *l2_linspace(double start, double end, int64_t steps, l2_dtype dt)
{
    L2__CHECK(l2__is_float(dt), NULL, L2_ERR_DTYPE, "linspace: dtype %s is not supported",
              l2_dtype_name(dt));
    L2__CHECK(steps >= 0, NULL, L2_ERR_ARG, "linspace: number of steps must be non-negative "
              "(got %lld)", (long long)steps);
    l2_tensor *t = l2__new("linspace", 1, &steps, dt, false);
    if (!t)
        return NULL;
    double step = steps > 1 ? (end - start) / (double)(steps - 1) : 0;
    /* As torch: the first half counts up from start, the second half down from end; a single
     * step is start. */
    int64_t half = steps == 1 ? 1 : steps / 2;
    for (int64_t i = 0; i < steps; i++) {
        double v = i < half ? start + step * (double)i : end - step * (double)(steps - 1 - i);
        l2__store(l2__data(t) + i * (int64_t)l2__esize(dt), dt, v);
    }
    return l2__ret(t);
}

l2_tensor *l2_eye(int64_t n, int64_t m, l2_dtype dt)
{
    if (m < 0)
        m = n;
    int64_t shape[2] = {n, m};
    l2_tensor *t = l2__new("eye", 2, shape, dt, true);
    if (!t)
        return NULL;
    for (int64_t i = 0; i < n && i < m; i++)
        l2__store(l2__data(t) + (i * m + i) * (int64_t)l2__esize(dt), dt, 1.0);
    return l2__ret(t);
}

l2_tensor *l2_from_data(const void *data, int ndim, const int64_t *shape, l2_dtype dt)
{
    int64_t n;
    if (!l2__check_shape("from_data", ndim, shape, dt, &n))
        return NULL;
    L2__CHECK(data != NULL || n == 0, NULL, L2_ERR_NULL, "from_data: data is NULL");
    l2_tensor *t = l2__new("from_data", ndim, shape, dt, false);
    if (t && n > 0)
        memcpy(t->storage->data, data, (size_t)n * l2__esize(dt));
    return l2__ret(t);
}

l2_tensor *l2_from_blob(void *data, int ndim, const int64_t *shape, const int64_t *strides,
                        int64_t offset, l2_dtype dt, void (*release)(void *ctx), void *ctx)
{
    const char *op = "from_blob";
    int64_t n, st[L2_MAX_DIMS];
    l2__storage *s = NULL;
    l2_tensor *t = NULL;
    if (!l2__check_shape(op, ndim, shape, dt, &n))
        goto fail;
    if (!data && n > 0) {
        l2__fail(L2_ERR_NULL, "%s: data is NULL", op);
        goto fail;
    }
    if (offset < 0) {
        l2__fail(L2_ERR_ARG, "%s: negative offset %lld", op, (long long)offset);
        goto fail;
    }
    if (strides) {
        for (int i = 0; i < ndim; i++) {
            if (strides[i] < 0) {
                l2__fail(L2_ERR_ARG, "%s: negative stride %lld in dim %d", op,
                         (long long)strides[i], i);
                goto fail;
            }
            st[i] = strides[i];
        }
    } else {
        l2__contiguous_strides(ndim, shape, st);
    }
    s = l2__malloc(sizeof *s, op);
    if (!s)
        goto fail;
    atomic_init(&s->refs, 1);
    atomic_init(&s->version, 0);
    s->data = data;
    s->nbytes = 0;
    s->owns_data = false;
    s->release = release;
    s->ctx = ctx;
    t = tensor_struct(op, s, dt, ndim, shape, st, offset);
    if (!t) {
        l2__free(s);
        goto fail;
    }
    return l2__ret(t);
fail:
    if (release)
        release(ctx);
    return NULL;
}

/* ---- element access ---- */

char *l2__elem_ptr(const l2_tensor *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int i = 0; i < t->ndim; i++)
        off += idx[i] * t->stride[i];
    return l2__data(t) + off * (int64_t)l2__esize(t->dtype);
}

double l2__get_flat(const l2_tensor *t, int64_t flat)
{
    int64_t off = 0;
    for (int i = t->ndim - 1; i >= 0; i--) {
        int64_t k = flat % t->shape[i];
        flat /= t->shape[i];
        off += k * t->stride[i];
    }
    return l2__load(l2__data(t) + off * (int64_t)l2__esize(t->dtype), t->dtype);
}

/* Resolve idx (negatives from the end) into a pointer; NULL with the error set. */
static char *checked_elem(const char *op, const l2_tensor *t, const int64_t *idx)
{
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(t->ndim == 0 || idx != NULL, NULL, L2_ERR_NULL, "%s: idx is NULL", op);
    int64_t k[L2_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) {
        k[i] = idx[i] < 0 ? idx[i] + t->shape[i] : idx[i];
        L2__CHECK(k[i] >= 0 && k[i] < t->shape[i], NULL, L2_ERR_INDEX,
                  "%s: index %lld is out of bounds for dim %d with size %lld", op,
                  (long long)idx[i], i, (long long)t->shape[i]);
    }
    return l2__elem_ptr(t, k);
}

l2_status l2_get(const l2_tensor *t, const int64_t *idx, double *out)
{
    L2__CHECK_ST(out != NULL, L2_ERR_NULL, "get: out is NULL");
    char *p = checked_elem("get", t, idx);
    if (!p)
        return l2_last_status();
    *out = l2__load(p, t->dtype);
    return L2_OK;
}

l2_status l2_get_int64(const l2_tensor *t, const int64_t *idx, int64_t *out)
{
    L2__CHECK_ST(out != NULL, L2_ERR_NULL, "get_int64: out is NULL");
    L2__CHECK_ST(!t || t->dtype == L2_INT64, L2_ERR_DTYPE, "get_int64: tensor is %s, not int64",
              l2_dtype_name(t->dtype));
    char *p = checked_elem("get_int64", t, idx);
    if (!p)
        return l2_last_status();
    *out = *(int64_t *)p;
    return L2_OK;
}

bool l2__check_inplace(const char *op, const l2_tensor *t)
{
    if (!t->requires_grad || !l2_is_grad_enabled())
        return true;
    L2__CHECK(t->grad_fn, false, L2_ERR_AUTOGRAD,
              "%s: a leaf tensor that requires grad is being used in an in-place operation", op);
    if (!t->is_view)
        return true;
    /* Walk back through view ops: a view of a leaf is torch's error; a view of a non-leaf is
     * libl2's limitation (no CopySlices). */
    const l2__node *n = t->grad_fn;
    while (n && (n->op == L2__OP_VIEW || n->op == L2__OP_PERMUTE || n->op == L2__OP_EXPAND ||
                 n->op == L2__OP_SLICE || n->op == L2__OP_SELECT || n->op == L2__OP_AS_STRIDED)) {
        L2__CHECK(!n->next[0].leaf, false, L2_ERR_AUTOGRAD,
                  "%s: a view of a leaf tensor that requires grad is being used in an in-place "
                  "operation", op);
        n = n->next[0].fn;
    }
    return l2__fail(L2_ERR_UNSUPPORTED,
                    "%s: in-place operation on a view of a tensor that requires grad is not "
                    "supported (clone the view first, or write under l2_no_grad_begin)", op),
           false;
}

l2_status l2_set(l2_tensor *t, const int64_t *idx, double value)
{
    char *p = checked_elem("set", t, idx);
    if (!p)
        return l2_last_status();
    if (!l2__check_inplace("set", t))
        return l2_last_status();
    l2__store(p, t->dtype, value);
    l2__bump_version(t);
    return L2_OK;
}

l2_status l2_item(const l2_tensor *t, double *out)
{
    L2__CHECK_T(t, L2_ERR_NULL, "item");
    L2__CHECK_ST(out != NULL, L2_ERR_NULL, "item: out is NULL");
    int64_t n = l2__numel(t->ndim, t->shape);
    L2__CHECK_ST(n == 1, L2_ERR_SHAPE, "item: a tensor with %lld elements cannot be converted to a "
              "scalar", (long long)n);
    *out = l2__load(l2__data(t), t->dtype);
    return L2_OK;
}
