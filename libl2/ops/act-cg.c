/* act-cg.c: the differentiable backwards (create_graph, issue 15) of the activations of
 * activation.c and of prelu (prelu.c): the same derivatives as their gradient loops, with
 * recorded public ops on the saved x (and weight) read attached to their graphs, so that their
 * own derivatives are torch 1.13's double backwards: zero w.r.t. x through hardtanh's masked
 * kernel, hardswish's x / 3 term only strictly inside
 * (-3, 3), selu and celu as elu_double_backward, mish as infinitely_differentiable_mish_backward,
 * logsigmoid as log_sigmoid_double_backward, softsign and tanhshrink as their compositions,
 * prelu as prelu_double_backward (masks x > 0, x <= 0). hardsigmoid has none (not in L2__CG_ACT:
 * create_graph through it fails with L2_ERR_AUTOGRAD), as torch 1.13, which does not implement
 * the derivative of hardsigmoid_backward (torch fails later, when the gradient is
 * differentiated; libl2 when it is computed with create_graph).
 *
 * Node layout: activation.c (act_impl): saved[0] = x, f[0], f[1] the op's parameters
 * (hardtanh's bounds, celu's alpha); prelu.c: saved[0] = x, saved[1] = weight (0-d, or 1-d of 1
 * or C = x's dim 1 elements). */
#include "cg-scratch.h"

#include <math.h>

#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

static l2_status act_cg(l2__node *n, const l2_tensor *gc, l2_tensor **gin)
{
    cg_scratch S = {0};
    l2_tensor *g = (l2_tensor *)gc, *r = NULL;
    double a = n->f[0], b = n->f[1];
    l2_tensor *x = CG(l2__saved_graph(n, 0));
    l2_tensor *zero = CG(l2_scalar(0, g->dtype));
    switch (n->op) {
    case L2__OP_HARDTANH: /* lo < x < hi ? g : 0 */
        r = CG(l2_where(CG(l2_logical_and(CG(l2_gt_scalar(x, a)), CG(l2_lt_scalar(x, b)))), g,
                        zero));
        break;
    case L2__OP_HARDSWISH: { /* x < -3 ? 0 : x >= 3 ? g : g (x / 3 + 1/2) */
        l2_tensor *in = CG(l2_logical_and(CG(l2_gt_scalar(x, -3)), CG(l2_lt_scalar(x, 3))));
        l2_tensor *xa = S.st ? NULL : cg_attach_where(&S, in, x);
        l2_tensor *mid = CG(l2_mul(g, CG(l2_add_scalar(CG(l2_div_scalar(xa, 3)), 0.5))));
        r = CG(l2_where(CG(l2_lt_scalar(x, -3)), zero,
                        CG(l2_where(CG(l2_ge_scalar(x, 3)), g, mid))));
        break;
    }
    case L2__OP_MISH: { /* g (t + x s (1 - t^2)), t = tanh(softplus(x)), s = sigmoid(x) */
        l2_tensor *t = CG(l2_tanh(CG(l2_softplus(x, 1, 20))));
        l2_tensor *s = CG(l2_sigmoid(x));
        l2_tensor *u = CG(l2_mul(CG(l2_mul(x, s)), CG(l2_rsub_scalar(CG(l2_mul(t, t)), 1))));
        r = CG(l2_mul(g, CG(l2_add(t, u))));
        break;
    }
    case L2__OP_SELU: /* x <= 0 ? g scale alpha e^x : g scale */
        r = CG(l2_where(CG(l2_le_scalar(x, 0)),
                        CG(l2_mul(CG(l2_mul_scalar(g, SELU_SCALE * SELU_ALPHA)), CG(l2_exp(x)))),
                        CG(l2_mul_scalar(g, SELU_SCALE))));
        break;
    case L2__OP_CELU: /* x <= 0 ? g (1 / alpha) alpha e^(x (1 / alpha)) : g */
        r = CG(l2_where(CG(l2_le_scalar(x, 0)),
                        CG(l2_mul(CG(l2_mul_scalar(CG(l2_mul_scalar(g, 1.0 / a)), a)),
                                  CG(l2_exp(CG(l2_mul_scalar(x, 1.0 / a)))))),
                        g));
        break;
    case L2__OP_LOGSIGMOID: /* g sigmoid(-x) */
        r = CG(l2_mul(g, CG(l2_sigmoid(CG(l2_neg(x))))));
        break;
    case L2__OP_SOFTSIGN: { /* g / (1 + |x|)^2 */
        l2_tensor *d = CG(l2_add_scalar(CG(l2_abs(x)), 1));
        r = CG(l2_div(g, CG(l2_mul(d, d))));
        break;
    }
    case L2__OP_TANHSHRINK: { /* g tanh(x)^2 */
        l2_tensor *t = CG(l2_tanh(x));
        r = CG(l2_mul(g, CG(l2_mul(t, t))));
        break;
    }
    default:
        if (S.st == L2_OK)
            S.st = l2__fail(L2_ERR_AUTOGRAD, "backward: create_graph: %s is not an activation",
                            l2__op_names[n->op]);
        break;
    }
    (void)b;
    return cg_finish(&S, r, gin);
}

