/* iter.c: the one strided iterator behind every elementwise kernel. Operands of one shape are
 * reduced to the fewest dims their strides allow (size-1 dims dropped, mergeable neighbours
 * coalesced, dims ordered so the output walks memory forwards), then the innermost dim is handed
 * to a loop function per row. Large iterations are split across OpenMP threads by element range;
 * mixed layouts run in tiles of the two innermost dims. Also here: the output layout rule of the
 * elementwise ops (l2__new_like). It does not broadcast (callers pass expanded views) and never
 * fails. */
#include "l2-impl.h"
#include "half.h"

void l2__iter_init(l2__iter *it, int nops, const l2_tensor *const *ops)
{
    const l2_tensor *t0 = ops[0];
    int nd = 0;
    it->nops = nops;
    it->grain = L2__PARALLEL_GRAIN;
    it->numel = l2__numel(t0->ndim, t0->shape);
    for (int k = 0; k < nops; k++)
        it->data[k] = l2__data(ops[k]);
    if (it->numel == 0) { /* nothing to walk; a huge empty shape's strides may not fit in bytes */
        it->ndim = 0;
        return;
    }

    /* Keep dims of size != 1, outermost first. */
    int64_t shape[L2_MAX_DIMS], stride[L2__MAX_OPERANDS][L2_MAX_DIMS];
    for (int d = 0; d < t0->ndim; d++) {
        if (t0->shape[d] == 1)
            continue;
        shape[nd] = t0->shape[d];
        for (int k = 0; k < nops; k++)
            stride[k][nd] = ops[k]->stride[d] * (int64_t)l2__esize(ops[k]->dtype);
        nd++;
    }
    /* Order dims by operand 0's stride, largest outermost (insertion sort, stable), so that a
     * transposed output still walks memory forwards. Only when operand 0 has no zero strides. */
    for (int i = 1; i < nd; i++) {
        for (int j = i; j > 0 && stride[0][j - 1] < stride[0][j] && stride[0][j] != 0; j--) {
            int64_t tmp = shape[j];
            shape[j] = shape[j - 1];
            shape[j - 1] = tmp;
            for (int k = 0; k < nops; k++) {
                tmp = stride[k][j];
                stride[k][j] = stride[k][j - 1];
                stride[k][j - 1] = tmp;
            }
        }
    }
    /* Coalesce neighbours d-1, d when every operand has stride[d-1] == shape[d] * stride[d]. */
    int out = 0;
    int64_t prod;
    for (int d = 0; d < nd; d++) {
        if (out > 0) {
            bool merge = true;
            for (int k = 0; k < nops && merge; k++)
                merge = !l2__mul_ovf(shape[d], stride[k][d], &prod) &&
                        it->stride[k][out - 1] == prod;
            if (merge) {
                it->shape[out - 1] = l2__mul_sat(it->shape[out - 1], shape[d]);
                for (int k = 0; k < nops; k++)
                    it->stride[k][out - 1] = stride[k][d];
                continue;
            }
        }
        it->shape[out] = shape[d];
        for (int k = 0; k < nops; k++)
            it->stride[k][out] = stride[k][d];
        out++;
    }
    it->ndim = out;
}

