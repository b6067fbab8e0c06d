/* test-inplace.c: grad mode of the in-place ops, and failed calls that change nothing.
 * Under no_grad (or when nothing requires grad) an in-place op records no history and a leaf
 * stays a leaf: the weight-loading pattern no_grad { copy_(param, w) } keeps training working,
 * and copy_(x, x) is a no-op. Under injected allocation failures every in-place op, backward,
 * autograd_grad and an optimizer's first step either succeed or leave their operands bitwise as
 * they were (data, history, .grad, retained grads, saved tensors, optimizer state). */
#include <l2.h>
#include <stdlib.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* A float64 (2,3) leaf with values base, base+1, ... */
static l2_tensor *leaf(double base, bool grad)
{
    double v[6];
    for (int i = 0; i < 6; i++)
        v[i] = base + i;
    l2_tensor *t = l2_from_data(v, L2_SHAPE(2, 3), L2_FLOAT64);
    if (grad)
        l2_set_requires_grad(t, true);
    return t;
}

/* t's elements (contiguous float64) equal v[0..n). */
static int equals(const l2_tensor *t, const double *v, int n)
{
    if (!t || l2_numel(t) != n || l2_dtype_of(t) != L2_FLOAT64 || !l2_is_contiguous(t))
        return 0;
    return memcmp(l2_data_ptr(t), v, sizeof(double) * (size_t)n) == 0;
}

/* ---- every in-place op of l2.h, on t, with b a tensor argument where the op takes one ---- */

typedef l2_status (*inplace_fn)(l2_tensor *t, const l2_tensor *b);

static l2_status do_add(l2_tensor *t, const l2_tensor *b)
{
    return l2_add_(t, b);
}
static l2_status do_sub(l2_tensor *t, const l2_tensor *b)
{
    return l2_sub_(t, b);
}
static l2_status do_mul(l2_tensor *t, const l2_tensor *b)
{
    return l2_mul_(t, b);
}
static l2_status do_div(l2_tensor *t, const l2_tensor *b)
{
    return l2_div_(t, b);
}
static l2_status do_copy(l2_tensor *t, const l2_tensor *b)
{
    return l2_copy_(t, b);
}
static l2_status do_adds(l2_tensor *t, const l2_tensor *b)
{
    return (void)b, l2_add_scalar_(t, 2);
}
static l2_status do_muls(l2_tensor *t, const l2_tensor *b)
{
    return (void)b, l2_mul_scalar_(t, 3);
}
static l2_status do_clamp(l2_tensor *t, const l2_tensor *b)
{
    return (void)b, l2_clamp_(t, 1, 4);
}
static l2_status do_relu(l2_tensor *t, const l2_tensor *b)
{
    return (void)b, l2_relu_(t);
}
static l2_status do_zero(l2_tensor *t, const l2_tensor *b)
{
    return (void)b, l2_zero_(t);
}
static l2_status do_fill(l2_tensor *t, const l2_tensor *b)
{
    return (void)b, l2_fill_(t, 7);
}
static l2_status do_unif(l2_tensor *t, const l2_tensor *b)
{
    return (void)b, l2_uniform_(t, 0, 1);
}
static l2_status do_norm(l2_tensor *t, const l2_tensor *b)
{
    return (void)b, l2_normal_(t, 0, 1);
}

static const struct {
    const char *name;
    inplace_fn f;
} ops[] = {
    {"add_", do_add},     {"sub_", do_sub},         {"mul_", do_mul},         {"div_", do_div},
    {"copy_", do_copy},   {"add_scalar_", do_adds}, {"mul_scalar_", do_muls}, {"clamp_", do_clamp},
    {"relu_", do_relu},   {"zero_", do_zero},       {"fill_", do_fill},       {"uniform_", do_unif},
    {"normal_", do_norm},
};
#define NOPS ((int)(sizeof ops / sizeof ops[0]))

