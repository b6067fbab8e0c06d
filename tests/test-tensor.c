/* test-tensor.c: creation, properties, element access, errors, ownership and scopes, random
 * numbers, printing, DLPack, and out-of-memory handling of the tensor core. */
#include <l2.h>
#include <dlpack/dlpack.h>
#include <stdlib.h>

#include "tap.h"

static void test_creation(void)
{
    l2_tensor *z = l2_zeros(L2_SHAPE(2, 3), L2_FLOAT32);
    ok(z && l2_ndim(z) == 2 && l2_shape(z)[0] == 2 && l2_shape(z)[1] == 3, "zeros shape");
    is_int(l2_numel(z), 6, "zeros numel");
    is_int(l2_strides(z)[0], 3, "zeros row stride");
    is_int(l2_strides(z)[1], 1, "zeros col stride");
    double v = -1;
    l2_get(z, (const int64_t[]){1, 2}, &v);
    is_near(v, 0, 0, "zeros value");
    ok(l2_is_contiguous(z), "zeros contiguous");
    l2_tensor_release(z);

    l2_tensor *f = l2_full(L2_SHAPE(4), 2.5, L2_FLOAT64);
    double s = 0;
    for (int64_t i = 0; i < 4; i++) {
        l2_get(f, &i, &v);
        s += v;
    }
    is_near(s, 10.0, 0, "full sums to 4*2.5");
    l2_tensor_release(f);

    l2_tensor *o = l2_ones(L2_SHAPE(3), L2_INT64);
    int64_t iv = 0;
    l2_get_int64(o, (const int64_t[]){2}, &iv);
    is_int(iv, 1, "ones int64");
    l2_tensor_release(o);

    l2_tensor *sc = l2_scalar(7, L2_BOOL);
    ok(sc && l2_ndim(sc) == 0 && l2_numel(sc) == 1, "scalar is 0-d with one element");
    l2_item(sc, &v);
    is_near(v, 1, 0, "bool scalar 7 -> true");
    l2_tensor_release(sc);

    l2_tensor *a = l2_arange(0, 5, 1.5, L2_FLOAT32); /* 0 1.5 3 4.5 */
    is_int(l2_numel(a), 4, "arange length ceil(5/1.5)");
    l2_get(a, (const int64_t[]){3}, &v);
    is_near(v, 4.5, 0, "arange last");
    l2_tensor_release(a);
    a = l2_arange(5, 0, -2, L2_INT64); /* 5 3 1 */
    is_int(l2_numel(a), 3, "arange negative step");
    l2_tensor_release(a);
    ok(!l2_arange(0, 5, 0, L2_FLOAT32) && l2_last_status() == L2_ERR_ARG, "arange step 0");
    ok(!l2_arange(0, 5, -1, L2_FLOAT32) && l2_last_status() == L2_ERR_ARG, "arange wrong sign");

    l2_tensor *ls = l2_linspace(0, 1, 5, L2_FLOAT64);
    l2_get(ls, (const int64_t[]){1}, &v);
    is_near(v, 0.25, 1e-15, "linspace step");
    l2_get(ls, (const int64_t[]){4}, &v);
    is_near(v, 1.0, 0, "linspace end exact");
    l2_tensor_release(ls);

    l2_tensor *e = l2_eye(2, 3, L2_FLOAT32);
    l2_get(e, (const int64_t[]){1, 1}, &v);
    is_near(v, 1, 0, "eye diagonal");
    l2_get(e, (const int64_t[]){1, 2}, &v);
    is_near(v, 0, 0, "eye off-diagonal");
    l2_tensor_release(e);

    float data[6] = {1, 2, 3, 4, 5, 6};
    l2_tensor *d = l2_from_data(data, L2_SHAPE(2, 3), L2_FLOAT32);
    data[0] = 100; /* a copy: the tensor must not see this */
    l2_get(d, (const int64_t[]){0, 0}, &v);
    is_near(v, 1, 0, "from_data copies");
    l2_get(d, (const int64_t[]){-1, -1}, &v);
    is_near(v, 6, 0, "negative index counts from the end");
    l2_tensor *lk = l2_zeros_like(d);
    ok(lk && l2_dtype_of(lk) == L2_FLOAT32 && l2_shape(lk)[1] == 3, "zeros_like");
    l2_tensor_release(lk);
    l2_tensor_release(d);

    l2_tensor *empty = l2_zeros(L2_SHAPE(1, 0, 3), L2_FLOAT32);
    ok(empty && l2_numel(empty) == 0, "zero-size dim");
    l2_tensor_release(empty);
}

