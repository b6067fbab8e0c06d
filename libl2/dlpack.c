/* dlpack.c: zero-copy exchange with PyTorch, NumPy and anything else speaking DLPack (v0.6,
 * DLManagedTensor). Import wraps the producer's memory as external storage whose release calls
 * the producer's deleter; export hands out a DLManagedTensor that holds a reference to our
 * storage. DLPack 0.6 has no bool type: bool travels as kDLUInt 8 (and kDLUInt 8 arrives as
 * bool); code 6 (kDLBool in later DLPack) is accepted too. */
#include "l2-impl.h"

#include <dlpack/dlpack.h>

static void managed_release(void *ctx)
{
    DLManagedTensor *m = ctx;
    if (m->deleter)
        m->deleter(m);
}

static l2_tensor *half_from_dlpack(struct DLManagedTensor *m)
{
    const char *op = "from_dlpack";
    L2__CHECK(m, NULL, L2_ERR_NULL, "%s: managed tensor is NULL", op);
    DLTensor *d = &m->dl_tensor;
    l2_dtype dt = L2_DTYPE_COUNT;
    if (d->dtype.lanes == 1) {
        if (d->dtype.code == kDLFloat && d->dtype.bits == 32)
            dt = L2_FLOAT32;
        else if (d->dtype.code == kDLFloat && d->dtype.bits == 64)
            dt = L2_FLOAT64;
        else if (d->dtype.code == kDLFloat && d->dtype.bits == 16) /* issue 16 */
            dt = L2_FLOAT16;
        else if (d->dtype.code == kDLBfloat && d->dtype.bits == 16)
            dt = L2_BFLOAT16;
        else if (d->dtype.code == kDLInt && d->dtype.bits == 64)
            dt = L2_INT64;
        else if ((d->dtype.code == kDLUInt || d->dtype.code == 6) && d->dtype.bits == 8)
            dt = L2_BOOL;
    }
    if (d->device.device_type != kDLCPU) {
        l2__fail(L2_ERR_UNSUPPORTED, "%s: device type %d is not supported (CPU only)", op,
                 (int)d->device.device_type);
        managed_release(m);
        return NULL;
    }
    if (dt == L2_DTYPE_COUNT) {
        l2__fail(L2_ERR_UNSUPPORTED, "%s: dtype code %d bits %d lanes %d is not supported", op,
                 d->dtype.code, d->dtype.bits, d->dtype.lanes);
        managed_release(m);
        return NULL;
    }
    if (d->ndim < 0 || d->ndim > L2_MAX_DIMS || d->byte_offset % l2__esize(dt) != 0 ||
        d->byte_offset > (uint64_t)PTRDIFF_MAX) {
        l2__fail(L2_ERR_UNSUPPORTED, "%s: rank %d or byte offset %llu is not supported", op,
                 d->ndim, (unsigned long long)d->byte_offset);
        managed_release(m);
        return NULL;
    }
    /* from_blob validates the strided extent (non-negative strides, no overflow, every byte
     * address within PTRDIFF_MAX of data) and releases m on failure. */
    int64_t offset = (int64_t)(d->byte_offset / l2__esize(dt));
    l2_tensor *t = l2_from_blob(d->data, d->ndim, d->shape, d->strides, offset, dt,
                                managed_release, m);
    /* torch's rule: the storage is the view's extent (its highest element + 1; offset for an
     * empty view), so no later as_strided view reaches memory the producer did not hand over. */
    int64_t hi;
    if (t && l2__check_geometry(op, t->ndim, t->shape, t->stride, t->offset, dt, -1, &hi))
        t->storage->nbytes = (size_t)(hi + 1) * l2__esize(dt);
    return t;
}

/* issue 16: l2_from_dlpack accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_from_dlpack(struct DLManagedTensor *m)
{
    l2__half_ok++;
    l2_tensor *r = half_from_dlpack(m);
    l2__half_ok--;
    return r;
}

typedef struct {
    DLManagedTensor m;
    int64_t shape[L2_MAX_DIMS];
    int64_t strides[L2_MAX_DIMS];
    l2_tensor *alias; /* keeps the storage alive */
} export_ctx;

static void export_deleter(DLManagedTensor *m)
{
    export_ctx *e = m->manager_ctx;
    l2_tensor_release(e->alias);
    l2__free(e);
}

static struct DLManagedTensor *half_to_dlpack(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "to_dlpack");
    export_ctx *e = l2__calloc(sizeof *e, "to_dlpack");
    if (!e)
        return NULL;
    e->alias = l2__alias(t, t->ndim, t->shape, t->stride, t->offset);
    if (!e->alias) {
        l2__free(e);
        return NULL;
    }
    memcpy(e->shape, t->shape, sizeof e->shape);
    memcpy(e->strides, t->stride, sizeof e->strides);
    DLTensor *d = &e->m.dl_tensor;
    d->data = l2__data(t);
    d->device.device_type = kDLCPU;
    d->device.device_id = 0;
    d->ndim = t->ndim;
    static const uint8_t codes[] = {kDLFloat, kDLFloat, kDLInt, kDLUInt, kDLBfloat, kDLFloat};
    d->dtype.code = codes[t->dtype];
    d->dtype.bits = (uint8_t)(8 * l2__esize(t->dtype));
    d->dtype.lanes = 1;
    d->shape = e->shape;
    d->strides = e->strides;
    d->byte_offset = 0;
    e->m.manager_ctx = e;
    e->m.deleter = export_deleter;
    return &e->m;
}

/* issue 16: l2_to_dlpack accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
struct DLManagedTensor *l2_to_dlpack(const l2_tensor *t)
{
    l2__half_ok++;
    struct DLManagedTensor *r = half_to_dlpack(t);
    l2__half_ok--;
    return r;
}
