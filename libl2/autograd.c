/* autograd.c: grad mode, the tensor-level autograd API (requires_grad, grad, retain_grad...),
 * graph recording (nodes, edges, saved tensors) with its iterative node release, and the gradient
 * arithmetic the backward functions share (l2__sum_to). The engine is in autograd-engine.c. */
#include "autograd-impl.h"

#include <math.h>

const char *const l2__op_names[L2__OP_COUNT] = {
#define L2__OP_NAME(NAME, name, saves) #name,
    L2__OP_LIST(L2__OP_NAME)
#undef L2__OP_NAME
};
const l2__backward_fn l2__op_backward[L2__OP_COUNT] = {
#define L2__OP_BW(NAME, name, saves) l2__##name##_backward,
    L2__OP_LIST(L2__OP_BW)
#undef L2__OP_BW
};
const l2__backward_fn l2__op_backward_cg[L2__OP_COUNT] = {
#define L2__OP_CG(NAME, name) [L2__OP_##NAME] = l2__##name##_backward_cg,
    L2__CG_LIST(L2__OP_CG)
#undef L2__OP_CG
};
const bool l2__op_torch_saves[L2__OP_COUNT] = {
#define L2__OP_SAVES(NAME, name, saves) saves,
    L2__OP_LIST(L2__OP_SAVES)
#undef L2__OP_SAVES
};
_Static_assert(sizeof(l2__op_torch_saves) / sizeof(l2__op_torch_saves[0]) == L2__OP_COUNT,
               "every op needs its torch-saves flag");
_Static_assert(sizeof(l2__op_names) / sizeof(l2__op_names[0]) == L2__OP_COUNT,
               "every op needs a name");

/* ---- grad mode ---- */

static _Thread_local bool grad_enabled = true;
static _Thread_local int no_grad_depth = 0;
static _Thread_local bool saved_mode[64];

bool l2_is_grad_enabled(void) { return grad_enabled; }

bool l2_set_grad_enabled(bool enabled)
{
    bool prev = grad_enabled;
    grad_enabled = enabled;
    return prev;
}

void l2_no_grad_begin(void)
{
    if (no_grad_depth < 64)
        saved_mode[no_grad_depth] = grad_enabled;
    no_grad_depth++;
    grad_enabled = false;
}

void l2_no_grad_end(void)
{
    if (no_grad_depth == 0)
        return;
    no_grad_depth--;
    grad_enabled = no_grad_depth < 64 ? saved_mode[no_grad_depth] : false;
}

/* ---- tensor-level autograd API ---- */

l2_status l2_set_requires_grad(l2_tensor *t, bool requires_grad)
{
    L2__CHECK_T_ANY(t, l2_last_status(), "set_requires_grad");
    if (t->grad_fn) {
        L2__CHECK_ST(requires_grad, L2_ERR_AUTOGRAD,
                  "set_requires_grad: you can only change requires_grad flags of leaf variables "
                  "(use l2_detach)");
        return L2_OK;
    }
    L2__CHECK_ST(!requires_grad || l2__is_grad_dtype(t->dtype), L2_ERR_DTYPE,
              "set_requires_grad: only tensors of floating point dtype can require gradients "
              "(got %s)", l2_dtype_name(t->dtype));
    t->requires_grad = requires_grad;
    return L2_OK;
}

bool l2_requires_grad(const l2_tensor *t)
{
    L2__CHECK_T_ANY(t, false, "requires_grad");
    return t->requires_grad;
}
bool l2_is_leaf(const l2_tensor *t)
{
    L2__CHECK_T_ANY(t, false, "is_leaf");
    return !t->grad_fn;
}
l2_tensor *l2_grad(const l2_tensor *t)
{
    L2__CHECK_T_ANY(t, NULL, "grad");
    return t->grad;
}

const char *l2_grad_fn_name(const l2_tensor *t)
{
    L2__CHECK_T_ANY(t, NULL, "grad_fn_name");
    return t->grad_fn ? l2__op_names[t->grad_fn->op] : NULL;
}

l2_status l2_zero_grad(l2_tensor *t)
{
    L2__CHECK_T_ANY(t, l2_last_status(), "zero_grad");
    if (t->grad) {
        memset(t->grad->storage->data, 0,
               (size_t)l2__numel(t->grad->ndim, t->grad->shape) * l2__esize(t->grad->dtype));
        l2__bump_version(t->grad);
    }
    return L2_OK;
}

