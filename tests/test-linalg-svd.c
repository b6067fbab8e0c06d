/* test-linalg-svd.c: the SVD and pseudo-inverse of issue 15, area svd (libl2/ops/linalg-svd.c):
 * linalg_svd's factors by their defining properties (U^T U = I, Vh Vh^T = I, U diag(S) Vh = A,
 * S descending and non-negative) for both full_matrices, batched, float32 and float64,
 * contiguous and transposed inputs; empty sizes (torch's identity U for full K = 0);
 * svdvals = S; float64 finite-difference gradients of sign-invariant losses (S, |U|, |Vh|,
 * U diag(S) Vh) for square, tall and wide matrices; repeated singular values (finite through
 * S, NaN through U, as torch); pinv by A A+ A = A, its tolerances and hermitian path, with
 * gradients; the errors (NaN input among them) and out-of-memory sweeps. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* max |t| (0 for an empty t); runs inside a scope */
static double maxabs(const l2_tensor *t)
{
    if (l2_numel(t) == 0)
        return 0;
    return item(l2_max(l2_abs(t)));
}

/* ---- forward ------------------------------------------------------------------------------ */

static void test_forward(void)
{
    static const int64_t shapes[][3] = {{0, 5, 3}, {0, 3, 5}, {0, 4, 4}, {2, 6, 3},
                                        {2, 3, 6}, {3, 1, 1}, {0, 17, 9}, {2, 1, 4}};
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
        double tol = d ? 1e-12 : 1e-5;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int full = 0; full < 2; full++)
                for (int tr = 0; tr < 2; tr++) {
                    l2_scope_begin();
                    int64_t b = shapes[s][0], m = shapes[s][1], n = shapes[s][2];
                    int64_t k = m < n ? m : n, mu = full ? m : k, kv = full ? n : k;
                    int nd = b ? 3 : 2;
                    int64_t sh[3] = {b, tr ? n : m, tr ? m : n};
                    l2_tensor *A0 = l2_randn(nd, b ? sh : sh + 1, dt);
                    l2_tensor *A = tr ? l2_transpose(A0, -2, -1) : A0;
                    l2_tensor *S = NULL, *Vh = NULL;
                    l2_tensor *U = l2_linalg_svd(A, full, &S, &Vh);
                    l2_tensor *Sv = l2_linalg_svdvals(A);
                    int good = U && S && Vh && Sv && l2_size(U, -2) == m &&
                               l2_size(U, -1) == mu && l2_size(S, -1) == k &&
                               l2_size(Vh, -2) == kv && l2_size(Vh, -1) == n;
                    double ou = 1, ov = 1, rec = 1, desc = 1, same = 1;
                    if (good) {
                        ou = maxabs(l2_sub(l2_matmul(l2_transpose(U, -2, -1), U),
                                           l2_eye(mu, mu, dt)));
                        ov = maxabs(l2_sub(l2_matmul(Vh, l2_transpose(Vh, -2, -1)),
                                           l2_eye(kv, kv, dt)));
                        l2_tensor *Uk = l2_narrow(U, -1, 0, k), *Vk = l2_narrow(Vh, -2, 0, k);
                        rec = maxabs(l2_sub(l2_matmul(l2_mul(Uk, l2_unsqueeze(S, -2)), Vk), A));
                        desc = 0;
                        int64_t bb = b ? b : 1;
                        for (int64_t i = 0; i < bb; i++)
                            for (int64_t j = 0; j < k; j++) {
                                int64_t ix[2] = {i, j};
                                double v = at(S, b ? ix : ix + 1);
                                ix[1] = j + 1;
                                double w = j + 1 < k ? at(S, b ? ix : ix + 1) : 0;
                                desc = fmax(desc, w - v);
                            }
                        same = maxabs(l2_sub(S, Sv)) / (1 + maxabs(S));
                    }
                    good = good && ou < tol * 10 && ov < tol * 10 && rec < tol * 10 &&
                           desc <= 0 && same < tol;
                    if (!good)
                        printf("#   orth U %g Vh %g rec %g desc %g same %g\n", ou, ov, rec, desc,
                               same);
                    ok(good, "svd %s full=%d [%lld,%lld,%lld]%s", l2_dtype_name(dt), full,
                       (long long)b, (long long)m, (long long)n, tr ? " transposed" : "");
                    l2_scope_end();
                }
    }
}

