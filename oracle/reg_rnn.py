"""reg_rnn.py: the oracle registry's entries for the recurrent layers of issue 15 (area rnn;
libl2/nn/rnn.c): the four cells against torch.rnn_tanh_cell, rnn_relu_cell, lstm_cell and
gru_cell (1-d input as nn.RNNCell treats it: a batch of one), and l2_rnn against torch.rnn_tanh,
rnn_relu, lstm and gru (nn.RNN/LSTM/GRU's functional forms, dropout 0; unbatched input as nn's
modules treat it). registry.py imports this module at its end. Ops with more than one result
(lstm_cell's c', l2_rnn's h_n and c_n) are judged through one tensor: every result flattened
and concatenated (in libl2 by l2_flatten and l2_cat, in torch the same), so the gradients of
every input and weight see a random upstream gradient on every result."""
import ctypes as C

import torch

import l2lib
from registry import REGISTRY, add  # noqa: F401

_AUX = {}


def _aux():
    """flatten, cat and release of the library under test (the same dlopen handle)."""
    if not _AUX:
        dll = C.CDLL(l2lib.find_library())
        fl = dll.l2_flatten
        fl.restype, fl.argtypes = C.c_void_p, [C.c_void_p, C.c_int, C.c_int]
        cat = dll.l2_cat
        cat.restype, cat.argtypes = C.c_void_p, [C.c_int, C.POINTER(C.c_void_p), C.c_int]
        rel = dll.l2_tensor_release
        rel.restype, rel.argtypes = None, [C.c_void_p]
        _AUX.update(flatten=fl, cat=cat, release=rel)
    return _AUX


def _join(outs):
    """One libl2 tensor: the results flattened and concatenated; releases the results. None
    (nothing leaked) when a result is missing."""
    a = _aux()
    if not all(outs):
        for o in outs:
            if o:
                a["release"](o)
        return None
    fl = [a["flatten"](o, 0, -1) for o in outs]
    arr = (C.c_void_p * len(fl))(*fl)
    r = a["cat"](len(fl), arr, 0) if all(fl) else None
    for t in fl + list(outs):
        if t:
            a["release"](t)
    return r


def _tjoin(ts):
    return torch.cat([t.reshape(-1) for t in ts])


GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}
MODES = {"rnn_tanh": 0, "rnn_relu": 1, "lstm": 2, "gru": 3}  # l2_rnn_mode


# ---- cells -------------------------------------------------------------------------------

def g_cell(kind):
    G = GATES[kind]

    def gen(d, dt):
        B, I, H = d.choice([0, 1, 3]), d.choice([1, 4]), d.choice([1, 3, 5])
        # (w_hh rows other than G * H are not drawn: torch does not check them; its result
        # broadcasts or it crashes, and libl2 refuses them, see l2.h)
        r = d.int(0, 11)
        unb = r == 1
        xs = (I,) if unb else (B, I)
        hs = (H,) if unb else (B, H)
        wih, whh = (G * H, I), (G * H, H)
        if r == 2:
            xs = (B, I + 1)  # input size mismatch: torch raises
        elif r == 3 and not unb:
            hs = (B + 1, H)  # hidden batch mismatch
        elif r == 5:
            xs = (1, B, I)  # 3-d input
        ins = [d.tensor(xs, dt, "uniform"), d.tensor(hs, dt, "uniform")]
        if kind == "lstm":
            ins.append(d.tensor(hs, dt, "uniform"))
        ins += [d.tensor(wih, dt, "uniform"), d.tensor(whh, dt, "uniform"),
                d.tensor((G * H,), dt, "uniform"), d.tensor((G * H,), dt, "uniform")]
        return {"inputs": ins, "args": {"b_ih": d.int(0, 3) > 0, "b_hh": d.int(0, 3) > 0,
                                        "hx": d.int(0, 5) > 0}}
    return gen


