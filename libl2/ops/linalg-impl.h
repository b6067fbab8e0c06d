/* linalg-impl.h: the internal matrix product shared by the ops of linalg.c (linalg-product.c),
 * the helpers the LAPACK decompositions share (linalg-decomp.c, linalg-svd.c) and the
 * column-major batch copies of the LAPACK ops (linalg-solve.c). */
#ifndef L2_LINALG_IMPL_H
#define L2_LINALG_IMPL_H

#include "../l2-impl.h"

/* The product out = beta * c + alpha * (a @ b) over broadcast batch dims, without autograd.
 * a: (Ba..., M, K), b: (Bb..., K, N), both of rank >= 2, one dtype (float32, float64 or int64),
 * K equal and Ba, Bb broadcastable to Bo (the caller has checked all this). The result is a new
 * contiguous tensor of shape (out_ndim, out_shape), whose numel is |Bo| * M * N (the caller drops
 * dims promoted from 1-d operands). c is NULL or broadcasts to out_shape; it is not read when
 * beta is 0. Returns NULL (error set) only on out-of-memory. op names the caller in errors. */
l2_tensor *l2__linalg_product(const char *op, const l2_tensor *a, const l2_tensor *b,
                              const l2_tensor *c, double beta, double alpha, int out_ndim,
                              const int64_t *out_shape);
/* Attach to r, the result of op(c, a, b) = beta * c + alpha * a @ b (addmm, baddbmm), its node
 * when grad mode wants one: b saved when a requires grad, a when b does; beta and alpha in f[0]
 * and f[1]. Returns r, or NULL with r released (out of memory, error set). */
l2_tensor *l2__record_scaled_product(int opk, l2_tensor *r, const l2_tensor *c,
                                     const l2_tensor *a, const l2_tensor *b, double beta,
                                     double alpha);

/* Multiply every element of the contiguous tensor t by s in place. */
void l2__linalg_scale(l2_tensor *t, double s);

/* True when t's shape broadcasts to (ndim, shape) without changing it. */
bool l2__linalg_broadcasts_to(const l2_tensor *t, int ndim, const int64_t *shape);

/* ---- the LAPACK decompositions' shared helpers (linalg-decomp.c; used by linalg-svd.c) ---- */

/* A: a float32/float64 tensor of >= 2 dims whose matrix sizes fit LAPACK's integers; false with
 * the error set (op names the caller) otherwise. */
bool l2__la_check_matrix(const char *op, const l2_tensor *A);
/* The product of t's leading (batch) dims, all but the last two. */
int64_t l2__la_batch(const l2_tensor *t);
/* A new zeroed packed tensor (A's leading dims..., per), or NULL (error set). */
l2_tensor *l2__la_new_packed(const char *op, const l2_tensor *A, int64_t per);
/* The view of P's last dim [off, off + rows * cols) as (leading dims..., rows, cols): a new
 * reference, or NULL (error set). Library code: run between l2__enter and l2__leave. */
l2_tensor *l2__la_piece(const l2_tensor *P, int64_t off, int64_t rows, int64_t cols);

/* When A needs a gradient, record op (an l2__op) on A's packed result P, saving P, with the ni
 * ints in node->i: true when nothing needed recording or the record succeeded; false (error
 * set, P unchanged and still the caller's) otherwise. */
bool l2__la_record_packed(int op, l2_tensor *P, const l2_tensor *A, int ni, const int64_t *ints);

/* The backward of a packed result (qr, eigh, svd: the node's saved 0, P (*, per)) over plain
 * float64 loops: B the batch, dy gout contiguous (gp its data), dx the new gradient (*, M, N)
 * (out its data), pc P contiguous (pp its data), buf nb doubles of scratch. */
typedef struct {
    int64_t B;
    l2_tensor *dy, *dx, *pc;
    double *buf;
    const char *pp, *gp;
    char *out;
} l2__la_bwd;
/* Fill w for op's backward of nd with upstream g: L2_OK, or the error (out of memory) with
 * nothing held. */
l2_status l2__la_bwd_start(const char *op, const l2__node *nd, const l2_tensor *g, int64_t m,
                           int64_t n, size_t nb, l2__la_bwd *w);
/* gin[0] = w's gradient; the rest released. L2_OK. */
l2_status l2__la_bwd_end(l2__la_bwd *w, l2_tensor **gin);

/* linalg_qr's modes (node->i[0]) and whether mode md of an M x N matrix has a gradient: L2_OK,
 * or L2_ERR_AUTOGRAD with torch's message (mode 'r'; 'complete' with M > N). */
enum { L2__QR_REDUCED, L2__QR_COMPLETE, L2__QR_R };
l2_status l2__la_qr_grad_check(int md, int64_t m, int64_t n);

/* The create_graph backwards' gradient of an empty matrix (numel 0, shape (ndim, shape)): a
 * view of gout's first 0 elements, recorded, so that it requires grad when gout does
 * (linalg-svd-cg.c). NULL on error. */
l2_tensor *l2__la_empty_grad(const l2_tensor *gout, int ndim, const int64_t *shape);

/* Element i of a float32/float64 buffer as a double; store v rounded to the buffer's dtype. */
static inline double l2__la_ld(const char *base, l2_dtype dt, int64_t i)
{
    return dt == L2_FLOAT64 ? ((const double *)base)[i] : (double)((const float *)base)[i];
}

static inline void l2__la_st(char *base, l2_dtype dt, int64_t i, double v)
{
    if (dt == L2_FLOAT64)
        ((double *)base)[i] = v;
    else
        ((float *)base)[i] = (float)v;
}

/* Column-major batches for LAPACK (linalg-solve.c): a new contiguous (bshape..., c, r) tensor of
 * dtype dt holding the (r, c) matrices of t (its last two dims) broadcast to the batch shape
 * (bnd dims), each stored column-major: out[..., j, i] = t[..., i, j]. vec: t is a batch of
 * vectors (r = t's last dim, c = 1). NULL on error. */
l2_tensor *l2__linalg_colmajor(const char *op, const l2_tensor *t, bool vec, int bnd,
                               const int64_t *bshape, l2_dtype dt);
/* The row-major result of a column-major batch x (bshape..., k, n): (bshape..., n, k), or
 * (bshape..., n) when vec (k = 1). NULL on error. */
l2_tensor *l2__linalg_rowmajor(const char *op, const l2_tensor *x, bool vec);

/* The backwards of linalg-lstsq.c and linalg-norm.c as compositions of public ops: the plain
 * backward runs them on the saved tensors, the create_graph one (linalg-lsq-cg.c) on the saved
 * tensors attached to their graphs (the formulas above each definition). */
l2_status l2__cholesky_solve_grad(const l2_tensor *L, const l2_tensor *X, const l2_tensor *gout,
                                  bool upper, bool need_b, bool need_l, l2_tensor **gin);
l2_status l2__linalg_lstsq_grad(const l2_tensor *A, const l2_tensor *B, const l2_tensor *X,
                               const l2_tensor *gout, bool vec, bool need_a, bool need_b,
                               l2_tensor **gin);
/* torch 1.13's norm_backward for every order p (x the input, nv the norm, gout its gradient,
 * the nrd sorted reduced dims rd, keepdim as the forward's): *gx, NULL for p = 0 (torch's
 * undefined gradient). L2_OK or the failing op's status. */
l2_status l2__norm_grad(const l2_tensor *x, const l2_tensor *nv, const l2_tensor *gout, double p,
                        int nrd, const int *rd, bool keepdim, l2_tensor **gx);

#endif