static void grad_mode(void)
{
    /* The weight-loading pattern: no_grad { copy_(param, w) }, then a training step. */
    l2_tensor *p = leaf(0, true), *w = leaf(10, false), *x = leaf(1, false);
    l2_no_grad_begin();
    ok(l2_copy_(p, w) == L2_OK, "copy_ into a parameter under no_grad");
    l2_no_grad_end();
    ok(l2_is_leaf(p) && l2_requires_grad(p) && !l2_grad_fn_name(p),
       "the parameter stays a leaf that requires grad (grad_fn %s)",
       l2_grad_fn_name(p) ? l2_grad_fn_name(p) : "none");
    double wv[6], xv[6], want[6];
    for (int i = 0; i < 6; i++) {
        wv[i] = 10 + i;
        xv[i] = 1 + i;
        want[i] = wv[i] - 0.5 * xv[i]; /* SGD: p -= lr * d(sum(p * x))/dp */
    }
    ok(equals(p, wv, 6), "the weights were loaded");
    l2_optimizer *opt = l2_sgd(1, &p, l2_sgd_defaults(0.5));
    l2_tensor *px = l2_mul(p, x), *loss = l2_sum(px);
    ok(l2_backward(loss, NULL, false) == L2_OK && equals(l2_grad(p), xv, 6),
       "backward reaches the loaded parameter's .grad");
    ok(l2_optimizer_step(opt) == L2_OK && equals(p, want, 6), "and the optimizer updates it");
    l2_tensor_release(loss);
    l2_tensor_release(px);
    l2_optimizer_free(opt);

    /* copy_(x, x): a no-op, no history, no reference cycle (the loop leaks nothing under
     * valgrind), for a leaf under no_grad and a non-leaf with grad mode on. */
    int good = 1;
    l2_no_grad_begin();
    for (int k = 0; k < 1000; k++)
        good &= l2_copy_(p, p) == L2_OK;
    l2_no_grad_end();
    ok(good && l2_is_leaf(p) && equals(p, want, 6), "copy_(p, p) under no_grad, 1000 times");
    ok(l2_copy_(p, p) == L2_ERR_AUTOGRAD, "with grad mode on it is refused for a leaf that "
                                          "requires grad, as any in-place op");
    l2_tensor *y = l2_mul_scalar(p, 2);
    const char *fn = l2_grad_fn_name(y);
    good = 1;
    for (int k = 0; k < 1000; k++)
        good &= l2_copy_(y, y) == L2_OK;
    ok(good && fn && l2_grad_fn_name(y) && strcmp(fn, l2_grad_fn_name(y)) == 0,
       "copy_(y, y) with grad mode on keeps y's history (%s)", fn ? fn : "none");
    l2_set_grad_none(p);
    loss = l2_sum(y);
    l2_backward(loss, NULL, false);
    double twos[6] = {2, 2, 2, 2, 2, 2};
    ok(equals(l2_grad(p), twos, 6), "and the gradient through it is unchanged");
    l2_tensor_release(loss);
    l2_tensor_release(y);
    /* Still a write: exp saves its output, so after y.copy_(y) backward must refuse, as torch's
     * version counter does. */
    y = l2_exp(p);
    ok(l2_copy_(y, y) == L2_OK, "copy_(exp(p), itself)");
    loss = l2_sum(y);
    ok(loss && l2_backward(loss, NULL, false) == L2_ERR_AUTOGRAD,
       "copy_(y, y) bumps y's version: backward through exp refuses (%s)", l2_last_error());
    l2_tensor_release(loss);
    l2_tensor_release(y);

    /* An overlapping copy reads the source before writing. */
    l2_tensor *a = leaf(0, false);
    l2_tensor *flat = l2_reshape(a, L2_SHAPE(6));
    l2_tensor *dst = l2_narrow(flat, 0, 1, 5), *src = l2_narrow(flat, 0, 0, 5);
    double shifted[6] = {0, 0, 1, 2, 3, 4};
    ok(l2_copy_(dst, src) == L2_OK && equals(a, shifted, 6), "an overlapping copy_ shifts");
    l2_tensor_release(dst);
    l2_tensor_release(src);
    l2_tensor_release(flat);
    l2_tensor_release(a);

    /* Every in-place op: under no_grad a leaf stays a leaf; with grad mode on and nothing
     * requiring grad nothing is recorded; on a non-leaf with grad mode on the history is
     * replaced by the op's node. */
    for (int k = 0; k < NOPS; k++) {
        l2_tensor *t = leaf(1, true), *b = leaf(2, true);
        l2_no_grad_begin();
        l2_status st = ops[k].f(t, b);
        l2_no_grad_end();
        ok(st == L2_OK && l2_is_leaf(t) && l2_requires_grad(t) && !l2_grad_fn_name(t),
           "%s under no_grad leaves a leaf a leaf (%s)", ops[k].name,
           st == L2_OK ? "ok" : l2_last_error());
        l2_tensor *u = leaf(1, false), *c = leaf(2, false);
        st = ops[k].f(u, c);
        ok(st == L2_OK && !l2_requires_grad(u) && !l2_grad_fn_name(u),
           "%s with no input requiring grad records nothing", ops[k].name);
        l2_tensor *v = l2_clone(t);
        st = ops[k].f(v, b);
        const char *name = l2_grad_fn_name(v);
        ok(st == L2_OK && name && strcmp(name, "clone") != 0,
           "%s on a non-leaf with grad mode on records its node (%s)", ops[k].name,
           name ? name : "none");
        l2_tensor *r = l2_sum(v);
        ok(l2_backward(r, NULL, false) == L2_OK, "%s: backward through it", ops[k].name);
        l2_tensor *all[] = {t, b, u, c, v, r};
        for (int i = 0; i < 6; i++)
            l2_tensor_release(all[i]);
    }
    l2_tensor_release(p);
    l2_tensor_release(w);
    l2_tensor_release(x);
}