#define A_CG(E, name)                                                                        \
    l2_status l2__##name##_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)     \
    {                                                                                        \
        return act_cg(n, g, gin);                                                            \
    }
A_CG(HARDTANH, hardtanh)
A_CG(HARDSWISH, hardswish)
A_CG(MISH, mish)
A_CG(SELU, selu)
A_CG(CELU, celu)
A_CG(LOGSIGMOID, logsigmoid)
A_CG(SOFTSIGN, softsign)
A_CG(TANHSHRINK, tanhshrink)
#undef A_CG

/* prelu: dx = x > 0 ? g : g w, dweight = the sum of (x > 0 ? 0 : g x) over every dim but 1 (all
 * of them for one weight), each when its input has an edge. */
l2_status l2__prelu_backward_cg(l2__node *n, const l2_tensor *gc, l2_tensor **gin)
{
    cg_scratch S = {0};
    l2_tensor *g = (l2_tensor *)gc, *dx = NULL, *dw = NULL;
    l2_tensor *x = CG(l2__saved_graph(n, 0)), *w = CG(l2__saved_graph(n, 1));
    l2_tensor *zero = CG(l2_scalar(0, g->dtype));
    l2_tensor *pos = CG(l2_gt_scalar(x, 0));
    if (S.st != L2_OK)
        return cg_done(&S);
    int nd = x->ndim;
    int64_t nw = w->ndim ? w->shape[0] : 1;
    if (l2__edge_of(n, 0)) {
        /* w broadcast along x's dim 1: [C, 1, ..., 1] (nd - 1 dims) for C weights */
        l2_tensor *wb = w;
        if (nw > 1) {
            int64_t sh[L2_MAX_DIMS];
            for (int d = 0; d < nd - 1; d++)
                sh[d] = d == 0 ? nw : 1;
            wb = CG(l2_reshape(w, nd - 1, sh));
        } else if (w->ndim == 1) {
            wb = CG(l2_reshape(w, 0, NULL));
        }
        dx = CG(l2_where(pos, g, CG(l2_mul(g, wb))));
    }
    if (l2__edge_of(n, 1)) {
        l2_tensor *t = CG(l2_where(pos, zero, CG(l2_mul(g, x))));
        l2_tensor *s;
        if (nw > 1) {
            int dims[L2_MAX_DIMS], k = 0;
            for (int d = 0; d < nd; d++)
                if (d != 1)
                    dims[k++] = d;
            s = k ? CG(l2_sum_dims(t, k, dims, false)) : t;
        } else {
            s = CG(l2_reshape(CG(l2_sum(t)), w->ndim, w->shape));
        }
        dw = s;
    }
    if (S.st == L2_OK) {
        gin[0] = dx ? l2_tensor_ref(dx) : NULL;
        gin[1] = dw ? l2_tensor_ref(dw) : NULL;
    }
    return cg_done(&S);
}
