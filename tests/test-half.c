/* test-half.c: the bfloat16 and float16 dtypes (issue 16, area half): names and sizes, the
 * conversions to and from every dtype against bit patterns torch 1.13 produced (round to nearest
 * even, subnormals, overflow, NaN, float64 and int64 through float32), creation, l2_get / l2_set,
 * printing as torch's repr, views and copies, type promotion in l2_cat, and the refusals: ops
 * that do not take half tensors return L2_ERR_DTYPE naming the dtype and change nothing. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#define N_F32 28
/* float32 inputs and torch 1.13's .to(torch.bfloat16) / .to(torch.float16) bit patterns
 * (NaN is checked as NaN: torch's vector path writes 0xffff, its scalar path 0x7fc0). */
static const float f32_in[N_F32] = {
    0.0f,      -0.0f,       1.0f,  -1.5f,  3.14159265f, 1e-3f,   65504.0f, 65519.0f, 65520.0f, 1e5f,
    -1e5f,     6.1e-5f,     5.96e-8f, 2.98e-8f, 2.9802322387695312e-08f, 1e-8f, 3e-8f, INFINITY,
    -INFINITY, NAN,         1.00390625f, 1.01171875f, 3.4e38f, 1e-40f, 0.1f, 2049.0f, 2051.0f,
    -7e-6f};
static const uint16_t bf16_want[N_F32] = {
    0x0,    0x8000, 0x3f80, 0xbfc0, 0x4049, 0x3a83, 0x4780, 0x4780, 0x4780, 0x47c3,
    0xc7c3, 0x3880, 0x3380, 0x3300, 0x3300, 0x322c, 0x3301, 0x7f80, 0xff80, 0x7fc0,
    0x3f80, 0x3f82, 0x7f80, 0x1,    0x3dcd, 0x4500, 0x4500, 0xb6eb};
static const uint16_t f16_want[N_F32] = {
    0x0,    0x8000, 0x3c00, 0xbe00, 0x4248, 0x1419, 0x7bff, 0x7bff, 0x7c00, 0x7c00,
    0xfc00, 0x3ff,  0x1,    0x0,    0x0,    0x0,    0x1,    0x7c00, 0xfc00, 0x7e00,
    0x3c04, 0x3c0c, 0x7c00, 0x0,    0x2e66, 0x6800, 0x6802, 0x8075};

static int is_nan_bits(uint16_t h, l2_dtype dt)
{
    return dt == L2_BFLOAT16 ? ((h & 0x7f80) == 0x7f80 && (h & 0x7f)) : ((h & 0x7c00) == 0x7c00 && (h & 0x3ff));
}

/* t (contiguous, 1-d, half) holds the bit patterns want[0..n) (NaN as any NaN). */
static int bits_are(const l2_tensor *t, int n, const uint16_t *want, l2_dtype dt)
{
    if (!t || l2_dtype_of(t) != dt || l2_numel(t) != n || !l2_is_contiguous(t))
        return 0;
    const uint16_t *p = l2_data_ptr(t);
    for (int i = 0; i < n; i++) {
        if (is_nan_bits(want[i], dt) ? !is_nan_bits(p[i], dt) : p[i] != want[i]) {
            printf("#   element %d: 0x%04x, want 0x%04x\n", i, p[i], want[i]);
            return 0;
        }
    }
    return 1;
}

static void test_names(void)
{
    is_str(l2_dtype_name(L2_BFLOAT16), "bfloat16", "name bfloat16");
    is_str(l2_dtype_name(L2_FLOAT16), "float16", "name float16");
    is_int((int64_t)l2_dtype_size(L2_BFLOAT16), 2, "size bfloat16");
    is_int((int64_t)l2_dtype_size(L2_FLOAT16), 2, "size float16");
    is_int((int64_t)l2_dtype_size(L2_DTYPE_COUNT), 0, "size outside the enum");
    is_int(L2_FLOAT32, 0, "float32 keeps its value");
    is_int(L2_BOOL, 3, "bool keeps its value");
}

