// The GUI loop: SDL2 window with an OpenGL 3 context, Dear ImGui's SDL2 and
// OpenGL3 backends, the windows of windows.h over one Session. While the
// guest runs, each frame gives it one slice of about 10 ms of host time
// (Session::tick), so the window keeps its 60 frames per second.
#include "app.h"

#include <GL/gl.h>
#include <SDL.h>
#include <imgui.h>

#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "model_json.h"
#include "screenshot.h"
#include "session.h"
#include "windows.h"

namespace sy::ui {

namespace {

// Where the windows start (a person can move and resize them): two rows.
void place(const char* name, float x, float y, float w, float h, ImGuiCond cond) {
    ImGui::SetNextWindowPos(ImVec2(x, y), cond);
    ImGui::SetNextWindowSize(ImVec2(w, h), cond);
    (void)name;
}

void draw_all(Session& s, float W, float H, ImGuiCond cond) {
    const float top = ImGui::GetFrameHeight();
    const float h1 = (H - top) * 0.56f, y2 = top + h1, h2 = H - y2;
    const float cpu_w = W * 0.2f, dis_w = W * 0.27f, thr_w = W - cpu_w - dis_w;
    const float ana_w = W * 0.47f, log_w = W * 0.26f, side_w = W - ana_w - log_w;
    draw_controls(s);
    place("CPU", 0, top, cpu_w, h1, cond);
    draw_cpu(s);
    place("Threads", cpu_w, top, thr_w, h1, cond);
    draw_threads(s);
    place("Disassembly", cpu_w + thr_w, top, dis_w, h1, cond);
    draw_disassembly(s);
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

// Keys that drive the debugger whatever has the keyboard focus.
void handle_key(Session& s, const SDL_KeyboardEvent& k) {
    const bool shift = k.keysym.mod & KMOD_SHIFT;
    switch (k.keysym.sym) {
    case SDLK_F5: s.command(Command::Continue); break;
    case SDLK_F8:
    case SDLK_PAUSE: s.command(Command::Pause); break;
    case SDLK_F6: s.command(Command::RunToSwitch); break;
    case SDLK_F9: s.command(Command::ToggleBreakpoint); break;
    case SDLK_F10: s.command(Command::StepOver); break;
    case SDLK_F11: s.command(shift ? Command::StepOut : Command::Step); break;
    default: break;
    }
}

}  // namespace

int run_gui(const GuiOptions& o) {
    int W = 0, H = 0;
    if (!parse_size(o.size, W, H)) cli::fail("--size " + o.size + ": expected WIDTHxHEIGHT, at least 640x480");
    const bool headless = !o.screenshot.empty() || !o.dump_state.empty() || !o.dump_memory.empty();
    if (!o.screenshot.empty() && W * H < 1280 * 720) cli::fail("--screenshot needs a window of at least 1280x720");

    Session s(o.machine, !o.no_checks);
    for (const auto& b : o.breaks) {
        try {
            s.debugger().add_breakpoint(b);
        } catch (const std::invalid_argument& e) {
            cli::fail(std::string("--break ") + e.what());
        }
    }
    if (o.until_switch_given) {
        if (!s.kernel()) cli::fail("--until-switch: " + s.kernel_path() + " has no debugger descriptor: " + s.kernel_note());
        if (!s.run_to_switches(o.until_switch))
            cli::fail("--until-switch " + std::to_string(o.until_switch) + ": the run ended first: " + s.status(), 1);
    }
    if (!o.dump_state.empty()) {
        std::ofstream f(o.dump_state);
        f << debug::model_json(s.model()).dump(1) << "\n";
        if (!f) cli::fail("--dump-state " + o.dump_state + ": cannot write it", 1);
    }
    if (!o.dump_memory.empty()) {
        // Straight from the machine's RAM: no CPU, no page tables, no descriptor.
        Machine& m = s.machine();
        std::ofstream f(o.dump_memory, std::ios::binary);
        std::vector<char> page(0x1000);
        for (u64 pa = 0; pa < m.ram_size() && f; pa += page.size()) {
            m.read_phys(pa, page.data(), page.size());
            f.write(page.data(), std::streamsize(page.size()));
        }
        if (!f) cli::fail("--dump-memory " + o.dump_memory + ": cannot write it", 1);
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
    std::string title = "switchyard - " + s.kernel_path();
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
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowRounding = 0;
    ImGui_ImplSDL2_InitForOpenGL(win, gl);
    ImGui_ImplOpenGL3_Init("#version 130");

    int frames = 0;
    bool quit = false;
    int status = 0;
    while (!quit) {
        SDL_Event e;
        bool any = s.running() || headless || frames < 3 ? SDL_PollEvent(&e) : SDL_WaitEventTimeout(&e, 50);
        while (any) {
            ImGui_ImplSDL2_ProcessEvent(&e);
            if (e.type == SDL_QUIT) quit = true;
            if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_CLOSE) quit = true;
            if (e.type == SDL_KEYDOWN && !headless) handle_key(s, e.key);
            any = SDL_PollEvent(&e);
        }
        if (s.running()) s.tick(10.0);

        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplSDL2_NewFrame();
        ImGui::NewFrame();
        int w = W, h = H;
        SDL_GetWindowSize(win, &w, &h);
        draw_all(s, float(w), float(h), headless ? ImGuiCond_Always : ImGuiCond_FirstUseEver);
        ImGui::Render();
        int fw = 0, fh = 0;
        SDL_GL_GetDrawableSize(win, &fw, &fh);
        glViewport(0, 0, fw, fh);
        glClearColor(0.08f, 0.08f, 0.10f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        ++frames;
        // A few frames first: ImGui settles window sizes and scrolling on
        // the frames after they are first submitted.
        if (headless && frames == 6) {
            glFinish();
            std::string err = write_screenshot(o.screenshot, fw, fh);
            if (!err.empty()) {
                std::fprintf(stderr, "switchyard: --screenshot %s: %s\n", o.screenshot.c_str(), err.c_str());
                status = 1;
            }
            quit = true;
        }
        SDL_GL_SwapWindow(win);
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
