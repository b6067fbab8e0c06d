/* cases.h: helpers shared by the plain-C benchmark cases (bench/cases-*.c).
 * Case names are "op/dtype/variant/shape" (the shim appends "/t:<threads>"); bench/torch_bench.py
 * parses the same names to build the PyTorch twin of each case, so keep the grammar:
 * shape = sizes joined by 'x' (a conv case joins input and weight shapes with '-').
 */
#ifndef L2_BENCH_CASES_H
#define L2_BENCH_CASES_H

#include <l2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

/* What a case's setup makes: up to 8 tensors (released by bdata_free), the case, and a spare
 * pointer for anything else (free()d). */
typedef struct {
    l2_tensor *t[8];
    const bench_case *c;
    void *extra;
} bdata;

/* A zeroed bdata for case c (NULL when out of memory). */
static inline bdata *bdata_new(const bench_case *c)
{
    bdata *d = calloc(1, sizeof *d);
    if (d)
        d->c = c;
    return d;
}

/* Teardown for every case: release the tensors, free extra and d. */
static inline void bdata_free(void *p)
{
    bdata *d = p;
    if (!d)
        return;
    for (int i = 0; i < 8; i++)
        l2_tensor_release(d->t[i]);
    free(d->extra);
    free(d);
}

/* Setup epilogue: d if tensors 0..n-1 were all made, else free d and return NULL. */
static inline void *bdata_check(bdata *d, int n)
{
    if (!d)
        return NULL;
    for (int i = 0; i < n; i++) {
        if (!d->t[i]) {
            bdata_free(d);
            return NULL;
        }
    }
    return d;
}

/* Release a result after keeping the compiler honest; 0 if r exists, else 1 (run failed). */
static inline int bench_consume(l2_tensor *r)
{
    if (!r)
        return 1;
    bench_do_not_optimize(l2_data_ptr(r));
    l2_tensor_release(r);
    return 0;
}

/* Register c once per thread count (or list it as missing when reason is non-NULL). */
static inline void bench_add(bench_case c, const char *reason)
{
    int th[2];
    int n = bench_thread_counts(th);
    for (int i = 0; i < n; i++) {
        c.threads = th[i];
        if (reason)
            bench_register_missing(&c, reason);
        else
            bench_register(&c);
    }
}

/* Backward helper of the nn-type cases: y's backward with t[7] (NULL: y is a scalar), then
 * t[first..last]'s grads dropped. */

static inline int nn_finish_bwd(bdata *d, l2_tensor *y, int first, int last)
{
    int bad = !y || l2_backward(y, d->t[7], false) != L2_OK;
    l2_tensor_release(y);
    for (int i = first; i <= last; i++)
        l2_set_grad_none(d->t[i]);
    return bad;
}

/* A case with p[4] = backward; shape text and the counts set by the caller. */
static inline bench_case nn_case(const char *op, int grad, const char *variant, const char *shape,
                          void *(*setup)(const bench_case *), int (*run)(void *))
{
    bench_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s%s/f32/%s/%s", op, grad ? "+bwd" : "", variant, shape);
    c.setup = setup;
    c.run = run;
    c.teardown = bdata_free;
    c.p[4] = grad;
    return c;
}

/* t[i] requires grad for i in first..last; t[7] = ones shaped like out (ndim, shape) when grad. */
static inline void *grad_epilogue(bdata *d, int n, int first, int last, int ndim,
                                  const int64_t *shape)
{
    if (!bdata_check(d, n))
        return NULL;
    if (!d->c->p[4])
        return d;
    for (int i = first; i <= last; i++)
        l2_set_requires_grad(d->t[i], true);
    d->t[7] = l2_ones(ndim, shape, L2_FLOAT32);
    if (!d->t[7]) {
        bdata_free(d);
        return NULL;
    }
    return d;
}

/* The square sizes n (n x n tensors) of the elementwise-type cases in this profile:
 * quick 2, 256 and 1024 (4, 64K and 1M elements); full 2, 64, 256, 1024, 4096 (to 16M). */
static inline int bench_square_sizes(const int64_t **out)
{
    static const int64_t quick[] = {2, 256, 1024};
    static const int64_t full[] = {2, 64, 256, 1024, 4096};
    if (bench_full_profile()) {
        *out = full;
        return 5;
    }
    *out = quick;
    return 3;
}

/* The matmul sizes in this profile: quick 64 and 256; full 64 to 2048. */
static inline int bench_matmul_sizes(const int64_t **out)
{
    static const int64_t quick[] = {64, 256};
    static const int64_t full[] = {64, 128, 256, 512, 1024, 2048};
    if (bench_full_profile()) {
        *out = full;
        return 6;
    }
    *out = quick;
    return 2;
}

static inline const char *bench_dtype_tag(l2_dtype dt)
{
    return dt == L2_FLOAT64 ? "f64" : dt == L2_INT64 ? "i64" : dt == L2_BOOL ? "bool" : "f32";
}

/* Layouts of the n x n cases: both operands contiguous, both transposed views, or the second
 * operand a row of n broadcast over the rows. */
enum { LAYOUT_CONTIG, LAYOUT_TRANSPOSED, LAYOUT_BROADCAST };

