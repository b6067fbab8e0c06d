/* vmath.c: vector math kernels over contiguous float32 / float64 arrays (see vmath.h), built for
 * x86-64-v3 (AVX2+FMA) inside this file only and chosen at run time when the CPU has both; the
 * generic loops of the callers serve every other machine and layout. float32 exp (and sigmoid,
 * silu, gelu's tanh form through it) and float32 gelu are libl2's own; the other functions are
 * SLEEF's 1-ulp (u10) kernels when configure found SLEEF (L2_HAVE_SLEEF). Never AVX-512.
 * L2_NO_VEC=1 or l2_debug_vector_math(false) switch the kernels off (process-wide), so tests and
 * the oracle can compare both paths. */
#include "l2-impl.h"
#include "vmath.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VM_X86 1
#endif

/* The degree-4 coefficient of the float32 exp polynomial (1/24), a variable only so that the
 * mutation test can swap in a wrong one (vm_decide). */
static float vm_c4 = 1.0f / 24;

#ifdef VM_X86
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#ifdef L2_HAVE_SLEEF
#include <sleef.h>
#endif

/* ---- float32 exp -------------------------------------------------------------------------- */

/* exp(x) = 2^k exp(r), k = round(x log2 e), r = x - k ln 2 (Cody-Waite: ln 2 = hi + lo with hi
 * exact in 9 bits, so k hi is exact), |r| <= ~0.35; exp(r) by its Taylor polynomial of degree 7
 * (truncation < 6e-9 relative, under 0.1 ulp) in Horner form with FMA: < 1 ulp overall. 2^k is
 * applied as 2^(k>>1) 2^(k - k>>1), both normal, so results that are subnormal are rounded once
 * and exp overflows to +inf exactly where the true value does. x is clamped to [-104, 89] first
 * (exp is 0 / +inf beyond), and NaN is passed through. */
static inline __m256 vexpf(__m256 x)
{
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-104.0f)),
                                    _mm256_set1_ps(89.0f));
    const __m256 k = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(vm_c4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i ki = _mm256_cvtps_epi32(k);
    const __m256i k1 = _mm256_srai_epi32(ki, 1), k2 = _mm256_sub_epi32(ki, k1);
    const __m256i b = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, b), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, b), 23));
    const __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* ---- float32 gelu -------------------------------------------------------------------------- */

/* gelu(x) = 0.5 x (1 + erf(z)), z = x / sqrt 2, where 1 + erf(z) is 2 - erfc(|z|) for z > 0 and
 * erfc(|z|) for z <= 0 (no cancellation), and erfc(a) = exp(-a^2 + R(a - 2)) on [0, 4]: R is a
 * least-squares fit of our own of log(erfc(a)) + a^2, degree 11 (Chebyshev nodes, in float64
 * against mpmath; erfc relative error < 3e-8), evaluated as even and odd halves in u^2 (issue
 * 12, area opsp). Measured on every 7th float in [-12, 12] against float64: at most 1.26 eps
 * (|gelu| + 0.5 |x| (1 + |erf|)), where the oracle allows 4 eps times the same (the generic
 * loop: 0.6). For a >= 4,
 * erfc = 0 (erfc(4) = 1.5e-8 is below half an ulp of 2; for z <= -4 the result is 0.5 x times
 * 0, torch's float32 result there too; -inf gives NaN as torch's). The exp is a lean one: its
 * argument lies in [-18, 0.1] and its result is normal, so no clamping and one scaling; Taylor
 * degree 6 on |r| <= 0.35 (3.4e-8 relative). l2_erf keeps SLEEF's 1-ulp kernel. vm_gelu_r0 is
 * a variable only so that the mutation test can swap in a wrong constant (vm_decide). */