void l2__iter_run_range(const l2__iter *it, int64_t begin, int64_t end, l2__loop_fn fn, void *ctx)
{
    if (begin >= end)
        return;
    int nd = it->ndim, nops = it->nops;
    char *ptr[L2__MAX_OPERANDS];
    int64_t step[L2__MAX_OPERANDS];
    if (nd == 0) { /* a single element */
        for (int k = 0; k < nops; k++) {
            ptr[k] = it->data[k];
            step[k] = 0;
        }
        fn(1, ptr, step, ctx);
        return;
    }
    int64_t inner = it->shape[nd - 1];
    for (int k = 0; k < nops; k++)
        step[k] = it->stride[k][nd - 1];
    /* Multi-index of begin over the outer dims, and the position within the innermost row. */
    int64_t idx[L2_MAX_DIMS];
    int64_t row = begin / inner, col = begin % inner;
    for (int d = nd - 2; d >= 0; d--) {
        idx[d] = row % it->shape[d];
        row /= it->shape[d];
    }
    int64_t pos = begin;
    while (pos < end) {
        for (int k = 0; k < nops; k++) {
            char *p = it->data[k] + col * step[k];
            for (int d = 0; d < nd - 1; d++)
                p += idx[d] * it->stride[k][d];
            ptr[k] = p;
        }
        int64_t n = inner - col;
        if (n > end - pos)
            n = end - pos;
        fn(n, ptr, step, ctx);
        pos += n;
        col = 0;
        for (int d = nd - 2; d >= 0; d--) {
            if (++idx[d] < it->shape[d])
                break;
            idx[d] = 0;
        }
    }
}

int l2__threads_grain(int64_t work, int64_t grain)
{
    int nt = l2__num_threads();
    if (nt <= 1 || work < grain)
        return 1;
    if ((int64_t)nt > work / (grain / 2))
        nt = (int)(work / (grain / 2));
    return nt < 1 ? 1 : nt;
}

int l2__threads_for(int64_t work) { return l2__threads_grain(work, L2__PARALLEL_GRAIN); }
/* Mixed layouts: an operand whose own fastest dim (of the two innermost iteration dims) is
 * not the innermost one, e.g. a transposed input copied into a contiguous output. Such an
 * iteration of at least L2__TILE_MIN elements runs in L2__TILE x L2__TILE blocks of the two
 * innermost dims, so each operand's cache lines are used whole while the block is hot. */
static bool iter_mixed(const l2__iter *it)
{
    int d = it->ndim - 1;
    if (d < 1 || it->numel < L2__TILE_MIN)
        return false;
    for (int k = 0; k < it->nops; k++) {
        int64_t s1 = it->stride[k][d], s0 = it->stride[k][d - 1];
        s1 = s1 < 0 ? -s1 : s1;
        s0 = s0 < 0 ? -s0 : s0;
        if (s1 != 0 && s0 != 0 && s0 < s1)
            return true;
    }
    return false;
}

/* Block u of a tiled iteration (units numbered with the column block fastest, then the row
 * block, then the outer dims' flat index): one loop call per row of the block. */
static void run_tile(const l2__iter *it, int64_t u, int64_t rb, int64_t cb, l2__loop_fn fn,
                     void *ctx)
{
    int nd = it->ndim, nops = it->nops;
    int64_t R = it->shape[nd - 2], C = it->shape[nd - 1];
    int64_t ct = u % cb, rt = u / cb % rb, outer = u / cb / rb;
    char *base[L2__MAX_OPERANDS], *ptr[L2__MAX_OPERANDS];
    int64_t step[L2__MAX_OPERANDS];
    for (int k = 0; k < nops; k++) {
        base[k] = it->data[k];
        step[k] = it->stride[k][nd - 1];
    }
    for (int d = nd - 3; d >= 0; d--) {
        int64_t i = outer % it->shape[d];
        outer /= it->shape[d];
        for (int k = 0; k < nops; k++)
            base[k] += i * it->stride[k][d];
    }
    int64_t r0 = rt * L2__TILE, c0 = ct * L2__TILE;
    int64_t nr = R - r0 < L2__TILE ? R - r0 : L2__TILE;
    int64_t nc = C - c0 < L2__TILE ? C - c0 : L2__TILE;
    if (l2__fault("tile_edge") && (nr < L2__TILE || nc < L2__TILE))
        return; /* mutation test: the partial blocks at the edges are skipped */
    for (int64_t r = r0; r < r0 + nr; r++) {
        for (int k = 0; k < nops; k++)
            ptr[k] = base[k] + r * it->stride[k][nd - 2] + c0 * step[k];
        fn(nc, ptr, step, ctx);
    }
}

