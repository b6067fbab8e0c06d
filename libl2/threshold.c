/* threshold.c: the query for libl2's internal size thresholds (l2_threshold, l2_threshold_name),
 * so that tests and the oracle can draw sizes on both sides of each one. The values themselves
 * are defined once in l2-impl.h and used by the kernels; this file only names them. */
#include "l2-impl.h"

#include <string.h>

static const struct {
    const char *name;
    int64_t value;
} thresholds[] = {
    {"parallel_grain", L2__PARALLEL_GRAIN},
    {"parallel_chunk", L2__PARALLEL_CHUNK},
    {"gemm_parallel", L2__GEMM_PARALLEL},
    {"reduce_tile_out", L2__REDUCE_TILE_OUT},
    {"reduce_tile_red", L2__REDUCE_TILE_RED},
    {"reduce_tile_buffer", L2__REDUCE_TILE_BUFFER},
    {"reduce_out_per_thread", L2__REDUCE_OUT_PER_THREAD},
    {"reduce_vec_block", L2__REDUCE_VEC_BLOCK}, /* reductions (issue 12) */
    {"reduce_ext_vec", L2__REDUCE_EXT_VEC}, /* random, reductions, copies (issue 12) */
    {"softmax_cols", L2__SOFTMAX_COLS},
    {"loss_chunks", L2__LOSS_CHUNKS},
    {"index_block", L2__INDEX_BLOCK},
    {"pool2x2_block", L2__POOL2X2_BLOCK}, /* conv */
    {"conv_cols_bytes", L2__CONV_COLS_BYTES}, /* conv (issue 12) */
    {"conv_grain", L2__CONV_GRAIN},
    {"conv_bwd_slots", L2__CONV_BWD_SLOTS},
    {"conv_db_lanes", L2__CONV_DB_LANES},
    /* threads area (issue 12): the grain of each op class */
    {"grain_math", L2__GRAIN_MATH},
    {"grain_reduce", L2__GRAIN_REDUCE},
    {"grain_optim", L2__GRAIN_OPTIM},
    {"vmath_width", L2__VMATH_WIDTH}, /* vmath (issue 12) */
    /* elementwise layout: tiles of mixed-layout iterations */
    {"tile", L2__TILE},
    {"tile_min", L2__TILE_MIN},
    /* memory (alloc.c) */
    {"alloc_small", L2__ALLOC_SMALL},
    {"alloc_mmap", L2__ALLOC_MMAP},
    {"sumto_rows_min", L2__SUMTO_ROWS_MIN}, /* broadcast gradients (issue 12) */
    /* gemm (issue 12): the own float32 product */
    {"sgemm_min", L2__SGEMM_MIN},
    {"sgemm_mr", L2__SGEMM_MR},
    {"sgemm_nr", L2__SGEMM_NR},
    {"sgemm_kc", L2__SGEMM_KC},
    {"sgemm_mc", L2__SGEMM_MC},
    {"sgemm_nc", L2__SGEMM_NC},
    {"sgemm_grain", L2__SGEMM_GRAIN},
    /* reductions (issue 12, area opsp) */
    {"reduce_cols32_red", L2__REDUCE_COLS32_RED},
    /* speed (issue 12, area speed8): topk's selection */
    {"topk_select", L2__TOPK_SELECT},
};
enum { N_THRESHOLDS = (int)(sizeof thresholds / sizeof thresholds[0]) };

int64_t l2_threshold(const char *name)
{
    L2__CHECK(name != NULL, -1, L2_ERR_NULL, "threshold: argument 'name' is NULL");
    for (int i = 0; i < N_THRESHOLDS; i++)
        if (strcmp(thresholds[i].name, name) == 0)
            return thresholds[i].value;
    L2__CHECK(false, -1, L2_ERR_ARG, "threshold: unknown name '%.64s'", name);
    return -1;
}

const char *l2_threshold_name(int i)
{
    return i >= 0 && i < N_THRESHOLDS ? thresholds[i].name : NULL;
}
