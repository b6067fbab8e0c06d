/* autograd-impl.h: the graph node, the op table and the helpers ops use to record themselves.
 *
 * An op that computes `out` from inputs, when l2__needs_grad says so, calls l2__record to attach
 * a node to out, saves what its backward needs with l2__save (a detached alias: a node never
 * owns its own output, so the graph has no cycles) and stores its parameters in the node.
 * The backward function (written right below the forward) receives the output gradient and
 * fills gin[i] for each input i that has an edge; the engine sums each gin[i] back to the
 * input's shape and casts it to the input's dtype.
 */
#ifndef L2_AUTOGRAD_IMPL_H
#define L2_AUTOGRAD_IMPL_H

#include "l2-impl.h"
#include "ops/op-table.h"

#define L2__MAX_INPUTS 4
#define L2__MAX_SAVED 4
#define L2__MAX_IPARAMS (2 * L2_MAX_DIMS + 4)

typedef enum {
#define L2__OP_ENUM(NAME, name, saves) L2__OP_##NAME,
    L2__OP_LIST(L2__OP_ENUM)
#undef L2__OP_ENUM
    L2__OP_COUNT
} l2__op;

/* An edge to an input: its producing node (non-leaf) or the leaf tensor itself; both NULL when
 * the input needs no gradient. Owned references. */
typedef struct {
    l2__node *fn;
    l2_tensor *leaf;
} l2__edge;

struct l2__node {
    atomic_long refs;
    l2__op op;
    int n_inputs;
    l2__edge next[L2__MAX_INPUTS];
    int in_ndim[L2__MAX_INPUTS];
    int64_t in_shape[L2__MAX_INPUTS][L2_MAX_DIMS];
    l2_dtype in_dtype[L2__MAX_INPUTS];
    /* Output geometry (the gradient arriving has this shape and dtype). */
    int out_ndim;
    int64_t out_shape[L2_MAX_DIMS];
    l2_dtype out_dtype;
    /* Saved tensors (detached aliases) and the storage version each had when saved. */
    int n_saved;
    l2_tensor *saved[L2__MAX_SAVED];
    unsigned long long saved_version[L2__MAX_SAVED];
    /* create_graph (issue 15): where each saved tensor came from, so that a differentiable
     * backward can read it attached to its graph (l2__saved_graph): the leaf itself (owned), the
     * node that made it (owned), or this node's own output (saved_out; no reference: no cycle).
     * All empty for a tensor that did not require grad when it was saved. */
    l2_tensor *saved_leaf[L2__MAX_SAVED];
    l2__node *saved_fn[L2__MAX_SAVED];
    bool saved_out[L2__MAX_SAVED];
    bool saved_freed;
    /* torch 1.13's node saves something here (set from the op table's L2__SAVES at recording,
     * or by a forward whose variant saves in torch): a second backward without retain_graph
     * through this node fails even if n_saved is 0. */
    bool torch_saves;
    /* Every saved tensor is a stand-in for an operand no needed gradient reads (see
     * l2__record_save_needed): the node counts as having saved nothing. */
    bool standins_only;
    /* Op parameters. */
    double f[4];
    int64_t i[L2__MAX_IPARAMS];
    int ni;
    /* Op-specific extra data, freed with l2__free when the node dies. */
    void *extra;
    /* The output, not owned: set only while it retains its grad (cleared when it is freed). */
    l2_tensor *out_weak;
    /* Backward traversal scratch. */
    l2_tensor *gacc;
    int pending;
    int visit;
    int order_pending;
    bool needed;   /* the node runs (in autograd_grad: it leads to a requested input) */
    bool captured; /* autograd_grad: the node of a requested non-leaf input */
    l2__node *free_next; /* iterative release */
};

typedef l2_status (*l2__backward_fn)(l2__node *n, const l2_tensor *gout, l2_tensor **gin);

/* The op table: name and backward per op. Declarations come from the same list, so an op added
 * to the list without a backward function fails to link. */
#define L2__OP_DECL(NAME, name, saves)                                                       \
    l2_status l2__##name##_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin);
L2__OP_LIST(L2__OP_DECL)
#undef L2__OP_DECL
extern const char *const l2__op_names[L2__OP_COUNT];
extern const l2__backward_fn l2__op_backward[L2__OP_COUNT];

/* create_graph (issue 15): the differentiable backward of an op, l2__name_backward_cg, listed in
 * the family's L2__CG_<FAMILY>(X) list (X(ENUM, name)) next to its op list. Same contract as the
 * backward, but it computes gin with public, recorded ops (grad mode is on while it runs), from
 * gout (which may require grad and have any layout) and the saved tensors read through
 * l2__saved_graph, so that the gradients it returns carry their own history. The engine sums
 * each gin[i] to its input's shape and dtype with recorded ops too. An op without one (NULL in
 * l2__op_backward_cg) makes a create_graph backward through it fail with L2_ERR_AUTOGRAD. */
#define L2__CG_DECL(NAME, name)                                                              \
    l2_status l2__##name##_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin);
L2__CG_LIST(L2__CG_DECL)
#undef L2__CG_DECL
extern const l2__backward_fn l2__op_backward_cg[L2__OP_COUNT];
/* Saved tensor k of n as the differentiable backward reads it: attached to the graph it came
 * from (the leaf itself, or an alias whose grad_fn is the node that made it, n for n's own
 * output), or the detached saved alias when it required no grad. A new reference; NULL (error
 * set) on out-of-memory. */
l2_tensor *l2__saved_graph(l2__node *n, int k);
/* Mark saved tensor k of n as holding input i's value (its source becomes input i's edge): for
 * an in-place op that saved a copy of self's value before the write. Call right after the
 * record; cannot fail. */
