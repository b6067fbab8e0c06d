/* hostile-core.c: hostile-input entries for errors, dtypes, tensor properties, scopes, creation,
 * random numbers, element access and printing. */
#include "hostile.h"

#include <stdio.h>
#include <string.h>

/* ---- Errors and dtypes ---------------------------------------------------------------------- */

void h_l2_last_status(void)
{
    CASE("after a failure and after clear")
    {
        FAIL_T(L2_ERR_NULL, l2_clone(NULL));
        EXPECT(l2_last_status() == L2_ERR_NULL, "last status %d", (int)l2_last_status());
        l2_clear_error();
        EXPECT(l2_last_status() == L2_OK, "last status after clear %d", (int)l2_last_status());
    }
}

void h_l2_last_error(void)
{
    CASE("never NULL")
    {
        EXPECT(l2_last_error() != NULL, "NULL before any error");
        l2_clear_error();
        EXPECT(l2_last_error() && !*l2_last_error(), "not empty after clear");
    }
    CASE("a long message is cut, not overflowed")
    {
        char name[3000];
        memset(name, 'x', sizeof name - 1);
        name[sizeof name - 1] = 0;
        FAIL_T(L2_ERR_ARG, l2_index(MK(L2_FLOAT32, 2), name));
        EXPECT(strlen(l2_last_error()) < 100000, "message length %zu", strlen(l2_last_error()));
    }
}

void h_l2_clear_error(void)
{
    CASE("twice")
    {
        l2_clear_error();
        l2_clear_error();
        EXPECT(l2_last_status() == L2_OK, "status");
    }
}

void h_l2_status_name(void)
{
    static const int bad[] = {-1, L2_STATUS_COUNT, INT_MAX, INT_MIN};
    for (int i = 0; i < 4; i++)
        CASE("status %d", bad[i])
        {
            const char *s = l2_status_name((l2_status)bad[i]);
            EXPECT(s && strcmp(s, "L2_UNKNOWN") == 0, "got %s", s ? s : "(null)");
        }
}

void h_l2_status_string(void)
{
    static const int bad[] = {-1, L2_STATUS_COUNT, INT_MAX, INT_MIN};
    for (int i = 0; i < 4; i++)
        CASE("status %d", bad[i]) EXPECT(l2_status_string((l2_status)bad[i]) != NULL, "NULL");
}

void h_l2_dtype_name(void)
{
    static const int bad[] = {-1, L2_DTYPE_COUNT, INT_MAX, INT_MIN};
    for (int i = 0; i < 4; i++)
        CASE("dtype %d", bad[i])
        {
            const char *s = l2_dtype_name((l2_dtype)bad[i]);
            EXPECT(s && strcmp(s, "invalid") == 0, "got %s", s ? s : "(null)");
        }
}

void h_l2_dtype_size(void)
{
    static const int bad[] = {-1, L2_DTYPE_COUNT, INT_MAX, INT_MIN};
    for (int i = 0; i < 4; i++)
        CASE("dtype %d", bad[i]) EXPECT(l2_dtype_size((l2_dtype)bad[i]) == 0, "not 0");
}

/* ---- Tensors and scopes ---------------------------------------------------------------------- */

void h_l2_tensor_ref(void)
{
    CASE("NULL") EXPECT(l2_tensor_ref(NULL) == NULL, "not NULL");
    CASE_RAW("ref then two releases")
    {
        l2_tensor *t = MK(L2_FLOAT32, 2);
        l2_tensor_ref(t);
        l2_tensor_release(t);
        l2_tensor_release(t);
    }
}

void h_l2_tensor_release(void)
{
    CASE_RAW("NULL") l2_tensor_release(NULL);
    /* The known double release: a scope-owned tensor released by hand, then the scope ends. The
     * spec says not to; whatever libl2 does must not crash or corrupt memory. */
    CASE_RAW("release of a scope-owned tensor, then scope_end")
    {
        l2_scope_begin();
        l2_tensor *t = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
        l2_tensor_release(t);
        ANY_S(l2_scope_end());
    }
}

void h_l2_free(void)
{
    CASE_RAW("NULL") l2_free(NULL);
}

