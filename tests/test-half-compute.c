/* test-half-compute.c: bfloat16 / float16 compute (issue 16, the half route of l2.h). For each
 * op, on both half dtypes, the result of the op on half operands must equal, bit for bit, the
 * float32 op on the same (exactly converted) values rounded once to the half dtype, and so must
 * every input's gradient (the float32 gradient for the same upstream gradient, rounded once).
 * Then the promotion rules, the in-place forms, views and sums of half gradients, .grad
 * accumulation, errors (nothing changed, nothing leaked) and out-of-memory sweeps. torch's own
 * half results are the oracle's business (oracle/, the half dtypes). */
#include <l2.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* Bitwise equality of two tensors of the same dtype and shape (through float64; NaN == NaN). */
static int same_bits(const l2_tensor *a, const l2_tensor *b)
{
    if (!a || !b || l2_dtype_of(a) != l2_dtype_of(b) || l2_ndim(a) != l2_ndim(b))
        return 0;
    for (int d = 0; d < l2_ndim(a); d++)
        if (l2_shape(a)[d] != l2_shape(b)[d])
            return 0;
    for (int64_t i = 0; i < l2_numel(a); i++) {
        double x = flat(a, i), y = flat(b, i);
        if (!(x == y || (isnan(x) && isnan(y))) || signbit(x) != signbit(y))
            return 0;
    }
    return 1;
}

/* ---- the ops: f(in) with in[0], in[1] (and in[2]) of one dtype ---------------------------- */

