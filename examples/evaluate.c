/* evaluate.c: loads a model trained by examples/fashion_mnist, from a checkpoint (--checkpoint,
 * written by fashion_mnist --checkpoint) or a weights file (--weights, fashion_mnist --out),
 * puts it in eval mode and evaluates it on the Fashion-MNIST test set: accuracy and the 10x10
 * confusion matrix (rows: true class, columns: predicted class).
 *
 *   evaluate --model mlp|cnn (--checkpoint FILE | --weights FILE) [--data DIR] [--limit N]
 */
#include <l2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                             \
    do {                                                                                     \
        if (!(x)) {                                                                          \
            fprintf(stderr, "evaluate: %s failed: %s\n", #x, l2_last_error());               \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

#include "fashion_model.h" /* the models of fashion_mnist.c, with the same names */

static const char *const classes[10] = {"T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal", "Shirt", "Sneaker", "Bag", "Boot"};

int main(int argc, char **argv)
{
    const char *dir = "/usr/share/datasets/fashion-mnist", *which = "mlp";
    const char *ckpt = NULL, *weights = NULL;
    int64_t limit = 0;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "evaluate: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--model"))
            which = v;
        else if (!strcmp(a, "--checkpoint"))
            ckpt = v;
        else if (!strcmp(a, "--weights"))
            weights = v;
        else if (!strcmp(a, "--data"))
            dir = v;
        else if (!strcmp(a, "--limit"))
            limit = atoll(v);
        else {
            fprintf(stderr, "evaluate: unknown option %s\n", a);
            return 2;
        }
    }
    bool cnn = !strcmp(which, "cnn");
    if ((!cnn && strcmp(which, "mlp")) || !ckpt == !weights) {
        fprintf(stderr, "usage: evaluate --model mlp|cnn (--checkpoint FILE | --weights FILE) "
                        "[--data DIR] [--limit N]\n");
        return 2;
    }
    model m;
    model_init(&m, cnn);
    if (ckpt) {
        CHECK(l2_checkpoint_load(ckpt, m.params, NULL, false, NULL) == L2_OK);
    } else {
        l2_named_tensors *d = l2_load_safetensors(weights);
        CHECK(d);
        CHECK(l2_params_load(m.params, d) == L2_OK);
        l2_named_free(d);
    }
    CHECK(l2_params_train(m.params, false) == L2_OK); /* eval mode */

    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(p2, sizeof p2, "%s/t10k-labels-idx1-ubyte.gz", dir);
    l2_tensor *x = l2_load_idx(p1, true), *y = l2_load_idx(p2, false);
    CHECK(x && y);
    int64_t n = l2_size(x, 0);
    if (limit > 0 && limit < n)
        n = limit;
    const int64_t *labels = l2_data_ptr(y);
    int64_t conf[10][10] = {{0}}, right = 0;
    l2_no_grad_begin();
    for (int64_t s = 0; s < n; s += 1000) {
        int64_t len = n - s < 1000 ? n - s : 1000;
        l2_scope_begin();
        l2_tensor *pred = l2_contiguous(l2_argmax_dim(forward(&m, l2_narrow(x, 0, s, len)), 1,
                                                      false));
        CHECK(pred);
        const int64_t *p = l2_data_ptr(pred);
        for (int64_t i = 0; i < len; i++) {
            int64_t t = labels[s + i], q = p[i];
            CHECK(t >= 0 && t < 10 && q >= 0 && q < 10);
            conf[t][q]++;
            right += t == q;
        }
        l2_scope_end();
    }
    l2_no_grad_end();
    printf("evaluate: %s from %s, %lld test images, eval mode\n", which, ckpt ? ckpt : weights,
           (long long)n);
    printf("test accuracy: %.4f\n", (double)right / (double)n);
    printf("confusion matrix (rows: true class, columns: predicted)\n%10s", "");
    for (int j = 0; j < 10; j++)
        printf(" %5.5s", classes[j]);
    printf("\n");
    for (int i = 0; i < 10; i++) {
        printf("%-10s", classes[i]);
        for (int j = 0; j < 10; j++)
            printf(" %5lld", (long long)conf[i][j]);
        printf("\n");
    }
    model_free(&m);
    l2_tensor_release(x);
    l2_tensor_release(y);
    return 0;
}
