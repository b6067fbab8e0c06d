/* shape.c: the shape family (issue 14). split, split_with_sizes, chunk and unbind return several
 * views of their input through a caller's array; each piece is a narrow (SLICE node) or select
 * view of t, so gradients flow back to t through the existing view nodes. */

#include "../autograd-impl.h"
#include "../checked.h"

#include <string.h>

/* Make count pieces of t along dim d: piece i is t.narrow(d, start_i, len_i), where the lengths
 * are sizes[i] (sizes != NULL) or min(step, rest) (sizes == NULL), or t.select(d, i) when
 * unbind. All or nothing: out is written only when every piece was made. */
static l2_status make_pieces(const char *op, const l2_tensor *t, int d, int64_t count,
                             int64_t step, const int64_t *sizes, bool unbind, l2_tensor **out)
{
    l2_tensor **tmp = l2__malloc((size_t)(count > 0 ? count : 1) * sizeof *tmp, op);
    if (!tmp)
        return l2_last_status();
    int64_t start = 0, size = t->shape[d];
    for (int64_t i = 0; i < count; i++) {
        if (unbind) {
            tmp[i] = l2__select_impl(op, t, d, i);
        } else {
            int64_t len = sizes ? sizes[i] : (size - start < step ? size - start : step);
            tmp[i] = l2__slice_impl(op, t, d, start, start + len, 1);
            start += len;
        }
        if (!tmp[i]) {
            l2_status st = l2_last_status();
            for (int64_t j = 0; j < i; j++)
                l2_tensor_release(tmp[j]);
            l2__free(tmp);
            return st;
        }
    }
    for (int64_t i = 0; i < count; i++)
        out[i] = l2__ret(tmp[i]);
    l2__free(tmp);
    return L2_OK;
}

/* The common checks and the output-array rule: out == NULL asks for the count only. */
static l2_status finish(const char *op, const l2_tensor *t, int d, int64_t n, int64_t step,
                        const int64_t *sizes, bool unbind, l2_tensor **out, int64_t cap,
                        int64_t *count)
{
    if (out) {
        L2__CHECK_ST(cap >= n, L2_ERR_ARG,
                     "%s: the output array holds %lld tensors but the result has %lld", op,
                     (long long)cap, (long long)n);
        l2_status st = make_pieces(op, t, d, n, step, sizes, unbind, out);
        if (st != L2_OK)
            return st;
    }
    *count = n;
    return L2_OK;
}

static int start_dim(const char *op, const l2_tensor *t, int dim, const int64_t *count)
{
    L2__CHECK(count != NULL, -1, L2_ERR_NULL, "%s: argument 'count' is NULL", op);
    L2__CHECK(t->ndim > 0, -1, L2_ERR_DIM,
              "%s: Dimension specified as %d but tensor has no dimensions", op, 0);
    return l2__wrap_dim(op, dim, t->ndim);
}

l2_status l2_split(const l2_tensor *t, int64_t split_size, int dim, l2_tensor **out,
                   int64_t cap, int64_t *count)
{
    L2__CHECK_T(t, l2_last_status(), "split");
    L2__CHECK_ST(split_size >= 0 || t->ndim == 0, L2_ERR_ARG, /* torch's order of checks */
                 "split: split expects split_size be non-negative, but got split_size=%lld",
                 (long long)split_size);
    int d = start_dim("split", t, dim, count);
    if (d < 0)
        return l2_last_status();
    int64_t size = t->shape[d];
    L2__CHECK_ST(split_size > 0 || size == 0, L2_ERR_ARG,
                 "split: split_size can only be 0 if dimension size is 0, but got dimension "
                 "size of %lld", (long long)size);
    int64_t n = split_size == 0 ? 1 : size / split_size + (size % split_size != 0);
    if (n < 1)
        n = 1;
    return finish("split", t, d, n, split_size, NULL, false, out, cap, count);
}

