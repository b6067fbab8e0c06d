/* test-coverage-layouts.c: every kernel has a contiguous fast path, a broadcast-scalar path and a
 * general strided path, for each dtype; the other tests mostly reach the first. Here every
 * elementwise op, reduction and dtype conversion runs on the same values laid out three ways
 * (contiguous, transposed, and - for binary ops - broadcast from one element), and the results
 * and gradients must agree between the layouts, and failures (dtype errors) must agree too. */
#include "tap.h"

#include <l2.h>
#include <math.h>
#include <stdlib.h>

#define R 4
#define C 5

/* Values with both signs, zero, fractions, ones and a large value: every branch of the kernels'
 * expressions (x > 0, x < lo, ...) sees both outcomes. */
static const double VALS[R * C] = {-2.5, -1, -0.5, 0, 0.25, 0.5, 1,  1.5, 2,    3,
                                   -3,   4,  0.75, -0.25, 7, -6, 0.1, -0.1, 1e-3, 2.5};

/* Contiguous (R, C) tensor of dtype dt holding VALS (converted). */
static l2_tensor *contig(l2_dtype dt)
{
    l2_tensor *f = l2_from_data(VALS, 2, (int64_t[]){R, C}, L2_FLOAT64);
    l2_tensor *t = l2_to_dtype(f, dt);
    l2_tensor_release(f);
    return t;
}

/* The same values as contig(dt), as the transpose of a contiguous (C, R) tensor: strides (1, R).
 * *base receives the contiguous (C, R) tensor (a leaf when grads are wanted). */
static l2_tensor *strided(l2_dtype dt, l2_tensor **base)
{
    l2_tensor *c = contig(dt);
    l2_tensor *ct = l2_t(c);
    *base = l2_contiguous(ct);
    l2_tensor_release(ct);
    l2_tensor_release(c);
    return l2_t(*base);
}

/* Whether a and b hold the same shape and values (NaN equal to NaN; relative tol). */
static int same(const l2_tensor *a, const l2_tensor *b, double tol)
{
    if (!a || !b)
        return a == b;
    if (l2_ndim(a) != l2_ndim(b) || l2_dtype_of(a) != l2_dtype_of(b))
        return 0;
    for (int d = 0; d < l2_ndim(a); d++)
        if (l2_shape(a)[d] != l2_shape(b)[d])
            return 0;
    l2_tensor *fa = l2_to_dtype(a, L2_FLOAT64), *fb = l2_to_dtype(b, L2_FLOAT64);
    l2_tensor *ca = l2_reshape(fa, 1, (int64_t[]){-1}), *cb = l2_reshape(fb, 1, (int64_t[]){-1});
    int good = ca && cb;
    for (int64_t i = 0; good && i < l2_numel(ca); i++) {
        double x = 0, y = 0;
        l2_get(ca, &i, &x);
        l2_get(cb, &i, &y);
        if (isnan(x) || isnan(y))
            good = isnan(x) && isnan(y);
        else if (isinf(x) || isinf(y))
            good = x == y;
        else
            good = fabs(x - y) <= tol * (1 + fabs(x));
    }
    l2_tensor_release(ca);
    l2_tensor_release(cb);
    l2_tensor_release(fa);
    l2_tensor_release(fb);
    return good;
}

static double tol_of(l2_dtype dt) { return dt == L2_FLOAT32 ? 1e-5 : 1e-12; }

typedef l2_tensor *(*un_fn)(const l2_tensor *);
typedef l2_tensor *(*bin_fn)(const l2_tensor *, const l2_tensor *);

