/* autograd-engine.c: the backward engine: an iterative topological traversal (Kahn's algorithm
 * over the nodes reachable from the roots), gradient accumulation (adopting a uniquely owned
 * gradient), retain_graph / retain_grad, and the functional l2_autograd_grad (l2.h). Grad mode
 * and graph recording are in autograd.c. */
#include "autograd-impl.h"

#include <math.h>

/* ---- gradient sums (float dtypes, same shape) ---- */

static void add_loop(int64_t n, char **p, const int64_t *s, void *ctx)
{
    const l2_dtype dt = *(const l2_dtype *)ctx;
    if (l2__is_half(dt)) { /* issue 16: added in float32, rounded once (torch's AccumulateGrad) */
        const bool first = l2__fault("half_grad_sum"); /* mutation test: assigned, not summed */
        for (int64_t i = 0; i < n; i++) {
            float a = (float)l2__load(p[1] + i * s[1], dt), b = (float)l2__load(p[2] + i * s[2], dt);
            l2__store(p[0] + i * s[0], dt, first ? a : a + b);
        }
        return;
    }
    L2__DISPATCH_FLOAT(dt, {
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
    l2__half_ok++; /* a bfloat16 / float16 tensor's gradient (issue 16) */
    l2_tensor *r = l2__new("backward", a->ndim, a->shape, a->dtype, false);
    l2__half_ok--;
    if (r)
        add_into(r, a, b);
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

/* create_graph (issue 15): set for the duration of a backward that records its gradients (the
 * engine runs on one thread at a time per call; the flag is per thread). */
static _Thread_local bool creating_graph;

/* Add g into *slot (a new reference in *slot; g is borrowed). With create_graph the sum is a
 * recorded l2_add. */
static l2_status accumulate(l2_tensor **slot, const l2_tensor *g)
{
    if (!*slot) {
        *slot = l2_tensor_ref((l2_tensor *)g);
        return L2_OK;
    }
    l2_tensor *sum = creating_graph ? l2_add(*slot, g) : add_new(*slot, g);
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
    int64_t edges;    /* with a grad-ready hook: the leaf's edges from nodes not yet run */
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
        if (e->t && !e->g)
            continue; /* a leaf the hook counted edges for that got no gradient */
        if (e->t && creating_graph) {
            /* create_graph: .grad becomes the recorded gradient itself, or the recorded sum
             * .grad + g (a new tensor, as torch's AccumulateGrad under grad mode) */
            e->fresh = e->t->grad ? l2_add(e->t->grad, e->g) : l2_tensor_ref(e->g);
            if (!e->fresh)
                return L2_ERR_NOMEM;
            continue;
        }
        if (!e->t || e->t->grad)
            continue;
        if (adoptable(e->g, e->t)) {
            e->fresh = e->g;
            e->g = NULL;
        } else if (!(e->fresh = l2__grad_copy(e->g, e->t->dtype))) {
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
        if (!e->t || (!e->g && !e->fresh))
            continue;
        if (e->fresh) {
            l2_tensor_release(e->t->grad); /* create_graph replaces it by the sum */
            e->t->grad = e->fresh;
            e->t->grad->was_grad = true;
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

/* The grad-ready hook (issue 17; l2.h l2_set_grad_ready_hook): per thread; active in a
 * backward without capture or create_graph. */
static _Thread_local l2_grad_ready_fn ready_hook;
static _Thread_local void *ready_ctx;

void l2_set_grad_ready_hook(l2_grad_ready_fn fn, void *ctx)
{
    ready_hook = fn;
    ready_ctx = fn ? ctx : NULL;
}

/* Count each leaf's edges from the nodes of this backward (entries made in the table). */
static l2_status hook_count(const node_vec *all, grad_table *tab)
{
    for (int64_t k = 0; k < all->n; k++) {
        const l2__node *n = all->v[k];
        for (int i = 0; i < n->n_inputs; i++) {
            l2_tensor *leaf = n->next[i].leaf;
            if (!leaf)
                continue;
            if (2 * (tab->n + 1) > tab->cap && table_grow(tab) != L2_OK)
                return L2_ERR_NOMEM;
            pending_grad *e = table_slot(tab, leaf);
            if (!e->t) {
                e->t = leaf;
                tab->n++;
            }
            e->edges++;
        }
    }
    return L2_OK;
}

/* One edge into leaf is done: when it was the last, the hook sees the leaf's gradient. */
static l2_status hook_edge_done(grad_table *tab, l2_tensor *leaf)
{
    pending_grad *e = table_slot(tab, leaf);
    if (e->t != leaf || --e->edges > 0 || !e->g)
        return L2_OK;
    l2__leave(); /* the hook is user code: its tensors go to the user's scopes */
    l2_clear_error();
    l2_status st = ready_hook(leaf, e->g, ready_ctx);
    l2__enter();
    if (st != L2_OK && l2_last_status() == L2_OK) /* the hook set no message of its own */
        l2__fail(st, "backward: the grad-ready hook returned %s", l2_status_name(st));
    return st;
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

/* speed10 (issue 12): whether gradient g (an accumulated temporary) can take more in place:
 * nothing else holds it or its storage, it owns its memory and is plain contiguous. */
static bool owned_sum(const l2_tensor *g)
{
    return atomic_load(&g->refs) == 1 && atomic_load(&g->storage->refs) == 1 &&
           g->storage->owns_data && !g->is_view && !g->grad_fn && !g->requires_grad &&
           atomic_load(&g->scope_refs) == 0 && g->offset == 0 && l2__is_contiguous(g);
}

/* speed10: a slice, select or diagonal node whose input already has an accumulated gradient of
 * its own adds its output gradient g into that gradient's region in place (*done true) rather
 * than building a zero tensor of the input's shape to be summed: the pieces of split, chunk or
 * unbind fill one buffer. Leaves reach it through the pending table (not the functional API's
 * captures, which keep the general path). The region's other elements are untouched, so the
 * sums equal the general path's (x + 0 == x). */
static l2_status region_add(l2__node *n, const l2_tensor *g, capture *cap, grad_table *tab,
                            bool *done)
{
    *done = false;
    l2__edge *e = &n->next[0];
    l2_tensor **slot = NULL;
    if (n->n_inputs != 1 || g->dtype != n->in_dtype[0])
        return L2_OK;
    if (e->fn) {
        slot = &e->fn->gacc;
    } else if (e->leaf && !cap && tab->cap > 0) {
        pending_grad *p = table_slot(tab, e->leaf);
        slot = p->t ? &p->g : NULL;
    }
    if (!slot || !*slot || (*slot)->dtype != g->dtype || !owned_sum(*slot))
        return L2_OK;
    l2_tensor *v;
    l2_status st = l2__grad_region(n, *slot, &v);
    if (st != L2_OK || !v)
        return st;
    if (l2__fault("grad_region")) /* mutation test: the piece overwrites what was there */
        l2__copy_kernel(v, g);
    else
        add_into(v, v, g);
    l2_tensor_release(v);
    *done = true;
    return L2_OK;
}

/* create_graph: l2__sum_to with recorded ops: g cast to dt (before the sum, as torch), then
 * summed over the broadcast dims and reshaped to (ndim, shape). A new reference or NULL. */
static l2_tensor *graph_sum_to(const l2_tensor *g, int ndim, const int64_t *shape, l2_dtype dt)
{
    l2_tensor *c = g->dtype == dt ? l2_tensor_ref((l2_tensor *)g) : l2_to_dtype(g, dt);
    if (!c)
        return NULL;
    int dims[L2_MAX_DIMS], nd = 0, lead = c->ndim - ndim;
    for (int d = 0; d < c->ndim; d++)
        if (d < lead || (shape[d - lead] == 1 && c->shape[d] != 1))
            dims[nd++] = d;
    if (nd == 0 && lead == 0)
        return c;
    l2_tensor *s = nd ? l2_sum_dims(c, nd, dims, true) : l2_tensor_ref(c);
    l2_tensor_release(c);
    if (!s)
        return NULL;
    l2_tensor *r = l2_reshape(s, ndim, shape);
    l2_tensor_release(s);
    return r;
}

/* Run one node's backward and route the input gradients. */
static l2_status process(l2__node *n, capture *cap, node_vec *ready, grad_table *tab,
                         bool hook)
{
    l2_status st = check_saved(n);
    if (st != L2_OK)
        return st;
    l2_tensor *g = n->gacc;
    if (n->out_weak && n->out_weak->retains_grad && !cap)
        if ((st = pend_grad(tab, n->out_weak, g)) != L2_OK)
            return st;
    l2_tensor *g32 = NULL;
    if (l2__is_half(g->dtype)) {
        /* issue 16: the node of a half output (a view, copy or cat of half tensors, or the
         * conversion to half) runs its backward in float32; the engine rounds what it returns
         * once, where it enters a half input. Backward functions never see a half tensor. */
        if (creating_graph) {
            l2__enter();
            g32 = l2_to_dtype(g, L2_FLOAT32);
            l2__leave();
        } else {
            g32 = l2__grad_copy(g, L2_FLOAT32);
        }
        if (!g32)
            return L2_ERR_NOMEM;
        g = g32;
    }
    l2_tensor *gin[L2__MAX_INPUTS] = {0};
    bool in_place = false;
    if (creating_graph) {
        if (!l2__op_backward_cg[n->op])
            return l2__fail(L2_ERR_AUTOGRAD, "backward: create_graph: the backward of %s is not "
                            "differentiable yet (its gradient cannot be differentiated again)",
                            l2__op_names[n->op]);
        st = l2__op_backward_cg[n->op](n, g, gin);
    } else {
        st = region_add(n, g, cap, tab, &in_place);
        if (st == L2_OK && !in_place)
            st = l2__op_backward[n->op](n, g, gin);
    }
    if (st != L2_OK)
        goto done;
    for (int i = 0; i < n->n_inputs; i++) {
        l2__edge *e = &n->next[i];
        if (!e->fn && !e->leaf)
            continue;
        if (gin[i]) {
            /* a float64 input's gradient is summed in float64 and rounded once (torch casts
             * before it reduces), not rounded to a float32 upstream's dtype first */
            l2_dtype dt = l2__is_float(n->in_dtype[i])  ? n->in_dtype[i]
                          : l2__is_half(n->in_dtype[i])
                              ? (creating_graph ? n->in_dtype[i] : L2_FLOAT32) /* rounded once */
                              : gin[i]->dtype;
            l2_tensor *r = creating_graph ? graph_sum_to(gin[i], n->in_ndim[i], n->in_shape[i], dt)
                                          : l2__sum_to(gin[i], n->in_ndim[i], n->in_shape[i], dt);
            if (r && r->dtype != n->in_dtype[i]) {
                l2_tensor *c = l2__grad_copy(r, n->in_dtype[i]);
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
        if (hook && e->leaf && (st = hook_edge_done(tab, e->leaf)) != L2_OK)
            goto done;
        if (e->fn && --e->fn->pending == 0 && !vec_push(ready, e->fn)) {
            st = L2_ERR_NOMEM;
            goto done;
        }
    }
done:
    for (int i = 0; i < L2__MAX_INPUTS; i++)
        l2_tensor_release(gin[i]);
    l2_tensor_release(g32);
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
                              l2_tensor *const *gouts, bool retain_graph, bool create_graph,
                              capture *cap, bool allow_unused)
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
            if (!same || !l2__is_grad_dtype(go->dtype)) {
                st = l2__fail(L2_ERR_SHAPE, "%s: grad_output of shape %s (%s) does not match "
                              "output of shape %s (%s)", op,
                              l2__shape_str(s1, go->ndim, go->shape), l2_dtype_name(go->dtype),
                              l2__shape_str(s2, t->ndim, t->shape), l2_dtype_name(t->dtype));
                goto out;
            }
            /* Used as it is when it has the output's dtype and is contiguous (no copy): a
             * .grad never takes it over, as the caller holds it (adoptable). With create_graph
             * it keeps its history (a recorded cast when the dtype differs). */
            if (create_graph) {
                bool prev = l2_set_grad_enabled(true);
                l2__enter();
                seeds[r] = go->dtype == t->dtype ? l2_tensor_ref((l2_tensor *)go)
                                                 : l2_to_dtype(go, t->dtype);
                l2__leave();
                l2_set_grad_enabled(prev);
            } else {
                seeds[r] = go->dtype == t->dtype && l2__is_contiguous(go)
                               ? l2_tensor_ref((l2_tensor *)go)
                               : l2__grad_copy(go, t->dtype);
            }
        } else {
            if (l2__numel(t->ndim, t->shape) != 1) {
                st = l2__fail(L2_ERR_SHAPE, "%s: grad can be implicitly created only for outputs "
                              "with one element (output %d has shape %s)", op, r,
                              l2__shape_str(s1, t->ndim, t->shape));
                goto out;
            }
            l2__half_ok++; /* a bfloat16 / float16 output (issue 16) */
            seeds[r] = l2__new(op, t->ndim, t->shape, t->dtype, false);
            l2__half_ok--;
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

    const bool hook = ready_hook && !cap && !create_graph;
    if (hook && (st = hook_count(&all, &tab)) != L2_OK)
        goto out;
    bool prev = l2_set_grad_enabled(create_graph);
    bool prev_cg = creating_graph;
    creating_graph = create_graph;
    l2__enter();
    for (int r = 0; r < nroots && st == L2_OK; r++) {
        l2_tensor *t = roots[r];
        if (t->grad_fn)
            st = accumulate(&t->grad_fn->gacc, seeds[r]);
        else
            st = deliver(t, seeds[r], cap, &tab);
    }
    if (hook) /* a leaf root no node reaches: its seed is all its gradient */
        for (int r = 0; r < nroots && st == L2_OK; r++)
            if (!roots[r]->grad_fn) {
                pending_grad *e = table_slot(&tab, roots[r]);
                e->edges++;
                st = hook_edge_done(&tab, roots[r]);
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
            st = process(n, cap, &ready, &tab, hook);
        } else {
            /* No gradient reached this node, or it leads to no requested input (autograd_grad
             * runs only what does): its inputs get no gradient from it. */
            for (int i = 0; i < n->n_inputs && st == L2_OK; i++) {
                l2__node *f = n->next[i].fn;
                if (f && --f->pending == 0 && !vec_push(&ready, f))
                    st = L2_ERR_NOMEM;
                else if (hook && n->next[i].leaf)
                    st = hook_edge_done(&tab, n->next[i].leaf);
            }
        }
        l2_tensor_release(n->gacc);
        n->gacc = NULL;
    }
    if (st == L2_OK)
        st = table_prepare(&tab);
    l2__leave();
    creating_graph = prev_cg;
    l2_set_grad_enabled(prev);
    if (st == L2_OK && cap)
        st = finish_capture(op, cap, allow_unused);

    /* The commit: nothing below fails. */
    if (st == L2_OK) {
        table_commit(&tab);
        if (!retain_graph)
            for (int64_t k = 0; k < all.n; k++)
                if (all.v[k]->needed) /* torch keeps what the nodes it did not run saved */
                    l2__node_free_saved(all.v[k]);
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

l2_status l2_backward_ex(l2_tensor *t, const l2_tensor *grad_output, bool retain_graph,
                         bool create_graph)
{
    L2__CHECK_T_ANY(t, L2_ERR_NULL, "backward");
    l2_tensor *go = (l2_tensor *)grad_output;
    return run_backward("backward", 1, &t, grad_output ? &go : NULL, retain_graph, create_graph,
                        NULL, false);
}

l2_status l2_backward(l2_tensor *t, const l2_tensor *grad_output, bool retain_graph)
{
    return l2_backward_ex(t, grad_output, retain_graph, false);
}

l2_status l2_autograd_grad_ex(int n_outputs, l2_tensor *const *outputs,
                              l2_tensor *const *grad_outputs, int n_inputs,
                              l2_tensor *const *inputs, l2_tensor **grads, bool retain_graph,
                              bool create_graph, bool allow_unused)
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
    l2_status st = run_backward(op, n_outputs, outputs, grad_outputs, retain_graph, create_graph,
                                &cap, allow_unused);
    if (st != L2_OK)
        for (int k = 0; k < n_inputs; k++) {
            l2_tensor_release(grads[k]);
            grads[k] = NULL;
        }
    return st;
}

l2_status l2_autograd_grad(int n_outputs, l2_tensor *const *outputs,
                           l2_tensor *const *grad_outputs, int n_inputs,
                           l2_tensor *const *inputs, l2_tensor **grads, bool retain_graph,
                           bool allow_unused)
{
    return l2_autograd_grad_ex(n_outputs, outputs, grad_outputs, n_inputs, inputs, grads,
                               retain_graph, false, allow_unused);
}
