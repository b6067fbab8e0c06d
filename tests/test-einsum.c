/* test-einsum.c: l2_einsum (libl2/ops/einsum.c) against a naive reference that loops over every
 * value of every letter (explicit equations without ellipsis, size-1 letters broadcast), the
 * implicit output and ellipsis forms against their explicit equivalents, float64
 * finite-difference gradients (transposed and broadcast operands included), int64, zero sizes,
 * every error of torch's parser, and an out-of-memory sweep. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* ---- naive reference ------------------------------------------------------------------------ */

/* out[o] = sum over the other letters of prod_i x_i[...] for an explicit letters-only equation. */
static l2_tensor *naive(const char *eq, int n, l2_tensor *const *x)
{
    char terms[4][16] = {{0}}, out[16] = {0};
    int t = 0, k = 0;
    const char *p = eq;
    for (; *p && !(p[0] == '-' && p[1] == '>'); p++) {
        if (*p == ',')
            terms[++t][k = 0] = 0;
        else if (*p != ' ')
            terms[t][k++] = *p, terms[t][k] = 0;
    }
    for (int o = 0; *p && p[2]; p++)
        if (p[2] != ' ')
            out[o++] = p[2];
    int64_t size[128];
    for (int c = 0; c < 128; c++)
        size[c] = 1;
    char letters[16];
    int nl = 0;
    for (int i = 0; i < n; i++)
        for (int d = 0; terms[i][d]; d++) {
            int c = terms[i][d];
            if (l2_shape(x[i])[d] != 1)
                size[c] = l2_shape(x[i])[d];
            if (!memchr(letters, c, (size_t)nl))
                letters[nl++] = (char)c;
        }
    int no = (int)strlen(out);
    int64_t osh[8];
    for (int d = 0; d < no; d++)
        osh[d] = size[(int)out[d]];
    l2_tensor *r = l2_zeros(no, osh, L2_FLOAT64);
    int64_t val[128] = {0}, total = 1;
    for (int j = 0; j < nl; j++)
        total *= size[(int)letters[j]];
    for (int64_t it = 0; it < total; it++) {
        int64_t rem = it;
        for (int j = nl - 1; j >= 0; j--) {
            val[(int)letters[j]] = rem % size[(int)letters[j]];
            rem /= size[(int)letters[j]];
        }
        double prod = 1;
        for (int i = 0; i < n; i++) {
            int64_t idx[8];
            for (int d = 0; terms[i][d]; d++)
                idx[d] = l2_shape(x[i])[d] == 1 ? 0 : val[(int)terms[i][d]];
            prod *= at(x[i], idx);
        }
        int64_t oi[8];
        for (int d = 0; d < no; d++)
            oi[d] = val[(int)out[d]];
        l2_set(r, oi, at(r, oi) + prod);
    }
    return r;
}

/* Random operands of the given shapes (dt), a transposed view for those with trans[i]. */
static void make_ops(int n, const int *nd, const int64_t (*sh)[8], const int *trans, l2_dtype dt,
                     l2_tensor **x)
{
    for (int i = 0; i < n; i++) {
        if (trans && trans[i] && nd[i] >= 2) {
            int64_t s[8];
            memcpy(s, sh[i], sizeof s);
            int64_t tmp = s[0];
            s[0] = s[nd[i] - 1], s[nd[i] - 1] = tmp;
            l2_tensor *b = l2_randn(nd[i], s, dt);
            x[i] = l2_transpose(b, 0, nd[i] - 1);
            l2_tensor_release(b);
        } else {
            x[i] = l2_randn(nd[i], sh[i], dt);
        }
    }
}

typedef struct {
    const char *eq;
    int n, nd[3];
    int64_t sh[3][8];
} vcase;

