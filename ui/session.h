// The GUI's state besides ImGui's: the machine and its debugger, the model the
// windows draw (rebuilt whenever the machine stops or a slice ends), what the
// user is running, the console's text and what they typed, and the panels'
// selections. Every change to the machine goes through a debugger command here.
#pragma once
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "debugger.h"
#include "guest/kernel.h"
#include "launch.h"
#include "listing.h"
#include "model.h"

namespace sy::ui {

enum class Command {
    Continue, Pause, RunToSwitch, Step, StepOver, StepOut, ToggleBreakpoint,
    // Reverse execution (docs/replay.md): back to the previous breakpoint hit,
    // the previous context switch, before the selected CPU's last instruction.
    ReverseContinue, PreviousSwitch, ReverseStep,
};

class Session final : public HostIo {
public:
    // Boots the machine the options describe; guest awareness if the kernel
    // has a debugger descriptor (the bundled one does).
    explicit Session(const cli::MachineOptions& o, bool checks);
    ~Session() override;

    Machine& machine() { return *launch_.machine; }
    debug::Debugger& debugger() { return *dbg_; }
    const debug::Model& model() const { return model_; }
    const guest::Kernel* kernel() const { return kernel_ ? &*kernel_ : nullptr; }
    const std::string& kernel_path() const { return launch_.kernel; }
    const std::string& kernel_note() const { return kernel_note_; }

    // `gui --compare`: which side of the window this machine is ("" when it
    // is alone), named after its switch model. Each window's title is
    // title("Threads"): "Threads" alone, "Threads: xv6" on a side, with an ImGui
    // id of its own so the two sides' windows are two windows.
    std::string side;
    std::string title(const char* window) const {
        return side.empty() ? std::string(window) : std::string(window) + ": " + side + "###" + window + "." + side;
    }

    // ---- running ----
    bool running() const { return running_.has_value(); }
    // Starts or performs a command on the selected CPU. Step and the
    // breakpoint toggle act at once; the others run in slices (tick()).
    void command(Command c);
    // While running: one slice and the model's rebuild after it, together
    // about `budget_ms` of host time.
    void tick(double budget_ms);
    // Runs until the N-th context switch from now, stopped at its ret
    // (headless mode). False if the run ended first (message says why).
    bool run_to_switches(unsigned n);
    void refresh();
    // Changes whenever the model is rebuilt: windows cache what they derive from it.
    u64 generation() const { return generation_; }
    const std::string& status() const { return status_; }
    const std::optional<debug::Stop>& last_stop() const { return last_stop_; }
    bool finished() const { return finished_; }

    // ---- selections ----
    unsigned cpu = 0;                 // the CPU the panels and commands follow
    std::optional<u64> selected_addr; // the disassembly's selected line (F9 toggles there)
    std::optional<u64> disasm_at;     // follow RIP when unset
    int memory_space = 0;             // index into address_spaces()
    u64 memory_addr = 0;
    int focus_pid = -1;               // the task the threads panel scrolls to

    // ---- the console ----
    const std::string& serial_text() const { return serial_; }
    void type(const std::string& s);  // bytes for COM1's receiver

    // HostIo: feeds what was typed, never blocks (the GUI loop waits instead).
    void poll(Machine& m) override;
    void refill(Machine&) override {}
    bool wait(Machine& m) override;
    bool stop_requested() override { return false; }

private:
    void finish(const debug::Stop& s);
    void went_back(const debug::Stop& s);
    std::string describe(const debug::Stop& s) const;

    cli::Launch launch_;
    std::unique_ptr<guest::CpuMemory> mem_;
    std::optional<guest::Kernel> kernel_;
    std::string kernel_note_;
    std::unique_ptr<debug::Debugger> dbg_;
    debug::Model model_;
    u64 generation_ = 0;
    std::optional<Command> running_;
    std::string status_;
    std::optional<debug::Stop> last_stop_;
    bool finished_ = false;
    u64 slice_ = 2'000'000;  // cycles per tick, adapted to the host's speed
    double refresh_ms_ = 0;  // the model's last rebuild after a slice
    std::string serial_;
    std::deque<u8> input_;
};

}  // namespace sy::ui
