/* test-elementwise.c: binary ops with broadcasting and type promotion, tensor-number ops,
 * comparisons, logical ops, where, masked_fill, clamp and unary ops: hand-checked values in
 * float32 and float64, strided inputs, errors, out of memory and a 100,000-op chain.
 * (Gradients and in-place ops: test-elementwise-grad.c.) */
#include <l2.h>
#include <math.h>
#include <stdint.h>

#include "tap.h"
#include "gradcheck.h"
#include "elementwise-util.h"

/* ---- binary ops: hand-checked values ------------------------------------------------------ */

static void test_binary_values(void)
{
    for (int f = 0; f < 2; f++) {
        l2_dtype dt = FLOATS[f];
        double tol = tol_of(dt);
        char name[80];
#define NAME(s) (snprintf(name, sizeof name, "%s %s", s, l2_dtype_name(dt)), name)
        l2_tensor *row = mk(dt, L2_SHAPE(3), (double[]){1, 2, 3});
        l2_tensor *col = mk(dt, L2_SHAPE(2, 1), (double[]){10, 20});
        check(l2_add(row, col), dt, L2_SHAPE(2, 3), (double[]){11, 12, 13, 21, 22, 23}, tol,
              NAME("add (3) + (2,1)"));
        check(l2_add_alpha(row, col, -0.5), dt, L2_SHAPE(2, 3),
              (double[]){-4, -3, -2, -9, -8, -7}, tol, NAME("add_alpha"));
        check(l2_sub(row, col), dt, L2_SHAPE(2, 3), (double[]){-9, -8, -7, -19, -18, -17}, tol,
              NAME("sub"));
        check(l2_mul(col, row), dt, L2_SHAPE(2, 3), (double[]){10, 20, 30, 20, 40, 60}, tol,
              NAME("mul"));
        l2_tensor *den = mk(dt, L2_SHAPE(3), (double[]){2, 4, 8});
        check(l2_div(row, den), dt, L2_SHAPE(3), (double[]){0.5, 0.5, 0.375}, tol, NAME("div"));
        l2_tensor *base = mk(dt, L2_SHAPE(4), (double[]){2, 3, 4, -2});
        l2_tensor *ex = mk(dt, L2_SHAPE(4), (double[]){3, 2, 0.5, 2});
        check(l2_pow(base, ex), dt, L2_SHAPE(4), (double[]){8, 9, 2, 4}, tol, NAME("pow"));
        l2_tensor *p = mk(dt, L2_SHAPE(4), (double[]){1, NAN, 5, -1});
        l2_tensor *q = mk(dt, L2_SHAPE(4), (double[]){2, 0, NAN, -1});
        check(l2_maximum(p, q), dt, L2_SHAPE(4), (double[]){2, NAN, NAN, -1}, 0,
              NAME("maximum propagates NaN"));
        check(l2_minimum(p, q), dt, L2_SHAPE(4), (double[]){1, NAN, NAN, -1}, 0,
              NAME("minimum propagates NaN"));
        l2_tensor *y = mk(dt, L2_SHAPE(3), (double[]){1, 1, -1});
        l2_tensor *x = mk(dt, L2_SHAPE(3), (double[]){1, -1, -1});
        check(l2_atan2(y, x), dt, L2_SHAPE(3), (double[]){M_PI / 4, 3 * M_PI / 4, -3 * M_PI / 4},
              tol, NAME("atan2 quadrants"));
        l2_tensor *n = mk(dt, L2_SHAPE(4), (double[]){5, -5, 5, -5});
        l2_tensor *d = mk(dt, L2_SHAPE(4), (double[]){3, 3, -3, -3});
        check(l2_fmod(n, d), dt, L2_SHAPE(4), (double[]){2, -2, 2, -2}, tol,
              NAME("fmod takes the dividend's sign"));
        check(l2_remainder(n, d), dt, L2_SHAPE(4), (double[]){2, 1, -1, -2}, tol,
              NAME("remainder takes the divisor's sign"));
        /* Scalars. */
        check(l2_add_scalar(row, 0.5), dt, L2_SHAPE(3), (double[]){1.5, 2.5, 3.5}, tol,
              NAME("add_scalar"));
        check(l2_sub_scalar(row, 1), dt, L2_SHAPE(3), (double[]){0, 1, 2}, tol,
              NAME("sub_scalar"));
        check(l2_mul_scalar(row, -2), dt, L2_SHAPE(3), (double[]){-2, -4, -6}, tol,
              NAME("mul_scalar"));
        check(l2_div_scalar(row, 4), dt, L2_SHAPE(3), (double[]){0.25, 0.5, 0.75}, tol,
              NAME("div_scalar"));
        check(l2_pow_scalar(row, 2), dt, L2_SHAPE(3), (double[]){1, 4, 9}, tol,
              NAME("pow_scalar"));
        check(l2_pow_scalar(den, -0.5), dt, L2_SHAPE(3),
              (double[]){1 / sqrt(2.0), 0.5, 1 / sqrt(8.0)}, tol, NAME("pow_scalar -0.5"));
        check(l2_rsub_scalar(row, 10), dt, L2_SHAPE(3), (double[]){9, 8, 7}, tol,
              NAME("rsub_scalar"));
        /* Comparisons against a number and a broadcast tensor. */
        l2_tensor *c3 = mk(dt, L2_SHAPE(3), (double[]){1, 2, NAN});
        check(l2_lt_scalar(c3, 2), L2_BOOL, L2_SHAPE(3), (double[]){1, 0, 0}, 0, NAME("lt_s"));
        check(l2_le_scalar(c3, 2), L2_BOOL, L2_SHAPE(3), (double[]){1, 1, 0}, 0, NAME("le_s"));
        check(l2_gt_scalar(c3, 1), L2_BOOL, L2_SHAPE(3), (double[]){0, 1, 0}, 0, NAME("gt_s"));
        check(l2_ge_scalar(c3, 1), L2_BOOL, L2_SHAPE(3), (double[]){1, 1, 0}, 0, NAME("ge_s"));
        check(l2_eq_scalar(c3, 2), L2_BOOL, L2_SHAPE(3), (double[]){0, 1, 0}, 0, NAME("eq_s"));
        check(l2_ne_scalar(c3, 2), L2_BOOL, L2_SHAPE(3), (double[]){1, 0, 1}, 0,
              NAME("ne_s (NaN is unequal)"));
        l2_tensor *c2 = mk(dt, L2_SHAPE(2, 1), (double[]){1, 2});
        check(l2_eq(c3, c2), L2_BOOL, L2_SHAPE(2, 3), (double[]){1, 0, 0, 0, 1, 0}, 0,
              NAME("eq broadcast"));
        check(l2_ne(c3, c2), L2_BOOL, L2_SHAPE(2, 3), (double[]){0, 1, 1, 1, 0, 1}, 0,
              NAME("ne broadcast"));
        check(l2_lt(c2, c3), L2_BOOL, L2_SHAPE(2, 3), (double[]){0, 1, 0, 0, 0, 0}, 0,
              NAME("lt broadcast"));
        check(l2_le(c2, c3), L2_BOOL, L2_SHAPE(2, 3), (double[]){1, 1, 0, 0, 1, 0}, 0,
              NAME("le broadcast"));
        check(l2_gt(c2, c3), L2_BOOL, L2_SHAPE(2, 3), (double[]){0, 0, 0, 1, 0, 0}, 0,
              NAME("gt broadcast"));
        check(l2_ge(c2, c3), L2_BOOL, L2_SHAPE(2, 3), (double[]){1, 0, 0, 1, 1, 0}, 0,
              NAME("ge broadcast"));
        /* Logical ops read x != 0 (NaN is true). */
        l2_tensor *la = mk(dt, L2_SHAPE(4), (double[]){0, 0, 2, NAN});
        l2_tensor *lb = mk(dt, L2_SHAPE(4), (double[]){0, -1, 0, 3});
        check(l2_logical_and(la, lb), L2_BOOL, L2_SHAPE(4), (double[]){0, 0, 0, 1}, 0,
              NAME("logical_and"));
        check(l2_logical_or(la, lb), L2_BOOL, L2_SHAPE(4), (double[]){0, 1, 1, 1}, 0,
              NAME("logical_or"));
        check(l2_logical_xor(la, lb), L2_BOOL, L2_SHAPE(4), (double[]){0, 1, 1, 0}, 0,
              NAME("logical_xor"));
        check(l2_logical_not(la), L2_BOOL, L2_SHAPE(4), (double[]){1, 1, 0, 0}, 0,
              NAME("logical_not"));
        /* where / masked_fill / clamp. */
        l2_tensor *cond = mk(L2_BOOL, L2_SHAPE(2, 1), (double[]){1, 0});
        check(l2_where(cond, row, col), dt, L2_SHAPE(2, 3), (double[]){1, 2, 3, 20, 20, 20}, tol,
              NAME("where three-way broadcast"));
        l2_tensor *mask = mk(L2_BOOL, L2_SHAPE(3), (double[]){0, 1, 0});
        check(l2_masked_fill(col, mask, -7), dt, L2_SHAPE(2, 3),
              (double[]){10, -7, 10, 20, -7, 20}, tol, NAME("masked_fill broadcasts"));
        l2_tensor *cl = mk(dt, L2_SHAPE(5), (double[]){-2, -0.5, 0.25, 3, NAN});
        check(l2_clamp(cl, -1, 1), dt, L2_SHAPE(5), (double[]){-1, -0.5, 0.25, 1, NAN}, tol,
              NAME("clamp"));
        check(l2_clamp(cl, -INFINITY, 0), dt, L2_SHAPE(5), (double[]){-2, -0.5, 0, 0, NAN}, tol,
              NAME("clamp max only"));
        check(l2_clamp(cl, 0, INFINITY), dt, L2_SHAPE(5), (double[]){0, 0, 0.25, 3, NAN}, tol,
              NAME("clamp min only"));
        check(l2_clamp(cl, 2, 1), dt, L2_SHAPE(5), (double[]){1, 1, 1, 1, NAN}, tol,
              NAME("clamp min > max gives max"));
        l2_tensor *rel[] = {row, col, den, base, ex, p, q, y, x, n, d, c3, c2, la, lb, cond, mask,
                            cl};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++)
            l2_tensor_release(rel[i]);
#undef NAME
    }
}

/* Integer and bool arithmetic. */
static void test_integer_ops(void)
{
    l2_tensor *a = mk(L2_INT64, L2_SHAPE(4), (double[]){7, -7, 7, -7});
    l2_tensor *b = mk(L2_INT64, L2_SHAPE(4), (double[]){2, 2, -2, -2});
    check(l2_add(a, b), L2_INT64, L2_SHAPE(4), (double[]){9, -5, 5, -9}, 0, "int add");
    check(l2_mul(a, b), L2_INT64, L2_SHAPE(4), (double[]){14, -14, -14, 14}, 0, "int mul");
    check(l2_div(a, b), L2_FLOAT32, L2_SHAPE(4), (double[]){3.5, -3.5, -3.5, 3.5}, 0,
          "int / int is float32 true division");
    check(l2_fmod(a, b), L2_INT64, L2_SHAPE(4), (double[]){1, -1, 1, -1}, 0, "int fmod");
    check(l2_remainder(a, b), L2_INT64, L2_SHAPE(4), (double[]){1, 1, -1, -1}, 0,
          "int remainder");
    check(l2_pow(a, b), L2_INT64, L2_SHAPE(4), (double[]){49, 49, 0, 0}, 0,
          "int pow (negative exponent gives 0)");
    check(l2_pow_scalar(a, 3), L2_INT64, L2_SHAPE(4), (double[]){343, -343, 343, -343}, 0,
          "int pow_scalar");
    check(l2_add_alpha(a, b, 3), L2_INT64, L2_SHAPE(4), (double[]){13, -1, 1, -13}, 0,
          "int add_alpha");
    check(l2_maximum(a, b), L2_INT64, L2_SHAPE(4), (double[]){7, 2, 7, -2}, 0, "int maximum");
    check(l2_add_scalar(a, 2.5), L2_FLOAT32, L2_SHAPE(4), (double[]){9.5, -4.5, 9.5, -4.5}, 0,
          "int + 2.5 -> float32");
    check(l2_mul_scalar(a, 2), L2_INT64, L2_SHAPE(4), (double[]){14, -14, 14, -14}, 0,
          "int * 2 stays int64");
    check(l2_div_scalar(a, 2), L2_FLOAT32, L2_SHAPE(4), (double[]){3.5, -3.5, 3.5, -3.5}, 0,
          "int / 2 -> float32");
    check(l2_gt_scalar(a, 6.5), L2_BOOL, L2_SHAPE(4), (double[]){1, 0, 1, 0}, 0, "int > 6.5");
    check(l2_clamp(a, -3, 5), L2_INT64, L2_SHAPE(4), (double[]){5, -3, 5, -3}, 0, "int clamp");
    check(l2_clamp(a, -2.5, INFINITY), L2_FLOAT32, L2_SHAPE(4), (double[]){7, -2.5, 7, -2.5}, 0,
          "int clamp with a float bound -> float32");
    /* Wrap-around like torch's int64. */
    l2_tensor *big = mk(L2_INT64, L2_SHAPE(1), (double[]){4611686018427387904.0}); /* 2^62 */
    l2_tensor *w = l2_mul_scalar(big, 4);
    int64_t v = -1;
    l2_get_int64(w, (const int64_t[]){0}, &v);
    is_int(v, 0, "int64 mul wraps around (2^62 * 4 == 0)");
    l2_tensor_release(w);
    l2_tensor_release(big);

    l2_tensor *t = mk(L2_BOOL, L2_SHAPE(3), (double[]){1, 0, 1});
    l2_tensor *u = mk(L2_BOOL, L2_SHAPE(3), (double[]){1, 1, 0});
    check(l2_add(t, u), L2_BOOL, L2_SHAPE(3), (double[]){1, 1, 1}, 0, "bool + bool is or");
    check(l2_mul(t, u), L2_BOOL, L2_SHAPE(3), (double[]){1, 0, 0}, 0, "bool * bool is and");
    check(l2_add_scalar(t, 1), L2_INT64, L2_SHAPE(3), (double[]){2, 1, 2}, 0,
          "bool + 1 -> int64");
    check(l2_div(t, u), L2_FLOAT32, L2_SHAPE(3), (double[]){1, 0, INFINITY}, 0,
          "bool / bool -> float32");
    check_err(!l2_where(t, a, b), L2_ERR_SHAPE, "where (3) vs (4)", "[3]", "[4]");
    l2_tensor *m = mk(L2_BOOL, L2_SHAPE(4), (double[]){0, 1, 0, 1});
    check(l2_masked_fill(a, m, 2.9), L2_INT64, L2_SHAPE(4), (double[]){7, 2, 7, 2}, 0,
          "masked_fill converts the value to int64");
    l2_tensor_release(m);
    l2_tensor_release(a);
    l2_tensor_release(b);
    l2_tensor_release(t);
    l2_tensor_release(u);
}

