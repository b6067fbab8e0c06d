/* unique.c: unique and unique_consecutive, of all elements (flattened) or of the slices along
 * one dim (issue 14, area uniq). unique sorts stably (elements through l2_argsort, slices
 * by a lexicographic merge sort), then groups equal neighbours; unique_consecutive groups
 * equal neighbours in t's order. Equality is ==: -0.0 equals 0.0 and NaN equals nothing (each
 * NaN is its own value). No gradient (torch 1.13 has none either). Plain loops, one thread. */
#include "../autograd-impl.h"

#include <string.h>

/* The groups of equal neighbours among the rows ord[0..S) of the contiguous (S, inner) block x
 * of dtype dt (ord NULL: t's order): grp[ord[k]] = the group of row ord[k] (rows equal by ==,
 * so NaN equals nothing).
 * Returns the number of groups. One typed loop per dtype (issue 12: a call and a dtype switch per
 * element cost unique_consecutive most of its time). Mutation test (unique_group): a row equal to
 * its neighbour in all but the last element joins its group. */
static int64_t group_rows(const char *x, int64_t S, int64_t inner, l2_dtype dt,
                          const int64_t *ord, int64_t *grp)
{
    int64_t G = 0, m = inner - (l2__fault("unique_group") && inner > 0);
    /* mutation test (unique_run): the single-element loop starts a group at element 1 always */
    int64_t k1 = l2__fault("unique_run") ? 1 : 0;
    switch (dt) {
#define GROUP_ROWS(T)                                                                        \
    {                                                                                        \
        const T *v = (const T *)(const void *)x;                                             \
        if (!ord && inner == 1 && m == 1) { /* issue 12: single elements in t's order */     \
            for (int64_t k = 0; k < S; k++) {                                                \
                G += !(k > 0 && k != k1 && v[k] == v[k - 1]);                                \
                grp[k] = G - 1;                                                              \
            }                                                                                \
            break;                                                                           \
        }                                                                                    \
        for (int64_t k = 0; k < S; k++) {                                                    \
            int64_t r_ = ord ? ord[k] : k, q_ = k ? (ord ? ord[k - 1] : k - 1) : 0;          \
            const T *a = v + r_ * inner, *b = v + q_ * inner;                                \
            bool eq = k > 0;                                                                 \
            for (int64_t j = 0; eq && j < m; j++)                                            \
                eq = a[j] == b[j];                                                           \
            G += !eq;                                                                        \
            grp[r_] = G - 1;                                                                 \
        }                                                                                    \
        break;                                                                               \
    }
    case L2_FLOAT32: GROUP_ROWS(float)
    case L2_FLOAT64: GROUP_ROWS(double)
    case L2_INT64: GROUP_ROWS(int64_t)
    default: GROUP_ROWS(uint8_t)
#undef GROUP_ROWS
    }
    return G;
}

/* -1, 0, 1 as element a sorts before, with, after element b: NaN after every number and equal
 * to another NaN (as l2_sort), -0.0 with 0.0. */
#define CMP_NUM(a, b) ((a) < (b) ? -1 : (b) < (a) ? 1 : 0)
#define CMP_FLT(a, b) ((a) < (b) ? -1 : (b) < (a) ? 1 : ((a) != (a)) - ((b) != (b)))

/* Rows a and b (element pointers) of `inner` elements compared lexicographically. Mutation
 * test (unique_cols): the last column is not compared. */
static int rows_cmp(const char *p, const char *q, int64_t inner, l2_dtype dt)
{
    int64_t m = inner - (l2__fault("unique_cols") && inner > 1);
    switch (dt) {
#define ROWS_CMP(T, CMP)                                                                     \
    for (int64_t j = 0; j < m; j++) {                                                        \
        T a_ = ((const T *)(const void *)p)[j], b_ = ((const T *)(const void *)q)[j];        \
        int c_ = CMP(a_, b_);                                                                \
        if (c_)                                                                              \
            return c_;                                                                       \
    }                                                                                        \
    return 0;
    case L2_FLOAT32: ROWS_CMP(float, CMP_FLT)
    case L2_FLOAT64: ROWS_CMP(double, CMP_FLT)
    case L2_INT64: ROWS_CMP(int64_t, CMP_NUM)
    default: ROWS_CMP(uint8_t, CMP_NUM)
#undef ROWS_CMP
    }
}

