// The GUI's session (ui/session.h) without a window: the commands the keys
// and buttons give run the machine in slices the way the frame loop does, and
// leave the model the windows draw.
#include <doctest/doctest.h>

#include "session.h"

using namespace sy;

namespace {

cli::MachineOptions options(const std::string& append = "") {
    cli::MachineOptions o;
    o.kernel = SY_GUEST_KERNEL;
    o.mem = "64M";
    o.smp = "2";
    o.append = append;
    return o;
}

// What the frame loop does while running: slices until a stop.
void run_frames(ui::Session& s, int max_frames = 100000) {
    for (int f = 0; f < max_frames && s.running(); ++f) s.tick(5.0);
}

}  // namespace

TEST_CASE("gui session: continue runs in slices, pause stops, F6 stops at a switch's ret, F11 lands") {
    ui::Session s(options(), true);
    REQUIRE(s.kernel());
    CHECK(s.model().now == 0);
    s.command(ui::Command::Continue);
    CHECK(s.running());
    for (int f = 0; f < 20; ++f) s.tick(5.0);
    s.command(ui::Command::Pause);
    CHECK_FALSE(s.running());
    CHECK(s.model().now > 0);
    const u64 paused_at = s.model().now;

    s.command(ui::Command::RunToSwitch);
    run_frames(s);
    REQUIRE(s.last_stop());
    CHECK(s.last_stop()->kind == debug::StopKind::Switch);
    REQUIRE(s.model().sw);
    CHECK(s.model().sw->at_ret);
    CHECK(s.model().now >= paused_at);
    CHECK(s.cpu == s.model().sw->cpu);  // the panels follow the CPU that stopped
    const u64 ret_addr = s.model().sw->ret_addr;

    s.command(ui::Command::Step);
    CHECK(s.last_stop()->kind == debug::StopKind::Step);
    CHECK(s.machine().cpu(s.cpu).s.rip == ret_addr);
    CHECK_FALSE(s.model().sw);  // the switch is over
}

TEST_CASE("gui session: F9 at RIP, then F5 stops there again") {
    ui::Session s(options(), false);
    s.command(ui::Command::RunToSwitch);
    run_frames(s);
    s.command(ui::Command::Step);  // where the ret lands: ret_from_fork (pid 1 never ran)
    const u64 rip = s.machine().cpu(s.cpu).s.rip;
    REQUIRE(rip == s.kernel()->ret_from_fork());
    s.command(ui::Command::ToggleBreakpoint);
    CHECK(s.debugger().has_breakpoint(rip));
    s.command(ui::Command::Continue);  // leaves this one; the next fork comes back to it
    run_frames(s);
    REQUIRE(s.last_stop());
    CHECK(s.last_stop()->kind == debug::StopKind::Breakpoint);
    CHECK(s.machine().cpu(s.cpu).s.rip == rip);
    CHECK(s.debugger().switches().count() > 1);
    s.command(ui::Command::ToggleBreakpoint);  // off again
    CHECK_FALSE(s.debugger().has_breakpoint(rip));
}

TEST_CASE("gui session: what is typed into the console reaches the guest's shell") {
    ui::Session s(options("sh"), false);
    s.command(ui::Command::Continue);
    for (int f = 0; f < 20000 && s.serial_text().find("$ ") == std::string::npos; ++f) s.tick(5.0);
    REQUIRE(s.serial_text().find("$ ") != std::string::npos);
    s.type("hello from the gui\n");
    for (int f = 0; f < 20000 && s.serial_text().find("hello from pid") == std::string::npos; ++f) s.tick(5.0);
    CHECK(s.serial_text().find("hello from the gui") != std::string::npos);
    CHECK(s.serial_text().find("hello from pid") != std::string::npos);
    CHECK(s.running());  // still running: the shell waits for the next line
}

TEST_CASE("gui session: Shift+F6 goes back a switch, Ctrl+F11 undoes a step, the console is cut back to its text then") {
    ui::Session s(options(), false);
    s.command(ui::Command::RunToSwitch);
    run_frames(s);
    s.command(ui::Command::RunToSwitch);
    run_frames(s);
    REQUIRE(s.last_stop()->kind == debug::StopKind::Switch);
    const u64 rip1 = s.machine().cpu(s.cpu).s.rip, now1 = s.machine().now();
    const std::string console1 = s.serial_text();
    const size_t switches1 = s.debugger().switches().count();
    // Further on: more switches, more output.
    for (int k = 0; k < 6; ++k) {
        s.command(ui::Command::RunToSwitch);
        run_frames(s);
    }
    REQUIRE(s.debugger().switches().count() > switches1);
    for (int k = 0; k < 6; ++k) s.command(ui::Command::PreviousSwitch);
    CHECK(s.last_stop()->kind == debug::StopKind::Switch);
    CHECK(s.debugger().switches().count() == switches1);
    CHECK(s.machine().now() == now1);
    CHECK(s.machine().cpu(s.cpu).s.rip == rip1);
    CHECK(s.serial_text() == console1);
    // Ctrl+F11 after F11: where the step began.
    const unsigned cpu = s.cpu;
    s.command(ui::Command::Step);
    CHECK(s.machine().cpu(cpu).s.rip != rip1);
    s.command(ui::Command::ReverseStep);
    CHECK(s.last_stop()->kind == debug::StopKind::Step);
    CHECK(s.machine().cpu(cpu).s.rip == rip1);
}
