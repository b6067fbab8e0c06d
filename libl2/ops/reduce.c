/* reduce.c: reductions (sum, mean, prod, max/min with indices, argmax/argmin, var, std,
 * logsumexp, norm, all/any) and the scan cumsum, each forward with its backward below it.
 * Every op runs through one driver: a plan splits the input's dims into kept (output) dims and
 * reduced dims, and a kernel of three parts (init per output, a loop per strided row of reduced
 * elements, final per output) runs in parallel over outputs, or over the reduced range of each
 * output when there are few. Backward kernels are "maps" over the same plan. Not here: median,
 * mode, quantiles, cumprod, the nan- variants. */
#include "../autograd-impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- dims ---------------------------------------------------------------------------------- */

/* Which dims of a tensor are reduced, and the output shape. */
typedef struct {
    int ndim;                         /* input rank */
    bool red[L2_MAX_DIMS];            /* per input dim */
    bool keepdim;
    int out_ndim;
    int64_t out_shape[L2_MAX_DIMS];
    int64_t nred, nout;               /* reduced elements per output; outputs */
} rdims;

/* Fill rd from an input shape and a mask of reduced dims (bit d: dim d is reduced). */
static void rdims_from_mask(rdims *rd, int ndim, const int64_t *shape, unsigned mask, bool keepdim)
{
    memset(rd, 0, sizeof *rd);
    rd->ndim = ndim;
    rd->keepdim = keepdim;
    rd->nred = rd->nout = 1;
    for (int d = 0; d < ndim; d++) {
        rd->red[d] = (mask >> d) & 1u;
        if (rd->red[d]) {
            rd->nred = l2__mul_sat(rd->nred, shape[d]);
            if (keepdim)
                rd->out_shape[rd->out_ndim++] = 1;
        } else {
            rd->nout = l2__mul_sat(rd->nout, shape[d]);
            rd->out_shape[rd->out_ndim++] = shape[d];
        }
    }
}

static unsigned rdims_mask(const rdims *rd)
{
    unsigned m = 0;
    for (int d = 0; d < rd->ndim; d++)
        m |= rd->red[d] ? 1u << d : 0u;
    return m;
}

/* Parse (ndims, dims, keepdim) against t: ndims == 0 means every dim. Sets the error naming op
 * and returns false on a NULL list, an out-of-range or repeated dim. */
static bool rdims_parse(const char *op, const l2_tensor *t, int ndims, const int *dims,
                        bool keepdim, rdims *rd)
{
    L2__CHECK(ndims >= 0, false, L2_ERR_ARG, "%s: ndims must be >= 0 (got %d)", op, ndims);
    L2__CHECK(ndims == 0 || dims, false, L2_ERR_NULL, "%s: argument 'dims' is NULL", op);
    unsigned mask = 0, seen = 0;
    if (ndims == 0)
        mask = (1u << t->ndim) - 1u;
    for (int k = 0; k < ndims; k++) {
        int d = l2__wrap_dim(op, dims[k], t->ndim);
        if (d < 0)
            return false;
        L2__CHECK(!(seen & (1u << d)), false, L2_ERR_ARG,
                  "%s: dim %d appears multiple times in the list of dims", op, d);
        seen |= 1u << d;
        if (t->ndim > 0)
            mask |= 1u << d;
    }
    rdims_from_mask(rd, t->ndim, t->shape, mask, keepdim);
    return true;
}

/* ---- the plan and the driver --------------------------------------------------------------- */

/* One or two "full" operands of the input's shape (input, or gradient and input), split into
 * output dims (row-major, so that output o is element o of a contiguous result) and reduced dims.
 * Size-1 dims are dropped and neighbours coalesced where every operand allows. Strides in bytes. */
typedef struct {
    int nops;
    char *data[2];
    int nod, nrd;
    int64_t osh[L2_MAX_DIMS], ost[2][L2_MAX_DIMS];
    int64_t rsh[L2_MAX_DIMS], rst[2][L2_MAX_DIMS];
    int64_t nout, nred;
} rplan;

static int coalesce(int n, int nops, int64_t *sh, int64_t st[2][L2_MAX_DIMS])
{
    int64_t prod;
    int out = 0;
    for (int d = 0; d < n; d++) {
        if (out > 0) {
            bool merge = true;
            for (int k = 0; k < nops && merge; k++)
                merge = !l2__mul_ovf(sh[d], st[k][d], &prod) && st[k][out - 1] == prod;
            if (merge) {
                sh[out - 1] = l2__mul_sat(sh[out - 1], sh[d]);
                for (int k = 0; k < nops; k++)
                    st[k][out - 1] = st[k][d];
                continue;
            }
        }
        sh[out] = sh[d];
        for (int k = 0; k < nops; k++)
            st[k][out] = st[k][d];
        out++;
    }
    return out;
}

/* reorder: the reduced dims may be visited in memory order of operand 0 (for kernels that do not
 * report positions); otherwise they keep row-major order, so that a row's position is the
 * row-major index over the reduced dims. */
static void rplan_init(rplan *p, const bool *red, int nops, const l2_tensor *const *ops,
                       bool reorder)
{
    const l2_tensor *t = ops[0];
    memset(p, 0, sizeof *p);
    p->nops = nops;
    p->nout = p->nred = 1;
    for (int k = 0; k < nops; k++)
        p->data[k] = l2__data(ops[k]);
    for (int d = 0; d < t->ndim; d++) {
        int64_t sz = t->shape[d];
        if (red[d])
            p->nred = l2__mul_sat(p->nred, sz);
        else
            p->nout = l2__mul_sat(p->nout, sz);
        if (sz == 1)
            continue;
        if (red[d]) {
            p->rsh[p->nrd] = sz;
            for (int k = 0; k < nops; k++)
                p->rst[k][p->nrd] = ops[k]->stride[d] * (int64_t)l2__esize(ops[k]->dtype);
            p->nrd++;
        } else {
            p->osh[p->nod] = sz;
            for (int k = 0; k < nops; k++)
                p->ost[k][p->nod] = ops[k]->stride[d] * (int64_t)l2__esize(ops[k]->dtype);
            p->nod++;
        }
    }
    if (reorder) { /* stable insertion sort, largest stride of operand 0 outermost */
        for (int i = 1; i < p->nrd; i++) {
            for (int j = i; j > 0 && p->rst[0][j - 1] < p->rst[0][j]; j--) {
                int64_t tmp = p->rsh[j];
                p->rsh[j] = p->rsh[j - 1];
                p->rsh[j - 1] = tmp;
                for (int k = 0; k < nops; k++) {
                    tmp = p->rst[k][j];
                    p->rst[k][j] = p->rst[k][j - 1];
                    p->rst[k][j - 1] = tmp;
                }
            }
        }
    }
    p->nod = coalesce(p->nod, nops, p->osh, p->ost);
    p->nrd = coalesce(p->nrd, nops, p->rsh, p->rst);
}

/* A kernel's running state for one output. s, c: a compensated sum (or a value); m: a per-output
 * parameter; i: an index; k: an integer accumulator or count. */
typedef struct {
    double s, c, m;
    int64_t i, k;
} racc;

/* The loop over one strided row of n reduced elements: ptr[k], step[k] for each full operand;
 * pos is the row's first position in the reduced range. Never fails. */
typedef void (*row_fn)(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx);

typedef struct {
    void (*init)(racc *a, int64_t o, const void *ctx);
    row_fn row;
    /* Merge b (the later part of the range) into a; NULL when a range cannot be split. */
    void (*combine)(racc *a, const racc *b, const void *ctx);
    /* Write output o; NULL for maps (backward kernels that write their operand 0). */
    void (*final)(const racc *a, int64_t o, void *ctx);
    bool ordered; /* needs row-major positions (or a sequential scan): no reordering */
    bool scan;    /* rows must run in order on one thread */
    /* Optional, for tiles (see walk_out): the row loop for a block of outputs at once; its ctx
     * is a colctx. */
    row_fn cols;
} rkern;

/* What a cols loop gets: the kernel's ctx, the block's nb outputs, the byte step between them in
 * operands 0 and 1, and their accumulators. */
typedef struct {
    const void *ctx;
    int64_t nb, ostep, ostep1; /* ostep1: operand 1's, for two-operand kernels */
    racc *acc;
} colctx;

