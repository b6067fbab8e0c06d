/* l2.h: the public interface of libl2, a tensor + reverse-mode autograd library in C11.
 *
 * This header is the specification. Every function has its behaviour, shapes, dtype rules,
 * ownership and errors written above it. Semantics follow PyTorch 1.13 unless said otherwise.
 *
 * A short tour:
 *
 *     #include <l2.h>
 *
 *     l2_manual_seed(0);
 *     l2_tensor *x = l2_randn(L2_SHAPE(2, 4), L2_FLOAT32);       // yours to release
 *     l2_tensor *w = l2_randn(L2_SHAPE(4, 1), L2_FLOAT32);
 *     l2_set_requires_grad(w, true);
 *
 *     l2_scope_begin();                                         // intermediates belong to the scope
 *     l2_tensor *loss = l2_sum(l2_matmul(x, w));
 *     if (!loss || l2_backward(loss, NULL, false) != L2_OK)
 *         fprintf(stderr, "libl2: %s\n", l2_last_error());
 *     l2_scope_end();                                           // releases loss and the matmul
 *
 *     l2_print(l2_grad(w));                                     // borrowed: do not release
 *     l2_tensor_release(x);
 *     l2_tensor_release(w);
 *
 * ERRORS. No function aborts, exits or asserts on anything a caller passes. A function that
 * returns a tensor returns NULL on failure; one that returns l2_status returns a non-zero status.
 * Either way it sets a one-line, thread-local message (l2_last_error) naming the function, the
 * argument and the values, e.g. "add: shapes [2,3] and [4] cannot broadcast". A failed call
 * changes nothing: no argument is modified and nothing leaks. A successful call leaves the last
 * message as it was.
 *
 * OWNERSHIP, in one sentence: every tensor (or string) a call returns is yours and you release it
 * once with l2_tensor_release (l2_free for strings), unless a scope is open, in which case the
 * innermost scope owns it and releases it at l2_scope_end. Arguments are borrowed: a call never
 * releases what you pass. Getters (l2_grad, l2_shape, ...) return borrowed pointers that live as
 * long as the tensor they came from. Releasing NULL does nothing. Tensors are reference counted;
 * views share their base's storage and keep it alive.
 *
 * THREADS. Distinct tensors may be used from distinct threads. The error message, the grad mode,
 * the scope stack and the default random generator are per thread.
 */
#ifndef L2_H
#define L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define L2_API __attribute__((visibility("default")))
#else
#define L2_API
#endif

/* ------------------------------------------------------------------------------------------ */
/* Statuses and errors                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* The status table: name, description. 0 (L2_OK) is success. */
#define L2_STATUS_MAP(X)                                                        \
    X(OK, "success")                                                            \
    X(ERR_NULL, "a required argument is NULL")                                  \
    X(ERR_ARG, "an argument has an invalid value")                              \
    X(ERR_SHAPE, "shapes are incompatible")                                     \
    X(ERR_DIM, "a dimension is out of range")                                   \
    X(ERR_INDEX, "an index is out of range")                                    \
    X(ERR_DTYPE, "the dtype is not supported for this operation")               \
    X(ERR_OVERFLOW, "a size overflows")                                         \
    X(ERR_NOMEM, "out of memory")                                               \
    X(ERR_AUTOGRAD, "the autograd graph cannot do this")                        \
    X(ERR_IO, "a file could not be read or written")                            \
    X(ERR_FORMAT, "a file or buffer is malformed")                              \
    X(ERR_UNSUPPORTED, "the operation is not supported")

typedef enum {
#define L2__STATUS_ENUM(name, desc) L2_##name,
    L2_STATUS_MAP(L2__STATUS_ENUM)
#undef L2__STATUS_ENUM
    L2_STATUS_COUNT
} l2_status;

/* The status of the last failed call on this thread (L2_OK if none failed yet). */
L2_API l2_status l2_last_status(void);
/* The message of the last failed call on this thread; never NULL ("" if none). Borrowed. */
L2_API const char *l2_last_error(void);
/* Forget the last error: l2_last_status() becomes L2_OK and l2_last_error() "". */
L2_API void l2_clear_error(void);
/* The name of a status ("L2_ERR_SHAPE"); "L2_UNKNOWN" for a value outside the table. */
L2_API const char *l2_status_name(l2_status s);
/* The description of a status from the table; never NULL. */
L2_API const char *l2_status_string(l2_status s);

