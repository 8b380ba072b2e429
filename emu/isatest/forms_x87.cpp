// isa-test forms: the x87 FPU (see forms.h). Every form draws a random x87
// state (generate.cpp: TOP, tags, 80-bit edge values in the registers, random
// control words with precision, rounding and exception masks, sticky flags and
// condition codes, sometimes a pending exception, which makes a waiting
// instruction raise #MF) and a memory operand holding an edge value of its
// type. All 80 bits of every register, the tag word, the status word (TOP and
// C3-C0 included), the control word, FIP, FDP, FOP, the data area and the
// exception are compared with the host.
//
// The x87 instructions change no RFLAGS bit except FCOMI/FUCOMI and their
// popping forms, which define ZF PF CF and clear OF SF AF (SDM Vol. 2A, FCOMI,
// "Flags Affected"); nothing is masked.
#include <cstring>
#include <string>

#include "forms.h"

namespace sy::isatest {
namespace {

struct Adder {
    std::vector<Form>& out;
    const char* group;
    void add(std::string name, ZydisMnemonic mn, std::vector<OperandSpec> ops, MemFill fill = MemFill::Random,
             Adjust adjust = nullptr, unsigned align = 1, u16 avoid_gprs = 0) {
        Form f{std::move(name), group, mn, std::move(ops)};
        f.avoid_gprs = avoid_gprs;
        f.fpu = Fpu::X87;
        f.fill = fill;
        f.adjust = adjust;
        f.align = align;
        out.push_back(std::move(f));
    }
};

const OperandSpec st0 = fixed(ZYDIS_REGISTER_ST0);
constexpr u16 kEdxEax = (1u << RAX) | (1u << RDX);  // XSAVE/XRSTOR's implicit request mask

// FXRSTOR: an MXCSR with reserved bits set is #GP(0); three cases in four hold
// a valid one. FIP is made canonical: FXRSTOR64 sign-extends it from the
// linear-address width, 57 bits on the host and 48 in our model (CPUID
// 8000_0008h), which agree on canonical values.
void valid_fxsave_mxcsr(Case& c, Rng& rng) {
    u8* p = &c.init.data[c.mem_addr - kData];
    u64 fip;
    std::memcpy(&fip, p + 8, 8);
    fip = static_cast<u64>(static_cast<i64>(fip << 16) >> 16);
    std::memcpy(p + 8, &fip, 8);
    if (rng() % 4 == 0) return;
    u32 m = static_cast<u32>(rng()) & 0xFFFF;
    std::memcpy(p + 24, &m, 4);
}

// XSAVE/XRSTOR: EDX:EAX request the x87 and/or SSE components (the host has
// more in XCR0; the model only these two). XRSTOR gets a valid header three
// times in four: XSTATE_BV within x87|SSE (0 restores the initial state),
// XCOMP_BV and the reserved bytes 0, a valid MXCSR and a canonical FIP.
void xsave_request(Case& c, Rng& rng) {
    static const u64 masks[] = {1, 2, 3, 3};
    c.init.gpr[RAX] = (c.init.gpr[RAX] & ~0xFFFFFFFFull) | masks[rng() % 4];
    c.init.gpr[RDX] &= ~0xFFFFFFFFull;
}
void xrstor_image(Case& c, Rng& rng) {
    xsave_request(c, rng);
    valid_fxsave_mxcsr(c, rng);
    if (rng() % 4 == 0) return;
    u8* p = &c.init.data[c.mem_addr - kData];
    const u64 bv = rng() % 4;
    std::memcpy(p + 512, &bv, 8);
    std::memset(p + 520, 0, 56);
}

void arithmetic(std::vector<Form>& f) {
    Adder a{f, "x87-arith"};
    struct Op {
        const char* name;
        ZydisMnemonic m, p, i;
    };
    const Op ops[] = {
        {"fadd", ZYDIS_MNEMONIC_FADD, ZYDIS_MNEMONIC_FADDP, ZYDIS_MNEMONIC_FIADD},
        {"fsub", ZYDIS_MNEMONIC_FSUB, ZYDIS_MNEMONIC_FSUBP, ZYDIS_MNEMONIC_FISUB},
        {"fsubr", ZYDIS_MNEMONIC_FSUBR, ZYDIS_MNEMONIC_FSUBRP, ZYDIS_MNEMONIC_FISUBR},
        {"fmul", ZYDIS_MNEMONIC_FMUL, ZYDIS_MNEMONIC_FMULP, ZYDIS_MNEMONIC_FIMUL},
        {"fdiv", ZYDIS_MNEMONIC_FDIV, ZYDIS_MNEMONIC_FDIVP, ZYDIS_MNEMONIC_FIDIV},
        {"fdivr", ZYDIS_MNEMONIC_FDIVR, ZYDIS_MNEMONIC_FDIVRP, ZYDIS_MNEMONIC_FIDIVR},
    };
    for (const Op& o : ops) {
        std::string n = o.name;
        a.add(n + " m32", o.m, {mem(32)}, MemFill::F32);
        a.add(n + " m64", o.m, {mem(64)}, MemFill::F64);
        a.add(n + " st0, st(i)", o.m, {st0, sti()});
        a.add(n + " st(i), st0", o.m, {sti(), st0});
        a.add(n + "p st(i), st0", o.p, {sti(), st0});
        a.add("fi" + n.substr(1) + " m16", o.i, {mem(16)}, MemFill::I16);
        a.add("fi" + n.substr(1) + " m32", o.i, {mem(32)}, MemFill::I32);
    }
    a.add("fsqrt", ZYDIS_MNEMONIC_FSQRT, {});
    a.add("frndint", ZYDIS_MNEMONIC_FRNDINT, {});
    a.add("fscale", ZYDIS_MNEMONIC_FSCALE, {});
    a.add("fprem", ZYDIS_MNEMONIC_FPREM, {});
    a.add("fprem1", ZYDIS_MNEMONIC_FPREM1, {});
    a.add("fxtract", ZYDIS_MNEMONIC_FXTRACT, {});
    a.add("fchs", ZYDIS_MNEMONIC_FCHS, {});
    a.add("fabs", ZYDIS_MNEMONIC_FABS, {});
}

void transcendental(std::vector<Form>& f) {
    Adder a{f, "x87-trans"};
    a.add("fsin", ZYDIS_MNEMONIC_FSIN, {});
    a.add("fcos", ZYDIS_MNEMONIC_FCOS, {});
    a.add("fsincos", ZYDIS_MNEMONIC_FSINCOS, {});
    a.add("fptan", ZYDIS_MNEMONIC_FPTAN, {});
    a.add("fpatan", ZYDIS_MNEMONIC_FPATAN, {});
    a.add("f2xm1", ZYDIS_MNEMONIC_F2XM1, {});
    a.add("fyl2x", ZYDIS_MNEMONIC_FYL2X, {});
    a.add("fyl2xp1", ZYDIS_MNEMONIC_FYL2XP1, {});
}

void moves(std::vector<Form>& f) {
    Adder a{f, "x87-move"};
    a.add("fld m32", ZYDIS_MNEMONIC_FLD, {mem(32)}, MemFill::F32);
    a.add("fld m64", ZYDIS_MNEMONIC_FLD, {mem(64)}, MemFill::F64);
    a.add("fld m80", ZYDIS_MNEMONIC_FLD, {mem(80)}, MemFill::F80);
    a.add("fld st(i)", ZYDIS_MNEMONIC_FLD, {sti()});
    a.add("fild m16", ZYDIS_MNEMONIC_FILD, {mem(16)}, MemFill::I16);
    a.add("fild m32", ZYDIS_MNEMONIC_FILD, {mem(32)}, MemFill::I32);
    a.add("fild m64", ZYDIS_MNEMONIC_FILD, {mem(64)}, MemFill::I64);
    a.add("fbld m80", ZYDIS_MNEMONIC_FBLD, {mem(80)}, MemFill::Bcd);
    for (auto [n, m] : {std::pair{"fld1", ZYDIS_MNEMONIC_FLD1}, {"fldl2t", ZYDIS_MNEMONIC_FLDL2T},
                        {"fldl2e", ZYDIS_MNEMONIC_FLDL2E}, {"fldpi", ZYDIS_MNEMONIC_FLDPI},
                        {"fldlg2", ZYDIS_MNEMONIC_FLDLG2}, {"fldln2", ZYDIS_MNEMONIC_FLDLN2},
                        {"fldz", ZYDIS_MNEMONIC_FLDZ}})
        a.add(n, m, {});
    a.add("fst m32", ZYDIS_MNEMONIC_FST, {mem(32)});
    a.add("fst m64", ZYDIS_MNEMONIC_FST, {mem(64)});
    a.add("fst st(i)", ZYDIS_MNEMONIC_FST, {sti()});
    a.add("fstp m32", ZYDIS_MNEMONIC_FSTP, {mem(32)});
    a.add("fstp m64", ZYDIS_MNEMONIC_FSTP, {mem(64)});
    a.add("fstp m80", ZYDIS_MNEMONIC_FSTP, {mem(80)});
    a.add("fstp st(i)", ZYDIS_MNEMONIC_FSTP, {sti()});
    a.add("fist m16", ZYDIS_MNEMONIC_FIST, {mem(16)});
    a.add("fist m32", ZYDIS_MNEMONIC_FIST, {mem(32)});
    a.add("fistp m16", ZYDIS_MNEMONIC_FISTP, {mem(16)});
    a.add("fistp m32", ZYDIS_MNEMONIC_FISTP, {mem(32)});
    a.add("fistp m64", ZYDIS_MNEMONIC_FISTP, {mem(64)});
    a.add("fisttp m16", ZYDIS_MNEMONIC_FISTTP, {mem(16)});
    a.add("fisttp m32", ZYDIS_MNEMONIC_FISTTP, {mem(32)});
    a.add("fisttp m64", ZYDIS_MNEMONIC_FISTTP, {mem(64)});
    a.add("fbstp m80", ZYDIS_MNEMONIC_FBSTP, {mem(80)});
    a.add("fxch st(i)", ZYDIS_MNEMONIC_FXCH, {sti()});
    for (auto [n, m] : {std::pair{"fcmovb", ZYDIS_MNEMONIC_FCMOVB}, {"fcmove", ZYDIS_MNEMONIC_FCMOVE},
                        {"fcmovbe", ZYDIS_MNEMONIC_FCMOVBE}, {"fcmovu", ZYDIS_MNEMONIC_FCMOVU},
                        {"fcmovnb", ZYDIS_MNEMONIC_FCMOVNB}, {"fcmovne", ZYDIS_MNEMONIC_FCMOVNE},
                        {"fcmovnbe", ZYDIS_MNEMONIC_FCMOVNBE}, {"fcmovnu", ZYDIS_MNEMONIC_FCMOVNU}})
        a.add(std::string(n) + " st0, st(i)", m, {st0, sti()});
    a.add("fincstp", ZYDIS_MNEMONIC_FINCSTP, {});
    a.add("fdecstp", ZYDIS_MNEMONIC_FDECSTP, {});
    a.add("ffree st(i)", ZYDIS_MNEMONIC_FFREE, {sti()});
    a.add("ffreep st(i)", ZYDIS_MNEMONIC_FFREEP, {sti()});
    a.add("fnop", ZYDIS_MNEMONIC_FNOP, {});
}

void compares(std::vector<Form>& f) {
    Adder a{f, "x87-compare"};
    for (auto [n, m] : {std::pair{"fcom", ZYDIS_MNEMONIC_FCOM}, {"fcomp", ZYDIS_MNEMONIC_FCOMP}}) {
        a.add(std::string(n) + " m32", m, {mem(32)}, MemFill::F32);
        a.add(std::string(n) + " m64", m, {mem(64)}, MemFill::F64);
        a.add(std::string(n) + " st(i)", m, {sti()});
    }
    a.add("fcompp", ZYDIS_MNEMONIC_FCOMPP, {});
    a.add("fucom st(i)", ZYDIS_MNEMONIC_FUCOM, {sti()});
    a.add("fucomp st(i)", ZYDIS_MNEMONIC_FUCOMP, {st0, sti()});  // Zydis lists both operands
    a.add("fucompp", ZYDIS_MNEMONIC_FUCOMPP, {});
    for (auto [n, m] : {std::pair{"ficom", ZYDIS_MNEMONIC_FICOM}, {"ficomp", ZYDIS_MNEMONIC_FICOMP}}) {
        a.add(std::string(n) + " m16", m, {mem(16)}, MemFill::I16);
        a.add(std::string(n) + " m32", m, {mem(32)}, MemFill::I32);
    }
    for (auto [n, m] : {std::pair{"fcomi", ZYDIS_MNEMONIC_FCOMI}, {"fcomip", ZYDIS_MNEMONIC_FCOMIP},
                        {"fucomi", ZYDIS_MNEMONIC_FUCOMI}, {"fucomip", ZYDIS_MNEMONIC_FUCOMIP}})
        a.add(std::string(n) + " st0, st(i)", m, {st0, sti()});
    a.add("ftst", ZYDIS_MNEMONIC_FTST, {});
    a.add("fxam", ZYDIS_MNEMONIC_FXAM, {});
}

void control(std::vector<Form>& f) {
    Adder a{f, "x87-control"};
    a.add("fldcw m16", ZYDIS_MNEMONIC_FLDCW, {mem(16)});
    a.add("fnstcw m16", ZYDIS_MNEMONIC_FNSTCW, {mem(16)});
    a.add("fnstsw m16", ZYDIS_MNEMONIC_FNSTSW, {mem(16)});
    a.add("fnstsw ax", ZYDIS_MNEMONIC_FNSTSW, {fixed(ZYDIS_REGISTER_AX)});
    a.add("fninit", ZYDIS_MNEMONIC_FNINIT, {});
    a.add("fnclex", ZYDIS_MNEMONIC_FNCLEX, {});
    a.add("fwait", ZYDIS_MNEMONIC_FWAIT, {});
    a.add("fnstenv m28", ZYDIS_MNEMONIC_FNSTENV, {mem(224)});
    a.add("fldenv m28", ZYDIS_MNEMONIC_FLDENV, {mem(224)});
    a.add("fnsave m108", ZYDIS_MNEMONIC_FNSAVE, {mem(864)});
    a.add("frstor m108", ZYDIS_MNEMONIC_FRSTOR, {mem(864)});
    a.add("fnstenv m14", ZYDIS_MNEMONIC_FNSTENV, {mem(112)});
    a.add("fldenv m14", ZYDIS_MNEMONIC_FLDENV, {mem(112)});
    a.add("fnsave m94", ZYDIS_MNEMONIC_FNSAVE, {mem(752)});
    a.add("frstor m94", ZYDIS_MNEMONIC_FRSTOR, {mem(752)});
    a.add("fxsave m512", ZYDIS_MNEMONIC_FXSAVE, {mem(4096)}, MemFill::Random, nullptr, 16);
    a.add("fxsave64 m512", ZYDIS_MNEMONIC_FXSAVE64, {mem(4096)}, MemFill::Random, nullptr, 16);
    a.add("fxrstor m512", ZYDIS_MNEMONIC_FXRSTOR, {mem(4096)}, MemFill::Random, valid_fxsave_mxcsr, 16);
    a.add("fxrstor64 m512", ZYDIS_MNEMONIC_FXRSTOR64, {mem(4096)}, MemFill::Random, valid_fxsave_mxcsr, 16);
    a.add("xsave m576", ZYDIS_MNEMONIC_XSAVE, {mem(4608)}, MemFill::Random, xsave_request, 64, kEdxEax);
    a.add("xsave64 m576", ZYDIS_MNEMONIC_XSAVE64, {mem(4608)}, MemFill::Random, xsave_request, 64, kEdxEax);
    a.add("xrstor m576", ZYDIS_MNEMONIC_XRSTOR, {mem(4608)}, MemFill::Random, xrstor_image, 64, kEdxEax);
    a.add("xrstor64 m576", ZYDIS_MNEMONIC_XRSTOR64, {mem(4608)}, MemFill::Random, xrstor_image, 64, kEdxEax);
}

}  // namespace

std::vector<Form> x87_forms() {
    std::vector<Form> f;
    arithmetic(f);
    transcendental(f);
    moves(f);
    compares(f);
    control(f);
    return f;
}

}  // namespace sy::isatest
