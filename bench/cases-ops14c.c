/* cases-ops14c.c: issue 14's later shape, indexing, convolution and pooling ops, forward and
 * forward + backward, float32, full profile only; rows for the generic runner of
 * cases-ops14.c (ops14_add_rows; the inputs: IN_* in cases.h). The torch twins are in
 * bench/torch_ops14.py under "op/variant".
 * The ops that return several pieces (split, chunk, unbind, tensor_split, meshgrid): the forward
 * case makes the pieces (and keeps none); the +bwd case differentiates the pieces put back
 * together (cat, or stack for unbind; the sum of the two grids for meshgrid), as the twin does. */
#include "cases.h"

enum { MAX_OUT = 64 };

/* Pieces of t into p (cap MAX_OUT) by `how`: 0 split 256 along 1, 1 chunk 4 along 0, 2 unbind
 * along 0, 3 tensor_split 3 sections along 1; *n their number (0 after a failure). */
static void pieces_of(const l2_tensor *t, int how, l2_tensor **p, int64_t *n)
{
    l2_status s = how == 0   ? l2_split(t, 256, 1, p, MAX_OUT, n)
                  : how == 1 ? l2_chunk(t, 4, 0, p, MAX_OUT, n)
                  : how == 2 ? l2_unbind(t, 0, p, MAX_OUT, n)
                             : l2_tensor_split(t, 3, 1, p, MAX_OUT, n);
    if (s != L2_OK)
        *n = 0;
}

static l2_tensor *make_pieces(l2_tensor **t, int how)
{
    l2_tensor *p[MAX_OUT];
    int64_t n = 0;
    pieces_of(t[0], how, p, &n);
    return ops14_first_piece(p, n);
}

/* The pieces put back together along their dim (stack for unbind). */
static l2_tensor *rejoin(l2_tensor **t, int how)
{
    l2_tensor *p[MAX_OUT];
    int64_t n = 0;
    pieces_of(t[0], how, p, &n);
    if (n == 0)
        return NULL;
    l2_tensor *y = how == 2 ? l2_stack((int)n, p, 0) : l2_cat((int)n, p, how == 1 ? 0 : 1);
    for (int64_t i = 0; i < n; i++)
        l2_tensor_release(p[i]);
    return y;
}

static l2_tensor *f_split(l2_tensor **t) { return make_pieces(t, 0); }
static l2_tensor *b_split(l2_tensor **t) { return rejoin(t, 0); }
static l2_tensor *f_chunk(l2_tensor **t) { return make_pieces(t, 1); }
static l2_tensor *b_chunk(l2_tensor **t) { return rejoin(t, 1); }
static l2_tensor *f_unbind(l2_tensor **t) { return make_pieces(t, 2); }
static l2_tensor *b_unbind(l2_tensor **t) { return rejoin(t, 2); }
static l2_tensor *f_tensor_split(l2_tensor **t) { return make_pieces(t, 3); }
static l2_tensor *b_tensor_split(l2_tensor **t) { return rejoin(t, 3); }

static l2_tensor *f_meshgrid(l2_tensor **t)
{
    l2_tensor *p[2];
    int64_t n = 0;
    if (l2_meshgrid(2, t, "ij", p, 2, &n) != L2_OK)
        return NULL;
    return ops14_first_piece(p, n);
}

static l2_tensor *b_meshgrid(l2_tensor **t)
{
    l2_tensor *p[2];
    int64_t n = 0;
    if (l2_meshgrid(2, t, "ij", p, 2, &n) != L2_OK)
        return NULL;
    l2_tensor *y = l2_add(p[0], p[1]);
    l2_tensor_release(p[0]);
    l2_tensor_release(p[1]);
    return y;
}

static l2_tensor *f_movedim(l2_tensor **t)
{
    return l2_movedim(t[0], 1, (const int[]){1}, (const int[]){3});
}
static l2_tensor *f_triu(l2_tensor **t) { return l2_triu(t[0], 0); }
static l2_tensor *f_diag(l2_tensor **t) { return l2_diag(t[0], 0); }
static l2_tensor *f_diagonal(l2_tensor **t) { return l2_diagonal(t[0], 0, 0, 1); }
static l2_tensor *f_tile(l2_tensor **t) { return l2_tile(t[0], 2, (const int64_t[]){2, 2}); }
static l2_tensor *f_repeat_interleave(l2_tensor **t)
{
    return l2_repeat_interleave(t[0], 2, (const int[]){1});
}
static l2_tensor *f_rot90(l2_tensor **t) { return l2_rot90(t[0], 1, (const int[]){0, 1}); }

