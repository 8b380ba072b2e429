// switchyard: command-line entry point.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
    CLI::App app{"switchyard: a cycle-level x86-64 system emulator that shows context switches"};
    app.require_subcommand(1);
    sy::cli::add_isa_test(app);
    sy::cli::add_bench(app);
    sy::cli::add_run(app);
    sy::cli::add_gui(app);
    sy::cli::add_timing_params(app);

    // `run` and `gui` also take QEMU's one-dash options; turn them into ours first.
    std::vector<std::string> args(argv, argv + argc);
    if (argc > 1 && (std::strcmp(argv[1], "run") == 0 || std::strcmp(argv[1], "gui") == 0)) {
        std::vector<std::string> rest = sy::cli::rewrite_qemu_run_args({args.begin() + 2, args.end()});
        args.resize(2);
        args.insert(args.end(), rest.begin(), rest.end());
    }
    std::vector<char*> new_argv;
    for (auto& a : args) new_argv.push_back(a.data());
    try {
        app.parse(int(new_argv.size()), new_argv.data());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line, like every other error, and the bad-image status 2 of `run`
        // (CLI11 would print two lines and use 1xx).
        std::string msg = e.what();
        for (char& c : msg)
            if (c == '\n') c = ' ';
        std::fprintf(stderr, "switchyard: %s (see --help)\n", msg.c_str());
        return 2;
    }
    return sy::cli::exit_status;
}
