/* fuzz-safetensors.c: a libFuzzer target for l2_load_safetensors. The input is the file; a file
 * that loads must give well-formed entries (name, tensor), which are then summed, printed, looked
 * up by name and saved back; a file that does not load must fail with a status and a message. */
#include <l2.h>

#include <stdlib.h>
#include <string.h>

#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = memfile_write(data, size);
    if (!path)
        abort();
    l2_clear_error();
    l2_named_tensors *d = l2_load_safetensors(path);
    if (!d) {
        if (l2_last_status() == L2_OK || l2_last_error()[0] == '\0')
            abort();
        return 0;
    }
    int n = l2_named_count(d);
    for (int i = 0; i < n; i++) {
        const char *name = l2_named_name(d, i);
        l2_tensor *t = l2_named_tensor(d, i);
        if (!name || !t || l2_named_get(d, name) == NULL)
            abort();
        l2_tensor *s = l2_numel(t) <= (1 << 16) ? l2_sum(t) : NULL;
        l2_tensor_release(s);
        if (l2_numel(t) <= 64) {
            char *str = l2_to_string(t);
            l2_free(str);
        }
    }
    if (l2_named_name(d, n) != NULL || l2_named_tensor(d, -1) != NULL)
        abort();
    l2_named_free(d);
    return 0;
}
