/* loss2.c: the pointwise losses of issue 14 (area loss) with fused forward and backward kernels:
 * smooth_l1_loss, huber_loss, kl_div, margin_ranking_loss, hinge_embedding_loss,
 * poisson_nll_loss and gaussian_nll_loss; and cosine_embedding_loss, composed of public ops.
 * Every loss here is a function of two operands a, b per element of the inputs' broadcast shape:
 * the input and the target, or, for the three-input losses, a difference and the third input
 * (margin_ranking: a = x1 - x2, b = y; gaussian_nll: a = input - target, b = var). Values and
 * gradients are computed in float64 per element and rounded once; sums run in float64 over 64
 * fixed element ranges (the same result for any thread count). */
#include "nn-impl.h"

enum { K_SL1, K_HUBER, K_KL, K_KL_LOG, K_MR, K_HINGE, K_PNLL_LOG, K_PNLL, K_GNLL };

/* The loop parameters: p is beta, delta, the margin or gaussian_nll's eps; q is poisson_nll's
 * eps; full adds the constant terms (poisson's Stirling term, gaussian's log(2 pi) / 2). */
typedef struct {
    l2_dtype dt;
    int kind;
    int which;    /* backward: d/da (0) or d/db (1) */
    bool full;
    double p, q;
    double scale; /* backward: the reduction's factor and the input's sign */
    double acc;   /* forward sums */
} lctx;

#define HALF_LOG_2PI 0.91893853320467274178032973640562

/* One element's loss. */
L2__NN_INLINE double l_fwd(int kind, double a, double b, double p, double q, bool full)
{
    switch (kind) {
    case K_SL1: { /* z < beta ? z^2 / (2 beta) : z - beta / 2, z = |a - b| */
        double z = fabs(a - b);
        return z < p ? 0.5 * z * z / p : z - 0.5 * p;
    }
    case K_HUBER: { /* z < delta ? z^2 / 2 : delta (z - delta / 2) */
        double z = fabs(a - b);
        return z < p ? 0.5 * z * z : p * (z - 0.5 * p);
    }
    case K_KL: /* xlogy(b, b) - b a: b log b with 0 log 0 = 0 (NaN b stays NaN) */
        return (b == 0 ? 0.0 : b * log(b)) - b * a;
    case K_KL_LOG: /* exp(b) (b - a) */
        return exp(b) * (b - a);
    case K_MR: { /* max(0, -y (x1 - x2) + margin), NaN kept */
        double z = -b * a + p;
        return z < 0 ? 0.0 : z;
    }
    case K_HINGE: { /* (b != 1 ? max(0, margin - a) : 0) + (b != -1 ? a : 0), NaN kept */
        double m = p - a;
        return (b != 1 ? (m < 0 ? 0.0 : m) : 0.0) + (b != -1 ? a : 0.0);
    }
    case K_PNLL_LOG:
    case K_PNLL: { /* exp(a) - b a, or a - b log(a + eps); full: + Stirling's b log b - b +
                    * log(2 pi b) / 2 where b > 1 (not masked for NaN b, as torch) */
        double l = kind == K_PNLL_LOG ? exp(a) - b * a : a - b * log(a + q);
        if (full && !(b <= 1))
            l += b * log(b) - b + 0.5 * log(2 * 3.14159265358979323846 * b);
        return l;
    }
    default: { /* gaussian_nll: (log v + a^2 / v) / 2 (+ log(2 pi) / 2), v = max(var, eps) */
        double v = b < p ? p : b;
        return 0.5 * (log(v) + a * a / v) + (full ? HALF_LOG_2PI : 0.0);
    }
    }
}