/* Inputs for an n x n case (cases-core.c): p[1] n, p[2] dtype, p[3] layout, p[4] requires_grad.
 * t[0] = a, t[1] = b (n x n, or a row of n for LAYOUT_BROADCAST), t[2] = n x n ones. */
void *bench_setup_square(const bench_case *c);

/* The table-driven cases of issue 14's ops (cases-ops14.c, cases-ops14b.c, cases-ops14c.c). A
 * row's shape text gives its inputs' shapes, one '-'-separated piece per input, made as `in`
 * says: IN_RANDN each piece randn; IN_RAND each rand; IN_RELU relu(randn(piece 0)); IN_SORT0
 * piece 0 randn sorted along its last dim, the others randn; IN_INDEX t[0] randn(piece 0), t[1]
 * the first piece1[0] of randperm(piece0[0]) (int64, distinct), t[2] randn(piece 1) when piece 1
 * has 2+ dims; IN_INDEX_ANY the same with t[1] randint(0, piece0[0], (piece1[0])); IN_MASK t[0]
 * randn(piece 0), t[1] rand(piece 0) < 0.5, t[2] randn(piece 1) if any; IN_GATHER t[0]
 * randn(piece 0), t[1] randint(0, its last size, piece 0); IN_TAKE the same with randint(0,
 * its numel, piece 0); IN_CONV input randn(piece 0), weight randn(piece 1), bias randn of the
 * weight's size 1 (a transposed convolution's output channels). The torch twin
 * (torch_ops14.py, key "op/variant") makes its inputs the same way. */
enum { IN_RANDN, IN_RAND, IN_RELU, IN_SORT0, IN_INDEX, IN_INDEX_ANY, IN_MASK, IN_GATHER, IN_TAKE,
       IN_CONV,
       /* uniq (issue 14, bench9): IN_INTS t[0] float32 randint(0, 64, piece 0) (repeated values,
        * as labels or token ids); IN_INTS_SORTED the same sorted along its last dim;
        * IN_SCATTER0 / IN_SCATTER1 t[0] randn(piece 0) (the destination), t[1] randint(0,
        * piece0[d], piece 1) for d = 0 / 1 (the index: any position, repeats included), t[2]
        * randn(piece 1) (src) */
       IN_INTS, IN_INTS_SORTED, IN_SCATTER0, IN_SCATTER1 };

typedef struct {
    const char *op, *variant, *shape;
    int in;        /* IN_*: how the inputs t[0..] are made from shape */
    unsigned grad; /* bit i: t[i] requires grad in the +bwd case; 0: no +bwd case */
    l2_tensor *(*fwd)(l2_tensor **t); /* the forward case's call */
    l2_tensor *(*bwd)(l2_tensor **t); /* what the +bwd case differentiates (NULL: fwd) */
} ops14_row;

/* Register rows[0..n) forward and (when grad) forward + backward, full profile only. Every case
 * counts items = elements of its first input, bytes = 8 x items. */
void ops14_add_rows(const ops14_row *rows, int n);
/* The same in every profile (quick too): the uniq rows (cases-uniq.c). */
void ops14_add_rows_always(const ops14_row *rows, int n);
/* p[0] of the n pieces p[0..n) (NULL when n is 0); the others are released. */
l2_tensor *ops14_first_piece(l2_tensor **p, int64_t n);

/* Registration entry points, one per file. */
void bench_cases_core(void);
void bench_cases_ops(void);
void bench_cases_nn(void);
void bench_cases_ops14(void);
void bench_cases_conv3(void); /* conv3 (issue 14) */
void bench_cases_half(void); /* half compute (issue 16) */
void bench_cases_loss2(void); /* loss (issue 14) */
void bench_cases_compose(void); /* compose (issue 15) */
void bench_cases_lapack(void); /* la1 (issue 15) */
void bench_cases_svd(void);    /* svd (issue 15) */
void bench_cases_state(void);  /* state: checkpoints (issue 16) */
void bench_cases_baddbmm(void); /* baddbmm (issue 15) */
void bench_cases_lsq(void); /* lsqnorm (issue 15) */
void bench_cases_uniq(void);  /* uniq: scatter and unique (issue 14, bench9) */
void bench_cases_rnn(void);   /* rnn: LSTM and GRU layers (issue 15) */
void bench_cases_decomp(void); /* linalg_eigh, linalg_qr (issue 15) */
void bench_cases_mha(void);   /* multi-head attention layer (issue 15) */
void bench_cases_adv(void);   /* adv (issue 14) */
void bench_cases_ops14b(void);
void bench_cases_ops14c(void);
void bench_cases_limits(void);

/* l2bench --l2_rss=MODEL,FIRST,LAST (cases-ops.c): run MODEL's training step (mlp: the MLP step
 * case; small: the same step at 64-32-10) LAST times at `threads`, untimed, and print one JSON
 * line with the resident set (/proc/self/statm) and its peak (getrusage) after FIRST and after
 * LAST steps. Returns the exit status. */
int bench_rss_main(const char *model, long first, long last, int threads);

#endif /* L2_BENCH_CASES_H */
