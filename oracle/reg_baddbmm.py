"""reg_baddbmm.py: the oracle registry's entries for torch.baddbmm and torch.addbmm (issue 15,
area baddbmm; libl2/ops/baddbmm.c). A case draws B, M, K, N (small products, which libl2 runs
through torch's own loop, and products of K*M*N >= 400, which go to BLAS), the input's
broadcast shape, beta and alpha (0 included: beta 0 ignores input, alpha 0 still multiplies),
for baddbmm in one case of six an input of another dtype (torch converts it), and in one case of
twelve an invalid argument (error parity: ranks, batch or K mismatch, input not broadcasting,
batches of two dtypes, addbmm's input of another dtype)."""
import torch

from registry import NUM, _num, _other_dt, _vk, add


def g_bmm_add(kind):
    def gen(d, dt):
        b, m, k, n = d.int(0, 3), d.int(0, 6), d.int(0, 6), d.int(0, 6)
        if d.int(0, 5) == 0:  # torch's BLAS path: K * M * N >= 400
            b, m, k, n = d.choice([(2, 9, 8, 7), (3, 12, 5, 20), (1, 33, 17, 9), (4, 20, 1, 21)])
        if d.int(0, 9) == 0:
            b = 0
        out = (b, m, n) if kind == "baddbmm" else (m, n)
        full = list(out)
        cs = d.choice([tuple(full), tuple(full[1:]), (1,) * len(full), (full[-1],), (),
                       tuple([1] + full[1:]), tuple(full[:-1] + [1])])
        s1, s2 = (b, m, k), (b, k, n)
        cdt = _other_dt(d, dt) if kind == "baddbmm" else dt
        b2dt = dt
        err = d.int(0, 11) == 0 and d.choice(["rank1", "rank2", "batch", "k", "input", "dtype",
                                              "indtype"])
        if err == "rank1":
            s1 = (m, k)
        elif err == "rank2":
            s2 = (b, k, n, 1)
        elif err == "batch":
            s2 = (b + 1, k, n)
        elif err == "k":
            s2 = (b, k + 1, n)
        elif err == "input":
            cs = (m + 1, n) if kind == "addbmm" else (b + 1, m, n)
        elif err == "dtype" and min(b, m, k, n) > 0:  # (empty: see l2.h)
            b2dt = "float64" if dt != "float64" else "float32"
        elif err == "indtype" and kind == "addbmm" and b > 0:  # (B = 0: l2.h)
            cdt = "float64" if dt != "float64" else "int64"
        # int64: integral beta and alpha (libl2 refuses others, l2.h; torch truncates them)
        fl = dt != "int64"
        beta = d.choice([1.0, 0.5 if fl else 2.0, 0.0, -1.5 if fl else -1.0])
        alpha = d.choice([1.0, -2.0, 0.25 if fl else 3.0, 0.0])
        # addbmm's alpha 0 ignores the products (l2_addmm's rule, l2.h): finite batches then
        k1 = _vk(d, "uniform", dt, "wide", acc=True)
        k2 = _vk(d, "uniform", dt, "wide", acc=True)
        if kind == "addbmm" and alpha == 0:
            k1 = k2 = "uniform"
        return {"inputs": [d.tensor(cs, cdt), d.tensor(s1, dt, k1), d.tensor(s2, b2dt, k2)],
                "args": {"beta": beta, "alpha": alpha}}
    return gen


def t_baddbmm(ts, a):
    """torch.baddbmm; with beta 0, torch 1.13's small-product loop multiplies its uninitialized
    result by 0 (r *= beta) before accumulating, so NaN left in the allocator's memory (the
    oracle's NaN-gapped buffers) comes out as NaN. Where the call succeeds, the reference is
    then the same loop on a zero input with beta 1 (the same roundings: r = 0, r += alpha a b),
    plus 0 * input so that input's gradient is torch's beta * g = 0."""
    r = torch.baddbmm(ts[0], ts[1], ts[2], beta=_num(a["beta"]), alpha=_num(a["alpha"]))
    if a["beta"] != 0:
        return r
    z = torch.zeros(r.shape, dtype=r.dtype)
    r = torch.baddbmm(z, ts[1], ts[2], beta=1, alpha=_num(a["alpha"]))
    if ts[0].is_floating_point():
        r = r + 0 * ts[0].to(r.dtype)
    return r


def t_addbmm(ts, a):
    return torch.addbmm(ts[0], ts[1], ts[2], beta=_num(a["beta"]), alpha=_num(a["alpha"]))


for nm, ref in (("baddbmm", t_baddbmm), ("addbmm", t_addbmm)):
    add("l2_" + nm, "T:TTTdd", g_bmm_add(nm), ref,
        lambda f, xs, a: f(xs[0], xs[1], xs[2], a["beta"], a["alpha"]), tol="accumulating",
        dtypes=NUM, family="linalg")
