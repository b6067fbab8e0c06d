/* tensor.c: storages and tensors (reference counting, properties), shape validation, scopes and
 * l2_from_blob. The other creation functions are in create.c (random ones in random.c), element
 * access in access.c, views in ops/view.c, copies in ops/copy.c. */
#include "autograd-impl.h"
#include "half.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- dtypes ---- */

const char *l2_dtype_name(l2_dtype dt)
{
    static const char *const names[] = {"float32", "float64", "int64", "bool", "bfloat16",
                                        "float16"};
    return (unsigned)dt < L2_DTYPE_COUNT ? names[dt] : "invalid";
}

size_t l2_dtype_size(l2_dtype dt) { return (unsigned)dt < L2_DTYPE_COUNT ? l2__esize(dt) : 0; }

void l2__store(void *p, l2_dtype dt, double v)
{
    switch (dt) {
    case L2_FLOAT32: *(float *)p = (float)v; break;
    case L2_FLOAT64: *(double *)p = v; break;
    case L2_INT64:
        /* Out-of-range and NaN conversions are undefined in C; saturate them instead. */
        *(int64_t *)p = isnan(v) ? 0
                        : v >= 9.2233720368547758e18 ? INT64_MAX
                        : v < -9.2233720368547758e18 ? INT64_MIN
                                                      : (int64_t)v;
        break;
    case L2_BOOL: *(bool *)p = v != 0; break;
    case L2_BFLOAT16: { /* through float32, as c10::BFloat16(float(v)) */
        uint16_t h = l2__f32_to_bf16((float)v);
        memcpy(p, &h, 2);
        break;
    }
    case L2_FLOAT16: {
        uint16_t h = l2__f32_to_f16((float)v);
        memcpy(p, &h, 2);
        break;
    }
    default: break;
    }
}

double l2__load(const void *p, l2_dtype dt)
{
    switch (dt) {
    case L2_FLOAT32: return *(const float *)p;
    case L2_FLOAT64: return *(const double *)p;
    case L2_INT64: return (double)*(const int64_t *)p;
    case L2_BOOL: return *(const bool *)p;
    case L2_BFLOAT16: {
        uint16_t h;
        memcpy(&h, p, 2);
        return l2__bf16_to_f32(h);
    }
    case L2_FLOAT16: {
        uint16_t h;
        memcpy(&h, p, 2);
        return l2__f16_to_f32(h);
    }
    default: return 0;
    }
}

/* ---- shapes ---- */

int64_t l2__numel(int ndim, const int64_t *shape)
{
    /* An empty shape's other sizes may overflow in any order (see l2__numel_ovf); a valid
     * non-empty shape's product fits. Never wraps. */
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0)
            return 0;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        if (l2__mul_ovf(n, shape[i], &n))
            return INT64_MAX;
    return n;
}

void l2__contiguous_strides(int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = s;
        /* Only an empty tensor can exceed the limit here (sizes were validated); its strides
         * are moot, and saturating keeps stride * element size (bytes) within int64. */
        if (l2__mul_ovf(s, shape[i] > 1 ? shape[i] : 1, &s) || s > l2__max_numel(8))
            s = l2__max_numel(8);
    }
}

bool l2__is_contiguous(const l2_tensor *t)
{
    /* An empty tensor is contiguous whatever its strides (which may have saturated). */
    for (int i = 0; i < t->ndim; i++)
        if (t->shape[i] == 0)
            return true;
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != s)
            return false;
        if (l2__mul_ovf(s, t->shape[i], &s))
            return false;
    }
    return true;
}

bool l2__check_shape(const char *op, int ndim, const int64_t *shape, l2_dtype dt, int64_t *numel)
{
    L2__CHECK(ndim >= 0 && ndim <= L2_MAX_DIMS, false, L2_ERR_ARG,
              "%s: rank %d is outside 0..%d", op, ndim, L2_MAX_DIMS);
    L2__CHECK(ndim == 0 || shape != NULL, false, L2_ERR_NULL, "%s: shape is NULL for rank %d",
              op, ndim);
    L2__CHECK((unsigned)dt < L2_DTYPE_COUNT, false, L2_ERR_ARG, "%s: invalid dtype %d", op,
              (int)dt);
    for (int i = 0; i < ndim; i++)
        L2__CHECK(shape[i] >= 0, false, L2_ERR_ARG, "%s: negative size %lld in dim %d", op,
                  (long long)shape[i], i);
    /* torch's rule: the in-order product never overflows and numel * esize <= PTRDIFF_MAX. */
    int64_t n;
    if (l2__numel_ovf(ndim, shape, l2__max_numel(l2__esize(dt)), &n)) {
        char s[L2__SHAPE_STR];
        return l2__fail(L2_ERR_OVERFLOW,
                        "%s: shape %s of %s has too many elements (limit %lld bytes)", op,
                        l2__shape_str(s, ndim, shape), l2_dtype_name(dt),
                        (long long)PTRDIFF_MAX),
               false;
    }
    if (numel)
        *numel = n;
    return true;
}

