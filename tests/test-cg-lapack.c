/* test-cg-lapack.c: second derivatives (create_graph, issue 15) of the LAPACK solvers
 * (libl2/ops/linalg-la-cg.c): gradgradcheck (float64, against central differences of libl2's
 * plain first derivative, for every input and the upstream gradient) of solve (matrices,
 * vectors, broadcast batches), inv, det, slogdet and cholesky (lower and upper), with batched and
 * non-contiguous inputs, eigh and eigvalsh (eigenvalues, eigenvectors, both); det of a singular
 * matrix failing clearly; qr (modes reduced and complete; 'r' and complete of a tall matrix
 * failing clearly, as torch), svd through sign-invariant functions of U, S, Vh (tall, wide,
 * square, full_matrices, gradients to U only or Vh only, batched, non-contiguous, 0-size
 * batches), svdvals and pinv (tall, wide, hermitian). */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <math.h>
#include <string.h>

enum { SOLVE, INV, DET, SLOGDET, CHOL, CHOLU, EIGH_L, EIGH_V, EIGH_LV, EIGVALSH,
       /* decompositions of the leaf itself (any shape) */
       QR_Q, QR_QR, QR_COMPLETE, SVD_S, SVD_USV, SVD_US2V, SVD_UV, SVD_UV_FULL, SVD_UU, SVD_VV,
       SVDVALS, PINV, PINV_HERM };

typedef struct {
    int op;
    bool view; /* A a non-contiguous leaf */
} cs;

/* A well-conditioned square matrix from the leaf: a + 3 I (broadcast over the batch). */
static l2_tensor *well(const l2_tensor *a)
{
    int64_t n = l2_shape(a)[l2_ndim(a) - 1];
    l2_tensor *e = l2_eye(n, n, L2_FLOAT64), *e3 = l2_mul_scalar(e, 3.0), *r = l2_add(a, e3);
    l2_tensor_release(e);
    l2_tensor_release(e3);
    return r;
}

/* The QR / SVD / pinv cases of the leaf x; every SVD case is a function of U, S, Vh that does
 * not depend on the singular vectors' signs (torch's requirement for svd's gradient). */
static l2_tensor *run_dec(l2_tensor *x, int op)
{
    l2_tensor *t[8] = {NULL}, *r = NULL;
    switch (op) {
    case QR_Q:
        r = l2_linalg_qr(x, NULL, NULL);
        break;
    case QR_QR: /* Q R R^T: gradients reach both factors */
    case QR_COMPLETE:
        t[0] = l2_linalg_qr(x, op == QR_QR ? "reduced" : "complete", &t[1]);
        t[2] = t[1] ? l2_transpose(t[1], -2, -1) : NULL;
        t[3] = t[2] ? l2_matmul(t[1], t[2]) : NULL;
        r = t[3] ? l2_matmul(t[0], t[3]) : NULL;
        break;
    case SVD_S:
        t[0] = l2_linalg_svd(x, false, &r, &t[1]);
        break;
    case SVD_USV: /* U diag(S) Vh (= A) */
    case SVD_US2V: /* U diag(S^2) Vh */
        t[0] = l2_linalg_svd(x, false, &t[1], &t[2]);
        t[3] = t[1] ? (op == SVD_USV ? l2_tensor_ref(t[1]) : l2_mul(t[1], t[1])) : NULL;
        t[4] = t[3] ? l2_unsqueeze(t[3], -2) : NULL;
        t[5] = t[4] ? l2_mul(t[0], t[4]) : NULL;
        r = t[5] ? l2_matmul(t[5], t[2]) : NULL;
        break;
    case SVD_UV: /* U Vh, the polar factor */
    case SVD_UV_FULL: /* the same from the full U and Vh, narrowed to K */
        t[0] = l2_linalg_svd(x, op == SVD_UV_FULL, &t[1], &t[2]);
        if (t[0] && op == SVD_UV_FULL) {
            int64_t k = l2_shape(t[1])[l2_ndim(t[1]) - 1];
            t[3] = l2_narrow(t[0], -1, 0, k);
            t[4] = l2_narrow(t[2], -2, 0, k);
        } else if (t[0]) {
            t[3] = l2_tensor_ref(t[0]);
            t[4] = l2_tensor_ref(t[2]);
        }
        r = t[3] && t[4] ? l2_matmul(t[3], t[4]) : NULL;
        break;
    case SVD_UU: /* U * U: a gradient reaches U only */
    case SVD_VV: /* Vh * Vh: Vh only */
        t[0] = l2_linalg_svd(x, false, &t[1], &t[2]);
        r = t[0] ? l2_mul(t[op == SVD_UU ? 0 : 2], t[op == SVD_UU ? 0 : 2]) : NULL;
        break;
    case SVDVALS:
        r = l2_linalg_svdvals(x);
        break;
    case PINV:
        r = l2_linalg_pinv(x, NAN, NAN, false);
        break;
    case PINV_HERM: /* of the symmetric x + x^T */
        t[0] = l2_transpose(x, -2, -1);
        t[1] = t[0] ? l2_add(x, t[0]) : NULL;
        r = t[1] ? l2_linalg_pinv(t[1], NAN, NAN, true) : NULL;
        break;
    }
    for (int i = 0; i < 8; i++)
        l2_tensor_release(t[i]);
    return r;
}