/* ------------------------------------------------------------------------------------------ */
/* Dtypes and tensors                                                                          */
/* ------------------------------------------------------------------------------------------ */

typedef enum { L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL, L2_DTYPE_COUNT } l2_dtype;

/* The most dimensions a tensor may have. 0-d tensors are scalars. */
#define L2_MAX_DIMS 8

/* L2_SHAPE(2, 3) expands to the two arguments `2, (const int64_t[]){2, 3}`: a rank and a shape. */
#define L2_SHAPE(...)                                                                  \
    (int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),                   \
        (const int64_t[]){__VA_ARGS__}

typedef struct l2_tensor l2_tensor;

/* "float32", "float64", "int64", "bool"; "invalid" outside the enum. */
L2_API const char *l2_dtype_name(l2_dtype dt);
/* Bytes per element (4, 8, 8, 1); 0 outside the enum. */
L2_API size_t l2_dtype_size(l2_dtype dt);

/* Take one more reference to t and return t (NULL for NULL). The caller owns that reference. */
L2_API l2_tensor *l2_tensor_ref(l2_tensor *t);
/* Drop one reference; the tensor (and its storage, and the autograd graph behind it, once
 * nothing else refers to them) is freed with the last. NULL does nothing. */
L2_API void l2_tensor_release(l2_tensor *t);
/* Free a string returned by libl2 (l2_to_string). NULL does nothing. */
L2_API void l2_free(void *p);

/* Properties. All getters take a non-NULL tensor; on NULL they return 0 / NULL / false and set
 * L2_ERR_NULL. Pointers returned are borrowed and live as long as t. */
L2_API int l2_ndim(const l2_tensor *t);
L2_API const int64_t *l2_shape(const l2_tensor *t);   /* ndim entries (may be none) */
L2_API const int64_t *l2_strides(const l2_tensor *t); /* in elements, ndim entries */
L2_API int64_t l2_offset(const l2_tensor *t);         /* storage offset, in elements */
/* The size of dim (negative counts from the end); -1 with L2_ERR_DIM if out of range. */
L2_API int64_t l2_size(const l2_tensor *t, int dim);
L2_API int64_t l2_numel(const l2_tensor *t);
L2_API l2_dtype l2_dtype_of(const l2_tensor *t);
/* Address of element [0,...,0] (storage base + offset). Writing through it bypasses autograd. */
L2_API void *l2_data_ptr(const l2_tensor *t);
/* True when the strides are the row-major strides of the shape (size-1 dims may have any stride). */
L2_API bool l2_is_contiguous(const l2_tensor *t);
/* True when a and b share one storage (one is a view of the other, or both of a third). */
L2_API bool l2_shares_storage(const l2_tensor *a, const l2_tensor *b);

/* ------------------------------------------------------------------------------------------ */
/* Scopes: chained expressions and loops without leaks                                         */
/* ------------------------------------------------------------------------------------------ */

/* Open a scope on this thread. Until the matching l2_scope_end, every tensor a libl2 call returns
 * is owned by this scope instead of by you: do not release it; l2_scope_end releases it.
 * Scopes nest (at most 64 deep; L2_ERR_ARG beyond). Returns L2_OK or L2_ERR_NOMEM/L2_ERR_ARG.
 *
 *     for (int step = 0; step < n; step++) {
 *         l2_scope_begin();
 *         l2_tensor *loss = l2_mse_loss(l2_linear(x, w, b), y, L2_REDUCTION_MEAN);
 *         l2_backward(loss, NULL, false);
 *         l2_scope_end();
 *     }
 */
L2_API l2_status l2_scope_begin(void);
/* Close the innermost scope and release every tensor it owns. L2_ERR_ARG if none is open. */
L2_API l2_status l2_scope_end(void);
/* Let t outlive the innermost scope: t gets one more reference, owned by the enclosing scope, or
 * by you when no scope encloses it. Returns t (NULL for NULL). */
L2_API l2_tensor *l2_keep(l2_tensor *t);