static l2_tensor *leaky(const l2_tensor *t) { return l2_leaky_relu(t, 0.1); }
static l2_tensor *elu(const l2_tensor *t) { return l2_elu(t, 1.5); }
static l2_tensor *gelu_e(const l2_tensor *t) { return l2_gelu(t, false); }
static l2_tensor *gelu_t(const l2_tensor *t) { return l2_gelu(t, true); }
static l2_tensor *softplus(const l2_tensor *t) { return l2_softplus(t, 2, 3); }
static l2_tensor *clamp(const l2_tensor *t) { return l2_clamp(t, -1, 1.5); }
static l2_tensor *clamp_rev(const l2_tensor *t) { return l2_clamp(t, 2, -2); }
static l2_tensor *addsc(const l2_tensor *t) { return l2_add_scalar(t, 2); }
static l2_tensor *subsc(const l2_tensor *t) { return l2_sub_scalar(t, 2); }
static l2_tensor *mulsc(const l2_tensor *t) { return l2_mul_scalar(t, -3); }
static l2_tensor *divsc(const l2_tensor *t) { return l2_div_scalar(t, 4); }
static l2_tensor *powsc(const l2_tensor *t) { return l2_pow_scalar(t, 2); }
static l2_tensor *powsc_h(const l2_tensor *t) { return l2_pow_scalar(t, 0.5); }
static l2_tensor *rsubsc(const l2_tensor *t) { return l2_rsub_scalar(t, 1); }
static l2_tensor *eqsc(const l2_tensor *t) { return l2_eq_scalar(t, 1); }
static l2_tensor *nesc(const l2_tensor *t) { return l2_ne_scalar(t, 1); }
static l2_tensor *ltsc(const l2_tensor *t) { return l2_lt_scalar(t, 0.5); }
static l2_tensor *lesc(const l2_tensor *t) { return l2_le_scalar(t, 0.5); }
static l2_tensor *gtsc(const l2_tensor *t) { return l2_gt_scalar(t, 0.5); }
static l2_tensor *gesc(const l2_tensor *t) { return l2_ge_scalar(t, 0.5); }
static l2_tensor *softmax1(const l2_tensor *t) { return l2_softmax(t, 1); }
static l2_tensor *softmax0(const l2_tensor *t) { return l2_softmax(t, 0); }
static l2_tensor *lsoftmax1(const l2_tensor *t) { return l2_log_softmax(t, 1); }
static l2_tensor *lsoftmax0(const l2_tensor *t) { return l2_log_softmax(t, 0); }
static l2_tensor *cumsum0(const l2_tensor *t) { return l2_cumsum(t, 0); }
static l2_tensor *cumsum1(const l2_tensor *t) { return l2_cumsum(t, 1); }
static l2_tensor *masked(const l2_tensor *t)
{
    l2_tensor *m = l2_gt_scalar(t, 0);
    l2_tensor *r = l2_masked_fill(t, m, -1);
    l2_tensor_release(m);
    return r;
}
static l2_tensor *where0(const l2_tensor *t)
{
    l2_tensor *m = l2_lt_scalar(t, 1);
    l2_tensor *z = l2_zeros_like(t);
    l2_tensor *r = l2_where(m, t, z);
    l2_tensor_release(z);
    l2_tensor_release(m);
    return r;
}
static l2_tensor *dropout0(const l2_tensor *t) { return l2_dropout(t, 0, true); }

static const struct {
    const char *name;
    un_fn f;
} UNARY[] = {
    {"neg", l2_neg},           {"abs", l2_abs},         {"sign", l2_sign},
    {"exp", l2_exp},           {"exp2", l2_exp2},       {"expm1", l2_expm1},
    {"log", l2_log},           {"log2", l2_log2},       {"log10", l2_log10},
    {"log1p", l2_log1p},       {"sqrt", l2_sqrt},       {"rsqrt", l2_rsqrt},
    {"square", l2_square},     {"reciprocal", l2_reciprocal}, {"sin", l2_sin},
    {"cos", l2_cos},           {"tan", l2_tan},         {"asin", l2_asin},
    {"acos", l2_acos},         {"atan", l2_atan},       {"sinh", l2_sinh},
    {"cosh", l2_cosh},         {"tanh", l2_tanh},       {"sigmoid", l2_sigmoid},
    {"relu", l2_relu},         {"silu", l2_silu},       {"erf", l2_erf},
    {"floor", l2_floor},       {"ceil", l2_ceil},       {"round", l2_round},
    {"trunc", l2_trunc},       {"logical_not", l2_logical_not}, {"leaky_relu", leaky},
    {"elu", elu},              {"gelu", gelu_e},        {"gelu_tanh", gelu_t},
    {"softplus", softplus},    {"clamp", clamp},        {"clamp lo>hi", clamp_rev},
    {"add_scalar", addsc},     {"sub_scalar", subsc},   {"mul_scalar", mulsc},
    {"div_scalar", divsc},     {"pow_scalar 2", powsc}, {"pow_scalar 0.5", powsc_h},
    {"rsub_scalar", rsubsc},   {"eq_scalar", eqsc},     {"ne_scalar", nesc},
    {"lt_scalar", ltsc},       {"le_scalar", lesc},     {"gt_scalar", gtsc},
    {"ge_scalar", gesc},       {"softmax 1", softmax1}, {"softmax 0", softmax0},
    {"log_softmax 1", lsoftmax1}, {"log_softmax 0", lsoftmax0}, {"cumsum 0", cumsum0},
    {"cumsum 1", cumsum1},     {"masked_fill", masked}, {"where", where0},
    {"dropout p=0", dropout0}, {"contiguous", l2_contiguous}, {"clone", l2_clone},
};

