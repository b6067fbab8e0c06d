/* access.c: element access: l2_get, l2_get_int64, l2_set and l2_item, the internal element
 * pointer and flat-index reads, and the in-place write check (l2__check_inplace). */
#include "autograd-impl.h"

char *l2__elem_ptr(const l2_tensor *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int i = 0; i < t->ndim; i++)
        off += idx[i] * t->stride[i];
    return l2__data(t) + off * (int64_t)l2__esize(t->dtype);
}

double l2__get_flat(const l2_tensor *t, int64_t flat)
{
    int64_t off = 0;
    for (int i = t->ndim - 1; i >= 0; i--) {
        int64_t k = flat % t->shape[i];
        flat /= t->shape[i];
        off += k * t->stride[i];
    }
    return l2__load(l2__data(t) + off * (int64_t)l2__esize(t->dtype), t->dtype);
}

/* Resolve idx (negatives from the end) into a pointer; NULL with the error set. */
static char *checked_elem(const char *op, const l2_tensor *t, const int64_t *idx)
{
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(t->ndim == 0 || idx != NULL, NULL, L2_ERR_NULL, "%s: idx is NULL", op);
    int64_t k[L2_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) {
        k[i] = idx[i] < 0 ? idx[i] + t->shape[i] : idx[i];
        L2__CHECK(k[i] >= 0 && k[i] < t->shape[i], NULL, L2_ERR_INDEX,
                  "%s: index %lld is out of bounds for dim %d with size %lld", op,
                  (long long)idx[i], i, (long long)t->shape[i]);
    }
    return l2__elem_ptr(t, k);
}

static l2_status half_get(const l2_tensor *t, const int64_t *idx, double *out)
{
    L2__CHECK_ST(out != NULL, L2_ERR_NULL, "get: out is NULL");
    char *p = checked_elem("get", t, idx);
    if (!p)
        return l2_last_status();
    *out = l2__load(p, t->dtype);
    return L2_OK;
}

/* issue 16: l2_get accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_status l2_get(const l2_tensor *t, const int64_t *idx, double *out)
{
    l2__half_ok++;
    l2_status r = half_get(t, idx, out);
    l2__half_ok--;
    return r;
}

l2_status l2_get_int64(const l2_tensor *t, const int64_t *idx, int64_t *out)
{
    L2__CHECK_ST(out != NULL, L2_ERR_NULL, "get_int64: out is NULL");
    L2__CHECK_ST(!t || t->dtype == L2_INT64, L2_ERR_DTYPE, "get_int64: tensor is %s, not int64",
              l2_dtype_name(t->dtype));
    char *p = checked_elem("get_int64", t, idx);
    if (!p)
        return l2_last_status();
    *out = *(int64_t *)p;
    return L2_OK;
}

bool l2__check_inplace(const char *op, const l2_tensor *t)
{
    if (!t->requires_grad || !l2_is_grad_enabled())
        return true;
    L2__CHECK(t->grad_fn, false, L2_ERR_AUTOGRAD,
              "%s: a leaf tensor that requires grad is being used in an in-place operation", op);
    if (!t->is_view)
        return true;
    /* Walk back through view ops: a view of a leaf is torch's error; a view of a non-leaf is
     * libl2's limitation (no CopySlices). */
    const l2__node *n = t->grad_fn;
    while (n && (n->op == L2__OP_VIEW || n->op == L2__OP_PERMUTE || n->op == L2__OP_EXPAND ||
                 n->op == L2__OP_SLICE || n->op == L2__OP_SELECT || n->op == L2__OP_AS_STRIDED)) {
        L2__CHECK(!n->next[0].leaf, false, L2_ERR_AUTOGRAD,
                  "%s: a view of a leaf tensor that requires grad is being used in an in-place "
                  "operation", op);
        n = n->next[0].fn;
    }
    return l2__fail(L2_ERR_UNSUPPORTED,
                    "%s: in-place operation on a view of a tensor that requires grad is not "
                    "supported (clone the view first, or write under l2_no_grad_begin)", op),
           false;
}

static l2_status half_set(l2_tensor *t, const int64_t *idx, double value)
{
    char *p = checked_elem("set", t, idx);
    if (!p)
        return l2_last_status();
    if (!l2__check_inplace("set", t))
        return l2_last_status();
    /* On a tensor with history the written element's gradient is cut (torch's CopySlices). */
    const l2_tensor *in = t;
    if (l2__needs_grad(1, &in)) {
        l2__node *node = l2__record(L2__OP_SET_, t, 1, &in);
        if (!node)
            return l2_last_status();
        int64_t flat = 0;
        for (int i = 0; i < t->ndim; i++)
            flat = flat * t->shape[i] + (idx[i] < 0 ? idx[i] + t->shape[i] : idx[i]);
        node->i[0] = flat;
        node->ni = 1;
    }
    l2__store(p, t->dtype, value);
    l2__bump_version(t);
    return L2_OK;
}

/* issue 16: l2_set accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_status l2_set(l2_tensor *t, const int64_t *idx, double value)
{
    l2__half_ok++;
    l2_status r = half_set(t, idx, value);
    l2__half_ok--;
    return r;
}

static l2_status half_item(const l2_tensor *t, double *out)
{
    L2__CHECK_T(t, l2_last_status(), "item");
    L2__CHECK_ST(out != NULL, L2_ERR_NULL, "item: out is NULL");
    int64_t n = l2__numel(t->ndim, t->shape);
    L2__CHECK_ST(n == 1, L2_ERR_SHAPE, "item: a tensor with %lld elements cannot be converted to a "
              "scalar", (long long)n);
    *out = l2__load(l2__data(t), t->dtype);
    return L2_OK;
}

/* issue 16: l2_item accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_status l2_item(const l2_tensor *t, double *out)
{
    l2__half_ok++;
    l2_status r = half_item(t, out);
    l2__half_ok--;
    return r;
}
