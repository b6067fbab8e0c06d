/* test-cg-viewidx.c: second derivatives (create_graph, issue 15) through the view, shape and
 * indexing ops: gradgradcheck (tests/gradcheck.h: float64, against central differences of
 * libl2's own first derivative, for every input and the upstream gradient). Each case squares
 * the op's result (y * y), so the op's differentiable backward runs on a gradient that depends
 * on the inputs, not only on the upstream gradient. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <math.h>
#include <string.h>

/* An int64 tensor of shape (ndim, shape) holding v. */
static l2_tensor *ints(int ndim, const int64_t *shape, const double *v)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    l2_tensor *f = vec1d(n, v, L2_INT64), *r = l2_reshape(f, ndim, shape);
    l2_tensor_release(f);
    return r;
}

static l2_tensor *mask(int ndim, const int64_t *shape, const double *v)
{
    l2_tensor *i = ints(ndim, shape, v), *r = l2_to_dtype(i, L2_BOOL);
    l2_tensor_release(i);
    return r;
}

/* y * y, releasing y */
static l2_tensor *sq(l2_tensor *y)
{
    l2_tensor *r = y ? l2_mul(y, y) : NULL;
    l2_tensor_release(y);
    return r;
}

typedef struct {
    const char *name;
    int op;
    int n;
    int nd[2];
    int64_t shape[2][4];
} gcase;

enum {
    PERMUTE, SLICE, SLICE_T, SELECT, CLONE, CAT, COPY, DIAG, DIAG3, INDEX_SELECT, GATHER,
    SCATTER_ADD, EMBEDDING, TAKE, INDEX_FILL, INDEX_COPY, INDEX_ADD, MASKED_SELECT,
    MASKED_SCATTER, SCATTER, SCATTER_VALUE, UNFOLD, FOLD, VIEW_CHAIN, AS_STRIDED, AS_STRIDED_OV
};

