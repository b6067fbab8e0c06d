#!/usr/bin/env python3
"""sched_oracle.py: libl2's learning-rate schedulers and gradient clipping against torch 1.13.

Schedulers: every scheduler of l2.h's "Training" section with several argument sets runs ~200
steps beside torch.optim.lr_scheduler over an SGD optimizer, and every lr (after construction
and after each step; the optimizer's lr and get_last_lr) must be EXACTLY torch's (the same
bits). Also step(epoch), the state export/import round trip at mid-run, and error parity (torch
raises -> libl2 returns an error status and leaves the lr as it was).
Clipping: clip_grad_norm_ (norm types 2, 1, inf, 0, 3, 0.5, -inf, -2; float32, float64, mixed;
big grads at 1 and 2 threads on both sides;
nonfinite grads with and without error_if_nonfinite) and clip_grad_value_ against
torch.nn.utils on random grads. The norms accumulate in double in libl2 and in the grad's dtype
in torch, so the total norm and the clipped grads are compared within a few ulp (rtol 4e-7 for
float32, 1e-13 for float64; big float32 grads: libl2 within 4e-7 of a float64 reference, torch within 2e-5 of
it, as torch's float32 sums drift with the grad's length); clip_grad_value_ must be exact.
TAP on stdout; the library from $L2_LIB or $L2_BUILDDIR (l2lib.py). Usage: sched_oracle.py
"""
import ctypes as C
import math
import os
import struct
import sys
import warnings

import numpy as np
import torch
from torch.optim import lr_scheduler as LR

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import l2lib  # noqa: E402
import tap  # noqa: E402
from tap import ok  # noqa: E402

warnings.filterwarnings("ignore")
V, D, I64, I, B = C.c_void_p, C.c_double, C.c_int64, C.c_int, C.c_bool
F32, F64 = 0, 1


class SGDOpts(C.Structure):
    _fields_ = [("lr", D), ("momentum", D), ("dampening", D), ("weight_decay", D),
                ("nesterov", B), ("maximize", B)]


SIGS = {
    "l2_zeros": (V, [I, C.POINTER(I64), I]), "l2_from_data": (V, [V, I, C.POINTER(I64), I]),
    "l2_set_requires_grad": (I, [V, B]), "l2_tensor_release": (None, [V]),
    "l2_backward": (I, [V, V, B]), "l2_grad": (V, [V]), "l2_data_ptr": (V, [V]),
    "l2_sgd_defaults": (SGDOpts, [D]), "l2_sgd": (V, [I, C.POINTER(V), SGDOpts]),
    "l2_optimizer_get_lr": (D, [V]), "l2_optimizer_set_lr": (I, [V, D]),
    "l2_optimizer_free": (None, [V]), "l2_last_error": (C.c_char_p, []),
    "l2_step_lr": (V, [V, I64, D]), "l2_multistep_lr": (V, [V, I, C.POINTER(I64), D]),
    "l2_exponential_lr": (V, [V, D]), "l2_cosine_annealing_lr": (V, [V, I64, D]),
    "l2_linear_lr": (V, [V, D, D, I64]),
    "l2_sequential_lr": (V, [V, I, C.POINTER(V), C.POINTER(I64)]),
    "l2_one_cycle_lr": (V, [V, D, I64, D, B, D, D, B]),
    "l2_cosine_annealing_warm_restarts": (V, [V, I64, I64, D]),
    "l2_reduce_lr_on_plateau": (V, [V, B, D, I64, D, B, I64, D, D]),
    "l2_lr_scheduler_step": (I, [V]), "l2_lr_scheduler_step_metric": (I, [V, D]),
    "l2_lr_scheduler_step_epoch": (I, [V, D]), "l2_lr_scheduler_get_last_lr": (D, [V]),
    "l2_lr_scheduler_state": (V, [V]), "l2_lr_scheduler_load_state": (I, [V, V]),
    "l2_lr_scheduler_free": (None, [V]), "l2_named_free": (None, [V]),
    "l2_clip_grad_norm_": (I, [I, C.POINTER(V), D, D, B, C.POINTER(D)]),
    "l2_clip_grad_value_": (I, [I, C.POINTER(V), D]),
    "l2_set_num_threads": (I, [I]), "l2_get_num_threads": (I, []),
}

