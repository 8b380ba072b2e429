// `switchyard isa-test`: every covered instruction form, run on the host CPU and
// in the interpreter from the same random initial states; see docs/isa-test.md.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "../commands.h"
#include "fault.h"
#include "generate.h"
#include "../host_cpu.h"
#include "runners.h"

namespace sy::isatest {

const std::vector<Form>& all_forms() {
    static const std::vector<Form> forms = [] {
        std::vector<Form> all;
        for (auto part : {int_forms(), ctrl_forms(), sse_forms(), x87_forms(), mmx_forms(), sse4_forms()})
            for (auto& f : part) all.push_back(std::move(f));
        return all;
    }();
    return forms;
}

namespace {

using nlohmann::json;

std::string hex(u64 v) {
    char b[24];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}
std::string hex_bytes(const u8* p, size_t n) {
    std::string s;
    char b[4];
    for (size_t k = 0; k < n; ++k) {
        std::snprintf(b, sizeof b, "%02x", p[k]);
        s += b;
    }
    return s;
}
std::vector<u8> from_hex(const std::string& s) {
    std::vector<u8> out;
    for (size_t k = 0; k + 1 < s.size(); k += 2) out.push_back(static_cast<u8>(std::stoul(s.substr(k, 2), nullptr, 16)));
    return out;
}
std::string xmm_hex(const Xmm& x) { return hex(x.hi) + hex(x.lo); }
// An x87 register as sign+exponent and significand: "3fff:8000000000000000".
std::string f80_text(const F80& v) {
    char b[24];
    std::snprintf(b, sizeof b, "%04x:%016llx", v.se, static_cast<unsigned long long>(v.sig));
    return b;
}
F80 f80_from(const std::string& t) {
    return {std::stoull(t.substr(5), nullptr, 16), static_cast<u16>(std::stoul(t.substr(0, 4), nullptr, 16))};
}

const char* kGprNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                             "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

std::string flags_text(u64 f) {
    std::string s;
    for (auto [bit, name] : {std::pair{fl::OF, "OF"}, {fl::DF, "DF"}, {fl::SF, "SF"}, {fl::ZF, "ZF"},
                             {fl::AF, "AF"}, {fl::PF, "PF"}, {fl::CF, "CF"}})
        if (f & bit) s += std::string(s.empty() ? "" : " ") + name;
    return s.empty() ? "-" : s;
}

std::string exc_text(int v) { return v < 0 ? "none" : vector_name(static_cast<u8>(v)); }

// Differences between expected (host) and actual (interpreter), one line each.
std::vector<std::string> compare(const Case& c, const TestState& want, const TestState& got) {
    std::vector<std::string> d;
    if (want.exception != got.exception)
        d.push_back("exception: expected " + exc_text(want.exception) + ", got " + exc_text(got.exception));
    if (want.rip != got.rip) d.push_back("rip: expected " + hex(want.rip) + ", got " + hex(got.rip));
    for (int n = 0; n < 16; ++n)
        if (!(c.undefined_gprs & (1u << n)) && want.gpr[n] != got.gpr[n])
            d.push_back(std::string(kGprNames[n]) + ": expected " + hex(want.gpr[n]) + ", got " + hex(got.gpr[n]));
    u64 mask = kComparedFlags & ~c.undefined_flags;
    if ((want.rflags & mask) != (got.rflags & mask))
        d.push_back("rflags: expected " + flags_text(want.rflags & mask) + ", got " + flags_text(got.rflags & mask) +
                    " (compared: " + flags_text(mask) + ")");
    for (int n = 0; n < 16; ++n)
        if (!(want.xmm[n] == got.xmm[n]))
            d.push_back("xmm" + std::to_string(n) + ": expected " + xmm_hex(want.xmm[n]) + ", got " + xmm_hex(got.xmm[n]));
    for (int n = 0; n < 8; ++n)
        if (!(want.st[n] == got.st[n]))
            d.push_back("st" + std::to_string(n) + ": expected " + f80_text(want.st[n]) + ", got " + f80_text(got.st[n]));
    if (want.fcw != got.fcw || want.fsw != got.fsw || want.ftw != got.ftw) {
        char b[128];
        std::snprintf(b, sizeof b, "x87 fcw/fsw/ftw: expected %04x/%04x/%02x, got %04x/%04x/%02x", want.fcw, want.fsw,
                      want.ftw, got.fcw, got.fsw, got.ftw);
        d.push_back(b);
    }
    if (want.fip != got.fip || want.fdp != got.fdp || want.fop != got.fop) {
        char b[160];
        std::snprintf(b, sizeof b, "x87 fip/fdp/fop: expected %llx/%llx/%03x, got %llx/%llx/%03x",
                      (unsigned long long)want.fip, (unsigned long long)want.fdp, want.fop,
                      (unsigned long long)got.fip, (unsigned long long)got.fdp, got.fop);
        d.push_back(b);
    }
    if (want.mxcsr != got.mxcsr) {
        char b[80];
        std::snprintf(b, sizeof b, "mxcsr: expected %08x, got %08x", want.mxcsr, got.mxcsr);
        d.push_back(b);
    }
    for (size_t k = 0; k < kDataSize; ++k) {
        if (want.data[k] == got.data[k]) continue;
        size_t end = k;
        while (end < kDataSize && end < k + 16 && want.data[end] != got.data[end]) ++end;
        d.push_back("memory at " + hex(kData + k) + ": expected " + hex_bytes(&want.data[k], end - k) + ", got " +
                    hex_bytes(&got.data[k], end - k));
        break;  // the first differing run is enough to see the bug
    }
    return d;
}

void print_mismatch(const Case& c, const std::string& form, const std::vector<std::string>& diffs) {
    std::printf("MISMATCH %s\n  bytes: %s   %s\n  initial:", form.c_str(), hex_bytes(c.bytes.data(), c.bytes.size()).c_str(),
                disassemble(c.bytes).c_str());
    for (int n = 0; n < 16; ++n) std::printf("%s%s=%s", n % 4 == 0 ? "\n    " : "  ", kGprNames[n], hex(c.init.gpr[n]).c_str());
    std::printf("\n    rflags=%s  mxcsr=%08x  fcw=%04x", flags_text(c.init.rflags).c_str(), c.init.mxcsr, c.init.fcw);
    if (c.form && c.form->fpu != Fpu::Init) {
        std::printf("  fsw=%04x  ftw=%02x (TOP %u)  fip=%llx fdp=%llx fop=%03x", c.init.fsw, c.init.ftw,
                    (c.init.fsw >> 11) & 7, (unsigned long long)c.init.fip, (unsigned long long)c.init.fdp, c.init.fop);
        for (int n = 0; n < 8; ++n) {
            const bool valid = (c.init.ftw >> ((((c.init.fsw >> 11) & 7) + n) & 7)) & 1;
            std::printf("%s st%d=%s%s", n % 4 == 0 ? "\n   " : "", n, f80_text(c.init.st[n]).c_str(), valid ? "" : "(empty)");
        }
    }
    if (c.mem_addr) std::printf("  mem@%s=%s", hex(c.mem_addr).c_str(), hex_bytes(&c.init.data[c.mem_addr - kData], 16).c_str());
    for (int k = 0; k < 4; ++k)
        if (c.regs[k] >= ZYDIS_REGISTER_XMM0 && c.regs[k] <= ZYDIS_REGISTER_XMM15)
            std::printf("\n    %s=%s", ZydisRegisterGetString(c.regs[k]), xmm_hex(c.init.xmm[c.regs[k] - ZYDIS_REGISTER_XMM0]).c_str());
    std::printf("\n");
    for (const auto& line : diffs) std::printf("  %s\n", line.c_str());
}

// Changes of `after` against `before`, as [offset, hex] runs.
json data_changes(const std::vector<u8>& before, const std::vector<u8>& after) {
    json out = json::array();
    for (size_t k = 0; k < before.size(); ++k) {
        if (before[k] == after[k]) continue;
        size_t end = k;
        while (end < before.size() && before[end] != after[end]) ++end;
        out.push_back({k, hex_bytes(&after[k], end - k)});
        k = end;
    }
    return out;
}
void apply_changes(const json& changes, std::vector<u8>& data) {
    for (const auto& ch : changes) {
        size_t off = ch[0].get<size_t>();
        auto bytes = from_hex(ch[1].get<std::string>());
        for (size_t k = 0; k < bytes.size() && off + k < data.size(); ++k) data[off + k] = bytes[k];
    }
}

json state_json(const TestState& s) {
    json j;
    j["gpr"] = json::array();
    for (u64 v : s.gpr) j["gpr"].push_back(hex(v));
    j["rip"] = hex(s.rip);
    j["rflags"] = hex(s.rflags);
    j["xmm"] = json::array();
    for (const Xmm& x : s.xmm) j["xmm"].push_back(xmm_hex(x));
    j["mxcsr"] = s.mxcsr;
    j["fcw"] = s.fcw;
    j["fsw"] = s.fsw;
    j["ftw"] = s.ftw;
    j["fop"] = s.fop;
    j["fip"] = hex(s.fip);
    j["fdp"] = hex(s.fdp);
    j["st"] = json::array();
    for (const F80& v : s.st) j["st"].push_back(f80_text(v));
    j["exception"] = s.exception;
    return j;
}
void state_from_json(const json& j, TestState& s) {
    for (int n = 0; n < 16; ++n) s.gpr[n] = std::stoull(j["gpr"][n].get<std::string>(), nullptr, 16);
    s.rip = std::stoull(j["rip"].get<std::string>(), nullptr, 16);
    s.rflags = std::stoull(j["rflags"].get<std::string>(), nullptr, 16);
    for (int n = 0; n < 16; ++n) {
        std::string x = j["xmm"][n].get<std::string>();
        s.xmm[n].hi = std::stoull(x.substr(0, 16), nullptr, 16);
        s.xmm[n].lo = std::stoull(x.substr(16), nullptr, 16);
    }
    s.mxcsr = j["mxcsr"].get<u32>();
    s.fcw = j["fcw"].get<u16>();
    s.fsw = j["fsw"].get<u16>();
    // Files from before the x87 was modelled hold only the control and status words.
    s.ftw = j.value("ftw", u8(0));
    s.fop = j.value("fop", u16(0));
    s.fip = std::stoull(j.value("fip", std::string("0")), nullptr, 16);
    s.fdp = std::stoull(j.value("fdp", std::string("0")), nullptr, 16);
    if (j.contains("st"))
        for (int n = 0; n < 8; ++n) s.st[n] = f80_from(j["st"][n].get<std::string>());
    s.exception = j["exception"].get<int>();
}

struct Tally {
    std::set<std::string> forms;
    u64 cases = 0, mismatches = 0;
};

struct Options {
    std::string forms_regex = ".*";
    u64 cases = 256;
    u64 seed = 1;
    bool list = false;
    std::string json_out, vectors_in;
    u64 show = 2;  // mismatches printed per form
};

void print_table(const std::map<std::string, Tally>& groups, const Tally& total) {
    std::printf("\n%-14s %7s %9s %11s\n", "group", "forms", "cases", "mismatches");
    for (const auto& [g, t] : groups)
        std::printf("%-14s %7zu %9llu %11llu\n", g.c_str(), t.forms.size(), (unsigned long long)t.cases,
                    (unsigned long long)t.mismatches);
    std::printf("isa-test: forms=%zu cases=%llu mismatches=%llu\n", total.forms.size(), (unsigned long long)total.cases,
                (unsigned long long)total.mismatches);
}

int run_vectors(const Options& o) {
    std::ifstream in(o.vectors_in);
    if (!in) {
        std::fprintf(stderr, "switchyard: isa-test: cannot open vectors file %s\n", o.vectors_in.c_str());
        return 2;
    }
    json doc;
    try {
        doc = json::parse(in);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "switchyard: isa-test: %s is not a vectors file: %s\n", o.vectors_in.c_str(), e.what());
        return 2;
    }
    std::regex re(o.forms_regex);
    // Files from before the vendor was recorded came from the AMD host.
    EmuRunner emu(doc.value("vendor", std::string("amd")) == "intel" ? Vendor::Intel : Vendor::Amd);
    std::map<std::string, Tally> groups;
    Tally total;
    std::map<std::string, u64> shown;
    try {
        for (const auto& jc : doc.at("cases")) {
            std::string form = jc.at("form");
            if (!std::regex_search(form, re)) continue;
            Case c;
            c.bytes = from_hex(jc.at("bytes"));
            state_from_json(jc.at("init"), c.init);
            c.data_seed = std::stoull(jc.at("data_seed").get<std::string>(), nullptr, 16);
            fill_data(c.data_seed, c.init.data);
            apply_changes(jc.at("init_data"), c.init.data);
            c.undefined_flags = std::stoull(jc.at("undefined_flags").get<std::string>(), nullptr, 16);
            c.undefined_gprs = jc.at("undefined_gprs").get<u32>();
            TestState want;
            state_from_json(jc.at("expected"), want);
            want.data = c.init.data;
            apply_changes(jc.at("expected_data"), want.data);
            TestState got = emu.run(c);
            auto diffs = compare(c, want, got);
            Tally& g = groups[jc.at("group").get<std::string>()];
            g.forms.insert(form);
            total.forms.insert(form);
            ++g.cases;
            ++total.cases;
            if (!diffs.empty()) {
                ++g.mismatches;
                ++total.mismatches;
                if (shown[form]++ < o.show) print_mismatch(c, form, diffs);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "switchyard: isa-test: malformed case in %s: %s\n", o.vectors_in.c_str(), e.what());
        return 2;
    }
    if (total.forms.empty()) {
        std::fprintf(stderr, "switchyard: isa-test: --forms %s matches no case in %s\n", o.forms_regex.c_str(),
                     o.vectors_in.c_str());
        return 2;
    }
    print_table(groups, total);
    return total.mismatches ? 1 : 0;
}

int run(const Options& o) {
    std::regex re;
    try {
        re = std::regex(o.forms_regex);
    } catch (const std::regex_error&) {
        std::fprintf(stderr, "switchyard: isa-test: --forms: not a valid regular expression: %s\n", o.forms_regex.c_str());
        return 2;
    }
    // Form names must be unique: --forms, --vectors and reports name forms.
    std::set<std::string> names;
    for (const Form& f : all_forms())
        if (!names.insert(f.name).second) {
            std::fprintf(stderr, "switchyard: isa-test: two forms are named \"%s\"\n", f.name.c_str());
            return 2;
        }
    size_t matching = 0;
    for (const Form& f : all_forms()) matching += std::regex_search(f.name, re);
    if (!matching) {
        std::fprintf(stderr, "switchyard: isa-test: --forms %s matches no instruction form (--list shows them)\n",
                     o.forms_regex.c_str());
        return 2;
    }
    if (o.list) {
        for (const Form& f : all_forms())
            if (std::regex_search(f.name, re)) std::printf("%s\n", f.name.c_str());
        return 0;
    }
    if (!o.vectors_in.empty()) return run_vectors(o);

    std::string why;
    auto native = NativeRunner::create(&why);
    if (!native) {
        std::fprintf(stderr, "switchyard: isa-test: cannot run instructions natively here (%s); use --vectors FILE\n", why.c_str());
        return 2;
    }
    EmuRunner emu(host_vendor());  // undefined results as the host's vendor gives them
    std::map<std::string, Tally> groups;
    Tally total;
    json cases = json::array();
    for (const Form& f : all_forms()) {
        if (!std::regex_search(f.name, re)) continue;
        Tally& g = groups[f.group];
        g.forms.insert(f.name);
        total.forms.insert(f.name);
        // Each form has its own stream, so --forms does not change its cases.
        Rng rng(o.seed * 0x9E3779B97F4A7C15ull ^ std::hash<std::string>{}(f.name));
        u64 shown = 0;
        for (u64 k = 0; k < o.cases; ++k) {
            Case c;
            std::string err;
            if (!generate(f, rng, c, &err)) {
                std::printf("MISMATCH %s\n  cannot generate: %s\n", f.name.c_str(), err.c_str());
                ++g.mismatches;
                ++total.mismatches;
                break;
            }
            TestState want = native->run(c);
            TestState got = emu.run(c);
            auto diffs = compare(c, want, got);
            ++g.cases;
            ++total.cases;
            if (!diffs.empty()) {
                ++g.mismatches;
                ++total.mismatches;
                if (shown++ < o.show) print_mismatch(c, f.name, diffs);
            }
            if (!o.json_out.empty()) {
                std::vector<u8> seeded;
                fill_data(c.data_seed, seeded);
                cases.push_back({{"form", f.name},
                                 {"group", f.group},
                                 {"bytes", hex_bytes(c.bytes.data(), c.bytes.size())},
                                 {"disassembly", disassemble(c.bytes)},
                                 {"init", state_json(c.init)},
                                 {"data_seed", hex(c.data_seed)},
                                 {"init_data", data_changes(seeded, c.init.data)},
                                 {"expected", state_json(want)},
                                 {"expected_data", data_changes(c.init.data, want.data)},
                                 {"undefined_flags", hex(c.undefined_flags)},
                                 {"undefined_gprs", c.undefined_gprs}});
            }
        }
    }
    if (!o.json_out.empty()) {
        std::ofstream out(o.json_out);
        if (!out) {
            std::fprintf(stderr, "switchyard: isa-test: cannot write %s\n", o.json_out.c_str());
            return 2;
        }
        out << json{{"format", "switchyard-isa-test-vectors-1"}, {"seed", o.seed},
                     {"vendor", host_vendor() == Vendor::Intel ? "intel" : "amd"}, {"cases", cases}}.dump(1) << "\n";
    }
    print_table(groups, total);
    return total.mismatches ? 1 : 0;
}

}  // namespace
}  // namespace sy::isatest

namespace sy::cli {

void add_isa_test(CLI::App& app) {
    static isatest::Options o;
    auto* cmd = app.add_subcommand("isa-test", "Compare instruction semantics with the host CPU");
    cmd->add_option("--forms", o.forms_regex, "Only forms whose name matches this regular expression")
        ->type_name("REGEX");
    cmd->add_option("--cases", o.cases, "Random cases per form")->type_name("N")->capture_default_str();
    cmd->add_option("--seed", o.seed, "Random seed (same seed, same cases)")->type_name("N")->capture_default_str();
    cmd->add_flag("--list", o.list, "List the covered forms, one a line, and exit");
    cmd->add_option("--json", o.json_out, "Write every case (bytes, initial and expected state) to FILE")
        ->type_name("FILE");
    cmd->add_option("--vectors", o.vectors_in, "Check the interpreter against cases written by --json")
        ->type_name("FILE")
        ->check(CLI::ExistingFile);
    cmd->add_option("--show", o.show, "Mismatching cases printed per form")->type_name("N")->capture_default_str();
    cmd->callback([] { exit_status = isatest::run(o); });
}

}  // namespace sy::cli
