/* realmode: a round trip to real mode for the C test kernels, to use what the
 * firmware leaves there (SDM Vol. 3A, 9.9.2 "Switching Back to Real-Address
 * Mode"; 9.9.1 for the way back).
 *
 *   void realmode_bios_tick(struct rm_result *r): copies the 16-bit code below
 *       to RM_CODE (0x7000) and runs it in real mode with the BIOS's interrupt
 *       vector table: it hooks INT 1Ch (the BIOS timer handler's user hook) and
 *       INT 70h (IRQ 8: where the slave 8259's vector base 70h sends the RTC),
 *       turns the RTC's periodic interrupt on, and waits in sti; hlt until the
 *       tick count at 0040:006C has moved and the RTC has interrupted once;
 *       then it puts the vectors and the RTC back and returns to protected
 *       mode. Interrupts are left disabled; the caller reloads its IDT.
 *       Before it leaves real mode it turns the A20 gate off and on through
 *       port 0x92 and writes 0000:FEF0 and FFFF:FF00 (physical 0x10FEF0) each
 *       time, restoring both afterwards: with A20 off they are one byte.
 *       r gets the tick count before and after, how often INT 1Ch ran, how
 *       often INT 70h ran, and whether the two addresses were one with A20
 *       off and with it on.
 * Expects: 32-bit protected mode, paging off, CS 0x08 / DS 0x10 flat (the
 * GDT below has the same entries), the BIOS's 8259 masks (IRQ 0, 2 and 8 open).
 * Saves: everything the C calling convention asks (EBX, ESI, EDI, EBP, ESP). */
#define RM_CODE  0x7000
#define RM_DATA  0x6F00         /* struct rm_result's fields, then the saved ESP at +16 */
#define RM_STACK 0x6E00
#define CODE16   0x18
#define DATA16   0x20
#define AT(label) ((label) - rm_start + RM_CODE)

    .text
    .globl realmode_bios_tick
realmode_bios_tick:
    push %ebp
    push %ebx
    push %esi
    push %edi
    cli
    mov $rm_start, %esi          /* copy the 16-bit code below 64 KiB */
    mov $RM_CODE, %edi
    mov $(rm_end - rm_start), %ecx
    cld
    rep movsb
    mov %esp, RM_DATA + 16
    lgdt rm_gdt_desc
    ljmp $CODE16, $RM_CODE       /* 16-bit protected mode, 64 KiB segments */

rm_back32:                       /* protected mode again, from rm_to_pm below */
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov RM_DATA + 16, %esp
    mov 20(%esp), %edi           /* r, above the four saved registers and the return address */
    mov RM_DATA, %eax
    mov %eax, 0(%edi)            /* ticks before */
    mov RM_DATA + 4, %eax
    mov %eax, 4(%edi)            /* ticks after */
    movzwl RM_DATA + 8, %eax
    mov %eax, 8(%edi)            /* INT 1Ch calls */
    movzwl RM_DATA + 10, %eax
    mov %eax, 12(%edi)           /* INT 70h calls */
    movzbl RM_DATA + 12, %eax
    mov %eax, 16(%edi)           /* A20 off: the two addresses are one */
    movzbl RM_DATA + 13, %eax
    mov %eax, 20(%edi)           /* A20 on: likewise (should be 0) */
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

    .code16
rm_start:
    mov $DATA16, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov %cr0, %eax
    and $~1, %eax                /* CR0.PE off */
    mov %eax, %cr0
    ljmp $0, $AT(rm_real)
