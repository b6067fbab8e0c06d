/* loss2-act.c: torch.nn.functional.threshold as l2_nn_threshold (issue 14, area loss): one
 * typed loop per dtype over the strided iterator, its backward loop beside it. The result follows
 * the elementwise output layout rule (l2__new_like). No in-place variant. */
#include "elementwise-impl.h"

#include <math.h>

/* y = x <= threshold ? value : x, in x's dtype (threshold and value converted to it first, as
 * torch's scalar_t; NaN x is kept: NaN <= threshold is false) */
L2__EW_LOOP1(thr_f32, float, float, x, x <= (T)A ? (T)B : x)
L2__EW_LOOP1(thr_f64, double, double, x, x <= (T)A ? (T)B : x)
L2__EW_LOOP1(thr_i64, int64_t, int64_t, x, x <= IA ? IB : x)
/* dx = x <= threshold ? 0 : g (torch's threshold_backward: NaN x passes g) */
L2__EW_LOOP2(thr_gf32, float, float, float, g, v, v <= (T)A ? (T)0 : g)
L2__EW_LOOP2(thr_gf64, double, double, double, g, v, v <= (T)A ? (T)0 : g)

static const l2__loop_fn thr_fwd[L2_DTYPE_COUNT] = {
    [L2_FLOAT32] = thr_f32, [L2_FLOAT64] = thr_f64, [L2_INT64] = thr_i64};

l2_tensor *l2_nn_threshold(const l2_tensor *t, double threshold, double value)
{
    const char *op = "threshold";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "%s: \"threshold_cpu\" not implemented "
              "for 'Bool'", op);
    l2__ew_ctx c = {.a = threshold, .b = value};
    if (t->dtype == L2_INT64) {
        /* torch converts both scalars to int64 (truncating), refusing what does not fit */
        double a = trunc(threshold), b = trunc(value);
        L2__CHECK(a >= -0x1p63 && a < 0x1p63 && b >= -0x1p63 && b < 0x1p63, NULL, L2_ERR_ARG,
                  "%s: value cannot be converted to type int64_t without overflow (threshold "
                  "%g, value %g)", op, threshold, value);
        c.ia = (int64_t)a;
        c.ib = (int64_t)b;
    }
    l2_tensor *out = l2__new_like(op, t->ndim, t->shape, t->dtype, L2_DTYPE_COUNT, 1, &t);
    if (!out)
        return NULL;
    if (l2__is_float(t->dtype) && l2__needs_grad(1, &t)) {
        l2__node *node = l2__record_save(L2__OP_NN_THRESHOLD, out, 1, &t, 1, &t);
        if (!node) {
            l2_tensor_release(out);
            return NULL;
        }
        node->f[0] = threshold;
    }
    c.grain = L2__PARALLEL_GRAIN;
    l2__ew_run(out, 1, &t, thr_fwd[t->dtype], &c);
    return l2__ret(out);
}

/* dx = g where x > threshold (and where x is NaN), else 0, from the saved x. */
l2_status l2__nn_threshold_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    l2_tensor *v = l2__ew_convert("backward", n->saved[0], g->dtype);
    const l2_tensor *ins[2] = {g, v};
    l2_tensor *r =
        v ? l2__new_like("backward", g->ndim, g->shape, g->dtype, L2_DTYPE_COUNT, 2, ins) : NULL;
    if (r) {
        l2__ew_ctx c = {.a = n->f[0], .grain = L2__PARALLEL_GRAIN};
        l2__ew_run(r, 2, ins, g->dtype == L2_FLOAT64 ? thr_gf64 : thr_gf32, &c);
    }
    l2_tensor_release(v);
    gin[0] = r;
    return r ? L2_OK : L2_ERR_NOMEM;
}
