"""matgen.py: matrix value kinds for the decompositions (issue 15, area la2; reg_decomp.py),
"mat:KIND:M:N": the logical values of a batch of M x N matrices (row-major, the batch is
n // (M * N) matrices), built from chosen spectra so that gradients are well defined (or, on
purpose, not):
  cond     U diag(s) V^T with singular values s spread over [1, 3] and at least 0.2 apart
           (well conditioned, distinct: QR's and SVD's gradients are tame)
  rankdef  rank min(M, N) - 1 (one singular value 0): forward only
  svrep    as cond with the two largest singular values equal (reg_svd.py): forward only
  sym      symmetric Q diag(l) Q^T, eigenvalues in [-3, 3] at least 0.3 apart (eigh's gradient)
  symrep   symmetric with a repeated eigenvalue: forward of eigenvalues only
gen.py's make_values calls values() for these kinds."""
import numpy as np


def _orth(rng, k):
    q, r = np.linalg.qr(rng.standard_normal((k, k)) if k else np.zeros((0, 0)))
    return q * np.sign(np.where(np.diag(r) == 0, 1, np.diag(r))) if k else q


def _spread(rng, k, lo, hi, gap):
    """k values in [lo, hi], sorted, neighbours at least gap apart (as far as they fit)."""
    if k == 0:
        return np.zeros(0)
    base = np.linspace(lo, hi, k) if k > 1 else np.array([(lo + hi) / 2])
    step = (hi - lo) / max(k - 1, 1)
    jit = rng.uniform(-0.3, 0.3, k) * max(step - gap, 0)
    return base + jit


def one(kind, m, n, rng):
    k = min(m, n)
    if kind in ("sym", "symrep"):
        q = _orth(rng, m)
        lam = _spread(rng, m, -3.0, 3.0, 0.3)
        if kind == "symrep" and m >= 2:
            lam[1] = lam[0]
        rng.shuffle(lam)
        a = (q * lam) @ q.T
        return (a + a.T) / 2
    u, v = _orth(rng, m), _orth(rng, n)
    s = _spread(rng, k, 1.0, 3.0, 0.2)[::-1].copy()
    if kind == "rankdef" and k >= 1:
        s[-1] = 0.0
    if kind == "svrep" and k >= 2:
        s[1] = s[0]
    a = np.zeros((m, n))
    a[:k, :k] = np.diag(s)
    return u @ a @ v.T


def values(kind, n, seed):
    _, sub, m, c = kind.split(":")
    m, c = int(m), int(c)
    rng = np.random.default_rng(seed)
    per = m * c
    if per == 0:
        return np.zeros(n)
    mats = [one(sub, m, c, rng).reshape(-1) for _ in range(n // per)]
    return np.concatenate(mats) if mats else np.zeros(0)
