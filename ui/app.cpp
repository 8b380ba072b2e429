// The GUI loop: SDL2 window with an OpenGL 3 context, Dear ImGui's SDL2 and
// OpenGL3 backends, the windows of windows.h over one Session. While the
// guest runs, each frame gives it what is left of 16 ms after the rest of the
// last frame (Session::tick), so the window keeps its 60 frames per second.
#include "app.h"

#include <GL/gl.h>
#include <SDL.h>
#include <imgui.h>

#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model_json.h"
#include "raster.h"
#include "screenshot.h"
#include "session.h"
#include "windows.h"

namespace sy::ui {

namespace {

// Where the windows start (a person can move and resize them): two rows.
// Called before each window's Begin.
void place(const char* name, float x, float y, float w, float h, ImGuiCond cond) {
    ImGui::SetNextWindowPos(ImVec2(x, y), cond);
    ImGui::SetNextWindowSize(ImVec2(w, h), cond);
    raster::plain_background(name);
}

struct Panel {
    const char* name;   // for --panel
    const char* title;  // the window's
    void (*draw)(Session&);
};
constexpr Panel kPanels[] = {
    {"cpu", "CPU", draw_cpu},
    {"threads", "Threads", draw_threads},
    {"disassembly", "Disassembly", draw_disassembly},
    {"anatomy", "Switch anatomy", draw_anatomy},
    {"log", "Switch log", draw_timeline},
    {"timeline", "Timeline", draw_trace},
    {"screen", "Screen", draw_screen},
    {"memory", "Memory", draw_memory},
    {"console", "Serial console", draw_console},
};

const Panel* find_panel(const std::string& name) {
    for (const Panel& p : kPanels)
        if (name == p.name) return &p;
    return nullptr;
}

void draw_all(Session& s, float W, float H, ImGuiCond cond, const Panel* only) {
    const float top = ImGui::GetFrameHeight();
    draw_controls({&s});
    if (only) {
        // One panel filling the window (--panel: for documentation).
        place(only->title, 0, top, W, H - top, ImGuiCond_Always);
        only->draw(s);
        return;
    }
    const float h1 = (H - top) * 0.56f, y2 = top + h1, h2 = H - y2;
    const float cpu_w = W * 0.2f, dis_w = W * 0.27f, thr_w = W - cpu_w - dis_w;
    const float ana_w = W * 0.52f, log_w = W * 0.25f, side_w = W - ana_w - log_w;
    place("CPU", 0, top, cpu_w, h1, cond);
    draw_cpu(s);
    place("Threads", cpu_w, top, thr_w, h1, cond);
    draw_threads(s);
    place("Disassembly", cpu_w + thr_w, top, dis_w, h1, cond);
    draw_disassembly(s);
    // The timeline starts behind the anatomy (move either; --panel timeline shows it alone).
    place("Timeline", 0, y2, ana_w, h2, cond);
    draw_trace(s);
    place("Switch anatomy", 0, y2, ana_w, h2, cond);
    draw_anatomy(s);
    place("Switch log", ana_w, y2, log_w, h2, cond);
    draw_timeline(s);
    place("Screen", ana_w + log_w, y2 + h2 * 0.5f, side_w, h2 * 0.5f, cond);
    draw_screen(s);
    place("Memory", ana_w + log_w, y2 + h2 * 0.5f, side_w, h2 * 0.5f, cond);
    draw_memory(s);
    place("Serial console", ana_w + log_w, y2, side_w, h2 * 0.5f, cond);
    draw_console(s);
}

// --compare: the window in two halves, one per machine, each with its model
// and switch count, its Threads (where each sleeping task's state is, as that
// model keeps it) and its Switch anatomy; the menu bar drives both.
void draw_compare(const std::vector<Session*>& sides, float W, float H, ImGuiCond cond) {
    const float top = ImGui::GetFrameHeight();
    draw_controls(sides);
    const float half = W / float(sides.size());
    const float info_h = ImGui::GetTextLineHeightWithSpacing() * (4.5f + float(sides.front()->model().cpus.size()));
    const float thr_h = (H - top - info_h) * 0.62f, ana_h = H - top - info_h - thr_h;
    float x = 0;
    for (Session* s : sides) {
        place(s->title("Machine").c_str(), x, top, half, info_h, cond);
        draw_side(*s);
        place(s->title("Threads").c_str(), x, top + info_h, half, thr_h, cond);
        draw_threads(*s);
        place(s->title("Switch anatomy").c_str(), x, top + info_h + thr_h, half, ana_h, cond);
        draw_anatomy(*s);
        x += half;
    }
}

bool parse_size(const std::string& s, int& w, int& h) {
    return std::sscanf(s.c_str(), "%dx%d", &w, &h) == 2 && w >= 640 && h >= 480 && w <= 8192 && h <= 8192;
}

std::string ini_path() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    std::filesystem::path dir = xdg && *xdg ? std::filesystem::path(xdg) : home ? std::filesystem::path(home) / ".config" : "";
    if (dir.empty()) return {};
    dir /= "switchyard";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return ec ? std::string() : (dir / "gui.ini").string();
}

// The debugger keys, whatever has the keyboard focus.
// Shift reverses F5 and F6; F11's reverse is Ctrl+F11 (Shift+F11 is step out).
std::optional<Command> key_command(SDL_Keycode key, bool shift, bool ctrl = false) {
    switch (key) {
    case SDLK_F5: return shift ? Command::ReverseContinue : Command::Continue;
    case SDLK_F8:
    case SDLK_PAUSE: return Command::Pause;
    case SDLK_F6: return shift ? Command::PreviousSwitch : Command::RunToSwitch;
    case SDLK_F9: return Command::ToggleBreakpoint;
    case SDLK_F10: return Command::StepOver;
    case SDLK_F11: return ctrl ? Command::ReverseStep : shift ? Command::StepOut : Command::Step;
    default: return std::nullopt;
    }
}

// "F6,F11,S-F11" -> the commands those keys give.
std::vector<Command> parse_keys(const std::string& spec) {
    std::vector<Command> out;
    size_t start = 0;
    while (start < spec.size()) {
        size_t comma = spec.find(',', start);
        std::string k = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? spec.size() : comma + 1;
        bool shift = k.rfind("S-", 0) == 0, ctrl = k.rfind("C-", 0) == 0;
        if (shift || ctrl) k = k.substr(2);
        SDL_Keycode code = k == "F5" ? SDLK_F5 : k == "F6" ? SDLK_F6 : k == "F8" ? SDLK_F8 : k == "F9" ? SDLK_F9
                         : k == "F10" ? SDLK_F10 : k == "F11" ? SDLK_F11 : SDLK_UNKNOWN;
        auto c = key_command(code, shift, ctrl);
        if (!c)
            cli::fail("--keys " + spec + ": " + k + " is not a debugger key (F5 F6 F8 F9 F10 F11 S-F11 S-F5 S-F6 C-F11)");
        out.push_back(*c);
    }
    return out;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);  // every thread of the process: the rasterizer's too
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// --frames N: the frame rate over the frames after the first (ImGui places
// the windows on the first), the frames while the guest ran and while it was
// stopped counted apart, and the CPU time a frame takes over all threads
// (load on the host changes the rate, much less the CPU time).
struct FrameRate {
    int frames[2] = {0, 0};      // [stopped, running]
    double seconds[2] = {0, 0};
    double cpu0 = 0;
    void start() { cpu0 = cpu_seconds(); }
    void add(bool running, double s) {
        ++frames[running];
        seconds[running] += s;
    }
    void print(u64 cycle) const {
        const int n = frames[0] + frames[1];
        const double secs = seconds[0] + seconds[1];
        auto rate = [&](int k) { return seconds[k] > 0 ? double(frames[k]) / seconds[k] : 0.0; };
        std::fprintf(stderr,
                     "switchyard: %d frames in %.2f s: %.1f frames per second (%d running at %.1f, %d stopped at %.1f); "
                     "%.1f ms of CPU per frame; the guest is at cycle %llu\n",
                     n, secs, secs > 0 ? double(n) / secs : 0.0, frames[1], rate(1), frames[0], rate(0),
                     n ? (cpu_seconds() - cpu0) * 1000.0 / n : 0.0, (unsigned long long)cycle);
    }
};

// Guest RAM, raw, straight from the machine: no CPU, no page tables, no descriptor.
void write_memory(Session& s, const std::string& path) {
    Machine& m = s.machine();
    std::ofstream f(path, std::ios::binary);
    std::vector<char> page(0x1000);
    for (u64 pa = 0; pa < m.ram_size() && f; pa += page.size()) {
        m.read_phys(pa, page.data(), page.size());
        f.write(page.data(), std::streamsize(page.size()));
    }
    if (!f) cli::fail("--dump-memory " + path + ": cannot write it", 1);
}

// The machines: one, or under --compare one per switch model, each booted
// from the same kernel with `switch=MODEL` in front of the same --append.
std::vector<std::unique_ptr<Session>> boot_sessions(const GuiOptions& o) {
    std::vector<std::unique_ptr<Session>> out;
    if (o.compare.empty()) {
        out.push_back(std::make_unique<Session>(o.machine, !o.no_checks));
        return out;
    }
    const std::vector<std::string> models = parse_compare(o.compare, o.machine.append);
    for (const std::string& model : models) {
        cli::MachineOptions mo = o.machine;
        mo.append = "switch=" + model + (mo.append.empty() ? "" : " " + mo.append);
        auto s = std::make_unique<Session>(mo, !o.no_checks);
        if (!s->kernel())
            cli::fail("--compare: " + s->kernel_path() + " has no debugger descriptor (" + s->kernel_note() +
                      "), so it has no switch models");
        const std::vector<std::string> names = s->kernel()->switch_model_names();
        if (std::find(names.begin(), names.end(), model) == names.end()) {
            std::string all;
            for (const auto& n : names) all += (all.empty() ? "" : " ") + n;
            cli::fail("--compare " + o.compare + ": " + model + " is not a switch model of " + s->kernel_path() +
                      " (it has " + all + ")");
        }
        s->side = model;
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

std::vector<std::string> parse_compare(const std::string& spec, const std::string& append) {
    const std::string opt = "--compare " + spec + ": ";
    const size_t comma = spec.find(',');
    if (comma == std::string::npos || spec.find(',', comma + 1) != std::string::npos || comma == 0 ||
        comma + 1 == spec.size() || spec.find(' ') != std::string::npos)
        cli::fail(opt + "expected two switch models, MODEL_A,MODEL_B (for example linux,xv6)");
    std::string a = spec.substr(0, comma), b = spec.substr(comma + 1);
    if (a == b) cli::fail(opt + "both sides would run " + a + ": name two different models");
    std::istringstream words(append);
    for (std::string w; words >> w;)
        if (w.rfind("switch=", 0) == 0)
            cli::fail(opt + "--append already chooses a model (" + w + "); --compare gives each side its own switch=MODEL");
    return {a, b};
}

int run_gui(const GuiOptions& o) {
    int W = 0, H = 0;
    if (!parse_size(o.size, W, H)) cli::fail("--size " + o.size + ": expected WIDTHxHEIGHT, at least 640x480");
    const bool headless = !o.screenshot.empty() || !o.dump_state.empty() || !o.dump_memory.empty() || !o.dump_steps.empty();
    if (!o.screenshot.empty() && W * H < 1280 * 720) cli::fail("--screenshot needs a window of at least 1280x720");

    const Panel* panel = nullptr;
    if (!o.panel.empty() && !(panel = find_panel(o.panel)))
        cli::fail("--panel " + o.panel + ": not a panel (cpu threads disassembly anatomy log timeline screen memory console)");
    if (panel && !o.compare.empty()) cli::fail("--panel " + o.panel + ": not with --compare, which has a layout of its own");
    std::vector<std::unique_ptr<Session>> owned = boot_sessions(o);
    std::vector<Session*> sides;
    for (auto& p : owned) sides.push_back(p.get());
    Session& s = *sides.front();
    const bool compare = sides.size() > 1;
    auto side_of = [&](Session& x) { return compare ? "the " + x.side + " side: " : std::string(); };
    if (o.until_switch_given) {
        for (Session* x : sides) {
            if (!x->kernel()) cli::fail("--until-switch: " + x->kernel_path() + " has no debugger descriptor: " + x->kernel_note());
            if (!x->run_to_switches(o.until_switch))
                cli::fail("--until-switch " + std::to_string(o.until_switch) + ": " + side_of(*x) + "the run ended first: " +
                              x->status(),
                          1);
        }
    }
    // Breakpoints take effect after --until-switch.
    for (const auto& b : o.breaks) {
        for (Session* x : sides) {
            try {
                x->debugger().add_breakpoint(b);
            } catch (const std::invalid_argument& e) {
                cli::fail(std::string("--break ") + e.what());
            }
        }
    }
    // Every key goes to every side; each runs to its own stop.
    auto press = [&](Command c) {
        for (Session* x : sides) x->command(c);
    };
    const std::vector<Command> keys = parse_keys(o.keys);
    std::ofstream steps;
    if (!o.dump_steps.empty()) {
        if (o.frames) cli::fail("--dump-steps: not with --frames (it writes a line after each key runs to its stop)");
        steps.open(o.dump_steps);
        if (!steps) cli::fail("--dump-steps " + o.dump_steps + ": cannot write it", 1);
    }
    if (!o.frames) {
        for (size_t n = 0; n < keys.size(); ++n) {
            for (Session* x : sides) {
                x->command(keys[n]);
                while (x->running()) x->tick(1000.0);
                if (steps.is_open()) {
                    // What a person stepping sees change: where the CPU is and the switch's step.
                    const debug::Model& m = x->model();
                    const debug::CpuView& c = m.cpus[x->cpu];
                    nlohmann::json line = {{"key", n + 1}, {"side", x->side}, {"cpu", x->cpu}, {"rip", c.rip},
                                           {"rip_sym", c.rip_sym}, {"rsp", c.gpr[RSP]}, {"switches", m.log.size()},
                                           {"anatomy", debug::anatomy_json(m.anatomy)}};
                    line["switch"] = m.sw ? nlohmann::json{{"prev_pid", m.sw->prev_pid}, {"next_pid", m.sw->next_pid},
                                                           {"at_ret", m.sw->at_ret}}
                                          : nlohmann::json(nullptr);
                    line["last_switch"] = m.log.empty() ? nlohmann::json(nullptr)
                                                        : nlohmann::json{{"prev_pid", m.log.back().prev_pid},
                                                                         {"next_pid", m.log.back().next_pid}};
                    steps << line.dump() << "\n";
                }
            }
        }
        if (steps.is_open() && !steps.flush()) cli::fail("--dump-steps " + o.dump_steps + ": cannot write it", 1);
    }
    if (!o.dump_state.empty()) {
        std::ofstream f(o.dump_state);
        nlohmann::json j;
        auto side_json = [](Session& x) {
            nlohmann::json sj = debug::model_json(x.model());
            if (const trace::Recorder* r = x.debugger().trace()) sj["timeline"] = debug::timeline_json(*r, x.machine());
            return sj;
        };
        if (!compare) {
            j = side_json(s);
        } else {
            // One object per side, each the JSON of one machine, naming its model.
            j["compare"] = nlohmann::json::array();
            j["sides"] = nlohmann::json::array();
            for (Session* x : sides) {
                j["compare"].push_back(x->side);
                j["sides"].push_back(side_json(*x));
            }
        }
        f << j.dump(1) << "\n";
        if (!f) cli::fail("--dump-state " + o.dump_state + ": cannot write it", 1);
    }
    if (!o.dump_memory.empty()) {
        if (!compare) write_memory(s, o.dump_memory);
        else
            for (Session* x : sides) write_memory(*x, o.dump_memory + "." + x->side);
    }
    if (headless && o.screenshot.empty()) return 0;

    const char* x11 = std::getenv("DISPLAY");
    const char* wl = std::getenv("WAYLAND_DISPLAY");
    if (!(x11 && *x11) && !(wl && *wl) && !std::getenv("SDL_VIDEODRIVER"))
        cli::fail("no display for the GUI: DISPLAY and WAYLAND_DISPLAY are not set (for --screenshot, run it under xvfb-run)", 1);
    if (SDL_Init(SDL_INIT_VIDEO) != 0)
        cli::fail(std::string("no display for the GUI (") + SDL_GetError() +
                      "); set DISPLAY, or run it under xvfb-run for --screenshot",
                  1);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_FLAGS, 0);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    raster::request_framebuffer();
    std::string title = "switchyard - " + s.kernel_path() + (compare ? " - compare " + o.compare : "");
    SDL_Window* win = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, W, H,
                                       SDL_WINDOW_OPENGL | (headless ? 0 : SDL_WINDOW_RESIZABLE));
    if (!win) cli::fail(std::string("cannot open the window: ") + SDL_GetError(), 1);
    SDL_GLContext gl = SDL_GL_CreateContext(win);
    if (!gl) cli::fail(std::string("no OpenGL 3 context: ") + SDL_GetError(), 1);
    SDL_GL_MakeCurrent(win, gl);
    SDL_GL_SetSwapInterval(headless ? 0 : 1);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    static std::string ini;
    ini = headless ? std::string() : ini_path();
    io.IniFilename = ini.empty() ? nullptr : ini.c_str();
    // Headless: no pointer (Xvfb's sits mid-screen and would raise tooltips).
    if (headless) io.ConfigFlags |= ImGuiConfigFlags_NoMouse;
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowRounding = 0;
    raster::setup_style(ImGui::GetStyle());
    ImGui_ImplSDL2_InitForOpenGL(win, gl);
    ImGui_ImplOpenGL3_Init("#version 130");
    raster::setup_font_texture();
    // With vsync the swap waits for the display: that time is the guest's.
    const bool vsync = !headless && SDL_GL_GetSwapInterval() > 0;

    using clock = std::chrono::steady_clock;
    auto ms_since = [](clock::time_point t) { return std::chrono::duration<double, std::milli>(clock::now() - t).count(); };
    // The frame the guest's slices fit in: a little under 60 Hz's 16.7 ms.
    constexpr double kFrameMs = 16.0;
    int frames = 0;
    FrameRate rate;
    double other_ms = 5.0;  // the last frame without the guest's slice: events, model, drawing, swap
    auto frame_start = clock::now();
    bool quit = false;
    int status = 0;
    while (!quit) {
        SDL_Event e;
        const bool busy = std::any_of(sides.begin(), sides.end(), [](Session* x) { return x->running(); });
        bool any = busy || headless || frames < 3 ? SDL_PollEvent(&e) : SDL_WaitEventTimeout(&e, 50);
        if (!busy && !headless && frames >= 3) frame_start = clock::now();  // waiting is not work
        while (any) {
            ImGui_ImplSDL2_ProcessEvent(&e);
            if (e.type == SDL_QUIT) quit = true;
            if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_CLOSE) quit = true;
            if (e.type == SDL_KEYDOWN && !headless)
                if (auto c = key_command(e.key.keysym.sym, e.key.keysym.mod & KMOD_SHIFT, e.key.keysym.mod & KMOD_CTRL)) press(*c);
            any = SDL_PollEvent(&e);
        }
        if (o.frames && frames == 1)
            for (Command c : keys) press(c);
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplSDL2_NewFrame();
        ImGui::NewFrame();
        raster::begin_frame();
        int w = W, h = H;
        SDL_GetWindowSize(win, &w, &h);
        const ImGuiCond cond = headless ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
        if (compare) draw_compare(sides, float(w), float(h), cond);
        else draw_all(s, float(w), float(h), cond, panel);
        ImGui::Render();
        raster::end_frame(ImGui::GetDrawData());
        int fw = 0, fh = 0;
        SDL_GL_GetDrawableSize(win, &fw, &fh);
        glViewport(0, 0, fw, fh);
        const ImVec4 clear = raster::clear_colour();
        glClearColor(clear.x, clear.y, clear.z, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        ++frames;
        const bool ran = std::any_of(sides.begin(), sides.end(), [](Session* x) { return x->running(); });
        if (headless && frames == std::max(6, int(o.frames))) {
            glFinish();
            rate.add(ran, ms_since(frame_start) / 1000.0);
            if (o.frames) rate.print(s.machine().now());
            std::string err = write_screenshot(o.screenshot, fw, fh);
            if (!err.empty()) {
                std::fprintf(stderr, "switchyard: --screenshot %s: %s\n", o.screenshot.c_str(), err.c_str());
                status = 1;
            }
            break;
        }
        // The guest runs while the rasterizer's threads draw the frame (a
        // software one starts at the flush; a GPU is on its own anyway): it
        // gets what is left of the frame after the rest of the last one.
        double tick_ms = 0;
        if (ran) {
            glFlush();
            auto t = clock::now();
            const double budget = kFrameMs - other_ms;
            const double share = (budget < 1.0 ? 1.0 : budget > 12.0 ? 12.0 : budget) / double(sides.size());
            for (Session* x : sides) x->tick(share);
            tick_ms = ms_since(t);
        }
        // The rasterizer finishes here, so that what follows is the swap alone.
        if (vsync) glFinish();
        const double drawn_ms = ms_since(frame_start);
        SDL_GL_SwapWindow(win);
        const auto frame_end = clock::now();
        const double frame_ms = std::chrono::duration<double, std::milli>(frame_end - frame_start).count();
        frame_start = frame_end;
        other_ms = (vsync ? drawn_ms : frame_ms) - tick_ms;
        // A few frames first: ImGui settles window sizes and scrolling on
        // the frames after they are first submitted.
        if (frames == 1) rate.start();
        else rate.add(ran, frame_ms / 1000.0);
    }
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
    SDL_GL_DeleteContext(gl);
    SDL_DestroyWindow(win);
    SDL_Quit();
    return status;
}

}  // namespace sy::ui
