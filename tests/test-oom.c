/* test-oom.c: the out-of-memory sweep over a whole training step (forward, backward, Adam step,
 * safetensors save). For N = 0, 1, 2, ... allocation N and every later one fail; a failed call
 * must report an error with a message and leave the parameters, their grads, the optimizer state
 * and the saved file bitwise as they were before it, and the next step must succeed. A twin
 * model trained without failures checks that the retried steps land on the same bits. The sweep
 * stops at the first N that no longer fails; leaks are found by valgrind / LeakSanitizer. */
#include "tap.h"

#include <glob.h>
#include <l2.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define NP 4 /* W1 (6,4), b1 (6), W2 (3,6), b2 (3) */

typedef struct {
    l2_tensor *p[NP];
    l2_optimizer *opt;
} model;

static const char *const names[NP] = {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};

static l2_tensor *x_in, *y_in;
static char path[256], tmp_path[262];

/* Whether a temporary file of a save to path (path.*.tmp) is left. */
static bool tmp_left(void)
{
    glob_t g;
    bool left = glob(tmp_path, 0, NULL, &g) == 0 && g.gl_pathc > 0;
    globfree(&g);
    return left;
}

static void model_init(model *m)
{
    static const int64_t shapes[NP][2] = {{6, 4}, {6, 0}, {3, 6}, {3, 0}};
    l2_manual_seed(7);
    for (int i = 0; i < NP; i++) {
        int nd = shapes[i][1] ? 2 : 1;
        m->p[i] = l2_randn(nd, shapes[i], L2_FLOAT32);
        l2_mul_scalar_(m->p[i], 0.5);
        l2_set_requires_grad(m->p[i], true);
    }
    m->opt = l2_adam(NP, m->p, l2_adam_defaults());
}

static void model_free(model *m)
{
    l2_optimizer_free(m->opt);
    for (int i = 0; i < NP; i++)
        l2_tensor_release(m->p[i]);
}

/* ---- bitwise snapshots, made with the C allocator (not libl2's, whose failures are injected) */

#define NT (NP * 4) /* per parameter: data, grad, exp_avg, exp_avg_sq */

typedef struct {
    void *bytes[NT];
    size_t size[NT];
    bool present[NT];
    int64_t steps[NP];
    bool leaf[NP];
} snapshot;

static l2_tensor *tensor_k(const model *m, int k)
{
    const l2_tensor *p = m->p[k / 4];
    switch (k % 4) {
    case 0:
        return (l2_tensor *)p;
    case 1:
        return l2_grad(p);
    case 2:
        return l2_optimizer_state(m->opt, k / 4, "exp_avg");
    default:
        return l2_optimizer_state(m->opt, k / 4, "exp_avg_sq");
    }
}

static void snap_take(snapshot *s, const model *m)
{
    for (int k = 0; k < NT; k++) {
        l2_tensor *t = tensor_k(m, k);
        s->present[k] = t != NULL;
        s->size[k] = t ? (size_t)l2_numel(t) * l2_dtype_size(l2_dtype_of(t)) : 0;
        s->bytes[k] = malloc(s->size[k] ? s->size[k] : 1);
        if (t)
            memcpy(s->bytes[k], l2_data_ptr(t), s->size[k]);
    }
    for (int i = 0; i < NP; i++) {
        s->steps[i] = l2_optimizer_step_count(m->opt, i);
        s->leaf[i] = l2_is_leaf(m->p[i]) && l2_requires_grad(m->p[i]);
    }
}

static void snap_free(snapshot *s)
{
    for (int k = 0; k < NT; k++)
        free(s->bytes[k]);
}

/* 1 if the model equals snapshot s bitwise; else 0 and a diagnostic naming the first difference. */
static int snap_equal(const snapshot *s, const model *m)
{
    static const char *const what[4] = {"data", "grad", "exp_avg", "exp_avg_sq"};
    for (int k = 0; k < NT; k++) {
        l2_tensor *t = tensor_k(m, k);
        size_t sz = t ? (size_t)l2_numel(t) * l2_dtype_size(l2_dtype_of(t)) : 0;
        if ((t != NULL) != s->present[k] || sz != s->size[k] ||
            (t && memcmp(s->bytes[k], l2_data_ptr(t), sz) != 0)) {
            tap_diag("%s of %s differs (present %d, was %d)", what[k % 4], names[k / 4], t != NULL,
                     s->present[k]);
            return 0;
        }
    }
    for (int i = 0; i < NP; i++) {
        if (s->steps[i] != l2_optimizer_step_count(m->opt, i) ||
            s->leaf[i] != (l2_is_leaf(m->p[i]) && l2_requires_grad(m->p[i]))) {
            tap_diag("step count or leaf flag of %s differs", names[i]);
            return 0;
        }
    }
    return 1;
}

