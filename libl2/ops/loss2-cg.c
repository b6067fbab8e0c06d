/* loss2-cg.c: the differentiable backwards (create_graph, issue 15) of the losses of loss2.c
 * and of nn_threshold (loss2-act.c): the same derivatives as their fused backward kernels,
 * written with recorded public ops over the saved inputs read attached to their graphs
 * (l2__saved_graph), so that their own derivatives are torch 1.13's double backwards:
 *  - threshold: threshold_backward's (the mask x > threshold; zero w.r.t. x);
 *  - smooth_l1_loss, huber_loss: smooth_l1_loss_double_backward and huber_loss_double_backward
 *    (the second derivative is the mask |d| < beta (divided by beta; 0 at beta 0), |d| < delta;
 *    zero at the kink and outside);
 *  - the losses torch 1.13 composes of ops (kl_div, margin_ranking_loss, hinge_embedding_loss,
 *    poisson_nll_loss, gaussian_nll_loss): the derivatives of the backwards of those ops,
 *    written in their order (clamp_min passes its edge; masks are constants; gaussian_nll's var
 *    clamp is outside autograd: its gradient passes through at v = max(var, eps)).
 * The reduction scales the upstream gradient first (mean: / numel of the broadcast shape;
 * kl_div's batchmean: / input's size 0), as torch's mean and division backwards do.
 *
 * Node layout (loss2.c, l_run): saved[k] = input k (2 or 3 of them, their own dtypes; gaussian
 * var already unsqueezed), i[0] the reduction, i[1] the kind, i[2] full, f[0] beta / delta /
 * margin / gaussian eps, f[1] poisson eps, f[2] kl_div's batchmean divisor. The three-input
 * losses work on a = in0 - in1 and b = in2. threshold (loss2-act.c): saved[0] = x, f[0] the
 * threshold. */
#include "nn-impl.h"
#include "cg-scratch.h"

#include <math.h>

/* The kinds of loss2.c's node (i[1]); the same order as its enum. */
enum { K_SL1, K_HUBER, K_KL, K_KL_LOG, K_MR, K_HINGE, K_PNLL_LOG, K_PNLL, K_GNLL };

/* A 0-d constant of dtype dt. */
#define K(v) CG(l2_scalar((v), dt))

/* t expanded to (nd, shape) when its shape differs (the engine sums a gradient back to its
 * input's shape, it does not broadcast one up). */
static l2_tensor *to_shape(cg_scratch *s, l2_tensor *t, int nd, const int64_t *shape)
{
    if (s->st != L2_OK)
        return NULL;
    if (t->ndim == nd && !memcmp(t->shape, shape, sizeof(int64_t) * (size_t)nd))
        return t;
    return cg_keep(s, l2_expand(t, nd, shape));
}

/* smooth_l1 (beta p) and huber (delta p) as a function of d: the constant branches where
 * d <= -p or d >= p (-1, 1; huber -p, p), d / p (huber d) in between (NaN d: in between, as the
 * kernel). smooth_l1 with beta 0 is constant (its d / 0 detached: torch's double backward is 0). */
static l2_tensor *sl1_factor(cg_scratch *s_, l2_tensor *d, double p, bool huber, l2_dtype dt)
{
    cg_scratch S = *s_;
    l2_tensor *mid = huber ? d : p > 0 ? CG(l2_div_scalar(d, p))
                                       : CG(l2_div_scalar(CG(l2_detach(d)), p));
    double c = huber ? p : 1.0;
    l2_tensor *r = CG(l2_where(CG(l2_le_scalar(d, -p)), K(-c),
                               CG(l2_where(CG(l2_ge_scalar(d, p)), K(c), mid))));
    *s_ = S;
    return r;
}

/* poisson_nll's full term of the target's gradient, as torch differentiates
 * (t log t - t + log(2 pi t) / 2).masked_fill(t <= 1, 0): with gm = g masked where t <= 1,
 * gm log t + gm t / t - gm + gm / 2 / t (NaN where t <= 0, as torch). */
