/* where.c: the selecting and filling elementwise ops: where, masked_fill, fill_ and zero_,
 * each with its backward below it (the set_ node's backward too). Binary arithmetic is in
 * elementwise.c, unary ops in unary.c. */
#include "elementwise-impl.h"

#include <string.h>

#define ROW_ALL(N) {N##_f32, N##_f64, N##_i64, N##_b}

/* ---- where / masked_fill ------------------------------------------------------------------ */

/* where: out = c ? a : b */
/* The bool operand of where, the gradient masks and masked_fill is read as uint8_t (bool
 * storage holds only 0 and 1): GCC 12 vectorises the select from uint8_t but not from _Bool. */
#define WHERE_LOOP(NAME, T_) L2__EW_LOOP3(NAME, T_, uint8_t, T_, T_, c, x, y, c ? x : y)
WHERE_LOOP(where_f32, float)
WHERE_LOOP(where_f64, double)
WHERE_LOOP(where_i64, int64_t)
WHERE_LOOP(where_b, bool)
static const l2__loop_fn where_fn[L2_DTYPE_COUNT] = ROW_ALL(where);

l2_tensor *l2_where(const l2_tensor *cond, const l2_tensor *a, const l2_tensor *b)
{
    L2__HALF_ROUTE(l2_where(H_[0], H_[1], H_[2]), cond, a, b);
    const char *op = "where";
    L2__CHECK_T(cond, NULL, op);
    L2__CHECK_T(a, NULL, op);
    L2__CHECK_T(b, NULL, op);
    L2__CHECK(cond->dtype == L2_BOOL, NULL, L2_ERR_DTYPE,
              "%s: expected condition to be a bool tensor, got %s", op,
              l2_dtype_name(cond->dtype));
    int64_t sab[L2_MAX_DIMS], shape[L2_MAX_DIMS];
    int nab = l2__broadcast_shapes(op, a->ndim, a->shape, b->ndim, b->shape, sab);
    if (nab < 0)
        return NULL;
    int nd = l2__broadcast_shapes(op, cond->ndim, cond->shape, nab, sab, shape);
    if (nd < 0)
        return NULL;
    l2_dtype dt = l2__result_type(a, b);
    l2_tensor *ac = l2__ew_convert(op, a, dt), *bc = ac ? l2__ew_convert(op, b, dt) : NULL;
    /* laid out after cond and the converted a and b, as torch's where */
    l2_tensor *out = bc ? l2__new_like(op, nd, shape, dt, L2_DTYPE_COUNT, 3,
                                       (const l2_tensor *[]){cond, ac, bc})
                        : NULL;
    const l2_tensor *ins[2] = {a, b};
    if (out && l2__is_float(dt) && l2__needs_grad(2, ins) &&
        !l2__record_save(L2__OP_WHERE, out, 2, ins, 1, &cond)) {
        l2_tensor_release(out);
        out = NULL;
    }
    if (out) {
        const l2_tensor *args[3] = {cond, ac, bc};
        l2__ew_run(out, 3, args, where_fn[dt], NULL);
    }
    l2_tensor_release(ac);
    l2_tensor_release(bc);
    return l2__ret(out);
}

/* Gradient routed by a mask: gsel = m ? g : 0 (sel) or m ? 0 : g (unsel). */
L2__EW_LOOP2(gsel_f32, float, float, uint8_t, g, m, m ? g : (T)0)
L2__EW_LOOP2(gsel_f64, double, double, uint8_t, g, m, m ? g : (T)0)
L2__EW_LOOP2(gunsel_f32, float, float, uint8_t, g, m, m ? (T)0 : g)
L2__EW_LOOP2(gunsel_f64, double, double, uint8_t, g, m, m ? (T)0 : g)

/* g masked by the saved bool tensor: keep where the mask equals keep_true. */
static l2_tensor *masked_grad(const l2_tensor *g, const l2_tensor *mask, bool keep_true)
{
    const l2_tensor *ins[2] = {g, mask};
    l2_tensor *r = l2__new_like("backward", g->ndim, g->shape, g->dtype, L2_DTYPE_COUNT, 2, ins);
    if (!r)
        return NULL;
    bool d = g->dtype == L2_FLOAT64;
    l2__ew_run(r, 2, ins, keep_true ? (d ? gsel_f64 : gsel_f32) : (d ? gunsel_f64 : gunsel_f32),
               NULL);
    return r;
}

/* da = where(cond, g, 0), db = where(cond, 0, g) */
l2_status l2__where_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    for (int side = 0; side < 2; side++)
        if (l2__edge_of(n, side) && !(gin[side] = masked_grad(g, n->saved[0], side == 0)))
            return L2_ERR_NOMEM;
    return L2_OK;
}

