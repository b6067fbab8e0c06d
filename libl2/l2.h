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
 *     l2_scope_begin();                                  // intermediates belong to the scope
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
 * changes nothing: no argument is modified and nothing leaks. This holds for the calls that
 * write, too: l2_backward and l2_autograd_grad commit (accumulate .grad and retained grads,
 * hand over results, free saved tensors) only once every allocation has succeeded; every
 * in-place op (the `_` functions) validates and allocates before its first write;
 * l2_optimizer_step makes all its state before updating any parameter; l2_save_safetensors
 * writes a temporary file and renames it. A successful call leaves the last message as it was.
 *
 * OWNERSHIP, in one sentence: every tensor (or string) a call returns is yours and you release it
 * once with l2_tensor_release (l2_free for strings), unless a scope is open, in which case the
 * innermost scope owns it and releases it at l2_scope_end. Releasing a tensor a scope owns is
 * allowed too: the scope gives up its reference and forgets the tensor, so a function that
 * releases its own intermediates is correct whether or not its caller opened a scope.
 * Arguments are borrowed: a call never releases what you pass. Getters (l2_grad, l2_shape, ...)
 * return borrowed pointers that live as long as the tensor they came from. Releasing NULL does
 * nothing. Tensors are reference counted; views share their base's storage and keep it alive.
 * To find leaks and misuse see l2_live_tensors, l2_get_memory_stats, the L2_LEAK_REPORT
 * variable and debug builds (Testing and configuration, below).
 *
 * THREADS. Distinct tensors may be used from distinct threads. The error message, the grad mode,
 * the scope stack and the default random generator are per thread (a tensor a scope owns is
 * released on the scope's thread: see l2_tensor_release). The memory statistics and the live
 * tensor count are process-wide.
 */
#ifndef L2_H
#define L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* L2_BFLOAT16 and L2_FLOAT16 (issue 16): 2-byte floats, torch.bfloat16 and torch.float16.
 * Storage: creation (l2_empty, l2_zeros, l2_ones, l2_full, l2_scalar, l2_from_data: data holds
 * the raw 16-bit patterns), l2_to_dtype to and from every dtype (as torch: float32 -> bfloat16
 * rounds to nearest even on the top 16 bits, NaN stays NaN; float32 -> float16 is IEEE
 * round-to-nearest-even with subnormals, overflow to inf; float64, int64 and bool go through
 * float32 first, as torch's c10::BFloat16 / c10::Half constructors do; bfloat16 <-> float16
 * through float32), l2_get / l2_set (through float32), l2_item, printing (torch's repr: the
 * values as float32 would print, with ", dtype=torch.bfloat16"), the views and element moves
 * (l2_view, l2_reshape, l2_squeeze, l2_squeeze_dim, l2_unsqueeze, l2_flatten, l2_unflatten,
 * l2_permute, l2_transpose, l2_t, l2_expand, l2_broadcast_to, l2_slice, l2_narrow, l2_select,
 * l2_as_strided, l2_detach, l2_contiguous, l2_clone, l2_copy_ (either side half), l2_cat,
 * l2_stack), l2_empty_like / l2_zeros_like / l2_ones_like / l2_full_like, l2_from_blob, the
 * getters, l2_save_safetensors / l2_load_safetensors (BF16, F16), DLPack, the checkpoint
 * dictionaries (l2_save_named), the data loader, and l2_fill_ / l2_zero_ (the value rounded as
 * l2_set rounds it).
 * Compute (the half route): the elementwise ops (l2_add ... l2_remainder and their _scalar
 * forms, l2_rsub_scalar, the comparisons, l2_logical_not, l2_where, l2_masked_fill, l2_clamp,
 * every unary op and activation of the elementwise section and of issue 14's activations, l2_prelu,
 * l2_glu), the reductions (l2_sum ... l2_logcumsumexp of the reductions sections: sum, mean,
 * prod, max/min (with dim), argmax/argmin, var, std, var_mean, std_mean, logsumexp, norm,
 * cumsum, cumprod, cummax, cummin, amax, amin, aminmax, nansum, nanmean, count_nonzero), l2_softmax,
 * l2_log_softmax, l2_dropout, the products (l2_matmul, l2_mm, l2_bmm, l2_mv, l2_dot, l2_outer,
 * l2_addmm, l2_baddbmm, l2_addbmm, l2_linear), the convolutions (l2_conv1d/2d/3d,
 * l2_conv_transpose1d/2d/3d), l2_max_pool2d, l2_avg_pool2d, l2_adaptive_avg_pool2d,
 * l2_layer_norm, and the losses l2_cross_entropy, l2_nll_loss, l2_mse_loss, l2_l1_loss,
 * l2_binary_cross_entropy(_with_logits) accept bfloat16 and float16 operands when every float
 * operand has the same half dtype (int64 and bool operands, such as class targets or masks,
 * may join; as torch.result_type, 0-d float operands beside a half tensor of rank >= 1 join too,
 * rounded to the half dtype first): as torch's CPU kernels, the half operands are converted exactly to float32, the op
 * runs in float32 (reductions and products accumulate in float32) and its float result is
 * rounded ONCE to the half dtype; bool and int64 results (comparisons, argmax, indices) are as
 * for float32. Where torch rounds an intermediate to the half dtype (its mean of float16 sums
 * and rounds before dividing; composite ops round after each step) libl2's single rounding may
 * differ from torch by an ulp of the half dtype: the oracle compares against torch in float64
 * with half-precision tolerances. Where torch 1.13's CPU has no float16 kernel ("not implemented
 * for 'Half'": exp, log, matmul, conv and others) libl2 computes it anyway (a departure). An
 * int64 operand joins a half one as float32 (exact up to 2^24), where torch first rounds it to
 * the half dtype. The in-place l2_add_, l2_sub_, l2_mul_, l2_div_, l2_add_scalar_,
 * l2_mul_scalar_, l2_clamp_ and l2_relu_ on a half tensor compute the same way and write the
 * rounded result (L2_ERR_UNSUPPORTED when an operand requires grad in grad mode).
 * Gradients: l2_set_requires_grad accepts half tensors; l2_to_dtype between a half and a float
 * dtype is recorded, and a routed op is recorded as (half -> float32 conversion, the float32 op,
 * float32 -> half conversion), so its backward runs in float32 and each gradient is rounded
 * once where it enters a half tensor (torch's half backward rounds after every node: the two
 * differ by a few half ulps). Gradients of a half leaf are half; sums of gradients (a tensor
 * used twice, .grad accumulation) add in float32 and round once.
 * Promotion follows torch.promote_types: bfloat16 with float16 gives float32, a half with
 * float32 or float64 gives that float, a half with int64 or bool keeps the half (l2_cat uses
 * it). A binary op between a float32 / float64 tensor and a half one therefore runs in the
 * float dtype (the half converted exactly), as torch; an in-place one into a half self with a
 * float32 / float64 other computes in that float and rounds once into self (torch's rule too);
 * l2_logical_and / _or / _xor read half elements as (x != 0). Every other use of a half tensor
 * (the products and convolutions with a float32 operand, batch_norm and group_norm, indexing,
 * sorting, linear algebra, optimizers, random fills, ...) is refused with L2_ERR_DTYPE naming
 * the dtype ("op: bfloat16 is not supported yet ..." or "op: not implemented for 'bfloat16'"),
 * nothing changed: convert with l2_to_dtype(t, L2_FLOAT32) first. Conversions to int64 truncate
 * and saturate (NaN -> 0) as libl2's float32 -> int64 does; torch's result there is
 * platform-defined. */
typedef enum {
    L2_FLOAT32,
    L2_FLOAT64,
    L2_INT64,
    L2_BOOL,
    L2_BFLOAT16,
    L2_FLOAT16,
    L2_DTYPE_COUNT
} l2_dtype;

/* The most dimensions a tensor may have. 0-d tensors are scalars. */
#define L2_MAX_DIMS 8

/* L2_SHAPE(2, 3) expands to the two arguments `2, (const int64_t[]){2, 3}`: a rank and a shape. */
#define L2_SHAPE(...)                                                                  \
    (int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),                   \
        (const int64_t[]){__VA_ARGS__}

typedef struct l2_tensor l2_tensor;

/* "float32", "float64", "int64", "bool", "bfloat16", "float16"; "invalid" outside the enum. */
L2_API const char *l2_dtype_name(l2_dtype dt);
/* Bytes per element (4, 8, 8, 1, 2, 2); 0 outside the enum. */
L2_API size_t l2_dtype_size(l2_dtype dt);

/* Take one more reference to t and return t. The caller owns that reference (never a scope).
 * NULL gives NULL with L2_ERR_NULL. */
L2_API l2_tensor *l2_tensor_ref(l2_tensor *t);
/* Drop one reference; the tensor (and its storage, and the autograd graph behind it, once
 * nothing else refers to them) is freed with the last. NULL does nothing.
 * If a scope of this thread owns t, the reference dropped is the scope's (the first release
 * after the tensor was made or kept): the scope forgets t and l2_scope_end will not release it
 * again; references you took with l2_tensor_ref are dropped by the releases that follow. A scope
 * of another thread is never touched: there the call drops a reference that is not a scope's,
 * and if only scopes hold t it sets L2_ERR_ARG and does nothing (release t on the thread that
 * opened the scope, or l2_keep it out first). Mind calls that return a tensor you already hold
 * (l2_contiguous of a contiguous tensor, l2_flatten over one dim): inside a scope the result is
 * a scope reference, and your next release of t drops that one, not yours; release t once for
 * each time you got it, or your own reference outlives the scope (the leak report shows it).
 * In debug builds, releasing a released tensor sets L2_ERR_ARG and does nothing (see
 * l2_live_tensors). */
L2_API void l2_tensor_release(l2_tensor *t);
/* Free a string returned by libl2 (l2_to_string). NULL does nothing. */
L2_API void l2_free(void *p);

/* Properties. All getters take a non-NULL tensor; on NULL they return 0 / NULL / false (l2_size:
 * -1; l2_dtype_of: L2_FLOAT32) and set L2_ERR_NULL, so when such a value is ambiguous check
 * l2_last_status after l2_clear_error. Pointers returned are borrowed and live as long as t. */
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
/* True when the strides are the row-major strides of the shape (size-1 dims may have any
 * stride). */
L2_API bool l2_is_contiguous(const l2_tensor *t);
/* True when a and b share one storage (one is a view of the other, or both of a third). */
L2_API bool l2_shares_storage(const l2_tensor *a, const l2_tensor *b);

/* ------------------------------------------------------------------------------------------ */
/* Scopes: chained expressions and loops without leaks                                         */
/* ------------------------------------------------------------------------------------------ */

/* Open a scope on this thread. Until the matching l2_scope_end, every tensor a libl2 call returns
 * is owned by this scope instead of by you: l2_scope_end releases it. You need not release it,
 * but you may: l2_tensor_release then takes the scope's reference and the scope forgets the
 * tensor, so a helper that releases its intermediates works inside and outside scopes:
 *
 *     l2_tensor *sq_norm(const l2_tensor *x)
 *     {
 *         l2_tensor *sq = l2_mul(x, x);
 *         l2_tensor *r = l2_sum(sq);
 *         l2_tensor_release(sq);   // no scope: freed now; in a scope: the scope forgets it
 *         return r;                // owned like any result: by the caller or by its scope
 *     }
 *
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
/* Close the innermost scope and release every tensor it still owns (not those you released
 * meanwhile). L2_ERR_ARG if none is open. */
L2_API l2_status l2_scope_end(void);
/* Let t outlive the innermost scope: t gets one more reference, owned by the enclosing scope;
 * when no scope encloses the innermost one, the innermost scope's reference passes to you (the
 * scope forgets t, so one l2_tensor_release frees it), or, if no scope holds t, t gets one more
 * reference, yours. Returns t. NULL gives NULL with
 * L2_ERR_NULL; L2_ERR_NOMEM if the enclosing scope cannot grow (t is unchanged). */
L2_API l2_tensor *l2_keep(l2_tensor *t);

/* ------------------------------------------------------------------------------------------ */
/* Creation                                                                                    */
/* ------------------------------------------------------------------------------------------ */
/* All creation functions return a new contiguous tensor that does not require grad, or NULL.
 * Errors: L2_ERR_ARG for ndim outside 0..L2_MAX_DIMS, a negative size or an invalid dtype;
 * L2_ERR_NULL for a NULL shape with ndim > 0; L2_ERR_OVERFLOW beyond the limits below;
 * L2_ERR_NOMEM when memory runs out.
 *
 * Limits. Every tensor, however made (creation, views, files, DLPack, blobs), satisfies:
 *  - Shape: the sizes multiplied in order, each step checked in 64-bit unsigned arithmetic, do
 *    not overflow, and numel * element size <= PTRDIFF_MAX bytes (torch's rule: [0, INT64_MAX, 4]
 *    is a valid empty tensor, [INT64_MAX, 4, 0] and [2^62, 4] are L2_ERR_OVERFLOW, not empty).
 *    Views obey the byte bound too, so an expanded view cannot describe more elements than a
 *    tensor could hold (torch lets such views reach INT64_MAX elements; libl2 does not).
 *  - Geometry given from outside (l2_as_strided, l2_from_blob, l2_from_dlpack): strides in
 *    0..PTRDIFF_MAX/esize, offset >= 0, and the last element offset + sum((size-1) * stride)
 *    computed without overflow and below PTRDIFF_MAX/esize elements; negative strides and
 *    offsets are refused (L2_ERR_ARG), the rest L2_ERR_OVERFLOW.
 *  - Views (expand, view/reshape, unflatten, slice) and the output sizes of conv, pooling and pad
 *    are computed with checked arithmetic: a result over the shape limit, or an intermediate
 *    (padded size, dilated kernel, window arithmetic) beyond int64, is L2_ERR_OVERFLOW.
 *  - int64 arithmetic (add, sub, mul, neg, abs, sum, prod, cumsum, mm/matmul/dot) wraps in two's
 *    complement as torch's does; integer fmod/remainder by 0 is L2_ERR_ARG (torch raises
 *    ZeroDivisionError) and INT64_MIN by -1 gives 0. */

/* Uninitialised values (bool tensors are all false: a byte other than 0 or 1 is no C bool). */
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
 * L2_ERR_ARG if step is 0 or the sign of step disagrees with end-start; L2_ERR_DTYPE for bool
 * (torch: "arange_out not implemented for 'Bool'"). Float values are bitwise those of torch
 * 1.13's CPU kernel at one thread (blocks of 8 float32 / 4 float64 lanes from a rounded base,
 * then a tail; libl2/fill.c), the same at every libl2 thread count. */
L2_API l2_tensor *l2_arange(double start, double end, double step, l2_dtype dt);
/* 1-d of steps values from start to end inclusive, evenly spaced (steps >= 0; float dtypes). */
L2_API l2_tensor *l2_linspace(double start, double end, int64_t steps, l2_dtype dt);
/* 2-d (n, m) with ones on the diagonal. m < 0 means m = n. */
L2_API l2_tensor *l2_eye(int64_t n, int64_t m, l2_dtype dt);
/* A copy of ndim/shape elements read contiguously (row-major) from data, which holds values of
 * dtype dt (bfloat16 / float16: the raw 16-bit patterns). L2_ERR_NULL if data is NULL and the
 * shape has elements. For bool, any non-zero byte
 * is true (stored as 1). */
L2_API l2_tensor *l2_from_data(const void *data, int ndim, const int64_t *shape, l2_dtype dt);
/* A tensor over external memory, no copy: element [i0,..] is at
 * data + (offset + sum i_k*strides[k]) elements. strides == NULL means row-major contiguous.
 * When the last tensor using the memory is released, release(ctx) is called (if release is
 * non-NULL); it is also called if this call fails, so that ownership always passes to libl2.
 * Negative strides and offsets are refused (L2_ERR_ARG); strides, offset and extent must meet
 * the Limits above (L2_ERR_OVERFLOW). The caller promises the memory covers every element
 * addressed, also by later l2_as_strided views (libl2 does not know the memory's size), and that
 * bool memory holds only the bytes 0 and 1 (as C's bool; the same for DLPack bool/uint8).
 * l2_from_dlpack's storage is the imported view's extent instead (torch's rule): an
 * l2_as_strided view beyond its highest element is refused (L2_ERR_INDEX). */
L2_API l2_tensor *l2_from_blob(void *data, int ndim, const int64_t *shape, const int64_t *strides,
                               int64_t offset, l2_dtype dt, void (*release)(void *ctx), void *ctx);

/* ------------------------------------------------------------------------------------------ */
/* Random numbers                                                                              */
/* ------------------------------------------------------------------------------------------ */
/* The generator is per thread: xoshiro256** seeded through splitmix64 from a 64-bit seed
 * (default seed 0 at thread start). The same seed gives the same numbers on every machine and at
 * every thread count. randint and randperm use the generator's draws directly. A tensor fill
 * (rand, randn, uniform, normal and their in-place forms, dropout's mask) takes one 64-bit draw
 * as its key; element i in row-major order then uses the 64-bit value
 * splitmix64_mix(key + (i + 1) * 0x9e3779b97f4a7c15) (a counter-based stream, filled in
 * parallel). Uniform values are k * 2^-53 for the top 53 bits k of that value (float32 rounds
 * the float64 value; a result that rounds to high is redrawn from the stream keyed
 * key ^ mix(1), then mix(2), ...); float64 normal values use Box-Muller on the values of elements
 * 2j and 2j + 1, giving r cos to 2j and r sin to 2j + 1. float32 normal values use the value v of
 * element 2j alone: u1 = 1 - (v >> 40) 2^-24, u2 = ((v >> 16) mod 2^24) 2^-24, r = sqrt(-2 log
 * u1), a + b r cos(2 pi u2) to 2j and a + b r sin(2 pi u2) to 2j + 1, computed in float32 by
 * libl2's own series (|z| <= 5.8; within 2 ulp-class of the float64 formula; the same bits on
 * every machine, vector or not). (Before issue 12 fills drew every element from the generator,
 * and float32 normals used the float64 pair formula; the values changed then.)
 * These numbers differ from torch's: the oracle hands libl2's values to torch, never the
 * reverse. */
L2_API void l2_manual_seed(uint64_t seed);
/* Uniform on [0, 1). Float dtypes only (L2_ERR_DTYPE otherwise). */
L2_API l2_tensor *l2_rand(int ndim, const int64_t *shape, l2_dtype dt);
/* Standard normal. Float dtypes only. */
L2_API l2_tensor *l2_randn(int ndim, const int64_t *shape, l2_dtype dt);
/* Uniform on [low, high). Float dtypes only; L2_ERR_ARG if low > high or high - low is not
 * finite in dt (as torch; l2_uniform_ too). */
L2_API l2_tensor *l2_uniform(int ndim, const int64_t *shape, double low, double high, l2_dtype dt);
/* Normal with mean and std (std >= 0). Float dtypes only. */
L2_API l2_tensor *l2_normal(int ndim, const int64_t *shape, double mean, double std, l2_dtype dt);
/* int64 uniform on [low, high); L2_ERR_ARG if low >= high. */
L2_API l2_tensor *l2_randint(int64_t low, int64_t high, int ndim, const int64_t *shape);
/* A random permutation of 0..n-1 (int64, 1-d), by Fisher-Yates over the generator's draws (for
 * shuffling batches: l2_index_select(data, 0, l2_narrow(perm, 0, start, size))). n >= 0. */
L2_API l2_tensor *l2_randperm(int64_t n);
L2_API l2_tensor *l2_rand_like(const l2_tensor *t);
L2_API l2_tensor *l2_randn_like(const l2_tensor *t);
/* Fill t (any layout but expanded stride-0 dims: L2_ERR_ARG, float dtype) in place; bumps t's
 * version like any in-place op. L2_ERR_AUTOGRAD on a leaf that requires grad while grad mode is
 * on (as torch; use l2_no_grad_begin). On a non-leaf with grad mode on the gradient to t's old
 * value is zero. L2_ERR_ARG for a range that is not finite in t's dtype. */
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
 * as l2_uniform_, except that on a tensor with history only the written element's gradient is
 * cut (d out / d t_old is 1 elsewhere, as torch's t[idx] = value). */
L2_API l2_status l2_set(l2_tensor *t, const int64_t *idx, double value);
/* The value of a one-element tensor of any rank. L2_ERR_SHAPE if numel != 1. */
L2_API l2_status l2_item(const l2_tensor *t, double *out);
/* PyTorch's format: "tensor([[1., 2.],\n        [3., 4.]])", with ", dtype=torch.float64" for
 * non-default dtypes and ", requires_grad=True" where it applies; more than 1000 elements are
 * summarised with "..." keeping 3 at each end of each dim. Returns a string you free with
 * l2_free. */
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
 * an omitted start and stop. The length is ceil((stop - start) / step) computed without overflow
 * (a step of INT64_MAX gives one element; torch 1.13 wraps and gives none). */
L2_API l2_tensor *l2_slice(const l2_tensor *t, int dim, int64_t start, int64_t stop, int64_t step);
/* numpy/torch basic indexing from a string, e.g. "1:3, ::2", "..., -1", "None, 0, :".
 * Items: an integer (selects, removing the dim), start:stop:step with any part omitted, "..."
 * (at most once), "None" (inserts a size-1 dim). L2_ERR_ARG names the offending item. */
L2_API l2_tensor *l2_index(const l2_tensor *t, const char *spec);
/* t[..., index, ...] along dim: removes dim. L2_ERR_INDEX if index is outside [-size, size). */
L2_API l2_tensor *l2_select(const l2_tensor *t, int dim, int64_t index);
/* t[..., start:start+length, ...]; start may be negative; L2_ERR_INDEX if out of range (torch 1.13
 * wraps start as a dim and says "Dimension out of range" for a start outside [-size, size]). */
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
/* Merge dims start_dim..end_dim into one (a view when possible, else a copy, as torch); t itself
 * (one more reference) when start_dim and end_dim name the same dim. L2_ERR_DIM for a dim out of
 * range; L2_ERR_ARG when start_dim comes after end_dim. */
L2_API l2_tensor *l2_flatten(const l2_tensor *t, int start_dim, int end_dim);
/* Split dim into n sizes (one may be -1) whose product is its size. L2_ERR_ARG for a second -1 or
 * a size below -1; L2_ERR_SHAPE when the product (computed with overflow checks) differs. */
L2_API l2_tensor *l2_unflatten(const l2_tensor *t, int dim, int n, const int64_t *sizes);
/* A view with explicit shape, strides (elements, >= 0) and storage offset. L2_ERR_INDEX if any
 * element would fall outside t's storage; L2_ERR_ARG/L2_ERR_OVERFLOW beyond the Limits (see
 * Creation). */
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
/* A copy converted to dt (C conversion rules; to bool: != 0), laid out like t (the elementwise
 * output layout rule below). Differentiable between float dtypes. Returns a new reference to
 * t itself when dt is t's dtype (as torch's .to). */
L2_API l2_tensor *l2_to_dtype(const l2_tensor *t, l2_dtype dt);
/* Join n >= 1 tensors along dim; all other sizes must match; dtypes promote as in binary ops.
 * 1-d empty tensors (shape [0]) are skipped, as in torch. Differentiable. */
L2_API l2_tensor *l2_cat(int n, l2_tensor *const *ts, int dim);
/* Join n >= 1 same-shape tensors along a new dim. Differentiable. L2_ERR_SHAPE for unequal
 * shapes, checked before the dim (L2_ERR_DIM; torch checks the dim first). */
L2_API l2_tensor *l2_stack(int n, l2_tensor *const *ts, int dim);
/* Copy src into dst in place (any strided dst; src broadcast to dst's shape, converted to dst's
 * dtype). dst must not overlap itself (no stride-0 dims over size > 1: L2_ERR_ARG), unless src
 * is dst (a copy onto itself changes nothing, as torch). If src and dst overlap in memory, the
 * copy goes through a temporary. Differentiable: dst's history becomes the copy (gradient to
 * src, zero to dst's old value). In-place rule for every in-place op while grad mode is on: a leaf
 * that requires grad is refused (L2_ERR_AUTOGRAD), and so is a view that requires grad or, for
 * copy_, a view receiving a src that requires grad (L2_ERR_UNSUPPORTED: libl2 does not rewrite
 * the base's history as torch's CopySlices does); so is a leaf that no longer requires grad but
 * that an operand was computed from while it did, or the .grad of a leaf an operand was computed
 * from (L2_ERR_AUTOGRAD: its history would lead back to itself, a reference cycle; torch allows
 * it and leaks the cycle). Grad mode rule for every
 * in-place op: with grad mode off, or when nothing involved requires grad, nothing is recorded
 * and a leaf stays a leaf (so no_grad { l2_copy_(param, w) } loads weights). l2_copy_(x, x),
 * or a src with dst's exact elements, writes and records nothing. */
L2_API l2_status l2_copy_(l2_tensor *dst, const l2_tensor *src);

/* ------------------------------------------------------------------------------------------ */
/* DLPack exchange (dlpack.h v0.x, DLManagedTensor)                                            */
/* ------------------------------------------------------------------------------------------ */
struct DLManagedTensor;

/* Wrap a DLPack tensor without a copy; libl2 takes ownership of m (it calls m->deleter when the
 * last tensor using the memory is released, and also if this call fails). Accepts CPU tensors of
 * float32/float64/int64/bool, float16 (kDLFloat, 16 bits) and bfloat16 (kDLBfloat, 16 bits)
 * with non-negative strides (NULL strides: contiguous) and a
 * byte_offset that is a multiple of the element size and at most PTRDIFF_MAX; the geometry is
 * validated as l2_from_blob's. L2_ERR_UNSUPPORTED names the device, dtype, rank or byte offset
 * otherwise. */
L2_API l2_tensor *l2_from_dlpack(struct DLManagedTensor *m);
/* Export t without a copy: a DLManagedTensor with t's shape, strides and offset (byte_offset 0,
 * data pointing at the storage base plus the offset) that keeps t's storage alive until the
 * consumer calls its deleter. The consumer owns the result. bfloat16 travels as kDLBfloat 16,
 * float16 as kDLFloat 16. */
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
/* The getters below return false / NULL for a NULL t and set L2_ERR_NULL; their NULL for a grad or
 * grad_fn that does not exist leaves the error as it was. */
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
 * requires grad and of retained non-leaves. Without retain_graph, the tensors saved by the nodes
 * it ran are freed, and a later backward that runs such a node again fails with L2_ERR_AUTOGRAD;
 * as in torch 1.13, a node that saved nothing (add, sum, views; products whose saved operands
 * no needed gradient reads) can run again, while one that saves in torch fails even where
 * libl2 kept nothing (a multiply by a number, a mean over dims): l2_sum(l2_add(x, x)) can be
 * backpropagated twice, accumulating. Also L2_ERR_AUTOGRAD when t does not require grad, or
 * when a tensor saved for backward was modified in place since. The
 * gradients are summed into temporaries first and committed at the end: a failed backward
 * changes no .grad and frees nothing, so it can be retried on the same graph. */
L2_API l2_status l2_backward(l2_tensor *t, const l2_tensor *grad_output, bool retain_graph);
/* Gradients of the sum of outputs[i] (weighted by grad_outputs[i], NULL entries or a NULL array
 * meaning ones for one-element outputs) with respect to inputs, without touching any .grad.
 * grads receives n_inputs new tensors (yours); an input the outputs do not depend on gets NULL
 * when allow_unused, else the call fails with L2_ERR_AUTOGRAD. Only the part of the graph that
 * leads to the inputs runs (as torch): a branch reaching only other leaves is neither checked
 * for in-place modifications nor freed without retain_graph, and the node of a non-leaf input
 * runs only when it leads to another input. n_outputs is 1..64 (L2_ERR_ARG otherwise; torch has
 * no such limit). */
L2_API l2_status l2_autograd_grad(int n_outputs, l2_tensor *const *outputs,
                                  l2_tensor *const *grad_outputs, int n_inputs,
                                  l2_tensor *const *inputs, l2_tensor **grads, bool retain_graph,
                                  bool allow_unused);

/* Higher-order gradients (issue 15): l2_backward and l2_autograd_grad with create_graph, as
 * torch's backward(create_graph=True) and torch.autograd.grad(..., create_graph=True). The
 * backward then runs with grad mode on and records every gradient it computes: each gradient
 * (a .grad, or grads[k]) that depends on something requiring grad (the inputs through the ops'
 * derivatives, or a grad_output that requires grad) is a non-leaf with its own history, and can
 * be differentiated again (gradient penalties, Hessian-vector products). Leaves' .grad are
 * replaced by the recorded sum .grad + g (a new tensor) rather than accumulated in place.
 * create_graph false is exactly l2_backward / l2_autograd_grad. retain_graph is separate, as in
 * torch where it defaults to create_graph: pass true to differentiate through the first graph
 * again (a second derivative through an op that saved tensors reads them).
 * An op whose backward libl2 cannot record yet makes the call fail with L2_ERR_AUTOGRAD ("...
 * create_graph: the backward of <op> is not differentiable yet"), changing nothing;
 * l2_has_double_backward tells which ops can. Ownership: with create_graph, a leaf's .grad holds
 * a graph that references the leaf (a reference cycle, as torch warns for
 * backward(create_graph=True)): l2_set_grad_none on the leaf breaks it; l2_autograd_grad_ex
 * does not create one. */
L2_API l2_status l2_backward_ex(l2_tensor *t, const l2_tensor *grad_output, bool retain_graph,
                                bool create_graph);
L2_API l2_status l2_autograd_grad_ex(int n_outputs, l2_tensor *const *outputs,
                                     l2_tensor *const *grad_outputs, int n_inputs,
                                     l2_tensor *const *inputs, l2_tensor **grads,
                                     bool retain_graph, bool create_graph, bool allow_unused);
/* Whether the op named name (as l2_grad_fn_name gives it, e.g. "mul") has a differentiable
 * backward (create_graph can go through it). False for unknown names and NULL. */
L2_API bool l2_has_double_backward(const char *name);
/* The grad-ready hook (issue 17: what DistributedDataParallel's overlap of communication with
 * backward needs; torch's Tensor.register_post_accumulate_grad_hook of later versions, for all
 * leaves at once). While set (per thread; fn NULL clears it), every l2_backward /
 * l2_backward_ex without create_graph calls fn(leaf, grad, ctx) once for each leaf tensor that
 * receives a gradient, as soon as that gradient is complete: after the last node of this
 * backward with an edge to the leaf has run, while other nodes may still be waiting. grad is
 * this backward's gradient for the leaf (borrowed, read-only, valid during the call; in the
 * leaf's dtype and shape), not .grad: the .grad fields are written only when the whole backward
 * has succeeded, as always. The hook runs on the calling thread, in no-grad mode; it must not
 * run a backward or change the leaf or the graph. A status other than L2_OK from fn fails the
 * backward with that status (nothing committed to .grad); hooks already run for other leaves
 * are not undone, and if the backward fails later (out of memory) after some hooks ran, the
 * caller must treat what they started as abandoned (l2_dist_allreduce_grads_begin's contract).
 * l2_autograd_grad and create_graph backwards never call it. */
typedef l2_status (*l2_grad_ready_fn)(l2_tensor *leaf, const l2_tensor *grad, void *ctx);
L2_API void l2_set_grad_ready_hook(l2_grad_ready_fn fn, void *ctx);

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

/* Debugging aids for manual ownership.
 *
 * l2_live_tensors counts tensor structs alive in the process (every tensor a call returned and
 * not yet released by its last owner, views included, plus the tensors libl2 holds: grads and the
 * tensors saved for backward). Compare it before and after a piece of code to find a leak.
 *
 * Leak report: when the environment variable L2_LEAK_REPORT is set to 1 at the first tensor
 * creation, libl2 keeps a list of live tensors and at exit prints to stderr one line per tensor
 * still alive, "libl2: leaked tensor <shape> <dtype> made by <op>[, requires_grad]", and a
 * total line "libl2: N tensors leaked" (nothing at all when none leaked). Without the variable
 * this costs one branch per tensor.
 *
 * Debug builds (configure --enable-debug): a released tensor struct is not freed at once but
 * marked dead and kept in a quarantine of the last 1024 released structs. Passing one of those to
 * any function that takes a tensor fails with L2_ERR_ARG, "<op>: argument 't' was already
 * released", instead of reading freed memory, and releasing it again sets the same error and does
 * nothing (tensor_release). Older ones are freed; using them is undefined as in release builds. */
L2_API int64_t l2_live_tensors(void);

/* Memory allocated through libl2 (all of it: tensor data, structs, graph nodes, strings). Byte
 * counts are the sizes asked for, without the allocator's own overhead. Memory given to libl2
 * with l2_from_blob is not counted.
 *
 * The allocator caches freed blocks of 4 KiB and more (l2_threshold("alloc_small")) for reuse,
 * so that a training loop does not page-fault on fresh memory every step: blocks are sorted into
 * size classes (four per power of two), blocks of 2 MiB and more (l2_threshold("alloc_mmap"))
 * are mapped with transparent huge pages, and at most a quarter of RAM, up to 1 GiB, stays
 * cached (the environment variable L2_ALLOC_CACHE_MAX sets the cap in bytes). The cache is off
 * when L2_ALLOC_CACHE=0 at the first allocation and in AddressSanitizer builds, so that memory
 * checkers see every use after free. */
typedef struct {
    int64_t bytes_in_use;   /* bytes currently allocated */
    int64_t peak_bytes;     /* the highest bytes_in_use since start or l2_reset_peak_memory */
    int64_t n_allocs;       /* allocations made since start */
    int64_t n_live_allocs;  /* allocations not yet freed */
    int64_t live_tensors;   /* l2_live_tensors() */
    int64_t live_storages;  /* storages alive (several tensors may share one) */
    int64_t bytes_cached;   /* bytes of freed blocks the cache holds (headers and rounding in) */
    int64_t n_cache_hits;   /* allocations served from the cache since start */
    int64_t n_cache_misses; /* cacheable allocations that took new memory from the system */
} l2_memory_stats;
/* Fill *out with the current statistics (process-wide). L2_ERR_NULL if out is NULL. */
L2_API l2_status l2_get_memory_stats(l2_memory_stats *out);
/* Start a new peak: peak_bytes becomes the current bytes_in_use. */
L2_API void l2_reset_peak_memory(void);
/* Return every cached block to the system (bytes_cached becomes 0). Thread-safe. */
L2_API void l2_empty_cache(void);
/* Whether the allocator's cache is on (see l2_memory_stats). */
L2_API bool l2_alloc_cache_enabled(void);

/* Threads for libl2's own kernels and for OpenBLAS (n >= 1). Default: OpenMP's default.
 * Sets OpenMP's count (omp_set_num_threads) and OpenBLAS's (openblas_set_num_threads) to n as
 * well. Built against OpenBLAS's OpenMP build (configure's default when installed), BLAS and
 * libl2 share libgomp's one pool; OpenBLAS then follows the calling thread's OpenMP count.
 * Idle threads: libgomp's workers spin after each parallel region before they sleep (by default
 * GOMP_SPINCOUNT = 300,000 spins, about 1 ms of CPU here; 1,000 when there are more threads
 * than CPUs); OMP_WAIT_POLICY=PASSIVE makes them sleep at once (measured: 0.6-1.2 ms of CPU per
 * region by default, 0.03 ms passive). Nothing spins for longer. The pthreads OpenBLAS build
 * keeps its own pool, whose threads poll after each BLAS call. */
L2_API l2_status l2_set_num_threads(int n);
L2_API int l2_get_num_threads(void);

/* Internal size thresholds, for tests that must reach every code path (values are fixed at build
 * time). l2_threshold(name) returns the value, or -1 with L2_ERR_ARG for an unknown name
 * (L2_ERR_NULL for NULL). l2_threshold_name(i) names threshold i = 0, 1, ... and returns NULL
 * past the last. The names, with what each counts:
 *   parallel_grain         element operations (numel for elementwise ops; outputs x reduced
 *                          length for reductions; C*kH*kW*P*Q for im2col; N*C*P*Q*kH*kW for
 *                          max / avg pooling, N*C*H*W for adaptive pooling; numel for softmax,
 *                          norms, losses and index ops) below which a kernel runs on one thread
 *   parallel_chunk         the least work per thread: w operations use at most w / this threads
 *                          (and one reduction over few outputs splits its reduced length so)
 *   gemm_parallel          M*N*K above which the reference product loops (int64 matmul, mm,
 *                          bmm, ..., and l2_debug_linalg_reference) run in parallel (if M > 1)
 *   reduce_tile_out        outputs per block of a tiled reduction (a reduction over an outer
 *                          dim: the innermost output dim is closer in memory than the reduced)
 *   reduce_tile_red        reduced positions per tile of a tiled reduction
 *   reduce_tile_buffer     outputs x reduced length from which a tiled one-input reduction
 *                          gathers its tiles into a buffer
 *   reduce_out_per_thread  with n threads and work >= parallel_grain, a reduction with fewer
 *                          than this x n outputs splits each output's range across threads
 *   reduce_vec_block       float64 lanes of a contiguous float sum, and neighbouring outputs
 *                          per vector block of a sum over an outer dim (the rest one by one)
 *   softmax_cols           lanes per block for softmax / log_softmax along a non-innermost dim
 *                          of a contiguous input
 *   loss_chunks            fixed element ranges of a loss sum (any thread count, same result)
 *   index_block            elements per block of the index_select / embedding backward
 *   pool2x2_block          output columns per block of max_pool2d's 2x2 stride-2 unpadded
 *                          loop (then a tail of the rest)
 *   conv_cols_bytes        bytes: conv2d runs samples in blocks whose column matrices (C kH kW
 *                          x output positions each) take at most this much (at least one
 *                          sample a block; the last block of a range is partial)
 *   conv_grain             multiply-adds from which conv2d splits its samples over threads
 *   conv_bwd_slots         fixed sample ranges of conv2d's backward (fewer for a smaller
 *                          batch), whose partial weight gradients are summed in order
 *   conv_db_lanes          float64 lanes of conv2d's bias gradient row sums (then a tail)
 *   conv_small_k           taps (C kH kW) up to which a float32 conv2d with stride 1,
 *                          dilation 1 and one group runs directly on padded samples (AVX2+FMA),
 *                          no column matrix; its dx too, when the padding is at most k - 1
 *   conv_small_waste       percent: that path only when the positions it computes (the padded
 *                          width times the output height, rounded up to 24) are at most this
 *                          share of the output's
 *   conv_small_floats      floats: that path only when a padded sample and its staging (output
 *                          channels rounded to 4 x those positions) each fit in this many
 *   grain_math             parallel_grain for elementwise ops that call libm per element (exp,
 *                          log, sin, tanh, sigmoid, silu, erf, elu, gelu, softplus, ...)
 *   grain_reduce           parallel_grain for reductions (sum, mean, var, norms, max/min)
 *   grain_optim            parameter elements above which an optimizer step runs threaded
 *   vmath_width            float32 elements per vector of the vector math kernels (float64:
 *                          half); an elementwise run of n elements leaves an n % width tail
 *   tile, tile_min         an elementwise iteration with mixed layouts (an operand's fastest
 *                          dim is not the output's, e.g. add(x, t(y)), contiguous(t(x))) of at
 *                          least tile_min elements runs in tile x tile blocks of its two
 *                          innermost dims
 *   alloc_small            bytes: allocations this large and larger go through the cache's
 *                          size classes (smaller ones straight to malloc)
 *   alloc_mmap             bytes: allocations this large and larger are mmap'd on a huge-page
 *                          boundary (transparent huge pages)
 *   sgemm_min              gemm (issue 12): M*N*K from which a float32 product (M, N > 1) may
 *                          take libl2's own kernel (see l2_debug_gemm); smaller ones use BLAS
 *   sgemm_mr, sgemm_nr     rows and columns of the own kernel's micro-tile (M % mr, N % nr are
 *                          edge tiles)
 *   sgemm_kc               the own kernel sums K in blocks of this many (in order)
 *   sgemm_mc, sgemm_nc     rows of a and columns of b per packed block of the own kernel
 *   sgemm_grain            multiply-adds (M*N*K) per thread at least in the own kernel
 *   reduce_cols32_red      reduced positions per tile of a float32 sum over an outer dim
 *                          (float64 sums and other reductions: reduce_tile_red)
 *   copy_run_bytes         bytes: a same-dtype contiguous run of a copy this long or longer
 *                          goes to memcpy; shorter ones (32 bytes and up) to libl2's own
 *                          vector moves
 *   cat_piece_min          elements: cat along a dim after the first copies whole result rows
 *                          when every input's piece of a row has at least this many (all
 *                          contiguous, of the result's dtype); else input by input
 *   topk_select            topk of K below this (and below the row length) selects its K
 *                          elements in one pass over each row instead of sorting it
 *   sort_radix_min         elements: rows of at least this many float32, float64 or int64
 *                          elements (sort, argsort, msort, topk, kthvalue, median, mode,
 *                          unique) sort by a stable radix sort, else a stable merge sort (the
 *                          same order: NaN last, -0.0 equal to 0.0, ties in index order) */
L2_API int64_t l2_threshold(const char *name);
L2_API const char *l2_threshold_name(int i);

/* Testing: compute exp, log, sin, cos, tanh, erf, sigmoid, silu and gelu of contiguous float32
 * and float64 runs with the AVX2+FMA vector kernels (on: the default on CPUs with AVX2 and FMA,
 * unless the environment variable L2_NO_VEC is set to 1 at the first use) or with the generic
 * loops (off). Process-wide. Returns whether the vector kernels are in use afterwards (false
 * where the CPU lacks them). Both compute within the same accuracy (1-ulp class). */
L2_API bool l2_debug_vector_math(bool on);

/* ------------------------------------------------------------------------------------------ */
/* Elementwise ops (libl2/ops/elementwise.c, where.c)                                         */
/* ------------------------------------------------------------------------------------------ */
/* Binary ops broadcast a and b (numpy rules; L2_ERR_SHAPE names both shapes) and compute in
 * torch.result_type(a, b): float64 > float32 > int64 > bool, where a 0-d tensor only raises the
 * dtype when its category (bool < integer < float) is higher than the dimensioned operand's.
 * a: (...A), b: (...B) -> broadcast(A, B). Differentiable in a and b (float results); the
 * gradient of a broadcast input is summed back to its shape. Integer add/sub/mul wrap around. */
/* Output layout (all elementwise ops: unary, binary, comparisons, where, clamp and their
 * gradients; torch's TensorIterator rule): a new result is dense and its dims are ordered in
 * memory as the inputs' are, so relu(t(x)) has t(x)'s strides and runs the contiguous loop.
 * The order of two dims is taken from the first input (in argument order; where: cond, a, b)
 * whose strides in them differ and are both nonzero (a broadcast dim has no say); equal strides
 * put the smaller dim inside; when no input decides, the dims keep their row-major order. So
 * with inputs of different layouts the first one's order wins (add(t(x), y) is laid out like
 * t(x), add(y, t(x)) like y). An input whose dtype is not the one computed in counts as its
 * converted copy, dense in its own order (torch converts it first). Results of size-1 dims may
 * have any stride there. Only the layout of a new tensor follows this; what aliases what is
 * unchanged, and masked_fill, contiguous and clone return contiguous tensors. */
/* a + b. */
L2_API l2_tensor *l2_add(const l2_tensor *a, const l2_tensor *b);
/* a + alpha * b. L2_ERR_ARG for a non-integral alpha when the result is not float. */
L2_API l2_tensor *l2_add_alpha(const l2_tensor *a, const l2_tensor *b, double alpha);
/* a - b. L2_ERR_DTYPE when either is a bool tensor, as torch (use l2_logical_xor /
 * l2_logical_not); the same for l2_sub_, l2_sub_scalar and l2_rsub_scalar. */
L2_API l2_tensor *l2_sub(const l2_tensor *a, const l2_tensor *b);
/* a * b (bool * bool is logical and). */
L2_API l2_tensor *l2_mul(const l2_tensor *a, const l2_tensor *b);
/* True division a / b: integer and bool operands give float32. */
L2_API l2_tensor *l2_div(const l2_tensor *a, const l2_tensor *b);
/* a ** b. Integer powers stay int64 (a negative exponent gives 0 unless a is 1 or -1); bool
 * operands: L2_ERR_DTYPE. Gradient: 0 for a where b == 0; 0 for b where a == 0 and b >= 0. */
L2_API l2_tensor *l2_pow(const l2_tensor *a, const l2_tensor *b);
/* Elementwise max / min; NaN in either operand gives NaN. A tie splits the gradient in half. */
L2_API l2_tensor *l2_maximum(const l2_tensor *a, const l2_tensor *b);
L2_API l2_tensor *l2_minimum(const l2_tensor *a, const l2_tensor *b);
/* atan2(a, b), the angle of the point (b, a); integer operands give float32. */
L2_API l2_tensor *l2_atan2(const l2_tensor *a, const l2_tensor *b);
/* C fmod: the remainder takes the sign of a. Integer operands: L2_ERR_ARG if b has a zero. */
L2_API l2_tensor *l2_fmod(const l2_tensor *a, const l2_tensor *b);
/* Python's %: the remainder takes the sign of b. Integer operands: L2_ERR_ARG if b has a zero. */
L2_API l2_tensor *l2_remainder(const l2_tensor *a, const l2_tensor *b);

/* Tensor-number ops: s acts like a Python number (an int if integral, else a float): it raises
 * the dtype only when its category is higher (int64 tensor + 2.5 -> float32, float32 tensor *
 * 2 -> float32, bool tensor + 1 -> int64). a: (...) -> (...). Differentiable in a. */
L2_API l2_tensor *l2_add_scalar(const l2_tensor *a, double s);
L2_API l2_tensor *l2_sub_scalar(const l2_tensor *a, double s);
L2_API l2_tensor *l2_mul_scalar(const l2_tensor *a, double s);
/* a / s: integer tensors give float32. */
L2_API l2_tensor *l2_div_scalar(const l2_tensor *a, double s);
/* a ** exponent. L2_ERR_ARG for an int64 tensor and a negative integral exponent. As torch, the
 * exponents 2, 3, -2, 0.5, -0.5 and -1 are computed as a*a, a*a*a, 1/(a*a), sqrt(a), 1/sqrt(a)
 * and 1/a (so (-inf) ** 0.5 is NaN and (-0.0) ** -0.5 is -inf, unlike C's pow), in the forward
 * and in the gradient exponent * a ** (exponent - 1). */
L2_API l2_tensor *l2_pow_scalar(const l2_tensor *a, double exponent);
/* s - a. */
L2_API l2_tensor *l2_rsub_scalar(const l2_tensor *a, double s);

/* Comparisons: a bool tensor of the broadcast shape, comparing in the promoted dtype (NaN
 * compares unequal to everything). Not differentiable. */
L2_API l2_tensor *l2_eq(const l2_tensor *a, const l2_tensor *b);
L2_API l2_tensor *l2_ne(const l2_tensor *a, const l2_tensor *b);
L2_API l2_tensor *l2_lt(const l2_tensor *a, const l2_tensor *b);
L2_API l2_tensor *l2_le(const l2_tensor *a, const l2_tensor *b);
L2_API l2_tensor *l2_gt(const l2_tensor *a, const l2_tensor *b);
L2_API l2_tensor *l2_ge(const l2_tensor *a, const l2_tensor *b);
/* The same against a number s (promoted as in the tensor-number ops). */
L2_API l2_tensor *l2_eq_scalar(const l2_tensor *a, double s);
L2_API l2_tensor *l2_ne_scalar(const l2_tensor *a, double s);
L2_API l2_tensor *l2_lt_scalar(const l2_tensor *a, double s);
L2_API l2_tensor *l2_le_scalar(const l2_tensor *a, double s);
L2_API l2_tensor *l2_gt_scalar(const l2_tensor *a, double s);
L2_API l2_tensor *l2_ge_scalar(const l2_tensor *a, double s);

/* Logical ops: any dtypes, each element read as (x != 0; NaN is true); a bool tensor of the
 * broadcast shape. Not differentiable. */
L2_API l2_tensor *l2_logical_and(const l2_tensor *a, const l2_tensor *b);
L2_API l2_tensor *l2_logical_or(const l2_tensor *a, const l2_tensor *b);
L2_API l2_tensor *l2_logical_xor(const l2_tensor *a, const l2_tensor *b);
L2_API l2_tensor *l2_logical_not(const l2_tensor *t);

/* cond ? a : b elementwise. cond must be bool (L2_ERR_DTYPE); the three broadcast together;
 * dtype result_type(a, b). Differentiable in a and b (the gradient goes where it was taken). */
L2_API l2_tensor *l2_where(const l2_tensor *cond, const l2_tensor *a, const l2_tensor *b);
/* t with value where mask (bool, L2_ERR_DTYPE otherwise) is true; t and mask broadcast; dtype
 * t's (value converted as a C cast; for an int64 t a value outside int64, NaN or inf, is
 * L2_ERR_ARG, as torch refuses it). Differentiable in t (zero gradient where filled). */
L2_API l2_tensor *l2_masked_fill(const l2_tensor *t, const l2_tensor *mask, double value);
/* min(max(t, min), max) (NaN stays NaN; min > max gives max everywhere). Pass -INFINITY /
 * INFINITY for no bound; NaN bounds: L2_ERR_ARG. Integer tensors stay int64 with integral bounds,
 * else give float32. Gradient passes where min <= t <= max. */
L2_API l2_tensor *l2_clamp(const l2_tensor *t, double min, double max);

/* Unary ops: t: (...) -> (...), same dtype for float tensors. int64/bool tensors: the math
 * functions (exp ... erf, sigmoid, reciprocal, rsqrt) return float32; neg, abs, sign, square,
 * relu and the rounding ops keep int64; the activations silu, leaky_relu, elu, gelu and
 * softplus refuse them (L2_ERR_DTYPE), as do neg, abs, relu and the rounding ops for bool.
 * Differentiable; sign, floor, ceil, round and trunc have a zero gradient. */
L2_API l2_tensor *l2_neg(const l2_tensor *t);
L2_API l2_tensor *l2_abs(const l2_tensor *t);
/* -1, 0 or 1 (0 for NaN). */
L2_API l2_tensor *l2_sign(const l2_tensor *t);
L2_API l2_tensor *l2_exp(const l2_tensor *t);
L2_API l2_tensor *l2_exp2(const l2_tensor *t);
L2_API l2_tensor *l2_expm1(const l2_tensor *t);
L2_API l2_tensor *l2_log(const l2_tensor *t);
L2_API l2_tensor *l2_log2(const l2_tensor *t);
L2_API l2_tensor *l2_log10(const l2_tensor *t);
L2_API l2_tensor *l2_log1p(const l2_tensor *t);
L2_API l2_tensor *l2_sqrt(const l2_tensor *t);
/* 1 / sqrt(t). */
L2_API l2_tensor *l2_rsqrt(const l2_tensor *t);
/* t * t (bool -> int64). */
L2_API l2_tensor *l2_square(const l2_tensor *t);
/* 1 / t. */
L2_API l2_tensor *l2_reciprocal(const l2_tensor *t);
L2_API l2_tensor *l2_sin(const l2_tensor *t);
L2_API l2_tensor *l2_cos(const l2_tensor *t);
L2_API l2_tensor *l2_tan(const l2_tensor *t);
L2_API l2_tensor *l2_asin(const l2_tensor *t);
L2_API l2_tensor *l2_acos(const l2_tensor *t);
L2_API l2_tensor *l2_atan(const l2_tensor *t);
L2_API l2_tensor *l2_sinh(const l2_tensor *t);
L2_API l2_tensor *l2_cosh(const l2_tensor *t);
L2_API l2_tensor *l2_tanh(const l2_tensor *t);
/* 1 / (1 + exp(-t)). */
L2_API l2_tensor *l2_sigmoid(const l2_tensor *t);
/* max(t, 0) (NaN stays NaN). */
L2_API l2_tensor *l2_relu(const l2_tensor *t);
/* t * sigmoid(t). */
L2_API l2_tensor *l2_silu(const l2_tensor *t);
L2_API l2_tensor *l2_erf(const l2_tensor *t);
L2_API l2_tensor *l2_floor(const l2_tensor *t);
L2_API l2_tensor *l2_ceil(const l2_tensor *t);
/* Round half to even (2.5 -> 2, 3.5 -> 4). */
L2_API l2_tensor *l2_round(const l2_tensor *t);
L2_API l2_tensor *l2_trunc(const l2_tensor *t);
/* t where t > 0, else t * negative_slope. */
L2_API l2_tensor *l2_leaky_relu(const l2_tensor *t, double negative_slope);
/* t where t > 0, else alpha * (exp(t) - 1). */
L2_API l2_tensor *l2_elu(const l2_tensor *t, double alpha);
/* t * Phi(t) with the normal CDF Phi; with tanh_approx, torch's approximate='tanh' form. */
L2_API l2_tensor *l2_gelu(const l2_tensor *t, bool tanh_approx);
/* log(1 + exp(beta * t)) / beta, or t where beta * t > threshold. L2_ERR_ARG if beta is 0. */
L2_API l2_tensor *l2_softplus(const l2_tensor *t, double beta, double threshold);

/* In-place ops write into their first argument and return L2_OK or an error status (then
 * nothing was written). Errors: L2_ERR_AUTOGRAD for a leaf that requires grad while grad mode
 * is on; L2_ERR_SHAPE when the broadcast shape is not self's shape (naming both); L2_ERR_DTYPE
 * when the result dtype cannot be cast to self's (float into int64, int64 into bool); L2_ERR_ARG
 * when self has an expanded (stride-0) dim. They bump self's version, so backward through a
 * graph that saved self's old value fails with L2_ERR_AUTOGRAD. On a tensor that requires grad
 * they record a node whose input is self's previous history; a view of a leaf that requires grad
 * is refused like the leaf (L2_ERR_AUTOGRAD). Views are not rebased: after an in-place op on a
 * view, the gradient reaches the view's history, not its base's (no torch CopySlices), so a view
 * that requires grad, or a view given an operand that requires grad, is refused with
 * L2_ERR_UNSUPPORTED (as l2_copy_). */
L2_API l2_status l2_add_(l2_tensor *a, const l2_tensor *b);
L2_API l2_status l2_sub_(l2_tensor *a, const l2_tensor *b);
L2_API l2_status l2_mul_(l2_tensor *a, const l2_tensor *b);
L2_API l2_status l2_div_(l2_tensor *a, const l2_tensor *b);
L2_API l2_status l2_add_scalar_(l2_tensor *a, double s);
L2_API l2_status l2_mul_scalar_(l2_tensor *a, double s);
L2_API l2_status l2_clamp_(l2_tensor *t, double min, double max);
L2_API l2_status l2_relu_(l2_tensor *t);
/* Set every element to 0 / to value (converted as a C cast); the gradient to t's old value is
 * zero. */
L2_API l2_status l2_zero_(l2_tensor *t);
L2_API l2_status l2_fill_(l2_tensor *t, double value);
/* @@ELEMENTWISE@@ */

/* ------------------------------------------------------------------------------------------ */
/* Reductions (libl2/ops/reduce.c)                                                            */
/* ------------------------------------------------------------------------------------------ */
/* Reductions take `dims` as (ndims, dims, keepdim): ndims == 0 reduces over every dim (torch
 * 1.13's sum(dim=[])); dims may be negative; a dim listed twice is L2_ERR_ARG, one out of range
 * L2_ERR_DIM; ndims > 0 with dims NULL is L2_ERR_NULL. Without keepdim the reduced dims are
 * removed; with it they stay with size 1. Float results are accumulated in float64. The result
 * is a new tensor (yours); float ops are differentiable unless said otherwise. A NULL tensor is
 * L2_ERR_NULL. */

/* Sum of all elements -> 0-d. bool and int64 sum to int64; floats keep their dtype. Empty: 0. */
L2_API l2_tensor *l2_sum(const l2_tensor *t);
/* Sum over dims. Dtypes as l2_sum. Backward: dx = expand(dy). */
L2_API l2_tensor *l2_sum_dims(const l2_tensor *t, int ndims, const int *dims, bool keepdim);
/* Mean of all elements -> 0-d; float dtypes only (L2_ERR_DTYPE otherwise). Empty: NaN. */
L2_API l2_tensor *l2_mean(const l2_tensor *t);
/* Mean over dims; float dtypes only. Backward: dx = dy / N. */
L2_API l2_tensor *l2_mean_dims(const l2_tensor *t, int ndims, const int *dims, bool keepdim);
/* Product of all elements -> 0-d; bool/int64 give int64 (wrapping), floats keep. Empty: 1. The
 * gradient is exact when the input holds zeros. */
L2_API l2_tensor *l2_prod(const l2_tensor *t);
/* Product along one dim. Dtypes as l2_prod. */
L2_API l2_tensor *l2_prod_dim(const l2_tensor *t, int dim, bool keepdim);
/* Largest / smallest element -> 0-d, same dtype; NaN propagates. L2_ERR_ARG on an empty input.
 * Backward: dy is split evenly among the elements equal to the result (as torch 1.13). */
L2_API l2_tensor *l2_max(const l2_tensor *t);
L2_API l2_tensor *l2_min(const l2_tensor *t);
/* Largest / smallest along dim: returns the values (t's dtype); when indices is non-NULL, *indices
 * receives a new int64 tensor (yours) of the same shape holding the position along dim (the first
 * on ties; the first NaN if any). L2_ERR_ARG if dim has size 0. Backward: dy goes to the selected
 * element. On failure *indices is set to NULL. */
L2_API l2_tensor *l2_max_dim(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices);
L2_API l2_tensor *l2_min_dim(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices);
/* Flat row-major index of the first largest / smallest element -> 0-d int64 (NaN counts as the
 * largest and the smallest). Not differentiable. L2_ERR_ARG if empty, L2_ERR_DTYPE for bool. */
L2_API l2_tensor *l2_argmax(const l2_tensor *t);
L2_API l2_tensor *l2_argmin(const l2_tensor *t);
/* Index along dim of the first largest / smallest element -> int64. L2_ERR_ARG if dim has
 * size 0. */
L2_API l2_tensor *l2_argmax_dim(const l2_tensor *t, int dim, bool keepdim);
L2_API l2_tensor *l2_argmin_dim(const l2_tensor *t, int dim, bool keepdim);
/* Variance over dims: sum((x - mean)^2) / max(N - correction, 0) (correction 1: unbiased), by two
 * passes. Float dtypes only (L2_ERR_DTYPE). Backward: dx = dy * 2 (x - mean) / (N - correction). */
L2_API l2_tensor *l2_var(const l2_tensor *t, int ndims, const int *dims, double correction,
                         bool keepdim);
/* Standard deviation: sqrt of l2_var. Backward: dx = dy (x - mean) / ((N - correction) std), 0
 * where std is 0 (as torch 1.13). */
L2_API l2_tensor *l2_std(const l2_tensor *t, int ndims, const int *dims, double correction,
                         bool keepdim);
/* log(sum(exp(x))) over dims, computed as m + log(sum(exp(x - m))) with m the (finite) maximum.
 * Float dtypes only. Empty: -inf. Backward: dx = dy * exp(x - out). */
L2_API l2_tensor *l2_logsumexp(const l2_tensor *t, int ndims, const int *dims, bool keepdim);
/* p-norm over dims: (sum |x|^p)^(1/p) for p > 0, max |x| for p = INFINITY. L2_ERR_ARG for p <= 0
 * or NaN; float dtypes only. Empty: 0. Backward: dx = dy x |x|^(p-2) / norm^(p-1) (0 where the
 * norm is 0; for INFINITY dy is split evenly among the elements with |x| = norm). The gradient
 * can be differentiated again (create_graph: see l2_linalg_lstsq's section). */
L2_API l2_tensor *l2_norm(const l2_tensor *t, double p, int ndims, const int *dims, bool keepdim);
/* Running sum along dim, same shape; bool/int64 give int64, floats keep (accumulated in float64).
 * Backward: dx = reverse cumsum of dy along dim. */
L2_API l2_tensor *l2_cumsum(const l2_tensor *t, int dim);
/* Whether every / any element is non-zero (NaN counts as non-zero) -> 0-d bool. Empty: all is
 * true, any false. Not differentiable. */
L2_API l2_tensor *l2_all(const l2_tensor *t);
L2_API l2_tensor *l2_any(const l2_tensor *t);
/* The same along one dim -> bool. */
L2_API l2_tensor *l2_all_dim(const l2_tensor *t, int dim, bool keepdim);
L2_API l2_tensor *l2_any_dim(const l2_tensor *t, int dim, bool keepdim);
/* @@REDUCE@@ */

/* ------------------------------------------------------------------------------------------ */
/* More reductions and scans (libl2/ops/reduce3.c, scan.c; issue 14, area scan)              */
/* ------------------------------------------------------------------------------------------ */
/* dims as (ndims, dims, keepdim) as for the Reductions above (ndims 0: every dim; L2_ERR_ARG
 * for a dim listed twice, L2_ERR_DIM out of range, L2_ERR_NULL for ndims > 0 with dims NULL).
 * Results are new tensors (yours); an op with an out-argument (max, mean, indices) writes a new
 * tensor there when it is non-NULL and sets it to NULL on failure. NULL t is L2_ERR_NULL. */

/* torch.amax / amin: the largest / smallest element over dims, t's dtype (any dtype); NaN
 * propagates. L2_ERR_ARG for an empty t reduced over every dim or a reduced dim of size 0.
 * Backward: dy split evenly among the elements equal to the result (torch 1.13; where the
 * result is NaN torch's gradient is NaN, libl2 splits dy among the NaN). */
L2_API l2_tensor *l2_amax(const l2_tensor *t, int ndims, const int *dims, bool keepdim);
L2_API l2_tensor *l2_amin(const l2_tensor *t, int ndims, const int *dims, bool keepdim);
/* torch.aminmax: returns amin and, when max is non-NULL, writes amax there (yours), over one dim
 * (*dim) or, when dim is NULL, over every element (0-d results; with keepdim every dim kept
 * with size 1). Errors as l2_amin; an empty t without dim is L2_ERR_ARG. torch 1.13 has no
 * gradient for aminmax; libl2's results are amin's and amax's and have theirs (as later
 * releases). */
L2_API l2_tensor *l2_aminmax(const l2_tensor *t, const int *dim, bool keepdim, l2_tensor **max);
/* torch.nansum: the sum over dims with NaN counted as 0; bool and int64 give int64, floats keep
 * their dtype. Empty: 0. Backward: dy where x is not NaN, 0 at the NaN. */
L2_API l2_tensor *l2_nansum(const l2_tensor *t, int ndims, const int *dims, bool keepdim);
/* torch.nanmean: nansum over the count of non-NaN elements (NaN where there is none); float
 * dtypes only (L2_ERR_DTYPE). Backward: dy / count where x is not NaN. */
L2_API l2_tensor *l2_nanmean(const l2_tensor *t, int ndims, const int *dims, bool keepdim);
/* torch.count_nonzero: how many elements over dims are not 0 (NaN counts) -> int64, the dims
 * removed (ndims 0: every dim, a 0-d result). Any dtype; not differentiable. */
L2_API l2_tensor *l2_count_nonzero(const l2_tensor *t, int ndims, const int *dims);
/* torch.var_mean / std_mean: returns l2_var (l2_std) of t over dims with correction and, when
 * mean is non-NULL, writes l2_mean_dims over the same dims there (yours). Float dtypes only
 * (L2_ERR_DTYPE); other errors and gradients as l2_var, l2_std and l2_mean_dims (each result
 * has its own node; torch's single node gives the same gradients). torch's unbiased = true is
 * correction 1, false 0. */
L2_API l2_tensor *l2_var_mean(const l2_tensor *t, int ndims, const int *dims, double correction,
                              bool keepdim, l2_tensor **mean);
L2_API l2_tensor *l2_std_mean(const l2_tensor *t, int ndims, const int *dims, double correction,
                              bool keepdim, l2_tensor **mean);
/* The scans below run along one dim (negative counts from the end; a 0-d tensor takes dim 0 and
 * -1); the result has t's shape. */
/* torch.cumprod: running product along dim; bool/int64 give int64 (wrapping), floats keep their
 * dtype (accumulated in float64). Backward, with z the row's first zero: dx_j = (sum_{k >= j}
 * dy_k y_k) / x_j before z, the products without x_z at z, 0 after z (exact with zeros, as
 * torch 1.13). Differentiable again (create_graph, libl2/ops/scan-cg.c) as torch 1.13's
 * grad-mode formula: reversed_cumsum(y dy) / x without a zero in x, else the omitted products
 * sum_{k >= j} dy_k prod_{i <= k, i != j} x_i (n times x's memory). */
L2_API l2_tensor *l2_cumprod(const l2_tensor *t, int dim);
/* torch.cummax / cummin: the running largest / smallest element along dim (t's dtype, any
 * dtype) and, when indices is non-NULL, a new int64 tensor of positions there (yours; NULL on
 * failure). As torch 1.13: NaN propagates, and a tie or a later NaN moves the index to the later
 * element. Backward: dy_k goes to the element at index k (summed). */
L2_API l2_tensor *l2_cummax(const l2_tensor *t, int dim, l2_tensor **indices);
L2_API l2_tensor *l2_cummin(const l2_tensor *t, int dim, l2_tensor **indices);
/* torch.logcumsumexp: running log(sum(exp(x))) along dim (float64 accumulation, stable for
 * large |x|; empty rows nothing). Float dtypes only (L2_ERR_DTYPE). Backward: dx_j = sum_{k >= j}
 * dy_k exp(x_j - y_k), by torch 1.13's split into positive and negative dy. */
L2_API l2_tensor *l2_logcumsumexp(const l2_tensor *t, int dim);
/* torch.searchsorted: for each element of values, its insertion position in the sorted last-dim
 * rows of sorted -> int64 of values' shape: the first position whose element is >= the value
 * (right: > the value), by torch 1.13's binary search (a NaN in sorted compares neither >= nor >
 * anything: the search moves past it, as torch's; sort NaN last with care). sorted 1-d: one row
 * for every value; else sorted's leading dims must equal values' (L2_ERR_SHAPE), each value
 * searched in its own row. sorter (optional, int64, sorted's shape; L2_ERR_SHAPE, L2_ERR_DTYPE)
 * holds positions that sort each row (torch's argsort); an out-of-range one is L2_ERR_INDEX
 * (torch reads out of bounds). The two dtypes promote as in binary ops; bool is L2_ERR_DTYPE.
 * A 0-d values needs a 1-d sorted; a 0-d sorted is L2_ERR_SHAPE. torch's side = "right" is
 * right = true; out_int32 is not offered (libl2 has no int32). Not differentiable. */
L2_API l2_tensor *l2_searchsorted(const l2_tensor *sorted, const l2_tensor *values, bool right,
                                  const l2_tensor *sorter);
/* torch.bucketize: l2_searchsorted(boundaries, values, right) for a 1-d boundaries (else
 * L2_ERR_SHAPE). */
L2_API l2_tensor *l2_bucketize(const l2_tensor *values, const l2_tensor *boundaries, bool right);
/* @@SCAN@@ */

/* ------------------------------------------------------------------------------------------ */
/* Linear algebra through OpenBLAS (libl2/ops/linalg.c)                                       */
/* ------------------------------------------------------------------------------------------ */
/* Products follow torch: operands have one dtype, float32, float64 or int64 (int64 through plain
 * loops, without autograd); different dtypes give L2_ERR_DTYPE ("expected scalar type float32
 * but found float64"), bool gives L2_ERR_DTYPE. Shape and rank errors are L2_ERR_SHAPE and name
 * both shapes: "matmul: shapes [2,3] and [4,5] are not compatible (3 != 4)". Operands may have any
 * layout: float operands BLAS can read in place (row- or column-major, transposed views included)
 * are not copied; others are copied once. Zero-size dims work (K = 0 gives zeros). Results are
 * new contiguous tensors; every product is differentiable in its float operands. */

/* torch.matmul. 1-d @ 1-d: dot product, a 0-d result. 2-d @ 2-d: (M,K) @ (K,N) -> (M,N).
 * 1-d a is treated as (1,K) and 1-d b as (K,1), the added dim removed from the result:
 * (K) @ (K,N) -> (N), (M,K) @ (K) -> (M). If either has rank >= 3 the product is batched over
 * the leading dims, which broadcast: (B..., M, K) @ (B'..., K, N) -> (broadcast(B, B')..., M, N),
 * e.g. (2,1,3,4) @ (5,4,2) -> (2,5,3,2). L2_ERR_SHAPE for 0-d operands, K mismatch or batch
 * dims that do not broadcast. */
L2_API l2_tensor *l2_matmul(const l2_tensor *a, const l2_tensor *b);
/* Matrix product of 2-d tensors only: a: (M,K), b: (K,N) -> (M,N). */
L2_API l2_tensor *l2_mm(const l2_tensor *a, const l2_tensor *b);
/* Batched product of 3-d tensors with equal batch (no broadcasting):
 * a: (B,M,K), b: (B,K,N) -> (B,M,N). */
L2_API l2_tensor *l2_bmm(const l2_tensor *a, const l2_tensor *b);
/* torch.baddbmm: beta * input + alpha * (batch1 @ batch2), batch by batch.
 * batch1: (B,M,K), batch2: (B,K,N) (L2_ERR_SHAPE for other ranks or sizes, naming them), of one
 * dtype, float32, float64 or int64 (L2_ERR_DTYPE otherwise); input broadcasts to (B,M,N)
 * (L2_ERR_SHAPE otherwise) -> (B,M,N) of the batches' dtype. As torch, input may have any dtype
 * (bool included): it is converted to the batches' (its gradient comes back in its own dtype).
 * When beta is 0, input is not read (NaN or inf in it do not propagate); alpha 0 still multiplies
 * the products (inf or NaN in the batches give NaN), as torch. beta and alpha must be finite and
 * fit float32 for float32 batches (L2_ERR_ARG; torch refuses the overflow too), and be integral
 * for int64 batches (L2_ERR_ARG; torch truncates them: deliberately not followed, as l2_addmm).
 * Products with K*M*N < 400 (torch's limit) are computed by torch's own loop, in its order of
 * roundings (float32 accumulates in float32); larger ones by one BLAS gemm per batch with beta.
 * Differentiable in input and the float batches: d input = beta g, d batch1 = (g @ batch2^T)
 * alpha, d batch2 = (batch1^T @ g) alpha; with create_graph too. Batches of two dtypes are
 * refused even when a size is 0 (torch 1.13 then accepts them: deliberately not followed). */
L2_API l2_tensor *l2_baddbmm(const l2_tensor *input, const l2_tensor *batch1,
                             const l2_tensor *batch2, double beta, double alpha);
/* torch.addbmm: beta * input + alpha * sum over b of batch1[b] @ batch2[b]. batch1: (B,M,K),
 * batch2: (B,K,N) as l2_baddbmm; input broadcasts to (M,N) and has the batches' dtype (torch
 * refuses other dtypes here too: L2_ERR_DTYPE) -> (M,N). B = 0 gives beta * input. Computed as
 * one l2_addmm over the batch folded into the contracted dim, (M, B*K) @ (B*K, N), so its
 * summation order and its alpha 0 (the products ignored) are l2_addmm's; differentiable through
 * it. Other errors as l2_baddbmm. An input of another dtype is refused even when B = 0 (torch
 * 1.13 then accepts it: deliberately not followed). */
L2_API l2_tensor *l2_addbmm(const l2_tensor *input, const l2_tensor *batch1,
                            const l2_tensor *batch2, double beta, double alpha);
/* Matrix-vector product: a: (M,K), v: (K) -> (M). */
L2_API l2_tensor *l2_mv(const l2_tensor *a, const l2_tensor *v);
/* Dot product of 1-d tensors of one length: a: (K), b: (K) -> a 0-d tensor. */
L2_API l2_tensor *l2_dot(const l2_tensor *a, const l2_tensor *b);
/* Outer product of 1-d tensors: a: (M), b: (N) -> (M,N) with r[i,j] = a[i] * b[j]. Unlike the
 * other products (as torch.outer) the dtypes promote as in l2_mul; a bool result is refused. */
L2_API l2_tensor *l2_outer(const l2_tensor *a, const l2_tensor *b);
/* beta * c + alpha * (a @ b): a: (M,K), b: (K,N), c broadcast to (M,N) -> (M,N). c, a and b have
 * one dtype. When beta is 0, c is not read (NaN in c does not propagate), as torch. beta and alpha
 * must be finite, and integral for int64 operands (L2_ERR_ARG). */
L2_API l2_tensor *l2_addmm(const l2_tensor *c, const l2_tensor *a, const l2_tensor *b,
                           double beta, double alpha);
/* torch.nn.functional.linear: x @ w^T + b. x: (*, in), w: (out, in), b: (out) or NULL (any shape
 * that broadcasts to the result without changing it) -> (*, out); 1-d x gives (out). All of one
 * dtype. The leading dims of x fold into one BLAS call when their strides allow. */
L2_API l2_tensor *l2_linear(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b);
/* Testing: route this thread's products through the plain reference loops instead of OpenBLAS
 * (on) or back (off). The reference loops read any layout, so nothing is copied. */
L2_API void l2_debug_linalg_reference(bool on);
/* Testing: how many operand copies this thread's products have made so far (operands BLAS cannot
 * read in place). */
L2_API int64_t l2_debug_linalg_copies(void);
/* gemm (issue 12): which float32 matrix product mm, matmul, bmm, addmm, linear and conv2d (and
 * their backward) use for products with M, N > 1 and M*N*K >= l2_threshold("sgemm_min"):
 *   L2_GEMM_AUTO  libl2's own packed kernel when it is known to be faster: the CPU has AVX2 and
 *                 FMA (and vector math is on, see l2_debug_vector_math) and OpenBLAS did not
 *                 recognise it (openblas_get_corename() names a core without AVX2 kernels, such
 *                 as Prescott, Nehalem or Sandybridge) and N >= l2_threshold("sgemm_nr");
 *                 OpenBLAS otherwise. The default.
 *   L2_GEMM_OWN   always the own kernel (AVX2+FMA, or portable C where the CPU lacks them or
 *                 vector math is off).
 *   L2_GEMM_BLAS  always OpenBLAS's sgemm.
 * The environment variable L2_GEMM=auto|own|blas, read at the first product, sets the start
 * mode. The own kernel accumulates in float32 over K in blocks (as BLAS does) and gives the same
 * bits for any thread count. Smaller products, gemv and dot (M or N = 1), float64 and int64 are
 * unaffected. */
enum { L2_GEMM_AUTO = 0, L2_GEMM_OWN = 1, L2_GEMM_BLAS = 2 };
/* Testing: set the gemm mode process-wide; returns the previous mode, or -1 with L2_ERR_ARG for
 * an unknown mode (nothing changes then). */
L2_API int l2_debug_gemm(int mode);
/* ------------------------------------------------------------------------------------------ */
/* Einsum, tensordot, norms, cross (libl2/ops/einsum.c, norms.c; issue 15, area compose)      */
/* ------------------------------------------------------------------------------------------ */
/* Composed of the differentiable ops above (diagonal, permute, reshape, sum_dims, bmm, ...): the
 * gradients are autograd's through them. Results are new tensors (yours); the whole equation and
 * every size is checked before anything is computed. */

/* torch.einsum(equation, operands): n >= 1 operands of float32, float64 or int64, each labelled
 * by one term of the equation "t0,t1,...[->out]". Operands of different dtypes: where a pair has
 * nothing to sum it is multiplied with l2_mul's promotion, where it is contracted l2_bmm refuses
 * them (L2_ERR_DTYPE), both as torch. Bool operands are L2_ERR_DTYPE (a departure: torch
 * multiplies them where nothing is summed).
 * A term is letters a-z, A-Z (one per dim) and at most one "..." standing for the dims not
 * labelled; spaces are ignored. A letter repeated within a term takes that diagonal ("ii->i").
 * Sizes of one letter (and of the ellipsis dims, right-aligned) broadcast across operands: equal
 * or 1. Without "->" the output is the ellipsis dims, then the letters that occur exactly once in
 * the equation, sorted with upper case first ("ba,Ab" gives dims A, a, as torch);
 * with "->" the output is the given letters (and "..."), each at most once; letters not in the
 * output are summed over, and so are the ellipsis dims when an explicit output has no "...".
 * Example: "bij,bjk->bik" is a batched matmul, "ii" the trace, "...ij->...ji" a transpose.
 * Evaluated as torch 1.13 does without opt_einsum: operands contracted left to right, each pair
 * through one l2_bmm (a dim is summed as soon as no later operand has it). The result is a view
 * of the operand when one operand only needs a permutation (torch likewise).
 * Errors (torch's messages): L2_ERR_NULL for a NULL equation, operands or operand; L2_ERR_ARG for
 * n < 1, an invalid character ("invalid subscript given at index 1"), a '.' not part of "...",
 * two ellipses in a term or in the output, fewer or more operands than terms, an output letter
 * not in any input or repeated in the output; L2_ERR_SHAPE for a term whose letter count does not
 * match its operand's rank (more than its rank, with "..."), sizes of one letter (or ellipsis
 * dim) that do not broadcast, a repeated letter on dims of different sizes. Departure: libl2
 * aligns every operand to one dim per distinct letter and ellipsis dim, so equations with more
 * than L2_MAX_DIMS (8) of them are L2_ERR_ARG (torch allows up to 64). */
L2_API l2_tensor *l2_einsum(const char *equation, int n, l2_tensor *const *operands);
/* torch.tensordot(a, b, dims=(dims_a, dims_b)): sums the products over the ndims_a pairs of dims
 * (a's dims_a[i] with b's dims_b[i], negative dims wrap); the result has a's other dims, then b's,
 * each in their order: a: (2,3,4), b: (3,4,5), dims ([1,2],[0,1]) -> (2,5); no pairs gives the
 * outer product. Sizes of a pair are equal, or one of them is 1 (the other side is summed over
 * that dim first, as torch). One dtype of float32, float64, int64 (L2_ERR_DTYPE otherwise).
 * Errors: L2_ERR_NULL for NULL tensors or a NULL list with a non-zero length; L2_ERR_SHAPE when
 * ndims_a != ndims_b ("both dimension lists should have same length"); L2_ERR_ARG for more than
 * L2_MAX_DIMS result dims; L2_ERR_DIM for a dim out of range or repeated in a list ("dim 1
 * appears multiple times"); L2_ERR_SHAPE for a pair of sizes that differ, neither 1
 * ("contracted dimensions need to match, but first has size 4 in dim 2 and second has size 3
 * in dim 0"). Gradients through sum_dims, permute, reshape and l2_mm. */
L2_API l2_tensor *l2_tensordot(const l2_tensor *a, const l2_tensor *b, int ndims_a,
                               const int *dims_a, int ndims_b, const int *dims_b);
/* torch.tensordot(a, b, dims=n) with an integer: a's last n dims against b's first n, in order
 * (a's dim -n + i with b's dim i). n < 0: L2_ERR_ARG ("tensordot expects dims >= 0"); n larger
 * than a's (or b's) rank: L2_ERR_DIM; otherwise as l2_tensordot. */
L2_API l2_tensor *l2_tensordot_n(const l2_tensor *a, const l2_tensor *b, int64_t n);
/* torch.linalg.cross(a, b, dim=-1): the cross product of the 3-vectors along dim:
 * c_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1} (indices mod 3); the other dims broadcast. a and b have
 * one rank and one dtype (float32, float64, int64). Errors in torch's order: L2_ERR_SHAPE for
 * different ranks, L2_ERR_DIM for 0-d inputs or dim out of range, L2_ERR_SHAPE when either size
 * at dim is not 3 or the other dims do not broadcast, L2_ERR_DTYPE for bool or different dtypes.
 * Gradients: autograd through roll, mul and sub (dc/da = b x dc, dc/db = dc x a, summed over
 * broadcast dims). torch.cross: libl2 has no l2_cross. torch.cross(a, b, dim) is this function
 * (torch 1.13's torch.cross broadcasts the same way); torch.cross without dim (deprecated in
 * torch: it takes the first dim of size 3) has no counterpart: pass the dim. */
L2_API l2_tensor *l2_linalg_cross(const l2_tensor *a, const l2_tensor *b, int dim);
/* @@LINALG@@ */

/* ---- Linear algebra through LAPACK: solvers (libl2/ops/linalg-solve.c) -------------------- */
/* Each matrix is factored by OpenBLAS's LAPACK getrf (LU with partial pivoting) on a
 * column-major copy; A may have any layout. A: (*, n, n), float32 or float64 (L2_ERR_DTYPE
 * otherwise), at least 2-d (L2_ERR_DIM) and square (L2_ERR_SHAPE), n within LAPACK's 32-bit int
 * (L2_ERR_OVERFLOW); the leading dims are batch dims. Empty batches and n = 0 are allowed. */

/* torch.linalg.solve (left=True): X with A X = B. B is a batch of vectors when it is 1-d or
 * shaped A.shape[:-1] (torch 1.13's rule): B: (*, n) -> X: (*, n); otherwise a batch of
 * matrices: B: (*, n, k) -> X: (*, n, k). The batch dims of A and B broadcast. B has A's dtype
 * (L2_ERR_DTYPE otherwise); L2_ERR_SHAPE for a 0-d B, B's n not matching A's, or batch dims that
 * do not broadcast. An exactly singular matrix (a zero pivot in its LU) is L2_ERR_ARG, the
 * message naming the batch element and the pivot, as torch raises; nothing is returned then.
 * Gradients: dB = A^{-T} dX, dA = -dB X^T. */
L2_API l2_tensor *l2_linalg_solve(const l2_tensor *A, const l2_tensor *B);
/* torch.linalg.inv: A: (*, n, n) -> A^{-1}: (*, n, n), solving A X = I. Singular: L2_ERR_ARG as
 * l2_linalg_solve. Gradient: dA = -Y^T dY Y^T with Y = A^{-1}. */
L2_API l2_tensor *l2_linalg_inv(const l2_tensor *A);
/* torch.linalg.det: A: (*, n, n) -> (*), the product of U's diagonal with the pivots' sign; 1 for
 * n = 0. A singular matrix gives 0 (no error). Gradient: g det(A) A^{-T}; as torch 1.13
 * (first order), exactly zero pivots of the LU are first replaced by the dtype's epsilon, so a
 * matrix whose LU has an exactly zero pivot gets a zero gradient. For n = 0 the backward
 * gives A no gradient (torch 1.13: A.grad stays None). */
L2_API l2_tensor *l2_linalg_det(const l2_tensor *A);
/* torch.linalg.slogdet: returns sign(det A) (*), and, when logabsdet is not NULL,
 * *logabsdet = log|det A| (*) (a new tensor, yours; NULL on failure). A singular matrix gives
 * sign 0 and logabsdet -inf; n = 0 gives 1 and 0. Only logabsdet is differentiable:
 * dA = g A^{-T} (inf/NaN for a singular A, as torch); sign never requires grad (torch's sign
 * does, with a zero gradient). */
L2_API l2_tensor *l2_linalg_slogdet(const l2_tensor *A, l2_tensor **logabsdet);
/* torch.linalg.cholesky: A: (*, n, n) symmetric positive-definite -> L (*, n, n) lower
 * triangular with A = L L^T, or U = L^T when upper (A = U^T U); through LAPACK potrf. Only A's
 * lower triangle is read, the upper one when upper (as torch; the other is assumed to
 * mirror it). A matrix that is
 * not positive-definite is L2_ERR_ARG, the message naming the batch element and "the leading
 * minor of order k". Gradient (torch 1.13): with P = L^T dL and Phi = tril(P) with its
 * diagonal halved, dA = L^{-T} Phi L^{-1}, symmetrized as (dA + dA^T) / 2. */
L2_API l2_tensor *l2_linalg_cholesky(const l2_tensor *A, bool upper);
/* create_graph (issue 15; libl2/ops/linalg-la-cg.c): the gradients of solve, inv, det,
 * slogdet and cholesky can be differentiated again (torch 1.13's grad-mode formulas: solves
 * recomputed from A). Deliberate difference: det at an exactly singular matrix (a zero pivot)
 * fails the create_graph backward with L2_ERR_AUTOGRAD, where torch 1.13 switches to an SVD
 * formula; slogdet of a singular matrix fails there as torch's solve raises. */

/* ---- Linear algebra: norms, least squares (libl2/ops/linalg-norm.c, linalg-lstsq.c) ------- */

/* torch.cholesky_solve: X with A X = B, where A = L L^T is given by its Cholesky factor L
 * (upper: A = U^T U, L holding U). B: (*, n, k), L: (*, n, n) -> X: (*, n, k), the batch dims
 * broadcast (as torch). Through LAPACK potrs, which reads only L's lower triangle (upper: its
 * upper one), as torch. B and L of one dtype, float32 or float64 (L2_ERR_DTYPE); both at least
 * 2-d (L2_ERR_DIM: torch 1.13 has no vector B here); L square and B's n equal to L's, batch
 * dims broadcastable (L2_ERR_SHAPE); n and k within LAPACK's int (L2_ERR_OVERFLOW). A zero on
 * L's diagonal gives inf/NaN, no error (as torch). Empty batches, n = 0 and k = 0 are allowed.
 * Gradients (torch 1.13's): dB = cholesky_solve(dX, L), and with C = dB X^T + X dB^T,
 * dL = -C L (upper: -L C), dense (it reaches the triangle that is never read, as torch's); as
 * torch's, the formula uses L as given, so it is the derivative only when L's other triangle
 * is zero (pass tril(L) / triu(L) to differentiate a factor with garbage there). */
L2_API l2_tensor *l2_cholesky_solve(const l2_tensor *B, const l2_tensor *L, bool upper);
/* torch.linalg.vector_norm: the ord-norm of x's elements over dims, x float32 or float64
 * (L2_ERR_DTYPE; torch's dtype argument has no counterpart), the result in x's dtype:
 * (sum |x|^ord)^(1/ord) for a finite non-zero ord (negative too), max |x| for INFINITY, min |x|
 * for -INFINITY, the count of non-zero elements (NaN counts) for 0. dims: ndims dims (negative
 * ones count from the end; a 0-d x takes 0 or -1); NULL or ndims 0 reduce every dim (as torch's
 * dim=None and dim=()). keepdim keeps the reduced dims with size 1. Errors: a dim out of range
 * or repeated (L2_ERR_DIM); ord < 0 or +-INFINITY over an empty reduced dim
 * (L2_ERR_ARG, no identity, as torch); a NaN ord is L2_ERR_ARG (torch returns NaN: a
 * departure). An empty reduction of another ord gives 0. Gradients (torch 1.13's
 * norm_backward): ord 0 none (zero); 1: sgn(x) g; 2: g x / norm, 0 where the norm is 0;
 * +-inf: g sgn(x) / count at the elements with |x| = norm or NaN (ties share it evenly);
 * 0 < ord < 1 and ord < 0: g sgn(x) |x|^(ord-1) norm^(1-ord), 0 where x = 0; ord > 1:
 * g sgn(x) |x|^(ord-1) / norm^(ord-1), 0 where the norm is 0. The positive orders are l2_norm's
 * (its node); 0, negative orders and -INFINITY have their own node. */
L2_API l2_tensor *l2_linalg_vector_norm(const l2_tensor *x, double ord, const int *dims,
                                        int ndims, bool keepdim);
/* torch.linalg.matrix_norm: the matrix norm of A over the two dims dims2 (NULL: {-2, -1}; the
 * other dims are batch dims), keepdim as vector_norm. ord is text: NULL or "fro" (the
 * Frobenius norm, torch's default), "nuc", or a number in strtod's syntax that is 1, -1, 2, -2,
 * inf or -inf ("1": the largest column sum of |A|, "-1" the smallest, "inf"/"-inf" the
 * largest/smallest row sum; "nuc" the sum of the singular values, "2"/"-2" the largest and
 * smallest, through l2_linalg_svdvals with dims2 moved last, as torch 1.13). Errors: A below 2-d (L2_ERR_DIM),
 * not float (L2_ERR_DTYPE), another ord (L2_ERR_ARG, torch's "Order ... not supported"), a dim
 * out of range (L2_ERR_DIM), equal dims (L2_ERR_ARG); for 1, -1, inf and -inf an empty
 * reduced dim is an error of amax/amin (L2_ERR_ARG: no identity); "fro" of an
 * empty matrix is 0. Composed as torch 1.13 (fro: vector_norm 2 over both dims; 1: amax over
 * dims2[1] of vector_norm 1 over dims2[0]; inf: the same with the dims swapped; amin for the
 * negative orders; svdvals then sum/amax/amin for the singular-value orders), so the gradient
 * is the composition's (ties of amax/amin share evenly; svdvals' gradient is torch's). */
L2_API l2_tensor *l2_linalg_matrix_norm(const l2_tensor *A, const char *ord, const int *dims2,
                                        bool keepdim);
/* torch.linalg.norm with torch 1.13's dispatch. ord is text: NULL (torch's None), "fro", "nuc"
 * or a number in strtod's syntax ("2", "0.5", "inf", "-inf"). dims NULL is torch's dim=None
 * (ndims ignored); otherwise ndims must be 1 or 2 (L2_ERR_ARG). A string order ("fro", "nuc")
 * is always l2_linalg_matrix_norm (over dims, default {0, 1}); a numeric order is a matrix norm
 * when two dims are given, or none and x is 2-D, otherwise l2_linalg_vector_norm; with no
 * order: vector_norm 2 over dims (over every element when dims is NULL). With ord given and no
 * dims, x must be 1-D or 2-D (L2_ERR_ARG). Errors and gradients are those of the function
 * dispatched to; an order that is neither a matrix nor a vector order is L2_ERR_ARG. */
L2_API l2_tensor *l2_linalg_norm(const l2_tensor *x, const char *ord, const int *dims,
                                 int ndims, bool keepdim);
/* torch.linalg.lstsq with torch's CPU default driver "gelsy" (LAPACK's complete orthogonal
 * factorization with column pivoting): the least-squares solution X of A X = B, the
 * minimum-norm one when A is rank-deficient or m < n. A: (*, m, n); B: (*, m, k) -> X:
 * (*, n, k), or, as torch 1.13, B: (*, m) when B has one dim fewer than A -> X: (*, n); the
 * batch dims broadcast. rcond: the relative threshold of the rank; NaN for torch's None
 * (eps(dtype) * max(m, n)). driver: NULL or "gelsy"; "gels", "gelsd" and "gelss" (torch's
 * others) are L2_ERR_ARG "not supported yet", any other name L2_ERR_ARG. *rank (when rank is
 * not NULL; yours, NULL on failure): the effective ranks, int64 (*), as torch's gelsy result;
 * torch's residuals and singular_values are empty tensors for gelsy and are not returned.
 * Errors: A and B of one dtype, float32 or float64 (L2_ERR_DTYPE); A below 2-d (L2_ERR_DIM); a
 * 0-d B (L2_ERR_SHAPE); B's rank not A's or one less (L2_ERR_ARG); B's m not A's, batch dims
 * that do not broadcast (L2_ERR_SHAPE); sizes beyond LAPACK's int (L2_ERR_OVERFLOW). m, n, k
 * or the batch may be 0 (X zeros, rank 0). Gradient (torch 1.13's, through the pseudo-inverse
 * P of A, valid for full-rank A): dB = P^T dX, dA = -dB X^T + (B - A X)(P dB)^T (m >= n) or
 * -dB X^T + P^T X (dX - P A dX)^T (m < n); P is R^{-1} Q^T from the QR of A (of A^T when
 * m < n), so the backward of a rank-deficient A fails (L2_ERR_ARG) when R has an exactly zero
 * pivot and is huge when R is nearly singular, where torch differentiates its SVD-based pinv
 * (small singular values cut): a departure. For a vector B torch 1.13's backward raises (a
 * torch bug); libl2 gives the matrix case's gradient. */
L2_API l2_tensor *l2_linalg_lstsq(const l2_tensor *A, const l2_tensor *B, double rcond,
                                  const char *driver, l2_tensor **rank);
/* create_graph (issue 15; libl2/ops/linalg-lsq-cg.c): the gradients of l2_norm,
 * l2_linalg_vector_norm (every order), l2_cholesky_solve and l2_linalg_lstsq can be
 * differentiated again: each backward above is torch 1.13's formula written with recorded ops
 * (l2_norm's included), so the second derivative is the derivative of that formula, as torch's:
 * zero in x for orders 1 and +-inf (ties keep sharing evenly), NaN where the 2-norm (or another
 * order's norm) is 0 (0 / 0, as torch). Deliberate difference: at an element x = 0 with an order
 * p < 2 other than 1, torch's second derivative in x is NaN (0 * inf through abs's backward
 * g sgn(x)); libl2's abs backward is 0 at 0 whatever g holds, so libl2's is 0 there.
 * l2_linalg_matrix_norm and l2_linalg_norm follow their compositions (their singular-value
 * orders need l2_linalg_svdvals' differentiable backward). lstsq's second derivative holds for
 * full-rank A (its backward's QR and solve are recorded; torch differentiates its pinv). */

/* ------------------------------------------------------------------------------------------ */
/* Linear algebra through LAPACK: decompositions (libl2/ops/linalg-decomp.c)                  */
/* ------------------------------------------------------------------------------------------ */
/* The decompositions call the LAPACK of the OpenBLAS libl2 links (geqrf/orgqr, syevd), batched
 * over the leading dims of A: (*, M, N), float32 or float64 (L2_ERR_DTYPE otherwise), at least
 * 2 dims (L2_ERR_DIM otherwise), M and N at most INT_MAX (L2_ERR_OVERFLOW). Any layout.
 * Results with several tensors return the first and store the others through pointers (yours
 * to release; NULL pointers skip them; set to NULL on failure). The results of one call are
 * views of one packed tensor that carries the autograd node, so the gradients of all of them
 * meet in one backward (as torch's node with several outputs); a result that gets no gradient
 * counts as zero there (torch: undefined, with the same gradient of A). To back-propagate
 * through several results of one call, pass retain_graph to every l2_backward but the last. */

/* torch.linalg.qr: A = Q R with Q orthonormal columns and R upper triangular (LAPACK's signs:
 * R's diagonal may be negative, as torch's). K = min(M, N). mode (NULL: "reduced"):
 *   "reduced"   Q: (*, M, K), R: (*, K, N);
 *   "complete"  Q: (*, M, M), R: (*, M, N);
 *   "r"         Q: an empty (0,) tensor, R: (*, K, N).
 * Returns Q; *R receives R. L2_ERR_ARG for another mode. Backward (torch 1.13's
 * linalg_qr_backward): defined for "reduced" and for "complete" with M <= N; for "r" and for
 * "complete" with M > N the backward fails with L2_ERR_AUTOGRAD as torch's raises. The gradient
 * divides by R's diagonal: rank-deficient A gives inf/NaN, as torch. */
L2_API l2_tensor *l2_linalg_qr(const l2_tensor *A, const char *mode, l2_tensor **R);
/* torch.linalg.eigh: the eigenvalues L: (*, N) in ascending order and, through *eigenvectors,
 * the orthonormal eigenvectors V: (*, N, N) (column j for L[j]; A = V diag(L) V^T) of the
 * symmetric matrices A: (*, N, N), read from the triangle uplo ("L", the default for NULL, or
 * "U"; lowercase "l" and "u" too, as torch; the other triangle is never read). LAPACK's syevd; an eigenvector's sign is LAPACK's
 * choice (as torch's: compare sign-invariant quantities). L2_ERR_SHAPE for non-square A,
 * L2_ERR_ARG for another uplo or when LAPACK fails to converge (torch's error). Backward (torch
 * 1.13's): gA = V (S / E with diagonal gL) V^T with S = (V^T gV - gV^T V) / 2 and
 * E_ij = L_j - L_i, not symmetrised and reaching both triangles, as torch's; equal eigenvalues
 * give inf/NaN as torch's when V's gradient is non-zero; when it is zero (only L used) the
 * gradient is V diag(gL) V^T (torch's shortcut for an undefined gV). */
L2_API l2_tensor *l2_linalg_eigh(const l2_tensor *A, const char *uplo, l2_tensor **eigenvectors);
/* torch.linalg.eigvalsh: the eigenvalues of l2_linalg_eigh alone, (*, N); the same arguments,
 * errors and gradient V diag(gL) V^T (eigenvectors computed as well, as torch does in grad
 * mode). */
L2_API l2_tensor *l2_linalg_eigvalsh(const l2_tensor *A, const char *uplo);
/* create_graph (issue 15; libl2/ops/linalg-la-cg.c): the gradients of qr, eigh and eigvalsh
 * can be differentiated again (their backwards above written with recorded ops: torch 1.13's
 * double backward). qr's R^{-T} is a solve with triu(R) (torch: solve_triangular; the same
 * values and an upper-triangular gradient of R). Where qr has no gradient (mode 'r', 'complete'
 * with M > N) the create_graph backward fails the same way. */

/* ------------------------------------------------------------------------------------------ */
/* Linear algebra through LAPACK: SVD (libl2/ops/linalg-svd.c)                                */
/* ------------------------------------------------------------------------------------------ */
/* A: (*, M, N), K = min(M, N), batched over the leading dims, float32 or float64 (L2_ERR_DTYPE
 * otherwise), at least 2 dims (L2_ERR_DIM), M and N at most INT_MAX (L2_ERR_OVERFLOW); any
 * layout; empty batches and M or N = 0 allowed. Through LAPACK's gesdd (torch's CPU driver) on
 * a column-major copy of each matrix, as torch calls it. A matrix with NaN makes gesdd fail:
 * L2_ERR_ARG "... failed to converge because the input matrix contained non-finite values"
 * (naming the batch element for batched input), as torch raises; +-inf gives NaN values without
 * an error, as torch. Results, ownership and the packed node as in the decompositions above. */

/* torch.linalg.svd: A = U diag(S) Vh. Returns U; *S receives the singular values (*, K) in
 * descending order, *Vh the right singular vectors as rows. full_matrices: U (*, M, M) and
 * Vh (*, N, N); otherwise U (*, M, K), Vh (*, K, N). K = 0 with full_matrices gives U = I and
 * Vh = I (torch's). Each singular vector's sign is LAPACK's choice (torch's too: compare
 * sign-invariant quantities). Backward (torch 1.13's svd_backward, real case; with full
 * matrices only the first K columns of U and rows of Vh and their gradients are used, as
 * torch): with skew(X) = X - X^T, E_ij = S_j^2 - S_i^2 and E_ii = 1,
 *   R = (skew(U^T gU) S_j + S_i skew(Vh gVh^T)) / E + diag(gS),
 *   gA = U R Vh, plus for M > N (I - U U^T) gU S^-1 Vh, for M < N U S^-1 gVh (I - Vh^T Vh).
 * When no gradient reached U or Vh (all zero: torch's undefined gradients) gA = U diag(gS) Vh,
 * finite for repeated or zero singular values; otherwise repeated singular values give inf/NaN
 * (as torch), and a zero singular value of a non-square A too. A gradient that is exactly zero
 * everywhere counts as none (torch would use it: the only difference is inf/NaN then). */
L2_API l2_tensor *l2_linalg_svd(const l2_tensor *A, bool full_matrices, l2_tensor **S,
                                l2_tensor **Vh);
/* torch.linalg.svdvals: the singular values S (*, K) of l2_linalg_svd, in descending order;
 * its errors. Without a gradient gesdd computes the values alone (jobz "N", torch's path);
 * when A requires grad U and Vh are computed too (as torch) and the gradient is
 * U diag(gS) Vh. */
L2_API l2_tensor *l2_linalg_svdvals(const l2_tensor *A);
/* torch.linalg.pinv: the pseudo-inverse A+ (*, N, M) of A: (*, M, N), computed as torch 1.13
 * does: from l2_linalg_svd (full_matrices false), A+ = V diag(S+) U^T with S+_i = 1 / S_i where
 * S_i > tol, else 0, and tol = max(atol, rtol * S_max) per matrix, computed and compared in
 * float64. atol and rtol are NAN when not given (torch's None): atol then counts as 0; rtol
 * defaults to eps * max(M, N) (eps of A's dtype) when atol is not given or not positive, else
 * to 0 (torch's rule); given values are used as they are, negative ones included. hermitian: A
 * is symmetric (square: L2_ERR_SHAPE otherwise) and only its lower triangle is read; through
 * l2_linalg_eigh: A+ = V diag(L+) V^T with L+_i = 1 / L_i where |L_i| > tol, S_max = max |L|.
 * An empty A gives (*, N, M) (torch's early return). Errors: those of l2_linalg_svd /
 * l2_linalg_eigh (NaN input among them); L2_ERR_DTYPE for a non-float A or fewer than 2 dims
 * (torch's one check and message "expected a tensor with 2 or more dimensions of float or
 * double types"), except a float A of fewer than 2 dims with atol given and rtol not, which
 * torch 1.13 refuses with "Dimension out of range" (its atol path indexes dim -2 first):
 * L2_ERR_DIM with that message. Gradient: torch 1.13's pinv_backward on A and A+ (its own node, saving both;
 * with X = A+ and the upstream G): M <= N: K = G^T X, gA = -(X K)^T + K X^T - A X K X^T +
 * X^T X (G^T - K A); M > N: K = X G^T, gA = -(K X)^T + (G^T - A K) X X^T + X^T K - X^T K X A;
 * for hermitian too (the gradient of the general pinv, reaching both triangles, as torch). */
L2_API l2_tensor *l2_linalg_pinv(const l2_tensor *A, double atol, double rtol, bool hermitian);
/* create_graph (issue 15; libl2/ops/linalg-svd-cg.c): the gradients of svd, svdvals (through
 * svd's node) and pinv can be differentiated again: the backwards above written with recorded
 * ops (torch 1.13's double backward), svd's with the same choice of terms from which of gU / gVh
 * are non-zero; an empty A gives a zero gradient recorded from the upstream one (requiring
 * grad, as torch's). Second derivatives of svd need the same gauge-invariant loss as the first
 * (a function of U, S, Vh that does not depend on the singular vectors' signs). */

/* ------------------------------------------------------------------------------------------ */
/* Indexing (libl2/ops/index.c)                                                               */
/* ------------------------------------------------------------------------------------------ */
/* Index tensors are int64 (L2_ERR_DTYPE otherwise) of any layout. An index i into a dim of size
 * S must lie in [0, S) (negative indices are refused, as in torch 1.13); L2_ERR_INDEX names the
 * index and the size otherwise. Gradients flow to the float tensors indexed, never to
 * the indices. */

/* The slices of t at positions index along dim: t: (..., S, ...), index: (N,) or 0-d ->
 * (..., N, ...) (a 0-d index gives N = 1; a 0-d t needs one index and gives a 0-d result). Any
 * dtype. L2_ERR_SHAPE if index has more than one dim. Backward: index_add of dy into zeros. */
L2_API l2_tensor *l2_index_select(const l2_tensor *t, int dim, const l2_tensor *index);
/* torch.gather: out[i][j][k] = t[index[i][j][k]][j][k] for dim 0 (likewise for other dims).
 * index has t's rank and index.size(d) <= t.size(d) for d != dim (L2_ERR_SHAPE otherwise); the
 * result has index's shape and t's dtype. Backward: scatter_add of dy into zeros. */
L2_API l2_tensor *l2_gather(const l2_tensor *t, int dim, const l2_tensor *index);
/* Out of place scatter_add: a copy of t with src[i][j][k] added at [index[i][j][k]][j][k] (for
 * dim 0), for every position of index. index, src and t have one rank; index.size(d) <=
 * src.size(d) for every d and <= t.size(d) for d != dim; src's dtype is t's (float32, float64 or
 * int64). Result: t's shape. Gradients: dt = dy, dsrc = dy.gather(dim, index) (zero where index
 * does not reach). */
L2_API l2_tensor *l2_scatter_add(const l2_tensor *t, int dim, const l2_tensor *index,
                                 const l2_tensor *src);
/* Rows of a lookup table: weight: (V, D), indices: (*) -> (*, D) with out[..., :] =
 * weight[indices[...], :]. L2_ERR_SHAPE unless weight is 2-D. Backward: the rows of dy are
 * accumulated into dW at their indices (repeated indices add up). */
L2_API l2_tensor *l2_embedding(const l2_tensor *weight, const l2_tensor *indices);
/* One-hot encoding: indices: (*) -> (*, num_classes), int64, 1 at each index and 0 elsewhere.
 * num_classes -1 means max(indices) + 1 (L2_ERR_ARG on an empty tensor). L2_ERR_INDEX for a
 * negative index or one >= num_classes. Not differentiable. */
L2_API l2_tensor *l2_one_hot(const l2_tensor *indices, int64_t num_classes);
/* @@INDEX@@ */

/* ------------------------------------------------------------------------------------------ */
/* More indexing (libl2/ops/index2.c, issue 14)                                               */
/* ------------------------------------------------------------------------------------------ */
/* torch.take: t read as 1-D (row-major, any layout) at index: the result has index's shape (any
 * shape, 0-d included) and t's dtype (any dtype), a new tensor. index is int64 (L2_ERR_DTYPE);
 * an entry i must lie in [-n, n) for n = numel(t), negative ones counting from the end
 * (L2_ERR_INDEX otherwise, also for a non-empty index into an empty t). Backward: dy added into
 * zeros_like(t) at the indices (repeated indices add up). */
L2_API l2_tensor *l2_take(const l2_tensor *t, const l2_tensor *index);
/* torch.take_along_dim(t, indices, dim): t and indices (int64, L2_ERR_DTYPE) have one rank
 * (L2_ERR_SHAPE; a 0-d t is L2_ERR_DIM as in torch 1.13) and broadcast together in every dim
 * but dim (L2_ERR_SHAPE), then out = gather(t, dim, indices) on the broadcast operands: shape
 * the broadcast shape with indices.size(dim) at dim; indices in [0, t.size(dim)) (L2_ERR_INDEX;
 * no negative indices, as gather). Any dtype; a new tensor; its node is gather's, as in torch.
 * torch's dim=None form (t.view(-1).gather(0, indices.view(-1))) is not provided: it is
 * l2_take for a contiguous t without negative indices. */
L2_API l2_tensor *l2_take_along_dim(const l2_tensor *t, const l2_tensor *indices, int dim);
/* @@INDEX2@@ */

/* ------------------------------------------------------------------------------------------ */
/* Indexed writes (libl2/ops/index3.c, issue 14)                                              */
/* ------------------------------------------------------------------------------------------ */
/* torch.index_fill(t, dim, index, value): a new tensor, t with the slices t[..., index[k], ...]
 * along dim set to value (converted as l2_fill_). index is int64 (L2_ERR_DTYPE), 0-d or 1-D
 * (L2_ERR_SHAPE), entries in [-S, S) for S = t.size(dim), negative ones counting from the end
 * (L2_ERR_INDEX; as torch 1.13, not checked when t has no elements); a 0-d t counts as size 1
 * at dim 0 or -1. Any dtype; L2_ERR_ARG for a value
 * that overflows the dtype (int64: also inf and NaN). Backward: dy with the filled slices
 * zeroed. */
L2_API l2_tensor *l2_index_fill(const l2_tensor *t, int dim, const l2_tensor *index,
                                double value);
/* torch.index_copy(t, dim, index, source): a new tensor, t with slice index[k] along dim
 * replaced by source's slice k. source has t's dtype (L2_ERR_DTYPE) and t's shape with size N
 * = numel(index) at dim (L2_ERR_SHAPE; a 0-d t or source counts as [1]); index as index_fill
 * but entries in [0, S) (no negative indices, as torch 1.13; not checked when t has no
 * elements). With repeated indices the last
 * one wins (torch leaves the winner unspecified). Backward: dt = dy with the copied slices
 * zeroed, dsource = dy.index_select(dim, index). */
L2_API l2_tensor *l2_index_copy(const l2_tensor *t, int dim, const l2_tensor *index,
                                const l2_tensor *source);
/* torch.index_add(t, dim, index, source, alpha=alpha): as l2_index_copy, but the slices add
 * alpha * source's slices (repeated indices add up; int64 wraps around, bool is logical or;
 * alpha is truncated to an integer for int64 and bool, L2_ERR_ARG if it overflows the dtype).
 * Backward: dt = dy, dsource = alpha * dy.index_select(dim, index). */
L2_API l2_tensor *l2_index_add(const l2_tensor *t, int dim, const l2_tensor *index,
                               const l2_tensor *source, double alpha);
/* torch.masked_select(t, mask): the elements of t where mask (bool, L2_ERR_DTYPE) is true, t
 * and mask broadcast together (L2_ERR_SHAPE), in row-major order of the broadcast shape: a new
 * 1-D tensor of t's dtype (any dtype). Backward: dy scattered into zeros of the broadcast shape
 * at the true positions, summed back to t's shape. */
L2_API l2_tensor *l2_masked_select(const l2_tensor *t, const l2_tensor *mask);
/* torch.nonzero(t) (as_tuple=False): the row-major positions of t's non-zero elements (NaN counts
 * as non-zero) as a new int64 tensor (n, ndim); a 0-d t gives (1, 0) or (0, 0). Any dtype; no
 * gradient (an int64 result). */
L2_API l2_tensor *l2_nonzero(const l2_tensor *t);
/* torch.masked_scatter(t, mask, source): t and mask (bool, L2_ERR_DTYPE) broadcast together
 * (L2_ERR_SHAPE); a new tensor of the broadcast shape, t's values where mask is false and, at
 * the k-th true position (row-major), source's k-th element (source read row-major, any shape,
 * t's dtype: L2_ERR_DTYPE; L2_ERR_SHAPE when it has fewer elements than mask has true ones).
 * Backward: dt = dy with the true positions zeroed (summed back to t's shape), dsource = zeros
 * of source's shape with its first count(mask) elements dy.masked_select(mask). */
L2_API l2_tensor *l2_masked_scatter(const l2_tensor *t, const l2_tensor *mask,
                                    const l2_tensor *source);
/* @@INDEX3@@ */
/* ---- advanced indexing (family adv, issue 14; libl2/ops/index-adv.c) ---- */
/* torch's x[i0, i1, ...] with tensors: indices[k] is an int64 index tensor (negative entries
 * count from the end; out of range: L2_ERR_INDEX), a bool mask of k >= 1 dims (consumes k dims
 * of x, which its shape must match, L2_ERR_INDEX; as its nonzero() columns), or NULL for a full
 * slice ":". Dims of x past the n entries are full slices; more dims consumed than x has:
 * L2_ERR_INDEX. Other index dtypes (float; uint8 masks, deprecated in torch, are not taken),
 * 0-d bool masks: L2_ERR_DTYPE / L2_ERR_SHAPE. The index tensors broadcast together (shape B,
 * L2_ERR_SHAPE); the indexed dims are replaced by B in place when they are adjacent, else B
 * goes first (torch's rule). Any dtype of x; the result is a new tensor (also when no entry is
 * a tensor). Backward: dy accumulated into zeros at the indexed positions (index_put with
 * accumulate=true). A 0-d int64 index is an advanced index of shape () here (numpy's rule);
 * torch 1.13's Python x[...] takes it as an integer instead. Indices are checked even when x
 * is empty (torch 1.13 checks none then). gather_nd pattern: l2_index_tensors(x, 2,
 * (const l2_tensor *[]){i, j}) with i, j of shape (N,) reads the N elements x[i[k], j[k], ...]. */
L2_API l2_tensor *l2_index_tensors(const l2_tensor *x, int n, const l2_tensor *const *indices);
/* torch.index_put(self, indices, values, accumulate): a new tensor, self with the elements
 * l2_index_tensors(self, n, indices) would read replaced by values (accumulate: values added,
 * repeated positions adding up; int64 wraps around, bool is logical or). indices as in
 * l2_index_tensors (same errors: only int64 and bool index tensors, as torch 1.13). values has
 * self's dtype (L2_ERR_DTYPE, as torch 1.13) and broadcasts to the indexed shape without new
 * leading dims (L2_ERR_SHAPE). Without accumulate, repeated positions take the value that comes last in
 * row-major order of the broadcast index shape, at any thread count (torch leaves the winner
 * unspecified). No index tensor at all (n == 0 or only NULL entries): every element is put
 * (torch 1.13 fails an internal assert there). Backward: dself = dy with the put positions
 * zeroed (accumulate: dy), dvalues = l2_index_tensors(dy, n, indices) summed back to values'
 * shape (every repeated position contributes). */
L2_API l2_tensor *l2_index_put(const l2_tensor *self, int n, const l2_tensor *const *indices,
                               const l2_tensor *values, bool accumulate);
/* torch's self.index_put_(indices, values, accumulate), i.e. self[indices] = values (or +=):
 * l2_index_put written into self, under the in-place rules (see l2_add_; all or nothing: every
 * check and allocation happens before the first write; bumps self's version). */
L2_API l2_status l2_index_put_(l2_tensor *self, int n, const l2_tensor *const *indices,
                               const l2_tensor *values, bool accumulate);

/* ------------------------------------------------------------------------------------------ */
/* Scatter and unique (libl2/ops/scatter.c, unique.c; issue 14, area uniq)                    */
/* ------------------------------------------------------------------------------------------ */
/* torch.scatter(t, dim, index, src): a new tensor, t with t[index[i][j][k]][j][k] = src[i][j][k]
 * (dim 0; likewise for other dims) for every position of index. Shapes as l2_scatter_add (one
 * rank, 0-d counting as [1]; index.size(d) <= src.size(d) for every d and <= t.size(d) for
 * d != dim: L2_ERR_SHAPE); index int64 (L2_ERR_DTYPE) with entries in [0, t.size(dim))
 * (L2_ERR_INDEX, checked before anything is written); src has t's dtype (L2_ERR_DTYPE); any
 * dtype. Repeated positions: the last in the index's row-major order wins (torch leaves the
 * winner unspecified). torch's deprecated reduce= argument is not provided: use
 * l2_scatter_reduce. Backward: dt = dy with the scattered positions zeroed, dsrc =
 * dy.gather(dim, index) (zero where the index does not reach). */
L2_API l2_tensor *l2_scatter(const l2_tensor *t, int dim, const l2_tensor *index,
                             const l2_tensor *src);
/* torch.scatter(t, dim, index, value): as l2_scatter with every src element value (converted
 * as l2_fill_; L2_ERR_ARG if it overflows t's dtype; int64: also inf and NaN). index's shape
 * rules as gather's. Backward: dt = dy with the scattered positions zeroed. */
L2_API l2_tensor *l2_scatter_value(const l2_tensor *t, int dim, const l2_tensor *index,
                                   double value);
/* The reductions of l2_scatter_reduce (torch's reduce strings). */
typedef enum {
    L2_SCATTER_SUM,
    L2_SCATTER_PROD,
    L2_SCATTER_MEAN,
    L2_SCATTER_AMAX,
    L2_SCATTER_AMIN
} l2_scatter_mode;
/* torch.scatter_reduce(t, dim, index, src, reduce, include_self=include_self): a new tensor, t
 * where every position q that the index reaches holds the reduction (sum, prod, mean, amax or
 * amin) of the src elements scattered to q, together with t[q] when include_self (else t[q] is
 * left out; positions not reached keep t's value). mean divides by the number of values reduced
 * (int64: rounding toward -inf, as torch); amax/amin propagate NaN. Shapes and index as
 * l2_scatter; float32, float64, int64 (bool: L2_ERR_DTYPE; torch takes it); L2_ERR_ARG for an
 * unknown reduce. Backward, as torch 1.13 defines it: sum: dt = dy, dsrc = dy.gather; mean: both
 * divided by the count; prod: dy * product of the other values (zeros handled exactly for one
 * zero per position); amax/amin: dy split evenly among t[q] and the src elements equal to the
 * result (t[q] counts even without include_self, as in torch); without include_self dt is zero
 * at the reached positions. The node saves the result, as torch's: changing it in place before
 * backward makes backward fail (L2_ERR_AUTOGRAD). Differentiable again (create_graph,
 * libl2/ops/index-cg.c: torch 1.13's scatter_reduce_backward with recorded ops), except prod
 * with more than one zero of src scattered to one position: torch 1.13 raises when a backward
 * goes through that dsrc (a delayed error); libl2 fails the create_graph backward itself
 * (L2_ERR_AUTOGRAD) when src requires grad. */
L2_API l2_tensor *l2_scatter_reduce(const l2_tensor *t, int dim, const l2_tensor *index,
                                    const l2_tensor *src, l2_scatter_mode reduce,
                                    bool include_self);
/* torch.unique(t, sorted, return_inverse, return_counts) (dim=None): the distinct elements of t
 * (any dtype, any shape, read row-major) as a new 1-D tensor in ascending order (NaN last). The
 * result is always sorted: torch 1.13 documents sorted=false as leaving the order open (its CPU
 * kernel then returns a hash order), and the sorted order is one such answer. Equality is ==:
 * -0.0 equals 0.0 (the first in t's order is kept) and every NaN is a value of its own, counted
 * once (torch 1.13's sorted kernel mis-orders and mis-counts NaN; libl2 follows the ==
 * semantics torch 2 documents). When inverse is non-NULL it receives a new int64 tensor of t's
 * shape (0-d for a 0-d t) with the position of each element's value in the result; when
 * counts is non-NULL, a new int64 tensor with how often each value occurs. Both are NULL after
 * a failure. No gradient: the results never require grad (torch 1.13 marks them as requiring
 * grad, and its backward then fails). NULL t is L2_ERR_NULL. */
L2_API l2_tensor *l2_unique(const l2_tensor *t, bool sorted, l2_tensor **inverse,
                            l2_tensor **counts);
/* torch.unique(t, sorted, return_inverse, return_counts, dim): the distinct slices of t along
 * dim (negative counts from the end), in lexicographic ascending order of the slices read
 * row-major with dims 0 and dim swapped (torch's order; always sorted, as torch 1.13 whatever
 * sorted says): t's shape with the number of distinct slices at dim; two
 * slices are equal when all their elements are == (a slice holding NaN equals no other).
 * inverse: int64 (size of dim,), counts: int64 (number of slices,). L2_ERR_DIM for a 0-d t or
 * a dim out of range; L2_ERR_SHAPE for an empty t unless dim is its only size-0 dim (then the
 * results are empty). Any dtype; no gradient (as l2_unique). */
L2_API l2_tensor *l2_unique_dim(const l2_tensor *t, int dim, bool sorted, l2_tensor **inverse,
                                l2_tensor **counts);
/* torch.unique_consecutive(t, return_inverse, return_counts) (dim=None): t read row-major with
 * every run of equal neighbours (==, as l2_unique: NaN never equal) reduced to its first
 * element, a new 1-D tensor; inverse (t's shape) and counts as l2_unique. No gradient. */
L2_API l2_tensor *l2_unique_consecutive(const l2_tensor *t, l2_tensor **inverse,
                                        l2_tensor **counts);
/* torch.unique_consecutive(t, return_inverse, return_counts, dim): runs of equal neighbouring
 * slices along dim reduced to their first slice; shapes, errors and outputs as l2_unique_dim. */
L2_API l2_tensor *l2_unique_consecutive_dim(const l2_tensor *t, int dim, l2_tensor **inverse,
                                            l2_tensor **counts);
/* @@UNIQ@@ */

/* ------------------------------------------------------------------------------------------ */
/* Neural-network functions (libl2/ops/nn.c)                                                  */
/* ------------------------------------------------------------------------------------------ */
/* Float dtypes only for inputs (L2_ERR_DTYPE otherwise); results have the input's dtype (the
 * pointwise losses: the promoted dtype of input and target). Dims may be negative. All are
 * differentiable (first order); sums are accumulated in float64. */

/* How a loss reduces its per-element values: none (same shape), mean, sum (0-d results).
 * L2_REDUCTION_BATCHMEAN (area loss, issue 14) is torch's kl_div "batchmean": the sum divided
 * by the input's size along dim 0 (a 0-d input: the sum); only l2_kl_div takes it, the other
 * losses refuse it with L2_ERR_ARG, as torch refuses "batchmean" for them. */
typedef enum {
    L2_REDUCTION_NONE,
    L2_REDUCTION_MEAN,
    L2_REDUCTION_SUM,
    L2_REDUCTION_BATCHMEAN
} l2_reduction;

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
/* |input - target|, with the rules of l2_mse_loss (the gradient of |0| is 0); L2_ERR_DTYPE for a
 * bool operand (torch refuses to subtract bools). */
L2_API l2_tensor *l2_l1_loss(const l2_tensor *input, const l2_tensor *target, l2_reduction r);
/* -(target * log(input) + (1 - target) * log(1 - input)) with each log clamped at -100, as torch.
 * input: probabilities in [0, 1] (L2_ERR_ARG otherwise); target: input's shape (L2_ERR_SHAPE
 * otherwise) and dtype (L2_ERR_DTYPE otherwise, as torch). Gradients flow to input (divided by
 * max(x(1-x), 1e-12f), the float constant as torch) and to target (-logit(input)), as torch.
 * Second derivatives (create_graph) are those of this gradient, the clamp included; torch 1.13's
 * double backward divides by (x + 1e-12)^2 (1 - x + 1e-12)^2 instead of max(x(1-x), 1e-12)^2:
 * the two agree to ~2e-12 / min(x, 1 - x) relative, and differ where x(1-x) < 1e-12f (there
 * libl2's clamp has no derivative, torch's formula gives ~1/eps^2). */
L2_API l2_tensor *l2_binary_cross_entropy(const l2_tensor *input, const l2_tensor *target,
                                          l2_reduction r);
/* binary_cross_entropy(sigmoid(input), target) computed stably as
 * (1 - target) * input + max(-input, 0) + log1p(exp(-|input|)). target: input's shape
 * (L2_ERR_SHAPE otherwise). Both must be float (L2_ERR_DTYPE otherwise, as torch); mixed float
 * dtypes promote to float64 (torch 1.13 returns the target's dtype there, an artifact of its
 * in-place arithmetic that libl2 does not follow). Gradients flow to input and target. */
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
/* Convolution, pooling and padding (libl2/ops/conv2d.c, pool.c, pad.c)                        */
/* ------------------------------------------------------------------------------------------ */
/* Float32 and float64 (one dtype for all operands: L2_ERR_DTYPE otherwise), NCHW layout: x is
 * (N, C, H, W), or unbatched (C, H, W) giving an unbatched result. Pairs (stride, padding, ...)
 * are {height, width}. Output sizes follow torch (ceil_mode false):
 * P = floor((H + 2 pad - dilation (k - 1) - 1) / stride) + 1, likewise Q for W; L2_ERR_SHAPE
 * names the input size and the kernel when P or Q would be < 1 (also when the dilated kernel
 * overflows int64: it cannot fit). L2_ERR_OVERFLOW when H + 2 pad overflows int64 or the output
 * exceeds the Limits (see Creation); a huge stride gives P = 1, as torch's conv2d. Inputs may
 * have any layout. */

/* 2-d cross-correlation (torch.nn.functional.conv2d): x: (N, C, H, W), w: (O, C/groups, kH, kW),
 * b: (O,) or NULL -> (N, O, P, Q). NULL stride, padding or dilation mean {1,1}, {0,0}, {1,1}.
 * L2_ERR_ARG for stride or dilation < 1, padding < 0 or groups < 1; L2_ERR_SHAPE when C !=
 * w.size(1) * groups, O is not divisible by groups or b is not (O,). Differentiable in x, w
 * and b. */
L2_API l2_tensor *l2_conv2d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                            const int64_t stride[2], const int64_t padding[2],
                            const int64_t dilation[2], int64_t groups);
/* Max over kernel windows: (N, C, H, W) -> (N, C, P, Q); padding cells never win. stride NULL
 * means the kernel, padding NULL means 0; dilation 1. L2_ERR_ARG for kernel or stride < 1 or a
 * padding outside 0..kernel/2. The gradient goes to the first maximum of each window (a NaN
 * counts as the maximum). */
L2_API l2_tensor *l2_max_pool2d(const l2_tensor *x, const int64_t kernel[2],
                                const int64_t stride[2], const int64_t padding[2]);
/* Mean over kernel windows, padding cells counted as zeros in the kH*kW divisor
 * (count_include_pad true). Arguments and errors as l2_max_pool2d. */
L2_API l2_tensor *l2_avg_pool2d(const l2_tensor *x, const int64_t kernel[2],
                                const int64_t stride[2], const int64_t padding[2]);
/* Mean over adaptive windows: (N, C, H, W) -> (N, C, oH, oW) where output row i averages input
 * rows floor(i H / oH) .. ceil((i + 1) H / oH) - 1 (columns likewise). L2_ERR_ARG for a
 * negative output size; L2_ERR_SHAPE if C, H or W is 0. */
L2_API l2_tensor *l2_adaptive_avg_pool2d(const l2_tensor *x, const int64_t output_size[2]);
/* Constant padding (torch.nn.functional.pad, mode "constant"): pad holds npad values (even, at
 * most 2 ndim), (left, right) for the last dim first, then for the one before, ...; negative
 * values crop. New cells hold value (converted to x's dtype). Any dtype; differentiable for
 * float dtypes (dx = dy over the kept part of x). L2_ERR_ARG for an odd or too long pad;
 * L2_ERR_SHAPE, as torch 1.13, when a negative pad would crop a dim below size 0, or when any pad
 * is positive and a padded dim would end up with size 0; L2_ERR_OVERFLOW for a pad of INT64_MIN
 * or a padded size beyond int64 (see Limits). */
L2_API l2_tensor *l2_pad(const l2_tensor *x, int npad, const int64_t *pad, double value);
/* The 1-d members and pixel shuffles (libl2/ops/conv-compose.c), composed as torch composes them:
 * their gradients are those of the ops they call, and an error of the 2-d op they call comes
 * back under their own name, "(computed as conv2d over a height of 1)" added. */
/* 1-d cross-correlation (torch.nn.functional.conv1d): x: (N, C, L) or unbatched (C, L), w: (O,
 * C/groups, kL), b: (O,) or NULL -> (N, O, P) or (O, P), P = floor((L + 2 padding - dilation
 * (kL - 1) - 1) / stride) + 1; conv2d over a height of 1 (its dtypes, arguments and errors).
 * L2_ERR_SHAPE for x not of rank 2 or 3 or w not of rank 3. Torch's string paddings ("same",
 * "valid") are not taken. Differentiable in x, w and b. */
L2_API l2_tensor *l2_conv1d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                            int64_t stride, int64_t padding, int64_t dilation, int64_t groups);
/* 1-d max and mean pooling (torch.nn.functional.max_pool1d / avg_pool1d, ceil_mode false,
 * dilation 1, count_include_pad true): x: (N, C, L) or (C, L) -> (N, C, P) or (C, P); the 2-d
 * pool over a height of 1. stride 0 means the kernel (torch's stride=None). L2_ERR_SHAPE for x
 * not of rank 2 or 3; L2_ERR_ARG for kernel < 1, stride < 0 or padding outside 0..kernel/2. */