l2_status l2_set_grad_none(l2_tensor *t)
{
    L2__CHECK_T_ANY(t, l2_last_status(), "set_grad_none");
    l2_tensor_release(t->grad);
    t->grad = NULL;
    return L2_OK;
}

l2_status l2_retain_grad(l2_tensor *t)
{
    L2__CHECK_T_ANY(t, l2_last_status(), "retain_grad");
    L2__CHECK_ST(t->requires_grad, L2_ERR_AUTOGRAD,
              "retain_grad: can't retain_grad on a tensor that has requires_grad=False");
    if (t->grad_fn) {
        t->retains_grad = true;
        t->grad_fn->out_weak = t;
    }
    return L2_OK;
}

/* ---- recording ---- */

bool l2__needs_grad(int n, const l2_tensor *const *inputs)
{
    if (!grad_enabled)
        return false;
    for (int i = 0; i < n; i++)
        if (inputs[i] && inputs[i]->requires_grad)
            return true;
    return false;
}

/* A set of nodes (open addressing, at most half full) for graph_reaches_leaf. */
typedef struct {
    l2__node **v;
    int64_t cap, n;
} node_set;

/* Add nd; false if it was there already. */
static bool set_add(node_set *s, l2__node *nd)
{
    uint64_t mask = (uint64_t)s->cap - 1;
    uint64_t h = ((uint64_t)(uintptr_t)nd >> 4) * 0x9E3779B97F4A7C15u & mask;
    for (; s->v[h]; h = (h + 1) & mask)
        if (s->v[h] == nd)
            return false;
    s->v[h] = nd;
    s->n++;
    return true;
}

static l2_status set_grow(node_set *s)
{
    node_set g = {l2__calloc((size_t)(2 * s->cap) * sizeof *g.v, "in-place op"), 2 * s->cap, 0};
    if (!g.v)
        return L2_ERR_NOMEM;
    for (int64_t k = 0; k < s->cap; k++)
        if (s->v[k])
            set_add(&g, s->v[k]);
    l2__free(s->v);
    *s = g;
    return L2_OK;
}

/* Whether the graphs behind the n inputs hold an edge to the leaf t (recorded while t required
 * grad) or to a leaf whose .grad is t: a depth-first walk over the nodes. L2_ERR_NOMEM if it cannot allocate, else L2_OK with
 * *found set. */
static l2_status graph_reaches_leaf(int n, const l2_tensor *const *inputs, const l2_tensor *t,
                                    bool *found)
{
    node_set seen = {l2__calloc(64 * sizeof *seen.v, "in-place op"), 64, 0};
    int64_t scap = 64, ns = 0;
    l2__node **stack = l2__malloc((size_t)scap * sizeof *stack, "in-place op");
    l2_status st = seen.v && stack ? L2_OK : L2_ERR_NOMEM;
    *found = false;
    for (int i = 0; st == L2_OK && i < n; i++)
        if (inputs[i] && inputs[i]->grad_fn)
            stack[ns++] = inputs[i]->grad_fn;
    while (st == L2_OK && ns > 0 && !*found) {
        l2__node *nd = stack[--ns];
        if (!set_add(&seen, nd))
            continue;
        if (2 * seen.n > seen.cap && (st = set_grow(&seen)) != L2_OK)
            break;
        if (ns + L2__MAX_INPUTS > scap) {
            l2__node **bigger = l2__realloc(stack, (size_t)(2 * scap) * sizeof *stack,
                                            "in-place op");
            if (!bigger) {
                st = L2_ERR_NOMEM;
                break;
            }
            stack = bigger;
            scap *= 2;
        }
        for (int i = 0; i < nd->n_inputs; i++) {
            const l2_tensor *leaf = nd->next[i].leaf;
            *found |= leaf && (leaf == t || leaf->grad == t);
            if (nd->next[i].fn)
                stack[ns++] = nd->next[i].fn;
        }
    }
    l2__free(seen.v);
    l2__free(stack);
    return st;
}

l2__node *l2__record(l2__op op, l2_tensor *out, int n, const l2_tensor *const *inputs)
{
    /* An in-place op on a leaf that no longer requires grad but was recorded as an input while it
     * did, or on the .grad of a leaf the inputs were computed from: its new history would lead
     * back to itself, a reference cycle (torch allows this and leaks it). Only a tensor an edge
     * can reference (two or more references) or that was a .grad is walked for. */
    if (!out->grad_fn && (atomic_load(&out->refs) >= 2 || out->was_grad)) {
        bool found;
        if (graph_reaches_leaf(n, inputs, out, &found) != L2_OK)
            return NULL;
        L2__CHECK(!found, NULL, L2_ERR_AUTOGRAD,
                  "%s: the tensor written in place is a leaf, or a leaf's .grad, that this op's "
                  "inputs were computed from while it required grad; its history would contain "
                  "itself", l2__op_names[op]);
    }
    l2__node *node = l2__calloc(sizeof *node, l2__op_names[op]);
    if (!node)
        return NULL;
    atomic_init(&node->refs, 1);
    node->op = op;
    node->torch_saves = l2__op_torch_saves[op];
    node->n_inputs = n;
    for (int i = 0; i < n; i++) {
        const l2_tensor *in = inputs[i];
        if (!in)
            continue;
        node->in_ndim[i] = in->ndim;
        memcpy(node->in_shape[i], in->shape, sizeof(int64_t) * (size_t)in->ndim);
        node->in_dtype[i] = in->dtype;
        if (!in->requires_grad)
            continue;
        if (in->grad_fn) {
            node->next[i].fn = in->grad_fn;
            atomic_fetch_add(&in->grad_fn->refs, 1);
        } else {
            node->next[i].leaf = l2_tensor_ref((l2_tensor *)in);
        }
    }
    node->out_ndim = out->ndim;
    memcpy(node->out_shape, out->shape, sizeof(int64_t) * (size_t)out->ndim);
    node->out_dtype = out->dtype;
    if (out->grad_fn) /* in-place ops replace the history */
        l2__node_release(out->grad_fn);
    out->grad_fn = node;
    out->requires_grad = true;
    return node;
}

/* create_graph: remember where saved tensor k (t, saved by n whose output is out, or NULL when
 * not known yet) came from (autograd-impl.h). */
static void saved_source(l2__node *n, int k, const l2_tensor *t, const l2_tensor *out)
{
    if (!t->requires_grad)
        return;
    if (t == out || t->grad_fn == n) {
        n->saved_out[k] = true;
    } else if (t->grad_fn) {
        n->saved_fn[k] = t->grad_fn;
        atomic_fetch_add(&t->grad_fn->refs, 1);
    } else {
        n->saved_leaf[k] = l2_tensor_ref((l2_tensor *)t);
    }
}

l2_status l2__save(l2__node *n, const l2_tensor *t)
{
    l2_tensor *a = l2__alias(t, t->ndim, t->shape, t->stride, t->offset);
    if (!a)
        return L2_ERR_NOMEM;
    n->saved[n->n_saved] = a;
    n->saved_version[n->n_saved] = atomic_load(&t->storage->version);
    saved_source(n, n->n_saved, t, NULL);
    n->n_saved++;
    return L2_OK;
}

l2__node *l2__record_save(l2__op op, l2_tensor *out, int n, const l2_tensor *const *inputs,
                          int nsave, const l2_tensor *const *save)
{
    /* Make the aliases first, so that a failure leaves out untouched. */
    l2_tensor *al[L2__MAX_SAVED] = {0};
    for (int i = 0; i < nsave; i++) {
        al[i] = l2__alias(save[i], save[i]->ndim, save[i]->shape, save[i]->stride,
                          save[i]->offset);
        if (!al[i])
            goto fail;
    }
    l2__node *node = l2__record(op, out, n, inputs);
    if (!node)
        goto fail;
    for (int i = 0; i < nsave; i++) {
        node->saved[i] = al[i];
        node->saved_version[i] = atomic_load(&save[i]->storage->version);
        saved_source(node, i, save[i], out);
    }
    node->n_saved = nsave;
    return node;
fail:
    for (int i = 0; i < nsave; i++)
        l2_tensor_release(al[i]);
    return NULL;
}

void l2__saved_from_input(l2__node *n, int k, int i)
{
    if (n->next[i].fn) {
        n->saved_fn[k] = n->next[i].fn;
        atomic_fetch_add(&n->next[i].fn->refs, 1);
    } else if (n->next[i].leaf) {
        n->saved_leaf[k] = l2_tensor_ref(n->next[i].leaf);
    }
}

