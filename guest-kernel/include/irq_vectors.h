/* Interrupt vectors (shared with entry_64.S). 0-31 are the CPU's exceptions
 * (SDM Vol. 3A 6.3.1); the rest is Linux's arrangement, simplified. */
#ifndef _IRQ_VECTORS_H
#define _IRQ_VECTORS_H

#define X86_TRAP_DE 0
#define X86_TRAP_DB 1
#define X86_TRAP_NMI 2
#define X86_TRAP_BP 3
#define X86_TRAP_OF 4
#define X86_TRAP_BR 5
#define X86_TRAP_UD 6
#define X86_TRAP_NM 7
#define X86_TRAP_DF 8
#define X86_TRAP_TS 10
#define X86_TRAP_NP 11
#define X86_TRAP_SS 12
#define X86_TRAP_GP 13
#define X86_TRAP_PF 14
#define X86_TRAP_MF 16
#define X86_TRAP_AC 17
#define X86_TRAP_MC 18
#define X86_TRAP_XF 19

#define FIRST_EXTERNAL_VECTOR 0x20
#define ISA_IRQ_VECTOR(irq) (0x30 + (irq)) /* IOAPIC pins of the ISA IRQs */
#define LOCAL_TIMER_VECTOR 0xec
#define RESCHEDULE_VECTOR 0xfd
#define ERROR_APIC_VECTOR 0xfe
#define SPURIOUS_APIC_VECTOR 0xff

#define COM1_IRQ 4

#endif
