/* autograd.c: grad mode, graph recording (nodes, edges, saved tensors), and the backward engine:
 * an iterative topological traversal (Kahn's algorithm over the nodes reachable from the roots),
 * gradient accumulation, retain_graph / retain_grad, and the functional l2_autograd_grad.
 * Node release is iterative too, so graphs of any depth free without deep recursion. */
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
    L2__CHECK_T(t, L2_ERR_NULL, "set_requires_grad");
    if (t->grad_fn) {
        L2__CHECK_ST(requires_grad, L2_ERR_AUTOGRAD,
                  "set_requires_grad: you can only change requires_grad flags of leaf variables "
                  "(use l2_detach)");
        return L2_OK;
    }
    L2__CHECK_ST(!requires_grad || l2__is_float(t->dtype), L2_ERR_DTYPE,
              "set_requires_grad: only tensors of floating point dtype can require gradients "
              "(got %s)", l2_dtype_name(t->dtype));
    t->requires_grad = requires_grad;
    return L2_OK;
}

bool l2_requires_grad(const l2_tensor *t)
{
    L2__CHECK_T(t, false, "requires_grad");
    return t->requires_grad;
}
bool l2_is_leaf(const l2_tensor *t)
{
    L2__CHECK_T(t, false, "is_leaf");
    return !t->grad_fn;
}
l2_tensor *l2_grad(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "grad");
    return t->grad;
}

const char *l2_grad_fn_name(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "grad_fn_name");
    return t->grad_fn ? l2__op_names[t->grad_fn->op] : NULL;
}

l2_status l2_zero_grad(l2_tensor *t)
{
    L2__CHECK_T(t, L2_ERR_NULL, "zero_grad");
    if (t->grad) {
        memset(t->grad->storage->data, 0,
               (size_t)l2__numel(t->grad->ndim, t->grad->shape) * l2__esize(t->grad->dtype));
        l2__bump_version(t->grad);
    }
    return L2_OK;
}

l2_status l2_set_grad_none(l2_tensor *t)
{
    L2__CHECK_T(t, L2_ERR_NULL, "set_grad_none");
    l2_tensor_release(t->grad);
    t->grad = NULL;
    return L2_OK;
}

