/* hello: the smallest useful Multiboot kernel. Checks the boot magic in EAX,
 * prints on 0xE9 and COM1, does a little arithmetic through call/ret, and
 * exits with status (0x10 << 1) | 1 = 33. */
#include "common.h"

MULTIBOOT_HEADER

    .globl _start
_start:
    mov $stack_top, %esp
    mov %eax, %edi          /* boot magic; the console routines keep %edi */
    call serial_init
    PRINT "hello from a multiboot kernel\n"

    cmp $MB_BOOT_MAGIC, %edi
    jne bad_magic
    PRINT "boot magic ok\n"

    /* sum of 1..100 through a called helper */
    mov $100, %ecx
    xor %ebp, %ebp
1:  call add_ecx
    dec %ecx
    jnz 1b
    PRINT "sum 1..100 = "
    mov %ebp, %eax
    call put_dec
    PRINT "\n"

    /* fib(25) iteratively */
    mov $25, %ecx
    xor %eax, %eax
    mov $1, %ebx
2:  mov %eax, %edx
    add %ebx, %edx
    mov %ebx, %eax
    mov %edx, %ebx
    dec %ecx
    jnz 2b
    mov %eax, %ebp
    PRINT "fib(25) = "
    mov %ebp, %eax
    call put_dec
    PRINT " = "
    mov %ebp, %eax
    call put_hex
    PRINT "\n"

    PRINT "bye\n"
    mov $0x10, %al
    jmp exit

bad_magic:
    PRINT "bad boot magic "
    mov %edi, %eax
    call put_hex
    PRINT "\n"
    mov $0x7F, %al
    jmp exit

/* void add_ecx(u32 n in %ecx): %ebp += n */
add_ecx:
    add %ecx, %ebp
    ret

    .bss
    .balign 16
stack:
    .skip 16384
stack_top:
