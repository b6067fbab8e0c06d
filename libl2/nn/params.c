/* params.c: named parameter lists (what optimizers and safetensors take) and loading their
 * values from a safetensors dictionary. */
#include "../l2-impl.h"

struct l2_params {
    int n, cap;
    char **names;
    l2_tensor **tensors;
};

l2_params *l2_params_new(void) { return l2__calloc(sizeof(l2_params), "params_new"); }

void l2_params_free(l2_params *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++) {
        l2__free(p->names[i]);
        l2_tensor_release(p->tensors[i]);
    }
    l2__free(p->names);
    l2__free(p->tensors);
    l2__free(p);
}

l2_status l2_params_add(l2_params *p, const char *name, l2_tensor *t)
{
    const char *op = "params_add";
    L2__CHECK_ST(p && name && t, L2_ERR_NULL, "%s: NULL argument", op);
    L2__CHECK_ST(name[0], L2_ERR_ARG, "%s: empty name", op);
    for (int i = 0; i < p->n; i++)
        L2__CHECK_ST(strcmp(p->names[i], name) != 0, L2_ERR_ARG, "%s: duplicate name '%s'", op,
                     name);
    if (p->n == p->cap) {
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
    p->names[p->n] = copy;
    p->tensors[p->n] = l2_tensor_ref(t);
    p->n++;
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

l2_status l2_params_load(l2_params *p, const l2_named_tensors *d)
{
    const char *op = "params_load";
    L2__CHECK_ST(p && d, L2_ERR_NULL, "%s: NULL argument", op);
    /* Check everything first: a failure changes no parameter. */
    for (int i = 0; i < p->n; i++) {
        const l2_tensor *src = NULL;
        for (int k = 0; k < l2_named_count(d) && !src; k++)
            if (strcmp(l2_named_name(d, k), p->names[i]) == 0)
                src = l2_named_tensor(d, k);
        L2__CHECK_ST(src, L2_ERR_ARG, "%s: no tensor named '%s' in the file", op, p->names[i]);
        const l2_tensor *dst = p->tensors[i];
        char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
        bool same = src->ndim == dst->ndim && src->dtype == dst->dtype;
        for (int k = 0; same && k < dst->ndim; k++)
            same = src->shape[k] == dst->shape[k];
        L2__CHECK_ST(same, L2_ERR_SHAPE, "%s: '%s' is %s %s in the file but %s %s in the model",
                     op, p->names[i], l2_dtype_name(src->dtype),
                     l2__shape_str(s1, src->ndim, src->shape), l2_dtype_name(dst->dtype),
                     l2__shape_str(s2, dst->ndim, dst->shape));
    }
    for (int i = 0; i < p->n; i++) {
        l2_tensor *dst = p->tensors[i];
        for (int k = 0; k < l2_named_count(d); k++)
            if (strcmp(l2_named_name(d, k), p->names[i]) == 0) {
                l2__copy_kernel(dst, l2_named_tensor(d, k));
                l2__bump_version(dst);
                break;
            }
    }
    return L2_OK;
}