static const vcase VCASES[] = {
    {"ij,jk->ik", 2, {2, 2}, {{3, 4}, {4, 5}}},
    {"bij,bjk->bik", 2, {3, 3}, {{2, 3, 4}, {2, 4, 5}}},
    {"ii->i", 1, {2}, {{4, 4}}},
    {"ii->", 1, {2}, {{4, 4}}},
    {"iij->j", 1, {3}, {{3, 3, 2}}},
    {"ij->ji", 1, {2}, {{3, 5}}},
    {"ij->", 1, {2}, {{3, 5}}},
    {"i,j->ij", 2, {1, 1}, {{3}, {4}}},
    {"i,i->", 2, {1, 1}, {{5}, {5}}},
    {"ij,ij->ij", 2, {2, 2}, {{2, 1}, {1, 3}}},   /* size-1 letters broadcast */
    {"ij,jk->ik", 2, {2, 2}, {{2, 1}, {3, 4}}},   /* j: 1 against 3 */
    {"ijk,jkl,lm->im", 3, {3, 3, 2}, {{2, 3, 4}, {3, 4, 5}, {5, 6}}},
    {"ab,bc,ca->", 3, {2, 2, 2}, {{3, 4}, {4, 5}, {5, 3}}},
    {"aB,Bc,cd->da", 3, {2, 2, 2}, {{2, 3}, {3, 4}, {4, 2}}},
    {"iji,jk->kj", 2, {3, 2}, {{3, 2, 3}, {2, 4}}},
    {"i j , j k -> i k", 2, {2, 2}, {{3, 4}, {4, 2}}},
    {"bij,bjk->kbi", 2, {3, 3}, {{2, 3, 4}, {2, 4, 5}}},  /* the product's dims permuted back */
    {"ib,jbk->bkji", 2, {2, 3}, {{3, 2}, {4, 2, 5}}},
    {"aij,ajk,ak->kia", 3, {3, 3, 2}, {{2, 3, 4}, {2, 4, 3}, {2, 3}}},
};

static void test_values(void)
{
    l2_dtype dts[2] = {L2_FLOAT64, L2_FLOAT32};
    for (size_t c = 0; c < sizeof VCASES / sizeof VCASES[0]; c++) {
        const vcase *v = &VCASES[c];
        for (int t = 0; t < 2; t++) {
            for (int di = 0; di < 2; di++) {
                int trans[3] = {t, t, t};
                l2_tensor *x[3] = {NULL}, *x64[3] = {NULL};
                make_ops(v->n, v->nd, v->sh, trans, dts[di], x);
                for (int i = 0; i < v->n; i++)
                    x64[i] = l2_to_dtype(x[i], L2_FLOAT64);
                l2_tensor *got = l2_einsum(v->eq, v->n, x);
                l2_tensor *ref = naive(v->eq, v->n, x64);
                double e = maxdiff(got, ref), tol = di == 0 ? 1e-12 : 1e-5;
                if (!ok(e <= tol, "%s %s%s matches the naive loops", v->eq,
                        l2_dtype_name(dts[di]), t ? " transposed" : ""))
                    printf("#   max diff %g (%s)\n", e, got ? "" : l2_last_error());
                ok(got && l2_dtype_of(got) == dts[di], "%s keeps the dtype", v->eq);
                l2_tensor_release(got);
                l2_tensor_release(ref);
                for (int i = 0; i < v->n; i++) {
                    l2_tensor_release(x[i]);
                    l2_tensor_release(x64[i]);
                }
            }
        }
    }
}

/* Implicit outputs and ellipses against explicit letters-only equations on the same operands. */
typedef struct {
    const char *eq, *same;
    int n, nd[2];
    int64_t sh[2][8];
    int64_t out[8];
    int ond;
} ecase;

