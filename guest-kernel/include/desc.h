/* Per-CPU descriptor tables and the CPU set-up (arch/x86/cpu.c, traps.c). */
#ifndef _DESC_H
#define _DESC_H
#include "percpu.h"

void cpu_init(int cpu);  /* GDT, TSS, IDT, syscall MSRs, CR0/CR4, FPU */
void idt_setup(void);    /* once, on the boot CPU */
void load_idt(void);
void update_task_stack(unsigned long top); /* TSS.RSP0 */
extern char df_stacks[NR_CPUS][4096], nmi_stacks[NR_CPUS][4096];

#endif
