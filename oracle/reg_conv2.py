"""reg_conv2.py: the oracle registry's entries for the conv2 family (issue 14,
libl2/ops/conv-transpose.c): conv_transpose2d and conv_transpose1d. registry.py imports this
module at its end."""
import torch.nn.functional as F

from registry import A, add, i64a
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
