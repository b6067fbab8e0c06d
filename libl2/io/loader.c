/* loader.c: the data loader over in-memory tensors (issue 16): mini-batches of a dataset of
 * tensors sharing dim 0, in file order or shuffled by the loader's own seeded generator, copied
 * into buffers made once (l2_loader_next allocates nothing). See l2.h, "Data loader and
 * progress". */
#include "autograd-impl.h"
#include "checked.h"

#include <string.h>

#define LOADER_MAX_TENSORS 64

struct l2_loader {
    int n;                 /* tensors */
    int64_t size;          /* N examples */
    l2_loader_options opts;
    int64_t nbatches;      /* per epoch */
    l2_tensor *data[LOADER_MAX_TENSORS];  /* contiguous, owned references */
    l2_tensor *full[LOADER_MAX_TENSORS];  /* buffers of min(batch_size, N) rows */
    l2_tensor *part[LOADER_MAX_TENSORS];  /* views of the first N mod batch_size rows, or NULL */
    size_t row_bytes[LOADER_MAX_TENSORS];
    bool row_contig[LOADER_MAX_TENSORS];  /* an example's elements are contiguous */
    int64_t *order;        /* this epoch's order (N entries; shuffle only) */
    uint64_t rng[4];       /* the loader's own state of random.c's generator (l2__rng_*) */
    int64_t epoch;         /* the epoch in progress or the next one */
    int64_t pos;           /* the next batch of the epoch in progress */
    bool started;
};

/* order = the next permutation of 0..n-1 from the loader's generator (l2_randperm's rule). */
static void draw_order(l2_loader *ld)
{
    if (ld->opts.shuffle)
        l2__rng_permutation(ld->rng, ld->order, ld->size);
}

l2_loader_options l2_loader_defaults(void)
{
    return (l2_loader_options){.batch_size = 1, .shuffle = false, .drop_last = false, .seed = 0};
}

static void loader_destroy(l2_loader *ld)
{
    for (int k = 0; k < ld->n; k++) {
        if (ld->data[k])
            l2_tensor_release(ld->data[k]);
        if (ld->full[k])
            l2_tensor_release(ld->full[k]);
        if (ld->part[k])
            l2_tensor_release(ld->part[k]);
    }
    l2__free(ld->order);
    l2__free(ld);
}

void l2_loader_free(l2_loader *ld)
{
    if (ld)
        loader_destroy(ld);
}