/* The whole file as a malloc'd buffer (NULL if it cannot be read). */
static char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

/* ---- the step -------------------------------------------------------------------------------- */

enum { AT_NONE, AT_FORWARD, AT_BACKWARD, AT_STEP, AT_SAVE, AT_COUNT };
static const char *const at_name[AT_COUNT] = {"none", "forward", "backward", "step", "save"};

typedef struct {
    int failed_at;    /* AT_NONE when the whole step succeeded */
    l2_status status; /* of the failed call */
    int restored;     /* the failed call left everything as it was */
    int message;      /* the failed call set a non-empty message */
} step_result;

/* One training step: zero_grad, forward, backward, Adam step, save. Each mutating call is
 * preceded by a snapshot (made with malloc, so it does not count as an allocation) against
 * which a failure of the call is checked. */
static step_result train_step(model *m, bool set_to_none)
{
    step_result r = {AT_NONE, L2_OK, 1, 1};
    snapshot s;
    l2_optimizer_zero_grad(m->opt, set_to_none);

    snap_take(&s, m);
    l2_tensor *h = l2_linear(x_in, m->p[0], m->p[1]);
    l2_tensor *a = h ? l2_relu(h) : NULL;
    l2_tensor *o = a ? l2_linear(a, m->p[2], m->p[3]) : NULL;
    l2_tensor *loss = o ? l2_cross_entropy(o, y_in, L2_REDUCTION_MEAN, -100, 0.0) : NULL;
    l2_tensor_release(h);
    l2_tensor_release(a);
    l2_tensor_release(o);
    if (!loss) {
        r.failed_at = AT_FORWARD;
        goto failed;
    }

    l2_status st = l2_backward(loss, NULL, false);
    l2_tensor_release(loss);
    if (st != L2_OK) {
        r.failed_at = AT_BACKWARD;
        goto failed;
    }

    snap_free(&s);
    snap_take(&s, m);
    if (l2_optimizer_step(m->opt) != L2_OK) {
        r.failed_at = AT_STEP;
        goto failed;
    }

    snap_free(&s);
    snap_take(&s, m);
    size_t before_len = 0;
    char *before = slurp(path, &before_len);
    if (l2_save_safetensors(path, NP, names, m->p) != L2_OK) {
        r.failed_at = AT_SAVE;
        r.status = l2_last_status();
        r.message = l2_last_error()[0] != '\0';
        l2_debug_fail_alloc_after(-1);
        size_t after_len = 0;
        char *after = slurp(path, &after_len);
        r.restored = snap_equal(&s, m) && before && after && before_len == after_len &&
                     memcmp(before, after, before_len) == 0 && !tmp_left();
        if (!r.restored)
            tap_diag("the failed save changed the file or left %s", tmp_path);
        free(after);
    }
    free(before);
    snap_free(&s);
    return r;

failed:
    r.status = l2_last_status();
    r.message = l2_last_error()[0] != '\0';
    l2_debug_fail_alloc_after(-1);
    r.restored = snap_equal(&s, m);
    snap_free(&s);
    return r;
}

/* 1 if the two models are bitwise equal (parameters, grads, state, step counts). */
static int models_equal(const model *a, const model *b)
{
    snapshot s;
    snap_take(&s, b);
    int eq = snap_equal(&s, a);
    snap_free(&s);
    return eq;
}

