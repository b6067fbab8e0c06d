/* cases-svd.c: the SVD of issue 15, area svd (libl2/ops/linalg-svd.c): linalg_svd
 * (full_matrices false) float32, forward and forward + backward through U (ones as U's
 * gradient: torch 1.13's svd_backward with gU, the general path), on a batch of 64 32x32 randn
 * matrices and on one 256x256, in every profile. The torch twins are in bench/torch_svd.py
 * (same names). */
#include "cases.h"

static const char *const shapes[2] = {"64x32x32", "256x256"};

static void *setup_svd(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int big = (int)c->p[6];
    int64_t a3[3] = {64, 32, 32}, a2[2] = {256, 256};
    int nd = big ? 2 : 3;
    l2_manual_seed(1);
    d->t[0] = l2_randn(nd, big ? a2 : a3, L2_FLOAT32);
    return grad_epilogue(d, 1, 0, 0, nd, big ? a2 : a3);
}

/* U of A's SVD (S and Vh computed, then released) */
static l2_tensor *svd_of(bdata *d)
{
    l2_tensor *S = NULL, *Vh = NULL;
    l2_tensor *U = l2_linalg_svd(d->t[0], false, &S, &Vh);
    l2_tensor_release(S);
    l2_tensor_release(Vh);
    return U;
}

static int run_svd(void *p) { return bench_consume(svd_of(p)); }

static int run_svd_bwd(void *p) { return nn_finish_bwd(p, svd_of(p), 0, 0); }

void bench_cases_svd(void)
{
    for (int grad = 0; grad < 2; grad++)
        for (int big = 0; big < 2; big++) {
            bench_case c = nn_case("linalg_svd", grad, "randn", shapes[big], setup_svd,
                                   grad ? run_svd_bwd : run_svd);
            c.p[6] = big;
            double n = big ? 256 : 32, nb = big ? 1 : 64;
            c.items = nb * n * n;
            c.bytes = 4.0 * c.items * 2;
            bench_add(c, NULL);
        }
}
