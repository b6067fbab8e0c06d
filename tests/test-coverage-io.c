/* test-coverage-io.c: the error paths of the loaders and of DLPack import: malformed safetensors
 * headers (each must fail with L2_ERR_FORMAT and a message), valid headers with metadata, escapes
 * and unknown keys, saving errors, IDX files of every data type and every kind of damage, and
 * DLPack tensors with unsupported devices, dtypes, ranks and offsets (the deleter runs once). */
#include "tap.h"

#include <dlpack/dlpack.h>
#include <l2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ST_PATH = "test-coverage-io.safetensors";
static const char *IDX_PATH = "test-coverage-io.idx";

/* A safetensors file: 8-byte little-endian header length, the header, then data. */
static void write_st(const char *header, const void *data, size_t ndata)
{
    FILE *f = fopen(ST_PATH, "wb");
    uint64_t hl = strlen(header);
    unsigned char le[8];
    for (int k = 0; k < 8; k++)
        le[k] = (unsigned char)(hl >> (8 * k));
    fwrite(le, 1, 8, f);
    fwrite(header, 1, hl, f);
    if (ndata)
        fwrite(data, 1, ndata, f);
    fclose(f);
}

static void test_safetensors_malformed(void)
{
    static const struct {
        const char *header, *why;
    } bad[] = {
        {"[", "not an object"},
        {"{\"a\"", "name without a colon"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "unclosed object"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", "trailing text"},
        {"{\"a\x01\":{}}", "control character in a name"},
        {"{\"a\\n\":{}}", "unsupported escape"},
        {"{\"a\\", "escape at the end"},
        {"{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", "dtype F8_E4M3"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "no data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "negative size"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}",
         "integer too large"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775808],\"data_offsets\":[0,4]}}",
         "size above INT64_MAX"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
         "nine dims"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1;\"data_offsets\":[0,4]}}", "bad shape list"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", "shape not a list"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0 4]}}", "offsets syntax"},
        {"{\"a\":{\"dtype\":F32,\"shape\":[1],\"data_offsets\":[0,4]}}", "unquoted dtype"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]};", "entry not closed"},
        {"{\"a\":{\"dtype\" \"F32\"}}", "key without colon"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":[[[[[[[[[[[[[[[[["
         "[[[1]]]]]]]]]]]]]]]]]]]}}",
         "an unknown value nested too deep"},
        {"{\"__metadata__\":{\"k\" 1}}", "metadata key without colon"},
        {"{\"__metadata__\":{\"k\":\"v\"", "metadata truncated"},
        {"{\"__metadata__\":[1 2]}", "metadata list without comma"},
        {"{\"__metadata__\":{\"k\":\"v\"},\"__metadata__\":{\"k\":\"w\"}}",
         "__metadata__ twice"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "offsets != bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "end before begin"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}",
         "overlapping tensors"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
         "duplicate names"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}",
         "impossible shape"},
        {"{\"a\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[4,6]}}", "bool byte 7"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", "beyond the data"},
    };
    unsigned char data[8] = {0, 0, 128, 63, 1, 7, 0, 0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_st(bad[i].header, data, sizeof data);
        l2_clear_error();
        l2_named_tensors *d = l2_load_safetensors(ST_PATH);
        ok(d == NULL && l2_last_status() == L2_ERR_FORMAT && l2_last_error()[0],
           "safetensors refuses %s (%s)", bad[i].why, l2_last_error());
        l2_named_free(d);
    }

    /* Too short, a header longer than the file. */
    FILE *f = fopen(ST_PATH, "wb");
    fwrite("abc", 1, 3, f);
    fclose(f);
    ok(l2_load_safetensors(ST_PATH) == NULL && l2_last_status() == L2_ERR_FORMAT,
       "a 3-byte file is too short");
    f = fopen(ST_PATH, "wb");
    fwrite("\xff\0\0\0\0\0\0\0{}", 1, 10, f);
    fclose(f);
    ok(l2_load_safetensors(ST_PATH) == NULL && l2_last_status() == L2_ERR_FORMAT,
       "a header length beyond the file");
    ok(l2_load_safetensors("/nonexistent/x.safetensors") == NULL &&
           l2_last_status() == L2_ERR_IO,
       "a missing file is L2_ERR_IO");
    ok(l2_load_safetensors(NULL) == NULL && l2_last_status() == L2_ERR_NULL, "NULL path");
}

