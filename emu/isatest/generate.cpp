// isa-test: random initial states with edge values, instructions encoded by the
// Zydis encoder (so the bytes are an independent encoding, not our decoder's).
#include "generate.h"

#include <Zydis/Zydis.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace sy::isatest {
namespace {

constexpr u64 kEdges[] = {
    0, 1, 2, ~0ull, ~0ull - 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
    0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
    0x8000000000000001, 0xFFFFFFFF80000000, 0xFFFFFFFFFFFF8000, 0xFFFFFFFFFFFFFF80,
    7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 9, 0x55555555AAAAAAAA,
};

u64 draw(Rng& r) {
    switch (r() % 8) {
        case 0: case 1: case 2: case 3: return r();
        case 4: case 5: return kEdges[r() % std::size(kEdges)];
        case 6: return r() % 70;
        default: return kEdges[r() % std::size(kEdges)] ^ (u64(1) << (r() % 64));
    }
}

// Float edge values per lane width.
u64 draw_f64(Rng& r) {
    static const u64 edges[] = {
        0x0000000000000000, 0x8000000000000000, 0x3FF0000000000000, 0xBFF0000000000000,
        0x3FF8000000000000, 0x0000000000000001, 0x800FFFFFFFFFFFFF, 0x0010000000000000,
        0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000,
        0x7FF8000000000000, 0xFFF8000000000001, 0x7FF0000000000001, 0x7FF4000000000000,
        0x41DFFFFFFFC00000, 0x43E0000000000000, 0xC3E0000000000000, 0x4330000000000000,
        0x3FE0000000000000, 0x4000000000000000, 0x400921FB54442D18, 0xC1E0000000200000,
    };
    switch (r() % 4) {
        case 0: return edges[r() % std::size(edges)];
        case 1: {  // a "reasonable" number: sign, exponent near 1023, random mantissa
            u64 e = 1023 - 40 + r() % 100;
            return (r() & 0x8000000000000000ull) | (e << 52) | (r() & 0xFFFFFFFFFFFFFull);
        }
        case 2: return static_cast<u64>(static_cast<i64>(r() % 2000) - 1000) == 0 ? 0 : [&] {
            double d = static_cast<double>(static_cast<i64>(r() % 2001) - 1000) / 4.0;
            u64 v;
            std::memcpy(&v, &d, 8);
            return v;
        }();
        default: return r();
    }
}

u32 draw_f32(Rng& r) {
    static const u32 edges[] = {
        0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x3FC00000, 0x00000001, 0x807FFFFF,
        0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001,
        0x7F800001, 0x7FA00000, 0x4EFFFFFF, 0x4F000000, 0xCF000000, 0x5F000000, 0xDF000000,
        0x3F000000, 0x40000000, 0x40490FDB, 0x4B000000,
    };
    switch (r() % 4) {
        case 0: return edges[r() % std::size(edges)];
        case 1: {
            u32 e = 127 - 20 + r() % 50;
            return static_cast<u32>((r() & 0x80000000u) | (e << 23) | (r() & 0x7FFFFF));
        }
        case 2: {
            float f = static_cast<float>(static_cast<i64>(r() % 2001) - 1000) / 4.0f;
            u32 v;
            std::memcpy(&v, &f, 4);
            return v;
        }
        default: return static_cast<u32>(r());
    }
}

// 80-bit edge values: every class of the format (SDM Vol. 1, Table 8-3),
// the unsupported encodings, values at the precision controls' rounding
// boundaries, near the exponent limits, integers near the integer formats'
// limits, and values converted from float and double edge values.
F80 draw_f80(Rng& r) {
    static const F80 edges[] = {
        {0, 0x0000}, {0, 0x8000},                                         // zeros
        {0x8000000000000000, 0x3FFF}, {0x8000000000000000, 0xBFFF},       // +-1
        {0xC000000000000000, 0x4000}, {0x8000000000000000, 0x3FFE},       // 3, 0.5
        {0xC90FDAA22168C235, 0x4000}, {0xC90FDAA22168C234, 0x3FFF},       // pi, pi/2
        {0x8000000000000000, 0x7FFF}, {0x8000000000000000, 0xFFFF},       // infinities
        {0xC000000000000000, 0xFFFF}, {0xC000000000000001, 0x7FFF},       // indefinite, QNaN
        {0xFFFFFFFFFFFFFFFF, 0x7FFF}, {0x8000000000000001, 0x7FFF},       // QNaN, SNaN
        {0xBFFFFFFFFFFFFFFF, 0xFFFF}, {0x0000000000000001, 0x0000},       // SNaN, min denormal
        {0x7FFFFFFFFFFFFFFF, 0x8000}, {0x8000000000000000, 0x0001},       // max denormal, min normal
        {0xFFFFFFFFFFFFFFFF, 0x7FFE}, {0xFFFFFFFFFFFFFFFF, 0xFFFE},       // max normal
        {0x8000000000000000, 0x0000}, {0xC000000000000000, 0x8000},       // pseudo-denormals
        {0x0000000000000000, 0x3FFF}, {0x4000000000000000, 0x4001},       // unnormals
        {0x0000000000000000, 0x7FFF}, {0x4000000000000000, 0x7FFF},       // pseudo-inf, pseudo-NaN
        {0x8000000000000000, 0x403E}, {0x8000000000000000, 0xC03E},       // +-2^63
        {0xFFFFFFFFFFFFFFFF, 0x403D}, {0xDE0B6B3A76400000, 0x403A},       // 2^63-1, 1e18
        {0xFFFE000000000000, 0x400D}, {0x8000000000000000, 0xC00E},       // 32767, -32768
        {0xFFFF000000000000, 0x400D}, {0xFFFFFFFE00000000, 0x401D},       // 32767.5, 2^31-1
    };
    F80 v;
    switch (r() % 10) {
        case 0:
        case 1: return edges[r() % std::size(edges)];
        case 2:  // near 1
            return {r() | 0x8000000000000000, static_cast<u16>((r() & 0x8000) | (0x3FFF - 40 + r() % 80))};
        case 3:  // any exponent
            return {r() | 0x8000000000000000, static_cast<u16>((r() & 0x8000) | (1 + r() % 0x7FFE))};
        case 4:  // near the exponent limits (overflow, underflow, denormal results)
            v.sig = r() | 0x8000000000000000;
            v.se = static_cast<u16>((r() & 0x8000) | (r() % 2 ? 1 + r() % 70 : 0x7FFE - r() % 70));
            return v;
        case 5: {  // integers and half-integers of every size
            const int bits = 1 + static_cast<int>(r() % 64);
            u64 m = (r() >> (64 - bits)) | (u64(1) << (bits - 1));
            int lz = std::countl_zero(m);
            v.sig = m << lz;
            v.se = static_cast<u16>((r() & 0x8000) | (0x3FFF + 63 - lz - (r() % 4 == 0 ? 1 : 0)));
            return v;
        }
        case 6: {  // rounding boundaries of 24, 53 and 64 bits: ties and their neighbours
            const int cut = r() % 3 == 0 ? 40 : r() % 2 ? 11 : 1;
            u64 half = u64(1) << (cut - 1);
            u64 low = half + static_cast<u64>(static_cast<i64>(r() % 3) - 1);
            v.sig = ((r() | 0x8000000000000000) & ~((u64(1) << cut) - 1)) | (low & ((u64(1) << cut) - 1));
            v.se = static_cast<u16>((r() & 0x8000) | (0x3FFF - 8 + r() % 16));
            return v;
        }
        case 7:  // denormals, pseudo-denormals, unnormals, pseudo-NaNs
            v.sig = r() >> (r() % 64);
            switch (r() % 4) {
                case 0: v.se = 0; v.sig &= 0x7FFFFFFFFFFFFFFF; break;
                case 1: v.se = 0; v.sig |= 0x8000000000000000; break;
                case 2: v.se = static_cast<u16>(1 + r() % 0x7FFE); v.sig &= 0x7FFFFFFFFFFFFFFF; break;
                default: v.se = 0x7FFF; v.sig &= 0x7FFFFFFFFFFFFFFF; break;
            }
            v.se |= static_cast<u16>(r() & 0x8000);
            return v;
        case 8: {  // a double, exactly
            u64 d = draw_f64(r);
            u64 e = (d >> 52) & 0x7FF, m = d & 0xFFFFFFFFFFFFF;
            if (e == 0 || e == 0x7FF) return edges[r() % std::size(edges)];
            return {0x8000000000000000 | (m << 11), static_cast<u16>(((d >> 48) & 0x8000) | (e - 1023 + 0x3FFF))};
        }
        default: return {r(), static_cast<u16>(r())};
    }
}

// Register number n (0..15, or 16..19 for AH..BH) at width `bits`.
ZydisRegister gpr_reg(int n, u16 bits) {
    switch (bits) {
        case 64: return static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + n);
        case 32: return static_cast<ZydisRegister>(ZYDIS_REGISTER_EAX + n);
        case 16: return static_cast<ZydisRegister>(ZYDIS_REGISTER_AX + n);
        default:
            if (n >= 16) return static_cast<ZydisRegister>(ZYDIS_REGISTER_AH + (n - 16));
            if (n < 4) return static_cast<ZydisRegister>(ZYDIS_REGISTER_AL + n);
            if (n < 8) return static_cast<ZydisRegister>(ZYDIS_REGISTER_SPL + (n - 4));
            return static_cast<ZydisRegister>(ZYDIS_REGISTER_R8B + (n - 8));
    }
}

