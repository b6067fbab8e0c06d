/* test-checkpoint.c (issue 16): model buffers, train/eval mode and zero_grad over a parameter
 * list, the optimizers' state dict, the generator state, safetensors metadata, and checkpoints:
 * resuming from a checkpoint taken at step k gives bitwise the parameters and buffers of
 * training straight through to step 2k (SGD with momentum, Adam; a model with BatchNorm whose
 * minibatches are drawn from the generator). Malformed or mismatched checkpoints change
 * nothing. */
#include <l2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#define is_intf(got, want, ...) ok((long long)(got) == (long long)(want), __VA_ARGS__)

typedef struct {
    l2_conv2d_layer conv;
    l2_batchnorm2d_layer bn;
    l2_linear_layer fc;
    l2_params *p;
} model;

static void model_init(model *m, uint64_t seed)
{
    l2_manual_seed(seed);
    l2_conv2d_layer_init(&m->conv, 1, 4, 3, 1, 1, 1, true, L2_FLOAT32);
    l2_batchnorm2d_layer_init(&m->bn, 4, L2_FLOAT32);
    l2_linear_layer_init(&m->fc, 4 * 6 * 6, 3, true, L2_FLOAT32);
    m->p = l2_params_new();
    l2_conv2d_layer_params(&m->conv, m->p, "conv");
    l2_batchnorm2d_layer_params(&m->bn, m->p, "bn");
    l2_linear_layer_params(&m->fc, m->p, "fc");
}

static void model_free(model *m)
{
    l2_params_free(m->p);
    l2_conv2d_layer_free(&m->conv);
    l2_batchnorm2d_layer_free(&m->bn);
    l2_linear_layer_free(&m->fc);
}

static l2_tensor *forward(model *m, const l2_tensor *x)
{
    l2_tensor *h = l2_conv2d_layer_forward(&m->conv, x);
    h = l2_batchnorm2d_layer_forward(&m->bn, h, l2_params_training(m->p));
    h = l2_relu(h);
    h = l2_dropout(h, 0.25, l2_params_training(m->p));
    return l2_linear_layer_forward(&m->fc, l2_flatten(h, 1, -1));
}

/* One step on a minibatch of 8 of the 32 examples, drawn from the generator. */
/* The learning-rate schedule of a run, stepped after every optimizer step: warmup then cosine
 * (a SequentialLR) for Adam, StepLR for SGD. Its state travels in the checkpoint's extra slot. */
static l2_lr_scheduler *make_sched(l2_optimizer *o, bool adam)
{
    if (!adam)
        return l2_step_lr(o, 4, 0.5);
    l2_lr_scheduler *w = l2_linear_lr(o, 0.1, 1.0, 3), *c = l2_cosine_annealing_lr(o, 10, 0.0);
    return l2_sequential_lr(o, 2, (l2_lr_scheduler *[]){w, c}, (int64_t[]){3});
}

static int train_step(model *m, l2_optimizer *o, const l2_tensor *x, const l2_tensor *y)
{
    l2_scope_begin();
    l2_tensor *idx = l2_narrow(l2_randperm(32), 0, 0, 8);
    l2_tensor *loss = l2_cross_entropy(forward(m, l2_index_select(x, 0, idx)),
                                       l2_index_select(y, 0, idx), L2_REDUCTION_MEAN, -100, 0.0);
    int bad = !loss || l2_backward(loss, NULL, false) != L2_OK || l2_optimizer_step(o) != L2_OK;
    l2_params_zero_grad(m->p, true);
    l2_scope_end();
    return bad;
}

static l2_optimizer *make_opt(model *m, bool adam)
{
    if (adam) {
        l2_adam_options a = l2_adam_defaults();
        a.lr = 0.01;
        a.amsgrad = true;
        return l2_adam(l2_params_count(m->p), l2_params_tensors(m->p), a);
    }
    l2_sgd_options s = l2_sgd_defaults(0.05);
    s.momentum = 0.9;
    s.weight_decay = 1e-3;
    return l2_sgd(l2_params_count(m->p), l2_params_tensors(m->p), s);
}

/* Bitwise equality of every parameter and buffer. */
static bool same_state(const l2_params *a, const l2_params *b)
{
    int n = l2_params_state_count(a);
    if (n != l2_params_state_count(b))
        return false;
    for (int i = 0; i < n; i++) {
        const l2_tensor *s = l2_params_state_tensors(a)[i], *t = l2_params_state_tensors(b)[i];
        size_t bytes = (size_t)l2_numel(s) * (l2_dtype_of(s) == L2_INT64 ? 8 : 4);
        if (l2_numel(s) != l2_numel(t) || memcmp(l2_data_ptr(s), l2_data_ptr(t), bytes) != 0)
            return false;
    }
    return true;
}