static int released = 0;
static void on_release(void *ctx) { released += *(int *)ctx; }

static void test_blob(void)
{
    double buf[12];
    for (int i = 0; i < 12; i++)
        buf[i] = i;
    int one = 1;
    /* A (2,3) view with strides (6,2) starting at element 1: 1 3 5 / 7 9 11 */
    l2_tensor *t = l2_from_blob(buf, L2_SHAPE(2, 3), (const int64_t[]){6, 2}, 1, L2_FLOAT64,
                                on_release, &one);
    double v;
    l2_get(t, (const int64_t[]){1, 2}, &v);
    is_near(v, 11, 0, "from_blob strided read");
    l2_set(t, (const int64_t[]){0, 0}, -5);
    is_near(buf[1], -5, 0, "from_blob writes through to the caller's memory");
    /* DLPack's import: the storage is the view's extent (torch's rule), from the exported
     * first element (buf[1]) to its last (buf[11]): 11 elements, offsets 0..10. */
    struct DLManagedTensor *dl = l2_to_dlpack(t);
    l2_tensor *imp = l2_from_dlpack(dl);
    l2_tensor *w = l2_as_strided(imp, L2_SHAPE(1), (const int64_t[]){1}, 10);
    ok(w != NULL, "as_strided within a DLPack import's extent");
    l2_tensor_release(w);
    ok(!l2_as_strided(imp, L2_SHAPE(1), (const int64_t[]){1}, 11) &&
           l2_last_status() == L2_ERR_INDEX,
       "as_strided beyond a DLPack import's extent: L2_ERR_INDEX (%s)", l2_last_error());
    l2_tensor_release(imp);
    l2_tensor *u = l2_select(t, 0, 1);
    l2_tensor_release(t);
    is_int(released, 0, "view keeps external memory alive");
    l2_tensor_release(u);
    is_int(released, 1, "release callback runs once at the end");
    released = 0;
    ok(!l2_from_blob(buf, L2_SHAPE(2), (const int64_t[]){-1}, 0, L2_FLOAT64, on_release, &one),
       "negative stride refused");
    is_int(released, 1, "release callback runs when from_blob fails");
}

static void test_errors(void)
{
    l2_clear_error();
    ok(l2_last_status() == L2_OK && l2_last_error()[0] == '\0', "clear_error");
    ok(!l2_zeros(L2_SHAPE(2, -1), L2_FLOAT32) && l2_last_status() == L2_ERR_ARG,
       "negative size -> L2_ERR_ARG");
    ok(strstr(l2_last_error(), "negative size -1") != NULL, "message names the size: %s",
       l2_last_error());
    ok(!l2_zeros(9, (const int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1}, L2_FLOAT32) &&
           l2_last_status() == L2_ERR_ARG, "rank 9 refused");
    ok(!l2_zeros(2, NULL, L2_FLOAT32) && l2_last_status() == L2_ERR_NULL, "NULL shape");
    ok(!l2_zeros(L2_SHAPE(1), (l2_dtype)17) && l2_last_status() == L2_ERR_ARG, "bad dtype");
    ok(!l2_zeros(L2_SHAPE(INT64_MAX / 2, 4), L2_FLOAT32) && l2_last_status() == L2_ERR_OVERFLOW,
       "element count overflow");
    ok(!l2_zeros(L2_SHAPE(INT64_MAX / 16, 4), L2_FLOAT64) && l2_last_status() == L2_ERR_OVERFLOW,
       "byte size overflow");
    ok(!l2_empty(L2_SHAPE((int64_t)1 << 50), L2_FLOAT32) && l2_last_status() == L2_ERR_NOMEM,
       "4 PiB allocation -> L2_ERR_NOMEM: %s", l2_last_error());
    l2_tensor *z0 = l2_zeros(L2_SHAPE(0, INT64_MAX, 4), L2_FLOAT32);
    ok(z0 != NULL, "zero-size dim is not an overflow");
    l2_tensor_release(z0);
    ok(l2_ndim(NULL) == 0 && l2_last_status() == L2_ERR_NULL, "getter on NULL");
    ok(!l2_rand(L2_SHAPE(2), L2_INT64) && l2_last_status() == L2_ERR_DTYPE, "rand int64");
    double v;
    l2_tensor *t = l2_zeros(L2_SHAPE(2, 2), L2_FLOAT32);
    ok(l2_get(t, (const int64_t[]){2, 0}, &v) == L2_ERR_INDEX, "get out of range");
    ok(strstr(l2_last_error(), "index 2 is out of bounds for dim 0 with size 2") != NULL,
       "message: %s", l2_last_error());
    ok(l2_item(t, &v) == L2_ERR_SHAPE, "item of 4 elements");
    ok(l2_get_int64(t, (const int64_t[]){0, 0}, (int64_t *)&v) == L2_ERR_DTYPE, "get_int64 float");
    l2_tensor_release(t);
    ok(strcmp(l2_status_name(L2_ERR_SHAPE), "L2_ERR_SHAPE") == 0, "status name");
    ok(strcmp(l2_status_name((l2_status)99), "L2_UNKNOWN") == 0, "unknown status name");
    for (int s = 0; s < L2_STATUS_COUNT; s++)
        ok(l2_status_string((l2_status)s)[0] != '\0', "status %d has a description", s);
    l2_tensor_release(NULL);
    l2_free(NULL);
    ok(1, "releasing NULL does nothing");
}

