/* cases-lapack.c: the LAPACK ops of issue 15 (libl2/ops/linalg-solve.c, linalg-decomp.c):
 * linalg_solve (8 right-hand sides) and linalg_inv, float32, forward and forward + backward, on
 * a batch of 64 32x32 matrices and on one 512x512, well-conditioned (randn + n I); linalg_eigh
 * (the eigenvectors of s + s^T, s randn) and linalg_qr (Q of randn, reduced) forward + backward
 * on 64x32x32 and 256x256; in every profile. The torch twins are in bench/torch_lapack.py (same
 * names). */
#include "cases.h"

enum { K_SOLVE, K_INV, K_COUNT };
static const char *const ops[K_COUNT] = {"linalg_solve", "linalg_inv"};
static const char *const shapes[2] = {"64x32x32", "512x512"};

/* randn(shape) + n I */
static l2_tensor *wellcond(int nd, const int64_t *shape)
{
    int64_t n = shape[nd - 1];
    l2_tensor *r = l2_randn(nd, shape, L2_FLOAT32), *e = l2_eye(n, n, L2_FLOAT32);
    l2_tensor *s = e ? l2_mul_scalar(e, (double)n) : NULL;
    l2_tensor *a = r && s ? l2_add(r, s) : NULL;
    l2_tensor_release(r);
    l2_tensor_release(e);
    l2_tensor_release(s);
    return a;
}

static void *setup_lapack(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int k = (int)c->p[5], big = (int)c->p[6];
    int64_t a3[3] = {64, 32, 32}, a2[2] = {512, 512}, b3[3] = {64, 32, 8}, b2[2] = {512, 8};
    int nd = big ? 2 : 3;
    l2_manual_seed(1);
    d->t[0] = wellcond(nd, big ? a2 : a3);
    if (k == K_SOLVE)
        d->t[1] = l2_randn(nd, big ? b2 : b3, L2_FLOAT32);
    const int64_t *out = k == K_SOLVE ? (big ? b2 : b3) : (big ? a2 : a3);
    return grad_epilogue(d, k == K_SOLVE ? 2 : 1, 0, k == K_SOLVE ? 1 : 0, nd, out);
}

static l2_tensor *lapack_of(bdata *d)
{
    return d->c->p[5] == K_SOLVE ? l2_linalg_solve(d->t[0], d->t[1]) : l2_linalg_inv(d->t[0]);
}

static int run_lapack(void *p) { return bench_consume(lapack_of(p)); }

static int run_lapack_bwd(void *p)
{
    bdata *d = p;
    return nn_finish_bwd(d, lapack_of(d), 0, d->c->p[5] == K_SOLVE ? 1 : 0);
}

void bench_cases_lapack(void)
{
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < K_COUNT; k++)
            for (int big = 0; big < 2; big++) {
                bench_case c = nn_case(ops[k], grad, "well", shapes[big], setup_lapack,
                                       grad ? run_lapack_bwd : run_lapack);
                c.p[5] = k;
                c.p[6] = big;
                double n = big ? 512 : 32, nb = big ? 1 : 64;
                c.items = nb * n * n;
                c.bytes = 4.0 * c.items * 2;
                bench_add(c, NULL);
            }
}

/* eigh / qr: the eigenvectors of a symmetric matrix, Q of a square one (their backward runs
 * through every term: V's and Q's gradient are ones) */
enum { D_EIGH, D_QR, D_COUNT };

static void *setup_decomp(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int big = (int)c->p[6];
    int64_t a3[3] = {64, 32, 32}, a2[2] = {256, 256};
    int nd = big ? 2 : 3;
    l2_manual_seed(1);
    l2_tensor *r = l2_randn(nd, big ? a2 : a3, L2_FLOAT32);
    if (c->p[5] == D_EIGH) {
        l2_tensor *t = r ? l2_transpose(r, -2, -1) : NULL;
        d->t[0] = t ? l2_add(r, t) : NULL;
        l2_tensor_release(t);
        l2_tensor_release(r);
    } else {
        d->t[0] = r;
    }
    return grad_epilogue(d, 1, 0, 0, nd, big ? a2 : a3);
}

static int run_decomp_bwd(void *p)
{
    bdata *d = p;
    l2_tensor *second = NULL, *first = d->c->p[5] == D_EIGH
                                          ? l2_linalg_eigh(d->t[0], NULL, &second)
                                          : l2_linalg_qr(d->t[0], "reduced", &second);
    /* eigh: the eigenvectors (second); qr: Q (first) */
    l2_tensor *keep = d->c->p[5] == D_EIGH ? second : first;
    l2_tensor_release(d->c->p[5] == D_EIGH ? first : second);
    return nn_finish_bwd(d, keep, 0, 0);
}

void bench_cases_decomp(void)
{
    static const char *const names[D_COUNT] = {"linalg_eigh", "linalg_qr"};
    static const char *const dshapes[2] = {"64x32x32", "256x256"};
    for (int k = 0; k < D_COUNT; k++)
        for (int big = 0; big < 2; big++) {
            bench_case c = nn_case(names[k], 1, k == D_EIGH ? "sym" : "randn", dshapes[big],
                                   setup_decomp, run_decomp_bwd);
            c.p[5] = k;
            c.p[6] = big;
            double n = big ? 256 : 32, nb = big ? 1 : 64;
            c.items = nb * n * n;
            bench_add(c, NULL);
        }
}
