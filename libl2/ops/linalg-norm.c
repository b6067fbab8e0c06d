/* linalg-norm.c: torch.linalg's norms (issue 15, area lsqnorm): linalg_vector_norm,
 * linalg_matrix_norm and linalg_norm. vector_norm of a positive order (inf included) is l2_norm
 * (its reduction kernel and torch 1.13's norm_backward); the orders 0, -inf and below 0 have a
 * node of their own here (forward composed without grad; backward composed of differentiable
 * ops, in linalg-lsq-cg.c); the matrix norms are compositions (torch's own: vector norms, amax, amin). Not here: the
 * singular-value norms ('nuc', 2, -2: through l2_linalg_svdvals). */
#include "../autograd-impl.h"
#include "cg-scratch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- vector_norm ----------------------------------------------------------------------------- */

/* The reduced dims of x as a sorted list of distinct wrapped dims (every dim when dims is NULL
 * or ndims is 0; none for a 0-d x), *nout their count. noid: the order has no identity, so an
 * empty reduced dim is an error, checked as torch 1.13 does: dim by dim in list order as each
 * is wrapped, before repeated dims. False (error set) on a bad or repeated dim. */
static bool vn_dims(const char *op, const l2_tensor *x, const int *dims, int ndims, bool noid,
                    double ord, int *out, int *nout)
{
    bool red[L2_MAX_DIMS] = {false};
    int w[L2_MAX_DIMS];
    L2__CHECK(ndims >= 0 && ndims <= L2_MAX_DIMS, false, L2_ERR_ARG,
              "%s: ndims must be in [0, %d] (got %d)", op, L2_MAX_DIMS, ndims);
    if (!dims || ndims == 0) {
        L2__CHECK(!noid || l2__numel(x->ndim, x->shape) != 0, false, L2_ERR_ARG,
                  "%s: cannot compute the %g norm on an empty tensor because the operation "
                  "does not have an identity", op, ord);
        for (int d = 0; d < x->ndim; d++)
            red[d] = true;
    } else {
        for (int k = 0; k < ndims; k++) {
            w[k] = l2__wrap_dim(op, dims[k], x->ndim > 0 ? x->ndim : 1);
            if (w[k] < 0)
                return false;
            L2__CHECK(!noid || x->ndim == 0 || x->shape[w[k]] != 0, false, L2_ERR_ARG,
                      "%s: cannot compute the %g norm on dim %d because it is empty and the "
                      "operation does not have an identity", op, ord, w[k]);
        }
        for (int k = 0; k < ndims; k++) {
            L2__CHECK(x->ndim == 0 || !red[w[k]], false, L2_ERR_DIM,
                      "%s: dim %d appears multiple times in the list of dims", op, w[k]);
            if (x->ndim > 0)
                red[w[k]] = true;
        }
    }
    *nout = 0;
    for (int d = 0; d < x->ndim; d++)
        if (red[d])
            out[(*nout)++] = d;
    return true;
}

l2_tensor *l2_linalg_vector_norm(const l2_tensor *x, double ord, const int *dims, int ndims,
                                 bool keepdim)
{
    const char *op = "linalg_vector_norm";
    L2__CHECK_TN(x, NULL, op, "x");
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected a floating point tensor as input, got %s", op,
              l2_dtype_name(x->dtype));
    L2__CHECK(!isnan(ord), NULL, L2_ERR_ARG, "%s: ord is NaN", op);
    /* no identity: torch refuses an empty reduction for the orders below 0 and +-inf */
    int rd[L2_MAX_DIMS], nrd;
    if (!vn_dims(op, x, dims, ndims, ord < 0 || isinf(ord), ord, rd, &nrd))
        return NULL;
    if (ord > 0) {
        l2__enter();
        l2_tensor *r = l2_norm(x, ord, nrd, rd, keepdim);
        l2__leave();
        return l2__ret(r);
    }
    /* 0, -inf and negative orders: computed without grad, then a node of our own */
    l2__enter();
    l2_no_grad_begin();
    l2_tensor *t[4] = {NULL};
    l2_tensor *r = NULL;
    if (ord == 0) {
        t[0] = l2_ne_scalar(x, 0.0);
        t[1] = t[0] ? l2_sum_dims(t[0], nrd, rd, keepdim) : NULL;
        r = t[1] ? l2_to_dtype(t[1], x->dtype) : NULL;
    } else {
        t[0] = l2_abs(x);
        if (isinf(ord)) {
            r = t[0] ? l2_amin(t[0], nrd, rd, keepdim) : NULL;
        } else {
            t[1] = t[0] ? l2_pow_scalar(t[0], ord) : NULL;
            t[2] = t[1] ? l2_sum_dims(t[1], nrd, rd, keepdim) : NULL;
            r = t[2] ? l2_pow_scalar(t[2], 1.0 / ord) : NULL;
        }
    }
    l2_no_grad_end();
    release_all(t, 4);
    l2__leave();
    if (!r || !l2__needs_grad(1, &x))
        return l2__ret(r);
    const l2_tensor *save[2] = {x, r};
    l2__node *node = l2__record_save(L2__OP_LINALG_VECTOR_NORM, r, 1, &x, 2, save);
    if (!node) {
        l2_tensor_release(r);
        return NULL;
    }
    node->f[0] = ord;
    node->i[0] = keepdim;
    node->i[1] = nrd;
    for (int k = 0; k < nrd; k++)
        node->i[2 + k] = rd[k];
    node->ni = 2 + nrd;
    return l2__ret(r);
}

