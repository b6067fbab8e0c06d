/* fashion_resume.h: checkpoints that examples/fashion_mnist.c can resume from (--checkpoint,
 * --resume). A checkpoint (l2_checkpoint_save) holds the model, Adam's state (moments, step
 * counts, lr), the generator and, in its extra slot, the learning-rate schedule's state and the
 * run's position and settings as metadata: the epoch in progress, the steps done in it, the
 * run's step and example counts, the partial epoch's loss sum and right answers (so the epoch
 * summary printed after a resume is the straight run's), the first and last loss, and the
 * options that shape training (a resumed run must keep them). Include after <l2.h>, <stdio.h>,
 * <stdlib.h>, <string.h> and fashion_model.h. Every failure here prints a message and exits 1. */
#ifndef FASHION_RESUME_H
#define FASHION_RESUME_H

#include <errno.h>
#include <inttypes.h>

#define RUN_FORMAT "fashion_mnist run 1"

/* Where a run stands: the loop variables of fashion_mnist's main that a resume restores. */
typedef struct {
    int epoch;           /* the epoch in progress or next to run, from 1 */
    int64_t epoch_steps; /* steps of that epoch already done */
    int64_t epoch_seen;  /* their examples */
    int64_t epoch_right; /* their right answers */
    double epoch_loss;   /* the sum of their losses */
    int64_t step, seen;  /* steps and examples of the whole run */
    double loss0, loss1; /* the run's first and last loss */
} run_state;

static void resume_fail(const char *path, const char *what)
{
    fprintf(stderr, "fashion_mnist: cannot resume from '%s': %s\n", path, what);
    exit(1);
}

/* The value of "extra.run.<key>" in the checkpoint d (the file as l2_load_safetensors reads
 * it), or an error exit. */
static const char *run_meta(const l2_named_tensors *d, const char *path, const char *key)
{
    char full[64], msg[128];
    snprintf(full, sizeof full, "extra.run.%s", key);
    const char *v = l2_named_metadata(d, full);
    if (!v) {
        snprintf(msg, sizeof msg, "no '%s' in its run state", full);
        resume_fail(path, msg);
    }
    return v;
}

static int64_t run_int(const l2_named_tensors *d, const char *path, const char *key, int64_t lo)
{
    const char *v = run_meta(d, path, key);
    char *end, msg[160];
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < lo) {
        snprintf(msg, sizeof msg, "run state '%s' is '%.40s', not an integer >= %lld", key, v,
                 (long long)lo);
        resume_fail(path, msg);
    }
    return x;
}

static unsigned long long run_u64(const l2_named_tensors *d, const char *path, const char *key)
{
    const char *v = run_meta(d, path, key);
    char *end, msg[160];
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || *v == '-') {
        snprintf(msg, sizeof msg, "run state '%s' is '%.40s', not an unsigned integer", key, v);
        resume_fail(path, msg);
    }
    return x;
}

static double run_double(const l2_named_tensors *d, const char *path, const char *key)
{
    const char *v = run_meta(d, path, key);
    char *end, msg[160];
    double x = strtod(v, &end);
    if (end == v || *end) {
        snprintf(msg, sizeof msg, "run state '%s' is '%.40s', not a number", key, v);
        resume_fail(path, msg);
    }
    return x;
}

/* Read the checkpoint at path and its run settings, which become the defaults of the options
 * (options given on the command line override them; resume_check then refuses a change).
 * Returns the file's contents (free with l2_named_free). */
static l2_named_tensors *resume_open(const char *path, const char **which, const char **order,
                                     int *epochs, int64_t *batch, int64_t *limit,
                                     unsigned long long *seed, double *lr, int64_t *warmup,
                                     double *clip)
{
    l2_named_tensors *d = l2_load_safetensors(path);
    if (!d)
        resume_fail(path, l2_last_error());
    const char *f = l2_named_metadata(d, "extra.run.format");
    if (!f || strcmp(f, RUN_FORMAT))
        resume_fail(path, "it holds no fashion_mnist run state (write one with --checkpoint)");
    const char *mo = run_meta(d, path, "model"), *or = run_meta(d, path, "order");
    if (strcmp(mo, "mlp") && strcmp(mo, "cnn"))
        resume_fail(path, "its run state names an unknown model");
    if (strcmp(or, "file") && strcmp(or, "shuffle"))
        resume_fail(path, "its run state names an unknown order");
    *which = strcmp(mo, "cnn") ? "mlp" : "cnn";
    *order = strcmp(or, "file") ? "shuffle" : "file";
    int64_t e = run_int(d, path, "epochs", 1);
    if (e > 1000000)
        resume_fail(path, "its run state has too many epochs");
    *epochs = (int)e;
    *batch = run_int(d, path, "batch", 1);
    *limit = run_int(d, path, "limit", 0);
    *seed = run_u64(d, path, "seed");
    *lr = run_double(d, path, "lr");
    *warmup = run_int(d, path, "warmup", 0);
    *clip = run_double(d, path, "clip");
    return d;
}

