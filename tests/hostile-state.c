/* hostile-state.c: hostile-input entries for model buffers and modes, named-tensor building
 * and metadata, optimizer state dicts, the generator state and checkpoints (issue 16). */
#include "hostile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *tmp_path(const char *name)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", h_tmpdir(), name);
    return path;
}

/* A float leaf (3) that requires grad and has a grad (so an optimizer step makes state). */
static l2_tensor *stepped_param(void)
{
    l2_tensor *w = l2_ones(L2_SHAPE(3), L2_FLOAT32);
    l2_set_requires_grad(w, true);
    l2_backward(l2_sum(l2_mul(w, w)), NULL, false);
    return w;
}

void h_l2_params_add_buffer(void)
{
    CASE("NULL list") FAIL_S(L2_ERR_NULL, l2_params_add_buffer(NULL, "a", MK(L2_FLOAT32, 1)));
    CASE("NULL name, NULL tensor, empty name")
    {
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_NULL, l2_params_add_buffer(p, NULL, MK(L2_FLOAT32, 1)));
        FAIL_S(L2_ERR_NULL, l2_params_add_buffer(p, "a", NULL));
        FAIL_S(L2_ERR_ARG, l2_params_add_buffer(p, "", MK(L2_FLOAT32, 1)));
        EXPECT(l2_params_state_count(p) == 0, "count %d", l2_params_state_count(p));
        l2_params_free(p);
    }
    CASE("a leaf that requires grad; a name taken by a parameter")
    {
        l2_params *p = l2_params_new();
        FAIL_S(L2_ERR_ARG, l2_params_add_buffer(p, "w", mk_leaf(L2_FLOAT32)));
        l2_params_add(p, "w", mk_leaf(L2_FLOAT32));
        FAIL_S(L2_ERR_ARG, l2_params_add_buffer(p, "w", MK(L2_FLOAT32, 1)));
        EXPECT(l2_params_state_count(p) == 1 && l2_params_count(p) == 1, "counts changed");
        l2_params_free(p);
    }
    for (int k = 0; k < K_COUNT; k++)
        for (int d = 0; d < L2_DTYPE_COUNT; d++)
            CASE("%s %s buffer", h_kind_name[k], l2_dtype_name(h_dtypes[d]))
            {
                l2_params *p = l2_params_new();
                OK_S(l2_params_add_buffer(p, "b", mk_kind(k, h_dtypes[d])));
                EXPECT(l2_params_count(p) == 0 && l2_params_state_count(p) == 1, "counts");
                l2_params_free(p);
            }
}

void h_l2_params_state_count(void)
{
    CASE("NULL") EXPECT(l2_params_state_count(NULL) == 0, "not 0");
}

void h_l2_params_state_tensors(void)
{
    CASE("NULL") NULL_MSG(l2_params_state_tensors(NULL));
    CASE("empty list")
    {
        l2_params *p = l2_params_new();
        (void)l2_params_state_tensors(p);
        l2_params_free(p);
    }
}

void h_l2_params_state_names(void)
{
    CASE("NULL") NULL_MSG(l2_params_state_names(NULL));
    CASE("empty list")
    {
        l2_params *p = l2_params_new();
        (void)l2_params_state_names(p);
        l2_params_free(p);
    }
}

void h_l2_params_state_dict(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, (l2_tensor *)l2_params_state_dict(NULL));
    CASE("empty list, and a mixed one")
    {
        l2_params *p = l2_params_new();
        l2_named_tensors *d = l2_params_state_dict(p);
        EXPECT(d && l2_named_count(d) == 0, "empty dict");
        l2_named_free(d);
        l2_params_add_buffer(p, "b", mk_kind(K_HUGE, L2_FLOAT32));
        l2_params_add(p, "w", mk_leaf(L2_FLOAT64));
        d = l2_params_state_dict(p);
        EXPECT(d && l2_named_count(d) == 2 && !strcmp(l2_named_name(d, 0), "b"), "order");
        l2_named_free(d);
        l2_params_free(p);
    }
}

