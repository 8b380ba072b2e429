/* Multiboot v1 (Multiboot Specification 0.6.96): the header we carry and the
 * information structure the loader passes in EBX. */
#ifndef _MULTIBOOT_H
#define _MULTIBOOT_H

#define MULTIBOOT_HEADER_MAGIC 0x1badb002
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002
/* Header flags: bit 1 memory information, bit 16 the a.out kludge (the
 * address fields below are valid and win over the ELF headers, which is what
 * lets a loader that only knows ELF32 load this ELF64 image). */
#define MULTIBOOT_MEMORY_INFO 0x00000002
#define MULTIBOOT_AOUT_KLUDGE 0x00010000
#define MULTIBOOT_HEADER_FLAGS (MULTIBOOT_MEMORY_INFO | MULTIBOOT_AOUT_KLUDGE)

#define MULTIBOOT_INFO_MEMORY 0x001
#define MULTIBOOT_INFO_CMDLINE 0x004
#define MULTIBOOT_INFO_MEM_MAP 0x040

#ifndef __ASSEMBLER__
#include "types.h"

struct multiboot_info {
    u32 flags;
    u32 mem_lower, mem_upper;
    u32 boot_device;
    u32 cmdline;
    u32 mods_count, mods_addr;
    u32 syms[4];
    u32 mmap_length, mmap_addr;
    u32 drives_length, drives_addr;
    u32 config_table;
    u32 boot_loader_name;
} __packed;

struct multiboot_mmap_entry {
    u32 size; /* of the rest of the entry */
    u64 addr;
    u64 len;
    u32 type; /* 1: available RAM */
} __packed;

#define MAX_MEM_REGIONS 32
struct mem_region {
    u64 start, end;
};
struct boot_params {
    char cmdline[256];
    struct mem_region ram[MAX_MEM_REGIONS]; /* available RAM, sorted */
    int nr_ram;
    u64 ram_bytes;
    char loader[32];
};
extern struct boot_params boot_params;
void parse_multiboot(u32 magic, unsigned long mbi_phys);

#endif
#endif