/* torch.result_type through l2_add: dimensioned vs 0-d operands, and numbers. */
static void test_promotion(void)
{
    struct {
        l2_dtype a;
        bool a0;
        l2_dtype b;
        bool b0;
        l2_dtype want;
    } cases[] = {
        {L2_FLOAT32, false, L2_FLOAT64, false, L2_FLOAT64},
        {L2_FLOAT32, false, L2_FLOAT64, true, L2_FLOAT32},
        {L2_FLOAT64, true, L2_FLOAT32, false, L2_FLOAT32},
        {L2_INT64, false, L2_FLOAT32, true, L2_FLOAT32},
        {L2_INT64, false, L2_FLOAT64, true, L2_FLOAT64},
        {L2_INT64, false, L2_FLOAT32, false, L2_FLOAT32},
        {L2_BOOL, false, L2_INT64, true, L2_INT64},
        {L2_INT64, false, L2_BOOL, false, L2_INT64},
        {L2_BOOL, false, L2_BOOL, false, L2_BOOL},
        {L2_INT64, true, L2_FLOAT32, true, L2_FLOAT32},
        {L2_FLOAT64, true, L2_INT64, false, L2_FLOAT64},
        {L2_BOOL, false, L2_FLOAT64, true, L2_FLOAT64},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        l2_tensor *a = cases[k].a0 ? l2_scalar(1, cases[k].a) : l2_ones(L2_SHAPE(2), cases[k].a);
        l2_tensor *b = cases[k].b0 ? l2_scalar(1, cases[k].b) : l2_ones(L2_SHAPE(2), cases[k].b);
        l2_tensor *r = l2_add(a, b);
        ok(r && l2_dtype_of(r) == cases[k].want, "promotion %s%s + %s%s -> %s (got %s)",
           l2_dtype_name(cases[k].a), cases[k].a0 ? " 0-d" : "", l2_dtype_name(cases[k].b),
           cases[k].b0 ? " 0-d" : "", l2_dtype_name(cases[k].want),
           r ? l2_dtype_name(l2_dtype_of(r)) : "NULL");
        l2_tensor *c = l2_lt(a, b);
        ok(c && l2_dtype_of(c) == L2_BOOL, "comparison %zu gives bool", k);
        l2_tensor_release(c);
        l2_tensor_release(r);
        l2_tensor_release(a);
        l2_tensor_release(b);
    }
    struct {
        l2_dtype a;
        double s;
        l2_dtype want;
    } sc[] = {
        {L2_INT64, 2.5, L2_FLOAT32}, {L2_INT64, 2, L2_INT64},     {L2_BOOL, 2, L2_INT64},
        {L2_BOOL, 0.5, L2_FLOAT32},  {L2_FLOAT32, 2.5, L2_FLOAT32}, {L2_FLOAT64, 2, L2_FLOAT64},
        {L2_FLOAT32, 1e300, L2_FLOAT32}, {L2_INT64, 1e19, L2_FLOAT32},
    };
    for (size_t k = 0; k < sizeof sc / sizeof sc[0]; k++) {
        l2_tensor *a = l2_ones(L2_SHAPE(2), sc[k].a);
        l2_tensor *r = l2_mul_scalar(a, sc[k].s);
        ok(r && l2_dtype_of(r) == sc[k].want, "promotion %s * %g -> %s", l2_dtype_name(sc[k].a),
           sc[k].s, l2_dtype_name(sc[k].want));
        l2_tensor_release(r);
        l2_tensor_release(a);
    }
    l2_tensor *i = l2_ones(L2_SHAPE(2), L2_INT64), *f = l2_ones(L2_SHAPE(2), L2_FLOAT64);
    check(l2_div(i, i), L2_FLOAT32, L2_SHAPE(2), (double[]){1, 1}, 0, "div int int -> float32");
    check(l2_div(f, i), L2_FLOAT64, L2_SHAPE(2), (double[]){1, 1}, 0, "div f64 int -> float64");
    check(l2_atan2(i, i), L2_FLOAT32, L2_SHAPE(2), (double[]){M_PI / 4, M_PI / 4}, 1e-7,
          "atan2 int int -> float32");
    check(l2_exp(i), L2_FLOAT32, L2_SHAPE(2), (double[]){exp(1), exp(1)}, 1e-7,
          "exp of int64 -> float32");
    l2_tensor_release(i);
    l2_tensor_release(f);
}