static void test_from_float32(void)
{
    int64_t n = N_F32;
    l2_tensor *f = l2_from_data(f32_in, 1, &n, L2_FLOAT32);
    l2_tensor *b = l2_to_dtype(f, L2_BFLOAT16), *h = l2_to_dtype(f, L2_FLOAT16);
    ok(bits_are(b, N_F32, bf16_want, L2_BFLOAT16), "float32 -> bfloat16 as torch");
    ok(bits_are(h, N_F32, f16_want, L2_FLOAT16), "float32 -> float16 as torch");
    /* a transposed (non-contiguous) source converts the same */
    l2_tensor *f2 = l2_from_data(f32_in, L2_SHAPE(4, 7), L2_FLOAT32);
    l2_tensor *ft = l2_transpose(f2, 0, 1), *bt = l2_to_dtype(ft, L2_BFLOAT16);
    l2_tensor *bc = l2_contiguous(l2_transpose(bt, 0, 1));
    ok(bc && l2_dtype_of(bc) == L2_BFLOAT16 &&
           memcmp(l2_data_ptr(bc), l2_data_ptr(b), 2 * 12) == 0,
       "float32 -> bfloat16 from a transposed source");
    /* back to float32: exact, NaN stays NaN */
    l2_tensor *bb = l2_to_dtype(b, L2_FLOAT32), *hb = l2_to_dtype(h, L2_FLOAT32);
    double v;
    int64_t i = 2;
    ok(l2_get(bb, &i, &v) == L2_OK && v == 1.0, "bfloat16 -> float32 1");
    i = 19;
    ok(l2_get(bb, &i, &v) == L2_OK && isnan(v), "bfloat16 -> float32 NaN");
    ok(l2_get(hb, &i, &v) == L2_OK && isnan(v), "float16 -> float32 NaN");
    i = 12;
    ok(l2_get(hb, &i, &v) == L2_OK && v == ldexp(1, -24), "float16 subnormal -> float32");
    i = 11;
    ok(l2_get(hb, &i, &v) == L2_OK && v == 1023 * ldexp(1, -24), "float16 largest subnormal");
    i = 6;
    ok(l2_get(hb, &i, &v) == L2_OK && v == 65504, "float16 max");
    i = 4;
    ok(l2_get(bb, &i, &v) == L2_OK && v == 3.140625, "bfloat16 pi");
    /* every float16 pattern round-trips through float32 and float64 */
    static uint16_t all[65536];
    for (int k = 0; k < 65536; k++)
        all[k] = (uint16_t)k;
    int64_t m = 65536;
    int bad16 = 0, badb = 0;
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_BFLOAT16 : L2_FLOAT16;
        l2_tensor *a = l2_from_data(all, 1, &m, dt);
        l2_tensor *w = l2_to_dtype(l2_to_dtype(a, L2_FLOAT32), dt);
        l2_tensor *w2 = l2_to_dtype(l2_to_dtype(a, L2_FLOAT64), dt);
        const uint16_t *p = w ? l2_data_ptr(w) : NULL, *p2 = w2 ? l2_data_ptr(w2) : NULL;
        for (int k = 0; p && p2 && k < 65536; k++)
            if (is_nan_bits(all[k], dt) ? !is_nan_bits(p[k], dt) || !is_nan_bits(p2[k], dt)
                                        : p[k] != all[k] || p2[k] != all[k])
                *(d ? &badb : &bad16) += 1;
        if (!p || !p2)
            *(d ? &badb : &bad16) = -1;
    }
    is_int(bad16, 0, "every float16 pattern round-trips through float32 and float64");
    is_int(badb, 0, "every bfloat16 pattern round-trips through float32 and float64");
}

