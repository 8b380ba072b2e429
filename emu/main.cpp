// switchyard: command-line entry point.
#include <cstdio>

#include "commands.h"

int main(int argc, char** argv) {
    CLI::App app{"switchyard: a cycle-level x86-64 system emulator that shows context switches"};
    app.require_subcommand(1);
    sy::cli::add_isa_test(app);
    sy::cli::add_bench(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return sy::cli::exit_status;
}
