/* hostile-sched.c: hostile entries for gradient clipping, the learning-rate schedulers and the
 * named-tensor builder (issue 16, area sched). */
#include "hostile.h"

#include <string.h>

static const int64_t h_ints[] = {0, -1, INT64_MIN, INT64_MAX, (int64_t)1 << 62};
#define NI ((int)(sizeof h_ints / sizeof h_ints[0]))

/* Optimizers and schedulers a case makes, freed by done() at its end (in the order made: a
 * SequentialLR's parts before it). */
static l2_optimizer *h_opts[64];
static l2_lr_scheduler *h_scheds[64];
static int h_nopt, h_nsched;

static l2_optimizer *opt(void)
{
    l2_tensor *p = mk_leaf(L2_FLOAT32);
    l2_optimizer *o = l2_sgd(1, &p, l2_sgd_defaults(0.1));
    if (o && h_nopt < 64)
        h_opts[h_nopt++] = o;
    return o;
}

static l2_lr_scheduler *reg(l2_lr_scheduler *s)
{
    if (s && h_nsched < 64)
        h_scheds[h_nsched++] = s;
    return s;
}

static void done(void)
{
    for (int i = 0; i < h_nsched; i++)
        l2_lr_scheduler_free(h_scheds[i]);
    for (int i = 0; i < h_nopt; i++)
        l2_optimizer_free(h_opts[i]);
    h_nsched = h_nopt = 0;
}

/* A constructor's result: NULL with a message, or a scheduler that survives 3 steps and a
 * state round trip. */
static void check_sched(l2_lr_scheduler *s, const char *what, int line)
{
    if (!s) {
        h_msg_ok(what, line);
        return;
    }
    for (int k = 0; k < 3; k++)
        if (l2_lr_scheduler_step(s) != L2_OK)
            h_msg_ok(what, line);
    l2_named_tensors *d = l2_lr_scheduler_state(s);
    if (!d || l2_lr_scheduler_load_state(s, d) != L2_OK)
        h_bad(line, "%s: state round trip failed", what);
    l2_named_free(d);
    (void)l2_lr_scheduler_get_last_lr(s);
    l2_lr_scheduler_free(s);
}
#define SCHED(e) (l2_clear_error(), check_sched((e), #e, __LINE__))
/* one scheduler per case, then everything freed */
#define SCHED1(e) (SCHED(e), done())

/* A leaf (2,3) of dtype dt whose grad is the hostile tensor of kind k (same shape), or an
 * empty leaf for K_EMPTY. */
static l2_tensor *with_grad(int k, l2_dtype dt)
{
    l2_tensor *g = mk_kind(k, dt);
    l2_tensor *p = k == K_EMPTY ? l2_zeros(2, (int64_t[]){0, 3}, dt) : mk_leaf(dt);
    l2_set_requires_grad(p, true);
    l2_backward(p, g, false);
    return p;
}

static void clip_sweep(bool value)
{
    static const int kinds[] = {K_SMALL, K_EMPTY, K_NONCONTIG, K_SPECIAL};
    CASE("NULL params") FAIL_S(L2_ERR_NULL, value ? l2_clip_grad_value_(2, NULL, 1)
                                                  : l2_clip_grad_norm_(2, NULL, 1, 2, 0, NULL));
    CASE("n -1")
    {
        l2_tensor *p = with_grad(K_SMALL, L2_FLOAT32);
        FAIL_S(L2_ERR_ARG, value ? l2_clip_grad_value_(-1, &p, 1)
                                 : l2_clip_grad_norm_(-1, &p, 1, 2, 0, NULL));
    }
    CASE("NULL entry")
    {
        l2_tensor *ps[2] = {with_grad(K_SMALL, L2_FLOAT32), NULL};
        FAIL_S(L2_ERR_NULL, value ? l2_clip_grad_value_(2, ps, 1)
                                  : l2_clip_grad_norm_(2, ps, 1, 2, 0, NULL));
    }
    for (int i = 0; i < 4; i++)
        for (int d = 0; d < 2; d++)
            for (int s = 0; s < h_nscalars; s++)
                CASE("grad %s %s, scalar %g", h_kind_name[kinds[i]], d ? "f64" : "f32",
                     h_scalars[s])
                {
                    l2_tensor *ps[2] = {with_grad(kinds[i], d ? L2_FLOAT64 : L2_FLOAT32),
                                        mk_leaf(L2_FLOAT64)};
                    double total = 0;
                    if (value)
                        ANY_S(l2_clip_grad_value_(2, ps, h_scalars[s]));
                    else {
                        ANY_S(l2_clip_grad_norm_(2, ps, 1.0, h_scalars[s], false, &total));
                        ANY_S(l2_clip_grad_norm_(2, ps, h_scalars[s], 2, true, NULL));
                    }
                }
}