static char path_a[256], path_b[256];

static void resume_case(bool adam, const l2_tensor *x, const l2_tensor *y)
{
    const char *name = adam ? "adam (amsgrad)" : "sgd (momentum, weight decay)";
    const int k = 6;
    int bad = 0;
    /* Straight through: 2k steps, with a checkpoint at step k. */
    model a;
    model_init(&a, 11);
    l2_optimizer *oa = make_opt(&a, adam);
    l2_lr_scheduler *sa = make_sched(oa, adam);
    for (int s = 0; s < k; s++)
        bad += train_step(&a, oa, x, y) + (l2_lr_scheduler_step(sa) != L2_OK);
    l2_named_tensors *extra = l2_lr_scheduler_state(sa);
    int n_extra = l2_named_count(extra);
    l2_named_set_metadata(extra, "sched.kind", adam ? "warmup+cosine" : "steplr");
    is_intf(l2_checkpoint_save(path_a, a.p, oa, true, extra), L2_OK, "%s: checkpoint at step %d",
           name, k);
    for (int s = k; s < 2 * k; s++)
        bad += train_step(&a, oa, x, y) + (l2_lr_scheduler_step(sa) != L2_OK);
    /* Resumed: another initialisation and seed, then the checkpoint, then k steps. */
    model b;
    model_init(&b, 99);
    l2_optimizer *ob = make_opt(&b, adam);
    l2_lr_scheduler *sb = make_sched(ob, adam);
    bad += train_step(&b, ob, x, y) + (l2_lr_scheduler_step(sb) != L2_OK); /* to be replaced */
    l2_manual_seed(12345);
    l2_named_tensors *got = NULL;
    is_intf(l2_checkpoint_load(path_a, b.p, ob, true, &got), L2_OK, "%s: load", name);
    ok(got && l2_named_count(got) == n_extra && n_extra > 0 &&
           l2_named_get(got, "last_epoch") && item(l2_named_get(got, "last_epoch")) == k &&
           l2_named_metadata(got, "sched.kind") &&
           strcmp(l2_named_metadata(got, "sched.kind"), adam ? "warmup+cosine" : "steplr") == 0,
       "%s: the scheduler's state (%d tensors) and the metadata come back", name, n_extra);
    is_intf(l2_lr_scheduler_load_state(sb, got), L2_OK, "%s: the scheduler's state loads", name);
    for (int s = k; s < 2 * k; s++)
        bad += train_step(&b, ob, x, y) + (l2_lr_scheduler_step(sb) != L2_OK);
    is_intf(bad, 0, "%s: every step succeeded", name);
    ok(same_state(a.p, b.p), "%s: resumed at step %d, bitwise equal parameters and buffers at "
       "step %d", name, k, 2 * k);
    ok(item(a.bn.num_batches_tracked) == 2 * k && item(b.bn.num_batches_tracked) == 2 * k,
       "%s: num_batches_tracked %g and %g", name, item(a.bn.num_batches_tracked),
       item(b.bn.num_batches_tracked));
    for (int i = 0; i < l2_params_count(a.p); i++)
        if (l2_optimizer_step_count(oa, i) != l2_optimizer_step_count(ob, i))
            bad++;
    is_intf(bad, 0, "%s: step counts equal", name);
    ok(l2_optimizer_get_lr(oa) == l2_optimizer_get_lr(ob) &&
           l2_lr_scheduler_get_last_lr(sa) == l2_lr_scheduler_get_last_lr(sb),
       "%s: the same learning rate at step %d (%.17g, %.17g)", name, 2 * k,
       l2_optimizer_get_lr(oa), l2_optimizer_get_lr(ob));
    /* Without the scheduler's state the schedule restarts and the continuation differs. */
    model f;
    model_init(&f, 99);
    l2_optimizer *of = make_opt(&f, adam);
    l2_lr_scheduler *sf = make_sched(of, adam);
    is_intf(l2_checkpoint_load(path_a, f.p, of, true, NULL), L2_OK, "%s: load without the "
           "scheduler", name);
    for (int s = k; s < 2 * k; s++)
        train_step(&f, of, x, y), l2_lr_scheduler_step(sf);
    ok(!same_state(a.p, f.p), "%s: resuming without the scheduler's state differs", name);
    l2_lr_scheduler_free(sf);
    l2_optimizer_free(of);
    model_free(&f);

    /* Without the generator state the continuation differs (the test can fail). */
    model c;
    model_init(&c, 99);
    l2_optimizer *oc = make_opt(&c, adam);
    l2_manual_seed(12345);
    is_intf(l2_checkpoint_load(path_a, c.p, oc, false, NULL), L2_OK, "%s: load without the "
           "generator", name);
    for (int s = k; s < 2 * k; s++)
        train_step(&c, oc, x, y);
    ok(!same_state(a.p, c.p), "%s: resuming without the generator state differs", name);
    /* Without the optimizer state it differs too. */
    model e;
    model_init(&e, 99);
    l2_optimizer *oe = make_opt(&e, adam);
    is_intf(l2_checkpoint_load(path_a, e.p, NULL, true, NULL), L2_OK, "%s: load without the "
           "optimizer", name);
    for (int s = k; s < 2 * k; s++)
        train_step(&e, oe, x, y);
    ok(!same_state(a.p, e.p), "%s: resuming without the optimizer state differs", name);

    l2_named_free(got);
    l2_named_free(extra);
    l2_lr_scheduler_free(sa);
    l2_lr_scheduler_free(sb);
    l2_optimizer *os[] = {oa, ob, oc, oe};
    model *ms[] = {&a, &b, &c, &e};
    for (int i = 0; i < 4; i++) {
        l2_optimizer_free(os[i]);
        model_free(ms[i]);
    }
}

