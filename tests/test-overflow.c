/* test-overflow.c: integer overflow in size arithmetic (issue 9, class 1). Every shape, stride,
 * offset, padding, kernel, dilation, step and output size that overflows int64 (or the byte
 * limit PTRDIFF_MAX) must give an error status with a message, never a wrapped size; int64
 * kernels wrap as torch does instead of overflowing. Run under ASan+UBSan too. */
#include "l2.h"
#include "tap.h"

#include <dlpack/dlpack.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define BIG ((int64_t)1 << 62)
#define MAX INT64_MAX
#define MIN INT64_MIN

/* r must be NULL with status want (or any error if want is L2_OK) and a non-empty message.
 * Everything runs inside one scope, which releases what the calls return. */
static void fails(const void *r, l2_status want, const char *name)
{
    l2_status st = l2_last_status();
    const char *msg = l2_last_error();
    int good = r == NULL && st != L2_OK && (want == L2_OK || st == want) && msg && msg[0];
    if (!ok(good, "%s fails cleanly", name))
        printf("#   result %p, status %s (want %s), message \"%s\"\n", r,
               l2_status_name(st), want == L2_OK ? "any error" : l2_status_name(want),
               msg ? msg : "(null)");
    else
        tap_diag("%s: %s", l2_status_name(st), msg);
    l2_clear_error();
}

static void fails_st(l2_status st, l2_status want, const char *name)
{
    const char *msg = l2_last_error();
    int good = st != L2_OK && st == l2_last_status() && (want == L2_OK || st == want) && msg &&
               msg[0];
    if (!ok(good, "%s fails cleanly", name))
        printf("#   status %s (want %s), message \"%s\"\n", l2_status_name(st),
               l2_status_name(want), msg ? msg : "(null)");
    l2_clear_error();
}

static int64_t geti(const l2_tensor *t, int64_t i)
{
    int64_t v = 0;
    if (l2_get_int64(t, &i, &v) != L2_OK)
        return -12345;
    return v;
}

static double itm(const l2_tensor *t)
{
    double v = -12345;
    l2_item(t, &v);
    return v;
}

static l2_tensor *i64(int n, const int64_t *v)
{
    return l2_from_data(v, 1, (const int64_t[]){n}, L2_INT64);
}

/* ---- creation: a product that wraps to 0 is not an empty shape ---------------------------- */

