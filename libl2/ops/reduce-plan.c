/* reduce-plan.c: the machinery every reduction runs through: which dims are reduced, the plan
 * (kept output dims and reduced dims, coalesced), the one driver (output by output, tiled blocks
 * of neighbouring outputs, or each output's range split across threads) and the op helpers
 * shared by the reduce ops. Kernels are in reduce-kern.c, ops in reduce.c and reduce-stats.c. */
#include "reduce-impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- dims ---------------------------------------------------------------------------------- */

/* Fill rd from an input shape and a mask of reduced dims (bit d: dim d is reduced). */
void l2__rdims_from_mask(rdims *rd, int ndim, const int64_t *shape, unsigned mask, bool keepdim)
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

unsigned l2__rdims_mask(const rdims *rd)
{
    unsigned m = 0;
    for (int d = 0; d < rd->ndim; d++)
        m |= rd->red[d] ? 1u << d : 0u;
    return m;
}

/* Parse (ndims, dims, keepdim) against t: ndims == 0 means every dim. Sets the error naming op
 * and returns false on a NULL list, an out-of-range or repeated dim. */
bool l2__rdims_parse(const char *op, const l2_tensor *t, int ndims, const int *dims, bool keepdim,
                     rdims *rd)
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
    l2__rdims_from_mask(rd, t->ndim, t->shape, mask, keepdim);
    return true;
}

/* ---- the plan and the driver --------------------------------------------------------------- */

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

/* The stride of dim d of t in bytes; saturated: an empty tensor's strides may be any size (no
 * element is ever addressed through them), a non-empty one's fit (its storage was checked). */
static int64_t byte_stride(const l2_tensor *t, int d)
{
    return l2__mul_sat(t->stride[d], (int64_t)l2__esize(t->dtype));
}

/* reorder: the reduced dims may be visited in memory order of operand 0 (for kernels that do not
 * report positions); otherwise they keep row-major order, so that a row's position is the
 * row-major index over the reduced dims. */
