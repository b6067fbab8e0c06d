/* random.c: the documented per-thread generator (xoshiro256** seeded by splitmix64) and the random
 * creation and fill functions. Fills draw one key from the generator and fill counter-based blocks
 * in parallel (the same values at any thread count). Same seed, same numbers, on every machine: no
 * libm call whose result could differ between platforms is used outside float64 Box-Muller's
 * log/sqrt/cos/sin, which glibc rounds correctly for these arguments; float32 normals use only
 * basic arithmetic and sqrtf, correctly rounded everywhere (issue 12). */
#include "autograd-impl.h"
#include "checked.h"
#include "vmath.h"
#include "nn/state-impl.h"

#include <float.h>
#include <math.h>
#include <string.h>

typedef struct {
    uint64_t s[4];
    bool seeded;
} rng_state;

static _Thread_local rng_state rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void l2__rng_seed(uint64_t s[4], uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        s[i] = splitmix64(&x);
}

void l2_manual_seed(uint64_t seed)
{
    l2__rng_seed(rng.s, seed);
    rng.seeded = true;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t l2__rng_next(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t l2__rng_below(uint64_t s[4], uint64_t range)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % range, r;
    do
        r = l2__rng_next(s);
    while (r >= limit);
    return r % range;
}

void l2__rng_permutation(uint64_t s[4], int64_t *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)l2__rng_below(s, (uint64_t)i + 1);
        int64_t tmp = p[i];
        p[i] = p[j];
        p[j] = tmp;
    }
}

/* The thread's generator, seeded with 0 on first use. */
static uint64_t *thread_rng(void)
{
    if (!rng.seeded)
        l2_manual_seed(0);
    return rng.s;
}

static uint64_t next_u64(void) { return l2__rng_next(thread_rng()); }

/* Uniform integer on [0, range) without modulo bias. */
static uint64_t next_below(uint64_t range) { return l2__rng_below(thread_rng(), range); }

typedef enum { DIST_UNIFORM, DIST_NORMAL } dist;

/* ---- fills: counter-based blocks (vmath, issue 12) ----------------------------------------- */

/* A fill draws one 64-bit key from the thread's generator; element i of the fill (row-major)
 * then takes the 64-bit value mix(key + (i + 1) * golden) (splitmix64's output function on a
 * counter): a pure function of (key, i), so threads fill disjoint ranges with no shared state and
 * the values are the same at any thread count, and the loops have no per-element lookup of the
 * thread-local generator. */
#define GOLDEN 0x9e3779b97f4a7c15ULL
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline double u01(uint64_t key, uint64_t i)
{
    return (double)(mix64(key + (i + 1) * GOLDEN) >> 11) * 0x1.0p-53;
}

/* Elements per block of a parallel fill (even: a Box-Muller pair never straddles two). */
#define FILL_BLOCK 4096

/* ---- float32 normal: Box-Muller in float32 lanes (issue 12) -------------------------------- */

/* Pairs per chunk of the float32 normal kernel: every chunk computes all its lanes (a short last
 * chunk's extra lanes are computed and dropped), so a pair's value never depends on where a
 * thread's range or the fill ends. */
#define NORMAL_LANES 16

/* Pairs [0, np) of a float32 normal fill into out (n elements: 2 np - 1 or 2 np). Pair k takes
 * the 64-bit value v of counter c0 + 2k (the pair's first element; its second element's counter
 * is not used): u1 = 1 - (v >> 40) 2^-24 in (0, 1], u2 = ((v >> 16) mod 2^24) 2^-24 in [0, 1);
 * out[2k] = a + b (r cos t), out[2k + 1] = a + b (r sin t), r = sqrt(-2 log u1), t = 2 pi u2.
 * Only +, -, *, /, sqrt and exact integer steps, no FMA (the file is built without contraction,
 * -std=c11): the same bits from the AVX2 clone and the generic one, on every machine.
 * log u1: u1 = m 2^e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s), s = (m - 1) / (m + 1),
 * |s| < 0.1716, by its series to s^9 (truncation < 3e-9 relative). sin and cos: t = q pi/2 + x
 * with q = round(4 u2) (exact on the 24-bit grid), |x| <= pi/4, Taylor series to x^9 and x^10
 * (truncation < 2e-9), then the quadrant's swap and signs. */
/* r[j] = sqrt(r[j]) for the NORMAL_LANES lanes; correctly rounded in both versions. */
typedef void (*sqrt_lanes_fn)(float *r);
static inline __attribute__((always_inline)) void sqrt_lanes_generic(float *r)
{
    for (int j = 0; j < NORMAL_LANES; j++)
        r[j] = sqrtf(r[j]);
}