rm_real:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $RM_STACK, %sp
    lidt AT(rm_ivt_desc)
    movw $0, RM_DATA + 8
    movw $0, RM_DATA + 10
    mov 0x1C * 4, %eax           /* hook INT 1Ch and INT 70h, keeping the old vectors */
    mov %eax, AT(rm_old_1c)
    mov 0x70 * 4, %eax
    mov %eax, AT(rm_old_70)
    movw $AT(rm_hook_1c), 0x1C * 4
    movw $0, 0x1C * 4 + 2
    movw $AT(rm_hook_70), 0x70 * 4
    movw $0, 0x70 * 4 + 2
    mov $0x8A, %al               /* RTC register A (NMI stays off): 32.768 kHz, 1024 Hz periodic */
    out %al, $0x70
    mov $0x26, %al
    out %al, $0x71
    mov $0x8B, %al               /* register B: periodic interrupt on */
    out %al, $0x70
    in $0x71, %al
    or $0x40, %al
    mov %al, %ah
    mov $0x8B, %al
    out %al, $0x70
    mov %ah, %al
    out %al, $0x71
    mov 0x46C, %eax
    mov %eax, RM_DATA
    sti
1:  hlt                          /* until the BIOS has counted a tick */
    mov 0x46C, %eax
    cmp RM_DATA, %eax
    je 1b
2:  cmpw $0, RM_DATA + 10        /* and the RTC has interrupted */
    jne 3f
    hlt
    jmp 2b
3:  cli
    mov 0x46C, %eax
    mov %eax, RM_DATA + 4
    mov $0x8B, %al               /* periodic interrupt off again, register C read */
    out %al, $0x70
    in $0x71, %al
    and $~0x40, %al
    mov %al, %ah
    mov $0x8B, %al
    out %al, $0x70
    mov %ah, %al
    out %al, $0x71
    mov $0x0C, %al
    out %al, $0x70
    in $0x71, %al
    mov $0x0D, %al               /* NMI on again */
    out %al, $0x70
    in $0x71, %al
    mov $0xFFFF, %ax             /* A20: 0000:FEF0 = 0FEF0h, FFFF:FF00 = 10FEF0h */
    mov %ax, %es
    mov 0xFEF0, %bx              /* keep both words */
    mov %es:0xFF00, %cx
    in $0x92, %al
    and $~2, %al                 /* A20 off */
    out %al, $0x92
    movw $0x1111, 0xFEF0
    movw $0x2222, %es:0xFF00
    cmpw $0x2222, 0xFEF0
    sete RM_DATA + 12
    in $0x92, %al
    or $2, %al                   /* A20 on */
    out %al, $0x92
    movw $0x1111, 0xFEF0
    movw $0x2222, %es:0xFF00
    cmpw $0x2222, 0xFEF0
    sete RM_DATA + 13
    mov %bx, 0xFEF0
    mov %cx, %es:0xFF00
    xor %ax, %ax
    mov %ax, %es
    mov AT(rm_old_1c), %eax
    mov %eax, 0x1C * 4
    mov AT(rm_old_70), %eax
    mov %eax, 0x70 * 4
    lgdtl AT(rm_gdt_desc16)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $rm_back32

/* INT 1Ch, called by the BIOS's INT 08h handler; any DS, so through CS (= 0). */
rm_hook_1c:
    incw %cs:RM_DATA + 8
    iret

/* IRQ 8: count it, acknowledge the RTC (register C) and both 8259s. */
rm_hook_70:
    push %ax
    incw %cs:RM_DATA + 10
    mov $0x0C, %al
    out %al, $0x70
    in $0x71, %al
    mov $0x20, %al
    out %al, $0xA0
    out %al, $0x20
    pop %ax
    iret

    .balign 4
rm_old_1c: .long 0
rm_old_70: .long 0
rm_ivt_desc:
    .word 0x3FF
    .long 0
rm_gdt_desc16:
    .word rm_gdt_end - rm_gdt - 1
    .long rm_gdt
rm_end:
    .code32

    .section .rodata
    .balign 8
rm_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF     /* 0x08: code, 4 GiB, 32-bit (as entry.S) */
    .quad 0x00CF92000000FFFF     /* 0x10: data, 4 GiB */
    .quad 0x00009A000000FFFF     /* 0x18: code, 64 KiB, 16-bit */
    .quad 0x000092000000FFFF     /* 0x20: data, 64 KiB */
rm_gdt_end:
rm_gdt_desc:
    .word rm_gdt_end - rm_gdt - 1
    .long rm_gdt
    .section .note.GNU-stack, "", @progbits
