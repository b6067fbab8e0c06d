"""torch_rnn.py: the torch twins of bench/cases-rnn.c (issue 15, area rnn): nn.LSTM and nn.GRU,
2 layers, input and hidden 256, over (35, 20, 256) float32, forward + backward with the output's
gradient ones and every weight requiring grad (torch's fused CPU kernels); and
nn.MultiheadAttention (embed 256, 8 heads, self-attention, need_weights=False) on the same shape."""
import torch

MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def build(base, grad, variant, shape, g, bwd_stmt):
    """(stmt, globals) of the twin of base (a cases-rnn.c op), or None when base is not one."""
    if base == "mha" and variant == "8heads":
        torch.manual_seed(1)
        m = torch.nn.MultiheadAttention(shape[2], 8)
        x = torch.randn(*shape)
        g.update(m=m, x=x, torch=torch, g=torch.ones(*shape))
        fwd = "m(x, x, x, need_weights=False)[0]"
        stmt = "y = %s; y.backward(g); m.zero_grad(set_to_none=True)" % fwd
        return (stmt if grad else fwd), g
    if base not in MODULES or variant != "2layers":
        return None
    torch.manual_seed(1)
    m = MODULES[base](shape[2], shape[2], 2)
    x = torch.randn(*shape)
    g.update(m=m, x=x, torch=torch, g=torch.ones(*shape))
    stmt = "y = m(x)[0]; y.backward(g); m.zero_grad(set_to_none=True)"
    return (stmt if grad else "m(x)[0]"), g