static void test_creation(void)
{
    fails(l2_zeros(L2_SHAPE(BIG, 4), L2_FLOAT32), L2_ERR_OVERFLOW, "zeros [2^62,4]");
    fails(l2_empty(L2_SHAPE(BIG, 4), L2_FLOAT32), L2_ERR_OVERFLOW, "empty [2^62,4]");
    fails(l2_ones(L2_SHAPE(4, BIG), L2_FLOAT64), L2_ERR_OVERFLOW, "ones [4,2^62]");
    fails(l2_full(L2_SHAPE(BIG, 2, 2), 1.0, L2_INT64), L2_ERR_OVERFLOW, "full [2^62,2,2]");
    fails(l2_rand(L2_SHAPE(BIG, 4), L2_FLOAT32), L2_ERR_OVERFLOW, "rand [2^62,4]");
    fails(l2_randn(L2_SHAPE(BIG, 4), L2_FLOAT32), L2_ERR_OVERFLOW, "randn [2^62,4]");
    fails(l2_randint(0, 5, L2_SHAPE(BIG, 4)), L2_ERR_OVERFLOW, "randint [2^62,4]");
    float one = 1;
    fails(l2_from_data(&one, L2_SHAPE(BIG, 4), L2_FLOAT32), L2_ERR_OVERFLOW,
          "from_data [2^62,4]");
    fails(l2_zeros(L2_SHAPE((int64_t)1 << 32, (int64_t)1 << 32), L2_BOOL), L2_ERR_OVERFLOW,
          "zeros [2^32,2^32] wraps to 0");
    /* Byte size over PTRDIFF_MAX although the element count fits. */
    fails(l2_zeros(L2_SHAPE((int64_t)1 << 61, 2), L2_FLOAT32), L2_ERR_OVERFLOW,
          "zeros [2^61,2] float32 (2^65 bytes)");
    fails(l2_zeros(L2_SHAPE(MAX), L2_FLOAT64), L2_ERR_OVERFLOW, "zeros [INT64_MAX] float64");
    /* torch's rule for empty shapes: the in-order (uint64) product must not overflow before
     * the 0. */
    fails(l2_zeros(L2_SHAPE(BIG, 4, 0), L2_FLOAT32), L2_ERR_OVERFLOW, "zeros [2^62,4,0]");
    fails(l2_zeros(L2_SHAPE(MAX, MAX, 0), L2_FLOAT32), L2_ERR_OVERFLOW, "zeros [MAX,MAX,0]");
    l2_tensor *e = l2_zeros(L2_SHAPE(0, MAX, 4), L2_FLOAT32);
    ok(e && l2_numel(e) == 0, "zeros [0,INT64_MAX,4] is a valid empty tensor (torch)");
    e = l2_zeros(L2_SHAPE(BIG, 2, 0), L2_FLOAT32);
    ok(e && l2_numel(e) == 0, "zeros [2^62,2,0] is a valid empty tensor (torch)");
    l2_linear_layer ll = {0};
    fails_st(l2_linear_layer_init(&ll, (int64_t)1 << 40, (int64_t)1 << 40, true, L2_FLOAT32),
             L2_ERR_OVERFLOW, "linear_layer_init 2^40 features");
    l2_conv2d_layer cl = {0};
    fails_st(l2_conv2d_layer_init(&cl, MAX, MAX, 3, 1, 0, 1, true, L2_FLOAT32), L2_OK,
             "conv2d_layer_init INT64_MAX channels");
    fails_st(l2_conv2d_layer_init(&cl, 1, 1, (int64_t)1 << 40, 1, 0, 1, false, L2_FLOAT32),
             L2_ERR_OVERFLOW, "conv2d_layer_init kernel 2^40");
    fails(l2_eye(BIG, BIG, L2_FLOAT32), L2_ERR_OVERFLOW, "eye 2^62 x 2^62");
    l2_tensor *cls = i64(2, (const int64_t[]){3, MAX});
    fails(l2_one_hot(cls, -1), L2_ERR_OVERFLOW, "one_hot inferring INT64_MAX + 1 classes");
    fails(l2_one_hot(cls, MAX), L2_ERR_INDEX, "one_hot INT64_MAX classes, value INT64_MAX");
    l2_tensor *cls2 = i64(2, (const int64_t[]){3, 4});
    fails(l2_one_hot(cls2, MAX), L2_ERR_OVERFLOW, "one_hot [2, INT64_MAX]");
}

/* ---- views ---------------------------------------------------------------------------------- */

