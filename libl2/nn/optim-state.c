/* optim-state.c: the optimizers' state dict (issue 16): export every parameter's state and the
 * hyperparameters as named tensors with torch's names, and import them, validating everything
 * before anything changes. */
#include "../autograd-impl.h"
#include "state-impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *l2__optim_kind_name(const l2_optimizer *o)
{
    return o->kind == OPT_SGD ? "sgd" : o->kind == OPT_ADAM ? "adam" : "adamw";
}

static const char *const sgd_bufs[] = {"momentum_buffer", NULL, NULL};
static const char *const adam_bufs[] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};

static l2_status add_new(const char *op, l2_named_tensors *d, const char *prefix,
                         const char *name, l2_tensor *t)
{
    if (!t)
        return l2_last_status();
    char full[1100];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    l2_status st = l2__named_add_impl(op, d, full, t);
    l2_tensor_release(t);
    return st;
}

static l2_tensor *scalar_f64(double v)
{
    l2__enter();
    l2_tensor *t = l2_scalar(v, L2_FLOAT64);
    l2__leave();
    return t;
}

static l2_tensor *scalar_bool(bool v)
{
    l2__enter();
    l2_tensor *t = l2_scalar(v, L2_BOOL);
    l2__leave();
    return t;
}

l2_status l2__optim_export(const char *op, const l2_optimizer *o, l2_named_tensors *d,
                           const char *prefix)
{
    const char *const *bn = o->kind == OPT_SGD ? sgd_bufs : adam_bufs;
    l2_tensor **bufs[3] = {o->buf1, o->buf2, o->buf3};
    char name[1100];
    l2_status st = L2_OK;
    for (int i = 0; i < o->n && st == L2_OK; i++) {
        if (o->steps[i] == 0 && !o->buf1[i])
            continue; /* torch has no state for a parameter never stepped */
        snprintf(name, sizeof name, "state.%d.step", i);
        l2__enter();
        l2_tensor *t = l2_scalar((double)o->steps[i], L2_INT64);
        l2__leave();
        st = add_new(op, d, prefix, name, t);
        for (int k = 0; k < 3 && st == L2_OK; k++)
            if (bn[k] && bufs[k][i]) {
                snprintf(name, sizeof name, "state.%d.%s", i, bn[k]);
                st = add_new(op, d, prefix, name, l2_tensor_ref(bufs[k][i]));
            }
    }
    if (st != L2_OK)
        return st;
    int64_t n = o->n;
    l2__enter();
    l2_tensor *ids = l2_arange(0, (double)n, 1, L2_INT64);
    l2__leave();
    st = add_new(op, d, prefix, "param_groups.0.params", ids);
    if (o->kind == OPT_SGD) {
        const l2_sgd_options *s = &o->sgd;
        if (!st) st = add_new(op, d, prefix, "param_groups.0.lr", scalar_f64(s->lr));
        if (!st) st = add_new(op, d, prefix, "param_groups.0.momentum", scalar_f64(s->momentum));
        if (!st) st = add_new(op, d, prefix, "param_groups.0.dampening", scalar_f64(s->dampening));
        if (!st)
            st = add_new(op, d, prefix, "param_groups.0.weight_decay",
                         scalar_f64(s->weight_decay));
        if (!st) st = add_new(op, d, prefix, "param_groups.0.nesterov", scalar_bool(s->nesterov));
        if (!st) st = add_new(op, d, prefix, "param_groups.0.maximize", scalar_bool(s->maximize));
    } else {
        const l2_adam_options *a = &o->adam;
        if (!st) st = add_new(op, d, prefix, "param_groups.0.lr", scalar_f64(a->lr));
        if (!st) {
            l2__enter();
            l2_tensor *b = l2_from_data((const double[]){a->beta1, a->beta2}, 1,
                                        (const int64_t[]){2}, L2_FLOAT64);
            l2__leave();
            st = add_new(op, d, prefix, "param_groups.0.betas", b);
        }
        if (!st) st = add_new(op, d, prefix, "param_groups.0.eps", scalar_f64(a->eps));
        if (!st)
            st = add_new(op, d, prefix, "param_groups.0.weight_decay",
                         scalar_f64(a->weight_decay));
        if (!st) st = add_new(op, d, prefix, "param_groups.0.amsgrad", scalar_bool(a->amsgrad));
        if (!st) st = add_new(op, d, prefix, "param_groups.0.maximize", scalar_bool(a->maximize));
    }
    return st;
}