static l2_tensor *addalpha(const l2_tensor *a, const l2_tensor *b)
{
    return l2_add_alpha(a, b, -2);
}
static l2_tensor *mse(const l2_tensor *a, const l2_tensor *b)
{
    return l2_mse_loss(a, b, L2_REDUCTION_NONE);
}
static l2_tensor *l1(const l2_tensor *a, const l2_tensor *b)
{
    return l2_l1_loss(a, b, L2_REDUCTION_NONE);
}
static l2_tensor *bcel(const l2_tensor *a, const l2_tensor *b)
{
    l2_tensor *p = l2_sigmoid(b);
    l2_tensor *r = l2_binary_cross_entropy_with_logits(a, p, L2_REDUCTION_NONE);
    l2_tensor_release(p);
    return r;
}
static l2_tensor *bce(const l2_tensor *a, const l2_tensor *b)
{
    l2_tensor *p = l2_sigmoid(a), *q = l2_sigmoid(b);
    l2_tensor *r = l2_binary_cross_entropy(p, q, L2_REDUCTION_NONE);
    l2_tensor_release(p);
    l2_tensor_release(q);
    return r;
}

static const struct {
    const char *name;
    bin_fn f;
} BINARY[] = {
    {"add", l2_add},         {"add_alpha", addalpha}, {"sub", l2_sub},
    {"mul", l2_mul},         {"div", l2_div},         {"pow", l2_pow},
    {"maximum", l2_maximum}, {"minimum", l2_minimum}, {"atan2", l2_atan2},
    {"fmod", l2_fmod},       {"remainder", l2_remainder}, {"eq", l2_eq},
    {"ne", l2_ne},           {"lt", l2_lt},           {"le", l2_le},
    {"gt", l2_gt},           {"ge", l2_ge},           {"logical_and", l2_logical_and},
    {"logical_or", l2_logical_or}, {"logical_xor", l2_logical_xor}, {"mse", mse},
    {"l1", l1},              {"bce_logits", bcel},    {"bce", bce},
};

/* The gradient of sum(f(x) * w) with respect to the leaf base, for a fixed weight w, as a
 * contiguous (R, C) tensor (the transpose for the strided base), or NULL. */
static l2_tensor *grad_of(l2_tensor *y, l2_tensor *leaf, bool transposed)
{
    if (!y || !l2_requires_grad(y) || l2_dtype_of(y) == L2_BOOL)
        return NULL;
    l2_tensor *w = l2_cos(y); /* any fixed, varied weight */
    l2_tensor *wd = l2_detach(w);
    l2_tensor *p = l2_mul(y, wd);
    l2_tensor *s = l2_sum(p);
    l2_tensor *g = NULL;
    if (s && l2_backward(s, NULL, false) == L2_OK && l2_grad(leaf)) {
        g = transposed ? l2_t(l2_grad(leaf)) : l2_tensor_ref(l2_grad(leaf));
    }
    l2_tensor_release(s);
    l2_tensor_release(p);
    l2_tensor_release(wd);
    l2_tensor_release(w);
    return g;
}

/* Fixed weights for the losses: 1 + VALS / 10, contiguous (R, C) of dtype dt. */
static l2_tensor *weights(l2_dtype dt)
{
    l2_tensor *v = contig(dt);
    l2_tensor *s = l2_mul_scalar(v, 0.1);
    l2_tensor *w = l2_add_scalar(s, 1);
    l2_tensor_release(s);
    l2_tensor_release(v);
    return w;
}

/* The gradient reaching a leaf through one of six routes; routes 2k and 2k+1 must agree:
 *   0: sum(f(x) * w)             1: sum(t(f(x)) * t(w))     (a transposed incoming gradient)
 *   2: sum(f(x))                 3: sum(f(x) * ones)        (a broadcast incoming gradient)
 *   4: f(expand(s)) for a (1,1) leaf s, weighted; 5: the same through a contiguous copy.
 * For a binary f the leaf is the first operand (side 0) or the second (side 1); the other
 * operand is the negated values. */
