#include <l2.h>
#include "tap.h"
#include "gradcheck.h"
int main(void) { ok(1, "placeholder"); return tap_done(); }
