/* fashion_model.h: the two Fashion-MNIST models, shared by examples/fashion_mnist.c (which trains
 * them) and examples/evaluate.c (which evaluates their checkpoints): an MLP 784-256-10 and a small
 * CNN (conv 3x3 16 + relu + maxpool 2, conv 3x3 32 + relu + maxpool 2, linear 1568-10), with the
 * parameter names their weight files and checkpoints use. Include after <l2.h>, <string.h> and
 * the program's CHECK(x) macro (its error exit). */
#ifndef FASHION_MODEL_H
#define FASHION_MODEL_H

typedef struct {
    bool cnn;
    l2_linear_layer fc1, fc2;     /* mlp: 784-256-10; cnn: fc1 is the head 32*7*7-10 */
    l2_conv2d_layer conv1, conv2; /* cnn only */
    l2_params *params;
} model;

static void model_init(model *m, bool cnn)
{
    memset(m, 0, sizeof *m);
    m->cnn = cnn;
    m->params = l2_params_new();
    CHECK(m->params);
    if (cnn) {
        CHECK(l2_conv2d_layer_init(&m->conv1, 1, 16, 3, 1, 1, 1, true, L2_FLOAT32) == L2_OK);
        CHECK(l2_conv2d_layer_init(&m->conv2, 16, 32, 3, 1, 1, 1, true, L2_FLOAT32) == L2_OK);
        CHECK(l2_linear_layer_init(&m->fc1, 32 * 7 * 7, 10, true, L2_FLOAT32) == L2_OK);
        CHECK(l2_conv2d_layer_params(&m->conv1, m->params, "conv1") == L2_OK);
        CHECK(l2_conv2d_layer_params(&m->conv2, m->params, "conv2") == L2_OK);
        CHECK(l2_linear_layer_params(&m->fc1, m->params, "fc") == L2_OK);
    } else {
        CHECK(l2_linear_layer_init(&m->fc1, 784, 256, true, L2_FLOAT32) == L2_OK);
        CHECK(l2_linear_layer_init(&m->fc2, 256, 10, true, L2_FLOAT32) == L2_OK);
        CHECK(l2_linear_layer_params(&m->fc1, m->params, "fc1") == L2_OK);
        CHECK(l2_linear_layer_params(&m->fc2, m->params, "fc2") == L2_OK);
    }
}

static void model_free(model *m)
{
    l2_linear_layer_free(&m->fc1);
    l2_linear_layer_free(&m->fc2);
    l2_conv2d_layer_free(&m->conv1);
    l2_conv2d_layer_free(&m->conv2);
    l2_params_free(m->params);
}

/* x: (B, 28, 28) -> logits (B, 10). Call inside a scope. */
static l2_tensor *forward(const model *m, const l2_tensor *x)
{
    const int64_t k2[2] = {2, 2};
    int64_t b = l2_size(x, 0);
    if (!m->cnn) {
        l2_tensor *h = l2_relu(l2_linear_layer_forward(&m->fc1, l2_reshape(x, L2_SHAPE(b, 784))));
        return l2_linear_layer_forward(&m->fc2, h);
    }
    l2_tensor *h = l2_reshape(x, L2_SHAPE(b, 1, 28, 28));
    h = l2_max_pool2d(l2_relu(l2_conv2d_layer_forward(&m->conv1, h)), k2, NULL, NULL);
    h = l2_max_pool2d(l2_relu(l2_conv2d_layer_forward(&m->conv2, h)), k2, NULL, NULL);
    return l2_linear_layer_forward(&m->fc1, l2_flatten(h, 1, -1));
}

#endif