L2_API l2_tensor *l2_max_pool1d(const l2_tensor *x, int64_t kernel, int64_t stride,
                                int64_t padding);
L2_API l2_tensor *l2_avg_pool1d(const l2_tensor *x, int64_t kernel, int64_t stride,
                                int64_t padding);
/* Rearrange (*, C r^2, H, W) -> (*, C, H r, W r) (torch.nn.functional.pixel_shuffle): out[...,
 * c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w]; any dtype, a new contiguous tensor (a
 * copy even for r = 1, as torch), differentiable for float dtypes. L2_ERR_SHAPE for rank < 3 or
 * a channel count not divisible by r^2; L2_ERR_ARG for r < 1; L2_ERR_OVERFLOW for an output
 * size beyond int64. */
L2_API l2_tensor *l2_pixel_shuffle(const l2_tensor *x, int64_t upscale_factor);
/* Its inverse (torch.nn.functional.pixel_unshuffle): (*, C, H r, W r) -> (*, C r^2, H, W).
 * L2_ERR_SHAPE for rank < 3 or H or W not divisible by r; L2_ERR_ARG for r < 1. */
L2_API l2_tensor *l2_pixel_unshuffle(const l2_tensor *x, int64_t downscale_factor);
/* conv2 (issue 14): transposed convolution (libl2/ops/conv-transpose.c), the input gradient of
 * conv2d computed directly (a GEMM and col2im per sample, as torch's slow_conv_transpose2d). */
