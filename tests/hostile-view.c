/* hostile-view.c: hostile-input entries for views and copies. */
#include "hostile.h"

#include <stdlib.h>
#include <string.h>

#define BIG40 ((int64_t)1 << 40)

/* ---- Views ------------------------------------------------------------------------------------
 */

typedef l2_tensor *(*h_shape_fn)(const l2_tensor *, int, const int64_t *);

/* (t, ndim, shape) functions: view, reshape, expand, broadcast_to. */
static void sweep_reshape_like(h_shape_fn f, int is_expand)
{
    static const int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const int64_t shapes[][2] = {
        {-1, -1},
        {-2, 3},
        {INT64_MIN, -1},
        {INT64_MAX, 1},
        {(int64_t)1 << 62, 4},
        {-1, 0},
        {0, -1},
        {(int64_t)1 << 32, (int64_t)1 << 32},
        {INT64_MAX, -1},
        {3, -1},
    };
    CASE("NULL") FAIL_T(L2_ERR_NULL, f(NULL, L2_SHAPE(2)));
    CASE("NULL shape") FAIL_T(L2_ERR_NULL, f(MK(L2_FLOAT32, 6), 2, NULL));
    CASE("rank 9") FAIL_T(H_ANY, f(MK(L2_FLOAT32, 1), 9, nine));
    CASE("rank -1") FAIL_T(H_ANY, f(MK(L2_FLOAT32, 1), -1, nine));
    CASE("rank INT_MIN") FAIL_T(H_ANY, f(MK(L2_FLOAT32, 1), INT_MIN, nine));
    for (int i = 0; i < (int)(sizeof shapes / sizeof shapes[0]); i++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s to {%lld, %lld}", h_kind_name[k], (long long)shapes[i][0],
                 (long long)shapes[i][1])
    ANY_T(f(mk_kind(k, L2_FLOAT32), 2, shapes[i]));
    CASE("0-d to rank 8") ANY_T(f(mk_kind(K_0D, L2_INT64), L2_SHAPE(1, 1, 1, 1, 1, 1, 1, 1)));
    if (is_expand) {
        CASE("expand to 2^66 elements")
        FAIL_T(H_BIG, f(MK(L2_FLOAT32, 1, 1, 1), L2_SHAPE(BIG40, BIG40, 1 << 20)));
        CASE("expand to (2^62, 4)")
        FAIL_T(H_BIG, f(MK(L2_FLOAT32, 1, 1), L2_SHAPE((int64_t)1 << 62, 4)));
        CASE("expand to (2^31, 2^31) then clone")
        ANY_T(l2_clone(f(MK(L2_FLOAT32, 1, 1), L2_SHAPE((int64_t)1 << 31, (int64_t)1 << 31))));
        CASE("expand a non-1 size") FAIL_T(L2_ERR_SHAPE, f(MK(L2_FLOAT32, 2), L2_SHAPE(3)));
        CASE("expand to fewer dims") FAIL_T(H_ANY, f(MK(L2_FLOAT32, 2, 2), L2_SHAPE(2)));
    } else {
        CASE("-1 with an overflowing product")
        FAIL_T(H_ANY, f(MK(L2_FLOAT32, 4), L2_SHAPE(-1, (int64_t)1 << 62, 4)));
        CASE("two -1") FAIL_T(H_ANY, f(MK(L2_FLOAT32, 4), L2_SHAPE(-1, -1)));
    }
}

void h_l2_view(void)
{
    sweep_reshape_like(l2_view, 0);
    CASE("view of a transposed tensor")
    FAIL_T(L2_ERR_SHAPE, l2_view(mk_kind(K_NONCONTIG, L2_FLOAT32), L2_SHAPE(6)));
}

void h_l2_reshape(void)
{
    sweep_reshape_like(l2_reshape, 0);
}

void h_l2_expand(void)
{
    sweep_reshape_like(l2_expand, 1);
}

void h_l2_broadcast_to(void)
{
    sweep_reshape_like(l2_broadcast_to, 1);
}

