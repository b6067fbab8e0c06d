/* tap.h: a tiny TAP producer for libl2's C tests. Checks print both values on failure and never
 * stop the program; tap_done() prints the plan and returns the exit status. */
#ifndef L2_TAP_H
#define L2_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n = 0, tap_failed = 0;

static inline int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    tap_n++;
    if (!cond)
        tap_failed++;
    printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

/* Doubles equal within tol (NaN equals NaN). */
#define is_near(got, want, tol, name)                                                        \
    do {                                                                                     \
        double g_ = (got), w_ = (want);                                                      \
        int c_ = (isnan(g_) && isnan(w_)) || fabs(g_ - w_) <= (tol);                         \
        if (!tap_ok(c_, "%s", name))                                                         \
            printf("#   got %.17g, want %.17g (tol %g) at %s:%d\n", g_, w_, (double)(tol),     \
                   __FILE__, __LINE__);                                                      \
    } while (0)

#define is_int(got, want, name)                                                              \
    do {                                                                                     \
        long long g_ = (long long)(got), w_ = (long long)(want);                             \
        if (!tap_ok(g_ == w_, "%s", name))                                                   \
            printf("#   got %lld, want %lld at %s:%d\n", g_, w_, __FILE__, __LINE__);        \
    } while (0)

#define is_str(got, want, name)                                                              \
    do {                                                                                     \
        const char *g_ = (got), *w_ = (want);                                                \
        if (!tap_ok(g_ && w_ && strcmp(g_, w_) == 0, "%s", name))                            \
            printf("#   got  \"%s\"\n#   want \"%s\" at %s:%d\n", g_ ? g_ : "(null)", w_,      \
                   __FILE__, __LINE__);                                                      \
    } while (0)

static inline void tap_diag(const char *fmt, ...)
{
    va_list ap;
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static inline int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
