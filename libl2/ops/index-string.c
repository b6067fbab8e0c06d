/* index-string.c: l2_index, PyTorch's indexing written as a string ("0, 1:3, ..., None, ::2"):
 * parsed item by item and composed from select, slice and unsqueeze views (view.c). */
#include "../autograd-impl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef enum { ITEM_INT, ITEM_SLICE, ITEM_ELLIPSIS, ITEM_NONE } item_kind;
typedef struct {
    item_kind kind;
    int64_t start, stop, step;
} index_item;

/* Parse an optional integer; returns pointer past it, sets *has. NULL on a malformed number. */
static const char *parse_int(const char *p, int64_t *v, bool *has)
{
    while (isspace((unsigned char)*p))
        p++;
    *has = false;
    if (*p == '-' || *p == '+' || isdigit((unsigned char)*p)) {
        char *end;
        long long x = strtoll(p, &end, 10);
        if (end == p || (end == p + 1 && !isdigit((unsigned char)*p)))
            return NULL;
        *v = x;
        *has = true;
        p = end;
    }
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

/* Parse one item of spec between [p, end). */
static bool parse_item(const char *p, const char *end, index_item *it)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    size_t len = (size_t)(end - p);
    if (len == 3 && !strncmp(p, "...", 3)) {
        it->kind = ITEM_ELLIPSIS;
        return true;
    }
    if (len == 4 && !strncmp(p, "None", 4)) {
        it->kind = ITEM_NONE;
        return true;
    }
    char buf[128];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, p, len);
    buf[len] = '\0';
    int64_t v[3] = {0, INT64_MAX, 1};
    const char *q = buf;
    int part = 0;
    for (;;) {
        bool has;
        int64_t x;
        q = parse_int(q, &x, &has);
        if (!q)
            return false;
        if (has)
            v[part] = x;
        else if (part == 0 && *q != ':')
            return false;
        if (*q == '\0')
            break;
        if (*q != ':' || part == 2)
            return false;
        q++;
        part++;
    }
    if (part == 0) {
        it->kind = ITEM_INT;
        it->start = v[0];
    } else {
        it->kind = ITEM_SLICE;
        it->start = v[0];
        it->stop = v[1];
        it->step = v[2];
    }
    return true;
}

l2_tensor *l2_index(const l2_tensor *t, const char *spec)
{
    const char *op = "index";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(spec, NULL, L2_ERR_NULL, "%s: spec is NULL", op);
    index_item items[2 * L2_MAX_DIMS + 2];
    int n = 0, consumed = 0, ellipsis = -1;
    const char *p = spec;
    while (*p) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        L2__CHECK(n < (int)(sizeof items / sizeof items[0]), NULL, L2_ERR_ARG,
                  "%s: too many indices in '%s'", op, spec);
        if (!parse_item(p, e, &items[n]))
            return l2__fail(L2_ERR_ARG, "%s: cannot parse index item '%.*s' in '%s'", op,
                            (int)(e - p), p, spec), NULL;
        if (items[n].kind == ITEM_ELLIPSIS) {
            L2__CHECK(ellipsis < 0, NULL, L2_ERR_ARG, "%s: an index can only have a single "
                      "ellipsis ('...'): '%s'", op, spec);
            ellipsis = n;
        }
        if (items[n].kind == ITEM_INT || items[n].kind == ITEM_SLICE)
            consumed++;
        n++;
        p = *e ? e + 1 : e;
    }
    L2__CHECK(consumed <= t->ndim, NULL, L2_ERR_INDEX,
              "%s: too many indices for tensor of dimension %d: '%s'", op, t->ndim, spec);
    l2__enter();
    l2_tensor *cur = l2_tensor_ref((l2_tensor *)t);
    int dim = 0;
    for (int k = 0; k < n && cur; k++) {
        l2_tensor *next = NULL;
        switch (items[k].kind) {
        case ITEM_INT: next = l2__select_impl(op, cur, dim, items[k].start); break;
        case ITEM_SLICE:
            next = l2__slice_impl(op, cur, dim, items[k].start, items[k].stop, items[k].step);
            dim++;
            break;
        case ITEM_NONE:
            next = l2_unsqueeze(cur, dim);
            dim++;
            break;
        case ITEM_ELLIPSIS:
            next = l2_tensor_ref(cur);
            dim += t->ndim - consumed;
            break;
        }
        l2_tensor_release(cur);
        cur = next;
    }
    l2__leave();
    return l2__ret(cur);
}