lib = C.CDLL(l2lib.find_library())
for _name, (_res, _args) in SIGS.items():
    _f = getattr(lib, _name)
    _f.restype, _f.argtypes = _res, _args


def bits(x):
    return struct.pack("<d", float(x))


def same(a, b):
    return bits(a) == bits(b) or (math.isnan(a) and math.isnan(b))


# ---- schedulers --------------------------------------------------------------------------

class Pair:
    """An SGD optimizer over one parameter in libl2 and in torch, with the same lr."""

    def __init__(self, lr):
        shape = (I64 * 1)(1)
        self.p = lib.l2_zeros(1, shape, F64)
        lib.l2_set_requires_grad(self.p, True)
        self.o = lib.l2_sgd(1, (V * 1)(self.p), lib.l2_sgd_defaults(lr))
        self.tp = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        self.to = torch.optim.SGD([self.tp], lr=lr)
        self.scheds = []

    def free(self):
        for s in self.scheds:
            lib.l2_lr_scheduler_free(s)
        lib.l2_optimizer_free(self.o)
        lib.l2_tensor_release(self.p)


def make(pair, spec):
    """spec: (name, args) -> (libl2 scheduler or None, torch scheduler or the exception)."""
    name, a = spec
    o, to = pair.o, pair.to
    if name == "step":
        mk = lambda: lib.l2_step_lr(o, a[0], a[1])  # noqa: E731
        tk = lambda: LR.StepLR(to, a[0], a[1])  # noqa: E731
    elif name == "multistep":
        ms = (I64 * max(1, len(a[0])))(*a[0])
        mk = lambda: lib.l2_multistep_lr(o, len(a[0]), ms, a[1])  # noqa: E731
        tk = lambda: LR.MultiStepLR(to, a[0], a[1])  # noqa: E731
    elif name == "exp":
        mk = lambda: lib.l2_exponential_lr(o, a[0])  # noqa: E731
        tk = lambda: LR.ExponentialLR(to, a[0])  # noqa: E731
    elif name == "cos":
        mk = lambda: lib.l2_cosine_annealing_lr(o, a[0], a[1])  # noqa: E731
        tk = lambda: LR.CosineAnnealingLR(to, a[0], a[1])  # noqa: E731
    elif name == "linear":
        mk = lambda: lib.l2_linear_lr(o, a[0], a[1], a[2])  # noqa: E731
        tk = lambda: LR.LinearLR(to, a[0], a[1], a[2])  # noqa: E731
    elif name == "onecycle":
        mx, tot, pct, cosa, div, fdiv, three = a
        mk = lambda: lib.l2_one_cycle_lr(o, mx, tot, pct, cosa, div, fdiv, three)  # noqa: E731
        tk = lambda: LR.OneCycleLR(to, mx, total_steps=tot, pct_start=pct,  # noqa: E731
                                   anneal_strategy="cos" if cosa else "linear",
                                   cycle_momentum=False, div_factor=div,
                                   final_div_factor=fdiv, three_phase=three)
    elif name == "warm":
        mk = lambda: lib.l2_cosine_annealing_warm_restarts(o, a[0], a[1], a[2])  # noqa: E731
        tk = lambda: LR.CosineAnnealingWarmRestarts(to, a[0], a[1], a[2])  # noqa: E731
    elif name == "plateau":
        mode_max, factor, pat, thr, thr_abs, cool, min_lr, eps = a
        mk = lambda: lib.l2_reduce_lr_on_plateau(o, mode_max, factor, pat, thr,  # noqa: E731
                                                 thr_abs, cool, min_lr, eps)
        tk = lambda: LR.ReduceLROnPlateau(to, "max" if mode_max else "min", factor,  # noqa: E731
                                          pat, thr, "abs" if thr_abs else "rel", cool,
                                          min_lr, eps)
    elif name == "seq":
        subs, ms = a
        parts = [make(pair, s) for s in subs]
        if any(p[0] is None or isinstance(p[1], Exception) for p in parts):
            raise RuntimeError("a sub-scheduler failed")
        arr = (V * len(parts))(*[p[0] for p in parts])
        msa = (I64 * max(1, len(ms)))(*ms)
        mk = lambda: lib.l2_sequential_lr(o, len(parts), arr, msa)  # noqa: E731
        tk = lambda: LR.SequentialLR(to, [p[1] for p in parts], ms)  # noqa: E731
    else:
        raise ValueError(name)
    try:
        t = tk()
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        t = e
    s = mk()
    if s and name != "seq":
        pair.scheds.append(s)
    elif s:  # the SequentialLR owns its parts: free only it
        pair.scheds = [x for x in pair.scheds if x not in list(arr)] + [s]
    return s, t


