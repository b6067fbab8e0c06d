/* adv-util.h: what the advanced-indexing tests share (test-adv.c, test-adv-put.c): int64 index
 * tensors from literals and the value check of a result. Needs tap.h and testutil.h first. */
#ifndef L2_TEST_ADV_UTIL_H
#define L2_TEST_ADV_UTIL_H

#include <stdio.h>

static inline l2_tensor *ix(int ndim, const int64_t *shape, const int64_t *v)
{
    return l2_from_data(v, ndim, shape, L2_INT64);
}

/* t has the given shape and row-major values want[]; releases t. */
static inline void is_vals(l2_tensor *t, int ndim, const int64_t *shape, const double *want,
                    const char *name)
{
    int good = t && same_shape(t, ndim, shape);
    l2_tensor *c = good ? l2_contiguous(t) : NULL;
    l2_tensor *f = c ? l2_to_dtype(c, L2_FLOAT64) : NULL;
    int64_t n = f ? l2_numel(f) : 0, bad = -1;
    const double *p = f ? (const double *)l2_data_ptr(f) : NULL;
    for (int64_t k = 0; good && p && k < n; k++)
        if (p[k] != want[k]) {
            good = 0;
            bad = k;
        }
    if (!ok(good && f, "%s", name)) {
        if (bad >= 0)
            printf("#   element %lld: got %g, want %g\n", (long long)bad, p[bad], want[bad]);
        else if (!t)
            printf("#   error: %s\n", l2_last_error());
    }
    l2_tensor_release(f);
    l2_tensor_release(c);
    l2_tensor_release(t);
}

#endif /* L2_TEST_ADV_UTIL_H */
