/* hostile-adv.c: the hostile-input entries of the adv family (issue 14,
 * libl2/ops/index-adv.c): index_tensors. */
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