/* 2-d transposed convolution (torch.nn.functional.conv_transpose2d, same argument order): x: (N,
 * C, H, W) or (C, H, W), w: (C, O/groups, kH, kW), b: (O,) or NULL -> (N, O, P, Q) with
 * P = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1 (Q likewise). NULL
 * stride, padding, output_padding or dilation mean {1,1}, {0,0}, {0,0}, {1,1}. Dtypes as conv2d.
 * L2_ERR_ARG for stride, dilation or groups < 1, padding or output_padding < 0, or an
 * output_padding not smaller than either the stride or the dilation (per axis, as torch);
 * L2_ERR_SHAPE when C != w.size(0), w.size(0) is not divisible by groups, b is not (O,), H or W
 * is 0, or P or Q < 1; L2_ERR_OVERFLOW when P, Q or O overflow int64 or the output exceeds the
 * Limits. Differentiable in x, w and b. */
L2_API l2_tensor *l2_conv_transpose2d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                                      const int64_t stride[2], const int64_t padding[2],
                                      const int64_t output_padding[2], int64_t groups,
                                      const int64_t dilation[2]);
/* 1-d transposed convolution (torch.nn.functional.conv_transpose1d): x: (N, C, L) or (C, L), w:
 * (C, O/groups, kL), b: (O,) or NULL -> (N, O, P) or (O, P), P = (L - 1) stride - 2 padding +
 * dilation (kL - 1) + output_padding + 1; l2_conv_transpose2d over a height of 1 (its dtypes,
 * arguments and errors, restated as conv_transpose1d's). L2_ERR_SHAPE for x not of rank 2 or 3
 * or w not of rank 3. Differentiable in x, w and b. */
