# The figures of docs/guest-kernel.md, "One switch": run by switch_walk.sh.
# Stops at the tick that ends pid 2's time slice (the third time: at the
# first two, pid 3 has not run yet, or the switch that follows is to a task
# that never ran, whose ret_addr is ret_from_fork), follows the switch to pid 3 through __switch_to_asm
# and __switch_to's ret, and prints the frames and registers on the way.
set pagination off
set confirm off
break scheduler_tick if cpu_data[0].current_task->pid == 2 && cpu_data[0].current_task->time_slice == 1 && ((struct pt_regs *)((char *)cpu_data[0].current_task->stack + 16384 - 168))->cs == 0x33
ignore 1 2
continue
echo \n=== at scheduler_tick\n
bt 3
p cpu_data[0].current_task->pid
p/x cpu_data[0].current_task
p/x cpu_data[0].current_task->stack
p/x $rsp
p/x cpu_data[0].tss.sp0
p/x (char *)cpu_data[0].current_task->stack + 16384 - 168
p/x *(struct pt_regs *)((char *)cpu_data[0].current_task->stack + 16384 - 168)
p/x cpu_data[0].current_task->thread_info.flags
finish
p/x cpu_data[0].current_task->thread_info.flags
delete
break __switch_to_asm if ((struct task_struct *)$rdi)->pid == 2
continue
echo \n=== at __switch_to_asm\n
bt
p/x $rsp
x/gx $rsp
info symbol *(unsigned long *)$rsp
x/2i *(unsigned long *)$rsp - 5
p ((struct task_struct *)$rdi)->pid
p ((struct task_struct *)$rsi)->pid
p/x $rdi
p/x $rsi
p/x ((struct task_struct *)$rsi)->stack
p/x ((struct task_struct *)$rsi)->thread.sp
p/x *(struct inactive_task_frame *)((struct task_struct *)$rsi)->thread.sp
info symbol ((struct inactive_task_frame *)((struct task_struct *)$rsi)->thread.sp)->ret_addr
p/x ((struct task_struct *)$rsi)->stack_canary
p/x cpu_data[0].stack_canary
stepi 6
echo \n=== after the six pushes\n
p/x $rsp
p/x *(struct inactive_task_frame *)$rsp
stepi 2
echo \n=== after the stack switch\n
p/x $rsp
p/x ((struct task_struct *)$rdi)->thread.sp
# load the canary, the lab switch's test and jump, store it in %gs:40
stepi 4
p/x cpu_data[0].stack_canary
delete
break __switch_to
continue
echo \n=== entering __switch_to (jumped to, not called)\n
p/x $rsp
x/gx $rsp
delete
finish
echo \n=== after __switch_to's ret\n
p/x $rip
info symbol $rip
p/x $rsp
p/x $rax
p cpu_data[0].current_task->pid
p/x cpu_data[0].tss.sp0
p/x cpu_data[0].top_of_stack
p/x cpu_data[0].current_task->thread_info.flags
bt
quit
