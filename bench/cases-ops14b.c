/* cases-ops14b.c: issue 14's later ops, forward and forward + backward, float32, in the full
 * profile only: the generic table runner (ops14_add_rows, used by cases-ops14c.c too) and the
 * rows of sorting and selection, scans, reductions, sampling, activations and distances. One row
 * per op: name parts, how its inputs are made (IN_*, cases.h), which require grad, the call.
 * The torch twins are in bench/torch_ops14.py under "op/variant".
 * L2_BENCH_SHAPES=1 prints each case's result shape to stderr at setup (to check the twins:
 * python3 bench/torch_ops14.py prints theirs). */
#include "cases.h"

/* ---- the generic setup / run / backward ---- */

enum { MAX_PIECES = 4 };

typedef struct {
    int n, nd[MAX_PIECES];
    int64_t d[MAX_PIECES][4];
} pieces;

/* The sizes in a shape text ("4096x256-1024"); 0 pieces when it does not parse. */
static pieces parse_shape(const char *s)
{
    pieces p = {0};
    while (*s && p.n < MAX_PIECES) {
        char *end;
        int64_t v = strtoll(s, &end, 10);
        if (end == s || p.nd[p.n] == 4)
            return (pieces){0};
        p.d[p.n][p.nd[p.n]++] = v;
        s = end;
        if (*s == 'x')
            s++;
        else if (*s == '-' || !*s) {
            p.n++;
            s += *s == '-';
        } else
            return (pieces){0};
    }
    return p;
}

static l2_tensor *randn_of(const pieces *p, int i)
{
    return l2_randn(p->nd[i], p->d[i], L2_FLOAT32);
}

/* The row's inputs into t (see cases.h); the number made, or -1 after a failure. */
static int make_inputs(const ops14_row *r, l2_tensor **t)
{
    pieces p = parse_shape(r->shape);
    if (p.n == 0)
        return -1;
    int n = 1;
    l2_tensor *tmp = NULL;
    switch (r->in) {
    case IN_RAND:
        for (n = 0; n < p.n; n++)
            t[n] = l2_rand(p.nd[n], p.d[n], L2_FLOAT32);
        break;
    case IN_RELU:
        tmp = randn_of(&p, 0);
        t[0] = tmp ? l2_relu(tmp) : NULL;
        break;
    case IN_SORT0:
        tmp = randn_of(&p, 0);
        t[0] = tmp ? l2_sort(tmp, -1, false, false, NULL) : NULL;
        for (; n < p.n; n++)
            t[n] = randn_of(&p, n);
        break;
    case IN_INDEX:
        if (p.n < 2)
            return -1;
        t[0] = randn_of(&p, 0);
        tmp = l2_randperm(p.d[0][0]);
        t[1] = tmp ? l2_narrow(tmp, 0, 0, p.d[1][0]) : NULL;
        n = 2;
        if (p.nd[1] > 1)
            t[n++] = randn_of(&p, 1);
        break;
    case IN_MASK:
        t[0] = randn_of(&p, 0);
        tmp = l2_rand(p.nd[0], p.d[0], L2_FLOAT32);
        t[1] = tmp ? l2_lt_scalar(tmp, 0.5) : NULL;
        n = 2;
        if (p.n > 1)
            t[n++] = randn_of(&p, 1);
        break;
    case IN_GATHER:
        t[0] = randn_of(&p, 0);
        t[1] = l2_randint(0, p.d[0][p.nd[0] - 1], p.nd[0], p.d[0]);
        n = 2;
        break;
    default:
        for (n = 0; n < p.n; n++)
            t[n] = randn_of(&p, n);
        break;
    }
    l2_tensor_release(tmp);
    for (int i = 0; i < n; i++)
        if (!t[i])
            return -1;
    return n;
}

static void print_shape(const char *name, const l2_tensor *y)
{
    fprintf(stderr, "%s\t", name);
    if (!y) {
        fprintf(stderr, "error: %s\n", l2_last_error());
        return;
    }
    fprintf(stderr, "(");
    for (int i = 0; i < l2_ndim(y); i++)
        fprintf(stderr, "%s%lld", i ? ", " : "", (long long)l2_shape(y)[i]);
    fprintf(stderr, ")\n");
}

/* c->fn is the row; c->p[4] the backward flag. t[7] = contiguous ones shaped like what +bwd
 * differentiates (it runs once here for the shape; the twin's are contiguous too). */
static void *setup_row(const bench_case *c)
{
    const ops14_row *r = c->fn;
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    l2_manual_seed(1);
    if (make_inputs(r, d->t) < 0) {
        bdata_free(d);
        return NULL;
    }
    const char *show = getenv("L2_BENCH_SHAPES");
    if (show && *show && strcmp(show, "0") != 0) {
        l2_tensor *y = c->p[4] && r->bwd ? r->bwd(d->t) : r->fwd(d->t);
        print_shape(c->name, y);
        l2_tensor_release(y);
    }
    if (!c->p[4])
        return d;
    for (int i = 0; i < 7; i++)
        if (r->grad >> i & 1u)
            l2_set_requires_grad(d->t[i], true);
    l2_tensor *y = (r->bwd ? r->bwd : r->fwd)(d->t);
    d->t[7] = y ? l2_ones(l2_ndim(y), l2_shape(y), L2_FLOAT32) : NULL; /* contiguous */
    l2_tensor_release(y);
    if (!d->t[7]) {
        bdata_free(d);
        return NULL;
    }
    return d;
}