static l2_tensor *grad_route(un_fn fu, bin_fn fb, int side, l2_dtype dt, int route)
{
    l2_tensor *leaf, *in, *tmp = NULL;
    if (route >= 4) {
        leaf = l2_full(2, (int64_t[]){1, 1}, 0.75, dt);
        l2_set_requires_grad(leaf, true);
        tmp = l2_expand(leaf, 2, (int64_t[]){R, C});
        in = route == 4 ? l2_tensor_ref(tmp) : l2_contiguous(tmp);
    } else {
        leaf = contig(dt);
        l2_set_requires_grad(leaf, true);
        in = l2_tensor_ref(leaf);
    }
    l2_tensor *other = NULL, *y;
    if (fu) {
        y = fu(in);
    } else {
        l2_tensor *c = contig(dt);
        other = l2_mul_scalar(c, -1);
        l2_tensor_release(c);
        y = side == 0 ? fb(in, other) : fb(other, in);
    }
    l2_tensor *w = weights(dt), *loss = NULL, *a = NULL, *b = NULL;
    if (y && l2_requires_grad(y)) {
        switch (route) {
        case 1:
            a = l2_t(y);
            b = l2_t(w);
            break;
        case 2: a = l2_tensor_ref(y); break;
        case 3:
            a = l2_tensor_ref(y);
            b = l2_ones_like(y);
            break;
        default:
            a = l2_tensor_ref(y);
            b = l2_tensor_ref(w);
            break;
        }
        l2_tensor *p = b ? l2_mul(a, b) : l2_tensor_ref(a);
        loss = l2_sum(p);
        l2_tensor_release(p);
    }
    l2_tensor *g = NULL;
    if (loss && l2_backward(loss, NULL, false) == L2_OK && l2_grad(leaf))
        g = l2_clone(l2_grad(leaf));
    l2_tensor *all[] = {loss, a, b, w, y, other, in, tmp, leaf};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);
    return g;
}

/* Whether the three route pairs agree for f over float32 and float64; counts pairs compared. */
static int routes_agree(un_fn fu, bin_fn fb, int side, const char *name, int *pairs)
{
    static const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64};
    int good = 1;
    for (int d = 0; d < 2; d++)
        for (int pr = 0; pr < 3; pr++) {
            l2_tensor *g0 = grad_route(fu, fb, side, dts[d], 2 * pr);
            l2_tensor *g1 = grad_route(fu, fb, side, dts[d], 2 * pr + 1);
            if (g0 || g1) {
                (*pairs)++;
                if (!same(g0, g1, 100 * tol_of(dts[d]))) {
                    good = 0;
                    tap_diag("%s %s side %d: gradient routes %d and %d differ", name,
                             l2_dtype_name(dts[d]), side, 2 * pr, 2 * pr + 1);
                }
            }
            l2_tensor_release(g0);
            l2_tensor_release(g1);
        }
    return good;
}

static void test_grad_routes(void)
{
    int good = 1, pairs = 0;
    for (size_t k = 0; k < sizeof UNARY / sizeof UNARY[0]; k++)
        good &= routes_agree(UNARY[k].f, NULL, 0, UNARY[k].name, &pairs);
    ok(good && pairs > 100, "unary ops: transposed, broadcast and expanded gradients agree with "
       "the plain ones (%d pairs)", pairs);
    good = 1;
    pairs = 0;
    for (size_t k = 0; k < sizeof BINARY / sizeof BINARY[0]; k++)
        for (int side = 0; side < 2; side++)
            good &= routes_agree(NULL, BINARY[k].f, side, BINARY[k].name, &pairs);
    ok(good && pairs > 50, "binary ops: the same for both operands (%d pairs)", pairs);
}

static void test_unary(void)
{
    static const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL};
    for (size_t k = 0; k < sizeof UNARY / sizeof UNARY[0]; k++) {
        int agree = 1, grads = 1, ran = 0;
        for (int d = 0; d < 4; d++) {
            l2_dtype dt = dts[d];
            bool fl = dt == L2_FLOAT32 || dt == L2_FLOAT64;
            l2_tensor *a = contig(dt), *base = NULL;
            l2_tensor *b0 = NULL;
            if (fl)
                l2_set_requires_grad(a, true);
            b0 = contig(dt); /* placeholder so that both paths allocate alike */
            l2_tensor_release(b0);
            l2_tensor *bt = strided(dt, &base);
            l2_tensor_release(bt);
            if (fl)
                l2_set_requires_grad(base, true);
            bt = l2_t(base);
            l2_clear_error();
            l2_tensor *ya = UNARY[k].f(a);
            l2_status sa = l2_last_status();
            l2_clear_error();
            l2_tensor *yb = UNARY[k].f(bt);
            l2_status sb = l2_last_status();
            if (!ya || !yb) {
                if (!ya != !yb || sa != sb) {
                    agree = 0;
                    tap_diag("%s %s: contiguous %s, strided %s", UNARY[k].name, l2_dtype_name(dt),
                         l2_status_name(sa), l2_status_name(sb));
                }
            } else {
                ran++;
                if (!same(ya, yb, tol_of(dt))) {
                    agree = 0;
                    tap_diag("%s %s: values differ between layouts", UNARY[k].name,
                         l2_dtype_name(dt));
                }
                if (fl) {
                    l2_tensor *ga = grad_of(ya, a, false), *gb = grad_of(yb, base, true);
                    if (!same(ga, gb, 10 * tol_of(dt))) {
                        grads = 0;
                        tap_diag("%s %s: gradients differ between layouts", UNARY[k].name,
                             l2_dtype_name(dt));
                    }
                    l2_tensor_release(ga);
                    l2_tensor_release(gb);
                }
            }
            l2_tensor_release(ya);
            l2_tensor_release(yb);
            l2_tensor_release(bt);
            l2_tensor_release(base);
            l2_tensor_release(a);
        }
        ok(agree && grads && ran > 0, "%s: contiguous and strided agree (values, gradients, "
           "errors) over 4 dtypes (%d ran)", UNARY[k].name, ran);
    }
}

