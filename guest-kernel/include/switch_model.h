/* Switch models: `--append switch=NAME` chooses how this kernel switches
 * kernel stacks, so that the ways the seed articles describe can be stepped on
 * one kernel with one workload. Everything else (the run queues, fork, exit,
 * user mode, SMP, the FPU, FS/GS and TSS.RSP0 switching in __switch_to) is the
 * same under every model; only the code between "prev stops" and "next
 * resumes", and where a switched-out task's registers are kept, differ.
 *
 *   switch=linux    (default) Linux x86-64 today: __switch_to_asm pushes a
 *                   struct inactive_task_frame on prev's stack, saves RSP in
 *                   thread.sp and jumps to __switch_to, whose ret pops next's
 *                   ret_addr (switch_to.h, switch_to.S)
 *   switch=linux26  Linux 2.6 x86-64: the switch_to macro, inlined in
 *                   __schedule: SAVE_CONTEXT pushes RFLAGS and RBP, RSP goes
 *                   to thread.sp, next's RSP is loaded and __switch_to is
 *                   *called* on next's stack, so every task resumes at
 *                   thread_return, an address no sleeping stack holds
 *                   (switch_to_linux26.h)
 *   switch=xv6      xv6: a scheduler thread per CPU; sched() swtch()es from
 *                   prev to it, scheduler() picks next and swtch()es to it:
 *                   every switch is task -> scheduler -> task; swtch saves the
 *                   callee-saved registers as a struct context on the stack
 *                   (sched_xv6.h, kernel/sched_xv6.c, arch/x86/swtch.S)
 *   switch=solaris  Solaris amd64: resume() saves the non-volatile registers
 *                   and the resume PC (resume_return) in the thread's
 *                   label_t, not on its stack, and reaches the next thread
 *                   through spl0's ret; resume_from_zombie frees a dead
 *                   thread's stack (label.h, arch/x86/resume.S)
 *
 * The debugger descriptor (debug_descriptor.h, version 3) says which model
 * runs and where each keeps a task's saved state. */
#ifndef _SWITCH_MODEL_H
#define _SWITCH_MODEL_H

#define SWITCH_LINUX 0
#define SWITCH_LINUX26 1
#define SWITCH_XV6 2
#define SWITCH_SOLARIS 3
#define SWITCH_NR_MODELS 4

#ifndef __ASSEMBLER__
#include "types.h"
extern int switch_model; /* SWITCH_*: set once, from the command line, before any switch */
extern const char *const switch_model_names[SWITCH_NR_MODELS];
extern const char switch_models_known[]; /* the words this build takes, for the message */
/* Sets switch_model from a "switch=NAME" word; false if NAME is unknown. */
bool switch_model_parse(const char *word);
#endif
#endif