static void test_empty(void)
{
    l2_scope_begin();
    l2_tensor *S = NULL, *Vh = NULL;
    l2_tensor *U = l2_linalg_svd(l2_zeros(2, (const int64_t[]){3, 0}, L2_FLOAT64), true, &S, &Vh);
    ok(U && same_shape(U, 2, (const int64_t[]){3, 3}) && same_shape(S, 1, (const int64_t[]){0}) &&
           same_shape(Vh, 2, (const int64_t[]){0, 0}) &&
           maxabs(l2_sub(U, l2_eye(3, 3, L2_FLOAT64))) == 0,
       "svd full of a 3x0 matrix: U = I (3x3), S (0), Vh 0x0");
    U = l2_linalg_svd(l2_zeros(2, (const int64_t[]){0, 2}, L2_FLOAT32), true, &S, &Vh);
    ok(U && same_shape(U, 2, (const int64_t[]){0, 0}) &&
           same_shape(Vh, 2, (const int64_t[]){2, 2}) &&
           maxabs(l2_sub(Vh, l2_eye(2, 2, L2_FLOAT32))) == 0,
       "svd full of a 0x2 matrix: U 0x0, Vh = I (2x2)");
    U = l2_linalg_svd(l2_zeros(2, (const int64_t[]){3, 0}, L2_FLOAT64), false, &S, &Vh);
    ok(U && same_shape(U, 2, (const int64_t[]){3, 0}) &&
           same_shape(Vh, 2, (const int64_t[]){0, 0}),
       "svd reduced of a 3x0 matrix: U 3x0, Vh 0x0");
    U = l2_linalg_svd(l2_zeros(3, (const int64_t[]){0, 3, 4}, L2_FLOAT32), true, &S, &Vh);
    ok(U && same_shape(U, 3, (const int64_t[]){0, 3, 3}) &&
           same_shape(S, 2, (const int64_t[]){0, 3}) &&
           same_shape(Vh, 3, (const int64_t[]){0, 4, 4}),
       "svd of an empty batch: (0,3,3), (0,3), (0,4,4)");
    l2_tensor *P = l2_linalg_pinv(l2_zeros(3, (const int64_t[]){0, 3, 4}, L2_FLOAT32), NAN, NAN,
                                  false);
    l2_tensor *P2 = l2_linalg_pinv(l2_zeros(2, (const int64_t[]){3, 0}, L2_FLOAT64), NAN, NAN,
                                   true);
    ok(P && same_shape(P, 3, (const int64_t[]){0, 4, 3}) && P2 &&
           same_shape(P2, 2, (const int64_t[]){0, 3}),
       "pinv of empty inputs: (0,4,3) and 0x3 (hermitian too)");
    /* NULL pointers skip results */
    U = l2_linalg_svd(l2_randn(2, (const int64_t[]){3, 2}, L2_FLOAT64), false, NULL, NULL);
    ok(U && same_shape(U, 2, (const int64_t[]){3, 2}), "svd with S and Vh NULL returns U");
    l2_scope_end();
}

/* ---- gradients ---------------------------------------------------------------------------- */

enum { L_S, L_VECS, L_PROD, L_VALS, L_PINV, L_PINV_H };

typedef struct {
    int loss, full, transposed;
    double atol, rtol;
} sctx;

/* The loss's output (its weights: gradcheck's random upstream gradient):
 *   L_S: S; L_VECS: [S, |U[:, :K]|, |Vh[:K]|] flattened; L_PROD: U[:, :K] diag(S) Vh[:K];
 *   L_VALS: svdvals; L_PINV: pinv(A); L_PINV_H: pinv((A + A^T) / 2, hermitian).
 * Step by step: a NULL passed on would turn an out-of-memory status into L2_ERR_NULL. */
