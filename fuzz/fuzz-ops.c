/* fuzz-ops.c: a libFuzzer target that reads its input as a program over a pool of 8 tensor slots:
 * creation (small shapes, any dtype), views and indexing, elementwise, reductions, matmul, in-place
 * ops, copy_, scopes, no_grad, requires_grad, backward, autograd_grad, keep, release and injected
 * allocation failures. Arguments are mostly small and sometimes hostile (negative, huge); the
 * library must then fail cleanly. Every failure must set a status and a message; at the end all
 * scopes are closed and every tensor released, so anything left over is a leak (LeakSanitizer).
 * Tensors over MAX_NUMEL elements are not kept, so that each input runs in milliseconds. */
#include <l2.h>

#include <dlpack/dlpack.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS 8
#define MAX_NUMEL 4096
#define MAX_OPS 64

typedef struct {
    const uint8_t *p;
    size_t n, i;
} reader;

static uint8_t u8(reader *r) { return r->i < r->n ? r->p[r->i++] : 0; }

/* A small integer (-2..6) most of the time; a hostile one otherwise. */
static int64_t arg(reader *r)
{
    static const int64_t hostile[] = {INT64_MAX, INT64_MIN, INT64_MAX / 2 + 1, (int64_t)1 << 31,
                                      -((int64_t)1 << 31), (int64_t)1 << 62, 4097, 65536,
                                      -100, 100, -9, 9, (int64_t)1 << 32, INT32_MAX, INT32_MIN,
                                      -1};
    uint8_t b = u8(r);
    if (b < 224)
        return (int64_t)(b % 9) - 2;
    return hostile[b % 16];
}

static int dimarg(reader *r)
{
    int64_t v = arg(r);
    return v > INT32_MAX || v < INT32_MIN ? (int)(v & 0xff) - 128 : (int)v;
}

static double value(reader *r)
{
    static const double vals[] = {0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 1e-3, 1e308, -1e308, 1e-310,
                                  NAN, INFINITY, -INFINITY, 3.5, -0.0, 7.0};
    return vals[u8(r) % 16];
}

/* The pool: tensors and who owns each: 0 = this program, d > 0 = the scope at depth d. */
static l2_tensor *slot[NSLOTS];
static int owner[NSLOTS];
static int depth;       /* scopes opened by this program and still open */
static int nograd;      /* no_grad_begin calls not yet ended */

static l2_tensor *get(reader *r)
{
    uint8_t b = u8(r);
    return b == 0xff ? NULL : slot[b % NSLOTS];
}

static int64_t numel_of(const l2_tensor *t) { return t ? l2_numel(t) : 0; }

/* A failed call must say so: a non-OK status and a non-empty message. */
static void check_failure(const char *what)
{
    if (l2_last_status() == L2_OK || l2_last_error()[0] == '\0') {
        fprintf(stderr, "fuzz-ops: %s failed without a status or message (status %s)\n", what,
                l2_status_name(l2_last_status()));
        abort();
    }
}

static void drop(int s)
{
    if (slot[s] && owner[s] == 0)
        l2_tensor_release(slot[s]);
    slot[s] = NULL;
}

/* Too big to keep: over MAX_NUMEL elements, or an empty tensor whose other dims multiply past
 * it (a reduction over its empty dim would legitimately make a huge output). */
static bool too_big_tensor(const l2_tensor *t)
{
    int64_t m = 1;
    for (int i = 0; i < l2_ndim(t); i++) {
        int64_t d = l2_shape(t)[i];
        if (d > 0 && (__builtin_mul_overflow(m, d, &m) || m > MAX_NUMEL))
            return true;
    }
    return false;
}

/* Put the result of an op into slot s (too big tensors are dropped). */
static void put_at(int s, l2_tensor *t)
{
    if (too_big_tensor(t)) {
        if (depth == 0)
            l2_tensor_release(t);
        return;
    }
    /* A call may return a tensor the pool already holds (contiguous of a contiguous tensor,
     * flatten over one dim, autograd_grad's gradient of an output with respect to itself).
     * Inside a scope that return is the scope's reference, and l2.h's rule makes the next
     * release of t drop it: release it now, keeping the pool as it was. */
    for (int k = 0; depth > 0 && k < NSLOTS; k++)
        if (slot[k] == t) {
            l2_tensor_release(t);
            return;
        }
    drop(s);
    slot[s] = t;
    owner[s] = depth;
}