/* Base pointers of output o. */
static void out_base(const rplan *p, int64_t o, char **base)
{
    for (int k = 0; k < p->nops; k++)
        base[k] = p->data[k];
    for (int d = p->nod - 1; d >= 0; d--) {
        int64_t i = o % p->osh[d];
        o /= p->osh[d];
        for (int k = 0; k < p->nops; k++)
            base[k] += i * p->ost[k][d];
    }
}

/* Run row over the reduced positions [rb, re) of the output whose operands start at base. */
static void walk_red(const rplan *p, char *const *base, int64_t rb, int64_t re, row_fn row,
                     racc *a, const void *ctx)
{
    char *ptr[2] = {base[0], p->nops > 1 ? base[1] : NULL};
    int64_t step[2] = {0, 0};
    int nd = p->nrd;
    if (rb >= re)
        return;
    if (nd == 0) { /* one element */
        row(ptr, step, 1, 0, a, ctx);
        return;
    }
    int64_t inner = p->rsh[nd - 1], idx[L2_MAX_DIMS] = {0}, col = 0;
    for (int k = 0; k < p->nops; k++)
        step[k] = p->rst[k][nd - 1];
    if (nd == 1 && rb == 0 && re == inner) { /* the common case: one whole row */
        row(base, step, inner, 0, a, ctx);
        return;
    }
    if (rb > 0) {
        int64_t r = rb / inner;
        col = rb % inner;
        for (int d = nd - 2; d >= 0; d--) {
            idx[d] = r % p->rsh[d];
            r /= p->rsh[d];
        }
    }
    int64_t pos = rb;
    while (pos < re) {
        for (int k = 0; k < p->nops; k++) {
            char *q = base[k] + col * step[k];
            for (int d = 0; d < nd - 1; d++)
                q += idx[d] * p->rst[k][d];
            ptr[k] = q;
        }
        int64_t n = inner - col < re - pos ? inner - col : re - pos;
        row(ptr, step, n, pos, a, ctx);
        pos += n;
        col = 0;
        for (int d = nd - 2; d >= 0; d--) {
            if (++idx[d] < p->rsh[d])
                break;
            idx[d] = 0;
        }
    }
}

/* Tiles for reductions over outer dims: TILE_OUT neighbouring outputs advance together through
 * TILE_RED reduced positions at a time, so that the cache lines they share are read once. */
enum { TILE_OUT = L2__REDUCE_TILE_OUT, TILE_RED = L2__REDUCE_TILE_RED };

/* Tile when operand 0's innermost output dim is closer in memory than its innermost reduced dim
 * (e.g. a sum over dim 0 of a row-major matrix). Each output still sees its positions in order. */
static bool use_tiles(const rplan *p)
{
    return p->nod > 0 && p->nrd > 0 &&
           llabs(p->ost[0][p->nod - 1]) < llabs(p->rst[0][p->nrd - 1]);
}

/* What the gather loop below gets: the tile buffer (one row of TILE_RED elements per output),
 * the block's nb outputs, their byte step, the element size and the tile's first position. */
typedef struct {
    char *buf;
    int64_t nb, ostep, esize, rb;
} gatherctx;

/* Copy n reduced positions of nb neighbouring outputs into the tile buffer, transposed: output j's
 * positions become a contiguous row. */
static void gather_cols(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *unused,
                        const void *vg)
{
    const gatherctx *g = vg;
    const int64_t nb = g->nb, os = g->ostep, off = pos - g->rb;
#define GATHER(U)                                                                            \
    for (int64_t i = 0; i < n; i++) {                                                        \
        const char *q = ptr[0] + i * step[0];                                                \
        U *d = (U *)g->buf + off + i;                                                        \
        for (int64_t j = 0; j < nb; j++)                                                     \
            d[j * TILE_RED] = *(const U *)(q + j * os);                                      \
    }
    switch (g->esize) {
    case 1: GATHER(uint8_t); break;
    case 4: GATHER(uint32_t); break;
    default: GATHER(uint64_t); break;
    }
#undef GATHER
}

/* Outputs [ob, oe) on the calling thread. Tiled plans (use_tiles) run blocks of up to TILE_OUT
 * neighbouring outputs through TILE_RED positions at a time: by the kernel's cols loop if it has
 * one; else, for one-operand reductions with a tile buffer buf (TILE_OUT * TILE_RED * 8 bytes),
 * by gathering the tile into contiguous rows for the ordinary row loop; else output by output. */
static void walk_out(const rplan *p, const rkern *K, int64_t ob, int64_t oe, void *ctx,
                     char *buf, int64_t esize)
{
    char *base[2];
    if (ob >= oe)
        return;
    if (!use_tiles(p)) {
        /* Output by output, stepping the output multi-index without divisions. */
        int64_t idx[L2_MAX_DIMS] = {0}, o = ob;
        for (int d = p->nod - 1; d >= 0 && o > 0; d--) {
            idx[d] = o % p->osh[d];
            o /= p->osh[d];
        }
        out_base(p, ob, base);
        for (o = ob; o < oe; o++) {
            racc a;
            K->init(&a, o, ctx);
            walk_red(p, base, 0, p->nred, K->row, &a, ctx);
            if (K->final)
                K->final(&a, o, ctx);
            for (int d = p->nod - 1; d >= 0; d--) {
                for (int k = 0; k < p->nops; k++)
                    base[k] += p->ost[k][d];
                if (++idx[d] < p->osh[d])
                    break;
                for (int k = 0; k < p->nops; k++)
                    base[k] -= idx[d] * p->ost[k][d];
                idx[d] = 0;
            }
        }
        return;
    }
    const int64_t inner = p->osh[p->nod - 1];
    racc acc[TILE_OUT];
    char *tb[TILE_OUT][2];
    for (int64_t o = ob; o < oe;) {
        /* A block of outputs along the innermost output dim. */
        int64_t nb = oe - o < TILE_OUT ? oe - o : TILE_OUT;
        if (nb > inner - o % inner)
            nb = inner - o % inner;
        out_base(p, o, base);
        for (int64_t j = 0; j < nb; j++) {
            for (int k = 0; k < p->nops; k++)
                tb[j][k] = base[k] + j * p->ost[k][p->nod - 1];
            K->init(&acc[j], o + j, ctx);
        }
        colctx cc = {ctx, nb, p->ost[0][p->nod - 1], p->ost[1][p->nod - 1], acc};
        for (int64_t rb = 0; rb < p->nred; rb += TILE_RED) {
            int64_t re = p->nred - rb < TILE_RED ? p->nred : rb + TILE_RED;
            if (K->cols) {
                walk_red(p, tb[0], rb, re, K->cols, NULL, &cc);
            } else if (buf && p->nops == 1) {
                gatherctx g = {buf, nb, p->ost[0][p->nod - 1], esize, rb};
                walk_red(p, tb[0], rb, re, gather_cols, NULL, &g);
                int64_t st[2] = {esize, 0};
                /* mutation test: rows of a short last tile read at its width, not TILE_RED */
                int64_t rs = l2__fault("tiled_stride") ? re - rb : TILE_RED;
                for (int64_t j = 0; j < nb; j++) {
                    char *bp[2] = {buf + j * rs * esize, NULL};
                    K->row(bp, st, re - rb, rb, &acc[j], ctx);
                }
            } else {
                for (int64_t j = 0; j < nb; j++)
                    walk_red(p, tb[j], rb, re, K->row, &acc[j], ctx);
            }
        }
        if (K->final)
            for (int64_t j = 0; j < nb; j++)
                K->final(&acc[j], o + j, ctx);
        o += nb;
    }
}

/* The one reduction driver. Small work runs on one thread; many outputs are split across threads;
 * few outputs with long reductions split each output's range and merge the parts in order.
 * esize is operand 0's element size. The only failure is out of memory for tile buffers, before
 * any work (error set, false returned). */