bool l2__check_geometry(const char *op, int ndim, const int64_t *shape, const int64_t *stride,
                        int64_t offset, l2_dtype dt, int64_t cap, int64_t *hi_out)
{
    if (!l2__check_shape(op, ndim, shape, dt, NULL))
        return false;
    L2__CHECK(ndim == 0 || stride, false, L2_ERR_NULL, "%s: strides is NULL", op);
    int64_t limit = l2__max_numel(l2__esize(dt));
    L2__CHECK(offset >= 0 && offset < limit, false, L2_ERR_ARG,
              "%s: offset %lld is outside 0..%lld", op, (long long)offset,
              (long long)(limit - 1));
    for (int i = 0; i < ndim; i++)
        L2__CHECK(stride[i] >= 0 && stride[i] <= limit, false, L2_ERR_ARG,
                  "%s: stride %lld in dim %d is outside 0..%lld", op, (long long)stride[i], i,
                  (long long)limit);
    int64_t lo, hi;
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK(!l2__extent_ovf(ndim, shape, stride, offset, &lo, &hi) && hi < limit, false,
              L2_ERR_OVERFLOW, "%s: sizes %s, strides %s and offset %lld reach beyond %lld "
              "elements of %s", op, l2__shape_str(s1, ndim, shape),
              l2__shape_str(s2, ndim, stride), (long long)offset, (long long)limit,
              l2_dtype_name(dt));
    L2__CHECK(cap < 0 || hi < cap, false, L2_ERR_INDEX,
              "%s: setStorage: sizes %s, strides %s and offset %lld reach element %lld, out of "
              "bounds for storage of %lld elements", op, l2__shape_str(s1, ndim, shape),
              l2__shape_str(s2, ndim, stride), (long long)offset, (long long)hi, (long long)cap);
    if (hi_out)
        *hi_out = hi;
    return true;
}

/* ---- storage and tensor lifecycle ---- */

static atomic_llong live_tensors, live_storages;

int64_t l2_live_tensors(void) { return atomic_load(&live_tensors); }
int64_t l2__live_storages(void) { return atomic_load(&live_storages); }

static l2__storage *storage_new(const char *op, size_t nbytes, bool zero)
{
    l2__storage *s = l2__malloc(sizeof *s, op);
    if (!s)
        return NULL;
    s->data = zero ? l2__calloc(nbytes, op) : l2__malloc(nbytes, op);
    if (!s->data) {
        l2__free(s);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    atomic_init(&s->version, 0);
    s->nbytes = nbytes;
    s->owns_data = true;
    s->release = NULL;
    s->ctx = NULL;
    atomic_fetch_add(&live_storages, 1);
    return s;
}

static void storage_release(l2__storage *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    if (s->owns_data)
        l2__free(s->data);
    else if (s->release)
        s->release(s->ctx);
    l2__free(s);
    atomic_fetch_sub(&live_storages, 1);
}

/* ---- leak report (L2_LEAK_REPORT=1) ---- */

/* -1: the environment was not read yet; 0: off; 1: on. */
static atomic_int leak_mode = -1;
/* The registry: a circular list through live_prev/live_next around this sentinel, guarded by a
 * spin lock (insertions and removals are a few stores). */
static l2_tensor leak_head = {.live_prev = &leak_head, .live_next = &leak_head};
static atomic_flag leak_lock = ATOMIC_FLAG_INIT;

static void leak_lock_take(void)
{
    while (atomic_flag_test_and_set_explicit(&leak_lock, memory_order_acquire)) {
    }
}
static void leak_lock_give(void) { atomic_flag_clear_explicit(&leak_lock, memory_order_release); }

/* At exit: one line per tensor still alive, then the total; nothing when none leaked. */
static void leak_report(void)
{
    int64_t n = 0;
    leak_lock_take();
    for (l2_tensor *t = leak_head.live_next; t != &leak_head; t = t->live_next) {
        char sh[L2__SHAPE_STR];
        /* The graph node names a view op more precisely than l2__alias ("view") can. */
        const char *op = t->grad_fn ? l2__op_names[t->grad_fn->op] : t->made_by;
        fprintf(stderr, "libl2: leaked tensor %s %s made by %s%s\n",
                l2__shape_str(sh, t->ndim, t->shape), l2_dtype_name(t->dtype), op ? op : "?",
                t->requires_grad ? ", requires_grad" : "");
        n++;
    }
    leak_lock_give();
    if (n > 0) {
        l2_memory_stats st;
        l2_get_memory_stats(&st);
        fprintf(stderr, "libl2: %lld tensor%s leaked (%lld bytes still allocated)\n",
                (long long)n, n == 1 ? "" : "s", (long long)st.bytes_in_use);
    }
}

static bool leak_report_on(void)
{
    int m = atomic_load_explicit(&leak_mode, memory_order_relaxed);
    if (m >= 0)
        return m == 1;
    const char *e = getenv("L2_LEAK_REPORT");
    int on = e && strcmp(e, "1") == 0, unset = -1;
    if (atomic_compare_exchange_strong(&leak_mode, &unset, on) && on)
        atexit(leak_report);
    return atomic_load(&leak_mode) == 1;
}

static void leak_add(l2_tensor *t)
{
    leak_lock_take();
    t->live_prev = leak_head.live_prev;
    t->live_next = &leak_head;
    leak_head.live_prev->live_next = t;
    leak_head.live_prev = t;
    leak_lock_give();
}

static void leak_remove(l2_tensor *t)
{
    leak_lock_take();
    t->live_prev->live_next = t->live_next;
    t->live_next->live_prev = t->live_prev;
    t->live_prev = t->live_next = NULL;
    leak_lock_give();
}

/* ---- quarantine of released tensors (debug builds) ---- */

#ifdef L2_DEBUG
#define L2__QUARANTINE 1024

/* A ring of the last released structs, freed first in first out; drained at exit. */
static l2_tensor *quarantine[L2__QUARANTINE];
static size_t quarantine_next;
static atomic_flag quarantine_lock = ATOMIC_FLAG_INIT;
static atomic_flag quarantine_atexit = ATOMIC_FLAG_INIT;

static void quarantine_drain(void)
{
    for (size_t i = 0; i < L2__QUARANTINE; i++) {
        l2__free(quarantine[i]);
        quarantine[i] = NULL;
    }
}

static void quarantine_put(l2_tensor *t)
{
    if (!atomic_flag_test_and_set(&quarantine_atexit))
        atexit(quarantine_drain);
    l2__untrack(t);
    while (atomic_flag_test_and_set_explicit(&quarantine_lock, memory_order_acquire)) {
    }
    l2_tensor *old = quarantine[quarantine_next];
    quarantine[quarantine_next] = t;
    quarantine_next = (quarantine_next + 1) % L2__QUARANTINE;
    atomic_flag_clear_explicit(&quarantine_lock, memory_order_release);
    l2__free(old);
}
#endif

static l2_tensor *tensor_struct(const char *op, l2__storage *s, l2_dtype dt, int ndim,
                                const int64_t *shape, const int64_t *stride, int64_t offset)
{
    l2_tensor *t = l2__malloc(sizeof *t, op);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    atomic_init(&t->refs, 1);
    atomic_init(&t->scope_refs, 0);
    atomic_init(&t->scope_list, NULL);
    atomic_init(&t->scope_slot, 0);
    t->magic = L2__MAGIC_LIVE;
    t->made_by = op;
    t->storage = s;
    t->dtype = dt;
    t->ndim = ndim;
    t->offset = offset;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->stride[i] = stride[i];
    }
    atomic_fetch_add(&live_tensors, 1);
    if (leak_report_on())
        leak_add(t);
    return t;
}

_Thread_local int l2__half_ok = 0;