/* A snapshot of everything a load could change: model state, optimizer state, generator. */
typedef struct {
    l2_named_tensors *m, *o;
    l2_tensor *g;
} snap;

static l2_tensor *clone(const l2_tensor *t) { return l2_clone(t); }

static snap take(const model *m, const l2_optimizer *o)
{
    snap s = {l2_named_new(), l2_named_new(), l2_get_rng_state()};
    l2_named_tensors *a = l2_params_state_dict(m->p), *b = l2_optimizer_state_dict(o);
    for (int i = 0; i < l2_named_count(a); i++) {
        l2_tensor *c = clone(l2_named_tensor(a, i));
        l2_named_add(s.m, l2_named_name(a, i), c);
        l2_tensor_release(c);
    }
    for (int i = 0; i < l2_named_count(b); i++) {
        l2_tensor *c = clone(l2_named_tensor(b, i));
        l2_named_add(s.o, l2_named_name(b, i), c);
        l2_tensor_release(c);
    }
    l2_named_free(a);
    l2_named_free(b);
    return s;
}

static bool same_named(const l2_named_tensors *a, const l2_named_tensors *b)
{
    if (l2_named_count(a) != l2_named_count(b))
        return false;
    for (int i = 0; i < l2_named_count(a); i++) {
        const l2_tensor *s = l2_named_tensor(a, i), *t = l2_named_tensor(b, i);
        if (strcmp(l2_named_name(a, i), l2_named_name(b, i)) != 0 || l2_numel(s) != l2_numel(t))
            return false;
        l2_tensor *sc = l2_contiguous(s), *tc = l2_contiguous(t);
        bool eq = maxdiff(sc, tc) == 0;
        l2_tensor_release(sc);
        l2_tensor_release(tc);
        if (!eq)
            return false;
    }
    return true;
}

static bool unchanged(snap s, const model *m, const l2_optimizer *o)
{
    snap t = take(m, o);
    bool eq = same_named(s.m, t.m) && same_named(s.o, t.o) && maxdiff(s.g, t.g) == 0;
    l2_named_free(t.m);
    l2_named_free(t.o);
    l2_tensor_release(t.g);
    return eq;
}

typedef l2_named_tensors *(*edit_fn)(l2_named_tensors *);

/* Write path_b from path_a's dictionary edited by edit (which returns e or a new dictionary),
 * then load it: it must fail with want and change nothing. */
static void bad_load(const char *what, l2_status want, model *m, l2_optimizer *o, edit_fn edit)
{
    l2_named_tensors *d = l2_load_safetensors(path_a);
    l2_named_tensors *e = l2_named_new();
    for (int i = 0; i < l2_named_count(d); i++)
        l2_named_add(e, l2_named_name(d, i), l2_named_tensor(d, i));
    for (int i = 0; i < l2_named_metadata_count(d); i++)
        l2_named_set_metadata(e, l2_named_metadata_key(d, i),
                              l2_named_metadata(d, l2_named_metadata_key(d, i)));
    l2_named_tensors *n = edit(e);
    l2_save_named(path_b, n);
    if (n != e)
        l2_named_free(n);
    snap s = take(m, o);
    l2_named_tensors *extra = (l2_named_tensors *)1;
    l2_status st = l2_checkpoint_load(path_b, m->p, o, true, &extra);
    ok(st == want && extra == NULL && unchanged(s, m, o), "bad checkpoint (%s): status %d (want "
       "%d), nothing changed: %s", what, (int)st, (int)want, l2_last_error());
    l2_named_free(s.m);
    l2_named_free(s.o);
    l2_tensor_release(s.g);
    l2_named_free(d);
    l2_named_free(e);
}

/* A copy of e without the entry called name, or with it replaced by t. */
static l2_named_tensors *replace(l2_named_tensors *e, const char *name, l2_tensor *t)
{
    l2_named_tensors *n = l2_named_new();
    for (int i = 0; i < l2_named_count(e); i++) {
        if (strcmp(l2_named_name(e, i), name) == 0) {
            if (t)
                l2_named_add(n, name, t);
        } else
            l2_named_add(n, l2_named_name(e, i), l2_named_tensor(e, i));
    }
    for (int i = 0; i < l2_named_metadata_count(e); i++)
        l2_named_set_metadata(n, l2_named_metadata_key(e, i),
                              l2_named_metadata(e, l2_named_metadata_key(e, i)));
    return n;
}

static l2_named_tensors *ed_drop_bn_var(l2_named_tensors *e) { return replace(e, "model.bn.running_var", NULL); }
static l2_named_tensors *ed_drop_moment(l2_named_tensors *e)
{
    return replace(e, "optimizer.state.0.momentum_buffer", NULL);
}
static l2_named_tensors *ed_bad_shape(l2_named_tensors *e)
{
    l2_tensor *t = l2_zeros(L2_SHAPE(5), L2_FLOAT32);
    l2_named_tensors *n = replace(e, "model.bn.running_mean", t);
    l2_tensor_release(t);
    return n;
}
static l2_named_tensors *ed_bad_dtype(l2_named_tensors *e)
{
    l2_tensor *t = l2_zeros(L2_SHAPE(4, 1, 3, 3), L2_FLOAT64);
    l2_named_tensors *n = replace(e, "optimizer.state.0.momentum_buffer", t);
    l2_tensor_release(t);
    return n;
}
static l2_named_tensors *ed_extra_name(l2_named_tensors *e)
{
    l2_tensor *t = l2_zeros(L2_SHAPE(1), L2_FLOAT32);
    l2_named_add(e, "model.fc2.weight", t);
    l2_tensor_release(t);
    return e;
}
static l2_named_tensors *ed_no_format(l2_named_tensors *e)
{
    l2_named_set_metadata(e, "format", "other");
    return e;
}
static l2_named_tensors *ed_kind(l2_named_tensors *e)
{
    l2_named_set_metadata(e, "optimizer", "adam");
    return e;
}
static l2_named_tensors *ed_bad_lr(l2_named_tensors *e)
{
    l2_tensor *t = l2_scalar(-1, L2_FLOAT64);
    l2_named_tensors *n = replace(e, "optimizer.param_groups.0.lr", t);
    l2_tensor_release(t);
    return n;
}
static l2_named_tensors *ed_bad_gen(l2_named_tensors *e)
{
    l2_tensor *t = l2_zeros(L2_SHAPE(4), L2_INT64);
    l2_named_tensors *n = replace(e, "generator.state", t);
    l2_tensor_release(t);
    return n;
}
static l2_named_tensors *ed_no_gen(l2_named_tensors *e) { return replace(e, "generator.state", NULL); }
static l2_named_tensors *ed_bad_step(l2_named_tensors *e)
{
    l2_tensor *t = l2_scalar(-2, L2_INT64);
    l2_named_tensors *n = replace(e, "optimizer.state.3.step", t);
    l2_tensor_release(t);
    return n;
}