static int run_row(void *p)
{
    bdata *d = p;
    const ops14_row *r = d->c->fn;
    return bench_consume(r->fwd(d->t));
}

static int run_row_bwd(void *p)
{
    bdata *d = p;
    const ops14_row *r = d->c->fn;
    l2_tensor *y = (r->bwd ? r->bwd : r->fwd)(d->t);
    int bad = !y || l2_backward(y, d->t[7], false) != L2_OK;
    l2_tensor_release(y);
    for (int i = 0; i < 7; i++)
        if (r->grad >> i & 1u)
            l2_set_grad_none(d->t[i]);
    return bad;
}

void ops14_add_rows(const ops14_row *rows, int n)
{
    if (!bench_full_profile())
        return;
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < n; k++) {
            if (grad && !rows[k].grad)
                continue;
            bench_case c = nn_case(rows[k].op, grad, rows[k].variant, rows[k].shape, setup_row,
                                   grad ? run_row_bwd : run_row);
            c.fn = (void *)&rows[k];
            pieces p = parse_shape(rows[k].shape);
            c.items = 1;
            for (int i = 0; i < p.nd[0]; i++)
                c.items *= (double)p.d[0][i];
            c.bytes = 8.0 * c.items;
            bench_add(c, NULL);
        }
}

l2_tensor *ops14_first_piece(l2_tensor **p, int64_t n)
{
    for (int64_t i = 1; i < n; i++)
        l2_tensor_release(p[i]);
    return n > 0 ? p[0] : NULL;
}

/* ---- the calls: t[0] the input, t[1..] the other operands ---- */

/* The values of an op that also returns indices (or a second result): the other dropped. */
static l2_tensor *drop2(l2_tensor *y, l2_tensor *other)
{
    l2_tensor_release(other);
    return y;
}

static const int D0[1] = {0}, D1[1] = {1};

static l2_tensor *f_argsort(l2_tensor **t) { return l2_argsort(t[0], 1, false, false); }
static l2_tensor *f_msort(l2_tensor **t) { return l2_msort(t[0]); }
static l2_tensor *f_kthvalue(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_kthvalue(t[0], 512, 1, false, &i);
    return drop2(y, i);
}
static l2_tensor *f_median(l2_tensor **t) { return l2_median(t[0]); }
static l2_tensor *f_median_dim(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_median_dim(t[0], 1, false, &i);
    return drop2(y, i);
}
static l2_tensor *f_mode(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_mode(t[0], 1, false, &i);
    return drop2(y, i);
}
static l2_tensor *f_searchsorted(l2_tensor **t) { return l2_searchsorted(t[0], t[1], false, NULL); }
static l2_tensor *f_bucketize(l2_tensor **t) { return l2_bucketize(t[1], t[0], false); }
static l2_tensor *f_cummin(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_cummin(t[0], 1, &i);
    return drop2(y, i);
}
static l2_tensor *f_amin(l2_tensor **t) { return l2_amin(t[0], 1, D0, false); }
static l2_tensor *f_aminmax(l2_tensor **t)
{
    l2_tensor *mx = NULL, *y = l2_aminmax(t[0], D1, false, &mx);
    return drop2(y, mx);
}
static l2_tensor *f_nanmean(l2_tensor **t) { return l2_nanmean(t[0], 1, D1, false); }
static l2_tensor *f_count_nonzero(l2_tensor **t) { return l2_count_nonzero(t[0], 1, D1); }
static l2_tensor *f_var_mean(l2_tensor **t)
{
    l2_tensor *m = NULL, *y = l2_var_mean(t[0], 1, D1, 1.0, false, &m);
    return drop2(y, m);
}
static l2_tensor *f_std_mean(l2_tensor **t)
{
    l2_tensor *m = NULL, *y = l2_std_mean(t[0], 1, D1, 1.0, false, &m);
    return drop2(y, m);
}
static l2_tensor *f_bernoulli_p(l2_tensor **t) { return l2_bernoulli_p(t[0], 0.5); }
static l2_tensor *f_hardtanh(l2_tensor **t) { return l2_hardtanh(t[0], -1.0, 1.0); }
static l2_tensor *f_relu6(l2_tensor **t) { return l2_relu6(t[0]); }
static l2_tensor *f_hardsigmoid(l2_tensor **t) { return l2_hardsigmoid(t[0]); }
static l2_tensor *f_selu(l2_tensor **t) { return l2_selu(t[0]); }
static l2_tensor *f_celu(l2_tensor **t) { return l2_celu(t[0], 1.0); }
static l2_tensor *f_logsigmoid(l2_tensor **t) { return l2_logsigmoid(t[0]); }
static l2_tensor *f_softsign(l2_tensor **t) { return l2_softsign(t[0]); }
static l2_tensor *f_tanhshrink(l2_tensor **t) { return l2_tanhshrink(t[0]); }
static l2_tensor *f_prelu(l2_tensor **t) { return l2_prelu(t[0], t[1]); }
static l2_tensor *f_glu(l2_tensor **t) { return l2_glu(t[0], 1); }
static l2_tensor *f_gelu_tanh(l2_tensor **t) { return l2_gelu(t[0], true); }
static l2_tensor *f_gelu(l2_tensor **t) { return l2_gelu(t[0], false); }
static l2_tensor *f_cosine_similarity(l2_tensor **t)
{
    return l2_cosine_similarity(t[0], t[1], 1, 1e-8);
}
static l2_tensor *f_pairwise_distance(l2_tensor **t)
{
    return l2_pairwise_distance(t[0], t[1], 2.0, 1e-6, false);
}
static l2_tensor *f_normalize(l2_tensor **t) { return l2_normalize(t[0], 2.0, 1, 1e-12); }