void h_l2_permute(void)
{
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_permute(NULL, (const int[]){0}));
    CASE("NULL dims") FAIL_T(L2_ERR_NULL, l2_permute(MK(L2_FLOAT32, 2, 3), NULL));
    CASE("repeated") FAIL_T(H_ANY, l2_permute(MK(L2_FLOAT32, 2, 3), (const int[]){0, 0}));
    CASE("repeated via negative")
    FAIL_T(H_ANY, l2_permute(MK(L2_FLOAT32, 2, 3), (const int[]){1, -1}));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
        FAIL_T(L2_ERR_DIM, l2_permute(MK(L2_FLOAT32, 2, 3), (const int[]){0, h_bad_dims[i]}));
    CASE("0-d, no dims") ANY_T(l2_permute(mk_kind(K_0D, L2_FLOAT32), (const int[]){0}));
    CASE("huge") ANY_T(l2_permute(mk_kind(K_HUGE, L2_FLOAT32), (const int[]){1, 0}));
}

static l2_tensor *tr0(const l2_tensor *t, int d)
{
    return l2_transpose(t, 0, d);
}

static l2_tensor *tr1(const l2_tensor *t, int d)
{
    return l2_transpose(t, d, -1);
}

typedef l2_tensor *(*h_dim_fn)(const l2_tensor *, int);

static void sweep_view_dim(h_dim_fn f)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, f(NULL, 0));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i]) FAIL_T(L2_ERR_DIM, f(MK(L2_FLOAT32, 2, 3), h_bad_dims[i]));
    for (int k = 0; k < K_COUNT; k++)
        CASE("%s dim -1", h_kind_name[k]) ANY_T(f(mk_kind(k, L2_BOOL), -1));
    CASE("0-d dim 0") ANY_T(f(mk_kind(K_0D, L2_FLOAT32), 0));
    CASE("0-d dim 2") FAIL_T(L2_ERR_DIM, f(mk_kind(K_0D, L2_FLOAT32), 2));
}

void h_l2_transpose(void)
{
    sweep_view_dim(tr0);
    sweep_view_dim(tr1);
}

void h_l2_t(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_t(NULL));
    CASE("rank 3") FAIL_T(H_ANY, l2_t(MK(L2_FLOAT32, 1, 2, 3)));
    for (int k = 0; k < K_COUNT; k++)
        CASE("%s", h_kind_name[k]) ANY_T(l2_t(mk_kind(k, L2_INT64)));
}

void h_l2_slice(void)
{
    static const int64_t v[] = {INT64_MIN, INT64_MIN + 1, -4,       -1, 0, 2,
                                4,         INT64_MAX - 1, INT64_MAX};
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_slice(NULL, 0, 0, 1, 1));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_slice(MK(L2_FLOAT32, 2, 3), h_bad_dims[i], 0, 1, 1));
    static const int64_t steps[] = {0, -1, INT64_MIN};
    for (int i = 0; i < 3; i++)
        CASE("step %lld", (long long)steps[i])
    FAIL_T(L2_ERR_ARG, l2_slice(MK(L2_FLOAT32, 3), 0, 0, 3, steps[i]));
    for (int a = 0; a < 9; a++)
        for (int b = 0; b < 9; b += 2)
            CASE("start %lld stop %lld step INT64_MAX", (long long)v[a], (long long)v[b])
    ANY_T(l2_slice(MK(L2_FLOAT32, 3), 0, v[a], v[b], INT64_MAX));
    for (int a = 0; a < 9; a++)
        CASE("huge, start %lld stop INT64_MAX step 3", (long long)v[a])
    ANY_T(l2_slice(mk_kind(K_HUGE, L2_FLOAT32), 1, v[a], INT64_MAX, 3));
    CASE("empty") ANY_T(l2_slice(mk_kind(K_EMPTY, L2_FLOAT32), 0, 1, 5, 2));
}

void h_l2_index(void)
{
    static const char *specs[] = {
        "",
        ",",
        "::",
        ":::",
        "1:2:0",
        "1:2:-1",
        "...,...",
        "None",
        "None, None, None, None, None,"
        " None, None, None",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999",
        "2",
        "-3",
        "0:9223372036854775807:9223372036854775807",
        "::-9223372036854775808",
        "a",
        "0,0,0",
        "1 2",
        "...,None,...",
        "\x01",
        ":,:,:,:,:,:,:,:,:,:",
        "  ",
        "0x10",
        "1e3",
        "::99999999999999999999999",
        "-0",
        "None,0,:",
        "+1",
    };
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_index(NULL, ":"));
    CASE("NULL spec") FAIL_T(L2_ERR_NULL, l2_index(MK(L2_FLOAT32, 2), NULL));
    for (int i = 0; i < (int)(sizeof specs / sizeof specs[0]); i++)
        CASE("spec \"%s\"", specs[i]) ANY_T(l2_index(MK(L2_FLOAT32, 2, 2), specs[i]));
    CASE("0-d, \"None\" x 9")
    ANY_T(l2_index(mk_kind(K_0D, L2_FLOAT32), "None,None,None,None,None,None,None,None,None"));
    CASE("a very long spec")
    {
        char *s = malloc(1 << 20);
        memset(s, ':', (1 << 20) - 1);
        s[(1 << 20) - 1] = 0;
        ANY_T(l2_index(MK(L2_FLOAT32, 2), s));
        free(s);
    }
}

