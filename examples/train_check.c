/* train_check.c: the libl2 side of the training oracle. Trains the Fashion-MNIST MLP (784-256-10)
 * for a number of steps on the first training images in order (batch 64), with SGD (momentum 0.9,
 * lr 0.05) or Adam (lr 1e-3), writing the initial weights, the loss of every step and the final
 * weights, so that oracle/train_oracle.py can replay the same run in PyTorch.
 *
 *   train_check --opt sgd|adam --steps N --data DIR --init FILE --losses FILE --final FILE
 */
#include <l2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                             \
    do {                                                                                     \
        if (!(x)) {                                                                          \
            fprintf(stderr, "train_check: %s failed: %s\n", #x, l2_last_error());            \
            return 1;                                                                        \
        }                                                                                    \
    } while (0)

int main(int argc, char **argv)
{
    const char *opt_name = "sgd", *dir = "/usr/share/datasets/fashion-mnist";
    const char *init = NULL, *losses = NULL, *final = NULL;
    int steps = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--opt"))
            opt_name = argv[i + 1];
        else if (!strcmp(argv[i], "--steps"))
            steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--data"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--init"))
            init = argv[i + 1];
        else if (!strcmp(argv[i], "--losses"))
            losses = argv[i + 1];
        else if (!strcmp(argv[i], "--final"))
            final = argv[i + 1];
    }
    CHECK(init && losses && final);
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(p2, sizeof p2, "%s/train-labels-idx1-ubyte.gz", dir);
    l2_tensor *x = l2_load_idx(p1, true), *y = l2_load_idx(p2, false);
    CHECK(x && y);

    l2_manual_seed(1234);
    l2_linear_layer fc1, fc2;
    CHECK(l2_linear_layer_init(&fc1, 784, 256, true, L2_FLOAT32) == L2_OK);
    CHECK(l2_linear_layer_init(&fc2, 256, 10, true, L2_FLOAT32) == L2_OK);
    l2_params *params = l2_params_new();
    CHECK(params);
    CHECK(l2_linear_layer_params(&fc1, params, "fc1") == L2_OK);
    CHECK(l2_linear_layer_params(&fc2, params, "fc2") == L2_OK);
    int np = l2_params_count(params);
    CHECK(l2_save_safetensors(init, np, l2_params_names(params), l2_params_tensors(params)) ==
          L2_OK);
    l2_optimizer *opt;
    if (!strcmp(opt_name, "adam")) {
        opt = l2_adam(np, l2_params_tensors(params), l2_adam_defaults());
    } else {
        l2_sgd_options o = l2_sgd_defaults(0.05);
        o.momentum = 0.9;
        opt = l2_sgd(np, l2_params_tensors(params), o);
    }
    CHECK(opt);
    FILE *lf = fopen(losses, "w");
    CHECK(lf);
    for (int s = 0; s < steps; s++) {
        l2_scope_begin();
        l2_tensor *xb = l2_reshape(l2_narrow(x, 0, (int64_t)s * 64, 64), L2_SHAPE(64, 784));
        l2_tensor *yb = l2_narrow(y, 0, (int64_t)s * 64, 64);
        l2_tensor *h = l2_relu(l2_linear_layer_forward(&fc1, xb));
        l2_tensor *loss =
            l2_cross_entropy(l2_linear_layer_forward(&fc2, h), yb, L2_REDUCTION_MEAN, -100, 0);
        CHECK(loss);
        CHECK(l2_backward(loss, NULL, false) == L2_OK);
        CHECK(l2_optimizer_step(opt) == L2_OK);
        CHECK(l2_optimizer_zero_grad(opt, true) == L2_OK);
        double v;
        l2_item(loss, &v);
        fprintf(lf, "%.9g\n", v);
        l2_scope_end();
    }
    fclose(lf);
    CHECK(l2_save_safetensors(final, np, l2_params_names(params), l2_params_tensors(params)) ==
          L2_OK);
    l2_optimizer_free(opt);
    l2_params_free(params);
    l2_linear_layer_free(&fc1);
    l2_linear_layer_free(&fc2);
    l2_tensor_release(x);
    l2_tensor_release(y);
    return 0;
}
