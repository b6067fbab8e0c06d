/* hostile-util.c: the child-side checks and the hostile inputs of the hostile-input suite. */
#include "hostile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const h_kind_name[K_COUNT] = {"0-d",      "(2,3)",   "empty (0,3)", "transposed",
                                          "expanded", "overlap", "special",     "huge 2^59"};
const l2_dtype h_dtypes[L2_DTYPE_COUNT] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL, L2_BFLOAT16,
                                           L2_FLOAT16};
const double h_scalars[] = {NAN, INFINITY, -INFINITY, -0.0, 1e308, 9.3e18, -9.3e18, 0.5};
const int h_nscalars = (int)(sizeof h_scalars / sizeof h_scalars[0]);
const int h_bad_dims[] = {INT_MIN, INT_MAX, -3, 2, -1000};
const int h_nbad_dims = (int)(sizeof h_bad_dims / sizeof h_bad_dims[0]);

static int status_matches(l2_status got, int want)
{
    if (want == H_ANY)
        return got != L2_OK;
    if (want == H_BIG)
        return got == L2_ERR_OVERFLOW || got == L2_ERR_NOMEM || got == L2_ERR_ARG ||
               got == L2_ERR_SHAPE;
    return (int)got == want;
}

int h_msg_ok(const char *expr, int line)
{
    const char *m = l2_last_error();
    if (l2_last_status() == L2_OK) {
        h_bad(line, "%s: failed without a status", expr);
        return 0;
    }
    if (!m || !*m) {
        h_bad(line, "%s: failed (%s) with an empty message", expr,
              l2_status_name(l2_last_status()));
        return 0;
    }
    if (strchr(m, '\n')) {
        h_bad(line, "%s: message is not one line: %s", expr, m);
        return 0;
    }
    return 1;
}

void h_check_valid(const l2_tensor *r, const char *expr, int line)
{
    int nd = l2_ndim(r);
    if (nd < 0 || nd > L2_MAX_DIMS) {
        h_bad(line, "%s: result has rank %d", expr, nd);
        return;
    }
    const int64_t *sh = l2_shape(r);
    int64_t n = 1;
    int ovf = 0, zero = 0;
    for (int i = 0; i < nd; i++) {
        if (sh[i] < 0) {
            h_bad(line, "%s: result has size %lld in dim %d", expr, (long long)sh[i], i);
            return;
        }
        zero |= sh[i] == 0;
    }
    for (int i = 0; i < nd && !zero && !ovf; i++) {
        if (n > INT64_MAX / sh[i])
            ovf = 1;
        else
            n *= sh[i];
    }
    if (zero)
        n = 0, ovf = 0;
    if (ovf) {
        h_bad(line, "%s: result shape has more than INT64_MAX elements", expr);
        return;
    }
    if (l2_numel(r) != n) {
        h_bad(line, "%s: numel %lld but the shape has %lld", expr, (long long)l2_numel(r),
              (long long)n);
        return;
    }
    if (n <= 1000000) {
        l2_clear_error();
        l2_tensor *c = l2_clone(r);
        if (!c)
            h_msg_ok("clone of the result", line);
        l2_clear_error();
        l2_tensor *s = l2_sum(r);
        if (!s)
            h_msg_ok("sum of the result", line);
        (void)s;
    } else {
        char *str = l2_to_string(r);
        if (!str)
            h_msg_ok("to_string of a huge result", line);
        l2_free(str);
    }
}

l2_tensor *h_fail_t(l2_tensor *r, int want, const char *expr, int line)
{
    if (r) {
        h_bad(line, "%s: succeeded (shape rank %d, numel %lld) but must fail", expr, l2_ndim(r),
              (long long)l2_numel(r));
        return r;
    }
    if (h_msg_ok(expr, line) && !status_matches(l2_last_status(), want))
        h_bad(line, "%s: status %s, want %s: %s", expr, l2_status_name(l2_last_status()),
              want < 0 ? "another class" : l2_status_name((l2_status)want), l2_last_error());
    return NULL;
}

l2_tensor *h_any_t(l2_tensor *r, const char *expr, int line)
{
    if (r)
        h_check_valid(r, expr, line);
    else
        h_msg_ok(expr, line);
    return r;
}

l2_tensor *h_ok_t(l2_tensor *r, const char *expr, int line)
{
    if (!r)
        h_bad(line, "%s: failed but must succeed: %s", expr, l2_last_error());
    else
        h_check_valid(r, expr, line);
    return r;
}

l2_status h_fail_s(l2_status s, int want, const char *expr, int line)
{
    if (s == L2_OK) {
        h_bad(line, "%s: succeeded but must fail", expr);
        return s;
    }
    if (l2_last_status() != s)
        h_bad(line, "%s: returned %s but l2_last_status() is %s", expr, l2_status_name(s),
              l2_status_name(l2_last_status()));
    if (h_msg_ok(expr, line) && !status_matches(s, want))
        h_bad(line, "%s: status %s, want %s: %s", expr, l2_status_name(s),
              want < 0 ? "another class" : l2_status_name((l2_status)want), l2_last_error());
    return s;
}

