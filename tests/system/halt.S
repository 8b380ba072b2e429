/* halt: prints a line on 0xE9, then hlt with IF = 0 (as Multiboot leaves it). No CPU can run again, so
 * switchyard ends the run with status 6. */
#include "common.h"

MULTIBOOT_HEADER

    .globl _start
_start:
    mov $0x9000, %esp
    mov $'h', %al
    out %al, $DEBUGCON
    mov $'\n', %al
    out %al, $DEBUGCON
    hlt
