/* elementwise.c: binary elementwise ops with broadcasting and torch's type promotion
 * (arithmetic, pow, maximum/minimum, atan2, fmod/remainder, comparisons, logical ops), their
 * tensor-number forms and their in-place forms, each with its backward below it. All binary
 * ops share one driver (binary()) over the strided iterator; unary ops live in unary.c; where,
 * masked_fill, fill_ and zero_ in where.c. Views of in-place results are not rebased (no
 * CopySlices). */
#include "elementwise-impl.h"

#include <stdio.h>
#include <tgmath.h>

/* ---- helpers shared with unary.c ---------------------------------------------------------- */

void l2__ew_bview(l2_tensor *v, const l2_tensor *t, int nd, const int64_t *shape)
{
    memcpy(v, t, sizeof *v);
    v->ndim = nd;
    for (int i = 0; i < nd; i++) {
        int j = i - (nd - t->ndim);
        v->shape[i] = shape[i];
        v->stride[i] = (j < 0 || t->shape[j] != shape[i]) ? 0 : t->stride[j];
    }
}

/* Two-dim iterations on one thread (issue 12, bcast): an operand broadcast along the rows
 * (stride 0) keeps the iterator from coalescing them, so each row is one loop call; walk the
 * rows with one pointer add per operand instead of l2__iter_run_range's multi-index. False,
 * nothing done, for other dims, for mixed layouts (l2__iter_run tiles them) and for work that
 * l2__iter_run splits across threads. */
static bool ew_rows(const l2__iter *it, l2__loop_fn fn, void *ctx)
{
    if (it->ndim != 2 || l2__threads_grain(it->numel, it->grain) > 1)
        return false;
    for (int k = 0; k < it->nops; k++) {
        int64_t s1 = it->stride[k][1], s0 = it->stride[k][0];
        s1 = s1 < 0 ? -s1 : s1;
        s0 = s0 < 0 ? -s0 : s0;
        if (s1 != 0 && s0 != 0 && s0 < s1)
            return false;
    }
    char *row[L2__MAX_OPERANDS], *ptr[L2__MAX_OPERANDS];
    int64_t step[L2__MAX_OPERANDS];
    for (int k = 0; k < it->nops; k++) {
        row[k] = it->data[k];
        step[k] = it->stride[k][1];
    }
    /* mutation test: the last row is left out */
    const int64_t R = it->shape[0] - (l2__fault("ew_rows") ? 1 : 0), n = it->shape[1];
    for (int64_t r = 0; r < R; r++) {
        for (int k = 0; k < it->nops; k++) {
            ptr[k] = row[k];
            row[k] += it->stride[k][0];
        }
        fn(n, ptr, step, ctx);
    }
    return true;
}

void l2__ew_run(l2_tensor *out, int n, const l2_tensor *const *in, l2__loop_fn fn,
                const l2__ew_ctx *ctx)
{
    l2_tensor v[L2__MAX_OPERANDS - 1], o;
    if (l2__fault("inplace_contig")) { /* mutation test: an in-place output written as if */
        o = *out;                      /* it were contiguous (fresh outputs already are) */
        l2__contiguous_strides(o.ndim, o.shape, o.stride);
        out = &o;
    }
    if (l2__fault("layout_follow") && !l2__is_contiguous(out)) {
        o = *out; /* mutation test: an output laid out after its inputs written as contiguous */
        l2__contiguous_strides(o.ndim, o.shape, o.stride);
        out = &o;
    }
    const l2_tensor *ops[L2__MAX_OPERANDS] = {out};
    for (int k = 0; k < n; k++) {
        l2__ew_bview(&v[k], in[k], out->ndim, out->shape);
        ops[k + 1] = &v[k];
    }
    l2__iter it;
    l2__iter_init(&it, n + 1, ops);
    if (ctx && ctx->grain > 0) /* threads area: the op class's grain */
        it.grain = ctx->grain;
    static const l2__ew_ctx none = {0};
    void *c = (void *)(ctx ? ctx : &none);
    if (!ew_rows(&it, fn, c))
        l2__iter_run(&it, fn, c);
}

l2_tensor *l2__ew_convert(const char *op, const l2_tensor *t, l2_dtype dt)
{
    if (t->dtype == dt)
        return l2_tensor_ref((l2_tensor *)t);
    l2_tensor *r = l2__new_like(op, t->ndim, t->shape, dt, L2_DTYPE_COUNT, 1, &t);
    if (r)
        l2__copy_kernel(r, t);
    return r;
}

l2_tensor *l2__ew_fresh(const char *op, const l2_tensor *t)
{
    l2_tensor *r = l2__new(op, t->ndim, t->shape, t->dtype, false);
    if (r)
        l2__copy_kernel(r, t);
    return r;
}

/* Categories: bool 0, integer 1, floating 2. */
static int category(l2_dtype dt) { return dt == L2_BOOL ? 0 : dt == L2_INT64 ? 1 : 2; }

bool l2__ew_can_cast(l2_dtype from, l2_dtype to) { return category(from) <= category(to); }

