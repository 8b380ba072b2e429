#include "kernel.h"
void ap_main(unsigned id){(void)id;}
void kmain(unsigned m, unsigned i){(void)m;(void)i; exit(1);}
