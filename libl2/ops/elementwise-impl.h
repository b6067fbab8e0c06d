/* elementwise-impl.h: what elementwise.c (binary ops), unary.c and where.c share: the loop
 * generators (one typed loop function per op and dtype, with a contiguous fast path GCC can
 * vectorise), the parameter block handed to loops, broadcast views for the iterator, and the
 * checks and helpers of in-place ops, and numbers as 0-d operands. Private to the elementwise
 * family (elementwise.c, unary.c, where.c). */
#ifndef L2_ELEMENTWISE_IMPL_H
#define L2_ELEMENTWISE_IMPL_H

#include "../autograd-impl.h"

#include <string.h>

/* The contiguous paths of the loops are marked for vectorisation: an element never depends on
 * another (in-place ops write each element where they read it), which is what `omp simd`
 * asserts. Without it GCC -O2 does not vectorise loops whose pointers might alias. */
#ifdef _OPENMP
#define L2__SIMD _Pragma("omp simd")
#else
#define L2__SIMD
#endif

/* The loops are built twice, for x86-64 with AVX2 and for the baseline, picked once at load
 * time (ifunc), so the contiguous paths run 8 floats a vector where the CPU has AVX2 (issue
 * 12). Without FMA: -std=c11 keeps a * b + c two roundings in both clones. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define L2__EW_HOT __attribute__((target_clones("avx2", "default")))
#else
#define L2__EW_HOT
#endif

/* Parameters of a loop (alpha, scalar value, clamp bounds, activation parameters). Loops copy
 * them into locals A, B (double) and IA, IB (int64) before the element loop (the loop macros
 * typedef T first). ctx is never NULL: l2__ew_run passes zeros when the op has no parameters. */
typedef struct {
    double a, b;
    int64_t ia, ib;
    int64_t grain; /* threads area: the op class's parallel grain; 0: L2__PARALLEL_GRAIN */
} l2__ew_ctx;

#define L2__EW_PARAMS                                                                        \
    const l2__ew_ctx *c_ = ctx;                                                              \
    const double A = c_->a, B = c_->b;                                                       \
    const int64_t IA = c_->ia, IB = c_->ib;                                                  \
    (void)A, (void)B, (void)IA, (void)IB, (void)sizeof(T)

/* out[i] = EXPR(X) with X of type TX; T is typedef'd to TX for literals in EXPR. */
#define L2__EW_LOOP1(NAME, TO, TX, X, EXPR)                                                  \
    L2__EW_HOT static void NAME(int64_t n, char **p, const int64_t *s, void *ctx)            \
    {                                                                                        \
        typedef TX T;                                                                        \
        L2__EW_PARAMS;                                                                       \
        if (s[0] == (int64_t)sizeof(TO) && s[1] == (int64_t)sizeof(TX)) {                    \
            TO *o_ = (TO *)p[0];                                                             \
            const TX *x_ = (const TX *)p[1];                                                 \
            L2__SIMD                                                                         \
            for (int64_t i = 0; i < n; i++) {                                                \
                const T X = x_[i];                                                           \
                (void)X;                                                                     \
                o_[i] = (TO)(EXPR);                                                          \
            }                                                                                \
        } else {                                                                             \
            for (int64_t i = 0; i < n; i++) {                                                \
                const T X = *(const TX *)(p[1] + i * s[1]);                                  \
                (void)X;                                                                     \
                *(TO *)(p[0] + i * s[0]) = (TO)(EXPR);                                       \
            }                                                                                \
        }                                                                                    \
    }

/* out[i] = EXPR(X, Y); T is TX. A second fast path serves a broadcast scalar Y (stride 0). */
#define L2__EW_LOOP2(NAME, TO, TX, TY, X, Y, EXPR)                                           \
    L2__EW_HOT static void NAME(int64_t n, char **p, const int64_t *s, void *ctx)            \
    {                                                                                        \
        typedef TX T;                                                                        \
        L2__EW_PARAMS;                                                                       \
        if (s[0] == (int64_t)sizeof(TO) && s[1] == (int64_t)sizeof(TX) &&                    \
            s[2] == (int64_t)sizeof(TY)) {                                                   \
            TO *o_ = (TO *)p[0];                                                             \
            const TX *x_ = (const TX *)p[1];                                                 \
            const TY *y_ = (const TY *)p[2];                                                 \
            /* mutation test: a vector loop without its tail (n % 8 elements left out) */    \
            const int64_t n_ = l2__fault("vec_tail") && n >= 8 ? n - n % 8 : n;              \
            L2__SIMD                                                                         \
            for (int64_t i = 0; i < n_; i++) {                                               \
                const TX X = x_[i];                                                          \
                const TY Y = y_[i];                                                          \
                (void)Y;                                                                     \
                o_[i] = (TO)(EXPR);                                                          \
            }                                                                                \
        } else if (s[0] == (int64_t)sizeof(TO) && s[1] == (int64_t)sizeof(TX) && s[2] == 0) { \
            TO *o_ = (TO *)p[0];                                                             \
            const TX *x_ = (const TX *)p[1];                                                 \
            const TY Y = *(const TY *)p[2];                                                  \
            (void)Y;                                                                         \
            L2__SIMD                                                                         \
            for (int64_t i = 0; i < n; i++) {                                                \
                const TX X = x_[i];                                                          \
                o_[i] = (TO)(EXPR);                                                          \
            }                                                                                \
        } else {                                                                             \
            for (int64_t i = 0; i < n; i++) {                                                \
                const TX X = *(const TX *)(p[1] + i * s[1]);                                 \
                const TY Y = *(const TY *)(p[2] + i * s[2]);                                 \
                (void)Y;                                                                     \
                *(TO *)(p[0] + i * s[0]) = (TO)(EXPR);                                       \
            }                                                                                \
        }                                                                                    \
    }

