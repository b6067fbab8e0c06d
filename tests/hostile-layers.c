/* hostile-layers.c: hostile-input entries for parameter lists and layers. */
#include "hostile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h_l2_params_new(void)
{
    CASE("new, free") l2_params_free(l2_params_new());
}

void h_l2_params_add(void)
{
    CASE("NULL list") FAIL_S(L2_ERR_NULL, l2_params_add(NULL, "a", MK(L2_FLOAT32, 1)));
    CASE("NULL name")
    {
        l2_params *p = l2_params_new();
        FAIL_S(H_ANY, l2_params_add(p, NULL, MK(L2_FLOAT32, 1)));
        l2_params_free(p);
    }
    CASE("NULL tensor")
    {
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_NULL, l2_params_add(p, "a", NULL));
        l2_params_free(p);
    }
    CASE("duplicate name")
    {
        l2_params *p = l2_params_new();
        l2_params_add(p, "a", MK(L2_FLOAT32, 1));
        FAIL_S(L2_ERR_ARG, l2_params_add(p, "a", MK(L2_FLOAT32, 1)));
        EXPECT(l2_params_count(p) == 1, "count %d after a failed add", l2_params_count(p));
        l2_params_free(p);
    }
    CASE("10000 entries, 105-byte names")
    {
        l2_params *p = l2_params_new();
        char name[200];
        memset(name, 'n', 100);
        l2_tensor *t = MK(L2_FLOAT32, 1);
        for (int i = 0; i < 10000; i++) {
            snprintf(name + 100, 100, "%d", i);
            if (ANY_S(l2_params_add(p, name, t)) != L2_OK)
                break;
        }
        l2_params_free(p);
    }
}

void h_l2_params_count(void)
{
    CASE("NULL") EXPECT(l2_params_count(NULL) == 0, "not 0");
}

void h_l2_params_tensors(void)
{
    CASE("NULL") NULL_MSG(l2_params_tensors(NULL));
    CASE("empty list")
    {
        l2_params *p = l2_params_new();
        (void)l2_params_tensors(p);
        l2_params_free(p);
    }
}

void h_l2_params_names(void)
{
    CASE("NULL") NULL_MSG(l2_params_names(NULL));
    CASE("empty list")
    {
        l2_params *p = l2_params_new();
        (void)l2_params_names(p);
        l2_params_free(p);
    }
}

static l2_named_tensors *named_of(int n, const char *const *names, l2_tensor *const *ts)
{
    char path[600];
    snprintf(path, sizeof path, "%s/p.safetensors", h_tmpdir());
    if (l2_save_safetensors(path, n, names, ts) != L2_OK)
        return NULL;
    return l2_load_safetensors(path);
}

void h_l2_params_load(void)
{
    CASE("NULL list")
    {
        l2_named_tensors *d =
            named_of(1, (const char *const[]){"a"}, (l2_tensor *const[]){MK(L2_FLOAT32, 2)});
        FAIL_S(L2_ERR_NULL, l2_params_load(NULL, d));
        l2_named_free(d);
    }
    CASE("NULL dict")
    {
        l2_params *p = l2_params_new();
        l2_params_add(p, "a", MK(L2_FLOAT32, 2));
        FAIL_S(L2_ERR_NULL, l2_params_load(p, NULL));
        l2_params_free(p);
    }
    CASE("second of two mismatches: nothing changes")
    {
        l2_params *p = l2_params_new();
        l2_tensor *a = MK(L2_FLOAT32, 2), *b = MK(L2_FLOAT32, 3);
        l2_tensor *sa = h_snap(a);
        l2_params_add(p, "a", a);
        l2_params_add(p, "b", b);
        l2_named_tensors *d =
            named_of(2, (const char *const[]){"a", "b"},
                     (l2_tensor *const[]){l2_ones(L2_SHAPE(2), L2_FLOAT32), MK(L2_FLOAT32, 4)});
        FAIL_S(L2_ERR_SHAPE, l2_params_load(p, d));
        h_same(sa, a, __LINE__);
        l2_named_free(d);
        l2_params_free(p);
    }
    CASE("dtype mismatch, missing name")
    {
        l2_params *p = l2_params_new();
        l2_params_add(p, "a", MK(L2_FLOAT32, 2));
        l2_named_tensors *d =
            named_of(1, (const char *const[]){"a"}, (l2_tensor *const[]){MK(L2_INT64, 2)});
        FAIL_S(L2_ERR_SHAPE, l2_params_load(p, d));
        l2_params_add(p, "zz", MK(L2_FLOAT32, 2));
        FAIL_S(H_ANY, l2_params_load(p, d));
        l2_named_free(d);
        l2_params_free(p);
    }
    CASE("into an expanded parameter")
    {
        l2_params *p = l2_params_new();
        l2_params_add(p, "a", mk_kind(K_EXPANDED, L2_FLOAT32));
        l2_named_tensors *d =
            named_of(1, (const char *const[]){"a"}, (l2_tensor *const[]){MK(L2_FLOAT32, 2, 3)});
        ANY_S(l2_params_load(p, d));
        l2_named_free(d);
        l2_params_free(p);
    }
}

