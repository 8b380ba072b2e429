// The APIC bus: interrupt messages between local APICs and I/O APICs.
//
// On Pentium 4 and later the local APICs and I/O APICs exchange messages over the
// system bus (SDM Vol. 3A 11.6.1 "Interrupt Command Register (ICR)" for the
// message fields, 11.6.2 "Determining IPI Destination" for how destinations
// match, 11.6.2.4 "Lowest Priority Delivery Mode"). A device cannot see the
// other APICs, so it hands every message to an IpiRouter that the machine
// implements. The machine resolves the destination with LocalApic::select() (see
// lapic.h) and hands the message to each target's LocalApic::receive(); for INIT
// and start-up it also resets or starts the target CPU.
#pragma once
#include "types.h"

namespace sy::dev {

// ICR bits 10:8 and I/O APIC redirection entry bits 10:8 share one encoding.
enum class DeliveryMode : u8 {
    Fixed = 0,
    LowestPriority = 1,
    Smi = 2,
    Nmi = 4,
    Init = 5,
    StartUp = 6,
    ExtInt = 7,
};

// ICR bits 19:18.
enum class Shorthand : u8 { None = 0, Self = 1, AllIncludingSelf = 2, AllExcludingSelf = 3 };

// One message on the APIC bus.
struct ApicMessage {
    // "All APICs" in physical mode and "every logical ID bit" in logical mode: the
    // xAPIC broadcast 0xFF is widened to this by the sender, so a receiver in
    // either mode recognises it.
    static constexpr u32 kBroadcast = 0xFFFFFFFF;

    DeliveryMode mode = DeliveryMode::Fixed;
    u8 vector = 0;               // fixed/lowest priority vector, or the SIPI page
    bool level_triggered = false;  // trigger mode; sets the TMR bit on acceptance
    bool logical = false;        // destination mode: physical APIC ID or logical (LDR) match
    u32 dest = 0;                // APIC ID, logical mask, or kBroadcast
    Shorthand shorthand = Shorthand::None;
    u32 source_id = 0;           // the sending local APIC, for the self shorthands
};

// Implemented by the machine: carries a message to every APIC it addresses.
class IpiRouter {
public:
    virtual ~IpiRouter() = default;
    virtual void send(const ApicMessage& m) = 0;
};

}  // namespace sy::dev