static const ecase ECASES[] = {
    {"ij,jk", "ij,jk->ik", 2, {2, 2}, {{2, 3}, {3, 4}}, {2, 4}, 2},
    {"ba,Ab", "ba,Ab->Aa", 2, {2, 2}, {{2, 3}, {3, 2}}, {3, 3}, 2},
    {"ii", "ii->", 1, {2}, {{3, 3}}, {0}, 0},
    {"bA", "bA->Ab", 1, {2}, {{2, 3}}, {3, 2}, 2},
    {"...ij,...jk->...ik", "zij,zjk->zik", 2, {3, 3}, {{4, 2, 3}, {4, 3, 2}}, {4, 2, 2}, 3},
    {"...ij,...jk", "zij,zjk->zik", 2, {3, 3}, {{4, 2, 3}, {1, 3, 2}}, {4, 2, 2}, 3},
    {"i...->...", "iyz->yz", 1, {3}, {{2, 3, 4}}, {3, 4}, 2},
    {"...ij->i...j", "yzij->iyzj", 1, {4}, {{2, 3, 2, 3}}, {2, 2, 3, 3}, 4},
    {"...ii->...i", "zii->zi", 1, {3}, {{2, 3, 3}}, {2, 3}, 2},
    {"ij...->ij", "ijz->ij", 1, {3}, {{2, 3, 4}}, {2, 3}, 2},
    {"...,...->...", "z,z->z", 2, {1, 1}, {{4}, {4}}, {4}, 1},
};

static void test_forms(void)
{
    for (size_t c = 0; c < sizeof ECASES / sizeof ECASES[0]; c++) {
        const ecase *v = &ECASES[c];
        l2_tensor *x[2] = {NULL};
        int64_t sh[2][8];
        memcpy(sh, v->sh, sizeof sh);
        make_ops(v->n, v->nd, (const int64_t(*)[8])sh, NULL, L2_FLOAT64, x);
        l2_tensor *a = l2_einsum(v->eq, v->n, x), *b = l2_einsum(v->same, v->n, x);
        if (!ok(same_shape(a, v->ond, v->out) && maxdiff(a, b) <= 1e-12, "%s equals %s", v->eq,
                v->same))
            printf("#   %s\n", a ? "values or shape" : l2_last_error());
        l2_tensor_release(a);
        l2_tensor_release(b);
        for (int i = 0; i < v->n; i++)
            l2_tensor_release(x[i]);
    }
    /* ellipsis broadcasting: (5,1,2,3) and (4,3,2) -> (5,4,2,2) */
    int64_t s1[4] = {5, 1, 2, 3}, s2[3] = {4, 3, 2}, so[4] = {5, 4, 2, 2};
    l2_tensor *x[2] = {l2_randn(4, s1, L2_FLOAT64), l2_randn(3, s2, L2_FLOAT64)};
    l2_tensor *r = l2_einsum("...ij,...jk->...ik", 2, x);
    l2_tensor *m = l2_matmul(x[0], x[1]);
    ok(same_shape(r, 4, so) && maxdiff(r, m) <= 1e-12, "ellipsis dims broadcast as matmul's");
    l2_tensor_release(r);
    l2_tensor_release(m);
    l2_tensor_release(x[0]);
    l2_tensor_release(x[1]);
    /* 0-d operands, empty equation */
    l2_tensor *s = l2_scalar(2.5, L2_FLOAT64);
    ok(itemr(l2_einsum("", 1, &s)) == 2.5, "\"\" of a 0-d operand");
    ok(itemr(l2_einsum("->", 1, &s)) == 2.5, "\"->\" of a 0-d operand");
    ok(itemr(l2_einsum("...", 1, &s)) == 2.5, "\"...\" of a 0-d operand");
    l2_tensor *ss[2] = {s, s};
    ok(itemr(l2_einsum(",->", 2, ss)) == 6.25, "\",->\" multiplies two 0-d operands");
    l2_tensor_release(s);
}