/* ord[0..S) = the rows of the contiguous (S, inner) block in c in lexicographic order, stable
 * (equal rows keep their order; NaN after every number, as l2_sort). Slices of one element: a
 * stable argsort (l2_argsort); longer ones: a bottom-up merge sort of the row numbers with a
 * lexicographic comparison (issue 12: one stable argsort per column, as before, cost 5x
 * torch on 256 x 256). tmp holds S int64. false (error set) on failure. Runs between
 * l2__enter and l2__leave. */
static bool sort_rows(const char *op, const l2_tensor *c, int64_t S, int64_t inner,
                      int64_t *ord, int64_t *tmp)
{
    for (int64_t k = 0; k < S; k++)
        ord[k] = k;
    if (S < 2)
        return true;
    const char *x = l2__data(c);
    if (inner == 1) {
        l2_tensor *v = l2_reshape(c, 1, &S); /* c is contiguous: a view */
        l2_tensor *a = v ? l2_argsort(v, 0, false, true) : NULL;
        l2_tensor_release(v);
        if (!a)
            return false;
        memcpy(ord, l2__data(a), (size_t)S * sizeof *ord);
        l2_tensor_release(a);
        return true;
    }
    size_t row = (size_t)inner * l2__esize(c->dtype);
    int64_t *src = ord, *dst = tmp;
    for (int64_t w = 1; w < S; w *= 2) {
        for (int64_t lo = 0; lo < S; lo += 2 * w) {
            int64_t mid = lo + w < S ? lo + w : S, hi = lo + 2 * w < S ? lo + 2 * w : S;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) /* ties take the left run's row first: stable */
                dst[k++] = rows_cmp(x + (size_t)src[j] * row, x + (size_t)src[i] * row, inner,
                                    c->dtype) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        int64_t *sw = src;
        src = dst;
        dst = sw;
    }
    if (src != ord)
        memcpy(ord, src, (size_t)S * sizeof *ord);
    return true;
}

/* The shared body: d < 0 for all elements (flattened), else the dim (wrapped, checked); sort
 * false for unique_consecutive. */
static l2_tensor *run(const char *op, const l2_tensor *t, int d, bool sort, l2_tensor **inverse,
                      l2_tensor **counts)
{
    int64_t n = l2__numel(t->ndim, t->shape), S = d < 0 ? n : t->shape[d];
    int64_t inner = S > 0 ? n / S : 0;
    l2_tensor *c = NULL, *vals = NULL, *inv = NULL, *cnt = NULL, *rep = NULL;
    int64_t *ord = NULL, *tmp = NULL;
    bool good = false;
    l2__enter();
    l2_no_grad_begin();
    /* c: t as a contiguous (S, inner) block, dims 0 and d swapped (torch's order of a slice's
     * elements, which decides the lexicographic order) */
    if (d <= 0) {
        c = l2__convert(op, t, t->dtype, true);
    } else {
        l2_tensor *m = l2_transpose(t, 0, d);
        c = m ? l2__convert(op, m, t->dtype, true) : NULL;
        l2_tensor_release(m);
    }
    size_t bytes = (size_t)(S > 0 ? S : 1) * sizeof(int64_t);
    if (!c)
        goto out;
    if (inverse) {
        int64_t one = S;
        inv = d < 0 ? l2__new(op, t->ndim, t->shape, L2_INT64, false)
                    : l2__new(op, 1, &one, L2_INT64, false);
        if (!inv)
            goto out;
    }
    /* grp[r]: the group of row r, written straight into the inverse when it is asked for */
    int64_t *grp = inv ? (int64_t *)l2__data(inv) : (tmp = l2__malloc(bytes, op));
    if (!grp)
        goto out;
    /* ord: the rows in sorted order (sort_rows uses grp as its scratch); NULL for t's order */
    if (sort && (!(ord = l2__malloc(bytes, op)) || !sort_rows(op, c, S, inner, ord, grp)))
        goto out;
    const char *x = l2__data(c);
    int64_t G = group_rows(x, S, inner, t->dtype, ord, grp);
    /* rep: the first row of each group (groups are numbered in ord's order, so group `at`
     * starts at the first row whose group is `at`); the group sizes from where the groups start
     * (issue 12: a count incremented per row waited on its own last store) */
    int64_t *cp = NULL;
    if (counts) {
        if (!(cnt = l2__new(op, 1, &G, L2_INT64, false)))
            goto out;
        cp = (int64_t *)l2__data(cnt);
    }
    if (!(rep = l2__new(op, 1, &G, L2_INT64, false)))
        goto out;
    int64_t *rp = (int64_t *)l2__data(rep), at = 0, start = 0;
    for (int64_t k = 0; k < S; k++) {
        int64_t r = ord ? ord[k] : k;
        if (grp[r] == at) {
            if (cp && at > 0)
                cp[at - 1] = k - start;
            start = k;
            rp[at++] = r;
        }
    }
    if (cp && at > 0)
        cp[at - 1] = S - start;
    if (d < 0) {
        vals = l2__new(op, 1, &G, t->dtype, false);
        if (!vals)
            goto out;
        size_t es = l2__esize(t->dtype);
        for (int64_t g = 0; g < G; g++)
            memcpy((char *)l2__data(vals) + (size_t)g * es, x + (size_t)rp[g] * es, es);
    } else if (!(vals = l2_index_select(t, d, rep))) {
        goto out;
    }
    good = true;
out:
    l2__free(ord);
    l2__free(tmp);
    l2_tensor_release(c);
    l2_tensor_release(rep);
    l2_no_grad_end();
    l2__leave();
    if (!good) {
        l2_tensor_release(vals);
        l2_tensor_release(inv);
        l2_tensor_release(cnt);
        return NULL;
    }
    if (inverse)
        *inverse = l2__ret(inv);
    if (counts)
        *counts = l2__ret(cnt);
    return l2__ret(vals);
}

