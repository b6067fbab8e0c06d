/* reduce-impl.h: what the reduction files share (libl2/ops/reduce-plan.c: dims, the plan, the
 * driver and the op helpers; reduce-kern.c: the forward kernels; reduce.c and reduce-stats.c: the
 * ops with their backward). Internal, never installed. */
#ifndef L2_REDUCE_IMPL_H
#define L2_REDUCE_IMPL_H

#include "../autograd-impl.h"

#include <math.h>

/* Which dims of a tensor are reduced, and the output shape. */
typedef struct {
    int ndim;                         /* input rank */
    bool red[L2_MAX_DIMS];            /* per input dim */
    bool keepdim;
    int out_ndim;
    int64_t out_shape[L2_MAX_DIMS];
    int64_t nred, nout;               /* reduced elements per output; outputs */
} rdims;

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
    /* Optional: the reduced positions per cols call for this ctx (NULL: TILE_RED). */
    int64_t (*cols_red)(const void *ctx);
    /* Optional (issue 12, bcast): outputs [ob, oe) whole, each the reduction of one row of n
     * elements at base + (o - ob) * ostep bytes, rstep bytes apart: init, row and final of
     * each output in one loop. False, nothing done, when this ctx or layout is not its case. */
    bool (*rows)(const char *base, int64_t ostep, int64_t rstep, int64_t n, int64_t ob,
                 int64_t oe, void *ctx);
} rkern;

/* What a cols loop gets: the kernel's ctx, the block's nb outputs, the byte step between them in
 * operands 0 and 1, and their accumulators. */
typedef struct {
    const void *ctx;
    int64_t nb, ostep, ostep1; /* ostep1: operand 1's, for two-operand kernels */
    racc *acc;
} colctx;

/* Tiles for reductions over outer dims: TILE_OUT neighbouring outputs advance together through
 * TILE_RED reduced positions at a time, so that the cache lines they share are read once. */
enum { TILE_OUT = L2__REDUCE_TILE_OUT, TILE_RED = L2__REDUCE_TILE_RED };

/* Maps write element v of operand 0 with EXPR computed from the input element x (operand 1). */
#define MAP_ROW(EXPR)                                                                        \
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, {                                            \
        for (int64_t j = 0; j < n; j++) {                                                    \
            double x = (double)*(const T *)(ptr[1] + j * step[1]);                           \
            *(T *)(ptr[0] + j * step[0]) = (T)(EXPR);                                        \
        }                                                                                    \
    })

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

/* Neumaier-compensated a->s += v. An infinite or NaN sum keeps its value in s (see sum_value). */
static inline void acc_add(racc *a, double v)
{
    /* The larger and smaller magnitude picked by selects, not a branch: the sign of the
     * comparison follows the data and mispredicts. */
    double s = a->s, t = s + v;
    bool sbig = fabs(s) >= fabs(v);
    double big = sbig ? s : v, small = sbig ? v : s;
    a->c += (big - t) + small;
    a->s = t;
}

static inline double sum_value(const racc *a) { return isfinite(a->s) ? a->s + a->c : a->s; }

/* ---- shared entry points (reduce-plan.c) ---- */

/* Fill rd from an input shape and a mask of reduced dims (bit d: dim d is reduced). */
void l2__rdims_from_mask(rdims *rd, int ndim, const int64_t *shape, unsigned mask, bool keepdim);
unsigned l2__rdims_mask(const rdims *rd);
/* Parse (ndims, dims, keepdim) against t: ndims == 0 means every dim (error set on failure). */
bool l2__rdims_parse(const char *op, const l2_tensor *t, int ndims, const int *dims,
                     bool keepdim, rdims *rd);
/* Plan the operands ops[0..nops) with reduced dims red; reorder: memory order of operand 0. */
void l2__rplan_init(rplan *p, const bool *red, int nops, const l2_tensor *const *ops,
                    bool reorder);
/* The one reduction driver; false (error set) only when out of memory, before any work. */
bool l2__reduce_run(const rplan *p, const rkern *K, void *ctx, int64_t esize);
/* The op helpers: one pass of K over t into c; a new result filled by K; the node record; the
 * gradient helpers. See reduce-plan.c. */
