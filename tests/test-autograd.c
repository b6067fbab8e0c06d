/* test-autograd.c: the engine's contract: backward twice (with and without retain_graph),
 * accumulation into .grad, retain_grad, no_grad nesting, detach, requires_grad rules, the
 * functional l2_autograd_grad, and the errors of misuse. Values are checked by hand:
 * y = sum(a * b) gives dy/da = b. */
#include <math.h>

#include <l2.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static l2_tensor *vec(double x0, double x1, double x2, bool grad)
{
    l2_tensor *t = l2_from_data((const double[]){x0, x1, x2}, L2_SHAPE(3), L2_FLOAT64);
    if (grad)
        l2_set_requires_grad(t, true);
    return t;
}

int main(void)
{
    l2_tensor *a = vec(1, 2, 3, true), *b = vec(4, 5, 6, true);
    l2_tensor *p = l2_mul(a, b), *y = l2_sum(p);
    ok(l2_backward(y, NULL, true) == L2_OK, "backward with retain_graph");
    is_near(at(l2_grad(a), (const int64_t[]){2}), 6, 0, "da = b");
    ok(l2_backward(y, NULL, false) == L2_OK, "second backward through a retained graph");
    is_near(at(l2_grad(a), (const int64_t[]){2}), 12, 0, "grads accumulate across backward calls");
    ok(l2_backward(y, NULL, false) == L2_ERR_AUTOGRAD, "third backward after the graph was freed");
    ok(strstr(l2_last_error(), "second time") != NULL, "message: %s", l2_last_error());
    l2_zero_grad(a);
    is_near(at(l2_grad(a), (const int64_t[]){0}), 0, 0, "zero_grad keeps a zero tensor");
    l2_set_grad_none(a);
    ok(l2_grad(a) == NULL, "set_grad_none");
    l2_tensor_release(y);
    l2_tensor_release(p);
    l2_set_grad_none(b);

    /* retain_grad on a non-leaf; grad_output of the wrong shape. */
    p = l2_mul(a, b);
    ok(l2_retain_grad(p) == L2_OK, "retain_grad on a non-leaf");
    l2_tensor *g = vec(1, 10, 100, false);
    l2_tensor *g2 = l2_ones(L2_SHAPE(2), L2_FLOAT64);
    ok(l2_backward(p, g2, false) == L2_ERR_SHAPE, "grad_output of the wrong shape: %s",
       l2_last_error());
    ok(l2_backward(p, NULL, false) == L2_ERR_SHAPE, "implicit grad only for one element");
    ok(l2_backward(p, g, false) == L2_OK, "backward with an explicit grad_output");
    is_near(at(l2_grad(p), (const int64_t[]){1}), 10, 0, "retained non-leaf grad = grad_output");
    is_near(at(l2_grad(b), (const int64_t[]){2}), 300, 0, "db = a * g");
    l2_tensor_release(p);
    l2_set_grad_none(a);
    l2_set_grad_none(b);

    /* no_grad nests; detach cuts the graph; requires_grad rules. */
    l2_no_grad_begin();
    l2_no_grad_begin();
    l2_no_grad_end();
    p = l2_mul(a, b);
    ok(!l2_requires_grad(p) && l2_is_grad_enabled() == false, "no_grad still on after inner end");
    l2_no_grad_end();
    ok(l2_is_grad_enabled(), "grad mode back on");
    l2_tensor_release(p);
    l2_tensor *d = l2_detach(a);
    ok(!l2_requires_grad(d) && l2_shares_storage(d, a), "detach shares data, no grad");
    p = l2_mul(d, b);
    ok(l2_set_requires_grad(p, false) == L2_ERR_AUTOGRAD, "requires_grad off on a non-leaf");
    y = l2_sum(p);
    l2_backward(y, NULL, false);
    ok(l2_grad(a) == NULL && l2_grad(b) != NULL, "no gradient flows through detach");
    l2_set_grad_none(b);
    l2_tensor_release(y);
    l2_tensor_release(p);
    l2_tensor_release(d);
    l2_tensor *ints = l2_zeros(L2_SHAPE(2), L2_INT64);
    ok(l2_set_requires_grad(ints, true) == L2_ERR_DTYPE, "int tensors cannot require grad");
    ok(l2_backward(ints, NULL, false) == L2_ERR_AUTOGRAD, "backward of a tensor without grad");
    l2_tensor *am = l2_argmax(a);
    ok(!l2_requires_grad(am), "argmax is not differentiable");
    l2_tensor_release(am);
    l2_tensor_release(ints);

    /* The functional form: gradients without touching .grad; allow_unused. */
    l2_tensor *c = vec(7, 8, 9, true);
    p = l2_mul(a, b);
    y = l2_sum(p);
    l2_tensor *grads[3] = {0};
    ok(l2_autograd_grad(1, &y, NULL, 3, (l2_tensor *[]){a, b, c}, grads, true, false) ==
           L2_ERR_AUTOGRAD, "unused input refused without allow_unused: %s", l2_last_error());
    ok(l2_autograd_grad(1, &y, NULL, 3, (l2_tensor *[]){a, b, p}, grads, true, true) == L2_OK,
       "autograd_grad w.r.t. two leaves and a non-leaf");
    is_near(at(grads[0], (const int64_t[]){1}), 5, 0, "d/da = b");
    is_near(at(grads[1], (const int64_t[]){1}), 2, 0, "d/db = a");
    is_near(at(grads[2], (const int64_t[]){1}), 1, 0, "d/dp = 1");
    ok(l2_grad(a) == NULL && l2_grad(b) == NULL, ".grad untouched");
    for (int k = 0; k < 3; k++)
        l2_tensor_release(grads[k]);
    ok(l2_autograd_grad(1, &y, NULL, 1, &c, grads, false, true) == L2_OK && grads[0] == NULL,
       "allow_unused gives NULL for an unused input");
    l2_tensor_release(y);
    l2_tensor_release(p);

    /* autograd_grad runs only what leads to the requested inputs (issue 13 #1, as torch). */
    {
        l2_tensor *x = vec(1, 2, 3, true), *w = vec(0.5, 0.25, 1, true);
        l2_tensor *e = l2_exp(w), *x3 = l2_mul_scalar(x, 3);
        l2_add_scalar_(e, 1); /* e's node (exp) saved e: now at a newer version */
        l2_tensor *s = l2_add(x3, e), *o = l2_sum(s);
        l2_tensor *gx = NULL;
        ok(l2_autograd_grad(1, &o, NULL, 1, &x, &gx, true, false) == L2_OK,
           "grad w.r.t. x skips the modified exp branch: %s", l2_last_error());
        is_near(gx ? at(gx, (const int64_t[]){2}) : -1, 3, 0, "d/dx = 3");
        l2_tensor_release(gx);
        ok(l2_autograd_grad(1, &o, NULL, 1, &w, &gx, true, false) == L2_ERR_AUTOGRAD &&
               strstr(l2_last_error(), "version") != NULL,
           "grad w.r.t. w still runs exp and sees the version: %s", l2_last_error());
        ok(l2_backward(o, NULL, true) == L2_ERR_AUTOGRAD, "and so does backward");
        l2_tensor *frees[] = {o, s, x3, e};
        for (int k = 0; k < 4; k++)
            l2_tensor_release(frees[k]);

        /* A requested non-leaf: its node is not run unless it leads to another input. */
        l2_tensor *a2 = l2_clone(w), *h = l2_exp(a2), *hd = l2_detach(h);
        l2_add_scalar_(hd, 1);
        l2_tensor *h3 = l2_mul_scalar(h, 3);
        o = l2_sum(h3);
        ok(l2_autograd_grad(1, &o, NULL, 1, &h, &gx, true, false) == L2_OK,
           "grad w.r.t. a non-leaf does not run its (modified) node: %s", l2_last_error());
        is_near(gx ? at(gx, (const int64_t[]){0}) : -1, 3, 0, "d/dh = 3");
        l2_tensor_release(gx);
        l2_tensor *frees2[] = {o, h3, hd, h, a2};
        for (int k = 0; k < 5; k++)
            l2_tensor_release(frees2[k]);

        /* Without retain_graph, the nodes it did not run keep what they saved. */
        e = l2_exp(w);
        x3 = l2_mul_scalar(x, 3);
        s = l2_add(x3, e);
        o = l2_sum(s);
        ok(l2_autograd_grad(1, &o, NULL, 1, &x, &gx, false, false) == L2_OK, "grad w.r.t. x");
        l2_tensor_release(gx);
        ok(l2_autograd_grad(1, &o, NULL, 1, &w, &gx, false, false) == L2_OK,
           "then w.r.t. w: exp's saved result was kept: %s", l2_last_error());
        is_near(gx ? at(gx, (const int64_t[]){2}) : -1, exp(1.0), 1e-12, "d/dw = exp(w)");
        l2_tensor_release(gx);
        ok(l2_autograd_grad(1, &o, NULL, 1, &x, &gx, false, false) == L2_ERR_AUTOGRAD,
           "x again: mul_scalar's node ran and was freed: %s", l2_last_error());
        l2_tensor *frees3[] = {o, s, x3, e, x, w};
        for (int k = 0; k < 6; k++)
            l2_tensor_release(frees3[k]);
    }

    /* A second backward without retain_graph fails only through a node that saved something,
     * in libl2 or in torch 1.13 (issue 13 #4). */
    {
        l2_tensor *x = vec(1, 2, 3, true);
        l2_tensor *s = l2_add(x, x), *o = l2_sum(s);
        ok(l2_backward(o, NULL, false) == L2_OK && l2_backward(o, NULL, false) == L2_OK,
           "sum(x + x) twice: nothing saved, both run: %s", l2_last_error());
        is_near(at(l2_grad(x), (const int64_t[]){1}), 4, 0, "and the gradients accumulate");
        l2_tensor_release(o);
        l2_tensor_release(s);
        l2_set_grad_none(x);
        /* Classes of "saves": libl2 saves a tensor (mul of two tensors); libl2 saves nothing but
         * torch saves the wrapped number (mul_scalar, L2__SAVES in the op table); torch's mean
         * over dims saves its input (set by the forward), its mean of everything does not. */
        l2_tensor *xx = l2_mul(x, x), *m = l2_mul_scalar(x, 2);
        l2_tensor *md = l2_mean_dims(x, 1, (const int[]){0}, false), *ma = l2_mean(x);
        l2_tensor *lx = l2_ones(L2_SHAPE(2, 3), L2_FLOAT64);
        l2_tensor *lw = l2_ones(L2_SHAPE(3, 3), L2_FLOAT64);
        l2_tensor *lin = l2_linear(lx, lw, x); /* only the bias requires grad: torch saves none */
        struct {
            l2_tensor *t;
            bool fails;
            const char *what;
        } cases[] = {{xx, true, "mul(x, x) (libl2 saved x)"},
                     {m, true, "mul_scalar (torch saved the number)"},
                     {md, true, "mean over dims (torch saved the input)"},
                     {ma, false, "mean of everything (nothing saved)"},
                     {lin, false, "linear whose bias alone requires grad (stand-ins only)"}};
        for (int k = 0; k < 5; k++) {
            l2_tensor *r = l2_sum(cases[k].t);
            l2_status st1 = l2_backward(r, NULL, false), st2 = l2_backward(r, NULL, false);
            ok(st1 == L2_OK && (st2 == L2_ERR_AUTOGRAD) == cases[k].fails,
               "second backward through %s %s: %s", cases[k].what,
               cases[k].fails ? "fails" : "runs", st2 ? l2_last_error() : "ok");
            if (st2)
                ok(strstr(l2_last_error(), "second time") != NULL, "message: %s",
                   l2_last_error());
            l2_tensor_release(r);
            l2_tensor_release(cases[k].t);
        }
        l2_tensor_release(lx);
        l2_tensor_release(lw);
        l2_tensor_release(x);
    }

    /* The graph frees itself with its last output; a chain keeps its leaves alive. */
    l2_tensor *chain = l2_mul_scalar(a, 2);
    for (int k = 0; k < 1000; k++) {
        l2_tensor *next = l2_add_scalar(chain, 1);
        l2_tensor_release(chain);
        chain = next;
    }
    y = l2_sum(chain);
    l2_backward(y, NULL, false);
    is_near(at(l2_grad(a), (const int64_t[]){0}), 2, 0, "a 1000-op chain backprops");
    l2_tensor_release(y);
    l2_tensor_release(chain);
    l2_tensor *all[] = {a, b, c, g, g2};
    for (int k = 0; k < 5; k++)
        l2_tensor_release(all[k]);
    return tap_done();
}