bool l2__half_gate(const char *op, const char *name, const l2_tensor *t)
{
    if (l2__half_ok > 0 || !l2__is_half(t->dtype))
        return true;
    return l2__fail(L2_ERR_DTYPE, "%s: %s is not supported yet (argument '%s'; convert with "
                    "l2_to_dtype to float32 first)", op, l2_dtype_name(t->dtype), name),
           false;
}

bool l2__check_t_any(const l2_tensor *t, const char *op, const char *name)
{
    L2__CHECK_TN(t, false, op, name);
    return true;
}

l2_tensor *l2__new(const char *op, int ndim, const int64_t *shape, l2_dtype dt, bool zero)
{
    int64_t n;
    if (!l2__check_shape(op, ndim, shape, dt, &n))
        return NULL;
    L2__CHECK(l2__half_ok > 0 || !l2__is_half(dt), NULL, L2_ERR_DTYPE,
              "%s: %s is not supported yet (convert with l2_to_dtype to float32 first)", op,
              l2_dtype_name(dt));
    /* bool storage is always initialised: a byte other than 0 or 1 is not a valid C bool. */
    l2__storage *s = storage_new(op, (size_t)n * l2__esize(dt), zero || dt == L2_BOOL);
    if (!s)
        return NULL;
    int64_t stride[L2_MAX_DIMS];
    l2__contiguous_strides(ndim, shape, stride);
    l2_tensor *t = tensor_struct(op, s, dt, ndim, shape, stride, 0);
    if (!t)
        storage_release(s);
    return t;
}

l2_tensor *l2__alias(const l2_tensor *t, int ndim, const int64_t *shape, const int64_t *stride,
                     int64_t offset)
{
    l2_tensor *v = tensor_struct("view", t->storage, t->dtype, ndim, shape, stride, offset);
    if (v)
        atomic_fetch_add(&t->storage->refs, 1);
    return v;
}

l2_tensor *l2_tensor_ref(l2_tensor *t)
{
    L2__CHECK_T_ANY(t, NULL, "tensor_ref");
    atomic_fetch_add(&t->refs, 1);
    return t;
}

/* Free t, whose last reference is gone. */
static void tensor_free(l2_tensor *t)
{
    if (t->grad_fn) {
        if (t->grad_fn->out_weak == t)
            t->grad_fn->out_weak = NULL;
        l2__node_release(t->grad_fn);
    }
    l2__release(t->grad);
    storage_release(t->storage);
    if (t->live_next)
        leak_remove(t);
    atomic_fetch_sub(&live_tensors, 1);
#ifdef L2_DEBUG
    t->magic = L2__MAGIC_DEAD;
    t->storage = NULL;
    t->grad = NULL;
    t->grad_fn = NULL;
    quarantine_put(t);
#else
    l2__free(t);
#endif
}

void l2__release(l2_tensor *t)
{
    if (!t)
        return;
#ifdef L2_DEBUG
    if (t->magic == L2__MAGIC_DEAD) {
        l2__fail(L2_ERR_ARG, "tensor_release: argument 't' was already released");
        return;
    }
#endif
    if (atomic_fetch_sub(&t->refs, 1) == 1)
        tensor_free(t);
}

static bool scope_take(l2_tensor *t);

/* The public release (the macro in l2-impl.h makes library code call l2__release): a tensor
 * that a scope of this thread holds gives up the scope's reference, and the scope forgets it. */
void(l2_tensor_release)(l2_tensor *t)
{
    if (!t)
        return;
#ifdef L2_DEBUG
    L2__CHECK(t->magic != L2__MAGIC_DEAD, , L2_ERR_ARG,
              "tensor_release: argument 't' was already released");
#endif
    if (atomic_load(&t->scope_refs) == 0 || scope_take(t)) {
        l2__release(t);
        return;
    }
    /* Only scopes of other threads hold it: drop a reference that is not theirs, if any. */
    long r = atomic_load(&t->refs);
    while (r > atomic_load(&t->scope_refs)) {
        if (atomic_compare_exchange_weak(&t->refs, &r, r - 1)) {
            if (r == 1)
                tensor_free(t);
            return;
        }
    }
    l2__fail(L2_ERR_ARG, "tensor_release: the tensor belongs to a scope of another thread; "
             "release it on that thread, or l2_keep it out of the scope");
}

/* ---- properties ---- */

/* The op name in messages is the function's name without "l2_". */
#define L2__GETTER_CHECK(t, ret) L2__CHECK_T_ANY(t, ret, __func__ + 3)

int l2_ndim(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, 0);
    return t->ndim;
}
const int64_t *l2_shape(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, NULL);
    return t->shape;
}
const int64_t *l2_strides(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, NULL);
    return t->stride;
}
int64_t l2_offset(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, 0);
    return t->offset;
}
int64_t l2_size(const l2_tensor *t, int dim)
{
    L2__GETTER_CHECK(t, -1);
    L2__CHECK(t->ndim > 0, -1, L2_ERR_DIM, "size: tensor of rank 0 has no dims");
    int d = l2__wrap_dim("size", dim, t->ndim);
    return d < 0 ? -1 : t->shape[d];
}
int64_t l2_numel(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, 0);
    return l2__numel(t->ndim, t->shape);
}
l2_dtype l2_dtype_of(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, L2_FLOAT32);
    return t->dtype;
}
void *l2_data_ptr(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, NULL);
    return l2__data(t);
}
bool l2_is_contiguous(const l2_tensor *t)
{
    L2__GETTER_CHECK(t, false);
    return l2__is_contiguous(t);
}
bool l2_shares_storage(const l2_tensor *a, const l2_tensor *b)
{
    L2__GETTER_CHECK(a, false);
    L2__GETTER_CHECK(b, false);
    return a->storage == b->storage;
}

/* ---- scopes ---- */

/* Each scope is a list of slots, each holding one reference to a tensor; a tensor remembers how
 * many slots hold it (scope_refs) and the last one registered (scope_list, scope_slot). A user's
 * l2_tensor_release of a tensor that a scope holds takes the scope's reference and empties the
 * slot, so l2_scope_end, which skips empty slots, does not release it again. */

#define L2__MAX_SCOPES 64

typedef struct {
    l2_tensor **items;
    int64_t n, cap;
} scope_list;

static _Thread_local scope_list scopes[L2__MAX_SCOPES];
static _Thread_local int scope_depth = 0;
static _Thread_local int suspend_depth = 0;

void l2__enter(void) { suspend_depth++; }
void l2__leave(void) { suspend_depth--; }

l2_status l2_scope_begin(void)
{
    L2__CHECK_ST(scope_depth < L2__MAX_SCOPES, L2_ERR_ARG,
              "scope_begin: more than %d nested scopes", L2__MAX_SCOPES);
    scope_list *s = &scopes[scope_depth++];
    s->n = 0;
    return L2_OK;
}

/* Empty slot i of s, which holds t: the slot's reference passes to the caller. */
static void scope_clear(scope_list *s, int64_t i, l2_tensor *t)
{
    s->items[i] = NULL;
    void *mine = s;
    atomic_compare_exchange_strong(&t->scope_list, &mine, NULL);
    atomic_fetch_sub(&t->scope_refs, 1);
}

/* Find a slot of this thread's open scopes that holds t (the one t remembers, else the newest in
 * the innermost scope), empty it and return true; false if none does. */
static bool scope_take(l2_tensor *t)
{
    uintptr_t owner = (uintptr_t)atomic_load(&t->scope_list);
    if (owner >= (uintptr_t)&scopes[0] && owner < (uintptr_t)&scopes[scope_depth]) {
        scope_list *s = (scope_list *)owner;
        int64_t i = atomic_load(&t->scope_slot);
        if (i >= 0 && i < s->n && s->items[i] == t) {
            scope_clear(s, i, t);
            return true;
        }
    }
    for (int d = scope_depth - 1; d >= 0; d--) {
        scope_list *s = &scopes[d];
        for (int64_t i = s->n - 1; i >= 0; i--)
            if (s->items[i] == t) {
                scope_clear(s, i, t);
                return true;
            }
    }
    return false;
}

l2_status l2_scope_end(void)
{
    L2__CHECK_ST(scope_depth > 0, L2_ERR_ARG, "scope_end: no scope is open");
    scope_list *s = &scopes[--scope_depth];
    for (int64_t i = s->n - 1; i >= l2__fault("scope_leak"); i--) { /* fault: slot 0 kept */
        l2_tensor *t = s->items[i];
        if (t) {
            scope_clear(s, i, t);
            l2__release(t);
        }
    }
    s->n = 0;
    if (scope_depth == 0) {
        for (int i = 0; i < L2__MAX_SCOPES && scopes[i].items; i++) {
            l2__free(scopes[i].items);
            scopes[i].items = NULL;
            scopes[i].cap = 0;
        }
    }
    return L2_OK;
}