/* Put the result of an op into a slot chosen by the input. */
static void put(reader *r, l2_tensor *t, const char *what)
{
    int s = u8(r) % NSLOTS;
    if (!t) {
        check_failure(what);
        return;
    }
    put_at(s, t);
}

static void status_of(l2_status st, const char *what)
{
    if (st != L2_OK)
        check_failure(what);
}

/* Shapes of at most 4 dims of sizes 0..4, or (rarely) a hostile one. */
static int read_shape(reader *r, int64_t *shape)
{
    uint8_t b = u8(r);
    int ndim = b % 5;
    bool hostile = b >= 0xf0;
    if (b == 0xff)
        return (int)arg(r);
    for (int i = 0; i < ndim; i++)
        shape[i] = hostile ? arg(r) : (int64_t)(u8(r) % 5);
    return ndim;
}

/* Whether the shape could allocate more than MAX_NUMEL elements while being valid. */
static bool too_big(int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > L2_MAX_DIMS)
        return false;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return false;
        if (shape[i] == 0)
            return false;
    }
    for (int i = 0; i < ndim; i++) {
        if (__builtin_mul_overflow(n, shape[i], &n))
            return false; /* must fail with L2_ERR_OVERFLOW */
    }
    return n > MAX_NUMEL;
}

static l2_dtype read_dtype(reader *r)
{
    uint8_t b = u8(r);
    return b >= 0xf8 ? (l2_dtype)(b & 7) : (l2_dtype)(b % L2_DTYPE_COUNT);
}

static void op_create(reader *r)
{
    int64_t shape[L2_MAX_DIMS] = {0};
    int kind = u8(r) % 12;
    l2_dtype dt = read_dtype(r);
    int ndim = read_shape(r, shape);
    if (too_big(ndim, shape))
        return;
    const int64_t *sh = ndim > L2_MAX_DIMS ? NULL : shape;
    l2_tensor *t = NULL;
    switch (kind) {
    case 0: t = l2_zeros(ndim, sh, dt); break;
    case 1: t = l2_ones(ndim, sh, dt); break;
    case 2: t = l2_full(ndim, sh, value(r), dt); break;
    case 3: t = l2_rand(ndim, sh, dt); break;
    case 4: t = l2_randn(ndim, sh, dt); break;
    case 5: t = l2_randint(arg(r), arg(r), ndim, sh); break;
    case 6: t = l2_scalar(value(r), dt); break;
    case 7: {
        /* Hostile ends, but no valid call of more than MAX_NUMEL elements. */
        double start = (double)arg(r), end = (double)arg(r), step = (double)(arg(r) % 5);
        if (step != 0 && (end - start) / step > MAX_NUMEL)
            return;
        t = l2_arange(start, end, step, dt);
        break;
    }
    case 8: t = l2_linspace(value(r), value(r), u8(r) % 9, dt); break;
    case 9: t = l2_eye(u8(r) % 6, (int64_t)(u8(r) % 7) - 1, dt); break;
    case 10: {
        /* Values straight from the input bytes, shape bounded by the buffer. */
        uint8_t buf[MAX_NUMEL * 8];
        int64_t n = 1;
        for (int i = 0; i < ndim && sh; i++)
            if (shape[i] <= 0 || __builtin_mul_overflow(n, shape[i], &n))
                n = 0;
        size_t esz = l2_dtype_size(dt);
        for (size_t i = 0; i < (size_t)n * esz && i < sizeof buf; i++)
            buf[i] = u8(r);
        if (dt == L2_BOOL)
            for (size_t i = 0; i < (size_t)n; i++)
                buf[i] &= 1;
        t = l2_from_data(buf, ndim, sh, dt);
        break;
    }
    default: {
        l2_tensor *src = get(r);
        switch (u8(r) % 6) {
        case 0:
            /* Uninitialised bytes are no valid bools: zero them before anyone reads them. */
            t = l2_empty_like(src);
            if (t && l2_zero_(t) != L2_OK)
                abort();
            break;
        case 1: t = l2_zeros_like(src); break;
        case 2: t = l2_ones_like(src); break;
        case 3: t = l2_full_like(src, value(r)); break;
        case 4: t = l2_rand_like(src); break;
        default: t = l2_randn_like(src); break;
        }
        break;
    }
    }
    put(r, t, "create");
}