/* The derivative by a (which 0) or b (which 1) of the other kinds. */
L2__NN_INLINE double l_der(int kind, int which, double a, double b, double p, double q,
                           bool full)
{
    switch (kind) {
    case K_SL1: { /* d <= -beta ? -1 : d >= beta ? 1 : d / beta with d = a - b; db: the same
                   * of b - a (torch's kernel with its operands swapped: at beta 0 and d 0 both
                   * gradients are -g) */
        double d = which ? b - a : a - b;
        return d <= -p ? -1.0 : d >= p ? 1.0 : d / p;
    }
    case K_HUBER: { /* d <= -delta ? -delta : d >= delta ? delta : d, db the same of b - a */
        double d = which ? b - a : a - b;
        return d <= -p ? -p : d >= p ? p : d;
    }
    case K_KL_LOG: /* da = -exp(b); db = exp(b) (b - a) + exp(b) */
        return which ? exp(b) * (b - a) + exp(b) : -exp(b);
    case K_MR: { /* where -y d + margin >= 0: dd = -y, dy = -d (clamp_min passes its edge) */
        bool on = -b * a + p >= 0;
        return on ? (which ? -a : -b) : 0.0;
    }
    case K_HINGE: /* (b != 1 && margin - a >= 0 ? -1 : 0) + (b != -1 ? 1 : 0); no db */
        return (b != 1 && p - a >= 0 ? -1.0 : 0.0) + (b != -1 ? 1.0 : 0.0);
    case K_PNLL_LOG:
    case K_PNLL: {
        if (!which)
            return kind == K_PNLL_LOG ? exp(a) - b : 1 - b / (a + q);
        double d = kind == K_PNLL_LOG ? -a : -log(a + q);
        if (full) /* log b + 1 / (2 b) where b > 1; masked: 0 * log b (NaN for b <= 0) */
            d += !(b <= 1) ? log(b) + 0.5 / b : b > 0 ? 0.0 : NAN;
        return d;
    }
    default: { /* da = a / v, dv = (1 / v - a^2 / v^2) / 2 (the clamp is outside autograd) */
        double v = b < p ? p : b;
        return which ? 0.5 * (1 / v - a * a / (v * v)) : a / v;
    }
    }
}

/* One element's gradient: g (the upstream gradient, scaled) times the derivative by a (which 0)
 * or b (which 1), as torch 1.13's formulas give it (NaN where torch's composed gradient meets
 * 0 * inf). */
L2__NN_INLINE double l_bwd(int kind, int which, double g, double a, double b, double p, double q,
                           bool full)
{
    if (kind != K_KL)
        return g * l_der(kind, which, a, b, p, q, full);
    /* da = -b; db = xlogy(b != 0, b) + b / b - a (NaN at b = 0, as torch), in torch's order:
     * g log b + (g b) / b - g a (g b underflows for a tiny b) */
    return which ? (b != 0 ? g * log(b) : 0.0) + g * b / b - g * a : -g * b;
}

#define L_KINDS(M)                                                                           \
    switch (c->kind) {                                                                       \
    case K_SL1: M(K_SL1); break;                                                             \
    case K_HUBER: M(K_HUBER); break;                                                         \
    case K_KL: M(K_KL); break;                                                               \
    case K_KL_LOG: M(K_KL_LOG); break;                                                       \
    case K_MR: M(K_MR); break;                                                               \
    case K_HINGE: M(K_HINGE); break;                                                         \
    case K_PNLL_LOG: M(K_PNLL_LOG); break;                                                   \
    case K_PNLL: M(K_PNLL); break;                                                           \
    default: M(K_GNLL); break;                                                               \
    }

#define LD(T, k, i) ((double)*(const T *)(p[k] + (i) * s[k]))

/* out = loss(a, b): operands out, a, b */
#define L_FWD_LOOP(K)                                                                        \
    for (int64_t i = 0; i < n; i++)                                                          \
        *(T *)(p[0] + i * s[0]) = (T)l_fwd(K, LD(T, 1, i), LD(T, 2, i), c->p, c->q, c->full)

L2__NN_HOT static void l_fwd_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    const lctx *c = vctx;
    L2__DISPATCH_FLOAT(c->dt, L_KINDS(L_FWD_LOOP));
}

