/* params.c: named parameter lists (what optimizers and safetensors take), with buffers beside
 * the parameters (issue 16: the model's state dict), a training flag, and loading their values
 * from a safetensors dictionary. */
#include "../autograd-impl.h"
#include "state-impl.h"

#include <limits.h>

/* names/tensors: the parameters only, in order (what l2_params_tensors hands to optimizers);
 * all_*: parameters and buffers in the order added (the state dict's order). The strings are
 * owned by all_names; names[] points into them. */
struct l2_params {
    int n, cap;
    char **names;
    l2_tensor **tensors;
    int nall, capall;
    char **all_names;
    l2_tensor **all_tensors;
    bool *all_buffer;
    bool eval; /* training is the default, as torch's modules */
};

l2_params *l2_params_new(void) { return l2__calloc(sizeof(l2_params), "params_new"); }

void l2_params_free(l2_params *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nall; i++) {
        l2__free(p->all_names[i]);
        l2_tensor_release(p->all_tensors[i]);
    }
    l2__free(p->names);
    l2__free(p->tensors);
    l2__free(p->all_names);
    l2__free(p->all_tensors);
    l2__free(p->all_buffer);
    l2__free(p);
}

static l2_status add_entry(const char *op, l2_params *p, const char *name, l2_tensor *t,
                           bool buffer)
{
    L2__CHECK_ST(p && name && t, L2_ERR_NULL, "%s: NULL argument", op);
    L2__CHECK_ST(name[0], L2_ERR_ARG, "%s: empty name", op);
    for (int i = 0; i < p->nall; i++)
        L2__CHECK_ST(strcmp(p->all_names[i], name) != 0, L2_ERR_ARG, "%s: duplicate name '%s'",
                     op, name);
    L2__CHECK_ST(!buffer || !t->requires_grad, L2_ERR_ARG,
                 "%s: buffer '%s' requires grad (add it as a parameter)", op, name);
    L2__CHECK_ST(p->nall < INT_MAX / 2, L2_ERR_OVERFLOW, "%s: too many entries", op);
    if (p->nall == p->capall) {
        int cap = p->capall ? 2 * p->capall : 16;
        char **nn = l2__realloc(p->all_names, sizeof *nn * (size_t)cap, op);
        if (!nn)
            return L2_ERR_NOMEM;
        p->all_names = nn;
        l2_tensor **nt = l2__realloc(p->all_tensors, sizeof *nt * (size_t)cap, op);
        if (!nt)
            return L2_ERR_NOMEM;
        p->all_tensors = nt;
        bool *nb = l2__realloc(p->all_buffer, sizeof *nb * (size_t)cap, op);
        if (!nb)
            return L2_ERR_NOMEM;
        p->all_buffer = nb;
        p->capall = cap;
    }
    if (!buffer && p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 16;
        char **nn = l2__realloc(p->names, sizeof *nn * (size_t)cap, op);
        if (!nn)
            return L2_ERR_NOMEM;
        p->names = nn;
        l2_tensor **nt = l2__realloc(p->tensors, sizeof *nt * (size_t)cap, op);
        if (!nt)
            return L2_ERR_NOMEM;
        p->tensors = nt;
        p->cap = cap;
    }
    size_t len = strlen(name) + 1;
    char *copy = l2__malloc(len, op);
    if (!copy)
        return L2_ERR_NOMEM;
    memcpy(copy, name, len);
    p->all_names[p->nall] = copy;
    p->all_tensors[p->nall] = l2_tensor_ref(t);
    p->all_buffer[p->nall] = buffer;
    p->nall++;
    if (!buffer) {
        p->names[p->n] = copy;
        p->tensors[p->n] = t;
        p->n++;
    }
    return L2_OK;
}

l2_status l2_params_add(l2_params *p, const char *name, l2_tensor *t)
{
    return add_entry("params_add", p, name, t, false);
}

l2_status l2_params_add_buffer(l2_params *p, const char *name, l2_tensor *t)
{
    return add_entry("params_add_buffer", p, name, t, true);
}

int l2_params_state_count(const l2_params *p)
{
    L2__CHECK(p, 0, L2_ERR_NULL, "params_state_count: argument 'p' is NULL");
    return p->nall;
}
l2_tensor *const *l2_params_state_tensors(const l2_params *p)
{
    L2__CHECK(p, NULL, L2_ERR_NULL, "params_state_tensors: argument 'p' is NULL");
    return p->all_tensors;
}
const char *const *l2_params_state_names(const l2_params *p)
{
    L2__CHECK(p, NULL, L2_ERR_NULL, "params_state_names: argument 'p' is NULL");
    return (const char *const *)p->all_names;
}

