/* Interpolation, unfold and fold (libl2/ops/interp.c, unfold.c; issue 14). torch's nodes for
 * them save no tensor. */
#define L2__OPS_INTERP(X)                                                                    \
    X(UPSAMPLE2D, upsample2d, L2__MAY_SAVE)                                                  \
    X(UNFOLD, unfold, L2__MAY_SAVE)                                                          \
    X(FOLD, fold, L2__MAY_SAVE)