l2_named_tensors *l2_optimizer_state_dict(const l2_optimizer *o)
{
    const char *op = "optimizer_state_dict";
    L2__CHECK(o, NULL, L2_ERR_NULL, "%s: optimizer is NULL", op);
    l2_named_tensors *d = l2_named_new();
    if (d && l2__optim_export(op, o, d, "") != L2_OK) {
        l2_named_free(d);
        return NULL;
    }
    return d;
}

/* ---- import ------------------------------------------------------------------------------ */

struct l2__optim_staged {
    int n;
    l2_sgd_options sgd;
    l2_adam_options adam;
    l2_tensor **bufs[3];
    int64_t *steps;
};

void l2__optim_staged_free(l2__optim_staged *s)
{
    if (!s)
        return;
    for (int k = 0; k < 3; k++) {
        for (int i = 0; s->bufs[k] && i < s->n; i++)
            l2_tensor_release(s->bufs[k][i]);
        l2__free(s->bufs[k]);
    }
    l2__free(s->steps);
    l2__free(s);
}

/* A float64 scalar (or, for flags, a bool scalar) named prefix + name. */
static bool get_num(const char *op, const l2_named_tensors *d, const char *prefix,
                    const char *name, bool flag, double *v)
{
    const l2_tensor *t = l2__named_find(d, prefix, name);
    if (!t)
        return l2__fail(L2_ERR_FORMAT, "%s: no tensor named '%s%s' (a state dict of another "
                        "optimizer?)", op, prefix, name), false;
    l2_dtype want = flag ? L2_BOOL : L2_FLOAT64;
    if (t->ndim != 0 || t->dtype != want)
        return l2__fail(L2_ERR_FORMAT, "%s: '%s%s' must be a %s scalar", op, prefix, name,
                        l2_dtype_name(want)), false;
    const void *p = l2__data(t);
    *v = flag ? (double)*(const bool *)p : *(const double *)p;
    return true;
}

/* Is name a known key: "state.<i>.<field>" (sets *i and *field), or a param_groups key? */
static bool known_key(const l2_optimizer *o, const char *name, int *i, int *field)
{
    static const char *const sgd_keys[] = {"params", "lr", "momentum", "dampening",
                                           "weight_decay", "nesterov", "maximize", NULL};
    static const char *const adam_keys[] = {"params", "lr", "betas", "eps", "weight_decay",
                                            "amsgrad", "maximize", NULL};
    *i = -1;
    if (strncmp(name, "param_groups.0.", 15) == 0) {
        const char *const *keys = o->kind == OPT_SGD ? sgd_keys : adam_keys;
        for (int k = 0; keys[k]; k++)
            if (strcmp(name + 15, keys[k]) == 0)
                return true;
        return false;
    }
    if (strncmp(name, "state.", 6) != 0 || name[6] < '0' || name[6] > '9')
        return false;
    char *end;
    long v = strtol(name + 6, &end, 10);
    if (*end != '.' || v >= o->n || (name[6] == '0' && end != name + 7))
        return false;
    *i = (int)v;
    const char *f = end + 1;
    if (strcmp(f, "step") == 0) {
        *field = 3;
        return true;
    }
    const char *const *bn = o->kind == OPT_SGD ? sgd_bufs : adam_bufs;
    for (int k = 0; k < 3; k++)
        if (bn[k] && strcmp(f, bn[k]) == 0) {
            *field = k;
            return true;
        }
    return false;
}

