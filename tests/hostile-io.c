/* hostile-io.c: hostile-input entries for safetensors and IDX files, and for optimizers and
 * learning-rate schedules. */
#include "hostile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Files ------------------------------------------------------------------------------------
 */

/* Load path, demanding a failure with status want (H_ANY, ...) or, when want is 0, accepting a
 * success too. */
static void load_st(const char *path, int want, int line)
{
    l2_clear_error();
    l2_named_tensors *d = l2_load_safetensors(path);
    if (d) {
        if (want)
            h_bad(line, "load_safetensors: succeeded (%d entries) but must fail",
                  l2_named_count(d));
        for (int i = 0; i < l2_named_count(d); i++)
            h_check_valid(l2_named_tensor(d, i), "a loaded tensor", line);
        l2_named_free(d);
        return;
    }
    if (h_msg_ok("load_safetensors", line) && want > 0 && (int)l2_last_status() != want)
        h_bad(line, "load_safetensors: status %s, want %s: %s", l2_status_name(l2_last_status()),
              l2_status_name((l2_status)want), l2_last_error());
}

static const char *st_file(const char *name, const char *json, size_t data_bytes)
{
    static unsigned char buf[4096];
    size_t n = strlen(json);
    uint64_t len = n;
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(len >> (8 * i));
    memcpy(buf + 8, json, n);
    memset(buf + 8 + n, 0x41, data_bytes);
    return h_write_file(name, buf, 8 + n + data_bytes);
}

void h_l2_load_safetensors(void)
{
    static const char *js[] = {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[18446744073709551612,0]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,400000]}}",
        "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}",
        "[]",
        "",
        "{",
        "{\"a\":1}",
        "\"\\u0000\"",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536,65536,65536],\"data_offsets\":[0,0]}}",
        "{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e3],\"data_offsets\":[0,4]}}",
        "{\"__metadata__\":{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"
        "}",
    };
    CASE("NULL path") load_st(NULL, H_ANY, __LINE__);
    CASE("missing file") load_st("/nonexistent/x", L2_ERR_IO, __LINE__);
    CASE("a folder") load_st(h_tmpdir(), H_ANY, __LINE__);
    for (int i = 0; i < (int)(sizeof js / sizeof js[0]); i++)
        CASE("header %d: %.60s", i, js[i]) /* 18 (an empty name) may load */
    load_st(st_file("h.safetensors", js[i], 8), i == 18 ? 0 : L2_ERR_FORMAT, __LINE__);
    static const uint64_t lens[] = {UINT64_MAX, (uint64_t)1 << 63, 200000000, 9, 0};
    for (int i = 0; i < 5; i++)
        CASE("header length %llu", (unsigned long long)lens[i])
        {
            unsigned char b[64] = {0};
            for (int j = 0; j < 8; j++)
                b[j] = (unsigned char)(lens[i] >> (8 * j));
            memcpy(b + 8, "{}", 2);
            load_st(h_write_file("l.st", b, 16),
                    lens[i] == 0 || lens[i] == 9 ? H_ANY : L2_ERR_FORMAT, __LINE__);
        }
    CASE("short file") load_st(h_write_file("s.st", "\x02\0\0", 3), L2_ERR_FORMAT, __LINE__);
}

