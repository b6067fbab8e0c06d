/* hostile-shape.c: hostile-input entries for the shape family (issue 14, libl2/ops/shape*.c):
 * every dtype and hostile tensor kind, bad dims and sizes, NULLs, a too small output array
 * (nothing written on failure: neither the array nor *count), and a backward through a piece. */
#include "hostile.h"

#include <stddef.h>

/* The multi-output protocol: (t, dim, out, cap, count). */
typedef l2_status (*h_pieces_fn)(const l2_tensor *, int, l2_tensor **, int64_t, int64_t *);

#define H_CAP 16

/* One call: on failure out and *count must be untouched; on success every piece is valid. */
static l2_status pieces_call(h_pieces_fn f, const l2_tensor *t, int dim, int want, int line)
{
    l2_tensor *out[H_CAP];
    for (int i = 0; i < H_CAP; i++)
        out[i] = (l2_tensor *)&out[i];
    int64_t n = -7;
    l2_clear_error();
    l2_status s = f(t, dim, out, H_CAP, &n);
    if (want == 0)
        h_any_s(s, "pieces", line);
    else if (want > 0 && s == L2_OK)
        h_bad(line, "pieces: succeeded but must fail");
    else if (want != 0)
        h_fail_s(s, want == 1 ? H_ANY : want, "pieces", line);
    if (s != L2_OK) {
        EXPECT(n == -7, "pieces: failed but wrote *count (%lld)", (long long)n);
        for (int i = 0; i < H_CAP; i++)
            EXPECT(out[i] == (l2_tensor *)&out[i], "pieces: failed but wrote out[%d]", i);
        return s;
    }
    EXPECT(n >= 0 && n <= H_CAP, "pieces: count %lld for cap %d", (long long)n, H_CAP);
    for (int64_t i = 0; i < n && i < H_CAP; i++)
        if (out[i])
            h_check_valid(out[i], "piece", line);
        else
            h_bad(line, "pieces: out[%lld] is NULL after success", (long long)i);
    return s;
}

/* NULL, bad dims, every dtype and kind, rank 8, a backward through piece 0. */
static void sweep_pieces(h_pieces_fn f)
{
    CASE("NULL t") pieces_call(f, NULL, 0, L2_ERR_NULL, __LINE__);
    CASE("NULL count") FAIL_S(L2_ERR_NULL, f(MK(L2_FLOAT32, 2, 3), 0, NULL, 0, NULL));
    CASE("count only")
    {
        int64_t n = -1;
        OK_S(f(MK(L2_FLOAT32, 2, 3), 1, NULL, 0, &n));
        EXPECT(n >= 0, "count-only query gave %lld", (long long)n);
    }
    CASE("cap 0") pieces_call(f, MK(L2_FLOAT32, 4, 4), 1, 0, __LINE__);
    {
        l2_tensor *o[1];
        int64_t n = -7;
        CASE("cap -1") ANY_S(f(MK(L2_FLOAT32, 4, 4), 1, o, -1, &n));
    }
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("(2,3) dim %d", h_bad_dims[i])
    pieces_call(f, MK(L2_FLOAT32, 2, 3), h_bad_dims[i], L2_ERR_DIM, __LINE__);
    CASE("0-d") pieces_call(f, mk_kind(K_0D, L2_FLOAT32), 0, 1, __LINE__);
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            for (int dim = -1; dim <= 0; dim++)
                CASE("%s %s dim %d", l2_dtype_name(h_dtypes[d]), h_kind_name[k], dim)
    pieces_call(f, mk_kind(k, h_dtypes[d]), dim, 0, __LINE__);
    CASE("rank 8 dim -8")
    pieces_call(f, MK(L2_FLOAT32, 2, 2, 1, 2, 1, 2, 1, 2), -8, 0, __LINE__);
    CASE("requires grad, then backward")
    {
        l2_tensor *out[H_CAP];
        int64_t n = 0;
        if (ANY_S(f(mk_leaf(L2_FLOAT64), 1, out, H_CAP, &n)) == L2_OK && n > 0 &&
            l2_requires_grad(out[0]))
            ANY_S(l2_backward(l2_sum(out[0]), NULL, false));
    }
}

