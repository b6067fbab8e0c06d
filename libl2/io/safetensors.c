/* safetensors.c: saving and loading named tensors in the safetensors format, with a small strict
 * JSON reader for the header. Loading validates everything before it allocates tensors: header
 * length, JSON syntax, dtypes, shapes, data offsets (in range, matching the shape, not
 * overlapping). Saving writes a temporary file beside path and renames it. Only little-endian
 * hosts (configure). */
#include "../l2-impl.h"
#include "../nn/state-impl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_HEADER (100u << 20)
#define MAX_NAME 1024

struct l2_named_tensors {
    int n;
    char **names;
    l2_tensor **tensors;
    int cap;                  /* of names/tensors when built by l2_named_add (0: exactly n) */
    int nmeta;                /* the "__metadata__" map (string -> string), in file order */
    char **meta_keys, **meta_values;
};

int l2_named_count(const l2_named_tensors *d)
{
    L2__CHECK(d, 0, L2_ERR_NULL, "named_count: dictionary is NULL");
    return d->n;
}

const char *l2_named_name(const l2_named_tensors *d, int i)
{
    L2__CHECK(d, NULL, L2_ERR_NULL, "named_name: dictionary is NULL");
    L2__CHECK(i >= 0 && i < d->n, NULL, L2_ERR_INDEX, "named_name: index %d out of range (%d)", i,
              d->n);
    return d->names[i];
}

l2_tensor *l2_named_tensor(const l2_named_tensors *d, int i)
{
    L2__CHECK(d, NULL, L2_ERR_NULL, "named_tensor: dictionary is NULL");
    L2__CHECK(i >= 0 && i < d->n, NULL, L2_ERR_INDEX, "named_tensor: index %d out of range (%d)",
              i, d->n);
    return d->tensors[i];
}

l2_tensor *l2_named_get(const l2_named_tensors *d, const char *name)
{
    L2__CHECK(d && name, NULL, L2_ERR_NULL, "named_get: dictionary or name is NULL");
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->names[i], name) == 0)
            return d->tensors[i];
    return l2__fail(L2_ERR_ARG, "named_get: no tensor named '%s'", name), NULL;
}

void l2_named_free(l2_named_tensors *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n; i++) {
        l2__free(d->names[i]);
        l2_tensor_release(d->tensors[i]);
    }
    for (int i = 0; i < d->nmeta; i++) {
        l2__free(d->meta_keys[i]);
        l2__free(d->meta_values[i]);
    }
    l2__free(d->meta_keys);
    l2__free(d->meta_values);
    l2__free(d->names);
    l2__free(d->tensors);
    l2__free(d);
}

static bool valid_name(const char *s);

static char *dup_str(const char *s, const char *op)
{
    size_t len = strlen(s) + 1;
    char *c = l2__malloc(len, op);
    if (c)
        memcpy(c, s, len);
    return c;
}

l2_named_tensors *l2_named_new(void) { return l2__calloc(sizeof(l2_named_tensors), "named_new"); }

l2_status l2__named_add_impl(const char *op, l2_named_tensors *d, const char *name, l2_tensor *t)
{
    L2__CHECK_ST(d && name && t, L2_ERR_NULL, "%s: NULL argument", op);
    L2__CHECK_ST(valid_name(name), L2_ERR_ARG, "%s: invalid tensor name '%s'", op, name);
    for (int i = 0; i < d->n; i++)
        L2__CHECK_ST(strcmp(d->names[i], name) != 0, L2_ERR_ARG, "%s: duplicate name '%s'", op,
                     name);
    L2__CHECK_ST(d->n < INT_MAX / 2, L2_ERR_OVERFLOW, "%s: too many entries", op);
    if (d->n >= d->cap) {
        int cap = d->n < 8 ? 16 : 2 * d->n;
        char **nn = l2__realloc(d->names, sizeof *nn * (size_t)cap, op);
        if (!nn)
            return L2_ERR_NOMEM;
        d->names = nn;
        l2_tensor **nt = l2__realloc(d->tensors, sizeof *nt * (size_t)cap, op);
        if (!nt)
            return L2_ERR_NOMEM;
        d->tensors = nt;
        d->cap = cap;
    }
    char *c = dup_str(name, op);
    if (!c)
        return L2_ERR_NOMEM;
    d->names[d->n] = c;
    d->tensors[d->n] = l2_tensor_ref(t);
    d->n++;
    return L2_OK;
}

l2_status l2_named_add(l2_named_tensors *d, const char *name, l2_tensor *t)
{
    return l2__named_add_impl("named_add", d, name, t);
}

l2_tensor *l2__named_find(const l2_named_tensors *d, const char *prefix, const char *name)
{
    size_t pl = strlen(prefix);
    for (int i = 0; i < d->n; i++)
        if (strncmp(d->names[i], prefix, pl) == 0 && strcmp(d->names[i] + pl, name) == 0)
            return d->tensors[i];
    return NULL;
}

l2_status l2_named_set_metadata(l2_named_tensors *d, const char *key, const char *value)
{
    const char *op = "named_set_metadata";
    L2__CHECK_ST(d && key && value, L2_ERR_NULL, "%s: NULL argument", op);
    L2__CHECK_ST(valid_name(key) && (!value[0] || valid_name(value)), L2_ERR_ARG,
                 "%s: key and value must be at most 1024 bytes without control characters, "
                 "'\"' or '\\' (and the key non-empty)", op);
    for (int i = 0; i < d->nmeta; i++)
        if (strcmp(d->meta_keys[i], key) == 0) {
            char *v = dup_str(value, op);
            if (!v)
                return L2_ERR_NOMEM;
            l2__free(d->meta_values[i]);
            d->meta_values[i] = v;
            return L2_OK;
        }
    L2__CHECK_ST(d->nmeta < 4096, L2_ERR_ARG, "%s: more than 4096 metadata entries", op);
    char **nk = l2__realloc(d->meta_keys, sizeof *nk * (size_t)(d->nmeta + 1), op);
    if (!nk)
        return L2_ERR_NOMEM;
    d->meta_keys = nk;
    char **nv = l2__realloc(d->meta_values, sizeof *nv * (size_t)(d->nmeta + 1), op);
    if (!nv)
        return L2_ERR_NOMEM;
    d->meta_values = nv;
    char *k = dup_str(key, op), *v = dup_str(value, op);
    if (!k || !v) {
        l2__free(k);
        l2__free(v);
        return L2_ERR_NOMEM;
    }
    d->meta_keys[d->nmeta] = k;
    d->meta_values[d->nmeta] = v;
    d->nmeta++;
    return L2_OK;
}

const char *l2_named_metadata(const l2_named_tensors *d, const char *key)
{
    L2__CHECK(d && key, NULL, L2_ERR_NULL, "named_metadata: dictionary or key is NULL");
    for (int i = 0; i < d->nmeta; i++)
        if (strcmp(d->meta_keys[i], key) == 0)
            return d->meta_values[i];
    return NULL;
}

int l2_named_metadata_count(const l2_named_tensors *d)
{
    L2__CHECK(d, 0, L2_ERR_NULL, "named_metadata_count: dictionary is NULL");
    return d->nmeta;
}

const char *l2_named_metadata_key(const l2_named_tensors *d, int i)
{
    L2__CHECK(d, NULL, L2_ERR_NULL, "named_metadata_key: dictionary is NULL");
    L2__CHECK(i >= 0 && i < d->nmeta, NULL, L2_ERR_INDEX,
              "named_metadata_key: index %d out of range (%d)", i, d->nmeta);
    return d->meta_keys[i];
}

static const char *dtype_tag(l2_dtype dt)
{
    static const char *const tags[] = {"F32", "F64", "I64", "BOOL", "BF16", "F16"};
    return tags[dt];
}

