// isa-test: the interpreter side. The same address space as the native run,
// backed by a buffer; one CPU reused for every case (the code page's blocks are
// invalidated between cases, as a guest write to it would).
#include <cstring>

#include "code_cache.h"
#include "cpu.h"
#include "runners.h"

namespace sy::isatest {

namespace {
class TestBus : public Bus {
public:
    std::vector<u8> mem = std::vector<u8>(0x1000 + kDataSize);
    u8* ram_page(u64 pa) override {
        if (pa < kCodePage || pa >= kCodePage + mem.size()) return nullptr;
        return mem.data() + ((pa - kCodePage) & ~0xFFFull);
    }
};
}  // namespace

struct EmuRunner::Impl {
    explicit Impl(Vendor vendor) {
        cpu.set_flat64(3);  // the host runs the bytes in 64-bit user mode
        // As on the host (Linux): XSAVE enabled; of XCR0 the x87 and SSE components
        // exist here, the forms request no others.
        cpu.sys.cr4 |= cr4::OSXSAVE;
        cpu.sys.xcr0 = 3;
        cpu.vendor = vendor;
        cpu.sys.seg[GS].base = kData;
    }
    TestBus bus;
    Cpu cpu{bus};
};

EmuRunner::EmuRunner(Vendor vendor) : impl_(std::make_unique<Impl>(vendor)) {}
EmuRunner::~EmuRunner() = default;

TestState EmuRunner::run(const Case& c) {
    TestBus& bus = impl_->bus;
    Cpu& cpu = impl_->cpu;
    std::memset(bus.mem.data(), 0xCC, 0x1000);
    std::memcpy(bus.mem.data() + (kInsnAddr - kCodePage), c.bytes.data(), c.bytes.size());
    std::memcpy(bus.mem.data() + 0x1000, c.init.data.data(), kDataSize);
    for (u64 pg = kCodePage; pg < kCodePage + bus.mem.size(); pg += 0x1000) cpu.code_cache().invalidate_page(pg >> 12);

    const TestState& in = c.init;
    cpu.s = CpuState{};
    cpu.sync_segment_bases();
    for (int n = 0; n < 16; ++n) cpu.s.gpr[n] = in.gpr[n];
    cpu.s.rip = kInsnAddr;
    cpu.s.rflags = in.rflags | fl::IF | fl::FIXED1;
    for (int n = 0; n < 16; ++n) cpu.s.xmm[n] = in.xmm[n];
    cpu.s.mxcsr = in.mxcsr;
    X87& f = cpu.s.fpu;
    f.fcw = in.fcw;
    f.fsw = in.fsw;
    f.ftw = in.ftw;
    f.fop = in.fop;
    f.fip = in.fip;
    f.fdp = in.fdp;
    for (int n = 0; n < 8; ++n) f.st(n) = in.st[n];
    cpu.halted = false;

    StepResult r = cpu.step();

    TestState out;
    for (int n = 0; n < 16; ++n) out.gpr[n] = cpu.s.gpr[n];
    out.rip = cpu.s.rip;
    out.rflags = cpu.s.rflags;
    for (int n = 0; n < 16; ++n) out.xmm[n] = cpu.s.xmm[n];
    out.mxcsr = cpu.s.mxcsr;
    out.fcw = f.fcw;
    out.fsw = f.fsw;
    out.ftw = f.ftw;
    out.fop = f.fop;
    out.fip = f.fip;
    out.fdp = f.fdp;
    for (int n = 0; n < 8; ++n) out.st[n] = f.st(n);
    out.exception = r.fault ? r.fault->vector : -1;
    std::memcpy(out.data.data(), bus.mem.data() + 0x1000, kDataSize);
    return out;
}

}  // namespace sy::isatest
