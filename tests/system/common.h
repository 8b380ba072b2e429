/* Shared definitions for the Multiboot test kernels (32-bit, GNU as through cpp).
 * Multiboot Specification 0.6.96, 3.1.1 (header) and 3.2 (machine state). */
#ifndef TESTS_SYSTEM_COMMON_H
#define TESTS_SYSTEM_COMMON_H

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_BOOT_MAGIC   0x2BADB002
#define MB_PAGE_ALIGN   (1 << 0)
#define MB_MEMORY_INFO  (1 << 1)
#define MB_AOUT_KLUDGE  (1 << 16)

#define COM1       0x3F8
#define DEBUGCON   0xE9
#define DEBUG_EXIT 0xF4

/* The Multiboot header for an ELF kernel: magic, flags, checksum. */
.macro MULTIBOOT_HEADER flags=(MB_PAGE_ALIGN | MB_MEMORY_INFO)
    .section .multiboot, "a"
    .balign 4
    .long MB_HEADER_MAGIC
    .long \flags
    .long -(MB_HEADER_MAGIC + (\flags))
    .text
.endm

/* Shorthand for printing a string literal on both consoles:
 * PRINT "text\n"  (clobbers %eax, %edx, %esi, like puts) */
.macro PRINT text
    .section .rodata
1:  .asciz "\text"
    .text
    mov $1b, %esi
    call puts
.endm

#endif
