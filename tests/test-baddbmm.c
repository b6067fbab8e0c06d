/* test-baddbmm.c: l2_baddbmm and l2_addbmm (issue 15): values against plain double loops
 * (small products through torch's loop, larger ones through BLAS; broadcast inputs, transposed
 * batches), torch's order of roundings for small float32 products (bit for bit), beta 0 and
 * alpha 0 with non-finite values, an input of another dtype, the errors, float64 finite-
 * difference gradchecks and gradgradchecks, 0-size batches and injected allocation failures. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <math.h>
#include <string.h>

/* A float64 (B, R, C) leaf; with trans the transpose of a (B, C, R) tensor (non-contiguous). */
static l2_tensor *bleaf(int64_t B, int64_t R, int64_t C, bool trans, l2_dtype dt)
{
    int64_t sh[3] = {B, trans ? C : R, trans ? R : C};
    l2_tensor *base = l2_uniform(3, sh, -1, 1, dt);
    if (!trans)
        return base;
    l2_tensor *t = l2_transpose(base, 1, 2);
    l2_tensor_release(base);
    return t;
}

/* beta * c + alpha * a @ b computed in double at (b, i, j), c broadcast (read by l2_get at the
 * broadcast index). */
static double want_at(const l2_tensor *c, const l2_tensor *a, const l2_tensor *b, double beta,
                      double alpha, int64_t bb, int64_t i, int64_t j, bool batched)
{
    double s = 0;
    int64_t K = l2_shape(a)[2];
    for (int64_t k = 0; k < K; k++)
        s += at(a, (int64_t[]){bb, i, k}) * at(b, (int64_t[]){bb, k, j});
    if (!batched) { /* addbmm: the sum over the batch */
        s = 0;
        for (int64_t q = 0; q < l2_shape(a)[0]; q++)
            for (int64_t k = 0; k < K; k++)
                s += at(a, (int64_t[]){q, i, k}) * at(b, (int64_t[]){q, k, j});
    }
    double cv = 0;
    if (beta != 0) {
        int cn = l2_ndim(c), on = batched ? 3 : 2;
        int64_t full[3] = {bb, i, j}, idx[3];
        const int64_t *o = batched ? full : full + 1;
        for (int d = 0; d < cn; d++)
            idx[d] = l2_shape(c)[d] == 1 ? 0 : o[d + on - cn];
        cv = at(c, idx);
    }
    return beta * cv + alpha * s;
}

/* Every element of r against want_at, within tol relative to the terms. */
static void check_values(const char *name, l2_tensor *r, const l2_tensor *c, const l2_tensor *a,
                         const l2_tensor *b, double beta, double alpha, bool batched, double tol)
{
    int64_t B = l2_shape(a)[0], M = l2_shape(a)[1], N = l2_shape(b)[2];
    double worst = 0;
    bool shape_ok = r && (batched ? same_shape(r, 3, (int64_t[]){B, M, N})
                                  : same_shape(r, 2, (int64_t[]){M, N}));
    for (int64_t q = 0; shape_ok && q < (batched ? B : 1); q++)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double w = want_at(c, a, b, beta, alpha, q, i, j, batched);
                double g = batched ? at(r, (int64_t[]){q, i, j}) : at(r, (int64_t[]){i, j});
                double e = fabs(g - w) / (1 + fabs(w));
                worst = e > worst || isnan(e) ? e : worst;
            }
    if (!ok(shape_ok && worst <= tol, "%s", name))
        tap_diag("shape ok %d, worst relative error %g (tol %g)", shape_ok, worst, tol);
    l2_tensor_release(r);
}