/* acc += loss(a, b): operands a, b */
#define L_SUM_LOOP(K)                                                                        \
    for (int64_t i = 0; i < n; i++)                                                          \
        acc += l_fwd(K, LD(T, 0, i), LD(T, 1, i), c->p, c->q, c->full)

L2__NN_HOT static void l_sum_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    lctx *c = vctx;
    double acc = 0;
    L2__DISPATCH_FLOAT(c->dt, L_KINDS(L_SUM_LOOP));
    c->acc += acc;
}

/* gin = g scale dloss: operands gin, a, b, g */
#define L_BWD_LOOP(K)                                                                        \
    for (int64_t i = 0; i < n; i++)                                                          \
        *(T *)(p[0] + i * s[0]) = (T)l_bwd(K, c->which, LD(T, 3, i) * c->scale, LD(T, 1, i), \
                                           LD(T, 2, i), c->p, c->q, c->full)

L2__NN_HOT static void l_bwd_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    const lctx *c = vctx;
    L2__DISPATCH_FLOAT(c->dt, L_KINDS(L_BWD_LOOP));
}

/* out = a - b in the operands' dtype (the difference torch computes first) */
static void l_sub_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    const lctx *c = vctx;
    L2__DISPATCH_FLOAT(c->dt, {
        for (int64_t i = 0; i < n; i++)
            *(T *)(p[0] + i * s[0]) =
                *(const T *)(p[1] + i * s[1]) - *(const T *)(p[2] + i * s[2]);
    });
}

/* The sum of the losses over the iterator of (a, b), in 64 fixed element ranges. */
static double l_sum(const l2__iter *it, const lctx *proto)
{
    enum { CHUNKS = L2__LOSS_CHUNKS };
    double part[CHUNKS];
    int nt = l2__nn_threads(it->numel);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int k = 0; k < CHUNKS; k++) {
        lctx c = *proto;
        c.acc = 0;
        int64_t end = l2__part(it->numel, k + 1, CHUNKS);
        /* mutation test: the last range stops one element short */
        if (k == CHUNKS - 1 && end > 0 && l2__fault("loss2_chunks"))
            end--;
        l2__iter_run_range(it, l2__part(it->numel, k, CHUNKS), end, l_sum_loop, &c);
        part[k] = c.acc;
    }
    double s = 0;
    for (int k = 0; k < CHUNKS; k++)
        s += part[k];
    return s;
}

/* A loss's inputs and parameters, as the op gives them and as the node keeps them. */
typedef struct {
    const char *op;
    l2__op node;
    int kind;
    int nin;           /* 2, or 3 (a = in[0] - in[1], b = in[2]) */
    const l2_tensor *in[3];
    bool diff[3];      /* which inputs get a gradient */
    double p, q;
    bool full;
    l2_reduction red;
    double batch;      /* kl_div's batchmean: the divisor (input's size 0; 1 for 0-d) */
    bool var_check;    /* gaussian_nll: in[2] must not hold a negative element */
} lspec;

/* Sets *bad when an element is negative (NaN is not). */
static void neg_check_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    bool *bad = vctx;
    for (int64_t i = 0; i < n; i++)
        if (*(const double *)(p[0] + i * s[0]) < 0)
            *bad = true;
}

/* false (error set) when t holds a negative element or on out-of-memory. */
static bool l_nonneg(const char *op, const l2_tensor *t)
{
    l2_tensor *v64 = l2__nn_as(op, t, L2_FLOAT64);
    if (!v64)
        return false;
    bool bad = false;
    l2__iter it;
    const l2_tensor *vo[1] = {v64};
    l2__iter_init(&it, 1, vo);
    l2__iter_run_range(&it, 0, it.numel, neg_check_loop, &bad);
    l2_tensor_release(v64);
    L2__CHECK(!bad, false, L2_ERR_ARG, "%s: var has negative entry/entries", op);
    return true;
}

