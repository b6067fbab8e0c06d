/* test-autograd.c: the engine's contract: backward twice (with and without retain_graph),
 * accumulation into .grad, retain_grad, no_grad nesting, detach, requires_grad rules, the
 * functional l2_autograd_grad, and the errors of misuse. Values are checked by hand:
 * y = sum(a * b) gives dy/da = b. */
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