/* Add t to scope s (the slot takes over one reference); on out-of-memory release that reference
 * and return NULL. */
static l2_tensor *scope_add(scope_list *s, l2_tensor *t)
{
    if (s->n == s->cap) {
        int64_t cap = s->cap ? 2 * s->cap : 64;
        l2_tensor **items = l2__realloc(s->items, (size_t)cap * sizeof *items, "scope");
        if (!items) {
            l2__release(t);
            return NULL;
        }
        s->items = items;
        s->cap = cap;
    }
    int64_t i = s->n++;
    s->items[i] = t;
    atomic_fetch_add(&t->scope_refs, 1);
    /* Relaxed: readers only compare the list with their own and check items[slot] == t. */
    atomic_store_explicit(&t->scope_slot, i, memory_order_relaxed);
    atomic_store_explicit(&t->scope_list, (void *)s, memory_order_relaxed);
    return t;
}

l2_tensor *l2__ret(l2_tensor *t)
{
    if (!t || suspend_depth > 0 || scope_depth == 0)
        return t;
    return scope_add(&scopes[scope_depth - 1], t);
}

l2_tensor *l2_keep(l2_tensor *t)
{
    L2__CHECK_T_ANY(t, NULL, "keep");
    /* No enclosing scope: the innermost scope's reference (if it holds t) passes to the caller,
     * so one release frees t, as for a tensor made outside any scope. */
    if (scope_depth < 2 && scope_take(t))
        return t;
    atomic_fetch_add(&t->refs, 1);
    if (scope_depth >= 2)
        return scope_add(&scopes[scope_depth - 2], t);
    return t;
}

static l2_tensor *half_from_blob(void *data, int ndim, const int64_t *shape, const int64_t *strides,
                        int64_t offset, l2_dtype dt, void (*release)(void *ctx), void *ctx)
{
    const char *op = "from_blob";
    int64_t n, st[L2_MAX_DIMS];
    l2__storage *s = NULL;
    l2_tensor *t = NULL;
    if (!l2__check_shape(op, ndim, shape, dt, &n))
        goto fail;
    if (!data && n > 0) {
        l2__fail(L2_ERR_NULL, "%s: data is NULL", op);
        goto fail;
    }
    if (strides) {
        memcpy(st, strides, sizeof(int64_t) * (size_t)ndim);
    } else {
        l2__contiguous_strides(ndim, shape, st);
    }
    /* The view must be addressable: offset + sum((size-1)*stride) computed without overflow
     * and its byte extent within PTRDIFF_MAX. */
    if (!l2__check_geometry(op, ndim, shape, st, offset, dt, -1, NULL))
        goto fail;
    s = l2__malloc(sizeof *s, op);
    if (!s)
        goto fail;
    atomic_init(&s->refs, 1);
    atomic_init(&s->version, 0);
    s->data = data;
    /* The memory's real size is unknown (the caller promises it covers later as_strided views
     * too, l2.h): every address up to the limit counts as inside it. l2_from_dlpack narrows it
     * to the view's extent (hi + 1 elements, within PTRDIFF_MAX bytes), as torch's. */
    s->nbytes = (size_t)PTRDIFF_MAX;
    s->owns_data = false;
    s->release = release;
    s->ctx = ctx;
    t = tensor_struct(op, s, dt, ndim, shape, st, offset);
    if (!t) {
        l2__free(s);
        goto fail;
    }
    atomic_fetch_add(&live_storages, 1);
    return l2__ret(t);
fail:
    if (release)
        release(ctx);
    return NULL;
}

/* issue 16: l2_from_blob accepts bfloat16 / float16 tensors (the half gate, l2-impl.h). */
l2_tensor *l2_from_blob(void *data, int ndim, const int64_t *shape, const int64_t *strides, int64_t offset, l2_dtype dt, void (*release)(void *ctx), void *ctx)
{
    l2__half_ok++;
    l2_tensor *r = half_from_blob(data, ndim, shape, strides, offset, dt, release, ctx);
    l2__half_ok--;
    return r;
}
