// isa-test: the host CPU as the oracle.
//
// Entering: the runner executes INT3; the SIGTRAP handler writes the case's
// initial registers, RFLAGS, XMM registers, MXCSR and the whole x87 state (the
// frame's FXSAVE image: registers, tag, status and control words, FIP, FDP,
// FOP) into the signal frame and points RIP at the instruction, so the
// kernel's sigreturn loads them all. (Linux marks the x87 and SSE components
// as present in the frame's XSAVE header, so XRSTOR takes them from it.)
// Leaving: the code page around the instruction is INT3 everywhere, so the next
// instruction reached traps; a fault of the instruction itself arrives as
// SIGSEGV/SIGFPE/SIGILL with the vector in REG_TRAPNO. Either way the handler
// copies the frame out and siglongjmp()s back to the runner.
#include <asm/prctl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstring>

#include "fault.h"
#include "runners.h"

namespace sy::isatest {
namespace {

enum Phase { kIdle, kEnter, kRunning };
volatile sig_atomic_t g_phase = kIdle;
const Case* g_case = nullptr;
TestState* g_out = nullptr;
sigjmp_buf g_back;
u8* g_region = nullptr;

constexpr int kGreg[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                           REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

void on_signal(int sig, siginfo_t*, void* ctx) {
    auto* uc = static_cast<ucontext_t*>(ctx);
    greg_t* g = uc->uc_mcontext.gregs;
    auto* fp = uc->uc_mcontext.fpregs;
    if (g_phase == kEnter && sig == SIGTRAP) {
        const TestState& in = g_case->init;
        for (int n = 0; n < 16; ++n) g[kGreg[n]] = static_cast<greg_t>(in.gpr[n]);
        g[REG_RIP] = static_cast<greg_t>(kInsnAddr);
        g[REG_EFL] = static_cast<greg_t>((g[REG_EFL] & ~kComparedFlags) | (in.rflags & kComparedFlags));
        for (int n = 0; n < 16; ++n) std::memcpy(&fp->_xmm[n], &in.xmm[n], 16);
        fp->mxcsr = in.mxcsr & (fp->mxcr_mask ? fp->mxcr_mask : 0xFFBF);
        fp->cwd = in.fcw;
        fp->swd = in.fsw;
        fp->ftw = in.ftw;
        fp->fop = in.fop;
        fp->rip = in.fip;
        fp->rdp = in.fdp;
        for (int n = 0; n < 8; ++n) {
            std::memcpy(fp->_st[n].significand, &in.st[n].sig, 8);
            fp->_st[n].exponent = in.st[n].se;
        }
        g_phase = kRunning;
        return;
    }
    if (g_phase == kRunning) {
        TestState& out = *g_out;
        for (int n = 0; n < 16; ++n) out.gpr[n] = static_cast<u64>(g[kGreg[n]]);
        out.rflags = static_cast<u64>(g[REG_EFL]);
        for (int n = 0; n < 16; ++n) std::memcpy(static_cast<void*>(&out.xmm[n]), &fp->_xmm[n], 16);
        out.mxcsr = fp->mxcsr;
        out.fcw = fp->cwd;
        out.fsw = fp->swd;
        out.ftw = static_cast<u8>(fp->ftw);
        out.fop = fp->fop;
        out.fip = fp->rip;
        out.fdp = fp->rdp;
        for (int n = 0; n < 8; ++n) {
            std::memcpy(&out.st[n].sig, fp->_st[n].significand, 8);
            out.st[n].se = fp->_st[n].exponent;
        }
        u64 rip = static_cast<u64>(g[REG_RIP]);
        int trapno = static_cast<int>(g[REG_TRAPNO]);
        u64 end = kInsnAddr + g_case->bytes.size();
        bool landed = sig == SIGTRAP && trapno == BP && rip - 1 >= kCodePage && rip - 1 < kCodePage + 0x1000 &&
                      !(rip - 1 >= kInsnAddr && rip - 1 < end);
        if (landed) {
            out.rip = rip - 1;
            out.exception = -1;
        } else {
            out.rip = rip;
            out.exception = trapno;
        }
        g_phase = kIdle;
        siglongjmp(g_back, 1);
    }
    // A signal outside a test run is a bug in the harness: die with it.
    signal(sig, SIG_DFL);
    raise(sig);
}

std::vector<u8> g_altstack(1 << 16);

}  // namespace

std::unique_ptr<NativeRunner> NativeRunner::create(std::string* why) {
#if !defined(__x86_64__)
    *why = "the host is not x86-64";
    return nullptr;
#else
    if (g_region) {
        *why = "only one native runner per process";
        return nullptr;
    }
    void* p = mmap(reinterpret_cast<void*>(kCodePage), 0x1000 + kDataSize, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || p != reinterpret_cast<void*>(kCodePage)) {
        *why = "cannot map the test area at 0x10000000 (RWX): " + std::string(strerror(errno));
        return nullptr;
    }
    g_region = static_cast<u8*>(p);
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, kData) != 0) {
        *why = "cannot set the GS base: " + std::string(strerror(errno));
        return nullptr;
    }
    stack_t ss{};
    ss.ss_sp = g_altstack.data();
    ss.ss_size = g_altstack.size();
    sigaltstack(&ss, nullptr);
    struct sigaction sa {};
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigaction(sig, &sa, nullptr);
    return std::unique_ptr<NativeRunner>(new NativeRunner());
#endif
}

NativeRunner::~NativeRunner() {
    for (int sig : {SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(sig, SIG_DFL);
    munmap(g_region, 0x1000 + kDataSize);
    g_region = nullptr;
}

TestState NativeRunner::run(const Case& c) {
    std::memset(g_region, 0xCC, 0x1000);
    std::memcpy(g_region + (kInsnAddr - kCodePage), c.bytes.data(), c.bytes.size());
    std::memcpy(g_region + 0x1000, c.init.data.data(), kDataSize);
    TestState out;
    g_case = &c;
    g_out = &out;
    if (sigsetjmp(g_back, 1) == 0) {
        g_phase = kEnter;
        __asm__ volatile("int3" ::: "memory");
        __builtin_unreachable();
    }
    std::memcpy(out.data.data(), g_region + 0x1000, kDataSize);
    return out;
}

}  // namespace sy::isatest