void h_l2_ndim(void)
{
    CASE("NULL")
    {
        EXPECT(l2_ndim(NULL) == 0, "ndim(NULL) != 0");
        NULL_MSG(l2_ndim(NULL));
    }
}

void h_l2_shape(void)
{
    CASE("NULL")
    {
        EXPECT(l2_shape(NULL) == NULL, "not NULL");
        NULL_MSG(l2_shape(NULL));
    }
}

void h_l2_strides(void)
{
    CASE("NULL") NULL_MSG(l2_strides(NULL));
}

void h_l2_offset(void)
{
    CASE("NULL") NULL_MSG(l2_offset(NULL));
}

void h_l2_size(void)
{
    CASE("NULL") NULL_MSG(l2_size(NULL, 0));
    for (int i = 0; i < h_nbad_dims; i++)
        CASE("dim %d", h_bad_dims[i])
        {
            EXPECT(l2_size(MK(L2_FLOAT32, 2, 3), h_bad_dims[i]) == -1, "not -1");
            NULL_MSG(l2_size(MK(L2_FLOAT32, 2, 3), h_bad_dims[i]));
            EXPECT(l2_last_status() == L2_ERR_DIM, "status %s", l2_status_name(l2_last_status()));
        }
    CASE("0-d dim 0") NULL_MSG(l2_size(mk_kind(K_0D, L2_FLOAT32), 0));
}

void h_l2_numel(void)
{
    CASE("NULL") NULL_MSG(l2_numel(NULL));
    CASE("huge") EXPECT(l2_numel(mk_kind(K_HUGE, L2_BOOL)) == (int64_t)1 << 59, "wrong numel");
}

void h_l2_dtype_of(void)
{
    CASE("NULL") NULL_MSG(l2_dtype_of(NULL));
}

void h_l2_data_ptr(void)
{
    CASE("NULL") NULL_MSG(l2_data_ptr(NULL));
    CASE("empty")(void) l2_data_ptr(mk_kind(K_EMPTY, L2_FLOAT32));
}

void h_l2_is_contiguous(void)
{
    CASE("NULL") NULL_MSG(l2_is_contiguous(NULL));
    for (int k = 0; k < K_COUNT; k++)
        CASE("%s", h_kind_name[k])(void) l2_is_contiguous(mk_kind(k, L2_FLOAT32));
}

void h_l2_shares_storage(void)
{
    CASE("NULL, t") NULL_MSG(l2_shares_storage(NULL, MK(L2_FLOAT32, 1)));
    CASE("t, NULL") NULL_MSG(l2_shares_storage(MK(L2_FLOAT32, 1), NULL));
}

void h_l2_scope_begin(void)
{
    CASE_RAW("65 nested scopes")
    {
        int opened = 0;
        for (int i = 0; i < 65; i++) {
            l2_clear_error();
            l2_status s = l2_scope_begin();
            if (s == L2_OK)
                opened++;
            else
                h_fail_s(s, L2_ERR_ARG, "scope_begin beyond 64", __LINE__);
        }
        EXPECT(opened == 64, "%d scopes opened, want 64", opened);
        for (int i = 0; i < opened; i++)
            l2_scope_end();
    }
    CASE_RAW("1000 nested scopes")
    {
        int opened = 0;
        for (int i = 0; i < 1000; i++)
            opened += l2_scope_begin() == L2_OK;
        for (int i = 0; i < opened; i++)
            l2_scope_end();
    }
}

void h_l2_scope_end(void)
{
    CASE_RAW("none open") FAIL_S(L2_ERR_ARG, l2_scope_end());
    CASE_RAW("one more than opened")
    {
        l2_scope_begin();
        l2_scope_end();
        FAIL_S(L2_ERR_ARG, l2_scope_end());
    }
    CASE_RAW("a scope-owned tensor kept twice, released by hand")
    {
        l2_scope_begin();
        l2_tensor *t = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
        l2_tensor *k = l2_keep(t);
        l2_scope_end();
        l2_tensor_release(k);
    }
}