void h_l2_params_train(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_params_train(NULL, false));
    CASE("toggle")
    {
        l2_params *p = l2_params_new();
        OK_S(l2_params_train(p, false));
        EXPECT(!l2_params_training(p), "still training");
        l2_params_free(p);
    }
}

void h_l2_params_training(void)
{
    CASE("NULL") NULL_MSG(l2_params_training(NULL));
}

void h_l2_params_zero_grad(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_params_zero_grad(NULL, true));
    CASE("parameters without grads, buffers, huge buffer")
    {
        l2_params *p = l2_params_new();
        l2_params_add(p, "w", mk_leaf(L2_FLOAT32));
        l2_params_add_buffer(p, "b", mk_kind(K_HUGE, L2_FLOAT32));
        OK_S(l2_params_zero_grad(p, false));
        OK_S(l2_params_zero_grad(p, true));
        l2_params_free(p);
    }
}

void h_l2_named_new(void)
{
    CASE("new, free") l2_named_free(l2_named_new());
}

void h_l2_named_add(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_named_add(NULL, "a", MK(L2_FLOAT32, 1)));
    CASE("bad names")
    {
        l2_named_tensors *d = l2_named_new();
        FAIL_S(L2_ERR_NULL, l2_named_add(d, NULL, MK(L2_FLOAT32, 1)));
        FAIL_S(L2_ERR_NULL, l2_named_add(d, "a", NULL));
        FAIL_S(L2_ERR_ARG, l2_named_add(d, "", MK(L2_FLOAT32, 1)));
        FAIL_S(L2_ERR_ARG, l2_named_add(d, "a\"b", MK(L2_FLOAT32, 1)));
        FAIL_S(L2_ERR_ARG, l2_named_add(d, "a\nb", MK(L2_FLOAT32, 1)));
        char *big = malloc(2000);
        memset(big, 'x', 1999);
        big[1999] = 0;
        FAIL_S(L2_ERR_ARG, l2_named_add(d, big, MK(L2_FLOAT32, 1)));
        free(big);
        OK_S(l2_named_add(d, "a", MK(L2_FLOAT32, 1)));
        FAIL_S(L2_ERR_ARG, l2_named_add(d, "a", MK(L2_FLOAT32, 1)));
        EXPECT(l2_named_count(d) == 1, "count %d", l2_named_count(d));
        l2_named_free(d);
    }
    CASE("5000 entries")
    {
        l2_named_tensors *d = l2_named_new();
        char name[32];
        l2_tensor *t = MK(L2_FLOAT32, 1);
        for (int i = 0; i < 5000; i++) {
            snprintf(name, sizeof name, "t%d", i);
            if (ANY_S(l2_named_add(d, name, t)) != L2_OK)
                break;
        }
        l2_named_free(d);
    }
}

void h_l2_named_set_metadata(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_named_set_metadata(NULL, "k", "v"));
    CASE("bad keys and values")
    {
        l2_named_tensors *d = l2_named_new();
        FAIL_S(L2_ERR_NULL, l2_named_set_metadata(d, NULL, "v"));
        FAIL_S(L2_ERR_NULL, l2_named_set_metadata(d, "k", NULL));
        FAIL_S(L2_ERR_ARG, l2_named_set_metadata(d, "", "v"));
        FAIL_S(L2_ERR_ARG, l2_named_set_metadata(d, "k", "\\"));
        FAIL_S(L2_ERR_ARG, l2_named_set_metadata(d, "k", "\x01"));
        EXPECT(l2_named_metadata_count(d) == 0, "count %d", l2_named_metadata_count(d));
        l2_named_free(d);
    }
    CASE("4097 keys")
    {
        l2_named_tensors *d = l2_named_new();
        char key[32];
        l2_status st = L2_OK;
        for (int i = 0; i < 4097 && st == L2_OK; i++) {
            snprintf(key, sizeof key, "k%d", i);
            st = l2_named_set_metadata(d, key, "v");
        }
        EXPECT(st == L2_ERR_ARG && l2_named_metadata_count(d) == 4096, "status %d, count %d",
               (int)st, l2_named_metadata_count(d));
        l2_named_free(d);
    }
}

