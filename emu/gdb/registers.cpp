// The target description and register values (registers.h).
#include "registers.h"

#include <cstring>

#include "cpu.h"
#include "packet.h"
#include "x87.h"

namespace sy::gdb {

namespace {

constexpr const char* kCore = "org.gnu.gdb.i386.core";
constexpr const char* kSse = "org.gnu.gdb.i386.sse";
constexpr const char* kSegments = "org.gnu.gdb.i386.segments";
constexpr const char* kSys = "org.switchyard.x86.sys";

std::vector<RegisterDef> make_defs() {
    std::vector<RegisterDef> r;
    static const char* const kGprs[16] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                          "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    for (const char* n : kGprs) {
        const bool ptr = std::strcmp(n, "rbp") == 0 || std::strcmp(n, "rsp") == 0;
        r.push_back({n, 64, ptr ? "data_ptr" : "int64", kCore});
    }
    r.push_back({"rip", 64, "code_ptr", kCore});
    r.push_back({"eflags", 32, "i386_eflags", kCore});
    for (const char* n : {"cs", "ss", "ds", "es", "fs", "gs"}) r.push_back({n, 32, "int32", kCore});
    static const char* const kSt[8] = {"st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7"};
    for (const char* n : kSt) r.push_back({n, 80, "i387_ext", kCore});
    for (const char* n : {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"})
        r.push_back({n, 32, "int", kCore});
    static const char* const kXmm[16] = {"xmm0", "xmm1", "xmm2",  "xmm3",  "xmm4",  "xmm5",  "xmm6",  "xmm7",
                                         "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"};
    for (const char* n : kXmm) r.push_back({n, 128, "vec128", kSse});
    r.push_back({"mxcsr", 32, "i386_mxcsr", kSse});
    r.push_back({"fs_base", 64, "int", kSegments});
    r.push_back({"gs_base", 64, "int", kSegments});
    for (const char* n : {"k_gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer"}) r.push_back({n, 64, "int", kSys});
    return r;
}

// The types the core and sse registers use (gdb's own i386 features define
// the same names; gdb matches registers by name, the types only shape the display).
constexpr const char* kTypes = R"(<flags id="i386_eflags" size="4">
<field name="CF" start="0" end="0"/><field name="" start="1" end="1"/><field name="PF" start="2" end="2"/>
<field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
<field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/><field name="DF" start="10" end="10"/>
<field name="OF" start="11" end="11"/><field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
<field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/><field name="VIF" start="19" end="19"/>
<field name="VIP" start="20" end="20"/><field name="ID" start="21" end="21"/>
</flags>
)";
constexpr const char* kSseTypes = R"(<vector id="v8bf16" type="bfloat16" count="8"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v16i8" type="int8" count="16"/>
<vector id="v8i16" type="int16" count="8"/>
<vector id="v4i32" type="int32" count="4"/>
<vector id="v2i64" type="int64" count="2"/>
<union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>
<field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>
<field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/></union>
<flags id="i386_mxcsr" size="4">
<field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/><field name="ZE" start="2" end="2"/>
<field name="OE" start="3" end="3"/><field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
<field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/><field name="DM" start="8" end="8"/>
<field name="ZM" start="9" end="9"/><field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
<field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
</flags>
)";

std::string make_xml() {
    std::string x = "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
                    "<architecture>i386:x86-64</architecture>\n";
    const char* open = nullptr;
    int n = 0;
    for (const RegisterDef& d : register_defs()) {
        if (!open || std::strcmp(open, d.feature) != 0) {
            if (open) x += "</feature>\n";
            open = d.feature;
            x += std::string("<feature name=\"") + d.feature + "\">\n";
            if (d.feature == kCore) x += kTypes;
            if (d.feature == kSse) x += kSseTypes;
        }
        const char* group = d.feature == kSys ? " group=\"system\"" : "";
        x += std::string("<reg name=\"") + d.name + "\" bitsize=\"" + std::to_string(d.bits) + "\" type=\"" + d.type +
             "\" regnum=\"" + std::to_string(n++) + "\"" + group + "/>\n";
    }
    x += "</feature>\n</target>\n";
    return x;
}

// Register numbers the writers and frame builders use.
enum : int { kRax, kRbx, kRcx, kRdx, kRsi, kRdi, kRbp, kRsp, kR8, kRip = 16, kEflags, kCs };
// Our GPR index of gdb's rax..r15.
constexpr Gpr kGprOf[16] = {RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP, R8, R9, R10, R11, R12, R13, R14, R15};

}  // namespace

const std::vector<RegisterDef>& register_defs() {
    static const std::vector<RegisterDef> defs = make_defs();
    return defs;
}

const std::string& target_xml() {
    static const std::string xml = make_xml();
    return xml;
}

int register_number(const std::string& name) {
    const auto& d = register_defs();
    for (size_t n = 0; n < d.size(); ++n)
        if (name == d[n].name) return int(n);
    return -1;
}