void h_l2_keep(void)
{
    CASE_RAW("NULL")
    {
        l2_clear_error();
        EXPECT(l2_keep(NULL) == NULL, "not NULL");
        h_msg_ok("keep(NULL)", __LINE__);
    }
    CASE_RAW("outside any scope")
    {
        l2_tensor *t = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
        l2_tensor *k = l2_keep(t);
        l2_tensor_release(k);
        l2_tensor_release(t);
    }
}

/* ---- Creation -------------------------------------------------------------------------------- */

typedef l2_tensor *(*h_create_fn)(int, const int64_t *, l2_dtype);

/* Hostile ranks and shapes for any function taking (ndim, shape). */
static void sweep_shape(h_create_fn f, int any_dtype)
{
    static const int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const int64_t shapes[][2] = {
        {-1, 2},
        {INT64_MIN, 1},
        {INT64_MAX, 1},
        {INT64_MAX, 2},
        {(int64_t)1 << 62, 4},
        {(int64_t)1 << 32, (int64_t)1 << 32},
        {(int64_t)1 << 40, (int64_t)1 << 40},
        {(int64_t)1 << 61, 1},
        {0, INT64_MAX},
        {0, -1},
    };
    CASE("rank 9") FAIL_T(L2_ERR_ARG, f(9, nine, L2_FLOAT32));
    CASE("rank -1") FAIL_T(L2_ERR_ARG, f(-1, nine, L2_FLOAT32));
    CASE("rank INT_MAX") FAIL_T(L2_ERR_ARG, f(INT_MAX, nine, L2_FLOAT32));
    CASE("rank INT_MIN") FAIL_T(L2_ERR_ARG, f(INT_MIN, nine, L2_FLOAT32));
    CASE("NULL shape, rank 2") FAIL_T(L2_ERR_NULL, f(2, NULL, L2_FLOAT32));
    CASE("NULL shape, rank 0") ANY_T(f(0, NULL, L2_FLOAT64));
    for (int i = 0; i < (int)(sizeof shapes / sizeof shapes[0]); i++)
        CASE("shape {%lld, %lld}", (long long)shapes[i][0], (long long)shapes[i][1])
        {
            int neg = shapes[i][0] < 0 || shapes[i][1] < 0;
            int zero = shapes[i][0] == 0 || shapes[i][1] == 0;
            if (neg)
                FAIL_T(L2_ERR_ARG, f(2, shapes[i], L2_FLOAT32));
            else if (zero)
                ANY_T(f(2, shapes[i], L2_FLOAT32));
            else
                FAIL_T(H_BIG, f(2, shapes[i], L2_FLOAT32));
        }
    CASE("shape {2^62, 4} then clone(select(t, 0, 1000000))")
    {
        l2_tensor *t = f(L2_SHAPE((int64_t)1 << 62, 4), L2_FLOAT32);
        if (t)
            h_bad(__LINE__, "made a tensor of 2^64 elements");
        ANY_T(l2_clone(l2_select(t, 0, 1000000)));
    }
    CASE("byte size overflows size_t: {2^61, 2} float64")
    FAIL_T(H_BIG, f(L2_SHAPE((int64_t)1 << 61, 2), L2_FLOAT64));
    CASE("rank 8 of 2^8 each: 2^64")
    {
        int64_t s[8];
        for (int i = 0; i < 8; i++)
            s[i] = 256;
        FAIL_T(H_BIG, f(8, s, L2_FLOAT32));
    }
    static const int bad_dt[] = {-1, L2_DTYPE_COUNT, INT_MAX};
    for (int i = 0; i < 3 && any_dtype; i++)
        CASE("dtype %d", bad_dt[i]) FAIL_T(H_ANY, f(L2_SHAPE(2), (l2_dtype)bad_dt[i]));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        CASE("%s (0,3) and 0-d", l2_dtype_name(h_dtypes[d]))
        {
            ANY_T(f(L2_SHAPE(0, 3), h_dtypes[d]));
            ANY_T(f(0, NULL, h_dtypes[d]));
        }
}

void h_l2_empty(void)
{
    sweep_shape(l2_empty, 1);
}

