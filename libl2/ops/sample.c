/* sample.c: the sampling ops of issue 14: bernoulli (a tensor of probabilities, and a number p),
 * multinomial (with and without replacement) and normal with tensor mean and/or std, with the
 * zero-gradient backwards torch 1.13 gives bernoulli and normal. Every op validates all of its
 * arguments before it draws, then draws through l2_rand / l2_randn (random.c: one key per call,
 * a counter-based stream), so the samples do not depend on the thread count. Not here: the fills
 * themselves (random.c). */
#include "nn-impl.h"

#include <float.h>
#include <stdlib.h>

/* l2_rand / l2_randn of (ndim, shape) in dt from inside the library (no scope registration). */
static l2_tensor *draw(int ndim, const int64_t *shape, l2_dtype dt, bool normal)
{
    l2__enter();
    l2_tensor *u = normal ? l2_randn(ndim, shape, dt) : l2_rand(ndim, shape, dt);
    l2__leave();
    return u;
}

/* The zero gradient torch 1.13 gives the inputs of bernoulli and normal: zeros of each input's
 * shape that has an edge. */
static l2_status zero_grads(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    for (int i = 0; i < n->n_inputs; i++) {
        if (!n->next[i].fn && !n->next[i].leaf)
            continue;
        gin[i] = l2__new("backward", n->in_ndim[i], n->in_shape[i], gout->dtype, true);
        if (!gin[i])
            return l2_last_status();
    }
    return L2_OK;
}

/* ---- bernoulli --------------------------------------------------------------------------- */

/* out[i] = u[i] < p[i] (p contiguous float64, or the number pv when p is NULL), out of dtype dt,
 * contiguous. */
static void bernoulli_fill(l2_tensor *out, const l2_tensor *u, const l2_tensor *p, double pv)
{
    int64_t n = l2__numel(out->ndim, out->shape);
    const double *ud = (const double *)l2__data(u);
    const double *pd = p ? (const double *)l2__data(p) : NULL;
    /* mutation test: the comparison turned round (ones with probability 1 - p) */
    bool flip = l2__fault("bernoulli_flip");
    L2__DISPATCH(out->dtype, {
        T *o = (T *)l2__data(out);
        for (int64_t i = 0; i < n; i++) {
            double q = pd ? pd[i] : pv;
            o[i] = (T)(flip ? ud[i] >= q : ud[i] < q);
        }
    });
}

l2_tensor *l2_bernoulli(const l2_tensor *p)
{
    const char *op = "bernoulli";
    L2__CHECK_T(p, NULL, op);
    L2__CHECK(l2__is_float(p->dtype), NULL, L2_ERR_DTYPE,
              "%s: \"bernoulli_tensor_cpu_p_\" not implemented for '%s'", op,
              l2_dtype_name(p->dtype));
    l2_tensor *pc = l2__nn_contig(op, p, L2_FLOAT64);
    if (!pc)
        return NULL;
    int64_t n = l2__numel(p->ndim, p->shape);
    const double *pd = (const double *)l2__data(pc);
    for (int64_t i = 0; i < n; i++) {
        if (!(pd[i] >= 0 && pd[i] <= 1)) {
            l2__fail(L2_ERR_ARG, "%s: Expected p_in >= 0 && p_in <= 1 to be true, but got "
                     "false (element %lld is %g)", op, (long long)i, pd[i]);
            l2_tensor_release(pc);
            return NULL;
        }
    }
    l2_tensor *out = l2__new(op, p->ndim, p->shape, p->dtype, false);
    l2_tensor *u = out ? draw(p->ndim, p->shape, L2_FLOAT64, false) : NULL;
    if (!u)
        goto fail;
    bernoulli_fill(out, u, pc, 0);
    l2_tensor_release(u);
    l2_tensor_release(pc);
    if (l2__needs_grad(1, &p) && !l2__record(L2__OP_BERNOULLI, out, 1, &p)) {
        l2_tensor_release(out);
        return NULL;
    }
    return l2__ret(out);
fail:
    l2_tensor_release(out);
    l2_tensor_release(pc);
    return NULL;
}

/* dp = 0 (torch 1.13: self: zeros_like(grad)). */
l2_status l2__bernoulli_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return zero_grads(n, gout, gin);
}

