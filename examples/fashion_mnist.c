/* fashion_mnist.c: trains an MLP (784-256-10) or a small CNN (two conv+relu+maxpool blocks and a
 * linear head) on Fashion-MNIST with libl2, seeded and reproducible; feeds it with l2_loader
 * (shuffled mini-batches from the seed, a new order each epoch), shows progress within an epoch
 * on stderr with l2_progress (a bar on a terminal, a line per tenth of the epoch otherwise),
 * prints a summary line as each epoch ends (loss, accuracy, examples/s), the test accuracy, and
 * saves the weights as safetensors. Adam with a per-step cosine learning-rate decay.
 * stdout is line-buffered, so each line shows as soon as it is printed, also through pipes.
 *
 *   fashion_mnist [--model mlp|cnn] [--epochs N] [--batch B] [--lr LR] [--limit N]
 *                 [--data DIR] [--out FILE] [--seed S] [--progress yes|no]
 *                 [--init FILE] [--order file|shuffle] [--steps N] [--test yes|no]
 *                 [--checkpoint FILE] [--warmup N] [--clip MAX_NORM]
 *                 [--resume FILE] [--stop-after-epoch N] [--distributed] [--overlap yes|no]
 * The learning rate follows torch's CosineAnnealingLR over all steps (l2_cosine_annealing_lr,
 * stepped once per batch), after N steps of linear warmup from lr/100 with --warmup N (a
 * SequentialLR of LinearLR then CosineAnnealingLR, as torch users write it); --clip clips the
 * gradients' total 2-norm to MAX_NORM before each step (l2_clip_grad_norm_; 0: off, the default).
 * --checkpoint FILE saves a checkpoint (model, optimizer, generator, schedule and the run's
 * position: examples/fashion_resume.h) at the end of each epoch and where --steps or
 * --stop-after-epoch N (stop after epoch N) stops the run; examples/evaluate reads it too.
 * --resume FILE continues the run saved in FILE (at the epoch, the step within it, the schedule
 * position and the loader's shuffled order where it stopped), with the checkpoint's training
 * options (--model, --epochs, --batch, --lr, --limit, --seed, --order, --warmup, --clip; giving
 * another value is an error): at one thread it ends with bitwise the weights and prints the
 * losses of the run that did not stop (tests/fashion-resume.sh). A missing or spoiled file, or
 * one without a run's state, is an error (exit 1).
 * --distributed (under `mpirun -np N`, libl2-dist): data-parallel training, each rank on its shard
 * of every epoch with batch B, gradients averaged across ranks each step (fashion_dist.c); rank 0
 * prints, tests and saves. --overlap yes (the default) starts each bucket's all-reduce during
 * backward as soon as its gradients are ready (l2_dist_ddp, as torch's DDP); no reduces them all
 * after backward (l2_dist_allreduce_grads).
 * --resume with --distributed is refused (not supported yet).
 * For bench/train_twin.py (the torch twin): --init saves the initial weights, --order file keeps
 * the data in file order, --steps stops after N steps (the cosine schedule still spans all
 * epochs), --test no skips the test pass, and the last line sums up the training loop alone
 * (steps, examples, wall and CPU seconds, first and last loss).
 */
#include <l2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(x)                                                                             \
    do {                                                                                     \
        if (!(x)) {                                                                          \
            fprintf(stderr, "fashion_mnist: %s failed: %s\n", #x, l2_last_error());          \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

#include "fashion_dist.h"
#include "fashion_model.h"
#include "fashion_resume.h"

/* Number of rows of logits whose argmax equals labels. Call inside a scope. */
static int64_t correct(const l2_tensor *logits, const l2_tensor *labels)
{
    double c = 0;
    CHECK(l2_item(l2_sum(l2_eq(l2_argmax_dim(logits, 1, false), labels)), &c) == L2_OK);
    return (int64_t)c;
}

static double evaluate(const model *m, const l2_tensor *images, const l2_tensor *labels)
{
    int64_t n = l2_size(images, 0), right = 0;
    l2_no_grad_begin();
    for (int64_t s = 0; s < n; s += 1000) {
        int64_t len = n - s < 1000 ? n - s : 1000;
        l2_scope_begin();
        l2_tensor *logits = forward(m, l2_narrow(images, 0, s, len));
        CHECK(logits);
        right += correct(logits, l2_narrow(labels, 0, s, len));
        l2_scope_end();
    }
    l2_no_grad_end();
    return (double)right / (double)n;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }

int main(int argc, char **argv)
{
    const char *dir = "/usr/share/datasets/fashion-mnist", *out = NULL, *which = "mlp";
    const char *init = NULL, *order = "shuffle", *test = "yes", *ckpt = NULL,
               *progress = "yes";
    int64_t warmup = 0, stop_after = 0;
    double clip = 0;
    int epochs = 2;
    int64_t batch = 64, limit = 0, max_steps = 0;
    double lr = 0; /* default: 1e-3 for the MLP, 2e-3 for the CNN */
    unsigned long long seed = 0;
    bool dist = false;
    int rank = 0;
    /* Line-buffered even into a pipe or file (make's output, a log), not only on a terminal. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *resume = NULL; /* --resume: the checkpoint's options are the defaults */
    for (int i = 1; i + 1 < argc; i += 2)
        resume = strcmp(argv[i], "--resume") ? resume : argv[i + 1];
    l2_named_tensors *rd = !resume ? NULL : resume_open(resume, &which, &order, &epochs, &batch,
                                                        &limit, &seed, &lr, &warmup, &clip);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--distributed")) {
            dist = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "fashion_mnist: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--model"))
            which = v;
        else if (!strcmp(a, "--epochs"))
            epochs = atoi(v);
        else if (!strcmp(a, "--batch"))
            batch = atoll(v);
        else if (!strcmp(a, "--lr"))
            lr = atof(v);
        else if (!strcmp(a, "--limit"))
            limit = atoll(v);
        else if (!strcmp(a, "--data"))
            dir = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--init"))
            init = v;
        else if (!strcmp(a, "--order"))
            order = v;
        else if (!strcmp(a, "--steps"))
            max_steps = atoll(v);
        else if (!strcmp(a, "--test"))
            test = v;
        else if (!strcmp(a, "--checkpoint"))
            ckpt = v;
        else if (!strcmp(a, "--progress"))
            progress = v;
        else if (!strcmp(a, "--warmup"))
            warmup = atoll(v);
        else if (!strcmp(a, "--clip"))
            clip = atof(v);
        else if (!strcmp(a, "--resume"))
            ; /* read above */
        else if (!strcmp(a, "--stop-after-epoch"))
            stop_after = atoll(v);
        else if (!strcmp(a, "--overlap")) {
            if (strcmp(v, "yes") && strcmp(v, "no")) {
                fprintf(stderr, "fashion_mnist: --overlap is yes or no\n");
                return 2;
            }
            fashion_dist_overlap = !strcmp(v, "yes");
        }
        else {
            fprintf(stderr, "fashion_mnist: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    bool cnn = !strcmp(which, "cnn");
    if (!cnn && strcmp(which, "mlp")) {
        fprintf(stderr, "fashion_mnist: --model is mlp or cnn\n");
        return 2;
    }
    if (strcmp(order, "file") && strcmp(order, "shuffle")) {
        fprintf(stderr, "fashion_mnist: --order is file or shuffle\n");
        return 2;
    }
    if (lr <= 0)
        lr = cnn ? 2e-3 : 1e-3;
    if (rd)
        resume_check(rd, resume, which, order, epochs, batch, limit, seed, lr, warmup, clip);
    if (rd && dist) {
        fprintf(stderr, "fashion_mnist: --resume with --distributed is not supported yet\n");
        return 2;
    }
    if (dist && (rank = fashion_dist_init(&argc, &argv, batch)) < 0)
        return 2;
    if (rank != 0) /* rank 0 prints, tests and saves */
        init = out = ckpt = NULL, test = progress = "no";
    char path[4][512];
    const char *files[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    for (int k = 0; k < 4; k++)
        snprintf(path[k], sizeof path[k], "%s/%s", dir, files[k]);
    l2_tensor *xtr = l2_load_idx(path[0], true), *ytr = l2_load_idx(path[1], false);
    l2_tensor *xte = l2_load_idx(path[2], true), *yte = l2_load_idx(path[3], false);
    CHECK(xtr && ytr && xte && yte);
    if (limit > 0 && limit < l2_size(xtr, 0)) {
        l2_tensor *a = l2_narrow(xtr, 0, 0, limit), *b = l2_narrow(ytr, 0, 0, limit);
        l2_tensor_release(xtr);
        l2_tensor_release(ytr);
        xtr = a;
        ytr = b;
    }
    l2_manual_seed(seed);
    model m;
    model_init(&m, cnn);
    if (dist)
        fashion_dist_broadcast(m.params);
    if (init) {
        CHECK(l2_save_safetensors(init, l2_params_count(m.params), l2_params_names(m.params),
                                  l2_params_tensors(m.params)) == L2_OK);
        printf("initial weights saved to %s\n", init);
    }
    l2_optimizer *opt = l2_adam(l2_params_count(m.params), l2_params_tensors(m.params),
                                (l2_adam_options){.lr = lr, .beta1 = 0.9, .beta2 = 0.999,
                                                  .eps = 1e-8});
    CHECK(opt);
    /* The loader: file order (--order file, for the torch twin) or shuffled from the seed; its
     * buffers are made here, once. */
    l2_loader_options lo = {.batch_size = batch, .shuffle = !strcmp(order, "shuffle"),
                            .drop_last = false, .seed = seed};
    l2_loader *ld = dist ? fashion_dist_loader(NULL, xtr, ytr, lo, 0)
                         : l2_loader_new(2, (l2_tensor *[]){xtr, ytr}, lo);
    CHECK(ld);
    int64_t n = l2_loader_size(ld), step = 0, seen = 0, total = epochs * l2_loader_len(ld);
    if (warmup < 0 || warmup >= total || clip < 0) {
        fprintf(stderr, "fashion_mnist: --warmup must lie in [0, %lld) and --clip be >= 0\n",
                (long long)total);
        return 2;
    }
    /* The schedule, stepped after each optimizer step (torch's order). */
    l2_lr_scheduler *sched;
    if (warmup > 0) {
        l2_lr_scheduler *w = l2_linear_lr(opt, 0.01, 1.0, warmup);
        l2_lr_scheduler *c = w ? l2_cosine_annealing_lr(opt, total - warmup, 0.0) : NULL;
        CHECK(c);
        sched = l2_sequential_lr(opt, 2, (l2_lr_scheduler *[]){w, c}, (int64_t[]){warmup});
    } else
        sched = l2_cosine_annealing_lr(opt, total, 0.0);
    CHECK(sched);
    run_state rs = {.epoch = 1};
    if (rd) {
        resume_load(rd, resume, &m, opt, sched, ld, epochs, &rs);
        step = rs.step;
        seen = rs.seen;
        printf("resuming from %s: epoch %d, step %lld\n", resume, rs.epoch, (long long)step);
    }
    double wall0 = now(), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), loss0 = rs.loss0;
    double loss1 = rs.loss1;
    printf("fashion_mnist: %s, %lld training images, batch %lld, Adam lr %g (cosine decay, "
           "%lld warmup steps, clip %g), seed %llu, %d threads\n",
           which, (long long)n, (long long)batch, lr, (long long)warmup, clip, seed,
           l2_get_num_threads());
    for (int e = rs.epoch; e <= epochs && (!max_steps || step < max_steps); e++) {
        if (dist && e > 1) /* this rank's shard of the epoch */
            ld = fashion_dist_loader(ld, xtr, ytr, lo, e - 1);
        /* A resumed epoch starts with what its first part added up. */
        bool cont = e == rs.epoch;
        double t0 = now(), loss_sum = cont ? rs.epoch_loss : 0;
        int64_t right = cont ? rs.epoch_right : 0, steps = cont ? rs.epoch_steps : 0;
        int64_t seen0 = seen - (cont ? rs.epoch_seen : 0);
        char label[32], info[64];
        snprintf(label, sizeof label, "epoch %d/%d", e, epochs);
        l2_progress *pr = NULL;
        if (strcmp(progress, "no")) {
            pr = l2_progress_new(stderr, label, l2_loader_len(ld), 0, false);
            CHECK(pr);
        }
        l2_tensor *b[2];
        info[0] = '\0';
        while (!max_steps || step < max_steps) {
            if (!l2_loader_next(ld, b)) {
                CHECK(l2_last_status() == L2_OK); /* the end of the epoch, not an error */
                break;
            }
            step++;
            l2_scope_begin();
            l2_tensor *x = b[0], *y = b[1];
            int64_t len = l2_size(x, 0);
            l2_tensor *logits = forward(&m, x);
            l2_tensor *loss = l2_cross_entropy(logits, y, L2_REDUCTION_MEAN, -100, 0.0);
            CHECK(loss);
            CHECK(l2_backward(loss, NULL, false) == L2_OK);
            if (dist)
                fashion_dist_allreduce(m.params);
            if (clip > 0)
                CHECK(l2_clip_grad_norm_(l2_params_count(m.params), l2_params_tensors(m.params),
                                         clip, 2.0, false, NULL) == L2_OK);
            CHECK(l2_optimizer_step(opt) == L2_OK);
            CHECK(l2_lr_scheduler_step(sched) == L2_OK);
            l2_optimizer_zero_grad(opt, true);
            double lv;
            l2_item(loss, &lv);
            loss_sum += lv;
            loss0 = step == 1 ? lv : loss0;
            loss1 = lv;
            seen += len;
            steps++;
            l2_no_grad_begin();
            right += correct(logits, y);
            l2_no_grad_end();
            l2_scope_end();
            if (pr) {
                snprintf(info, sizeof info, "loss %.4f", loss_sum / (double)steps);
                l2_progress_update(pr, steps, info);
            }
        }
        l2_loader_reset(ld); /* --steps may stop inside an epoch */
        if (pr) {
            l2_progress_finish(pr, info);
            l2_progress_free(pr);
        }
        double dt = now() - t0;
        double epoch_n = (double)(seen - seen0);
        printf("epoch %d: loss %.4f, train accuracy %.4f, %.0f examples/s\n", e,
               loss_sum / (double)(steps ? steps : 1), (double)right / (epoch_n ? epoch_n : 1),
               epoch_n / dt);
        fflush(stdout);
        if (ckpt) { /* at the epoch's end, or where --steps stopped inside it */
            bool whole = steps == l2_loader_len(ld);
            run_state now_rs = {whole ? e + 1 : e, whole ? 0 : steps, whole ? 0 : seen - seen0,
                                whole ? 0 : right, whole ? 0 : loss_sum, step, seen, loss0, loss1};
            resume_save(ckpt, &m, opt, sched, ld, &now_rs, which, order, epochs, batch, limit,
                        seed, lr, warmup, clip);
            printf("checkpoint saved to %s (step %lld)\n", ckpt, (long long)step);
        }
        if (stop_after > 0 && e >= stop_after)
            break;
    }
    l2_loader_free(ld);
    double wall = now() - wall0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    if (strcmp(test, "no"))
        printf("test accuracy: %.4f\n", evaluate(&m, xte, yte));
    printf("train: %lld steps, %lld examples, %.6f s wall, %.6f s CPU, first loss %.6f, "
           "last loss %.6f\n",
           (long long)step, (long long)seen, wall, cpu, loss0, loss1);
    if (out) {
        CHECK(l2_save_safetensors(out, l2_params_count(m.params), l2_params_names(m.params),
                                  l2_params_tensors(m.params)) == L2_OK);
        printf("weights saved to %s\n", out);
    }
    l2_named_free(rd);
    l2_lr_scheduler_free(sched);
    l2_optimizer_free(opt);
    model_free(&m);
    l2_tensor *all[] = {xtr, ytr, xte, yte};
    for (int k = 0; k < 4; k++)
        l2_tensor_release(all[k]);
    if (dist)
        fashion_dist_finalize();
    return 0;
}