void h_l2_zeros(void)
{
    sweep_shape(l2_zeros, 1);
}

void h_l2_ones(void)
{
    sweep_shape(l2_ones, 1);
}

static double h_value = 1;

static l2_tensor *full_v(int n, const int64_t *s, l2_dtype dt)
{
    return l2_full(n, s, h_value, dt);
}

void h_l2_full(void)
{
    sweep_shape(full_v, 1);
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int i = 0; i < h_nscalars; i++) {
            h_value = h_scalars[i];
            CASE("%s value %g", l2_dtype_name(h_dtypes[d]), h_value)
            ANY_T(l2_full(L2_SHAPE(2), h_value, h_dtypes[d]));
        }
    h_value = 1;
}

void h_l2_scalar(void)
{
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int i = 0; i < h_nscalars; i++)
            CASE("%s %g", l2_dtype_name(h_dtypes[d]), h_scalars[i])
    ANY_T(l2_scalar(h_scalars[i], h_dtypes[d]));
    CASE("dtype 99") FAIL_T(L2_ERR_ARG, l2_scalar(1, (l2_dtype)99));
}

static void sweep_like(h_unary_fn f)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, f(NULL));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(f(mk_kind(k, h_dtypes[d])));
}

void h_l2_empty_like(void)
{
    sweep_like(l2_empty_like);
}

void h_l2_zeros_like(void)
{
    sweep_like(l2_zeros_like);
}

void h_l2_ones_like(void)
{
    sweep_like(l2_ones_like);
}

static l2_tensor *full_like_v(const l2_tensor *t)
{
    return l2_full_like(t, h_value);
}

void h_l2_full_like(void)
{
    sweep_like(full_like_v);
    for (int i = 0; i < h_nscalars; i++) {
        h_value = h_scalars[i];
        CASE("int64 value %g", h_value) ANY_T(full_like_v(MK(L2_INT64, 2)));
    }
    h_value = 1;
}

void h_l2_arange(void)
{
    static const double v[][3] = {
        {0, 10, 0},     {0, 10, -1},      {10, 0, 1},           {0, NAN, 1},        {NAN, 1, 1},
        {0, 1, NAN},    {0, INFINITY, 1}, {-INFINITY, 0, 1},    {0, 1e300, 1e-300}, {0, 9.3e18, 1},
        {0, 1e19, 0.5}, {0, 1, INFINITY}, {-9.3e18, 9.3e18, 1}, {0, 1, 1e-320},
    };
    for (int i = 0; i < (int)(sizeof v / sizeof v[0]); i++)
        for (int d = 0; d < 3; d++)
            CASE("%g, %g, %g %s", v[i][0], v[i][1], v[i][2], l2_dtype_name(h_dtypes[d]))
    FAIL_T(H_ANY, l2_arange(v[i][0], v[i][1], v[i][2], h_dtypes[d]));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_arange(0, 2, 1, L2_BOOL));
    CASE("empty range") ANY_T(l2_arange(1, 1, 1, L2_INT64));
}

void h_l2_linspace(void)
{
    static const int64_t steps[] = {-1, INT64_MIN, INT64_MAX, (int64_t)1 << 62, 0, 1};
    for (int i = 0; i < 6; i++)
        CASE("steps %lld", (long long)steps[i])
        {
            if (steps[i] < 0)
                FAIL_T(H_ANY, l2_linspace(0, 1, steps[i], L2_FLOAT32));
            else if (steps[i] > 2)
                FAIL_T(H_BIG, l2_linspace(0, 1, steps[i], L2_FLOAT32));
            else
                ANY_T(l2_linspace(0, 1, steps[i], L2_FLOAT32));
        }
    for (int i = 0; i < h_nscalars; i++)
        CASE("start %g", h_scalars[i]) ANY_T(l2_linspace(h_scalars[i], 1, 5, L2_FLOAT64));
    for (int d = 2; d < 4; d++)
        CASE("%s", l2_dtype_name(h_dtypes[d])) ANY_T(l2_linspace(0, 1, 3, h_dtypes[d]));
}

