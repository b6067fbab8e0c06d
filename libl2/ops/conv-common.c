/* conv-common.c: what the three convolutions (conv2d.c, conv3d.c, conv-transpose.c) share: the
 * GEMM they run per group, the bias gradient, the forward's operands and autograd record, and
 * the backward's buffers. Declared in conv-impl.h. */
#include "conv-impl.h"
#include "gemm.h"

#include <cblas.h>
#include <string.h>

void l2__conv_gemm(l2_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const char *a,
                   int64_t lda, const char *b, int64_t ldb, double beta, char *c, int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0) { /* an empty sum: C = beta C */
        size_t es = l2__esize(dt);
        for (int64_t i = 0; i < m && beta == 0; i++)
            memset(c + (size_t)(i * ldc) * es, 0, (size_t)n * es);
        return;
    }
    if (dt == L2_FLOAT32 && m > 1 && n > 1 && l2__sgemm_wanted(m, n, k) && /* gemm (issue 12) */
        l2__sgemm(m, n, k, 1.0f, (const float *)a, ta ? 1 : lda, ta ? lda : 1, (const float *)b,
                  tb ? 1 : ldb, tb ? ldb : 1, (float)beta, (float *)c, ldc))
        return;
    enum CBLAS_TRANSPOSE A = ta ? CblasTrans : CblasNoTrans, B = tb ? CblasTrans : CblasNoTrans;
    if (dt == L2_FLOAT32)
        cblas_sgemm(CblasRowMajor, A, B, (int)m, (int)n, (int)k, 1.0f, (const float *)a,
                    (int)lda, (const float *)b, (int)ldb, (float)beta, (float *)c, (int)ldc);
    else
        cblas_dgemm(CblasRowMajor, A, B, (int)m, (int)n, (int)k, 1.0, (const double *)a,
                    (int)lda, (const double *)b, (int)ldb, beta, (double *)c, (int)ldc);
}

/* db[o] = the sum over n and L of dy[n, o, :] (dy (N, O, L)), in float64 over
 * L2__CONV_DB_LANES lanes (lane k takes the positions l = k mod the lane count of every row;
 * the rest of a row goes to lane 0), the lanes summed in order: a fixed order of additions
 * that vectorises, instead of one dependent chain per channel. */
#define L2__CONV_DB(SUF, T)                                                                  \
    L2__CONV_HOT static void bias_grad_##SUF(const T *g, int64_t n, int64_t o, int64_t l,    \
                                             T *db)                                          \
    {                                                                                        \
        enum { W = L2__CONV_DB_LANES };                                                      \
        for (int64_t c = 0; c < o; c++) {                                                    \
            double acc[W] = {0};                                                             \
            for (int64_t s = 0; s < n; s++) {                                                \
                const T *row = g + (s * o + c) * l;                                          \
                int64_t k = 0;                                                               \
                for (; k + W <= l; k += W)                                                   \
                    for (int e = 0; e < W; e++)                                              \
                        acc[e] += row[k + e];                                                \
                /* mutation test: the rows' l % lanes tail is dropped */                     \
                for (; k < l && !l2__fault("conv_db_tail"); k++)                             \
                    acc[0] += row[k];                                                        \
            }                                                                                \
            double sum = 0;                                                                  \
            for (int e = 0; e < W; e++)                                                      \
                sum += acc[e];                                                               \
            db[c] = (T)sum;                                                                  \
        }                                                                                    \
    }
L2__CONV_DB(f32, float)
L2__CONV_DB(f64, double)

void l2__conv_bias_grad(l2_dtype dt, const char *g, int64_t n, int64_t o, int64_t l, char *db)
{
    if (dt == L2_FLOAT32)
        bias_grad_f32((const float *)g, n, o, l, (float *)db);
    else
        bias_grad_f64((const double *)g, n, o, l, (double *)db);
}

int64_t l2__conv_padded_sat(int64_t in, int64_t p)
{
    int64_t r;
    return l2__mul_ovf(p, 2, &r) || l2__add_ovf(r, in, &r) ? INT64_MAX : r;
}