static void test_views(void)
{
    l2_tensor *t = l2_arange(0, 12, 1, L2_INT64);
    l2_tensor *t34 = l2_view(t, L2_SHAPE(3, 4));

    /* expand to 2^66 elements */
    l2_tensor *one = l2_view(t34, L2_SHAPE(12, 1));
    fails(l2_expand(one, L2_SHAPE((int64_t)1 << 33, (int64_t)1 << 33, 12, 1 << 20)),
          L2_ERR_OVERFLOW, "expand to 2^66+ elements");
    fails(l2_expand(one, L2_SHAPE(BIG, 12, 4)), L2_ERR_OVERFLOW, "expand [2^62,12,4]");
    l2_tensor *ok1 = l2_expand(one, L2_SHAPE((int64_t)1 << 20, 12, 4));
    ok(ok1 && l2_numel(ok1) == ((int64_t)48 << 20), "expand to 48*2^20 elements works");
    fails(l2_broadcast_to(one, L2_SHAPE(BIG, 12, 4)), L2_ERR_OVERFLOW, "broadcast_to overflow");

    /* as_strided: stride and offset at INT64_MAX */
    fails(l2_as_strided(t, L2_SHAPE(2), (const int64_t[]){MAX}, 0), L2_OK,
          "as_strided stride INT64_MAX");
    fails(l2_as_strided(t, L2_SHAPE(1), (const int64_t[]){1}, MAX), L2_OK,
          "as_strided offset INT64_MAX");
    fails(l2_as_strided(t, L2_SHAPE(3, 3), (const int64_t[]){BIG, BIG}, 0), L2_OK,
          "as_strided strides 2^62 (sum overflows)");
    fails(l2_as_strided(t, L2_SHAPE(2), (const int64_t[]){1}, MAX - 1), L2_OK,
          "as_strided offset INT64_MAX-1 + stride");
    fails(l2_as_strided(t, L2_SHAPE(2), (const int64_t[]){12}, 0), L2_ERR_INDEX,
          "as_strided beyond storage");
    l2_tensor *as = l2_as_strided(t, L2_SHAPE(2, 2), (const int64_t[]){5, 5}, 1);
    ok(as && geti(l2_flatten(as, 0, 1), 3) == 12 - 1, "as_strided within storage reads 11");

    /* slice with a huge step: one element, no overflow */
    l2_tensor *s = l2_slice(t, 0, 0, MAX, MAX);
    ok(s && l2_numel(s) == 1 && geti(s, 0) == 0, "slice step INT64_MAX gives [t[0]]");
    l2_tensor *c = s ? l2_clone(s) : NULL;
    ok(c && geti(c, 0) == 0, "clone of that slice");
    s = l2_slice(t, 0, 3, MAX, MAX - 1);
    ok(s && l2_numel(s) == 1 && geti(s, 0) == 3, "slice start 3 step INT64_MAX-1 gives [t[3]]");
    s = l2_slice(t, 0, MIN, MAX, 5);
    ok(s && l2_numel(s) == 3 && geti(s, 2) == 10, "slice INT64_MIN:INT64_MAX:5");
    s = l2_slice(t, 0, 12, MAX, MAX);
    ok(s && l2_numel(s) == 0, "empty slice at the end with step INT64_MAX");
    fails(l2_narrow(t, 0, 1, MAX), L2_ERR_INDEX, "narrow start 1 length INT64_MAX");
    fails(l2_select(t, 0, MIN), L2_ERR_INDEX, "select INT64_MIN");

    /* unflatten */
    fails(l2_unflatten(t34, 1, 2, (const int64_t[]){MAX, 2}), L2_ERR_SHAPE,
          "unflatten {INT64_MAX, 2}");
    fails(l2_unflatten(t34, 1, 2, (const int64_t[]){BIG, 4}), L2_ERR_SHAPE,
          "unflatten {2^62, 4} (product wraps to 0)");
    fails(l2_unflatten(t34, 1, 2, (const int64_t[]){-1, -1}), L2_ERR_ARG, "unflatten {-1, -1}");
    fails(l2_unflatten(t34, 1, 2, (const int64_t[]){-2, -2}), L2_ERR_ARG, "unflatten {-2, -2}");
    l2_tensor *u = l2_unflatten(t34, 1, 2, (const int64_t[]){2, -1});
    ok(u && l2_size(u, 2) == 2, "unflatten {2, -1} infers 2");

    /* view / reshape of an empty tensor into a shape whose other sizes overflow */
    l2_tensor *e = l2_zeros(L2_SHAPE(0), L2_FLOAT32);
    fails(l2_reshape(e, L2_SHAPE(BIG, 4, 0)), L2_ERR_OVERFLOW, "reshape [] -> [2^62,4,0]");
    fails(l2_view(e, L2_SHAPE(BIG, 4, -1)), L2_OK, "view [] -> [2^62,4,-1]");
    fails(l2_reshape(t, L2_SHAPE(BIG, 4, -1)), L2_ERR_SHAPE, "reshape [12] -> [2^62,4,-1]");
    fails(l2_view(t, L2_SHAPE(MAX, MAX)), L2_ERR_SHAPE, "view [12] -> [MAX,MAX]");

}

/* ---- external memory: from_blob and DLPack ------------------------------------------------ */

static int released;
static void count_release(void *ctx)
{
    (void)ctx;
    released++;
}

static float blob[16];