static void values(void)
{
    /* (B, M, K, N, input shape, transposed batch1/batch2, beta, alpha) */
    struct {
        int64_t B, M, K, N;
        int cnd;
        int64_t cs[3];
        bool t1, t2;
        double beta, alpha;
    } cs[] = {
        {2, 3, 4, 5, 3, {2, 3, 5}, false, false, 1, 1},    /* small: torch's loop */
        {2, 3, 4, 5, 1, {5}, true, false, 0.5, -2},        /* broadcast row, transposed */
        {3, 9, 8, 7, 2, {9, 1}, false, true, -1.5, 0.25}, /* K*M*N = 504: BLAS */
        {2, 20, 30, 10, 0, {0}, true, true, 1, 1},       /* 0-d input, BLAS, both transposed */
        {4, 1, 50, 1, 3, {1, 1, 1}, false, false, 2, 1},  /* M = N = 1 */
        {2, 3, 0, 4, 2, {3, 4}, false, false, 1.5, 1},    /* K = 0: beta * input */
    };
    l2_dtype dts[2] = {L2_FLOAT64, L2_FLOAT32};
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        for (int d = 0; d < 2; d++) {
            l2_tensor *a = bleaf(cs[k].B, cs[k].M, cs[k].K, cs[k].t1, dts[d]);
            l2_tensor *b = bleaf(cs[k].B, cs[k].K, cs[k].N, cs[k].t2, dts[d]);
            l2_tensor *c = l2_uniform(cs[k].cnd, cs[k].cs, -1, 1, dts[d]);
            double tol = dts[d] == L2_FLOAT64 ? 1e-13 : 1e-5;
            char nm[120];
            snprintf(nm, sizeof nm, "baddbmm case %zu %s", k, l2_dtype_name(dts[d]));
            check_values(nm, l2_baddbmm(c, a, b, cs[k].beta, cs[k].alpha), c, a, b, cs[k].beta,
                         cs[k].alpha, true, tol);
            if (cs[k].cnd < 3) {
                snprintf(nm, sizeof nm, "addbmm case %zu %s", k, l2_dtype_name(dts[d]));
                check_values(nm, l2_addbmm(c, a, b, cs[k].beta, cs[k].alpha), c, a, b,
                             cs[k].beta, cs[k].alpha, false, tol * 10);
            }
            l2_tensor_release(a);
            l2_tensor_release(b);
            l2_tensor_release(c);
        }
    }
    /* int64: exact */
    l2_tensor *a = ar(3, (int64_t[]){2, 3, 4}, L2_INT64), *b = ar(3, (int64_t[]){2, 4, 2},
                                                                  L2_INT64);
    l2_tensor *c = ar(1, (int64_t[]){2}, L2_INT64);
    check_values("baddbmm int64", l2_baddbmm(c, a, b, 2, -3), c, a, b, 2, -3, true, 0);
    check_values("addbmm int64", l2_addbmm(c, a, b, -1, 2), c, a, b, -1, 2, false, 0);
    l2_tensor_release(a);
    l2_tensor_release(b);
    l2_tensor_release(c);
}

/* Small float32 products round as torch's loop: r = input * beta; r += alpha * a * b, in float. */
static void torch_order(void)
{
    int64_t B = 3, M = 4, K = 7, N = 5;
    l2_tensor *a = bleaf(B, M, K, false, L2_FLOAT32), *b = bleaf(B, K, N, true, L2_FLOAT32);
    l2_tensor *c = l2_uniform(3, (int64_t[]){B, M, N}, -30, 30, L2_FLOAT32);
    float beta = 1.25f, alpha = 0.75f;
    l2_tensor *r = l2_baddbmm(c, a, b, beta, alpha);
    int bad = r == NULL;
    for (int64_t q = 0; !bad && q < B; q++)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                float s = (float)at(c, (int64_t[]){q, i, j}) * beta;
                for (int64_t k = 0; k < K; k++)
                    s += alpha * (float)at(a, (int64_t[]){q, i, k}) *
                         (float)at(b, (int64_t[]){q, k, j});
                bad += (float)at(r, (int64_t[]){q, i, j}) != s;
            }
    ok(!bad, "small float32 baddbmm rounds as torch's loop, bit for bit (%d differ)", bad);
    l2_tensor_release(r);
    l2_tensor_release(a);
    l2_tensor_release(b);
    l2_tensor_release(c);
}

