/* einsum.c: torch.einsum composed of libl2's differentiable ops (diagonal, movedim, unsqueeze,
 * permute, sum_dims, reshape, bmm), so its gradient comes from autograd. The equation is parsed
 * and every operand's sizes checked before any op runs (all-or-nothing). Operands are aligned
 * to one common layout (output dims first, then the contracted ones), then contracted left to
 * right as torch 1.13 does without opt_einsum; each pair contraction is one bmm. Not here:
 * contraction-order optimisation (opt_einsum's paths). */
#include "../autograd-impl.h"
#include "../l2-impl.h"

#include <inttypes.h>

#define E_LETTERS 52        /* 'A'..'Z' are 0..25, 'a'..'z' 26..51 (torch's order) */
#define E_ELLIPSIS E_LETTERS

static int e_sub(unsigned char c) { return c <= 'Z' ? c - 'A' : c - 'a' + 26; }
static char e_chr(int s) { return (char)(s < 26 ? 'A' + s : 'a' + s - 26); }
static bool e_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* The parsed equation and the aligned layout: every operand becomes a tensor of rank `rank`
 * whose dim k holds label perm[k]'s sizes (1 where the operand lacks it); dims [0, nout) are
 * the output's, in the output's order. */
typedef struct {
    int rank, nout, ell_ndim, ell_index;
    int label_pos[E_LETTERS];  /* aligned dim of a label, -1 when unused */
    int64_t count[L2_MAX_DIMS]; /* operands with size != 1 at each aligned dim */
} e_plan;

/* Labels of one operand: E_ELLIPSIS or 0..51. n counts them all; only the first
 * L2_MAX_DIMS + 1 are stored (more than that is refused as more labels than dims). */
typedef struct {
    unsigned char lab[L2_MAX_DIMS + 1];
    int n;
} e_term;

/* Parse and check, in torch 1.13's order; fills terms (n of them) and the plan. Returns 0, or -1
 * with the error set. */
static int e_parse(const char *op, const char *eq, int n, l2_tensor *const *x, e_term *terms,
                   e_plan *p)
{
    const char *arrow = strstr(eq, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : strlen(eq);
    int cur = 0;
    bool ell = false;
    for (int i = 0; i < n; i++)
        terms[i].n = 0;
    for (size_t i = 0; i < lhs_len; i++) {
        unsigned char c = (unsigned char)eq[i];
        if (c == ' ')
            continue;
        if (c == '.') {
            L2__CHECK(!ell, -1, L2_ERR_ARG,
                      "%s: found '.' for operand %d for which an ellipsis was already found", op,
                      cur);
            L2__CHECK(i + 2 < lhs_len && eq[i + 1] == '.' && eq[i + 2] == '.', -1, L2_ERR_ARG,
                      "%s: found '.' for operand %d that is not part of any ellipsis", op, cur);
            i += 2;
            c = E_ELLIPSIS;
            ell = true;
        } else if (c == ',') {
            cur++;
            L2__CHECK(cur < n, -1, L2_ERR_ARG,
                      "%s: fewer operands were provided (%d) than specified in the equation", op,
                      n);
            ell = false;
            continue;
        } else {
            L2__CHECK(e_alpha(c), -1, L2_ERR_ARG,
                      "%s: invalid subscript given at index %zu in the equation string, "
                      "subscripts must be in [a-zA-Z]", op, i);
            c = (unsigned char)e_sub(c);
        }
        if (terms[cur].n <= L2_MAX_DIMS)
            terms[cur].lab[terms[cur].n] = c;
        terms[cur].n++;
    }
    L2__CHECK(cur == n - 1, -1, L2_ERR_ARG,
              "%s: more operands were provided (%d) than specified in the equation", op, n);

    int label_count[E_LETTERS] = {0};
    p->ell_ndim = 0;
    for (int i = 0; i < n; i++) {
        int nl = terms[i].n, nd = x[i]->ndim;
        bool has_ell = false;
        for (int k = 0; k < terms[i].n && k <= L2_MAX_DIMS; k++) {
            if (terms[i].lab[k] == E_ELLIPSIS)
                has_ell = true, nl--;
            else
                label_count[terms[i].lab[k]]++;
        }
        if (has_ell && nd - nl > p->ell_ndim)
            p->ell_ndim = nd - nl;
        L2__CHECK(has_ell ? nl <= nd : nl == nd, -1, L2_ERR_SHAPE,
                  "%s: the number of subscripts in the equation (%d) %s the number of dimensions "
                  "(%d) for operand %d%s", op, nl, has_ell ? "is more than" : "does not match",
                  nd, i, has_ell ? "" : " and no ellipsis was given");
    }

    for (int s = 0; s < E_LETTERS; s++)
        p->label_pos[s] = -1;
    int pos = 0;
    bool ell_out = false;
    p->ell_index = 0;
    if (!arrow) { /* implicit output: the ellipsis dims, then the labels seen once, sorted */
        pos = p->ell_ndim;
        ell_out = true;
        for (int s = 0; s < E_LETTERS; s++)
            if (label_count[s] == 1)
                p->label_pos[s] = pos++;
    } else {
        const char *rhs = arrow + 2;
        size_t rlen = strlen(rhs);
        for (size_t i = 0; i < rlen; i++) {
            unsigned char c = (unsigned char)rhs[i];
            if (c == ' ')
                continue;
            if (c == '.') {
                L2__CHECK(!ell_out, -1, L2_ERR_ARG,
                          "%s: found '.' for output but an ellipsis (...) was already found", op);
                L2__CHECK(i + 2 < rlen && rhs[i + 1] == '.' && rhs[i + 2] == '.', -1,
                          L2_ERR_ARG, "%s: found '.' for output that is not part of any "
                          "ellipsis (...)", op);
                i += 2;
                p->ell_index = pos;
                pos += p->ell_ndim;
                ell_out = true;
                continue;
            }
            L2__CHECK(e_alpha(c), -1, L2_ERR_ARG,
                      "%s: invalid subscript given at index %zu in the equation string, "
                      "subscripts must be in [a-zA-Z]", op, lhs_len + 2 + i);
            int s = e_sub(c);
            L2__CHECK(label_count[s] > 0, -1, L2_ERR_ARG,
                      "%s: output subscript %c does not appear in the equation for any input "
                      "operand", op, c);
            L2__CHECK(p->label_pos[s] == -1, -1, L2_ERR_ARG,
                      "%s: output subscript %c appears more than once in the output", op, c);
            L2__CHECK(pos < L2_MAX_DIMS, -1, L2_ERR_ARG,
                      "%s: the output would have more than L2_MAX_DIMS (%d) dims", op,
                      L2_MAX_DIMS);
            p->label_pos[s] = pos++;
        }
    }
    p->nout = pos;
    if (!ell_out) {
        p->ell_index = pos;
        pos += p->ell_ndim;
    }
    for (int s = 0; s < E_LETTERS; s++)
        if (label_count[s] > 0 && p->label_pos[s] == -1)
            p->label_pos[s] = pos++;
    /* libl2's departure: the aligned layout needs one dim per label and ellipsis dim */
    L2__CHECK(pos <= L2_MAX_DIMS, -1, L2_ERR_ARG,
              "%s: %d distinct subscripts and ellipsis dims; libl2 supports at most L2_MAX_DIMS "
              "(%d)", op, pos, L2_MAX_DIMS);
    p->rank = pos;

    /* sizes: each label (and ellipsis dim) has one size != 1 across the operands; a repeated
     * label within an operand needs equal sizes */
    int64_t label_size[E_LETTERS], ell_size[L2_MAX_DIMS];
    for (int s = 0; s < E_LETTERS; s++)
        label_size[s] = 1;
    for (int k = 0; k < L2_MAX_DIMS; k++)
        ell_size[k] = 1, p->count[k] = 0;
    for (int i = 0; i < n; i++) {
        const int64_t *sh = x[i]->shape;
        int first[E_LETTERS], dim = 0;
        for (int s = 0; s < E_LETTERS; s++)
            first[s] = -1;
        for (int k = 0; k < terms[i].n; k++) {
            int s = terms[i].lab[k];
            if (s == E_ELLIPSIS) {
                int ne = x[i]->ndim - (terms[i].n - 1);
                for (int j = p->ell_ndim - ne; j < p->ell_ndim; j++, dim++) {
                    if (sh[dim] == 1)
                        continue;
                    L2__CHECK(ell_size[j] == 1 || ell_size[j] == sh[dim], -1, L2_ERR_SHAPE,
                              "%s: dimension %d covered by ellipsis in operand %d has size %" PRId64
                              " which does not broadcast with previously seen ellipsis with size "
                              "%" PRId64 " for the respective dimension", op, dim, i, sh[dim],
                              ell_size[j]);
                    ell_size[j] = sh[dim];
                    p->count[p->ell_index + j]++;
                }
            } else if (first[s] < 0) {
                if (sh[dim] != 1) {
                    L2__CHECK(label_size[s] == 1 || label_size[s] == sh[dim], -1, L2_ERR_SHAPE,
                              "%s: subscript %c has size %" PRId64 " for operand %d which does "
                              "not broadcast with previously seen size %" PRId64, op, e_chr(s),
                              sh[dim], i, label_size[s]);
                    label_size[s] = sh[dim];
                    p->count[p->label_pos[s]]++;
                }
                first[s] = dim++;
            } else {
                L2__CHECK(sh[dim] == sh[first[s]], -1, L2_ERR_SHAPE,
                          "%s: subscript %c is repeated for operand %d but the sizes don't "
                          "match, %" PRId64 " != %" PRId64, op, e_chr(s), i, sh[dim],
                          sh[first[s]]);
                dim++;
            }
        }
    }
    return 0;
}

/* Operand i aligned to the plan's layout: diagonals of repeated labels, unsqueezed missing dims,
 * permuted. A new tensor (a view of x) or NULL. */
static l2_tensor *e_align(const e_plan *p, const e_term *tm, const l2_tensor *x)
{
    int where[L2_MAX_DIMS]; /* aligned dim -> dim of the working tensor, -1 if missing */
    for (int k = 0; k < p->rank; k++)
        where[k] = -1;
    l2_tensor *t = l2_tensor_ref((l2_tensor *)x);
    int dim = 0;
    for (int k = 0; k < tm->n && t; k++) {
        int s = tm->lab[k];
        if (s == E_ELLIPSIS) {
            int ne = x->ndim - (tm->n - 1);
            for (int j = p->ell_ndim - ne; j < p->ell_ndim; j++)
                where[p->ell_index + j] = dim++;
        } else if (where[p->label_pos[s]] < 0) {
            where[p->label_pos[s]] = dim++;
        } else { /* repeated: the diagonal replaces the first occurrence, dim disappears */
            int prev = where[p->label_pos[s]];
            l2_tensor *d = l2_diagonal(t, 0, prev, dim);
            int from = -1;
            l2_tensor *m = d ? l2_movedim(d, 1, &from, &prev) : NULL;
            l2_tensor_release(d);
            l2_tensor_release(t);
            t = m;
        }
    }
    for (int k = 0; k < p->rank && t; k++) {
        if (where[k] >= 0)
            continue;
        l2_tensor *u = l2_unsqueeze(t, dim);
        l2_tensor_release(t);
        t = u;
        where[k] = dim++;
    }
    if (!t)
        return NULL;
    l2_tensor *r = l2_permute(t, where);
    l2_tensor_release(t);
    return r;
}

/* Sum a over dims (keepdim); a itself (one more reference) when there are none. */
static l2_tensor *e_sum_keep(l2_tensor *a, int nd, const int *dims)
{
    if (nd == 0) {
        l2_tensor_ref(a);
        return a;
    }
    return l2_sum_dims(a, nd, dims, true);
}

/* a and b aligned (rank R, broadcastable: at each dim equal sizes or one of them 1); sum over the
 * dims in `sum` (both sizes != 1), keeping them with size 1. One bmm:
 * a (batch, lo, sum) -> (B, M, K), b (batch, sum, ro) -> (B, K, N). */
static l2_tensor *e_pair(const l2_tensor *a, const l2_tensor *b, const bool *sum)
{
    int R = a->ndim;
    bool any = false;
    for (int d = 0; d < R; d++)
        any = any || sum[d];
    if (!any) /* nothing to sum: a broadcast product (with l2_mul's type promotion), as torch */
        return l2_mul(a, b);
    int bat[L2_MAX_DIMS], lo[L2_MAX_DIMS], ro[L2_MAX_DIMS], sm[L2_MAX_DIMS], rest[L2_MAX_DIMS];
    int nb = 0, nl = 0, nr = 0, ns = 0, nrest = 0;
    int64_t B = 1, M = 1, N = 1, K = 1;
    for (int d = 0; d < R; d++) {
        int64_t sa = a->shape[d], sb = b->shape[d];
        if (sum[d])
            sm[ns++] = d, K *= sa;
        else if (sa != 1 && sb != 1)
            bat[nb++] = d, B *= sa;
        else if (sa != 1)
            lo[nl++] = d, M *= sa;
        else if (sb != 1)
            ro[nr++] = d, N *= sb;
        else
            rest[nrest++] = d;
    }
    /* a: batch, lo, sum, then the dims where a has size 1 (ro, rest); b: batch, sum, ro, then
     * lo, rest. The product's dims: batch, lo, ro, then sum and rest with size 1. */
    int pa[L2_MAX_DIMS], pb[L2_MAX_DIMS], po[L2_MAX_DIMS], k = 0;
    for (int i = 0; i < nb; i++) pa[k++] = bat[i];
    for (int i = 0; i < nl; i++) pa[k++] = lo[i];
    for (int i = 0; i < ns; i++) pa[k++] = sm[i];
    for (int i = 0; i < nr; i++) pa[k++] = ro[i];
    for (int i = 0; i < nrest; i++) pa[k++] = rest[i];
    k = 0;
    for (int i = 0; i < nb; i++) pb[k++] = bat[i];
    for (int i = 0; i < ns; i++) pb[k++] = sm[i];
    for (int i = 0; i < nr; i++) pb[k++] = ro[i];
    for (int i = 0; i < nl; i++) pb[k++] = lo[i];
    for (int i = 0; i < nrest; i++) pb[k++] = rest[i];
    k = 0;
    int64_t osh[L2_MAX_DIMS];
    for (int i = 0; i < nb; i++) po[k] = bat[i], osh[k++] = a->shape[bat[i]];
    for (int i = 0; i < nl; i++) po[k] = lo[i], osh[k++] = a->shape[lo[i]];
    for (int i = 0; i < nr; i++) po[k] = ro[i], osh[k++] = b->shape[ro[i]];
    for (int i = 0; i < ns; i++) po[k] = sm[i], osh[k++] = 1;
    for (int i = 0; i < nrest; i++) po[k] = rest[i], osh[k++] = 1;
    int inv[L2_MAX_DIMS];
    for (int i = 0; i < R; i++)
        inv[po[i]] = i;
    int64_t s3a[3] = {B, M, K}, s3b[3] = {B, K, N};
    l2_tensor *ap = l2_permute(a, pa);
    l2_tensor *a3 = ap ? l2_reshape(ap, 3, s3a) : NULL;
    l2_tensor *bp = a3 ? l2_permute(b, pb) : NULL;
    l2_tensor *b3 = bp ? l2_reshape(bp, 3, s3b) : NULL;
    l2_tensor *c = b3 ? l2_bmm(a3, b3) : NULL;
    l2_tensor *cr = c ? l2_reshape(c, R, osh) : NULL;
    l2_tensor *r = cr ? l2_permute(cr, inv) : NULL;
    l2_tensor *tmp[] = {ap, a3, bp, b3, c, cr};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
        l2_tensor_release(tmp[i]);
    return r;
}

l2_tensor *l2_einsum(const char *equation, int n, l2_tensor *const *operands)
{
    const char *op = "einsum";
    L2__CHECK(equation != NULL, NULL, L2_ERR_NULL, "%s: argument 'equation' is NULL", op);
    L2__CHECK(n >= 1, NULL, L2_ERR_ARG, "%s: must provide at least one operand (got %d)", op, n);
    L2__CHECK(operands != NULL, NULL, L2_ERR_NULL, "%s: argument 'operands' is NULL", op);
    for (int i = 0; i < n; i++) {
        L2__CHECK(operands[i] != NULL, NULL, L2_ERR_NULL, "%s: operand %d is NULL", op, i);
        L2__CHECK_TN(operands[i], NULL, op, "operands");
    }
    for (int i = 0; i < n; i++)
        L2__CHECK(operands[i]->dtype != L2_BOOL, NULL, L2_ERR_DTYPE,
                  "%s: bool operands are not supported (operand %d)", op, i);
    e_term *terms = l2__malloc((size_t)n * sizeof *terms, "einsum: subscripts");
    if (!terms)
        return NULL;
    e_plan p;
    if (e_parse(op, equation, n, operands, terms, &p) < 0) {
        l2__free(terms);
        return NULL;
    }

    l2__enter();
    int R = p.rank;
    l2_tensor *acc = e_align(&p, &terms[0], operands[0]);
    for (int i = 1; i < n && acc; i++) {
        l2_tensor *b = e_align(&p, &terms[i], operands[i]);
        if (!b) {
            l2_tensor_release(acc);
            acc = NULL;
            break;
        }
        /* torch's rule: a contracted dim is summed once no later operand has it (size != 1):
         * with both, in the product; with one, from that operand first */
        bool sum[L2_MAX_DIMS] = {false};
        int da[L2_MAX_DIMS], db[L2_MAX_DIMS], nda = 0, ndb = 0;
        for (int d = p.nout; d < R; d++) {
            int64_t sa = acc->shape[d], sb = b->shape[d];
            if (sa != 1 && sb != 1) {
                if (--p.count[d] == 1)
                    sum[d] = true, p.count[d] = 0;
            } else if (p.count[d] == 1) {
                if (sa != 1)
                    da[nda++] = d, p.count[d] = 0;
                else if (sb != 1)
                    db[ndb++] = d, p.count[d] = 0;
            }
        }
        l2_tensor *as = e_sum_keep(acc, nda, da);
        l2_tensor *bs = as ? e_sum_keep(b, ndb, db) : NULL;
        l2_tensor *c = bs ? e_pair(as, bs, sum) : NULL;
        l2_tensor_release(as);
        l2_tensor_release(bs);
        l2_tensor_release(b);
        l2_tensor_release(acc);
        acc = c;
    }
    l2_tensor *res = acc;
    if (acc && R > p.nout) {
        if (n > 1) { /* every contracted dim has size 1 now */
            res = l2_reshape(acc, p.nout, acc->shape);
        } else {
            int dims[L2_MAX_DIMS];
            for (int d = p.nout; d < R; d++)
                dims[d - p.nout] = d;
            res = l2_sum_dims(acc, R - p.nout, dims, false);
        }
        l2_tensor_release(acc);
    }
    l2__leave();
    l2__free(terms);
    return l2__ret(res);
}
