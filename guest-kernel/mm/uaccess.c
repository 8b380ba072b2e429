/* Access to user memory from system calls. Every page is checked in the
 * caller's page tables first (present, user, and writable for a write), so a
 * bad pointer from user space is -EFAULT, never a kernel page fault. Only the
 * task itself changes its own mappings (execve replaces them whole), so the
 * check stays true while the copy runs. */
#include "mm.h"
#include "sched.h"
#include "uapi/switchyard.h"

static bool user_range_ok(unsigned long addr, size_t n, bool write)
{
    struct mm_struct *mm = current->mm;
    if (!mm || addr + n < addr || addr + n > TASK_SIZE_MAX) return false;
    for (unsigned long page = ALIGN_DOWN(addr, PAGE_SIZE); page < addr + n; page += PAGE_SIZE) {
        pgd_t *pte = lookup_pte(mm->pgd, page, NULL);
        if (!pte || !(*pte & _PAGE_PRESENT) || !(*pte & _PAGE_USER) || (write && !(*pte & _PAGE_RW))) return false;
    }
    return true;
}

int copy_from_user(void *dst, const void *usrc, size_t n)
{
    if (!user_range_ok((unsigned long)usrc, n, false)) return -EFAULT;
    memcpy(dst, usrc, n);
    return 0;
}

int copy_to_user(void *udst, const void *src, size_t n)
{
    if (!user_range_ok((unsigned long)udst, n, true)) return -EFAULT;
    memcpy(udst, src, n);
    return 0;
}

/* Copies a NUL-terminated string of at most n - 1 characters; returns its
 * length, -EFAULT, or -E2BIG when it does not fit. */
long strncpy_from_user(char *dst, const char *usrc, size_t n)
{
    unsigned long a = (unsigned long)usrc;
    for (size_t k = 0; k < n; ++k) {
        if (k == 0 || ((a + k) % PAGE_SIZE) == 0)
            if (!user_range_ok(a + k, 1, false)) return -EFAULT;
        dst[k] = usrc[k];
        if (!dst[k]) return (long)k;
    }
    return -E2BIG;
}