static bool reduce_run(const rplan *p, const rkern *K, void *ctx, int64_t esize)
{
    /* A scan over an empty dim writes nothing (its nout may be saturated: the product of an
     * empty tensor's other sizes need not fit). */
    if (K->scan && p->nred == 0)
        return true;
    int64_t work = l2__mul_sat(p->nout, p->nred > 0 ? p->nred : 1);
    int nt = l2__num_threads();
    bool split = !K->scan && (K->combine || !K->final);
    bool serial = nt <= 1 || work < L2__GRAIN_REDUCE || p->nout == 0; /* threads area */
    bool by_out = serial || p->nout >= L2__REDUCE_OUT_PER_THREAD * (int64_t)nt || !split;
    int ntt = serial ? 1 : p->nout < nt ? (int)p->nout : nt;
    char *buf = NULL;
    const size_t tile = (size_t)TILE_OUT * TILE_RED * 8;
    if (by_out && K->final && !K->cols && use_tiles(p) && p->nops == 1 && p->nout > 1 &&
        p->nred > 1 && work >= L2__REDUCE_TILE_BUFFER) { /* reductions only: maps write */
        buf = l2__malloc(tile * (size_t)ntt, "reduce tiles");
        if (!buf)
            return false;
    }
    if (serial) {
        walk_out(p, K, 0, p->nout, ctx, buf, esize);
        l2__free(buf);
        return true;
    }
    if (by_out) {
#pragma omp parallel for num_threads(ntt) schedule(static)
        for (int t = 0; t < ntt; t++)
            walk_out(p, K, l2__part(p->nout, t, ntt),
                     l2__part(p->nout, t + 1, ntt) - l2__fault("reduce_chunk"), /* drops one */
                     ctx, buf ? buf + tile * (size_t)t : NULL, esize);
        l2__free(buf);
        return true;
    }
    enum { MAXT = 64 };
    if (nt > MAXT)
        nt = MAXT;
    if ((int64_t)nt > p->nred / L2__PARALLEL_CHUNK)
        nt = (int)(p->nred / L2__PARALLEL_CHUNK);
    for (int64_t o = 0; o < p->nout; o++) {
        racc part[MAXT];
        char *base[2];
        out_base(p, o, base);
        if (nt <= 1) {
            walk_out(p, K, o, o + 1, ctx, NULL, esize);
            continue;
        }
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int t = 0; t < nt; t++) {
            K->init(&part[t], o, ctx);
            walk_red(p, base, l2__part(p->nred, t, nt), l2__part(p->nred, t + 1, nt), K->row,
                     &part[t], ctx);
        }
        if (K->final) {
            for (int t = 1; t < nt; t++)
                K->combine(&part[0], &part[t], ctx);
            K->final(&part[0], o, ctx);
        }
    }
    return true;
}

/* ---- kernels ------------------------------------------------------------------------------- */

/* What kernels read and write. */
typedef struct {
    l2_dtype dt;       /* dtype of the full operand(s) */
    l2_dtype odt;      /* dtype of out */
    char *out;         /* contiguous result, one element per output */
    int64_t *iout;     /* contiguous int64 per output (indices, counts) or NULL */
    double *dout;      /* contiguous float64 per output (intermediate passes) or NULL */
    const double *m;   /* per-output parameter (mean, shift, value) */
    const double *g;   /* per-output upstream gradient (backward) */
    const int64_t *ip; /* per-output int parameter (index, count) */
    double n;          /* reduced element count */
    double p;          /* norm order, correction */
    int mode;
    bool is_min;
} rctx;

enum { M_OUT, M_MEAN, M_DOUT, M_ARG, M_STD };

/* Write output o: v for float outputs, k for int64 and bool. */
static void put(const rctx *c, int64_t o, double v, int64_t k)
{
    switch (c->odt) {
    case L2_FLOAT32: ((float *)c->out)[o] = (float)v; break;
    case L2_FLOAT64: ((double *)c->out)[o] = v; break;
    case L2_INT64: ((int64_t *)c->out)[o] = k; break;
    case L2_BOOL: ((bool *)c->out)[o] = k != 0; break;
    default: break;
    }
}

/* Neumaier-compensated a->s += v. An infinite or NaN sum keeps its value in s (see sum_value). */
static inline void acc_add(racc *a, double v)
{
    double t = a->s + v;
    if (fabs(a->s) >= fabs(v))
        a->c += (a->s - t) + v;
    else
        a->c += (v - t) + a->s;
    a->s = t;
}

static inline double sum_value(const racc *a) { return isfinite(a->s) ? a->s + a->c : a->s; }

/* Sum EXPR (of the element value v, a double) over the row in blocks of 256, four lanes each,
 * adding each block to the compensated accumulator: the error stays near a few ulps. */
#define ROW_SUM(T, EXPR)                                                                     \
    do {                                                                                     \
        const char *px_ = ptr[0];                                                            \
        int64_t sx_ = step[0];                                                               \
        for (int64_t b_ = 0; b_ < n; b_ += 256) {                                            \
            int64_t e_ = n - b_ < 256 ? n - b_ : 256, j_ = 0;                                \
            double l_[4] = {0, 0, 0, 0};                                                     \
            if (sx_ == (int64_t)sizeof(T)) {                                                 \
                const T *q_ = (const T *)px_ + b_;                                           \
                for (; j_ + 4 <= e_; j_ += 4)                                                \
                    for (int u_ = 0; u_ < 4; u_++) {                                         \
                        double v = (double)q_[j_ + u_];                                      \
                        l_[u_] += (EXPR);                                                    \
                    }                                                                        \
            } else {                                                                         \
                const char *q_ = px_ + b_ * sx_;                                             \
                for (; j_ + 4 <= e_; j_ += 4)                                                \
                    for (int u_ = 0; u_ < 4; u_++) {                                         \
                        double v = (double)*(const T *)(q_ + (j_ + u_) * sx_);               \
                        l_[u_] += (EXPR);                                                    \
                    }                                                                        \
            }                                                                                \
            for (; j_ < e_; j_++) {                                                          \
                double v = (double)*(const T *)(px_ + (b_ + j_) * sx_);                      \
                l_[0] += (EXPR);                                                             \
            }                                                                                \
            acc_add(a, (l_[0] + l_[1]) + (l_[2] + l_[3]));                                   \
        }                                                                                    \
    } while (0)

static void init_zero(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
}

/* Zeroed, with the per-output parameter m[o]. */
static void init_param(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->m = ((const rctx *)ctx)->m[o];
}

static void combine_sum(racc *a, const racc *b, const void *ctx)
{
    acc_add(a, b->s);
    a->c += b->c;
    a->k = (int64_t)((uint64_t)a->k + (uint64_t)b->k);
}

/* sum: float inputs into a compensated float64 sum, bool/int64 into a wrapping int64. */
static void sum_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                    const void *ctx)
{
    const rctx *c = ctx;
    uint64_t k = 0;
    switch (c->dt) {
    case L2_FLOAT32: ROW_SUM(float, v); return;
    case L2_FLOAT64: ROW_SUM(double, v); return;
    case L2_INT64:
        for (int64_t j = 0; j < n; j++)
            k += (uint64_t) * (const int64_t *)(ptr[0] + j * step[0]);
        break;
    case L2_BOOL:
        for (int64_t j = 0; j < n; j++)
            k += *(const bool *)(ptr[0] + j * step[0]);
        break;
    default: break;
    }
    a->k = (int64_t)((uint64_t)a->k + k);
}

/* M_OUT: the sum; M_MEAN: sum / n; M_DOUT: sum / n into dout (the mean pass of var). */
static void sum_final(const racc *a, int64_t o, void *ctx)
{
    rctx *c = ctx;
    double v = sum_value(a);
    if (c->mode == M_DOUT)
        c->dout[o] = v / c->n;
    else
        put(c, o, c->mode == M_MEAN ? v / c->n : v, a->k);
}

/* sum for a block of outputs that are neighbours in memory: n reduced positions, each adding nb
 * values (contiguous when ostep is one element) into per-output float64 or int64 partials. */
static void sum_cols(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *unused,
                     const void *vcc)
{
    const colctx *cc = vcc;
    const rctx *c = cc->ctx;
    const int64_t nb = cc->nb, os = cc->ostep;
    if (l2__is_float(c->dt)) {
        double s[TILE_OUT] = {0};
        L2__DISPATCH_FLOAT(c->dt, {
            for (int64_t i = 0; i < n; i++) {
                const char *q = ptr[0] + i * step[0];
                if (os == (int64_t)sizeof(T))
                    for (int64_t j = 0; j < nb; j++)
                        s[j] += (double)((const T *)q)[j];
                else
                    for (int64_t j = 0; j < nb; j++)
                        s[j] += (double)*(const T *)(q + j * os);
            }
        });
        for (int64_t j = 0; j < nb; j++)
            acc_add(&cc->acc[j], s[j]);
        return;
    }
    uint64_t k[TILE_OUT] = {0};
    for (int64_t i = 0; i < n; i++) {
        const char *q = ptr[0] + i * step[0];
        for (int64_t j = 0; j < nb; j++)
            k[j] += c->dt == L2_INT64 ? (uint64_t) * (const int64_t *)(q + j * os)
                                      : *(const bool *)(q + j * os);
    }
    for (int64_t j = 0; j < nb; j++)
        cc->acc[j].k = (int64_t)((uint64_t)cc->acc[j].k + k[j]);
}

static const rkern K_SUM = {.init = init_zero, .row = sum_row, .combine = combine_sum,
                            .final = sum_final, .cols = sum_cols};

/* sum((x - m)^2), m the per-output mean (var's second pass). */
static void sqdev_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                      const void *ctx)
{
    const double m = a->m;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, ROW_SUM(T, (v - m) * (v - m)));
}

/* var = ss / max(n - correction, 0); std = sqrt(var). */
static void sqdev_final(const racc *a, int64_t o, void *ctx)
{
    rctx *c = ctx;
    double den = c->n - c->p > 0 ? c->n - c->p : 0;
    double v = sum_value(a) / den;
    put(c, o, c->mode == M_STD ? sqrt(v) : v, 0);
}

static const rkern K_SQDEV = {.init = init_param, .row = sqdev_row, .combine = combine_sum,
                              .final = sqdev_final};

/* sum(exp(x - m)), m the per-output shift (logsumexp's second pass). */
static void sumexp_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const double m = a->m;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, ROW_SUM(T, exp(v - m)));
}

static void sumexp_final(const racc *a, int64_t o, void *ctx)
{
    put(ctx, o, log(sum_value(a)) + a->m, 0);
}

static const rkern K_SUMEXP = {.init = init_param, .row = sumexp_row, .combine = combine_sum,
                               .final = sumexp_final};

/* sum |x|^p (p = 1, 2 and general are separate loops). */
static void pow_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                    const void *ctx)
{
    const rctx *c = ctx;
    const double p = c->p;
    if (p == 1) {
        L2__DISPATCH_FLOAT(c->dt, ROW_SUM(T, fabs(v)));
    } else if (p == 2) {
        L2__DISPATCH_FLOAT(c->dt, ROW_SUM(T, v * v));
    } else {
        L2__DISPATCH_FLOAT(c->dt, ROW_SUM(T, pow(fabs(v), p)));
    }
}

static void pow_final(const racc *a, int64_t o, void *ctx)
{
    const rctx *c = ctx;
    double s = sum_value(a);
    put(c, o, c->p == 1 ? s : c->p == 2 ? sqrt(s) : pow(s, 1 / c->p), 0);
}

static const rkern K_POW = {.init = init_zero, .row = pow_row, .combine = combine_sum,
                            .final = pow_final};

/* max |x| (the infinity norm); NaN propagates. */
static void absmax_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    double s = a->s;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, {
        for (int64_t j = 0; j < n; j++) {
            double w = fabs((double)*(const T *)(ptr[0] + j * step[0]));
            if (w > s || isnan(w))
                s = w;
            if (isnan(s))
                break;
        }
    });
    a->s = s;
}

static void absmax_combine(racc *a, const racc *b, const void *ctx)
{
    if (!isnan(a->s) && (b->s > a->s || isnan(b->s)))
        a->s = b->s;
}

static void absmax_final(const racc *a, int64_t o, void *ctx) { put(ctx, o, a->s, 0); }

static const rkern K_ABSMAX = {.init = init_zero, .row = absmax_row, .combine = absmax_combine,
                               .final = absmax_final};

/* prod: float64 product for floats, wrapping int64 product for bool/int64. */
static void init_prod(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->s = 1;
    a->k = 1;
}

static void prod_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                     const void *ctx)
{
    const rctx *c = ctx;
    if (l2__is_float(c->dt)) {
        double s = a->s;
        L2__DISPATCH_FLOAT(c->dt, {
            for (int64_t j = 0; j < n; j++)
                s *= (double)*(const T *)(ptr[0] + j * step[0]);
        });
        a->s = s;
        return;
    }
    uint64_t k = (uint64_t)a->k;
    if (c->dt == L2_INT64)
        for (int64_t j = 0; j < n; j++)
            k *= (uint64_t) * (const int64_t *)(ptr[0] + j * step[0]);
    else
        for (int64_t j = 0; j < n; j++)
            k *= *(const bool *)(ptr[0] + j * step[0]);
    a->k = (int64_t)k;
}

static void prod_final(const racc *a, int64_t o, void *ctx) { put(ctx, o, a->s, a->k); }

/* No combine: a product is not split across threads (each output runs in order on one thread).
 * Partial products of one output could be 0 (underflow) and inf (overflow), whose product is
 * NaN where the one-thread product is 0 or inf: results would depend on the thread count. */
static const rkern K_PROD = {.init = init_prod, .row = prod_row, .final = prod_final};

/* For prod's backward: the product of the non-zero elements (s) and the number of zeros (k). */
static void prodnz_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    double s = a->s;
    int64_t k = a->k;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, {
        for (int64_t j = 0; j < n; j++) {
            double v = (double)*(const T *)(ptr[0] + j * step[0]);
            if (v != 0)
                s *= v;
            else
                k++;
        }
    });
    a->s = s;
    a->k = k;
}

static void prodnz_final(const racc *a, int64_t o, void *ctx)
{
    rctx *c = ctx;
    c->dout[o] = a->s;
    c->iout[o] = a->k;
}

static void init_prodnz(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->s = 1;
}

/* No combine, as K_PROD. */
static const rkern K_PRODNZ = {.init = init_prodnz, .row = prodnz_row, .final = prodnz_final};

/* max / min with the position of the first extreme element (the first NaN if any). Float values
 * in s, int64/bool values in k; i < 0 while no element was seen. */
static void init_ext(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->i = -1;
}

static void ext_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                    const void *ctx)
{
    const rctx *c = ctx;
    const bool mn = c->is_min;
    int64_t bi = a->i;
    if (l2__is_float(c->dt)) {
        double best = a->s;
        if (bi >= 0 && isnan(best))
            return;
        L2__DISPATCH_FLOAT(c->dt, {
            for (int64_t j = 0; j < n; j++) {
                double v = (double)*(const T *)(ptr[0] + j * step[0]);
                if (isnan(v)) {
                    best = v;
                    bi = pos + j;
                    break;
                }
                if (bi < 0 || (mn ? v < best : v > best)) {
                    best = v;
                    bi = pos + j;
                }
            }
        });
        a->s = best;
    } else {
        int64_t best = a->k;
        for (int64_t j = 0; j < n; j++) {
            const char *q = ptr[0] + j * step[0];
            int64_t v = c->dt == L2_INT64 ? *(const int64_t *)q : (int64_t) * (const bool *)q;
            if (bi < 0 || (mn ? v < best : v > best)) {
                best = v;
                bi = pos + j;
            }
        }
        a->k = best;
    }
    a->i = bi;
}

static void ext_combine(racc *a, const racc *b, const void *ctx)
{
    const rctx *c = ctx;
    if (b->i < 0)
        return;
    if (a->i < 0) {
        *a = *b;
        return;
    }
    if (l2__is_float(c->dt)) {
        if (!isnan(a->s) && (isnan(b->s) || (c->is_min ? b->s < a->s : b->s > a->s)))
            *a = *b;
    } else if (c->is_min ? b->k < a->k : b->k > a->k) {
        *a = *b;
    }
}

/* M_OUT: value (and index into iout if set); M_ARG: index into out; M_DOUT: the shift for
 * logsumexp (the maximum, 0 when it is infinite or there are no elements). */
static void ext_final(const racc *a, int64_t o, void *ctx)
{
    rctx *c = ctx;
    if (c->mode == M_ARG) {
        ((int64_t *)c->out)[o] = a->i;
    } else if (c->mode == M_DOUT) {
        c->dout[o] = a->i < 0 || isinf(a->s) ? 0 : a->s;
    } else {
        put(c, o, a->s, a->k);
        if (c->iout)
            c->iout[o] = a->i;
    }
}

static const rkern K_EXT = {.init = init_ext, .row = ext_row, .combine = ext_combine,
                            .final = ext_final, .ordered = true};

/* all / any: k starts at 1 (all) or 0 (any). */
static void init_all(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->k = ((const rctx *)ctx)->mode == 0;
}

static void allany_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const rctx *c = ctx;
    bool any = c->mode == 1, r = a->k != 0;
    if (r == any) /* decided */
        return;
    L2__DISPATCH(c->dt, {
        for (int64_t j = 0; j < n; j++)
            if ((*(const T *)(ptr[0] + j * step[0]) != 0) == any) {
                r = any;
                break;
            }
    });
    a->k = r;
}