static l2_status p_split(const l2_tensor *t, int dim, l2_tensor **o, int64_t cap, int64_t *n)
{
    return l2_split(t, 2, dim, o, cap, n);
}

/* sizes {1, rest} of dim's size when it has one (else {0, 0}: a wrong sum or a bad dim). */
static l2_status p_sws(const l2_tensor *t, int dim, l2_tensor **o, int64_t cap, int64_t *n)
{
    int nd = t ? l2_ndim(t) : 0;
    int64_t sz[2] = {0, 0};
    if (nd > 0 && dim >= -nd && dim < nd && l2_shape(t)[dim < 0 ? dim + nd : dim] > 0) {
        sz[0] = 1;
        sz[1] = l2_shape(t)[dim < 0 ? dim + nd : dim] - 1;
    }
    return l2_split_with_sizes(t, 2, sz, dim, o, cap, n);
}

static l2_status p_chunk(const l2_tensor *t, int dim, l2_tensor **o, int64_t cap, int64_t *n)
{
    return l2_chunk(t, 3, dim, o, cap, n);
}

void h_l2_split(void)
{
    sweep_pieces(p_split);
    int64_t n = 0;
    l2_tensor *o[H_CAP];
    static const int64_t bad[] = {-1, INT64_MIN};
    for (int i = 0; i < 2; i++)
        CASE("split_size %lld", (long long)bad[i])
    FAIL_S(L2_ERR_ARG, l2_split(MK(L2_FLOAT32, 2, 3), bad[i], 1, o, H_CAP, &n));
    CASE("split_size 0") FAIL_S(L2_ERR_ARG, l2_split(MK(L2_FLOAT32, 2, 3), 0, 1, o, H_CAP, &n));
    CASE("split_size INT64_MAX")
    OK_S(l2_split(MK(L2_FLOAT32, 2, 3), INT64_MAX, 1, o, H_CAP, &n));
    CASE("huge in 2^30 pieces: cap too small")
    FAIL_S(L2_ERR_ARG, l2_split(mk_kind(K_HUGE, L2_FLOAT32), 2, 0, o, H_CAP, &n));
}

void h_l2_split_with_sizes(void)
{
    sweep_pieces(p_sws);
    int64_t n = 0;
    l2_tensor *o[H_CAP];
    CASE("NULL sizes")
    FAIL_S(L2_ERR_NULL, l2_split_with_sizes(MK(L2_FLOAT32, 2, 3), 2, NULL, 1, o, H_CAP, &n));
    CASE("negative nsizes")
    FAIL_S(L2_ERR_ARG, l2_split_with_sizes(MK(L2_FLOAT32, 2, 3), -1, (int64_t[]){3}, 1, o,
                                           H_CAP, &n));
    CASE("negative size")
    FAIL_S(L2_ERR_ARG, l2_split_with_sizes(MK(L2_FLOAT32, 2, 3), 2, (int64_t[]){4, -1}, 1, o,
                                           H_CAP, &n));
    CASE("sum overflows")
    FAIL_S(H_ANY, l2_split_with_sizes(MK(L2_FLOAT32, 2, 3), 3,
                                      (int64_t[]){INT64_MAX, INT64_MAX, 5}, 1, o, H_CAP, &n));
    CASE("wrong sum")
    FAIL_S(L2_ERR_ARG, l2_split_with_sizes(MK(L2_FLOAT32, 2, 3), 2, (int64_t[]){1, 1}, 1, o,
                                           H_CAP, &n));
    CASE("nsizes 0 on size 0")
    OK_S(l2_split_with_sizes(mk_kind(K_EMPTY, L2_FLOAT32), 0, NULL, 0, o, H_CAP, &n));
}

