/* layers.c: Linear, Conv2d, BatchNorm2d, LayerNorm and Embedding as plain structs with PyTorch's
 * default initialisation, forward functions over the op families, and parameter collection. */
#include "../autograd-impl.h"

#include <math.h>
#include <stdio.h>

/* A leaf parameter of shape, uniform on [-bound, bound), requiring grad. */
static l2_tensor *uniform_param(int ndim, const int64_t *shape, double bound, l2_dtype dt)
{
    l2__enter();
    l2_tensor *t = l2_uniform(ndim, shape, -bound, bound, dt);
    l2__leave();
    if (t)
        l2_set_requires_grad(t, true);
    return t;
}

static l2_tensor *const_param(int64_t n, double v, l2_dtype dt, bool grad)
{
    l2__enter();
    l2_tensor *t = l2_full(1, &n, v, dt);
    l2__leave();
    if (t && grad)
        l2_set_requires_grad(t, true);
    return t;
}

/* Append prefix.suffix -> t to p (t may be NULL: skipped). */
static l2_status add_named(l2_params *p, const char *prefix, const char *suffix, l2_tensor *t)
{
    if (!t)
        return L2_OK;
    char name[512];
    snprintf(name, sizeof name, "%s%s%s", prefix ? prefix : "", prefix && prefix[0] ? "." : "",
             suffix);
    return l2_params_add(p, name, t);
}

/* Append the buffer prefix.suffix -> t to p (issue 16; t may be NULL: skipped). */
static l2_status add_buffer(l2_params *p, const char *prefix, const char *suffix, l2_tensor *t)
{
    if (!t)
        return L2_OK;
    char name[512];
    snprintf(name, sizeof name, "%s%s%s", prefix ? prefix : "", prefix && prefix[0] ? "." : "",
             suffix);
    return l2_params_add_buffer(p, name, t);
}

static l2_status check_float(const char *op, l2_dtype dt)
{
    L2__CHECK_ST(l2__is_float(dt), L2_ERR_DTYPE, "%s: dtype %s is not a float dtype", op,
                 l2_dtype_name(dt));
    return L2_OK;
}

/* ---- Linear ---- */

l2_status l2_linear_layer_init(l2_linear_layer *m, int64_t in_features, int64_t out_features,
                               bool bias, l2_dtype dt)
{
    const char *op = "linear_layer_init";
    L2__CHECK_ST(m, L2_ERR_NULL, "%s: layer is NULL", op);
    L2__CHECK_ST(in_features > 0 && out_features > 0, L2_ERR_ARG,
                 "%s: sizes must be positive (got %lld, %lld)", op, (long long)in_features,
                 (long long)out_features);
    if (check_float(op, dt) != L2_OK)
        return L2_ERR_DTYPE;
    double bound = 1.0 / sqrt((double)in_features);
    m->weight = uniform_param(2, (const int64_t[]){out_features, in_features}, bound, dt);
    /* No bias after a failed weight: its error must stay the reported one. */
    m->bias = bias && m->weight ? uniform_param(1, &out_features, bound, dt) : NULL;
    if (!m->weight || (bias && !m->bias)) {
        l2_linear_layer_free(m);
        return l2_last_status();
    }
    return L2_OK;
}

l2_tensor *l2_linear_layer_forward(const l2_linear_layer *m, const l2_tensor *x)
{
    L2__CHECK(m && m->weight, NULL, L2_ERR_NULL, "linear_layer_forward: layer is NULL");
    return l2_linear(x, m->weight, m->bias);
}

l2_status l2_linear_layer_params(const l2_linear_layer *m, l2_params *p, const char *prefix)
{
    L2__CHECK_ST(m, L2_ERR_NULL, "linear_layer_params: layer is NULL");
    l2_status st = add_named(p, prefix, "weight", m->weight);
    return st ? st : add_named(p, prefix, "bias", m->bias);
}

void l2_linear_layer_free(l2_linear_layer *m)
{
    if (!m)
        return;
    l2_tensor_release(m->weight);
    l2_tensor_release(m->bias);
    m->weight = m->bias = NULL;
}

/* ---- Conv2d ---- */