def lrs(pair, s, t):
    """(libl2 optimizer lr, get_last_lr), (torch's)."""
    tl = t.get_last_lr()[0] if hasattr(t, "get_last_lr") else pair.to.param_groups[0]["lr"]
    return ((lib.l2_optimizer_get_lr(pair.o), lib.l2_lr_scheduler_get_last_lr(s)),
            (pair.to.param_groups[0]["lr"], tl))


def run_sched(spec, lr=0.1, steps=200, metrics=None, epochs=None, state_at=None):
    """Construct, then step; compare every lr. Returns a failure message or None."""
    pair = Pair(lr)
    try:
        s, t = make(pair, spec)
        if isinstance(t, Exception):
            if s:
                return f"torch raised {t!r} at construction, libl2 made the scheduler"
            if lib.l2_optimizer_get_lr(pair.o) != pair.to.param_groups[0]["lr"]:
                return "lr changed by a failed construction"
            return None
        if not s:
            return f"libl2 failed at construction: {lib.l2_last_error().decode()}"
        n = len(metrics) if metrics else len(epochs) if epochs else steps
        for k in range(-1, n):
            if k >= 0:
                pair.to.step()
                err = None
                try:
                    if metrics:
                        t.step(metrics[k])
                    elif epochs:
                        t.step(epochs[k])
                    else:
                        t.step()
                except (ValueError, ZeroDivisionError, OverflowError) as e:
                    err = e
                before = lib.l2_optimizer_get_lr(pair.o)
                st = (lib.l2_lr_scheduler_step_metric(s, metrics[k]) if metrics else
                      lib.l2_lr_scheduler_step_epoch(s, epochs[k]) if epochs else
                      lib.l2_lr_scheduler_step(s))
                if err is not None:
                    if st == 0:
                        return f"step {k}: torch raised {err!r}, libl2 returned OK"
                    if not same(before, lib.l2_optimizer_get_lr(pair.o)):
                        return f"step {k}: a failed step changed the lr"
                    return None
                if st != 0:
                    return f"step {k}: libl2 failed: {lib.l2_last_error().decode()}"
            (a, b), (c, d) = lrs(pair, s, t)
            if not (same(a, c) and same(b, d)):
                return (f"step {k}: libl2 lr {a!r} last {b!r}, torch lr {c!r} last {d!r} "
                        f"(diff {a - c!r})")
            if state_at is not None and k == state_at:
                # round trip: export, step twice, load back, restore the lr: same run again
                d0 = lib.l2_lr_scheduler_state(s)
                if not d0:
                    return "state failed: " + lib.l2_last_error().decode()
                lr_saved = lib.l2_optimizer_get_lr(pair.o)
                lib.l2_lr_scheduler_step(s)
                lib.l2_lr_scheduler_step(s)
                st = lib.l2_lr_scheduler_load_state(s, d0)
                lib.l2_named_free(d0)
                lib.l2_optimizer_set_lr(pair.o, lr_saved)
                if st != 0:
                    return "load_state failed: " + lib.l2_last_error().decode()
                if not same(lib.l2_lr_scheduler_get_last_lr(s), b):
                    return "load_state did not restore _last_lr"
        return None
    finally:
        pair.free()


