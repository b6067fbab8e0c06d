/* nn-softmax.c: softmax and log_softmax along any dim of any strided float tensor (max-subtracted,
 * sums in float64; lanes run in parallel, one by one along the last dim or a strided input,
 * NN_COLS at a time along an inner dim of a contiguous one), with fused backward kernels, and
 * dropout (mask drawn with l2_rand from the per-thread generator). Double backward is not
 * supported: the backward kernels do not record a graph. */
#include "nn-impl.h"
#include "../vmath.h"

/* ---- softmax / log_softmax ---------------------------------------------------------------- */

/* One lane of n elements: x with element stride xs, y with ys (in elements).
 * softmax: y = exp(x - max) / sum(exp(x - max)); log_softmax: y = x - max - log(sum(...)).
 * The wrapper gives unit strides their own (vectorised) copy. */
#define NN_SOFTMAX_LANE(T, SFX, EXP)                                                         \
    L2__NN_INLINE void softmax_lane_##SFX##_(const T *x, int64_t xs, T *y, int64_t ys,       \
                                             int64_t n, bool lg)                             \
    {                                                                                        \
        T mx = -INFINITY;                                                                    \
        _Pragma("omp simd reduction(max : mx)")                                              \
        for (int64_t k = 0; k < n; k++)                                                      \
            mx = x[k * xs] > mx ? x[k * xs] : mx;                                            \
        if (l2__fault("softmax_max")) /* mutation test: no max subtraction */                \
            mx = 0;                                                                          \
        double s = 0;                                                                        \
        if (lg) {                                                                            \
            _Pragma("omp simd reduction(+ : s)")                                             \
            for (int64_t k = 0; k < n; k++)                                                  \
                s += (double)EXP(x[k * xs] - mx);                                            \
            T ls = (T)log(s);                                                                \
            _Pragma("omp simd")                                                              \
            for (int64_t k = 0; k < n; k++)                                                  \
                y[k * ys] = x[k * xs] - mx - ls;                                             \
        } else {                                                                             \
            _Pragma("omp simd reduction(+ : s)")                                             \
            for (int64_t k = 0; k < n; k++) {                                                \
                T e = EXP(x[k * xs] - mx);                                                   \
                y[k * ys] = e;                                                               \
                s += (double)e;                                                              \
            }                                                                                \
            T inv = (T)(1.0 / s);                                                            \
            _Pragma("omp simd")                                                              \
            for (int64_t k = 0; k < n; k++)                                                  \
                y[k * ys] *= inv;                                                            \
        }                                                                                    \
    }                                                                                        \
    L2__NN_HOT                                                                               \
    static void softmax_lane_##SFX(const char *x, int64_t xs, char *y, int64_t ys,           \
                                   int64_t n, bool lg)                                       \
    {                                                                                        \
        if (xs == 1 && ys == 1 && softmax_vlane_##SFX((const T *)x, (T *)y, n, lg))          \
            return;                                                                          \
        if (xs == 1 && ys == 1)                                                              \
            softmax_lane_##SFX##_((const T *)x, 1, (T *)y, 1, n, lg);                        \
        else                                                                                 \
            softmax_lane_##SFX##_((const T *)x, xs, (T *)y, ys, n, lg);                      \
    }
/* vmath (issue 12): a unit-stride lane (y not x) through the vector exp kernel of vmath.c:
 * y = exp(x - max) written first and summed in float64, then scaled by 1 / sum (softmax) or
 * replaced by x - max - log(sum) (log_softmax). False when the vector path is off (or y is x). */
#define NN_SOFTMAX_VLANE(T, SFX, GET)                                                        \
    static bool softmax_vlane_##SFX(const T *x, T *y, int64_t n, bool lg)                    \
    {                                                                                        \
        void (*f)(int64_t, T *, const T *) = GET;                                            \
        if (!f || x == y)                                                                    \
            return false;                                                                    \
        T mx = -INFINITY;                                                                    \
        _Pragma("omp simd reduction(max : mx)")                                              \
        for (int64_t k = 0; k < n; k++)                                                      \
            mx = x[k] > mx ? x[k] : mx;                                                      \
        if (l2__fault("softmax_max")) /* mutation test: no max subtraction */                \
            mx = 0;                                                                          \
        _Pragma("omp simd")                                                                  \
        for (int64_t k = 0; k < n; k++)                                                      \
            y[k] = x[k] - mx;                                                                \
        f(n, y, y);                                                                          \
        /* summed in order, not in vector lanes: log_softmax's x - max - log(sum) is as     \
         * ill-conditioned as the sum's last bit where sum is near 1 (torch sums in order) */ \
        double s = 0;                                                                        \
        for (int64_t k = 0; k < n; k++)                                                      \
            s += (double)y[k];                                                               \
        if (lg) {                                                                            \
            T ls = (T)log(s);                                                                \
            _Pragma("omp simd")                                                              \
            for (int64_t k = 0; k < n; k++)                                                  \
                y[k] = x[k] - mx - ls;                                                       \
        } else {                                                                             \
            T inv = (T)(1.0 / s);                                                            \
            _Pragma("omp simd")                                                              \
            for (int64_t k = 0; k < n; k++)                                                  \
                y[k] *= inv;                                                                 \
        }                                                                                    \
        return true;                                                                         \
    }
/* float32 (issue 12): vmath's row kernel, its max with four accumulators, exp (libl2's own
 * float32 vector exp) and float64 sum fused in one pass */
static bool softmax_vlane_f32(const float *x, float *y, int64_t n, bool lg)
{
    l2__vm_softmax_f32 f = l2__vmath_softmax_f32();
    if (!f)
        return false;
    f(n, y, x, lg);
    return true;
}
NN_SOFTMAX_VLANE(double, f64, l2__vmath_f64(L2__VM_EXP))

NN_SOFTMAX_LANE(float, f32, l2__nn_expf)
NN_SOFTMAX_LANE(double, f64, exp)

/* Columns per block of the column kernels. */
#define NN_COLS L2__SOFTMAX_COLS

/* The same for lanes along a middle dim of contiguous memory: m <= NN_COLS neighbouring lanes
 * (columns) of n elements at distance `inner`, processed row by row so that memory is read
 * forwards. x, y: the first element of the first column. */
#define NN_SOFTMAX_COLS(T, SFX, EXP)                                                         \
    L2__NN_HOT                                                                               \
    static void softmax_cols_##SFX(const char *xc, char *yc, int64_t n, int64_t inner,       \
                                   int64_t m, bool lg)                                       \
    {                                                                                        \
        const T *x = (const T *)xc;                                                          \
        T *y = (T *)yc;                                                                      \
        T mx[NN_COLS], f[NN_COLS];                                                           \
        double s[NN_COLS];                                                                   \
        _Pragma("omp simd")                                                                  \
        for (int64_t j = 0; j < m; j++) {                                                    \
            mx[j] = -INFINITY;                                                               \
            s[j] = 0;                                                                        \
        }                                                                                    \
        _Pragma("omp simd")                                                                  \
        for (int64_t k = 0; k < n; k++) {                                                    \
            const T *xr = x + k * inner;                                                     \
            _Pragma("omp simd")                                                              \
            for (int64_t j = 0; j < m; j++)                                                  \
                mx[j] = xr[j] > mx[j] ? xr[j] : mx[j];                                       \
        }                                                                                    \
        for (int64_t j = 0; j < m && l2__fault("softmax_max"); j++) /* mutation test */      \
            mx[j] = 0;                                                                       \
        _Pragma("omp simd")                                                                  \
        for (int64_t k = 0; k < n; k++) {                                                    \
            const T *xr = x + k * inner;                                                     \
            T *yr = y + k * inner;                                                           \
            _Pragma("omp simd")                                                              \
            for (int64_t j = 0; j < m; j++) {                                                \
                T e = EXP(xr[j] - mx[j]);                                                    \
                if (!lg)                                                                     \
                    yr[j] = e;                                                               \
                s[j] += (double)e;                                                           \
            }                                                                                \
        }                                                                                    \
        _Pragma("omp simd")                                                                  \
        for (int64_t j = 0; j < m; j++)                                                      \
            f[j] = lg ? (T)log(s[j]) : (T)(1.0 / s[j]);                                      \
        _Pragma("omp simd")                                                                  \
        for (int64_t k = 0; k < n; k++) {                                                    \
            const T *xr = x + k * inner;                                                     \
            T *yr = y + k * inner;                                                           \
            if (lg)                                                                          \
                _Pragma("omp simd")                                                          \
                for (int64_t j = 0; j < m; j++)                                              \
                    yr[j] = xr[j] - mx[j] - f[j];                                            \
            else                                                                             \
                _Pragma("omp simd")                                                          \
                for (int64_t j = 0; j < m; j++)                                              \
                    yr[j] *= f[j];                                                           \
        }                                                                                    \
    }