l2_tensor *l2__saved_graph(l2__node *n, int k)
{
    l2_tensor *s = n->saved[k];
    if (n->saved_leaf[k])
        return l2_tensor_ref(n->saved_leaf[k]);
    if (!n->saved_fn[k] && !n->saved_out[k])
        return l2_tensor_ref(s);
    l2_tensor *a = l2__alias(s, s->ndim, s->shape, s->stride, s->offset);
    if (!a)
        return NULL;
    a->grad_fn = n->saved_out[k] ? n : n->saved_fn[k];
    atomic_fetch_add(&a->grad_fn->refs, 1);
    a->requires_grad = true;
    return a;
}

/* Free the node's saved tensors. As in torch, only a node that saved something is marked freed
 * (a later traversal through it fails); one that saved nothing can run again. */
void l2__node_free_saved(l2__node *n)
{
    if ((n->n_saved > 0 && !n->standins_only) || n->torch_saves)
        n->saved_freed = true;
    for (int i = 0; i < n->n_saved; i++) {
        l2_tensor_release(n->saved[i]);
        l2_tensor_release(n->saved_leaf[i]);
        l2__node_release(n->saved_fn[i]);
        n->saved[i] = n->saved_leaf[i] = NULL;
        n->saved_fn[i] = NULL;
        n->saved_out[i] = false;
    }
    n->n_saved = 0;
}

void l2__node_release(l2__node *n)
{
    /* Iterative: nodes whose count drops to zero are chained through free_next and freed one by
     * one, so that releasing a long chain uses no stack. */
    l2__node *stack = NULL;
    if (n && atomic_fetch_sub(&n->refs, 1) == 1) {
        n->free_next = stack;
        stack = n;
    }
    while (stack) {
        l2__node *cur = stack;
        stack = cur->free_next;
        for (int i = 0; i < cur->n_inputs; i++) {
            l2__node *f = cur->next[i].fn;
            if (f && atomic_fetch_sub(&f->refs, 1) == 1) {
                f->free_next = stack;
                stack = f;
            }
            l2_tensor_release(cur->next[i].leaf);
        }
        for (int i = 0; i < cur->n_saved; i++) { /* create_graph's sources, iteratively too */
            l2__node *f = cur->saved_fn[i];
            cur->saved_fn[i] = NULL;
            if (f && atomic_fetch_sub(&f->refs, 1) == 1) {
                f->free_next = stack;
                stack = f;
            }
        }
        l2__node_free_saved(cur);
        l2__free(cur->extra);
        l2__free(cur);
    }
}

/* ---- gradient arithmetic (float dtypes, same shape) ---- */

/* A contiguous copy with its own storage (gradients handed to .grad or returned). */
l2_tensor *l2__grad_copy(const l2_tensor *t, l2_dtype dt)
{
    l2__half_ok++; /* a bfloat16 / float16 tensor's gradient (issue 16) */
    l2_tensor *r = l2__new("backward", t->ndim, t->shape, dt, false);
    l2__half_ok--;
    if (r)
        l2__copy_kernel(r, t);
    return r;
}

static void acc_loop(int64_t n, char **p, const int64_t *s, void *ctx)
{
    /* p[0] is the float64 sum and p[1] its float64 compensation (both stride 0 along reduced
     * dims), p[2] the gradient. Neumaier's compensated sum: the error stays near an ulp however
     * many terms a broadcast dim sums (a plain running sum drifts by up to n ulps). */
    const bool set = l2__fault("bcast_grad"); /* mutation test: assigned, not summed */
    L2__DISPATCH_FLOAT(*(const l2_dtype *)ctx, {
        for (int64_t i = 0; i < n; i++) {
            double *a = (double *)(p[0] + i * s[0]);
            double *c = (double *)(p[1] + i * s[1]);
            double v = (double)*(const T *)(p[2] + i * s[2]);
            double a0 = set ? 0 : *a;
            double t = a0 + v;
            *c += fabs(a0) >= fabs(v) ? (a0 - t) + v : (v - t) + a0;
            *a = t;
        }
    });
}

l2_tensor *l2__sum_to(const l2_tensor *g, int ndim, const int64_t *shape, l2_dtype dt)
{
    bool same = g->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = g->shape[i] == shape[i];
    if (same)
        return l2_tensor_ref((l2_tensor *)g);
    if (l2__is_half(g->dtype)) { /* issue 16: summed in float32, rounded once to dt */
        l2_tensor *f = l2__grad_copy(g, L2_FLOAT32);
        l2_tensor *r = f ? l2__sum_to(f, ndim, shape, l2__is_half(dt) ? L2_FLOAT32 : dt) : NULL;
        l2_tensor_release(f);
        if (r && r->dtype != dt) {
            l2_tensor *c = l2__grad_copy(r, dt);
            l2_tensor_release(r);
            r = c;
        }
        return r;
    }
    /* broadcast gradients (issue 12): float32 leading rows summed into float32 K inner outputs
     * go straight into the result (sum-rows.c), without the compensation and the copy below. */
    int64_t Kin = 1;
    int q = g->ndim;
    for (; q > 0 && q > g->ndim - ndim && g->shape[q - 1] == shape[q - 1 - (g->ndim - ndim)];
         q--)
        Kin *= g->shape[q - 1];
    if (dt == L2_FLOAT32 && g->dtype == L2_FLOAT32 && Kin == l2__numel(ndim, shape) &&
        Kin >= L2__SUMTO_ROWS_MIN && l2__is_contiguous(g)) {
        l2_tensor *r = l2__new("sum_to", ndim, shape, L2_FLOAT32, false);
        if (r && !l2__sum_rows_f32(r, g, l2__numel(g->ndim, g->shape) / Kin, Kin)) {
            l2_tensor_release(r); /* not reached: the conditions above are the kernel's */
            r = NULL;
        }
        return r;
    }
    /* Accumulate in float64 into a tensor of the target shape, viewed as g's shape with stride 0
     * on the broadcast dims; single-threaded because outputs repeat. */
    l2_tensor *acc = l2__new("sum_to", ndim, shape, L2_FLOAT64, true);
    l2_tensor *comp = acc ? l2__new("sum_to", ndim, shape, L2_FLOAT64, true) : NULL;
    if (!comp) {
        l2_tensor_release(acc);
        return NULL;
    }
    int64_t st[L2_MAX_DIMS];
    int lead = g->ndim - ndim;
    for (int i = 0; i < g->ndim; i++) {
        int j = i - lead;
        st[i] = (j < 0 || shape[j] == 1) ? 0 : acc->stride[j];
    }
    /* broadcast gradients (issue 12): leading rows summed, the inner K kept: the row path */
    int p = g->ndim;
    while (p > 0 && (st[p - 1] != 0 || g->shape[p - 1] == 1))
        p--;
    int64_t K = l2__numel(g->ndim - p, g->shape + p), R = l2__numel(p, g->shape);
    if (K == l2__numel(ndim, shape) &&
        l2__sum_rows((double *)acc->storage->data, (double *)comp->storage->data, g, R, K))
        goto fold;
    l2_tensor *view = l2__alias(acc, g->ndim, g->shape, st, 0);
    l2_tensor *cview = view ? l2__alias(comp, g->ndim, g->shape, st, 0) : NULL;
    if (!cview) {
        l2_tensor_release(view);
        l2_tensor_release(comp);
        l2_tensor_release(acc);
        return NULL;
    }
    const l2_tensor *ops[3] = {view, cview, g};
    l2__iter it;
    l2__iter_init(&it, 3, ops);
    l2_dtype gdt = g->dtype;
    l2__iter_run_range(&it, 0, it.numel, acc_loop, &gdt);
    l2_tensor_release(cview);
    l2_tensor_release(view);
fold:;
    double *a = (double *)acc->storage->data;
    const double *c = (const double *)comp->storage->data;
    for (int64_t i = 0, n = l2__numel(ndim, shape); i < n; i++)
        a[i] = isfinite(a[i]) ? a[i] + c[i] : a[i]; /* after an inf, c holds NaN */
    l2_tensor_release(comp);
    if (dt == L2_FLOAT64)
        return acc;
    l2_tensor *r = l2__grad_copy(acc, dt);
    l2_tensor_release(acc);
    return r;
}

bool l2_has_double_backward(const char *name)
{
    if (!name)
        return false;
    for (int k = 0; k < L2__OP_COUNT; k++)
        if (!strcmp(l2__op_names[k], name))
            return l2__op_backward_cg[k] != NULL;
    return false;
}
