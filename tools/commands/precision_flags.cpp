#include "commands/precision_flags.h"

namespace gnnrt::cli {

void add_precision_flags(CLI::App* command, std::string& precision) {
  precision = "fp32";
  CLI::Option* fp16 = command->add_flag_callback(
      "--fp16", [&precision] { precision = "fp16"; },
      "Store node features in float16 between the layers (SpMM and dense layers accumulate in fp32; the "
      "graph structure and the outputs stay fp32)");
  CLI::Option* bf16 = command->add_flag_callback("--bf16", [&precision] { precision = "bf16"; },
                                                 "As --fp16, in bfloat16 (fp32's range, fewer mantissa bits)");
  fp16->excludes(bf16);
}

}  // namespace gnnrt::cli