static void test_other_dtypes(void)
{
    /* float64 and int64 go through float32 first, as torch (double rounding) */
    const double d_in[4] = {1 + 0x1p-8 + 0x1p-40, 1 + 0x1p-11 + 0x1p-40, 0.1, 65519.99};
    const uint16_t d_bf[4] = {0x3f80, 0x3f80, 0x3dcd, 0x4780}, d_h[4] = {0x3c04, 0x3c00, 0x2e66, 0x7bff};
    int64_t n = 4;
    l2_tensor *d = l2_from_data(d_in, 1, &n, L2_FLOAT64);
    ok(bits_are(l2_to_dtype(d, L2_BFLOAT16), 4, d_bf, L2_BFLOAT16), "float64 -> bfloat16 as torch");
    ok(bits_are(l2_to_dtype(d, L2_FLOAT16), 4, d_h, L2_FLOAT16), "float64 -> float16 as torch");
    const int64_t i_in[5] = {16777217, ((int64_t)1 << 62) + 1, -3, 70000, 257};
    const uint16_t i_bf[5] = {0x4b80, 0x5e80, 0xc040, 0x4789, 0x4380}, i_h[5] = {0x7c00, 0x7c00, 0xc200, 0x7c00, 0x5c04};
    n = 5;
    l2_tensor *it = l2_from_data(i_in, 1, &n, L2_INT64);
    ok(bits_are(l2_to_dtype(it, L2_BFLOAT16), 5, i_bf, L2_BFLOAT16), "int64 -> bfloat16 as torch");
    ok(bits_are(l2_to_dtype(it, L2_FLOAT16), 5, i_h, L2_FLOAT16), "int64 -> float16 as torch");
    const bool b_in[3] = {true, false, true};
    const uint16_t b_bf[3] = {0x3f80, 0, 0x3f80}, b_h[3] = {0x3c00, 0, 0x3c00};
    n = 3;
    l2_tensor *bo = l2_from_data(b_in, 1, &n, L2_BOOL);
    ok(bits_are(l2_to_dtype(bo, L2_BFLOAT16), 3, b_bf, L2_BFLOAT16), "bool -> bfloat16");
    ok(bits_are(l2_to_dtype(bo, L2_FLOAT16), 3, b_h, L2_FLOAT16), "bool -> float16");
    /* half -> int64 (truncation; NaN 0 and saturation as libl2's float -> int64), bool, other half */
    const double h_in[6] = {1.5, -2.75, NAN, INFINITY, 70000.0, 0.0};
    n = 6;
    l2_tensor *hb = vec1d(6, h_in, L2_BFLOAT16);
    const double want_i[6] = {1, -2, 0, (double)INT64_MAX, 70144, 0};
    ok(holds(l2_to_dtype(hb, L2_INT64), 6, want_i), "bfloat16 -> int64");
    const double want_b[6] = {1, 1, 1, 1, 1, 0};
    ok(holds(l2_to_dtype(hb, L2_BOOL), 6, want_b), "bfloat16 -> bool");
    const uint16_t want_h[6] = {15872, (uint16_t)-16000, 32256, 31744, 31744, 0};
    ok(bits_are(l2_to_dtype(hb, L2_FLOAT16), 6, want_h, L2_FLOAT16), "bfloat16 -> float16 as torch");
    l2_tensor *back = l2_to_dtype(l2_to_dtype(hb, L2_FLOAT16), L2_BFLOAT16);
    const double want_back[6] = {1.5, -2.75, NAN, INFINITY, INFINITY, 0};
    ok(holds(back, 6, want_back), "float16 -> bfloat16");
    ok(l2_to_dtype(hb, L2_BFLOAT16) == hb, "to_dtype to its own dtype is t itself");
    (void)n;
}

