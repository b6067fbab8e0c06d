/* hostile-autograd.c: hostile-input entries for DLPack exchange, autograd and configuration. */
#include "hostile.h"

#include <dlpack/dlpack.h>
#include <string.h>

/* ---- DLPack -----------------------------------------------------------------------------------
 */

static int dl_deleted;
static void dl_deleter(DLManagedTensor *m)
{
    (void)m;
    dl_deleted++;
}

typedef struct {
    DLManagedTensor m;
    int64_t shape[16], strides[16];
    double data[16];
} dl_box;

static DLManagedTensor *dl_make(dl_box *b, int ndim)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < 16; i++)
        b->shape[i] = 1, b->strides[i] = 1;
    b->m.dl_tensor.data = b->data;
    b->m.dl_tensor.device.device_type = kDLCPU;
    b->m.dl_tensor.ndim = ndim;
    b->m.dl_tensor.dtype.code = kDLFloat;
    b->m.dl_tensor.dtype.bits = 64;
    b->m.dl_tensor.dtype.lanes = 1;
    b->m.dl_tensor.shape = b->shape;
    b->m.dl_tensor.strides = b->strides;
    b->m.deleter = dl_deleter;
    return &b->m;
}

void h_l2_from_dlpack(void)
{
    static dl_box b;
    static const int64_t big[] = {INT64_MAX, (int64_t)1 << 62, (int64_t)1 << 61, INT64_MIN, -1};
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_from_dlpack(NULL));
    for (int i = 0; i < 5; i++) {
        CASE("stride %lld", (long long)big[i])
        {
            DLManagedTensor *m = dl_make(&b, 2);
            b.shape[0] = 2;
            b.strides[0] = big[i];
            FAIL_T(H_ANY, l2_from_dlpack(m));
            EXPECT(dl_deleted == 1, "deleter called %d times", dl_deleted);
        }
        CASE("shape %lld", (long long)big[i])
        {
            DLManagedTensor *m = dl_make(&b, 1);
            b.shape[0] = big[i];
            FAIL_T(H_ANY, l2_from_dlpack(m));
            EXPECT(dl_deleted == 1, "deleter called %d times", dl_deleted);
        }
    }
    static const uint64_t offs[] = {UINT64_MAX - 7, (uint64_t)1 << 63, ((uint64_t)1 << 63) + 8,
                                    UINT64_MAX, 3};
    for (int i = 0; i < 5; i++)
        CASE("byte_offset %llu", (unsigned long long)offs[i])
        {
            DLManagedTensor *m = dl_make(&b, 1);
            b.m.dl_tensor.byte_offset = offs[i];
            FAIL_T(H_ANY, l2_from_dlpack(m));
            EXPECT(dl_deleted == 1, "deleter called %d times", dl_deleted);
        }
    static const int nd[] = {-1, 9, INT32_MAX, INT32_MIN};
    for (int i = 0; i < 4; i++)
        CASE("ndim %d", nd[i])
        {
            FAIL_T(H_ANY, l2_from_dlpack(dl_make(&b, nd[i])));
            EXPECT(dl_deleted == 1, "deleter called %d times", dl_deleted);
        }
    /* float16 and bfloat16 (kDLFloat / kDLBfloat, 16 bits, 1 lane) are accepted since issue 16 */
    static const int dt[][3] = {{kDLFloat, 16, 2},  {kDLFloat, 64, 4}, {kDLInt, 32, 1},
                                {kDLBfloat, 32, 1}, {kDLUInt, 8, 2},   {99, 64, 1},
                                {kDLFloat, 64, 0},  {kDLBfloat, 16, 4}, {kDLFloat, 8, 1}};
    for (int i = 0; i < 2; i++)
        CASE("dtype %s (code %d bits 16)", i ? "bfloat16" : "float16", i ? kDLBfloat : kDLFloat)
        {
            DLManagedTensor *m = dl_make(&b, 1);
            b.m.dl_tensor.dtype.code = (uint8_t)(i ? kDLBfloat : kDLFloat);
            b.m.dl_tensor.dtype.bits = 16;
            b.m.dl_tensor.dtype.lanes = 1;
            l2_tensor *r = OK_T(l2_from_dlpack(m));
            EXPECT(r && l2_dtype_of(r) == (i ? L2_BFLOAT16 : L2_FLOAT16), "wrong dtype");
            struct DLManagedTensor *e = r ? l2_to_dlpack(r) : NULL;
            EXPECT(e && e->dl_tensor.dtype.bits == 16 &&
                       e->dl_tensor.dtype.code == (i ? kDLBfloat : kDLFloat),
                   "exported with the wrong dtype");
            if (e)
                e->deleter(e);
        }
    for (int i = 0; i < 9; i++)
        CASE("dtype code %d bits %d lanes %d", dt[i][0], dt[i][1], dt[i][2])
        {
            DLManagedTensor *m = dl_make(&b, 1);
            b.m.dl_tensor.dtype.code = (uint8_t)dt[i][0];
            b.m.dl_tensor.dtype.bits = (uint8_t)dt[i][1];
            b.m.dl_tensor.dtype.lanes = (uint16_t)dt[i][2];
            FAIL_T(L2_ERR_UNSUPPORTED, l2_from_dlpack(m));
            EXPECT(dl_deleted == 1, "deleter called %d times", dl_deleted);
        }
    CASE("CUDA device")
    {
        DLManagedTensor *m = dl_make(&b, 1);
        b.m.dl_tensor.device.device_type = kDLCUDA;
        FAIL_T(L2_ERR_UNSUPPORTED, l2_from_dlpack(m));
        EXPECT(dl_deleted == 1, "deleter called %d times", dl_deleted);
    }
    CASE("NULL shape with ndim 2")
    {
        DLManagedTensor *m = dl_make(&b, 2);
        b.m.dl_tensor.shape = NULL;
        FAIL_T(H_ANY, l2_from_dlpack(m));
        EXPECT(dl_deleted == 1, "deleter called %d times", dl_deleted);
    }
    CASE("NULL data with elements")
    {
        DLManagedTensor *m = dl_make(&b, 1);
        b.m.dl_tensor.data = NULL;
        FAIL_T(H_ANY, l2_from_dlpack(m));
        EXPECT(dl_deleted == 1, "deleter called %d times", dl_deleted);
    }
    CASE("NULL deleter, NULL strides")
    {
        DLManagedTensor *m = dl_make(&b, 2);
        b.m.deleter = NULL;
        b.m.dl_tensor.strides = NULL;
        b.shape[0] = 4;
        b.shape[1] = 4;
        OK_T(l2_from_dlpack(m));
    }
}