static void test_blob(void)
{
    released = 0;
    fails(l2_from_blob(blob, L2_SHAPE(2), (const int64_t[]){MAX}, 0, L2_FLOAT32, count_release,
                       NULL),
          L2_OK, "from_blob stride INT64_MAX");
    fails(l2_from_blob(blob, L2_SHAPE(2, 2), (const int64_t[]){BIG, BIG}, 0, L2_FLOAT32,
                       count_release, NULL),
          L2_OK, "from_blob strides 2^62");
    fails(l2_from_blob(blob, L2_SHAPE(2), (const int64_t[]){1}, MAX, L2_FLOAT32, count_release,
                       NULL),
          L2_OK, "from_blob offset INT64_MAX");
    fails(l2_from_blob(blob, L2_SHAPE(2), (const int64_t[]){1}, (int64_t)((uint64_t)1 << 63 >> 1),
                       L2_FLOAT32, count_release, NULL),
          L2_OK, "from_blob offset 2^62 float32 (bytes beyond PTRDIFF_MAX)");
    fails(l2_from_blob(blob, L2_SHAPE(2), (const int64_t[]){1}, -4, L2_FLOAT32, count_release,
                       NULL),
          L2_OK, "from_blob offset -4 (2^64-4 as unsigned)");
    fails(l2_from_blob(blob, L2_SHAPE(2), (const int64_t[]){-1}, 1, L2_FLOAT32, count_release,
                       NULL),
          L2_ERR_ARG, "from_blob negative stride");
    fails(l2_from_blob(blob, L2_SHAPE(BIG, 4), NULL, 0, L2_FLOAT32, count_release, NULL),
          L2_ERR_OVERFLOW, "from_blob shape [2^62,4]");
    is_int(released, 7, "release called once per refused blob");

    /* A valid blob: as_strided views of it are checked for overflow (its size is unknown). */
    l2_tensor *b = l2_from_blob(blob, L2_SHAPE(2, 4), NULL, 0, L2_FLOAT32, NULL, NULL);
    ok(b != NULL, "from_blob [2,4] over 16 floats");
    if (b) {
        fails(l2_as_strided(b, L2_SHAPE(2), (const int64_t[]){MAX}, 0), L2_OK,
              "as_strided stride INT64_MAX on a blob");
        fails(l2_as_strided(b, L2_SHAPE(2), (const int64_t[]){1}, MAX - 1), L2_OK,
              "as_strided offset INT64_MAX-1 on a blob");
        l2_tensor *v = l2_as_strided(b, L2_SHAPE(2), (const int64_t[]){1}, 6);
        ok(v != NULL, "as_strided within a blob");
    }
}

static int dl_deleted;
static void dl_deleter(DLManagedTensor *m)
{
    (void)m;
    dl_deleted++;
}

static l2_tensor *dl_import(int ndim, int64_t *shape, int64_t *strides, uint64_t byte_offset)
{
    static DLManagedTensor m;
    memset(&m, 0, sizeof m);
    m.dl_tensor.data = blob;
    m.dl_tensor.device.device_type = kDLCPU;
    m.dl_tensor.ndim = ndim;
    m.dl_tensor.dtype.code = kDLFloat;
    m.dl_tensor.dtype.bits = 32;
    m.dl_tensor.dtype.lanes = 1;
    m.dl_tensor.shape = shape;
    m.dl_tensor.strides = strides;
    m.dl_tensor.byte_offset = byte_offset;
    m.deleter = dl_deleter;
    return l2_from_dlpack(&m);
}

static void test_dlpack(void)
{
    dl_deleted = 0;
    int64_t sh[2] = {2, 2}, st[2] = {MAX, 1};
    fails(dl_import(2, sh, st, 0), L2_OK, "DLPack stride INT64_MAX");
    st[0] = BIG, st[1] = BIG;
    fails(dl_import(2, sh, st, 0), L2_OK, "DLPack strides 2^62");
    st[0] = 2, st[1] = 1;
    fails(dl_import(2, sh, st, UINT64_MAX - 3), L2_OK, "DLPack byte_offset 2^64-4");
    fails(dl_import(2, sh, st, (uint64_t)1 << 63), L2_OK, "DLPack byte_offset 2^63");
    fails(dl_import(2, sh, st, (uint64_t)INT64_MAX - 7), L2_OK,
          "DLPack byte_offset near PTRDIFF_MAX");
    st[0] = -2;
    fails(dl_import(2, sh, st, 16), L2_OK, "DLPack negative stride");
    int64_t big[2] = {BIG, 4};
    fails(dl_import(2, big, NULL, 0), L2_ERR_OVERFLOW, "DLPack shape [2^62,4]");
    is_int(dl_deleted, 7, "deleter called once per refused import");
    st[0] = 2, st[1] = 1;
    l2_scope_begin();
    l2_tensor *t = dl_import(2, sh, st, 8);
    ok(t && l2_offset(t) == 2, "a valid DLPack import (byte_offset 8)");
    l2_scope_end();
    is_int(dl_deleted, 8, "deleter called on release");
}

