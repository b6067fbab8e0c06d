"""torch_train.py: the torch twins of bench/cases-train.c (issue 16): torch.nn.utils.
clip_grad_norm_(params, 1.0, 2.0) over the CNN's parameter list ("cnn": one shape piece per
parameter) or 40 float32 512x512 parameters ("10m"), grads from backward of sum(w * w); and one
epoch of a DataLoader(TensorDataset(images, labels), batch_size=128, shuffle=True) with a seeded
generator over 60,000 float32 28x28 randn images and int64 labels (num_workers 0, torch's
default)."""
import torch
from torch.utils.data import DataLoader, TensorDataset


def build(base, variant, shape, g):
    """(stmt, globals) of the twin of a cases-train.c case, or None when it is not one."""
    if base == "clip_grad_norm_":
        pieces = shape if isinstance(shape[0], list) else [shape]
        if variant == "10m":
            pieces = [pieces[0][1:]] * pieces[0][0]
        params = [torch.randn(*s, requires_grad=True) for s in pieces]
        for p in params:
            (p * p).sum().backward()
        g.update(params=params, clip=torch.nn.utils.clip_grad_norm_)
        return "clip(params, 1.0, 2.0)", g
    if base == "loader_next" and variant == "shuffle128":
        (n, h, w), _ = shape
        x, y = torch.randn(n, h, w), torch.randint(0, 10, (n,))
        gen = torch.Generator()
        gen.manual_seed(0)
        dl = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, generator=gen)

        def epoch():
            for _batch in dl:
                pass

        g.update(epoch=epoch)
        return "epoch()", g
    return None