/* ---- failed calls change nothing ---------------------------------------------------------- */

/* For N = 0, 1, ...: run every in-place op on a non-leaf y with allocation N failing, with a
 * source that overlaps y (a row of y, broadcast) and one of another dtype (a conversion). */
static void inplace_sweep(void)
{
    for (int k = 0; k < NOPS; k++) {
        for (int variant = 0; variant < 2; variant++) {
            int runs = 0, bad = 0, done = 0;
            for (int64_t n = 0; n < 1000 && !done; n++) {
                l2_tensor *p = leaf(1, true);
                l2_tensor *y = l2_mul_scalar(p, 1);
                l2_tensor *row = l2_narrow(y, 0, 1, 1);
                l2_tensor *f32 = l2_full(L2_SHAPE(2, 3), 2.0, L2_FLOAT32);
                l2_tensor *b = variant == 0 ? row : f32;
                double before[6];
                memcpy(before, l2_data_ptr(y), sizeof before);
                char fn[64];
                snprintf(fn, sizeof fn, "%s", l2_grad_fn_name(y));
                l2_debug_fail_alloc_after(n);
                l2_status st = ops[k].f(y, b);
                l2_debug_fail_alloc_after(-1);
                runs++;
                if (st == L2_OK) {
                    done = 1;
                } else {
                    const char *now = l2_grad_fn_name(y);
                    int same = st == L2_ERR_NOMEM && l2_last_error()[0] && equals(y, before, 6) &&
                               now && strcmp(now, fn) == 0;
                    if (!same && !bad)
                        tap_diag("%s (variant %d) N = %lld: %s, grad_fn %s", ops[k].name, variant,
                                 (long long)n, l2_last_error(), now ? now : "none");
                    bad += !same;
                }
                l2_tensor *all[] = {p, y, row, f32};
                for (int i = 0; i < 4; i++)
                    l2_tensor_release(all[i]);
            }
            ok(done && bad == 0,
               "%s (%s source) under allocation failures: %d runs, %d changed "
               "something",
               ops[k].name, variant ? "float32" : "overlapping", runs, bad);
        }
    }
}

/* backward and autograd_grad with retain_graph=false: a failure leaves .grad (existing and
 * absent), a retained non-leaf grad and the saved tensors as they were, so a retry on the same
 * graph succeeds and gives the failure-free result. */