void h_l2_params_free(void)
{
    CASE("NULL") l2_params_free(NULL);
}

/* ---- Layers -----------------------------------------------------------------------------------
 */

static const int64_t bad_sizes[] = {
    0, -1, INT64_MIN, INT64_MAX, (int64_t)1 << 40, (int64_t)1 << 62};
#define N_BAD_SIZES 6

void h_l2_linear_layer_init(void)
{
    l2_linear_layer m;
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_linear_layer_init(NULL, 2, 2, true, L2_FLOAT32));
    for (int i = 0; i < N_BAD_SIZES; i++) {
        CASE("in %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_linear_layer_init(&m, bad_sizes[i], 2, true, L2_FLOAT32)) == L2_OK)
                l2_linear_layer_free(&m);
        }
        CASE("out %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_linear_layer_init(&m, 2, bad_sizes[i], false, L2_FLOAT64)) ==
                L2_OK)
                l2_linear_layer_free(&m);
        }
    }
    for (int d = 2; d < L2_DTYPE_COUNT; d++)
        CASE("%s", l2_dtype_name(h_dtypes[d]))
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_ANY, l2_linear_layer_init(&m, 2, 2, true, h_dtypes[d])) == L2_OK)
                l2_linear_layer_free(&m);
        }
}

void h_l2_linear_layer_forward(void)
{
    CASE("NULL layer") FAIL_T(L2_ERR_NULL, l2_linear_layer_forward(NULL, MK(L2_FLOAT32, 2)));
    CASE("NULL x, bad x")
    {
        l2_linear_layer m;
        if (l2_linear_layer_init(&m, 3, 2, true, L2_FLOAT32) == L2_OK) {
            FAIL_T(L2_ERR_NULL, l2_linear_layer_forward(&m, NULL));
            FAIL_T(L2_ERR_SHAPE, l2_linear_layer_forward(&m, MK(L2_FLOAT32, 2)));
            FAIL_T(L2_ERR_DTYPE, l2_linear_layer_forward(&m, MK(L2_FLOAT64, 3)));
            ANY_T(l2_linear_layer_forward(&m, mk_kind(K_HUGE, L2_FLOAT32)));
            l2_linear_layer_free(&m);
        }
    }
    CASE("zeroed layer")
    {
        l2_linear_layer m = {0};
        FAIL_T(H_ANY, l2_linear_layer_forward(&m, MK(L2_FLOAT32, 3)));
    }
}

void h_l2_linear_layer_params(void)
{
    CASE("NULLs")
    {
        l2_linear_layer m;
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_NULL, l2_linear_layer_params(NULL, p, "fc"));
        if (l2_linear_layer_init(&m, 3, 2, true, L2_FLOAT32) == L2_OK) {
            FAIL_S(L2_ERR_NULL, l2_linear_layer_params(&m, NULL, "fc"));
            ANY_S(l2_linear_layer_params(&m, p, NULL));
            OK_S(l2_linear_layer_params(&m, p, "fc"));
            int n = l2_params_count(p);
            FAIL_S(L2_ERR_ARG, l2_linear_layer_params(&m, p, "fc"));
            EXPECT(l2_params_count(p) == n, "count %d -> %d after a failed call", n,
                   l2_params_count(p));
            l2_linear_layer_free(&m);
        }
        l2_params_free(p);
    }
}

void h_l2_linear_layer_free(void)
{
    CASE("NULL, zeroed, twice")
    {
        l2_linear_layer m = {0};
        l2_linear_layer_free(NULL);
        l2_linear_layer_free(&m);
        l2_linear_layer_free(&m);
    }
}