static void iter_run_tiled(const l2__iter *it, l2__loop_fn fn, void *ctx)
{
    int nd = it->ndim;
    int64_t rb = (it->shape[nd - 2] + L2__TILE - 1) / L2__TILE;
    int64_t cb = (it->shape[nd - 1] + L2__TILE - 1) / L2__TILE;
    int64_t units = it->numel / it->shape[nd - 2] / it->shape[nd - 1] * rb * cb;
    int nt = l2__threads_grain(it->numel, it->grain);
    if (nt > units)
        nt = (int)units;
    if (nt <= 1) {
        for (int64_t u = 0; u < units; u++)
            run_tile(it, u, rb, cb, fn, ctx);
        return;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
        int64_t b = l2__part(units, t, nt), e = l2__part(units, t + 1, nt);
        for (int64_t u = b; u < e; u++)
            run_tile(it, u, rb, cb, fn, ctx);
    }
}

void l2__iter_run(const l2__iter *it, l2__loop_fn fn, void *ctx)
{
    int64_t n = it->numel;
    if (iter_mixed(it)) {
        iter_run_tiled(it, fn, ctx);
        return;
    }
    int nt = l2__threads_grain(n, it->grain);
    if (nt <= 1) {
        l2__iter_run_range(it, 0, n, fn, ctx);
        return;
    }
    /* mutation test: the team is sized by the default grain while the ranges are cut for the
     * class's thread count, so the ranges of the threads never started are skipped */
    int team = l2__fault("grain_class") ? l2__threads_for(n) : nt;
#pragma omp parallel for num_threads(team) schedule(static)
    for (int t = 0; t < team; t++) {
        int64_t b = l2__part(n, t, nt), e = l2__part(n, t + 1, nt);
        if (l2__fault("iter_chunk")) /* mutation test: each thread drops its last element */
            e--;
        l2__iter_run_range(it, b, e, fn, ctx);
    }
}

/* ---- output layout ---- */

/* torch's TensorIterator order of two dims for the inputs (reorder_dimensions): 1 when dim a
 * should sit inside dim b, -1 when outside, 0 when no input decides. Inputs are taken in order;
 * one with stride 0 in either dim (broadcast) has no say; equal strides put the smaller dim
 * inside. st[k][d] are input k's strides broadcast to the output's shape. */
static int layout_cmp(int nin, const int64_t (*st)[L2_MAX_DIMS], const int64_t *shape, int a,
                      int b)
{
    for (int k = 0; k < nin; k++) {
        int64_t sa = st[k][a], sb = st[k][b];
        if (sa == 0 || sb == 0)
            continue;
        if (sa != sb)
            return sa < sb ? -1 : 1;
        if (shape[a] > shape[b])
            return 1;
    }
    return 0;
}

/* Dense strides (elements) of shape (nd, shape) in the memory order the n operands' strides st
 * give (st already broadcast to shape). */
static void dense_strides(int nd, const int64_t *shape, int n,
                          const int64_t (*st)[L2_MAX_DIMS], int64_t *out)
{
    /* perm[0] is the innermost dim; insertion sort that tolerates undecided pairs. */
    int perm[L2_MAX_DIMS];
    for (int i = 0; i < nd; i++)
        perm[i] = nd - 1 - i;
    for (int i = 1; i < nd; i++) {
        int d1 = i;
        for (int d0 = i - 1; d0 >= 0; d0--) {
            int c = layout_cmp(n, st, shape, perm[d0], perm[d1]);
            if (c > 0) {
                int tmp = perm[d0];
                perm[d0] = perm[d1];
                perm[d1] = tmp;
                d1 = d0;
            } else if (c < 0) {
                break;
            }
        }
    }
    int64_t acc = 1;
    for (int i = 0; i < nd; i++) {
        out[perm[i]] = acc;
        acc = l2__mul_sat(acc, shape[perm[i]] > 1 ? shape[perm[i]] : 1); /* huge empty shapes */
    }
}