L2_API l2_tensor *l2_conv_transpose1d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                                      int64_t stride, int64_t padding, int64_t output_padding,
                                      int64_t groups, int64_t dilation);
/* max_pool2d with torch's full argument list (torch.nn.functional.max_pool2d with dilation,
 * ceil_mode and return_indices; libl2/ops/pool2.c): x (N, C, H, W) or (C, H, W) -> (N, C, P, Q)
 * with P = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1, or with ceil_mode the ceiling, less
 * one when that last window would start at or past H + pH (inside neither the input nor the left
 * padding); Q likewise. Window cells are (oy sH - pH + i dH, ...); padding never wins; the first
 * maximum wins ties, a NaN counts as the maximum, a window of -inf names its first cell; a dilated
 * window with no cell inside the
 * input gives -inf, the index of its first cell past the top-left padding (outside the plane,
 * as torch) and no gradient. stride NULL means the kernel, padding NULL 0,
 * dilation NULL 1. When indices is not NULL, *indices receives an int64 tensor of the output's
 * shape holding each maximum's flat position y W + x in its (H, W) plane (NULL after a
 * failure). L2_ERR_ARG for kernel, stride or dilation < 1 or a padding outside 0..kernel/2;
 * L2_ERR_SHAPE for C, H or W = 0 or P or Q < 1; L2_ERR_OVERFLOW for sizes beyond int64.
 * Differentiable in x (the gradient goes to each window's maximum); errors are reported as
 * "max_pool2d". */
