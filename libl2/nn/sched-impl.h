/* sched-impl.h: the learning-rate scheduler's struct, shared by sched.c (construction and
 * steps) and sched-state.c (state export and import). */
#ifndef L2_SCHED_IMPL_H
#define L2_SCHED_IMPL_H

#include "../l2-impl.h"

typedef enum {
    SCHED_STEP,
    SCHED_MULTISTEP,
    SCHED_EXP,
    SCHED_COS,
    SCHED_LINEAR,
    SCHED_SEQ,
    SCHED_ONECYCLE,
    SCHED_WARM,
    SCHED_PLATEAU
} sched_kind;

/* OneCycleLR's phase ends: the group values it anneals between. */
typedef enum { OC_INITIAL, OC_MAX, OC_MIN } oc_value;

struct l2_lr_scheduler {
    sched_kind kind;
    l2_optimizer *o;
    bool owned; /* by a SequentialLR */
    /* _LRScheduler */
    double base_lr, last_lr;
    int64_t last_epoch, step_count;
    /* StepLR, MultiStepLR, ExponentialLR */
    int64_t step_size;
    double gamma;
    int nm;       /* milestones (MultiStepLR, SequentialLR) */
    int64_t *ms;
    /* CosineAnnealingLR, CosineAnnealingWarmRestarts */
    int64_t t_max;
    double eta_min;
    /* LinearLR */
    double start_factor, end_factor;
    int64_t total_iters;
    /* SequentialLR */
    int nsub;
    l2_lr_scheduler **subs;
    /* OneCycleLR */
    int64_t total_steps;
    double max_lr, min_lr;
    bool cos_anneal;
    int nphase;
    double end_step[3];
    oc_value from[3], to[3];
    /* CosineAnnealingWarmRestarts */
    int64_t t_0, t_mult, t_i;
    double t_cur;
    /* ReduceLROnPlateau */
    bool mode_max, threshold_abs;
    double factor, threshold, plateau_min_lr, eps, best;
    int64_t patience, cooldown, cooldown_counter, num_bad_epochs;
};

#endif