l2_tensor *l2__new_like(const char *op, int nd, const int64_t *shape, l2_dtype dt, l2_dtype ct,
                        int nin, const l2_tensor *const *in)
{
    l2_tensor *r = l2__new(op, nd, shape, dt, false);
    if (!r || nd < 2)
        return r;
    int64_t st[L2__MAX_OPERANDS][L2_MAX_DIMS];
    int n = 0;
    for (int k = 0; k < nin && n < L2__MAX_OPERANDS; k++) {
        const l2_tensor *t = in[k];
        if (!t)
            continue;
        const int64_t *ts = t->stride;
        int64_t conv[L2_MAX_DIMS];
        if (ct != L2_DTYPE_COUNT && t->dtype != ct) {
            /* torch converts such an input first, into a dense copy in its own order */
            int64_t own[1][L2_MAX_DIMS];
            memcpy(own[0], t->stride, sizeof(int64_t) * (size_t)t->ndim);
            dense_strides(t->ndim, t->shape, 1, (const int64_t(*)[L2_MAX_DIMS])own, conv);
            ts = conv;
        }
        for (int i = 0; i < nd; i++) {
            int j = i - (nd - t->ndim);
            st[n][i] = (j < 0 || t->shape[j] != shape[i]) ? 0 : ts[j];
        }
        n++;
    }
    dense_strides(nd, shape, n, (const int64_t(*)[L2_MAX_DIMS])st, r->stride);
    return r;
}

/* ---- dtype-converting copy ---- */

typedef struct {
    l2_dtype dst, src;
} copy_ctx;

#define L2__COPY_INNER(TD, TS)                                                               \
    do {                                                                                     \
        if (s[0] == (int64_t)sizeof(TD) && s[1] == (int64_t)sizeof(TS)) {                    \
            TD *restrict d = (TD *)p[0];                                                     \
            const TS *restrict a = (const TS *)p[1];                                         \
            _Pragma("omp simd") for (int64_t i = 0; i < n; i++)                              \
                d[i] = (TD)a[i];                                                             \
        } else {                                                                             \
            for (int64_t i = 0; i < n; i++)                                                  \
                *(TD *)(p[0] + i * s[0]) = (TD) * (const TS *)(p[1] + i * s[1]);             \
        }                                                                                    \
    } while (0)

/* A run of nb bytes between buffers that do not overlap (issue 12, copy runs). Below
 * L2__COPY_RUN_BYTES (1 MiB), 32-byte vector moves, four a step, the last < 128 bytes as
 * 32-byte moves with one that ends at the run's end (overlapping what was written: the same
 * bytes); glibc's memcpy for the rest and for runs under 32 bytes. Measured on the project's
 * VM: 1024 rows of 4 KiB from one source row in 44 us, against 57 us through memcpy (which
 * takes its rep-movsb path there); a 256 KiB run (copy_ and clone of 256x256 float32) 5.1-5.8
 * us, against 5.6-8.1 through memcpy (area cat); from 512 KiB to 2 MiB the two are even, and
 * memcpy's non-temporal stores win on runs beyond the cache. */
typedef char copy_v32 __attribute__((vector_size(32), aligned(1)));
static inline __attribute__((always_inline)) void copy_run(char *d, const char *s, size_t nb)
{
    if (nb < 32 || nb >= L2__COPY_RUN_BYTES) {
        memcpy(d, s, nb);
        return;
    }
    size_t i = 0;
    for (; i + 128 <= nb; i += 128) {
        copy_v32 a = *(const copy_v32 *)(s + i), b = *(const copy_v32 *)(s + i + 32);
        copy_v32 c = *(const copy_v32 *)(s + i + 64), e = *(const copy_v32 *)(s + i + 96);
        *(copy_v32 *)(d + i) = a;
        *(copy_v32 *)(d + i + 32) = b;
        *(copy_v32 *)(d + i + 64) = c;
        *(copy_v32 *)(d + i + 96) = e;
    }
    for (; i + 32 <= nb; i += 32)
        *(copy_v32 *)(d + i) = *(const copy_v32 *)(s + i);
    if (i < nb && !l2__fault("copy_run_tail")) /* mutation test: the last < 32 bytes left out */
        *(copy_v32 *)(d + nb - 32) = *(const copy_v32 *)(s + nb - 32);
}