/* ---- files ---------------------------------------------------------------------------------- */

static char dir[] = "/tmp/l2-test-overflow-XXXXXX";

static const char *write_file(const char *name, const void *data, size_t n)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
    return path;
}

static void test_files(void)
{
    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return;
    }
    /* A small safetensors file declaring [2^62, 4] float32 with no data. */
    const char *hdrs[] = {
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}",
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[4,4611686018427387904,0],\"data_offsets\":[0,0]}}",
        "{\"x\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}",
        "{\"x\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],"
        "\"data_offsets\":[0,0]}}",
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[18446744073709551608,0]}}",
    };
    for (size_t i = 0; i < sizeof hdrs / sizeof *hdrs; i++) {
        unsigned char buf[512] = {0};
        size_t hl = strlen(hdrs[i]);
        for (int k = 0; k < 8; k++)
            buf[k] = (unsigned char)((uint64_t)hl >> (8 * k));
        memcpy(buf + 8, hdrs[i], hl);
        const char *p = write_file("big.safetensors", buf, 8 + hl + 8);
        l2_named_tensors *d = l2_load_safetensors(p);
        char name[64];
        snprintf(name, sizeof name, "safetensors header %zu with an overflowing shape", i);
        fails(d, L2_ERR_FORMAT, name);
    }
    /* An IDX file declaring 65536^4 float32. */
    unsigned char idx[4 + 16 + 16] = {0, 0, 0x0D, 4};
    for (int i = 0; i < 4; i++) {
        idx[4 + 4 * i + 1] = 1; /* 0x00010000 */
    }
    const char *p = write_file("big.idx", idx, sizeof idx);
    fails(l2_load_idx(p, false), L2_ERR_FORMAT, "IDX with dims 65536^4");
    idx[3] = 2;
    idx[4 + 0] = 0x80; /* 2^31 x 2^16 float32: fits, but the file has no such data */
    p = write_file("big2.idx", idx, sizeof idx);
    fails(l2_load_idx(p, false), L2_ERR_FORMAT, "IDX with dims 2^31 x 65536 and 16 data bytes");
    unlink(p);
    unlink(write_file("big.idx", "", 0));
    unlink(write_file("big.safetensors", "", 0));
    rmdir(dir);
}

/* ---- conv, pooling, pad --------------------------------------------------------------------- */