void h_l2_select(void)
{
    static const int64_t v[] = {INT64_MIN, -3, 2, INT64_MAX, 1000000};
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_select(NULL, 0, 0));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_select(MK(L2_FLOAT32, 2, 3), h_bad_dims[i], 0));
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)v[i])
    FAIL_T(L2_ERR_INDEX, l2_select(MK(L2_FLOAT32, 2, 3), 0, v[i]));
    CASE("0-d") FAIL_T(H_ANY, l2_select(mk_kind(K_0D, L2_FLOAT32), 0, 0));
    CASE("empty") FAIL_T(L2_ERR_INDEX, l2_select(mk_kind(K_EMPTY, L2_FLOAT32), 0, 0));
    CASE("huge, last") ANY_T(l2_select(mk_kind(K_HUGE, L2_FLOAT32), 1, -1));
}

void h_l2_narrow(void)
{
    static const int64_t v[] = {INT64_MIN, -4, 3, INT64_MAX, -1};
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_narrow(NULL, 0, 0, 1));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_narrow(MK(L2_FLOAT32, 2, 3), h_bad_dims[i], 0, 1));
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            CASE("start %lld length %lld", (long long)v[i], (long long)v[j])
    FAIL_T(H_ANY, l2_narrow(MK(L2_FLOAT32, 3), 0, v[i], v[j]));
    CASE("start 1 length INT64_MAX")
    FAIL_T(L2_ERR_INDEX, l2_narrow(MK(L2_FLOAT32, 3), 0, 1, INT64_MAX));
    CASE("huge") ANY_T(l2_narrow(mk_kind(K_HUGE, L2_FLOAT32), 0, -5, 5));
}

void h_l2_squeeze(void)
{
    sweep_unary(l2_squeeze);
}

static l2_tensor *sqd(const l2_tensor *t, int d)
{
    return l2_squeeze_dim(t, d);
}

void h_l2_squeeze_dim(void)
{
    sweep_view_dim(sqd);
}

void h_l2_unsqueeze(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_unsqueeze(NULL, 0));
    static const int d[] = {INT_MIN, INT_MAX, 3, -4};
    for (int i = 0; i < 4; i++)
        CASE("dim %d", d[i]) FAIL_T(L2_ERR_DIM, l2_unsqueeze(MK(L2_FLOAT32, 2, 3), d[i]));
    CASE("rank 8 to 9") FAIL_T(H_ANY, l2_unsqueeze(MK(L2_FLOAT32, 1, 1, 1, 1, 1, 1, 1, 1), 0));
    CASE("0-d dim -1") ANY_T(l2_unsqueeze(mk_kind(K_0D, L2_FLOAT32), -1));
    CASE("huge dim 2") ANY_T(l2_unsqueeze(mk_kind(K_HUGE, L2_FLOAT32), 2));
}

void h_l2_flatten(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_flatten(NULL, 0, -1));
    for (int i = 0; i < h_nbad_dims; i++) {
        CASE("start %d", h_bad_dims[i])
        FAIL_T(L2_ERR_DIM, l2_flatten(MK(L2_FLOAT32, 2, 3), h_bad_dims[i], -1));
        CASE("end %d", h_bad_dims[i])
        FAIL_T(L2_ERR_DIM, l2_flatten(MK(L2_FLOAT32, 2, 3), 0, h_bad_dims[i]));
    }
    CASE("start > end") FAIL_T(H_ANY, l2_flatten(MK(L2_FLOAT32, 2, 3), 1, 0));
    for (int k = 0; k < K_COUNT; k++)
        CASE("%s", h_kind_name[k]) ANY_T(l2_flatten(mk_kind(k, L2_FLOAT32), 0, -1));
    CASE("(2^40, 2^40, 0)")
    ANY_T(l2_flatten(l2_expand(MK(L2_FLOAT32, 1, 1, 0), L2_SHAPE(BIG40, BIG40, 0)), 0, 1));
}

