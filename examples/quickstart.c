/* quickstart.c: the README's quick start, built and run by make check (it must compile as written). */
#include <stdio.h>
#include <l2.h>

int main(void)
{
    l2_manual_seed(0);
    l2_tensor *x = l2_randn(L2_SHAPE(64, 3), L2_FLOAT32);      /* yours: release it */
    l2_tensor *w = l2_zeros(L2_SHAPE(3, 1), L2_FLOAT32);
    l2_set_requires_grad(w, true);
    l2_tensor *y = l2_sum_dims(x, 1, (const int[]){1}, true); /* target: the row sums */

    for (int step = 0; step < 100; step++) {
        l2_scope_begin();                        /* everything made in here dies at scope_end */
        l2_tensor *loss = l2_mse_loss(l2_matmul(x, w), y, L2_REDUCTION_MEAN);
        if (!loss || l2_backward(loss, NULL, false) != L2_OK) {
            fprintf(stderr, "libl2: %s\n", l2_last_error());
            return 1;
        }
        l2_no_grad_begin();                      /* w -= 0.1 * grad */
        l2_add_(w, l2_mul_scalar(l2_grad(w), -0.1));
        l2_no_grad_end();
        l2_zero_grad(w);
        l2_scope_end();
    }
    l2_print(w);                                 /* tensor([[1.0000], [1.0000], [1.0000]], ...) */
    l2_tensor_release(y);
    l2_tensor_release(w);
    l2_tensor_release(x);
    return 0;
}