static void test_conv_pool_pad(void)
{
    l2_tensor *x = l2_arange(0, 50, 1, L2_FLOAT32);
    l2_tensor *img = l2_reshape(x, L2_SHAPE(1, 2, 5, 5));
    l2_tensor *w = l2_ones(L2_SHAPE(3, 2, 3, 3), L2_FLOAT32);

    fails(l2_conv2d(img, w, NULL, NULL, NULL, (const int64_t[]){MAX, MAX}, 1), L2_ERR_SHAPE,
          "conv2d dilation INT64_MAX");
    fails(l2_conv2d(img, w, NULL, NULL, NULL, (const int64_t[]){BIG, 1}, 1), L2_ERR_SHAPE,
          "conv2d dilation 2^62");
    fails(l2_conv2d(img, w, NULL, NULL, NULL, (const int64_t[]){0, 1}, 1), L2_ERR_ARG,
          "conv2d dilation 0");
    fails(l2_conv2d(img, w, NULL, (const int64_t[]){0, 1}, NULL, NULL, 1), L2_ERR_ARG,
          "conv2d stride 0");
    fails(l2_conv2d(img, w, NULL, NULL, (const int64_t[]){(int64_t)1 << 40, (int64_t)1 << 40},
                    NULL, 1),
          L2_ERR_OVERFLOW, "conv2d padding 2^40");
    fails(l2_conv2d(img, w, NULL, NULL, (const int64_t[]){BIG, 0}, NULL, 1), L2_ERR_OVERFLOW,
          "conv2d padding 2^62 (padded size overflows)");
    fails(l2_conv2d(img, w, NULL, NULL, (const int64_t[]){MAX, 0}, NULL, 1), L2_ERR_OVERFLOW,
          "conv2d padding INT64_MAX");
    fails(l2_conv2d(img, w, NULL, NULL, NULL, NULL, MAX), L2_ERR_SHAPE,
          "conv2d groups INT64_MAX");
    /* torch: stride INT64_MAX gives output size 1 (the first window). */
    l2_tensor *y = l2_conv2d(img, w, NULL, (const int64_t[]){MAX, MAX}, NULL, NULL, 1);
    double want = 0;
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                want += 25 * c + 5 * i + j;
    ok(y && l2_numel(y) == 3 && l2_size(y, 2) == 1 && l2_size(y, 3) == 1,
       "conv2d stride INT64_MAX gives [1,3,1,1]");
    if (y)
        is_near(itm(l2_select(l2_flatten(y, 0, 3), 0, 0)), want, 1e-3,
                "conv2d stride INT64_MAX value");

    fails(l2_avg_pool2d(img, (const int64_t[]){MAX, MAX}, NULL,
                        (const int64_t[]){MAX / 2, MAX / 2}),
          L2_ERR_OVERFLOW, "avg_pool2d kernel INT64_MAX padding INT64_MAX/2");
    fails(l2_avg_pool2d(img, (const int64_t[]){MAX, MAX}, NULL, (const int64_t[]){BIG, BIG}),
          L2_ERR_ARG, "avg_pool2d kernel INT64_MAX padding 2^62 (over half the kernel)");
    fails(l2_avg_pool2d(img, (const int64_t[]){MAX, MAX}, NULL, NULL), L2_ERR_SHAPE,
          "avg_pool2d kernel INT64_MAX");
    fails(l2_max_pool2d(img, (const int64_t[]){MAX, MAX}, NULL,
                        (const int64_t[]){MAX / 2, MAX / 2}),
          L2_ERR_OVERFLOW, "max_pool2d kernel INT64_MAX padding INT64_MAX/2");
    y = l2_max_pool2d(img, (const int64_t[]){2, 2}, (const int64_t[]){MAX, MAX}, NULL);
    ok(y && l2_numel(y) == 2, "max_pool2d stride INT64_MAX gives [1,2,1,1]");
    if (y)
        is_near(itm(l2_select(l2_flatten(y, 0, 3), 0, 1)), 25 + 6, 0,
                "max_pool2d stride INT64_MAX value");
    y = l2_avg_pool2d(img, (const int64_t[]){BIG, BIG}, (const int64_t[]){MAX, MAX},
                      (const int64_t[]){BIG / 2, BIG / 2});
    ok(y && l2_numel(y) == 2, "avg_pool2d kernel 2^62 padding 2^61 gives [1,2,1,1]");
    if (y)
        is_near(itm(l2_select(l2_flatten(y, 0, 3), 0, 0)), 300.0 / 0x1p124, 1e-40,
                "avg_pool2d kernel 2^62 value: sum / 2^124");

    fails(l2_adaptive_avg_pool2d(img, (const int64_t[]){(int64_t)1 << 40, (int64_t)1 << 40}),
          L2_ERR_OVERFLOW, "adaptive_avg_pool2d output 2^40 x 2^40");
    fails(l2_adaptive_avg_pool2d(img, (const int64_t[]){MAX, 1}), L2_ERR_OVERFLOW,
          "adaptive_avg_pool2d output INT64_MAX x 1");
    y = l2_adaptive_avg_pool2d(img, (const int64_t[]){0, 3});
    ok(y && l2_numel(y) == 0, "adaptive_avg_pool2d output 0 x 3 is empty (as torch)");

    fails(l2_pad(img, 2, (const int64_t[]){MAX, MAX}, 0), L2_ERR_OVERFLOW,
          "pad {INT64_MAX, INT64_MAX}");
    fails(l2_pad(img, 2, (const int64_t[]){MIN, 0}, 0), L2_ERR_OVERFLOW, "pad {INT64_MIN, 0}");
    fails(l2_pad(img, 2, (const int64_t[]){0, MIN}, 0), L2_ERR_OVERFLOW, "pad {0, INT64_MIN}");
    fails(l2_pad(img, 2, (const int64_t[]){MAX, -MAX}, 0), L2_OK,
          "pad {INT64_MAX, -INT64_MAX}");
    fails(l2_pad(img, 2, (const int64_t[]){-MAX, -MAX}, 0), L2_OK,
          "pad {-INT64_MAX, -INT64_MAX}");
    fails(l2_pad(img, 4, (const int64_t[]){BIG, 0, BIG, 0}, 0), L2_ERR_OVERFLOW,
          "pad {2^62, 0, 2^62, 0} (numel overflows)");
    fails(l2_pad(img, 2, (const int64_t[]){(int64_t)1 << 60, 0}, 0), L2_ERR_OVERFLOW,
          "pad {2^60, 0} (numel overflows)");

}

