/* main.c: the l2bench program: registers every case (core, planned ops found in libl2 at run
 * time, machine limits) and hands the command line to Google Benchmark through the shim.
 * Extra options: --l2_list prints every case, including those whose op libl2 lacks;
 * --l2_rss=MODEL,FIRST,LAST measures resident memory over training steps (bench_rss_main).
 */
#include <string.h>

#include "cases.h"

int main(int argc, char **argv)
{
    l2_manual_seed(1);
    bench_cases_core();
    bench_cases_ops();
    bench_cases_nn();
    bench_cases_ops14();
    bench_cases_conv3(); /* conv3 (issue 14) */
    bench_cases_half(); /* half compute (issue 16) */
    bench_cases_loss2(); /* loss (issue 14) */
    bench_cases_compose(); /* compose (issue 15) */
    bench_cases_lapack(); /* la1 (issue 15) */
    bench_cases_svd();    /* svd (issue 15) */
    bench_cases_baddbmm(); /* baddbmm (issue 15) */
    bench_cases_lsq(); /* lsqnorm (issue 15) */
    bench_cases_uniq();  /* uniq: scatter and unique (issue 14, bench9) */
    bench_cases_rnn();   /* rnn: LSTM and GRU layers (issue 15) */
    bench_cases_decomp(); /* linalg_eigh, linalg_qr (issue 15) */
    bench_cases_mha();   /* multi-head attention layer (issue 15) */
    bench_cases_adv(); /* adv (issue 14) */
    bench_cases_state(); /* state: checkpoints (issue 16) */
    bench_cases_ops14b();
    bench_cases_ops14c();
    bench_cases_limits();
    if (argc > 1 && strncmp(argv[1], "--l2_rss=", 9) == 0) {
        char model[16];
        long first, last;
        int th[2];
        bench_thread_counts(th);
        if (sscanf(argv[1] + 9, "%15[a-z],%ld,%ld", model, &first, &last) != 3) {
            fprintf(stderr, "l2bench: --l2_rss=MODEL,FIRST,LAST (mlp,1000,10000)\n");
            return 2;
        }
        return bench_rss_main(model, first, last, th[0]);
    }
    return bench_main(argc, argv);
}