static void op_view(reader *r)
{
    l2_tensor *t = get(r);
    int kind = u8(r) % 19;
    int nd = t ? l2_ndim(t) : 0;
    int64_t shape[L2_MAX_DIMS + 1] = {0}, strides[L2_MAX_DIMS + 1] = {0};
    int dims[L2_MAX_DIMS] = {0};
    l2_tensor *out = NULL;
    switch (kind) {
    case 0: out = l2_slice(t, dimarg(r), arg(r), arg(r), arg(r)); break;
    case 1: out = l2_select(t, dimarg(r), arg(r)); break;
    case 2: out = l2_transpose(t, dimarg(r), dimarg(r)); break;
    case 3:
        for (int i = 0; i < nd; i++)
            dims[i] = u8(r) < 240 ? (int)(u8(r) % (nd + 1)) - 1 : dimarg(r);
        out = l2_permute(t, dims);
        break;
    case 4: {
        int n = nd + u8(r) % 3;
        if (n > L2_MAX_DIMS)
            n = L2_MAX_DIMS;
        for (int i = 0; i < n; i++) {
            int k = i - (n - nd);
            int64_t s = k >= 0 ? l2_shape(t)[k] : 1;
            uint8_t b = u8(r);
            shape[i] = b < 128 ? s : b < 200 ? (s == 1 ? b % 4 : -1) : arg(r);
        }
        int64_t m = 1;
        bool big = false;
        for (int i = 0; i < n; i++)
            if (shape[i] > 0 && (__builtin_mul_overflow(m, shape[i], &m) || m > MAX_NUMEL))
                big = true;
        out = big && u8(r) & 1 ? NULL : (u8(r) & 1 ? l2_expand(t, n, shape)
                                                   : l2_broadcast_to(t, n, shape));
        if (!out && big)
            return;
        break;
    }
    case 5:
    case 6: {
        int n = read_shape(r, shape);
        if (n >= 0 && n <= L2_MAX_DIMS && n > 0 && u8(r) & 1)
            shape[u8(r) % n] = -1;
        const int64_t *sh = n > L2_MAX_DIMS ? NULL : shape;
        out = kind == 5 ? l2_reshape(t, n, sh) : l2_view(t, n, sh);
        break;
    }
    case 7: out = l2_unsqueeze(t, dimarg(r)); break;
    case 8: out = l2_squeeze(t); break;
    case 9: out = l2_squeeze_dim(t, dimarg(r)); break;
    case 10: out = l2_narrow(t, dimarg(r), arg(r), arg(r)); break;
    case 11: out = l2_flatten(t, dimarg(r), dimarg(r)); break;
    case 12: {
        int n = u8(r) % 4;
        for (int i = 0; i < n; i++)
            shape[i] = arg(r);
        out = l2_unflatten(t, dimarg(r), n, shape);
        break;
    }
    case 13: out = l2_t(t); break;
    case 14: out = l2_detach(t); break;
    case 15: {
        int n = u8(r) % 4;
        for (int i = 0; i < n; i++) {
            shape[i] = u8(r) < 230 ? u8(r) % 5 : arg(r);
            strides[i] = u8(r) < 230 ? u8(r) % 5 : arg(r);
        }
        if (too_big(n, shape))
            return;
        out = l2_as_strided(t, n, shape, strides, u8(r) < 230 ? u8(r) % 8 : arg(r));
        break;
    }
    case 16: {
        /* An index string from a small grammar of valid and invalid items. */
        static const char *items[] = {"0",  "-1", ":",   "::2", "1:", "...", "None", ":-1",
                                      "1:3:2", "5", "x", "-9", "::0", "2:1", "",
                                      "9223372036854775808"};
        char spec[128] = "";
        int n = u8(r) % 5;
        for (int i = 0; i < n; i++) {
            if (i)
                strcat(spec, u8(r) & 1 ? ", " : ",");
            strcat(spec, items[u8(r) % 16]);
        }
        out = l2_index(t, spec);
        break;
    }
    case 17: out = l2_contiguous(t); break;
    default: out = l2_clone(t); break;
    }
    put(r, out, "view");
}

/* Whether broadcasting a and b (or the matmul of them) would be larger than we want to compute. */
static bool pair_too_big(const l2_tensor *a, const l2_tensor *b)
{
    return numel_of(a) * numel_of(b) > 65536;
}

/* Ops with extra arguments, fixed so that they fit the tables below. */
static l2_tensor *f_mse(const l2_tensor *a, const l2_tensor *b)
{
    return l2_mse_loss(a, b, L2_REDUCTION_MEAN);
}
static l2_tensor *f_l1(const l2_tensor *a, const l2_tensor *b)
{
    return l2_l1_loss(a, b, L2_REDUCTION_SUM);
}
static l2_tensor *f_bce(const l2_tensor *a, const l2_tensor *b)
{
    return l2_binary_cross_entropy(a, b, L2_REDUCTION_MEAN);
}
static l2_tensor *f_bce_logits(const l2_tensor *a, const l2_tensor *b)
{
    return l2_binary_cross_entropy_with_logits(a, b, L2_REDUCTION_NONE);
}
static l2_tensor *f_dropout(const l2_tensor *t, double p) { return l2_dropout(t, p, true); }
static l2_tensor *f_gelu(const l2_tensor *t) { return l2_gelu(t, false); }
/* sample (issue 14): the number-argument forms */
static l2_tensor *f_normal_ft(const l2_tensor *t, double v) { return l2_normal_float_tensor(v, t); }

static void op_binary(reader *r)
{
    typedef l2_tensor *(*bin_fn)(const l2_tensor *, const l2_tensor *);
    static const bin_fn fns[] = {l2_add, l2_sub, l2_mul, l2_div, l2_pow, l2_maximum, l2_minimum,
                                 l2_atan2, l2_fmod, l2_remainder, l2_eq, l2_ne, l2_lt, l2_le,
                                 l2_gt, l2_ge, l2_logical_and, l2_logical_or, l2_logical_xor,
                                 l2_matmul, l2_mm, l2_bmm, l2_mv, l2_dot, l2_outer, f_mse,
                                 f_l1, f_bce, f_bce_logits};
    int k = u8(r) % (int)(sizeof fns / sizeof fns[0]);
    l2_tensor *a = get(r), *b = get(r);
    if (pair_too_big(a, b))
        return;
    put(r, fns[k](a, b), "binary");
}

static void op_scalar(reader *r)
{
    typedef l2_tensor *(*sc_fn)(const l2_tensor *, double);
    static const sc_fn fns[] = {l2_add_scalar, l2_sub_scalar, l2_mul_scalar, l2_div_scalar,
                                l2_pow_scalar, l2_rsub_scalar, l2_eq_scalar, l2_ne_scalar,
                                l2_lt_scalar, l2_le_scalar, l2_gt_scalar, l2_ge_scalar,
                                l2_full_like, l2_leaky_relu, l2_elu, f_dropout,
                                l2_bernoulli_p, l2_normal_tensor_float, f_normal_ft};
    int k = u8(r) % (int)(sizeof fns / sizeof fns[0]);
    l2_tensor *a = get(r);
    put(r, fns[k](a, value(r)), "scalar");
}

static void op_unary(reader *r)
{
    typedef l2_tensor *(*un_fn)(const l2_tensor *);
    static const un_fn fns[] = {
        l2_neg,  l2_abs,  l2_sign,   l2_exp,   l2_exp2,       l2_expm1,  l2_log,   l2_log2,
        l2_log10, l2_log1p, l2_sqrt, l2_rsqrt, l2_square,    l2_reciprocal, l2_sin, l2_cos,
        l2_tan,  l2_asin, l2_acos,   l2_atan,  l2_sinh,       l2_cosh,   l2_tanh,  l2_sigmoid,
        l2_relu, l2_silu, l2_erf,    l2_floor, l2_ceil,       l2_round,  l2_trunc, l2_logical_not,
        l2_sum,  l2_mean, l2_prod,   l2_max,   l2_min,        l2_argmax, l2_argmin, l2_all,
        l2_any,  f_gelu,  l2_bernoulli};
    int k = u8(r) % (int)(sizeof fns / sizeof fns[0]);
    put(r, fns[k](get(r)), "unary");
}

static int read_dims(reader *r, int *dims)
{
    int n = u8(r) % 4;
    for (int i = 0; i < n; i++)
        dims[i] = dimarg(r);
    return n;
}

