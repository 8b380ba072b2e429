/* aout: a flat binary (no ELF headers) booted through the Multiboot a.out
 * kludge: the header's address fields say where the file goes (3.1.3). Built
 * with kernel.ld and `objcopy -O binary`, so the file's first byte is the
 * header at 0x100000. Exits with status (0x12 << 1) | 1 = 37. */
#include "common.h"

#define AOUT_FLAGS (MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE)

    .section .multiboot, "a"
    .balign 4
mb_header:
    .long MB_HEADER_MAGIC
    .long AOUT_FLAGS
    .long -(MB_HEADER_MAGIC + AOUT_FLAGS)
    .long mb_header         /* header_addr */
    .long mb_header         /* load_addr: the file starts with the header */
    .long _edata            /* load_end_addr */
    .long _end              /* bss_end_addr */
    .long _start            /* entry_addr */

    .text
    .globl _start
_start:
    mov $stack_top, %esp
    mov %eax, %edi
    call serial_init
    PRINT "flat a.out-kludge kernel\n"
    cmp $MB_BOOT_MAGIC, %edi
    jne 1f
    PRINT "magic ok\n"
1:
    /* the bss must read as zero */
    mov $bss_probe, %esi
    mov $64, %ecx
    xor %eax, %eax
2:  or (%esi), %eax
    add $4, %esi
    dec %ecx
    jnz 2b
    test %eax, %eax
    jnz 3f
    PRINT "bss zeroed\n"
3:
    mov $0x12, %al
    jmp exit

    .bss
    .balign 16
bss_probe:
    .skip 256
    .skip 16384
stack_top:
