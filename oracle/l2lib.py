"""l2lib.py: ctypes binding to the built libl2 and zero-copy tensor handover for the oracle.

Every input lives in ONE numpy buffer with NaN (or sentinel) guard zones before and after it and in
the gaps between strided elements. torch sees that memory through from_numpy(...).as_strided and
libl2 through l2_from_blob with the same shape, strides and offset, so both read the very same
bytes. After each call the whole buffer is compared bitwise with its snapshot: an input modified
or a write out of bounds shows. Outputs come back through l2_to_dlpack -> PyCapsule -> torch.
"""
import ctypes as C
import os

import numpy as np
import torch
import torch.utils.dlpack

L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL, L2_BFLOAT16, L2_FLOAT16 = 0, 1, 2, 3, 4, 5
DTYPES = {"float32": L2_FLOAT32, "float64": L2_FLOAT64, "int64": L2_INT64, "bool": L2_BOOL,
          "bfloat16": L2_BFLOAT16, "float16": L2_FLOAT16}
# bfloat16 / float16 buffers hold the raw 16-bit patterns (numpy has no bfloat16): torch reads
# them through .view(torch.bfloat16 / torch.float16), libl2 through l2_from_blob with its dtype
NP_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_,
             "bfloat16": np.int16, "float16": np.int16}
TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
                "bool": torch.bool, "bfloat16": torch.bfloat16, "float16": torch.float16}
HALF = ("bfloat16", "float16")
HALF_NAN = {"bfloat16": 0x7FC0, "float16": 0x7E00}  # the gaps' and guards' quiet NaN patterns


def half_bits(values, dt):
    """The 16-bit patterns (np.int16) of values (any float array) drawn as float32 and rounded
    to the half dtype dt by torch (round to nearest even, as torch's .to())."""
    v = torch.from_numpy(np.ascontiguousarray(np.asarray(values, dtype=np.float64)).reshape(-1))
    return v.to(torch.float32).to(TORCH_DTYPES[dt]).view(torch.int16).numpy()
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
GUARD = 16  # elements of guard zone before and after every buffer
INT_SENTINEL = -0x5A5A5A5A5A5A5A5B
BOOL_SENTINEL = 0x5A

T = C.c_void_p  # l2_tensor *
I64P = C.POINTER(C.c_int64)
IP = C.POINTER(C.c_int)

# Signature letters: T tensor, S status (return), d double, i int, l int64, b bool, I const int *,
# L const int64 *, s const char *, A l2_tensor *const *, P l2_tensor ** (out), v void.
_CT = {"T": T, "S": C.c_int, "d": C.c_double, "i": C.c_int, "l": C.c_int64, "b": C.c_bool,
       "I": IP, "L": I64P, "s": C.c_char_p, "A": C.POINTER(T), "P": C.POINTER(T), "v": None,
       "p": C.c_void_p, "c": C.c_char_p, "u": C.c_uint64, "B": C.c_size_t}

# The core functions the oracle uses directly: name -> "ret:args".
CORE = {
    "l2_last_error": "c:", "l2_last_status": "i:", "l2_clear_error": "v:",
    "l2_tensor_release": "v:T", "l2_tensor_ref": "T:T",
    "l2_ndim": "i:T", "l2_shape": "p:T", "l2_strides": "p:T", "l2_offset": "l:T",
    "l2_numel": "l:T", "l2_dtype_of": "i:T", "l2_data_ptr": "p:T",
    "l2_shares_storage": "b:TT",
    "l2_from_blob": "T:piLLlipp", "l2_to_dlpack": "p:T",
    "l2_set_requires_grad": "S:Tb", "l2_requires_grad": "b:T", "l2_grad": "T:T",
    "l2_backward": "S:TTb", "l2_set_grad_enabled": "b:b",
    "l2_scope_begin": "S:", "l2_scope_end": "S:", "l2_set_num_threads": "S:i",
    "l2_clone": "T:T", "l2_manual_seed": "v:u",
}

# The internal size thresholds (l2.h, Testing and configuration), read by sizes.py.
THRESHOLD = {"l2_threshold": "l:c", "l2_threshold_name": "c:i"}

# The graph oracle's extra functions (graph_oracle.py), bound with Lib.bind(GRAPH).
GRAPH = {
    "l2_no_grad_begin": "v:", "l2_no_grad_end": "v:", "l2_is_contiguous": "b:T",
    "l2_autograd_grad": "S:iAAiAPbb",
}