/* ------------------------------------------------------------------------------------------ */
/* Creation                                                                                    */
/* ------------------------------------------------------------------------------------------ */
/* All creation functions return a new contiguous tensor that does not require grad, or NULL.
 * Errors: L2_ERR_ARG for ndim outside 0..L2_MAX_DIMS, a negative size or an invalid dtype;
 * L2_ERR_NULL for a NULL shape with ndim > 0; L2_ERR_OVERFLOW when the element count or byte
 * size overflows int64 or size_t; L2_ERR_NOMEM when memory runs out. */

/* Uninitialised values. */
L2_API l2_tensor *l2_empty(int ndim, const int64_t *shape, l2_dtype dt);
L2_API l2_tensor *l2_zeros(int ndim, const int64_t *shape, l2_dtype dt);
L2_API l2_tensor *l2_ones(int ndim, const int64_t *shape, l2_dtype dt);
/* Every element value, converted to dt as a C cast would (bool: value != 0). */
L2_API l2_tensor *l2_full(int ndim, const int64_t *shape, double value, l2_dtype dt);
/* A 0-d tensor holding value. */
L2_API l2_tensor *l2_scalar(double value, l2_dtype dt);
/* Shape, dtype of t; contents as the name says. */
L2_API l2_tensor *l2_empty_like(const l2_tensor *t);
L2_API l2_tensor *l2_zeros_like(const l2_tensor *t);
L2_API l2_tensor *l2_ones_like(const l2_tensor *t);
L2_API l2_tensor *l2_full_like(const l2_tensor *t, double value);
/* 1-d: start, start+step, ... while < end (> end for negative step); size ceil((end-start)/step).
 * L2_ERR_ARG if step is 0 or the sign of step disagrees with end-start, or dt is bool. */
L2_API l2_tensor *l2_arange(double start, double end, double step, l2_dtype dt);
/* 1-d of steps values from start to end inclusive, evenly spaced (steps >= 0; float dtypes). */
L2_API l2_tensor *l2_linspace(double start, double end, int64_t steps, l2_dtype dt);
/* 2-d (n, m) with ones on the diagonal. m < 0 means m = n. */
L2_API l2_tensor *l2_eye(int64_t n, int64_t m, l2_dtype dt);
/* A copy of ndim/shape elements read contiguously (row-major) from data, which holds values of
 * dtype dt. L2_ERR_NULL if data is NULL and the shape has elements. */
L2_API l2_tensor *l2_from_data(const void *data, int ndim, const int64_t *shape, l2_dtype dt);
/* A tensor over external memory, no copy: element [i0,..] is at data + (offset + sum i_k*strides[k])
 * elements. strides == NULL means row-major contiguous. When the last tensor using the memory is
 * released, release(ctx) is called (if release is non-NULL); it is also called if this call fails,
 * so that ownership always passes to libl2. Negative strides are refused (L2_ERR_ARG). The caller
 * promises the memory covers every element addressed. */
L2_API l2_tensor *l2_from_blob(void *data, int ndim, const int64_t *shape, const int64_t *strides,
                               int64_t offset, l2_dtype dt, void (*release)(void *ctx), void *ctx);

/* ------------------------------------------------------------------------------------------ */
/* Random numbers                                                                              */
/* ------------------------------------------------------------------------------------------ */
/* The generator is per thread: xoshiro256** seeded through splitmix64 from a 64-bit seed
 * (default seed 0 at thread start). The same seed gives the same numbers on every machine.
 * Uniform values are k * 2^-53 for the top 53 bits k of one 64-bit draw (float32 rounds the
 * float64 value; a result that rounds to 1 is redrawn); normal values use Box-Muller on two
 * uniform draws, using both outputs. Values fill tensors in row-major order.
 * These numbers differ from torch's: the oracle hands libl2's values to torch, never the reverse. */
