/* sched.c: learning-rate schedulers with torch.optim.lr_scheduler's (1.13) recursive formulas,
 * each lr computed from the optimizer's current lr with the same double operations in the same
 * order as torch's Python, so that every value is torch's bit for bit. A step computes
 * everything first and commits last: a step that fails (where torch's Python raises) changes
 * nothing. */
#include "sched-impl.h"

#include "../checked.h"
#include "optim-impl.h"

#include <math.h>

/* ---- Python's float arithmetic where it raises ------------------------------------------ */

/* a / b, failing where Python raises ZeroDivisionError. */
static bool py_div(const char *op, double a, double b, double *r)
{
    L2__CHECK(b != 0, false, L2_ERR_ARG,
              "%s: float division by zero (torch raises ZeroDivisionError here)", op);
    *r = a / b;
    return true;
}

/* b ** e, failing where Python raises (0.0 to a negative power, an overflowing result). */
static bool py_pow(const char *op, double b, double e, double *r)
{
    L2__CHECK(b != 0 || e >= 0, false, L2_ERR_ARG,
              "%s: 0.0 cannot be raised to a negative power (torch raises ZeroDivisionError)",
              op);
    double v = pow(b, e);
    L2__CHECK(!isinf(v) || !isfinite(b) || !isfinite(e), false, L2_ERR_ARG,
              "%s: gamma ** epoch overflows (torch raises OverflowError)", op);
    *r = v;
    return true;
}

