/* sched-state.c: a learning-rate scheduler's state as named 0-d tensors (torch's state_dict
 * keys), exported and imported (everything checked before anything is set). */
#include "sched-impl.h"

#include "../autograd-impl.h"

#include <stdio.h>

typedef struct {
    const char *name;
    bool is_int;
    int64_t *i;
    double *d;
} field;

#define MAX_FIELDS 6

/* The fields of s (not of its children); returns their count. */
static int fields(l2_lr_scheduler *s, field *f)
{
    int n = 0;
    f[n++] = (field){"last_epoch", true, &s->last_epoch, NULL};
    switch (s->kind) {
    case SCHED_SEQ:
        f[n++] = (field){"_last_lr", false, NULL, &s->last_lr};
        break;
    case SCHED_PLATEAU:
        f[n++] = (field){"best", false, NULL, &s->best};
        f[n++] = (field){"num_bad_epochs", true, &s->num_bad_epochs, NULL};
        f[n++] = (field){"cooldown_counter", true, &s->cooldown_counter, NULL};
        f[n++] = (field){"_last_lr", false, NULL, &s->last_lr};
        break;
    default:
        f[n++] = (field){"_step_count", true, &s->step_count, NULL};
        f[n++] = (field){"base_lrs", false, NULL, &s->base_lr};
        f[n++] = (field){"_last_lr", false, NULL, &s->last_lr};
        if (s->kind == SCHED_WARM) {
            f[n++] = (field){"T_i", true, &s->t_i, NULL};
            f[n++] = (field){"T_cur", false, NULL, &s->t_cur};
        }
        break;
    }
    return n;
}

static bool key(char *buf, size_t size, const char *prefix, const char *name)
{
    int k = snprintf(buf, size, "%s%s", prefix, name);
    return k >= 0 && (size_t)k < size;
}

static l2_status put(l2_named_tensors *d, l2_lr_scheduler *s, const char *prefix)
{
    const char *op = "lr_scheduler_state";
    field f[MAX_FIELDS];
    int n = fields(s, f);
    char name[128];
    for (int i = 0; i < n; i++) {
        L2__CHECK_ST(key(name, sizeof name, prefix, f[i].name), L2_ERR_OVERFLOW,
                     "%s: key too long", op);
        l2__enter();
        l2_tensor *t = f[i].is_int ? l2_scalar((double)*f[i].i, L2_INT64)
                                   : l2_scalar(*f[i].d, L2_FLOAT64);
        l2__leave();
        if (!t)
            return l2_last_status();
        if (f[i].is_int) /* exact for any int64 */
            *(int64_t *)l2__data(t) = *f[i].i;
        l2_status st = l2_named_add(d, name, t);
        l2_tensor_release(t);
        if (st != L2_OK)
            return st;
    }
    for (int c = 0; c < s->nsub; c++) {
        char sub[128];
        int k = snprintf(sub, sizeof sub, "%s_schedulers.%d.", prefix, c);
        L2__CHECK_ST(k >= 0 && (size_t)k < sizeof sub, L2_ERR_OVERFLOW, "%s: key too long", op);
        l2_status st = put(d, s->subs[c], sub);
        if (st != L2_OK)
            return st;
    }
    return L2_OK;
}

l2_named_tensors *l2_lr_scheduler_state(const l2_lr_scheduler *s)
{
    L2__CHECK(s, NULL, L2_ERR_NULL, "lr_scheduler_state: scheduler is NULL");
    l2_named_tensors *d = l2_named_new();
    if (!d)
        return NULL;
    if (put(d, (l2_lr_scheduler *)s, "") != L2_OK) {
        l2_named_free(d);
        return NULL;
    }
    return d;
}

/* Check (set false) or set (set true) every field of s from d. */
static l2_status take(l2_lr_scheduler *s, const l2_named_tensors *d, const char *prefix, bool set)
{
    const char *op = "lr_scheduler_load_state";
    field f[MAX_FIELDS];
    int n = fields(s, f);
    char name[128];
    for (int i = 0; i < n; i++) {
        L2__CHECK_ST(key(name, sizeof name, prefix, f[i].name), L2_ERR_OVERFLOW,
                     "%s: key too long", op);
        l2_tensor *t = NULL;
        for (int j = 0; j < l2_named_count(d) && !t; j++)
            if (strcmp(l2_named_name(d, j), name) == 0)
                t = l2_named_tensor(d, j);
        L2__CHECK_ST(t, L2_ERR_ARG, "%s: no entry '%s'", op, name);
        L2__CHECK_ST(t->ndim == 0 && t->dtype == (f[i].is_int ? L2_INT64 : L2_FLOAT64),
                     L2_ERR_ARG, "%s: '%s' must be a 0-d %s tensor", op, name,
                     f[i].is_int ? "int64" : "float64");
        if (f[i].is_int) {
            int64_t v = *(const int64_t *)l2__data(t);
            int64_t lo = strcmp(f[i].name, "T_i") == 0 ? 1
                         : strcmp(f[i].name, "last_epoch") == 0 ? -1 : 0;
            /* cooldown_counter is set to cooldown (any int); T_i = T_0 * T_mult^n */
            int64_t hi = strcmp(f[i].name, "T_i") == 0 ? INT64_MAX : (int64_t)1 << 53;
            if (strcmp(f[i].name, "cooldown_counter") == 0)
                lo = INT64_MIN, hi = INT64_MAX;
            L2__CHECK_ST(v >= lo && v <= hi, L2_ERR_ARG,
                         "%s: '%s' is %lld, outside [%lld, %lld]", op, name, (long long)v,
                         (long long)lo, (long long)hi);
            if (set)
                *f[i].i = v;
        } else if (set) {
            *f[i].d = *(const double *)l2__data(t);
        }
    }
    for (int c = 0; c < s->nsub; c++) {
        char sub[128];
        int k = snprintf(sub, sizeof sub, "%s_schedulers.%d.", prefix, c);
        L2__CHECK_ST(k >= 0 && (size_t)k < sizeof sub, L2_ERR_OVERFLOW, "%s: key too long", op);
        l2_status st = take(s->subs[c], d, sub, set);
        if (st != L2_OK)
            return st;
    }
    return L2_OK;
}

l2_status l2_lr_scheduler_load_state(l2_lr_scheduler *s, const l2_named_tensors *d)
{
    L2__CHECK_ST(s && d, L2_ERR_NULL, "lr_scheduler_load_state: scheduler or state is NULL");
    l2_status st = take(s, d, "", false);
    return st != L2_OK ? st : take(s, d, "", true);
}