static void test_create(void)
{
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_FLOAT16 : L2_BFLOAT16;
        const char *nm = l2_dtype_name(dt);
        l2_tensor *z = l2_zeros(L2_SHAPE(2, 3), dt), *o = l2_ones(L2_SHAPE(3), dt);
        l2_tensor *f = l2_full(L2_SHAPE(5), 0.1, dt), *s = l2_scalar(-2.5, dt);
        const double zz[6] = {0, 0, 0, 0, 0, 0}, oo[3] = {1, 1, 1};
        ok(z && l2_dtype_of(z) == dt && holds(l2_reshape(z, L2_SHAPE(6)), 6, zz), "%s zeros", nm);
        ok(holds(o, 3, oo), "%s ones", nm);
        double want = d ? 0.0999755859375 : 0.10009765625, v = 0;
        int64_t i = 4;
        ok(l2_get(f, &i, &v) == L2_OK && v == want, "%s full rounds the value once", nm);
        ok(l2_item(s, &v) == L2_OK && v == -2.5, "%s scalar", nm);
        ok(l2_set(f, &i, 1.0 / 3) == L2_OK && l2_get(f, &i, &v) == L2_OK &&
               v == (d ? 0.333251953125 : 0.333984375), "%s set rounds as torch", nm);
        l2_tensor *e = l2_empty(L2_SHAPE(0, 4), dt);
        ok(e && l2_numel(e) == 0 && l2_dtype_of(e) == dt, "%s empty (0, 4)", nm);
        l2_tensor *zl = l2_zeros_like(f), *fl = l2_full_like(f, 3);
        ok(zl && l2_dtype_of(zl) == dt && fl && l2_dtype_of(fl) == dt, "%s *_like keep the dtype", nm);
        /* views, copies, cat and stack move the 2-byte elements */
        const double a6[6] = {1, 2, 3, 4, 5, 6};
        l2_tensor *a = l2_reshape(vec1d(6, a6, dt), L2_SHAPE(2, 3));
        l2_tensor *tr = l2_contiguous(l2_transpose(a, 0, 1));
        const double at6[6] = {1, 4, 2, 5, 3, 6};
        ok(holds(l2_flatten(tr, 0, -1), 6, at6), "%s transpose + contiguous", nm);
        const double sl[2] = {2, 5};
        ok(holds(l2_clone(l2_select(a, 1, 1)), 2, sl), "%s select + clone", nm);
        l2_tensor *ex = l2_contiguous(l2_expand(l2_unsqueeze(l2_select(a, 0, 0), 0), L2_SHAPE(3, 3)));
        const double ex9[9] = {1, 2, 3, 1, 2, 3, 1, 2, 3};
        ok(holds(l2_view(ex, L2_SHAPE(9)), 9, ex9), "%s expand + contiguous", nm);
        l2_tensor *c = l2_cat(2, (l2_tensor *const[]){a, a}, 1);
        const double c12[12] = {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6};
        ok(c && l2_dtype_of(c) == dt && holds(l2_reshape(c, L2_SHAPE(12)), 12, c12), "%s cat", nm);
        l2_tensor *st = l2_stack(2, (l2_tensor *const[]){a, a}, 0);
        ok(st && l2_dtype_of(st) == dt && l2_ndim(st) == 3, "%s stack", nm);
        l2_tensor *dst = l2_zeros(L2_SHAPE(2, 3), L2_FLOAT32);
        ok(l2_copy_(dst, a) == L2_OK && holds(l2_reshape(dst, L2_SHAPE(6)), 6, a6), "%s copy_ into float32", nm);
        l2_tensor *hd = l2_zeros(L2_SHAPE(3, 2), dt);
        ok(l2_copy_(l2_t(hd), a) == L2_OK && holds(l2_reshape(l2_contiguous(l2_t(hd)), L2_SHAPE(6)), 6, a6),
           "%s copy_ into a transposed half view", nm);
        /* promotion: half with int64 keeps the half, with float32 gives float32, bf16 with f16 float32 */
        l2_tensor *ci = l2_cat(2, (l2_tensor *const[]){a, l2_ones(L2_SHAPE(2, 3), L2_INT64)}, 0);
        ok(ci && l2_dtype_of(ci) == dt, "%s cat with int64 is %s", nm, nm);
        l2_tensor *cf = l2_cat(2, (l2_tensor *const[]){a, l2_ones(L2_SHAPE(2, 3), L2_FLOAT32)}, 0);
        ok(cf && l2_dtype_of(cf) == L2_FLOAT32, "%s cat with float32 is float32", nm);
        l2_tensor *other = l2_ones(L2_SHAPE(2, 3), d ? L2_BFLOAT16 : L2_FLOAT16);
        l2_tensor *cb = l2_cat(2, (l2_tensor *const[]){a, other}, 0);
        ok(cb && l2_dtype_of(cb) == L2_FLOAT32, "%s cat with the other half is float32", nm);
    }
}