l2__optim_staged *l2__optim_stage(const char *op, const l2_optimizer *o,
                                  const l2_named_tensors *d, const char *prefix)
{
    size_t pl = strlen(prefix);
    /* Every name under prefix must be one this optimizer has. */
    for (int k = 0; k < l2_named_count(d); k++) {
        const char *nm = l2_named_name(d, k);
        int i, f;
        if (strncmp(nm, prefix, pl) != 0)
            continue;
        L2__CHECK(known_key(o, nm + pl, &i, &f), NULL, L2_ERR_FORMAT,
                  "%s: unexpected tensor '%s' for a %s optimizer over %d parameters", op, nm,
                  l2__optim_kind_name(o), o->n);
    }
    const l2_tensor *ids = l2__named_find(d, prefix, "param_groups.0.params");
    L2__CHECK(ids, NULL, L2_ERR_FORMAT, "%s: no tensor named '%sparam_groups.0.params'", op,
              prefix);
    L2__CHECK(ids->dtype == L2_INT64 && ids->ndim == 1 && ids->shape[0] == o->n, NULL,
              L2_ERR_SHAPE, "%s: '%sparam_groups.0.params' must be int64 (%d): the state is "
              "for another number of parameters", op, prefix, o->n);
    for (int i = 0; i < o->n; i++)
        L2__CHECK(((const int64_t *)(const void *)l2__data(ids))[i] == i, NULL, L2_ERR_FORMAT,
                  "%s: '%sparam_groups.0.params' must be 0, 1, ..., %d", op, prefix, o->n - 1);
    l2_sgd_options sg = o->sgd;
    l2_adam_options ad = o->adam;
    double v[6];
    if (o->kind == OPT_SGD) {
        if (!get_num(op, d, prefix, "param_groups.0.lr", false, &v[0]) ||
            !get_num(op, d, prefix, "param_groups.0.momentum", false, &v[1]) ||
            !get_num(op, d, prefix, "param_groups.0.dampening", false, &v[2]) ||
            !get_num(op, d, prefix, "param_groups.0.weight_decay", false, &v[3]) ||
            !get_num(op, d, prefix, "param_groups.0.nesterov", true, &v[4]) ||
            !get_num(op, d, prefix, "param_groups.0.maximize", true, &v[5]))
            return NULL;
        sg = (l2_sgd_options){.lr = v[0], .momentum = v[1], .dampening = v[2],
                              .weight_decay = v[3], .nesterov = v[4] != 0,
                              .maximize = v[5] != 0};
        L2__CHECK(sg.lr >= 0 && sg.momentum >= 0 && sg.weight_decay >= 0 &&
                      (!sg.nesterov || (sg.momentum > 0 && sg.dampening == 0)),
                  NULL, L2_ERR_FORMAT, "%s: invalid SGD hyperparameters in the state dict", op);
    } else {
        const l2_tensor *b = l2__named_find(d, prefix, "param_groups.0.betas");
        L2__CHECK(b && b->dtype == L2_FLOAT64 && b->ndim == 1 && b->shape[0] == 2, NULL,
                  L2_ERR_FORMAT, "%s: '%sparam_groups.0.betas' must be float64 (2)", op, prefix);
        if (!get_num(op, d, prefix, "param_groups.0.lr", false, &v[0]) ||
            !get_num(op, d, prefix, "param_groups.0.eps", false, &v[1]) ||
            !get_num(op, d, prefix, "param_groups.0.weight_decay", false, &v[2]) ||
            !get_num(op, d, prefix, "param_groups.0.amsgrad", true, &v[3]) ||
            !get_num(op, d, prefix, "param_groups.0.maximize", true, &v[4]))
            return NULL;
        const double *bd = (const double *)l2__data(b);
        ad = (l2_adam_options){.lr = v[0], .beta1 = bd[0], .beta2 = bd[1], .eps = v[1],
                               .weight_decay = v[2], .amsgrad = v[3] != 0,
                               .maximize = v[4] != 0};
        L2__CHECK(ad.lr >= 0 && ad.eps >= 0 && ad.weight_decay >= 0 && ad.beta1 >= 0 &&
                      ad.beta1 < 1 && ad.beta2 >= 0 && ad.beta2 < 1,
                  NULL, L2_ERR_FORMAT, "%s: invalid Adam hyperparameters in the state dict", op);
    }
    /* Per-parameter state: shapes and dtypes first. */
    const char *const *bn = o->kind == OPT_SGD ? sgd_bufs : adam_bufs;
    char name[64];
    for (int i = 0; i < o->n; i++) {
        const l2_tensor *par = o->params[i];
        bool any = false;
        for (int k = 0; k < 3; k++) {
            if (!bn[k])
                continue;
            snprintf(name, sizeof name, "state.%d.%s", i, bn[k]);
            const l2_tensor *t = l2__named_find(d, prefix, name);
            if (!t)
                continue;
            any = true;
            bool same = t->ndim == par->ndim && t->dtype == par->dtype;
            for (int a = 0; same && a < par->ndim; a++)
                same = t->shape[a] == par->shape[a];
            char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
            L2__CHECK(same, NULL, L2_ERR_SHAPE, "%s: '%s%s' is %s %s but parameter %d is %s %s",
                      op, prefix, name, l2_dtype_name(t->dtype),
                      l2__shape_str(s1, t->ndim, t->shape), i, l2_dtype_name(par->dtype),
                      l2__shape_str(s2, par->ndim, par->shape));
        }
        snprintf(name, sizeof name, "state.%d.step", i);
        const l2_tensor *st = l2__named_find(d, prefix, name);
        if (st) {
            L2__CHECK(st->ndim == 0 && st->dtype == L2_INT64 && *(const int64_t *)(const void *)l2__data(st) >= 0,
                      NULL, L2_ERR_FORMAT, "%s: '%s%s' must be a non-negative int64 scalar", op,
                      prefix, name);
        }
        int64_t steps = st ? *(const int64_t *)(const void *)l2__data(st) : any ? 1 : 0;
        L2__CHECK(st || !any || o->kind == OPT_SGD, NULL, L2_ERR_FORMAT,
                  "%s: parameter %d has Adam moments but no '%sstate.%d.step'", op, i, prefix, i);
        if (steps == 0)
            continue;
        bool need[3] = {o->kind == OPT_SGD ? sg.momentum != 0 : true, o->kind != OPT_SGD,
                        o->kind != OPT_SGD && ad.amsgrad};
        for (int k = 0; k < 3; k++) {
            if (!need[k])
                continue;
            snprintf(name, sizeof name, "state.%d.%s", i, bn[k]);
            L2__CHECK(l2__named_find(d, prefix, name), NULL, L2_ERR_FORMAT,
                      "%s: parameter %d has taken steps but '%s%s' is missing", op, i, prefix,
                      name);
        }
    }
    /* Everything checked: copy the state. */
    l2__optim_staged *s = l2__calloc(sizeof *s, op);
    if (!s)
        return NULL;
    s->n = o->n;
    s->sgd = sg;
    s->adam = ad;
    s->steps = l2__calloc(sizeof(int64_t) * (size_t)o->n, op);
    for (int k = 0; k < 3; k++)
        s->bufs[k] = l2__calloc(sizeof(l2_tensor *) * (size_t)o->n, op);
    if (!s->steps || !s->bufs[0] || !s->bufs[1] || !s->bufs[2])
        goto fail;
    for (int i = 0; i < o->n; i++) {
        bool any = false;
        for (int k = 0; k < 3; k++) {
            if (!bn[k])
                continue;
            snprintf(name, sizeof name, "state.%d.%s", i, bn[k]);
            const l2_tensor *t = l2__named_find(d, prefix, name);
            if (!t)
                continue;
            any = true;
            s->bufs[k][i] = l2__new(op, t->ndim, t->shape, t->dtype, false);
            if (!s->bufs[k][i])
                goto fail;
            l2__copy_kernel(s->bufs[k][i], t);
        }
        snprintf(name, sizeof name, "state.%d.step", i);
        const l2_tensor *st = l2__named_find(d, prefix, name);
        s->steps[i] = st ? *(const int64_t *)(const void *)l2__data(st) : any ? 1 : 0;
    }
    return s;
fail:
    l2__optim_staged_free(s);
    return NULL;
}

void l2__optim_commit(l2_optimizer *o, l2__optim_staged *s)
{
    l2_tensor **bufs[3] = {o->buf1, o->buf2, o->buf3};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < o->n; i++) {
            l2_tensor_release(bufs[k][i]);
            bufs[k][i] = s->bufs[k][i];
            s->bufs[k][i] = NULL;
        }
    memcpy(o->steps, s->steps, sizeof(int64_t) * (size_t)o->n);
    if (o->kind == OPT_SGD)
        o->sgd = s->sgd;
    else
        o->adam = s->adam;
    l2__optim_staged_free(s);
}

l2_status l2_optimizer_load_state_dict(l2_optimizer *o, const l2_named_tensors *d)
{
    const char *op = "optimizer_load_state_dict";
    L2__CHECK_ST(o && d, L2_ERR_NULL, "%s: NULL argument", op);
    l2__optim_staged *s = l2__optim_stage(op, o, d, "");
    if (!s)
        return l2_last_status();
    l2__optim_commit(o, s);
    return L2_OK;
}
