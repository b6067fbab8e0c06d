/* test-sched.c: learning-rate schedulers and gradient clipping without torch: the recursive
 * schedules against their closed forms (torch's own formulas, within rounding), warmup +
 * cosine through SequentialLR, the plateau's logic, state export/import, clipping against a
 * plain double reference (also a non-contiguous grad), and errors: NULL, bad arguments, steps
 * where torch raises, each changing nothing. (tests/sched-oracle.sh compares with torch
 * itself, bit for bit.) */
#include <l2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static l2_tensor *param(void)
{
    l2_tensor *p = l2_zeros(1, (int64_t[]){1}, L2_FLOAT64);
    l2_set_requires_grad(p, true);
    return p;
}

static bool near(double a, double b) { return fabs(a - b) <= 1e-12 * fabs(b) + 1e-15; }

static void test_closed_forms(void)
{
    l2_tensor *p = param();
    l2_optimizer *o = l2_sgd(1, &p, l2_sgd_defaults(0.1));
    l2_lr_scheduler *s = l2_step_lr(o, 7, 0.5);
    bool good = s && l2_optimizer_get_lr(o) == 0.1;
    for (int e = 1; e <= 60 && good; e++)
        good = l2_lr_scheduler_step(s) == L2_OK &&
               near(l2_lr_scheduler_get_last_lr(s), l2_lr_step(0.1, e, 7, 0.5)) &&
               l2_optimizer_get_lr(o) == l2_lr_scheduler_get_last_lr(s);
    ok(good, "StepLR follows gamma^floor(epoch/step_size)");
    l2_lr_scheduler_free(s);
    l2_optimizer_free(o);

    /* a fresh optimizer: CosineAnnealingLR up to T_max matches the closed form */
    o = l2_sgd(1, &p, l2_sgd_defaults(0.2));
    s = l2_cosine_annealing_lr(o, 40, 0.01);
    good = s != NULL;
    for (int e = 1; e <= 40 && good; e++)
        good = l2_lr_scheduler_step(s) == L2_OK &&
               fabs(l2_lr_scheduler_get_last_lr(s) - l2_lr_cosine(0.2, e, 40, 0.01)) < 1e-14;
    ok(good, "CosineAnnealingLR follows the cosine (recursive form within rounding)");
    l2_lr_scheduler_free(s);
    l2_optimizer_free(o);

    o = l2_sgd(1, &p, l2_sgd_defaults(1.0));
    s = l2_exponential_lr(o, 0.9);
    good = s != NULL;
    for (int e = 1; e <= 50 && good; e++)
        good = l2_lr_scheduler_step(s) == L2_OK && near(l2_optimizer_get_lr(o), pow(0.9, e));
    ok(good, "ExponentialLR is gamma^epoch");
    l2_lr_scheduler_free(s);
    l2_optimizer_free(o);

    o = l2_sgd(1, &p, l2_sgd_defaults(1.0));
    s = l2_multistep_lr(o, 3, (int64_t[]){10, 4, 10}, 0.5);
    good = s != NULL;
    for (int e = 1; e <= 20 && good; e++) {
        double want = e < 4 ? 1.0 : e < 10 ? 0.5 : 0.125;
        good = l2_lr_scheduler_step(s) == L2_OK && l2_optimizer_get_lr(o) == want;
    }
    ok(good, "MultiStepLR: unsorted milestones, a repeated one counts twice");
    l2_lr_scheduler_free(s);
    l2_optimizer_free(o);
    l2_tensor_release(p);
}