L2_API l2_tensor *l2_max_pool2d_ex(const l2_tensor *x, const int64_t kernel[2],
                                   const int64_t stride[2], const int64_t padding[2],
                                   const int64_t dilation[2], bool ceil_mode,
                                   l2_tensor **indices);
/* avg_pool2d with torch's full argument list (torch.nn.functional.avg_pool2d; libl2/ops/pool2.c):
 * output size as l2_max_pool2d_ex (dilation 1). Each output is the sum of its window's cells
 * inside the input (accumulated in double) over divisor_override when it is not 0, else over the
 * window's size within the padded input (count_include_pad; a ceil_mode window past the right
 * padding counts only up to it) or its number of cells inside the input. stride NULL means the
 * kernel, padding NULL 0. Errors as l2_max_pool2d_ex, reported as "avg_pool2d". Differentiable
 * in x (dx = dy / divisor over each window's cells). */
L2_API l2_tensor *l2_avg_pool2d_ex(const l2_tensor *x, const int64_t kernel[2],
                                   const int64_t stride[2], const int64_t padding[2],
                                   bool ceil_mode, bool count_include_pad,
                                   int64_t divisor_override);
/* conv3 (issue 14): 3-d convolution and pooling (libl2/ops/conv3d.c, pool3.c), adaptive max
 * pooling and max unpooling (libl2/ops/unpool.c). Triples (stride, padding, ...) are {depth,
 * height, width}; x is (N, C, D, H, W) or unbatched (C, D, H, W), giving an unbatched result. */
/* 3-d cross-correlation (torch.nn.functional.conv3d): x: (N, C, D, H, W), w: (O, C/groups, kD,
 * kH, kW), b: (O,) or NULL -> (N, O, T, P, Q), T = floor((D + 2 pad - dilation (kD - 1) - 1) /
 * stride) + 1 (P, Q likewise). NULL stride, padding or dilation mean 1, 0, 1 on every axis.
 * Float32 or float64, one dtype for all operands (L2_ERR_DTYPE otherwise). L2_ERR_ARG for stride
 * or dilation < 1, padding < 0 or groups < 1; L2_ERR_SHAPE for x not of rank 4 or 5, w not of
 * rank 5 or with a kernel size 0, C != w.size(1) * groups, O not divisible by groups, b not
 * (O,), or T, P or Q < 1 (the dilated kernel larger than the padded input); L2_ERR_OVERFLOW for
 * sizes beyond int64 or a column matrix too large for BLAS. Differentiable in x, w and b. */
L2_API l2_tensor *l2_conv3d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                            const int64_t stride[3], const int64_t padding[3],
                            const int64_t dilation[3], int64_t groups);
/* 3-d transposed convolution (torch.nn.functional.conv_transpose3d, same argument order; issue 15,
 * libl2/ops/conv-transpose3d.c: the input gradient of conv3d, one GEMM and col2vol per sample):
 * x: (N, C, D, H, W) or (C, D, H, W), w: (C, O/groups, kD, kH, kW), b: (O,) or NULL -> (N, O, T,
 * P, Q) with T = (D - 1) stride - 2 padding + dilation (kD - 1) + output_padding + 1 (P, Q
 * likewise). NULL stride, padding, output_padding or dilation mean 1, 0, 0, 1 on every axis.
 * Dtypes as conv3d. L2_ERR_ARG for stride, dilation or groups < 1, padding or output_padding
 * < 0, or an output_padding not smaller than either the stride or the dilation (per axis, as
 * torch); L2_ERR_SHAPE for x not of rank 4 or 5, w not of rank 5 or with a kernel size 0, C !=
 * w.size(0), w.size(0) not divisible by groups, b not (O,), D, H or W = 0, or T, P or Q < 1;
 * L2_ERR_OVERFLOW when T, P, Q or O overflow int64, the output exceeds the Limits or the column
 * matrix is too large for BLAS. Differentiable in x, w and b, twice (create_graph). A 0-size
 * batch gives an empty result for any weight layout (torch 1.13 raises "view size is not
 * compatible" when the weight is not contiguous: a bug not followed). */
L2_API l2_tensor *l2_conv_transpose3d(const l2_tensor *x, const l2_tensor *w, const l2_tensor *b,
                                      const int64_t stride[3], const int64_t padding[3],
                                      const int64_t output_padding[3], int64_t groups,
                                      const int64_t dilation[3]);
/* 3-d max pooling (torch.nn.functional.max_pool3d with dilation, ceil_mode and return_indices):
 * x (N, C, D, H, W) or (C, D, H, W) -> (N, C, T, P, Q), each output size as l2_max_pool2d_ex's
 * (ceil_mode's last window starts inside the input or the left padding). Window cells are
 * (ot sD - pD + i dD, ...); padding never wins; a later cell wins when greater or NaN (the first
 * of equal maxima is kept); a window whose cells are all -inf, or (dilated) with no cell inside
 * the input, gives -inf and the index of its first cell past the padding (outside the volume in
 * the second case, as torch, and then no gradient). stride NULL means the kernel, padding NULL
 * 0, dilation NULL 1. When indices is not NULL, *indices receives an int64 tensor of the output's
 * shape holding each maximum's flat position (z H + y) W + x in its (D, H, W) volume (NULL after
 * a failure). Float32 or float64. L2_ERR_ARG for kernel, stride or dilation < 1 or a padding
 * outside 0..kernel/2; L2_ERR_SHAPE for rank not 4 or 5, C, D, H or W = 0, or an output size
 * < 1; L2_ERR_OVERFLOW for sizes beyond int64. Differentiable in x (the gradient goes to each
 * window's maximum). */
L2_API l2_tensor *l2_max_pool3d(const l2_tensor *x, const int64_t kernel[3],
                                const int64_t stride[3], const int64_t padding[3],
                                const int64_t dilation[3], bool ceil_mode, l2_tensor **indices);
/* 3-d average pooling (torch.nn.functional.avg_pool3d): output size as l2_max_pool3d (dilation
 * 1). Each output is the sum of its window's cells inside the input (accumulated in double)
 * over divisor_override when it is not 0, else over the window's size within the padded input
 * (count_include_pad; a ceil_mode window past the right padding counts only up to it) or its
 * number of cells inside the input; a window with no cell inside gives 0. stride NULL means the
 * kernel, padding NULL 0. Errors as l2_max_pool3d. Differentiable in x (dx = dy / divisor over
 * each window's cells). */
L2_API l2_tensor *l2_avg_pool3d(const l2_tensor *x, const int64_t kernel[3],
                                const int64_t stride[3], const int64_t padding[3],
                                bool ceil_mode, bool count_include_pad, int64_t divisor_override);
/* Adaptive max pooling (torch.nn.functional.adaptive_max_pool2d, return_indices): x (N, C, H,
 * W) or (C, H, W) -> (N, C, oH, oW) where output (i, j) is the max over input rows floor(i H /
 * oH) .. ceil((i + 1) H / oH) - 1 and the same columns (an output size may be 0). Ties and NaN as
 * l2_max_pool3d (starting at the window's first cell). When indices is not NULL, *indices
 * receives an int64 tensor of the output's shape holding each maximum's flat position y W + x
 * in its (H, W) plane (NULL after a failure). Float32 or float64. L2_ERR_NULL for a NULL
 * output_size; L2_ERR_ARG for a negative output size; L2_ERR_SHAPE for rank not 3 or 4 or C, H
 * or W = 0; L2_ERR_OVERFLOW for an output beyond the Limits. Differentiable in x. */
L2_API l2_tensor *l2_adaptive_max_pool2d(const l2_tensor *x, const int64_t output_size[2],
                                         l2_tensor **indices);
/* Max unpooling (torch.nn.functional.max_unpool2d): scatters x (N, C, H, W) or (C, H, W) into a
 * zeroed (N, C, oH, oW) output at the int64 indices (x's shape; flat positions y oW + x per
 * plane, as l2_max_pool2d_ex returns them); a repeated index keeps the last value in order.
 * output_size NULL means (H - 1) stride - 2 padding + kernel per axis; otherwise each size must
 * lie strictly between that default minus and plus the stride (L2_ERR_ARG otherwise, torch's
 * ValueError). stride NULL means the kernel, padding NULL 0. Float32 or float64. L2_ERR_DTYPE
 * for indices not int64 or x not float; L2_ERR_SHAPE for rank not 3 or 4, indices of another
 * shape, a non-batch size 0 or a negative output size; L2_ERR_INDEX for an index outside [0, oH
 * oW) ("Found an invalid max index"); L2_ERR_OVERFLOW for sizes beyond int64. Differentiable in
 * x (dx = dy gathered at the indices); the indices get no gradient. */
L2_API l2_tensor *l2_max_unpool2d(const l2_tensor *x, const l2_tensor *indices,
                                  const int64_t kernel[2], const int64_t stride[2],
                                  const int64_t padding[2], const int64_t output_size[2]);
/* Interpolation modes of l2_interpolate (torch's mode strings). */
typedef enum {
    L2_INTERP_NEAREST,       /* "nearest": input index floor(o * s) in float32 arithmetic (the
                              * legacy OpenCV rule torch keeps), s = 1 / scale_factor or H / P */
    L2_INTERP_NEAREST_EXACT, /* "nearest-exact": floor((o + 0.5) * s) (Pillow, scipy) */
    L2_INTERP_BILINEAR,      /* "bilinear" */
    L2_INTERP_BICUBIC        /* "bicubic": A = -0.75, taps clamped to the edge */
} l2_interp_mode;
/* 2-d interpolation (torch.nn.functional.interpolate, recompute_scale_factor unset, antialias
 * false; libl2/ops/interp.c): x (N, C, H, W) float32 or float64, any layout -> (N, C, P, Q),
 * contiguous. Exactly one of size ({P, Q}) and scale_factor (P = floor(H * scale_factor[0]),
 * likewise Q) is given; a given scale factor is also the one the source coordinates use, as
 * torch's. align_corners (bilinear and bicubic only) maps the corner pixels' centres onto each
 * other. Differentiable in x (the adjoint: each output's gradient goes to the cells it read,
 * with its weights), and differentiable again (create_graph, libl2/ops/interp.c: the adjoint as
 * matmuls with the axes' constant tap matrices, O(out in) memory per axis; the second
 * derivative in dy is the interpolation, in x zero, as torch 1.13). Errors: L2_ERR_SHAPE for x not 4-d (1-d and 3-d interpolation are not
 * provided) or an input or output size < 1; L2_ERR_ARG for both or neither of size and
 * scale_factor, align_corners with a nearest mode, an unknown mode; L2_ERR_DTYPE for integer
 * x; L2_ERR_OVERFLOW for a scale factor giving no finite int64 size. */
L2_API l2_tensor *l2_interpolate(const l2_tensor *x, const int64_t size[2],
                                 const double scale_factor[2], l2_interp_mode mode,
                                 bool align_corners);
/* Sliding blocks as columns (torch.nn.functional.unfold, im2col; libl2/ops/unfold.c): x (N, C,
 * H, W) or unbatched (C, H, W), float32 or float64, any layout -> (N, C kH kW, L) or (C kH kW,
 * L), L = P Q blocks (P, Q as conv2d's output size); row (c kH + i) kW + j, column p Q + q holds
 * x[c, p sH - pH + i dH, q sW - pW + j dW], 0 in the padding. kernel is required; NULL
 * dilation, padding or stride mean {1,1}, {0,0}, {1,1}. Differentiable in x (the gradient is
 * fold of the gradient). (torch's Tensor.unfold, a sliding view along one dim, is another op.)
 * Errors: L2_ERR_NULL for a NULL kernel; L2_ERR_ARG for kernel, dilation or stride < 1 or
 * padding < 0; L2_ERR_SHAPE for x not 3-d or 4-d or no block fitting; L2_ERR_DTYPE for an
 * integer x; L2_ERR_OVERFLOW for sizes beyond int64. */
L2_API l2_tensor *l2_unfold(const l2_tensor *x, const int64_t kernel[2],
                            const int64_t dilation[2], const int64_t padding[2],
                            const int64_t stride[2]);
/* Columns summed back into an image (torch.nn.functional.fold, col2im): x (N, C kH kW, L) or
 * (C kH kW, L) -> (N, C, H, W) or (C, H, W) with {H, W} = output_size; each column's entries
 * are added at the cells unfold would read them from (padding cells dropped). Arguments as
 * l2_unfold; differentiable in x (the gradient is unfold of the gradient). Errors as l2_unfold,
 * and: L2_ERR_NULL for a NULL output_size; L2_ERR_ARG for an output size < 1; L2_ERR_SHAPE for
 * x not 2-d or 3-d, rows not divisible by kH kW, or L not the number of blocks of output_size. */
L2_API l2_tensor *l2_fold(const l2_tensor *x, const int64_t output_size[2],
                          const int64_t kernel[2], const int64_t dilation[2],
                          const int64_t padding[2], const int64_t stride[2]);
/* create_graph (issue 15; libl2/ops/conv-cg.c): the gradients of conv2d, conv_transpose2d (and
 * the 1-d forms built on them), every max and average pool above, adaptive pooling,
 * max_unpool2d and l2_pad can be differentiated again (l2_autograd_grad_ex / l2_backward_ex
 * with create_graph): the max pools' and max_unpool2d's through the argmax the forward kept
 * (their second derivative in x is 0, as torch's), and (issue 15, session 15) those of conv3d
 * and conv_transpose3d. */
/* @@CONV@@ */