void RegisterValues::set(int n, u64 v) {
    std::string b(register_defs()[size_t(n)].bits / 8, '\0');
    std::memcpy(b.data(), &v, std::min<size_t>(8, b.size()));
    regs[size_t(n)] = std::move(b);
}

std::optional<u64> RegisterValues::get(int n) const {
    const auto& r = regs[size_t(n)];
    if (!r) return std::nullopt;
    u64 v = 0;
    std::memcpy(&v, r->data(), std::min<size_t>(8, r->size()));
    return v;
}

RegisterValues cpu_registers(const Cpu& c) {
    RegisterValues v;
    for (int k = 0; k < 16; ++k) v.set(kRax + k, c.s.gpr[kGprOf[k]]);
    v.set(kRip, c.s.rip);
    v.set(kEflags, c.s.rflags);
    static const Seg kSegs[6] = {CS, SS, DS, ES, FS, GS};
    for (int k = 0; k < 6; ++k) v.set(kCs + k, c.sys.seg[kSegs[k]].sel);
    const X87& f = c.s.fpu;
    int n = register_number("st0");
    for (unsigned i = 0; i < 8; ++i, ++n) {
        const F80& r = f.st(i);
        std::string b(10, '\0');
        std::memcpy(b.data(), &r.sig, 8);
        std::memcpy(b.data() + 8, &r.se, 2);
        v.regs[size_t(n)] = std::move(b);
    }
    v.set(n++, f.fcw);
    v.set(n++, f.fsw);
    v.set(n++, x87::full_tag(f));
    v.set(n++, f.fcs);
    v.set(n++, f.fip);
    v.set(n++, f.fds);
    v.set(n++, f.fdp);
    v.set(n++, f.fop);
    for (int k = 0; k < 16; ++k, ++n) {
        std::string b(16, '\0');
        std::memcpy(b.data(), &c.s.xmm[k].lo, 8);
        std::memcpy(b.data() + 8, &c.s.xmm[k].hi, 8);
        v.regs[size_t(n)] = std::move(b);
    }
    v.set(n++, c.s.mxcsr);
    v.set(n++, c.sys.seg[FS].base);
    v.set(n++, c.sys.seg[GS].base);
    v.set(n++, c.sys.kernel_gs_base);
    v.set(n++, c.sys.cr0);
    v.set(n++, c.sys.cr2);
    v.set(n++, c.sys.cr3);
    v.set(n++, c.sys.cr4);
    v.set(n++, c.cr8());
    v.set(n++, c.sys.efer);
    return v;
}

RegisterValues frame_registers(const SavedFrame& f) {
    RegisterValues v;
    v.set(kRip, f.rip);
    v.set(kRsp, f.rsp);
    v.set(kRbp, f.rbp);
    if (!f.callee_saved) return v;
    v.set(kRbx, f.rbx);
    v.set(kR8 + 4, f.r12);
    v.set(kR8 + 5, f.r13);
    v.set(kR8 + 6, f.r14);
    v.set(kR8 + 7, f.r15);
    return v;
}

std::string encode_register(const RegisterValues& v, int n) {
    const auto& r = v.regs[size_t(n)];
    if (r) return to_hex(*r);
    return std::string(register_defs()[size_t(n)].bits / 4, 'x');
}

std::string encode_registers(const RegisterValues& v) {
    std::string s;
    for (size_t n = 0; n < v.regs.size(); ++n) s += encode_register(v, int(n));
    return s;
}

bool write_register(Cpu& c, int n, const std::string& hex) {
    const auto& defs = register_defs();
    if (n < 0 || size_t(n) >= defs.size()) return false;
    auto bytes = from_hex(hex);
    if (!bytes || bytes->size() != defs[size_t(n)].bits / 8) return false;
    u64 v = 0;
    std::memcpy(&v, bytes->data(), std::min<size_t>(8, bytes->size()));
    if (n < 16) c.s.gpr[kGprOf[n]] = v;
    else if (n == kRip) c.s.rip = v;
    else if (n == kEflags) c.s.rflags = (c.s.rflags & ~0xFFFFFFFFull) | (v & 0xFFFFFFFF) | fl::FIXED1;
    // Other registers: selectors, control registers and MSRs have rules
    // (descriptor loads, mode changes) a debugger write would bypass; left alone.
    return true;
}

bool write_registers(Cpu& c, const std::string& hex) {
    const auto& defs = register_defs();
    size_t total = 0;
    for (const RegisterDef& d : defs) total += d.bits / 4;
    if (hex.size() != total) return false;
    // Every field is checked before the first register is written.
    std::vector<std::string> parts;
    for (size_t n = 0, at = 0; n < defs.size(); at += defs[n].bits / 4, ++n) {
        std::string part = hex.substr(at, defs[n].bits / 4);
        if (part.find('x') == std::string::npos && !from_hex(part)) return false;
        parts.push_back(std::move(part));
    }
    for (size_t n = 0; n <= size_t(kEflags); ++n)
        if (parts[n].find('x') == std::string::npos) write_register(c, int(n), parts[n]);  // "xx": unchanged
    return true;
}

}  // namespace sy::gdb
