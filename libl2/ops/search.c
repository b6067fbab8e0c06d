/* search.c: searchsorted and bucketize (issue 14, area scan): binary searches of values in
 * sorted rows, as torch 1.13 (promoted dtype, lower or upper bound, an optional sorter), on
 * contiguous copies, one thread. Not differentiable. Not here: int32 results (libl2 has no
 * int32 dtype) and torch's `side` string (right = true is side "right"). */
#include "../l2-impl.h"

#include <stdio.h>
#include <string.h>

/* The first position p in [0, m) of row q (through sorter so, when given) whose element is
 * >= v (lower bound) or > v (upper bound, right); m when there is none. NaN compares as torch's
 * loop does: !(mid >= v) moves on. */
#define BOUND(T)                                                                             \
    static int64_t bound_##T(const T *q, const int64_t *so, int64_t m, T v, bool right)      \
    {                                                                                        \
        int64_t lo = 0, hi = m;                                                              \
        while (lo < hi) {                                                                    \
            const int64_t mid = lo + ((hi - lo) >> 1);                                       \
            const T e = so ? q[so[mid]] : q[mid];                                            \
            if (right ? !(e > v) : !(e >= v))                                                \
                lo = mid + 1;                                                                \
            else                                                                             \
                hi = mid;                                                                    \
        }                                                                                    \
        return lo;                                                                           \
    }
BOUND(float)
BOUND(double)
BOUND(int64_t)
BOUND(bool) /* not reached: bool is refused (torch has no bool kernel) */
#undef BOUND
#define BOUND_OF(v)                                                                          \
    _Generic((v), float: bound_float, double: bound_double, int64_t: bound_int64_t,          \
             bool: bound_bool)

/* A contiguous copy of t in dtype dt (NULL, error set, when out of memory). */
static l2_tensor *dense(const l2_tensor *t, l2_dtype dt, const char *op)
{
    l2_tensor *r = l2__new(op, t->ndim, t->shape, dt, false);
    if (r)
        l2__copy_kernel(r, t);
    return r;
}

static void fmt_shape(char *buf, size_t n, const l2_tensor *t)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < t->ndim && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, d ? ", %lld" : "%lld", (long long)t->shape[d]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
}

/* torch 1.13's searchsorted_pre_check, in its order. */
static bool search_check(const char *op, const l2_tensor *sorted, const l2_tensor *values,
                         const l2_tensor *sorter)
{
    char a[128], b[128];
    L2__CHECK_T(sorted, false, op);
    L2__CHECK_T(values, false, op);
    if (sorter) {
        bool same = sorter->ndim == sorted->ndim;
        for (int d = 0; same && d < sorted->ndim; d++)
            same = sorter->shape[d] == sorted->shape[d];
        fmt_shape(a, sizeof a, sorted);
        fmt_shape(b, sizeof b, sorter);
        L2__CHECK(same, false, L2_ERR_SHAPE, "%s: boundary and sorter must have the same size, "
                  "but got boundary tensor %s and got sorter tensor %s", op, a, b);
        L2__CHECK(sorter->dtype == L2_INT64, false, L2_ERR_DTYPE,
                  "%s: sorter must be a tensor of long dtype but got dtype %s", op,
                  l2_dtype_name(sorter->dtype));
    }
    L2__CHECK(values->ndim > 0 || sorted->ndim == 1, false, L2_ERR_SHAPE,
              "%s: input value can be a scalar only when boundaries tensor dimension is 1, but "
              "we got boundaries tensor dim(%d) and input value's dim(0) numel(1)", op,
              sorted->ndim);
    L2__CHECK(sorted->ndim != 0, false, L2_ERR_SHAPE, "%s: boundaries tensor should have "
              "positive dimension, but got 0 dimension", op);
    bool match = sorted->ndim == 1 || sorted->ndim == values->ndim;
    for (int d = 0; match && sorted->ndim > 1 && d < sorted->ndim - 1; d++)
        match = sorted->shape[d] == values->shape[d];
    fmt_shape(a, sizeof a, sorted);
    fmt_shape(b, sizeof b, values);
    L2__CHECK(match, false, L2_ERR_SHAPE, "%s: boundaries tensor should be 1 dimension or the "
              "first N-1 dimensions of boundaries tensor and input value tensor must match, but "
              "we got boundaries tensor %s and input value tensor %s", op, a, b);
    return true;
}

