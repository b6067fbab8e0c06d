/* conv-impl.h: what the convolution and pooling files share (conv2d.c, conv3d.c,
 * conv-transpose.c, pool*.c; conv-common.c holds the convolutions' GEMM, bias gradient and
 * buffers): the sliding window geometry, optional pair arguments, the NCHW input check and
 * the output size rule.
 * Letters: N batch, C input channels, O output channels, H,W input size, P,Q output size. */
#ifndef L2_CONV_IMPL_H
#define L2_CONV_IMPL_H

#include "../autograd-impl.h"

/* Read an optional pair: p ? p[0..1] : (def0, def1). */
static inline void pair(const int64_t *p, int64_t def0, int64_t def1, int64_t *out)
{
    out[0] = p ? p[0] : def0;
    out[1] = p ? p[1] : def1;
}

/* Check that x is a float tensor of rank 3 (C,H,W) or 4 (N,C,H,W); sets *n, *c, *h, *w. */
static inline bool check_nchw(const char *op, const l2_tensor *x, int64_t *n, int64_t *c,
                              int64_t *h, int64_t *w)
{
    char s[L2__SHAPE_STR];
    L2__CHECK(l2__is_float(x->dtype), false, L2_ERR_DTYPE, "%s: expected a float32 or float64 "
              "input, got %s", op, l2_dtype_name(x->dtype));
    L2__CHECK(x->ndim == 3 || x->ndim == 4, false, L2_ERR_SHAPE, "%s: expected 3D (unbatched) "
              "or 4D (batched) input, but got input of size %s", op,
              l2__shape_str(s, x->ndim, x->shape));
    int b = x->ndim - 3;
    *n = b ? x->shape[0] : 1;
    *c = x->shape[b];
    *h = x->shape[b + 1];
    *w = x->shape[b + 2];
    return true;
}

/* Geometry of a 2-d sliding window over one (C, H, W) sample. */
typedef struct {
    int64_t c, h, w;       /* input channels (per im2col call) and size */
    int64_t kh, kw;        /* kernel */
    int64_t sh, sw;        /* stride */
    int64_t ph, pw;        /* padding */
    int64_t dh, dw;        /* dilation */
    int64_t oh, ow;        /* output size */
} win;

/* Output size along one dim: floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1, or -1 when the
 * (dilated) kernel does not fit in the padded input, or -2 when the padded input in + 2 pad does
 * not fit in int64. Arguments are in range (in, pad >= 0; k, s, d >= 1). Every window index
 * the kernels form (o s + j d - pad, o < out, j < k) then lies in [-pad, in + pad). */
static inline int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d)
{
    int64_t padded, span;
    if (l2__mul_ovf(p, 2, &padded) || l2__add_ovf(padded, in, &padded))
        return -2;
    /* The dilated kernel spans d (k - 1) + 1 cells; when that overflows it cannot fit. */
    if (l2__mul_ovf(d, k - 1, &span) || span >= padded)
        return -1;
    return (padded - span - 1) / s + 1;
}

/* conv2 (issue 14): conv2d.c's im2col (cols (C kH kW, L), rows ld apart, from one (C, H, W)
 * sample) and its adjoint col2im (adds into dx), for conv-transpose.c. */
void l2__conv_im2col(l2_dtype dt, const char *x, char *cols, int64_t ld, const win *g);
void l2__conv_col2im(l2_dtype dt, const char *cols, int64_t ld, char *dx, const win *g);

/* conv3 (issue 14): the geometry of one 3-d convolution (conv3d.c; conv-transpose3d.c uses it
 * for the conv3d whose input gradient it computes). */
typedef struct {
    int64_t n, c, o, groups, cg, og; /* cg = C / groups, og = O / groups */
    int64_t in[3], k[3], s[3], p[3], d[3], out[3];
    int64_t l, kk, dhw; /* L = T P Q, kk = kD kH kW, dhw = D H W */
} geom3;
/* conv3d.c's vol2col (cols (C kk, L) from one (C, D, H, W) sample, g->c channels) and its
 * adjoint col2vol (adds into dx). */
void l2__conv_vol2col(l2_dtype dt, const char *x, char *cols, const geom3 *g);
void l2__conv_col2vol(l2_dtype dt, const char *cols, char *dx, const geom3 *g);

/* ---- what the pools share ---------------------------------------------------------------- */

/* torch's pooling output size (pooling_output_shape): floor or ceil of (in + 2 p - d (k - 1) -
 * 1) / s, plus 1; with ceil_mode the last window must start inside the input or the left
 * padding. Arguments in range (in >= 1, 0 <= p, k, s, d >= 1); -2 on int64 overflow
 * (pool-arg.c). */
int64_t l2__pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil);

/* One window's cells along an axis: from o s - p every d, clipped to [0, n): the first cell
 * *c0 at or past 0 (it may lie past n, as torch's kernel) and the count *cnt inside.
 * Overflow-free for the arguments the pools' setups admit (2 p and d (k - 1) fit). */
static inline void l2__pool_cells(int64_t o, int64_t s, int64_t p, int64_t k, int64_t d,
                                  int64_t n, int64_t *c0, int64_t *cnt)
{
    int64_t a = o * s - p, span = (k - 1) * d;
    int64_t end = a >= n || span >= n - 1 - a ? n : a + span + 1; /* min(a + span + 1, n) */
    if (a < 0)
        a += (-a / d + (-a % d != 0)) * d;
    *c0 = a;
    *cnt = a < end ? (end - 1 - a) / d + 1 : 0;
}

