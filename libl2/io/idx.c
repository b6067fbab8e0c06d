/* idx.c: reading IDX files (the MNIST family format: magic 0x0000TTNN with type TT and rank NN,
 * big-endian sizes, then big-endian data), plain or gzip-compressed (zlib's gzread reads both). */
#include "../l2-impl.h"

#include <errno.h>
#include <sys/stat.h>
#include <zlib.h>

l2_tensor *l2_load_idx(const char *path, bool scale_u8)
{
    const char *op = "load_idx";
    L2__CHECK(path, NULL, L2_ERR_NULL, "%s: path is NULL", op);
    gzFile f = gzopen(path, "rb");
    L2__CHECK(f, NULL, L2_ERR_IO, "%s: cannot open '%s': %s", op, path, strerror(errno));
    l2_tensor *t = NULL;
    unsigned char magic[4];
    if (gzread(f, magic, 4) != 4 || magic[0] || magic[1] || magic[3] < 1 ||
        magic[3] > L2_MAX_DIMS) {
        l2__fail(L2_ERR_FORMAT, "%s: '%s' does not start with an IDX magic number", op, path);
        goto out;
    }
    int type = magic[2], ndim = magic[3];
    size_t esz;
    l2_dtype dt;
    switch (type) {
    case 0x08: esz = 1; dt = scale_u8 ? L2_FLOAT32 : L2_INT64; break;
    case 0x0C: esz = 4; dt = L2_INT64; break;
    case 0x0D: esz = 4; dt = L2_FLOAT32; break;
    case 0x0E: esz = 8; dt = L2_FLOAT64; break;
    default:
        l2__fail(L2_ERR_FORMAT, "%s: '%s': unsupported IDX data type 0x%02x", op, path, type);
        goto out;
    }
    int64_t shape[L2_MAX_DIMS];
    for (int i = 0; i < ndim; i++) {
        unsigned char b[4];
        if (gzread(f, b, 4) != 4) {
            l2__fail(L2_ERR_FORMAT, "%s: '%s': truncated header", op, path);
            goto out;
        }
        shape[i] = (int64_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
    }
    int64_t n;
    if (!l2__check_shape(op, ndim, shape, dt, &n)) {
        char sh[L2__SHAPE_STR];
        l2__fail(L2_ERR_FORMAT, "%s: '%s': shape %s is too large", op, path,
                 l2__shape_str(sh, ndim, shape));
        goto out;
    }
    /* An uncompressed file must hold exactly the declared data: check before allocating (a
     * gzip stream's length is only known by reading it; the loop below checks that). */
    struct stat sb;
    if (gzdirect(f) && stat(path, &sb) == 0) {
        uint64_t want = 4 + 4 * (uint64_t)ndim + (uint64_t)n * esz; /* n * esz <= PTRDIFF_MAX */
        if ((uint64_t)sb.st_size != want) {
            l2__fail(L2_ERR_FORMAT, "%s: '%s': %lld bytes, but its header declares %llu", op,
                     path, (long long)sb.st_size, (unsigned long long)want);
            goto out;
        }
    }
    if (!gzdirect(f)) {
        /* A gzip stream's length is known only by reading it: count its data bytes first (up
         * to a chunk past the declared size), so that a short stream fails before the tensor
         * is allocated, then read again from the data's start. */
        uint64_t want = (uint64_t)n * esz, got = 0;
        unsigned char *scratch = l2__malloc(1 << 16, op);
        if (!scratch)
            goto out;
        int r;
        while (got <= want && (r = gzread(f, scratch, 1 << 16)) > 0)
            got += (uint64_t)r;
        l2__free(scratch);
        if (got != want) {
            l2__fail(L2_ERR_FORMAT, "%s: '%s': %llu%s data bytes, but its header declares %llu",
                     op, path, (unsigned long long)got, got > want ? " or more" : "",
                     (unsigned long long)want);
            goto out;
        }
        if (gzrewind(f) != 0 || gzseek(f, 4 + 4 * (z_off_t)ndim, SEEK_SET) < 0) {
            l2__fail(L2_ERR_IO, "%s: '%s': cannot rewind the gzip stream", op, path);
            goto out;
        }
    }
    t = l2__new(op, ndim, shape, dt, false);
    if (!t)
        goto out;
    /* Read in chunks into a raw buffer, converting as we go. */
    enum { CHUNK = 1 << 16 };
    unsigned char *buf = l2__malloc(CHUNK * 8, op);
    if (!buf) {
        l2_tensor_release(t);
        t = NULL;
        goto out;
    }
    for (int64_t done = 0; done < n;) {
        int64_t k = n - done < CHUNK ? n - done : CHUNK;
        if (gzread(f, buf, (unsigned)(k * (int64_t)esz)) != (int)(k * (int64_t)esz)) {
            l2__fail(L2_ERR_FORMAT, "%s: '%s': truncated data (%lld of %lld elements)", op, path,
                     (long long)done, (long long)n);
            l2_tensor_release(t);
            t = NULL;
            break;
        }
        for (int64_t i = 0; i < k; i++) {
            const unsigned char *p = buf + i * (int64_t)esz;
            char *dst = l2__data(t) + (done + i) * (int64_t)l2__esize(dt);
            if (type == 0x08) {
                if (scale_u8)
                    *(float *)dst = (float)p[0] / 255.0f;
                else
                    *(int64_t *)dst = p[0];
            } else {
                uint64_t v = 0;
                for (size_t b = 0; b < esz; b++)
                    v = v << 8 | p[b];
                if (type == 0x0C) {
                    *(int64_t *)dst = (int32_t)(uint32_t)v;
                } else if (type == 0x0D) {
                    uint32_t u = (uint32_t)v;
                    memcpy(dst, &u, 4);
                } else {
                    memcpy(dst, &v, 8);
                }
            }
        }
        done += k;
    }
    l2__free(buf);
    if (t) {
        unsigned char extra;
        if (gzread(f, &extra, 1) != 0) {
            l2__fail(L2_ERR_FORMAT, "%s: '%s': trailing bytes after %lld elements", op, path,
                     (long long)n);
            l2_tensor_release(t);
            t = NULL;
        }
    }
out:
    gzclose(f);
    return l2__ret(t);
}