/* ---- unary ops: values (the table UNARY is in elementwise-util.h) ---------------------- */

static void test_unary_values(void)
{
    for (size_t u = 0; u < N_UNARY; u++) {
        double xs[6];
        for (int k = 0; k < 6; k++) /* spread over the op's domain, avoiding its ends */
            xs[k] = UNARY[u].lo + (UNARY[u].hi - UNARY[u].lo) * (0.05 + 0.18 * k);
        for (int f = 0; f < 2; f++) {
            l2_dtype dt = FLOATS[f];
            double want[6]; /* the float32 reference sees the float32-rounded input */
            for (int k = 0; k < 6; k++)
                want[k] = UNARY[u].ref(dt == L2_FLOAT32 ? (double)(float)xs[k] : xs[k]);
            l2_tensor *t = mk(dt, L2_SHAPE(2, 3), xs);
            char name[64];
            snprintf(name, sizeof name, "%s %s", UNARY[u].name, l2_dtype_name(dt));
            check(UNARY[u].f(t), dt, L2_SHAPE(2, 3), want, dt == L2_FLOAT32 ? 4e-6 : 1e-13,
                  name);
            l2_tensor_release(t);
        }
    }
    /* Edge values by hand. */
    l2_tensor *t = mk(L2_FLOAT32, L2_SHAPE(6), (double[]){2.5, 3.5, -2.5, -1.5, 0.5, -0.4});
    check(l2_round(t), L2_FLOAT32, L2_SHAPE(6), (double[]){2, 4, -2, -2, 0, -0.0}, 0,
          "round half to even");
    check(l2_floor(t), L2_FLOAT32, L2_SHAPE(6), (double[]){2, 3, -3, -2, 0, -1}, 0, "floor");
    check(l2_ceil(t), L2_FLOAT32, L2_SHAPE(6), (double[]){3, 4, -2, -1, 1, 0}, 0, "ceil");
    check(l2_trunc(t), L2_FLOAT32, L2_SHAPE(6), (double[]){2, 3, -2, -1, 0, 0}, 0, "trunc");
    l2_tensor_release(t);
    t = mk(L2_FLOAT64, L2_SHAPE(4), (double[]){NAN, -0.0, -3, 0});
    check(l2_sign(t), L2_FLOAT64, L2_SHAPE(4), (double[]){0, 0, -1, 0}, 0, "sign (NaN -> 0)");
    check(l2_relu(t), L2_FLOAT64, L2_SHAPE(4), (double[]){NAN, 0, 0, 0}, 0, "relu keeps NaN");
    check(l2_sqrt(t), L2_FLOAT64, L2_SHAPE(4), (double[]){NAN, 0, NAN, 0}, 0, "sqrt of -3 NaN");
    check(l2_log(t), L2_FLOAT64, L2_SHAPE(4), (double[]){NAN, -INFINITY, NAN, -INFINITY}, 0,
          "log of 0 is -inf");
    l2_tensor_release(t);
    t = mk(L2_FLOAT32, L2_SHAPE(2), (double[]){100, -100});
    check(l2_sigmoid(t), L2_FLOAT32, L2_SHAPE(2), (double[]){1, 0}, 0, "sigmoid saturates");
    check(l2_softplus(t, 1, 20), L2_FLOAT32, L2_SHAPE(2), (double[]){100, 0}, 1e-30,
          "softplus above the threshold is linear");
    l2_tensor_release(t);

    /* Integers and bools. */
    l2_tensor *i = mk(L2_INT64, L2_SHAPE(3), (double[]){-3, 0, 2});
    check(l2_neg(i), L2_INT64, L2_SHAPE(3), (double[]){3, 0, -2}, 0, "neg int64");
    check(l2_abs(i), L2_INT64, L2_SHAPE(3), (double[]){3, 0, 2}, 0, "abs int64");
    check(l2_sign(i), L2_INT64, L2_SHAPE(3), (double[]){-1, 0, 1}, 0, "sign int64");
    check(l2_square(i), L2_INT64, L2_SHAPE(3), (double[]){9, 0, 4}, 0, "square int64");
    check(l2_relu(i), L2_INT64, L2_SHAPE(3), (double[]){0, 0, 2}, 0, "relu int64");
    check(l2_floor(i), L2_INT64, L2_SHAPE(3), (double[]){-3, 0, 2}, 0, "floor int64 is a copy");
    check(l2_sqrt(i), L2_FLOAT32, L2_SHAPE(3), (double[]){NAN, 0, sqrt(2.0f)}, 1e-7,
          "sqrt int64 -> float32");
    check(l2_reciprocal(i), L2_FLOAT32, L2_SHAPE(3), (double[]){-1 / 3.0f, INFINITY, 0.5}, 1e-7,
          "reciprocal int64 -> float32");
    l2_tensor *b = mk(L2_BOOL, L2_SHAPE(2), (double[]){1, 0});
    check(l2_square(b), L2_INT64, L2_SHAPE(2), (double[]){1, 0}, 0, "square bool -> int64");
    check(l2_sign(b), L2_BOOL, L2_SHAPE(2), (double[]){1, 0}, 0, "sign bool");
    check(l2_sigmoid(b), L2_FLOAT32, L2_SHAPE(2), (double[]){1 / (1 + exp(-1.0f)), 0.5}, 1e-7,
          "sigmoid bool -> float32");
    check(l2_logical_not(i), L2_BOOL, L2_SHAPE(3), (double[]){0, 1, 0}, 0, "logical_not int");
    check_err(!l2_neg(b), L2_ERR_DTYPE, "neg bool", "neg", "bool");
    check_err(!l2_leaky_relu(i, 0.1), L2_ERR_DTYPE, "leaky_relu int64", "leaky_relu", "int64");
    check_err(!l2_floor(b), L2_ERR_DTYPE, "floor bool", "floor", NULL);
    l2_tensor_release(i);
    l2_tensor_release(b);
}