static l2_tensor *f_index_fill(l2_tensor **t) { return l2_index_fill(t[0], 0, t[1], -1.0); }
static l2_tensor *f_index_copy(l2_tensor **t) { return l2_index_copy(t[0], 0, t[1], t[2]); }
static l2_tensor *f_nonzero(l2_tensor **t) { return l2_nonzero(t[0]); }
static l2_tensor *f_masked_scatter(l2_tensor **t) { return l2_masked_scatter(t[0], t[1], t[2]); }
static l2_tensor *f_take_along_dim(l2_tensor **t) { return l2_take_along_dim(t[0], t[1], 1); }

static l2_tensor *f_conv_transpose1d(l2_tensor **t)
{
    return l2_conv_transpose1d(t[0], t[1], t[2], 2, 1, 0, 1, 1);
}
static l2_tensor *f_max_pool2d_ex(l2_tensor **t)
{
    static const int64_t k[2] = {3, 3}, s[2] = {2, 2}, p[2] = {0, 0}, dil[2] = {2, 2};
    return l2_max_pool2d_ex(t[0], k, s, p, dil, true, NULL); /* no indices asked, as the twin */
}
static l2_tensor *f_avg_pool2d_ex(l2_tensor **t)
{
    static const int64_t k[2] = {3, 3}, s[2] = {2, 2}, p[2] = {1, 1};
    return l2_avg_pool2d_ex(t[0], k, s, p, false, false, 0);
}

#define ROW(op, var, shape, in, grad, f) {#op, var, shape, in, grad, f, NULL}
#define ROW2(op, var, shape, in, grad, f, b) {#op, var, shape, in, grad, f, b}

static const ops14_row rows[] = {
    /* views and copies of a shape */
    ROW2(split, "s256d1", "1024x1024", IN_RANDN, 1, f_split, b_split),
    ROW2(chunk, "c4d0", "1024x1024", IN_RANDN, 1, f_chunk, b_chunk),
    ROW2(unbind, "dim0", "64x128x128", IN_RANDN, 1, f_unbind, b_unbind),
    ROW2(tensor_split, "s3d1", "1024x1024", IN_RANDN, 1, f_tensor_split, b_tensor_split),
    ROW(movedim, "1to3", "64x16x32x32", IN_RANDN, 1, f_movedim),
    ROW(triu, "d0", "1024x1024", IN_RANDN, 1, f_triu),
    ROW(diag, "vec", "1024", IN_RANDN, 1, f_diag),
    ROW(diagonal, "o0", "1024x1024", IN_RANDN, 1, f_diagonal),
    ROW(tile, "2x2", "512x512", IN_RANDN, 1, f_tile),
    ROW(repeat_interleave, "r2d1", "1024x512", IN_RANDN, 1, f_repeat_interleave),
    ROW(rot90, "k1", "1024x1024", IN_RANDN, 1, f_rot90),
    ROW2(meshgrid, "ij", "1024-1024", IN_RANDN, 3, f_meshgrid, b_meshgrid),
    /* indexing */
    ROW(index_fill, "dim0", "4096x256-1024", IN_INDEX, 1, f_index_fill),
    ROW(index_copy, "dim0", "4096x256-1024x256", IN_INDEX, 5, f_index_copy),
    ROW(nonzero, "half", "1024x1024", IN_RELU, 0, f_nonzero),
    ROW(masked_scatter, "half", "1024x1024-1024x1024", IN_MASK, 5, f_masked_scatter),
    ROW(take_along_dim, "dim1", "1024x1024", IN_GATHER, 1, f_take_along_dim),
    /* convolution and pooling */
    ROW(conv_transpose1d, "s2p1", "64x32x256-32x16x4", IN_CONV, 7, f_conv_transpose1d),
    ROW(max_pool2d_ex, "k3s2d2ceil", "64x16x28x28", IN_RANDN, 1, f_max_pool2d_ex),
    ROW(avg_pool2d_ex, "k3s2p1nopad", "64x16x28x28", IN_RANDN, 1, f_avg_pool2d_ex),
};

void bench_cases_ops14c(void) { ops14_add_rows(rows, (int)(sizeof rows / sizeof rows[0])); }
