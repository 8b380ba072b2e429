/* echo: reads COM1 by polling LSR.DR and writes each line back upper-cased
 * ("> LINE"), until a line that is exactly "quit". Exits with status
 * (0x13 << 1) | 1 = 39. Input comes from the host's stdin. */
#include "common.h"

MULTIBOOT_HEADER

    .globl _start
_start:
    mov $stack_top, %esp
    xor %al, %al            /* FIFOs stay off: keep what was typed early */
    call serial_init_fcr
    PRINT "ready\n"
next_line:
    mov $line, %edi
read_char:
    call serial_getc
    cmp $'\r', %al
    je read_char
    cmp $'\n', %al
    je end_of_line
    cmp $'a', %al           /* upper-case a-z */
    jb 1f
    cmp $'z', %al
    ja 1f
    sub $0x20, %al
1:  cmp $line_end, %edi
    jae read_char           /* a full buffer drops the rest of the line */
    movb %al, (%edi)
    inc %edi
    jmp read_char
end_of_line:
    movb $0, (%edi)
    mov $line, %esi
    cmpl $0x54495551, (%esi)    /* "QUIT" */
    jne 2f
    cmpb $0, 4(%esi)
    je done
2:  PRINT "> "
    mov $line, %esi
    call puts
    PRINT "\n"
    jmp next_line
done:
    PRINT "bye\n"
    mov $0x13, %al
    jmp exit

    .bss
line:
    .skip 80
line_end:
    .skip 1
    .balign 16
    .skip 16384
stack_top:
