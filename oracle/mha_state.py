#!/usr/bin/env python3
"""mha_state.py: a torch 1.13 nn.MultiheadAttention's state_dict, saved as safetensors, loads
into libl2's l2_multihead_attention_layer through l2_params_load (torch's parameter names and
layout), and the layer then gives torch's output and averaged weights (float64, batch_first, a
key padding mask). TAP on stdout; the library from $L2_LIB or $L2_BUILDDIR (l2lib.py)."""
import ctypes as C
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import l2lib  # noqa: E402
from train_oracle import read_safetensors, write_safetensors  # noqa: E402

V = C.c_void_p


class Layer(C.Structure):  # l2_multihead_attention_layer
    _fields_ = [("in_proj_weight", V), ("in_proj_bias", V), ("out_w", V), ("out_b", V),
                ("embed_dim", C.c_int64), ("num_heads", C.c_int64), ("batch_first", C.c_bool)]


def main():
    lib = C.CDLL(l2lib.find_library())
    for name, res, args in [
            ("l2_multihead_attention_layer_init", C.c_int,
             [V, C.c_int64, C.c_int64, C.c_bool, C.c_bool, C.c_int]),
            ("l2_multihead_attention_layer_forward", V,
             [V, V, V, V, V, C.c_bool, V, C.c_bool, C.POINTER(V)]),
            ("l2_multihead_attention_layer_params", C.c_int, [V, V, C.c_char_p]),
            ("l2_multihead_attention_layer_free", None, [V]),
            ("l2_params_new", V, []), ("l2_params_load", C.c_int, [V, V]),
            ("l2_params_count", C.c_int, [V]), ("l2_params_free", None, [V]),
            ("l2_params_names", C.POINTER(C.c_char_p), [V]),
            ("l2_load_safetensors", V, [C.c_char_p]), ("l2_named_get", V, [V, C.c_char_p]),
            ("l2_named_free", None, [V]), ("l2_tensor_release", None, [V]),
            ("l2_save_safetensors", C.c_int, [C.c_char_p, C.c_int, C.POINTER(C.c_char_p),
                                              C.POINTER(V)]),
            ("l2_last_error", C.c_char_p, [])]:
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    torch.manual_seed(0)
    E, H, N, L = 8, 2, 3, 5
    m = torch.nn.MultiheadAttention(E, H, batch_first=True, dtype=torch.float64)
    x = torch.randn(N, L, E, dtype=torch.float64)
    kpm = torch.zeros(N, L, dtype=torch.bool)
    kpm[1, -2:] = True
    with torch.no_grad():
        m.in_proj_bias.uniform_(-1, 1)  # torch's zeros would hide a wrong bias
        m.out_proj.bias.uniform_(-1, 1)
        want, want_w = m(x, x, x, key_padding_mask=kpm)  # training mode: the python path
    n_ok = 0
    print("1..4")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mha.safetensors")
        sd = {"attn." + k: v.numpy() for k, v in m.state_dict().items()}
        write_safetensors(path, dict(sd, x=x.numpy(), kpm=kpm.numpy()))
        layer = Layer()
        st = lib.l2_multihead_attention_layer_init(C.byref(layer), E, H, True, True, 1)
        p = lib.l2_params_new()
        st = st or lib.l2_multihead_attention_layer_params(C.byref(layer), p, b"attn")
        names = [lib.l2_params_names(p)[i].decode() for i in range(lib.l2_params_count(p))]
        good = st == 0 and names == list(sd)
        n_ok += good
        print(("ok" if good else "not ok") + " 1 - parameter names are torch's state_dict keys: "
              + ", ".join(names))
        d = lib.l2_load_safetensors(path.encode())
        st = lib.l2_params_load(p, d)
        print(("ok" if st == 0 else "not ok") + " 2 - l2_params_load reads torch's state_dict "
              + ("" if st == 0 else lib.l2_last_error().decode()))
        n_ok += st == 0
        w = V()
        out = lib.l2_multihead_attention_layer_forward(
            C.byref(layer), lib.l2_named_get(d, b"x"), lib.l2_named_get(d, b"x"),
            lib.l2_named_get(d, b"x"), lib.l2_named_get(d, b"kpm"), True, None, True,
            C.byref(w))
        res = os.path.join(tmp, "out.safetensors")
        nm = (C.c_char_p * 2)(b"out", b"w")
        ts = (V * 2)(out, w.value)
        st = lib.l2_save_safetensors(res.encode(), 2, nm, ts) if out else -1
        got = read_safetensors(res) if st == 0 else {}
        for i, (k, ref) in enumerate((("out", want), ("w", want_w))):
            g = got.get(k)
            good = g is not None and g.shape == tuple(ref.shape) and \
                np.allclose(g, ref.numpy(), rtol=1e-12, atol=1e-12)
            n_ok += good
            diff = np.abs(g - ref.numpy()).max() if good or (g is not None and
                                                             g.shape == tuple(ref.shape)) else -1
            print(("ok" if good else "not ok") + " %d - the loaded layer gives torch's %s "
                  "(max diff %g)" % (3 + i, "output" if k == "out" else "averaged weights", diff))
        lib.l2_tensor_release(out)
        lib.l2_tensor_release(w.value)
        lib.l2_named_free(d)
        lib.l2_params_free(p)
        lib.l2_multihead_attention_layer_free(C.byref(layer))
    return 0 if n_ok == 4 else 1


if __name__ == "__main__":
    sys.exit(main())