/* out[i] = EXPR(X, Y, Z); T is TY (where: X is the bool condition; backward: X is the grad). */
#define L2__EW_LOOP3(NAME, TO, TX, TY, TZ, X, Y, Z, EXPR)                                    \
    L2__EW_HOT static void NAME(int64_t n, char **p, const int64_t *s, void *ctx)            \
    {                                                                                        \
        typedef TY T;                                                                        \
        L2__EW_PARAMS;                                                                       \
        if (s[0] == (int64_t)sizeof(TO) && s[1] == (int64_t)sizeof(TX) &&                    \
            s[2] == (int64_t)sizeof(TY) && s[3] == (int64_t)sizeof(TZ)) {                    \
            TO *o_ = (TO *)p[0];                                                             \
            const TX *x_ = (const TX *)p[1];                                                 \
            const TY *y_ = (const TY *)p[2];                                                 \
            const TZ *z_ = (const TZ *)p[3];                                                 \
            L2__SIMD                                                                         \
            for (int64_t i = 0; i < n; i++) {                                                \
                const TX X = x_[i];                                                          \
                const TY Y = y_[i];                                                          \
                const TZ Z = z_[i];                                                          \
                (void)X, (void)Y, (void)Z;                                                   \
                o_[i] = (TO)(EXPR);                                                          \
            }                                                                                \
        } else {                                                                             \
            for (int64_t i = 0; i < n; i++) {                                                \
                const TX X = *(const TX *)(p[1] + i * s[1]);                                 \
                const TY Y = *(const TY *)(p[2] + i * s[2]);                                 \
                const TZ Z = *(const TZ *)(p[3] + i * s[3]);                                 \
                (void)X, (void)Y, (void)Z;                                                   \
                *(TO *)(p[0] + i * s[0]) = (TO)(EXPR);                                       \
            }                                                                                \
        }                                                                                    \
    }

/* A struct-only view of t broadcast to (nd, shape) (stride 0 on new and size-1 dims) for the
 * iterator. It shares t's storage pointer without a reference: it lives on the caller's stack,
 * must not outlive t and is never released. Cannot fail (the shapes were checked). */
void l2__ew_bview(l2_tensor *v, const l2_tensor *t, int nd, const int64_t *shape);

/* Run fn over out and the n inputs, each broadcast to out's shape. Cannot fail. */
void l2__ew_run(l2_tensor *out, int n, const l2_tensor *const *in, l2__loop_fn fn,
                const l2__ew_ctx *ctx);

/* t itself (one more reference) if its dtype is dt, else a converted copy laid out like t
 * (l2__new_like; no autograd). NULL on out-of-memory. */
l2_tensor *l2__ew_convert(const char *op, const l2_tensor *t, l2_dtype dt);

/* torch's can_cast: a result of dtype from may be written into to (no float into integer, no
 * number into bool). */
bool l2__ew_can_cast(l2_dtype from, l2_dtype to);

/* Checks every in-place op makes on self before writing: leaf requiring grad, a dim that
 * repeats memory (stride 0 over size > 1), and the result dtype castable to self's. */
bool l2__ew_check_inplace(const char *op, const l2_tensor *self, l2_dtype result);

/* A contiguous copy of t with its own storage, outside autograd (saving an old value). */
l2_tensor *l2__ew_fresh(const char *op, const l2_tensor *t);

/* A 0-d tensor on the stack holding a number, for the iterator only (never referenced). */
typedef struct {
    l2__storage st;
    l2_tensor t;
    union {
        float f;
        double d;
        int64_t i;
        bool b;
    } v;
} l2__ew_number;

static inline const l2_tensor *l2__ew_number_init(l2__ew_number *nb, double value, l2_dtype dt)
{
    memset(nb, 0, sizeof *nb);
    l2__store(&nb->v, dt, value);
    nb->st.data = &nb->v;
    nb->st.nbytes = sizeof nb->v;
    nb->t.storage = &nb->st;
    nb->t.dtype = dt;
    return &nb->t;
}

#endif /* L2_ELEMENTWISE_IMPL_H */
