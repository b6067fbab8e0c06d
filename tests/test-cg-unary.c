/* test-cg-unary.c: second derivatives (create_graph, issue 15) of the unary elementwise ops of
 * unary.c (libl2/ops/unary-cg.c): gradgradcheck (tests/gradcheck.h) of each op in float64 against
 * central differences of libl2's plain first derivative, for the input and the upstream gradient,
 * on contiguous and expanded (stride 0) inputs, the parameter variants, the in-place forms relu_ and
 * clamp_, and compositions; the rounding ops and sign give zeros without history (as torch's
 * zeros_like(grad)). The oracle (oracle/gradgrad.py) compares the same with torch. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <math.h>
#include <string.h>

typedef struct {
    const char *name;
    int op;
    double lo, hi; /* input values uniform in [lo, hi) */
    double p0, p1; /* the op's parameters */
} ucase;

enum {
    NEG, ABS, EXP, EXP2, EXPM1, LOG, LOG2, LOG10, LOG1P, SQRT, RSQRT, SQUARE, RECIPROCAL, SIN, COS,
    TAN, ASIN, ACOS, ATAN, SINH, COSH, TANH, SIGMOID, RELU, SILU, ERF, LEAKY_RELU, ELU, GELU,
    SOFTPLUS, CLAMP, RELU_, CLAMP_, CHAIN, SIGN, FLOOR, CEIL, ROUND, TRUNC
};

static l2_tensor *apply(const ucase *c, const l2_tensor *x)
{
    switch (c->op) {
    case NEG: return l2_neg(x);
    case ABS: return l2_abs(x);
    case EXP: return l2_exp(x);
    case EXP2: return l2_exp2(x);
    case EXPM1: return l2_expm1(x);
    case LOG: return l2_log(x);
    case LOG2: return l2_log2(x);
    case LOG10: return l2_log10(x);
    case LOG1P: return l2_log1p(x);
    case SQRT: return l2_sqrt(x);
    case RSQRT: return l2_rsqrt(x);
    case SQUARE: return l2_square(x);
    case RECIPROCAL: return l2_reciprocal(x);
    case SIN: return l2_sin(x);
    case COS: return l2_cos(x);
    case TAN: return l2_tan(x);
    case ASIN: return l2_asin(x);
    case ACOS: return l2_acos(x);
    case ATAN: return l2_atan(x);
    case SINH: return l2_sinh(x);
    case COSH: return l2_cosh(x);
    case TANH: return l2_tanh(x);
    case SIGMOID: return l2_sigmoid(x);
    case RELU: return l2_relu(x);
    case SILU: return l2_silu(x);
    case ERF: return l2_erf(x);
    case LEAKY_RELU: return l2_leaky_relu(x, c->p0);
    case ELU: return l2_elu(x, c->p0);
    case GELU: return l2_gelu(x, c->p0 != 0);
    case SOFTPLUS: return l2_softplus(x, c->p0, c->p1);
    case CLAMP: return l2_clamp(x, c->p0, c->p1);
    case SIGN: return l2_sign(x);
    case FLOOR: return l2_floor(x);
    case CEIL: return l2_ceil(x);
    case ROUND: return l2_round(x);
    case TRUNC: return l2_trunc(x);
    case RELU_: case CLAMP_: { /* in place on a non-leaf (x * 1.5) */
        l2_tensor *y = l2_mul_scalar(x, 1.5);
        if (!y)
            return NULL;
        l2_status st = c->op == RELU_ ? l2_relu_(y) : l2_clamp_(y, c->p0, c->p1);
        if (st != L2_OK) {
            l2_tensor_release(y);
            return NULL;
        }
        return y;
    }
    case CHAIN: { /* tanh(sin(x) * exp(x)) + sigmoid(x)^2: second derivatives through several
                   * unary nodes and mul */
        l2_tensor *s = l2_sin(x), *e = l2_exp(x), *p = l2_mul(s, e), *t = l2_tanh(p);
        l2_tensor *g = l2_sigmoid(x), *q = l2_square(g), *r = l2_add(t, q);
        l2_tensor *all[] = {s, e, p, t, g, q};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            l2_tensor_release(all[i]);
        return r;
    }
    }
    return NULL;
}

/* 1: f applies the op to x [3, 1] expanded to [3, 4] (stride 0: a non-contiguous input whose
 * gradient is summed; expand has its own differentiable backward, permute not yet) */
static int expanded;

static l2_tensor *f1(l2_tensor *const *in, void *ctx)
{
    const ucase *c = ctx;
    if (!expanded)
        return apply(c, in[0]);
    l2_tensor *t = l2_expand(in[0], 2, (int64_t[]){3, 4}), *r = t ? apply(c, t) : NULL;
    l2_tensor_release(t);
    return r;
}

