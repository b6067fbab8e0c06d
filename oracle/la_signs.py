"""la_signs.py: the sign rule the oracle applies to singular vectors and eigenvectors (reg_svd.py,
reg_decomp.py). Such a vector is unique up to sign only: both sides flip each vector along dim
(-2: the columns of U or V, -1: the rows of Vh) so that its element of largest magnitude is
positive (torch on torch's results, libl2 through its own ops on libl2's: abs, argmax_dim,
gather, sign, mul), so the results compare directly and the gradient checked is that of a
sign-invariant function (sign's gradient is 0). Empty tensors stay as they are."""
import torch

_LIB = []


def _lib():
    if not _LIB:
        import l2lib
        lib = l2lib.Lib()
        lib.bind({"l2_abs": "T:T", "l2_argmax_dim": "T:Tib", "l2_gather": "T:TiT",
                  "l2_sign": "T:T", "l2_mul": "T:TT"})
        _LIB.append(lib)
    return _LIB[0]


def align_torch(X, dim):
    """torch's X with each vector along dim flipped by the rule above."""
    if X.numel() == 0:
        return X
    idx = X.abs().argmax(dim, keepdim=True)
    return X * torch.gather(X, dim, idx).sign()


def align_l2(X, dim):
    """libl2's X with the same rule (a new tensor), or None; X is released."""
    lib = _lib()
    if lib.numel(X) == 0:
        return X
    a = lib.abs(X)
    i = lib.argmax_dim(a, dim, True) if a else None
    g = lib.gather(X, dim, i) if i else None
    s = lib.sign(g) if g else None
    r = lib.mul(X, s) if s else None
    for t in (a, i, g, s, X):
        if t:
            lib.tensor_release(t)
    return r


def release(t):
    """Release a libl2 tensor (the callers' cleanup)."""
    _lib().tensor_release(t)