void l2__rplan_init(rplan *p, const bool *red, int nops, const l2_tensor *const *ops, bool reorder)
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
                p->rst[k][p->nrd] = byte_stride(ops[k], d);
            p->nrd++;
        } else {
            p->osh[p->nod] = sz;
            for (int k = 0; k < nops; k++)
                p->ost[k][p->nod] = byte_stride(ops[k], d);
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
    int64_t inner = p->rsh[nd - 1];
    for (int k = 0; k < p->nops; k++)
        step[k] = p->rst[k][nd - 1];
    if (nd == 1 && rb == 0 && re == inner) { /* the common case: one whole row */
        row(base, step, inner, 0, a, ctx);
        return;
    }
    int64_t idx[L2_MAX_DIMS] = {0}, col = 0;
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
 * one (K->cols_red positions at a time if it says so); else, for one-operand reductions with a
 * tile buffer buf (TILE_OUT * TILE_RED * 8 bytes), by gathering the tile into contiguous rows for
 * the ordinary row loop; else output by output. */
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
        /* one reduced dim (issue 12, area opsp): each output's whole row straight to the kernel */
        const bool one = p->nrd == 1 && p->nred > 0;
        const int64_t st1[2] = {one ? p->rst[0][0] : 0, one && p->nops > 1 ? p->rst[1][0] : 0};
        /* outputs along at most one dim (issue 12, bcast): the kernel's own loop over rows */
        if (one && p->nod <= 1 && p->nops == 1 && K->rows &&
            K->rows(base[0], p->nod ? p->ost[0][0] : 0, st1[0], p->nred, ob, oe, ctx))
            return;
        const bool zero = K->init == l2__rinit_zero;
        for (o = ob; o < oe; o++) {
            racc a;
            if (zero) /* (inline: issue 12, area opsp) */
                memset(&a, 0, sizeof a);
            else
                K->init(&a, o, ctx);
            if (one)
                K->row(base, st1, p->nred, 0, &a, ctx);
            else
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
        /* the outputs' own bases: only the output-by-output loop below reads past tb[0] */
        const int64_t nbt = K->cols || (buf && p->nops == 1) ? 1 : nb;
        for (int64_t j = 0; j < nbt; j++)
            for (int k = 0; k < p->nops; k++)
                tb[j][k] = base[k] + j * p->ost[k][p->nod - 1];
        if (K->init == l2__rinit_zero) /* (one memset for the block: issue 12, area opsp) */
            memset(acc, 0, sizeof(racc) * (size_t)nb);
        else
            for (int64_t j = 0; j < nb; j++)
                K->init(&acc[j], o + j, ctx);
        colctx cc = {ctx, nb, p->ost[0][p->nod - 1], p->ost[1][p->nod - 1], acc};
        const int64_t tr = K->cols && K->cols_red ? K->cols_red(ctx) : TILE_RED;
        /* mutation test: a long cols tile's last partial tile is left out */
        const int64_t rend = tr > TILE_RED && l2__fault("cols_red") ? p->nred - p->nred % tr
                                                                      : p->nred;
        for (int64_t rb = 0; rb < rend; rb += tr) {
            int64_t re = p->nred - rb < tr ? p->nred : rb + tr;
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
bool l2__reduce_run(const rplan *p, const rkern *K, void *ctx, int64_t esize)
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

/* ---- op helpers ---------------------------------------------------------------------------- */

/* Run one pass of K over t with reduced dims rd, writing into c (its dt is set here). False
 * (error set) when out of memory. */
bool l2__reduce_pass(const l2_tensor *t, const rdims *rd, const rkern *K, rctx *c)
{
    rplan p;
    l2__rplan_init(&p, rd->red, 1, &t, !K->ordered);
    c->dt = t->dtype;
    return l2__reduce_run(&p, K, c, (int64_t)l2__esize(t->dtype));
}

/* A new result of shape rd's output and dtype odt filled by K over t. */
l2_tensor *l2__reduce_new(const char *op, const l2_tensor *t, const rdims *rd, l2_dtype odt,
                          const rkern *K, rctx *c)
{
    l2_tensor *r = l2__new(op, rd->out_ndim, rd->out_shape, odt, false);
    if (!r)
        return NULL;
    c->out = l2__data(r);
    c->odt = odt;
    c->n = (double)rd->nred;
    if (!l2__reduce_pass(t, rd, K, c)) {
        l2_tensor_release(r);
        return NULL;
    }
    return r;
}

/* Record node op on r (input t) with rd's mask and keepdim in i[0], i[1], saving nsave tensors.
 * Returns the node, or NULL (error set) after releasing r. */
l2__node *l2__reduce_record(l2__op op, l2_tensor *r, const l2_tensor *t, const rdims *rd, int nsave,
                            const l2_tensor *const *save)
{
    l2__node *n = l2__record_save(op, r, 1, &t, nsave, save);
    if (!n) {
        l2_tensor_release(r);
        return NULL;
    }
    n->i[0] = rd->keepdim;
    n->i[1] = l2__rdims_mask(rd);
    n->ni = 2;
    return n;
}

bool l2__reduce_wants_grad(const l2_tensor *t)
{
    return l2__is_float(t->dtype) && l2__needs_grad(1, &t);
}

void l2__node_rdims(const l2__node *n, rdims *rd)
{
    l2__rdims_from_mask(rd, n->in_ndim[0], n->in_shape[0], (unsigned)n->i[1], n->i[0] != 0);
}

/* The upstream gradient as a contiguous float64 tensor (one value per output). */
l2_tensor *l2__grad_f64(const l2_tensor *g)
{
    l2_tensor *r = l2__new("backward", g->ndim, g->shape, L2_FLOAT64, false);
    if (r)
        l2__copy_kernel(r, g);
    return r;
}

/* g (shape of the output) viewed with the input's shape: stride 0 along reduced dims. */
l2_tensor *l2__expand_grad(const l2__node *n, const rdims *rd, const l2_tensor *g)
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
l2_tensor *l2__reduce_map(const l2__node *n, const rdims *rd, const l2_tensor *x, bool zero,
                          const rkern *K, rctx *c)
{
    l2_tensor *gin = l2__new("backward", n->in_ndim[0], n->in_shape[0], n->in_dtype[0], zero);
    if (!gin)
        return NULL;
    const l2_tensor *ops[2] = {gin, x};
    rplan p;
    l2__rplan_init(&p, rd->red, x ? 2 : 1, ops, !K->ordered);
    c->dt = gin->dtype;
    c->n = (double)rd->nred;
    if (!l2__reduce_run(&p, K, c, (int64_t)l2__esize(gin->dtype))) {
        l2_tensor_release(gin);
        return NULL;
    }
    return gin;
}
