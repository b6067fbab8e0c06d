"""reg_conv_compose.py: the oracle registry's entries for the convolution family's composed
members (libl2/ops/conv-compose.c): conv1d, max_pool1d, avg_pool1d, pixel_shuffle and
pixel_unshuffle. registry.py imports this module at its end."""
import torch
import torch.nn.functional as F

from registry import A, ALL, add
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
