"""sizes_speed20.py: the sized plans of conv2d's direct path for a small contraction (issue 12,
libl2/ops/conv-small.c); sizes_plans.py adds them.

A float32 conv2d with stride 1, dilation 1 and one group whose K = C kH kW is at most
conv_small_k runs on a zero-padded copy of each sample, over the flat padded positions
p = y Wp + x in blocks of 24 and output channels in blocks of 4 (the padded width's columns
past the output and the block tail are computed and thrown away), when those positions are at
most conv_small_waste percent of the output's and the padded sample and the (O rounded to 4,
positions rounded to 24) staging each take at most conv_small_floats floats; its backward
computes dw and db there, and dx as the forward of dy with the kernel flipped when the padding
is at most k - 1 and that convolution qualifies too. Plans: K one below, at and above the
threshold; the waste at and above; channels not a multiple of 4; padding 0, k - 1, asymmetric
and wider than the kernel; the CNN's two layers; batches below and above the backward's slot
count and convolutions large enough for 2 and 3 threads; the staging at and just above
conv_small_floats."""


def plans(op, th, deep):
    if op.name != "l2_conv2d":
        return []
    k, fl, ws = th.get("conv_small_k"), th.get("conv_small_floats"), th.get("conv_small_waste")
    geo = []
    if k == 320:
        # K = C kH kW one below, at and above the threshold (images that waste little)
        geo += [(dict(n=2, c=29, h=13, w=22, o=3, kh=11, kw=1, pad=(5, 0)),
                 "below:conv_small_k"),
                (dict(n=2, c=20, h=14, w=21, o=5, kh=4, kw=4, pad=(2, 1)), "at:conv_small_k"),
                (dict(n=2, c=107, h=12, w=22, o=6, kh=1, kw=3, pad=(0, 1)),
                 "above:conv_small_k")]
    if ws == 125:
        # positions (padded width x output height, rounded up to 24) against the output's:
        # 8 x 14 = 112 -> 120 = 125% of 8 x 12; 8 x 13 = 104 -> 120 > 125% of 8 x 11
        geo += [(dict(n=3, c=3, h=8, w=12, o=5, kh=3, kw=3, pad=(1, 1)), "at:conv_small_waste"),
                (dict(n=3, c=3, h=8, w=11, o=5, kh=3, kw=3, pad=(1, 1)),
                 "above:conv_small_waste"),
                (dict(n=3, c=1, h=28, w=28, o=16, kh=3, kw=3, pad=(1, 1)), "conv_small:cnn1"),
                (dict(n=5, c=16, h=14, w=14, o=32, kh=3, kw=3, pad=(1, 1)), "conv_small:cnn2"),
                (dict(n=4, c=3, h=23, w=21, o=10, kh=3, kw=3, pad=(1, 1)), "conv_small:rgb"),
                # padding 0, asymmetric, wider than the kernel (dx then on the column path), a
                # 1x1 kernel with padding; channels not a multiple of 4
                (dict(n=2, c=2, h=25, w=24, o=9, kh=3, kw=5), "conv_small:valid"),
                (dict(n=2, c=2, h=23, w=22, o=7, kh=4, kw=4, pad=(3, 1)), "conv_small:pad_k-1"),
                (dict(n=2, c=1, h=20, w=30, o=7, kh=1, kw=2, pad=(3, 2)),
                 "conv_small:wide_pad"),
                (dict(n=3, c=2, h=23, w=21, o=1, kh=1, kw=1, pad=(1, 1)), "conv_small:1x1_pad"),
                # 13 samples (more than the backward's slots); 2 and 3 threads split them
                (dict(n=13, c=1, h=40, w=40, o=8, kh=3, kw=3, pad=(1, 1)), "conv_small:threads"),
                (dict(n=3, c=2, h=41, w=37, o=12, kh=3, kw=3, pad=(2, 0)),
                 "conv_small:threads3")]
    if fl == 1 << 20:
        # O = 2 stages 4 rows of the positions rounded to 24: 510 x 512 = 261120 positions fit
        # (4 x 261120 <= 2^20), 512 x 514 do not
        geo += [(dict(n=1, c=1, h=510, w=510, o=2, kh=3, kw=3, pad=(1, 1)),
                 "at:conv_small_floats"),
                (dict(n=1, c=1, h=512, w=512, o=2, kh=3, kw=3, pad=(1, 1)),
                 "above:conv_small_floats")]
    return [{"conv": g, "label": lb} for g, lb in geo]