static l2_tensor *f_add(l2_tensor *const *in, void *c) { (void)c; return l2_add(in[0], in[1]); }
static l2_tensor *f_sub_alpha(l2_tensor *const *in, void *c)
{
    (void)c;
    return l2_add_alpha(in[0], in[1], -0.3);
}
static l2_tensor *f_mul(l2_tensor *const *in, void *c) { (void)c; return l2_mul(in[0], in[1]); }
static l2_tensor *f_div(l2_tensor *const *in, void *c) { (void)c; return l2_div(in[0], in[1]); }
static l2_tensor *f_max(l2_tensor *const *in, void *c) { (void)c; return l2_maximum(in[0], in[1]); }
static l2_tensor *f_atan2(l2_tensor *const *in, void *c) { (void)c; return l2_atan2(in[0], in[1]); }
static l2_tensor *f_square(l2_tensor *const *in, void *c) /* x used twice: summed gradients */
{
    (void)c;
    return l2_mul(in[0], in[0]);
}
static l2_tensor *f_scalar(l2_tensor *const *in, void *c)
{
    (void)c;
    l2_tensor *a = l2_mul_scalar(in[0], 0.1), *r = a ? l2_rsub_scalar(a, 2.5) : NULL;
    l2_tensor_release(a);
    return r;
}
static l2_tensor *f_exp(l2_tensor *const *in, void *c) { (void)c; return l2_exp(in[0]); }
static l2_tensor *f_tanh(l2_tensor *const *in, void *c) { (void)c; return l2_tanh(in[0]); }
static l2_tensor *f_gelu(l2_tensor *const *in, void *c) { (void)c; return l2_gelu(in[0], true); }
static l2_tensor *f_silu(l2_tensor *const *in, void *c) { (void)c; return l2_silu(in[0]); }
static l2_tensor *f_mish(l2_tensor *const *in, void *c) { (void)c; return l2_mish(in[0]); }
static l2_tensor *f_celu(l2_tensor *const *in, void *c) { (void)c; return l2_celu(in[0], 0.7); }
static l2_tensor *f_clamp(l2_tensor *const *in, void *c) { (void)c; return l2_clamp(in[0], -0.5, 0.7); }
static l2_tensor *f_where(l2_tensor *const *in, void *c)
{
    (void)c;
    l2_tensor *m = l2_gt(in[0], in[1]), *r = m ? l2_where(m, in[0], in[1]) : NULL;
    l2_tensor_release(m);
    return r;
}
static l2_tensor *f_sum(l2_tensor *const *in, void *c) { (void)c; return l2_sum(in[0]); }
static l2_tensor *f_mean1(l2_tensor *const *in, void *c)
{
    (void)c;
    return l2_mean_dims(in[0], 1, (const int[]){1}, true);
}
static l2_tensor *f_var(l2_tensor *const *in, void *c)
{
    (void)c;
    return l2_var(in[0], 1, (const int[]){0}, 1, false);
}
static l2_tensor *f_lse(l2_tensor *const *in, void *c)
{
    (void)c;
    return l2_logsumexp(in[0], 1, (const int[]){1}, false);
}
static l2_tensor *f_norm(l2_tensor *const *in, void *c)
{
    (void)c;
    return l2_norm(in[0], 2, 0, NULL, false);
}
static l2_tensor *f_amax(l2_tensor *const *in, void *c)
{
    (void)c;
    return l2_amax(in[0], 1, (const int[]){0}, false);
}
static l2_tensor *f_maxdim(l2_tensor *const *in, void *c)
{
    (void)c;
    l2_tensor *idx = NULL, *r = l2_max_dim(in[0], 1, false, &idx);
    int good = idx && l2_dtype_of(idx) == L2_INT64;
    l2_tensor_release(idx);
    if (!good) {
        l2_tensor_release(r);
        return NULL;
    }
    return r;
}
static l2_tensor *f_cumsum(l2_tensor *const *in, void *c) { (void)c; return l2_cumsum(in[0], 1); }
static l2_tensor *f_softmax(l2_tensor *const *in, void *c) { (void)c; return l2_softmax(in[0], 1); }
static l2_tensor *f_logsm(l2_tensor *const *in, void *c) { (void)c; return l2_log_softmax(in[0], 0); }
static l2_tensor *f_matmul(l2_tensor *const *in, void *c) /* (4, 5) @ (5, 4): a transposed view */
{
    (void)c;
    return l2_matmul(in[0], l2_t(in[1]));
}
static l2_tensor *f_linear(l2_tensor *const *in, void *c)
{
    (void)c; /* weight rows 0..2 and bias from row 3 of the second operand: disjoint elements,
              * so each gradient element comes from one path (two paths into one half tensor
              * round each path's gradient, as torch does) */
    l2_tensor *w = l2_narrow(in[1], 0, 0, 3), *row = l2_select(in[1], 0, 3);
    l2_tensor *b = row ? l2_narrow(row, 0, 0, 3) : NULL;
    l2_tensor *r = w && b ? l2_linear(in[0], w, b) : NULL;
    RELEASE(w, row, b);
    return r;
}
static l2_tensor *f_conv(l2_tensor *const *in, void *c)
{
    (void)c; /* x (1, 1, 4, 5), weight (1, 1, 2, 3) cut from the second operand */
    l2_tensor *x = l2_reshape(in[0], L2_SHAPE(1, 1, 4, 5));
    l2_tensor *w = l2_reshape(l2_narrow(l2_narrow(in[1], 0, 0, 2), 1, 0, 3), L2_SHAPE(1, 1, 2, 3));
    l2_tensor *r = x && w ? l2_conv2d(x, w, NULL, (const int64_t[]){1, 1}, (const int64_t[]){1, 0},
                                      (const int64_t[]){1, 1}, 1)
                          : NULL;
    RELEASE(x, w);
    return r;
}
static l2_tensor *f_pool(l2_tensor *const *in, void *c)
{
    (void)c;
    l2_tensor *x = l2_reshape(in[0], L2_SHAPE(1, 4, 5));
    l2_tensor *r = x ? l2_max_pool2d(x, (const int64_t[]){2, 2}, (const int64_t[]){1, 2},
                                     (const int64_t[]){0, 0})
                     : NULL;
    l2_tensor_release(x);
    return r;
}
static l2_tensor *f_lnorm(l2_tensor *const *in, void *c)
{
    (void)c;
    return l2_layer_norm(in[0], 1, (const int64_t[]){5}, l2_select(in[1], 0, 0),
                         l2_select(in[1], 0, 1), 1e-5);
}
static l2_tensor *f_mse(l2_tensor *const *in, void *c)
{
    (void)c;
    return l2_mse_loss(in[0], in[1], L2_REDUCTION_MEAN);
}
static l2_tensor *f_xent(l2_tensor *const *in, void *c)
{
    (void)c; /* int64 targets join a half input */
    l2_tensor *tg = vec1d(4, (const double[]){0, 4, 2, 1}, L2_INT64);
    l2_tensor *r = tg ? l2_cross_entropy(in[0], tg, L2_REDUCTION_MEAN, -100, 0.1) : NULL;
    l2_tensor_release(tg);
    return r;
}
static l2_tensor *f_bcast(l2_tensor *const *in, void *c) /* an expanded column: summed gradient */
{
    (void)c;
    return l2_mul(in[0], l2_narrow(in[1], 1, 0, 1));
}
static l2_tensor *f_catview(l2_tensor *const *in, void *c)
{
    (void)c;
    l2_tensor *parts[2] = {l2_transpose(in[0], 0, 1), l2_transpose(in[1], 0, 1)};
    l2_tensor *k = parts[0] && parts[1] ? l2_cat(2, parts, 1) : NULL, *r = k ? l2_sin(k) : NULL;
    RELEASE(parts[0], parts[1], k);
    return r;
}

