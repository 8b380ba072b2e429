/* Console and exit routines shared by the test kernels: isa-debugcon (0xE9),
 * the 16550A on COM1 (polled), and isa-debug-exit (0xF4).
 *
 * The routines use no push or pop: each says which registers it clobbers, and
 * callers keep what they need in the others (%edi and %ebp are never touched).
 * This keeps the kernels to the instructions every emulator under test has
 * (call/ret, mov, in/out, arithmetic, jcc). */
#include "common.h"

    .text

/* void serial_init(void): 115200 8N1, FIFOs on (and cleared), interrupts off.
 * Clobbers %eax, %edx. */
    .globl serial_init
serial_init:
    mov $0xC7, %al          /* enable and clear FIFOs, trigger 14 */
    /* fall through */

/* void serial_init_fcr(u8 fcr in %al): as serial_init with a chosen FCR value.
 * A kernel that must not lose input typed before it starts passes 0: enabling
 * or clearing the FIFOs throws away what the UART already holds.
 * Clobbers %eax, %edx. */
    .globl serial_init_fcr
serial_init_fcr:
    mov %al, %ah            /* the FCR value, for later */
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
    mov %ah, %al
    out %al, %dx
    mov $COM1 + 4, %dx      /* MCR: DTR, RTS, OUT2 */
    mov $0x0B, %al
    out %al, %dx
    ret

/* void serial_putc(char c in %al): waits for THRE, then writes THR.
 * Clobbers %ah, %edx; %al is kept. */
    .globl serial_putc
serial_putc:
    mov %al, %ah
    mov $COM1 + 5, %dx
1:  in %dx, %al             /* LSR */
    test $0x20, %al         /* THRE */
    jz 1b
    mov %ah, %al
    mov $COM1, %dx
    out %al, %dx
    ret

/* char serial_getc(void) -> %al: waits for a received byte (LSR.DR).
 * Clobbers %edx. */
    .globl serial_getc
serial_getc:
    mov $COM1 + 5, %dx
1:  in %dx, %al
    test $0x01, %al         /* DR */
    jz 1b
    mov $COM1, %dx
    in %dx, %al
    ret

/* void putc(char c in %al): the byte to 0xE9 and to COM1.
 * Clobbers %ah, %edx; %al is kept. */
    .globl putc
putc:
    out %al, $DEBUGCON
    call serial_putc
    ret

/* void puts(const char *s in %esi): a NUL-terminated string to both consoles.
 * Clobbers %eax, %edx, %esi. */
    .globl puts
puts:
1:  movb (%esi), %al
    test %al, %al
    jz 2f
    call putc
    inc %esi
    jmp 1b
2:  ret

/* void put_hex(u32 v in %eax): "0x" and eight hex digits.
 * Clobbers %eax, %ebx, %ecx, %edx. */
    .globl put_hex
put_hex:
    mov %eax, %ebx
    mov $'0', %al
    call putc
    mov $'x', %al
    call putc
    mov $8, %ecx
1:  rol $4, %ebx
    mov %ebx, %eax
    and $0xF, %eax
    movb hex_digits(%eax), %al
    call putc
    dec %ecx
    jnz 1b
    ret

/* void put_dec(u32 v in %eax): unsigned decimal.
 * Clobbers %eax, %ebx, %ecx, %edx, %esi. */
    .globl put_dec
put_dec:
    mov $dec_end, %esi      /* digits are written backwards from the end */
    movb $0, (%esi)
    mov $10, %ebx
1:  xor %edx, %edx
    div %ebx                /* %eax = v / 10, %edx = the next digit */
    add $'0', %dl
    dec %esi
    movb %dl, (%esi)
    test %eax, %eax
    jnz 1b
    call puts
    ret

/* void exit(u8 v in %al) noreturn: isa-debug-exit; the host exits with
 * status (v << 1) | 1. Halts forever if the port does nothing (the test
 * kernels never enable interrupts, so hlt does not return). */
    .globl exit
exit:
    out %al, $DEBUG_EXIT
1:  hlt
    jmp 1b

    .section .rodata
hex_digits:
    .ascii "0123456789abcdef"

    .bss
dec_buf:
    .skip 11                /* ten digits of a u32 */
dec_end:
    .skip 1                 /* the NUL */
