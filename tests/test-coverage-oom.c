/* test-coverage-oom.c: every public op family run with allocation number k failing, for
 * k = 0, 1, ... until the run succeeds: each failing run must report L2_ERR_NOMEM with a message
 * (forward or backward), and nothing may leak (checked by the ASan and valgrind runs of CI).
 * The inputs are made before the failing window; each run makes the op's result, then (for
 * float results that require grad) sums it and runs backward, then releases everything. */
#include "tap.h"

#include <l2.h>
#include <math.h>
#include <stdlib.h>

static l2_tensor *A, *B, *M, *Kmat, *Vec, *Idx, *Img, *Wconv, *Bias, *Tgt, *P01, *Ch, *RM, *RV;
static l2_tensor *Leaves[16];
static int NLeaves;

static void reset_grads(void)
{
    for (int i = 0; i < NLeaves; i++)
        l2_set_grad_none(Leaves[i]);
}

/* Status of the run: the op's result y, summed and back-propagated when it requires grad. */
static l2_status finish(l2_tensor *y)
{
    if (!y)
        return l2_last_status();
    l2_status st = L2_OK;
    if (l2_requires_grad(y)) {
        l2_tensor *s = l2_sum(y);
        st = s ? l2_backward(s, NULL, false) : l2_last_status();
        l2_tensor_release(s);
    }
    l2_tensor_release(y);
    reset_grads();
    return st;
}

static l2_status two(l2_tensor *y, l2_tensor *z)
{
    l2_status st = finish(y);
    l2_status sz = finish(z);
    return st != L2_OK ? st : sz;
}

/* The runs, one per op (or small group). */
static l2_status r_views(void)
{
    l2_tensor *t = l2_t(A);
    l2_tensor *r = t ? l2_reshape(t, 1, (int64_t[]){-1}) : NULL; /* a copy: t is transposed */
    l2_tensor_release(t);
    if (!r)
        return l2_last_status();
    l2_tensor *s = l2_index(r, "1:7:2, None");
    l2_tensor_release(r);
    if (!s)
        return l2_last_status();
    l2_tensor *u = l2_squeeze_dim(s, 1);
    l2_tensor_release(s);
    return finish(u);
}
static l2_status r_permute(void) { return finish(l2_permute(B, (int[]){1, 0})); }
static l2_status r_expand(void)
{
    l2_tensor *e = l2_expand(Vec, 2, (int64_t[]){4, 3});
    l2_tensor *c = e ? l2_contiguous(e) : NULL;
    l2_tensor_release(e);
    return finish(c ? c : NULL);
}
static l2_status r_select(void) { return finish(l2_select(A, 1, -1)); }
static l2_status r_narrow(void) { return finish(l2_narrow(A, 0, 1, 2)); }
static l2_status r_flatten(void)
{
    l2_tensor *t = l2_t(A);
    l2_tensor *f = t ? l2_flatten(t, 0, -1) : NULL;
    l2_tensor_release(t);
    return f ? finish(f) : l2_last_status();
}
static l2_status r_unflatten(void)
{
    return finish(l2_unflatten(A, 0, 2, (int64_t[]){2, -1}));
}
static l2_status r_squeeze(void)
{
    l2_tensor *u = l2_unsqueeze(A, 0);
    l2_tensor *s = u ? l2_squeeze(u) : NULL;
    l2_tensor_release(u);
    return s ? finish(s) : l2_last_status();
}
static l2_status r_as_strided(void)
{
    return finish(l2_as_strided(A, 2, (int64_t[]){2, 2}, (int64_t[]){1, 2}, 1));
}
static l2_status r_cat(void)
{
    l2_tensor *ts[] = {A, A, A};
    return two(l2_cat(3, ts, 1), l2_stack(3, ts, 0));
}
static l2_status r_convert(void)
{
    l2_tensor *d = l2_to_dtype(A, L2_FLOAT32);
    l2_tensor *i = d ? l2_to_dtype(d, L2_INT64) : NULL;
    l2_tensor_release(d);
    return finish(i ? i : NULL);
}
static l2_status r_copy(void)
{
    l2_tensor *z = l2_zeros(2, (int64_t[]){3, 4}, L2_FLOAT64);
    if (!z)
        return l2_last_status();
    l2_tensor *t = l2_t(z);
    l2_status st = t ? l2_copy_(t, P01) : l2_last_status();
    l2_tensor_release(t);
    l2_tensor_release(z);
    return st;
}
static l2_status r_create(void)
{
    l2_tensor *ts[12] = {
        l2_zeros(2, (int64_t[]){2, 3}, L2_INT64), l2_full(1, (int64_t[]){3}, 2, L2_BOOL),
        l2_arange(0, 5, 1, L2_INT64),             l2_linspace(0, 1, 5, L2_FLOAT32),
        l2_eye(3, 4, L2_FLOAT64),                 l2_scalar(3, L2_FLOAT32),
        l2_randperm(7),                           l2_randint(0, 9, 1, (int64_t[]){4}),
        l2_rand(1, (int64_t[]){3}, L2_FLOAT64),   l2_normal(1, (int64_t[]){3}, 1, 2, L2_FLOAT32),
        l2_full_like(A, 7),                       l2_randn_like(A)};
    l2_status st = L2_OK;
    for (int i = 0; i < 12; i++) {
        if (!ts[i])
            st = l2_last_status();
        l2_tensor_release(ts[i]);
    }
    return st;
}
static l2_status r_binary(void) { return finish(l2_mul(A, Vec)); }
static l2_status r_div(void) { return finish(l2_div(Vec, A)); }
static l2_status r_pow(void)
{
    l2_tensor *p = l2_abs(A);
    l2_tensor *y = p ? l2_pow(p, Vec) : NULL;
    l2_tensor_release(p);
    return y ? finish(y) : l2_last_status();
}
static l2_status r_where(void)
{
    l2_tensor *c = l2_gt_scalar(A, 0);
    l2_tensor *y = c ? l2_where(c, A, Vec) : NULL;
    l2_tensor_release(c);
    return y ? finish(y) : l2_last_status();
}
static l2_status r_masked(void)
{
    l2_tensor *c = l2_gt_scalar(A, 0);
    l2_tensor *y = c ? l2_masked_fill(A, c, 1) : NULL;
    l2_tensor_release(c);
    return y ? finish(y) : l2_last_status();
}
static l2_status r_unary(void) { return finish(l2_tanh(A)); }
static l2_status r_clamp(void) { return finish(l2_clamp(A, -0.5, 0.5)); }
static l2_status r_inplace(void)
{
    l2_tensor *c = l2_clone(A); /* a non-leaf: in-place ops on it are recorded */
    if (!c)
        return l2_last_status();
    l2_status st = l2_mul_(c, Vec);
    if (st == L2_OK)
        st = l2_add_scalar_(c, 1);
    if (st == L2_OK)
        st = l2_relu_(c);
    if (st != L2_OK) {
        l2_tensor_release(c);
        return st;
    }
    return finish(c);
}
static l2_status r_sum_dims(void) { return finish(l2_sum_dims(A, 1, (int[]){0}, true)); }
static l2_status r_mean(void) { return finish(l2_mean_dims(A, 1, (int[]){1}, false)); }
static l2_status r_var(void) { return two(l2_var(A, 1, (int[]){0}, 1, false),
                                          l2_std(A, 0, NULL, 1, true)); }