/* True for the view ops, whose output shares its input's storage. */
static bool is_view_op(l2__op op)
{
    return op == L2__OP_VIEW || op == L2__OP_PERMUTE || op == L2__OP_EXPAND ||
           op == L2__OP_SLICE || op == L2__OP_SELECT || op == L2__OP_AS_STRIDED;
}

bool l2__ew_check_inplace(const char *op, const l2_tensor *self, l2_dtype result)
{
    if (!l2__check_inplace(op, self))
        return false;
    /* A view of a leaf that requires grad: writing would change the leaf behind autograd's
     * back. Follow the chain of view nodes down to the storage's leaf, as torch does. */
    for (const l2__node *n = l2_is_grad_enabled() ? self->grad_fn : NULL;
         n && is_view_op(n->op); n = n->next[0].fn)
        L2__CHECK(!(n->next[0].leaf && n->next[0].leaf->storage == self->storage), false,
                  L2_ERR_AUTOGRAD, "%s: a view of a leaf tensor that requires grad is being used "
                  "in an in-place operation", op);
    for (int i = 0; i < self->ndim; i++)
        L2__CHECK(self->stride[i] != 0 || self->shape[i] <= 1, false, L2_ERR_ARG,
                  "%s: unsupported operation: more than one element of the written-to tensor "
                  "refers to a single memory location (dim %d has stride 0); clone it first",
                  op, i);
    L2__CHECK(l2__ew_can_cast(result, self->dtype), false, L2_ERR_DTYPE,
              "%s: result type %s can't be cast to the desired output type %s", op,
              l2_dtype_name(result), l2_dtype_name(self->dtype));
    return true;
}

/* ---- numbers as operands ------------------------------------------------------------------ */

/* True for a number torch would treat as an integer (a Python int): integral and within int64. */
static bool integral(double s) { return isfinite(s) && s == floor(s) && fabs(s) < 9.2e18; }

/* A new 0-d tensor holding value (backward only). */
static l2_tensor *scalar_tensor(double value, l2_dtype dt)
{
    l2_tensor *t = l2__new("backward", 0, NULL, dt, false);
    if (t)
        l2__store(l2__data(t), dt, value);
    return t;
}

/* ---- binary loops ------------------------------------------------------------------------- */

enum {
    B_ADD, /* also add_alpha; sub is add with alpha -1 for the gradient */
    B_SUB,
    B_MUL,
    B_DIV,
    B_POW,
    B_MAX,
    B_MIN,
    B_ATAN2,
    B_FMOD,
    B_REM,
    B_EQ,
    B_NE,
    B_LT,
    B_LE,
    B_GT,
    B_GE,
    B_AND,
    B_OR,
    B_XOR,
    B_COUNT
};

/* How an op picks its dtypes: ARITH computes in the promoted dtype; FLOAT also turns integer
 * results into float32 (div, atan2); CMP computes in the promoted dtype and returns bool;
 * LOGIC computes on bools. */
enum { K_ARITH, K_FLOAT, K_CMP, K_LOGIC };

#define U64(v) ((uint64_t)(v))

/* Integer power with wrap-around; negative exponents give 0 unless the base is 1 or -1. */
static inline int64_t ipow(int64_t b, int64_t e)
{
    if (e < 0)
        return b == 1 ? 1 : b == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, x = U64(b);
    while (e) {
        if (e & 1)
            r *= x;
        x *= x;
        e >>= 1;
    }
    return (int64_t)r;
}

/* torch.remainder: the result takes the sign of the divisor. */
#define REM_F(x, y)                                                                          \
    (fmod(x, y) != 0 && ((y) < 0) != (fmod(x, y) < 0) ? fmod(x, y) + (y) : fmod(x, y))