def sched_cases():
    L = "linear"
    cases = [
        ("StepLR 30 0.1", ("step", (30, 0.1)), {}),
        ("StepLR 7 0.5", ("step", (7, 0.5)), {"lr": 0.05}),
        ("StepLR 1 0.97", ("step", (1, 0.97)), {"lr": 1.0}),
        ("MultiStepLR [30,80]", ("multistep", ([30, 80], 0.1)), {}),
        ("MultiStepLR unsorted repeats", ("multistep", ([5, 5, 20, 3], 0.5)), {}),
        ("MultiStepLR none", ("multistep", ([], 0.1)), {}),
        ("ExponentialLR 0.95", ("exp", (0.95,)), {}),
        ("ExponentialLR 1.01", ("exp", (1.01,)), {"lr": 3e-4}),
        ("CosineAnnealingLR 50", ("cos", (50, 0.0)), {}),
        ("CosineAnnealingLR 200 1e-4", ("cos", (200, 1e-4)), {"lr": 3e-3}),
        ("CosineAnnealingLR 7 past T_max", ("cos", (7, 0.001)), {}),
        ("LinearLR defaults", (L, (1 / 3, 1.0, 5)), {}),
        ("LinearLR warmup 100", (L, (0.01, 1.0, 100)), {}),
        ("LinearLR decay", (L, (1.0, 0.1, 50)), {}),
        ("LinearLR constant", (L, (0.5, 0.5, 10)), {}),
        ("SequentialLR warmup+cosine",
         ("seq", ([(L, (0.01, 1.0, 10)), ("cos", (190, 0.0))], [10])), {"lr": 1e-3}),
        ("SequentialLR exp,step,cos",
         ("seq", ([("exp", (0.9,)), ("step", (5, 0.5)), ("cos", (40, 1e-5))], [20, 50])), {}),
        ("SequentialLR warmup+warm restarts",
         ("seq", ([(L, (0.1, 1.0, 5)), ("warm", (10, 2, 0.0))], [5])), {}),
        ("SequentialLR one", ("seq", ([("exp", (0.99,))], [])), {}),
        ("OneCycleLR cos", ("onecycle", (0.1, 200, 0.3, True, 25.0, 1e4, False)), {}),
        ("OneCycleLR linear", ("onecycle", (0.5, 200, 0.25, False, 10.0, 100.0, False)), {}),
        ("OneCycleLR three_phase", ("onecycle", (0.1, 200, 0.3, True, 25.0, 1e4, True)), {}),
        ("OneCycleLR three_phase linear", ("onecycle", (1.0, 157, 0.4, False, 25.0, 1e4, True)),
         {}),
        ("OneCycleLR beyond total_steps", ("onecycle", (0.1, 50, 0.3, True, 25.0, 1e4, False)),
         {"steps": 60}),
        ("WarmRestarts 10 1", ("warm", (10, 1, 0.0)), {}),
        ("WarmRestarts 5 2 1e-3", ("warm", (5, 2, 1e-3)), {}),
        ("WarmRestarts 1 3", ("warm", (1, 3, 0.0)), {}),
    ]
    rng = np.random.default_rng(16)
    walk = list(np.round(np.cumsum(rng.normal(0, 1, 200)) + 50, 1))  # repeats, plateaus
    walk[50:80] = [walk[50]] * 30
    cases += [
        ("ReduceLROnPlateau defaults", ("plateau", (False, 0.1, 10, 1e-4, False, 0, 0.0, 1e-8)),
         {"metrics": walk}),
        ("ReduceLROnPlateau min rel p3 cooldown 2",
         ("plateau", (False, 0.5, 3, 1e-2, False, 2, 1e-3, 1e-8)), {"metrics": walk}),
        ("ReduceLROnPlateau max abs", ("plateau", (True, 0.3, 2, 0.5, True, 1, 0.0, 1e-8)),
         {"metrics": walk}),
        ("ReduceLROnPlateau max rel patience 0",
         ("plateau", (True, 0.9, 0, 1e-3, False, 0, 1e-4, 1e-6)),
         {"metrics": [float(x) for x in rng.normal(0, 1, 200)]}),
        ("ReduceLROnPlateau NaN metrics", ("plateau", (False, 0.5, 1, 1e-4, False, 0, 0.0, 1e-8)),
         {"metrics": [1.0, float("nan"), 0.5, float("nan"), float("nan"), float("nan"), 2.0]}),
        # step(epoch): closed forms, warm restarts' own
        ("StepLR step(epoch)", ("step", (7, 0.5)), {"epochs": [0, 3, 3, 7, 14, 6, 100, 1]}),
        ("MultiStepLR step(epoch)", ("multistep", ([5, 5, 20, 3], 0.5)),
         {"epochs": [0, 3, 4, 5, 19, 20, 200, 2]}),
        ("ExponentialLR step(epoch)", ("exp", (0.9,)), {"epochs": [0, 1, 10, 5, 150]}),
        ("CosineAnnealingLR step(epoch)", ("cos", (10, 0.01)), {"epochs": [0, 1, 5, 10, 15, 3]}),
        ("LinearLR step(epoch)", (L, (0.1, 0.9, 8)), {"epochs": [0, 1, 4, 8, 9, 3]}),
        ("OneCycleLR step(epoch)", ("onecycle", (0.1, 40, 0.3, True, 25.0, 1e4, False)),
         {"epochs": [0, 5, 11, 12, 39, 40, 3]}),
        ("WarmRestarts step(epoch) mult 1", ("warm", (10, 1, 0.0)),
         {"epochs": [0.37 * i for i in range(100)]}),
        ("WarmRestarts step(epoch) mult 2", ("warm", (3, 2, 1e-4)),
         {"epochs": [1.3 * i for i in range(60)] + [2.0, 0.5, 100.0]}),
        ("ExponentialLR step(epoch) overflow", ("exp", (10.0,)), {"epochs": [0, 1, 400]}),
        # errors: torch raises (construction or a step), libl2 returns an error status
        ("LinearLR start_factor 1.5", (L, (1.5, 1.0, 5)), {}),
        ("LinearLR end_factor -0.1", (L, (0.5, -0.1, 5)), {}),
        ("LinearLR start_factor 0 (ZeroDivisionError)", (L, (0.0, 1.0, 5)), {}),
        ("StepLR step_size 0", ("step", (0, 0.1)), {}),
        ("CosineAnnealingLR T_max 0", ("cos", (0, 0.0)), {}),
        ("WarmRestarts T_0 0", ("warm", (0, 1, 0.0)), {}),
        ("WarmRestarts T_mult 0", ("warm", (5, 0, 0.0)), {}),
        ("OneCycleLR total_steps 0", ("onecycle", (0.1, 0, 0.3, True, 25.0, 1e4, False)), {}),
        ("OneCycleLR pct_start 1.5", ("onecycle", (0.1, 10, 1.5, True, 25.0, 1e4, False)), {}),
        ("OneCycleLR empty phase", ("onecycle", (0.1, 10, 0.1, True, 25.0, 1e4, False)), {}),
        ("OneCycleLR div_factor 0", ("onecycle", (0.1, 10, 0.3, True, 0.0, 1e4, False)), {}),
        ("ReduceLROnPlateau factor 1", ("plateau", (False, 1.0, 10, 1e-4, False, 0, 0.0, 1e-8)),
         {"metrics": [1.0]}),
    ]
    return cases