static l2_tensor *f_svd(l2_tensor *const *in, void *vctx)
{
    sctx *c = vctx;
    l2_scope_begin();
    l2_tensor *A = c->transposed ? l2_transpose(in[0], -2, -1) : in[0], *r = NULL, *t = NULL;
    if (c->loss == L_VALS) {
        t = l2_linalg_svdvals(A);
    } else if (c->loss == L_PINV) {
        t = l2_linalg_pinv(A, c->atol, c->rtol, false);
    } else if (c->loss == L_PINV_H) {
        l2_tensor *at = l2_transpose(A, -2, -1), *s = at ? l2_add(A, at) : NULL;
        l2_tensor *h = s ? l2_scalar(0.5, L2_FLOAT64) : NULL, *sy = h ? l2_mul(s, h) : NULL;
        t = sy ? l2_linalg_pinv(sy, c->atol, c->rtol, true) : NULL;
    } else {
        l2_tensor *S = NULL, *Vh = NULL;
        l2_tensor *U = l2_linalg_svd(A, c->full, &S, &Vh);
        int64_t k = S ? l2_size(S, -1) : 0;
        l2_tensor *Uk = U ? l2_narrow(U, -1, 0, k) : NULL;
        l2_tensor *Vk = Uk ? l2_narrow(Vh, -2, 0, k) : NULL;
        if (Vk && c->loss == L_S) {
            t = S;
        } else if (Vk && c->loss == L_PROD) {
            l2_tensor *sr = l2_unsqueeze(S, -2), *us = sr ? l2_mul(Uk, sr) : NULL;
            t = us ? l2_matmul(us, Vk) : NULL;
        } else if (Vk) {
            l2_tensor *au = l2_abs(Uk), *av = au ? l2_abs(Vk) : NULL;
            l2_tensor *fu = av ? l2_flatten(au, 0, -1) : NULL;
            l2_tensor *fv = fu ? l2_flatten(av, 0, -1) : NULL;
            l2_tensor *fs = fv ? l2_flatten(S, 0, -1) : NULL;
            l2_tensor *parts[3] = {fs, fu, fv};
            t = fs ? l2_cat(3, parts, 0) : NULL;
        }
    }
    if (t)
        r = l2_keep(t);
    l2_scope_end();
    return r;
}

static void test_grads(void)
{
    static const int64_t shapes[][3] = {{0, 4, 4}, {0, 5, 3}, {0, 3, 5}, {2, 4, 3},
                                        {2, 3, 4}, {0, 1, 1}, {0, 1, 4}, {0, 4, 1}};
    static const char *const names[] = {"S", "S,|U|,|Vh|", "U diag(S) Vh", "svdvals", "pinv"};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int loss = L_S; loss <= L_PINV; loss++)
            for (int full = 0; full < 2; full++)
                for (int tr = 0; tr < 2; tr++) {
                    if (full && loss >= L_VALS)
                        continue;
                    int64_t b = shapes[s][0], m = shapes[s][1], n = shapes[s][2];
                    int nd = b ? 3 : 2;
                    int64_t sh[3] = {b, tr ? n : m, tr ? m : n};
                    l2_tensor *x = l2_randn(nd, b ? sh : sh + 1, L2_FLOAT64);
                    l2_set_requires_grad(x, true);
                    sctx c = {loss, full, tr, NAN, NAN};
                    ok(gradcheck("svd", f_svd, 1, &x, &c),
                       "gradcheck %s full=%d [%lld,%lld,%lld]%s", names[loss], full,
                       (long long)b, (long long)m, (long long)n,
                       tr ? " transposed" : "");
                    l2_tensor_release(x);
                }
    /* the hermitian pinv, and pinv with an atol that cuts no value */
    for (int h = 0; h < 2; h++) {
        l2_tensor *x = l2_randn(3, (const int64_t[]){2, 4, 4}, L2_FLOAT64);
        l2_set_requires_grad(x, true);
        sctx c = {h ? L_PINV_H : L_PINV, 0, 0, 1e-9, NAN};
        ok(gradcheck("pinv", f_svd, 1, &x, &c), "gradcheck pinv%s with atol 1e-9",
           h ? " hermitian" : "");
        l2_tensor_release(x);
    }
}

/* Repeated singular values (A = I): the gradient through S alone is finite (U diag(gS) Vh),
 * through U it divides by S_j^2 - S_i^2 = 0: NaN, as torch. */
static void test_repeated(void)
{
    for (int vecs = 0; vecs < 2; vecs++) {
        l2_tensor *x = l2_eye(3, 3, L2_FLOAT64);
        l2_set_requires_grad(x, true);
        l2_tensor *S = NULL, *Vh = NULL;
        l2_tensor *U = l2_linalg_svd(x, false, &S, &Vh);
        l2_tensor *g = l2_randn(2, (const int64_t[]){3, 3}, L2_FLOAT64);
        l2_tensor *gs = l2_ones_like(S);
        l2_status st = vecs ? l2_backward(U, g, false) : l2_backward(S, gs, false);
        const l2_tensor *gx = l2_grad(x);
        int fin = 1;
        for (int64_t i = 0; gx && i < 3; i++)
            for (int64_t j = 0; j < 3; j++)
                fin &= isfinite(at(gx, (const int64_t[]){i, j}));
        double d0 = gx ? at(gx, (const int64_t[]){1, 1}) : NAN;
        ok(st == L2_OK && gx && fin == !vecs && (vecs || fabs(d0 - 1) < 1e-12),
           "svd of I: gradient through %s is %s", vecs ? "U" : "S",
           vecs ? "non-finite (as torch)" : "finite (I for gS = 1)");
        l2_tensor_release(gs);
        l2_tensor_release(g);
        l2_tensor_release(U);
        l2_tensor_release(S);
        l2_tensor_release(Vh);
        l2_tensor_release(x);
    }
}

