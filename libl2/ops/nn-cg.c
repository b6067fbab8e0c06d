/* nn-cg.c: the differentiable backwards (create_graph, issue 15) of softmax, log_softmax,
 * dropout and the losses of nn-loss.c (cross_entropy, nll_loss, mse_loss, l1_loss,
 * binary_cross_entropy(_with_logits)): the same derivatives as their fused backward kernels,
 * written with recorded public ops over the saved tensors attached to their graphs
 * (l2__saved_graph), so a gradient can be differentiated again. The normalisations'
 * are in nn-norm-cg.c.
 *
 * Dimension letters: N batch, C classes; a "position" is one lane along the class dim. */
#include "nn-impl.h"
#include "cg-scratch.h"

#include <math.h>

/* Saved tensor k of n attached to its graph, cast to dt with a recorded cast when it differs.
 * New reference or NULL. */
static l2_tensor *saved_as(l2__node *n, int k, l2_dtype dt)
{
    l2_tensor *s = l2__saved_graph(n, k);
    if (s && s->dtype != dt)
        REPLACE(s, l2_to_dtype(old_, dt));
    return s;
}

/* ---- softmax, log_softmax, dropout ----------------------------------------------------------- */

/* softmax: dx = y g - y sum(y g) along dim, y the output (attached to this node, so the second
 * derivative in x flows through softmax's own backward). */
l2_status l2__softmax_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int d = (int)n->i[0];
    l2_tensor *y = l2__saved_graph(n, 0), *yg = y ? l2_mul(y, gout) : NULL;
    l2_tensor *s = yg ? l2_sum_dims(yg, 1, &d, true) : NULL, *ys = s ? l2_mul(y, s) : NULL;
    gin[0] = ys ? l2_sub(yg, ys) : NULL;
    release_all((l2_tensor *[]){y, yg, s, ys}, 4);
    return gin[0] ? L2_OK : l2_last_status();
}

/* log_softmax: dx = g - exp(y) sum(g) along dim, y the output. */
l2_status l2__log_softmax_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int d = (int)n->i[0];
    l2_tensor *y = l2__saved_graph(n, 0), *p = y ? l2_exp(y) : NULL;
    l2_tensor *s = p ? l2_sum_dims(gout, 1, &d, true) : NULL, *ps = s ? l2_mul(p, s) : NULL;
    gin[0] = ps ? l2_sub(gout, ps) : NULL;
    release_all((l2_tensor *[]){y, p, s, ps}, 4);
    return gin[0] ? L2_OK : l2_last_status();
}

/* dropout: dx = g * mask * scale (the mask a constant: bool data, no gradient). */
l2_status l2__dropout_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    l2_tensor *m = l2_to_dtype(n->saved[0], gout->dtype);
    if (m)
        REPLACE(m, l2_mul_scalar(old_, n->f[0]));
    gin[0] = m ? l2_mul(gout, m) : NULL;
    l2_tensor_release(m);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- cross_entropy, nll_loss ------------------------------------------------------------------ */

/* The modes of nn-loss.c's node (i[0]): class indices, class probabilities, nll. */
enum { CLS_CE, CLS_CE_PROB, CLS_NLL };

/* The constant class weights of an index-target loss, of x's shape (ndim, shape) and dtype dt:
 * w = (1 - e) onehot(t) + e / C at positions whose target is not ignore, 0 at ignored ones
 * (the target has no gradient: nothing recorded). New tensor or NULL. */
static l2_tensor *index_weights(const l2_tensor *target, int ndim, const int64_t *shape, int cdim,
                                int64_t ignore, double e, l2_dtype dt)
{
    int64_t C = shape[cdim];
    l2_tensor *valid = l2_ne_scalar(target, (double)ignore), *bad = NULL, *ts = NULL, *w = NULL;
    l2_tensor *vf = NULL;
    if (!valid || !(bad = l2_logical_not(valid)) || !(ts = l2_masked_fill(target, bad, 0)) ||
        !(w = l2_one_hot(ts, C)))
        goto out;
    REPLACE(w, l2_to_dtype(old_, dt));
    if (ndim >= 2)
        REPLACE(w, l2_movedim(old_, 1, (int[]){-1}, (int[]){cdim}));
    if (e != 0) {
        REPLACE(w, l2_mul_scalar(old_, 1 - e));
        REPLACE(w, l2_add_scalar(old_, e / (double)C));
    }
    if (!w || !(vf = l2_to_dtype(valid, dt)))
        goto fail;
    if (ndim >= 2)
        REPLACE(vf, l2_unsqueeze(old_, cdim));
    if (!vf)
        goto fail;
    REPLACE(w, l2_mul(old_, vf));
    goto out;
fail:
    l2_tensor_release(w);
    w = NULL;
out:
    release_all((l2_tensor *[]){valid, bad, ts, vf}, 4);
    return w;
}