NN_SOFTMAX_COLS(float, f32, l2__nn_expf)
NN_SOFTMAX_COLS(double, f64, exp)

/* Backward of one lane, from the saved output y and the upstream gradient g:
 * softmax:     dx = y * (g - sum(g * y))
 * log_softmax: dx = g - exp(y) * sum(g) */
#define NN_SOFTMAX_BACK_LANE(T, SFX, EXP)                                                    \
    L2__NN_INLINE void softmax_back_lane_##SFX##_(const T *y, int64_t ys, const T *g,        \
                                                  int64_t gs, T *dx, int64_t ds, int64_t n,  \
                                                  bool lg)                                   \
    {                                                                                        \
        double s = 0;                                                                        \
        if (lg) {                                                                            \
            _Pragma("omp simd reduction(+ : s)")                                             \
            for (int64_t k = 0; k < n; k++)                                                  \
                s += (double)g[k * gs];                                                      \
            T st = (T)s;                                                                     \
            _Pragma("omp simd")                                                              \
            for (int64_t k = 0; k < n; k++)                                                  \
                dx[k * ds] = g[k * gs] - EXP(y[k * ys]) * st;                                \
        } else {                                                                             \
            _Pragma("omp simd reduction(+ : s)")                                             \
            for (int64_t k = 0; k < n; k++)                                                  \
                s += (double)g[k * gs] * (double)y[k * ys];                                  \
            T st = (T)s;                                                                     \
            _Pragma("omp simd")                                                              \
            for (int64_t k = 0; k < n; k++)                                                  \
                dx[k * ds] = y[k * ys] * (g[k * gs] - st);                                   \
        }                                                                                    \
    }                                                                                        \
    L2__NN_HOT                                                                               \
    static void softmax_back_lane_##SFX(const char *y, int64_t ys, const char *g,            \
                                        int64_t gs, char *dx, int64_t ds, int64_t n,         \
                                        bool lg)                                             \
    {                                                                                        \
        if (ys == 1 && gs == 1 && ds == 1)                                                   \
            softmax_back_lane_##SFX##_((const T *)y, 1, (const T *)g, 1, (T *)dx, 1, n, lg); \
        else                                                                                 \
            softmax_back_lane_##SFX##_((const T *)y, ys, (const T *)g, gs, (T *)dx, ds, n,   \
                                       lg);                                                  \
    }