static void test_int_zero(void)
{
    int64_t sa[2] = {2, 3}, sb[2] = {3, 2};
    l2_tensor *x[2] = {ar(2, sa, L2_INT64), ar(2, sb, L2_INT64)};
    l2_tensor *r = l2_einsum("ij,jk->ik", 2, x);
    /* [[0,1,2],[3,4,5]] @ [[0,1],[2,3],[4,5]] = [[10,13],[28,40]] */
    int64_t i00[2] = {0, 0}, i11[2] = {1, 1};
    ok(r && l2_dtype_of(r) == L2_INT64 && at(r, i00) == 10 && at(r, i11) == 40, "int64 einsum");
    l2_tensor_release(r);
    l2_tensor_release(x[0]);
    l2_tensor_release(x[1]);

    int64_t z1[2] = {2, 0}, z2[2] = {0, 3}, zo[2] = {2, 3};
    l2_tensor *z[2] = {l2_randn(2, z1, L2_FLOAT32), l2_randn(2, z2, L2_FLOAT32)};
    r = l2_einsum("ij,jk->ik", 2, z);
    ok(same_shape(r, 2, zo) && maxdiff(r, r) == 0 && flat(r, 0) == 0 && flat(r, 5) == 0,
       "a contraction over 0 elements gives zeros");
    l2_tensor_release(r);
    r = l2_einsum("ij,jk", 2, z);
    ok(same_shape(r, 2, zo), "implicit form, size 0");
    l2_tensor_release(r);
    r = l2_einsum("ij->j", 1, z);
    int64_t o0[1] = {0};
    ok(same_shape(r, 1, o0), "a size-0 output");
    l2_tensor_release(r);
    l2_tensor_release(z[0]);
    l2_tensor_release(z[1]);
}

/* ---- gradients ---------------------------------------------------------------------------- */

typedef struct {
    const char *eq;
    int trans; /* operand 0 given as a transposed view */
} gctx;

static l2_tensor *g_fn(l2_tensor *const *in, void *vc)
{
    const gctx *c = vc;
    int n = 0;
    for (const char *p = c->eq; *p && !(p[0] == '-' && p[1] == '>'); p++)
        n += *p == ',';
    n++;
    l2_tensor *ops[3];
    for (int i = 0; i < n; i++)
        ops[i] = in[i];
    l2_tensor *tv = NULL;
    if (c->trans) {
        tv = l2_transpose(in[0], 0, l2_ndim(in[0]) - 1);
        ops[0] = tv;
    }
    l2_tensor *r = l2_einsum(c->eq, n, ops);
    l2_tensor_release(tv);
    return r;
}

static void test_grads(void)
{
    struct {
        gctx c;
        int n, nd[3];
        int64_t sh[3][4];
    } G[] = {
        {{"ij,jk->ik", 0}, 2, {2, 2}, {{3, 4}, {4, 2}}},
        {{"ij,jk->ik", 1}, 2, {2, 2}, {{4, 3}, {4, 2}}},
        {{"bij,bjk->bik", 0}, 2, {3, 3}, {{2, 3, 2}, {2, 2, 3}}},
        {{"ii->i", 0}, 1, {2}, {{3, 3}}},
        {{"ii", 0}, 1, {2}, {{3, 3}}},
        {{"iji,jk->kj", 0}, 2, {3, 2}, {{3, 2, 3}, {2, 2}}},
        {{"...ij,...jk", 0}, 2, {3, 3}, {{2, 2, 3}, {1, 3, 2}}},
        {{"ij,ij->ij", 0}, 2, {2, 2}, {{2, 1}, {1, 3}}},
        {{"ijk,jkl,lm->im", 0}, 3, {3, 3, 2}, {{2, 2, 3}, {2, 3, 2}, {2, 2}}},
        {{"ab,bc,ca->", 0}, 3, {2, 2, 2}, {{2, 3}, {3, 2}, {2, 2}}},
        {{"i,j->ij", 0}, 2, {1, 1}, {{3}, {2}}},
        {{"ij->", 0}, 1, {2}, {{3, 2}}},
    };
    for (size_t k = 0; k < sizeof G / sizeof G[0]; k++) {
        l2_tensor *in[3] = {NULL};
        for (int i = 0; i < G[k].n; i++) {
            in[i] = l2_randn(G[k].nd[i], G[k].sh[i], L2_FLOAT64);
            l2_set_requires_grad(in[i], true);
        }
        ok(gradcheck(G[k].c.eq, g_fn, G[k].n, in, &G[k].c), "gradcheck %s%s", G[k].c.eq,
           G[k].c.trans ? " (transposed operand)" : "");
        for (int i = 0; i < G[k].n; i++)
            l2_tensor_release(in[i]);
    }
}

