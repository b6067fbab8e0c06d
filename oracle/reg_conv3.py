"""reg_conv3.py: the oracle registry's entries for the conv3 family (issue 14,
libl2/ops/conv3d.c, pool3.c, unpool.c): conv3d, max_pool3d, avg_pool3d, adaptive_max_pool2d,
max_unpool2d. registry.py imports this module at its end."""

import torch.nn.functional as F

from registry import A, add, i64a
from registry import _vk, with_out
from reg_conv2 import _all_windows_meet  # the dilated windows torch 1.13 mishandles



def _lead(d):
    """A batch dim in two cases of three (unbatched otherwise)."""
    return (d.int(1, 2),) if d.int(0, 2) else ()


# ---- conv3d -------------------------------------------------------------------------------

def _conv_out(n, k, s, p, dl):
    return (n + 2 * p - dl * (k - 1) - 1) // s + 1


def g_conv3d(d, dt):
    """groups, channels, kernel, stride, padding, dilation per axis, the padding raised until
    the dilated kernel fits; a bias in one case of two."""
    g = d.choice([1, 1, 2, 3])
    cin, og = g * d.int(1, 2), d.int(1, 3)
    size, k, s, p, dl = [], [], [], [], []
    for _ in range(3):
        n, kk = d.int(1, 5), d.int(1, 3)
        ss, pp, dd = d.int(1, 2), d.int(0, 2), d.int(1, 2)
        while _conv_out(n, kk, ss, pp, dd) < 1:
            pp += 1
        size.append(n)
        k.append(kk)
        s.append(ss)
        p.append(pp)
        dl.append(dd)
    x = _lead(d) + (cin,) + tuple(size)
    return {"inputs": [d.tensor(x, dt, _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((og * g, cin // g) + tuple(k), dt,
                                _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((og * g,), dt) if d.bool() else None],
            "args": {"stride": s, "padding": p, "dilation": dl, "groups": g}}


add("l2_conv3d", "T:TTTLLLl", g_conv3d,
    lambda ts, a: F.conv3d(ts[0], ts[1], ts[2], a["stride"], a["padding"], a["dilation"],
                           a["groups"]),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], i64a(a["stride"]), i64a(a["padding"]),
                       i64a(a["dilation"]), a["groups"]), tol=A, family="conv")


# ---- max_pool3d and avg_pool3d ---------------------------------------------------------------



def _pool_axes(d, size, ceil, dilated):
    """kernel, stride, padding, dilation per axis, redrawn until every window meets the input."""
    for _ in range(20):
        k = [d.int(1, 3) for _ in range(3)]
        s = [d.int(1, 2) for _ in range(3)]
        p = [d.int(0, kk // 2) for kk in k]
        dl = [d.int(1, 2) if dilated else 1 for _ in range(3)]
        if all(_all_windows_meet(size[i], k[i], s[i], p[i], dl[i], ceil) for i in range(3)):
            return k, s, p, dl
    return [1, 1, 1], [1, 1, 1], [0, 0, 0], [1, 1, 1]


def g_max_pool3d(d, dt):
    size = (d.int(1, 5), d.int(1, 5), d.int(1, 5))
    ceil = d.bool()
    k, s, p, dl = _pool_axes(d, size, ceil, True)
    return {"inputs": [d.tensor(_lead(d) + (d.int(1, 3),) + size, dt, _vk(d, "normal", dt))],
            "args": {"kernel": k, "stride": s, "padding": p, "dilation": dl, "ceil": ceil}}


add("l2_max_pool3d", "T:TLLLLbP", g_max_pool3d,
    lambda ts, a: tuple(F.max_pool3d(ts[0], a["kernel"], a["stride"], a["padding"],
                                     a["dilation"], a["ceil"], True)),
    with_out(lambda f, xs, a, p: f(xs[0], i64a(a["kernel"]), i64a(a["stride"]),
                                    i64a(a["padding"]), i64a(a["dilation"]), a["ceil"], p)),
    tol="exact", family="conv", outputs=2)


def g_avg_pool3d(d, dt):
    size = (d.int(1, 5), d.int(1, 5), d.int(1, 5))
    ceil = d.bool()
    k, s, p, _ = _pool_axes(d, size, ceil, False)
    if d.int(0, 9):  # torch refuses an input smaller than the kernel: one case in ten
        k = [min(k[i], size[i]) for i in range(3)]
        p = [min(p[i], k[i] // 2) for i in range(3)]
    div = d.choice([-3, 1, 2, 5]) if d.int(0, 2) == 0 else 0
    return {"inputs": [d.tensor(_lead(d) + (d.int(1, 3),) + size, dt,
                                _vk(d, "uniform", dt, "wide", acc=True))],
            "args": {"kernel": k, "stride": s, "padding": p, "ceil": ceil, "inc": d.bool(),
                     "div": div}}


add("l2_avg_pool3d", "T:TLLLbbl", g_avg_pool3d,
    lambda ts, a: F.avg_pool3d(ts[0], a["kernel"], a["stride"], a["padding"], a["ceil"],
                               a["inc"], a["div"] or None),
    lambda f, xs, a: f(xs[0], i64a(a["kernel"]), i64a(a["stride"]), i64a(a["padding"]),
                       a["ceil"], a["inc"], a["div"]), tol=A, family="conv")


# ---- adaptive_max_pool2d and max_unpool2d --------------------------------------------------

def g_adaptive_max(d, dt):
    """Output sizes below, at and above the input's (windows overlap when larger), and 0 now
    and then; "ties" values in one case of four (the first maximum's index wins)."""
    hw = (d.int(1, 9), d.int(1, 9))
    out = [d.choice([0, 1, 2, 3, 5, n, n + 2]) if d.int(0, 7) == 0 else d.int(1, 2 * n)
           for n in hw]
    kind = "ties" if d.int(0, 3) == 0 else _vk(d, "normal", dt)
    return {"inputs": [d.tensor(_lead(d) + (d.int(1, 3),) + hw, dt, kind)],
            "args": {"out": out}}


add("l2_adaptive_max_pool2d", "T:TLP", g_adaptive_max,
    lambda ts, a: tuple(F.adaptive_max_pool2d(ts[0], a["out"], True)),
    with_out(lambda f, xs, a, p: f(xs[0], i64a(a["out"]), p)),
    tol="exact", family="conv", outputs=2)


def np_prod(shape):
    r = 1
    for n in shape:
        r *= n
    return r


def g_unpool(d, dt):
    """kernel, stride, padding and (one case in two) an explicit output size within torch's
    range; distinct indices in [0, oH oW)."""
    hw = (d.int(1, 5), d.int(1, 5))
    for _ in range(20):
        k = [d.int(1, 3), d.int(1, 3)]
        s = [d.int(1, 3), d.int(1, 3)]
        p = [d.int(0, kk // 2) for kk in k]
        default = [(hw[i] - 1) * s[i] + k[i] - 2 * p[i] for i in range(2)]
        if min(default) >= 1:
            break
    else:
        k, s, p, default = [1, 1], [1, 1], [0, 0], list(hw)
    out = None
    if d.bool():
        out = [max(1, default[i] + d.int(-s[i] + 1, s[i] - 1)) for i in range(2)]
    size = out or default
    if size[0] * size[1] < hw[0] * hw[1]:  # too few cells for distinct indices: the identity
        k, s, p, out, size = [1, 1], [1, 1], [0, 0], None, list(hw)
    shape = _lead(d) + (d.int(1, 3),) + hw
    planes = shape[0] * shape[1] if len(shape) == 4 else shape[0]
    pq = size[0] * size[1]
    # distinct indices (torch's gradient, a gather, is the true one only then: a repeated index
    # keeps the last value in the forward; gradcheck.py): all planes' in one permutation of
    # [0, pq) when they fit, else one plane
    if planes * hw[0] * hw[1] > pq:
        shape = (1,) + hw if len(shape) == 3 else (1, 1) + hw
    idx = ("perm:%d" % pq if int(np_prod(shape)) <= pq else "randint:0:%d" % pq)
    return {"inputs": [d.tensor(shape, dt, _vk(d, "normal", dt)),
                       d.tensor(shape, "int64", idx)],
            "args": {"kernel": k, "stride": s, "padding": p, "out": out}}


def _unpool_ref(ts, a):
    return F.max_unpool2d(ts[0], ts[1], a["kernel"], a["stride"], a["padding"], a["out"])


add("l2_max_unpool2d", "T:TTLLLL", g_unpool, _unpool_ref,
    lambda f, xs, a: f(xs[0], xs[1], i64a(a["kernel"]), i64a(a["stride"]), i64a(a["padding"]),
                       i64a(a["out"]) if a["out"] else None),
    tol="exact", family="conv", diff=(0,))


# ---- conv_transpose3d (issue 15, session 15; libl2/ops/conv-transpose3d.c) -------------------

def g_tconv3d(d, dt):
    """groups, channels, kernel, stride, padding, output_padding, dilation per axis (the padding
    lowered until the output has a cell); a bias in one case of two; a 0-size batch and an
    error case (output_padding not below the stride nor the dilation, or channels not divisible
    by groups) now and then."""
    g = d.choice([1, 1, 2, 3])
    cin, og = g * d.int(1, 2), d.int(1, 3)
    size, k, s, p, op, dl = [], [], [], [], [], []
    for _ in range(3):
        n, kk = d.int(1, 4), d.int(1, 3)
        ss, dd = d.int(1, 2), d.int(1, 2)
        oo, pp = d.int(0, max(ss, dd) - 1), d.int(0, 2)
        while pp > 0 and _tout(n, kk, ss, pp, oo, dd) < 1:
            pp -= 1
        size.append(n)
        k.append(kk)
        s.append(ss)
        p.append(pp)
        op.append(oo)
        dl.append(dd)
    kind = d.int(0, 11)
    if kind == 0:  # torch: output padding must be smaller than either stride or dilation
        a = d.int(0, 2)
        op[a] = max(s[a], dl[a])
    wc = cin
    if kind == 1 and g > 1:  # weight channels not divisible by groups
        wc = cin + 1
    lead = (0,) if kind == 2 else _lead(d)
    x = lead + (wc,) + tuple(size)
    return {"inputs": [d.tensor(x, dt, _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((wc, og) + tuple(k), dt,
                                _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((og * g,), dt) if d.bool() else None],
            "args": {"stride": s, "padding": p, "output_padding": op, "groups": g,
                     "dilation": dl}}


def _tout(n, k, s, p, op, dl):
    return (n - 1) * s - 2 * p + dl * (k - 1) + op + 1


def _tconv3d_torch(ts, a):
    """torch 1.13 raises "view size is not compatible" for a 0-size batch with a weight that is
    not contiguous (a bug of its slow_conv_transpose3d): hand it a contiguous copy then."""
    w = ts[1].contiguous() if ts[0].dim() == 5 and ts[0].shape[0] == 0 else ts[1]
    return F.conv_transpose3d(ts[0], w, ts[2], a["stride"], a["padding"], a["output_padding"],
                              a["groups"], a["dilation"])


add("l2_conv_transpose3d", "T:TTTLLLlL", g_tconv3d, _tconv3d_torch,
    lambda f, xs, a: f(xs[0], xs[1], xs[2], i64a(a["stride"]), i64a(a["padding"]),
                       i64a(a["output_padding"]), a["groups"], i64a(a["dilation"])),
    tol=A, family="conv")