typedef struct {
    const char *name;
    gc_fn f;
    int grad; /* 0: not differentiable (comparisons, argmax) */
} op_case;

static const op_case cases[] = {
    {"add", f_add, 1},       {"add_alpha", f_sub_alpha, 1}, {"mul", f_mul, 1},
    {"div", f_div, 1},       {"maximum", f_max, 1},        {"atan2", f_atan2, 1},
    {"x*x", f_square, 1},    {"scalar ops", f_scalar, 1},  {"exp", f_exp, 1},
    {"tanh", f_tanh, 1},     {"gelu", f_gelu, 1},          {"silu", f_silu, 1},
    {"mish", f_mish, 1},     {"celu", f_celu, 1},          {"clamp", f_clamp, 1},        {"where", f_where, 1},
    {"sum", f_sum, 1},       {"mean dim", f_mean1, 1},     {"var", f_var, 1},
    {"logsumexp", f_lse, 1}, {"norm", f_norm, 1},          {"amax", f_amax, 1},
    {"max_dim", f_maxdim, 1}, {"cumsum", f_cumsum, 1},     {"softmax", f_softmax, 1},
    {"log_softmax", f_logsm, 1}, {"matmul", f_matmul, 1},  {"linear", f_linear, 1},
    {"conv2d", f_conv, 1},   {"max_pool2d", f_pool, 1},    {"layer_norm", f_lnorm, 1},
    {"mse_loss", f_mse, 1},  {"cross_entropy", f_xent, 1}, {"broadcast", f_bcast, 1},
    {"cat of views", f_catview, 1},
};

/* The op on half operands against the float32 op on the same values, rounded once: forward
 * bits, then every input's gradient bits for one random upstream gradient. */
static void check_op(const op_case *oc, l2_dtype h)
{
    const char *nm = l2_dtype_name(h);
    l2_tensor *src[2] = {l2_randn(L2_SHAPE(4, 5), L2_FLOAT32), l2_randn(L2_SHAPE(4, 5), L2_FLOAT32)};
    l2_tensor *hin[2], *fin[2];
    for (int i = 0; i < 2; i++) {
        hin[i] = l2_to_dtype(src[i], h);
        fin[i] = l2_to_dtype(hin[i], L2_FLOAT32); /* exact */
        l2_set_requires_grad(hin[i], oc->grad);
        l2_set_requires_grad(fin[i], oc->grad);
    }
    l2_tensor *rh = oc->f(hin, NULL), *rf = oc->f(fin, NULL);
    l2_tensor *want = rf ? l2_to_dtype(rf, h) : NULL;
    if (!ok(rh && l2_dtype_of(rh) == h && same_bits(rh, want), "%s %s: result is the float32 "
            "result rounded once", nm, oc->name))
        printf("# %s\n", rh ? "bits differ" : l2_last_error());
    if (oc->grad && rh && rf) {
        l2_tensor *g32 = l2_randn_like(rf), *gh = l2_to_dtype(g32, h);
        l2_tensor *gf = l2_to_dtype(gh, L2_FLOAT32);
        l2_status s1 = l2_backward(rh, gh, false), s2 = l2_backward(rf, gf, false);
        int good = s1 == L2_OK && s2 == L2_OK;
        for (int i = 0; i < 2 && good; i++) {
            const l2_tensor *gi = l2_grad(hin[i]), *gfi = l2_grad(fin[i]);
            if (!gfi) {
                good = gi == NULL;
                continue;
            }
            l2_tensor *w = l2_to_dtype(gfi, h);
            good = gi && same_bits(gi, w);
            l2_tensor_release(w);
        }
        if (!ok(good, "%s %s: gradients are the float32 gradients rounded once", nm, oc->name))
            printf("# %s\n", s1 != L2_OK ? l2_last_error() : "bits differ");
        RELEASE(g32, gh, gf);
    }
    RELEASE(rh, rf, want, src[0], src[1], hin[0], hin[1], fin[0], fin[1]);
}