/* The node's backward (torch 1.13's norm_backward, composed of differentiable ops) and its
 * create_graph twin: l2__norm_grad in linalg-lsq-cg.c. */

/* ---- matrix_norm ----------------------------------------------------------------------------- */

/* The orders of matrix_norm, parsed from their names: "fro", "nuc" or a number (strtod's
 * syntax: "1", "-2.0", "inf", "-inf") that is one of 1, -1, 2, -2, inf, -inf. */
typedef enum { MN_FRO, MN_NUC, MN_1, MN_M1, MN_2, MN_M2, MN_INF, MN_MINF, MN_BAD } mn_ord;

static mn_ord mn_parse(const char *ord)
{
    if (!ord || strcmp(ord, "fro") == 0)
        return MN_FRO;
    if (strcmp(ord, "nuc") == 0)
        return MN_NUC;
    char *end;
    double v = strtod(ord, &end);
    if (end == ord || *end != '\0')
        return MN_BAD;
    return v == 1 ? MN_1 : v == -1 ? MN_M1 : v == 2 ? MN_2 : v == -2 ? MN_M2
         : v == INFINITY ? MN_INF : v == -INFINITY ? MN_MINF : MN_BAD;
}

/* The singular-value norms as torch 1.13 composes them: A's dims d0, d1 moved last, its
 * singular values (l2_linalg_svdvals, differentiable), then their sum ('nuc'), largest (2) or
 * smallest (-2); keepdim puts size-1 dims back at d0 and d1. */
static l2_tensor *sv_norm(const l2_tensor *A, mn_ord o, int d0, int d1, bool keepdim)
{
    int perm[L2_MAX_DIMS], k = 0, last = -1;
    for (int d = 0; d < A->ndim; d++)
        if (d != d0 && d != d1)
            perm[k++] = d;
    perm[k++] = d0;
    perm[k++] = d1;
    l2_tensor *p = l2_permute(A, perm), *s = p ? l2_linalg_svdvals(p) : NULL;
    l2_tensor *r = !s              ? NULL
                   : o == MN_NUC ? l2_sum_dims(s, 1, &last, false)
                   : o == MN_2   ? l2_amax(s, 1, &last, false)
                                 : l2_amin(s, 1, &last, false);
    l2_tensor_release(p);
    l2_tensor_release(s);
    for (int j = 0; keepdim && r && j < 2; j++) {
        l2_tensor *u = l2_unsqueeze(r, j == 0 ? (d0 < d1 ? d0 : d1) : (d0 < d1 ? d1 : d0));
        l2_tensor_release(r);
        r = u;
    }
    return r;
}

/* matrix_norm over the two distinct wrapped dims d0, d1 of A (checked by the caller). */
static l2_tensor *mn_impl(const char *op, const l2_tensor *A, mn_ord o, int d0, int d1,
                          bool keepdim)
{
    if (o == MN_FRO) {
        int dd[2] = {d0, d1};
        return l2_linalg_vector_norm(A, 2.0, dd, 2, keepdim);
    }
    if (o == MN_NUC || o == MN_2 || o == MN_M2)
        return sv_norm(A, o, d0, d1, keepdim);
    /* torch 1.13: the 1-norm is the largest column sum (amax over d1 of the 1-norms over d0),
     * the inf-norm the 1-norm of the transpose; -1 and -inf take amin */
    if (o == MN_INF || o == MN_MINF) {
        int s = d0;
        d0 = d1;
        d1 = s;
    }
    if (!keepdim && d0 < d1)
        d1--;
    l2_tensor *v = l2_linalg_vector_norm(A, 1.0, &d0, 1, keepdim);
    bool mx = o == MN_1 || o == MN_INF;
    l2_tensor *r = v ? (mx ? l2_amax(v, 1, &d1, keepdim) : l2_amin(v, 1, &d1, keepdim)) : NULL;
    l2_tensor_release(v);
    return r;
}

