/* spin: loops forever; switchyard's --max-cycles ends the run (status 8). */
#include "common.h"

MULTIBOOT_HEADER

    .globl _start
_start:
1:  jmp 1b