l2_status h_any_s(l2_status s, const char *expr, int line)
{
    if (s != L2_OK)
        h_msg_ok(expr, line);
    return s;
}

l2_status h_ok_s(l2_status s, const char *expr, int line)
{
    if (s != L2_OK)
        h_bad(line, "%s: failed but must succeed: %s", expr, l2_last_error());
    return s;
}

l2_tensor *h_snap(const l2_tensor *t)
{
    if (!t || l2_numel(t) > 1000000)
        return NULL;
    l2_no_grad_begin();
    l2_tensor *c = l2_clone(t);
    l2_no_grad_end();
    return c;
}

/* Bitwise comparison of a snapshot with t (NaN-safe). */
void h_same(const l2_tensor *snap, const l2_tensor *t, int line)
{
    if (!snap || !t)
        return;
    l2_no_grad_begin();
    l2_tensor *c = l2_clone(t);
    l2_no_grad_end();
    if (!c)
        return;
    size_t n = (size_t)l2_numel(c) * l2_dtype_size(l2_dtype_of(c));
    if (l2_numel(c) != l2_numel(snap) || memcmp(l2_data_ptr(c), l2_data_ptr(snap), n) != 0)
        h_bad(line, "a failed in-place call changed its target");
}

/* ---- Inputs --------------------------------------------------------------------------------- */

l2_tensor *mk(l2_dtype dt, int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    /* A scope of its own releases the intermediates; the result goes to the caller's scope
     * (or to the caller when there is none). */
    l2_scope_begin();
    l2_tensor *f = l2_arange(0, (double)n, 1, L2_FLOAT64);
    l2_tensor *r = f ? l2_reshape(f, ndim, shape) : NULL;
    r = r ? l2_to_dtype(r, dt) : NULL;
    r = l2_keep(r);
    l2_scope_end();
    if (!r) {
        fprintf(stderr, "mk: could not make an input: %s\n", l2_last_error());
        exit(64);
    }
    return r;
}

static l2_tensor *special(l2_dtype dt)
{
    static const double fv[6] = {NAN, INFINITY, -INFINITY, -0.0, 1e308, 1e-310};
    static const int64_t iv[6] = {INT64_MIN, INT64_MAX, -1, 0, 1, 2};
    static const uint8_t bv[6] = {1, 0, 1, 1, 0, 0};
    if (dt == L2_BFLOAT16 || dt == L2_FLOAT16) /* issue 16: the float64 values, converted */
        return l2_to_dtype(l2_from_data(fv, L2_SHAPE(2, 3), L2_FLOAT64), dt);
    float f32[6];
    for (int i = 0; i < 6; i++)
        f32[i] = (float)fv[i];
    const void *d = dt == L2_FLOAT32   ? (const void *)f32
                    : dt == L2_FLOAT64 ? (const void *)fv
                    : dt == L2_INT64   ? (const void *)iv
                                       : (const void *)bv;
    return l2_from_data(d, L2_SHAPE(2, 3), dt);
}

l2_tensor *mk_kind(int kind, l2_dtype dt)
{
    l2_tensor *r = NULL;
    l2_scope_begin();
    switch (kind) {
    case K_0D:
        r = l2_full(0, NULL, 2, dt);
        break;
    case K_SMALL:
        r = MK(dt, 2, 3);
        break;
    case K_EMPTY:
        r = l2_zeros(L2_SHAPE(0, 3), dt);
        break;
    case K_NONCONTIG:
        r = l2_transpose(MK(dt, 3, 2), 0, 1);
        break;
    case K_EXPANDED:
        r = l2_expand(MK(dt, 1, 3), L2_SHAPE(2, 3));
        break;
    case K_OVERLAP:
        r = l2_as_strided(MK(dt, 4), L2_SHAPE(2, 3), (const int64_t[]){1, 1}, 0);
        break;
    case K_SPECIAL:
        r = special(dt);
        break;
    case K_HUGE:
        r = l2_expand(l2_full(0, NULL, 1, dt), L2_SHAPE((int64_t)1 << 30, (int64_t)1 << 29));
        break;
    }
    r = l2_keep(r);
    l2_scope_end();
    if (!r) {
        fprintf(stderr, "mk_kind %s: could not make an input: %s\n", h_kind_name[kind],
                l2_last_error());
        exit(64);
    }
    return r;
}

l2_tensor *mk_leaf(l2_dtype dt)
{
    l2_tensor *t = MK(dt, 2, 3);
    if (l2_set_requires_grad(t, true) != L2_OK) {
        fprintf(stderr, "mk_leaf: %s\n", l2_last_error());
        exit(64);
    }
    return t;
}

const char *h_write_file(const char *name, const void *bytes, size_t n)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", h_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, n, f) != n) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(64);
    }
    fclose(f);
    return path;
}