l2_status l2_conv2d_layer_init(l2_conv2d_layer *m, int64_t in_channels, int64_t out_channels,
                               int64_t kernel, int64_t stride, int64_t padding, int64_t groups,
                               bool bias, l2_dtype dt)
{
    const char *op = "conv2d_layer_init";
    L2__CHECK_ST(m, L2_ERR_NULL, "%s: layer is NULL", op);
    L2__CHECK_ST(in_channels > 0 && out_channels > 0 && kernel > 0 && stride > 0 &&
                     padding >= 0 && groups > 0 && in_channels % groups == 0 &&
                     out_channels % groups == 0,
                 L2_ERR_ARG, "%s: invalid sizes (in %lld, out %lld, kernel %lld, stride %lld, "
                 "padding %lld, groups %lld)", op, (long long)in_channels,
                 (long long)out_channels, (long long)kernel, (long long)stride,
                 (long long)padding, (long long)groups);
    if (check_float(op, dt) != L2_OK)
        return L2_ERR_DTYPE;
    /* fan_in = C/groups * k * k in double: the weight's shape is validated (and refused when its
     * element count overflows) by uniform_param, which runs next. */
    double bound = 1.0 / sqrt((double)(in_channels / groups) * (double)kernel * (double)kernel);
    m->weight = uniform_param(4, (const int64_t[]){out_channels, in_channels / groups, kernel,
                                                   kernel}, bound, dt);
    m->bias = bias && m->weight ? uniform_param(1, &out_channels, bound, dt) : NULL;
    m->stride[0] = m->stride[1] = stride;
    m->padding[0] = m->padding[1] = padding;
    m->dilation[0] = m->dilation[1] = 1;
    m->groups = groups;
    if (!m->weight || (bias && !m->bias)) {
        l2_conv2d_layer_free(m);
        return l2_last_status();
    }
    return L2_OK;
}

l2_tensor *l2_conv2d_layer_forward(const l2_conv2d_layer *m, const l2_tensor *x)
{
    L2__CHECK(m && m->weight, NULL, L2_ERR_NULL, "conv2d_layer_forward: layer is NULL");
    return l2_conv2d(x, m->weight, m->bias, m->stride, m->padding, m->dilation, m->groups);
}

l2_status l2_conv2d_layer_params(const l2_conv2d_layer *m, l2_params *p, const char *prefix)
{
    L2__CHECK_ST(m, L2_ERR_NULL, "conv2d_layer_params: layer is NULL");
    l2_status st = add_named(p, prefix, "weight", m->weight);
    return st ? st : add_named(p, prefix, "bias", m->bias);
}

void l2_conv2d_layer_free(l2_conv2d_layer *m)
{
    if (!m)
        return;
    l2_tensor_release(m->weight);
    l2_tensor_release(m->bias);
    m->weight = m->bias = NULL;
}

/* ---- BatchNorm2d ---- */

l2_status l2_batchnorm2d_layer_init(l2_batchnorm2d_layer *m, int64_t num_features, l2_dtype dt)
{
    const char *op = "batchnorm2d_layer_init";
    L2__CHECK_ST(m, L2_ERR_NULL, "%s: layer is NULL", op);
    L2__CHECK_ST(num_features > 0, L2_ERR_ARG, "%s: num_features must be positive", op);
    if (check_float(op, dt) != L2_OK)
        return L2_ERR_DTYPE;
    m->weight = const_param(num_features, 1, dt, true);
    m->bias = const_param(num_features, 0, dt, true);
    m->running_mean = const_param(num_features, 0, dt, false);
    m->running_var = const_param(num_features, 1, dt, false);
    l2__enter();
    m->num_batches_tracked = l2_zeros(0, NULL, L2_INT64);
    l2__leave();
    m->momentum = 0.1;
    m->eps = 1e-5;
    if (!m->weight || !m->bias || !m->running_mean || !m->running_var ||
        !m->num_batches_tracked) {
        l2_batchnorm2d_layer_free(m);
        return l2_last_status();
    }
    return L2_OK;
}

l2_tensor *l2_batchnorm2d_layer_forward(const l2_batchnorm2d_layer *m, const l2_tensor *x,
                                        bool training)
{
    L2__CHECK(m && m->weight, NULL, L2_ERR_NULL, "batchnorm2d_layer_forward: layer is NULL");
    L2__CHECK(!x || x->ndim == 4, NULL, L2_ERR_SHAPE,
              "batchnorm2d_layer_forward: expected 4D input (got %dD input)", x->ndim);
    l2_tensor *y = l2_batch_norm(x, m->running_mean, m->running_var, m->weight, m->bias,
                                 training, m->momentum, m->eps);
    if (y && training && m->num_batches_tracked) { /* torch's counter (issue 16) */
        (*(int64_t *)l2__data(m->num_batches_tracked))++;
        l2__bump_version(m->num_batches_tracked);
    }
    return y;
}

