"""torch_state.py: the torch twins of bench/cases-state.c (issue 16, area state): a checkpoint of
4 float32 512x512 parameters with their Adam state and the generator state, written with
torch.save and read back with torch.load into the model and optimizer."""
import os

import torch


def build(base, grad, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-state.c case), or None when base is not one."""
    if base not in ("checkpoint_save", "checkpoint_load"):
        return None
    params = [torch.randn(*shape[1:], requires_grad=True) for _ in range(shape[0])]
    for p in params:
        (p * p).sum().backward()
    opt = torch.optim.Adam(params)
    opt.step()
    path = os.path.join(os.environ.get("TMPDIR") or "/tmp", f"torchbench-{os.getpid()}.ckpt")

    def save():
        torch.save({"model": {f"layer{i}.weight": p for i, p in enumerate(params)},
                    "optimizer": opt.state_dict(), "rng": torch.get_rng_state()}, path)

    def load():
        d = torch.load(path)
        with torch.no_grad():
            for i, p in enumerate(params):
                p.copy_(d["model"][f"layer{i}.weight"])
        opt.load_state_dict(d["optimizer"])
        torch.set_rng_state(d["rng"])

    save()
    g.update(save=save, load=load, path=path)
    return ("save()" if base == "checkpoint_save" else "load()"), g