/* Strided inputs (transposed, stepped, expanded) compute the same values as contiguous ones. */
static double max_abs_diff(const l2_tensor *x, const l2_tensor *y)
{
    l2_tensor *d = l2_abs(l2_sub(x, y)); /* scope-owned */
    double m = -1, v;
    int64_t n = l2_numel(d), cols = l2_shape(d)[1];
    for (int64_t k = 0; k < n; k++)
        if (l2_get(d, (const int64_t[]){k / cols, k % cols}, &v) == L2_OK && (v > m || m < 0))
            m = v;
    return m;
}

static void test_strided_forward(void)
{
    l2_scope_begin();
    l2_manual_seed(3);
    l2_tensor *base = l2_randn(L2_SHAPE(6, 10), L2_FLOAT64);
    l2_tensor *sl = l2_slice(l2_transpose(base, 0, 1), 0, 1, INT64_MAX, 3); /* (3, 6) */
    l2_tensor *r0 = l2_select(l2_slice(base, 1, 0, INT64_MAX, 2), 0, 2);   /* (5,) stride 2 */
    l2_tensor *ex = l2_expand(l2_unsqueeze(r0, 1), L2_SHAPE(5, 3));        /* stride 0 */
    l2_tensor *tr = l2_t(l2_slice(l2_narrow(base, 0, 0, 3), 1, 0, INT64_MAX, 2)); /* (5, 3) */
    double m1 = max_abs_diff(l2_mul(sl, sl), l2_mul(l2_contiguous(sl), l2_contiguous(sl)));
    double m2 = max_abs_diff(l2_atan2(ex, tr), l2_atan2(l2_contiguous(ex), l2_contiguous(tr)));
    double m3 = max_abs_diff(l2_tanh(tr), l2_tanh(l2_contiguous(tr)));
    ok(m1 == 0, "mul of a stepped transposed view matches contiguous (%g)", m1);
    ok(m2 == 0, "atan2 of an expanded and a transposed view matches contiguous (%g)", m2);
    ok(m3 == 0, "tanh of a transposed view matches contiguous (%g)", m3);
    /* A large strided op goes through the threaded iterator. */
    l2_tensor *bt = l2_t(l2_rand(L2_SHAPE(300, 400), L2_FLOAT32));
    double m4 = max_abs_diff(l2_mul(bt, bt), l2_square(l2_contiguous(bt)));
    ok(m4 == 0, "large transposed mul matches square of a copy (%g)", m4);
    l2_scope_end();
}

