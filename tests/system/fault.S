/* fault: no IDT, then UD2: #UD cannot be delivered, nor can #DF, so the CPU
 * shuts down (triple fault). switchyard ends the run with status 4. */
#include "common.h"

MULTIBOOT_HEADER

    .globl _start
_start:
    mov $0x9000, %esp
    ud2