static l2_tensor *run(l2_tensor *const *in, void *ctx)
{
    const cs *c = ctx;
    if (c->op >= QR_Q)
        return run_dec(in[0], c->op);
    l2_tensor *A = well(in[0]), *r = NULL, *t = NULL;
    switch (c->op) {
    case SOLVE:
        r = l2_linalg_solve(A, in[1]);
        break;
    case INV:
        r = l2_linalg_inv(A);
        break;
    case DET:
        r = l2_linalg_det(A);
        break;
    case SLOGDET:
        t = l2_linalg_slogdet(A, &r);
        l2_tensor_release(t);
        break;
    case CHOL:
    case CHOLU:
    case EIGH_L:
    case EIGH_V:
    case EIGH_LV:
    case EIGVALSH: {
        /* a symmetric positive-definite U U^T + 3 I from the leaf U (*, n, m), with ops that
         * have differentiable backwards (view, mul, sum, add): sum_j U[:, j] U[:, j]^T */
        int nd = l2_ndim(in[0]);
        int64_t s1[5], s2[5];
        memcpy(s1, l2_shape(in[0]), sizeof(int64_t) * (size_t)nd);
        memcpy(s2, l2_shape(in[0]), sizeof(int64_t) * (size_t)nd);
        int64_t n = s1[nd - 2], m = s1[nd - 1];
        s1[nd - 1] = 1, s1[nd] = m;
        s2[nd - 2] = 1, s2[nd - 1] = n, s2[nd] = m;
        l2_tensor *u1 = l2_view(in[0], nd + 1, s1), *u2 = l2_view(in[0], nd + 1, s2);
        l2_tensor *pr = l2_mul(u1, u2), *s = l2_sum_dims(pr, 1, (int[]){nd}, false);
        l2_tensor *e = l2_eye(n, n, L2_FLOAT64), *e3 = l2_mul_scalar(e, 3.0);
        l2_tensor *spd = l2_add(s, e3);
        if (c->op == CHOL || c->op == CHOLU) {
            r = l2_linalg_cholesky(spd, c->op == CHOLU);
        } else if (c->op == EIGVALSH) {
            r = l2_linalg_eigvalsh(spd, "U");
        } else {
            /* V enters through V * V (invariant under LAPACK's sign choice) */
            l2_tensor *V = NULL, *L = l2_linalg_eigh(spd, NULL, c->op == EIGH_L ? NULL : &V);
            l2_tensor *vv = V ? l2_mul(V, V) : NULL, *lv = NULL;
            if (c->op == EIGH_LV) {
                lv = l2_unsqueeze(L, -2);
                r = l2_mul(vv, lv);
            } else {
                r = l2_tensor_ref(c->op == EIGH_L ? L : vv);
            }
            l2_tensor_release(V);
            l2_tensor_release(L);
            l2_tensor_release(vv);
            l2_tensor_release(lv);
        }
        l2_tensor *all[] = {u1, u2, pr, s, e, e3, spd};
        for (int i = 0; i < 7; i++)
            l2_tensor_release(all[i]);
        break;
    }
    }
    l2_tensor_release(A);
    return r;
}