/* ---- errors ------------------------------------------------------------------------------- */

static void test_errors(void)
{
    l2_scope_begin(); /* owns every tensor made here */
    l2_tensor *a = l2_ones(L2_SHAPE(2, 3), L2_FLOAT32), *b = l2_ones(L2_SHAPE(4), L2_FLOAT32);
    check_err(!l2_add(a, b), L2_ERR_SHAPE, "add shapes", "add: shapes [2,3] and [4]", NULL);
    check_err(!l2_mul(b, a), L2_ERR_SHAPE, "mul shapes", "[4]", "[2,3]");
    check_err(!l2_lt(a, b), L2_ERR_SHAPE, "lt shapes", "lt", "[2,3]");
    check_err(!l2_where(l2_ones(L2_SHAPE(2, 1), L2_BOOL), a, b), L2_ERR_SHAPE, "where shapes",
              "where", "[4]");
    check_err(!l2_add(NULL, a), L2_ERR_NULL, "add NULL", "add", "'a'");
    check_err(!l2_div(a, NULL), L2_ERR_NULL, "div NULL", "div", "'b'");
    check_err(!l2_mul_scalar(NULL, 2), L2_ERR_NULL, "mul_scalar NULL", "mul", NULL);
    check_err(!l2_rsub_scalar(NULL, 2), L2_ERR_NULL, "rsub NULL", "rsub", NULL);
    check_err(!l2_exp(NULL), L2_ERR_NULL, "exp NULL", "exp", NULL);
    check_err(!l2_gelu(NULL, false), L2_ERR_NULL, "gelu NULL", "gelu", NULL);
    check_err(!l2_clamp(NULL, 0, 1), L2_ERR_NULL, "clamp NULL", "clamp", NULL);
    check_err(!l2_where(NULL, a, a), L2_ERR_NULL, "where NULL", "where", NULL);
    check_err(!l2_masked_fill(a, NULL, 0), L2_ERR_NULL, "masked_fill NULL", "masked_fill", NULL);
    check_err(!l2_logical_not(NULL), L2_ERR_NULL, "logical_not NULL", "logical_not", NULL);
    check_err(!l2_where(a, a, a), L2_ERR_DTYPE, "where float condition", "bool", NULL);
    check_err(!l2_masked_fill(a, a, 0), L2_ERR_DTYPE, "masked_fill float mask", "boolean", NULL);
    l2_tensor *bo = l2_ones(L2_SHAPE(2), L2_BOOL), *i = l2_ones(L2_SHAPE(2), L2_INT64);
    check_err(!l2_sub(bo, bo), L2_ERR_DTYPE, "bool - bool", "sub", "bool");
    /* torch refuses subtraction with any bool tensor operand, not only two. */
    check_err(!l2_sub(l2_ones(L2_SHAPE(2), L2_FLOAT32), bo), L2_ERR_DTYPE, "float - bool", "sub",
              "bool");
    check_err(!l2_sub(bo, i), L2_ERR_DTYPE, "bool - int64", "sub", "bool");
    check_err(!l2_sub_scalar(bo, 2), L2_ERR_DTYPE, "bool - 2", "sub", "bool");
    check_err(!l2_rsub_scalar(bo, 2), L2_ERR_DTYPE, "2 - bool", "sub", "bool");
    check_err(l2_sub_(l2_ones(L2_SHAPE(2), L2_FLOAT32), bo) != L2_OK, L2_ERR_DTYPE,
              "float -= bool", "sub_", "bool");
    check_err(!l2_pow(bo, bo), L2_ERR_DTYPE, "bool ** bool", "pow", "bool");
    check_err(!l2_fmod(bo, bo), L2_ERR_DTYPE, "fmod bool", "fmod", NULL);
    check_err(!l2_add_alpha(i, i, 0.5), L2_ERR_ARG, "int add_alpha 0.5", "alpha", NULL);
    check_err(!l2_pow_scalar(i, -1), L2_ERR_ARG, "int ** -1", "negative", NULL);
    l2_tensor *z = l2_zeros(L2_SHAPE(2), L2_INT64);
    check_err(!l2_fmod(i, z), L2_ERR_ARG, "int fmod by zero", "ZeroDivisionError", NULL);
    check_err(!l2_remainder(i, z), L2_ERR_ARG, "int remainder by zero", "remainder", NULL);
    check_err(!l2_softplus(a, 0, 20), L2_ERR_ARG, "softplus beta 0", "beta", NULL);
    check_err(!l2_clamp(a, NAN, 1), L2_ERR_ARG, "clamp NaN bound", "NaN", NULL);
    check_err(!l2_elu(i, 1), L2_ERR_DTYPE, "elu int64", "elu", "int64");
    check_err(!l2_abs(bo), L2_ERR_DTYPE, "abs bool", "abs", "bool");
    /* A failed call leaves the last message alone on later success. */
    l2_tensor *ok_ = l2_add(a, a);
    ok(ok_ && strstr(l2_last_error(), "abs") != NULL, "success keeps the last error message");
    /* Empty tensors. */
    l2_tensor *e = l2_ones(L2_SHAPE(0, 3), L2_FLOAT32);
    l2_tensor *er = l2_add(e, l2_ones(L2_SHAPE(3), L2_FLOAT64));
    ok(er && l2_numel(er) == 0 && l2_dtype_of(er) == L2_FLOAT64, "empty + (3,) -> empty");
    l2_tensor *eu = l2_exp(e);
    ok(eu && l2_numel(eu) == 0, "exp of an empty tensor");
    l2_scope_end();
}

