/* half-route.c: the half route (issue 16): ops that compute on bfloat16 / float16 tensors do it
 * as torch's CPU kernels do, in float32, rounding the result once to the half dtype. An op's
 * public wrapper calls L2__HALF_ROUTE (l2-impl.h) before its own checks: when its float operands
 * are all of one half dtype, they are converted to float32 (l2_to_dtype, recorded, so gradients
 * flow), the op runs on them, and its float32 result is converted back (recorded too). The
 * kernels and the backward functions therefore never see a half tensor. */
#include "autograd-impl.h"
#include "ops/elementwise-impl.h"

static bool live(const l2_tensor *t) { return t && t->magic == L2__MAGIC_LIVE; }

/* The half dtype of the float operands among in[0..n-1] of rank >= 1 (zero_dim false) or of rank
 * 0 (true): L2_DTYPE_COUNT when there is none, -1 (as l2_dtype) when one is float32 / float64 or
 * both half dtypes appear. */
static l2_dtype half_of(int n, const l2_tensor *const *in, bool zero_dim)
{
    l2_dtype h = L2_DTYPE_COUNT;
    for (int i = 0; i < n; i++) {
        const l2_tensor *t = in[i];
        if (!live(t) || (t->ndim == 0) != zero_dim || t->dtype == L2_INT64 || t->dtype == L2_BOOL)
            continue;
        if (!l2__is_half(t->dtype) || (h != L2_DTYPE_COUNT && h != t->dtype))
            return (l2_dtype)-1;
        h = t->dtype;
    }
    return h;
}

/* The half dtype a call on in[0..n-1] routes through, or L2_DTYPE_COUNT: torch.result_type's
 * rule for floats: the operands of rank >= 1 decide when one of them is a float (a 0-d float32
 * beside a bfloat16 vector gives bfloat16), else the 0-d ones; the call routes when those are
 * all of one half dtype (NULLs, int64 and bool operands aside). */
static l2_dtype route_dtype(int n, const l2_tensor *const *in)
{
    l2_dtype h = half_of(n, in, false);
    if (h == L2_DTYPE_COUNT)
        h = half_of(n, in, true);
    return h == (l2_dtype)-1 ? L2_DTYPE_COUNT : h;
}

int l2__half_up(int n, const l2_tensor *const *in, l2_tensor **up, l2_dtype *h)
{
    *h = route_dtype(n, in);
    if (*h == L2_DTYPE_COUNT)
        return 0;
    l2__enter();
    for (int i = 0; i < n; i++) {
        const l2_tensor *t = in[i];
        bool fl = live(t) && (l2__is_half(t->dtype) || l2__is_float(t->dtype));
        if (fl && t->dtype != *h && t->ndim == 0) { /* a 0-d float joins as the half, rounded */
            l2_tensor *r = l2_to_dtype(t, *h);
            up[i] = r ? l2_to_dtype(r, L2_FLOAT32) : NULL;
            l2_tensor_release(r);
        } else {
            up[i] = fl && t->dtype != L2_FLOAT32 ? l2_to_dtype(t, L2_FLOAT32) : (l2_tensor *)t;
            if (up[i] == t && t)
                l2_tensor_ref(up[i]);
        }
        if (t && !up[i]) {
            while (i-- > 0)
                l2_tensor_release(up[i]);
            l2__leave();
            return -1;
        }
    }
    return 1;
}

/* r rounded to h when it is float32; r itself otherwise (bool and int64 results). Consumes r. */
static l2_tensor *down(l2_tensor *r, l2_dtype h)
{
    if (!r || r->dtype != L2_FLOAT32)
        return r;
    l2_tensor *d = l2_to_dtype(r, h);
    l2_tensor_release(r);
    return d;
}

l2_tensor *l2__half_down(l2_tensor *r, l2_dtype h, int n, l2_tensor **up, l2_tensor **second)
{
    for (int i = 0; i < n; i++)
        l2_tensor_release(up[i]);
    l2_tensor *s = r && second ? *second : NULL; /* a failed op leaves *second to its contract */
    r = down(r, h);
    if (s) {
        s = r ? down(s, h) : (l2_tensor_release(s), NULL);
        if (!s) {
            l2_tensor_release(r);
            r = NULL;
        }
        *second = NULL;
    }
    l2__leave();
    if (s)
        *second = l2__ret(s);
    return l2__ret(r);
}

int l2__half_inplace(const char *op, int n, const l2_tensor *const *in)
{
    if (!live(in[0]) || !l2__is_half(in[0]->dtype) ||
        route_dtype(n, in) == L2_DTYPE_COUNT)
        return 0; /* not a half self, or another float dtype among the operands */
    bool grad = false;
    for (int i = 0; i < n; i++)
        grad = grad || (live(in[i]) && in[i]->requires_grad);
    L2__CHECK(!(grad && l2_is_grad_enabled()), -1, L2_ERR_UNSUPPORTED,
              "%s: an in-place operation on a %s tensor with an operand that requires grad is not "
              "supported (use the out-of-place op)", op, l2_dtype_name(in[0]->dtype));
    return l2__ew_check_inplace(op, in[0], in[0]->dtype) ? 1 : -1;
}

l2_status l2__half_assign(const char *op, l2_tensor *self, l2_tensor *r)
{
    if (!r)
        return l2_last_status();
    bool same = r->ndim == self->ndim && r->dtype == self->dtype;
    for (int i = 0; same && i < r->ndim; i++)
        same = r->shape[i] == self->shape[i];
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    if (!same) {
        l2__fail(L2_ERR_SHAPE, "%s: output with shape %s doesn't match the broadcast shape %s", op,
                 l2__shape_str(s1, self->ndim, self->shape), l2__shape_str(s2, r->ndim, r->shape));
        l2__release(r);
        return L2_ERR_SHAPE;
    }
    l2__copy_kernel(self, r);
    l2__bump_version(self);
    l2__release(r);
    return L2_OK;
}