/* create_graph (issue 15): the zeros are constants (no history), as torch's zeros_like. */
l2_status l2__bernoulli_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return zero_grads(n, gout, gin);
}

l2_tensor *l2_bernoulli_p(const l2_tensor *t, double p)
{
    const char *op = "bernoulli";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(p >= 0 && p <= 1, NULL, L2_ERR_ARG,
              "%s: bernoulli_ expects p to be in [0, 1], but got p=%g", op, p);
    l2_tensor *out = l2__new(op, t->ndim, t->shape, t->dtype, false);
    l2_tensor *u = out ? draw(t->ndim, t->shape, L2_FLOAT64, false) : NULL;
    if (!u) {
        l2_tensor_release(out);
        return NULL;
    }
    bernoulli_fill(out, u, NULL, p);
    l2_tensor_release(u);
    return l2__ret(out);
}

/* ---- multinomial ------------------------------------------------------------------------- */

typedef struct {
    int cls;    /* 0: positive weight, 1: zero weight */
    double key; /* -log(1 - u) / w, or u for a zero weight */
    int64_t c;  /* the category */
} race;

static int race_cmp(const void *a, const void *b)
{
    const race *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls - y->cls;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->c > y->c) - (x->c < y->c);
}

/* Row r's samples with replacement: the first category whose running sum exceeds u * total. */
static void mn_with(int64_t *o, const double *w, int64_t K, const double *u, int64_t n,
                    double *cum)
{
    double s = 0;
    int64_t last = 0; /* the last category of positive weight */
    for (int64_t c = 0; c < K; c++) {
        s += w[c];
        cum[c] = s;
        if (w[c] > 0)
            last = c;
    }
    for (int64_t j = 0; j < n; j++) {
        double t = u[j] * s;
        int64_t lo = 0, hi = K - 1; /* the first c with cum[c] > t, within [0, K-1] */
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (cum[mid] > t)
                hi = mid;
            else
                lo = mid + 1;
        }
        /* u * s rounded up to s: the last positive weight */
        o[j] = cum[lo] > t ? lo : last;
    }
}

/* Sift rc[i] down the max-heap rc[0..m) (the root is the last in race order). */
static void heap_down(race *rc, int64_t m, int64_t i)
{
    for (;;) {
        int64_t l = 2 * i + 1, big = i;
        if (l < m && race_cmp(&rc[l], &rc[big]) > 0)
            big = l;
        if (l + 1 < m && race_cmp(&rc[l + 1], &rc[big]) > 0)
            big = l + 1;
        if (big == i)
            return;
        race t = rc[i];
        rc[i] = rc[big];
        rc[big] = t;
        i = big;
    }
}

/* Row r's samples without replacement: the n first categories in race order. Few samples of
 * many categories keep the n first in a max-heap (K log n); else the whole race is sorted. */
static void mn_without(int64_t *o, const double *w, int64_t K, const double *u, int64_t n,
                       race *rc)
{
    bool heap = n * 8 < K;
    int64_t m = 0; /* entries kept */
    for (int64_t c = 0; c < K; c++) {
        race e = {w[c] > 0 ? 0 : 1, w[c] > 0 ? -log1p(-u[c]) / w[c] : u[c], c};
        if (!heap || m < n) {
            rc[m++] = e;
            if (heap && m == n)
                for (int64_t i = n / 2 - 1; i >= 0; i--)
                    heap_down(rc, n, i);
        } else if (race_cmp(&e, &rc[0]) < 0) { /* better than the worst kept: replaces it */
            rc[0] = e;
            heap_down(rc, n, 0);
        }
    }
    qsort(rc, (size_t)m, sizeof *rc, race_cmp);
    for (int64_t j = 0; j < n; j++)
        o[j] = rc[j].c;
}

