"""The bfloat16 / float16 oracle (issue 16, area half): libl2's half dtypes against torch 1.13.

torch writes a safetensors file by hand (float32, float64 and int64 sources with edge values:
signed zeros, subnormals, ties, overflow, inf, NaN; bfloat16 and float16 tensors; the narrow
integers I32, I16, I8, U8); libl2 (through ctypes) loads it and
  - reads every BF16 / F16 element as torch's .float() value and every narrow integer exactly;
  - converts the float32, float64 and int64 sources with l2_to_dtype to bfloat16 and float16,
    whose bit patterns must be torch's .to(dtype) (any NaN for a NaN), and the half tensors back
    to float32, float64, int64 (finite values) and to each other;
  - saves its half tensors with l2_save_safetensors, which torch reads back bit for bit;
  - prints half tensors as torch's repr does.
Output is TAP. Usage: half_oracle.py BUILDDIR
"""
import ctypes
import json
import os
import struct
import sys
import tempfile

import numpy as np
import torch

import tap
from tap import ok

L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL, L2_BFLOAT16, L2_FLOAT16 = range(6)
TDT = {L2_FLOAT32: torch.float32, L2_FLOAT64: torch.float64, L2_INT64: torch.int64,
       L2_BFLOAT16: torch.bfloat16, L2_FLOAT16: torch.float16}