static l2_tensor *run(l2_tensor *const *in, void *ctx)
{
    const gcase *c = ctx;
    l2_tensor *a = in[0], *b = c->n > 1 ? in[1] : NULL, *i = NULL, *y = NULL, *t = NULL;
    switch (c->op) {
    case PERMUTE:
        y = l2_permute(a, (int[]){2, 0, 1});
        break;
    case SLICE:
        y = l2_slice(a, 0, 1, 5, 2);
        break;
    case SLICE_T: /* a non-contiguous input, negative bounds */
        t = l2_t(a);
        y = l2_slice(t, 1, -3, -1, 1);
        break;
    case SELECT:
        y = l2_select(a, 1, -1);
        break;
    case CLONE:
        y = l2_clone(a);
        break;
    case CAT:
        y = l2_cat(2, (l2_tensor *[]){a, b}, 1);
        break;
    case COPY: { /* copy_ of a broadcast source into a non-leaf (in place) */
        l2_tensor *d = l2_mul_scalar(b, 3.0), *s = l2_mul(a, a);
        if (d && s && l2_copy_(d, s) == L2_OK)
            y = l2_tensor_ref(d);
        l2_tensor_release(d);
        l2_tensor_release(s);
        break;
    }
    case DIAG:
        y = l2_diagonal(a, 1, 0, 1);
        break;
    case DIAG3: /* dims in reverse order, negative offset */
        y = l2_diagonal(a, -1, 2, 0);
        break;
    case INDEX_SELECT:
        i = ints(1, (int64_t[]){3}, (double[]){2, 0, 2});
        y = l2_index_select(a, 0, i);
        break;
    case GATHER:
        i = ints(2, (int64_t[]){3, 2}, (double[]){0, 3, 1, 1, 2, 0});
        y = l2_gather(a, 1, i);
        break;
    case SCATTER_ADD:
        i = ints(2, (int64_t[]){2, 2}, (double[]){0, 1, 0, 0});
        y = l2_scatter_add(a, 0, i, b);
        break;
    case EMBEDDING:
        i = ints(2, (int64_t[]){2, 2}, (double[]){4, 1, 1, 0});
        y = l2_embedding(a, i);
        break;
    case TAKE:
        i = ints(1, (int64_t[]){3}, (double[]){5, -1, 5});
        y = l2_take(a, i);
        break;
    case INDEX_FILL:
        i = ints(1, (int64_t[]){2}, (double[]){0, -2});
        y = l2_index_fill(a, 1, i, 1.5);
        break;
    case INDEX_COPY:
        i = ints(1, (int64_t[]){2}, (double[]){3, 1});
        y = l2_index_copy(a, 0, i, b);
        break;
    case INDEX_ADD:
        i = ints(1, (int64_t[]){3}, (double[]){3, 1, 3});
        y = l2_index_add(a, 0, i, b, 2.0);
        break;
    case MASKED_SELECT: /* mask broadcast against t */
        i = mask(1, (int64_t[]){4}, (double[]){1, 0, 1, 1});
        y = l2_masked_select(a, i);
        break;
    case MASKED_SCATTER:
        i = mask(2, (int64_t[]){3, 4}, (double[]){1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1});
        y = l2_masked_scatter(a, i, b);
        break;
    case SCATTER:
        i = ints(2, (int64_t[]){2, 2}, (double[]){0, 1, 3, 2});
        y = l2_scatter(a, 1, i, b);
        break;
    case SCATTER_VALUE:
        i = ints(2, (int64_t[]){2, 2}, (double[]){0, 1, 3, 2});
        y = l2_scatter_value(a, 1, i, -0.5);
        break;
    case UNFOLD:
        y = l2_unfold(a, (int64_t[]){2, 2}, NULL, (int64_t[]){1, 0}, (int64_t[]){1, 2});
        break;
    case FOLD:
        y = l2_fold(a, (int64_t[]){3, 3}, (int64_t[]){2, 2}, NULL, NULL, NULL);
        break;
    case VIEW_CHAIN: { /* select of a permuted slice, then diagonal */
        l2_tensor *p = l2_permute(a, (int[]){1, 0, 2}), *s = p ? l2_slice(p, 2, 0, 3, 1) : NULL;
        y = s ? l2_diagonal(s, 0, 1, 2) : NULL;
        l2_tensor_release(p);
        l2_tensor_release(s);
        break;
    }
    case AS_STRIDED: /* overlapping output windows */
        y = l2_as_strided(a, 2, (int64_t[]){3, 3}, (int64_t[]){2, 1}, 1);
        break;
    case AS_STRIDED_OV: /* an input that overlaps itself (expanded), offset output */
        t = l2_expand(a, 2, (int64_t[]){2, 3});
        y = t ? l2_as_strided(t, 2, (int64_t[]){2, 2}, (int64_t[]){1, 1}, 0) : NULL;
        break;
    }
    l2_tensor_release(i);
    l2_tensor_release(t);
    return sq(y);
}

static const gcase cases[] = {
    {"permute", PERMUTE, 1, {3}, {{2, 3, 4}}},
    {"slice step 2", SLICE, 1, {2}, {{5, 3}}},
    {"slice of a transpose, negative bounds", SLICE_T, 1, {2}, {{4, 3}}},
    {"select index -1", SELECT, 1, {2}, {{3, 4}}},
    {"clone", CLONE, 1, {2}, {{2, 3}}},
    {"cat dim 1", CAT, 2, {2, 2}, {{2, 3}, {2, 1}}},
    {"copy_ broadcast into a non-leaf", COPY, 2, {1, 2}, {{3}, {2, 3}}},
    {"diagonal offset 1", DIAG, 1, {2}, {{3, 4}}},
    {"diagonal (2, 0) offset -1", DIAG3, 1, {3}, {{3, 2, 4}}},
    {"index_select repeated", INDEX_SELECT, 1, {2}, {{4, 3}}},
    {"gather dim 1", GATHER, 1, {2}, {{3, 4}}},
    {"scatter_add (index smaller than src)", SCATTER_ADD, 2, {2, 2}, {{3, 4}, {2, 3}}},
    {"embedding repeated rows", EMBEDDING, 1, {2}, {{5, 3}}},
    {"take negative and repeated", TAKE, 1, {2}, {{3, 4}}},
    {"index_fill dim 1", INDEX_FILL, 1, {2}, {{3, 4}}},
    {"index_copy", INDEX_COPY, 2, {2, 2}, {{4, 3}, {2, 3}}},
    {"index_add alpha 2, repeated", INDEX_ADD, 2, {2, 2}, {{4, 3}, {3, 3}}},
    {"masked_select broadcast mask", MASKED_SELECT, 1, {2}, {{3, 4}}},
    {"masked_scatter longer source", MASKED_SCATTER, 2, {2, 1}, {{3, 4}, {7}}},
    {"scatter (src larger than index)", SCATTER, 2, {2, 2}, {{3, 4}, {3, 3}}},
    {"scatter_value", SCATTER_VALUE, 1, {2}, {{3, 4}}},
    {"unfold padding and stride", UNFOLD, 1, {4}, {{1, 2, 3, 4}}},
    {"fold unbatched", FOLD, 1, {2}, {{8, 4}}},
    {"permute, slice, diagonal chained", VIEW_CHAIN, 1, {3}, {{3, 2, 4}}},
    {"as_strided overlapping windows", AS_STRIDED, 1, {1}, {{8}}},
    {"as_strided of an expanded input", AS_STRIDED_OV, 1, {1}, {{3}}},
};