static void test_binary(void)
{
    static const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL};
    for (size_t k = 0; k < sizeof BINARY / sizeof BINARY[0]; k++) {
        int agree = 1, ran = 0;
        for (int d = 0; d < 4; d++) {
            l2_dtype dt = dts[d];
            bool fl = dt == L2_FLOAT32 || dt == L2_FLOAT64;
            /* x: the values; y: the values negated (bool: not), so that both signs meet. */
            l2_tensor *x = contig(dt), *xbase = NULL, *ybase = NULL;
            l2_tensor *yc0 = l2_mul_scalar(x, -1);
            l2_tensor *y = yc0 ? yc0 : l2_logical_not(x);
            if (!yc0)
                l2_clear_error();
            l2_tensor *xs = strided(dt, &xbase);
            l2_tensor *yt = l2_t(y), *ybc = l2_contiguous(yt), *ys = l2_t(ybc);
            l2_tensor_release(yt);
            ybase = ybc;
            if (fl) {
                l2_set_requires_grad(x, true);
                l2_set_requires_grad(xbase, true);
                l2_set_requires_grad(y, true);
                l2_set_requires_grad(ybase, true);
            }
            l2_tensor_release(xs);
            l2_tensor_release(ys);
            xs = l2_t(xbase);
            ys = l2_t(ybase);
            /* The scalar-broadcast path: y's element [1,2] as a (1,1) tensor, against the same
             * value expanded into a contiguous (R, C) tensor. */
            l2_tensor *y1 = l2_narrow(y, 0, 1, 1), *y11 = l2_narrow(y1, 1, 2, 1);
            l2_tensor *yexp = l2_expand(y11, 2, (int64_t[]){R, C});
            l2_tensor *yfull = l2_contiguous(yexp);

            l2_clear_error();
            l2_tensor *r1 = BINARY[k].f(x, y);
            l2_status s1 = l2_last_status();
            l2_clear_error();
            l2_tensor *r2 = BINARY[k].f(xs, ys);
            l2_status s2 = l2_last_status();
            l2_tensor *r3 = BINARY[k].f(x, y11);
            l2_tensor *r4 = BINARY[k].f(x, yfull);
            l2_tensor *r5 = BINARY[k].f(y11, x); /* broadcast on the left */
            l2_tensor *r6 = BINARY[k].f(yfull, x);
            if (!r1 || !r2) {
                if (!r1 != !r2 || s1 != s2) {
                    agree = 0;
                    tap_diag("%s %s: contiguous %s, strided %s", BINARY[k].name, l2_dtype_name(dt),
                         l2_status_name(s1), l2_status_name(s2));
                }
            } else {
                ran++;
                double tol = tol_of(dt);
                /* Ops that do not broadcast (the losses) refuse the (1,1) operand. */
                bool bc_ok = r3 ? same(r3, r4, tol) && same(r5, r6, tol) : !r5;
                if (!same(r1, r2, tol) || !bc_ok) {
                    agree = 0;
                    tap_diag("%s %s: values differ between layouts", BINARY[k].name,
                         l2_dtype_name(dt));
                }
                if (fl) {
                    l2_tensor *ga = grad_of(r1, x, false), *gb = grad_of(r2, xbase, true);
                    if (!same(ga, gb, 10 * tol)) {
                        agree = 0;
                        tap_diag("%s %s: gradients differ between layouts", BINARY[k].name,
                             l2_dtype_name(dt));
                    }
                    l2_tensor_release(ga);
                    l2_tensor_release(gb);
                    l2_tensor *gc = grad_of(r3, y, false);
                    l2_tensor_release(gc);
                }
            }
            l2_tensor *all[] = {r1, r2, r3, r4, r5, r6, yfull, yexp, y11, y1, xs, ys, ybase,
                                xbase, y, x};
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                l2_tensor_release(all[i]);
        }
        ok(agree && ran > 0, "%s: contiguous, strided and broadcast agree over 4 dtypes (%d ran)",
           BINARY[k].name, ran);
    }
}

/* Bool with bool: each op must equal the int64 op on 0/1 values, converted to bool (or, for the
 * comparisons, unconverted); and int64 fmod/remainder against their definitions for every sign
 * of dividend and divisor, including -1. */