/* ------------------------------------------------------------------------------------------ */
/* Sorting, selection and scans (libl2/ops/sort.c, issue 14)                                  */
/* ------------------------------------------------------------------------------------------ */
/* These ops work along one dim (negative counts from the end; a 0-d tensor takes dim 0 and -1
 * and is one row of one element; L2_ERR_DIM otherwise). Values order as torch 1.13: NaN is
 * larger than every number and equal to NaN, -0.0 equals 0.0. Results are new tensors (yours);
 * an op with an `indices` argument writes a new int64 tensor of the values' shape there when it
 * is non-NULL (positions along dim) and sets it to NULL on failure. Float values are
 * differentiable: the gradient of a value goes to the element it was taken from (torch's
 * value_selecting_reduction_backward). NULL t is L2_ERR_NULL. */

/* torch.sort: t sorted along dim, ascending or descending; the same shape and dtype (any dtype).
 * The sort is always stable (equal elements keep their order, in both directions), which is
 * also a valid answer for stable = false, where torch leaves the order of ties open. */
L2_API l2_tensor *l2_sort(const l2_tensor *t, int dim, bool descending, bool stable,
                          l2_tensor **indices);
/* torch.argsort: the indices of l2_sort alone (int64, not differentiable). */
L2_API l2_tensor *l2_argsort(const l2_tensor *t, int dim, bool descending, bool stable);
/* torch.msort: l2_sort along dim 0, ascending, values only. */
L2_API l2_tensor *l2_msort(const l2_tensor *t);
/* torch.topk: the k largest (largest) or smallest elements along dim, from the extreme one on:
 * t's shape with k at dim. k must lie in [0, size of dim] (L2_ERR_INDEX). float32, float64,
 * int64 (bool: L2_ERR_DTYPE). Ties keep their order along dim. The result is always sorted:
 * torch leaves the order open when sorted is false. */
L2_API l2_tensor *l2_topk(const l2_tensor *t, int64_t k, int dim, bool largest, bool sorted,
                          l2_tensor **indices);
/* torch.kthvalue: the k-th smallest element along dim (k from 1); dim removed unless keepdim.
 * L2_ERR_ARG if dim has size 0; L2_ERR_INDEX unless 1 <= k <= size; float32, float64, int64
 * (bool: L2_ERR_DTYPE). Among equal elements the first along dim is picked (torch: any). */
L2_API l2_tensor *l2_kthvalue(const l2_tensor *t, int64_t k, int dim, bool keepdim,
                              l2_tensor **indices);
/* torch.median(t): the lower median of all elements -> 0-d (NaN if any element is NaN or t is
 * empty). float32, float64, int64 (bool: L2_ERR_DTYPE). Backward: dy split evenly among the
 * elements equal to the result, as torch 1.13. */
L2_API l2_tensor *l2_median(const l2_tensor *t);
/* torch.median(t, dim): the lower median along dim (the first NaN along dim when the row holds
 * NaN) and its index; dim removed unless keepdim. L2_ERR_ARG if dim has size 0; dtypes as
 * l2_median. Among equal elements the first along dim is picked (torch: any). */
L2_API l2_tensor *l2_median_dim(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices);
/* torch.mode: the most frequent value along dim (the smallest of several equally frequent ones)
 * and the last index where it occurs, as torch 1.13 on CPU; dim removed unless keepdim. Any
 * dtype. L2_ERR_ARG if dim has size 0. Rows with NaN: NaNs count as one value larger than the
 * rest (torch 1.13's answer there depends on its sort and is not followed). */
L2_API l2_tensor *l2_mode(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices);
/* @@SORT@@ */

/* ------------------------------------------------------------------------------------------ */
/* Sampling and more norms (libl2/ops/sample.c, nn-norm2.c, issue 14)                          */
/* ------------------------------------------------------------------------------------------ */
/* The sampling ops draw from this thread's generator (see Random numbers) through l2_rand and
 * l2_randn, so the same seed gives the same samples on every machine and at every thread
 * count; their draws are specified below. A failing call draws nothing (the generator is left
 * where it was). Their names are torch's overload names (torch.bernoulli(t, p) is bernoulli.p,
 * torch.normal(Tensor, Tensor) is normal.Tensor_Tensor). */

/* torch.bernoulli(p): 1 with probability p[i], else 0, in p's dtype (float32 or float64:
 * L2_ERR_DTYPE otherwise) and shape (any shape and layout; a new contiguous tensor). Draw:
 * u = l2_rand(p's shape, L2_FLOAT64), out[i] = u[i] < p[i] (row-major i). L2_ERR_ARG unless every
 * p[i] is in [0, 1] (NaN included). Gradient: zero for p (torch 1.13's BernoulliBackward0). */
L2_API l2_tensor *l2_bernoulli(const l2_tensor *p);
/* torch.bernoulli(t, p): t's shape and dtype (any dtype: float, int64 0/1, bool), each element 1
 * with probability p; t's values are not read. Draw: u = l2_rand(t's shape, L2_FLOAT64), out[i]
 * = u[i] < p. L2_ERR_ARG for p outside [0, 1] or NaN. Not differentiable (as torch). */
L2_API l2_tensor *l2_bernoulli_p(const l2_tensor *t, double p);
/* torch.multinomial: num_samples category indices (int64) per row of weights ((K) -> (n), or
 * (R, K) -> (R, n)), each row's weights (float32 or float64, any layout, not necessarily summing
 * to 1) giving the relative probability of each category. With replacement the draws are
 * independent: u = l2_rand((R, n), L2_FLOAT64) and sample j of row r is the first category c
 * whose float64 running sum of weights exceeds u[r][j] * (the row's total), so a zero weight
 * is never drawn. Without replacement: u = l2_rand((R, K), L2_FLOAT64), each category of weight
 * w > 0 gets the key -log(1 - u[r][c]) / w (exponential races), the categories are taken in
 * increasing key order, and once the positive weights are used up the zero-weight categories
 * follow in increasing u order (torch 1.13 takes them in an unspecified order). Errors as torch:
 * L2_ERR_SHAPE for weights not 1-d or 2-d, L2_ERR_DTYPE for integer or bool weights, L2_ERR_ARG
 * for num_samples <= 0, for num_samples > K without replacement, K > 2^24, a weight that is
 * negative, infinite or NaN, or a row whose weights sum to 0 (checked in that order, before
 * any draw); R = 0 gives an empty (0, n) result. Not differentiable. */
L2_API l2_tensor *l2_multinomial(const l2_tensor *weights, int64_t num_samples, bool replacement);
/* torch.normal(mean, std) with tensors: out = mean + std * z, z = l2_randn(shape, dtype), shape
 * the broadcast of mean's and std's shapes (L2_ERR_SHAPE if they do not broadcast), dtype
 * mean's (float32 or float64: L2_ERR_DTYPE otherwise; std of any dtype is converted to it,
 * as torch 1.13 does). L2_ERR_ARG unless every element of std is >= 0 (NaN included). Checked
 * in torch's order (here and in the two forms below): std's values, the shapes, the dtype.
 * Gradients to mean and std are zero, as torch 1.13's (NormalBackward3). A new contiguous
 * tensor. */
L2_API l2_tensor *l2_normal_tensor_tensor(const l2_tensor *mean, const l2_tensor *std);
/* torch.normal(mean, std) with a tensor mean and a number std: mean's shape and dtype (float:
 * L2_ERR_DTYPE otherwise), out = mean + std * z, z = l2_randn. L2_ERR_ARG for std < 0 or NaN.
 * Zero gradient to mean. */
L2_API l2_tensor *l2_normal_tensor_float(const l2_tensor *mean, double std);
/* torch.normal(mean, std) with a number mean and a tensor std: std's shape and dtype (float:
 * L2_ERR_DTYPE otherwise), out = mean + std * z, z = l2_randn. L2_ERR_ARG unless every element of
 * std is >= 0. Zero gradient to std. */
L2_API l2_tensor *l2_normal_float_tensor(double mean, const l2_tensor *std);
/* The norms (libl2/ops/nn-norm2.c): group_norm has a node of its own; instance_norm and
 * local_response_norm are composed of libl2's differentiable ops, as noted for each, so their
 * gradients (to x, weight and bias) are those ops' and l2_grad_fn_name names the last of them.
 * Float32 and float64 only; x, weight, bias and running statistics of one dtype (L2_ERR_DTYPE
 * otherwise, as torch's CPU kernels); any layout; a new contiguous tensor. */
/* torch.nn.functional.group_norm: x (N, C, *) -> x's shape, each of the N * num_groups groups of
 * C / num_groups consecutive channels normalised over its channels and spatial positions,
 * (x - mean) / sqrt(var + eps) with the biased variance, then y * weight[c] + bias[c]; weight,
 * bias: NULL or (C). Statistics in float64; differentiable in x, weight and bias (node
 * "group_norm", torch's NativeGroupNormBackward formulas), and differentiable again
 * (create_graph, libl2/ops/nn-norm-cg.c: the statistics recomputed with recorded ops; also
 * instance_norm's). Errors, in torch's order: L2_ERR_DIM for fewer than 2 dims,
 * L2_ERR_ARG for num_groups 0, L2_ERR_SHAPE when (N C // num_groups) * S == 1 (torch's "more
 * than 1 value per channel") or C is not divisible by num_groups or weight or bias is not (C),
 * L2_ERR_ARG for num_groups < 0, L2_ERR_DTYPE. */
L2_API l2_tensor *l2_group_norm(const l2_tensor *x, int64_t num_groups, const l2_tensor *weight,
                                const l2_tensor *bias, double eps);
/* torch.nn.functional.instance_norm: x (N, C, *) -> x's shape. use_input_stats: each (n, c)
 * instance normalised over its S spatial positions (biased variance; group_norm's kernel and
 * node with C groups), then weight and bias per channel; each running statistic given (NULL or
 * (C), independently) is updated in place, outside autograd, once the result exists:
 * running = (1 - momentum) * running + momentum * mean over n of the instance statistic (the
 * unbiased variance for running_var); nothing is updated for an empty x (for an empty batch
 * N = 0 torch 1.13 writes NaN into them, and fails when given weight or bias: libl2 returns the
 * empty result). Otherwise the running
 * statistics (both required: L2_ERR_NULL) normalise, as l2_batch_norm in eval mode (which
 * computes it). Errors, in torch's order: L2_ERR_SHAPE when use_input_stats and S == 1
 * (torch's "more than 1 spatial element"; a 0-d, 1-d or 2-d x has S = 1), L2_ERR_NULL,
 * L2_ERR_DIM for fewer than 2 dims, L2_ERR_SHAPE for a parameter not 1-d of C elements,
 * L2_ERR_DTYPE. */
L2_API l2_tensor *l2_instance_norm(const l2_tensor *x, l2_tensor *running_mean,
                                   l2_tensor *running_var, const l2_tensor *weight,
                                   const l2_tensor *bias, bool use_input_stats, double momentum,
                                   double eps);
/* torch.nn.functional.local_response_norm: x (N, C, *) (3 or more dims: L2_ERR_SHAPE) ->
 * x / (k + alpha * d)^beta, d[n, c] the mean of x^2 over channels c - size/2 .. c + (size-1)/2
 * (zeros beyond the edges; the divisor is always size). Composed as torch composes it: l2_mul,
 * l2_pad and l2_avg_pool2d over the channels of x^2 viewed as (N, 1, C, S), then l2_mul_scalar,
 * l2_add_scalar, l2_pow_scalar and l2_div. An empty x returns a new reference to x itself, as
 * torch returns its input. L2_ERR_ARG for size < 1 (a non-empty x; torch 1.13 fails on a
 * negative size in its padding, with a shape error). Float only: torch 1.13 also
 * takes int64 x (through its integer avg_pool, giving float32), libl2 refuses it (L2_ERR_DTYPE). */
L2_API l2_tensor *l2_local_response_norm(const l2_tensor *x, int64_t size, double alpha,
                                         double beta, double k);
/* @@SAMPLE@@ */

/* ------------------------------------------------------------------------------------------ */
/* Activations, distances and losses of issue 14 (libl2/ops/activation.c ...)                 */
/* ------------------------------------------------------------------------------------------ */
/* Pointwise activations (torch.nn.functional's): t: (...) -> (...), t's dtype, float32 or
 * float64 (int64 and bool: L2_ERR_DTYPE, except where said), laid out by the elementwise output
 * layout rule. Differentiable in t; at a kink the gradient is torch's. NaN stays NaN. */
/* min(max(t, min_val), max_val) (torch's default bounds are -1, 1; min_val > max_val gives
 * max_val everywhere). int64 t stays int64, each bound truncated toward zero (L2_ERR_ARG when it
 * does not fit int64); bool: L2_ERR_DTYPE; NaN bounds: L2_ERR_ARG. Gradient: g where
 * min_val < t < max_val (strictly, as torch), else 0, also at NaN (torch's vector loop; its
 * scalar loop, which runs short tensors and tails, gives g there). */
L2_API l2_tensor *l2_hardtanh(const l2_tensor *t, double min_val, double max_val);
/* hardtanh(t, 0, 6), int64 too. */
L2_API l2_tensor *l2_relu6(const l2_tensor *t);
/* min(max(t + 3, 0), 6) / 6. Gradient g / 6 for -3 < t < 3, else 0, with 1/6 rounded to
 * float32 in float64 too (as torch). No second derivative, as torch 1.13 ("derivative for
 * aten::hardsigmoid_backward is not implemented"): a create_graph backward through it fails
 * with L2_ERR_AUTOGRAD (torch fails later, when that gradient is differentiated). */
L2_API l2_tensor *l2_hardsigmoid(const l2_tensor *t);
/* t * min(max(t + 3, 0), 6) / 6. Gradient 0 below -3, g from 3 on, else g (t / 3 + 1/2), NaN
 * at NaN: torch's vector loop (its scalar loop gives 1.5 g at 3 and g at NaN). */
L2_API l2_tensor *l2_hardswish(const l2_tensor *t);
/* t * tanh(log(1 + exp(t))). */
L2_API l2_tensor *l2_mish(const l2_tensor *t);
/* scale * (t > 0 ? t : alpha * (exp(t) - 1)), alpha = 1.6732632423543772848170429916717,
 * scale = 1.0507009873554804934193349852946. */
L2_API l2_tensor *l2_selu(const l2_tensor *t);
/* t > 0 ? t : alpha * (exp(t / alpha) - 1) (torch's default alpha is 1). L2_ERR_ARG for alpha 0
 * or NaN. */
L2_API l2_tensor *l2_celu(const l2_tensor *t, double alpha);
/* log(sigmoid(t)), computed as min(t, 0) - log1p(exp(-|t|)). */
L2_API l2_tensor *l2_logsigmoid(const l2_tensor *t);
/* t / (1 + |t|); int64 t gives float32, |t| + 1 computed in int64 as torch's t / (|t| + 1)
 * (wrapping at the int64 limits); bool: L2_ERR_DTYPE. */
L2_API l2_tensor *l2_softsign(const l2_tensor *t);
/* t - tanh(t); int64 t gives float32; bool: L2_ERR_DTYPE. */
L2_API l2_tensor *l2_tanhshrink(const l2_tensor *t);
/* t > 0 ? t : weight * t with one weight per channel (dim 1; t of rank < 2 has one channel):
 * weight: (1), (C) or 0-d, t's dtype (L2_ERR_DTYPE otherwise; float only); a contiguous result.
 * Differentiable in t and weight (dweight sums g t where t <= 0 over all but the channel dim, in
 * float64). L2_ERR_SHAPE for weight of rank > 1 or of neither 1 nor C elements. */
L2_API l2_tensor *l2_prelu(const l2_tensor *t, const l2_tensor *weight);
/* Gated linear unit along dim: a * sigmoid(b), a and b the first and second half of t along dim
 * (t: (..., 2n, ...) -> (..., n, ...)). Float only (L2_ERR_DTYPE); L2_ERR_SHAPE for a 0-d t or
 * an odd size along dim; L2_ERR_DIM for a bad dim. Composed of narrow, sigmoid and mul. */
L2_API l2_tensor *l2_glu(const l2_tensor *t, int dim);
/* Distances and normalisation (libl2/ops/distance.c), composed of public ops as torch 1.13
 * composes them; float inputs only (L2_ERR_DTYPE: torch would promote integers); gradients are
 * those of the ops composed. */
/* sum over dim of (x1 / max(|x1|, eps)) * (x2 / max(|x2|, eps)), x1 and x2 broadcast first and
 * the 2-norms taken along dim; the gradient of a norm below eps is x / eps, not 0 (torch 1.13
 * clamps the norm's saved result in place outside autograd). Result: the broadcast shape without dim (0-d inputs: 0-d). L2_ERR_SHAPE when the
 * shapes do not broadcast, L2_ERR_DIM for a bad dim, L2_ERR_ARG for a NaN eps. */
L2_API l2_tensor *l2_cosine_similarity(const l2_tensor *x1, const l2_tensor *x2, int dim,
                                       double eps);
/* p-norm of x1 - x2 + eps over the last dim of the broadcast shape (kept as size 1 with
 * keepdim; 0-d inputs: the norm of the one element). p > 0 or INFINITY (L2_ERR_ARG otherwise:
 * torch also takes p <= 0, not provided). L2_ERR_SHAPE when the shapes do not broadcast. */
L2_API l2_tensor *l2_pairwise_distance(const l2_tensor *x1, const l2_tensor *x2, double p,
                                       double eps, bool keepdim);
/* t / max(norm_p(t, dim), eps), the norm kept as a size-1 dim and broadcast (the clamp's
 * gradient is 0 where it acts, as torch's clamp_min). p > 0 or INFINITY (L2_ERR_ARG otherwise);
 * L2_ERR_DIM for a bad dim (a 0-d t takes dim 0 or -1). */
L2_API l2_tensor *l2_normalize(const l2_tensor *t, double p, int dim, double eps);
/* ---- area loss (issue 14; libl2/ops/loss2.c, loss2-act.c) ---- */
/* torch.nn.functional.threshold(t, threshold, value): t <= threshold ? value : t (NaN kept),
 * threshold and value converted to t's dtype first. Named l2_nn_threshold because l2_threshold
 * queries the library's size thresholds. float32, float64 and int64 (the scalars truncated
 * toward zero; L2_ERR_ARG when they do not fit int64); bool: L2_ERR_DTYPE. Result laid out by
 * the elementwise output layout rule. Gradient: g where t > threshold (and where t is NaN), else
 * 0, as torch's threshold_backward. */
L2_API l2_tensor *l2_nn_threshold(const l2_tensor *t, double threshold, double value);
/* Losses of the area, as torch.nn.functional's: input and target broadcast together (torch
 * warns for different shapes, libl2 does not; L2_ERR_SHAPE when they cannot), every operand
 * float (L2_ERR_DTYPE otherwise), the result in their promoted dtype; NONE returns the broadcast
 * shape, MEAN and SUM a 0-d tensor (the mean of nothing is NaN). Computed in float64 per
 * element, summed in float64. Gradients flow to every float input unless said, summed back to
 * its shape. L2_ERR_ARG for a reduction outside NONE, MEAN, SUM. */
/* z = |input - target|: z < beta ? z^2 / (2 beta) : z - beta / 2 (beta == 0: |input - target|,
 * as torch). L2_ERR_ARG for beta < 0. Gradient, d = input - target: d <= -beta ? -1 : d >= beta
 * ? 1 : d / beta; the target's the same of -d (torch's kernel: at beta == 0 and d == 0 both
 * gradients are -g, not l1_loss's 0). */
L2_API l2_tensor *l2_smooth_l1_loss(const l2_tensor *input, const l2_tensor *target,
                                    l2_reduction r, double beta);
/* z = |input - target|: z < delta ? z^2 / 2 : delta (z - delta / 2). L2_ERR_ARG for delta <= 0
 * (or NaN). Gradient clamp(input - target, -delta, delta). */
L2_API l2_tensor *l2_huber_loss(const l2_tensor *input, const l2_tensor *target,
                                l2_reduction r, double delta);
/* Pointwise KL divergence with input holding log-probabilities: target * log(target) - target
 * * input (0 where target is 0; NaN for a negative target), or with log_target
 * exp(target) * (target - input). Takes L2_REDUCTION_BATCHMEAN too (torch's default reduction
 * is MEAN). Gradients: input -target (-exp(target)); target log(target) + 1 - input (NaN where
 * target is 0, as torch's xlogy gradient) or exp(target) (target - input + 1). */
L2_API l2_tensor *l2_kl_div(const l2_tensor *input, const l2_tensor *target, l2_reduction r,
                            bool log_target);
/* max(0, -target * (input1 - input2) + margin); the three must have the same number of dims
 * (L2_ERR_SHAPE otherwise, as torch) and broadcast. Gradients to all three (where the clamp
 * passes, its edge included: input1 -target, input2 target, target -(input1 - input2)). */
L2_API l2_tensor *l2_margin_ranking_loss(const l2_tensor *input1, const l2_tensor *input2,
                                         const l2_tensor *target, double margin,
                                         l2_reduction r);
/* (target != 1 ? max(0, margin - input) : 0) + (target != -1 ? input : 0) (targets are meant
 * to be 1 or -1; others take both terms, as torch). Gradient to input only (target: none, as
 * torch). */
L2_API l2_tensor *l2_hinge_embedding_loss(const l2_tensor *input, const l2_tensor *target,
                                          double margin, l2_reduction r);
/* 1 - cos where target == 1, max(0, cos - margin) where target == -1, else 0, with cos the
 * cosine similarity of input1 and input2 along their last dim: inputs (N, D) with target (N),
 * or (D) with a 0-d target (L2_ERR_SHAPE otherwise; the shapes broadcast), cos =
 * sum(x1 x2) / sqrt((sum(x1^2) + 1e-12) (sum(x2^2) + 1e-12)). Composed of public ops as torch
 * composes it; gradients to input1 and input2 are theirs (target: none). */
L2_API l2_tensor *l2_cosine_embedding_loss(const l2_tensor *input1, const l2_tensor *input2,
                                           const l2_tensor *target, double margin,
                                           l2_reduction r);
/* Poisson negative log likelihood: exp(input) - target * input (log_input), else
 * input - target * log(input + eps); full adds Stirling's target * log(target) - target +
 * log(2 pi target) / 2 where target > 1. Gradients to input and target (with full, the
 * target's is NaN where target <= 0, as torch's masked product). torch's defaults: log_input
 * true, full false, eps 1e-8, MEAN. */
L2_API l2_tensor *l2_poisson_nll_loss(const l2_tensor *input, const l2_tensor *target,
                                      bool log_input, bool full, double eps, l2_reduction r);
/* Gaussian negative log likelihood (log(v) + (input - target)^2 / v) / 2 (+ log(2 pi) / 2 with
 * full), v = max(var, eps) (the clamp outside autograd, as torch: var's gradient is taken at v
 * and passed through). var: input's shape, input's without its last dim (unsqueezed), or that
 * with a last dim of 1 (L2_ERR_SHAPE otherwise); then the three broadcast. L2_ERR_ARG for a
 * negative element of var. Gradients to input, target and var. torch's defaults: full false,
 * eps 1e-6, MEAN. */
L2_API l2_tensor *l2_gaussian_nll_loss(const l2_tensor *input, const l2_tensor *target,
                                       const l2_tensor *var, bool full, double eps,
                                       l2_reduction r);
/* create_graph (issue 15; libl2/ops/loss2-cg.c): the gradients of l2_nn_threshold and of every
 * loss of this area (each reduction, each variant) can be differentiated again, as torch 1.13's
 * double backwards: threshold's and hinge_embedding_loss's second derivative in the input is 0
 * (their gradient is the upstream one times a constant mask), smooth_l1_loss's is the mask
 * |input - target| < beta divided by beta (0 at beta == 0 and at and beyond the kink), huber's
 * the mask |input - target| < delta, margin_ranking's flows where the clamp passes (its edge
 * included); kl_div, poisson_nll_loss and gaussian_nll_loss as the derivatives of the backwards
 * of the ops torch composes them of (kl_div's NaN at target 0 and poisson's full term's NaN at
 * target <= 0 included). gaussian_nll_loss where var < eps: the second derivative is taken
 * through v = eps as if it were var (torch clamps outside autograd), which is not the
 * derivative of the first derivative there (constant in var). */
/* @@ACT@@ */

/* ------------------------------------------------------------------------------------------ */
/* Shape ops (issue 14; libl2/ops/shape.c)                                                     */
/* ------------------------------------------------------------------------------------------ */
/* Ops returning several tensors (split, split_with_sizes, chunk, unbind) share one protocol:
 * they return a status; on L2_OK *count holds the number of pieces n and, when out is not NULL,
 * out[0..n) hold n new views of t (each yours, registered with the innermost scope like any
 * returned tensor). out == NULL only asks for n (cap is then ignored). L2_ERR_ARG when
 * cap < n; L2_ERR_NULL for a NULL t or count. On failure nothing is written (neither out nor
 * *count). The pieces are views of t as in torch (writes show through); gradients flow back to t
 * through each piece's narrow (grad_fn "narrow") or select node (torch names SplitBackward0,
 * SplitWithSizesBackward0, UnbindBackward0 one node for all pieces; libl2 one per piece). t must
 * have at least one dim (L2_ERR_DIM, as torch); dim may be negative. Every dtype. */

/* torch.split(t, split_size, dim): pieces of split_size along dim, the last one shorter when
 * split_size does not divide the size: n = ceil(size / split_size), but 1 (the whole, empty
 * dim) when the size is 0. split_size < 0: L2_ERR_ARG; 0 only for a dim of size 0 (L2_ERR_ARG
 * otherwise). */
L2_API l2_status l2_split(const l2_tensor *t, int64_t split_size, int dim, l2_tensor **out,
                          int64_t cap, int64_t *count);
/* torch.split(t, [sizes], dim): nsizes pieces of sizes[i] along dim; the sizes must be >= 0 and
 * sum to the dim's size (L2_ERR_ARG); n = nsizes (0 pieces only for nsizes 0 and size 0). */
L2_API l2_status l2_split_with_sizes(const l2_tensor *t, int64_t nsizes, const int64_t *sizes,
                                     int dim, l2_tensor **out, int64_t cap, int64_t *count);
/* torch.chunk(t, chunks, dim): split by ceil(size / chunks), so n may be fewer than chunks
 * (size 5, chunks 4: 2, 2, 1); a dim of size 0 gives chunks empty pieces. chunks <= 0:
 * L2_ERR_ARG. */
L2_API l2_status l2_chunk(const l2_tensor *t, int64_t chunks, int dim, l2_tensor **out,
                          int64_t cap, int64_t *count);
/* torch.unbind(t, dim): n = size of dim pieces t.select(dim, i), each one dim fewer. */
L2_API l2_status l2_unbind(const l2_tensor *t, int dim, l2_tensor **out, int64_t cap,
                           int64_t *count);
/* torch.tensor_split(t, sections, dim): sections pieces along dim, the first size % sections
 * of them one longer (size 7, 3 sections: 3, 2, 2; more sections than elements: empty pieces).
 * sections <= 0: L2_ERR_ARG. Views, as split. */
L2_API l2_status l2_tensor_split(const l2_tensor *t, int64_t sections, int dim, l2_tensor **out,
                                 int64_t cap, int64_t *count);
/* torch.tensor_split(t, indices, dim): n + 1 pieces t[i_(k-1):i_k] along dim (i_(-1) = 0,
 * i_n = size), each bound wrapped and clamped as a slice's (negatives count from the end; an
 * end before its start gives an empty piece). Views, as split. */
L2_API l2_status l2_tensor_split_indices(const l2_tensor *t, int64_t n, const int64_t *indices,
                                         int dim, l2_tensor **out, int64_t cap, int64_t *count);
/* torch.meshgrid(ts[0..n), indexing): n results of shape (N_0, ..., N_(n-1)) (N_i = numel of
 * ts[i]), result i holding ts[i] along dim i; indexing "ij" (or NULL) or "xy" (the first two
 * dims swapped: shape (N_1, N_0, ...)). Inputs 0-d or 1-d (L2_ERR_DIM), one dtype
 * (L2_ERR_DTYPE); n in 1..L2_MAX_DIMS (L2_ERR_ARG); another indexing: L2_ERR_ARG. The results
 * are expanded views of the inputs, as torch's; the protocol of split (cap >= n). */
L2_API l2_status l2_meshgrid(int n, l2_tensor *const *ts, const char *indexing, l2_tensor **out,
                             int64_t cap, int64_t *count);

/* The ops below return one tensor. Views where torch returns views (movedim, diagonal), new
 * tensors elsewhere; every dtype; gradients for float dtypes. */

/* torch.movedim(t, source, destination): dim source[i] moves to place destination[i], the
 * other dims keep their order (a permute view). Dims may be negative; a repeated dim in either
 * list: L2_ERR_DIM. */
L2_API l2_tensor *l2_movedim(const l2_tensor *t, int n, const int *source,
                             const int *destination);
/* torch.flip(t, dims): t reversed along each of the ndims dims (a copy; a repeated dim:
 * L2_ERR_DIM; ndims 0: a copy of t). */
L2_API l2_tensor *l2_flip(const l2_tensor *t, int ndims, const int *dims);
/* torch.roll(t, shifts, dims): out[j] = t[(j - shift) mod size] along each dims[i] by
 * shifts[i] (nshifts == ndims); ndims 0 and one shift: t flattened, rolled, in t's shape.
 * nshifts 0 or a count mismatch: L2_ERR_ARG. An empty t is copied whatever the dims (torch). */