static void failures(const l2_tensor *x, const l2_tensor *y)
{
    model m;
    model_init(&m, 5);
    l2_optimizer *o = make_opt(&m, false);
    train_step(&m, o, x, y);
    train_step(&m, o, x, y);
    is_int(l2_checkpoint_save(path_a, m.p, o, true, NULL), L2_OK, "a checkpoint to spoil");
    train_step(&m, o, x, y); /* so that a load would visibly change things */
    struct {
        const char *what;
        l2_status want;
        edit_fn edit;
    } cases[] = {
        {"a buffer missing", L2_ERR_FORMAT, ed_drop_bn_var},
        {"a momentum buffer missing", L2_ERR_FORMAT, ed_drop_moment},
        {"a buffer of another shape", L2_ERR_SHAPE, ed_bad_shape},
        {"a momentum buffer of another dtype", L2_ERR_SHAPE, ed_bad_dtype},
        {"a tensor not in the model", L2_ERR_FORMAT, ed_extra_name},
        {"not a libl2 checkpoint", L2_ERR_FORMAT, ed_no_format},
        {"another optimizer", L2_ERR_FORMAT, ed_kind},
        {"a negative lr", L2_ERR_FORMAT, ed_bad_lr},
        {"an all-zero generator state", L2_ERR_ARG, ed_bad_gen},
        {"no generator state", L2_ERR_FORMAT, ed_no_gen},
        {"a negative step", L2_ERR_FORMAT, ed_bad_step},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad_load(cases[i].what, cases[i].want, &m, o, cases[i].edit);
    /* Not a safetensors file at all, and a missing file. */
    FILE *f = fopen(path_b, "wb");
    fputs("not a checkpoint", f);
    fclose(f);
    snap s = take(&m, o);
    ok(l2_checkpoint_load(path_b, m.p, o, true, NULL) == L2_ERR_FORMAT && unchanged(s, &m, o),
       "garbage file: L2_ERR_FORMAT, nothing changed");
    unlink(path_b);
    ok(l2_checkpoint_load(path_b, m.p, o, true, NULL) == L2_ERR_IO && unchanged(s, &m, o),
       "missing file: L2_ERR_IO");
    /* A model of another shape: an Adam optimizer for this SGD checkpoint. */
    l2_optimizer *oa = make_opt(&m, true);
    ok(l2_checkpoint_load(path_a, m.p, oa, true, NULL) == L2_ERR_FORMAT && unchanged(s, &m, o),
       "an Adam optimizer and an SGD checkpoint: L2_ERR_FORMAT");
    l2_optimizer_free(oa);
    l2_named_free(s.m);
    l2_named_free(s.o);
    l2_tensor_release(s.g);
    /* Out of memory at every allocation of a load (and of a save): NOMEM, nothing changed. */
    int fails = 0, bad = 0;
    for (int k = 0; k < 400; k++) {
        snap s2 = take(&m, o);
        l2_named_tensors *ex = NULL;
        l2_debug_fail_alloc_after(k);
        l2_status st = l2_checkpoint_load(path_a, m.p, o, true, &ex);
        l2_debug_fail_alloc_after(-1);
        if (st == L2_OK) {
            l2_named_free(ex);
            l2_named_free(s2.m);
            l2_named_free(s2.o);
            l2_tensor_release(s2.g);
            break;
        }
        fails++;
        bad += st != L2_ERR_NOMEM || ex != NULL || !unchanged(s2, &m, o);
        l2_named_free(s2.m);
        l2_named_free(s2.o);
        l2_tensor_release(s2.g);
    }
    ok(fails > 5 && bad == 0, "load out of memory at each of its %d allocations: L2_ERR_NOMEM, "
       "nothing changed (%d bad)", fails, bad);
    fails = bad = 0;
    for (int k = 0; k < 400; k++) {
        l2_debug_fail_alloc_after(k);
        l2_status st = l2_checkpoint_save(path_b, m.p, o, true, NULL);
        l2_debug_fail_alloc_after(-1);
        if (st == L2_OK)
            break;
        fails++;
        bad += st != L2_ERR_NOMEM || access(path_b, F_OK) == 0;
    }
    ok(fails > 5 && bad == 0, "save out of memory at each of its %d allocations: L2_ERR_NOMEM, "
       "no file (%d bad)", fails, bad);
    ok(l2_checkpoint_load(NULL, m.p, o, true, NULL) == L2_ERR_NULL, "NULL path");
    ok(l2_checkpoint_save(NULL, m.p, o, true, NULL) == L2_ERR_NULL, "NULL path (save)");
    l2_optimizer_free(o);
    model_free(&m);
}

/* The optimizer state dict alone: names, round trip, errors. */
static void optim_state(void)
{
    l2_tensor *w = l2_randn(L2_SHAPE(3, 2), L2_FLOAT64), *b = l2_randn(L2_SHAPE(3), L2_FLOAT64);
    l2_set_requires_grad(w, true);
    l2_set_requires_grad(b, true);
    l2_tensor *ps[] = {w, b};
    l2_adam_options ao = l2_adamw_defaults();
    l2_optimizer *o = l2_adamw(2, ps, ao);
    l2_named_tensors *d0 = l2_optimizer_state_dict(o);
    is_int(l2_named_count(d0), 7, "adamw before a step: no per-parameter state, 7 group entries");
    l2_named_free(d0);
    l2_tensor *ww = l2_mul(w, w), *loss = l2_sum(ww);
    l2_backward(loss, NULL, false); /* b gets no grad: no state for it, as torch */
    l2_tensor_release(ww);
    l2_optimizer_step(o);
    l2_named_tensors *d = l2_optimizer_state_dict(o);
    ok(l2_named_get(d, "state.0.step") && item(l2_named_get(d, "state.0.step")) == 1 &&
           l2_named_get(d, "state.0.exp_avg") && l2_named_get(d, "state.0.exp_avg_sq") &&
           l2_named_count(d) == 10 && l2_named_get(d, "param_groups.0.betas"),
       "adamw state dict after a step: state.0.{step,exp_avg,exp_avg_sq} and the group");
    l2_clear_error();
    ok(l2_named_get(d, "state.1.step") == NULL, "no state for the parameter without a grad");
    /* Another optimizer takes it, with the hyperparameters. */
    ao.lr = 0.5;
    l2_optimizer *o2 = l2_adamw(2, ps, ao);
    is_int(l2_optimizer_load_state_dict(o2, d), L2_OK, "load into another adamw");
    is_near(l2_optimizer_get_lr(o2), 1e-3, 0, "lr restored");
    is_int(l2_optimizer_step_count(o2, 0), 1, "step restored");
    ok(l2_optimizer_state(o2, 0, "exp_avg") != l2_optimizer_state(o, 0, "exp_avg") &&
           maxdiff(l2_optimizer_state(o2, 0, "exp_avg"), l2_optimizer_state(o, 0, "exp_avg")) == 0,
       "exp_avg copied");
    /* An SGD dictionary into Adam, and the reverse: refused, nothing changed. */
    l2_optimizer *s = l2_sgd(2, ps, l2_sgd_defaults(0.1));
    l2_named_tensors *ds = l2_optimizer_state_dict(s);
    ok(l2_optimizer_load_state_dict(o2, ds) == L2_ERR_FORMAT && l2_optimizer_get_lr(o2) == 1e-3,
       "sgd state into adamw: L2_ERR_FORMAT (%s)", l2_last_error());
    ok(l2_optimizer_load_state_dict(s, d) == L2_ERR_FORMAT && l2_optimizer_get_lr(s) == 0.1,
       "adamw state into sgd: L2_ERR_FORMAT");
    l2_optimizer *one = l2_adamw(1, ps, ao);
    ok(l2_optimizer_load_state_dict(one, d) == L2_ERR_SHAPE,
       "state of 2 parameters into an optimizer of 1: refused (%s)", l2_last_error());
    ok(l2_optimizer_load_state_dict(NULL, d) == L2_ERR_NULL &&
           l2_optimizer_load_state_dict(o2, NULL) == L2_ERR_NULL &&
           l2_optimizer_state_dict(NULL) == NULL && l2_last_status() == L2_ERR_NULL,
       "NULL arguments");
    l2_named_free(ds);
    l2_named_free(d);
    l2_optimizer_free(one);
    l2_optimizer_free(s);
    l2_optimizer_free(o2);
    l2_optimizer_free(o);
    l2_tensor_release(loss);
    l2_tensor_release(w);
    l2_tensor_release(b);
}

static void model_helpers(void)
{
    model m;
    model_init(&m, 3);
    is_int(l2_params_count(m.p), 6, "6 parameters (optimizers' list unchanged)");
    is_int(l2_params_state_count(m.p), 9, "9 parameters and buffers");
    const char *want[] = {"conv.weight", "conv.bias", "bn.weight", "bn.bias",
                          "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                          "fc.weight", "fc.bias"};
    l2_named_tensors *sd = l2_params_state_dict(m.p);
    int same = l2_named_count(sd) == 9;
    for (int i = 0; same && i < 9; i++)
        same = strcmp(l2_named_name(sd, i), want[i]) == 0;
    ok(same, "state dict in torch's order");
    ok(l2_named_tensor(sd, 6) == m.bn.num_batches_tracked &&
           l2_dtype_of(m.bn.num_batches_tracked) == L2_INT64 &&
           l2_ndim(m.bn.num_batches_tracked) == 0,
       "num_batches_tracked: int64 (), shared");
    l2_named_free(sd);
    ok(l2_params_training(m.p), "a new model trains");
    l2_params_train(m.p, false);
    ok(!l2_params_training(m.p), "eval mode");
    l2_scope_begin(); /* owns every tensor made until the end of the grads' checks */
    l2_tensor *x = l2_randn(L2_SHAPE(2, 1, 6, 6), L2_FLOAT32);
    l2_tensor *rm = l2_clone(m.bn.running_mean);
    l2_tensor *out = forward(&m, x);
    ok(out && maxdiff(rm, m.bn.running_mean) == 0 && item(m.bn.num_batches_tracked) == 0,
       "eval forward leaves the running statistics and counter alone");
    l2_params_train(m.p, true);
    out = forward(&m, x);
    ok(out && maxdiff(rm, m.bn.running_mean) != 0 && item(m.bn.num_batches_tracked) == 1,
       "training forward updates them");
    l2_tensor *loss = l2_sum(out);
    l2_backward(loss, NULL, false);
    ok(l2_grad(m.fc.weight) != NULL, "grads exist");
    is_int(l2_params_zero_grad(m.p, false), L2_OK, "zero_grad(set_to_none=false)");
    ok(l2_grad(m.fc.weight) && itemr(l2_sum(l2_abs(l2_grad(m.fc.weight)))) == 0, "grads zeroed");
    is_int(l2_params_zero_grad(m.p, true), L2_OK, "zero_grad(set_to_none=true)");
    ok(l2_grad(m.fc.weight) == NULL && l2_grad(m.conv.bias) == NULL, "grads dropped");
    l2_scope_end();
    /* Buffer errors. */
    l2_tensor *t = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
    ok(l2_params_add_buffer(m.p, "bn.running_mean", t) == L2_ERR_ARG, "duplicate buffer name");
    ok(l2_params_add(m.p, "bn.running_var", t) == L2_ERR_ARG, "parameter named like a buffer");
    ok(l2_params_add_buffer(m.p, "", t) == L2_ERR_ARG, "empty buffer name");
    ok(l2_params_add_buffer(NULL, "x", t) == L2_ERR_NULL &&
           l2_params_add_buffer(m.p, NULL, t) == L2_ERR_NULL &&
           l2_params_add_buffer(m.p, "x", NULL) == L2_ERR_NULL,
       "NULL arguments");
    l2_set_requires_grad(t, true);
    ok(l2_params_add_buffer(m.p, "x", t) == L2_ERR_ARG, "a buffer that requires grad");
    is_int(l2_params_state_count(m.p), 9, "nothing added by the failures");
    ok(l2_params_train(NULL, true) == L2_ERR_NULL && !l2_params_training(NULL) &&
           l2_params_zero_grad(NULL, true) == L2_ERR_NULL && l2_params_state_dict(NULL) == NULL &&
           l2_params_state_count(NULL) == 0 && l2_params_state_tensors(NULL) == NULL &&
           l2_params_state_names(NULL) == NULL,
       "NULL lists");
    /* l2_params_load covers the buffers. */
    l2_named_tensors *d = l2_params_state_dict(m.p);
    model m2;
    model_init(&m2, 4);
    is_int(l2_params_load(m2.p, d), L2_OK, "params_load of a state dict");
    ok(same_state(m.p, m2.p), "parameters and buffers loaded");
    l2_named_free(d);
    model_free(&m2);
    l2_tensor_release(t);
    model_free(&m);
}

static void generator_and_meta(void)
{
    l2_manual_seed(42);
    l2_tensor *st = l2_get_rng_state();
    l2_tensor *a = l2_rand(L2_SHAPE(5), L2_FLOAT64);
    is_int(l2_set_rng_state(st), L2_OK, "set_rng_state");
    l2_tensor *b = l2_rand(L2_SHAPE(5), L2_FLOAT64);
    ok(maxdiff(a, b) == 0, "the stream repeats after set_rng_state");
    l2_tensor *z = l2_zeros(L2_SHAPE(4), L2_INT64), *w = l2_zeros(L2_SHAPE(3), L2_INT64);
    l2_tensor *f = l2_zeros(L2_SHAPE(4), L2_FLOAT64);
    l2_tensor *c = l2_rand(L2_SHAPE(5), L2_FLOAT64);
    ok(l2_set_rng_state(z) == L2_ERR_ARG && l2_set_rng_state(w) == L2_ERR_SHAPE &&
           l2_set_rng_state(f) == L2_ERR_SHAPE && l2_set_rng_state(NULL) == L2_ERR_NULL,
       "bad generator states refused");
    /* Inside a scope: the scope owns get_rng_state's result; a checkpoint's own generator
     * tensor is not the scope's (ASan and valgrind watch for a double release or a leak). */
    l2_scope_begin();
    l2_tensor *gs = l2_get_rng_state();
    ok(gs && l2_checkpoint_save(path_b, NULL, NULL, true, NULL) == L2_OK &&
           l2_checkpoint_load(path_b, NULL, NULL, true, NULL) == L2_OK,
       "generator state and a generator-only checkpoint inside a scope");
    l2_scope_end();
    is_int(l2_set_rng_state(st), L2_OK, "set again");
    l2_tensor *a2 = l2_rand(L2_SHAPE(5), L2_FLOAT64);
    ok(maxdiff(a, a2) == 0, "and the failed sets changed nothing in between");
    /* Metadata round trip through a file, and its errors. */
    l2_named_tensors *d = l2_named_new();
    ok(l2_named_set_metadata(d, "k", "v1") == L2_OK && l2_named_set_metadata(d, "k", "v2") == L2_OK &&
           l2_named_set_metadata(d, "empty", "") == L2_OK,
       "set metadata");
    ok(l2_named_set_metadata(d, "", "v") == L2_ERR_ARG &&
           l2_named_set_metadata(d, "q\"", "v") == L2_ERR_ARG &&
           l2_named_set_metadata(d, "k", "a\\b") == L2_ERR_ARG &&
           l2_named_set_metadata(NULL, "k", "v") == L2_ERR_NULL &&
           l2_named_add(d, "", a) == L2_ERR_ARG && l2_named_add(NULL, "x", a) == L2_ERR_NULL,
       "bad metadata and names refused");
    l2_named_add(d, "a", a);
    ok(l2_named_add(d, "a", b) == L2_ERR_ARG, "duplicate name");
    is_int(l2_save_named(path_b, d), L2_OK, "save_named");
    l2_named_tensors *r = l2_load_safetensors(path_b);
    ok(r && l2_named_metadata_count(r) == 2 && strcmp(l2_named_metadata(r, "k"), "v2") == 0 &&
           strcmp(l2_named_metadata(r, "empty"), "") == 0 &&
           strcmp(l2_named_metadata_key(r, 1), "empty") == 0 &&
           l2_named_metadata(r, "none") == NULL && maxdiff(l2_named_get(r, "a"), a) == 0,
       "metadata and tensor read back");
    ok(l2_named_metadata_key(r, 2) == NULL && l2_last_status() == L2_ERR_INDEX,
       "metadata key out of range");
    /* A file's metadata with an escaped quote loads, and is refused when saved again. */
    FILE *fq = fopen(path_b, "wb");
    const char hdr[] = "{\"__metadata__\":{\"q\":\"a\\\"b\"}}    ";
    unsigned char len[8] = {(unsigned char)(sizeof hdr - 1)};
    fwrite(len, 1, 8, fq);
    fwrite(hdr, 1, sizeof hdr - 1, fq);
    fclose(fq);
    l2_named_tensors *rq = l2_load_safetensors(path_b);
    ok(rq && l2_named_metadata(rq, "q") && strcmp(l2_named_metadata(rq, "q"), "a\"b") == 0 &&
           l2_save_named(path_a, rq) == L2_ERR_ARG,
       "metadata with an escaped quote reads, and is not written back unescaped (%s)",
       l2_last_error());
    l2_named_free(rq);
    l2_named_free(r);
    l2_named_free(d);
    RELEASE(st, a, b, z, w, f, c, a2);
}

int main(void)
{
    snprintf(path_a, sizeof path_a, "test-checkpoint-%ld-a.safetensors", (long)getpid());
    snprintf(path_b, sizeof path_b, "test-checkpoint-%ld-b.safetensors", (long)getpid());
    l2_manual_seed(1);
    l2_tensor *x = l2_randn(L2_SHAPE(32, 1, 6, 6), L2_FLOAT32);
    l2_tensor *y = l2_randint(0, 3, L2_SHAPE(32));
    model_helpers();
    generator_and_meta();
    optim_state();
    resume_case(false, x, y);
    resume_case(true, x, y);
    failures(x, y);
    unlink(path_a);
    unlink(path_b);
    RELEASE(x, y);
    return tap_done();
}
