/* hostile-data.c: hostile-input entries for the data loader and the progress reporter (issue 16,
 * area data). */
#include "hostile.h"

#include <stdio.h>
#include <string.h>

/* A loader call that must fail with want (H_ANY: any status) and a message. */
#define FAIL_P(want, e)                                                                            \
    do {                                                                                           \
        l2_clear_error();                                                                          \
        void *r_ = (void *)(e);                                                                    \
        EXPECT(r_ == NULL, "%s succeeded", #e);                                                    \
        EXPECT((want) == H_ANY || l2_last_status() == (l2_status)(want), "%s: status %s", #e,      \
               l2_status_name(l2_last_status()));                                                  \
        h_msg_ok(#e, __LINE__);                                                                    \
    } while (0)

static l2_loader_options opts(int64_t bs, bool shuffle, bool drop_last)
{
    return (l2_loader_options){.batch_size = bs, .shuffle = shuffle, .drop_last = drop_last,
                               .seed = 5};
}

/* Run one epoch (and the start of the next); every batch must have the dataset's trailing
 * shape and at most batch_size rows. */
static void drain(l2_loader *ld, int n, int64_t bs)
{
    l2_tensor *b[4];
    int64_t batches = 0;
    while (l2_loader_next(ld, b)) {
        for (int k = 0; k < n; k++) {
            h_check_valid(b[k], "batch", __LINE__);
            EXPECT(l2_size(b[k], 0) <= bs, "a batch of %lld rows", (long long)l2_size(b[k], 0));
        }
        batches++;
    }
    EXPECT(l2_last_status() == L2_OK, "epoch end with status %s",
           l2_status_name(l2_last_status()));
    EXPECT(batches == l2_loader_len(ld), "%lld batches, len %lld", (long long)batches,
           (long long)l2_loader_len(ld));
}

void h_l2_loader_defaults(void)
{
    CASE("torch's defaults")
    {
        l2_loader_options o = l2_loader_defaults();
        EXPECT(o.batch_size == 1 && !o.shuffle && !o.drop_last, "not torch's defaults");
    }
}

void h_l2_loader_new(void)
{
    CASE("NULL array") FAIL_P(L2_ERR_NULL, l2_loader_new(1, NULL, opts(1, false, false)));
    CASE("NULL tensor")
    FAIL_P(L2_ERR_NULL, l2_loader_new(2, (l2_tensor *const[]){MK(L2_FLOAT32, 2), NULL},
                                      opts(1, false, false)));
    CASE("n 0, -1, 65, INT_MAX")
    {
        l2_tensor *t[1] = {MK(L2_FLOAT32, 2)};
        FAIL_P(L2_ERR_ARG, l2_loader_new(0, t, opts(1, false, false)));
        FAIL_P(L2_ERR_ARG, l2_loader_new(-1, t, opts(1, false, false)));
        l2_tensor *t65[65];
        for (int i = 0; i < 65; i++)
            t65[i] = t[0];
        FAIL_P(L2_ERR_ARG, l2_loader_new(65, t65, opts(1, false, false)));
        /* refused before the array is read */
        FAIL_P(L2_ERR_ARG, l2_loader_new(INT_MAX, t65, opts(1, false, false)));
    }
    CASE("batch_size 0, -1, INT64_MIN")
    {
        l2_tensor *t[1] = {MK(L2_FLOAT32, 2)};
        FAIL_P(L2_ERR_ARG, l2_loader_new(1, t, opts(0, false, false)));
        FAIL_P(L2_ERR_ARG, l2_loader_new(1, t, opts(-1, true, false)));
        FAIL_P(L2_ERR_ARG, l2_loader_new(1, t, opts(INT64_MIN, false, true)));
    }
    CASE("dim 0 mismatch")
    FAIL_P(L2_ERR_SHAPE, l2_loader_new(2, (l2_tensor *const[]){MK(L2_FLOAT32, 2, 3),
                                                             MK(L2_INT64, 3)},
                                       opts(1, false, false)));
    for (int k = 0; k < K_COUNT; k++)
        for (int d = 0; d < L2_DTYPE_COUNT; d++)
            for (int s = 0; s < 3; s++) {
                const int64_t bs[3] = {1, 2, H_BIGSZ};
                CASE("%s %s, batch %lld, shuffle %d", h_kind_name[k], l2_dtype_name(h_dtypes[d]),
                     (long long)bs[s], s & 1)
                {
                    l2_tensor *t[2] = {mk_kind(k, h_dtypes[d]), NULL};
                    if (!t[0])
                        continue;
                    int n = 1;
                    if (l2_ndim(t[0]) >= 1 && k != K_HUGE) {
                        t[1] = l2_arange(0, (double)l2_size(t[0], 0), 1, L2_INT64);
                        n = 2;
                    }
                    l2_clear_error();
                    l2_loader *ld = l2_loader_new(n, t, opts(bs[s], s & 1, s == 2));
                    if (k == K_0D)
                        EXPECT(!ld && l2_last_status() == L2_ERR_DIM, "0-d accepted");
                    if (k == K_HUGE) { /* (2^30, 2^29) expanded: batches of 2 GiB or more */
                        if (!ld)
                            h_msg_ok("l2_loader_new", __LINE__);
                        l2_loader_free(ld);
                        continue;
                    }
                    if (!ld) {
                        h_msg_ok("l2_loader_new", __LINE__);
                        continue;
                    }
                    drain(ld, n, bs[s]);
                    drain(ld, n, bs[s]);
                    l2_loader_free(ld);
                }
            }
    CASE("a released scope tensor stays alive in the loader")
    {
        l2_tensor *t = l2_ones(L2_SHAPE(5, 2), L2_FLOAT64);
        l2_tensor *c = l2_tensor_ref(t);
        l2_loader *ld = l2_loader_new(1, &c, opts(2, true, false));
        l2_tensor_release(c);
        drain(ld, 1, 2);
        l2_loader_free(ld);
    }
}

void h_l2_loader_from_named(void)
{
    CASE("NULL dict") FAIL_P(L2_ERR_NULL, l2_loader_from_named(NULL, 1, NULL, opts(1, 0, 0)));
    CASE("names: NULL entry, missing, n 0, n 65")
    {
        char path[600];
        snprintf(path, sizeof path, "%s/d.safetensors", h_tmpdir());
        l2_save_safetensors(path, 2, (const char *const[]){"x", "y"},
                            (l2_tensor *const[]){MK(L2_FLOAT32, 4, 2), MK(L2_INT64, 4)});
        l2_named_tensors *d = l2_load_safetensors(path);
        if (d) {
            FAIL_P(L2_ERR_NULL,
                   l2_loader_from_named(d, 2, (const char *const[]){"x", NULL}, opts(1, 0, 0)));
            FAIL_P(L2_ERR_ARG,
                   l2_loader_from_named(d, 1, (const char *const[]){"zz"}, opts(1, 0, 0)));
            FAIL_P(L2_ERR_ARG, l2_loader_from_named(d, 0, (const char *const[]){"x"}, opts(1, 0, 0)));
            const char *n65[65];
            for (int i = 0; i < 65; i++)
                n65[i] = "x";
            FAIL_P(L2_ERR_ARG, l2_loader_from_named(d, 65, n65, opts(1, 0, 0)));
            l2_loader *ld = l2_loader_from_named(d, 0, NULL, opts(3, 1, 0));
            l2_named_free(d);
            EXPECT(ld != NULL, "from_named(d, NULL names) failed: %s", l2_last_error());
            if (ld)
                drain(ld, 2, 3);
            l2_loader_free(ld);
        }
    }
}

void h_l2_loader_next(void)
{
    CASE("NULL loader")
    {
        l2_tensor *b[1];
        l2_clear_error();
        EXPECT(!l2_loader_next(NULL, b) && l2_last_status() == L2_ERR_NULL, "NULL loader");
    }
    CASE("NULL batch array")
    {
        l2_tensor *t = MK(L2_FLOAT32, 3);
        l2_loader *ld = l2_loader_new(1, &t, opts(1, 0, 0));
        l2_clear_error();
        EXPECT(!l2_loader_next(ld, NULL) && l2_last_status() == L2_ERR_NULL, "NULL batch");
        EXPECT(l2_loader_epoch(ld) == 0, "the epoch moved");
        l2_loader_free(ld);
    }
}

void h_l2_loader_reset(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_loader_reset(NULL));
}

void h_l2_loader_set_epoch(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_loader_set_epoch(NULL, 0));
    CASE("-1, INT64_MIN")
    {
        l2_tensor *t = MK(L2_FLOAT32, 3);
        l2_loader *ld = l2_loader_new(1, &t, opts(1, 1, 0));
        FAIL_S(L2_ERR_ARG, l2_loader_set_epoch(ld, -1));
        FAIL_S(L2_ERR_ARG, l2_loader_set_epoch(ld, INT64_MIN));
        EXPECT(l2_loader_epoch(ld) == 0, "the epoch moved");
        l2_loader_free(ld);
    }
}