/* ---- int64 arithmetic wraps as torch's ------------------------------------------------------ */

static void test_int64(void)
{
    l2_tensor *a = l2_from_data((const int64_t[]){MIN}, L2_SHAPE(1, 1), L2_INT64);
    l2_tensor *b = l2_from_data((const int64_t[]){-1}, L2_SHAPE(1, 1), L2_INT64);
    l2_tensor *r = l2_mm(a, b);
    ok(r && geti(l2_flatten(r, 0, 1), 0) == MIN, "mm INT64_MIN by -1 = INT64_MIN (torch)");
    r = l2_matmul(a, b);
    ok(r && geti(l2_flatten(r, 0, 1), 0) == MIN, "matmul INT64_MIN by -1");
    l2_tensor *u = i64(2, (const int64_t[]){MIN, MIN});
    l2_tensor *v = i64(2, (const int64_t[]){-1, 1});
    r = l2_dot(u, v);
    ok(r && itm(r) == 0, "dot [MIN,MIN].[-1,1] = 0 (torch)");

    l2_tensor *m1 = i64(2, (const int64_t[]){MAX, 1});
    r = l2_sum(m1);
    ok(r && geti(l2_flatten(r, 0, -1), 0) == MIN, "sum [MAX,1] wraps to MIN");
    l2_tensor *m2 = i64(2, (const int64_t[]){MAX, 2});
    r = l2_prod(m2);
    ok(r && geti(l2_flatten(r, 0, -1), 0) == -2, "prod [MAX,2] = -2");
    l2_tensor *m3 = i64(3, (const int64_t[]){MAX, 1, 1});
    r = l2_cumsum(m3, 0);
    ok(r && geti(r, 1) == MIN && geti(r, 2) == MIN + 1, "cumsum [MAX,1,1] wraps");
    l2_tensor *mn = i64(1, (const int64_t[]){MIN});
    r = l2_neg(mn);
    ok(r && geti(r, 0) == MIN, "neg INT64_MIN = INT64_MIN");
    r = l2_abs(mn);
    ok(r && geti(r, 0) == MIN, "abs INT64_MIN = INT64_MIN");
    l2_tensor *mx = i64(1, (const int64_t[]){MAX});
    l2_tensor *one = i64(1, (const int64_t[]){1});
    l2_tensor *two = i64(1, (const int64_t[]){2});
    l2_tensor *neg1 = i64(1, (const int64_t[]){-1});
    l2_tensor *zero = i64(1, (const int64_t[]){0});
    r = l2_add(mx, one);
    ok(r && geti(r, 0) == MIN, "add MAX+1 = MIN");
    r = l2_sub(mn, one);
    ok(r && geti(r, 0) == MAX, "sub MIN-1 = MAX");
    r = l2_mul(mx, two);
    ok(r && geti(r, 0) == -2, "mul MAX*2 = -2");
    r = l2_remainder(mn, neg1);
    ok(r && geti(r, 0) == 0, "remainder MIN by -1 = 0");
    r = l2_fmod(mn, neg1);
    ok(r && geti(r, 0) == 0, "fmod MIN by -1 = 0");
    fails(l2_remainder(mx, zero), L2_ERR_ARG, "remainder by integer 0 (ZeroDivisionError)");
    fails(l2_fmod(mx, zero), L2_ERR_ARG, "fmod by integer 0 (ZeroDivisionError)");
    r = l2_div(mn, neg1);
    ok(r && l2_dtype_of(r) == L2_FLOAT32 && itm(r) == 0x1p63, "div MIN by -1 = 2^63 (true)");

}