int main(void)
{
    int64_t live0 = l2_live_tensors();
    l2_manual_seed(15);
    const int nc = (int)(sizeof cases / sizeof *cases);
    for (int k = 0; k < nc; k++) {
        const gcase *c = &cases[k];
        l2_tensor *in[2] = {NULL, NULL};
        for (int j = 0; j < c->n; j++)
            in[j] = gc_leaf(c->nd[j], c->shape[j], -1, 1);
        ok(gradgradcheck(c->name, run, c->n, in, (void *)c), "gradgradcheck: %s", c->name);
        cg_oom_sweep(c->name, run, c->n, in, (void *)c);
        for (int j = 0; j < c->n; j++)
            l2_tensor_release(in[j]);
    }

    /* to_dtype: float32 loses the differences' precision, so exactly: y = x.float(),
     * g = d sum(y^2)/dx = 2 x (recorded), d sum(g)/dx = 2 */
    {
        l2_tensor *x = gc_leaf(1, (int64_t[]){3}, -1, 1), *g = NULL, *h = NULL;
        l2_tensor *y = l2_to_dtype(x, L2_FLOAT32), *z = sq(y), *s = l2_sum(z);
        l2_status st = l2_autograd_grad_ex(1, &s, NULL, 1, &x, &g, true, true, false);
        l2_tensor *gs = st == L2_OK ? l2_sum(g) : NULL;
        st = gs ? l2_autograd_grad(1, &gs, NULL, 1, &x, &h, false, false) : L2_ERR_NULL;
        int good = st == L2_OK && h && l2_dtype_of(g) == L2_FLOAT64 && l2_requires_grad(g);
        for (int64_t i = 0; good && i < 3; i++)
            good = fabs(flat(h, i) - 2) < 1e-6 && fabs(flat(g, i) - 2 * flat(x, i)) < 1e-6;
        ok(good, "to_dtype float64 -> float32: d sum(d sum(y^2)/dx)/dx = 2");
        l2_tensor *all[] = {x, z, s, g, gs, h};
        for (int i = 0; i < 6; i++)
            l2_tensor_release(all[i]);
    }

    const char *names[] = {"permute", "slice", "select", "clone", "to_dtype", "cat", "copy_",
                           "diagonal", "index_select", "gather", "scatter_add", "embedding",
                           "take", "index_fill", "index_copy", "index_add", "masked_select",
                           "masked_scatter", "scatter", "scatter_value", "unfold", "fold",
                           "as_strided"};
    int all = 1;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        if (!l2_has_double_backward(names[k])) {
            printf("# %s has no double backward\n", names[k]);
            all = 0;
        }
    }
    ok(all, "has_double_backward for the %d ops covered", (int)(sizeof names / sizeof *names));

    is_int(l2_live_tensors(), live0, "no tensor leaked");
    return tap_done();
}