void h_l2_conv2d_layer_init(void)
{
    l2_conv2d_layer m;
    CASE("NULL")
    FAIL_S(L2_ERR_NULL, l2_conv2d_layer_init(NULL, 1, 1, 3, 1, 0, 1, true, L2_FLOAT32));
    for (int i = 0; i < N_BAD_SIZES; i++) {
        int64_t b = bad_sizes[i];
        CASE("in %lld", (long long)b)
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_conv2d_layer_init(&m, b, 1, 3, 1, 0, 1, true, L2_FLOAT32)) ==
                L2_OK)
                l2_conv2d_layer_free(&m);
        }
        CASE("out %lld", (long long)b)
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_conv2d_layer_init(&m, 1, b, 3, 1, 0, 1, true, L2_FLOAT32)) ==
                L2_OK)
                l2_conv2d_layer_free(&m);
        }
        CASE("kernel %lld", (long long)b)
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_conv2d_layer_init(&m, 1, 1, b, 1, 0, 1, true, L2_FLOAT32)) ==
                L2_OK)
                l2_conv2d_layer_free(&m);
        }
        CASE("stride %lld, padding %lld, groups %lld", (long long)b, (long long)b, (long long)b)
        {
            memset(&m, 0, sizeof m);
            if (ANY_S(l2_conv2d_layer_init(&m, 2, 2, 1, b, b, b, true, L2_FLOAT32)) == L2_OK) {
                ANY_T(l2_conv2d_layer_forward(&m, MK(L2_FLOAT32, 1, 2, 3, 3)));
                l2_conv2d_layer_free(&m);
            }
        }
    }
    CASE("groups not dividing")
    {
        memset(&m, 0, sizeof m);
        if (FAIL_S(H_ANY, l2_conv2d_layer_init(&m, 3, 2, 1, 1, 0, 2, true, L2_FLOAT32)) == L2_OK)
            l2_conv2d_layer_free(&m);
    }
}

void h_l2_conv2d_layer_forward(void)
{
    CASE("NULL layer")
    FAIL_T(L2_ERR_NULL, l2_conv2d_layer_forward(NULL, MK(L2_FLOAT32, 1, 1, 3, 3)));
    CASE("NULL x, bad x")
    {
        l2_conv2d_layer m;
        if (l2_conv2d_layer_init(&m, 1, 2, 3, 1, 1, 1, true, L2_FLOAT32) == L2_OK) {
            FAIL_T(L2_ERR_NULL, l2_conv2d_layer_forward(&m, NULL));
            FAIL_T(H_ANY, l2_conv2d_layer_forward(&m, MK(L2_FLOAT32, 3, 3)));
            FAIL_T(L2_ERR_SHAPE, l2_conv2d_layer_forward(&m, MK(L2_FLOAT32, 1, 2, 3, 3)));
            m.stride[0] = INT64_MAX;
            m.padding[1] = INT64_MAX;
            ANY_T(l2_conv2d_layer_forward(&m, MK(L2_FLOAT32, 1, 1, 3, 3)));
            m.stride[0] = 1;
            m.padding[1] = 1;
            m.groups = -5;
            FAIL_T(H_ANY, l2_conv2d_layer_forward(&m, MK(L2_FLOAT32, 1, 1, 3, 3)));
            m.groups = 1;
            l2_conv2d_layer_free(&m);
        }
    }
}

void h_l2_conv2d_layer_params(void)
{
    CASE("NULLs")
    {
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_NULL, l2_conv2d_layer_params(NULL, p, "c"));
        l2_params_free(p);
    }
}

void h_l2_conv2d_layer_free(void)
{
    CASE("NULL, zeroed, twice")
    {
        l2_conv2d_layer m = {0};
        l2_conv2d_layer_free(NULL);
        l2_conv2d_layer_free(&m);
        l2_conv2d_layer_free(&m);
    }
}

void h_l2_batchnorm2d_layer_init(void)
{
    l2_batchnorm2d_layer m;
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_batchnorm2d_layer_init(NULL, 3, L2_FLOAT32));
    for (int i = 0; i < N_BAD_SIZES; i++)
        CASE("features %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_batchnorm2d_layer_init(&m, bad_sizes[i], L2_FLOAT32)) == L2_OK)
                l2_batchnorm2d_layer_free(&m);
        }
    CASE("bool")
    {
        memset(&m, 0, sizeof m);
        if (FAIL_S(H_ANY, l2_batchnorm2d_layer_init(&m, 3, L2_BOOL)) == L2_OK)
            l2_batchnorm2d_layer_free(&m);
    }
}

void h_l2_batchnorm2d_layer_forward(void)
{
    CASE("NULL layer")
    FAIL_T(L2_ERR_NULL, l2_batchnorm2d_layer_forward(NULL, MK(L2_FLOAT32, 2, 3, 1, 1), true));
    CASE("NULL x, bad x, eval")
    {
        l2_batchnorm2d_layer m;
        if (l2_batchnorm2d_layer_init(&m, 3, L2_FLOAT32) == L2_OK) {
            FAIL_T(L2_ERR_NULL, l2_batchnorm2d_layer_forward(&m, NULL, true));
            FAIL_T(H_ANY, l2_batchnorm2d_layer_forward(&m, MK(L2_FLOAT32, 2, 4, 1, 1), true));
            FAIL_T(H_ANY, l2_batchnorm2d_layer_forward(&m, MK(L2_FLOAT32, 1, 3, 1, 1), true));
            ANY_T(l2_batchnorm2d_layer_forward(&m, MK(L2_FLOAT32, 1, 3, 1, 1), false));
            ANY_T(l2_batchnorm2d_layer_forward(
                &m, l2_reshape(mk_kind(K_SPECIAL, L2_FLOAT32), L2_SHAPE(2, 3, 1, 1)), true));
            l2_batchnorm2d_layer_free(&m);
        }
    }
}