l2_status l2_split_with_sizes(const l2_tensor *t, int64_t nsizes, const int64_t *sizes, int dim,
                              l2_tensor **out, int64_t cap, int64_t *count)
{
    L2__CHECK_T(t, l2_last_status(), "split_with_sizes");
    int d = start_dim("split_with_sizes", t, dim, count);
    if (d < 0)
        return l2_last_status();
    L2__CHECK_ST(nsizes >= 0, L2_ERR_ARG, "split_with_sizes: nsizes %lld is negative",
                 (long long)nsizes);
    L2__CHECK_ST(sizes != NULL || nsizes == 0, L2_ERR_NULL,
                 "split_with_sizes: argument 'sizes' is NULL");
    int64_t sum = 0;
    for (int64_t i = 0; i < nsizes; i++) {
        L2__CHECK_ST(sizes[i] >= 0, L2_ERR_ARG,
                     "split_with_sizes: split_with_sizes expects split_sizes have only "
                     "non-negative entries, but got split_sizes[%lld]=%lld", (long long)i,
                     (long long)sizes[i]);
        L2__CHECK_ST(!l2__add_ovf(sum, sizes[i], &sum), L2_ERR_OVERFLOW,
                     "split_with_sizes: the split sizes' sum overflows int64");
    }
    L2__CHECK_ST(sum == t->shape[d], L2_ERR_ARG,
                 "split_with_sizes: split_with_sizes expects split_sizes to sum exactly to "
                 "%lld (input tensor's size at dimension %d), but they sum to %lld",
                 (long long)t->shape[d], dim, (long long)sum);
    return finish("split_with_sizes", t, d, nsizes, 0, sizes, false, out, cap, count);
}

l2_status l2_chunk(const l2_tensor *t, int64_t chunks, int dim, l2_tensor **out, int64_t cap,
                   int64_t *count)
{
    L2__CHECK_T(t, l2_last_status(), "chunk");
    L2__CHECK_ST(chunks > 0 || t->ndim == 0, L2_ERR_ARG, /* torch's order of checks */
                 "chunk: chunk expects `chunks` to be greater than 0, got: %lld",
                 (long long)chunks);
    int d = start_dim("chunk", t, dim, count);
    if (d < 0)
        return l2_last_status();
    int64_t size = t->shape[d];
    int64_t step = size / chunks + (size % chunks != 0);
    if (size == 0) /* torch: chunks empty pieces (split would give one) */
        return finish("chunk", t, d, chunks, 0, NULL, false, out, cap, count);
    int64_t n = size / step + (size % step != 0);
    return finish("chunk", t, d, n, step, NULL, false, out, cap, count);
}

l2_status l2_unbind(const l2_tensor *t, int dim, l2_tensor **out, int64_t cap, int64_t *count)
{
    L2__CHECK_T(t, l2_last_status(), "unbind");
    int d = start_dim("unbind", t, dim, count);
    if (d < 0)
        return l2_last_status();
    return finish("unbind", t, d, t->shape[d], 0, NULL, true, out, cap, count);
}

/* ---- tensor_split ------------------------------------------------------------------------ */

/* Piece i of tensor_split: t.slice(d, a, b) with slice's bounds rule (negatives wrap, clamped,
 * an end before the start gives an empty piece). sections > 0: the first size % sections
 * pieces one longer; otherwise the pieces between the n indices. */
static void ts_bounds(int64_t size, int64_t sections, const int64_t *idx, int64_t n, int64_t i,
                      int64_t *a, int64_t *b)
{
    if (sections > 0) {
        int64_t base = size / sections, extra = size % sections;
        *a = i * base + (i < extra ? i : extra);
        *b = *a + base + (i < extra);
        return;
    }
    *a = i == 0 ? 0 : idx[i - 1];
    *b = i == n ? size : idx[i];
}

static l2_status ts_pieces(const char *op, const l2_tensor *t, int d, int64_t count,
                           int64_t sections, const int64_t *idx, int64_t n, l2_tensor **out,
                           int64_t cap, int64_t *pcount)
{
    if (out) {
        L2__CHECK_ST(cap >= count, L2_ERR_ARG,
                     "%s: the output array holds %lld tensors but the result has %lld", op,
                     (long long)cap, (long long)count);
        l2_tensor **tmp = l2__malloc((size_t)(count > 0 ? count : 1) * sizeof *tmp, op);
        if (!tmp)
            return l2_last_status();
        for (int64_t i = 0; i < count; i++) {
            int64_t a, b;
            ts_bounds(t->shape[d], sections, idx, n, i, &a, &b);
            tmp[i] = l2__slice_impl(op, t, d, a, b, 1);
            if (!tmp[i]) {
                l2_status st = l2_last_status();
                for (int64_t j = 0; j < i; j++)
                    l2_tensor_release(tmp[j]);
                l2__free(tmp);
                return st;
            }
        }
        for (int64_t i = 0; i < count; i++)
            out[i] = l2__ret(tmp[i]);
        l2__free(tmp);
    }
    *pcount = count;
    return L2_OK;
}

static int ts_dim(const char *op, const l2_tensor *t, int dim, const int64_t *count)
{
    L2__CHECK(count != NULL, -1, L2_ERR_NULL, "%s: argument 'count' is NULL", op);
    L2__CHECK(t->ndim > 0, -1, L2_ERR_DIM, "%s: tensor_split expected at least a "
              "1-dimensional tensor, but got a tensor with 0 dims", op);
    return l2__wrap_dim(op, dim, t->ndim);
}