int64_t l2__conv_span_sat(int64_t k, int64_t d)
{
    int64_t r;
    return l2__mul_ovf(d, k - 1, &r) || l2__add_ovf(r, 1, &r) ? INT64_MAX : r;
}

bool l2__conv_tout_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, int64_t op,
                        int64_t *out)
{
    int64_t a, b;
    if (l2__mul_ovf(in - 1, s, &a) || l2__mul_ovf(d, k - 1, &b) || l2__add_ovf(a, b, &a) ||
        l2__add_ovf(a, op + 1, &a))
        return false;
    if (l2__mul_ovf(p, 2, &b) || l2__sub_ovf(a, b, &a))
        return false;
    *out = a;
    return true;
}

bool l2__conv_io_start(const char *op, l2__conv_io *io, const l2_tensor *x, const l2_tensor *w,
                       const l2_tensor *b, int rank, const int64_t *shape)
{
    io->xc = l2__convert(op, x, x->dtype, true);
    io->wc = io->xc ? l2__convert(op, w, w->dtype, true) : NULL;
    io->bc = io->wc && b ? l2__convert(op, b, b->dtype, true) : NULL;
    io->r = io->wc && (io->bc || !b) ? l2__new(op, rank, shape, x->dtype, false) : NULL;
    return io->r != NULL;
}

l2_tensor *l2__conv_io_end(l2__conv_io *io, bool ok, l2__op node_op, const l2_tensor *x,
                           const l2_tensor *w, const l2_tensor *b, const int64_t *ip, int ni)
{
    const l2_tensor *in[3] = {x, w, b};
    if (ok && l2__needs_grad(3, in)) {
        const l2_tensor *save[2] = {x, w};
        bool need[2] = {w->requires_grad, x->requires_grad}; /* dx reads w, dw reads x */
        l2__node *node = l2__record_save_needed(node_op, io->r, 3, in, 2, save, need);
        if (node) {
            memcpy(node->i, ip, (size_t)ni * sizeof *ip);
            node->ni = ni;
        }
        ok = node != NULL;
    }
    l2_tensor_release(io->xc);
    l2_tensor_release(io->wc);
    l2_tensor_release(io->bc);
    if (ok)
        return l2__ret(io->r);
    l2_tensor_release(io->r);
    return NULL;
}

bool l2__conv_grads_start(const char *op, l2__conv_grads *g, const l2__node *node,
                          const l2_tensor *gout, int64_t o, bool dx_zero, bool dw_zero)
{
    const l2_tensor *x = node->saved[0], *w = node->saved[1];
    *g = (l2__conv_grads){.need_x = node->next[0].fn || node->next[0].leaf,
                          .need_w = node->next[1].fn || node->next[1].leaf,
                          .need_b = node->next[2].fn || node->next[2].leaf};
    if (!(g->dy = l2__convert(op, gout, gout->dtype, true)))
        return false;
    if (g->need_x && (!(g->wc = l2__convert(op, w, w->dtype, true)) ||
                      !(g->dx = l2__new(op, x->ndim, x->shape, x->dtype, dx_zero))))
        return false;
    if (g->need_w && (!(g->xc = l2__convert(op, x, x->dtype, true)) ||
                      !(g->dw = l2__new(op, w->ndim, w->shape, x->dtype, dw_zero))))
        return false;
    return !g->need_b || (g->db = l2__new(op, 1, &o, x->dtype, false));
}

l2_status l2__conv_grads_end(l2__conv_grads *g, bool ok, l2_tensor **gin)
{
    l2_tensor_release(g->dy);
    l2_tensor_release(g->xc);
    l2_tensor_release(g->wc);
    if (ok) {
        gin[0] = g->dx;
        gin[1] = g->dw;
        gin[2] = g->db;
        return L2_OK;
    }
    l2_tensor_release(g->dx);
    l2_tensor_release(g->dw);
    l2_tensor_release(g->db);
    return l2_last_status();
}
