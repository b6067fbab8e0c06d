/* Interpolation (libl2/ops/interp.c; issue 14). torch's upsample nodes save no tensor. */
#define L2__OPS_INTERP(X) X(UPSAMPLE2D, upsample2d, L2__MAY_SAVE)
