"""reg_conv2.py: the oracle registry's entries for the conv2 family (issue 14,
libl2/ops/conv-transpose.c, pool2.c): conv_transpose2d, conv_transpose1d, max_pool2d_ex,
avg_pool2d_ex. registry.py imports this module at its end."""

import torch.nn.functional as F

from registry import A, add, i64a, with_out
from registry import _vk


def _tout(n, k, s, p, op, dl):
    return (n - 1) * s - 2 * p + dl * (k - 1) + op + 1


def _targs(d, n, k):
    """stride, padding, output_padding, dilation for one axis of input size n and kernel k,
    drawn so that the output has at least one cell (padding lowered until it does)."""
    s, dl = d.int(1, 3), d.int(1, 2)
    op = d.int(0, max(s, dl) - 1)
    p = d.int(0, 3)
    while p > 0 and _tout(n, k, s, p, op, dl) < 1:
        p -= 1
    return s, p, op, dl


def g_tconv2d(d, dt):
    g = d.choice([1, 1, 2, 3])
    cin, og = g * d.int(1, 3), d.int(1, 3)
    k = (d.int(1, 4), d.int(1, 4))
    hw = (d.int(1, 6), d.int(1, 6))
    ax = [_targs(d, hw[i], k[i]) for i in range(2)]
    x = ((d.int(1, 3),) if d.int(0, 3) else ()) + (cin,) + hw
    return {"inputs": [d.tensor(x, dt, _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((cin, og) + k, dt, _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((og * g,), dt) if d.bool() else None],
            "args": {"stride": [a[0] for a in ax], "padding": [a[1] for a in ax],
                     "output_padding": [a[2] for a in ax], "groups": g,
                     "dilation": [a[3] for a in ax]}}


add("l2_conv_transpose2d", "T:TTTLLLlL", g_tconv2d,
    lambda ts, a: F.conv_transpose2d(ts[0], ts[1], ts[2], a["stride"], a["padding"],
                                     a["output_padding"], a["groups"], a["dilation"]),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], i64a(a["stride"]), i64a(a["padding"]),
                       i64a(a["output_padding"]), a["groups"], i64a(a["dilation"])),
    tol=A, family="conv")


def g_tconv1d(d, dt):
    g = d.choice([1, 1, 2])
    cin, og, k, n = g * d.int(1, 3), d.int(1, 3), d.int(1, 4), d.int(1, 10)
    s, p, op, dl = _targs(d, n, k)
    x = ((d.int(1, 3),) if d.int(0, 3) else ()) + (cin, n)
    return {"inputs": [d.tensor(x, dt, _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((cin, og, k), dt, _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((og * g,), dt) if d.bool() else None],
            "args": {"stride": s, "padding": p, "output_padding": op, "groups": g,
                     "dilation": dl}}


add("l2_conv_transpose1d", "T:TTTlllll", g_tconv1d,
    lambda ts, a: F.conv_transpose1d(ts[0], ts[1], ts[2], a["stride"], a["padding"],
                                     a["output_padding"], a["groups"], a["dilation"]),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], a["stride"], a["padding"], a["output_padding"],
                       a["groups"], a["dilation"]), tol=A, family="conv")


# ---- the 2-d pools with torch's full argument lists (libl2/ops/pool2.c) ----------------------


def _pool_out(n, k, s, p, dl, ceil):
    num = n + 2 * p - dl * (k - 1) - 1 + (s - 1 if ceil else 0)
    o = num // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def _all_windows_meet(n, k, s, p, dl, ceil):
    """Every window has a cell inside the input. With dilation one may not (its cells straddle
    the input): torch 1.13's backward then writes outside the gradient (heap corruption, seen
    as "free(): invalid next size" in the oracle), so such cases are not drawn; libl2 gives -inf,
    torch's index and no gradient there (tests/test-conv2.c)."""
    out = _pool_out(n, k, s, p, dl, ceil)
    return out >= 1 and all(any(0 <= o * s - p + i * dl < n for i in range(k))
                            for o in range(out))


def g_max_pool_ex(d, dt):
    """kernel, stride, padding, dilation and ceil_mode per axis, redrawn until the output has a
    cell and every window meets the input."""
    lead = (d.int(1, 2),) if d.int(0, 3) else ()
    c, hw = d.int(1, 3), (d.int(1, 8), d.int(1, 8))
    ceil = d.bool()
    for _ in range(20):
        k = [d.int(1, 4), d.int(1, 4)]
        s = [d.int(1, 3), d.int(1, 3)]
        p = [d.int(0, k[0] // 2), d.int(0, k[1] // 2)]
        dl = [d.int(1, 3), d.int(1, 2)]
        if all(_all_windows_meet(hw[i], k[i], s[i], p[i], dl[i], ceil) for i in range(2)):
            break
    else:
        k, s, p, dl = [1, 1], [1, 1], [0, 0], [1, 1]
    return {"inputs": [d.tensor(lead + (c,) + hw, dt, _vk(d, "normal", dt))],
            "args": {"kernel": k, "stride": s, "padding": p, "dilation": dl, "ceil": ceil}}


add("l2_max_pool2d_ex", "T:TLLLLbP", g_max_pool_ex,
    lambda ts, a: tuple(F.max_pool2d(ts[0], a["kernel"], a["stride"], a["padding"],
                                     a["dilation"], a["ceil"], True)),
    with_out(lambda f, xs, a, p: f(xs[0], i64a(a["kernel"]), i64a(a["stride"]),
                                    i64a(a["padding"]), i64a(a["dilation"]), a["ceil"], p)),
    tol="exact", family="conv", outputs=2)


def g_avg_pool_ex(d, dt):
    """kernel, stride, padding, ceil_mode, count_include_pad and (one case in three) a divisor
    override, redrawn until the output has a cell."""
    lead = (d.int(1, 2),) if d.int(0, 3) else ()
    c, hw = d.int(1, 3), (d.int(1, 8), d.int(1, 8))
    ceil = d.bool()
    for _ in range(20):
        k = [d.int(1, 4), d.int(1, 4)]
        s = [d.int(1, 3), d.int(1, 3)]
        p = [d.int(0, k[0] // 2), d.int(0, k[1] // 2)]
        if all(_pool_out(hw[i], k[i], s[i], p[i], 1, ceil) >= 1 for i in range(2)):
            break
    else:
        k, s, p = [1, 1], [1, 1], [0, 0]
    div = d.choice([-3, 1, 2, 5]) if d.int(0, 2) == 0 else 0
    return {"inputs": [d.tensor(lead + (c,) + hw, dt, _vk(d, "uniform", dt, "wide", acc=True))],
            "args": {"kernel": k, "stride": s, "padding": p, "ceil": ceil, "inc": d.bool(),
                     "div": div}}


add("l2_avg_pool2d_ex", "T:TLLLbbl", g_avg_pool_ex,
    lambda ts, a: F.avg_pool2d(ts[0], a["kernel"], a["stride"], a["padding"], a["ceil"],
                               a["inc"], a["div"] or None),
    lambda f, xs, a: f(xs[0], i64a(a["kernel"]), i64a(a["stride"]), i64a(a["padding"]),
                       a["ceil"], a["inc"], a["div"]), tol=A, family="conv")
