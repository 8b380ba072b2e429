/* The x86-64 switch models (switch=linux26, xv6, solaris) have no i386
 * assembly: switch_model_parse() refuses them in this build, so nothing calls
 * these. They exist so that the shared scheduler links. */
#include "label.h"
#include "printk.h"
#include "sched.h"
#include "sched_xv6.h"
#include "switch_to_linux26.h"

__noreturn void switch_model_unavailable(void) { panic("this switch model is x86-64 only (the i386 build has switch_to)"); }
struct task_struct *resume(struct task_struct *prev, struct task_struct *t) { switch_model_unavailable(); }
struct task_struct *resume_from_zombie(struct task_struct *prev, struct task_struct *t) { switch_model_unavailable(); }
struct task_struct *swtch(struct context **old, struct context *new, struct task_struct *last)
{
    switch_model_unavailable();
}
char resume_return[1]; /* a label in resume.S: never reached here */
