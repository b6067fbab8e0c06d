/* sort.c: sorting and selection along a dim (issue 14): sort, argsort, msort, topk, kthvalue,
 * median (of all elements and along a dim) and mode, with their backward next to them. Every
 * op sorts each row (the elements along dim at one position of the other dims) with one stable
 * merge sort (a stable radix sort for rows of sort_radix_min elements and more, same order), NaN
 * ordered as the largest value (torch's order), and picks from the sorted row;
 * plain loops on one thread. The gradients of the ops that select elements scatter dy into the
 * selected positions (l2__pick_backward); median of all elements splits dy among its ties.
 * Scans (cummax, cummin, ...) are in scan.c, searchsorted and bucketize in search.c. */
#include "../autograd-impl.h"
#include "sort-impl.h"

#include <math.h>
#include <string.h>

/* ---- the row sort --------------------------------------------------------------------------- */

/* NaN test usable for every element type (false for integers and bools). */
#define ISNAN_(x) ((x) != (x))

/* One merge sort per element type over (value, index) pairs: stable, NaN the largest; desc
 * orders from the largest down, equal elements keeping their order in both directions. A run of
 * 16 is sorted by insertion first. tmp has room for n pairs. */
#define DEF_SORT(NM, T)                                                                      \
    typedef struct {                                                                         \
        T v;                                                                                 \
        int64_t i;                                                                           \
    } NM##_pair;                                                                             \
    /* a must come strictly before b */                                                     \
    static inline bool NM##_before(T a, T b, bool desc)                                      \
    {                                                                                        \
        if (desc)                                                                            \
            return a > b || (ISNAN_(a) && !ISNAN_(b));                                       \
        return a < b || (ISNAN_(b) && !ISNAN_(a));                                           \
    }                                                                                        \
    static bool NM##_radix(NM##_pair *p, NM##_pair *tmp, int64_t n, bool desc);             \
    static void NM##_sort(NM##_pair *p, NM##_pair *tmp, int64_t n, bool desc)                \
    {                                                                                        \
        if (n >= L2__SORT_RADIX_MIN && NM##_radix(p, tmp, n, desc))                          \
            return;                                                                          \
        for (int64_t s = 0; s < n; s += 16) {                                                \
            int64_t e = s + 16 < n ? s + 16 : n;                                             \
            for (int64_t j = s + 1; j < e; j++) {                                            \
                NM##_pair x = p[j];                                                          \
                int64_t k = j;                                                               \
                while (k > s && NM##_before(x.v, p[k - 1].v, desc)) {                        \
                    p[k] = p[k - 1];                                                         \
                    k--;                                                                     \
                }                                                                            \
                p[k] = x;                                                                    \
            }                                                                                \
        }                                                                                    \
        NM##_pair *a = p, *b = tmp;                                                          \
        for (int64_t w = 16; w < n; w *= 2) {                                                \
            for (int64_t s = 0; s < n; s += 2 * w) {                                         \
                int64_t m = s + w < n ? s + w : n, e = s + 2 * w < n ? s + 2 * w : n;        \
                int64_t i = s, j = m, k = s;                                                 \
                while (i < m && j < e)                                                       \
                    b[k++] = NM##_before(a[j].v, a[i].v, desc) ? a[j++] : a[i++];            \
                while (i < m)                                                                \
                    b[k++] = a[i++];                                                         \
                while (j < e)                                                                \
                    b[k++] = a[j++];                                                         \
            }                                                                                \
            NM##_pair *x = a;                                                                \
            a = b;                                                                           \
            b = x;                                                                           \
        }                                                                                    \
        if (a != p)                                                                          \
            memcpy(p, a, (size_t)n * sizeof *p);                                             \
    }

DEF_SORT(f32, float)
DEF_SORT(f64, double)
DEF_SORT(i64, int64_t)
DEF_SORT(bl, bool)

/* speed (issue 12): rows of n >= L2__SORT_RADIX_MIN elements sort by a stable LSD radix sort,
 * 8 bits per pass, on an unsigned key whose order is the merge sort's: the float's bits with
 * the sign bit flipped for numbers >= 0 and all bits flipped for negative ones, -0.0 keyed as
 * 0.0 (equal elements keep their order) and every NaN keyed as all ones (after +inf, all NaN
 * equal); int64 with the sign bit flipped; desc sorts ~key (equal keys stay in order: stable in
 * both directions, as the merge sort). One pass counts every digit; a pass whose digit is the
 * same for all n elements is skipped. The pairs keep their values (NaN payloads, -0.0). */
static inline uint32_t f32_key(float v)
{
    uint32_t u;
    if (v != v)
        return UINT32_MAX;
    v = v == 0.0f ? 0.0f : v;
    memcpy(&u, &v, 4);
    return u & 0x80000000u ? ~u : u | 0x80000000u;
}

static inline uint64_t f64_key(double v)
{
    uint64_t u;
    if (v != v)
        return UINT64_MAX;
    v = v == 0.0 ? 0.0 : v;
    memcpy(&u, &v, 8);
    return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

static inline uint64_t i64_key(int64_t v)
{
    return (uint64_t)v ^ (UINT64_C(1) << 63);
}

#define DEF_RADIX(NM, U)                                                                     \
    static bool NM##_radix(NM##_pair *p, NM##_pair *tmp, int64_t n, bool desc)               \
    {                                                                                        \
        enum { D = (int)sizeof(U) };                                                         \
        int64_t cnt[D][256];                                                                 \
        memset(cnt, 0, sizeof cnt);                                                          \
        U flip = desc ? (U)~(U)0 : 0;                                                        \
        for (int64_t j = 0; j < n; j++) {                                                    \
            U k = NM##_key(p[j].v) ^ flip;                                                   \
            for (int b = 0; b < D; b++)                                                      \
                cnt[b][(k >> (8 * b)) & 255]++;                                              \
        }                                                                                    \
        U k0 = NM##_key(p[0].v) ^ flip;                                                      \
        NM##_pair *a = p, *o = tmp;                                                          \
        for (int b = 0; b < D; b++) {                                                        \
            if (cnt[b][(k0 >> (8 * b)) & 255] == n || (b == D - 1 && l2__fault("sort_radix")))\
                continue; /* fault: the top byte's pass skipped */                           \
            int64_t pos[256], s = 0;                                                         \
            for (int c = 0; c < 256; c++) {                                                  \
                pos[c] = s;                                                                  \
                s += cnt[b][c];                                                              \
            }                                                                                \
            for (int64_t j = 0; j < n; j++)                                                  \
                o[pos[((NM##_key(a[j].v) ^ flip) >> (8 * b)) & 255]++] = a[j];               \
            NM##_pair *x = a;                                                                \
            a = o;                                                                           \
            o = x;                                                                           \
        }                                                                                    \
        if (a != p)                                                                          \
            memcpy(p, a, (size_t)n * sizeof *p);                                             \
        return true;                                                                         \
    }

DEF_RADIX(f32, uint32_t)
DEF_RADIX(f64, uint64_t)
DEF_RADIX(i64, uint64_t)

static bool bl_radix(bl_pair *p, bl_pair *tmp, int64_t n, bool desc)
{
    (void)p, (void)tmp, (void)n, (void)desc;
    return false; /* bool rows keep the merge sort */
}

/* speed (issue 12): topk's selection for K < L2__TOPK_SELECT (and K < S). The first K of the
 * stable sort of a row of S elements at stride sst, without sorting it: a sorted buffer of the
 * best K so far; an element enters when the buffer is not full or it comes strictly before the
 * buffer's last, after the equal elements already in (an earlier index stays first among equal
 * values, as the stable sort keeps them). O(S) comparisons plus the insertions. K >= 1. */
#define DEF_SELECT(NM, T)                                                                    \
    static void NM##_select(const T *x, int64_t sst, int64_t S, NM##_pair *q, int64_t K,     \
                            bool desc)                                                       \
    {                                                                                        \
        int64_t n = 0;                                                                       \
        for (int64_t j = 0; j < S; j++) {                                                    \
            T v = x[j * sst];                                                                \
            if (n == K && !NM##_before(v, q[K - 1].v, desc))                                 \
                continue;                                                                    \
            int64_t k = n < K ? n++ : K - 1;                                                 \
            while (k > 0 && NM##_before(v, q[k - 1].v, desc)) {                              \
                if (l2__fault("topk_select") && n == K)                                      \
                    break; /* fault: a replacing element stays last, the buffer unsorted */  \
                q[k] = q[k - 1];                                                             \
                k--;                                                                         \
            }                                                                                \
            q[k].v = v;                                                                      \
            q[k].i = j;                                                                      \
        }                                                                                    \
    }

DEF_SELECT(f32, float)
DEF_SELECT(f64, double)
DEF_SELECT(i64, int64_t)

/* The sorted position picked from a sorted ascending row of n elements (n > 0) by median: the
 * lower median, or the first NaN when the row holds NaN (torch propagates NaN). */
#define MEDIAN_POS(NM, p, n)                                                                 \
    (ISNAN_((p)[(n)-1].v) ? nan_start_##NM((p), (n)) : ((n)-1) / 2)

/* mode: the first (smallest) of the most frequent values; within its run of equal elements
 * (NaN equal to NaN) the last, i.e. the largest index, as torch 1.13 returns. */
#define DEF_PICK(NM, T)                                                                      \
    static int64_t nan_start_##NM(const NM##_pair *p, int64_t n)                             \
    {                                                                                        \
        int64_t k = n;                                                                       \
        while (k > 0 && ISNAN_(p[k - 1].v))                                                  \
            k--;                                                                             \
        return k;                                                                            \
    }                                                                                        \
    static int64_t mode_pos_##NM(const NM##_pair *p, int64_t n)                              \
    {                                                                                        \
        int64_t best = n - 1, bestc = 0;                                                     \
        for (int64_t s = 0; s < n;) {                                                        \
            int64_t e = s + 1;                                                               \
            while (e < n && (p[e].v == p[s].v || (ISNAN_(p[e].v) && ISNAN_(p[s].v))))        \
                e++;                                                                         \
            if (e - s > bestc) {                                                             \
                bestc = e - s;                                                               \
                best = e - 1;                                                                \
            }                                                                                \
            s = e;                                                                           \
        }                                                                                    \
        return best;                                                                         \
    }

DEF_PICK(f32, float)
DEF_PICK(f64, double)
DEF_PICK(i64, int64_t)
DEF_PICK(bl, bool)

/* Offset (in elements) of row r's first element: rows are the positions of every dim but d in
 * row-major order (shape[k] > 0 for all k when there is a row). */
int64_t l2__sort_row_off(int nd, const int64_t *shape, int d, const int64_t *st, int64_t r)
{
    int64_t off = 0;
    for (int k = nd - 1; k >= 0; k--) {
        if (k == d)
            continue;
        off += (r % shape[k]) * st[k];
        r /= shape[k];
    }
    return off;
}

void l2__sort_geom(const l2_tensor *t, int d, l2__sgeom *g)
{
    g->S = t->ndim ? t->shape[d] : 1;
    g->sst = t->ndim ? t->stride[d] : 0;
    g->outer = 1;
    g->inner = 1;
    for (int k = 0; k < t->ndim; k++) {
        if (k < d)
            g->outer *= t->shape[k];
        else if (k > d)
            g->inner *= t->shape[k];
    }
}

/* Sort every row of t along d and write, for each row, the sorted positions [first, first + K)
 * (SEL_RANGE), the median (SEL_MEDIAN, K = 1) or the mode (SEL_MODE, K = 1) into vals (may be
 * NULL) and idx, both contiguous of t's shape with K at d. p and tmp hold S pairs of 16 bytes.
 * select (SEL_RANGE, first 0, 1 <= K < S, not bool): the first K by selection, no sort.
 * Cannot fail. */
static void sort_rows(const l2_tensor *t, int d, bool desc, int sel, int64_t first, int64_t K,
                      bool select, l2_tensor *vals, l2_tensor *idx, void *p, void *tmp)
{
    l2__sgeom g;
    l2__sort_geom(t, d, &g);
    int64_t rows = g.outer * g.inner, S = g.S;
    if (rows == 0 || S == 0 || K == 0)
        return;
    const char *base = l2__data(t);
    char *vo = vals ? l2__data(vals) : NULL;
    int64_t *io = (int64_t *)l2__data(idx);
#define SORT_BODY(NM, T)                                                                     \
    do {                                                                                     \
        NM##_pair *q = p;                                                                    \
        for (int64_t r = 0; r < rows; r++) {                                                 \
            const T *x = (const T *)base + l2__sort_row_off(t->ndim, t->shape, d, t->stride, r); \
            if (select) {                                                                    \
                SELECT_(NM, x, g.sst, S, q, K, desc);                                        \
            } else {                                                                         \
                for (int64_t j = 0; j < S; j++) {                                            \
                    q[j].v = x[j * g.sst];                                                   \
                    q[j].i = j;                                                              \
                }                                                                            \
                NM##_sort(q, tmp, S, desc);                                                  \
            }                                                                                \
            int64_t f = sel == SEL_MEDIAN ? MEDIAN_POS(NM, q, S)                             \
                        : sel == SEL_MODE ? mode_pos_##NM(q, S) : first;                      \
            int64_t o = r / g.inner, in = r % g.inner, ob = o * K * g.inner + in;             \
            for (int64_t j = 0; j < K; j++) {                                                \
                int64_t at = ob + j * g.inner;                                               \
                io[at] = q[f + j].i;                                                         \
                if (vo)                                                                      \
                    ((T *)vo)[at] = q[f + j].v;                                              \
            }                                                                                \
        }                                                                                    \
    } while (0)
#define SELECT_(NM, x, sst, S, q, K, desc) NM##_select(x, sst, S, q, K, desc)
#define bl_select(x, sst, S, q, K, desc) ((void)(x), (void)(q)) /* never selected: no bool topk */
    switch (t->dtype) {
    case L2_FLOAT32: SORT_BODY(f32, float); break;
    case L2_FLOAT64: SORT_BODY(f64, double); break;
    case L2_INT64: SORT_BODY(i64, int64_t); break;
    case L2_BOOL: SORT_BODY(bl, bool); break;
    default: break;
    }
#undef SORT_BODY
#undef SELECT_
#undef bl_select
}

/* ---- the shared op body ----------------------------------------------------------------------- */

/* Drop dim d (size 1) from a fresh contiguous tensor (keepdim false). */
void l2__sort_squeeze(l2_tensor *r, int d)
{
    if (!r || r->ndim == 0)
        return;
    for (int k = d; k + 1 < r->ndim; k++) {
        r->shape[k] = r->shape[k + 1];
        r->stride[k] = r->stride[k + 1];
    }
    r->ndim--;
}

/* What one selection op asks for. */
typedef struct {
    const char *op;
    l2__op node;    /* the values' node (L2__OP_COUNT: not differentiable) */
    bool want_vals; /* argsort: indices only */
    bool desc;
    int sel;
    int64_t first, K; /* SEL_RANGE */
    bool keep;        /* the result keeps dim (K along it) */
} selreq;

/* Sort t's rows along dim d (already wrapped; t checked) and return the values (or, for argsort,
 * the indices) with *indices set when asked. Failure: NULL, *indices NULL, nothing changed. */
static l2_tensor *select_run(const selreq *q, const l2_tensor *t, int d, l2_tensor **indices)
{
    if (indices)
        *indices = NULL;
    int nd = t->ndim;
    int64_t shape[L2_MAX_DIMS];
    memcpy(shape, t->shape, sizeof(int64_t) * (size_t)nd);
    if (nd)
        shape[d] = q->K;
    l2__sgeom g;
    l2__sort_geom(t, d, &g);
    l2_tensor *vals = NULL, *idx = NULL;
    void *p = NULL, *tmp = NULL;
    idx = l2__new(q->op, nd, shape, L2_INT64, false);
    if (!idx)
        goto fail;
    if (q->want_vals && !(vals = l2__new(q->op, nd, shape, t->dtype, false)))
        goto fail;
    /* scratch: S pairs of 16 bytes, twice (S * 16 cannot overflow: S elements fit in memory) */
    size_t bytes = (size_t)(g.S ? g.S : 1) * 16;
    if (!(p = l2__malloc(bytes, q->op)) || !(tmp = l2__malloc(bytes, q->op)))
        goto fail;
    /* speed (issue 12): topk of few elements selects rather than sorts */
    bool select = q->node == L2__OP_TOPK && q->K >= 1 && q->K < g.S && q->K < L2__TOPK_SELECT;
    sort_rows(t, d, q->desc, q->sel, q->first, q->K, select, vals, idx, p, tmp);
    l2__free(p);
    l2__free(tmp);
    p = tmp = NULL;
    if (!q->keep) {
        l2__sort_squeeze(idx, d);
        l2__sort_squeeze(vals, d);
    }
    if (!q->want_vals) {
        return l2__ret(idx);
    }
    if (q->node != L2__OP_COUNT && l2__is_float(t->dtype) && l2__needs_grad(1, &t)) {
        const l2_tensor *save[1] = {idx};
        l2__node *node = l2__record_save(q->node, vals, 1, &t, 1, save);
        if (!node)
            goto fail;
        node->i[0] = d;
        node->i[1] = q->keep;
        node->ni = 2;
    }
    if (indices)
        *indices = l2__ret(idx);
    else
        l2_tensor_release(idx);
    return l2__ret(vals);
fail:
    l2__free(p);
    l2__free(tmp);
    l2_tensor_release(vals);
    l2_tensor_release(idx);
    return NULL;
}

/* dx = zeros_like(x); dx[..., idx[..., j, ...], ...] += dy[..., j, ...] along the node's dim
 * (the values' gradient goes to the elements they were taken from; repeated indices add up, as
 * cummax's do). Shared by every op that selects elements (sort, topk, kthvalue, median along a
 * dim, mode, cummax, cummin). */
l2_status l2__pick_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = l2__op_names[nd->op];
    l2_tensor *dy = l2__convert(op, gout, gout->dtype, true);
    if (!dy)
        return l2_last_status();
    l2_tensor *dx = l2__new(op, nd->in_ndim[0], nd->in_shape[0], gout->dtype, true);
    if (!dx) {
        l2_tensor_release(dy);
        return l2_last_status();
    }
    int d = (int)nd->i[0], n = nd->in_ndim[0];
    const int64_t *sh = nd->in_shape[0];
    int64_t outer = 1, inner = 1, S = n ? sh[d] : 1;
    for (int k = 0; k < n; k++) {
        if (k < d)
            outer *= sh[k];
        else if (k > d)
            inner *= sh[k];
    }
    const l2_tensor *idx = nd->saved[0];
    int64_t m = l2__numel(idx->ndim, idx->shape);
    int64_t K = outer * inner != 0 ? m / (outer * inner) : 0;
    const int64_t *ip = (const int64_t *)l2__data(idx);
    L2__DISPATCH_FLOAT(dx->dtype, {
        T *x = (T *)l2__data(dx);
        const T *y = (const T *)l2__data(dy);
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < K; j++)
                for (int64_t i = 0; i < inner; i++) {
                    int64_t at = (o * K + j) * inner + i;
                    x[(o * S + ip[at]) * inner + i] += y[at];
                }
    });
    (void)S;
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}

/* ---- sort, argsort, msort --------------------------------------------------------------------- */

/* Check t and wrap dim; -1 (error set) on failure. */
static int sort_dim(const char *op, const l2_tensor *t, int dim)
{
    L2__CHECK_T(t, -1, op);
    return l2__wrap_dim(op, dim, t->ndim);
}

l2_tensor *l2_sort(const l2_tensor *t, int dim, bool descending, bool stable,
                   l2_tensor **indices)
{
    (void)stable; /* always stable: a valid order for stable = false too */
    if (indices)
        *indices = NULL;
    int d = sort_dim("sort", t, dim);
    if (d < 0)
        return NULL;
    selreq q = {.op = "sort", .node = L2__OP_SORT, .want_vals = true, .desc = descending,
                .sel = SEL_RANGE, .first = 0, .K = t->ndim ? t->shape[d] : 1, .keep = true};
    return select_run(&q, t, d, indices);
}

l2_status l2__sort_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__pick_backward(n, gout, gin);
}

l2_tensor *l2_argsort(const l2_tensor *t, int dim, bool descending, bool stable)
{
    (void)stable;
    int d = sort_dim("argsort", t, dim);
    if (d < 0)
        return NULL;
    selreq q = {.op = "argsort", .node = L2__OP_COUNT, .want_vals = false, .desc = descending,
                .sel = SEL_RANGE, .first = 0, .K = t->ndim ? t->shape[d] : 1, .keep = true};
    return select_run(&q, t, d, NULL);
}

l2_tensor *l2_msort(const l2_tensor *t)
{
    int d = sort_dim("msort", t, 0);
    if (d < 0)
        return NULL;
    selreq q = {.op = "msort", .node = L2__OP_SORT, .want_vals = true, .desc = false,
                .sel = SEL_RANGE, .first = 0, .K = t->ndim ? t->shape[0] : 1, .keep = true};
    return select_run(&q, t, d, NULL);
}

/* ---- topk, kthvalue ---------------------------------------------------------------------------- */

l2_tensor *l2_topk(const l2_tensor *t, int64_t k, int dim, bool largest, bool sorted,
                   l2_tensor **indices)
{
    const char *op = "topk";
    (void)sorted; /* always sorted: torch leaves the order open when sorted is false */
    if (indices)
        *indices = NULL;
    int d = sort_dim(op, t, dim);
    if (d < 0)
        return NULL;
    int64_t S = t->ndim ? t->shape[d] : 1;
    L2__CHECK(k >= 0 && k <= S, NULL, L2_ERR_INDEX, "%s: selected index k out of range "
              "(k = %lld, dim %d has size %lld)", op, (long long)k, d, (long long)S);
    L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "%s: \"topk_cpu\" not implemented for "
              "'Bool'", op);
    selreq q = {.op = op, .node = L2__OP_TOPK, .want_vals = true, .desc = largest,
                .sel = SEL_RANGE, .first = 0, .K = t->ndim ? k : 1, .keep = true};
    return select_run(&q, t, d, indices); /* a 0-d t: its element for k = 0 too, as torch */
}

l2_status l2__topk_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__pick_backward(n, gout, gin);
}

/* The checks of the ops that reduce one dim to one element (kthvalue, median, mode). */
static int reduce1_dim(const char *op, const l2_tensor *t, int dim, bool no_bool)
{
    int d = sort_dim(op, t, dim);
    if (d < 0)
        return -1;
    L2__CHECK(t->ndim == 0 || t->shape[d] > 0, -1, L2_ERR_ARG, "%s(): Expected reduction dim "
              "%d to have non-zero size.", op, d);
    L2__CHECK(!no_bool || t->dtype != L2_BOOL, -1, L2_ERR_DTYPE, "%s: \"%s_cpu\" not "
              "implemented for 'Bool'", op, op);
    return d;
}

l2_tensor *l2_kthvalue(const l2_tensor *t, int64_t k, int dim, bool keepdim,
                       l2_tensor **indices)
{
    const char *op = "kthvalue";
    if (indices)
        *indices = NULL;
    int d = reduce1_dim(op, t, dim, false);
    if (d < 0)
        return NULL;
    int64_t S = t->ndim ? t->shape[d] : 1;
    L2__CHECK(k >= 1 && k <= S, NULL, L2_ERR_INDEX, "%s(): selected number k out of range for "
              "dimension %d (k = %lld, size %lld)", op, d, (long long)k, (long long)S);
    L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "%s: \"kthvalue_cpu\" not implemented "
              "for 'Bool'", op);
    selreq q = {.op = op, .node = L2__OP_KTHVALUE, .want_vals = true, .desc = false,
                .sel = SEL_RANGE, .first = k - 1, .K = 1, .keep = keepdim || !t->ndim};
    return select_run(&q, t, d, indices);
}

l2_status l2__kthvalue_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__pick_backward(n, gout, gin);
}

