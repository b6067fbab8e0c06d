/* threshold.c: the query for libl2's internal size thresholds (l2_threshold, l2_threshold_name),
 * so that tests and the oracle can draw sizes on both sides of each one. The values themselves
 * are defined once in l2-impl.h and used by the kernels; this file only names them. */
#include "l2-impl.h"

#include <string.h>

static const struct {
    const char *name;
    int64_t value;
} thresholds[] = {
#define L2__THRESHOLD(name, value) {#name, value},
#include "threshold-list.h"
#undef L2__THRESHOLD
};
enum { N_THRESHOLDS = (int)(sizeof thresholds / sizeof thresholds[0]) };

int64_t l2_threshold(const char *name)
{
    L2__CHECK(name != NULL, -1, L2_ERR_NULL, "threshold: argument 'name' is NULL");
    for (int i = 0; i < N_THRESHOLDS; i++)
        if (strcmp(thresholds[i].name, name) == 0)
            return thresholds[i].value;
    L2__CHECK(false, -1, L2_ERR_ARG, "threshold: unknown name '%.64s'", name);
    return -1;
}

const char *l2_threshold_name(int i)
{
    return i >= 0 && i < N_THRESHOLDS ? thresholds[i].name : NULL;
}