static void test_scope(void)
{
    ok(l2_scope_end() == L2_ERR_ARG, "scope_end without scope");
    l2_scope_begin();
    l2_tensor *a = l2_ones(L2_SHAPE(3), L2_FLOAT32);
    l2_scope_begin();
    l2_tensor *b = l2_reshape(l2_transpose(l2_ones(L2_SHAPE(2, 3), L2_FLOAT32), 0, 1),
                              L2_SHAPE(6));
    l2_tensor *kept = l2_keep(b); /* now owned by the outer scope */
    l2_scope_end();
    ok(l2_numel(a) == 3 && l2_numel(kept) == 6, "inner scope released, kept survives");
    l2_tensor *mine = l2_keep(kept); /* outermost scope: the extra reference is mine */
    l2_scope_end();
    is_int(l2_numel(mine), 6, "l2_keep in the outermost scope hands the tensor to the caller");
    l2_tensor_release(mine);
    /* ASan and valgrind check that the scopes released everything else exactly once. */
}

static void test_random(void)
{
    l2_manual_seed(42);
    l2_tensor *a = l2_rand(L2_SHAPE(1000), L2_FLOAT64);
    l2_manual_seed(42);
    l2_tensor *b = l2_rand(L2_SHAPE(1000), L2_FLOAT64);
    int same = 1;
    double mn = 1, mx = 0, sum = 0;
    for (int64_t i = 0; i < 1000; i++) {
        double x, y;
        l2_get(a, &i, &x);
        l2_get(b, &i, &y);
        same &= x == y;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
        sum += x;
    }
    ok(same, "same seed, same numbers");
    ok(mn >= 0 && mx < 1, "rand in [0,1): min %g max %g", mn, mx);
    is_near(sum / 1000, 0.5, 0.05, "rand mean near 0.5");
    l2_tensor_release(a);
    l2_tensor_release(b);
    /* The generator is specified: the first draw for seed 0 is fixed on every machine. The
     * expected value is computed here from the documented algorithm, not hard-coded. */
    uint64_t x = 0, s[4];
    for (int i = 0; i < 4; i++) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        s[i] = z ^ (z >> 31);
    }
    uint64_t r = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
    /* a fill's element 0: splitmix64's mix of key + golden, the key being the first draw */
    uint64_t z = r + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    l2_manual_seed(0);
    l2_tensor *c = l2_rand(L2_SHAPE(1), L2_FLOAT64);
    double got;
    l2_get(c, (const int64_t[]){0}, &got);
    is_near(got, (double)(z >> 11) * 0x1.0p-53, 0, "documented generator: first draw");
    l2_tensor_release(c);

    l2_tensor *n = l2_randn(L2_SHAPE(20000), L2_FLOAT32);
    double m = 0, m2 = 0;
    for (int64_t i = 0; i < 20000; i++) {
        double y;
        l2_get(n, &i, &y);
        m += y;
        m2 += y * y;
    }
    m /= 20000;
    is_near(m, 0, 0.03, "randn mean");
    is_near(m2 / 20000 - m * m, 1, 0.05, "randn variance");
    l2_tensor_release(n);

    l2_tensor *ri = l2_randint(-3, 4, L2_SHAPE(500));
    int64_t lo = 100, hi = -100;
    for (int64_t i = 0; i < 500; i++) {
        int64_t y;
        l2_get_int64(ri, &i, &y);
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
    }
    ok(lo == -3 && hi == 3, "randint covers [low, high): %lld..%lld", (long long)lo,
       (long long)hi);
    l2_tensor_release(ri);

    l2_tensor *pm = l2_randperm(100);
    int seen[100] = {0}, moved = 0;
    for (int64_t i = 0; i < 100; i++) {
        int64_t y = -1;
        l2_get_int64(pm, &i, &y);
        if (y >= 0 && y < 100)
            seen[y]++;
        moved += y != i;
    }
    int perm = 1;
    for (int i = 0; i < 100; i++)
        perm &= seen[i] == 1;
    ok(perm && moved > 50, "randperm is a permutation that moves most elements (%d)", moved);
    l2_tensor_release(pm);
    ok(!l2_randperm(-1) && l2_last_status() == L2_ERR_ARG, "randperm(-1)");
}