void h_l2_save_safetensors(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/out.safetensors", h_tmpdir());
    CASE("NULL path")
    FAIL_S(H_ANY, l2_save_safetensors(NULL, 1, (const char *const[]){"a"},
                                      (l2_tensor *const[]){MK(L2_FLOAT32, 1)}));
    CASE("NULL names")
    FAIL_S(H_ANY, l2_save_safetensors(path, 1, NULL, (l2_tensor *const[]){MK(L2_FLOAT32, 1)}));
    CASE("NULL tensors")
    FAIL_S(H_ANY, l2_save_safetensors(path, 1, (const char *const[]){"a"}, NULL));
    CASE("NULL entries")
    {
        FAIL_S(H_ANY, l2_save_safetensors(path, 1, (const char *const[]){NULL},
                                          (l2_tensor *const[]){MK(L2_FLOAT32, 1)}));
        FAIL_S(H_ANY, l2_save_safetensors(path, 1, (const char *const[]){"a"},
                                          (l2_tensor *const[]){NULL}));
    }
    CASE("n -1")
    FAIL_S(H_ANY, l2_save_safetensors(path, -1, (const char *const[]){"a"},
                                      (l2_tensor *const[]){MK(L2_FLOAT32, 1)}));
    static const char *bad[] = {"", "a\"b", "a\\b", "a\nb", "\x01"};
    for (int i = 0; i < 5; i++)
        CASE("name %d", i)
        FAIL_S(L2_ERR_ARG, l2_save_safetensors(path, 1, (const char *const[]){bad[i]},
                                               (l2_tensor *const[]){MK(L2_FLOAT32, 1)}));
    CASE("duplicate names")
    FAIL_S(L2_ERR_ARG,
           l2_save_safetensors(path, 2, (const char *const[]){"a", "a"},
                               (l2_tensor *const[]){MK(L2_FLOAT32, 1), MK(L2_FLOAT32, 1)}));
    CASE("long name")
    {
        char *n = malloc(5000);
        memset(n, 'x', 4999);
        n[4999] = 0;
        FAIL_S(L2_ERR_ARG, l2_save_safetensors(path, 1, (const char *const[]){n},
                                               (l2_tensor *const[]){MK(L2_FLOAT32, 1)}));
        free(n);
    }
    CASE("unwritable path")
    FAIL_S(L2_ERR_IO, l2_save_safetensors("/nonexistent/dir/x.st", 1, (const char *const[]){"a"},
                                          (l2_tensor *const[]){MK(L2_FLOAT32, 1)}));
    CASE("huge expanded tensor")
    FAIL_S(H_ANY, l2_save_safetensors(path, 1, (const char *const[]){"a"},
                                      (l2_tensor *const[]){mk_kind(K_HUGE, L2_FLOAT32)}));
    CASE("every kind, round trip")
    {
        l2_tensor *ts[K_COUNT - 1];
        const char *names[K_COUNT - 1] = {"a", "b", "c", "d", "e", "f", "g"};
        for (int k = 0; k < K_COUNT - 1; k++)
            ts[k] = mk_kind(k, h_dtypes[k % L2_DTYPE_COUNT]);
        if (OK_S(l2_save_safetensors(path, K_COUNT - 1, names, ts)) == L2_OK) {
            l2_named_tensors *d = l2_load_safetensors(path);
            EXPECT(d && l2_named_count(d) == K_COUNT - 1, "reload failed: %s", l2_last_error());
            l2_named_free(d);
        }
    }
}

static l2_named_tensors *one_named(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/n.safetensors", h_tmpdir());
    l2_tensor *t = MK(L2_FLOAT32, 2);
    if (l2_save_safetensors(path, 1, (const char *const[]){"w"}, &t) != L2_OK)
        return NULL;
    return l2_load_safetensors(path);
}

void h_l2_named_count(void)
{
    CASE("NULL") EXPECT(l2_named_count(NULL) == 0, "not 0");
}

void h_l2_named_name(void)
{
    CASE("NULL") FAIL_T(H_ANY, (l2_tensor *)l2_named_name(NULL, 0));
    static const int ix[] = {-1, 1, INT_MAX, INT_MIN};
    for (int i = 0; i < 4; i++)
        CASE("index %d", ix[i])
        {
            l2_named_tensors *d = one_named();
            FAIL_T(L2_ERR_INDEX, (l2_tensor *)l2_named_name(d, ix[i]));
            l2_named_free(d);
        }
}

void h_l2_named_tensor(void)
{
    CASE("NULL") FAIL_T(H_ANY, l2_named_tensor(NULL, 0));
    static const int ix[] = {-1, 1, INT_MAX, INT_MIN};
    for (int i = 0; i < 4; i++)
        CASE("index %d", ix[i])
        {
            l2_named_tensors *d = one_named();
            FAIL_T(L2_ERR_INDEX, l2_named_tensor(d, ix[i]));
            l2_named_free(d);
        }
}

void h_l2_named_get(void)
{
    CASE("NULL d") FAIL_T(H_ANY, l2_named_get(NULL, "w"));
    CASE("NULL name")
    {
        l2_named_tensors *d = one_named();
        FAIL_T(H_ANY, l2_named_get(d, NULL));
        l2_named_free(d);
    }
    CASE("missing name")
    {
        l2_named_tensors *d = one_named();
        FAIL_T(L2_ERR_ARG, l2_named_get(d, "nope"));
        l2_named_free(d);
    }
}

void h_l2_named_free(void)
{
    CASE("NULL") l2_named_free(NULL);
}

static const char *idx_file(const unsigned char *hdr, size_t n, size_t extra)
{
    static unsigned char buf[1024];
    memcpy(buf, hdr, n);
    memset(buf + n, 7, extra);
    return h_write_file("f.idx", buf, n + extra);
}

void h_l2_load_idx(void)
{
    CASE("NULL path") FAIL_T(H_ANY, l2_load_idx(NULL, true));
    CASE("missing file") FAIL_T(L2_ERR_IO, l2_load_idx("/nonexistent/x", true));
    CASE("empty file") FAIL_T(L2_ERR_FORMAT, l2_load_idx(h_write_file("e.idx", "", 0), true));
    static const unsigned char dims4[] = {0, 0, 8, 4, 0, 1, 0, 0, 0, 1,
                                          0, 0, 0, 1, 0, 0, 0, 1, 0, 0};
    CASE("u8 dims 65536^4") FAIL_T(H_ANY, l2_load_idx(idx_file(dims4, sizeof dims4, 16), true));
    static const unsigned char dimsff[] = {0,    0,    0x0d, 2,    0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CASE("float dims 2^32-1 squared") FAIL_T(H_ANY, l2_load_idx(idx_file(dimsff, 12, 16), false));
    static const unsigned char rank[] = {0, 0, 8, 0xff, 0, 0, 0, 1};
    CASE("rank 255") FAIL_T(L2_ERR_FORMAT, l2_load_idx(idx_file(rank, 8, 16), true));
    static const unsigned char rank9[] = {0, 0, 8, 9};
    CASE("rank 9")
    {
        unsigned char b[4 + 36] = {0};
        memcpy(b, rank9, 4);
        for (int i = 0; i < 9; i++)
            b[4 + 4 * i + 3] = 1;
        FAIL_T(H_ANY, l2_load_idx(idx_file(b, sizeof b, 1), true));
    }
    static const unsigned char badtype[] = {0, 0, 0x42, 1, 0, 0, 0, 1};
    CASE("unknown type") FAIL_T(L2_ERR_FORMAT, l2_load_idx(idx_file(badtype, 8, 1), true));
    static const unsigned char magic[] = {1, 2, 8, 1, 0, 0, 0, 1};
    CASE("bad magic") FAIL_T(L2_ERR_FORMAT, l2_load_idx(idx_file(magic, 8, 1), true));
    static const unsigned char trunc[] = {0, 0, 8, 2, 0, 0, 0, 2};
    CASE("truncated dims") FAIL_T(L2_ERR_FORMAT, l2_load_idx(idx_file(trunc, 8, 0), true));
    static const unsigned char i32[] = {0, 0, 0x0c, 1, 0, 0, 0, 3};
    CASE("truncated data") FAIL_T(L2_ERR_FORMAT, l2_load_idx(idx_file(i32, 8, 5), true));
    CASE("trailing bytes") FAIL_T(L2_ERR_FORMAT, l2_load_idx(idx_file(i32, 8, 13), true));
    static const unsigned char gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3};
    CASE("truncated gzip") FAIL_T(H_ANY, l2_load_idx(idx_file(gz, sizeof gz, 0), true));
    static const unsigned char zero[] = {0, 0, 8, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    CASE("zero dim times 2^32-1") ANY_T(l2_load_idx(idx_file(zero, 12, 0), true));
}

/* ---- Optimizers -------------------------------------------------------------------------------
 */

typedef struct {
    int n;
    double v;
} opt_arg;

void h_l2_sgd_defaults(void)
{
    for (int i = 0; i < h_nscalars; i++)
        CASE("lr %g", h_scalars[i])(void) l2_sgd_defaults(h_scalars[i]);
}

void h_l2_adam_defaults(void)
{
    CASE("values")
    {
        l2_adam_options o = l2_adam_defaults();
        EXPECT(o.lr == 1e-3, "lr %g", o.lr);
    }
}

void h_l2_adamw_defaults(void)
{
    CASE("values")
    {
        l2_adam_options o = l2_adamw_defaults();
        EXPECT(o.weight_decay == 1e-2, "weight_decay %g", o.weight_decay);
    }
}

static l2_tensor *param(void)
{
    return mk_leaf(L2_FLOAT32);
}

static void opt_common(l2_optimizer *(*make)(int, l2_tensor *const *, const void *),
                       const void *good)
{
    CASE("n -1") FAIL_T(H_ANY, (l2_tensor *)make(-1, (l2_tensor *const[]){param()}, good));
    CASE("NULL params") FAIL_T(H_ANY, (l2_tensor *)make(1, NULL, good));
    CASE("NULL param") FAIL_T(H_ANY, (l2_tensor *)make(1, (l2_tensor *const[]){NULL}, good));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        CASE("%s param without grad", l2_dtype_name(h_dtypes[d]))
    FAIL_T(L2_ERR_ARG, (l2_tensor *)make(1, (l2_tensor *const[]){MK(h_dtypes[d], 2)}, good));
    CASE("non-contiguous leaf")
    {
        l2_tensor *p = l2_clone(mk_kind(K_NONCONTIG, L2_FLOAT32));
        p = l2_as_strided(p, L2_SHAPE(3, 2), (const int64_t[]){1, 3}, 0);
        ANY_T((l2_tensor *)make(1, (l2_tensor *const[]){p}, good));
    }
    CASE("the same param twice, steps with odd grads")
    {
        l2_tensor *p = param();
        l2_optimizer *o = make(2, (l2_tensor *const[]){p, p}, good);
        if (!o)
            h_msg_ok("make", __LINE__);
        l2_backward(l2_sum(l2_mul(p, mk_kind(K_SPECIAL, L2_FLOAT32))), NULL, false);
        ANY_S(l2_optimizer_step(o));
        ANY_S(l2_optimizer_zero_grad(o, false));
        ANY_S(l2_optimizer_step(o));
        l2_optimizer_free(o);
    }
    CASE("n 0")
    {
        l2_optimizer *o = make(0, NULL, good);
        if (o)
            ANY_S(l2_optimizer_step(o));
        else
            h_msg_ok("n 0", __LINE__);
        l2_optimizer_free(o);
    }
}

static l2_optimizer *mk_sgd(int n, l2_tensor *const *p, const void *o)
{
    return l2_sgd(n, p, *(const l2_sgd_options *)o);
}

static l2_optimizer *mk_adam(int n, l2_tensor *const *p, const void *o)
{
    return l2_adam(n, p, *(const l2_adam_options *)o);
}

static l2_optimizer *mk_adamw(int n, l2_tensor *const *p, const void *o)
{
    return l2_adamw(n, p, *(const l2_adam_options *)o);
}

void h_l2_sgd(void)
{
    l2_sgd_options g = l2_sgd_defaults(0.1);
    opt_common(mk_sgd, &g);
    static const double bad[] = {-1, NAN, -INFINITY};
    for (int i = 0; i < 3; i++) {
        l2_sgd_options o = g;
        o.lr = bad[i];
        CASE("lr %g", bad[i])
        FAIL_T(L2_ERR_ARG, (l2_tensor *)mk_sgd(1, (l2_tensor *const[]){param()}, &o));
        o = g;
        o.momentum = bad[i];
        CASE("momentum %g", bad[i])
        FAIL_T(L2_ERR_ARG, (l2_tensor *)mk_sgd(1, (l2_tensor *const[]){param()}, &o));
        o = g;
        o.weight_decay = bad[i];
        CASE("weight_decay %g", bad[i])
        FAIL_T(L2_ERR_ARG, (l2_tensor *)mk_sgd(1, (l2_tensor *const[]){param()}, &o));
    }
    l2_sgd_options o = g;
    o.nesterov = true;
    CASE("nesterov without momentum")
    FAIL_T(L2_ERR_ARG, (l2_tensor *)mk_sgd(1, (l2_tensor *const[]){param()}, &o));
}

static void adam_sweep(l2_optimizer *(*make)(int, l2_tensor *const *, const void *),
                       l2_adam_options g)
{
    opt_common(make, &g);
    static const double bad[] = {-1, NAN, 1, 1.5};
    for (int i = 0; i < 4; i++) {
        l2_adam_options o = g;
        o.beta1 = bad[i];
        CASE("beta1 %g", bad[i])
        FAIL_T(L2_ERR_ARG, (l2_tensor *)make(1, (l2_tensor *const[]){param()}, &o));
        o = g;
        o.beta2 = bad[i];
        CASE("beta2 %g", bad[i])
        FAIL_T(L2_ERR_ARG, (l2_tensor *)make(1, (l2_tensor *const[]){param()}, &o));
    }
    l2_adam_options o = g;
    o.lr = -1;
    CASE("lr -1") FAIL_T(L2_ERR_ARG, (l2_tensor *)make(1, (l2_tensor *const[]){param()}, &o));
    o = g;
    o.eps = NAN;
    CASE("eps NaN")
    {
        l2_optimizer *op = make(1, (l2_tensor *const[]){param()}, &o);
        if (!op)
            h_msg_ok("eps NaN", __LINE__);
        l2_optimizer_free(op);
    }
}

void h_l2_adam(void)
{
    adam_sweep(mk_adam, l2_adam_defaults());
}

void h_l2_adamw(void)
{
    adam_sweep(mk_adamw, l2_adamw_defaults());
}

static l2_optimizer *an_opt(l2_tensor *p)
{
    return l2_sgd(1, &p, l2_sgd_defaults(0.1));
}

void h_l2_optimizer_step(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_optimizer_step(NULL));
    CASE("grad of another shape")
    {
        l2_tensor *p = param();
        l2_optimizer *o = an_opt(p);
        l2_tensor *q = l2_clone(MK(L2_FLOAT32, 7));
        l2_set_requires_grad(q, true);
        l2_backward(l2_sum(l2_mul(l2_sum(p), q)), NULL, false);
        ANY_S(l2_optimizer_step(o));
        l2_optimizer_free(o);
    }
    CASE("param released by the caller first")
    {
        l2_tensor *p = l2_tensor_ref(param());
        l2_optimizer *o = an_opt(p);
        l2_tensor_release(p);
        ANY_S(l2_optimizer_step(o));
        l2_optimizer_free(o);
    }
    CASE("grad mode off, param frozen after")
    {
        l2_tensor *p = param();
        l2_optimizer *o = an_opt(p);
        l2_backward(l2_sum(p), NULL, false);
        l2_no_grad_begin();
        ANY_S(l2_optimizer_step(o));
        l2_no_grad_end();
        l2_optimizer_free(o);
    }
}

void h_l2_optimizer_zero_grad(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_optimizer_zero_grad(NULL, true));
}

void h_l2_optimizer_set_lr(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_optimizer_set_lr(NULL, 0.1));
    for (int i = 0; i < h_nscalars; i++)
        CASE("lr %g", h_scalars[i])
        {
            l2_optimizer *o = an_opt(param());
            if (h_scalars[i] < 0 || isnan(h_scalars[i]))
                FAIL_S(L2_ERR_ARG, l2_optimizer_set_lr(o, h_scalars[i]));
            else
                ANY_S(l2_optimizer_set_lr(o, h_scalars[i]));
            l2_optimizer_free(o);
        }
}

void h_l2_optimizer_get_lr(void)
{
    CASE("NULL") NULL_MSG(l2_optimizer_get_lr(NULL));
}

void h_l2_optimizer_state(void)
{
    static const int idx[] = {-1, 1, INT_MAX, INT_MIN};
    static const char *const names[] = {"", "exp_avg", "step", "momentum_buffer\n"};
    CASE("NULL optimizer") FAIL_T(L2_ERR_NULL, l2_optimizer_state(NULL, 0, "momentum_buffer"));
    CASE("NULL name")
    {
        l2_optimizer *o = an_opt(param());
        FAIL_T(H_ANY, l2_optimizer_state(o, 0, NULL));
        l2_optimizer_free(o);
    }
    for (int i = 0; i < 4; i++)
        CASE("index %d", idx[i])
        {
            l2_optimizer *o = an_opt(param());
            FAIL_T(L2_ERR_INDEX, l2_optimizer_state(o, idx[i], "momentum_buffer"));
            l2_optimizer_free(o);
        }
    for (int i = 0; i < 4; i++)
        CASE("name '%s' for SGD", names[i])
        {
            l2_optimizer *o = an_opt(param());
            FAIL_T(L2_ERR_ARG, l2_optimizer_state(o, 0, names[i]));
            l2_optimizer_free(o);
        }
}

void h_l2_optimizer_step_count(void)
{
    CASE("NULL") EXPECT(l2_optimizer_step_count(NULL, 0) == -1 && l2_last_error()[0], "no -1");
    static const int idx[] = {-1, 1, INT_MAX, INT_MIN};
    for (int i = 0; i < 4; i++)
        CASE("index %d", idx[i])
        {
            l2_optimizer *o = an_opt(param());
            EXPECT(l2_optimizer_step_count(o, idx[i]) == -1 && l2_last_status() == L2_ERR_INDEX,
                   "index out of range is not L2_ERR_INDEX");
            l2_optimizer_free(o);
        }
}

void h_l2_optimizer_free(void)
{
    CASE("NULL") l2_optimizer_free(NULL);
}

void h_l2_lr_step(void)
{
    static const int64_t v[] = {0, -1, INT64_MIN, INT64_MAX};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            CASE("epoch %lld step_size %lld", (long long)v[i], (long long)v[j])
    (void)l2_lr_step(0.1, v[i], v[j], 0.5);
}

void h_l2_lr_cosine(void)
{
    static const int64_t v[] = {0, -1, INT64_MIN, INT64_MAX};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            CASE("epoch %lld t_max %lld", (long long)v[i], (long long)v[j])
    (void)l2_lr_cosine(0.1, v[i], v[j], 0.0);
}