/* ---- empty tensors with huge sizes (torch accepts [0, INT64_MAX, 4]) ------------------------ */

/* r is a result (any) or a clean error; ops must not overflow on the way (UBSan checks that). */
static void sane(const l2_tensor *r, const char *name)
{
    const char *msg = l2_last_error();
    if (!ok(r != NULL || (l2_last_status() != L2_OK && msg[0]), "%s on a huge empty tensor",
            name))
        printf("#   status %s, message \"%s\"\n", l2_status_name(l2_last_status()), msg);
    l2_clear_error();
}

typedef l2_tensor *(*unary_fn)(const l2_tensor *);
typedef l2_tensor *(*binary_fn)(const l2_tensor *, const l2_tensor *);
typedef l2_tensor *(*dim_fn)(const l2_tensor *, int, bool);

static void test_empty_huge(void)
{
    const int64_t shapes[][3] = {{0, MAX, 4}, {4, 0, MAX}, {0, BIG, BIG}};
    static const unary_fn un[] = {l2_contiguous, l2_clone, l2_neg, l2_exp, l2_relu, l2_sum,
                                  l2_mean, l2_prod, l2_any, l2_all, l2_squeeze, l2_zeros_like,
                                  l2_rand_like, l2_sigmoid};
    static const binary_fn bin[] = {l2_add, l2_mul, l2_maximum, l2_eq, l2_matmul, l2_pow};
    static const dim_fn dims[] = {l2_prod_dim, l2_argmax_dim, l2_any_dim};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        l2_tensor *e = l2_zeros(3, shapes[k], L2_FLOAT32);
        ok(e && l2_numel(e) == 0, "zeros of huge empty shape %zu", k);
        if (!e)
            continue;
        for (size_t i = 0; i < sizeof un / sizeof *un; i++)
            sane(un[i](e), "unary op");
        for (size_t i = 0; i < sizeof bin / sizeof *bin; i++)
            sane(bin[i](e, e), "binary op");
        for (int d = 0; d < 3; d++) {
            for (size_t i = 0; i < sizeof dims / sizeof *dims; i++)
                sane(dims[i](e, d, i & 1), "dim op");
            sane(l2_sum_dims(e, 1, &d, false), "sum_dims");
            sane(l2_softmax(e, d), "softmax");
            sane(l2_log_softmax(e, d), "log_softmax");
            sane(l2_cumsum(e, d), "cumsum");
            sane(l2_contiguous(l2_transpose(e, d, (d + 1) % 3)), "transpose + contiguous");
            sane(l2_flatten(e, d, 2), "flatten");
            sane(l2_cat(2, (l2_tensor *const[]){e, e}, d), "cat");
        }
        sane(l2_reshape(e, L2_SHAPE(-1)), "reshape -1");
        sane(l2_reshape(e, L2_SHAPE(0, -1)), "reshape 0,-1");
        sane(l2_permute(e, (const int[]){2, 0, 1}), "permute");
        sane(l2_contiguous(l2_permute(e, (const int[]){2, 0, 1})), "permute + contiguous");
        sane(l2_expand(l2_unsqueeze(e, 0), L2_SHAPE(3, -1, -1, -1)), "expand");
        sane(l2_slice(e, 2, 1, MAX, 3), "slice");
        sane(l2_matmul(e, l2_transpose(e, 1, 2)), "batched matmul");
        sane(l2_pad(e, 2, (const int64_t[]){1, 1}, 0), "pad");
    }
}

int main(void)
{
    l2_scope_begin();
    test_creation();
    test_views();
    test_blob();
    test_dlpack();
    test_files();
    test_conv_pool_pad();
    test_int64();
    test_empty_huge();
    l2_scope_end();
    return tap_done();
}