void h_l2_chunk(void)
{
    sweep_pieces(p_chunk);
    int64_t n = 0;
    l2_tensor *o[H_CAP];
    static const int64_t bad[] = {0, -1, INT64_MIN};
    for (int i = 0; i < 3; i++)
        CASE("chunks %lld", (long long)bad[i])
    FAIL_S(L2_ERR_ARG, l2_chunk(MK(L2_FLOAT32, 2, 3), bad[i], 1, o, H_CAP, &n));
    CASE("chunks INT64_MAX")
    OK_S(l2_chunk(MK(L2_FLOAT32, 2, 3), INT64_MAX, 1, o, H_CAP, &n));
    CASE("chunks INT64_MAX on an empty dim: cap too small")
    FAIL_S(L2_ERR_ARG, l2_chunk(mk_kind(K_EMPTY, L2_FLOAT32), INT64_MAX, 0, o, H_CAP, &n));
    CASE("huge in 2 chunks") OK_S(l2_chunk(mk_kind(K_HUGE, L2_FLOAT32), 2, 0, o, H_CAP, &n));
}

void h_l2_unbind(void)
{
    sweep_pieces(l2_unbind);
    int64_t n = 0;
    l2_tensor *o[H_CAP];
    CASE("huge: cap too small")
    FAIL_S(L2_ERR_ARG, l2_unbind(mk_kind(K_HUGE, L2_FLOAT32), 1, o, H_CAP, &n));
}

/* ---- tensor_split, meshgrid ---------------------------------------------------------------- */

static l2_status p_tsplit(const l2_tensor *t, int dim, l2_tensor **o, int64_t cap, int64_t *n)
{
    return l2_tensor_split(t, 3, dim, o, cap, n);
}

static l2_status p_tsplit_idx(const l2_tensor *t, int dim, l2_tensor **o, int64_t cap,
                              int64_t *n)
{
    return l2_tensor_split_indices(t, 3, (const int64_t[]){-1, 1, INT64_MAX}, dim, o, cap, n);
}

void h_l2_tensor_split(void)
{
    sweep_pieces(p_tsplit);
    int64_t n = 0;
    l2_tensor *o[H_CAP];
    static const int64_t bad[] = {0, -1, INT64_MIN};
    for (int i = 0; i < 3; i++)
        CASE("sections %lld", (long long)bad[i])
    FAIL_S(L2_ERR_ARG, l2_tensor_split(MK(L2_FLOAT32, 2, 3), bad[i], 1, o, H_CAP, &n));
    CASE("sections INT64_MAX: cap too small")
    FAIL_S(L2_ERR_ARG, l2_tensor_split(MK(L2_FLOAT32, 2, 3), INT64_MAX, 1, o, H_CAP, &n));
    CASE("huge in 3") OK_S(l2_tensor_split(mk_kind(K_HUGE, L2_FLOAT32), 3, 0, o, H_CAP, &n));
}

void h_l2_tensor_split_indices(void)
{
    sweep_pieces(p_tsplit_idx);
    int64_t n = 0;
    l2_tensor *o[H_CAP];
    CASE("NULL indices")
    FAIL_S(L2_ERR_NULL, l2_tensor_split_indices(MK(L2_FLOAT32, 4), 2, NULL, 0, o, H_CAP, &n));
    CASE("n -1")
    FAIL_S(L2_ERR_ARG, l2_tensor_split_indices(MK(L2_FLOAT32, 4), -1, NULL, 0, o, H_CAP, &n));
    CASE("extreme indices")
    OK_S(l2_tensor_split_indices(MK(L2_FLOAT32, 4), 4,
                                 (const int64_t[]){INT64_MIN, INT64_MAX, -5, 2}, 0, o, H_CAP, &n));
}

