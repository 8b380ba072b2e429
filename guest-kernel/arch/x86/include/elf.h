/* The ELF format of this build's user programs: ELF64 for x86-64 (the i386
 * build has its own elf.h, ELF32). System V gABI, "ELF Header" and "Program
 * Header"; the two classes differ in field widths and in where p_flags is. */
#ifndef _ELF_H
#define _ELF_H
#include "types.h"

#define ELF_CLASS 2 /* ELFCLASS64 */
#define ELF_ARCH 62 /* EM_X86_64 */
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define ET_EXEC 2

struct elf_ehdr {
    u8 ident[16];
    u16 type, machine;
    u32 version;
    u64 entry, phoff, shoff;
    u32 flags;
    u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf_phdr {
    u32 type, flags;
    u64 offset, vaddr, paddr, filesz, memsz, align;
};
#endif