l2_status l2_batchnorm2d_layer_params(const l2_batchnorm2d_layer *m, l2_params *p,
                                      const char *prefix)
{
    L2__CHECK_ST(m, L2_ERR_NULL, "batchnorm2d_layer_params: layer is NULL");
    l2_status st = add_named(p, prefix, "weight", m->weight);
    if (!st)
        st = add_named(p, prefix, "bias", m->bias);
    if (!st)
        st = add_buffer(p, prefix, "running_mean", m->running_mean);
    if (!st)
        st = add_buffer(p, prefix, "running_var", m->running_var);
    return st ? st : add_buffer(p, prefix, "num_batches_tracked", m->num_batches_tracked);
}

void l2_batchnorm2d_layer_free(l2_batchnorm2d_layer *m)
{
    if (!m)
        return;
    l2_tensor_release(m->weight);
    l2_tensor_release(m->bias);
    l2_tensor_release(m->running_mean);
    l2_tensor_release(m->running_var);
    l2_tensor_release(m->num_batches_tracked);
    m->weight = m->bias = m->running_mean = m->running_var = m->num_batches_tracked = NULL;
}

/* ---- LayerNorm ---- */

l2_status l2_layernorm_layer_init(l2_layernorm_layer *m, int64_t features, l2_dtype dt)
{
    const char *op = "layernorm_layer_init";
    L2__CHECK_ST(m, L2_ERR_NULL, "%s: layer is NULL", op);
    L2__CHECK_ST(features > 0, L2_ERR_ARG, "%s: features must be positive", op);
    if (check_float(op, dt) != L2_OK)
        return L2_ERR_DTYPE;
    m->weight = const_param(features, 1, dt, true);
    m->bias = const_param(features, 0, dt, true);
    m->features = features;
    m->eps = 1e-5;
    if (!m->weight || !m->bias) {
        l2_layernorm_layer_free(m);
        return l2_last_status();
    }
    return L2_OK;
}

l2_tensor *l2_layernorm_layer_forward(const l2_layernorm_layer *m, const l2_tensor *x)
{
    L2__CHECK(m && m->weight, NULL, L2_ERR_NULL, "layernorm_layer_forward: layer is NULL");
    return l2_layer_norm(x, 1, &m->features, m->weight, m->bias, m->eps);
}

l2_status l2_layernorm_layer_params(const l2_layernorm_layer *m, l2_params *p, const char *prefix)
{
    L2__CHECK_ST(m, L2_ERR_NULL, "layernorm_layer_params: layer is NULL");
    l2_status st = add_named(p, prefix, "weight", m->weight);
    return st ? st : add_named(p, prefix, "bias", m->bias);
}

void l2_layernorm_layer_free(l2_layernorm_layer *m)
{
    if (!m)
        return;
    l2_tensor_release(m->weight);
    l2_tensor_release(m->bias);
    m->weight = m->bias = NULL;
}

/* ---- Embedding ---- */

l2_status l2_embedding_layer_init(l2_embedding_layer *m, int64_t num, int64_t dim, l2_dtype dt)
{
    const char *op = "embedding_layer_init";
    L2__CHECK_ST(m, L2_ERR_NULL, "%s: layer is NULL", op);
    L2__CHECK_ST(num > 0 && dim > 0, L2_ERR_ARG, "%s: sizes must be positive", op);
    if (check_float(op, dt) != L2_OK)
        return L2_ERR_DTYPE;
    l2__enter();
    m->weight = l2_randn(2, (const int64_t[]){num, dim}, dt);
    l2__leave();
    if (!m->weight)
        return l2_last_status();
    l2_set_requires_grad(m->weight, true);
    return L2_OK;
}

l2_tensor *l2_embedding_layer_forward(const l2_embedding_layer *m, const l2_tensor *indices)
{
    L2__CHECK(m && m->weight, NULL, L2_ERR_NULL, "embedding_layer_forward: layer is NULL");
    return l2_embedding(m->weight, indices);
}

l2_status l2_embedding_layer_params(const l2_embedding_layer *m, l2_params *p, const char *prefix)
{
    L2__CHECK_ST(m, L2_ERR_NULL, "embedding_layer_params: layer is NULL");
    return add_named(p, prefix, "weight", m->weight);
}

void l2_embedding_layer_free(l2_embedding_layer *m)
{
    if (!m)
        return;
    l2_tensor_release(m->weight);
    m->weight = NULL;
}