void h_l2_to_dlpack(void)
{
    CASE("NULL")
    {
        l2_clear_error();
        EXPECT(l2_to_dlpack(NULL) == NULL, "not NULL");
        h_msg_ok("to_dlpack(NULL)", __LINE__);
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s, round trip", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                DLManagedTensor *m = l2_to_dlpack(mk_kind(k, h_dtypes[d]));
                if (!m)
                    h_msg_ok("to_dlpack", __LINE__);
                else
                    ANY_T(l2_from_dlpack(m));
            }
}

/* ---- Autograd ---------------------------------------------------------------------------------
 */

void h_l2_set_requires_grad(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_set_requires_grad(NULL, true));
    for (int d = 2; d < 4; d++) /* int64, bool; bfloat16 / float16 may require grad (issue 16) */
        CASE("%s", l2_dtype_name(h_dtypes[d]))
    FAIL_S(L2_ERR_DTYPE, l2_set_requires_grad(MK(h_dtypes[d], 2), true));
    CASE("off on a non-leaf")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        FAIL_S(L2_ERR_AUTOGRAD, l2_set_requires_grad(l2_mul(x, x), false));
    }
    for (int k = 0; k < K_COUNT; k++)
        CASE("%s", h_kind_name[k]) ANY_S(l2_set_requires_grad(mk_kind(k, L2_FLOAT64), true));
}

void h_l2_requires_grad(void)
{
    CASE("NULL") NULL_MSG(l2_requires_grad(NULL));
}

void h_l2_is_leaf(void)
{
    CASE("NULL") NULL_MSG(l2_is_leaf(NULL));
}