static l2_tensor *stirling_grad(cg_scratch *s_, l2_tensor *g, l2_tensor *t)
{
    cg_scratch S = *s_;
    l2_tensor *gm = CG(l2_masked_fill(g, CG(l2_le_scalar(t, 1)), 0));
    l2_tensor *u = CG(l2_add(CG(l2_mul(gm, CG(l2_log(t)))), CG(l2_div(CG(l2_mul(gm, t)), t))));
    l2_tensor *r = CG(l2_add(CG(l2_sub(u, gm)), CG(l2_div(CG(l2_mul_scalar(gm, 0.5)), t))));
    *s_ = S;
    return r;
}

/* gaussian_nll's v = max(var, eps) whose gradient passes to var unchanged: where var < eps,
 * the constant eps + (var - detach(var)) (exactly eps for a finite var), else var. */
static l2_tensor *clamped_var(cg_scratch *s_, l2_tensor *var, double eps)
{
    cg_scratch S = *s_;
    l2_tensor *vd = CG(l2_detach(var));
    l2_tensor *st = CG(l2_add_scalar(CG(l2_sub(var, vd)), eps));
    l2_tensor *r = CG(l2_where(CG(l2_lt_scalar(var, eps)), st, var));
    *s_ = S;
    return r;
}

/* The gradients by a (*da, when wa) and by b (*db, when wb) of one kind, g the scaled upstream
 * gradient of the broadcast shape; new references. */
static l2_status kind_cg(const l2__node *n, l2_tensor *g, l2_tensor *a, l2_tensor *b, bool wa,
                         bool wb, l2_tensor **da, l2_tensor **db)
{
    cg_scratch S = {0};
    int kind = (int)n->i[1];
    bool full = n->i[2] != 0;
    double p = n->f[0], q = n->f[1];
    l2_dtype dt = g->dtype;
    l2_tensor *ra = NULL, *rb = NULL;
    switch (kind) {
    case K_SL1:
    case K_HUBER: /* g f(a - b); the target's g f(b - a) (torch's kernel, operands swapped) */
        if (wa)
            ra = CG(l2_mul(g, sl1_factor(&S, CG(l2_sub(a, b)), p, kind == K_HUBER, dt)));
        if (wb)
            rb = CG(l2_mul(g, sl1_factor(&S, CG(l2_sub(b, a)), p, kind == K_HUBER, dt)));
        break;
    case K_KL: /* xlogy(t, t) - t x: dx = -g t, dt = g xlogy(t != 0, t) + g t / t - g x */
        if (wa)
            ra = CG(l2_mul(CG(l2_neg(g)), b));
        if (wb) {
            l2_tensor *nz = CG(l2_ne_scalar(b, 0));
            l2_tensor *xl = CG(l2_log(CG(l2_where(nz, b, K(1))))); /* 0 where t == 0 */
            l2_tensor *u = CG(l2_add(CG(l2_mul(g, xl)), CG(l2_div(CG(l2_mul(g, b)), b))));
            rb = CG(l2_add(u, CG(l2_mul(CG(l2_neg(g)), a))));
        }
        break;
    case K_KL_LOG: { /* e^t (t - x): dx = -(g e^t), dt = g (t - x) e^t + g e^t */
        l2_tensor *e = CG(l2_exp(b)), *ge = CG(l2_mul(g, e));
        if (wa)
            ra = CG(l2_neg(ge));
        if (wb)
            rb = CG(l2_add(CG(l2_mul(CG(l2_mul(g, CG(l2_sub(b, a)))), e)), ge));
        break;
    }
    case K_MR: { /* clamp_min(-y d + margin, 0): gm = g where it passes; dd = -y gm, dy = -d gm */
        l2_tensor *z = CG(l2_add_scalar(CG(l2_mul(CG(l2_neg(b)), a)), p));
        l2_tensor *gm = CG(l2_where(CG(l2_ge_scalar(z, 0)), g, K(0)));
        if (wa)
            ra = CG(l2_mul(gm, CG(l2_neg(b))));
        if (wb)
            rb = CG(l2_neg(CG(l2_mul(gm, a))));
        break;
    }
    case K_HINGE: { /* g ((t != 1 && margin - x >= 0 ? -1 : 0) + (t != -1 ? 1 : 0)), the
                     * factor a constant (torch's masks and clamp_min: zero w.r.t. x) */
        l2_tensor *ad = CG(l2_detach(a));
        l2_tensor *m1 = CG(l2_logical_and(CG(l2_ne_scalar(b, 1)),
                                          CG(l2_ge_scalar(CG(l2_rsub_scalar(ad, p)), 0))));
        l2_tensor *c = CG(l2_add(CG(l2_where(m1, K(-1), K(0))),
                                 CG(l2_where(CG(l2_ne_scalar(b, -1)), K(1), K(0)))));
        if (wa)
            ra = CG(l2_mul(g, c));
        break;
    }
    case K_PNLL_LOG: /* e^x - t x: dx = g e^x - g t, dt = -g x (+ the full term) */
    case K_PNLL: {   /* x - t log(x + eps): dx = g - g t / (x + eps), dt = -g log(x + eps) */
        l2_tensor *xe = kind == K_PNLL ? CG(l2_add_scalar(a, q)) : NULL;
        if (wa)
            ra = kind == K_PNLL_LOG ? CG(l2_sub(CG(l2_mul(g, CG(l2_exp(a)))), CG(l2_mul(g, b))))
                                    : CG(l2_sub(g, CG(l2_div(CG(l2_mul(g, b)), xe))));
        if (wb) {
            rb = CG(l2_neg(CG(l2_mul(g, kind == K_PNLL_LOG ? a : CG(l2_log(xe))))));
            if (full)
                rb = CG(l2_add(rb, stirling_grad(&S, g, b)));
        }
        break;
    }
    default: { /* (log v + d^2 / v) / 2: with h = g / 2, dd = h / v 2 d,
                * dv = h / v - h d^2 / v^2 */
        l2_tensor *v = clamped_var(&S, b, p), *h = CG(l2_mul_scalar(g, 0.5));
        l2_tensor *hv = CG(l2_div(h, v));
        if (wa)
            ra = CG(l2_mul(hv, CG(l2_mul_scalar(a, 2))));
        if (wb)
            rb = CG(l2_sub(hv, CG(l2_div(CG(l2_mul(h, CG(l2_mul(a, a)))), CG(l2_mul(v, v))))));
        break;
    }
    }
    if (S.st == L2_OK) {
        *da = ra ? l2_tensor_ref(ra) : NULL;
        *db = rb ? l2_tensor_ref(rb) : NULL;
    }
    return cg_done(&S);
}

/* The shared create_graph backward of loss2.c's node. */
static l2_status loss2_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    cg_scratch S = {0};
    int red = (int)n->i[0], nin = n->n_saved;
    l2_dtype R = n->out_dtype;
    l2_tensor *in[3] = {NULL, NULL, NULL};
    for (int k = 0; k < nin; k++) {
        in[k] = CG(l2__saved_graph(n, k));
        if (in[k] && in[k]->dtype != R)
            in[k] = CG(l2_to_dtype(in[k], R));
    }
    if (S.st != L2_OK)
        return cg_done(&S);
    int64_t shape[L2_MAX_DIMS];
    int nd = in[0]->ndim;
    memcpy(shape, in[0]->shape, sizeof(int64_t) * (size_t)nd);
    for (int k = 1; k < nin && nd >= 0; k++) {
        int64_t sofar[L2_MAX_DIMS];
        memcpy(sofar, shape, sizeof(int64_t) * (size_t)nd);
        nd = l2__broadcast_shapes("backward", nd, sofar, in[k]->ndim, in[k]->shape, shape);
    }
    if (nd < 0) {
        S.st = l2_last_status();
        return cg_done(&S);
    }
    l2_tensor *g = (l2_tensor *)gout;
    if (g->dtype != R)
        g = CG(l2_to_dtype(g, R));
    if (red == L2_REDUCTION_MEAN)
        g = CG(l2_div_scalar(g, (double)l2__numel(nd, shape)));
    else if (red == L2_REDUCTION_BATCHMEAN)
        g = CG(l2_div_scalar(g, n->f[2]));
    g = to_shape(&S, g, nd, shape);
    bool w[3] = {l2__edge_of(n, 0), l2__edge_of(n, 1), nin == 3 && l2__edge_of(n, 2)};
    l2_tensor *a = nin == 3 ? CG(l2_sub(in[0], in[1])) : in[0], *b = nin == 3 ? in[2] : in[1];
    l2_tensor *da = NULL, *db = NULL;
    if (S.st == L2_OK) {
        S.st = kind_cg(n, g, a, b, nin == 3 ? w[0] || w[1] : w[0], nin == 3 ? w[2] : w[1], &da,
                       &db);
        if (da) /* kept for release */
            cg_keep(&S, da);
        if (db)
            cg_keep(&S, db);
    }
    l2_tensor *r[3] = {NULL, NULL, NULL};
    if (nin == 2) {
        r[0] = w[0] ? to_shape(&S, da, nd, shape) : NULL;
        r[1] = w[1] ? to_shape(&S, db, nd, shape) : NULL;
    } else {
        /* a = in0 - in1: d in0 = d a, d in1 = -d a */
        r[0] = w[0] ? to_shape(&S, da, nd, shape) : NULL;
        r[1] = w[1] ? to_shape(&S, CG(l2_neg(da)), nd, shape) : NULL;
        r[2] = w[2] ? to_shape(&S, db, nd, shape) : NULL;
    }
    if (S.st == L2_OK)
        for (int k = 0; k < nin; k++)
            gin[k] = r[k] ? l2_tensor_ref(r[k]) : NULL;
    return cg_done(&S);
}

#define L_CG(E, name)                                                                        \
    l2_status l2__##name##_backward_cg(l2__node *n, const l2_tensor *g, l2_tensor **gin)     \
    {                                                                                        \
        return loss2_cg(n, g, gin);                                                          \
    }
L_CG(SMOOTH_L1_LOSS, smooth_l1_loss)
L_CG(HUBER_LOSS, huber_loss)
L_CG(KL_DIV, kl_div)
L_CG(MARGIN_RANKING_LOSS, margin_ranking_loss)
L_CG(HINGE_EMBEDDING_LOSS, hinge_embedding_loss)
L_CG(POISSON_NLL_LOSS, poisson_nll_loss)
L_CG(GAUSSIAN_NLL_LOSS, gaussian_nll_loss)
#undef L_CG

/* threshold: dx = x <= threshold ? 0 : g (NaN x passes g), the mask a constant computed in
 * x's dtype against the threshold converted to it (as the kernel); zero w.r.t. x, as torch's
 * threshold_backward double backward. */
l2_status l2__nn_threshold_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    cg_scratch S = {0};
    l2_tensor *g = (l2_tensor *)gout;
    l2_dtype dt = g->dtype;
    l2_tensor *x = CG(l2__saved_graph(n, 0));
    if (x && x->dtype != dt)
        x = CG(l2_to_dtype(x, dt));
    l2_tensor *off = CG(l2_le(x, K(n->f[0])));
    l2_tensor *r = CG(l2_where(off, K(0), g));
    r = r ? to_shape(&S, r, g->ndim, g->shape) : NULL;
    return cg_finish(&S, r, gin);
}
