/* state-impl.h: what the state-dict and checkpoint code (issue 16) shares between params.c,
 * optim.c, optim-state.c, checkpoint.c and io/safetensors.c. Private to libl2. */
#ifndef L2_STATE_IMPL_H
#define L2_STATE_IMPL_H

#include "../l2-impl.h"

typedef enum { OPT_SGD, OPT_ADAM, OPT_ADAMW } opt_kind;

struct l2_optimizer {
    opt_kind kind;
    l2_sgd_options sgd;
    l2_adam_options adam;
    int n;
    l2_tensor **params;
    l2_tensor **buf1; /* momentum buffer / exp_avg */
    l2_tensor **buf2; /* exp_avg_sq */
    l2_tensor **buf3; /* max_exp_avg_sq (amsgrad) */
    int64_t *steps;
    double initial_lr; /* param_group['initial_lr'] of torch's schedulers (sched.c) */
    bool has_initial_lr;
};

/* l2_named_add with op's name in messages. */
l2_status l2__named_add_impl(const char *op, l2_named_tensors *d, const char *name, l2_tensor *t);
/* The tensor named prefix + name in d (borrowed), or NULL; sets no error. */
l2_tensor *l2__named_find(const l2_named_tensors *d, const char *prefix, const char *name);

/* Validate d's tensors prefix + <entry name> against every parameter and buffer of p (missing:
 * the status for a missing one; strict: other prefix.* names are L2_ERR_FORMAT), then copy
 * them (apply cannot fail once check passed). */
l2_status l2__params_check(const char *op, const l2_params *p, const l2_named_tensors *d,
                           const char *prefix, bool strict, l2_status missing);
void l2__params_apply(l2_params *p, const l2_named_tensors *d, const char *prefix);

/* An optimizer state read from prefix.* names of d, validated and copied, ready to swap in. */
typedef struct l2__optim_staged l2__optim_staged;
l2__optim_staged *l2__optim_stage(const char *op, const l2_optimizer *o,
                                  const l2_named_tensors *d, const char *prefix);
void l2__optim_commit(l2_optimizer *o, l2__optim_staged *s); /* frees s */
void l2__optim_staged_free(l2__optim_staged *s);
/* Append o's state dict to d under prefix. */
l2_status l2__optim_export(const char *op, const l2_optimizer *o, l2_named_tensors *d,
                           const char *prefix);
/* "sgd", "adam" or "adamw". */
const char *l2__optim_kind_name(const l2_optimizer *o);

/* l2_set_rng_state in two halves (check, then apply: cannot fail). random.c. */
l2_status l2__rng_state_check(const char *op, const l2_tensor *state);
void l2__rng_state_apply(const l2_tensor *state);

#endif