static void gg(const char *name, cs c, int an, const int64_t *as, int bn, const int64_t *bs)
{
    l2_tensor *in[2] = {gc_leaf(an, as, -1, 1), bn ? gc_leaf(bn, bs, -1, 1) : NULL};
    if (c.view) {
        /* a non-contiguous leaf: A's last two dims swapped in memory */
        l2_tensor *base = l2_uniform(an, as, -1, 1, L2_FLOAT64);
        l2_tensor_release(in[0]);
        in[0] = l2_transpose(base, -1, -2);
        l2_tensor_release(base);
        l2_set_requires_grad(in[0], true);
        ok(!l2_is_contiguous(in[0]), "%s: A is a non-contiguous leaf", name);
    }
    ok(gradgradcheck(name, run, bn ? 2 : 1, in, &c), "gradgradcheck %s", name);
    l2_tensor_release(in[0]);
    l2_tensor_release(in[1]);
}

/* create_graph through y = f(A) fails with L2_ERR_AUTOGRAD naming want, and returns nothing. */
static void fails(const char *name, l2_tensor *A, l2_tensor *y, const char *want)
{
    l2_tensor *v = l2_ones_like(y), *g = NULL;
    l2_status st = l2_autograd_grad_ex(1, &y, &v, 1, &A, &g, true, true, false);
    ok(st == L2_ERR_AUTOGRAD && !g && strstr(l2_last_error(), want), "%s fails clearly: %s",
       name, l2_last_error());
    l2_tensor_release(v);
}