/* The documented warmup + cosine: LinearLR for warm epochs, then CosineAnnealingLR. */
static void test_warmup_cosine(void)
{
    l2_tensor *p = param();
    l2_optimizer *o = l2_sgd(1, &p, l2_sgd_defaults(0.1));
    int64_t warm = 5, total = 30;
    l2_lr_scheduler *w = l2_linear_lr(o, 0.2, 1.0, warm);
    l2_lr_scheduler *c = l2_cosine_annealing_lr(o, total - warm, 0.0);
    l2_lr_scheduler *s = l2_sequential_lr(o, 2, (l2_lr_scheduler *[]){w, c}, (int64_t[]){warm});
    ok(s && near(l2_optimizer_get_lr(o), 0.02), "warmup+cosine starts at 0.1 * start_factor");
    bool good = s != NULL;
    for (int64_t e = 1; e <= total && good; e++) {
        l2_lr_scheduler_step(s);
        double want = e < warm ? 0.1 * (0.2 + 0.8 * (double)e / (double)warm)
                               : l2_lr_cosine(0.1, e - warm, total - warm, 0.0);
        good = fabs(l2_optimizer_get_lr(o) - want) < 1e-13;
        if (!good)
            tap_diag("epoch %lld: %.17g, want %.17g", (long long)e, l2_optimizer_get_lr(o), want);
    }
    ok(good, "warmup+cosine: linear to the peak, then the cosine to 0");
    l2_lr_scheduler_free(w); /* owned by s: nothing happens */
    ok(l2_lr_scheduler_step(s) == L2_OK, "freeing an owned scheduler does nothing");

    /* state round trip */
    l2_named_tensors *d = l2_lr_scheduler_state(s);
    ok(d && l2_named_get(d, "_schedulers.1.last_epoch") && l2_named_get(d, "last_epoch"),
       "SequentialLR state holds its schedulers' entries");
    double lr = l2_optimizer_get_lr(o), last = l2_lr_scheduler_get_last_lr(s);
    l2_lr_scheduler_step(s);
    l2_lr_scheduler_step(s);
    double after2 = l2_optimizer_get_lr(o);
    ok(l2_lr_scheduler_load_state(s, d) == L2_OK && l2_lr_scheduler_get_last_lr(s) == last,
       "load_state restores the state");
    l2_optimizer_set_lr(o, lr);
    l2_lr_scheduler_step(s);
    l2_lr_scheduler_step(s);
    ok(l2_optimizer_get_lr(o) == after2, "after load_state the run repeats exactly");

    /* a bad state: wrong dtype, missing key; nothing changed */
    l2_named_tensors *bad = l2_named_new();
    l2_tensor *f = l2_scalar(3, L2_FLOAT64);
    l2_named_add(bad, "last_epoch", f); /* should be int64 */
    int64_t le_before = 0;
    {
        l2_named_tensors *cur = l2_lr_scheduler_state(s);
        le_before = (int64_t)*(const int64_t *)l2_data_ptr(l2_named_get(cur, "last_epoch"));
        l2_named_free(cur);
    }
    ok(l2_lr_scheduler_load_state(s, bad) == L2_ERR_ARG && strstr(l2_last_error(), "last_epoch"),
       "load_state: a float64 last_epoch is refused, naming it");
    ok(l2_named_add(bad, "last_epoch", f) == L2_ERR_ARG, "named_add: duplicate name refused");
    ok(l2_named_add(bad, "", f) == L2_ERR_ARG, "named_add: empty name refused");
    ok(l2_named_add(NULL, "x", f) == L2_ERR_NULL && l2_named_add(bad, "x", NULL) == L2_ERR_NULL,
       "named_add: NULL refused");
    l2_named_tensors *cur = l2_lr_scheduler_state(s);
    ok(*(const int64_t *)l2_data_ptr(l2_named_get(cur, "last_epoch")) == le_before,
       "a refused load_state changes nothing");
    l2_named_free(cur);
    l2_tensor_release(f);
    l2_named_free(bad);
    l2_named_free(d);
    l2_lr_scheduler_free(s);
    l2_optimizer_free(o);
    l2_tensor_release(p);
}