void l2__saved_from_input(l2__node *n, int k, int i);
/* Whether input i of n has an edge (its gradient is wanted). */
static inline bool l2__edge_of(const l2__node *n, int i)
{
    return i < n->n_inputs && (n->next[i].fn || n->next[i].leaf);
}
extern const bool l2__op_torch_saves[L2__OP_COUNT];

/* True when grad mode is on and any of the n inputs (NULLs skipped) requires grad. */
bool l2__needs_grad(int n, const l2_tensor *const *inputs);
/* Attach a new node for op over the n inputs (NULLs allowed: no edge) to out, which becomes a
 * non-leaf requiring grad. Returns the node, or NULL on out-of-memory (error set; out
 * unchanged). */
l2__node *l2__record(l2__op op, l2_tensor *out, int n, const l2_tensor *const *inputs);
/* Save a detached alias of t in the node's next saved slot. L2_ERR_NOMEM on failure. */
l2_status l2__save(l2__node *n, const l2_tensor *t);
/* Record + save in one go: saves the nsave tensors in save[]; on failure releases out's node
 * wiring and returns NULL. */
l2__node *l2__record_save(l2__op op, l2_tensor *out, int n, const l2_tensor *const *inputs,
                          int nsave, const l2_tensor *const *save);

/* For a float op out = f(inputs, index): when the inputs need a gradient, records op saving
 * idx and the ni integers ints in node->i. True when nothing needed recording or the record
 * succeeded; false (error set, out unchanged) when it failed. */
static inline bool l2__record_indexed(l2__op op, l2_tensor *out, int n,
                                      const l2_tensor *const *inputs, const l2_tensor *idx,
                                      int ni, const int64_t *ints)
{
    if (!l2__is_float(inputs[0]->dtype) || !l2__needs_grad(n, inputs))
        return true;
    l2__node *node = l2__record_save(op, out, n, inputs, 1, &idx);
    if (!node)
        return false;
    for (int k = 0; k < ni; k++)
        node->i[k] = ints[k];
    node->ni = ni;
    return true;
}

/* The start of a backward that builds a new gradient: *dy, gout as a contiguous tensor of its
 * dtype, and *dx, a new tensor of that dtype and the given shape (zeroed when zero). L2_OK, or
 * the error (out of memory) with both NULL. */
static inline l2_status l2__grad_start(const char *op, const l2_tensor *gout, int ndim,
                                       const int64_t *shape, bool zero, l2_tensor **dy,
                                       l2_tensor **dx)
{
    *dx = NULL;
    if (!(*dy = l2__convert(op, gout, gout->dtype, true)))
        return l2_last_status();
    if (!(*dx = l2__new(op, ndim, shape, gout->dtype, zero))) {
        l2_tensor_release(*dy);
        *dy = NULL;
        return l2_last_status();
    }
    return L2_OK;
}

/* As l2__record_save, but save[i] is kept only when need[i]; otherwise a geometry-only stand-in
 * (its shape and dtype, no data) is saved, so later writes to it do not invalidate the node.
 * For ops whose gradient of one input reads only the other inputs (linalg.c). */
l2__node *l2__record_save_needed(l2__op op, l2_tensor *out, int n,
                                 const l2_tensor *const *inputs, int nsave,
                                 const l2_tensor *const *save, const bool *need);

void l2__node_release(l2__node *n);
/* Free n's saved tensors (marking n freed when it saved something, as torch does). */
void l2__node_free_saved(l2__node *n);
/* A contiguous copy of t in dtype dt with its own storage; NULL on out-of-memory. */
l2_tensor *l2__grad_copy(const l2_tensor *t, l2_dtype dt);

/* Suspend scope registration while library code calls public functions; l2__leave resumes.
 * A public function that calls other public functions brackets those calls with these and
 * returns its result through l2__ret after l2__leave. */
void l2__enter(void);
void l2__leave(void);

/* Sum g (broadcast result) down to shape (ndim, shape): the reverse of broadcasting, accumulated
 * in float64 and rounded once to dt. Returns a new tensor (g itself with one more reference when
 * the shapes are equal), or NULL on error. */
l2_tensor *l2__sum_to(const l2_tensor *g, int ndim, const int64_t *shape, l2_dtype dt);
/* broadcast gradients (issue 12): l2__sum_to's row path (sum-rows.c). Adds the R rows of K
 * elements of g (contiguous float32/float64, numel R * K) into the zeroed float64 sums acc[K]
 * and Neumaier compensations comp[K], each output in row order (bitwise the generic loop's
 * result). False, nothing done, when g is not such a tensor or K < L2__SUMTO_ROWS_MIN. */
bool l2__sum_rows(double *acc, double *comp, const l2_tensor *g, int64_t R, int64_t K);
/* The float32 form (bcast, issue 12): out[K] (contiguous float32, numel K) = the sums of g's R
 * rows of K, in float64 in row order without compensation, rounded once. False, nothing done,
 * unless g is contiguous float32 and K >= L2__SUMTO_ROWS_MIN. */
bool l2__sum_rows_f32(l2_tensor *out, const l2_tensor *g, int64_t R, int64_t K);

/* speed10 (issue 12): the gradient of a slice, select or diagonal node lands in one region of
 * its input's gradient. l2__grad_region sets *v to the alias of z (a tensor of the input's
 * shape) that receives n's output gradient, or to NULL for other ops; L2_OK, or the error (out
 * of memory). The engine adds a piece's gradient there in place when the input's accumulated
 * gradient is its own (split, chunk, unbind: one buffer, not a full-size tensor per piece). */
l2_status l2__grad_region(const l2__node *n, l2_tensor *z, l2_tensor **v);
l2_tensor *l2__diagonal_part(const l2__node *n, l2_tensor *z);

#endif /* L2_AUTOGRAD_IMPL_H */
