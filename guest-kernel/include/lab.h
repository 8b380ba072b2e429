/* Lab switches: `--append break=NAME` breaks one mechanism of the context
 * switch or the kernel entry on purpose, so that a student can watch what
 * goes wrong, and where, under `switchyard run --check` or in the GUI
 * (docs/gui.md). Never set in a normal boot. Shared with assembly.
 *
 *   break=rsp0    __switch_to leaves TSS.RSP0 (and top_of_stack) at prev's
 *                 stack: the next interrupt from user mode lands on the wrong
 *                 kernel stack
 *   break=swapgs  common_interrupt does not SWAPGS on an interrupt from user
 *                 mode: the kernel runs with the user's GS base
 *   break=fsbase  __switch_to does not load next's FS base: next's TLS is
 *                 prev's
 *   break=canary  __switch_to_asm does not load next's stack canary: next's
 *                 stack-protected functions check against prev's */
#ifndef _LAB_H
#define _LAB_H

#define LAB_BREAK_RSP0 (1 << 0)
#define LAB_BREAK_SWAPGS (1 << 1)
#define LAB_BREAK_FSBASE (1 << 2)
#define LAB_BREAK_CANARY (1 << 3)

#ifndef __ASSEMBLER__
#include "types.h"
extern unsigned int lab_breaks; /* LAB_BREAK_* bits from the command line */
static inline bool lab_broken(unsigned int what) { return (lab_breaks & what) != 0; }
/* Sets lab_breaks from a "break=NAME" word; false if NAME is unknown. */
bool lab_parse(const char *word);
#endif
#endif