#define ROW(op, var, shape, in, grad, f) {#op, var, shape, in, grad, f, NULL}

static const ops14_row rows[] = {
    /* sorting and selection, scans */
    ROW(argsort, "dim1", "1024x1024", IN_RANDN, 0, f_argsort),
    ROW(msort, "dim0", "1024x1024", IN_RANDN, 1, f_msort),
    ROW(kthvalue, "k512dim1", "1024x1024", IN_RANDN, 1, f_kthvalue),
    ROW(median, "all", "1024x1024", IN_RANDN, 1, f_median),
    ROW(median, "dim1", "1024x1024", IN_RANDN, 1, f_median_dim),
    ROW(mode, "dim1", "1024x1024", IN_RANDN, 1, f_mode),
    ROW(searchsorted, "rows", "1024x1024-1024x1024", IN_SORT0, 0, f_searchsorted),
    ROW(bucketize, "b1024", "1024-1024x1024", IN_SORT0, 0, f_bucketize),
    ROW(cummin, "dim1", "1024x1024", IN_RANDN, 1, f_cummin),
    /* reductions */
    ROW(amin, "dim0", "1024x1024", IN_RANDN, 1, f_amin),
    ROW(aminmax, "dim1", "1024x1024", IN_RANDN, 0, f_aminmax), /* torch 1.13: no gradient */
    ROW(nanmean, "dim1", "1024x1024", IN_RANDN, 1, f_nanmean),
    ROW(count_nonzero, "half", "1024x1024", IN_RELU, 0, f_count_nonzero),
    ROW(var_mean, "dim1", "1024x1024", IN_RANDN, 1, f_var_mean),
    ROW(std_mean, "dim1", "1024x1024", IN_RANDN, 1, f_std_mean),
    /* sampling (bernoulli(p tensor), multinomial and normal(tensor, tensor): cases-nn.c) */
    ROW(bernoulli_p, "p0.5", "1024x1024", IN_RAND, 0, f_bernoulli_p),
    /* activations (gelu exact on [0.5, 1.5), forward only: cases-nn.c) */
    ROW(hardtanh, "m1p1", "1024x1024", IN_RANDN, 1, f_hardtanh),
    ROW(relu6, "contig", "1024x1024", IN_RANDN, 1, f_relu6),
    ROW(hardsigmoid, "contig", "1024x1024", IN_RANDN, 1, f_hardsigmoid),
    ROW(selu, "contig", "1024x1024", IN_RANDN, 1, f_selu),
    ROW(celu, "a1", "1024x1024", IN_RANDN, 1, f_celu),
    ROW(logsigmoid, "contig", "1024x1024", IN_RANDN, 1, f_logsigmoid),
    ROW(softsign, "contig", "1024x1024", IN_RANDN, 1, f_softsign),
    ROW(tanhshrink, "contig", "1024x1024", IN_RANDN, 1, f_tanhshrink),
    ROW(prelu, "c16", "64x16x32x32-16", IN_RANDN, 3, f_prelu),
    ROW(glu, "dim1", "1024x1024", IN_RANDN, 1, f_glu),
    ROW(gelu, "tanh", "1024x1024", IN_RANDN, 1, f_gelu_tanh),
    ROW(gelu, "exact", "1024x1024", IN_RANDN, 1, f_gelu),
    /* distances */
    ROW(cosine_similarity, "dim1", "1024x1024-1024x1024", IN_RANDN, 3, f_cosine_similarity),
    ROW(pairwise_distance, "p2", "1024x1024-1024x1024", IN_RANDN, 3, f_pairwise_distance),
    ROW(normalize, "p2dim1", "1024x1024", IN_RANDN, 1, f_normalize),
};

void bench_cases_ops14b(void) { ops14_add_rows(rows, (int)(sizeof rows / sizeof rows[0])); }
