/* Lab switches (include/lab.h). */
#include "kernel.h"
#include "lab.h"
#include "lib.h"

unsigned int lab_breaks;

bool lab_parse(const char *word)
{
    static const struct {
        const char *name;
        unsigned int bit;
    } names[] = {
        {"rsp0", LAB_BREAK_RSP0},
        {"swapgs", LAB_BREAK_SWAPGS},
        {"fsbase", LAB_BREAK_FSBASE},
        {"canary", LAB_BREAK_CANARY},
    };
    if (strncmp(word, "break=", 6)) return false;
    for (size_t k = 0; k < ARRAY_SIZE(names); ++k)
        if (!strcmp(word + 6, names[k].name)) {
            lab_breaks |= names[k].bit;
            return true;
        }
    return false;
}