L2_API void l2_manual_seed(uint64_t seed);
/* Uniform on [0, 1). Float dtypes only (L2_ERR_DTYPE otherwise). */
L2_API l2_tensor *l2_rand(int ndim, const int64_t *shape, l2_dtype dt);
/* Standard normal. Float dtypes only. */
L2_API l2_tensor *l2_randn(int ndim, const int64_t *shape, l2_dtype dt);
/* Uniform on [low, high). Float dtypes only; L2_ERR_ARG if low > high. */
L2_API l2_tensor *l2_uniform(int ndim, const int64_t *shape, double low, double high, l2_dtype dt);
/* Normal with mean and std (std >= 0). Float dtypes only. */
L2_API l2_tensor *l2_normal(int ndim, const int64_t *shape, double mean, double std, l2_dtype dt);
/* int64 uniform on [low, high); L2_ERR_ARG if low >= high. */
L2_API l2_tensor *l2_randint(int64_t low, int64_t high, int ndim, const int64_t *shape);
L2_API l2_tensor *l2_rand_like(const l2_tensor *t);
L2_API l2_tensor *l2_randn_like(const l2_tensor *t);
/* Fill t (any layout, float dtype) in place; bumps t's version like any in-place op. L2_ERR_AUTOGRAD
 * on a leaf that requires grad while grad mode is on (as torch; use l2_no_grad_begin). */
L2_API l2_status l2_uniform_(l2_tensor *t, double low, double high);
L2_API l2_status l2_normal_(l2_tensor *t, double mean, double std);

/* ------------------------------------------------------------------------------------------ */
/* Element access and printing                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Read element idx (ndim entries, negative counts from the end) as a double. L2_ERR_INDEX if out of
 * range. For 0-d tensors idx may be NULL. */
L2_API l2_status l2_get(const l2_tensor *t, const int64_t *idx, double *out);
/* Read element idx of an int64 tensor exactly (L2_ERR_DTYPE for other dtypes). */
L2_API l2_status l2_get_int64(const l2_tensor *t, const int64_t *idx, int64_t *out);
/* Write value (converted like l2_full) to element idx. Bumps the version; the same autograd rule
 * as l2_uniform_. */
L2_API l2_status l2_set(l2_tensor *t, const int64_t *idx, double value);
/* The value of a one-element tensor of any rank. L2_ERR_SHAPE if numel != 1. */
L2_API l2_status l2_item(const l2_tensor *t, double *out);
/* PyTorch's format: "tensor([[1., 2.],\n        [3., 4.]])", with ", dtype=torch.float64" for
 * non-default dtypes and ", requires_grad=True" where it applies; more than 1000 elements are
 * summarised with "..." keeping 3 at each end of each dim. Returns a string you free with l2_free. */
L2_API char *l2_to_string(const l2_tensor *t);
/* Print l2_to_string(t) and a newline to stdout. */
L2_API l2_status l2_print(const l2_tensor *t);

/* ------------------------------------------------------------------------------------------ */
/* Views (no copy: the result shares t's storage; writes through one show in the other)        */
/* ------------------------------------------------------------------------------------------ */
/* Dims may be negative (counting from the end) everywhere; L2_ERR_DIM when out of range.
 * Views are differentiable: gradients flow back to t. */

/* Same elements, new shape; at most one entry may be -1 (inferred). L2_ERR_SHAPE if the element
 * counts differ or t's strides cannot express the new shape without a copy (as torch.view). */
L2_API l2_tensor *l2_view(const l2_tensor *t, int ndim, const int64_t *shape);
/* Like l2_view, but copies (as l2_contiguous) when no view is possible. */
L2_API l2_tensor *l2_reshape(const l2_tensor *t, int ndim, const int64_t *shape);
/* Reorder dims: dims holds a permutation of 0..ndim-1 (negatives allowed). */
L2_API l2_tensor *l2_permute(const l2_tensor *t, const int *dims);
L2_API l2_tensor *l2_transpose(const l2_tensor *t, int dim0, int dim1);
/* Transpose of a tensor of rank <= 2 (rank 0 and 1 are returned as views unchanged). */
L2_API l2_tensor *l2_t(const l2_tensor *t);
/* t[..., start:stop:step, ...] along dim with Python rules: negative start/stop count from the end,
 * out-of-range ends clamp, step >= 1 (as torch; L2_ERR_ARG otherwise). Use 0 and INT64_MAX for
 * an omitted start and stop. */
L2_API l2_tensor *l2_slice(const l2_tensor *t, int dim, int64_t start, int64_t stop, int64_t step);
/* numpy/torch basic indexing from a string, e.g. "1:3, ::2", "..., -1", "None, 0, :".
 * Items: an integer (selects, removing the dim), start:stop:step with any part omitted, "..."
 * (at most once), "None" (inserts a size-1 dim). L2_ERR_ARG names the offending item. */