/* masked_fill: out = m ? value : x */
L2__EW_LOOP2(mfill_f32, float, float, uint8_t, x, m, m ? (T)A : x)
L2__EW_LOOP2(mfill_f64, double, double, uint8_t, x, m, m ? (T)A : x)
L2__EW_LOOP2(mfill_i64, int64_t, int64_t, uint8_t, x, m, m ? IA : x)
L2__EW_LOOP2(mfill_b, bool, bool, bool, x, m, m ? (A != 0) : x)
static const l2__loop_fn mfill_fn[L2_DTYPE_COUNT] = ROW_ALL(mfill);

l2_tensor *l2_masked_fill(const l2_tensor *t, const l2_tensor *mask, double value)
{
    L2__HALF_ROUTE(l2_masked_fill(H_[0], H_[1], value), t, mask);
    const char *op = "masked_fill";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK_T(mask, NULL, op);
    L2__CHECK(mask->dtype == L2_BOOL, NULL, L2_ERR_DTYPE,
              "%s: only supports boolean masks, but got mask with dtype %s", op,
              l2_dtype_name(mask->dtype));
    int64_t shape[L2_MAX_DIMS];
    int nd = l2__broadcast_shapes(op, t->ndim, t->shape, mask->ndim, mask->shape, shape);
    if (nd < 0)
        return NULL;
    /* after the shapes, as torch: a shape mismatch is the error reported first */
    L2__CHECK(l2__is_float(t->dtype) || t->dtype == L2_BOOL ||
                  (value >= -9.2233720368547758e18 && value < 9.2233720368547758e18),
              NULL, L2_ERR_ARG, "%s: value %g cannot be converted to type int64 without "
              "overflow", op, value);
    l2_tensor *out = l2__new(op, nd, shape, t->dtype, false);
    if (out && l2__needs_grad(1, &t)) {
        l2__node *node = l2__record_save(L2__OP_MASKED_FILL, out, 1, &t, 1, &mask);
        if (!node) {
            l2_tensor_release(out);
            return NULL;
        }
    }
    if (out) {
        int64_t iv = 0;
        l2__store(&iv, L2_INT64, value);
        l2__ew_ctx c = {.a = value, .ia = iv};
        const l2_tensor *args[2] = {t, mask};
        l2__ew_run(out, 2, args, mfill_fn[t->dtype], &c);
    }
    return l2__ret(out);
}

/* dt = where(mask, 0, g) */
l2_status l2__masked_fill_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    gin[0] = masked_grad(g, n->saved[0], false);
    return gin[0] ? L2_OK : L2_ERR_NOMEM;
}

/* ---- fill_ / zero_ ------------------------------------------------------------------------ */

static l2_status fill_impl(const char *op, l2__op node_op, l2_tensor *t, double value)
{
    L2__CHECK_T(t, l2_last_status(), op);
    if (!l2__ew_check_inplace(op, t, t->dtype))
        return l2_last_status();
    /* The old history is cut: t's gradient no longer reaches its inputs (dt_old = 0). */
    const l2_tensor *in = t;
    if (l2__needs_grad(1, &in) && !l2__record(node_op, t, 1, &in))
        return l2_last_status();
    l2__ew_number nb;
    const l2_tensor *v = l2__ew_number_init(&nb, value, t->dtype);
    l2__fill_kernel(t, l2__data(v));
    l2__bump_version(t);
    return L2_OK;
}

/* fill_ and zero_ only store one value: bfloat16 / float16 pass the half gate (the value
 * rounded as l2_set rounds it; a half tensor never requires grad, so nothing is recorded). */
l2_status l2_fill_(l2_tensor *t, double value)
{
    l2__half_ok++;
    l2_status r = fill_impl("fill_", L2__OP_FILL_, t, value);
    l2__half_ok--;
    return r;
}

l2_status l2_zero_(l2_tensor *t)
{
    l2__half_ok++;
    l2_status r = fill_impl("zero_", L2__OP_ZERO_, t, 0);
    l2__half_ok--;
    return r;
}

/* dt_old = 0 */
l2_status l2__fill__backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    gin[0] = l2__new("backward", g->ndim, g->shape, g->dtype, true);
    return gin[0] ? L2_OK : L2_ERR_NOMEM;
}

/* l2_set on a tensor with history: dt_old = g with the written element (flat row-major index
 * i[0]) zeroed. */
l2_status l2__set__backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    l2_tensor *r = l2__new("backward", g->ndim, g->shape, g->dtype, false);
    if (!r)
        return L2_ERR_NOMEM;
    l2__copy_kernel(r, g);
    memset(l2__data(r) + n->i[0] * (int64_t)l2__esize(r->dtype), 0, l2__esize(r->dtype));
    gin[0] = r;
    return L2_OK;
}

/* dt_old = 0 */
l2_status l2__zero__backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return l2__fill__backward(n, g, gin);
}