void h_l2_named_metadata(void)
{
    CASE("NULL") NULL_MSG(l2_named_metadata(NULL, "k"));
    CASE("NULL key")
    {
        l2_named_tensors *d = l2_named_new();
        NULL_MSG(l2_named_metadata(d, NULL));
        l2_named_free(d);
    }
}

void h_l2_named_metadata_count(void)
{
    CASE("NULL") NULL_MSG(l2_named_metadata_count(NULL));
}

void h_l2_named_metadata_key(void)
{
    CASE("NULL") NULL_MSG(l2_named_metadata_key(NULL, 0));
    CASE("out of range")
    {
        l2_named_tensors *d = l2_named_new();
        NULL_MSG(l2_named_metadata_key(d, 0));
        NULL_MSG(l2_named_metadata_key(d, -1));
        l2_named_free(d);
    }
}

void h_l2_save_named(void)
{
    CASE("NULL dict") FAIL_S(L2_ERR_NULL, l2_save_named(tmp_path("n.safetensors"), NULL));
    CASE("NULL path, a folder")
    {
        l2_named_tensors *d = l2_named_new();
        l2_named_add(d, "a", MK(L2_FLOAT32, 2));
        l2_named_set_metadata(d, "k", "v");
        FAIL_S(L2_ERR_NULL, l2_save_named(NULL, d));
        FAIL_S(L2_ERR_IO, l2_save_named(h_tmpdir(), d));
        l2_named_free(d);
    }
    for (int k = 0; k < K_COUNT; k++)
        if (k != K_HUGE)
            CASE("%s tensor, metadata only, round trip", h_kind_name[k])
            {
                l2_named_tensors *d = l2_named_new();
                l2_named_add(d, "a", mk_kind(k, L2_FLOAT64));
                l2_named_set_metadata(d, "k", "");
                OK_S(l2_save_named(tmp_path("n.safetensors"), d));
                l2_named_tensors *r = l2_load_safetensors(tmp_path("n.safetensors"));
                EXPECT(r && l2_named_metadata(r, "k") && l2_named_count(r) == 1, "read back");
                l2_named_free(r);
                l2_named_free(d);
            }
}

void h_l2_optimizer_state_dict(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, (l2_tensor *)l2_optimizer_state_dict(NULL));
}

/* Load d (built by edit from a stepped SGD-momentum optimizer's state dict) into a fresh one:
 * it must fail with want and change nothing. */
static void spoiled(const char *name, l2_tensor *t, int want)
{
    l2_tensor *w = stepped_param();
    l2_sgd_options so = l2_sgd_defaults(0.1);
    so.momentum = 0.9;
    l2_optimizer *o = l2_sgd(1, (l2_tensor *const[]){w}, so);
    l2_optimizer_step(o);
    l2_named_tensors *d = l2_optimizer_state_dict(o), *e = l2_named_new();
    for (int i = 0; i < l2_named_count(d); i++)
        if (strcmp(l2_named_name(d, i), name) != 0)
            l2_named_add(e, l2_named_name(d, i), l2_named_tensor(d, i));
    if (t)
        l2_named_add(e, name, t);
    l2_optimizer *o2 = l2_sgd(1, (l2_tensor *const[]){w}, l2_sgd_defaults(0.5));
    FAIL_S(want, l2_optimizer_load_state_dict(o2, e));
    EXPECT(l2_optimizer_get_lr(o2) == 0.5 && l2_optimizer_step_count(o2, 0) == 0 &&
               l2_optimizer_state(o2, 0, "momentum_buffer") == NULL,
           "a failed load changed the optimizer");
    l2_named_free(d);
    l2_named_free(e);
    l2_optimizer_free(o);
    l2_optimizer_free(o2);
}

