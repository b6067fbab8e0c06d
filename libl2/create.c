/* create.c: the creation functions that need no random numbers and own their storage: empty,
 * zeros, full, ones, scalar, the *_like forms, arange, linspace, eye and from_data (l2_from_blob,
 * which wraps a caller's memory, is in tensor.c; random creation in random.c). */
#include "l2-impl.h"

#include <math.h>
#include <string.h>

static void fill_value(l2_tensor *t, double value)
{
    uint64_t v = 0;
    l2__store(&v, t->dtype, value);
    l2__fill_kernel(t, &v);
}

static l2_tensor *half_empty(int ndim, const int64_t *shape, l2_dtype dt)
{
    return l2__ret(l2__new("empty", ndim, shape, dt, false));
}

/* issue 16: l2_empty accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_empty(int ndim, const int64_t *shape, l2_dtype dt)
{
    l2__half_ok++;
    l2_tensor *r = half_empty(ndim, shape, dt);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_zeros(int ndim, const int64_t *shape, l2_dtype dt)
{
    return l2__ret(l2__new("zeros", ndim, shape, dt, true));
}

/* issue 16: l2_zeros accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_zeros(int ndim, const int64_t *shape, l2_dtype dt)
{
    l2__half_ok++;
    l2_tensor *r = half_zeros(ndim, shape, dt);
    l2__half_ok--;
    return r;
}

static l2_tensor *half_full(int ndim, const int64_t *shape, double value, l2_dtype dt)
{
    l2_tensor *t = l2__new("full", ndim, shape, dt, false);
    if (t)
        fill_value(t, value);
    return l2__ret(t);
}

/* issue 16: l2_full accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_full(int ndim, const int64_t *shape, double value, l2_dtype dt)
{
    l2__half_ok++;
    l2_tensor *r = half_full(ndim, shape, value, dt);
    l2__half_ok--;
    return r;
}

l2_tensor *l2_ones(int ndim, const int64_t *shape, l2_dtype dt)
{
    return l2_full(ndim, shape, 1.0, dt);
}

l2_tensor *l2_scalar(double value, l2_dtype dt) { return l2_full(0, NULL, value, dt); }

static l2_tensor *half_empty_like(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "empty_like");
    return l2_empty(t->ndim, t->shape, t->dtype);
}

/* issue 16: l2_empty_like accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_empty_like(const l2_tensor *t)
{
    l2__half_ok++;
    l2_tensor *r = half_empty_like(t);
    l2__half_ok--;
    return r;
}
static l2_tensor *half_zeros_like(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "zeros_like");
    return l2_zeros(t->ndim, t->shape, t->dtype);
}

/* issue 16: l2_zeros_like accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_zeros_like(const l2_tensor *t)
{
    l2__half_ok++;
    l2_tensor *r = half_zeros_like(t);
    l2__half_ok--;
    return r;
}
static l2_tensor *half_ones_like(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "ones_like");
    return l2_ones(t->ndim, t->shape, t->dtype);
}

/* issue 16: l2_ones_like accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_ones_like(const l2_tensor *t)
{
    l2__half_ok++;
    l2_tensor *r = half_ones_like(t);
    l2__half_ok--;
    return r;
}
static l2_tensor *half_full_like(const l2_tensor *t, double value)
{
    L2__CHECK_T(t, NULL, "full_like");
    return l2_full(t->ndim, t->shape, value, t->dtype);
}

/* issue 16: l2_full_like accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_full_like(const l2_tensor *t, double value)
{
    l2__half_ok++;
    l2_tensor *r = half_full_like(t, value);
    l2__half_ok--;
    return r;
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
    l2__arange_kernel(t, start, step);
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

static l2_tensor *half_from_data(const void *data, int ndim, const int64_t *shape, l2_dtype dt)
{
    int64_t n;
    if (!l2__check_shape("from_data", ndim, shape, dt, &n))
        return NULL;
    L2__CHECK(data != NULL || n == 0, NULL, L2_ERR_NULL, "from_data: data is NULL");
    l2_tensor *t = l2__new("from_data", ndim, shape, dt, false);
    if (t && n > 0 && dt == L2_BOOL) { /* any non-zero byte is true, stored as 1 */
        const unsigned char *src = data;
        bool *dst = t->storage->data;
        for (int64_t i = 0; i < n; i++)
            dst[i] = src[i] != 0;
    } else if (t && n > 0) {
        memcpy(t->storage->data, data, (size_t)n * l2__esize(dt));
    }
    return l2__ret(t);
}

/* issue 16: l2_from_data accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_from_data(const void *data, int ndim, const int64_t *shape, l2_dtype dt)
{
    l2__half_ok++;
    l2_tensor *r = half_from_data(data, ndim, shape, dt);
    l2__half_ok--;
    return r;
}