NN_SOFTMAX_BACK_LANE(float, f32, l2__nn_expf)
NN_SOFTMAX_BACK_LANE(double, f64, exp)

/* The backward over m <= NN_COLS columns of contiguous y, g and dx (see NN_SOFTMAX_COLS). */
#define NN_SOFTMAX_BACK_COLS(T, SFX, EXP)                                                    \
    L2__NN_HOT                                                                               \
    static void softmax_back_cols_##SFX(const char *yc, const char *gc, char *dc, int64_t n, \
                                        int64_t inner, int64_t m, bool lg)                   \
    {                                                                                        \
        const T *y = (const T *)yc, *g = (const T *)gc;                                      \
        T *dx = (T *)dc;                                                                     \
        double s[NN_COLS];                                                                   \
        T st[NN_COLS];                                                                       \
        _Pragma("omp simd")                                                                  \
        for (int64_t j = 0; j < m; j++)                                                      \
            s[j] = 0;                                                                        \
        _Pragma("omp simd")                                                                  \
        for (int64_t k = 0; k < n; k++) {                                                    \
            const T *yr = y + k * inner, *gr = g + k * inner;                                \
            if (lg)                                                                          \
                _Pragma("omp simd")                                                          \
                for (int64_t j = 0; j < m; j++)                                              \
                    s[j] += (double)gr[j];                                                   \
            else                                                                             \
                _Pragma("omp simd")                                                          \
                for (int64_t j = 0; j < m; j++)                                              \
                    s[j] += (double)gr[j] * (double)yr[j];                                   \
        }                                                                                    \
        _Pragma("omp simd")                                                                  \
        for (int64_t j = 0; j < m; j++)                                                      \
            st[j] = (T)s[j];                                                                 \
        _Pragma("omp simd")                                                                  \
        for (int64_t k = 0; k < n; k++) {                                                    \
            const T *yr = y + k * inner, *gr = g + k * inner;                                \
            T *dr = dx + k * inner;                                                          \
            if (lg)                                                                          \
                _Pragma("omp simd")                                                          \
                for (int64_t j = 0; j < m; j++)                                              \
                    dr[j] = gr[j] - EXP(yr[j]) * st[j];                                      \
            else                                                                             \
                _Pragma("omp simd")                                                          \
                for (int64_t j = 0; j < m; j++)                                              \
                    dr[j] = yr[j] * (gr[j] - st[j]);                                         \
        }                                                                                    \
    }