int main(void)
{
    int64_t live0 = l2_live_tensors();
    gg("solve matrices", (cs){SOLVE, false}, 2, (int64_t[]){3, 3}, 2, (int64_t[]){3, 2});
    gg("solve batched A, broadcast B, non-contiguous A", (cs){SOLVE, true}, 3,
       (int64_t[]){2, 3, 3}, 2, (int64_t[]){3, 2});
    gg("solve vector B (1-d), batched A", (cs){SOLVE, false}, 3, (int64_t[]){2, 3, 3}, 1,
       (int64_t[]){3});
    gg("solve batch of vectors shaped A[:-1]", (cs){SOLVE, false}, 3, (int64_t[]){2, 3, 3}, 2,
       (int64_t[]){2, 3});
    gg("inv", (cs){INV, false}, 2, (int64_t[]){3, 3}, 0, NULL);
    gg("inv batched non-contiguous", (cs){INV, true}, 3, (int64_t[]){2, 2, 2}, 0, NULL);
    gg("det", (cs){DET, false}, 2, (int64_t[]){3, 3}, 0, NULL);
    gg("det batched non-contiguous", (cs){DET, true}, 3, (int64_t[]){2, 3, 3}, 0, NULL);
    gg("det 1x1", (cs){DET, false}, 2, (int64_t[]){1, 1}, 0, NULL);
    gg("slogdet", (cs){SLOGDET, false}, 2, (int64_t[]){3, 3}, 0, NULL);
    gg("slogdet batched non-contiguous", (cs){SLOGDET, true}, 3, (int64_t[]){2, 3, 3}, 0, NULL);
    gg("cholesky lower", (cs){CHOL, false}, 2, (int64_t[]){3, 2}, 0, NULL);
    gg("cholesky upper batched", (cs){CHOLU, false}, 3, (int64_t[]){2, 3, 3}, 0, NULL);
    gg("cholesky lower batched", (cs){CHOL, false}, 3, (int64_t[]){2, 2, 4}, 0, NULL);

    gg("eigh eigenvalues only", (cs){EIGH_L, false}, 2, (int64_t[]){3, 3}, 0, NULL);
    gg("eigh eigenvectors", (cs){EIGH_V, false}, 2, (int64_t[]){3, 4}, 0, NULL);
    gg("eigh both, batched", (cs){EIGH_LV, false}, 3, (int64_t[]){2, 3, 3}, 0, NULL);
    gg("eigvalsh batched", (cs){EIGVALSH, false}, 3, (int64_t[]){2, 3, 2}, 0, NULL);

    gg("qr Q, tall", (cs){QR_Q, false}, 2, (int64_t[]){4, 3}, 0, NULL);
    gg("qr Q R R^T, square batched non-contiguous", (cs){QR_QR, true}, 3, (int64_t[]){2, 3, 3},
       0, NULL);
    gg("qr Q R R^T, tall", (cs){QR_QR, false}, 2, (int64_t[]){5, 3}, 0, NULL);
    gg("qr Q R R^T, wide batched", (cs){QR_QR, false}, 3, (int64_t[]){2, 2, 4}, 0, NULL);
    gg("qr complete, wide", (cs){QR_COMPLETE, false}, 2, (int64_t[]){3, 5}, 0, NULL);
    gg("qr 0 x 3 batch", (cs){QR_QR, false}, 3, (int64_t[]){0, 3, 3}, 0, NULL);

    gg("svd S, tall", (cs){SVD_S, false}, 2, (int64_t[]){4, 3}, 0, NULL);
    gg("svd U diag(S) Vh, square non-contiguous", (cs){SVD_USV, true}, 2, (int64_t[]){3, 3}, 0,
       NULL);
    gg("svd U diag(S^2) Vh, tall batched", (cs){SVD_US2V, false}, 3, (int64_t[]){2, 4, 3}, 0,
       NULL);
    gg("svd U diag(S^2) Vh, wide", (cs){SVD_US2V, false}, 2, (int64_t[]){2, 4}, 0, NULL);
    gg("svd U Vh, tall", (cs){SVD_UV, false}, 2, (int64_t[]){4, 2}, 0, NULL);
    gg("svd U Vh, wide batched non-contiguous", (cs){SVD_UV, true}, 3, (int64_t[]){2, 4, 3}, 0,
       NULL);
    gg("svd U Vh full_matrices, tall", (cs){SVD_UV_FULL, false}, 2, (int64_t[]){4, 3}, 0, NULL);
    gg("svd U Vh full_matrices, wide", (cs){SVD_UV_FULL, false}, 2, (int64_t[]){2, 3}, 0, NULL);
    gg("svd U * U, tall (gradient to U only)", (cs){SVD_UU, false}, 2, (int64_t[]){4, 3}, 0,
       NULL);
    gg("svd Vh * Vh, wide (gradient to Vh only)", (cs){SVD_VV, false}, 2, (int64_t[]){2, 4}, 0,
       NULL);
    gg("svd 1x1", (cs){SVD_US2V, false}, 2, (int64_t[]){1, 1}, 0, NULL);
    gg("svdvals batched wide", (cs){SVDVALS, false}, 3, (int64_t[]){2, 2, 3}, 0, NULL);
    gg("svd 0-size batch", (cs){SVD_UV, false}, 3, (int64_t[]){0, 3, 2}, 0, NULL);

    gg("pinv square", (cs){PINV, false}, 2, (int64_t[]){3, 3}, 0, NULL);
    gg("pinv tall", (cs){PINV, false}, 2, (int64_t[]){4, 2}, 0, NULL);
    gg("pinv wide batched non-contiguous", (cs){PINV, true}, 3, (int64_t[]){2, 4, 3}, 0, NULL);
    gg("pinv hermitian batched", (cs){PINV_HERM, false}, 3, (int64_t[]){2, 3, 3}, 0, NULL);

    /* det of an exactly singular matrix: the create_graph backward fails (torch: an SVD) */
    {
        double z[4] = {1, 2, 2, 4};
        l2_tensor *f = vec1d(4, z, L2_FLOAT64), *A = l2_reshape(f, 2, (int64_t[]){2, 2});
        l2_tensor *Ad = l2_clone(A);
        l2_set_requires_grad(Ad, true);
        l2_tensor *d = l2_linalg_det(Ad);
        fails("det of a singular matrix", Ad, d, "linalg_det");
        l2_tensor_release(d);
        l2_tensor_release(Ad);
        l2_tensor_release(A);
        l2_tensor_release(f);
    }
    /* qr: no gradient in mode 'r', nor in mode 'complete' of a tall matrix (as torch) */
    {
        l2_tensor *A = gc_leaf(2, (int64_t[]){3, 3}, -1, 1), *R = NULL;
        l2_tensor *Q = l2_linalg_qr(A, "r", &R);
        fails("qr mode 'r'", A, R, "mode='r'");
        l2_tensor *B = gc_leaf(2, (int64_t[]){4, 2}, -1, 1), *R2 = NULL;
        l2_tensor *Q2 = l2_linalg_qr(B, "complete", &R2);
        fails("qr complete of a tall matrix", B, Q2, "mode='complete' and nrows > ncols");
        l2_tensor *all[] = {A, R, Q, B, R2, Q2};
        for (int i = 0; i < 6; i++)
            l2_tensor_release(all[i]);
    }
    is_int(l2_live_tensors(), live0, "no tensor leaked");
    return tap_done();
}