/* ---- saving ------------------------------------------------------------------------------ */

static bool valid_name(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || s[n] == '"' || s[n] == '\\')
            return false;
    return n > 0 && n <= MAX_NAME;
}

static l2_status save_impl(const char *op, const char *path, int n, const char *const *names,
                           l2_tensor *const *tensors, int nmeta, char *const *mkeys,
                           char *const *mvals);

static l2_status half_save_safetensors(const char *path, int n, const char *const *names,
                              l2_tensor *const *tensors)
{
    return save_impl("save_safetensors", path, n, names, tensors, 0, NULL, NULL);
}

l2_status l2_save_named(const char *path, const l2_named_tensors *d)
{
    L2__CHECK_ST(d, L2_ERR_NULL, "save_named: dictionary is NULL");
    l2__half_ok++; /* bfloat16 / float16 tensors are saved as l2_save_safetensors saves them */
    l2_status r = save_impl("save_named", path, d->n, (const char *const *)d->names, d->tensors,
                            d->nmeta, d->meta_keys, d->meta_values);
    l2__half_ok--;
    return r;
}

static l2_status save_impl(const char *op, const char *path, int n, const char *const *names,
                           l2_tensor *const *tensors, int nmeta, char *const *mkeys,
                           char *const *mvals)
{
    L2__CHECK_ST(path && (n == 0 || (names && tensors)), L2_ERR_NULL, "%s: NULL argument", op);
    L2__CHECK_ST(n >= 0, L2_ERR_ARG, "%s: negative count %d", op, n);
    for (int i = 0; i < n; i++) {
        L2__CHECK_ST(names[i] && tensors[i], L2_ERR_NULL, "%s: entry %d is NULL", op, i);
        L2__CHECK_ST(valid_name(names[i]), L2_ERR_ARG, "%s: invalid tensor name at entry %d", op,
                     i);
        for (int j = 0; j < i; j++)
            L2__CHECK_ST(strcmp(names[i], names[j]) != 0, L2_ERR_ARG,
                         "%s: duplicate tensor name '%s'", op, names[i]);
    }
    /* Metadata read from a file may hold characters this writer does not escape. */
    for (int i = 0; i < nmeta; i++)
        L2__CHECK_ST(valid_name(mkeys[i]) && (!mvals[i][0] || valid_name(mvals[i])), L2_ERR_ARG,
                     "%s: metadata entry %d holds a control character, '\"' or '\\' (or is "
                     "over 1024 bytes)", op, i);
    /* The header, built in memory first. */
    size_t cap = 64 + (size_t)n * (MAX_NAME + 64 + 24 * L2_MAX_DIMS) +
                 (size_t)nmeta * (2 * MAX_NAME + 8);
    char *hdr = l2__malloc(cap, op);
    if (!hdr)
        return L2_ERR_NOMEM;
    size_t len = 0;
    uint64_t off = 0;
    len += (size_t)snprintf(hdr + len, cap - len, "{");
    if (nmeta) { /* issue 16: the metadata map first, as the safetensors writers do */
        len += (size_t)snprintf(hdr + len, cap - len, "\"__metadata__\":{");
        for (int i = 0; i < nmeta; i++)
            len += (size_t)snprintf(hdr + len, cap - len, "%s\"%s\":\"%s\"", i ? "," : "",
                                    mkeys[i], mvals[i]);
        len += (size_t)snprintf(hdr + len, cap - len, n ? "}," : "}");
    }
    for (int i = 0; i < n; i++) {
        const l2_tensor *t = tensors[i];
        uint64_t bytes = (uint64_t)l2__numel(t->ndim, t->shape) * l2__esize(t->dtype);
        len += (size_t)snprintf(hdr + len, cap - len, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                                i ? "," : "", names[i], dtype_tag(t->dtype));
        for (int d = 0; d < t->ndim; d++)
            len += (size_t)snprintf(hdr + len, cap - len, d ? ",%lld" : "%lld",
                                    (long long)t->shape[d]);
        len += (size_t)snprintf(hdr + len, cap - len, "],\"data_offsets\":[%llu,%llu]}",
                                (unsigned long long)off, (unsigned long long)(off + bytes));
        off += bytes;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    while (len % 8)
        hdr[len++] = ' ';

    /* A temporary name no other save (thread or process) uses: path.<pid>-<count>.tmp, created
     * exclusively (O_EXCL) with the usual permissions (0666 less the umask). */
    static atomic_ulong tmp_count;
    size_t tlen = strlen(path) + 48;
    char *tmp = l2__malloc(tlen, op);
    if (!tmp) {
        l2__free(hdr);
        return L2_ERR_NOMEM;
    }
    l2_status st = L2_OK;
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf(tmp, tlen, "%s.%ld-%lu.tmp", path, (long)getpid(),
                 (unsigned long)atomic_fetch_add(&tmp_count, 1));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        st = l2__fail(L2_ERR_IO, "%s: cannot create '%s': %s", op, tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            remove(tmp);
        }
        goto out;
    }
    uint64_t hl = len;
    unsigned char le[8];
    for (int k = 0; k < 8; k++)
        le[k] = (unsigned char)(hl >> (8 * k));
    bool good = fwrite(le, 1, 8, f) == 8 && fwrite(hdr, 1, len, f) == len;
    for (int i = 0; i < n && good; i++) {
        /* Contiguous tensors are written directly, others through a contiguous copy. */
        const l2_tensor *t = tensors[i];
        size_t bytes = (size_t)l2__numel(t->ndim, t->shape) * l2__esize(t->dtype);
        l2_tensor *c = NULL;
        if (!l2__is_contiguous(t)) {
            c = l2__new(op, t->ndim, t->shape, t->dtype, false);
            if (!c) {
                st = L2_ERR_NOMEM;
                good = false;
                break;
            }
            l2__copy_kernel(c, t);
            t = c;
        }
        good = bytes == 0 || fwrite(l2__data(t), 1, bytes, f) == bytes;
        l2_tensor_release(c);
    }
    if (fclose(f) != 0)
        good = false;
    if (!good || rename(tmp, path) != 0) {
        if (st == L2_OK)
            st = l2__fail(L2_ERR_IO, "%s: cannot write '%s': %s", op, path, strerror(errno));
        remove(tmp);
    }
out:
    l2__free(tmp);
    l2__free(hdr);
    return st;
}

