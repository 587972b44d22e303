// The `gnnrt` subcommands. Each registers itself on the app and, when chosen, stores its exit
// code in `exit_code`. Errors are thrown as gnnrt::Error and turned into exit codes by main.
#pragma once

#include <CLI/CLI.hpp>

namespace gnnrt::cli {

void add_build_command(CLI::App& app, int& exit_code);
void add_inspect_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_ops_command(CLI::App& app, int& exit_code);
void add_accuracy_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);

}  // namespace gnnrt::cli
