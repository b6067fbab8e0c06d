/* index-adv.c: advanced indexing of issue 14 (family adv): l2_index_tensors, torch's
 * x[i0, i1, ...] with int64 index tensors, bool masks and full slices (NULL). Composed of
 * public ops (permute, reshape, nonzero, index_select) run between l2__enter and l2__leave:
 * the advanced dims are brought together, flattened into one, and read with one index_select
 * by a linear index computed here; the gradient is index_select's (index_add into zeros, i.e.
 * index_put with accumulate=true). Serial, no fast paths. */
#include "../autograd-impl.h" /* l2__enter, l2__leave */
#include "adv-impl.h"

/* A contiguous int64 copy of t broadcast to (nd, shape). */
static l2_tensor *adv_bcast(const char *op, const l2_tensor *t, int nd, const int64_t *shape)
{
    int64_t st[L2_MAX_DIMS];
    int off = nd - t->ndim;
    for (int k = 0; k < nd; k++)
        st[k] = k < off || t->shape[k - off] != shape[k] ? 0 : t->stride[k - off];
    l2_tensor *v = l2__alias(t, nd, shape, st, t->offset);
    l2_tensor *c = v ? l2__new(op, nd, shape, t->dtype, false) : NULL;
    if (c)
        l2__copy_kernel(c, v);
    l2_tensor_release(v);
    return c;
}

/* Check the entries: dtypes, mask shapes, the number of dims consumed. */
bool l2__adv_check(const char *op, const l2_tensor *x, int n, const l2_tensor *const *ind)
{
    int used = 0;
    for (int i = 0; i < n; i++) {
        const l2_tensor *t = ind[i];
        if (!t) {
            used++;
            continue;
        }
        L2__CHECK_TN(t, false, op, "indices[i]");
        L2__CHECK(t->dtype == L2_INT64 || t->dtype == L2_BOOL, false, L2_ERR_DTYPE,
                  "%s: tensors used as indices must be long or bool tensors (index %d is %s)",
                  op, i, l2_dtype_name(t->dtype));
        if (t->dtype == L2_INT64) {
            used++;
            continue;
        }
        L2__CHECK(t->ndim > 0, false, L2_ERR_SHAPE, "%s: a 0-dimensional bool index (index %d)"
                  " is not supported", op, i);
        L2__CHECK(used + t->ndim <= x->ndim, false, L2_ERR_INDEX, "%s: too many indices for "
                  "tensor of dimension %d", op, x->ndim);
        for (int j = 0; j < t->ndim; j++)
            L2__CHECK(t->shape[j] == x->shape[used + j], false, L2_ERR_INDEX,
                      "%s: The shape of the mask at index %d (%lld) does not match the shape of "
                      "the indexed tensor (%lld) at index %d", op, j, (long long)t->shape[j],
                      (long long)x->shape[used + j], used + j);
        used += t->ndim;
    }
    L2__CHECK(used <= x->ndim, false, L2_ERR_INDEX, "%s: too many indices for tensor of "
              "dimension %d", op, x->ndim);
    return true;
}

/* The advanced entries as int64 tensors (masks expanded by nonzero) at dims pos[]; *m of them.
 * Owned references in idx[]. False on failure (all released). */
bool l2__adv_collect(int n, const l2_tensor *const *ind, int *m, int *pos, l2_tensor **idx)
{
    int used = 0;
    *m = 0;
    for (int i = 0; i < n; i++) {
        const l2_tensor *t = ind[i];
        if (!t) {
            used++;
        } else if (t->dtype == L2_INT64) {
            pos[*m] = used++;
            idx[(*m)++] = l2_reshape(t, t->ndim, t->shape);
            if (!idx[*m - 1])
                goto fail;
        } else {
            l2_tensor *nz = l2_nonzero(t);
            if (!nz)
                goto fail;
            for (int j = 0; j < t->ndim; j++) {
                pos[*m] = used++;
                idx[(*m)++] = l2_select(nz, 1, j);
                if (!idx[*m - 1]) {
                    l2_tensor_release(nz);
                    goto fail;
                }
            }
            l2_tensor_release(nz);
        }
    }
    return true;
fail:
    for (int k = 0; k < *m; k++)
        l2_tensor_release(idx[k]);
    *m = 0;
    return false;
}

/* The broadcast shape of the advanced entries. */
bool l2__adv_bshape(const char *op, int m, l2_tensor *const *idx, int *nb, int64_t *bshape)
{
    *nb = 0;
    for (int k = 0; k < m; k++) {
        int64_t tmp[L2_MAX_DIMS];
        int r = l2__broadcast_shapes(op, *nb, bshape, idx[k]->ndim, idx[k]->shape, tmp);
        if (r < 0)
            return false;
        *nb = r;
        for (int j = 0; j < r; j++)
            bshape[j] = tmp[j];
    }
    return true;
}