l2_status l2_tensor_split(const l2_tensor *t, int64_t sections, int dim, l2_tensor **out,
                          int64_t cap, int64_t *count)
{
    const char *op = "tensor_split";
    L2__CHECK_T(t, l2_last_status(), op);
    int d = ts_dim(op, t, dim, count);
    if (d < 0)
        return l2_last_status();
    L2__CHECK_ST(sections > 0, L2_ERR_ARG, "%s: number of sections must be larger than 0, got "
                 "%lld", op, (long long)sections);
    return ts_pieces(op, t, d, sections, sections, NULL, 0, out, cap, count);
}

l2_status l2_tensor_split_indices(const l2_tensor *t, int64_t n, const int64_t *indices,
                                  int dim, l2_tensor **out, int64_t cap, int64_t *count)
{
    const char *op = "tensor_split";
    L2__CHECK_T(t, l2_last_status(), op);
    int d = ts_dim(op, t, dim, count);
    if (d < 0)
        return l2_last_status();
    L2__CHECK_ST(n >= 0 && n < INT64_MAX, L2_ERR_ARG, "%s: %lld indices", op, (long long)n);
    L2__CHECK_ST(indices != NULL || n == 0, L2_ERR_NULL, "%s: argument 'indices' is NULL", op);
    return ts_pieces(op, t, d, n + 1, 0, indices, n, out, cap, count);
}

/* ---- meshgrid ---------------------------------------------------------------------------- */

l2_status l2_meshgrid(int n, l2_tensor *const *ts, const char *indexing, l2_tensor **out,
                      int64_t cap, int64_t *count)
{
    const char *op = "meshgrid";
    L2__CHECK_ST(n > 0, L2_ERR_ARG, "%s: meshgrid expects a non-empty TensorList", op);
    L2__CHECK_ST(n <= L2_MAX_DIMS, L2_ERR_ARG, "%s: %d tensors (at most %d: the result's rank)",
                 op, n, L2_MAX_DIMS);
    L2__CHECK_ST(ts != NULL, L2_ERR_NULL, "%s: argument 'tensors' is NULL", op);
    L2__CHECK_ST(count != NULL, L2_ERR_NULL, "%s: argument 'count' is NULL", op);
    for (int i = 0; i < n; i++)
        L2__CHECK_TN(ts[i], l2_last_status(), op, "tensors[i]");
    for (int i = 0; i + 1 < n; i++)
        L2__CHECK_ST(ts[i]->dtype == ts[i + 1]->dtype, L2_ERR_DTYPE,
                     "%s: meshgrid expects all tensors to have the same dtype", op);
    bool xy = indexing && strcmp(indexing, "xy") == 0;
    L2__CHECK_ST(!indexing || xy || strcmp(indexing, "ij") == 0, L2_ERR_ARG,
                 "%s: indexing must be one of \"xy\" or \"ij\", but received: %s", op, indexing);
    /* xy: the first two inputs swap places (so do their results): dims (N_1, N_0, ...) */
    const l2_tensor *in[L2_MAX_DIMS];
    int64_t shape[L2_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        in[i] = ts[xy && n >= 2 && i < 2 ? 1 - i : i];
        L2__CHECK_ST(in[i]->ndim <= 1, L2_ERR_DIM, "%s: torch.meshgrid: Expected 0D or 1D tensor "
                     "in the tensor list but got a %dD tensor", op, in[i]->ndim);
        shape[i] = l2__numel(in[i]->ndim, in[i]->shape);
    }
    if (out) {
        L2__CHECK_ST(cap >= n, L2_ERR_ARG,
                     "%s: the output array holds %lld tensors but the result has %d", op,
                     (long long)cap, n);
        l2_tensor *tmp[L2_MAX_DIMS];
        l2__enter();
        int made = 0;
        for (int i = 0; i < n; i++, made++) {
            int64_t vs[L2_MAX_DIMS];
            for (int j = 0; j < n; j++)
                vs[j] = j == i ? shape[i] : 1;
            l2_tensor *v = l2_view(in[i], n, vs);
            tmp[i] = v ? l2_expand(v, n, shape) : NULL;
            l2_tensor_release(v);
            if (!tmp[i])
                break;
        }
        l2__leave();
        if (made < n) {
            l2_status st = l2_last_status();
            for (int j = 0; j < made; j++)
                l2_tensor_release(tmp[j]);
            return st;
        }
        for (int i = 0; i < n; i++) /* results in the caller's order: xy swaps 0 and 1 back */
            out[i] = l2__ret(tmp[xy && n >= 2 && i < 2 ? 1 - i : i]);
    }
    *count = n;
    return L2_OK;
}
