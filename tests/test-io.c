/* test-io.c: safetensors save/load round trips and malformed files, and IDX reading (plain,
 * gzip, the Fashion-MNIST files when installed). */
#include <glob.h>
#include <l2.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "tap.h"

static char dir[] = "/tmp/l2-test-io-XXXXXX";

static const char *tmp_path(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

/* A safetensors file with header text hdr (length written as given unless len_override >= 0)
 * followed by data. */
static const char *write_st(const char *name, const char *hdr, long long len_override,
                            const void *data, size_t dn)
{
    const char *p = tmp_path(name);
    size_t hl = strlen(hdr);
    unsigned long long L = len_override >= 0 ? (unsigned long long)len_override : hl;
    unsigned char buf[4096];
    for (int k = 0; k < 8; k++)
        buf[k] = (unsigned char)(L >> (8 * k));
    memcpy(buf + 8, hdr, hl);
    if (dn)
        memcpy(buf + 8 + hl, data, dn);
    write_file(p, buf, 8 + hl + dn);
    return p;
}

static void test_roundtrip(void)
{
    l2_manual_seed(3);
    l2_tensor *a = l2_randn(L2_SHAPE(3, 4), L2_FLOAT32);
    l2_tensor *at = l2_transpose(a, 0, 1); /* non-contiguous: written through a copy */
    l2_tensor *b = l2_arange(-5, 5, 1, L2_INT64);
    l2_tensor *c = l2_randn(L2_SHAPE(2), L2_FLOAT64);
    l2_tensor *d = l2_full(L2_SHAPE(5), 1, L2_BOOL);
    l2_tensor *e = l2_zeros(L2_SHAPE(0, 3), L2_FLOAT32);
    l2_tensor *s = l2_scalar(7.25, L2_FLOAT64);
    const char *names[] = {"w.t", "idx", "bias", "mask", "empty", "scalar"};
    l2_tensor *ts[] = {at, b, c, d, e, s};
    char path[256];
    snprintf(path, sizeof path, "%s", tmp_path("ok.safetensors"));
    ok(l2_save_safetensors(path, 6, names, ts) == L2_OK, "save 6 tensors: %s", l2_last_error());
    glob_t g;
    ok(glob(tmp_path("ok.safetensors.*tmp"), 0, NULL, &g) == GLOB_NOMATCH,
       "no temporary file left behind");
    globfree(&g);
    l2_named_tensors *dict = l2_load_safetensors(path);
    ok(dict && l2_named_count(dict) == 6, "load 6 tensors: %s", l2_last_error());
    for (int i = 0; dict && i < 6; i++) {
        l2_tensor *x = l2_named_get(dict, names[i]);
        int same = x && l2_dtype_of(x) == l2_dtype_of(ts[i]) && l2_ndim(x) == l2_ndim(ts[i]);
        for (int dd = 0; same && dd < l2_ndim(x); dd++)
            same = l2_shape(x)[dd] == l2_shape(ts[i])[dd];
        int64_t n = same ? l2_numel(x) : 0, idx[L2_MAX_DIMS] = {0};
        for (int64_t k = 0; same && k < n; k++) {
            double u, v;
            l2_get(x, idx, &u);
            l2_get(ts[i], idx, &v);
            same = u == v;
            for (int dd = l2_ndim(x) - 1; dd >= 0; dd--) {
                if (++idx[dd] < l2_shape(x)[dd])
                    break;
                idx[dd] = 0;
            }
        }
        ok(same, "round trip of '%s' keeps dtype, shape and every value", names[i]);
        is_str(l2_named_name(dict, i), names[i], "names keep their order");
    }
    ok(!l2_named_get(dict, "nope") && l2_last_status() == L2_ERR_ARG, "missing name");
    l2_named_free(dict);
    ok(l2_save_safetensors(path, 2, (const char *[]){"x", "x"}, ts) == L2_ERR_ARG,
       "duplicate names refused");
    ok(l2_save_safetensors(path, 1, (const char *[]){"a\"b"}, ts) == L2_ERR_ARG,
       "quote in a name refused");
    ok(l2_save_safetensors("/nonexistent-dir/x.safetensors", 1, names, ts) == L2_ERR_IO,
       "unwritable path: %s", l2_last_error());
    /* Out of memory at each allocation of a save over a file that exists, with the transposed
     * tensor last so that its copy fails after the temporary file was made: the file keeps its
     * bytes and no temporary file is left. */
    const char *names2[] = {"idx", "w.t"};
    l2_tensor *ts2[] = {b, at};
    FILE *pf = fopen(path, "rb");
    char before[4096], after[4096];
    size_t nb = pf ? fread(before, 1, sizeof before, pf) : 0;
    if (pf)
        fclose(pf);
    int failed = 0, bad = 0, k = 0;
    for (;; k++) {
        l2_debug_fail_alloc_after(k);
        l2_status st = l2_save_safetensors(path, 2, names2, ts2);
        l2_debug_fail_alloc_after(-1);
        if (st == L2_OK)
            break;
        failed++;
        pf = fopen(path, "rb");
        size_t na = pf ? fread(after, 1, sizeof after, pf) : 0;
        if (pf)
            fclose(pf);
        bool left = glob(tmp_path("ok.safetensors.*tmp"), 0, NULL, &g) != GLOB_NOMATCH;
        globfree(&g);
        bad += st != L2_ERR_NOMEM || na != nb || memcmp(before, after, nb) != 0 || left;
    }
    ok(nb > 0 && failed == k && k >= 3 && bad == 0,
       "failed saves (%d allocation sites) keep the file and leave no temporary file", k);
    l2_tensor *all[] = {a, at, b, c, d, e, s};
    for (int i = 0; i < 7; i++)
        l2_tensor_release(all[i]);
}

static void test_malformed(void)
{
    float data[4] = {1, 2, 3, 4};
    struct {
        const char *name, *hdr;
        long long len;
        size_t dn;
    } cases[] = {
        {"empty", "", 0, 0},
        {"len beyond file", "{}      ", 1000, 0},
        {"len huge", "{}      ", 1LL << 40, 0},
        {"bad json", "{\"a\":{\"dtype\":\"F32\",", -1, 16},
        {"unknown dtype", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}",
         -1, 16},
        {"offsets mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", -1,
         16},
        {"offsets beyond data",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", -1, 16},
        {"overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", -1, 16},
        {"duplicate", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", -1, 16},
        {"missing field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", -1, 16},
        {"trailing", "{} x", -1, 0},
        {"negative size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", -1,
         16},
        {"too many dims", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
                          "\"data_offsets\":[0,4]}}", -1, 16},
        {"bad bool", "{\"a\":{\"dtype\":\"BOOL\",\"shape\":[4],\"data_offsets\":[0,4]}}", -1, 4},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *p = write_st("bad.safetensors", cases[k].hdr, cases[k].len, data, cases[k].dn);
        if (k == 0)
            write_file(p, "abc", 3); /* shorter than the length field */
        l2_named_tensors *d = l2_load_safetensors(p);
        ok(!d && l2_last_status() == L2_ERR_FORMAT, "malformed (%s) -> L2_ERR_FORMAT: %s",
           cases[k].name, l2_last_error());
        l2_named_free(d);
    }
    /* A valid file with metadata and a padded header loads. */
    const char *p = write_st("meta.safetensors", "{\"__metadata__\":{\"k\":\"v\",\"n\":[1,2]},"
                             "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}  ",
                             -1, data, 16);
    l2_named_tensors *d = l2_load_safetensors(p);
    double v = 0;
    if (d)
        l2_get(l2_named_tensor(d, 0), (const int64_t[]){1, 0}, &v);
    ok(d && l2_named_count(d) == 1 && v == 3, "metadata skipped, data read: %s", l2_last_error());
    l2_named_free(d);
    ok(!l2_load_safetensors(tmp_path("missing")) && l2_last_status() == L2_ERR_IO, "missing file");
    /* Out of memory at every allocation of a load: an error, never a crash or a leak. */
    int fails = 0, k;
    for (k = 0; k < 30; k++) {
        l2_debug_fail_alloc_after(k);
        l2_named_tensors *x = l2_load_safetensors(tmp_path("ok.safetensors"));
        l2_debug_fail_alloc_after(-1);
        if (x) {
            l2_named_free(x);
            break;
        }
        fails += l2_last_status() == L2_ERR_NOMEM;
    }
    is_int(fails, k, "every injected allocation failure in load reports L2_ERR_NOMEM");
}

static void write_idx(const char *path, bool gz, int type, int ndim, const int *dims,
                      const unsigned char *data, size_t n)
{
    unsigned char hdr[4 + 4 * 8] = {0, 0, (unsigned char)type, (unsigned char)ndim};
    for (int i = 0; i < ndim; i++) {
        hdr[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        hdr[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        hdr[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        hdr[7 + 4 * i] = (unsigned char)dims[i];
    }
    if (gz) {
        gzFile f = gzopen(path, "wb");
        gzwrite(f, hdr, (unsigned)(4 + 4 * ndim));
        gzwrite(f, data, (unsigned)n);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(hdr, 1, (size_t)(4 + 4 * ndim), f);
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static void test_idx(void)
{
    unsigned char px[6] = {0, 51, 102, 153, 204, 255};
    for (int gz = 0; gz < 2; gz++) {
        const char *p = tmp_path(gz ? "img.idx.gz" : "img.idx");
        write_idx(p, gz, 0x08, 3, (const int[]){1, 2, 3}, px, 6);
        l2_tensor *t = l2_load_idx(p, true);
        double v = -1;
        if (t)
            l2_get(t, (const int64_t[]){0, 1, 2}, &v);
        ok(t && l2_ndim(t) == 3 && l2_shape(t)[2] == 3 && l2_dtype_of(t) == L2_FLOAT32,
           "idx u8 (%s) shape and dtype", gz ? "gzip" : "plain");
        is_near(v, 255.0 / 255.0, 1e-7, "idx scaled value");
        l2_tensor_release(t);
        t = l2_load_idx(p, false);
        int64_t iv = -1;
        if (t)
            l2_get_int64(t, (const int64_t[]){0, 1, 0}, &iv);
        is_int(iv, 153, "idx unscaled int64 value");
        l2_tensor_release(t);
        write_idx(p, gz, 0x08, 1, (const int[]){10}, px, 6);
        ok(!l2_load_idx(p, true) && l2_last_status() == L2_ERR_FORMAT, "truncated idx: %s",
           l2_last_error());
        /* A header declaring 2^30 elements over 6 bytes fails before allocating for them. */
        write_idx(p, gz, 0x08, 2, (const int[]){1 << 15, 1 << 15}, px, 6);
        l2_memory_stats ms;
        l2_reset_peak_memory();
        bool failed = !l2_load_idx(p, true) && l2_last_status() == L2_ERR_FORMAT;
        l2_get_memory_stats(&ms);
        ok(failed && ms.peak_bytes < (1 << 24), "a short %s file declaring 2^30 elements fails "
           "with at most %lld bytes allocated: %s", gz ? "gzip" : "plain",
           (long long)ms.peak_bytes, l2_last_error());
        write_idx(p, gz, 0x08, 1, (const int[]){5}, px, 6);
        ok(!l2_load_idx(p, true) && l2_last_status() == L2_ERR_FORMAT, "trailing bytes: %s",
           l2_last_error());
        write_idx(p, gz, 0x07, 1, (const int[]){6}, px, 6);
        ok(!l2_load_idx(p, true) && l2_last_status() == L2_ERR_FORMAT, "bad type: %s",
           l2_last_error());
    }
    ok(!l2_load_idx(tmp_path("none"), true) && l2_last_status() == L2_ERR_IO, "missing idx");
    const char *fm = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (access(fm, R_OK) == 0) {
        l2_tensor *lab = l2_load_idx(fm, false);
        int64_t mn = 99, mx = -1;
        for (int64_t i = 0; lab && i < l2_numel(lab); i++) {
            int64_t y;
            l2_get_int64(lab, &i, &y);
            mn = y < mn ? y : mn;
            mx = y > mx ? y : mx;
        }
        ok(lab && l2_numel(lab) == 10000 && mn == 0 && mx == 9,
           "Fashion-MNIST test labels: 10000 in 0..9");
        l2_tensor_release(lab);
    } else {
        ok(1, "# SKIP Fashion-MNIST not installed");
    }
}

int main(void)
{
    if (!mkdtemp(dir)) {
        printf("1..0 # SKIP cannot create a temporary directory\n");
        return 0;
    }
    test_roundtrip();
    test_malformed();
    test_idx();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", dir);
    return tap_done();
}