L2_API l2_tensor *l2_index(const l2_tensor *t, const char *spec);
/* t[..., index, ...] along dim: removes dim. L2_ERR_INDEX if index is outside [-size, size). */
L2_API l2_tensor *l2_select(const l2_tensor *t, int dim, int64_t index);
/* t[..., start:start+length, ...]; start may be negative; L2_ERR_INDEX if out of range. */
L2_API l2_tensor *l2_narrow(const l2_tensor *t, int dim, int64_t start, int64_t length);
/* Remove all size-1 dims. */
L2_API l2_tensor *l2_squeeze(const l2_tensor *t);
/* Remove dim if its size is 1; otherwise the view is t's shape unchanged. */
L2_API l2_tensor *l2_squeeze_dim(const l2_tensor *t, int dim);
/* Insert a size-1 dim at position dim (in -(ndim+1)..ndim). */
L2_API l2_tensor *l2_unsqueeze(const l2_tensor *t, int dim);
/* Broadcast to shape (new leading dims allowed; -1 keeps a size); expanded dims get stride 0.
 * L2_ERR_SHAPE names both shapes when a non-1 size would change. Writes to such a view are
 * undefined, as in torch. */
L2_API l2_tensor *l2_expand(const l2_tensor *t, int ndim, const int64_t *shape);
/* Like l2_expand without -1 entries. */
L2_API l2_tensor *l2_broadcast_to(const l2_tensor *t, int ndim, const int64_t *shape);
/* Merge dims start_dim..end_dim into one (a view when possible, else a copy, as torch). */
L2_API l2_tensor *l2_flatten(const l2_tensor *t, int start_dim, int end_dim);
/* Split dim into n sizes (one may be -1) whose product is its size. */
L2_API l2_tensor *l2_unflatten(const l2_tensor *t, int dim, int n, const int64_t *sizes);
/* A view with explicit shape, strides (elements, >= 0) and storage offset. L2_ERR_INDEX if any
 * element would fall outside t's storage. */
L2_API l2_tensor *l2_as_strided(const l2_tensor *t, int ndim, const int64_t *shape,
                                const int64_t *strides, int64_t offset);
/* A view that shares t's data but is cut out of the autograd graph (requires_grad false). */
L2_API l2_tensor *l2_detach(const l2_tensor *t);

/* ------------------------------------------------------------------------------------------ */
/* Copies                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* t itself (one more reference) if contiguous, else a contiguous copy. Differentiable. */
L2_API l2_tensor *l2_contiguous(const l2_tensor *t);
/* A contiguous copy with its own storage. Differentiable. */
L2_API l2_tensor *l2_clone(const l2_tensor *t);
/* A copy converted to dt (C conversion rules; to bool: != 0). Differentiable between float
 * dtypes. Returns a new reference to t itself when dt is t's dtype (as torch's .to). */
L2_API l2_tensor *l2_to_dtype(const l2_tensor *t, l2_dtype dt);
/* Join n >= 1 tensors along dim; all other sizes must match; dtypes promote as in binary ops.
 * 1-d empty tensors (shape [0]) are skipped, as in torch. Differentiable. */
L2_API l2_tensor *l2_cat(int n, l2_tensor *const *ts, int dim);
/* Join n >= 1 same-shape tensors along a new dim. Differentiable. */
L2_API l2_tensor *l2_stack(int n, l2_tensor *const *ts, int dim);
/* Copy src into dst in place (any strided dst; src broadcast to dst's shape, converted to dst's
 * dtype). dst must not overlap itself (no stride-0 dims over size > 1: L2_ERR_ARG). If src and
 * dst overlap in memory, the copy goes through a temporary. Differentiable. */
L2_API l2_status l2_copy_(l2_tensor *dst, const l2_tensor *src);

/* ------------------------------------------------------------------------------------------ */
/* DLPack exchange (dlpack.h v0.x, DLManagedTensor)                                            */
/* ------------------------------------------------------------------------------------------ */
struct DLManagedTensor;