/* The search itself: values' positions in the rows of sorted (the last dim; one row for a 1-d
 * sorted, else the row of the value's leading index). */
static l2_tensor *search(const char *op, const l2_tensor *sorted, const l2_tensor *values,
                         bool right, const l2_tensor *sorter)
{
    l2_dtype dt = l2__result_type(sorted, values);
    if (l2__numel(values->ndim, values->shape) == 0) /* torch: no kernel runs, no dtype check */
        return l2__new(op, values->ndim, values->shape, L2_INT64, false);
    L2__CHECK(dt != L2_BOOL, NULL, L2_ERR_DTYPE, "%s: \"searchsorted_out_cpu\" not implemented "
              "for 'Bool'", op);
    const int64_t m = sorted->shape[sorted->ndim - 1];
    const int64_t nv = l2__numel(values->ndim, values->shape);
    const int64_t k = sorted->ndim == 1 || values->ndim == 0 ? 0 : values->shape[values->ndim - 1];
    l2_tensor *s = dense(sorted, dt, op);
    l2_tensor *v = s ? dense(values, dt, op) : NULL;
    l2_tensor *so = v && sorter ? dense(sorter, L2_INT64, op) : NULL;
    l2_tensor *r = v && (so || !sorter) ? l2__new(op, values->ndim, values->shape, L2_INT64, false)
                                        : NULL;
    if (r && so) { /* torch reads out of bounds here; libl2 refuses */
        const int64_t *q = (const int64_t *)l2__data(so), ns = l2__numel(so->ndim, so->shape);
        for (int64_t i = 0; i < ns; i++) {
            if (q[i] < 0 || q[i] >= m) {
                l2__fail(L2_ERR_INDEX, "%s: sorter index %lld out of range for a row of "
                              "%lld elements", op, (long long)q[i], (long long)m);
                l2_tensor_release(r);
                r = NULL;
                break;
            }
        }
    }
    if (r) {
        int64_t *out = (int64_t *)l2__data(r);
        const int64_t *sq = so ? (const int64_t *)l2__data(so) : NULL;
        L2__DISPATCH(dt, {
            const T *sd = (const T *)l2__data(s);
            const T *vd = (const T *)l2__data(v);
            for (int64_t i = 0; i < nv; i++) {
                const int64_t row = k ? i / k : 0;
                out[i] = BOUND_OF(vd[i])(sd + row * m, sq ? sq + row * m : NULL, m, vd[i], right);
            }
        });
    }
    l2_tensor_release(s);
    l2_tensor_release(v);
    l2_tensor_release(so);
    return r;
}

l2_tensor *l2_searchsorted(const l2_tensor *sorted, const l2_tensor *values, bool right,
                           const l2_tensor *sorter)
{
    const char *op = "searchsorted";
    if (!search_check(op, sorted, values, sorter))
        return NULL;
    return l2__ret(search(op, sorted, values, right, sorter));
}

l2_tensor *l2_bucketize(const l2_tensor *values, const l2_tensor *boundaries, bool right)
{
    const char *op = "bucketize";
    L2__CHECK_T(values, NULL, op);
    L2__CHECK_T(boundaries, NULL, op);
    L2__CHECK(boundaries->ndim == 1, NULL, L2_ERR_SHAPE, "%s: boundaries tensor must be 1 "
              "dimension, but got dim(%d)", op, boundaries->ndim);
    return l2__ret(search(op, boundaries, values, right, NULL));
}