void h_l2_eye(void)
{
    static const int64_t v[][2] = {{-2, 3},        {3, -1},
                                   {INT64_MAX, 1}, {(int64_t)1 << 32, -1},
                                   {INT64_MIN, 1}, {(int64_t)1 << 62, 4},
                                   {0, 0},         {0, -5}};
    for (int i = 0; i < 8; i++)
        for (int d = 0; d < L2_DTYPE_COUNT; d += 3)
            CASE("%lld, %lld, %s", (long long)v[i][0], (long long)v[i][1],
                 l2_dtype_name(h_dtypes[d]))
            {
                if (v[i][0] < 0)
                    FAIL_T(H_ANY, l2_eye(v[i][0], v[i][1], h_dtypes[d]));
                else if (v[i][0] > 1000000)
                    FAIL_T(H_BIG, l2_eye(v[i][0], v[i][1], h_dtypes[d]));
                else
                    ANY_T(l2_eye(v[i][0], v[i][1], h_dtypes[d]));
            }
}

static l2_tensor *from_data_big(int n, const int64_t *s, l2_dtype dt)
{
    static const double buf[4] = {1, 2, 3, 4};
    return l2_from_data(buf, n, s, dt);
}

void h_l2_from_data(void)
{
    sweep_shape(from_data_big, 1);
    CASE("NULL data with elements") FAIL_T(L2_ERR_NULL, l2_from_data(NULL, L2_SHAPE(2), L2_INT64));
    CASE("NULL data, empty") ANY_T(l2_from_data(NULL, L2_SHAPE(0, 2), L2_INT64));
    CASE("bool bytes other than 0/1")
    {
        static const uint8_t b[3] = {2, 255, 0};
        l2_tensor *t = ANY_T(l2_from_data(b, L2_SHAPE(3), L2_BOOL));
        if (t)
            ANY_T(l2_sum(t));
    }
}

static int blob_released;
static void blob_release(void *ctx)
{
    (void)ctx;
    blob_released++;
}

void h_l2_from_blob(void)
{
    static double buf[16];
    static const int64_t big[] = {INT64_MAX, (int64_t)1 << 62, (int64_t)1 << 61, INT64_MIN, -1};
    CASE("NULL data, elements")
    {
        FAIL_T(L2_ERR_NULL,
               l2_from_blob(NULL, L2_SHAPE(2), NULL, 0, L2_FLOAT64, blob_release, NULL));
        EXPECT(blob_released == 1, "release called %d times", blob_released);
    }
    for (int i = 0; i < 5; i++) {
        CASE("stride %lld", (long long)big[i])
        {
            FAIL_T(H_ANY, l2_from_blob(buf, L2_SHAPE(2, 2), (const int64_t[]){big[i], 1}, 0,
                                       L2_FLOAT64, blob_release, NULL));
            EXPECT(blob_released == 1, "release called %d times", blob_released);
        }
        CASE("offset %lld", (long long)big[i])
        {
            FAIL_T(H_ANY,
                   l2_from_blob(buf, L2_SHAPE(2), NULL, big[i], L2_FLOAT64, blob_release, NULL));
            EXPECT(blob_released == 1, "release called %d times", blob_released);
        }
        CASE("shape {%lld}", (long long)big[i])
        {
            FAIL_T(H_ANY, l2_from_blob(buf, 1, &big[i], NULL, 0, L2_FLOAT64, blob_release, NULL));
            EXPECT(blob_released == 1, "release called %d times", blob_released);
        }
    }
    CASE("rank 9")
    {
        static const int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        FAIL_T(L2_ERR_ARG, l2_from_blob(buf, 9, nine, NULL, 0, L2_FLOAT64, blob_release, NULL));
        EXPECT(blob_released == 1, "release called %d times", blob_released);
    }
    CASE("bad dtype")
    {
        FAIL_T(H_ANY, l2_from_blob(buf, L2_SHAPE(2), NULL, 0, (l2_dtype)7, blob_release, NULL));
        EXPECT(blob_released == 1, "release called %d times", blob_released);
    }
    CASE("success releases once, at the last release")
    {
        l2_tensor *t = OK_T(l2_from_blob(buf, L2_SHAPE(2, 2), (const int64_t[]){0, 1}, 2,
                                         L2_FLOAT64, blob_release, NULL));
        EXPECT(blob_released == 0, "release called early");
        (void)t;
    }
}