static void test_safetensors_valid(void)
{
    /* Metadata of every JSON kind, escapes in names, unknown keys, whitespace, empty shape. */
    const char *h = " { \"__metadata__\" : {\"format\":\"pt\",\"n\":[1,-2.5e3,true,null,{}],"
                    "\"e\":[],\"o\":{\"k\":\"v\"}} , \"a\\\"b\\\\c\\/\" : {\"shape\":[],"
                    "\"extra\":\"x\",\"dtype\":\"F32\",\"data_offsets\":[0,4]}, \"m\":{\"dtype\":"
                    "\"BOOL\",\"shape\":[2],\"data_offsets\":[4,6]} }  ";
    unsigned char data[6] = {0, 0, 128, 63, 1, 0};
    write_st(h, data, sizeof data);
    l2_named_tensors *d = l2_load_safetensors(ST_PATH);
    ok(d != NULL, "valid header with metadata loads (%s)", d ? "" : l2_last_error());
    is_int(l2_named_count(d), 2, "two tensors, metadata skipped");
    is_str(l2_named_name(d, 0), "a\"b\\c/", "escapes decoded in the name");
    l2_tensor *a = l2_named_get(d, "a\"b\\c/");
    double v = 0;
    ok(a && l2_ndim(a) == 0 && l2_item(a, &v) == L2_OK && v == 1.0, "0-d float32 value 1");
    ok(l2_named_get(d, "zz") == NULL && l2_last_status() == L2_ERR_ARG, "named_get missing");
    ok(l2_named_name(d, 2) == NULL && l2_last_status() == L2_ERR_INDEX, "named_name out of range");
    ok(l2_named_tensor(d, -1) == NULL && l2_last_status() == L2_ERR_INDEX,
       "named_tensor out of range");
    l2_named_free(d);
    is_int(l2_named_count(NULL), 0, "count of NULL");

    /* Out of memory at every allocation of a load: NULL and L2_ERR_NOMEM, until it works. */
    int fails = 0, bad = 0;
    for (int k = 0; k < 32; k++) {
        l2_debug_fail_alloc_after(k);
        d = l2_load_safetensors(ST_PATH);
        l2_debug_fail_alloc_after(-1);
        if (d) {
            l2_named_free(d);
            break;
        }
        fails++;
        bad += l2_last_status() != L2_ERR_NOMEM;
    }
    ok(fails > 0 && bad == 0, "load: %d out-of-memory runs fail with L2_ERR_NOMEM (%d bad)",
       fails, bad);
}

static void test_safetensors_save_errors(void)
{
    l2_tensor *t = l2_ones(2, (int64_t[]){2, 3}, L2_FLOAT64);
    l2_tensor *tt = l2_t(t); /* not contiguous: saved through a copy */
    l2_tensor *ts[] = {t, tt};
    const char *names[] = {"t", "tt"};
    is_int(l2_save_safetensors(ST_PATH, 2, names, ts), L2_OK, "save a transposed view");
    l2_named_tensors *d = l2_load_safetensors(ST_PATH);
    l2_tensor *back = l2_named_get(d, "tt");
    ok(back && l2_shape(back)[0] == 3 && l2_is_contiguous(back), "the view comes back (3,2)");
    l2_named_free(d);
    is_int(l2_save_safetensors(NULL, 1, names, ts), L2_ERR_NULL, "save NULL path");
    is_int(l2_save_safetensors(ST_PATH, 1, NULL, ts), L2_ERR_NULL, "save NULL names");
    is_int(l2_save_safetensors(ST_PATH, -1, names, ts), L2_ERR_ARG, "save negative count");
    const char *dup[] = {"x", "x"};
    is_int(l2_save_safetensors(ST_PATH, 2, dup, ts), L2_ERR_ARG, "save duplicate names");
    const char *badname[] = {"a\"b"};
    is_int(l2_save_safetensors(ST_PATH, 1, badname, ts), L2_ERR_ARG, "save a name with a quote");
    const char *empty[] = {""};
    is_int(l2_save_safetensors(ST_PATH, 1, empty, ts), L2_ERR_ARG, "save an empty name");
    l2_tensor *nul[] = {NULL};
    is_int(l2_save_safetensors(ST_PATH, 1, names, nul), L2_ERR_NULL, "save a NULL tensor");
    is_int(l2_save_safetensors("/nonexistent/dir/x.safetensors", 1, names, ts), L2_ERR_IO,
           "save into a missing folder");
    ok(strstr(l2_last_error(), "/nonexistent/dir") != NULL, "message names the file: %s",
       l2_last_error());
    is_int(l2_save_safetensors(ST_PATH, 0, NULL, NULL), L2_OK, "save nothing");
    d = l2_load_safetensors(ST_PATH);
    is_int(l2_named_count(d), 0, "an empty file loads as no tensors");
    l2_named_free(d);
    int fails = 0, bad = 0;
    for (int k = 0; k < 16; k++) {
        l2_debug_fail_alloc_after(k);
        l2_status st = l2_save_safetensors(ST_PATH, 2, names, ts);
        l2_debug_fail_alloc_after(-1);
        if (st == L2_OK)
            break;
        fails++;
        bad += st != L2_ERR_NOMEM;
    }
    ok(fails > 0 && bad == 0, "save: %d out-of-memory runs fail with L2_ERR_NOMEM (%d bad)",
       fails, bad);
    l2_tensor_release(tt);
    l2_tensor_release(t);
    remove(ST_PATH);
}

/* An IDX file: magic 0 0 type ndim, big-endian u32 dims, then raw bytes. */
static void write_idx(const unsigned char *head, size_t nhead, const void *data, size_t ndata)
{
    FILE *f = fopen(IDX_PATH, "wb");
    fwrite(head, 1, nhead, f);
    if (ndata)
        fwrite(data, 1, ndata, f);
    fclose(f);
}

static void test_idx(void)
{
    /* int32, big-endian: -2, 7. */
    unsigned char h32[] = {0, 0, 0x0C, 1, 0, 0, 0, 2};
    unsigned char d32[] = {0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 7};
    write_idx(h32, sizeof h32, d32, sizeof d32);
    l2_tensor *t = l2_load_idx(IDX_PATH, true);
    int64_t i0 = 0, i1 = 0;
    ok(t && l2_dtype_of(t) == L2_INT64 && l2_get_int64(t, (int64_t[]){0}, &i0) == L2_OK &&
           l2_get_int64(t, (int64_t[]){1}, &i1) == L2_OK && i0 == -2 && i1 == 7,
       "int32 IDX: -2, 7 as int64 (got %lld, %lld)", (long long)i0, (long long)i1);
    l2_tensor_release(t);

    /* float32 1.5 = 0x3fc00000, float64 -0.25 = 0xbfd0000000000000. */
    unsigned char hf[] = {0, 0, 0x0D, 1, 0, 0, 0, 1};
    unsigned char df[] = {0x3f, 0xc0, 0, 0};
    write_idx(hf, sizeof hf, df, sizeof df);
    t = l2_load_idx(IDX_PATH, false);
    double v = 0;
    ok(t && l2_dtype_of(t) == L2_FLOAT32 && l2_item(t, &v) == L2_OK && v == 1.5,
       "float32 IDX: 1.5 (got %g)", v);
    l2_tensor_release(t);
    unsigned char hd[] = {0, 0, 0x0E, 1, 0, 0, 0, 1};
    unsigned char dd[] = {0xbf, 0xd0, 0, 0, 0, 0, 0, 0};
    write_idx(hd, sizeof hd, dd, sizeof dd);
    t = l2_load_idx(IDX_PATH, false);
    ok(t && l2_dtype_of(t) == L2_FLOAT64 && l2_item(t, &v) == L2_OK && v == -0.25,
       "float64 IDX: -0.25 (got %g)", v);
    l2_tensor_release(t);

    /* Damage. */
    static const struct {
        unsigned char head[12];
        size_t nhead, ndata;
        l2_status want;
        const char *why;
    } bad[] = {
        {{0, 1, 0x08, 1}, 4, 0, L2_ERR_FORMAT, "bad magic"},
        {{0, 0, 0x08, 0}, 4, 0, L2_ERR_FORMAT, "rank 0"},
        {{0, 0, 0x08, 9}, 4, 0, L2_ERR_FORMAT, "rank 9"},
        {{0, 0, 0x09, 1, 0, 0, 0, 1}, 8, 1, L2_ERR_FORMAT, "data type 0x09"},
        {{0, 0, 0x08, 2, 0, 0, 0, 1, 0, 0}, 10, 0, L2_ERR_FORMAT, "truncated header"},
        {{0, 0, 0x08, 1, 0, 0, 0, 4}, 8, 3, L2_ERR_FORMAT, "truncated data"},
        {{0, 0, 0x08, 1, 0, 0, 0, 2}, 8, 3, L2_ERR_FORMAT, "trailing bytes"},
        {{0, 0}, 2, 0, L2_ERR_FORMAT, "short magic"},
    };
    unsigned char zeros[8] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_idx(bad[i].head, bad[i].nhead, zeros, bad[i].ndata);
        l2_clear_error();
        t = l2_load_idx(IDX_PATH, false);
        ok(t == NULL && l2_last_status() == bad[i].want && l2_last_error()[0],
           "IDX refuses %s (%s)", bad[i].why, l2_last_error());
        l2_tensor_release(t);
    }
    ok(l2_load_idx("/nonexistent/x.idx", false) == NULL && l2_last_status() == L2_ERR_IO,
       "missing IDX file is L2_ERR_IO");
    ok(l2_load_idx(NULL, false) == NULL && l2_last_status() == L2_ERR_NULL, "NULL IDX path");

    /* Out of memory at each allocation. */
    unsigned char hu[] = {0, 0, 0x08, 1, 0, 0, 0, 3};
    write_idx(hu, sizeof hu, "\1\2\3", 3);
    int fails = 0, badn = 0;
    for (int k = 0; k < 8; k++) {
        l2_debug_fail_alloc_after(k);
        t = l2_load_idx(IDX_PATH, true);
        l2_debug_fail_alloc_after(-1);
        if (t) {
            l2_tensor_release(t);
            break;
        }
        fails++;
        badn += l2_last_status() != L2_ERR_NOMEM;
    }
    ok(fails > 0 && badn == 0, "IDX: %d out-of-memory runs fail with L2_ERR_NOMEM (%d bad)",
       fails, badn);
    remove(IDX_PATH);
}

static int deleted;
static void deleter(DLManagedTensor *m)
{
    (void)m;
    deleted++;
}

/* Import a DLPack tensor over buf; returns the tensor (or NULL) and counts deleter calls. */
static l2_tensor *import(void *buf, int device, uint8_t code, uint8_t bits, uint16_t lanes,
                         int ndim, int64_t *shape, int64_t *strides, uint64_t byte_offset)
{
    static DLManagedTensor m;
    memset(&m, 0, sizeof m);
    m.dl_tensor.data = buf;
    m.dl_tensor.device.device_type = (DLDeviceType)device;
    m.dl_tensor.dtype.code = code;
    m.dl_tensor.dtype.bits = bits;
    m.dl_tensor.dtype.lanes = lanes;
    m.dl_tensor.ndim = ndim;
    m.dl_tensor.shape = shape;
    m.dl_tensor.strides = strides;
    m.dl_tensor.byte_offset = byte_offset;
    m.deleter = deleter;
    deleted = 0;
    l2_clear_error();
    return l2_from_dlpack(&m);
}