void h_l2_clip_grad_norm_(void) { clip_sweep(false); }
void h_l2_clip_grad_value_(void) { clip_sweep(true); }

void h_l2_step_lr(void)
{
    CASE("NULL") EXPECT(!l2_step_lr(NULL, 1, 0.1) && l2_last_status() == L2_ERR_NULL, "NULL");
    for (int i = 0; i < NI; i++)
        for (int s = 0; s < h_nscalars; s++)
            CASE("step_size %lld gamma %g", (long long)h_ints[i], h_scalars[s])
    SCHED1(l2_step_lr(opt(), h_ints[i], h_scalars[s]));
}

void h_l2_multistep_lr(void)
{
    CASE("NULL") EXPECT(!l2_multistep_lr(NULL, 0, NULL, 0.1), "NULL optimizer");
    CASE("NULL milestones")
    {
        EXPECT(!l2_multistep_lr(opt(), 3, NULL, 0.1), "NULL milestones");
        done();
    }
    CASE("negative count")
    {
        EXPECT(!l2_multistep_lr(opt(), -1, h_ints, 0.1), "count -1");
        done();
    }
    for (int s = 0; s < h_nscalars; s++)
        CASE("extreme milestones, gamma %g", h_scalars[s])
    SCHED1(l2_multistep_lr(opt(), NI, h_ints, h_scalars[s]));
}

void h_l2_exponential_lr(void)
{
    CASE("NULL") EXPECT(!l2_exponential_lr(NULL, 0.1), "NULL");
    for (int s = 0; s < h_nscalars; s++)
        CASE("gamma %g", h_scalars[s])
    SCHED1(l2_exponential_lr(opt(), h_scalars[s]));
}

void h_l2_cosine_annealing_lr(void)
{
    CASE("NULL") EXPECT(!l2_cosine_annealing_lr(NULL, 5, 0), "NULL");
    for (int i = 0; i < NI; i++)
        for (int s = 0; s < h_nscalars; s++)
            CASE("T_max %lld eta_min %g", (long long)h_ints[i], h_scalars[s])
    SCHED1(l2_cosine_annealing_lr(opt(), h_ints[i], h_scalars[s]));
}

void h_l2_linear_lr(void)
{
    CASE("NULL") EXPECT(!l2_linear_lr(NULL, 0.5, 1, 5), "NULL");
    for (int i = 0; i < NI; i++)
        for (int s = 0; s < h_nscalars; s++)
            CASE("total_iters %lld factor %g", (long long)h_ints[i], h_scalars[s])
            {
                SCHED(l2_linear_lr(opt(), h_scalars[s], 1.0, h_ints[i]));
                SCHED(l2_linear_lr(opt(), 0.5, h_scalars[s], h_ints[i]));
                done();
            }
}