static void test_print(void)
{
    const double v[4] = {1.5, 2.0, 3.25, -4.0};
    char *s = l2_to_string(l2_reshape(vec1d(4, v, L2_BFLOAT16), L2_SHAPE(2, 2)));
    is_str(s, "tensor([[ 1.5000,  2.0000],\n        [ 3.2500, -4.0000]], dtype=torch.bfloat16)",
           "repr bfloat16");
    l2_free(s);
    const double w[2] = {1, 2};
    s = l2_to_string(vec1d(2, w, L2_FLOAT16));
    is_str(s, "tensor([1., 2.], dtype=torch.float16)", "repr float16 integral");
    l2_free(s);
    const double x[2] = {0.1, 1000};
    s = l2_to_string(vec1d(2, x, L2_FLOAT16));
    is_str(s, "tensor([9.9976e-02, 1.0000e+03], dtype=torch.float16)", "repr float16 scientific");
    l2_free(s);
    s = l2_to_string(l2_zeros(L2_SHAPE(0), L2_BFLOAT16));
    is_str(s, "tensor([], dtype=torch.bfloat16)", "repr empty bfloat16");
    l2_free(s);
    s = l2_to_string(l2_scalar(2.5, L2_BFLOAT16));
    is_str(s, "tensor(2.5000, dtype=torch.bfloat16)", "repr 0-d bfloat16");
    l2_free(s);
}