void h_l2_batchnorm2d_layer_params(void)
{
    CASE("NULL")
    {
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_NULL, l2_batchnorm2d_layer_params(NULL, p, "bn"));
        l2_params_free(p);
    }
}

void h_l2_batchnorm2d_layer_free(void)
{
    CASE("NULL, zeroed, twice")
    {
        l2_batchnorm2d_layer m = {0};
        l2_batchnorm2d_layer_free(NULL);
        l2_batchnorm2d_layer_free(&m);
        l2_batchnorm2d_layer_free(&m);
    }
}

void h_l2_layernorm_layer_init(void)
{
    l2_layernorm_layer m;
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_layernorm_layer_init(NULL, 3, L2_FLOAT32));
    for (int i = 0; i < N_BAD_SIZES; i++)
        CASE("features %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_layernorm_layer_init(&m, bad_sizes[i], L2_FLOAT64)) == L2_OK)
                l2_layernorm_layer_free(&m);
        }
}

void h_l2_layernorm_layer_forward(void)
{
    CASE("NULL layer") FAIL_T(L2_ERR_NULL, l2_layernorm_layer_forward(NULL, MK(L2_FLOAT32, 3)));
    CASE("NULL x, bad x")
    {
        l2_layernorm_layer m;
        if (l2_layernorm_layer_init(&m, 3, L2_FLOAT32) == L2_OK) {
            FAIL_T(L2_ERR_NULL, l2_layernorm_layer_forward(&m, NULL));
            FAIL_T(L2_ERR_SHAPE, l2_layernorm_layer_forward(&m, MK(L2_FLOAT32, 2)));
            ANY_T(l2_layernorm_layer_forward(&m, mk_kind(K_SPECIAL, L2_FLOAT32)));
            m.features = INT64_MAX;
            FAIL_T(H_ANY, l2_layernorm_layer_forward(&m, MK(L2_FLOAT32, 3)));
            m.features = 3;
            l2_layernorm_layer_free(&m);
        }
    }
}

void h_l2_layernorm_layer_params(void)
{
    CASE("NULL")
    {
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_NULL, l2_layernorm_layer_params(NULL, p, "ln"));
        l2_params_free(p);
    }
}

void h_l2_layernorm_layer_free(void)
{
    CASE("NULL, zeroed, twice")
    {
        l2_layernorm_layer m = {0};
        l2_layernorm_layer_free(NULL);
        l2_layernorm_layer_free(&m);
        l2_layernorm_layer_free(&m);
    }
}

void h_l2_embedding_layer_init(void)
{
    l2_embedding_layer m;
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_embedding_layer_init(NULL, 3, 2, L2_FLOAT32));
    for (int i = 0; i < N_BAD_SIZES; i++) {
        CASE("num %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_embedding_layer_init(&m, bad_sizes[i], 2, L2_FLOAT32)) == L2_OK)
                l2_embedding_layer_free(&m);
        }
        CASE("dim %lld", (long long)bad_sizes[i])
        {
            memset(&m, 0, sizeof m);
            if (FAIL_S(H_BIG, l2_embedding_layer_init(&m, 2, bad_sizes[i], L2_FLOAT32)) == L2_OK)
                l2_embedding_layer_free(&m);
        }
    }
}

void h_l2_embedding_layer_forward(void)
{
    CASE("NULL layer") FAIL_T(L2_ERR_NULL, l2_embedding_layer_forward(NULL, MK(L2_INT64, 2)));
    CASE("NULL, bad and huge indices")
    {
        l2_embedding_layer m;
        if (l2_embedding_layer_init(&m, 3, 2, L2_FLOAT32) == L2_OK) {
            FAIL_T(L2_ERR_NULL, l2_embedding_layer_forward(&m, NULL));
            FAIL_T(L2_ERR_INDEX, l2_embedding_layer_forward(&m, MK(L2_INT64, 4)));
            FAIL_T(L2_ERR_DTYPE, l2_embedding_layer_forward(&m, MK(L2_FLOAT32, 2)));
            ANY_T(l2_embedding_layer_forward(&m, mk_kind(K_HUGE, L2_INT64)));
            l2_embedding_layer_free(&m);
        }
    }
}

void h_l2_embedding_layer_params(void)
{
    CASE("NULL")
    {
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_NULL, l2_embedding_layer_params(NULL, p, "emb"));
        l2_params_free(p);
    }
}

void h_l2_embedding_layer_free(void)
{
    CASE("NULL, zeroed, twice")
    {
        l2_embedding_layer m = {0};
        l2_embedding_layer_free(NULL);
        l2_embedding_layer_free(&m);
        l2_embedding_layer_free(&m);
    }
}