static void op_reduce(reader *r)
{
    l2_tensor *t = get(r);
    int dims[4];
    int kind = u8(r) % 20;
    bool keep = u8(r) & 1;
    l2_tensor *out = NULL, *idx = NULL;
    switch (kind) {
    case 0: { int n = read_dims(r, dims); out = l2_sum_dims(t, n, dims, keep); break; }
    case 1: { int n = read_dims(r, dims); out = l2_mean_dims(t, n, dims, keep); break; }
    case 2: out = l2_prod_dim(t, dimarg(r), keep); break;
    case 3: out = l2_max_dim(t, dimarg(r), keep, u8(r) & 1 ? &idx : NULL); break;
    case 4: out = l2_min_dim(t, dimarg(r), keep, u8(r) & 1 ? &idx : NULL); break;
    case 5: out = l2_argmax_dim(t, dimarg(r), keep); break;
    case 6: out = l2_argmin_dim(t, dimarg(r), keep); break;
    case 7: { int n = read_dims(r, dims); out = l2_var(t, n, dims, value(r), keep); break; }
    case 8: { int n = read_dims(r, dims); out = l2_std(t, n, dims, (double)(u8(r) % 3), keep);
              break; }
    case 9: { int n = read_dims(r, dims); out = l2_logsumexp(t, n, dims, keep); break; }
    case 10: { int n = read_dims(r, dims); out = l2_norm(t, value(r), n, dims, keep); break; }
    case 11: out = l2_cumsum(t, dimarg(r)); break;
    case 12: out = l2_all_dim(t, dimarg(r), keep); break;
    case 13: out = l2_any_dim(t, dimarg(r), keep); break;
    case 14: out = l2_softmax(t, dimarg(r)); break;
    case 15: out = l2_log_softmax(t, dimarg(r)); break;
    case 16: out = l2_to_dtype(t, read_dtype(r)); break;
    case 17: out = l2_clamp(t, value(r), value(r)); break;
    case 18: out = l2_gelu(t, true); break;
    default: out = l2_softplus(t, value(r), value(r)); break;
    }
    put(r, out, "reduce");
    if (idx)
        put(r, idx, "reduce indices");
}

static void op_multi(reader *r)
{
    l2_tensor *ts[4];
    int n = u8(r) % 5;
    for (int i = 0; i < n; i++)
        ts[i] = get(r);
    int kind = u8(r) % 17;
    /* 10, 11: index2; 12 - 16: sample */
    static const int need[17] = {0, 0, 3, 2, 3, 2, 2, 2, 2, 1, 2, 2, 2, 1, 1, 1, 1};
    if (n < need[kind])
        return;
    l2_tensor *out = NULL;
    switch (kind) {
    case 0: out = l2_cat(n, ts, dimarg(r)); break;
    case 1: out = l2_stack(n, ts, dimarg(r)); break;
    case 2:
        if (numel_of(ts[1]) * numel_of(ts[2]) > 65536)
            return;
        out = l2_where(ts[0], ts[1], ts[2]);
        break;
    case 3: out = l2_masked_fill(ts[0], ts[1], value(r)); break;
    case 4:
        if (pair_too_big(ts[1], ts[2]))
            return;
        out = l2_addmm(ts[0], ts[1], ts[2], value(r), value(r));
        break;
    case 5:
        if (pair_too_big(ts[0], ts[1]))
            return;
        out = l2_linear(ts[0], ts[1], n >= 3 ? ts[2] : NULL);
        break;
    case 6: out = l2_index_select(ts[0], dimarg(r), ts[1]); break;
    case 7: out = l2_gather(ts[0], dimarg(r), ts[1]); break;
    case 10: out = l2_take(ts[0], ts[1]); break;
    case 11: /* both operands broadcast: bound the product as where does */
        if (numel_of(ts[0]) * numel_of(ts[1]) > 65536)
            return;
        out = l2_take_along_dim(ts[0], ts[1], dimarg(r));
        break;
    case 12: /* mean and std broadcast: bound the product as where does */
        if (numel_of(ts[0]) * numel_of(ts[1]) > 65536)
            return;
        out = l2_normal_tensor_tensor(ts[0], ts[1]);
        break;
    case 13: { /* with replacement the count is free: bound the draws */
        int64_t ns = arg(r);
        bool repl = u8(r) & 1;
        if (repl && ns > 4096)
            return;
        out = l2_multinomial(ts[0], ns, repl);
        break;
    }
    case 14:
        out = l2_group_norm(ts[0], arg(r), n > 1 ? ts[1] : NULL, n > 2 ? ts[2] : NULL, value(r));
        break;
    case 15: { /* ts[1], ts[2] as running statistics (written in place) or weight and bias */
        bool stats = u8(r) & 1, use = u8(r) & 1;
        l2_tensor *a = n > 1 ? ts[1] : NULL, *b = n > 2 ? ts[2] : NULL;
        out = l2_instance_norm(ts[0], stats ? a : NULL, stats ? b : NULL, stats ? NULL : a,
                               stats ? NULL : b, use, value(r), value(r));
        break;
    }
    case 16: { /* the padded channels grow with size: bound it */
        int64_t size = arg(r);
        if (size > 64)
            return;
        out = l2_local_response_norm(ts[0], size, value(r), value(r), value(r));
        break;
    }
    case 8:
        out = l2_cross_entropy(ts[0], ts[1], (l2_reduction)(u8(r) % 4), arg(r), value(r));
        break;
    default: {
        int64_t pad[6];
        int np = u8(r) % 7;
        for (int i = 0; i < np; i++)
            pad[i] = arg(r);
        int64_t grow = 1;
        for (int i = 0; i < np; i++)
            grow *= pad[i] > 0 && pad[i] < 16 ? pad[i] + 1 : 1;
        if (numel_of(ts[0]) * grow > 65536 || (np && (pad[0] > 16 || pad[np - 1] > 16)))
            return;
        for (int i = 0; i < np; i++)
            if (pad[i] > 16)
                return;
        out = l2_pad(ts[0], np, pad, value(r));
        break;
    }
    }
    put(r, out, "multi");
}

