/* Kernel-only library pieces: the stack protector's failure hook and the
 * canary generator. (Strings and vsnprintf are in lib/, shared with user space.) */
#include "printk.h"
#include "processor.h"
#include "types.h"

/* gcc's -fstack-protector calls this when a function's canary was overwritten. */
__noreturn void __stack_chk_fail(void)
{
    panic("stack-protector: kernel stack is corrupted in %p", __builtin_return_address(0));
}

/* A small PRNG for stack canaries (xorshift64*, seeded from the TSC). Not
 * cryptographic; a canary only has to be unknown to a buggy memcpy. */
static u64 rng_state = 0x9e3779b97f4a7c15;
long get_random_long(void)
{
    rng_state ^= rdtsc();
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (long)((rng_state * 0x2545f4914f6cdd1dULL) & ~(u64)0xff); /* low byte 0, as Linux's */
}
