/* Kernel stacks (Linux: CONFIG_VMAP_STACK). Each stack is THREAD_SIZE
 * (16 KiB) of 4 KiB pages mapped in the vmap area at a THREAD_SIZE-aligned
 * address, and the THREAD_SIZE below it is never mapped: a guard. A task that
 * overflows its stack touches the guard and takes a #PF (or a #DF, when the
 * CPU cannot even push the #PF frame) instead of silently overwriting whatever
 * lies below.
 *
 * Slots are recycled with their pages still mapped, so freeing a stack never
 * changes a page table and no other CPU's TLB has to be told (a fresh slot's
 * pages are mapped once, before any CPU can have used the addresses). */
#include "mm.h"
#include "printk.h"

#define NR_STACK_SLOTS 256
#define SLOT_SIZE (2 * THREAD_SIZE) /* guard + stack */
#define STACK_END_MAGIC 0x57ac6e9d  /* at the lowest word of every stack, as Linux's */

void map_kernel_stack_page(unsigned long va, unsigned long pa);

static struct {
    bool mapped, in_use;
} slots[NR_STACK_SLOTS];
static unsigned long in_use;
static DEFINE_SPINLOCK(stack_lock);

static unsigned long slot_stack(int k) { return VMAP_STACK_START + (unsigned long)k * SLOT_SIZE + THREAD_SIZE; }

void *alloc_thread_stack(void)
{
    unsigned long flags = spin_lock_irqsave(&stack_lock);
    int k = 0;
    while (k < NR_STACK_SLOTS && slots[k].in_use) ++k;
    if (k == NR_STACK_SLOTS) panic("out of kernel stacks (%d in use)", NR_STACK_SLOTS);
    slots[k].in_use = true;
    in_use++;
    bool map = !slots[k].mapped;
    slots[k].mapped = true;
    spin_unlock_irqrestore(&stack_lock, flags);
    unsigned long va = slot_stack(k);
    if (map)
        for (unsigned long off = 0; off < THREAD_SIZE; off += PAGE_SIZE) map_kernel_stack_page(va + off, __pa(alloc_page()));
    memset((void *)va, 0, THREAD_SIZE);
    *(u32 *)va = STACK_END_MAGIC;
    return (void *)va;
}

void free_thread_stack(void *stack)
{
    unsigned long va = (unsigned long)stack;
    int k = (int)((va - VMAP_STACK_START) / SLOT_SIZE);
    if (va < VMAP_STACK_START || k >= NR_STACK_SLOTS || slot_stack(k) != va || !slots[k].in_use)
        panic("free_thread_stack(%p): not an allocated kernel stack", stack);
    unsigned long flags = spin_lock_irqsave(&stack_lock);
    slots[k].in_use = false;
    in_use--;
    spin_unlock_irqrestore(&stack_lock, flags);
}

unsigned long nr_stacks_in_use(void) { return READ_ONCE(in_use); }

void set_task_stack_end_magic(void *stack) { *(u32 *)stack = STACK_END_MAGIC; }
bool task_stack_end_corrupted(const void *stack) { return *(const u32 *)stack != STACK_END_MAGIC; }

/* Is addr in the guard below some kernel stack? Then *stack_base = that stack. */
bool addr_in_stack_guard(unsigned long addr, unsigned long *stack_base)
{
    if (addr >= (unsigned long)__init_stack_guard && addr < (unsigned long)init_stack) {
        *stack_base = (unsigned long)init_stack;
        return true;
    }
    if (addr < VMAP_STACK_START || addr >= VMAP_STACK_START + (unsigned long)NR_STACK_SLOTS * SLOT_SIZE) return false;
    unsigned long off = (addr - VMAP_STACK_START) % SLOT_SIZE;
    if (off >= THREAD_SIZE) return false;
    *stack_base = addr - off + THREAD_SIZE;
    return true;
}