void h_l2_sequential_lr(void)
{
    CASE("NULL") EXPECT(!l2_sequential_lr(NULL, 1, NULL, NULL), "NULL");
    static const int ns[] = {0, -1, INT_MIN};
    for (int i = 0; i < 3; i++)
        CASE("n %d", ns[i])
        {
            l2_optimizer *o = opt();
            l2_lr_scheduler *a = reg(l2_exponential_lr(o, 0.5));
            EXPECT(!l2_sequential_lr(o, ns[i], &a, NULL), "bad n accepted");
            done();
        }
    CASE("NULL milestones")
    {
        l2_optimizer *o = opt();
        l2_lr_scheduler *a[2] = {reg(l2_exponential_lr(o, 0.5)), reg(l2_step_lr(o, 2, 0.5))};
        EXPECT(!l2_sequential_lr(o, 2, a, NULL), "NULL milestones accepted");
        done();
    }
    CASE("plateau inside")
    {
        l2_optimizer *o = opt();
        l2_lr_scheduler *a[2] = {reg(l2_exponential_lr(o, 0.5)),
                                 reg(l2_reduce_lr_on_plateau(o, false, 0.1, 1, 0, false, 0, 0,
                                                             0))};
        EXPECT(!l2_sequential_lr(o, 2, a, (int64_t[]){2}), "plateau accepted");
        done();
    }
    for (int i = 0; i < NI; i++)
        CASE("milestone %lld", (long long)h_ints[i])
        {
            l2_optimizer *o = opt();
            l2_lr_scheduler *a[2] = {l2_linear_lr(o, 0.5, 1, 3), l2_cosine_annealing_lr(o, 4, 0)};
            l2_lr_scheduler *s = l2_sequential_lr(o, 2, a, &h_ints[i]);
            if (!s) {
                l2_lr_scheduler_free(a[0]);
                l2_lr_scheduler_free(a[1]);
            }
            SCHED(s);
            done();
        }
}

void h_l2_one_cycle_lr(void)
{
    CASE("NULL") EXPECT(!l2_one_cycle_lr(NULL, 0.1, 10, 0.3, true, 25, 1e4, false), "NULL");
    for (int i = 0; i < NI; i++)
        for (int s = 0; s < h_nscalars; s++)
            CASE("total_steps %lld scalar %g", (long long)h_ints[i], h_scalars[s])
            {
                SCHED(l2_one_cycle_lr(opt(), h_scalars[s], h_ints[i], 0.3, true, 25, 1e4, true));
                SCHED(l2_one_cycle_lr(opt(), 0.1, 100, h_scalars[s], false, 25, 1e4, false));
                SCHED(l2_one_cycle_lr(opt(), 0.1, 100, 0.3, true, h_scalars[s], h_scalars[s],
                                      false));
                done();
            }
}

void h_l2_cosine_annealing_warm_restarts(void)
{
    CASE("NULL") EXPECT(!l2_cosine_annealing_warm_restarts(NULL, 1, 1, 0), "NULL");
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NI; j++)
            CASE("T_0 %lld T_mult %lld", (long long)h_ints[i], (long long)h_ints[j])
            {
                l2_lr_scheduler *s = l2_cosine_annealing_warm_restarts(opt(), h_ints[i],
                                                                       h_ints[j], 0.0);
                if (!s)
                    h_msg_ok("cosine_annealing_warm_restarts", __LINE__);
                for (int e = 0; s && e < h_nscalars; e++)
                    ANY_S(l2_lr_scheduler_step_epoch(s, h_scalars[e]));
                if (s)
                    SCHED(s);
                done();
            }
}

void h_l2_reduce_lr_on_plateau(void)
{
    CASE("NULL") EXPECT(!l2_reduce_lr_on_plateau(NULL, 0, 0.1, 1, 0, 0, 0, 0, 0), "NULL");
    for (int i = 0; i < NI; i++)
        for (int s = 0; s < h_nscalars; s++)
            CASE("ints %lld scalar %g", (long long)h_ints[i], h_scalars[s])
            {
                l2_lr_scheduler *p = l2_reduce_lr_on_plateau(opt(), i & 1, h_scalars[s] < 1 ?
                                                             h_scalars[s] : 0.5, h_ints[i],
                                                             h_scalars[s], i & 2, h_ints[i],
                                                             h_scalars[s], h_scalars[s]);
                for (int k = 0; p && k < h_nscalars; k++)
                    ANY_S(l2_lr_scheduler_step_metric(p, h_scalars[k]));
                l2_named_tensors *d = p ? l2_lr_scheduler_state(p) : NULL;
                if (p && (!d || l2_lr_scheduler_load_state(p, d) != L2_OK))
                    EXPECT(0, "plateau state round trip failed");
                l2_named_free(d);
                l2_lr_scheduler_free(p);
                done();
            }
}