/* ---- Random -----------------------------------------------------------------------------------
 */

void h_l2_manual_seed(void)
{
    CASE("UINT64_MAX, 0")
    {
        l2_manual_seed(UINT64_MAX);
        OK_T(l2_randn(L2_SHAPE(3), L2_FLOAT32));
        l2_manual_seed(0);
    }
}

void h_l2_rand(void)
{
    sweep_shape(l2_rand, 1);
    CASE("int64") FAIL_T(L2_ERR_DTYPE, l2_rand(L2_SHAPE(2), L2_INT64));
}

void h_l2_randn(void)
{
    sweep_shape(l2_randn, 1);
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_randn(L2_SHAPE(2), L2_BOOL));
}

static double h_lo, h_hi;

static l2_tensor *uniform_v(int n, const int64_t *s, l2_dtype dt)
{
    return l2_uniform(n, s, h_lo, h_hi, dt);
}

static l2_tensor *normal_v(int n, const int64_t *s, l2_dtype dt)
{
    return l2_normal(n, s, h_lo, h_hi, dt);
}

static l2_tensor *randint_v(int n, const int64_t *s, l2_dtype dt)
{
    (void)dt;
    return l2_randint((int64_t)h_lo, (int64_t)h_hi, n, s);
}

static const double pairs[][2] = {{0, 1},         {1, 0},        {NAN, 1},        {0, NAN},
                                  {-INFINITY, 0}, {0, INFINITY}, {-1e308, 1e308}, {0, -1}};

static void sweep_pairs(h_create_fn f, int fail_if_lo_gt_hi, int any_dtype)
{
    h_lo = 0, h_hi = 1;
    sweep_shape(f, any_dtype);
    for (int i = 1; i < 8; i++) {
        h_lo = pairs[i][0], h_hi = pairs[i][1];
        CASE("%g, %g", h_lo, h_hi)
        {
            if (fail_if_lo_gt_hi && (h_lo > h_hi || isnan(h_lo) || isnan(h_hi)))
                FAIL_T(L2_ERR_ARG, f(L2_SHAPE(3), L2_FLOAT64));
            else
                ANY_T(f(L2_SHAPE(3), L2_FLOAT64));
        }
    }
    h_lo = 0, h_hi = 1;
}

void h_l2_uniform(void)
{
    sweep_pairs(uniform_v, 1, 1);
}

void h_l2_normal(void)
{
    sweep_pairs(normal_v, 0, 1);
    CASE("std -1") FAIL_T(H_ANY, l2_normal(L2_SHAPE(3), 0, -1, L2_FLOAT32));
    CASE("std NaN") FAIL_T(H_ANY, l2_normal(L2_SHAPE(3), 0, NAN, L2_FLOAT32));
}

void h_l2_randint(void)
{
    sweep_pairs(randint_v, 0, 0);
    CASE("INT64_MIN, INT64_MAX") ANY_T(l2_randint(INT64_MIN, INT64_MAX, L2_SHAPE(4)));
    CASE("1, 1") FAIL_T(L2_ERR_ARG, l2_randint(1, 1, L2_SHAPE(4)));
    CASE("INT64_MAX, INT64_MIN") FAIL_T(L2_ERR_ARG, l2_randint(INT64_MAX, INT64_MIN, L2_SHAPE(4)));
}

void h_l2_randperm(void)
{
    static const int64_t v[] = {-1, INT64_MIN, INT64_MAX, (int64_t)1 << 62, 0, 1};
    for (int i = 0; i < 6; i++)
        CASE("n %lld", (long long)v[i])
        {
            if (v[i] < 0)
                FAIL_T(H_ANY, l2_randperm(v[i]));
            else if (v[i] > 1)
                FAIL_T(H_BIG, l2_randperm(v[i]));
            else
                ANY_T(l2_randperm(v[i]));
        }
}

void h_l2_rand_like(void)
{
    sweep_like(l2_rand_like);
}

void h_l2_randn_like(void)
{
    sweep_like(l2_randn_like);
}

static void sweep_fill_random(l2_status (*f)(l2_tensor *, double, double))
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, f(NULL, 0, 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                l2_tensor *t = mk_kind(k, h_dtypes[d]);
                if (k == K_HUGE)
                    FAIL_S(H_ANY, f(t, 0, 1));
                else if (k == K_EXPANDED)
                    FAIL_IP(H_ANY, t, f(t, 0, 1));
                else
                    ANY_IP(t, f(t, 0, 1));
            }
    for (int i = 1; i < 8; i++)
        CASE("%g, %g", pairs[i][0], pairs[i][1])
        {
            l2_tensor *t = MK(L2_FLOAT32, 3);
            ANY_IP(t, f(t, pairs[i][0], pairs[i][1]));
        }
    CASE("leaf that requires grad")
    {
        l2_tensor *t = mk_leaf(L2_FLOAT32);
        FAIL_IP(L2_ERR_AUTOGRAD, t, f(t, 0, 1));
    }
}

void h_l2_uniform_(void)
{
    sweep_fill_random(l2_uniform_);
    static const double inf[][2] = {{0, INFINITY}, {-INFINITY, 0}, {-1e308, 1e308}, {0, 1e39}};
    for (int i = 0; i < 4; i++)
        CASE("float32 range [%g, %g)", inf[i][0], inf[i][1]) {
            l2_tensor *t = MK(L2_FLOAT32, 3);
            FAIL_IP(L2_ERR_ARG, t, l2_uniform_(t, inf[i][0], inf[i][1]));
        }
}

void h_l2_normal_(void)
{
    sweep_fill_random(l2_normal_);
}

/* ---- Element access and printing ----------------------------------------------------------- */

static const int64_t bad_i[] = {2, -3, INT64_MAX, INT64_MIN, (int64_t)1 << 32};

void h_l2_get(void)
{
    double v;
    CASE("NULL t") FAIL_S(L2_ERR_NULL, l2_get(NULL, (const int64_t[]){0}, &v));
    CASE("NULL idx on 1-d") FAIL_S(L2_ERR_NULL, l2_get(MK(L2_FLOAT32, 2), NULL, &v));
    CASE("NULL out") FAIL_S(L2_ERR_NULL, l2_get(MK(L2_FLOAT32, 2), (const int64_t[]){0}, NULL));
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_i[i])
    FAIL_S(L2_ERR_INDEX, l2_get(MK(L2_FLOAT32, 2), &bad_i[i], &v));
    CASE("empty")
    FAIL_S(L2_ERR_INDEX, l2_get(mk_kind(K_EMPTY, L2_FLOAT32), (const int64_t[]){0, 0}, &v));
    CASE("huge, last element")
    ANY_S(l2_get(mk_kind(K_HUGE, L2_INT64), (const int64_t[]){-1, -1}, &v));
    CASE("0-d NULL idx") OK_S(l2_get(mk_kind(K_0D, L2_BOOL), NULL, &v));
}

void h_l2_get_int64(void)
{
    int64_t v;
    CASE("NULL t") FAIL_S(L2_ERR_NULL, l2_get_int64(NULL, (const int64_t[]){0}, &v));
    CASE("NULL out") FAIL_S(L2_ERR_NULL, l2_get_int64(MK(L2_INT64, 2), (const int64_t[]){0}, NULL));
    CASE("float") FAIL_S(L2_ERR_DTYPE, l2_get_int64(MK(L2_FLOAT32, 2), (const int64_t[]){0}, &v));
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_i[i])
    FAIL_S(L2_ERR_INDEX, l2_get_int64(MK(L2_INT64, 2), &bad_i[i], &v));
}

