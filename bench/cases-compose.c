/* cases-compose.c: einsum of issue 15 (area compose, libl2/ops/einsum.c), forward and forward +
 * backward, float32, in the full profile only: a batched product "bij,bjk->bik" (64 x 64x64)
 * and a 3-operand chain "ij,jk,kl->il" (256x256 each). The torch twins (torch.einsum) are in
 * bench/torch_compose.py (same names). */
#include "cases.h"

enum { E_BMM, E_CHAIN3, E_COUNT };

static const struct {
    const char *op, *variant, *shape, *eq;
    int nin;
    int64_t s[3];
} rows[E_COUNT] = {
    [E_BMM] = {"einsum_bmm", "bij,bjk->bik", "64x64x64", "bij,bjk->bik", 2, {64, 64, 64}},
    [E_CHAIN3] = {"einsum_chain3", "ij,jk,kl->il", "256x256", "ij,jk,kl->il", 3, {256, 256, 0}},
};

static void *setup_compose(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int k = (int)c->p[5];
    l2_manual_seed(1);
    int nd = rows[k].s[2] ? 3 : 2;
    for (int i = 0; i < rows[k].nin; i++)
        d->t[i] = l2_randn(nd, rows[k].s, L2_FLOAT32);
    /* the upstream gradient has the result's shape: (64,64,64) or (256,256) */
    return grad_epilogue(d, rows[k].nin, 0, rows[k].nin - 1, nd, rows[k].s);
}

static l2_tensor *compose_of(bdata *d)
{
    int k = (int)d->c->p[5];
    return l2_einsum(rows[k].eq, rows[k].nin, d->t);
}

static int run_compose(void *p) { return bench_consume(compose_of(p)); }

static int run_compose_bwd(void *p)
{
    bdata *d = p;
    return nn_finish_bwd(d, compose_of(d), 0, rows[d->c->p[5]].nin - 1);
}

void bench_cases_compose(void)
{
    if (!bench_full_profile())
        return;
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < E_COUNT; k++) {
            bench_case c = nn_case(rows[k].op, grad, rows[k].variant, rows[k].shape,
                                   setup_compose, grad ? run_compose_bwd : run_compose);
            c.p[5] = k;
            c.items = k == E_BMM ? 2.0 * 64 * 64 * 64 * 64 : 2.0 * 2 * 256 * 256 * 256;
            c.bytes = 4.0 * rows[k].nin * (k == E_BMM ? 64.0 * 64 * 64 : 256.0 * 256);
            bench_add(c, NULL);
        }
}