def raw(t):
    """A tensor's bytes and safetensors tag."""
    tags = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.bfloat16: "BF16",
            torch.float16: "F16", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
            torch.uint8: "U8"}
    t = t.contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        b = t.view(torch.int16).numpy().tobytes()
    else:
        b = t.numpy().tobytes()
    return tags[t.dtype], b


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        tag, b = raw(t)
        header[name] = {"dtype": tag, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors_bits(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        out[name] = (e["dtype"], e["shape"], data[8 + n + b:8 + n + end])
    return out


def sources():
    g = torch.Generator().manual_seed(16)
    edge32 = torch.tensor([0.0, -0.0, 1.0, -1.5, 1e-3, 65504.0, 65519.0, 65520.0, 1e5, -1e5, 6.1e-5,
                           5.96e-8, 2.98e-8, 2.9802322387695312e-08, 1e-8, 3e-8, float("inf"),
                           -float("inf"), float("nan"), 1.00390625, 1.01171875, 3.4e38, 1e-40,
                           0.1, 2049.0, 2051.0, -7e-6, 1 + 2 ** -8, 1 + 3 * 2 ** -8,
                           1 + 2 ** -11, 1 + 3 * 2 ** -11], dtype=torch.float32)
    f32 = torch.cat([edge32, torch.randn(300, generator=g) * 10.0 ** torch.randint(-8, 6, (300,), generator=g),
                     torch.randint(-2 ** 20, 2 ** 20, (100,), generator=g).float().view(-1)])
    # float32 bit patterns at random: every exponent, NaN payloads included
    bits = torch.randint(-2 ** 31, 2 ** 31 - 1, (2000,), generator=g, dtype=torch.int64)
    f32 = torch.cat([f32, bits.to(torch.int32).view(torch.float32)])
    f64 = torch.cat([f32.double(), torch.tensor([1 + 2 ** -8 + 2 ** -40, 1 + 2 ** -11 + 2 ** -40,
                                                 65519.99, 1e300, -1e-300, 0.1], dtype=torch.float64),
                     torch.randn(200, generator=g, dtype=torch.float64) * 1e3])
    i64 = torch.cat([torch.tensor([0, 1, -1, 2 ** 24 + 1, 2 ** 62 + 1, -(2 ** 63), 2 ** 63 - 1, 70000, 65519,
                                   65520, 257, 2049], dtype=torch.int64),
                     torch.randint(-2 ** 40, 2 ** 40, (200,), generator=g)])
    return f32, f64, i64


def main():
    build = sys.argv[1]
    lib = ctypes.CDLL(os.path.join(build, "libl2", ".libs", "libl2.so"))
    P = ctypes.c_void_p
    for name, res, args in [("l2_load_safetensors", P, [ctypes.c_char_p]),
                            ("l2_named_get", P, [P, ctypes.c_char_p]),
                            ("l2_named_free", None, [P]),
                            ("l2_to_dtype", P, [P, ctypes.c_int]),
                            ("l2_contiguous", P, [P]),
                            ("l2_transpose", P, [P, ctypes.c_int, ctypes.c_int]),
                            ("l2_reshape", P, [P, ctypes.c_int, ctypes.POINTER(ctypes.c_int64)]),
                            ("l2_data_ptr", P, [P]),
                            ("l2_numel", ctypes.c_int64, [P]),
                            ("l2_dtype_of", ctypes.c_int, [P]),
                            ("l2_get", ctypes.c_int, [P, ctypes.POINTER(ctypes.c_int64),
                                                      ctypes.POINTER(ctypes.c_double)]),
                            ("l2_to_string", P, [P]),
                            ("l2_free", None, [P]),
                            ("l2_tensor_release", None, [P]),
                            ("l2_save_safetensors", ctypes.c_int, [ctypes.c_char_p, ctypes.c_int,
                                                                   ctypes.POINTER(ctypes.c_char_p),
                                                                   ctypes.POINTER(P)])]:
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args

    def bits_of(t, n):
        """libl2 contiguous 2-byte tensor -> np.uint16 array."""
        p = lib.l2_data_ptr(t)
        return np.ctypeslib.as_array((ctypes.c_uint16 * n).from_address(p)).copy()

    def values_of(t, n):
        """Elements of a 1-d libl2 tensor as float64 via l2_get."""
        out = np.empty(n)
        v = ctypes.c_double()
        for i in range(n):
            idx = (ctypes.c_int64 * 1)(i)
            if lib.l2_get(t, idx, ctypes.byref(v)) != 0:
                return None
            out[i] = v.value
        return out

    def same_bits(got, want, half):
        want = want.astype(np.uint16)
        nan_mask = 0x7f80 if half == torch.bfloat16 else 0x7c00
        man = 0x7f if half == torch.bfloat16 else 0x3ff
        wn = ((want & nan_mask) == nan_mask) & ((want & man) != 0)
        gn = ((got & nan_mask) == nan_mask) & ((got & man) != 0)
        bad = np.nonzero(np.where(wn, ~gn, got != want))[0]
        return bad

    f32, f64, i64 = sources()
    g = torch.Generator().manual_seed(17)
    ints = {"i32": torch.randint(-2 ** 31, 2 ** 31 - 1, (7, 5), generator=g, dtype=torch.int64).to(torch.int32),
            "i16": torch.randint(-2 ** 15, 2 ** 15 - 1, (11,), generator=g).to(torch.int16),
            "i8": torch.arange(-128, 128).to(torch.int8),
            "u8": torch.arange(0, 256).to(torch.uint8)}
    halves = {"bf": f32.to(torch.bfloat16), "h": f32.to(torch.float16),
              "bf2": torch.randn(3, 4, 5, generator=g).to(torch.bfloat16),
              "h2": torch.randn(3, 4, 5, generator=g).to(torch.float16)}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "half.safetensors")
        write_safetensors(path, {"f32": f32, "f64": f64, "i64": i64, **ints, **halves})
        d = lib.l2_load_safetensors(path.encode())
        ok(bool(d), "libl2 loads torch's BF16, F16, I32, I16, I8, U8 file")
        if not d:
            return tap.plan()
        get = lambda name: lib.l2_named_get(d, name.encode())
        # 1. loaded values
        for name, t in halves.items():
            lt = get(name)
            n = t.numel()
            want_dt = L2_BFLOAT16 if t.dtype == torch.bfloat16 else L2_FLOAT16
            flat_t = lib.l2_reshape(lt, 1, (ctypes.c_int64 * 1)(n))
            got = values_of(flat_t, n)
            want = t.float().reshape(-1).double().numpy()
            good = got is not None and np.array_equal(got, want, equal_nan=True)
            ok(lib.l2_dtype_of(lt) == want_dt and good, f"{name}: {t.dtype} loaded, values as torch's .float()")
            lib.l2_tensor_release(flat_t)
        for name, t in ints.items():
            lt = get(name)
            n = t.numel()
            flat_t = lib.l2_reshape(lt, 1, (ctypes.c_int64 * 1)(n))
            got = values_of(flat_t, n)
            ok(lib.l2_dtype_of(lt) == L2_INT64 and got is not None and
               np.array_equal(got, t.reshape(-1).double().numpy()), f"{name}: {t.dtype} loaded as int64, exactly")
            lib.l2_tensor_release(flat_t)
        # 2. conversions to half: bits as torch's .to()
        for name, src in [("f32", f32), ("f64", f64), ("i64", i64)]:
            for half, code in [(torch.bfloat16, L2_BFLOAT16), (torch.float16, L2_FLOAT16)]:
                r = lib.l2_to_dtype(get(name), code)
                n = src.numel()
                want = src.to(half).view(torch.int16).numpy().view(np.uint16)
                got = bits_of(r, n) if r else None
                bad = same_bits(got, want, half) if got is not None else [0]
                diag = "\n".join(f"element {i}: {src[i].item()!r} -> 0x{got[i]:04x}, torch 0x{want[i]:04x}"
                                 for i in list(bad)[:10]) if got is not None else "NULL"
                ok(len(bad) == 0, f"{name} -> {half}: {n} elements, bits as torch", diag)
                lib.l2_tensor_release(r)
        # 3. conversions from half to every dtype (finite values for int64) and between halves
        for name, t in halves.items():
            if t.dim() != 1:
                continue
            lt = get(name)
            n = t.numel()
            for code in (L2_FLOAT32, L2_FLOAT64, L2_INT64):
                src = t
                want = src.to(TDT[code])
                r = lib.l2_to_dtype(lt, code)
                got = values_of(r, n)
                w = want.double().numpy()
                fin = torch.isfinite(t.float()).numpy() & (np.abs(t.float().numpy()) < 9e18)
                if code == L2_INT64:  # torch's NaN/inf -> int64 is undefined; libl2 saturates
                    good = got is not None and np.array_equal(got[fin], w[fin])
                else:
                    good = got is not None and np.array_equal(got, w, equal_nan=True)
                ok(good, f"{name} ({t.dtype}) -> {TDT[code]} as torch" + (" (finite)" if code == L2_INT64 else ""))
                lib.l2_tensor_release(r)
            other = torch.float16 if t.dtype == torch.bfloat16 else torch.bfloat16
            ocode = L2_FLOAT16 if other == torch.float16 else L2_BFLOAT16
            r = lib.l2_to_dtype(lt, ocode)
            got = bits_of(r, n) if r else None
            want = t.to(other).view(torch.int16).numpy().view(np.uint16)
            bad = same_bits(got, want, other) if got is not None else [0]
            ok(len(bad) == 0, f"{name}: {t.dtype} -> {other}, bits as torch")
            lib.l2_tensor_release(r)
        # 4. libl2 saves its half tensors; torch reads the same bits
        names = ["bf2", "h2", "bf", "h"]
        arr_n = (ctypes.c_char_p * 4)(*[x.encode() for x in names])
        tr = lib.l2_transpose(get("bf2"), 0, 2)  # a non-contiguous one too
        ts = [get("bf2"), get("h2"), tr, get("h")]
        arr_t = (P * 4)(*ts)
        out = os.path.join(tmp, "out.safetensors")
        st = lib.l2_save_safetensors(out.encode(), 4, arr_n, arr_t)
        back = read_safetensors_bits(out) if st == 0 else {}
        good = st == 0
        wants = {"bf2": halves["bf2"], "h2": halves["h2"], "bf": halves["bf2"].transpose(0, 2), "h": halves["h"]}
        for k, t in wants.items():
            tag, shape, b = back.get(k, (None, None, b""))
            want_tag = "BF16" if t.dtype == torch.bfloat16 else "F16"
            if tag != want_tag or shape != list(t.shape) or b != raw(t)[1]:
                good = False
        ok(good, "libl2 saves BF16 / F16 (a transposed one too); torch reads the same bits")
        lib.l2_tensor_release(tr)
        # 5. printing as torch's repr
        for t in [torch.tensor([[1.5, 2.0], [3.25, -4.0]]), torch.tensor([0.1, 1000.0]),
                  torch.tensor([1.0, 2.0]), torch.tensor([1e-5, float("nan"), float("inf")]),
                  torch.tensor(2.5), torch.randn(4, 3, generator=g) * 100]:
            for half in (torch.bfloat16, torch.float16):
                h = t.to(half)
                p = os.path.join(tmp, "p.safetensors")
                write_safetensors(p, {"x": h})
                dd = lib.l2_load_safetensors(p.encode())
                s = lib.l2_to_string(lib.l2_named_get(dd, b"x")) if dd else None
                got = ctypes.string_at(s).decode() if s else None
                if s:
                    lib.l2_free(s)
                lib.l2_named_free(dd)
                ok(got == repr(h), f"repr of {half} {list(h.shape)}", f"libl2: {got}\ntorch: {repr(h)}")
        lib.l2_named_free(d)
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
