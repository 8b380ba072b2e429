/* The switch models (include/switch_model.h): the choice, and the parts of a
 * new task's first frames that differ between them. */
#include "label.h"
#include "lib.h"
#include "sched.h"
#include "switch_model.h"
#include "switch_to.h"
#include "switch_to_linux26.h"

int switch_model = SWITCH_LINUX;
const char *const switch_model_names[SWITCH_NR_MODELS] = {"linux", "linux26", "xv6", "solaris"};
#ifdef __x86_64__
const char switch_models_known[] = "switch=linux switch=linux26 switch=xv6 switch=solaris";
#else
const char switch_models_known[] = "switch=linux, the i386 switch_to; the others are x86-64 only";
#endif

bool switch_model_parse(const char *word)
{
    if (strncmp(word, "switch=", 7)) return false;
#ifdef __i386__
    /* One model here: the i386 switch_to, under its x86-64 name's slot. */
    if (strcmp(word + 7, "linux")) return false;
#endif
    for (int m = 0; m < SWITCH_NR_MODELS; ++m)
        if (!strcmp(word + 7, switch_model_names[m])) {
            switch_model = m;
            return true;
        }
    return false;
}

/* 2.6: the fork_frame stays (ret_from_fork_linux26 reads fn and arg from it);
 * TIF_FORK makes the first thread_return go there. */
void copy_thread_linux26(struct task_struct *p) { set_tsk_thread_flag(p, TIF_FORK); }

/* Solaris: a new thread's label_t resumes it in ret_from_fork with RSP at its
 * pt_regs and the kernel thread's function and argument in RBX and R12. */
void copy_thread_solaris(struct task_struct *p, struct pt_regs *childregs, unsigned long fn, unsigned long arg)
{
    label_t *l = &p->thread.label;
    memset(l, 0, sizeof *l);
    l->pc = (unsigned long)ret_from_fork;
    l->sp = (unsigned long)childregs;
    l->rbx = fn;
    l->r12 = arg;
    l->rbp = 0; /* ends the frame-pointer chain */
}

void resume_reap_zombie(struct task_struct *dead) { put_task_stack(dead); }
