/* hostile.h: the shared part of the hostile-input suite (tests/test-hostile.c is the harness,
 * tests/hostile-*.c hold one entry per public function of l2.h).
 *
 * An entry is a function h_<public name>(void) made of CASE blocks. Each CASE body runs in its
 * own fork()ed child inside an open scope (so every tensor it makes is released at the end);
 * the parent only counts. Inside a body, the checks below make one call each: FAIL_* demands a
 * failure (NULL / non-zero status, a message, the documented status unless H_ANY), ANY_*
 * accepts either a valid result or a proper failure, OK_* demands success. */
#ifndef L2_HOSTILE_H
#define L2_HOSTILE_H

#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <limits.h>

#define H_ANY (-1) /* any failure status */
#define H_BIG (-2) /* L2_ERR_OVERFLOW, L2_ERR_NOMEM, L2_ERR_ARG or L2_ERR_SHAPE: a size refused */

/* ---- The harness (test-hostile.c) ----------------------------------------------------------- */

/* In the parent: describe and run one case in a child; returns 0. In the child: returns 1 (the
 * body then runs, and h_end exits). h_begin_raw opens no scope in the child. */
int h_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int h_begin_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int h_end(void);
#define CASE(...) for (int h_c_ = h_begin(__VA_ARGS__); h_c_; h_c_ = h_end())
#define CASE_RAW(...) for (int h_c_ = h_begin_raw(__VA_ARGS__); h_c_; h_c_ = h_end())

/* Child side: report a wrong result (printed by the parent) and mark the case failed. */
void h_bad(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The temporary folder for files (exists for the whole run). */
const char *h_tmpdir(void);

/* Checks; each returns the tensor/status so a body may go on using it. */
l2_tensor *h_fail_t(l2_tensor *r, int want, const char *expr, int line);
l2_tensor *h_any_t(l2_tensor *r, const char *expr, int line);
l2_tensor *h_ok_t(l2_tensor *r, const char *expr, int line);
l2_status h_fail_s(l2_status s, int want, const char *expr, int line);
l2_status h_any_s(l2_status s, const char *expr, int line);
l2_status h_ok_s(l2_status s, const char *expr, int line);
/* The message rule for a call that failed: a status, a non-empty one-line message. */
int h_msg_ok(const char *expr, int line);
/* A result that claims success: consistent shape/numel, and it can be cloned and summed. */
void h_check_valid(const l2_tensor *r, const char *expr, int line);

#define FAIL_T(want, e) (l2_clear_error(), h_fail_t((e), (want), #e, __LINE__))
#define ANY_T(e) (l2_clear_error(), h_any_t((e), #e, __LINE__))
#define OK_T(e) (l2_clear_error(), h_ok_t((e), #e, __LINE__))
#define FAIL_S(want, e) (l2_clear_error(), h_fail_s((e), (want), #e, __LINE__))
#define ANY_S(e) (l2_clear_error(), h_any_s((e), #e, __LINE__))
#define OK_S(e) (l2_clear_error(), h_ok_s((e), #e, __LINE__))
/* A getter that must set a message on a NULL argument (its return value is not an error). */
#define NULL_MSG(e) (l2_clear_error(), (void)(e), h_msg_ok(#e, __LINE__))
#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond))                                                                               \
            h_bad(__LINE__, __VA_ARGS__);                                                          \
    } while (0)

/* In-place calls: on failure, self must be unchanged (compared with a copy taken before). */
l2_tensor *h_snap(const l2_tensor *t);
void h_same(const l2_tensor *snap, const l2_tensor *t, int line);
#define FAIL_IP(want, self, e)                                                                     \
    do {                                                                                           \
        l2_tensor *s_ = h_snap(self);                                                              \
        if (FAIL_S(want, e) != L2_OK)                                                              \
            h_same(s_, self, __LINE__);                                                            \
    } while (0)
#define ANY_IP(self, e)                                                                            \
    do {                                                                                           \
        l2_tensor *s_ = h_snap(self);                                                              \
        if (ANY_S(e) != L2_OK)                                                                     \
            h_same(s_, self, __LINE__);                                                            \
    } while (0)

/* ---- Inputs (child side; all owned by the case's scope) ------------------------------------ */

/* Kinds of hostile tensor, made by mk_kind. */
enum {
    K_0D,        /* 0-d, value 2 */
    K_SMALL,     /* (2,3) arange */
    K_EMPTY,     /* (0,3) */
    K_NONCONTIG, /* (3,2) transposed to (2,3) */
    K_EXPANDED,  /* (1,3) expanded to (2,3), stride 0 */
    K_OVERLAP,   /* (2,3) as_strided over 4 elements, strides (1,1) */
    K_SPECIAL,   /* (2,3) of NaN, inf, -inf, -0, huge, tiny (ints: INT64_MIN/MAX, -1, 0, 1, 2) */
    K_HUGE,      /* a scalar expanded to (2^31, 2^31): 2^62 elements, 2^64 bytes in float32 */
    K_COUNT
};
extern const char *const h_kind_name[K_COUNT];
extern const l2_dtype h_dtypes[L2_DTYPE_COUNT];

l2_tensor *mk(l2_dtype dt, int ndim, const int64_t *shape); /* arange values */
#define MK(dt, ...) mk((dt), L2_SHAPE(__VA_ARGS__))
l2_tensor *mk_kind(int kind, l2_dtype dt);
/* A float leaf (2,3) that requires grad. */
l2_tensor *mk_leaf(l2_dtype dt);
/* Write n bytes to a file named name in the temporary folder; returns its path (static buffer
 * per call site is not needed: the result lives until the next call). */
const char *h_write_file(const char *name, const void *bytes, size_t n);

/* Hostile scalars and sizes. */
#define H_BIGSZ ((int64_t)1 << 62)
extern const double h_scalars[];
extern const int h_nscalars;
extern const int h_bad_dims[];
extern const int h_nbad_dims;

/* ---- Generic sweeps (hostile-ops.c) -------------------------------------------------------- */

typedef l2_tensor *(*h_unary_fn)(const l2_tensor *);
typedef l2_tensor *(*h_binary_fn)(const l2_tensor *, const l2_tensor *);
typedef l2_tensor *(*h_scalar_fn)(const l2_tensor *, double);
void sweep_unary(h_unary_fn f);
void sweep_unary_kinds(h_unary_fn f, int nkinds);
void sweep_binary(h_binary_fn f);
void sweep_scalar(h_scalar_fn f);
/* A function of (t, ndims, dims) over hostile dim lists (hostile-reduce.c; shared: scan). */
typedef l2_tensor *(*h_dims_fn)(const l2_tensor *, int, const int *);
void sweep_dims(h_dims_fn f);

/* ---- The entries ---------------------------------------------------------------------------- */

#define H_DECL(name) void h_##name(void);
#include "hostile-list.h"
H_ENTRIES(H_DECL)
#undef H_DECL

#endif