def test_schedulers():
    for name, spec, kw in sched_cases():
        kw = dict(kw)
        lr = kw.pop("lr", 0.1)
        if "metrics" not in kw and "epochs" not in kw and spec[0] not in ("plateau",):
            kw.setdefault("state_at", 37)
        msg = run_sched(spec, lr=lr, **kw)
        ok(msg is None, "lr " + name, msg or "")


# ---- clipping ----------------------------------------------------------------------------

def l2_params(arrays):
    """Leaves with grads = arrays (None: no grad)."""
    ps = []
    for a in arrays:
        shape = (I64 * max(1, a.ndim if a is not None else 1))(*(a.shape if a is not None
                                                                 else (2,)))
        dt = F32 if a is not None and a.dtype == np.float32 else F64
        nd = a.ndim if a is not None else 1
        p = lib.l2_zeros(nd, shape, dt)
        lib.l2_set_requires_grad(p, True)
        if a is not None:
            a = np.ascontiguousarray(a)
            g = lib.l2_from_data(a.ctypes.data, nd, shape, dt)
            assert lib.l2_backward(p, g, False) == 0, lib.l2_last_error()
            lib.l2_tensor_release(g)
        ps.append(p)
    return ps


def l2_grads(ps, arrays):
    out = []
    for p, a in zip(ps, arrays):
        if a is None:
            out.append(None)
            continue
        g = lib.l2_grad(p)
        buf = (C.c_char * a.nbytes).from_address(lib.l2_data_ptr(g))
        out.append(np.frombuffer(bytes(buf), dtype=a.dtype).reshape(a.shape))
    return out