void h_l2_unflatten(void)
{
    static const int64_t sz[][2] = {{INT64_MAX, 2},
                                    {-1, -1},
                                    {-2, -3},
                                    {INT64_MIN, -1},
                                    {(int64_t)1 << 62, 4},
                                    {0, -1},
                                    {-1, 0},
                                    {3, -1},
                                    {(int64_t)1 << 32, (int64_t)1 << 32}};
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_unflatten(NULL, 0, 2, sz[0]));
    CASE("NULL sizes") FAIL_T(H_ANY, l2_unflatten(MK(L2_FLOAT32, 2, 6), 1, 2, NULL));
    for (int i = 0; i < (int)(sizeof sz / sizeof sz[0]); i++)
        CASE("(2,6) dim 1 into {%lld, %lld}", (long long)sz[i][0], (long long)sz[i][1])
        {
            if (i == 7) /* {3, -1} is valid */
                OK_T(l2_unflatten(MK(L2_FLOAT32, 2, 6), 1, 2, sz[i]));
            else
                FAIL_T(H_ANY, l2_unflatten(MK(L2_FLOAT32, 2, 6), 1, 2, sz[i]));
        }
    CASE("n 0") FAIL_T(H_ANY, l2_unflatten(MK(L2_FLOAT32, 2, 6), 1, 0, sz[0]));
    CASE("n -1") FAIL_T(H_ANY, l2_unflatten(MK(L2_FLOAT32, 2, 6), 1, -1, sz[0]));
    CASE("n 9")
    FAIL_T(H_ANY,
           l2_unflatten(MK(L2_FLOAT32, 6), 0, 9, (const int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 6}));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_unflatten(MK(L2_FLOAT32, 2, 6), h_bad_dims[i], 2, sz[7]));
    CASE("empty dim into {0, -1}") ANY_T(l2_unflatten(MK(L2_FLOAT32, 0), 0, 2, sz[5]));
    CASE("huge")
    ANY_T(l2_unflatten(mk_kind(K_HUGE, L2_FLOAT32), 0, 2, (const int64_t[]){1 << 16, -1}));
}

void h_l2_as_strided(void)
{
    static const int64_t big[] = {INT64_MAX, INT64_MIN, -1, (int64_t)1 << 62, (int64_t)1 << 32};
    CASE("NULL t") FAIL_T(L2_ERR_NULL, l2_as_strided(NULL, L2_SHAPE(1), (const int64_t[]){1}, 0));
    CASE("NULL shape")
    FAIL_T(L2_ERR_NULL, l2_as_strided(MK(L2_FLOAT32, 4), 1, NULL, (const int64_t[]){1}, 0));
    CASE("NULL strides")
    FAIL_T(L2_ERR_NULL, l2_as_strided(MK(L2_FLOAT32, 4), L2_SHAPE(2), NULL, 0));
    CASE("rank 9")
    FAIL_T(H_ANY, l2_as_strided(MK(L2_FLOAT32, 4), 9, (const int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1},
                                (const int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, 0));
    for (int i = 0; i < 5; i++) {
        CASE("stride %lld", (long long)big[i])
        FAIL_T(H_ANY, l2_as_strided(MK(L2_FLOAT32, 4), L2_SHAPE(2), &big[i], 0));
        CASE("offset %lld", (long long)big[i])
        FAIL_T(H_ANY, l2_as_strided(MK(L2_FLOAT32, 4), L2_SHAPE(1), (const int64_t[]){1}, big[i]));
        CASE("size %lld", (long long)big[i])
        FAIL_T(H_ANY, l2_as_strided(MK(L2_FLOAT32, 4), 1, &big[i], (const int64_t[]){1}, 0));
        CASE("size %lld, stride 0", (long long)big[i])
        ANY_T(l2_as_strided(MK(L2_FLOAT32, 4), 1, &big[i], (const int64_t[]){0}, 0));
        CASE("stride %lld and offset INT64_MAX", (long long)big[i])
        FAIL_T(H_ANY, l2_as_strided(MK(L2_FLOAT32, 4), L2_SHAPE(2), &big[i], INT64_MAX));
    }
    CASE("empty shape, offset INT64_MAX")
    ANY_T(l2_as_strided(MK(L2_FLOAT32, 4), L2_SHAPE(0), (const int64_t[]){1}, INT64_MAX));
    CASE("of a view with an offset")
    ANY_T(
        l2_as_strided(l2_narrow(MK(L2_FLOAT32, 4), 0, 3, 1), L2_SHAPE(2), (const int64_t[]){1}, 3));
}

void h_l2_detach(void)
{
    sweep_unary(l2_detach);
}

/* ---- Copies -----------------------------------------------------------------------------------
 */

void h_l2_contiguous(void)
{
    sweep_unary(l2_contiguous);
}

void h_l2_clone(void)
{
    sweep_unary(l2_clone);
    CASE("zeros {2^62, 4} then clone(select(t, 0, 1000000))")
    FAIL_T(H_ANY,
           l2_clone(l2_select(l2_zeros(L2_SHAPE((int64_t)1 << 62, 4), L2_FLOAT32), 0, 1000000)));
}

void h_l2_to_dtype(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_to_dtype(NULL, L2_FLOAT32));
    static const int bad[] = {-1, L2_DTYPE_COUNT, INT_MAX};
    for (int i = 0; i < 3; i++)
        CASE("dtype %d", bad[i])
        FAIL_T(L2_ERR_ARG, l2_to_dtype(MK(L2_FLOAT32, 2), (l2_dtype)bad[i]));
    for (int a = 0; a < L2_DTYPE_COUNT; a++)
        for (int b = 0; b < L2_DTYPE_COUNT; b++)
            CASE("special %s to %s", l2_dtype_name(h_dtypes[a]), l2_dtype_name(h_dtypes[b]))
    ANY_T(l2_to_dtype(mk_kind(K_SPECIAL, h_dtypes[a]), h_dtypes[b]));
    CASE("huge to float64") ANY_T(l2_to_dtype(mk_kind(K_HUGE, L2_BOOL), L2_FLOAT64));
}

