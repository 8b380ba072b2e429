/* The i386 build has one switch model, the i386 switch_to (switch_to.h):
 * the x86-64 models' assembly (switch=linux26, xv6, solaris) does not exist
 * here, and main.c refuses those words. These names keep the shared
 * scheduler compiling; arch/i386/switch_models_32.c defines them to panic. */
#ifndef _SWITCH_TO_LINUX26_H
#define _SWITCH_TO_LINUX26_H

#define TIF_FORK 18
#define LINUX26_CTX_bp 0
#define LINUX26_CTX_flags 4
#define LINUX26_CTX_SIZE 8

#ifndef __ASSEMBLER__
#include "sched.h"
__noreturn void switch_model_unavailable(void);
#define switch_to_linux26(prev, next, last) switch_model_unavailable()
void copy_thread_linux26(struct task_struct *p);
#endif
#endif