u64 imm_value(Rng& r, u16 bits) {
    u64 v = draw(r);
    switch (bits) {
        case 8: return static_cast<u64>(static_cast<i64>(static_cast<i8>(v)));
        case 16: return static_cast<u64>(static_cast<i64>(static_cast<i16>(v)));
        case 32: return static_cast<u64>(static_cast<i64>(static_cast<i32>(v)));
        default: return v;
    }
}

// A control word the processor can hold: precision (00, 10 or 11, rarely the
// reserved 01), rounding, infinity control; every exception masked in three
// cases of four, random masks otherwise. Bit 6 reads as 1, bits 13-15 as 0.
u16 draw_fcw(Rng& r) {
    u16 pc = r() % 16 == 0 ? 1 : (r() % 3 == 0 ? 0 : r() % 2 ? 2 : 3);
    u16 masks = r() % 4 == 0 ? static_cast<u16>(r() & 0x3F) : 0x3F;
    return static_cast<u16>(0x0040 | (pc << 8) | ((r() % 4) << 10) | (r() & 0x1000) | masks);
}

void draw_fpu(Fpu kind, Rng& r, TestState& s) {
    if (kind == Fpu::Init) return;
    const unsigned top = r() % 8;
    // Usually a stack of some depth from ST(0) down, sometimes any tags.
    u8 tags = 0;
    if (r() % 8 == 0) {
        tags = static_cast<u8>(r());
    } else {
        const unsigned depth = r() % 4 == 0 ? r() % 9 : 1 + r() % 4;
        for (unsigned k = 0; k < depth; ++k) tags = static_cast<u8>(tags | (1u << ((top + k) & 7)));
    }
    s.ftw = tags;
    for (auto& v : s.st) {
        if (kind == Fpu::Mmx) v = {r(), static_cast<u16>(r())};
        else v = draw_f80(r);
    }
    s.fcw = draw_fcw(r);
    u16 fsw = static_cast<u16>(r() & 0x4700);  // C3 C2 C1 C0
    if (r() % 4 == 0) fsw = static_cast<u16>(fsw | (r() & 0x7F));  // sticky flags, SF
    fsw = static_cast<u16>(fsw | (top << 11));
    if (fsw & ~s.fcw & 0x3F) fsw |= 0x8080;  // ES and B as the processor keeps them
    s.fsw = fsw;
    // FIP canonical: (FX)RSTOR sign-extends it from the host's linear-address width.
    s.fip = static_cast<u64>(static_cast<i64>(r() << 16) >> 16);
    s.fdp = r();
    s.fop = static_cast<u16>(r() & 0x7FF);
}