#define LOOPS_F(NAME, EXPR)                                                                  \
    L2__EW_LOOP2(NAME##_f32, float, float, float, x, y, EXPR)                                \
    L2__EW_LOOP2(NAME##_f64, double, double, double, x, y, EXPR)
#define LOOP_I(NAME, EXPR) L2__EW_LOOP2(NAME##_i64, int64_t, int64_t, int64_t, x, y, EXPR)
#define LOOP_B(NAME, EXPR) L2__EW_LOOP2(NAME##_b, bool, bool, bool, x, y, EXPR)
#define LOOPS_CMP(NAME, EXPR)                                                                \
    L2__EW_LOOP2(NAME##_f32, bool, float, float, x, y, EXPR)                                 \
    L2__EW_LOOP2(NAME##_f64, bool, double, double, x, y, EXPR)                               \
    L2__EW_LOOP2(NAME##_i64, bool, int64_t, int64_t, x, y, EXPR)                             \
    L2__EW_LOOP2(NAME##_b, bool, bool, bool, x, y, EXPR)

LOOPS_F(add, x + y)
LOOP_I(add, (int64_t)(U64(x) + U64(y)))
LOOP_B(add, x | y)
LOOPS_F(axpy, x + (T)A * y)
LOOP_I(axpy, (int64_t)(U64(x) + U64(IA) * U64(y)))
LOOP_B(axpy, x | (y & (A != 0)))
LOOPS_F(sub, x - y)
LOOP_I(sub, (int64_t)(U64(x) - U64(y)))
LOOPS_F(mul, x * y)
LOOP_I(mul, (int64_t)(U64(x) * U64(y)))
LOOP_B(mul, x & y)
LOOPS_F(div, x / y)
LOOPS_F(pow, pow(x, y))
/* torch's pow(tensor, number): the exponents 2, 3, -2, 0.5, -0.5 and -1 are computed as x*x,
 * x*x*x, 1/(x*x), sqrt, 1/sqrt and 1/x, so pow(-inf, 0.5) is NaN and pow(-0.0, -0.5) is -inf as
 * in torch (C's pow gives +inf for both); other exponents go through pow. */
#define POW_NUMBER(T, x, e)                                                                  \
    ((e) == 2 ? (x) * (x)                                                                    \
     : (e) == 3 ? (x) * (x) * (x)                                                            \
     : (e) == -2 ? (T)1 / ((x) * (x))                                                        \
     : (e) == (T)0.5 ? (T)sqrt(x)                                                            \
     : (e) == (T)-0.5 ? (T)1 / (T)sqrt(x)                                                    \
     : (e) == -1 ? (T)1 / (x)                                                                \
                 : (T)pow(x, e))
LOOPS_F(pown, POW_NUMBER(T, x, y))
LOOP_I(pow, ipow(x, y))
/* maximum/minimum propagate NaN from either side. */
LOOPS_F(max, (x > y || x != x) ? x : y)
LOOP_I(max, x > y ? x : y)
LOOP_B(max, x | y)
LOOPS_F(min, (x < y || x != x) ? x : y)
LOOP_I(min, x < y ? x : y)
LOOP_B(min, x & y)
LOOPS_F(atan2, atan2(x, y))
LOOPS_F(fmod, fmod(x, y))
LOOP_I(fmod, y == -1 ? 0 : x % y) /* y != 0 was checked; -1 avoids INT64_MIN % -1 */
LOOPS_F(rem, REM_F(x, y))
LOOP_I(rem, y == -1 ? 0 : (x % y != 0 && ((x % y < 0) != (y < 0)) ? x % y + y : x % y))
LOOPS_CMP(eq, x == y)
LOOPS_CMP(ne, x != y)
LOOPS_CMP(lt, x < y)
LOOPS_CMP(le, x <= y)
LOOPS_CMP(gt, x > y)
LOOPS_CMP(ge, x >= y)
LOOP_B(and, x & y)
LOOP_B(or, x | y)
LOOP_B(xor, x ^ y)

#define ROW_ALL(N) {N##_f32, N##_f64, N##_i64, N##_b}
#define ROW_NUM(N) {N##_f32, N##_f64, N##_i64, NULL}
#define ROW_FLT(N) {N##_f32, N##_f64, NULL, NULL}
#define ROW_BOOL(N) {NULL, NULL, NULL, N##_b}

static const struct {
    const char *name, *iname; /* out-of-place and in-place names */
    int kind;
    int node; /* -1: not differentiable */
    l2__loop_fn fn[L2_DTYPE_COUNT];
} binfo[B_COUNT] = {
    [B_ADD] = {"add", "add_", K_ARITH, L2__OP_ADD, ROW_ALL(add)},
    [B_SUB] = {"sub", "sub_", K_ARITH, L2__OP_SUB, ROW_NUM(sub)},
    [B_MUL] = {"mul", "mul_", K_ARITH, L2__OP_MUL, ROW_ALL(mul)},
    [B_DIV] = {"div", "div_", K_FLOAT, L2__OP_DIV, ROW_FLT(div)},
    [B_POW] = {"pow", "pow_", K_ARITH, L2__OP_POW, ROW_NUM(pow)},
    [B_MAX] = {"maximum", "maximum_", K_ARITH, L2__OP_MAXIMUM, ROW_ALL(max)},
    [B_MIN] = {"minimum", "minimum_", K_ARITH, L2__OP_MINIMUM, ROW_ALL(min)},
    [B_ATAN2] = {"atan2", "atan2_", K_FLOAT, L2__OP_ATAN2, ROW_FLT(atan2)},
    [B_FMOD] = {"fmod", "fmod_", K_ARITH, L2__OP_FMOD, ROW_NUM(fmod)},
    [B_REM] = {"remainder", "remainder_", K_ARITH, L2__OP_REMAINDER, ROW_NUM(rem)},
    [B_EQ] = {"eq", "eq_", K_CMP, -1, ROW_ALL(eq)},
    [B_NE] = {"ne", "ne_", K_CMP, -1, ROW_ALL(ne)},
    [B_LT] = {"lt", "lt_", K_CMP, -1, ROW_ALL(lt)},
    [B_LE] = {"le", "le_", K_CMP, -1, ROW_ALL(le)},
    [B_GT] = {"gt", "gt_", K_CMP, -1, ROW_ALL(gt)},
    [B_GE] = {"ge", "ge_", K_CMP, -1, ROW_ALL(ge)},
    [B_AND] = {"logical_and", "logical_and_", K_LOGIC, -1, ROW_BOOL(and)},
    [B_OR] = {"logical_or", "logical_or_", K_LOGIC, -1, ROW_BOOL(or)},
    [B_XOR] = {"logical_xor", "logical_xor_", K_LOGIC, -1, ROW_BOOL(xor)},
};

static const l2__loop_fn axpy_fn[L2_DTYPE_COUNT] = ROW_ALL(axpy);

/* Scan for a zero divisor (integer fmod/remainder): torch raises ZeroDivisionError. */
static void zero_scan(int64_t n, char **p, const int64_t *s, void *ctx)
{
    bool *found = ctx;
    for (int64_t i = 0; i < n && !*found; i++)
        if (l2__load(p[0] + i * s[0], L2_INT64) == 0)
            *found = true;
}

/* ---- the binary driver -------------------------------------------------------------------- */

/* One side of a binary op: a tensor, or a number (t NULL) with torch's Python-scalar rules. */
typedef struct {
    const l2_tensor *t;
    double s;
} arg;

static l2_dtype compute_dtype(int k, arg a, arg b)
{
    l2_dtype rt;
    if (binfo[k].kind == K_LOGIC)
        return L2_BOOL;
    if (a.t && b.t)
        rt = l2__result_type(a.t, b.t);
    else if (a.t)
        rt = l2__result_type_scalar(a.t, !integral(b.s));
    else
        rt = l2__result_type_scalar(b.t, !integral(a.s));
    if (binfo[k].kind == K_FLOAT && !l2__is_float(rt))
        rt = L2_FLOAT32;
    return rt;
}

/* What backward needs saved, per op: bit 0 a, bit 1 b, given which inputs need a gradient. */
static int save_mask(int k, bool ga, bool gb)
{
    switch (k) {
    case B_MUL: return (gb ? 1 : 0) | (ga ? 2 : 0);
    case B_DIV: return (gb ? 1 : 0) | 2;
    case B_POW: case B_MAX: case B_MIN: case B_ATAN2: return 3;
    case B_FMOD: case B_REM: return gb ? 3 : 0;
    default: return 0;
    }
}

/* out = a (op) b with broadcasting and promotion; alpha scales b for add/sub. With self set
 * (== a.t), writes the result into self in place and returns self (borrowed) instead. */
static l2_tensor *binary(int k, arg a, arg b, double alpha, l2_tensor *self)
{
    const char *op = self ? binfo[k].iname : binfo[k].name;
    l2_dtype ct = compute_dtype(k, a, b);
    l2_dtype od = (binfo[k].kind == K_CMP || binfo[k].kind == K_LOGIC) ? L2_BOOL : ct;
    l2__loop_fn fn = binfo[k].fn[ct];
    if (k == B_ADD && alpha != 1)
        fn = axpy_fn[ct];
    if (k == B_POW && !b.t && l2__is_float(ct))
        fn = ct == L2_FLOAT32 ? pown_f32 : pown_f64;
    bool abool = a.t && a.t->dtype == L2_BOOL, bbool = b.t && b.t->dtype == L2_BOOL;
    L2__CHECK(!(k == B_SUB && abool && bbool), NULL, L2_ERR_DTYPE,
              "%s: subtraction, the `-` operator, with two bool tensors is not supported; use "
              "l2_logical_xor", op);
    L2__CHECK(!(k == B_SUB && (abool || bbool)), NULL, L2_ERR_DTYPE,
              "%s: subtraction, the `-` operator, with a bool tensor is not supported; to invert "
              "a mask use l2_logical_not", op);
    L2__CHECK(fn, NULL, L2_ERR_DTYPE, "%s: not implemented for '%s'", op, l2_dtype_name(ct));
    L2__CHECK(l2__is_float(ct) || alpha == 1 || integral(alpha), NULL,
              L2_ERR_ARG, "%s: for integral input tensors, argument alpha must not be a floating "
              "point number (got %g)", op, alpha);
    L2__CHECK(!(k == B_POW && ct == L2_INT64 && !b.t && b.s < 0), NULL, L2_ERR_ARG,
              "%s: integers to negative integer powers are not allowed (exponent %g)", op, b.s);

    static const int64_t none[1] = {0};
    int64_t shape[L2_MAX_DIMS];
    int nd = l2__broadcast_shapes(op, a.t ? a.t->ndim : 0, a.t ? a.t->shape : none,
                                  b.t ? b.t->ndim : 0, b.t ? b.t->shape : none, shape);
    if (nd < 0)
        return NULL;
    if (self) {
        bool same = nd == self->ndim;
        for (int i = 0; same && i < nd; i++)
            same = shape[i] == self->shape[i];
        char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
        L2__CHECK(same, NULL, L2_ERR_SHAPE, "%s: output with shape %s doesn't match the "
                  "broadcast shape %s", op, l2__shape_str(s1, self->ndim, self->shape),
                  l2__shape_str(s2, nd, shape));
        if (!l2__ew_check_inplace(op, self, od))
            return NULL;
        /* A view taking in an operand that requires grad: its base would not see the gradient
         * (no CopySlices), so refuse as copy_ does rather than lose it silently. */
        L2__CHECK(!(self->is_view && b.t && b.t->requires_grad && l2_is_grad_enabled() &&
                    binfo[k].node >= 0 && l2__is_float(od)), NULL, L2_ERR_UNSUPPORTED,
                  "%s: an in-place operation on a view with an operand that requires grad is "
                  "not supported (its base would not see the gradient); clone the view first",
                  op);
    }
    /* torch raises only when a zero divisor is used: never for an empty result */
    if ((k == B_FMOD || k == B_REM) && ct == L2_INT64 && l2__numel(nd, shape) > 0) {
        bool zero = !b.t && b.s == 0;
        if (b.t) {
            l2__iter it;
            l2_tensor *bi = l2__ew_convert(op, b.t, L2_INT64);
            if (!bi)
                return NULL;
            const l2_tensor *ops[1] = {bi};
            l2__iter_init(&it, 1, ops);
            l2__iter_run_range(&it, 0, it.numel, zero_scan, &zero);
            l2_tensor_release(bi);
        }
        L2__CHECK(!zero, NULL, L2_ERR_ARG, "%s: ZeroDivisionError (integer division by zero)", op);
    }

    /* Allocate everything, then record, then compute: nothing below the allocations fails. */
    l2__ew_number na, nb;
    l2_tensor *ac = NULL, *bc = NULL, *out = NULL, *old = NULL;
    /* The output first: a result too large to hold fails before the operands are converted. */
    if (!self || od != self->dtype)
        if (!(out = l2__new_like(op, nd, shape, od, ct, 2, (const l2_tensor *[]){a.t, b.t})))
            goto fail;
    const l2_tensor *ain = a.t ? (ac = l2__ew_convert(op, a.t, ct))
                               : l2__ew_number_init(&na, a.s, ct);
    const l2_tensor *bin = b.t ? (bc = l2__ew_convert(op, b.t, ct))
                               : l2__ew_number_init(&nb, b.s, ct);
    if (!ain || !bin)
        goto fail;
    if (self && bc && bc->storage == self->storage && bc != self) {
        /* b overlaps the tensor being written: read it from a copy. */
        l2_tensor *cp = l2__ew_fresh(op, bc);
        if (!cp)
            goto fail;
        l2_tensor_release(bc);
        bin = bc = cp;
    }

    const l2_tensor *ins[2] = {a.t, b.t};
    if (binfo[k].node >= 0 && l2__is_float(od) && l2__needs_grad(2, ins)) {
        bool ga = a.t && a.t->requires_grad, gb = b.t && b.t->requires_grad;
        int mask = save_mask(k, ga, gb);
        const l2_tensor *save[2];
        int nsave = 0, slot_a = -1, slot_b = -1;
        if ((mask & 1) && a.t) {
            if (self && !(old = l2__ew_fresh(op, self))) /* self's value before the write */
                goto fail;
            slot_a = nsave;
            save[nsave++] = self ? old : a.t;
        }
        if ((mask & 2) && b.t) {
            slot_b = nsave;
            save[nsave++] = b.t;
        }
        l2__node *node = l2__record_save(binfo[k].node, self ? self : out, 2, ins, nsave, save);
        if (!node)
            goto fail;
        if (self && slot_a >= 0) /* create_graph: the old value is input 0's */
            l2__saved_from_input(node, slot_a, 0);
        node->f[0] = k == B_SUB ? -alpha : alpha;
        node->f[2] = a.s;
        node->f[3] = b.s;
        node->i[0] = (a.t ? 0 : 1) | (b.t ? 0 : 2);
        node->i[1] = slot_a;
        node->i[2] = slot_b;
        node->ni = 3;
    }

    l2__ew_ctx c = {.a = alpha, .ia = l2__is_float(ct) ? 0 : (int64_t)alpha};
    const l2_tensor *args[2] = {ain, bin};
    l2__ew_run(out ? out : self, 2, args, fn, &c);
    if (self) {
        if (out) {
            l2__copy_kernel(self, out);
            l2_tensor_release(out);
        }
        l2__bump_version(self);
        out = self;
    }
    l2_tensor_release(ac);
    l2_tensor_release(bc);
    l2_tensor_release(old);
    return out;
fail:
    l2_tensor_release(ac);
    l2_tensor_release(bc);
    if (!self || out != self)
        l2_tensor_release(out);
    l2_tensor_release(old);
    return NULL;
}

/* ---- backward ----------------------------------------------------------------------------- */

/* Gradient loops: X is the incoming gradient g, Y is a, Z is b (all of g's float dtype). */
#define BW_LOOPS(NAME, EXPR)                                                                 \
    L2__EW_LOOP3(NAME##_f32, float, float, float, float, g, x, y, EXPR)                      \
    L2__EW_LOOP3(NAME##_f64, double, double, double, double, g, x, y, EXPR)
#define BW_ROW(N) {N##_f32, N##_f64}

/* mul: da = g * b, db = g * a */
BW_LOOPS(mul_da, g * y)
BW_LOOPS(mul_db, g * x)
/* div: da = g / b, db = -g * a / b^2, computed as torch does, -g * ((a / b) / b): b * b
 * underflows to 0 for tiny b, and a = 0 then gave 0 / 0 = NaN where torch has 0. */
BW_LOOPS(div_da, g / y)
BW_LOOPS(div_db, -g * ((x / y) / y))
/* pow, in torch's order of operations: da = g * (b * a^(b-1)) (0 where b == 0), db = g * (a^b *
 * log(a)) with the bracket 0 where a == 0 and b >= 0 (so an infinite or NaN g still gives NaN
 * there, as torch). g * b first underflowed to 0 for b = 5e-324 and met a^(b-1) = inf (NaN where
 * torch has inf). */
BW_LOOPS(pow_da, y == 0 ? (T)0 : g * (y * pow(x, y - (T)1)))
/* pow with a number exponent, as torch: da = g * (b * pow_number(a, b - 1)) */
BW_LOOPS(pown_da, y == 0 ? (T)0 : g * (y * POW_NUMBER(T, x, y - (T)1)))
BW_LOOPS(pow_db, g * ((x == 0 && y >= 0 && !l2__fault("pow_guard")) ? (T)0 : pow(x, y) * log(x)))
/* maximum: ties split the gradient: da = g/2 where a == b, g where a > b, else 0 */
BW_LOOPS(max_da, x == y ? g / (T)2 : x < y ? (T)0 : g)
BW_LOOPS(max_db, x == y ? g / (T)2 : x > y ? (T)0 : g)
BW_LOOPS(min_da, x == y ? g / (T)2 : x > y ? (T)0 : g)
BW_LOOPS(min_db, x == y ? g / (T)2 : x < y ? (T)0 : g)
/* atan2(a, b): da = g * b / (a^2 + b^2), db = -g * a / (a^2 + b^2) */
BW_LOOPS(atan2_da, g * y / (x * x + y * y))
BW_LOOPS(atan2_db, -g * x / (x * x + y * y))
/* fmod: da = g, db = -g * trunc(a / b); remainder: db = -g * floor(a / b) */
BW_LOOPS(fmod_db, -g * trunc(x / y))
/* Python's floor division a // b, as torch's div(rounding_mode="floor"): -0.5 // inf is -1,
 * where floor(-0.5 / inf) is -0; a // 0 is a / 0. */
static inline double floordiv(double a, double b)
{
    if (b == 0) /* IEEE division, as torch */
        return a / b;
    double mod = fmod(a, b), div = (a - mod) / b;
    if (mod != 0 && (b < 0) != (mod < 0))
        div -= 1;
    if (div == 0)
        return copysign(0.0, a / b);
    double f = floor(div);
    return div - f > 0.5 ? f + 1 : f;
}
/* remainder: db = -g * (a // b) */
BW_LOOPS(rem_db, -g * (T)floordiv(x, y))
/* add with alpha: db = alpha * g */
L2__EW_LOOP1(scale_f32, float, float, g, g * (T)A)
L2__EW_LOOP1(scale_f64, double, double, g, g * (T)A)

static const l2__loop_fn bw_fn[B_COUNT][2][2] = {
    [B_MUL] = {BW_ROW(mul_da), BW_ROW(mul_db)},
    [B_DIV] = {BW_ROW(div_da), BW_ROW(div_db)},
    [B_POW] = {BW_ROW(pow_da), BW_ROW(pow_db)},
    [B_MAX] = {BW_ROW(max_da), BW_ROW(max_db)},
    [B_MIN] = {BW_ROW(min_da), BW_ROW(min_db)},
    [B_ATAN2] = {BW_ROW(atan2_da), BW_ROW(atan2_db)},
    [B_FMOD] = {{NULL, NULL}, BW_ROW(fmod_db)},
    [B_REM] = {{NULL, NULL}, BW_ROW(rem_db)},
};
static const l2__loop_fn scale_fn[2] = {scale_f32, scale_f64};

/* Operand side (0: a, 1: b) of a recorded binary op in g's dtype: the number, the saved
 * tensor, or g itself as a placeholder when backward does not need it. New reference. */
static l2_tensor *bw_operand(l2__node *n, int side, const l2_tensor *g)
{
    if (n->i[0] & (1 << side))
        return scalar_tensor(n->f[2 + side], g->dtype);
    int slot = (int)n->i[1 + side];
    if (slot < 0)
        return l2_tensor_ref((l2_tensor *)g);
    return l2__ew_convert("backward", n->saved[slot], g->dtype);
}

/* g scaled by alpha (a new tensor), or g itself when alpha is 1. */
static l2_tensor *scaled(const l2_tensor *g, double alpha)
{
    if (alpha == 1)
        return l2_tensor_ref((l2_tensor *)g);
    l2_tensor *r = l2__new_like("backward", g->ndim, g->shape, g->dtype, L2_DTYPE_COUNT, 1, &g);
    if (r) {
        l2__ew_ctx c = {.a = alpha};
        l2__ew_run(r, 1, &g, scale_fn[g->dtype == L2_FLOAT64], &c);
    }
    return r;
}

/* The gradients are computed in result_type of the tensor inputs (a 0-d float64 operand does
 * not widen a float32 one): an in-place op on a float32 tensor with a float64 operand gets the
 * operand's gradient in float64, as torch (the engine converts each gradient to its input's
 * dtype), while maximum's ties are still found in float32 when the float64 side is 0-d. */
static l2_status binary_backward_dt(int k, l2__node *n, const l2_tensor *g, l2_tensor **gin);

static l2_status binary_backward(int k, l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    bool wide = false, dims = false;
    for (int i = 0; i < n->n_inputs && i < 2; i++)
        dims |= !(n->i[0] & (1 << i)) && n->in_ndim[i] > 0;
    for (int i = 0; i < n->n_inputs && i < 2; i++)
        wide |= !(n->i[0] & (1 << i)) && n->in_dtype[i] == L2_FLOAT64 &&
                (n->in_ndim[i] > 0 || !dims);
    if (g->dtype != L2_FLOAT32 || !wide)
        return binary_backward_dt(k, n, g, gin);
    l2_tensor *g64 = l2__ew_convert("backward", g, L2_FLOAT64);
    if (!g64)
        return L2_ERR_NOMEM;
    l2_status st = binary_backward_dt(k, n, g64, gin);
    l2_tensor_release(g64);
    return st;
}

static l2_status binary_backward_dt(int k, l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    if (k == B_ADD || k == B_SUB || k == B_FMOD || k == B_REM) {
        if (l2__edge_of(n, 0) && !(gin[0] = l2_tensor_ref((l2_tensor *)g)))
            return L2_ERR_NOMEM;
        if (k == B_ADD || k == B_SUB) {
            if (l2__edge_of(n, 1) && !(gin[1] = scaled(g, n->f[0])))
                return L2_ERR_NOMEM;
            return L2_OK;
        }
        if (!l2__edge_of(n, 1))
            return L2_OK;
    }
    l2_tensor *a = bw_operand(n, 0, g), *b = a ? bw_operand(n, 1, g) : NULL;
    l2_status st = a && b ? L2_OK : L2_ERR_NOMEM;
    for (int side = 0; side < 2 && st == L2_OK; side++) {
        l2__loop_fn fn = bw_fn[k][side][g->dtype == L2_FLOAT64];
        if (k == B_POW && side == 0 && (n->i[0] & 2))
            fn = g->dtype == L2_FLOAT64 ? pown_da_f64 : pown_da_f32;
        if (!fn || !l2__edge_of(n, side))
            continue;
        gin[side] =
            l2__new_like("backward", g->ndim, g->shape, g->dtype, L2_DTYPE_COUNT, 1, &g);
        if (!gin[side]) {
            st = L2_ERR_NOMEM;
            break;
        }
        const l2_tensor *ins[3] = {g, a, b};
        l2__ew_run(gin[side], 3, ins, fn, NULL);
    }
    l2_tensor_release(a);
    l2_tensor_release(b);
    return st;
}

/* da = g, db = alpha * g */
l2_status l2__add_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_ADD, n, g, gin);
}
/* da = g, db = -alpha * g */
l2_status l2__sub_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_SUB, n, g, gin);
}
l2_status l2__mul_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_MUL, n, g, gin);
}
l2_status l2__div_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_DIV, n, g, gin);
}
l2_status l2__pow_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_POW, n, g, gin);
}
l2_status l2__maximum_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_MAX, n, g, gin);
}
l2_status l2__minimum_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_MIN, n, g, gin);
}
l2_status l2__atan2_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_ATAN2, n, g, gin);
}
l2_status l2__fmod_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_FMOD, n, g, gin);
}
l2_status l2__remainder_backward(l2__node *n, const l2_tensor *g, l2_tensor **gin)
{
    return binary_backward(B_REM, n, g, gin);
}