/* The row-major linear index over the advanced dims of x, shape (*nb, bshape). */
l2_tensor *l2__adv_linear(const char *op, const l2_tensor *x, int m, const int *pos,
                          l2_tensor *const *idx, int *nb, int64_t *bshape)
{
    if (!l2__adv_bshape(op, m, idx, nb, bshape))
        return NULL;
    l2_tensor *lin = l2__new(op, *nb, bshape, L2_INT64, true);
    if (!lin)
        return NULL;
    int64_t cnt = l2__numel(*nb, bshape), *out = (int64_t *)l2__data(lin);
    for (int k = 0; k < m; k++) {
        l2_tensor *c = adv_bcast(op, idx[k], *nb, bshape);
        if (!c) {
            l2_tensor_release(lin);
            return NULL;
        }
        const int64_t *v = (const int64_t *)l2__data(c);
        int64_t size = x->shape[pos[k]];
        for (int64_t e = 0; e < cnt; e++) {
            int64_t w = v[e];
            if (w < -size || w >= size) {
                l2__fail(L2_ERR_INDEX, "%s: index %lld is out of bounds for dimension %d with "
                         "size %lld", op, (long long)w, pos[k], (long long)size);
                l2_tensor_release(c);
                l2_tensor_release(lin);
                return NULL;
            }
            if (l2__fault("adv_nowrap") && w < 0)
                w = 0;
            out[e] = out[e] * size + (w < 0 ? w + size : w);
        }
        l2_tensor_release(c);
    }
    return lin;
}

bool l2__adv_layout(const char *op, const l2_tensor *x, int m, const int *pos, int nb,
                    const int64_t *bshape, l2__adv_lay *L)
{
    int nd = x->ndim;
    bool adjacent = true;
    L->base = pos[0];
    for (int k = 1; k < m; k++)
        adjacent = adjacent && pos[k] == pos[0] + k;
    if (adjacent) {
        for (int d = 0; d < nd; d++)
            L->perm[d] = d;
    } else {
        bool adv[L2_MAX_DIMS] = {false};
        int q = 0;
        for (int k = 0; k < m; k++) {
            L->perm[q++] = pos[k];
            adv[pos[k]] = true;
        }
        for (int d = 0; d < nd; d++)
            if (!adv[d])
                L->perm[q++] = d;
        L->base = 0;
    }
    L2__CHECK(nd - m + nb <= L2_MAX_DIMS, false, L2_ERR_SHAPE, "%s: the result would have %d "
              "dims (at most %d)", op, nd - m + nb, L2_MAX_DIMS);
    int64_t p = 1;
    L->nlin = l2__numel(nb, bshape);
    L->r = L->o = 0;
    for (int d = 0; d < nd; d++) {
        int64_t s = x->shape[L->perm[d]];
        L->pshape[d] = s;
        if (d >= L->base && d < L->base + m) {
            p *= s;
            if (d == L->base + m - 1) {
                L->rshape[L->r++] = p;
                for (int j = 0; j < nb; j++)
                    L->oshape[L->o++] = bshape[j];
            }
        } else {
            L->rshape[L->r++] = s;
            L->oshape[L->o++] = s;
        }
    }
    return true;
}

/* Read x at the linear index lin over the advanced dims pos[0..m). */
static l2_tensor *adv_read(const char *op, const l2_tensor *x, int m, const int *pos,
                           const l2_tensor *lin)
{
    l2__adv_lay L;
    if (!l2__adv_layout(op, x, m, pos, lin->ndim, lin->shape, &L))
        return NULL;
    l2_tensor *xp = l2_permute(x, L.perm);
    l2_tensor *xr = xp ? l2_reshape(xp, L.r, L.rshape) : NULL;
    l2_tensor *l1 = xr ? l2_reshape(lin, 1, &L.nlin) : NULL;
    l2_tensor *sel = l1 ? l2_index_select(xr, L.base, l1) : NULL;
    l2_tensor *res = sel ? l2_reshape(sel, L.o, L.oshape) : NULL;
    l2_tensor_release(xp);
    l2_tensor_release(xr);
    l2_tensor_release(l1);
    l2_tensor_release(sel);
    return res;
}

l2_tensor *l2_index_tensors(const l2_tensor *x, int n, const l2_tensor *const *indices)
{
    const char *op = "index";
    L2__CHECK_T(x, NULL, op);
    L2__CHECK(n >= 0, NULL, L2_ERR_ARG, "%s: n must be >= 0 (got %d)", op, n);
    L2__CHECK(n == 0 || indices, NULL, L2_ERR_NULL, "%s: argument 'indices' is NULL", op);
    L2__CHECK(n <= L2_MAX_DIMS, NULL, L2_ERR_INDEX, "%s: too many indices for tensor of "
              "dimension %d", op, x->ndim);
    if (!l2__adv_check(op, x, n, indices))
        return NULL;
    int m, pos[L2_MAX_DIMS], nb;
    int64_t bshape[L2_MAX_DIMS];
    l2_tensor *idx[L2_MAX_DIMS], *r = NULL;
    l2__enter();
    if (l2__adv_collect(n, indices, &m, pos, idx)) {
        if (m == 0) {
            r = l2_reshape(x, x->ndim, x->shape);
        } else {
            l2_tensor *lin = l2__adv_linear(op, x, m, pos, idx, &nb, bshape);
            r = lin ? adv_read(op, x, m, pos, lin) : NULL;
            l2_tensor_release(lin);
        }
        for (int k = 0; k < m; k++)
            l2_tensor_release(idx[k]);
    }
    l2__leave();
    return l2__ret(r);
}