/* Promotion: bfloat16 with float16 is float32; a half with float32 is float32; with int64 or
 * bool it stays the half (the int64 joining as float32). Products with mixed dtypes: refused. */
static void test_promotion(void)
{
    l2_tensor *b = l2_full(L2_SHAPE(3), 1.5, L2_BFLOAT16), *f = l2_full(L2_SHAPE(3), 0.25, L2_FLOAT16);
    l2_tensor *s = l2_full(L2_SHAPE(3), 2, L2_FLOAT32), *i = l2_full(L2_SHAPE(3), 3, L2_INT64);
    l2_tensor *o = l2_ones(L2_SHAPE(3), L2_BOOL);
    l2_tensor *bf = l2_add(b, f), *bs = l2_mul(b, s), *bi = l2_add(b, i), *fo = l2_add(f, o);
    ok(bf && l2_dtype_of(bf) == L2_FLOAT32 && flat(bf, 0) == 1.75, "bfloat16 + float16 is float32");
    ok(bs && l2_dtype_of(bs) == L2_FLOAT32 && flat(bs, 2) == 3, "bfloat16 * float32 is float32");
    ok(bi && l2_dtype_of(bi) == L2_BFLOAT16 && flat(bi, 1) == 4.5, "bfloat16 + int64 is bfloat16");
    ok(fo && l2_dtype_of(fo) == L2_FLOAT16 && flat(fo, 1) == 1.25, "float16 + bool is float16");
    l2_tensor *cmp = l2_lt(b, i), *am = l2_argmax(b);
    ok(cmp && l2_dtype_of(cmp) == L2_BOOL && flat(cmp, 0) == 1, "bfloat16 < int64 is bool");
    ok(am && l2_dtype_of(am) == L2_INT64, "argmax of bfloat16 is int64");
    /* 1 + 2^-8 is not a bfloat16: the sum rounds to even, 1 */
    l2_tensor *one = l2_ones(L2_SHAPE(1), L2_BFLOAT16), *r = l2_add_scalar(one, 0x1p-8);
    ok(r && flat(r, 0) == 1.0, "bfloat16 1 + 2^-8 rounds to 1 (once, to nearest even)");
    l2_tensor *r2 = l2_add_scalar(one, 0x1p-8 + 0x1p-12);
    ok(r2 && flat(r2, 0) == 1.0 + 0x1p-7, "bfloat16 1 + (2^-8 + 2^-12) rounds up");
    /* torch.result_type: a 0-d float32 beside a bfloat16 vector gives bfloat16, the 0-d value
     * rounded to bfloat16 first (2^-8 + 2^-20 -> 2^-8; 1 + 2^-8 ties to even: 1) */
    l2_tensor *z = l2_scalar(0x1p-8 + 0x1p-20, L2_FLOAT32), *z16 = l2_scalar(3, L2_FLOAT16);
    l2_tensor *one2 = l2_ones(L2_SHAPE(2), L2_BFLOAT16), *oz = l2_add(one2, z), *dz = l2_div(one2, z16);
    ok(oz && l2_dtype_of(oz) == L2_BFLOAT16 && flat(oz, 1) == 1.0,
       "bfloat16 vector + 0-d float32 is bfloat16, the 0-d operand rounded first (torch)");
    ok(dz && l2_dtype_of(dz) == L2_BFLOAT16 && flat(dz, 0) == 0.333984375,
       "bfloat16 vector / 0-d float16 is bfloat16");
    RELEASE(z, z16, one2, oz, dz);
    l2_tensor *m = l2_ones(L2_SHAPE(2, 2), L2_BFLOAT16), *m32 = l2_ones(L2_SHAPE(2, 2), L2_FLOAT32);
    is_err(l2_mm(m, m32), L2_ERR_DTYPE, "bfloat16", "mm of bfloat16 and float32 refused (torch too)");
    RELEASE(b, f, s, i, o, bf, bs, bi, fo, cmp, am, one, r, r2, m, m32);
}