void h_l2_loader_epoch(void)
{
    CASE("NULL") EXPECT(l2_loader_epoch(NULL) == -1, "not -1");
}

void h_l2_loader_len(void)
{
    CASE("NULL") EXPECT(l2_loader_len(NULL) == -1, "not -1");
}

void h_l2_loader_size(void)
{
    CASE("NULL") EXPECT(l2_loader_size(NULL) == -1, "not -1");
}

void h_l2_loader_free(void)
{
    CASE("NULL") l2_loader_free(NULL);
}

void h_l2_progress_new(void)
{
    CASE("NULL out") FAIL_P(L2_ERR_NULL, l2_progress_new(NULL, "x", 1, 1, false));
    CASE("total -1, INT64_MIN")
    {
        FAIL_P(L2_ERR_ARG, l2_progress_new(stderr, "x", -1, 1, false));
        FAIL_P(L2_ERR_ARG, l2_progress_new(stderr, "x", INT64_MIN, 1, false));
    }
    CASE("NULL label, a 2000-byte label, every INT64_MIN")
    {
        char big[2000];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        FILE *f = fopen("/dev/null", "w");
        l2_progress_free(l2_progress_new(f, NULL, 3, INT64_MIN, true));
        l2_progress *p = l2_progress_new(f, big, INT64_MAX, INT64_MAX, false);
        OK_S(l2_progress_update(p, INT64_MAX, big));
        OK_S(l2_progress_finish(p, big));
        l2_progress_free(p);
        fclose(f);
    }
}

void h_l2_progress_update(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_progress_update(NULL, 1, NULL));
    CASE("done -1, beyond total")
    {
        FILE *f = fopen("/dev/null", "w");
        l2_progress *p = l2_progress_new(f, "x", 3, 1, true);
        FAIL_S(L2_ERR_ARG, l2_progress_update(p, -1, NULL));
        FAIL_S(L2_ERR_ARG, l2_progress_update(p, 4, NULL));
        FAIL_S(L2_ERR_ARG, l2_progress_update(p, INT64_MIN, NULL));
        l2_progress_free(p);
        fclose(f);
    }
}

void h_l2_progress_finish(void)
{
    CASE("NULL") FAIL_S(L2_ERR_NULL, l2_progress_finish(NULL, NULL));
}

void h_l2_progress_free(void)
{
    CASE("NULL") l2_progress_free(NULL);
}
