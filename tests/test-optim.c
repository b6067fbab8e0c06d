/* test-optim.c: SGD, Adam and AdamW against an independent double-precision transcription of
 * torch.optim's update rules in this file, over several steps with changing gradients; learning-
 * rate schedules; errors. (The training oracle compares against torch itself.) */
#include <l2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define NP 3

/* Set p.grad = g through backward on the leaf itself (the seed lands in .grad). */
static void set_grad(l2_tensor *p, const double *g)
{
    l2_set_grad_none(p);
    l2_tensor *gt = l2_from_data(g, L2_SHAPE(NP), L2_FLOAT64);
    l2_backward(p, gt, false);
    l2_tensor_release(gt);
}

static double grad_at(int step, int k)
{
    return sin(1.3 * step + 0.7 * k) * (k + 1);
}

typedef struct {
    int kind; /* 0 sgd, 1 adam, 2 adamw */
    l2_sgd_options s;
    l2_adam_options a;
    const char *name;
} cfg;

static void run(const cfg *c)
{
    double ref[NP] = {0.5, -1.5, 2.0}, b1[NP] = {0}, b2[NP] = {0}, mx[NP] = {0};
    l2_tensor *p = l2_from_data(ref, L2_SHAPE(NP), L2_FLOAT64);
    l2_set_requires_grad(p, true);
    l2_optimizer *o = c->kind == 0   ? l2_sgd(1, &p, c->s)
                      : c->kind == 1 ? l2_adam(1, &p, c->a)
                                     : l2_adamw(1, &p, c->a);
    double worst = 0;
    for (int t = 1; t <= 5; t++) {
        double g[NP];
        for (int k = 0; k < NP; k++)
            g[k] = grad_at(t, k);
        set_grad(p, g);
        l2_optimizer_step(o);
        for (int k = 0; k < NP; k++) {
            double d = g[k];
            if (c->kind == 0) {
                if (c->s.maximize)
                    d = -d;
                d += c->s.weight_decay * ref[k];
                if (c->s.momentum != 0) {
                    b1[k] = t == 1 ? d : c->s.momentum * b1[k] + (1 - c->s.dampening) * d;
                    d = c->s.nesterov ? d + c->s.momentum * b1[k] : b1[k];
                }
                ref[k] -= c->s.lr * d;
            } else {
                if (c->kind == 2)
                    ref[k] *= 1 - c->a.lr * c->a.weight_decay;
                else
                    d += c->a.weight_decay * ref[k];
                b1[k] = c->a.beta1 * b1[k] + (1 - c->a.beta1) * d;
                b2[k] = c->a.beta2 * b2[k] + (1 - c->a.beta2) * d * d;
                mx[k] = fmax(mx[k], b2[k]);
                double v = c->a.amsgrad ? mx[k] : b2[k];
                double mhat = b1[k] / (1 - pow(c->a.beta1, t));
                double vhat = sqrt(v) / sqrt(1 - pow(c->a.beta2, t));
                ref[k] -= c->a.lr * mhat / (vhat + c->a.eps);
            }
            double got;
            l2_get(p, (const int64_t[]){k}, &got);
            worst = fmax(worst, fabs(got - ref[k]));
        }
    }
    ok(o && worst < 1e-12, "%s matches the reference over 5 steps (worst %g)", c->name, worst);
    l2_optimizer_free(o);
    l2_tensor_release(p);
}

/* Large parameters (threads area): sizes at the optimizer grain - 1 (one thread), at it (the
 * threaded path) and an odd size well above it (uneven ranges, a vector tail), in float32 and
 * float64, at 1, 2 and 3 threads, over 3 steps. The reference is this file's transcription of
 * torch's single-tensor update, one in-place op per statement in the parameter's dtype (as torch
 * rounds), so the result must be equal element for element. */
