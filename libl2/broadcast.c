/* broadcast.c: numpy/PyTorch broadcasting of shapes, and torch.result_type's promotion rules.
 * Every binary op goes through these two functions. */
#include "l2-impl.h"

int l2__broadcast_shapes(const char *op, int na, const int64_t *a, int nb, const int64_t *b,
                         int64_t *out)
{
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int ia = na - n + i, ib = nb - n + i;
        int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1) {
            char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
            l2__fail(L2_ERR_SHAPE, "%s: shapes %s and %s cannot broadcast (%lld vs %lld in dim %d)",
                     op, l2__shape_str(s1, na, a), l2__shape_str(s2, nb, b), (long long)sa,
                     (long long)sb, i);
            return -1;
        }
        out[i] = sa == 1 ? sb : sa;
    }
    return n;
}

/* Categories: bool 0, integer 1, floating 2. */
static int category(l2_dtype dt) { return dt == L2_BOOL ? 0 : dt == L2_INT64 ? 1 : 2; }

l2_dtype l2__promote(l2_dtype a, l2_dtype b)
{
    if (a == b)
        return a;
    if (a == L2_FLOAT64 || b == L2_FLOAT64)
        return L2_FLOAT64;
    if (a == L2_FLOAT32 || b == L2_FLOAT32)
        return L2_FLOAT32;
    if (l2__is_half(a) && l2__is_half(b)) /* bfloat16 with float16: float32, as torch */
        return L2_FLOAT32;
    if (l2__is_half(a) || l2__is_half(b)) /* a half with int64 or bool keeps the half */
        return l2__is_half(a) ? a : b;
    return L2_INT64; /* int64 with bool */
}

l2_dtype l2__result_type(const l2_tensor *a, const l2_tensor *b)
{
    bool da = a->ndim > 0, db = b->ndim > 0;
    if (da == db)
        return l2__promote(a->dtype, b->dtype);
    /* One dimensioned, one 0-d: the 0-d operand only matters if its category is higher. */
    const l2_tensor *dim = da ? a : b, *zero = da ? b : a;
    if (category(zero->dtype) > category(dim->dtype))
        return l2__promote(dim->dtype, zero->dtype);
    return dim->dtype;
}

l2_dtype l2__result_type_scalar(const l2_tensor *t, bool scalar_is_float)
{
    int c = scalar_is_float ? 2 : 1;
    if (c > category(t->dtype))
        return c == 2 ? L2_FLOAT32 : L2_INT64;
    return t->dtype;
}