/* Max pools that keep each output's argmax (pool-arg.c: max_pool2d_ex, max_pool3d,
 * adaptive_max_pool2d). arg[p * out + o] is output o's maximum's offset within plane p of the
 * input; an offset outside [0, in) (a window with no cell in the input) gets no gradient.
 * l2__argpool_end ends the forward: copies arg into ix (when asked), records op with arg as the
 * node's extra when x needs a gradient, releases xc, hands ix to *indices; arg NULL (an
 * allocation failed) releases everything and returns NULL. */
l2_tensor *l2__argpool_end(l2__op node_op, const l2_tensor *x, l2_tensor *xc, l2_tensor *r,
                           l2_tensor *ix, int64_t *arg, size_t n, l2_tensor **indices);
/* dx (the input's shape, zeroed) with dx[p, arg[p, o]] += dy[p, o]. */
l2_status l2__argpool_backward(const char *op, const l2__node *n, const l2_tensor *gout,
                               int64_t planes, int64_t in, int64_t out, l2_tensor **gin);

/* ---- what the three convolutions share (conv-common.c) ---------------------------------- */

/* The hot loops of the conv files: an AVX2 clone chosen at load time (ELF ifunc), and the
 * default. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define L2__CONV_HOT __attribute__((target_clones("avx2", "default")))
#else
#define L2__CONV_HOT
#endif

/* C (M,N) = A (M,K) op B + beta C, row-major, beta 0 or 1 (sizes fit in int: checked by the
 * forwards). Float32 takes the library's sgemm where gemm.h's policy says so, else BLAS. An
 * empty sum (K = 0) gives beta C. */
void l2__conv_gemm(l2_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const char *a,
                   int64_t lda, const char *b, int64_t ldb, double beta, char *c, int64_t ldc);
/* db[o] = the sum over n and l of g[n, o, l] (g (N, O, L) contiguous), in a fixed order. */
void l2__conv_bias_grad(l2_dtype dt, const char *g, int64_t n, int64_t o, int64_t l, char *db);
/* in + 2 p and the dilated kernel's span d (k - 1) + 1, saturating (for error messages). */
int64_t l2__conv_padded_sat(int64_t in, int64_t p);
int64_t l2__conv_span_sat(int64_t k, int64_t d);
/* A transposed convolution's output size along one axis, (in - 1) s - 2 p + d (k - 1) + op + 1,
 * into *out; false on int64 overflow (conv_transpose2d and conv_transpose3d). */
bool l2__conv_tout_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, int64_t op,
                        int64_t *out);

/* conv2d's direct path for a small contraction (conv-small.c, issue 12): whether it takes a
 * convolution of n samples to o channels over window g (g->c all input channels) with `groups`
 * groups; the forward y = conv(x, w) + b (b may be NULL) and the backward's dw and db (db may be
 * NULL), over nt threads, all operands contiguous float32. False when a buffer cannot be had
 * (the error set, outputs unspecified). */
bool l2__conv_small_ok(l2_dtype dt, int64_t n, int64_t o, int64_t groups, const win *g);
bool l2__conv_small_fwd(const char *op, const float *x, const float *w, const float *b,
                        float *y, int64_t n, int64_t o, const win *g, int nt);
bool l2__conv_small_bwd(const char *op, const float *x, const float *dy, float *dw,
                        float *db, int64_t n, int64_t o, const win *g, int nt);
/* Whether dx of such a convolution is taken there too (as the forward of dy with the kernel
 * flipped: padding at most kH-1, kW-1), and dx (written whole). */
bool l2__conv_small_dx_ok(l2_dtype dt, int64_t n, int64_t o, int64_t groups, const win *g);
bool l2__conv_small_dx(const char *op, const float *dy, const float *w, float *dx, int64_t n,
                       int64_t o, const win *g, int nt);

/* A forward's operands: x, w and b made contiguous (bc NULL without a bias) and the output. */
typedef struct {
    l2_tensor *xc, *wc, *bc, *r;
} l2__conv_io;
/* Fills io (every field, NULL where not made) and allocates r (rank dims of shape, x's dtype,
 * not zeroed); false on failure. */
bool l2__conv_io_start(const char *op, l2__conv_io *io, const l2_tensor *x, const l2_tensor *w,
                       const l2_tensor *b, int rank, const int64_t *shape);
/* A forward's end: when ok and a gradient is needed, records node_op over (x, w, b) saving x
 * and w (each only when the other needs its gradient) and the ni integer arguments ip; releases
 * the contiguous copies; r, or NULL (r released) when !ok or the record failed. */
l2_tensor *l2__conv_io_end(l2__conv_io *io, bool ok, l2__op node_op, const l2_tensor *x,
                           const l2_tensor *w, const l2_tensor *b, const int64_t *ip, int ni);

/* A backward's buffers: which gradients the node needs, dy contiguous, the contiguous w (for
 * dx) and x (for dw), and the gradients dx, dw, db. */
typedef struct {
    bool need_x, need_w, need_b;
    l2_tensor *dy, *xc, *wc, *dx, *dw, *db;
} l2__conv_grads;
/* Fills g for node (saved x and w) and gout; dx and dw zeroed when dx_zero / dw_zero, db of
 * o elements not zeroed; false on failure (then l2__conv_grads_end(g, false, ...)). */
bool l2__conv_grads_start(const char *op, l2__conv_grads *g, const l2__node *node,
                          const l2_tensor *gout, int64_t o, bool dx_zero, bool dw_zero);
/* Releases the work tensors; when ok hands dx, dw, db to gin and returns L2_OK, else releases
 * them too and returns the last status. */
l2_status l2__conv_grads_end(l2__conv_grads *g, bool ok, l2_tensor **gin);

#endif /* L2_CONV_IMPL_H */
