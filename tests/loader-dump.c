/* loader-dump.c: prints the batches of l2_loader over a dataset of N examples (labels 0..N-1,
 * and rows (i, -i) checked against them), for tests/loader_torch.py to compare with torch's
 * DataLoader over a TensorDataset:  loader-dump N BATCH DROP_LAST SHUFFLE EPOCHS
 * prints "len L", then one line per batch: "epoch b: i0 i1 ...", and "bad" on a wrong row. */
#include <l2.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 6)
        return 2;
    int64_t n = atoll(argv[1]);
    l2_loader_options o = {.batch_size = atoll(argv[2]), .drop_last = atoi(argv[3]) != 0,
                           .shuffle = atoi(argv[4]) != 0, .seed = 42};
    int epochs = atoi(argv[5]);
    l2_tensor *y = l2_arange(0, (double)n, 1, L2_INT64);
    l2_tensor *x = l2_stack(2, (l2_tensor *[]){l2_to_dtype(y, L2_FLOAT64),
                                               l2_neg(l2_to_dtype(y, L2_FLOAT64))},
                            1);
    l2_loader *ld = l2_loader_new(2, (l2_tensor *[]){y, x}, o);
    if (!ld) {
        printf("error %s\n", l2_status_name(l2_last_status()));
        return 0;
    }
    printf("len %lld\n", (long long)l2_loader_len(ld));
    l2_tensor *b[2];
    for (int e = 0; e < epochs; e++)
        while (l2_loader_next(ld, b)) {
            const int64_t *py = l2_data_ptr(b[0]);
            const double *px = l2_data_ptr(b[1]);
            printf("%d:", e);
            for (int64_t r = 0; r < l2_size(b[0], 0); r++) {
                printf(" %lld", (long long)py[r]);
                if (px[2 * r] != (double)py[r] || px[2 * r + 1] != -(double)py[r])
                    printf(" bad");
            }
            printf("\n");
        }
    l2_loader_free(ld);
    return 0;
}
