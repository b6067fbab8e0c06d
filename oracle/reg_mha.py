"""reg_mha.py: the oracle registry's entry for multi-head attention (issue 15, area mha;
libl2/nn/attention.c) against torch 1.13's F.multi_head_attention_forward with the same weights
(batch_first handled as nn.MultiheadAttention does: transposed views, query is key is value
kept). A case draws the mode (self-attention: one tensor for query, key and value; key is value;
cross; separate q/k/v projection weights with kdim/vdim), batched or unbatched, batch_first,
the biases, masks (bool or float key padding mask, 2-d or 3-d bool or float attn_mask),
need_weights and average_attn_weights, and in one case of eight an invalid argument (error
parity). Every float input, float masks included, is differentiated through output 0."""
import ctypes as C

import torch
import torch.nn.functional as F

from registry import FLOATS, REGISTRY, add


class MhaArgs(C.Structure):  # l2_mha_args, field for field (l2.h)
    _fields_ = [("in_proj_weight", C.c_void_p), ("in_proj_bias", C.c_void_p),
                ("use_separate_proj_weight", C.c_bool),
                ("q_proj_weight", C.c_void_p), ("k_proj_weight", C.c_void_p),
                ("v_proj_weight", C.c_void_p),
                ("out_proj_weight", C.c_void_p), ("out_proj_bias", C.c_void_p),
                ("key_padding_mask", C.c_void_p), ("attn_mask", C.c_void_p),
                ("need_weights", C.c_bool), ("average_attn_weights", C.c_bool),
                ("batch_first", C.c_bool), ("dropout_p", C.c_double), ("training", C.c_bool),
                ("bias_k", C.c_void_p), ("bias_v", C.c_void_p), ("add_zero_attn", C.c_bool)]


MODES = ("self", "kv", "cross", "sep")


def g_mha(d, dt):
    mode = d.choice(MODES)
    H = d.choice([1, 2, 4, 1, 2])
    D = d.choice([1, 2, 3, 4])
    E = H * D
    L, S, N = d.choice([1, 2, 3, 5, 0, 4]), d.choice([1, 2, 4, 6, 0, 3]), d.choice([1, 2, 3, 0])
    if mode == "self":
        S = L
    batched = d.int(0, 5) > 0
    bf = batched and d.bool()
    kdim = d.choice([1, 3, 5]) if mode == "sep" else E
    vdim = d.choice([2, 4, E]) if mode == "sep" else E
    if mode == "kv":
        vdim = kdim
    a = {"mode": mode, "H": H, "batched": batched, "bf": bf, "need": d.int(0, 3) > 0,
         "avg": d.bool(), "err": "", "training": True, "dropout": 0.0}
    # (minimal draws, Hypothesis's favourite, are valid cases)
    # (libl2's refusals where torch succeeds, dropout in training and a float key padding mask
    # with a float attn_mask, are tested in tests/test-attention.c)
    err = d.int(0, 7) == 7 and d.choice(["amshape", "kpmshape", "amdtype", "heads", "wshape",
                                         "qrank", "kvshape", "nheads0"])

    def seq(T, F_):  # a (T, N, F) input in the drawn layout
        if not batched:
            return (T, F_)
        return (N, T, F_) if bf else (T, N, F_)

    xs = []
    idx = {}

    def put(name, shape, dtype=dt, kind="normal"):
        idx[name] = len(xs)
        xs.append(d.tensor(shape, dtype, kind))

    put("q", seq(L, E) if err != "qrank" else (2, 2, 2, E))
    if mode != "self":
        put("k", seq(S, kdim))
        if mode != "kv":
            put("v", seq(S, vdim) if err != "kvshape" else seq(S + 1, vdim))
    if mode == "sep":
        put("wq", (E, E))
        put("wk", (E, kdim))
        put("wv", (E, vdim))
    else:
        put("w_in", (3 * E, E + (1 if err == "wshape" else 0)))
    if d.int(0, 3):
        put("b_in", (3 * E,))
    put("w_out", (E, E))
    if d.int(0, 3):
        put("b_out", (E,))
    kpm = d.choice([None, None, "bool", "float"])
    am = d.choice([None, None, "bool2", "float2", "bool3", "float3"])
    if kpm == "float" and am and am.startswith("float"):
        kpm = "bool"  # refused by libl2 (torch too, unless empty or of 0s and 1s): C test
    if err in ("amshape", "amdtype") and am is None:
        am = "float2"
    if err == "kpmshape" and kpm is None:
        kpm = "bool"
    if kpm:
        ks = (N, S) if batched else (S,)
        if err == "kpmshape":
            ks = (N, S + 1) if batched else (S, 1)
        put("kpm", ks, "bool" if kpm == "bool" else d.choice([dt, dt, "float32", "float64"]))
    if am:
        ms = (L, S) if am.endswith("2") else ((N * H if batched else H), L, S)
        if err == "amshape":
            ms = (L + 1, S) if am.endswith("2") else (H + 1, L, S)
        mdt = "bool" if am.startswith("bool") else dt
        if err == "amdtype" or (mdt != "bool" and not d.int(0, 5)):
            mdt = "int64" if err == "amdtype" else ("float64" if dt == "float32" else "float32")
        put("am", ms, mdt)
    if err == "heads":
        a["H"] = H + 1 if E % (H + 1) else H + 2  # not dividing E
        if E % a["H"] == 0:
            a["H"] = E + 1
    elif err == "nheads0":
        a["H"] = 0
    elif err == "dropout":
        a["dropout"] = 0.25
    a["err"] = err or ""
    a["idx"] = idx
    return {"inputs": xs, "args": a}


