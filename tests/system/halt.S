/* halt: prints a line on 0xE9, then cli; hlt. No CPU can run again, so
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
    cli
    hlt