static void test_bool_int(void)
{
    static const struct {
        const char *name;
        bin_fn f;
    } ops[] = {{"add", l2_add}, {"add_alpha", addalpha}, {"mul", l2_mul},
               {"maximum", l2_maximum}, {"minimum", l2_minimum}, {"eq", l2_eq}, {"ne", l2_ne},
               {"lt", l2_lt}, {"le", l2_le}, {"gt", l2_gt}, {"ge", l2_ge},
               {"logical_and", l2_logical_and}, {"logical_or", l2_logical_or},
               {"logical_xor", l2_logical_xor}};
    bool xb[4] = {0, 0, 1, 1}, yb[4] = {0, 1, 0, 1};
    l2_tensor *x = l2_from_data(xb, 1, (int64_t[]){4}, L2_BOOL);
    l2_tensor *y = l2_from_data(yb, 1, (int64_t[]){4}, L2_BOOL);
    l2_tensor *xi = l2_to_dtype(x, L2_INT64), *yi = l2_to_dtype(y, L2_INT64);
    l2_tensor *y1 = l2_narrow(y, 0, 3, 1); /* the scalar path: true */
    l2_tensor *y1i = l2_to_dtype(y1, L2_INT64);
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        l2_tensor *rb = ops[k].f(x, y), *ri = ops[k].f(xi, yi);
        l2_tensor *sb = ops[k].f(x, y1), *si = ops[k].f(xi, y1i);
        l2_tensor *rib = ri ? l2_to_dtype(ri, L2_BOOL) : NULL;
        l2_tensor *sib = si ? l2_to_dtype(si, L2_BOOL) : NULL;
        ok(rb && l2_dtype_of(rb) == L2_BOOL && same(rb, rib, 0) && same(sb, sib, 0),
           "bool %s equals int64 %s on 0/1, elementwise and with a broadcast operand",
           ops[k].name, ops[k].name);
        l2_tensor *all[] = {rb, ri, sb, si, rib, sib};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            l2_tensor_release(all[i]);
    }
    l2_tensor *all[] = {x, y, xi, yi, y1, y1i};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);

    int64_t a[8] = {7, -7, 7, -7, 6, -6, INT64_MIN, 5};
    int64_t b[8] = {3, 3, -3, -3, -1, -1, -1, 5};
    l2_tensor *ta = l2_from_data(a, 1, (int64_t[]){8}, L2_INT64);
    l2_tensor *tb = l2_from_data(b, 1, (int64_t[]){8}, L2_INT64);
    l2_tensor *fm = l2_fmod(ta, tb), *rm = l2_remainder(ta, tb);
    int good = fm && rm;
    for (int64_t i = 0; good && i < 8; i++) {
        int64_t f = 0, r = 0;
        l2_get_int64(fm, &i, &f);
        l2_get_int64(rm, &i, &r);
        int64_t wf = b[i] == -1 ? 0 : a[i] % b[i];       /* C's %: the dividend's sign */
        int64_t wr = wf != 0 && ((wf < 0) != (b[i] < 0)) ? wf + b[i] : wf; /* the divisor's */
        if (f != wf || r != wr) {
            good = 0;
            tap_diag("%lld fmod/remainder %lld: got %lld, %lld; want %lld, %lld", (long long)a[i],
                     (long long)b[i], (long long)f, (long long)r, (long long)wf, (long long)wr);
        }
    }
    ok(good, "int64 fmod and remainder for all sign pairs, -1 and INT64_MIN");
    l2_tensor_release(rm);
    l2_tensor_release(fm);
    l2_tensor_release(tb);
    l2_tensor_release(ta);
}

/* The reductions of the losses agree with each other: SUM is the sum of NONE and MEAN its mean
 * (cross_entropy and nll_loss: over the targets not ignored), with gradients to match, for both
 * float dtypes and a transposed input. */