/* ---- median, mode ------------------------------------------------------------------------------ */

l2_tensor *l2_median_dim(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices)
{
    const char *op = "median";
    if (indices)
        *indices = NULL;
    int d = reduce1_dim(op, t, dim, true);
    if (d < 0)
        return NULL;
    selreq q = {.op = op, .node = L2__OP_MEDIAN_DIM, .want_vals = true, .desc = false,
                .sel = SEL_MEDIAN, .K = 1, .keep = keepdim || !t->ndim};
    return select_run(&q, t, d, indices);
}

l2_status l2__median_dim_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__pick_backward(n, gout, gin);
}

l2_tensor *l2_mode(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices)
{
    const char *op = "mode";
    if (indices)
        *indices = NULL;
    int d = reduce1_dim(op, t, dim, false);
    if (d < 0)
        return NULL;
    selreq q = {.op = op, .node = L2__OP_MODE, .want_vals = true, .desc = false,
                .sel = SEL_MODE, .K = 1, .keep = keepdim || !t->ndim};
    return select_run(&q, t, d, indices);
}

l2_status l2__mode_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return l2__pick_backward(n, gout, gin);
}

/* The median of all elements: the lower median of t read as 1-D, NaN when t holds NaN or is
 * empty (torch). */
l2_tensor *l2_median(const l2_tensor *t)
{
    const char *op = "median";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "%s: \"median_cpu\" not implemented for "
              "'Bool'", op);
    int64_t n = l2__numel(t->ndim, t->shape);
    l2_tensor *flat = l2__convert(op, t, t->dtype, true);
    if (!flat)
        return NULL;
    int64_t one = n;
    l2_tensor *v = l2__alias(flat, 1, &one, (const int64_t[]){1}, flat->offset);
    l2_tensor *r = NULL, *ix = NULL;
    if (v && n == 0) {
        r = l2__new(op, 0, NULL, t->dtype, false);
        if (r && t->dtype == L2_INT64) /* torch: NaN converted to int64 */
            *(int64_t *)l2__data(r) = INT64_MIN;
        else if (r)
            l2__store(l2__data(r), t->dtype, NAN);
    } else if (v) {
        selreq q = {.op = op, .node = L2__OP_COUNT, .want_vals = true, .desc = false,
                    .sel = SEL_MEDIAN, .K = 1, .keep = false};
        l2__enter();
        r = select_run(&q, v, 0, &ix);
        l2__leave();
        l2_tensor_release(ix);
    }
    l2_tensor_release(v);
    l2_tensor_release(flat);
    if (r && l2__is_float(t->dtype) && l2__needs_grad(1, &t)) {
        const l2_tensor *save[2] = {t, r};
        if (!l2__record_save(L2__OP_MEDIAN, r, 1, &t, 2, save)) {
            l2_tensor_release(r);
            return NULL;
        }
    }
    return r ? l2__ret(r) : NULL;
}

