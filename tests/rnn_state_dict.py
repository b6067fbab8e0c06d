"""rnn_state_dict.py: writes tests/data/rnn-lstm.safetensors for tests/test-rnn.c: a torch 1.13
nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True) state_dict under the prefix
"rnn." (torch's own names and layout), an input "x" (2, 5, 3), initial states "h0", "c0" and
torch's results "y", "h_n", "c_n", all float32. The C test loads the file, loads the weights with
l2_params_load into an l2_rnn_layer and compares. Run: /usr/bin/python3 tests/rnn_state_dict.py"""
import json
import os
import struct

import torch


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    torch.manual_seed(0)
    m = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(2, 5, 3)
    h0, c0 = torch.randn(4, 2, 4), torch.randn(4, 2, 4)
    with torch.no_grad():
        y, (hn, cn) = m(x, (h0, c0))
    out = {"rnn." + k: v for k, v in m.state_dict().items()}
    out.update(x=x, h0=h0, c0=c0, y=y, h_n=hn, c_n=cn)
    here = os.path.dirname(os.path.abspath(__file__))
    write_safetensors(os.path.join(here, "data", "rnn-lstm.safetensors"), out)


if __name__ == "__main__":
    main()
