/* nn-norm-cg.c: the differentiable backwards (create_graph, issue 15) of layer_norm and
 * batch_norm (nn-norm.c) and group_norm (nn-norm2.c, also instance_norm's node). The forward
 * keeps its statistics as plain doubles (no graph), so the differentiable backward recomputes
 * them from the attached input with recorded ops (mean, biased variance, rsqrt(var + eps), eps
 * kept in node->f[0]); batch_norm in eval mode uses the running statistics, constants. The
 * formulas are those of the fused kernels:
 *     xhat = (x - mean) rstd,  gw = g w,
 *     dx = rstd (gw - mean(gw) - xhat mean(gw xhat)),  dw = sum(g xhat),  db = sum(g),
 * means over the normalised elements, sums over the others.
 *
 * Dimension letters: M rows and N normalised elements (layer_norm); N batch, C channels. */
#include "nn-impl.h"
#include "cg-scratch.h"

#include <math.h>

/* Saved tensor k attached, cast to dt (recorded) when it differs; reshaped to (nd, shape). */
static l2_tensor *saved_shaped(l2__node *n, int k, l2_dtype dt, int nd, const int64_t *shape)
{
    l2_tensor *s = l2__saved_graph(n, k);
    if (s && s->dtype != dt)
        REPLACE(s, l2_to_dtype(old_, dt));
    if (s)
        REPLACE(s, l2_reshape(old_, nd, shape));
    return s;
}

/* The normalisation's gradients over x (attached) and g of one shape, the statistics taken over
 * the nrd dims rd (keepdim): *xhat_out (when asked) and *dx (when asked). w: NULL or the
 * weight broadcastable to x. mean_c, rstd_c: constant statistics (eval batch_norm), or NULL to
 * recompute them from x with eps. With constant statistics dx = g w rstd. */
static l2_status norm_grads(const l2_tensor *x, const l2_tensor *g, int nrd, const int *rd,
                            const l2_tensor *w, double eps, const l2_tensor *mean_c,
                            const l2_tensor *rstd_c, l2_tensor **xhat_out, l2_tensor **dx)
{
    l2_tensor *mean = NULL, *xc = NULL, *var = NULL, *rstd = NULL, *xhat = NULL, *gw = NULL;
    l2_tensor *a = NULL, *b = NULL;
    if (mean_c) {
        mean = l2_tensor_ref((l2_tensor *)mean_c);
        rstd = l2_tensor_ref((l2_tensor *)rstd_c);
        if (!(xc = l2_sub(x, mean)))
            goto fail;
    } else {
        if (!(mean = l2_mean_dims(x, nrd, rd, true)) || !(xc = l2_sub(x, mean)) ||
            !(var = l2_mul(xc, xc)))
            goto fail;
        REPLACE(var, l2_mean_dims(old_, nrd, rd, true));
        REPLACE(var, l2_add_scalar(old_, eps));
        if (!var || !(rstd = l2_rsqrt(var)))
            goto fail;
    }
    if (!(xhat = l2_mul(xc, rstd)))
        goto fail;
    if (dx) {
        if (!(gw = w ? l2_mul(g, w) : l2_tensor_ref((l2_tensor *)g)))
            goto fail;
        if (mean_c) {
            *dx = l2_mul(gw, rstd);
        } else {
            if (!(a = l2_mean_dims(gw, nrd, rd, true)) || !(b = l2_mul(gw, xhat)))
                goto fail;
            REPLACE(b, l2_mean_dims(old_, nrd, rd, true));
            REPLACE(b, l2_mul(old_, xhat));
            REPLACE(gw, l2_sub(old_, a));
            REPLACE(gw, l2_sub(old_, b));
            *dx = gw ? l2_mul(gw, rstd) : NULL;
        }
        if (!*dx)
            goto fail;
    }
    if (xhat_out) {
        *xhat_out = xhat;
        xhat = NULL;
    }
    release_all((l2_tensor *[]){mean, xc, var, rstd, xhat, gw, a, b}, 8);
    return L2_OK;
fail:
    release_all((l2_tensor *[]){mean, xc, var, rstd, xhat, gw, a, b}, 8);
    return l2_last_status();
}