/* pow with a number exponent follows torch's special cases (x*x, x*x*x, 1/(x*x), sqrt, 1/sqrt,
 * 1/x for 2, 3, -2, 0.5, -0.5, -1), which differ from C's pow at -inf and -0.0; the gradient
 * b * pow(a, b - 1) uses the same rule. Expected values come from those formulas. */
static void test_pow_special(void)
{
    static const double xs[] = {-INFINITY, -0.0, 0.0, INFINITY, -2.0, 3.0, NAN};
    static const double es[] = {0.5, -0.5, 2, 3, -2, -1, 1.5};
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = FLOATS[d];
        l2_tensor *x = l2_from_data(xs, L2_SHAPE(7), L2_FLOAT64);
        l2_tensor *xd = l2_to_dtype(x, dt);
        for (int k = 0; k < 7; k++) {
            double e = es[k], want[7], gwant[7];
            for (int j = 0; j < 7; j++) {
                double v = xs[j];
                want[j] = e == 0.5 ? sqrt(v) : e == -0.5 ? 1 / sqrt(v) : e == 2 ? v * v
                          : e == 3 ? v * v * v : e == -2 ? 1 / (v * v) : e == -1 ? 1 / v
                                                                             : pow(v, e);
                double em = e - 1; /* the gradient's pow(x, e - 1), same special cases */
                double p = em == 0.5 ? sqrt(v) : em == -0.5 ? 1 / sqrt(v) : em == 2 ? v * v
                           : em == -2 ? 1 / (v * v) : em == 1 ? v : pow(v, em);
                gwant[j] = e * p;
            }
            l2_tensor *xg = l2_detach(xd);
            l2_set_requires_grad(xg, true);
            l2_tensor *y = l2_pow_scalar(xg, e);
            l2_tensor *g = l2_ones_like(y);
            bool bw = y && l2_backward(y, g, false) == L2_OK;
            char name[64];
            snprintf(name, sizeof name, "pow_scalar special values, e = %g, %s", e,
                     l2_dtype_name(dt));
            /* Signs of zeros and infinities matter here: compare with copysign too. */
            bool same = y != NULL && bw;
            for (int j = 0; same && j < 7; j++) {
                int64_t ix[1] = {j};
                double v = NAN, gv = NAN;
                l2_get(y, ix, &v);
                l2_get(l2_grad(xg), ix, &gv);
                same = (isnan(v) && isnan(want[j])) ||
                       (v == (double)(dt == L2_FLOAT32 ? (float)want[j] : want[j]) &&
                        signbit(v) == signbit(want[j]));
                same = same && ((isnan(gv) && isnan(gwant[j])) || gv == gwant[j] ||
                                fabs(gv - gwant[j]) <= 1e-6 * fabs(gwant[j]));
                if (!same)
                    printf("#   x = %g: got %g (grad %g), want %g (grad %g)\n", xs[j], v, gv,
                           want[j], gwant[j]);
            }
            ok(same, "%s", name);
            l2_tensor_release(g);
            l2_tensor_release(y);
            l2_tensor_release(xg);
        }
        l2_tensor_release(xd);
        l2_tensor_release(x);
    }
}

