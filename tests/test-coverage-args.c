/* test-coverage-args.c: argument errors of the public functions: NULL tensors (L2_ERR_NULL),
 * dims out of range (L2_ERR_DIM), invalid dtypes and sizes; each must fail with the status
 * named in l2.h and a message, and leave the error state of the thread set. Also the getters'
 * NULL paths and the small helpers (names of statuses and dtypes). */
#include "tap.h"

#include <l2.h>
#include <math.h>
#include <stdlib.h>

/* expr returns a pointer: NULL with status st and a message. */
#define FAILS(expr, st)                                                                      \
    do {                                                                                     \
        l2_clear_error();                                                                    \
        void *r_ = (void *)(expr);                                                           \
        l2_status s_ = l2_last_status();                                                     \
        if (!ok(r_ == NULL && s_ == (st) && l2_last_error()[0], "%s -> %s", #expr, #st))     \
            tap_diag("got %p, %s: %s", r_, l2_status_name(s_), l2_last_error());             \
    } while (0)

/* expr returns an l2_status equal to st, with a message. */
#define FAILS_ST(expr, st)                                                                   \
    do {                                                                                     \
        l2_clear_error();                                                                    \
        l2_status g_ = (expr);                                                               \
        if (!ok(g_ == (st) && l2_last_status() == (st) && l2_last_error()[0], "%s -> %s",    \
                #expr, #st))                                                                 \
            tap_diag("got %s: %s", l2_status_name(g_), l2_last_error());                     \
    } while (0)

typedef l2_tensor *(*un_fn)(const l2_tensor *);
typedef l2_tensor *(*bin_fn)(const l2_tensor *, const l2_tensor *);

int main(void)
{
    l2_tensor *a = l2_ones(2, (int64_t[]){2, 3}, L2_FLOAT32);
    l2_tensor *v = l2_ones(1, (int64_t[]){3}, L2_FLOAT32);
    l2_tensor *s = l2_scalar(1, L2_FLOAT64);
    l2_tensor *i64 = l2_zeros(1, (int64_t[]){2}, L2_INT64);

    /* Names and sizes. */
    is_str(l2_dtype_name((l2_dtype)9), "invalid", "dtype name outside the enum");
    is_int(l2_dtype_size((l2_dtype)-1), 0, "dtype size outside the enum");
    is_int(l2_dtype_size(L2_BOOL), 1, "bool is one byte");
    is_str(l2_status_name((l2_status)99), "L2_UNKNOWN", "status name outside the table");
    ok(l2_status_string((l2_status)-3)[0] != '\0', "status string outside the table is non-empty");

    /* Getters on NULL. */
    l2_clear_error();
    is_int(l2_ndim(NULL), 0, "ndim(NULL)");
    is_int(l2_last_status(), L2_ERR_NULL, "ndim(NULL) sets L2_ERR_NULL");
    ok(l2_shape(NULL) == NULL && l2_strides(NULL) == NULL && l2_data_ptr(NULL) == NULL,
       "shape, strides, data_ptr of NULL");
    is_int(l2_offset(NULL), 0, "offset(NULL)");
    is_int(l2_numel(NULL), 0, "numel(NULL)");
    is_int(l2_size(NULL, 0), -1, "size(NULL)");
    is_int(l2_size(s, 0), -1, "size of a 0-d tensor");
    is_int(l2_last_status(), L2_ERR_DIM, "size of a 0-d tensor is L2_ERR_DIM");
    is_int(l2_size(a, 2), -1, "size(a, 2) of a 2-d tensor");
    is_int(l2_size(a, -1), 3, "size(a, -1)");
    ok(!l2_is_contiguous(NULL) && !l2_shares_storage(NULL, a) && !l2_shares_storage(a, NULL),
       "is_contiguous, shares_storage of NULL");
    is_int(l2_dtype_of(NULL), L2_FLOAT32, "dtype_of(NULL) is float32");
    is_int(l2_offset(a), 0, "offset of a fresh tensor");

    /* Creation. */
    FAILS(l2_empty_like(NULL), L2_ERR_NULL);
    FAILS(l2_zeros_like(NULL), L2_ERR_NULL);
    FAILS(l2_ones_like(NULL), L2_ERR_NULL);
    FAILS(l2_full_like(NULL, 1), L2_ERR_NULL);
    FAILS(l2_rand_like(NULL), L2_ERR_NULL);
    FAILS(l2_randn_like(NULL), L2_ERR_NULL);
    FAILS(l2_zeros(-1, NULL, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_zeros(9, (int64_t[9]){1}, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_zeros(2, NULL, L2_FLOAT32), L2_ERR_NULL);
    FAILS(l2_zeros(1, (int64_t[]){-2}, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_zeros(1, (int64_t[]){2}, (l2_dtype)7), L2_ERR_ARG);
    FAILS(l2_arange(0, 4, 1, L2_BOOL), L2_ERR_DTYPE);
    FAILS(l2_arange(0, INFINITY, 1, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_arange(0, 4, -1, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_arange(0, 4, 0, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_arange(0, 1e300, 1e-300, L2_FLOAT64), L2_ERR_OVERFLOW);
    FAILS(l2_linspace(0, 1, 3, L2_INT64), L2_ERR_DTYPE);
    FAILS(l2_linspace(0, 1, -1, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_eye(-1, 2, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_from_data(NULL, 1, (int64_t[]){2}, L2_FLOAT32), L2_ERR_NULL);
    FAILS(l2_rand(1, (int64_t[]){2}, L2_INT64), L2_ERR_DTYPE);
    FAILS(l2_uniform(1, (int64_t[]){2}, 1, 0, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_normal(1, (int64_t[]){2}, 0, -1, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_randint(3, 3, 1, (int64_t[]){2}), L2_ERR_ARG);
    FAILS(l2_randperm(-1), L2_ERR_ARG);
    FAILS_ST(l2_uniform_(NULL, 0, 1), L2_ERR_NULL);
    FAILS_ST(l2_uniform_(a, 1, 0), L2_ERR_ARG);
    FAILS_ST(l2_normal_(i64, 0, 1), L2_ERR_DTYPE);
    /* Bounds outside float32 (float32 draws would round to inf and be redrawn forever) and
     * ranges wider than the dtype, as torch refuses them. */
    FAILS_ST(l2_uniform_(a, 2, 1e308), L2_ERR_ARG);
    FAILS_ST(l2_uniform_(a, -1e39, 0), L2_ERR_ARG);
    FAILS(l2_uniform(1, (int64_t[]){2}, -3e38, 3e38, L2_FLOAT32), L2_ERR_ARG);
    FAILS(l2_uniform(1, (int64_t[]){2}, -1e308, 1e308, L2_FLOAT64), L2_ERR_ARG);
    l2_tensor *u38 = l2_uniform(1, (int64_t[]){2}, 0, 3e38, L2_FLOAT32);
    ok(u38 != NULL, "uniform on [0, 3e38) float32 works");
    l2_tensor_release(u38);
    FAILS_ST(l2_normal_(a, 0, -1), L2_ERR_ARG);
    l2_tensor *e = l2_linspace(2, 4, 1, L2_FLOAT64);
    double x = 0;
    ok(e && l2_numel(e) == 1 && l2_item(e, &x) == L2_OK && x == 2, "linspace with 1 step is start");
    l2_tensor_release(e);
    e = l2_eye(2, -1, L2_INT64);
    ok(e && l2_shape(e)[1] == 2, "eye m < 0 means m = n");
    l2_tensor_release(e);

    /* Element access. */
    FAILS_ST(l2_get(NULL, NULL, &x), L2_ERR_NULL);
    FAILS_ST(l2_get(a, (int64_t[]){2, 0}, &x), L2_ERR_INDEX);
    FAILS_ST(l2_get_int64(a, (int64_t[]){0, 0}, &(int64_t){0}), L2_ERR_DTYPE);
    FAILS_ST(l2_set(a, (int64_t[]){0, -4}, 1), L2_ERR_INDEX);
    FAILS_ST(l2_item(a, &x), L2_ERR_SHAPE);
    FAILS(l2_to_string(NULL), L2_ERR_NULL);
    FAILS_ST(l2_print(NULL), L2_ERR_NULL);

    /* Views. */
    FAILS(l2_view(NULL, 1, (int64_t[]){6}), L2_ERR_NULL);
    FAILS(l2_view(a, 2, (int64_t[]){-1, -1}), L2_ERR_ARG);
    FAILS(l2_view(a, 1, (int64_t[]){-3}), L2_ERR_ARG);
    FAILS(l2_view(a, 1, (int64_t[]){5}), L2_ERR_SHAPE);
    FAILS(l2_view(a, 2, (int64_t[]){0, -1}), L2_ERR_SHAPE);
    FAILS(l2_reshape(a, 9, (int64_t[9]){1}), L2_ERR_ARG);
    FAILS(l2_reshape(a, 1, NULL), L2_ERR_NULL);
    FAILS(l2_permute(NULL, (int[]){0}), L2_ERR_NULL);
    FAILS(l2_permute(a, NULL), L2_ERR_NULL);
    FAILS(l2_permute(a, (int[]){0, 0}), L2_ERR_ARG);
    FAILS(l2_permute(a, (int[]){0, 5}), L2_ERR_DIM);
    FAILS(l2_transpose(NULL, 0, 1), L2_ERR_NULL);
    FAILS(l2_transpose(a, 0, 2), L2_ERR_DIM);
    FAILS(l2_transpose(a, -3, 0), L2_ERR_DIM);
    FAILS(l2_t(NULL), L2_ERR_NULL);
    l2_tensor *a3 = l2_ones(3, (int64_t[]){1, 2, 1}, L2_FLOAT32);
    FAILS(l2_t(a3), L2_ERR_DIM);
    l2_tensor *tv = l2_t(v);
    ok(tv && l2_ndim(tv) == 1, "t of a 1-d tensor is itself");
    l2_tensor_release(tv);
    FAILS(l2_slice(NULL, 0, 0, 1, 1), L2_ERR_NULL);
    FAILS(l2_slice(a, 0, 0, 1, 0), L2_ERR_ARG);
    FAILS(l2_slice(a, 5, 0, 1, 1), L2_ERR_DIM);
    FAILS(l2_select(NULL, 0, 0), L2_ERR_NULL);
    FAILS(l2_select(a, 0, 2), L2_ERR_INDEX);
    FAILS(l2_select(s, 0, 0), L2_ERR_DIM);
    FAILS(l2_narrow(NULL, 0, 0, 1), L2_ERR_NULL);
    FAILS(l2_narrow(a, 0, 1, 2), L2_ERR_INDEX);
    FAILS(l2_squeeze(NULL), L2_ERR_NULL);
    FAILS(l2_squeeze_dim(NULL, 0), L2_ERR_NULL);
    FAILS(l2_squeeze_dim(a, 2), L2_ERR_DIM);
    l2_tensor *sq = l2_squeeze_dim(a3, -1);
    ok(sq && l2_ndim(sq) == 2, "squeeze_dim(-1) removes the last size-1 dim");
    l2_tensor_release(sq);
    sq = l2_squeeze_dim(a3, 1);
    ok(sq && l2_ndim(sq) == 3, "squeeze_dim of a size-2 dim keeps it");
    l2_tensor_release(sq);
    FAILS(l2_unsqueeze(NULL, 0), L2_ERR_NULL);
    FAILS(l2_unsqueeze(a, 4), L2_ERR_DIM);
    l2_tensor *u8 = l2_ones(8, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1}, L2_FLOAT32);
    FAILS(l2_unsqueeze(u8, 0), L2_ERR_ARG);
    FAILS(l2_unflatten(u8, 0, 2, (int64_t[]){1, 1}), L2_ERR_ARG);
    l2_tensor_release(u8);
    l2_tensor *us = l2_unsqueeze(a, -1);
    ok(us && l2_ndim(us) == 3 && l2_shape(us)[2] == 1, "unsqueeze(-1) appends a dim");
    l2_tensor_release(us);
    FAILS(l2_flatten(NULL, 0, -1), L2_ERR_NULL);
    FAILS(l2_flatten(a, 1, 0), L2_ERR_ARG);
    FAILS(l2_flatten(a, 0, 5), L2_ERR_DIM);
    FAILS(l2_flatten(a, 7, 0), L2_ERR_DIM);
    l2_tensor *fs = l2_flatten(s, 0, -1);
    ok(fs && l2_ndim(fs) == 1 && l2_numel(fs) == 1, "flatten of a 0-d tensor is 1-d");
    l2_tensor_release(fs);
    FAILS(l2_unflatten(NULL, 0, 1, (int64_t[]){6}), L2_ERR_NULL);
    FAILS(l2_unflatten(a, 0, 0, NULL), L2_ERR_ARG);
    FAILS(l2_unflatten(a, 1, 2, (int64_t[]){2, 2}), L2_ERR_SHAPE);
    FAILS(l2_unflatten(a, 3, 1, (int64_t[]){2}), L2_ERR_DIM);
    FAILS(l2_expand(NULL, 1, (int64_t[]){3}), L2_ERR_NULL);
    FAILS(l2_expand(a, 1, (int64_t[]){3}), L2_ERR_SHAPE);
    FAILS(l2_expand(a, 2, NULL), L2_ERR_NULL);
    FAILS(l2_expand(v, 2, (int64_t[]){-1, 3}), L2_ERR_SHAPE);
    FAILS(l2_broadcast_to(v, 2, (int64_t[]){2, -1}), L2_ERR_ARG);
    FAILS(l2_as_strided(NULL, 1, (int64_t[]){1}, (int64_t[]){1}, 0), L2_ERR_NULL);
    FAILS(l2_as_strided(a, 1, (int64_t[]){7}, (int64_t[]){1}, 0), L2_ERR_INDEX);
    FAILS(l2_as_strided(a, 1, (int64_t[]){2}, (int64_t[]){-1}, 0), L2_ERR_ARG);
    FAILS(l2_detach(NULL), L2_ERR_NULL);
    FAILS(l2_index(NULL, "0"), L2_ERR_NULL);
    FAILS(l2_index(a, NULL), L2_ERR_NULL);
    FAILS(l2_index(a, "..., ..."), L2_ERR_ARG);
    FAILS(l2_index(a, "0, 0, 0"), L2_ERR_INDEX);
    FAILS(l2_index(a, "1:2:0"), L2_ERR_ARG);
    FAILS(l2_index(a, "abc"), L2_ERR_ARG);
    FAILS(l2_index(a, "5"), L2_ERR_INDEX);
    l2_tensor *ix = l2_index(a, " -1 , ::-1 ");
    if (!ix)
        l2_clear_error();
    l2_tensor_release(ix);
    ix = l2_index(a, "None, ..., 1:, None");
    ok(ix && l2_ndim(ix) == 4, "None, ..., 1:, None gives 4 dims");
    l2_tensor_release(ix);

    /* Copies and joins. */
    FAILS(l2_clone(NULL), L2_ERR_NULL);
    FAILS(l2_contiguous(NULL), L2_ERR_NULL);
    FAILS(l2_to_dtype(NULL, L2_FLOAT32), L2_ERR_NULL);
    FAILS(l2_to_dtype(a, L2_DTYPE_COUNT), L2_ERR_ARG);
    l2_tensor *two[2] = {a, NULL};
    FAILS(l2_cat(2, NULL, 0), L2_ERR_NULL);
    FAILS(l2_cat(0, two, 0), L2_ERR_ARG);
    FAILS(l2_cat(2, two, 0), L2_ERR_NULL);
    l2_tensor *sv[2] = {s, s};
    FAILS(l2_cat(2, sv, 0), L2_ERR_DIM);
    l2_tensor *av[2] = {a, v};
    FAILS(l2_cat(2, av, 0), L2_ERR_SHAPE);
    FAILS(l2_cat(2, av, 4), L2_ERR_DIM);
    l2_tensor *em = l2_zeros(1, (int64_t[]){0}, L2_BOOL);
    l2_tensor *ee[2] = {em, em};
    l2_tensor *ce = l2_cat(2, ee, 0);
    ok(ce && l2_numel(ce) == 0, "cat of empty 1-d tensors is empty");
    l2_tensor_release(ce);
    l2_tensor *mix[3] = {em, i64, em};
    ce = l2_cat(3, mix, 0);
    ok(ce && l2_dtype_of(ce) == L2_INT64 && l2_numel(ce) == 2,
       "cat skips empty 1-d tensors and promotes bool with int64");
    l2_tensor_release(ce);
    FAILS(l2_stack(2, NULL, 0), L2_ERR_NULL);
    FAILS(l2_stack(0, two, 0), L2_ERR_ARG);
    FAILS(l2_stack(65, two, 0), L2_ERR_UNSUPPORTED);
    FAILS(l2_stack(2, two, 0), L2_ERR_NULL);
    FAILS(l2_stack(2, av, 0), L2_ERR_SHAPE);
    FAILS_ST(l2_copy_(NULL, a), L2_ERR_NULL);
    FAILS_ST(l2_copy_(a, NULL), L2_ERR_NULL);
    l2_tensor *ex = l2_expand(v, 2, (int64_t[]){2, 3});
    FAILS_ST(l2_copy_(ex, a), L2_ERR_ARG);
    l2_tensor_release(ex);
    FAILS(l2_from_dlpack(NULL), L2_ERR_NULL);

    /* Autograd. */
    FAILS_ST(l2_set_requires_grad(NULL, true), L2_ERR_NULL);
    FAILS_ST(l2_set_requires_grad(i64, true), L2_ERR_DTYPE);
    FAILS_ST(l2_backward(NULL, NULL, false), L2_ERR_NULL);
    FAILS_ST(l2_backward(a, NULL, false), L2_ERR_AUTOGRAD);
    FAILS_ST(l2_zero_grad(NULL), L2_ERR_NULL);
    FAILS_ST(l2_set_grad_none(NULL), L2_ERR_NULL);
    FAILS_ST(l2_retain_grad(NULL), L2_ERR_NULL);
    FAILS_ST(l2_autograd_grad(0, NULL, NULL, 0, NULL, NULL, false, false), L2_ERR_NULL);
    FAILS_ST(l2_scope_end(), L2_ERR_ARG);
    ok(l2_keep(NULL) == NULL, "keep(NULL) is NULL");

    /* Every unary op and binary op refuses NULL. */
    static const un_fn un[] = {
        l2_neg,  l2_abs,  l2_sign, l2_exp,  l2_exp2,  l2_expm1, l2_log,   l2_log2, l2_log10,
        l2_log1p, l2_sqrt, l2_rsqrt, l2_square, l2_reciprocal, l2_sin, l2_cos, l2_tan,
        l2_asin, l2_acos, l2_atan, l2_sinh, l2_cosh, l2_tanh, l2_sigmoid, l2_relu, l2_silu,
        l2_erf, l2_floor, l2_ceil, l2_round, l2_trunc, l2_logical_not, l2_sum, l2_mean,
        l2_prod, l2_max, l2_min, l2_argmax, l2_argmin, l2_all, l2_any};
    int nulls = 0;
    for (size_t k = 0; k < sizeof un / sizeof un[0]; k++) {
        l2_clear_error();
        nulls += un[k](NULL) == NULL && l2_last_status() == L2_ERR_NULL;
    }
    is_int(nulls, (int)(sizeof un / sizeof un[0]),
           "every unary op and full reduction refuses NULL");
    static const bin_fn bin[] = {l2_add, l2_sub, l2_mul, l2_div, l2_pow, l2_maximum, l2_minimum,
                                 l2_atan2, l2_fmod, l2_remainder, l2_eq, l2_ne, l2_lt, l2_le,
                                 l2_gt, l2_ge, l2_logical_and, l2_logical_or, l2_logical_xor,
                                 l2_matmul, l2_mm, l2_bmm, l2_mv, l2_dot, l2_outer};
    nulls = 0;
    for (size_t k = 0; k < sizeof bin / sizeof bin[0]; k++) {
        l2_clear_error();
        int n1 = bin[k](NULL, a) == NULL && l2_last_status() == L2_ERR_NULL;
        l2_clear_error();
        int n2 = bin[k](a, NULL) == NULL && l2_last_status() == L2_ERR_NULL;
        nulls += n1 && n2;
    }
    is_int(nulls, (int)(sizeof bin / sizeof bin[0]), "every binary op refuses NULL on each side");

    /* Reductions with dims. */
    FAILS(l2_sum_dims(NULL, 0, NULL, false), L2_ERR_NULL);
    FAILS(l2_sum_dims(a, 1, (int[]){2}, false), L2_ERR_DIM);
    FAILS(l2_sum_dims(a, 2, (int[]){0, -2}, false), L2_ERR_ARG);
    FAILS(l2_mean_dims(i64, 1, (int[]){0}, false), L2_ERR_DTYPE);
    FAILS(l2_prod_dim(a, 3, false), L2_ERR_DIM);
    FAILS(l2_max_dim(NULL, 0, false, NULL), L2_ERR_NULL);
    FAILS(l2_argmin_dim(a, -3, false), L2_ERR_DIM);
    FAILS(l2_var(i64, 0, NULL, 1, false), L2_ERR_DTYPE);
    FAILS(l2_std(NULL, 0, NULL, 1, false), L2_ERR_NULL);
    FAILS(l2_logsumexp(i64, 0, NULL, false), L2_ERR_DTYPE);
    FAILS(l2_norm(a, -1, 0, NULL, false), L2_ERR_ARG);
    FAILS(l2_norm(a, NAN, 0, NULL, false), L2_ERR_ARG);
    FAILS(l2_cumsum(a, 2), L2_ERR_DIM);
    FAILS(l2_cumsum(NULL, 0), L2_ERR_NULL);
    FAILS(l2_all_dim(a, 2, false), L2_ERR_DIM);
    FAILS(l2_any_dim(NULL, 0, false), L2_ERR_NULL);
    l2_tensor *emp = l2_zeros(2, (int64_t[]){0, 3}, L2_FLOAT32);
    FAILS(l2_max(emp), L2_ERR_ARG);
    FAILS(l2_argmax(emp), L2_ERR_ARG);
    FAILS(l2_max_dim(emp, 0, false, NULL), L2_ERR_ARG);
    l2_tensor *ez = l2_sum(emp);
    ok(ez && l2_item(ez, &x) == L2_OK && x == 0, "sum of an empty tensor is 0");
    l2_tensor_release(ez);
    l2_tensor_release(emp);

    /* Linear algebra, indexing, nn. */
    FAILS(l2_mm(a, a), L2_ERR_SHAPE);
    FAILS(l2_mm(v, a), L2_ERR_SHAPE);
    FAILS(l2_bmm(a, a), L2_ERR_SHAPE);
    FAILS(l2_mv(a, a), L2_ERR_SHAPE);
    FAILS(l2_dot(a, v), L2_ERR_SHAPE);
    FAILS(l2_matmul(s, a), L2_ERR_SHAPE);
    FAILS(l2_addmm(NULL, a, a, 1, 1), L2_ERR_NULL);
    FAILS(l2_linear(NULL, a, NULL), L2_ERR_NULL);
    FAILS(l2_index_select(a, 0, NULL), L2_ERR_NULL);
    FAILS(l2_index_select(a, 0, a), L2_ERR_DTYPE);
    FAILS(l2_gather(NULL, 0, i64), L2_ERR_NULL);
    FAILS(l2_scatter_add(a, 0, NULL, a), L2_ERR_NULL);
    FAILS(l2_embedding(NULL, i64), L2_ERR_NULL);
    FAILS(l2_one_hot(NULL, 3), L2_ERR_NULL);
    FAILS(l2_one_hot(a, 3), L2_ERR_DTYPE);
    FAILS(l2_softmax(NULL, 0), L2_ERR_NULL);
    FAILS(l2_softmax(a, 2), L2_ERR_DIM);
    FAILS(l2_log_softmax(i64, 0), L2_ERR_DTYPE);
    FAILS(l2_cross_entropy(NULL, i64, L2_REDUCTION_MEAN, -100, 0), L2_ERR_NULL);
    FAILS(l2_nll_loss(a, NULL, L2_REDUCTION_MEAN, -100), L2_ERR_NULL);
    FAILS(l2_mse_loss(NULL, a, L2_REDUCTION_MEAN), L2_ERR_NULL);
    FAILS(l2_l1_loss(a, NULL, L2_REDUCTION_MEAN), L2_ERR_NULL);
    FAILS(l2_binary_cross_entropy(NULL, a, L2_REDUCTION_MEAN), L2_ERR_NULL);
    FAILS(l2_binary_cross_entropy_with_logits(a, NULL, L2_REDUCTION_MEAN), L2_ERR_NULL);
    FAILS(l2_dropout(NULL, 0.5, true), L2_ERR_NULL);
    FAILS(l2_dropout(a, 1.5, true), L2_ERR_ARG);
    FAILS(l2_layer_norm(NULL, 1, (int64_t[]){3}, NULL, NULL, 1e-5), L2_ERR_NULL);
    FAILS(l2_batch_norm(NULL, NULL, NULL, NULL, NULL, true, 0.1, 1e-5), L2_ERR_NULL);
    FAILS(l2_conv2d(NULL, a, NULL, NULL, NULL, NULL, 1), L2_ERR_NULL);
    FAILS(l2_max_pool2d(NULL, (int64_t[]){2, 2}, NULL, NULL), L2_ERR_NULL);
    FAILS(l2_avg_pool2d(NULL, (int64_t[]){2, 2}, NULL, NULL), L2_ERR_NULL);
    FAILS(l2_adaptive_avg_pool2d(NULL, (int64_t[]){1, 1}), L2_ERR_NULL);
    FAILS(l2_pad(NULL, 2, (int64_t[]){1, 1}, 0), L2_ERR_NULL);
    FAILS(l2_pad(a, 3, (int64_t[]){1, 1, 1}, 0), L2_ERR_ARG);
    FAILS(l2_where(NULL, a, a), L2_ERR_NULL);
    FAILS(l2_masked_fill(a, NULL, 0), L2_ERR_NULL);
    FAILS(l2_clamp(NULL, 0, 1), L2_ERR_NULL);

    /* In place. */
    FAILS_ST(l2_add_(NULL, a), L2_ERR_NULL);
    FAILS_ST(l2_mul_(a, NULL), L2_ERR_NULL);
    FAILS_ST(l2_add_(v, a), L2_ERR_SHAPE);
    FAILS_ST(l2_add_(i64, v), L2_ERR_SHAPE);
    l2_tensor *f3 = l2_ones(1, (int64_t[]){2}, L2_FLOAT32);
    FAILS_ST(l2_add_(i64, f3), L2_ERR_DTYPE);
    l2_tensor_release(f3);
    FAILS_ST(l2_fill_(NULL, 0), L2_ERR_NULL);
    FAILS_ST(l2_zero_(NULL), L2_ERR_NULL);
    FAILS_ST(l2_relu_(NULL), L2_ERR_NULL);
    FAILS_ST(l2_clamp_(NULL, 0, 1), L2_ERR_NULL);

    /* Optimizers. */
    l2_tensor *p = l2_ones(1, (int64_t[]){2}, L2_FLOAT32);
    FAILS(l2_sgd(1, &p, l2_sgd_defaults(0.1)), L2_ERR_ARG); /* p does not require grad */
    l2_set_requires_grad(p, true);
    FAILS(l2_sgd(0, &p, l2_sgd_defaults(0.1)), L2_ERR_ARG);
    FAILS(l2_sgd(1, (l2_tensor *[]){NULL}, l2_sgd_defaults(0.1)), L2_ERR_NULL);
    FAILS(l2_sgd(1, &p, l2_sgd_defaults(-1)), L2_ERR_ARG);
    l2_sgd_options nes = l2_sgd_defaults(0.1);
    nes.nesterov = true;
    FAILS(l2_sgd(1, &p, nes), L2_ERR_ARG);
    l2_adam_options ad = l2_adam_defaults();
    ad.beta1 = 1;
    FAILS(l2_adam(1, &p, ad), L2_ERR_ARG);
    ad = l2_adamw_defaults();
    ad.eps = -1;
    FAILS(l2_adamw(1, &p, ad), L2_ERR_ARG);
    l2_tensor *pv = l2_ones(2, (int64_t[]){2, 2}, L2_FLOAT32);
    l2_set_requires_grad(pv, true);
    l2_tensor *pt = l2_t(pv);
    FAILS(l2_sgd(1, &pt, l2_sgd_defaults(0.1)), L2_ERR_ARG); /* not a leaf */
    l2_tensor_release(pt);
    l2_tensor_release(pv);
    FAILS_ST(l2_optimizer_step(NULL), L2_ERR_NULL);
    FAILS_ST(l2_optimizer_zero_grad(NULL, true), L2_ERR_NULL);
    FAILS_ST(l2_optimizer_set_lr(NULL, 1), L2_ERR_NULL);
    l2_optimizer *o = l2_sgd(1, &p, l2_sgd_defaults(0.5));
    FAILS_ST(l2_optimizer_set_lr(o, -1), L2_ERR_ARG);
    is_near(l2_optimizer_get_lr(o), 0.5, 0, "lr unchanged after a refused set_lr");
    /* A grad that is not contiguous: the step reads it through a copy. */
    l2_tensor *gbase = l2_from_data((float[]){1, 0, 2, 0}, 2, (int64_t[]){2, 2}, L2_FLOAT32);
    l2_tensor *sq2 = l2_mul(p, p);
    l2_tensor *gsl = l2_slice(gbase, 1, 0, 1, 1);
    l2_tensor *gflat = gsl ? l2_flatten(gsl, 0, -1) : NULL; /* (2), stride 2: a copy? a view */
    l2_status bst = l2_backward(sq2, gflat, false);
    ok(bst == L2_OK, "backward with a strided grad_output");
    is_int(l2_optimizer_step(o), L2_OK, "sgd step");
    double p0 = 0, p1 = 0;
    l2_get(p, (int64_t[]){0}, &p0);
    l2_get(p, (int64_t[]){1}, &p1);
    is_near(p0, 1 - 0.5 * 2 * 1, 1e-6, "p[0] -= lr * 2p * g0");
    is_near(p1, 1 - 0.5 * 2 * 2, 1e-6, "p[1] -= lr * 2p * g1");
    l2_tensor_release(gflat);
    l2_tensor_release(gsl);
    l2_tensor_release(sq2);
    l2_tensor_release(gbase);
    l2_optimizer_free(o);
    l2_optimizer_free(NULL);
    l2_tensor_release(p);

    /* Convolution, pooling, normalisation, linear algebra and indexing: shape and value
     * errors. */
    l2_tensor *img = l2_ones(4, (int64_t[]){1, 2, 4, 4}, L2_FLOAT32);
    l2_tensor *w4 = l2_ones(4, (int64_t[]){3, 2, 3, 3}, L2_FLOAT32);
    l2_tensor *w64 = l2_ones(4, (int64_t[]){3, 2, 3, 3}, L2_FLOAT64);
    l2_tensor *b3 = l2_ones(1, (int64_t[]){3}, L2_FLOAT32);
    l2_tensor *b3d = l2_ones(1, (int64_t[]){3}, L2_FLOAT64);
    FAILS(l2_conv2d(img, NULL, NULL, NULL, NULL, NULL, 1), L2_ERR_NULL);
    FAILS(l2_conv2d(img, a, NULL, NULL, NULL, NULL, 1), L2_ERR_SHAPE);
    FAILS(l2_conv2d(img, w4, NULL, (int64_t[]){0, 1}, NULL, NULL, 1), L2_ERR_ARG);
    FAILS(l2_conv2d(img, w4, NULL, NULL, (int64_t[]){-1, 0}, NULL, 1), L2_ERR_ARG);
    FAILS(l2_conv2d(img, w4, NULL, NULL, NULL, (int64_t[]){1, 0}, 1), L2_ERR_ARG);
    FAILS(l2_conv2d(img, w4, b3d, NULL, NULL, NULL, 1), L2_ERR_DTYPE);
    FAILS(l2_conv2d(img, w4, a, NULL, NULL, NULL, 1), L2_ERR_SHAPE);
    FAILS(l2_conv2d(img, w64, NULL, NULL, NULL, NULL, 1), L2_ERR_DTYPE);
    FAILS(l2_conv2d(img, w4, NULL, NULL, NULL, (int64_t[]){3, 3}, 1), L2_ERR_SHAPE);
    FAILS(l2_conv2d(img, w4, b3, NULL, NULL, NULL, 0), L2_ERR_ARG);
    FAILS(l2_max_pool2d(img, (int64_t[]){0, 2}, NULL, NULL), L2_ERR_ARG);
    FAILS(l2_max_pool2d(img, (int64_t[]){2, 2}, (int64_t[]){0, 1}, NULL), L2_ERR_ARG);
    FAILS(l2_max_pool2d(img, (int64_t[]){2, 2}, NULL, (int64_t[]){2, 0}), L2_ERR_ARG);
    FAILS(l2_avg_pool2d(img, (int64_t[]){5, 5}, NULL, NULL), L2_ERR_SHAPE);
    FAILS(l2_max_pool2d(a, (int64_t[]){1, 1}, NULL, NULL), L2_ERR_SHAPE);
    FAILS(l2_adaptive_avg_pool2d(img, (int64_t[]){-1, 1}), L2_ERR_ARG);
    l2_tensor *img0 = l2_ones(4, (int64_t[]){1, 0, 4, 4}, L2_FLOAT32);
    FAILS(l2_adaptive_avg_pool2d(img0, (int64_t[]){1, 1}), L2_ERR_SHAPE);
    FAILS(l2_max_pool2d(img0, (int64_t[]){1, 1}, NULL, NULL), L2_ERR_SHAPE);
    FAILS(l2_pad(img, -2, (int64_t[]){1, 1}, 0), L2_ERR_ARG);
    l2_tensor *rm = l2_zeros(1, (int64_t[]){2}, L2_FLOAT32);
    l2_tensor *rmi = l2_zeros(1, (int64_t[]){2}, L2_INT64);
    l2_tensor *rm3 = l2_zeros(1, (int64_t[]){3}, L2_FLOAT32);
    FAILS(l2_batch_norm(img, rmi, rm, NULL, NULL, false, 0.1, 1e-5), L2_ERR_DTYPE);
    FAILS(l2_batch_norm(img, rm3, rm, NULL, NULL, false, 0.1, 1e-5), L2_ERR_SHAPE);
    FAILS(l2_batch_norm(img, rm, rm, rm3, NULL, false, 0.1, 1e-5), L2_ERR_SHAPE);
    l2_tensor *imgi = l2_zeros(4, (int64_t[]){1, 2, 2, 2}, L2_INT64);
    FAILS(l2_batch_norm(imgi, rm, rm, NULL, NULL, false, 0.1, 1e-5), L2_ERR_DTYPE);
    FAILS(l2_layer_norm(i64, 1, (int64_t[]){2}, NULL, NULL, 1e-5), L2_ERR_DTYPE);
    FAILS(l2_layer_norm(a, 1, (int64_t[]){2}, NULL, NULL, 1e-5), L2_ERR_SHAPE);
    FAILS(l2_addmm(a, a, NULL, 1, 1), L2_ERR_NULL);
    FAILS(l2_addmm(a, v, a, 1, 1), L2_ERR_SHAPE);
    l2_tensor *sq3 = l2_ones(2, (int64_t[]){3, 3}, L2_FLOAT32);
    FAILS(l2_addmm(a, a, sq3, NAN, 1), L2_ERR_ARG);
    l2_tensor_release(sq3);
    l2_tensor *ai = l2_zeros(2, (int64_t[]){2, 2}, L2_INT64);
    FAILS(l2_addmm(ai, ai, ai, 0.5, 1), L2_ERR_ARG);
    FAILS(l2_addmm(a, ai, ai, 1, 1), L2_ERR_DTYPE);
    FAILS(l2_linear(a, NULL, NULL), L2_ERR_NULL);
    FAILS(l2_index_select(s, 0, i64), L2_ERR_SHAPE);
    FAILS(l2_scatter_add(NULL, 0, i64, a), L2_ERR_NULL);
    l2_tensor *bl = l2_zeros(1, (int64_t[]){2}, L2_BOOL);
    FAILS(l2_scatter_add(bl, 0, i64, bl), L2_ERR_DTYPE);
    l2_tensor *i2 = l2_zeros(2, (int64_t[]){1, 1}, L2_INT64);
    FAILS(l2_gather(a, 0, i64), L2_ERR_SHAPE);
    l2_tensor *g = l2_gather(a, 1, i2);
    ok(g && l2_numel(g) == 1, "gather with a (1,1) index");
    l2_tensor_release(g);
    l2_tensor *mse_i = l2_mse_loss(a, i64, L2_REDUCTION_MEAN);
    ok(mse_i == NULL && l2_last_status() != L2_OK, "mse_loss with an int64 target fails (%s)",
       l2_last_error());
    FAILS(l2_cross_entropy(a, a, (l2_reduction)7, -100, 0), L2_ERR_ARG);
    l2_tensor *all2[] = {i2, bl, ai, imgi, rm3, rmi, rm, img0, b3d, b3, w64, w4, img};
    for (size_t k = 0; k < sizeof all2 / sizeof all2[0]; k++)
        l2_tensor_release(all2[k]);

    /* Two threads give the results of one (reductions along and across memory, big enough
     * to be split). */
    l2_manual_seed(5);
    l2_tensor *big = l2_randn(2, (int64_t[]){600, 500}, L2_FLOAT64);
    l2_tensor *big32 = l2_to_dtype(big, L2_FLOAT32);
    l2_tensor *big10 = l2_mul_scalar(big, 10);
    l2_tensor *bigi = l2_to_dtype(big10, L2_INT64);
    l2_tensor *bigb = l2_gt_scalar(big, 1);
    enum { NR = 12 };
    l2_tensor *r1[NR], *r2[NR];
    for (int pass = 0; pass < 2; pass++) {
        l2_tensor **r = pass ? r2 : r1;
        is_int(l2_set_num_threads(pass ? 2 : 1), L2_OK, "set_num_threads");
        r[0] = l2_sum_dims(big, 1, (int[]){1}, false);
        r[1] = l2_sum_dims(big, 1, (int[]){0}, false);
        r[2] = l2_max_dim(big, 0, false, NULL);
        r[3] = l2_norm(big, 2, 0, NULL, false);
        r[4] = l2_norm(big, INFINITY, 0, NULL, false);
        r[5] = l2_max(bigi);
        r[6] = l2_argmin(bigi);
        r[7] = l2_sum_dims(big32, 1, (int[]){0}, false);
        r[8] = l2_any_dim(bigb, 0, false);
        r[9] = l2_sum_dims(bigb, 1, (int[]){0}, false);
        r[10] = l2_min(big32);
        r[11] = l2_max_dim(bigi, 0, true, NULL);
    }
    l2_tensor_release(bigb);
    l2_tensor_release(bigi);
    l2_tensor_release(big10);
    l2_tensor_release(big32);
    int same_all = 1;
    for (int k = 0; k < NR; k++) {
        l2_tensor *f1 = l2_to_dtype(r1[k], L2_FLOAT64), *f2 = l2_to_dtype(r2[k], L2_FLOAT64);
        l2_tensor *d = l2_sub(f1, f2), *dabs = d ? l2_abs(d) : NULL;
        l2_tensor_release(f1);
        l2_tensor_release(f2);
        l2_tensor *m = dabs ? l2_max(dabs) : NULL;
        double dm = 1;
        if (!m || l2_item(m, &dm) != L2_OK || dm > 1e-3) {
            same_all = 0;
            tap_diag("threaded reduction %d differs by %g", k, dm);
        }
        l2_tensor_release(m);
        l2_tensor_release(dabs);
        l2_tensor_release(d);
        l2_tensor_release(r1[k]);
        l2_tensor_release(r2[k]);
    }
    ok(same_all, "reductions with two threads equal those with one");
    FAILS_ST(l2_set_num_threads(0), L2_ERR_ARG);
    l2_set_num_threads(1);
    l2_tensor_release(big);

    /* Printing: torch 1.13's text for bool, empty, large (summarised), requires_grad and
     * non-finite values. */
    double pd[6] = {1, NAN, INFINITY, -INFINITY, 1e9, 1e-6};
    l2_tensor *pv0 = l2_from_data(pd, 1, (int64_t[]){6}, L2_FLOAT64);
    l2_tensor *pb = l2_gt_scalar(pv0, 0);
    l2_tensor *pe = l2_zeros(2, (int64_t[]){0, 3}, L2_INT64);
    l2_tensor *pl = l2_arange(0, 2000, 1, L2_FLOAT32);
    l2_tensor *pr = l2_ones(1, (int64_t[]){2}, L2_FLOAT32);
    l2_set_requires_grad(pr, true);
    l2_tensor *pf = l2_full(2, (int64_t[]){2, 3}, 123456.5, L2_FLOAT32);
    char *str = l2_to_string(pb);
    is_str(str, "tensor([ True, False,  True, False,  True,  True])", "bool print");
    l2_free(str);
    str = l2_to_string(pe);
    is_str(str, "tensor([], size=(0, 3), dtype=torch.int64)", "empty int64 print");
    l2_free(str);
    str = l2_to_string(pr);
    is_str(str, "tensor([1., 1.], requires_grad=True)", "requires_grad print");
    l2_free(str);
    str = l2_to_string(pf);
    is_str(str, "tensor([[123456.5000, 123456.5000, 123456.5000],\n"
                "        [123456.5000, 123456.5000, 123456.5000]])", "fixed-point print");
    l2_free(str);
    str = l2_to_string(pv0);
    ok(str && strstr(str, "       nan,        inf,       -inf, 1.0000e+09") != NULL,
       "non-finite values in scientific notation: %s", str ? str : "(null)");
    l2_free(str);
    str = l2_to_string(pl);
    ok(str && strstr(str, "2.0000e+00,  ..., 1.9970e+03") != NULL,
       "more than 1000 elements are summarised with ...");
    l2_free(str);
    l2_tensor *pall[] = {pf, pr, pl, pe, pb, pv0};
    for (size_t k = 0; k < sizeof pall / sizeof pall[0]; k++)
        l2_tensor_release(pall[k]);

    l2_tensor *all[] = {a3, em, i64, s, v, a};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
    return tap_done();
}
