/* The debugger descriptor (include/debug_descriptor.h): filled at compile
 * time, so it is valid from the first instruction (the i386 build: from
 * debug_descriptor_init(), the first thing its start_kernel does). */
#include "debug_descriptor.h"
#include "lab.h"
#include "mm.h"
#include "percpu.h"
#include "sched.h"
#include "sched_xv6.h"
#include "switch_model.h"
#include "switch_to.h"
#include "switch_to_linux26.h"

_Static_assert(SY_DEBUG_MAX_CPUS == NR_CPUS, "the descriptor lists every possible CPU");
/* The i386 build lays the descriptor out as the x86-64 debugger reads it:
 * every uint64_t at a multiple of 8 (i386 aligns them to 4). */
_Static_assert(offsetof(struct sy_debug_descriptor, gs_base) % 8 == 0 &&
                   offsetof(struct sy_debug_descriptor, ia32) % 8 == 0 && sizeof(struct sy_debug_descriptor) == 1120,
               "the descriptor's layout is the same in both builds");
_Static_assert(SY_SWITCH_LINUX == SWITCH_LINUX && SY_SWITCH_LINUX26 == SWITCH_LINUX26 && SY_SWITCH_XV6 == SWITCH_XV6 &&
                   SY_SWITCH_SOLARIS == SWITCH_SOLARIS && SY_DEBUG_NR_MODELS == SWITCH_NR_MODELS,
               "the descriptor numbers the models as switch_model.h does");

extern char entry_SYSCALL_64[], entry_INT80_32[];
extern char _text[], _etext[];

#define T(f) offsetof(struct task_struct, f)
#define R(f) offsetof(struct pt_regs, f)
#define F(f) offsetof(struct inactive_task_frame, f)
#define P(f) offsetof(struct percpu, f)
#define C(f) offsetof(struct context, f)
#define L(f) offsetof(label_t, f)
#define A(x) ((uint64_t)(uintptr_t)(x)) /* an address, in a 64-bit field */
#define NONE UINT32_MAX                 /* a field the i386 structures do not have */

/* The address fields both builds fill, as (designator, address). */
#ifdef __x86_64__
#define ARCH_ADDRESSES(X) X(sym_switch_to_asm, __switch_to_asm) X(sym_entry_SYSCALL_64, entry_SYSCALL_64)
#else
/* i386: the switch_to inlined in __schedule stands for __switch_to_asm, int
 * $0x80's entry for the system-call entry; models[] and ia32 for the rest. */
#define ARCH_ADDRESSES(X)                                                                                     \
    X(sym_switch_to_asm, switch_to_i386) X(sym_entry_SYSCALL_64, entry_INT80_32)                              \
    X(models[SWITCH_LINUX].begin[0], switch_to_i386) X(models[SWITCH_LINUX].end, __switch_to)                 \
    X(models[SWITCH_LINUX].resume_pc, switch_to_resume) X(ia32.sym_ret_from_fork, ret_from_fork)              \
    X(ia32.sym_ret_from_kernel_thread, ret_from_kernel_thread)
#endif
#define COMMON_ADDRESSES(X)                                                                                   \
    X(self, &switchyard_debug_descriptor) X(init_mm, &init_mm) X(task_list, &task_list)                      \
    X(init_task, &init_task) X(percpu_base, cpu_data) X(nr_cpu_ids, &nr_cpu_ids)                             \
    X(cpu_online_mask, &cpu_online_mask) X(runqueues, runqueues) X(jiffies, &jiffies)                       \
    X(sym_switch_to, __switch_to) X(sym_ret_from_fork, ret_from_fork) X(sym_schedule, schedule)              \
    X(sym___schedule, __schedule) X(sym_sched_text_start, __sched_text_start)                                \
    X(sym_sched_text_end, __sched_text_end) X(text_start, _text) X(text_end, _etext)                         \
    X(lab_breaks, &lab_breaks) X(switch_model, &switch_model)                                                \
    X(gs_base[0], &cpu_data[0]) X(gs_base[1], &cpu_data[1]) X(gs_base[2], &cpu_data[2])                       \
    X(gs_base[3], &cpu_data[3]) X(gs_base[4], &cpu_data[4]) X(gs_base[5], &cpu_data[5])                       \
    X(gs_base[6], &cpu_data[6]) X(gs_base[7], &cpu_data[7]) X(gs_base[8], &cpu_data[8])                       \
    X(gs_base[9], &cpu_data[9]) X(gs_base[10], &cpu_data[10]) X(gs_base[11], &cpu_data[11])                   \
    X(gs_base[12], &cpu_data[12]) X(gs_base[13], &cpu_data[13]) X(gs_base[14], &cpu_data[14])                 \
    X(gs_base[15], &cpu_data[15]) ARCH_ADDRESSES(X)
_Static_assert(NR_CPUS == 16, "COMMON_ADDRESSES lists gs_base[] of 16 CPUs");

#ifdef __x86_64__
#define ADDRESS_FIELD(f, v) .f = A(v),
__attribute__((used, aligned(4096), section(".data.debug_descriptor")))
const struct sy_debug_descriptor switchyard_debug_descriptor = {
    COMMON_ADDRESSES(ADDRESS_FIELD)
#include "debug_descriptor_fields.h"
};
#else
/* gcc cannot put a 32-bit address into a 64-bit field of a constant (there is
 * no 64-bit relocation in ELF32), so the i386 build's address fields are 0
 * here, and the table below says what goes where: tools/patch_descriptor.py
 * writes them into kernel-i386.elf after the link, so that the descriptor is
 * valid in the image, before the kernel runs, as the x86-64 one is. */
__attribute__((used, aligned(4096), section(".data.debug_descriptor")))
const struct sy_debug_descriptor switchyard_debug_descriptor = {
#include "debug_descriptor_fields.h"
};
struct descriptor_fixup {
    uint32_t offset; /* of a 64-bit field in the descriptor */
    uint32_t value;  /* the address it holds (the upper half is 0) */
};
#define ADDRESS_FIXUP(f, v) {offsetof(struct sy_debug_descriptor, f), (uint32_t)(v)},
__attribute__((used)) const struct descriptor_fixup switchyard_debug_descriptor_fixups[] = {
    COMMON_ADDRESSES(ADDRESS_FIXUP)
};
#endif
