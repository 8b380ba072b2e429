#!/usr/bin/env python3
"""Writes the address fields of the i386 kernel's debugger descriptor into the
ELF file after the link (kernel/debug_descriptor.c says why).

    patch_descriptor.py KERNEL.elf

The kernel carries switchyard_debug_descriptor_fixups[], pairs of 32-bit words
(offset in the descriptor, address); each address goes into the 64-bit field
at that offset, upper half 0. Symbols and the file offsets of their bytes come
from nm and the program headers (readelf), so nothing here knows a layout."""
import struct
import subprocess
import sys


def symbols(elf):
    out = {}
    for line in subprocess.run(["nm", "-S", elf], check=True, capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 4:
            out[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return out


def segments(elf):
    segs = []
    for line in subprocess.run(["readelf", "-lW", elf], check=True, capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "LOAD":
            off, vaddr, filesz = int(parts[1], 16), int(parts[2], 16), int(parts[4], 16)
            segs.append((vaddr, off, filesz))
    return segs


def file_offset(segs, va, n):
    for vaddr, off, filesz in segs:
        if vaddr <= va and va + n <= vaddr + filesz:
            return off + (va - vaddr)
    sys.exit(f"patch_descriptor.py: address {va:#x} is not in the file's loaded bytes")


def main():
    elf = sys.argv[1]
    syms, segs = symbols(elf), segments(elf)
    try:
        desc, _ = syms["switchyard_debug_descriptor"]
        fix, fix_size = syms["switchyard_debug_descriptor_fixups"]
    except KeyError as e:
        sys.exit(f"patch_descriptor.py: {elf} has no symbol {e}")
    with open(elf, "r+b") as f:
        f.seek(file_offset(segs, fix, fix_size))
        table = f.read(fix_size)
        for k in range(0, fix_size, 8):
            offset, value = struct.unpack_from("<II", table, k)
            f.seek(file_offset(segs, desc + offset, 8))
            f.write(struct.pack("<Q", value))


if __name__ == "__main__":
    main()