def torch_params(arrays):
    ps = []
    for a in arrays:
        p = torch.zeros(a.shape if a is not None else (2,),
                        dtype=torch.float32 if a is not None and a.dtype == np.float32
                        else torch.float64, requires_grad=True)
        if a is not None:
            p.grad = torch.from_numpy(a.copy())
        ps.append(p)
    return ps


def close(a, b, f32):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.allclose(a, b, rtol=4e-7 if f32 else 1e-13, atol=0, equal_nan=True)


def ref_total(arrays, norm_type):
    """The total norm computed in float64 (numpy), each grad's norm rounded to its dtype and the
    total to float32 when no grad is float64, as libl2 and torch round them."""
    norms = [np.float64(np.linalg.norm(a.astype(np.float64).ravel(), ord=norm_type)
                        .astype(a.dtype)) for a in arrays]
    t = np.linalg.norm(np.array(norms), ord=norm_type)
    return float(np.float32(t)) if all(a.dtype == np.float32 for a in arrays) else float(t)


def clip_case(arrays, max_norm, norm_type, err_nonfinite, big=False):
    """None when libl2 agrees with torch. big: many-element float32 grads, whose float32 sums
    in torch drift with their length (measured up to 3e-6 relative at 307,200 elements):
    libl2's total is held to the float64 reference at the usual rtol, torch's to rtol 2e-5, and
    the grads (scaled by the two totals' coefficients) to rtol 2e-5."""
    tps = torch_params(arrays)
    terr, tn = None, None
    try:
        tn = float(torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type, err_nonfinite))
    except RuntimeError as e:
        terr = e
    ps = l2_params(arrays)
    total = D(-1.0)
    st = lib.l2_clip_grad_norm_(len(ps), (V * len(ps))(*ps), max_norm, norm_type,
                                err_nonfinite, C.byref(total))
    got = l2_grads(ps, arrays)
    for p in ps:
        lib.l2_tensor_release(p)
    if terr is not None:
        if st == 0:
            return f"torch raised {terr}, libl2 returned OK"
        for g, a in zip(got, arrays):
            if a is not None and g.tobytes() != a.tobytes():
                return "a failed clip changed a grad"
        return None
    if st != 0:
        return "libl2 failed: " + lib.l2_last_error().decode()
    f32 = any(a is not None and a.dtype == np.float32 for a in arrays)  # f32 norms in it
    if big and f32:
        ref = ref_total(arrays, norm_type)
        if not close(total.value, ref, True):
            return f"total norm {total.value!r}, float64 reference {ref!r} (torch {tn!r})"
        if not np.isclose(tn, ref, rtol=2e-5, atol=0):
            return f"torch's total norm {tn!r} is off the float64 reference {ref!r}"
    elif not close(total.value, tn, f32):
        return f"total norm {total.value!r}, torch {tn!r}"
    for g, a, tp in zip(got, arrays, tps):
        if a is None:
            continue
        want = tp.grad.numpy()
        if big and f32 and np.allclose(g.astype(np.float64), want.astype(np.float64),
                                       rtol=2e-5, atol=0, equal_nan=True):
            continue
        if not close(g, want, f32):  # the coefficient carries the f32 norms' rounding
            i = np.nanargmax(np.abs(g.astype(np.float64) - want))
            return f"grad differs: {g.flat[i]!r} vs torch {want.flat[i]!r}"
    return None