static l2_status r_norm(void) { return two(l2_norm(A, 2, 1, (int[]){1}, false),
                                           l2_norm(A, INFINITY, 0, NULL, false)); }
static l2_status r_lse(void) { return finish(l2_logsumexp(A, 1, (int[]){1}, false)); }
static l2_status r_max(void)
{
    l2_tensor *idx = NULL;
    l2_tensor *m = l2_max_dim(A, 1, false, &idx);
    l2_tensor_release(idx);
    return two(m, l2_max(A));
}
static l2_status r_prod(void) { return two(l2_prod_dim(A, 0, false), l2_prod(A)); }
static l2_status r_cumsum(void) { return finish(l2_cumsum(A, 1)); }
static l2_status r_arg(void) { return two(l2_argmax_dim(A, 1, true), l2_any_dim(A, 0, false)); }
static l2_status r_matmul(void) { return two(l2_matmul(A, Kmat), l2_mv(A, Ch)); }
static l2_status r_bmm(void)
{
    l2_tensor *a3 = l2_unsqueeze(A, 0), *k3 = l2_unsqueeze(Kmat, 0);
    l2_tensor *y = a3 && k3 ? l2_bmm(a3, k3) : NULL;
    l2_status st = y ? finish(y) : l2_last_status();
    l2_tensor_release(a3);
    l2_tensor_release(k3);
    return st;
}
static l2_status r_addmm(void)
{
    return two(l2_addmm(M, A, Kmat, 0.5, 2), l2_linear(A, B, NULL));
}
static l2_status r_dot(void) { return two(l2_dot(Ch, Ch), l2_outer(Ch, Vec)); }
static l2_status r_index(void)
{
    return two(l2_index_select(A, 0, Idx), l2_gather(A, 0, Tgt));
}
static l2_status r_scatter(void)
{
    l2_tensor *src = l2_ones(2, (int64_t[]){1, 3}, L2_FLOAT64);
    l2_tensor *y = src ? l2_scatter_add(A, 0, Tgt, src) : NULL;
    l2_tensor_release(src);
    return y ? finish(y) : l2_last_status();
}
static l2_status r_embedding(void) { return two(l2_embedding(A, Idx), l2_one_hot(Idx, 5)); }
static l2_status r_softmax(void) { return two(l2_softmax(A, 1), l2_log_softmax(A, 0)); }
static l2_status r_ce(void)
{
    return two(l2_cross_entropy(A, Idx, L2_REDUCTION_MEAN, -100, 0.1),
               l2_nll_loss(A, Idx, L2_REDUCTION_SUM, 0));
}
static l2_status r_losses(void)
{
    l2_tensor *s = l2_sigmoid(A);
    l2_status st = s ? L2_OK : l2_last_status();
    if (s) {
        st = two(l2_mse_loss(A, P01, L2_REDUCTION_MEAN),
                 l2_binary_cross_entropy(s, P01, L2_REDUCTION_NONE));
        if (st == L2_OK)
            st = two(l2_l1_loss(A, P01, L2_REDUCTION_SUM),
                     l2_binary_cross_entropy_with_logits(A, P01, L2_REDUCTION_MEAN));
    }
    l2_tensor_release(s);
    return st;
}
static l2_status r_norms(void)
{
    return two(l2_layer_norm(A, 1, (int64_t[]){3}, Ch, Ch, 1e-5),
               l2_batch_norm(Img, RM, RV, NULL, NULL, true, 0.1, 1e-5));
}
static l2_status r_dropout(void) { return finish(l2_dropout(A, 0.5, true)); }
static l2_status r_conv(void)
{
    return finish(l2_conv2d(Img, Wconv, Bias, (int64_t[]){1, 1}, (int64_t[]){1, 1}, NULL, 1));
}
static l2_status r_pool(void)
{
    l2_status st = two(l2_max_pool2d(Img, (int64_t[]){2, 2}, NULL, NULL),
                       l2_avg_pool2d(Img, (int64_t[]){2, 2}, (int64_t[]){1, 1},
                                     (int64_t[]){1, 1}));
    if (st == L2_OK)
        st = two(l2_adaptive_avg_pool2d(Img, (int64_t[]){3, 2}),
                 l2_pad(Img, 4, (int64_t[]){1, 2, -1, 1}, 0.5));
    return st;
}
static l2_status r_print(void)
{
    char *s = l2_to_string(A);
    l2_status st = s ? L2_OK : l2_last_status();
    l2_free(s);
    return st;
}
static l2_status r_autograd_grad(void)
{
    l2_tensor *y = l2_mul(A, A);
    l2_tensor *s = y ? l2_sum(y) : NULL;
    l2_tensor *g[1] = {NULL};
    l2_status st = s ? l2_autograd_grad(1, &s, NULL, 1, &A, g, false, false) : l2_last_status();
    l2_tensor_release(g[0]);
    l2_tensor_release(s);
    l2_tensor_release(y);
    return st;
}
static l2_status r_optim(void)
{
    l2_tensor *p = l2_ones(1, (int64_t[]){3}, L2_FLOAT32);
    if (!p)
        return l2_last_status();
    l2_set_requires_grad(p, true);
    l2_sgd_options so = l2_sgd_defaults(0.1);
    so.momentum = 0.9;
    so.weight_decay = 0.01;
    l2_optimizer *o1 = l2_sgd(1, &p, so);
    l2_adam_options ao = l2_adam_defaults();
    ao.amsgrad = true;
    l2_optimizer *o2 = o1 ? l2_adam(1, &p, ao) : NULL;
    l2_status st = o2 ? L2_OK : l2_last_status();
    if (st == L2_OK) {
        l2_tensor *sq = l2_square(p);
        l2_tensor *s = sq ? l2_sum(sq) : NULL;
        st = s ? l2_backward(s, NULL, false) : l2_last_status();
        if (st == L2_OK)
            st = l2_optimizer_step(o1);
        if (st == L2_OK)
            st = l2_optimizer_step(o2);
        l2_tensor_release(s);
        l2_tensor_release(sq);
    }
    l2_optimizer_free(o2);
    l2_optimizer_free(o1);
    l2_tensor_release(p);
    return st;
}