static void allany_combine(racc *a, const racc *b, const void *ctx)
{
    if (((const rctx *)ctx)->mode == 1)
        a->k = a->k || b->k;
    else
        a->k = a->k && b->k;
}

static void allany_final(const racc *a, int64_t o, void *ctx) { put(ctx, o, 0, a->k); }

static const rkern K_ALLANY = {.init = init_all, .row = allany_row, .combine = allany_combine,
                               .final = allany_final};

/* Count the elements equal to m (or NaN when m is NaN); mode 1 compares |x|, and counts NaN
 * elements always (the infinity norm's backward). */
static void count_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                      const void *ctx)
{
    const rctx *c = ctx;
    const double m = a->m;
    const bool absm = c->mode == 1, mnan = isnan(m);
    int64_t k = 0;
    L2__DISPATCH_FLOAT(c->dt, {
        for (int64_t j = 0; j < n; j++) {
            double v = (double)*(const T *)(ptr[0] + j * step[0]);
            if (absm)
                v = fabs(v);
            k += v == m || (isnan(v) && (mnan || absm));
        }
    });
    a->k += k;
}

static void count_final(const racc *a, int64_t o, void *ctx)
{
    ((rctx *)ctx)->iout[o] = a->k;
}

static const rkern K_COUNT = {.init = init_param, .row = count_row, .combine = combine_sum,
                              .final = count_final};

/* ---- op helpers ---------------------------------------------------------------------------- */

/* Run one pass of K over t with reduced dims rd, writing into c (its dt is set here). False
 * (error set) when out of memory. */
static bool run_pass(const l2_tensor *t, const rdims *rd, const rkern *K, rctx *c)
{
    rplan p;
    rplan_init(&p, rd->red, 1, &t, !K->ordered);
    c->dt = t->dtype;
    return reduce_run(&p, K, c, (int64_t)l2__esize(t->dtype));
}

/* A new result of shape rd's output and dtype odt filled by K over t. */
static l2_tensor *reduce_new(const char *op, const l2_tensor *t, const rdims *rd, l2_dtype odt,
                             const rkern *K, rctx *c)
{
    l2_tensor *r = l2__new(op, rd->out_ndim, rd->out_shape, odt, false);
    if (!r)
        return NULL;
    c->out = l2__data(r);
    c->odt = odt;
    c->n = (double)rd->nred;
    if (!run_pass(t, rd, K, c)) {
        l2_tensor_release(r);
        return NULL;
    }
    return r;
}

/* Record node op on r (input t) with rd's mask and keepdim in i[0], i[1], saving nsave tensors.
 * Returns the node, or NULL (error set) after releasing r. */
static l2__node *record(l2__op op, l2_tensor *r, const l2_tensor *t, const rdims *rd, int nsave,
                        const l2_tensor *const *save)
{
    l2__node *n = l2__record_save(op, r, 1, &t, nsave, save);
    if (!n) {
        l2_tensor_release(r);
        return NULL;
    }
    n->i[0] = rd->keepdim;
    n->i[1] = rdims_mask(rd);
    n->ni = 2;
    return n;
}

static bool wants_grad(const l2_tensor *t)
{
    return l2__is_float(t->dtype) && l2__needs_grad(1, &t);
}

static void node_rdims(const l2__node *n, rdims *rd)
{
    rdims_from_mask(rd, n->in_ndim[0], n->in_shape[0], (unsigned)n->i[1], n->i[0] != 0);
}

/* The upstream gradient as a contiguous float64 tensor (one value per output). */
static l2_tensor *grad_f64(const l2_tensor *g)
{
    l2_tensor *r = l2__new("backward", g->ndim, g->shape, L2_FLOAT64, false);
    if (r)
        l2__copy_kernel(r, g);
    return r;
}

/* g (shape of the output) viewed with the input's shape: stride 0 along reduced dims. */
static l2_tensor *expand_grad(const l2__node *n, const rdims *rd, const l2_tensor *g)
{
    int64_t st[L2_MAX_DIMS];
    int j = 0;
    for (int d = 0; d < rd->ndim; d++) {
        if (rd->red[d]) {
            st[d] = 0;
            j += rd->keepdim;
        } else {
            st[d] = g->stride[j++];
        }
    }
    return l2__alias(g, rd->ndim, n->in_shape[0], st, g->offset);
}

/* Run map kernel K over (gin, x) (x may be NULL: gin only) into a new gradient of the input's
 * shape and dtype; zero: start from zeros. */
static l2_tensor *run_map(const l2__node *n, const rdims *rd, const l2_tensor *x, bool zero,
                          const rkern *K, rctx *c)
{
    l2_tensor *gin = l2__new("backward", n->in_ndim[0], n->in_shape[0], n->in_dtype[0], zero);
    if (!gin)
        return NULL;
    const l2_tensor *ops[2] = {gin, x};
    rplan p;
    rplan_init(&p, rd->red, x ? 2 : 1, ops, !K->ordered);
    c->dt = gin->dtype;
    c->n = (double)rd->nred;
    if (!reduce_run(&p, K, c, (int64_t)l2__esize(gin->dtype))) {
        l2_tensor_release(gin);
        return NULL;
    }
    return gin;
}

/* Maps write element v of operand 0 with EXPR computed from the input element x (operand 1). */
#define MAP_ROW(EXPR)                                                                        \
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, {                                            \
        for (int64_t j = 0; j < n; j++) {                                                    \
            double x = (double)*(const T *)(ptr[1] + j * step[1]);                           \
            *(T *)(ptr[0] + j * step[0]) = (T)(EXPR);                                        \
        }                                                                                    \
    })

/* ---- sum and mean -------------------------------------------------------------------------- */

l2_tensor *l2_sum_dims(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    const char *op = "sum";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    if (!rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    rctx c = {.mode = M_OUT};
    l2_tensor *r =
        reduce_new(op, t, &rd, l2__is_float(t->dtype) ? t->dtype : L2_INT64, &K_SUM, &c);
    if (r && wants_grad(t) && !record(L2__OP_SUM, r, t, &rd, 0, NULL))
        return NULL;
    return l2__ret(r);
}

l2_tensor *l2_sum(const l2_tensor *t) { return l2_sum_dims(t, 0, NULL, false); }

/* dx = expand(dy): a stride-0 view, no copy. */
l2_status l2__sum_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    node_rdims(n, &rd);
    gin[0] = expand_grad(n, &rd, gout);
    return gin[0] ? L2_OK : l2_last_status();
}

/* The mean over dims (all of them when ndims is 0). by_dims tells l2_mean_dims from l2_mean:
 * torch 1.13's node for a mean over dims (MeanBackward1) saves its input, the one for a mean of
 * everything (MeanBackward0) saves nothing; libl2 saves nothing in both but marks the first as
 * saving, so that a second backward without retain_graph fails where torch's does. */
static l2_tensor *mean_impl(const l2_tensor *t, int ndims, const int *dims, bool keepdim,
                            bool by_dims)
{
    const char *op = "mean";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: could not infer output dtype. Input dtype must be either a floating point or "
              "complex dtype. Got: %s", op, l2_dtype_name(t->dtype));
    if (!rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    rctx c = {.mode = M_MEAN};
    l2_tensor *r = reduce_new(op, t, &rd, t->dtype, &K_SUM, &c);
    if (r && wants_grad(t)) {
        l2__node *n = record(L2__OP_MEAN, r, t, &rd, 0, NULL);
        if (!n)
            return NULL;
        n->torch_saves = by_dims;
    }
    return l2__ret(r);
}

l2_tensor *l2_mean_dims(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    return mean_impl(t, ndims, dims, keepdim, true);
}

l2_tensor *l2_mean(const l2_tensor *t) { return mean_impl(t, 0, NULL, false, false); }

/* dx = expand(dy / N): dy / N is computed once per output (in the input's dtype, so that the
 * engine need not convert), then viewed with stride 0. */
l2_status l2__mean_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    node_rdims(n, &rd);
    l2_tensor *g = l2__new("backward", gout->ndim, gout->shape, n->in_dtype[0], false);
    if (!g)
        return l2_last_status();
    l2__copy_kernel(g, gout);
    const double N = (double)rd.nred;
    L2__DISPATCH_FLOAT(g->dtype, {
        T *gd = (T *)l2__data(g);
        for (int64_t o = 0; o < rd.nout; o++)
            gd[o] = (T)((double)gd[o] / N);
    });
    gin[0] = expand_grad(n, &rd, g);
    l2_tensor_release(g);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- prod ---------------------------------------------------------------------------------- */