/* layer_norm over x seen as (M, N): the statistics per row; dw = sum_rows(g xhat) and
 * db = sum_rows(g), reshaped to the parameters' shapes. */
l2_status l2__layer_norm_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int64_t M = n->i[0], N = n->i[1];
    l2_dtype dt = n->in_dtype[0];
    bool want_x = l2__edge_of(n, 0), want_w = l2__edge_of(n, 1), want_b = l2__edge_of(n, 2);
    bool has_w = n->n_saved > 1;
    int one = 1, zero = 0;
    l2_tensor *x = NULL, *g = NULL, *w = NULL, *xhat = NULL, *dx = NULL, *t = NULL;
    if (!(x = saved_shaped(n, 0, dt, 2, (int64_t[]){M, N})) ||
        !(g = l2_reshape(gout, L2_SHAPE(M, N))))
        goto fail;
    if (has_w && !(w = saved_shaped(n, 1, dt, 2, (int64_t[]){1, N})))
        goto fail;
    if ((want_x || want_w) &&
        norm_grads(x, g, 1, &one, w, n->f[0], NULL, NULL, want_w ? &xhat : NULL,
                   want_x ? &dx : NULL) != L2_OK)
        goto fail;
    if (want_x && !(gin[0] = l2_reshape(dx, n->in_ndim[0], n->in_shape[0])))
        goto fail;
    if (want_w) {
        if (!(t = l2_mul(g, xhat)))
            goto fail;
        REPLACE(t, l2_sum_dims(old_, 1, &zero, false));
        if (!t || !(gin[1] = l2_reshape(t, n->in_ndim[1], n->in_shape[1])))
            goto fail;
        l2_tensor_release(t);
        t = NULL;
    }
    if (want_b) {
        if (!(t = l2_sum_dims(g, 1, &zero, false)) ||
            !(gin[2] = l2_reshape(t, n->in_ndim[2], n->in_shape[2])))
            goto fail;
    }
    release_all((l2_tensor *[]){x, g, w, xhat, dx, t}, 6);
    return L2_OK;
fail:
    release_all((l2_tensor *[]){x, g, w, xhat, dx, t}, 6);
    return l2_last_status();
}

/* A constant (1, C, 1, ...) tensor of dtype dt from C doubles (rank nd). */
static l2_tensor *channel_const(const double *v, int64_t C, int nd, l2_dtype dt)
{
    int64_t shape[L2_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        shape[d] = d == 1 ? C : 1;
    l2_tensor *t = l2_from_data(v, 1, &C, L2_FLOAT64);
    if (t && dt != L2_FLOAT64)
        REPLACE(t, l2_to_dtype(old_, dt));
    if (t)
        REPLACE(t, l2_reshape(old_, nd, shape));
    return t;
}

/* batch_norm over x (N, C, *): the statistics per channel over every other dim (training:
 * recomputed; eval: the running ones kept by the forward, constants); dw = sum(g xhat) and
 * db = sum(g) over every dim but the channel's. */
l2_status l2__batch_norm_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int nd = n->in_ndim[0];
    int64_t C = n->in_shape[0][1];
    l2_dtype dt = n->in_dtype[0];
    bool training = n->i[0] != 0;
    bool want_x = l2__edge_of(n, 0), want_w = l2__edge_of(n, 1), want_b = l2__edge_of(n, 2);
    bool has_w = n->n_saved > 1;
    int rd[L2_MAX_DIMS], nrd = 0;
    int64_t wshape[L2_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        wshape[d] = d == 1 ? C : 1;
        if (d != 1)
            rd[nrd++] = d;
    }
    const double *stats = n->extra; /* mean[C], invstd[C] */
    l2_tensor *x = NULL, *w = NULL, *mc = NULL, *rc = NULL, *xhat = NULL, *dx = NULL, *t = NULL;
    if (!(x = l2__saved_graph(n, 0)))
        goto fail;
    if (has_w && !(w = saved_shaped(n, 1, dt, nd, wshape)))
        goto fail;
    if (!training && (!(mc = channel_const(stats, C, nd, dt)) ||
                      !(rc = channel_const(stats + C, C, nd, dt))))
        goto fail;
    if ((want_x || want_w) &&
        norm_grads(x, gout, nrd, rd, w, n->f[0], mc, rc, want_w ? &xhat : NULL,
                   want_x ? &dx : NULL) != L2_OK)
        goto fail;
    if (want_x) {
        gin[0] = dx;
        dx = NULL;
    }
    if (want_w) {
        if (!(t = l2_mul(gout, xhat)) || !(gin[1] = l2_sum_dims(t, nrd, rd, false)))
            goto fail;
        l2_tensor_release(t);
        t = NULL;
    }
    if (want_b && !(gin[2] = l2_sum_dims(gout, nrd, rd, false)))
        goto fail;
    release_all((l2_tensor *[]){x, w, mc, rc, xhat, dx, t}, 7);
    return L2_OK;
fail:
    release_all((l2_tensor *[]){x, w, mc, rc, xhat, dx, t}, 7);
    return l2_last_status();
}

