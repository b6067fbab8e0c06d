/* dist-internal.h: what dist.c shares with ddp.c inside libl2-dist (not installed; the l2__dist_
 * names are not exported: the library exports ^l2_dist_ only). */
#ifndef L2_DIST_INTERNAL_H
#define L2_DIST_INTERNAL_H
#include "l2_dist.h"

#include <mpi.h>
#include <stddef.h>

extern MPI_Comm l2__dist_comm; /* libl2-dist's communicator, MPI_COMM_NULL before init */
extern int l2__dist_size;      /* its size W */
extern bool l2__dist_broken;   /* a collective failed or timed out: the communicator is lost */

/* One tensor to move: its data, byte size and dtype; buckets are ranges of these. */
typedef struct {
    unsigned char *data;
    size_t bytes;
    l2_dtype dt;
    l2_tensor *t;
    size_t at; /* its offset in pack_buf, or SIZE_MAX when its bucket is the tensor itself */
} item;

/* An MPI return code as L2_ERR_COMM with MPI's message (the communicator is then broken). */
l2_status l2__dist_mpi_fail(const char *fn, const char *what, int rc);
/* L2_ERR_ARG before init, L2_ERR_COMM once broken. */
l2_status l2__dist_check_ready(const char *fn);
/* Poll n requests until all complete, an MPI error, or the timeout. */
l2_status l2__dist_wait_all(const char *fn, int n, MPI_Request *reqs);
/* init, n, params, bucket_bytes checks shared by the bucketed calls. */
l2_status l2__dist_check_common(const char *fn, int n, l2_tensor *const *params,
                                int64_t bucket_bytes);
/* Every rank passes the same list (sizes, dtypes), else L2_ERR_COMM on every rank. */
l2_status l2__dist_agree(const char *fn, const item *it, int m);
/* Split it[0..m) into buckets of about cap bytes; start gets nb + 1 entries; returns nb. */
int l2__dist_make_buckets(const item *it, int m, size_t cap, int *start);
#endif
