/* fuzz-dlpack.c: a libFuzzer target for l2_from_dlpack. The input describes a DLManagedTensor
 * (device, dtype code/bits/lanes, ndim, shape, strides or none, byte_offset) followed by the
 * element bytes. When the described elements lie inside a real buffer of at most 64 KiB, the
 * buffer holds them and an accepted tensor is read (sum, contiguous copy, print, export again);
 * otherwise the tensor points at a small buffer and, if accepted, only its metadata is read.
 * Whatever happens, the deleter must run exactly once; negative strides must be refused. */
#include <l2.h>

#include <dlpack/dlpack.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *p;
    size_t n, i;
} reader;

static uint8_t u8(reader *r) { return r->i < r->n ? r->p[r->i++] : 0; }

static int64_t i64(reader *r)
{
    static const int64_t hostile[] = {INT64_MAX, INT64_MIN, (int64_t)1 << 62, (int64_t)1 << 32,
                                      -1, -2, 1 << 20, 4097};
    uint8_t b = u8(r);
    if (b < 240)
        return b % 6;
    return hostile[b % 8];
}

static int deleted;

static void deleter(DLManagedTensor *m)
{
    deleted++;
    free(m->dl_tensor.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size, 0};
    int64_t shape[16], strides[16];
    DLManagedTensor m;
    memset(&m, 0, sizeof m);
    uint8_t b = u8(&r);
    m.dl_tensor.device.device_type = b < 250 ? kDLCPU : (DLDeviceType)(b & 15);
    static const uint8_t codes[] = {kDLFloat, kDLFloat, kDLInt, kDLUInt, 6, kDLBfloat, kDLInt, 9};
    static const uint8_t bits[] = {32, 64, 64, 8, 8, 16, 32, 0};
    b = u8(&r);
    m.dl_tensor.dtype.code = codes[b % 8];
    m.dl_tensor.dtype.bits = b >= 248 ? u8(&r) : bits[b % 8];
    m.dl_tensor.dtype.lanes = u8(&r) >= 250 ? 2 : 1;
    b = u8(&r);
    int ndim = b < 250 ? b % 5 : (int)(int8_t)u8(&r);
    m.dl_tensor.ndim = ndim;
    bool have_strides = u8(&r) & 1;
    int nd = ndim < 0 ? 0 : ndim > 16 ? 16 : ndim;
    for (int i = 0; i < nd; i++)
        shape[i] = i64(&r);
    for (int i = 0; i < nd; i++)
        strides[i] = have_strides ? i64(&r) : 0;
    b = u8(&r);
    uint64_t byte_offset = b < 240 ? (uint64_t)(b % 4) * 4 : (uint64_t)i64(&r);
    m.dl_tensor.shape = shape;
    m.dl_tensor.strides = have_strides ? strides : NULL;
    m.dl_tensor.byte_offset = byte_offset;

    /* The bytes the description addresses: [byte_offset, byte_offset + extent * esize). */
    size_t esize = m.dl_tensor.dtype.bits / 8 ? m.dl_tensor.dtype.bits / 8 : 1;
    bool valid = ndim >= 0 && ndim <= 16 && byte_offset < (1 << 16), empty = false;
    bool negative = false;
    int64_t extent = 1, numel = 1, row = 1;
    for (int i = nd - 1; i >= 0 && valid; i--) {
        int64_t st = have_strides ? strides[i] : row;
        if (shape[i] < 0 || st < 0) {
            valid = false;
            negative = negative || st < 0;
            break;
        }
        if (shape[i] == 0)
            empty = true;
        int64_t span;
        if (__builtin_mul_overflow(shape[i] ? shape[i] - 1 : 0, st, &span) ||
            __builtin_add_overflow(extent, span, &extent) ||
            __builtin_mul_overflow(row, shape[i], &row) ||
            __builtin_mul_overflow(numel, shape[i], &numel))
            valid = false;
    }
    size_t nbytes = 64;
    if (valid && !empty && extent <= (1 << 16) / 8)
        nbytes = (size_t)byte_offset + (size_t)extent * esize;
    else
        valid = valid && empty;
    uint8_t *buf = malloc(nbytes);
    if (!buf)
        abort();
    for (size_t i = 0; i < nbytes; i++)
        buf[i] = u8(&r);
    if (m.dl_tensor.dtype.code == kDLUInt || m.dl_tensor.dtype.code == 6)
        for (size_t i = 0; i < nbytes; i++)
            buf[i] &= 1;
    m.dl_tensor.data = buf;
    m.deleter = deleter;

    deleted = 0;
    l2_clear_error();
    l2_tensor *t = l2_from_dlpack((struct DLManagedTensor *)&m);
    if (!t) {
        if (deleted != 1 || l2_last_status() == L2_OK || l2_last_error()[0] == '\0')
            abort();
        return 0;
    }
    if (negative)
        abort(); /* l2.h: negative strides are refused */
    if (valid && numel <= 4096) {
        /* bfloat16 / float16 are storage dtypes (l2.h): sum them as float32 */
        l2_dtype dt = l2_dtype_of(t);
        bool half = dt == L2_BFLOAT16 || dt == L2_FLOAT16;
        l2_tensor *f = half ? l2_to_dtype(t, L2_FLOAT32) : NULL;
        if (half && !f)
            abort();
        l2_tensor *s = l2_sum(half ? f : t);
        l2_tensor_release(f);
        l2_tensor *c = l2_contiguous(t);
        if (!s || !c)
            abort();
        if (numel <= 64)
            l2_free(l2_to_string(t));
        DLManagedTensor *e = (DLManagedTensor *)l2_to_dlpack(t);
        if (!e)
            abort();
        l2_tensor *back = l2_from_dlpack((struct DLManagedTensor *)e);
        l2_tensor_release(back);
        l2_tensor_release(c);
        l2_tensor_release(s);
    } else {
        (void)l2_numel(t);
        (void)l2_is_contiguous(t);
    }
    if (deleted != 0)
        abort(); /* the tensor still uses the memory */
    l2_tensor_release(t);
    if (deleted != 1)
        abort();
    return 0;
}