/* The upstream gradient of each position, broadcastable against x (ndim, cdim): unsqueezed at
 * the class dim (reduction none), divided by count (mean) or as is (sum). */
static l2_tensor *position_grad(const l2_tensor *gout, int red, int64_t count, int ndim, int cdim)
{
    if (red == L2_REDUCTION_MEAN)
        return l2_div_scalar(gout, (double)count);
    if (red == L2_REDUCTION_NONE && ndim >= 2)
        return l2_unsqueeze(gout, cdim);
    return l2_tensor_ref((l2_tensor *)gout);
}

/* With w the class weights (index_weights, or t' = (1 - e) t + e / C for probabilities), p =
 * softmax(x) and lp = log_softmax(x) along the class dim, the loss of a position is
 * -sum_c w_c lp_c, so
 *     dx = g (p sum_c w_c - w),   dt = -g (1 - e) lp   (probabilities only),
 * and nll_loss's (loss -x[t]): dx = -g w. */
static l2_status cls_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int mode = (int)n->i[0], red = (int)n->i[1];
    int64_t ignore = n->i[2], count = n->i[3];
    double e = n->f[0];
    int ndim = n->in_ndim[0], cdim = ndim == 1 ? 0 : 1;
    const int64_t *shape = n->in_shape[0];
    l2_dtype dt = n->in_dtype[0];
    bool want_x = l2__edge_of(n, 0), want_t = mode == CLS_CE_PROB && l2__edge_of(n, 1);
    l2_tensor *g = NULL, *w = NULL, *x = NULL, *sw = NULL, *p = NULL, *lp = NULL, *u = NULL;
    if (!(g = position_grad(gout, red, count, ndim, cdim)))
        goto fail;
    if (mode == CLS_CE_PROB) {
        if (!(w = saved_as(n, 1, dt)))
            goto fail;
        if (e != 0) {
            REPLACE(w, l2_mul_scalar(old_, 1 - e));
            REPLACE(w, l2_add_scalar(old_, e / (double)shape[cdim]));
        }
    } else {
        w = index_weights(n->saved[1], ndim, shape, cdim, ignore, e, dt);
    }
    if (!w)
        goto fail;
    if (mode == CLS_NLL) {
        if (want_x) {
            if (!(u = l2_mul(g, w)) || !(gin[0] = l2_neg(u)))
                goto fail;
        }
        release_all((l2_tensor *[]){g, w, u}, 3);
        return L2_OK;
    }
    if (!(x = l2__saved_graph(n, 0)))
        goto fail;
    if (want_x) { /* dx = g (p sum(w) - w) */
        if (!(sw = l2_sum_dims(w, 1, &cdim, true)) || !(p = l2_softmax(x, cdim)))
            goto fail;
        REPLACE(p, l2_mul(old_, sw));
        REPLACE(p, l2_sub(old_, w));
        if (!p || !(gin[0] = l2_mul(g, p)))
            goto fail;
    }
    if (want_t) { /* dt = -(1 - e) g lp */
        if (!(lp = l2_log_softmax(x, cdim)))
            goto fail;
        REPLACE(lp, l2_mul_scalar(old_, -(1 - e)));
        if (!lp || !(gin[1] = l2_mul(g, lp)))
            goto fail;
    }
    release_all((l2_tensor *[]){g, w, x, sw, p, lp, u}, 7);
    return L2_OK;
fail:
    release_all((l2_tensor *[]){g, w, x, sw, p, lp, u}, 7);
    return l2_last_status();
}

l2_status l2__cross_entropy_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return cls_cg(n, gout, gin);
}

l2_status l2__nll_loss_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return cls_cg(n, gout, gin);
}

/* ---- pointwise losses ----------------------------------------------------------------------- */

/* The kinds of nn-loss.c's pointwise node (i[1]). */
enum { PW_MSE, PW_L1, PW_BCE, PW_BCE_LOGITS };