#define BIG_REF(T, SQRT)                                                                     \
    static void ref_##T(const cfg *c, int t, T *p, const T *g, T *b1, T *b2, T *mx,          \
                        int64_t n)                                                           \
    {                                                                                        \
        for (int64_t k = 0; k < n; k++) {                                                    \
            T d = c->kind == 0 ? (c->s.maximize ? -g[k] : g[k])                              \
                               : (c->a.maximize ? -g[k] : g[k]);                             \
            if (c->kind == 0) {                                                              \
                if (c->s.weight_decay != 0)                                                  \
                    d = d + (T)c->s.weight_decay * p[k];                                     \
                if (c->s.momentum != 0) {                                                    \
                    if (t == 1)                                                              \
                        b1[k] = d;                                                           \
                    else                                                                     \
                        b1[k] = b1[k] * (T)c->s.momentum + (T)(1 - c->s.dampening) * d;      \
                    d = c->s.nesterov ? d + (T)c->s.momentum * b1[k] : b1[k];                \
                }                                                                            \
                p[k] = p[k] + (T)(-c->s.lr) * d;                                             \
                continue;                                                                    \
            }                                                                                \
            if (c->kind == 2)                                                                \
                p[k] = p[k] * (T)(1 - c->a.lr * c->a.weight_decay);                          \
            else if (c->a.weight_decay != 0)                                                 \
                d = d + (T)c->a.weight_decay * p[k];                                         \
            b1[k] = b1[k] * (T)c->a.beta1 + (T)(1 - c->a.beta1) * d;                         \
            b2[k] = b2[k] * (T)c->a.beta2 + (T)(1 - c->a.beta2) * d * d;                     \
            T v = b2[k];                                                                     \
            if (c->a.amsgrad)                                                                \
                v = mx[k] = (mx[k] < v ? v : mx[k]);                                         \
            double bc1 = 1 - pow(c->a.beta1, t), bc2 = 1 - pow(c->a.beta2, t);              \
            T denom = SQRT(v) / (T)sqrt(bc2) + (T)c->a.eps;                                  \
            p[k] = p[k] + (T)(-(c->a.lr / bc1)) * (b1[k] / denom);                           \
        }                                                                                    \
    }
BIG_REF(float, sqrtf)
BIG_REF(double, sqrt)

static void run_big(const cfg *c, int64_t n, l2_dtype dt, int nt)
{
    l2_set_num_threads(nt);
    bool f32 = dt == L2_FLOAT32;
    size_t es = f32 ? sizeof(float) : sizeof(double);
    l2_manual_seed((uint64_t)(n + nt));
    l2_tensor *p = l2_randn(1, (const int64_t[]){n}, dt);
    l2_set_requires_grad(p, true);
    char *ref = calloc((size_t)n, 5 * es); /* p, g, b1, b2, mx */
    memcpy(ref, l2_data_ptr(p), (size_t)n * es);
    l2_optimizer *o = c->kind == 0   ? l2_sgd(1, &p, c->s)
                      : c->kind == 1 ? l2_adam(1, &p, c->a)
                                     : l2_adamw(1, &p, c->a);
    int64_t bad = 0, first = -1;
    for (int t = 1; t <= 3; t++) {
        l2_tensor *g = l2_randn(1, (const int64_t[]){n}, dt);
        memcpy(ref + (size_t)n * es, l2_data_ptr(g), (size_t)n * es);
        l2_set_grad_none(p);
        l2_backward(p, g, false);
        l2_tensor_release(g);
        l2_optimizer_step(o);
        char *r[5];
        for (int k = 0; k < 5; k++)
            r[k] = ref + (size_t)k * (size_t)n * es;
        if (f32)
            ref_float(c, t, (float *)r[0], (float *)r[1], (float *)r[2], (float *)r[3],
                      (float *)r[4], n);
        else
            ref_double(c, t, (double *)r[0], (double *)r[1], (double *)r[2], (double *)r[3],
                       (double *)r[4], n);
    }
    const char *got = l2_data_ptr(p);
    for (int64_t k = 0; k < n; k++) {
        double a = f32 ? ((const float *)got)[k] : ((const double *)got)[k];
        double w = f32 ? ((const float *)ref)[k] : ((const double *)ref)[k];
        if (!(a == w || (isnan(a) && isnan(w))) && bad++ == 0)
            first = k;
    }
    ok(o && bad == 0, "%s (%lld,) %s at %d thread%s: 3 steps equal to the reference", c->name,
       (long long)n, f32 ? "float32" : "float64", nt, nt > 1 ? "s" : "");
    if (bad)
        printf("#   %lld differ, first at %lld: got %.17g want %.17g\n", (long long)bad,
               (long long)first,
               f32 ? ((const float *)got)[first] : ((const double *)got)[first],
               f32 ? ((const float *)ref)[first] : ((const double *)ref)[first]);
    l2_optimizer_free(o);
    l2_tensor_release(p);
    free(ref);
}