void h_l2_optimizer_load_state_dict(void)
{
    CASE("NULL")
    {
        l2_named_tensors *d = l2_named_new();
        FAIL_S(L2_ERR_NULL, l2_optimizer_load_state_dict(NULL, d));
        l2_named_free(d);
    }
    CASE("empty dict") spoiled("param_groups.0.params", NULL, L2_ERR_FORMAT);
    static const char *const odd[] = {"state.-1.step", "state.01.step", "state.1.step",
                                      "state.99999999999999999999.step", "state.0.exp_avg",
                                      "state.0", "state.", "param_groups.1.lr",
                                      "param_groups.0.betas", "param_groups.0.", "x"};
    for (int i = 0; i < (int)(sizeof odd / sizeof odd[0]); i++)
        CASE("unknown name '%s'", odd[i]) spoiled(odd[i], MK(L2_INT64, 1), L2_ERR_FORMAT);
    for (int k = 0; k < K_COUNT; k++)
        for (int d = 0; d < L2_DTYPE_COUNT; d++) {
            CASE("momentum buffer %s %s", h_kind_name[k], l2_dtype_name(h_dtypes[d]))
            spoiled("state.0.momentum_buffer", mk_kind(k, h_dtypes[d]), H_ANY);
            /* (a 0-d float64 lr and a 0-d int64 step of 2 are valid) */
            if (k != K_0D || h_dtypes[d] != L2_FLOAT64)
                CASE("lr %s %s", h_kind_name[k], l2_dtype_name(h_dtypes[d]))
                spoiled("param_groups.0.lr", mk_kind(k, h_dtypes[d]), H_ANY);
            if (k != K_0D || h_dtypes[d] != L2_INT64)
                CASE("step %s %s", h_kind_name[k], l2_dtype_name(h_dtypes[d]))
                spoiled("state.0.step", mk_kind(k, h_dtypes[d]), H_ANY);
            CASE("params %s %s", h_kind_name[k], l2_dtype_name(h_dtypes[d]))
            spoiled("param_groups.0.params", mk_kind(k, h_dtypes[d]), H_ANY);
        }
    for (int i = 0; i < h_nscalars; i++) {
        double v = h_scalars[i];
        if (v >= 0)
            continue;
        CASE("lr %g", v) spoiled("param_groups.0.lr", l2_scalar(v, L2_FLOAT64), L2_ERR_FORMAT);
    }
    CASE("lr NaN") spoiled("param_groups.0.lr", l2_scalar(NAN, L2_FLOAT64), L2_ERR_FORMAT);
    CASE("momentum -1")
    spoiled("param_groups.0.momentum", l2_scalar(-1, L2_FLOAT64), L2_ERR_FORMAT);
    CASE("dampening with nesterov")
    {
        l2_tensor *w = stepped_param();
        l2_sgd_options so = l2_sgd_defaults(0.1);
        so.momentum = 0.9;
        so.nesterov = true;
        l2_optimizer *o = l2_sgd(1, (l2_tensor *const[]){w}, so);
        l2_named_tensors *d = l2_optimizer_state_dict(o), *e = l2_named_new();
        for (int i = 0; i < l2_named_count(d); i++)
            if (strcmp(l2_named_name(d, i), "param_groups.0.dampening") != 0)
                l2_named_add(e, l2_named_name(d, i), l2_named_tensor(d, i));
        l2_named_add(e, "param_groups.0.dampening", l2_scalar(0.5, L2_FLOAT64));
        FAIL_S(L2_ERR_FORMAT, l2_optimizer_load_state_dict(o, e));
        l2_named_free(d);
        l2_named_free(e);
        l2_optimizer_free(o);
    }
}

void h_l2_get_rng_state(void)
{
    CASE("get, set")
    {
        l2_tensor *s = OK_T(l2_get_rng_state());
        OK_S(l2_set_rng_state(s));
    }
}