static const ucase cases[] = {
    {"neg", NEG, -2, 2, 0, 0},
    {"abs", ABS, 0.2, 2, 0, 0},
    {"abs (negative)", ABS, -2, -0.2, 0, 0},
    {"exp", EXP, -2, 2, 0, 0},
    {"exp2", EXP2, -2, 2, 0, 0},
    {"expm1", EXPM1, -2, 2, 0, 0},
    {"log", LOG, 0.3, 3, 0, 0},
    {"log2", LOG2, 0.3, 3, 0, 0},
    {"log10", LOG10, 0.3, 3, 0, 0},
    {"log1p", LOG1P, -0.6, 3, 0, 0},
    {"sqrt", SQRT, 0.3, 3, 0, 0},
    {"rsqrt", RSQRT, 0.3, 3, 0, 0},
    {"square", SQUARE, -2, 2, 0, 0},
    {"reciprocal", RECIPROCAL, 0.4, 3, 0, 0},
    {"sin", SIN, -3, 3, 0, 0},
    {"cos", COS, -3, 3, 0, 0},
    {"tan", TAN, -1.2, 1.2, 0, 0},
    {"asin", ASIN, -0.8, 0.8, 0, 0},
    {"acos", ACOS, -0.8, 0.8, 0, 0},
    {"atan", ATAN, -3, 3, 0, 0},
    {"sinh", SINH, -2, 2, 0, 0},
    {"cosh", COSH, -2, 2, 0, 0},
    {"tanh", TANH, -2, 2, 0, 0},
    {"sigmoid", SIGMOID, -3, 3, 0, 0},
    {"relu", RELU, -2, 2, 0, 0},
    {"silu", SILU, -3, 3, 0, 0},
    {"erf", ERF, -2, 2, 0, 0},
    {"leaky_relu 0.1", LEAKY_RELU, -2, 2, 0.1, 0},
    {"leaky_relu -0.7", LEAKY_RELU, -2, 2, -0.7, 0},
    {"elu 1", ELU, -2, 2, 1, 0},
    {"elu 0.6", ELU, -2, 2, 0.6, 0},
    {"gelu", GELU, -3, 3, 0, 0},
    {"gelu tanh", GELU, -3, 3, 1, 0},
    {"softplus", SOFTPLUS, -3, 3, 1, 20},
    {"softplus beta 2, threshold 1", SOFTPLUS, -2, 2, 2, 1},
    {"softplus beta -1.5", SOFTPLUS, -2, 2, -1.5, 20},
    {"clamp [-0.5, 0.7]", CLAMP, -2, 2, -0.5, 0.7},
    {"clamp [-inf, 0.3]", CLAMP, -2, 2, -INFINITY, 0.3},
    {"relu_", RELU_, -2, 2, 0, 0},
    {"clamp_ [-0.5, 0.7]", CLAMP_, -2, 2, -0.5, 0.7},
    {"chain", CHAIN, -2, 2, 0, 0},
};

/* The rounding ops and sign: a create_graph gradient of zeros that requires no grad. */
static void zero_grad_check(const ucase *c)
{
    l2_tensor *x = gc_leaf(2, (int64_t[]){2, 3}, -2, 2), *v = l2_randn_like(x), *g = NULL;
    l2_set_requires_grad(v, true);
    l2_tensor *y = apply(c, x);
    l2_status st = y ? l2_autograd_grad_ex(1, &y, &v, 1, &x, &g, true, true, false)
                     : l2_last_status();
    int good = st == L2_OK && g && !l2_requires_grad(g) && l2_numel(g) == 6;
    for (int64_t i = 0; good && i < 6; i++)
        good = flat(g, i) == 0;
    ok(good, "%s: create_graph gradient is zeros without history (torch: zeros_like(grad))",
       c->name);
    l2_tensor_release(g);
    l2_tensor_release(y);
    l2_tensor_release(v);
    l2_tensor_release(x);
}

int main(void)
{
    l2_manual_seed(1513);
    int64_t live0 = l2_live_tensors();
    size_t nc = sizeof cases / sizeof *cases;
    for (size_t k = 0; k < nc; k++) {
        const ucase *c = &cases[k];
        for (expanded = 0; expanded < 2; expanded++) {
            l2_tensor *x = gc_leaf(2, (int64_t[]){3, expanded ? 1 : 4}, c->lo, c->hi);
            char name[96];
            snprintf(name, sizeof name, "%s%s", c->name, expanded ? " (expanded)" : "");
            ok(gradgradcheck(name, f1, 1, &x, (void *)c), "gradgradcheck: %s", name);
            l2_tensor_release(x);
        }
    }
    /* 0-d and 0-size inputs */
    {
        expanded = 0;
        const ucase *c = &cases[3]; /* exp */
        l2_tensor *x = gc_leaf(0, NULL, -1, 1);
        ok(gradgradcheck("exp 0-d", f1, 1, &x, (void *)c), "gradgradcheck: exp of a 0-d input");
        l2_tensor_release(x);
        x = gc_leaf(2, (int64_t[]){0, 3}, -1, 1);
        l2_tensor *y = l2_exp(x), *v = l2_randn_like(y), *g = NULL;
        l2_set_requires_grad(v, true);
        l2_status st = l2_autograd_grad_ex(1, &y, &v, 1, &x, &g, true, true, false);
        ok(st == L2_OK && g && l2_numel(g) == 0, "exp of a [0, 3] input: create_graph gradient");
        l2_tensor_release(g);
        l2_tensor_release(v);
        l2_tensor_release(y);
        l2_tensor_release(x);
    }
    static const ucase zero[] = {{"sign", SIGN, 0, 0, 0, 0},   {"floor", FLOOR, 0, 0, 0, 0},
                                 {"ceil", CEIL, 0, 0, 0, 0},   {"round", ROUND, 0, 0, 0, 0},
                                 {"trunc", TRUNC, 0, 0, 0, 0}};
    for (size_t k = 0; k < sizeof zero / sizeof *zero; k++)
        zero_grad_check(&zero[k]);
    for (size_t k = 0; k < nc; k++) {
        const ucase *c = &cases[k];
        if (c->op == GELU || c->op == SOFTPLUS || c->op == CLAMP_ || c->op == CHAIN) {
            l2_tensor *x = gc_leaf(2, (int64_t[]){3, 4}, c->lo, c->hi);
            expanded = 0;
            cg_oom_sweep(c->name, f1, 1, &x, (void *)c);
            l2_tensor_release(x);
        }
    }
    is_int(l2_live_tensors(), live0, "no tensor leaked");
    return tap_done();
}
