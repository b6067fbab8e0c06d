/* cg-scratch.h: a list of the temporaries of a differentiable backward (create_graph, issue 15)
 * written as a chain of recorded public ops: CG(expr) keeps expr's new reference, or records the
 * first failure and evaluates nothing after it; cg_finish hands one result to the caller (a new
 * reference) and releases the rest. Used by unary-cg.c and act-cg.c; release_all and REPLACE by
 * the other differentiable backwards (linalg-cg.c, nn-cg.c, nn-norm-cg.c) and linalg-norm.c;
 * cg_zeros_of_empty by view-cg.c and index-cg.c. */
#ifndef L2_OPS_CG_SCRATCH_H
#define L2_OPS_CG_SCRATCH_H

#include "../autograd-impl.h"
#include "../l2-impl.h"

#include <stdio.h>

/* Release a list of tensors (NULLs allowed). */
static inline void release_all(l2_tensor **t, int n)
{
    for (int i = 0; i < n; i++)
        l2_tensor_release(t[i]);
}

/* slot = expr (which may read the old value as old_), the old value released afterwards; NULL
 * when slot was NULL or expr failed (error set). Keeps chains of recorded views short. */
#define REPLACE(slot, expr)                                                                  \
    do {                                                                                     \
        l2_tensor *old_ = (slot);                                                            \
        (slot) = old_ ? (expr) : NULL;                                                       \
        l2_tensor_release(old_);                                                             \
    } while (0)

/* zeros of (ndim, shape) in g's dtype for a g WITHOUT elements, differentiable in g as torch's
 * (its backward of an empty gradient is an op on it: the result requires grad when g does):
 * zeros + sum(g), sum(g) being exactly 0. New reference or NULL (error set). */
static inline l2_tensor *cg_zeros_of_empty(const l2_tensor *g, int ndim, const int64_t *shape)
{
    l2_tensor *z = l2_zeros(ndim, shape, g->dtype);
    if (!z || !l2_requires_grad(g))
        return z;
    l2_tensor *s = l2_sum(g), *r = s ? l2_add(z, s) : NULL;
    l2_tensor_release(s);
    l2_tensor_release(z);
    return r;
}

#ifndef CG_MAX_TMP /* a file with longer chains defines it before the include */
#define CG_MAX_TMP 32
#endif

typedef struct {
    l2_tensor *t[CG_MAX_TMP];
    int n;
    l2_status st;
    char msg[256]; /* the first failure's message (a later op given its NULL says less) */
} cg_scratch;

static inline l2_tensor *cg_keep(cg_scratch *s, l2_tensor *t)
{
    if (!t) { /* the first failure's status (a nested CG already set it) */
        if (s->st == L2_OK) {
            s->st = l2_last_status() != L2_OK ? l2_last_status() : L2_ERR_NOMEM;
            snprintf(s->msg, sizeof s->msg, "%s", l2_last_error());
        }
        return NULL;
    }
    if (s->n == CG_MAX_TMP) { /* a programming error: the lists are written for their ops */
        l2_tensor_release(t);
        s->st = l2__fail(L2_ERR_AUTOGRAD, "backward: create_graph: too many temporaries");
        return NULL;
    }
    return s->t[s->n++] = t;
}

/* Needs a cg_scratch named S in scope. */
#define CG(expr) (S.st != L2_OK ? NULL : cg_keep(&S, (expr)))

/* Releases the temporaries; returns the first failure's status (L2_OK if none). */
static inline l2_status cg_done(cg_scratch *s)
{
    for (int i = 0; i < s->n; i++)
        l2_tensor_release(s->t[i]);
    s->n = 0;
    if (s->st != L2_OK && s->msg[0])
        l2__fail(s->st, "%s", s->msg);
    return s->st;
}

/* *out = r (a new reference) when every step succeeded; releases the temporaries. */
static inline l2_status cg_finish(cg_scratch *s, l2_tensor *r, l2_tensor **out)
{
    if (s->st == L2_OK && r)
        *out = l2_tensor_ref(r);
    else if (s->st == L2_OK)
        s->st = l2__fail(L2_ERR_AUTOGRAD, "backward: create_graph: no result");
    return cg_done(s);
}

/* x whose gradient flows only where mask (bool, constant) is true: where(mask, x, detach(x)).
 * For torch's double backwards that are zero at a kink the first derivative still reads x on
 * (softplus at beta x == threshold, hardswish at x == +-3). */
static inline l2_tensor *cg_attach_where(cg_scratch *s, const l2_tensor *mask, l2_tensor *x)
{
    l2_tensor *d = s->st != L2_OK ? NULL : cg_keep(s, l2_detach(x));
    return s->st != L2_OK ? NULL : cg_keep(s, l2_where(mask, x, d));
}

#endif
