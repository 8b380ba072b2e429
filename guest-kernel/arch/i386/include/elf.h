/* The ELF format of the i386 build's user programs: ELF32 (System V gABI;
 * the x86-64 build's is include/elf.h). p_flags comes after p_memsz here. */
#ifndef _ELF_H
#define _ELF_H
#include "types.h"

#define ELF_CLASS 1 /* ELFCLASS32 */
#define ELF_ARCH 3  /* EM_386 */
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define ET_EXEC 2

struct elf_ehdr {
    u8 ident[16];
    u16 type, machine;
    u32 version;
    u32 entry, phoff, shoff;
    u32 flags;
    u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf_phdr {
    u32 type, offset, vaddr, paddr, filesz, memsz, flags, align;
};
#endif