/* In place: half self with a half other computes as the out-of-place op; a broadcast that does
 * not fit self, a stride-0 self and operands requiring grad are refused with self unchanged. */
static void test_inplace(void)
{
    for (int d = 0; d < 2; d++) {
        l2_dtype h = d ? L2_FLOAT16 : L2_BFLOAT16;
        const char *nm = l2_dtype_name(h);
        l2_tensor *x32 = l2_randn(L2_SHAPE(3, 4), L2_FLOAT32), *y32 = l2_randn(L2_SHAPE(4), L2_FLOAT32);
        l2_tensor *x = l2_to_dtype(x32, h), *y = l2_to_dtype(y32, h);
        l2_tensor *want = l2_div(x, y), *c = l2_clone(x);
        ok(l2_div_(c, y) == L2_OK && same_bits(c, want), "%s div_ equals div", nm);
        l2_tensor *w2 = l2_clamp(want, -1, 1);
        ok(l2_clamp_(c, -1, 1) == L2_OK && same_bits(c, w2), "%s clamp_ equals clamp", nm);
        l2_tensor *w3 = l2_relu(w2);
        ok(l2_relu_(c) == L2_OK && same_bits(c, w3), "%s relu_ equals relu", nm);
        l2_tensor *before = l2_clone(y);
        ok(l2_add_(y, x) == L2_ERR_SHAPE && same_bits(y, before),
           "%s add_ with a broadcast larger than self: L2_ERR_SHAPE, unchanged", nm);
        l2_tensor *e = l2_expand(y, L2_SHAPE(3, 4));
        ok(l2_mul_(e, x) == L2_ERR_ARG && same_bits(y, before),
           "%s mul_ into an expanded view refused, unchanged", nm);
        l2_tensor *g = l2_clone(x);
        l2_set_requires_grad(g, true);
        l2_tensor *c2 = l2_clone(x);
        ok(l2_sub_(c2, g) == L2_ERR_UNSUPPORTED && same_bits(c2, x),
           "%s sub_ with an operand that requires grad refused, unchanged", nm);
        RELEASE(x32, y32, x, y, want, c, w2, w3, before, e, g, c2);
    }
}

/* Seeds and accumulation: backward of a half scalar without a gradient seeds 1; a second
 * backward adds into .grad in float32 and rounds once; a half grad_output for a float32
 * output is taken; .grad of a half leaf is half. */
static void test_accumulate(void)
{
    l2_tensor *x32 = l2_randn(L2_SHAPE(6), L2_FLOAT32), *x = l2_to_dtype(x32, L2_BFLOAT16);
    l2_set_requires_grad(x, true);
    l2_tensor *s = l2_sum(l2_mul_scalar(x, 1.0 / 3));
    ok(s && l2_backward(s, NULL, true) == L2_OK && l2_grad(x) &&
           l2_dtype_of(l2_grad(x)) == L2_BFLOAT16 && flat(l2_grad(x), 0) == 0.333984375,
       "bfloat16 sum backward seeds 1: grad 1/3 in bfloat16");
    ok(l2_backward(s, NULL, false) == L2_OK && flat(l2_grad(x), 3) == 0.66796875,
       "second backward: .grad accumulated in float32, rounded once");
    l2_tensor *f = l2_to_dtype(x, L2_FLOAT32), *y = l2_mul_scalar(f, 2);
    l2_tensor *gh = l2_full(L2_SHAPE(6), 0.5, L2_BFLOAT16);
    l2_set_grad_none(x);
    ok(y && l2_backward(y, gh, false) == L2_OK && flat(l2_grad(x), 5) == 1,
       "a bfloat16 grad_output of a float32 output is taken");
    RELEASE(x32, x, s, f, y, gh);
}