/* The operands a and b over the broadcast shape (nd, shape), in dtype R; NULL on error. */
static bool l_operands(const lspec *L, l2_dtype R, int nd, const int64_t *shape, l2_tensor **a,
                       l2_tensor **b)
{
    l2_tensor *c[3] = {NULL, NULL, NULL}, *v[3] = {NULL, NULL, NULL};
    bool ok = true;
    for (int k = 0; k < L->nin && ok; k++) {
        c[k] = l2__nn_as(L->op, L->in[k], R);
        v[k] = c[k] ? l2__nn_bcast(c[k], nd, shape) : NULL;
        ok = v[k] != NULL;
    }
    *a = *b = NULL;
    if (ok && L->nin == 2) {
        *a = l2_tensor_ref(v[0]);
        *b = l2_tensor_ref(v[1]);
    } else if (ok) {
        *a = l2__new(L->op, nd, shape, R, false);
        if (*a) {
            lctx lc = {.dt = R};
            const l2_tensor *ops[3] = {*a, v[0], v[1]};
            l2__iter it;
            l2__iter_init(&it, 3, ops);
            l2__iter_run(&it, l_sub_loop, &lc);
            *b = l2_tensor_ref(v[2]);
        }
    }
    for (int k = 0; k < 3; k++) {
        l2_tensor_release(v[k]);
        l2_tensor_release(c[k]);
    }
    return *a != NULL;
}

static int l_shape(const lspec *L, int64_t *shape)
{
    int nd = L->in[0]->ndim;
    memcpy(shape, L->in[0]->shape, sizeof(int64_t) * (size_t)nd);
    for (int k = 1; k < L->nin && nd >= 0; k++) {
        int64_t sofar[L2_MAX_DIMS];
        memcpy(sofar, shape, sizeof(int64_t) * (size_t)nd);
        nd = l2__broadcast_shapes(L->op, nd, sofar, L->in[k]->ndim, L->in[k]->shape, shape);
    }
    return nd;
}

/* The shared forward: checked arguments in L (the op checked its own); the dtype, the
 * broadcast, the kernel and the node. */
static l2_tensor *l_run(const lspec *L)
{
    for (int k = 0; k < L->nin; k++)
        L2__CHECK(l2__is_float(L->in[k]->dtype), NULL, L2_ERR_DTYPE,
                  "%s: expected float inputs, got %s for argument %d", L->op,
                  l2_dtype_name(L->in[k]->dtype), k + 1);
    /* the promoted dtype (pairwise: a 0-d float64 beside float32 tensors stays float32) */
    l2_dtype R = l2__result_type(L->in[0], L->in[1]);
    for (int k = 2; k < L->nin; k++)
        for (int j = 0; j < k; j++)
            R = l2__result_type(L->in[j], L->in[k]) == L2_FLOAT64 ? L2_FLOAT64 : R;
    int64_t shape[L2_MAX_DIMS];
    int nd = l_shape(L, shape);
    if (nd < 0)
        return NULL;
    int64_t numel = l2__numel(nd, shape);
    l2_tensor *out = L->red == L2_REDUCTION_NONE ? l2__new(L->op, nd, shape, R, false)
                                                 : l2__new(L->op, 0, NULL, R, false);
    l2_tensor *a = NULL, *b = NULL;
    /* (after the output: a var too large to hold fails there before being scanned) */
    if (out && ((L->var_check && !l_nonneg(L->op, L->in[2])) ||
                !l_operands(L, R, nd, shape, &a, &b))) {
        l2_tensor_release(out);
        out = NULL;
    }
    if (!out)
        return NULL;
    lctx c = {.dt = R, .kind = L->kind, .full = L->full, .p = L->p, .q = L->q};
    l2__iter it;
    if (L->red == L2_REDUCTION_NONE) {
        const l2_tensor *ops[3] = {out, a, b};
        l2__iter_init(&it, 3, ops);
        l2__iter_run(&it, l_fwd_loop, &c);
    } else {
        const l2_tensor *ops[2] = {a, b};
        l2__iter_init(&it, 2, ops);
        double s = l_sum(&it, &c);
        /* the mean of nothing is 0/0 = NaN, as torch */
        s = L->red == L2_REDUCTION_MEAN ? s / (double)numel
            : L->red == L2_REDUCTION_SUM ? s : s / L->batch;
        l2__store(l2__data(out), R, s);
    }
    l2_tensor_release(a);
    l2_tensor_release(b);
    const l2_tensor *ins[3] = {NULL, NULL, NULL};
    for (int k = 0; k < L->nin; k++)
        ins[k] = L->diff[k] ? L->in[k] : NULL;
    if (l2__needs_grad(L->nin, ins)) {
        l2__node *node = l2__record_save(L->node, out, L->nin, ins, L->nin, L->in);
        if (!node) {
            l2_tensor_release(out);
            return NULL;
        }
        node->i[0] = L->red;
        node->i[1] = L->kind;
        node->i[2] = L->full;
        node->ni = 3;
        node->f[0] = L->p;
        node->f[1] = L->q;
        node->f[2] = L->batch;
    }
    return l2__ret(out);
}

