"""reg_reduce.py: the oracle registry's entries for reductions, linear algebra and indexing.
registry.py imports this module where the entries stood, so REGISTRY keeps its order."""
import math  # noqa: F401

import torch  # noqa: F401
import torch.nn.functional as F  # noqa: F401

from registry import *  # noqa: F401,F403
from registry import _num, _vk  # noqa: F401


# ---- reductions -------------------------------------------------------------------------
A = "accumulating"
_dims = lambda f, xs, a: f(xs[0], len(a["dims"]), i32a(a["dims"]), a["keepdim"])  # noqa: E731
g_all = lambda d, dt: {"inputs": [d.tensor(d.shape(), dt,  # noqa
                                            _vk(d, "uniform", dt, "wide", acc=True))],
                       "args": {}}


def t_red(fn):
    def ref(ts, a):
        x = ts[0]
        if x.dim() == 0 and not a["dims"]:
            return fn(x)
        return fn(x, dim=alldims(x, a["dims"]), keepdim=a["keepdim"])
    return ref


add("l2_sum", "T:T", g_all, lambda ts, a: torch.sum(ts[0]), tol=A, dtypes=ALL, family="reduce")
add("l2_sum_dims", "T:TiIb", g_reduce_dims(), t_red(torch.sum), _dims, tol=A, dtypes=ALL,
    family="reduce")
add("l2_mean", "T:T", g_all, lambda ts, a: torch.mean(ts[0]), tol=A, family="reduce")
add("l2_mean_dims", "T:TiIb", g_reduce_dims(), t_red(torch.mean), _dims, tol=A, family="reduce")
add("l2_prod", "T:T", g_all, lambda ts, a: torch.prod(ts[0]), tol=A, dtypes=NUM,
    family="reduce")
_dimk = lambda f, xs, a: f(xs[0], a["dim"], a["keepdim"])  # noqa: E731
add("l2_prod_dim", "T:Tib", g_reduce_dim(), lambda ts, a: torch.prod(ts[0], a["dim"],
                                                                     a["keepdim"]),
    _dimk, tol=A, dtypes=NUM, family="reduce")
add("l2_max", "T:T", g_all, lambda ts, a: torch.max(ts[0]), tol="exact", dtypes=NUM,
    family="reduce")
add("l2_min", "T:T", g_all, lambda ts, a: torch.min(ts[0]), tol="exact", dtypes=NUM,
    family="reduce")


def c_maxdim(f, xs, a):
    idx = T()
    v = f(xs[0], a["dim"], a["keepdim"], C.byref(idx))
    return (v, idx.value) if v else None


add("l2_max_dim", "T:TibP", g_reduce_dim(), lambda ts, a: tuple(torch.max(ts[0], a["dim"],
                                                                          a["keepdim"])),
    c_maxdim, tol="exact", dtypes=NUM, family="reduce", outputs=2, check="argext")
add("l2_min_dim", "T:TibP", g_reduce_dim(), lambda ts, a: tuple(torch.min(ts[0], a["dim"],
                                                                          a["keepdim"])),
    c_maxdim, tol="exact", dtypes=NUM, family="reduce", outputs=2, check="argext")
add("l2_argmax", "T:T", g_all, lambda ts, a: torch.argmax(ts[0]), tol="exact", dtypes=NUM,
    family="reduce", check="argext")
add("l2_argmin", "T:T", g_all, lambda ts, a: torch.argmin(ts[0]), tol="exact", dtypes=NUM,
    family="reduce", check="argext")
add("l2_argmax_dim", "T:Tib", g_reduce_dim(), lambda ts, a: torch.argmax(ts[0], a["dim"],
                                                                         a["keepdim"]),
    _dimk, tol="exact", dtypes=NUM, family="reduce", check="argext")
add("l2_argmin_dim", "T:Tib", g_reduce_dim(), lambda ts, a: torch.argmin(ts[0], a["dim"],
                                                                         a["keepdim"]),
    _dimk, tol="exact", dtypes=NUM, family="reduce", check="argext")


def g_var(d, dt):
    r = g_reduce_dims()(d, dt)
    r["args"]["correction"] = d.choice([0.0, 1.0, 2.0])
    return r