/* Errors on the route: the op's own message, nothing held afterwards. */
static void test_errors(void)
{
    l2_tensor *x = l2_ones(L2_SHAPE(2, 3), L2_FLOAT16);
    int64_t live = l2_live_tensors();
    is_err(l2_sum_dims(x, 1, (const int[]){5}, false), L2_ERR_DIM, "sum", "float16 sum, bad dim");
    is_err(l2_matmul(x, x), L2_ERR_SHAPE, "matmul", "float16 matmul, bad shapes");
    is_err(l2_add(x, NULL), L2_ERR_NULL, "NULL", "float16 add with NULL");
    is_err(l2_softmax(x, 7), L2_ERR_DIM, "softmax", "float16 softmax, bad dim");
    ok(l2_live_tensors() == live, "the failed calls hold no tensor");
    l2_tensor_release(x);
}

/* create_graph through half ops: d/dx sum(d/dx sum(x^3)) = 6x, within bfloat16's precision. */
static void test_create_graph(void)
{
    l2_tensor *x32 = l2_randn(L2_SHAPE(5), L2_FLOAT32), *x = l2_to_dtype(x32, L2_BFLOAT16);
    l2_set_requires_grad(x, true);
    l2_tensor *x2 = l2_mul(x, x), *x3 = x2 ? l2_mul(x2, x) : NULL, *y = x3 ? l2_sum(x3) : NULL;
    l2_tensor *g = NULL;
    l2_status st = y ? l2_autograd_grad_ex(1, &y, NULL, 1, &x, &g, true, true, false) : L2_ERR_NULL;
    l2_tensor *z = st == L2_OK ? l2_sum(g) : NULL;
    int good = z && g && l2_dtype_of(g) == L2_BFLOAT16 && l2_requires_grad(g) &&
               l2_backward(z, NULL, false) == L2_OK && l2_grad(x);
    for (int64_t i = 0; good && i < 5; i++) {
        double xv = flat(x, i), d2 = flat(l2_grad(x), i);
        good = fabs(d2 - 6 * xv) <= 0x1p-6 * (fabs(6 * xv) + 1e-3);
    }
    if (!ok(good, "bfloat16 create_graph: second derivative of sum(x^3) is 6x"))
        printf("# %s\n", l2_last_error());
    RELEASE(x32, x, x2, x3, y, g, z);
}

static l2_tensor *f_oom(l2_tensor *const *in, void *c)
{
    (void)c;
    l2_tensor *l = l2_linear(in[0], in[1], NULL), *r = l ? l2_tanh(l) : NULL;
    l2_tensor_release(l);
    return r;
}

int main(void)
{
    l2_manual_seed(16);
    l2_scope_begin();
    for (int d = 0; d < 2; d++)
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
            check_op(&cases[k], d ? L2_FLOAT16 : L2_BFLOAT16);
    test_promotion();
    test_inplace();
    test_accumulate();
    test_errors();
    test_create_graph();
    l2_tensor *a = l2_to_dtype(l2_randn(L2_SHAPE(3, 5), L2_FLOAT32), L2_BFLOAT16);
    l2_tensor *w = l2_to_dtype(l2_randn(L2_SHAPE(2, 5), L2_FLOAT32), L2_BFLOAT16);
    l2_set_requires_grad(a, true);
    l2_set_requires_grad(w, true);
    oom_check("bfloat16 tanh(linear)", f_oom, 2, (l2_tensor *const[]){a, w}, NULL);
    l2_scope_end();
    return tap_done();
}