void h_l2_meshgrid(void)
{
    int64_t n = 0;
    l2_tensor *o[H_CAP];
    CASE("n 0") FAIL_S(L2_ERR_ARG, l2_meshgrid(0, NULL, "ij", o, H_CAP, &n));
    CASE("n 9") FAIL_S(L2_ERR_ARG, l2_meshgrid(9, NULL, "ij", o, H_CAP, &n));
    CASE("NULL array") FAIL_S(L2_ERR_NULL, l2_meshgrid(2, NULL, "ij", o, H_CAP, &n));
    CASE("NULL entry")
    FAIL_S(L2_ERR_NULL, l2_meshgrid(2, (l2_tensor *const[]){MK(L2_FLOAT32, 2), NULL}, "ij", o,
                                    H_CAP, &n));
    CASE("NULL count")
    FAIL_S(L2_ERR_NULL, l2_meshgrid(1, (l2_tensor *const[]){MK(L2_FLOAT32, 2)}, "ij", o, H_CAP,
                                    NULL));
    CASE("bad indexing")
    FAIL_S(L2_ERR_ARG, l2_meshgrid(1, (l2_tensor *const[]){MK(L2_FLOAT32, 2)}, "ji", o, H_CAP,
                                   &n));
    CASE("2-d input")
    FAIL_S(L2_ERR_DIM, l2_meshgrid(1, (l2_tensor *const[]){MK(L2_FLOAT32, 2, 3)}, "xy", o, H_CAP,
                                   &n));
    CASE("cap 1 for 2")
    FAIL_S(L2_ERR_ARG, l2_meshgrid(2, (l2_tensor *const[]){MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 3)},
                                   NULL, o, 1, &n));
    for (int a = 0; a < L2_DTYPE_COUNT; a++)
        for (int b = 0; b < L2_DTYPE_COUNT; b++)
            CASE("%s and %s, xy", l2_dtype_name(h_dtypes[a]), l2_dtype_name(h_dtypes[b]))
    ANY_S(l2_meshgrid(2, (l2_tensor *const[]){MK(h_dtypes[a], 2), MK(h_dtypes[b], 0)}, "xy", o,
                      H_CAP, &n));
    CASE("0-d, 8 of them")
    {
        l2_tensor *s = mk_kind(K_0D, L2_FLOAT32);
        OK_S(l2_meshgrid(8, (l2_tensor *const[]){s, s, s, s, s, s, s, s}, "xy", o, H_CAP, &n));
    }
    CASE("huge 1-d: 2^62 elements each")
    {
        l2_tensor *h = l2_expand(MK(L2_FLOAT32, 1), L2_SHAPE((int64_t)1 << 31));
        ANY_S(l2_meshgrid(2, (l2_tensor *const[]){h, h}, "ij", o, H_CAP, &n));
    }
    CASE("backward")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT64);
        l2_tensor *v = l2_flatten(x, 0, -1);
        if (OK_S(l2_meshgrid(2, (l2_tensor *const[]){v, v}, "xy", o, H_CAP, &n)) == L2_OK)
            ANY_S(l2_backward(l2_sum(o[1]), NULL, false));
    }
}

/* ---- single-result ops (no 2^62-element input: index_select would build a 2^31 index) --- */

static l2_tensor *u_movedim(const l2_tensor *t)
{
    return l2_movedim(t, 1, (const int[]){0}, (const int[]){-1});
}
static l2_tensor *u_flip(const l2_tensor *t) { return l2_flip(t, 1, (const int[]){-1}); }
static l2_tensor *u_roll(const l2_tensor *t)
{
    return l2_roll(t, 1, (const int64_t[]){INT64_MIN}, 1, (const int[]){0});
}
static l2_tensor *u_roll_flat(const l2_tensor *t)
{
    return l2_roll(t, 1, (const int64_t[]){-7}, 0, NULL);
}
static l2_tensor *u_tril(const l2_tensor *t) { return l2_tril(t, INT64_MIN); }
static l2_tensor *u_triu(const l2_tensor *t) { return l2_triu(t, -1); }
static l2_tensor *u_diag(const l2_tensor *t) { return l2_diag(t, 1); }
static l2_tensor *u_diagonal(const l2_tensor *t) { return l2_diagonal(t, -1, 0, -1); }
static l2_tensor *u_repeat(const l2_tensor *t)
{
    return l2_repeat(t, 3, (const int64_t[]){2, 1, 3});
}
static l2_tensor *u_tile(const l2_tensor *t) { return l2_tile(t, 1, (const int64_t[]){2}); }
static l2_tensor *u_ri(const l2_tensor *t) { return l2_repeat_interleave(t, 2, NULL); }
static l2_tensor *u_ri_t(const l2_tensor *t)
{
    return l2_repeat_interleave_tensor(t, l2_full(0, NULL, 2, L2_INT64), (const int[]){0});
}
static l2_tensor *u_rot90(const l2_tensor *t) { return l2_rot90(t, -3, (const int[]){1, 0}); }