def _get(ts, a, name):
    i = a["idx"].get(name)
    return None if i is None else ts[i]


def _qkv(ts, a):
    q = _get(ts, a, "q")
    if a["mode"] == "self":
        return q, q, q
    k = _get(ts, a, "k")
    return q, k, (k if a["mode"] == "kv" else _get(ts, a, "v"))


def t_mha(ts, a):
    q, k, v = _qkv(ts, a)
    if a["bf"]:  # as nn.MultiheadAttention: transposed views, identities kept
        q2 = q.transpose(1, 0)
        k2 = q2 if k is q else k.transpose(1, 0)
        v2 = k2 if v is k else v.transpose(1, 0)
        q, k, v = q2, k2, v2
    sep = a["mode"] == "sep"
    E = q.shape[-1]
    out, w = F.multi_head_attention_forward(
        q, k, v, E, a["H"], _get(ts, a, "w_in"), _get(ts, a, "b_in"), None, None, False,
        a["dropout"], _get(ts, a, "w_out"), _get(ts, a, "b_out"), training=a["training"],
        key_padding_mask=_get(ts, a, "kpm"), need_weights=a["need"],
        attn_mask=_get(ts, a, "am"), use_separate_proj_weight=sep,
        q_proj_weight=_get(ts, a, "wq"), k_proj_weight=_get(ts, a, "wk"),
        v_proj_weight=_get(ts, a, "wv"), average_attn_weights=a["avg"])
    if a["bf"]:
        out = out.transpose(1, 0)
    return (out, w) if a["need"] else (out,)


def c_mha(f, xs, a):
    s = MhaArgs()
    for field, name in (("in_proj_weight", "w_in"), ("in_proj_bias", "b_in"),
                        ("q_proj_weight", "wq"), ("k_proj_weight", "wk"),
                        ("v_proj_weight", "wv"), ("out_proj_weight", "w_out"),
                        ("out_proj_bias", "b_out"), ("key_padding_mask", "kpm"),
                        ("attn_mask", "am")):
        setattr(s, field, _get(xs, a, name))
    s.use_separate_proj_weight = a["mode"] == "sep"
    s.need_weights = a["need"]
    s.average_attn_weights = a["avg"]
    s.batch_first = a["bf"]
    s.dropout_p = a["dropout"]
    s.training = a["training"]
    q, k, v = _qkv(xs, a)
    w = C.c_void_p()
    r = f(q, k, v, a["H"], C.addressof(s), C.byref(w))
    if not r:
        return None
    return (r, w.value) if a["need"] else (r,)


class _TermSoftmax(torch.autograd.Function):
    """softmax over the last dim whose backward gives the sizes of its terms: w (|g| + sum w |g|)
    instead of w (g - sum w g)."""
    @staticmethod
    def forward(ctx, x):
        w = torch.softmax(x, -1)
        ctx.save_for_backward(w)
        return w

    @staticmethod
    def backward(ctx, g):
        w, = ctx.saved_tensors
        g = g.abs()
        return w * (g + (w * g).sum(-1, keepdim=True))