/* Exit 1 when a setting of this run differs from the checkpoint's (d from resume_open). */
static void resume_check(const l2_named_tensors *d, const char *path, const char *which,
                         const char *order, int epochs, int64_t batch, int64_t limit,
                         unsigned long long seed, double lr, int64_t warmup, double clip)
{
    char msg[200];
    const char *bad = strcmp(which, run_meta(d, path, "model"))   ? "--model"
                      : strcmp(order, run_meta(d, path, "order")) ? "--order"
                      : epochs != run_int(d, path, "epochs", 1)   ? "--epochs"
                      : batch != run_int(d, path, "batch", 1)     ? "--batch"
                      : limit != run_int(d, path, "limit", 0)     ? "--limit"
                      : seed != run_u64(d, path, "seed")            ? "--seed"
                      : lr != run_double(d, path, "lr")            ? "--lr"
                      : warmup != run_int(d, path, "warmup", 0)    ? "--warmup"
                      : clip != run_double(d, path, "clip")        ? "--clip"
                                                                   : NULL;
    if (bad) {
        snprintf(msg, sizeof msg, "this run's %s differs from the checkpoint's (%s %s); leave it "
                 "out to keep the checkpoint's", bad, bad, run_meta(d, path, bad + 2));
        resume_fail(path, msg);
    }
}

/* Restore the model, the optimizer, the generator and the schedule from the checkpoint at path
 * (d: its contents from resume_open), and the run's position into *rs; the loader ld is put at
 * the start of the epoch in progress and moved past the batches already done, so that the run
 * continues with the batches it would have had. */
static void resume_load(const l2_named_tensors *d, const char *path, model *m, l2_optimizer *opt,
                        l2_lr_scheduler *sched, l2_loader *ld, int epochs, run_state *rs)
{
    char msg[200];
    l2_named_tensors *extra = NULL;
    if (l2_checkpoint_load(path, m->params, opt, true, &extra) != L2_OK)
        resume_fail(path, l2_last_error());
    l2_status st = l2_lr_scheduler_load_state(sched, extra);
    l2_named_free(extra);
    if (st != L2_OK)
        resume_fail(path, l2_last_error());
    int64_t n = run_int(d, path, "examples", 0);
    if (n != l2_loader_size(ld)) {
        snprintf(msg, sizeof msg, "its run had %" PRId64 " training images, this one %" PRId64,
                 n, l2_loader_size(ld));
        resume_fail(path, msg);
    }
    int64_t e = run_int(d, path, "epoch", 1);
    rs->epoch = (int)(e <= epochs + 1 ? e : epochs + 1);
    rs->epoch_steps = run_int(d, path, "epoch_steps", 0);
    rs->epoch_seen = run_int(d, path, "epoch_seen", 0);
    rs->epoch_right = run_int(d, path, "epoch_right", 0);
    rs->epoch_loss = run_double(d, path, "epoch_loss");
    rs->step = run_int(d, path, "step", 0);
    rs->seen = run_int(d, path, "seen", 0);
    rs->loss0 = run_double(d, path, "loss0");
    rs->loss1 = run_double(d, path, "loss1");
    if (e > epochs + 1 || rs->epoch_steps >= l2_loader_len(ld) + (l2_loader_len(ld) == 0) ||
        rs->epoch_seen > rs->seen || rs->epoch_right > rs->epoch_seen || rs->step < rs->epoch_steps)
        resume_fail(path, "its run state is inconsistent");
    if (l2_loader_set_epoch(ld, rs->epoch - 1) != L2_OK)
        resume_fail(path, l2_last_error());
    l2_tensor *b[2];
    for (int64_t k = 0; k < rs->epoch_steps; k++)
        if (!l2_loader_next(ld, b))
            resume_fail(path, l2_last_error());
}

/* Write the checkpoint: model, optimizer, generator, the schedule and the run (its position rs
 * and its settings). l2_checkpoint_save replaces the file atomically. */
static void resume_save(const char *path, const model *m, const l2_optimizer *opt,
                        const l2_lr_scheduler *sched, const l2_loader *ld, const run_state *rs,
                        const char *which, const char *order, int epochs, int64_t batch,
                        int64_t limit, unsigned long long seed, double lr, int64_t warmup,
                        double clip)
{
    l2_named_tensors *extra = l2_lr_scheduler_state(sched);
    CHECK(extra);
    char v[32];
#define RUN_SET(key, fmt, x)                                                                   \
    (snprintf(v, sizeof v, fmt, x), l2_named_set_metadata(extra, "run." key, v) == L2_OK)
    CHECK(l2_named_set_metadata(extra, "run.format", RUN_FORMAT) == L2_OK);
    CHECK(l2_named_set_metadata(extra, "run.model", which) == L2_OK);
    CHECK(l2_named_set_metadata(extra, "run.order", order) == L2_OK);
    CHECK(RUN_SET("epochs", "%d", epochs) && RUN_SET("batch", "%" PRId64, batch));
    CHECK(RUN_SET("limit", "%" PRId64, limit) && RUN_SET("seed", "%llu", seed));
    CHECK(RUN_SET("lr", "%.17g", lr) && RUN_SET("warmup", "%" PRId64, warmup));
    CHECK(RUN_SET("clip", "%.17g", clip) && RUN_SET("examples", "%" PRId64, l2_loader_size(ld)));
    CHECK(RUN_SET("epoch", "%d", rs->epoch) && RUN_SET("epoch_steps", "%" PRId64, rs->epoch_steps));
    CHECK(RUN_SET("epoch_seen", "%" PRId64, rs->epoch_seen));
    CHECK(RUN_SET("epoch_right", "%" PRId64, rs->epoch_right));
    CHECK(RUN_SET("epoch_loss", "%.17g", rs->epoch_loss));
    CHECK(RUN_SET("step", "%" PRId64, rs->step) && RUN_SET("seen", "%" PRId64, rs->seen));
    CHECK(RUN_SET("loss0", "%.17g", rs->loss0) && RUN_SET("loss1", "%.17g", rs->loss1));
#undef RUN_SET
    CHECK(l2_checkpoint_save(path, m->params, opt, true, extra) == L2_OK);
    l2_named_free(extra);
}

#endif
