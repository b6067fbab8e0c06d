/* train_resume.c: the libl2 side of the checkpoint oracle (issue 16, oracle/train_resume.py).
 * A small CNN with BatchNorm (conv 1->8 3x3 pad 1 without bias (its gradient through\n * BatchNorm is rounding noise, which Adam would amplify), BatchNorm2d, relu, 2x2 max pool, linear
 * 8*14*14 -> 10) trains on the first Fashion-MNIST training images in order (batch 32) with SGD
 * (momentum 0.9, lr 0.05, weight decay 1e-4) or Adam (lr 1e-3): --steps N steps from the initial
 * state (written to --init), a checkpoint (--ckpt), then a fresh model and optimizer (another
 * seed) load the checkpoint and train N more steps; the loss of all 2N steps goes to --losses and
 * the final model state (parameters, buffers, and "eval.logits": the eval-mode logits of the
 * next batch) to --final.
 *
 *   train_resume --opt sgd|adam --steps N --data DIR --init F --ckpt F --losses F --final F
 */
#include <l2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                             \
    do {                                                                                     \
        if (!(x)) {                                                                          \
            fprintf(stderr, "train_resume: %s failed: %s\n", #x, l2_last_error());           \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

#define B 32

typedef struct {
    l2_conv2d_layer conv;
    l2_batchnorm2d_layer bn;
    l2_linear_layer fc;
    l2_params *p;
    l2_optimizer *opt;
} net;

static void net_init(net *m, uint64_t seed, bool adam)
{
    l2_manual_seed(seed);
    CHECK(l2_conv2d_layer_init(&m->conv, 1, 8, 3, 1, 1, 1, false, L2_FLOAT32) == L2_OK);
    CHECK(l2_batchnorm2d_layer_init(&m->bn, 8, L2_FLOAT32) == L2_OK);
    CHECK(l2_linear_layer_init(&m->fc, 8 * 14 * 14, 10, true, L2_FLOAT32) == L2_OK);
    CHECK((m->p = l2_params_new()) != NULL);
    CHECK(l2_conv2d_layer_params(&m->conv, m->p, "conv") == L2_OK);
    CHECK(l2_batchnorm2d_layer_params(&m->bn, m->p, "bn") == L2_OK);
    CHECK(l2_linear_layer_params(&m->fc, m->p, "fc") == L2_OK);
    if (adam) {
        m->opt = l2_adam(l2_params_count(m->p), l2_params_tensors(m->p), l2_adam_defaults());
    } else {
        l2_sgd_options o = l2_sgd_defaults(0.05);
        o.momentum = 0.9;
        o.weight_decay = 1e-4;
        m->opt = l2_sgd(l2_params_count(m->p), l2_params_tensors(m->p), o);
    }
    CHECK(m->opt);
}

static void net_free(net *m)
{
    l2_optimizer_free(m->opt);
    l2_params_free(m->p);
    l2_conv2d_layer_free(&m->conv);
    l2_batchnorm2d_layer_free(&m->bn);
    l2_linear_layer_free(&m->fc);
}

static l2_tensor *forward(net *m, const l2_tensor *x)
{
    static const int64_t k2[2] = {2, 2}, p0[2] = {0, 0};
    l2_tensor *h = l2_conv2d_layer_forward(&m->conv, x);
    h = l2_batchnorm2d_layer_forward(&m->bn, h, l2_params_training(m->p));
    h = l2_max_pool2d(l2_relu(h), k2, k2, p0);
    return l2_linear_layer_forward(&m->fc, l2_flatten(h, 1, -1));
}

static void train(net *m, const l2_tensor *x, const l2_tensor *y, int from, int to, FILE *lf)
{
    for (int s = from; s < to; s++) {
        l2_scope_begin();
        l2_tensor *xb = l2_reshape(l2_narrow(x, 0, (int64_t)s * B, B), L2_SHAPE(B, 1, 28, 28));
        l2_tensor *yb = l2_narrow(y, 0, (int64_t)s * B, B);
        l2_tensor *loss = l2_cross_entropy(forward(m, xb), yb, L2_REDUCTION_MEAN, -100, 0);
        CHECK(loss);
        CHECK(l2_params_zero_grad(m->p, true) == L2_OK);
        CHECK(l2_backward(loss, NULL, false) == L2_OK);
        CHECK(l2_optimizer_step(m->opt) == L2_OK);
        double v;
        l2_item(loss, &v);
        fprintf(lf, "%.9g\n", v);
        l2_scope_end();
    }
}

int main(int argc, char **argv)
{
    const char *opt_name = "sgd", *dir = "/usr/share/datasets/fashion-mnist";
    const char *init = NULL, *ckpt = NULL, *losses = NULL, *final = NULL;
    int steps = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--opt"))
            opt_name = argv[i + 1];
        else if (!strcmp(argv[i], "--steps"))
            steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--data"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--init"))
            init = argv[i + 1];
        else if (!strcmp(argv[i], "--ckpt"))
            ckpt = argv[i + 1];
        else if (!strcmp(argv[i], "--losses"))
            losses = argv[i + 1];
        else if (!strcmp(argv[i], "--final"))
            final = argv[i + 1];
    }
    CHECK(init && ckpt && losses && final && steps > 0);
    bool adam = !strcmp(opt_name, "adam");
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(p2, sizeof p2, "%s/train-labels-idx1-ubyte.gz", dir);
    l2_tensor *x = l2_load_idx(p1, true), *y = l2_load_idx(p2, false);
    CHECK(x && y);
    FILE *lf = fopen(losses, "w");
    CHECK(lf);

    net a;
    net_init(&a, 1234, adam);
    l2_named_tensors *sd = l2_params_state_dict(a.p);
    CHECK(sd && l2_save_named(init, sd) == L2_OK);
    l2_named_free(sd);
    train(&a, x, y, 0, steps, lf);
    CHECK(l2_checkpoint_save(ckpt, a.p, a.opt, true, NULL) == L2_OK);
    net_free(&a);

    net b;
    net_init(&b, 4321, adam);
    CHECK(l2_checkpoint_load(ckpt, b.p, b.opt, true, NULL) == L2_OK);
    train(&b, x, y, steps, 2 * steps, lf);
    fclose(lf);

    /* The final state, and eval-mode logits of the next batch. */
    CHECK(l2_params_train(b.p, false) == L2_OK);
    l2_scope_begin();
    l2_tensor *xb = l2_reshape(l2_narrow(x, 0, (int64_t)2 * steps * B, B), L2_SHAPE(B, 1, 28, 28));
    l2_tensor *logits = l2_keep(forward(&b, xb));
    l2_scope_end();
    CHECK(logits);
    sd = l2_params_state_dict(b.p);
    CHECK(sd && l2_named_add(sd, "eval.logits", logits) == L2_OK);
    CHECK(l2_save_named(final, sd) == L2_OK);
    l2_named_free(sd);
    l2_tensor_release(logits);
    net_free(&b);
    l2_tensor_release(x);
    l2_tensor_release(y);
    return 0;
}
