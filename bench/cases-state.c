/* cases-state.c: checkpoints (issue 16, area state): l2_checkpoint_save and l2_checkpoint_load of
 * a model of 4 float32 512x512 parameters (1M) with its Adam state (exp_avg, exp_avg_sq, step)
 * and the generator state, about 12 MB, in every profile. The torch twins (bench/torch_state.py)
 * torch.save the same content (model state dict, optimizer.state_dict(), get_rng_state) and
 * torch.load it back into the model and optimizer. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cases.h"

typedef struct {
    l2_params *p;
    l2_optimizer *o;
    int load;
    char path[256];
} ckdata;

static void ckdata_free(void *v)
{
    ckdata *s = v;
    if (!s)
        return;
    l2_optimizer_free(s->o);
    l2_params_free(s->p);
    unlink(s->path);
    free(s);
}

static void *setup_ckpt(const bench_case *c)
{
    ckdata *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    const char *dir = getenv("TMPDIR");
    snprintf(s->path, sizeof s->path, "%s/l2bench-%ld.ckpt", dir && *dir ? dir : "/tmp",
             (long)getpid());
    s->load = (int)c->p[5];
    s->p = l2_params_new();
    bool good = s->p != NULL;
    for (int i = 0; i < 4 && good; i++) {
        char name[32];
        snprintf(name, sizeof name, "layer%d.weight", i);
        l2_tensor *w = l2_randn(L2_SHAPE(512, 512), L2_FLOAT32);
        good = w && l2_set_requires_grad(w, true) == L2_OK && l2_params_add(s->p, name, w) == L2_OK;
        l2_tensor *sq = good ? l2_mul(w, w) : NULL, *sum = sq ? l2_sum(sq) : NULL;
        good = good && sum && l2_backward(sum, NULL, false) == L2_OK;
        l2_tensor_release(sq);
        l2_tensor_release(sum);
        l2_tensor_release(w);
    }
    if (good)
        s->o = l2_adam(4, l2_params_tensors(s->p), l2_adam_defaults());
    good = good && s->o && l2_optimizer_step(s->o) == L2_OK &&
           (!s->load || l2_checkpoint_save(s->path, s->p, s->o, true, NULL) == L2_OK);
    if (!good) {
        ckdata_free(s);
        return NULL;
    }
    return s;
}

static int run_ckpt(void *v)
{
    ckdata *s = v;
    if (s->load)
        return l2_checkpoint_load(s->path, s->p, s->o, true, NULL) != L2_OK;
    return l2_checkpoint_save(s->path, s->p, s->o, true, NULL) != L2_OK;
}

void bench_cases_state(void)
{
    for (int load = 0; load < 2; load++) {
        bench_case c = nn_case(load ? "checkpoint_load" : "checkpoint_save", 0, "adam",
                               "4x512x512", setup_ckpt, run_ckpt);
        c.teardown = ckdata_free;
        c.p[5] = load;
        c.items = 4.0 * 512 * 512;
        c.bytes = 3 * 4.0 * c.items;
        bench_add(c, NULL);
    }
}