def t_var(fn):
    def ref(ts, a):
        x = ts[0]
        return fn(x, dim=alldims(x, a["dims"]) if x.dim() or a["dims"] else None,
                  correction=int(a["correction"]), keepdim=a["keepdim"])
    return ref


_var = lambda f, xs, a: f(xs[0], len(a["dims"]), i32a(a["dims"]), a["correction"],  # noqa
                          a["keepdim"])
add("l2_var", "T:TiIdb", g_var, t_var(torch.var), _var, tol=A, family="reduce")
add("l2_std", "T:TiIdb", g_var, t_var(torch.std), _var, tol=A, family="reduce")
add("l2_logsumexp", "T:TiIb", g_reduce_dims(),
    lambda ts, a: torch.logsumexp(ts[0], alldims(ts[0], a["dims"]), a["keepdim"]), _dims, tol=A,
    family="reduce")


def g_norm(d, dt):
    r = g_reduce_dims("nonzero")(d, dt)
    r["args"]["p"] = d.choice([2.0, 1.0, 3.0, math.inf, 0.5])
    return r


add("l2_norm", "T:TdiIb", g_norm,
    lambda ts, a: torch.linalg.vector_norm(ts[0], a["p"], alldims(ts[0], a["dims"]) or None,
                                           a["keepdim"]),
    lambda f, xs, a: f(xs[0], a["p"], len(a["dims"]), i32a(a["dims"]), a["keepdim"]), tol=A,
    family="reduce")
add("l2_cumsum", "T:Ti", g_dim(0), lambda ts, a: torch.cumsum(ts[0], a["dim"]),
    lambda f, xs, a: f(xs[0], a["dim"]), tol=A, dtypes=NUM, family="reduce")
for nm, fn in [("all", torch.all), ("any", torch.any)]:
    add("l2_" + nm, "T:T", lambda d, dt: {"inputs": [d.tensor(d.shape(), dt, "ties")],
                                          "args": {}},
        (lambda fn: lambda ts, a: fn(ts[0]))(fn), tol="exact", dtypes=ALL, family="reduce")
    add("l2_%s_dim" % nm, "T:Tib",
        lambda d, dt: dict(g_reduce_dim("ties")(d, dt)),
        (lambda fn: lambda ts, a: fn(ts[0], a["dim"], a["keepdim"]))(fn), _dimk, tol="exact",
        dtypes=ALL, family="reduce")

# ---- linalg -----------------------------------------------------------------------------


def g_mm(kind):
    def gen(d, dt):
        m, k, n = d.int(0, 9), d.int(0, 9), d.int(0, 9)
        if d.int(0, 7) == 0:
            m, k, n = d.choice([(45, 65, 23), (1, 128, 1), (33, 17, 64)])
        b = d.int(1, 3)
        bad = d.int(0, 24) == 0
        k2 = k + 1 if bad else k
        sh = {"mm": [(m, k), (k2, n)], "bmm": [(b, m, k), (b, k2, n)], "mv": [(m, k), (k2,)],
              "dot": [(k,), (k2,)], "outer": [(m,), (n,)]}.get(kind)
        if kind == "matmul":
            ra, rb = d.int(1, 4), d.int(1, 4)
            bat = [d.int(1, 3) for _ in range(2)]
            sa = ([1 if d.bool() else x for x in bat][:max(ra - 2, 0)] + [m, k])[-ra:]
            sb = (bat[:max(rb - 2, 0)] + [k2, n])[-rb:] if rb > 1 else [k2]
            if ra == 1:
                sa = [k]
            sh = [tuple(sa), tuple(sb)]
        return {"inputs": [d.tensor(s, dt, _vk(d, "uniform", dt, "wide", acc=True)) for s in sh],
                "args": {}}
    return gen


for nm in ("matmul", "mm", "bmm", "mv", "dot", "outer"):
    add("l2_" + nm, "T:TT", g_mm(nm), (lambda fn: lambda ts, a: fn(ts[0], ts[1]))(
        getattr(torch, nm)), tol=A, dtypes=NUM, family="linalg")