def find_library():
    """The libl2.so to test: $L2_LIB, else $L2_BUILDDIR/libl2/.libs/libl2.so, else ./_build."""
    if os.environ.get("L2_LIB"):
        return os.environ["L2_LIB"]
    here = os.path.dirname(os.path.abspath(__file__))
    cands = []
    if os.environ.get("L2_BUILDDIR"):
        cands.append(os.path.join(os.environ["L2_BUILDDIR"], "libl2", ".libs", "libl2.so"))
    cands.append(os.path.join(here, "..", "_build", "libl2", ".libs", "libl2.so"))
    for c in cands:
        if os.path.exists(c):
            return os.path.abspath(c)
    raise OSError("libl2.so not found (set L2_BUILDDIR or L2_LIB); tried " + ", ".join(cands))


class Lib:
    """The loaded library. fn(name, sig) returns the ctypes function with argtypes/restype
    declared from the signature, or None when the symbol is missing (op not merged yet)."""

    def __init__(self, path=None):
        self.path = path or find_library()
        self.dll = C.CDLL(self.path)
        self._cache = {}
        for name, sig in CORE.items():
            f = self.fn(name, sig)
            if f is None:
                raise OSError("%s lacks core function %s" % (self.path, name))
            setattr(self, name[3:], f)
        self._capsule_new = C.pythonapi.PyCapsule_New
        self._capsule_new.restype = C.py_object
        self._capsule_new.argtypes = [C.c_void_p, C.c_char_p, C.c_void_p]

    def bind(self, table):
        """Bind every function of table (name -> signature) as an attribute without the l2_
        prefix, as the core functions are; OSError if one is missing."""
        for name, sig in table.items():
            f = self.fn(name, sig)
            if f is None:
                raise OSError("%s lacks %s" % (self.path, name))
            setattr(self, name[3:], f)

    def has(self, name):
        try:
            getattr(self.dll, name)
            return True
        except AttributeError:
            return False

    def fn(self, name, sig):
        key = (name, sig)
        if key in self._cache:
            return self._cache[key]
        if not self.has(name):
            self._cache[key] = None
            return None
        f = getattr(self.dll, name)
        ret, args = sig.split(":")
        f.restype = _CT[ret]
        f.argtypes = [_CT[a] for a in args]
        self._cache[key] = f
        return f

    def thresholds(self):
        """{name: value} of every internal threshold (l2_threshold); {} when the library has
        no threshold query."""
        q, nm = self.fn("l2_threshold", THRESHOLD["l2_threshold"]), \
            self.fn("l2_threshold_name", THRESHOLD["l2_threshold_name"])
        if q is None or nm is None:
            return {}
        out = {}
        i = 0
        while True:
            n = nm(i)
            if n is None:
                return out
            out[n.decode()] = int(q(n))
            i += 1

    def error(self):
        m = self.last_error()
        return m.decode() if m else ""

    # ---- outputs -------------------------------------------------------------------------
    def meta(self, t):
        nd = self.ndim(t)
        shp = C.cast(self.shape(t), I64P)
        st = C.cast(self.strides(t), I64P)
        return ([shp[i] for i in range(nd)], [st[i] for i in range(nd)], self.offset(t),
                DTYPE_NAMES.get(self.dtype_of(t), "invalid"))

    def to_torch(self, t):
        """A torch tensor sharing t's memory (DLPack, no copy). t stays owned by the caller; the
        DLPack export holds its own reference, dropped when torch frees the tensor."""
        m = self.to_dlpack(t)
        if not m:
            raise RuntimeError("l2_to_dlpack failed: " + self.error())
        cap = self._capsule_new(m, b"dltensor", None)
        x = torch.utils.dlpack.from_dlpack(cap)
        if self.dtype_of(t) == L2_BOOL:
            x = x.view(torch.bool) if x.dtype == torch.uint8 else x
        return x

    def to_torch_copy(self, t):
        """A torch copy of t (DLPack, then clone, so the libl2 tensor can go)."""
        return self.to_torch(t).clone()


_BITS = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


