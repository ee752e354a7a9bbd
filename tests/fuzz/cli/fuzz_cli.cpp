// libFuzzer entry for the `grin` command line. The input is an argument vector: arguments
// are separated by NUL or newline bytes, "grin" is argv[0]. Each input gets a fresh
// command tree from make_command_line(), which CLI11 parses; a usage error or a help/version
// request is formatted into a string the way run() would print it. No command runs: run()
// is never called, so the fuzzer cannot touch the network, a database or storage.
// Besides "no crash, no sanitizer report", it checks that only CLI::Error escapes the
// parser and that a parsed line selects exactly one runnable command.
#include <grin/cli/app.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

void require(bool condition) {
    if (!condition)
        std::abort();
}

std::vector<std::string> arguments_of(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args = {"grin"};
    std::string current;
    for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
        char c = static_cast<char>(data[i]);
        if (c == '\0' || c == '\n') {
            args.push_back(std::move(current));
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty() && args.size() < 64)
        args.push_back(std::move(current));
    return args;
}

} // namespace

// Each input builds the whole command tree (thousands of small allocations): recording a
// deep allocation stack for each made ASan spend most of the time in its stack depot.
extern "C" const char* __asan_default_options() {
    return "malloc_context_size=4";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto args = arguments_of(data, size);
    auto line = grin::cli::make_command_line();
    CLI::App& app = *line->app;
    // CLI11 takes the arguments last first and without argv[0] (as run() passes them).
    std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
    std::ostringstream out, err;
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& failure) {
        (void)app.exit(failure, out, err);
        return 0;
    }
    // A successful parse: the logging flags were checked by CLI11, so they must convert.
    try {
        (void)grin::log::parse_level(line->log_level);
        (void)grin::log::parse_format(line->log_format);
    } catch (const grin::fatal&) {
        std::abort();
    }
    std::size_t chosen = 0;
    for (const auto& command : line->commands)
        if (command.subcommand->parsed()) {
            ++chosen;
            require(static_cast<bool>(command.run));
            (void)command.subcommand->help(); // what `grin <cmd> --help` prints
        }
    // Every group requires its subcommand, so run() finds exactly one command to run.
    require(chosen == 1);
    return 0;
}