static inline __attribute__((always_inline)) void
normal_f32_body(float *out, int64_t n, uint64_t key, uint64_t c0, float a, float b, int lane,
                sqrt_lanes_fn sqrt_lanes)
{
    int64_t np = (n + 1) / 2;
    for (int64_t k0 = 0; k0 < np; k0 += NORMAL_LANES) {
        uint32_t hi[NORMAL_LANES], lo[NORMAL_LANES], bits[NORMAL_LANES];
        float mf[NORMAL_LANES], r[NORMAL_LANES], zc[NORMAL_LANES], zs[NORMAL_LANES];
        for (int j = 0; j < NORMAL_LANES; j++) {
            /* mutation test: lane `lane` takes its left neighbour's counter */
            uint64_t c = c0 + 2 * (uint64_t)(k0 + j - (j == lane));
            uint64_t v = mix64(key + (c + 1) * GOLDEN);
            hi[j] = (uint32_t)(v >> 40);
            lo[j] = (uint32_t)(v >> 16) & 0xffffff;
        }
        for (int j = 0; j < NORMAL_LANES; j++) /* u1 = m 2^e, exact */
            mf[j] = (float)(int32_t)(0x1000000 - hi[j]) * 0x1.0p-24f;
        memcpy(bits, mf, sizeof bits);
        for (int j = 0; j < NORMAL_LANES; j++) {
            uint32_t man = bits[j] & 0x7fffff, up = man > 0x3504f3; /* m >= sqrt(2): halve */
            hi[j] = (bits[j] >> 23) - 127 + up; /* e, two's complement */
            bits[j] = man | (0x3f800000 - (up << 23));
        }
        memcpy(mf, bits, sizeof mf);
        for (int j = 0; j < NORMAL_LANES; j++) {
            float f = mf[j] - 1.0f; /* exact */
            float s = f / (2.0f + f), s2 = s * s;
            float p = 1.0f / 9;
            p = p * s2 + 1.0f / 7;
            p = p * s2 + 1.0f / 5;
            p = p * s2 + 1.0f / 3;
            p = p * s2 + 1.0f;
            float lg = (float)(int32_t)hi[j] * 0.693147180559945309f + 2.0f * s * p; /* <= 0 */
            float rr = -2.0f * lg;
            r[j] = rr > 0.0f ? rr : 0.0f;
        }
        sqrt_lanes(r);
        for (int j = 0; j < NORMAL_LANES; j++) {
            int32_t q = (int32_t)((lo[j] + 0x200000) >> 22); /* 0..4 */
            float x = (float)((int32_t)lo[j] - (q << 22)) * (6.28318530717958648f * 0x1.0p-24f);
            float x2 = x * x;
            float sn = 1.0f / 362880;
            sn = sn * x2 - 1.0f / 5040;
            sn = sn * x2 + 1.0f / 120;
            sn = sn * x2 - 1.0f / 6;
            sn = (sn * x2) * x + x;
            float cs = -1.0f / 3628800;
            cs = cs * x2 + 1.0f / 40320;
            cs = cs * x2 - 1.0f / 720;
            cs = cs * x2 + 1.0f / 24;
            cs = cs * x2 - 0.5f;
            cs = cs * x2 + 1.0f;
            /* quadrant q: (cos t, sin t) = (c, s), (-s, c), (-c, -s), (s, -c) */
            float sw = (float)(q & 1), sc = 1.0f - (float)((q + 1) & 2),
                  ss = 1.0f - (float)(q & 2);
            zc[j] = sc * (r[j] * (sw * sn + (1.0f - sw) * cs));
            zs[j] = ss * (r[j] * (sw * cs + (1.0f - sw) * sn));
        }
        int64_t m = np - k0 < NORMAL_LANES ? np - k0 : NORMAL_LANES;
        float *o = out + 2 * k0;
        int64_t m2 = n - 2 * k0 < 2 * m ? n - 2 * k0 : 2 * m; /* elements of this chunk */
        for (int64_t j = 0; j < m2 / 2; j++) {
            o[2 * j] = a + b * zc[j];
            o[2 * j + 1] = a + b * zs[j];
        }
        if (m2 % 2)
            o[m2 - 1] = a + b * zc[m2 / 2];
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
/* AVX2 without FMA: the same operations as the generic version, in vectors. */
__attribute__((target("avx2"), always_inline)) static inline void sqrt_lanes_avx2(float *r)
{
    for (int j = 0; j < NORMAL_LANES; j += 8)
        _mm256_storeu_ps(r + j, _mm256_sqrt_ps(_mm256_loadu_ps(r + j)));
}
__attribute__((target("avx2"))) static void normal_f32_avx2(float *out, int64_t n, uint64_t key,
                                                          uint64_t c0, float a, float b,
                                                          int lane)
{
    normal_f32_body(out, n, key, c0, a, b, lane, sqrt_lanes_avx2);
}
#define NORMAL_F32_VEC 1
#endif

static void normal_f32_generic(float *out, int64_t n, uint64_t key, uint64_t c0, float a, float b,
                               int lane)
{
    normal_f32_body(out, n, key, c0, a, b, lane, sqrt_lanes_generic);
}

/* The float32 normal kernel: the AVX2 clone where vmath's vector kernels are on (an AVX2+FMA CPU,
 * not L2_NO_VEC, l2_debug_vector_math), else the generic one; the two give the same bits. */
static void normal_f32(float *out, int64_t n, uint64_t key, uint64_t c0, float a, float b)
{
    int lane = l2__fault("randn_lane") ? 5 : -1;
#ifdef NORMAL_F32_VEC
    if (l2__vmath_f32(L2__VM_EXP)) {
        normal_f32_avx2(out, n, key, c0, a, b, lane);
        return;
    }
#endif
    normal_f32_generic(out, n, key, c0, a, b, lane);
}

/* Elements [lo, hi) of a fill into contiguous p of dtype dt; lo is even. ctr0 is the counter of
 * element lo (lo itself, except under the mutation test). Uniform: a + (b - a) u; a float32 value
 * that rounds up to b is redrawn from another counter stream (k = 1, 2, ...). Normal float64:
 * a + b z, Box-Muller on the pair (2j, 2j + 1) with u1 = 1 - u01(2j) in (0, 1], u2 = u01(2j + 1):
 * z_2j = r cos(2 pi u2), z_2j+1 = r sin(2 pi u2), r = sqrt(-2 log u1) (float64 libm: correctly
 * rounded for these arguments, so every machine gets the same values). Normal float32:
 * normal_f32 above. */
static void fill_range(void *p, l2_dtype dt, int64_t lo, int64_t hi, uint64_t key, uint64_t ctr0,
                       dist d, double a, double b)
{
    float *pf = dt == L2_FLOAT32 ? (float *)p : NULL;
    double *pd = dt == L2_FLOAT32 ? NULL : (double *)p;
    if (d == DIST_UNIFORM) {
        /* a scalar loop: lanes of 64-bit hashes in AVX2 (no 64-bit multiply) measured slower */
        for (int64_t i = lo; i < hi; i++) {
            uint64_t c = ctr0 + (uint64_t)(i - lo);
            double v = a + (b - a) * u01(key, c);
            if (pd) {
                pd[i] = v;
                continue;
            }
            /* float32 rounding can reach high: redraw (documented), unless low and high are
             * the same float32, where every draw does */
            for (uint64_t k = 1; (float)v >= (float)b && (float)a < (float)b; k++)
                v = a + (b - a) * u01(key ^ mix64(k), c);
            pf[i] = (float)v;
        }
        return;
    }
    if (pf) {
        normal_f32(pf + lo, hi - lo, key, ctr0, (float)a, (float)b);
        return;
    }
    for (int64_t i = lo; i < hi; i += 2) {
        uint64_t c = ctr0 + (uint64_t)(i - lo);
        double u1 = 1.0 - u01(key, c), u2 = u01(key, c + 1);
        double r = sqrt(-2.0 * log(u1)), t = 2.0 * M_PI * u2;
        pd[i] = a + b * (r * cos(t));
        if (i + 1 < hi)
            pd[i + 1] = a + b * (r * sin(t));
    }
}

/* Fill contiguous p (n elements of dt) with one key, blocks spread over threads. */
static void fill_contig(void *p, l2_dtype dt, int64_t n, dist d, double a, double b)
{
    uint64_t key = next_u64();
    int64_t nb = (n + FILL_BLOCK - 1) / FILL_BLOCK;
    /* normal draws cost a log, a sqrt, a cos and a sin per pair: count them as work */
    int nt = l2__threads_for(d == DIST_NORMAL ? n * 8 : n);
    if (nt > nb)
        nt = (int)nb;
    if (nt <= 1) { /* no parallel region at all: small fills pay no OpenMP call */
        if (n > 0)
            fill_range(p, dt, 0, n, key, 0, d, a, b);
        return;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
        int64_t b0 = l2__part(nb, t, nt), b1 = l2__part(nb, t + 1, nt);
        int64_t lo = b0 * FILL_BLOCK, hi = b1 * FILL_BLOCK < n ? b1 * FILL_BLOCK : n;
        /* mutation test: each thread counts from 0, so two threads draw the same block */
        uint64_t ctr0 = l2__fault("rng_stream") ? 0 : (uint64_t)lo;
        if (lo < hi)
            fill_range(p, dt, lo, hi, key, ctr0, d, a, b);
    }
}

/* Fill t: contiguous in place; any other layout through the contiguous buffer tmp (same shape
 * and dtype, allocated by the caller), copied into t in row-major order. */
static void fill_random(l2_tensor *t, l2_tensor *tmp, dist d, double a, double b)
{
    l2_tensor *c = tmp ? tmp : t;
    fill_contig(l2__data(c), c->dtype, l2__numel(c->ndim, c->shape), d, a, b);
    if (tmp)
        l2__copy_kernel(t, tmp);
}

/* The uniform range must be finite in dt, as torch's "uniform_ expects to-from <= max": an
 * infinite or overflowing high - low would make every draw inf/NaN (and the float32 redraw
 * loop above never end). */
static bool range_ok(const char *op, dist d, double a, double b, l2_dtype dt)
{
    if (d != DIST_UNIFORM)
        return true;
    double max = dt == L2_FLOAT32 ? FLT_MAX : DBL_MAX;
    if (isfinite(a) && isfinite(b) && b - a <= max && fabs(a) <= max && fabs(b) <= max)
        return true;
    l2__fail(L2_ERR_ARG, "%s: the range [%g, %g) is not finite in %s", op, a, b,
             l2_dtype_name(dt));
    return false;
}

static l2_tensor *random_new(const char *op, int ndim, const int64_t *shape, l2_dtype dt, dist d,
                             double a, double b)
{
    L2__CHECK((unsigned)dt >= L2_DTYPE_COUNT || l2__is_float(dt), NULL, L2_ERR_DTYPE,
              "%s: dtype %s is not supported (float32 or float64)", op, l2_dtype_name(dt));
    if ((unsigned)dt < L2_DTYPE_COUNT && !range_ok(op, d, a, b, dt))
        return NULL;
    l2_tensor *t = l2__new(op, ndim, shape, dt, false);
    if (t)
        fill_random(t, NULL, d, a, b);
    return l2__ret(t);
}

l2_tensor *l2_rand(int ndim, const int64_t *shape, l2_dtype dt)
{
    return random_new("rand", ndim, shape, dt, DIST_UNIFORM, 0, 1);
}
l2_tensor *l2_randn(int ndim, const int64_t *shape, l2_dtype dt)
{
    return random_new("randn", ndim, shape, dt, DIST_NORMAL, 0, 1);
}
l2_tensor *l2_uniform(int ndim, const int64_t *shape, double low, double high, l2_dtype dt)
{
    L2__CHECK(low <= high, NULL, L2_ERR_ARG, "uniform: low %g must be <= high %g", low, high);
    return random_new("uniform", ndim, shape, dt, DIST_UNIFORM, low, high);
}
l2_tensor *l2_normal(int ndim, const int64_t *shape, double mean, double std, l2_dtype dt)
{
    L2__CHECK(std >= 0, NULL, L2_ERR_ARG, "normal: std must be >= 0 (got %g)", std);
    return random_new("normal", ndim, shape, dt, DIST_NORMAL, mean, std);
}
l2_tensor *l2_rand_like(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "rand_like");
    return l2_rand(t->ndim, t->shape, t->dtype);
}
l2_tensor *l2_randn_like(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "randn_like");
    return l2_randn(t->ndim, t->shape, t->dtype);
}

