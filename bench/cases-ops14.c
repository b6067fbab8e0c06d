/* cases-ops14.c: issue 14's ops, forward and forward + backward, float32, in the full profile
 * only: the generic table runner (ops14_add_rows, used by cases-ops14b.c and cases-ops14c.c too)
 * and the rows of the ops of session 7 (sorting, scans, activations, shape ops, indexing,
 * transposed convolution). One row per op (ops14_row, cases.h): name parts, how its inputs are
 * made from the shape text (IN_*), which require grad, the call. The torch twins are in
 * bench/torch_ops14.py under "op/variant".
 * L2_BENCH_SHAPES=1 prints each case's result shape to stderr at setup (to check the twins:
 * python3 bench/torch_ops14.py CASE... prints theirs). */
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

static int64_t numel_of(const pieces *p, int i)
{
    int64_t n = 1;
    for (int k = 0; k < p->nd[i]; k++)
        n *= p->d[i][k];
    return n;
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
    case IN_INDEX_ANY:
        if (p.n < 2)
            return -1;
        t[0] = randn_of(&p, 0);
        if (r->in == IN_INDEX) {
            tmp = l2_randperm(p.d[0][0]);
            t[1] = tmp ? l2_narrow(tmp, 0, 0, p.d[1][0]) : NULL;
        } else
            t[1] = l2_randint(0, p.d[0][0], 1, p.d[1]);
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
    case IN_TAKE:
        t[0] = randn_of(&p, 0);
        t[1] = l2_randint(0, r->in == IN_TAKE ? numel_of(&p, 0) : p.d[0][p.nd[0] - 1], p.nd[0],
                          p.d[0]);
        n = 2;
        break;
    case IN_INTS:
    case IN_INTS_SORTED:
        tmp = l2_randint(0, 64, p.nd[0], p.d[0]);
        t[0] = tmp ? l2_to_dtype(tmp, L2_FLOAT32) : NULL;
        if (r->in == IN_INTS_SORTED && t[0]) {
            l2_tensor_release(tmp);
            tmp = t[0];
            t[0] = l2_sort(tmp, -1, false, false, NULL);
        }
        break;
    case IN_SCATTER0:
    case IN_SCATTER1:
        if (p.n != 2 || p.nd[0] < 2 || p.nd[1] != p.nd[0])
            return -1;
        t[0] = randn_of(&p, 0);
        t[1] = l2_randint(0, p.d[0][r->in == IN_SCATTER1], p.nd[1], p.d[1]);
        t[2] = randn_of(&p, 1);
        n = 3;
        break;
    case IN_CONV:
        if (p.n != 2 || p.nd[1] < 2)
            return -1;
        t[0] = randn_of(&p, 0);
        t[1] = randn_of(&p, 1);
        t[2] = l2_randn(1, &p.d[1][1], L2_FLOAT32);
        n = 3;
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
    if (bench_full_profile())
        ops14_add_rows_always(rows, n);
}