def _cell_ref(kind):
    fn = {"rnn_tanh": torch.rnn_tanh_cell, "rnn_relu": torch.rnn_relu_cell,
          "gru": torch.gru_cell, "lstm": torch.lstm_cell}[kind]
    lstm = kind == "lstm"

    def ref(ts, a):
        x, h = ts[0], ts[1]
        c = ts[2] if lstm else None
        w = ts[3:] if lstm else ts[2:]
        if x.dim() not in (1, 2):  # nn.RNNCell's check (torch.*_cell's own is the same kind)
            raise ValueError("Expected input to be 1D or 2D, got %dD instead" % x.dim())
        unb = x.dim() == 1
        if not a["hx"]:  # nn's cells: zeros of (batch, hidden)
            zs = (w[1].shape[1],) if unb else (x.shape[0], w[1].shape[1])
            h = torch.zeros(zs, dtype=x.dtype)
            c = torch.zeros(zs, dtype=x.dtype) if lstm else None
        if unb:
            x, h = x.unsqueeze(0), h.unsqueeze(0)
            c = c.unsqueeze(0) if lstm else None
        bi = w[2] if a["b_ih"] else None
        bh = w[3] if a["b_hh"] else None
        if lstm:
            hy, cy = fn(x, (h, c), w[0], w[1], bi, bh)
            if unb:
                hy, cy = hy.squeeze(0), cy.squeeze(0)
            return _tjoin([hy, cy])
        hy = fn(x, h, w[0], w[1], bi, bh)
        return hy.squeeze(0) if unb else hy
    return ref


def _cell_call(kind):
    lstm = kind == "lstm"

    def call(f, xs, a):
        x, h = xs[0], xs[1] if a["hx"] else None
        c = (xs[2] if a["hx"] else None) if lstm else None
        w = xs[3:] if lstm else xs[2:]
        bi = w[2] if a["b_ih"] else None
        bh = w[3] if a["b_hh"] else None
        if lstm:
            cy = C.c_void_p()
            hy = f(x, h, c, w[0], w[1], bi, bh, C.byref(cy))
            return _join([hy, cy.value]) if hy else None
        return f(x, h, w[0], w[1], bi, bh)
    return call


# ---- tolerances ----------------------------------------------------------------------------
# The gradients pass through tanh / sigmoid derivatives that cancel where the gates saturate
# (1 - y^2 with y near 1): a one-ulp difference in y between libl2 and torch is then a large
# relative difference that "perturb" does not see. The extra magnitude is the gradient of a
# bound: the same recurrence in float64 on |inputs|, |weights| and |upstream gradient|, with
# every activation's derivative replaced by 1 (its bound), so each element's magnitude is the
# sum of |terms| its gradient adds up.