l2_tensor *l2_randint(int64_t low, int64_t high, int ndim, const int64_t *shape)
{
    L2__CHECK(low < high, NULL, L2_ERR_ARG, "randint: low %lld must be < high %lld",
              (long long)low, (long long)high);
    l2_tensor *t = l2__new("randint", ndim, shape, L2_INT64, false);
    if (!t)
        return NULL;
    uint64_t range = (uint64_t)high - (uint64_t)low;
    int64_t n = l2__numel(ndim, shape);
    int64_t *p = (int64_t *)l2__data(t);
    for (int64_t i = 0; i < n; i++)
        p[i] = (int64_t)((uint64_t)low + next_below(range));
    return l2__ret(t);
}

l2_tensor *l2_randperm(int64_t n)
{
    L2__CHECK(n >= 0, NULL, L2_ERR_ARG, "randperm: n must be non-negative (got %lld)",
              (long long)n);
    l2_tensor *t = l2__new("randperm", 1, &n, L2_INT64, false);
    if (!t)
        return NULL;
    l2__rng_permutation(thread_rng(), (int64_t *)l2__data(t), n);
    return l2__ret(t);
}

static l2_status fill_checked(const char *op, l2_tensor *t, dist d, double a, double b)
{
    L2__CHECK_T(t, l2_last_status(), op);
    L2__CHECK_ST(l2__is_float(t->dtype), L2_ERR_DTYPE, "%s: dtype %s is not supported", op,
              l2_dtype_name(t->dtype));
    for (int i = 0; i < t->ndim; i++)
        L2__CHECK_ST(t->stride[i] != 0 || t->shape[i] <= 1, L2_ERR_ARG,
                     "%s: unsupported operation: t has an expanded (stride-0) dim %d", op, i);
    if (!range_ok(op, d, a, b, t->dtype))
        return l2_last_status();
    if (!l2__check_inplace(op, t))
        return l2_last_status();
    l2_tensor *tmp = NULL; /* a non-contiguous t is filled through a contiguous buffer */
    if (!l2__is_contiguous(t) && !(tmp = l2__new(op, t->ndim, t->shape, t->dtype, false)))
        return l2_last_status();
    /* A non-leaf's old history is cut, as fill_ does (dt_old = 0); recorded before the write. */
    const l2_tensor *in = t;
    if (l2__needs_grad(1, &in) && !l2__record(L2__OP_FILL_, t, 1, &in)) {
        l2_tensor_release(tmp);
        return l2_last_status();
    }
    fill_random(t, tmp, d, a, b);
    l2_tensor_release(tmp);
    l2__bump_version(t);
    return L2_OK;
}