static l2_tensor *prod_impl(const l2_tensor *t, bool all, int dim, bool keepdim)
{
    const char *op = "prod";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    if (!rdims_parse(op, t, all ? 0 : 1, &dim, keepdim, &rd))
        return NULL;
    rctx c = {.mode = M_OUT};
    l2_tensor *r =
        reduce_new(op, t, &rd, l2__is_float(t->dtype) ? t->dtype : L2_INT64, &K_PROD, &c);
    if (r && wants_grad(t) && !record(L2__OP_PROD, r, t, &rd, 1, &t))
        return NULL;
    return l2__ret(r);
}

l2_tensor *l2_prod(const l2_tensor *t) { return prod_impl(t, true, 0, false); }
l2_tensor *l2_prod_dim(const l2_tensor *t, int dim, bool keepdim)
{
    return prod_impl(t, false, dim, keepdim);
}

static void init_prod_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->g[o];
    a->s = c->m[o];
    a->k = c->ip[o];
}

/* With P the product of the non-zero elements and Z the number of zeros in the slice:
 * Z = 0: dx = dy * (P / x);  Z = 1: dx = dy * P at the zero, 0 elsewhere;  Z > 1: dx = 0.
 * P / x first, as torch: dy * P can underflow to 0 where P is subnormal and P / x is not. */
static void prod_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                        const void *ctx)
{
    const double g = a->m, P = a->s;
    const int64_t z = a->k;
    MAP_ROW(x != 0 ? (z == 0 ? g * (P / x) : 0.0) : (z == 1 ? g * P : 0.0));
}

static const rkern K_PROD_BW = {.init = init_prod_bw, .row = prod_bw_row};

l2_status l2__prod_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    node_rdims(n, &rd);
    const l2_tensor *x = n->saved[0];
    l2_tensor *g = grad_f64(gout);
    double *pnz = l2__malloc(sizeof(double) * (size_t)(rd.nout + 1), "prod backward");
    int64_t *cnt = l2__malloc(sizeof(int64_t) * (size_t)(rd.nout + 1), "prod backward");
    if (g && pnz && cnt) {
        rctx c = {.dout = pnz, .iout = cnt};
        rctx cb = {.g = (const double *)l2__data(g), .m = pnz, .ip = cnt};
        if (run_pass(x, &rd, &K_PRODNZ, &c))
            gin[0] = run_map(n, &rd, x, false, &K_PROD_BW, &cb);
    }
    l2_tensor_release(g);
    l2__free(pnz);
    l2__free(cnt);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- max / min ----------------------------------------------------------------------------- */

static l2_tensor *ext_all(const char *op, const l2_tensor *t, bool is_min, l2__op node_op)
{
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__numel(t->ndim, t->shape) > 0, NULL, L2_ERR_ARG,
              "%s: Expected reduction dim to be specified for input.numel() == 0. Specify the "
              "reduction dim with the 'dim' argument.", op);
    rdims_parse(op, t, 0, NULL, false, &rd);
    rctx c = {.mode = M_OUT, .is_min = is_min};
    l2_tensor *r = reduce_new(op, t, &rd, t->dtype, &K_EXT, &c);
    if (r && wants_grad(t)) {
        const l2_tensor *save[2] = {t, r};
        if (!record(node_op, r, t, &rd, 2, save))
            return NULL;
    }
    return l2__ret(r);
}

l2_tensor *l2_max(const l2_tensor *t) { return ext_all("max", t, false, L2__OP_MAX); }
l2_tensor *l2_min(const l2_tensor *t) { return ext_all("min", t, true, L2__OP_MIN); }

static void init_even_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->m[o];
    a->s = c->g[o] / (double)c->ip[o];
}

/* dx = dy / count where x equals the result (both NaN counts as equal), 0 elsewhere. */
static void even_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                        const void *ctx)
{
    const double m = a->m, s = a->s;
    const bool mnan = isnan(m);
    MAP_ROW(x == m || (mnan && isnan(x)) ? s : 0.0);
}

static const rkern K_EVEN_BW = {.init = init_even_bw, .row = even_bw_row};

/* Backward of the all-reduce max/min: dy split evenly among the ties (torch 1.13). */
static l2_status ext_all_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    node_rdims(n, &rd);
    const l2_tensor *x = n->saved[0];
    double m = l2__get_flat(n->saved[1], 0);
    int64_t cnt = 0;
    rctx c = {.m = &m, .iout = &cnt, .mode = 0};
    if (!run_pass(x, &rd, &K_COUNT, &c))
        return l2_last_status();
    l2_tensor *g = grad_f64(gout);
    if (!g)
        return l2_last_status();
    rctx cb = {.g = (const double *)l2__data(g), .m = &m, .ip = &cnt};
    gin[0] = run_map(n, &rd, x, false, &K_EVEN_BW, &cb);
    l2_tensor_release(g);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__max_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_all_backward(n, gout, gin);
}

l2_status l2__min_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_all_backward(n, gout, gin);
}

/* Check that reducing dim d of t (one dim) is possible for ops that need an element. */
static bool check_nonempty_dim(const char *op, const l2_tensor *t, int d)
{
    L2__CHECK(t->ndim == 0 || t->shape[d] > 0, false, L2_ERR_ARG,
              "%s: Expected reduction dim %d to have non-zero size.", op, d);
    return true;
}

static l2_tensor *ext_dim(const char *op, const l2_tensor *t, int dim, bool keepdim,
                          l2_tensor **indices, bool is_min, l2__op node_op)
{
    rdims rd;
    if (indices)
        *indices = NULL;
    L2__CHECK_T(t, NULL, op);
    if (!rdims_parse(op, t, 1, &dim, keepdim, &rd))
        return NULL;
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (!check_nonempty_dim(op, t, d))
        return NULL;
    l2_tensor *idx = l2__new(op, rd.out_ndim, rd.out_shape, L2_INT64, false);
    if (!idx)
        return NULL;
    rctx c = {.mode = M_OUT, .is_min = is_min, .iout = (int64_t *)l2__data(idx)};
    l2_tensor *r = reduce_new(op, t, &rd, t->dtype, &K_EXT, &c);
    if (r && wants_grad(t)) {
        const l2_tensor *save[1] = {idx};
        if (!record(node_op, r, t, &rd, 1, save))
            r = NULL;
    }
    if (!r || !indices) {
        l2_tensor_release(idx);
        return l2__ret(r);
    }
    *indices = l2__ret(idx);
    return l2__ret(r);
}

l2_tensor *l2_max_dim(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices)
{
    return ext_dim("max", t, dim, keepdim, indices, false, L2__OP_MAX_DIM);
}

l2_tensor *l2_min_dim(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices)
{
    return ext_dim("min", t, dim, keepdim, indices, true, L2__OP_MIN_DIM);
}

static void init_scatter_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->g[o];
    a->k = c->ip[o];
}

/* dx = dy at the selected index along dim, 0 elsewhere (gin starts zeroed). */
static void scatter_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                           const void *ctx)
{
    if (a->k < pos || a->k >= pos + n)
        return;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt,
                       *(T *)(ptr[0] + (a->k - pos) * step[0]) = (T)a->m);
}

static const rkern K_SCATTER_BW = {.init = init_scatter_bw, .row = scatter_bw_row,
                                   .ordered = true};

static l2_status ext_dim_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    node_rdims(n, &rd);
    l2_tensor *g = grad_f64(gout);
    if (!g)
        return l2_last_status();
    rctx c = {.g = (const double *)l2__data(g), .ip = (const int64_t *)l2__data(n->saved[0])};
    gin[0] = run_map(n, &rd, NULL, true, &K_SCATTER_BW, &c);
    l2_tensor_release(g);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__max_dim_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_dim_backward(n, gout, gin);
}

l2_status l2__min_dim_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_dim_backward(n, gout, gin);
}

/* ---- argmax / argmin (not differentiable) -------------------------------------------------- */

static l2_tensor *arg_impl(const char *op, const l2_tensor *t, bool all, int dim, bool keepdim,
                           bool is_min)
{
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "%s: \"%s_cpu\" not implemented for 'Bool'",
              op, op);
    if (all) {
        L2__CHECK(l2__numel(t->ndim, t->shape) > 0, NULL, L2_ERR_ARG,
                  "%s: Expected reduction dim to be specified for input.numel() == 0.", op);
        rdims_parse(op, t, 0, NULL, false, &rd);
    } else {
        if (!rdims_parse(op, t, 1, &dim, keepdim, &rd))
            return NULL;
        if (!check_nonempty_dim(op, t, l2__wrap_dim(op, dim, t->ndim)))
            return NULL;
    }
    rctx c = {.mode = M_ARG, .is_min = is_min};
    return l2__ret(reduce_new(op, t, &rd, L2_INT64, &K_EXT, &c));
}