/* Out of memory at every allocation of a few ops: a clean error, nothing leaks. */
static void test_oom(void)
{
    l2_tensor *a = l2_ones(L2_SHAPE(3, 2), L2_FLOAT64), *b = l2_ones(L2_SHAPE(2), L2_FLOAT32);
    l2_set_requires_grad(a, true);
    int failures = 0, nomem = 0, n;
    for (n = 0; n < 60; n++) {
        l2_tensor *h = l2_mul_scalar(a, 2);
        l2_debug_fail_alloc_after(n);
        l2_tensor *r = l2_mul(h, b), *u = l2_exp(h);
        l2_status st = l2_mul_(h, b);
        l2_debug_fail_alloc_after(-1);
        if (!r || !u || st != L2_OK) {
            failures++;
            nomem += l2_last_status() == L2_ERR_NOMEM;
        }
        l2_tensor_release(r);
        l2_tensor_release(u);
        l2_tensor_release(h);
        if (r && u && st == L2_OK)
            break; /* every allocation of the sequence succeeded */
    }
    ok(failures > 0 && failures == nomem && n < 60, "injected allocation failures report "
       "L2_ERR_NOMEM (%d of %d, all succeed from allocation %d on)", nomem, failures, n);
    l2_tensor_release(a);
    l2_tensor_release(b);
}

/* A chain of 100,000 ops backpropagates (iterative engine) and frees without deep recursion. */
static void test_long_chain(void)
{
    l2_tensor *x = l2_ones(L2_SHAPE(2), L2_FLOAT64);
    l2_tensor *g = l2_ones(L2_SHAPE(2), L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_scope_begin();
    l2_tensor *y = x;
    for (int k = 0; k < 100000; k++)
        y = (k & 1) ? l2_add_scalar(y, 0.5) : l2_mul_scalar(y, 1.00002);
    ok(y && l2_backward(y, g, false) == L2_OK, "backward through 100,000 ops");
    l2_scope_end();
    l2_tensor_release(g);
    double want = pow(1.00002, 50000), got = NAN;
    l2_get(l2_grad(x), (const int64_t[]){1}, &got);
    is_near(got, want, 1e-9 * want, "gradient of the chain is the product of the factors");
    l2_tensor_release(x);
}

int main(void)
{
    test_binary_values();
    test_integer_ops();
    test_promotion();
    test_unary_values();
    test_strided_forward();
    test_errors();
    test_pow_special();
    test_oom();
    test_long_chain();
    {
        /* Special values found by the oracle: elu(-0.0) is +0.0 and the elu and relu gradients
         * at NaN are the upstream gradient (torch); an in-place div_ of float32 by float64 gives
         * the float64 operand a float64-precision gradient (torch). */
        double xs[2] = {-0.0, NAN};
        l2_tensor *x = l2_from_data(xs, L2_SHAPE(2), L2_FLOAT64);
        l2_set_requires_grad(x, true);
        l2_tensor *e = l2_elu(x, 1.0);
        double e0 = NAN;
        l2_get(e, (const int64_t[]){0}, &e0);
        ok(e0 == 0 && !signbit(e0), "elu(-0.0) is +0.0 (got %g)", e0);
        l2_tensor *g = l2_full(L2_SHAPE(2), 0.5, L2_FLOAT64);
        l2_backward(e, g, false);
        double ge = NAN;
        l2_get(l2_grad(x), (const int64_t[]){1}, &ge);
        ok(ge == 0.5, "elu gradient at NaN is dy (got %g)", ge);
        l2_tensor_release(e);
        l2_tensor_release(x);
        x = l2_from_data(xs, L2_SHAPE(2), L2_FLOAT64);
        l2_set_requires_grad(x, true);
        l2_tensor *r = l2_relu(x);
        l2_backward(r, g, false);
        double gr = NAN;
        l2_get(l2_grad(x), (const int64_t[]){1}, &gr);
        ok(gr == 0.5, "relu gradient at NaN is dy (got %g)", gr);
        l2_tensor_release(r);
        l2_tensor_release(x);
        l2_tensor *a = l2_ones(L2_SHAPE(1), L2_FLOAT32);
        double bs[1] = {3.0};
        l2_tensor *b = l2_from_data(bs, L2_SHAPE(1), L2_FLOAT64);
        l2_set_requires_grad(b, true);
        l2_tensor *y = l2_clone(a);
        ok(l2_div_(y, b) == L2_OK, "div_ float32 by float64");
        l2_tensor *g1 = l2_ones(L2_SHAPE(1), L2_FLOAT32);
        l2_backward(y, g1, false);
        double gb = NAN;
        l2_get(l2_grad(b), (const int64_t[]){0}, &gb);
        ok(fabs(gb + 1.0 / 9.0) < 1e-15, "div_ gradient of a float64 operand in float64 (%.17g)",
           gb);
        l2_tensor_release(y);
        l2_tensor_release(a);
        l2_tensor_release(b);
        l2_tensor_release(g1);
        l2_tensor_release(g);
    }
    {
        /* torch refuses a fill value outside int64 (NaN, inf, 1e19) for int64 tensors. */
        l2_tensor *ti = l2_zeros(L2_SHAPE(3), L2_INT64);
        l2_tensor *m = l2_ones(L2_SHAPE(3), L2_BOOL);
        ok(!l2_masked_fill(ti, m, INFINITY) && l2_last_status() == L2_ERR_ARG,
           "masked_fill int64 with inf: %s", l2_last_error());
        ok(!l2_masked_fill(ti, m, NAN) && l2_last_status() == L2_ERR_ARG,
           "masked_fill int64 with nan");
        l2_tensor_release(ti);
        l2_tensor_release(m);
    }
    return tap_done();
}