void h_l2_set(void)
{
    CASE("NULL t") FAIL_S(L2_ERR_NULL, l2_set(NULL, (const int64_t[]){0}, 1));
    CASE("NULL idx on 1-d")
    {
        l2_tensor *t = MK(L2_FLOAT32, 2);
        FAIL_IP(L2_ERR_NULL, t, l2_set(t, NULL, 1));
    }
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_i[i])
        {
            l2_tensor *t = MK(L2_FLOAT32, 2);
            FAIL_IP(L2_ERR_INDEX, t, l2_set(t, &bad_i[i], 1));
        }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int i = 0; i < h_nscalars; i++)
            CASE("%s value %g", l2_dtype_name(h_dtypes[d]), h_scalars[i])
    ANY_S(l2_set(MK(h_dtypes[d], 2), (const int64_t[]){1}, h_scalars[i]));
    CASE("leaf that requires grad")
    {
        l2_tensor *t = mk_leaf(L2_FLOAT32);
        FAIL_IP(L2_ERR_AUTOGRAD, t, l2_set(t, (const int64_t[]){0, 0}, 1));
    }
    CASE("expanded") ANY_S(l2_set(mk_kind(K_EXPANDED, L2_FLOAT32), (const int64_t[]){0, 0}, 1));
}

void h_l2_item(void)
{
    double v;
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_item(NULL, &v));
    CASE("NULL out") FAIL_S(L2_ERR_NULL, l2_item(MK(L2_FLOAT32, 1), NULL));
    CASE("2 elements") FAIL_S(L2_ERR_SHAPE, l2_item(MK(L2_FLOAT32, 2), &v));
    CASE("empty") FAIL_S(L2_ERR_SHAPE, l2_item(MK(L2_FLOAT32, 0), &v));
    CASE("huge") FAIL_S(L2_ERR_SHAPE, l2_item(mk_kind(K_HUGE, L2_FLOAT32), &v));
    CASE("rank 8 of ones") OK_S(l2_item(MK(L2_INT64, 1, 1, 1, 1, 1, 1, 1, 1), &v));
}

void h_l2_to_string(void)
{
    CASE("NULL")
    {
        l2_clear_error();
        EXPECT(l2_to_string(NULL) == NULL, "not NULL");
        h_msg_ok("to_string(NULL)", __LINE__);
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
            {
                char *s = l2_to_string(mk_kind(k, h_dtypes[d]));
                if (!s)
                    h_msg_ok("to_string", __LINE__);
                l2_free(s);
            }
    CASE("rank 8 of 2s (256 elements) and (1001,)")
    {
        l2_free(l2_to_string(MK(L2_FLOAT64, 2, 2, 2, 2, 2, 2, 2, 2)));
        l2_free(l2_to_string(MK(L2_FLOAT32, 1001)));
    }
    CASE("requires grad, non-leaf")
    {
        l2_tensor *x = mk_leaf(L2_FLOAT64);
        l2_free(l2_to_string(l2_mul(x, x)));
    }
}

void h_l2_print(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_print(NULL));
    CASE("special, huge")
    {
        ANY_S(l2_print(mk_kind(K_SPECIAL, L2_FLOAT32)));
        ANY_S(l2_print(mk_kind(K_HUGE, L2_BOOL)));
    }
}

/* l2_set_error (issue 17): non-error statuses are refused, a NULL format records the
 * description, a long message is cut, control characters become '?'. */
void h_l2_set_error(void)
{
    static const int bad[] = {L2_OK, -1, L2_STATUS_COUNT, INT_MAX, INT_MIN};
    for (int i = 0; i < 5; i++)
        CASE("status %d", bad[i])
        {
            l2_status s = l2_set_error((l2_status)bad[i], "x");
            EXPECT(s == L2_ERR_ARG && l2_last_status() == L2_ERR_ARG, "got %d", (int)s);
        }
    CASE("NULL format")
    {
        EXPECT(l2_set_error(L2_ERR_COMM, NULL) == L2_ERR_COMM &&
                   strcmp(l2_last_error(), l2_status_string(L2_ERR_COMM)) == 0,
               "got %s", l2_last_error());
    }
    CASE("long message with a newline")
    {
        l2_set_error(L2_ERR_IO, "%0600d\n", 7);
        EXPECT(strlen(l2_last_error()) == 511 && !strchr(l2_last_error(), '\n'), "len %zu",
               strlen(l2_last_error()));
    }
}