l2_tensor *l2_multinomial(const l2_tensor *weights, int64_t num_samples, bool replacement)
{
    const char *op = "multinomial";
    L2__CHECK_T(weights, NULL, op);
    const l2_tensor *w = weights;
    L2__CHECK(w->ndim == 1 || w->ndim == 2, NULL, L2_ERR_SHAPE,
              "%s: prob_dist must be 1 or 2 dim (got %d dims)", op, w->ndim);
    L2__CHECK(l2__is_float(w->dtype), NULL, L2_ERR_DTYPE, "%s: multinomial only supports "
              "floating-point dtypes for input, got: %s", op, l2_dtype_name(w->dtype));
    L2__CHECK(num_samples > 0, NULL, L2_ERR_ARG, "%s: cannot sample n_sample <= 0 samples (got "
              "%lld)", op, (long long)num_samples);
    int64_t K = w->shape[w->ndim - 1], R = w->ndim == 2 ? w->shape[0] : 1;
    L2__CHECK(replacement || num_samples <= K, NULL, L2_ERR_ARG, "%s: cannot sample n_sample > "
              "prob_dist.size(-1) samples without replacement (%lld > %lld)", op,
              (long long)num_samples, (long long)K);
    L2__CHECK(K <= (1 << 24), NULL, L2_ERR_ARG, "%s: number of categories cannot exceed 2^24 "
              "(got %lld)", op, (long long)K);
    int64_t osh[2] = {R, num_samples};
    int ond = w->ndim;
    const int64_t *oshape = ond == 2 ? osh : osh + 1;
    int64_t on;
    if (!l2__check_shape(op, ond, oshape, L2_INT64, &on))
        return NULL;
    if (on == 0) /* R == 0: no row to check, nothing drawn */
        return l2__ret(l2__new(op, ond, oshape, L2_INT64, false));
    l2_tensor *wc = l2__nn_contig(op, w, L2_FLOAT64);
    if (!wc)
        return NULL;
    const double *wd = (const double *)l2__data(wc);
    for (int64_t i = 0; i < R * K; i++) {
        if (!(wd[i] >= 0 && wd[i] < INFINITY)) {
            l2__fail(L2_ERR_ARG, "%s: probability tensor contains either `inf`, `nan` or "
                     "element < 0 (element %lld is %g)", op, (long long)i, wd[i]);
            l2_tensor_release(wc);
            return NULL;
        }
    }
    for (int64_t r = 0; r < R; r++) {
        double s = 0;
        for (int64_t c = 0; c < K; c++)
            s += wd[r * K + c];
        if (!(s > 0)) {
            l2_tensor_release(wc);
            l2__fail(L2_ERR_ARG, "%s: invalid multinomial distribution (sum of "
                     "probabilities <= 0) in row %lld", op, (long long)r);
            return NULL;
        }
    }
    /* scratch: the running sums, or the race of one row */
    size_t scratch = replacement ? (size_t)K * sizeof(double) : (size_t)K * sizeof(race);
    void *tmp = l2__malloc(scratch ? scratch : 1, op);
    l2_tensor *out = tmp ? l2__new(op, ond, oshape, L2_INT64, false) : NULL;
    int64_t ush[2] = {R, replacement ? num_samples : K};
    l2_tensor *u = out ? draw(2, ush, L2_FLOAT64, false) : NULL;
    if (!u) {
        l2__free(tmp);
        l2_tensor_release(out);
        l2_tensor_release(wc);
        return NULL;
    }
    int64_t *o = (int64_t *)l2__data(out);
    const double *ud = (const double *)l2__data(u);
    for (int64_t r = 0; r < R; r++) {
        if (replacement)
            mn_with(o + r * num_samples, wd + r * K, K, ud + r * num_samples, num_samples, tmp);
        else
            mn_without(o + r * num_samples, wd + r * K, K, ud + r * K, num_samples, tmp);
    }
    l2__free(tmp);
    l2_tensor_release(u);
    l2_tensor_release(wc);
    return l2__ret(out);
}

/* ---- normal ------------------------------------------------------------------------------ */

/* out = mean + std * z, in float64, rounded once; operands 0..3: out, z, mean, std (one dtype). */
static void normal_loop(int64_t n, char **ptr, const int64_t *step, void *ctx)
{
    l2_dtype dt = *(const l2_dtype *)ctx;
    L2__DISPATCH_FLOAT(dt, {
        for (int64_t i = 0; i < n; i++) {
            double z = *(const T *)(ptr[1] + i * step[1]);
            double m = *(const T *)(ptr[2] + i * step[2]);
            double s = *(const T *)(ptr[3] + i * step[3]);
            *(T *)(ptr[0] + i * step[0]) = (T)(m + s * z);
        }
    });
}

/* A 0-d tensor holding v in dt (no scope registration). */
static l2_tensor *number(const char *op, double v, l2_dtype dt)
{
    l2_tensor *t = l2__new(op, 0, NULL, dt, false);
    if (t)
        l2__store(l2__data(t), dt, v);
    return t;
}

