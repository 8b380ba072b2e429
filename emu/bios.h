// The firmware's part of power-on: the state a Multiboot kernel finds at
// hand-off, as QEMU's SeaBIOS leaves it (read back register by register by
// tests/system/c/pcprobe.c), without running a BIOS.
//
// post() puts into RAM
//   * the real-mode interrupt handlers of emu/bios/bios.S at F000:E000 (a few
//     hundred bytes inside the firmware area 0xE0000-0xFFFFF the memory map
//     reserves) and an interrupt vector table pointing at them: INT 08h (IRQ 0)
//     counts ticks at 0040:006C and calls INT 1Ch, the other IRQs (09h-0Fh,
//     70h-77h) are acknowledged at the 8259s, INT 11h/12h answer from the BIOS
//     data area, INT 13h-17h and 1Ah answer "unsupported" (CF set, AH = 86h),
//     every other vector points at an IRET (INT 10h included: there is no video
//     BIOS);
//   * the BIOS data area: COM1 at 0x3F8, the EBDA segment 9FC0h (1 KiB at
//     0x9FC00, as the memory map says), 639 KiB of base memory, the equipment
//     word, the keyboard buffer pointers, the video fields of mode 3, the tick
//     count from the RTC's time of day, the number of hard disks;
// and programs the devices through their ports, as the BIOS would:
//   * the keyboard controller: self-test, keyboard reset and enable, command
//     byte 61h;
//   * the 8259s: ICW1-4 with vector bases 08h and 70h, masks B8h and 8Eh
//     (IRQ 0, 1, 2, 6, 8, 12, 13, 14 open, as SeaBIOS leaves them);
//   * the PIT: channel 0 in mode 2, count 65536 (18.2 Hz, IRQ 0);
//   * port 0x92: A20 on;
//   * the ATA channel (probe_disks()): IDENTIFY of each attached drive, then
//     the slave selected, as SeaBIOS leaves it.
// The VGA and the local APICs start in their BIOS-set state by themselves
// (devices/vga.h, LocalApic::setup_virtual_wire()).
//
// Deviations: there is no BIOS code to run at the reset vector, no BIOS
// services (disk, video, keyboard, E820, APM), no option ROMs and no boot
// messages; INT 09h drops the scan code instead of filling a keyboard buffer.
#pragma once
#include "types.h"

namespace sy {
class Machine;
}

namespace sy::bios {

// Entry points, in the order of the table at the start of the bios.S image.
enum class Entry : unsigned {
    Iret, IrqMaster, IrqSlave, Timer, Keyboard, Rtc, Mouse, Fpu, Equipment, MemorySize, Unsupported, Count
};

inline constexpr u16 kCodeSegment = 0xF000, kCodeOffset = 0xE000;
inline constexpr u64 kCodeBase = u64(kCodeSegment) * 16 + kCodeOffset;  // 0xFE000
inline constexpr u64 kEbda = 0x9FC00;
inline constexpr u32 kTicksPerDay = 0x1800B0;  // 65536 PIT clocks each (IBM BIOS)

// Power-on self test, as far as what it leaves behind; see above.
void post(Machine& m);
// The ATA part: lets the firmware see the attached disks (Machine::attach_disk).
void probe_disks(Machine& m);
// The real-mode vector (segment << 16 | offset) of an entry point.
u32 entry_vector(Entry e);

}  // namespace sy::bios