typedef l2_tensor *(*h_join_fn)(int, l2_tensor *const *, int);

static void sweep_join(h_join_fn f, int is_cat)
{
    CASE("n 0") FAIL_T(H_ANY, f(0, (l2_tensor *const[]){NULL}, 0));
    CASE("n -1") FAIL_T(H_ANY, f(-1, (l2_tensor *const[]){NULL}, 0));
    CASE("NULL array") FAIL_T(L2_ERR_NULL, f(2, NULL, 0));
    CASE("NULL entry") FAIL_T(L2_ERR_NULL, f(2, (l2_tensor *const[]){MK(L2_FLOAT32, 2), NULL}, 0));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
        {
            l2_tensor *t = MK(L2_FLOAT32, 2, 3);
            int d = h_bad_dims[i];
            if (!is_cat && (d == 2 || d == -3)) /* stack's result has one more dim */
                d = d == 2 ? 3 : -4;
            FAIL_T(L2_ERR_DIM, f(2, (l2_tensor *const[]){t, t}, d));
        }
    for (int a = 0; a < L2_DTYPE_COUNT; a++)
        CASE("%s with float32", l2_dtype_name(h_dtypes[a]))
    ANY_T(f(2, (l2_tensor *const[]){MK(h_dtypes[a], 2), MK(L2_FLOAT32, 2)}, 0));
    for (int k = 0; k < K_COUNT; k++)
        CASE("%s twice", h_kind_name[k])
        {
            l2_tensor *t = mk_kind(k, L2_FLOAT32);
            ANY_T(f(2, (l2_tensor *const[]){t, t}, 0));
        }
    CASE("rank mismatch")
    FAIL_T(H_ANY, f(2, (l2_tensor *const[]){MK(L2_FLOAT32, 2, 2), MK(L2_FLOAT32, 1, 2, 2)}, 0));
    CASE("rank 8")
    {
        l2_tensor *t = MK(L2_FLOAT32, 1, 1, 1, 1, 1, 1, 1, 2);
        ANY_T(f(2, (l2_tensor *const[]){t, t}, 0));
    }
    CASE("two huge along dim 0: 2^61 rows")
    FAIL_T(H_BIG, f(2,
                    (l2_tensor *const[]){l2_expand(MK(L2_FLOAT32, 1), L2_SHAPE((int64_t)1 << 60)),
                                         l2_expand(MK(L2_FLOAT32, 1), L2_SHAPE((int64_t)1 << 60))},
                    0));
    CASE("1000 tensors")
    {
        l2_tensor *ts[1000];
        for (int i = 0; i < 1000; i++)
            ts[i] = MK(L2_FLOAT32, 1);
        ANY_T(f(1000, ts, 0));
    }
}