/* issue 16: l2_save_safetensors accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_status l2_save_safetensors(const char *path, int n, const char *const *names, l2_tensor *const *tensors)
{
    l2__half_ok++;
    l2_status r = half_save_safetensors(path, n, names, tensors);
    l2__half_ok--;
    return r;
}

/* ---- a strict JSON reader for the header ------------------------------------------------- */

typedef struct {
    const char *p, *end;
    const char *err;
} json;

static void skip_ws(json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool expect(json *j, char c)
{
    skip_ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return true;
    }
    if (!j->err)
        j->err = "unexpected character";
    return false;
}

static bool peek(json *j, char c)
{
    skip_ws(j);
    return j->p < j->end && *j->p == c;
}

/* A string into out (at most cap-1 bytes, NUL-terminated); escapes other than \" \\ \/ are
 * refused (names never need them). */
static bool parse_string(json *j, char *out, size_t cap)
{
    if (!expect(j, '"'))
        return false;
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if ((unsigned char)c < 0x20) {
            j->err = "control character in string";
            return false;
        }
        if (c == '\\') {
            if (j->p >= j->end || (*j->p != '"' && *j->p != '\\' && *j->p != '/')) {
                j->err = "unsupported escape in string";
                return false;
            }
            c = *j->p++;
        }
        if (n + 1 >= cap) {
            j->err = "string too long";
            return false;
        }
        out[n++] = c;
    }
    if (!expect(j, '"'))
        return false;
    out[n] = '\0';
    return true;
}

static bool parse_uint(json *j, uint64_t *v)
{
    skip_ws(j);
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') {
        j->err = "expected a non-negative integer";
        return false;
    }
    uint64_t x = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        if (x > (UINT64_MAX - 9) / 10) {
            j->err = "integer too large";
            return false;
        }
        x = x * 10 + (uint64_t)(*j->p++ - '0');
    }
    *v = x;
    return true;
}

/* Skip any JSON value (for __metadata__), with a nesting limit. */
static bool skip_value(json *j, int depth)
{
    skip_ws(j);
    if (depth > 16 || j->p >= j->end) {
        j->err = "value nested too deep or truncated";
        return false;
    }
    char c = *j->p;
    if (c == '"') {
        char buf[4096];
        return parse_string(j, buf, sizeof buf);
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        if (peek(j, close)) {
            j->p++;
            return true;
        }
        for (;;) {
            if (c == '{') {
                char key[4096];
                if (!parse_string(j, key, sizeof key) || !expect(j, ':'))
                    return false;
            }
            if (!skip_value(j, depth + 1))
                return false;
            if (peek(j, ','))
                j->p++;
            else
                return expect(j, close);
        }
    }
    while (j->p < j->end && (isalnum((unsigned char)*j->p) || *j->p == '-' || *j->p == '+' ||
                             *j->p == '.'))
        j->p++;
    return true;
}

static void free_meta(char **k, char **v, int n)
{
    for (int i = 0; i < n; i++) {
        l2__free(k[i]);
        l2__free(v[i]);
    }
    l2__free(k);
    l2__free(v);
}

/* The metadata map {"key": "value", ...} (issue 16). On failure nothing is kept (*n = 0) and
 * j->err says why (NULL: out of memory). */
static bool parse_meta(json *j, char ***keys, char ***vals, int *n, const char *op)
{
    char **k = NULL, **v = NULL;
    int m = 0;
    if (!expect(j, '{'))
        return false;
    if (peek(j, '}')) {
        j->p++;
        return true;
    }
    for (;;) {
        char key[MAX_NAME + 1], val[MAX_NAME + 1];
        if (!parse_string(j, key, sizeof key) || !expect(j, ':') ||
            !parse_string(j, val, sizeof val))
            goto fail;
        if (m == 4096) {
            j->err = "more than 4096 metadata entries";
            goto fail;
        }
        char **nk = l2__realloc(k, sizeof *nk * (size_t)(m + 1), op);
        if (!nk)
            goto fail;
        k = nk;
        char **nv = l2__realloc(v, sizeof *nv * (size_t)(m + 1), op);
        if (!nv)
            goto fail;
        v = nv;
        k[m] = dup_str(key, op);
        v[m] = dup_str(val, op);
        m++;
        if (!k[m - 1] || !v[m - 1])
            goto fail;
        if (peek(j, ','))
            j->p++;
        else if (!expect(j, '}'))
            goto fail;
        else
            break;
    }
    *keys = k;
    *vals = v;
    *n = m;
    return true;
fail:
    free_meta(k, v, m);
    return false;
}

typedef struct {
    char name[MAX_NAME + 1];
    l2_dtype dt;
    int ndim;
    int64_t shape[L2_MAX_DIMS];
    uint64_t begin, end;
    int fsize;      /* bytes per element in the file: l2__esize(dt), or the narrow integer's */
    bool fsigned;   /* a narrow integer (I32, I16, I8; U8 unsigned) widened to int64 */
    char bad[16];   /* a dtype tag libl2 does not read (the entry is then refused) */
} entry;

/* The narrow integer tags, read as int64 (issue 16). */
static const struct {
    const char *tag;
    int size;
    bool sgn;
} narrow_tags[] = {{"I32", 4, true}, {"I16", 2, true}, {"I8", 1, true}, {"U8", 1, false}};

/* One tensor description: {"dtype": ..., "shape": [...], "data_offsets": [b, e]}. */
static bool parse_entry(json *j, entry *e)
{
    bool has_dt = false, has_shape = false, has_off = false;
    if (!expect(j, '{'))
        return false;
    for (;;) {
        char key[32];
        if (!parse_string(j, key, sizeof key) || !expect(j, ':'))
            return false;
        if (!strcmp(key, "dtype")) {
            char tag[16];
            if (!parse_string(j, tag, sizeof tag))
                return false;
            int k;
            for (k = 0; k < L2_DTYPE_COUNT && strcmp(tag, dtype_tag((l2_dtype)k)); k++)
                ;
            e->fsigned = false;
            if (k < L2_DTYPE_COUNT) {
                e->dt = (l2_dtype)k;
                e->fsize = (int)l2__esize(e->dt);
            } else {
                size_t m = 0, nn = sizeof narrow_tags / sizeof narrow_tags[0];
                while (m < nn && strcmp(tag, narrow_tags[m].tag))
                    m++;
                if (m == nn) { /* a valid header naming a dtype libl2 does not read */
                    snprintf(e->bad, sizeof e->bad, "%s", tag);
                    return false;
                }
                e->dt = L2_INT64;
                e->fsize = narrow_tags[m].size;
                e->fsigned = narrow_tags[m].sgn;
            }
            has_dt = true;
        } else if (!strcmp(key, "shape")) {
            if (!expect(j, '['))
                return false;
            e->ndim = 0;
            if (peek(j, ']'))
                j->p++;
            else
                for (;;) {
                    uint64_t v;
                    if (e->ndim == L2_MAX_DIMS) {
                        j->err = "too many dims";
                        return false;
                    }
                    if (!parse_uint(j, &v))
                        return false;
                    if (v > (uint64_t)INT64_MAX) {
                        j->err = "size too large";
                        return false;
                    }
                    e->shape[e->ndim++] = (int64_t)v;
                    if (peek(j, ','))
                        j->p++;
                    else if (!expect(j, ']'))
                        return false;
                    else
                        break;
                }
            has_shape = true;
        } else if (!strcmp(key, "data_offsets")) {
            if (!expect(j, '[') || !parse_uint(j, &e->begin) || !expect(j, ',') ||
                !parse_uint(j, &e->end) || !expect(j, ']'))
                return false;
            has_off = true;
        } else if (!skip_value(j, 1)) {
            return false;
        }
        if (peek(j, ','))
            j->p++;
        else if (!expect(j, '}'))
            return false;
        else
            break;
    }
    if (!has_dt || !has_shape || !has_off) {
        j->err = "a tensor entry lacks dtype, shape or data_offsets";
        return false;
    }
    return true;
}

/* ---- loading ----------------------------------------------------------------------------- */

static int cmp_begin(const void *a, const void *b)
{
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static l2_named_tensors *half_load_safetensors(const char *path)
{
    const char *op = "load_safetensors";
    L2__CHECK(path, NULL, L2_ERR_NULL, "%s: path is NULL", op);
    FILE *f = fopen(path, "rb");
    L2__CHECK(f, NULL, L2_ERR_IO, "%s: cannot open '%s': %s", op, path, strerror(errno));
    char *hdr = NULL;
    entry *ents = NULL;
    entry **order = NULL;
    l2_named_tensors *d = NULL;
    int n = 0, cap = 0, nm = 0;
    char **mk = NULL, **mv = NULL;
    bool seen_meta = false;
    unsigned char le[8];
    long fsize = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        fsize = ftell(f);
    rewind(f);
    if (fsize < 8 || fread(le, 1, 8, f) != 8) {
        l2__fail(L2_ERR_FORMAT, "%s: '%s' is too short for a safetensors file", op, path);
        goto fail;
    }
    uint64_t hl = 0;
    for (int k = 0; k < 8; k++)
        hl |= (uint64_t)le[k] << (8 * k);
    if (hl > MAX_HEADER || hl > (uint64_t)fsize - 8) {
        l2__fail(L2_ERR_FORMAT, "%s: '%s': header length %llu exceeds the file (%ld bytes) or "
                 "the 100 MB limit", op, path, (unsigned long long)hl, fsize);
        goto fail;
    }
    uint64_t data_len = (uint64_t)fsize - 8 - hl;
    hdr = l2__malloc(hl + 1, op);
    if (!hdr)
        goto fail;
    if (fread(hdr, 1, hl, f) != hl) {
        l2__fail(L2_ERR_FORMAT, "%s: '%s': truncated header", op, path);
        goto fail;
    }
    json j = {hdr, hdr + hl, NULL};
    if (!expect(&j, '{'))
        goto bad_json;
    if (peek(&j, '}')) {
        j.p++;
    } else {
        for (;;) {
            char name[MAX_NAME + 1];
            if (!parse_string(&j, name, sizeof name) || !expect(&j, ':'))
                goto bad_json;
            if (!strcmp(name, "__metadata__")) {
                /* Kept when it is the format's string -> string map; any other value is
                 * skipped (other writers' files still load). Twice is malformed, as a tensor
                 * name twice is. */
                if (seen_meta) {
                    j.err = "duplicate key '__metadata__'";
                    goto bad_json;
                }
                seen_meta = true;
                const char *at = j.p;
                if (!parse_meta(&j, &mk, &mv, &nm, op)) {
                    if (!j.err) /* out of memory */
                        goto fail;
                    j.p = at;
                    j.err = NULL;
                    if (!skip_value(&j, 1))
                        goto bad_json;
                }
            } else {
                if (n == cap) {
                    cap = cap ? 2 * cap : 16;
                    entry *ne = l2__realloc(ents, (size_t)cap * sizeof *ne, op);
                    if (!ne)
                        goto fail;
                    ents = ne;
                }
                memcpy(ents[n].name, name, sizeof name);
                ents[n].bad[0] = 0;
                if (!parse_entry(&j, &ents[n])) {
                    if (!ents[n].bad[0])
                        goto bad_json;
                    l2__fail(L2_ERR_FORMAT, "%s: '%s': tensor '%s' has dtype %s, which libl2 "
                             "does not read (F32, F64, I64, BOOL, BF16, F16; I32, I16, I8 and U8 "
                             "load as int64)", op, path, name, ents[n].bad);
                    goto fail;
                }
                for (int k = 0; k < n; k++)
                    if (!strcmp(ents[k].name, name)) {
                        l2__fail(L2_ERR_FORMAT, "%s: '%s': duplicate tensor name '%s'", op, path,
                                 name);
                        goto fail;
                    }
                n++;
            }
            if (peek(&j, ','))
                j.p++;
            else if (!expect(&j, '}'))
                goto bad_json;
            else
                break;
        }
    }
    skip_ws(&j);
    if (j.p != j.end) {
        j.err = "trailing characters after the header object";
        goto bad_json;
    }
    /* Validate sizes and offsets: each range matches its shape, lies in the data, and the ranges
     * do not overlap. */
    order = l2__malloc(sizeof *order * (size_t)(n ? n : 1), op);
    if (!order)
        goto fail;
    for (int i = 0; i < n; i++) {
        entry *e = &ents[i];
        int64_t numel;
        if (!l2__check_shape(op, e->ndim, e->shape, e->dt, &numel)) {
            l2__fail(L2_ERR_FORMAT, "%s: '%s': tensor '%s' has an impossible shape", op, path,
                     e->name);
            goto fail;
        }
        uint64_t bytes = (uint64_t)numel * (uint64_t)e->fsize;
        if (e->end < e->begin || e->end - e->begin != bytes || e->end > data_len) {
            l2__fail(L2_ERR_FORMAT, "%s: '%s': tensor '%s' has data_offsets [%llu, %llu] that do "
                     "not match its %llu bytes or the %llu bytes of data", op, path, e->name,
                     (unsigned long long)e->begin, (unsigned long long)e->end,
                     (unsigned long long)bytes, (unsigned long long)data_len);
            goto fail;
        }
        order[i] = e;
    }
    qsort(order, (size_t)n, sizeof *order, cmp_begin);
    for (int i = 1; i < n; i++)
        if (order[i]->begin < order[i - 1]->end) {
            l2__fail(L2_ERR_FORMAT, "%s: '%s': tensors '%s' and '%s' overlap", op, path,
                     order[i - 1]->name, order[i]->name);
            goto fail;
        }
    d = l2__calloc(sizeof *d, op);
    if (!d)
        goto fail;
    d->names = l2__calloc(sizeof *d->names * (size_t)(n ? n : 1), op);
    d->tensors = l2__calloc(sizeof *d->tensors * (size_t)(n ? n : 1), op);
    if (!d->names || !d->tensors)
        goto fail;
    for (int i = 0; i < n; i++) {
        entry *e = &ents[i];
        size_t nl = strlen(e->name) + 1;
        d->names[i] = l2__malloc(nl, op);
        d->tensors[i] = l2__new(op, e->ndim, e->shape, e->dt, false);
        d->n = i + 1;
        if (!d->names[i] || !d->tensors[i])
            goto fail;
        memcpy(d->names[i], e->name, nl);
        size_t bytes = (size_t)(e->end - e->begin);
        if (fseek(f, (long)(8 + hl + e->begin), SEEK_SET) != 0 ||
            (bytes && fread(d->tensors[i]->storage->data, 1, bytes, f) != bytes)) {
            l2__fail(L2_ERR_IO, "%s: '%s': cannot read the data of '%s'", op, path, e->name);
            goto fail;
        }
        if (e->fsize != (int)l2__esize(e->dt)) { /* a narrow integer: widen in place, last first */
            unsigned char *b = d->tensors[i]->storage->data;
            int64_t *o = d->tensors[i]->storage->data;
            for (size_t k = bytes / (size_t)e->fsize; k-- > 0;) {
                const unsigned char *q = b + k * (size_t)e->fsize;
                int64_t v;
                if (e->fsize == 4) {
                    int32_t x;
                    memcpy(&x, q, 4);
                    v = x;
                } else if (e->fsize == 2) {
                    int16_t x;
                    memcpy(&x, q, 2);
                    v = x;
                } else {
                    v = e->fsigned ? (int64_t)(int8_t)q[0] : (int64_t)q[0];
                }
                memcpy(o + k, &v, sizeof v);
            }
        }
        if (e->dt == L2_BOOL) { /* only 0 and 1 are valid bool bytes */
            unsigned char *b = d->tensors[i]->storage->data;
            for (size_t k = 0; k < bytes; k++)
                if (b[k] > 1) {
                    l2__fail(L2_ERR_FORMAT, "%s: '%s': bool tensor '%s' holds byte %u", op, path,
                             e->name, b[k]);
                    goto fail;
                }
        }
    }
    d->nmeta = nm;
    d->meta_keys = mk;
    d->meta_values = mv;
    fclose(f);
    l2__free(hdr);
    l2__free(ents);
    l2__free(order);
    return d;
bad_json:
    l2__fail(L2_ERR_FORMAT, "%s: '%s': malformed JSON header at byte %ld: %s", op, path,
             (long)(j.p - hdr), j.err ? j.err : "syntax error");
fail:
    fclose(f);
    l2__free(hdr);
    l2__free(ents);
    l2__free(order);
    free_meta(mk, mv, nm);
    l2_named_free(d);
    return NULL;
}

/* issue 16: l2_load_safetensors accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_named_tensors *l2_load_safetensors(const char *path)
{
    l2__half_ok++;
    l2_named_tensors *r = half_load_safetensors(path);
    l2__half_ok--;
    return r;
}
