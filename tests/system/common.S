/* Console and exit routines shared by the test kernels: isa-debugcon (0xE9),
 * the 16550A on COM1 (polled), and isa-debug-exit (0xF4). Every routine saves
 * every register it does not return a value in. */
#include "common.h"

    .text

/* void serial_init(void): 115200 8N1, FIFOs on (and cleared), interrupts off. */
    .globl serial_init
serial_init:
    push %eax
    mov $0xC7, %al          /* enable and clear FIFOs, trigger 14 */
    call serial_init_fcr
    pop %eax
    ret

/* void serial_init_fcr(u8 fcr in %al): as serial_init with a chosen FCR value.
 * A kernel that must not lose input typed before it starts passes 0: enabling
 * or clearing the FIFOs throws away what the UART already holds. */
    .globl serial_init_fcr
serial_init_fcr:
    push %eax
    push %edx
    push %eax               /* the FCR value, for later */
    mov $COM1 + 1, %dx      /* IER: no interrupts */
    mov $0x00, %al
    out %al, %dx
    mov $COM1 + 3, %dx      /* LCR: DLAB on to reach the divisor */
    mov $0x80, %al
    out %al, %dx
    mov $COM1 + 0, %dx      /* DLL = 1 (115200 baud) */
    mov $0x01, %al
    out %al, %dx
    mov $COM1 + 1, %dx      /* DLM = 0 */
    mov $0x00, %al
    out %al, %dx
    mov $COM1 + 3, %dx      /* LCR: 8 bits, no parity, 1 stop, DLAB off */
    mov $0x03, %al
    out %al, %dx
    mov $COM1 + 2, %dx      /* FCR */
    pop %eax
    out %al, %dx
    mov $COM1 + 4, %dx      /* MCR: DTR, RTS, OUT2 */
    mov $0x0B, %al
    out %al, %dx
    pop %edx
    pop %eax
    ret

/* void serial_putc(char c in %al): waits for THRE, then writes THR. */
    .globl serial_putc
serial_putc:
    push %edx
    push %eax
    mov $COM1 + 5, %dx
1:  in %dx, %al             /* LSR */
    test $0x20, %al         /* THRE */
    jz 1b
    pop %eax
    mov $COM1, %dx
    out %al, %dx
    pop %edx
    ret

/* int serial_getc(void) -> %al: waits for a received byte (LSR.DR). */
    .globl serial_getc
serial_getc:
    push %edx
    mov $COM1 + 5, %dx
1:  in %dx, %al
    test $0x01, %al         /* DR */
    jz 1b
    mov $COM1, %dx
    in %dx, %al
    pop %edx
    ret

/* void putc(char c in %al): the byte to 0xE9 and to COM1. */
    .globl putc
putc:
    out %al, $DEBUGCON
    call serial_putc
    ret

/* void puts(const char *s in %esi): a NUL-terminated string to both consoles. */
    .globl puts
puts:
    push %eax
    push %esi
1:  movb (%esi), %al
    test %al, %al
    jz 2f
    call putc
    inc %esi
    jmp 1b
2:  pop %esi
    pop %eax
    ret

/* void put_hex(u32 v in %eax): "0x" and eight hex digits. */
    .globl put_hex
put_hex:
    push %eax
    push %ecx
    push %edx
    mov %eax, %edx
    mov $'0', %al
    call putc
    mov $'x', %al
    call putc
    mov $8, %ecx
1:  rol $4, %edx
    mov %edx, %eax
    and $0xF, %eax
    movb hex_digits(%eax), %al
    call putc
    dec %ecx
    jnz 1b
    pop %edx
    pop %ecx
    pop %eax
    ret

/* void put_dec(u32 v in %eax): unsigned decimal. */
    .globl put_dec
put_dec:
    push %eax
    push %ebx
    push %ecx
    push %edx
    mov $10, %ebx
    xor %ecx, %ecx
1:  xor %edx, %edx
    div %ebx                /* eax = v / 10, edx = digit */
    push %edx               /* digits come out lowest first */
    inc %ecx
    test %eax, %eax
    jnz 1b
2:  pop %eax
    add $'0', %al
    call putc
    dec %ecx
    jnz 2b
    pop %edx
    pop %ecx
    pop %ebx
    pop %eax
    ret

/* void exit(u8 v in %al) noreturn: isa-debug-exit; the host exits with
 * status (v << 1) | 1. Halts forever if the port does nothing. */
    .globl exit
exit:
    out %al, $DEBUG_EXIT
1:  cli
    hlt
    jmp 1b

    .section .rodata
hex_digits:
    .ascii "0123456789abcdef"