static void test_refused(void)
{
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_FLOAT16 : L2_BFLOAT16;
        const char *nm = l2_dtype_name(dt);
        l2_tensor *a = l2_ones(L2_SHAPE(2, 3), dt), *f = l2_ones(L2_SHAPE(2, 3), L2_FLOAT32);
        char want[64]; /* "op: bfloat16 is not supported yet ..." or "op: not implemented for 'bfloat16'" */
        snprintf(want, sizeof want, "%s", nm);
        l2_tensor *fa = l2_add(f, a); /* float32 + half is float32 (the half converted exactly) */
        const double twos[6] = {2, 2, 2, 2, 2, 2};
        ok(fa && l2_dtype_of(fa) == L2_FLOAT32 && holds(l2_reshape(fa, L2_SHAPE(6)), 6, twos),
           "float32 + %s is float32, as torch", nm);
        /* in place into half with a float32 other: computed in float32, rounded once into a */
        l2_tensor *a2 = l2_clone(a), *third = l2_full(L2_SHAPE(3), 1.0 / 3, L2_FLOAT32);
        double v0 = 0;
        ok(l2_add_(a2, third) == L2_OK && l2_dtype_of(a2) == dt &&
               l2_get(a2, (const int64_t[]){1, 2}, &v0) == L2_OK && v0 == (d ? 1.3330078125 : 1.3359375),
           "%s add_ float32: computed in float32, rounded once (%.10g)", nm, v0);
        const double zv[4] = {0, 1.5, NAN, -0.0};
        l2_tensor *hz = vec1d(4, zv, dt);
        const double land[4] = {0, 1, 1, 0};
        ok(holds(l2_to_dtype(l2_logical_and(hz, hz), L2_FLOAT64), 4, land), "%s logical_and (NaN true, -0 false)", nm);
        l2_tensor *eqr = l2_eq(l2_to_dtype(hz, L2_FLOAT32), hz);
        const double eqw[4] = {1, 1, 0, 1};
        ok(holds(l2_to_dtype(eqr, L2_FLOAT64), 4, eqw), "%s eq with float32 (NaN unequal)", nm);
        /* the ops outside the half route (test-half-compute has the ones inside) */
        l2_tensor *si = NULL;
        is_err(l2_sort(a, -1, false, false, &si), L2_ERR_DTYPE, want, "sort refuses half");
        is_err(l2_linalg_inv(l2_ones(L2_SHAPE(2, 2), dt)), L2_ERR_DTYPE, want, "inv refuses half");
        is_err(l2_index_select(a, 0, l2_zeros(L2_SHAPE(1), L2_INT64)), L2_ERR_DTYPE, want,
               "index_select refuses half");
        is_err(l2_arange(0, 3, 1, dt), L2_ERR_DTYPE, nm, "arange refuses half");
        is_err(l2_rand(L2_SHAPE(2), dt), L2_ERR_DTYPE, nm, "rand refuses half");
        double v = 0;
        int64_t i = 0;
        /* fill_ and zero_ only store a value: they take half (the value rounded as l2_set) */
        l2_tensor *z = l2_clone(a);
        ok(z && l2_fill_(z, 1.0 / 3) == L2_OK && l2_item(l2_select(l2_select(z, 0, 1), 0, 0), &v) ==
                   L2_OK && v == (dt == L2_BFLOAT16 ? 0.333984375 : 0.333251953125),
           "%s fill_(1/3) stores 1/3 rounded to the dtype (%.12g)", nm, v);
        ok(z && l2_zero_(z) == L2_OK && l2_item(l2_select(l2_select(z, 0, 1), 0, 0), &v) == L2_OK &&
               v == 0, "%s zero_", nm);
        l2_tensor_release(z);
        ok(l2_add_(a, a) == L2_OK && l2_get(l2_select(a, 0, 0), &i, &v) == L2_OK && v == 2,
           "%s add_ computes in place (test-half-compute has more)", nm);
        /* a float32 leaf converted to half: no gradient recorded (not differentiable) */
        l2_tensor *leaf = l2_ones(L2_SHAPE(3), L2_FLOAT32);
        l2_set_requires_grad(leaf, true);
        l2_tensor *h = l2_to_dtype(leaf, dt);
        ok(h && l2_requires_grad(h) && !l2_is_leaf(h),
           "%s from a leaf that requires grad records the conversion", nm);
    }
    is_err(l2_to_dtype(l2_ones(L2_SHAPE(1), L2_FLOAT32), L2_DTYPE_COUNT), L2_ERR_ARG, "invalid dtype",
           "to_dtype outside the enum");
    is_err(l2_from_data(NULL, L2_SHAPE(2), L2_FLOAT16), L2_ERR_NULL, "NULL", "from_data NULL");
}

