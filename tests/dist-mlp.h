/* dist-mlp.h: what the MPI tests share (dist-train.c, dist-overlap.c; include after tap.h and
 * mpi.h, with K_ defined): the model sizes, a check agreed across ranks, the small MLP, its
 * loss and the largest parameter difference. */
#ifndef L2_DIST_MLP_H
#define L2_DIST_MLP_H

#define I_ 6 /* inputs */
#define H_ 16
#define O_ 4
#define B_ 8 /* per-rank batch */

static int rank, world;

/* A check agreed across ranks: ok only if it holds on every rank. */
static void all_ok(int cond, const char *name)
{
    int c = cond, all = 0;
    MPI_Allreduce(&c, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rank == 0)
        ok(all, "%s", name);
}

typedef struct {
    l2_tensor *p[4]; /* w1 (H,I), b1 (H), w2 (O,H), b2 (O) */
} mlp;

static void mlp_init(mlp *m, l2_dtype dt)
{
    l2_manual_seed(1);
    static const int64_t shapes[4][2] = {{H_, I_}, {H_, 0}, {O_, H_}, {O_, 0}};
    for (int i = 0; i < 4; i++) {
        l2_tensor *r = l2_randn(shapes[i][1] ? 2 : 1, shapes[i], dt);
        m->p[i] = l2_mul_scalar(r, 0.5);
        l2_tensor_release(r);
        l2_set_requires_grad(m->p[i], true);
    }
}

static void mlp_free(mlp *m)
{
    for (int i = 0; i < 4; i++)
        l2_tensor_release(m->p[i]);
}

static l2_tensor *mlp_loss(const mlp *m, const l2_tensor *x, const l2_tensor *y)
{
    l2_tensor *h = l2_tanh(l2_linear(x, m->p[0], m->p[1]));
    return l2_cross_entropy(l2_linear(h, m->p[2], m->p[3]), y, L2_REDUCTION_MEAN, -100, 0.0);
}

/* Largest |a - b| over the four parameters. */
static double maxdiff(const mlp *a, const mlp *b)
{
    double d = 0;
    for (int i = 0; i < 4; i++) {
        l2_scope_begin();
        double v = INFINITY;
        l2_item(l2_max(l2_abs(l2_sub(a->p[i], b->p[i]))), &v);
        d = fmax(d, v);
        l2_scope_end();
    }
    return d;
}

#endif
