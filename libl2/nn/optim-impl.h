/* optim-impl.h: the optimizer's internals the learning-rate schedulers use (optim.c). */
#ifndef L2_OPTIM_IMPL_H
#define L2_OPTIM_IMPL_H

#include "../l2.h"

#include <stdbool.h>

/* Set the lr without l2_optimizer_set_lr's check (torch's schedulers write any float). */
void l2__optimizer_put_lr(l2_optimizer *o, double lr);
/* torch's param_group['initial_lr']: false if no scheduler recorded one yet. */
bool l2__optimizer_initial_lr(const l2_optimizer *o, double *lr);
void l2__optimizer_set_initial_lr(l2_optimizer *o, double lr);
void l2__optimizer_unset_initial_lr(l2_optimizer *o);

#endif
