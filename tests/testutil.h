/* testutil.h: small helpers shared by the C tests (include after tap.h and gradcheck.h):
 * arange-shaped tensors, reading elements, shape checks, and the out-of-memory sweep. */
#ifndef L2_TESTUTIL_H
#define L2_TESTUTIL_H

#include <l2.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* arange(numel) reshaped to shape, dtype dt. */
static inline l2_tensor *ar(int ndim, const int64_t *shape, l2_dtype dt)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    l2_tensor *flat = l2_arange(0, (double)n, 1, dt);
    l2_tensor *r = l2_reshape(flat, ndim, shape);
    l2_tensor_release(flat);
    return r;
}

/* Element idx of t as a double; NaN when t is NULL or idx out of range. */
static inline double at(const l2_tensor *t, const int64_t *idx)
{
    double v = NAN;
    if (!t || l2_get(t, idx, &v) != L2_OK)
        return NAN;
    return v;
}

/* r is NULL with status st and a message containing want: one test point named name (the
 * status and message printed when not). Releases r. */
static inline void is_err(l2_tensor *r, l2_status st, const char *want, const char *name)
{
    int good = r == NULL && l2_last_status() == st && strstr(l2_last_error(), want) != NULL;
    if (!ok(good, "%s", name))
        printf("#   status %s, message \"%s\", wanted \"%s\"\n", l2_status_name(l2_last_status()),
               l2_last_error(), want);
    l2_tensor_release(r);
}

/* A 1-D tensor of dtype dt holding v[0..n). */
static inline l2_tensor *vec1d(int64_t n, const double *v, l2_dtype dt)
{
    l2_tensor *t = l2_empty(1, &n, dt);
    for (int64_t i = 0; t && i < n; i++)
        l2_set(t, &i, v[i]);
    return t;
}

/* Whether the 1-D tensor t holds v (NaN matching NaN; the sign of zero compared). */
static inline int holds(const l2_tensor *t, int64_t n, const double *v)
{
    if (!t || l2_ndim(t) != 1 || l2_shape(t)[0] != n)
        return 0;
    for (int64_t i = 0; i < n; i++) {
        double x = at(t, &i);
        if (isnan(v[i]) ? !isnan(x) : (x != v[i] || signbit(x) != signbit(v[i])))
            return 0;
    }
    return 1;
}

/* Element i of a flat row-major read of t (any layout). */
static inline double flat(const l2_tensor *t, int64_t i)
{
    int64_t idx[L2_MAX_DIMS];
    for (int d = l2_ndim(t) - 1; d >= 0; d--) {
        idx[d] = i % l2_shape(t)[d];
        i /= l2_shape(t)[d];
    }
    return at(t, idx);
}

/* The value of a one-element tensor; NaN when t is NULL or has more elements. */
static inline double item(const l2_tensor *t)
{
    double v = NAN;
    if (!t || l2_item(t, &v) != L2_OK)
        return NAN;
    return v;
}

/* item() of a tensor that is then released. */
static inline double itemr(l2_tensor *t)
{
    double v = item(t);
    l2_tensor_release(t);
    return v;
}

static inline int same_shape(const l2_tensor *t, int ndim, const int64_t *shape)
{
    int good = t && l2_ndim(t) == ndim;
    for (int i = 0; good && i < ndim; i++)
        good = l2_shape(t)[i] == shape[i];
    return good;
}

/* An r x c matrix of dtype dt holding v (row-major). */
static inline l2_tensor *mat(int64_t r, int64_t c, const double *v, l2_dtype dt)
{
    l2_tensor *f = vec1d(r * c, v, dt);
    l2_tensor *m = l2_reshape(f, 2, (int64_t[]){r, c});
    l2_tensor_release(f);
    return m;
}

/* max |a - b| over all elements (NaN when an element differs by NaN); inf when either is NULL
 * or their shapes differ. */
static inline double maxdiff(const l2_tensor *a, const l2_tensor *b)
{
    if (!a || !b || l2_ndim(a) != l2_ndim(b))
        return INFINITY;
    for (int d = 0; d < l2_ndim(a); d++)
        if (l2_shape(a)[d] != l2_shape(b)[d])
            return INFINITY;
    double m = 0;
    for (int64_t i = 0; i < l2_numel(a); i++) {
        double e = fabs(flat(a, i) - flat(b, i));
        m = e > m || isnan(e) ? e : m;
    }
    return m;
}

/* Release n tensors (NULLs skipped); RELEASE(a, b, ...) releases its arguments. */
static inline void release_n(l2_tensor **t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        l2_tensor_release(t[i]);
}
#define RELEASE(...)                                                                         \
    do {                                                                                     \
        l2_tensor *tmp_[] = {__VA_ARGS__};                                                   \
        release_n(tmp_, sizeof tmp_ / sizeof tmp_[0]);                                       \
    } while (0)

/* Run f (and a backward through its result) with allocation number k failing, for k = 0, 1, ...
 * until a run succeeds: every failure must report L2_ERR_NOMEM and leak nothing (valgrind). */
static inline void oom_check(const char *name, gc_fn f, int n, l2_tensor *const *in, void *ctx)
{
    l2_tensor *probe = f(in, ctx);
    l2_tensor *g = probe ? l2_ones_like(probe) : NULL;
    l2_tensor_release(probe);
    int runs = 0, nomem = 0, done = 0;
    for (int k = 0; g && k < 400 && !done; k++) {
        for (int i = 0; i < n; i++)
            l2_set_grad_none(in[i]);
        l2_debug_fail_alloc_after(k);
        l2_tensor *r = f(in, ctx);
        l2_status st = r ? l2_backward(r, g, false) : l2_last_status();
        l2_debug_fail_alloc_after(-1);
        runs++;
        if (st == L2_OK)
            done = 1;
        else
            nomem += st == L2_ERR_NOMEM;
        l2_tensor_release(r);
    }
    ok(done && nomem == runs - 1, "%s under injected allocation failures: %d runs, %d NOMEM",
       name, runs, nomem);
    l2_tensor_release(g);
}

/* Out of memory in the create_graph backward: every injected allocation failure gives
 * L2_ERR_NOMEM, leaks nothing and leaves the gradients NULL; the sweep ends with a success.
 * f's n inputs (n <= 4) are the leaves differentiated (l2_autograd_grad_ex of sum(f)). */
static inline void cg_oom_sweep(const char *name, gc_fn f, int n, l2_tensor *const *in, void *ctx)
{
    l2_tensor *o = f(in, ctx), *y = o ? l2_sum(o) : NULL;
    int runs = 0, nomem = 0, clean = 1, done = 0;
    for (int k = 0; k < 600 && y && !done; k++) {
        l2_tensor *g[4] = {0};
        int64_t live = l2_live_tensors();
        l2_debug_fail_alloc_after(k);
        l2_status st = l2_autograd_grad_ex(1, &y, NULL, n, in, g, true, true, false);
        l2_debug_fail_alloc_after(-1);
        runs++;
        if (st == L2_OK) {
            done = 1;
        } else {
            nomem += st == L2_ERR_NOMEM;
            for (int i = 0; i < n; i++)
                clean &= g[i] == NULL;
            clean &= l2_live_tensors() == live;
        }
        for (int i = 0; i < n; i++)
            l2_tensor_release(g[i]);
    }
    ok(done && nomem == runs - 1 && clean,
       "%s: create_graph under injected allocation failures: %d runs, %d NOMEM, clean %d", name,
       runs, nomem, clean);
    l2_tensor_release(y);
    l2_tensor_release(o);
}

#endif