static float vm_gelu_r0 = -1.364941240e+00f;
static inline __m256 vgeluf(__m256 x)
{
    const __m256 a = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x),
                                   _mm256_set1_ps(0.707106781186547524f));
    const __m256 ac = _mm256_min_ps(a, _mm256_set1_ps(4.0f)); /* NaN: 4 */
    const __m256 u = _mm256_sub_ps(ac, _mm256_set1_ps(2.0f));
    /* R(u) = E(u^2) + u O(u^2), the even and odd coefficients by Horner in u^2: two chains of
     * 5 FMAs side by side instead of one of 11, so that the loop is not latency-bound */
    const __m256 u2 = _mm256_mul_ps(u, u);
    __m256 ev = _mm256_set1_ps(-3.400320636e-07f), od = _mm256_set1_ps(7.857523909e-08f);
    ev = _mm256_fmadd_ps(ev, u2, _mm256_set1_ps(2.680331936e-06f));
    od = _mm256_fmadd_ps(od, u2, _mm256_set1_ps(1.271296965e-07f));
    ev = _mm256_fmadd_ps(ev, u2, _mm256_set1_ps(1.338371741e-04f));
    od = _mm256_fmadd_ps(od, u2, _mm256_set1_ps(-2.056091415e-05f));
    ev = _mm256_fmadd_ps(ev, u2, _mm256_set1_ps(3.572109312e-03f));
    od = _mm256_fmadd_ps(od, u2, _mm256_set1_ps(-7.325399811e-04f));
    ev = _mm256_fmadd_ps(ev, u2, _mm256_set1_ps(7.624870149e-02f));
    od = _mm256_fmadd_ps(od, u2, _mm256_set1_ps(-1.646505816e-02f));
    ev = _mm256_fmadd_ps(ev, u2, _mm256_set1_ps(vm_gelu_r0));
    od = _mm256_fmadd_ps(od, u2, _mm256_set1_ps(-4.181608135e-01f));
    const __m256 q = _mm256_fmadd_ps(od, u, ev);
    const __m256 g = _mm256_fnmadd_ps(ac, ac, q); /* log erfc(ac) */
    /* exp(g) = 2^k exp(r), Cody-Waite as in vexpf; k rounded by adding 1.5 * 2^23, whose sum
     * holds k in its low mantissa bits (|k| < 2^22), so that they shift into the exponent */
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    const __m256 kf = _mm256_fmadd_ps(g, _mm256_set1_ps(1.44269504088896341f), magic);
    const __m256 k = _mm256_sub_ps(kf, magic);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), g);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(kf), 23);
    __m256 ec = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p), e)); /* erfc */
    ec = _mm256_andnot_ps(_mm256_cmp_ps(a, _mm256_set1_ps(4.0f), _CMP_GE_OQ), ec);
    const __m256 pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
    const __m256 opz = _mm256_blendv_ps(ec, _mm256_sub_ps(_mm256_set1_ps(2.0f), ec), pos);
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), opz);
}

#define V1F _mm256_set1_ps(1.0f)

/* gelu, tanh form: 0.5 x (1 + tanh(u)), u = k (x + c x^3), is x / (1 + exp(-2u)) (since
 * 1 + tanh(u) = 2 / (1 + exp(-2u))): one exp of our own, no cancellation for x < 0; infinite u
 * gives x (u = +inf) or x / inf = -0 (u = -inf), NaN at x = -inf as torch's 0.5 x 0. */
static inline __m256 vgelutf(__m256 x)
{
    __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), x), x), x);
    /* mutation test: sqrt(2/pi)'s factor 2 lost (the exp's argument halved) */
    const float k = l2__fault("gelut_k") ? -0.79788456080286536f : -1.59576912160573071f;
    __m256 u = _mm256_mul_ps(_mm256_set1_ps(k), _mm256_add_ps(x, x3));
    return _mm256_div_ps(x, _mm256_add_ps(V1F, vexpf(u)));
}