l2_tensor *l2_argmax(const l2_tensor *t) { return arg_impl("argmax", t, true, 0, false, false); }
l2_tensor *l2_argmin(const l2_tensor *t) { return arg_impl("argmin", t, true, 0, false, true); }
l2_tensor *l2_argmax_dim(const l2_tensor *t, int dim, bool keepdim)
{
    return arg_impl("argmax", t, false, dim, keepdim, false);
}
l2_tensor *l2_argmin_dim(const l2_tensor *t, int dim, bool keepdim)
{
    return arg_impl("argmin", t, false, dim, keepdim, true);
}

/* ---- var / std ----------------------------------------------------------------------------- */

/* Two passes: the mean per output (float64), then sum((x - mean)^2). */
static l2_tensor *var_impl(const char *op, const l2_tensor *t, int ndims, const int *dims,
                           double correction, bool keepdim, bool is_std)
{
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: std and var only support floating point dtypes (got %s)", op,
              l2_dtype_name(t->dtype));
    L2__CHECK(!isnan(correction), NULL, L2_ERR_ARG, "%s: correction is NaN", op);
    if (!rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    double *mean = l2__malloc(sizeof(double) * (size_t)(rd.nout + 1), op);
    if (!mean)
        return NULL;
    rctx c = {.mode = M_DOUT, .dout = mean, .n = (double)rd.nred};
    rctx c2 = {.mode = is_std ? M_STD : M_OUT, .m = mean, .p = correction};
    l2_tensor *r = NULL;
    if (run_pass(t, &rd, &K_SUM, &c))
        r = reduce_new(op, t, &rd, t->dtype, &K_SQDEV, &c2);
    l2__free(mean);
    if (r && wants_grad(t)) {
        const l2_tensor *save[2] = {t, r};
        l2__node *n = record(is_std ? L2__OP_STD : L2__OP_VAR, r, t, &rd, is_std ? 2 : 1, save);
        if (!n)
            return NULL;
        n->f[0] = correction;
    }
    return l2__ret(r);
}

l2_tensor *l2_var(const l2_tensor *t, int ndims, const int *dims, double correction, bool keepdim)
{
    return var_impl("var", t, ndims, dims, correction, keepdim, false);
}

l2_tensor *l2_std(const l2_tensor *t, int ndims, const int *dims, double correction, bool keepdim)
{
    return var_impl("std", t, ndims, dims, correction, keepdim, true);
}

static void init_var_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->m[o]; /* mean */
    /* var: dx = dy * 2 (x - mean) / (N - correction)
     * std: dx = dy / (2 std) * 2 (x - mean) / (N - correction), std from the forward (c->dout);
     *      0 where std is 0 (torch 1.13's masked_fill in std_backward) */
    a->s = 2 * c->g[o] / (c->n - c->p);
    if (c->mode == M_STD)
        a->s = c->dout[o] == 0 ? 0 : a->s / (2 * c->dout[o]);
}

static void var_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const double m = a->m, s = a->s;
    MAP_ROW(s * (x - m));
}

static const rkern K_VAR_BW = {.init = init_var_bw, .row = var_bw_row};

static l2_status var_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin, bool is_std)
{
    rdims rd;
    node_rdims(n, &rd);
    const l2_tensor *x = n->saved[0];
    l2_tensor *g = grad_f64(gout), *sd = is_std ? grad_f64(n->saved[1]) : NULL;
    double *mean = l2__malloc(sizeof(double) * (size_t)(rd.nout + 1), "var backward");
    if (g && mean && (!is_std || sd)) {
        rctx c = {.mode = M_DOUT, .dout = mean, .n = (double)rd.nred};
        rctx cb = {.m = mean, .g = (const double *)l2__data(g), .p = n->f[0],
                   .mode = is_std ? M_STD : M_OUT, .dout = sd ? (double *)l2__data(sd) : NULL};
        if (run_pass(x, &rd, &K_SUM, &c))
            gin[0] = run_map(n, &rd, x, false, &K_VAR_BW, &cb);
    }
    l2_tensor_release(g);
    l2_tensor_release(sd);
    l2__free(mean);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__var_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return var_backward(n, gout, gin, false);
}

l2_status l2__std_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return var_backward(n, gout, gin, true);
}

/* ---- logsumexp ----------------------------------------------------------------------------- */

/* out = m + log(sum(exp(x - m))), m the maximum (0 where it is infinite or the slice is empty). */
l2_tensor *l2_logsumexp(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    const char *op = "logsumexp";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected a floating point input (got %s)", op, l2_dtype_name(t->dtype));
    if (!rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    double *shift = l2__malloc(sizeof(double) * (size_t)(rd.nout + 1), op);
    if (!shift)
        return NULL;
    rctx c = {.mode = M_DOUT, .dout = shift};
    rctx c2 = {.m = shift};
    l2_tensor *r = NULL;
    if (run_pass(t, &rd, &K_EXT, &c))
        r = reduce_new(op, t, &rd, t->dtype, &K_SUMEXP, &c2);
    l2__free(shift);
    if (r && wants_grad(t)) {
        const l2_tensor *save[2] = {t, r};
        if (!record(L2__OP_LOGSUMEXP, r, t, &rd, 2, save))
            return NULL;
    }
    return l2__ret(r);
}

static void init_gm(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->m[o];
    a->s = c->g[o];
}

/* dx = dy * exp(x - out) */
static void lse_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const double m = a->m, s = a->s;
    MAP_ROW(s * exp(x - m));
}

static const rkern K_LSE_BW = {.init = init_gm, .row = lse_bw_row};

l2_status l2__logsumexp_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    node_rdims(n, &rd);
    l2_tensor *g = grad_f64(gout), *out = grad_f64(n->saved[1]);
    if (g && out) {
        rctx c = {.g = (const double *)l2__data(g), .m = (const double *)l2__data(out)};
        gin[0] = run_map(n, &rd, n->saved[0], false, &K_LSE_BW, &c);
    }
    l2_tensor_release(g);
    l2_tensor_release(out);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- norm ---------------------------------------------------------------------------------- */

l2_tensor *l2_norm(const l2_tensor *t, double p, int ndims, const int *dims, bool keepdim)
{
    const char *op = "norm";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: input dtype should be floating point. Got %s instead.", op,
              l2_dtype_name(t->dtype));
    L2__CHECK(p > 0, NULL, L2_ERR_ARG, "%s: p must be > 0 (got %g)", op, p);
    if (!rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    for (int d = 0; d < t->ndim && isinf(p); d++)
        L2__CHECK(!(rd.red[d] && t->shape[d] == 0), NULL, L2_ERR_ARG,
                  "%s: cannot compute the inf norm on dim %d because it is empty and the "
                  "operation has no identity", op, d);
    rctx c = {.p = p};
    l2_tensor *r = reduce_new(op, t, &rd, t->dtype, isinf(p) ? &K_ABSMAX : &K_POW, &c);
    if (r && wants_grad(t)) {
        const l2_tensor *save[2] = {t, r};
        l2__node *n = record(L2__OP_NORM, r, t, &rd, 2, save);
        if (!n)
            return NULL;
        n->f[0] = p;
    }
    return l2__ret(r);
}

/* Per output: m = the norm, s = the factor of the formula below (as torch 1.13's norm_backward). */
static void init_norm_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    const double p = c->p, nv = c->m[o], g = c->g[o];
    memset(a, 0, sizeof *a);
    a->m = nv;
    if (isinf(p))
        a->s = g / (double)c->ip[o];
    else if (p == 1)
        a->s = g;
    else if (p < 1)
        a->s = g * pow(nv, 1 - p);
    else
        a->s = nv == 0 ? 0 : g / pow(nv, p - 1);
}

static inline double sgn(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x; }

/* p = 1:   dx = dy sgn(x)  (0 * dy at NaN)
 * p < 1:   dx = dy sgn(x) |x|^(p-1) norm^(1-p)      (0 where x = 0)
 * p >= 1:  dx = dy x |x|^(p-2) / norm^(p-1)          (0 where the norm is 0)
 * p = inf: dx = dy sgn(x) / count where |x| = norm, 0 elsewhere (NaN included) */