static void op_inplace(reader *r)
{
    l2_tensor *t = get(r);
    int kind = u8(r) % 16;
    l2_status st = L2_OK;
    switch (kind) {
    case 0: st = l2_add_(t, get(r)); break;
    case 1: st = l2_sub_(t, get(r)); break;
    case 2: st = l2_mul_(t, get(r)); break;
    case 3: st = l2_div_(t, get(r)); break;
    case 4: st = l2_add_scalar_(t, value(r)); break;
    case 5: st = l2_mul_scalar_(t, value(r)); break;
    case 6: st = l2_clamp_(t, value(r), value(r)); break;
    case 7: st = l2_relu_(t); break;
    case 8: st = l2_zero_(t); break;
    case 9: st = l2_fill_(t, value(r)); break;
    case 10: st = l2_copy_(t, get(r)); break;
    case 11: st = l2_uniform_(t, value(r), value(r)); break;
    case 12: st = l2_normal_(t, value(r), value(r)); break;
    case 13: {
        int64_t idx[L2_MAX_DIMS];
        for (int i = 0; i < L2_MAX_DIMS; i++)
            idx[i] = arg(r);
        st = l2_set(t, idx, value(r));
        break;
    }
    case 14: {
        int64_t idx[L2_MAX_DIMS];
        double v;
        for (int i = 0; i < L2_MAX_DIMS; i++)
            idx[i] = arg(r);
        st = u8(r) & 1 ? l2_get(t, idx, &v) : l2_item(t, &v);
        break;
    }
    default: {
        if (numel_of(t) > 64)
            return;
        char *s = l2_to_string(t);
        if (!s)
            check_failure("to_string");
        l2_free(s);
        return;
    }
    }
    status_of(st, "in-place");
}

