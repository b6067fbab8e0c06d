"""sizes_plans.py: the size plans of the oracle's third phase (sizes.py): for each op, the
library thresholds it meets and the sizes drawn on both sides of each, and the small sized
generators of the ops whose registry generators draw their sizes as plain ints."""
import sizes_speed8 as S8  # speed (issue 12, area speed8)
import sizes_speed11 as S11  # speed (issue 12, area speed11)
import sizes_speed12 as S12  # speed (issue 12, area speed12): prelu's segments
import sizes_speed16 as S16  # speed (issue 12, area speed16): copy runs
import sizes_speed20 as S20  # speed (issue 12): conv2d's direct path for a small K
import sizes_speed15 as S15  # speed (issue 12, area cnn): the 2x2 pool's partial stores
import sizes_speed17 as S17  # speed (issue 12, area sred): scatter_reduce's amax / amin
import sizes_speed19 as S19  # speed (issue 12, area bcast): float32 broadcast gradients' rows
import sizes_speed18 as S18  # speed (issue 12, area cat): cat by whole rows
import sizes_speed21 as S21  # speed (issue 12): the radix sort
from sizes_shapes import HUGE, LARGE, shape_for

# ---- sized generators for ops that draw their sizes as ints --------------------------------

def _mnk_shapes(kind, m, k, n, d):
    if kind in ("mm", "addmm"):
        return [(m, k), (k, n)]
    if kind == "bmm":
        return [(2, m, k), (2, k, n)]
    if kind == "mv":
        return [(m, k), (k,)]
    if kind == "dot":
        return [(k,), (k,)]
    if kind == "outer":
        return [(m,), (n,)]
    # matmul: one of its forms, drawn
    form = d.int(0, 3)
    if form == 0:
        return [(m, k), (k, n)]
    if form == 1:
        return [(2, m, k), (2, k, n)]
    if form == 2:
        return [(2, m, k), (k, n)]
    return [(m, k), (k,)]