static const struct {
    const char *name;
    l2_status (*run)(void);
} RUNS[] = {
    {"reshape/index/squeeze", r_views}, {"permute", r_permute}, {"expand", r_expand},
    {"select", r_select}, {"narrow", r_narrow}, {"flatten", r_flatten},
    {"unflatten", r_unflatten}, {"squeeze", r_squeeze}, {"as_strided", r_as_strided},
    {"cat/stack", r_cat}, {"to_dtype", r_convert}, {"copy_", r_copy}, {"creation", r_create},
    {"mul broadcast", r_binary}, {"div", r_div}, {"pow", r_pow}, {"where", r_where},
    {"masked_fill", r_masked}, {"tanh", r_unary}, {"clamp", r_clamp}, {"in-place", r_inplace},
    {"sum_dims", r_sum_dims}, {"mean_dims", r_mean}, {"var/std", r_var}, {"norm", r_norm},
    {"logsumexp", r_lse}, {"max", r_max}, {"prod", r_prod}, {"cumsum", r_cumsum},
    {"argmax/any", r_arg}, {"matmul/mv", r_matmul}, {"bmm", r_bmm}, {"addmm/linear", r_addmm},
    {"dot/outer", r_dot}, {"index_select/gather", r_index}, {"scatter_add", r_scatter},
    {"embedding/one_hot", r_embedding}, {"softmax", r_softmax}, {"cross_entropy/nll", r_ce},
    {"losses", r_losses}, {"layer_norm/batch_norm", r_norms}, {"dropout", r_dropout},
    {"conv2d", r_conv}, {"pooling/pad", r_pool}, {"to_string", r_print},
    {"autograd_grad", r_autograd_grad}, {"optimizers", r_optim},
};