int main(void)
{
    l2_adam_options ad = l2_adam_defaults(), aw = l2_adamw_defaults();
    is_near(ad.lr, 1e-3, 0, "adam default lr");
    is_near(aw.weight_decay, 1e-2, 0, "adamw default weight decay");
    cfg cases[] = {
        {.kind = 0, .s = {.lr = 0.1}, .name = "sgd plain"},
        {.kind = 0, .s = {.lr = 0.1, .momentum = 0.9}, .name = "sgd momentum"},
        {.kind = 0,
         .s = {.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01},
         .name = "sgd dampening + weight decay"},
        {.kind = 0, .s = {.lr = 0.05, .momentum = 0.8, .nesterov = true}, .name = "sgd nesterov"},
        {.kind = 0, .s = {.lr = 0.05, .maximize = true}, .name = "sgd maximize"},
        {.kind = 1, .a = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8}, .name = "adam"},
        {.kind = 1,
         .a = {.lr = 0.01, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.1},
         .name = "adam weight decay"},
        {.kind = 1,
         .a = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .amsgrad = true},
         .name = "adam amsgrad"},
        {.kind = 2,
         .a = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01},
         .name = "adamw"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run(&cases[i]);

    int64_t grain = l2_threshold("grain_optim");
    ok(grain > 8, "grain_optim threshold is %lld", (long long)grain);
    /* ... and for the AVX2 adam kernels (8 floats, 4 doubles a vector): shorter than one
     * vector, whole vectors, vectors and a tail. */
    const int64_t sizes[] = {grain - 1, grain, 3 * grain + 7, 3, 16, 8 * 5 + 5};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int si = 0; si < 6; si++)
            for (int nt = 1; nt <= 3; nt++) {
                run_big(&cases[i], sizes[si], L2_FLOAT32, nt);
                if (nt == 2)
                    run_big(&cases[i], sizes[si], L2_FLOAT64, nt);
            }
    l2_set_num_threads(1);

    l2_tensor *p = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
    ok(!l2_sgd(1, &p, l2_sgd_defaults(0.1)) && l2_last_status() == L2_ERR_ARG,
       "parameter must require grad: %s", l2_last_error());
    l2_set_requires_grad(p, true);
    ok(!l2_sgd(1, &p, l2_sgd_defaults(-1)) && l2_last_status() == L2_ERR_ARG, "negative lr");
    l2_sgd_options nes = {.lr = 0.1, .nesterov = true};
    ok(!l2_sgd(1, &p, nes) && l2_last_status() == L2_ERR_ARG, "nesterov without momentum");
    l2_adam_options bad = l2_adam_defaults();
    bad.beta2 = 1.0;
    ok(!l2_adam(1, &p, bad) && l2_last_status() == L2_ERR_ARG, "beta2 = 1 refused");
    l2_optimizer *o = l2_adam(1, &p, l2_adam_defaults());
    ok(l2_optimizer_step(o) == L2_OK, "step without grads skips parameters");
    double v;
    l2_get(p, (const int64_t[]){0}, &v);
    is_near(v, 0, 0, "no grad, no change");
    l2_optimizer_set_lr(o, 0.5);
    is_near(l2_optimizer_get_lr(o), 0.5, 0, "set_lr");
    l2_tensor *g = l2_ones(L2_SHAPE(2), L2_FLOAT32);
    l2_backward(p, g, false);
    ok(l2_grad(p) != NULL, "grad set");
    l2_optimizer_zero_grad(o, true);
    ok(l2_grad(p) == NULL, "zero_grad(set_to_none)");
    l2_optimizer_free(o);
    l2_optimizer_free(NULL);
    l2_tensor_release(g);
    l2_tensor_release(p);

    is_near(l2_lr_step(0.1, 7, 3, 0.5), 0.1 * 0.25, 1e-15, "StepLR after two decays");
    is_near(l2_lr_cosine(0.1, 0, 10, 0.001), 0.1, 1e-15, "cosine at 0");
    is_near(l2_lr_cosine(0.1, 10, 10, 0.001), 0.001, 1e-15, "cosine at t_max");
    is_near(l2_lr_cosine(0.1, 5, 10, 0.0), 0.05, 1e-15, "cosine halfway");
    ok(isnan(l2_lr_step(0.1, 1, 0, 0.5)) && l2_last_status() == L2_ERR_ARG, "step_size 0");
    return tap_done();
}