// An edge value of the memory operand's type at its address.
void fill_operand(MemFill fill, Rng& r, Case& c) {
    if (fill == MemFill::Random || !c.mem_addr) return;
    u8* p = &c.init.data[c.mem_addr - kData];
    switch (fill) {
        case MemFill::F32: {
            u32 v = draw_f32(r);
            std::memcpy(p, &v, 4);
            break;
        }
        case MemFill::F64: {
            u64 v = draw_f64(r);
            std::memcpy(p, &v, 8);
            break;
        }
        case MemFill::F80: {
            F80 v = draw_f80(r);
            std::memcpy(p, &v.sig, 8);
            std::memcpy(p + 8, &v.se, 2);
            break;
        }
        case MemFill::I16: case MemFill::I32: case MemFill::I64: {
            u64 v = draw(r);
            std::memcpy(p, &v, fill == MemFill::I16 ? 2 : fill == MemFill::I32 ? 4 : 8);
            break;
        }
        case MemFill::Bcd: {
            // Valid digits mostly; sometimes a nibble above 9 (undefined digits).
            for (int k = 0; k < 9; ++k) p[k] = static_cast<u8>((r() % 10) | ((r() % 10) << 4));
            if (r() % 8 == 0) p[r() % 9] = static_cast<u8>(r());
            if (r() % 4 == 0) std::memset(p, 0, 9 - r() % 9);
            p[9] = static_cast<u8>(r() % 2 ? 0x80 : 0x00);
            break;
        }
        default: break;
    }
}