NN_SOFTMAX_BACK_COLS(float, f32, l2__nn_expf)
NN_SOFTMAX_BACK_COLS(double, f64, exp)

/* Lane length and stride of t along dim (a 0-d tensor is one lane of one element). */
static int64_t lane_len(const l2_tensor *t, int dim) { return t->ndim ? t->shape[dim] : 1; }
static int64_t lane_stride(const l2_tensor *t, int dim) { return t->ndim ? t->stride[dim] : 1; }

/* The product of the sizes after dim: the distance between a contiguous tensor's lanes. */
static int64_t inner_of(const l2_tensor *t, int dim)
{
    int64_t inner = 1;
    for (int d = dim + 1; d < t->ndim; d++)
        inner = l2__mul_sat(inner, t->shape[d]);
    return inner;
}

/* y = (log_)softmax(x) along dim; y (contiguous) and x have one shape and float dtype. Lanes
 * along the last dim (or of a strided x) run one by one; lanes along an inner dim of a
 * contiguous x run NN_COLS columns at a time. Cannot fail. */
static void softmax_kernel(l2_tensor *y, const l2_tensor *x, int dim, bool lg)
{
    int64_t numel = l2__numel(x->ndim, x->shape), n = lane_len(x, dim);
    if (numel == 0) /* nothing to do; an empty tensor's other sizes need not multiply out */
        return;
    int64_t lanes = n ? numel / n : 0, xs = lane_stride(x, dim), ys = lane_stride(y, dim);
    int64_t es = (int64_t)l2__esize(x->dtype), inner = inner_of(x, dim);
    char *xd = l2__data(x), *yd = l2__data(y);
    bool f32 = x->dtype == L2_FLOAT32;
    int nt = l2__nn_threads(numel);
    if (inner > 1 && l2__is_contiguous(x)) {
        int64_t nb = (inner + NN_COLS - 1) / NN_COLS, outer = lanes / inner;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
        for (int64_t b = 0; b < outer * nb; b++) {
            int64_t o = b / nb, j0 = (b % nb) * NN_COLS;
            int64_t m = inner - j0 < NN_COLS ? inner - j0 : NN_COLS;
            int64_t off = (o * n * inner + j0) * es;
            if (f32)
                softmax_cols_f32(xd + off, yd + off, n, inner, m, lg);
            else
                softmax_cols_f64(xd + off, yd + off, n, inner, m, lg);
        }
        return;
    }
    bool flat = inner == 1 && l2__is_contiguous(x); /* lane r starts at element r * n */
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int64_t r = 0; r < lanes; r++) {
        const char *xp = xd + (flat ? r * n : l2__nn_lane(x, dim, r)) * es;
        char *yp = yd + (flat ? r * n : l2__nn_lane(y, dim, r)) * es;
        if (f32)
            softmax_lane_f32(xp, xs, yp, ys, n, lg);
        else
            softmax_lane_f64(xp, xs, yp, ys, n, lg);
    }
}

