/* mbinfo: prints what the boot loader handed over (Multiboot 3.3): the magic,
 * mem_lower/mem_upper, the command line, the modules (string, size, first
 * bytes), and the memory map. Exits with status (0x11 << 1) | 1 = 35. */
#include "common.h"

MULTIBOOT_HEADER

/* multiboot_info field offsets (3.3) */
#define MBI_FLAGS      0
#define MBI_MEM_LOWER  4
#define MBI_MEM_UPPER  8
#define MBI_CMDLINE    16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR  24
#define MBI_MMAP_LEN   44
#define MBI_MMAP_ADDR  48

    .globl _start
_start:
    mov $stack_top, %esp
    mov %eax, %edi
    mov %ebx, %ebp          /* multiboot_info, kept for the whole run */
    call serial_init
    cmp $MB_BOOT_MAGIC, %edi
    jne bad
    PRINT "magic ok\n"

    testl $1, MBI_FLAGS(%ebp)
    jz 1f
    PRINT "mem_lower="
    mov MBI_MEM_LOWER(%ebp), %eax
    call put_dec
    PRINT " mem_upper="
    mov MBI_MEM_UPPER(%ebp), %eax
    call put_dec
    PRINT "\n"
1:
    testl $4, MBI_FLAGS(%ebp)
    jz 1f
    PRINT "cmdline='"
    mov MBI_CMDLINE(%ebp), %esi
    call puts
    PRINT "'\n"
1:
    testl $8, MBI_FLAGS(%ebp)
    jz no_mods
    PRINT "modules="
    mov MBI_MODS_COUNT(%ebp), %eax
    call put_dec
    PRINT "\n"
    mov MBI_MODS_ADDR(%ebp), %ebx
    mov MBI_MODS_COUNT(%ebp), %ecx
    test %ecx, %ecx
    jz no_mods
2:  PRINT " module '"
    mov 8(%ebx), %esi
    call puts
    PRINT "' size="
    mov 4(%ebx), %eax
    sub 0(%ebx), %eax
    call put_dec
    PRINT " aligned="
    mov 0(%ebx), %eax
    and $0xFFF, %eax
    jnz 3f
    PRINT "yes first='"
    mov 0(%ebx), %esi       /* print up to 8 bytes of the module */
    mov 4(%ebx), %edx
    push %ecx
    mov $8, %ecx
4:  cmp %edx, %esi
    jae 5f
    movb (%esi), %al
    call putc
    inc %esi
    dec %ecx
    jnz 4b
5:  pop %ecx
    PRINT "'\n"
    jmp 6f
3:  PRINT "no\n"
6:  add $16, %ebx
    dec %ecx
    jnz 2b
no_mods:
    PRINT "bye\n"
    mov $0x11, %al
    jmp exit

bad:
    PRINT "bad magic\n"
    mov $0x7F, %al
    jmp exit

    .bss
    .balign 16
    .skip 16384
stack_top:
