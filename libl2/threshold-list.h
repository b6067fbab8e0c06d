/* threshold-list.h: the one list of libl2's named size thresholds, as X-macro lines
 * L2__THRESHOLD(name, value macro); the values are defined in l2-impl.h. threshold.c builds
 * l2_threshold's table from it and tests/test-threshold.c checks every entry against the macro
 * the kernels use. A new threshold: its #define in l2-impl.h and one line here. No include
 * guard: included once per table. */
L2__THRESHOLD(parallel_grain, L2__PARALLEL_GRAIN)
L2__THRESHOLD(parallel_chunk, L2__PARALLEL_CHUNK)
L2__THRESHOLD(gemm_parallel, L2__GEMM_PARALLEL)
L2__THRESHOLD(reduce_tile_out, L2__REDUCE_TILE_OUT)
L2__THRESHOLD(reduce_tile_red, L2__REDUCE_TILE_RED)
L2__THRESHOLD(reduce_tile_buffer, L2__REDUCE_TILE_BUFFER)
L2__THRESHOLD(reduce_out_per_thread, L2__REDUCE_OUT_PER_THREAD)
L2__THRESHOLD(reduce_vec_block, L2__REDUCE_VEC_BLOCK) /* reductions (issue 12) */
L2__THRESHOLD(reduce_ext_vec, L2__REDUCE_EXT_VEC) /* random, reductions, copies (issue 12) */
L2__THRESHOLD(softmax_cols, L2__SOFTMAX_COLS)
L2__THRESHOLD(loss_chunks, L2__LOSS_CHUNKS)
L2__THRESHOLD(index_block, L2__INDEX_BLOCK)
L2__THRESHOLD(pool2x2_block, L2__POOL2X2_BLOCK) /* conv */
L2__THRESHOLD(conv_cols_bytes, L2__CONV_COLS_BYTES) /* conv (issue 12) */
L2__THRESHOLD(conv_grain, L2__CONV_GRAIN)
L2__THRESHOLD(conv_bwd_slots, L2__CONV_BWD_SLOTS)
L2__THRESHOLD(conv_db_lanes, L2__CONV_DB_LANES)
L2__THRESHOLD(conv_small_k, L2__CONV_SMALL_K) /* conv-small.c (issue 12) */
L2__THRESHOLD(conv_small_waste, L2__CONV_SMALL_WASTE)
L2__THRESHOLD(conv_small_floats, L2__CONV_SMALL_FLOATS)
/* threads area (issue 12): the grain of each op class */
L2__THRESHOLD(grain_math, L2__GRAIN_MATH)
L2__THRESHOLD(grain_reduce, L2__GRAIN_REDUCE)
L2__THRESHOLD(grain_optim, L2__GRAIN_OPTIM)
L2__THRESHOLD(vmath_width, L2__VMATH_WIDTH) /* vmath (issue 12) */
/* elementwise layout: tiles of mixed-layout iterations */
L2__THRESHOLD(tile, L2__TILE)
L2__THRESHOLD(tile_min, L2__TILE_MIN)
/* memory (alloc.c) */
L2__THRESHOLD(alloc_small, L2__ALLOC_SMALL)
L2__THRESHOLD(alloc_mmap, L2__ALLOC_MMAP)
L2__THRESHOLD(sumto_rows_min, L2__SUMTO_ROWS_MIN) /* broadcast gradients (issue 12) */
L2__THRESHOLD(copy_run_bytes, L2__COPY_RUN_BYTES) /* copy runs (issue 12): memcpy from here */
L2__THRESHOLD(cat_piece_min, L2__CAT_PIECE_MIN) /* cat (issue 12, area cat): whole rows */
/* gemm (issue 12): the own float32 product */
L2__THRESHOLD(sgemm_min, L2__SGEMM_MIN)
L2__THRESHOLD(sgemm_mr, L2__SGEMM_MR)
L2__THRESHOLD(sgemm_nr, L2__SGEMM_NR)
L2__THRESHOLD(sgemm_kc, L2__SGEMM_KC)
L2__THRESHOLD(sgemm_mc, L2__SGEMM_MC)
L2__THRESHOLD(sgemm_nc, L2__SGEMM_NC)
L2__THRESHOLD(sgemm_grain, L2__SGEMM_GRAIN)
/* reductions (issue 12, area opsp) */
L2__THRESHOLD(reduce_cols32_red, L2__REDUCE_COLS32_RED)
/* speed (issue 12, area speed8): topk's selection */
L2__THRESHOLD(topk_select, L2__TOPK_SELECT)
L2__THRESHOLD(sort_radix_min, L2__SORT_RADIX_MIN) /* sort.c (issue 12): the radix sort */
