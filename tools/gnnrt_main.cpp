// gnnrt: import PyG models exported to ONNX, and run them.
// Exit codes: 0 success, 1 internal error, 2 bad input or usage, 3 --compare mismatch.
#include <iostream>
#include <new>

#include "commands/commands.h"
#include "gnnrt/error.h"

int main(int argc, char** argv) {
  CLI::App app{"gnnrt: an inference compiler and runtime for graph neural networks exported from PyTorch "
               "Geometric to ONNX.\nExit codes: 0 success, 1 internal error, 2 bad input or usage, 3 --compare "
               "mismatch."};
  app.name("gnnrt");
  app.require_subcommand(1);
  int exit_code = 0;
  gnnrt::cli::add_build_command(app, exit_code);
  gnnrt::cli::add_inspect_command(app, exit_code);
  gnnrt::cli::add_run_command(app, exit_code);
  gnnrt::cli::add_ops_command(app, exit_code);
  gnnrt::cli::add_accuracy_command(app, exit_code);
  gnnrt::cli::add_bench_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);  // prints help or the usage error
    return code == 0 ? 0 : 2;
  } catch (const gnnrt::Error& error) {
    std::cerr << "gnnrt: error: " << error.what() << "\n";
    return error.exit_code();
  } catch (const std::bad_alloc&) {
    std::cerr << "gnnrt: error: out of host memory\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "gnnrt: internal error: " << error.what() << "\n";
    return 1;
  }
  return exit_code;
}