/* The checks of every form: t non-NULL; for a dim, t not 0-d (L2_ERR_DIM, as torch), the dim
 * wrapped, and an empty t only with dim its one size-0 dim (L2_ERR_SHAPE otherwise). Returns
 * the wrapped dim, -1 for the flattened forms, -2 on failure. Clears the out-arguments. */
static int check(const char *op, const l2_tensor *t, bool has_dim, int dim, l2_tensor **inverse,
                 l2_tensor **counts)
{
    if (inverse)
        *inverse = NULL;
    if (counts)
        *counts = NULL;
    L2__CHECK_T(t, -2, op);
    if (!has_dim)
        return -1;
    L2__CHECK(t->ndim > 0, -2, L2_ERR_DIM, "%s: dimension specified as %d but tensor has no "
              "dimensions", op, dim);
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0)
        return -2;
    int zeros = 0;
    for (int k = 0; k < t->ndim; k++)
        zeros += t->shape[k] == 0;
    L2__CHECK(zeros <= 1, -2, L2_ERR_SHAPE, "%s: number of zero sized dimensions is more than "
              "one, so unique cannot be applied", op);
    L2__CHECK(zeros == 0 || t->shape[d] == 0, -2, L2_ERR_SHAPE, "%s: there are 0 sized "
              "dimensions, and they aren't selected, so unique cannot be applied", op);
    return d;
}

l2_tensor *l2_unique(const l2_tensor *t, bool sorted, l2_tensor **inverse, l2_tensor **counts)
{
    (void)sorted; /* always sorted: one valid answer when torch leaves the order open */
    int d = check("unique", t, false, 0, inverse, counts);
    return d == -2 ? NULL : run("unique", t, -1, true, inverse, counts);
}

l2_tensor *l2_unique_dim(const l2_tensor *t, int dim, bool sorted, l2_tensor **inverse,
                         l2_tensor **counts)
{
    (void)sorted; /* torch 1.13 sorts slices whatever sorted says */
    int d = check("unique_dim", t, true, dim, inverse, counts);
    return d == -2 ? NULL : run("unique_dim", t, d, true, inverse, counts);
}

l2_tensor *l2_unique_consecutive(const l2_tensor *t, l2_tensor **inverse, l2_tensor **counts)
{
    int d = check("unique_consecutive", t, false, 0, inverse, counts);
    return d == -2 ? NULL : run("unique_consecutive", t, -1, false, inverse, counts);
}

l2_tensor *l2_unique_consecutive_dim(const l2_tensor *t, int dim, l2_tensor **inverse,
                                     l2_tensor **counts)
{
    int d = check("unique_consecutive", t, true, dim, inverse, counts);
    return d == -2 ? NULL : run("unique_consecutive", t, d, false, inverse, counts);
}