def g_sized_linalg(kind):
    def gen(d, dt):
        m, k, n = d.plan["mnk"]
        if kind == "linear":
            lead = [m] if d.bool() or m % 2 else [2, m // 2]
            x = d.tensor(tuple(lead) + (k,), dt)
            return {"inputs": [x, d.tensor((n, k), dt), d.tensor((n,), dt) if d.bool() else None],
                    "args": {}}
        sh = _mnk_shapes(kind, m, k, n, d)
        ins = [d.tensor(s, dt, "uniform") for s in sh]
        if kind == "addmm":
            cs = d.choice([(m, n), (n,), (1, n), (m, 1)])
            fl = dt != "int64"  # int64: integral beta and alpha (as registry.g_addmm)
            return {"inputs": [d.tensor(cs, dt)] + ins,
                    "args": {"beta": d.choice([1.0, 0.5 if fl else 2.0, 0.0]),
                             "alpha": d.choice([1.0, -2.0, 0.25 if fl else 3.0])}}
        return {"inputs": ins, "args": {}}
    return gen


def g_sized_conv(d, dt):
    g = d.plan["conv"]
    grp = g.get("groups", 1)
    x = (g["n"], g["c"], g["h"], g["w"])
    return {"inputs": [d.tensor(x, dt), d.tensor((g["o"], g["c"] // grp, g["kh"], g["kw"]), dt),
                       d.tensor((g["o"],), dt) if d.bool() else None],
            "args": {"stride": list(g.get("stride", (1, 1))),
                     "padding": list(g.get("pad", (0, 0))),
                     "dilation": list(g.get("dil", (1, 1))), "groups": grp}}


def g_sized_pool(d, dt):
    g = d.plan["pool"]
    return {"inputs": [d.tensor((g["n"], g["c"], g["h"], g["w"]), dt, "normal")],
            "args": {"kernel": list(g["k"]), "stride": list(g["s"]), "padding": list(g["p"])}}


def g_sized_adaptive(d, dt):
    g = d.plan["pool"]
    return {"inputs": [d.tensor((g["n"], g["c"], g["h"], g["w"]), dt)],
            "args": {"out": list(g["out"])}}


def g_sized_batch_norm(d, dt):
    import registry  # imports torch: only when a sized batch_norm case is drawn
    return registry.batch_norm_case(d, dt, d.plan["shape"])


def g_sized_ce(smoothing):
    def gen(d, dt):
        nb, c = d.plan["shape"]
        return {"inputs": [d.tensor((nb, c), dt, "normal" if smoothing else "uniform01"),
                           d.tensor((nb,), "int64", "randint:0:%d" % c)],
                "args": {"reduction": d.int(0, 2), "ignore_index": d.choice([-100, 0, 1]),
                         "label_smoothing": d.choice([0.0, 0.1]) if smoothing else 0.0}}
    return gen


def g_sized_cat(d, dt):
    s = d.shape()
    ins = [d.tensor(s, dt if d.int(0, 4) else d.choice(("float32", "float64", "int64", "bool")))
           for _ in range(d.int(1, 2))]
    return {"inputs": ins, "args": {"dim": d.dim(len(s))}}


def g_sized_embedding(d, dt):
    e = d.plan.get("emb") or d.int(1, 6)
    n = d.int(1, 9)
    ish = shape_for(max(d.plan["numel"] // e, 1), d.r, 1, 3)
    return {"inputs": [d.tensor((n, e), dt), d.tensor(ish, "int64", "randint:0:%d" % n)],
            "args": {}}


def g_sized_expand(minus):
    def gen(d, dt):
        out = list(d.shape())
        src = [1 if d.bool() else x for x in out]
        tgt = [-1 if minus and x == y and d.int(0, 3) == 0 else y for x, y in zip(src, out)]
        return {"inputs": [d.tensor(src, dt)], "args": {"shape": tgt}}
    return gen


def g_sized_squeeze(d, dt):
    s = list(d.shape(max_dims=3))
    for _ in range(d.int(1, 2)):
        s.insert(d.int(0, len(s)), 1)
    return {"inputs": [d.tensor(s, dt)], "args": {"dim": d.dim(len(s))}}


# ---- plans ----------------------------------------------------------------------------------

LINALG = ("l2_matmul", "l2_mm", "l2_bmm", "l2_mv", "l2_dot", "l2_outer", "l2_addmm",
          "l2_linear")
REDUCE_ALL = ("l2_sum", "l2_mean", "l2_prod", "l2_max", "l2_min", "l2_argmax", "l2_argmin",
              "l2_all", "l2_any")
REDUCE_DIMS = ("l2_sum_dims", "l2_mean_dims", "l2_var", "l2_std", "l2_logsumexp", "l2_norm",
               "l2_prod_dim", "l2_max_dim", "l2_min_dim", "l2_argmax_dim", "l2_argmin_dim",
               "l2_all_dim", "l2_any_dim", "l2_cumsum", "l2_softmax", "l2_log_softmax")
# scan (issue 14): the reductions and scans through the reduction driver get its plans
REDUCE_DIMS += ("l2_amax", "l2_amin", "l2_aminmax", "l2_nansum", "l2_nanmean",
                "l2_count_nonzero", "l2_var_mean", "l2_std_mean", "l2_cumprod", "l2_cummax",
                "l2_cummin", "l2_logcumsumexp")
LOSSES = ("l2_mse_loss", "l2_l1_loss", "l2_binary_cross_entropy",
          "l2_binary_cross_entropy_with_logits")
# loss (issue 14): the pointwise losses of libl2/ops/loss2.c (chunked float64 sums)
LOSSES += ("l2_smooth_l1_loss", "l2_huber_loss", "l2_kl_div", "l2_margin_ranking_loss",
           "l2_hinge_embedding_loss", "l2_poisson_nll_loss", "l2_gaussian_nll_loss")
POOLS = ("l2_max_pool2d", "l2_avg_pool2d")
# threads area (issue 12): elementwise ops of the math class (libm per element; libl2/ops/unary.c
# unary_grain), parallel from l2_threshold("grain_math") instead of parallel_grain
MATH_CLASS = tuple("l2_" + nm for nm in (
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos",
    "atan", "sinh", "cosh", "tanh", "sigmoid", "silu", "erf", "elu", "gelu", "softplus"))
# act (issue 14): the activations of libl2/ops/activation.c that call libm per element
MATH_CLASS += tuple("l2_" + nm for nm in ("mish", "selu", "celu", "logsigmoid", "tanhshrink"))
CUSTOM = {"l2_conv2d": g_sized_conv, "l2_max_pool2d": g_sized_pool,
          "l2_avg_pool2d": g_sized_pool, "l2_adaptive_avg_pool2d": g_sized_adaptive,
          "l2_batch_norm": g_sized_batch_norm, "l2_cross_entropy": g_sized_ce(True),
          "l2_nll_loss": g_sized_ce(False), "l2_cat": g_sized_cat,
          "l2_embedding": g_sized_embedding, "l2_expand": g_sized_expand(True),
          "l2_broadcast_to": g_sized_expand(False), "l2_squeeze": g_sized_squeeze,
          "l2_squeeze_dim": g_sized_squeeze}
for _nm in LINALG:
    CUSTOM[_nm] = g_sized_linalg(_nm[3:])
CUSTOM.update(S8.CUSTOM)  # speed (issue 12, area speed8)
CUSTOM.update(S11.CUSTOM)  # speed (issue 12, area speed11)
CUSTOM.update(S12.CUSTOM)  # speed (issue 12, area speed12)
CUSTOM.update(S16.CUSTOM)  # speed (issue 12, area speed16)
CUSTOM.update(S17.CUSTOM)  # speed (issue 12, area sred)
CUSTOM.update(S18.CUSTOM)  # speed (issue 12, area cat)


# Ops whose iterations can mix layouts (an input's memory order differs from the output's):
# multi-input elementwise ops and copies into a fixed layout; they get the tiling's sizes.
# (Area: layout.)
TILED = ("l2_contiguous", "l2_copy_", "l2_clone", "l2_reshape")


def tiled(op):
    return op.name in TILED or (op.family == "elementwise" and op.sig.split(":")[-1].count("T")
                                >= 2 and not op.view)


def tile_plans(th, big):
    """Mixed-layout shapes on both sides of tile_min (partial tiles at the edges) and a large
    one: the first tensor transposed, the next contiguous, the third transposed (so a unary
    copy reads a transposed input and a binary op's two inputs disagree), and the reverse."""
    t, tm = th.get("tile"), th.get("tile_min")
    if not t or not tm:
        return []
    below = (tm - 1,)
    for a in range(t + 1, tm):  # a 2-d shape of tm - 1 elements with a partial tile
        if (tm - 1) % a == 0 and a % t and ((tm - 1) // a) % t:
            below = (a, (tm - 1) // a)
            break
    at = (tm,)
    for a in range(t + 1, tm):
        if tm % a == 0 and a % t and (tm // a) % t:
            at = (a, tm // a)
            break
    side = int(big ** 0.5) | 1
    tr, co = ["transposed", "contiguous", "transposed"], ["contiguous", "transposed", "contiguous"]
    return [{"shape": below, "layouts": tr, "label": "below:tile_min"},
            {"shape": at, "layouts": tr, "label": "at:tile_min"},
            {"shape": (side + 2, side), "layouts": co, "label": "large"}]


def kind_of(op):
    if op.name in LINALG:
        return "linalg"
    if op.name == "l2_conv2d":
        return "conv"
    if op.name in POOLS:
        return "pool"
    if op.name == "l2_adaptive_avg_pool2d":
        return "adaptive"
    if op.name in REDUCE_ALL:
        return "reduce_all"
    if op.name in REDUCE_DIMS:
        return "reduce"
    if op.name in LOSSES:
        return "loss"
    if op.view:
        return "view"
    return "numel"


# gemm (issue 12): the float32 products that may take libl2's own kernel. Their plans run it
# forced (l2_debug_gemm, run.py's case["gemm"]) with M*N*K one below and at sgemm_min, M, N and
# K whole multiples and one past multiples of the micro-tile (sgemm_mr x sgemm_nr), K over two
# and three blocks of sgemm_kc, blocks of sgemm_mc rows and sgemm_nc columns and one past them,
# K = 1, and a large case split over threads; in auto mode one at sgemm_min and N one below and
# at sgemm_nr (auto leaves N < sgemm_nr to BLAS).
SGEMM_OPS = ("l2_matmul", "l2_mm", "l2_bmm", "l2_addmm", "l2_linear")


def _sgemm_plans(th, deep):
    lo, mr, nr, kc = th["sgemm_min"], th["sgemm_mr"], th["sgemm_nr"], th["sgemm_kc"]
    mc, nc = th["sgemm_mc"], th["sgemm_nc"]
    below = (7, 151, 31) if lo == 32768 else (1, lo - 1, 1)  # (M, K, N); M*N*K = lo - 1
    at = (32, 32, 32) if lo == 32768 else (lo, 1, 1)
    mnk = [(below, "below:sgemm_min", "own"), (at, "at:sgemm_min", "own"),
           (at, "at:sgemm_min", "auto"),
           ((40, 60, nr - 1), "below:sgemm_nr", "auto"), ((40, 60, nr), "at:sgemm_nr", "auto"),
           # N below a tile: the transposed product from M = nr rows (auto and own), BLAS (auto)
           # or the padded tile (own) below it
           ((nr, 300, 9), "at:sgemm_swap", "auto"), ((nr - 1, 300, 9), "below:sgemm_swap", "auto"),
           ((nr, 2 * kc + 1, 2), "at:sgemm_swap", "own"),
           ((nr - 1, 2 * kc + 1, 2), "below:sgemm_swap", "own"),
           ((2 * mr, kc, 2 * nr), "tiles:whole", "own"),
           ((2 * mr + 1, kc + 1, 2 * nr + 1), "tiles:edge", "own"),
           ((mr + 1, 2 * kc + 3, nr - 1), "above:sgemm_kc", "own"),
           ((mc + 1, 9, nc + 1), "blocks:edge", "own"),
           ((200, 1, 300), "k1", "own"),
           ((3 * mc + 5, 2 * kc + 1, 2 * nr + 3), "large", "own")]
    if deep:
        mnk += [((mc, 3 * kc, nc), "blocks:whole", "own"), ((5, 700, 3000), "large", "own")]
    return [{"mnk": x, "label": lb, "gemm": g} for x, lb, g in mnk]


# vmath (issue 12): ops whose contiguous float runs take the vector math kernels (vmath.c); their
# plans add runs shorter than one vector, exactly one, and several with an n % width tail, laid
# out contiguously so that the vector path (not the strided generic loop) is what they reach.
VMATH_OPS = ("l2_exp", "l2_log", "l2_sin", "l2_cos", "l2_tanh", "l2_erf", "l2_sigmoid",
             "l2_silu", "l2_gelu")


def _vmath_plans(th, deep):
    w = th.get("vmath_width")
    if not w:
        return []
    ps = [{"numel": w - 1, "label": "below:vmath_width", "layout": "contiguous"},
          {"numel": w, "label": "at:vmath_width", "layout": "contiguous"},
          {"numel": 4 * w + 3, "label": "tail:vmath_width", "layout": "contiguous"}]
    if deep:
        ps.append({"numel": w + 1, "label": "above:vmath_width", "layout": "contiguous"})
    return ps


def _near(t, label, deep):
    """Targets around threshold t: t-1 and t (CI), t+1 too (deep); label names t."""
    out = [(t - 1, "below:" + label), (t, "at:" + label)]
    if deep:
        out.append((t + 1, "above:" + label))
    return out


def plans(op, th, deep):
    """The size plans of op: dicts with a target ("numel" or "shape" and maybe "dims"/"dim",
    "mnk", "conv", "pool") and "label" (the size class aimed at)."""
    grain, chunk = th["parallel_grain"], th["parallel_chunk"]
    to, tr = th["reduce_tile_out"], th["reduce_tile_red"]
    big = 3 * chunk + 7 if 3 * chunk + 7 >= LARGE else LARGE + 7  # 3 threads' worth
    kind = kind_of(op)
    ps = []
    if kind in ("numel", "loss", "reduce_all", "view"):
        if kind != "view" or deep:
            ps += [{"numel": n, "label": lb} for n, lb in _near(grain, "parallel_grain", deep)]
        ps.append({"numel": big, "label": "large"})
        if op.name in MATH_CLASS and "grain_math" in th:
            ps += [{"numel": n, "label": lb} for n, lb in _near(th["grain_math"], "grain_math",
                                                                deep)]
        if kind == "loss":
            ps += [{"numel": n, "label": lb} for n, lb in
                   _near(th["loss_chunks"], "loss_chunks", True)]
        if deep:
            ps += [{"numel": 3 * chunk - 1, "label": "large"}, {"numel": HUGE, "label": "large"}]
        if op.name in VMATH_OPS:
            ps += _vmath_plans(th, deep)
        if tiled(op):
            ps += tile_plans(th, big)
    elif kind == "reduce":
        # (R, O) reduced over dim 0: the tiled path; (O, R) over dim 1: output by output
        ps += [{"shape": (tr - 1, to - 1), "dims": [0], "dim": 0, "label": "below:tiles"},
               {"shape": (tr, to), "dims": [0], "dim": 0, "label": "at:tiles"},
               {"shape": (grain // (2 * to) - 1, 2 * to + 1), "dims": [0], "dim": 0,
                "label": "below:parallel_grain"},
               {"shape": (grain // (2 * to), 2 * to), "dims": [0], "dim": 0,
                "label": "at:parallel_grain"},
               {"shape": (big // (2 * to) + 1, 2 * to - 1), "dims": [0], "dim": 0,
                "label": "large"},
               {"shape": (2 * to - 1, big // (2 * to) + 1), "dims": [1], "dim": 1,
                "label": "large"}]
        # reductions (issue 12): the vector block of outputs (dim 0) and of lanes along the
        # innermost dim (dim 1): vb - 1 (a tail only), vb (one block, no tail), 3 vb - 1 (blocks
        # and a tail)
        vb = th["reduce_vec_block"]
        for k, lb in ((vb - 1, "below:vec_block"), (vb, "at:vec_block"),
                      (3 * vb - 1, "tail:vec_block")):
            ps += [{"shape": (tr + 7, k), "dims": [0], "dim": 0, "label": lb},
                   {"shape": (5, k), "dims": [1], "dim": 1, "label": lb}]
        # reductions (issue 12, area opsp): float32 sums over dim 0 run reduce_cols32_red rows
        # per tile (sum_dims and mean_dims: their float32 sums take it): one partial tile, one
        # whole tile, and two whole tiles and a partial one
        cr = th.get("reduce_cols32_red")
        if cr and op.name in ("l2_sum_dims", "l2_mean_dims"):
            ps += [{"shape": (r, vb + 3), "dims": [0], "dim": 0, "label": lb}
                   for r, lb in ((cr - 1, "below:cols32_red"), (cr, "at:cols32_red"),
                                 (2 * cr + 5, "above:cols32_red"))]
        if op.name in ("l2_softmax", "l2_log_softmax"):
            c = th["softmax_cols"]
            ps += [{"shape": (7, c + k), "dims": [0], "dim": 0, "label": "cols%+d" % k}
                   for k in (-1, 0, 1)]
            # issue 12, elementwise area: contiguous rows through vmath's float32 softmax row
            # kernel: shorter than a vector, one vector, vectors and a tail (its max runs 4
            # vectors a step: 3 w + 5 has none, 4 w + 3 one and a tail)
            w = th.get("vmath_width")
            if w:
                ps += [{"shape": (5, k), "dims": [1], "dim": 1, "label": lb,
                        "layout": "contiguous"}
                       for k, lb in ((w - 1, "below:vmath_width"), (w, "at:vmath_width"),
                                     (3 * w + 5, "tail:vmath_width"),
                                     (4 * w + 3, "tail:vmath_width"))]
        if deep:
            ps += [{"shape": (tr + 1, to + 1), "dims": [0], "dim": 0, "label": "above:tiles"},
                   {"shape": (3, 2 * chunk + 3), "dims": [1], "dim": 1, "label": "large"},
                   {"shape": (5, 3 * tr + 1, to + 3), "dims": [0, 2], "dim": 1,
                    "label": "large"},
                   {"shape": (1031, 971), "dims": [0], "dim": 0, "label": "large"}]
    elif kind == "linalg":
        # (M, K, N) with M*N*K one below, at and above the reference GEMM's parallel threshold
        # (parallel when M*N*K > it: "at" is still serial), then large (>= 300,000 elements in
        # an operand or the result)
        gp = th["gemm_parallel"]
        if op.name == "l2_dot":
            mnk = [(1, gp - 1, 1), (1, gp, 1), (1, gp + 1, 1), (1, big, 1)]
        elif op.name == "l2_mv":
            mnk = [(511, 513, 1), (512, 512, 1), (481, 545, 1), (601, 503, 1)]
        elif op.name == "l2_outer":
            mnk = [(511, 1, 513), (512, 1, 512), (481, 1, 545), (613, 1, 503)]
        else:
            mnk = [(63, 57, 73), (64, 64, 64), (65, 37, 109), (601, 503, 7)]
        labels = ["below:gemm_parallel", "at:gemm_parallel", "above:gemm_parallel", "large"]
        ps += [{"mnk": x, "label": lb} for x, lb in zip(mnk, labels)]
        if op.name in SGEMM_OPS and "sgemm_min" in th:
            ps += _sgemm_plans(th, deep)
    elif kind == "conv":
        geo = [(dict(n=1, c=9, h=135, w=73, o=2, kh=3, kw=1), "below:parallel_grain"),
               (dict(n=1, c=4, h=129, w=129, o=3, kh=2, kw=2), "at:parallel_grain"),
               (dict(n=2, c=3, h=160, w=160, o=6, kh=3, kw=3, pad=(1, 1)), "large"),
               (dict(n=1, c=4, h=275, w=275, o=4, kh=1, kw=1), "large")]  # 1x1: no im2col
        if deep:
            geo += [(dict(n=1, c=5, h=479, w=107, o=2, kh=1, kw=1, pad=(1, 1)),
                     "above:parallel_grain"),
                    (dict(n=2, c=4, h=200, w=200, o=4, kh=3, kw=3, stride=(2, 1), groups=2),
                     "large")]
        # conv (im2col by rows): both padded edges, stride 2 and a gather, dilation, rows wholly
        # in the padding, odd sizes, and a large stride-2 case split over threads
        geo += [(dict(n=3, c=3, h=37, w=41, o=5, kh=3, kw=3, stride=(2, 2), pad=(1, 1)),
                 "im2col:stride2"),
                (dict(n=2, c=2, h=29, w=33, o=3, kh=3, kw=3, pad=(2, 1), dil=(2, 3)),
                 "im2col:dilation"),
                (dict(n=1, c=2, h=5, w=6, o=2, kh=2, kw=2, pad=(3, 4)), "im2col:wide_pad"),
                (dict(n=2, c=3, h=17, w=23, o=4, kh=1, kw=5, stride=(1, 3), pad=(0, 2)),
                 "im2col:gather"),
                (dict(n=2, c=16, h=101, w=97, o=4, kh=3, kw=3, stride=(2, 2), pad=(1, 1)),
                 "large")]
        # the same-size im2col (stride 1, dilation 1, 2 pad = k - 1 on both axes): 5x5, a
        # (3, 5) kernel, one row/column images, and beside it the general path with only the
        # width kept (pad (0, 1)) or dilation 2 with 2 pad = d (k - 1)
        geo += [(dict(n=2, c=3, h=9, w=11, o=4, kh=5, kw=5, pad=(2, 2)), "im2col_same:5x5"),
                (dict(n=3, c=2, h=7, w=13, o=3, kh=3, kw=5, pad=(1, 2)), "im2col_same:3x5"),
                (dict(n=2, c=2, h=1, w=9, o=2, kh=3, kw=3, pad=(1, 1)), "im2col_same:one_row"),
                (dict(n=2, c=2, h=8, w=1, o=2, kh=3, kw=3, pad=(1, 1)), "im2col_same:one_col"),
                (dict(n=2, c=3, h=9, w=11, o=4, kh=3, kw=3, pad=(0, 1)), "im2col_same:width"),
                (dict(n=2, c=3, h=9, w=11, o=4, kh=3, kw=3, pad=(2, 2), dil=(2, 2)),
                 "im2col_same:dilated")]
        geo += _conv_block_plans(th)
        ps += [{"conv": g, "label": lb} for g, lb in geo]
        if "sgemm_min" in th:  # gemm (issue 12): the own float32 kernel forced
            geo = [(dict(n=1, c=2, h=32, w=32, o=2, kh=3, kw=3), "below:sgemm_min"),
                   # K = 270 > KC, O = 7 and L = 143 not whole tiles, in all three products
                   (dict(n=2, c=30, h=13, w=11, o=7, kh=3, kw=3, pad=(1, 1)), "above:sgemm_kc"),
                   (dict(n=1, c=16, h=28, w=28, o=12, kh=3, kw=3, pad=(1, 1)), "large")]
            ps += [{"conv": g, "label": lb, "gemm": "own"} for g, lb in geo]
            # the CNN's first layer: its weight gradient (O = 16, N = 9 taps) takes the
            # transposed product in auto mode; O = 15 leaves it to BLAS
            geo = [(dict(n=2, c=1, h=28, w=28, o=16, kh=3, kw=3, pad=(1, 1)), "at:sgemm_swap"),
                   (dict(n=2, c=1, h=28, w=28, o=15, kh=3, kw=3, pad=(1, 1)),
                    "below:sgemm_swap")]
            ps += [{"conv": g, "label": lb, "gemm": "auto"} for g, lb in geo]
    elif kind == "pool":
        geo = [(dict(n=1, c=3, h=399, w=219, k=(3, 1), s=(3, 1), p=(0, 0)),
                "below:parallel_grain"),
               (dict(n=1, c=4, h=256, w=256, k=(2, 2), s=(2, 2), p=(0, 0)), "at:parallel_grain"),
               (dict(n=2, c=3, h=256, w=256, k=(3, 3), s=(2, 2), p=(1, 1)), "large")]
        if deep:
            geo.append((dict(n=1, c=5, h=481, w=109, k=(1, 1), s=(1, 1), p=(0, 0)),
                        "above:parallel_grain"))
        # conv: max_pool2d's 2x2 stride-2 loop, output columns in blocks of pool2x2_block: a tail
        # only (odd input width and height: the last column and row are never read), whole
        # blocks, blocks and a tail, a large odd case over threads; and 2x2 cases next to it
        # that take the general path (padding, stride 1)
        b = th["pool2x2_block"]
        k2 = dict(k=(2, 2), s=(2, 2), p=(0, 0))
        geo += [(dict(n=2, c=3, h=9, w=2 * b - 1, **k2), "below:pool2x2_block"),
                (dict(n=1, c=3, h=11, w=2 * b, **k2), "at:pool2x2_block"),
                (dict(n=2, c=2, h=7, w=2 * (b + 1) + 1, **k2), "above:pool2x2_block"),
                (dict(n=1, c=2, h=6, w=2 * (2 * b + 3), **k2), "pool2x2:blocks_and_tail"),
                (dict(n=2, c=5, h=161, w=203, **k2), "large"),
                (dict(n=1, c=2, h=10, w=13, k=(2, 2), s=(2, 2), p=(1, 1)), "pool2x2:padded"),
                (dict(n=1, c=2, h=9, w=12, k=(2, 2), s=(1, 1), p=(0, 0)), "pool2x2:stride1")]
        ps += [{"pool": g, "label": lb} for g, lb in geo]
    elif kind == "adaptive":
        geo = [(dict(n=1, c=3, h=399, w=219, out=(5, 7)), "below:parallel_grain"),
               (dict(n=1, c=4, h=256, w=256, out=(7, 3)), "at:parallel_grain"),
               (dict(n=2, c=3, h=256, w=256, out=(9, 9)), "large")]
        ps += [{"pool": g, "label": lb} for g, lb in geo]
    if op.name in ("l2_index_select", "l2_embedding"):
        # rows of index_block +- 1 elements: the backward's row blocks and their tail
        b = th["index_block"]
        ps += [{"shape": (5, b + k), "numel": 5 * (b + k), "emb": b + k, "dim": 0,
                "label": "block%+d" % k} for k in (-1, 0, 1)]
    if op.name == "l2_batch_norm":
        ps = [{"shape": (27, 7, 19, 73), "label": "below:parallel_grain"},
              {"shape": (16, 4, 64, 64), "label": "at:parallel_grain"},
              {"shape": (8, 3, 128, 128), "label": "large"}]
        if deep:
            ps.append({"shape": (5, 13, 37, 109), "label": "above:parallel_grain"})
    elif op.name in ("l2_cross_entropy", "l2_nll_loss"):
        ps = [{"shape": (37449, 7), "label": "below:parallel_grain"},
              {"shape": (grain // 8, 8), "label": "at:parallel_grain"},
              {"shape": (39323, 10), "label": "large"}]
        if deep:
            ps.append({"shape": (52429, 5), "label": "above:parallel_grain"})
    ps += _alloc_plans(op, th)
    ps += _sumto_plans(op, th)
    ps += _ext_plans(op, th, kind, chunk)
    ps += S8.plans(op, th, deep)  # speed (issue 12, area speed8): topk's selection
    ps += S11.plans(op, th, deep)  # speed (issue 12, area speed11): amax / amin cols
    ps += S12.plans(op, th, deep)  # speed (issue 12, area speed12): prelu's segments
    ps += S16.plans(op, th, deep)  # speed (issue 12, area speed16): copy runs
    ps += S15.plans(op, th, deep)  # speed (issue 12, area cnn): the 2x2 pool's partial stores
    ps += S20.plans(op, th, deep)  # speed (issue 12): conv2d's direct path for a small K
    ps += S17.plans(op, th, deep)  # speed (issue 12, area sred): scatter_reduce's amax / amin
    ps += S19.plans(op, th, deep)  # speed (issue 12, area bcast): float32 broadcast gradients
    ps += S18.plans(op, th, deep)  # speed (issue 12, area cat): cat by whole rows
    ps += S21.plans(op, th, deep)  # speed (issue 12): the radix sort
    return ps


# random, reductions, copies (issue 12): max / min (and their index, logsumexp's shift) over
# contiguous float32 rows of at least reduce_ext_vec elements take reduce-ext.c's vector loop:
# rows one below and at the threshold, one with blocks, vectors and an n % 8 tail, and long rows
# that 2 and 3 threads split (a whole tensor for the all-reductions).
EXT_OPS = ("l2_max_dim", "l2_min_dim", "l2_argmax_dim", "l2_argmin_dim", "l2_logsumexp",
           "l2_max", "l2_min", "l2_argmax", "l2_argmin")


def _ext_plans(op, th, kind, chunk):
    e = th.get("reduce_ext_vec")
    if not e or op.name not in EXT_OPS:
        return []
    sizes = ((e - 1, "below:reduce_ext_vec"), (e, "at:reduce_ext_vec"),
             (3 * e + 5, "tail:reduce_ext_vec"), (2 * chunk + 3, "large"))
    if kind == "reduce_all":
        return [{"numel": k, "label": lb, "layout": "contiguous"} for k, lb in sizes]
    return [{"shape": (5 if k < chunk else 3, k), "dims": [1], "dim": 1, "label": lb,
             "layout": "contiguous"} for k, lb in sizes]


# conv (issue 12): conv2d runs samples in blocks of up to conv_cols_bytes of column matrices
# (G = bytes // (C kH kW L esize) samples, at least 1), so one GEMM covers a block; samples split
# over threads from conv_grain multiply-adds (N O (C/groups) kH kW L); the backward cuts the batch
# into conv_bwd_slots sample ranges. Plans: multiply-adds at conv_grain - 1 and at it; a float32
# sample of exactly half the byte bound (G = 2 in float32, float64's sample is the bound: G = 1)
# with a partial block, and one just over half (G = 1); a batch below, at and above the slot
# count; blocks with a partial tail in both dtypes (G = 3 float64, 6 float32) with groups > 1,
# stride 2 and dilation. The bias gradient's conv_db_lanes lanes: L = 1024 (at:conv_grain) has
# no tail, the others have one.
def _conv_block_plans(th):
    cb, cgr, sl = th.get("conv_cols_bytes"), th.get("conv_grain"), th.get("conv_bwd_slots")
    if not cb or not cgr or not sl:
        return []
    out = []
    if cgr == 1 << 18:
        out += [(dict(n=3, c=1, h=21, w=75, o=7, kh=3, kw=3), "below:conv_grain"),
                (dict(n=4, c=4, h=33, w=33, o=4, kh=2, kw=2), "at:conv_grain")]
    if cb == 1 << 20:
        # K = 8, L = 128 * 128: 8 * 16384 * 4 bytes = cb / 2
        out += [(dict(n=3, c=2, h=129, w=129, o=3, kh=2, kw=2), "at:conv_cols_bytes"),
                (dict(n=3, c=2, h=130, w=130, o=3, kh=2, kw=2), "above:conv_cols_bytes"),
                # K = 18, L = 49 * 49: float64 G = 3, float32 G = 6; 7 samples leave a tail
                (dict(n=7, c=2, h=49, w=49, o=4, kh=3, kw=3, pad=(1, 1)),
                 "conv_cols_bytes:tail"),
                (dict(n=7, c=4, h=49, w=49, o=6, kh=3, kw=3, pad=(1, 1), groups=2),
                 "conv_cols_bytes:tail_groups"),
                (dict(n=11, c=3, h=45, w=51, o=5, kh=3, kw=3, stride=(2, 2), pad=(2, 0),
                      dil=(2, 1)), "conv_cols_bytes:stride2_dilation")]
    for n, lb in ((sl - 1, "below:conv_bwd_slots"), (sl, "at:conv_bwd_slots"),
                  (sl + 1, "above:conv_bwd_slots")):
        out.append((dict(n=n, c=3, h=23, w=17, o=4, kh=3, kw=3, pad=(1, 1)), lb))
    return out


# broadcast gradients (issue 12): binary ops whose broadcast operand's gradient is summed back
# by l2__sum_to's row path (leading rows summed, K inner outputs kept, K >= sumto_rows_min) in
# vectors of 4 and tiles of 512 outputs: K below and at the threshold, a tail of K % 4, and a
# large case with a partial last tile; contiguous operands and upstream gradient.
SUMTO_OPS = ("l2_add", "l2_sub", "l2_mul")


def _sumto_plans(op, th):
    k = th.get("sumto_rows_min")
    if not k or op.name not in SUMTO_OPS:
        return []
    out = []
    for shape, bshape, label in (((37, k - 1), (k - 1,), "below:sumto_rows_min"),
                                 ((37, k), (1, k), "at:sumto_rows_min"),
                                 ((29, 4 * k + 3), (4 * k + 3,), "tail:sumto_rows_min"),
                                 ((3, 41, 1031), (41, 1031), "large")):
        out.append({"shape": shape, "bshape": bshape, "layouts": ["contiguous"] * 2,
                    "grad_layout": "contiguous", "label": label})
    return out


def _alloc_plans(op, th):
    """Memory area (issue 12): float32 results of add and mm one element below and at the
    allocator's byte thresholds (alloc_small: cached size classes, alloc_mmap: huge-page mmap),
    so that blocks from both sides are made, freed and reused at 1, 2 and 3 threads."""
    out = []
    for name in ("alloc_small", "alloc_mmap"):
        if name not in th:
            continue
        n = th[name] // 4  # float32 elements
        if op.name == "l2_add":
            out += [{"numel": n - 1, "label": "below:" + name}, {"numel": n, "label": "at:" + name}]
        elif op.name == "l2_mm":
            m = 1 << (n.bit_length() - 1) // 2  # (m, n // m) with n // m >= m
            out += [{"mnk": (m - 1, 7, n // m + 1), "label": "below:" + name},
                    {"mnk": (m, 7, n // m), "label": "at:" + name}]
    return out