static l2_tensor *leaf(l2_tensor *t)
{
    l2_set_requires_grad(t, true);
    Leaves[NLeaves++] = t;
    return t;
}

int main(void)
{
    l2_manual_seed(3);
    A = leaf(l2_randn(2, (int64_t[]){4, 3}, L2_FLOAT64));
    B = leaf(l2_randn(2, (int64_t[]){5, 3}, L2_FLOAT64));
    M = leaf(l2_randn(2, (int64_t[]){4, 2}, L2_FLOAT64));
    Kmat = leaf(l2_randn(2, (int64_t[]){3, 2}, L2_FLOAT64));
    Vec = leaf(l2_randn(1, (int64_t[]){3}, L2_FLOAT64));
    Ch = leaf(l2_randn(1, (int64_t[]){3}, L2_FLOAT64));
    Img = leaf(l2_randn(4, (int64_t[]){2, 3, 4, 4}, L2_FLOAT64));
    Wconv = leaf(l2_randn(4, (int64_t[]){2, 3, 3, 3}, L2_FLOAT64));
    Bias = leaf(l2_randn(1, (int64_t[]){2}, L2_FLOAT64));
    P01 = l2_rand(2, (int64_t[]){4, 3}, L2_FLOAT64);
    RM = l2_zeros(1, (int64_t[]){3}, L2_FLOAT64);
    RV = l2_ones(1, (int64_t[]){3}, L2_FLOAT64);
    Idx = l2_from_data((int64_t[]){2, 0, 1, 2}, 1, (int64_t[]){4}, L2_INT64);
    Tgt = l2_from_data((int64_t[]){3, 0, 1}, 2, (int64_t[]){1, 3}, L2_INT64);

    for (size_t r = 0; r < sizeof RUNS / sizeof RUNS[0]; r++) {
        int failures = 0, bad = 0, done = 0;
        for (int k = 0; k < 4000 && !done; k++) {
            l2_clear_error();
            l2_debug_fail_alloc_after(k);
            l2_status st = RUNS[r].run();
            l2_debug_fail_alloc_after(-1);
            if (st == L2_OK) {
                done = 1;
                break;
            }
            failures++;
            if (st != L2_ERR_NOMEM || l2_last_error()[0] == '\0') {
                if (bad++ == 0)
                    tap_diag("%s: allocation %d failing gives %s: %s", RUNS[r].name, k,
                             l2_status_name(st), l2_last_error());
            }
        }
        ok(done && failures > 0 && bad == 0,
           "%s: %d out-of-memory runs fail with L2_ERR_NOMEM, then it succeeds", RUNS[r].name,
           failures);
    }
    l2_tensor *inputs[] = {P01, RM, RV, Idx, Tgt};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        l2_tensor_release(inputs[i]);
    for (int i = 0; i < NLeaves; i++)
        l2_tensor_release(Leaves[i]);
    return tap_done();
}
