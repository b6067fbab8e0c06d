#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into fuzz/corpus/<target>/ (stdlib only).

The files are committed; run this again only when an input format changes. Ops programs follow
the byte layout read by fuzz/fuzz-ops.c (one opcode byte, then that op's argument bytes)."""
import gzip
import json
import os
import struct
import sys

top = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(top, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))


# ---- fuzz-ops: opcodes 0 create, 1 view, 2 binary, 3 scalar, 4 unary, 5 reduce, 6 multi,
# 7 in-place, 8 autograd, 9 control (see fuzz-ops.c for each op's argument bytes).
def create_rand(dt, dims, dest):  # kind 3 = rand
    return [0, 3, dt, len(dims)] + dims + [dest]


mlp = (create_rand(0, [2, 3], 0) + create_rand(0, [3, 2], 1) +
       [8, 0, 0, 1] +            # slot 0 requires grad
       [8, 1, 0, 1] +            # slot 1 requires grad
       [2, 19, 0, 1, 2] +        # slot 2 = matmul(slot 0, slot 1)
       [4, 24, 2, 3] +           # slot 3 = relu(slot 2)
       [4, 32, 3, 4] +           # slot 4 = sum(slot 3)
       [8, 4, 1, 0, 0] +         # backward(slot 4)
       [8, 0, 3, 5] +            # slot 5 = clone(grad(slot 0))
       [7, 5, 15])               # print slot 5
write("fuzz-ops", "mlp-backward", mlp)

scoped = ([9, 0] +                         # scope_begin
          create_rand(1, [4], 0) +
          [1, 0, 2, 0, 1, 2, 3, 1] +       # slot 1 = slice(slot 0, 0, 1, -2+2...)
          [3, 2, 0, 6, 2] +                # slot 2 = mul_scalar(slot 0, 3.5)
          [9, 4, 2] +                      # keep slot 2
          [9, 1] +                         # scope_end
          [5, 2, 0, 1, 3, 3])              # slot 3 = sum_dims(slot 2, ...)
write("fuzz-ops", "scope-keep", scoped)

views = (create_rand(0, [2, 3, 4], 0) +
         [1, 0, 2, 4, 2, 1] +              # transpose
         [1, 0, 16, 3, 0, 2, 1, 2, 0, 5, 2] +  # index string
         [1, 0, 3, 1, 2, 1, 0, 0, 3] +     # permute
         [1, 3, 17, 4] +                   # contiguous
         [1, 4, 5, 2, 2, 6, 0, 0, 5] +     # reshape
         [6, 2, 0, 5, 0, 2, 6] +           # cat
         [5, 6, 3, 1, 4, 7])               # max_dim with indices
write("fuzz-ops", "views", views)

nograd = ([9, 2] + create_rand(0, [3], 0) + [8, 0, 0, 1] + [4, 6, 0, 1] + [9, 3] +
          [7, 0, 0, 1] + [7, 0, 9, 4] + [9, 6, 3] + create_rand(0, [2, 2], 2) +
          [2, 2, 0, 2, 3] + [9, 7] + [9, 5, 0])
write("fuzz-ops", "nograd-inplace-oom", nograd)

ints = ([0, 5, 2, 1, 4, 0] + [0, 7, 2, 1, 6, 1, 1] + [2, 0, 0, 1, 2] +
        [5, 0, 0, 3, 1, 1] + [5, 16, 2, 3, 4] + [6, 2, 2, 3, 0, 6, 0, 6] +
        [0, 10, 3, 1, 4, 1, 0, 1, 1, 5] + [6, 3, 0, 5, 3, 2, 6])
write("fuzz-ops", "int-bool", ints)

# ---- fuzz-safetensors: valid files written as the format says, plus near misses.
def safetensors(entries, pad=True):
    header, blobs, off = {}, b"", 0
    for name, dt, shape, raw in entries:
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(raw)]}
        blobs += raw
        off += len(raw)
    h = json.dumps(header).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blobs


f32 = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
write("fuzz-safetensors", "two", safetensors([
    ("w", "F32", [2, 3], f32),
    ("b", "I64", [2], struct.pack("<2q", -1, 7))]))
write("fuzz-safetensors", "all-dtypes", safetensors([
    ("a", "F64", [1], struct.pack("<d", 0.5)),
    ("m", "BOOL", [3], bytes([1, 0, 1])),
    ("s", "F32", [], struct.pack("<f", 3)),
    ("e", "F32", [0, 4], b"")]))
write("fuzz-safetensors", "metadata", safetensors([
    ("__metadata__", None, None, b""), ("x", "F32", [1], struct.pack("<f", 1))])
    .replace(b'{"dtype": null, "shape": null, "data_offsets": [0, 0]}', b'{"k": "v"}'))
write("fuzz-safetensors", "bad-offsets", safetensors([("x", "F32", [2], f32)]))
write("fuzz-safetensors", "empty", safetensors([]))

# ---- fuzz-idx: the first byte is scale_u8, the rest an IDX file (plain or gzip'd).
def idx(code, dims, payload):
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


write("fuzz-idx", "u8", b"\x01" + idx(0x08, [2, 3], bytes(range(6))))
write("fuzz-idx", "u8-int", b"\x00" + idx(0x08, [4], bytes([0, 255, 7, 9])))
write("fuzz-idx", "i32", b"\x00" + idx(0x0C, [3], struct.pack(">3i", -1, 0, 5)))
write("fuzz-idx", "f32", b"\x00" + idx(0x0D, [2, 1], struct.pack(">2f", 1.5, -2)))
write("fuzz-idx", "f64", b"\x00" + idx(0x0E, [1], struct.pack(">d", 3.25)))
write("fuzz-idx", "gz", b"\x01" + gzip.compress(idx(0x08, [2, 2], bytes([1, 2, 3, 4])), mtime=0))
write("fuzz-idx", "scalar", b"\x00" + idx(0x08, [], bytes([5])))

# ---- fuzz-dlpack: device, dtype, lanes, ndim, strides flag, shape, strides, offset, data.
def dl(dtype_sel, shape, strides=None, off=0, data=b""):
    out = [0, dtype_sel, 1, len(shape), 1 if strides is not None else 0] + shape
    out += strides if strides is not None else []
    return bytes(out + [off]) + data


write("fuzz-dlpack", "f32-contig", dl(0, [2, 3], None, 0, struct.pack("<6f", *range(6))))
write("fuzz-dlpack", "f64-strided", dl(1, [2, 2], [1, 2], 0, struct.pack("<4d", 1, 2, 3, 4)))
write("fuzz-dlpack", "i64-offset", dl(2, [3], [1], 1, bytes(range(40))))
write("fuzz-dlpack", "bool", dl(3, [4], None, 0, bytes([1, 0, 1, 1])))
write("fuzz-dlpack", "bad-dtype", dl(5, [2], None, 0, bytes(8)))
write("fuzz-dlpack", "zero-stride", dl(0, [3, 2], [0, 1], 0, struct.pack("<2f", 1, 2)))
sys.exit(0)