/* dx = dy / count where x equals the median (NaN matching NaN), 0 elsewhere (torch's
 * evenly_distribute_backward). */
l2_status l2__median_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "median";
    const l2_tensor *x = nd->saved[0];
    l2_tensor *xc = l2__convert(op, x, L2_FLOAT64, true);
    if (!xc)
        return l2_last_status();
    l2_tensor *dx = l2__new(op, x->ndim, x->shape, gout->dtype, true);
    if (!dx) {
        l2_tensor_release(xc);
        return l2_last_status();
    }
    double m = l2__get_flat(nd->saved[1], 0), g = l2__get_flat(gout, 0);
    const double *xp = (const double *)l2__data(xc);
    int64_t n = l2__numel(x->ndim, x->shape), cnt = 0;
    bool mnan = isnan(m);
    for (int64_t k = 0; k < n; k++)
        cnt += xp[k] == m || (mnan && isnan(xp[k]));
    L2__DISPATCH_FLOAT(dx->dtype, {
        T *o = (T *)l2__data(dx);
        for (int64_t k = 0; k < n; k++)
            if (xp[k] == m || (mnan && isnan(xp[k])))
                o[k] = (T)(g / (double)cnt);
    });
    l2_tensor_release(xc);
    gin[0] = dx;
    return L2_OK;
}
