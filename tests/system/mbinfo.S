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
    mov MBI_MODS_ADDR(%ebp), %edi   /* the current module entry */
    mov MBI_MODS_COUNT(%ebp), %eax
    mov %eax, mods_left
2:  cmpl $0, mods_left
    je no_mods
    PRINT " module '"
    mov 8(%edi), %esi
    call puts
    PRINT "' size="
    mov 4(%edi), %eax
    sub 0(%edi), %eax
    call put_dec
    PRINT " aligned="
    testl $0xFFF, 0(%edi)
    jnz 3f
    PRINT "yes first='"
    mov 0(%edi), %esi       /* up to 8 bytes of the module */
    mov 0(%edi), %ecx
    add $8, %ecx
    cmp 4(%edi), %ecx
    jbe 4f
    mov 4(%edi), %ecx
4:  cmp %ecx, %esi
    jae 5f
    movb (%esi), %al
    call putc               /* keeps %ecx and %esi */
    inc %esi
    jmp 4b
5:  PRINT "'\n"
    jmp 6f
3:  PRINT "no\n"
6:  add $16, %edi
    decl mods_left
    jmp 2b
no_mods:
    PRINT "bye\n"
    mov $0x11, %al
    jmp exit

bad:
    PRINT "bad magic\n"
    mov $0x7F, %al
    jmp exit

    .bss
mods_left:
    .skip 4
    .balign 16
    .skip 16384
stack_top:
