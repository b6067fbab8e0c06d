/* checked.h: the one checked-arithmetic layer for sizes, strides, offsets, paddings, kernels,
 * dilations and output sizes (never installed).
 *
 * Every computation on such quantities goes through these helpers, so signed overflow is
 * detected instead of being undefined behaviour. The helpers only compute; op wrappers turn a
 * `true` (overflow) result into an L2_ERR_OVERFLOW with a message.
 */
#ifndef L2_CHECKED_H
#define L2_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* r = a op b; true when the exact result does not fit in int64 (r is then unspecified). */
static inline bool l2__add_ovf(int64_t a, int64_t b, int64_t *r)
{
    return __builtin_add_overflow(a, b, r);
}
static inline bool l2__sub_ovf(int64_t a, int64_t b, int64_t *r)
{
    return __builtin_sub_overflow(a, b, r);
}
static inline bool l2__mul_ovf(int64_t a, int64_t b, int64_t *r)
{
    return __builtin_mul_overflow(a, b, r);
}

/* a * b for non-negative a, b, saturating at INT64_MAX (work estimates, messages). */
static inline int64_t l2__mul_sat(int64_t a, int64_t b)
{
    int64_t r;
    return l2__mul_ovf(a, b, &r) ? INT64_MAX : r;
}

/* floor(n * t / nt) for 0 <= t <= nt, without forming n * t: the start of part t of n items
 * split into nt parts. */
static inline int64_t l2__part(int64_t n, int64_t t, int64_t nt)
{
    return n / nt * t + n % nt * t / nt;
}

/* The largest element count of a tensor of element size esize: count * esize <= PTRDIFF_MAX. */
static inline int64_t l2__max_numel(size_t esize)
{
    return (int64_t)(PTRDIFF_MAX / (ptrdiff_t)(esize ? esize : 1));
}

/* The element count of a shape, multiplied out in order with every step checked (torch's
 * c10::safe_multiply_u64): true when a partial product overflows uint64 or the count exceeds
 * limit.
 * A 0 size ends the product (nothing multiplies 0 past int64), so [0, INT64_MAX, 4] is a valid
 * empty shape while [INT64_MAX, 4, 0] overflows before its 0, as in torch. Other products of an
 * empty shape's sizes can overflow: code multiplying sizes must use l2__mul_ovf/l2__mul_sat.
 * The count is stored in *numel when no overflow occurs. Sizes must be >= 0. */
static inline bool l2__numel_ovf(int ndim, const int64_t *shape, int64_t limit, int64_t *numel)
{
    uint64_t p = 1; /* unsigned as torch's: [2^62, 2, 0] is empty, [2^62, 4, 0] overflows */
    for (int i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(p, (uint64_t)shape[i], &p))
            return true;
    if (p > (uint64_t)limit)
        return true;
    if (numel)
        *numel = (int64_t)p;
    return false;
}

/* The element range [*lo, *hi] that a strided view touches: offset + sum of (size-1)*stride
 * over dims, negative strides lowering lo. Each step is checked; true on overflow. An empty view
 * (some size 0) touches nothing: *lo = offset, *hi = offset - 1 (and no overflow is possible from
 * its strides). */
static inline bool l2__extent_ovf(int ndim, const int64_t *shape, const int64_t *stride,
                                  int64_t offset, int64_t *lo, int64_t *hi)
{
    int64_t l = offset, h = offset;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0) {
            *lo = offset;
            *hi = offset - (offset > INT64_MIN);
            return false;
        }
    }
    for (int i = 0; i < ndim; i++) {
        int64_t step;
        if (l2__mul_ovf(shape[i] - 1, stride[i], &step))
            return true;
        if (step >= 0 ? l2__add_ovf(h, step, &h) : l2__add_ovf(l, step, &l))
            return true;
    }
    *lo = l;
    *hi = h;
    return false;
}

/* Wrapping (two's complement) int64 arithmetic, as torch computes integer tensors: the
 * operation is done in uint64 and converted back, which is defined in C. */
static inline int64_t l2__wrap_i64(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}
static inline int64_t l2__wadd(int64_t a, int64_t b)
{
    return l2__wrap_i64((uint64_t)a + (uint64_t)b);
}
static inline int64_t l2__wsub(int64_t a, int64_t b)
{
    return l2__wrap_i64((uint64_t)a - (uint64_t)b);
}
static inline int64_t l2__wmul(int64_t a, int64_t b)
{
    return l2__wrap_i64((uint64_t)a * (uint64_t)b);
}
static inline int64_t l2__wneg(int64_t a) { return l2__wrap_i64(0 - (uint64_t)a); }

#endif /* L2_CHECKED_H */
