/* print.c: l2_to_string / l2_print in PyTorch's format: one formatter per tensor (integer mode,
 * fixed 4 decimals, or scientific, chosen from the values shown), right-aligned columns, rows
 * wrapped at 80 columns, and summarisation with "..." beyond 1000 elements (3 edge items). */
#include "autograd-impl.h"

#include <math.h>
#include <stdio.h>

#define EDGE 3
#define THRESHOLD 1000
#define LINEWIDTH 80

typedef struct {
    char *buf;
    size_t n, cap;
    bool oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *nb = l2__realloc(b->buf, cap, "to_string");
        if (!nb) {
            b->oom = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->n, s, len);
    b->n += len;
    b->buf[b->n] = '\0';
}
static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }
static void pad(sbuf *b, int n)
{
    for (int i = 0; i < n; i++)
        put(b, " ", 1);
}

typedef enum { FMT_INT, FMT_FIXED, FMT_SCI } fmt_mode;
typedef struct {
    l2_dtype dt;
    fmt_mode mode;
    int width;
} formatter;

static int format_value(const formatter *f, double v, char *out, size_t cap)
{
    if (f->dt == L2_BOOL)
        return snprintf(out, cap, "%s", v != 0 ? "True" : "False");
    if (f->dt == L2_INT64)
        return snprintf(out, cap, "%.0f", v);
    if (isnan(v))
        return snprintf(out, cap, "nan");
    if (isinf(v))
        return snprintf(out, cap, v > 0 ? "inf" : "-inf");
    switch (f->mode) {
    case FMT_INT: return snprintf(out, cap, "%.0f.", v);
    case FMT_FIXED: return snprintf(out, cap, "%.4f", v);
    default: return snprintf(out, cap, "%.4e", v);
    }
}

/* Is index i of a dim of size n shown (summarised tensors show EDGE items at each end)? */
static bool shown(bool summarize, int64_t n, int64_t i)
{
    return !summarize || n <= 2 * EDGE || i < EDGE || i >= n - EDGE;
}

/* Visit every shown element (row-major) calling fn(value). */
static void visit(const l2_tensor *t, bool summarize, void (*fn)(double, void *), void *ctx)
{
    int64_t n = l2__numel(t->ndim, t->shape);
    if (n == 0)
        return;
    int64_t idx[L2_MAX_DIMS] = {0};
    for (;;) {
        bool ok = true;
        for (int d = 0; d < t->ndim && ok; d++)
            ok = shown(summarize, t->shape[d], idx[d]);
        if (ok)
            fn(l2__load(l2__elem_ptr(t, idx), t->dtype), ctx);
        int d = t->ndim - 1;
        for (; d >= 0; d--) {
            /* skip the hidden middle of a summarised dim: O(shown elements), not O(numel) */
            if (++idx[d] == EDGE && !shown(summarize, t->shape[d], idx[d]))
                idx[d] = t->shape[d] - EDGE;
            if (idx[d] < t->shape[d])
                break;
            idx[d] = 0;
        }
        if (d < 0)
            break;
    }
}

typedef struct {
    bool all_int;
    bool any_finite;
    double max_abs, min_abs; /* over finite nonzero values */
} stats;

static void collect(double v, void *ctx)
{
    stats *s = ctx;
    if (!isfinite(v))
        return;
    s->any_finite = true;
    if (v != floor(v))
        s->all_int = false;
    double a = fabs(v);
    if (a != 0) {
        if (a > s->max_abs)
            s->max_abs = a;
        if (a < s->min_abs)
            s->min_abs = a;
    }
}

typedef struct {
    formatter *f;
} width_ctx;

static void measure(double v, void *ctx)
{
    formatter *f = ctx;
    char tmp[64];
    int w = format_value(f, v, tmp, sizeof tmp);
    if (w > f->width)
        f->width = w;
}

static void make_formatter(const l2_tensor *t, bool summarize, formatter *f)
{
    f->dt = t->dtype;
    f->mode = FMT_FIXED;
    f->width = 1;
    if (l2__is_float(t->dtype) || l2__is_half(t->dtype)) { /* half: its float32 values, as torch */
        stats s = {true, false, 0, INFINITY};
        visit(t, summarize, collect, &s);
        bool wide = s.max_abs > 0 && (s.max_abs / s.min_abs > 1000 || s.max_abs > 1e8);
        if (s.all_int)
            f->mode = wide ? FMT_SCI : FMT_INT;
        else if (wide || (s.max_abs > 0 && s.min_abs < 1e-4))
            f->mode = FMT_SCI;
    }
    visit(t, summarize, measure, f);
}

/* Print dims from d inward at element offset idx (prefix already set). */
static void print_dim(sbuf *b, const l2_tensor *t, const formatter *f, bool summarize, int d,
                      int64_t *idx, int indent)
{
    char tmp[64];
    if (d == t->ndim) {
        int w = format_value(f, l2__load(l2__elem_ptr(t, idx), t->dtype), tmp, sizeof tmp);
        pad(b, f->width - w);
        puts_(b, tmp);
        return;
    }
    int64_t n = t->shape[d];
    puts_(b, "[");
    int per_line = (LINEWIDTH - indent) / (f->width + 2);
    if (per_line < 1)
        per_line = 1;
    int on_line = 0;
    bool first = true;
    for (int64_t i = 0; i < n; i++) {
        bool ellipsis = !shown(summarize, n, i);
        if (ellipsis && i != EDGE)
            continue;
        if (ellipsis)
            i = n - EDGE - 1; /* one " ..." for the hidden middle, then the last EDGE */
        if (!first) {
            if (d == t->ndim - 1) {
                /* torch groups the items of a row, " ..." included, per_line to a line */
                if (on_line == per_line) {
                    puts_(b, ",\n");
                    pad(b, indent + 1);
                    on_line = 0;
                } else {
                    puts_(b, ", ");
                }
            } else {
                puts_(b, ",");
                for (int k = 0; k < t->ndim - d - 1; k++)
                    puts_(b, "\n");
                pad(b, indent + 1);
            }
        }
        first = false;
        on_line++;
        if (ellipsis) {
            puts_(b, d == t->ndim - 1 ? " ..." : "...");
            continue;
        }
        idx[d] = i;
        print_dim(b, t, f, summarize, d + 1, idx, indent + 1);
    }
    idx[d] = 0;
    puts_(b, "]");
}

static char *half_to_string(const l2_tensor *t)
{
    L2__CHECK_T(t, NULL, "to_string");
    sbuf b = {0};
    int64_t n = l2__numel(t->ndim, t->shape);
    bool summarize = n > THRESHOLD;
    puts_(&b, "tensor(");
    if (n == 0) {
        puts_(&b, "[]");
        if (t->ndim != 1) {
            puts_(&b, ", size=(");
            char tmp[32];
            for (int i = 0; i < t->ndim; i++) {
                snprintf(tmp, sizeof tmp, i ? ", %lld" : "%lld", (long long)t->shape[i]);
                puts_(&b, tmp);
            }
            puts_(&b, t->ndim == 1 ? ",)" : ")");
        }
    } else {
        formatter f;
        make_formatter(t, summarize, &f);
        int64_t idx[L2_MAX_DIMS] = {0};
        print_dim(&b, t, &f, summarize, 0, idx, 7);
    }
    if (t->dtype == L2_FLOAT64 || l2__is_half(t->dtype) || (n == 0 && t->dtype != L2_FLOAT32)) {
        puts_(&b, ", dtype=torch.");
        puts_(&b, l2_dtype_name(t->dtype));
    }
    if (t->grad_fn) {
        puts_(&b, ", grad_fn=<");
        puts_(&b, l2__op_names[t->grad_fn->op]);
        puts_(&b, ">");
    } else if (t->requires_grad) {
        puts_(&b, ", requires_grad=True");
    }
    puts_(&b, ")");
    if (b.oom) {
        l2__free(b.buf);
        return NULL;
    }
    return b.buf;
}

/* issue 16: l2_to_string accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
char *l2_to_string(const l2_tensor *t)
{
    l2__half_ok++;
    char *r = half_to_string(t);
    l2__half_ok--;
    return r;
}

static l2_status half_print(const l2_tensor *t)
{
    char *s = l2_to_string(t);
    if (!s)
        return l2_last_status();
    puts(s);
    l2__free(s);
    return L2_OK;
}

/* issue 16: l2_print accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_status l2_print(const l2_tensor *t)
{
    l2__half_ok++;
    l2_status r = half_print(t);
    l2__half_ok--;
    return r;
}