/* ---- public binary ops -------------------------------------------------------------------- */

static l2_tensor *tt(int k, const l2_tensor *a, const l2_tensor *b, double alpha)
{
    L2__CHECK(a, NULL, L2_ERR_NULL, "%s: argument 'a' is NULL", binfo[k].name);
    L2__CHECK(b, NULL, L2_ERR_NULL, "%s: argument 'b' is NULL", binfo[k].name);
    L2__HALF_ROUTE(tt(k, H_[0], H_[1], alpha), a, b); /* issue 16: half in float32 */
    return l2__ret(binary(k, (arg){a, 0}, (arg){b, 0}, alpha, NULL));
}

static l2_tensor *ts(int k, const l2_tensor *a, double s)
{
    L2__CHECK(a, NULL, L2_ERR_NULL, "%s: argument 'a' is NULL", binfo[k].name);
    L2__HALF_ROUTE(ts(k, H_[0], s), a); /* issue 16: half in float32 */
    return l2__ret(binary(k, (arg){a, 0}, (arg){NULL, s}, 1, NULL));
}

l2_tensor *l2_add(const l2_tensor *a, const l2_tensor *b) { return tt(B_ADD, a, b, 1); }
l2_tensor *l2_add_alpha(const l2_tensor *a, const l2_tensor *b, double alpha)
{
    return tt(B_ADD, a, b, alpha);
}
l2_tensor *l2_sub(const l2_tensor *a, const l2_tensor *b) { return tt(B_SUB, a, b, 1); }
l2_tensor *l2_mul(const l2_tensor *a, const l2_tensor *b) { return tt(B_MUL, a, b, 1); }
l2_tensor *l2_div(const l2_tensor *a, const l2_tensor *b) { return tt(B_DIV, a, b, 1); }
l2_tensor *l2_pow(const l2_tensor *a, const l2_tensor *b) { return tt(B_POW, a, b, 1); }
l2_tensor *l2_maximum(const l2_tensor *a, const l2_tensor *b) { return tt(B_MAX, a, b, 1); }
l2_tensor *l2_minimum(const l2_tensor *a, const l2_tensor *b) { return tt(B_MIN, a, b, 1); }
l2_tensor *l2_atan2(const l2_tensor *a, const l2_tensor *b) { return tt(B_ATAN2, a, b, 1); }
l2_tensor *l2_fmod(const l2_tensor *a, const l2_tensor *b) { return tt(B_FMOD, a, b, 1); }
l2_tensor *l2_remainder(const l2_tensor *a, const l2_tensor *b) { return tt(B_REM, a, b, 1); }

