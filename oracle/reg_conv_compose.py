"""reg_conv_compose.py: the oracle registry's entries for the convolution family's composed
members (libl2/ops/conv-compose.c): conv1d, max_pool1d, avg_pool1d, pixel_shuffle and
pixel_unshuffle. registry.py imports this module at its end."""
import ctypes as C
import math

import torch
import torch.nn.functional as F

from registry import A, ALL, add, i64a
from registry import _vk


def g_conv1d(d, dt):
    g = d.choice([1, 1, 2])
    cin, cout, k = g * d.int(1, 3), g * d.int(1, 3), d.int(1, 4)
    dil = d.int(1, 2)
    length = d.int(dil * (k - 1) + 1, 12)
    x = ((d.int(1, 3),) if d.int(0, 3) else ()) + (cin, length)
    return {"inputs": [d.tensor(x, dt, _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((cout, cin // g, k), dt, _vk(d, "uniform", dt, "wide", acc=True)),
                       d.tensor((cout,), dt) if d.bool() else None],
            "args": {"stride": d.int(1, 3), "padding": d.int(0, 2), "dilation": dil, "groups": g}}


add("l2_conv1d", "T:TTTllll", g_conv1d,
    lambda ts, a: F.conv1d(ts[0], ts[1], ts[2], a["stride"], a["padding"], a["dilation"],
                           a["groups"]),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], a["stride"], a["padding"], a["dilation"],
                       a["groups"]), tol=A, family="conv")


def g_pool1d(d, dt):
    k = d.int(1, 4)
    x = ((d.int(1, 2),) if d.int(0, 3) else ()) + (d.int(1, 3), d.int(k, 12))
    return {"inputs": [d.tensor(x, dt, "normal")],
            "args": {"kernel": k, "stride": d.int(0, 3), "padding": d.int(0, k // 2)}}


def _pool1d(torch_fn):
    return lambda ts, a: torch_fn(ts[0], a["kernel"], a["stride"] or None, a["padding"])


_pool1d_call = lambda f, xs, a: f(xs[0], a["kernel"], a["stride"], a["padding"])  # noqa: E731
add("l2_max_pool1d", "T:Tlll", g_pool1d, _pool1d(F.max_pool1d), _pool1d_call, tol="exact",
    family="conv")
add("l2_avg_pool1d", "T:Tlll", g_pool1d, _pool1d(F.avg_pool1d), _pool1d_call, tol=A,
    family="conv")


def g_shuffle(up):
    def gen(d, dt):
        r = d.choice([1, 2, 2, 3])
        lead = tuple(d.int(1, 2) for _ in range(d.int(0, 2)))
        c, h, w = d.int(1, 2), d.int(1, 3), d.int(1, 3)
        shape = lead + ((c * r * r, h, w) if up else (c, h * r, w * r))
        return {"inputs": [d.tensor(shape, dt)], "args": {"r": r}}
    return gen


# torch 1.13's shuffle kernels refuse some strided 5-d inputs, even ones torch calls contiguous
# (size-1 dims with odd strides: "Unsupported memory format", known.py WORKAROUNDS
# pixel-shuffle-memory-format): torch gets a copy with standard strides, libl2 every layout.
def _dense(t):
    return t.clone(memory_format=torch.contiguous_format)


add("l2_pixel_shuffle", "T:Tl", g_shuffle(True),
    lambda ts, a: F.pixel_shuffle(_dense(ts[0]), a["r"]),
    lambda f, xs, a: f(xs[0], a["r"]), tol="exact", dtypes=ALL, family="conv")
add("l2_pixel_unshuffle", "T:Tl", g_shuffle(False),
    lambda ts, a: F.pixel_unshuffle(_dense(ts[0]), a["r"]),
    lambda f, xs, a: f(xs[0], a["r"]), tol="exact", dtypes=ALL, family="conv")


# ---- interpolate (libl2/ops/interp.c) -------------------------------------------------------

MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")  # l2_interp_mode's order
SCALES = (0.5, 0.75, 1.0, 1.3, 1.5, 1.75, 2.0, 2.5, 3.0)


def g_interp(d, dt):
    x = (d.int(1, 2), d.int(1, 3), d.int(1, 6), d.int(1, 6))
    mode = d.int(0, 3)
    align = mode >= 2 and d.bool()
    if d.bool():
        args = {"size": [d.int(1, 9), d.int(1, 9)], "scale": None}
    else:
        sc = [d.choice(SCALES), d.choice(SCALES)]
        sc = [s if math.floor(n * s) >= 1 else 2.0 for s, n in zip(sc, x[2:])]
        args = {"size": None, "scale": sc}
    args.update(mode=mode, align=align)
    return {"inputs": [d.tensor(x, dt, _vk(d, "uniform", dt, "wide", acc=True))], "args": args}


def t_interp(ts, a):
    """torch's interpolate on a copy with standard strides, and for mode "nearest" from a scale
    factor with one channel, on the channel twice: torch's channels-last and one-channel kernels
    copy an axis that keeps its size (and halve one that doubles) where its kernel for several
    channels, which libl2 follows, uses the scale (known.py WORKAROUNDS nearest-one-channel)."""
    m = MODES[a["mode"]]
    x = ts[0]
    one = a["mode"] == 0 and a["scale"] and x.shape[1] == 1
    x = _dense(torch.cat([x, x], dim=1) if one else x)
    y = F.interpolate(x, size=a["size"], scale_factor=a["scale"], mode=m,
                      align_corners=a["align"] if a["mode"] >= 2 else None)
    return y[:, :1] if one else y


def c_interp(f, xs, a):
    sc = C.cast((C.c_double * 2)(*a["scale"]), C.c_void_p) if a["scale"] else None
    return f(xs[0], i64a(a["size"]) if a["size"] else None, sc, a["mode"], a["align"])


def mag_interp(xs, a, gup):
    """Magnitudes: the sensitivity ("perturb": bicubic weights have both signs, so the op on |x|
    would understate its terms); bicubic adds 8 max|x| per plane (forward) or 8 sum|g| per plane
    (gradient): its weights are cubic polynomials whose terms reach about 6 (A = -0.75) while the
    weight may be near 0, so either library's float64 weight can be off by several ulp of 6
    (seen: torch 8 ulp from the exact value where libl2 was 5)."""
    if a["mode"] != 3:
        return "perturb"
    x = xs[0].detach()
    if gup is None:
        m = x.abs().amax(dim=(2, 3), keepdim=True) * 8
        return ("perturb", [m.expand(*x.shape[:2], *t_interp([x], a).shape[2:])])
    m = gup.detach().abs().sum(dim=(2, 3), keepdim=True) * 8
    return ("perturb", [m.expand(x.shape)])


add("l2_interpolate", "T:TLpib", g_interp, t_interp, c_interp, tol=A, family="conv",
    mag=mag_interp)


# ---- unfold and fold (libl2/ops/unfold.c) -----------------------------------------------------

def g_unfold_args(d, h, w):
    """kernel, dilation, padding, stride drawn so that at least one block fits (h, w)."""
    for _ in range(20):
        k = [d.int(1, 3), d.int(1, 3)]
        dil = [d.int(1, 2), d.int(1, 2)]
        pad = [d.int(0, 1), d.int(0, 1)]
        st = [d.int(1, 2), d.int(1, 2)]
        if all(n + 2 * p - dl * (kk - 1) - 1 >= 0
               for n, p, dl, kk in zip((h, w), pad, dil, k)):
            return {"kernel": k, "dilation": dil, "padding": pad, "stride": st}
    return {"kernel": [1, 1], "dilation": [1, 1], "padding": [0, 0], "stride": [1, 1]}


def _nblocks(n, k, dl, p, s):
    return (n + 2 * p - dl * (k - 1) - 1) // s + 1


def g_unfold(d, dt):
    lead = (d.int(1, 2),) if d.int(0, 3) else ()
    h, w = d.int(1, 6), d.int(1, 6)
    return {"inputs": [d.tensor(lead + (d.int(1, 3), h, w), dt)], "args": g_unfold_args(d, h, w)}


def g_fold(d, dt):
    lead = (d.int(1, 2),) if d.int(0, 3) else ()
    h, w = d.int(1, 6), d.int(1, 6)
    a = g_unfold_args(d, h, w)
    k = a["kernel"]
    L = _nblocks(h, k[0], a["dilation"][0], a["padding"][0], a["stride"][0]) * \
        _nblocks(w, k[1], a["dilation"][1], a["padding"][1], a["stride"][1])
    a["out"] = [h, w]
    return {"inputs": [d.tensor(lead + (d.int(1, 2) * k[0] * k[1], L), dt,
                                _vk(d, "uniform", dt, "wide", acc=True))], "args": a}


def _fargs(a):
    return [i64a(a[k]) for k in ("kernel", "dilation", "padding", "stride")]


add("l2_unfold", "T:TLLLL", g_unfold,
    lambda ts, a: F.unfold(ts[0], a["kernel"], a["dilation"], a["padding"], a["stride"]),
    lambda f, xs, a: f(xs[0], *_fargs(a)), tol="exact", family="conv")
add("l2_fold", "T:TLLLLL", g_fold,
    lambda ts, a: F.fold(ts[0], a["out"], a["kernel"], a["dilation"], a["padding"], a["stride"]),
    lambda f, xs, a: f(xs[0], i64a(a["out"]), *_fargs(a)), tol=A, family="conv")