/* ---- errors ------------------------------------------------------------------------------- */

static void test_errors(void)
{
    int64_t s23[2] = {2, 3}, s34[2] = {3, 4}, s45[2] = {4, 5}, s33[2] = {3, 3}, s3[1] = {3};
    l2_tensor *a = l2_randn(2, s23, L2_FLOAT32), *b = l2_randn(2, s34, L2_FLOAT32);
    l2_tensor *c = l2_randn(2, s45, L2_FLOAT32), *sq = l2_randn(2, s33, L2_FLOAT32);
    l2_tensor *d = l2_randn(2, s34, L2_FLOAT64), *v = l2_randn(1, s3, L2_FLOAT32);
    l2_tensor *bo = l2_zeros(2, s34, L2_BOOL), *sqb = l2_zeros(2, s33, L2_BOOL);
    l2_tensor *ab[2] = {a, b}, *ac[2] = {a, c}, *ad[2] = {a, d}, *vv[2] = {v, v};
    l2_tensor *anull[2] = {a, NULL}, *bb[2] = {sqb, sqb};
    int64_t s34b[2] = {3, 4};
    l2_tensor *r34 = l2_randn(2, s34b, L2_FLOAT32);
    l2_tensor *rect[1] = {r34};
    (void)bo;

    is_err(l2_einsum(NULL, 2, ab), L2_ERR_NULL, "equation", "NULL equation");
    is_err(l2_einsum("ij,jk", 2, NULL), L2_ERR_NULL, "operands", "NULL operands");
    is_err(l2_einsum("ij,jk", 2, anull), L2_ERR_NULL, "operand 1 is NULL", "NULL operand");
    is_err(l2_einsum("ij", 0, ab), L2_ERR_ARG, "at least one operand", "no operands");
    is_err(l2_einsum("ij,jk", 2, ad), L2_ERR_DTYPE, "expected scalar type float32",
           "mixed dtypes");
    is_err(l2_einsum("ij,jk", 2, bb), L2_ERR_DTYPE, "bool", "bool operands");
    is_err(l2_einsum("ij,jk", 2, ac), L2_ERR_SHAPE,
           "subscript j has size 4 for operand 1 which does not broadcast with previously seen "
           "size 3", "mismatched sizes of one letter");
    is_err(l2_einsum("ii", 1, rect), L2_ERR_SHAPE,
           "subscript i is repeated for operand 0 but the sizes don't match, 4 != 3",
           "repeated letter on dims of different sizes");
    is_err(l2_einsum("ij->jj", 1, &sq), L2_ERR_ARG, "output subscript j appears more than once",
           "repeated output letter");
    is_err(l2_einsum("ij->k", 1, &sq), L2_ERR_ARG,
           "output subscript k does not appear in the equation", "output letter not in input");
    is_err(l2_einsum("ijk", 1, &sq), L2_ERR_SHAPE,
           "number of subscripts in the equation (3) does not match the number of dimensions (2)",
           "too many letters for the rank");
    is_err(l2_einsum("i", 1, &sq), L2_ERR_SHAPE, "does not match the number of dimensions",
           "too few letters for the rank");
    is_err(l2_einsum("ijk...", 1, &sq), L2_ERR_SHAPE, "(3) is more than the number of dim",
           "more letters than dims with an ellipsis");
    is_err(l2_einsum("abcdefghijk", 1, &sq), L2_ERR_SHAPE,
           "subscripts in the equation (11) does not match", "many letters for a 2-d operand");
    is_err(l2_einsum("i$", 1, &sq), L2_ERR_ARG, "invalid subscript given at index 1",
           "invalid character");
    is_err(l2_einsum("ij->i->j", 1, &sq), L2_ERR_ARG, "invalid subscript given at index 5",
           "a second arrow");
    is_err(l2_einsum("ij->i$", 1, &sq), L2_ERR_ARG, "invalid subscript given at index 5",
           "invalid character in the output");
    is_err(l2_einsum("i..j", 1, &sq), L2_ERR_ARG, "not part of any ellipsis", "two dots");
    is_err(l2_einsum("...i...", 1, &sq), L2_ERR_ARG, "an ellipsis was already found",
           "two ellipses");
    is_err(l2_einsum("ij->...i...", 1, &sq), L2_ERR_ARG, "ellipsis (...) was already found",
           "two ellipses in the output");
    is_err(l2_einsum("ij->i.", 1, &sq), L2_ERR_ARG, "output that is not part of any ellipsis",
           "a dot in the output");
    is_err(l2_einsum("ij,jk", 1, ab), L2_ERR_ARG, "fewer operands", "fewer operands");
    is_err(l2_einsum("ij", 2, ab), L2_ERR_ARG, "more operands", "more operands");
    l2_tensor *ec[2] = {a, c}, *v4 = l2_randn(1, (int64_t[]){4}, L2_FLOAT32), *vv4[2] = {v, v4};
    is_err(l2_einsum("...i,...i", 2, ec), L2_ERR_SHAPE, "covered by ellipsis",
           "ellipsis dims that do not broadcast");
    is_err(l2_einsum("i,i", 2, vv4), L2_ERR_SHAPE, "subscript i has size 4",
           "vectors of different lengths");
    l2_tensor_release(v4);
    /* departure: more than L2_MAX_DIMS distinct letters */
    l2_tensor *nine[9];
    for (int i = 0; i < 9; i++)
        nine[i] = v;
    is_err(l2_einsum("a,b,c,d,e,f,g,h,i", 9, nine), L2_ERR_ARG, "L2_MAX_DIMS",
           "nine distinct letters");
    l2_tensor *ok8 = l2_einsum("a,a,a,a,a,a,a,a,a->", 9, nine);
    ok(ok8 != NULL, "nine operands sharing one letter");
    l2_tensor_release(ok8);
    (void)vv;

    l2_tensor *all[] = {a, b, c, sq, d, v, bo, sqb, r34};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);
}

