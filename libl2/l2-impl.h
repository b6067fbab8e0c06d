/* l2-impl.h: libl2's internal types and helpers (never installed).
 *
 * The tensor and storage structs, the error-setting macros, the one allocator, dtype dispatch,
 * the strided iterator and the autograd node. Internal names are l2__name; only l2_ is exported.
 */
#ifndef L2_IMPL_H
#define L2_IMPL_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "l2.h"
#include "checked.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

/* ---- Errors ------------------------------------------------------------------------------ */

/* Set the thread's status and message (printf format); returns status so callers can
 * `return l2__fail(...)`. Never allocates. */
l2_status l2__fail(l2_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* If cond is false: set the error and return ret from the calling function. */
#define L2__CHECK(cond, ret, status, ...)                                                    \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            l2__fail((status), __VA_ARGS__);                                                 \
            return ret;                                                                      \
        }                                                                                    \
    } while (0)

/* The same for functions returning l2_status: returns status. */
#define L2__CHECK_ST(cond, status, ...) L2__CHECK(cond, status, status, __VA_ARGS__)

/* Check a tensor argument for NULL and, in debug builds (L2_DEBUG), for a tensor that was
 * already released (still in the quarantine, see l2.h). L2__CHECK_TN takes the argument's name
 * as a string, for helpers that check several arguments. */
#ifdef L2_DEBUG
#define L2__CHECK_TN(t, ret, op, name)                                                       \
    do {                                                                                     \
        L2__CHECK((t) != NULL, ret, L2_ERR_NULL, "%s: argument '%s' is NULL", (op), (name)); \
        L2__CHECK((t)->magic != L2__MAGIC_DEAD, ret, L2_ERR_ARG,                             \
                  "%s: argument '%s' was already released", (op), (name));                  \
        if (!l2__half_gate((op), (name), (t)))                                               \
            return ret;                                                                      \
    } while (0)
#else
#define L2__CHECK_TN(t, ret, op, name)                                                       \
    do {                                                                                     \
        L2__CHECK((t) != NULL, ret, L2_ERR_NULL, "%s: argument '%s' is NULL", (op), (name)); \
        if (!l2__half_gate((op), (name), (t)))                                               \
            return ret;                                                                      \
    } while (0)