static l2_loader *half_loader_new(int n, l2_tensor *const *tensors, l2_loader_options opts)
{
    static const char *op = "loader_new";
    L2__CHECK(tensors != NULL, NULL, L2_ERR_NULL, "%s: argument 'tensors' is NULL", op);
    L2__CHECK(n >= 1 && n <= LOADER_MAX_TENSORS, NULL, L2_ERR_ARG,
              "%s: n must be in 1..%d (got %d)", op, LOADER_MAX_TENSORS, n);
    L2__CHECK(opts.batch_size >= 1, NULL, L2_ERR_ARG, "%s: batch_size must be >= 1 (got %lld)",
              op, (long long)opts.batch_size);
    int64_t rows = 0;
    for (int k = 0; k < n; k++) {
        const l2_tensor *t = tensors[k];
        L2__CHECK(t != NULL, NULL, L2_ERR_NULL, "%s: tensor %d is NULL", op, k);
        L2__CHECK_TN(t, NULL, op, "tensors[k]");
        L2__CHECK(t->ndim >= 1, NULL, L2_ERR_DIM,
                  "%s: tensor %d is 0-d (every tensor needs dim 0, the examples)", op, k);
        L2__CHECK(t->shape[0] == tensors[0]->shape[0], NULL, L2_ERR_SHAPE,
                  "%s: tensor %d has %lld examples (dim 0) but tensor 0 has %lld", op, k,
                  (long long)t->shape[0], (long long)tensors[0]->shape[0]);
    }
    int64_t size = tensors[0]->shape[0];
    rows = opts.batch_size < size ? opts.batch_size : size;
    /* Every buffer's size, checked before anything is made. */
    int64_t shape[L2_MAX_DIMS];
    for (int k = 0; k < n; k++) {
        const l2_tensor *t = tensors[k];
        int64_t row = 1, total;
        for (int d = 1; d < t->ndim; d++)
            L2__CHECK(!l2__mul_ovf(row, t->shape[d], &row), NULL, L2_ERR_OVERFLOW,
                      "%s: tensor %d's example size overflows", op, k);
        L2__CHECK(!l2__mul_ovf(row, rows, &total) &&
                      total <= l2__max_numel(l2__esize(t->dtype)),
                  NULL, L2_ERR_OVERFLOW, "%s: a batch of %lld rows of tensor %d overflows", op,
                  (long long)rows, k);
    }
    L2__CHECK(!opts.shuffle || size <= l2__max_numel(sizeof(int64_t)), NULL, L2_ERR_NOMEM,
              "%s: the order of %lld examples does not fit in memory", op, (long long)size);
    l2_loader *ld = l2__calloc(sizeof *ld, "loader_new: the loader");
    if (!ld)
        return NULL;
    ld->n = n;
    ld->size = size;
    ld->opts = opts;
    ld->nbatches = opts.drop_last ? size / opts.batch_size
                                  : size / opts.batch_size + (size % opts.batch_size != 0);
    l2__rng_seed(ld->rng, opts.seed);
    /* The order of a shuffled epoch (N entries); file order needs none. */
    size_t obytes = (size_t)(size > 0 ? size : 1) * sizeof(int64_t);
    ld->order = opts.shuffle ? l2__malloc(obytes, "loader_new: the order") : NULL;
    if (opts.shuffle && !ld->order) {
        loader_destroy(ld);
        return NULL;
    }
    int64_t last = size % opts.batch_size;
    bool failed = false;
    l2__enter();
    for (int k = 0; k < n && !failed; k++) {
        l2_tensor *t = tensors[k];
        /* The dataset's values, detached (a view: no copy, any layout). */
        l2_tensor *dt = l2_detach(t);
        ld->data[k] = dt;
        memcpy(shape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
        shape[0] = rows;
        ld->full[k] = dt ? l2__new(op, t->ndim, shape, t->dtype, false) : NULL;
        if (ld->full[k] && last && !opts.drop_last && size > opts.batch_size) {
            shape[0] = last;
            ld->part[k] = l2__alias(ld->full[k], t->ndim, shape, ld->full[k]->stride, 0);
        }
        failed = !ld->full[k] || (last && !opts.drop_last && size > opts.batch_size &&
                                  !ld->part[k]);
        if (!failed) {
            size_t row = l2__esize(t->dtype);
            int64_t want = 1;
            ld->row_contig[k] = true;
            for (int d = t->ndim - 1; d >= 1; d--) {
                if (t->shape[d] != 1 && t->stride[d] != want)
                    ld->row_contig[k] = false;
                want *= t->shape[d];
                row *= (size_t)t->shape[d];
            }
            ld->row_bytes[k] = row;
        }
    }
    l2__leave();
    if (failed) {
        loader_destroy(ld);
        return NULL;
    }
    return ld;
}

l2_loader *l2_loader_new(int n, l2_tensor *const *tensors, l2_loader_options opts)
{
    l2__half_ok++;
    l2_loader *r = half_loader_new(n, tensors, opts);
    l2__half_ok--;
    return r;
}

l2_loader *l2_loader_from_named(const l2_named_tensors *d, int n, const char *const *names,
                                l2_loader_options opts)
{
    static const char *op = "loader_from_named";
    L2__CHECK(d != NULL, NULL, L2_ERR_NULL, "%s: argument 'd' is NULL", op);
    int count = names ? n : l2_named_count(d);
    L2__CHECK(count >= 1 && count <= LOADER_MAX_TENSORS, NULL, L2_ERR_ARG,
              "%s: %d tensors (1..%d)", op, count, LOADER_MAX_TENSORS);
    l2_tensor *ts[LOADER_MAX_TENSORS];
    for (int k = 0; k < count; k++) {
        if (names) {
            L2__CHECK(names[k] != NULL, NULL, L2_ERR_NULL, "%s: names[%d] is NULL", op, k);
            ts[k] = l2_named_get(d, names[k]);
            if (!ts[k])
                return NULL; /* l2_named_get named it */
        } else {
            ts[k] = l2_named_tensor(d, k);
        }
    }
    return l2_loader_new(count, ts, opts);
}

/* Copy example i of t (rb bytes when contiguous) to dst, row-major: one memcpy when the
 * example's elements are contiguous, else element by element over t's strides. */
static void copy_row(char *dst, const l2_tensor *t, bool contig, int64_t i, size_t rb)
{
    size_t es = l2__esize(t->dtype);
    const char *base = (const char *)t->storage->data + (size_t)(t->offset + i * t->stride[0]) * es;
    if (contig) {
        memcpy(dst, base, rb);
        return;
    }
    int nd = t->ndim;
    int64_t ix[L2_MAX_DIMS] = {0}, off = 0;
    for (size_t b = 0; b < rb; b += es) {
        memcpy(dst + b, base + (size_t)off * es, es);
        for (int d = nd - 1; d >= 1; d--) {
            off += t->stride[d];
            if (++ix[d] < t->shape[d])
                break;
            off -= t->stride[d] * t->shape[d];
            ix[d] = 0;
        }
    }
}

static bool half_loader_next(l2_loader *ld, l2_tensor **batch)
{
    L2__CHECK(ld != NULL, false, L2_ERR_NULL, "loader_next: argument 'ld' is NULL");
    L2__CHECK(batch != NULL, false, L2_ERR_NULL, "loader_next: argument 'batch' is NULL");
    if (!ld->started) {
        draw_order(ld);
        ld->started = true;
        ld->pos = 0;
    }
    if (ld->pos >= ld->nbatches) {
        ld->started = false;
        ld->epoch++;
        l2_clear_error();
        return false;
    }
    int64_t bs = ld->opts.batch_size, start = ld->pos * bs;
    int64_t len = ld->size - start < bs ? ld->size - start : bs;
    const int64_t *idx = ld->opts.shuffle ? ld->order + start : NULL;
    for (int k = 0; k < ld->n; k++) {
        l2_tensor *out = len == l2_size(ld->full[k], 0) ? ld->full[k] : ld->part[k];
        const l2_tensor *src = ld->data[k];
        char *dst = l2__data(out);
        size_t rb = ld->row_bytes[k], es = l2__esize(src->dtype);
        if (rb && !ld->opts.shuffle && ld->row_contig[k] && src->stride[0] * (int64_t)es ==
                                                                (int64_t)rb)
            memcpy(dst, (const char *)src->storage->data + (size_t)(src->offset + start *
                                                                    src->stride[0]) * es,
                   (size_t)len * rb); /* consecutive rows: one block */
        else if (rb)
            for (int64_t i = 0; i < len; i++)
                copy_row(dst + (size_t)i * rb, src, ld->row_contig[k],
                         ld->opts.shuffle ? idx[i] : start + i, rb);
        l2__bump_version(out);
        batch[k] = out;
    }
    ld->pos++;
    return true;
}

/* The loader only moves rows: bfloat16 / float16 datasets pass the half gate (l2-impl.h). */
bool l2_loader_next(l2_loader *ld, l2_tensor **batch)
{
    l2__half_ok++;
    bool r = half_loader_next(ld, batch);
    l2__half_ok--;
    return r;
}

l2_status l2_loader_reset(l2_loader *ld)
{
    L2__CHECK_ST(ld != NULL, L2_ERR_NULL, "loader_reset: argument 'ld' is NULL");
    if (ld->started) {
        ld->started = false;
        ld->epoch++;
    }
    return L2_OK;
}

l2_status l2_loader_set_epoch(l2_loader *ld, int64_t epoch)
{
    L2__CHECK_ST(ld != NULL, L2_ERR_NULL, "loader_set_epoch: argument 'ld' is NULL");
    L2__CHECK_ST(epoch >= 0, L2_ERR_ARG, "loader_set_epoch: epoch must be >= 0 (got %lld)",
                 (long long)epoch);
    /* Replay the generator through epochs 0..epoch-1 (one permutation each). */
    l2__rng_seed(ld->rng, ld->opts.seed);
    if (ld->opts.shuffle)
        for (int64_t e = 0; e < epoch; e++)
            draw_order(ld);
    ld->epoch = epoch;
    ld->started = false;
    ld->pos = 0;
    return L2_OK;
}

int64_t l2_loader_epoch(const l2_loader *ld)
{
    L2__CHECK(ld != NULL, -1, L2_ERR_NULL, "loader_epoch: argument 'ld' is NULL");
    return ld->epoch;
}

int64_t l2_loader_len(const l2_loader *ld)
{
    L2__CHECK(ld != NULL, -1, L2_ERR_NULL, "loader_len: argument 'ld' is NULL");
    return ld->nbatches;
}

int64_t l2_loader_size(const l2_loader *ld)
{
    L2__CHECK(ld != NULL, -1, L2_ERR_NULL, "loader_size: argument 'ld' is NULL");
    return ld->size;
}