static void test_plateau_and_others(void)
{
    l2_tensor *p = param();
    l2_optimizer *o = l2_sgd(1, &p, l2_sgd_defaults(1.0));
    l2_lr_scheduler *s = l2_reduce_lr_on_plateau(o, false, 0.5, 2, 0.0, true, 1, 0.2, 1e-8);
    /* metric improves once, then stalls: after patience 2, three bad epochs halve the lr */
    double m[] = {5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
    double want[] = {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25};
    bool good = s != NULL;
    for (int k = 0; k < 11 && good; k++) {
        good = l2_lr_scheduler_step_metric(s, m[k]) == L2_OK && l2_optimizer_get_lr(o) == want[k];
        if (!good)
            tap_diag("step %d: %g, want %g", k, l2_optimizer_get_lr(o), want[k]);
    }
    for (int k = 0; k < 10 && good; k++)
        good = l2_lr_scheduler_step_metric(s, 4) == L2_OK;
    ok(good && l2_optimizer_get_lr(o) == 0.2, "ReduceLROnPlateau: patience, cooldown, min_lr");
    ok(l2_lr_scheduler_step(s) == L2_ERR_ARG, "ReduceLROnPlateau refuses step() without metric");
    l2_lr_scheduler_free(s);
    l2_optimizer_free(o);

    o = l2_sgd(1, &p, l2_sgd_defaults(1.0));
    s = l2_one_cycle_lr(o, 1.0, 10, 0.3, true, 25, 1e4, false);
    ok(s && near(l2_optimizer_get_lr(o), 1.0 / 25), "OneCycleLR starts at max_lr / div_factor");
    good = s != NULL;
    for (int k = 0; k < 9 && good; k++)
        good = l2_lr_scheduler_step(s) == L2_OK;
    ok(good && near(l2_optimizer_get_lr(o), 1.0 / 25 / 1e4),
       "OneCycleLR reaches initial_lr / final_div_factor at step total_steps - 1");
    ok(l2_lr_scheduler_step(s) == L2_OK, "OneCycleLR: step total_steps is allowed (as torch)");
    double lr = l2_optimizer_get_lr(o);
    ok(l2_lr_scheduler_step(s) == L2_ERR_ARG && l2_optimizer_get_lr(o) == lr,
       "OneCycleLR: a step beyond total_steps fails, lr unchanged");
    ok(l2_lr_scheduler_step_metric(s, 1) == L2_ERR_ARG, "step_metric refused for OneCycleLR");
    l2_lr_scheduler_free(s);
    l2_optimizer_free(o);

    o = l2_sgd(1, &p, l2_sgd_defaults(1.0));
    s = l2_cosine_annealing_warm_restarts(o, 3, 2, 0.0);
    good = s != NULL;
    /* restarts at epochs 3 and 9 (periods 3, 6) */
    for (int e = 1; e <= 10 && good; e++) {
        l2_lr_scheduler_step(s);
        if (e == 3 || e == 9)
            good = l2_optimizer_get_lr(o) == 1.0;
    }
    ok(good, "CosineAnnealingWarmRestarts restarts at 3 and 9 (T_mult 2)");
    ok(l2_lr_scheduler_step_epoch(s, 4.5) == L2_OK &&
           near(l2_optimizer_get_lr(o), (1 + cos(M_PI * 1.5 / 6)) / 2),
       "CosineAnnealingWarmRestarts step(4.5)");
    ok(l2_lr_scheduler_step_epoch(s, -1) == L2_ERR_ARG, "step(epoch): negative epoch refused");
    l2_lr_scheduler_free(s);
    l2_optimizer_free(o);
    l2_tensor_release(p);
}

static void test_sched_errors(void)
{
    l2_tensor *p = param();
    l2_optimizer *o = l2_sgd(1, &p, l2_sgd_defaults(0.1)), *o2 = l2_sgd(1, &p, l2_sgd_defaults(1));
    ok(!l2_step_lr(NULL, 1, 0.1) && l2_last_status() == L2_ERR_NULL, "NULL optimizer");
    ok(!l2_linear_lr(o, 1.5, 1, 5) && l2_last_status() == L2_ERR_ARG, "LinearLR start 1.5");
    ok(!l2_linear_lr(o, 0.5, -0.1, 5) && l2_last_status() == L2_ERR_ARG, "LinearLR end -0.1");
    ok(!l2_cosine_annealing_warm_restarts(o, 0, 1, 0) && l2_last_status() == L2_ERR_ARG,
       "WarmRestarts T_0 0");
    ok(!l2_cosine_annealing_warm_restarts(o, 2, 0, 0) && l2_last_status() == L2_ERR_ARG,
       "WarmRestarts T_mult 0");
    ok(!l2_one_cycle_lr(o, 0.1, 0, 0.3, true, 25, 1e4, false) && l2_last_status() == L2_ERR_ARG,
       "OneCycleLR total_steps 0");
    ok(!l2_one_cycle_lr(o, 0.1, 10, 1.5, true, 25, 1e4, false), "OneCycleLR pct_start 1.5");
    ok(!l2_one_cycle_lr(o, 0.1, 10, 0.1, true, 25, 1e4, false) && l2_last_status() == L2_ERR_ARG,
       "OneCycleLR with an empty first phase (torch's ZeroDivisionError)");
    ok(!l2_reduce_lr_on_plateau(o, false, 1.0, 1, 0, false, 0, 0, 0), "plateau factor 1");
    ok(!l2_multistep_lr(o, 2, NULL, 0.1) && l2_last_status() == L2_ERR_NULL,
       "MultiStepLR NULL milestones");
    ok(l2_optimizer_get_lr(o) == 0.1, "failed constructions leave the lr");

    l2_lr_scheduler *s = l2_linear_lr(o, 0.0, 1.0, 5); /* torch: ZeroDivisionError at step 1 */
    ok(s && l2_optimizer_get_lr(o) == 0, "LinearLR start 0 constructs (lr 0)");
    ok(l2_lr_scheduler_step(s) == L2_ERR_ARG && l2_optimizer_get_lr(o) == 0,
       "LinearLR start 0: the first step fails as torch's, lr unchanged");
    l2_lr_scheduler *c = l2_cosine_annealing_lr(o2, 5, 0);
    ok(!l2_sequential_lr(o, 2, (l2_lr_scheduler *[]){s, c}, (int64_t[]){3}) &&
           l2_last_status() == L2_ERR_ARG,
       "SequentialLR: a scheduler of another optimizer");
    ok(!l2_sequential_lr(o, 2, (l2_lr_scheduler *[]){s, s}, (int64_t[]){3}),
       "SequentialLR: a scheduler listed twice");
    ok(!l2_sequential_lr(o, 0, (l2_lr_scheduler *[]){s}, NULL), "SequentialLR: n 0");
    ok(!l2_sequential_lr(o, 2, (l2_lr_scheduler *[]){s, NULL}, (int64_t[]){3}) &&
           l2_last_status() == L2_ERR_NULL,
       "SequentialLR: NULL scheduler");
    ok(l2_lr_scheduler_step(NULL) == L2_ERR_NULL && l2_lr_scheduler_step_epoch(NULL, 1) ==
           L2_ERR_NULL && l2_lr_scheduler_step_metric(NULL, 1) == L2_ERR_NULL,
       "steps on NULL");
    ok(isnan(l2_lr_scheduler_get_last_lr(NULL)) && !l2_lr_scheduler_state(NULL) &&
           l2_lr_scheduler_load_state(NULL, NULL) == L2_ERR_NULL,
       "get_last_lr / state / load_state on NULL");
    ok(l2_lr_scheduler_step_epoch(c, 1.5) == L2_ERR_ARG, "closed form: fractional epoch refused");
    l2_lr_scheduler_free(NULL);
    l2_lr_scheduler_free(s);
    l2_lr_scheduler_free(c);
    l2_optimizer_free(o);
    l2_optimizer_free(o2);
    l2_tensor_release(p);
}

/* ---- clipping ----------------------------------------------------------------------------- */

static l2_tensor *with_grad(const double *g, int64_t n, l2_dtype dt)
{
    l2_tensor *p = l2_zeros(1, &n, dt);
    l2_set_requires_grad(p, true);
    l2_tensor *gt = l2_from_data(g, 1, &n, L2_FLOAT64), *gd = l2_to_dtype(gt, dt);
    l2_backward(p, gd, false);
    l2_tensor_release(gt);
    l2_tensor_release(gd);
    return p;
}

static void test_clip(void)
{
    double a[3] = {3, -4, 0}, b[2] = {12, 0};
    l2_tensor *ps[3] = {with_grad(a, 3, L2_FLOAT64), param(), with_grad(b, 2, L2_FLOAT64)};
    double total = -1;
    /* norms 5 and 12 -> total 13; coef 6.5 / (13 + 1e-6) */
    ok(l2_clip_grad_norm_(3, ps, 6.5, 2, false, &total) == L2_OK && total == 13,
       "clip_grad_norm_: total 2-norm 13 (the parameter without grad skipped)");
    double coef = 6.5 / (13 + 1e-6);
    const double *g0 = l2_data_ptr(l2_grad(ps[0])), *g2 = l2_data_ptr(l2_grad(ps[2]));
    ok(fabs(g0[0] - 3 * coef) < 1e-15 && fabs(g0[1] + 4 * coef) < 1e-15 &&
           fabs(g2[0] - 12 * coef) < 1e-14,
       "clip_grad_norm_ scales by max_norm / (total + 1e-6)");
    ok(l2_clip_grad_norm_(3, ps, 100, INFINITY, false, &total) == L2_OK &&
           fabs(total - 12 * coef) < 1e-14 && g2[0] == 12 * coef,
       "inf norm: the max |g|; no change when below max_norm");
    ok(l2_clip_grad_norm_(3, ps, 1e9, 1, false, &total) == L2_OK &&
           fabs(total - 19 * coef) < 1e-13,
       "1-norm");
    ok(l2_clip_grad_norm_(3, ps, 1e9, 0, false, &total) == L2_OK && total == 2, "0-norm counts");
    ok(l2_clip_grad_value_(3, ps, 1.0) == L2_OK && g0[0] == 1 && g0[1] == -1 && g0[2] == 0 &&
           g2[0] == 1,
       "clip_grad_value_ clamps");

    /* non-finite with error_if_nonfinite: error, nothing changed */
    double c[2] = {1, INFINITY};
    l2_tensor *q[2] = {with_grad(c, 2, L2_FLOAT32), with_grad(a, 3, L2_FLOAT64)};
    ok(l2_clip_grad_norm_(2, q, 1, 2, true, &total) == L2_ERR_ARG &&
           ((const double *)l2_data_ptr(l2_grad(q[1])))[0] == 3,
       "error_if_nonfinite: an error, nothing changed");
    ok(l2_clip_grad_norm_(2, q, 1, 2, false, &total) == L2_OK && isinf(total) &&
           ((const double *)l2_data_ptr(l2_grad(q[1])))[0] == 0,
       "without it: the grads are scaled by 1/inf");

    /* a non-contiguous (transposed) grad */
    int64_t sh[2] = {2, 3};
    double m[6] = {1, 2, 3, 4, 5, 6};
    l2_tensor *pm = l2_zeros(2, (int64_t[]){3, 2}, L2_FLOAT64);
    l2_set_requires_grad(pm, true);
    l2_tensor *gm = l2_from_data(m, 2, sh, L2_FLOAT64), *gt = l2_transpose(gm, 0, 1);
    l2_backward(pm, gt, false);
    l2_tensor *g = l2_grad(pm);
    bool strided = !l2_is_contiguous(g);
    ok(l2_clip_grad_norm_(1, &pm, 1, 2, false, &total) == L2_OK && near(total, sqrt(91)),
       "a %s grad: total", strided ? "non-contiguous" : "contiguous");
    double v = 0;
    l2_item(l2_sum(l2_mul(g, g)), &v); /* the temporaries belong to main's scope */
    ok(near(sqrt(v), sqrt(91) * (1 / (sqrt(91) + 1e-6))), "its elements are all scaled");

    /* errors */
    ok(l2_clip_grad_norm_(-1, ps, 1, 2, false, NULL) == L2_ERR_ARG, "negative n");
    ok(l2_clip_grad_norm_(2, NULL, 1, 2, false, NULL) == L2_ERR_NULL, "NULL params");
    ok(l2_clip_grad_norm_(2, (l2_tensor *[]){ps[0], NULL}, 1, 2, false, NULL) == L2_ERR_NULL,
       "a NULL parameter");
    ok(l2_clip_grad_norm_(1, ps, 1, NAN, false, NULL) == L2_ERR_ARG, "NaN norm_type");
    ok(l2_clip_grad_norm_(0, NULL, 1, 2, false, &total) == L2_OK && total == 0, "n 0: total 0");
    ok(l2_clip_grad_value_(-1, ps, 1) == L2_ERR_ARG && l2_clip_grad_value_(1, NULL, 1) ==
           L2_ERR_NULL,
       "clip_grad_value_ errors");
    double e0 = 0;
    l2_tensor *pe = with_grad(&e0, 0, L2_FLOAT32);
    ok(l2_clip_grad_norm_(1, &pe, 1, INFINITY, false, NULL) == L2_ERR_ARG,
       "inf norm of an empty grad refused (torch's max() raises)");
    ok(l2_clip_grad_norm_(1, &pe, 1, 2, false, &total) == L2_OK && total == 0,
       "2-norm of an empty grad is 0");

    l2_tensor_release(pe);
    l2_tensor_release(gm);
    l2_tensor_release(gt);
    l2_tensor_release(pm);
    for (int i = 0; i < 3; i++)
        l2_tensor_release(ps[i]);
    l2_tensor_release(q[0]);
    l2_tensor_release(q[1]);
}

/* Big contiguous grads (the chunked, threaded path: 2^16 elements and more) against a plain
 * float64 sum, and the same total at 1 and 2 threads. */
static void test_clip_big(void)
{
    const int64_t n32 = 600011, n64 = 300007; /* above the parallel grain (2^18) */
    int threads0 = l2_get_num_threads();
    double *v = malloc(sizeof *v * (size_t)n32);
    if (!v) {
        ok(false, "clip_grad_norm_ big grads: out of memory");
        return;
    }
    for (int64_t i = 0; i < n32; i++)
        v[i] = sin(0.37 * (double)i) * (1 + (double)(i % 7));
    double res[2][2];
    for (int t = 0; t < 2; t++) {
        l2_set_num_threads(t + 1);
        l2_tensor *ps[2] = {with_grad(v, n32, L2_FLOAT32), with_grad(v, n64, L2_FLOAT64)};
        for (int p = 0; p < 2; p++) {
            double norm_type = p ? 1 : 2, ref = 0, ref32 = 0, total = -1;
            const float *g32 = l2_data_ptr(l2_grad(ps[0]));
            const double *g64 = l2_data_ptr(l2_grad(ps[1]));
            for (int64_t i = 0; i < n32; i++)
                ref32 += p ? fabs((double)g32[i]) : (double)g32[i] * (double)g32[i];
            for (int64_t i = 0; i < n64; i++)
                ref += p ? fabs(g64[i]) : g64[i] * g64[i];
            double a32 = (double)(float)(p ? ref32 : sqrt(ref32)), a64 = p ? ref : sqrt(ref);
            ref = p ? a32 + a64 : sqrt(a32 * a32 + a64 * a64);
            float before = g32[n32 - 1];
            l2_status st = l2_clip_grad_norm_(2, ps, 1e-3, norm_type, false, &total);
            ok(st == L2_OK && fabs(total - ref) <= 1e-12 * ref,
               "clip_grad_norm_ %g-norm of grads of %lld + %lld elements at %d thread(s): "
               "%.17g (plain sum %.17g)",
               norm_type, (long long)n32, (long long)n64, t + 1, total, ref);
            double coef = 1e-3 / (total + 1e-6);
            ok(g32[n32 - 1] == before * (float)coef && g64[n64 - 1] != 0,
               "their last elements are scaled");
            res[t][p] = total;
        }
        l2_tensor_release(ps[0]);
        l2_tensor_release(ps[1]);
    }
    l2_set_num_threads(threads0);
    ok(res[0][0] == res[1][0] && res[0][1] == res[1][1],
       "the totals are the same at 1 and 2 threads (fixed chunks)");
    free(v);
}

int main(void)
{
    l2_scope_begin();
    test_closed_forms();
    test_warmup_cosine();
    test_plateau_and_others();
    test_sched_errors();
    test_clip();
    test_clip_big();
    l2_scope_end();
    return tap_done();
}