static void norm_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                        const void *ctx)
{
    const double p = ((const rctx *)ctx)->p, m = a->m, s = a->s;
    if (isinf(p)) {
        MAP_ROW(fabs(x) == m ? s * sgn(x) : 0.0); /* 0 at NaN, as torch 1.13 */
    } else if (p == 1) { /* torch: sign(NaN) is 0 here */
        MAP_ROW(s * (isnan(x) ? 0.0 : sgn(x)));
    } else if (p == 2) {
        MAP_ROW(s * x);
    } else if (p < 1) {
        MAP_ROW(x == 0 ? 0.0 : s * sgn(x) * pow(fabs(x), p - 1));
    } else {
        MAP_ROW(s * sgn(x) * pow(fabs(x), p - 1));
    }
}

static const rkern K_NORM_BW = {.init = init_norm_bw, .row = norm_bw_row};

l2_status l2__norm_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    node_rdims(n, &rd);
    const double p = n->f[0];
    const l2_tensor *x = n->saved[0];
    l2_tensor *g = grad_f64(gout), *nv = grad_f64(n->saved[1]);
    int64_t *cnt = l2__malloc(sizeof(int64_t) * (size_t)(rd.nout + 1), "norm backward");
    if (g && nv && cnt) {
        const double *m = (const double *)l2__data(nv);
        rctx c = {.m = m, .iout = cnt, .mode = 1};
        rctx cb = {.g = (const double *)l2__data(g), .m = m, .ip = cnt, .p = p};
        if (!isinf(p) || run_pass(x, &rd, &K_COUNT, &c))
            gin[0] = run_map(n, &rd, x, false, &K_NORM_BW, &cb);
    }
    l2_tensor_release(g);
    l2_tensor_release(nv);
    l2__free(cnt);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- cumsum -------------------------------------------------------------------------------- */

/* Running sum along the one reduced dim: operand 0 is written, operand 1 read. Float sums run in
 * float64 (s), int64/bool in int64 (k). */
static void cumsum_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const rctx *c = ctx;
    if (c->odt == L2_INT64) {
        uint64_t k = (uint64_t)a->k;
        if (c->dt == L2_INT64) {
            for (int64_t j = 0; j < n; j++) {
                k += (uint64_t) * (const int64_t *)(ptr[1] + j * step[1]);
                *(int64_t *)(ptr[0] + j * step[0]) = (int64_t)k;
            }
        } else {
            for (int64_t j = 0; j < n; j++) {
                k += *(const bool *)(ptr[1] + j * step[1]);
                *(int64_t *)(ptr[0] + j * step[0]) = (int64_t)k;
            }
        }
        a->k = (int64_t)k;
        return;
    }
    double s = a->s;
    /* Float cumsum keeps the dtype: the output type TO is T. */
    L2__DISPATCH_FLOAT(c->dt, {
        typedef T TO;
        for (int64_t j = 0; j < n; j++) {
            s += (double)*(const T *)(ptr[1] + j * step[1]);
            *(TO *)(ptr[0] + j * step[0]) = (TO)s;
        }
    });
    a->s = s;
}

/* cumsum for a block of nb outputs that are neighbours in memory (a scan over an outer dim):
 * position by position, each adds nb values to nb running sums. */
static void cumsum_cols(char *const *ptr, const int64_t *step, int64_t n, int64_t pos,
                        racc *unused, const void *vcc)
{
    const colctx *cc = vcc;
    const rctx *c = cc->ctx;
    const int64_t nb = cc->nb, os0 = cc->ostep, os1 = cc->ostep1;
    if (c->odt == L2_INT64) {
        for (int64_t j = 0; j < nb; j++) {
            uint64_t k = (uint64_t)cc->acc[j].k;
            for (int64_t i = 0; i < n; i++) {
                const char *q = ptr[1] + i * step[1] + j * os1;
                k += c->dt == L2_INT64 ? (uint64_t) * (const int64_t *)q : *(const bool *)q;
                *(int64_t *)(ptr[0] + i * step[0] + j * os0) = (int64_t)k;
            }
            cc->acc[j].k = (int64_t)k;
        }
        return;
    }
    double s[TILE_OUT];
    for (int64_t j = 0; j < nb; j++)
        s[j] = cc->acc[j].s;
    L2__DISPATCH_FLOAT(c->dt, { /* float cumsum keeps the dtype: TO is T */
        typedef T TO;
        for (int64_t i = 0; i < n; i++) {
            const char *q = ptr[1] + i * step[1];
            char *d = ptr[0] + i * step[0];
            if (os0 == (int64_t)sizeof(TO) && os1 == (int64_t)sizeof(T)) {
                for (int64_t j = 0; j < nb; j++) {
                    s[j] += (double)((const T *)q)[j];
                    ((TO *)d)[j] = (TO)s[j];
                }
            } else {
                for (int64_t j = 0; j < nb; j++) {
                    s[j] += (double)*(const T *)(q + j * os1);
                    *(TO *)(d + j * os0) = (TO)s[j];
                }
            }
        }
    });
    for (int64_t j = 0; j < nb; j++)
        cc->acc[j].s = s[j];
}

static const rkern K_CUMSUM = {.init = init_zero, .row = cumsum_row, .ordered = true,
                               .scan = true, .cols = cumsum_cols};

/* Run the scan of src along dim d into dst (same shape), one row per output in order;
 * reverse: from the end of the dim (the plan walks it with negated strides). */
static bool run_scan(l2_tensor *dst, const l2_tensor *src, int d, bool reverse)
{
    bool red[L2_MAX_DIMS] = {false};
    if (dst->ndim > 0)
        red[d] = true;
    const l2_tensor *ops[2] = {dst, src};
    rplan p;
    rplan_init(&p, red, 2, ops, false);
    if (reverse && p.nrd == 1) {
        for (int k = 0; k < 2; k++) {
            p.data[k] += (p.rsh[0] - 1) * p.rst[k][0];
            p.rst[k][0] = -p.rst[k][0];
        }
    }
    rctx c = {.dt = src->dtype, .odt = dst->dtype};
    return reduce_run(&p, &K_CUMSUM, &c, (int64_t)l2__esize(dst->dtype));
}

l2_tensor *l2_cumsum(const l2_tensor *t, int dim)
{
    const char *op = "cumsum";
    L2__CHECK_T(t, NULL, op);
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0)
        return NULL;
    l2_tensor *r = l2__new(op, t->ndim, t->shape, l2__is_float(t->dtype) ? t->dtype : L2_INT64,
                           false);
    if (!r)
        return NULL;
    if (!run_scan(r, t, d, false)) {
        l2_tensor_release(r);
        return NULL;
    }
    if (wants_grad(t)) {
        l2__node *n = l2__record(L2__OP_CUMSUM, r, 1, &t);
        if (!n) {
            l2_tensor_release(r);
            return NULL;
        }
        n->i[0] = d;
        n->ni = 1;
    }
    return l2__ret(r);
}

/* dx = reverse cumsum of dy along dim. */
l2_status l2__cumsum_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    l2_dtype dt = l2__is_float(gout->dtype) ? gout->dtype : n->in_dtype[0];
    l2_tensor *r = l2__new("backward", n->in_ndim[0], n->in_shape[0], dt, false);
    if (!r)
        return l2_last_status();
    if (!run_scan(r, gout, (int)n->i[0], true)) {
        l2_tensor_release(r);
        return l2_last_status();
    }
    gin[0] = r;
    return L2_OK;
}

/* ---- all / any (not differentiable) -------------------------------------------------------- */

static l2_tensor *allany_impl(const char *op, const l2_tensor *t, bool all, int dim,
                              bool keepdim, int mode)
{
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    if (!rdims_parse(op, t, all ? 0 : 1, &dim, keepdim, &rd))
        return NULL;
    rctx c = {.mode = mode};
    return l2__ret(reduce_new(op, t, &rd, L2_BOOL, &K_ALLANY, &c));
}

l2_tensor *l2_all(const l2_tensor *t) { return allany_impl("all", t, true, 0, false, 0); }
l2_tensor *l2_any(const l2_tensor *t) { return allany_impl("any", t, true, 0, false, 1); }
l2_tensor *l2_all_dim(const l2_tensor *t, int dim, bool keepdim)
{
    return allany_impl("all", t, false, dim, keepdim, 0);
}
l2_tensor *l2_any_dim(const l2_tensor *t, int dim, bool keepdim)
{
    return allany_impl("any", t, false, dim, keepdim, 1);
}
