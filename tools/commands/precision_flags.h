// trtexec's precision flags, shared by the commands that build an engine (build, run --onnx, bench
// --onnx): --fp16 or --bf16 store node features in 16 bits (builder::BuildOptions::precision).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace gnnrt::cli {

// Adds --fp16 and --bf16 (mutually exclusive) to `command`; `precision` becomes "fp16" or "bf16"
// when one is given and stays "fp32" otherwise. The strings must outlive the command.
void add_precision_flags(CLI::App* command, std::string& precision);

}  // namespace gnnrt::cli