static void test_dlpack(void)
{
    double buf[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int64_t shape[2] = {2, 2}, strides[2] = {1, 2};
    l2_tensor *t = import(buf, kDLCPU, kDLFloat, 64, 1, 2, shape, strides, 2 * sizeof(double));
    double v = -1;
    ok(t && l2_get(t, (int64_t[]){1, 0}, &v) == L2_OK && v == 3,
       "float64 import with byte_offset 16 and strides (1,2): [1,0] is 3 (got %g)", v);
    ok(t && !l2_is_contiguous(t), "the import keeps the strides");
    is_int(deleted, 0, "deleter not yet called");
    l2_tensor_release(t);
    is_int(deleted, 1, "deleter called once at release");

    int64_t s1[1] = {3};
    int64_t ibuf[3] = {5, 6, 7};
    t = import(ibuf, kDLCPU, kDLInt, 64, 1, 1, s1, NULL, 0);
    ok(t && l2_dtype_of(t) == L2_INT64, "int64 import");
    l2_tensor_release(t);
    float fbuf[3] = {1, 2, 3};
    t = import(fbuf, kDLCPU, kDLFloat, 32, 1, 1, s1, NULL, 0);
    ok(t && l2_dtype_of(t) == L2_FLOAT32, "float32 import");
    l2_tensor_release(t);
    unsigned char bbuf[3] = {1, 0, 1};
    t = import(bbuf, kDLCPU, kDLUInt, 8, 1, 1, s1, NULL, 0);
    ok(t && l2_dtype_of(t) == L2_BOOL, "uint8 arrives as bool");
    l2_tensor_release(t);
    t = import(bbuf, kDLCPU, 6, 8, 1, 1, s1, NULL, 0);
    ok(t && l2_dtype_of(t) == L2_BOOL, "kDLBool (code 6) arrives as bool");
    l2_tensor_release(t);

    static const struct {
        int device;
        uint8_t code, bits;
        uint16_t lanes;
        int ndim;
        uint64_t off;
        const char *why;
    } bad[] = {
        {kDLCUDA, kDLFloat, 32, 1, 1, 0, "a CUDA tensor"},
        {kDLCPU, kDLFloat, 8, 1, 1, 0, "float8"},
        {kDLCPU, kDLInt, 32, 1, 1, 0, "int32"},
        {kDLCPU, kDLUInt, 16, 1, 1, 0, "uint16"},
        {kDLCPU, kDLFloat, 32, 2, 1, 0, "two lanes"},
        {kDLCPU, kDLBfloat, 32, 1, 1, 0, "bfloat of 32 bits"},
        {kDLCPU, kDLFloat, 32, 1, -1, 0, "rank -1"},
        {kDLCPU, kDLFloat, 32, 1, 9, 0, "rank 9"},
        {kDLCPU, kDLFloat, 32, 1, 1, 2, "byte offset 2 for float32"},
    };
    int64_t big[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = import(fbuf, bad[i].device, bad[i].code, bad[i].bits, bad[i].lanes, bad[i].ndim, big,
                   NULL, bad[i].off);
        ok(t == NULL && l2_last_status() == L2_ERR_UNSUPPORTED && deleted == 1,
           "DLPack refuses %s, calling the deleter once (%s)", bad[i].why, l2_last_error());
        l2_tensor_release(t);
    }
    int64_t neg[1] = {-1};
    t = import(fbuf, kDLCPU, kDLFloat, 32, 1, 1, s1, neg, 0);
    ok(t == NULL && l2_last_status() != L2_OK && deleted == 1,
       "DLPack refuses a negative stride, calling the deleter once (%s)", l2_last_error());
    ok(l2_from_dlpack(NULL) == NULL && l2_last_status() == L2_ERR_NULL, "from_dlpack(NULL)");
    ok(l2_to_dlpack(NULL) == NULL && l2_last_status() == L2_ERR_NULL, "to_dlpack(NULL)");

    /* Export under allocation failure. */
    l2_tensor *x = l2_ones(1, (int64_t[]){4}, L2_FLOAT32);
    int fails = 0, badn = 0;
    for (int k = 0; k < 8; k++) {
        l2_debug_fail_alloc_after(k);
        DLManagedTensor *e = l2_to_dlpack(x);
        l2_debug_fail_alloc_after(-1);
        if (e) {
            e->deleter(e);
            break;
        }
        fails++;
        badn += l2_last_status() != L2_ERR_NOMEM;
    }
    ok(fails > 0 && badn == 0, "to_dlpack: %d out-of-memory runs fail cleanly (%d bad)", fails,
       badn);
    l2_tensor_release(x);
}

int main(void)
{
    test_safetensors_malformed();
    test_safetensors_valid();
    test_safetensors_save_errors();
    test_idx();
    test_dlpack();
    remove(ST_PATH);
    return tap_done();
}