void h_l2_grad(void)
{
    CASE("NULL") NULL_MSG(l2_grad(NULL));
}

void h_l2_grad_fn_name(void)
{
    CASE("NULL") NULL_MSG(l2_grad_fn_name(NULL));
}

static void sweep_grad_status(l2_status (*f)(l2_tensor *))
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, f(NULL));
    for (int k = 0; k < K_COUNT; k++)
        CASE("%s int64", h_kind_name[k]) ANY_S(f(mk_kind(k, L2_INT64)));
    CASE("non-leaf, after backward")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_tensor *y = l2_mul(x, x);
        ANY_S(f(y));
        l2_backward(l2_sum(y), NULL, false);
        ANY_S(f(x));
        ANY_S(f(y));
    }
}

void h_l2_zero_grad(void)
{
    sweep_grad_status(l2_zero_grad);
}

void h_l2_set_grad_none(void)
{
    sweep_grad_status(l2_set_grad_none);
}

void h_l2_retain_grad(void)
{
    sweep_grad_status(l2_retain_grad);
}

/* x + 1 + 1 ... (100000 nodes), made in a scope (the result kept). */
static l2_tensor *chain(l2_tensor *x)
{
    l2_tensor *y = x;
    l2_scope_begin();
    for (int i = 0; i < 100000 && y; i++)
        y = l2_add_scalar(y, 1);
    l2_keep(y);
    l2_scope_end();
    return y;
}

void h_l2_backward(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_backward(NULL, NULL, false));
    CASE("does not require grad")
    FAIL_S(L2_ERR_AUTOGRAD, l2_backward(MK(L2_FLOAT32, 1), NULL, false));
    CASE("NULL grad for 2 elements")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        FAIL_S(H_ANY, l2_backward(l2_mul(x, x), NULL, false));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("grad_output %s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                l2_tensor *x = mk_leaf(L2_FLOAT32);
                ANY_S(l2_backward(l2_mul(x, x), mk_kind(k, h_dtypes[d]), false));
            }
    CASE("twice without retain_graph")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT64);
        l2_tensor *y = l2_sum(l2_mul(x, x));
        OK_S(l2_backward(y, NULL, false));
        FAIL_S(L2_ERR_AUTOGRAD, l2_backward(y, NULL, false));
    }
    CASE("a leaf itself")
    ANY_S(l2_backward(mk_leaf(L2_FLOAT32), mk_kind(K_SMALL, L2_FLOAT32), false));
    CASE("grad mode off")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_tensor *y = l2_sum(l2_mul(x, x));
        l2_no_grad_begin();
        ANY_S(l2_backward(y, NULL, false));
        l2_no_grad_end();
    }
    CASE("a chain of 100000 ops")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32), *y = chain(x);
        ANY_S(l2_backward(l2_sum(y), NULL, false));
    }
}

void h_l2_autograd_grad(void)
{
    l2_tensor *g[2];
    CASE("NULL outputs")
    FAIL_S(L2_ERR_NULL,
           l2_autograd_grad(1, NULL, NULL, 1, (l2_tensor *const[]){NULL}, g, false, false));
    CASE("NULL grads")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_tensor *y = l2_sum(x);
        FAIL_S(L2_ERR_NULL, l2_autograd_grad(1, &y, NULL, 1, &x, NULL, false, false));
    }
    CASE("NULL input entry")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_tensor *y = l2_sum(x);
        FAIL_S(H_ANY,
               l2_autograd_grad(1, &y, NULL, 1, (l2_tensor *const[]){NULL}, g, false, false));
    }
    static const int ns[] = {-1, 0, INT_MIN};
    for (int i = 0; i < 3; i++)
        CASE("n %d", ns[i])
        {
            l2_tensor *x = mk_leaf(L2_FLOAT32);
            l2_tensor *y = l2_sum(x);
            ANY_S(l2_autograd_grad(ns[i], &y, NULL, 1, &x, g, false, false));
            ANY_S(l2_autograd_grad(1, &y, NULL, ns[i], &x, g, false, false));
        }
    CASE("unused input, not allowed")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32), *z = mk_leaf(L2_FLOAT64);
        l2_tensor *y = l2_sum(x);
        g[0] = g[1] = (l2_tensor *)1;
        FAIL_S(L2_ERR_AUTOGRAD,
               l2_autograd_grad(1, &y, NULL, 2, (l2_tensor *const[]){x, z}, g, false, false));
    }
    CASE("grad_output of the wrong shape")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_tensor *y = l2_mul(x, x);
        FAIL_S(H_ANY, l2_autograd_grad(1, &y, (l2_tensor *const[]){MK(L2_FLOAT32, 7)}, 1, &x, g,
                                       false, false));
    }
    CASE("input that does not require grad")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32), *c = MK(L2_FLOAT32, 2, 3);
        l2_tensor *y = l2_sum(l2_mul(x, c));
        l2_status s = ANY_S(l2_autograd_grad(1, &y, NULL, 1, &c, g, false, true));
        if (s == L2_OK)
            l2_tensor_release(g[0]);
    }
}

/* create_graph (issue 15) */
void h_l2_backward_ex(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_backward_ex(NULL, NULL, true, true));
    CASE("does not require grad")
    FAIL_S(L2_ERR_AUTOGRAD, l2_backward_ex(MK(L2_FLOAT32, 1), NULL, false, true));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("create_graph, grad_output %s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                l2_tensor *x = mk_leaf(L2_FLOAT32);
                ANY_S(l2_backward_ex(l2_mul(x, x), mk_kind(k, h_dtypes[d]), true, true));
                l2_set_grad_none(x);
            }
    CASE("create_graph twice without retain_graph")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT64);
        l2_tensor *y = l2_sum(l2_mul(x, x));
        OK_S(l2_backward_ex(y, NULL, false, true));
        FAIL_S(L2_ERR_AUTOGRAD, l2_backward_ex(y, NULL, false, true));
        l2_set_grad_none(x);
    }
    CASE("create_graph, grad mode off")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_tensor *y = l2_sum(l2_mul(x, x));
        l2_no_grad_begin();
        ANY_S(l2_backward_ex(y, NULL, false, true));
        l2_no_grad_end();
        l2_set_grad_none(x);
    }
    CASE("create_graph through a chain of 100000 ops")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32), *y = chain(x);
        ANY_S(l2_backward_ex(l2_sum(y), NULL, false, true));
        l2_set_grad_none(x);
    }
}

void h_l2_autograd_grad_ex(void)
{
    l2_tensor *g[2];
    CASE("NULL outputs")
    FAIL_S(L2_ERR_NULL, l2_autograd_grad_ex(1, NULL, NULL, 1, (l2_tensor *const[]){NULL}, g,
                                            true, true, false));
    CASE("NULL grads")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_tensor *y = l2_sum(x);
        FAIL_S(L2_ERR_NULL, l2_autograd_grad_ex(1, &y, NULL, 1, &x, NULL, true, true, false));
    }
    static const int ns[] = {-1, 0, INT_MIN, 65};
    for (int i = 0; i < 4; i++)
        CASE("n %d", ns[i])
        {
            l2_tensor *x = mk_leaf(L2_FLOAT32);
            l2_tensor *y = l2_sum(x);
            ANY_S(l2_autograd_grad_ex(ns[i], &y, NULL, 1, &x, g, true, true, false));
            if (ns[i] <= 1) /* a longer count would read past the one-element arrays given */
                ANY_S(l2_autograd_grad_ex(1, &y, NULL, ns[i], &x, g, true, true, false));
        }
    CASE("grad_output of the wrong shape")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        l2_tensor *y = l2_mul(x, x);
        FAIL_S(H_ANY, l2_autograd_grad_ex(1, &y, (l2_tensor *const[]){MK(L2_FLOAT32, 7)}, 1,
                                          &x, g, true, true, false));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("grad_output %s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                l2_tensor *x = mk_leaf(L2_FLOAT32);
                l2_tensor *y = l2_mul(x, x);
                l2_status s = ANY_S(l2_autograd_grad_ex(
                    1, &y, (l2_tensor *const[]){mk_kind(k, h_dtypes[d])}, 1, &x, g, true, true,
                    false));
                if (s == L2_OK)
                    l2_tensor_release(g[0]);
            }
}

void h_l2_has_double_backward(void)
{
    CASE("NULL") EXPECT(!l2_has_double_backward(NULL), "NULL has one");
    CASE("empty") EXPECT(!l2_has_double_backward(""), "empty name has one");
    CASE("long name")
    {
        static char big[70000];
        memset(big, 'a', sizeof big - 1);
        EXPECT(!l2_has_double_backward(big), "long name has one");
    }
    CASE("known") EXPECT(l2_has_double_backward("mul"), "mul has none");
}

void h_l2_no_grad_begin(void)
{
    CASE("100000 nested")
    {
        for (int i = 0; i < 100000; i++)
            l2_no_grad_begin();
        EXPECT(!l2_is_grad_enabled(), "grad on");
        for (int i = 0; i < 100000; i++)
            l2_no_grad_end();
        EXPECT(l2_is_grad_enabled(), "grad off after ending them all");
    }
}

void h_l2_no_grad_end(void)
{
    CASE("without begin")
    {
        l2_no_grad_end();
        EXPECT(l2_is_grad_enabled(), "grad mode off after an unmatched end");
        l2_no_grad_begin();
        EXPECT(!l2_is_grad_enabled(), "grad mode on inside no_grad after an unmatched end");
        l2_no_grad_end();
    }
}

void h_l2_set_grad_enabled(void)
{
    CASE("inside no_grad")
    {
        l2_no_grad_begin();
        EXPECT(l2_set_grad_enabled(true) == false, "previous mode");
        l2_no_grad_end();
        l2_set_grad_enabled(true);
    }
}

void h_l2_is_grad_enabled(void)
{
    CASE("default") EXPECT(l2_is_grad_enabled(), "off by default");
}

/* ---- Configuration ----------------------------------------------------------------------------
 */

void h_l2_debug_fail_alloc_after(void)
{
    static const int64_t v[] = {0, 1, 5, INT64_MAX, INT64_MIN, -1};
    for (int i = 0; i < 6; i++)
        CASE("after %lld, then ops", (long long)v[i])
        {
            l2_tensor *a = MK(L2_FLOAT32, 2, 2), *b = MK(L2_FLOAT32, 2, 2);
            l2_debug_fail_alloc_after(v[i]);
            ANY_T(l2_matmul(a, b));
            l2_debug_fail_alloc_after(-1);
        }
}

void h_l2_live_tensors(void)
{
    CASE("a tensor made and released in a failing-allocation state")
    {
        int64_t before = l2_live_tensors();
        l2_debug_fail_alloc_after(0);
        ANY_T(l2_zeros(L2_SHAPE(2), L2_FLOAT32));
        l2_debug_fail_alloc_after(-1);
        EXPECT(l2_live_tensors() == before, "a failed creation changed the live count");
    }
}

void h_l2_get_memory_stats(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_get_memory_stats(NULL));
    CASE("after a refused huge creation")
    {
        l2_memory_stats a, b;
        OK_S(l2_get_memory_stats(&a));
        FAIL_T(H_BIG, l2_empty(L2_SHAPE(H_BIGSZ, 4), L2_FLOAT64));
        OK_S(l2_get_memory_stats(&b));
        EXPECT(a.bytes_in_use == b.bytes_in_use && b.peak_bytes >= b.bytes_in_use,
               "a refused creation changed the byte count");
    }
}

void h_l2_reset_peak_memory(void)
{
    CASE("twice, then stats")
    {
        l2_reset_peak_memory();
        l2_reset_peak_memory();
        l2_memory_stats m;
        OK_S(l2_get_memory_stats(&m));
        EXPECT(m.peak_bytes == m.bytes_in_use, "the peak is not the current use after a reset");
    }
}

void h_l2_empty_cache(void)
{
    CASE("twice, with a block cached, then stats")
    {
        l2_tensor *t = l2_empty(L2_SHAPE(1 << 16), L2_FLOAT32);
        EXPECT(t != NULL, "creation failed");
        l2_tensor_release(t);
        l2_empty_cache();
        l2_empty_cache();
        l2_memory_stats m;
        OK_S(l2_get_memory_stats(&m));
        EXPECT(m.bytes_cached == 0, "bytes are still cached after l2_empty_cache");
    }
}

void h_l2_alloc_cache_enabled(void)
{
    CASE("stable")
    {
        bool a = l2_alloc_cache_enabled();
        EXPECT(a == l2_alloc_cache_enabled(), "the answer changed between two calls");
    }
}

void h_l2_set_num_threads(void)
{
    static const int v[] = {0, -1, INT_MIN};
    for (int i = 0; i < 3; i++)
        CASE("%d", v[i]) FAIL_S(L2_ERR_ARG, l2_set_num_threads(v[i]));
    CASE("INT_MAX") ANY_S(l2_set_num_threads(INT_MAX));
}

void h_l2_get_num_threads(void)
{
    CASE("at least 1") EXPECT(l2_get_num_threads() >= 1, "%d", l2_get_num_threads());
}

void h_l2_threshold(void)
{
    CASE("NULL") {
        l2_clear_error();
        EXPECT(l2_threshold(NULL) == -1 && l2_last_status() == L2_ERR_NULL, "%s",
               l2_last_error());
    }
    static const char *bad[] = {"", "parallel_grain ", "PARALLEL_GRAIN", "x"};
    for (int i = 0; i < 4; i++)
        CASE("\"%s\"", bad[i]) {
            l2_clear_error();
            EXPECT(l2_threshold(bad[i]) == -1 && l2_last_status() == L2_ERR_ARG &&
                   l2_last_error()[0], "%s", l2_last_error());
        }
}

void h_l2_threshold_name(void)
{
    static const int v[] = {-1, INT_MIN, INT_MAX, 1000};
    for (int i = 0; i < 4; i++)
        CASE("%d", v[i]) EXPECT(l2_threshold_name(v[i]) == NULL, "not NULL");
}

/* vmath (issue 12): the vector math switch, then the vector-math ops on hostile layouts. */
void h_l2_debug_vector_math(void)
{
    CASE("off, on, then ops on strided and overlapping inputs")
    {
        EXPECT(!l2_debug_vector_math(false), "still on after off");
        bool on = l2_debug_vector_math(true);
        (void)on;
        OK_T(l2_exp(mk_kind(K_NONCONTIG, L2_FLOAT32)));
        OK_T(l2_tanh(mk_kind(K_OVERLAP, L2_FLOAT64)));
        OK_T(l2_gelu(mk_kind(K_EXPANDED, L2_FLOAT32), true));
    }
}

/* issue 17: the grad-ready hook: a failing hook fails the backward and changes no .grad; NULL
 * clears it; a hook with a NULL context is fine. */
static l2_status h_fail_hook(l2_tensor *leaf, const l2_tensor *grad, void *ctx)
{
    (void)leaf;
    (void)grad;
    (void)ctx;
    return L2_ERR_ARG;
}
static l2_status h_ok_hook(l2_tensor *leaf, const l2_tensor *grad, void *ctx)
{
    (void)leaf;
    (void)ctx;
    return grad ? L2_OK : L2_ERR_NULL;
}

void h_l2_set_grad_ready_hook(void)
{
    CASE("NULL clears")
    {
        l2_set_grad_ready_hook(NULL, NULL);
        l2_tensor *x = mk_leaf(L2_FLOAT32);
        OK_S(l2_backward(l2_sum(x), NULL, false));
    }
    CASE("a failing hook")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT64);
        l2_set_grad_ready_hook(h_fail_hook, NULL);
        FAIL_S(L2_ERR_ARG, l2_backward(l2_sum(l2_mul(x, x)), NULL, false));
        l2_set_grad_ready_hook(NULL, NULL);
        EXPECT(l2_grad(x) == NULL, "no .grad after a failed hook");
    }
    CASE("a hook on a half leaf")
    {
        l2_tensor *x = l2_ones(L2_SHAPE(3), L2_BFLOAT16);
        l2_set_requires_grad(x, true);
        l2_set_grad_ready_hook(h_ok_hook, NULL);
        OK_S(l2_backward(l2_sum(x), NULL, false));
        l2_set_grad_ready_hook(NULL, NULL);
    }
}