L2_API l2_tensor *l2_roll(const l2_tensor *t, int nshifts, const int64_t *shifts, int ndims,
                          const int *dims);
/* torch.tril / torch.triu(t, diagonal): t: (..., R, C) with the elements above (tril) or below
 * (triu) diagonal k set to 0: kept where j - i <= k (tril) / j - i >= k (triu). Fewer than 2
 * dims: L2_ERR_DIM. */
L2_API l2_tensor *l2_tril(const l2_tensor *t, int64_t diagonal);
L2_API l2_tensor *l2_triu(const l2_tensor *t, int64_t diagonal);
/* torch.diag(t, diagonal): t: (N,) -> (N + |k|, N + |k|) with t on diagonal k, 0 elsewhere;
 * t: (R, C) -> a copy of its diagonal k (as l2_diagonal(t, k, 0, 1)); k > C or k < -R:
 * L2_ERR_ARG (torch 1.13 refuses them too). Other ranks: L2_ERR_DIM. */
L2_API l2_tensor *l2_diag(const l2_tensor *t, int64_t diagonal);
/* torch.diagonal(t, offset, dim1, dim2): a view of the elements t[.., i, .., i + offset, ..]
 * (offset < 0: t[.., i - offset, .., i, ..]) of dims dim1 and dim2, which are removed and the
 * diagonal appended as the last dim (length 0 when the offset passes the matrix). dim1 ==
 * dim2 after wrapping: L2_ERR_ARG. Gradient node "diagonal". */
L2_API l2_tensor *l2_diagonal(const l2_tensor *t, int64_t offset, int dim1, int dim2);
/* torch.Tensor.repeat(t, repeats): n >= rank of t repeats (t's shape prepended with 1s to n
 * dims), dim i of the result repeats[i] x size i, t tiled along it. n < rank or a negative
 * repeat: L2_ERR_ARG; n > L2_MAX_DIMS: L2_ERR_ARG. With a 0 repeat (an empty result) the
 * gradient is zeros with no history, as torch's repeat_backward (its node is then "copy_"). */
L2_API l2_tensor *l2_repeat(const l2_tensor *t, int n, const int64_t *repeats);
/* torch.tile(t, reps): repeat with reps prepended with 1s up to t's rank. */
L2_API l2_tensor *l2_tile(const l2_tensor *t, int n, const int64_t *reps);
/* torch.repeat_interleave(t, repeats, dim): each slice of t along *dim repeated repeats times
 * in place (size s -> s * repeats); dim NULL: t flattened first (a 1-d result). repeats < 0:
 * L2_ERR_ARG. */
L2_API l2_tensor *l2_repeat_interleave(const l2_tensor *t, int64_t repeats, const int *dim);
/* The same with a count per slice: repeats int64 (L2_ERR_DTYPE), 0-d or of one element (one
 * count for all) or 1-d of the dim's size (L2_ERR_SHAPE), 2-d or more: L2_ERR_DIM; a negative
 * count: L2_ERR_ARG. */
L2_API l2_tensor *l2_repeat_interleave_tensor(const l2_tensor *t, const l2_tensor *repeats,
                                              const int *dim);
/* torch.rot90(t, k, dims): t rotated by k quarter turns (k mod 4; negative k turns the other
 * way) in the plane of dims[0], dims[1], from the first towards the second: k 1 is
 * flip(dims[1]) then transpose. t needs 2 dims (L2_ERR_DIM); dims out of range: L2_ERR_DIM;
 * equal dims: L2_ERR_ARG. A new tensor (k 1, 3: a transposed one, as torch's). */
L2_API l2_tensor *l2_rot90(const l2_tensor *t, int64_t k, const int *dims);

/* ------------------------------------------------------------------------------------------ */
/* Layers, optimizers, weights and data (libl2/nn/)                                           */
/* ------------------------------------------------------------------------------------------ */
/* Named tensors: what l2_load_safetensors returns. Entries keep the file's order. */
typedef struct l2_named_tensors l2_named_tensors;
/* Number of entries; 0 with L2_ERR_NULL for NULL. */
L2_API int l2_named_count(const l2_named_tensors *d);
/* Name and tensor of entry i (0 <= i < count), borrowed (they live as long as d); NULL when out of
 * range (L2_ERR_INDEX). */
L2_API const char *l2_named_name(const l2_named_tensors *d, int i);
L2_API l2_tensor *l2_named_tensor(const l2_named_tensors *d, int i);
/* The tensor called name, borrowed; NULL (L2_ERR_ARG naming it) if there is none. */
L2_API l2_tensor *l2_named_get(const l2_named_tensors *d, const char *name);
/* Free d and release its tensors (take l2_tensor_ref first on those you keep). NULL does
 * nothing. */
L2_API void l2_named_free(l2_named_tensors *d);

/* Write n tensors (any layout, any dtype) with their names to path in the safetensors format: an
 * 8-byte little-endian header length, a JSON header {"name": {"dtype": "F32"|"F64"|"I64"|"BOOL"|
 * "BF16"|"F16", "shape": [...], "data_offsets": [begin, end]}, ...} padded with spaces to a multiple of 8, then
 * the raw little-endian data in the order given. The file is written to a new temporary file
 * beside it (path.<pid>-<n>.tmp, so concurrent saves never share one) and renamed, so a failure
 * never leaves a partial file at path nor a temporary file. Names must be non-empty, unique,
 * at most 1024 bytes, without control characters or '"' / '\' (L2_ERR_ARG); L2_ERR_IO names the
 * file and the system error. */
L2_API l2_status l2_save_safetensors(const char *path, int n, const char *const *names,
                                     l2_tensor *const *tensors);
/* Read a safetensors file. Every tensor is a fresh contiguous copy. Malformed input (short file,
 * header length beyond the file or over 100 MB, bad JSON, shape/offset mismatch, overlapping or
 * out-of-range data, duplicate names, "__metadata__" twice) gives NULL with L2_ERR_FORMAT and
 * a message naming the problem; nothing is read outside the file. Dtypes: F32, F64, I64, BOOL,
 * BF16 and F16 load as themselves; the narrow integers I32, I16, I8 and U8 load converted to
 * int64 (exactly; libl2 has no narrow integer dtype); any other dtype tag (F8_E4M3, U16, ...) is
 * L2_ERR_FORMAT naming the tensor and the tag. Returns a dictionary you free with
 * l2_named_free. */
L2_API l2_named_tensors *l2_load_safetensors(const char *path);

/* IDX files (the MNIST family format), optionally gzip-compressed (detected by magic). Returns the
 * data as a tensor of the file's shape: unsigned byte data as float32 scaled by 1/255 when
 * scale_u8 is true, else as int64; int32 data as int64; float32/float64 as themselves.
 * L2_ERR_IO if the file cannot be read; L2_ERR_FORMAT for a bad magic number, a truncated file or
 * trailing bytes. */
L2_API l2_tensor *l2_load_idx(const char *path, bool scale_u8);

/* Optimizers with PyTorch 1.13's exact update formulas (torch.optim, single-tensor path, the same
 * order of floating-point operations in the parameter's dtype). An optimizer keeps a reference to
 * each parameter (float leaves that require grad, contiguous: L2_ERR_ARG otherwise) and its state
 * (momentum buffers, moments). step() skips parameters whose grad is NULL, as torch. */
typedef struct l2_optimizer l2_optimizer;

/* SGD: d = g (+ weight_decay * p); with momentum: buf = d on the first step, else
 * buf = momentum * buf + (1 - dampening) * d; d = nesterov ? d + momentum * buf : buf;
 * p -= lr * d. maximize negates g. */
typedef struct {
    double lr, momentum, dampening, weight_decay;
    bool nesterov, maximize;
} l2_sgd_options;
/* Adam / AdamW: m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
 * p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps) (amsgrad: the running max of
 * v). Adam adds weight_decay * p to g; AdamW first scales p by (1 - lr * weight_decay). */
typedef struct {
    double lr, beta1, beta2, eps, weight_decay;
    bool amsgrad, maximize;
} l2_adam_options;

/* torch's defaults: SGD (lr as given, everything else 0/false), Adam (lr 1e-3, betas 0.9/0.999,
 * eps 1e-8, weight_decay 0), AdamW (the same with weight_decay 1e-2). */
L2_API l2_sgd_options l2_sgd_defaults(double lr);
L2_API l2_adam_options l2_adam_defaults(void);
L2_API l2_adam_options l2_adamw_defaults(void);
/* Make an optimizer over n parameters. L2_ERR_ARG for a negative lr/momentum/weight_decay, betas
 * outside [0, 1), nesterov without momentum or with dampening (as torch). Free with
 * l2_optimizer_free. */
L2_API l2_optimizer *l2_sgd(int n, l2_tensor *const *params, l2_sgd_options opts);
L2_API l2_optimizer *l2_adam(int n, l2_tensor *const *params, l2_adam_options opts);
L2_API l2_optimizer *l2_adamw(int n, l2_tensor *const *params, l2_adam_options opts);
/* One update of every parameter that has a grad (in place, under no grad; bumps versions).
 * L2_ERR_SHAPE if a grad's shape differs from its parameter's; L2_ERR_AUTOGRAD if a parameter is
 * no longer a leaf (an in-place op wrote it with grad mode on); L2_ERR_NOMEM if a state buffer
 * cannot be made. State buffers are made for every parameter before any is updated: a failed
 * step changes no parameter, buffer or step count. */
L2_API l2_status l2_optimizer_step(l2_optimizer *o);
/* The optimizer's state for parameter i, torch's state_dict names: "momentum_buffer" (SGD),
 * "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (Adam, AdamW). Borrowed, owned by the optimizer;
 * NULL before the first step that made it (no error), or on error (L2_ERR_NULL, L2_ERR_INDEX
 * for i out of range, L2_ERR_ARG for a name this optimizer does not have). */
L2_API l2_tensor *l2_optimizer_state(const l2_optimizer *o, int i, const char *name);
/* How many steps updated parameter i (torch's state "step"); -1 on error. */
L2_API int64_t l2_optimizer_step_count(const l2_optimizer *o, int i);
/* Zero every parameter's grad (set_to_none: drop it instead, torch 2's default). */
L2_API l2_status l2_optimizer_zero_grad(l2_optimizer *o, bool set_to_none);
/* The learning rate used by the next step (schedules set it each epoch). */
L2_API l2_status l2_optimizer_set_lr(l2_optimizer *o, double lr);
L2_API double l2_optimizer_get_lr(const l2_optimizer *o);
/* Release the parameters' references and the state. NULL does nothing. */
L2_API void l2_optimizer_free(l2_optimizer *o);

/* Learning-rate schedules in closed form (torch.optim.lr_scheduler): StepLR's
 * base_lr * gamma^floor(epoch / step_size), and CosineAnnealingLR's
 * eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2. step_size, t_max >= 1. */
L2_API double l2_lr_step(double base_lr, int64_t epoch, int64_t step_size, double gamma);
L2_API double l2_lr_cosine(double base_lr, int64_t epoch, int64_t t_max, double eta_min);

/* Parameter lists: a model's named parameters, in order, for optimizers and safetensors. */
typedef struct l2_params l2_params;
/* A new empty list (free with l2_params_free). */
L2_API l2_params *l2_params_new(void);
/* Append t under name (copied; unique: L2_ERR_ARG otherwise); the list takes a reference. */
L2_API l2_status l2_params_add(l2_params *p, const char *name, l2_tensor *t);
/* Number of parameters; 0 with L2_ERR_NULL for NULL. */
L2_API int l2_params_count(const l2_params *p);
/* Borrowed arrays of count entries, in order (valid until the next add or free): pass them to
 * l2_sgd/l2_adam and l2_save_safetensors. NULL with L2_ERR_NULL for NULL. */
L2_API l2_tensor *const *l2_params_tensors(const l2_params *p);
L2_API const char *const *l2_params_names(const l2_params *p);
/* Copy the values of every parameter and buffer from the tensor of the same name in d (under no
 * grad); other tensors in d are ignored. L2_ERR_ARG names a missing tensor, L2_ERR_SHAPE a shape
 * or dtype mismatch; on error nothing is changed. */
L2_API l2_status l2_params_load(l2_params *p, const l2_named_tensors *d);
/* Release the references and free the list. NULL does nothing. */
L2_API void l2_params_free(l2_params *p);

/* Layers with PyTorch's default initialisation, drawn from libl2's generator:
 * Linear and Conv2d weights and biases uniform on +-1/sqrt(fan_in) (kaiming_uniform with a=sqrt(5),
 * fan_in = in_features, or in_channels/groups*kH*kW); BatchNorm2d and LayerNorm weight 1, bias 0,
 * running mean 0 and variance 1; Embedding weight standard normal. A layer struct owns its tensors
 * (parameters are leaves that require grad); *_free releases them. *_params appends them to a list
 * under "prefix.weight", "prefix.bias"; BatchNorm2d's also appends its buffers (issue 16, see
 * l2_params_add_buffer) "prefix.running_mean", "prefix.running_var" and
 * "prefix.num_batches_tracked", torch's state_dict names and order. Forward functions
 * return a new tensor like any op. Errors: L2_ERR_ARG for non-positive sizes, L2_ERR_NULL. */
typedef struct {
    l2_tensor *weight; /* (out, in) */
    l2_tensor *bias;   /* (out) or NULL */
} l2_linear_layer;
L2_API l2_status l2_linear_layer_init(l2_linear_layer *m, int64_t in_features,
                                      int64_t out_features, bool bias, l2_dtype dt);
/* x: (*, in) -> (*, out) */
L2_API l2_tensor *l2_linear_layer_forward(const l2_linear_layer *m, const l2_tensor *x);
L2_API l2_status l2_linear_layer_params(const l2_linear_layer *m, l2_params *p,
                                        const char *prefix);
L2_API void l2_linear_layer_free(l2_linear_layer *m);

typedef struct {
    l2_tensor *weight; /* (out, in/groups, kH, kW) */
    l2_tensor *bias;   /* (out) or NULL */
    int64_t stride[2], padding[2], dilation[2], groups;
} l2_conv2d_layer;
/* Square kernel of size kernel; stride, padding and dilation the same in both dims. */
L2_API l2_status l2_conv2d_layer_init(l2_conv2d_layer *m, int64_t in_channels,
                                      int64_t out_channels, int64_t kernel, int64_t stride,
                                      int64_t padding, int64_t groups, bool bias, l2_dtype dt);
/* x: (N, in, H, W) -> (N, out, H', W') */
L2_API l2_tensor *l2_conv2d_layer_forward(const l2_conv2d_layer *m, const l2_tensor *x);
L2_API l2_status l2_conv2d_layer_params(const l2_conv2d_layer *m, l2_params *p,
                                        const char *prefix);
L2_API void l2_conv2d_layer_free(l2_conv2d_layer *m);

typedef struct {
    l2_tensor *weight, *bias;             /* (C) */
    l2_tensor *running_mean, *running_var; /* (C), updated in training mode */
    double momentum, eps;                  /* 0.1, 1e-5 */
    l2_tensor *num_batches_tracked; /* int64 (), +1 per training forward (torch's counter; with
                                     * momentum given it does not change the result) */
} l2_batchnorm2d_layer;
L2_API l2_status l2_batchnorm2d_layer_init(l2_batchnorm2d_layer *m, int64_t num_features,
                                           l2_dtype dt);
/* x: (N, C, H, W); training uses batch statistics and updates the running ones (and counts the
 * batch in num_batches_tracked). For a whole model's mode pass l2_params_training(model). */
L2_API l2_tensor *l2_batchnorm2d_layer_forward(const l2_batchnorm2d_layer *m, const l2_tensor *x,
                                               bool training);
L2_API l2_status l2_batchnorm2d_layer_params(const l2_batchnorm2d_layer *m, l2_params *p,
                                             const char *prefix);
L2_API void l2_batchnorm2d_layer_free(l2_batchnorm2d_layer *m);

typedef struct {
    l2_tensor *weight, *bias; /* (features) */
    int64_t features;
    double eps; /* 1e-5 */
} l2_layernorm_layer;
/* Normalises over the last dim of size features. */
L2_API l2_status l2_layernorm_layer_init(l2_layernorm_layer *m, int64_t features, l2_dtype dt);
L2_API l2_tensor *l2_layernorm_layer_forward(const l2_layernorm_layer *m, const l2_tensor *x);
L2_API l2_status l2_layernorm_layer_params(const l2_layernorm_layer *m, l2_params *p,
                                           const char *prefix);
L2_API void l2_layernorm_layer_free(l2_layernorm_layer *m);

typedef struct {
    l2_tensor *weight; /* (num, dim) */
} l2_embedding_layer;
L2_API l2_status l2_embedding_layer_init(l2_embedding_layer *m, int64_t num, int64_t dim,
                                         l2_dtype dt);
/* indices: int64 of any shape -> (*, dim) */
L2_API l2_tensor *l2_embedding_layer_forward(const l2_embedding_layer *m,
                                             const l2_tensor *indices);
L2_API l2_status l2_embedding_layer_params(const l2_embedding_layer *m, l2_params *p,
                                           const char *prefix);
L2_API void l2_embedding_layer_free(l2_embedding_layer *m);

/* @@LAYERS@@ */

/* Recurrent layers (issue 15): torch 1.13's RNN (tanh, relu), LSTM and GRU, as cells, as
 * multi-layer sequence functions and as layer structs. Composed of public differentiable ops
 * (linear, add, mul, sigmoid, tanh, relu, chunk, stack, cat), so gradients come from autograd.
 * Shapes: B batch, T sequence length, I input size, H hidden size, G gates (1 for the RNNs, 4
 * for LSTM in the order i, f, g, o, 3 for GRU in the order r, z, n), L layers, D directions
 * (2 when bidirectional). Every tensor argument has one float dtype (L2_ERR_DTYPE otherwise). */
typedef enum { L2_RNN_TANH, L2_RNN_RELU, L2_LSTM, L2_GRU } l2_rnn_mode;

/* One time step, torch.rnn_tanh_cell / rnn_relu_cell / lstm_cell / gru_cell (nn.RNNCell, LSTMCell
 * and GRUCell forward). input: (B, I) or unbatched (I); hx, cx: (B, H), or (H) for unbatched
 * input, or NULL for zeros (nn's cells; for LSTM hx and cx are both given or both NULL:
 * L2_ERR_ARG); w_ih: (G*H, I); w_hh: (G*H, H); b_ih, b_hh: (G*H), each optional (NULL).
 * With gi = linear(input, w_ih, b_ih) and gh = linear(hx, w_hh, b_hh):
 *   rnn_tanh: h' = tanh(gi + gh); rnn_relu: h' = relu(gi + gh);
 *   lstm: i, f, g, o = chunk(gi + gh, 4), c' = sigmoid(f) * cx + sigmoid(i) * tanh(g),
 *         h' = sigmoid(o) * tanh(c');
 *   gru: r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z), n = tanh(gi_n + r * gh_n),
 *        h' = (hx - n) * z + n.
 * Returns h' (B, H) or (H); l2_lstm_cell also returns c' through *cy (required: L2_ERR_NULL;
 * set to NULL on error). Errors: L2_ERR_NULL for a NULL input or weight; L2_ERR_SHAPE for an
 * input that is not 1-d or 2-d, weights that are not 2-d or whose rows are not G times w_hh's
 * columns, an input size other than w_ih's columns, a hidden state of another batch, rank or
 * size, a bias that is not (G*H). B may be 0. torch.rnn_tanh_cell itself refuses 1-d input;
 * nn.RNNCell accepts it, and so does libl2. Departure: torch does not check that the weights'
 * rows are G*H (a mismatch broadcasts into a wrong-sized result or crashes torch 1.13's
 * gru_cell); libl2 refuses it. */
L2_API l2_tensor *l2_rnn_tanh_cell(const l2_tensor *input, const l2_tensor *hx,
                                   const l2_tensor *w_ih, const l2_tensor *w_hh,
                                   const l2_tensor *b_ih, const l2_tensor *b_hh);
L2_API l2_tensor *l2_rnn_relu_cell(const l2_tensor *input, const l2_tensor *hx,
                                   const l2_tensor *w_ih, const l2_tensor *w_hh,
                                   const l2_tensor *b_ih, const l2_tensor *b_hh);
L2_API l2_tensor *l2_lstm_cell(const l2_tensor *input, const l2_tensor *hx, const l2_tensor *cx,
                               const l2_tensor *w_ih, const l2_tensor *w_hh,
                               const l2_tensor *b_ih, const l2_tensor *b_hh, l2_tensor **cy);
L2_API l2_tensor *l2_gru_cell(const l2_tensor *input, const l2_tensor *hx,
                              const l2_tensor *w_ih, const l2_tensor *w_hh,
                              const l2_tensor *b_ih, const l2_tensor *b_hh);

/* The multi-layer, optionally bidirectional recurrence of nn.RNN / nn.LSTM / nn.GRU (torch.lstm,
 * torch.gru, torch.rnn_tanh, torch.rnn_relu with dropout 0). input: (T, B, I), (B, T, I) when
 * batch_first, or unbatched (T, I). hx (and cx, LSTM only: L2_ERR_ARG for another mode): (L*D,
 * B, H), (L*D, H) for unbatched input, or NULL for zeros; for LSTM both or neither. weights:
 * L*D*(bias ? 4 : 2) tensors in torch's _flat_weights order: for each layer k, for each
 * direction (forward, then reverse), w_ih (G*H, I for k = 0, else D*H), w_hh (G*H, H), then,
 * with bias, b_ih (G*H) and b_hh (G*H). Layer k > 0 reads the concatenated outputs of layer
 * k - 1; the reverse direction runs from t = T-1 down to 0. Returns the last layer's output
 * (T, B, D*H) ((B, T, D*H) when batch_first; (T, D*H) unbatched); *h_n (optional) gets the
 * final hidden state of every layer and direction (L*D, B, H) (unbatched (L*D, H)) and *c_n
 * (optional; NULL for modes other than LSTM) the final cell state. On error the outputs are NULL.
 * Errors: L2_ERR_NULL (input, weights, a weight); L2_ERR_ARG for a mode outside the enum,
 * num_layers < 1, T = 0 (torch: "Expected sequence length to be larger than 0"); L2_ERR_SHAPE
 * for an input that is not 2-d or 3-d, a weight of another shape, a hidden state of another
 * shape. Not offered: dropout between layers (torch's default 0 is what this computes) and
 * LSTM's proj_size. The input projection of a whole layer is one matrix product (as torch's
 * CPU path); each step is then a matrix product with w_hh and the gate arithmetic. */
L2_API l2_tensor *l2_rnn(l2_rnn_mode mode, const l2_tensor *input, const l2_tensor *hx,
                         const l2_tensor *cx, l2_tensor *const *weights, int num_layers,
                         bool bias, bool batch_first, bool bidirectional, l2_tensor **h_n,
                         l2_tensor **c_n);

/* nn.RNN / nn.LSTM / nn.GRU as a layer struct. Parameters are leaves requiring grad, each
 * uniform on +-1/sqrt(hidden_size) from libl2's generator, drawn in torch's order; *_params
 * names them as torch's state_dict: "prefix.weight_ih_l0", "prefix.weight_hh_l0",
 * "prefix.bias_ih_l0", "prefix.bias_hh_l0", then the "_reverse" four when bidirectional, then
 * layer 1..., so a torch state_dict saved as safetensors loads with l2_params_load. Errors
 * (init): L2_ERR_NULL, L2_ERR_ARG for a mode outside the enum or non-positive sizes,
 * L2_ERR_DTYPE for a non-float dtype, L2_ERR_NOMEM. */
typedef struct {
    l2_rnn_mode mode;
    int64_t input_size, hidden_size;
    int num_layers;
    bool bias, batch_first, bidirectional;
    int nweights;        /* num_layers * D * (bias ? 4 : 2) */
    l2_tensor **weights; /* torch's _flat_weights order (see l2_rnn) */
} l2_rnn_layer;
L2_API l2_status l2_rnn_layer_init(l2_rnn_layer *m, l2_rnn_mode mode, int64_t input_size,
                                   int64_t hidden_size, int num_layers, bool bias,
                                   bool batch_first, bool bidirectional, l2_dtype dt);
/* l2_rnn with the layer's weights and flags. */
L2_API l2_tensor *l2_rnn_layer_forward(const l2_rnn_layer *m, const l2_tensor *input,
                                       const l2_tensor *h0, const l2_tensor *c0,
                                       l2_tensor **h_n, l2_tensor **c_n);
L2_API l2_status l2_rnn_layer_params(const l2_rnn_layer *m, l2_params *p, const char *prefix);
L2_API void l2_rnn_layer_free(l2_rnn_layer *m);


/* Multi-head attention */
/* torch 1.13's F.multi_head_attention_forward (and nn.MultiheadAttention's forward), composed of
 * linear, reshape, transpose, bmm, baddbmm, masked_fill and softmax, so every gradient comes from
 * autograd. Letters: L target length, S source length, N batch, E embed dim (query's last dim),
 * H num_heads, D = E / H. The arguments beyond query, key and value are a struct (start from
 * l2_mha_defaults()); every tensor in it is borrowed and optional unless said otherwise.
 *   query (L, N, E), key (S, N, kdim), value (S, N, vdim); with batch_first (N, L, E), (N, S, .)
 *   and the result (N, L, E). Unbatched: query (L, E), key/value (S, .) -> (L, E) (batch_first
 *   then does nothing, as in torch's module). kdim = vdim = E unless use_separate_proj_weight.
 *   in_proj_weight (3E, E): rows q, k, v (required unless use_separate_proj_weight: then
 *   q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim) are required and
 *   key and value need only agree on their sequence and batch dims); in_proj_bias (3E);
 *   out_proj_weight (E, E) required; out_proj_bias (E). All of query's dtype (float32/float64).
 *   key_padding_mask (N, S) (unbatched (S)): bool, true = ignore that key, or float, added to the
 *   scores. attn_mask (L, S), or (N*H, L, S) (unbatched (H, L, S)): bool, true = not allowed to
 *   attend, or float (either float dtype: rounded to query's, as torch), added. Merged as torch: a bool attn_mask is or-ed with
 *   the key padding mask (a float one read as != 0); a float attn_mask is filled with -inf where
 *   a bool key padding mask is true; a float key padding mask with a float attn_mask is refused
 *   (L2_ERR_DTYPE: torch's masked_fill wants a bool mask; torch accepts it where the float
 *   mask holds only 0 and 1, or is empty: libl2 refuses it always). Float masks are differentiable.
 *   scores = q / sqrt(D) @ k^T + mask per head, weights = softmax over S, out = out_proj of
 *   weights @ v. A row with every key masked gives NaN weights and output, as torch 1.13.
 *   Query is key is value (the same l2_tensor pointer) uses one (L*N, 3E) product as torch; key
 *   is value one product for both; the values do not depend on it.
 * need_weights and attn_weights non-NULL: *attn_weights receives a new tensor (yours), the
 * weights averaged over the heads (N, L, S) with average_attn_weights (torch's sum / H), else
 * (N, H, L, S) (unbatched (L, S), (H, L, S)); otherwise *attn_weights is set to NULL (also on
 * error). Differentiable (its gradient flows into the same graph).
 * Not supported (L2_ERR_ARG, "not supported yet"): dropout_p != 0 with training (pass 0, or
 * training false as torch's eval mode), bias_k/bias_v, add_zero_attn; torch's static_k/static_v
 * and uint8 masks do not exist here.
 * Errors (nothing changes): L2_ERR_NULL for NULL query/key/value/args or a required weight;
 * L2_ERR_SHAPE for a query of rank other than 2/3, key/value ranks unlike query's, key and value
 * shapes that differ (or sequence/batch dims, when separate), a batch or embed dim that does not
 * fit, a weight, bias or mask of another shape; L2_ERR_DTYPE for a non-float query, a weight of
 * another dtype, a mask neither bool nor float; L2_ERR_ARG for num_heads <= 0 or not
 * dividing E, and the unsupported options above; L2_ERR_OVERFLOW when N*H or L*N overflows. torch asserts the ranks of query, key, value
 * and the masks (an invalid value to the oracle); libl2 says L2_ERR_SHAPE. */
typedef struct {
    const l2_tensor *in_proj_weight, *in_proj_bias;
    bool use_separate_proj_weight;
    const l2_tensor *q_proj_weight, *k_proj_weight, *v_proj_weight;
    const l2_tensor *out_proj_weight, *out_proj_bias;
    const l2_tensor *key_padding_mask, *attn_mask;
    bool need_weights;         /* l2_mha_defaults: true */
    bool average_attn_weights; /* true */
    bool batch_first;          /* false */
    double dropout_p;          /* 0; only 0 is supported when training */
    bool training;             /* true (as torch's functional form) */
    const l2_tensor *bias_k, *bias_v; /* must be NULL */
    bool add_zero_attn;               /* must be false */
} l2_mha_args;
/* need_weights, average_attn_weights and training true; everything else 0 / NULL. */
L2_API l2_mha_args l2_mha_defaults(void);
L2_API l2_tensor *l2_multi_head_attention(const l2_tensor *query, const l2_tensor *key,
                                          const l2_tensor *value, int64_t num_heads,
                                          const l2_mha_args *args, l2_tensor **attn_weights);