def g_addmm(d, dt):
    m, k, n = d.int(0, 8), d.int(0, 8), d.int(0, 8)
    cs = d.choice([(m, n), (n,), (1, n), (m, 1), ()])
    # int64: integral beta and alpha (libl2 refuses others, l2.h; torch 1.13 truncates them)
    fl = dt != "int64"
    return {"inputs": [d.tensor(cs, dt), d.tensor((m, k), dt), d.tensor((k, n), dt)],
            "args": {"beta": d.choice([1.0, 0.5 if fl else 2.0, 0.0]),
                     "alpha": d.choice([1.0, -2.0, 0.25 if fl else 3.0])}}


add("l2_addmm", "T:TTTdd", g_addmm,
    lambda ts, a: torch.addmm(ts[0], ts[1], ts[2], beta=_num(a["beta"]),
                              alpha=_num(a["alpha"])),
    lambda f, xs, a: f(xs[0], xs[1], xs[2], a["beta"], a["alpha"]), tol=A, dtypes=NUM,
    family="linalg")


def g_linear(d, dt):
    lead = d.shape(max_dims=2, max_side=5)
    i, o = d.int(0, 9), d.int(0, 9)
    x = d.tensor(tuple(lead) + (i,), dt)
    return {"inputs": [x, d.tensor((o, i), dt), d.tensor((o,), dt) if d.bool() else None],
            "args": {}}


add("l2_linear", "T:TTT", g_linear, lambda ts, a: F.linear(ts[0], ts[1], ts[2]), tol=A,
    dtypes=NUM, family="linalg")

# ---- indexing ---------------------------------------------------------------------------


def g_index_select(d, dt):
    s = d.shape(min_dims=1)
    dim = d.dim(len(s))
    n = s[dim]
    bad = d.int(0, 24) == 0
    idx = d.tensor((d.int(0, 6),), "int64", "randint:%d:%d" % (-n if False else 0,
                                                                n + (1 if bad else 0)))
    return {"inputs": [d.tensor(s, dt), idx], "args": {"dim": dim}}


add("l2_index_select", "T:TiT", g_index_select,
    lambda ts, a: torch.index_select(ts[0], a["dim"], ts[1]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1]), tol="exact", dtypes=ALL, diff=(0,),
    family="index")


def g_gather(scatter):
    def gen(d, dt):
        s = d.shape(min_dims=1, min_side=1)
        dim = d.dim(len(s))
        n = s[dim]
        ish = [d.int(0, x) for x in s]
        ish[dim] = d.int(0, 5)
        bad = d.int(0, 24) == 0
        idx = d.tensor(ish, "int64", "randint:0:%d" % (n + (1 if bad else 0)))
        ins = [d.tensor(s, dt), idx]
        if scatter:
            ins.append(d.tensor(ish, dt))
        return {"inputs": ins, "args": {"dim": dim}}
    return gen


add("l2_gather", "T:TiT", g_gather(False), lambda ts, a: torch.gather(ts[0], a["dim"], ts[1]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1]), tol="exact", dtypes=ALL, diff=(0,),
    family="index")
add("l2_scatter_add", "T:TiTT", g_gather(True),
    lambda ts, a: torch.scatter_add(ts[0], a["dim"], ts[1], ts[2]),
    lambda f, xs, a: f(xs[0], a["dim"], xs[1], xs[2]), tol=A, dtypes=NUM, diff=(0, 2),
    family="index")


def g_embedding(d, dt):
    n, e = d.int(1, 9), d.int(0, 6)
    bad = d.int(0, 24) == 0
    return {"inputs": [d.tensor((n, e), dt), d.tensor(d.shape(max_dims=3), "int64",
                                                      "randint:0:%d" % (n + bad))], "args": {}}


add("l2_embedding", "T:TT", g_embedding, lambda ts, a: F.embedding(ts[1], ts[0]), tol=A,
    diff=(0,), family="index")


def g_one_hot(d, dt):
    k = d.int(1, 6)
    return {"inputs": [d.tensor(d.shape(max_dims=3), "int64", "randint:0:%d" % k)],
            "args": {"num_classes": d.choice([k, k + 2, -1, k - 1 if k > 1 else -1])}}


add("l2_one_hot", "T:Tl", g_one_hot, lambda ts, a: F.one_hot(ts[0], a["num_classes"]),
    lambda f, xs, a: f(xs[0], a["num_classes"]), tol="exact", dtypes=("int64",),
    family="index")