/* ---- pinv --------------------------------------------------------------------------------- */

static void test_pinv(void)
{
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
        double tol = d ? 1e-11 : 1e-4;
        static const int64_t shapes[][3] = {{2, 5, 3}, {2, 3, 5}, {1, 4, 4}};
        for (size_t s = 0; s < 3; s++) {
            l2_scope_begin();
            l2_tensor *A = l2_randn(3, shapes[s], dt);
            l2_tensor *P = l2_linalg_pinv(A, NAN, NAN, false);
            /* Moore-Penrose: A P A = A, P A P = P */
            double e1 = P ? maxabs(l2_sub(l2_matmul(l2_matmul(A, P), A), A)) : 1;
            double e2 = P ? maxabs(l2_sub(l2_matmul(l2_matmul(P, A), P), P)) : 1;
            ok(P && l2_size(P, -2) == shapes[s][2] && l2_size(P, -1) == shapes[s][1] &&
                   e1 < tol && e2 < tol * 10,
               "pinv %s [%lld,%lld,%lld]: A A+ A = A (%g), A+ A A+ = A+ (%g)", l2_dtype_name(dt),
               (long long)shapes[s][0], (long long)shapes[s][1], (long long)shapes[s][2], e1,
               e2);
            l2_scope_end();
        }
    }
    l2_scope_begin();
    /* diag(2, 1e-3, -0.5): tolerances. Default rtol keeps all; atol 0.01 drops 1e-3; rtol 0.3
     * (of S_max 2: 0.6) drops 1e-3 and 0.5 */
    l2_tensor *D = l2_zeros(2, (const int64_t[]){3, 3}, L2_FLOAT64);
    l2_set(D, (const int64_t[]){0, 0}, 2);
    l2_set(D, (const int64_t[]){1, 1}, 1e-3);
    l2_set(D, (const int64_t[]){2, 2}, -0.5);
    static const double want[4][3] = {{0.5, 1e3, -2}, {0.5, 0, -2}, {0.5, 0, 0}, {0.5, 0, -2}};
    static const double tols[4][2] = {{NAN, NAN}, {0.01, NAN}, {NAN, 0.3}, {0.01, 0.1}};
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < 4; c++) {
            l2_tensor *P = l2_linalg_pinv(D, tols[c][0], tols[c][1], h);
            int good = P != NULL;
            for (int i = 0; good && i < 3; i++)
                for (int j = 0; j < 3; j++)
                    good &= fabs(at(P, (const int64_t[]){i, j}) - (i == j ? want[c][i] : 0)) <
                            1e-9 * (1 + fabs(want[c][i]));
            ok(good, "pinv of diag(2, 1e-3, -0.5)%s atol %g rtol %g: diag(%g, %g, %g)",
               h ? " hermitian" : "", tols[c][0], tols[c][1], want[c][0], want[c][1],
               want[c][2]);
        }
    /* atol > 0 without rtol: rtol 0 (torch's rule), so a tiny atol keeps 1e-16, which the
     * default rtol (3 eps of S_max 2: 1.3e-15) drops */
    l2_set(D, (const int64_t[]){1, 1}, 1e-16);
    l2_tensor *P = l2_linalg_pinv(D, 1e-17, NAN, false);
    l2_tensor *P0 = l2_linalg_pinv(D, NAN, NAN, false);
    ok(P && P0 && fabs(at(P, (const int64_t[]){1, 1}) - 1e16) < 1e4 &&
           at(P0, (const int64_t[]){1, 1}) == 0,
       "pinv: atol 1e-17 alone keeps 1e-16 (%g), the default rtol drops it (%g)",
       at(P, (const int64_t[]){1, 1}), at(P0, (const int64_t[]){1, 1}));
    /* hermitian reads the lower triangle only */
    l2_tensor *Hs = l2_zeros(2, (const int64_t[]){2, 2}, L2_FLOAT64);
    l2_set(Hs, (const int64_t[]){0, 0}, 2);
    l2_set(Hs, (const int64_t[]){1, 1}, 4);
    l2_set(Hs, (const int64_t[]){0, 1}, 1e3);
    P = l2_linalg_pinv(Hs, NAN, NAN, true);
    ok(P && fabs(at(P, (const int64_t[]){0, 0}) - 0.5) < 1e-12 &&
           fabs(at(P, (const int64_t[]){0, 1})) < 1e-12,
       "pinv hermitian reads the lower triangle only");
    l2_scope_end();
}