/* dx from the saved output y and upstream g (all contiguous, one shape and dtype). */
static void softmax_back_kernel(l2_tensor *dx, const l2_tensor *y, const l2_tensor *g, int dim,
                                bool lg)
{
    int64_t numel = l2__numel(y->ndim, y->shape), n = lane_len(y, dim);
    int64_t lanes = n ? numel / n : 0, es = (int64_t)l2__esize(y->dtype);
    int64_t inner = inner_of(y, dim), nt = l2__nn_threads(numel);
    char *yd = l2__data(y), *gd = l2__data(g), *dd = l2__data(dx);
    bool f32 = y->dtype == L2_FLOAT32;
    if (inner > 1) {
        int64_t nb = (inner + NN_COLS - 1) / NN_COLS, outer = lanes / inner;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
        for (int64_t b = 0; b < outer * nb; b++) {
            int64_t o = b / nb, j0 = (b % nb) * NN_COLS;
            int64_t m = inner - j0 < NN_COLS ? inner - j0 : NN_COLS;
            int64_t off = (o * n * inner + j0) * es;
            if (f32)
                softmax_back_cols_f32(yd + off, gd + off, dd + off, n, inner, m, lg);
            else
                softmax_back_cols_f64(yd + off, gd + off, dd + off, n, inner, m, lg);
        }
        return;
    }
    /* float32 rows (issue 12): vmath's row kernel (float64 sum, vector exp with FMA) */
    l2__vm_softmax_back_f32 vb = f32 ? l2__vmath_softmax_back_f32() : NULL;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (int64_t r = 0; r < lanes; r++) {
        int64_t off = r * n * es;
        if (vb)
            vb(n, (float *)(void *)(dd + off), (const float *)(const void *)(yd + off),
               (const float *)(const void *)(gd + off), lg);
        else if (f32)
            softmax_back_lane_f32(yd + off, 1, gd + off, 1, dd + off, 1, n, lg);
        else
            softmax_back_lane_f64(yd + off, 1, gd + off, 1, dd + off, 1, n, lg);
    }
}

static l2_tensor *softmax_impl(const char *op, const l2_tensor *t, int dim, bool lg,
                               l2__op node_op)
{
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected a float32 or float64 tensor, got %s", op, l2_dtype_name(t->dtype));
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0)
        return NULL;
    l2_tensor *y = l2__new(op, t->ndim, t->shape, t->dtype, false);
    if (!y)
        return NULL;
    softmax_kernel(y, t, d, lg);
    if (l2__needs_grad(1, &t)) {
        const l2_tensor *save[1] = {y};
        l2__node *node = l2__record_save(node_op, y, 1, &t, 1, save);
        if (!node) {
            l2_tensor_release(y);
            return NULL;
        }
        node->i[0] = d;
        node->ni = 1;
    }
    return y;
}

l2_tensor *l2_softmax(const l2_tensor *t, int dim)
{
    L2__HALF_ROUTE(l2_softmax(H_[0], dim), t);
    return l2__ret(softmax_impl("softmax", t, dim, false, L2__OP_SOFTMAX));
}

static l2_status softmax_backward(const char *op, l2__node *n, const l2_tensor *gout,
                                  l2_tensor **gin, bool lg)
{
    const l2_tensor *y = n->saved[0]; /* the output: contiguous */
    l2_tensor *g = l2__nn_contig(op, gout, y->dtype);
    l2_tensor *dx = g ? l2__new(op, y->ndim, y->shape, y->dtype, false) : NULL;
    if (!dx) {
        l2_tensor_release(g);
        return l2_last_status();
    }
    softmax_back_kernel(dx, y, g, (int)n->i[0], lg);
    l2_tensor_release(g);
    gin[0] = dx;
    return L2_OK;
}

/* dx = y * (dy - sum(dy * y)) along dim. */
l2_status l2__softmax_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return softmax_backward("softmax_backward", n, gout, gin, false);
}

l2_tensor *l2_log_softmax(const l2_tensor *t, int dim)
{
    L2__HALF_ROUTE(l2_log_softmax(H_[0], dim), t);
    return l2__ret(softmax_impl("log_softmax", t, dim, true, L2__OP_LOG_SOFTMAX));
}

/* dx = dy - exp(y) * sum(dy) along dim. */
l2_status l2__log_softmax_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return softmax_backward("log_softmax_backward", n, gout, gin, true);
}

/* ---- dropout ------------------------------------------------------------------------------- */