static void backward_sweep(void)
{
    int runs = 0, bad = 0, done = 0;
    for (int64_t n = 0; n < 1000 && !done; n++) {
        l2_tensor *a = leaf(1, true), *b = leaf(2, true);
        l2_tensor *ab = l2_mul(a, b), *m = l2_mul_scalar(ab, 0.01), *e = l2_exp(m);
        l2_tensor *y = l2_sum(e);
        l2_retain_grad(ab);
        /* a has a .grad from an earlier backward, b has none. */
        l2_tensor *ya = l2_sum(a);
        l2_backward(ya, NULL, false);
        double ga[6];
        memcpy(ga, l2_data_ptr(l2_grad(a)), sizeof ga);
        l2_debug_fail_alloc_after(n);
        l2_status st = l2_backward(y, NULL, false);
        l2_debug_fail_alloc_after(-1);
        runs++;
        if (st == L2_OK) {
            done = 1;
        } else {
            int same = st == L2_ERR_NOMEM && l2_last_error()[0] && equals(l2_grad(a), ga, 6) &&
                       !l2_grad(b) && !l2_grad(ab);
            /* The retry on the same graph: saved tensors were not freed by the failed call. */
            same &= l2_backward(y, NULL, false) == L2_OK && l2_grad(b) && l2_grad(ab);
            if (!same && !bad)
                tap_diag("backward N = %lld: %s", (long long)n, l2_last_error());
            bad += !same;
        }
        l2_tensor *all[] = {a, b, ab, m, e, y, ya};
        for (int i = 0; i < 7; i++)
            l2_tensor_release(all[i]);
    }
    ok(done && bad == 0, "backward under allocation failures: %d runs, %d changed something", runs,
       bad);

    /* autograd_grad, inside a scope: its results are registered there, which can fail too; 57
     * fillers bring the scope to 63 entries, so that the second result needs a bigger list. */
    runs = bad = done = 0;
    for (int64_t n = 0; n < 1000 && !done; n++) {
        l2_scope_begin();
        l2_tensor *a = leaf(1, true), *b = leaf(2, true);
        l2_tensor *ab = l2_mul(a, b), *y = l2_sum(l2_exp(l2_mul_scalar(ab, 0.01)));
        for (int i = 0; i < 57; i++)
            l2_scalar(i, L2_FLOAT64);
        l2_tensor *grads[3] = {NULL, NULL, NULL};
        l2_debug_fail_alloc_after(n);
        l2_status st =
            l2_autograd_grad(1, &y, NULL, 3, (l2_tensor *[]){a, b, ab}, grads, false, false);
        l2_debug_fail_alloc_after(-1);
        runs++;
        if (st == L2_OK) {
            done = 1;
        } else {
            int same = st == L2_ERR_NOMEM && l2_last_error()[0] && !grads[0] && !grads[1] &&
                       !grads[2] && !l2_grad(a) && !l2_grad(b);
            same &= l2_autograd_grad(1, &y, NULL, 3, (l2_tensor *[]){a, b, ab}, grads, false,
                                     false) == L2_OK &&
                    grads[0] && grads[1] && grads[2];
            if (!same && !bad)
                tap_diag("autograd_grad N = %lld: %s", (long long)n, l2_last_error());
            bad += !same;
        }
        l2_scope_end(); /* releases everything made inside, the results too */
    }
    ok(done && bad == 0, "autograd_grad under allocation failures: %d runs, %d changed something",
       runs, bad);
}

/* An optimizer's first step makes its state: a failure leaves parameters, state and step counts
 * as they were. */
static void optimizer_sweep(void)
{
    for (int kind = 0; kind < 2; kind++) {
        int runs = 0, bad = 0, done = 0;
        for (int64_t n = 0; n < 1000 && !done; n++) {
            l2_tensor *ps[3] = {leaf(1, true), leaf(2, true), leaf(3, true)};
            for (int i = 0; i < 3; i++) {
                l2_tensor *s = l2_sum(ps[i]);
                l2_backward(s, NULL, false);
                l2_tensor_release(s);
            }
            l2_adam_options ao = l2_adam_defaults();
            ao.amsgrad = true;
            l2_sgd_options so = l2_sgd_defaults(0.1);
            so.momentum = 0.9;
            l2_optimizer *o = kind ? l2_adam(3, ps, ao) : l2_sgd(3, ps, so);
            const char *state = kind ? "max_exp_avg_sq" : "momentum_buffer";
            l2_debug_fail_alloc_after(n);
            l2_status st = l2_optimizer_step(o);
            l2_debug_fail_alloc_after(-1);
            runs++;
            if (st == L2_OK) {
                done = 1;
            } else {
                int same = st == L2_ERR_NOMEM && l2_last_error()[0];
                for (int i = 0; i < 3; i++) {
                    double v[6];
                    for (int j = 0; j < 6; j++)
                        v[j] = i + 1 + j;
                    same &= equals(ps[i], v, 6) && !l2_optimizer_state(o, i, state) &&
                            l2_optimizer_step_count(o, i) == 0;
                }
                if (!same && !bad)
                    tap_diag("optimizer %d N = %lld: %s", kind, (long long)n, l2_last_error());
                bad += !same;
            }
            l2_optimizer_free(o);
            for (int i = 0; i < 3; i++)
                l2_tensor_release(ps[i]);
        }
        ok(done && bad == 0,
           "%s's first step under allocation failures: %d runs, %d changed "
           "something",
           kind ? "adam (amsgrad)" : "sgd (momentum)", runs, bad);
    }
}

/* batch_norm in training mode updates its running statistics in place: a failed call leaves
 * them as they were (also when the result cannot be handed to an open scope). */
static void batch_norm_sweep(void)
{
    for (int scoped = 0; scoped < 2; scoped++) {
        int runs = 0, bad = 0, done = 0;
        for (int64_t n = 0; n < 1000 && !done; n++) {
            if (scoped)
                l2_scope_begin();
            l2_tensor *x = leaf(1, false), *w = l2_ones(L2_SHAPE(3), L2_FLOAT64);
            l2_tensor *rm = l2_zeros(L2_SHAPE(3), L2_FLOAT64),
                      *rv = l2_ones(L2_SHAPE(3), L2_FLOAT64);
            l2_set_requires_grad(w, true);
            /* Fillers bring an open scope to 64 entries: the result needs a bigger list. */
            for (int i = 0; scoped && i < 60; i++)
                l2_scalar(i, L2_FLOAT64);
            l2_debug_fail_alloc_after(n);
            l2_tensor *y = l2_batch_norm(x, rm, rv, w, NULL, true, 0.5, 1e-5);
            l2_debug_fail_alloc_after(-1);
            runs++;
            if (y) {
                done = 1;
            } else {
                double zeros[3] = {0, 0, 0}, ones[3] = {1, 1, 1};
                int same =
                    l2_last_status() == L2_ERR_NOMEM && equals(rm, zeros, 3) && equals(rv, ones, 3);
                if (!same && !bad)
                    tap_diag("batch_norm N = %lld: the running statistics changed", (long long)n);
                bad += !same;
            }
            if (scoped) {
                l2_scope_end();
            } else {
                l2_tensor *all[] = {x, w, rm, rv, y};
                for (int i = 0; i < 5; i++)
                    l2_tensor_release(all[i]);
            }
        }
        ok(done && bad == 0,
           "batch_norm (training%s) under allocation failures: %d runs, %d "
           "changed the running statistics",
           scoped ? ", in a scope" : "", runs, bad);
    }
}

/* l2_set on a tensor with history cuts only the written element's gradient: y = 2x,
 * y[1] = 5, sum(y * w).backward() gives x.grad = 2w with element 1 zeroed. */
static void set_grad(void)
{
    l2_tensor *x = leaf(1, true), *w = leaf(-3, false);
    l2_tensor *y = l2_mul_scalar(x, 2);
    l2_status st = l2_set(y, (const int64_t[]){0, -2}, 5);
    l2_tensor *yw = l2_mul(y, w), *loss = l2_sum(yw);
    double want[6];
    for (int i = 0; i < 6; i++)
        want[i] = i == 1 ? 0 : 2 * (-3 + i);
    double v = NAN;
    ok(st == L2_OK && l2_get(y, (const int64_t[]){0, 1}, &v) == L2_OK && v == 5 &&
           l2_backward(loss, NULL, false) == L2_OK && equals(l2_grad(x), want, 6),
       "set on a non-leaf: the written element's gradient is cut, the others flow");
    l2_tensor *all[] = {loss, yw, y, w, x};
    for (int i = 0; i < 5; i++)
        l2_tensor_release(all[i]);
}