/* Wrap a DLPack tensor without a copy; libl2 takes ownership of m (it calls m->deleter when the
 * last tensor using the memory is released, and also if this call fails). Accepts CPU tensors of
 * float32/float64/int64/bool with non-negative strides (NULL strides: contiguous).
 * L2_ERR_UNSUPPORTED names the device or dtype otherwise. */
L2_API l2_tensor *l2_from_dlpack(struct DLManagedTensor *m);
/* Export t without a copy: a DLManagedTensor with t's shape, strides and offset (byte_offset 0,
 * data pointing at the storage base plus the offset) that keeps t's storage alive until the
 * consumer calls its deleter. The consumer owns the result. */
L2_API struct DLManagedTensor *l2_to_dlpack(const l2_tensor *t);

/* ------------------------------------------------------------------------------------------ */
/* Autograd                                                                                    */
/* ------------------------------------------------------------------------------------------ */
/* A tensor requires grad when you set it (a leaf) or when an op computed it from one while grad
 * mode is on (a non-leaf, with a grad_fn). backward walks the graph in topological order
 * (iteratively: chains of any length) and accumulates into the .grad of leaves. */

/* Mark a leaf as requiring grad (float dtypes only: L2_ERR_DTYPE). L2_ERR_AUTOGRAD when turning it
 * off on a non-leaf (use l2_detach). */
L2_API l2_status l2_set_requires_grad(l2_tensor *t, bool requires_grad);
L2_API bool l2_requires_grad(const l2_tensor *t);
/* True for tensors without a grad_fn (everything that did not come from a differentiable op). */
L2_API bool l2_is_leaf(const l2_tensor *t);
/* The accumulated gradient of t, or NULL if none. Borrowed: valid until t is released or its grad
 * is replaced (l2_zero_grad, l2_set_grad_none, backward on a tensor without a grad yet). */
L2_API l2_tensor *l2_grad(const l2_tensor *t);
/* Set t's grad to zeros (keeping its tensor) if it has one. */
L2_API l2_status l2_zero_grad(l2_tensor *t);
/* Drop t's grad (torch's `t.grad = None`). */
L2_API l2_status l2_set_grad_none(l2_tensor *t);
/* Ask a non-leaf to keep its gradient in .grad during backward (no-op for leaves). */
L2_API l2_status l2_retain_grad(l2_tensor *t);
/* The name of the op that made t ("mul", "sum", ...), or NULL for leaves. Borrowed, static. */
L2_API const char *l2_grad_fn_name(const l2_tensor *t);

/* Backpropagate from t. grad_output has t's shape and a float dtype; it may be NULL only when t
 * has one element (then 1 is used). Gradients accumulate into the .grad of every leaf that
 * requires grad and of retained non-leaves. Without retain_graph, the graph's saved tensors are
 * freed and a second backward through it fails with L2_ERR_AUTOGRAD. Also L2_ERR_AUTOGRAD when t
 * does not require grad, or when a tensor saved for backward was modified in place since. */
L2_API l2_status l2_backward(l2_tensor *t, const l2_tensor *grad_output, bool retain_graph);
/* Gradients of the sum of outputs[i] (weighted by grad_outputs[i], NULL entries or a NULL array
 * meaning ones for one-element outputs) with respect to inputs, without touching any .grad.
 * grads receives n_inputs new tensors (yours); an input the outputs do not depend on gets NULL
 * when allow_unused, else the call fails with L2_ERR_AUTOGRAD. */
L2_API l2_status l2_autograd_grad(int n_outputs, l2_tensor *const *outputs,
                                  l2_tensor *const *grad_outputs, int n_inputs,
                                  l2_tensor *const *inputs, l2_tensor **grads, bool retain_graph,
                                  bool allow_unused);

/* Grad mode (per thread, on by default). l2_no_grad_begin turns it off until the matching
 * l2_no_grad_end; they nest. l2_set_grad_enabled sets it and returns the previous mode. */
L2_API void l2_no_grad_begin(void);
L2_API void l2_no_grad_end(void);
L2_API bool l2_set_grad_enabled(bool enabled);
L2_API bool l2_is_grad_enabled(void);

