/* fuzz-idx.c: a libFuzzer target for l2_load_idx. The first byte chooses scale_u8, the rest is the
 * file (plain or gzip'd IDX). A file that loads gives a contiguous tensor whose element count
 * fits the bytes read; one that does not must fail with a status and a message. */
#include <l2.h>

#include <stdlib.h>

#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool scale = data[0] & 1;
    const char *path = memfile_write(data + 1, size - 1);
    if (!path)
        abort();
    l2_clear_error();
    l2_tensor *t = l2_load_idx(path, scale);
    if (!t) {
        if (l2_last_status() == L2_OK || l2_last_error()[0] == '\0')
            abort();
        return 0;
    }
    if (!l2_is_contiguous(t))
        abort();
    if (l2_numel(t) <= (1 << 16)) {
        l2_tensor *s = l2_sum(t);
        l2_tensor_release(s);
    }
    l2_tensor_release(t);
    return 0;
}