void h_l2_movedim(void)
{
    sweep_unary_kinds(u_movedim, K_COUNT);
    l2_tensor *t = MK(L2_FLOAT32, 2, 3, 4);
    CASE("NULL source") FAIL_T(L2_ERR_NULL, l2_movedim(t, 1, NULL, (const int[]){0}));
    CASE("repeated source")
    FAIL_T(L2_ERR_DIM, l2_movedim(t, 2, (const int[]){0, -3}, (const int[]){0, 1}));
    CASE("repeated destination")
    FAIL_T(L2_ERR_DIM, l2_movedim(t, 2, (const int[]){0, 1}, (const int[]){2, 2}));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_movedim(MK(L2_FLOAT32, 2, 3), 1, &h_bad_dims[i], (const int[]){0}));
    CASE("n 9") FAIL_T(H_ANY, l2_movedim(t, 9, (const int[9]){0}, (const int[9]){0}));
    CASE("n -1") FAIL_T(L2_ERR_ARG, l2_movedim(t, -1, NULL, NULL));
    l2_tensor_release(t);
}

void h_l2_flip(void)
{
    sweep_unary_kinds(u_flip, K_HUGE);
    CASE("repeated dim")
    FAIL_T(L2_ERR_DIM, l2_flip(MK(L2_FLOAT32, 2, 3), 2, (const int[]){1, -1}));
    CASE("NULL dims") FAIL_T(L2_ERR_NULL, l2_flip(MK(L2_FLOAT32, 2, 3), 1, NULL));
    CASE("ndims -1") FAIL_T(L2_ERR_ARG, l2_flip(MK(L2_FLOAT32, 2, 3), -1, NULL));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_flip(MK(L2_FLOAT32, 2, 3), 1, &h_bad_dims[i]));
}

void h_l2_roll(void)
{
    sweep_unary_kinds(u_roll, K_HUGE);
    sweep_unary_kinds(u_roll_flat, K_HUGE);
    l2_tensor *t = MK(L2_FLOAT32, 2, 3);
    CASE("no shifts") FAIL_T(L2_ERR_ARG, l2_roll(t, 0, NULL, 0, NULL));
    CASE("NULL shifts") FAIL_T(L2_ERR_NULL, l2_roll(t, 1, NULL, 0, NULL));
    CASE("2 shifts, 1 dim")
    FAIL_T(L2_ERR_ARG, l2_roll(t, 2, (const int64_t[]){1, 2}, 1, (const int[]){0}));
    CASE("2 shifts, no dims")
    FAIL_T(L2_ERR_ARG, l2_roll(t, 2, (const int64_t[]){1, 2}, 0, NULL));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_roll(t, 1, (const int64_t[]){1}, 1, &h_bad_dims[i]));
    CASE("0-d with a dim")
    FAIL_T(L2_ERR_DIM, l2_roll(mk_kind(K_0D, L2_FLOAT32), 1, (const int64_t[]){1}, 1,
                               (const int[]){0}));
    l2_tensor_release(t);
}