/* ---- errors ------------------------------------------------------------------------------- */

static void test_errors(void)
{
    l2_tensor *S = (l2_tensor *)1, *Vh = (l2_tensor *)1;
    is_err(l2_linalg_svd(NULL, false, &S, &Vh), L2_ERR_NULL, "linalg_svd", "svd of NULL");
    ok(S == NULL && Vh == NULL, "svd: *S and *Vh set to NULL on failure");
    is_err(l2_linalg_svdvals(NULL), L2_ERR_NULL, "linalg_svdvals", "svdvals of NULL");
    is_err(l2_linalg_pinv(NULL, NAN, NAN, false), L2_ERR_NULL, "linalg_pinv", "pinv of NULL");
    l2_tensor *v = l2_randn(1, (const int64_t[]){4}, L2_FLOAT32);
    is_err(l2_linalg_svd(v, true, &S, &Vh), L2_ERR_DIM, "at least 2 dimensions", "svd of 1-d");
    is_err(l2_linalg_svdvals(v), L2_ERR_DIM, "at least 2 dimensions", "svdvals of 1-d");
    is_err(l2_linalg_pinv(v, NAN, NAN, false), L2_ERR_DTYPE, "2 or more dimensions",
           "pinv of 1-d (torch's one check: L2_ERR_DTYPE)");
    l2_tensor *i = l2_zeros(2, (const int64_t[]){3, 3}, L2_INT64);
    is_err(l2_linalg_svd(i, false, &S, &Vh), L2_ERR_DTYPE, "floating point", "svd of int64");
    is_err(l2_linalg_svdvals(i), L2_ERR_DTYPE, "floating point", "svdvals of int64");
    is_err(l2_linalg_pinv(i, NAN, NAN, true), L2_ERR_DTYPE, "float or double", "pinv of int64");
    l2_tensor *ns = l2_randn(2, (const int64_t[]){3, 4}, L2_FLOAT64);
    is_err(l2_linalg_pinv(ns, NAN, NAN, true), L2_ERR_SHAPE, "square", "pinv hermitian 3x4");
    /* NaN: gesdd fails, as torch's "contained non-finite values" */
    l2_tensor *a = l2_randn(3, (const int64_t[]){2, 3, 3}, L2_FLOAT64);
    l2_set(a, (const int64_t[]){1, 0, 2}, NAN);
    is_err(l2_linalg_svd(a, false, &S, &Vh), L2_ERR_ARG, "(Batch element 1): The algorithm",
           "svd of a batch with NaN in element 1");
    is_err(l2_linalg_svdvals(a), L2_ERR_ARG, "non-finite values", "svdvals with NaN");
    is_err(l2_linalg_pinv(a, NAN, NAN, false), L2_ERR_ARG, "non-finite values", "pinv with NaN");
    l2_tensor_release(v);
    l2_tensor_release(i);
    l2_tensor_release(ns);
    l2_tensor_release(a);
}

static void test_oom(void)
{
    static const int loss[] = {L_VECS, L_VALS, L_PINV, L_PINV_H};
    for (int j = 0; j < 4; j++) {
        l2_tensor *x = l2_randn(3, (const int64_t[]){2, 4, 3 + (loss[j] == L_PINV_H)},
                                L2_FLOAT64);
        l2_set_requires_grad(x, true);
        sctx c = {loss[j], j == 0, 0, NAN, NAN};
        oom_check(loss[j] == L_VECS ? "svd" : loss[j] == L_VALS ? "svdvals" : "pinv", f_svd, 1,
                  &x, &c);
        l2_tensor_release(x);
    }
}

int main(void)
{
    l2_manual_seed(15);
    test_forward();
    test_empty();
    test_grads();
    test_repeated();
    test_pinv();
    test_errors();
    test_oom();
    return tap_done();
}