/* issue 16: a conversion from or to bfloat16 / float16, element by element through float32
 * as torch's c10 types convert (int64 -> float32 directly, then rounded; half -> int64 by the
 * saturating store, NaN -> 0). */
static void half_copy(int64_t n, char **p, const int64_t *s, l2_dtype dst, l2_dtype src)
{
    /* the half route's conversions: contiguous runs in half-convert.c (vectorised), strided
     * ones element by element with the inline conversions */
    if (dst == L2_FLOAT32 && l2__is_half(src)) {
        if (s[0] == 4 && s[1] == 2) {
            l2__half_to_f32_run((float *)p[0], (const uint16_t *)p[1], n, src);
        } else {
            for (int64_t i = 0; i < n; i++) {
                uint16_t h;
                memcpy(&h, p[1] + i * s[1], 2);
                float v = src == L2_BFLOAT16 ? l2__bf16_to_f32(h) : l2__f16_to_f32(h);
                memcpy(p[0] + i * s[0], &v, 4);
            }
        }
        return;
    }
    if (src == L2_FLOAT32 && l2__is_half(dst)) {
        if (s[0] == 2 && s[1] == 4) {
            l2__f32_to_half_run((uint16_t *)p[0], (const float *)p[1], n, dst);
        } else {
            for (int64_t i = 0; i < n; i++) {
                float v;
                memcpy(&v, p[1] + i * s[1], 4);
                uint16_t h = dst == L2_BFLOAT16 ? l2__f32_to_bf16(v) : l2__f32_to_f16(v);
                memcpy(p[0] + i * s[0], &h, 2);
            }
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        const char *q = p[1] + i * s[1];
        char *o = p[0] + i * s[0];
        float v;
        if (src == L2_INT64) {
            int64_t x;
            memcpy(&x, q, sizeof x);
            v = (float)x;
        } else if (src == L2_FLOAT64) {
            double x;
            memcpy(&x, q, sizeof x);
            v = (float)x;
        } else {
            v = (float)l2__load(q, src);
        }
        if (dst == L2_FLOAT64 && l2__is_half(src))
            l2__store(o, dst, l2__load(q, src));
        else
            l2__store(o, dst, v);
    }
}

/* fills (issue 12): an AVX2 copy of the cast loops besides the baseline one (x86-64 ELF). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx2", "default")))
#endif
static void copy_loop(int64_t n, char **p, const int64_t *step, void *vctx)
{
    const copy_ctx *c = vctx;
    int64_t s[2] = {step[0], step[1]};
    if (l2__fault("stride")) /* mutation test: the oracle must notice an ignored input stride */
        s[1] = (int64_t)l2__esize(c->src);
    if (c->dst == c->src) {
        size_t es = l2__esize(c->dst);
        if (s[0] == (int64_t)es && s[1] == (int64_t)es) {
            copy_run(p[0], p[1], (size_t)n * es);
            return;
        }
        if (s[0] == (int64_t)es && s[1] == 0) { /* a broadcast source (issue 12, rr): a fill */
            /* mutation test: the run's last element is left out */
            int64_t m = l2__fault("bcast_fill") ? n - 1 : n;
            if (es == 1) {
                memset(p[0], *(const uint8_t *)p[1], (size_t)m);
            } else if (es == 2) {
                uint16_t v, *d = (uint16_t *)p[0];
                memcpy(&v, p[1], sizeof v);
#pragma omp simd
                for (int64_t i = 0; i < m; i++)
                    d[i] = v;
            } else if (es == 4) {
                uint32_t v, *d = (uint32_t *)p[0];
                memcpy(&v, p[1], sizeof v);
#pragma omp simd
                for (int64_t i = 0; i < m; i++)
                    d[i] = v;
            } else {
                uint64_t v, *d = (uint64_t *)p[0];
                memcpy(&v, p[1], sizeof v);
#pragma omp simd
                for (int64_t i = 0; i < m; i++)
                    d[i] = v;
            }
            return;
        }
        switch (es) {
        case 1: L2__COPY_INNER(uint8_t, uint8_t); break;
        case 2: L2__COPY_INNER(uint16_t, uint16_t); break;
        case 4: L2__COPY_INNER(uint32_t, uint32_t); break;
        default: L2__COPY_INNER(uint64_t, uint64_t); break;
        }
        return;
    }
    if (l2__is_half(c->dst) || l2__is_half(c->src)) { /* issue 16: through float32 */
        half_copy(n, p, s, c->dst, c->src);
        return;
    }
    if (c->dst == L2_INT64 && l2__is_float(c->src)) { /* saturating, NaN -> 0 */
        for (int64_t i = 0; i < n; i++)
            l2__store(p[0] + i * s[0], L2_INT64, l2__load(p[1] + i * s[1], c->src));
        return;
    }
    if (c->dst == L2_BOOL) {
        for (int64_t i = 0; i < n; i++)
            *(bool *)(p[0] + i * s[0]) = l2__load(p[1] + i * s[1], c->src) != 0;
        return;
    }
    /* What is left widens into a float dtype, or is bool -> int64 (int64 from float, bool
     * targets and same-dtype copies returned above). */
    if (n > 1 && l2__fault("cast_tail")) /* mutation test: a run's last element not cast */
        n--;
    switch (c->dst) {
    case L2_FLOAT32: L2__DISPATCH_AS(c->src, TS, L2__COPY_INNER(float, TS)); break;
    case L2_FLOAT64: L2__DISPATCH_AS(c->src, TS, L2__COPY_INNER(double, TS)); break;
    default: L2__COPY_INNER(int64_t, bool); break;
    }
}