void h_l2_cat(void)
{
    sweep_join(l2_cat, 1);
    CASE("1-d empty with (2,3)")
    ANY_T(l2_cat(2, (l2_tensor *const[]){MK(L2_FLOAT32, 0), MK(L2_FLOAT32, 2, 3)}, 1));
}

void h_l2_stack(void)
{
    sweep_join(l2_stack, 0);
}

void h_l2_copy_(void)
{
    CASE("NULL dst") FAIL_S(L2_ERR_NULL, l2_copy_(NULL, MK(L2_FLOAT32, 2)));
    CASE("NULL src") FAIL_S(L2_ERR_NULL, l2_copy_(MK(L2_FLOAT32, 2), NULL));
    CASE("copy_(x, x)")
    {
        l2_tensor *x = MK(L2_FLOAT32, 2, 3);
        l2_tensor *s = h_snap(x);
        OK_S(l2_copy_(x, x));
        h_same(s, x, __LINE__);
    }
    CASE("copy_(x, x) of a leaf that requires grad, no grad")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_no_grad_begin();
        ANY_S(l2_copy_(x, x));
        l2_no_grad_end();
    }
    CASE("expanded dst")
    {
        l2_tensor *x = mk_kind(K_EXPANDED, L2_FLOAT32);
        FAIL_IP(L2_ERR_ARG, x, l2_copy_(x, MK(L2_FLOAT32, 3)));
    }
    CASE("overlapping dst")
    {
        l2_tensor *x = mk_kind(K_OVERLAP, L2_FLOAT32);
        ANY_IP(x, l2_copy_(x, MK(L2_FLOAT32, 2, 3)));
    }
    CASE("src overlapping dst shifted by one")
    {
        l2_tensor *b = MK(L2_FLOAT64, 5);
        l2_tensor *dst = l2_narrow(b, 0, 1, 4), *src = l2_narrow(b, 0, 0, 4);
        OK_S(l2_copy_(dst, src));
        double v = 0;
        l2_get(b, (const int64_t[]){4}, &v);
        EXPECT(v == 3, "b[4] = %g after b[1:] = b[:4], want 3", v);
    }
    CASE("dst transposed view of src")
    {
        l2_tensor *x = MK(L2_FLOAT64, 3, 3);
        OK_S(l2_copy_(x, l2_t(x)));
        double v = 0;
        l2_get(x, (const int64_t[]){0, 1}, &v);
        EXPECT(v == 3, "x[0,1] = %g after x.copy_(x.t()), want 3", v);
    }
    CASE("huge src into small dst")
    FAIL_S(L2_ERR_SHAPE, l2_copy_(MK(L2_FLOAT32, 2), mk_kind(K_HUGE, L2_FLOAT32)));
    CASE("huge expanded dst")
    FAIL_S(L2_ERR_ARG, l2_copy_(mk_kind(K_HUGE, L2_FLOAT32), MK(L2_FLOAT32, 1)));
    for (int a = 0; a < L2_DTYPE_COUNT; a++)
        for (int b = 0; b < L2_DTYPE_COUNT; b++)
            CASE("%s special into %s", l2_dtype_name(h_dtypes[b]), l2_dtype_name(h_dtypes[a]))
            {
                l2_tensor *x = MK(h_dtypes[a], 2, 3);
                ANY_IP(x, l2_copy_(x, mk_kind(K_SPECIAL, h_dtypes[b])));
            }
    CASE("leaf that requires grad")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        FAIL_IP(L2_ERR_AUTOGRAD, x, l2_copy_(x, MK(L2_FLOAT32, 3)));
    }
    CASE("view receiving a src that requires grad")
    {
        l2_tensor *x = MK(L2_FLOAT32, 2, 3);
        l2_tensor *v = l2_select(x, 0, 0);
        FAIL_IP(L2_ERR_UNSUPPORTED, x, l2_copy_(v, l2_select(mk_leaf(L2_FLOAT32), 0, 1)));
    }
    CASE("empty dst, 0-d src") ANY_S(l2_copy_(mk_kind(K_EMPTY, L2_INT64), mk_kind(K_0D, L2_BOOL)));
}