class _Bound(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, kind):
        return {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[kind](z)

    @staticmethod
    def backward(ctx, g):
        return g, None


def _act(z, kind):
    return _Bound.apply(z, kind)


def _cell_bound(kind, x, h, c, w):
    """One cell on absolute values, activations with derivative bound 1; (h', c')."""
    wih, whh = w[0], w[1]
    bih = w[2] if len(w) > 2 and w[2] is not None else None
    bhh = w[3] if len(w) > 3 and w[3] is not None else None
    gi = torch.nn.functional.linear(x, wih, bih)
    gh = torch.nn.functional.linear(h, whh, bhh)
    if kind in ("rnn_tanh", "rnn_relu"):
        return _act(gi + gh, "relu" if kind == "rnn_relu" else "tanh"), None
    if kind == "lstm":
        i, f, g, o = (gi + gh).chunk(4, -1)
        c1 = _act(f, "sigmoid") * c + _act(i, "sigmoid") * _act(g, "tanh")
        return _act(o, "sigmoid") * _act(c1, "tanh"), c1
    ir, iz, inn = gi.chunk(3, -1)
    hr, hz, hn = gh.chunk(3, -1)
    r = _act(ir + hr, "sigmoid")
    z = _act(iz + hz, "sigmoid")
    n = _act(inn + r * hn, "tanh")
    return (h + n) * z + n, None  # (h - n) z + n with |terms|


def _bound_grads(fwd, xs, g, diff_n):
    """Gradients of sum(|g| * fwd(|xs|)) w.r.t. the float inputs (None where unused)."""
    ins = [None if t is None else t.detach().abs().requires_grad_(True) for t in xs]
    with torch.enable_grad():
        out = fwd(ins)
        gr = torch.autograd.grad(out, [t for t in ins if t is not None], g.abs(),
                                 allow_unused=True)
    it = iter(gr)
    res = [None if t is None else next(it) for t in ins]
    return [torch.zeros_like(xs[i]) if res[i] is None else res[i] for i in range(diff_n)]


def mag_cell(kind):
    lstm = kind == "lstm"

    def mag(xs, a, g):
        if g is None:
            return "perturb"
        n = len(xs)

        def fwd(ins):
            x, h = ins[0], ins[1]
            c = ins[2] if lstm else None
            w = list(ins[3:] if lstm else ins[2:])
            w[2] = w[2] if a["b_ih"] else None
            w[3] = w[3] if a["b_hh"] else None
            if not a["hx"]:
                zs = (w[1].shape[1],) if x.dim() == 1 else (x.shape[0], w[1].shape[1])
                h = torch.zeros(zs, dtype=x.dtype)
                c = torch.zeros(zs, dtype=x.dtype) if lstm else None
            hy, cy = _cell_bound(kind, x, h, c, w)
            return _tjoin([hy, cy]) if lstm else hy
        return "perturb", _bound_grads(fwd, xs, g, n)
    return mag


def mag_seq(xs, a, g):
    if g is None:
        return "perturb"
    kind = a["mode"]
    lstm = kind == "lstm"
    bf, L = a["batch_first"], a["layers"]
    D = 2 if a["bidirectional"] else 1
    per = 4 if a["bias"] else 2

    def fwd(ins):
        x = ins[0]
        unb = x.dim() == 2
        if unb:
            x = x.unsqueeze(0 if bf else 1)
        if bf:
            x = x.transpose(0, 1)
        Tn, B = x.shape[0], x.shape[1]
        H = ins[4].shape[1]
        if a["hx"]:
            h0, c0 = ins[1], ins[2]
            if unb:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        else:
            h0 = c0 = torch.zeros((L * D, B, H), dtype=x.dtype)
        hn, cn = [], []
        inp = x
        for k in range(L):
            outs = []
            for d in range(D):
                st = k * D + d
                w = list(ins[3 + st * per: 3 + (st + 1) * per])
                h, c = h0[st], c0[st]
                ys = [None] * Tn
                for s in (range(Tn - 1, -1, -1) if d else range(Tn)):
                    h, c1 = _cell_bound(kind, inp[s], h, c, w)
                    c = c1 if lstm else c
                    ys[s] = h
                outs.append(torch.stack(ys))
                hn.append(h)
                cn.append(c)
            inp = torch.cat(outs, 2)
        y = inp.transpose(0, 1) if bf else inp
        hs, cs = torch.stack(hn), torch.stack(cn)
        if unb:
            y, hs, cs = y.squeeze(0 if bf else 1), hs.squeeze(1), cs.squeeze(1)
        return _tjoin([y, hs] + ([cs] if lstm else []))
    return "perturb", _bound_grads(fwd, xs, g, len(xs))


for _k in ("rnn_tanh", "rnn_relu", "gru", "lstm"):
    add("l2_%s_cell" % _k, "T:TTTTTTTP" if _k == "lstm" else "T:TTTTTT", g_cell(_k),
        _cell_ref(_k), _cell_call(_k), tol="accumulating", family="rnn", mag=mag_cell(_k))


# ---- the sequence function ---------------------------------------------------------------

def g_seq(d, dt):
    kind = d.choice(["rnn_tanh", "rnn_relu", "lstm", "gru"])
    G = GATES[kind]
    L = d.choice([1, 1, 2, 3])
    bidir, bias, bf = d.bool(), d.int(0, 3) > 0, d.bool()
    T, B, I, H = d.choice([1, 1, 2, 4]), d.choice([0, 1, 2]), d.choice([1, 3]), d.choice([1, 2, 4])
    D = 2 if bidir else 1
    r = d.int(0, 15)
    unb = r == 1
    if r == 2:
        T = 0  # torch: "Expected sequence length to be larger than 0"
    xs = (T, I) if unb else ((B, T, I) if bf else (T, B, I))
    hs = (L * D, H) if unb else (L * D, B, H)
    if r == 3:
        xs = xs[:-1] + (I + 1,)  # input size mismatch
    elif r == 4:
        hs = (L * D + 1,) + hs[1:]  # states for another number of layers
    ins = [d.tensor(xs, dt, "uniform"), d.tensor(hs, dt, "uniform"),
           d.tensor(hs, dt, "uniform")]
    for k in range(L):
        for _ in range(D):
            ins.append(d.tensor((G * H, I if k == 0 else D * H), dt, "uniform"))
            ins.append(d.tensor((G * H, H), dt, "uniform"))
            if bias:
                ins.append(d.tensor((G * H,), dt, "uniform"))
                ins.append(d.tensor((G * H,), dt, "uniform"))
    return {"inputs": ins, "args": {"mode": kind, "layers": L, "bias": bias, "batch_first": bf,
                                    "bidirectional": bidir, "hx": d.int(0, 4) > 0}}


def ref_seq(ts, a):
    kind = a["mode"]
    lstm = kind == "lstm"
    x, h, c = ts[0], ts[1], ts[2]
    w = list(ts[3:])
    bf = a["batch_first"]
    if x.dim() not in (2, 3):
        raise ValueError("%s: Expected input to be 2D or 3D, got %dD instead" % (kind, x.dim()))
    unb = x.dim() == 2
    D = 2 if a["bidirectional"] else 1
    if not a["hx"]:  # nn's modules: zeros of (layers * directions, batch, hidden)
        zs = (a["layers"] * D,) + (() if unb else (x.shape[0 if bf else 1],)) + (w[1].shape[1],)
        h = torch.zeros(zs, dtype=x.dtype)
        c = torch.zeros(zs, dtype=x.dtype)
    if unb:  # as nn.RNN: a batch of one at the batch dim
        if h.dim() != 2:
            raise RuntimeError("For unbatched 2-D input, hx should also be 2-D")
        x = x.unsqueeze(0 if bf else 1)
        h, c = h.unsqueeze(1), c.unsqueeze(1)
    fn = {"rnn_tanh": torch.rnn_tanh, "rnn_relu": torch.rnn_relu, "gru": torch.gru,
          "lstm": torch.lstm}[kind]
    if h.shape != (a["layers"] * D, x.shape[0 if bf else 1], w[1].shape[1]):
        raise RuntimeError("Expected hidden size %s, got %s" % (
            (a["layers"] * D, x.shape[0 if bf else 1], w[1].shape[1]), list(h.shape)))
    if lstm:
        out, hn, cn = fn(x, (h, c), w, a["bias"], a["layers"], 0.0, False, a["bidirectional"],
                         bf)
        res = [out, hn, cn]
    else:
        out, hn = fn(x, h, w, a["bias"], a["layers"], 0.0, False, a["bidirectional"], bf)
        res = [out, hn]
    if unb:
        res = [res[0].squeeze(0 if bf else 1)] + [t.squeeze(1) for t in res[1:]]
    return _tjoin(res)


def call_seq(f, xs, a):
    lstm = a["mode"] == "lstm"
    w = xs[3:]
    arr = (C.c_void_p * max(len(w), 1))(*w)
    hn, cn = C.c_void_p(), C.c_void_p()
    y = f(MODES[a["mode"]], xs[0], xs[1] if a["hx"] else None,
          xs[2] if a["hx"] and lstm else None, arr, a["layers"], a["bias"], a["batch_first"],
          a["bidirectional"], C.byref(hn), C.byref(cn) if lstm else None)
    if not y:
        return None
    return _join([y, hn.value] + ([cn.value] if lstm else []))


# inputs: input, h0, c0 (used by LSTM only), then the weights in torch's _flat_weights order
add("l2_rnn", "T:iTTTAibbbPP", g_seq, ref_seq, call_seq, tol="accumulating", family="rnn",
    mag=mag_seq)