static void test_print(void)
{
    l2_tensor *t = l2_from_data((const float[]){1, 2, 3, 4}, L2_SHAPE(2, 2), L2_FLOAT32);
    char *s = l2_to_string(t);
    is_str(s, "tensor([[1., 2.],\n        [3., 4.]])", "print int-valued floats");
    l2_free(s);
    l2_tensor_release(t);
    t = l2_from_data((const double[]){1.5, -0.25}, L2_SHAPE(2), L2_FLOAT64);
    s = l2_to_string(t);
    is_str(s, "tensor([ 1.5000, -0.2500], dtype=torch.float64)", "print fixed, float64");
    l2_free(s);
    l2_tensor_release(t);
    t = l2_from_data((const int64_t[]){3, -10}, L2_SHAPE(2), L2_INT64);
    s = l2_to_string(t);
    is_str(s, "tensor([  3, -10])", "print int64");
    l2_free(s);
    l2_tensor_release(t);
    t = l2_scalar(2.5, L2_FLOAT32);
    s = l2_to_string(t);
    is_str(s, "tensor(2.5000)", "print 0-d");
    l2_free(s);
    l2_tensor_release(t);
    t = l2_arange(0, 2000, 1, L2_FLOAT32);
    s = l2_to_string(t);
    is_str(s, "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
              "        1.9990e+03])", "print summarised");
    l2_free(s);
    l2_tensor_release(t);
    t = l2_zeros(L2_SHAPE(0, 3), L2_FLOAT32);
    s = l2_to_string(t);
    is_str(s, "tensor([], size=(0, 3))", "print empty");
    l2_free(s);
    l2_tensor_release(t);
}

static void test_dlpack(void)
{
    l2_tensor *t = l2_arange(0, 12, 1, L2_FLOAT32);
    l2_tensor *v = l2_as_strided(t, L2_SHAPE(3, 2), (const int64_t[]){1, 4}, 2);
    DLManagedTensor *m = l2_to_dlpack(v);
    ok(m && m->dl_tensor.ndim == 2 && m->dl_tensor.strides[0] == 1 &&
           m->dl_tensor.strides[1] == 4, "export keeps strides");
    ok(m && m->dl_tensor.data == l2_data_ptr(v), "export shares memory");
    l2_tensor_release(v);
    l2_tensor_release(t);
    l2_tensor *back = l2_from_dlpack(m); /* round trip: takes ownership of m */
    ok(back && l2_strides(back)[1] == 4 && l2_shape(back)[0] == 3, "import keeps strides");
    double x;
    l2_get(back, (const int64_t[]){2, 1}, &x);
    is_near(x, 2 + 2 * 1 + 1 * 4, 0, "round trip reads the original element");
    l2_tensor_release(back);
}

static void test_oom(void)
{
    /* Every allocation point in a view + clone + print sequence fails once; nothing leaks
     * (checked by ASan/valgrind) and each failure reports L2_ERR_NOMEM. */
    int failures = 0, runs = 0;
    for (int k = 0; k < 40; k++) {
        l2_debug_fail_alloc_after(k);
        l2_tensor *a = l2_ones(L2_SHAPE(4, 5), L2_FLOAT32);
        l2_tensor *b = a ? l2_transpose(a, 0, 1) : NULL;
        l2_tensor *c = b ? l2_clone(b) : NULL;
        char *s = c ? l2_to_string(c) : NULL;
        l2_debug_fail_alloc_after(-1);
        runs++;
        if (!s) {
            failures += l2_last_status() == L2_ERR_NOMEM;
        }
        l2_free(s);
        l2_tensor_release(c);
        l2_tensor_release(b);
        l2_tensor_release(a);
        if (s)
            break;
    }
    is_int(failures, runs - 1, "each injected failure reports L2_ERR_NOMEM");
}

int main(void)
{
    test_creation();
    test_blob();
    test_errors();
    test_scope();
    test_random();
    test_print();
    test_dlpack();
    test_oom();
    return tap_done();
}