l2_status l2_retain_grad(l2_tensor *t)
{
    L2__CHECK_T(t, L2_ERR_NULL, "retain_grad");
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

l2__node *l2__record(l2__op op, l2_tensor *out, int n, const l2_tensor *const *inputs)
{
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

l2_status l2__save(l2__node *n, const l2_tensor *t)
{
    l2_tensor *a = l2__alias(t, t->ndim, t->shape, t->stride, t->offset);
    if (!a)
        return L2_ERR_NOMEM;
    n->saved[n->n_saved] = a;
    n->saved_version[n->n_saved] = atomic_load(&t->storage->version);
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
    }
    node->n_saved = nsave;
    return node;
fail:
    for (int i = 0; i < nsave; i++)
        l2_tensor_release(al[i]);
    return NULL;
}

/* Free the node's saved tensors. As in torch, only a node that saved something is marked freed
 * (a later traversal through it fails); one that saved nothing can run again. */
static void free_saved(l2__node *n)
{
    if ((n->n_saved > 0 && !n->standins_only) || n->torch_saves)
        n->saved_freed = true;
    for (int i = 0; i < n->n_saved; i++) {
        l2_tensor_release(n->saved[i]);
        n->saved[i] = NULL;
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
        free_saved(cur);
        l2__free(cur->extra);
        l2__free(cur);
    }
}

/* ---- gradient arithmetic (float dtypes, same shape) ---- */

static void add_loop(int64_t n, char **p, const int64_t *s, void *ctx)
{
    L2__DISPATCH_FLOAT(*(const l2_dtype *)ctx, {
        for (int64_t i = 0; i < n; i++)
            *(T *)(p[0] + i * s[0]) = *(T *)(p[1] + i * s[1]) + *(T *)(p[2] + i * s[2]);
    });
}

/* dst = a + b elementwise; all the same shape and float dtype. */
static void add_into(l2_tensor *dst, const l2_tensor *a, const l2_tensor *b)
{
    const l2_tensor *ops[3] = {dst, a, b};
    l2__iter it;
    l2__iter_init(&it, 3, ops);
    l2__iter_run(&it, add_loop, &dst->dtype);
}

/* A new tensor a + b. */
static l2_tensor *add_new(const l2_tensor *a, const l2_tensor *b)
{
    l2_tensor *r = l2__new("backward", a->ndim, a->shape, a->dtype, false);
    if (r)
        add_into(r, a, b);
    return r;
}

/* A contiguous copy with its own storage. */
static l2_tensor *fresh_copy(const l2_tensor *t, l2_dtype dt)
{
    l2_tensor *r = l2__new("backward", t->ndim, t->shape, dt, false);
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
    l2_tensor *r = fresh_copy(acc, dt);
    l2_tensor_release(acc);
    return r;
}

/* ---- the engine ---- */

typedef struct {
    l2__node **v;
    int64_t n, cap;
} node_vec;

static bool vec_push(node_vec *v, l2__node *n)
{
    if (v->n == v->cap) {
        int64_t cap = v->cap ? 2 * v->cap : 256;
        l2__node **nv = l2__realloc(v->v, (size_t)cap * sizeof *nv, "backward");
        if (!nv)
            return false;
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = n;
    return true;
}

/* Where gradients for the functional API go: grads[k] for inputs[k]. */
typedef struct {
    int n;
    l2_tensor *const *inputs;
    l2_tensor **grads;
} capture;

/* Add g into *slot (a new reference in *slot; g is borrowed). */
static l2_status accumulate(l2_tensor **slot, const l2_tensor *g)
{
    if (!*slot) {
        *slot = l2_tensor_ref((l2_tensor *)g);
        return L2_OK;
    }
    l2_tensor *sum = add_new(*slot, g);
    if (!sum)
        return L2_ERR_NOMEM;
    l2_tensor_release(*slot);
    *slot = sum;
    return L2_OK;
}

/* Gradients headed for .grad fields (leaves, and non-leaves that retain their grad) are summed
 * into a table of pending gradients during the traversal and written to the tensors only at the
 * end, once nothing can fail any more: a failed backward leaves every .grad as it was. The table
 * is open addressing keyed by the tensor's address. */
typedef struct {
    l2_tensor *t;     /* borrowed: the tensor whose .grad receives the gradient */
    l2_tensor *g;     /* owned: the sum of the gradients that arrived for t */
    l2_tensor *fresh; /* owned: the new .grad, made before the commit when t->grad is NULL */
} pending_grad;

typedef struct {
    pending_grad *v;
    int64_t n, cap;
} grad_table;

static uint64_t ptr_hash(const void *p)
{
    return ((uint64_t)(uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull;
}

/* The slot for t (found or empty). cap is a power of two and the table is never full. */
static pending_grad *table_slot(const grad_table *tab, const l2_tensor *t)
{
    uint64_t mask = (uint64_t)tab->cap - 1;
    for (uint64_t h = ptr_hash(t) & mask;; h = (h + 1) & mask)
        if (tab->v[h].t == t || !tab->v[h].t)
            return &tab->v[h];
}

static l2_status table_grow(grad_table *tab)
{
    int64_t cap = tab->cap ? 2 * tab->cap : 64;
    pending_grad *old = tab->v;
    int64_t oldcap = tab->cap;
    pending_grad *nv = l2__calloc((size_t)cap * sizeof *nv, "backward");
    if (!nv)
        return L2_ERR_NOMEM;
    tab->v = nv;
    tab->cap = cap;
    for (int64_t k = 0; k < oldcap; k++)
        if (old[k].t)
            *table_slot(tab, old[k].t) = old[k];
    l2__free(old);
    return L2_OK;
}

static void table_free(grad_table *tab)
{
    for (int64_t k = 0; k < tab->cap; k++) {
        l2_tensor_release(tab->v[k].g);
        l2_tensor_release(tab->v[k].fresh);
    }
    l2__free(tab->v);
    *tab = (grad_table){0};
}

/* Add g (borrowed) to the pending gradient of t's .grad. */
static l2_status pend_grad(grad_table *tab, l2_tensor *t, const l2_tensor *g)
{
    if (2 * (tab->n + 1) > tab->cap && table_grow(tab) != L2_OK)
        return L2_ERR_NOMEM;
    pending_grad *e = table_slot(tab, t);
    if (!e->t) {
        e->t = t;
        tab->n++;
    }
    return accumulate(&e->g, g);
}

/* Whether gradient g can become t's .grad as it is: nothing else holds it or its storage (so
 * it aliases nothing the caller or the graph can reach: not the seed, not another .grad), it
 * owns its memory, and it has t's dtype and a plain contiguous layout. */
static bool adoptable(const l2_tensor *g, const l2_tensor *t)
{
    /* mutation test: a gradient adopted while still shared */
    bool unique = l2__fault("grad_adopt") ||
                  (atomic_load(&g->refs) == 1 && atomic_load(&g->storage->refs) == 1);
    return unique && g->storage->owns_data && !g->is_view && !g->grad_fn &&
           !g->requires_grad && atomic_load(&g->scope_refs) == 0 && g->dtype == t->dtype &&
           g->offset == 0 && l2__is_contiguous(g);
}

/* Make every allocation the commit needs: the new .grad of each tensor that has none: the
 * pending gradient itself when it is uniquely owned (adoptable), else a fresh copy in the
 * tensor's dtype, so that .grad aliases nothing, as torch's AccumulateGrad. */
static l2_status table_prepare(grad_table *tab)
{
    for (int64_t k = 0; k < tab->cap; k++) {
        pending_grad *e = &tab->v[k];
        if (!e->t || e->t->grad)
            continue;
        if (adoptable(e->g, e->t)) {
            e->fresh = e->g;
            e->g = NULL;
        } else if (!(e->fresh = fresh_copy(e->g, e->t->dtype))) {
            return L2_ERR_NOMEM;
        }
    }
    return L2_OK;
}

/* Write the pending gradients to the .grad fields; cannot fail. */
static void table_commit(grad_table *tab)
{
    for (int64_t k = 0; k < tab->cap; k++) {
        pending_grad *e = &tab->v[k];
        if (!e->t)
            continue;
        if (e->fresh) {
            e->t->grad = e->fresh;
            e->fresh = NULL;
        } else {
            add_into(e->t->grad, e->t->grad, e->g);
            l2__bump_version(e->t->grad);
        }
    }
}

/* Deliver gradient g for tensor t (a leaf edge, or a non-leaf whose node is being processed). */
static l2_status deliver(l2_tensor *t, const l2_tensor *g, capture *cap, grad_table *tab)
{
    if (cap) {
        for (int k = 0; k < cap->n; k++)
            if (cap->inputs[k] == t && accumulate(&cap->grads[k], g) != L2_OK)
                return L2_ERR_NOMEM;
        return L2_OK;
    }
    return pend_grad(tab, t, g);
}

static l2_status check_saved(l2__node *n)
{
    L2__CHECK_ST(!n->saved_freed, L2_ERR_AUTOGRAD,
              "backward: trying to backward through the graph a second time (or directly access "
              "saved tensors after they have already been freed); pass retain_graph=true the "
              "first time");
    for (int i = 0; i < n->n_saved; i++) {
        unsigned long long v = atomic_load(&n->saved[i]->storage->version);
        L2__CHECK_ST(v == n->saved_version[i], L2_ERR_AUTOGRAD,
                  "backward: one of the tensors needed for gradient computation has been "
                  "modified by an in-place operation: saved tensor %d of %s is at version %llu; "
                  "expected version %llu",
                  i, l2__op_names[n->op], v, n->saved_version[i]);
    }
    return L2_OK;
}

/* Run one node's backward and route the input gradients. */
static l2_status process(l2__node *n, capture *cap, node_vec *ready, grad_table *tab)
{
    l2_status st = check_saved(n);
    if (st != L2_OK)
        return st;
    l2_tensor *g = n->gacc;
    if (n->out_weak && n->out_weak->retains_grad && !cap)
        if ((st = pend_grad(tab, n->out_weak, g)) != L2_OK)
            return st;
    l2_tensor *gin[L2__MAX_INPUTS] = {0};
    st = l2__op_backward[n->op](n, g, gin);
    if (st != L2_OK)
        goto done;
    for (int i = 0; i < n->n_inputs; i++) {
        l2__edge *e = &n->next[i];
        if (!e->fn && !e->leaf)
            continue;
        if (gin[i]) {
            /* a float64 input's gradient is summed in float64 and rounded once (torch casts
             * before it reduces), not rounded to a float32 upstream's dtype first */
            l2_dtype dt = l2__is_float(n->in_dtype[i]) ? n->in_dtype[i] : gin[i]->dtype;
            l2_tensor *r = l2__sum_to(gin[i], n->in_ndim[i], n->in_shape[i], dt);
            if (r && r->dtype != n->in_dtype[i]) {
                l2_tensor *c = fresh_copy(r, n->in_dtype[i]);
                l2_tensor_release(r);
                r = c;
            }
            if (!r) {
                st = L2_ERR_NOMEM;
                goto done;
            }
            if (e->leaf)
                st = deliver(e->leaf, r, cap, tab);
            else
                st = accumulate(&e->fn->gacc, r);
            l2_tensor_release(r);
            if (st != L2_OK)
                goto done;
        }
        if (e->fn && --e->fn->pending == 0 && !vec_push(ready, e->fn)) {
            st = L2_ERR_NOMEM;
            goto done;
        }
    }
done:
    for (int i = 0; i < L2__MAX_INPUTS; i++)
        l2_tensor_release(gin[i]);
    return st;
}

/* The functional API's last checks and the hand-over of its results (registered with the open
 * scope, which can fail): on failure every grads[k] is NULL again and nothing was committed. */
static l2_status finish_capture(const char *op, capture *cap, bool allow_unused)
{
    for (int k = 0; k < cap->n; k++)
        if (!cap->grads[k] && !allow_unused)
            return l2__fail(L2_ERR_AUTOGRAD, "%s: one of the differentiated tensors (input %d) "
                            "appears to not have been used in the graph; set allow_unused", op, k);
    for (int k = 0; k < cap->n; k++) {
        if (!cap->grads[k] || l2__ret(cap->grads[k]))
            continue;
        /* l2__ret released grads[k]; grads[0..k-1] now belong to the scope, which releases
         * them when it ends. */
        for (int j = 0; j < cap->n; j++) {
            if (j > k)
                l2_tensor_release(cap->grads[j]);
            cap->grads[j] = NULL;
        }
        return L2_ERR_NOMEM;
    }
    return L2_OK;
}

/* True when leaf is one of the functional API's inputs. */
static bool requested_leaf(const capture *cap, const l2_tensor *leaf)
{
    for (int k = 0; k < cap->n; k++)
        if (cap->inputs[k] == leaf)
            return true;
    return false;
}

/* The functional API's pruning (torch's exec_info): set n->captured on the nodes of the
 * requested non-leaf inputs, and n->needed on the nodes that lead to a requested input (an
 * edge to a requested leaf, to a captured node or to a needed node). Only needed nodes run;
 * a captured node that is not needed only hands over the gradient arriving at it. The nodes of
 * all (those whose visit is mark) are visited in reverse topological order, found by Kahn's
 * algorithm into order on a copy of the pending counts (which stay as they were). */
static l2_status mark_needed(node_vec *all, const capture *cap, int mark, node_vec *order)
{
    for (int64_t k = 0; k < all->n; k++) {
        l2__node *n = all->v[k];
        n->needed = n->captured = false;
        n->order_pending = n->pending;
        if (n->pending == 0 && !vec_push(order, n))
            return L2_ERR_NOMEM;
    }
    for (int k = 0; k < cap->n; k++) {
        l2__node *f = cap->inputs[k]->grad_fn;
        if (f && f->visit == mark)
            f->captured = true;
    }
    for (int64_t k = 0; k < order->n; k++) {
        l2__node *n = order->v[k];
        for (int i = 0; i < n->n_inputs; i++) {
            l2__node *f = n->next[i].fn;
            if (f && --f->order_pending == 0 && !vec_push(order, f))
                return L2_ERR_NOMEM;
        }
    }
    for (int64_t k = order->n - 1; k >= 0; k--) {
        l2__node *n = order->v[k];
        for (int i = 0; i < n->n_inputs && !n->needed; i++) {
            const l2__edge *e = &n->next[i];
            n->needed = e->fn ? e->fn->needed || e->fn->captured
                              : e->leaf && requested_leaf(cap, e->leaf);
        }
    }
    return L2_OK;
}

/* Run the backward pass from the roots. All gradients are computed into temporaries first; only
 * when every allocation has succeeded are they committed (.grad fields accumulated, the
 * functional API's results handed over, saved tensors freed unless retain_graph), so that a
 * failure changes nothing. */
static l2_status run_backward(const char *op, int nroots, l2_tensor *const *roots,
                              l2_tensor *const *gouts, bool retain_graph, capture *cap,
                              bool allow_unused)
{
    static _Thread_local int epoch = 0;
    node_vec all = {0}, ready = {0}, order = {0};
    grad_table tab = {0};
    l2_tensor *seeds[64] = {0};
    l2_status st = L2_OK;
    L2__CHECK_ST(nroots >= 1 && nroots <= 64, L2_ERR_ARG, "%s: %d outputs (1..64 supported)", op,
              nroots);

    /* Validate roots and make their seed gradients. */
    for (int r = 0; r < nroots; r++) {
        const l2_tensor *t = roots[r], *go = gouts ? gouts[r] : NULL;
        char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
        if (!t) {
            st = l2__fail(L2_ERR_NULL, "%s: output %d is NULL", op, r);
            goto out;
        }
        if (!t->requires_grad) {
            st = l2__fail(L2_ERR_AUTOGRAD, "%s: element %d of tensors does not require grad and "
                          "does not have a grad_fn", op, r);
            goto out;
        }
        if (go) {
            bool same = go->ndim == t->ndim;
            for (int i = 0; same && i < t->ndim; i++)
                same = go->shape[i] == t->shape[i];
            if (!same || !l2__is_float(go->dtype)) {
                st = l2__fail(L2_ERR_SHAPE, "%s: grad_output of shape %s (%s) does not match "
                              "output of shape %s (%s)", op,
                              l2__shape_str(s1, go->ndim, go->shape), l2_dtype_name(go->dtype),
                              l2__shape_str(s2, t->ndim, t->shape), l2_dtype_name(t->dtype));
                goto out;
            }
            /* Used as it is when it has the output's dtype and is contiguous (no copy): a
             * .grad never takes it over, as the caller holds it (adoptable). */
            seeds[r] = go->dtype == t->dtype && l2__is_contiguous(go)
                           ? l2_tensor_ref((l2_tensor *)go)
                           : fresh_copy(go, t->dtype);
        } else {
            if (l2__numel(t->ndim, t->shape) != 1) {
                st = l2__fail(L2_ERR_SHAPE, "%s: grad can be implicitly created only for outputs "
                              "with one element (output %d has shape %s)", op, r,
                              l2__shape_str(s1, t->ndim, t->shape));
                goto out;
            }
            seeds[r] = l2__new(op, t->ndim, t->shape, t->dtype, false);
            if (seeds[r])
                l2__store(seeds[r]->storage->data, t->dtype, 1.0);
        }
        if (!seeds[r]) {
            st = L2_ERR_NOMEM;
            goto out;
        }
    }

    /* Collect the reachable nodes and count each node's incoming edges. */
    int mark = ++epoch;
    for (int r = 0; r < nroots; r++) {
        l2__node *n = roots[r]->grad_fn;
        if (n && n->visit != mark) {
            n->visit = mark;
            n->pending = 0;
            n->gacc = NULL;
            if (!vec_push(&all, n)) {
                st = L2_ERR_NOMEM;
                goto out;
            }
        }
    }
    for (int64_t k = 0; k < all.n; k++) {
        l2__node *n = all.v[k];
        for (int i = 0; i < n->n_inputs; i++) {
            l2__node *f = n->next[i].fn;
            if (!f)
                continue;
            if (f->visit != mark) {
                f->visit = mark;
                f->pending = 0;
                f->gacc = NULL;
                if (!vec_push(&all, f)) {
                    st = L2_ERR_NOMEM;
                    goto out;
                }
            }
            f->pending++;
        }
    }

    if (cap) {
        if ((st = mark_needed(&all, cap, mark, &order)) != L2_OK)
            goto out;
    } else {
        for (int64_t k = 0; k < all.n; k++)
            all.v[k]->needed = true;
    }

    bool prev = l2_set_grad_enabled(false);
    l2__enter();
    for (int r = 0; r < nroots && st == L2_OK; r++) {
        l2_tensor *t = roots[r];
        if (t->grad_fn)
            st = accumulate(&t->grad_fn->gacc, seeds[r]);
        else
            st = deliver(t, seeds[r], cap, &tab);
    }
    for (int64_t k = 0; k < all.n && st == L2_OK; k++)
        if (all.v[k]->pending == 0 && !vec_push(&ready, all.v[k]))
            st = L2_ERR_NOMEM;
    while (st == L2_OK && ready.n > 0) {
        l2__node *n = ready.v[--ready.n];
        /* Non-leaf inputs of the functional API take the gradient arriving at their node. */
        if (n->gacc && cap && n->captured)
            for (int k = 0; k < cap->n && st == L2_OK; k++)
                if (cap->inputs[k]->grad_fn == n)
                    st = accumulate(&cap->grads[k], n->gacc);
        if (st != L2_OK)
            break;
        if (n->gacc && n->needed) {
            st = process(n, cap, &ready, &tab);
        } else {
            /* No gradient reached this node, or it leads to no requested input (autograd_grad
             * runs only what does): its inputs get no gradient from it. */
            for (int i = 0; i < n->n_inputs && st == L2_OK; i++) {
                l2__node *f = n->next[i].fn;
                if (f && --f->pending == 0 && !vec_push(&ready, f))
                    st = L2_ERR_NOMEM;
            }
        }
        l2_tensor_release(n->gacc);
        n->gacc = NULL;
    }
    if (st == L2_OK)
        st = table_prepare(&tab);
    l2__leave();
    l2_set_grad_enabled(prev);
    if (st == L2_OK && cap)
        st = finish_capture(op, cap, allow_unused);

    /* The commit: nothing below fails. */
    if (st == L2_OK) {
        table_commit(&tab);
        if (!retain_graph)
            for (int64_t k = 0; k < all.n; k++)
                if (all.v[k]->needed) /* torch keeps what the nodes it did not run saved */
                    free_saved(all.v[k]);
    }
out:
    for (int64_t k = 0; k < all.n; k++) {
        l2_tensor_release(all.v[k]->gacc);
        all.v[k]->gacc = NULL;
    }
    for (int r = 0; r < nroots; r++)
        l2_tensor_release(seeds[r]);
    table_free(&tab);
    l2__free(all.v);
    l2__free(ready.v);
    l2__free(order.v);
    if (st == L2_ERR_NOMEM && l2_last_status() != L2_ERR_NOMEM)
        l2__fail(L2_ERR_NOMEM, "%s: out of memory", op);
    return st;
}

l2_status l2_backward(l2_tensor *t, const l2_tensor *grad_output, bool retain_graph)
{
    L2__CHECK_T(t, L2_ERR_NULL, "backward");
    l2_tensor *go = (l2_tensor *)grad_output;
    return run_backward("backward", 1, &t, grad_output ? &go : NULL, retain_graph, NULL, false);
}

l2_status l2_autograd_grad(int n_outputs, l2_tensor *const *outputs,
                           l2_tensor *const *grad_outputs, int n_inputs,
                           l2_tensor *const *inputs, l2_tensor **grads, bool retain_graph,
                           bool allow_unused)
{
    const char *op = "autograd_grad";
    L2__CHECK_ST(outputs && inputs && grads, L2_ERR_NULL, "%s: outputs, inputs or grads is NULL",
                 op);
    L2__CHECK_ST(n_inputs >= 1, L2_ERR_ARG, "%s: n_inputs must be >= 1", op);
    for (int k = 0; k < n_inputs; k++) {
        L2__CHECK_ST(inputs[k], L2_ERR_NULL, "%s: input %d is NULL", op, k);
        L2__CHECK_ST(inputs[k]->requires_grad, L2_ERR_AUTOGRAD,
                  "%s: input %d does not require grad", op, k);
        grads[k] = NULL;
    }
    capture cap = {n_inputs, inputs, grads};
    l2_status st = run_backward(op, n_outputs, outputs, grad_outputs, retain_graph, &cap,
                                allow_unused);
    if (st != L2_OK)
        for (int k = 0; k < n_inputs; k++) {
            l2_tensor_release(grads[k]);
            grads[k] = NULL;
        }
    return st;
}