static void op_autograd(reader *r)
{
    l2_tensor *t = get(r);
    int kind = u8(r) % 10;
    switch (kind) {
    case 0: status_of(l2_set_requires_grad(t, u8(r) & 1), "set_requires_grad"); break;
    case 1: {
        l2_tensor *g = u8(r) & 1 ? get(r) : NULL;
        status_of(l2_backward(t, g, u8(r) & 1), "backward");
        break;
    }
    case 2: {
        l2_tensor *inputs[2] = {get(r), get(r)};
        l2_tensor *gout[1] = {u8(r) & 1 ? get(r) : NULL};
        l2_tensor *grads[2] = {NULL, NULL};
        int ni = 1 + (u8(r) & 1);
        l2_status st = l2_autograd_grad(1, &t, gout, ni, inputs, grads, u8(r) & 1, u8(r) & 1);
        status_of(st, "autograd_grad");
        /* Inside a scope, a gradient that is a tensor the pool already holds (an output's own
         * grad_output) is a scope reference: release it before any slot changes, so that no
         * drop below takes the scope's reference in place of the pool's (l2.h's rule). */
        for (int i = 0; depth > 0 && i < ni; i++)
            for (int k = 0; grads[i] && k < NSLOTS; k++)
                if (slot[k] == grads[i]) {
                    l2_tensor_release(grads[i]);
                    grads[i] = NULL;
                }
        for (int i = 0; i < ni; i++)
            if (grads[i])
                put_at(u8(r) % NSLOTS, grads[i]);
        break;
    }
    case 3: {
        l2_tensor *g = l2_grad(t);
        if (g)
            put(r, l2_clone(g), "clone grad");
        break;
    }
    case 4: status_of(l2_zero_grad(t), "zero_grad"); break;
    case 5: status_of(l2_set_grad_none(t), "set_grad_none"); break;
    case 6: status_of(l2_retain_grad(t), "retain_grad"); break;
    case 7:
        if (t) {
            (void)l2_grad_fn_name(t);
            (void)l2_is_leaf(t);
            (void)l2_requires_grad(t);
        }
        break;
    case 8: {
        DLManagedTensor *m = (DLManagedTensor *)l2_to_dlpack(t);
        if (!m) {
            check_failure("to_dlpack");
            break;
        }
        put(r, l2_from_dlpack((struct DLManagedTensor *)m), "from_dlpack");
        break;
    }
    default: l2_set_grad_enabled(u8(r) & 1); break;
    }
}

/* Scopes, no_grad, keep, release and allocation failures. */
static void op_control(reader *r)
{
    int kind = u8(r) % 9;
    switch (kind) {
    case 0:
        if (l2_scope_begin() == L2_OK)
            depth++;
        else
            check_failure("scope_begin");
        break;
    case 1:
        if (depth == 0) {
            status_of(l2_scope_end(), "scope_end");
            break;
        }
        if (l2_scope_end() != L2_OK) {
            check_failure("scope_end");
            abort(); /* a scope we opened must close */
        }
        for (int s = 0; s < NSLOTS; s++)
            if (slot[s] && owner[s] == depth)
                slot[s] = NULL;
        depth--;
        break;
    case 2:
        l2_no_grad_begin();
        nograd++;
        break;
    case 3:
        if (nograd > 0) {
            l2_no_grad_end();
            nograd--;
        }
        break;
    case 4: {
        int s = u8(r) % NSLOTS;
        /* Keep moves one reference to the enclosing scope (or to us). */
        if (slot[s] && depth > 0 && owner[s] == depth) {
            if (l2_keep(slot[s]) == slot[s])
                owner[s] = depth - 1;
            else
                check_failure("keep");
        }
        break;
    }
    case 5: drop(u8(r) % NSLOTS); break;
    case 6: l2_debug_fail_alloc_after(u8(r) % 24); break;
    case 7: l2_debug_fail_alloc_after(-1); break;
    default: {
        int s = u8(r) % NSLOTS;
        if (slot[s] && owner[s] == 0) {
            /* A reference taken and dropped again must leave the tensor alive. */
            l2_tensor_release(l2_tensor_ref(slot[s]));
            (void)l2_numel(slot[s]);
        }
        break;
    }
    }
}

static void cleanup(void)
{
    l2_debug_fail_alloc_after(-1);
    while (depth > 0) {
        if (l2_scope_end() != L2_OK)
            abort();
        for (int s = 0; s < NSLOTS; s++)
            if (slot[s] && owner[s] == depth)
                slot[s] = NULL;
        depth--;
    }
    while (nograd > 0) {
        l2_no_grad_end();
        nograd--;
    }
    l2_set_grad_enabled(true);
    for (int s = 0; s < NSLOTS; s++)
        drop(s);
    l2_clear_error();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    l2_set_num_threads(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size, 0};
    l2_manual_seed(size);
    for (int n = 0; n < MAX_OPS && r.i < r.n; n++) {
        l2_clear_error();
        switch (u8(&r) % 10) {
        case 0: op_create(&r); break;
        case 1: op_view(&r); break;
        case 2: op_binary(&r); break;
        case 3: op_scalar(&r); break;
        case 4: op_unary(&r); break;
        case 5: op_reduce(&r); break;
        case 6: op_multi(&r); break;
        case 7: op_inplace(&r); break;
        case 8: op_autograd(&r); break;
        default: op_control(&r); break;
        }
    }
    cleanup();
    return 0;
}
