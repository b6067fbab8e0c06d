/* error.c: the status table's names and strings, and the thread-local last-error message.
 * Setting an error never allocates; the message is cut at L2__MSG_MAX bytes. */
#include "l2-impl.h"

#include <stdio.h>

#define L2__MSG_MAX 512

static _Thread_local l2_status last_status = L2_OK;
static _Thread_local char last_msg[L2__MSG_MAX];

static const char *const status_names[] = {
#define L2__STATUS_NAME(name, desc) "L2_" #name,
    L2_STATUS_MAP(L2__STATUS_NAME)
#undef L2__STATUS_NAME
};
static const char *const status_strings[] = {
#define L2__STATUS_DESC(name, desc) desc,
    L2_STATUS_MAP(L2__STATUS_DESC)
#undef L2__STATUS_DESC
};
_Static_assert(sizeof(status_names) / sizeof(status_names[0]) == L2_STATUS_COUNT,
               "every status needs a name");

l2_status l2__fail(l2_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    /* One line whatever the caller's strings (a name with a newline, say): control characters
     * become '?'. */
    for (char *c = last_msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    last_status = status;
    return status;
}

l2_status l2_set_error(l2_status status, const char *fmt, ...)
{
    if (status == L2_OK || (unsigned)status >= L2_STATUS_COUNT)
        return l2__fail(L2_ERR_ARG, "l2_set_error: status %d is not an error status",
                        (int)status);
    if (!fmt)
        return l2__fail(status, "%s", status_strings[status]);
    char msg[L2__MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return l2__fail(status, "%s", msg);
}

l2_status l2_last_status(void) { return last_status; }
const char *l2_last_error(void) { return last_msg; }

void l2_clear_error(void)
{
    last_status = L2_OK;
    last_msg[0] = '\0';
}

const char *l2_status_name(l2_status s)
{
    return (unsigned)s < L2_STATUS_COUNT ? status_names[s] : "L2_UNKNOWN";
}

const char *l2_status_string(l2_status s)
{
    return (unsigned)s < L2_STATUS_COUNT ? status_strings[s] : "unknown status";
}

char *l2__shape_str(char *buf, int ndim, const int64_t *shape)
{
    size_t n = 0;
    buf[n++] = '[';
    for (int i = 0; i < ndim && n < L2__SHAPE_STR - 24; i++)
        n += (size_t)snprintf(buf + n, L2__SHAPE_STR - n, i ? ",%lld" : "%lld",
                              (long long)shape[i]);
    buf[n++] = ']';
    buf[n] = '\0';
    return buf;
}

int l2__wrap_dim(const char *op, int dim, int ndim)
{
    int rank = ndim > 0 ? ndim : 1; /* as torch: a 0-d tensor accepts dim 0 and -1 */
    if (dim < -rank || dim >= rank) {
        l2__fail(L2_ERR_DIM, "%s: dim %d out of range for tensor of rank %d (expected %d..%d)",
                 op, dim, ndim, -rank, rank - 1);
        return -1;
    }
    return dim < 0 ? dim + rank : dim;
}

#ifdef L2_FAULT_INJECTION
#include <stdatomic.h>
#include <stdlib.h>
/* L2_FAULT is read once (hooks sit inside element loops); "" when unset. */
bool l2__fault(const char *name)
{
    static _Atomic(const char *) fault = NULL;
    const char *f = atomic_load_explicit(&fault, memory_order_relaxed);
    if (!f) {
        f = getenv("L2_FAULT");
        f = f ? f : "";
        atomic_store_explicit(&fault, f, memory_order_relaxed);
    }
    return strcmp(f, name) == 0;
}
#endif