/* The three forms: a NULL mean (std) tensor stands for the number ms (ss). Checked in torch
 * 1.13's order: std's values, the shapes, the dtype. */
static l2_tensor *normal_impl(const char *op, const l2_tensor *mean, double ms,
                              const l2_tensor *std, double ss)
{
    L2__CHECK(std || ss >= 0, NULL, L2_ERR_ARG, "%s: normal expects std >= 0.0, but found std "
              "%g", op, ss);
    if (std) {
        l2_tensor *s64 = l2__nn_contig(op, std, L2_FLOAT64);
        if (!s64)
            return NULL;
        const double *sd = (const double *)l2__data(s64);
        int64_t sn = l2__numel(std->ndim, std->shape), bad = -1;
        for (int64_t i = 0; i < sn && bad < 0; i++)
            bad = sd[i] >= 0 ? -1 : i;
        double v = bad >= 0 ? sd[bad] : 0;
        l2_tensor_release(s64);
        L2__CHECK(bad < 0, NULL, L2_ERR_ARG, "%s: normal expects all elements of std >= 0.0 "
                  "(element %lld is %g)", op, (long long)bad, v);
    }
    const l2_tensor *lead = mean ? mean : std;
    int64_t shape[L2_MAX_DIMS];
    int nd = lead->ndim;
    memcpy(shape, lead->shape, sizeof(int64_t) * (size_t)nd);
    if (mean && std) {
        nd = l2__broadcast_shapes(op, mean->ndim, mean->shape, std->ndim, std->shape, shape);
        if (nd < 0)
            return NULL;
    }
    L2__CHECK(l2__is_float(lead->dtype), NULL, L2_ERR_DTYPE,
              "%s: \"normal_kernel_cpu\" not implemented for '%s'", op,
              l2_dtype_name(lead->dtype));
    l2_dtype dt = lead->dtype;
    l2_tensor *mc = mean ? l2__nn_as(op, mean, dt) : number(op, ms, dt);
    l2_tensor *sc = !mc ? NULL : std ? l2__nn_as(op, std, dt) : number(op, ss, dt);
    if (!sc) {
        l2_tensor_release(mc);
        return NULL;
    }
    l2_tensor *mb = l2__nn_bcast(mc, nd, shape), *sb = mb ? l2__nn_bcast(sc, nd, shape) : NULL;
    l2_tensor *out = sb ? l2__new(op, nd, shape, dt, false) : NULL;
    l2_tensor *z = out ? draw(nd, shape, dt, true) : NULL;
    if (z) {
        const l2_tensor *ops[4] = {out, z, mb, sb};
        l2__iter it;
        l2__iter_init(&it, 4, ops);
        l2__iter_run(&it, normal_loop, &dt);
    }
    l2_tensor_release(z);
    l2_tensor_release(mb);
    l2_tensor_release(sb);
    l2_tensor_release(mc);
    l2_tensor_release(sc);
    if (!z) {
        l2_tensor_release(out);
        return NULL;
    }
    const l2_tensor *in[2] = {mean, std};
    if (l2__needs_grad(2, in) && !l2__record(L2__OP_NORMAL, out, 2, in)) {
        l2_tensor_release(out);
        return NULL;
    }
    return l2__ret(out);
}

/* dmean = 0, dstd = 0 (torch 1.13's NormalBackward1, 2 and 3). */
l2_status l2__normal_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return zero_grads(n, gout, gin);
}

/* create_graph (issue 15): constant zeros, as bernoulli's. */
l2_status l2__normal_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return zero_grads(n, gout, gin);
}

l2_tensor *l2_normal_tensor_tensor(const l2_tensor *mean, const l2_tensor *std)
{
    L2__CHECK_T(mean, NULL, "normal");
    L2__CHECK_T(std, NULL, "normal");
    return normal_impl("normal", mean, 0, std, 0);
}

l2_tensor *l2_normal_tensor_float(const l2_tensor *mean, double std)
{
    L2__CHECK_T(mean, NULL, "normal");
    return normal_impl("normal", mean, 0, NULL, std);
}

l2_tensor *l2_normal_float_tensor(double mean, const l2_tensor *std)
{
    L2__CHECK_T(std, NULL, "normal");
    return normal_impl("normal", NULL, mean, std, 0);
}