int main(void)
{
    snprintf(path, sizeof path, "test-oom-%ld.safetensors", (long)getpid());
    snprintf(tmp_path, sizeof tmp_path, "%s.*.tmp", path);
    x_in = l2_randn(2, (const int64_t[]){8, 4}, L2_FLOAT32);
    int64_t ys[8] = {0, 1, 2, 0, 1, 2, 0, 1};
    y_in = l2_from_data(ys, 1, (const int64_t[]){8}, L2_INT64);

    model m, twin;
    model_init(&m);
    model_init(&twin);
    ok(m.opt && twin.opt && models_equal(&m, &twin), "two identical models");

    /* One good step each, so that Adam's state and the file exist. */
    step_result r0 = train_step(&m, false), r1 = train_step(&twin, false);
    ok(r0.failed_at == AT_NONE && r1.failed_at == AT_NONE && models_equal(&m, &twin),
       "a first good step");

    /* Each N is tried with both kinds of zero_grad: grads set to none (backward makes fresh
     * .grad tensors) and zeroed (backward accumulates in place); they allocate differently. */
    int64_t n, swept = 0;
    int counts[AT_COUNT] = {0}, bad_status = 0, no_message = 0, not_restored = 0;
    int retry_failed = 0, diverged = 0;
    bool done[2] = {false, false};
    for (n = 0; n < 100000 && !(done[0] && done[1]); n++) {
        for (int mode = 0; mode < 2; mode++) {
            if (done[mode])
                continue;
            bool none = mode == 1;
            l2_debug_fail_alloc_after(n);
            step_result r = train_step(&m, none);
            l2_debug_fail_alloc_after(-1);
            counts[r.failed_at]++;
            if (r.failed_at == AT_NONE) {
                /* Past the last allocation of this kind of step: keep the twin in step. */
                train_step(&twin, none);
                done[mode] = true;
                continue;
            }
            swept++;
            bad_status += r.status != L2_ERR_NOMEM;
            no_message += !r.message;
            if (!r.restored) {
                not_restored++;
                tap_diag("N = %lld: the failed %s changed the model", (long long)n,
                         at_name[r.failed_at]);
            }
            /* The twin does what the failed step did before failing: a step that got past the
             * optimizer moved the parameters; any other only ran zero_grad. */
            if (r.failed_at == AT_SAVE)
                train_step(&twin, none);
            else
                l2_optimizer_zero_grad(twin.opt, none);
            /* The retry succeeds and lands where the twin, which never failed, lands. */
            step_result again = train_step(&m, none);
            train_step(&twin, none);
            retry_failed += again.failed_at != AT_NONE;
            if (!models_equal(&m, &twin)) {
                if (!diverged)
                    tap_diag("N = %lld: the retried step differs from the twin's", (long long)n);
                diverged++;
            }
        }
    }
    tap_diag("%lld allocation sites swept (both kinds of step): %d in forward, %d in backward, "
             "%d in the optimizer step, %d in save",
             (long long)swept, counts[AT_FORWARD], counts[AT_BACKWARD], counts[AT_STEP],
             counts[AT_SAVE]);
    ok(done[0] && done[1], "the sweep ended with steps that no longer fail (N = %lld)",
       (long long)n);
    ok(counts[AT_BACKWARD] > 0 && counts[AT_STEP] > 0 && counts[AT_SAVE] > 0,
       "failures were injected into backward (%d), the step (%d) and save (%d)",
       counts[AT_BACKWARD], counts[AT_STEP], counts[AT_SAVE]);
    ok(bad_status == 0, "every failure reports L2_ERR_NOMEM (%d did not)", bad_status);
    ok(no_message == 0, "every failure sets a message (%d did not)", no_message);
    ok(not_restored == 0,
       "every failed call left parameters, grads, state and file bitwise "
       "unchanged (%d did not)",
       not_restored);
    ok(retry_failed == 0, "the step after each failure succeeds (%d did not)", retry_failed);
    ok(diverged == 0,
       "after each failure and retry the model equals its failure-free twin bitwise "
       "(%d differed)",
       diverged);

    /* The file holds the last saved parameters. */
    l2_named_tensors *d = l2_load_safetensors(path);
    int same = d && l2_named_count(d) == NP;
    for (int i = 0; same && i < NP; i++) {
        l2_tensor *t = l2_named_get(d, names[i]);
        same = t && l2_numel(t) == l2_numel(m.p[i]) &&
               memcmp(l2_data_ptr(t), l2_data_ptr(m.p[i]), (size_t)l2_numel(t) * 4) == 0;
    }
    ok(same, "the saved file holds the parameters");
    l2_named_free(d);
    ok(!tmp_left(), "no temporary file left behind");

    remove(path);
    model_free(&m);
    model_free(&twin);
    l2_tensor_release(x_in);
    l2_tensor_release(y_in);
    return tap_done();
}