void h_l2_tril(void)
{
    sweep_unary_kinds(u_tril, K_COUNT);
    CASE("1-d") FAIL_T(L2_ERR_DIM, l2_tril(MK(L2_FLOAT32, 3), 0));
    CASE("INT64_MAX") OK_T(l2_tril(MK(L2_FLOAT32, 2, 3), INT64_MAX));
}

void h_l2_triu(void)
{
    sweep_unary_kinds(u_triu, K_COUNT);
    CASE("0-d") FAIL_T(L2_ERR_DIM, l2_triu(mk_kind(K_0D, L2_INT64), 0));
    CASE("INT64_MIN") OK_T(l2_triu(MK(L2_FLOAT32, 2, 3), INT64_MIN));
}

void h_l2_diag(void)
{
    sweep_unary_kinds(u_diag, K_HUGE);
    CASE("3-d") FAIL_T(L2_ERR_DIM, l2_diag(MK(L2_FLOAT32, 2, 2, 2), 0));
    CASE("2-d, k past the matrix") FAIL_T(L2_ERR_ARG, l2_diag(MK(L2_FLOAT32, 2, 3), 4));
    CASE("2-d, k INT64_MIN") FAIL_T(L2_ERR_ARG, l2_diag(MK(L2_FLOAT32, 2, 3), INT64_MIN));
    CASE("1-d, k INT64_MAX") FAIL_T(H_BIG, l2_diag(MK(L2_FLOAT32, 3), INT64_MAX));
    CASE("1-d, k INT64_MIN") FAIL_T(H_BIG, l2_diag(MK(L2_FLOAT32, 3), INT64_MIN));
    CASE("1-d, k 2^31") FAIL_T(H_BIG, l2_diag(MK(L2_FLOAT32, 3), (int64_t)1 << 31));
    CASE("1-d empty, k 3") OK_T(l2_diag(MK(L2_FLOAT64, 0), 3));
}

void h_l2_diagonal(void)
{
    sweep_unary_kinds(u_diagonal, K_COUNT);
    l2_tensor *t = MK(L2_FLOAT32, 2, 3, 4);
    CASE("same dims") FAIL_T(L2_ERR_ARG, l2_diagonal(t, 0, 1, -2));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_diagonal(MK(L2_FLOAT32, 2, 3), 0, 0, h_bad_dims[i]));
    static const int64_t off[] = {INT64_MIN, INT64_MAX, -3, 4};
    for (int i = 0; i < 4; i++)
        CASE("offset %lld", (long long)off[i])
    OK_T(l2_diagonal(t, off[i], 2, 0));
    CASE("huge") OK_T(l2_diagonal(mk_kind(K_HUGE, L2_FLOAT32), 1, 0, 1));
    l2_tensor_release(t);
}

void h_l2_repeat(void)
{
    sweep_unary_kinds(u_repeat, K_HUGE);
    l2_tensor *t = MK(L2_FLOAT32, 2, 3);
    CASE("fewer repeats than dims") FAIL_T(L2_ERR_ARG, l2_repeat(t, 1, (const int64_t[]){2}));
    CASE("negative") FAIL_T(L2_ERR_ARG, l2_repeat(t, 2, (const int64_t[]){1, -1}));
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_repeat(t, 2, NULL));
    CASE("9 dims") FAIL_T(L2_ERR_ARG, l2_repeat(t, 9, (const int64_t[9]){1}));
    CASE("INT64_MAX") FAIL_T(H_BIG, l2_repeat(t, 2, (const int64_t[]){INT64_MAX, 1}));
    CASE("2^40") FAIL_T(H_BIG, l2_repeat(t, 2, (const int64_t[]){(int64_t)1 << 40, 1}));
    CASE("zeros") OK_T(l2_repeat(t, 3, (const int64_t[]){0, 1, 0}));
    l2_tensor_release(t);
}