def test_clipping():
    rng = np.random.default_rng(1613)
    norm_types = [2.0, 1.0, math.inf, 0.0, 3.0, 0.5, -math.inf, -2.0]

    def grads(kind):
        f = {"f32": [np.float32] * 3, "f64": [np.float64] * 3,
             "mixed": [np.float32, np.float64, np.float32]}[kind]
        shapes = [(7, 5), (13,), (2, 3, 4)]
        return [(rng.standard_normal(s) * rng.uniform(0.1, 3)).astype(d)
                for s, d in zip(shapes, f)]

    for kind in ("f32", "f64", "mixed"):
        for nt in norm_types:
            fails = []
            for max_norm in (1.0, 0.25, 1e3, 0.0):
                m = clip_case(grads(kind), max_norm, nt, False)
                if m:
                    fails.append(f"max_norm {max_norm}: {m}")
            ok(not fails, f"clip_grad_norm_ {kind} norm_type {nt}", "\n".join(fails))
    # one NULL grad skipped, one empty grad, a single parameter
    for nt in (2.0, 1.0, 0.0):
        a = grads("f64")
        m = clip_case([a[0], None, np.zeros((0, 3)), a[1]], 0.5, nt, False)
        ok(m is None, f"clip_grad_norm_ NULL and empty grads norm_type {nt}", m or "")
    m = clip_case([np.zeros((0, 3)), grads("f32")[0]], 0.5, math.inf, False)
    ok(m is None, "clip_grad_norm_ inf norm of an empty grad: error parity", m or "")
    # nonfinite
    for bad in (math.nan, math.inf, -math.inf):
        for nt in (2.0, math.inf, 1.0):
            for err in (False, True):
                for dt in (np.float32, np.float64):
                    a = [x.astype(dt) for x in grads("f64")]
                    a[1][3] = bad
                    m = clip_case(a, 1.0, nt, err)
                    ok(m is None, f"clip_grad_norm_ {bad} grad, norm_type {nt}, "
                       f"error_if_nonfinite {err}, {np.dtype(dt).name}", m or "")
    # Big grads (libl2's chunked, threaded path from 2^16 elements, on 2 threads from 2^18),
    # at 1 and 2 threads on both sides: libl2's total does not depend on the thread count
    # (fixed chunks), torch's threaded sums add in another order; the rules above still hold.
    big = [(600, 512), (70000,), (300, 300)]
    th0 = (lib.l2_get_num_threads(), torch.get_num_threads())
    for th in (1, 2):
        lib.l2_set_num_threads(th)
        torch.set_num_threads(th)
        for kind in ("f32", "f64", "mixed"):
            f = {"f32": [np.float32] * 3, "f64": [np.float64] * 3,
                 "mixed": [np.float32, np.float64, np.float32]}[kind]
            fails = []
            for nt in (2.0, 1.0, math.inf, 3.0):
                a = [(rng.standard_normal(s) * rng.uniform(0.1, 3)).astype(d)
                     for s, d in zip(big, f)]
                m = clip_case(a, 1.0, nt, False, big=True)
                if m:
                    fails.append(f"norm_type {nt}: {m}")
            ok(not fails, f"clip_grad_norm_ big grads (307,200 + 70,000 + 90,000) {kind} at "
               f"{th} thread(s)", "\n".join(fails))
    lib.l2_set_num_threads(th0[0])
    torch.set_num_threads(th0[1])
    # clip_grad_value_
    for dt in (np.float32, np.float64):
        for cv in (0.5, 0.0, -0.3, math.inf, 1e-3, math.nan):
            a = [x.astype(dt) for x in grads("f64")]
            a[0][0, 0] = math.nan
            tps = torch_params(a)
            torch.nn.utils.clip_grad_value_(tps, cv)
            ps = l2_params(a)
            st = lib.l2_clip_grad_value_(len(ps), (V * len(ps))(*ps), cv)
            got = l2_grads(ps, a)
            for p in ps:
                lib.l2_tensor_release(p)
            same_ = st == 0 and all(g.tobytes() == tp.grad.numpy().tobytes()
                                    for g, tp in zip(got, tps))
            ok(same_, f"clip_grad_value_ {cv} {np.dtype(dt).name} exact")


def main():
    test_schedulers()
    test_clipping()
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