/* The shared backward: d input k = g scale (+-) dloss/da or dloss/db in the broadcast shape
 * (the engine sums it to input k's shape). */
static l2_status l_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    lspec L = {.op = l2__op_names[n->op], .kind = (int)n->i[1], .nin = n->n_saved,
               .full = n->i[2] != 0, .p = n->f[0], .q = n->f[1], .batch = n->f[2],
               .red = (l2_reduction)n->i[0]};
    for (int k = 0; k < L.nin; k++)
        L.in[k] = n->saved[k];
    l2_dtype R = n->out_dtype;
    int64_t shape[L2_MAX_DIMS];
    int nd = l_shape(&L, shape);
    if (nd < 0)
        return l2_last_status();
    int64_t numel = l2__numel(nd, shape);
    double scale = L.red == L2_REDUCTION_MEAN ? 1.0 / (double)numel
                   : L.red == L2_REDUCTION_BATCHMEAN ? 1.0 / L.batch : 1.0;
    l2_tensor *a = NULL, *b = NULL;
    l2_tensor *ga = l2__nn_as(L.op, gout, R);
    l2_tensor *gb = ga ? l2__nn_bcast(ga, nd, shape) : NULL;
    l2_status st = gb && l_operands(&L, R, nd, shape, &a, &b) ? L2_OK : l2_last_status();
    for (int k = 0; k < L.nin && st == L2_OK; k++) {
        if (!l2__nn_wants(n, k))
            continue;
        gin[k] = l2__new(L.op, nd, shape, R, false);
        if (!gin[k]) {
            st = l2_last_status();
            break;
        }
        /* three inputs: a = in0 - in1, so d in0 = dloss/da, d in1 = -dloss/da */
        int which = L.nin == 3 ? k == 2 : k;
        lctx c = {.dt = R, .kind = L.kind, .which = which, .full = L.full, .p = L.p, .q = L.q,
                  .scale = L.nin == 3 && k == 1 ? -scale : scale};
        const l2_tensor *ops[4] = {gin[k], a, b, gb};
        l2__iter it;
        l2__iter_init(&it, 4, ops);
        l2__iter_run(&it, l_bwd_loop, &c);
    }
    l2_tensor *tmp[] = {gb, ga, a, b};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
    return st;
}

static bool l_check_red(const char *op, l2_reduction r, bool batchmean)
{
    L2__CHECK((unsigned)r <= (unsigned)L2_REDUCTION_SUM ||
                  (batchmean && r == L2_REDUCTION_BATCHMEAN), false, L2_ERR_ARG,
              "%s: invalid reduction %d (expected L2_REDUCTION_NONE, _MEAN or _SUM%s)", op,
              (int)r, batchmean ? " or _BATCHMEAN" : "");
    return true;
}

