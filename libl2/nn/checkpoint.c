/* checkpoint.c: one safetensors file holding what resuming training needs (issue 16): the
 * model's parameters and buffers, the optimizer's state dict, the generator state and the
 * caller's extra named tensors (e.g. a learning-rate schedule's state), with the non-tensor
 * values in the header's "__metadata__". Loading validates everything before anything changes. */
#include "../autograd-impl.h"
#include "state-impl.h"

#include <stdio.h>
#include <string.h>

#define CKPT_FORMAT "libl2.checkpoint"
#define CKPT_VERSION "1"

static l2_status add_prefixed(const char *op, l2_named_tensors *d, const char *prefix,
                              const char *name, l2_tensor *t)
{
    char full[1100];
    int len = snprintf(full, sizeof full, "%s%s", prefix, name);
    L2__CHECK_ST(len > 0 && (size_t)len < sizeof full, L2_ERR_ARG, "%s: name '%s' too long", op,
                 name);
    return l2__named_add_impl(op, d, full, t);
}

l2_status l2_checkpoint_save(const char *path, const l2_params *model, const l2_optimizer *opt,
                             bool generator, const l2_named_tensors *extra)
{
    const char *op = "checkpoint_save";
    L2__CHECK_ST(path, L2_ERR_NULL, "%s: path is NULL", op);
    l2_named_tensors *d = l2_named_new();
    if (!d)
        return L2_ERR_NOMEM;
    l2_status st = l2_named_set_metadata(d, "format", CKPT_FORMAT);
    if (!st)
        st = l2_named_set_metadata(d, "format_version", CKPT_VERSION);
    if (model) {
        int n = l2_params_state_count(model);
        const char *const *names = l2_params_state_names(model);
        l2_tensor *const *ts = l2_params_state_tensors(model);
        for (int i = 0; i < n && !st; i++)
            st = add_prefixed(op, d, "model.", names[i], ts[i]);
    }
    if (opt && !st) {
        st = l2_named_set_metadata(d, "optimizer", l2__optim_kind_name(opt));
        if (!st)
            st = l2__optim_export(op, opt, d, "optimizer.");
    }
    if (generator && !st) {
        l2__enter(); /* g is this function's, not the caller's scope's */
        l2_tensor *g = l2_get_rng_state();
        l2__leave();
        st = g ? l2_named_set_metadata(d, "generator", "xoshiro256**") : l2_last_status();
        if (!st)
            st = l2__named_add_impl(op, d, "generator.state", g);
        l2_tensor_release(g);
    }
    if (extra && !st) {
        for (int i = 0; i < l2_named_count(extra) && !st; i++)
            st = add_prefixed(op, d, "extra.", l2_named_name(extra, i), l2_named_tensor(extra, i));
        for (int i = 0; i < l2_named_metadata_count(extra) && !st; i++) {
            const char *k = l2_named_metadata_key(extra, i);
            char full[1100];
            snprintf(full, sizeof full, "extra.%s", k);
            st = l2_named_set_metadata(d, full, l2_named_metadata(extra, k));
        }
    }
    if (!st)
        st = l2_save_named(path, d);
    l2_named_free(d);
    return st;
}

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

l2_status l2_checkpoint_load(const char *path, l2_params *model, l2_optimizer *opt,
                             bool generator, l2_named_tensors **extra)
{
    const char *op = "checkpoint_load";
    if (extra)
        *extra = NULL;
    L2__CHECK_ST(path, L2_ERR_NULL, "%s: path is NULL", op);
    l2_named_tensors *d = l2_load_safetensors(path);
    if (!d)
        return l2_last_status();
    l2__optim_staged *staged = NULL;
    l2_named_tensors *ex = NULL;
    l2_status st = L2_OK;
    const char *fmt = l2_named_metadata(d, "format"), *ver = l2_named_metadata(d, "format_version");
    if (!fmt || strcmp(fmt, CKPT_FORMAT) != 0 || !ver || strcmp(ver, CKPT_VERSION) != 0) {
        st = l2__fail(L2_ERR_FORMAT, "%s: '%s' is not a libl2 checkpoint (format version "
                      CKPT_VERSION ")", op, path);
        goto out;
    }
    for (int i = 0; i < l2_named_count(d); i++) {
        const char *nm = l2_named_name(d, i);
        if (!has_prefix(nm, "model.") && !has_prefix(nm, "optimizer.") &&
            strcmp(nm, "generator.state") != 0 && !has_prefix(nm, "extra.")) {
            st = l2__fail(L2_ERR_FORMAT, "%s: '%s': unexpected tensor '%s'", op, path, nm);
            goto out;
        }
    }
    if (model && (st = l2__params_check(op, model, d, "model.", true, L2_ERR_FORMAT)) != L2_OK)
        goto out;
    if (opt) {
        const char *kind = l2_named_metadata(d, "optimizer");
        if (!kind || strcmp(kind, l2__optim_kind_name(opt)) != 0) {
            st = l2__fail(L2_ERR_FORMAT, "%s: '%s' holds %s optimizer state, not %s", op, path,
                          kind ? kind : "no", l2__optim_kind_name(opt));
            goto out;
        }
        staged = l2__optim_stage(op, opt, d, "optimizer.");
        if (!staged) {
            st = l2_last_status();
            goto out;
        }
    }
    const l2_tensor *g = l2__named_find(d, "", "generator.state");
    if (generator) {
        if (!g) {
            st = l2__fail(L2_ERR_FORMAT, "%s: '%s' holds no generator state", op, path);
            goto out;
        }
        if ((st = l2__rng_state_check(op, g)) != L2_OK)
            goto out;
    }
    if (extra) {
        ex = l2_named_new();
        if (!ex) {
            st = L2_ERR_NOMEM;
            goto out;
        }
        for (int i = 0; i < l2_named_count(d) && !st; i++)
            if (has_prefix(l2_named_name(d, i), "extra."))
                st = l2__named_add_impl(op, ex, l2_named_name(d, i) + 6, l2_named_tensor(d, i));
        for (int i = 0; i < l2_named_metadata_count(d) && !st; i++) {
            const char *k = l2_named_metadata_key(d, i);
            if (has_prefix(k, "extra."))
                st = l2_named_set_metadata(ex, k + 6, l2_named_metadata(d, k));
        }
        if (st)
            goto out;
    }
    /* Everything is valid: nothing below can fail. */
    if (model)
        l2__params_apply(model, d, "model.");
    if (opt) {
        l2__optim_commit(opt, staged);
        staged = NULL;
    }
    if (generator)
        l2__rng_state_apply(g);
    if (extra) {
        *extra = ex;
        ex = NULL;
    }
out:
    l2__optim_staged_free(staged);
    l2_named_free(ex);
    l2_named_free(d);
    return st;
}
