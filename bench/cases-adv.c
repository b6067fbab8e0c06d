/* cases-adv.c: issue 14's advanced indexing (family adv, libl2/ops/index-adv.c, index-put.c),
 * forward and forward + backward, float32, full profile only: index_tensors (x[i], a row read
 * by an int64 index with repeats) and index_put with accumulate true (repeated rows add up) and
 * false (distinct rows). Rows for the generic runner of cases-ops14.c (ops14_add_rows; inputs:
 * IN_* in cases.h). The torch twins are in bench/torch_adv.py under "op/variant". */
#include "cases.h"

static l2_tensor *f_index_tensors(l2_tensor **t)
{
    return l2_index_tensors(t[0], 1, (const l2_tensor *const[]){t[1]});
}
static l2_tensor *f_index_put_acc(l2_tensor **t)
{
    return l2_index_put(t[0], 1, (const l2_tensor *const[]){t[1]}, t[2], true);
}
static l2_tensor *f_index_put(l2_tensor **t)
{
    return l2_index_put(t[0], 1, (const l2_tensor *const[]){t[1]}, t[2], false);
}

#define ROW(op, var, shape, in, grad, f) {#op, var, shape, in, grad, f, NULL}

static const ops14_row rows[] = {
    ROW(index_tensors, "rows", "4096x256-1024", IN_INDEX_ANY, 1, f_index_tensors),
    ROW(index_put, "acc", "4096x256-1024x256", IN_INDEX_ANY, 5, f_index_put_acc),
    ROW(index_put, "noacc", "4096x256-1024x256", IN_INDEX, 5, f_index_put),
};

void bench_cases_adv(void) { ops14_add_rows(rows, (int)(sizeof rows / sizeof rows[0])); }
