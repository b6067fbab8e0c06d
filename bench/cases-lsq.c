/* cases-lsq.c: issue 15, area lsqnorm (libl2/ops/linalg-norm.c, linalg-lstsq.c), float32,
 * forward, in every profile: linalg_vector_norm ord 2 of a 4096x4096 randn over every element
 * ("all") and over dim 1 ("dim1"), and linalg_lstsq (gelsy) of a batch of 64 32x16 randn
 * matrices with 4 right-hand sides. The torch twins are in bench/torch_lsq.py (same names). */
#include "cases.h"

#include <math.h>

enum { K_VN_ALL, K_VN_DIM1, K_LSTSQ, K_COUNT };

static void *setup_lsq(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    l2_manual_seed(1);
    if (c->p[5] == K_LSTSQ) {
        d->t[0] = l2_randn(3, (int64_t[]){64, 32, 16}, L2_FLOAT32);
        d->t[1] = l2_randn(3, (int64_t[]){64, 32, 4}, L2_FLOAT32);
        return grad_epilogue(d, 2, 0, 1, 3, (int64_t[]){64, 16, 4});
    }
    d->t[0] = l2_randn(2, (int64_t[]){4096, 4096}, L2_FLOAT32);
    return grad_epilogue(d, 1, 0, 0, 0, NULL);
}

static int run_lsq(void *p)
{
    bdata *d = p;
    static const int dim1 = 1;
    switch ((int)d->c->p[5]) {
    case K_VN_ALL: return bench_consume(l2_linalg_vector_norm(d->t[0], 2, NULL, 0, false));
    case K_VN_DIM1: return bench_consume(l2_linalg_vector_norm(d->t[0], 2, &dim1, 1, false));
    default: return bench_consume(l2_linalg_lstsq(d->t[0], d->t[1], NAN, NULL, NULL));
    }
}

void bench_cases_lsq(void)
{
    static const char *const op[K_COUNT] = {"linalg_vector_norm", "linalg_vector_norm",
                                            "linalg_lstsq"};
    static const char *const var[K_COUNT] = {"all", "dim1", "gelsy"};
    static const char *const shape[K_COUNT] = {"4096x4096", "4096x4096", "64x32x16"};
    for (int k = 0; k < K_COUNT; k++) {
        bench_case c = nn_case(op[k], 0, var[k], shape[k], setup_lsq, run_lsq);
        c.p[5] = k;
        c.items = k == K_LSTSQ ? 64.0 * 32 * 16 : 4096.0 * 4096;
        c.bytes = 4.0 * c.items;
        bench_add(c, NULL);
    }
}
