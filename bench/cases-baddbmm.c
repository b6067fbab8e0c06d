/* cases-baddbmm.c: torch.baddbmm of issue 15, area baddbmm (libl2/ops/baddbmm.c), float32, at
 * attention's sizes: input (128) broadcast (a mask-like row) + (32,128,64) @ (32,64,128), beta 1,
 * alpha 0.125, forward and forward + backward into all three (ones as the gradient), in every
 * profile. The torch twins are in bench/torch_baddbmm.py (same names). */
#include "cases.h"

static void *setup_baddbmm(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int64_t s1[3] = {32, 128, 64}, s2[3] = {32, 64, 128}, so[3] = {32, 128, 128};
    l2_manual_seed(1);
    d->t[0] = l2_randn(1, (const int64_t[]){128}, L2_FLOAT32);
    d->t[1] = l2_randn(3, s1, L2_FLOAT32);
    d->t[2] = l2_randn(3, s2, L2_FLOAT32);
    return grad_epilogue(d, 3, 0, 2, 3, so);
}

static l2_tensor *baddbmm_of(bdata *d)
{
    return l2_baddbmm(d->t[0], d->t[1], d->t[2], 1, 0.125);
}

static int run_baddbmm(void *p) { return bench_consume(baddbmm_of(p)); }

static int run_baddbmm_bwd(void *p) { return nn_finish_bwd(p, baddbmm_of(p), 0, 2); }

void bench_cases_baddbmm(void)
{
    for (int grad = 0; grad < 2; grad++) {
        bench_case c = nn_case("baddbmm", grad, "randn", "32x128x64-32x64x128", setup_baddbmm,
                               grad ? run_baddbmm_bwd : run_baddbmm);
        c.items = 32.0 * 128 * 128;
        c.flops = 2.0 * 32 * 128 * 128 * 64 * (grad ? 3 : 1);
        c.bytes = 4.0 * (32 * 128 * 64 * 2 + c.items);
        bench_add(c, NULL);
    }
}