/* Python's bisect_right over a (any order, as Python's). */
static int bisect_right(const int64_t *a, int n, int64_t x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (x < a[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static double cur_lr(const l2_lr_scheduler *s) { return l2_optimizer_get_lr(s->o); }

/* ---- the formulas ------------------------------------------------------------------------- */

/* OneCycleLR's value from a phase end. */
static double oc_val(const l2_lr_scheduler *s, oc_value v)
{
    double init = 0;
    l2__optimizer_initial_lr(s->o, &init);
    return v == OC_INITIAL ? init : v == OC_MAX ? s->max_lr : s->min_lr;
}

static bool one_cycle_lr(const l2_lr_scheduler *s, int64_t e, double *lr)
{
    const char *op = "one_cycle_lr";
    L2__CHECK(e <= s->total_steps, false, L2_ERR_ARG,
              "%s: tried to step %lld times; the specified number of total steps is %lld", op,
              (long long)e + 1, (long long)s->total_steps);
    double start = 0;
    for (int i = 0; i < s->nphase; i++) {
        double end = s->end_step[i];
        if ((double)e <= end || i == s->nphase - 1) {
            double pct;
            if (!py_div(op, (double)e - start, end - start, &pct))
                return false;
            double a = oc_val(s, s->from[i]), b = oc_val(s, s->to[i]);
            if (s->cos_anneal) {
                double cos_out = cos(M_PI * pct) + 1;
                *lr = b + (a - b) / 2.0 * cos_out;
            } else {
                *lr = (b - a) * pct + a;
            }
            return true;
        }
        start = end;
    }
    return false; /* not reached: the last phase always applies */
}

/* get_lr(): the recursive form at epoch e (last_epoch already advanced), sc the step count
 * after this step's increment. */
static bool get_lr(const l2_lr_scheduler *s, int64_t e, int64_t sc, double *out)
{
    const char *op = "lr_scheduler_step";
    double lr = cur_lr(s), t;
    switch (s->kind) {
    case SCHED_STEP:
        if (e == 0) {
            *out = lr;
            return true;
        }
        L2__CHECK(s->step_size != 0, false, L2_ERR_ARG,
                  "%s: integer modulo by zero (step_size 0; torch raises ZeroDivisionError)", op);
        *out = (s->step_size == -1 || e % s->step_size == 0) ? lr * s->gamma : lr;
        return true;
    case SCHED_MULTISTEP: {
        int count = 0;
        for (int i = 0; i < s->nm; i++)
            count += s->ms[i] == e;
        if (!count) {
            *out = lr;
            return true;
        }
        if (!py_pow(op, s->gamma, count, &t))
            return false;
        *out = lr * t;
        return true;
    }
    case SCHED_EXP:
        *out = e == 0 ? lr : lr * s->gamma;
        return true;
    case SCHED_COS: {
        double T = (double)s->t_max, em = s->eta_min;
        if (e == 0) {
            *out = lr;
        } else if (sc == 1 && e > 0) {
            if (!py_div(op, (double)e * M_PI, T, &t))
                return false;
            *out = em + (s->base_lr - em) * (1 + cos(t)) / 2;
        } else {
            L2__CHECK(s->t_max != 0, false, L2_ERR_ARG,
                      "%s: integer modulo by zero (T_max 0; torch raises ZeroDivisionError)",
                      op);
            if ((e - 1 - s->t_max) % (2 * s->t_max) == 0) {
                if (!py_div(op, M_PI, T, &t))
                    return false;
                *out = lr + (s->base_lr - em) * (1 - cos(t)) / 2;
            } else {
                double a, b;
                if (!py_div(op, M_PI * (double)e, T, &a) || !py_div(op, M_PI * (double)(e - 1), T, &b))
                    return false;
                if (!py_div(op, 1 + cos(a), 1 + cos(b), &t))
                    return false;
                *out = t * (lr - em) + em;
            }
        }
        return true;
    }
    case SCHED_LINEAR: {
        double sf = s->start_factor, ef = s->end_factor;
        if (e == 0) {
            *out = lr * sf;
        } else if (e > s->total_iters) {
            *out = lr;
        } else {
            double den = (double)s->total_iters * sf + (double)(e - 1) * (ef - sf);
            if (!py_div(op, ef - sf, den, &t))
                return false;
            *out = lr * (1. + t);
        }
        return true;
    }
    case SCHED_ONECYCLE:
        return one_cycle_lr(s, e, out);
    default:
        return l2__fail(L2_ERR_ARG, "%s: no recursive form for this scheduler", op), false;
    }
}

/* _get_closed_form_lr() at epoch e; OneCycleLR (no closed form in torch) its get_lr. */
static bool closed_lr(const l2_lr_scheduler *s, int64_t e, int64_t sc, double *out)
{
    const char *op = "lr_scheduler_step_epoch";
    double b = s->base_lr, t;
    switch (s->kind) {
    case SCHED_STEP: {
        L2__CHECK(s->step_size != 0, false, L2_ERR_ARG,
                  "%s: integer division by zero (step_size 0; torch raises ZeroDivisionError)",
                  op);
        int64_t q = e / s->step_size; /* Python's floor division */
        if ((e % s->step_size != 0) && ((e < 0) != (s->step_size < 0)))
            q--;
        if (!py_pow(op, s->gamma, (double)q, &t))
            return false;
        *out = b * t;
        return true;
    }
    case SCHED_MULTISTEP: {
        /* bisect_right over the sorted milestones (with repeats) = how many are <= e */
        int count = 0;
        for (int i = 0; i < s->nm; i++)
            count += s->ms[i] <= e;
        if (!py_pow(op, s->gamma, count, &t))
            return false;
        *out = b * t;
        return true;
    }
    case SCHED_EXP:
        if (!py_pow(op, s->gamma, (double)e, &t))
            return false;
        *out = b * t;
        return true;
    case SCHED_COS:
        if (!py_div(op, M_PI * (double)e, (double)s->t_max, &t))
            return false;
        *out = s->eta_min + (b - s->eta_min) * (1 + cos(t)) / 2;
        return true;
    case SCHED_LINEAR: {
        int64_t m = s->total_iters < e ? s->total_iters : e;
        if (!py_div(op, (s->end_factor - s->start_factor) * (double)m, (double)s->total_iters, &t))
            return false;
        *out = b * (s->start_factor + t);
        return true;
    }
    case SCHED_ONECYCLE:
        return get_lr(s, e, sc, out);
    default:
        return l2__fail(L2_ERR_ARG, "%s: this scheduler has no step(epoch)", op), false;
    }
}

static void commit(l2_lr_scheduler *s, int64_t e, int64_t sc, double lr)
{
    s->last_epoch = e;
    s->step_count = sc;
    l2__optimizer_put_lr(s->o, lr);
    s->last_lr = lr;
}

/* CosineAnnealingWarmRestarts.step(epoch): has_epoch false is step(). */
static bool warm_step(l2_lr_scheduler *s, bool has_epoch, double epoch)
{
    const char *op = "cosine_annealing_warm_restarts";
    double t_cur = s->t_cur;
    int64_t t_i = s->t_i;
    if (!has_epoch && s->last_epoch < 0) {
        has_epoch = true;
        epoch = 0;
    }
    if (!has_epoch) {
        epoch = (double)(s->last_epoch + 1);
        t_cur = t_cur + 1;
        if (t_cur >= (double)t_i) {
            t_cur = t_cur - (double)t_i;
            L2__CHECK(!l2__mul_ovf(t_i, s->t_mult, &t_i), false, L2_ERR_OVERFLOW,
                      "%s: T_i * T_mult overflows", op);
        }
    } else {
        L2__CHECK(epoch >= 0, false, L2_ERR_ARG, "%s: expected non-negative epoch, but got %g",
                  op, epoch);
        L2__CHECK(epoch <= 9007199254740992.0, false, L2_ERR_ARG, "%s: epoch %g is too large",
                  op, epoch);
        if (epoch >= (double)s->t_0) {
            if (s->t_mult == 1) {
                t_cur = fmod(epoch, (double)s->t_0);
            } else {
                double m1 = (double)(s->t_mult - 1);
                double x = epoch / (double)s->t_0 * m1 + 1;
                int64_t n = (int64_t)(log(x) / log((double)s->t_mult));
                int64_t p = 1, num = 0;
                bool ovf = false;
                for (int64_t k = 0; k < n && !ovf; k++)
                    ovf = l2__mul_ovf(p, s->t_mult, &p);
                ovf = ovf || l2__mul_ovf(s->t_0, p - 1, &num) || l2__mul_ovf(s->t_0, p, &t_i);
                L2__CHECK(!ovf, false, L2_ERR_OVERFLOW, "%s: T_0 * T_mult^n overflows", op);
                t_cur = epoch - (double)num / m1;
            }
        } else {
            t_i = s->t_0;
            t_cur = epoch;
        }
    }
    double lr = s->eta_min + (s->base_lr - s->eta_min) * (1 + cos(M_PI * t_cur / (double)t_i)) / 2;
    s->t_cur = t_cur;
    s->t_i = t_i;
    commit(s, (int64_t)floor(epoch), s->step_count, lr); /* torch's own step() keeps the count */
    return true;
}

static bool do_step(l2_lr_scheduler *s, bool has_epoch, double epoch);

static bool seq_step(l2_lr_scheduler *s)
{
    int64_t e = s->last_epoch + 1;
    int idx = bisect_right(s->ms, s->nm, e);
    l2_lr_scheduler *c = s->subs[idx];
    bool ok = idx > 0 && s->ms[idx - 1] == e ? do_step(c, true, 0) : do_step(c, false, 0);
    if (!ok)
        return false;
    s->last_epoch = e;
    s->last_lr = c->last_lr;
    return true;
}

static bool do_step(l2_lr_scheduler *s, bool has_epoch, double epoch)
{
    const char *op = "lr_scheduler_step";
    switch (s->kind) {
    case SCHED_WARM:
        return warm_step(s, has_epoch, epoch);
    case SCHED_SEQ:
        L2__CHECK(!has_epoch, false, L2_ERR_ARG, "%s: SequentialLR.step takes no epoch", op);
        return seq_step(s);
    case SCHED_PLATEAU:
        return l2__fail(L2_ERR_ARG, "%s: ReduceLROnPlateau steps with a metric "
                        "(l2_lr_scheduler_step_metric)", op), false;
    default:
        break;
    }
    int64_t sc = s->step_count + 1, e;
    double lr;
    if (!has_epoch) {
        e = s->last_epoch + 1;
        if (!get_lr(s, e, sc, &lr))
            return false;
    } else {
        L2__CHECK(epoch >= 0 && epoch <= 9007199254740992.0 && epoch == floor(epoch), false,
                  L2_ERR_ARG, "%s: epoch %g is not a whole number >= 0", op, epoch);
        e = (int64_t)epoch;
        if (!closed_lr(s, e, sc, &lr))
            return false;
    }
    commit(s, e, sc, lr);
    return true;
}

/* ---- construction ------------------------------------------------------------------------- */

static l2_lr_scheduler *alloc(const char *op, l2_optimizer *o, sched_kind kind)
{
    L2__CHECK(o, NULL, L2_ERR_NULL, "%s: optimizer is NULL", op);
    l2_lr_scheduler *s = l2__calloc(sizeof *s, op);
    if (!s)
        return NULL;
    s->kind = kind;
    s->o = o;
    return s;
}

static void sched_free(l2_lr_scheduler *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nsub; i++)
        sched_free(s->subs[i]);
    l2__free(s->subs);
    l2__free(s->ms);
    l2__free(s);
}

void l2_lr_scheduler_free(l2_lr_scheduler *s)
{
    if (s && !s->owned)
        sched_free(s);
}

/* _LRScheduler.__init__ with last_epoch -1: initial_lr by setdefault, base_lr, the initial
 * step. On failure the optimizer is as before and s is freed. */
static l2_lr_scheduler *start(l2_lr_scheduler *s)
{
    if (!s)
        return NULL;
    double init, lr0 = cur_lr(s);
    bool had = l2__optimizer_initial_lr(s->o, &init);
    if (!had) {
        init = lr0;
        l2__optimizer_set_initial_lr(s->o, init);
    }
    s->base_lr = init;
    s->last_epoch = -1;
    s->step_count = 0;
    s->t_cur = -1; /* warm restarts: T_cur = last_epoch */
    if (!do_step(s, false, 0)) {
        if (!had)
            l2__optimizer_unset_initial_lr(s->o);
        l2__optimizer_put_lr(s->o, lr0);
        sched_free(s);
        return NULL;
    }
    return s;
}

l2_lr_scheduler *l2_step_lr(l2_optimizer *o, int64_t step_size, double gamma)
{
    l2_lr_scheduler *s = alloc("step_lr", o, SCHED_STEP);
    if (s) {
        s->step_size = step_size;
        s->gamma = gamma;
    }
    return start(s);
}

l2_lr_scheduler *l2_multistep_lr(l2_optimizer *o, int n_milestones, const int64_t *milestones,
                                 double gamma)
{
    const char *op = "multistep_lr";
    L2__CHECK(o, NULL, L2_ERR_NULL, "%s: optimizer is NULL", op);
    L2__CHECK(n_milestones >= 0, NULL, L2_ERR_ARG, "%s: negative milestone count %d", op,
              n_milestones);
    L2__CHECK(n_milestones == 0 || milestones, NULL, L2_ERR_NULL, "%s: milestones is NULL", op);
    l2_lr_scheduler *s = alloc(op, o, SCHED_MULTISTEP);
    if (!s)
        return NULL;
    s->gamma = gamma;
    s->nm = n_milestones;
    if (n_milestones) {
        s->ms = l2__malloc(sizeof *s->ms * (size_t)n_milestones, op);
        if (!s->ms) {
            sched_free(s);
            return NULL;
        }
        memcpy(s->ms, milestones, sizeof *s->ms * (size_t)n_milestones);
    }
    return start(s);
}

l2_lr_scheduler *l2_exponential_lr(l2_optimizer *o, double gamma)
{
    l2_lr_scheduler *s = alloc("exponential_lr", o, SCHED_EXP);
    if (s)
        s->gamma = gamma;
    return start(s);
}

l2_lr_scheduler *l2_cosine_annealing_lr(l2_optimizer *o, int64_t t_max, double eta_min)
{
    const char *op = "cosine_annealing_lr";
    L2__CHECK(t_max > INT64_MIN / 4 && t_max < INT64_MAX / 4, NULL, L2_ERR_ARG,
              "%s: T_max %lld is out of range", op, (long long)t_max);
    l2_lr_scheduler *s = alloc(op, o, SCHED_COS);
    if (s) {
        s->t_max = t_max;
        s->eta_min = eta_min;
    }
    return start(s);
}

l2_lr_scheduler *l2_linear_lr(l2_optimizer *o, double start_factor, double end_factor,
                              int64_t total_iters)
{
    const char *op = "linear_lr";
    L2__CHECK(!(start_factor > 1.0 || start_factor < 0), NULL, L2_ERR_ARG,
              "%s: starting multiplicative factor expected to be between 0 and 1 (got %g)", op,
              start_factor);
    L2__CHECK(!(end_factor > 1.0 || end_factor < 0), NULL, L2_ERR_ARG,
              "%s: ending multiplicative factor expected to be between 0 and 1 (got %g)", op,
              end_factor);
    l2_lr_scheduler *s = alloc(op, o, SCHED_LINEAR);
    if (s) {
        s->start_factor = start_factor;
        s->end_factor = end_factor;
        s->total_iters = total_iters;
    }
    return start(s);
}

l2_lr_scheduler *l2_cosine_annealing_warm_restarts(l2_optimizer *o, int64_t t_0, int64_t t_mult,
                                                   double eta_min)
{
    const char *op = "cosine_annealing_warm_restarts";
    L2__CHECK(t_0 > 0, NULL, L2_ERR_ARG, "%s: expected positive integer T_0, but got %lld", op,
              (long long)t_0);
    L2__CHECK(t_mult >= 1, NULL, L2_ERR_ARG, "%s: expected integer T_mult >= 1, but got %lld",
              op, (long long)t_mult);
    l2_lr_scheduler *s = alloc(op, o, SCHED_WARM);
    if (s) {
        s->t_0 = s->t_i = t_0;
        s->t_mult = t_mult;
        s->eta_min = eta_min;
    }
    return start(s);
}

l2_lr_scheduler *l2_one_cycle_lr(l2_optimizer *o, double max_lr, int64_t total_steps,
                                 double pct_start, bool cos_anneal, double div_factor,
                                 double final_div_factor, bool three_phase)
{
    const char *op = "one_cycle_lr";
    L2__CHECK(o, NULL, L2_ERR_NULL, "%s: optimizer is NULL", op);
    L2__CHECK(total_steps > 0, NULL, L2_ERR_ARG,
              "%s: expected positive integer total_steps, but got %lld", op,
              (long long)total_steps);
    L2__CHECK(!(pct_start < 0 || pct_start > 1), NULL, L2_ERR_ARG,
              "%s: expected float between 0 and 1 pct_start, but got %g", op, pct_start);
    double init, min_lr;
    if (!py_div(op, max_lr, div_factor, &init) || !py_div(op, init, final_div_factor, &min_lr))
        return NULL;
    l2_lr_scheduler *s = alloc(op, o, SCHED_ONECYCLE);
    if (!s)
        return NULL;
    s->total_steps = total_steps;
    s->max_lr = max_lr;
    s->min_lr = min_lr;
    s->cos_anneal = cos_anneal;
    double ts = (double)total_steps;
    if (three_phase) {
        s->nphase = 3;
        s->end_step[0] = pct_start * ts - 1;
        s->end_step[1] = 2 * pct_start * ts - 2;
        s->end_step[2] = ts - 1;
        s->from[0] = OC_INITIAL, s->to[0] = OC_MAX;
        s->from[1] = OC_MAX, s->to[1] = OC_INITIAL;
        s->from[2] = OC_INITIAL, s->to[2] = OC_MIN;
    } else {
        s->nphase = 2;
        s->end_step[0] = pct_start * ts - 1;
        s->end_step[1] = ts - 1;
        s->from[0] = OC_INITIAL, s->to[0] = OC_MAX;
        s->from[1] = OC_MAX, s->to[1] = OC_MIN;
    }
    /* group['initial_lr'] = max_lr / div_factor (overwritten, unlike the other schedulers) */
    double old_init;
    bool had = l2__optimizer_initial_lr(o, &old_init);
    l2__optimizer_set_initial_lr(o, init);
    l2_lr_scheduler *r = start(s);
    if (!r) {
        if (had)
            l2__optimizer_set_initial_lr(o, old_init);
        else
            l2__optimizer_unset_initial_lr(o);
    }
    return r;
}

l2_lr_scheduler *l2_sequential_lr(l2_optimizer *o, int n, l2_lr_scheduler *const *schedulers,
                                  const int64_t *milestones)
{
    const char *op = "sequential_lr";
    L2__CHECK(o && schedulers, NULL, L2_ERR_NULL, "%s: optimizer or schedulers is NULL", op);
    L2__CHECK(n >= 1, NULL, L2_ERR_ARG, "%s: needs at least one scheduler (got %d)", op, n);
    L2__CHECK(n == 1 || milestones, NULL, L2_ERR_NULL, "%s: milestones is NULL", op);
    for (int i = 0; i < n; i++) {
        const l2_lr_scheduler *c = schedulers[i];
        L2__CHECK(c, NULL, L2_ERR_NULL, "%s: scheduler %d is NULL", op, i);
        L2__CHECK(c->o == o, NULL, L2_ERR_ARG,
                  "%s: expects all schedulers to belong to the same optimizer, but got "
                  "scheduler %d to be different than the optimizer passed in", op, i);
        L2__CHECK(!c->owned, NULL, L2_ERR_ARG, "%s: scheduler %d is already in a SequentialLR",
                  op, i);
        L2__CHECK(c->kind != SCHED_SEQ && c->kind != SCHED_PLATEAU, NULL, L2_ERR_ARG,
                  "%s: scheduler %d is a SequentialLR or ReduceLROnPlateau (not supported: "
                  "torch fails on it at the first step)", op, i);
        for (int j = 0; j < i; j++)
            L2__CHECK(schedulers[j] != c, NULL, L2_ERR_ARG, "%s: scheduler %d is listed twice",
                      op, i);
    }
    double init;
    L2__CHECK(l2__optimizer_initial_lr(o, &init), NULL, L2_ERR_ARG,
              "%s: the optimizer has no initial_lr", op);
    l2_lr_scheduler *s = alloc(op, o, SCHED_SEQ);
    if (!s)
        return NULL;
    s->subs = l2__calloc(sizeof *s->subs * (size_t)n, op);
    s->nm = n - 1;
    s->ms = n > 1 ? l2__malloc(sizeof *s->ms * (size_t)(n - 1), op) : NULL;
    if (!s->subs || (n > 1 && !s->ms)) {
        sched_free(s);
        return NULL;
    }
    if (n > 1)
        memcpy(s->ms, milestones, sizeof *s->ms * (size_t)(n - 1));
    /* save what the construction changes, to undo it on failure */
    double lr0 = cur_lr(s);
    l2_lr_scheduler c0 = *schedulers[0];
    s->last_epoch = 0;
    l2__optimizer_put_lr(o, init);
    for (int i = 0; i < n; i++)
        schedulers[i]->last_epoch -= 1;
    schedulers[0]->step_count = 0;
    if (!do_step(schedulers[0], false, 0)) {
        for (int i = 0; i < n; i++)
            schedulers[i]->last_epoch += 1;
        *schedulers[0] = c0;
        l2__optimizer_put_lr(o, lr0);
        sched_free(s);
        return NULL;
    }
    s->last_lr = schedulers[0]->last_lr;
    for (int i = 0; i < n; i++) {
        s->subs[i] = schedulers[i];
        schedulers[i]->owned = true;
    }
    s->nsub = n;
    return s;
}

l2_lr_scheduler *l2_reduce_lr_on_plateau(l2_optimizer *o, bool mode_max, double factor,
                                         int64_t patience, double threshold, bool threshold_abs,
                                         int64_t cooldown, double min_lr, double eps)
{
    const char *op = "reduce_lr_on_plateau";
    L2__CHECK(!(factor >= 1.0), NULL, L2_ERR_ARG, "%s: factor should be < 1.0 (got %g)", op,
              factor);
    l2_lr_scheduler *s = alloc(op, o, SCHED_PLATEAU);
    if (!s)
        return NULL;
    s->mode_max = mode_max;
    s->factor = factor;
    s->patience = patience;
    s->threshold = threshold;
    s->threshold_abs = threshold_abs;
    s->cooldown = cooldown;
    s->plateau_min_lr = min_lr;
    s->eps = eps;
    s->best = mode_max ? -INFINITY : INFINITY;
    s->last_epoch = 0;
    s->last_lr = cur_lr(s);
    return s;
}

/* ---- stepping ----------------------------------------------------------------------------- */

l2_status l2_lr_scheduler_step(l2_lr_scheduler *s)
{
    L2__CHECK_ST(s, L2_ERR_NULL, "lr_scheduler_step: scheduler is NULL");
    return do_step(s, false, 0) ? L2_OK : l2_last_status();
}

l2_status l2_lr_scheduler_step_epoch(l2_lr_scheduler *s, double epoch)
{
    L2__CHECK_ST(s, L2_ERR_NULL, "lr_scheduler_step_epoch: scheduler is NULL");
    return do_step(s, true, epoch) ? L2_OK : l2_last_status();
}

static bool is_better(const l2_lr_scheduler *s, double a, double best)
{
    if (!s->mode_max && !s->threshold_abs)
        return a < best * (1. - s->threshold);
    if (!s->mode_max)
        return a < best - s->threshold;
    if (!s->threshold_abs)
        return a > best * (s->threshold + 1.);
    return a > best + s->threshold;
}

l2_status l2_lr_scheduler_step_metric(l2_lr_scheduler *s, double metric)
{
    const char *op = "lr_scheduler_step_metric";
    L2__CHECK_ST(s, L2_ERR_NULL, "%s: scheduler is NULL", op);
    L2__CHECK_ST(s->kind == SCHED_PLATEAU, L2_ERR_ARG,
                 "%s: only ReduceLROnPlateau steps with a metric", op);
    s->last_epoch = s->last_epoch + 1;
    if (is_better(s, metric, s->best)) {
        s->best = metric;
        s->num_bad_epochs = 0;
    } else {
        s->num_bad_epochs += 1;
    }
    if (s->cooldown_counter > 0) {
        s->cooldown_counter -= 1;
        s->num_bad_epochs = 0;
    }
    if (s->num_bad_epochs > s->patience) {
        double old_lr = cur_lr(s), new_lr = old_lr * s->factor;
        if (s->plateau_min_lr > new_lr) /* Python's max(a, b): b only when b > a */
            new_lr = s->plateau_min_lr;
        if (old_lr - new_lr > s->eps)
            l2__optimizer_put_lr(s->o, new_lr);
        s->cooldown_counter = s->cooldown;
        s->num_bad_epochs = 0;
    }
    s->last_lr = cur_lr(s);
    return L2_OK;
}

double l2_lr_scheduler_get_last_lr(const l2_lr_scheduler *s)
{
    L2__CHECK(s, NAN, L2_ERR_NULL, "lr_scheduler_get_last_lr: scheduler is NULL");
    return s->kind == SCHED_PLATEAU ? cur_lr(s) : s->last_lr;
}