/* group_norm over x (N, C, *) in G groups: the statistics per (sample, group) over x seen as
 * (N, G, C/G * S), the weight applied per channel in x's shape first (gw = g w), then the same
 * formulas; dw = sum(g xhat) and db = sum(g) over every dim but the channel's. */
l2_status l2__group_norm_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int nd = n->in_ndim[0];
    const int64_t *xs = n->in_shape[0];
    int64_t N = xs[0], C = xs[1], G = n->i[0], D = G ? C / G * l2__numel(nd - 2, xs + 2) : 0;
    l2_dtype dt = n->in_dtype[0];
    bool want_x = l2__edge_of(n, 0), want_w = l2__edge_of(n, 1), want_b = l2__edge_of(n, 2);
    bool has_w = n->n_saved > 1;
    int rd[L2_MAX_DIMS], nrd = 0, two = 2;
    int64_t wshape[L2_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        wshape[d] = d == 1 ? C : 1;
        if (d != 1)
            rd[nrd++] = d;
    }
    l2_tensor *x = NULL, *w = NULL, *gw = NULL, *g3 = NULL, *xhat = NULL, *dx = NULL, *t = NULL;
    if (!(x = saved_shaped(n, 0, dt, 3, (int64_t[]){N, G, D})))
        goto fail;
    if (has_w && !(w = saved_shaped(n, 1, dt, nd, wshape)))
        goto fail;
    if (!(gw = w ? l2_mul(gout, w) : l2_tensor_ref((l2_tensor *)gout)) ||
        !(g3 = l2_reshape(gw, L2_SHAPE(N, G, D))))
        goto fail;
    if ((want_x || want_w) &&
        norm_grads(x, g3, 1, &two, NULL, n->f[0], NULL, NULL, want_w ? &xhat : NULL,
                   want_x ? &dx : NULL) != L2_OK)
        goto fail;
    if (want_x && !(gin[0] = l2_reshape(dx, nd, xs)))
        goto fail;
    if (want_w && D == 0 && N > 0) {
        /* empty groups: torch's dw = (sum(g x) - sum(g) mean) rstd with the mean of nothing,
         * NaN (its first derivative with or without create_graph); NaN times the attached
         * weight keeps its second derivative NaN, as torch's */
        l2_tensor *w1 = l2__saved_graph(n, 1), *nan = l2_full(1, &C, NAN, dt);
        gin[1] = w1 && nan ? l2_mul(nan, w1) : NULL;
        l2_tensor_release(w1);
        l2_tensor_release(nan);
        if (!gin[1])
            goto fail;
    } else if (want_w) {
        REPLACE(xhat, l2_reshape(old_, nd, xs));
        if (!xhat || !(t = l2_mul(gout, xhat)) || !(gin[1] = l2_sum_dims(t, nrd, rd, false)))
            goto fail;
    }
    if (want_b && !(gin[2] = l2_sum_dims(gout, nrd, rd, false)))
        goto fail;
    release_all((l2_tensor *[]){x, w, gw, g3, xhat, dx, t}, 7);
    return L2_OK;
fail:
    release_all((l2_tensor *[]){x, w, gw, g3, xhat, dx, t}, 7);
    return l2_last_status();
}