/* ------------------------------------------------------------------------------------------ */
/* Testing and configuration                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Make allocation number n (counting from 0 at this call) and every later one fail, as if memory
 * had run out; n < 0 turns it off. For out-of-memory tests. Process-wide. */
L2_API void l2_debug_fail_alloc_after(int64_t n);
/* Threads for libl2's own kernels and for OpenBLAS (n >= 1). Default: OpenMP's default. */
L2_API l2_status l2_set_num_threads(int n);
L2_API int l2_get_num_threads(void);

/* ------------------------------------------------------------------------------------------ */
/* Elementwise ops (libl2/ops/elementwise.c)                                                  */
/* ------------------------------------------------------------------------------------------ */
/* @@ELEMENTWISE@@ */

/* ------------------------------------------------------------------------------------------ */
/* Reductions (libl2/ops/reduce.c)                                                            */
/* ------------------------------------------------------------------------------------------ */
/* @@REDUCE@@ */

/* ------------------------------------------------------------------------------------------ */
/* Linear algebra through OpenBLAS (libl2/ops/linalg.c)                                       */
/* ------------------------------------------------------------------------------------------ */
/* @@LINALG@@ */

/* ------------------------------------------------------------------------------------------ */
/* Indexing (libl2/ops/index.c)                                                               */
/* ------------------------------------------------------------------------------------------ */
/* @@INDEX@@ */

/* ------------------------------------------------------------------------------------------ */
/* Neural-network functions (libl2/ops/nn.c)                                                  */
/* ------------------------------------------------------------------------------------------ */
/* Float dtypes only for inputs (L2_ERR_DTYPE otherwise); results have the input's dtype (the
 * pointwise losses: the promoted dtype of input and target). Dims may be negative. All are
 * differentiable (first order); sums are accumulated in float64. */

/* How a loss reduces its per-element values: none (same shape), mean, sum (0-d results). */
typedef enum { L2_REDUCTION_NONE, L2_REDUCTION_MEAN, L2_REDUCTION_SUM } l2_reduction;

/* exp(t) / sum(exp(t)) along dim, computed stably (the lane maximum is subtracted). t: any
 * shape and layout -> t's shape, contiguous. L2_ERR_DIM for a bad dim. */
L2_API l2_tensor *l2_softmax(const l2_tensor *t, int dim);
/* log(softmax(t, dim)) computed as t - max - log(sum(exp(t - max))). Same rules as l2_softmax. */
L2_API l2_tensor *l2_log_softmax(const l2_tensor *t, int dim);

/* Cross entropy of logits and targets, as torch.nn.functional.cross_entropy without weights.
 * input: (C), (N,C) or (N,C,d1,...) logits, class dim 1 (0 for 1-d input). target: either int64
 * class indices of shape (), (N) or (N,d1,...) (input's shape without the class dim), where
 * positions equal to ignore_index contribute nothing, or float class probabilities of input's
 * shape (then ignore_index must be negative, as torch). label_smoothing e in [0, 1] mixes the
 * target with the uniform distribution: loss = (1-e) * nll + e * mean_c(-log_softmax). The mean
 * divides by the number of non-ignored positions (all ignored: NaN) or, for probabilities, by the
 * number of positions. Result: the positions' shape for NONE, else 0-d. Gradients flow to input
 * and to probability targets. Errors: L2_ERR_SHAPE for a target of another shape, L2_ERR_INDEX
 * for a class index outside [0, C) that is not ignore_index, L2_ERR_DTYPE for a target that is
 * neither int64 nor float (of input's shape), L2_ERR_ARG for e outside [0, 1] or a bad
 * reduction, L2_ERR_DIM for a 0-d input. */
L2_API l2_tensor *l2_cross_entropy(const l2_tensor *input, const l2_tensor *target,
                                   l2_reduction reduction, int64_t ignore_index,
                                   double label_smoothing);
/* Negative log likelihood: -input[n, target[n], d...] per position. input: (C), (N,C) or
 * (N,C,d1,...) log-probabilities; target: int64 class indices of input's shape without the class
 * dim. ignore_index, the mean, the result shape and the errors are those of l2_cross_entropy. */
L2_API l2_tensor *l2_nll_loss(const l2_tensor *input, const l2_tensor *target,
                              l2_reduction reduction, int64_t ignore_index);