void ops14_add_rows_always(const ops14_row *rows, int n)
{
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < n; k++) {
            if (grad && !rows[k].grad)
                continue;
            bench_case c = nn_case(rows[k].op, grad, rows[k].variant, rows[k].shape, setup_row,
                                   grad ? run_row_bwd : run_row);
            c.fn = (void *)&rows[k];
            pieces p = parse_shape(rows[k].shape);
            c.items = (double)numel_of(&p, 0);
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

/* The values of an op that also returns indices: the indices dropped. */
static l2_tensor *values(l2_tensor *y, l2_tensor *indices)
{
    l2_tensor_release(indices);
    return y;
}

static l2_tensor *f_sort(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_sort(t[0], 1, false, false, &i);
    return values(y, i);
}
static l2_tensor *f_topk(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_topk(t[0], 10, 1, true, true, &i);
    return values(y, i);
}
static l2_tensor *f_cumprod(l2_tensor **t) { return l2_cumprod(t[0], 1); }
static l2_tensor *f_cummax(l2_tensor **t)
{
    l2_tensor *i = NULL, *y = l2_cummax(t[0], 1, &i);
    return values(y, i);
}
static l2_tensor *f_logcumsumexp(l2_tensor **t) { return l2_logcumsumexp(t[0], 1); }
static l2_tensor *f_amax(l2_tensor **t) { return l2_amax(t[0], 1, (const int[]){0}, false); }
static l2_tensor *f_nansum(l2_tensor **t) { return l2_nansum(t[0], 1, (const int[]){1}, false); }
static l2_tensor *f_hardswish(l2_tensor **t) { return l2_hardswish(t[0]); }
static l2_tensor *f_mish(l2_tensor **t) { return l2_mish(t[0]); }
static l2_tensor *f_flip(l2_tensor **t) { return l2_flip(t[0], 1, (const int[]){0}); }
static l2_tensor *f_roll(l2_tensor **t)
{
    return l2_roll(t[0], 1, (const int64_t[]){1}, 1, (const int[]){1});
}
static l2_tensor *f_tril(l2_tensor **t) { return l2_tril(t[0], 0); }
static l2_tensor *f_repeat(l2_tensor **t) { return l2_repeat(t[0], 2, (const int64_t[]){2, 2}); }
static l2_tensor *f_index_add(l2_tensor **t) { return l2_index_add(t[0], 0, t[1], t[2], 1.0); }
static l2_tensor *f_masked_select(l2_tensor **t) { return l2_masked_select(t[0], t[1]); }
static l2_tensor *f_take(l2_tensor **t) { return l2_take(t[0], t[1]); }
static l2_tensor *f_conv_transpose2d(l2_tensor **t)
{
    static const int64_t s2[2] = {2, 2}, p1[2] = {1, 1}, op0[2] = {0, 0}, d1[2] = {1, 1};
    return l2_conv_transpose2d(t[0], t[1], t[2], s2, p1, op0, 1, d1);
}

#define ROW(op, var, shape, in, grad, f) {#op, var, shape, in, grad, f, NULL}

static const ops14_row rows[] = {
    ROW(sort, "dim1", "1024x1024", IN_RANDN, 1, f_sort),
    ROW(topk, "k10", "1024x1024", IN_RANDN, 1, f_topk),
    ROW(cumprod, "dim1", "1024x1024", IN_RANDN, 1, f_cumprod),
    ROW(cummax, "dim1", "1024x1024", IN_RANDN, 1, f_cummax),
    ROW(logcumsumexp, "dim1", "1024x1024", IN_RANDN, 1, f_logcumsumexp),
    ROW(amax, "dim0", "1024x1024", IN_RANDN, 1, f_amax),
    ROW(nansum, "dim1", "1024x1024", IN_RANDN, 1, f_nansum),
    ROW(hardswish, "contig", "1024x1024", IN_RANDN, 1, f_hardswish),
    ROW(mish, "contig", "1024x1024", IN_RANDN, 1, f_mish),
    ROW(flip, "dim0", "1024x1024", IN_RANDN, 1, f_flip),
    ROW(roll, "s1d1", "1024x1024", IN_RANDN, 1, f_roll),
    ROW(tril, "d0", "1024x1024", IN_RANDN, 1, f_tril),
    ROW(repeat, "2x2", "512x512", IN_RANDN, 1, f_repeat),
    ROW(index_add, "dim0", "4096x256-1024x256", IN_INDEX_ANY, 5, f_index_add),
    ROW(masked_select, "half", "1024x1024", IN_MASK, 1, f_masked_select),
    ROW(take, "perm", "1024x1024", IN_TAKE, 1, f_take),
    ROW(conv_transpose2d, "s2p1", "8x32x16x16-32x16x4x4", IN_CONV, 7, f_conv_transpose2d),
};

void bench_cases_ops14(void) { ops14_add_rows(rows, (int)(sizeof rows / sizeof rows[0])); }