static void test_loss_reductions(void)
{
    int good = 1, ran = 0;
    for (int d = 0; d < 2; d++)
        for (int loss = 0; loss < 6; loss++)
            for (int layout = 0; layout < 2; layout++) {
                l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
                l2_tensor *base = NULL;
                l2_tensor *x = layout ? strided(dt, &base) : contig(dt); /* (R, C) */
                l2_tensor *w = weights(dt);
                l2_tensor *p = l2_sigmoid(w); /* targets in (0, 1) */
                int64_t cls[R] = {0, 4, -100, 2};
                l2_tensor *tg = l2_from_data(cls, 1, (int64_t[]){R}, L2_INT64);
                l2_tensor *r[3] = {NULL, NULL, NULL};
                for (int red = 0; red < 3; red++) {
                    l2_reduction rd = (l2_reduction)red; /* NONE, MEAN, SUM */
                    l2_tensor *sx = l2_sigmoid(x);
                    switch (loss) {
                    case 0: r[red] = l2_mse_loss(x, w, rd); break;
                    case 1: r[red] = l2_l1_loss(x, w, rd); break;
                    case 2: r[red] = l2_binary_cross_entropy(sx, p, rd); break;
                    case 3: r[red] = l2_binary_cross_entropy_with_logits(x, p, rd); break;
                    case 4: r[red] = l2_cross_entropy(x, tg, rd, -100, 0); break;
                    default: r[red] = l2_nll_loss(x, tg, rd, -100); break;
                    }
                    l2_tensor_release(sx);
                }
                if (r[0] && r[1] && r[2]) {
                    ran++;
                    double sum = 0, mean = 0, total = 0;
                    l2_tensor *st = l2_sum(r[0]);
                    l2_item(st, &total);
                    l2_item(r[2], &sum);
                    l2_item(r[1], &mean);
                    l2_tensor_release(st);
                    double count = loss >= 4 ? 3 : (double)(R * C); /* one target ignored */
                    double tol = d ? 1e-12 : 1e-5;
                    if (fabs(sum - total) > tol * (1 + fabs(total)) ||
                        fabs(mean - total / count) > tol * (1 + fabs(total))) {
                        good = 0;
                        tap_diag("loss %d %s layout %d: none-sum %g, sum %g, mean %g", loss,
                                 l2_dtype_name(dt), layout, total, sum, mean);
                    }
                } else {
                    good = 0;
                    tap_diag("loss %d %s layout %d failed: %s", loss, l2_dtype_name(dt), layout,
                             l2_last_error());
                }
                l2_tensor *all[] = {r[0], r[1], r[2], tg, p, w, x, base};
                for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                    l2_tensor_release(all[i]);
            }
    ok(good && ran == 24, "losses: SUM = sum(NONE), MEAN = SUM / count (%d cases)", ran);
}

/* In-place ops on a transposed view against the same op on a contiguous tensor. */
static void test_inplace(void)
{
    static const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL};
    int agree = 1;
    for (int d = 0; d < 4; d++) {
        l2_dtype dt = dts[d];
        for (int op = 0; op < 10; op++) {
            l2_tensor *a = contig(dt), *base = NULL;
            l2_tensor *b = strided(dt, &base);
            l2_tensor *o = contig(dt);
            l2_status sa = L2_OK, sb = L2_OK;
            switch (op) {
            case 0: sa = l2_add_(a, o); sb = l2_add_(b, o); break;
            case 1: sa = l2_sub_(a, o); sb = l2_sub_(b, o); break;
            case 2: sa = l2_mul_(a, o); sb = l2_mul_(b, o); break;
            case 3: sa = l2_div_(a, o); sb = l2_div_(b, o); break;
            case 4: sa = l2_add_scalar_(a, 3); sb = l2_add_scalar_(b, 3); break;
            case 5: sa = l2_mul_scalar_(a, -2); sb = l2_mul_scalar_(b, -2); break;
            case 6: sa = l2_clamp_(a, -1, 1); sb = l2_clamp_(b, -1, 1); break;
            case 7: sa = l2_relu_(a); sb = l2_relu_(b); break;
            case 8: sa = l2_fill_(a, 2); sb = l2_fill_(b, 2); break;
            default: sa = l2_copy_(a, o); sb = l2_copy_(b, o); break;
            }
            if (sa != sb || (sa == L2_OK && !same(a, b, tol_of(dt)))) {
                agree = 0;
                tap_diag("in-place op %d %s: %s / %s or values differ", op, l2_dtype_name(dt),
                     l2_status_name(sa), l2_status_name(sb));
            }
            l2_tensor_release(o);
            l2_tensor_release(b);
            l2_tensor_release(base);
            l2_tensor_release(a);
        }
    }
    ok(agree, "in-place ops: a transposed view ends like a contiguous tensor (4 dtypes)");
}

/* Conversions between every pair of dtypes, contiguous and strided, and copy_ across dtypes. */
static void test_convert(void)
{
    int agree = 1;
    for (int s = 0; s < L2_DTYPE_COUNT; s++)
        for (int t = 0; t < L2_DTYPE_COUNT; t++) {
            l2_tensor *a = contig((l2_dtype)s), *base = NULL;
            l2_tensor *b = strided((l2_dtype)s, &base);
            l2_tensor *ca = l2_to_dtype(a, (l2_dtype)t), *cb = l2_to_dtype(b, (l2_dtype)t);
            l2_tensor *da = l2_zeros(2, (int64_t[]){R, C}, (l2_dtype)t);
            l2_tensor *dbase = l2_zeros(2, (int64_t[]){C, R}, (l2_dtype)t);
            l2_tensor *db = l2_t(dbase);
            l2_status s1 = l2_copy_(da, a), s2 = l2_copy_(db, b);
            if (!same(ca, cb, 1e-6) || s1 != L2_OK || s2 != L2_OK || !same(da, db, 1e-6) ||
                !same(ca, da, 1e-6)) {
                agree = 0;
                tap_diag("%s -> %s: conversions differ", l2_dtype_name((l2_dtype)s),
                     l2_dtype_name((l2_dtype)t));
            }
            l2_tensor *all[] = {db, dbase, da, cb, ca, b, base, a};
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                l2_tensor_release(all[i]);
        }
    ok(agree, "to_dtype and copy_ agree over all 16 dtype pairs, contiguous and strided");
}