void h_l2_set_rng_state(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_set_rng_state(NULL));
    CASE("zeros") FAIL_S(L2_ERR_ARG, l2_set_rng_state(l2_zeros(L2_SHAPE(4), L2_INT64)));
    for (int k = 0; k < K_COUNT; k++)
        for (int d = 0; d < L2_DTYPE_COUNT; d++)
            CASE("%s %s", h_kind_name[k], l2_dtype_name(h_dtypes[d]))
            {
                l2_tensor *before = l2_get_rng_state();
                FAIL_S(H_ANY, l2_set_rng_state(mk_kind(k, h_dtypes[d])));
                h_same(before, l2_get_rng_state(), __LINE__);
            }
    CASE("expanded (4) of one word")
    {
        l2_tensor *one = l2_full(L2_SHAPE(1), 7, L2_INT64);
        OK_S(l2_set_rng_state(l2_expand(one, 1, (const int64_t[]){4})));
    }
}

void h_l2_checkpoint_save(void)
{
    CASE("NULL path") FAIL_S(L2_ERR_NULL, l2_checkpoint_save(NULL, NULL, NULL, false, NULL));
    CASE("a folder") FAIL_S(L2_ERR_IO, l2_checkpoint_save(h_tmpdir(), NULL, NULL, true, NULL));
    CASE("empty checkpoint, then load it asking for more")
    {
        const char *p = tmp_path("c.safetensors");
        OK_S(l2_checkpoint_save(p, NULL, NULL, false, NULL));
        FAIL_S(L2_ERR_FORMAT, l2_checkpoint_load(p, NULL, NULL, true, NULL));
        l2_params *m = l2_params_new();
        l2_params_add(m, "w", mk_leaf(L2_FLOAT32));
        FAIL_S(L2_ERR_FORMAT, l2_checkpoint_load(p, m, NULL, false, NULL));
        l2_params_free(m);
    }
    CASE("extra names with bad characters")
    {
        l2_named_tensors *e = l2_named_new();
        l2_named_add(e, "ok", MK(L2_FLOAT32, 1));
        OK_S(l2_checkpoint_save(tmp_path("c.safetensors"), NULL, NULL, false, e));
        l2_named_free(e);
    }
}

void h_l2_checkpoint_load(void)
{
    CASE("NULL path") FAIL_S(L2_ERR_NULL, l2_checkpoint_load(NULL, NULL, NULL, false, NULL));
    CASE("missing file") FAIL_S(L2_ERR_IO, l2_checkpoint_load(tmp_path("none"), NULL, NULL,
                                                             false, NULL));
    CASE("a plain safetensors file")
    {
        const char *p = tmp_path("plain.safetensors");
        l2_save_safetensors(p, 1, (const char *const[]){"model.w"},
                            (l2_tensor *const[]){MK(L2_FLOAT32, 3)});
        l2_named_tensors *extra = (l2_named_tensors *)1;
        FAIL_S(L2_ERR_FORMAT, l2_checkpoint_load(p, NULL, NULL, false, &extra));
        EXPECT(extra == NULL, "*extra not NULL after a failure");
    }
    CASE("an optimizer for another parameter count")
    {
        const char *p = tmp_path("c2.safetensors");
        l2_tensor *w = stepped_param(), *v = stepped_param();
        l2_optimizer *o = l2_adam(1, (l2_tensor *const[]){w}, l2_adam_defaults());
        l2_optimizer_step(o);
        OK_S(l2_checkpoint_save(p, NULL, o, false, NULL));
        l2_optimizer *o2 = l2_adam(2, (l2_tensor *const[]){w, v}, l2_adam_defaults());
        FAIL_S(L2_ERR_SHAPE, l2_checkpoint_load(p, NULL, o2, false, NULL));
        l2_optimizer *o3 = l2_adamw(1, (l2_tensor *const[]){w}, l2_adam_defaults());
        FAIL_S(L2_ERR_FORMAT, l2_checkpoint_load(p, NULL, o3, false, NULL));
        l2_optimizer_free(o);
        l2_optimizer_free(o2);
        l2_optimizer_free(o3);
    }
}
