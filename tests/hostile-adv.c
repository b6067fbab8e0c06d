/* hostile-adv.c: the hostile-input entries of the adv family (issue 14,
 * libl2/ops/index-adv.c, index-put.c): index_tensors, index_put, index_put_. */
#include "hostile.h"

static l2_tensor *ix1(int64_t v)
{
    return l2_from_data(&v, L2_SHAPE(1), L2_INT64);
}

static const int64_t bad_ix[] = {2, INT64_MAX, INT64_MIN, (int64_t)1 << 32, -3};

void h_l2_index_tensors(void)
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_index_tensors(NULL, 0, NULL));
    CASE("NULL indices") FAIL_T(L2_ERR_NULL, l2_index_tensors(MK(L2_FLOAT32, 2), 1, NULL));
    CASE("n < 0") FAIL_T(L2_ERR_ARG, l2_index_tensors(MK(L2_FLOAT32, 2), -1, NULL));
    CASE("n huge")
    FAIL_T(L2_ERR_INDEX, l2_index_tensors(MK(L2_FLOAT32, 2), 1000,
                                          (const l2_tensor *[]){NULL}));
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_ix[i])
    FAIL_T(L2_ERR_INDEX, l2_index_tensors(MK(L2_FLOAT32, 2, 2), 2,
                                          (const l2_tensor *[]){NULL, ix1(bad_ix[i])}));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("index dtype %s", l2_dtype_name(h_dtypes[d]))
        ANY_T(l2_index_tensors(MK(L2_FLOAT32, 2, 2), 1,
                               (const l2_tensor *[]){MK(h_dtypes[d], 2)}));
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s x", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
        ANY_T(l2_index_tensors(mk_kind(k, h_dtypes[d]), 1,
                               (const l2_tensor *[]){l2_scalar(0, L2_INT64)}));
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s index", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
        ANY_T(l2_index_tensors(MK(L2_FLOAT32, 3, 2), 1,
                               (const l2_tensor *[]){mk_kind(k, h_dtypes[d])}));
    }
    CASE("0-d bool mask")
    FAIL_T(L2_ERR_SHAPE, l2_index_tensors(MK(L2_FLOAT32, 2), 1,
                                          (const l2_tensor *[]){l2_scalar(1, L2_BOOL)}));
    CASE("expanded huge index")
    ANY_T(l2_index_tensors(MK(L2_FLOAT32, 2), 1,
                           (const l2_tensor *[]){mk_kind(K_HUGE, L2_INT64)}));
}

void h_l2_index_put(void)
{
    CASE("NULL self")
    FAIL_T(L2_ERR_NULL, l2_index_put(NULL, 0, NULL, MK(L2_FLOAT32, 1), false));
    CASE("NULL values")
    FAIL_T(L2_ERR_NULL, l2_index_put(MK(L2_FLOAT32, 2), 1, (const l2_tensor *[]){ix1(0)}, NULL,
                                     false));
    CASE("NULL indices")
    FAIL_T(L2_ERR_NULL, l2_index_put(MK(L2_FLOAT32, 2), 1, NULL, MK(L2_FLOAT32, 1), true));
    CASE("n < 0")
    FAIL_T(L2_ERR_ARG, l2_index_put(MK(L2_FLOAT32, 2), -1, NULL, MK(L2_FLOAT32, 1), false));
    CASE("n huge")
    FAIL_T(L2_ERR_INDEX, l2_index_put(MK(L2_FLOAT32, 2), 1000, (const l2_tensor *[]){NULL},
                                      MK(L2_FLOAT32, 1), false));
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_ix[i])
    FAIL_T(L2_ERR_INDEX, l2_index_put(MK(L2_FLOAT32, 2, 2), 2,
                                      (const l2_tensor *[]){NULL, ix1(bad_ix[i])},
                                      MK(L2_FLOAT32, 1), i % 2));
    CASE("values of another dtype")
    FAIL_T(L2_ERR_DTYPE, l2_index_put(MK(L2_FLOAT32, 2), 1, (const l2_tensor *[]){ix1(0)},
                                      MK(L2_FLOAT64, 1), false));
    CASE("values that do not broadcast")
    FAIL_T(L2_ERR_SHAPE, l2_index_put(MK(L2_FLOAT32, 2), 1, (const l2_tensor *[]){ix1(0)},
                                      MK(L2_FLOAT32, 3), false));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        l2_dtype dt = h_dtypes[d];
        CASE("index dtype %s", l2_dtype_name(dt))
        ANY_T(l2_index_put(MK(L2_FLOAT32, 2, 2), 1, (const l2_tensor *[]){MK(dt, 2)},
                           MK(L2_FLOAT32, 1), false));
        for (int k = 0; k < K_COUNT; k++)
            for (int acc = 0; acc < 2; acc++) {
                CASE("%s %s self, accumulate %d", l2_dtype_name(dt), h_kind_name[k], acc)
                ANY_T(l2_index_put(mk_kind(k, dt), 1, (const l2_tensor *[]){ix1(0)},
                                   l2_scalar(1, dt), acc));
                CASE("%s %s values, accumulate %d", l2_dtype_name(dt), h_kind_name[k], acc)
                ANY_T(l2_index_put(MK(dt, 3, 2), 1, (const l2_tensor *[]){ix1(1)},
                                   mk_kind(k, dt), acc));
                CASE("%s %s index, accumulate %d", l2_dtype_name(dt), h_kind_name[k], acc)
                ANY_T(l2_index_put(MK(L2_FLOAT32, 3, 2), 1,
                                   (const l2_tensor *[]){mk_kind(k, dt)},
                                   MK(L2_FLOAT32, 1), acc));
            }
    }
    CASE("expanded huge index")
    ANY_T(l2_index_put(MK(L2_FLOAT32, 2), 1, (const l2_tensor *[]){mk_kind(K_HUGE, L2_INT64)},
                       MK(L2_FLOAT32, 1), true));
}

void h_l2_index_put_(void)
{
    CASE("NULL self")
    FAIL_S(L2_ERR_NULL, l2_index_put_(NULL, 0, NULL, MK(L2_FLOAT32, 1), false));
    CASE("NULL values") {
        l2_tensor *x = MK(L2_FLOAT32, 2);
        FAIL_IP(L2_ERR_NULL, x, l2_index_put_(x, 1, (const l2_tensor *[]){ix1(0)}, NULL, 0));
    }
    CASE("n < 0") {
        l2_tensor *x = MK(L2_FLOAT32, 2);
        FAIL_IP(L2_ERR_ARG, x, l2_index_put_(x, -1, NULL, MK(L2_FLOAT32, 1), false));
    }
    for (int i = 0; i < 5; i++)
        CASE("index %lld", (long long)bad_ix[i]) {
            l2_tensor *x = MK(L2_FLOAT32, 2, 2);
            FAIL_IP(L2_ERR_INDEX, x, l2_index_put_(x, 2, (const l2_tensor *[]){NULL,
                                                   ix1(bad_ix[i])}, MK(L2_FLOAT32, 1), i % 2));
        }
    CASE("values of another dtype") {
        l2_tensor *x = MK(L2_INT64, 2);
        FAIL_IP(L2_ERR_DTYPE, x, l2_index_put_(x, 1, (const l2_tensor *[]){ix1(0)},
                                               MK(L2_FLOAT64, 1), false));
    }
    CASE("leaf that requires grad") {
        l2_tensor *x = MK(L2_FLOAT32, 2);
        l2_set_requires_grad(x, true);
        FAIL_IP(L2_ERR_AUTOGRAD, x, l2_index_put_(x, 1, (const l2_tensor *[]){ix1(0)},
                                                  MK(L2_FLOAT32, 1), false));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        l2_dtype dt = h_dtypes[d];
        for (int k = 0; k < K_COUNT; k++)
            for (int acc = 0; acc < 2; acc++) {
                CASE("%s %s self, accumulate %d", l2_dtype_name(dt), h_kind_name[k], acc) {
                    l2_tensor *x = mk_kind(k, dt);
                    if (x)
                        ANY_IP(x, l2_index_put_(x, 1, (const l2_tensor *[]){ix1(0)},
                                                l2_scalar(1, dt), acc));
                }
                CASE("%s %s values, accumulate %d", l2_dtype_name(dt), h_kind_name[k], acc) {
                    l2_tensor *x = MK(dt, 3, 2);
                    ANY_IP(x, l2_index_put_(x, 1, (const l2_tensor *[]){ix1(1)},
                                            mk_kind(k, dt), acc));
                }
            }
    }
}
