/* The real-mode interrupt handlers switchyard's firmware leaves in the BIOS
 * area, so that a kernel which drops back to real mode (or never leaves it)
 * finds what a PC BIOS provides: IRQ 0 through INT 08h counting ticks in the
 * BIOS data area, the other hardware interrupts acknowledged at the 8259s, a
 * user timer hook at INT 1Ch, INT 11h/12h, and "unsupported" answers for the
 * services switchyard does not provide. emu/bios.cpp copies this code to
 * F000:E000 (physical 0xFE000) and points the interrupt vector table at it.
 *
 * The image starts with a table of 16-bit offsets, one per entry point, in the
 * order of enum class BiosEntry in emu/bios.h; offsets are from the start of
 * the image. Everything is 8086 code: it runs with whatever CPU mode the
 * caller's real mode has, on the caller's stack, and preserves every register
 * it does not return a result in.
 *
 * Sources: IBM PC/AT Technical Reference, BIOS listing (TIMER_INT: the tick
 * count at 0040:006C, the midnight flag at 0040:0070 after 1800B0h ticks,
 * INT 1CH before the end of interrupt; EQUIPMENT, MEMORY_SIZE_DET); Ralf
 * Brown's Interrupt List for the INT 15h/16h "function not supported" answer
 * (CF set, AH = 86h). */

#define PIC1_CMD  0x20
#define PIC2_CMD  0xA0
#define EOI       0x20
#define KBC_DATA  0x60
#define CMOS_IDX  0x70
#define CMOS_DATA 0x71
#define BDA_TICKS    0x46C
#define BDA_MIDNIGHT 0x470
#define BDA_EQUIP    0x410
#define BDA_MEMSIZE  0x413

    .code16
    .text
    .globl bios_image_start
bios_image_start:
    /* The entry table (emu/bios.h BiosEntry). */
    .word iret_only - bios_image_start       /* Iret */
    .word irq_master - bios_image_start      /* IrqMaster: IRQ 2-7 without a handler of their own */
    .word irq_slave - bios_image_start       /* IrqSlave: IRQ 8-15 likewise */
    .word int08_timer - bios_image_start     /* Timer: INT 08h, IRQ 0 */
    .word int09_keyboard - bios_image_start  /* Keyboard: INT 09h, IRQ 1 */
    .word int70_rtc - bios_image_start       /* Rtc: INT 70h, IRQ 8 */
    .word int74_mouse - bios_image_start     /* Mouse: INT 74h, IRQ 12 */
    .word int75_fpu - bios_image_start       /* Fpu: INT 75h, IRQ 13 */
    .word int11_equipment - bios_image_start /* Equipment: INT 11h */
    .word int12_memory - bios_image_start    /* MemorySize: INT 12h */
    .word unsupported - bios_image_start     /* Unsupported: INT 13h-1Ah services */

/* Software interrupts without a service, and the default user hooks. */
iret_only:
    iret

/* End of interrupt at the master 8259. */
irq_master:
    push %ax
    mov $EOI, %al
    out %al, $PIC1_CMD
    pop %ax
    iret

/* End of interrupt at both 8259s (a slave IRQ is in service at both). */
irq_slave:
    push %ax
    mov $EOI, %al
    out %al, $PIC2_CMD
    out %al, $PIC1_CMD
    pop %ax
    iret

/* IRQ 0: one tick more since midnight (18.2 a second), the midnight flag after
 * 24 hours' worth (1800B0h ticks), then the user hook INT 1Ch, then EOI. */
int08_timer:
    push %ax
    push %ds
    xor %ax, %ax
    mov %ax, %ds
    addw $1, BDA_TICKS
    adcw $0, BDA_TICKS + 2
    cmpw $0x18, BDA_TICKS + 2
    jb 1f
    cmpw $0xB0, BDA_TICKS
    jb 1f
    movw $0, BDA_TICKS
    movw $0, BDA_TICKS + 2
    incb BDA_MIDNIGHT
1:  int $0x1C
    mov $EOI, %al
    out %al, $PIC1_CMD
    pop %ds
    pop %ax
    iret

/* IRQ 1: take the scan code out of the controller (so the next key can raise
 * IRQ 1 again) and drop it; there is no INT 16h keyboard buffer. */
int09_keyboard:
    push %ax
    in $KBC_DATA, %al
    mov $EOI, %al
    out %al, $PIC1_CMD
    pop %ax
    iret

/* IRQ 8: reading RTC register C acknowledges the interrupt. */
int70_rtc:
    push %ax
    mov $0x0C, %al
    out %al, $CMOS_IDX
    in $CMOS_DATA, %al
    mov $EOI, %al
    out %al, $PIC2_CMD
    out %al, $PIC1_CMD
    pop %ax
    iret

/* IRQ 12: drop the mouse byte. */
int74_mouse:
    push %ax
    in $KBC_DATA, %al
    mov $EOI, %al
    out %al, $PIC2_CMD
    out %al, $PIC1_CMD
    pop %ax
    iret

/* IRQ 13: clear the coprocessor's busy latch. */
int75_fpu:
    push %ax
    xor %al, %al
    out %al, $0xF0
    mov $EOI, %al
    out %al, $PIC2_CMD
    out %al, $PIC1_CMD
    pop %ax
    iret

/* INT 11h: AX = the equipment word. */
int11_equipment:
    push %ds
    xor %ax, %ax
    mov %ax, %ds
    mov BDA_EQUIP, %ax
    pop %ds
    iret

/* INT 12h: AX = KiB of conventional memory. */
int12_memory:
    push %ds
    xor %ax, %ax
    mov %ax, %ds
    mov BDA_MEMSIZE, %ax
    pop %ds
    iret

/* Services switchyard does not provide (disk, serial, extended memory, keyboard,
 * printer, time): carry set and AH = 86h in the caller's FLAGS image. */
unsupported:
    push %bp
    mov %sp, %bp
    orw $1, 6(%bp)          /* FLAGS pushed by INT: above BP, IP and CS */
    pop %bp
    mov $0x86, %ah
    iret
    .section .note.GNU-stack, "", @progbits