/* With gs = g / numel (mean) or g, in the broadcast shape and the result dtype:
 *   mse: dx = 2 (x - t) gs, dt = -dx;   l1: dx = sign(x - t) gs, dt = -dx (sign a constant);
 *   bce_with_logits: dx = gs (sigmoid(x) - t), dt = -gs x.
 *   binary_cross_entropy: dx = gs (x - t) / max(x (1 - x), 1e-12f), dt = gs (log1p(-x) - log(x)).
 * binary_cross_entropy's second derivatives are those of this formula (the clamp recorded);
 * torch 1.13's double backward writes 1 / ((x + 1e-12) (1 - x + 1e-12)) in their place: the two
 * agree within ~2e-12 / min(x, 1 - x) relative, and differ where x (1 - x) < 1e-12 (x within
 * 1e-12 of 0 or 1), where libl2's clamp has no derivative (l2.h). */
static l2_status pw_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int red = (int)n->i[0], kind = (int)n->i[1];
    l2_dtype R = n->out_dtype;
    bool want_x = l2__edge_of(n, 0), want_t = l2__edge_of(n, 1);
    l2_tensor *x = saved_as(n, 0, R), *t = x ? saved_as(n, 1, R) : NULL;
    l2_tensor *gs = NULL, *d = NULL, *u = NULL, *v = NULL;
    if (!t)
        goto fail;
    if (red == L2_REDUCTION_MEAN) {
        int64_t shape[L2_MAX_DIMS];
        int nd = l2__broadcast_shapes("backward", x->ndim, x->shape, t->ndim, t->shape, shape);
        if (nd < 0)
            goto fail;
        gs = l2_div_scalar(gout, (double)l2__numel(nd, shape));
    } else {
        gs = l2_tensor_ref((l2_tensor *)gout);
    }
    if (!gs)
        goto fail;
    switch (kind) {
    case PW_MSE:
    case PW_L1:
        if (!(d = l2_sub(x, t)))
            goto fail;
        if (kind == PW_MSE) {
            REPLACE(d, l2_mul_scalar(old_, 2));
        } else { /* sign(x - t) has no gradient: taken outside the graph */
            REPLACE(d, l2_detach(old_));
            REPLACE(d, l2_sign(old_));
        }
        if (!d || !(u = l2_mul(d, gs)))
            goto fail;
        if (want_t && !(gin[1] = l2_neg(u)))
            goto fail;
        if (want_x) {
            gin[0] = u;
            u = NULL;
        }
        break;
    case PW_BCE:
        if (want_x) {
            if (!(d = l2_rsub_scalar(x, 1)))
                goto fail;
            REPLACE(d, l2_mul(x, old_));
            REPLACE(d, l2_clamp(old_, (double)1e-12f, INFINITY)); /* nn-loss.c's BCE_EPS */
            if (!d || !(u = l2_sub(x, t)))
                goto fail;
            REPLACE(u, l2_div(old_, d));
            if (!u || !(gin[0] = l2_mul(gs, u)))
                goto fail;
        }
        if (want_t) {
            if (!(v = l2_neg(x)))
                goto fail;
            REPLACE(v, l2_log1p(old_));
            l2_tensor *lx = v ? l2_log(x) : NULL;
            REPLACE(v, lx ? l2_sub(old_, lx) : NULL);
            l2_tensor_release(lx);
            if (!v || !(gin[1] = l2_mul(gs, v)))
                goto fail;
        }
        break;
    default:
        if (want_x) {
            if (!(d = l2_sigmoid(x)))
                goto fail;
            REPLACE(d, l2_sub(old_, t));
            if (!d || !(gin[0] = l2_mul(gs, d)))
                goto fail;
        }
        if (want_t) {
            if (!(u = l2_mul(gs, x)) || !(gin[1] = l2_neg(u)))
                goto fail;
        }
        break;
    }
    release_all((l2_tensor *[]){x, t, gs, d, u, v}, 6);
    return L2_OK;
fail:
    release_all((l2_tensor *[]){x, t, gs, d, u, v}, 6);
    return l2_last_status();
}

l2_status l2__mse_loss_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pw_cg(n, gout, gin);
}

l2_status l2__l1_loss_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pw_cg(n, gout, gin);
}

l2_status l2__binary_cross_entropy_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return pw_cg(n, gout, gin);
}

l2_status l2__binary_cross_entropy_with_logits_backward_cg(l2__node *n, const l2_tensor *gout,
                                                           l2_tensor **gin)
{
    return pw_cg(n, gout, gin);
}
