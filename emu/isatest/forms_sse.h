// isa-test: the helper the SSE and MMX form files share to add forms (see forms.h).
#pragma once
#include <string>

#include "forms.h"

namespace sy::isatest {

inline std::string m(u16 bits) { return "m" + std::to_string(bits); }
inline std::string r(u16 bits) { return "r" + std::to_string(bits); }

struct SseAdder {
    std::vector<Form>& out;
    const char* group;
    Lanes lanes = Lanes::Bits;
    bool fp = false;  // random MXCSR
    Fpu fpu = Fpu::Init;  // Fpu::Mmx for the MMX forms

    void add(std::string name, ZydisMnemonic mn, std::vector<OperandSpec> ops, unsigned align = 1,
             Adjust adjust = nullptr) {
        Form f{std::move(name), group, mn, std::move(ops)};
        f.align = align;
        f.lanes = lanes;
        f.random_mxcsr = fp;
        f.adjust = adjust;
        f.fpu = fpu;
        out.push_back(std::move(f));
    }

    // "name xmm, xmm" and "name xmm, m<bits>" (+ ", imm8"); a 16-byte operand of an
    // aligned instruction gets an aligned and a misaligned form.
    void vw(const char* name, ZydisMnemonic mn, u16 bits, bool imm8 = false, bool aligned = true) {
        std::string tail = imm8 ? ", imm8" : "";
        auto ops = [&](OperandSpec src) {
            std::vector<OperandSpec> v{xmm(), src};
            if (imm8) v.push_back(imm(8));
            return v;
        };
        add(std::string(name) + " xmm, xmm" + tail, mn, ops(xmm()));
        if (bits == 128 && aligned) {
            add(std::string(name) + " xmm, m128" + tail, mn, ops(mem(128)), 16);
            add(std::string(name) + " xmm, m128" + tail + " misaligned", mn, ops(mem(128)));
        } else {
            add(std::string(name) + " xmm, " + m(bits) + tail, mn, ops(mem(bits)));
        }
    }
    // "name mm, mm" and "name mm, m64" (+ ", imm8"): the MMX forms (no alignment rule).
    void pq(const char* name, ZydisMnemonic mn, bool imm8 = false) {
        std::string tail = imm8 ? ", imm8" : "";
        auto ops = [&](OperandSpec src) {
            std::vector<OperandSpec> v{mm(), src};
            if (imm8) v.push_back(imm(8));
            return v;
        };
        add(std::string(name) + " mm, mm" + tail, mn, ops(mm()));
        add(std::string(name) + " mm, m64" + tail, mn, ops(mem(64)));
    }
    // The four forms ps/ss/pd/sd of one arithmetic operation.
    void arith4(const std::string& base, ZydisMnemonic ps, ZydisMnemonic ss, ZydisMnemonic pd, ZydisMnemonic sd) {
        Lanes saved = lanes;
        lanes = Lanes::F32;
        vw((base + "ps").c_str(), ps, 128);
        vw((base + "ss").c_str(), ss, 32);
        lanes = Lanes::F64;
        vw((base + "pd").c_str(), pd, 128);
        vw((base + "sd").c_str(), sd, 64);
        lanes = saved;
    }
    // Stores "name m<bits>, xmm"; aligned 16-byte stores get a misaligned form too.
    void store(const char* name, ZydisMnemonic mn, u16 bits, bool aligned = false) {
        add(std::string(name) + " " + m(bits) + ", xmm", mn, {mem(bits), xmm()}, aligned ? 16 : 1);
        if (aligned) add(std::string(name) + " " + m(bits) + ", xmm misaligned", mn, {mem(bits), xmm()});
    }
};

}  // namespace sy::isatest