l2_named_tensors *l2_params_state_dict(const l2_params *p)
{
    const char *op = "params_state_dict";
    L2__CHECK(p, NULL, L2_ERR_NULL, "%s: argument 'p' is NULL", op);
    l2_named_tensors *d = l2_named_new();
    for (int i = 0; d && i < p->nall; i++)
        if (l2__named_add_impl(op, d, p->all_names[i], p->all_tensors[i]) != L2_OK) {
            l2_named_free(d);
            return NULL;
        }
    return d;
}

l2_status l2_params_train(l2_params *p, bool training)
{
    L2__CHECK_ST(p, L2_ERR_NULL, "params_train: argument 'p' is NULL");
    p->eval = !training;
    return L2_OK;
}

bool l2_params_training(const l2_params *p)
{
    L2__CHECK(p, false, L2_ERR_NULL, "params_training: argument 'p' is NULL");
    return !p->eval;
}

l2_status l2_params_zero_grad(l2_params *p, bool set_to_none)
{
    L2__CHECK_ST(p, L2_ERR_NULL, "params_zero_grad: argument 'p' is NULL");
    for (int i = 0; i < p->n; i++)
        if (set_to_none)
            l2_set_grad_none(p->tensors[i]);
        else
            l2_zero_grad(p->tensors[i]);
    return L2_OK;
}

int l2_params_count(const l2_params *p)
{
    L2__CHECK(p, 0, L2_ERR_NULL, "params_count: argument 'p' is NULL");
    return p->n;
}
l2_tensor *const *l2_params_tensors(const l2_params *p)
{
    L2__CHECK(p, NULL, L2_ERR_NULL, "params_tensors: argument 'p' is NULL");
    return p->tensors;
}
const char *const *l2_params_names(const l2_params *p)
{
    L2__CHECK(p, NULL, L2_ERR_NULL, "params_names: argument 'p' is NULL");
    return (const char *const *)p->names;
}

/* Check that d holds a tensor of the same shape and dtype for every entry of p (prefix is
 * prepended to p's names when looking them up); with strict, also that d has no other tensor
 * whose name starts with prefix. */
l2_status l2__params_check(const char *op, const l2_params *p, const l2_named_tensors *d,
                           const char *prefix, bool strict, l2_status missing)
{
    size_t pl = strlen(prefix);
    for (int i = 0; i < p->nall; i++) {
        const l2_tensor *src = l2__named_find(d, prefix, p->all_names[i]);
        L2__CHECK_ST(src, missing, "%s: no tensor named '%s%s'", op, prefix, p->all_names[i]);
        const l2_tensor *dst = p->all_tensors[i];
        char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
        bool same = src->ndim == dst->ndim && src->dtype == dst->dtype;
        for (int k = 0; same && k < dst->ndim; k++)
            same = src->shape[k] == dst->shape[k];
        L2__CHECK_ST(same, L2_ERR_SHAPE, "%s: '%s%s' is %s %s in the file but %s %s in the model",
                     op, prefix, p->all_names[i], l2_dtype_name(src->dtype),
                     l2__shape_str(s1, src->ndim, src->shape), l2_dtype_name(dst->dtype),
                     l2__shape_str(s2, dst->ndim, dst->shape));
    }
    for (int k = 0; strict && k < l2_named_count(d); k++) {
        const char *nm = l2_named_name(d, k);
        if (strncmp(nm, prefix, pl) != 0)
            continue;
        bool known = false;
        for (int i = 0; i < p->nall && !known; i++)
            known = strcmp(nm + pl, p->all_names[i]) == 0;
        L2__CHECK_ST(known, L2_ERR_FORMAT, "%s: unexpected tensor '%s' (not in the model)", op,
                     nm);
    }
    return L2_OK;
}

/* Copy every entry's value from d (checked by l2__params_check: cannot fail). */
void l2__params_apply(l2_params *p, const l2_named_tensors *d, const char *prefix)
{
    for (int i = 0; i < p->nall; i++) {
        l2_tensor *dst = p->all_tensors[i];
        const l2_tensor *src = l2__named_find(d, prefix, p->all_names[i]);
        if (src && src != dst) {
            l2__copy_kernel(dst, src);
            l2__bump_version(dst);
        }
    }
}

l2_status l2_params_load(l2_params *p, const l2_named_tensors *d)
{
    const char *op = "params_load";
    L2__CHECK_ST(p && d, L2_ERR_NULL, "%s: NULL argument", op);
    /* Check everything first: a failure changes no parameter. */
    l2_status st = l2__params_check(op, p, d, "", false, L2_ERR_ARG);
    if (st != L2_OK)
        return st;
    l2__params_apply(p, d, "");
    return L2_OK;
}