/* The two dims of a matrix norm (NULL: -2, -1), wrapped and distinct; false (error set). */
static bool mn_dims(const char *op, const l2_tensor *A, const int *dims2, int *d0, int *d1)
{
    *d0 = l2__wrap_dim(op, dims2 ? dims2[0] : -2, A->ndim);
    *d1 = *d0 < 0 ? -1 : l2__wrap_dim(op, dims2 ? dims2[1] : -1, A->ndim);
    if (*d1 < 0)
        return false;
    L2__CHECK(*d0 != *d1, false, L2_ERR_ARG, "%s: dims must be different, got (%d, %d)", op,
              *d0, *d1);
    return true;
}

l2_tensor *l2_linalg_matrix_norm(const l2_tensor *A, const char *ord, const int *dims2,
                                 bool keepdim)
{
    const char *op = "linalg_matrix_norm";
    L2__CHECK_TN(A, NULL, op, "A");
    L2__CHECK(A->ndim >= 2, NULL, L2_ERR_DIM,
              "%s: the input tensor A must have at least 2 dimensions, got %d", op, A->ndim);
    L2__CHECK(l2__is_float(A->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected a floating point tensor as input, got %s", op,
              l2_dtype_name(A->dtype));
    mn_ord o = mn_parse(ord);
    L2__CHECK(o != MN_BAD, NULL, L2_ERR_ARG,
              "%s: order %s not supported (fro, nuc, 1, -1, 2, -2, inf, -inf)", op, ord);
    int d0, d1;
    if (!mn_dims(op, A, dims2, &d0, &d1))
        return NULL;
    l2__enter();
    l2_tensor *r = mn_impl(op, A, o, d0, d1, keepdim);
    l2__leave();
    return l2__ret(r);
}

/* ---- linalg_norm ----------------------------------------------------------------------------- */

/* A vector order from its text ("2", "0.5", "inf", "-inf", ...): false when the text is not a
 * number in strtod's syntax, or is NaN. */
static bool vec_ord(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && !isnan(*v);
}

l2_tensor *l2_linalg_norm(const l2_tensor *x, const char *ord, const int *dims, int ndims,
                          bool keepdim)
{
    const char *op = "linalg_norm";
    L2__CHECK_TN(x, NULL, op, "x");
    if (dims)
        L2__CHECK(ndims == 1 || ndims == 2, NULL, L2_ERR_ARG,
                  "%s: if dim is specified, it must be of length 1 or 2, got %d", op, ndims);
    else
        L2__CHECK(!ord || x->ndim == 1 || x->ndim == 2, NULL, L2_ERR_ARG,
                  "%s: if dim is not specified but ord is, the input must be 1D or 2D, got "
                  "%dD", op, x->ndim);
    /* torch 1.13's dispatch: a string order is always a matrix norm; a numeric one is when two
     * dims are given, or none and x is 2-D; no order is the 2-norm of the vectors (over every
     * element when no dims are given, the Frobenius norm for two dims) */
    bool str = ord && (strcmp(ord, "fro") == 0 || strcmp(ord, "nuc") == 0);
    bool matrix = str || (ord && (dims ? ndims == 2 : x->ndim == 2));
    static const int d01[2] = {0, 1};
    l2_tensor *r = NULL;
    double v = 2;
    l2__enter();
    /* matrix_norm's own checks in its order: the rank, the dtype, then the dims' count */
    if (matrix && dims && ndims != 2 && x->ndim < 2)
        l2__fail(L2_ERR_DIM, "%s: the input tensor A must have at least 2 dimensions, got %d",
                 op, x->ndim);
    else if (matrix && dims && ndims != 2 && !l2__is_float(x->dtype))
        l2__fail(L2_ERR_DTYPE, "%s: expected a floating point tensor as input, got %s", op,
                 l2_dtype_name(x->dtype));
    else if (matrix && dims && ndims != 2)
        l2__fail(L2_ERR_ARG, "%s: the matrix norm's dim must be a 2-tuple, got %d dims", op,
                 ndims);
    else if (matrix)
        r = l2_linalg_matrix_norm(x, ord, dims ? dims : d01, keepdim);
    else if (ord && !vec_ord(ord, &v))
        l2__fail(L2_ERR_ARG, "%s: order %s is not a vector norm's order (a number, inf or "
                 "-inf)", op, ord);
    else
        r = l2_linalg_vector_norm(x, v, dims, dims ? ndims : 0, keepdim);
    l2__leave();
    return l2__ret(r);
}
