/* test-grad-hook.c: l2_set_grad_ready_hook (issue 17, the overlap of data-parallel communication
 * with backward): the hook runs once per leaf, as soon as the leaf's gradient is complete (before
 * the nodes of earlier layers run), with the gradient .grad then receives; errors from the hook
 * fail the backward and change no .grad; create_graph and l2_autograd_grad never call it. */
#include <l2.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#define MAXCALLS 16

typedef struct {
    int n;
    const l2_tensor *leaf[MAXCALLS];
    l2_tensor *grad[MAXCALLS]; /* clones of what the hook saw */
    int w1_seen_at_w2;         /* whether w1 had been reported when w2's hook ran */
    const l2_tensor *w1, *w2;
    l2_status fail_with;       /* returned for w2 when not L2_OK */
} rec;

static l2_status hook(l2_tensor *leaf, const l2_tensor *grad, void *ctx)
{
    rec *r = ctx;
    if (r->n < MAXCALLS) {
        r->leaf[r->n] = leaf;
        r->grad[r->n] = l2_clone(grad);
        r->n++;
    }
    if (leaf == r->w2) {
        for (int k = 0; k < r->n; k++)
            r->w1_seen_at_w2 |= r->leaf[k] == r->w1;
        if (r->fail_with != L2_OK)
            return r->fail_with;
    }
    return L2_OK;
}

static void rec_clear(rec *r)
{
    for (int k = 0; k < r->n; k++)
        l2_tensor_release(r->grad[k]);
    r->n = 0;
}

static int found(const rec *r, const l2_tensor *leaf)
{
    int c = 0;
    for (int k = 0; k < r->n; k++)
        c += r->leaf[k] == leaf;
    return c;
}

static const l2_tensor *seen(const rec *r, const l2_tensor *leaf)
{
    for (int k = 0; k < r->n; k++)
        if (r->leaf[k] == leaf)
            return r->grad[k];
    return NULL;
}

static l2_tensor *leaf(int64_t a, int64_t b)
{
    l2_tensor *t = l2_randn(L2_SHAPE(a, b), L2_FLOAT32);
    l2_set_requires_grad(t, true);
    return t;
}

/* y = sum(tanh(x w1) w2) + sum(w2 * w2): two layers, w2 reached twice. */
static l2_tensor *net(l2_tensor *x, l2_tensor *w1, l2_tensor *w2)
{
    l2_tensor *h = l2_tanh(l2_matmul(x, w1)), *o = l2_matmul(h, w2);
    return l2_add(l2_sum(o), l2_sum(l2_mul(w2, w2)));
}

int main(void)
{
    l2_manual_seed(17);
    l2_scope_begin();
    l2_tensor *x = l2_randn(L2_SHAPE(4, 6), L2_FLOAT32), *w1 = leaf(6, 5), *w2 = leaf(5, 3);
    l2_tensor *unused = leaf(2, 2);
    rec r = {.w1 = w1, .w2 = w2};
    l2_set_grad_ready_hook(hook, &r);

    ok(l2_backward(net(x, w1, w2), NULL, false) == L2_OK, "backward with the hook");
    ok(r.n == 2 && found(&r, w1) == 1 && found(&r, w2) == 1,
       "the hook ran once per leaf that got a gradient (%d calls)", r.n);
    ok(r.leaf[0] == w2 && !r.w1_seen_at_w2,
       "w2 (the later layer, reached twice) was ready before w1's gradient was computed");
    ok(seen(&r, w1) && maxdiff(seen(&r, w1), l2_grad(w1)) == 0 && seen(&r, w2) &&
           maxdiff(seen(&r, w2), l2_grad(w2)) == 0,
       "the hook saw the gradients .grad received (bit for bit)");
    ok(found(&r, unused) == 0 && found(&r, x) == 0, "no call for leaves without a gradient");
    rec_clear(&r);

    /* a second backward: the hook sees this backward's gradient, .grad accumulates */
    l2_tensor *g1 = l2_clone(l2_grad(w1));
    ok(l2_backward(net(x, w1, w2), NULL, false) == L2_OK && r.n == 2 &&
           maxdiff(seen(&r, w1), g1) == 0 && fabs(flat(l2_grad(w1), 0) - 2 * flat(g1, 0)) <= 1e-6 * fabs(flat(g1, 0)) + 1e-7,
       "second backward: the hook sees the new gradient, .grad holds the sum");
    rec_clear(&r);

    /* a failing hook: the backward fails with its status, no .grad changes */
    l2_tensor *before1 = l2_clone(l2_grad(w1)), *before2 = l2_clone(l2_grad(w2));
    r.fail_with = L2_ERR_UNSUPPORTED;
    l2_status st = l2_backward(net(x, w1, w2), NULL, false);
    ok(st == L2_ERR_UNSUPPORTED && maxdiff(l2_grad(w1), before1) == 0 &&
           maxdiff(l2_grad(w2), before2) == 0 && strstr(l2_last_error(), "hook"),
       "a hook's error fails the backward and changes no .grad (%s)", l2_last_error());
    r.fail_with = L2_OK;
    rec_clear(&r);

    /* create_graph and the functional API do not call it */
    l2_tensor *y = net(x, w1, w2), *gw = NULL;
    ok(l2_autograd_grad(1, &y, NULL, 1, &w1, &gw, false, false) == L2_OK && r.n == 0,
       "l2_autograd_grad does not call the hook");
    ok(l2_backward_ex(net(x, w1, w2), NULL, false, true) == L2_OK && r.n == 0,
       "a create_graph backward does not call the hook");
    l2_set_grad_none(w1);
    l2_set_grad_none(w2);

    /* a leaf root: its seed is its whole gradient */
    l2_tensor *g = l2_ones(L2_SHAPE(2, 2), L2_FLOAT32);
    ok(l2_backward(unused, g, false) == L2_OK && r.n == 1 && r.leaf[0] == unused &&
           maxdiff(r.grad[0], g) == 0, "backward of a leaf itself: one call with the seed");
    rec_clear(&r);

    /* out of memory anywhere: an error, no leak, no .grad */
    int runs = 0, nomem = 0, done = 0;
    for (int k = 0; k < 200 && !done; k++) {
        l2_set_grad_none(w1);
        l2_set_grad_none(w2);
        l2_tensor *yy = net(x, w1, w2);
        l2_debug_fail_alloc_after(k);
        st = yy ? l2_backward(yy, NULL, false) : L2_ERR_NOMEM;
        l2_debug_fail_alloc_after(-1);
        runs++;
        done = st == L2_OK;
        nomem += st == L2_ERR_NOMEM && !l2_grad(w1) && !l2_grad(w2);
        rec_clear(&r);
    }
    ok(done && nomem == runs - 1, "backward with the hook under injected allocation failures: "
       "%d runs, %d NOMEM with no .grad", runs, nomem);

    l2_set_grad_ready_hook(NULL, &r);
    ok(l2_backward(net(x, w1, w2), NULL, false) == L2_OK && r.n == 0, "NULL clears the hook");
    RELEASE(g1, before1, before2);
    l2_scope_end();
    return tap_done();
}