/* Reductions over each dim and all dims, keepdim or not, on both layouts. */
static void test_reduce(void)
{
    static const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL};
    const char *names[] = {"sum",    "mean",   "prod",   "max",    "min",     "argmax",
                           "argmin", "var",    "std",    "lse",    "norm1",   "norm2",
                           "norminf", "all",   "any",    "maxidx", "minidx",  "sum_all",
                           "mean_all", "prod_all", "max_all", "min_all", "argmax_all",
                           "argmin_all", "all_all", "any_all", "norm3_all"};
    int n = (int)(sizeof names / sizeof names[0]);
    for (int op = 0; op < n; op++) {
        int agree = 1, ran = 0;
        for (int d = 0; d < 4; d++)
            for (int dim = 0; dim < 2; dim++)
                for (int keep = 0; keep < 2; keep++) {
                    l2_dtype dt = dts[d];
                    l2_tensor *x[2], *base = NULL, *y[2] = {NULL, NULL}, *idx[2] = {NULL, NULL};
                    l2_status st[2];
                    x[0] = contig(dt);
                    x[1] = strided(dt, &base);
                    for (int l = 0; l < 2; l++) {
                        l2_clear_error();
                        const l2_tensor *t = x[l];
                        int dm[1] = {dim};
                        switch (op) {
                        case 0: y[l] = l2_sum_dims(t, 1, dm, keep); break;
                        case 1: y[l] = l2_mean_dims(t, 1, dm, keep); break;
                        case 2: y[l] = l2_prod_dim(t, dim, keep); break;
                        case 3: y[l] = l2_max_dim(t, dim, keep, NULL); break;
                        case 4: y[l] = l2_min_dim(t, dim, keep, NULL); break;
                        case 5: y[l] = l2_argmax_dim(t, dim, keep); break;
                        case 6: y[l] = l2_argmin_dim(t, dim, keep); break;
                        case 7: y[l] = l2_var(t, 1, dm, 1, keep); break;
                        case 8: y[l] = l2_std(t, 1, dm, 0, keep); break;
                        case 9: y[l] = l2_logsumexp(t, 1, dm, keep); break;
                        case 10: y[l] = l2_norm(t, 1, 1, dm, keep); break;
                        case 11: y[l] = l2_norm(t, 2, 1, dm, keep); break;
                        case 12: y[l] = l2_norm(t, INFINITY, 1, dm, keep); break;
                        case 13: y[l] = l2_all_dim(t, dim, keep); break;
                        case 14: y[l] = l2_any_dim(t, dim, keep); break;
                        case 15: y[l] = l2_max_dim(t, dim, keep, &idx[l]); break;
                        case 16: y[l] = l2_min_dim(t, dim, keep, &idx[l]); break;
                        case 17: y[l] = l2_sum(t); break;
                        case 18: y[l] = l2_mean(t); break;
                        case 19: y[l] = l2_prod(t); break;
                        case 20: y[l] = l2_max(t); break;
                        case 21: y[l] = l2_min(t); break;
                        case 22: y[l] = l2_argmax(t); break;
                        case 23: y[l] = l2_argmin(t); break;
                        case 24: y[l] = l2_all(t); break;
                        case 25: y[l] = l2_any(t); break;
                        default: y[l] = l2_norm(t, 3, 0, NULL, keep); break;
                        }
                        st[l] = l2_last_status();
                    }
                    if (!y[0] || !y[1]) {
                        if (!y[0] != !y[1] || st[0] != st[1])
                            agree = 0;
                    } else {
                        ran++;
                        if (!same(y[0], y[1], 10 * tol_of(dt)) || !same(idx[0], idx[1], 0))
                            agree = 0;
                    }
                    l2_tensor *all[] = {idx[0], idx[1], y[0], y[1], x[0], x[1], base};
                    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                        l2_tensor_release(all[i]);
                }
        ok(agree && ran > 0, "reduction %s: contiguous and strided agree (%d cases ran)",
           names[op], ran);
    }
}

int main(void)
{
    test_unary();
    test_binary();
    test_grad_routes();
    test_bool_int();
    test_loss_reductions();
    test_inplace();
    test_convert();
    test_reduce();
    return tap_done();
}