/* A same-dtype copy into a contiguous dst of fewer than L2__PARALLEL_GRAIN elements from a src
 * that repeats one contiguous block along its leading dims (stride 0 there: a row broadcast
 * by copy_ or expand): the block once, then dst's written part copied onto the rest, doubling
 * (issue 12, area opsp: one memcpy per row through the iterator cost more than the copying).
 * false when the layout is not that. */
static bool copy_repeat(l2_tensor *dst, const l2_tensor *src)
{
    const int nd = dst->ndim;
    if (dst->dtype != src->dtype || src->ndim != nd || !l2__is_contiguous(dst))
        return false;
    for (int i = 0; i < nd; i++) /* empty: nothing to copy (and its sizes may overflow) */
        if (dst->shape[i] == 0)
            return false;
    int64_t inner = 1, outer = 1;
    int d = nd - 1;
    for (; d >= 0 && (dst->shape[d] == 1 || src->stride[d] == inner); d--) {
        if (dst->shape[d] != src->shape[d])
            return false;
        inner *= dst->shape[d];
    }
    for (; d >= 0; d--) {
        if (dst->shape[d] != src->shape[d] || (dst->shape[d] != 1 && src->stride[d] != 0))
            return false;
        outer *= dst->shape[d];
    }
    /* (inner * outer < the grain: no overflow) */
    if (inner < 2 || outer < 2 || outer >= L2__PARALLEL_GRAIN / inner)
        return false;
    const size_t es = l2__esize(dst->dtype), blk = (size_t)inner * es;
    size_t tot = blk * (size_t)outer, done = blk;
    char *dp = l2__data(dst);
    memcpy(dp, l2__data(src), blk);
    if (l2__fault("bcast_rows")) /* mutation test: the last repeat of the block left out */
        tot -= blk;
    /* doubling up to about 16 KiB (whole blocks), then that much at a time: the source of
     * every copy stays in L1 */
    const size_t cap = blk * (blk < 16384 ? 16384 / blk : 1);
    while (done < tot && done < cap) {
        size_t m = done < cap - done ? done : cap - done;
        m = m < tot - done ? m : tot - done;
        memcpy(dp + done, dp, m);
        done += m;
    }
    for (const size_t c = done; done < tot; done += c)
        memcpy(dp + done, dp, c < tot - done ? c : tot - done);
    return true;
}