/* safetensors: BF16 / F16 saved and loaded bit for bit; I32, I16, I8, U8 load as int64. */
static void test_files(void)
{
    char dir[] = "/tmp/l2-test-half-XXXXXX";
    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/h.safetensors", dir);
    int64_t n = N_F32;
    l2_tensor *f = l2_from_data(f32_in, 1, &n, L2_FLOAT32);
    l2_tensor *b = l2_to_dtype(f, L2_BFLOAT16), *h = l2_to_dtype(f, L2_FLOAT16);
    l2_tensor *bt = l2_transpose(l2_reshape(b, L2_SHAPE(4, 7)), 0, 1);
    const char *names[3] = {"b", "h", "bt"};
    l2_tensor *ts[3] = {b, h, bt};
    ok(l2_save_safetensors(path, 3, names, ts) == L2_OK, "save BF16, F16 (one transposed)");
    l2_named_tensors *d = l2_load_safetensors(path);
    ok(d && bits_are(l2_named_get(d, "b"), N_F32, bf16_want, L2_BFLOAT16), "BF16 loads bit for bit");
    ok(d && bits_are(l2_named_get(d, "h"), N_F32, f16_want, L2_FLOAT16), "F16 loads bit for bit");
    l2_tensor *bt2 = d ? l2_named_get(d, "bt") : NULL;
    ok(bt2 && l2_ndim(bt2) == 2 && l2_shape(bt2)[0] == 7 &&
           bits_are(l2_reshape(l2_contiguous(l2_transpose(bt2, 0, 1)), L2_SHAPE(N_F32)), N_F32,
                    bf16_want, L2_BFLOAT16),
       "a transposed BF16 tensor saved in its logical order");
    l2_named_free(d);
    /* a hand-written file of narrow integers */
    static const char hdr[] = "{\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                              "\"b\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                              "\"c\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[12,14]},"
                              "\"d\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[14,16]}}";
    unsigned char buf[8 + sizeof hdr + 16];
    uint64_t hl = sizeof hdr - 1;
    for (int k = 0; k < 8; k++)
        buf[k] = (unsigned char)(hl >> (8 * k));
    memcpy(buf + 8, hdr, hl);
    int32_t i32[2] = {-2147483647 - 1, 123456789};
    int16_t i16[2] = {-32768, 32767};
    int8_t i8[2] = {-128, 127};
    uint8_t u8[2] = {255, 0};
    unsigned char *p = buf + 8 + hl;
    memcpy(p, i32, 8);
    memcpy(p + 8, i16, 4);
    memcpy(p + 12, i8, 2);
    memcpy(p + 14, u8, 2);
    snprintf(path, sizeof path, "%s/i.safetensors", dir);
    FILE *fp = fopen(path, "wb");
    if (fp) {
        fwrite(buf, 1, 8 + hl + 16, fp);
        fclose(fp);
    }
    d = l2_load_safetensors(path);
    const double wa[2] = {-2147483648.0, 123456789}, wb[2] = {-32768, 32767}, wc[2] = {-128, 127},
                 wd[2] = {255, 0};
    ok(d && l2_dtype_of(l2_named_get(d, "a")) == L2_INT64 && holds(l2_named_get(d, "a"), 2, wa),
       "I32 loads as int64");
    ok(d && holds(l2_named_get(d, "b"), 2, wb), "I16 loads as int64");
    ok(d && holds(l2_named_get(d, "c"), 2, wc), "I8 loads as int64");
    ok(d && holds(l2_named_get(d, "d"), 2, wd), "U8 loads as int64");
    l2_named_free(d);
    remove(path);
    snprintf(path, sizeof path, "%s/h.safetensors", dir);
    remove(path);
    rmdir(dir);
    /* DLPack: bfloat16 as kDLBfloat 16, float16 as kDLFloat 16, both ways */
    for (int k = 0; k < 2; k++) {
        l2_tensor *x = k ? h : b;
        struct DLManagedTensor *m = l2_to_dlpack(x);
        l2_tensor *y = m ? l2_from_dlpack(m) : NULL;
        ok(y && l2_dtype_of(y) == l2_dtype_of(x) && l2_data_ptr(y) == l2_data_ptr(x) &&
               bits_are(y, N_F32, k ? f16_want : bf16_want, l2_dtype_of(x)),
           "DLPack round trip of %s shares the memory", l2_dtype_name(l2_dtype_of(x)));
    }
}

int main(void)
{
    l2_scope_begin();
    test_names();
    test_from_float32();
    test_other_dtypes();
    test_create();
    test_print();
    test_refused();
    test_files();
    l2_scope_end();
    return tap_done();
}