/* nn.MultiheadAttention with kdim = vdim = embed_dim and torch's parameter names, layout and
 * initialisation: in_proj_weight (3E, E) xavier_uniform (+-sqrt(6 / (E + 3E))), in_proj_bias
 * (3E) zeros, out_proj.weight (E, E) Linear's default (+-1/sqrt(E)), out_proj.bias (E) zeros;
 * without bias neither bias exists (torch's bias=False). _params appends "prefix.in_proj_weight",
 * "prefix.in_proj_bias", "prefix.out_proj.weight", "prefix.out_proj.bias" (a torch state_dict's
 * names, so l2_params_load reads torch's weights). No dropout, bias_k/bias_v, add_zero_attn or
 * kdim/vdim (torch's defaults). _forward is l2_multi_head_attention with the layer's weights,
 * num_heads and batch_first, the masks and flags given (torch's forward arguments; the weights
 * averaged with average_attn_weights). _init errors: L2_ERR_NULL, L2_ERR_ARG for a non-positive
 * embed_dim or num_heads or num_heads not dividing embed_dim, L2_ERR_DTYPE for a non-float dt. */
typedef struct {
    l2_tensor *in_proj_weight; /* (3E, E) */
    l2_tensor *in_proj_bias;   /* (3E) or NULL */
    l2_linear_layer out_proj;  /* weight (E, E), bias (E) or NULL */
    int64_t embed_dim, num_heads;
    bool batch_first;
} l2_multihead_attention_layer;
L2_API l2_status l2_multihead_attention_layer_init(l2_multihead_attention_layer *m,
                                                   int64_t embed_dim, int64_t num_heads,
                                                   bool bias, bool batch_first, l2_dtype dt);
L2_API l2_tensor *l2_multihead_attention_layer_forward(const l2_multihead_attention_layer *m,
                                                       const l2_tensor *query,
                                                       const l2_tensor *key,
                                                       const l2_tensor *value,
                                                       const l2_tensor *key_padding_mask,
                                                       bool need_weights,
                                                       const l2_tensor *attn_mask,
                                                       bool average_attn_weights,
                                                       l2_tensor **attn_weights);
L2_API l2_status l2_multihead_attention_layer_params(const l2_multihead_attention_layer *m,
                                                     l2_params *p, const char *prefix);
L2_API void l2_multihead_attention_layer_free(l2_multihead_attention_layer *m);


/* ------------------------------------------------------------------------------------------ */
/* Data loader and progress (issue 16; libl2/io/loader.c, progress.c)                          */
/* ------------------------------------------------------------------------------------------ */
/* A data loader over in-memory tensors, as torch.utils.data.DataLoader over a TensorDataset:
 * the dataset is n tensors sharing dim 0 (N examples: images, labels, ...), and each batch holds
 * the rows of batch_size examples of every tensor, in the tensors' order.
 *   l2_loader *ld = l2_loader_new(2, (l2_tensor *[]){images, labels}, opts);
 *   l2_tensor *b[2];
 *   for (int e = 0; e < epochs; e++)
 *       while (l2_loader_next(ld, b)) { ... b[0]: (B, 28, 28), b[1]: (B) ... }
 * Options: torch's defaults are batch_size 1, shuffle false, drop_last false (l2_loader_defaults).
 * Epochs: an epoch starts at the first l2_loader_next after the loader is made or the previous
 * epoch ended, and ends when l2_loader_next returns false; the next call starts the next epoch
 * (as iterating a torch DataLoader again). Epochs are numbered from 0 (l2_loader_epoch).
 * Order: without shuffle, file order 0..N-1 every epoch. With shuffle, the loader has its own
 * generator (the thread's generator is neither read nor advanced; see Random numbers): epoch e's
 * order is what l2_randperm(N) returns the (e+1)-th time after l2_manual_seed(seed), i.e. the same
 * xoshiro256** stream seeded from seed, continued across epochs with one Fisher-Yates permutation
 * of 0..N-1 per epoch (as torch's DataLoader with a seeded generator draws a new permutation
 * each epoch). The same seed gives the same orders on every machine and at every thread count.
 * Batch b of an epoch holds examples order[b * batch_size ...], batch_size of them, except the
 * last: with drop_last a final partial batch is skipped, otherwise it holds the N mod batch_size
 * remaining examples. l2_loader_len gives the number of batches of an epoch.
 * Batches: the loader owns one buffer per tensor (contiguous, the tensor's dtype, batch_size rows
 * or N if fewer) made by l2_loader_new, and every batch is copied into them: after l2_loader_new,
 * l2_loader_next allocates nothing, in any epoch. batch[i] receives a borrowed tensor (do not
 * release it; take l2_clone to keep a batch) whose values are overwritten by the next call; each
 * write bumps the buffer's version, so a graph that saved an older batch refuses its backward
 * (L2_ERR_AUTOGRAD) rather than use new values. Batches never require grad (libl2 differs from
 * torch's collate here: no graph leads back to the dataset). The loader keeps a reference to each
 * tensor and reads its rows at each batch from any layout (no copy of the dataset; an expanded
 * tensor stays small), so in-place writes to a dataset tensor show in later batches. A loader is used by one thread at a
 * time. */
typedef struct l2_loader l2_loader;
typedef struct {
    int64_t batch_size; /* >= 1 */
    bool shuffle;       /* a new permutation each epoch, from seed */
    bool drop_last;     /* skip a final partial batch */
    uint64_t seed;      /* the loader's generator (shuffle only) */
} l2_loader_options;
/* batch_size 1, shuffle false, drop_last false, seed 0 (torch's DataLoader defaults). */
L2_API l2_loader_options l2_loader_defaults(void);
/* A loader over n >= 1 tensors (n <= 64), each with at least one dim, all of the same size N >= 0
 * in dim 0 (0 examples: every epoch is empty). Errors (nothing is made or kept): L2_ERR_NULL for
 * a NULL tensors array or tensor; L2_ERR_ARG for n < 1 or n > 64, batch_size < 1; L2_ERR_DIM for
 * a 0-d tensor; L2_ERR_SHAPE for dim-0 sizes that differ (naming both); L2_ERR_NOMEM for buffers
 * that cannot be made (a buffer has min(batch_size, N) rows, so its size never overflows where
 * the tensor's did not; an expanded tensor's buffer can be far bigger than its storage). */
L2_API l2_loader *l2_loader_new(int n, l2_tensor *const *tensors, l2_loader_options opts);
/* The same over named tensors (l2_load_safetensors): the tensors called names[0..n-1], in that
 * order (L2_ERR_ARG naming a missing one), or every tensor of d in its order when names is NULL
 * (n is then ignored). The loader keeps its own references: d may be freed afterwards. */
L2_API l2_loader *l2_loader_from_named(const l2_named_tensors *d, int n, const char *const *names,
                                       l2_loader_options opts);
/* The next batch of the current epoch into batch[0..n-1] (n as given to l2_loader_new): true.
 * At the end of the epoch: false, with l2_last_status() L2_OK (the error is cleared), and the
 * epoch count goes up. On error: false with the error set (L2_ERR_NULL for a NULL loader or
 * batch array), nothing changed. */
L2_API bool l2_loader_next(l2_loader *ld, l2_tensor **batch);
/* End the current epoch early (as breaking out of torch's loop): the next l2_loader_next starts
 * the next epoch, with a new order. Does nothing between epochs. L2_ERR_NULL. */
L2_API l2_status l2_loader_reset(l2_loader *ld);
/* Go to the start of epoch e >= 0 (its order as if epochs 0..e-1 had run; for resuming):
 * L2_ERR_NULL, L2_ERR_ARG for e < 0. */
L2_API l2_status l2_loader_set_epoch(l2_loader *ld, int64_t epoch);
/* The current epoch (the one in progress, or the next to start); -1 with L2_ERR_NULL. */
L2_API int64_t l2_loader_epoch(const l2_loader *ld);
/* Batches per epoch: ceil(N / batch_size), or floor with drop_last; -1 with L2_ERR_NULL. */
L2_API int64_t l2_loader_len(const l2_loader *ld);
/* Examples in the dataset (N); -1 with L2_ERR_NULL. */
L2_API int64_t l2_loader_size(const l2_loader *ld);
/* Release the tensors and buffers (batches taken from it are gone too). NULL does nothing. */
L2_API void l2_loader_free(l2_loader *ld);

/* Progress of a loop of total steps (an epoch's batches), written to out (a stdio stream, e.g.
 * stderr) and flushed after each write:
 *   on a terminal (isatty of out's descriptor): one line redrawn in place (carriage return), at
 *   most 10 times a second and at the last step:
 *     "<label> [#########...........]  123/938  45.6 it/s  ETA 0:17  <info>"
 *   (a bar of 24 cells), ended by a newline at l2_progress_finish;
 *   otherwise one plain line every `every` steps and at the last step:
 *     "<label>: 123/938 (13.1%), 45.6 it/s, ETA 0:17, <info>\n"
 *   (no ", <info>" part when info is NULL or empty; rate and ETA as "-" before any time has
 *   passed; the ETA as H:MM:SS from an hour on). Total 0: unknown, printed as "?" with no bar,
 *   percentage or ETA. The rate is steps per second of wall time (CLOCK_MONOTONIC) since
 *   l2_progress_new. every <= 0 picks max(1, total / 10) (a line per tenth).
 * The progress reporter lives in the library (not in an example) so that any training loop, and
 * the examples, report the same way. label is copied (at most 63 bytes kept). */
typedef struct l2_progress l2_progress;
/* A reporter for total >= 0 steps (L2_ERR_ARG for total < 0; L2_ERR_NULL for a NULL out; NULL
 * label: ""). force_lines: true writes plain lines even on a terminal (logs, tests). */
L2_API l2_progress *l2_progress_new(FILE *out, const char *label, int64_t total, int64_t every,
                                    bool force_lines);
/* Report that done steps (0 <= done, done <= total when total > 0: L2_ERR_ARG otherwise) are
 * finished, with an optional info text (e.g. "loss 0.4321"; at most 127 bytes shown). Writes
 * only when due (see above). L2_ERR_NULL for a NULL reporter. */
L2_API l2_status l2_progress_update(l2_progress *p, int64_t done, const char *info);
/* End the display: on a terminal redraw the last state and end the line; with plain lines print
 * the last state if it was not printed. L2_ERR_NULL. */
L2_API l2_status l2_progress_finish(l2_progress *p, const char *info);
/* Free the reporter (does not close out). NULL does nothing. */
L2_API void l2_progress_free(l2_progress *p);



/* Model state, optimizer state and checkpoints (issue 16) ---------------------------------- */
/* An l2_params list is "the model": its parameters, its buffers (state that is saved and loaded
 * but neither optimised nor differentiated: BatchNorm's running statistics), and a training
 * flag. l2_params_count / _tensors / _names keep meaning the parameters only (what optimizers
 * take); the state functions cover both, in the order added (torch's model.state_dict() order
 * when layers are added in module order). */
/* Append a buffer t (any dtype; must not require grad: L2_ERR_ARG) under name, unique among
 * the list's parameters and buffers (L2_ERR_ARG); the list takes a reference. L2_ERR_NULL. */
L2_API l2_status l2_params_add_buffer(l2_params *p, const char *name, l2_tensor *t);
/* Parameters and buffers together, in the order added: count and borrowed arrays (valid until
 * the next add or free). 0 / NULL with L2_ERR_NULL for NULL. */
L2_API int l2_params_state_count(const l2_params *p);
L2_API l2_tensor *const *l2_params_state_tensors(const l2_params *p);
L2_API const char *const *l2_params_state_names(const l2_params *p);
/* torch's model.state_dict(): a new dictionary (free with l2_named_free) of every parameter and
 * buffer in order, sharing their tensors (not copies: save it or copy what you keep). */
L2_API l2_named_tensors *l2_params_state_dict(const l2_params *p);
/* The model's mode, torch's model.train(mode) / model.eval() / model.training: new lists are in
 * training mode. Layers do not hold the flag: the caller passes l2_params_training(model) to the
 * forward functions that take a training argument (BatchNorm; l2_dropout's training), so existing
 * forward signatures are unchanged. l2_params_training(NULL) is false with L2_ERR_NULL. */
L2_API l2_status l2_params_train(l2_params *p, bool training);
L2_API bool l2_params_training(const l2_params *p);
/* model.zero_grad(set_to_none): zero (or drop) the grad of every parameter (buffers have none). */
L2_API l2_status l2_params_zero_grad(l2_params *p, bool set_to_none);

/* Building named tensors (a state dict): a new empty dictionary; l2_named_add appends name -> t
 * (a reference; name non-empty, unique, at most 1024 bytes, no control characters, '"' or '\':
 * L2_ERR_ARG; L2_ERR_NULL). Metadata: a string -> string map kept beside the tensors (the
 * safetensors "__metadata__"): set (replacing a key's value; key non-empty, key and value at most
 * 1024 bytes without control characters, '"' or '\': L2_ERR_ARG; at most 4096 keys), get (NULL,
 * no error, when absent), count and key i (L2_ERR_INDEX out of range). l2_load_safetensors keeps
 * a file's metadata when it is such a map of strings of at most 1024 bytes (anything else in
 * "__metadata__" is skipped, as before). l2_save_named writes d with its metadata (first in the
 * header, as the safetensors writers do) by l2_save_safetensors' rules; metadata that breaks the\n * rules of l2_named_set_metadata (a loaded file's may: '"' escaped in JSON) is L2_ERR_ARG. */
L2_API l2_named_tensors *l2_named_new(void);
L2_API l2_status l2_named_add(l2_named_tensors *d, const char *name, l2_tensor *t);
L2_API l2_status l2_named_set_metadata(l2_named_tensors *d, const char *key, const char *value);
L2_API const char *l2_named_metadata(const l2_named_tensors *d, const char *key);
L2_API int l2_named_metadata_count(const l2_named_tensors *d);
L2_API const char *l2_named_metadata_key(const l2_named_tensors *d, int i);
L2_API l2_status l2_save_named(const char *path, const l2_named_tensors *d);

/* Optimizer state dict, torch's optimizer.state_dict() flattened into named tensors:
 *   "state.<i>.step" int64 () (torch 1.13 keeps a float32 tensor; SGD's is libl2's own, torch's
 *   SGD has none), "state.<i>.momentum_buffer" (SGD), "state.<i>.exp_avg", "exp_avg_sq",
 *   "max_exp_avg_sq" (Adam/AdamW with amsgrad), shared with the optimizer (not copies), for each
 *   parameter i that has state (none before its first step, as torch);
 *   "param_groups.0.params" int64 (n) 0..n-1; float64 () "param_groups.0.lr", and for SGD
 *   "momentum", "dampening", "weight_decay", bool () "nesterov", "maximize"; for Adam/AdamW
 *   "betas" float64 (2), "eps", "weight_decay", bool () "amsgrad", "maximize".
 * Loading (torch's load_state_dict) replaces the state and the hyperparameters (lr included) with
 * copies, after checking everything, so a failed load changes nothing: L2_ERR_FORMAT for a
 * missing hyperparameter, an unknown name (another optimizer's state), a hyperparameter of the
 * wrong dtype/shape or invalid value (as the constructors refuse), a negative or non-int64 step,
 * Adam moments without a step, missing buffers for a parameter that has taken steps;
 * L2_ERR_SHAPE for a state buffer whose shape or dtype differs from its parameter's, or a params
 * list of another length; L2_ERR_NULL. An SGD momentum_buffer without a step (torch's SGD state)
 * counts as one step taken. */
L2_API l2_named_tensors *l2_optimizer_state_dict(const l2_optimizer *o);
L2_API l2_status l2_optimizer_load_state_dict(l2_optimizer *o, const l2_named_tensors *d);

/* The calling thread's generator state (l2_manual_seed's xoshiro256** state: four 64-bit words
 * as an int64 (4) tensor; an unseeded generator is first seeded with 0, as its next draw would
 * do). Setting it makes the following draws repeat exactly those that followed the get.
 * l2_set_rng_state: L2_ERR_NULL, L2_ERR_SHAPE for anything but int64 (4), L2_ERR_ARG for the
 * all-zero state (invalid for xoshiro); a failure changes nothing. */
L2_API l2_tensor *l2_get_rng_state(void);
L2_API l2_status l2_set_rng_state(const l2_tensor *state);

/* Checkpoints: one safetensors file with "model.<name>" for every parameter and buffer of
 * model, "optimizer.<state dict name>" (l2_optimizer_state_dict), "generator.state"
 * (l2_get_rng_state) when generator, and "extra.<name>" for each tensor of extra (e.g. a
 * learning-rate schedule's state; extra's metadata is kept as "extra.<key>"); metadata "format"
 * = "libl2.checkpoint", "format_version" = "1", "optimizer" = "sgd" | "adam" | "adamw",
 * "generator" = "xoshiro256**". model, opt and extra may be NULL (left out). Saving follows
 * l2_save_named (atomic rename; L2_ERR_IO). The file is a plain safetensors file: torch's
 * safetensors.torch.load_file reads it.
 * Loading restores what is asked for (model, opt non-NULL; generator true; extra non-NULL gets a
 * new dictionary of the extra tensors and metadata with "extra." removed, yours to free; NULL on
 * error), checking everything first, so a failed load changes nothing: L2_ERR_IO (cannot read),
 * L2_ERR_FORMAT (malformed file, not a libl2 checkpoint, a tensor outside the four groups, a
 * model tensor missing or not in the model (strict, as torch's load_state_dict), an optimizer
 * state of another kind or malformed, no generator state when asked), L2_ERR_SHAPE (a shape or
 * dtype that differs from the model's or optimizer's), L2_ERR_ARG (an invalid generator state).
 * Resuming a run from a checkpoint (model, optimizer, generator) continues it bitwise as if it
 * had not stopped (tests/test-checkpoint.c). */
L2_API l2_status l2_checkpoint_save(const char *path, const l2_params *model,
                                    const l2_optimizer *opt, bool generator,
                                    const l2_named_tensors *extra);
L2_API l2_status l2_checkpoint_load(const char *path, l2_params *model, l2_optimizer *opt,
                                    bool generator, l2_named_tensors **extra);
/* Training: gradient clipping and learning-rate schedulers (libl2/nn/clip.c, sched*.c)         */
/* ------------------------------------------------------------------------------------------ */
/* torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type, error_if_nonfinite), torch 1.13's
 * computation: the norm_type norm of each grad (torch.norm: 0 counts non-zeros, +-inf the max /
 * min of |g|, an empty grad 0), each rounded to its grad's dtype, then the same norm of those
 * norms (for +inf their max) in float64 if any grad is float64, else float32: total. Then
 * clip_coef = max_norm / (total + 1e-6), evaluated as torch does (reciprocal, then times max_norm,
 * each rounded to total's dtype), clamped to at most 1 (NaN stays NaN), and every grad is
 * multiplied in place by it (rounded to the grad's dtype; no autograd; versions bumped), also when
 * the coefficient is 1, as torch. Parameters whose grad is NULL are skipped; n 0 or no grad at
 * all: nothing happens, *total_norm 0. The sums accumulate in double (in another order than
 * torch's): total can differ from torch's by rounding (a few ulp of the grads' dtype). *total_norm
 * (may be NULL) receives total. Errors, with nothing changed: L2_ERR_ARG for n < 0, a NaN
 * norm_type, a grad with elements sharing memory (expanded), the +inf norm of an empty grad
 * (torch's max() of an empty tensor raises), and a non-finite total with error_if_nonfinite
 * (torch's RuntimeError); L2_ERR_NULL for NULL params (n > 0) or a NULL parameter; L2_ERR_DTYPE
 * for a grad that is not float32/float64. */
L2_API l2_status l2_clip_grad_norm_(int n, l2_tensor *const *params, double max_norm,
                                    double norm_type, bool error_if_nonfinite,
                                    double *total_norm);
/* torch.nn.utils.clip_grad_value_(params, clip_value): every grad clamped in place to
 * [-clip_value, clip_value] (torch's clamp_: NaN stays NaN; a negative clip_value makes every
 * element clip_value; a NaN clip_value every element NaN). Skips NULL grads; errors as
 * l2_clip_grad_norm_, nothing changed. */
L2_API l2_status l2_clip_grad_value_(int n, l2_tensor *const *params, double clip_value);

/* Learning-rate schedulers: torch.optim.lr_scheduler (1.13) over an l2_optimizer (one parameter
 * group), with torch's RECURSIVE (chainable) formulas, step by step, in double and in torch's
 * order of operations, so that every lr equals torch's exactly. A scheduler borrows its
 * optimizer (keep the optimizer alive until the scheduler is freed) and writes the optimizer's
 * lr (as torch's param_group['lr'], any value, also negative or NaN). As torch with last_epoch
 * -1, construction records the optimizer's lr as its "initial_lr" if none is recorded yet (the
 * first scheduler made on an optimizer fixes it; OneCycleLR overwrites it with max_lr /
 * div_factor), takes it as base_lr, and makes the initial step (last_epoch 0), which sets the
 * optimizer's lr; ReduceLROnPlateau makes no initial step. Call l2_lr_scheduler_step once per
 * epoch (or batch) after l2_optimizer_step, as in torch.
 * Errors: constructors return NULL with L2_ERR_NULL (NULL optimizer or array) or L2_ERR_ARG for
 * the arguments torch rejects with ValueError (named below). Where torch's formula divides by
 * zero (Python's ZeroDivisionError: StepLR step_size 0, CosineAnnealingLR T_max 0, LinearLR
 * start_factor 0 or total_iters 0 in the closed form, OneCycleLR phases of zero length) or
 * raises OverflowError (gamma ** epoch), the constructor or step that meets it fails with
 * L2_ERR_ARG and changes nothing (torch has already advanced last_epoch when it raises; libl2
 * keeps all-or-nothing). */
typedef struct l2_lr_scheduler l2_lr_scheduler;
/* StepLR: lr * gamma at every epoch that is a multiple of step_size. */
L2_API l2_lr_scheduler *l2_step_lr(l2_optimizer *o, int64_t step_size, double gamma);
/* MultiStepLR: lr * gamma^count at each milestone (count: how often it is listed; any order). */
L2_API l2_lr_scheduler *l2_multistep_lr(l2_optimizer *o, int n_milestones,
                                        const int64_t *milestones, double gamma);
/* ExponentialLR: lr * gamma every epoch. */
L2_API l2_lr_scheduler *l2_exponential_lr(l2_optimizer *o, double gamma);
/* CosineAnnealingLR(T_max, eta_min), torch's recursive form (it follows the cosine also past
 * T_max). L2_ERR_ARG: |T_max| >= 2^61 (libl2's limit). */
L2_API l2_lr_scheduler *l2_cosine_annealing_lr(l2_optimizer *o, int64_t t_max, double eta_min);
/* LinearLR: the factor goes linearly from start_factor to end_factor over total_iters epochs
 * (torch's defaults 1/3, 1, 5). L2_ERR_ARG: a factor outside [0, 1]. */
L2_API l2_lr_scheduler *l2_linear_lr(l2_optimizer *o, double start_factor, double end_factor,
                                     int64_t total_iters);
/* SequentialLR(schedulers, milestones): n schedulers made on o (in this order, each
 * construction as torch's), switched at the n - 1 milestones (epoch counts; the scheduler
 * starting at a milestone is stepped with that epoch 0, its closed form). "Linear warmup then
 * cosine", as torch users write it:
 *     l2_lr_scheduler *w = l2_linear_lr(o, 0.01, 1.0, warm);
 *     l2_lr_scheduler *c = l2_cosine_annealing_lr(o, total - warm, 0.0);
 *     l2_lr_scheduler *s = l2_sequential_lr(o, 2, (l2_lr_scheduler *[]){w, c},
 *                                           (int64_t[]){warm});
 * On success s owns the schedulers (freeing s frees them; l2_lr_scheduler_free on one of them
 * does nothing). L2_ERR_ARG: n < 1, a scheduler of another optimizer, one listed twice or
 * already in a SequentialLR, a SequentialLR or ReduceLROnPlateau among them (torch fails on
 * these at its first step). On error the caller keeps them. */
L2_API l2_lr_scheduler *l2_sequential_lr(l2_optimizer *o, int n,
                                         l2_lr_scheduler *const *schedulers,
                                         const int64_t *milestones);
/* OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy 'cos' (cos_anneal) or 'linear',
 * div_factor, final_div_factor, three_phase), cycle_momentum=False: libl2 does not cycle the
 * optimizer's momentum or beta1 (torch's default cycle_momentum=True does; a deliberate
 * difference). torch's defaults: pct_start 0.3, cos, 25, 1e4, false. Stepping more than
 * total_steps times fails with L2_ERR_ARG (torch's ValueError). L2_ERR_ARG: total_steps < 1,
 * pct_start outside [0, 1], div_factor or final_div_factor 0. */
L2_API l2_lr_scheduler *l2_one_cycle_lr(l2_optimizer *o, double max_lr, int64_t total_steps,
                                        double pct_start, bool cos_anneal, double div_factor,
                                        double final_div_factor, bool three_phase);
/* CosineAnnealingWarmRestarts(T_0, T_mult, eta_min). L2_ERR_ARG: t_0 < 1, t_mult < 1; a step
 * whose period T_0 * T_mult^n exceeds int64 fails with L2_ERR_OVERFLOW (Python has big
 * integers). */
L2_API l2_lr_scheduler *l2_cosine_annealing_warm_restarts(l2_optimizer *o, int64_t t_0,
                                                          int64_t t_mult, double eta_min);
/* ReduceLROnPlateau(mode 'max' (mode_max) or 'min', factor, patience, threshold,
 * threshold_mode 'abs' (threshold_abs) or 'rel', cooldown, min_lr, eps); torch's defaults:
 * min, 0.1, 10, 1e-4, rel, 0, 0, 1e-8. Stepped with l2_lr_scheduler_step_metric only.
 * L2_ERR_ARG: factor >= 1. */
L2_API l2_lr_scheduler *l2_reduce_lr_on_plateau(l2_optimizer *o, bool mode_max, double factor,
                                                int64_t patience, double threshold,
                                                bool threshold_abs, int64_t cooldown,
                                                double min_lr, double eps);
/* scheduler.step(): the next epoch's lr, set on the optimizer. L2_ERR_ARG for
 * ReduceLROnPlateau (it needs a metric) and the errors above. */
L2_API l2_status l2_lr_scheduler_step(l2_lr_scheduler *s);
/* ReduceLROnPlateau.step(metric) (L2_ERR_ARG for other schedulers). */
L2_API l2_status l2_lr_scheduler_step_metric(l2_lr_scheduler *s, double metric);
/* scheduler.step(epoch) (torch's deprecated form): CosineAnnealingWarmRestarts' own (any
 * epoch >= 0, fractional allowed); StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR and
 * LinearLR use their closed forms, OneCycleLR its formula at that step (epoch a whole number
 * >= 0). L2_ERR_ARG otherwise (SequentialLR, ReduceLROnPlateau: torch's TypeError). */
L2_API l2_status l2_lr_scheduler_step_epoch(l2_lr_scheduler *s, double epoch);
/* get_last_lr(): the lr the last step set (ReduceLROnPlateau: the optimizer's lr). NaN with
 * L2_ERR_NULL for NULL. */
L2_API double l2_lr_scheduler_get_last_lr(const l2_lr_scheduler *s);
/* The scheduler's state as 0-d tensors named as torch's state_dict keys (a list of one value
 * per param group in torch is one value here): "last_epoch", "_step_count" (int64),
 * "base_lrs", "_last_lr" (float64); CosineAnnealingWarmRestarts also "T_i" (int64), "T_cur"
 * (float64); ReduceLROnPlateau "last_epoch", "best", "num_bad_epochs", "cooldown_counter",
 * "_last_lr"; SequentialLR "last_epoch", "_last_lr" and each scheduler's entries as
 * "_schedulers.<i>.<key>". The constructor's arguments are not in it (unlike torch's
 * state_dict): load into a scheduler made with the same arguments. Free with l2_named_free. */
L2_API l2_named_tensors *l2_lr_scheduler_state(const l2_lr_scheduler *s);
/* Set the state from d (as torch's load_state_dict; the optimizer's lr is not touched: it is the
 * optimizer's state). Every key above must be there, 0-d, of its dtype, integers within [0, 2^53]
 * (last_epoch from -1; T_i from 1 to INT64_MAX; cooldown_counter any) (L2_ERR_ARG naming the key
 * otherwise); extra keys are ignored; all is checked before anything is set. */
L2_API l2_status l2_lr_scheduler_load_state(l2_lr_scheduler *s, const l2_named_tensors *d);
/* Free s (and the schedulers a SequentialLR owns). NULL, or one owned by a SequentialLR: does
 * nothing. */
L2_API void l2_lr_scheduler_free(l2_lr_scheduler *s);

/* (l2_named_new / l2_named_add build such dictionaries: see the checkpoint section.) */


#ifdef __cplusplus
}
#endif

#endif /* L2_H */
