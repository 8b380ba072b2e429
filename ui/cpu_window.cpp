// CPU: one tab per processor with its registers, segments (with the hidden
// base, limit and DPL), the FS/GS bases and KERNEL_GS_BASE, the control
// registers and EFER, GDTR/IDTR/TR and the TSS's RSP0 and IST entries.
#include "widgets.h"
#include "windows.h"

namespace sy::ui {

namespace {

void flags_line(u64 f) {
    static const struct {
        u64 bit;
        const char* name;
    } kBits[] = {{1u << 0, "CF"}, {1u << 2, "PF"}, {1u << 4, "AF"}, {1u << 6, "ZF"}, {1u << 7, "SF"},
                 {1u << 8, "TF"}, {1u << 9, "IF"}, {1u << 10, "DF"}, {1u << 11, "OF"}, {1u << 14, "NT"},
                 {1u << 16, "RF"}, {1u << 18, "AC"}, {1u << 21, "ID"}};
    ImGui::Text("rflags %08llx ", (unsigned long long)f);
    for (const auto& b : kBits) {
        ImGui::SameLine(0, 4);
        if (f & b.bit) ImGui::TextUnformatted(b.name);
        else ImGui::TextColored(color::kDim, "%c%c", b.name[0] + 32, b.name[1] + 32);
    }
}

void cpu_tab(Session& s, const debug::CpuView& c) {
    const debug::Model& m = s.model();
    ImGui::TextColored(color::kTitle, "cpu%u", c.index);
    ImGui::SameLine();
    ImGui::Text("APIC %u%s  CPL %u  %s  %s", c.apic_id, c.kcpu ? "" : " (not yet a kernel CPU)", c.cpl, c.mode.c_str(),
                c.waiting_sipi ? "waiting for SIPI" : c.halted ? "halted" : "running");
    ImGui::Text("cycles %llu  insns %llu", (unsigned long long)c.cycles, (unsigned long long)c.insns);
    if (c.current_task) {
        ImGui::Text("current_task %s", hexs(c.current_task).c_str());
        ImGui::SameLine();
        for (const auto& t : m.tasks)
            if (t.task.addr == c.current_task) ImGui::Text("pid %d (%s)", t.task.pid, t.task.name.c_str());
    }
    ImGui::Text("rip %s", hex16(c.rip).c_str());
    ImGui::SameLine();
    ImGui::TextColored(color::kSym, "%s", c.rip_sym.c_str());
    flags_line(c.rflags);

    static const char* const kGpr[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                         "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    static const int kOrder[16] = {0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15};
    if (ImGui::BeginTable("gpr", 4, ImGuiTableFlags_SizingFixedFit)) {
        for (int k = 0; k < 16; k += 2) {
            ImGui::TableNextRow();
            for (int j = 0; j < 2; ++j) {
                int r = kOrder[k + j];
                ImGui::TableNextColumn();
                ImGui::TextColored(color::kDim, "%s", kGpr[r]);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(hex16(c.gpr[r]).c_str());
            }
        }
        ImGui::EndTable();
    }
    if (c.rsp_pid >= 0) ImGui::Text("rsp is on the kernel stack of pid %d", c.rsp_pid);

    ImGui::Separator();
    if (ImGui::BeginTable("seg", 5, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) {
        ImGui::TableSetupColumn("seg");
        ImGui::TableSetupColumn("sel");
        ImGui::TableSetupColumn("base");
        ImGui::TableSetupColumn("limit");
        ImGui::TableSetupColumn("DPL attr");
        ImGui::TableHeadersRow();
        auto seg = [](const debug::SegmentView& v) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(v.name);
            ImGui::TableNextColumn();
            ImGui::Text("%04x", v.sel);
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(hex16(v.base).c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%08x", v.limit);
            ImGui::TableNextColumn();
            ImGui::Text("%u %04x%s", v.dpl, v.attr, v.present ? "" : " NP");
        };
        for (const auto& v : c.seg) seg(v);
        seg(c.ldtr);
        seg(c.tr);
        ImGui::EndTable();
    }
    if (ImGui::BeginTable("sys", 2, ImGuiTableFlags_SizingFixedFit)) {
        row("FS.base", hex16(c.fs_base));
        row("GS.base", hex16(c.gs_base), c.percpu && c.gs_base == c.percpu ? &color::kGood : nullptr);
        row("KERNEL_GS_BASE", hex16(c.kernel_gs_base));
        row("per-CPU area", c.percpu ? hex16(c.percpu) : "(none yet)");
        row("CR0", hex16(c.cr0));
        row("CR2", hex16(c.cr2));
        row("CR3", hex16(c.cr3));
        row("CR4", hex16(c.cr4));
        row("EFER", hex16(c.efer));
        row("GDTR", hex16(c.gdtr_base) + " limit " + hexs(c.gdtr_limit));
        row("IDTR", hex16(c.idtr_base) + " limit " + hexs(c.idtr_limit));
        row("TSS.RSP0", c.tss_rsp0 ? hex16(*c.tss_rsp0) : "(no TSS)");
        for (int i = 0; i < 7; ++i)
            if (c.tss_ist[i]) row(("TSS.IST" + std::to_string(i + 1)).c_str(), hex16(c.tss_ist[i]));
        ImGui::EndTable();
    }
}

}  // namespace

void draw_cpu(Session& s) {
    if (!ImGui::Begin(s.title("CPU").c_str())) {
        ImGui::End();
        return;
    }
    // A stop on another CPU selects its tab; a click selects a CPU.
    static int shown = -1;
    const bool force = shown != int(s.cpu);
    if (ImGui::BeginTabBar("cpus")) {
        for (const auto& c : s.model().cpus) {
            std::string label = "cpu" + std::to_string(c.index);
            ImGuiTabItemFlags f = force && c.index == s.cpu ? ImGuiTabItemFlags_SetSelected : 0;
            if (ImGui::BeginTabItem(label.c_str(), nullptr, f)) {
                if (!force && s.cpu != c.index) {
                    s.cpu = c.index;
                    s.disasm_at.reset();
                }
                cpu_tab(s, c);
                ImGui::EndTabItem();
            }
        }
        ImGui::EndTabBar();
    }
    shown = int(s.cpu);
    ImGui::End();
}

}  // namespace sy::ui