void h_l2_lr_scheduler_step(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_lr_scheduler_step(NULL));
    CASE("plateau")
    {
        FAIL_S(L2_ERR_ARG, l2_lr_scheduler_step(
                               reg(l2_reduce_lr_on_plateau(opt(), false, 0.1, 1, 0, false, 0, 0,
                                                           0))));
        done();
    }
}

void h_l2_lr_scheduler_step_metric(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_lr_scheduler_step_metric(NULL, 1));
    CASE("not a plateau")
    {
        FAIL_S(L2_ERR_ARG, l2_lr_scheduler_step_metric(reg(l2_exponential_lr(opt(), 0.5)), 1));
        done();
    }
}

void h_l2_lr_scheduler_step_epoch(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_lr_scheduler_step_epoch(NULL, 1));
    for (int s = 0; s < h_nscalars; s++)
        CASE("epoch %g", h_scalars[s])
        {
            l2_optimizer *o = opt();
            ANY_S(l2_lr_scheduler_step_epoch(reg(l2_step_lr(o, 3, 0.5)), h_scalars[s]));
            ANY_S(l2_lr_scheduler_step_epoch(reg(l2_exponential_lr(o, 0.5)), h_scalars[s]));
            ANY_S(l2_lr_scheduler_step_epoch(reg(l2_multistep_lr(o, NI, h_ints, 0.5)),
                                             h_scalars[s]));
            ANY_S(l2_lr_scheduler_step_epoch(reg(l2_cosine_annealing_lr(o, 3, 0)), h_scalars[s]));
            ANY_S(l2_lr_scheduler_step_epoch(reg(l2_linear_lr(o, 0.5, 1, 3)), h_scalars[s]));
            ANY_S(l2_lr_scheduler_step_epoch(reg(l2_one_cycle_lr(o, 1, 9, 0.3, 1, 25, 1e4, 0)),
                                             h_scalars[s]));
            done();
        }
}

void h_l2_lr_scheduler_get_last_lr(void)
{
    CASE("NULL") NULL_MSG(l2_lr_scheduler_get_last_lr(NULL));
}

void h_l2_lr_scheduler_state(void)
{
    CASE("NULL") EXPECT(!l2_lr_scheduler_state(NULL) && l2_last_status() == L2_ERR_NULL, "NULL");
}

void h_l2_lr_scheduler_load_state(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_lr_scheduler_load_state(NULL, NULL));
    static const char *const keys[] = {"last_epoch", "_step_count", "base_lrs", "_last_lr",
                                       "T_i", "T_cur"};
    for (int k = 0; k < 6; k++)
        for (int i = 0; i < NI; i++)
            for (int dt = 0; dt < 2; dt++)
                CASE("%s = %lld as %s", keys[k], (long long)h_ints[i], dt ? "int64" : "float64")
                {
                    l2_lr_scheduler *s = l2_cosine_annealing_warm_restarts(opt(), 2, 3, 0.0);
                    l2_named_tensors *d = l2_lr_scheduler_state(s), *e = l2_named_new();
                    for (int j = 0; j < l2_named_count(d); j++) {
                        const char *n = l2_named_name(d, j);
                        if (strcmp(n, keys[k]) != 0)
                            l2_named_add(e, n, l2_named_tensor(d, j));
                    }
                    l2_tensor *v = l2_zeros(0, NULL, dt ? L2_INT64 : L2_FLOAT64);
                    if (dt)
                        *(int64_t *)l2_data_ptr(v) = h_ints[i];
                    else
                        *(double *)l2_data_ptr(v) = (double)h_ints[i];
                    l2_named_add(e, keys[k], v);
                    if (ANY_S(l2_lr_scheduler_load_state(s, e)) == L2_OK)
                        for (int t = 0; t < 3; t++)
                            ANY_S(l2_lr_scheduler_step(s));
                    l2_named_free(d);
                    l2_named_free(e);
                    l2_lr_scheduler_free(s);
                    done();
                }
}

void h_l2_lr_scheduler_free(void)
{
    CASE("NULL") l2_lr_scheduler_free(NULL);
}
