/* main.c: the l2bench program: registers every case (core, planned ops found in libl2 at run
 * time, machine limits) and hands the command line to Google Benchmark through the shim.
 * Extra option: --l2_list prints every case, including those whose op libl2 lacks.
 */
#include "cases.h"

int main(int argc, char **argv)
{
    l2_manual_seed(1);
    bench_cases_core();
    bench_cases_ops();
    bench_cases_nn();
    bench_cases_limits();
    return bench_main(argc, argv);
}