class Buffer:
    """One input: a numpy buffer with guards and NaN gaps, seen by torch and libl2 alike."""

    def __init__(self, lib, spec, values):
        """spec: dict(shape, strides, offset, storage, dtype); values: flat array of the
        logical elements (row-major) to write through the strided view."""
        self.lib = lib
        self.spec = spec
        dt = spec["dtype"]
        self.dtype = dt
        n = spec["storage"] + 2 * GUARD
        self.buf = np.empty(n, dtype=NP_DTYPES[dt])
        if dt in ("float32", "float64"):
            self.buf[:] = np.nan
        elif dt in HALF:
            self.buf[:] = np.int16(HALF_NAN[dt])
        elif dt == "int64":
            self.buf[:] = INT_SENTINEL
        else:
            self.buf.view(np.uint8)[:] = BOOL_SENTINEL
        shape, strides = tuple(spec["shape"]), tuple(spec["strides"])
        off = GUARD + spec["offset"]
        self.offset = off
        es = self.buf.itemsize
        view = np.lib.stride_tricks.as_strided(self.buf[off:], shape=shape,
                                               strides=tuple(s * es for s in strides))
        if view.size:
            if dt in HALF:
                view[...] = half_bits(values, dt).reshape(shape)
            else:
                view[...] = np.asarray(values, dtype=NP_DTYPES[dt]).reshape(shape)
        self.snapshot = self.buf.copy()
        tb = torch.from_numpy(self.buf)
        if dt in HALF:
            tb = tb.view(TORCH_DTYPES[dt])
        self.torch = tb.as_strided(shape, strides, off)
        nd = len(shape)
        sh = (C.c_int64 * max(nd, 1))(*shape)
        st = (C.c_int64 * max(nd, 1))(*strides)
        self.l2 = lib.from_blob(self.buf.ctypes.data, nd, sh, st, off, DTYPES[dt], None, None)
        if not self.l2:
            raise RuntimeError("l2_from_blob failed: " + lib.error())

    def fresh(self):
        """A new libl2 tensor over the same memory (a fresh leaf: no grad, no history), for
        running libl2 again (at another thread count) on the same bytes."""
        self.release()
        nd = len(self.spec["shape"])
        sh = (C.c_int64 * max(nd, 1))(*self.spec["shape"])
        st = (C.c_int64 * max(nd, 1))(*self.spec["strides"])
        self.l2 = self.lib.from_blob(self.buf.ctypes.data, nd, sh, st, self.offset,
                                     DTYPES[self.dtype], None, None)
        if not self.l2:
            raise RuntimeError("l2_from_blob failed: " + self.lib.error())

    def restore(self):
        """Write the snapshot back (an input that libl2 wrote, before running libl2 again)."""
        self.buf[...] = self.snapshot

    def _bits(self, a):
        return a.view(_BITS[a.itemsize])

    def intact(self):
        """True when every byte of the buffer equals its snapshot (inputs and guards); compared
        as integers of the element's size (no copies: big buffers are checked often)."""
        return bool(np.array_equal(self._bits(self.buf), self._bits(self.snapshot)))

    def guards_intact(self):
        a, b = self._bits(self.buf), self._bits(self.snapshot)
        return (np.array_equal(a[:GUARD], b[:GUARD]) and
                np.array_equal(a[-GUARD:], b[-GUARD:]))

    def gaps_intact(self):
        """For in-place ops: everything outside the addressed elements unchanged."""
        mask = np.ones(len(self.buf), dtype=bool)
        idx = addressed(self.spec)
        mask[GUARD + idx] = False
        return bool(np.array_equal(self._bits(self.buf)[mask], self._bits(self.snapshot)[mask]))

    def contains(self, addr):
        base = self.buf.ctypes.data
        return base <= addr < base + self.buf.nbytes

    def release(self):
        if self.l2:
            self.lib.tensor_release(self.l2)
            self.l2 = None


def addressed(spec):
    """Storage indices (without the guard) of every logical element of spec."""
    idx = np.array(spec["offset"], dtype=np.int64)
    for n, s in zip(spec["shape"], spec["strides"]):
        idx = idx[..., None] + np.arange(n, dtype=np.int64) * s
    return idx.reshape(-1)


def i64a(xs):
    xs = list(xs)
    return (C.c_int64 * max(len(xs), 1))(*xs)


def i32a(xs):
    xs = list(xs)
    return (C.c_int * max(len(xs), 1))(*xs)


def tarr(ts):
    ts = list(ts)
    return (T * max(len(ts), 1))(*ts)
