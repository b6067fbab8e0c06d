#include <l2.h>
#include "tap.h"
int main(void) { return tap_done(); }