/* (input - target)^2. The shapes broadcast (as torch; its size-mismatch warning is not given);
 * NONE returns the broadcast shape. Gradients flow to both. L2_ERR_SHAPE if they cannot
 * broadcast, L2_ERR_DTYPE unless the promoted dtype is float. */
L2_API l2_tensor *l2_mse_loss(const l2_tensor *input, const l2_tensor *target, l2_reduction r);
/* |input - target|, with the rules of l2_mse_loss (the gradient of |0| is 0). */
L2_API l2_tensor *l2_l1_loss(const l2_tensor *input, const l2_tensor *target, l2_reduction r);
/* -(target * log(input) + (1 - target) * log(1 - input)) with each log clamped at -100, as torch.
 * input: probabilities in [0, 1] (L2_ERR_ARG otherwise); target: input's shape (L2_ERR_SHAPE
 * otherwise). Gradients flow to input (divided by max(x(1-x), 1e-12)) and to target
 * (-logit(input)), as torch. */
L2_API l2_tensor *l2_binary_cross_entropy(const l2_tensor *input, const l2_tensor *target,
                                          l2_reduction r);
/* binary_cross_entropy(sigmoid(input), target) computed stably as
 * (1 - target) * input + max(-input, 0) + log1p(exp(-|input|)). target: input's shape
 * (L2_ERR_SHAPE otherwise). Gradients flow to input and target. */
L2_API l2_tensor *l2_binary_cross_entropy_with_logits(const l2_tensor *input,
                                                      const l2_tensor *target, l2_reduction r);

/* Zero each element with probability p and scale the others by 1/(1-p) (p == 1: t * 0). The
 * mask is drawn with l2_rand (float64 uniforms u, kept where u < 1-p) from this thread's
 * generator. When training is false, p is 0 or t is empty: a new reference to t itself, no draw.
 * t: any shape and float dtype -> t's shape. L2_ERR_ARG for p outside [0, 1]. */
L2_API l2_tensor *l2_dropout(const l2_tensor *t, double p, bool training);

/* Layer normalisation over the last n_normalized dims, whose sizes must equal normalized_shape:
 * (x - mean) / sqrt(var + eps) * weight + bias with the biased variance, as torch.
 * x: (*, normalized_shape) -> x's shape; weight, bias: NULL or of shape normalized_shape.
 * Gradients flow to x, weight and bias. Errors: L2_ERR_ARG for n_normalized outside
 * 1..L2_MAX_DIMS, L2_ERR_NULL for a NULL normalized_shape, L2_ERR_SHAPE for a mismatch. */
L2_API l2_tensor *l2_layer_norm(const l2_tensor *x, int n_normalized,
                                const int64_t *normalized_shape, const l2_tensor *weight,
                                const l2_tensor *bias, double eps);
/* Batch normalisation over every dim but the channel dim 1: x: (N,C,*) -> x's shape;
 * running_mean, running_var, weight, bias: NULL or of shape (C). Training normalises with the
 * batch's mean and biased variance and, for each running statistic given, updates it in place
 * (outside autograd): running = (1 - momentum) * running + momentum * batch statistic, using the
 * unbiased variance for running_var. Eval normalises with the running statistics (L2_ERR_NULL if
 * either is NULL). Gradients flow to x, weight and bias in both modes. Errors: L2_ERR_DIM for
 * fewer than 2 dims, L2_ERR_SHAPE for a parameter not of shape (C), L2_ERR_ARG when training
 * with a single value per channel. */
L2_API l2_tensor *l2_batch_norm(const l2_tensor *x, l2_tensor *running_mean,
                                l2_tensor *running_var, const l2_tensor *weight,
                                const l2_tensor *bias, bool training, double momentum,
                                double eps);
/* @@NN@@ */

/* ------------------------------------------------------------------------------------------ */
/* Convolution, pooling and padding (libl2/ops/conv.c)                                         */
/* ------------------------------------------------------------------------------------------ */
/* @@CONV@@ */

/* ------------------------------------------------------------------------------------------ */
/* Layers, optimizers, weights and data (libl2/nn/)                                           */
/* ------------------------------------------------------------------------------------------ */
/* @@LAYERS@@ */


#ifdef __cplusplus
}
#endif

#endif /* L2_H */