/* mask = u < keep (u uniform float64). */
static void keep_loop(int64_t n, char **p, const int64_t *s, void *ctx)
{
    double keep = *(const double *)ctx;
    for (int64_t i = 0; i < n; i++)
        *(bool *)(p[0] + i * s[0]) = *(const double *)(p[1] + i * s[1]) < keep;
}

typedef struct {
    l2_dtype dt;
    double scale;
} drop_ctx;

/* out = a * (mask ? scale : 0): the forward (a = x) and the backward (a = dy). */
L2__NN_HOT static void drop_loop(int64_t n, char **p, const int64_t *s, void *vctx)
{
    const drop_ctx *c = vctx;
    L2__DISPATCH_FLOAT(c->dt, {
        T sc = (T)c->scale;
        if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == 1) {
            T *o = (T *)p[0];
            const T *a = (const T *)p[1];
            const bool *m = (const bool *)p[2];
            _Pragma("omp simd")
            for (int64_t i = 0; i < n; i++)
                o[i] = a[i] * (m[i] ? sc : (T)0);
            return;
        }
        for (int64_t i = 0; i < n; i++)
            *(T *)(p[0] + i * s[0]) =
                *(const T *)(p[1] + i * s[1]) * (*(const bool *)(p[2] + i * s[2]) ? sc : (T)0);
    });
}

static void drop_apply(l2_tensor *out, const l2_tensor *a, const l2_tensor *mask, double scale)
{
    const l2_tensor *ops[3] = {out, a, mask};
    l2__iter it;
    l2__iter_init(&it, 3, ops);
    drop_ctx c = {out->dtype, scale};
    l2__iter_run(&it, drop_loop, &c);
}

l2_tensor *l2_dropout(const l2_tensor *t, double p, bool training)
{
    L2__HALF_ROUTE(l2_dropout(H_[0], p, training), t);
    const char *op = "dropout";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected a float32 or float64 tensor, got %s", op, l2_dtype_name(t->dtype));
    L2__CHECK(p >= 0 && p <= 1, NULL, L2_ERR_ARG,
              "%s: probability has to be between 0 and 1, but got %g", op, p);
    int64_t numel = l2__numel(t->ndim, t->shape);
    if (!training || p == 0 || numel == 0)
        return l2__ret(l2_tensor_ref((l2_tensor *)t));
    l2_tensor *mask = l2__new(op, t->ndim, t->shape, L2_BOOL, p == 1);
    l2_tensor *y = mask ? l2__new(op, t->ndim, t->shape, t->dtype, false) : NULL;
    if (!y) {
        l2_tensor_release(mask);
        return NULL;
    }
    if (p < 1) { /* p == 1 drops everything: no draw, as torch */
        l2__enter();
        l2_tensor *u = l2_rand(t->ndim, t->shape, L2_FLOAT64);
        l2__leave();
        if (!u) {
            l2_tensor_release(mask);
            l2_tensor_release(y);
            return NULL;
        }
        const l2_tensor *ops[2] = {mask, u};
        l2__iter it;
        l2__iter_init(&it, 2, ops);
        double keep = 1 - p;
        l2__iter_run(&it, keep_loop, &keep);
        l2_tensor_release(u);
    }
    /* p == 1: y = x * 0, as torch (NaN stays NaN). */
    double scale = p < 1 ? 1 / (1 - p) : 0;
    drop_apply(y, t, mask, scale);
    if (l2__needs_grad(1, &t)) {
        const l2_tensor *save[1] = {mask};
        l2__node *node = l2__record_save(L2__OP_DROPOUT, y, 1, &t, 1, save);
        if (!node) {
            l2_tensor_release(mask);
            l2_tensor_release(y);
            return NULL;
        }
        node->f[0] = scale;
    }
    l2_tensor_release(mask);
    return l2__ret(y);
}

/* dx = dy * mask * scale */
l2_status l2__dropout_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const l2_tensor *mask = n->saved[0];
    l2_dtype dt = n->in_dtype[0];
    l2_tensor *g = l2__nn_as("dropout_backward", gout, dt);
    l2_tensor *dx = g ? l2__new("dropout_backward", mask->ndim, mask->shape, dt, false) : NULL;
    if (!dx) {
        l2_tensor_release(g);
        return l2_last_status();
    }
    drop_apply(dx, g, mask, n->f[0]);
    l2_tensor_release(g);
    gin[0] = dx;
    return L2_OK;
}
