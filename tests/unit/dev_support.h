// Helpers for the device tests: an interrupt sink that records every level
// change with the cycle at which it happened, and a minimal "machine loop" that
// advances a Timed device from event to event, as emu/ will.
#pragma once
#include <vector>

#include "apic_bus.h"
#include "device.h"

namespace sy::test {

struct IrqRecorder : dev::IrqSink {
    struct Change {
        unsigned line;
        bool level;
        u64 cycle;
    };
    u64 now = 0;  // set by the test or by run_until before each device call
    bool level[24] = {};  // ISA IRQs 0-15, IOAPIC inputs 0-23
    std::vector<Change> changes;
    void set_irq(unsigned line, bool lv) override {
        if (level[line] != lv) changes.push_back({line, lv, now});
        level[line] = lv;
    }
    // Cycles of the rising edges on `line` at or after cycle `from`.
    std::vector<u64> rises(unsigned line, u64 from = 0) const {
        std::vector<u64> r;
        for (const Change& c : changes)
            if (c.line == line && c.level && c.cycle >= from) r.push_back(c.cycle);
        return r;
    }
};

// Advances `dev` through every event up to and including cycle `end`.
inline void run_until(dev::Timed& dev, IrqRecorder& rec, u64 end) {
    for (u64 t; (t = dev.next_event()) <= end;) {
        rec.now = t;
        dev.advance(t);
    }
    rec.now = end;
    dev.advance(end);
}

// An IPI router that records every message an APIC sends.
struct RecordingRouter : dev::IpiRouter {
    std::vector<dev::ApicMessage> sent;
    void send(const dev::ApicMessage& m) override { sent.push_back(m); }
};

}  // namespace sy::test