static void specials(void)
{
    int64_t s1[3] = {1, 2, 3}, s2[3] = {1, 3, 2}, so[3] = {1, 2, 2};
    l2_tensor *a = l2_ones(3, s1, L2_FLOAT32), *b = l2_ones(3, s2, L2_FLOAT32);
    l2_tensor *nan_in = l2_full(3, so, NAN, L2_FLOAT32);
    l2_tensor *r = l2_baddbmm(nan_in, a, b, 0, 1);
    ok(r && at(r, (int64_t[]){0, 1, 1}) == 3, "beta 0: a NaN input is not read (got %g)",
       at(r, (int64_t[]){0, 1, 1}));
    l2_tensor_release(r);
    l2_tensor *ai = l2_full(3, s1, INFINITY, L2_FLOAT32), *one = l2_ones(3, so, L2_FLOAT32);
    r = l2_baddbmm(one, ai, b, 1, 0);
    ok(r && isnan(at(r, (int64_t[]){0, 0, 0})), "alpha 0: inf in batch1 gives NaN, as torch");
    l2_tensor_release(r);
    /* the same at a BLAS size */
    l2_tensor *ab = l2_full(3, (int64_t[]){1, 20, 30}, INFINITY, L2_FLOAT64);
    l2_tensor *bb = l2_ones(3, (int64_t[]){1, 30, 20}, L2_FLOAT64);
    l2_tensor *cb = l2_ones(1, (int64_t[]){20}, L2_FLOAT64);
    r = l2_baddbmm(cb, ab, bb, 2, 0);
    ok(r && isnan(at(r, (int64_t[]){0, 19, 19})), "alpha 0 at K*M*N 12000: NaN as torch");
    l2_tensor_release(r);
    l2_tensor_release(ab);
    l2_tensor_release(bb);
    l2_tensor_release(cb);
    /* an input of another dtype is converted; its gradient comes back in its dtype */
    l2_tensor *c64 = l2_full(2, (int64_t[]){2, 2}, 0.5, L2_FLOAT64);
    l2_set_requires_grad(c64, true);
    r = l2_baddbmm(c64, a, b, 3, 1);
    ok(r && l2_dtype_of(r) == L2_FLOAT32 && at(r, (int64_t[]){0, 0, 0}) == 4.5,
       "float64 input, float32 batches: a float32 result (torch converts input)");
    l2_tensor *rs = r ? l2_sum(r) : NULL;
    l2_status st = rs ? l2_backward(rs, NULL, false) : L2_ERR_ARG;
    l2_tensor_release(rs);
    const l2_tensor *g = l2_grad(c64);
    ok(st == L2_OK && g && l2_dtype_of(g) == L2_FLOAT64 && at(g, (int64_t[]){1, 1}) == 3,
       "its gradient: beta * g in float64");
    l2_tensor_release(r);
    l2_tensor_release(c64);
    l2_tensor *cb2 = l2_ones(1, (int64_t[]){2}, L2_BOOL);
    r = l2_baddbmm(cb2, a, b, 1, 1);
    ok(r && at(r, (int64_t[]){0, 1, 0}) == 4, "a bool input is converted (1 + 3)");
    l2_tensor_release(r);
    l2_tensor_release(cb2);
    l2_tensor_release(a);
    l2_tensor_release(b);
    l2_tensor_release(nan_in);
    l2_tensor_release(ai);
    l2_tensor_release(one);
}

static void errors(void)
{
    int64_t s1[3] = {2, 3, 4}, s2[3] = {2, 4, 5}, so[3] = {2, 3, 5};
    l2_tensor *a = l2_ones(3, s1, L2_FLOAT32), *b = l2_ones(3, s2, L2_FLOAT32);
    l2_tensor *c = l2_ones(3, so, L2_FLOAT32);
    l2_tensor *a2 = l2_ones(2, (int64_t[]){3, 4}, L2_FLOAT32);
    l2_tensor *bk = l2_ones(3, (int64_t[]){2, 3, 5}, L2_FLOAT32);
    l2_tensor *bb = l2_ones(3, (int64_t[]){1, 4, 5}, L2_FLOAT32);
    l2_tensor *b64 = l2_ones(3, s2, L2_FLOAT64);
    l2_tensor *cbad = l2_ones(2, (int64_t[]){4, 5}, L2_FLOAT32);
    l2_tensor *a_b = l2_ones(3, s1, L2_BOOL), *b_b = l2_ones(3, s2, L2_BOOL);
    l2_tensor *ai = l2_ones(3, s1, L2_INT64), *bi = l2_ones(3, s2, L2_INT64);
    l2_tensor *c64 = l2_ones(2, (int64_t[]){3, 5}, L2_FLOAT64);
    is_err(l2_baddbmm(NULL, a, b, 1, 1), L2_ERR_NULL, "'input' is NULL", "NULL input");
    is_err(l2_baddbmm(c, NULL, b, 1, 1), L2_ERR_NULL, "'batch1' is NULL", "NULL batch1");
    is_err(l2_baddbmm(c, a, NULL, 1, 1), L2_ERR_NULL, "'batch2' is NULL", "NULL batch2");
    is_err(l2_baddbmm(c, a2, b, 1, 1), L2_ERR_SHAPE, "batch1 must be a 3D tensor", "2-d batch1");
    is_err(l2_baddbmm(c, a, a2, 1, 1), L2_ERR_SHAPE, "batch2 must be a 3D tensor", "2-d batch2");
    is_err(l2_baddbmm(c, a, bk, 1, 1), L2_ERR_SHAPE, "to be: [2, 4] but got: [2, 3]",
           "K mismatch");
    is_err(l2_baddbmm(c, a, bb, 1, 1), L2_ERR_SHAPE, "to be: [2, 4] but got: [1, 4]",
           "batch mismatch (no broadcasting)");
    is_err(l2_baddbmm(cbad, a, b, 1, 1), L2_ERR_SHAPE, "cannot broadcast", "input [4,5]");
    is_err(l2_baddbmm(c, a, b64, 1, 1), L2_ERR_DTYPE, "expected scalar type float32 but found "
           "float64", "batches of two dtypes");
    is_err(l2_baddbmm(c, a_b, b_b, 1, 1), L2_ERR_DTYPE, "bool", "bool batches");
    is_err(l2_baddbmm(c, a, b, NAN, 1), L2_ERR_ARG, "beta must be finite", "NaN beta");
    is_err(l2_baddbmm(c, a, b, 1, INFINITY), L2_ERR_ARG, "alpha must be finite", "inf alpha");
    is_err(l2_baddbmm(c, a, b, 1e40, 1), L2_ERR_ARG, "without overflow", "beta 1e40 in float32");
    is_err(l2_baddbmm(c, ai, bi, 0.5, 1), L2_ERR_ARG, "must not be a floating point number",
           "int64 with beta 0.5");
    is_err(l2_addbmm(c64, a, b, 1, 1), L2_ERR_DTYPE, "expected scalar type float32 but found "
           "float64", "addbmm: input of another dtype");
    is_err(l2_addbmm(c, a, b, 1, 1), L2_ERR_SHAPE, "cannot broadcast", "addbmm: 3-d input");
    is_err(l2_addbmm(NULL, a, b, 1, 1), L2_ERR_NULL, "'input' is NULL", "addbmm: NULL input");
    is_err(l2_addbmm(c64, a, bk, 1, 1), L2_ERR_SHAPE, "but got: [2, 3]", "addbmm: K mismatch");
    l2_tensor *all[] = {a, b, c, a2, bk, bb, b64, cbad, a_b, b_b, ai, bi, c64};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);
}

/* ---- gradients ---------------------------------------------------------------------------- */

typedef struct {
    bool add;    /* addbmm instead of baddbmm */
    bool square; /* square the result (gradgradcheck: a non-bilinear second derivative) */
    double beta, alpha;
} gctx;

static l2_tensor *f_bmm(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    l2_tensor *r = c->add ? l2_addbmm(in[0], in[1], in[2], c->beta, c->alpha)
                          : l2_baddbmm(in[0], in[1], in[2], c->beta, c->alpha);
    if (!c->square || !r)
        return r;
    l2_tensor *sq = l2_mul(r, r);
    l2_tensor_release(r);
    return sq;
}

/* A float64 leaf (requires grad) of shape (nd, sh), transposed in its last two dims when trans. */
static l2_tensor *gleaf(int nd, const int64_t *sh, bool trans)
{
    l2_tensor *t;
    if (nd == 3)
        t = bleaf(sh[0], sh[1], sh[2], trans, L2_FLOAT64);
    else
        t = l2_uniform(nd, sh, -1, 1, L2_FLOAT64);
    l2_set_requires_grad(t, true);
    return t;
}

static void grads(void)
{
    struct {
        int64_t B, M, K, N;
        int cnd;
        int64_t cs[3];
        bool t1, t2, add;
        double beta, alpha;
    } cs[] = {
        {2, 3, 4, 5, 3, {2, 3, 5}, false, false, false, 1, 1},
        {2, 3, 4, 5, 2, {1, 5}, true, false, false, 0.5, -2},
        {3, 2, 3, 2, 1, {2}, false, true, false, 0, 1.5},
        {2, 3, 2, 4, 3, {2, 1, 4}, false, false, false, -1, 0},
        {2, 9, 8, 7, 1, {7}, true, true, false, 1.5, 0.5}, /* BLAS path */
        {3, 3, 2, 4, 2, {3, 4}, false, true, true, 0.5, 2},  /* addbmm */
        {2, 2, 3, 4, 1, {4}, true, false, true, 1, 1},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        l2_tensor *in[3] = {gleaf(cs[k].cnd, cs[k].cs, false),
                            gleaf(3, (int64_t[]){cs[k].B, cs[k].M, cs[k].K}, cs[k].t1),
                            gleaf(3, (int64_t[]){cs[k].B, cs[k].K, cs[k].N}, cs[k].t2)};
        gctx c = {cs[k].add, false, cs[k].beta, cs[k].alpha};
        char nm[100];
        snprintf(nm, sizeof nm, "%s gradcheck case %zu", cs[k].add ? "addbmm" : "baddbmm", k);
        ok(gradcheck(nm, f_bmm, 3, in, &c), "%s", nm);
        c.square = true;
        snprintf(nm, sizeof nm, "%s gradgradcheck case %zu", cs[k].add ? "addbmm" : "baddbmm",
                 k);
        if (cs[k].B * cs[k].M * cs[k].N <= 60)
            ok(gradgradcheck(nm, f_bmm, 3, in, &c), "%s", nm);
        for (int i = 0; i < 3; i++)
            l2_tensor_release(in[i]);
    }
    /* 0-size batch: (0, 2, 2) result, zero-size gradients */
    l2_tensor *in[3] = {gleaf(2, (int64_t[]){2, 2}, false), gleaf(3, (int64_t[]){0, 2, 3}, false),
                        gleaf(3, (int64_t[]){0, 3, 2}, false)};
    l2_tensor *r = l2_baddbmm(in[0], in[1], in[2], 1, 1);
    l2_tensor *s = r ? l2_sum(r) : NULL;
    l2_status st = s ? l2_backward(s, NULL, false) : L2_ERR_ARG;
    ok(r && same_shape(r, 3, (int64_t[]){0, 2, 2}) && st == L2_OK && l2_grad(in[0]) &&
           at(l2_grad(in[0]), (int64_t[]){1, 1}) == 0 && l2_grad(in[1]) &&
           same_shape(l2_grad(in[1]), 3, (int64_t[]){0, 2, 3}),
       "0-size batch: (0,2,2), input's gradient 0, batch1's (0,2,3)");
    l2_tensor_release(s);
    l2_tensor_release(r);
    r = l2_addbmm(in[0], in[1], in[2], 2, 1);
    ok(r && at(r, (int64_t[]){0, 1}) == 2 * at(in[0], (int64_t[]){0, 1}),
       "addbmm over a 0-size batch: beta * input");
    l2_tensor_release(r);
    gctx c = {false, false, 0.5, 2};
    oom_check("baddbmm", f_bmm, 3, in, &c);
    for (int i = 0; i < 3; i++)
        l2_tensor_release(in[i]);
}

int main(void)
{
    values();
    torch_order();
    specials();
    errors();
    grads();
    return tap_done();
}