l2_status l2_uniform_(l2_tensor *t, double low, double high)
{
    L2__CHECK_ST(low <= high, L2_ERR_ARG, "uniform_: low %g must be <= high %g", low, high);
    return fill_checked("uniform_", t, DIST_UNIFORM, low, high);
}

l2_status l2_normal_(l2_tensor *t, double mean, double std)
{
    L2__CHECK_ST(std >= 0, L2_ERR_ARG, "normal_: std must be >= 0 (got %g)", std);
    return fill_checked("normal_", t, DIST_NORMAL, mean, std);
}

/* ---- generator state (issue 16: checkpoints) ------------------------------------------- */

l2_tensor *l2_get_rng_state(void)
{
    if (!rng.seeded)
        l2_manual_seed(0); /* what the next draw would do */
    int64_t v[4];
    memcpy(v, rng.s, sizeof v);
    l2__enter();
    l2_tensor *t = l2_from_data(v, 1, (const int64_t[]){4}, L2_INT64);
    l2__leave();
    return l2__ret(t); /* the caller's scope owns it, as any op's result */
}

l2_status l2__rng_state_check(const char *op, const l2_tensor *state)
{
    L2__CHECK_ST(state, L2_ERR_NULL, "%s: state is NULL", op);
    L2__CHECK_ST(state->dtype == L2_INT64 && state->ndim == 1 && state->shape[0] == 4,
                 L2_ERR_SHAPE, "%s: the generator state is an int64 tensor of shape (4)", op);
    const char *b = l2__data(state);
    uint64_t s[4], any = 0;
    for (int i = 0; i < 4; i++) {
        memcpy(&s[i], b + (ptrdiff_t)state->stride[0] * i * 8, 8);
        any |= s[i];
    }
    L2__CHECK_ST(any, L2_ERR_ARG, "%s: an all-zero xoshiro256** state is invalid", op);
    return L2_OK;
}

void l2__rng_state_apply(const l2_tensor *state)
{
    const char *b = l2__data(state);
    for (int i = 0; i < 4; i++)
        memcpy(&rng.s[i], b + (ptrdiff_t)state->stride[0] * i * 8, 8);
    rng.seeded = true;
}

l2_status l2_set_rng_state(const l2_tensor *state)
{
    l2_status st = l2__rng_state_check("set_rng_state", state);
    if (st == L2_OK)
        l2__rng_state_apply(state);
    return st;
}