def _terms_out(ts, a):
    """Output 0 of the attention written out in torch (the formula of
    F.multi_head_attention_forward) with _TermSoftmax: at |inputs| and with |upstream|, its
    gradients are the sums of |terms| of the true ones."""
    q, k, v = _qkv(ts, a)
    kpm, am = _get(ts, a, "kpm"), _get(ts, a, "am")
    if a["bf"]:
        q, k, v = q.transpose(1, 0), k.transpose(1, 0), v.transpose(1, 0)
    if not a["batched"]:
        q, k, v = q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1)
        if kpm is not None:
            kpm = kpm.unsqueeze(0)
    L, N, E = q.shape
    S, H = k.shape[0], a["H"]
    D = E // H
    b = _get(ts, a, "b_in")
    bs = [None] * 3 if b is None else list(b.chunk(3))
    ws = ([_get(ts, a, n) for n in ("wq", "wk", "wv")] if a["mode"] == "sep" else
          list(_get(ts, a, "w_in").chunk(3)))
    qh, kh, vh = [F.linear(x, w, bb).reshape(T, N * H, D).transpose(0, 1)
                  for x, w, bb, T in zip((q, k, v), ws, bs, (L, S, S))]
    sc = torch.bmm(qh / D ** 0.5, kh.transpose(1, 2))
    m = None
    if am is not None:
        m = am if am.dtype == torch.bool else am.to(q.dtype)
    if kpm is not None:
        k3 = kpm.reshape(N, 1, 1, S).expand(-1, H, -1, -1).reshape(N * H, 1, S)
        if k3.dtype != torch.bool:
            k3 = k3.to(q.dtype)
        if m is None:
            m = k3
        elif m.dtype == torch.bool:
            m = m.logical_or(k3)
        else:
            m = m.masked_fill(k3, float("-inf"))
    if m is not None:
        if m.dtype == torch.bool:
            m = torch.zeros(m.shape, dtype=q.dtype).masked_fill(m, float("-inf"))
        sc = sc + m
    w = _TermSoftmax.apply(sc)
    o = torch.bmm(w, vh).transpose(0, 1).reshape(L * N, E)
    return F.linear(o, _get(ts, a, "w_out"), _get(ts, a, "b_out"))


def mag_mha(xs, a, g):
    """Magnitudes: "perturb" plus, forward, the results at |float inputs|, and, backward, the
    sums of |terms| of each float input's gradient (_terms_out): the key bias's gradient is zero
    by softmax's shift invariance for any inputs, only the sizes of its terms bound the
    roundings."""
    ins = [x.detach().abs().requires_grad_(True) if x.is_floating_point() else x for x in xs]
    diff = [t for t in ins if t.is_floating_point()]
    with torch.enable_grad():
        if g is None:
            return "perturb", [o.detach().abs() for o in t_mha(ins, a)]
        out = _terms_out(ins, a)
        gr = torch.autograd.grad(out, diff, g.abs().reshape(out.shape) if not a["bf"] else
                                 g.abs().transpose(0, 1).reshape(out.shape), allow_unused=True)
    # the same terms with the weights softmax gives at the actual inputs: at |inputs| the
    # scores, hence the weights, differ, and a weight large here may be tiny there (the terms
    # of a masked score's gradient, w (g - sum w g), are as large as the actual w makes them)
    ins2 = [x.detach().requires_grad_(True) if x.is_floating_point() else x for x in xs]
    diff2 = [t for t in ins2 if t.is_floating_point()]
    with torch.enable_grad():
        out2 = _terms_out(ins2, a)
        gr2 = torch.autograd.grad(out2, diff2, g.abs().reshape(out2.shape) if not a["bf"] else
                                  g.abs().transpose(0, 1).reshape(out2.shape),
                                  allow_unused=True)
    # x4: softmax's exp turns a rounding of a score s into a relative error of about |s| eps in
    # its weight, which the terms' sizes alone do not carry (3 of 4,100 cases at x1)
    return "perturb", [torch.zeros_like(t) if r is None else
                       4 * (r.abs() if r2 is None else torch.maximum(r.abs(), r2.abs()))
                       for t, r, r2 in zip(diff, gr, gr2)]


add("l2_multi_head_attention", "T:TTTlpP", g_mha, t_mha, c_mha, tol="accumulating",
    dtypes=FLOATS, family="nn", outputs=2, mag=mag_mha)

assert "l2_multi_head_attention" in REGISTRY