bool try_generate(const Form& form, Rng& rng, Case& c, std::string* error) {
    c = Case{};
    c.form = &form;
    TestState& s = c.init;
    for (int n = 0; n < 16; ++n) s.gpr[n] = draw(rng);
    s.gpr[RSP] = kStackTop;
    s.rflags = fl::FIXED1 | (rng() & fl::ARITH) | ((rng() % 4 == 0) ? fl::DF : 0);
    for (auto& x : s.xmm) {
        switch (form.lanes) {
            case Lanes::Bits: x.lo = rng(); x.hi = rng(); break;
            case Lanes::F64: x.lo = draw_f64(rng); x.hi = draw_f64(rng); break;
            case Lanes::F32:
                x.lo = draw_f32(rng) | (u64(draw_f32(rng)) << 32);
                x.hi = draw_f32(rng) | (u64(draw_f32(rng)) << 32);
                break;
        }
    }
    if (form.random_mxcsr) {
        u32 m = 0x1F80;
        m = (m & ~0x6000u) | static_cast<u32>((rng() % 4) << 13);  // RC
        if (rng() % 4 == 0) m |= 0x8000;                             // FTZ
        if (rng() % 4 == 0) m |= 0x0040;                             // DAZ
        if (rng() % 8 == 0) m &= ~static_cast<u32>((rng() & 0x3F) << 7);  // unmask some exceptions
        m |= static_cast<u32>(rng() & 0x3F) * (rng() % 2);           // sticky flags already set
        s.mxcsr = m;
    }
    draw_fpu(form.fpu, rng, s);
    c.data_seed = rng();
    fill_data(c.data_seed, s.data);

    ZydisEncoderRequest req;
    std::memset(&req, 0, sizeof(req));
    req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    req.mnemonic = form.mnemonic;
    req.prefixes = form.prefixes;
    req.operand_count = static_cast<u8>(form.ops.size());

    // Registers used by register operands: memory base/index must differ, so the
    // register operand keeps its random value and the address stays valid.
    bool used[16] = {};
    used[RSP] = true;
    for (int n = 0; n < 16; ++n)
        if (form.avoid_gprs & (1u << n)) used[n] = true;
    for (size_t k = 0; k < form.ops.size(); ++k) {
        const OperandSpec& o = form.ops[k];
        auto& e = req.operands[k];
        if (o.kind == Opd::Gpr) {
            int n;
            do {
                n = static_cast<int>(rng() % (o.bits == 8 ? 20 : 16));
            } while (n == RSP);
            e.type = ZYDIS_OPERAND_TYPE_REGISTER;
            e.reg.value = gpr_reg(n, o.bits);
            c.regs[k] = e.reg.value;
            used[n >= 16 ? n - 16 : n] = true;
        } else if (o.kind == Opd::Fixed) {
            e.type = ZYDIS_OPERAND_TYPE_REGISTER;
            e.reg.value = o.reg;
            c.regs[k] = o.reg;
            if (ZydisRegisterGetClass(o.reg) >= ZYDIS_REGCLASS_GPR8 && ZydisRegisterGetClass(o.reg) <= ZYDIS_REGCLASS_GPR64)
                used[gpr_number(o.reg)] = true;
        } else if (o.kind == Opd::Xmm) {
            e.type = ZYDIS_OPERAND_TYPE_REGISTER;
            e.reg.value = static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + rng() % 16);
            c.regs[k] = e.reg.value;
        } else if (o.kind == Opd::St || o.kind == Opd::Mm) {
            e.type = ZYDIS_OPERAND_TYPE_REGISTER;
            e.reg.value = static_cast<ZydisRegister>((o.kind == Opd::St ? ZYDIS_REGISTER_ST0 : ZYDIS_REGISTER_MM0) + rng() % 8);
            c.regs[k] = e.reg.value;
        }
    }
    bool gs = false;
    for (size_t k = 0; k < form.ops.size(); ++k) {
        const OperandSpec& o = form.ops[k];
        auto& e = req.operands[k];
        if (o.kind == Opd::Imm) {
            e.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
            c.imm = imm_value(rng, o.bits);
            e.imm.u = c.imm;
        } else if (o.kind == Opd::Rel) {
            e.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
            req.branch_type = o.bits == 8 ? ZYDIS_BRANCH_TYPE_SHORT : ZYDIS_BRANCH_TYPE_NEAR;
            req.branch_width = o.bits == 8 ? ZYDIS_BRANCH_WIDTH_8 : ZYDIS_BRANCH_WIDTH_32;
            // Land on an INT3 on the code page, never inside the instruction itself.
            i64 span = o.bits == 8 ? 120 : 0x7E0;
            i64 off;
            do {
                off = static_cast<i64>(rng() % (2 * span)) - span;
            } while (off >= -1 && off < 16);
            c.imm = kInsnAddr + off;
            e.imm.u = c.imm;
        } else if (o.kind == Opd::Mem) {
            unsigned bytes = std::max<unsigned>(1, o.bits / 8);
            unsigned align = std::max<unsigned>(1, form.align);
            u64 off = 0x40 + rng() % (kDataSize - 0x80 - bytes);
            if (rng() % 2) off = 0x40 + rng() % 0x1800;  // often near the stack area too
            off &= ~static_cast<u64>(align - 1);
            c.mem_addr = kData + off;
            e.type = ZYDIS_OPERAND_TYPE_MEMORY;
            e.mem.size = static_cast<u16>(bytes);
            unsigned mode = rng() % 8;
            if (mode == 0) {  // RIP-relative: the encoder takes the absolute address
                e.mem.base = ZYDIS_REGISTER_RIP;
                e.mem.displacement = static_cast<i64>(c.mem_addr);
                continue;
            }
            gs = mode == 1;
            u64 target = gs ? c.mem_addr - kData : c.mem_addr;
            // RSP is a base only sometimes, with a small displacement, so that
            // implicit stack accesses of the same instruction stay in the data area.
            int base;
            bool rsp_base = !gs && rng() % 16 == 0;
            if (rsp_base) {
                base = RSP;
            } else {
                do base = static_cast<int>(rng() % 16);
                while (used[base]);
            }
            used[base] = true;
            i64 disp = 0;
            switch (rsp_base ? 1 : rng() % 3) {
                case 0: disp = 0; break;
                case 1: disp = static_cast<i64>(rng() % 64) - 32; break;
                default: disp = static_cast<i64>(rng() % 0x20000) - 0x10000; break;
            }
            u64 rest = target - static_cast<u64>(disp);
            e.mem.base = static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + base);
            c.mem_base = e.mem.base;
            e.mem.displacement = disp;
            if (!rsp_base && rng() % 2) {
                int index;
                do index = static_cast<int>(rng() % 16);
                while (used[index] || index == RSP);
                used[index] = true;
                u8 scale = static_cast<u8>(1u << (rng() % 4));
                i64 iv = static_cast<i64>(rng() % 64) - 16;
                s.gpr[index] = static_cast<u64>(iv);
                rest -= static_cast<u64>(iv) * scale;
                e.mem.index = static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + index);
                e.mem.scale = scale;
                c.mem_index = e.mem.index;
            }
            s.gpr[base] = rest;
        }
    }
    if (gs) req.prefixes |= ZYDIS_ATTRIB_HAS_SEGMENT_GS;

    u8 buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
    ZyanUSize len = sizeof(buf);
    ZyanStatus st = ZydisEncoderEncodeInstructionAbsolute(&req, buf, &len, kInsnAddr);
    if (!ZYAN_SUCCESS(st)) {
        if (error) *error = "the Zydis encoder cannot encode this operand combination";
        return false;
    }
    c.bytes.assign(buf, buf + len);
    fill_operand(form.fill, rng, c);
    c.undefined_flags = form.undefined_flags;
    if (form.adjust) form.adjust(c, rng);
    return true;
}

}  // namespace

void fill_data(u64 seed, std::vector<u8>& data) {
    data.resize(kDataSize);
    u64 x = seed;
    for (size_t k = 0; k < data.size(); k += 8) {
        // splitmix64
        x += 0x9E3779B97F4A7C15ull;
        u64 z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        std::memcpy(&data[k], &z, 8);
    }
}

bool generate(const Form& form, Rng& rng, Case& out, std::string* error) {
    // Some random register choices cannot be encoded (AH with a REX prefix):
    // draw again a few times before calling the form broken.
    for (int attempt = 0; attempt < 32; ++attempt)
        if (try_generate(form, rng, out, error)) return true;
    return false;
}

std::string disassemble(const std::vector<u8>& bytes) {
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisFormatter fmt;
    ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes.data(), bytes.size(), &in, ops))) return "(undecodable)";
    char text[256];
    ZydisFormatterFormatInstruction(&fmt, &in, ops, in.operand_count_visible, text, sizeof(text), kInsnAddr, nullptr);
    return text;
}

}  // namespace sy::isatest