void h_l2_tile(void)
{
    sweep_unary_kinds(u_tile, K_HUGE);
    l2_tensor *t = MK(L2_FLOAT32, 2, 3);
    CASE("no reps") OK_T(l2_tile(t, 0, NULL));
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_tile(t, 2, NULL));
    CASE("negative") FAIL_T(L2_ERR_ARG, l2_tile(t, 1, (const int64_t[]){-1}));
    CASE("n -1") FAIL_T(L2_ERR_ARG, l2_tile(t, -1, NULL));
    CASE("INT64_MIN") FAIL_T(H_ANY, l2_tile(t, 1, (const int64_t[]){INT64_MIN}));
    l2_tensor_release(t);
}

void h_l2_repeat_interleave(void)
{
    sweep_unary_kinds(u_ri, K_HUGE);
    l2_tensor *t = MK(L2_FLOAT32, 2, 3);
    CASE("negative") FAIL_T(L2_ERR_ARG, l2_repeat_interleave(t, -1, NULL));
    CASE("INT64_MAX") FAIL_T(H_BIG, l2_repeat_interleave(t, INT64_MAX, (const int[]){1}));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(L2_ERR_DIM, l2_repeat_interleave(t, 2, &h_bad_dims[i]));
    CASE("0-d with a dim")
    FAIL_T(L2_ERR_DIM, l2_repeat_interleave(mk_kind(K_0D, L2_FLOAT32), 2, (const int[]){0}));
    l2_tensor_release(t);
}

void h_l2_repeat_interleave_tensor(void)
{
    sweep_unary_kinds(u_ri_t, K_HUGE);
    l2_tensor *t = MK(L2_FLOAT32, 2, 3);
    const int d1 = 1;
    CASE("NULL repeats") FAIL_T(L2_ERR_NULL, l2_repeat_interleave_tensor(t, NULL, &d1));
    CASE("float repeats")
    FAIL_T(L2_ERR_DTYPE, l2_repeat_interleave_tensor(t, MK(L2_FLOAT32, 3), &d1));
    CASE("2-d repeats")
    FAIL_T(L2_ERR_DIM, l2_repeat_interleave_tensor(t, MK(L2_INT64, 1, 3), &d1));
    CASE("wrong length")
    FAIL_T(L2_ERR_SHAPE, l2_repeat_interleave_tensor(t, MK(L2_INT64, 2), &d1));
    CASE("negative")
    FAIL_T(L2_ERR_ARG, l2_repeat_interleave_tensor(t, l2_full(L2_SHAPE(3), -1, L2_INT64),
                                                   &d1));
    CASE("overflowing sum")
    FAIL_T(H_BIG, l2_repeat_interleave_tensor(t, l2_full(L2_SHAPE(3), 9.2e18, L2_INT64),
                                              &d1));
    for (int k = 0; k < K_HUGE; k++)
        CASE("repeats %s", h_kind_name[k])
    ANY_T(l2_repeat_interleave_tensor(t, mk_kind(k, L2_INT64), NULL));
    l2_tensor_release(t);
}

void h_l2_rot90(void)
{
    sweep_unary_kinds(u_rot90, K_HUGE);
    l2_tensor *t = MK(L2_FLOAT32, 2, 3);
    CASE("NULL dims") FAIL_T(L2_ERR_NULL, l2_rot90(t, 1, NULL));
    CASE("1-d") FAIL_T(L2_ERR_DIM, l2_rot90(MK(L2_FLOAT32, 3), 1, (const int[]){0, 1}));
    CASE("same dims") FAIL_T(L2_ERR_ARG, l2_rot90(t, 1, (const int[]){1, -1}));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
    FAIL_T(H_ANY, l2_rot90(t, 1, (const int[]){0, h_bad_dims[i]}));
    static const int64_t ks[] = {INT64_MIN, INT64_MAX, 0, 2};
    for (int i = 0; i < 4; i++)
        CASE("k %lld", (long long)ks[i])
    OK_T(l2_rot90(t, ks[i], (const int[]){0, 1}));
    l2_tensor_release(t);
}