l2_tensor *l2_add_scalar(const l2_tensor *a, double s) { return ts(B_ADD, a, s); }
l2_tensor *l2_sub_scalar(const l2_tensor *a, double s) { return ts(B_SUB, a, s); }
l2_tensor *l2_mul_scalar(const l2_tensor *a, double s) { return ts(B_MUL, a, s); }
l2_tensor *l2_div_scalar(const l2_tensor *a, double s) { return ts(B_DIV, a, s); }
l2_tensor *l2_pow_scalar(const l2_tensor *a, double exponent) { return ts(B_POW, a, exponent); }
l2_tensor *l2_rsub_scalar(const l2_tensor *a, double s)
{
    L2__CHECK(a, NULL, L2_ERR_NULL, "rsub: argument 'a' is NULL");
    L2__HALF_ROUTE(l2_rsub_scalar(H_[0], s), a);
    return l2__ret(binary(B_SUB, (arg){NULL, s}, (arg){a, 0}, 1, NULL));
}

l2_tensor *l2_eq(const l2_tensor *a, const l2_tensor *b) { return tt(B_EQ, a, b, 1); }
l2_tensor *l2_ne(const l2_tensor *a, const l2_tensor *b) { return tt(B_NE, a, b, 1); }
l2_tensor *l2_lt(const l2_tensor *a, const l2_tensor *b) { return tt(B_LT, a, b, 1); }
l2_tensor *l2_le(const l2_tensor *a, const l2_tensor *b) { return tt(B_LE, a, b, 1); }
l2_tensor *l2_gt(const l2_tensor *a, const l2_tensor *b) { return tt(B_GT, a, b, 1); }
l2_tensor *l2_ge(const l2_tensor *a, const l2_tensor *b) { return tt(B_GE, a, b, 1); }
l2_tensor *l2_eq_scalar(const l2_tensor *a, double s) { return ts(B_EQ, a, s); }
l2_tensor *l2_ne_scalar(const l2_tensor *a, double s) { return ts(B_NE, a, s); }
l2_tensor *l2_lt_scalar(const l2_tensor *a, double s) { return ts(B_LT, a, s); }
l2_tensor *l2_le_scalar(const l2_tensor *a, double s) { return ts(B_LE, a, s); }
l2_tensor *l2_gt_scalar(const l2_tensor *a, double s) { return ts(B_GT, a, s); }
l2_tensor *l2_ge_scalar(const l2_tensor *a, double s) { return ts(B_GE, a, s); }

l2_tensor *l2_logical_and(const l2_tensor *a, const l2_tensor *b) { return tt(B_AND, a, b, 1); }
l2_tensor *l2_logical_or(const l2_tensor *a, const l2_tensor *b) { return tt(B_OR, a, b, 1); }
l2_tensor *l2_logical_xor(const l2_tensor *a, const l2_tensor *b) { return tt(B_XOR, a, b, 1); }

/* ---- in-place binary ops ------------------------------------------------------------------ */

static l2_status tt_(int k, l2_tensor *a, const l2_tensor *b)
{
    L2__CHECK_ST(a, L2_ERR_NULL, "%s: argument 'a' is NULL", binfo[k].iname);
    L2__CHECK_ST(b, L2_ERR_NULL, "%s: argument 'b' is NULL", binfo[k].iname);
    L2__HALF_INPLACE(binfo[k].iname, tt(k, a, b, 1), a, b); /* issue 16: half self */
    return binary(k, (arg){a, 0}, (arg){b, 0}, 1, a) ? L2_OK : l2_last_status();
}

static l2_status ts_(int k, l2_tensor *a, double s)
{
    L2__CHECK_ST(a, L2_ERR_NULL, "%s: argument 'a' is NULL", binfo[k].iname);
    L2__HALF_INPLACE(binfo[k].iname, ts(k, a, s), a, NULL); /* issue 16: half self */
    return binary(k, (arg){a, 0}, (arg){NULL, s}, 1, a) ? L2_OK : l2_last_status();
}

l2_status l2_add_(l2_tensor *a, const l2_tensor *b) { return tt_(B_ADD, a, b); }
l2_status l2_sub_(l2_tensor *a, const l2_tensor *b) { return tt_(B_SUB, a, b); }
l2_status l2_mul_(l2_tensor *a, const l2_tensor *b) { return tt_(B_MUL, a, b); }
l2_status l2_div_(l2_tensor *a, const l2_tensor *b) { return tt_(B_DIV, a, b); }
l2_status l2_add_scalar_(l2_tensor *a, double s) { return ts_(B_ADD, a, s); }
l2_status l2_mul_scalar_(l2_tensor *a, double s) { return ts_(B_MUL, a, s); }
