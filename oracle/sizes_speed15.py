"""sizes_speed15.py: the sized plans of the speed area cnn (issue 12); sizes_plans.py adds them.

max_pool2d's 2x2 stride-2 float32 loop (libl2/ops/pool.c) stores a row's outputs by eights: a
whole eight as plain vector stores, a partial one (the last 1-7 outputs) through a stack copy;
the argmax goes out in two halves of four int64 and the backward writes each input row as two
halves of eight cells. Output widths 1-7 (partial only; 4 fills exactly the first half of the
argmax and of the backward's cells), 8 (one whole eight), 11 and 12 (a whole eight and a partial
one of 3 or 4), 16 and 20 (two eights; two and a half), with odd and even input widths and
heights, several batches, and a large case that 2 and 3 threads split by planes."""

WIDTHS = (1, 2, 3, 4, 5, 7, 8, 11, 12, 16, 20)


def plans(op, th, deep):
    if op.name != "l2_max_pool2d":
        return []
    k2 = dict(k=(2, 2), s=(2, 2), p=(0, 0))
    ps = []
    for i, q in enumerate(WIDTHS):
        w = 2 * q + (i % 2)          # odd input widths: the last column is never read
        h = 2 * (i % 3 + 1) + (i % 2 == 0)
        lb = "at:pool2x2_block" if q % 8 == 0 else "tail:pool2x2_block"
        ps.append({"pool": dict(n=1 + i % 3, c=2 + i % 2, h=h, w=w, **k2), "label": lb})
    # the CNN's two pools (widths 28 and 14: outputs 14 and 7), batches 3 and 5, and one large
    # enough for threads
    ps += [{"pool": dict(n=3, c=4, h=28, w=28, **k2), "label": "cnn:pool1"},
           {"pool": dict(n=5, c=6, h=14, w=14, **k2), "label": "cnn:pool2"},
           {"pool": dict(n=4, c=16, h=64, w=46, **k2), "label": "large"}]
    if deep:
        ps.append({"pool": dict(n=2, c=9, h=97, w=2 * 27 + 1, **k2), "label": "large"})
    return ps
