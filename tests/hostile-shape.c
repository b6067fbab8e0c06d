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