/* The same expressions as the generic loops of unary.c, on vectors. */
static inline __m256 vsigmoidf(__m256 x)
{
    return _mm256_div_ps(V1F, _mm256_add_ps(V1F, vexpf(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}
static inline __m256 vsiluf(__m256 x)
{
    return _mm256_div_ps(x, _mm256_add_ps(V1F, vexpf(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/* ---- the array loops ---------------------------------------------------------------------- */

/* y = F(x) over n elements: whole vectors, then the n % W tail through one padded vector (the
 * same kernel, so a result does not depend on where a thread's range starts). */
#define VM_LOOP(NAME, T, VT, W, LOAD, STORE, F)                                              \
    static void NAME(int64_t n, T *y, const T *x)                                            \
    {                                                                                        \
        int64_t i = 0;                                                                       \
        for (; i + W <= n; i += W)                                                           \
            STORE(y + i, F(LOAD(x + i)));                                                    \
        if (i < n) {                                                                         \
            T b[W] = {0};                                                                    \
            size_t r = (size_t)(n - i) * sizeof(T);                                          \
            memcpy(b, x + i, r);                                                             \
            STORE(b, F(LOAD(b)));                                                            \
            /* mutation test: the tail's results are not stored (its inputs stay) */        \
            memcpy(y + i, l2__fault("vexp_tail") ? x + i : b, r);                           \
        }                                                                                    \
    }
#define VM_F32(NAME, F) VM_LOOP(NAME, float, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, F)
#define VM_F64(NAME, F) VM_LOOP(NAME, double, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, F)

VM_F32(vm_exp_f32, vexpf)
VM_F32(vm_sigmoid_f32, vsigmoidf)
VM_F32(vm_silu_f32, vsiluf)
VM_F32(vm_gelu_f32, vgeluf)
VM_F32(vm_gelut_f32, vgelutf)

/* Row kernels of softmax, log_softmax and cross_entropy (issue 12). */

/* max(x[0..n)) with four vector accumulators; max(x, m) = x > m ? x : m, so a NaN never enters
 * (as the generic loops); -inf for n = 0. */
static float vm_rowmax_f32(int64_t n, const float *x)
{
    __m256 m4[4] = {_mm256_set1_ps(-INFINITY), _mm256_set1_ps(-INFINITY),
                    _mm256_set1_ps(-INFINITY), _mm256_set1_ps(-INFINITY)};
    int64_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++)
            m4[k] = _mm256_max_ps(_mm256_loadu_ps(x + i + 8 * k), m4[k]);
    for (; i + 8 <= n; i += 8)
        m4[0] = _mm256_max_ps(_mm256_loadu_ps(x + i), m4[0]);
    __m256 mv = _mm256_max_ps(_mm256_max_ps(m4[0], m4[1]), _mm256_max_ps(m4[2], m4[3]));
    float lanes[8], mx = -INFINITY;
    _mm256_storeu_ps(lanes, mv);
    for (int k = 0; k < 8; k++)
        mx = lanes[k] > mx ? lanes[k] : mx;
    for (; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    return mx;
}

/* sum of exp(x[i] - mx) in float64 vector lanes, also stored into y[i] unless y is NULL. The
 * n % 8 tail runs through one vector padded with 0, whose padding lanes are then zeroed (a
 * -inf padding would cost a microcode assist per call: vexpf's subnormal scaling). y may be
 * x. */
static double vm_expsum_f32(int64_t n, float *y, const float *x, float mx)
{
    const __m256 mv = _mm256_set1_ps(mx);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = vexpf(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
        if (y)
            _mm256_storeu_ps(y + i, e);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    if (i < n && !l2__fault("softmax_vec_tail")) { /* mutation test: the tail left out */
        float d[8];
        for (int k = 0; k < 8; k++)
            d[k] = i + k < n ? x[i + k] - mx : 0.0f;
        _mm256_storeu_ps(d, vexpf(_mm256_loadu_ps(d)));
        for (int64_t k = n - i; k < 8; k++)
            d[k] = 0.0f;
        __m256 e = _mm256_loadu_ps(d);
        if (y)
            memcpy(y + i, d, (size_t)(n - i) * sizeof(float));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    double part[4], s = 0;
    _mm256_storeu_pd(part, _mm256_add_pd(s0, s1));
    for (int k = 0; k < 4; k++)
        s += part[k];
    return s;
}

/* softmax (lg false) or log_softmax of one contiguous row: the max, one pass y = exp(x - max)
 * (softmax only) summed, one pass y *= 1 / sum or y = x - max - log(sum). y may be x. */
/* The backward of one contiguous float32 row (issue 12, area opsp): s = sum(g) (log_softmax)
 * or sum(g y) (softmax) in float64 lanes, then dx = g - exp(y) s or y (g - s) in float32 with
 * FMA, the n % 8 tail through one vector padded with 0 (its padding lanes add 0 to s). dx may
 * be g or y. */
static void vm_softmax_back_f32(int64_t n, float *dx, const float *y, const float *g, bool lg)
{
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    float yt[8] = {0}, gt[8] = {0};
    const int64_t nv = n - n % 8, nt = n - nv;
    memcpy(yt, y + nv, (size_t)nt * sizeof(float));
    /* mutation test: the tail's upstream gradients left out of the sum */
    memcpy(gt, g + nv, l2__fault("smback_tail") ? 0 : (size_t)nt * sizeof(float));
#define VSB_ADD(gv, yv)                                                                      \
    do {                                                                                     \
        __m256d glo = _mm256_cvtps_pd(_mm256_castps256_ps128(gv));                           \
        __m256d ghi = _mm256_cvtps_pd(_mm256_extractf128_ps(gv, 1));                         \
        if (lg) {                                                                            \
            s0 = _mm256_add_pd(s0, glo);                                                     \
            s1 = _mm256_add_pd(s1, ghi);                                                     \
        } else {                                                                             \
            s0 = _mm256_fmadd_pd(glo, _mm256_cvtps_pd(_mm256_castps256_ps128(yv)), s0);      \
            s1 = _mm256_fmadd_pd(ghi, _mm256_cvtps_pd(_mm256_extractf128_ps(yv, 1)), s1);    \
        }                                                                                    \
    } while (0)
    for (int64_t i = 0; i < nv; i += 8) {
        const __m256 gv = _mm256_loadu_ps(g + i), yv = _mm256_loadu_ps(y + i);
        VSB_ADD(gv, yv);
    }
    if (nt) {
        const __m256 gv = _mm256_loadu_ps(gt), yv = _mm256_loadu_ps(yt);
        VSB_ADD(gv, yv);
    }
#undef VSB_ADD
    double part[4], s = 0;
    _mm256_storeu_pd(part, _mm256_add_pd(s0, s1));
    for (int k = 0; k < 4; k++)
        s += part[k];
    const __m256 sv = _mm256_set1_ps((float)s);
#define VSB_DX(yv, gv)                                                                       \
    (lg ? _mm256_fnmadd_ps(vexpf(yv), sv, gv) : _mm256_mul_ps(yv, _mm256_sub_ps(gv, sv)))
    for (int64_t i = 0; i < nv; i += 8) {
        const __m256 yv = _mm256_loadu_ps(y + i), gv = _mm256_loadu_ps(g + i);
        _mm256_storeu_ps(dx + i, VSB_DX(yv, gv));
    }
    if (nt) {
        memcpy(gt, g + nv, (size_t)nt * sizeof(float));
        _mm256_storeu_ps(gt, VSB_DX(_mm256_loadu_ps(yt), _mm256_loadu_ps(gt)));
        memcpy(dx + nv, gt, (size_t)nt * sizeof(float));
    }
#undef VSB_DX
}

static void vm_softmax_f32(int64_t n, float *y, const float *x, bool lg)
{
    float mx = vm_rowmax_f32(n, x);
    if (l2__fault("softmax_max")) /* mutation test: no max subtraction */
        mx = 0;
    const __m256 mv = _mm256_set1_ps(mx);
    double s = vm_expsum_f32(n, lg ? NULL : y, x, mx);
    int64_t i;
    if (lg) {
        const float ls = (float)log(s);
        const __m256 lv = _mm256_set1_ps(ls);
        for (i = 0; i + 8 <= n; i += 8)
            _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv), lv));
        for (; i < n; i++)
            y[i] = x[i] - mx - ls;
    } else {
        const float inv = (float)(1.0 / s);
        const __m256 iv = _mm256_set1_ps(inv);
        for (i = 0; i + 8 <= n; i += 8)
            _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), iv));
        for (; i < n; i++)
            y[i] *= inv;
    }
}

/* logsumexp of one contiguous row as cross_entropy's generic lane computes it, in two parts:
 * *mx = max, returns log(sum(exp(x - max))), in float64. */
static double vm_lse_f32(int64_t n, const float *x, double *mx)
{
    float m = vm_rowmax_f32(n, x);
    *mx = m;
    return log(vm_expsum_f32(n, NULL, x, m));
}

#ifdef L2_HAVE_SLEEF
#define V1D _mm256_set1_pd(1.0)
#define VHD _mm256_set1_pd(0.5)
static inline __m256d vsigmoidd(__m256d x)
{
    __m256d e = Sleef_expd4_u10avx2(_mm256_sub_pd(_mm256_setzero_pd(), x));
    return _mm256_div_pd(V1D, _mm256_add_pd(V1D, e));
}
static inline __m256d vsilud(__m256d x)
{
    __m256d e = Sleef_expd4_u10avx2(_mm256_sub_pd(_mm256_setzero_pd(), x));
    return _mm256_div_pd(x, _mm256_add_pd(V1D, e));
}
static inline __m256d vgelud(__m256d x)
{
    __m256d e = Sleef_erfd4_u10avx2(_mm256_mul_pd(x, _mm256_set1_pd(0.707106781186547524)));
    return _mm256_mul_pd(_mm256_mul_pd(VHD, x), _mm256_add_pd(V1D, e));
}
static inline __m256d vgelutd(__m256d x)
{
    __m256d x3 = _mm256_mul_pd(_mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(0.044715), x), x), x);
    __m256d u = _mm256_mul_pd(_mm256_set1_pd(0.797884560802865355), _mm256_add_pd(x, x3));
    return _mm256_mul_pd(_mm256_mul_pd(VHD, x), _mm256_add_pd(V1D, Sleef_tanhd4_u10avx2(u)));
}

/* SLEEF's sin and cos choose their argument reduction for a whole vector: the fast one only when
 * every lane is small (float32 |x| < 125, float64 < 15), and the slower reductions give a small
 * lane a result that may differ by an ulp. So a lane's value would depend on its neighbours, and
 * through them on where a thread's range starts (the oracle saw 1-thread and 2-thread cos
 * differ). A vector whose lanes are all well inside the fast range runs as it is; any other is
 * computed lane by lane, each from a vector of its own value, so an element's result depends on
 * that element alone. */
#define VM_TRIG_SAFE(NAME, VT, T, W, F, LIM, ABS, LT, MASK, ALL, SET1, STORE, LOAD, FIRST)        \
    static inline VT NAME(VT x)                                                              \
    {                                                                                        \
        if (MASK(LT(ABS(x), SET1(LIM))) == ALL)                                              \
            return F(x);                                                                     \
        T in[W], out[W];                                                                     \
        STORE(in, x);                                                                        \
        /* mutation test: the lane path gives every lane lane 0's result */                  \
        const bool one = l2__fault("trig_lane");                                             \
        for (int k = 0; k < W; k++)                                                          \
            out[k] = FIRST(F(SET1(in[one ? 0 : k])));                                        \
        return LOAD(out);                                                                    \
    }
#define VM_ABSF(x) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x)
#define VM_ABSD(x) _mm256_andnot_pd(_mm256_set1_pd(-0.0), x)
#define VM_LTF(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define VM_LTD(a, b) _mm256_cmp_pd(a, b, _CMP_LT_OQ)
#define VM_TRIGF(NAME, F)                                                                    \
    VM_TRIG_SAFE(NAME, __m256, float, 8, F, 100.0f, VM_ABSF, VM_LTF, _mm256_movemask_ps, 0xff, \
                 _mm256_set1_ps, _mm256_storeu_ps, _mm256_loadu_ps, _mm256_cvtss_f32)
#define VM_TRIGD(NAME, F)                                                                    \
    VM_TRIG_SAFE(NAME, __m256d, double, 4, F, 10.0, VM_ABSD, VM_LTD, _mm256_movemask_pd, 0xf, \
                 _mm256_set1_pd, _mm256_storeu_pd, _mm256_loadu_pd, _mm256_cvtsd_f64)
VM_TRIGF(vsinf_lane, Sleef_sinf8_u10avx2)
VM_TRIGF(vcosf_lane, Sleef_cosf8_u10avx2)
VM_TRIGD(vsind_lane, Sleef_sind4_u10avx2)
VM_TRIGD(vcosd_lane, Sleef_cosd4_u10avx2)

VM_F32(vm_log_f32, Sleef_logf8_u10avx2)
VM_F32(vm_sin_f32, vsinf_lane)
VM_F32(vm_cos_f32, vcosf_lane)
VM_F32(vm_tanh_f32, Sleef_tanhf8_u10avx2)
VM_F32(vm_erf_f32, Sleef_erff8_u10avx2)
VM_F64(vm_exp_f64, Sleef_expd4_u10avx2)
VM_F64(vm_log_f64, Sleef_logd4_u10avx2)
VM_F64(vm_sin_f64, vsind_lane)
VM_F64(vm_cos_f64, vcosd_lane)
VM_F64(vm_tanh_f64, Sleef_tanhd4_u10avx2)
VM_F64(vm_erf_f64, Sleef_erfd4_u10avx2)
VM_F64(vm_sigmoid_f64, vsigmoidd)
VM_F64(vm_silu_f64, vsilud)
VM_F64(vm_gelu_f64, vgelud)
VM_F64(vm_gelut_f64, vgelutd)
#endif /* L2_HAVE_SLEEF */

#pragma GCC pop_options

static const l2__vm_f32 tab_f32[L2__VM_COUNT] = {
    [L2__VM_EXP] = vm_exp_f32,
    [L2__VM_SIGMOID] = vm_sigmoid_f32,
    [L2__VM_SILU] = vm_silu_f32,
    [L2__VM_GELU] = vm_gelu_f32,
    [L2__VM_GELU_TANH] = vm_gelut_f32,
#ifdef L2_HAVE_SLEEF
    [L2__VM_LOG] = vm_log_f32,
    [L2__VM_SIN] = vm_sin_f32,
    [L2__VM_COS] = vm_cos_f32,
    [L2__VM_TANH] = vm_tanh_f32,
    [L2__VM_ERF] = vm_erf_f32,
#endif
};
static const l2__vm_f64 tab_f64[L2__VM_COUNT] = {
#ifdef L2_HAVE_SLEEF
    [L2__VM_EXP] = vm_exp_f64,
    [L2__VM_LOG] = vm_log_f64,
    [L2__VM_SIN] = vm_sin_f64,
    [L2__VM_COS] = vm_cos_f64,
    [L2__VM_TANH] = vm_tanh_f64,
    [L2__VM_ERF] = vm_erf_f64,
    [L2__VM_SIGMOID] = vm_sigmoid_f64,
    [L2__VM_SILU] = vm_silu_f64,
    [L2__VM_GELU] = vm_gelu_f64,
    [L2__VM_GELU_TANH] = vm_gelut_f64,
#endif
};
#endif /* VM_X86 */

/* ---- dispatch ----------------------------------------------------------------------------- */

/* 0: not decided yet; 1: vector kernels; 2: generic loops. */
static atomic_int vm_state;

static bool vm_cpu_ok(void)
{
#ifdef VM_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

static int vm_decide(void)
{
    int s = atomic_load_explicit(&vm_state, memory_order_acquire);
    if (s)
        return s;
    if (l2__fault("vmath_poly")) /* mutation test: a wrong coefficient (1/20 for 1/24) */
        vm_c4 = 1.0f / 20;
#ifdef VM_X86
    if (l2__fault("vgelu_poly")) /* mutation test: gelu's erfc fit with a wrong constant term */
        vm_gelu_r0 = -1.3f;
#endif
    const char *e = getenv("L2_NO_VEC");
    bool off = e && *e && strcmp(e, "0") != 0;
    s = vm_cpu_ok() && !off ? 1 : 2;
    int expect = 0;
    atomic_compare_exchange_strong(&vm_state, &expect, s);
    return atomic_load(&vm_state);
}

bool l2_debug_vector_math(bool on)
{
    vm_decide(); /* reads L2_NO_VEC and the fault once, before the state is forced */
    atomic_store(&vm_state, on && vm_cpu_ok() ? 1 : 2);
    return atomic_load(&vm_state) == 1;
}

l2__vm_f32 l2__vmath_f32(int fn)
{
#ifdef VM_X86
    if ((unsigned)fn < L2__VM_COUNT && vm_decide() == 1)
        return tab_f32[fn];
#endif
    (void)fn;
    return NULL;
}

l2__vm_softmax_f32 l2__vmath_softmax_f32(void)
{
#ifdef VM_X86
    if (vm_decide() == 1)
        return vm_softmax_f32;
#endif
    return NULL;
}

l2__vm_softmax_back_f32 l2__vmath_softmax_back_f32(void)
{
#ifdef VM_X86
    if (vm_decide() == 1)
        return vm_softmax_back_f32;
#endif
    return NULL;
}

l2__vm_lse_f32 l2__vmath_lse_f32(void)
{
#ifdef VM_X86
    if (vm_decide() == 1)
        return vm_lse_f32;
#endif
    return NULL;
}

l2__vm_f64 l2__vmath_f64(int fn)
{
#ifdef VM_X86
    if ((unsigned)fn < L2__VM_COUNT && vm_decide() == 1)
        return tab_f64[fn];
#endif
    (void)fn;
    return NULL;
}