/* ---- tensordot and linalg.cross -------------------------------------------------------------- */

static l2_tensor *td_fn(l2_tensor *const *in, void *ctx)
{
    int mode = *(const int *)ctx;
    if (mode == 0)
        return l2_tensordot(in[0], in[1], 2, (const int[]){-1, 0}, 2, (const int[]){1, 0});
    if (mode == 1)
        return l2_tensordot_n(in[0], in[1], 2);
    if (mode == 2) /* a size-1 dim against 4: summed first */
        return l2_tensordot(in[0], in[1], 1, (const int[]){1}, 1, (const int[]){0});
    if (mode == 3)
        return l2_linalg_cross(in[0], in[1], -1);
    l2_tensor *t = l2_transpose(in[0], 0, 1); /* dim 0 of a transposed (3,4): broadcast b */
    l2_tensor *r = l2_linalg_cross(t, in[1], 0);
    l2_tensor_release(t);
    return r;
}

static void test_tensordot_cross(void)
{
    /* tensordot against einsum */
    int64_t sa[3] = {2, 3, 4}, sb[3] = {3, 4, 5}, sc[3] = {4, 3, 5};
    l2_tensor *a = l2_randn(3, sa, L2_FLOAT64), *b = l2_randn(3, sb, L2_FLOAT64);
    l2_tensor *c = l2_randn(3, sc, L2_FLOAT64);
    l2_tensor *ab[2] = {a, b}, *ac[2] = {a, c};
    l2_tensor *r = l2_tensordot_n(a, b, 2), *e = l2_einsum("ijk,jkl->il", 2, ab);
    ok(maxdiff(r, e) <= 1e-12, "tensordot_n 2 equals einsum ijk,jkl->il");
    l2_tensor_release(r), l2_tensor_release(e);
    r = l2_tensordot(a, c, 2, (const int[]){-1, 1}, 2, (const int[]){0, 1});
    e = l2_einsum("ijk,kjl->il", 2, ac);
    ok(maxdiff(r, e) <= 1e-12, "tensordot with lists in another order equals einsum");
    l2_tensor_release(r), l2_tensor_release(e);
    r = l2_tensordot_n(a, b, 0);
    e = l2_einsum("ijk,lmn->ijklmn", 2, ab);
    ok(maxdiff(r, e) <= 1e-12, "tensordot_n 0 is the outer product");
    l2_tensor_release(r), l2_tensor_release(e);
    int64_t s31[2] = {3, 1}, s45[2] = {4, 5}, so[2] = {3, 5};
    l2_tensor *p = l2_randn(2, s31, L2_FLOAT32), *q = l2_randn(2, s45, L2_FLOAT32);
    r = l2_tensordot(p, q, 1, (const int[]){1}, 1, (const int[]){0});
    ok(same_shape(r, 2, so), "a size-1 contracted dim broadcasts (3,1).(4,5) -> (3,5)");
    l2_tensor_release(r);
    /* errors */
    is_err(l2_tensordot_n(a, b, -1), L2_ERR_ARG, "expects dims >= 0", "tensordot dims -1");
    is_err(l2_tensordot_n(a, b, 4), L2_ERR_DIM, "out of range", "tensordot dims 4 on rank 3");
    is_err(l2_tensordot_n(a, b, 3), L2_ERR_SHAPE, "first has size 2 in dim -3 and second has size"
           " 3 in dim 0", "tensordot dims 3: sizes");
    is_err(l2_tensordot(a, b, 1, (const int[]){1}, 2, (const int[]){0, 1}), L2_ERR_SHAPE,
           "same length", "tensordot lists of different lengths");
    is_err(l2_tensordot(a, b, 2, (const int[]){2, 1}, 2, (const int[]){0, 1}), L2_ERR_SHAPE,
           "first has size 4 in dim 2 and second has size 3 in dim 0", "tensordot sizes");
    is_err(l2_tensordot(a, b, 2, (const int[]){1, 1}, 2, (const int[]){0, 0}), L2_ERR_DIM,
           "appears multiple times", "tensordot repeated dim");
    is_err(l2_tensordot(a, b, 1, (const int[]){5}, 1, (const int[]){0}), L2_ERR_DIM,
           "out of range", "tensordot dim out of range");
    is_err(l2_tensordot(a, b, 1, NULL, 1, (const int[]){0}), L2_ERR_NULL, "NULL",
           "tensordot NULL list");
    is_err(l2_tensordot(p, c, 0, NULL, 0, NULL), L2_ERR_DTYPE, "expected scalar type",
           "tensordot mixed dtypes");
    l2_tensor *s0 = l2_scalar(2, L2_FLOAT64);
    is_err(l2_tensordot_n(s0, s0, 1), L2_ERR_DIM, "Dimension", "tensordot_n 1 of 0-d");
    ok(itemr(l2_tensordot_n(s0, s0, 0)) == 4, "tensordot_n 0 of 0-d tensors");

    /* cross: e_x x e_y = e_z, and against the formula */
    double x3[3] = {1, 0, 0}, y3[3] = {0, 1, 0}, z3[3] = {0, 0, 1};
    l2_tensor *ex = vec1d(3, x3, L2_FLOAT64), *ey = vec1d(3, y3, L2_FLOAT64);
    r = l2_linalg_cross(ex, ey, 0);
    ok(holds(r, 3, z3), "cross(e_x, e_y) = e_z");
    l2_tensor_release(r);
    double u[3] = {1, 2, 3}, v[3] = {-4, 5, 0.5}, w[3] = {2 * 0.5 - 3 * 5, 3 * -4 - 1 * 0.5,
                                                         1 * 5 - 2 * -4};
    l2_tensor *tu = vec1d(3, u, L2_FLOAT32), *tv = vec1d(3, v, L2_FLOAT32);
    r = l2_linalg_cross(tu, tv, -1);
    ok(holds(r, 3, w), "cross of (1,2,3) and (-4,5,0.5), float32");
    l2_tensor_release(r);
    int64_t s43[2] = {4, 3}, s13[2] = {1, 3}, s42[2] = {4, 2}, s53[2] = {5, 3};
    l2_tensor *m = l2_randn(2, s43, L2_FLOAT32), *m1 = l2_randn(2, s13, L2_FLOAT32);
    l2_tensor *m2 = l2_randn(2, s42, L2_FLOAT32), *m5 = l2_randn(2, s53, L2_FLOAT32);
    l2_tensor *md = l2_randn(2, s43, L2_FLOAT64);
    r = l2_linalg_cross(m, m1, 1);
    ok(same_shape(r, 2, s43), "cross broadcasts (4,3) x (1,3)");
    l2_tensor_release(r);
    is_err(l2_linalg_cross(m, m2, -1), L2_ERR_SHAPE, "must have length 3. Got 3 and 2",
           "cross of a size-2 dim");
    is_err(l2_linalg_cross(m, m5, -1), L2_ERR_SHAPE, "", "cross shapes that do not broadcast");
    is_err(l2_linalg_cross(m, ex, -1), L2_ERR_SHAPE, "same number of dimensions",
           "cross of different ranks");
    is_err(l2_linalg_cross(m, m1, 2), L2_ERR_DIM, "", "cross dim out of range");
    is_err(l2_linalg_cross(s0, s0, -1), L2_ERR_DIM, "no dimensions", "cross of 0-d tensors");
    is_err(l2_linalg_cross(m, md, -1), L2_ERR_DTYPE, "expected scalar type", "cross dtypes");
    is_err(l2_linalg_cross(NULL, m, -1), L2_ERR_NULL, "", "cross NULL");
    l2_tensor *all[] = {a, b, c, p, q, s0, ex, ey, tu, tv, m, m1, m2, m5, md};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);

    /* gradients */
    struct {
        int mode, nd[2];
        int64_t sh[2][3];
        const char *name;
    } G[] = {
        {0, {3, 3}, {{2, 3, 4}, {2, 4, 3}}, "tensordot lists"},
        {1, {3, 3}, {{2, 3, 4}, {3, 4, 2}}, "tensordot_n"},
        {2, {2, 2}, {{3, 1}, {4, 2}}, "tensordot size-1 pair"},
        {3, {2, 2}, {{4, 3}, {1, 3}}, "linalg_cross broadcast"},
        {4, {2, 2}, {{4, 3}, {3, 1}}, "linalg_cross transposed, dim 0"},
    };
    for (size_t k = 0; k < sizeof G / sizeof G[0]; k++) {
        l2_tensor *in[2];
        for (int i = 0; i < 2; i++) {
            in[i] = l2_randn(G[k].nd[i], G[k].sh[i], L2_FLOAT64);
            l2_set_requires_grad(in[i], true);
        }
        ok(gradcheck(G[k].name, td_fn, 2, in, &G[k].mode), "gradcheck %s", G[k].name);
        l2_tensor_release(in[0]);
        l2_tensor_release(in[1]);
    }
}

static l2_tensor *oom_fn(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_einsum("ijk,jkl,lm->im", 3, in);
}

int main(void)
{
    l2_manual_seed(15);
    test_values();
    test_forms();
    test_int_zero();
    test_grads();
    test_errors();
    test_tensordot_cross();
    int64_t s1[3] = {2, 3, 2}, s2[3] = {3, 2, 2}, s3[2] = {2, 3};
    l2_tensor *in[3] = {l2_randn(3, s1, L2_FLOAT64), l2_randn(3, s2, L2_FLOAT64),
                        l2_randn(2, s3, L2_FLOAT64)};
    for (int i = 0; i < 3; i++)
        l2_set_requires_grad(in[i], true);
    oom_check("einsum ijk,jkl,lm->im", oom_fn, 3, in, NULL);
    for (int i = 0; i < 3; i++)
        l2_tensor_release(in[i]);
    ok(l2_live_tensors() == 0, "no tensor leaked (%lld live)", (long long)l2_live_tensors());
    return tap_done();
}
