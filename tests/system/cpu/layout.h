/* Constants shared by boot.S and the C side of the CPU system-test kernels:
 * the GDT layout, control-register and MSR bits (SDM Vol. 3A ch. 2, Vol. 4). */
#ifndef TESTS_SYSTEM_CPU_LAYOUT_H
#define TESTS_SYSTEM_CPU_LAYOUT_H

#define KERNEL_CS   0x08
#define KERNEL_DS   0x10
#define USER_CS32   0x1B   /* 0x18 | RPL 3 */
#define USER_DS     0x23   /* 0x20 | RPL 3 */
#define USER_CS     0x2B   /* 0x28 | RPL 3 */
#define KERNEL_CS32 0x30
#define TSS_SEL     0x38
#define BASED_DS    0x48   /* data descriptor with base 0x345000 */
#define BASED_DS_BASE 0x345000
#define ABSENT_DS   0x50   /* data descriptor with P = 0 */
#define GDT_LIMIT   0x57

#define CR0_MP  (1u << 1)
#define CR0_EM  (1u << 2)
#define CR0_TS  (1u << 3)
#define CR0_WP  (1u << 16)
#define CR4_PAE (1u << 5)
#define CR4_PGE (1u << 7)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_FSGSBASE (1u << 16)

#define MSR_EFER    0xC0000080
#define MSR_STAR    0xC0000081
#define MSR_LSTAR   0xC0000082
#define MSR_SFMASK  0xC0000084
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

#endif