/* A leaf that required grad while an operand was computed from it, then stopped: writing it in
 * place from that operand would make its history lead back to itself (a reference cycle that
 * nothing frees). The call fails and changes nothing, also with a deep operand graph (the walk's
 * tables grow) and under allocation failures; a tensor with extra references but not in the
 * operand's graph is written as usual. */
static void leaf_cycle(void)
{
    int64_t live = l2_live_tensors();
    for (int k = 0; k < 5; k++) { /* the ops with a tensor operand */
        for (int depth = 1; depth <= 200; depth += 199) {
            l2_tensor *x = leaf(1, true);
            l2_tensor *a = l2_mul_scalar(x, 2);
            for (int d = 1; d < depth; d++) {
                l2_tensor *next = l2_add_scalar(a, 1);
                l2_tensor_release(a);
                a = next;
            }
            l2_set_requires_grad(x, false);
            double before[6];
            memcpy(before, l2_data_ptr(x), sizeof before);
            l2_status st = ops[k].f(x, a);
            ok(st == L2_ERR_AUTOGRAD && strstr(l2_last_error(), "history would contain itself") &&
                   equals(x, before, 6) && l2_is_leaf(x) && !l2_requires_grad(x),
               "%s into a leaf its operand (%d ops deep) was computed from: %s, x unchanged",
               ops[k].name, depth, l2_status_name(st));
            int runs = 0, bad = 0;
            for (int64_t n = 0; n < 64; n++, runs++) {
                l2_debug_fail_alloc_after(n);
                st = ops[k].f(x, a);
                l2_debug_fail_alloc_after(-1);
                bad += st == L2_OK || !equals(x, before, 6) || !l2_is_leaf(x);
                if (st == L2_ERR_AUTOGRAD)
                    break;
            }
            ok(bad == 0 && st == L2_ERR_AUTOGRAD,
               "%s into that leaf under allocation failures: %d runs, %d changed something",
               ops[k].name, runs, bad);
            l2_tensor *y = leaf(1, false), *extra = l2_tensor_ref(y);
            st = ops[k].f(y, a);
            ok(st == L2_OK && l2_requires_grad(y) && !l2_is_leaf(y),
               "%s into another leaf with two references records: %s", ops[k].name,
               l2_status_name(st));
            l2_tensor *all[] = {x, a, y, extra};
            for (int i = 0; i < 4; i++)
                l2_tensor_release(all[i]);
        }
    }
    /* The same through x's .grad: x.grad += (x * 2) would make x.grad's history hold x. */
    for (int k = 0; k < 5; k++) {
        l2_tensor *x = leaf(1, true);
        l2_tensor *s = l2_sum(x);
        l2_backward(s, NULL, false);
        l2_tensor *g = l2_grad(x), *a = l2_mul_scalar(x, 2);
        double before[6];
        memcpy(before, l2_data_ptr(g), sizeof before);
        l2_status st = ops[k].f(g, a);
        ok(st == L2_ERR_AUTOGRAD && equals(g, before, 6) && !l2_requires_grad(g),
           "%s into the .grad of a leaf its operand was computed from: %s, .grad unchanged",
           ops[k].name, l2_status_name(st));
        l2_tensor *all[] = {x, s, a};
        for (int i = 0; i < 3; i++)
            l2_tensor_release(all[i]);
    }
    ok(l2_live_tensors() == live, "no tensor left: %lld live, %lld before",
       (long long)l2_live_tensors(), (long long)live);
}

int main(void)
{
    leaf_cycle();
    set_grad();
    grad_mode();
    inplace_sweep();
    backward_sweep();
    optimizer_sweep();
    batch_norm_sweep();
    return tap_done();
}