/* nb < 32 bytes between buffers that do not overlap: two moves of the largest power of two
 * <= nb (of 16, 8, 4 or 1 and 2 bytes), the second ending at nb (overlapping the first: the same
 * bytes), instead of a memcpy call of a size unknown until run time. */
static inline __attribute__((always_inline)) void copy_small(char *d, const char *s, size_t nb)
{
    /* mutation test: the second move left out, so the bytes past the first move's are lost */
    const bool cut = l2__fault("cat_small");
    if (nb >= 16) {
        memcpy(d, s, 16);
        if (!cut)
            memcpy(d + nb - 16, s + nb - 16, 16);
    } else if (nb >= 8) {
        memcpy(d, s, 8);
        if (!cut)
            memcpy(d + nb - 8, s + nb - 8, 8);
    } else if (nb >= 4) {
        memcpy(d, s, 4);
        if (!cut)
            memcpy(d + nb - 4, s + nb - 4, 4);
    } else if (nb >= 2) {
        memcpy(d, s, 2);
        if (!cut)
            d[nb - 1] = s[nb - 1];
    } else if (nb == 1) {
        d[0] = s[0];
    }
}

/* Rows [b, e) of l2__copy_pieces (a thread's share): row i is written piece after piece, a
 * forward stream through dst. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx2", "default")))
#endif
static void copy_pieces_range(char *dst, int64_t b, int64_t e, int n, const char *const *src,
                              const size_t *nb, size_t row)
{
    if (l2__fault("cat_rows") && e > b) /* mutation test: each thread's last row left out */
        e--;
    for (int64_t i = b; i < e; i++) {
        char *d = dst + (size_t)i * row;
        for (int k = 0; k < n; k++) {
            const char *a = src[k] + (size_t)i * nb[k];
            if (nb[k] < 32)
                copy_small(d, a, nb[k]);
            else
                copy_run(d, a, nb[k]);
            d += nb[k];
        }
    }
}

void l2__copy_pieces(char *dst, int64_t rows, int n, const char *const *src, const size_t *nb,
                     int64_t numel)
{
    size_t row = 0;
    for (int k = 0; k < n; k++)
        row += nb[k];
    int nt = l2__threads_grain(numel, L2__PARALLEL_GRAIN);
    if (nt > rows)
        nt = (int)rows;
    if (nt <= 1) {
        copy_pieces_range(dst, 0, rows, n, src, nb, row);
        return;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++)
        copy_pieces_range(dst, l2__part(rows, t, nt), l2__part(rows, t + 1, nt), n, src, nb, row);
}

void l2__copy_kernel(l2_tensor *dst, const l2_tensor *src)
{
    if (copy_repeat(dst, src))
        return;
    const l2_tensor *ops[2] = {dst, src};
    l2__iter it;
    l2__iter_init(&it, 2, ops);
    if (dst->dtype == src->dtype && l2__copy_transposed(&it, l2__esize(dst->dtype)))
        return;
    copy_ctx c = {dst->dtype, src->dtype};
    l2__iter_run(&it, copy_loop, &c);
}

l2_tensor *l2__convert(const char *op, const l2_tensor *t, l2_dtype dt, bool contiguous)
{
    if (t->dtype == dt && (!contiguous || l2__is_contiguous(t)))
        return l2_tensor_ref((l2_tensor *)t);
    l2_tensor *r = l2__new(op, t->ndim, t->shape, dt, false);
    if (r)
        l2__copy_kernel(r, t);
    return r;
}