/* The two-input losses: input and target, both differentiable unless said. */
static l2_tensor *l_two(const char *op, l2__op node, int kind, const l2_tensor *x,
                        const l2_tensor *t, l2_reduction r, double p, double q, bool full,
                        bool diff_t)
{
    L2__CHECK_TN(x, NULL, op, "input");
    L2__CHECK_TN(t, NULL, op, "target");
    if (!l_check_red(op, r, kind == K_KL || kind == K_KL_LOG))
        return NULL;
    lspec L = {.op = op, .node = node, .kind = kind, .nin = 2, .in = {x, t},
               .diff = {true, diff_t}, .p = p, .q = q, .full = full, .red = r,
               .batch = x->ndim ? (double)x->shape[0] : 1.0};
    return l_run(&L);
}

l2_tensor *l2_smooth_l1_loss(const l2_tensor *input, const l2_tensor *target, l2_reduction r,
                             double beta)
{
    const char *op = "smooth_l1_loss";
    L2__CHECK_TN(input, NULL, op, "input");
    L2__CHECK_TN(target, NULL, op, "target");
    L2__CHECK(!(beta < 0), NULL, L2_ERR_ARG,
              "%s: smooth_l1_loss does not support negative values for beta (got %g)", op, beta);
    return l_two(op, L2__OP_SMOOTH_L1_LOSS, K_SL1, input, target, r, beta, 0, false, true);
}

/* dx = g scale (d <= -beta ? -1 : d >= beta ? 1 : d / beta), d = x - t; dt the same of t - x */
l2_status l2__smooth_l1_loss_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return l_backward(n, g, gin);
}

l2_tensor *l2_huber_loss(const l2_tensor *input, const l2_tensor *target, l2_reduction r,
                         double delta)
{
    const char *op = "huber_loss";
    L2__CHECK(delta > 0, NULL, L2_ERR_ARG,
              "%s: huber_loss does not support non-positive values for delta (got %g)", op,
              delta);
    return l_two(op, L2__OP_HUBER_LOSS, K_HUBER, input, target, r, delta, 0, false, true);
}

/* dx = g scale clamp(x - t, -delta, delta), dt = g scale clamp(t - x, -delta, delta) */
l2_status l2__huber_loss_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return l_backward(n, g, gin);
}

l2_tensor *l2_kl_div(const l2_tensor *input, const l2_tensor *target, l2_reduction r,
                     bool log_target)
{
    return l_two("kl_div", L2__OP_KL_DIV, log_target ? K_KL_LOG : K_KL, input, target, r, 0, 0,
                 false, true);
}

/* dx = -g scale t (log_target: -g scale e^t); dt = g scale (xlogy(t != 0, t) + t / t - x)
 * (log_target: g scale e^t (t - x + 1)) */
l2_status l2__kl_div_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return l_backward(n, g, gin);
}

l2_tensor *l2_hinge_embedding_loss(const l2_tensor *input, const l2_tensor *target,
                                   double margin, l2_reduction r)
{
    return l_two("hinge_embedding_loss", L2__OP_HINGE_EMBEDDING_LOSS, K_HINGE, input, target, r,
                 margin, 0, false, false);
}

/* dx = g scale ((t != 1 && margin - x >= 0 ? -1 : 0) + (t != -1 ? 1 : 0)); no dt */
l2_status l2__hinge_embedding_loss_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return l_backward(n, g, gin);
}

l2_tensor *l2_poisson_nll_loss(const l2_tensor *input, const l2_tensor *target, bool log_input,
                               bool full, double eps, l2_reduction r)
{
    return l_two("poisson_nll_loss", L2__OP_POISSON_NLL_LOSS, log_input ? K_PNLL_LOG : K_PNLL,
                 input, target, r, 0, eps, full, true);
}

/* dx = g scale (e^x - t) or (1 - t / (x + eps)); dt = g scale (-x or -log(x + eps), plus with
 * full log t + 1 / (2 t) where t > 1) */
l2_status l2__poisson_nll_loss_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return l_backward(n, g, gin);
}

l2_tensor *l2_margin_ranking_loss(const l2_tensor *input1, const l2_tensor *input2,
                                  const l2_tensor *target, double margin, l2_reduction r)
{
    const char *op = "margin_ranking_loss";
    L2__CHECK_TN(input1, NULL, op, "input1");
    L2__CHECK_TN(input2, NULL, op, "input2");
    L2__CHECK_TN(target, NULL, op, "target");
    if (!l_check_red(op, r, false))
        return NULL;
    L2__CHECK(input1->ndim == input2->ndim && input1->ndim == target->ndim, NULL, L2_ERR_SHAPE,
              "%s: All input tensors should have same dimension but got %d, %d and %d dims", op,
              input1->ndim, input2->ndim, target->ndim);
    lspec L = {.op = op, .node = L2__OP_MARGIN_RANKING_LOSS, .kind = K_MR, .nin = 3,
               .in = {input1, input2, target}, .diff = {true, true, true}, .p = margin,
               .red = r, .batch = 1};
    return l_run(&L);
}

/* with d = x1 - x2 and z = -y d + margin: where z >= 0, dx1 = -g scale y, dx2 = -dx1,
 * dy = -g scale d; else 0 */
l2_status l2__margin_ranking_loss_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return l_backward(n, g, gin);
}

l2_tensor *l2_gaussian_nll_loss(const l2_tensor *input, const l2_tensor *target,
                                const l2_tensor *var, bool full, double eps, l2_reduction r)
{
    const char *op = "gaussian_nll_loss";
    L2__CHECK_TN(input, NULL, op, "input");
    L2__CHECK_TN(target, NULL, op, "target");
    L2__CHECK_TN(var, NULL, op, "var");
    /* var: input's shape; or input's without its last dim (then unsqueezed); or that with a
     * last dim of 1 */
    int ni = input->ndim, nv = var->ndim;
    bool same = ni == nv, short1 = ni >= 1 && nv == ni - 1, last1 = ni >= 1 && nv == ni;
    for (int d = 0; d < nv; d++) {
        same = same && var->shape[d] == input->shape[d];
        short1 = short1 && var->shape[d] == input->shape[d];
        last1 = last1 && (d == nv - 1 ? var->shape[d] == 1 : var->shape[d] == input->shape[d]);
    }
    L2__CHECK(same || short1 || last1, NULL, L2_ERR_SHAPE, "%s: var is of incorrect size", op);
    if (!l_check_red(op, r, false))
        return NULL;
    L2__CHECK(l2__is_float(var->dtype), NULL, L2_ERR_DTYPE, "%s: expected float inputs, got %s "
              "for var", op, l2_dtype_name(var->dtype));
    l2_tensor *vu = NULL;
    if (short1 && !same) {
        l2__enter();
        vu = l2_unsqueeze(var, -1);
        l2__leave();
        if (!vu)
            return NULL;
    }
    lspec L = {.op = op, .node = L2__OP_GAUSSIAN_NLL_LOSS, .kind = K_GNLL, .nin = 3,
               .in = {input, target, vu ? vu : var}, .diff = {true, true, true}, .p = eps,
               .full = full, .red = r, .batch = 1, .var_check = true};
    l2_tensor *res = l_run(&L);
    l2_tensor_release(vu);
    return res;
}

/* with d = x - t and v = max(var, eps): dx = g scale d / v, dt = -dx,
 * dvar = g scale (1 / v - d^2 / v^2) / 2 */
l2_status l2__gaussian_nll_loss_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return l_backward(n, g, gin);
}

/* ---- cosine_embedding_loss, composed ------------------------------------------------------ */

/* As torch 1.13 composes it (so its gradients are those of the ops): with D the last dim,
 * cos = sum_D(x1 x2) / sqrt((sum_D(x1^2) + 1e-12) (sum_D(x2^2) + 1e-12)), then
 * where(y == 1, 1 - cos, 0) + where(y == -1, max(cos - margin, 0), 0), reduced. */
l2_tensor *l2_cosine_embedding_loss(const l2_tensor *input1, const l2_tensor *input2,
                                    const l2_tensor *target, double margin, l2_reduction r)
{
    const char *op = "cosine_embedding_loss";
    L2__CHECK_TN(input1, NULL, op, "input1");
    L2__CHECK_TN(input2, NULL, op, "input2");
    L2__CHECK_TN(target, NULL, op, "target");
    int td = target->ndim;
    /* L2_ERR_ARG: torch raises this one as an invalid value (it checks the input ranks as
     * shapes) */
    L2__CHECK(td <= 1, NULL, L2_ERR_ARG,
              "%s: 0D or 1D target tensor expected, multi-target not supported (got %d dims)", op,
              td);
    L2__CHECK(input1->ndim == td + 1 && input2->ndim == td + 1, NULL, L2_ERR_SHAPE,
              "%s: %dD target tensor expects %dD input tensors, but found inputs with %d and %d "
              "dims", op, td, td + 1, input1->ndim, input2->ndim);
    if (!l_check_red(op, r, false))
        return NULL;
    L2__CHECK(l2__is_float(input1->dtype) && l2__is_float(input2->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected float inputs, got %s and %s", op, l2_dtype_name(input1->dtype),
              l2_dtype_name(input2->dtype));
    int64_t shape[L2_MAX_DIMS];
    if (l2__broadcast_shapes(op, input1->ndim, input1->shape, input2->ndim, input2->shape,
                             shape) < 0)
        return NULL;
    int64_t cs[1] = {shape[0]}, cb[1];
    if (td == 1 && l2__broadcast_shapes(op, 1, cs, 1, target->shape, cb) < 0)
        return NULL;
    enum { N_T = 16 };
    l2_tensor *t[N_T] = {NULL};
    int dim = td;
    l2__enter();
    t[0] = l2_mul(input1, input2);
    t[1] = t[0] ? l2_sum_dims(t[0], 1, &dim, false) : NULL;           /* prod_sum */
    t[2] = t[1] ? l2_mul(input1, input1) : NULL;
    t[3] = t[2] ? l2_sum_dims(t[2], 1, &dim, false) : NULL;
    t[4] = t[3] ? l2_add_scalar(t[3], 1e-12) : NULL;                  /* mag_square1 */
    t[5] = t[4] ? l2_mul(input2, input2) : NULL;
    t[6] = t[5] ? l2_sum_dims(t[5], 1, &dim, false) : NULL;
    t[7] = t[6] ? l2_add_scalar(t[6], 1e-12) : NULL;                  /* mag_square2 */
    t[8] = t[7] ? l2_mul(t[4], t[7]) : NULL;
    t[9] = t[8] ? l2_sqrt(t[8]) : NULL;                               /* denom */
    t[10] = t[9] ? l2_div(t[1], t[9]) : NULL;                         /* cos */
    t[11] = t[10] ? l2_zeros_like(t[10]) : NULL;
    t[12] = t[11] ? l2_rsub_scalar(t[10], 1) : NULL;                  /* pos = 1 - cos */
    t[13] = t[12] ? l2_sub_scalar(t[10], margin) : NULL;
    t[14] = t[13] ? l2_clamp(t[13], 0, INFINITY) : NULL;              /* neg */
    l2_tensor *m1 = t[14] ? l2_eq_scalar(target, 1) : NULL;
    l2_tensor *m2 = m1 ? l2_eq_scalar(target, -1) : NULL;
    l2_tensor *o1 = m2 ? l2_where(m1, t[12], t[11]) : NULL;
    l2_tensor *o2 = o1 ? l2_where(m2, t[14], t[11]) : NULL;
    l2_tensor *out = o2 ? l2_add(o1, o2) : NULL;
    l2_tensor *res = out;
    if (out && r != L2_REDUCTION_NONE) {
        res = r == L2_REDUCTION_MEAN ? l2_mean(out) : l2_sum(out);
        l2_tensor_release(out);
    }
    for (int k = 0; k < N_T; k++)
        l2_tensor_release(t[k]);
    l2_tensor *more[] = {m1, m2, o1, o2};
    for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
        l2_tensor_release(more[k]);
    l2__leave();
    return l2__ret(res);
}