bool l2__reduce_pass(const l2_tensor *t, const rdims *rd, const rkern *K, rctx *c);
l2_tensor *l2__reduce_new(const char *op, const l2_tensor *t, const rdims *rd, l2_dtype odt,
                          const rkern *K, rctx *c);
l2__node *l2__reduce_record(l2__op op, l2_tensor *r, const l2_tensor *t, const rdims *rd,
                            int nsave, const l2_tensor *const *save);
bool l2__reduce_wants_grad(const l2_tensor *t);
void l2__node_rdims(const l2__node *n, rdims *rd);
l2_tensor *l2__grad_f64(const l2_tensor *g);
l2_tensor *l2__expand_grad(const l2__node *n, const rdims *rd, const l2_tensor *g);
/* create_graph (issue 15): the same with recorded ops (reshape to the kept dims, expand): g
 * differentiable. New reference or NULL (error set). In reduce-cg.c. */
l2_tensor *l2__expand_grad_cg(const l2__node *n, const rdims *rd, const l2_tensor *g);
/* create_graph: a gradient that is expand(dy) times a constant weight per input element, the
 * weight being the plain backward's on ones (max, min, max_dim, min_dim, amax, amin). */
l2_status l2__weighted_grad_cg(l2__backward_fn plain, l2__node *n, const l2_tensor *gout,
                               l2_tensor **gin);
l2_tensor *l2__reduce_map(const l2__node *n, const rdims *rd, const l2_tensor *x, bool zero,
                          const rkern *K, rctx *c);

/* ---- kernels (reduce-kern.c) ---- */

void l2__rput(const rctx *c, int64_t o, double v, int64_t k);
void l2__rinit_zero(racc *a, int64_t o, const void *ctx);
void l2__rinit_param(racc *a, int64_t o, const void *ctx);
void l2__rcombine_sum(racc *a, const racc *b, const void *ctx);
/* sum (M_OUT, M_MEAN, M_DOUT); sum((x - m)^2) (var); sum(exp(x - m)) (logsumexp); sum |x|^p and
 * max |x| (norm); prod and the non-zero product with zero count (prod backward); max/min with
 * index; all/any; count of elements equal to m. */
extern const rkern l2__rk_sum, l2__rk_sqdev, l2__rk_sumexp, l2__rk_pow, l2__rk_absmax,
    l2__rk_prod, l2__rk_prodnz, l2__rk_ext, l2__rk_allany, l2__rk_count;

/* speed (issue 12, area speed11): max / min values without an index (amax, amin, aminmax):
 * l2__rk_ext with a cols loop (reduce-extcols.c) and no order (the value is the same). */
extern const rkern l2__rk_extv;
/* nansum / nanmean of float inputs (reduce-nan.c): NaN masked, k counts the others. */
extern const rkern l2__rk_nansum;
void l2__ext_cols(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *unused,
                  const void *vcc);

/* scan (issue 14): the map dx = g[o] / ip[o] where x equals m[o] (NaN matching NaN), else 0:
 * max's and amax's split of dy among ties (reduce.c). */
extern const rkern l2__rk_even_bw;

/* ---- vector loops (reduce-vec.c): float64 lanes; see there ---- */

double l2__vrow_sum_f32(const float *q, int64_t n, double m);
double l2__vrow_sum_f64(const double *q, int64_t n, double m);
double l2__vrow_sq_f32(const float *q, int64_t n, double m);
double l2__vrow_sq_f64(const double *q, int64_t n, double m);
double l2__vrow_sqdev_f32(const float *q, int64_t n, double m);
double l2__vrow_sqdev_f64(const double *q, int64_t n, double m);
void l2__vcols_sum_f32(const char *p, int64_t step, int64_t n, int64_t nb, double *s);
void l2__vcols_sum_f64(const char *p, int64_t step, int64_t n, int64_t nb, double *s);
/* max / min (issue 12, reduce-ext.c): the index in q[0, n) of the first extreme element (the
 * first NaN if any); -1 when the vector loop does not apply (n < L2__REDUCE_EXT_VEC, no AVX2). */
int64_t l2__vrow_ext_f32(const float *q, int64_t n, bool is_min);

#endif