#endif
#define L2__CHECK_T(t, ret, op) L2__CHECK_TN(t, ret, op, #t)
/* L2__CHECK_T without the half gate: for getters and bookkeeping that take any dtype. */
#define L2__CHECK_T_ANY(t, ret, op)                                                          \
    do {                                                                                     \
        l2__half_ok++;                                                                       \
        bool ok_ = l2__check_t_any((t), (op), #t);                                           \
        l2__half_ok--;                                                                       \
        if (!ok_)                                                                            \
            return ret;                                                                      \
    } while (0)

/* Format a shape as "[2,3]" into buf (at least L2__SHAPE_STR bytes). Returns buf. */
#define L2__SHAPE_STR 200
char *l2__shape_str(char *buf, int ndim, const int64_t *shape);

/* Normalise a possibly negative dim against rank ndim; returns -1 (error set, naming op) if out
 * of range. */
int l2__wrap_dim(const char *op, int dim, int ndim);

/* ---- Allocation --------------------------------------------------------------------------- */

/* The one allocator. Returns NULL and sets L2_ERR_NOMEM (naming what) on failure, including
 * injected failures (l2_debug_fail_alloc_after). Memory is 64-byte aligned. */
void *l2__malloc(size_t nbytes, const char *what);
/* As l2__malloc without setting an error on failure (the caller has another way). */
void *l2__try_malloc(size_t nbytes);
void *l2__calloc(size_t nbytes, const char *what);
void *l2__realloc(void *p, size_t nbytes, const char *what);
void l2__free(void *p);
/* Take block p out of the memory statistics now; a later l2__free frees it without counting
 * (the debug quarantine of released tensors). */
void l2__untrack(void *p);

/* ---- Storage and tensor ------------------------------------------------------------------- */

typedef struct l2__storage {
    atomic_long refs;
    void *data;
    size_t nbytes;
    /* Bumped by every in-place write; saved tensors remember it (autograd safety). */
    atomic_ullong version;
    /* Whether libl2 allocated data (and frees it); external memory calls release(ctx) if set. */
    bool owns_data;
    void (*release)(void *ctx);
    void *ctx;
} l2__storage;

typedef struct l2__node l2__node;

struct l2_tensor {
    atomic_long refs;
    l2__storage *storage;
    l2_dtype dtype;
    int ndim;
    int64_t offset;
    int64_t shape[L2_MAX_DIMS];
    int64_t stride[L2_MAX_DIMS];
    /* Autograd. A leaf that requires grad has requires_grad set and grad_fn NULL; a non-leaf has a
     * grad_fn (owned reference) and requires_grad set. */
    bool requires_grad;
    bool retains_grad;
    /* Made by a view op: an in-place op that records autograd history on it is refused (libl2
     * has no CopySlices, so the base's history could not see the write). */
    bool is_view;
    /* Has been another tensor's .grad (set by backward, never cleared): an in-place op that
     * records history on it checks that its new history does not lead back to that tensor. */
    bool was_grad;
    l2_tensor *grad;
    l2__node *grad_fn;
    /* Scopes (tensor.c): how many scope slots hold a reference to this tensor, on any thread,
     * and the slot registered last: its scope (a thread-local list, so it also names the
     * thread; NULL when unknown) and index. */
    atomic_int scope_refs;
    _Atomic(void *) scope_list;
    atomic_llong scope_slot;
    /* Debugging: L2__MAGIC_DEAD once released (debug builds quarantine dead structs), the op that
     * made the tensor (static string) and the links of the leak registry (L2_LEAK_REPORT). */
    uint32_t magic;
    const char *made_by;
    l2_tensor *live_prev, *live_next;
};

#define L2__MAGIC_LIVE 0x4c324c56u /* "L2LV" */
#define L2__MAGIC_DEAD 0xdeadbeefu

/* Bytes per element. */
static inline size_t l2__esize(l2_dtype dt)
{
    return dt == L2_BOOL ? 1 : dt == L2_FLOAT32 ? 4 : (dt == L2_BFLOAT16 || dt == L2_FLOAT16) ? 2 : 8;
}
/* The compute float dtypes (float32, float64): the kernels' float paths. bfloat16 and float16
 * are not "float" here: they are storage dtypes that only the ops listed in l2.h accept. */
static inline bool l2__is_float(l2_dtype dt) { return dt == L2_FLOAT32 || dt == L2_FLOAT64; }
static inline bool l2__is_half(l2_dtype dt) { return dt == L2_BFLOAT16 || dt == L2_FLOAT16; }
/* The dtypes that can require a gradient: the float and the half ones (issue 16). */
static inline bool l2__is_grad_dtype(l2_dtype dt) { return l2__is_float(dt) || l2__is_half(dt); }
/* The half gate (issue 16): bfloat16 / float16 tensors reach only the ops that handle them.
 * L2__CHECK_T / L2__CHECK_TN refuse a half argument, and l2__new a half result, unless this
 * thread's l2__half_ok is positive: the ops that accept half raise it around their work
 * (L2__HALF_OK(expr)). */
extern _Thread_local int l2__half_ok;
/* true if t may enter the op named op; else sets L2_ERR_DTYPE naming t's dtype. */
bool l2__half_gate(const char *op, const char *name, const l2_tensor *t);
/* The half route (issue 16, half-route.c): ops compute bfloat16 / float16 in float32 and round
 * the result once, as torch's CPU kernels. l2__half_up: when the live float operands among
 * in[0..n-1] are all of one half dtype (*h), suspends scope registration (l2__enter), fills
 * up[i] with a new reference for each in[i] (half ones converted to float32, recorded; others
 * as they are; NULL stays NULL) and returns 1; returns 0 (nothing done) when the call does not
 * route, -1 (error set, nothing held) when a conversion failed. l2__half_down: releases up[],
 * rounds the op's result r (consumed) to h when it is float32, and also *second when second is
 * given and the op succeeded, leaves (l2__leave) and returns r through l2__ret. */
int l2__half_up(int n, const l2_tensor *const *in, l2_tensor **up, l2_dtype *h);
/* Contiguous runs of n conversions between float32 and the half dtype src / dst
 * (half-convert.c: AVX2 + F16C when the CPU has them; bit for bit half.h's). */
void l2__half_to_f32_run(float *o, const uint16_t *a, int64_t n, l2_dtype src);
void l2__f32_to_half_run(uint16_t *o, const float *a, int64_t n, l2_dtype dst);
l2_tensor *l2__half_down(l2_tensor *r, l2_dtype h, int n, l2_tensor **up, l2_tensor **second);
/* In an op's public wrapper returning a tensor: when the tensors (the variadic arguments) route,
 * return CALL's result, where CALL is the op itself called on H_[0], H_[1], ... (the float32
 * operands), rounded back to the half dtype; L2__HALF_ROUTE2 also rounds the tensor CALL stores
 * at *SECOND (two-result ops). Otherwise falls through to the op's own code. */
#define L2__HALF_ROUTE2(SECOND, CALL, ...)                                                   \
    do {                                                                                     \
        const l2_tensor *const h_in_[] = {__VA_ARGS__};                                      \
        enum { h_n_ = sizeof h_in_ / sizeof h_in_[0] };                                      \
        l2_tensor *H_[h_n_];                                                                 \
        l2_dtype h_dt_;                                                                      \
        int h_k_ = l2__half_up(h_n_, h_in_, H_, &h_dt_);                                     \
        if (h_k_ < 0)                                                                        \
            return NULL;                                                                     \
        if (h_k_ > 0) {                                                                      \
            l2_tensor *h_r_ = (CALL);                                                        \
            return l2__half_down(h_r_, h_dt_, h_n_, H_, (SECOND));                           \
        }                                                                                    \
    } while (0)
#define L2__HALF_ROUTE(CALL, ...) L2__HALF_ROUTE2(NULL, CALL, __VA_ARGS__)
/* In-place ops (issue 16): l2__half_inplace is 1 when in[0..n-1] (in[0] the tensor written)
 * route, 0 when not, -1 (L2_ERR_UNSUPPORTED set) when they route and one requires grad in grad
 * mode; l2__half_assign writes r (the routed out-of-place result, consumed; NULL: its error)
 * into self. L2__HALF_INPLACE(OP, CALL, self, ...) returns from a status-returning wrapper. */
int l2__half_inplace(const char *op, int n, const l2_tensor *const *in);
l2_status l2__half_assign(const char *op, l2_tensor *self, l2_tensor *r);
#define L2__HALF_INPLACE(OP, CALL, SELF, ...)                                                \
    do {                                                                                     \
        const l2_tensor *const h_in_[] = {SELF, __VA_ARGS__};                                \
        int h_k_ = l2__half_inplace((OP), sizeof h_in_ / sizeof h_in_[0], h_in_);            \
        if (h_k_ < 0)                                                                        \
            return l2_last_status();                                                         \
        if (h_k_ > 0) {                                                                      \
            l2__enter();                                                                     \
            l2_tensor *h_r_ = (CALL);                                                        \
            l2__leave();                                                                     \
            return l2__half_assign((OP), (SELF), h_r_);                                            \
        }                                                                                    \
    } while (0)
/* L2__CHECK_TN as a function (for L2__CHECK_T_ANY): true if t passes. */
bool l2__check_t_any(const l2_tensor *t, const char *op, const char *name);
/* The address of t's first element. A non-empty view lies within its storage; an empty view's
 * offset can lie beyond it (its other sizes times strides need not fit), and as it is never
 * read, the storage's start stands in for it. */
static inline char *l2__data(const l2_tensor *t)
{
    size_t es = l2__esize(t->dtype);
    if ((uint64_t)t->offset > t->storage->nbytes / es)
        return (char *)t->storage->data;
    return (char *)t->storage->data + (size_t)t->offset * es;
}
int64_t l2__numel(int ndim, const int64_t *shape);
/* Row-major strides for shape into stride. */
void l2__contiguous_strides(int ndim, const int64_t *shape, int64_t *stride);
bool l2__is_contiguous(const l2_tensor *t);

/* Validate rank/shape/dtype and compute numel; sets the error (naming op) and returns false on a
 * bad rank, negative size, NULL shape, bad dtype or overflow of numel * element size. */
bool l2__check_shape(const char *op, int ndim, const int64_t *shape, l2_dtype dt, int64_t *numel);

/* Validate a strided geometry over storage: the shape (as l2__check_shape), strides in
 * 0..l2__max_numel, offset >= 0, and the highest element offset + sum((size-1)*stride) computed
 * without overflow and below l2__max_numel (so every byte address fits in ptrdiff_t) and, when
 * cap >= 0, below cap elements. Sets the error naming op and returns false otherwise; stores
 * the highest element (offset - 1 for an empty view) in *hi when hi is not NULL. */
bool l2__check_geometry(const char *op, int ndim, const int64_t *shape, const int64_t *stride,
                        int64_t offset, l2_dtype dt, int64_t cap, int64_t *hi);

/* A new contiguous tensor with fresh storage (uninitialised; zeroed if zero). */
l2_tensor *l2__new(const char *op, int ndim, const int64_t *shape, l2_dtype dt, bool zero);
/* The slice and select views with their autograd nodes (ops/view.c), named op in errors: the
 * forms l2_index composes (ops/index-string.c). */
l2_tensor *l2__slice_impl(const char *op, const l2_tensor *t, int dim, int64_t start,
                          int64_t stop, int64_t step);
l2_tensor *l2__select_impl(const char *op, const l2_tensor *t, int dim, int64_t index);
/* A new tensor struct viewing t's storage with the given geometry; no autograd wiring. */
l2_tensor *l2__alias(const l2_tensor *t, int ndim, const int64_t *shape, const int64_t *stride,
                     int64_t offset);
/* Register a freshly created tensor with the innermost scope (if any). Returns t. Every public
 * function that returns a new tensor returns it through this. */
l2_tensor *l2__ret(l2_tensor *t);
/* Drop one reference without touching any scope: what library code does with the references it
 * holds. Inside libl2 every l2_tensor_release(t) call means this (the macro below); only the
 * public l2_tensor_release, called by users, takes a scope's reference first (see l2.h). */
void l2__release(l2_tensor *t);
#define l2_tensor_release(t) l2__release(t)
/* Storages alive (l2_get_memory_stats). */
int64_t l2__live_storages(void);

/* Bump the storage version after an in-place write. */
static inline void l2__bump_version(l2_tensor *t) { atomic_fetch_add(&t->storage->version, 1); }

/* Errors for in-place ops while grad mode is on: a leaf that requires grad, or a view that
 * requires grad. */
bool l2__check_inplace(const char *op, const l2_tensor *t);

/* Read element at flat row-major index i of t as double (any dtype) / write it. */
double l2__get_flat(const l2_tensor *t, int64_t i);
/* Pointer to the element at multi-index idx. */
char *l2__elem_ptr(const l2_tensor *t, const int64_t *idx);

/* ---- Dtype dispatch ----------------------------------------------------------------------- */

/* Run STMT with the type name TN defined as the C type of dtype DT (L2__DISPATCH: T). */
#define L2__DISPATCH_AS(DT, TN, STMT)                                                        \
    switch (DT) {                                                                            \
    case L2_FLOAT32: { typedef float TN; STMT; break; }                                      \
    case L2_FLOAT64: { typedef double TN; STMT; break; }                                     \
    case L2_INT64: { typedef int64_t TN; STMT; break; }                                      \
    case L2_BOOL: { typedef bool TN; STMT; break; }                                          \
    default: break;                                                                          \
    }
#define L2__DISPATCH(DT, STMT) L2__DISPATCH_AS(DT, T, STMT)
#define L2__DISPATCH_FLOAT(DT, STMT)                                                         \
    switch (DT) {                                                                            \
    case L2_FLOAT32: { typedef float T; STMT; break; }                                       \
    case L2_FLOAT64: { typedef double T; STMT; break; }                                      \
    default: break;                                                                          \
    }

/* Store a double into an element of dtype dt, converting like a C cast (bool: != 0). */
void l2__store(void *p, l2_dtype dt, double v);
double l2__load(const void *p, l2_dtype dt);

/* ---- Broadcasting and type promotion ------------------------------------------------------ */

/* numpy/torch broadcasting of two shapes into out (rank max(na, nb)). Sets the error naming op
 * and both shapes and returns -1 if they cannot broadcast; returns the result rank. */
int l2__broadcast_shapes(const char *op, int na, const int64_t *a, int nb, const int64_t *b,
                         int64_t *out);
/* torch.result_type for two tensors (0-d tensors rank below dimensioned ones in their category). */
l2_dtype l2__result_type(const l2_tensor *a, const l2_tensor *b);
/* torch.promote_types of two dtypes (bfloat16 with float16: float32; a half with int64 or
 * bool: the half). */
l2_dtype l2__promote(l2_dtype a, l2_dtype b);
/* Result dtype of tensor t combined with a Python-style scalar (is_int: integral value). */
l2_dtype l2__result_type_scalar(const l2_tensor *t, bool scalar_is_float);

/* ---- Strided iteration -------------------------------------------------------------------- */

#define L2__MAX_OPERANDS 4

/* Iterates several same-shape operands (broadcast views with stride 0 are fine). Dims are
 * coalesced where every operand's strides allow, size-1 dims are dropped; the innermost dim is
 * handed to a loop function in one call. Operand 0 is conventionally the output. */
typedef struct {
    int ndim;
    int nops;
    int64_t numel;
    int64_t shape[L2_MAX_DIMS];
    int64_t stride[L2__MAX_OPERANDS][L2_MAX_DIMS]; /* bytes */
    char *data[L2__MAX_OPERANDS];
    int64_t grain; /* threads area: the op class's grain; l2__iter_init sets L2__PARALLEL_GRAIN */
} l2__iter;

/* The inner loop: n elements; ptr[k] is operand k's first element; step[k] its stride in bytes.
 * A loop function never fails. */
typedef void (*l2__loop_fn)(int64_t n, char **ptr, const int64_t *step, void *ctx);

/* Build an iterator over ops[0..nops-1], which must all have the same shape. */
void l2__iter_init(l2__iter *it, int nops, const l2_tensor *const *ops);
/* Run fn over every element; splits the work across threads when numel is large. */
void l2__iter_run(const l2__iter *it, l2__loop_fn fn, void *ctx);
/* Run fn over the flat element range [begin, end) on the calling thread. */
void l2__iter_run_range(const l2__iter *it, int64_t begin, int64_t end, l2__loop_fn fn, void *ctx);

/* Copy src into dst (same shape; dtype converted) with the strided iterator. Cannot fail. */
void l2__copy_kernel(l2_tensor *dst, const l2_tensor *src);
/* copies (issue 12, area rr; ops/copy.c): run a same-dtype iteration it (operand 0 the
 * destination) as a tiled 8 x 8 register transpose when its two innermost dims are swapped
 * between the operands and its elements have 4 bytes; false (nothing done) otherwise. */
bool l2__copy_transposed(const l2__iter *it, size_t esize);
/* cat (issue 12, area cat; iter.c): rows rows of dst, each the n pieces src[k] + i * nb[k] of
 * nb[k] bytes one after another (row i at dst + i * sum(nb)); buffers that do not overlap.
 * Threads split the rows when numel (the elements of dst) reaches L2__PARALLEL_GRAIN. */
void l2__copy_pieces(char *dst, int64_t rows, int n, const char *const *src, const size_t *nb,
                     int64_t numel);
/* fills (issue 12, libl2/fill.c): set every element of t to the element at v (t's dtype,
 * l2__esize bytes); fill t (1-d, float or int64) with arange(start, start + n * step, step) by
 * torch's CPU formula. Both split across threads above L2__PARALLEL_GRAIN. */
void l2__fill_kernel(l2_tensor *t, const void *v);
void l2__arange_kernel(l2_tensor *t, double start, double step);

/* t itself (one more reference) when it already has dtype dt (and, with contiguous, is
 * contiguous), else a contiguous copy converted to dt. NULL (error set) on out of memory. */
l2_tensor *l2__convert(const char *op, const l2_tensor *t, l2_dtype dt, bool contiguous);

/* Elementwise layout (area: layout): a new tensor of shape (nd, shape) and dtype dt whose
 * memory order follows the inputs in[0..nin-1] (NULL entries skipped), each broadcast to
 * shape, by torch's TensorIterator rule (l2.h, "Output layout"): dims are sorted by the first
 * input whose strides tell them apart. An input whose dtype is not the compute dtype ct counts
 * as its converted copy (dense, in its own order), as torch converts it first; ct
 * L2_DTYPE_COUNT: none converted. Contiguous when no input decides. NULL (error set) on out of
 * memory. */
l2_tensor *l2__new_like(const char *op, int nd, const int64_t *shape, l2_dtype dt, l2_dtype ct,
                        int nin, const l2_tensor *const *in);

/* ---- Threads ------------------------------------------------------------------------------ */

/* Elementwise work below this many elements runs on one thread. */
#define L2__PARALLEL_GRAIN (1 << 18)
/* A same-dtype contiguous run of the copy kernel (iter.c copy_run) of this many bytes or more goes
 * to memcpy; shorter ones (32 bytes and up) to libl2's own vector moves. */
#define L2__COPY_RUN_BYTES (1 << 20)
/* cat along a dim after the first (issue 12, area cat): contiguous inputs whose pieces of a row
 * (size along the dim times the later dims) all have at least this many elements are copied a
 * whole result row at a time (ops/copy.c cat_rows); otherwise input by input through the
 * iterator, whose one strided loop copies a single-element column faster. */
#define L2__CAT_PIECE_MIN 2
/* The least work per thread once a loop runs in parallel: at most work / L2__PARALLEL_CHUNK
 * threads (l2__threads_for; the split of one long reduction across threads). */
#define L2__PARALLEL_CHUNK (L2__PARALLEL_GRAIN / 2)
/* Matrix products in the reference loops (int64 and l2_debug_linalg_reference) run in parallel
 * when M*N*K exceeds this (and M > 1). */
#define L2__GEMM_PARALLEL 262144
/* Tiled reductions (reduce.c, outer-dim reductions): blocks of L2__REDUCE_TILE_OUT neighbouring
 * outputs advance through L2__REDUCE_TILE_RED reduced positions at a time; one-operand
 * reductions gather each tile into a buffer from L2__REDUCE_TILE_BUFFER element operations. A
 * reduction with fewer than L2__REDUCE_OUT_PER_THREAD outputs per thread (and work >= grain)
 * splits each output's reduced range across threads instead. */
#define L2__REDUCE_TILE_OUT 1024
#define L2__REDUCE_TILE_RED 64
#define L2__REDUCE_TILE_BUFFER (L2__PARALLEL_GRAIN / 4)
#define L2__REDUCE_OUT_PER_THREAD 4
/* reductions (issue 12): float sums in reduce-vec.c run L2__REDUCE_VEC_BLOCK float64 lanes: over
 * the innermost dim, lane k takes elements k mod the width; over an outer dim, blocks of that many
 * neighbouring outputs advance together (the outputs % width left run one by one). */
#define L2__REDUCE_VEC_BLOCK 16
/* reductions, random, copies (issue 12, area rr): max / min (with their index, argmax/argmin,
 * logsumexp's shift) over contiguous float32 rows of at least this many elements run the AVX2
 * loop of reduce-ext.c (4 vectors of 8 per step, then vectors of 8, then a scalar tail). */
#define L2__REDUCE_EXT_VEC 32
/* reductions (issue 12, area opsp): float32 sums over an outer dim with a cols loop run up to
 * this many reduced positions per call (not L2__REDUCE_TILE_RED): their float64 partials need
 * no compensated step between tiles, and each tile costs a pass over its outputs. */
#define L2__REDUCE_COLS32_RED 2048
/* speed (issue 12, area speed8): topk selects its K < L2__TOPK_SELECT elements from a row
 * (of more than K) with a sorted buffer of K instead of sorting the row (sort.c). */
#define L2__TOPK_SELECT 32
/* speed (issue 12): sort rows of at least this many float32, float64 or int64 elements by a
 * stable radix sort (sort.c) instead of the merge sort; the same order, ties and NaN included. */
#define L2__SORT_RADIX_MIN 256
/* Softmax along a non-innermost dim of a contiguous input runs this many lanes per block. */
#define L2__SOFTMAX_COLS 64
/* Loss sums run over this many fixed element ranges (the same result for any thread count). */
#define L2__LOSS_CHUNKS 64
/* Index backward (index_select, embedding) accumulates rows in blocks of this many elements. */
#define L2__INDEX_BLOCK 256
/* conv (libl2/ops/pool.c): 2x2 stride-2 max pooling without padding runs its own loop, whose
 * output columns go in blocks of this many (then a tail of ow % L2__POOL2X2_BLOCK). */
#define L2__POOL2X2_BLOCK 8
/* conv (issue 12, libl2/ops/conv2d.c): samples go in blocks whose column matrices, side by side,
 * take at most L2__CONV_COLS_BYTES (at least one sample per block), one GEMM per block and group
 * (the last block of a slot is partial). Convolutions of at least L2__CONV_GRAIN multiply-adds
 * split the samples over threads; the backward always cuts the batch into
 * L2__CONV_BWD_SLOTS sample ranges (fewer for a smaller batch) whose partial dW are summed in
 * order, so that dW does not depend on the thread count. */
#define L2__CONV_COLS_BYTES (1 << 20)
#define L2__CONV_GRAIN (1 << 18)
#define L2__CONV_BWD_SLOTS 6
/* conv2d's bias gradient sums each row of dy in this many float64 lanes (then a tail of
 * L % L2__CONV_DB_LANES positions). */
#define L2__CONV_DB_LANES 8
/* conv (issue 12, libl2/ops/conv-small.c): a float32 conv2d with stride 1, dilation 1, one group
 * and at most L2__CONV_SMALL_K = C kH kW taps runs directly on a zero-padded copy of each sample
 * (AVX2+FMA), when the positions it computes (the padded width times the output height, rounded
 * up to 24) are at most L2__CONV_SMALL_WASTE percent of the output's, and the padded sample and
 * its (O, positions) staging each take at most L2__CONV_SMALL_FLOATS floats; else im2col + GEMM.
 * Its dx is the same path's forward of dy (kernel flipped) when that qualifies too. */
#define L2__CONV_SMALL_K 320
#define L2__CONV_SMALL_WASTE 125
#define L2__CONV_SMALL_FLOATS (1 << 20)
/* Grains per op class (threads area, issue 12): work below a class's grain runs on one thread,
 * and a parallel loop gives each thread at least half a grain. L2__PARALLEL_GRAIN above is the
 * grain of cheap, memory-bound elementwise loops (add, mul, copy, relu) and the default of every
 * kernel that names no class. How they were chosen (2-core AVX2 VM, too loaded for 1-vs-2-thread
 * wall times): a libgomp fork/join with OMP_WAIT_POLICY=PASSIVE costs o ~ 4-5 us (min 3.6 us),
 * and 2 threads save a quarter of the time when n c / 4 > o, i.e. from n ~ 4 o / c elements,
 * with c the one-thread CPU time per element (process CPU time, min of 7 runs, 64K elements).
 * Elementwise loops that call libm per element (exp, log, tanh, sin, erf, gelu, ...): c = 2.6
 * (exp f32) to 15 ns (tanh), so n ~ 8K and less; 16K leaves room for vector math (SLEEF). */
#define L2__GRAIN_MATH (1 << 14)
/* Reductions (reduce.c): sum c = 0.24 ns, the same class as add (0.15-0.2 ns in cache, memory
 * bound beyond it), so the same grain. */
#define L2__GRAIN_REDUCE L2__PARALLEL_GRAIN
/* Optimizer steps (sgd, adam, adamw: nn/optim.c), in parameter elements: c = 1.4 ns (sgd with
 * momentum, f32) to 3.1 ns (adam), n ~ 6-14K; 32K keeps biases and small layers serial. */
#define L2__GRAIN_OPTIM (1 << 15)
/* vmath (issue 12): float32 elements per vector of the vector math kernels (vmath.c); float64
 * vectors hold half as many. A kernel runs n / width vectors and one padded vector for the tail. */
#define L2__VMATH_WIDTH 8
/* Elementwise iterations with mixed layouts (an operand's fastest dim is not the innermost
 * one) of at least L2__TILE_MIN elements run in L2__TILE x L2__TILE blocks (area: layout). */
#define L2__TILE 32
#define L2__TILE_MIN 4000
/* Memory (alloc.c): requests of at least L2__ALLOC_SMALL bytes go through the cache's size
 * classes (smaller ones straight to malloc), and of at least L2__ALLOC_MMAP bytes are mmap'd on
 * a huge-page boundary with MADV_HUGEPAGE. */
#define L2__ALLOC_SMALL 4096
#define L2__ALLOC_MMAP (2 << 20)
/* broadcast gradients (issue 12): a broadcast gradient summed over its leading rows back to
 * K >= L2__SUMTO_ROWS_MIN inner elements (a bias of shape (K)) takes the vector row path
 * (sum-rows.c), four outputs a vector and a tail of K % 4 (float32 into float32: eight outputs a
 * vector, rows four at a time); fewer run the generic loop. */
#define L2__SUMTO_ROWS_MIN 4
/* gemm (issue 12): libl2's own float32 product (ops/gemm.c). Float32 products with M, N > 1 and
 * M*N*K >= L2__SGEMM_MIN may take it (policy: L2_GEMM, l2_debug_gemm); smaller ones stay on
 * BLAS. Micro-tiles of L2__SGEMM_MR x L2__SGEMM_NR (edge tiles through a temporary tile), K in
 * blocks of L2__SGEMM_KC, a's blocks of L2__SGEMM_MC rows, b's of L2__SGEMM_NC columns; one
 * thread per L2__SGEMM_GRAIN multiply-adds at most. */
#define L2__SGEMM_MIN 32768
#define L2__SGEMM_MR 6
#define L2__SGEMM_NR 16
#define L2__SGEMM_KC 256
#define L2__SGEMM_MC 72
#define L2__SGEMM_NC 256
#define L2__SGEMM_GRAIN (1 << 17)
int l2__num_threads(void);
/* Threads for a loop of `work` element operations: 1 below the grain, and no more than one per
 * half grain of work. */
int l2__threads_for(int64_t work);
/* The same for a loop of the class whose grain is `grain` (one of the grains above). */
int l2__threads_grain(int64_t work, int64_t grain);

/* ---- The generator (random.c), on a state of the caller's ---------------------------------- */

/* xoshiro256** on the state s: seeded through splitmix64 (l2_manual_seed's rule), the next 64-bit
 * draw, an unbiased draw in [0, range) (range >= 1), and a permutation of 0..n-1 into p by
 * Fisher-Yates over such draws (l2_randperm's rule). The thread's generator and the data
 * loader's own one (io/loader.c) share them. */
void l2__rng_seed(uint64_t s[4], uint64_t seed);
uint64_t l2__rng_next(uint64_t s[4]);
uint64_t l2__rng_below(uint64_t s[4], uint64_t range);
void l2__rng_permutation(uint64_t s[4], int64_t *p, int64_t n);

/* ---- Fault injection for the oracle's mutation tests -------------------------------------- */

/* True when built with --enable-fault-injection and the environment variable L2_FAULT equals
 * name. Constant false otherwise. */
#ifdef L2_FAULT_INJECTION
bool l2__fault(const char *name);
#else
#define l2__fault(name) false
#endif

#endif /* L2_IMPL_H */
